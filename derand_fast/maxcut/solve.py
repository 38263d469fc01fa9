"""The MAXCUT pipeline: graph → low-rank SDP → rounding → polish (tabu search) → report."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from .._threads import resolve_threads
from .cut import _check_moves, _check_time, cut_value, local_search as run_local_search, tabu_search
from .graph import Graph, load_graph
from .result import STATUS, MaxCutResult
from .rounding import get_rounding, gw_rounding
from .sdp import solve_sdp

__all__ = ["maxcut", "best_known", "POLISHES"]

#: accepted ``local_search`` values of :func:`maxcut` -> polish name (None: no polish)
POLISHES: dict[Any, str | None] = {True: "tabu", "tabu": "tabu", "1flip": "1flip", False: None, "none": None,
                                   None: None}

# With a time limit, the SDP may use at most this share of it and the roundings
# at most this share in total, so the polish keeps the rest.
_SDP_SHARE, _ROUNDING_SHARE = 0.5, 0.8

_BEST_KNOWN_FILES = (
    Path(__file__).resolve().parent / "data" / "best_known.csv",
)


def best_known(name: str) -> float | None:
    """Published best cut of the Gset graph ``name`` (e.g. ``"G43"``) if the package knows it."""
    for f in _BEST_KNOWN_FILES:
        if f.is_file():
            with open(f, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if row.get("name") == name:
                        return float(row["best_known"])
    return None


def maxcut(graph: Any, *, rank: int | None = None, max_rank: int | None = None, seed: int = 0,
           threads: int | None = None, rounding: str = "gw", n_hyperplanes: int = 1000,
           local_search: bool | str = True, polish_moves: int | None = None, polish_time: float | None = None,
           time_limit: float | None = None, progress: Any = None, sdp_tol: float = 2.5e-4, max_sweeps: int = 1000,
           rounding_options: dict[str, Any] | None = None) -> MaxCutResult:
    """Approximate MAXCUT with an SDP upper bound (paper §5.1; SPEC "MAXCUT" steps 1–3, 6).

    1. the low-rank SDP by the mixing method (:func:`solve_sdp`);
    2. the Goemans–Williamson baseline, best of ``n_hyperplanes`` (:func:`gw_rounding`);
    3. the chosen rounding (``"gw"`` reuses step 2; other names are looked up
       in :data:`~derand_fast.maxcut.rounding.ROUNDINGS`);
    4. the polish of that partition (never lowers the cut): tabu search
       (:func:`~derand_fast.maxcut.cut.tabu_search`, the default) or 1-flip
       local search to the first local optimum.

    Parameters
    ----------
    graph : Graph or anything :func:`load_graph` accepts
    rank, max_rank : int, optional
        SDP rank (default ⌈√(2n)⌉, capped by ``max_rank``; see :func:`solve_sdp`).
    seed : int >= 0
        One seed for everything (SDP start, hyperplanes, the rounding).
    threads : int, optional
        Threads for every stage (default: all); the result does not depend on it.
    rounding : str
        A name known to :func:`~derand_fast.maxcut.rounding.get_rounding`:
        ``"gw"``, or a registered method such as ``"derand-exact"``.
    n_hyperplanes : int >= 0
        GW hyperplanes (0 skips the GW baseline unless ``rounding="gw"``).
    local_search : {True, "tabu", "1flip", False, "none"}
        The polish. ``True`` (default) means ``"tabu"``: tabu search from the
        rounded partition, with ``polish_moves`` moves (default
        :func:`~derand_fast.maxcut.cut.default_tabu_moves`, ``5000 n + 10^6``,
        at most ``4·10^7``: 2–5 s on the Gset graphs on one core) — or, when
        a time limit is set, until the time is up. ``"1flip"`` stops at the
        first 1-flip local optimum (milliseconds; on the 71 Gset graphs the
        mean gap to the best-known cuts was 0.91 % after 1-flip against
        0.36 % after 3 s of tabu search).
    polish_moves : int >= 0, optional
        Move budget of the tabu search (deterministic: the result does not
        depend on the machine's speed).
    polish_time : float, optional
        Seconds for the tabu search (a cap; the result then depends on the
        machine's speed).
    time_limit : float, optional
        Seconds for the whole run; each stage gets what is left, and a stage
        cut short keeps its best result so far (status 1). With the tabu
        polish, the SDP may use at most half of it and the SDP plus the
        roundings at most 80 %, so that the polish gets the rest; the polish
        then runs until the time is up (status 1 when it stops on the clock),
        unless ``polish_moves`` is reached first.
    progress : None, bool or callable(stage, fraction, info)
    sdp_tol, max_sweeps
        The SDP stopping rule (see :func:`solve_sdp`).
    rounding_options : dict, optional
        Extra keyword arguments for a non-GW rounding method.

    Returns
    -------
    MaxCutResult

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
    times: dict[str, float] = {}
    g = graph if isinstance(graph, Graph) else load_graph(graph)
    times["load"] = time.perf_counter() - t_start
    if g.n == 0:
        raise ValueError("graph has no nodes")
    round_fn = get_rounding(rounding)
    if isinstance(n_hyperplanes, bool) or not isinstance(n_hyperplanes, (int, np.integer)) or n_hyperplanes < 0:
        raise ValueError(f"n_hyperplanes must be an int >= 0, got {n_hyperplanes!r}")
    if rounding == "gw" and n_hyperplanes < 1:
        raise ValueError("rounding='gw' needs n_hyperplanes >= 1")
    if time_limit is not None and not float(time_limit) > 0:
        raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    try:
        polish = POLISHES[local_search]
    except (KeyError, TypeError):
        raise ValueError(f"local_search must be one of True, False, 'tabu', '1flip', 'none', "
                         f"got {local_search!r}") from None
    _check_moves(polish_moves, "polish_moves")
    polish_limit = _check_time(polish_time, "polish_time")
    nt = resolve_threads(threads)
    deadline = math.inf if time_limit is None else t_start + float(time_limit)

    def left(share: float = 1.0) -> float | None:
        """Seconds left for a stage that may run until ``share`` of the time limit."""
        if math.isinf(deadline):
            return None
        end = deadline if polish != "tabu" else t_start + share * float(time_limit)
        return max(end - time.perf_counter(), 1e-3)

    status = 0
    t = time.perf_counter()
    sdp = solve_sdp(g, rank=rank, max_rank=max_rank, tol=sdp_tol, max_sweeps=max_sweeps, seed=seed, threads=nt,
                    time_limit=left(_SDP_SHARE), progress=progress)
    times["sdp"] = time.perf_counter() - t
    if sdp.status == 2:
        status = 1
    elif sdp.status == 3:
        status = 2

    gw_info: dict[str, Any] = {}
    x_gw = None
    if n_hyperplanes > 0 and status != 2:
        t = time.perf_counter()
        x_gw, gw_info = gw_rounding(g, sdp.V, seed=seed, threads=nt, n_hyperplanes=int(n_hyperplanes),
                                    time_limit=left(_ROUNDING_SHARE), progress=progress)
        times["gw"] = time.perf_counter() - t
        if gw_info["interrupted"]:
            status = status or (1 if time.perf_counter() >= deadline else 2)

    if rounding == "gw" and x_gw is not None:
        x, info = x_gw, gw_info
    elif rounding == "gw":  # interrupted before GW: one hyperplane
        x, info = gw_rounding(g, sdp.V, seed=seed, threads=nt, n_hyperplanes=1)
    else:
        t = time.perf_counter()
        try:
            x, info = round_fn(g, sdp.V, seed=seed, threads=nt, time_limit=left(_ROUNDING_SHARE), progress=progress,
                                          **(rounding_options or {}))
        except KeyboardInterrupt:
            status = 2
            x, info = (x_gw, gw_info) if x_gw is not None else gw_rounding(g, sdp.V, seed=seed, n_hyperplanes=1)
            info = dict(info, note=f"{rounding} interrupted; GW partition used")
        times["rounding"] = time.perf_counter() - t
        if info.get("interrupted"):
            status = status or 1
    x = np.asarray(x, dtype=np.int8)
    rounding_cut = cut_value(g, x)

    ls_info: dict[str, Any] = {}
    cut = rounding_cut
    if polish == "1flip":
        t = time.perf_counter()
        ls = run_local_search(g, x, time_limit=left())
        times["local_search"] = time.perf_counter() - t
        x, cut = ls.x, ls.cut
        ls_info = {"method": "1flip", "gain": ls.gain, "moves": ls.moves, "converged": ls.converged}
        if ls.interrupted and not ls.converged:
            status = status or (1 if time.perf_counter() >= deadline else 2)
    elif polish == "tabu" and status != 2:
        t = time.perf_counter()
        cap = min(polish_limit, left() or math.inf)
        # no budget and no clock: tabu_search's own default budget (default_tabu_moves)
        ts = tabu_search(g, x, max_moves=polish_moves, time_limit=None if math.isinf(cap) else cap, seed=seed)
        times["local_search"] = time.perf_counter() - t
        x, cut = ts.x, ts.cut
        ls_info = {"method": "tabu", "gain": ts.gain, "moves": ts.moves, "best_move": ts.best_move,
                   "restarts": ts.restarts, "status": ts.status}
        if ts.status == "interrupted":
            status = 2
        elif ts.status == "time_limit" and time.perf_counter() >= deadline - 1e-3:
            status = status or 1
    times["total"] = time.perf_counter() - t_start

    params = {"rank": rank, "max_rank": max_rank, "seed": seed, "threads": threads, "rounding": rounding,
              "n_hyperplanes": int(n_hyperplanes), "local_search": polish or "none",
              "polish_moves": polish_moves, "polish_time": polish_time, "time_limit": time_limit,
              "sdp_tol": sdp_tol, "max_sweeps": max_sweeps, "rounding_options": rounding_options or {}}
    return MaxCutResult(
        cut=float(cut), partition=x, sdp_bound=sdp.objective,
        gw_best=gw_info.get("gw_best"), gw_mean=gw_info.get("gw_mean"), gw_expected=gw_info.get("gw_expected"),
        rounding=rounding, rounding_cut=float(rounding_cut), seed=int(seed), threads=nt, n=g.n, m=g.m,
        times=times, status=status, message=STATUS[status],
        sdp={"rank": sdp.rank, "sweeps": sdp.sweeps, "last_delta": sdp.last_delta, "status": sdp.status,
             "message": sdp.message, "n_colors": sdp.n_colors, "parallel_classes": sdp.parallel_classes,
             "sweep_time": sdp.sweep_time},
        rounding_info=info, local_search=ls_info, params=params, graph_name=g.name,
        best_known=best_known(g.name),
    )
