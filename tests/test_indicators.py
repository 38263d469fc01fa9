"""Smoothed indicators: derivatives vs finite differences, breakpoints, limits, C++ twin."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast import _core, edge_indicator, jl_indicator, relu_iota, step_eps

EPS = 0.1
EPS1 = 0.05


def _fd_check(fun, x, h=1e-6, rtol=1e-5, atol=1e-6):
    f, d1, d2 = fun(x)
    fp, d1p, _ = fun(x + h)
    fm, d1m, _ = fun(x - h)
    np.testing.assert_allclose(d1, (fp - fm) / (2 * h), rtol=rtol, atol=atol)
    np.testing.assert_allclose(d2, (d1p - d1m) / (2 * h), rtol=rtol, atol=atol * 1e3)


def _avoid(x, breaks, h=1e-4):
    """Drop points within h of a kink of the second derivative."""
    keep = np.ones_like(x, dtype=bool)
    for b in breaks:
        keep &= np.abs(x - b) > h
    return x[keep]


def test_step_derivatives_match_finite_differences():
    x = _avoid(np.linspace(-0.05, 0.15, 2001), [EPS / 2, 0.75 * EPS, EPS])
    _fd_check(lambda t: step_eps(t, EPS), x)


def test_step_continuous_at_breakpoints_and_limits():
    for b in [EPS / 2, 0.75 * EPS, EPS]:
        lo, hi = step_eps(np.array([b - 1e-12, b + 1e-12]), EPS)[:2]
        assert abs(lo[1] - lo[0]) < 1e-9
        assert abs(hi[1] - hi[0]) < 1e-6  # first derivative continuous too
    f = step_eps(np.array([-1.0, 0.0, EPS / 2 - 1e-9, EPS, 3.0]), EPS)[0]
    assert f.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert step_eps(0.75 * EPS, EPS)[0] == pytest.approx(0.5)


def test_edge_indicator_values_and_gradient():
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.15, 0.15, 4000)
    y = rng.uniform(-0.15, 0.15, 4000)
    f, der = edge_indicator(x, y, EPS)
    ref = step_eps(x, EPS)[0] * step_eps(-y, EPS)[0] + step_eps(-x, EPS)[0] * step_eps(y, EPS)[0]
    np.testing.assert_allclose(f, ref, atol=1e-15)
    h = 1e-7
    fx = (edge_indicator(x + h, y, EPS)[0] - edge_indicator(x - h, y, EPS)[0]) / (2 * h)
    fy = (edge_indicator(x, y + h, EPS)[0] - edge_indicator(x, y - h, EPS)[0]) / (2 * h)
    np.testing.assert_allclose(der[0], fx, atol=2e-5)
    np.testing.assert_allclose(der[1], fy, atol=2e-5)
    # mixed second derivative vs differences of the analytic gradient
    fxy = (edge_indicator(x, y + h, EPS)[1][0] - edge_indicator(x, y - h, EPS)[1][0]) / (2 * h)
    np.testing.assert_allclose(der[3], fxy, atol=2e-3)
    # opposite signs beyond eps -> 1; same sign -> 0
    assert edge_indicator(0.2, -0.3, EPS)[0] == 1.0
    assert edge_indicator(0.2, 0.3, EPS)[0] == 0.0


def test_jl_indicator_derivatives_and_limits():
    u = _avoid(np.linspace(-0.3, 0.3, 3001), [s * b for s in (-1, 1) for b in (EPS, EPS + EPS1 / 2, EPS + EPS1)])
    _fd_check(lambda t: jl_indicator(t, EPS, EPS1), u)
    f = jl_indicator(np.array([0.0, EPS, -EPS, EPS + EPS1, -1.0, 5.0]), EPS, EPS1)[0]
    assert f.tolist() == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    # pieces meet at the midpoint with value 1/2 (continuity)
    mid = EPS + EPS1 / 2
    a, b = jl_indicator(np.array([mid - 1e-12, mid + 1e-12]), EPS, EPS1)[0]
    assert a == pytest.approx(0.5, abs=1e-9) and b == pytest.approx(0.5, abs=1e-9)


def test_relu_iota_derivatives_and_overflow():
    x = np.linspace(-20, 20, 4001)
    _fd_check(lambda t: relu_iota(t, 2.0), x)
    f, d1, d2 = relu_iota(np.array([-1e6, 1e6, 0.0]), 2.0)
    assert np.all(np.isfinite(f)) and np.all(np.isfinite(d1)) and np.all(np.isfinite(d2))
    assert f[0] == 0.0 and f[1] == 1e6 and f[2] == pytest.approx(np.log(2) / 2)
    # Lipschitz constants stated in the docstring (paper §4.2): |f''| <= iota/4
    assert np.max(relu_iota(x, 3.0)[2]) <= 3.0 / 4 + 1e-12


@pytest.mark.parametrize(
    "py_fun, cpp_fun, params, lo, hi",
    [
        (step_eps, _core.step_eps, (EPS,), -0.2, 0.2),
        (jl_indicator, _core.jl_indicator, (EPS, EPS1), -0.3, 0.3),
        (relu_iota, _core.relu_iota, (2.0,), -50.0, 50.0),
    ],
)
def test_cpp_twin_agrees_bitwise(py_fun, cpp_fun, params, lo, hi):
    x = np.linspace(lo, hi, 10001)
    for a, b in zip(py_fun(x, *params), cpp_fun(x, *params)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_rejected(bad):
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        step_eps(np.array([0.0, bad]), EPS)


@pytest.mark.parametrize("eps", [0.0, -1.0, np.nan, np.inf])
def test_bad_width_rejected(eps):
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        step_eps([0.0], eps)
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        _core.step_eps(np.zeros(2), eps)


def test_wrong_dtypes_rejected():
    with pytest.raises(TypeError, match="x must be a real .* got complex dtype"):
        step_eps(np.array([1 + 2j]), EPS)
    with pytest.raises(TypeError, match=r"x must be a real \(integer or float\) array"):
        step_eps(np.array(["a"], dtype=object), EPS)
    with pytest.raises(ValueError, match="same shape"):
        edge_indicator(np.zeros(3), np.zeros(4), EPS)
