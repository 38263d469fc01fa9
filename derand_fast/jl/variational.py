"""The paper's variational JL method (§5.2, Theorem 5.5, App. G.5).

Learn a Gaussian distribution :math:`A \\sim N(M, \\mathrm{diag}\\,\\sigma^2)` over
``k × d`` matrices by minimizing the smoothed, regularized objective (paper
Eq. 9 / 27)

.. math::

    \\hat f(\\Sigma^{1/2}, M) = E_Z\\, F(M + \\sigma \\odot Z) + \\frac{\\|\\Sigma^{1/2}\\|_F^2}{2kd}

with Adam (paper: lr 0.01, batch of 20 sampled matrices, at most 5000
iterations, early stop below 0.01 max distortion) or perturbed gradient descent
(Algorithm 1), from :math:`M = 0, \\Sigma = I` (paper) or from a Gaussian draw.
The variance is driven to 0 and the deterministic mean ``M`` is the output;
a final deterministic polish (:func:`derand_fast.jl.direct.polish`) can follow.

Defaults differ from the paper where measurements said so (see
:func:`fit_variational`): one shared σ, and a cosine-decayed Adam rate (a
constant rate leaves a floor of 0.01–0.1 in the mean's worst distortion);
:func:`paper_settings` gives the paper's exact ones.

Scale: the paper's :math:`\\Sigma = I` is stated for :math:`\\frac1k\\|Ax\\|^2`;
with this package's convention (:math:`E\\|Ax\\|^2 = \\|x\\|^2`) the same start is
:math:`\\sigma = 1/\\sqrt k`, the default of ``sigma0``.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .._result import StageResult, as_status
from .._threads import thread_scope
from .._validation import check_count, check_positive
from ..optimizers import Adam, PerturbedGD
from ..random import STREAMS
from ..runcontrol import Status
from .baselines import gaussian_projection, pca_projection
from .direct import polish
from .objectives import JLProblem, max_distortion, mc_objective, signed_distortions, subproblem

__all__ = ["VariationalResult", "fit_variational", "paper_settings"]


class VariationalResult(StageResult):
    """Result of :func:`fit_variational`: a :class:`~derand_fast._result.StageResult`.

    Attributes
    ----------
    x : ndarray, shape (k, d)
        The output matrix: the best mean (by worst distortion), polished if asked.
    mean : ndarray, shape (k, d)
        The best mean ``M`` of the variational run, before the polish.
    sigma : ndarray, shape (k, d), or float
        Standard deviations at the end of the run.
    max_distortion, median_distortion : float
        Of ``x``.
    history : dict of ndarray
        Per step: ``"step"``, ``"max_distortion"`` (of the current mean),
        ``"max_sigma2"``, ``"objective"`` (Monte Carlo value), ``"sample_max"``
        (worst distortion averaged over the batch), ``"tau"``.
    status : Status
        ``COMPLETED``: the mean reached ``tol``, or (the message says which)
        did not improve in ``patience`` steps; ``MAX_ITER``, ``TIME_LIMIT``,
        ``INTERRUPTED`` (also when the polish was interrupted), ``NONFINITE``
        as the optimizer reports them.
    message : str
    success : bool
        ``status == COMPLETED``.
    nit : int
        Optimizer steps.
    polish : DirectResult or None
    time : float
        Seconds (variational run and polish).
    """


_SNAP = 1e-8  # standard deviations below this fraction of the start are set to 0 (noise ~1e-8 relative)


def paper_settings(n_components: int) -> dict:
    """The paper's settings of the variational method (App. G.5), as arguments of :func:`fit_variational`.

    Adam, batch 20, at most 5000 iterations, early stop below 0.01, start
    ``M = 0, Σ = I`` with one σ per entry, constant rate 0.01 — in the paper's
    scale, where the start is :math:`\\Sigma = I`; here the start is
    :math:`\\sigma = 1/\\sqrt k` (``init="paper"``) and the same steps relative
    to it are :math:`0.01/\\sqrt k`.
    """
    k = check_count(n_components, "n_components", 1)
    return dict(optimizer="adam", lr=0.01 / math.sqrt(k), lr_decay=None, n_samples=20, max_iter=5000, tol=0.01,
                patience=None, init="paper", sigma="entry")


def _cosine(max_iter: int):
    T = max(int(max_iter), 1)
    return lambda t: 0.5 * (1.0 + math.cos(math.pi * min(t, T) / T))


def fit_variational(problem: JLProblem, n_components: int, *, objective: str = "smooth_max",
                    eps: float = 0.1, eps1: float = 0.05, tau: tuple[float, float] = (0.1, 0.01),
                    optimizer: str = "adam", lr=0.003, lr_decay="cosine", n_samples: int = 20,
                    max_iter: int = 2000, tol: float = 0.01, patience: int | None = None,
                    init: str | np.ndarray = "gaussian", sigma: str = "scalar", sigma0: float | None = None,
                    polish_result: bool = True, polish_max_iter: int = 300, polish_options: dict | None = None,
                    seed: int = 0,
                    working_set: int | None = 50_000, refresh: int = 50,
                    time_limit: float | None = None, threads: int | None = None) -> VariationalResult:
    """Learn a JL matrix by optimizing a Gaussian distribution over matrices (paper §5.2).

    Parameters
    ----------
    problem : JLProblem
        From :func:`derand_fast.jl.objectives.make_problem`.
    n_components : int >= 1
        Target dimension ``k``.
    objective : {"smooth_max", "violations"}
        Smooth worst case (default) or the paper's sum of smoothed violations
        (Eq. 9 / 27; ``eps``, ``eps1`` are its threshold and smoothing width).
        The sum keeps the median low but lets a few constraints collapse.
    eps, eps1 : float > 0
    tau : (float, float)
        Smooth-max temperature relative to the batch's worst distortion,
        decreasing geometrically from ``tau[0]`` to ``tau[1]`` over ``max_iter``.
    optimizer : {"adam", "pgd"}
        Adam (paper App. G.5) or perturbed gradient descent (Algorithm 1).
    lr : float > 0 or dict
        Step size, in this package's scale (entries of a Gaussian projection
        are :math:`N(0, 1/k)`); a dict ``{"M": ..., "sigma": ...}`` sets one per
        parameter group. The paper's lr 0.01 is stated in its scale, where
        :math:`\\Sigma = I` is the start: :math:`0.01/\\sqrt k` here
        (:func:`paper_settings`).
    lr_decay : "cosine", callable, (every, factor) or None
        ``"cosine"``: the rate falls as :math:`\\frac12(1 + \\cos(\\pi t / T))`
        over ``T = max_iter`` steps, so the noise of the Monte Carlo gradients
        and the oscillation of a constant rate die out (a constant rate leaves
        a floor of ~0.01–0.1); other values are passed to the optimizer.
        ``None``: constant (the paper).
    n_samples : int >= 1
        Sampled matrices per step (paper: 20). Standard deviations below
        ``1e-8`` times the start are set to 0 (their noise moves a distortion by
        ~1e-8); once ``sigma`` is all 0 the samples coincide and one is drawn.
    max_iter : int >= 0
        (paper: 5000).
    tol : float >= 0
        Stop once the mean's worst distortion is below ``tol`` (paper: 0.01).
    patience : int or None
        Stop when the mean's worst distortion has not improved by 0.1% in this
        many steps; ``None`` never.
    init : {"paper", "gaussian", "pca", "direct"} or array of shape (k, d)
        ``M = 0`` (paper); ``M`` = Gaussian random projection ``seed``; the
        rescaled top-``k`` PCA directions (:func:`~derand_fast.jl.baselines.pca_projection`);
        the deterministic L-BFGS solution from there
        (:func:`~derand_fast.jl.direct.polish`, ``polish_max_iter`` and ``polish_options``);
        or a given matrix. A ``"direct"`` or given start competes with the
        means for the output (judged like them), and when ``"direct"``'s start
        is still the best at the end the final polish is skipped (it is
        already a polished matrix). ``"pca"`` falls back to ``"gaussian"`` when ``k > d``.
    sigma : {"scalar", "entry"}
        One standard deviation shared by all entries (default: its gradient
        averages over all ``k·d`` entries, so it goes to 0 quickly, and its
        samples are drawn in the points' row space, ``d/rank`` times less work),
        or one per entry (the paper's :math:`\\Sigma`).
    sigma0 : float or None
        Initial standard deviation; ``None``: :math:`1/\\sqrt k` for ``"paper"``
        (the paper's :math:`\\Sigma = I` in this scale), :math:`0.1/\\sqrt k` for ``"gaussian"``.
    polish_result : bool
        Finish with :func:`derand_fast.jl.direct.polish` of the best mean.
    polish_max_iter : int
    polish_options : dict or None
        Further arguments of :func:`~derand_fast.jl.direct.polish` (``schedule``, ``working_set``, ...).
    seed : int >= 0
        Monte Carlo streams (step ``t`` uses streams ``t*n_samples ...`` of the
        ``"jl.samples"`` block of :data:`derand_fast.random.STREAMS`), PGD noise
        (``"jl.optimizer"``), the working set's fixed sample (``"jl.working_set"``)
        and the Gaussian start (draw 0 of ``"jl.draws"``). Same seed -> identical
        result for any ``threads``.
    working_set : int or None
        Problems with more constraints than this are optimized on a working
        set of this many: half a fixed uniform sample, half the currently worst
        constraints of the whole problem, rebuilt from the current mean every
        ``refresh`` steps (the worst case lives in few constraints; a fixed
        sample of 20 000 of digits' 1.6 M pairs reached 0.20 on the sample but
        0.98 on all pairs). The returned mean is the best by the whole
        problem's worst distortion at those refreshes (and at the end); the
        history's ``"max_distortion"`` is of the working set. ``None``: all.
    refresh : int >= 1
    time_limit : float or None
        Seconds for the variational run (the polish is not limited).
    threads : int or None

    Returns
    -------
    VariationalResult
        Ctrl-C returns the best mean so far with status ``Status.INTERRUPTED`` (no polish).

    Notes
    -----
    The defaults are what reached the targets of the benchmark table fastest
    (``benchmarks/jl_table.py``); the paper's exact settings (per-entry σ,
    ``M = 0, Σ = I``, constant Adam rate, 5000 iterations) are
    ``fit_variational(problem, k, **paper_settings(k))``, as used for Figures 6–7.
    """
    t0 = time.perf_counter()
    k = check_count(n_components, "n_components", 1)
    d = problem.n_features
    n_samples = check_count(n_samples, "n_samples", 1)
    max_iter = check_count(max_iter, "max_iter", 0)
    if patience is not None:
        patience = check_count(patience, "patience", 1)
    tol = float(tol)
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    tau0, tau1 = (check_positive(t, "tau") for t in tau)
    check_positive(eps, "eps"), check_positive(eps1, "eps1")
    if isinstance(lr, dict):
        lr = {name: check_positive(lr[name], f"lr[{name!r}]") for name in lr}
    else:
        lr = check_positive(lr, "lr")
    if isinstance(lr_decay, str):
        if lr_decay != "cosine":
            raise ValueError(f"lr_decay must be 'cosine', a callable, (every, factor) or None, got {lr_decay!r}")
        lr_decay = _cosine(max_iter)
    if objective not in ("smooth_max", "violations"):
        raise ValueError(f"objective must be 'smooth_max' or 'violations', got {objective!r}")
    if sigma not in ("entry", "scalar"):
        raise ValueError(f"sigma must be 'entry' or 'scalar', got {sigma!r}")
    if isinstance(init, str) and init == "paper":
        M0 = np.zeros((k, d))
        s0 = 1.0 / math.sqrt(k) if sigma0 is None else check_positive(sigma0, "sigma0")
    else:
        if isinstance(init, str):
            if init not in ("gaussian", "pca", "direct"):
                raise ValueError(f"init must be 'paper', 'gaussian', 'pca', 'direct' or an array, got {init!r}")
            if init == "gaussian" or k > d:
                M0 = gaussian_projection(k, d, seed=seed)
            else:
                M0 = pca_projection(problem, k)[0]
            if init == "direct":
                M0 = polish(M0, problem, max_iter=polish_max_iter, threads=threads, **(polish_options or {})).x
        else:
            M0 = np.array(init, dtype=np.float64)
            if M0.shape != (k, d) or not np.isfinite(M0).all():
                raise ValueError(f"an init array must be finite with shape ({k}, {d}), got {M0.shape}")
        s0 = 0.1 / math.sqrt(k) if sigma0 is None else check_positive(sigma0, "sigma0")
    scalar = sigma == "scalar"
    x0 = {"M": M0, "sigma": np.array(s0) if scalar else np.full((k, d), s0)}
    opt: Adam | PerturbedGD
    if optimizer == "adam":
        opt = Adam(lr=lr, lr_decay=lr_decay, seed=STREAMS["jl.optimizer"].seed(seed))
    elif optimizer == "pgd":
        opt = PerturbedGD(lr=lr, radius=1e-3, threshold=1e-3, interval=50, noise="gaussian", lr_decay=lr_decay,
                          seed=STREAMS["jl.optimizer"].seed(seed))
    else:
        raise ValueError(f"optimizer must be 'adam' or 'pgd', got {optimizer!r}")

    start_is_candidate = not isinstance(init, str) or init == "direct"  # a fitted start competes with the means
    best0 = max_distortion(M0, problem, threads=threads) if start_is_candidate else math.inf
    state = {"step": 0, "scale": None, "best_m": best0, "best_M": M0.copy(), "best_step": 0, "best_M_is_start": True,
             "status": None, "tau": tau0, "work": problem, "checked": -1, "full_max": None}
    if working_set is not None:
        working_set = check_count(working_set, "working_set", 2)
    refresh = check_count(refresh, "refresh", 1)
    sampled = working_set is not None and problem.n_constraints > working_set
    if sampled and working_set is not None:
        rng = np.random.default_rng(STREAMS["jl.working_set"].seed(seed))
        base = np.sort(rng.choice(problem.n_constraints, working_set // 2, replace=False))

    def rebuild(M):
        """Working set from the whole problem's distortions under ``M``; returns their worst."""
        assert working_set is not None  # called only when sampled
        u = np.abs(signed_distortions(M, problem, threads=threads))
        worst = np.argpartition(u, u.size - (working_set - base.size))[u.size - (working_set - base.size):]
        state["work"] = subproblem(problem, np.union1d(base, worst))
        return float(u.max())
    hist: dict[str, list] = {key: [] for key in
                             ("step", "max_distortion", "max_sigma2", "objective", "sample_max", "tau")}
    decay_tau = (tau1 / tau0) ** (1.0 / max(max_iter, 1))

    def fun(params):
        step = state["step"]
        if sampled and step % refresh == 0 and state["checked"] != step:
            state["full_max"], state["checked"] = rebuild(params["M"]), step
        sig = float(params["sigma"]) if scalar else params["sigma"]
        scale = state["scale"]
        tau_abs = state["tau"] * (scale if scale is not None else 1.0)
        if np.any(sig):
            batch, block = n_samples, step
        else:  # sigma = 0: every sample is M; draw one, from this step's first stream
            batch, block = 1, step * n_samples
        est = mc_objective(params["M"], sig, state["work"], kind=objective, eps=eps, eps1=eps1, tau=max(tau_abs, 1e-12),
                           n_samples=batch, seed=seed, step=block, threads=threads)
        state["sample_max"] = float(est.sample_max.mean())
        state["mean_max"] = float(est.sample_max[0]) if batch == 1 else None  # sigma = 0: the sample is M
        state["tau_abs"] = tau_abs
        if scale is None:
            state["scale"] = state["sample_max"]
            if objective == "smooth_max":  # first step: set the temperature from the batch, re-evaluate
                return fun(params)
        state["scale"] = state["sample_max"]
        state["tau"] *= decay_tau
        state["step"] = step + 1
        gs = np.array(est.grad_sigma) if scalar else est.grad_sigma
        return est.value, {"M": est.grad_M, "sigma": gs}

    def callback(intermediate_result):
        r = intermediate_result
        t, params, value = r.nit, r.x, r.fun
        M = params["M"]
        m = state["mean_max"]
        if m is None:
            m = max_distortion(M, state["work"], threads=threads)
        s2 = float(np.max(params["sigma"])) ** 2
        for key, v in (("step", t), ("max_distortion", m), ("max_sigma2", s2), ("objective", value),
                       ("sample_max", state["sample_max"]), ("tau", state["tau_abs"])):
            hist[key].append(v)
        if sampled:  # judge by the whole problem, known at the refreshes
            m, state["full_max"] = state["full_max"], None
            if m is None:
                return None
        if m < state["best_m"] * (1.0 - 1e-3):
            state["best_step"] = t
        if m < state["best_m"]:
            state["best_m"], state["best_M"], state["best_M_is_start"] = m, M.copy(), False
        if m <= tol:
            state["status"] = "converged"
            raise StopIteration
        if patience is not None and t - state["best_step"] >= patience:
            state["status"] = "stalled"
            raise StopIteration
        return None

    snap = _SNAP * s0

    def project(params):
        sg = params["sigma"]
        np.maximum(sg, 0.0, out=sg)
        sg[sg < snap] = 0.0  # negligible noise: exactly 0, so one sample suffices
        return params

    with thread_scope(threads):  # BLAS pinned for the optimizer's own vector work as well
        res = opt.minimize(fun, x0, max_iter=max_iter, callback=callback, project=project, time_limit=time_limit,
                           progress=False)
    messages = {"converged": f"the mean's worst distortion reached tol = {tol}",
                "stalled": f"no 0.1% improvement of the mean's worst distortion in {patience} steps"}
    if state["status"] is not None:  # our stopping rules: a normal end
        status, message = Status.COMPLETED, messages[state["status"]]
    else:
        status, message = as_status(res.status), str(res.message)
    best_M = state["best_M"]
    if sampled and len(hist["step"]) and status is not Status.INTERRUPTED:  # the last mean, judged by the whole problem
        if float(np.abs(signed_distortions(res.x["M"], problem, threads=threads)).max()) < state["best_m"]:
            best_M = res.x["M"]
    if not hist["step"]:  # interrupted before the first step completed
        best_M = M0
    sigma_end = float(res.x["sigma"]) if scalar else res.x["sigma"]
    pol = None
    x = best_M
    polished_start = isinstance(init, str) and init == "direct" and best_M is state["best_M"] \
        and state["best_M_is_start"]
    if polish_result and status is not Status.INTERRUPTED and not polished_start:
        pol = polish(best_M, problem, max_iter=polish_max_iter, threads=threads, **(polish_options or {}))
        if pol.status is Status.INTERRUPTED:
            status, message = Status.INTERRUPTED, pol.message
        if pol.max_distortion <= max_distortion(best_M, problem, threads=threads):
            x = pol.x
    u = np.abs(signed_distortions(x, problem, threads=threads))
    history = {key: np.asarray(v, dtype=np.int64 if key == "step" else np.float64) for key, v in hist.items()}
    return VariationalResult(x=x, mean=best_M, sigma=sigma_end, max_distortion=float(u.max()),
                             median_distortion=float(np.median(u)), history=history, status=status,
                             message=message, nit=int(res.nit), polish=pol, time=time.perf_counter() - t0)
