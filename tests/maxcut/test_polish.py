"""The polish searches of maxcut/polish.py.

1-flip local search: never lowers the cut, ends at a 1-flip local optimum, move budget. Tabu search
(C++ TabuSearch): never worse than its start, exhaustive optima on small graphs, determinism, interrupts,
bad input."""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pytest

from derand_fast import _core
from derand_fast.maxcut import Graph, cut_value, local_search
from derand_fast.maxcut.polish import _tolerance, default_tabu_moves, tabu_search
from derand_fast.runcontrol import Status

WEIGHTS = ["unit", "pm1", "real"]  # unit/±1: bucket queues (integer gains); real in [-1, 2): tournament trees


def _search(g: Graph, x: np.ndarray, seed: int = 0, tenure=(2, 5), stall: int = 200, perturb: int = 2):
    return _core.TabuSearch(g.view, x, tenure[0], tenure[1], stall, perturb, _tolerance(g), seed)


def _gains(g: Graph, x: np.ndarray) -> np.ndarray:
    A = g.to_scipy()
    return x * (A @ x)


@pytest.mark.parametrize("seed,weights", [(0, "unit"), (1, "pm1"), (2, "real"), (3, "real")])
def test_local_search_never_lowers_and_ends_at_local_optimum(seed, weights, make_graph, np_cut):
    g = make_graph(120, 0.08, seed, weights)
    x0 = np.random.default_rng(seed + 10).choice([-1, 1], size=g.n)
    start = np_cut(g, x0)
    res = local_search(g, x0)
    assert res.converged and not res.interrupted
    assert res.cut >= start
    assert res.cut == pytest.approx(np_cut(g, res.x), abs=1e-9)
    assert res.gain == pytest.approx(res.cut - start, abs=1e-9)
    # 1-flip local optimum: no single flip raises the cut (tolerance 1e-9 * max weighted degree).
    wdeg = np.abs(g.to_scipy()).sum(axis=1).max()
    assert _gains(g, res.x.astype(float)).max() <= 1e-9 * wdeg + 1e-12
    # Deterministic, and idempotent at a local optimum.
    again = local_search(g, x0)
    assert np.array_equal(again.x, res.x)
    fixed = local_search(g, res.x)
    assert fixed.moves == 0 and np.array_equal(fixed.x, res.x)


def test_local_search_max_moves_stops_early_without_lowering(make_graph):
    g = make_graph(200, 0.05, 4, "unit")
    x0 = np.ones(g.n)
    res = local_search(g, x0, max_moves=5)
    assert res.moves == 5 and not res.converged and res.cut > 0.0
    assert local_search(g, x0, max_moves=0).cut == 0.0

def test_local_search_on_edgeless_graph_and_bad_budget(make_graph):
    assert local_search(Graph.from_edges(5, [], []), -np.ones(5)).cut == 0.0
    with pytest.raises(ValueError, match="max_moves"):
        local_search(make_graph(10, 0.5, 0), np.ones(10), max_moves=-1)


@pytest.mark.parametrize("weights", WEIGHTS)
def test_never_worse_than_the_start(weights, make_graph):
    g = make_graph(60, 0.15, 3, weights)
    rng = np.random.default_rng(0)
    starts = [rng.choice([-1, 1], g.n).astype(np.int8), local_search(g, np.ones(g.n)).x]
    for x0 in starts:
        for budget in (0, 1, 7, 3000):
            res = tabu_search(g, x0, max_moves=budget, seed=1)
            start = cut_value(g, x0)
            assert res.cut == cut_value(g, res.x) >= start
            assert res.gain == res.cut - start and res.moves == budget and res.status == Status.COMPLETED
            assert 0 <= res.best_move <= res.moves
            if budget == 0:
                assert np.array_equal(res.x, x0)


def test_reaches_the_exhaustive_optimum_on_small_graphs(make_graph, brute_force):
    # 36 seeded random graphs, 8-16 nodes, three weight kinds, from the all-(+1) partition (cut 0).
    # Observed: 36/36 here, and 180/180 over 60 seeds (n = 8-16), within 20 000 moves; 35/36 before a restart
    # flipped at least one node (ceil(perturb n)) and the default stall scaled with n (now 25 n + 100).
    hits, total = 0, 0
    for seed in range(12):
        for kind in WEIGHTS:
            n = 8 + (seed * 3 + WEIGHTS.index(kind)) % 9
            g = make_graph(n, 0.5, 100 + seed, kind)
            opt = brute_force(g)
            res = tabu_search(g, np.ones(n, dtype=np.int8), max_moves=20_000, seed=seed)
            assert res.cut <= opt + 1e-9
            hits += bool(res.cut >= opt - 1e-9)
            total += 1
    assert hits == total, f"{hits}/{total} reached the optimum"


@pytest.mark.parametrize("weights", WEIGHTS)
def test_incremental_cut_matches_a_fresh_evaluation(weights, make_graph):
    # The C++ search keeps the cut by adding gains; after thousands of moves (and restarts) it must agree
    # with a fresh evaluation of its best partition: exactly for integer weights, to rounding otherwise.
    g = make_graph(80, 0.1, 7, weights)
    s = _search(g, np.ones(g.n, dtype=np.int8))
    s.run(5000)
    assert s.restarts > 0
    exact = cut_value(g, s.best_x)
    if weights == "real":
        assert s.best_cut == pytest.approx(exact, rel=1e-12, abs=1e-9)
    else:
        assert s.best_cut == exact and s.start_cut == 0.0


@pytest.mark.parametrize("weights", WEIGHTS)
def test_result_depends_only_on_the_number_of_moves(weights, make_graph):
    # The Python driver runs the search in chunks sized by the clock; any split of the moves gives the same state.
    g = make_graph(70, 0.12, 11, weights)
    x0 = np.where(np.random.default_rng(2).random(g.n) < 0.5, -1, 1).astype(np.int8)
    whole = _search(g, x0, seed=5)
    whole.run(4000)
    pieces = _search(g, x0, seed=5)
    rng = np.random.default_rng(3)
    while pieces.moves < 4000:
        pieces.run(int(min(rng.integers(0, 300), 4000 - pieces.moves)))
    assert np.array_equal(whole.best_x, pieces.best_x)
    assert (whole.best_move, whole.restarts, whole.current_cut) == (pieces.best_move, pieces.restarts,
                                                                    pieces.current_cut)
    a = tabu_search(g, x0, max_moves=4000, seed=5)
    b = tabu_search(g, x0, max_moves=4000, seed=5)
    assert np.array_equal(a.x, b.x) and (a.cut, a.best_move, a.restarts) == (b.cut, b.best_move, b.restarts)


def test_default_budget_and_trivial_graphs():
    assert default_tabu_moves(10) == 1_050_000
    assert default_tabu_moves(10**7) == 40_000_000
    empty = Graph.from_edges(4, [], [])
    res = tabu_search(empty, [1, -1, 1, 1])
    assert res.cut == 0.0 and res.moves == 0 and res.status == Status.COMPLETED
    one = Graph.from_edges(2, [0], [1], [-3.0])  # a negative edge: best uncut
    res = tabu_search(one, [1, -1], max_moves=10)
    assert res.cut == 0.0 and res.x[0] == res.x[1]
    assert tabu_search(Graph.from_edges(0, [], []), np.ones(0)).cut == 0.0


def test_time_limit_caps_the_moves(make_graph):
    g = make_graph(200, 0.05, 1)
    res = tabu_search(g, np.ones(g.n), time_limit=0.2)  # unlimited moves, stopped by the clock
    assert res.status == Status.TIME_LIMIT and res.moves > 0 and res.time < 5.0
    assert res.cut == cut_value(g, res.x) > 0.0


def test_ctrl_c_returns_the_best_so_far(make_graph):
    g = make_graph(300, 0.05, 2, "pm1")
    x0 = np.ones(g.n, dtype=np.int8)
    timer = threading.Timer(0.3, _thread.interrupt_main)  # KeyboardInterrupt in the main thread, like Ctrl-C
    t = time.perf_counter()
    timer.start()
    try:
        res = tabu_search(g, x0, max_moves=10**12, time_limit=60.0)
    finally:
        timer.cancel()
    assert res.status == Status.INTERRUPTED and time.perf_counter() - t < 30.0
    assert res.cut == cut_value(g, res.x) >= cut_value(g, x0)


@pytest.mark.parametrize("kwargs,match", [
    ({"max_moves": -1}, "max_moves"),
    ({"max_moves": 1.5}, "max_moves"),
    ({"time_limit": 0}, "time_limit"),
    ({"time_limit": float("nan")}, "time_limit"),
    ({"seed": -1}, "seed"),
    ({"tenure": (0, 3)}, "tenure"),
    ({"tenure": (4, 2)}, "tenure"),
    ({"tenure": (1, 11)}, "tenure"),
    ({"tenure": "ab"}, "tenure"),
    ({"stall": 0}, "stall"),
    ({"perturb": 1.5}, "perturb"),
    ({"perturb": float("nan")}, "perturb"),
])
def test_bad_arguments(kwargs, match, make_graph):
    g = make_graph(10, 0.5, 0)
    with pytest.raises(ValueError, match=match):
        tabu_search(g, np.ones(10), **kwargs)


def test_bad_partitions_and_binding_checks(make_graph):
    g = make_graph(10, 0.5, 0)
    with pytest.raises(ValueError, match="x"):
        tabu_search(g, np.ones(9))
    with pytest.raises(ValueError, match="x"):
        tabu_search(g, np.zeros(10))
    with pytest.raises(TypeError, match="x"):
        tabu_search(g, np.array(["a"] * 10))
    x = np.ones(10, dtype=np.int8)
    with pytest.raises(ValueError, match="moves"):
        _search(g, x).run(-1)
    with pytest.raises(ValueError, match="perturb"):
        _search(g, x, perturb=11)
    with pytest.raises(ValueError, match="x must contain"):
        _search(g, np.zeros(10, dtype=np.int8))
    with pytest.raises(TypeError, match="GraphView"):  # the graph's arrays are no graph: the kernel takes its view
        _core.TabuSearch(g.indptr, g.indices, g.data, x, 1, 2, 10, 0, 0.0, 0)
    with pytest.raises(ValueError, match="seed"):
        _search(g, x, seed=-2)
