"""Shared pieces of the derandomized roundings (``derand-exact``, ``derand-mc``, ``hyperplane-mc``).

The result record, the sign rule of the final cut, argument checks and the
optional local-search polish (part 1's :func:`derand_fast.maxcut.polish.local_search`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cut import cut_value
from .graph import Graph, load_graph
from .polish import local_search

__all__ = ["RoundingOutcome", "signs_of", "as_graph", "check_factor", "polish_outcome"]


@dataclass
class RoundingOutcome:
    """What a derandomized rounding returns.

    Attributes
    ----------
    x : ndarray of int8, shape (n,)
        The cut, ±1 per node (after the polish when it ran).
    cut : float
        Weight of ``x``.
    cut_before_polish : float
        Weight of the derandomized cut itself (equal to ``cut`` without polish).
    status : str
        ``"done"``, ``"time_limit"`` or ``"interrupted"`` (Ctrl-C); the best cut so far is returned.
    nit : int
        Optimisation steps taken (summed over restarts).
    time : float
        Seconds (optimisation + polish).
    history : dict of ndarray
        Recorded steps (method-specific keys, e.g. ``"step"``, ``"cut"``).
    info : dict
        Method-specific extras (e.g. ``"gw_expected_cut"``).
    """

    x: np.ndarray
    cut: float
    cut_before_polish: float
    status: str
    nit: int
    time: float
    history: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def signs_of(u: np.ndarray) -> np.ndarray:
    """The deterministic cut :math:`\\mathrm{sgn}(u)` as int8 ±1, +1 for ties (``u == 0``)."""
    return np.where(np.asarray(u) < 0.0, -1, 1).astype(np.int8)


def as_graph(graph: Any) -> Graph:
    """A :class:`~derand_fast.maxcut.graph.Graph` from anything :func:`load_graph` accepts."""
    return graph if isinstance(graph, Graph) else load_graph(graph)


def check_factor(V: Any, n: int) -> np.ndarray:
    """``V`` as a C-contiguous float64 ``(n, r)`` array with finite entries (TypeError/ValueError naming ``V``)."""
    arr = np.asarray(V)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"V must be a real numeric array, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"V must have shape (n, r) with r >= 1, got {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"V must have one row per node: {n} nodes, got {arr.shape[0]} rows")
    if not np.isfinite(arr).all():
        raise ValueError("V contains NaN or inf")
    return arr


def polish_outcome(graph: Graph, outcome: RoundingOutcome, polish: bool) -> RoundingOutcome:
    """Apply 1-flip local search to ``outcome.x`` when ``polish`` (never lowers the cut)."""
    outcome.cut_before_polish = outcome.cut
    if polish and graph.m > 0:
        ls = local_search(graph, outcome.x)
        outcome.x, outcome.cut = ls.x, float(ls.cut)
        outcome.info["polish_moves"] = int(ls.moves)
    return outcome


def best_cut_tracker(graph: Graph):
    """``(update, state)``: ``update(u)`` evaluates the sign cut of ``u`` and keeps the best one."""
    state: dict[str, Any] = {"x": np.ones(graph.n, dtype=np.int8)}
    state["cut"] = cut_value(graph, state["x"])

    def update(u: np.ndarray) -> float:
        x = signs_of(u)
        c = cut_value(graph, x)
        if c > state["cut"]:
            state["cut"], state["x"] = c, x
        return c

    return update, state
