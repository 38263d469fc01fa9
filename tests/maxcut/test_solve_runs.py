"""The pipeline never hands back less than it already held, whatever stops it."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast.maxcut import Graph, cut_value, maxcut
from derand_fast.runcontrol import RunControl, Status


def _ising(n: int, scale: float, seed: int) -> Graph:
    """A dense spin glass with weights uniform in [-scale, scale]."""
    rng = np.random.default_rng(seed)
    iu, ju = np.triu_indices(n, 1)
    return Graph.from_edges(n, iu, ju, rng.uniform(-scale, scale, iu.size))


def _matching(n: int, seed: int) -> Graph:
    perm = np.random.default_rng(seed).permutation(n).reshape(-1, 2)
    return Graph.from_edges(n, perm[:, 0], perm[:, 1])


@pytest.mark.parametrize("seed", range(12))
def test_cut_is_never_below_a_cut_the_run_held(seed, make_graph):
    # random small graphs, random time limits, both roundings and every polish: the result is the best
    # partition any stage found (GW's best, the rounding's), evaluated afresh
    rng = np.random.default_rng(seed)
    kind = ("unit", "pm1", "mixed")[seed % 3]
    g = make_graph(int(rng.integers(20, 120)), float(rng.uniform(0.05, 0.4)), seed, kind)
    limit = float(rng.choice([0.02, 0.1, 0.5, 2.0]))
    rounding = ("gw", "derand-exact")[seed % 2]
    polish = ("anneal", "tabu", "1flip", "none")[seed % 4]
    res = maxcut(g, seed=seed, rounding=rounding, local_search=polish, time_limit=limit, n_hyperplanes=50,
                 threads=1)
    assert res.cut == cut_value(g, res.partition)
    if res.gw_best is not None:
        assert res.cut >= res.gw_best
    if res.rounding_cut is not None:
        assert res.cut >= res.rounding_cut
    assert res.success and res.status in (Status.COMPLETED, Status.TIME_LIMIT)
    assert res.history and res.history[-1][2] == res.cut and res.best_stage == res.history[-1][0]


def test_large_weights_ising_keeps_the_gw_optimum():
    # weights in the ±1e5 range: the polished derand-exact start must not replace a better GW cut
    g = _ising(100, 1e5, 3)
    res = maxcut(g, seed=0, rounding="derand-exact", n_hyperplanes=200, local_search_moves=20_000, threads=1)
    assert res.cut >= res.gw_best and res.cut >= res.rounding_cut


def test_perfect_matching_is_cut_completely_under_a_time_limit():
    g = _matching(20_000, 5)
    res = maxcut(g, rounding="derand-exact", time_limit=3.0, threads=1)
    assert res.cut == g.m == res.gw_best


def test_warm_start_is_kept_and_polished(make_graph):
    g = make_graph(60, 0.2, 7, "pm1")
    first = maxcut(g, seed=0, n_hyperplanes=20, local_search_moves=50_000)
    again = maxcut(g, seed=5, n_hyperplanes=1, local_search="none", initial=first)
    assert again.cut >= first.cut
    with pytest.raises(ValueError, match="initial"):
        maxcut(g, initial=np.ones(3))


def test_a_stopped_control_returns_a_valid_partition_at_once(make_graph):
    g = make_graph(200, 0.05, 1)
    ctl = RunControl()
    ctl.stop(Status.TERMINATED)
    res = maxcut(g, control=ctl)
    assert res.status == Status.TERMINATED and not res.success and "SIGTERM" in res.message
    assert res.cut == cut_value(g, res.partition) and "fallback" in res.times


def test_no_time_for_the_sdp_still_gives_a_local_optimum():
    g = _matching(200_000, 1)
    res = maxcut(g, time_limit=0.05, threads=1)
    assert res.status == Status.TIME_LIMIT and res.success
    assert res.cut == cut_value(g, res.partition) > 0 and res.to_json()


def test_time_limit_counts_from_a_given_start(make_graph):
    import time

    g = make_graph(50, 0.2, 2)
    ctl = RunControl(0.5, start=time.perf_counter() - 10.0)  # the run's time is already spent
    res = maxcut(g, control=ctl)
    assert res.status == Status.TIME_LIMIT and res.times["total"] < 5.0 and res.cut == cut_value(g, res.partition)


def test_json_is_strict_and_round_trips(make_graph, tmp_path):
    import json

    g = make_graph(30, 0.3, 4)
    res = maxcut(g, n_hyperplanes=10)
    out = tmp_path / "r.json"
    res.to_json(out)
    d = json.loads(out.read_text())
    assert d["cut"] == res.cut and d["status"] == 0 and d["best_stage"] == res.best_stage
    assert [tuple(h) for h in d["history"]] == [tuple(h) for h in res.history]
    assert d["gw"]["n_hyperplanes"] == d["gw"]["requested"] == 10


def test_gw_out_of_its_share_is_a_time_limit_and_the_polish_still_runs():
    g = _ising(300, 1.0, 9)
    res = maxcut(g, rounding="derand-exact", n_hyperplanes=10**8, time_limit=2.0, threads=1)
    assert res.gw["status"] == Status.TIME_LIMIT and res.gw["n_hyperplanes"] < res.gw["requested"]
    assert res.local_search["method"] == "anneal" and res.local_search["sweeps"] > 0
    assert res.status == Status.TIME_LIMIT and res.success and res.cut >= res.gw_best
    assert f"GW best of {res.gw['n_hyperplanes']} hyperplanes" in res.summary()


@pytest.mark.parametrize("seed", [-1, 2**63, 2**64])
def test_seeds_outside_the_documented_range_are_refused(seed, make_graph):
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*63 - 1\]"):
        maxcut(make_graph(10, 0.5, 0), seed=seed)


def test_certified_bound_holds_and_proves_small_optima(small_graph, brute_force):
    opt = brute_force(small_graph)
    res = maxcut(small_graph, seed=2, n_hyperplanes=50)
    assert res.upper_bound >= opt >= res.cut and res.bound_info["method"]
    assert res.optimal == (res.cut >= res.upper_bound) and 0 <= res.gap


def test_bound_of_an_expander_is_time_boxed():
    import networkx as nx

    from derand_fast.maxcut import load_graph
    from derand_fast.maxcut.bound import certified_bound_within
    from derand_fast.maxcut.sdp import solve_sdp

    g = load_graph(nx.random_regular_graph(3, 20000, seed=8))
    sdp = solve_sdp(g, rank=4, max_sweeps=3, threads=1)
    b = certified_bound_within(g, sdp.V, 0.5)  # far too little for the sparse factorization of an expander
    assert b.method == "gershgorin" and b.upper_bound >= sdp.objective


def test_stages_log_under_the_package_logger(make_graph, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="derand_fast"):
        maxcut(make_graph(30, 0.3, 1), n_hyperplanes=5, rounding="derand-exact", local_search_sweeps=100)
    stages = {r.getMessage().split(":")[0] for r in caplog.records if r.name.startswith("derand_fast")}
    assert {"sdp", "gw", "rounding derand-exact", "polish anneal"} <= stages


def test_the_subpackage_is_callable_and_takes_self_loops():
    import networkx as nx

    import derand_fast as dfa

    g = nx.cycle_graph(5)
    g.add_edge(0, 0)
    with pytest.warns(UserWarning, match="self-loop"):
        res = dfa.maxcut(g, self_loops="drop", n_hyperplanes=5)
    assert res.cut == 4.0


@pytest.mark.parametrize("rank", [0, -1])
def test_bad_ranks_are_refused(rank, make_graph):
    with pytest.raises(ValueError, match="rank"):
        maxcut(make_graph(10, 0.5, 0), rank=rank)


def test_bound_in_a_daemonic_process_falls_back_in_process():
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:  # pool workers are daemonic: no child process of their own
        ub, opt = pool.apply(_bound_of_a_small_graph)
    assert ub >= opt


def _bound_of_a_small_graph():
    import networkx as nx

    from derand_fast.maxcut import load_graph
    from derand_fast.maxcut.bound import certified_bound_within
    from derand_fast.maxcut.sdp import solve_sdp

    g = load_graph(nx.petersen_graph())
    return certified_bound_within(g, solve_sdp(g, threads=1).V, 5.0).upper_bound, 12.0


def test_json_round_trip_and_plot(make_graph, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from derand_fast.maxcut import MaxCutResult

    res = maxcut(make_graph(40, 0.2, 3), n_hyperplanes=10, local_search_sweeps=50)
    path = tmp_path / "r.json"
    res.to_json(path)
    back = MaxCutResult.from_json(path)
    assert back.to_dict() == res.to_dict() and back.status == res.status
    fig = back.plot()
    assert fig.axes and fig.axes[0].get_lines()


def test_a_polish_stopped_by_the_run_clock_is_a_time_limit(make_graph):
    res = maxcut(make_graph(300, 0.05, 2, "pm1"), n_hyperplanes=10, time_limit=1.0, threads=1)
    assert res.local_search["status"] == Status.TIME_LIMIT and res.status == Status.TIME_LIMIT
