"""λ_min by Lanczos / dense eigh against exact eigenvalues; the ρ-SOSP certificate and Lemma 3.1 bound."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast.certificate import DENSE_MAX_DIM, lambda_min, lemma31_bound, sosp_certificate


def _random_symmetric(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    return 0.5 * (a + a.T)


@pytest.mark.parametrize("n", [1, 2, 7, DENSE_MAX_DIM, DENSE_MAX_DIM + 1, 300])
def test_lambda_min_matches_exact_eigenvalue(n):
    h = _random_symmetric(n, seed=n)
    calls = []

    def hvp(v):
        calls.append(1)
        return h @ v

    lam, u = lambda_min(hvp, n, seed=3)
    exact = np.linalg.eigvalsh(h)[0]
    assert lam == pytest.approx(exact, abs=1e-8 * max(1.0, abs(exact)))
    assert np.linalg.norm(u) == pytest.approx(1.0)
    assert np.linalg.norm(h @ u - lam * u) < 1e-6
    if n > DENSE_MAX_DIM:  # Lanczos: far fewer products than columns of a dense Hessian would need
        assert len(calls) < 10 * n


def test_lambda_min_is_reproducible_for_a_seed():
    h = _random_symmetric(200, seed=1)
    a = lambda_min(lambda v: h @ v, 200, seed=5)
    b = lambda_min(lambda v: h @ v, 200, seed=5)
    assert a[0] == b[0]
    np.testing.assert_array_equal(a[1], b[1])


def test_lambda_min_bad_input():
    with pytest.raises(ValueError, match="n must be >= 1"):
        lambda_min(lambda v: v, 0)
    with pytest.raises(TypeError, match="n must be an int"):
        lambda_min(lambda v: v, 2.0)
    with pytest.raises(ValueError, match="shape"):
        lambda_min(lambda v: np.zeros(3), 2)
    with pytest.raises(ValueError, match="non-finite"):
        lambda_min(lambda v: np.full(2, np.nan), 2)
    with pytest.raises(ValueError, match="non-finite"):
        lambda_min(lambda v: np.full(100, np.inf), 100)


def test_lemma31_bound_formula():
    assert lemma31_bound(1e-2, 1.0, 0.5) == pytest.approx(1e-2 / (1.0 - 0.1))
    # 2 lam <= sqrt(K rho): the lemma gives no bound
    assert lemma31_bound(1e-2, 1.0, 0.05) == math.inf
    with pytest.raises(ValueError, match="rho"):
        lemma31_bound(0.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="lam"):
        lemma31_bound(1.0, 1.0, float("nan"))


def test_certificate_verdicts_on_a_diagonal_hessian():
    diag = np.array([3.0, -0.05, 1.0])
    hvp = lambda v: diag * v  # noqa: E731
    rho, K = 1e-2, 1.0  # sqrt(K rho) = 0.1 > 0.05: the negative curvature is tolerated
    cert = sosp_certificate(np.array([0.0, 0.006, 0.008]), hvp, rho=rho, K=K, lam=1.0)
    assert cert.grad_norm == pytest.approx(0.01)
    assert cert.lambda_min == pytest.approx(-0.05)
    assert cert.is_sosp is True
    assert cert.frobenius_bound == pytest.approx(rho / (2.0 - 0.1))
    # gradient too large
    assert sosp_certificate(np.array([0.0, 0.0, 0.02]), hvp, rho=rho, K=K).is_sosp is False
    # curvature too negative: -0.05 < -sqrt(0.1 * 1e-2) = -0.0316
    assert sosp_certificate(np.zeros(3), hvp, rho=rho, K=0.1).is_sosp is False
    # without rho and K: measured numbers only
    cert = sosp_certificate(np.zeros(3), hvp)
    assert cert.is_sosp is None and cert.frobenius_bound is None
    assert cert.lambda_min == pytest.approx(-0.05)


def test_certificate_bad_input():
    hvp = lambda v: v  # noqa: E731
    with pytest.raises(ValueError, match="grad must not be empty"):
        sosp_certificate(np.zeros(0), hvp)
    with pytest.raises(ValueError, match="grad must be finite"):
        sosp_certificate(np.array([np.nan, 1.0]), hvp)
    with pytest.raises(ValueError, match="rho"):
        sosp_certificate(np.zeros(2), hvp, rho=-1.0, K=1.0)
    with pytest.raises(ValueError, match="K"):
        sosp_certificate(np.zeros(2), hvp, rho=1.0, K=0.0)
