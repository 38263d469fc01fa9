"""JL's objective on the smoothing engine (DistortionObjective behind AffineSmoother): per-sample values and
gradients against the fixed-matrix objective, gradients against finite differences of the Monte Carlo estimate
with fixed samples, both layouts of P, 1 vs 2 threads, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast.jl.objectives import DistortionObjective, make_problem, mc_objective, objective
from derand_fast.random import STREAMS
from derand_fast.smoothing import AffineSmoother, DiagonalOperator

K = 3


def _problem(row_space):
    X = np.random.default_rng(7).standard_normal((6, 15) if row_space else (9, 7))
    return make_problem(X, "pairwise")


@pytest.mark.parametrize("row_space", [False, True])
@pytest.mark.parametrize("kind,kw", [("smooth_max", {"tau": 0.05}), ("violations", {"eps": 0.4, "eps1": 0.5})])
def test_samples_match_the_fixed_matrix_objective(row_space, kind, kw):
    """Sample c is the matrix C + s P_c (k × D); through the row basis it is A_c = (C + s P_c) V_rᵀ, whose
    objective and gradient the deterministic ``objective`` computes independently (full X, eval_fixed)."""
    P = _problem(row_space)
    obj = DistortionObjective(P, K, row_space=row_space, kind=kind, **kw)
    D = obj.Xb.shape[1]
    basis = P.row_space[1] if row_space else np.eye(D)
    assert obj.dim == K * D and (D == 6) == row_space
    rng = np.random.default_rng(1)
    C = rng.standard_normal((K, D)) / math.sqrt(K)
    B, s = 5, 0.3
    noise = rng.standard_normal((B, K * D))
    values, gsum, grads = np.empty(B), np.empty(K * D), np.empty((B, K * D)).T
    obj.evaluate(C.ravel(), s, noise.T, values, gsum, grads)
    for c in range(B):
        v, gA, m = objective((C + s * noise[c].reshape(K, D)) @ basis, P, kind=kind, **kw)
        assert values[c] == pytest.approx(v, rel=1e-10)
        assert obj.sample_max[c] == pytest.approx(m, rel=1e-10)
        np.testing.assert_allclose(grads[:, c], (gA @ basis.T).ravel(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(gsum, grads.sum(axis=1), rtol=1e-12, atol=1e-12)
    # the directional form: the same values and sum, and sum_c grad_c . P_c without storing the gradients
    v2, g2 = np.empty(B), np.empty(K * D)
    dsum = obj.evaluate_directional(C.ravel(), s, noise.T, v2, g2)
    np.testing.assert_array_equal(v2, values)
    np.testing.assert_array_equal(g2, gsum)
    assert dsum == pytest.approx(np.sum(grads * noise.T), rel=1e-10)
    # a C-ordered P (a dense W's layout) and C-ordered grads: same bits
    v3, g3, G3 = np.empty(B), np.empty(K * D), np.empty((K * D, B))
    obj.evaluate(C.ravel(), s, np.ascontiguousarray(noise.T), v3, g3, G3)
    np.testing.assert_array_equal(v3, values)
    np.testing.assert_array_equal(G3, grads)


@pytest.mark.parametrize("row_space", [False, True])
def test_engine_gradients_match_finite_differences(row_space):
    """With the samples fixed (same seed and step) the engine's estimate is a smooth function of b and of the
    operator's scales: grad_b, grad_W (per-entry sigma) and grad_scale (shared sigma) against central differences."""
    P = _problem(row_space)
    obj = DistortionObjective(P, K, row_space=row_space, tau=0.05)
    n = obj.dim
    rng = np.random.default_rng(2)
    b = rng.standard_normal(n) / math.sqrt(K)
    w = rng.uniform(0.02, 0.1, n)
    h = 1e-6

    def est(bb, ww, s):
        sm = AffineSmoother(obj, DiagonalOperator(ww), n_samples=5, seed=3, first_stream=11)
        return sm.estimate(bb, s, 2, grad_scale=True, grad_W=True)

    e = est(b, w, 1.3)
    for _ in range(3):
        v = rng.standard_normal(n)
        fd_b = (est(b + h * v, w, 1.3).value - est(b - h * v, w, 1.3).value) / (2 * h)
        assert fd_b == pytest.approx(e.grad_b @ v, rel=1e-5, abs=1e-8)
        fd_w = (est(b, w + h * v, 1.3).value - est(b, w - h * v, 1.3).value) / (2 * h)
        assert fd_w == pytest.approx(e.grad_W @ v, rel=1e-5, abs=1e-8)
    fd_s = (est(b, w, 1.3 + h).value - est(b, w, 1.3 - h).value) / (2 * h)
    assert fd_s == pytest.approx(e.grad_scale, rel=1e-5, abs=1e-8)
    # only grad_scale asked: the directional path, same number
    sm = AffineSmoother(obj, DiagonalOperator(w), n_samples=5, seed=3, first_stream=11)
    assert sm.estimate(b, 1.3, 2, grad_scale=True).grad_scale == pytest.approx(e.grad_scale, rel=1e-10)


def test_mc_objective_is_the_engine_estimate():
    """mc_objective = AffineSmoother over STREAMS["jl.samples"] with W = diag(vec sigma) at scale 1: same numbers."""
    P = _problem(False)
    rng = np.random.default_rng(4)
    M = rng.standard_normal((K, 7)) / math.sqrt(K)
    sig = rng.uniform(0.02, 0.1, (K, 7))
    est = mc_objective(M, sig, P, n_samples=6, seed=9, step=4, tau=0.05, regularize=False)
    obj = DistortionObjective(P, K, tau=0.05)
    sm = AffineSmoother(obj, DiagonalOperator(sig.ravel()), n_samples=6, seed=9,
                        first_stream=STREAMS["jl.samples"].at(0))
    e = sm.estimate(M.ravel(), 1.0, 4, grad_W=True)
    assert est.value == e.value
    np.testing.assert_array_equal(est.grad_M, e.grad_b.reshape(K, 7))
    np.testing.assert_array_equal(est.grad_sigma, e.grad_W.reshape(K, 7))
    np.testing.assert_array_equal(est.sample_max, obj.sample_max)


@pytest.mark.parametrize("row_space", [False, True])
def test_engine_path_thread_invariance(row_space, two_threads):
    P = _problem(row_space)
    obj = DistortionObjective(P, K, row_space=row_space, tau=0.05)
    b = np.random.default_rng(5).standard_normal(obj.dim)
    w = np.full(obj.dim, 0.07)
    out = []
    for t in (1, two_threads):
        sm = AffineSmoother(obj, DiagonalOperator(w), n_samples=7, seed=1, threads=t)
        e = sm.estimate(b, 1.0, 3, grad_W=True)
        d = sm.estimate(b, 1.0, 3, grad_scale=True)
        out.append((e.value, e.grad_b, e.grad_W, d.grad_scale, obj.sample_max.copy()))
    for x, y in zip(*out):
        np.testing.assert_array_equal(x, y)


def test_distortion_objective_rejects_bad_input():
    P = _problem(False)
    with pytest.raises(ValueError, match="n_components"):
        DistortionObjective(P, 0)
    with pytest.raises(ValueError, match="objective"):
        DistortionObjective(P, 2, kind="mean")
    with pytest.raises(ValueError, match="tau"):
        DistortionObjective(P, 2, tau=0.0)
    with pytest.raises(ValueError, match="one row per coordinate"):
        AffineSmoother(DistortionObjective(P, 2), DiagonalOperator(np.ones(15)))
