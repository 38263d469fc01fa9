"""Goemans-Williamson rounding and the rounding registry."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast.maxcut import ROUNDINGS, cut_value, gw_expected_cut, gw_rounding, register_rounding, solve_sdp
from derand_fast.maxcut.rounding import hyperplanes


@pytest.fixture(scope="module")
def sdp_case(make_graph):
    g = make_graph(150, 0.06, 11, "unit")
    return g, solve_sdp(g, seed=0)


def test_best_partition_matches_reported_cut(sdp_case):
    g, sdp = sdp_case
    x, info = gw_rounding(g, sdp.V, seed=3, n_hyperplanes=300)
    assert x.dtype == np.int8 and x.shape == (g.n,)
    assert cut_value(g, x) == info["gw_best"]
    assert info["n_hyperplanes"] == 300 and not info["interrupted"]
    assert info["gw_best"] >= info["gw_mean"]
    # The best hyperplane's partition is sign(V z_best), recomputed independently in NumPy.
    z = hyperplanes(3, info["best_index"], 1, sdp.rank)[0]
    assert np.array_equal(np.where(sdp.V @ z < 0, -1, 1), x)


def test_mean_matches_expected_value(sdp_case):
    g, sdp = sdp_case
    _, info = gw_rounding(g, sdp.V, seed=1, n_hyperplanes=2000)
    # E[cut] = sum_e arccos(rho_e)/pi (GW); the mean of 2000 cuts has standard error
    # sd/sqrt(2000) with sd <= sqrt(m) * max|w| / 2 (loose bound) -> 5 standard errors.
    se = np.sqrt(g.m) / 2 / np.sqrt(2000)
    assert abs(info["gw_mean"] - info["gw_expected"]) <= 5 * se
    rho = np.einsum("ij,ij->i", sdp.V[g.u], sdp.V[g.v])
    assert info["gw_expected"] == pytest.approx(np.sum(g.weights * np.arccos(np.clip(rho, -1, 1))) / np.pi,
                                                rel=1e-12)
    # The GW guarantee at any factor with unit rows and non-negative weights.
    assert info["gw_expected"] >= 0.87856 * sdp.objective


def test_prefix_property_and_thread_independence(sdp_case, two_threads):
    g, sdp = sdp_case
    x1, i1 = gw_rounding(g, sdp.V, seed=5, n_hyperplanes=100, threads=1)
    x2, i2 = gw_rounding(g, sdp.V, seed=5, n_hyperplanes=100, threads=two_threads)
    assert np.array_equal(x1, x2) and i1 == i2
    # Hyperplane h does not depend on the chunking nor on how many are drawn.
    _, i3 = gw_rounding(g, sdp.V, seed=5, n_hyperplanes=250)
    assert i3["gw_best"] >= i1["gw_best"]
    assert np.array_equal(hyperplanes(5, 70, 5, sdp.rank), hyperplanes(5, 0, 100, sdp.rank)[70:75])


def test_expected_cut_of_antipodal_factor_is_the_cut(make_graph):
    g = make_graph(30, 0.3, 2, "pm1")
    x = np.random.default_rng(0).choice([-1.0, 1.0], size=g.n)
    V = np.column_stack([x, np.zeros(g.n)])
    assert gw_expected_cut(g, V) == pytest.approx(cut_value(g, x), abs=1e-9)
    xr, info = gw_rounding(g, V, n_hyperplanes=10)
    assert info["gw_best"] == pytest.approx(cut_value(g, x)) and info["gw_mean"] == info["gw_best"]


def test_registry():
    assert ROUNDINGS["gw"] is gw_rounding
    with pytest.raises(ValueError, match="already registered"):
        register_rounding("gw", lambda *a, **k: None)
    with pytest.raises(TypeError, match="callable"):
        register_rounding("x-test", 3)


def test_bad_inputs(sdp_case):
    g, sdp = sdp_case
    with pytest.raises(ValueError, match="V must have one row per node"):
        gw_rounding(g, sdp.V[:-1])
    with pytest.raises(ValueError, match="NaN"):
        gw_rounding(g, np.full_like(sdp.V, np.nan))
    with pytest.raises(ValueError, match="n_hyperplanes"):
        gw_rounding(g, sdp.V, n_hyperplanes=0)
    with pytest.raises(ValueError, match="time_limit"):
        gw_rounding(g, sdp.V, time_limit=0)


def test_lazy_registered_roundings_resolve():
    from derand_fast.maxcut import available_roundings, get_rounding

    names = available_roundings()
    assert "gw" in names and "derand-exact" in names
    fn = get_rounding("derand-exact")  # imports the module that registers it
    assert ROUNDINGS["derand-exact"] is fn
    with pytest.raises(ValueError, match="available: .*gw"):
        get_rounding("nope")


def test_gw_rounding_takes_any_graph_input():
    import networkx as nx

    from derand_fast.maxcut import load_graph, solve_sdp

    G = nx.cycle_graph(5)
    V = solve_sdp(load_graph(G), seed=0).V
    x, info = gw_rounding(G, V, n_hyperplanes=8)
    assert x.shape == (5,) and info["gw_best"] == 4.0 and info["n_hyperplanes"] == info["requested"] == 8
