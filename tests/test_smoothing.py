"""Gaussian-smoothing estimators against closed forms, quadrature and exact algebra.

Statistical tolerances: where an estimate is compared with the truth, it is
averaged over K = 16 independent steps (fresh streams) and the error of the
mean must lie within 5 standard errors estimated from the spread of those K
runs; for a t-distribution with 15 degrees of freedom P(|T| > 5) ~ 1.6e-4 per
check, so a false failure is very unlikely across the few dozen checks here,
while a bias larger than a few percent of the gradients fails.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest
from scipy import integrate, stats

from derand_fast import smoothing
from derand_fast.indicators import step_eps_scalar
from derand_fast.qmc import sobol_normals
from derand_fast.random import standard_normal
from derand_fast.smoothing import (
    SampledHessian,
    sampled_hessian,
    smooth,
    smooth_affine,
    smooth_hvp,
    smooth_lambda_min,
)

S_PHI = 0.7  # scale inside g_phi
EPS = 1.0  # width of the smoothed step
K_RUNS = 16
A_QUAD = np.array([[2.0, 0.5, 0.0], [0.5, -1.0, 0.3], [0.0, 0.3, 0.5]])


@nb.njit(cache=True)
def g_phi(x, grad_out):
    """sum_i Phi(x_i / S_PHI): its Gaussian smoothing has a closed form."""
    s = 0.0
    for i in range(x.size):
        t = x[i] / S_PHI
        s += 0.5 * math.erfc(-t / math.sqrt(2.0))
        grad_out[i] = math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi) / S_PHI
    return s


@nb.njit(cache=True)
def g_step(x, grad_out):
    """sum_i S_eps(x_i), the MAXCUT smoothed step (paper App. F.1)."""
    s = 0.0
    for i in range(x.size):
        f, d1, _ = step_eps_scalar(x[i], EPS)
        s += f
        grad_out[i] = d1
    return s


@nb.njit(cache=True)
def g_quad(x, grad_out):
    """x^T A x / 2 for the fixed indefinite A_QUAD (3 x 3)."""
    s = 0.0
    for i in range(3):
        acc = 0.0
        for j in range(3):
            acc += A_QUAD[i, j] * x[j]
        grad_out[i] = acc
        s += 0.5 * x[i] * acc
    return s


@nb.njit(cache=True)
def g_value_only(x, grad_out):
    return x.sum()


def phi_truth(mu, sigma):
    """Closed form of E[sum Phi((mu + sigma z)/s)] = sum Phi(mu / r), r = sqrt(s^2 + sigma^2)."""
    r = np.sqrt(S_PHI**2 + sigma**2)
    a = mu / r
    value = stats.norm.cdf(a).sum()
    grad_mu = stats.norm.pdf(a) / r
    grad_sigma = -stats.norm.pdf(a) * mu * sigma / r**3
    hess_diag = -a * stats.norm.pdf(a) / r**2
    return value, grad_mu, grad_sigma, hess_diag


def step_truth(mu, sigma):
    """E[S(mu_i + sigma_i z)], its mu- and sigma-derivatives, by 1-D quadrature per coordinate."""
    value, gm, gs = [], [], []
    pdf = stats.norm.pdf
    for m, s in zip(mu, sigma):
        lo, mid, hi = ((b - m) / s for b in (0.5 * EPS, 0.75 * EPS, EPS))

        def quad(fun):
            return integrate.quad(fun, lo, hi, points=[mid], epsabs=1e-13, epsrel=1e-12)[0]

        value.append(quad(lambda z: step_eps_scalar(m + s * z, EPS)[0] * pdf(z)) + stats.norm.sf(hi))
        gm.append(quad(lambda z: step_eps_scalar(m + s * z, EPS)[1] * pdf(z)))
        gs.append(quad(lambda z: step_eps_scalar(m + s * z, EPS)[1] * z * pdf(z)))
    return np.sum(value), np.array(gm), np.array(gs)


def assert_unbiased(runs, truth, name):
    """Mean of K independent runs within 5 standard errors (from their spread) of the truth."""
    runs = np.asarray(runs, dtype=float)
    mean = runs.mean(axis=0)
    se = runs.std(axis=0, ddof=1) / math.sqrt(runs.shape[0])
    err = np.abs(mean - truth)
    assert np.all(err <= 5 * se + 1e-12), f"{name}: |mean - truth| = {err}, 5 se = {5 * se}"


MU3 = np.array([-0.6, 0.2, 1.1])
SIGMA3 = np.array([0.4, 0.8, 0.5])


@pytest.mark.parametrize("kw", [
    dict(estimator="pathwise"),
    dict(estimator="pathwise", antithetic=True),
    dict(estimator="score"),
    dict(estimator="score", antithetic=True),
    dict(estimator="score", baseline=False),
    dict(estimator="pathwise", qmc=True),
    dict(estimator="pathwise", qmc=True, antithetic=True),
    dict(estimator="score", qmc=True),
])
def test_closed_form_phi_vector_sigma(kw):
    value, gmu, gsig, _ = phi_truth(MU3, SIGMA3)
    ests = [smooth(g_phi, MU3, SIGMA3, n_samples=1024, step=k, **kw) for k in range(K_RUNS)]
    assert_unbiased([e.value for e in ests], value, "value")
    assert_unbiased([e.grad_mu for e in ests], gmu, "grad_mu")
    assert_unbiased([e.grad_sigma for e in ests], gsig, "grad_sigma")
    # the reported standard error matches the spread of independent runs (i.i.d. samples):
    # K = 16 runs give the spread to within ~ +-50 % at 3 sigma
    if not kw.get("qmc"):
        spread = np.std([e.value for e in ests], ddof=1)
        assert 0.5 < np.mean([e.stderr for e in ests]) / spread < 2.0


def test_closed_form_phi_scalar_sigma_is_sum_of_coordinates():
    sigma = 0.6
    value, gmu, gsig, _ = phi_truth(MU3, np.full(3, sigma))
    ests = [smooth(g_phi, MU3, sigma, n_samples=1024, step=k) for k in range(K_RUNS)]
    assert all(isinstance(e.grad_sigma, float) for e in ests)
    assert_unbiased([e.grad_sigma for e in ests], gsig.sum(), "grad_sigma")
    assert_unbiased([e.grad_mu for e in ests], gmu, "grad_mu")
    # same samples, vector sigma: the scalar gradient is exactly the sum of the vector one
    vec = smooth(g_phi, MU3, np.full(3, sigma), n_samples=1024, step=3)
    assert ests[3].grad_sigma == pytest.approx(vec.grad_sigma.sum(), rel=1e-13)
    np.testing.assert_array_equal(ests[3].grad_mu, vec.grad_mu)


@pytest.mark.parametrize("kw", [dict(), dict(estimator="score"), dict(antithetic=True)])
def test_smoothed_step_against_quadrature(kw):
    mu = np.array([0.3, 0.75, 1.2, -0.2])
    sigma = np.array([0.3, 0.2, 0.5, 0.6])
    value, gmu, gsig = step_truth(mu, sigma)
    ests = [smooth(g_step, mu, sigma, n_samples=2048, step=k, **kw) for k in range(K_RUNS)]
    assert_unbiased([e.value for e in ests], value, "value")
    assert_unbiased([e.grad_mu for e in ests], gmu, "grad_mu")
    assert_unbiased([e.grad_sigma for e in ests], gsig, "grad_sigma")


def test_quadratic_closed_form_is_exact_for_pathwise_gradients():
    # E[x^T A x / 2] = mu^T A mu / 2 + sum_i A_ii sigma_i^2 / 2; grad_mu = A mu on average,
    # grad_sigma_i = A_ii sigma_i. With antithetic pairs the pathwise mu-gradient of a
    # quadratic is exact: (A(mu + s z) + A(mu - s z)) / 2 = A mu.
    est = smooth(g_quad, MU3, SIGMA3, n_samples=64, antithetic=True)
    np.testing.assert_allclose(est.grad_mu, A_QUAD @ MU3, rtol=1e-12, atol=1e-14)
    ests = [smooth(g_quad, MU3, SIGMA3, n_samples=512, step=k) for k in range(K_RUNS)]
    truth = 0.5 * MU3 @ A_QUAD @ MU3 + 0.5 * np.sum(np.diag(A_QUAD) * SIGMA3**2)
    assert_unbiased([e.value for e in ests], truth, "value")
    assert_unbiased([e.grad_sigma for e in ests], np.diag(A_QUAD) * SIGMA3, "grad_sigma")


def _rel_err(est, truth):
    return np.linalg.norm(est - truth) / np.linalg.norm(truth)


def test_pathwise_beats_score_and_qmc_beats_pathwise_on_same_samples():
    # a smoothed step in d = 50 with 64 samples. Same (seed, step) -> same normals.
    rng = np.random.default_rng(5)
    mu = rng.uniform(0.0, 1.5, 50)
    sigma = 0.5
    _, gmu, _ = step_truth(mu, np.full(50, sigma))
    errs = {"pathwise": [], "score": [], "score_nobase": [], "qmc": []}
    for step in range(5):
        errs["pathwise"].append(_rel_err(smooth(g_step, mu, sigma, step=step).grad_mu, gmu))
        errs["score"].append(_rel_err(smooth(g_step, mu, sigma, step=step, estimator="score").grad_mu, gmu))
        errs["score_nobase"].append(_rel_err(
            smooth(g_step, mu, sigma, step=step, estimator="score", baseline=False).grad_mu, gmu))
        errs["qmc"].append(_rel_err(smooth(g_step, mu, sigma, step=step, qmc=True).grad_mu, gmu))
    # pathwise strictly better than the score function on the very same samples, every time
    assert all(p < s for p, s in zip(errs["pathwise"], errs["score"]))
    mean = {k: float(np.mean(v)) for k, v in errs.items()}
    assert mean["qmc"] < mean["pathwise"] < mean["score"] < mean["score_nobase"]


def test_common_random_numbers_and_fresh_steps():
    a = smooth(g_phi, MU3, SIGMA3, n_samples=37, step=2)
    b = smooth(g_phi, MU3, SIGMA3, n_samples=37, step=2)
    c = smooth(g_phi, MU3, SIGMA3, n_samples=37, step=3)
    np.testing.assert_array_equal(a.grad_mu, b.grad_mu)
    assert a.value == b.value
    assert a.value != c.value
    # sample u of step s is stream s * n_samples + u: the sample mean reproduces by hand
    z = standard_normal(0, 37, 3, first_stream=2 * 37)
    x = MU3 + SIGMA3 * z
    by_hand = np.mean([g_phi(row, np.empty(3)) for row in x])
    assert a.value == pytest.approx(by_hand, rel=1e-14)
    q = smooth(g_phi, MU3, SIGMA3, n_samples=16, qmc=True, seed=4, step=1)
    zq = sobol_normals(4, 16, 3, stream=1)
    xq = MU3 + SIGMA3 * zq
    assert q.value == pytest.approx(np.mean([g_phi(r, np.empty(3)) for r in xq]), rel=1e-14)


ESTIMATOR_CASES = [
    dict(),
    dict(estimator="score"),
    dict(antithetic=True),
    dict(estimator="score", antithetic=True),
    dict(qmc=True),
]


@pytest.mark.parametrize("kw", ESTIMATOR_CASES)
def test_thread_invariance_and_chunking(kw, two_threads, monkeypatch):
    rng = np.random.default_rng(1)
    mu = rng.standard_normal(40)
    n = 64 if kw.get("qmc") else 74  # 74: not a multiple of the 16 slots
    one = smooth(g_step, mu, 0.4, n_samples=n, seed=9, threads=1, **kw)
    two = smooth(g_step, mu, 0.4, n_samples=n, seed=9, threads=two_threads, **kw)
    # tiny chunks: the kernel runs many times, each slot must keep its sample order
    monkeypatch.setattr(smoothing, "_CHUNK_NORMALS", 200)
    chunked = smooth(g_step, mu, 0.4, n_samples=n, seed=9, threads=two_threads, **kw)
    for other in (two, chunked):
        assert one.value == other.value and one.stderr == other.stderr
        np.testing.assert_array_equal(one.grad_mu, other.grad_mu)
        assert one.grad_sigma == other.grad_sigma


def test_hessian_thread_invariance(two_threads, monkeypatch):
    mu = np.linspace(-1.0, 1.0, 30)
    h1 = sampled_hessian(g_phi, mu, 0.5, n_samples=21, threads=1)
    h2 = sampled_hessian(g_phi, mu, 0.5, n_samples=21, threads=two_threads)
    monkeypatch.setattr(smoothing, "_CHUNK_NORMALS", 100)
    h3 = sampled_hessian(g_phi, mu, 0.5, n_samples=21, threads=two_threads)
    v = np.cos(np.arange(30.0))
    for h in (h2, h3):
        np.testing.assert_array_equal(h1.matvec(v), h.matvec(v))
        lam1, vec1 = h1.lambda_min()
        lam, vec = h.lambda_min()
        assert lam1 == lam
        np.testing.assert_array_equal(vec1, vec)
    np.testing.assert_array_equal(
        smooth_hvp(g_phi, mu, 0.5, v, n_samples=21, threads=two_threads), h1.matvec(v))


def test_affine_thread_invariance(two_threads, monkeypatch):
    rng = np.random.default_rng(2)
    w, b = rng.standard_normal((4, 9)), rng.standard_normal(4)
    a = smooth_affine(g_phi, w, b, n_samples=33, threads=1)
    c = smooth_affine(g_phi, w, b, n_samples=33, threads=two_threads)
    assert a.value == c.value
    np.testing.assert_array_equal(a.grad_W, c.grad_W)
    np.testing.assert_array_equal(a.grad_b, c.grad_b)
    # chunks (a function of n_samples, d, k only) regroup the BLAS sums: same up to rounding
    monkeypatch.setattr(smoothing, "_CHUNK_NORMALS", 40)
    for threads in (1, two_threads):
        ch = smooth_affine(g_phi, w, b, n_samples=33, threads=threads)
        assert ch.value == a.value
        np.testing.assert_allclose(ch.grad_W, a.grad_W, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(ch.grad_b, a.grad_b, rtol=1e-13, atol=1e-16)


def test_hessian_of_phi_against_closed_form():
    # Hessian of sum Phi(mu_i / r_i) is diagonal, -a phi(a) / r^2 (one negative entry here).
    # Error bound: the sample term (grad g(x) - grad g(mu))_i z_j / sigma_j is at most
    # L |z_i z_j| with L = max|phi'| / s^2 = phi(1) / s^2, so E||H_hat - H||_F^2 <= 3 d^2 L^2 / B
    # and by Markov P(||H_hat - H||_F > t) <= 3 d^2 L^2 / (B t^2) = 1 % for the t below.
    sigma = 0.5
    _, _, _, hdiag = phi_truth(MU3, np.full(3, sigma))
    b = 1 << 18
    lip = stats.norm.pdf(1.0) / S_PHI**2
    t = math.sqrt(3 * 9 * lip**2 / (b * 0.01))
    h = sampled_hessian(g_phi, MU3, sigma, n_samples=b, seed=3)
    dense = h.toarray()
    err = np.linalg.norm(dense - np.diag(hdiag))
    gap = np.sort(hdiag)[1] - hdiag.min()
    assert err < t < 0.5 * gap
    lam, vec = smooth_lambda_min(g_phi, MU3, sigma, n_samples=b, seed=3)
    # Weyl: |lambda_min(H_hat) - lambda_min(H)| <= ||H_hat - H||_2 <= err
    assert abs(lam - hdiag.min()) <= err
    # Davis-Kahan: sin(angle to the true eigenvector e_i) <= err / gap
    i = int(np.argmin(hdiag))
    assert math.sqrt(max(0.0, 1 - vec[i] ** 2)) <= err / gap
    v = np.array([0.3, -1.0, 2.0])
    np.testing.assert_allclose(smooth_hvp(g_phi, MU3, sigma, v, n_samples=b, seed=3), dense @ v,
                               rtol=1e-10, atol=1e-12)


def test_hessian_diagonal_sigma_is_exact_algebra_on_a_quadratic():
    # For g = x^T A x / 2 and the grad g(mu) baseline, grad g(x_s) - grad g(mu) = A (sigma * z_s),
    # so H_hat = sym(A D S D^{-1}) with S = Z^T Z / B: checks the diagonal-sigma scaling exactly.
    b = 50
    h = sampled_hessian(g_quad, MU3, SIGMA3, n_samples=b, seed=8, step=1)
    z = standard_normal(8, b, 3, first_stream=b)
    d = np.diag(SIGMA3)
    m = A_QUAD @ d @ (z.T @ z / b) @ np.linalg.inv(d)
    np.testing.assert_allclose(h.toarray(), 0.5 * (m + m.T), rtol=1e-12, atol=1e-12)
    # without the baseline the estimate is unbiased too but carries grad g(mu) z^T / sigma noise
    nob = sampled_hessian(g_quad, MU3, SIGMA3, n_samples=b, seed=8, step=1, baseline=False)
    extra = np.outer(A_QUAD @ MU3, (z / SIGMA3).mean(axis=0))
    np.testing.assert_allclose(nob.toarray(), h.toarray() + 0.5 * (extra + extra.T), atol=1e-12)


def test_lambda_min_low_rank_eigenproblem_is_exact():
    rng = np.random.default_rng(0)
    d, b = 40, 6  # d > 2B: H_hat has a null space
    h = SampledHessian(rng.standard_normal((b, d)), rng.standard_normal((b, d)))
    dense = h.toarray()
    lam, vec = h.lambda_min()
    w = np.linalg.eigvalsh(dense)
    assert lam == pytest.approx(w[0], abs=1e-12)
    np.testing.assert_allclose(dense @ vec, lam * vec, atol=1e-11)
    assert np.linalg.norm(vec) == pytest.approx(1.0)
    # PSD estimate (gradients along z, U of rank B): lambda_min is the 0 of the null space
    z = rng.standard_normal((b, d))
    psd = SampledHessian(2.0 * z, z)
    lam0, vec0 = psd.lambda_min()
    assert abs(lam0) < 1e-12
    np.testing.assert_allclose(psd.matvec(vec0), 0.0, atol=1e-12)
    assert np.linalg.eigvalsh(psd.toarray())[0] > -1e-12
    # full-rank U and d > 2B: B negative eigenvalues (inertia of C), whatever the true Hessian
    aniso = SampledHessian(z * np.linspace(1.0, 3.0, d), z)  # "A = diag(1..3)", positive definite
    w = np.linalg.eigvalsh(aniso.toarray())
    assert np.sum(w < -1e-12) == b
    assert aniso.lambda_min()[0] == pytest.approx(w[0], abs=1e-12)
    # d <= 2B: the QR spans everything
    small = SampledHessian(rng.standard_normal((b, 5)), rng.standard_normal((b, 5)))
    assert small.lambda_min()[0] == pytest.approx(np.linalg.eigvalsh(small.toarray())[0], abs=1e-12)


def affine_truth(w, b):
    """E[sum Phi((Wx + b)_i / s)] = sum Phi(b_i / r_i), r_i = sqrt(s^2 + ||W_i||^2), and gradients."""
    r = np.sqrt(S_PHI**2 + (w**2).sum(axis=1))
    a = b / r
    value = stats.norm.cdf(a).sum()
    grad_b = stats.norm.pdf(a) / r
    grad_w = (-stats.norm.pdf(a) * b / r**3)[:, None] * w
    return value, grad_w, grad_b


def test_affine_closed_form_and_its_derivatives():
    rng = np.random.default_rng(4)
    w, b = 0.4 * rng.standard_normal((3, 5)), np.array([0.5, -0.3, 1.0])
    value, grad_w, grad_b = affine_truth(w, b)
    # the closed-form gradients agree with central finite differences of the closed form
    h = 1e-6
    fd_w = np.zeros_like(w)
    for idx in np.ndindex(*w.shape):
        e = np.zeros_like(w)
        e[idx] = h
        fd_w[idx] = (affine_truth(w + e, b)[0] - affine_truth(w - e, b)[0]) / (2 * h)
    fd_b = np.array([(affine_truth(w, b + h * e)[0] - affine_truth(w, b - h * e)[0]) / (2 * h)
                     for e in np.eye(3)])
    np.testing.assert_allclose(grad_w, fd_w, atol=1e-8)
    np.testing.assert_allclose(grad_b, fd_b, atol=1e-8)
    ests = [smooth_affine(g_phi, w, b, n_samples=1024, step=k) for k in range(K_RUNS)]
    assert_unbiased([e.value for e in ests], value, "value")
    assert_unbiased([e.grad_W for e in ests], grad_w, "grad_W")
    assert_unbiased([e.grad_b for e in ests], grad_b, "grad_b")


def test_affine_matches_smooth_for_identity_map():
    # W = diag(sigma), b = mu, d = k: E[g(Wx + b)] is smooth(g, mu, sigma) on the same normals,
    # and grad_W's diagonal is the pathwise sigma-gradient.
    e = smooth(g_phi, MU3, SIGMA3, n_samples=40, step=2)
    a = smooth_affine(g_phi, np.diag(SIGMA3), MU3, n_samples=40, step=2)
    assert a.value == pytest.approx(e.value, rel=1e-13)
    np.testing.assert_allclose(a.grad_b, e.grad_mu, rtol=1e-12)
    np.testing.assert_allclose(np.diag(a.grad_W), e.grad_sigma, rtol=1e-12)


def _py_g(x, grad_out):
    return 0.0


@nb.njit(cache=True)
def _one_arg(x):
    return x.sum()


@pytest.mark.parametrize("args, kw, exc, match", [
    ((_py_g, MU3, 0.5), {}, TypeError, "g must be a Numba"),
    ((_one_arg, MU3, 0.5), {}, TypeError, "g must accept"),
    ((g_value_only, MU3, 0.5), {}, ValueError, "grad_out"),
    ((g_phi, [0.0, np.nan, 1.0], 0.5), {}, ValueError, "mu contains NaN"),
    ((g_phi, [0.0, np.inf, 1.0], 0.5), {}, ValueError, "mu contains NaN"),
    ((g_phi, MU3, [0.5, np.inf, 0.5]), {}, ValueError, "sigma contains NaN"),
    ((g_phi, MU3, float("nan")), {}, ValueError, "sigma contains NaN"),
    ((g_phi, MU3, -0.5), {}, ValueError, "sigma must be >= 0"),
    ((g_phi, MU3, [0.5, -0.1, 0.5]), {}, ValueError, "sigma must be >= 0"),
    ((g_phi, MU3, 0.0), dict(estimator="score"), ValueError, "sigma must be > 0"),
    ((g_phi, MU3, [0.5, 0.5]), {}, ValueError, "sigma must be a scalar or have the shape"),
    ((g_phi, MU3, "0.5"), {}, TypeError, "sigma"),
    ((g_phi, MU3, True), {}, TypeError, "sigma"),
    ((g_phi, MU3, np.array(-1.0)), {}, ValueError, "sigma must be >= 0"),
    ((g_phi, np.zeros((2, 3)), 0.5), {}, ValueError, "mu must be 1-D"),
    ((g_phi, np.zeros(0), 0.5), {}, ValueError, "mu must not be empty"),
    ((g_phi, MU3.astype(complex), 0.5), {}, TypeError, "mu must be a real"),
    ((g_phi, ["a", "b"], 0.5), {}, TypeError, "mu must be a real"),
    ((g_phi, MU3, 0.5), dict(n_samples=0), ValueError, "n_samples must be >= 1"),
    ((g_phi, MU3, 0.5), dict(n_samples=-3), ValueError, "n_samples must be >= 1"),
    ((g_phi, MU3, 0.5), dict(n_samples=8.0), TypeError, "n_samples must be an int"),
    ((g_phi, MU3, 0.5), dict(n_samples=7, antithetic=True), ValueError, "even"),
    ((g_phi, MU3, 0.5), dict(n_samples=24, qmc=True), ValueError, "power of two"),
    ((g_phi, MU3, 0.5), dict(estimator="stein"), ValueError, "estimator must be one of"),
    ((g_phi, MU3, 0.5), dict(estimator="score", n_samples=1), ValueError, ">= 2 independent"),
    ((g_phi, MU3, 0.5), dict(seed=-1), ValueError, "seed"),
    ((g_phi, MU3, 0.5), dict(step=-1), ValueError, "step"),
    ((g_phi, MU3, 0.5), dict(threads=0), ValueError, "threads"),
    ((g_quad, np.full(3, 1e300), 0.5), {}, ValueError, "g returned NaN or inf"),
])
def test_smooth_bad_input(args, kw, exc, match):
    with pytest.raises(exc, match=match):
        smooth(*args, **kw)


def test_hessian_and_affine_bad_input():
    with pytest.raises(ValueError, match="sigma must be > 0"):
        smooth_lambda_min(g_phi, MU3, 0.0)
    with pytest.raises(ValueError, match="v must have shape"):
        smooth_hvp(g_phi, MU3, 0.5, np.ones(4), n_samples=4)
    with pytest.raises(ValueError, match="v contains NaN"):
        smooth_hvp(g_phi, MU3, 0.5, [1.0, np.nan, 0.0], n_samples=4)
    with pytest.raises(TypeError, match="g must be a Numba"):
        smooth_hvp(_py_g, MU3, 0.5, np.ones(3))
    with pytest.raises(ValueError, match="grad_out"):
        sampled_hessian(g_value_only, MU3, 0.5)
    w = np.ones((2, 3))
    with pytest.raises(ValueError, match="b must have shape"):
        smooth_affine(g_phi, w, np.ones(3))
    with pytest.raises(ValueError, match="W must be 2-D"):
        smooth_affine(g_phi, np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="W contains NaN"):
        smooth_affine(g_phi, np.full((2, 3), np.inf), np.ones(2))
    with pytest.raises(ValueError, match="pathwise"):
        smooth_affine(g_phi, w, np.ones(2), estimator="score")
    with pytest.raises(ValueError, match="n_samples"):
        smooth_affine(g_phi, w, np.ones(2), n_samples=0)
    with pytest.raises(TypeError, match="g must be a Numba"):
        smooth_affine(np.sum, w, np.ones(2))


def test_interrupt_between_chunks_restores_threads(monkeypatch):
    # Long estimates run in chunks; Ctrl-C (KeyboardInterrupt) between two kernel calls
    # propagates and the Numba thread count is restored.
    calls = []
    kernel = smoothing._pathwise_kernel

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return kernel(*args)

    monkeypatch.setattr(smoothing, "_CHUNK_NORMALS", 16 * 3)
    monkeypatch.setattr(smoothing, "_pathwise_kernel", interrupted)
    before = nb.get_num_threads()
    with pytest.raises(KeyboardInterrupt):
        smooth(g_phi, MU3, 0.5, n_samples=64, threads=1)
    assert len(calls) == 2
    assert nb.get_num_threads() == before
