"""Cut tools (C++ kernels): cut values of ±1 vectors and 1-flip local search.

The cut of a partition :math:`x \\in \\{-1, +1\\}^n` is

.. math::

    \\mathrm{cut}(x) = \\sum_{\\{i,j\\} \\in E} w_{ij} \\, \\frac{1 - x_i x_j}{2},

edges summed in the graph's edge order (negative weights count negatively).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _core
from .._threads import thread_scope
from .graph import Graph

__all__ = ["as_partition", "cut_value", "cut_values", "local_search", "LocalSearchResult"]


def as_partition(x: Any, n: int, name: str = "x") -> np.ndarray:
    """Validate a ±1 vector of length ``n`` (any numeric dtype) and return it as int8.

    Raises
    ------
    ValueError
        Wrong length, or an entry other than +1/−1.
    """
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric with entries +1/-1, got dtype {a.dtype}")
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
    if not np.all((a == 1) | (a == -1)):
        raise ValueError(f"{name} must contain only +1 and -1")
    return np.ascontiguousarray(a, dtype=np.int8)


def cut_value(graph: Graph, x: Any) -> float:
    """Cut value of one ±1 vector.

    Parameters
    ----------
    graph : Graph
    x : array_like, shape (n,)
        Entries +1/−1.

    Returns
    -------
    float
    """
    return float(cut_values(graph, as_partition(x, graph.n)[None, :], threads=1)[0])


def cut_values(graph: Graph, X: Any, *, threads: int | None = None) -> np.ndarray:
    """Cut values of many ±1 vectors at once (rows in parallel; thread-count independent).

    Parameters
    ----------
    graph : Graph
    X : array_like, shape (k, n)
        Each row a ±1 vector.
    threads : int, optional

    Returns
    -------
    ndarray of float64, shape (k,)
    """
    a = np.asarray(X)
    if a.ndim != 2 or a.shape[1] != graph.n:
        raise ValueError(f"X must have shape (k, n={graph.n}), got {a.shape}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"X must be numeric with entries +1/-1, got dtype {a.dtype}")
    if not np.all((a == 1) | (a == -1)):
        raise ValueError("X must contain only +1 and -1")
    with thread_scope(threads) as nt:
        return _core.cut_values(graph.n, graph.u, graph.v, graph.weights, a.astype(np.int8), nt)


@dataclass
class LocalSearchResult:
    """Outcome of :func:`local_search`.

    Attributes
    ----------
    x : ndarray of int8, shape (n,)
        The improved partition.
    cut : float
        Its cut value.
    gain : float
        Cut increase over the start.
    moves : int
        Number of flips.
    converged : bool
        True when ``x`` is a 1-flip local optimum (no flip gains more than the tolerance).
    interrupted : bool
        True when Ctrl-C or the time limit stopped the search early.
    """

    x: np.ndarray
    cut: float
    gain: float
    moves: int
    converged: bool
    interrupted: bool = False


def local_search(graph: Graph, x: Any, *, max_moves: int | None = None,
                 time_limit: float | None = None) -> LocalSearchResult:
    """1-flip local search to a local optimum; never lowers the cut.

    Keeps the gains :math:`g_i = x_i \\sum_j w_{ij} x_j` (the cut increase if
    node ``i`` flips) up to date in O(deg) per flip, and flips nodes with
    :math:`g_i > \\tau` taken from a FIFO queue (initially all such nodes in
    label order; a neighbour whose gain becomes positive is appended).
    Deterministic. :math:`\\tau = 10^{-9} \\max_i \\sum_j |w_{ij}|`
    guarantees termination with real weights (with integer weights any flip
    with a positive gain is taken).

    Parameters
    ----------
    graph : Graph
    x : array_like, shape (n,)
        Start partition (±1; not modified).
    max_moves : int, optional
        Stop after this many flips (default: until a local optimum).
    time_limit : float, optional
        Seconds; Ctrl-C also stops the search, returning the best so far.

    Returns
    -------
    LocalSearchResult
    """
    x = as_partition(x, graph.n).copy()
    if max_moves is not None and (isinstance(max_moves, bool) or not isinstance(max_moves, (int, np.integer))
                                  or max_moves < 0):
        raise ValueError(f"max_moves must be a non-negative int or None, got {max_moves!r}")
    limit = math.inf if time_limit is None else float(time_limit)
    if not limit > 0:
        raise ValueError(f"time_limit must be positive or None, got {time_limit!r}")
    aw = np.abs(graph.weights)
    wdeg = np.bincount(graph.u, aw, minlength=graph.n) + np.bincount(graph.v, aw, minlength=graph.n)
    tau = 1e-9 * float(wdeg.max(initial=0.0))
    start = cut_value(graph, x)
    t0 = time.perf_counter()
    chunk = 4 * graph.n + 1024  # flips per C++ call between Ctrl-C / time checks
    remaining = math.inf if max_moves is None else int(max_moves)
    moves, converged, interrupted = 0, False, False
    try:
        while remaining > 0:
            step = int(min(chunk, remaining))
            x, _gain, done, converged = _core.local_search(graph.indptr, graph.indices, graph.data, x, step, tau)
            moves += int(done)
            remaining -= done
            if converged:
                break
            if time.perf_counter() - t0 >= limit:
                interrupted = True
                break
    except KeyboardInterrupt:
        interrupted = True
    if max_moves == 0:
        converged = bool(_core.local_search(graph.indptr, graph.indices, graph.data, x, 0, tau)[3])
    cut = cut_value(graph, x)
    return LocalSearchResult(x=x, cut=cut, gain=cut - start, moves=moves, converged=bool(converged),
                             interrupted=interrupted)
