"""The scale run: a random 3-regular (multi)graph with 10^7 nodes end to end through ``derand-fast maxcut``.

The graph is the union of three uniformly random perfect matchings (every node has degree 3; the rare
repeated pair becomes one edge of weight 2), written as a Gset file. The command then loads it, solves
the SDP, certifies a bound, rounds, polishes and writes its JSON, under ``/usr/bin/time -v`` for the
peak memory (maximum resident set size).

Usage::

    python benchmarks/scale_run.py [--n 10000000] [--time-limit 540] [--threads 2] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def write_graph(n: int, path: Path, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    edges = np.concatenate([rng.permutation(n).reshape(-1, 2) for _ in range(3)]) + 1
    with open(path, "w") as fh:
        fh.write(f"{n} {edges.shape[0]}\n")
        for start in range(0, edges.shape[0], 1_000_000):
            block = edges[start:start + 1_000_000]
            fh.write("\n".join(f"{a} {b} 1" for a, b in block.tolist()) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--time-limit", type=float, default=540.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dir", default="/tmp")
    args = ap.parse_args()
    path = Path(args.dir) / f"regular3_{args.n}.txt"
    if not path.exists():
        t = time.perf_counter()
        write_graph(args.n, path)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.0f} s", flush=True)
    out = Path(args.dir) / f"regular3_{args.n}.json"
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "derand_fast.cli", "maxcut", str(path), "--time-limit",
           str(args.time_limit), "--threads", str(args.threads), "--verbose", "--json", str(out)]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    print(r.stdout)
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
    d = json.loads(out.read_text()) if out.exists() else {}
    print(f"wall {wall:.1f} s, peak RSS {int(peak.group(1)) / 2**20:.2f} GiB" if peak else f"wall {wall:.1f} s")
    print({k: d.get(k) for k in ("n", "m", "cut", "gw_best", "rounding_cut", "upper_bound", "gap", "status",
                                 "best_stage", "times")})


if __name__ == "__main__":
    main()
