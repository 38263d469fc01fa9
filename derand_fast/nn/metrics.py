"""Structure-discovery metrics: how far the first layer is from the teacher subspace (paper §4).

For a teacher subspace :math:`\\mathrm{span}(U)`, :math:`U \\in \\mathbb R^{k\\times d}`
with orthonormal rows, each row of :math:`W` splits as
:math:`w = w_\\parallel + w_\\perp` with :math:`w_\\parallel = U^\\top U w`
(paper Eq. 4). Theorem 4.1 / Lemma 3.1 bound :math:`\\|W_\\perp\\|_F` at ρ-SOSPs.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import subspace_angles

from .._validation import check_array

__all__ = ["perp_norm", "subspace_metrics", "principal_angles", "sosp_perp_bound"]


def _check(W, U) -> tuple[np.ndarray, np.ndarray]:
    W = check_array(W, "W", 2)
    U = check_array(U, "U")
    if U.ndim == 1:
        U = U[None, :]
    if U.ndim != 2 or U.shape[1] != W.shape[1] or U.shape[0] < 1:
        raise ValueError(f"U must have shape (k, {W.shape[1]}) with k >= 1, got {U.shape}")
    if not np.allclose(U @ U.T, np.eye(U.shape[0]), rtol=0.0, atol=1e-8):
        raise ValueError("U must have orthonormal rows (use MultiIndexTeacher(...).U_)")
    return W, U


def perp_norm(W, U) -> float:
    """:math:`\\|W_\\perp\\|_F = \\|W - W U^\\top U\\|_F` for ``W`` (h, d) and orthonormal ``U`` (k, d)."""
    W, U = _check(W, U)
    return float(np.linalg.norm(W - (W @ U.T) @ U))


def principal_angles(W, U) -> np.ndarray:
    """Principal angles (radians, descending) between W's dominant k-dimensional row space and span(U).

    With ``h >= d`` rows the full row space of ``W`` is generically all of
    :math:`\\mathbb R^d`, so the comparison uses the span of the top ``k``
    right singular vectors of ``W`` — the directions the first layer actually
    uses — against the ``k``-dimensional teacher subspace.

    Returns
    -------
    ndarray (k,)
    """
    W, U = _check(W, U)
    k = U.shape[0]
    _, _, vt = np.linalg.svd(W, full_matrices=False)
    top = vt[: min(k, vt.shape[0])]
    return subspace_angles(top.T, U.T)


def subspace_metrics(W, U) -> dict[str, float | np.ndarray]:
    """All structure metrics of ``W`` (h, d) against orthonormal ``U`` (k, d).

    Returns
    -------
    dict
        ``perp_norm`` :math:`\\|W_\\perp\\|_F`, ``par_norm`` :math:`\\|W_\\parallel\\|_F`,
        ``w_norm`` :math:`\\|W\\|_F`, ``ratio`` :math:`\\|W_\\perp\\|_F/\\|W\\|_F`
        (0 when ``W = 0``), ``angles`` (k,) principal angles in radians,
        ``max_angle_deg``.
    """
    W, U = _check(W, U)
    par = (W @ U.T) @ U
    perp = float(np.linalg.norm(W - par))
    total = float(np.linalg.norm(W))
    angles = principal_angles(W, U)
    return {
        "perp_norm": perp,
        "par_norm": float(np.linalg.norm(par)),
        "w_norm": total,
        "ratio": perp / total if total > 0.0 else 0.0,
        "angles": angles,
        "max_angle_deg": float(np.degrees(angles.max())) if angles.size else 0.0,
    }


def sosp_perp_bound(grad_norm: float, lambda_min: float, lam: float) -> float:
    """Lemma 3.1's bound with measured quantities.

    :math:`\\|W_\\perp\\|_F \\le \\|\\nabla R\\| / (2\\lambda + \\lambda_{\\min})`.

    The proof of Lemma 3.1 (App. A.1) applied to Eq. 6 gives
    :math:`\\partial R/\\partial W_\\perp = (\\mathbb E[\\nabla^2 \\ell'] + 2\\lambda I) W_\\perp`
    (Stein's lemma in :math:`x_\\perp`) with :math:`\\mathbb E[\\nabla^2\\ell'] =
    \\partial^2 R/\\partial b^2 \\succeq \\lambda_{\\min}(\\nabla^2 R)\\, I` (Cauchy
    interlacing), hence the bound with the certificate's gradient norm (which
    bounds :math:`\\|\\partial R/\\partial W_\\perp\\|`) in place of ρ and its
    :math:`\\lambda_{\\min}` in place of :math:`-\\sqrt{K\\rho}`. It holds for the
    population risk (Stein's lemma); on a finite sample it is an estimate.

    Returns
    -------
    float
        The bound, or ``inf`` when :math:`2\\lambda + \\lambda_{\\min} \\le 0` (no bound).
    """
    for name, v in (("grad_norm", grad_norm), ("lambda_min", lambda_min), ("lam", lam)):
        if not math.isfinite(float(v)):
            raise ValueError(f"{name} must be finite, got {v!r}")
    if grad_norm < 0 or lam < 0:
        raise ValueError("grad_norm and lam must be >= 0")
    denom = 2.0 * lam + lambda_min
    return float(grad_norm) / denom if denom > 0.0 else math.inf
