"""The compiled graph view (``_core.GraphView``): checked once when a Graph is built, read-only afterwards,
and the only graph form the C++ kernels take."""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle

import numpy as np
import pytest

from derand_fast import _core
from derand_fast.maxcut import Graph


def _arrays(g: Graph) -> dict:
    """Writeable copies of a graph's arrays, as GraphView's keyword arguments."""
    return {"n": g.n, "u": g.u.copy(), "v": g.v.copy(), "weights": g.weights.copy(), "indptr": g.indptr.copy(),
            "indices": g.indices.copy(), "data": g.data.copy()}


@pytest.fixture
def g() -> Graph:
    # a 5-cycle plus a chord, real weights: rows of several lengths
    return Graph.from_edges(5, [0, 1, 2, 3, 4, 0], [1, 2, 3, 4, 0, 2], [1.0, 2.5, -1.0, 3.0, 0.5, 4.0])


def test_the_view_holds_the_graph_read_only(g):
    view = g.view
    assert (view.n, view.m) == (g.n, g.m) == (5, 6)
    for name in ("u", "v", "weights", "indptr", "indices", "data"):
        a = getattr(g, name)
        assert a.base is view and not a.flags.writeable
        assert np.array_equal(a, getattr(view, name))
        with pytest.raises(ValueError, match="read-only"):
            a[0] = a[1]
        with pytest.raises(ValueError, match="WRITEABLE"):  # NumPy refuses: the memory belongs to the view
            a.setflags(write=True)
    assert g.u.dtype == np.int32 and g.indptr.dtype == np.int64 and g.data.dtype == np.float64
    assert repr(view) == "GraphView(n=5, m=6)"


def test_the_view_copies_its_input(g):
    args = _arrays(g)
    view = _core.GraphView(**args)
    args["weights"][0] = 99.0  # the caller's array stays the caller's
    args["indices"][0] = 4
    assert view.weights[0] == g.weights[0] and view.indices[0] == g.indices[0]
    assert args["weights"].flags.writeable


def test_a_graph_is_checked_once_and_shares_its_view(g):
    assert dataclasses.replace(g, name="other").view is g.view  # the same arrays: no second check
    assert copy.copy(g).view is g.view
    deep = copy.deepcopy(g)
    assert deep.view is not g.view and deep.same_as(g)
    back = pickle.loads(pickle.dumps(g))
    assert back.view is not g.view and back.same_as(g) and back.name == g.name
    from derand_fast.maxcut.cut import cut_value

    x = np.array([1, -1, 1, -1, -1], np.int8)
    edges = [(0, 1, 1.0), (1, 2, 2.5), (2, 3, -1.0), (3, 4, 3.0), (0, 4, 0.5), (0, 2, 4.0)]
    truth = sum(w for a, b, w in edges if x[a] != x[b])
    assert cut_value(back, x) == cut_value(g, x) == truth == 3.0


def test_other_integer_dtypes_are_accepted_and_range_checked(g):
    args = _arrays(g)
    view = _core.GraphView(**{**args, "u": args["u"].astype(np.int64), "indices": args["indices"].astype(np.uint16),
                              "indptr": args["indptr"].astype(np.int32), "weights": args["weights"].astype(np.float32)})
    assert np.array_equal(view.indices, g.indices) and view.indices.dtype == np.int32
    big = args["u"].astype(np.int64)
    big[0] = 2**32  # would wrap to 0 as int32
    with pytest.raises(ValueError, match=r"u\[0\] = 4294967296 does not fit"):
        _core.GraphView(**{**args, "u": big})


@pytest.mark.parametrize("change, message", [
    (lambda a: {"n": -1}, r"n must be in \[0, 2\^31 - 1\)"),
    (lambda a: {"n": 2**31}, r"n must be in \[0, 2\^31 - 1\)"),
    (lambda a: {"w_short": True}, "u, v and weights must have the same length, got 6, 6, 5"),
    (lambda a: {"v": np.r_[a["v"][:-1], 7].astype(np.int32)}, r"edge 5 \(3, 7\) must satisfy 0 <= u < v < n = 5"),
    (lambda a: {"u": np.r_[-1, a["u"][1:]].astype(np.int32)}, r"edge 0 \(-1, 1\) must satisfy"),
    (lambda a: {"v": np.r_[a["v"][:1] * 0, a["v"][1:]].astype(np.int32)}, r"edge 0 \(0, 0\) must satisfy 0 <= u < v"),
    (lambda a: {"swap": True}, r"edges must be sorted by \(u, v\) without duplicates"),
    (lambda a: {"weights": np.r_[np.nan, a["weights"][1:]]}, r"weights contains NaN or inf \(first at flat index 0\)"),
    (lambda a: {"data": np.r_[a["data"][:-1], np.inf]}, r"data contains NaN or inf \(first at flat index 11\)"),
    (lambda a: {"indptr": a["indptr"][:-1]}, r"indptr must have n \+ 1 = 6 entries, got 5"),
    (lambda a: {"indptr": np.r_[1, a["indptr"][1:]]}, r"indptr\[0\] must be 0, got 1"),
    (lambda a: {"indptr": np.array([0, 3, 2, 7, 9, 12])}, r"indptr must be non-decreasing: indptr\[2\] = 2 < "),
    (lambda a: {"indptr": np.r_[a["indptr"][:-1], 13]}, r"indptr\[n\] must be 2 m = 12"),
    (lambda a: {"indices": a["indices"][:-1]}, r"indices and data must have 2 m = 12 entries, got 11 and 12"),
    (lambda a: {"indices": np.r_[a["indices"][:-1], 9].astype(np.int32)},
     r"not the symmetric CSR of the edge list .* found indices\[11\] = 9"),
    (lambda a: {"indices": np.r_[a["indices"][:-1], 4].astype(np.int32)},  # a self-loop on node 4
     r"not the symmetric CSR of the edge list"),
    (lambda a: {"data": np.r_[a["data"][:-1], 0.25]},
     r"edge 5 \(3, 4\) of weight 3.0+ belongs at position 11 of row 4, found indices\[11\] = 3, data\[11\] = 0.25"),
    (lambda a: {"indices": a["indices"][[1, 0, *range(2, 12)]]}, r"rows sorted by column"),
    (lambda a: {"u": a["u"][:, None]}, "u must be 1-dimensional, got 2 dimensions"),
])
def test_malformed_arrays_are_refused_by_name(g, change, message):
    args = _arrays(g)
    c = change(args)
    if c.pop("w_short", False):
        c["weights"] = args["weights"][:-1]
    if c.pop("swap", False):
        order = [1, 0, *range(2, g.m)]
        c = {"u": args["u"][order], "v": args["v"][order], "weights": args["weights"][order]}
    with pytest.raises(ValueError, match=message):
        _core.GraphView(**{**args, **c})


def test_a_graph_built_by_hand_is_checked(g):
    args = _arrays(g)
    args["data"][3] += 1.0  # the CSR says another weight than the edge list
    with pytest.raises(ValueError, match="not the symmetric CSR of the edge list"):
        Graph(**args)
    with pytest.raises(TypeError, match="weights must be a real array, got dtype complex128"):
        _core.GraphView(**{**_arrays(g), "weights": _arrays(g)["weights"] + 0j})
    with pytest.raises(TypeError, match="indices must be an integer array, got dtype float64"):
        _core.GraphView(**{**_arrays(g), "indices": _arrays(g)["indices"].astype(float)})


def test_kernels_take_only_a_view(g):
    V = np.eye(5, 3)
    x = np.ones(5, np.int8)
    calls = {
        "cut_values": lambda obj: _core.cut_values(obj, x[None, :], 1),
        "local_search": lambda obj: _core.local_search(obj, x, 10, 0.0),
        "hyperplane_cuts": lambda obj: _core.hyperplane_cuts(obj, V, np.ones((2, 3)), 1),
        "gw_expected_cut": lambda obj: _core.gw_expected_cut(obj, V, 1),
        "MixingSolver": lambda obj: _core.MixingSolver(obj, V.copy(), 1),
        "Annealer": lambda obj: _core.Annealer(obj, x, 0),
        "TabuSearch": lambda obj: _core.TabuSearch(obj, x, 1, 2, 10, 0, 0.0, 0),
        "ExactCut": lambda obj: _core.ExactCut(obj, V, 1),
    }
    for name, call in calls.items():
        call(g.view)  # accepted
        for wrong in (g, None, g.indptr, (g.n, g.u, g.v, g.weights)):
            with pytest.raises(TypeError, match="GraphView"):
                call(wrong)


def test_per_call_arguments_are_still_checked(g):
    view = g.view
    with pytest.raises(ValueError, match="X must have n = 5 columns, got 4"):
        _core.cut_values(view, np.ones((1, 4), np.int8), 1)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        _core.cut_values(view, np.ones((1, 5), np.int8), 0)
    with pytest.raises(ValueError, match="V must have n = 5 rows, got 4"):
        _core.gw_expected_cut(view, np.eye(4, 3), 1)
    with pytest.raises(ValueError, match="V must have n = 5 rows"):
        _core.ExactCut(view, np.eye(4, 3), 1)
    with pytest.raises(ValueError, match="scale must be a positive finite number"):
        _core.MixingSolver(view, np.eye(5, 3), 1, 0.0)
    with pytest.raises(ValueError, match="x must have n = 5 entries"):
        _core.local_search(view, np.ones(4, np.int8), 1, 0.0)


def test_a_solver_keeps_its_view_alive():
    def graph() -> Graph:
        rng = np.random.default_rng(1)
        i, j = rng.integers(0, 60, 400), rng.integers(0, 60, 400)
        return Graph.from_edges(60, i[i != j], j[i != j], rng.uniform(0.5, 2.0, int(np.sum(i != j))))

    V0 = np.random.default_rng(0).standard_normal((60, 4))
    V0 /= np.linalg.norm(V0, axis=1, keepdims=True)
    s = _core.MixingSolver(graph().view, V0.copy(), 1)  # the graph is dropped: only the solver holds its view
    gc.collect()
    _ = [np.full(1000, np.nan) for _ in range(100)]  # reuse freed memory
    s.run(30, 0.0, 10.0)
    ref = _core.MixingSolver(graph().view, V0.copy(), 1)
    ref.run(30, 0.0, 10.0)
    assert s.objective() == ref.objective() and np.array_equal(s.V, ref.V)
