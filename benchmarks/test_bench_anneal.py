"""Annealing throughput (spin updates per second, one thread): the C++ kernel of
:func:`derand_fast.maxcut.anneal.anneal` against D-Wave's ``SimulatedAnnealingSampler``
(``dwave-samplers``) on the same graph, with the same number of sweeps and the same
geometric beta schedule (D-Wave's beta for ``J = w`` is half of ours, which is in cut
units), one read from a random start, timed in the same session. D-Wave's time is its
own ``sampling_ns`` (the C++ loop, without its Python pre- and post-processing).

Skipped when ``dwave-samplers`` is not installed. Smoke mode (the default
``--benchmark-disable``) runs the built-in G43 with a few sweeps; full run (G55 and
G81 need ``../shared/data/gset``)::

    python -m pytest -p no:cacheprovider benchmarks/test_bench_anneal.py --benchmark-enable
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from derand_fast import _core
from derand_fast.maxcut import Graph, load_graph
from derand_fast.maxcut.anneal import default_beta_range
from derand_fast.maxcut.data import builtin_graph_path

GSET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gset"


def _graph(name: str) -> Graph:
    path = builtin_graph_path() if name == "G43" else GSET / name
    if not path.is_file():
        pytest.skip(f"Gset data not found at {path}")
    return load_graph(path)


@pytest.mark.parametrize("name", ["G43", "G55", "G81"])
def test_bench_anneal_spin_updates_per_second(benchmark, bench_size, smoke, record_ratio, name):
    pytest.importorskip("dwave.samplers")
    import dimod
    from dwave.samplers import SimulatedAnnealingSampler

    if smoke and name != "G43":
        pytest.skip("full run only")
    g = _graph(name)
    sweeps = bench_size(20, 1000)
    hot, cold = default_beta_range(g)
    x0 = np.where(np.random.default_rng(0).random(g.n) < 0.5, 1, -1).astype(np.int8)
    bqm = dimod.BinaryQuadraticModel.from_numpy_vectors(
        np.zeros(g.n), (g.u.astype(np.int64), g.v.astype(np.int64), g.weights), 0.0, dimod.SPIN)
    sampler = SimulatedAnnealingSampler()

    def dwave_seconds() -> float:
        res = sampler.sample(bqm, num_reads=1, num_sweeps=sweeps, beta_range=(hot / 2, cold / 2),
                             beta_schedule_type="geometric", seed=1)
        return res.info["timing"]["sampling_ns"] * 1e-9

    def ours() -> float:
        a = _core.Annealer(g.view, x0, 1)
        a.schedule(hot, cold, sweeps)
        a.run(sweeps)
        return a.best_cut

    cut = benchmark(ours)
    assert cut > 0
    dwave_seconds()  # warm-up
    t_dwave = min(dwave_seconds() for _ in range(bench_size(1, 3)))
    if not smoke:
        t_ours = benchmark.stats.stats.min
        updates = float(g.n) * sweeps
        record_ratio(f"anneal {name} ({sweeps} sweeps): ours / dwave-samplers spin updates per s",
                     t_dwave / t_ours, benchmark)
        benchmark.extra_info["ours spin updates per s"] = updates / t_ours
        benchmark.extra_info["dwave spin updates per s"] = updates / t_dwave
