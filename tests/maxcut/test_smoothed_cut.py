"""The smoothed cut on the smoothing engine: kernels, statistics against the exact expectation, thread invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast.indicators import edge_indicator, step_eps
from derand_fast.maxcut import Graph
from derand_fast.maxcut.derand_exact import ExactCutObjective
from derand_fast.maxcut.derand_mc import derand_mc
from derand_fast.maxcut.smoothed_cut import SmoothedCutObjective, cut_objective_per_sample
from derand_fast.smoothing import AffineSmoother


def signed_graph(n: int, p: float, seed: int, negative: float) -> Graph:
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, k=1)
    keep = rng.random(i.size) < p
    w = np.where(rng.random(keep.sum()) < negative, -1.0, 1.0)
    return Graph.from_edges(n, i[keep], j[keep], w)


def unit_rows(n: int, r: int, seed: int) -> np.ndarray:
    V = np.random.default_rng(seed).normal(size=(n, r))
    return V / np.linalg.norm(V, axis=1, keepdims=True)


@pytest.mark.parametrize("indicator", ["centred", "paper"])
def test_fused_kernel_matches_the_per_sample_kernel_and_the_vectorized_indicator(indicator):
    g = signed_graph(30, 0.3, seed=1, negative=0.3)
    rng = np.random.default_rng(2)
    B, eps = 6, 0.1
    b = rng.normal(0.0, 0.05, g.n)
    P = rng.normal(0.0, 0.1, (g.n, B))  # many values inside the smoothing band
    out = []
    for obj in (SmoothedCutObjective(g, eps, indicator), cut_objective_per_sample(g, eps, indicator)):
        vals, gsum, grads = np.empty(B), np.empty(g.n), np.empty((g.n, B))
        obj.evaluate(b, 0.7, P, vals, gsum, grads)
        out.append((vals, gsum, grads))
    for a, c in zip(out[0], out[1]):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)
    vals, gsum, grads = out[0]
    np.testing.assert_allclose(gsum, grads.sum(axis=1), rtol=1e-12, atol=1e-12)
    U = b[:, None] + 0.7 * P
    for c in range(B):
        x, y = U[g.u, c], U[g.v, c]
        if indicator == "paper":
            f, d = edge_indicator(x, y, eps)
            fx, fy = d[0], d[1]
        else:  # C(x) = S_eps(x + 3 eps / 4), I = C(x) C(-y) + C(-x) C(y)
            cx, dcx, _ = step_eps(x + 0.75 * eps, eps)
            cnx, dcnx, _ = step_eps(-x + 0.75 * eps, eps)
            cy, dcy, _ = step_eps(y + 0.75 * eps, eps)
            cny, dcny, _ = step_eps(-y + 0.75 * eps, eps)
            f = cx * cny + cnx * cy
            fx, fy = dcx * cny - dcnx * cy, cx * -dcny + cnx * dcy
        assert vals[c] == pytest.approx(float(g.weights @ f), rel=1e-12, abs=1e-12)
        ref = np.bincount(g.u, g.weights * fx, minlength=g.n) + np.bincount(g.v, g.weights * fy, minlength=g.n)
        np.testing.assert_allclose(grads[:, c], ref, rtol=1e-12, atol=1e-12)


def _mc_batches(g, V, mu, s, eps, n_batches, n_samples):
    """Independent estimates (value, grad_mu) of E[sum w I~(u)], u = mu + s V z: fresh samples per step."""
    obj = SmoothedCutObjective(g, eps, "centred")
    sm = AffineSmoother(obj, V, n_samples=n_samples, antithetic=True, seed=3, threads=1)
    est = [sm.estimate(mu, s, step) for step in range(n_batches)]
    return np.array([e.value for e in est]), np.array([e.grad_b for e in est])


def test_mc_gradient_matches_differences_of_the_exact_expectation():
    # centred indicator with half-width q = eps/4 = 0.0125 << s = 1: E[sigma(u)] differs from E[sign(u)] by
    # O(q^2 max|p'|) per node (sigma - sign is odd and vanishes for |x| >= q), i.e. < 1e-4 here, so the
    # smoothed objective's gradient is the exact expected cut's up to ~1e-3 for degrees <= 10 (the slack below).
    g = signed_graph(8, 0.6, seed=4, negative=0.25)
    V = unit_rows(8, 3, seed=5)
    mu = np.random.default_rng(6).normal(0.0, 0.4, 8)
    s, eps = 1.0, 0.05
    K = 32  # independent batches of 4096 evaluations: the standard error comes from their spread
    _, grads = _mc_batches(g, V, mu, s, eps, K, 4096)
    mean, se = grads.mean(axis=0), grads.std(axis=0, ddof=1) / math.sqrt(K)
    exact = ExactCutObjective(g, V, threads=1)
    h = 1e-5
    fd = np.array([(exact.value(mu + h * e, s) - exact.value(mu - h * e, s)) / (2 * h) for e in np.eye(8)])
    # 4.5 standard errors per coordinate (8 coordinates: a false alarm ~ 5e-5) plus the smoothing bias
    assert np.all(np.abs(mean - fd) <= 4.5 * se + 2e-3), (mean, fd, se)
    assert np.all(se < 0.1 * (1.0 + np.abs(fd)))  # the test has power: the errors are small against the signal


@pytest.mark.parametrize("seed", [7, 8, 9])
def test_mc_value_matches_the_exact_expected_cut_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n = 12
    g = signed_graph(n, 0.4, seed=seed, negative=0.3)
    V = unit_rows(n, 4, seed=seed + 100)
    mu = rng.normal(0.0, 0.5, n)
    s, eps = float(rng.uniform(0.3, 1.0)), 0.02
    K = 16
    vals, _ = _mc_batches(g, V, mu, s, eps, K, 4096)
    mean, se = vals.mean(), vals.std(ddof=1) / math.sqrt(K)
    truth = ExactCutObjective(g, V, threads=1).value(mu, s)
    # bias: O(q^2 / s^2) per edge with q = eps/4 (see above), < 1e-3 in all
    assert abs(mean - truth) <= 4.5 * se + 1e-3, (mean, truth, se)
    assert se < 0.02 * abs(truth) + 0.05


def test_anneal_is_bit_identical_for_one_and_two_threads(two_threads):
    g = signed_graph(300, 0.1, seed=10, negative=0.1)  # 64 samples x m >= 2^18: the parallel path
    assert 64 * g.m >= 1 << 18
    V = unit_rows(g.n, 8, seed=11)
    kw = dict(max_iter=40, check_every=1, record_every=1, seed=12)
    for extra in ({}, {"qmc": True}, {"pool": None, "antithetic": False}, {"indicator": "paper"}):
        a = derand_mc(g, V, threads=1, **kw, **extra)
        b = derand_mc(g, V, threads=two_threads, **kw, **extra)
        np.testing.assert_array_equal(a.x, b.x)
        for k in ("objective", "scale", "cut"):
            np.testing.assert_array_equal(a.history[k], b.history[k])


def test_anneal_options_and_bad_input():
    g = signed_graph(16, 0.5, seed=13, negative=0.0)
    V = unit_rows(16, 4, seed=14)
    out = derand_mc(g, V, max_iter=200, n_samples=32, pool=64, reheats=0)
    assert out.info["pool"] == 64 and out.info["projections"] == 1  # one product for the whole pool
    assert out.nit <= 200 and len(out.info["phase_steps"]) == 1
    out = derand_mc(g, V, max_iter=50, n_samples=16, pool=None, antithetic=False, reheats=0)
    assert out.info["projections"] == out.nit  # fresh samples: one product per step
    out = derand_mc(g, V, max_iter=150, n_samples=16, restarts=2, reheats=1)
    assert len(out.info["phase_steps"]) == 3 and max(out.info["phase_steps"]) <= 60  # 2 + 2 + 1 units of 30
    with pytest.raises(ValueError, match="schedule"):
        derand_mc(g, V, schedule="magic")
    with pytest.raises(ValueError, match="indicator"):
        derand_mc(g, V, indicator="magic")
    with pytest.raises(ValueError, match="pool"):
        derand_mc(g, V, n_samples=32, pool=40)  # not a multiple of the 16 points per step
    with pytest.raises(ValueError, match="s_final"):
        derand_mc(g, V, s_final=2.0)


def test_ctrl_c_returns_the_best_cut_so_far():
    from derand_fast.runcontrol import Status

    g = signed_graph(20, 0.4, seed=15, negative=0.0)
    V = unit_rows(20, 4, seed=16)
    calls = {"n": 0}
    estimate = AffineSmoother.estimate

    def boom(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 60:
            raise KeyboardInterrupt
        return estimate(self, *a, **k)

    mp = pytest.MonkeyPatch()
    mp.setattr(AffineSmoother, "estimate", boom)
    try:
        out = derand_mc(g, V, max_iter=1000, check_every=5)
    finally:
        mp.undo()
    assert out.status == Status.INTERRUPTED and out.nit == 59
    assert out.cut == float(g.weights @ (out.x[g.u] != out.x[g.v])) > 0
