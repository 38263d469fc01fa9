"""Benchmark-size checks of the run-control guarantees of ``derand-fast maxcut`` (the tests run small versions).

1. ``--time-limit T`` on a 2·10^6-node graph (three random perfect matchings):
   wall time of the whole process against ``T + max(5 % T, 1 s)``.
2. A 10^6-node perfect matching with ``--time-limit 20``: the cut must be 500 000.
3. Time from SIGINT / SIGTERM to the exit on G81 at each stage (sdp, gw,
   rounding derand-exact, polish anneal), with the exit code and the JSON status.

Usage: ``python benchmarks/run_control_checks.py [--data ../shared/data] [--out docs/results/run_control.md]``
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

EXE = [sys.executable, "-m", "derand_fast.cli", "maxcut"]


def matchings(n: int, k: int, path: Path, seed: int = 5) -> Path:
    rng = np.random.default_rng(seed)
    edges = np.concatenate([rng.permutation(n).reshape(-1, 2) for _ in range(k)]) + 1
    np.savetxt(path, edges, fmt="%d")
    return path


def timed_run(args: list[str]) -> tuple[float, int, dict]:
    t = time.perf_counter()
    r = subprocess.run([*EXE, *args, "--json", "-", "--threads", "1"], capture_output=True, text=True)
    wall = time.perf_counter() - t
    return wall, r.returncode, json.loads(r.stdout) if r.stdout.strip() else {}


def signal_latency(graph: Path, stage: str, signum: int, extra: list[str]) -> tuple[float, int, int | None]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        proc = subprocess.Popen([*EXE, str(graph), "--threads", "1", "--verbose", "--json", str(out), *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:  # type: ignore[union-attr]
            if f"] {stage} " in line:
                break
        time.sleep(0.5)
        sent = time.perf_counter()
        proc.send_signal(signum)
        proc.communicate(timeout=120)
        latency = time.perf_counter() - sent
        status = json.loads(out.read_text())["status"] if out.exists() else None
    return latency, proc.returncode, status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--out", default=None, help="also write the report (Markdown) here")
    args = ap.parse_args()
    lines = ["# Run-control checks", "", "| check | setting | result |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        big = matchings(2 * 10**6, 3, Path(tmp) / "m3.el")
        for T in (1.0, 5.0, 10.0, 20.0):
            wall, rc, d = timed_run([str(big), "--time-limit", str(T)])
            bound = T + max(0.05 * T, 1.0)
            lines.append(f"| time limit, n = 2e6, m = 3e6 | T = {T:g} s | wall {wall:.2f} s (bound {bound:.2f} s), "
                         f"rc {rc}, status {d.get('status')}, cut {d.get('cut')} |")
            print(lines[-1], flush=True)
        one = matchings(10**6, 1, Path(tmp) / "m.el")
        wall, rc, d = timed_run([str(one), "--time-limit", "20"])
        lines.append(f"| perfect matching n = 1e6 | T = 20 s | cut {d.get('cut')} (optimum 500000), "
                     f"wall {wall:.2f} s |")
        print(lines[-1], flush=True)
    g81 = Path(args.data) / "gset" / "G81"
    if g81.exists():
        stages = {"sdp": [], "gw": ["--hyperplanes", "10000000"], "rounding derand-exact": ["--hyperplanes", "10"],
                  "polish anneal": ["--hyperplanes", "10", "--local-search-sweeps", "1000000000000"]}
        for stage, extra in stages.items():
            for signum in (signal.SIGINT, signal.SIGTERM):
                latency, rc, status = signal_latency(g81, stage, signum, extra)
                lines.append(f"| {signal.Signals(signum).name} on G81 | during {stage} | exit in {latency:.2f} s, "
                             f"rc {rc}, JSON status {status} |")
                print(lines[-1], flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
