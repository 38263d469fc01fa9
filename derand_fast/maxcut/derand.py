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

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..runcontrol import RunControl, Status, as_control
from .derand_common import RoundingOutcome
from .derand_exact import derand_exact
from .derand_mc import derand_mc, hyperplane_mc
from .graph import Graph
from .progress import make_progress
from .rounding import register_rounding, takes_control

__all__ = ["DERAND_METHODS", "outcome_info"]


def outcome_info(out: RoundingOutcome) -> dict[str, Any]:
    """The JSON-friendly ``info`` dict of a rounding outcome (numbers, strings and lists only).

    ``status`` is the outcome's status as a :class:`~derand_fast.runcontrol.Status`.
    """
    status = Status.COMPLETED if out.status == "done" else Status[out.status.upper()]
    info: dict[str, Any] = {
        "cut": out.cut, "cut_before_polish": out.cut_before_polish, "status": status, "nit": out.nit,
        "time": out.time, "interrupted": status != Status.COMPLETED,
    }
    for k, v in out.info.items():
        if isinstance(v, (bool, int, float, str)):
            info[k] = v
        elif isinstance(v, (list, tuple)):
            info[k] = [float(x) for x in v]
    return info


def _adapter(method: Callable[..., RoundingOutcome]) -> Callable[..., tuple[np.ndarray, dict[str, Any]]]:
    with_control = takes_control(method)
    takes_callback = "callback" in inspect.signature(method).parameters
    stage = f"rounding {method.__name__.replace('_', '-')}"

    def rounding(graph: Graph, V: Any, *, seed: int = 0, threads: int | None = None,
                 time_limit: float | None = None, progress: Any = None, control: RunControl | None = None,
                 **options: Any) -> tuple[np.ndarray, dict[str, Any]]:
        options.setdefault("polish", False)
        ctl = as_control(control, time_limit)
        report, close = make_progress(progress)
        if report is not None:
            report(stage, 0.0, "started")
        if report is not None and takes_callback:
            user_callback = options.get("callback")

            def callback(step: int, mu: np.ndarray, s: float) -> bool | None:
                left, spent = ctl.remaining(), ctl.elapsed()
                frac = spent / (spent + left) if math.isfinite(left) else 1.0 - s
                report(stage, frac, f"step {step}, scale {s:.3g}")
                return user_callback(step, mu, s) if user_callback is not None else None

            options["callback"] = callback
        if with_control:
            out = method(graph, V, seed=seed, threads=threads, control=ctl, **options)
        else:  # the method keeps its own clock and Ctrl-C handling: give it what is left of the run's time
            left = ctl.remaining()
            if left <= 0 or ctl.reason is not None:
                left = 1e-3
            out = method(graph, V, seed=seed, threads=threads, time_limit=None if math.isinf(left) else left,
                         **options)
            if out.status == "interrupted":
                out.status = ctl.interrupt().name.lower()
            ctl.offer(stage, out.x, out.cut)
        close()
        return out.x, outcome_info(out)

    rounding.__name__ = f"{method.__name__}_rounding"
    rounding.__doc__ = (f"Registry adapter of :func:`{method.__module__}.{method.__name__}` (``progress`` reported "
                        "through its callback where it has one).")
    return rounding


#: registry name -> method (outcome-returning functions, polish on by default)
DERAND_METHODS: dict[str, Callable[..., RoundingOutcome]] = {
    "derand-exact": derand_exact,
    "derand-mc": derand_mc,
    "hyperplane-mc": hyperplane_mc,
}

for _name, _method in DERAND_METHODS.items():
    register_rounding(_name, _adapter(_method), replace=True)
