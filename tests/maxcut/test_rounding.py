"""Goemans-Williamson rounding and the rounding registry."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast.maxcut import ROUNDINGS, cut_value, gw_expected_cut, gw_rounding, register_rounding, solve_sdp
from derand_fast.maxcut.derand_common import RoundingOutcome, as_outcome
from derand_fast.maxcut.rounding import available_roundings, get_rounding, hyperplanes
from derand_fast.progress import LineProgress
from derand_fast.runcontrol import RunControl, Status


@pytest.fixture(scope="module")
def sdp_case(make_graph):
    g = make_graph(150, 0.06, 11, "unit")
    return g, solve_sdp(g, seed=0)


def test_best_partition_matches_reported_cut(sdp_case):
    g, sdp = sdp_case
    out = gw_rounding(g, sdp.V, seed=3, n_hyperplanes=300)
    x, info = out.x, out.info
    assert out.cut == info["gw_best"] and out.nit == out.nfev == 300 and out.status == Status.COMPLETED
    assert x.dtype == np.int8 and x.shape == (g.n,)
    assert cut_value(g, x) == info["gw_best"]
    assert info["n_hyperplanes"] == 300 and not info["interrupted"]
    assert info["gw_best"] >= info["gw_mean"]
    # The best hyperplane's partition is sign(V z_best), recomputed independently in NumPy.
    z = hyperplanes(3, info["best_index"], 1, sdp.rank)[0]
    assert np.array_equal(np.where(sdp.V @ z < 0, -1, 1), x)


def test_mean_matches_expected_value(sdp_case):
    g, sdp = sdp_case
    info = gw_rounding(g, sdp.V, seed=1, n_hyperplanes=2000).info
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
    o1 = gw_rounding(g, sdp.V, seed=5, n_hyperplanes=100, threads=1)
    o2 = gw_rounding(g, sdp.V, seed=5, n_hyperplanes=100, threads=two_threads)
    i1 = o1.info
    assert np.array_equal(o1.x, o2.x) and o1.info == o2.info
    # Hyperplane h does not depend on the chunking nor on how many are drawn.
    i3 = gw_rounding(g, sdp.V, seed=5, n_hyperplanes=250).info
    assert i3["gw_best"] >= i1["gw_best"]
    assert np.array_equal(hyperplanes(5, 70, 5, sdp.rank), hyperplanes(5, 0, 100, sdp.rank)[70:75])


def test_expected_cut_of_antipodal_factor_is_the_cut(make_graph):
    g = make_graph(30, 0.3, 2, "pm1")
    x = np.random.default_rng(0).choice([-1.0, 1.0], size=g.n)
    V = np.column_stack([x, np.zeros(g.n)])
    assert gw_expected_cut(g, V) == pytest.approx(cut_value(g, x), abs=1e-9)
    info = gw_rounding(g, V, n_hyperplanes=10).info
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
    out = gw_rounding(G, V, n_hyperplanes=8)
    x, info = out.x, out.info
    assert x.shape == (5,) and info["gw_best"] == 4.0 and info["n_hyperplanes"] == info["requested"] == 8


_SMALL = {"derand-exact": {"max_iter": 60}, "derand-mc": {"max_iter": 30, "n_samples": 8},
          "hyperplane-mc": {"max_iter": 30, "n_samples": 8}, "gw": {"n_hyperplanes": 20}}


@pytest.mark.parametrize("name", sorted(_SMALL))
def test_every_method_follows_the_protocol(sdp_case, name):
    """One protocol: each registered method takes progress and control and returns a RoundingOutcome."""
    g, sdp = sdp_case
    assert name in available_roundings()
    fn = get_rounding(name)
    seen = []
    ctl = RunControl()
    out = fn(g, sdp.V, seed=2, threads=1, progress=lambda *a: seen.append(a), control=ctl, **_SMALL[name])
    assert isinstance(out, RoundingOutcome) and out.status in (Status.COMPLETED, Status.MAX_ITER)
    assert out.x.dtype == np.int8 and out.cut == cut_value(g, out.x) and out.nit > 0 and out.time > 0
    assert seen and all(stage.endswith(name) for stage, _, _ in seen)
    assert ctl.best_value == out.cut  # offered to the run's record
    assert out.as_info()["status"] is out.status and out.as_info()["cut"] == out.cut
    # a run already stopped: the method returns at once with its best so far and the stop's status
    stopped = RunControl()
    stopped.interrupt()
    # (GW always evaluates its first chunk of 64 hyperplanes: give it more than one)
    opts = {"n_hyperplanes": 200} if name == "gw" else _SMALL[name]
    out2 = fn(g, sdp.V, seed=2, threads=1, control=stopped, **opts)
    assert out2.status == Status.INTERRUPTED and not out2.success and out2.cut == cut_value(g, out2.x)


def test_progress_lines_name_the_rounding(sdp_case):
    import io

    g, sdp = sdp_case
    buf = io.StringIO()
    get_rounding("derand-exact")(g, sdp.V, max_iter=30, progress=LineProgress(buf))
    assert "rounding derand-exact" in buf.getvalue()


def test_legacy_tuple_protocol_is_deprecated(sdp_case):
    g, sdp = sdp_case
    out = gw_rounding(g, sdp.V, seed=3, n_hyperplanes=10)
    with pytest.raises(ValueError, match="unpack"):  # the former (x, info) tuple: a loud failure
        x, info = out
    with pytest.warns(DeprecationWarning, match="RoundingOutcome"):
        conv = as_outcome(g, (np.ones(g.n, dtype=np.int8), {"status": Status.TIME_LIMIT, "k": 1}))
    assert conv.cut == 0.0 and conv.status == Status.TIME_LIMIT and conv.info == {"k": 1}
    with pytest.raises(TypeError, match="RoundingOutcome"):
        as_outcome(g, np.ones(g.n))
