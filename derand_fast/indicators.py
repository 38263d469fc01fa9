"""Smoothed indicators of the derandomization framework.

Each indicator comes as a scalar Numba function returning ``(value, first
derivative, second derivative)`` — callable from any ``@njit`` kernel — and as a
vectorized NumPy-facing wrapper. The C++ kernels use the identical formulas in
``cpp/indicators.hpp``; the tests check that both agree.

Functions
---------
step_eps
    MAXCUT step :math:`S_\\varepsilon` (paper App. F.1).
edge_indicator
    Smoothed cut indicator :math:`\\tilde I(x, y) = S(x)S(-y) + S(-x)S(y)`.
jl_indicator
    Smoothed JL violation indicator (paper App. G.3).
relu_iota
    :math:`\\mathrm{ReLU}_\\iota(x) = \\log(1 + e^{\\iota x})/\\iota` (paper §4.2).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._validation import check_array, check_positive

__all__ = [
    "step_eps",
    "edge_indicator",
    "jl_indicator",
    "relu_iota",
    "step_eps_scalar",
    "edge_indicator_scalar",
    "jl_indicator_scalar",
    "relu_iota_scalar",
]


@nb.njit(cache=True, inline="always")
def step_eps_scalar(x: float, eps: float) -> tuple[float, float, float]:
    """Scalar MAXCUT step :math:`S_\\varepsilon(x)` with its first two derivatives."""
    h = 0.5 * eps
    c = 8.0 / (eps * eps)
    if x < h:
        return 0.0, 0.0, 0.0
    if x <= 0.75 * eps:
        t = x - h
        return c * t * t, 2.0 * c * t, 2.0 * c
    if x < eps:
        t = x - eps
        return 1.0 - c * t * t, -2.0 * c * t, -2.0 * c
    return 1.0, 0.0, 0.0


@nb.njit(cache=True, inline="always")
def edge_indicator_scalar(x: float, y: float, eps: float):
    """Scalar :math:`\\tilde I(x, y)`: value, gradient ``(dx, dy)`` and Hessian ``(dxx, dxy, dyy)``."""
    sx, dsx, d2sx = step_eps_scalar(x, eps)
    snx, dsnx, d2snx = step_eps_scalar(-x, eps)
    sy, dsy, d2sy = step_eps_scalar(y, eps)
    sny, dsny, d2sny = step_eps_scalar(-y, eps)
    f = sx * sny + snx * sy
    # d/dx S(-x) = -S'(-x); d2/dx2 S(-x) = S''(-x)
    fx = dsx * sny - dsnx * sy
    fy = -sx * dsny + snx * dsy
    fxx = d2sx * sny + d2snx * sy
    fyy = sx * d2sny + snx * d2sy
    fxy = -dsx * dsny - dsnx * dsy
    return f, fx, fy, fxx, fxy, fyy


@nb.njit(cache=True, inline="always")
def jl_indicator_scalar(u: float, eps: float, eps1: float) -> tuple[float, float, float]:
    """Scalar JL violation indicator of :math:`u = \\|Ax\\|^2 - 1` with its first two derivatives in ``u``."""
    a = abs(u)
    s = -1.0 if u < 0.0 else 1.0
    c = 4.0 / (eps1 * eps1 * eps1)
    if a <= eps:
        return 0.0, 0.0, 0.0
    if a <= eps + 0.5 * eps1:
        t = a - eps
        return c * t * t * t, s * 3.0 * c * t * t, 6.0 * c * t
    if a < eps + eps1:
        t = eps + eps1 - a
        return 1.0 - c * t * t * t, s * 3.0 * c * t * t, -6.0 * c * t
    return 1.0, 0.0, 0.0


@nb.njit(cache=True, inline="always")
def relu_iota_scalar(x: float, iota: float) -> tuple[float, float, float]:
    """Scalar :math:`\\mathrm{ReLU}_\\iota` with its first two derivatives, overflow-safe."""
    y = iota * x
    e = math.exp(-abs(y))
    f = (max(y, 0.0) + math.log1p(e)) / iota
    sig = 1.0 / (1.0 + e) if y >= 0.0 else e / (1.0 + e)
    return f, sig, iota * sig * (1.0 - sig)


@nb.njit(cache=True)
def _map3_step(x, eps, f, d1, d2):
    for i in range(x.size):
        f[i], d1[i], d2[i] = step_eps_scalar(x[i], eps)


@nb.njit(cache=True)
def _map3_jl(x, eps, eps1, f, d1, d2):
    for i in range(x.size):
        f[i], d1[i], d2[i] = jl_indicator_scalar(x[i], eps, eps1)


@nb.njit(cache=True)
def _map3_relu(x, iota, f, d1, d2):
    for i in range(x.size):
        f[i], d1[i], d2[i] = relu_iota_scalar(x[i], iota)


@nb.njit(cache=True)
def _map_edge(x, y, eps, out):
    for i in range(x.size):
        r = edge_indicator_scalar(x[i], y[i], eps)
        for k in range(6):
            out[k, i] = r[k]


def _as_float_array(x, name: str) -> np.ndarray:
    return check_array(x, name, allow_empty=True, allow_bool=True)


def _apply3(kernel, x, name, *params):
    arr = _as_float_array(x, name)
    flat = arr.reshape(-1)
    f, d1, d2 = (np.empty_like(flat) for _ in range(3))
    kernel(flat, *params, f, d1, d2)
    return f.reshape(arr.shape), d1.reshape(arr.shape), d2.reshape(arr.shape)


def step_eps(x, eps: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""MAXCUT smoothed step :math:`S_\varepsilon` (paper App. F.1), elementwise.

    .. math::

        S(x) = \begin{cases} 0 & x < \varepsilon/2 \\
        \tfrac{8}{\varepsilon^2}(x - \varepsilon/2)^2 & \varepsilon/2 \le x \le 3\varepsilon/4 \\
        1 - \tfrac{8}{\varepsilon^2}(x - \varepsilon)^2 & 3\varepsilon/4 < x < \varepsilon \\
        1 & x \ge \varepsilon \end{cases}

    :math:`S` is continuously differentiable with :math:`|S'| \le 4/\varepsilon`;
    its derivative is :math:`16/\varepsilon^2`-Lipschitz (the paper's gradient
    Lipschitz constant :math:`L = O(1/\varepsilon^2)` for :math:`\tilde I`); the
    second derivative is piecewise constant, :math:`\pm 16/\varepsilon^2`.
    (The paper states :math:`K = O(1/\varepsilon^3)` for the Hessian-Lipschitz
    constant of the polynomial smoothing it has in mind; this C^1 spline is the
    one it writes down.)

    Parameters
    ----------
    x : array_like of float, any shape
    eps : float, > 0
        Width of the smoothing band.

    Returns
    -------
    value, first, second : ndarray of float64, shape of ``x``

    Examples
    --------
    >>> f, df, d2f = step_eps([0.0, 0.625, 0.75, 1.0], eps=1.0)
    >>> f.tolist()  # 1/2 at 3 eps/4
    [0.0, 0.125, 0.5, 1.0]
    >>> df.tolist()  # steepest there: 4/eps
    [0.0, 2.0, 4.0, 0.0]
    """
    return _apply3(_map3_step, x, "x", check_positive(eps, "eps"))


def edge_indicator(x, y, eps: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    r"""Smoothed cut indicator :math:`\tilde I(x,y) = S(x)S(-y) + S(-x)S(y)` (paper App. F.1).

    It is 1 when ``x`` and ``y`` have opposite signs and both exceed ``eps`` in
    magnitude, 0 when they agree in sign or either is below ``eps/2`` in
    magnitude; gradient Lipschitz constant :math:`O(1/\varepsilon^2)` (paper).

    Parameters
    ----------
    x, y : array_like of float, same shape
    eps : float, > 0

    Returns
    -------
    value : ndarray, shape of ``x``
    derivatives : ndarray, shape ``(5,) + x.shape``
        ``(dI/dx, dI/dy, d2I/dx2, d2I/dxdy, d2I/dy2)``.
    """
    xa = _as_float_array(x, "x")
    ya = _as_float_array(y, "y")
    if xa.shape != ya.shape:
        raise ValueError(f"x and y must have the same shape, got {xa.shape} and {ya.shape}")
    out = np.empty((6, xa.size))
    _map_edge(xa.reshape(-1), ya.reshape(-1), check_positive(eps, "eps"), out)
    return out[0].reshape(xa.shape), out[1:].reshape((5,) + xa.shape)


def jl_indicator(u, eps: float = 0.1, eps1: float = 0.05) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Smoothed JL violation indicator (paper App. G.3) of :math:`u = \|Ax\|^2 - 1`.

    0 while :math:`|u| \le \varepsilon`, 1 once :math:`|u| \ge \varepsilon + \varepsilon_1`,
    two cubic pieces in between meeting at value 1/2. The paper prints the cubic
    coefficient as :math:`2/\varepsilon^3`; the pieces only join continuously with
    :math:`4/\varepsilon_1^3`, which is used here. Gradient Lipschitz constant
    :math:`O(1/\varepsilon_1^2)` (here :math:`6/\varepsilon_1^2`), Hessian
    Lipschitz :math:`O(1/\varepsilon_1^3)` (paper).

    Returns
    -------
    value, first, second : ndarray of float64, shape of ``u`` (derivatives in ``u``)
    """
    return _apply3(_map3_jl, u, "u", check_positive(eps, "eps"), check_positive(eps1, "eps1"))


def relu_iota(x, iota: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r""":math:`\mathrm{ReLU}_\iota(x) = \log(1 + e^{\iota x})/\iota` (paper §4.2), overflow-safe.

    Its gradient is :math:`\iota/4`-Lipschitz and its Hessian
    :math:`\sqrt3\,\iota^2/9`-Lipschitz (paper §4.2); it tends to ReLU as
    :math:`\iota \to \infty`.

    Returns
    -------
    value, first, second : ndarray of float64, shape of ``x``
    """
    return _apply3(_map3_relu, x, "x", check_positive(iota, "iota"))
