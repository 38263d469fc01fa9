"""Shared pieces of the rounding methods (``gw``, ``derand-exact``, ``derand-mc``, ``hyperplane-mc``).

The outcome record every method returns (:class:`RoundingOutcome`), the sign
rule of the final cut and argument checks.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._result import StageResult
from .._validation import check_array
from ..runcontrol import Status
from .cut import cut_value
from .graph import Graph, load_graph
from .polish import local_search

__all__ = ["RoundingOutcome", "as_outcome", "signs_of", "as_graph", "check_factor", "polish_outcome"]


class RoundingOutcome(StageResult):
    """What every rounding method returns (a :class:`~derand_fast._result.StageResult`).

    The registry's protocol (:mod:`derand_fast.maxcut.rounding`): GW and the
    derandomized roundings all return one, and the pipeline reads it the same
    way for every method.

    Attributes
    ----------
    x : ndarray of int8, shape (n,)
        The cut, ±1 per node.
    cut : float
        Weight of ``x``.
    cut_before_polish : float, optional
        Weight of the rounding's own cut before the deprecated in-method polish
        (default ``cut``).
    status : Status (or a former status string: ``"done"``, ``"time_limit"``, ``"interrupted"``)
        Why the method stopped; the best cut so far is returned in every case.
    nit : int
        Iterations: optimisation steps (summed over restarts), hyperplanes for GW.
    time : float
        Seconds.
    history : dict of ndarray
        Recorded steps (method-specific keys, e.g. ``"step"``, ``"cut"``).
    info : dict
        Method-specific extras (e.g. ``"gw_expected_cut"``, GW's ``"gw_best"``).
    message, success
        As in every :class:`~derand_fast._result.StageResult`.

    Notes
    -----
    The registry's methods (GW included) returned a tuple ``(x, info)``
    before this type: read ``outcome.x`` and ``outcome.as_info()`` (or
    ``outcome.info``) instead. ``x, info = outcome`` now fails loudly
    (``ValueError: too many values to unpack``), never silently.
    """

    def __init__(self, x: Any, cut: float, cut_before_polish: float | None = None, status: Any = Status.COMPLETED,
                 nit: int = 0, time: float = 0.0, history: dict[str, np.ndarray] | None = None,
                 info: dict[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(status=status, x=x, cut=float(cut),
                         cut_before_polish=float(cut if cut_before_polish is None else cut_before_polish),
                         nit=int(nit), time=float(time), history={} if history is None else history,
                         info={} if info is None else info, **fields)

    @classmethod
    def from_partition(cls, graph: Graph, x: Any, **fields: Any) -> RoundingOutcome:
        """An outcome for the partition ``x`` of ``graph``, its cut evaluated here (for methods written elsewhere)."""
        from .cut import as_partition

        x = as_partition(x, graph.n)
        return cls(x=x, cut=cut_value(graph, x), **fields)

    def as_info(self) -> dict[str, Any]:
        """The JSON-friendly summary the pipeline stores as ``rounding_info`` (numbers, strings and lists).

        ``cut``, ``cut_before_polish``, ``status`` (a :class:`Status`), ``nit``, ``time``,
        ``interrupted`` (the method stopped before its end) and the scalar or list entries of ``info``.
        """
        out: dict[str, Any] = {"cut": self.cut, "cut_before_polish": self.cut_before_polish, "status": self.status,
                               "nit": self.nit, "time": self.time, "interrupted": self.status != Status.COMPLETED}
        for k, v in self.info.items():
            if isinstance(v, (bool, int, float, str)) or v is None:
                out[k] = v
            elif isinstance(v, (list, tuple)):
                out[k] = [float(e) for e in v]
        return out


def as_outcome(graph: Graph, result: Any) -> RoundingOutcome:
    """A registered method's return value as a :class:`RoundingOutcome`.

    A method written before the outcome type returned ``(partition, info)``:
    accepted for one release with a ``DeprecationWarning``, ``info`` kept as
    the outcome's ``info`` (its ``"status"``, if any, becomes the status).
    """
    if isinstance(result, RoundingOutcome):
        return result
    if isinstance(result, tuple) and len(result) == 2:
        warnings.warn("a rounding method returning (partition, info) is deprecated: return a RoundingOutcome "
                      "(RoundingOutcome.from_partition(graph, x, info=info))", DeprecationWarning, stacklevel=3)
        x, info = result
        info = dict(info or {})
        return RoundingOutcome.from_partition(graph, x, status=info.pop("status", Status.COMPLETED), info=info)
    raise TypeError(f"a rounding method must return a RoundingOutcome, got {type(result).__name__}")


def signs_of(u: np.ndarray) -> np.ndarray:
    """The deterministic cut :math:`\\mathrm{sgn}(u)` as int8 ±1, +1 for ties (``u == 0``)."""
    return np.where(np.asarray(u) < 0.0, -1, 1).astype(np.int8)


def as_graph(graph: Any) -> Graph:
    """A :class:`~derand_fast.maxcut.graph.Graph` from anything :func:`load_graph` accepts."""
    return graph if isinstance(graph, Graph) else load_graph(graph)


def check_factor(V: Any, n: int) -> np.ndarray:
    """``V`` as a C-contiguous float64 ``(n, r)`` array with finite entries (TypeError/ValueError naming ``V``)."""
    arr = check_array(V, "V", allow_empty=True, allow_bool=True)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"V must have shape (n, r) with r >= 1, got {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"V must have one row per node: {n} nodes, got {arr.shape[0]} rows")
    return arr


def polish_outcome(graph: Graph, outcome: RoundingOutcome, polish: bool | None) -> RoundingOutcome:
    """The deprecated in-method polish: 1-flip local search on ``outcome.x`` when ``polish`` (never lowers the cut).

    ``polish=None`` (the methods' default) does nothing; ``True`` / ``False``
    warn (the pipeline's ``local_search`` is the one polish; call
    :func:`~derand_fast.maxcut.polish.local_search` on ``outcome.x`` instead).
    """
    outcome.cut_before_polish = outcome.cut
    if polish is None:
        return outcome
    warnings.warn("the rounding methods' polish argument is deprecated: the pipeline's local_search is the one "
                  "polish (or call derand_fast.maxcut.local_search on the outcome's x)", DeprecationWarning,
                  stacklevel=3)
    if polish and graph.m > 0:
        ls = local_search(graph, outcome.x)
        outcome.x, outcome.cut = ls.x, float(ls.cut)
        outcome.info["local_search_moves"] = int(ls.moves)
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
