"""Rounding an SDP factor ``V`` to a cut, and the registry of rounding methods.

The rounding protocol: every method is a callable

``fn(graph, V, *, seed=0, threads=None, time_limit=None, progress=None, control=None, **options)``

returning a :class:`~derand_fast.maxcut.derand_common.RoundingOutcome`
(``x``: a ±1 int8 vector of length ``n``, ``cut``, ``status`` a
:class:`~derand_fast.runcontrol.Status`, ``nit``, ``time``, ``info``).
``control`` (a :class:`~derand_fast.runcontrol.RunControl`: deadline, stop
flag, best-so-far record) and ``progress`` (``progress(stage, fraction,
info)``, :mod:`~derand_fast.progress`) pass straight through; the
method polls the control between chunks of work and offers its cut to the
control's record. Each method registers itself with
:func:`register_rounding` in its own module; :data:`ROUNDINGS` maps names to
the callables and :func:`get_rounding` looks a name up for
:func:`derand_fast.maxcut.maxcut` and the command line. Methods in modules
that are slow to import are listed in :data:`LAZY_ROUNDINGS` (name -> the
module that registers it on import) and imported on first use, which keeps
the command's start-up short.

Goemans–Williamson (``"gw"``) is the randomized baseline: ``x = sign(V z)``
for Gaussian ``z`` (Goemans & Williamson 1995; paper §5.1, Theorem 5.2 at
``μ = 0``).
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _core
from .._threads import thread_scope
from ..progress import make_progress
from ..random import STREAMS, standard_normal
from ..runcontrol import RunControl, Status, as_control
from .cut import cut_value
from .derand_common import RoundingOutcome, check_factor
from .graph import Graph

__all__ = ["ROUNDINGS", "LAZY_ROUNDINGS", "register_rounding", "get_rounding", "available_roundings", "gw_rounding",
           "gw_expected_cut", "hyperplanes", "GW_STREAM0", "RoundingOutcome"]

RoundingFn = Callable[..., RoundingOutcome]

#: name -> rounding callable; see the module docstring for the signature.
ROUNDINGS: dict[str, RoundingFn] = {}

#: name -> module that registers the method when imported (see :func:`get_rounding`).
LAZY_ROUNDINGS: dict[str, str] = {
    "derand-exact": "derand_fast.maxcut.derand_exact",
    "derand-mc": "derand_fast.maxcut.derand_mc",
    "hyperplane-mc": "derand_fast.maxcut.derand_mc",
}

#: First random stream of the GW hyperplanes (``STREAMS["gw.hyperplanes"]``, :mod:`derand_fast.random`):
#: hyperplane ``h`` is stream ``GW_STREAM0 + h`` of :func:`derand_fast.random.standard_normal`.
GW_STREAM0 = STREAMS["gw.hyperplanes"].first

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
        return float(_core.gw_expected_cut(graph.view, V, nt))


def gw_rounding(graph: Any, V: Any, *, seed: int = 0, threads: int | None = None, n_hyperplanes: int = 1000,
                time_limit: float | None = None, progress: Any = None,
                control: RunControl | None = None) -> RoundingOutcome:
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
    RoundingOutcome
        ``x``: the best hyperplane's partition (lowest index among ties), ``cut``
        its weight, ``status``, ``nit`` = ``nfev`` = hyperplanes evaluated, ``time``;
        ``info``: ``gw_best`` (= ``cut``), ``gw_mean`` (over the hyperplanes evaluated),
        ``gw_expected`` (:func:`gw_expected_cut`; None when the run had to stop),
        ``n_hyperplanes`` (evaluated), ``requested``, ``best_index`` and ``interrupted``
        (stopped before all were evaluated).

    Examples
    --------
    >>> import networkx as nx
    >>> from derand_fast.maxcut import solve_sdp
    >>> g = nx.cycle_graph(5)
    >>> out = gw_rounding(g, solve_sdp(g).V, n_hyperplanes=20)
    >>> out.cut, out.status.name, out.nit
    (4.0, 'COMPLETED', 20)
    """
    from .graph import load_graph

    t0 = time.perf_counter()
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
                values = _core.hyperplane_cuts(graph.view, V, Z, nt)
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
        expected = (float(_core.gw_expected_cut(graph.view, V, nt))
                    if ctl.poll() is None else None)
    if done == 0:  # interrupted before the first chunk finished: one hyperplane, computed now
        best_value = mean = float(_core.hyperplane_cuts(graph.view, V, hyperplanes(seed, 0, 1, r, threads=1), 1)[0])
        best, done = 0, 1
    x = _core.hyperplane_partition(V, hyperplanes(seed, best, 1, r, threads=1)[0])
    best_value = cut_value(graph, x)  # in the cut tool's summation order, like every cut the run compares
    ctl.offer("gw", x, best_value)
    info = {"gw_best": best_value, "gw_mean": mean, "gw_expected": expected,
            "n_hyperplanes": int(done), "requested": int(n_hyperplanes), "best_index": best,
            "interrupted": done < n_hyperplanes}
    return RoundingOutcome(x=x, cut=best_value, status=status, nit=int(done), nfev=int(done),
                           time=time.perf_counter() - t0, info=info)


register_rounding("gw", gw_rounding)
