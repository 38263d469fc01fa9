"""Deterministic JL embedding: L-BFGS on the smooth worst-case distortion.

Minimizes :math:`\\tau \\log \\sum_p (e^{u_p(A)/\\tau} + e^{-u_p(A)/\\tau})` (see
:func:`derand_fast.jl.objectives.objective`) over ``A`` with
``scipy.optimize.minimize(method="L-BFGS-B")`` through a decreasing temperature
schedule, each stage warm-started from the previous one, with the temperature
set relative to the current worst distortion. It is both a method of its own
(``method="direct"``) and the final polish of the variational method once
:math:`\\sigma` is near 0.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy.optimize import minimize

from .._result import StageResult
from .._threads import thread_scope
from .._validation import check_count
from ..runcontrol import Status
from .baselines import gaussian_projection, pca_projection
from .objectives import JLProblem, objective, signed_distortions, subproblem

__all__ = ["DirectResult", "fit_direct", "polish"]

DEFAULT_SCHEDULE = (0.1, 0.03, 0.01, 0.003, 0.001)


class DirectResult(StageResult):
    """Result of :func:`fit_direct` / :func:`polish`: a :class:`~derand_fast._result.StageResult`.

    Attributes
    ----------
    x : ndarray, shape (k, d)
        The best matrix found (by true worst distortion).
    max_distortion, median_distortion : float
        Of ``x`` on the problem's constraints.
    nit : int
        L-BFGS iterations, summed over the stages (and the active-set rounds).
    nfev : int
        Objective evaluations.
    status : Status
        ``COMPLETED`` (the temperature schedule ran to its end), ``TIME_LIMIT``
        or ``INTERRUPTED`` (best matrix so far).
    message : str
    success : bool
        ``status == COMPLETED``.
    history : dict of ndarray
        ``"nfev"`` and ``"max_distortion"`` after each stage, ``"tau"`` of each stage.
    time : float
        Seconds.
    """


def _check_schedule(schedule) -> tuple[float, ...]:
    out = tuple(float(s) for s in schedule)
    if not out or not all(math.isfinite(s) and s > 0 for s in out):
        raise ValueError(f"schedule must be a non-empty sequence of positive numbers, got {schedule!r}")
    return out


def polish(A0, problem: JLProblem, *, schedule=DEFAULT_SCHEDULE, max_iter: int = 300,
           working_set: int | None = 10_000, max_rounds: int = 4, time_limit: float | None = None,
           threads: int | None = None) -> DirectResult:
    """Minimize the smooth worst-case distortion from ``A0`` (deterministic).

    Parameters
    ----------
    A0 : array_like, shape (k, d)
        Start.
    problem : JLProblem
    schedule : sequence of float > 0
        Temperatures relative to the current worst distortion: stage ``s`` uses
        :math:`\\tau_s = \\mathrm{schedule}_s \\cdot \\max_p |u_p|` (the smooth max
        overestimates the max by at most :math:`\\tau \\log 2P`).
    max_iter : int
        L-BFGS iterations per stage.
    working_set : int or None
        Problems with more constraints than this are optimized on an active
        set: each stage runs L-BFGS on the ``working_set`` constraints of
        largest distortion under its start, then scores the stage's best matrix
        on *all* constraints; when a constraint outside the set has become the
        worst, the set grows by the new worst ``working_set`` and the stage runs
        again (at most ``max_rounds`` times). The returned matrix and its
        ``max_distortion`` are judged on all constraints. ``None``: always all.
    max_rounds : int >= 1
    time_limit : float or None
        Seconds; the best matrix so far is returned when exceeded.
    threads : int or None

    Returns
    -------
    DirectResult
        A KeyboardInterrupt returns the best matrix so far with status ``Status.INTERRUPTED``.
    """
    t0 = time.perf_counter()
    schedule = _check_schedule(schedule)
    max_rounds = check_count(max_rounds, "max_rounds", 1)
    A = np.array(A0, dtype=np.float64, copy=True)
    if A.ndim != 2 or A.shape[1] != problem.n_features:
        raise ValueError(f"A0 must have shape (k, {problem.n_features}), got {A.shape}")
    if not np.isfinite(A).all():
        raise ValueError("A0 contains NaN or inf")
    if working_set is not None:
        working_set = check_count(working_set, "working_set", 1)
    active = working_set is not None and problem.n_constraints > working_set
    shape = A.shape
    u_all = np.abs(signed_distortions(A, problem, threads=threads))
    best = {"x": A.copy(), "m": float(u_all.max()), "nfev": 0, "nit": 0}
    status, message = Status.COMPLETED, "temperature schedule completed"
    taus, after, nfevs = [], [], []

    class _Stop(Exception):
        pass

    def run_stage(sub, tau):
        """L-BFGS on ``sub`` from the best matrix; returns the matrix of smallest worst distortion on ``sub``."""
        stage = {"x": best["x"], "m": math.inf}

        def fun(a):
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                raise _Stop
            value, grad, m = objective(a.reshape(shape), sub, kind="smooth_max", tau=tau, threads=threads)
            best["nfev"] += 1
            if m < stage["m"]:
                stage["x"], stage["m"] = a.reshape(shape).copy(), m
            return value, grad.ravel()

        def count(_xk):
            best["nit"] += 1

        try:
            minimize(fun, best["x"].ravel(), jac=True, method="L-BFGS-B", callback=count,
                     options={"maxiter": int(max_iter), "gtol": 1e-12, "ftol": 1e-13})
        finally:
            stage_x = stage["x"]
            if stage["m"] < math.inf:  # score the stage's best on every constraint
                u = np.abs(signed_distortions(stage_x, problem, threads=threads)) if active else None
                m_all = float(u.max()) if u is not None else stage["m"]
                if m_all < best["m"]:
                    best["x"], best["m"] = stage_x, m_all
                stage["u"], stage["m_all"] = u, m_all
        return stage

    try:
        # BLAS pinned for L-BFGS-B's own vector work too: threaded BLAS on these small vectors made
        # the polish 25x slower on a loaded 2-core machine (19 s -> 0.8 s for 214 evaluations)
        with thread_scope(threads):
            for rel in schedule:
                tau = max(rel * best["m"], 1e-12)
                taus.append(tau)
                if working_set is None or not active:
                    run_stage(problem, tau)
                else:
                    index = _worst(u_all, working_set, None)
                    for _ in range(max_rounds):
                        stage = run_stage(subproblem(problem, index), tau)
                        u_all = stage["u"] if stage["m"] < math.inf else u_all
                        if stage["m_all"] <= stage["m"] * (1.0 + 1e-9):  # the set held the worst constraint
                            break
                        index = _worst(u_all, working_set, index)
                    if best["m"] < stage["m_all"]:  # next stage starts from the best: its distortions
                        u_all = np.abs(signed_distortions(best["x"], problem, threads=threads))
                after.append(best["m"])
                nfevs.append(best["nfev"])
    except _Stop:
        status, message = Status.TIME_LIMIT, f"time limit of {time_limit} s reached"
    except KeyboardInterrupt:
        status, message = Status.INTERRUPTED, "interrupted by the user (KeyboardInterrupt); best matrix so far"
    u = np.abs(signed_distortions(best["x"], problem, threads=threads))
    return DirectResult(x=best["x"], max_distortion=float(u.max()), median_distortion=float(np.median(u)),
                        nit=best["nit"], nfev=best["nfev"], status=status, message=message,
                        history={"tau": np.array(taus), "max_distortion": np.array(after),
                                 "nfev": np.array(nfevs, dtype=np.int64)},
                        time=time.perf_counter() - t0)


def _worst(u: np.ndarray, n: int, previous: np.ndarray | None) -> np.ndarray:
    """Indices of the ``n`` largest ``u``, united with ``previous`` (sorted)."""
    top = np.argpartition(u, u.size - n)[u.size - n:]
    return np.union1d(top, previous) if previous is not None else np.sort(top)


def fit_direct(problem: JLProblem, n_components: int, *, init: str = "gaussian", seed: int = 0,
               schedule=DEFAULT_SCHEDULE, max_iter: int = 300, time_limit: float | None = None,
               threads: int | None = None) -> DirectResult:
    """Deterministic JL embedding of ``problem`` into ``n_components`` dimensions.

    Parameters
    ----------
    problem : JLProblem
    n_components : int >= 1
    init : {"gaussian", "pca"}
        Start from Gaussian random projection ``seed`` (entries :math:`N(0, 1/k)`)
        or from the rescaled top-``k`` PCA directions (requires ``k <= d``).
    seed : int
    schedule, max_iter, time_limit, threads
        As in :func:`polish`.

    Returns
    -------
    DirectResult

    Examples
    --------
    >>> import numpy as np
    >>> from derand_fast.jl.objectives import make_problem
    >>> X = np.random.default_rng(0).standard_normal((20, 30))
    >>> res = fit_direct(make_problem(X), 10)
    >>> bool(res.max_distortion < 0.5)
    True
    """
    if init == "gaussian":
        A0 = gaussian_projection(n_components, problem.n_features, seed=seed)
    elif init == "pca":
        A0, _ = pca_projection(problem, n_components)
    else:
        raise ValueError(f"init must be 'gaussian' or 'pca', got {init!r}")
    return polish(A0, problem, schedule=schedule, max_iter=max_iter, time_limit=time_limit, threads=threads)
