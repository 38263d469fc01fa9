"""Cut evaluation (C++ kernel): the cut values of ±1 vectors.

The cut of a partition :math:`x \\in \\{-1, +1\\}^n` is

.. math::

    \\mathrm{cut}(x) = \\sum_{\\{i,j\\} \\in E} w_{ij} \\, \\frac{1 - x_i x_j}{2},

edges summed in the graph's edge order (negative weights count negatively).
The searches that improve a partition (1-flip local search, tabu search) are
in :mod:`derand_fast.maxcut.polish`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._threads import thread_scope
from .graph import Graph

__all__ = ["as_partition", "cut_value", "cut_values"]


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
        return _core.cut_values(graph.view, a.astype(np.int8), nt)
