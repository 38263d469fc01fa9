"""derandomize / derandomize_affine: σ driven to 0, certificates against the exact fixed-sample Hessian."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from derand_fast.derandomize import derandomize, derandomize_affine
from derand_fast.optimizers import SGD, Adam
from derand_fast.random import standard_normal

LAM = 0.1


@numba.njit(cache=True)
def double_well(x, grad_out):
    """g(x) = sum_i (x_i^2 - 1)^2: deterministic optima x = ±1; g'' = 12 x^2 - 4."""
    s = 0.0
    for i in range(x.size):
        s += (x[i] * x[i] - 1.0) ** 2
        grad_out[i] = 4.0 * x[i] * (x[i] * x[i] - 1.0)
    return s


def cert_normals(res, n_samples, cert_samples, d, seed):
    """The certificate's fixed samples: engine streams of step ceil(nfev n / cert_samples)."""
    step = -(-res.result.nfev * n_samples // cert_samples)
    return standard_normal(seed, cert_samples, d, first_stream=step * cert_samples, threads=1)


def test_derandomize_removes_the_randomness_and_is_certified():
    d, n, m, seed = 3, 64, 256, 4
    rho, K = 1e-3, 1.0  # sqrt(K rho) = 0.032 < 2 lam = 0.2
    r = derandomize(double_well, np.array([0.5, -0.4, 0.8]), 0.5, lam=LAM, n_samples=n, seed=seed, max_iter=1500,
                    rho=rho, K=K, cert_samples=m, threads=1)
    np.testing.assert_allclose(np.abs(r.mean), 1.0, atol=0.02)
    np.testing.assert_allclose(np.sign(r.mean), [1.0, -1.0, 1.0])
    assert r.scale_norm[0] == pytest.approx(0.5 * math.sqrt(3)) and r.scale_norm[-1] < 0.02
    assert r.steps[-1] == 1500 and r.scale_norm.shape == r.steps.shape == r.scale_max.shape
    cert = r.certificate
    assert cert.is_sosp is True and cert.frobenius_bound == pytest.approx(rho / (2 * LAM - math.sqrt(K * rho)))
    assert np.linalg.norm(r.scale) <= cert.frobenius_bound  # Lemma 3.1
    # Exact Hessian of the certified sample objective (1/m) sum_s g(mu + sigma z_s) + lam |sigma|^2 at the
    # returned point: coordinates decouple into 2x2 blocks [[E g''], [E g'' z]; [E g'' z, E g'' z^2 + 2 lam]].
    z = cert_normals(r, n, m, d, seed)
    x = r.mean + r.scale * z
    g2 = 12.0 * x * x - 4.0
    lam_exact = min(np.linalg.eigvalsh(np.array([[g2[:, i].mean(), (g2[:, i] * z[:, i]).mean()],
                                                 [(g2[:, i] * z[:, i]).mean(),
                                                  (g2[:, i] * z[:, i] ** 2).mean() + 2 * LAM]]))[0]
                    for i in range(d))
    assert cert.lambda_min == pytest.approx(lam_exact, rel=1e-5)
    grad_exact = np.concatenate([(4 * x * (x * x - 1) * z).mean(0) + 2 * LAM * r.scale, (4 * x * (x * x - 1)).mean(0)])
    assert cert.grad_norm == pytest.approx(np.linalg.norm(grad_exact), rel=1e-6, abs=1e-12)


def test_derandomize_affine_drives_W_to_zero():
    n, m, seed = 64, 128, 2
    rho, K = 1e-3, 1.0
    opt = Adam(lr={"W": 0.02, "b": 0.02}, seed=seed)
    r = derandomize_affine(double_well, np.full((1, 3), 0.3), np.array([0.5]), lam=LAM, optimizer=opt,
                           n_samples=n, seed=seed, max_iter=2000, rho=rho, K=K, cert_samples=m, threads=1)
    # exact objective: b^4 + 6 b^2 q + 3 q^2 - 2 (b^2 + q) + 1 + lam q, q = |W|^2: optimum b = ±1, W = 0
    assert r.mean[0] == pytest.approx(1.0, abs=0.02)
    assert r.scale_norm[0] == pytest.approx(0.3 * math.sqrt(3)) and r.scale_norm[-1] < 0.02
    cert = r.certificate
    # Hessian of (1/m) sum_s g(W x_s + b) + lam |W|^2: H_WW = E[g'' x x^T] + 2 lam I, H_Wb = E[g'' x], H_bb = E[g'']
    x = cert_normals(r, n, m, 3, seed)
    u = x @ r.scale[0] + r.mean[0]
    g2 = 12.0 * u * u - 4.0
    h = np.empty((4, 4))
    h[:3, :3] = (x.T * g2) @ x / m + 2 * LAM * np.eye(3)
    h[:3, 3] = h[3, :3] = (g2[:, None] * x).mean(0)
    h[3, 3] = g2.mean()
    assert cert.lambda_min == pytest.approx(np.linalg.eigvalsh(h)[0], rel=1e-5)
    assert cert.is_sosp is True
    assert np.linalg.norm(r.scale) <= cert.frobenius_bound  # Lemma 3.1


def test_derandomize_is_reproducible_across_thread_counts(two_threads):
    kw = dict(lam=LAM, n_samples=32, seed=9, max_iter=15, certify=False)
    a = derandomize(double_well, np.full(4, 0.3), 0.7, threads=1, **kw)
    b = derandomize(double_well, np.full(4, 0.3), 0.7, threads=two_threads, **kw)
    c = derandomize(double_well, np.full(4, 0.3), 0.7, threads=1, **{**kw, "seed": 10})
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.scale_norm, b.scale_norm)
    assert not np.array_equal(a.mean, c.mean)


def test_derandomize_with_sgd_groups_sigma_floor_and_interrupt():
    r = derandomize(double_well, np.full(2, 0.5), 0.5, lam=LAM, optimizer=SGD(lr={"mu": 0.02, "sigma": 0.05}),
                    n_samples=16, max_iter=300, sigma_min=0.01, certify=False, threads=1)
    assert np.all(r.scale >= 0.01) and np.all(r.result.x["sigma"] == r.scale)
    assert r.status == "max_iter" and r.success and r.certificate is None

    def stop(intermediate_result):
        if intermediate_result.nit == 4:
            raise KeyboardInterrupt

    r = derandomize(double_well, np.full(2, 0.5), 0.5, lam=LAM, max_iter=100, callback=stop, threads=1)
    assert r.status == "interrupted" and not r.success and r.certificate is None
    assert len(r.steps) == 5 and r.fun == r.result.history["fun"].min()


def test_a_plain_python_g_gives_the_numba_run(caplog):
    # the same function uncompiled (numba's py_func): the slow path draws the same samples in the same order
    import logging

    kw = dict(lam=LAM, n_samples=8, seed=2, max_iter=15, cert_samples=16, threads=2)
    with caplog.at_level(logging.INFO, logger="derand_fast.derandomize"):
        fast = derandomize(double_well, np.array([0.5, -0.4]), 0.5, **kw)
        slow = derandomize(double_well.py_func, np.array([0.5, -0.4]), 0.5, **kw)
    np.testing.assert_array_equal(slow.mean, fast.mean)
    np.testing.assert_array_equal(slow.scale, fast.scale)
    assert slow.fun == fast.fun and slow.certificate.lambda_min == pytest.approx(fast.certificate.lambda_min)
    said = [r.getMessage() for r in caplog.records]
    assert said == ["derandomize: g is a Numba function",
                    "derandomize: g is a plain Python function: slow path (one sample at a time under the GIL)"]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: derandomize(double_well, np.zeros(2), lam=0.0), ValueError, "lam"),
        (lambda: derandomize(double_well, np.array([np.nan, 0.0]), lam=0.1), ValueError, "mu0 contains NaN or inf"),
        (lambda: derandomize(double_well, np.zeros((2, 2)), lam=0.1), ValueError, "mu0 must be 1-D"),
        (lambda: derandomize(double_well, np.zeros(2), -1.0, lam=0.1), ValueError, "sigma0"),
        (lambda: derandomize(double_well, np.zeros(2), np.ones(3), lam=0.1), ValueError, "sigma0"),
        (lambda: derandomize(double_well, np.zeros(2), np.array([1.0, -1.0]), lam=0.1), ValueError, "sigma0"),
        (lambda: derandomize(double_well, np.zeros(2), lam=0.1, estimator="score"), ValueError, "sigma_min"),
        (lambda: derandomize(double_well, np.zeros(2), lam=0.1, n_samples=0), ValueError, "n_samples"),
        (lambda: derandomize(double_well, np.zeros(2), lam=0.1, optimizer="adam"), TypeError, "optimizer"),
        (lambda: derandomize(3.0, np.zeros(2), lam=0.1, max_iter=1), TypeError, "Numba"),
        (lambda: derandomize_affine(double_well, np.zeros((1, 2)), np.zeros(2), lam=0.1), ValueError, "b0"),
        (lambda: derandomize_affine(double_well, np.zeros(2), np.zeros(2), lam=0.1), ValueError, "W0 must be 2-D"),
    ],
)
def test_derandomize_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
