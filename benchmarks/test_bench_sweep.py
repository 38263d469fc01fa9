"""Sweep throughput on Dask (:func:`derand_fast.sweep.sweep`): many small graphs on 1 vs 2 worker processes,
and the cost per task of going through Dask and the output file against a plain loop of ``maxcut`` calls.

Both clusters (1 and 2 one-thread workers) are started and warmed up (Numba
compiled in every worker) before timing, so the times are the sweep's
steady state: reading the graphs, sending them, chunking the runs,
scheduling, running, writing a row per run. Ratios (printed at the end of
the run):

- ``sweep throughput: 2 workers / 1 worker`` — runs per second with 2
  workers over 1 (ideal 2; needs two idle cores: the client and the
  scheduler share them with the workers), on 80 runs of 25–40 ms each
  (SDP, certified bound in a forked child, GW, 1-flip);
- ``worker utilization, 2 workers`` — the rows' run times over 2 × the
  wall time: the share of the workers' time spent in runs (what Dask and
  the client leave idle is the rest; a foreign load inflates run times too,
  so this stays meaningful on a busy machine where the ratio does not);
- ``client + scheduler CPU per run (ms)`` — CPU seconds of this process
  (client, scheduler and nannies of the ``LocalCluster``) per run;
- ``sweep / plain loop, tiny tasks`` and ``sweep overhead per task (ms)`` —
  200 runs of about 1 ms (``certify=False``) on 1 worker against the same
  ``maxcut`` calls in a loop in this process.

Smoke mode (the default ``--benchmark-disable``) runs a few tasks; to measure::

    flock /tmp/derand_bench.lock python -m pytest -p no:cacheprovider benchmarks/test_bench_sweep.py \
        --benchmark-enable
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import networkx as nx
import pytest

distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

from derand_fast.maxcut import load_graph, maxcut  # noqa: E402
from derand_fast.sweep import sweep  # noqa: E402

#: 25-40 ms a run on one idle core: SDP, certified bound (a forked child), GW, 1-flip
TASK = {"rounding": "gw", "n_hyperplanes": 100, "local_search": "1flip"}
#: about 1 ms a run: the scheduling and the row dominate
TINY = {"rounding": "gw", "n_hyperplanes": 10, "local_search": "1flip", "certify": False}


@pytest.fixture(scope="module")
def clients():
    """{1: client of a 1-worker cluster, 2: client of a 2-worker cluster}, workers warmed up."""
    out = {}
    with dask.config.set({"distributed.worker.daemon": False, "distributed.scheduler.worker-saturation": 1.0}):
        clusters = [distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                             dashboard_address=None,
                                             scheduler_kwargs={"dashboard_address": ":0"},
                                             silence_logs=logging.CRITICAL)
                    for w in (1, 2)]
        try:
            for w, cl in zip((1, 2), clusters):
                c = distributed.Client(cl)
                g = load_graph(nx.cycle_graph(8))
                c.gather(c.map(lambda s: maxcut(g, seed=s, threads=1, **TASK).cut, range(4 * w), pure=False))
                out[w] = c
            yield out
        finally:
            for c in out.values():
                c.close()
            for cl in clusters:
                cl.close()


def _graphs(count: int, n: int) -> dict[str, object]:
    return {f"rr{i}": nx.random_regular_graph(3, n, seed=i) for i in range(count)}


def _runner(graphs, seeds, options, client, tmp_path: Path, log: list | None = None):
    def run() -> int:
        out = tmp_path / f"rows-{uuid.uuid4().hex}.csv"  # a fresh output: nothing is skipped
        cpu = sum(os.times()[:2])
        s = sweep(graphs, seeds=seeds, out=out, client=client, progress=False, **options)
        assert s.computed == s.tasks and s.failed == 0
        if log is not None:  # (wall, run seconds on the workers, CPU seconds of this process, runs)
            log.append((s.elapsed, sum(r["time"] for r in s.rows), sum(os.times()[:2]) - cpu, s.computed))
        return s.computed

    return run


def test_bench_sweep_two_workers(benchmark, clients, bench_size, best_time, record_ratio, tmp_path: Path) -> None:
    graphs = _graphs(bench_size(4, 40), 100)
    seeds = range(bench_size(1, 2))
    log: list = []
    two = _runner(graphs, seeds, TASK, clients[2], tmp_path, log)
    one = _runner(graphs, seeds, TASK, clients[1], tmp_path)
    benchmark.pedantic(two, rounds=bench_size(1, 3), iterations=1)
    t2 = benchmark.stats.stats.min if benchmark.stats else best_time(two, 1)
    t1 = best_time(one, bench_size(1, 3))
    record_ratio("sweep throughput: 2 workers / 1 worker", t1 / t2, benchmark)
    wall, busy, cpu, runs = min(log)  # the fastest 2-worker sweep
    record_ratio("worker utilization, 2 workers (run time / 2 x wall)", busy / (2 * wall), benchmark)
    record_ratio("client + scheduler CPU per run (ms, 2 workers)", 1e3 * cpu / runs, benchmark)


def test_bench_sweep_overhead(benchmark, clients, bench_size, best_time, record_ratio, tmp_path: Path) -> None:
    graphs = _graphs(bench_size(4, 50), 30)
    seeds = range(bench_size(1, 4))
    tasks = len(graphs) * len(seeds)
    loaded = [load_graph(g) for g in graphs.values()]

    def loop() -> None:
        for g in loaded:
            for s in seeds:
                maxcut(g, seed=s, threads=1, **TINY)

    swept = _runner(graphs, seeds, TINY, clients[1], tmp_path)
    loop()  # compile in this process too
    benchmark.pedantic(swept, rounds=bench_size(1, 5), iterations=1)
    t_sweep = benchmark.stats.stats.min if benchmark.stats else best_time(swept, 1)
    t_loop = best_time(loop, bench_size(1, 5))
    record_ratio("sweep / plain loop, tiny tasks (1 worker)", t_sweep / t_loop, benchmark)
    record_ratio("sweep overhead per task (ms, 1 worker)", 1e3 * (t_sweep - t_loop) / tasks, benchmark)
