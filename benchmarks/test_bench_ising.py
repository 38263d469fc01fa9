"""QUBO and Ising models: time to a certified lower bound through ``DerandSampler``, and what the bound costs.

"Time to bound" is a run of the pipeline that stops as soon as the bound exists: SDP, certificate, one GW
hyperplane, no polish (``local_search="none"``). The ratios printed at the end, both from the last run's own
timings: the certificate's time over the SDP's, and the whole solve (reduction to MAXCUT, SDP, certificate,
hyperplane, energies) over the SDP alone.

Smoke mode (the default ``--benchmark-disable``) uses small instances. Full run::

    flock /tmp/derand_bench.lock python -m pytest -p no:cacheprovider benchmarks/test_bench_ising.py \\
        --benchmark-enable
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

dimod = pytest.importorskip("dimod")

from derand_fast.dimod import DerandSampler  # noqa: E402

_spec = importlib.util.spec_from_file_location("qubo_table", Path(__file__).with_name("qubo_table.py"))
qubo_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qubo_table)

#: instance at full size, instance in smoke mode
CASES = {"beasley": ("beasley-1000", "beasley-100"), "torus2d": ("torus2d-100", "torus2d-10"),
         "torus3d": ("torus3d-16", "torus3d-5")}
TO_BOUND = {"seed": 0, "threads": 1, "rounding": "gw", "n_hyperplanes": 1, "local_search": "none"}


@pytest.mark.parametrize("kind", list(CASES))
def test_bench_time_to_bound(benchmark, bench_size, smoke, record_ratio, kind):
    name = bench_size(CASES[kind][1], CASES[kind][0])
    bqm = qubo_table.instance(name)
    sampler = DerandSampler(**TO_BOUND)
    sampler.sample(bqm)  # warm
    ss = benchmark(sampler.sample, bqm)
    info = ss.info
    assert info["lower_bound"] <= float(ss.first.energy)
    assert info["status"] == 0
    if not smoke:
        t = info["timing"]
        record_ratio(f"{name}: certificate / SDP time", t["bound"] / t["sdp"], benchmark)
        record_ratio(f"{name}: time to bound (reduction, SDP, certificate, 1 hyperplane) / SDP time",
                     t["total"] / t["sdp"], benchmark)
        benchmark.extra_info["gap"] = info["gap"]
