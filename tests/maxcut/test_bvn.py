"""Bivariate normal CDF (cpp/bvn.hpp) against independent truth."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import IntegrationWarning, quad
from scipy.special import ndtr
from scipy.stats import multivariate_normal

from derand_fast.maxcut.derand_exact import bivariate_normal_cdf


def _quad_truth(a: float, b: float, rho: float) -> float:
    """Plackett's identity integrated by adaptive quadrature (independent of the C++ rules).

    Phi2(a, b; rho) = Phi(a) Phi(b) + 1/(2 pi) int_0^{asin rho} exp(-(a^2 + b^2 - 2ab sin t)/(2 cos^2 t)) dt,
    written in u = pi/2 - |t| so that 1 - sin t = 2 sin^2(u/2) and cos t = sin u keep full
    precision as |rho| -> 1. The integrand is bounded by 1/(2 pi).
    """
    sg = 1.0 if rho >= 0.0 else -1.0
    ab = sg * a * b
    d2 = (a - sg * b) ** 2

    def f(u: float) -> float:
        su = math.sin(u)
        if su == 0.0:
            return 0.0 if d2 > 0.0 else math.exp(-0.5 * ab) / (2 * math.pi)
        return math.exp(-(d2 + 4.0 * ab * math.sin(0.5 * u) ** 2) / (2.0 * su * su)) / (2 * math.pi)

    u0 = math.acos(abs(rho))
    knots = [u0] + [u0 + d for d in (1e-6, 1e-4, 1e-2) if u0 + d < 0.5 * math.pi] + [0.5 * math.pi]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        integral = sum(quad(f, lo, hi, epsabs=1e-17, epsrel=1e-14, limit=2000)[0]
                       for lo, hi in zip(knots[:-1], knots[1:]))
    return float(ndtr(a) * ndtr(b)) + sg * integral


def test_against_scipy_random_grid():
    rng = np.random.default_rng(11)
    a = rng.uniform(-5, 5, 300)
    b = rng.uniform(-5, 5, 300)
    rho = rng.uniform(-0.999, 0.999, 300)
    ours = bivariate_normal_cdf(a, b, rho)
    ref = np.array([
        multivariate_normal.cdf([x, y], mean=[0, 0], cov=[[1, r], [r, 1]], abseps=1e-14, releps=1e-14)
        for x, y, r in zip(a, b, rho)
    ])
    assert np.max(np.abs(ours - ref)) <= 1e-12


@pytest.mark.parametrize("rho", [0.0, 0.2, -0.29, 0.5, -0.74, 0.9, -0.92, 0.93, -0.99, 0.999999,
                                 -(1 - 1e-9), 1 - 1e-12, -(1 - 1e-12)])
def test_against_quadrature_all_branches(rho):
    rng = np.random.default_rng(abs(int(rho * 1e6)) + 1)
    a = np.r_[rng.uniform(-6, 6, 12), [0.0, 3.0, -3.0, 8.0]]
    b = np.r_[rng.uniform(-6, 6, 12), [0.0, 3.0000001, 2.9, -8.0]]
    ours = bivariate_normal_cdf(a, b, rho)
    truth = np.array([_quad_truth(x, y, rho) for x, y in zip(a, b)])
    assert np.max(np.abs(ours - truth)) <= 1e-12


def test_closed_forms_and_limits():
    a = np.linspace(-7, 7, 29)
    b = np.linspace(6, -6, 29)
    # rho = 0: product; rho = +-1: Phi(min) and max(0, Phi(a) + Phi(b) - 1)
    np.testing.assert_allclose(bivariate_normal_cdf(a, b, 0.0), ndtr(a) * ndtr(b), rtol=0, atol=1e-16)
    np.testing.assert_allclose(bivariate_normal_cdf(a, b, 1.0), ndtr(np.minimum(a, b)), rtol=0, atol=1e-16)
    np.testing.assert_allclose(bivariate_normal_cdf(a, b, -1.0), np.maximum(0.0, ndtr(a) - ndtr(-b)),
                               rtol=0, atol=1e-15)
    # orthant probability at the origin: 1/4 + asin(rho)/(2 pi)
    r = np.linspace(-1, 1, 41)
    np.testing.assert_allclose(bivariate_normal_cdf(0.0, 0.0, r), 0.25 + np.arcsin(r) / (2 * np.pi),
                               rtol=0, atol=1e-15)
    # continuity into the limits
    assert abs(bivariate_normal_cdf(0.3, -0.2, 1 - 1e-12) - ndtr(-0.2)) < 1e-6
    # symmetry and infinite limits
    np.testing.assert_array_equal(bivariate_normal_cdf(a, b, 0.6), bivariate_normal_cdf(b, a, 0.6))
    assert bivariate_normal_cdf(np.inf, 0.7, 0.3) == ndtr(0.7)
    assert bivariate_normal_cdf(-np.inf, 0.7, 0.3) == 0.0
    # large arguments: no NaN, correct tails
    big = bivariate_normal_cdf([40.0, -40.0, 40.0, 1e6], [40.0, 40.0, -1e6, 1e6], [-0.99, 0.99, 0.5, -0.95])
    np.testing.assert_array_equal(big, [1.0, 0.0, 0.0, 1.0])


def test_broadcasting_shape():
    out = bivariate_normal_cdf(np.zeros((3, 1)), np.zeros((1, 4)), 0.0)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out, 0.25, rtol=0, atol=1e-16)


@pytest.mark.parametrize("rho", [1.5, -1.0001, np.nan])
def test_bad_rho(rho):
    with pytest.raises(ValueError, match="rho"):
        bivariate_normal_cdf(0.0, 0.0, rho)


def test_bad_types_and_shapes():
    with pytest.raises(TypeError, match="a"):
        bivariate_normal_cdf(np.array(["x"]), 0.0, 0.0)
    with pytest.raises(TypeError, match="rho"):
        bivariate_normal_cdf(0.0, 0.0, 0.1j)
    with pytest.raises(ValueError, match="broadcast"):
        bivariate_normal_cdf(np.zeros(3), np.zeros(4), 0.0)
