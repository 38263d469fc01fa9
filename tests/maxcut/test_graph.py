"""Graph input: every parser path, identical graphs across sources, bad input."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from derand_fast.maxcut import Graph, load_graph

EDGES = np.array([[0, 1], [0, 2], [1, 2], [2, 3], [3, 4], [1, 4]])
WEIGHTS = np.array([1.0, -1.0, 2.5, 1.0, 1.0, 3.0])
N = 6  # node 5 isolated


def _reference() -> Graph:
    return Graph.from_edges(N, EDGES[:, 0], EDGES[:, 1], WEIGHTS)


def _gset_text(newline: str = "\n", trailing: str = "") -> str:
    lines = [f"{N} {len(EDGES)}{trailing}"] + [f"{i + 1} {j + 1} {w:g}{trailing}" for (i, j), w in zip(EDGES, WEIGHTS)]
    return newline.join(lines) + newline


def test_from_edges_builds_symmetric_csr():
    g = _reference()
    assert (g.n, g.m) == (N, 6)
    A = g.to_scipy().toarray()
    assert np.array_equal(A, A.T)
    assert A[0, 2] == -1.0 and A[1, 4] == 3.0 and A[5].sum() == 0.0
    assert np.all(g.u < g.v)
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32 and g.data.dtype == np.float64
    assert np.array_equal(g.degrees, [2, 3, 3, 2, 2, 0])


@pytest.mark.parametrize("newline,trailing", [("\n", ""), ("\r\n", ""), ("\n", " "), ("\r\n", "  \t")])
def test_gset_text_crlf_and_trailing_blanks(tmp_path, newline, trailing):
    f = tmp_path / "g.txt"
    f.write_bytes(_gset_text(newline, trailing).encode())
    g = load_graph(f)
    assert g.same_as(_reference())
    assert g.name == "g.txt"


def test_all_sources_give_identical_graphs(tmp_path):
    ref = _reference()
    nxg = nx.Graph()
    nxg.add_nodes_from(range(N))
    for (i, j), w in zip(EDGES, WEIGHTS):
        nxg.add_edge(int(i), int(j), weight=float(w))
    A = sp.coo_array((WEIGHTS, (EDGES[:, 0], EDGES[:, 1])), shape=(N, N))
    sym = (A + A.T).tocsr()
    mtx = tmp_path / "g.mtx"
    scipy.io.mmwrite(str(mtx), sym)
    gset = tmp_path / "g.gset"
    gset.write_text(_gset_text())
    el0 = tmp_path / "g0.txt"
    el0.write_text("# comment\n" + "".join(f"{i} {j} {w}\n" for (i, j), w in zip(EDGES, WEIGHTS)))
    el1 = tmp_path / "g1.txt"
    el1.write_text("% comment\n" + "".join(f"{i + 1} {j + 1} {w}\n" for (i, j), w in zip(EDGES, WEIGHTS)))
    # (source, n): edge arrays need n because node 5 is isolated.
    sources = [
        (nxg, None),
        (sym, None),
        (A.tocsr(), None),  # upper triangle only
        (sym.toarray(), None),
        ((EDGES, WEIGHTS), N),
        ((EDGES[:, ::-1], WEIGHTS), N),  # orientation does not matter
        (np.column_stack([EDGES, WEIGHTS]), N),
    ]
    for s, n in sources:
        assert load_graph(s, n=n).same_as(ref), type(s)
    for f in (mtx, gset):
        assert load_graph(f).same_as(ref), f
    for f in (el0, el1):
        assert load_graph(f, n=N).same_as(ref), f
    assert load_graph(el1, n=N, index_base=1).same_as(ref)


def test_edge_list_without_weights_and_base_detection(tmp_path):
    f = tmp_path / "e.txt"
    f.write_text("0 1\n1 2\n2 0\n")
    g = load_graph(f)
    assert (g.n, g.m) == (3, 3) and np.all(g.weights == 1.0)
    f1 = tmp_path / "e1.txt"
    f1.write_text("1 2\n2 3\n3 1\n")
    assert load_graph(f1).same_as(g)  # no label 0: 1-based
    assert load_graph(f1, index_base=0).n == 4  # forced 0-based keeps node 0 isolated


def test_header_like_first_line_of_an_unweighted_edge_list(tmp_path):
    f = tmp_path / "e.txt"
    f.write_text("0 1\n1 2\n2 3\n")  # "0 1" is not a header announcing 1 edge
    g = load_graph(f)
    assert (g.n, g.m) == (4, 3)


def test_duplicates_summed_and_isolated_nodes_kept():
    g = load_graph((np.array([[0, 1], [1, 0], [0, 1], [2, 3]]), np.array([1.0, 2.0, 0.5, 1.0])), n=6)
    assert g.n == 6 and g.m == 2
    assert g.weights.tolist() == [3.5, 1.0]
    mg = nx.MultiGraph()
    mg.add_edge("a", "b", weight=2.0)
    mg.add_edge("a", "b", weight=1.0)
    mg.add_node("z")
    g2 = load_graph(mg)
    assert (g2.n, g2.m) == (3, 1) and g2.weights.tolist() == [3.0]


def test_networkx_without_weights_relabels_in_node_order():
    g = load_graph(nx.path_graph(["x", "y", "z"]))
    assert g.edges.tolist() == [[0, 1], [1, 2]] and np.all(g.weights == 1.0)


def test_self_loops_rejected_or_dropped(tmp_path):
    with pytest.raises(ValueError, match="self-loop"):
        load_graph((np.array([[0, 0], [0, 1]]), None))
    with pytest.warns(UserWarning, match="self-loop"):
        g = load_graph((np.array([[0, 0], [0, 1]]), None), self_loops="drop")
    assert g.m == 1
    f = tmp_path / "loop.txt"
    f.write_text("3 2\n1 1 1\n1 2 1\n")
    with pytest.raises(ValueError, match=r"loop.txt: line 2: self-loop"):
        load_graph(f)
    with pytest.raises(ValueError, match="symmetric"):
        load_graph(sp.csr_array(np.array([[0.0, 1.0], [2.0, 0.0]])))
    with pytest.warns(UserWarning, match="self-loop"):
        assert load_graph(sp.eye(3, format="csr") + sp.csr_array(np.triu(np.ones((3, 3)), 1)),
                          self_loops="drop").m == 3


def test_graph_without_edges():
    g = load_graph((np.zeros((0, 2), dtype=int), None), n=4)
    assert (g.n, g.m) == (4, 0)
    assert g.indptr.tolist() == [0, 0, 0, 0, 0]


@pytest.mark.parametrize("text,match", [
    ("5\n1 2 1\n", r"line 1: header must be 'n m'"),
    ("5 x\n1 2 1\n", r"line 1: expected an integer edge count"),
    ("3 2\n1 2 1\n", r"line 2: the header announces m = 2 edges, the file has 1"),
    ("3 1\n1 2 1\n2 3 1\n", r"line 3: the header announces m = 1"),
    ("3 1\n1 4 1\n", r"line 2: node label out of range \[1, 3\]"),
    ("3 1\n0 2 1\n", r"line 2: node label out of range"),
    ("3 2\n1 2 1\n\n2 q 1\n", r"line 4: expected an integer node label, got 'q'"),
    ("3 1\n1 2 abc\n", r"line 2: expected a numeric weight, got 'abc'"),
    ("3 1\n1 2 nan\n", r"line 2: weight is not finite"),
    ("3 1\n1 2 inf\n", r"line 2: weight is not finite"),
    ("3 2\n1 2 1\n2 3 1 7\n", r"line 3: expected 'i j' or 'i j w', found 4 tokens"),
    ("3 2\n1 2 1\n2 3\n", r"line 3: expected 3 tokens"),
    ("", r"line 1: empty file"),
    ("  \r\n\n", r"line 1: empty file"),
    ("0 0\n", r"no nodes"),
])
def test_bad_files_name_file_and_line(tmp_path, text, match):
    f = tmp_path / "bad.txt"
    f.write_bytes(text.encode())
    with pytest.raises(ValueError, match=match) as info:
        load_graph(f, fmt="gset")
    assert "bad.txt" in str(info.value)


def test_bad_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_graph(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="is a directory"):
        load_graph(tmp_path)
    bad_mtx = tmp_path / "bad.mtx"
    bad_mtx.write_text("%%MatrixMarket matrix coordinate real general\n3 3 1\n1 2 x\n")
    with pytest.raises(ValueError, match="bad.mtx"):
        load_graph(bad_mtx)
    with pytest.raises(ValueError, match="directed"):
        load_graph(nx.DiGraph([(0, 1)]))
    with pytest.raises(TypeError, match="cannot read a graph"):
        load_graph(3.5)
    with pytest.raises(ValueError, match="finite"):
        load_graph((np.array([[0, 1]]), np.array([np.nan])))
    with pytest.raises(ValueError, match="outside"):
        load_graph((np.array([[0, 5]]), None), n=3)
    with pytest.raises(ValueError, match="square"):
        load_graph(sp.csr_array(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"\(m, 2\)"):
        load_graph((np.zeros((3, 3)), None))
    with pytest.raises(ValueError, match="n must be >= 0"):
        Graph.from_edges(-1, [], [])
    with pytest.raises(ValueError, match="non-numeric weight"):
        G = nx.Graph()
        G.add_edge(0, 1, weight="heavy")
        load_graph(G)


def test_gset_g1_and_crlf_file(gset_dir):
    g = load_graph(gset_dir / "G1")
    assert (g.n, g.m) == (800, 19176) and g.total_weight == 19176.0
    g56 = load_graph(gset_dir / "G56")  # CRLF line ends
    assert (g56.n, g56.m) == (5000, 12498)
    assert set(np.unique(g56.weights)) <= {-1.0, 1.0}


@pytest.mark.parametrize("text,match", [
    ("4 5\n1 2\n2 3\n3 4\n", r"line 4: the header announces m = 5 edges, the file has 3 .*fmt='edgelist'"),
    ("5 3\n", r"line 1: the header announces m = 3 edges, the file has 0"),
    ("# a comment\n5 3\n\n", r"line 2: the header announces m = 3 edges, the file has 0"),
    ("3 1\n1 2\n2 3\n", r"the header announces m = 1 edges, the file has 2"),
    ("0 0\n", r"line 1: the header 'n m' = '0 0' announces a graph with no nodes"),
    ("-4 3\n", r"line 1: header 'n m' must hold non-negative counts, got n = -4, m = 3"),
    ("4 -1\n1 2\n", r"line 1: header 'n m' must hold non-negative counts, got n = 4, m = -1"),
])
def test_header_disagreeing_with_the_body_is_an_error(tmp_path, text, match):
    # A first line 'n m' followed by labels in [1, n] is a header, whatever m says: a count that
    # disagrees with the body is an error naming both, never an extra edge.
    f = tmp_path / "h.txt"
    f.write_text(text)
    with pytest.raises(ValueError, match=match) as info:
        load_graph(f)
    assert "h.txt" in str(info.value)


def test_header_with_no_edges_and_first_edge_forced(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_text("5 0\n")
    g = load_graph(f)
    assert (g.n, g.m) == (5, 0)
    # the documented way out when a headerless list starts with its largest label
    e = tmp_path / "e.txt"
    e.write_text("3 1\n1 2\n2 3\n")
    assert load_graph(e, fmt="edgelist").same_as(Graph.from_edges(3, [0, 0, 1], [2, 1, 2]))
    # a first line whose labels exceed what a header allows is an edge: 0-based, or a label above n
    for text, (n, m) in [("0 1\n1 2\n2 3\n", (4, 3)), ("2 5\n1 2\n2 3\n", (5, 3)), ("1 3\n2 3\n", (3, 2))]:
        e.write_text(text)
        g = load_graph(e)
        assert (g.n, g.m) == (n, m), text
    # weighted body after a two-number first line: always a header
    e.write_text("9 2\n1 2 1.5\n2 3 -1\n")
    g = load_graph(e)
    assert (g.n, g.m) == (9, 2) and g.weights.tolist() == [1.5, -1.0]


def test_dense_square_arrays_are_adjacency_matrices():
    path = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
    g = load_graph(path)
    assert (g.n, g.m) == (3, 2) and g.edges.tolist() == [[0, 1], [1, 2]]
    assert load_graph(np.array([[0, 2.5], [2.5, 0]])).weights.tolist() == [2.5]
    assert load_graph(np.triu(np.ones((3, 3)), 1)).m == 3  # triangular
    assert load_graph(path.tolist()).same_as(g)
    with pytest.raises(ValueError, match=r"symmetric.*fmt='edges'"):
        load_graph(np.array([[0, 1, 2], [1, 2, 1], [2, 0, 1]]))
    # explicit edge form for square edge arrays; non-square ones stay edge lists
    tri = load_graph(np.array([[0, 1, 1], [1, 2, 1], [2, 0, 1]]), fmt="edges")
    assert (tri.n, tri.m) == (3, 3)
    assert load_graph(np.array([[0, 1], [1, 2]]), fmt="edges").edges.tolist() == [[0, 1], [1, 2]]
    assert load_graph(np.array([[0, 1], [1, 2], [2, 3]])).m == 3
    with pytest.raises(ValueError, match="square"):
        load_graph(np.array([[0, 1], [1, 2], [2, 3]]), fmt="adjacency")
    with pytest.raises(ValueError, match="fmt must be 'adjacency' or 'edges' for an array"):
        load_graph(path, fmt="gset")
    with pytest.raises(ValueError, match="fmt must be 'gset', 'edgelist' or 'mtx' for a file"):
        load_graph("g.txt", fmt="edges")


def test_maxcut_of_a_dense_path_adjacency():
    from derand_fast.maxcut import maxcut

    assert maxcut(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]]), seed=0).cut == 2.0


def test_gzip_files_read_transparently(tmp_path):
    import gzip

    ref = _reference()
    gset = _gset_text().encode()
    edges = "".join(f"{i} {j} {w}\n" for (i, j), w in zip(EDGES, WEIGHTS)).encode()
    A = sp.coo_array((WEIGHTS, (EDGES[:, 0], EDGES[:, 1])), shape=(N, N))
    scipy.io.mmwrite(str(tmp_path / "g.mtx"), (A + A.T).tocsr())
    mtx = (tmp_path / "g.mtx").read_bytes()
    for fname, data, kw in [("g.txt.gz", gset, {}), ("g.el.gz", edges, {"n": N}), ("g.mtx.gz", mtx, {}),
                            ("g_mtx_no_suffix.gz", mtx, {}), ("plain_name", gset, {})]:
        f = tmp_path / fname
        f.write_bytes(gzip.compress(data))
        assert load_graph(f, **kw).same_as(ref), fname
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(gset)[:30])
    with pytest.raises(ValueError, match="bad.gz: not a valid gzip file"):
        load_graph(bad)


def test_matrix_market_symmetric_listing_both_triangles_is_refused(tmp_path):
    f = tmp_path / "both.mtx"
    f.write_text("%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n2 1 1.5\n1 2 1.5\n3 2 2\n")
    with pytest.raises(ValueError, match=r"both.mtx: .*\(2, 1\) and \(1, 2\) are both listed.*double"):
        load_graph(f)
    # one triangle (either one, per pair) is the symmetric format: read once, not doubled
    f.write_text("%%MatrixMarket matrix coordinate real symmetric\n3 3 2\n2 1 1.5\n2 3 2\n")
    g = load_graph(f)
    assert g.edges.tolist() == [[0, 1], [1, 2]] and g.weights.tolist() == [1.5, 2.0]
    f.write_text("%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n3 2\n")
    assert load_graph(f).weights.tolist() == [1.0, 1.0]


def test_small_integer_dtypes_do_not_wrap_when_duplicates_are_summed():
    # two entries 100 at (0, 1): 200 does not fit in int8
    a = sp.coo_array((np.array([100, 100], dtype=np.int8), (np.array([0, 0]), np.array([1, 1]))), shape=(2, 2))
    assert load_graph(a).weights.tolist() == [200.0]
    b = sp.coo_array((np.array([255, 255], dtype=np.uint8), (np.array([1, 1]), np.array([0, 0]))), shape=(2, 2))
    assert load_graph(b).weights.tolist() == [510.0]


def test_weights_whose_total_overflows_are_refused():
    with pytest.raises(ValueError, match="total \\|w\\| overflows"):
        Graph.from_edges(3, [0, 1], [1, 2], [1e308, 1e308])
    with pytest.raises(ValueError, match="total \\|w\\| overflows"):  # duplicates summed to inf
        Graph.from_edges(2, [0, 1], [1, 0], [1.5e308, 1.5e308])
    g = Graph.from_edges(3, [0, 1], [1, 2], [1e307, -1e307])
    assert g.total_weight == 0.0


def test_estimate_memory_and_the_loader_guard(tmp_path, monkeypatch):
    from derand_fast.maxcut import graph as graph_module
    from derand_fast.maxcut.graph import estimate_memory
    from derand_fast.maxcut.sdp import default_rank

    n, m = 10**6, 5 * 10**5
    r = default_rank(n)
    assert estimate_memory(n, m) == estimate_memory(n, m, rank=r) == 100 * n + 160 * m + 16 * n * r
    assert estimate_memory(1000, 10**6) == 16 * 1000 + 200 * 10**6  # reading the file dominates
    assert estimate_memory(0, 0) == 0
    for bad in ({"n": -1, "m": 0}, {"n": 1, "m": 1.5}, {"n": 1, "m": 0, "rank": 0}):
        with pytest.raises(ValueError, match="must be an int"):
            estimate_memory(**bad)
    # a 19-byte file declaring 2e7 nodes: about 4.2 GiB, refused on an 8 GiB machine before any array
    f = tmp_path / "huge.txt"
    f.write_text("20000000 2\n1 2\n3 4\n")
    need = estimate_memory(2 * 10**7, 2) / 2**30
    monkeypatch.setattr(graph_module, "_physical_memory", lambda: 8 * 2**30)
    with pytest.raises(ValueError, match=rf"huge.txt: m = 2 edges on n = 20,000,000 nodes would need about "
                                         rf"{need:.1f} GiB .*half of this machine's 8.0 GiB"):
        load_graph(f)
    with pytest.raises(ValueError, match="would need about"):
        Graph.from_edges(2 * 10**7, [0], [1])
    monkeypatch.setattr(graph_module, "_physical_memory", lambda: 64 * 2**30)
    assert load_graph(tmp_path / "huge.txt").n == 2 * 10**7


def _brute_max_cut(G: nx.Graph) -> float:
    nodes = list(G)
    best = 0.0
    for mask in range(1 << (len(nodes) - 1)):
        S = {v for k, v in enumerate(nodes) if mask >> k & 1}
        best = max(best, nx.cut_size(G, S, weight="weight"))
    return best


def test_networkx_labels_survive_to_sets_sides_and_json():
    """Any hashable node labels: result.sets is networkx's (S, T), result.sides label -> ±1, both agree with
    the partition and with nx.cut_size; the JSON keeps the labels and the round trip restores them."""
    from derand_fast.maxcut import MaxCutResult, maxcut

    rng = np.random.default_rng(4)
    G = nx.Graph()
    labels = ["a", (1, "t"), 7, 2.5, frozenset({3}), ("n", (0, 1)), "z", -3]
    G.add_nodes_from(labels)
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            if rng.random() < 0.5:
                G.add_edge(labels[a], labels[b], weight=float(rng.integers(1, 6)))
    g = load_graph(G)
    assert g.labels == tuple(labels) and g.node_labels() == labels
    res = maxcut(G, seed=1, threads=1, n_hyperplanes=20)
    S, T = res.sets
    assert S | T == set(labels) and not S & T
    assert res.sides == {lab: int(x) for lab, x in zip(labels, res.partition)}
    assert S == {lab for lab, x in res.sides.items() if x == 1}
    assert nx.cut_size(G, S, T, weight="weight") == res.cut == _brute_max_cut(G)
    d = res.to_dict()
    assert d["labels"][:4] == ["a", [1, "t"], 7, 2.5] and d["labels"][4] == str(frozenset({3}))
    assert "labels[k]" in d["partition_nodes"]
    back = MaxCutResult.from_json(res.to_json())
    assert back.labels[:4] == ["a", (1, "t"), 7, 2.5] and back.labels[5] == ("n", (0, 1))
    assert back.sides[(1, "t")] == res.sides[(1, "t")] and back.version == res.version


def test_labels_kept_only_when_not_0_to_n_minus_1(tmp_path):
    from derand_fast import __version__
    from derand_fast.maxcut import MaxCutResult, maxcut

    plain = maxcut(nx.cycle_graph(5), seed=0, threads=1, n_hyperplanes=10)
    assert plain.labels is None and "labels" not in plain.to_dict()
    assert plain.sets[0] | plain.sets[1] == set(range(5)) and plain.to_dict()["version"] == __version__
    shuffled = nx.Graph([(2, 0), (0, 1), (1, 3)])  # ints, but not in the order 0..n-1
    res = maxcut(shuffled, seed=0, threads=1, n_hyperplanes=10)
    assert res.labels == [2, 0, 1, 3] and res.to_dict()["labels"] == [2, 0, 1, 3]
    assert nx.cut_size(shuffled, *res.sets) == res.cut == 3
    # files keep their 1-based ids: sets and sides name them, the JSON documents the partition's offset
    f = tmp_path / "g.txt"
    f.write_text("4 3\n1 2 1\n2 3 1\n3 4 1\n")
    res = maxcut(f, seed=0, threads=1, n_hyperplanes=10)
    assert res.index_base == 1 and set(res.sides) == {1, 2, 3, 4} and res.cut == 3
    assert res.sides[1] == res.partition[0] and res.sides[4] == res.partition[3]
    d = json.loads(res.to_json())
    assert d["index_base"] == 1 and "node k + 1" in d["partition_nodes"] and "labels" not in d
    again = MaxCutResult.from_json(json.dumps(d))
    assert again.sides == res.sides and again.version == __version__


def test_old_json_without_version_still_reads():
    from derand_fast.maxcut import MaxCutResult, maxcut

    d = json.loads(maxcut(nx.cycle_graph(4), seed=0, threads=1, n_hyperplanes=5).to_json())
    for key in ("version", "index_base", "partition_nodes"):
        d.pop(key)
    back = MaxCutResult.from_json(json.dumps(d))
    assert back.version == "unknown" and back.index_base == 0 and back.sets[0] | back.sets[1] == {0, 1, 2, 3}
