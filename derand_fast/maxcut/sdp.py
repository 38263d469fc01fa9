"""The MAXCUT SDP relaxation in low rank, by the mixing method (C++ kernels).

Solves the Burer–Monteiro form of the Goemans–Williamson relaxation
(paper §5.1: the relaxation of Goemans & Williamson whose vectors the rounding of Theorem 5.2 uses)

.. math::

    \\max_{V \\in \\mathbb{R}^{n \\times r},\\ \\|v_i\\| = 1}
    \\ \\sum_{\\{i,j\\} \\in E} w_{ij} \\, \\frac{1 - v_i \\cdot v_j}{2}

by exact block-coordinate ascent (Wang, Chang & Kolter 2017): each node in
turn takes ``v_i ← −normalize(Σ_j w_ij v_j)``, O(deg·r) per node, O(m·r) per
sweep. For ``r(r+1)/2 > n`` its local optima are generically global, so the
objective is then (to the stopping tolerance) the SDP value — an upper bound
on the maximum cut.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .. import _core
from .._result import StageResult
from .._threads import thread_scope
from .._validation import check_count, check_seed, check_time_limit
from ..progress import make_progress
from ..random import standard_normal
from ..runcontrol import Status
from .graph import Graph, _physical_memory, load_graph

__all__ = ["SDPResult", "solve_sdp", "default_rank", "check_factor_size", "SDP_STATUS"]

#: the SDP's message for each :class:`~derand_fast.runcontrol.Status` it can end with (keys are ``Status``
#: members, so ``SDP_STATUS[0]`` still reads the converged message; the codes of the former 0-3 table map as
#: 0 -> COMPLETED, 1 (max_sweeps) -> MAX_ITER = 4, 2 (time limit) -> TIME_LIMIT = 1, 3 -> INTERRUPTED = 2)
SDP_STATUS = {
    Status.COMPLETED: "converged: a full sweep improved the objective by less than tol times the mean |w|",
    Status.MAX_ITER: "stopped: max_sweeps reached",
    Status.TIME_LIMIT: "stopped: time limit reached",
    Status.INTERRUPTED: "interrupted (KeyboardInterrupt): V is the last completed sweep",
}

_CHUNK_SECONDS = 0.1  # C++ runs sweeps for ~this long between Python checks (Ctrl-C, progress)
_V_BUDGET_BYTES = 1 << 30  # default cap on the factor's memory, 8 n r bytes
_MAX_RANK = 1 << 20  # the C++ solver's limit on the columns of V


def default_rank(n: int, max_rank: int | None = None) -> int:
    """⌈√(2n)⌉ (the mixing method's default, Barvinok–Pataki), capped.

    Parameters
    ----------
    n : int
        Number of nodes.
    max_rank : int, optional
        Cap; default keeps the factor ``V`` (``8·n·r`` bytes) under 1 GiB.

    Returns
    -------
    int >= 1
    """
    r = max(1, math.ceil(math.sqrt(2 * max(n, 0))))
    cap = max_rank if max_rank is not None else max(8, _V_BUDGET_BYTES // (8 * max(n, 1)))
    return max(1, min(r, int(cap)))


class SDPResult(StageResult):
    """Outcome of :func:`solve_sdp` (a :class:`~derand_fast._result.StageResult`: dict with attribute access).

    Attributes
    ----------
    V : ndarray of float64, shape (n, r)
        Unit-row factor (rows of isolated nodes keep their random start).
    objective : float
        :math:`\\sum_E w_{ij}(1 - v_i\\cdot v_j)/2` at ``V`` (cut units).
    rank : int
    nit : int
        Full sweeps done (also readable as ``sweeps``).
    last_delta : float
        Objective increase of the last sweep.
    status : Status
        ``COMPLETED`` (converged), ``MAX_ITER`` (``max_sweeps`` reached),
        ``TIME_LIMIT`` or ``INTERRUPTED``; ``success`` is ``status == COMPLETED``.
    message : str
        :data:`SDP_STATUS` of the status.
    time : float
        Wall seconds (initialisation included).
    sweep_time : float
        Wall seconds in the sweeps only (what the reference C code reports).
    n_colors : int
        Colour classes of the parallel sweep.
    parallel_classes : int
        How many of them are large enough to be updated in parallel.
    history : dict of ndarray
        ``"sweep"`` and ``"delta"`` at the end of each chunk of sweeps.
    """

    _aliases = {"sweeps": "nit"}


def _weight_scale(graph: Graph) -> tuple[float, float]:
    """The mean ``|w_ij|`` and the power of two nearest it (both 1 for an edgeless or all-zero graph).

    The solver runs on ``w / scale``: its iterates do not depend on the
    weights' scale (each update normalizes a weighted sum), and dividing by a
    power of two is exact, so a graph whose weights are ``2^k`` times another's
    gives the same ``V`` bit for bit and an objective ``2^k`` times larger.

    Raises
    ------
    ValueError
        If the total ``|w|`` overflows float64 (the objective could not be represented).
    """
    with np.errstate(over="ignore"):
        total = float(np.abs(graph.weights).sum())
    if not math.isfinite(total):
        raise ValueError(f"the SDP value cannot be represented: the total |w| of the {graph.m} edges overflows "
                         "float64; divide the weights by a common factor")
    if total == 0.0:
        return 1.0, 1.0
    mean = total / graph.m
    mantissa, exponent = math.frexp(mean)  # mean = mantissa 2^exponent, mantissa in [0.5, 1)
    return mean, math.ldexp(1.0, min(exponent - (mantissa < math.sqrt(0.5)), 1023))


def check_factor_size(n: int, rank: int) -> None:
    """Refuse a rank whose factor ``V`` (``8·n·rank`` bytes) cannot be held, before allocating it."""
    if rank > _MAX_RANK:
        raise ValueError(f"rank must be <= 2^20 = {_MAX_RANK}, got {rank}")
    need = 8 * n * rank
    total = _physical_memory()
    if total is not None and need > total // 2:
        raise ValueError(f"rank = {rank} needs a factor V of n x rank = {n:,} x {rank:,} float64, "
                         f"{need / 2**30:.1f} GiB, more than half of this machine's {total / 2**30:.1f} GiB")


def initial_factor(n: int, rank: int, seed: int, threads: int | None = None) -> np.ndarray:
    """Random unit rows: row ``i`` is stream ``i`` of :func:`derand_fast.random.standard_normal`, normalized.

    Returns
    -------
    ndarray of float64, shape (n, rank)
    """
    V = standard_normal(seed, n, rank, threads=threads)
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    return V


def solve_sdp(graph: Any, *, rank: int | None = None, max_rank: int | None = None, tol: float = 2.5e-4,
              max_sweeps: int = 1000, seed: int = 0, threads: int | None = None, time_limit: float | None = None,
              progress: Any = None, V0: np.ndarray | None = None) -> SDPResult:
    """Solve the low-rank MAXCUT SDP by the mixing method.

    Parameters
    ----------
    graph : Graph or anything :func:`load_graph` accepts
    rank : int, optional
        Columns of ``V``; default :func:`default_rank` ``(n, max_rank)``.
    max_rank : int, optional
        Cap on the default rank (large graphs: ``V`` takes ``8·n·r`` bytes).
    tol : float, default 2.5e-4
        Stop when one full sweep increases the objective by less than
        ``tol`` times the mean ``|w_ij|`` over the edges (relative, so the
        run does not depend on the weights' scale; for ±1 weights, as in
        Gset, it is ``tol`` in cut units). 2.5e-4 is the reference
        implementation's rule (``locuslab/mixing``: ``eps = 1e-3`` on 4× the
        objective, unit weights).
    max_sweeps : int, default 1000
        The reference's default cap.
    seed : int in [0, 2**63 - 1]
        Seeds the random start (:func:`initial_factor`).
    threads : int, optional
        OpenMP threads (default: all).
    time_limit : float, optional
        Seconds; checked about every 0.1 s.
    progress : None, bool or callable(stage, fraction, info)
    V0 : ndarray, shape (n, r), optional
        Warm start (rows are normalized; overrides ``rank`` and ``seed``).

    Returns
    -------
    SDPResult

    Raises
    ------
    ValueError
        Bad arguments; weights whose total ``|w|`` overflows float64; a
        factor ``V`` (``8·n·rank`` bytes) larger than half of this
        machine's memory.

    Notes
    -----
    **Scale.** The sweeps run on ``w / s``, ``s`` the power of two nearest
    the mean ``|w_ij|``, and the objective is multiplied back, so the run
    does not depend on the weights' scale: weights multiplied by a power of
    two give the same ``V`` bit for bit, by any factor (1e-300 to 1e300
    tested) the same sweeps and a proportional value to rounding — no
    underflow of the stopping test, no overflow of the norms.

    **Parallel sweeps and determinism.** The nodes are split once into the
    colour classes of a greedy colouring; a sweep visits the classes in
    order and updates the nodes of one class in parallel — they are pairwise
    non-adjacent, so their updates commute. A sweep therefore equals a
    sequential sweep in class order, whatever the thread count: the same seed
    gives bit-identical ``V`` with 1 or 2 threads. The price: a node order
    that follows the colouring rather than the labels (the number of sweeps
    to the stopping rule stayed within 4 % of the reference's label-order
    sweeps on G1–G81), one fork/join per colour class — so a class runs in
    parallel only when its work reaches 2^20 multiply-adds (G70, G81 and
    larger; the classes of G1–G55 run on one thread) — and, for factors much
    larger than the cache, one pass over ``V`` per class instead of one per
    sweep. Measured against the reference's plain sequential sweep
    (``benchmarks/test_bench_maxcut.py``, one thread, min of 3 runs
    interleaved with the reference on a loaded machine): 0.5–0.8× its time on
    G1–G70, 0.9× on G81 (r = 200, ``V`` = 32 MB), i.e. the colour order costs
    nothing measurable per sweep here.

    Ctrl-C stops the run between chunks of sweeps and returns the last
    completed sweep with status ``INTERRUPTED``.

    Examples
    --------
    >>> import networkx as nx
    >>> res = solve_sdp(nx.cycle_graph(5), seed=0)
    >>> round(res.objective, 3)   # 5 cos²(π/10) = 4.523
    4.523
    """
    t0 = time.perf_counter()
    g = graph if isinstance(graph, Graph) else load_graph(graph)
    tol = float(tol)
    if not (tol >= 0 and math.isfinite(tol)):
        raise ValueError(f"tol must be a finite number >= 0, got {tol}")
    max_sweeps = check_count(max_sweeps, "max_sweeps", 0)
    limit = check_time_limit(time_limit)
    limit = math.inf if limit is None else limit
    seed = check_seed(seed)
    if max_rank is not None:
        max_rank = check_count(max_rank, "max_rank", 1)
    mean_w, scale = _weight_scale(g)
    if V0 is not None:
        if np.iscomplexobj(V0):
            raise TypeError("V0 must be real, got a complex array")
        V = np.array(V0, dtype=np.float64, order="C", copy=True)
        if V.ndim != 2 or V.shape[0] != g.n or V.shape[1] < 1:
            raise ValueError(f"V0 must have shape (n={g.n}, r>=1), got {V.shape}")
        if not np.all(np.isfinite(V)):
            raise ValueError("V0 contains NaN or inf")
        norms = np.linalg.norm(V, axis=1, keepdims=True)
        if np.any(norms == 0):
            raise ValueError("V0 has a zero row")
        V /= norms
    else:
        r = default_rank(g.n, max_rank) if rank is None else check_count(rank, "rank", 1)
        check_factor_size(g.n, r)
        V = initial_factor(g.n, r, seed, threads)
    report, close = make_progress(progress)
    hist_sweep: list[int] = []
    hist_delta: list[float] = []
    sweeps, delta, status = 0, math.inf, Status.MAX_ITER
    with thread_scope(threads) as nt:
        # sweeps on w / scale (exact: a power of two), tol relative to the mean |w|
        solver = _core.MixingSolver(g.view, V, nt, scale)
        tol_run = tol * (mean_w / scale)
        t_sweeps = time.perf_counter()
        try:
            while sweeps < max_sweeps:
                elapsed = time.perf_counter() - t0
                if elapsed >= limit:
                    status = Status.TIME_LIMIT
                    break
                budget = min(_CHUNK_SECONDS, limit - elapsed)
                done, delta, converged = solver.run(max_sweeps - sweeps, tol_run, budget)
                sweeps += done
                hist_sweep.append(sweeps)
                hist_delta.append(delta * scale)
                if converged:
                    status = Status.COMPLETED
                    break
                if report is not None:
                    # Progress: log-scale distance of the sweep gain to tol.
                    frac = sweeps / max_sweeps
                    if tol_run > 0:
                        frac = max(frac, 1.0 - math.log10(max(delta / tol_run, 1.0)) / 6.0)
                    report("sdp", frac, f"sweep {sweeps}, gain {delta * scale:.3g}")
        except KeyboardInterrupt:
            status = Status.INTERRUPTED
        finally:
            close()
        sweep_time = time.perf_counter() - t_sweeps
        objective = solver.objective() * scale
        n_colors = int(solver.n_colors)
        parallel_classes = int(solver.parallel_classes)
    return SDPResult(V=V, objective=float(objective), rank=int(V.shape[1]), nit=int(sweeps),
                     last_delta=float(delta * scale), status=status, message=SDP_STATUS[status],
                     time=time.perf_counter() - t0, n_colors=n_colors, sweep_time=sweep_time,
                     parallel_classes=parallel_classes,
                     history={"sweep": np.asarray(hist_sweep, dtype=np.int64),
                              "delta": np.asarray(hist_delta, dtype=np.float64)})
