"""Tabu-search throughput (moves per second): the C++ search of
:func:`derand_fast.maxcut.polish.tabu_search` against a plain NumPy tabu search
with the same move rule (best non-tabu gain by a masked ``argmax`` over all
nodes, aspiration, incremental gains from the CSR row, random tenure; no
restarts), timed in the same session on the same graph and start.

Gset weights are integers, so the C++ search uses its bucket queues; the
``real`` case perturbs the weights by 1e-3 · U(0, 1) so that it uses its
tournament trees instead.

Smoke mode (the default ``--benchmark-disable``) runs the built-in G43 with a
few thousand moves; full run (G22, G81 need ``../shared/data/gset``)::

    python -m pytest -p no:cacheprovider benchmarks/test_bench_tabu.py --benchmark-enable
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from derand_fast.maxcut import Graph, cut_value, load_graph, local_search
from derand_fast.maxcut.data import builtin_graph_path
from derand_fast.maxcut.polish import tabu_search

GSET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gset"


def numpy_tabu(g: Graph, x0: np.ndarray, moves: int, tenure: tuple[int, int], seed: int = 0) -> float:
    """Best cut of ``moves`` tabu moves written with NumPy (an O(n) argmax per move)."""
    rng = np.random.default_rng(seed)
    n = g.n
    A = sp.csr_array((g.data, g.indices, g.indptr), shape=(n, n))
    x = x0.astype(np.float64)
    gain = x * (A @ x)
    tabu_until = np.zeros(n, dtype=np.int64)
    cur = best = cut_value(g, x0)
    for it in range(moves):
        free = tabu_until <= it
        gf = np.where(free, gain, -np.inf)
        i = int(np.argmax(gf))
        gt = np.where(free, -np.inf, gain)
        a = int(np.argmax(gt))
        if not free[a] and cur + gain[a] > best and gain[a] > gf[i]:
            i = a
        nb = g.indices[g.indptr[i]:g.indptr[i + 1]]
        x[i] = -x[i]
        cur += gain[i]
        gain[i] = -gain[i]
        gain[nb] += 2.0 * g.data[g.indptr[i]:g.indptr[i + 1]] * x[nb] * x[i]
        tabu_until[i] = it + 1 + rng.integers(tenure[0], tenure[1] + 1)
        best = max(best, cur)
    return best


def _graph(name: str, weights: str) -> Graph:
    path = builtin_graph_path() if name == "G43" else GSET / name
    if not path.is_file():
        pytest.skip(f"Gset data not found at {path}")
    g = load_graph(path)
    if weights == "real":
        w = g.weights + 1e-3 * np.random.default_rng(0).random(g.m)
        g = Graph.from_edges(g.n, g.u, g.v, w, name=g.name)
    return g


@pytest.mark.parametrize("name,weights", [("G43", "integer"), ("G43", "real"), ("G22", "integer"),
                                          ("G81", "integer")])
def test_bench_tabu_moves_per_second(benchmark, bench_size, smoke, record_ratio, name, weights):
    if smoke and name != "G43":
        pytest.skip("full run only")
    g = _graph(name, weights)
    x0 = local_search(g, np.ones(g.n, dtype=np.int8)).x
    tenure = (max(3, g.n // 100), max(3, g.n // 10))
    tabu_search(g, x0, max_moves=10)  # warm-up
    ours_moves, np_moves = bench_size(20_000, 2_000_000), bench_size(500, 5_000)
    res = benchmark.pedantic(tabu_search, args=(g, x0), kwargs={"max_moves": ours_moves, "tenure": tenure},
                             rounds=bench_size(1, 3), iterations=1)
    assert res.moves == ours_moves and res.cut >= cut_value(g, x0)
    ours = ours_moves / res.time
    t = time.perf_counter()
    best = numpy_tabu(g, x0, np_moves, tenure)
    base = np_moves / (time.perf_counter() - t)
    assert best >= cut_value(g, x0)
    record_ratio(f"tabu {name} ({weights} weights) moves/s: C++ / NumPy ({ours / 1e6:.2f} M/s vs "
                 f"{base / 1e3:.1f} k/s)", ours / base, benchmark)
