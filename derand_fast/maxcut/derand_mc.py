r"""Derandomized MAXCUT rounding by Monte Carlo gradients: the paper's method and its App. F.2 variant.

``derand-mc`` (paper §5.1, Theorem 5.2, Eq. 20). Signs
:math:`x_i = \mathrm{sgn}(v_i\cdot z + \mu_i)`, :math:`z \sim N(0, I_r)`, start at
:math:`\mu = 0` with :math:`V` from the SDP, and minimize

.. math::

    f(V, \mu) = -\mathbb E_z\Bigl[\sum_{ij} w_{ij}\,\tilde I(v_i\cdot z + \mu_i,\; v_j\cdot z + \mu_j)\Bigr]
        + \lambda \|V\|_F^2

with the smoothed edge indicator :math:`\tilde I` (App. F.1,
:func:`derand_fast.indicators.edge_indicator_scalar`) by perturbed gradient
descent (Algorithm 1, :class:`derand_fast.optimizers.PerturbedGD`) on
pathwise Monte Carlo gradients; stop once :math:`\|V\|_F` is below a
threshold; the cut is :math:`\mathrm{sgn}(\mu)`.

``hyperplane-mc`` (App. F.2). The hyperplane normal is
:math:`z \sim N(m, \mathrm{diag}(\sigma^2))` and :math:`x_i = \mathrm{sgn}(v_i\cdot z)`;
:math:`m` and :math:`\log\sigma` are trained by SGD with separate learning
rates (0.01 and 0.001), a penalty on :math:`\sigma`, :math:`\sigma` clipped to
:math:`[10^{-3}, 1.5]`, learning rates decayed every 100 iterations; the cut
is :math:`\mathrm{sgn}(V m)`. Gradients pathwise through :math:`\tilde I`, or
score-function (hard cut, leave-one-out baseline) as an option.

The hot loop — samples × edges of :math:`\tilde I` and its derivatives — is a
Numba ``prange`` over samples, one slot per sample; the products with
:math:`V` are BLAS calls (pinned to one thread). Sample :math:`k` of step
:math:`t` is stream :math:`tB + k` of :func:`derand_fast.random.standard_normal`,
so results are identical for every thread count.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any

import numba as nb
import numpy as np

from .._threads import thread_scope
from .._validation import check_count, check_positive
from ..indicators import edge_indicator_scalar
from ..optimizers import SGD, PerturbedGD
from ..random import _fill_streams, seed_to_key, standard_normal
from .cut import cut_values
from .derand_common import RoundingOutcome, as_graph, best_cut_tracker, check_factor, polish_outcome
from .graph import Graph

__all__ = ["SmoothedCutMC", "derand_mc", "hyperplane_mc", "edge_pass"]

# Below this many sample-edge evaluations per step (~10 ns each) waking threads costs more
# than it saves (on a loaded 2-core machine a parallel launch took milliseconds).
_PARALLEL_MIN_WORK = 1 << 18


@nb.njit(cache=True, parallel=True)
def edge_pass(U, eu, ev, w, eps, values, G):  # pragma: no cover - compiled
    """For each sample row ``U[b]`` (values of :math:`u`, shape (n,)): the smoothed cut and its gradient.

    ``values[b] = sum_e w_e I~(U[b, eu_e], U[b, ev_e])`` and
    ``G[b] = d values[b] / d U[b]``; one slot per sample (thread-count independent).
    """
    B = U.shape[0]
    m = eu.shape[0]
    for b in nb.prange(B):
        row = U[b]
        g = G[b]
        g[:] = 0.0
        acc = 0.0
        for e in range(m):
            i = eu[e]
            j = ev[e]
            if row[i] * row[j] >= 0.0:
                continue  # same signs (or a zero): I~ and its gradient are exactly 0
            f, fx, fy, _, _, _ = edge_indicator_scalar(row[i], row[j], eps)
            we = w[e]
            acc += we * f
            g[i] += we * fx
            g[j] += we * fy
        values[b] = acc


class SmoothedCutMC:
    r"""Monte Carlo estimates of the smoothed expected cut (paper Eq. 20) and its gradients.

    Parameters
    ----------
    graph : Graph or anything :func:`~derand_fast.maxcut.graph.load_graph` accepts
    eps : float > 0
        Width of the smoothed step :math:`S_\varepsilon` (App. F.1).
    n_samples : int >= 1
        Samples per estimate (:math:`B`).
    seed : int
        Step ``t`` uses streams ``t*B .. t*B + B - 1`` (common random numbers: same ``t``).
    threads : int or None
        Numba threads (1 for small problems); the results do not depend on it.
    """

    def __init__(self, graph: Any, *, eps: float = 0.1, n_samples: int = 64, seed: int = 0,
                 threads: int | None = None) -> None:
        self.graph: Graph = as_graph(graph)
        self.eps = check_positive(eps, "eps")
        self.n_samples = check_count(n_samples, "n_samples")
        self.seed = seed
        work = self.n_samples * max(self.graph.m, self.graph.n)
        self.threads = threads if work >= _PARALLEL_MIN_WORK else 1
        self._key = seed_to_key(seed)
        self._scoped = False
        self._eu = self.graph.u.astype(np.int64)
        self._ev = self.graph.v.astype(np.int64)
        self._w = np.ascontiguousarray(self.graph.weights, dtype=np.float64)

    @contextlib.contextmanager
    def scope(self):
        """Run many estimates under one :func:`~derand_fast._threads.thread_scope` (saves its cost per call)."""
        if self._scoped:
            yield
            return
        with thread_scope(self.threads):
            self._scoped = True
            try:
                yield
            finally:
                self._scoped = False

    def _normals(self, step: int, r: int) -> np.ndarray:
        # the streams of standard_normal(seed, B, r, first_stream=step * B), drawn inside our scope
        Z = np.empty((self.n_samples, r))
        _fill_streams(self._key, np.int64(step * self.n_samples), Z)
        return Z

    def _pass(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = np.empty(U.shape[0])
        G = np.empty_like(U)
        edge_pass(U, self._eu, self._ev, self._w, self.eps, values, G)
        return values, G

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
        B = self.n_samples
        with self.scope():
            Z = self._normals(step, V.shape[1])
            U = Z @ V.T
            U += mu
            values, G = self._pass(U)
            grad_V = (G.T @ Z) / B
        grad_mu = G.sum(axis=0) / B
        stderr = float(values.std(ddof=1) / math.sqrt(B)) if B > 1 else math.nan
        return float(values.mean()), grad_V, grad_mu, stderr

    def hyperplane(self, V: np.ndarray, m: np.ndarray, log_sigma: np.ndarray, step: int = 0,
                   estimator: str = "pathwise") -> tuple[float, np.ndarray, np.ndarray, float]:
        r"""Estimate for :math:`u = Vz`, :math:`z = m + \sigma\odot\xi` (App. F.2).

        ``estimator="pathwise"``: smoothed cut, gradients through :math:`\tilde I`.
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
            U = (m + sigma * Xi) @ V.T
            if estimator == "pathwise":
                values, G = self._pass(U)
                H = G @ V  # d value / d z, per sample
        if estimator == "pathwise":
            grad_m = H.sum(axis=0) / B
            grad_ls = (H * Xi).sum(axis=0) * sigma / B
        else:
            if B < 2:
                raise ValueError("estimator='score' needs n_samples >= 2 (leave-one-out baseline)")
            X = np.where(U < 0.0, -1, 1).astype(np.int8)
            values = cut_values(self.graph, X, threads=self.threads)
            c = values - (values.sum() - values) / (B - 1)
            grad_m = (c[:, None] * Xi).sum(axis=0) / (B * sigma)
            grad_ls = (c[:, None] * (Xi * Xi - 1.0)).sum(axis=0) / B
        stderr = float(values.std(ddof=1) / math.sqrt(B)) if B > 1 else math.nan
        return float(values.mean()), grad_m, grad_ls, stderr


def derand_mc(graph: Any, V: Any, *, eps: float = 0.1, lam: float = 0.03, n_samples: int = 64, lr: float = 0.07,
              radius: float = 0.01, threshold: float = 1e-3, interval: int = 50, max_iter: int = 3000,
              v_tol: float | None = None, check_every: int = 10, record_every: int = 10, polish: bool = True,
              seed: int = 0, threads: int | None = None, time_limit: float | None = None) -> RoundingOutcome:
    r"""The paper's derandomized rounding (Theorem 5.2): PGD on :math:`(V, \mu)` with Monte Carlo gradients.

    Minimizes :math:`f(V,\mu)` of paper Eq. 20 (see the module docstring), the
    cut term divided by the mean weighted degree :math:`\bar d = 2\sum|w|/n` (so
    ``lr`` and ``lam`` transfer between graphs), with
    :class:`~derand_fast.optimizers.PerturbedGD` (Algorithm 1) from
    :math:`\mu = 0` and the SDP's :math:`V`, on pathwise estimates with
    ``n_samples`` fresh samples per step; stops once :math:`\|V\|_F <`
    ``v_tol`` (default ``eps``: the paper's :math:`\|V\|_F^2 < \varepsilon^2`)
    or after ``max_iter`` steps. The cut is :math:`\mathrm{sgn}(\mu)`; the best
    sign cut seen every ``check_every`` steps is kept, then polished by local
    search when ``polish``.

    Parameters
    ----------
    graph : Graph or anything :func:`~derand_fast.maxcut.graph.load_graph` accepts
    V : ndarray, shape (n, r)
    eps : float
        Smoothing width of :math:`\tilde I`.
    lam : float
        :math:`\lambda` of the :math:`\lambda\|V\|_F^2` penalty (shrinks the randomness),
        relative to the degree-normalized cut.
    n_samples : int
    lr, radius, threshold, interval : PGD step size, perturbation radius,
        gradient-norm threshold and minimum steps between perturbations.
    max_iter : int
    v_tol : float or None
    check_every, record_every : int
        Sign-cut check and history intervals.
    polish : bool
    seed : int
        Monte Carlo streams and PGD perturbations.
    threads : int or None
    time_limit : float or None
        Seconds (``status="time_limit"``); Ctrl-C gives ``status="interrupted"``.

    Returns
    -------
    RoundingOutcome
        ``history``: ``step``, ``objective`` (smoothed cut estimate), ``norm_V``, ``cut``.
    """
    g = as_graph(graph)
    V0 = check_factor(V, g.n)
    est = SmoothedCutMC(g, eps=eps, n_samples=n_samples, seed=seed, threads=threads)
    lam = check_positive(lam, "lam")
    v_tol = check_positive(est.eps if v_tol is None else v_tol, "v_tol")
    check_every = check_count(check_every, "check_every")
    record_every = check_count(record_every, "record_every")
    max_iter = check_count(max_iter, "max_iter")
    opt = PerturbedGD(lr=check_positive(lr, "lr"), radius=check_positive(radius, "radius"),
                      threshold=check_positive(threshold, "threshold"),
                      interval=check_count(interval, "interval"), seed=seed)
    t0 = time.perf_counter()
    update_best, best = best_cut_tracker(g)
    hist: dict[str, list] = {"step": [], "objective": [], "norm_V": [], "cut": []}
    state = {"step": 0, "value": math.nan}

    # the cut term is divided by the mean weighted degree so that lr and lam mean the same on
    # sparse and dense graphs (per-node gradients O(1)); dynamics equal the unscaled problem's
    # with lr * dbar and lam / dbar
    dbar = max(2.0 * float(np.abs(g.weights).sum()) / max(g.n, 1), 1e-300)

    def fun(p):
        value, gV, gmu, _ = est.affine(p["V"], p["mu"], state["step"])
        state["value"] = value
        Vp = p["V"]
        return -value / dbar + lam * float(np.vdot(Vp, Vp)), {"V": 2.0 * lam * Vp - gV / dbar, "mu": -gmu / dbar}

    def callback(intermediate_result):
        step, p = intermediate_result.nit, intermediate_result.x
        state["step"] = step + 1
        nv = float(np.linalg.norm(p["V"]))
        if step % check_every == 0 or step % record_every == 0 or nv < v_tol:
            c = update_best(p["mu"])
            if step % record_every == 0:
                for k, v in (("step", step), ("objective", state["value"]), ("norm_V", nv), ("cut", c)):
                    hist[k].append(v)
        if nv < v_tol:
            raise StopIteration

    with est.scope():
        res = opt.minimize(fun, {"V": V0, "mu": np.zeros(g.n)}, max_iter=max_iter, callback=callback,
                           progress=False, time_limit=time_limit, history_every=record_every)
    update_best(res.x["mu"])
    status = {"interrupted": "interrupted", "time_limit": "time_limit"}.get(str(res.status.value), "done")
    out = RoundingOutcome(
        x=best["x"], cut=float(best["cut"]), cut_before_polish=float(best["cut"]), status=status, nit=int(res.nit),
        time=0.0, history={k: np.asarray(v) for k, v in hist.items()},
        info={"method": "derand-mc", "norm_V": float(np.linalg.norm(res.x["V"])), "optimizer": res.message,
              "reached_v_tol": bool(np.linalg.norm(res.x["V"]) < v_tol)})
    polish_outcome(g, out, polish)
    out.time = time.perf_counter() - t0
    return out


def hyperplane_mc(graph: Any, V: Any, *, n_iter: int = 5000, n_samples: int = 100, lr_m: float = 0.01,
                  lr_sigma: float = 0.001, decay: float = 0.95, decay_every: int = 100, sigma_reg: float = 1.0,
                  sigma_bounds: tuple[float, float] = (1e-3, 1.5), eps: float = 0.1, estimator: str = "pathwise",
                  record_every: int = 10, polish: bool = True, seed: int = 0, threads: int | None = None,
                  time_limit: float | None = None) -> RoundingOutcome:
    r"""The paper's experiment variant (App. F.2): learn the hyperplane distribution :math:`N(m, \sigma^2)`.

    Minimizes :math:`-\mathbb E_{z\sim N(m,\sigma^2)}[\mathrm{cut}(\mathrm{sgn}(Vz))]
    + \text{sigma\_reg}\,\|\sigma\|^2` by SGD on :math:`(m, \log\sigma)` with
    learning rates ``lr_m``, ``lr_sigma`` multiplied by ``decay`` every
    ``decay_every`` iterations, :math:`\sigma` clipped to ``sigma_bounds``;
    :math:`m_0 \sim N(0, I_r)` (stream of ``seed``), :math:`\sigma_0 = 1`.
    The cut is :math:`\mathrm{sgn}(Vm)`, tracked every ``record_every`` steps
    (best kept), then polished when ``polish``.

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
    state = {"step": 0, "value": math.nan}
    llo, lhi = math.log(lo), math.log(hi)
    # the start m0 uses a stream far from the Monte Carlo ones (those are step * n_samples + k)
    m0 = standard_normal(seed, 1, r, first_stream=1 << 50)[0]

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

    with est.scope():
        res = opt.minimize(fun, {"m": m0, "log_sigma": np.zeros(r)}, max_iter=check_count(n_iter, "n_iter"),
                           callback=callback, progress=False, time_limit=time_limit, project=project,
                           history_every=record_every)
    update_best(Vc @ res.x["m"])
    status = {"interrupted": "interrupted", "time_limit": "time_limit"}.get(str(res.status.value), "done")
    out = RoundingOutcome(
        x=best["x"], cut=float(best["cut"]), cut_before_polish=float(best["cut"]), status=status, nit=int(res.nit),
        time=0.0, history={k: np.asarray(v) for k, v in hist.items()},
        info={"method": "hyperplane-mc", "final_max_sigma2": float(np.exp(2.0 * res.x["log_sigma"].max())),
              "estimator": estimator})
    polish_outcome(g, out, polish)
    out.time = time.perf_counter() - t0
    return out
