"""Comparison table of the MAXCUT roundings over the Gset graphs, run as one sweep (:mod:`derand_fast.sweep`).

Every column is one :func:`~derand_fast.maxcut.maxcut` setting run on every
graph (seed ``--seed``, one thread per run) by :func:`derand_fast.sweep.sweep`
on a Dask cluster: by default an embedded one of ``--workers`` processes, or
``--scheduler tcp://HOST:8786``. The settings (:data:`SETTINGS`):

- ``gw``, ``gw_ls``: GW rounding, best of 1000 hyperplanes, without and with
  1-flip local search;
- ``exact``, ``exact_ls``: the exact-objective derandomization
  (``derand-exact``, no GW baseline), without and with 1-flip local search;
- ``mc_ls``: the paper's Monte Carlo derandomization (``derand-mc``,
  ``--mc-time`` seconds; ``0`` skips it) and 1-flip local search;
- ``gw_tabu``, ``exact_tabu``: the same starts polished by tabu search with
  the same budget (``--tabu-time`` seconds or ``--tabu-moves`` moves), so the
  table shows what the derandomized start contributes against the polish;
- ``pipeline``: ``maxcut(rounding="derand-exact", local_search="tabu",
  n_hyperplanes=0, time_limit=--pipeline-time)`` (SDP + derand-exact + tabu,
  default 10 s: the MQLib comparison; ``0`` skips it).

Then the best-known cut, the gaps to it, the SDP value (the upper bound of
every column) and each column's run time. The sweep's rows (one per graph
and setting, every field) stream to ``OUT.rows.csv``: a run stopped midway
(Ctrl-C, a crash) is continued by the same command, which skips the rows
already there. At the end the table goes to ``OUT.csv`` and ``OUT.md`` (with
a summary of the gaps) and is printed.

Usage::

    python benchmarks/gset_table.py --workers 2                  # all 71 graphs
    python benchmarks/gset_table.py --graphs G1,G22,G81 --mc-time 10 --tabu-time 5 --out /tmp/gset
    python benchmarks/gset_table.py --scheduler tcp://HEAD:8786  # on a running Dask cluster

Needs the data folder ``../shared/data/gset`` (or ``--data``) and the
``dask`` extra. With a time budget (``--mc-time``, ``--tabu-time``,
``--pipeline-time``) the cuts depend on the machine's speed and load;
``--tabu-moves`` makes the tabu columns deterministic.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from pathlib import Path

import numpy as np

from derand_fast.sweep import read_rows, sweep

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "gset"

#: the table's cut columns, in order
CUTS = ("gw", "gw_ls", "exact", "exact_ls", "mc_ls", "gw_tabu", "exact_tabu", "pipeline")

COLUMNS = ["graph", "n", "m", "sdp_value", *CUTS, "best_known", "gap_exact_ls_pct", "gap_exact_tabu_pct",
           "gap_pipeline_pct", "exact_ge_gw", *(f"t_{c}" for c in CUTS)]


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


def settings(*, mc_time: float, tabu_time: float | None, tabu_moves: int | None,
             pipeline_time: float) -> dict[str, dict]:
    """The ``maxcut`` options of each column (a column whose budget is 0 is left out)."""
    tabu = {"local_search_moves": tabu_moves} if tabu_moves is not None else {"local_search_time": tabu_time}
    gw = {"rounding": "gw", "n_hyperplanes": 1000}
    exact = {"rounding": "derand-exact", "n_hyperplanes": 0}
    out = {"gw": {**gw, "local_search": False}, "gw_ls": {**gw, "local_search": "1flip"},
           "exact": {**exact, "local_search": False}, "exact_ls": {**exact, "local_search": "1flip"},
           "mc_ls": {"rounding": "derand-mc", "n_hyperplanes": 0, "local_search": "1flip",
                     "rounding_options": {"time_limit": mc_time}},
           "gw_tabu": {**gw, "local_search": "tabu", **tabu}, "exact_tabu": {**exact, "local_search": "tabu", **tabu},
           "pipeline": {**exact, "local_search": "tabu", "time_limit": pipeline_time}}
    if mc_time <= 0:
        del out["mc_ls"]
    if pipeline_time <= 0:
        del out["pipeline"]
    return out


def table(rows: list[dict], columns: dict[str, dict], best: dict[str, float]) -> list[dict]:
    """One dict per graph (in the rows' order) from the sweep's rows: a column's cut and time by its settings."""
    by_settings = {_canonical(opts): name for name, opts in columns.items()}
    out: dict[str, dict] = {}
    for r in rows:
        name = by_settings.get(_canonical_json(r["settings"]))
        if name is None:
            continue
        t = out.setdefault(r["graph"], {c: None for c in COLUMNS} | {"graph": r["graph"], "n": r["n"],
                                                                      "m": r["m"]})
        if r["sdp_value"] is not None:
            t["sdp_value"] = round(r["sdp_value"], 2)
        t[name] = None if r["error"] else r["cut"]
        t[f"t_{name}"] = round(r["time"], 2) if r["time"] is not None else None
    for g, t in out.items():
        bk = best.get(g)
        t["best_known"] = bk
        t["gap_exact_ls_pct"] = gap_pct(bk, t["exact_ls"])
        t["gap_exact_tabu_pct"] = gap_pct(bk, t["exact_tabu"])
        t["gap_pipeline_pct"] = gap_pct(bk, t["pipeline"])
        t["exact_ge_gw"] = None if t["exact"] is None or t["gw"] is None else bool(t["exact"] >= t["gw"])
    return list(out.values())


def _canonical(opts: dict) -> str:
    import json

    return json.dumps(opts, sort_keys=True, separators=(",", ":"))


def _canonical_json(text: str) -> str:
    import json

    return _canonical(json.loads(text))


def summarize(rows: list[dict], column: str) -> str:
    gaps = np.array([float(r[column]) for r in rows if r[column] is not None and not math.isnan(float(r[column]))])
    return f"mean {gaps.mean():.3f}%, worst {gaps.max():.3f}% ({gaps.size} graphs)" if gaps.size else "-"


def write_markdown(rows: list[dict], path: Path, header: str) -> None:
    wins = sum(r["exact_ge_gw"] is True for r in rows)
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
    ap.add_argument("--threads", type=int, default=1, help="threads of each run (default 1)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes of the embedded Dask cluster "
                    "(default: one per core)")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS", help="a running Dask scheduler instead")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gset_table")
    args = ap.parse_args(argv)
    names = args.graphs.split(",") if args.graphs else graph_names(args.data)
    best = best_known_table(args.data)
    columns = settings(mc_time=args.mc_time, tabu_time=None if args.tabu_moves is not None else args.tabu_time,
                       tabu_moves=args.tabu_moves, pipeline_time=args.pipeline_time)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows_path = args.out.with_suffix(".rows.csv")
    csv_path, md_path = args.out.with_suffix(".csv"), args.out.with_suffix(".md")
    # one sweep per column (a grid would run every combination); the same rows file, one cluster
    from derand_fast.sweep import connect

    with connect(scheduler=args.scheduler, workers=args.workers, threads=args.threads) as client:
        for name, opts in columns.items():
            print(f"column {name}: {opts}", flush=True)
            s = sweep([args.data / g for g in names], seeds=[args.seed], out=rows_path, client=client,
                      threads=args.threads, **opts)
            print(s.table(), flush=True)
    rows = table([r for r in read_rows(rows_path) if r["seed"] == args.seed], columns, best)
    order = {g: i for i, g in enumerate(names)}
    rows.sort(key=lambda r: order.get(r["graph"], len(order)))
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    tabu = f"{args.tabu_moves} moves" if args.tabu_moves is not None else f"{args.tabu_time:g} s"
    write_markdown(rows, md_path, f"# Gset comparison (seed {args.seed}, threads {args.threads}, derand-mc budget "
                                  f"{args.mc_time:g} s/graph, tabu {tabu}, pipeline {args.pipeline_time:g} s)")
    print(md_path.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
