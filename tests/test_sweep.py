"""Sweeps on Dask (:mod:`derand_fast.sweep`): rows equal serial runs, resume after a killed client, a worker
dying mid-task, tasks that raise, an existing cluster by address, the command's functions.

One 2-worker ``LocalCluster`` (one thread each) serves the module; the
resume test runs a sweep with its own embedded cluster in a subprocess and
SIGKILLs it. Tasks are tiny (``n_hyperplanes=10``, ``local_search="1flip"``).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

from derand_fast import __version__  # noqa: E402
from derand_fast.maxcut import load_graph, maxcut  # noqa: E402
from derand_fast.sweep import (  # noqa: E402
    COLUMNS,
    add_arguments,
    expand_problems,
    graph_hash,
    parse_grid,
    parse_seeds,
    read_rows,
    run,
    sweep,
)

OPTS = {"n_hyperplanes": 10, "local_search": "1flip"}


def _write_gset(path: Path, g: nx.Graph) -> Path:
    lines = [f"{g.number_of_nodes()} {g.number_of_edges()}"]
    lines += [f"{u + 1} {v + 1} {d.get('weight', 1)}" for u, v, d in g.edges(data=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def graph_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("graphs")
    for i, n in enumerate((24, 30, 36)):
        _write_gset(d / f"R{i}", nx.random_regular_graph(3, n, seed=i))
    return d


@pytest.fixture(scope="module")
def cluster():
    """2 one-thread worker processes; a worker may die once per task (allowed-failures 1)."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                          "distributed.scheduler.worker-saturation": 1.0,
                          "distributed.worker.daemon": False}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      scheduler_kwargs={"dashboard_address": ":0"},
                                      silence_logs=logging.CRITICAL) as c:
            yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


def _serial(path: Path | nx.Graph, seed: int, **settings):
    return maxcut(load_graph(path), seed=seed, threads=1, **settings)


def _check_against_serial(rows, graphs: dict[str, Path]) -> None:
    for r in rows:
        assert r["error"] == "", r["error"]
        settings = json.loads(r["settings"])
        settings.pop("solver", None)
        ref = _serial(graphs[r["graph"]], r["seed"], **settings)
        assert (r["cut"], r["upper_bound"], r["sdp_value"], r["status"], r["best_stage"]) == \
               (ref.cut, ref.upper_bound, ref.sdp_value, int(ref.status), ref.best_stage)
        assert r["gap"] == pytest.approx(ref.gap)
        assert (r["n"], r["m"], r["version"]) == (ref.n, ref.m, __version__)


def _keys(rows):
    return [(r["graph_hash"], r["seed"], r["settings"], r["version"]) for r in rows]


# ------------------------------------------------------------------------------------------- with a cluster


def test_rows_equal_serial_maxcut(client, graph_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    s = sweep(graph_dir, seeds=[0, 1], grid={"rounding": ["gw", "derand-exact"]}, out=out, client=client,
              progress=False, **OPTS)
    assert (s.tasks, s.computed, s.skipped, s.failed, s.lost) == (12, 12, 0, 0, 0) and s.complete
    rows = read_rows(out)
    assert len(rows) == 12 and len(set(_keys(rows))) == 12
    graphs = {p.name: p for p in graph_dir.iterdir()}
    _check_against_serial(rows, graphs)
    assert {r["graph"] for r in s.rows} == set(graphs)
    assert all(r["host"] and r["time"] > 0 and "total" in json.loads(r["times"]) for r in rows)
    table = s.table()
    assert "R0" in table and "derand-exact" in table and "12 computed" in table
    # the same sweep again: every row is there, nothing runs (no cluster needed)
    again = sweep(graph_dir, seeds=[0, 1], grid={"rounding": ["gw", "derand-exact"]}, out=out, progress=False,
                  **OPTS)
    assert (again.computed, again.skipped) == (0, 12) and len(read_rows(out)) == 12


def test_in_memory_graphs_and_jsonl(client, tmp_path: Path) -> None:
    graphs = {"c7": nx.cycle_graph(7), "k5": nx.complete_graph(5), "same-as-c7": nx.cycle_graph(7)}
    out = tmp_path / "rows.jsonl"
    s = sweep(graphs, seeds=[3], out=out, client=client, progress=False, **OPTS)
    assert s.tasks == 2  # the duplicate graph (same hash) runs once
    rows = read_rows(out)
    assert sorted(r["graph"] for r in rows) == ["c7", "k5"]
    assert {r["graph"]: r["cut"] for r in rows} == {"c7": 6.0, "k5": 6.0}
    assert all(json.loads(line)["graph_hash"] for line in out.read_text().splitlines())


@pytest.mark.parametrize("chunk", [None, 6])  # adaptive (one run per Dask task here), or all six in one
def test_task_that_raises_is_a_failed_row(client, graph_dir: Path, tmp_path: Path, chunk: int | None) -> None:
    out = tmp_path / "rows.csv"
    grid = {"n_hyperplanes": [10, -1]}  # -1 is refused by maxcut: those tasks raise
    s = sweep(graph_dir / "R0", seeds=[0, 1, 2], grid=grid, out=out, client=client, progress=False,
              local_search="1flip", tasks_per_chunk=chunk)
    assert (s.tasks, s.computed, s.failed) == (6, 6, 3) and not s.complete
    rows = read_rows(out)
    bad = [r for r in rows if r["error"]]
    good = [r for r in rows if not r["error"]]
    assert len(bad) == 3 and all("ValueError" in r["error"] and "n_hyperplanes" in r["error"] for r in bad)
    assert all(r["cut"] is None and r["graph"] == "R0" for r in bad)
    _check_against_serial(good, {"R0": graph_dir / "R0"})
    # --retry-failed runs the failed rows again and keeps each key once
    again = sweep(graph_dir / "R0", seeds=[0, 1, 2], grid=grid, out=out, client=client, progress=False,
                  retry_failed=True, local_search="1flip", tasks_per_chunk=chunk)
    assert (again.computed, again.skipped, again.failed) == (3, 3, 3)
    rows = read_rows(out)
    assert len(rows) == 6 and len(set(_keys(rows))) == 6


def _crash(graph, *, seed: int, marker: str, fatal_seed: int, **options):
    """Test solver: the first task to run kills its worker once; seed ``fatal_seed`` kills it every time."""
    if seed == fatal_seed:
        os._exit(3)
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return maxcut(graph, seed=seed, **options)
    os.close(fd)
    os._exit(3)


def test_worker_dying_mid_task(client, graph_dir: Path, tmp_path: Path) -> None:
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    try:
        solver = functools.partial(_crash, marker=str(tmp_path / "died"), fatal_seed=5)
        out = tmp_path / "rows.csv"
        s = sweep(graph_dir / "R1", seeds=range(6), out=out, client=client, progress=False, solver=solver,
                  **OPTS)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    _check_dying(s, out, tmp_path, graph_dir)
    client.wait_for_workers(2, timeout=60)


def _check_dying(s, out: Path, tmp_path: Path, graph_dir: Path) -> None:
    assert (tmp_path / "died").exists()
    rows = read_rows(out)
    assert len(rows) == 6 and len(set(_keys(rows))) == 6 and s.computed == 6
    fatal = [r for r in rows if r["seed"] == 5]
    assert len(fatal) == 1 and "KilledWorker" in fatal[0]["error"]
    ok = [r for r in rows if r["seed"] != 5]
    assert all("_crash" in json.loads(r["settings"])["solver"] for r in ok)
    _check_against_serial(ok, {"R1": graph_dir / "R1"})  # the retried task's row is correct too


def test_worker_dying_inside_a_chunk(graph_dir: Path, tmp_path: Path) -> None:
    """Chunks of three runs: a worker dying inside a chunk has the chunk retried; the chunk holding the
    always-fatal seed exhausts its retries and its runs go again one by one, so its two other runs still get
    their correct rows and the fatal run alone a failed row. (A cluster of its own: up to five worker deaths.)"""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                              "distributed.scheduler.worker-saturation": 1.0,
                              "distributed.worker.daemon": False}):
            with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                          dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                          silence_logs=logging.CRITICAL) as cluster:
                with distributed.Client(cluster) as client, distributed.get_task_stream(client) as stream:
                    solver = functools.partial(_crash, marker=str(tmp_path / "died"), fatal_seed=5)
                    out = tmp_path / "rows.csv"
                    s = sweep(graph_dir / "R1", seeds=range(6), out=out, client=client, progress=False,
                              solver=solver, tasks_per_chunk=3, **OPTS)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    _check_dying(s, out, tmp_path, graph_dir)
    # Dask tasks that ended on a worker (those whose worker died are not in the stream): the two good runs of
    # the fatal chunk, alone, and the good chunk (or its three runs alone, when a death fell on it too)
    assert len({str(t["key"]) for t in stream.data}) in (3, 5), stream.data


def test_short_runs_share_dask_tasks(client, graph_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    with distributed.get_task_stream(client) as stream:  # runs of about a millisecond (no certified bound)
        s = sweep(graph_dir, seeds=range(16), out=out, client=client, progress=False, rounding="gw",
                  certify=False, **OPTS)
    assert (s.tasks, s.computed, s.failed) == (48, 48, 0)
    rows = read_rows(out)
    assert len(rows) == 48 and len(set(_keys(rows))) == 48
    dask_tasks = {str(t["key"]) for t in stream.data if "derand-sweep" in str(t["key"])}
    assert len(dask_tasks) < 48 / 2  # runs of milliseconds: several per Dask task
    graphs = {p.name: p for p in graph_dir.iterdir()}
    _check_against_serial([r for r in rows if r["seed"] % 5 == 0], graphs)


def test_chunk_sizes() -> None:
    from derand_fast.sweep import CHUNK_SECONDS, _Chunks

    chunks = _Chunks(range(1000), slots=2)  # stands in for the runs: only their number matters
    assert [len(chunks.take()) for _ in range(3)] == [1, 1, 1]  # nothing measured yet
    chunks.observe([{"time": 0.002}])
    sizes = []
    while chunks.queue:
        sizes.append(len(chunks.take()))
    assert sizes[0] == int(CHUNK_SECONDS / 0.002) and sum(sizes) == 997
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1  # the last chunks are short
    assert all(k <= -(-left // 4) for k, left in zip(sizes, 997 - np.cumsum([0, *sizes[:-1]])))
    slow = _Chunks(range(10), slots=1)
    slow.observe([{"time": 3.0}, {"time": None}])
    assert [len(slow.take()) for _ in range(2)] == [1, 1]  # runs longer than a chunk: one per task
    slow.observe([{"time": 0.001}] * 2)  # a first run that compiled, then fast ones: the median follows these
    assert slow.per_run == 0.001 and len(slow.take()) == 4
    fixed = _Chunks(range(10), slots=4, fixed=4)
    assert [len(fixed.take()) for _ in range(3)] == [4, 4, 2]


def test_scheduler_address(cluster, graph_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rows.csv"
    s = sweep([graph_dir / "R2"], seeds=[0, 1, 2], out=out, scheduler=cluster.scheduler_address,
              progress=False, **OPTS)
    assert (s.computed, s.failed) == (3, 0)
    _check_against_serial(read_rows(out), {"R2": graph_dir / "R2"})


def test_command_functions(cluster, graph_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "rows.csv"
    argv = [str(graph_dir / "R0"), str(graph_dir / "R2"), "--seeds", "0-1", "--grid", "n_hyperplanes=10",
            "--grid", "local_search=1flip", "--out", str(out), "--scheduler", cluster.scheduler_address, "--quiet"]
    assert run(parser.parse_args(argv)) == 0
    printed = capsys.readouterr().out
    assert "R0" in printed and "R2" in printed and "4 computed" in printed
    assert len(read_rows(out)) == 4
    assert run(parser.parse_args([*argv, "--grid", "max_sweeps=-1"])) == 1  # failed rows: exit 1
    assert run(parser.parse_args([*argv, "--grid", "bogus=1"])) == 2  # bad input: exit 2
    assert "unknown maxcut option" in capsys.readouterr().err


# ------------------------------------------------------------------------------ a killed client, then resume

_SCRIPT = """
import sys
from derand_fast.sweep import sweep
if __name__ == "__main__":
    sweep(sys.argv[1], seeds=range(12), out=sys.argv[2], workers=2, progress=False,
          n_hyperplanes=10, local_search="1flip")
"""


def test_resume_after_killed_client(client, graph_dir: Path, tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    script = tmp_path / "run_sweep.py"
    script.write_text(textwrap.dedent(_SCRIPT))
    out = tmp_path / "rows.csv"
    proc = subprocess.Popen([sys.executable, str(script), str(graph_dir), str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_text().count("\n") >= 3:  # the header and two rows
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before it could be killed"
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(children, timeout=30)  # the embedded cluster's workers go with their client
    for p in alive:
        p.kill()
    assert not alive
    with open(out, "a") as fh:
        fh.write("R0,24,36,deadbeef")  # as if killed while writing a row: the half line is dropped
    before = read_rows(out)
    assert 2 <= len(before) < 36
    s = sweep(graph_dir, seeds=range(12), out=out, client=client, progress=False, **OPTS)
    assert (s.skipped, s.computed, s.failed) == (len(before), 36 - len(before), 0)
    rows = read_rows(out)
    assert len(rows) == 36 and len(set(_keys(rows))) == 36
    assert out.read_text().count("\n") == 37 and out.read_text().endswith("\n")
    graphs = {p.name: p for p in graph_dir.iterdir()}
    _check_against_serial([r for r in rows if r["seed"] < 2], graphs)


_CLI = """
import argparse, sys
from derand_fast.sweep import add_arguments, run
if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    sys.exit(run(parser.parse_args(sys.argv[1:])))
"""


def test_ctrl_c_exits_130_with_rows_intact(cluster, client, graph_dir: Path, tmp_path: Path) -> None:
    script = tmp_path / "cli.py"
    script.write_text(textwrap.dedent(_CLI))
    out = tmp_path / "rows.csv"
    argv = [str(graph_dir), "--seeds", "0-19", "--grid", "n_hyperplanes=10", "--grid", "local_search=1flip",
            "--out", str(out), "--scheduler", cluster.scheduler_address, "--quiet"]
    proc = subprocess.Popen([sys.executable, str(script), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if out.exists() and out.read_text().count("\n") >= 3:
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        stdout, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130
    assert "interrupted" in stdout
    rows = read_rows(out)
    assert 2 <= len(rows) < 60 and len(set(_keys(rows))) == len(rows) and out.read_text().endswith("\n")
    s = sweep(graph_dir, seeds=range(20), out=out, client=client, progress=False, **OPTS)
    assert (s.skipped, s.computed, s.failed) == (len(rows), 60 - len(rows), 0)
    assert len(read_rows(out)) == 60


# ---------------------------------------------------------------------------------------- without a cluster


def test_parse_seeds_and_grid() -> None:
    assert parse_seeds("0,1,2") == [0, 1, 2]
    assert parse_seeds("0-3,10,2") == [0, 1, 2, 3, 10]
    for bad in ("a", "3-1", "-1", "1,,2"):
        with pytest.raises(ValueError, match="--seeds"):
            parse_seeds(bad)
    assert parse_grid(["rounding=gw,derand-exact", "time-limit=0.5", "certify=false", "rank=null"]) == \
        {"rounding": ["gw", "derand-exact"], "time_limit": [0.5], "certify": [False], "rank": [None]}
    for bad in (["rounding"], ["=1"], ["a=1", "a=2"]):
        with pytest.raises(ValueError, match="--grid"):
            parse_grid(bad)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"bogus": 1}, "unknown maxcut option"),
    ({"seed": 1}, "seeds="),
    ({"grid": {"threads": [1, 2]}}, "threads cannot vary"),
    ({"grid": {"rank": [2]}, "rank": 3}, "both a grid key"),
    ({"initial_rank": object()}, "unknown maxcut option"),
    ({"rounding_options": {"x": object()}}, "JSON"),
    ({"seeds": [-1]}, "seeds"),
    ({"retries": -1}, "retries"),
    ({"workers": 0}, "workers"),
    ({"tasks_per_chunk": 0}, "tasks_per_chunk"),
])
def test_bad_input_is_refused_before_any_work(graph_dir: Path, tmp_path: Path, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        sweep(graph_dir, out=tmp_path / "rows.csv", progress=False, **kwargs)
    assert not (tmp_path / "rows.csv").exists() or read_rows(tmp_path / "rows.csv") == []


def test_output_checks(graph_dir: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "other.csv"
    foreign.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not a sweep output"):
        sweep(graph_dir, out=foreign, progress=False)
    with pytest.raises(FileNotFoundError):
        sweep(tmp_path / "missing", out=tmp_path / "rows.csv", progress=False)
    out = tmp_path / "rows.csv"
    out.write_text(",".join(COLUMNS) + "\n")
    import fcntl

    with open(out) as fh:  # another sweep holds the file
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ValueError, match="another sweep"):
            sweep(graph_dir, out=out, progress=False)


def test_problems_and_hash(graph_dir: Path, tmp_path: Path) -> None:
    (graph_dir / "R10").write_text((graph_dir / "R2").read_text())
    (graph_dir / "notes.md").write_text("not a graph")
    try:
        names = [Path(src).name for _, src in expand_problems(graph_dir)]
        assert names == ["R0", "R1", "R2", "R10"]  # natural order, non-graph files skipped
    finally:
        (graph_dir / "R10").unlink()
        (graph_dir / "notes.md").unlink()
    g = nx.Graph()
    g.add_nodes_from(range(24))
    g.add_edges_from(nx.random_regular_graph(3, 24, seed=0).edges())
    assert graph_hash(graph_dir / "R0") == graph_hash(g) == graph_hash(load_graph(g, name="x"))
    assert graph_hash(nx.cycle_graph(5)) != graph_hash(nx.path_graph(5))
    pairs = expand_problems([("a", g), graph_dir / "R1", {"b": nx.cycle_graph(4)}])
    assert [name for name, _ in pairs] == ["a", None, "b"]


def test_progress_lines_and_summary_table(tmp_path: Path) -> None:
    import io

    from derand_fast.runcontrol import Status
    from derand_fast.sweep import SweepSummary, _Progress

    stream = io.StringIO()
    p = _Progress(4, slots=2, enabled=True, stream=stream, every=0.0)
    p.update(0, 0)
    p.update(2, 1)
    p.update(4, 1, final=True)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("sweep: 0/4 done, 2 running, 0 failed")
    assert "2/4 done, 2 running, 1 failed" in lines[1] and "ETA" in lines[1]
    assert "4/4 done, 0 running, 1 failed" in lines[2] and "ETA" not in lines[2]
    calls: list = []  # the package's progress protocol: (stage, fraction, info), nothing on the stream
    p = _Progress(4, slots=2, enabled=lambda *a: calls.append(a), stream=stream, every=0.0)
    p.update(2, 0)
    assert calls == [("sweep", 0.5, calls[0][2])] and calls[0][2].startswith("2/4 done, 2 running, 0 failed")
    with pytest.raises(TypeError, match="progress must be"):
        _Progress(4, slots=2, enabled="yes")
    row = {c: None for c in COLUMNS}
    rows = [{**row, "graph": "G1", "settings": "{}", "cut": c, "error": "", "best_known": 11624.0}
            for c in (11600.0, 11624.0, 11612.0)]
    rows.append({**row, "graph": "G1", "settings": "{}", "error": "ValueError: x"})
    s = SweepSummary(out=tmp_path / "r.csv", tasks=4, skipped=0, computed=4, failed=1, lost=0,
                     status=Status.COMPLETED, elapsed=1.0, rows=rows)
    (stat,) = s.per_graph()
    assert (stat["runs"], stat["failed"], stat["best"], stat["mean"], stat["worst"]) == (4, 1, 11624, 11612, 11600)
    assert stat["std"] == pytest.approx(12.0) and stat["gap_to_best_known"] == 0.0
    table = s.table()
    assert "best known" in table and "11,624" in table and "1 failed" in table
    s.best_known = {"G1": 11700.0}
    assert s.per_graph()[0]["gap_to_best_known"] == pytest.approx(76 / 11700)
