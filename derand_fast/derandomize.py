"""Derandomize: optimize a Gaussian's parameters until its randomness is gone (paper Eq. 2, Lemma 3.1).

Two forms of the paper's objective for a user's Numba function ``g``:

.. math::

    F(\\mu, \\sigma) = \\mathbb E_{z}[g(\\sigma \\odot z + \\mu)] + \\lambda \\|\\sigma\\|^2
    \\qquad\\text{(:func:`derandomize`)},

    F(W, b) = \\mathbb E_{x}[g(Wx + b)] + \\lambda \\|W\\|_F^2
    \\qquad\\text{(:func:`derandomize_affine`, Eq. 2)},

with :math:`z, x \\sim \\mathcal N(0, I)`. Each step draws fresh samples from
the smoothing engine (:func:`derand_fast.smoothing.smooth`,
:func:`derand_fast.smoothing.smooth_affine`; step ``t`` uses the engine's
``step=t`` streams, so runs are reproducible from ``seed`` whatever the thread
count) and an optimizer of :mod:`derand_fast.optimizers` updates the
parameters. By Lemma 3.1 any ρ-SOSP has
:math:`\\|\\sigma\\| \\le \\rho / (2\\lambda - \\sqrt{K\\rho})`: the mean alone is
then a deterministic answer.

The returned certificate is for the sample-average objective on
``cert_samples`` fixed samples (fresh streams, never used by the run): its
gradient norm, and :math:`\\lambda_{\\min}` of its Hessian over *all*
parameters by Lanczos (:func:`derand_fast.certificate.lambda_min`) on
Hessian-vector products taken as central differences of its pathwise gradient
(fixed samples, so the products are those of one deterministic function).
:math:`\\sigma` enters that function as the diagonal of ``W`` in
:func:`~derand_fast.smoothing.smooth_affine`, which accepts either sign, so the
certificate is valid at the boundary :math:`\\sigma = 0`; each product costs
two gradients of ``O(cert_samples · d²)``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._userfunc import as_numba_objective
from ._validation import check_array, check_count, check_positive
from .certificate import SOSPCertificate, sosp_certificate
from .optimizers import Adam, OptimizeResult, Params, _Optimizer
from .runcontrol import Status
from .smoothing import smooth, smooth_affine

__all__ = ["DerandomizeResult", "derandomize", "derandomize_affine"]

_log = logging.getLogger(__name__)

#: Relative step of the central differences behind the certificate's Hessian-vector products.
_FD_STEP = 1e-5


@dataclass(frozen=True)
class DerandomizeResult:
    """Outcome of :func:`derandomize` / :func:`derandomize_affine`.

    Attributes
    ----------
    mean : ndarray of float64, shape (d,) or (k,)
        The final mean :math:`\\mu` (or bias ``b``): the deterministic answer.
    scale : ndarray of float64, shape (d,) or (k, d)
        The final :math:`\\sigma` (or ``W``).
    fun : float
        Objective estimate at the final point.
    steps : ndarray of int64, shape (n_recorded,)
        Recorded optimizer steps.
    scale_norm : ndarray of float64, shape (n_recorded,)
        The σ trajectory: :math:`\\|\\sigma\\|_2` (or :math:`\\|W\\|_F`) at the recorded steps.
    scale_max : ndarray of float64, shape (n_recorded,)
        :math:`\\max_i |\\sigma_i|` (or :math:`\\max |W_{ij}|`) at the recorded steps.
    certificate : SOSPCertificate or None
        See the module docstring; ``None`` when ``certify=False`` or the run was interrupted.
    result : OptimizeResult
        The optimizer's full result (``x`` holds ``{"mu", "sigma"}`` or ``{"W", "b"}``).
    """

    mean: np.ndarray
    scale: np.ndarray
    fun: float
    steps: np.ndarray
    scale_norm: np.ndarray
    scale_max: np.ndarray
    certificate: SOSPCertificate | None
    result: OptimizeResult

    @property
    def status(self) -> Status:
        """The optimizer's :class:`~derand_fast.runcontrol.Status` (``COMPLETED`` when converged, ``MAX_ITER``, ...)."""
        return self.result.status

    @property
    def success(self) -> bool:
        """The optimizer's ``success``."""
        return bool(self.result.success)


def _positive_or_zero(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number or an array, got {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return v


def _objective(g: Any, caller: str) -> Any:
    """``g`` as the Numba function the smoothing kernels take, logging which kind was given."""
    g_numba, kind = as_numba_objective(g)
    if kind == "python":
        _log.info("%s: g is a plain Python function: slow path (one sample at a time under the GIL)", caller)
    else:
        _log.info("%s: g is a Numba function", caller)
    return g_numba


def _finite_array(a: Any, name: str, ndim: int) -> np.ndarray:
    return check_array(a, name, ndim).copy()  # a private copy: the optimizers update it in place


def _run(fun: Callable, x0: dict[str, np.ndarray], scale_key: str, mean_key: str,
         cert_grad: Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray]],
         optimizer: _Optimizer | None, lam: float, n_samples: int, cert_samples: int, certify: bool,
         rho: float | None, K: float | None, seed: int, run_kw: dict[str, Any],
         project: Callable | None) -> DerandomizeResult:
    opt = Adam(lr=0.01, seed=seed) if optimizer is None else optimizer
    if not isinstance(opt, _Optimizer):
        raise TypeError(f"optimizer must be one of derand_fast.optimizers' optimizers, got {type(opt).__name__}")

    def record(p: Params) -> dict[str, float]:  # p has the structure of x0: a dict
        s = p[scale_key]
        return {"scale_norm": float(np.sqrt(np.vdot(s, s))), "scale_max": float(np.max(np.abs(s)))}

    res = opt.minimize(fun, x0, record=record, project=project, **run_kw)
    scale, mean = res.x[scale_key], res.x[mean_key]
    cert = None
    if certify and res.status != Status.INTERRUPTED:
        # fresh streams: the run used steps 0 .. nfev-1 of n_samples streams each
        cert_step = -(-res.nfev * n_samples // cert_samples)
        shapes = (scale.shape, mean.shape)
        sizes = (scale.size, mean.size)

        def flat_grad(theta: np.ndarray) -> np.ndarray:
            s = theta[:sizes[0]].reshape(shapes[0])
            m = theta[sizes[0]:]
            gs, gm = cert_grad(s, m, cert_step)
            return np.concatenate([(gs + 2.0 * lam * s).ravel(), gm.ravel()])

        theta0 = np.concatenate([scale.ravel(), mean.ravel()])
        eps = _FD_STEP * max(1.0, float(np.max(np.abs(theta0))))

        def hvp(v: np.ndarray) -> np.ndarray:
            nv = float(np.linalg.norm(v))
            if nv == 0.0:
                return np.zeros_like(v)
            h = eps / nv
            return (flat_grad(theta0 + h * v) - flat_grad(theta0 - h * v)) / (2.0 * h)

        cert = sosp_certificate(flat_grad(theta0), hvp, rho=rho, K=K, lam=lam, seed=seed)
    h = res.history
    return DerandomizeResult(mean=mean, scale=scale, fun=float(res.fun), steps=h["step"],
                             scale_norm=h["scale_norm"], scale_max=h["scale_max"], certificate=cert, result=res)


def derandomize(g, mu0, sigma0: float | np.ndarray = 1.0, *, lam: float, optimizer: _Optimizer | None = None,
                n_samples: int = 64, estimator: str = "pathwise", antithetic: bool = False, qmc: bool = False,
                seed: int = 0, max_iter: int = 1000, tol: float | None = None, callback: Callable | None = None,
                progress: Any = None, time_limit: float | None = None, history_every: int = 1,
                sigma_min: float = 0.0, certify: bool = True, rho: float | None = None, K: float | None = None,
                cert_samples: int = 256, threads: int | None = None) -> DerandomizeResult:
    """Minimize :math:`\\mathbb E_z[g(\\sigma \\odot z + \\mu)] + \\lambda\\|\\sigma\\|^2` over :math:`(\\mu, \\sigma)`.

    Parameters
    ----------
    g : numba.njit function ``g(x: float64[:], grad_out: float64[:]) -> float``
        Fills ``grad_out`` with :math:`\\nabla g(x)` (needed by the pathwise
        estimator and by the certificate). A plain Python function with the
        same signature works too, on a slow path (:mod:`derand_fast._userfunc`:
        one sample at a time under the GIL, same numbers); which one was
        given is logged (``derand_fast.derandomize`` logger, INFO).
    mu0 : array_like of float, shape (d,)
        Starting mean.
    sigma0 : float or array_like of float, shape (d,), >= 0
        Starting standard deviations (a scalar is broadcast).
    lam : float > 0
        :math:`\\lambda`.
    optimizer : optimizer of :mod:`derand_fast.optimizers` or None
        Default ``Adam(lr=0.01)``; parameter groups are ``"mu"`` and ``"sigma"``
        (per-group learning rates allowed).
    n_samples, estimator, antithetic, qmc :
        Passed to :func:`derand_fast.smoothing.smooth` at every step.
    seed : int >= 0
        All randomness: step ``t`` uses the engine's ``(seed, step=t)`` streams.
    max_iter, tol, callback, progress, time_limit, history_every :
        Passed to ``optimizer.minimize``.
    sigma_min : float >= 0
        :math:`\\sigma` is clipped to ``[sigma_min, inf)`` after every step (> 0 for ``estimator="score"``).
    certify : bool
        Compute the ρ-SOSP certificate at the end (module docstring).
    rho, K : float or None
        Accuracy and Hessian-Lipschitz constant for the certificate's verdict and Lemma 3.1 bound.
    cert_samples : int >= 1
        Fixed samples of the certified sample-average objective.
    threads : int or None
        Numba threads; results are identical for every value.

    Returns
    -------
    DerandomizeResult
        ``mean`` is :math:`\\mu`, ``scale`` is :math:`\\sigma`, ``scale_norm`` the
        :math:`\\|\\sigma\\|` trajectory.

    Examples
    --------
    >>> import numba, numpy as np
    >>> @numba.njit
    ... def g(x, grad_out):   # sum_i (x_i^2 - 1)^2: the best deterministic points are x = ±1
    ...     s = 0.0
    ...     for i in range(x.size):
    ...         s += (x[i] * x[i] - 1.0) ** 2
    ...         grad_out[i] = 4.0 * x[i] * (x[i] * x[i] - 1.0)
    ...     return s
    >>> r = derandomize(g, np.full(3, 0.5), 0.5, lam=0.1, max_iter=1500, certify=False)
    >>> bool(np.all(np.abs(r.mean - 1.0) < 0.05)), bool(r.scale_norm[-1] < 0.05)
    (True, True)
    """
    lam = check_positive(lam, "lam")
    g = _objective(g, "derandomize")
    mu = _finite_array(mu0, "mu0", 1)
    if np.ndim(sigma0) == 0:
        sigma = np.full(mu.shape, _positive_or_zero(sigma0, "sigma0"))
    else:
        sigma = _finite_array(sigma0, "sigma0", 1)
        if sigma.shape != mu.shape:
            raise ValueError(f"sigma0 must be a scalar or have the shape of mu0 {mu.shape}, got {sigma.shape}")
        if np.any(sigma < 0):
            raise ValueError("sigma0 must be >= 0")
    if not (isinstance(sigma_min, (int, float)) and math.isfinite(sigma_min) and sigma_min >= 0):
        raise ValueError(f"sigma_min must be a finite number >= 0, got {sigma_min!r}")
    if estimator == "score" and sigma_min <= 0:
        raise ValueError("estimator='score' divides by sigma: give sigma_min > 0")
    n_samples = check_count(n_samples, "n_samples", 1)
    cert_samples = check_count(cert_samples, "cert_samples", 1)
    np.maximum(sigma, sigma_min, out=sigma)
    step = [0]

    def fun(p: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        s = p["sigma"]
        est = smooth(g, p["mu"], s, n_samples=n_samples, estimator=estimator, antithetic=antithetic, qmc=qmc,
                     seed=seed, step=step[0], threads=threads)
        step[0] += 1
        return est.value + lam * float(s @ s), {"mu": est.grad_mu, "sigma": est.grad_sigma + 2.0 * lam * s}

    def project(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        np.maximum(p["sigma"], sigma_min, out=p["sigma"])
        return p

    def cert_grad(s: np.ndarray, m: np.ndarray, cert_step: int) -> tuple[np.ndarray, np.ndarray]:
        est = smooth_affine(g, np.diag(s), m, n_samples=cert_samples, seed=seed, step=cert_step, threads=threads)
        return np.diagonal(est.grad_W).copy(), est.grad_b

    run_kw = dict(max_iter=max_iter, tol=tol, callback=callback, progress=progress, time_limit=time_limit,
                  history_every=history_every)
    return _run(fun, {"mu": mu, "sigma": sigma}, "sigma", "mu", cert_grad, optimizer, lam, n_samples,
                cert_samples, certify, rho, K, seed, run_kw, project)


def derandomize_affine(g, W0, b0, *, lam: float, optimizer: _Optimizer | None = None, n_samples: int = 64,
                       seed: int = 0, max_iter: int = 1000, tol: float | None = None,
                       callback: Callable | None = None, progress: Any = None,
                       time_limit: float | None = None, history_every: int = 1, certify: bool = True,
                       rho: float | None = None, K: float | None = None, cert_samples: int = 256,
                       threads: int | None = None) -> DerandomizeResult:
    """Minimize :math:`\\mathbb E_x[g(Wx + b)] + \\lambda\\|W\\|_F^2` (paper Eq. 2) over :math:`(W, b)`.

    Parameters
    ----------
    g : numba.njit function ``g(u: float64[:], grad_out: float64[:]) -> float`` on :math:`\\mathbb R^k`
        Or a plain Python function, on the slow path of :func:`derandomize`.
    W0 : array_like of float, shape (k, d)
    b0 : array_like of float, shape (k,)
    lam : float > 0
    optimizer : optimizer or None
        Default ``Adam(lr=0.01)``; parameter groups ``"W"`` and ``"b"``.
    n_samples, seed, threads :
        Passed to :func:`derand_fast.smoothing.smooth_affine` (pathwise) at every step ``t`` (``step=t``).
    max_iter, tol, callback, progress, time_limit, history_every :
        Passed to ``optimizer.minimize``.
    certify, rho, K, cert_samples :
        As in :func:`derandomize`; the Lemma 3.1 bound applies to :math:`\\|W\\|_F`.

    Returns
    -------
    DerandomizeResult
        ``mean`` is ``b``, ``scale`` is ``W``, ``scale_norm`` the :math:`\\|W\\|_F` trajectory.
    """
    lam = check_positive(lam, "lam")
    g = _objective(g, "derandomize_affine")
    w = _finite_array(W0, "W0", 2)
    b = _finite_array(b0, "b0", 1)
    if b.shape != (w.shape[0],):
        raise ValueError(f"b0 must have shape ({w.shape[0]},) (rows of W0), got {b.shape}")
    n_samples = check_count(n_samples, "n_samples", 1)
    cert_samples = check_count(cert_samples, "cert_samples", 1)
    step = [0]

    def fun(p: dict[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        wp = p["W"]
        est = smooth_affine(g, wp, p["b"], n_samples=n_samples, seed=seed, step=step[0], threads=threads)
        step[0] += 1
        return est.value + lam * float(np.vdot(wp, wp)), {"W": est.grad_W + 2.0 * lam * wp, "b": est.grad_b}

    def cert_grad(wp: np.ndarray, bp: np.ndarray, cert_step: int) -> tuple[np.ndarray, np.ndarray]:
        est = smooth_affine(g, wp, bp, n_samples=cert_samples, seed=seed, step=cert_step, threads=threads)
        return est.grad_W, est.grad_b

    run_kw = dict(max_iter=max_iter, tol=tol, callback=callback, progress=progress, time_limit=time_limit,
                  history_every=history_every)
    return _run(fun, {"W": w, "b": b}, "W", "b", cert_grad, optimizer, lam, n_samples, cert_samples, certify,
                rho, K, seed, run_kw, None)
