"""Scaling run of the MAXCUT pipeline: random 3-regular graph, rank capped at 32.

Runs SDP + GW + local search on a random 3-regular graph with ``--n`` nodes
(default 10⁶) in this process and prints one JSON line: time per sweep,
stage times, cut, SDP value and the peak resident memory (``ru_maxrss``)::

    python benchmarks/scaling_maxcut.py --n 1000000 --rank 32

``benchmarks/test_bench_maxcut.py`` runs it in a fresh process (small ``n``
in smoke mode) so the peak memory is this run's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time

import numpy as np


def random_3_regular(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A simple random 3-regular graph: the union of three random perfect matchings.

    A matching that repeats an edge of the previous ones is redrawn (rare), so
    every node has exactly three distinct neighbours. ``n`` must be even.
    """
    if n % 2 or n < 4:
        raise ValueError("n must be even and >= 4")
    rng = np.random.default_rng(seed)
    seen = np.zeros(0, dtype=np.int64)
    us, vs = [], []
    while len(us) < 3:
        p = rng.permutation(n)
        a, b = p[0::2], p[1::2]
        u, v = np.minimum(a, b), np.maximum(a, b)
        key = u.astype(np.int64) * n + v
        if np.intersect1d(key, seen).size:
            continue
        seen = np.concatenate([seen, key])
        us.append(u)
        vs.append(v)
    return np.concatenate(us), np.concatenate(vs)


def main() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the derand-fast command does
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--rank", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--hyperplanes", type=int, default=1000)
    ap.add_argument("--max-sweeps", type=int, default=1000)
    ap.add_argument("--via-file", action="store_true",
                    help="write the graph as a Gset file and time load_graph on it")
    args = ap.parse_args()

    from derand_fast.maxcut import Graph, load_graph, maxcut

    t0 = time.perf_counter()
    u, v = random_3_regular(args.n, args.seed)
    g = Graph.from_edges(args.n, u, v, name=f"random 3-regular n={args.n}")
    t_graph = time.perf_counter() - t0
    t_parse = None
    if args.via_file:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "regular3.txt")
            body = np.column_stack([g.u + 1, g.v + 1, np.ones(g.m, dtype=np.int64)])
            with open(path, "w") as fh:
                fh.write(f"{g.n} {g.m}\n")
                np.savetxt(fh, body, fmt="%d")
            t1 = time.perf_counter()
            g2 = load_graph(path)
            t_parse = time.perf_counter() - t1
        assert g2.same_as(g)
    res = maxcut(g, rank=args.rank, seed=args.seed, threads=args.threads, rounding="gw",
                 n_hyperplanes=args.hyperplanes, max_sweeps=args.max_sweeps)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out = {
        "n": g.n, "m": g.m, "rank": res.sdp["rank"], "threads": res.threads,
        "graph_build_s": t_graph, "parse_s": t_parse,
        "sweeps": res.sdp["sweeps"], "sdp_status": res.sdp["message"],
        "time_per_sweep_s": res.sdp["sweep_time"] / max(res.sdp["sweeps"], 1),
        "times": res.times, "sdp_value": res.sdp_value, "gw_best": res.gw_best, "cut": res.cut,
        "peak_rss_mb": peak_mb,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
