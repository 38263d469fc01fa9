"""Simulated annealing (maxcut.anneal, C++ Annealer): exhaustive optima on small graphs, never worse than the
start, determinism and chunk independence, bad input at the binding, stops that keep the best so far."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from derand_fast import _core
from derand_fast.maxcut import Graph, cut_value
from derand_fast.maxcut.anneal import AnnealResult, anneal, default_beta_range, default_beta_start
from derand_fast.runcontrol import RunControl, Status

WEIGHTS = ["unit", "pm1", "real"]  # unit/±1: integer kernel (table); real in [-1, 2): exp() kernel


def _annealer(g: Graph, x: np.ndarray, seed: int = 0) -> _core.Annealer:
    return _core.Annealer(g.view, x, seed)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_exhaustive_optimum_on_small_graphs(weights, make_graph, brute_force):
    misses = 0
    for seed in range(12):
        n = 8 + seed % 7
        g = make_graph(n, 0.5, 100 + seed, weights)
        if g.m == 0:
            continue
        opt = brute_force(g)
        res = anneal(g, max_sweeps=300, seed=seed)
        assert res.cut == pytest.approx(cut_value(g, res.x)) and res.cut <= opt + 1e-9
        warm = anneal(g, np.ones(n, dtype=np.int8), max_sweeps=300, seed=seed)
        misses += (res.cut < opt - 1e-9) + (warm.cut < opt - 1e-9)
    assert misses == 0


@pytest.mark.parametrize("weights", WEIGHTS)
def test_never_worse_than_the_start(weights, make_graph):
    g = make_graph(60, 0.15, 3, weights)
    rng = np.random.default_rng(0)
    for x0 in (rng.choice([-1, 1], g.n).astype(np.int8), np.ones(g.n, dtype=np.int8)):
        start = cut_value(g, x0)
        for budget in (0, 1, 5, 200):
            # a very hot schedule: the current state gets worse, the result never does
            res = anneal(g, x0, max_sweeps=budget, seed=2, beta_range=(1e-3, 1e-2), beta_start=1e-3)
            assert res.cut == cut_value(g, res.x) >= start
            assert res.gain == pytest.approx(res.cut - start) and res.sweeps == budget
            assert res.status == Status.COMPLETED and isinstance(res, AnnealResult)
        a = _annealer(g, x0, 3)
        a.schedule(1e-3, 1e-3, 50)
        a.run(50)
        assert a.best_cut >= a.start_cut == pytest.approx(start)
        assert cut_value(g, a.best_x) == pytest.approx(a.best_cut)
        assert cut_value(g, a.x) == pytest.approx(a.current_cut)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_deterministic_and_chunk_independent(weights, make_graph):
    g = make_graph(80, 0.1, 5, weights)
    x0 = np.random.default_rng(1).choice([-1, 1], g.n).astype(np.int8)
    hot, cold = default_beta_range(g)

    def run(chunks):
        a = _annealer(g, x0, 7)
        a.schedule(hot, cold, 300)
        for c in chunks:
            a.run(c)
        return a.best_x, a.x, a.best_cut, a.flips, a.best_sweep

    ref = run([300])
    for chunks in ([1] * 300, [7, 0, 93, 200], [299, 1, 5]):  # the extra 5 lie past the segment's end
        got = run(chunks)
        assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1]) and got[2:] == ref[2:]
    r1 = anneal(g, x0, max_sweeps=400, seed=4)
    r2 = anneal(g, x0, max_sweeps=400, seed=4)
    assert np.array_equal(r1.x, r2.x) and r1.cut == r2.cut and r1.flips == r2.flips
    r3 = anneal(g, x0, max_sweeps=400, seed=5)
    assert r3.flips != r1.flips  # another random stream


def test_segments_restore_and_descend(make_graph):
    g = make_graph(50, 0.2, 9, "pm1")
    a = _annealer(g, np.ones(g.n, dtype=np.int8), 1)
    a.schedule(0.01, 0.01, 40)  # hot: wanders far below the best
    assert a.run(100) == 40 and a.segment_left == 0 and a.run(5) == 0 and a.sweeps == 40
    a.restore_best()
    assert a.current_cut == a.best_cut and np.array_equal(a.x, a.best_x)
    a.descend(100, 0.0)
    x = a.x
    gains = x * (g.to_scipy() @ x)
    assert gains.max() <= 0  # a 1-flip local optimum
    assert a.best_cut == cut_value(g, a.best_x) >= cut_value(g, np.ones(g.n))
    assert a.integral


def test_time_limit_and_trace(make_graph):
    g = make_graph(300, 0.03, 2, "pm1")
    x0 = np.ones(g.n, dtype=np.int8)
    res = anneal(g, x0, time_limit=0.3, seed=0)
    assert res.status == Status.TIME_LIMIT and res.cut >= cut_value(g, x0)
    assert res.sweeps > 0 and res.time < 2.0
    assert res.trace[0] == (pytest.approx(res.trace[0][0]), cut_value(g, x0))
    ts, cuts = zip(*res.trace)
    assert list(ts) == sorted(ts) and list(cuts) == sorted(cuts) and cuts[-1] == res.cut
    capped = anneal(g, x0, time_limit=30.0, max_sweeps=50, seed=0)  # the sweep budget ends it first
    assert capped.status == Status.COMPLETED and capped.sweeps == 50


def test_control_stop_and_offer(make_graph):
    g = make_graph(200, 0.05, 4, "unit")
    x0 = np.ones(g.n, dtype=np.int8)
    ctl = RunControl()
    ctl.stop(Status.INTERRUPTED)
    res = anneal(g, x0, max_sweeps=10_000, control=ctl)
    assert res.status == Status.INTERRUPTED and res.sweeps == 0 and np.array_equal(res.x, x0)
    ctl = RunControl(time_limit=60.0)
    res = anneal(g, x0, max_sweeps=500, control=ctl, seed=3)
    assert res.status == Status.COMPLETED
    assert ctl.best_value == res.cut and ctl.best_stage == "polish anneal"


def test_keyboard_interrupt_returns_best_so_far(make_graph, monkeypatch):
    g = make_graph(200, 0.05, 6, "pm1")
    x0 = np.ones(g.n, dtype=np.int8)
    ctl = RunControl()
    calls = {"n": 0}
    poll = RunControl.poll

    def interrupting_poll(self):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return poll(self)

    monkeypatch.setattr(RunControl, "poll", interrupting_poll)
    res = anneal(g, x0, max_sweeps=100_000, control=ctl, seed=1)
    assert res.status == Status.INTERRUPTED and ctl.reason == Status.INTERRUPTED
    assert 0 < res.sweeps < 100_000 and res.cut == cut_value(g, res.x) >= cut_value(g, x0)


def test_defaults():
    g = Graph.from_edges(4, [0, 1, 2, 3], [1, 2, 3, 0], [1.0, -2.0, 0.5, 3.0])
    hot, cold = default_beta_range(g)
    assert hot == pytest.approx(math.log(2) / 4.0) and hot <= default_beta_start(g) <= cold
    empty = Graph.from_edges(3, [], [], [])
    res = anneal(empty, max_sweeps=10)
    assert res.cut == 0.0 and res.status == Status.COMPLETED


def test_bad_input_is_rejected(make_graph):
    g = make_graph(10, 0.5, 1, "unit")
    x = np.ones(g.n, dtype=np.int8)
    with pytest.raises(ValueError, match="x must have n = 10 entries"):
        _core.Annealer(g.view, x[:-1], 0)
    with pytest.raises(ValueError, match=r"x must contain only \+1 and -1"):
        _core.Annealer(g.view, np.zeros(g.n, dtype=np.int8), 0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        _core.Annealer(g.view, x, -1)
    with pytest.raises(TypeError, match="GraphView"):  # the graph itself, not its view: no crash
        _core.Annealer(g, x, 0)
    a = _annealer(g, x)
    with pytest.raises(ValueError, match="sweeps must be >= 0"):
        a.run(-1)
    with pytest.raises(ValueError, match="sweeps must be >= 0"):
        a.schedule(0.1, 1.0, -5)
    for b0, b1 in ((0.0, 1.0), (0.1, -1.0), (np.nan, 1.0), (0.1, np.inf)):
        with pytest.raises(ValueError, match="beta_(start|end) must be a positive finite number"):
            a.schedule(b0, b1, 10)
    with pytest.raises(ValueError, match="tol"):
        a.descend(1, np.nan)
    with pytest.raises(ValueError, match=r"shape \(10,\)"):
        anneal(g, x[:5])
    with pytest.raises(ValueError, match="only"):
        anneal(g, 2 * x)
    with pytest.raises(ValueError, match="sweeps"):
        anneal(g, x, max_sweeps=-1)
    with pytest.raises(ValueError, match="seed"):
        anneal(g, x, seed=-2)
    for br in ((1.0, 0.5), (0.0, 1.0), (np.nan, 1.0), (1.0,), "ab"):
        with pytest.raises(ValueError, match="beta_range"):
            anneal(g, x, beta_range=br)
    with pytest.raises(ValueError, match="beta_start"):
        anneal(g, x, beta_start=-1.0)
    with pytest.raises(ValueError, match="time_limit"):
        anneal(g, x, time_limit=0)


def test_seeds_beyond_int64_are_refused_before_the_kernel(make_graph):
    g = make_graph(10, 0.5, 1, "unit")
    with pytest.raises(ValueError, match=r"seed must be an int in \[0, 2\*\*63 - 1\]"):
        anneal(g, np.ones(g.n, dtype=np.int8), seed=2**63)


def test_result_base_and_deprecated_sweeps_keyword():
    g = Graph.from_edges(5, [0, 1, 2, 3, 4], [1, 2, 3, 4, 0], np.ones(5))
    x0 = np.ones(5, dtype=np.int8)
    res = anneal(g, x0, max_sweeps=50, seed=1)
    assert res.nit == res.sweeps == 50 and res.success and res.message == Status.COMPLETED.message
    with pytest.warns(DeprecationWarning, match="sweeps"):
        old = anneal(g, x0, sweeps=50, seed=1)
    assert old.nit == 50 and np.array_equal(old.x, res.x)
    # chain k's random start is the signs of stream k of the anneal.start block (its own stream of the seed)
    from derand_fast.maxcut import load_graph
    from derand_fast.random import STREAMS, standard_normal

    big = load_graph(nx.random_regular_graph(3, 200, seed=0))
    starts = []
    for k in (0, 1):
        res = anneal(big, max_sweeps=0, seed=1, chain=k)
        z = standard_normal(1, 1, big.n, first_stream=STREAMS["anneal.start"].first + k)[0]
        starts.append(cut_value(big, np.where(z < 0, -1, 1)))
        assert res.cut - res.gain == starts[-1]
    assert starts[0] != starts[1]
