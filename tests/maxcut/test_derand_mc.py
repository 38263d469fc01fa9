"""Monte Carlo derandomized roundings (derand-mc, hyperplane-mc), the registry and the App. F.2 experiment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast.maxcut import ROUNDINGS, Graph, gw_expected_cut, local_search, maxcut, solve_sdp
from derand_fast.maxcut.derand import DERAND_METHODS
from derand_fast.maxcut.derand_exact import bivariate_normal_cdf
from derand_fast.maxcut.derand_mc import SmoothedCutMC, derand_mc, hyperplane_mc
from derand_fast.maxcut.experiment_f2 import exhaustive_max_cut, random_graph, run_f2
from derand_fast.runcontrol import Status


def signed_graph(n: int, p: float, seed: int, negative: float) -> Graph:
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n, k=1)
    keep = rng.random(i.size) < p
    w = np.where(rng.random(keep.sum()) < negative, -1.0, 1.0)
    return Graph.from_edges(n, i[keep], j[keep], w)


def test_affine_gradients_are_exact_for_fixed_samples():
    # same step = same samples, so the estimate is a C^1 function of (V, mu): compare with differences
    g = signed_graph(10, 0.5, seed=3, negative=0.2)
    est = SmoothedCutMC(g, eps=0.5, n_samples=16, seed=4)
    rng = np.random.default_rng(5)
    V = rng.normal(0.0, 0.4, (10, 3))
    mu = rng.normal(0.0, 0.3, 10)
    _, gV, gmu, _ = est.affine(V, mu, step=7)
    h = 1e-6
    for k in range(10):
        e = np.zeros(10)
        e[k] = h
        fd = (est.affine(V, mu + e, 7)[0] - est.affine(V, mu - e, 7)[0]) / (2 * h)
        assert gmu[k] == pytest.approx(fd, rel=1e-5, abs=1e-6)  # C^1 piecewise quadratic: O(h) kinks only
    for i, c in [(0, 0), (3, 2), (9, 1)]:
        E = np.zeros_like(V)
        E[i, c] = h
        fd = (est.affine(V + E, mu, 7)[0] - est.affine(V - E, mu, 7)[0]) / (2 * h)
        assert gV[i, c] == pytest.approx(fd, rel=1e-5, abs=1e-6)


def test_hyperplane_pathwise_gradients_are_exact_for_fixed_samples():
    g = signed_graph(9, 0.6, seed=6, negative=0.0)
    V = solve_sdp(g, seed=0).V
    est = SmoothedCutMC(g, eps=0.5, n_samples=16, seed=7)
    rng = np.random.default_rng(8)
    m = rng.normal(size=V.shape[1])
    ls = rng.normal(-0.5, 0.3, V.shape[1])
    _, gm, gls, _ = est.hyperplane(V, m, ls, step=3)
    h = 1e-6
    for k in range(V.shape[1]):
        e = np.zeros_like(m)
        e[k] = h
        fdm = (est.hyperplane(V, m + e, ls, 3)[0] - est.hyperplane(V, m - e, ls, 3)[0]) / (2 * h)
        fds = (est.hyperplane(V, m, ls + e, 3)[0] - est.hyperplane(V, m, ls - e, 3)[0]) / (2 * h)
        assert gm[k] == pytest.approx(fdm, rel=1e-5, abs=1e-6)
        assert gls[k] == pytest.approx(fds, rel=1e-5, abs=1e-6)


def _expected_hard_cut(V, g, m, log_sigma):
    """E[cut(sgn(V z))], z ~ N(m, diag(sigma^2)), in closed form: u = Vz is Gaussian."""
    s2 = np.exp(2 * log_sigma)
    mean = V @ m
    cov = (V * s2) @ V.T
    sd = np.sqrt(np.diag(cov))
    a, b = mean[g.u] / sd[g.u], mean[g.v] / sd[g.v]
    rho = np.clip(cov[g.u, g.v] / (sd[g.u] * sd[g.v]), -1, 1)
    # P(u_i < 0, u_j < 0) = Phi2(-a, -b; rho); P(cut) = Phi(-a) + Phi(-b) - 2 Phi2(-a, -b; rho)
    from scipy.special import ndtr

    p = ndtr(-a) + ndtr(-b) - 2 * bivariate_normal_cdf(-a, -b, rho)
    return float(g.weights @ p)


def test_score_estimator_is_unbiased_for_the_hard_cut():
    g = signed_graph(8, 0.6, seed=9, negative=0.25)
    V = solve_sdp(g, seed=0).V
    r = V.shape[1]
    rng = np.random.default_rng(10)
    m = rng.normal(0.0, 0.5, r)
    ls = np.full(r, math.log(0.8))
    est = SmoothedCutMC(g, n_samples=100, seed=11)
    K = 100
    draws = np.array([np.concatenate(est.hyperplane(V, m, ls, step=t, estimator="score")[1:3]) for t in range(K)])
    mean, se = draws.mean(0), draws.std(0, ddof=1) / math.sqrt(K)
    h = 1e-5
    truth = np.empty(2 * r)
    for k in range(r):
        e = np.zeros(r)
        e[k] = h
        truth[k] = (_expected_hard_cut(V, g, m + e, ls) - _expected_hard_cut(V, g, m - e, ls)) / (2 * h)
        truth[r + k] = (_expected_hard_cut(V, g, m, ls + e) - _expected_hard_cut(V, g, m, ls - e)) / (2 * h)
    # 10 000 samples per coordinate; 5 standard errors (plus FD slack) over 2r coordinates: false alarm ~1e-5
    assert np.all(np.abs(mean - truth) <= 5 * se + 1e-6)


def test_derand_mc_on_small_graphs():
    hits = 0
    for k in range(5):
        g = signed_graph(12 + k, 0.5, seed=20 + k, negative=0.2 if k % 2 else 0.0)
        V = solve_sdp(g, seed=k).V
        out = derand_mc(g, V, seed=k, max_iter=1500)
        assert out.cut == out.cut_before_polish >= gw_expected_cut(g, V) - 1e-9
        polished = local_search(g, out.x).cut  # the polish is the caller's (the pipeline's local_search)
        assert polished >= out.cut
        hits += polished == exhaustive_max_cut(g)[0]
    assert hits >= 4  # observed 5/5 at the time of writing


def test_f2_experiment_reduced_finds_the_optimum(tmp_path):
    res = run_f2(n_iter=600, n_samples=100, record_every=5, out_dir=tmp_path)
    assert res.optimum == exhaustive_max_cut(res.graph)[0]
    assert res.cut == res.optimum
    assert res.cut > res.gw_mean
    assert res.max_sigma2[-1] < res.max_sigma2.max()  # the randomness shrinks
    for f in res.files.values():
        assert f.is_file() and f.stat().st_size > 0


def test_same_result_with_one_and_two_threads(two_threads):
    g = signed_graph(400, 0.06, seed=30, negative=0.1)  # 64 samples x m >= 2^18: the parallel path
    assert 64 * g.m >= 1 << 18
    V = solve_sdp(g, seed=0, threads=1).V
    a = derand_mc(g, V, max_iter=15, threads=1, check_every=1, record_every=1)
    b = derand_mc(g, V, max_iter=15, threads=two_threads, check_every=1, record_every=1)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.history["objective"], b.history["objective"])
    np.testing.assert_array_equal(a.history["scale"], b.history["scale"])
    a = hyperplane_mc(g, V, max_iter=15, n_samples=64, threads=1, record_every=1)
    b = hyperplane_mc(g, V, max_iter=15, n_samples=64, threads=two_threads, record_every=1)
    np.testing.assert_array_equal(a.history["objective"], b.history["objective"])


def test_threads_rule_and_the_pipeline_passes_the_callers_threads(two_threads, monkeypatch):
    import derand_fast.maxcut.derand_mc as module
    from derand_fast._threads import SERIAL_BELOW

    small = signed_graph(30, 0.3, seed=31, negative=0.1)
    big = signed_graph(400, 0.06, seed=30, negative=0.1)
    assert 64 * max(small.n, small.m) < SERIAL_BELOW["mc_terms"] <= 64 * big.m
    assert SmoothedCutMC(small, n_samples=64).threads == 1  # None chooses one thread for a small step
    assert SmoothedCutMC(big, n_samples=64).threads >= two_threads  # ... and all for a large one
    assert SmoothedCutMC(small, n_samples=64, threads=two_threads).threads == two_threads  # explicit: honoured
    seen = []
    original = module.SmoothedCutMC.__init__

    def spy(self, *args, **kwargs):
        seen.append(kwargs["threads"])
        original(self, *args, **kwargs)
        seen.append(self.threads)

    monkeypatch.setattr(module.SmoothedCutMC, "__init__", spy)
    opts = {"max_iter": 20}
    # under a time limit the run's own count is all threads; derand-mc still gets None and picks one
    res = maxcut(small, rounding="derand-mc", rounding_options=opts, n_hyperplanes=5, local_search="1flip",
                 time_limit=60.0)
    assert res.threads >= two_threads and seen == [None, 1]
    seen.clear()
    explicit = maxcut(small, rounding="derand-mc", rounding_options=opts, n_hyperplanes=5, local_search="1flip",
                   threads=two_threads)
    assert seen == [two_threads, two_threads] and explicit.rounding_cut == res.rounding_cut


def test_registry_and_pipeline():
    for name in ("derand-exact", "derand-mc", "hyperplane-mc"):
        assert name in ROUNDINGS and name in DERAND_METHODS
    g = random_graph(14, 0.5, seed=3)
    res = maxcut(g, rounding="derand-exact", rounding_options={"max_iter": 200})
    assert res.rounding_cut >= res.gw_expected - 1e-9
    assert res.cut == exhaustive_max_cut(g)[0]
    out = ROUNDINGS["hyperplane-mc"](g, solve_sdp(g).V, seed=0, threads=1, time_limit=None, progress=None,
                                     max_iter=50)
    x, info = out.x, out.as_info()
    assert x.shape == (14,) and info["nit"] == 50 and not info["interrupted"]


def test_interrupt_returns_the_best_cut():
    g = random_graph(12, 0.5, seed=4)
    V = solve_sdp(g).V
    calls = {"n": 0}
    est_hyperplane = SmoothedCutMC.hyperplane

    def boom(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 30:
            raise KeyboardInterrupt
        return est_hyperplane(self, *a, **k)

    mp = pytest.MonkeyPatch()
    mp.setattr(SmoothedCutMC, "hyperplane", boom)
    try:
        out = hyperplane_mc(g, V, max_iter=1000, record_every=1)
    finally:
        mp.undo()
    assert out.status == Status.INTERRUPTED
    assert out.cut == float(g.weights @ (out.x[g.u] != out.x[g.v]))


def test_bad_input():
    g = random_graph(6, 0.6, seed=5)
    V = np.eye(6)[:, :3]
    with pytest.raises(ValueError, match="eps"):
        derand_mc(g, V, eps=0.0)
    with pytest.raises(ValueError, match="lam"):
        derand_mc(g, V, lam=np.nan)
    with pytest.raises(ValueError, match="n_samples"):
        derand_mc(g, V, n_samples=0)
    with pytest.raises(ValueError, match="V"):
        derand_mc(g, V[:4])
    with pytest.raises(ValueError, match="sigma_bounds"):
        hyperplane_mc(g, V, sigma_bounds=(0.0, 1.0))
    with pytest.raises(ValueError, match="estimator"):
        hyperplane_mc(g, V, estimator="magic")
    with pytest.raises(ValueError, match="sigma_reg"):
        hyperplane_mc(g, V, sigma_reg=-1.0)
    with pytest.raises(ValueError, match="max_iter"):
        hyperplane_mc(g, V, max_iter=0)
    with pytest.raises(ValueError, match="n"):
        exhaustive_max_cut(random_graph(25, 0.1, seed=0))
