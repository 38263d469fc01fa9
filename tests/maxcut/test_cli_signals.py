"""The command under real signals, closed pipes and unwritable outputs: the result is never lost.

Each run prints its stages with ``--verbose``; the test sends SIGINT or SIGTERM
once the wanted stage has started and checks the exit code (130 / 143), the
time from the signal to the exit, the summary on stdout and a valid JSON file
whose status names the signal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from derand_fast.runcontrol import Status

EXE = [sys.executable, "-m", "derand_fast.cli"]


@pytest.fixture(scope="module")
def torus_file(tmp_path_factory):
    """A 100 x 100 toroidal grid with ±1 weights in Gset format (the G62–G81 family in miniature)."""
    side = 100
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx.ravel(), idx.ravel()])
    v = np.concatenate([np.roll(idx, -1, axis=0).ravel(), np.roll(idx, -1, axis=1).ravel()])
    w = np.random.default_rng(0).choice([-1, 1], u.size)
    path = tmp_path_factory.mktemp("cli") / "torus.txt"
    lines = [f"{side * side} {u.size}"] + [f"{a + 1} {b + 1} {c}" for a, b, c in zip(u, v, w)]
    path.write_text("\n".join(lines) + "\n")
    return path


# options that make the stage long enough to be signalled while it runs
STAGES = {
    "sdp": ["--rank", "64"],
    "gw": ["--hyperplanes", "10000000"],
    "rounding derand-exact": ["--hyperplanes", "10"],
    "polish anneal": ["--hyperplanes", "10", "--local-search-sweeps", "1000000000000"],
    "polish tabu": ["--hyperplanes", "10", "--local-search", "tabu", "--local-search-moves", "1000000000000"],
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("stage", list(STAGES))
def test_signal_during_a_stage_keeps_the_result(stage, signum, torus_file, tmp_path):
    out = tmp_path / "r.json"
    cmd = [*EXE, "maxcut", str(torus_file), "--threads", "1", "--verbose", "--json", str(out), *STAGES[stage]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if f"] {stage} " in line:
                break
        else:
            pytest.fail(f"stage {stage!r} never started: {''.join(seen)}")
        time.sleep(0.3)
        sent = time.perf_counter()
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
        latency = time.perf_counter() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    want = Status.INTERRUPTED if signum == signal.SIGINT else Status.TERMINATED
    assert proc.returncode == (130 if signum == signal.SIGINT else 143), stderr
    # the bound is 1 s; a loaded 2-core CI machine gets slack (the closing note quotes the real times)
    assert latency < 10.0, latency
    assert "Traceback" not in stderr and "CUT" in stdout
    d = json.loads(out.read_text())
    assert d["status"] == want and d["cut"] > 0 and len(d["partition"]) == 10_000


def _run(args, **kw):
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=120, **kw)


def test_json_is_written_before_the_summary_meets_a_closed_pipe(tmp_path):
    out = tmp_path / "o.json"
    cmd = " ".join([*EXE, "maxcut", "--local-search", "1flip", "--hyperplanes", "20", "--json", str(out)])
    r = subprocess.run(f"{cmd} | head -1", shell=True, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("MAXCUT")
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
    assert json.loads(out.read_text())["cut"] > 0


def test_json_dash_is_standard_output(tmp_path):
    r = _run(["maxcut", "--local-search", "1flip", "--hyperplanes", "20", "--json", "-"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["n"] == 1000 and not (tmp_path / "-").exists()


@pytest.mark.parametrize("target,message", [("missing-dir/o.json", "does not exist"), (".", "directory")])
def test_unwritable_json_is_refused_before_the_run(target, message, tmp_path):
    t = time.perf_counter()
    r = _run(["maxcut", "--json", target], cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and r.stdout == ""
    assert time.perf_counter() - t < 30  # refused up front, not after the run


def test_json_onto_the_input_is_refused(tmp_path):
    g = tmp_path / "g.txt"
    g.write_text("3 3\n1 2 1\n2 3 1\n1 3 1\n")
    r = _run(["maxcut", str(g), "--json", str(g)])
    assert r.returncode == 2 and "input" in r.stderr and g.read_text().startswith("3 3")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_json_in_a_read_only_folder_is_refused(tmp_path):  # pragma: no cover - CI runs as root
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    r = _run(["maxcut", "--json", str(ro / "o.json")])
    assert r.returncode == 2


@pytest.mark.parametrize("seed", ["-1", str(2**63), str(2**64)])
def test_seeds_outside_the_documented_range_are_refused_up_front(seed):
    r = _run(["maxcut", "--seed", seed])
    assert r.returncode == 2 and "2^63" not in r.stdout and "[0, 9223372036854775807]" in r.stderr or \
        (seed == "-1" and r.returncode == 2)


def test_impossible_sizes_are_refused_up_front():
    r = _run(["maxcut", "--rank", str(10**9)])
    assert r.returncode == 2 and "rank" in r.stderr and "Traceback" not in r.stderr


def test_a_huge_hyperplane_count_streams_under_a_time_limit():
    # GW keeps a running best and mean: 10^12 hyperplanes need no memory, the clock stops them
    r = _run(["maxcut", "--hyperplanes", str(10**12), "--time-limit", "6", "--threads", "1", "--json", "-"])
    d = json.loads(r.stdout)
    assert r.returncode == 0 and d["gw"]["requested"] == 10**12 and 0 < d["gw"]["n_hyperplanes"] < 10**12


def test_time_limit_counts_from_the_process_start(torus_file):
    t = time.perf_counter()
    r = _run(["maxcut", str(torus_file), "--threads", "1", "--time-limit", "3", "--json", "-"])
    wall = time.perf_counter() - t
    assert r.returncode == 0 and json.loads(r.stdout)["status"] == Status.TIME_LIMIT
    assert wall < 3.0 + 3.0, wall  # the bound is T + max(5 % T, 1 s); slack for a loaded CI machine
