"""Fuzzing the graph parsers: the C++ tokenizer ``_core.parse_edge_text`` and
:func:`derand_fast.maxcut.load_graph` on files.

Every input must either parse into a self-consistent result or raise a
``ValueError``; nothing else (no crash, no other exception type, no silent
garbage). Well-formed graphs written out as text must parse back exactly.

CI runs the ``ci`` hypothesis profile (a few hundred inputs); the campaign is
``HYPOTHESIS_PROFILE=fuzz python -m pytest -p no:cacheprovider
tests/hardening/test_fuzz_parsers.py`` (see ``docs/hardening.md``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from derand_fast import _core
from derand_fast.maxcut import Graph, load_graph

_SMALL = st.integers(-3, 12)
_TOKENS = st.one_of(
    _SMALL.map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "1e-400", "0x10", "+1", "-0", "1.5", "1e3", "",
                     "99999999999999999999", "9223372036854775807", "-9223372036854775808",
                     "2147483647", "#", "%", "%%MatrixMarket", "\t", "\x00", "é", "1,2"]),
    st.text(alphabet="0123456789+-.eE#%abc \t", max_size=6),
)
_LINE = st.lists(_TOKENS, max_size=5).map(" ".join)
_TEXT = st.tuples(st.lists(_LINE, max_size=12), st.sampled_from(["\n", "\r\n", "\r"]),
                  st.booleans()).map(lambda t: (t[1].join(t[0]) + (t[1] if t[2] else "")).encode("utf-8"))


def _check_parsed(res: dict) -> None:
    """A parse result is self-consistent: equal lengths, int64 labels, finite weights, increasing lines."""
    i, j, w, line = res["i"], res["j"], res["w"], res["line"]
    assert i.dtype == np.int64 and j.dtype == np.int64 and line.dtype == np.int64
    assert i.shape == j.shape == line.shape and i.ndim == 1
    if w is not None:
        assert w.dtype == np.float64 and w.shape == i.shape
        assert np.all(np.isfinite(w))
    assert np.all(np.diff(line) > 0)
    if res["has_header"]:
        assert res["n"] >= 0 and res["m"] >= 0


def modest_sizes(data: bytes, limit: int = 10**6) -> bool:
    """False when some integer-valued token (a header's n or m, a node label) exceeds ``limit``.

    Such inputs are known to allocate memory in proportion to the declared
    size, not the input size (findings F1, F5 in docs/hardening.md): the
    fuzzers skip them until that is fixed rather than exhaust the machine.
    """
    for tok in data.split():
        try:
            value = float(tok)  # the parser also takes integral floats such as "5." or "2e0" as labels
        except ValueError:
            continue
        if math.isfinite(value) and value == int(value) and abs(value) > limit:
            return False
    return True


def _parse(data: bytes, header: bool) -> None:
    assume(modest_sizes(data))
    try:
        res = _core.parse_edge_text(data, header)
    except ValueError as exc:
        assert str(exc)  # a message, naming the line
        return
    _check_parsed(res)


@given(data=st.binary(max_size=200), header=st.booleans())
def test_parse_edge_text_random_bytes(data: bytes, header: bool) -> None:
    _parse(data, header)


@given(data=_TEXT, header=st.booleans())
def test_parse_edge_text_token_soup(data: bytes, header: bool) -> None:
    _parse(data, header)


def _check_graph(g: Graph) -> None:
    """A loaded graph is a valid symmetric CSR without self-loops and with finite weights."""
    n = g.n
    assert g.indptr.shape == (n + 1,) and g.indptr[0] == 0 and np.all(np.diff(g.indptr) >= 0)
    assert g.indices.shape == g.data.shape == (g.indptr[-1],)
    assert g.indices.size == 0 or (g.indices.min() >= 0 and g.indices.max() < n)
    assert np.all(np.isfinite(g.data))
    a = g.to_scipy()
    assert (abs(a - a.T)).sum() == 0 and a.diagonal().sum() == 0


@settings(max_examples=40)  # each example writes a file; the parser itself is fuzzed above
@given(data=_TEXT, fmt=st.sampled_from([None, "gset", "edgelist"]), loops=st.sampled_from(["error", "drop"]))
def test_load_graph_file_token_soup(tmp_path_factory: pytest.TempPathFactory, data: bytes, fmt: str | None,
                                    loops: str) -> None:
    assume(modest_sizes(data))
    path = tmp_path_factory.mktemp("fuzz") / "g.txt"
    path.write_bytes(data)
    try:
        g = load_graph(path, fmt=fmt, self_loops=loops)
    except ValueError as exc:
        assert str(path) in str(exc)  # file errors name the file
        return
    _check_graph(g)


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 15))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
                          max_size=30, unique_by=lambda p: (min(p), max(p))))
    w = draw(st.lists(st.integers(-5, 5).filter(bool), min_size=len(pairs), max_size=len(pairs)))
    e = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return n, e[:, 0], e[:, 1], np.array(w, dtype=np.float64)


@given(graph=_graphs(), crlf=st.booleans())
def test_gset_round_trip(tmp_path_factory: pytest.TempPathFactory, graph, crlf: bool) -> None:
    """A Gset file written from known edges parses back to the same graph (independent truth: the edges)."""
    n, i, j, w = graph
    eol = "\r\n" if crlf else "\n"
    text = f"{n} {i.size}{eol}" + "".join(f"{a + 1} {b + 1} {c:g}{eol}" for a, b, c in zip(i, j, w))
    path = tmp_path_factory.mktemp("rt") / "g.txt"
    path.write_bytes(text.encode())
    g = load_graph(path, fmt="gset")
    assert g.same_as(Graph.from_edges(n, i, j, w))
    dense = np.zeros((n, n))
    dense[i, j] = w
    dense[j, i] = w
    np.testing.assert_array_equal(g.to_scipy().toarray(), dense)


@given(graph=_graphs(), delta=st.integers(-3, 3).filter(bool), weighted=st.booleans())
def test_header_disagreeing_with_the_body_is_never_read(tmp_path_factory: pytest.TempPathFactory, graph,
                                                        delta: int, weighted: bool) -> None:
    """A Gset header whose m is off by ``delta`` is an error naming both counts, weighted or not."""
    n, i, j, w = graph
    m = i.size + delta
    assume(m >= 0)
    body = "".join(f"{a + 1} {b + 1}" + (f" {c:g}" if weighted else "") + "\n" for a, b, c in zip(i, j, w))
    path = tmp_path_factory.mktemp("hdr") / "g.txt"
    path.write_text(f"{n} {m}\n{body}")
    with pytest.raises(ValueError, match=rf"the header announces m = {m} edges, the file has {i.size}"):
        load_graph(path)


@given(graph=_graphs())
def test_headerless_zero_based_edge_list_round_trip(tmp_path_factory: pytest.TempPathFactory, graph) -> None:
    """A 0-based unweighted edge list (label 0 after its first line) is never mistaken for a header."""
    n, i, j, _ = graph
    assume(i.size >= 2 and min(i[1:].min(), j[1:].min()) == 0)
    path = tmp_path_factory.mktemp("el") / "g.txt"
    path.write_text("".join(f"{a} {b}\n" for a, b in zip(i, j)))
    assert load_graph(path, n=n).same_as(Graph.from_edges(n, i, j))
