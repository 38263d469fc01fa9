"""The paper's toy example (§1, Figs. 1–2): a bias makes a tiny regularizer enough.

.. math::

    f(w, b) = \\mathbb E_{x\\sim\\mathcal N(0,1)}\\big[(\\mathrm{ReLU}^3(wx + b) - 1)^2\\big] + \\lambda w^2

With :math:`u = wx + b \\sim \\mathcal N(b, w^2)` and
:math:`M_k = \\mathbb E[\\max(0, u)^k]`, :math:`f = M_6 - 2M_3 + 1 + \\lambda w^2`.
The integrand has a kink at :math:`x = -b/w`, so instead of a Gauss–Hermite
rule across the kink the expectation is integrated exactly over
:math:`x > -b/w` with truncated-Gaussian moments

.. math::

    M_k = \\sum_{j=0}^{k} \\binom{k}{j} b^{k-j} |w|^j P_j(a),\\quad a = -b/|w|,\\quad
    P_j(a) = \\int_a^\\infty z^j \\varphi(z)\\,dz = a^{j-1}\\varphi(a) + (j-1)P_{j-2}(a),

:math:`P_0 = \\Phi(-a)`, :math:`P_1 = \\varphi(a)`. Gradients follow from
:math:`\\partial_b M_k = k M_{k-1}` and Stein's lemma
:math:`\\partial_w M_k = w\\,k(k-1)M_{k-2}`.

With :math:`b = 0` frozen the global minimizer :math:`|w^*|` stays near 0.47
until :math:`\\lambda` is of order 1 (Fig. 1); with :math:`b` trained,
:math:`(w^*, b^*) = (0, 1)` for every :math:`\\lambda > 0` (Fig. 2), since
:math:`f \\ge \\lambda w^2` and :math:`f(0, 1) = 0`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize, minimize_scalar
from scipy.special import comb, ndtr

__all__ = ["ToyCurves", "ToyPoint", "plot_toy_figures", "relu_moment", "toy_curves", "toy_minimizer", "toy_objective"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _moments(kmax: int, mean: np.ndarray, std: np.ndarray) -> list[np.ndarray]:
    """:math:`M_0, \\dots, M_{k_{max}}` of :math:`\\max(0, u)`, elementwise.

    For :math:`u \\sim \\mathcal N(mean, std^2)`.
    """
    zero = std == 0.0
    s = np.where(zero, 1.0, std)
    a = -mean / s
    phi = _INV_SQRT_2PI * np.exp(-0.5 * a * a)
    p = [ndtr(-a), phi]
    for j in range(2, kmax + 1):
        p.append(a ** (j - 1) * phi + (j - 1) * p[j - 2])
    pos = np.maximum(mean, 0.0)
    out = []
    for k in range(kmax + 1):
        mk = sum(comb(k, j, exact=True) * mean ** (k - j) * s**j * p[j] for j in range(k + 1))
        out.append(np.where(zero, np.where(mean > 0.0, pos**k, 0.0), mk))
    return out


def relu_moment(k: int, mean: ArrayLike, std: ArrayLike) -> np.ndarray:
    """:math:`\\mathbb E[\\max(0, u)^k]` for :math:`u \\sim \\mathcal N(\\text{mean}, \\text{std}^2)`, elementwise.

    Parameters
    ----------
    k : int >= 0
        Power (``k = 0`` gives :math:`P(u > 0)`).
    mean : float or ndarray
    std : float or ndarray, >= 0
        Broadcast against ``mean``.

    Returns
    -------
    ndarray of float64 (0-d for scalar input)
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
        raise ValueError(f"k must be an int >= 0, got {k!r}")
    m = np.asarray(mean, dtype=np.float64)
    sd = np.asarray(std, dtype=np.float64)
    if not np.all(np.isfinite(m)):
        raise ValueError("mean must be finite")
    if not (np.all(np.isfinite(sd)) and np.all(sd >= 0)):
        raise ValueError("std must be finite and >= 0")
    m, sd = np.broadcast_arrays(m, sd)
    return _moments(int(k), m, sd)[int(k)]


def _objective(w: np.ndarray, b: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized value and gradient of the toy objective (no input checks)."""
    m = _moments(6, b, np.abs(w))
    value = m[6] - 2.0 * m[3] + 1.0 + lam * w * w
    dw = w * (30.0 * m[4] - 12.0 * m[1] + 2.0 * lam)
    db = 6.0 * m[5] - 6.0 * m[2]
    return value, dw, db


def _check_finite(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def _check_lam(lam: float) -> float:
    lam = _check_finite(lam, "lam")
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam!r}")
    return lam


def toy_objective(w: float, b: float, lam: float) -> tuple[float, np.ndarray]:
    """:math:`f(w, b)` of paper §1 and its gradient :math:`(\\partial_w f, \\partial_b f)`.

    Parameters
    ----------
    w, b : float
    lam : float >= 0
        :math:`\\lambda`.

    Returns
    -------
    value : float
    grad : ndarray of float64, shape (2,)
    """
    w, b, lam = _check_finite(w, "w"), _check_finite(b, "b"), _check_lam(lam)
    value, dw, db = _objective(np.array(w), np.array(b), lam)
    return float(value), np.array([float(dw), float(db)])


@dataclass(frozen=True)
class ToyPoint:
    """A global minimizer of the toy objective: ``w >= 0`` (f is even in w), ``b`` and ``fun``."""

    w: float
    b: float
    fun: float


def toy_minimizer(lam: float, *, train_bias: bool) -> ToyPoint:
    """Global minimizer of :math:`f(w, b)` (``train_bias``) or of :math:`f(w, 0)`.

    A grid search (``w`` in ``[0, 2]``; ``b`` in ``[-2, 3]`` when trained) locates
    the basin, then a local refinement (bounded Brent around the best grid point
    in 1-D, BFGS with the exact gradient from the five best grid points in
    2-D) polishes it. :math:`f` is even in ``w``, so the returned ``w`` is ``|w*|``.

    Parameters
    ----------
    lam : float >= 0
    train_bias : bool

    Returns
    -------
    ToyPoint
    """
    lam = _check_lam(lam)
    if not train_bias:
        ws = np.linspace(0.0, 2.0, 401)
        fw = _objective(ws, np.zeros_like(ws), lam)[0]
        i = int(np.argmin(fw))
        best = ToyPoint(float(ws[i]), 0.0, float(fw[i]))
        lo, hi = ws[max(i - 1, 0)], ws[min(i + 1, len(ws) - 1)]
        r = minimize_scalar(lambda w: toy_objective(w, 0.0, lam)[0], bounds=(lo, hi), method="bounded",
                            options={"xatol": 1e-12})
        if r.fun < best.fun:
            best = ToyPoint(abs(float(r.x)), 0.0, float(r.fun))
        return best
    ws, bs = np.meshgrid(np.linspace(0.0, 2.0, 81), np.linspace(-2.0, 3.0, 88), indexing="ij")
    grid = _objective(ws, bs, lam)[0]
    found = []
    for flat in np.argsort(grid, axis=None)[:5]:
        x0 = np.array([ws.flat[flat], bs.flat[flat]])
        r = minimize(lambda p: toy_objective(p[0], p[1], lam), x0, jac=True, method="BFGS",
                     options={"gtol": 1e-10, "maxiter": 2000})
        found.append(ToyPoint(abs(float(r.x[0])), float(r.x[1]), float(r.fun)))
    return min(found, key=lambda point: point.fun)  # the first of the lowest, as a strict '<' scan keeps


@dataclass(frozen=True)
class ToyCurves:
    """Global minimizers over a grid of :math:`\\lambda` (paper Figs. 1–2).

    Attributes
    ----------
    lam : ndarray (n,)
    w_frozen, f_frozen : ndarray (n,)
        :math:`|w^*|` and :math:`f` with ``b = 0`` frozen (Fig. 1).
    w_trained, b_trained, f_trained : ndarray (n,)
        :math:`|w^*|, b^*, f` with ``b`` trained (Fig. 2).
    """

    lam: np.ndarray
    w_frozen: np.ndarray
    f_frozen: np.ndarray
    w_trained: np.ndarray
    b_trained: np.ndarray
    f_trained: np.ndarray

    def to_dict(self) -> dict[str, list[float]]:
        """Plain lists, for JSON."""
        return {k: getattr(self, k).tolist() for k in self.__dataclass_fields__}


def toy_curves(lams: np.ndarray | None = None) -> ToyCurves:
    """:math:`w^*(\\lambda)` with ``b`` frozen at 0 and with ``b`` trained.

    Parameters
    ----------
    lams : ndarray (n,) of float >= 0, or None
        Default: 36 points log-spaced over ``[1e-6, 10]`` (the paper's range).

    Returns
    -------
    ToyCurves
    """
    lam = np.logspace(-6.0, 1.0, 36) if lams is None else np.asarray(lams, dtype=np.float64).ravel()
    if lam.size == 0:
        raise ValueError("lams must not be empty")
    if not np.all(np.isfinite(lam)) or np.any(lam < 0):
        raise ValueError("lams must be finite and >= 0")
    frozen = [toy_minimizer(float(v), train_bias=False) for v in lam]
    trained = [toy_minimizer(float(v), train_bias=True) for v in lam]
    return ToyCurves(lam=lam, w_frozen=np.array([p.w for p in frozen]), f_frozen=np.array([p.fun for p in frozen]),
                     w_trained=np.array([p.w for p in trained]), b_trained=np.array([p.b for p in trained]),
                     f_trained=np.array([p.fun for p in trained]))


def plot_toy_figures(curves: ToyCurves, out_dir: str | Path) -> tuple[Path, Path]:
    """Draw paper Figs. 1 and 2 into ``out_dir/toy_fig1_bias_frozen.png`` and ``..._fig2_bias_trained.png``.

    Parameters
    ----------
    curves : ToyCurves
    out_dir : str or Path
        Created if missing.

    Returns
    -------
    (Path, Path)
        The two PNG files.
    """
    from ._plotting import require_matplotlib

    require_matplotlib("the toy figures")
    from matplotlib.figure import Figure

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "toy_fig1_bias_frozen.png", out / "toy_fig2_bias_trained.png")

    fig = Figure(figsize=(5.0, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.semilogx(curves.lam, curves.w_frozen, "o-", ms=3)
    ax.set_xlabel(r"$\lambda$")
    ax.set_ylabel(r"$|w^*|$")
    ax.set_title(r"Fig. 1: $\min_w\ \mathbb{E}[(\mathrm{ReLU}^3(wx)-1)^2]+\lambda w^2$")
    fig.savefig(paths[0], dpi=120)

    fig = Figure(figsize=(5.0, 3.5), layout="constrained")
    ax = fig.subplots()
    ax.semilogx(curves.lam, curves.w_trained, "-", label=r"$|w^*|$")
    ax.semilogx(curves.lam, curves.b_trained, "--", label=r"$b^*$")
    ax.set_xlabel(r"$\lambda$")
    ax.set_ylim(-0.05, 1.1)
    ax.legend()
    ax.set_title(r"Fig. 2: $\min_{w,b}\ \mathbb{E}[(\mathrm{ReLU}^3(wx+b)-1)^2]+\lambda w^2$")
    fig.savefig(paths[1], dpi=120)
    return paths
