"""The paper's Monte Carlo derandomization (``derand-mc``) on Gset at a fixed budget, with its cost model.

Four parts, written to ``docs/results/derand_mc_table.md`` (and ``.csv``):

1. **Six-graph table** (G1, G22, G43, G55, G70, G81 by default): the SDP
   (mixing method, ``--seed``), GW rounding (best of 1000 hyperplanes),
   ``derand-exact`` and ``derand-mc``, each rounding given ``--time`` seconds
   after the shared SDP and no local search. Targets checked per graph:
   derand-mc >= 99.5 % of derand-exact and >= GW's best of 1000.
2. **Machine limits and the cost of one step**: BLAS GEMM GFLOP/s (one
   thread, the projection's shape) and memory bandwidth (NumPy ``add`` on
   64 MiB arrays), measured in this process; the flops and the bytes of one
   derand-mc step on G81 (``samples × (2 n r`` for the projection ``+ 4 m``
   for the sparse pass ``+ ~12 n`` elementwise``)``; bytes: the projections,
   the two work arrays written and read back, the CSR arrays), each step's
   bound ``max(flops / GFLOP/s, bytes / bandwidth)`` and the measured time
   over it, for fresh samples (one GEMM per step) and for the pool of
   common random numbers (no GEMM); 1 and 2 threads, and whether they give
   the same bits.
3. **Levers** on ``--lever-graphs`` at the same budget: the paper's Algorithm 1
   (``schedule="pgd"``), then the annealed schedule with the App. F.1
   indicator and fresh samples, + the centred indicator, + antithetic pairs,
   + the pool (the default), + Sobol points.
4. Optionally (``--column``) the 71-graph column: GW, derand-exact and
   derand-mc at ``--time`` seconds on every Gset graph.

Usage::

    flock /tmp/derand_bench.lock python benchmarks/derand_mc_table.py --threads 1
    flock /tmp/derand_bench.lock python benchmarks/derand_mc_table.py --column --out /tmp/mc71

Needs the data folder ``../shared/data/gset`` (or ``--data``). Cuts at a
time budget depend on the machine's speed and load: every row records the
1-minute load average.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import time
from pathlib import Path

import numpy as np

from derand_fast.maxcut import gw_rounding, load_graph, solve_sdp
from derand_fast.maxcut.derand_exact import derand_exact
from derand_fast.maxcut.derand_mc import SmoothedCutMC, derand_mc

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "gset"
SIX = "G1,G22,G43,G55,G70,G81"
LEVERS = [
    ("paper's Algorithm 1 (PGD on V, mu; F.1 indicator; fresh samples)", {"schedule": "pgd"}),
    ("annealed s, F.1 indicator (eps 0.3 s), fresh samples", {"indicator": "paper", "eps": 0.3, "antithetic": False,
                                                  "pool": None}),
    ("+ centred indicator (eps 0.5 s)", {"antithetic": False, "pool": None}),
    ("+ antithetic pairs", {"pool": None}),
    ("+ pool of common random numbers (default)", {}),
    ("+ Sobol points", {"qmc": True}),
]


def load() -> float:
    return round(os.getloadavg()[0], 1)


def graph_names(data: Path) -> list[str]:
    names = [p.name for p in data.iterdir() if re.fullmatch(r"G\d+", p.name)]
    return sorted(names, key=lambda s: int(s[1:]))


def run_graph(path: Path, *, budget: float, seed: int, threads: int | None, levers: bool) -> tuple[dict, list]:
    g = load_graph(path)
    t = time.perf_counter()
    sdp = solve_sdp(g, seed=seed, threads=threads)
    t_sdp = time.perf_counter() - t
    gw_best = float(gw_rounding(g, sdp.V, seed=seed, threads=threads, n_hyperplanes=1000).cut)
    t = time.perf_counter()
    ex = derand_exact(g, sdp.V, seed=seed, threads=threads, time_limit=budget)
    t_ex = time.perf_counter() - t
    t = time.perf_counter()
    mc = derand_mc(g, sdp.V, seed=seed, threads=threads, time_limit=budget)
    t_mc = time.perf_counter() - t
    row = {"graph": path.name, "n": g.n, "m": g.m, "rank": sdp.V.shape[1], "gw_best": gw_best, "exact": ex.cut,
           "mc": mc.cut, "mc_over_exact_pct": round(100.0 * mc.cut / ex.cut, 3) if ex.cut else math.nan,
           "mc_ge_995_exact": bool(mc.cut >= 0.995 * ex.cut), "mc_ge_gw": bool(mc.cut >= gw_best),
           "mc_steps": mc.nit, "t_mc": round(t_mc, 2), "ms_per_step": round(1e3 * t_mc / max(mc.nit, 1), 2),
           "t_exact": round(t_ex, 2), "t_sdp": round(t_sdp, 2), "load": load()}
    lever_rows = []
    if levers:
        for label, kw in LEVERS:
            t = time.perf_counter()
            out = derand_mc(g, sdp.V, seed=seed, threads=threads, time_limit=budget, **kw)
            el = time.perf_counter() - t
            lever_rows.append({"graph": path.name, "lever": label, "cut": out.cut, "steps": out.nit,
                               "ms_per_step": round(1e3 * el / max(out.nit, 1), 2), "load": load()})
            print(lever_rows[-1], flush=True)
    return row, lever_rows


def machine_limits() -> dict:
    """One-thread GEMM GFLOP/s (the projection's shape and a square one) and memory bandwidth (GB/s)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    out = {}
    with threadpool_limits(1, "blas"):
        for label, (a, b, c) in (("gemm_proj", (20000, 200, 32)), ("gemm_square", (1024, 1024, 1024))):
            A, Bm = rng.standard_normal((a, b)), rng.standard_normal((b, c))
            A @ Bm
            best = min(_timed(lambda: A @ Bm) for _ in range(5))
            out[label + "_gflops"] = round(2.0 * a * b * c / best / 1e9, 2)
    x, y, z = (np.ones(8 << 20) for _ in range(3))  # 64 MiB each
    np.add(x, y, out=z)
    best = min(_timed(lambda: np.add(x, y, out=z)) for _ in range(5))
    out["bandwidth_gbs"] = round(3 * x.nbytes / best / 1e9, 2)
    return out


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def step_cost(path: Path, limits: dict, *, seed: int, n_samples: int = 64) -> list[dict]:
    """Time one derand-mc step (fresh samples / pool; 1 and 2 threads) on ``path`` against the machine's bound."""
    g = load_graph(path)
    V = solve_sdp(g, seed=seed, threads=1).V
    n, r, m = g.n, V.shape[1], g.m
    mu = np.random.default_rng(seed).normal(0.0, 0.3, n)
    rows = []
    B = n_samples  # evaluations: n_samples / 2 points at +-z
    pts = B // 2
    flops_pass = B * (4.0 * m + 12.0 * n)
    bytes_pass = B * n * 8.0 * (1 + 4) + 2 * m * 16.0 * 2 + 4 * n * 8.0  # P read; S, D written + read; CSR; mu, grad
    bw, gf = limits["bandwidth_gbs"] * 1e9, limits["gemm_proj_gflops"] * 1e9
    results = {}
    for pool in (None, 1024):
        flops = flops_pass + (2.0 * n * r * pts if pool is None else 0.0)
        bytes_ = bytes_pass + (8.0 * n * r if pool is None else 0.0)
        bound = max(flops / gf if pool is None else 0.0, flops_pass / (4 * gf), bytes_ / bw)
        for threads in (1, 2):
            est = SmoothedCutMC(g, eps=0.25, n_samples=B, seed=seed, threads=threads, indicator="centred")
            sm = est.smoother(V, antithetic=True, pool=pool)
            with sm.scope():
                e0 = sm.estimate(mu, 0.5, 0)
                ts = []
                for k in range(1, 31):
                    t = time.perf_counter()
                    sm.estimate(mu, 0.5, k)
                    ts.append(time.perf_counter() - t)
                e1 = sm.estimate(mu, 0.5, 0)
            t_step = float(np.median(ts))
            results[(pool, threads)] = (e0, t_step)
            rows.append({"graph": path.name, "samples": "pool of 1024 (CRN)" if pool else "fresh (GEMM per step)",
                         "threads": threads, "ms_per_step": round(t_step * 1e3, 3),
                         "gflop_per_step": round(flops / 1e9, 4), "mbytes_per_step": round(bytes_ / 1e6, 2),
                         "bound_ms": round(bound * 1e3, 3), "time_over_bound": round(t_step / bound, 2),
                         "same_bits_as_1_thread": bool(e1.value == e0.value)
                         if threads == 1 else bool(np.array_equal(e0.grad_b, results[(pool, 1)][0].grad_b)
                                                   and e0.value == results[(pool, 1)][0].value),
                         "load": load()})
            print(rows[-1], flush=True)
    return rows


def table(rows: list[dict], cols: list[str]) -> list[str]:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return lines


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--graphs", default=SIX)
    ap.add_argument("--time", type=float, default=10.0, help="seconds per rounding (after the SDP)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lever-graphs", default="G22,G81", help="graphs for the lever table ('' skips it)")
    ap.add_argument("--cost-graph", default="G81", help="graph for the per-step cost ('' skips it)")
    ap.add_argument("--column", action="store_true", help="all Gset graphs (12+ minutes at 10 s)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "derand_mc_table")
    args = ap.parse_args(argv)
    names = graph_names(args.data) if args.column else [s for s in args.graphs.split(",") if s]
    lever_graphs = set(s for s in args.lever_graphs.split(",") if s) if not args.column else set()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = (f"seed {args.seed}, threads {args.threads}, {args.time:g} s per rounding after the shared SDP, "
              "no local search")
    limits = machine_limits()
    print(limits, flush=True)
    rows, lever_rows = [], []
    with open(args.out.with_suffix(".csv"), "w", newline="", encoding="utf-8") as fh:
        writer = None
        for name in names:
            row, lv = run_graph(args.data / name, budget=args.time, seed=args.seed, threads=args.threads,
                                levers=name in lever_graphs)
            rows.append(row)
            lever_rows += lv
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            fh.flush()
            print(row, flush=True)
    cost = step_cost(args.data / args.cost_graph, limits, seed=args.seed) if args.cost_graph and not args.column \
        else []
    lines = [f"# derand-mc on Gset ({header})", "",
             f"Command: `flock /tmp/derand_bench.lock python benchmarks/derand_mc_table.py "
             f"{'--column ' if args.column else ''}--threads {args.threads} --time {args.time:g} --seed {args.seed}`",
             ""]
    if rows:
        ok = [r for r in rows if r["mc_ge_995_exact"] and r["mc_ge_gw"]]
        ratios = np.array([r["mc_over_exact_pct"] for r in rows])
        lines += [f"derand-mc >= 99.5 % of derand-exact and >= GW best of 1000 on {len(ok)}/{len(rows)} graphs; "
                  f"derand-mc / derand-exact: mean {ratios.mean():.3f} %, worst {ratios.min():.3f} %; "
                  f">= GW on {sum(r['mc_ge_gw'] for r in rows)}/{len(rows)}.", ""]
        lines += table(rows, list(rows[0]))
    lines += ["", f"Machine (this process, BLAS on one thread): {limits}", ""]
    if cost:
        lines += [f"## One step on {args.cost_graph} (64 evaluations = 32 antithetic points, rank of the SDP)", "",
                  "Bound = max(flops / GEMM GFLOP/s [projection; the sparse pass at 4x that rate, i.e. vectorized "
                  "FMA], bytes / bandwidth).", ""]
        lines += table(cost, list(cost[0]))
    if lever_rows:
        lines += ["", "## Levers (same budget, seed, threads)", ""]
        lines += table(lever_rows, list(lever_rows[0]))
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
