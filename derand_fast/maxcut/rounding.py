"""Rounding an SDP factor ``V`` to a cut, and the registry of rounding methods.

Every rounding method is a callable

``fn(graph, V, *, seed, threads, time_limit, progress, control, **options) -> (partition, info)``

returning a ±1 int8 vector of length ``n`` and a JSON-friendly ``dict`` of
numbers, ``info["status"]`` a :class:`~derand_fast.runcontrol.Status`.
``control`` (a :class:`~derand_fast.runcontrol.RunControl`: deadline, stop
flag, best-so-far record) is passed only to methods whose signature names it.
:data:`ROUNDINGS` maps method names to these callables;
:func:`register_rounding` adds methods defined in other modules, and
:func:`get_rounding` looks a name up for :func:`derand_fast.maxcut.maxcut`
and the command line. Methods in modules that are slow to import are listed
in :data:`LAZY_ROUNDINGS` (name -> module registering it on import) and
imported on first use, which keeps the command's start-up short.

Goemans–Williamson (``"gw"``) is the randomized baseline: ``x = sign(V z)``
for Gaussian ``z`` (Goemans & Williamson 1995; paper §5.1, Theorem 5.2 at
``μ = 0``).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _core
from .._threads import thread_scope
from ..random import standard_normal
from ..runcontrol import RunControl, Status, as_control
from .cut import cut_value
from .derand_common import check_factor
from .graph import Graph
from .progress import make_progress

__all__ = ["ROUNDINGS", "LAZY_ROUNDINGS", "register_rounding", "get_rounding", "available_roundings", "gw_rounding",
           "gw_expected_cut", "hyperplanes", "GW_STREAM0"]

RoundingFn = Callable[..., tuple[np.ndarray, dict[str, Any]]]

#: name -> rounding callable; see the module docstring for the signature.
ROUNDINGS: dict[str, RoundingFn] = {}

#: name -> module that registers the method when imported (see :func:`get_rounding`).
LAZY_ROUNDINGS: dict[str, str] = {
    "derand-exact": "derand_fast.maxcut.derand",
    "derand-mc": "derand_fast.maxcut.derand",
    "hyperplane-mc": "derand_fast.maxcut.derand",
}

#: First random stream of the GW hyperplanes: hyperplane ``h`` is stream
#: ``GW_STREAM0 + h`` of :func:`derand_fast.random.standard_normal`, disjoint
#: from the SDP start (streams ``0 .. n-1``).
GW_STREAM0 = 1 << 40

_CHUNK = 64  # at most this many hyperplanes per C++ call between Ctrl-C / time-limit checks
_CHUNK_WORK = 1 << 24  # ... and about this many node x rank + edge terms per call (~0.05 s)


def register_rounding(name: str, fn: RoundingFn, *, replace: bool = False) -> None:
    """Register a rounding method under ``name`` (``replace=True`` to overwrite)."""
    if not isinstance(name, str) or not name:
        raise ValueError("a rounding name must be a non-empty str")
    if not callable(fn):
        raise TypeError(f"rounding {name!r} must be callable")
    if name in ROUNDINGS and not replace and ROUNDINGS[name] is not fn:
        raise ValueError(f"a rounding named {name!r} is already registered")
    ROUNDINGS[name] = fn


def takes_control(fn: Callable[..., Any]) -> bool:
    """True when ``fn`` accepts a ``control`` keyword (named, or through ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return False
    return "control" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def available_roundings() -> list[str]:
    """Names accepted by :func:`get_rounding`, sorted."""
    return sorted(set(ROUNDINGS) | set(LAZY_ROUNDINGS))


def get_rounding(name: str) -> RoundingFn:
    """The rounding callable registered as ``name``, importing its module if needed.

    Raises
    ------
    ValueError
        Unknown name (the message lists the available ones).
    """
    if isinstance(name, str) and name not in ROUNDINGS and name in LAZY_ROUNDINGS:
        importlib.import_module(LAZY_ROUNDINGS[name])
    if not isinstance(name, str) or name not in ROUNDINGS:
        raise ValueError(f"unknown rounding {name!r}; available: {', '.join(available_roundings())}")
    return ROUNDINGS[name]


def hyperplanes(seed: int, first: int, count: int, rank: int, threads: int | None = None) -> np.ndarray:
    """Normals of GW hyperplanes ``first .. first+count-1``, shape ``(count, rank)``."""
    return standard_normal(seed, count, rank, first_stream=GW_STREAM0 + first, threads=threads)


def gw_expected_cut(graph: Graph, V: Any, *, threads: int | None = None) -> float:
    """Expected GW cut :math:`\\sum_E w_{ij} \\arccos(\\rho_{ij})/\\pi`, :math:`\\rho_{ij}` the cosine of ``v_i, v_j``.

    Parameters
    ----------
    graph : Graph
    V : ndarray, shape (n, r)

    Returns
    -------
    float
    """
    V = check_factor(V, graph.n)
    with thread_scope(threads) as nt:
        return float(_core.gw_expected_cut(graph.n, graph.u, graph.v, graph.weights, V, nt))


def gw_rounding(graph: Any, V: Any, *, seed: int = 0, threads: int | None = None, n_hyperplanes: int = 1000,
                time_limit: float | None = None, progress: Any = None,
                control: RunControl | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """Goemans–Williamson rounding: the best of ``n_hyperplanes`` random hyperplanes.

    Hyperplane ``h`` has normal ``z_h`` = stream ``GW_STREAM0 + h`` (seeded by
    ``seed``) and rounds to ``x = sign(V z_h)`` (``sign(0) = +1``). Cut values
    are computed in C++ in parallel, one slot per hyperplane, so the result
    is the same for every thread count.

    Parameters
    ----------
    graph : Graph or anything :func:`~derand_fast.maxcut.graph.load_graph` accepts
    V : ndarray, shape (n, r)
    seed : int
    threads : int, optional
    n_hyperplanes : int >= 1
    time_limit : float, optional
        Seconds; the clock and Ctrl-C are checked between chunks of at most
        64 hyperplanes (fewer on large graphs: ~0.05 s of work each), and the
        best so far is kept.
    progress : None, bool or callable(stage, fraction, info)
    control : RunControl, optional
        The run this stage belongs to (deadline, stop flag, best-so-far record).

    Returns
    -------
    partition : ndarray of int8, shape (n,)
        The best hyperplane's partition (lowest index among ties).
    info : dict
        ``gw_best``, ``gw_mean`` (over the hyperplanes evaluated), ``gw_expected``
        (:func:`gw_expected_cut`; None when the run had to stop), ``n_hyperplanes`` (evaluated), ``requested``,
        ``best_index``, ``status`` (:class:`~derand_fast.runcontrol.Status`) and
        ``interrupted`` (stopped before all were evaluated).
    """
    from .graph import load_graph

    graph = graph if isinstance(graph, Graph) else load_graph(graph)
    V = check_factor(V, graph.n)
    if isinstance(n_hyperplanes, bool) or not isinstance(n_hyperplanes, (int, np.integer)) or n_hyperplanes < 1:
        raise ValueError(f"n_hyperplanes must be an int >= 1, got {n_hyperplanes!r}")
    ctl = as_control(control, time_limit)  # validates time_limit
    report, close = make_progress(progress)
    r = V.shape[1]
    per_chunk = int(max(1, min(_CHUNK, _CHUNK_WORK // (graph.n * r + graph.m + 1))))
    # running best (first index among ties) and mean: memory O(chunk) whatever n_hyperplanes
    best, best_value, mean = 0, -np.inf, 0.0
    done, status = 0, Status.COMPLETED
    with thread_scope(threads) as nt:
        try:
            while done < n_hyperplanes:
                stop = ctl.poll() if done else None  # at least one chunk: GW always has a partition to give
                if stop is not None:
                    status = stop
                    break
                k = min(per_chunk, int(n_hyperplanes) - done)
                # normals drawn per chunk: memory O(chunk * r) whatever n_hyperplanes, and Ctrl-C during
                # the draw also keeps the best so far
                Z = hyperplanes(seed, done, k, r, threads=nt)
                values = _core.hyperplane_cuts(graph.n, graph.u, graph.v, graph.weights, V, Z, nt)
                i = int(np.argmax(values))
                if values[i] > best_value:
                    best, best_value = done + i, float(values[i])
                mean += (float(np.sum(values / k)) - mean) * (k / (done + k))  # no overflow near the float max
                done += k
                if report is not None:
                    report("gw", done / n_hyperplanes, f"{done}/{n_hyperplanes} hyperplanes")
        except KeyboardInterrupt:
            status = ctl.interrupt()
        finally:
            close()
        # O(m r) with an arccos per edge: skipped once the run must stop (reported as None)
        expected = (float(_core.gw_expected_cut(graph.n, graph.u, graph.v, graph.weights, V, nt))
                    if ctl.poll() is None else None)
    if done == 0:  # interrupted before the first chunk finished: one hyperplane, computed now
        best_value = mean = float(_core.hyperplane_cuts(graph.n, graph.u, graph.v, graph.weights, V,
                                                        hyperplanes(seed, 0, 1, r, threads=1), 1)[0])
        best, done = 0, 1
    x = _core.hyperplane_partition(V, hyperplanes(seed, best, 1, r, threads=1)[0])
    best_value = cut_value(graph, x)  # in the cut tool's summation order, like every cut the run compares
    ctl.offer("gw", x, best_value)
    info = {"gw_best": best_value, "gw_mean": mean, "gw_expected": expected,
            "n_hyperplanes": int(done), "requested": int(n_hyperplanes), "best_index": best, "status": status,
            "interrupted": done < n_hyperplanes}
    return x, info


register_rounding("gw", gw_rounding)
