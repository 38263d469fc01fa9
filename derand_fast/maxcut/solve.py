"""The MAXCUT pipeline: graph → low-rank SDP → certified bound → rounding → polish (annealing) → report.

Every stage runs under one :class:`~derand_fast.runcontrol.RunControl`: one
deadline for the whole run, one stop flag (Ctrl-C, SIGTERM) and one record of
the best partition seen by any stage (GW's best hyperplane, the rounding, the
polish, a warm start). The polish starts from the best partition so far and
the run returns the best one, so no stage can hand back less than a cut the
run already held — whatever stopped it.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import numpy as np

from .._threads import threads_for
from .._validation import check_count, check_seed, check_time_limit, renamed
from ..progress import make_progress
from ..runcontrol import RunControl, Status
from .cut import as_partition, cut_value
from .data import best_known
from .derand_common import as_outcome
from .graph import Graph, load_graph
from .polish import _check_moves, tabu_search
from .polish import local_search as run_local_search
from .result import MaxCutResult
from .rounding import get_rounding, gw_rounding, takes_control
from .sdp import check_factor_size, default_rank, solve_sdp

__all__ = ["maxcut", "POLISHES", "stage_plan"]

#: accepted ``local_search`` values of :func:`maxcut` -> polish name (None: no polish)
POLISHES: dict[Any, str | None] = {True: "anneal", "anneal": "anneal", "tabu": "tabu", "1flip": "1flip",
                                   False: None, "none": None, None: None}

_log = logging.getLogger("derand_fast.maxcut")

def stage_plan(remaining: float, polish: str | None) -> tuple[float, float]:
    """Shares of the time left after loading: ``(sdp_end, rounding_end)`` as fractions of ``remaining``.

    The SDP (and its certificate) may run until ``sdp_end`` and GW plus the
    rounding until ``rounding_end``; the polish keeps the rest (a stage that
    ends early leaves its time to the next). Annealing and tabu search turn
    any extra time into better cuts, and at equal time the polish is where
    the cut is won (on the Gset graphs and tori, annealing from a random
    partition nearly matched annealing from the derandomized start): the SDP
    gets 15 % and the roundings end at 30 %. With the 1-flip polish
    (milliseconds) or none, the SDP gets 60 % and the roundings end at 95 %.
    """
    if polish in ("anneal", "tabu"):
        return 0.15, 0.3
    return 0.6, 0.95


# Measured costs of the SDP and GW on one core (a 2·10^6-node, 3·10^6-edge graph, rank 67), in seconds
# per unit of work: the random start and solver set-up per n·r entry, one sweep per (n + 2m)·r, the GW
# expected cut per m·r and one hyperplane per (n + m)·r.
_SEC_SDP_START = 45e-9
_SEC_SWEEP = 3.5e-9
_SEC_GW_EXPECTED = 6e-9
_SEC_HYPERPLANE = 7e-9
_MIN_SWEEPS = 10  # an SDP worth starting gets the time for this many sweeps
_MIN_RANK = 8  # ... at this rank at least (lower ranks round to poor cuts: the polish is better served)


def sdp_rank_for_budget(n: int, m: int, seconds: float, *, rank: int | None = None, max_rank: int | None = None,
                        threads: int = 1) -> int:
    """The SDP rank to use when the SDP and GW may take ``seconds``; 0 when there is no time for an SDP.

    An explicit ``rank`` is kept. Otherwise the default rank
    (:func:`~derand_fast.maxcut.sdp.default_rank`) is lowered until the
    random start, :data:`_MIN_SWEEPS` sweeps, the GW expected cut and a few
    hyperplanes fit (from costs measured on this machine kind, divided by
    ``threads``); below :data:`_MIN_RANK` (or the default rank, if smaller)
    it returns 0: the SDP is skipped.
    """
    if rank is not None:
        return int(rank)
    r = default_rank(n, max_rank)
    if not math.isfinite(seconds):
        return r
    per_rank = (_SEC_SDP_START * n + _SEC_SWEEP * (n + 2 * m) * _MIN_SWEEPS + _SEC_GW_EXPECTED * m
                + 4 * _SEC_HYPERPLANE * (n + m)) / max(1, threads)
    fit = int(seconds / per_rank) if per_rank > 0 else r
    return min(r, fit) if fit >= min(r, _MIN_RANK) else 0


def _certify(g: Graph, V: np.ndarray, seed: int, ctl: RunControl, sdp_seconds: float) -> Any:
    """The certified bound of ``V`` within a budget, or None when the run is stopped meanwhile.

    The factorization behind the certificate may take ``max(5 s, 2 x`` the SDP's time) without a time
    limit, a fifth of the time left with one (sparse factorizations of 5 000–7 000-node random graphs take
    1–2.5 s); beyond that the row-wise Gershgorin certificate stands in.
    """
    from .bound import certified_bound_within

    left = ctl.remaining()
    budget = max(5.0, 2.0 * sdp_seconds) if math.isinf(left) else max(0.2 * left, 0.01)
    try:
        cert = certified_bound_within(g, V, budget, seed=seed, control=ctl)
    except KeyboardInterrupt:
        ctl.interrupt()
        return None
    return None if ctl.reason is not None else cert


def _anneal_chains(g: Graph, start: np.ndarray | None, *, seed: int, chains: int, sweeps: int | None,
                   control: RunControl) -> list[Any]:
    """``chains`` annealing runs from ``start``, side by side on their own threads (the kernel releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor, wait

    from .anneal import anneal

    def run(k: int) -> Any:
        return anneal(g, start, max_sweeps=sweeps, seed=seed, chain=k, control=control)

    if chains == 1:
        return [run(0)]
    with ThreadPoolExecutor(max_workers=chains, thread_name_prefix="derand-anneal") as pool:
        futures = [pool.submit(run, k) for k in range(chains)]
        try:
            # short waits: a pending Ctrl-C is raised between them, not after the chains end
            while wait(futures, timeout=0.05).not_done:
                pass
        except KeyboardInterrupt:  # the chains see the stop at their next check (~50 ms) and return their best
            control.interrupt()
        return [f.result() for f in futures]


def maxcut(graph: Any, *, rank: int | None = None, max_rank: int | None = None, seed: int = 0,
           threads: int | None = None, rounding: str = "derand-exact", n_hyperplanes: int = 1000,
           local_search: bool | str = True, local_search_moves: int | None = None,
           local_search_sweeps: int | None = None, local_search_time: float | None = None,
           time_limit: float | None = None, progress: Any = None, sdp_tol: float = 2.5e-4, max_sweeps: int = 1000,
           rounding_options: dict[str, Any] | None = None, initial: Any = None, certify: bool = True,
           self_loops: str = "error", control: RunControl | None = None, polish_moves: int | None = None,
           polish_sweeps: int | None = None, polish_time: float | None = None) -> MaxCutResult:
    """Approximate MAXCUT with an SDP upper bound (paper §5.1, App. F).

    1. the low-rank SDP by the mixing method (:func:`solve_sdp`);
    2. the Goemans–Williamson baseline, best of ``n_hyperplanes`` (:func:`gw_rounding`);
    3. the chosen rounding (``"gw"`` reuses step 2; other names are looked up
       in :data:`~derand_fast.maxcut.rounding.ROUNDINGS`);
    4. the polish of the best partition so far (GW's best, the rounding's,
       ``initial``): simulated annealing (:func:`~derand_fast.maxcut.anneal.anneal`,
       the default), tabu search (:func:`~derand_fast.maxcut.polish.tabu_search`)
       or 1-flip local search to the first local optimum.

    The result is the best partition any stage produced: never below
    ``gw_best``, ``rounding_cut`` or the cut of ``initial``.

    Parameters
    ----------
    graph : Graph or anything :func:`load_graph` accepts
    rank, max_rank : int, optional
        SDP rank (default ⌈√(2n)⌉, capped by ``max_rank``; see :func:`solve_sdp`).
    seed : int >= 0
        One seed for everything (SDP start, hyperplanes, the rounding).
    threads : int, optional
        Threads for every stage; without a time limit the result does not
        depend on it. Default: all under a time limit; without one, one
        thread below 2 * 10^4 nodes + edges and all above
        (:func:`derand_fast._threads.threads_for`). A rounding that chooses
        its own count by its own work (``chooses_threads``: derand-mc and
        hyperplane-mc) is passed ``threads`` as given, None included.
    rounding : str, default "derand-exact"
        A name known to :func:`~derand_fast.maxcut.rounding.get_rounding`.
        The default, as on the command line, is ``"derand-exact"``: GW
        derandomized by gradient ascent on the exact expected cut
        (:func:`~derand_fast.maxcut.derand_exact.derand_exact`); ``"gw"`` is
        the randomized baseline alone.
    n_hyperplanes : int >= 0
        GW hyperplanes (0 skips the GW baseline unless ``rounding="gw"``).
    local_search : {True, "anneal", "tabu", "1flip", False, "none"}
        The polish. ``True`` (default) means ``"anneal"``: simulated annealing
        from the best partition so far, ``local_search_sweeps`` sweeps (default
        :data:`~derand_fast.maxcut.anneal.DEFAULT_SWEEPS`) — or, when a time
        limit is set, one anneal sized to the time left, on ``threads``
        independent chains side by side (the best is kept). ``"tabu"``: tabu
        search with ``local_search_moves`` moves (default
        :func:`~derand_fast.maxcut.polish.default_tabu_moves`) or until the time
        is up. ``"1flip"`` stops at the first 1-flip local optimum (milliseconds).
    local_search_moves : int >= 0, optional
        Move budget of the tabu search (deterministic).
    local_search_sweeps : int >= 0, optional
        Sweep budget of the annealing (deterministic; without a time limit one
        chain runs whatever ``threads`` is, so the result does not depend on it).
    local_search_time : float, optional
        Seconds for the polish (a cap; the result then depends on the
        machine's speed).
    time_limit : float, optional
        Seconds for the whole run, loading included; a stage cut short keeps
        its best result so far (status ``TIME_LIMIT``, which counts as
        success). The time left after loading is shared by
        :func:`stage_plan`: with annealing or tabu search the SDP may use 15 %
        of it and the SDP plus the roundings 30 %, so that the polish gets the
        rest and runs until the time is up. Without enough time for the SDP
        (rank 8 and ten sweeps), the annealing starts from a random partition
        (the other polishes from a 1-flip local optimum); there is then no
        certified bound.
    progress : None, bool or callable(stage, fraction, info)
    sdp_tol, max_sweeps
        The SDP stopping rule (see :func:`solve_sdp`).
    rounding_options : dict, optional
        Extra keyword arguments for a non-GW rounding method.
    initial : array_like of ±1, shape (n,), or a MaxCutResult, optional
        A warm start: kept as a candidate and polished if it is the best one.
    self_loops : {"error", "drop"}
        How :func:`load_graph` treats self-loops when ``graph`` is not a :class:`Graph` yet.
    certify : bool, default True
        Compute a certified upper bound from the SDP factor
        (:func:`~derand_fast.maxcut.bound.certified_bound`; result fields
        ``upper_bound``, ``gap``, ``optimal``).
    control : RunControl, optional
        The run control to work under (the command passes one whose clock
        started with the process and whose stop flag its signal handlers
        set); ``time_limit`` then shortens its deadline.
    polish_moves, polish_sweeps, polish_time : optional
        Deprecated names of ``local_search_moves``, ``local_search_sweeps`` and
        ``local_search_time`` (DeprecationWarning).

    Returns
    -------
    MaxCutResult
        ``status`` is a :class:`~derand_fast.runcontrol.Status`: completed,
        time limit, interrupted (Ctrl-C) or terminated (SIGTERM); the
        partition is the best found before the stop.

    Raises
    ------
    ValueError
        Bad input (an empty graph, an unknown rounding name, ...).

    Examples
    --------
    >>> import networkx as nx
    >>> res = maxcut(nx.cycle_graph(5), n_hyperplanes=50)
    >>> res.cut, res.n
    (4.0, 5)
    """
    t_start = time.perf_counter()
    ctl = RunControl(time_limit) if control is None else control.child(time_limit)
    times: dict[str, float] = {}
    g = graph if isinstance(graph, Graph) else load_graph(graph, self_loops=self_loops)
    times["load"] = time.perf_counter() - t_start
    if g.n == 0:
        raise ValueError("graph has no nodes")
    round_fn = get_rounding(rounding)
    n_hyperplanes = check_count(n_hyperplanes, "n_hyperplanes", 0)
    if rounding == "gw" and n_hyperplanes < 1:
        raise ValueError("rounding='gw' needs n_hyperplanes >= 1")
    try:
        polish = POLISHES[local_search]
    except (KeyError, TypeError):
        raise ValueError(f"local_search must be one of {', '.join(map(repr, POLISHES))}, "
                         f"got {local_search!r}") from None
    local_search_moves = renamed(local_search_moves, polish_moves, "polish_moves", "local_search_moves")
    local_search_sweeps = renamed(local_search_sweeps, polish_sweeps, "polish_sweeps", "local_search_sweeps")
    local_search_time = renamed(local_search_time, polish_time, "polish_time", "local_search_time")
    _check_moves(local_search_moves, "local_search_moves")
    _check_moves(local_search_sweeps, "local_search_sweeps")
    polish_limit = check_time_limit(local_search_time, "local_search_time")
    if isinstance(initial, MaxCutResult):
        initial = initial.partition
    x_initial = None if initial is None else as_partition(initial, g.n, "initial")
    check_seed(seed)  # a seed outside [0, 2^63 - 1] is refused before any work
    if rank is not None:
        rank = check_count(rank, "rank", 1)
    if max_rank is not None:
        max_rank = check_count(max_rank, "max_rank", 1)
    # an SDP factor that cannot fit is refused before any work, not when the SDP starts
    check_factor_size(g.n, default_rank(g.n, max_rank) if rank is None else rank)
    # under a time limit the polish runs one annealing chain per thread until the deadline: more threads
    # search more in the same time whatever the size, so the size rule is for runs without one
    nt = threads_for(threads, g.n + g.m if math.isinf(ctl.deadline) else math.inf, "graph")
    report, close_progress = make_progress(progress)

    left0 = ctl.remaining()
    sdp_share, rounding_share = stage_plan(left0, polish)
    now0 = time.perf_counter()
    sdp_end = now0 + sdp_share * left0 if math.isfinite(left0) else math.inf
    rounding_end = now0 + rounding_share * left0 if math.isfinite(left0) else math.inf
    cut_short = False  # a stage stopped by the run's clock

    def until(end: float) -> RunControl:
        return ctl.child(until=end)

    r_sdp = sdp_rank_for_budget(g.n, g.m, rounding_end - now0, rank=rank, max_rank=max_rank, threads=nt)
    if r_sdp < 1:
        _log.warning("no time for the SDP (%.3g s left for it on n = %d, m = %d): skipped", rounding_end - now0,
                     g.n, g.m)
    sdp = None
    cert = None
    gw_info: dict[str, Any] = {}
    info: dict[str, Any] = {}
    ls_info: dict[str, Any] = {}
    x_round = None
    try:
        if x_initial is not None:
            ctl.offer("initial", x_initial, cut_value(g, x_initial))
        if ctl.poll() is None and r_sdp >= 1:
            t = time.perf_counter()
            left = sdp_end - t
            _log.info("sdp: rank %d, n = %d, m = %d, %s", r_sdp, g.n, g.m,
                      "no time limit" if math.isinf(left) else f"{left:.2f} s")
            if report is not None:
                report("sdp", 0.0, "started")
            sdp = solve_sdp(g, rank=r_sdp, tol=sdp_tol, max_sweeps=max_sweeps, seed=seed,
                            threads=nt, time_limit=None if math.isinf(left) else max(left, 1e-3),
                            progress=report)
            times["sdp"] = time.perf_counter() - t
            _log.info("sdp: %s after %d sweeps, value %.6g (%.2f s)", sdp.message, sdp.sweeps, sdp.objective,
                      times["sdp"])
            if sdp.status == Status.INTERRUPTED:
                ctl.interrupt()
            cut_short |= sdp.status == Status.TIME_LIMIT
            if certify and ctl.reason is None:
                t = time.perf_counter()
                cert = _certify(g, sdp.V, seed, ctl, times["sdp"])
                times["bound"] = time.perf_counter() - t
        if sdp is not None and n_hyperplanes > 0 and ctl.reason is None:
            t = time.perf_counter()
            # GW takes at most a third of the rounding window unless it is the rounding itself
            gw_end = rounding_end if rounding == "gw" else t + (rounding_end - t) / 3
            gw = gw_rounding(g, sdp.V, seed=seed, threads=nt, n_hyperplanes=int(n_hyperplanes), progress=report,
                             control=until(gw_end))
            x_gw, gw_info = gw.x, gw.as_info()
            times["gw"] = time.perf_counter() - t
            _log.info("gw: best %.6g of %d hyperplanes (%s)", gw_info["gw_best"], gw_info["n_hyperplanes"],
                      gw_info["status"].message)
            cut_short |= gw_info["status"] == Status.TIME_LIMIT
            if rounding == "gw":
                x_round, info = x_gw, gw_info
        if sdp is not None and rounding != "gw" and ctl.poll() is None:
            t = time.perf_counter()
            kwargs = dict(rounding_options or {})
            if takes_control(round_fn):
                kwargs["control"] = until(rounding_end)
            else:
                left = rounding_end - t
                kwargs["time_limit"] = None if math.isinf(left) else max(left, 1e-3)
            # a rounding with its own size rule (chooses_threads: derand-mc, hyperplane-mc) gets the caller's
            # threads (None: it chooses); the others the run's count
            round_threads = threads if getattr(round_fn, "chooses_threads", False) else nt
            try:
                out = as_outcome(g, round_fn(g, sdp.V, seed=seed, threads=round_threads, progress=report, **kwargs))
            except KeyboardInterrupt:
                ctl.interrupt()
            else:
                if out.status.stopped_early:
                    ctl.stop(out.status)
                x_round, info = as_partition(out.x, g.n, f"the partition of rounding {rounding!r}"), out.as_info()
                ctl.offer(f"rounding {rounding}", x_round, cut_value(g, x_round))
                cut_short |= info.get("status") == Status.TIME_LIMIT
            times["rounding"] = time.perf_counter() - t
            _log.info("rounding %s: cut %s (%.2f s)", rounding, info.get("cut", "-"), times["rounding"])
    except KeyboardInterrupt:
        ctl.interrupt()

    if ctl.best_x is None and (polish != "anneal" or ctl.poll() is not None):
        # nothing rounded yet (stopped during the SDP, or no time for it); annealing starts from a random
        # partition by itself
        t = time.perf_counter()
        if sdp is not None:
            x0 = gw_rounding(g, sdp.V, seed=seed, threads=1, n_hyperplanes=1).x
        else:
            x0 = np.ones(g.n, dtype=np.int8)
        # a 1-flip local optimum: one chunk at least, however the run was stopped
        run_local_search(g, x0, control=ctl)
        times["fallback"] = time.perf_counter() - t
        cut_short |= ctl.reason is None and (sdp is None or ctl.remaining() <= 0)
    rounding_cut = cut_value(g, x_round) if x_round is not None else None

    if polish is not None and ctl.poll() is None and g.m > 0:
        t = time.perf_counter()
        start = ctl.best_x
        start_cut = ctl.best_value if start is not None else math.nan
        pctl = ctl.child(polish_limit)
        try:
            if report is not None:
                report(f"polish {polish}", 0.0, "from a random partition" if start is None
                       else f"from {ctl.best_stage} ({start_cut:,.6g})")
            if polish == "anneal":
                chains = nt if math.isfinite(pctl.deadline) else 1
                runs = _anneal_chains(g, start, seed=seed, chains=chains, sweeps=local_search_sweeps, control=pctl)
                best = max(runs, key=lambda a: a.cut)
                base = start_cut if start is not None else min(a.cut - a.gain for a in runs)
                stopped = ctl.reason if ctl.reason is not None else max(a.status for a in runs)
                ls_info = {"method": "anneal", "gain": best.cut - base, "sweeps": sum(a.sweeps for a in runs),
                           "restarts": sum(a.restarts for a in runs), "chains": chains, "status": stopped,
                           "flips": sum(a.flips for a in runs)}
            elif polish == "1flip":
                ls = run_local_search(g, start, control=pctl)
                ls_info = {"method": "1flip", "gain": ls.cut - start_cut, "moves": ls.moves,
                           "converged": ls.converged, "status": ls.status}
                stopped = ls.status
            else:
                ts = tabu_search(g, start, max_moves=local_search_moves, seed=seed, control=pctl, progress=report)
                ls_info = {"method": "tabu", "gain": ts.cut - start_cut, "moves": ts.moves,
                           "best_move": ts.best_move, "restarts": ts.restarts, "status": ts.status}
                stopped = ts.status
        except KeyboardInterrupt:
            stopped = ctl.interrupt()
        # stopped by the run's clock (not by a shorter local_search_time cap)
        cut_short |= stopped == Status.TIME_LIMIT and pctl.deadline >= ctl.deadline
        times["local_search"] = time.perf_counter() - t
        _log.info("polish %s: best cut %.6g (%s, %.2f s)", polish, ctl.best_value, Status(stopped).message,
                  times["local_search"])

    close_progress()
    if ctl.reason is not None:
        _log.warning("run stopped: %s", ctl.reason.message)
    x = ctl.best_x
    if x is None:  # not expected: the fallback above or the annealing offers a partition
        raise RuntimeError("maxcut: no stage produced a partition")
    cut = cut_value(g, x)
    status = ctl.reason if ctl.reason is not None else (Status.TIME_LIMIT if cut_short else Status.COMPLETED)
    times["total"] = time.perf_counter() - t_start

    params = {"rank": rank, "max_rank": max_rank, "seed": seed, "threads": threads, "rounding": rounding,
              "n_hyperplanes": int(n_hyperplanes), "local_search": polish or "none",
              "local_search_moves": local_search_moves, "local_search_sweeps": local_search_sweeps,
              "local_search_time": local_search_time,
              "time_limit": time_limit,
              "sdp_tol": sdp_tol, "max_sweeps": max_sweeps, "rounding_options": rounding_options or {},
              "initial": initial is not None, "certify": bool(certify)}
    sdp_info: dict[str, Any] = {}
    if sdp is not None:
        sdp_info = {"rank": sdp.rank, "sweeps": sdp.sweeps, "last_delta": sdp.last_delta, "status": sdp.status,
                    "message": sdp.message, "n_colors": sdp.n_colors, "parallel_classes": sdp.parallel_classes,
                    "sweep_time": sdp.sweep_time}
    return MaxCutResult(
        cut=float(cut), partition=x, sdp_value=math.nan if sdp is None else sdp.objective,
        gw_best=gw_info.get("gw_best"), gw_mean=gw_info.get("gw_mean"), gw_expected=gw_info.get("gw_expected"),
        rounding=rounding, rounding_cut=rounding_cut, seed=int(seed), threads=nt, n=g.n, m=g.m,
        times=times, status=status, message=status.message, sdp=sdp_info,
        rounding_info=info, local_search=ls_info, params=params, graph_name=g.name,
        best_known=best_known(g.name), best_stage=ctl.best_stage or "", history=ctl.history,
        upper_bound=None if cert is None else cert.bound,
        bound_info={} if cert is None else {"method": cert.method, "margin": cert.margin,
                                            "lambda_max": cert.lambda_max, "attempts": cert.attempts,
                                            "time": cert.time, "unrounded": cert.upper_bound},
        gw={k: gw_info[k] for k in ("n_hyperplanes", "requested", "status") if k in gw_info},
        labels=None if g.labels is None else list(g.labels), index_base=g.index_base,
    )
