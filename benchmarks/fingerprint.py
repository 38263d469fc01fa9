"""Deterministic fingerprint of every stage: the numbers a refactoring must not move.

Runs each stage of the three applications with a fixed seed and a fixed
amount of work (no time limits, so the load of the machine does not matter)
and prints the results as JSON. Run it before and after a structural change
and compare (``--compare BEFORE.json`` prints the keys that moved, with the
relative change)::

    python benchmarks/fingerprint.py --out /tmp/before.json
    # ... the change ...
    python benchmarks/fingerprint.py --out /tmp/after.json --compare /tmp/before.json

Floats are printed with 17 significant digits: equal strings mean
bit-identical results. ``--repeat R`` also times each entry (the best of R
runs, after one warm-up for Numba's cache) and writes the seconds under
``"seconds"``; ``--compare`` then prints after/before time ratios, which mean
something when both runs were made back to back on the same machine (run
the "before" build from a wheel of the old commit: ``pip wheel`` it,
``pip install --target DIR`` the wheel and run this script with
``PYTHONPATH=DIR``; an editable install's import hook takes precedence over
``PYTHONPATH`` and must be removed from ``sys.meta_path`` first, e.g. by a
``sitecustomize.py`` on the same path).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np


def _f(x: Any) -> str:
    return f"{float(x):.17g}"


class Record(dict):
    """``rec(key, thunk, summary)``: runs ``thunk`` (timed ``repeat`` times), stores ``summary(result)``."""

    def __init__(self, repeat: int) -> None:
        super().__init__()
        self.repeat = repeat
        self.seconds: dict[str, float] = {}

    def __call__(self, key: str, thunk: Callable[[], Any], summary: Callable[[Any], Any]) -> Any:
        result = thunk()
        value = summary(result)
        if self.repeat:
            best = float("inf")
            for _ in range(self.repeat):
                t = time.perf_counter()
                again = thunk()
                best = min(best, time.perf_counter() - t)
                if summary(again) != value:
                    value = f"not repeatable: {value} then {summary(again)}"
            self.seconds[key] = best
        self[key] = value
        return result


def maxcut_stages(rec: Record) -> None:
    from derand_fast.maxcut import load_graph, maxcut, solve_sdp
    from derand_fast.maxcut.anneal import anneal
    from derand_fast.maxcut.data import builtin_graph_path
    from derand_fast.maxcut.derand_exact import derand_exact
    from derand_fast.maxcut.derand_mc import derand_mc
    from derand_fast.maxcut.polish import tabu_search
    from derand_fast.maxcut.rounding import gw_rounding

    g = rec("G43.load", lambda: load_graph(builtin_graph_path()), lambda g: [g.n, g.m, _f(g.weights.sum())])
    sdp = rec("G43.sdp", lambda: solve_sdp(g, seed=1, threads=1), lambda r: [r.sweeps, _f(r.objective)])
    gw = rec("G43.gw", lambda: gw_rounding(g, sdp.V, seed=1, threads=1, n_hyperplanes=200),
             lambda r: [_f(r.x @ np.ones(g.n)), _f(r.as_info()["gw_best"]), _f(r.as_info()["gw_mean"])])
    rec("G43.derand_exact", lambda: derand_exact(g, sdp.V, seed=1, threads=1, max_iter=300, restarts=1),
        lambda r: _f(r.as_info()["cut"]))
    rec("G43.derand_mc", lambda: derand_mc(g, sdp.V, seed=1, threads=1, max_iter=300),
        lambda r: _f(r.as_info()["cut"]))
    rec("G43.tabu", lambda: tabu_search(g, gw.x, max_moves=5000, seed=1), lambda r: _f(r.cut))
    rec("G43.anneal", lambda: anneal(g, gw.x, max_sweeps=200, seed=1), lambda r: _f(r.cut))
    rec("G43.maxcut_tabu", lambda: maxcut(g, seed=1, threads=1, local_search="tabu",
                                          rounding_options={"max_iter": 300}),
        lambda r: [_f(r.cut), _f(r.upper_bound)])
    rng = np.random.default_rng(5)
    G = nx.gnm_random_graph(300, 1500, seed=5)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.normal())
    rec("gauss300.maxcut_tabu", lambda: maxcut(G, seed=2, threads=1, local_search="tabu",
                                               rounding_options={"max_iter": 300}),
        lambda r: [_f(r.cut), _f(r.upper_bound)])


def ising_stage(rec: Record) -> None:
    from derand_fast.ising import solve_ising

    rng = np.random.default_rng(3)
    n = 60
    J = {(i, j): float(rng.integers(-3, 4)) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.2}
    h = rng.normal(size=n)
    rec("ising60", lambda: solve_ising(h, J, seed=4, threads=1, local_search="tabu",
                                       rounding_options={"max_iter": 200}),
        lambda r: [_f(r.energy), _f(r.lower_bound)])


def jl_stage(rec: Record) -> None:
    from derand_fast.jl import variational
    from derand_fast.jl.objectives import make_problem, max_distortion, mc_objective

    X = np.random.default_rng(0).normal(size=(40, 30))
    prob = make_problem(X)
    M = np.random.default_rng(1).normal(size=(8, 30)) / np.sqrt(8)
    for sigma_kind, sigma in (("scalar", 0.05), ("entry", np.full((8, 30), 0.05))):
        rec(f"jl.mc_objective.{sigma_kind}", lambda: mc_objective(M, sigma, prob, n_samples=16, seed=2, threads=1),
            lambda est: [_f(v) for v in _values(est)])
    big = make_problem(np.random.default_rng(4).normal(size=(300, 200)))
    Mb = np.random.default_rng(5).normal(size=(16, 200)) / 4.0
    rec("jl300.mc_objective.entry", lambda: mc_objective(Mb, np.full((16, 200), 0.05), big, n_samples=32, seed=2,
                                                         threads=1),
        lambda est: [_f(v) for v in _values(est)])
    rec("jl.fit_variational", lambda: variational.fit_variational(prob, 8, max_iter=60, seed=3, threads=1,
                                                                  polish_result=False),
        lambda fit: _f(max_distortion(fit.x if hasattr(fit, "x") else fit.M, prob)))


def _values(est: Any) -> list[float]:
    vals = []
    for name in ("value", "grad_M", "grad_sigma"):
        v = getattr(est, name, None)
        if v is not None:
            arr = np.asarray(v, dtype=np.float64)
            vals += [float(arr.sum()), float(np.abs(arr).sum())]
    return vals


def nn_stage(rec: Record) -> None:
    from derand_fast.nn.experiment import default_teacher
    from derand_fast.nn.train import train_student

    teacher = default_teacher(3, seed=0)
    for online in (True, False):
        rec(f"nn.train.online={online}",
            lambda: train_student(teacher, h=50, max_iter=200, batch_size=256, online=online, seed=1, threads=1,
                                  certificate=False),
            lambda r: [_f(np.sum(r.params["W"])), _f(np.abs(r.params["W"]).sum()), _f(np.sum(r.params["b"]))])
    rec("nn.train.h1000", lambda: train_student(teacher, h=1000, max_iter=50, batch_size=1024, seed=1, threads=1,
                                                certificate=False),
        lambda r: [_f(np.sum(r.params["W"])), _f(np.abs(r.params["W"]).sum())])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, help="write the fingerprint here (JSON)")
    ap.add_argument("--compare", type=Path, help="a fingerprint to compare with")
    ap.add_argument("--only", nargs="*", default=["maxcut", "ising", "jl", "nn"])
    ap.add_argument("--repeat", type=int, default=0, help="also time each entry: the best of this many runs")
    args = ap.parse_args(argv)
    rec = Record(args.repeat)
    stages = {"maxcut": maxcut_stages, "ising": ising_stage, "jl": jl_stage, "nn": nn_stage}
    for name in args.only:
        try:
            stages[name](rec)
        except Exception as exc:  # report and go on: a fingerprint is a diagnostic
            rec[f"{name}.error"] = f"{type(exc).__name__}: {exc}"
    out: dict[str, Any] = dict(rec)
    if rec.seconds:
        out["seconds"] = rec.seconds
    text = json.dumps(out, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    if args.compare:
        before = json.loads(args.compare.read_text())
        t_before, t_after = before.pop("seconds", {}), out.pop("seconds", {})
        for key in sorted(set(t_before) & set(t_after)):
            print(f"time: {key}: {t_before[key]:.4g} s -> {t_after[key]:.4g} s ({t_after[key] / t_before[key]:.2f}x)",
                  file=sys.stderr)
        moved = 0
        for key in sorted(set(before) | set(out)):
            if before.get(key) != out.get(key):
                moved += 1
                print(f"moved: {key}: {before.get(key)} -> {out.get(key)}", file=sys.stderr)
        print(f"{moved} of {len(set(before) | set(out))} keys moved", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
