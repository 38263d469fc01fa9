"""The toy example (paper §1, Figs. 1–2) against quadrature, finite differences and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm

from derand_fast.toy import ToyCurves, plot_toy_figures, relu_moment, toy_curves, toy_minimizer, toy_objective


def quad_expectation(h, mean, std):
    """E[h(mean + std x)], x ~ N(0, 1), by adaptive quadrature split at the ReLU kink."""
    kink = -mean / std
    f = lambda x: h(mean + std * x) * norm.pdf(x)  # noqa: E731
    lo, hi = quad(f, -np.inf, kink, epsabs=1e-13, epsrel=1e-12)[0], quad(f, kink, np.inf, epsabs=1e-13, epsrel=1e-12)[0]
    return lo + hi


@pytest.mark.parametrize("k", [0, 1, 2, 3, 6])
@pytest.mark.parametrize(("mean", "std"), [(0.0, 1.0), (1.0, 0.3), (-0.7, 0.5), (0.4, 2.0), (-2.0, 0.8)])
def test_relu_moment_matches_quadrature(k, mean, std):
    expected = quad_expectation(lambda u: (u > 0) * np.maximum(u, 0.0) ** k, mean, std)
    assert relu_moment(k, mean, std) == pytest.approx(expected, rel=1e-9, abs=1e-13)


def test_relu_moment_closed_forms_and_zero_std():
    assert relu_moment(3, 0.0, 1.0) == pytest.approx(2.0 / math.sqrt(2.0 * math.pi))  # E[z_+^3] = 2 phi(0)
    assert relu_moment(6, 0.0, 1.0) == pytest.approx(7.5)  # E[z^6]/2 = 15/2
    np.testing.assert_allclose(relu_moment(2, np.array([1.5, -1.0, 0.0]), 0.0), [2.25, 0.0, 0.0])
    with pytest.raises(ValueError, match="std"):
        relu_moment(2, 0.0, -1.0)
    with pytest.raises(ValueError, match="mean"):
        relu_moment(2, np.nan, 1.0)
    with pytest.raises(ValueError, match="k"):
        relu_moment(-1, 0.0, 1.0)


@pytest.mark.parametrize(("w", "b"), [(0.5, 0.0), (-0.8, 0.3), (0.3, 1.2), (1.1, -0.6)])
def test_toy_objective_value_and_gradient(w, b):
    lam = 0.05
    value, grad = toy_objective(w, b, lam)
    expected = quad_expectation(lambda u: (np.maximum(u, 0.0) ** 3 - 1.0) ** 2, b, abs(w)) + lam * w * w
    assert value == pytest.approx(expected, rel=1e-9)
    h = 1e-6
    fd = [(toy_objective(w + h, b, lam)[0] - toy_objective(w - h, b, lam)[0]) / (2 * h),
          (toy_objective(w, b + h, lam)[0] - toy_objective(w, b - h, lam)[0]) / (2 * h)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_toy_objective_bad_input():
    with pytest.raises(ValueError, match="lam must be >= 0"):
        toy_objective(0.1, 0.0, -1.0)
    with pytest.raises(ValueError, match="w must be finite"):
        toy_objective(np.nan, 0.0, 1.0)
    with pytest.raises(TypeError, match="b must be a real"):
        toy_objective(0.1, "0", 1.0)
    with pytest.raises(ValueError, match="lams"):
        toy_curves(np.array([]))
    with pytest.raises(ValueError, match="lams"):
        toy_curves(np.array([1.0, -1.0]))


@pytest.fixture(scope="module")
def curves() -> ToyCurves:
    return toy_curves(np.logspace(-6.0, 1.0, 15))


def test_fig1_bias_frozen(curves):
    # Independent truth: f(w, 0) - 1 = 7.5 w^6 - 2 c |w|^3 + lam w^2 with c = E[z_+^3] = 2 phi(0),
    # minimized on a fine grid (no moments, no optimizer).
    c = 2.0 * norm.pdf(0.0)
    ws = np.linspace(0.0, 1.0, 200_001)
    for lam, w_star in zip(curves.lam, curves.w_frozen):
        f = 7.5 * ws**6 - 2.0 * c * ws**3 + lam * ws * ws
        assert w_star == pytest.approx(ws[np.argmin(f)], abs=1e-4)
    small = curves.lam <= 1e-2
    assert np.all(np.abs(curves.w_frozen[small] - 0.47) < 0.01)
    # w* = 0 only once lam is of order 1: the switch lies between 0.3 and 1
    assert np.all(curves.w_frozen[curves.lam < 0.3] > 0.3)
    assert np.all(curves.w_frozen[curves.lam >= 1.0] == 0.0)
    assert toy_minimizer(0.3, train_bias=False).w > 0.3
    assert toy_minimizer(1.0, train_bias=False).w == 0.0


def test_fig2_bias_trained(curves):
    # f >= lam w^2 >= 0 and f(0, 1) = 0: the global minimizer is (0, 1) for every lam > 0
    assert np.all(curves.w_trained < 1e-3)
    np.testing.assert_allclose(curves.b_trained, 1.0, atol=1e-6)
    np.testing.assert_allclose(curves.f_trained, 0.0, atol=1e-12)
    assert np.all(curves.f_trained <= curves.f_frozen)


def test_figures_are_written(curves, tmp_path):
    paths = plot_toy_figures(curves, tmp_path / "figs")
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    d = curves.to_dict()
    assert set(d) == {"lam", "w_frozen", "f_frozen", "w_trained", "b_trained", "f_trained"}
    assert len(d["lam"]) == 15


def test_hessian_descent_reaches_the_exact_sosp_with_bias_trained():
    """Fig. 2's solid line: from a generic start Algorithm 2 stops at a certified SOSP with w ~ 0, b ~ 1."""
    from derand_fast.optimizers import HessianDescent

    lam = 1e-3
    fun = lambda p: toy_objective(p[0], p[1], lam)  # noqa: E731

    def hessp(p, v):  # central differences of the exact gradient
        h = 1e-6 / max(np.linalg.norm(v), 1e-300)
        return (fun(p + h * v)[1] - fun(p - h * v)[1]) / (2 * h)

    rho, K = 1e-6, 1.0
    res = HessianDescent(lr=0.02, rho=rho, K=K, h=0.05).minimize(fun, np.array([0.3, 0.5]), max_iter=20_000,
                                                                 hessp=hessp, lam=lam)
    assert res.status == "converged" and res.certificate.is_sosp
    assert abs(res.x[0]) < 1e-6 and res.x[1] == pytest.approx(1.0, abs=1e-6)
    # near (0, 1): ReLU^3(1 + e) - 1 = 3e + O(e^2), so f = 9 w^2 + 9 (b - 1)^2 + lam w^2 + ...: Hessian
    # diag(18 + 2 lam, 18)
    assert res.certificate.lambda_min == pytest.approx(18.0, rel=1e-3)
