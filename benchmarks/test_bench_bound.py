"""The certified MAXCUT bound against the SDP it certifies: time ratio bound / SDP.

Both run on one thread on the same graph; the SDP is timed as the fastest of
a few runs (``best_time``) and the bound by pytest-benchmark. Target of the
design: a small fraction of the SDP time; the printed ratio says what it is.
The tightness on all Gset graphs is ``benchmarks/bound_table.py``'s job.

Smoke mode (the default ``--benchmark-disable``) uses the built-in G43 only.
Full run (needs ``../shared/data/gset``)::

    python -m pytest -p no:cacheprovider benchmarks/test_bench_bound.py --benchmark-enable
"""

from __future__ import annotations

from pathlib import Path

import pytest

from derand_fast.maxcut import load_graph, solve_sdp
from derand_fast.maxcut.bound import certified_bound
from derand_fast.maxcut.data import builtin_graph_path

GSET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gset"
GRAPHS = ["G1", "G22", "G43", "G48", "G55", "G70"]


def _graph(name: str):
    path = builtin_graph_path() if name == "G43" else GSET / name
    if not path.is_file():
        pytest.skip(f"Gset data not found at {path}")
    return load_graph(path, fmt="gset")


@pytest.mark.parametrize("name", GRAPHS)
def test_bench_bound(benchmark, smoke, best_time, record_ratio, name):
    if smoke and name != "G43":
        pytest.skip("smoke mode: G43 only")
    g = _graph(name)
    sdp = solve_sdp(g, seed=0, threads=1)
    t_sdp = best_time(lambda: solve_sdp(g, seed=0, threads=1), 1 if smoke else 3)
    b = benchmark(certified_bound, g, sdp.V, threads=1)
    assert b.upper_bound >= b.sdp_value
    if not smoke:
        record_ratio(f"certified bound {name}: bound / SDP time", benchmark.stats.stats.min / t_sdp, benchmark)
