"""Per-call cost of the C++ graph kernels once the graph is a checked view (``Graph.view``).

The kernels take the :class:`~derand_fast.maxcut.Graph`'s compiled view, checked once
when the graph is built, instead of the raw arrays re-checked (O(m)) on every call.
Costs are reported in units of one O(m) pass timed in the same session, NumPy's
``np.add.reduce`` over the ``m`` edge weights, so they compare across machines and
loads:

- ``cut_values`` of one ±1 row and ``local_search`` with no move (the gains are built,
  O(m), and the call returns): the per-call cost;
- building the view (``_core.GraphView``: copy plus every check, once per graph): what
  a call used to add when it re-checked the arrays (the former check was somewhat
  cheaper: no copy, no CSR/edge-list comparison).

Smoke mode (the default ``--benchmark-disable``) uses a small random graph; the full
run adds G81 (``../shared/data/gset``) and a random graph with 10^6 edges::

    python -m pytest -p no:cacheprovider benchmarks/test_bench_graph_view.py --benchmark-enable
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from derand_fast import _core
from derand_fast.maxcut import Graph, load_graph

GSET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gset"


def _graph(name: str, smoke: bool) -> Graph:
    if name == "G81":
        if smoke:
            pytest.skip("full run only")
        if not (GSET / "G81").is_file():
            pytest.skip(f"Gset data not found at {GSET}")
        return load_graph(GSET / "G81")
    n, m = (2_000, 10_000) if smoke else (200_000, 1_000_000)
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = i != j
    return Graph.from_edges(n, i[keep], j[keep], rng.integers(1, 3, int(keep.sum())).astype(np.float64),
                            name=f"random m={m:.0e}")


@pytest.mark.parametrize("name", ["G81", "random"])
@pytest.mark.parametrize("op", ["cut_values", "local_search", "build_view"])
def test_bench_graph_view_per_call(benchmark, smoke, best_time, record_ratio, name, op):
    g = _graph(name, smoke)
    view = g.view
    x = np.where(np.random.default_rng(1).random(g.n) < 0.5, 1, -1).astype(np.int8)
    X = x[None, :]
    rounds = 20 if smoke else (200 if g.m < 100_000 else 40)
    calls = {
        "cut_values": lambda: _core.cut_values(view, X, 1),
        "local_search": lambda: _core.local_search(view, x, 0, 0.0),
        "build_view": lambda: _core.GraphView(g.n, g.u, g.v, g.weights, g.indptr, g.indices, g.data),
    }
    out = benchmark.pedantic(calls[op], rounds=rounds, warmup_rounds=1)
    if op == "cut_values":
        assert out[0] == float(np.sum(g.weights[x[g.u] != x[g.v]]))  # the cut, counted with NumPy
    elif op == "local_search":
        assert out[2] == 0 and np.array_equal(out[0], x)  # no move allowed: x unchanged
    else:
        assert np.array_equal(out.data, g.data)
    if not smoke:
        unit = best_time(lambda: np.add.reduce(g.weights), rounds)
        record_ratio(f"graph view {g.name} (m={g.m}): {op} per call / one NumPy pass over w",
                     benchmark.stats.stats.min / unit, benchmark)
