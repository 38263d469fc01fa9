"""JL objectives: distortions against NumPy, gradients against finite differences, MC estimator
against direct sample averages, determinism across thread counts, degenerate and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast._threads import SERIAL_BELOW
from derand_fast.jl import kernels
from derand_fast.jl.objectives import (
    DegenerateConstraintWarning,
    all_pairs_max_distortion,
    distortions,
    make_problem,
    max_distortion,
    mc_objective,
    objective,
)
from derand_fast.random import STREAMS, standard_normal


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    return rng.standard_normal((9, 7))


def _A(k, d, seed=1):
    return np.random.default_rng(seed).standard_normal((k, d)) / math.sqrt(k)


@pytest.mark.parametrize("target", ["pairwise", "norms"])
def test_distortions_match_definition(data, target):
    P = make_problem(data, target)
    A = _A(4, 7)
    u = distortions(A, P)
    if target == "norms":
        ref = np.sum((data @ A.T) ** 2, axis=1) / np.sum(data**2, axis=1) - 1
    else:
        i, j = np.triu_indices(len(data), 1)
        v = data[i] - data[j]
        ref = np.sum((v @ A.T) ** 2, axis=1) / np.sum(v**2, axis=1) - 1
    np.testing.assert_allclose(u, ref, rtol=1e-12, atol=1e-12)
    assert max_distortion(A, P) == pytest.approx(np.abs(ref).max(), rel=1e-12)


def _fd_check(f, A, grad, h=1e-6, n_dirs=6, seed=0, rtol=1e-5):
    rng = np.random.default_rng(seed)
    for _ in range(n_dirs):
        V = rng.standard_normal(A.shape)
        fd = (f(A + h * V) - f(A - h * V)) / (2 * h)
        assert fd == pytest.approx(np.sum(grad * V), rel=rtol, abs=1e-8)


@pytest.mark.parametrize("target", ["pairwise", "norms"])
@pytest.mark.parametrize("kind,kw", [("smooth_max", {"tau": 0.05}), ("violations", {"eps": 0.4, "eps1": 0.5})])
def test_fixed_objective_gradient_fd(data, target, kind, kw):
    P = make_problem(data, target)
    A = _A(3, 7)
    value, grad, m = objective(A, P, kind=kind, **kw)
    u = distortions(A, P)
    if kind == "smooth_max":  # closed form, and an upper bound of the max within tau log 2P
        tau = kw["tau"]
        ref = tau * np.log(np.sum(np.exp(u / tau) + np.exp(-u / tau)))
        assert value == pytest.approx(ref, rel=1e-12)
        assert m <= value <= m + tau * math.log(2 * len(u)) + 1e-12
    else:
        assert 0 < value < len(u)
    assert np.any(grad != 0)
    _fd_check(lambda B: objective(B, P, kind=kind, **kw)[0], A, grad)


@pytest.mark.parametrize("sigma_kind", ["entry", "scalar"])
@pytest.mark.parametrize("kind,kw", [("smooth_max", {"tau": 0.05}), ("violations", {"eps": 0.4, "eps1": 0.5})])
def test_mc_objective_gradient_fd(data, sigma_kind, kind, kw):
    """With the samples fixed (same seed and step) the MC estimate is a smooth function of (M, sigma):
    its pathwise gradients must match finite differences of the estimate itself."""
    P = make_problem(data, "pairwise")
    k, d = 3, 7
    M = _A(k, d)
    sig = 0.07 if sigma_kind == "scalar" else np.random.default_rng(2).uniform(0.02, 0.1, (k, d))
    est = mc_objective(M, sig, P, kind=kind, n_samples=5, seed=3, step=2, **kw)
    f = lambda MM, ss: mc_objective(MM, ss, P, kind=kind, n_samples=5, seed=3, step=2, **kw).value  # noqa: E731
    _fd_check(lambda MM: f(MM, sig), M, est.grad_M)
    if sigma_kind == "scalar":
        h = 1e-6
        fd = (f(M, sig + h) - f(M, sig - h)) / (2 * h)
        assert fd == pytest.approx(est.grad_sigma, rel=1e-5, abs=1e-8)
    else:
        _fd_check(lambda ss: f(M, ss), sig, est.grad_sigma)


def test_mc_objective_equals_average_over_explicit_samples(data):
    """Independent truth: rebuild A_s = M + sigma * Z_s from the documented streams and average."""
    P = make_problem(data, "pairwise")
    k, d, S, step, seed = 3, 7, 4, 5, 11
    M = _A(k, d)
    sig = np.full((k, d), 0.05)
    est = mc_objective(M, sig, P, kind="smooth_max", tau=0.05, n_samples=S, seed=seed, step=step)
    Z = standard_normal(seed, S, k * d, first_stream=STREAMS["jl.samples"].at(step * S)).reshape(S, k, d)
    vals = [objective(M + sig * Z[s], P, kind="smooth_max", tau=0.05) for s in range(S)]
    reg = np.sum(sig**2) / (2 * k * d)
    assert est.value == pytest.approx(np.mean([v[0] for v in vals]) + reg, rel=1e-12)
    np.testing.assert_allclose(est.grad_M, np.mean([v[1] for v in vals], axis=0), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(est.grad_sigma, np.mean([v[1] * Z[s] for s, v in enumerate(vals)], axis=0)
                               + sig / (k * d), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(est.sample_max, [v[2] for v in vals], rtol=1e-12)


@pytest.mark.parametrize("n,sigma_kind", [(40, "entry"), (40, "scalar"), (8, "scalar")])
@pytest.mark.parametrize("size_rule", [True, False])
def test_thread_count_invariance(data, two_threads, size_rule, monkeypatch, n, sigma_kind):
    """The serial twin (threads=1) and the threaded kernel (explicit threads, or threads=None with the size rule
    of threads_for switched off) give identical bits (n = 8 < d: row-space samples)."""
    X = np.random.default_rng(0).standard_normal((n, 12))
    sig = np.full((5, 12), 0.1) if sigma_kind == "entry" else 0.1
    if not size_rule:
        monkeypatch.setitem(SERIAL_BELOW, "jl", 0)  # threads=None: every thread, the threaded kernels
    other = two_threads if size_rule else None
    P = make_problem(X, "pairwise")
    M = _A(5, 12)
    a = mc_objective(M, sig, P, n_samples=7, seed=1, threads=1)
    b = mc_objective(M, sig, P, n_samples=7, seed=1, threads=other)
    assert a.value == b.value
    np.testing.assert_array_equal(a.grad_M, b.grad_M)
    np.testing.assert_array_equal(a.grad_sigma, b.grad_sigma)
    np.testing.assert_array_equal(a.sample_max, b.sample_max)
    fa, ga, _ = objective(M, P, threads=1)
    fb, gb, _ = objective(M, P, threads=other)
    assert fa == fb
    np.testing.assert_array_equal(ga, gb)
    assert max_distortion(M, P, threads=1) == max_distortion(M, P, threads=other)


def test_one_thread_runs_the_serial_twin(data, two_threads, monkeypatch):
    """threads_for's choice reaches the kernels: one thread runs the serial twin, two the threaded one."""
    picked = []
    real = kernels.twin
    monkeypatch.setattr(kernels, "twin", lambda par, ser: picked.append(real(par, ser) is ser) or real(par, ser))
    P = make_problem(data, "pairwise")
    mc_objective(_A(3, 7), 0.1, P, n_samples=3, threads=1)
    objective(_A(3, 7), P, threads=1)
    assert picked == [True, True]
    mc_objective(_A(3, 7), 0.1, P, n_samples=3, threads=two_threads)
    objective(_A(3, 7), P, threads=two_threads)
    assert picked[2:] == [False, False]


def test_pair_subsample(data):
    X = np.random.default_rng(0).standard_normal((30, 4))
    P = make_problem(X, "pairwise", max_pairs=50, seed=2)
    assert P.pairs.shape == (50, 2)
    assert np.all(P.pairs[:, 0] < P.pairs[:, 1]) and len({tuple(p) for p in P.pairs}) == 50
    full = make_problem(X, "pairwise")
    assert full.n_constraints == 30 * 29 // 2


def test_degenerate_constraints_dropped_with_warning():
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    with pytest.warns(DegenerateConstraintWarning, match="duplicate"):
        P = make_problem(X, "pairwise")
    assert P.n_constraints == 2
    with pytest.warns(DegenerateConstraintWarning, match="zero-norm"):
        P = make_problem(np.array([[0.0, 0.0], [3.0, 4.0]]), "norms")
    assert P.n_constraints == 1 and P.inv_sq[0] == pytest.approx(1 / 25)
    with pytest.warns(DegenerateConstraintWarning), pytest.raises(ValueError, match="no usable"):
        make_problem(np.ones((3, 2)), "pairwise")


@pytest.mark.parametrize("X,err,match", [
    (np.ones(4), ValueError, "2-D"),
    (np.zeros((0, 3)), ValueError, "must not be empty"),
    (np.array([[np.nan, 1.0], [1.0, 1.0]]), ValueError, "NaN"),
    (np.array([[np.inf, 1.0], [1.0, 1.0]]), ValueError, "NaN or inf"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "real"),
    (np.array([[1 + 1j, 1.0], [1.0, 1.0]]), TypeError, "complex"),
    (np.ones((1, 3)), ValueError, "at least 2"),
])
def test_bad_points(X, err, match):
    with pytest.raises(err, match=match):
        make_problem(X, "pairwise")


def test_bad_arguments(data):
    P = make_problem(data)
    with pytest.raises(ValueError, match="target"):
        make_problem(data, "angles")
    with pytest.raises(ValueError, match="shape"):
        objective(np.ones((2, 6)), P)
    with pytest.raises(ValueError, match="NaN"):
        objective(np.full((2, 7), np.nan), P)
    with pytest.raises(ValueError, match="objective"):
        objective(np.ones((2, 7)), P, kind="mean")
    with pytest.raises(ValueError, match="tau"):
        objective(np.ones((2, 7)), P, tau=0.0)
    with pytest.raises(ValueError, match="sigma"):
        mc_objective(np.ones((2, 7)), -1.0, P)
    with pytest.raises(ValueError, match="sigma"):
        mc_objective(np.ones((2, 7)), np.ones((2, 6)), P)
    with pytest.raises(ValueError, match="n_samples"):
        mc_objective(np.ones((2, 7)), 0.1, P, n_samples=0)
    with pytest.raises(ValueError, match="max_pairs"):
        make_problem(data, max_pairs=0)


def test_shared_sigma_samples_live_in_the_row_space():
    """n < d with a shared sigma: sample s is A_s = M + sigma Z'_s V_rᵀ (Z'_s: k × r normals of stream
    t*S + s, V_r: the points' row space). Rebuilt here from an independent SVD and averaged."""
    X = np.random.default_rng(7).standard_normal((6, 15))
    P = make_problem(X, "pairwise")
    k, S, step, seed, sig = 4, 5, 3, 2, 0.2
    M = _A(k, 15)
    est = mc_objective(M, sig, P, kind="smooth_max", tau=0.05, n_samples=S, seed=seed, step=step)
    Vt = np.linalg.svd(X, full_matrices=False)[2]  # rank 6 = n
    assert P.row_coords.shape == (6, 6)
    Z = standard_normal(seed, S, k * 6, first_stream=STREAMS["jl.samples"].at(step * S)).reshape(S, k, 6)
    vals = [objective(M + sig * Z[s] @ Vt, P, kind="smooth_max", tau=0.05) for s in range(S)]
    assert est.value == pytest.approx(np.mean([v[0] for v in vals]) + sig**2 / 2, rel=1e-10)
    np.testing.assert_allclose(est.grad_M, np.mean([v[1] for v in vals], axis=0), rtol=1e-8, atol=1e-12)
    ref_gs = np.mean([np.sum(v[1] * (Z[s] @ Vt)) for s, v in enumerate(vals)]) + sig
    assert est.grad_sigma == pytest.approx(ref_gs, rel=1e-8)
    np.testing.assert_allclose(est.sample_max, [v[2] for v in vals], rtol=1e-10)


@pytest.mark.parametrize("shift,near", [(0.0, False), (1e4, False), (0.0, True)])
def test_stored_and_recomputed_distortions_agree(data, monkeypatch, shift, near):
    """Batches small enough keep the distortions between the pair passes, computed from the Gram matrix
    for dense pair sets (exact differences where cancellation could cost more than 1e-12; points far
    from the origin test that); large ones recompute them by exact differences. Same numbers."""
    from derand_fast.jl import objectives as obj

    X = data + shift
    if near:  # a near-duplicate pair (distance 1e-7): the Gram formula would lose everything there
        X = np.vstack([X, X[:1] + 1e-7 * np.arange(1, 8)])
    P = make_problem(X, "pairwise")
    M, sig = _A(3, 7), np.full((3, 7), 0.1)
    kept = mc_objective(M, sig, P, n_samples=6, seed=4, tau=0.05)
    monkeypatch.setattr(obj, "_U_MAX", 0)
    again = mc_objective(M, sig, P, n_samples=6, seed=4, tau=0.05)
    assert kept.value == pytest.approx(again.value, rel=1e-12)
    np.testing.assert_allclose(kept.sample_max, again.sample_max, rtol=1e-12)
    np.testing.assert_allclose(kept.grad_M, again.grad_M, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(kept.grad_sigma, again.grad_sigma, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("block", [7, 64, 4096])
def test_all_pairs_max_distortion_matches_every_pair(block):
    """Blocked Gram evaluation against the explicit list of pairs, with duplicates and near-duplicates far
    from the origin (where the Gram formula alone would lose the small distances)."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((90, 12)) + 1e3
    X[5] = X[7]  # duplicate: skipped
    X[9] = X[8] + 1e-6 * rng.standard_normal(12)  # near-duplicate: exact difference
    A = rng.standard_normal((4, 12)) / 2.0
    with pytest.warns(DegenerateConstraintWarning):
        problem = make_problem(X, "pairwise")
    m, count = all_pairs_max_distortion(A, X, block=block)
    u = np.abs(distortions(A, problem))
    assert count == problem.n_constraints == 90 * 89 // 2 - 1
    assert m == pytest.approx(u.max(), rel=1e-9)
    with pytest.raises(ValueError, match="block"):
        all_pairs_max_distortion(A, X, block=0)
    with pytest.raises(ValueError, match="shape"):
        all_pairs_max_distortion(A[:, :5], X)
