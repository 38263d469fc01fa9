"""Comparison table of the MAXCUT roundings over the Gset graphs (issue #5).

For every graph: the mixing-method SDP (its objective bounds the cut), GW
rounding (best of 1000 hyperplanes), the paper's Monte Carlo derandomization
(``derand-mc``, with a per-graph time budget), the exact-objective
derandomization (``derand-exact``), each followed by 1-flip local search, the
best-known cut and the gap to it, and the times. Rows are appended to a CSV
as they finish (a partial run keeps its rows); a markdown table with the
summary is written at the end.

Usage::

    python benchmarks/gset_table.py                       # all 71 graphs
    python benchmarks/gset_table.py --graphs G1,G22,G81 --mc-time 10 --out /tmp/gset

Needs the data folder ``../shared/data/gset`` (or ``--data``).
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import time
from pathlib import Path

import numpy as np

from derand_fast.maxcut import gw_rounding, load_graph, local_search, solve_sdp
from derand_fast.maxcut.derand_exact import derand_exact
from derand_fast.maxcut.derand_mc import derand_mc

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "gset"

COLUMNS = ["graph", "n", "m", "sdp_bound", "gw_best", "gw_best_ls", "mc", "mc_ls", "exact", "exact_ls",
           "best_known", "gap_exact_ls_pct", "exact_ge_gw", "t_sdp", "t_gw", "t_mc", "t_exact", "t_ls", "mc_nit"]


def graph_names(data: Path) -> list[str]:
    names = [p.name for p in data.iterdir() if re.fullmatch(r"G\d+", p.name)]
    return sorted(names, key=lambda s: int(s[1:]))


def best_known_table(data: Path) -> dict[str, float]:
    with open(data / "best_known.csv", newline="", encoding="utf-8") as fh:
        return {row["name"]: float(row["best_known"]) for row in csv.DictReader(fh)}


def run_graph(path: Path, best: float | None, *, mc_time: float, seed: int, threads: int | None) -> dict:
    g = load_graph(path)
    t = time.perf_counter()
    sdp = solve_sdp(g, seed=seed, threads=threads)
    t_sdp = time.perf_counter() - t
    t = time.perf_counter()
    x_gw, gw = gw_rounding(g, sdp.V, seed=seed, threads=threads, n_hyperplanes=1000)
    t_gw = time.perf_counter() - t
    t = time.perf_counter()
    mc = derand_mc(g, sdp.V, seed=seed, threads=threads, polish=False, time_limit=mc_time)
    t_mc = time.perf_counter() - t
    t = time.perf_counter()
    ex = derand_exact(g, sdp.V, seed=seed, threads=threads, polish=False)
    t_exact = time.perf_counter() - t
    t = time.perf_counter()
    ls_exact = local_search(g, ex.x)
    t_ls = time.perf_counter() - t
    ls_gw = local_search(g, x_gw)
    ls_mc = local_search(g, mc.x)
    gap = math.nan if best is None else 100.0 * (best - ls_exact.cut) / abs(best)
    return {"graph": path.name, "n": g.n, "m": g.m, "sdp_bound": round(sdp.objective, 2),
            "gw_best": gw["gw_best"], "gw_best_ls": ls_gw.cut, "mc": mc.cut, "mc_ls": ls_mc.cut,
            "exact": ex.cut, "exact_ls": ls_exact.cut, "best_known": best, "gap_exact_ls_pct": round(gap, 3),
            "exact_ge_gw": bool(ex.cut >= gw["gw_best"]), "t_sdp": round(t_sdp, 2), "t_gw": round(t_gw, 2),
            "t_mc": round(t_mc, 2), "t_exact": round(t_exact, 2), "t_ls": round(t_ls, 3), "mc_nit": mc.nit}


def write_markdown(rows: list[dict], path: Path, header: str) -> None:
    gaps = np.array([r["gap_exact_ls_pct"] for r in rows if not math.isnan(float(r["gap_exact_ls_pct"]))])
    wins = sum(str(r["exact_ge_gw"]) == "True" for r in rows)
    lines = [header, "",
             f"graphs: {len(rows)}; derand-exact (before local search) >= GW best of 1000 on {wins}/{len(rows)}; "
             f"gap of derand-exact + local search to best-known: mean {gaps.mean():.3f}%, "
             f"worst {gaps.max():.3f}%" if gaps.size else "", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append("| " + " | ".join(str(r[c]) for c in COLUMNS) + " |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--graphs", default=None, help="comma-separated names (default: all in --data)")
    ap.add_argument("--mc-time", type=float, default=20.0, help="seconds of derand-mc per graph")
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
            row = run_graph(args.data / name, best.get(name), mc_time=args.mc_time, seed=args.seed,
                            threads=args.threads)
            rows.append(row)
            writer.writerow(row)
            fh.flush()
            print(" ".join(f"{k}={row[k]}" for k in ("graph", "gw_best", "mc", "exact", "exact_ls", "best_known",
                                                      "gap_exact_ls_pct", "t_exact")), flush=True)
    write_markdown(rows, md_path, f"# Gset comparison (seed {args.seed}, derand-mc budget {args.mc_time:g} s/graph)")
    print(md_path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
