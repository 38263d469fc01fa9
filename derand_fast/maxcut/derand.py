"""The derandomized roundings in the MAXCUT rounding registry.

Importing this module registers ``"derand-exact"``
(:func:`~derand_fast.maxcut.derand_exact.derand_exact`), ``"derand-mc"``
(:func:`~derand_fast.maxcut.derand_mc.derand_mc`, the paper's Theorem 5.2)
and ``"hyperplane-mc"`` (:func:`~derand_fast.maxcut.derand_mc.hyperplane_mc`,
paper App. F.2) in :data:`derand_fast.maxcut.rounding.ROUNDINGS`, so that
``maxcut(graph, rounding="derand-exact")`` and
``derand-fast maxcut --rounding derand-exact`` reach them.

The registry's pipeline runs its own local search after rounding, so these
adapters default to ``polish=False`` (pass ``polish=True`` in the rounding
options to polish inside the method as well).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .derand_common import RoundingOutcome
from .derand_exact import derand_exact
from .derand_mc import derand_mc, hyperplane_mc
from .graph import Graph
from .rounding import register_rounding

__all__ = ["DERAND_METHODS", "outcome_info"]


def outcome_info(out: RoundingOutcome) -> dict[str, Any]:
    """The JSON-friendly ``info`` dict of a rounding outcome (numbers, strings and lists only)."""
    info: dict[str, Any] = {
        "cut": out.cut, "cut_before_polish": out.cut_before_polish, "status": out.status, "nit": out.nit,
        "time": out.time, "interrupted": out.status in ("interrupted", "time_limit"),
    }
    for k, v in out.info.items():
        if isinstance(v, (bool, int, float, str)):
            info[k] = v
        elif isinstance(v, (list, tuple)):
            info[k] = [float(x) for x in v]
    return info


def _adapter(method: Callable[..., RoundingOutcome]) -> Callable[..., tuple[np.ndarray, dict[str, Any]]]:
    def rounding(graph: Graph, V: Any, *, seed: int = 0, threads: int | None = None,
                 time_limit: float | None = None, progress: Any = None,
                 **options: Any) -> tuple[np.ndarray, dict[str, Any]]:
        options.setdefault("polish", False)
        out = method(graph, V, seed=seed, threads=threads, time_limit=time_limit, **options)
        return out.x, outcome_info(out)

    rounding.__name__ = f"{method.__name__}_rounding"
    rounding.__doc__ = f"Registry adapter of :func:`{method.__module__}.{method.__name__}` (``progress`` unused)."
    return rounding


#: registry name -> method (outcome-returning functions, polish on by default)
DERAND_METHODS: dict[str, Callable[..., RoundingOutcome]] = {
    "derand-exact": derand_exact,
    "derand-mc": derand_mc,
    "hyperplane-mc": hyperplane_mc,
}

for _name, _method in DERAND_METHODS.items():
    register_rounding(_name, _adapter(_method), replace=True)
