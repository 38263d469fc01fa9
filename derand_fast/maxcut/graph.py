"""Weighted undirected graphs for MAXCUT, and :func:`load_graph` for every input people hold.

A :class:`Graph` is validated once and then shared by the SDP, the rounding
and the cut tools: a symmetric CSR adjacency (both directions of each edge,
no self-loops, float64 weights) plus each undirected edge once (``u < v``).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import _core

__all__ = ["Graph", "load_graph"]



#: Bytes per node the graph's own arrays take (CSR offsets, degrees, scratch),
#: measured: about 8 B/node when building a graph of isolated nodes.
_BYTES_PER_NODE = 8


def _physical_memory() -> int | None:
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return None


def _check_memory(n: int, where: str) -> None:
    """Refuse a node count whose arrays alone would take over half of this machine's memory.

    A 13-byte file declaring two billion nodes is a valid graph of isolated
    nodes, but building it would take ~16 GB before any algorithm runs; this
    turns that into a clear error instead of exhausting the machine.
    """
    total = _physical_memory()
    need = _BYTES_PER_NODE * n
    if total is not None and need > total // 2:
        raise ValueError(f"{where}n = {n:,} nodes would need about {need / 2**30:.1f} GiB for the graph "
                         f"alone, more than half of this machine's {total / 2**30:.1f} GiB")


@dataclass(frozen=True, eq=False)
class Graph:
    """A weighted undirected graph without self-loops.

    Build it with :func:`load_graph` or :meth:`Graph.from_edges`; both validate.

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
    """

    n: int
    u: np.ndarray
    v: np.ndarray
    weights: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    name: str = field(default="graph")

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
        _check_memory(n, where)
        if self_loops not in ("error", "drop"):
            raise ValueError(f"self_loops must be 'error' or 'drop', got {self_loops!r}")
        i = _as_index_array(i, "edge endpoints", where)
        j = _as_index_array(j, "edge endpoints", where)
        if i.shape != j.shape:
            raise ValueError(f"{where}edge endpoint arrays differ in length: {i.shape[0]} and {j.shape[0]}")
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
        order = np.argsort(key, kind="stable")
        key = key[order]
        w = w[order]
        if key.size:
            start = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
            wsum = np.add.reduceat(w, start) if start.size < key.size else w.copy()
            key = key[start]
        else:
            wsum = np.zeros(0)
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
        return cls(n=n, u=u, v=v, weights=np.ascontiguousarray(wsum, dtype=np.float64), indptr=indptr,
                   indices=indices, data=data, name=name)


def _as_index_array(a: Any, what: str, where: str) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a != np.floor(a)):
            raise ValueError(f"{where}{what} must be integers")
    elif a.dtype.kind not in "biu" and not (a.size == 0):
        raise TypeError(f"{where}{what} must be integers, got dtype {a.dtype}")
    return a.astype(np.int64).reshape(-1)


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
          CRLF line ends and trailing blanks are accepted;
        - a ``networkx`` graph (nodes relabelled ``0..n-1`` in iteration
          order; the edge attribute ``weight`` when present, else 1;
          multigraph parallel edges summed; directed graphs rejected);
        - a ``scipy.sparse`` matrix or array, or a dense square ndarray: the
          weighted adjacency, symmetric or triangular;
        - ``(edges, weights)``: an ``(m, 2)`` integer array (0-based) and
          ``(m,)`` weights, or ``weights=None``; a bare ``(m, 2)`` or
          ``(m, 3)`` array is an edge list ``i j [w]``;
        - a :class:`Graph` (returned as is).
    n : int, optional
        Number of nodes for edge arrays and edge lists (default: largest
        label + 1); ignored for Gset files (the header gives it) and matrices.
    fmt : {"gset", "edgelist", "mtx"}, optional
        File format; default: ``.mtx`` suffix or a ``%%MatrixMarket`` first
        line → ``"mtx"``; a first line of two integers followed by exactly
        that many edge lines → ``"gset"``; otherwise ``"edgelist"``.
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
        Malformed input; file errors name the file and the line.
    TypeError
        An unsupported source type.

    Examples
    --------
    >>> import networkx as nx
    >>> g = load_graph(nx.cycle_graph(5))
    >>> g.n, g.m
    (5, 5)
    """
    if isinstance(source, Graph):
        return source
    if isinstance(source, (str, os.PathLike)):
        return _load_file(Path(source), n=n, fmt=fmt, index_base=index_base, self_loops=self_loops, name=name)
    if hasattr(source, "adj") and hasattr(source, "is_directed"):
        return _from_networkx(source, self_loops=self_loops, name=name or "networkx graph")
    if type(source).__module__.startswith("scipy.sparse"):
        return _from_matrix(source, self_loops=self_loops, name=name or "sparse matrix")
    if isinstance(source, tuple):
        if len(source) != 2:
            raise ValueError(f"a tuple source must be (edges, weights), got {len(source)} items")
        edges, weights = source
        edges = np.asarray(edges)
        if edges.ndim != 2 or edges.shape[1] != 2:
            raise ValueError(f"edges must have shape (m, 2), got {edges.shape}")
        return _from_arrays(edges[:, 0], edges[:, 1], weights, n=n, self_loops=self_loops,
                            name=name or "edge array")
    if isinstance(source, np.ndarray) or isinstance(source, list):
        a = np.asarray(source)
        if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[1] not in (2, 3):
            return _from_matrix(a, self_loops=self_loops, name=name or "dense matrix")
        if a.ndim == 2 and a.shape[1] in (2, 3):
            w = a[:, 2] if a.shape[1] == 3 else None
            return _from_arrays(a[:, 0], a[:, 1], w, n=n, self_loops=self_loops, name=name or "edge array")
        raise ValueError(f"an array source must be an (m, 2)/(m, 3) edge list or a square matrix, got shape {a.shape}")
    raise TypeError(f"cannot read a graph from {type(source).__name__}; pass a path, a networkx graph, "
                    "a scipy.sparse matrix or (edges, weights)")


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
    return Graph.from_edges(len(nodes), i, j, w, self_loops=self_loops, name=name)


def _from_matrix(a: Any, *, self_loops: str, name: str, _where: str = "") -> Graph:
    import scipy.sparse as sp  # imported here: the command's start-up does not need SciPy

    where = f"{_where}: " if _where else ""
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"{where}an adjacency matrix must be square, got shape {a.shape}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{where}an adjacency matrix must be real, got dtype {a.dtype}")
    coo = sp.coo_array(a)
    coo.sum_duplicates()
    r, c, w = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
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


def _gset_consistent(parsed: dict[str, Any]) -> bool:
    i, j = parsed["i"], parsed["j"]
    n = int(parsed["n"])
    return (parsed["m"] == i.shape[0] and n > 0
            and (i.size == 0 or (min(i.min(), j.min()) >= 1 and max(i.max(), j.max()) <= n)))


def _detect_and_parse(path: Path, data: bytes) -> dict[str, Any]:
    """Gset if the first line is 'n m' and the rest agrees with it, else an edge list."""
    gset_error = None
    try:
        as_gset = _core.parse_edge_text(data, True)
    except ValueError as exc:
        as_gset, gset_error = None, str(exc)
    if as_gset is not None and _gset_consistent(as_gset):
        return as_gset
    try:
        return _core.parse_edge_text(data, False)
    except ValueError as exc:
        if as_gset is not None:
            return as_gset  # reported below as a Gset file (edge count, label range)
        if gset_error is not None and not gset_error.startswith("line 1:"):
            raise ValueError(f"{path}: {gset_error}") from None  # a valid 'n m' header: a broken Gset file
        raise ValueError(f"{path}: {exc}") from None


def _load_file(path: Path, *, n: int | None, fmt: str | None, index_base: int | None, self_loops: str,
               name: str | None) -> Graph:
    if fmt not in (None, "gset", "edgelist", "mtx"):
        raise ValueError(f"fmt must be 'gset', 'edgelist' or 'mtx', got {fmt!r}")
    if index_base not in (None, 0, 1):
        raise ValueError(f"index_base must be 0 or 1, got {index_base!r}")
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a graph file")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    name = name or path.name
    data = path.read_bytes()
    if fmt is None:
        first = data[:64].lstrip()
        if path.suffix.lower() == ".mtx" or first.startswith(b"%%MatrixMarket"):
            fmt = "mtx"
    if fmt == "mtx":
        import scipy.io
        import scipy.sparse as sp

        try:
            a = scipy.io.mmread(str(path))
        except Exception as exc:  # scipy raises ValueError/IndexError/... on malformed files
            raise ValueError(f"{path}: not a valid Matrix Market file ({exc})") from None
        return _from_matrix(sp.csr_array(a), self_loops=self_loops, name=name, _where=str(path))
    if not data.strip():
        raise ValueError(f"{path}: line 1: empty file, no graph")
    if fmt is None:
        parsed = _detect_and_parse(path, data)
    else:
        try:
            parsed = _core.parse_edge_text(data, fmt == "gset")
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    lines = parsed["line"]
    i, j, w = parsed["i"], parsed["j"], parsed["w"]
    if parsed["has_header"]:
        nn, m = int(parsed["n"]), int(parsed["m"])
        if i.shape[0] != m:
            last = int(lines[-1]) if lines.size else 1
            raise ValueError(f"{path}: line {last}: the header announces m = {m} edges, the file has {i.shape[0]}")
        base = 1
    else:
        base = index_base if index_base is not None else (0 if (i.size and min(i.min(), j.min()) == 0) else 1)
        nn = n if n is not None else int(max(i.max(initial=base - 1), j.max(initial=base - 1))) + 1 - base
    if nn == 0:
        raise ValueError(f"{path}: line 1: the graph has no nodes")
    i = i - base
    j = j - base
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
    return Graph.from_edges(nn, i, j, w, self_loops=self_loops, name=name, _where=str(path))
