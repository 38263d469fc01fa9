"""The MAXCUT pipeline and its result object."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest

from derand_fast.maxcut import ROUNDINGS, Graph, MaxCutResult, cut_value, load_graph, maxcut, register_rounding
from derand_fast.maxcut.derand_common import RoundingOutcome
from derand_fast.runcontrol import Status

REQUIRED_KEYS = {"n", "m", "cut", "partition", "sdp_value", "upper_bound", "gap", "optimal", "gw_best", "gw_mean",
                 "rounding", "seed", "threads", "times", "status", "best_stage", "history"}


def test_pipeline_on_small_graphs_against_exhaustive_search(small_graph, brute_force):
    opt = brute_force(small_graph)
    res = maxcut(small_graph, seed=1, rounding="gw", n_hyperplanes=100)
    assert isinstance(res, MaxCutResult) and res.success
    assert res.cut == cut_value(small_graph, res.partition)
    assert res.rounding_cut == res.gw_best <= res.cut <= opt + 1e-9 <= res.sdp_value + 1e-3
    assert opt <= res.upper_bound and res.gap >= 0 and res.optimal == (res.cut >= res.upper_bound)
    assert set(res.times) >= {"sdp", "gw", "local_search", "total"}


def test_default_rounding_is_the_commands(make_graph):
    import argparse
    import inspect

    from derand_fast import cli

    p = argparse.ArgumentParser()
    cli._pipeline_arguments(p)
    default = inspect.signature(maxcut).parameters["rounding"].default
    assert default == p.parse_args([]).rounding == "derand-exact"
    g = make_graph(40, 0.2, 5, "pm1")
    res = maxcut(g, seed=3, n_hyperplanes=10, local_search=False)
    explicit = maxcut(g, seed=3, n_hyperplanes=10, local_search=False, rounding="derand-exact")
    assert res.rounding == res.params["rounding"] == res.rounding_info["method"] == "derand-exact"
    assert res.rounding_cut == explicit.rounding_cut and np.array_equal(res.partition, explicit.partition)
    # without GW hyperplanes the default rounding still runs (only rounding="gw" needs them)
    alone = maxcut(g, seed=3, n_hyperplanes=0, local_search=False)
    assert alone.gw_best is None and alone.rounding_cut == alone.cut == cut_value(g, alone.partition)


def test_same_seed_same_cut_one_and_two_threads(two_threads):
    g = load_graph(nx.random_regular_graph(3, 20000, seed=4))
    a = maxcut(g, rank=64, seed=3, threads=1, n_hyperplanes=64, max_sweeps=10, local_search_sweeps=200)
    b = maxcut(g, rank=64, seed=3, threads=two_threads, n_hyperplanes=64, max_sweeps=10, local_search_sweeps=200)
    assert a.local_search["method"] == "anneal" and a.local_search["sweeps"] == 200
    assert a.local_search["chains"] == b.local_search["chains"] == 1  # no time limit: one chain, any threads
    assert b.sdp["parallel_classes"] >= 2  # the parallel sweep path is exercised
    assert a.cut == b.cut and np.array_equal(a.partition, b.partition)
    assert a.sdp_value == b.sdp_value and a.gw_mean == b.gw_mean


def test_result_json_and_summary(tmp_path, make_graph):
    g = make_graph(40, 0.2, 0)
    res = maxcut(g, rounding="gw", n_hyperplanes=20, local_search=False)  # the cut is GW's best
    d = json.loads(res.to_json(tmp_path / "r.json"))
    assert REQUIRED_KEYS <= set(d)
    assert d == json.loads((tmp_path / "r.json").read_text())
    assert d["partition"] == res.partition.tolist() and d["cut"] == res.cut == res.rounding_cut
    assert res.local_search == {}
    text = res.summary()
    assert "SDP value" in text and "certified upper bound" in text and "CUT" in text and len(text.splitlines()) < 25


def test_result_is_a_stage_result(make_graph):
    import pickle

    import scipy.optimize

    from derand_fast._result import StageResult

    g = make_graph(30, 0.2, 4)
    res = maxcut(g, rounding="gw", n_hyperplanes=20, local_search="1flip")
    assert isinstance(res, StageResult) and isinstance(res, scipy.optimize.OptimizeResult)
    assert res.status is Status.COMPLETED and res["status"] == 0 and res.success and res.message == "completed"
    assert res.x is res.partition and res["cut"] == res.cut and res.time == res.times["total"] > 0
    assert res.sides == {k: int(v) for k, v in enumerate(res.partition)}
    back = pickle.loads(pickle.dumps(res))  # a sweep ships results between processes
    assert back.to_dict() == res.to_dict() and back.success
    assert "cut:" in repr(res) and "sets" in dir(res)
    res.status = Status.TIME_LIMIT  # a time limit counts as success for the run, an interrupt does not
    assert res.success and res.message == Status.TIME_LIMIT.message
    res.status = Status.INTERRUPTED
    assert not res.success and MaxCutResult.from_json(res.to_json()).success is False


@pytest.mark.parametrize("choice,method", [(True, "anneal"), ("anneal", "anneal"), ("tabu", "tabu"),
                                           ("1flip", "1flip"), (False, None), ("none", None)])
def test_local_search_choices(choice, method, make_graph):
    g = make_graph(60, 0.1, 4, "pm1")
    res = maxcut(g, seed=2, n_hyperplanes=10, local_search=choice)
    assert res.local_search.get("method") == method and res.params["local_search"] == (method or "none")
    assert res.cut == cut_value(g, res.partition) >= res.rounding_cut
    if method == "tabu":
        from derand_fast.maxcut.polish import default_tabu_moves

        assert res.local_search["moves"] == default_tabu_moves(g.n) and res.local_search["status"] == Status.COMPLETED
        assert "after tabu search" in res.summary()
    if method == "anneal":
        assert res.local_search["sweeps"] == 10_000 and "after simulated annealing" in res.summary()
    if method == "1flip":
        assert res.local_search["converged"] and "after 1-flip local search" in res.summary()


def test_tabu_polish_beats_1flip_on_a_toroidal_grid():
    # A 2D torus with ±1 weights (the G81 family in miniature): the 1-flip local optimum from the GW cut is
    # improved by the tabu search, which never ends below it (same rounding, same seed).
    g = load_graph(nx.grid_2d_graph(20, 20, periodic=True))
    rng = np.random.default_rng(0)
    g = Graph.from_edges(g.n, g.u, g.v, rng.choice([-1.0, 1.0], g.m))
    one = maxcut(g, seed=1, rounding="gw", n_hyperplanes=20, local_search="1flip")
    tabu = maxcut(g, seed=1, rounding="gw", n_hyperplanes=20, local_search="tabu", local_search_moves=200_000)
    assert one.rounding_cut == tabu.rounding_cut
    assert tabu.cut > one.cut


def test_time_limit_leaves_time_for_the_polish():
    g = load_graph(nx.random_regular_graph(3, 20000, seed=8))
    res = maxcut(g, rank=8, time_limit=2.0, sdp_tol=0.0, max_sweeps=10**6, n_hyperplanes=10, threads=1,
                 local_search="tabu")
    # the SDP may use 15 % of the time, SDP + roundings the first 30 %; the tabu search runs until the deadline
    assert res.times["sdp"] < 1.0 and res.local_search["method"] == "tabu" and res.local_search["moves"] > 0
    assert res.local_search["status"] == Status.TIME_LIMIT and res.status == 1
    assert res.times["total"] < 4.0 and res.cut == cut_value(g, res.partition) >= res.rounding_cut


def test_edgeless_graph_cuts_zero():
    res = maxcut(Graph.from_edges(3, [], []), n_hyperplanes=5)
    assert res.cut == 0.0 and res.sdp_value == 0.0 and np.isnan(res.ratio)
    json.dumps(res.to_dict())


def test_custom_rounding_is_used_and_polished(make_graph):
    def all_plus(graph, V, *, seed, threads, time_limit=None, progress=None, control=None, flip=False):
        return RoundingOutcome.from_partition(graph, np.ones(graph.n, dtype=np.int8) * (-1 if flip else 1),
                                              info={"flip": flip})

    register_rounding("all-plus-test", all_plus)
    try:
        g = make_graph(30, 0.3, 1)
        res = maxcut(g, rounding="all-plus-test", n_hyperplanes=0, rounding_options={"flip": True})
        assert res.rounding_cut == 0.0 and res.cut > 0.0 and res.gw_best is None
        assert res.rounding_info["flip"] is True and res.rounding_info["cut"] == 0.0
    finally:
        del ROUNDINGS["all-plus-test"]


def test_time_limit_returns_best_so_far():
    g = load_graph(nx.random_regular_graph(3, 20000, seed=5))
    res = maxcut(g, rank=8, time_limit=0.3, sdp_tol=0.0, max_sweeps=10**6, n_hyperplanes=10)
    assert res.status == 1 and "time limit" in res.message
    assert res.cut == cut_value(g, res.partition)


def test_bad_arguments(make_graph):
    g = make_graph(10, 0.5, 0)
    with pytest.raises(ValueError, match="unknown rounding"):
        maxcut(g, rounding="nope")
    with pytest.raises(ValueError, match="n_hyperplanes"):
        maxcut(g, n_hyperplanes=-1)
    with pytest.raises(ValueError, match="n_hyperplanes >= 1"):
        maxcut(g, rounding="gw", n_hyperplanes=0)
    with pytest.raises(ValueError, match="no nodes"):
        maxcut(Graph.from_edges(0, [], []))
    with pytest.raises(ValueError, match="time_limit"):
        maxcut(g, time_limit=0)
    with pytest.raises(ValueError, match="local_search"):
        maxcut(g, local_search="2flip")
    with pytest.raises(ValueError, match="local_search_moves"):
        maxcut(g, local_search_moves=-5)
    with pytest.raises(ValueError, match="local_search_time"):
        maxcut(g, local_search_time=-1.0)


def test_former_polish_budget_names_still_work(make_graph):
    g = make_graph(40, 0.2, 6)
    new = maxcut(g, seed=2, n_hyperplanes=10, local_search="tabu", local_search_moves=400, local_search_time=30.0)
    with pytest.warns(DeprecationWarning) as seen:
        old = maxcut(g, seed=2, n_hyperplanes=10, local_search="tabu", polish_moves=400, polish_time=30.0)
    assert {str(w.message) for w in seen} == {"polish_moves is deprecated: use local_search_moves",
                                              "polish_time is deprecated: use local_search_time"}
    assert old.cut == new.cut and np.array_equal(old.partition, new.partition)
    assert old.params["local_search_moves"] == 400 and "polish_moves" not in old.params
    with pytest.warns(DeprecationWarning, match="polish_sweeps"):
        a = maxcut(g, seed=2, n_hyperplanes=10, polish_sweeps=50)
    b = maxcut(g, seed=2, n_hyperplanes=10, local_search_sweeps=50)
    assert a.cut == b.cut and a.local_search["sweeps"] == b.local_search["sweeps"] == 50


def test_ctrl_c_returns_best_so_far():
    g = load_graph(nx.random_regular_graph(3, 20000, seed=6))

    def ctrl_c(stage, fraction, info):
        if stage == "sdp" and info != "started":  # inside the SDP's sweep loop
            raise KeyboardInterrupt

    res = maxcut(g, rank=8, sdp_tol=0.0, max_sweeps=10**6, n_hyperplanes=10, progress=ctrl_c)
    assert res.status == 2 and "interrupted" in res.message and res.sdp["status"] == Status.INTERRUPTED
    assert res.cut == cut_value(g, res.partition) > 0


@pytest.mark.parametrize("polish,budget,unit", [("tabu", {"local_search_moves": 10**12}, "moves"),
                                                 ("anneal", {"local_search_sweeps": 10**12}, "sweeps")])
def test_ctrl_c_during_the_polish_returns_best_so_far(polish, budget, unit, make_graph):
    import _thread
    import threading

    g = make_graph(200, 0.05, 3, "pm1")
    maxcut(g, n_hyperplanes=4, local_search=polish, local_search_moves=10, local_search_sweeps=10)  # warm-up
    timer = threading.Timer(1.0, _thread.interrupt_main)  # KeyboardInterrupt in the main thread, like Ctrl-C
    timer.start()
    try:
        # with a time limit the annealing runs one chain per thread: the interrupt reaches them all
        res = maxcut(g, n_hyperplanes=4, local_search=polish, time_limit=120, **budget)
    finally:
        timer.cancel()
    assert res.status == 2 and "interrupted" in res.message
    assert res.local_search["status"] == Status.INTERRUPTED and res.local_search[unit] > 0
    assert res.cut == cut_value(g, res.partition) >= res.rounding_cut


def test_progress_bar_draws_after_its_delay():
    import io

    from derand_fast.progress import ProgressBar, make_progress

    buf = io.StringIO()
    bar = ProgressBar(stream=buf, delay=0.0)
    bar("SDP", 0.5, "sweep 3")
    bar.close()
    assert "SDP" in buf.getvalue() and " 50%" in buf.getvalue() and buf.getvalue().endswith("\n")
    quiet = io.StringIO()
    ProgressBar(stream=quiet, delay=60.0)("SDP", 0.5)
    assert quiet.getvalue() == ""
    assert make_progress(None)[0] is None
    with pytest.raises(TypeError, match="progress"):
        make_progress(3)
