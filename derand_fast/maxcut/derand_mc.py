r"""Derandomized MAXCUT rounding by Monte Carlo gradients: the paper's method and its App. F.2 variant.

``derand-mc`` (paper §5.1, Theorem 5.2, Eq. 20). Signs
:math:`x_i = \mathrm{sgn}(\mu_i + s\,v_i\cdot z)`, :math:`z \sim N(0, I_r)`,
:math:`V` from the SDP; the Monte Carlo estimate of the smoothed expected cut

.. math::

    F(\mu, sV) = \mathbb E_z\Bigl[\sum_{ij} w_{ij}\,\tilde I(\mu_i + s\,v_i\cdot z,\; \mu_j + s\,v_j\cdot z)\Bigr]

is maximized over :math:`\mu` while the randomness :math:`sV` is driven to 0
— by a schedule on :math:`s` (default) or, as in the paper's Algorithm 1, by
perturbed gradient descent on :math:`(V, \mu)` with the penalty
:math:`\lambda\|V\|_F^2` — and the cut is :math:`\mathrm{sgn}(\mu)`
(:func:`derand_mc`).

``hyperplane-mc`` (App. F.2). The hyperplane normal is
:math:`z \sim N(m, \mathrm{diag}(\sigma^2))` and :math:`x_i = \mathrm{sgn}(v_i\cdot z)`;
:math:`m` and :math:`\log\sigma` are trained by SGD with separate learning
rates (0.01 and 0.001), a penalty on :math:`\sigma`, :math:`\sigma` clipped to
:math:`[10^{-3}, 1.5]`, learning rates decayed every 100 iterations; the cut
is :math:`\mathrm{sgn}(V m)`. Gradients pathwise through :math:`\tilde I`, or
score-function (hard cut, leave-one-out baseline) as an option.

Both stand on the smoothing engine: :class:`~derand_fast.smoothing.AffineSmoother`
draws the samples (streams of the ``derand_mc.samples`` block of
:data:`derand_fast.random.STREAMS`, one matrix product :math:`VZ^\top` per batch,
antithetic pairs, a pool of common random numbers, Sobol points) and reduces
them; MAXCUT supplies the objective, the fused smoothed-cut kernel of
:mod:`derand_fast.maxcut.smoothed_cut`. Results are identical for every thread count.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from .._threads import ThreadScoped, threads_for
from .._validation import check_count, check_positive, renamed
from ..optimizers import SGD, PerturbedGD
from ..progress import make_progress
from ..random import STREAMS, _fill_streams, seed_to_key, standard_normal
from ..runcontrol import RunControl, Status, as_control
from ..smoothing import AffineSmoother
from .cut import cut_values
from .derand_common import RoundingOutcome, as_graph, best_cut_tracker, check_factor, polish_outcome
from .graph import Graph
from .rounding import register_rounding
from .smoothed_cut import SmoothedCutObjective

__all__ = ["SCHEDULES", "SmoothedCutMC", "derand_mc", "hyperplane_mc"]

#: Default memory of the common-random-numbers pool (its projections: 8 n bytes per point).
_POOL_BYTES = 64 << 20
SCHEDULES = ("anneal", "pgd")


class SmoothedCutMC(ThreadScoped):
    r"""Monte Carlo estimates of the smoothed expected cut (paper Eq. 20) and its gradients, on the engine.

    Thin front of :class:`~derand_fast.smoothing.AffineSmoother` with the
    fused :class:`~derand_fast.maxcut.smoothed_cut.SmoothedCutObjective`.

    Parameters
    ----------
    graph : Graph or anything :func:`~derand_fast.maxcut.graph.load_graph` accepts
    eps : float > 0
        Width of the smoothed step :math:`S_\varepsilon` (App. F.1).
    n_samples : int >= 1
        Samples per estimate (:math:`B`).
    seed : int
        Step ``t`` uses streams ``t*B .. t*B + B - 1`` of the ``derand_mc.samples`` block of
        :data:`derand_fast.random.STREAMS` (common random numbers: same ``t``).
    threads : int or None
        Numba threads; None chooses (:func:`derand_fast._threads.threads_for`: one below
        ``SERIAL_BELOW["mc_terms"]`` sample-edge terms ``n_samples * max(n, m)`` per
        estimate, all above); the results do not depend on it.
    indicator : {"paper", "centred"}
        The smoothed edge indicator (:mod:`derand_fast.maxcut.smoothed_cut`).
    """

    def __init__(self, graph: Any, *, eps: float = 0.1, n_samples: int = 64, seed: int = 0,
                 threads: int | None = None, indicator: str = "paper") -> None:
        self.graph: Graph = as_graph(graph)
        self.eps = check_positive(eps, "eps")
        self.n_samples = check_count(n_samples, "n_samples")
        self.seed = seed
        # the one size rule: below SERIAL_BELOW["mc_terms"] sample-edge terms per step one thread
        self.threads: int = threads_for(threads, self.n_samples * max(self.graph.n, self.graph.m), "mc_terms")
        self.objective = SmoothedCutObjective(self.graph, self.eps, indicator)
        self._key = seed_to_key(seed)

    def smoother(self, V: np.ndarray, **options: Any) -> AffineSmoother:
        """The engine's driver for :math:`u = \\mu + s\\,Vz` on this estimator's samples (``options``: sampling)."""
        return AffineSmoother(self.objective, V, n_samples=self.n_samples, seed=self.seed,
                              first_stream=STREAMS["derand_mc.samples"].first, threads=self.threads, **options)

    def _normals(self, step: int, r: int) -> np.ndarray:
        # the streams of standard_normal(seed, B, r, first_stream=STREAMS["derand_mc.samples"].first + step * B)
        Z = np.empty((self.n_samples, r))
        _fill_streams(self._key, np.int64(STREAMS["derand_mc.samples"].at(step * self.n_samples)), Z)
        return Z

    def affine(self, V: np.ndarray, mu: np.ndarray, step: int = 0) -> tuple[float, np.ndarray, np.ndarray, float]:
        r"""Pathwise estimate for :math:`u = Vz + \mu` (paper Eq. 20 without the penalty).

        Returns
        -------
        value : float
            :math:`\widehat{\mathbb E}[\sum w\tilde I]`.
        grad_V : ndarray, shape (n, r)
            :math:`\widehat{\mathbb E}[\nabla_u\, z^\top]`.
        grad_mu : ndarray, shape (n,)
        stderr : float
            Standard error of ``value``.
        """
        with self.scope():
            est = self.smoother(V).estimate(np.ascontiguousarray(mu, dtype=np.float64), 1.0, step, grad_W=True)
        assert est.grad_W is not None  # grad_W=True
        return est.value, est.grad_W, est.grad_b, est.stderr

    def hyperplane(self, V: np.ndarray, m: np.ndarray, log_sigma: np.ndarray, step: int = 0,
                   estimator: str = "pathwise") -> tuple[float, np.ndarray, np.ndarray, float]:
        r"""Estimate for :math:`u = Vz`, :math:`z = m + \sigma\odot\xi` (App. F.2).

        ``estimator="pathwise"``: smoothed cut, gradients through :math:`\tilde I`
        (the objective's batch with :math:`b = Vm`, columns :math:`V(\sigma\odot\xi)`).
        ``estimator="score"``: hard cut :math:`\sum w\,[x_i \ne x_j]`, score-function
        gradients :math:`\mathbb E[(c - b)\,\xi/\sigma]` and
        :math:`\mathbb E[(c - b)(\xi^2 - 1)]` (log-std) with the leave-one-out
        baseline :math:`b_k = \frac{1}{B-1}\sum_{l \ne k} c_l` (unbiased).

        Returns
        -------
        value, grad_m (r,), grad_log_sigma (r,), stderr
        """
        B = self.n_samples
        sigma = np.exp(log_sigma)
        if estimator not in ("pathwise", "score"):
            raise ValueError(f"estimator must be 'pathwise' or 'score', got {estimator!r}")
        with self.scope():
            Xi = self._normals(step, V.shape[1])
            P = np.ascontiguousarray((V * sigma) @ Xi.T)
            if estimator == "pathwise":
                values = np.empty(B)
                G = np.empty_like(P)
                self.objective.evaluate(V @ m, 1.0, P, values, np.empty(self.graph.n), G)
                H = V.T @ G  # d value / d z, per sample (columns)
        if estimator == "pathwise":
            grad_m = H.sum(axis=1) / B
            grad_ls = (H * Xi.T).sum(axis=1) * sigma / B
        else:
            if B < 2:
                raise ValueError("estimator='score' needs n_samples >= 2 (leave-one-out baseline)")
            X = np.where((V @ m)[None, :] + P.T < 0.0, -1, 1).astype(np.int8)
            values = cut_values(self.graph, X, threads=self.threads)
            c = values - (values.sum() - values) / (B - 1)
            grad_m = (c[:, None] * Xi).sum(axis=0) / (B * sigma)
            grad_ls = (c[:, None] * (Xi * Xi - 1.0)).sum(axis=0) / B
        stderr = float(values.std(ddof=1) / math.sqrt(B)) if B > 1 else math.nan
        return float(values.mean()), grad_m, grad_ls, stderr


def derand_mc(graph: Any, V: Any, *, schedule: str = "anneal", eps: float | None = None, n_samples: int = 64,
              antithetic: bool | None = None, qmc: bool = False, pool: int | None | str = "auto",
              indicator: str | None = None, lr: float | None = None, max_iter: int | None = None,
              s_final: float = 1e-3, restarts: int = 1, reheats: int = 1, reheat_scale: float = 0.5,
              mu0_scale: float = 1e-3,
              lam: float = 0.03, radius: float = 0.01, threshold: float = 1e-3, interval: int = 50,
              v_tol: float | None = None, check_every: int = 10, record_every: int = 10, seed: int = 0,
              threads: int | None = None, time_limit: float | None = None, progress: Any = None,
              control: RunControl | None = None, polish: bool | None = None) -> RoundingOutcome:
    r"""The paper's Monte Carlo derandomization of GW rounding (Theorem 5.2, Eq. 20).

    The signs :math:`x_i = \mathrm{sgn}(\mu_i + s\,v_i\cdot z)` are made
    deterministic by maximizing the Monte Carlo estimate of the smoothed
    expected cut :math:`\mathbb E_z[\sum w_{ij}\tilde I(u_i, u_j)]`,
    :math:`u = \mu + s\,Vz`, while the randomness :math:`s\,V` shrinks to 0;
    the cut is :math:`\mathrm{sgn}(\mu)` (the best sign cut seen every
    ``check_every`` steps is kept). Estimates come from the smoothing engine
    (:class:`~derand_fast.smoothing.AffineSmoother`: the projections
    :math:`Vz` of a batch are one matrix product, antithetic pairs, common
    random numbers, Sobol points) with MAXCUT's fused kernel
    (:class:`~derand_fast.maxcut.smoothed_cut.SmoothedCutObjective`).

    ``schedule="anneal"`` (default)
        Adam on :math:`\mu` (step ``lr``, default 0.02) while :math:`s` falls
        linearly from 1 to ``s_final`` and the indicator's width follows it,
        :math:`\varepsilon_t =` ``eps`` :math:`\cdot s_t` (default ``eps = 0.5``,
        the ``"centred"`` indicator): the variance shrinkage of the paper's
        :math:`\lambda\|V\|_F^2` done by a schedule. Start
        :math:`\mu_0 =` ``mu0_scale`` :math:`\cdot N(0, I)` (stream 1 of the
        ``derand_mc.perturbation`` block: PGD's perturbation, Algorithm 1);
        ``restarts`` such anneals from starts 1, 2, ... of that block. After
        them, ``reheats`` warm restarts from the best cut :math:`x`
        (:math:`\mu_i = x_i\,s_h\|v_i\|`, :math:`s_h =` ``reheat_scale``) anneal
        again from :math:`s_h`. ``max_iter`` (default 3000) steps in all, 2/3
        for the anneal and the rest shared by the reheats; a phase ends early
        once the gradient has been exactly 0 for 5 steps (:math:`s` has
        collapsed: no sample is inside any band). Under a time limit every
        phase gets its share of the time and its schedule runs on the clock
        (the fraction of its steps or of its time done, whichever is larger).
    ``schedule="pgd"``
        The paper's Algorithm 1 as written: :class:`~derand_fast.optimizers.PerturbedGD`
        on :math:`(V, \mu)` of :math:`-\mathbb E[\sum w\tilde I]/\bar d + \lambda\|V\|_F^2`
        (:math:`\bar d = 2\sum|w|/n`, so ``lr`` and ``lam`` transfer between graphs;
        default ``lr = 0.07``, absolute ``eps = 0.1``, the ``"paper"``
        indicator, fresh samples every step), stopping once
        :math:`\|V\|_F <` ``v_tol`` (default ``eps``) or after ``max_iter``
        (default 3000) steps.

    Parameters
    ----------
    graph : Graph or anything :func:`~derand_fast.maxcut.graph.load_graph` accepts
    V : ndarray, shape (n, r)
        SDP vectors.
    schedule : {"anneal", "pgd"}
    eps : float or None
        Indicator width: relative to :math:`s` (``"anneal"``) or absolute (``"pgd"``).
    n_samples : int
        Evaluations per step (even with ``antithetic``).
    antithetic : bool or None
        Antithetic pairs :math:`\pm z` (default: on for ``"anneal"``; off for ``"pgd"``, where
        :math:`\mu = 0` would stay exactly stationary: the smoothed cut is even in :math:`u`).
    qmc : bool
        Scrambled Sobol points (point counts must be powers of two).
    pool : int, None or "auto"
        Common random numbers: ``pool`` points drawn and projected once and
        cycled through (``None``: fresh points and one projection every step;
        ``"auto"``: 1024 points, fewer when their projections would exceed
        64 MiB, a power of two with ``qmc``; always fresh for ``"pgd"``, whose :math:`V` changes).
    indicator : {"centred", "paper"} or None
        :mod:`derand_fast.maxcut.smoothed_cut`.
    lr, max_iter : float, int or None
    s_final, restarts, reheats, reheat_scale, mu0_scale : ``"anneal"``'s schedule (an anneal
        from :math:`s = 1` counts as two reheats in the split of ``max_iter`` and of the time).
    lam, radius, threshold, interval, v_tol : ``"pgd"``'s penalty, perturbation radius,
        gradient-norm threshold, steps between perturbations and stopping norm.
    check_every, record_every : int
        Sign-cut check and history intervals.
    seed : int
        Monte Carlo samples: block ``derand_mc.samples`` of
        :data:`derand_fast.random.STREAMS`; start and perturbations: block ``derand_mc.perturbation``.
    threads : int or None
        Numba threads; None chooses by the size of a step (:class:`SmoothedCutMC`); the result does not
        depend on it.
    time_limit : float or None
        Seconds (status ``TIME_LIMIT``); Ctrl-C gives ``INTERRUPTED``, with the best cut so far.
    progress : None, bool or callable(stage, fraction, info)
    control : RunControl, optional
        The run this rounding belongs to (deadline, stop flag, best-so-far record).
    polish : bool, optional
        Deprecated (the pipeline's ``local_search`` is the one polish).

    Notes
    -----
    Measured on Gset at 10 s per rounding after the SDP (seed 1, one thread,
    no local search; ``benchmarks/derand_mc_table.py``,
    ``docs/results/derand_mc_table.md``), cuts on G81 (n = 20 000, rank 200)
    and G22 for each lever added in turn: Algorithm 1 as written
    (``schedule="pgd"``) 4 800 / 12 759; the annealed schedule with the App.
    F.1 indicator (width 0.3 s, its best of those tried) and fresh samples
    13 528 / 12 902; the centred indicator 13 826 / 13 308; antithetic pairs
    13 844 / 13 283; the pool of common random numbers 13 908 / 13 276 (on
    G81 a step costs 4.3 ms instead of 13.7 ms: no projection per step);
    Sobol points 13 904 / 13 298. derand-exact: 13 934 / 13 301, GW best of
    1000: 12 706 / 12 969. The width ``eps = 0.5`` (relative to :math:`s`)
    was chosen over 2 and 1 on G70 (9 567 against 9 506 and 9 553 with
    ``max_iter`` 3000; 0.25 gave 9 551) and confirmed on G1, G22, G43. Over
    the 71 Gset graphs (``docs/results/derand_mc_column.md``) the default is
    within 99.5 % of derand-exact on 60 and >= GW's best of 1000 on 70 (G50:
    5 878 against 5 880); the misses are graphs where the anneal ends early
    (0.4-4 s). ``restarts=2`` (within the same ``max_iter``) recovered G20
    (907 -> 932 of 936), G10, G18 and G27 and kept G81 / G22 / G1 above
    their targets at 10 s (13 908, 13 290, 11 603), but G21 and G12 stayed
    below; it is not the default because the tables were made with one.

    Returns
    -------
    RoundingOutcome
        ``history``: ``step``, ``objective`` (smoothed cut estimate), ``scale``
        (``"anneal"``: :math:`s`; ``"pgd"``: :math:`\|V\|_F`), ``cut`` (sign cut of :math:`\mu`).

    Examples
    --------
    >>> import numpy as np
    >>> edges = np.array([[0, 1], [1, 2], [2, 0]])   # a triangle: max cut 2
    >>> V = np.array([[1.0, 0.0], [-0.5, 0.866], [-0.5, -0.866]])
    >>> derand_mc((edges, np.ones(3)), V, max_iter=300, n_samples=16).cut
    2.0
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    g = as_graph(graph)
    V0 = check_factor(V, g.n)
    anneal = schedule == "anneal"
    eps = check_positive((0.5 if anneal else 0.1) if eps is None else eps, "eps")
    indicator = ("centred" if anneal else "paper") if indicator is None else indicator
    n_samples = check_count(n_samples, "n_samples")
    antithetic = anneal if antithetic is None else bool(antithetic)
    lr = check_positive((0.02 if anneal else 0.07) if lr is None else lr, "lr")
    max_iter = check_count(3000 if max_iter is None else max_iter, "max_iter")
    check_every = check_count(check_every, "check_every")
    record_every = check_count(record_every, "record_every")
    lam = check_positive(lam, "lam")
    ctl = as_control(control, time_limit)
    est = SmoothedCutMC(g, eps=eps, n_samples=n_samples, seed=seed, threads=threads, indicator=indicator)
    points = n_samples // 2 if antithetic else n_samples
    if not anneal or pool is None:
        pool_ = None
    elif pool == "auto":
        blocks = max(1, min(1024 // points, _POOL_BYTES // (8 * g.n * points)))
        if qmc:  # a Sobol set keeps its balance only at a power of two
            blocks = 1 << (blocks.bit_length() - 1)
        pool_ = blocks * points
    else:
        pool_ = check_count(pool, "pool")
    sm = est.smoother(V0, antithetic=antithetic, qmc=qmc, pool=pool_)
    t0 = time.perf_counter()
    update_best, best = best_cut_tracker(g)
    report, close = make_progress(progress)
    stage = "rounding derand-mc"
    if anneal:
        run = _anneal(g, sm, est, V0, lr=lr, max_iter=max_iter, s_final=check_positive(s_final, "s_final", upper=1.0),
                      restarts=check_count(restarts, "restarts"), reheats=check_count(reheats, "reheats", 0),
                      reheat_scale=check_positive(reheat_scale, "reheat_scale", upper=1.0),
                      mu0_scale=check_positive(mu0_scale, "mu0_scale"), eps=eps, seed=seed, check_every=check_every,
                      record_every=record_every, ctl=ctl, update_best=update_best, best=best, report=report)
    else:
        run = _pgd(g, sm, V0, lr=lr, lam=lam, radius=check_positive(radius, "radius"),
                   threshold=check_positive(threshold, "threshold"), interval=check_count(interval, "interval"),
                   v_tol=check_positive(eps if v_tol is None else v_tol, "v_tol"), max_iter=max_iter, seed=seed,
                   check_every=check_every, record_every=record_every, ctl=ctl, update_best=update_best,
                   report=report)
    close()
    status, nit, hist, info = run
    ctl.offer(stage, best["x"], best["cut"])
    info.update({"method": "derand-mc", "schedule": schedule, "indicator": indicator, "n_samples": n_samples,
                 "antithetic": bool(antithetic), "qmc": bool(qmc), "pool": 0 if pool_ is None else pool_,
                 "projections": sm.projections})
    out = RoundingOutcome(
        x=best["x"], cut=float(best["cut"]), cut_before_polish=float(best["cut"]), status=status, nit=int(nit),
        time=0.0, history={k: np.asarray(v) for k, v in hist.items()}, info=info)
    polish_outcome(g, out, polish)
    out.time = time.perf_counter() - t0
    return out


def _anneal(g: Graph, sm: AffineSmoother, est: SmoothedCutMC, V: np.ndarray, *, lr: float, max_iter: int,
            s_final: float, restarts: int, reheats: int, reheat_scale: float, mu0_scale: float, eps: float, seed: int,
            check_every: int, record_every: int, ctl: RunControl, update_best: Any, best: dict, report: Any):
    """``derand_mc``'s annealed schedule: Adam on mu while s (and eps with it) fall linearly; warm reheats."""
    n = g.n
    b1, b2, adam_eps = 0.9, 0.999, 1e-8
    unit = max_iter / (2 * restarts + reheats)  # an anneal from s = 1 counts 2, a reheat 1
    phases = [(1.0, max(1, round(2 * unit)), k) for k in range(restarts)]
    phases += [(reheat_scale, max(1, round(unit)), -1)] * reheats
    weights = [2.0 if start >= 0 else 1.0 for _, _, start in phases]
    norms = np.linalg.norm(V, axis=1)
    reheat_mu = np.where(norms > 0.0, reheat_scale * norms, mu0_scale)
    mu = np.zeros(n)
    hist: dict[str, list] = {"step": [], "objective": [], "scale": [], "cut": []}
    status, total, s = Status.COMPLETED, 0, 1.0
    phase_steps = []
    try:
        with sm.scope():
            for k, (s0, n_k, start) in enumerate(phases):
                if start >= 0:  # a random start (restart k: stream 1 + k of the perturbation block)
                    stream = STREAMS["derand_mc.perturbation"].at(1 + start)
                    mu = mu0_scale * standard_normal(seed, 1, n, first_stream=stream)[0]
                else:  # a warm reheat from the best cut so far
                    mu = best["x"] * reheat_mu
                # this phase's share of the time left (a phase that ended early leaves its time to the next)
                left = ctl.remaining()
                budget = None if math.isinf(left) else left * weights[k] / sum(weights[k:])
                m1 = np.zeros(n)
                m2 = np.zeros(n)
                t_k, zero_run, j = time.perf_counter(), 0, 0
                frac = 0.0
                while frac < 1.0:
                    s = s0 * (1.0 + (s_final - 1.0) * frac)
                    est.objective.eps = eps * s
                    e = sm.estimate(mu, s, total)
                    gb = e.grad_b
                    j += 1
                    total += 1
                    m1 *= b1
                    m1 += (1.0 - b1) * gb
                    m2 *= b2
                    m2 += (1.0 - b2) * gb * gb
                    mu += (lr / (1.0 - b1 ** j)) * m1 / (np.sqrt(m2 / (1.0 - b2 ** j)) + adam_eps)
                    zero_run = zero_run + 1 if not gb.any() else 0
                    if total % check_every == 0 or total % record_every == 0:
                        c = update_best(mu)
                        if total % record_every == 0:
                            for key, v in (("step", total), ("objective", e.value), ("scale", s), ("cut", c)):
                                hist[key].append(v)
                            if report is not None:
                                report("rounding derand-mc", total / max_iter, f"step {total}, scale {s:.3g}")
                    stop = ctl.poll()
                    if stop is not None:
                        status = stop
                        break
                    frac = j / n_k
                    if budget is not None:
                        frac = max(frac, (time.perf_counter() - t_k) / budget)
                    if zero_run >= 5:
                        break
                update_best(mu)
                phase_steps.append(j)
                if status is not Status.COMPLETED:
                    break
    except KeyboardInterrupt:
        status = ctl.interrupt()
    update_best(mu)
    return status, total, hist, {"final_scale": float(s), "phase_steps": phase_steps}


def _pgd(g: Graph, sm: AffineSmoother, V0: np.ndarray, *, lr: float, lam: float, radius: float, threshold: float,
         interval: int, v_tol: float, max_iter: int, seed: int, check_every: int, record_every: int,
         ctl: RunControl, update_best: Any, report: Any):
    """``derand_mc``'s ``"pgd"`` schedule: the paper's Algorithm 1 on (V, mu)."""
    opt = PerturbedGD(lr=lr, radius=radius, threshold=threshold, interval=interval,
                      seed=STREAMS["derand_mc.perturbation"].seed(seed))
    hist: dict[str, list] = {"step": [], "objective": [], "scale": [], "cut": []}
    state: dict[str, Any] = {"step": 0, "value": math.nan}
    # the cut term is divided by the mean weighted degree so that lr and lam mean the same on
    # sparse and dense graphs (per-node gradients O(1)); dynamics equal the unscaled problem's
    # with lr * dbar and lam / dbar
    dbar = max(2.0 * float(np.abs(g.weights).sum()) / max(g.n, 1), 1e-300)

    def fun(p):
        Vp = p["V"]
        sm.set_W(Vp)
        e = sm.estimate(p["mu"], 1.0, state["step"], grad_W=True)
        state["value"] = e.value
        assert e.grad_W is not None  # asked for
        return -e.value / dbar + lam * float(np.vdot(Vp, Vp)), {"V": 2.0 * lam * Vp - e.grad_W / dbar,
                                                                  "mu": -e.grad_b / dbar}

    def callback(intermediate_result):
        step, p = intermediate_result.nit, intermediate_result.x
        state["step"] = step + 1
        nv = float(np.linalg.norm(p["V"]))
        if step % check_every == 0 or step % record_every == 0 or nv < v_tol:
            c = update_best(p["mu"])
            if step % record_every == 0:
                for k, v in (("step", step), ("objective", state["value"]), ("scale", nv), ("cut", c)):
                    hist[k].append(v)
                if report is not None:
                    report("rounding derand-mc", step / max_iter, f"step {step}, |V| {nv:.3g}")
        state["stop"] = ctl.poll()
        if nv < v_tol or state["stop"] is not None:
            raise StopIteration

    with sm.scope():
        res = opt.minimize(fun, {"V": V0, "mu": np.zeros(g.n)}, max_iter=max_iter, callback=callback,
                           progress=False, time_limit=_seconds_left(ctl), history_every=record_every)
    update_best(res.x["mu"])
    status = _status(res.status, state.get("stop"), ctl)
    nv = float(np.linalg.norm(res.x["V"]))
    if status is Status.COMPLETED and not nv < v_tol:
        status = Status.MAX_ITER
    return status, res.nit, hist, {"norm_V": nv, "optimizer": res.message, "reached_v_tol": bool(nv < v_tol)}


def _seconds_left(ctl: RunControl) -> float | None:
    """The optimizer's ``time_limit``: what is left of the control's deadline (None without one)."""
    left = ctl.remaining()
    return None if math.isinf(left) else max(left, 1e-3)


def _status(opt_status: Status, stop: Status | None, ctl: RunControl) -> Status:
    """The rounding's :class:`Status` from the optimizer's status and a stop seen in the callback."""
    if opt_status is Status.INTERRUPTED:
        return ctl.interrupt()
    if stop is not None:
        return stop
    if opt_status is Status.TIME_LIMIT:
        return Status.TIME_LIMIT
    return Status.COMPLETED


def hyperplane_mc(graph: Any, V: Any, *, max_iter: int = 5000, n_samples: int = 100, lr_m: float = 0.01,
                  lr_sigma: float = 0.001, decay: float = 0.95, decay_every: int = 100, sigma_reg: float = 1.0,
                  sigma_bounds: tuple[float, float] = (1e-3, 1.5), eps: float = 0.1, estimator: str = "pathwise",
                  record_every: int = 10, seed: int = 0, threads: int | None = None,
                  time_limit: float | None = None, progress: Any = None, control: RunControl | None = None,
                  n_iter: int | None = None, polish: bool | None = None) -> RoundingOutcome:
    r"""The paper's experiment variant (App. F.2): learn the hyperplane distribution :math:`N(m, \sigma^2)`.

    Minimizes :math:`-\mathbb E_{z\sim N(m,\sigma^2)}[\mathrm{cut}(\mathrm{sgn}(Vz))]
    + \text{sigma\_reg}\,\|\sigma\|^2` by SGD on :math:`(m, \log\sigma)` with
    learning rates ``lr_m``, ``lr_sigma`` multiplied by ``decay`` every
    ``decay_every`` iterations, :math:`\sigma` clipped to ``sigma_bounds``;
    :math:`m_0 \sim N(0, I_r)` (block ``hyperplane_mc.start`` of
    :data:`derand_fast.random.STREAMS`), :math:`\sigma_0 = 1`, for ``max_iter``
    iterations (formerly ``n_iter``, still accepted with a DeprecationWarning).
    The cut is :math:`\mathrm{sgn}(Vm)`, tracked every ``record_every`` steps
    (best kept). ``progress`` and ``control`` as in :func:`derand_mc`;
    ``polish`` is deprecated.

    Returns
    -------
    RoundingOutcome
        ``history``: ``step``, ``objective`` (sampled mean cut; smoothed for
        pathwise), ``max_sigma2``, ``cut`` (of :math:`\mathrm{sgn}(Vm)`).
    """
    g = as_graph(graph)
    Vc = check_factor(V, g.n)
    r = Vc.shape[1]
    lo, hi = (float(b) for b in sigma_bounds)
    if not (0.0 < lo < hi and math.isfinite(hi)):
        raise ValueError(f"sigma_bounds must satisfy 0 < low < high < inf, got {sigma_bounds!r}")
    sigma_reg = float(sigma_reg)
    if not (math.isfinite(sigma_reg) and sigma_reg >= 0.0):
        raise ValueError(f"sigma_reg must be a finite number >= 0, got {sigma_reg!r}")
    if estimator not in ("pathwise", "score"):
        raise ValueError(f"estimator must be 'pathwise' or 'score', got {estimator!r}")
    record_every = check_count(record_every, "record_every")
    est = SmoothedCutMC(g, eps=eps, n_samples=n_samples, seed=seed, threads=threads)
    opt = SGD(lr={"m": check_positive(lr_m, "lr_m"), "log_sigma": check_positive(lr_sigma, "lr_sigma")},
              lr_decay=(check_count(decay_every, "decay_every"), check_positive(decay, "decay")), seed=seed)
    t0 = time.perf_counter()
    update_best, best = best_cut_tracker(g)
    hist: dict[str, list] = {"step": [], "objective": [], "max_sigma2": [], "cut": []}
    state: dict[str, Any] = {"step": 0, "value": math.nan}
    llo, lhi = math.log(lo), math.log(hi)
    n_iter = check_count(renamed(max_iter, n_iter, "n_iter", "max_iter"), "max_iter")
    m0 = standard_normal(seed, 1, r, first_stream=STREAMS["hyperplane_mc.start"].first)[0]
    ctl = as_control(control, time_limit)
    report, close = make_progress(progress)

    def fun(p):
        value, gm, gls, _ = est.hyperplane(Vc, p["m"], p["log_sigma"], state["step"], estimator)
        state["value"] = value
        s2 = np.exp(2.0 * p["log_sigma"])
        return (-value + sigma_reg * float(s2.sum()),
                {"m": -gm, "log_sigma": -gls + 2.0 * sigma_reg * s2})

    def project(p):
        return {"m": p["m"], "log_sigma": np.clip(p["log_sigma"], llo, lhi)}

    def callback(intermediate_result):
        step, p = intermediate_result.nit, intermediate_result.x
        state["step"] = step + 1
        if step % record_every == 0 or step == n_iter:
            c = update_best(Vc @ p["m"])
            for k, v in (("step", step), ("objective", state["value"]),
                         ("max_sigma2", float(np.exp(2.0 * p["log_sigma"].max()))), ("cut", c)):
                hist[k].append(v)
            if report is not None:
                report("rounding hyperplane-mc", step / n_iter, f"step {step}")
        state["stop"] = ctl.poll()
        if state["stop"] is not None:
            raise StopIteration

    with est.scope():
        res = opt.minimize(fun, {"m": m0, "log_sigma": np.zeros(r)}, max_iter=n_iter,
                           callback=callback, progress=False, time_limit=_seconds_left(ctl), project=project,
                           history_every=record_every)
    close()
    update_best(Vc @ res.x["m"])
    status = _status(res.status, state.get("stop"), ctl)
    ctl.offer("rounding hyperplane-mc", best["x"], best["cut"])
    out = RoundingOutcome(
        x=best["x"], cut=float(best["cut"]), cut_before_polish=float(best["cut"]), status=status, nit=int(res.nit),
        time=0.0, history={k: np.asarray(v) for k, v in hist.items()},
        info={"method": "hyperplane-mc", "final_max_sigma2": float(np.exp(2.0 * res.x["log_sigma"].max())),
              "estimator": estimator})
    polish_outcome(g, out, polish)
    out.time = time.perf_counter() - t0
    return out


# both choose their threads by the size of a step (SmoothedCutMC): the pipeline passes them the caller's threads
derand_mc.chooses_threads = True  # type: ignore[attr-defined]
hyperplane_mc.chooses_threads = True  # type: ignore[attr-defined]
register_rounding("derand-mc", derand_mc, replace=True)
register_rounding("hyperplane-mc", hyperplane_mc, replace=True)
