"""Simulated annealing for MAXCUT (C++ kernel): the anytime polish of a partition.

A *sweep* visits the nodes ``0 .. n-1`` in order and flips node ``i`` with
the Metropolis probability :math:`\\min(1, e^{\\beta g_i})`, where
:math:`g_i = x_i \\sum_j w_{ij} x_j` is the cut increase if ``i`` flips; so
:math:`\\beta` is an inverse temperature **in cut units** (an Ising model
:math:`E = \\sum_{ij} w_{ij} x_i x_j` has :math:`\\mathrm{cut} = (W - E)/2`, and
a flip's :math:`\\Delta E = -2 g_i`: D-Wave's ``beta`` for ``J = w`` is half of
ours). An anneal runs a geometric schedule of :math:`\\beta` from hot to cold;
the kernel keeps the best partition seen (after every accepted flip), so the
result is never worse than the start.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .. import _core
from .._result import StageResult
from .._validation import check_count, check_positive, check_seed, check_time_limit, renamed
from ..random import STREAMS, standard_normal
from ..runcontrol import RunControl, Status, as_control
from .cut import as_partition, cut_value
from .graph import Graph
from .polish import _tolerance

__all__ = ["anneal", "AnnealResult", "default_beta_range", "default_beta_start", "DEFAULT_SWEEPS"]

#: sweep budget of :func:`anneal` when neither ``max_sweeps`` nor a time limit is given
DEFAULT_SWEEPS = 10_000

# seconds of C++ work per call between two checks of the clock / Ctrl-C
_CHUNK_SECONDS = 0.05
# seconds between two offers of the best partition to the run's record while annealing (each offer copies the
# partition and evaluates its cut exactly, O(n + m): on a 10^7-node graph ~30 ms, too much for every chunk);
# the final best is always offered when the anneal returns
_OFFER_SECONDS = 0.5


class AnnealResult(StageResult):
    """Outcome of :func:`anneal` (a :class:`~derand_fast._result.StageResult`: dict with attribute access).

    Attributes
    ----------
    x : ndarray of int8, shape (n,)
        The best partition found (the start when nothing beat it).
    cut : float
        Its cut value (evaluated afresh, edges in order).
    gain : float
        ``cut`` minus the cut of the start (>= 0).
    nit : int
        Metropolis sweeps run (each visits every node once); also readable as ``sweeps``.
    restarts : int
        Anneals started after the first one (each from the best partition, re-heated to ``beta_start``).
    status : Status
        ``COMPLETED`` (the sweep budget was used), ``TIME_LIMIT``,
        ``INTERRUPTED`` or ``TERMINATED``; the partition is the best so far in every case.
    time : float
        Seconds.
    trace : list of (float, float)
        ``(seconds since the start, best cut)``: the start, then each improvement
        (seen between two C++ calls, about every 50 ms) and the final cut.
    flips : int
        Accepted flips.
    beta_range : (float, float)
        The schedule's first and last beta (cut units).
    """

    _aliases = {"sweeps": "nit"}


def _weighted_degrees(graph: Graph) -> np.ndarray:
    aw = np.abs(graph.weights)
    return np.bincount(graph.u, aw, minlength=graph.n) + np.bincount(graph.v, aw, minlength=graph.n)


def default_beta_range(graph: Graph) -> tuple[float, float]:
    """The schedule of an anneal from a random partition: ``(hot, cold)`` in cut units.

    Hot: the costliest possible flip (the largest weighted degree
    :math:`D = \\max_i \\sum_j |w_{ij}|`) is accepted with probability 1/2,
    :math:`\\beta_{hot} = \\ln 2 / D` (D-Wave's rule). Cold: a flip costing
    :math:`w_q`, the lower quartile of the nonzero :math:`|w_{ij}|` (the
    smallest weight for ±1 or unit weights), is accepted with probability
    1/100, :math:`\\beta_{cold} = \\ln 100 / w_q`. D-Wave takes the smallest
    weight and scales with the number of nodes; with Gaussian couplings that
    froze the last two thirds of the schedule: on a 2-D Gaussian torus of
    10^4 nodes, 3 s from the same start, cut 6 431/6 426 (cold 10) against
    6 422/6 407 (cold 100) and 6 404/6 406 (cold 311, the 1 % quantile).
    """
    aw = np.abs(graph.weights)
    aw = aw[aw > 0]
    if aw.size == 0:
        return 1.0, 1.0
    hot = math.log(2.0) / float(_weighted_degrees(graph).max())
    cold = math.log(100.0) / float(np.quantile(aw, 0.25))
    return hot, max(cold, hot)


def default_beta_start(graph: Graph) -> float:
    """Beta at which an anneal from a given (good) partition starts: hot enough to leave its basin.

    The Bethe-lattice estimate of the spin-glass freezing point,
    :math:`\\tanh(\\beta_c \\bar w / 2) = 1/\\sqrt{c - 1}` with :math:`c` the
    mean degree and :math:`\\bar w` the mean :math:`|w_{ij}|`
    (in cut units, :math:`\\beta_{cut} = 2 \\beta_{Ising}`), clipped to
    :math:`[\\beta_{hot}, \\beta_{cold} / 2]` of the default range. Measured
    (3 s, 2 seeds, from the same start): half of it lost on the 3-D ±1 torus
    of 10 648 nodes (9 530/9 536 against 9 548/9 546), on G81 and on the
    3-D Gaussian torus; the hot end of the full range lost on G55 and G81.
    """
    hot, cold = default_beta_range(graph)
    if graph.m == 0:
        return hot
    c = max(2.0 * graph.m / max(graph.n, 1), 2.0 + 1e-9)
    wbar = float(np.mean(np.abs(graph.weights)))
    if wbar <= 0:
        return hot
    beta_c = 2.0 * math.atanh(min(1.0 / math.sqrt(c - 1.0), 1.0 - 1e-12)) / wbar
    return float(min(max(beta_c, hot), 0.5 * cold))


def anneal(graph: Graph, x: Any = None, *, time_limit: float | None = None, max_sweeps: int | None = None,
           seed: int = 0, chain: int = 0, beta_range: tuple[float, float] | None = None,
           beta_start: float | None = None, restarts: bool = True, control: RunControl | None = None,
           sweeps: int | None = None) -> AnnealResult:
    """Simulated-annealing polish of a partition; anytime, never returns a worse cut than the start.

    One anneal is a geometric schedule of :math:`\\beta` (cut units, see the
    module docstring) over a number of single-spin Metropolis sweeps in node
    order; the C++ kernel keeps the gains up to date in O(deg) per accepted
    flip and the best partition seen. With a time limit the anneal is sized
    to the time left from the measured sweep rate (re-planned as it runs, so
    that it reaches the cold end as the time runs out); if time remains when
    it ends, another anneal starts from the best partition re-heated to
    ``beta_start`` (``restarts=True``). The best partition then gets greedy
    1-flip sweeps to a local optimum.

    Deterministic for a sweep budget: the result is a pure function of
    (graph, ``x``, ``seed``, ``chain``, ``beta_range``, ``beta_start``, ``max_sweeps``).
    With a time limit the number of sweeps depends on the machine's speed
    (status ``TIME_LIMIT``). Ctrl-C or a stop of ``control`` returns the best
    partition so far. Single-threaded.

    Parameters
    ----------
    graph : Graph
    x : array_like of ±1, shape (n,), optional
        Start partition (not modified). Default: a random partition drawn
        from ``seed``, annealed from the hot end of ``beta_range``.
    time_limit : float, optional
        Seconds (a cap; ``control``'s deadline applies too).
    max_sweeps : int >= 0, optional
        Sweep budget of the first anneal (a cap with a time limit). Default:
        :data:`DEFAULT_SWEEPS` without any deadline, else the time decides.
        (Formerly ``sweeps``, still accepted with a DeprecationWarning.)
    seed : int >= 0
        The run's seed. The Metropolis draws use the generator seeded by
        ``STREAMS["anneal"].seed(seed, chain)`` and a random start the signs of
        stream ``chain`` of the ``anneal.start`` block (:data:`derand_fast.random.STREAMS`).
    chain : int >= 0
        Which of a run's independent annealing chains this is (the pipeline runs one per thread).
    beta_range : (float, float), optional
        ``(beta_hot, beta_cold)``, ``0 < hot <= cold``: the schedule from a
        random start; its cold end ends every anneal. Default
        :func:`default_beta_range`.
    beta_start : float, optional
        Where an anneal from a given partition (``x``, or the best one at a
        restart) starts. Default :func:`default_beta_start` (clipped to
        ``beta_range``).
    restarts : bool
        With a time limit, start new anneals from the best partition while time remains.
    control : RunControl, optional
        The run this polish belongs to: its deadline and stop flag apply,
        and each new best partition is offered to its record (stage ``"polish anneal"``).

    Returns
    -------
    AnnealResult

    Raises
    ------
    ValueError
        ``x`` not ±1 of length n, a negative ``max_sweeps`` or ``seed``, a bad
        ``beta_range`` / ``beta_start`` / ``time_limit``.

    Examples
    --------
    >>> import numpy as np
    >>> from derand_fast.maxcut import Graph
    >>> g = Graph.from_edges(5, [0, 1, 2, 3, 4], [1, 2, 3, 4, 0], np.ones(5))  # a 5-cycle: max cut 4
    >>> res = anneal(g, np.ones(5, dtype=np.int8), max_sweeps=200, seed=1)
    >>> res.cut, res.gain, res.status.name
    (4.0, 4.0, 'COMPLETED')
    """
    t0 = time.perf_counter()
    n = graph.n
    seed = check_seed(seed)
    chain = check_count(chain, "chain", 0)
    sweeps = renamed(max_sweeps, sweeps, "sweeps", "max_sweeps")
    if sweeps is not None:
        sweeps = check_count(sweeps, "max_sweeps", 0)
    tl = check_time_limit(time_limit)
    if beta_range is None:
        hot, cold = default_beta_range(graph)
    else:
        try:
            hot, cold = (float(b) for b in beta_range)
        except (TypeError, ValueError):
            raise ValueError(f"beta_range must be a pair of positive numbers, got {beta_range!r}") from None
        hot, cold = check_positive(hot, "beta_range[0]"), check_positive(cold, "beta_range[1]")
        if hot > cold:
            raise ValueError(f"beta_range must satisfy hot <= cold, got {beta_range!r}")
    if beta_start is None:
        b_start = min(max(default_beta_start(graph), hot), cold)
    else:
        b_start = min(check_positive(beta_start, "beta_start"), cold)
    ctl = as_control(control, tl)
    rng_start = x is None
    if rng_start:
        z = standard_normal(seed, 1, n, first_stream=STREAMS["anneal.start"].at(chain), threads=1)[0]
        x = np.where(z < 0.0, -1, 1).astype(np.int8)
    else:
        x = as_partition(x, n)
    timed = math.isfinite(ctl.deadline)
    budget = sweeps if sweeps is not None else (None if timed else DEFAULT_SWEEPS)

    ann = _core.Annealer(graph.view, x, STREAMS["anneal"].seed(seed, chain))
    start_cut = float(ann.start_cut)
    trace: list[tuple[float, float]] = [(time.perf_counter() - t0, start_cut)]
    status = Status.COMPLETED
    n_restarts = 0
    b0 = hot if rng_start else b_start
    # first anneal: the whole budget, or (timed) a provisional length re-planned after the first chunks
    seg_len = budget if budget is not None else 1000
    ann.schedule(b0, cold, seg_len)
    seg_start_sweeps = 0
    chunk = 1
    best_seen = start_cut
    last_offer = -math.inf
    rate = math.nan  # sweeps per second (timed mode)
    reserve = 0.0
    if graph.m == 0:
        budget = 0
    try:
        while True:
            stop = ctl.poll()
            if stop is not None:
                status = stop
                break
            if budget is not None and ann.sweeps >= budget:
                break
            if ann.segment_left == 0:
                if not (timed and restarts) or budget is not None and ann.sweeps >= budget:
                    break
                left_t = ctl.remaining() - reserve
                fit = int(left_t * rate) if math.isfinite(rate) else 0
                if budget is not None:
                    fit = min(fit, budget - ann.sweeps)
                if fit < 1:
                    status = Status.TIME_LIMIT
                    break
                ann.restore_best()
                n_restarts += 1
                b0, seg_len, seg_start_sweeps = b_start, fit, ann.sweeps
                ann.schedule(b0, cold, seg_len)
            step = int(min(chunk, ann.segment_left))
            t = time.perf_counter()
            ann.run(step)
            now = time.perf_counter()
            dt = max(now - t, 1e-7)
            chunk = int(min(max(chunk * _CHUNK_SECONDS / dt, 1), 4 * chunk, 1 << 30))
            rate = step / dt if not math.isfinite(rate) else 0.7 * rate + 0.3 * (step / dt)
            best = float(ann.best_cut)
            if best > best_seen:
                best_seen = best
                trace.append((now - t0, best))
                if now - last_offer >= _OFFER_SECONDS:
                    last_offer = now
                    bx = ann.best_x
                    ctl.offer("polish anneal", bx, cut_value(graph, bx))  # the record compares exact cuts
            if timed and ann.segment_left > 0:
                # re-plan the rest of this anneal to end with the time: same cold end, from the current beta
                reserve = min(0.02 * max(ctl.remaining() + (now - t0), 0.0), 0.25)
                left_t = ctl.remaining() - reserve
                fit = max(int(left_t * rate), 1)
                if budget is not None:
                    fit = min(fit, budget - ann.sweeps)
                left = ann.segment_left
                if fit < 0.9 * left or fit > 1.1 * left:
                    pos = ann.sweeps - seg_start_sweeps
                    frac = pos / max(seg_len - 1, 1)
                    b_now = b0 * (cold / b0) ** min(frac, 1.0)
                    b0, seg_len, seg_start_sweeps = b_now, fit, ann.sweeps
                    ann.schedule(b0, cold, seg_len)
    except KeyboardInterrupt:
        status = ctl.interrupt()
    if not status.stopped_early:
        ann.restore_best()
        ann.descend(1000, _tolerance(graph))
    best_x = ann.best_x
    cut, start_exact = cut_value(graph, best_x), cut_value(graph, x)
    if cut < start_exact:  # real weights: guard against drift of the incremental cut
        best_x, cut = x.copy(), start_exact
    elapsed = time.perf_counter() - t0
    if cut > trace[-1][1] or len(trace) == 1:
        trace.append((elapsed, cut))
    ctl.offer("polish anneal", best_x, cut)
    return AnnealResult(x=best_x, cut=cut, gain=cut - start_exact, nit=int(ann.sweeps),
                        restarts=n_restarts, status=status, time=elapsed, trace=trace, flips=int(ann.flips),
                        beta_range=(hot if rng_start else b_start, cold))

