"""Second-order stationarity: the smallest Hessian eigenvalue and the ρ-SOSP certificate.

One place computes :math:`\\lambda_{\\min}(\\nabla^2 f)` from Hessian-vector
products — Lanczos (``scipy.sparse.linalg.eigsh`` on a ``LinearOperator``) for
large problems, never a dense Hessian — and :class:`SOSPCertificate` reports
what the paper's Definition 2.2 and Lemma 3.1 say about a point:

.. math::

    \\|\\nabla f(x)\\|_2 \\le \\rho, \\qquad
    \\lambda_{\\min}(\\nabla^2 f(x)) \\ge -\\sqrt{K\\rho}
    \\quad\\Longrightarrow\\quad
    \\|W\\|_F \\le \\frac{\\rho}{2\\lambda - \\sqrt{K\\rho}}
    \\text{ (objective of Eq. 2, } \\lambda > \\sqrt{K\\rho}/2).

Everything here works on flat float64 vectors; :mod:`derand_fast.optimizers`
adapts parameter dictionaries to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

from ._validation import check_positive, renamed
from .random import STREAMS, standard_normal

__all__ = ["SOSPCertificate", "lambda_min", "lemma31_bound", "sosp_certificate"]

#: Up to this dimension the Hessian is assembled column by column from
#: Hessian-vector products and diagonalized exactly (ARPACK needs k < n and is
#: slower than ``eigh`` on tiny problems).
DENSE_MAX_DIM = 64


def lambda_min(hvp: Callable[[np.ndarray], np.ndarray], n: int, *, seed: int = 0,
               tol: float = 1e-10, max_iter: int | None = None,
               maxiter: int | None = None) -> tuple[float, np.ndarray]:
    """Smallest eigenvalue of a symmetric operator given by its matrix-vector product.

    Parameters
    ----------
    hvp : callable ``(v: ndarray (n,)) -> ndarray (n,)``
        Hessian-vector product :math:`v \\mapsto \\nabla^2 f(x)\\, v` (must be
        deterministic: a Monte Carlo Hessian keeps its samples fixed).
    n : int >= 1
        Dimension.
    seed : int >= 0
        Seeds the Lanczos start vector (ARPACK would otherwise pick a random one).
    tol : float
        Relative accuracy requested from ARPACK.
    max_iter : int or None
        ARPACK iteration cap (default ``max(1000, 10 n)``).
    maxiter : int or None
        Deprecated name of ``max_iter``.

    Returns
    -------
    lam : float
        :math:`\\lambda_{\\min}`.
    u : ndarray of float64, shape (n,)
        A unit eigenvector for ``lam``.

    Raises
    ------
    ValueError
        On a non-positive ``n``, or when ``hvp`` returns a wrong shape or a
        non-finite vector.
    RuntimeError
        When Lanczos returns no converged Ritz value at all.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    max_iter = renamed(max_iter, maxiter, "maxiter", "max_iter")

    def matvec(v: np.ndarray) -> np.ndarray:
        out = np.asarray(hvp(np.ascontiguousarray(v, dtype=np.float64).reshape(n)), dtype=np.float64)
        if out.shape != (n,):
            raise ValueError(f"hessp returned shape {out.shape}, expected ({n},)")
        if not np.all(np.isfinite(out)):
            raise ValueError("hessp returned a non-finite Hessian-vector product")
        return out

    if n <= DENSE_MAX_DIM:
        eye = np.eye(n)
        h = np.stack([matvec(eye[j]) for j in range(n)], axis=1)
        h = 0.5 * (h + h.T)
        w, v = np.linalg.eigh(h)
        return float(w[0]), v[:, 0].copy()

    op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    v0 = standard_normal(seed, 1, n, first_stream=STREAMS["certificate.lanczos"].first, threads=1)[0]
    try:
        w, v = eigsh(op, k=1, which="SA", v0=v0, tol=tol, maxiter=max_iter or max(1000, 10 * n))
    except ArpackNoConvergence as exc:
        if exc.eigenvalues.size == 0:
            raise RuntimeError("Lanczos (eigsh) found no converged eigenvalue of the Hessian") from exc
        w, v = exc.eigenvalues, exc.eigenvectors
    j = int(np.argmin(w))
    u = np.asarray(v[:, j], dtype=np.float64)
    return float(w[j]), u / np.linalg.norm(u)


def lemma31_bound(rho: float, K: float, lam: float) -> float:
    """Lemma 3.1 bound :math:`\\rho / (2\\lambda - \\sqrt{K\\rho})` on :math:`\\|W\\|_F`.

    Returns ``inf`` when :math:`2\\lambda \\le \\sqrt{K\\rho}` (the lemma then gives no bound).
    """
    rho, K, lam = check_positive(rho, "rho"), check_positive(K, "K"), check_positive(lam, "lam")
    denom = 2.0 * lam - math.sqrt(K * rho)
    return rho / denom if denom > 0 else math.inf


@dataclass(frozen=True)
class SOSPCertificate:
    """What is known about a point's second-order stationarity (paper Def. 2.2, Lemma 3.1).

    Attributes
    ----------
    grad_norm : float
        Measured :math:`\\|\\nabla f(x)\\|_2`.
    lambda_min : float
        Estimated :math:`\\lambda_{\\min}(\\nabla^2 f(x))` (Lanczos on Hessian-vector products).
    is_sosp : bool or None
        Whether ``grad_norm <= rho`` and ``lambda_min >= -sqrt(K rho)``; ``None``
        when ``rho`` or ``K`` was not given.
    rho, K, lam : float or None
        The accuracy, the Hessian-Lipschitz constant and the regularization
        :math:`\\lambda` of Eq. 2 used for the verdict and the bound.
    frobenius_bound : float or None
        :math:`\\rho / (2\\lambda - \\sqrt{K\\rho})` (Lemma 3.1; ``inf`` when
        :math:`2\\lambda \\le \\sqrt{K\\rho}`), ``None`` without ``rho, K, lam``.
        It bounds :math:`\\|W\\|_F` only when ``is_sosp`` is true.
    """

    grad_norm: float
    lambda_min: float
    is_sosp: bool | None
    rho: float | None
    K: float | None
    lam: float | None
    frobenius_bound: float | None


def sosp_certificate(grad: np.ndarray, hvp: Callable[[np.ndarray], np.ndarray], *,
                     rho: float | None = None, K: float | None = None, lam: float | None = None,
                     seed: int = 0) -> SOSPCertificate:
    """Certify (or not) a point as a ρ-SOSP from its gradient and Hessian-vector products.

    Parameters
    ----------
    grad : ndarray of float64, shape (n,)
        :math:`\\nabla f(x)`, flattened.
    hvp : callable ``(v: ndarray (n,)) -> ndarray (n,)``
        :math:`v \\mapsto \\nabla^2 f(x) v`.
    rho, K : float or None
        Accuracy and Hessian-Lipschitz constant of Definition 2.2.
    lam : float or None
        Regularization :math:`\\lambda` of Eq. 2, for the Lemma 3.1 bound.
    seed : int
        Lanczos start vector seed.

    Returns
    -------
    SOSPCertificate
    """
    g = np.asarray(grad, dtype=np.float64).ravel()
    if g.size == 0:
        raise ValueError("grad must not be empty")
    gnorm = float(np.linalg.norm(g))
    if not math.isfinite(gnorm):
        raise ValueError("grad must be finite")
    lam_min, _ = lambda_min(hvp, g.size, seed=seed)
    is_sosp: bool | None = None
    if rho is not None and K is not None:
        rho, K = check_positive(rho, "rho"), check_positive(K, "K")
        is_sosp = bool(gnorm <= rho and lam_min >= -math.sqrt(K * rho))
    bound = lemma31_bound(rho, K, lam) if (rho is not None and K is not None and lam is not None) else None
    return SOSPCertificate(grad_norm=gnorm, lambda_min=lam_min, is_sosp=is_sosp, rho=rho, K=K,
                           lam=lam, frobenius_bound=bound)
