"""Comparison table of the MAXCUT roundings over the Gset graphs.

For every graph: the mixing-method SDP (its objective bounds the cut), GW
rounding (best of 1000 hyperplanes), the paper's Monte Carlo derandomization
(``derand-mc``, with a per-graph time budget; ``--mc-time 0`` skips it), the
exact-objective derandomization (``derand-exact``), each followed by 1-flip
local search; then GW + tabu search and derand-exact + tabu search with the
same budget (``--tabu-time`` seconds or ``--tabu-moves`` moves), so the table
shows what the derandomized start contributes against what the polish does;
and the whole pipeline ``maxcut(rounding="derand-exact", local_search="tabu",
n_hyperplanes=0, time_limit=--pipeline-time)`` (SDP + derand-exact + tabu,
default 10 s: the MQLib comparison of the issue), with its total time. Then
the best-known cut, the gaps to it and the times. Rows are appended to a CSV
as they finish (a partial run keeps its rows); a markdown table with the
summary is written at the end.

Usage::

    python benchmarks/gset_table.py --threads 1                   # all 71 graphs
    python benchmarks/gset_table.py --graphs G1,G22,G81 --mc-time 10 --tabu-time 5 --out /tmp/gset

Needs the data folder ``../shared/data/gset`` (or ``--data``). With a time
budget (``--tabu-time``, ``--pipeline-time``) the cuts depend on the
machine's speed and load (the ``load`` column is the 1-minute load average
when the row finished); ``--tabu-moves`` makes the tabu columns
deterministic.
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

from derand_fast.maxcut import gw_rounding, load_graph, local_search, maxcut, solve_sdp
from derand_fast.maxcut.polish import tabu_search
from derand_fast.maxcut.derand_exact import derand_exact
from derand_fast.maxcut.derand_mc import derand_mc

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "gset"

COLUMNS = ["graph", "n", "m", "sdp_value", "gw_best", "gw_best_ls", "mc", "mc_ls", "exact", "exact_ls",
           "gw_tabu", "exact_tabu", "pipeline", "best_known", "gap_exact_ls_pct", "gap_exact_tabu_pct",
           "gap_pipeline_pct", "exact_ge_gw", "t_sdp", "t_gw", "t_mc", "t_exact", "t_ls", "t_tabu", "t_pipeline",
           "mc_nit", "load"]


def graph_names(data: Path) -> list[str]:
    names = [p.name for p in data.iterdir() if re.fullmatch(r"G\d+", p.name)]
    return sorted(names, key=lambda s: int(s[1:]))


def best_known_table(data: Path) -> dict[str, float]:
    with open(data / "best_known.csv", newline="", encoding="utf-8") as fh:
        return {row["name"]: float(row["best_known"]) for row in csv.DictReader(fh)}


def gap_pct(best: float | None, cut: float | None) -> float:
    """Percent below the best-known cut (NaN when either is unknown)."""
    if best is None or cut is None:
        return math.nan
    return round(100.0 * (best - cut) / abs(best), 3)


def run_graph(path: Path, best: float | None, *, mc_time: float, tabu_time: float | None, tabu_moves: int | None,
              pipeline_time: float, seed: int, threads: int | None) -> dict:
    g = load_graph(path)
    t = time.perf_counter()
    sdp = solve_sdp(g, seed=seed, threads=threads)
    t_sdp = time.perf_counter() - t
    t = time.perf_counter()
    gw_out = gw_rounding(g, sdp.V, seed=seed, threads=threads, n_hyperplanes=1000)
    x_gw, gw = gw_out.x, gw_out.info
    t_gw = time.perf_counter() - t
    mc, t_mc, mc_ls = None, math.nan, None
    if mc_time > 0:
        t = time.perf_counter()
        mc = derand_mc(g, sdp.V, seed=seed, threads=threads, time_limit=mc_time)
        t_mc = time.perf_counter() - t
        mc_ls = local_search(g, mc.x).cut
    t = time.perf_counter()
    ex = derand_exact(g, sdp.V, seed=seed, threads=threads)
    t_exact = time.perf_counter() - t
    t = time.perf_counter()
    ls_exact = local_search(g, ex.x)
    t_ls = time.perf_counter() - t
    ls_gw = local_search(g, x_gw)
    budget = {"max_moves": tabu_moves, "time_limit": tabu_time}
    ts_gw = tabu_search(g, x_gw, seed=seed, **budget)
    ts_exact = tabu_search(g, ex.x, seed=seed, **budget)
    pipe, t_pipe = None, math.nan
    if pipeline_time > 0:
        t = time.perf_counter()
        pipe = maxcut(g, rounding="derand-exact", local_search="tabu", n_hyperplanes=0, time_limit=pipeline_time,
                      seed=seed, threads=threads).cut
        t_pipe = time.perf_counter() - t
    return {"graph": path.name, "n": g.n, "m": g.m, "sdp_value": round(sdp.objective, 2),
            "gw_best": gw["gw_best"], "gw_best_ls": ls_gw.cut, "mc": None if mc is None else mc.cut, "mc_ls": mc_ls,
            "exact": ex.cut, "exact_ls": ls_exact.cut, "gw_tabu": ts_gw.cut, "exact_tabu": ts_exact.cut,
            "pipeline": pipe, "best_known": best, "gap_exact_ls_pct": gap_pct(best, ls_exact.cut),
            "gap_exact_tabu_pct": gap_pct(best, ts_exact.cut), "gap_pipeline_pct": gap_pct(best, pipe),
            "exact_ge_gw": bool(ex.cut >= gw["gw_best"]), "t_sdp": round(t_sdp, 2), "t_gw": round(t_gw, 2),
            "t_mc": round(t_mc, 2), "t_exact": round(t_exact, 2), "t_ls": round(t_ls, 3),
            "t_tabu": round(ts_exact.time, 2), "t_pipeline": round(t_pipe, 2),
            "mc_nit": None if mc is None else mc.nit, "load": round(os.getloadavg()[0], 1)}


def summarize(rows: list[dict], column: str) -> str:
    gaps = np.array([float(r[column]) for r in rows if r[column] is not None and not math.isnan(float(r[column]))])
    return f"mean {gaps.mean():.3f}%, worst {gaps.max():.3f}% ({gaps.size} graphs)" if gaps.size else "-"


def write_markdown(rows: list[dict], path: Path, header: str) -> None:
    wins = sum(str(r["exact_ge_gw"]) == "True" for r in rows)
    lines = [header, "",
             f"graphs: {len(rows)}; derand-exact (before local search) >= GW best of 1000 on {wins}/{len(rows)}.", "",
             "Gap to best-known:", "",
             f"- derand-exact + 1-flip local search: {summarize(rows, 'gap_exact_ls_pct')}",
             f"- derand-exact + tabu search: {summarize(rows, 'gap_exact_tabu_pct')}",
             f"- whole pipeline (SDP + derand-exact + tabu) within the time limit: "
             f"{summarize(rows, 'gap_pipeline_pct')}", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join("-" if r[c] is None else str(r[c]) for c in COLUMNS) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--graphs", default=None, help="comma-separated names (default: all in --data)")
    ap.add_argument("--mc-time", type=float, default=20.0, help="seconds of derand-mc per graph (0 skips it)")
    ap.add_argument("--tabu-time", type=float, default=5.0, help="seconds of each tabu search per graph")
    ap.add_argument("--tabu-moves", type=int, default=None,
                    help="moves of each tabu search (deterministic; replaces --tabu-time)")
    ap.add_argument("--pipeline-time", type=float, default=10.0,
                    help="time limit of the whole-pipeline column (0 skips it)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gset_table")
    args = ap.parse_args(argv)
    names = args.graphs.split(",") if args.graphs else graph_names(args.data)
    best = best_known_table(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = args.out.with_suffix(".csv"), args.out.with_suffix(".md")
    rows: list[dict] = []
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for name in names:
            row = run_graph(args.data / name, best.get(name), mc_time=args.mc_time,
                            tabu_time=None if args.tabu_moves is not None else args.tabu_time,
                            tabu_moves=args.tabu_moves, pipeline_time=args.pipeline_time, seed=args.seed,
                            threads=args.threads)
            rows.append(row)
            writer.writerow(row)
            fh.flush()
            print(" ".join(f"{k}={row[k]}" for k in ("graph", "gw_best", "exact", "exact_ls", "gw_tabu", "exact_tabu",
                                                      "pipeline", "best_known", "t_pipeline")), flush=True)
    tabu = f"{args.tabu_moves} moves" if args.tabu_moves is not None else f"{args.tabu_time:g} s"
    write_markdown(rows, md_path, f"# Gset comparison (seed {args.seed}, threads {args.threads}, derand-mc budget "
                                  f"{args.mc_time:g} s/graph, tabu {tabu}, pipeline {args.pipeline_time:g} s)")
    print(md_path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
