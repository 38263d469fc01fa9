"""Polish: searches that improve a partition's cut (C++ kernels) — 1-flip local search and tabu search.

Both keep the gains :math:`g_i = x_i \\sum_j w_{ij} x_j` (the cut increase if
node ``i`` flips) up to date in O(deg) per flip and never return a cut below
their start. :func:`local_search` stops at a 1-flip local optimum;
:func:`tabu_search` keeps moving past local optima. The cut itself is
evaluated by :mod:`derand_fast.maxcut.cut`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .. import _core
from .._result import StageResult
from .._validation import check_seed, check_time_limit
from ..progress import make_progress
from ..random import STREAMS
from ..runcontrol import RunControl, Status, as_control
from .cut import as_partition, cut_value
from .graph import Graph

__all__ = ["local_search", "LocalSearchResult", "tabu_search", "TabuResult", "default_tabu_moves"]


class LocalSearchResult(StageResult):
    """Outcome of :func:`local_search` (a :class:`~derand_fast._result.StageResult`: dict with attribute access).

    Attributes
    ----------
    x : ndarray of int8, shape (n,)
        The improved partition.
    cut : float
        Its cut value.
    gain : float
        Cut increase over the start.
    nit : int
        Number of flips (also readable as ``moves``).
    converged : bool
        True when ``x`` is a 1-flip local optimum (no flip gains more than the tolerance).
    status : Status
        ``COMPLETED`` (local optimum or move budget), ``TIME_LIMIT``, or
        ``INTERRUPTED`` / ``TERMINATED`` (Ctrl-C or a stop of the run).
    time : float
        Seconds.
    """

    _aliases = {"moves": "nit"}

    @property
    def interrupted(self) -> bool:
        """True when the clock or a stop of the run ended the search before a local optimum."""
        return self.status != Status.COMPLETED


def local_search(graph: Graph, x: Any, *, max_moves: int | None = None,
                 time_limit: float | None = None, control: RunControl | None = None) -> LocalSearchResult:
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
    control : RunControl, optional
        The run this search belongs to (its deadline and stop flag apply too).

    Returns
    -------
    LocalSearchResult
    """
    t0 = time.perf_counter()
    x = as_partition(x, graph.n).copy()
    _check_moves(max_moves)
    ctl = as_control(control, check_time_limit(time_limit))
    tau = _tolerance(graph)
    start = cut_value(graph, x)
    chunk = max(1024, min(4 * graph.n + 1024, 1 << 20))  # flips per C++ call between Ctrl-C / time checks
    remaining = math.inf if max_moves is None else int(max_moves)
    moves, converged, status = 0, False, Status.COMPLETED
    try:
        while remaining > 0:
            step = int(min(chunk, remaining))
            x, _gain, done, converged = _core.local_search(graph.view, x, step, tau)
            moves += int(done)
            remaining -= done
            if converged:
                break
            stop = ctl.poll()
            if stop is not None:
                status = stop
                break
    except KeyboardInterrupt:
        status = ctl.interrupt()
    if max_moves == 0:
        converged = bool(_core.local_search(graph.view, x, 0, tau)[3])
    cut = cut_value(graph, x)
    ctl.offer("polish 1flip", x, cut)
    return LocalSearchResult(x=x, cut=cut, gain=cut - start, nit=moves, converged=bool(converged), status=status,
                             time=time.perf_counter() - t0)


def _check_moves(max_moves: Any, name: str = "max_moves") -> None:
    """A move budget: an int >= 0 or None, else ValueError naming ``name``."""
    if max_moves is not None and (isinstance(max_moves, bool) or not isinstance(max_moves, (int, np.integer))
                                  or max_moves < 0):
        raise ValueError(f"{name} must be a non-negative int or None, got {max_moves!r}")


def _tolerance(graph: Graph) -> float:
    """:math:`10^{-9} \\max_i \\sum_j |w_{ij}|`: a flip must gain more than this to count as an improvement."""
    aw = np.abs(graph.weights)
    wdeg = np.bincount(graph.u, aw, minlength=graph.n) + np.bincount(graph.v, aw, minlength=graph.n)
    return 1e-9 * float(wdeg.max(initial=0.0))


class TabuResult(StageResult):
    """Outcome of :func:`tabu_search` (a :class:`~derand_fast._result.StageResult`: dict with attribute access).

    Attributes
    ----------
    x : ndarray of int8, shape (n,)
        The best partition found (the start when nothing beat it).
    cut : float
        Its cut value (evaluated afresh, edges in order).
    gain : float
        ``cut`` minus the cut of the start (>= 0).
    nit : int
        Moves made, each flipping one node (also readable as ``moves``).
    best_move : int
        Move count at which ``x`` was reached (0: the start).
    restarts : int
        Restarts from the best partition (after ``stall`` moves without progress).
    status : Status
        ``COMPLETED`` (the move budget was used), ``TIME_LIMIT`` (stopped by
        the clock: the result then depends on the machine's speed) or
        ``INTERRUPTED`` / ``TERMINATED`` (Ctrl-C, SIGTERM or a stop of the run).
    time : float
        Seconds.
    """

    _aliases = {"moves": "nit"}


def default_tabu_moves(n: int) -> int:
    """Move budget of :func:`tabu_search` when neither ``max_moves`` nor ``time_limit`` is given."""
    return min(5000 * max(int(n), 0) + 1_000_000, 40_000_000)


def tabu_search(graph: Graph, x: Any, *, max_moves: int | None = None, time_limit: float | None = None,
                seed: int = 0, tenure: tuple[int, int] | None = None, stall: int | None = None,
                perturb: float = 0.05, control: RunControl | None = None, progress: Any = None) -> TabuResult:
    """Tabu search for MAXCUT from a start partition; never returns a worse cut than the start.

    Each move flips the node of largest gain :math:`g_i = x_i \\sum_j w_{ij} x_j`
    (the cut increase if ``i`` flips; negative when every flip loses) among the
    nodes that are not *tabu*, or a tabu node whose flip beats the best cut so
    far (aspiration). A flipped node stays tabu for a tenure drawn uniformly from
    ``tenure``. After ``stall`` moves without a new best cut the search
    restarts from the best cut with ``⌈perturb · n⌉`` random flips and an empty
    tabu list. Gains are kept up to date in O(deg) per move; with integer
    weights (Gset) the nodes sit in bucket lists by gain (O(1) per gain
    change, ties to the latest change), otherwise in tournament trees
    (O(log n) per gain change, ties to a random priority redrawn when a node
    flips). About 5 million moves per second on G1/G22/G43, 7–15 million on
    the sparse G55/G70/G81 (one core). Written from the published descriptions of
    Kochenberger et al. (2013, J. Heuristics 19, 1-flip tabu search for
    max-cut) and Benlic & Hao (2013, Breakout Local Search, restarts from the
    best with a perturbation).

    Deterministic: the result is a pure function of (graph, ``x``, ``seed``,
    ``tenure``, ``stall``, ``perturb``, number of moves). ``max_moves`` fixes
    the number of moves; ``time_limit`` caps it by the clock (checked about
    every 50 ms), in which case the result depends on the machine's speed
    (``status=Status.TIME_LIMIT``). Ctrl-C returns the best cut so far
    (``status=Status.INTERRUPTED``). Single-threaded. Negative weights are fine.

    Parameters
    ----------
    graph : Graph
    x : array_like, shape (n,)
        Start partition (±1; not modified).
    max_moves : int >= 0, optional
        Move budget. Default: :func:`default_tabu_moves` (``5000 n + 10^6``,
        at most ``4e7``) when ``time_limit`` is None, else unlimited (the
        clock stops it).
    time_limit : float, optional
        Seconds (a cap).
    seed : int >= 0
        Tenure draws, tie-breaks and perturbations: the C++ generator is seeded
        with ``STREAMS["tabu"].seed(seed)`` (:data:`derand_fast.random.STREAMS`).
    tenure : (int, int), optional
        Range of the tabu tenure in moves, ``1 <= lo <= hi <= n``. Default
        ``(max(3, n // 100), max(3, n // 10))``, clipped to ``n // 4`` (at least 1).
    stall : int >= 1, optional
        Moves without a new best before a restart. Default ``25 n + 100``
        (``10 n + 100`` stalled on G22 and G55: at 1.2·10^7 moves on G22,
        4 seeds gave 13 316–13 328 against 13 354–13 357 with ``25 n``).
    perturb : float in [0, 1]
        Fraction of the nodes flipped at random at a restart (rounded up:
        at least one node when positive).
    control : RunControl, optional
        The run this search belongs to: its deadline and stop flag apply, and
        the best cut is offered to its record.
    progress : None, bool or callable(stage, fraction, info)
        Reported as stage ``"polish tabu"`` about every 50 ms of moves.

    Returns
    -------
    TabuResult

    Raises
    ------
    ValueError
        ``x`` not ±1 of length n, a negative budget, a bad tenure range,
        ``perturb`` outside [0, 1], a seed outside [0, 2^63 - 1].

    Examples
    --------
    >>> import numpy as np
    >>> from derand_fast.maxcut import Graph
    >>> g = Graph.from_edges(5, [0, 1, 2, 3, 4], [1, 2, 3, 4, 0], np.ones(5))  # a 5-cycle: max cut 4
    >>> tabu_search(g, np.ones(5, dtype=np.int8), max_moves=100).cut
    4.0
    """
    x = as_partition(x, graph.n)
    _check_moves(max_moves)
    ctl = as_control(control, check_time_limit(time_limit))  # its deadline includes time_limit
    seed = check_seed(seed)
    n = graph.n
    if tenure is None:
        cap = max(1, n // 4)
        tenure = (min(max(3, n // 100), cap), min(max(3, n // 10), cap))
    try:
        lo, hi = (int(t) for t in tenure)
    except (TypeError, ValueError):
        raise ValueError(f"tenure must be a pair of ints, got {tenure!r}") from None
    if stall is None:
        stall = 25 * n + 100
    if isinstance(stall, bool) or not isinstance(stall, (int, np.integer)) or stall < 1:
        raise ValueError(f"stall must be an int >= 1, got {stall!r}")
    if isinstance(perturb, bool) or not isinstance(perturb, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(perturb) <= 1.0:
        raise ValueError(f"perturb must be a fraction in [0, 1], got {perturb!r}")
    budget: float  # a move count, or inf: the clock stops the search
    if max_moves is not None:
        budget = int(max_moves)
    else:  # no clock at all: the default move budget; with one, the clock stops the search
        budget = default_tabu_moves(n) if math.isinf(ctl.deadline) else math.inf
    t0 = time.perf_counter()
    search = _core.TabuSearch(graph.view, x, lo, hi, int(stall), min(n, int(math.ceil(float(perturb) * n))),
                              _tolerance(graph), STREAMS["tabu"].seed(seed))
    status = Status.COMPLETED
    chunk = 1000  # moves per C++ call; grown to ~50 ms per call (the result does not depend on it)
    report, close = make_progress(progress)
    try:
        while search.moves < budget and graph.m > 0:
            if report is not None:
                left = ctl.remaining()
                frac = (search.moves / budget if math.isfinite(budget)
                        else (time.perf_counter() - t0) / max(time.perf_counter() - t0 + left, 1e-9))
                report("polish tabu", frac, f"{search.moves:,} moves, best cut {search.best_cut:,.6g}")
            stop = ctl.poll()
            if stop is not None:
                status = stop
                break
            step = int(min(chunk, budget - search.moves))
            t = time.perf_counter()
            search.run(step)
            now = time.perf_counter()
            chunk = int(min(max(chunk * 0.05 / max(now - t, 1e-6), 100), 4 * chunk, 10_000_000))
    except KeyboardInterrupt:
        status = ctl.interrupt()
    finally:
        close()
    best = search.best_x
    start, cut = cut_value(graph, x), cut_value(graph, best)
    if cut < start:  # guard against drift of the incremental cut with real weights: never worse than the start
        best, cut = x.copy(), start
    ctl.offer("polish tabu", best, cut)
    return TabuResult(x=best, cut=cut, gain=cut - start, nit=int(search.moves), best_move=int(search.best_move),
                      restarts=int(search.restarts), status=status, time=time.perf_counter() - t0)
