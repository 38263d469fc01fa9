"""Low-rank SDP (mixing method): closed forms, exhaustive search, G1, determinism."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from derand_fast.maxcut import Graph, default_rank, gw_rounding, load_graph, local_search, solve_sdp
from derand_fast.runcontrol import Status


def _objective(g: Graph, V: np.ndarray) -> float:
    return float(np.sum(g.weights * (1.0 - np.einsum("ij,ij->i", V[g.u], V[g.v]))) / 2.0)


@pytest.mark.parametrize("n", [5, 7, 9])
def test_odd_cycle_closed_form(n):
    # The GW SDP of the odd cycle C_n is n cos^2(pi / (2n)) (vectors at angle pi (n-1)/n).
    res = solve_sdp(nx.cycle_graph(n), tol=1e-12, max_sweeps=20000, seed=1)
    assert res.success
    assert res.objective == pytest.approx(n * math.cos(math.pi / (2 * n)) ** 2, abs=1e-6)


def test_complete_graph_closed_form():
    # K_n: sum_i v_i = 0 at the optimum, so the SDP value is n^2 / 4.
    res = solve_sdp(nx.complete_graph(7), tol=1e-12, max_sweeps=20000)
    assert res.objective == pytest.approx(49 / 4, abs=1e-6)


def test_factor_rows_unit_and_objective_consistent(make_graph):
    g = make_graph(80, 0.1, 5, "real")
    res = solve_sdp(g, seed=3)
    assert res.V.shape == (80, default_rank(80)) and res.rank == 13
    deg = np.diff(g.indptr)
    np.testing.assert_allclose(np.linalg.norm(res.V, axis=1)[deg > 0], 1.0, atol=1e-12)
    assert res.objective == pytest.approx(_objective(g, res.V), rel=1e-12)
    assert res.history["sweep"][-1] == res.sweeps


def test_sdp_bounds_exhaustive_optimum(small_graph, brute_force):
    g = small_graph
    opt = brute_force(g)
    sdp = solve_sdp(g, tol=1e-10, max_sweeps=100000, seed=2)
    assert sdp.success
    assert sdp.objective >= opt - 1e-6
    gw = gw_rounding(g, sdp.V, seed=0, n_hyperplanes=200)
    x, info = gw.x, gw.info
    assert info["gw_best"] <= opt + 1e-9
    assert local_search(g, x).cut <= opt + 1e-9
    if np.all(g.weights >= 0):
        # Goemans-Williamson: E[cut] >= 0.87856 SDP for non-negative weights.
        assert info["gw_expected"] >= 0.87856 * sdp.objective


def test_same_seed_same_factor_one_and_two_threads(two_threads):
    # Large enough that colour classes run in parallel (class work >= 2^20 multiply-adds).
    g = load_graph(nx.random_regular_graph(3, 20000, seed=1))
    a = solve_sdp(g, rank=64, seed=7, threads=1, max_sweeps=5)
    b = solve_sdp(g, rank=64, seed=7, threads=two_threads, max_sweeps=5)
    assert b.parallel_classes >= 2
    assert np.array_equal(a.V, b.V) and a.objective == b.objective
    c = solve_sdp(g, rank=64, seed=8, threads=1, max_sweeps=5)
    assert not np.array_equal(a.V, c.V)


def test_g1_reference_value(gset_dir):
    res = solve_sdp(load_graph(gset_dir / "G1"), seed=0)
    # locuslab/mixing reaches 12083.18 on G1 with the same rank (40) and stopping rule.
    assert res.success and res.rank == 40
    assert abs(res.objective - 12083.2) <= 1e-3 * 12083.2
    # the relative stopping rule is the absolute one for +-1 weights: the same sweeps as before it
    assert res.sweeps == 156


def test_stops_on_time_limit_max_sweeps_and_interrupt(make_graph):
    g = make_graph(200, 0.1, 1)
    r0 = solve_sdp(g, max_sweeps=0)
    assert r0.sweeps == r0.nit == 0 and r0.status == Status.MAX_ITER and not r0.success
    r1 = solve_sdp(g, max_sweeps=3, tol=0.0)
    assert r1.sweeps == 3 and r1.status == Status.MAX_ITER

    def interrupt(stage, fraction, info):
        raise KeyboardInterrupt

    # The progress callback runs between chunks of sweeps; Ctrl-C there keeps the last sweep.
    big = load_graph(nx.random_regular_graph(3, 20000, seed=2))
    r2 = solve_sdp(big, rank=8, tol=0.0, max_sweeps=10**6, progress=interrupt)
    assert r2.status == Status.INTERRUPTED and r2.sweeps >= 1 and "interrupted" in r2.message
    assert r2.objective == pytest.approx(_objective(big, r2.V), rel=1e-12)
    r3 = solve_sdp(big, rank=8, tol=0.0, max_sweeps=10**6, time_limit=0.3)
    assert r3.status == Status.TIME_LIMIT and r3.time < 5.0


def test_warm_start_and_edgeless_graph(make_graph):
    g = make_graph(50, 0.2, 2)
    a = solve_sdp(g, seed=0)
    b = solve_sdp(g, V0=a.V, tol=1e-3)
    assert b.objective >= a.objective - 1e-9 and b.sweeps <= 3
    e = solve_sdp(Graph.from_edges(4, [], []))
    assert e.objective == 0.0 and e.success


def test_bad_arguments(make_graph):
    g = make_graph(20, 0.3, 0)
    with pytest.raises(ValueError, match="rank"):
        solve_sdp(g, rank=0)
    with pytest.raises(TypeError, match="rank"):
        solve_sdp(g, rank=2.5)
    with pytest.raises(ValueError, match="tol"):
        solve_sdp(g, tol=float("nan"))
    with pytest.raises(ValueError, match="time_limit"):
        solve_sdp(g, time_limit=-1)
    with pytest.raises(ValueError, match="V0"):
        solve_sdp(g, V0=np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        solve_sdp(g, V0=np.full((20, 2), np.nan))
    with pytest.raises(ValueError, match="threads"):
        solve_sdp(g, threads=0)


def _scaled(g: Graph, factor: float) -> Graph:
    return Graph.from_edges(g.n, g.u, g.v, g.weights * factor)


def test_value_does_not_depend_on_the_weights_scale():
    # +-1 weights like Gset: the run at scale 10^k is the run at scale 1, the value 10^k times it
    g = load_graph(nx.gnm_random_graph(60, 300, seed=4))
    g = Graph.from_edges(g.n, g.u, g.v, np.where(np.arange(g.m) % 3 == 0, -1.0, 1.0))
    ref = solve_sdp(g, seed=0)
    assert ref.success
    for k in [-300, -200, -9, -7, -1, 1, 7, 9, 200, 300]:
        res = solve_sdp(_scaled(g, 10.0**k), seed=0)
        assert res.success and res.sweeps == ref.sweeps, k
        assert res.objective == pytest.approx(10.0**k * ref.objective, rel=1e-12), k
        assert res.last_delta == pytest.approx(10.0**k * ref.last_delta, rel=1e-6), k
    # a power-of-two scale is exact: the same factor bit for bit
    assert np.array_equal(solve_sdp(_scaled(g, 2.0**-40), seed=0).V, ref.V)


def test_g1_scaled_by_powers_of_ten(gset_dir):
    g = load_graph(gset_dir / "G1")
    ref = solve_sdp(g, seed=0)
    for k in range(-9, 10):
        res = solve_sdp(_scaled(g, 10.0**k), seed=0)
        assert res.success and res.objective == pytest.approx(10.0**k * ref.objective, rel=1e-6), k


def test_weights_beyond_float64_sums_are_refused():
    big = Graph(n=3, u=np.array([0, 1], np.int32), v=np.array([1, 2], np.int32), weights=np.array([1e308, 1e308]),
                indptr=np.array([0, 1, 3, 4]), indices=np.array([1, 0, 2, 1], np.int32),
                data=np.full(4, 1e308))  # built around the loader, which refuses it too
    with pytest.raises(ValueError, match="SDP value cannot be represented: the total \\|w\\|"):
        solve_sdp(big)
    # the largest weights whose total fits: a finite value, no overflow inside the sweeps
    res = solve_sdp(Graph.from_edges(3, [0, 1, 0], [1, 2, 2], [5e307, 5e307, 5e307]), seed=0)
    assert math.isfinite(res.objective) and res.objective == pytest.approx(2.25 * 5e307, rel=1e-6)


def test_rank_too_large_is_refused_before_allocating(make_graph, monkeypatch):
    from derand_fast.maxcut import sdp as sdp_module

    g = make_graph(1000, 0.01, 0)
    monkeypatch.setattr(sdp_module, "_physical_memory", lambda: 8 * 2**30)
    with pytest.raises(ValueError, match=r"rank = 1000000 needs a factor V of n x rank = 1,000 x 1,000,000 float64, "
                                         r"7.5 GiB, more than half of this machine's 8.0 GiB"):
        solve_sdp(g, rank=10**6)
    with pytest.raises(ValueError, match=r"rank must be <= 2\^20"):
        solve_sdp(g, rank=10**9)


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64, True])
def test_seed_outside_the_documented_range_is_refused(make_graph, seed):
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*63 - 1\]"):
        solve_sdp(make_graph(10, 0.5, 0), seed=seed)


def test_largest_seed_accepted(make_graph):
    g = make_graph(10, 0.5, 0)
    assert solve_sdp(g, seed=2**63 - 1).success and solve_sdp(g, seed=np.uint64(2**63 - 1)).success
