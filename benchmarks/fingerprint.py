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
bit-identical results.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np


def _f(x: Any) -> str:
    return f"{float(x):.17g}"


def maxcut_stages(out: dict[str, Any]) -> None:
    from derand_fast.maxcut import load_graph, maxcut, solve_sdp
    from derand_fast.maxcut.anneal import anneal
    from derand_fast.maxcut.data import builtin_graph_path
    from derand_fast.maxcut.derand_exact import derand_exact
    from derand_fast.maxcut.derand_mc import derand_mc
    from derand_fast.maxcut.polish import tabu_search
    from derand_fast.maxcut.rounding import gw_rounding

    g = load_graph(builtin_graph_path())  # G43
    sdp = solve_sdp(g, seed=1, threads=1)
    out["G43.sdp"] = [sdp.sweeps, _f(sdp.objective)]
    gw = gw_rounding(g, sdp.V, seed=1, threads=1, n_hyperplanes=200)
    out["G43.gw"] = [_f(gw.x @ np.ones(g.n)), _f(gw.as_info()["gw_best"]), _f(gw.as_info()["gw_mean"])]
    ex = derand_exact(g, sdp.V, seed=1, threads=1, max_iter=300, restarts=1)
    out["G43.derand_exact"] = _f(ex.as_info()["cut"])
    mc = derand_mc(g, sdp.V, seed=1, threads=1, max_iter=300)
    out["G43.derand_mc"] = _f(mc.as_info()["cut"])
    tb = tabu_search(g, gw.x, max_moves=5000, seed=1)
    out["G43.tabu"] = _f(tb.cut)
    an = anneal(g, gw.x, max_sweeps=200, seed=1)
    out["G43.anneal"] = _f(an.cut)
    res = maxcut(g, seed=1, threads=1, local_search="tabu", rounding_options={"max_iter": 300})
    out["G43.maxcut_tabu"] = [_f(res.cut), _f(res.upper_bound)]
    rng = np.random.default_rng(5)
    G = nx.gnm_random_graph(300, 1500, seed=5)
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.normal())
    res = maxcut(G, seed=2, threads=1,
                 local_search="tabu", rounding_options={"max_iter": 300})
    out["gauss300.maxcut_tabu"] = [_f(res.cut), _f(res.upper_bound)]


def ising_stage(out: dict[str, Any]) -> None:
    from derand_fast.ising import solve_ising

    rng = np.random.default_rng(3)
    n = 60
    J = {(i, j): float(rng.integers(-3, 4)) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.2}
    h = rng.normal(size=n)
    r = solve_ising(h, J, seed=4, threads=1, local_search="tabu", rounding_options={"max_iter": 200})
    out["ising60"] = [_f(r.energy), _f(r.lower_bound)]


def jl_stage(out: dict[str, Any]) -> None:
    from derand_fast.jl import variational
    from derand_fast.jl.objectives import make_problem, max_distortion, mc_objective

    X = np.random.default_rng(0).normal(size=(40, 30))
    prob = make_problem(X)
    M = np.random.default_rng(1).normal(size=(8, 30)) / np.sqrt(8)
    for sigma_kind, sigma in (("scalar", 0.05), ("entry", np.full((8, 30), 0.05))):
        est = mc_objective(M, sigma, prob, n_samples=16, seed=2, threads=1)
        out[f"jl.mc_objective.{sigma_kind}"] = [_f(v) for v in _values(est)]
    fit = variational.fit_variational(prob, 8, max_iter=60, seed=3, threads=1, polish_result=False)
    out["jl.fit_variational"] = _f(max_distortion(fit.x if hasattr(fit, "x") else fit.M, prob))


def _values(est: Any) -> list[float]:
    vals = []
    for name in ("value", "grad_M", "grad_sigma"):
        v = getattr(est, name, None)
        if v is not None:
            arr = np.asarray(v, dtype=np.float64)
            vals += [float(arr.sum()), float(np.abs(arr).sum())]
    return vals


def nn_stage(out: dict[str, Any]) -> None:
    from derand_fast.nn.experiment import default_teacher
    from derand_fast.nn.train import train_student

    teacher = default_teacher(3, seed=0)
    for online in (True, False):
        r = train_student(teacher, h=50, max_iter=200, batch_size=256, online=online, seed=1, threads=1,
                          certificate=False)
        W = np.asarray(r.params["W"])
        out[f"nn.train.online={online}"] = [_f(W.sum()), _f(np.abs(W).sum()), _f(r.params["b"].sum())]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, help="write the fingerprint here (JSON)")
    ap.add_argument("--compare", type=Path, help="a fingerprint to compare with")
    ap.add_argument("--only", nargs="*", default=["maxcut", "ising", "jl", "nn"])
    args = ap.parse_args(argv)
    out: dict[str, Any] = {}
    stages = {"maxcut": maxcut_stages, "ising": ising_stage, "jl": jl_stage, "nn": nn_stage}
    for name in args.only:
        try:
            stages[name](out)
        except Exception as exc:  # report and go on: a fingerprint is a diagnostic
            out[f"{name}.error"] = f"{type(exc).__name__}: {exc}"
    text = json.dumps(out, indent=1, sort_keys=True)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    if args.compare:
        before = json.loads(args.compare.read_text())
        moved = 0
        for key in sorted(set(before) | set(out)):
            if before.get(key) != out.get(key):
                moved += 1
                print(f"moved: {key}: {before.get(key)} -> {out.get(key)}", file=sys.stderr)
        print(f"{moved} of {len(set(before) | set(out))} keys moved", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
