"""Weighted undirected graphs for MAXCUT, and :func:`load_graph` for every input people hold.

A :class:`Graph` is validated once and then shared by the SDP, the rounding
and the cut tools: a symmetric CSR adjacency (both directions of each edge,
no self-loops, float64 weights) plus each undirected edge once (``u < v``).
Its arrays live in a compiled :attr:`Graph.view` (checked once when the graph
is built, read-only afterwards) that every C++ kernel takes as it is.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import warnings
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import _core

__all__ = ["Graph", "estimate_memory", "load_graph"]

#: Measured peak cost of the whole pipeline (load a text file, SDP, GW, derand-exact, tabu search) beyond the
#: interpreter's own memory; see :func:`estimate_memory`.
_LOAD_BYTES_PER_NODE = 16
_LOAD_BYTES_PER_EDGE = 200
_RUN_BYTES_PER_NODE = 100
_RUN_BYTES_PER_EDGE = 160
_RUN_FACTOR_COPIES = 2  # the SDP factor V (8 n r bytes) and one n x r working array of the same size


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return None


def estimate_memory(n: int, m: int, rank: int | None = None) -> int:
    r"""Peak memory, in bytes, of the MAXCUT pipeline on a graph with ``n`` nodes and ``m`` edges.

    The larger of two phases. Reading a text file: the file's bytes (lines
    of up to ~30 characters), the parsed columns and the sorts that build
    the CSR, about 8 bytes a node and 185 an edge. The solve: the graph's
    arrays (40 bytes an edge), the SDP factor ``V`` of ``8·n·rank`` bytes
    plus a working array of the same size, the GW, derand-exact and
    tabu-search scratch: about ``82 + 14.2·rank`` bytes a node and 130 an
    edge. Measured as the peak resident set of the whole pipeline (default
    derand-exact rounding and tabu polish, one thread) above that of the
    interpreter with NumPy, SciPy and Numba loaded (about 0.2 GB, not
    included), on random graphs with 10^5 to 2·10^7 nodes, 0 to 1.2·10^6
    edges and ranks 8 and 32; the estimate bounds every measurement:

    .. math::

        \max\bigl(16 n + 200 m,\; 100 n + 160 m + 16 n r\bigr)

    Parameters
    ----------
    n, m : int >= 0
        Nodes and undirected edges.
    rank : int >= 1, optional
        SDP rank; default :func:`~derand_fast.maxcut.sdp.default_rank` ``(n)``.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> estimate_memory(800, 19176, rank=40) / 2**20  # G1: reading the file dominates
    3.669...
    """
    from .sdp import default_rank  # sdp imports this module

    for value, what in ((n, "n"), (m, "m")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{what} must be an int >= 0, got {value!r}")
    n, m = int(n), int(m)
    if rank is None:
        rank = default_rank(n)
    elif isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise ValueError(f"rank must be an int >= 1, got {rank!r}")
    load = _LOAD_BYTES_PER_NODE * n + _LOAD_BYTES_PER_EDGE * m
    run = _RUN_BYTES_PER_NODE * n + _RUN_BYTES_PER_EDGE * m + _RUN_FACTOR_COPIES * 8 * n * int(rank)
    return max(load, run)


def _check_memory(n: int, m: int, where: str) -> None:
    """Refuse a graph whose pipeline (:func:`estimate_memory`) needs over half of this machine's memory.

    A few bytes of file can declare millions of nodes: this turns that into
    a clear error before any array is built instead of exhausting the machine.
    """
    total = _physical_memory()
    need = estimate_memory(n, m)
    if total is not None and need > total // 2:
        raise ValueError(f"{where}m = {m:,} edges on n = {n:,} nodes would need about {need / 2**30:.1f} GiB "
                         f"(estimate_memory), more than half of this machine's {total / 2**30:.1f} GiB")


_ARRAY_FIELDS = ("u", "v", "weights", "indptr", "indices", "data")


@dataclass(frozen=True, eq=False)
class Graph:
    """A weighted undirected graph without self-loops.

    Build it with :func:`load_graph` or :meth:`Graph.from_edges`; both validate.
    Building a ``Graph`` copies its arrays into a compiled view
    (:attr:`view`) that checks them once, O(n + m): the edge list and the
    CSR must describe the same graph (the CSR's rows sorted by column), and
    every C++ kernel then takes the view without checking the graph again.
    The attributes below are read-only NumPy views of that memory, so the
    checked graph cannot change afterwards (NumPy refuses to make them
    writeable); copy an array to modify it.

    Attributes
    ----------
    n : int
        Number of nodes (isolated nodes included).
    u, v : ndarray of int32, shape (m,)
        Each undirected edge once, ``u < v``, sorted by ``(u, v)``.
    weights : ndarray of float64, shape (m,)
        Edge weights (duplicates in the input are summed; any sign).
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32, shape (2 m,)
    data : ndarray of float64, shape (2 m,)
        Symmetric CSR adjacency: both directions of every edge.
    name : str
        A label for reports (file name or input kind).
    labels : tuple or None
        The caller's node labels, node ``k`` is ``labels[k]`` (a networkx
        graph whose nodes are not ``0..n-1`` in order); None when node ``k``
        is ``k + index_base``.
    index_base : int
        The first node id of the source: 1 for files (Gset/rudy and 1-based
        edge lists keep their ids), 0 otherwise.
    """

    n: int
    u: np.ndarray
    v: np.ndarray
    weights: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    name: str = field(default="graph")
    labels: tuple[Any, ...] | None = None
    index_base: int = 0
    _view: _core.GraphView = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.labels is not None and len(self.labels) != self.n:
            raise ValueError(f"labels has {len(self.labels)} entries for n = {self.n} nodes")
        arrays = tuple(getattr(self, name) for name in _ARRAY_FIELDS)
        view = getattr(self.u, "base", None)
        if not (isinstance(view, _core.GraphView) and view.n == self.n and all(a.base is view for a in arrays)):
            # not the arrays of one view already (dataclasses.replace, copy.copy): check and copy them
            view = _core.GraphView(self.n, *arrays)
            for name in _ARRAY_FIELDS:
                object.__setattr__(self, name, getattr(view, name))
        object.__setattr__(self, "_view", view)

    @property
    def view(self) -> _core.GraphView:
        """The graph as every C++ kernel takes it (``derand_fast._core.GraphView``), checked once at construction."""
        return self._view

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled as the constructor's arguments: the compiled view is rebuilt (and checked) on unpickling
        return (type(self), (self.n, self.u, self.v, self.weights, self.indptr, self.indices, self.data, self.name,
                             self.labels, self.index_base))

    def node_labels(self) -> list[Any]:
        """Label of every node: ``labels``, or ``index_base, index_base + 1, ...``."""
        if self.labels is not None:
            return list(self.labels)
        return list(range(self.index_base, self.index_base + self.n))

    @property
    def m(self) -> int:
        """Number of undirected edges."""
        return int(self.weights.shape[0])

    @property
    def edges(self) -> np.ndarray:
        """The edges as an ``(m, 2)`` int64 array, ``u < v``."""
        return np.stack([self.u, self.v], axis=1).astype(np.int64)

    @property
    def total_weight(self) -> float:
        """Sum of all edge weights (the cut of a graph with every edge cut)."""
        return float(self.weights.sum())

    @property
    def degrees(self) -> np.ndarray:
        """Unweighted degrees, shape ``(n,)``."""
        return np.diff(self.indptr)

    def to_scipy(self) -> Any:
        """The symmetric weighted adjacency as a SciPy ``csr_array``, shape ``(n, n)``."""
        import scipy.sparse as sp

        return sp.csr_array((self.data, self.indices, self.indptr), shape=(self.n, self.n))

    def same_as(self, other: Graph) -> bool:
        """True if ``other`` has the same nodes, edges and weights (names may differ)."""
        return (self.n == other.n and np.array_equal(self.u, other.u) and np.array_equal(self.v, other.v)
                and np.array_equal(self.weights, other.weights))

    def __repr__(self) -> str:
        return f"Graph(name={self.name!r}, n={self.n}, m={self.m})"

    @classmethod
    def from_edges(cls, n: int, i: Any, j: Any, w: Any = None, *, self_loops: str = "error",
                   name: str = "graph", _where: str = "") -> Graph:
        """Build a graph from 0-based edge arrays.

        Parameters
        ----------
        n : int >= 0
            Number of nodes; every label must lie in ``[0, n)``.
        i, j : array_like of int, shape (k,)
            Edge endpoints (either orientation).
        w : array_like of float, shape (k,), optional
            Weights (default 1). Duplicate edges are summed; edges whose
            summed weight is 0 are kept (they do not change any cut).
        self_loops : {"error", "drop"}
            A self-loop ``i == j`` raises ``ValueError`` or is dropped with a
            ``UserWarning`` (it never contributes to a cut).
        name : str

        Returns
        -------
        Graph
        """
        where = f"{_where}: " if _where else ""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"{where}n must be an int, got {type(n).__name__}")
        n = int(n)
        if n < 0:
            raise ValueError(f"{where}n must be >= 0, got {n}")
        if n >= 2**31 - 1:
            raise ValueError(f"{where}n = {n} is too large (node labels are int32)")
        if self_loops not in ("error", "drop"):
            raise ValueError(f"self_loops must be 'error' or 'drop', got {self_loops!r}")
        i = _as_index_array(i, "edge endpoints", where)
        j = _as_index_array(j, "edge endpoints", where)
        if i.shape != j.shape:
            raise ValueError(f"{where}edge endpoint arrays differ in length: {i.shape[0]} and {j.shape[0]}")
        _check_memory(n, i.shape[0], where)
        if w is None:
            w = np.ones(i.shape[0])
        else:
            w = np.asarray(w)
            if w.dtype.kind not in "biuf":
                raise TypeError(f"{where}weights must be numeric, got dtype {w.dtype}")
            w = w.astype(np.float64, copy=False).reshape(-1) if w.ndim <= 1 else w
            if w.ndim != 1 or w.shape[0] != i.shape[0]:
                raise ValueError(f"{where}weights must have shape ({i.shape[0]},), got {np.shape(w)}")
            if not np.all(np.isfinite(w)):
                k = int(np.flatnonzero(~np.isfinite(w))[0])
                raise ValueError(f"{where}weights must be finite (edge {k} has {w[k]})")
        if i.size:
            bad = (i < 0) | (i >= n) | (j < 0) | (j >= n)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise ValueError(f"{where}edge {k} ({i[k]}, {j[k]}) has a node label outside [0, {n})")
        loops = i == j
        if loops.any():
            k = int(np.flatnonzero(loops)[0])
            if self_loops == "error":
                raise ValueError(f"{where}edge {k} is a self-loop on node {i[k]} "
                                 "(pass self_loops='drop' to ignore self-loops)")
            warnings.warn(f"{where}dropped {int(loops.sum())} self-loop(s); they never contribute to a cut",
                          UserWarning, stacklevel=3)
            keep = ~loops
            i, j, w = i[keep], j[keep], w[keep]
        lo = np.minimum(i, j)
        hi = np.maximum(i, j)
        key = lo * np.int64(n) + hi
        del lo, hi
        order = np.argsort(key, kind="stable")
        key = key[order]
        w = w[order]
        if key.size:
            start = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
            with np.errstate(over="ignore"):  # an overflowing sum is refused by _check_total_weight
                wsum = np.add.reduceat(w, start) if start.size < key.size else w.copy()
            key = key[start]
        else:
            wsum = np.zeros(0)
        _check_total_weight(wsum, where)
        u = (key // n).astype(np.int32) if n else np.zeros(0, np.int32)
        v = (key % n).astype(np.int32) if n else np.zeros(0, np.int32)
        # Symmetric CSR: rows = both endpoints; sort by (row, col).
        rows = np.concatenate([u, v]).astype(np.int64)
        cols = np.concatenate([v, u])
        vals = np.concatenate([wsum, wsum])
        order = np.argsort(rows * max(n, 1) + cols, kind="stable")
        indices = np.ascontiguousarray(cols[order], dtype=np.int32)
        data = np.ascontiguousarray(vals[order])
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        del rows, cols, vals, order, key  # the graph copies its arrays into its view: free the sort's first
        return cls(n=n, u=u, v=v, weights=np.ascontiguousarray(wsum, dtype=np.float64), indptr=indptr,
                   indices=indices, data=data, name=name)


def _check_total_weight(w: np.ndarray, where: str) -> None:
    """Refuse weights whose sums overflow float64: every cut and the SDP value are such sums."""
    with np.errstate(over="ignore"):
        total = float(np.abs(w).sum())
    if not math.isfinite(total):
        big = float(np.abs(w).max())
        raise ValueError(f"{where}the weights cannot be summed in float64: the total |w| overflows "
                         f"(largest |w| = {big:.3g} after summing duplicate edges, {w.shape[0]} edges); "
                         "divide the weights by a common factor")


def _as_index_array(a: Any, what: str, where: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a != np.floor(a)):
            raise ValueError(f"{where}{what} must be integers")
    elif a.dtype.kind not in "biu" and not (a.size == 0):
        raise TypeError(f"{where}{what} must be integers, got dtype {a.dtype}")
    return a.astype(np.int64, copy=False).reshape(-1)


def load_graph(source: Any, *, n: int | None = None, fmt: str | None = None, index_base: int | None = None,
               self_loops: str = "error", name: str | None = None) -> Graph:
    """Load a weighted undirected graph from a file, a library object or arrays.

    Parameters
    ----------
    source
        One of

        - a path (``str`` or ``os.PathLike``) to a text file: Gset/rudy
          (``n m`` header, then ``i j w`` lines, 1-based), a plain edge list
          (``i j`` or ``i j w`` per line; ``#``/``%`` comment lines allowed),
          or Matrix Market (``.mtx``, read with :func:`scipy.io.mmread`).
          CRLF line ends and trailing blanks are accepted; a gzip-compressed
          file (``.gz``, recognised by its content) is read transparently;
        - a ``networkx`` graph (nodes relabelled ``0..n-1`` in iteration
          order, the original labels kept in :attr:`Graph.labels` unless they
          are ``0..n-1`` already; the edge attribute ``weight`` when present,
          else 1; multigraph parallel edges summed; directed graphs rejected);
        - a ``scipy.sparse`` matrix or array, or a dense square ndarray
          (any size, 2×2 and 3×3 included): the weighted adjacency,
          symmetric or triangular;
        - ``(edges, weights)``: an ``(m, 2)`` integer array (0-based) and
          ``(m,)`` weights, or ``weights=None``; a non-square ``(m, 2)`` or
          ``(m, 3)`` array is an edge list ``i j [w]`` (a square one needs
          ``fmt="edges"``);
        - a :class:`Graph` (returned as is).
    n : int, optional
        Number of nodes for edge arrays and edge lists (default: largest
        label + 1); ignored for Gset files (the header gives it) and matrices.
    fmt : str, optional
        For a file, one of ``"gset"``, ``"edgelist"``, ``"mtx"``. Default:
        ``"mtx"`` for a ``.mtx`` (or ``.mtx.gz``) name or a
        ``%%MatrixMarket`` first line; otherwise the first data line decides
        (see Notes). For an array, ``"adjacency"`` or ``"edges"``; default:
        a square array is an adjacency matrix, an ``(m, 2)`` or ``(m, 3)``
        one an edge list.
    index_base : {0, 1}, optional
        Label base of an edge-list file (Gset files are 1-based). Default:
        0 if some label is 0, else 1.
    self_loops : {"error", "drop"}
    name : str, optional
        Label for reports (default: the file name).

    Returns
    -------
    Graph

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Malformed input (file errors name the file and the line), or a graph
        whose pipeline would need more memory than this machine has
        (:func:`estimate_memory`).
    TypeError
        An unsupported source type.

    Notes
    -----
    **Header or edge?** A text file's first data line ``a b`` of two
    integers is the Gset/rudy header ``n m`` when the lines after it hold
    three numbers (``i j w``: an edge list has the same number of columns on
    every line), or when every node label after it lies in ``[1, a]`` (the
    labels of a 1-based graph with ``a`` nodes), including when no line
    follows. A header must then agree with the file: ``m`` edge lines
    follow, else the error names both counts. Otherwise (a label 0 or above
    ``a`` follows) the line is the first edge of a headerless edge list.
    A genuine edge list whose first edge ``a b`` has the largest label
    ``a`` is therefore taken for a header: pass ``fmt="edgelist"``.

    Examples
    --------
    >>> import networkx as nx
    >>> g = load_graph(nx.cycle_graph(5))
    >>> g.n, g.m
    (5, 5)
    >>> load_graph(np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])).m  # a path: adjacency
    2
    >>> load_graph(np.array([[0, 1, 1], [1, 2, 1], [2, 0, 1]]), fmt="edges").m  # a triangle
    3
    """
    if isinstance(source, Graph):
        return source
    if isinstance(source, (str, os.PathLike)):
        return _load_file(Path(source), n=n, fmt=fmt, index_base=index_base, self_loops=self_loops, name=name)
    if hasattr(source, "adj") and hasattr(source, "is_directed"):
        _check_array_fmt(fmt, (None,), "a networkx graph")
        return _from_networkx(source, self_loops=self_loops, name=name or "networkx graph")
    if type(source).__module__.startswith("scipy.sparse"):
        _check_array_fmt(fmt, (None, "adjacency"), "a scipy.sparse matrix")
        return _from_matrix(source, self_loops=self_loops, name=name or "sparse matrix")
    if isinstance(source, tuple):
        _check_array_fmt(fmt, (None, "edges"), "an (edges, weights) pair")
        if len(source) != 2:
            raise ValueError(f"a tuple source must be (edges, weights), got {len(source)} items")
        edges, weights = source
        edges = np.asarray(edges)
        if edges.ndim != 2 or edges.shape[1] != 2:
            raise ValueError(f"edges must have shape (m, 2), got {edges.shape}")
        return _from_arrays(edges[:, 0], edges[:, 1], weights, n=n, self_loops=self_loops,
                            name=name or "edge array")
    if isinstance(source, np.ndarray) or isinstance(source, list):
        _check_array_fmt(fmt, (None, "adjacency", "edges"), "an array")
        a = np.asarray(source)
        square = a.ndim == 2 and a.shape[0] == a.shape[1]
        if fmt == "adjacency" or (fmt is None and square):
            if not square:
                raise ValueError(f"an adjacency matrix must be square, got shape {a.shape}")
            try:
                return _from_matrix(a, self_loops=self_loops, name=name or "dense matrix")
            except ValueError as exc:
                if fmt is None and a.shape[1] in (2, 3):
                    raise ValueError(f"{exc} (a square array is an adjacency matrix; "
                                     "pass fmt='edges' for an edge list)") from None
                raise
        if a.ndim == 2 and a.shape[1] in (2, 3):
            w = a[:, 2] if a.shape[1] == 3 else None
            return _from_arrays(a[:, 0], a[:, 1], w, n=n, self_loops=self_loops, name=name or "edge array")
        raise ValueError(f"an array source must be a square adjacency matrix or an (m, 2)/(m, 3) edge list, "
                         f"got shape {a.shape}")
    raise TypeError(f"cannot read a graph from {type(source).__name__}; pass a path, a networkx graph, "
                    "a scipy.sparse matrix, an array or (edges, weights)")


def _check_array_fmt(fmt: str | None, allowed: tuple[str | None, ...], what: str) -> None:
    if fmt not in allowed:
        names = " or ".join(repr(f) for f in allowed if f is not None)
        raise ValueError(f"fmt must be {names or 'None'} for {what}, got {fmt!r}")


def _from_arrays(i: Any, j: Any, w: Any, *, n: int | None, self_loops: str, name: str) -> Graph:
    i = _as_index_array(i, "edge endpoints", "")
    j = _as_index_array(j, "edge endpoints", "")
    if n is None:
        n = int(max(i.max(initial=-1), j.max(initial=-1))) + 1
    return Graph.from_edges(n, i, j, w, self_loops=self_loops, name=name)


def _from_networkx(g: Any, *, self_loops: str, name: str) -> Graph:
    if g.is_directed():
        raise ValueError("directed networkx graphs are not supported: pass G.to_undirected()")
    nodes = list(g.nodes)
    index = {node: k for k, node in enumerate(nodes)}
    m = g.number_of_edges()
    i = np.empty(m, dtype=np.int64)
    j = np.empty(m, dtype=np.int64)
    w = np.empty(m, dtype=np.float64)
    for k, (a, b, wt) in enumerate(g.edges(data="weight", default=1.0)):
        i[k] = index[a]
        j[k] = index[b]
        try:
            w[k] = float(wt)
        except (TypeError, ValueError):
            raise ValueError(f"edge ({a!r}, {b!r}) has a non-numeric weight {wt!r}") from None
    g = Graph.from_edges(len(nodes), i, j, w, self_loops=self_loops, name=name)
    return g if nodes == list(range(len(nodes))) else replace(g, labels=tuple(nodes))


def _from_matrix(a: Any, *, self_loops: str, name: str, _where: str = "") -> Graph:
    import scipy.sparse as sp  # imported here: the command's start-up does not need SciPy

    where = f"{_where}: " if _where else ""
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{where}an adjacency matrix must be square, got shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{where}an adjacency matrix must be real, got dtype {a.dtype}")
    # float64 before duplicates are summed: an int8 matrix would wrap around silently
    coo = sp.coo_array(a).astype(np.float64)
    coo.sum_duplicates()
    r, c, w = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{where}the adjacency matrix has NaN or inf entries")
    nz = w != 0
    r, c, w = r[nz], c[nz], w[nz]
    upper, lower = r < c, r > c
    if upper.any() and lower.any():
        diff = abs(sp.csr_array((w, (r, c)), shape=a.shape) - sp.csr_array((w, (c, r)), shape=a.shape))
        if diff.nnz and diff.max() > 1e-12 * max(1.0, float(np.abs(w).max())):
            raise ValueError(f"{where}the adjacency matrix must be symmetric or triangular")
        keep = upper | (r == c)
        r, c, w = r[keep], c[keep], w[keep]
    return Graph.from_edges(int(a.shape[0]), r, c, w, self_loops=self_loops, name=name, _where=_where)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when they are gzip data (whatever the name)."""
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    total = _physical_memory()
    limit = total // 2 if total is not None else -1
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            text = f.read(limit + 1 if limit >= 0 else -1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: not a valid gzip file ({exc})") from None
    if total is not None and limit < len(text):
        raise ValueError(f"{path}: decompresses to more than {limit / 2**30:.1f} GiB, "
                         f"half of this machine's {total / 2**30:.1f} GiB")
    return text


def _read_mtx(path: Path, data: bytes, *, self_loops: str, name: str) -> Graph:
    """A Matrix Market file; a ``symmetric`` one must list each off-diagonal pair once."""
    import scipy.io
    import scipy.sparse as sp

    first = data.lstrip().split(b"\n", 1)[0].split()
    symmetric = (len(first) == 5 and first[2].lower() == b"coordinate" and first[4].lower() == b"symmetric")
    if symmetric:
        # read the entries as written (mmread would mirror them), then check that no pair is listed twice
        start = data.index(first[4])
        data = data[:start] + b"general" + data[start + len(first[4]):]
    try:
        a = sp.coo_array(scipy.io.mmread(io.BytesIO(data)))
    except Exception as exc:  # scipy raises ValueError/IndexError/... on malformed files
        raise ValueError(f"{path}: not a valid Matrix Market file ({exc})") from None
    if symmetric:
        r, c = a.row.astype(np.int64), a.col.astype(np.int64)
        lo, hi = np.minimum(r, c), np.maximum(r, c)
        key = lo * np.int64(max(a.shape[0], 1)) + hi
        both = np.intersect1d(key[r > c], key[r < c])
        if both.size:
            i, j = divmod(int(both[0]), max(a.shape[0], 1))
            raise ValueError(f"{path}: a 'symmetric' Matrix Market file lists each off-diagonal entry once, "
                             f"but ({j + 1}, {i + 1}) and ({i + 1}, {j + 1}) are both listed: reading both "
                             "triangles would double their weights; keep one triangle or declare the file "
                             "'general'")
        a = sp.coo_array((a.data, (lo, hi)), shape=a.shape)  # upper triangle: one entry per pair
    return replace(_from_matrix(a, self_loops=self_loops, name=name, _where=str(path)), index_base=1)


def _detect_and_parse(path: Path, data: bytes) -> tuple[dict[str, Any], bool]:
    """Parse edge text whose first line may be a Gset header (rule in :func:`load_graph`'s Notes).

    Returns the parse and whether its header was decided from the content.
    """
    try:
        parsed = _core.parse_edge_text(data, True)
    except ValueError as exc:
        message = str(exc)
        if "non-negative" in message or "in the header" not in message and "header must be" not in message:
            raise ValueError(f"{path}: {message}") from None  # a negative count, or a bad line after a header
        try:  # the first data line is not 'n m': a headerless edge list
            return _core.parse_edge_text(data, False), False
        except ValueError as exc2:
            raise ValueError(f"{path}: {exc2}") from None
    i, j = parsed["i"], parsed["j"]
    labels_fit = i.size == 0 or (min(i.min(), j.min()) >= 1 and max(i.max(), j.max()) <= parsed["n"])
    if parsed["columns"] == 3 or labels_fit:
        return parsed, True
    # the first line is an edge: prepend it
    head = np.array([parsed["n"]]), np.array([parsed["m"]]), np.array([parsed["header_line"]])
    return {"has_header": False, "columns": 2, "w": None, "i": np.concatenate([head[0], i]),
            "j": np.concatenate([head[1], j]), "line": np.concatenate([head[2], parsed["line"]])}, False


def _load_file(path: Path, *, n: int | None, fmt: str | None, index_base: int | None, self_loops: str,
               name: str | None) -> Graph:
    if fmt not in (None, "gset", "edgelist", "mtx"):
        raise ValueError(f"fmt must be 'gset', 'edgelist' or 'mtx' for a file, got {fmt!r}")
    if index_base not in (None, 0, 1):
        raise ValueError(f"index_base must be 0 or 1, got {index_base!r}")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a graph file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    name = name or path.name
    data = _read_bytes(path)
    if fmt is None:
        stem = path.name.lower().removesuffix(".gz")
        if stem.endswith(".mtx") or data[:64].lstrip().startswith(b"%%MatrixMarket"):
            fmt = "mtx"
    if fmt == "mtx":
        return _read_mtx(path, data, self_loops=self_loops, name=name)
    if not data.strip():
        raise ValueError(f"{path}: line 1: empty file, no graph")
    detected = False
    if fmt is None:
        parsed, detected = _detect_and_parse(path, data)
    else:
        try:
            parsed = _core.parse_edge_text(data, fmt == "gset")
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    lines = parsed["line"]
    i, j, w = parsed["i"], parsed["j"], parsed["w"]
    if parsed["has_header"]:
        nn, m, hline = int(parsed["n"]), int(parsed["m"]), int(parsed["header_line"])
        if nn == 0:
            raise ValueError(f"{path}: line {hline}: the header 'n m' = '{nn} {m}' announces a graph with no nodes")
        if i.shape[0] != m:
            last = int(lines[-1]) if lines.size else hline
            hint = (f" (if line {hline} is an edge, not a header 'n m', pass fmt='edgelist')"
                    if detected and parsed["columns"] != 3 else "")
            raise ValueError(f"{path}: line {last}: the header announces m = {m} edges, the file has "
                             f"{i.shape[0]}{hint}")
        base = 1
    else:
        base = index_base if index_base is not None else (0 if (i.size and min(i.min(), j.min()) == 0) else 1)
        nn = n if n is not None else int(max(i.max(initial=base - 1), j.max(initial=base - 1))) + 1 - base
        if nn == 0:
            raise ValueError(f"{path}: line 1: the graph has no nodes")
    _check_memory(nn, i.shape[0], f"{path}: ")
    del parsed
    i -= base  # the parser's own arrays: shifted in place
    j -= base
    bad = (i < 0) | (i >= nn) | (j < 0) | (j >= nn)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}: line {int(lines[k])}: node label out of range "
                         f"[{base}, {nn - 1 + base}]: '{i[k] + base} {j[k] + base}'")
    loops = i == j
    if loops.any() and self_loops == "error":
        k = int(np.flatnonzero(loops)[0])
        raise ValueError(f"{path}: line {int(lines[k])}: self-loop on node {i[k] + base} "
                         "(pass self_loops='drop' to ignore self-loops)")
    g = Graph.from_edges(nn, i, j, w, self_loops=self_loops, name=name, _where=str(path))
    return replace(g, index_base=base) if base else g
