"""The learned-JL results table: worst distortion and time per method.

Rows: norms / pairwise targets on the paper's synthetic set (100 unit Gaussian
points, d = 500, k = 30) and on scikit-learn's ``load_digits`` (1797 × 64).
Columns: Gaussian random projections (average and best worst-case distortion
over ``--draws`` draws, entries N(0, 1/k)), PCA top-k rescaled, least squares
(norms with n <= d only), the variational method with its defaults (shared σ,
cosine-decayed Adam, <= 2000 iterations, early stop below 0.01; max σ² at the
end) before and after the deterministic polish, optionally (``--paper``) the
paper's exact settings (per-entry σ, ``M = 0, Σ = I``, constant rate,
<= 5000 iterations), and the direct L-BFGS smooth-max optimizer. Times are
wall-clock seconds of the fits. Digits pairwise has 1.6 M pairs: the
variational phase optimizes a working set of them
(``fit_variational(working_set=...)``: half a fixed sample, half the current
worst pairs) and is scored on all of them, as is the polish.

Usage::

    python benchmarks/jl_table.py [--quick] [--paper] [--rows 0,1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits

from derand_fast.jl.baselines import gaussian_baseline, pca_projection
from derand_fast.jl.direct import fit_direct, polish
from derand_fast.jl.figures import paper_points
from derand_fast.jl.objectives import DegenerateConstraintWarning, make_problem, max_distortion
from derand_fast.jl.variational import fit_variational, paper_settings


def least_squares(problem, k):
    """Norms with n <= d: solve A X^T = Y^T for unit targets Y (exact when X has full row rank)."""
    X = problem.X[:-1]
    if X.shape[0] > X.shape[1]:
        return None, math.nan, 0.0
    t = time.perf_counter()
    Y = np.random.default_rng(0).standard_normal((X.shape[0], k))
    Y *= (np.linalg.norm(X, axis=1) / np.linalg.norm(Y, axis=1))[:, None]
    A = np.linalg.lstsq(X, Y, rcond=None)[0].T
    return A, max_distortion(A, problem), time.perf_counter() - t


def row(name, X, target, k, args):
    full = make_problem(X, target)
    out = {"data": name, "target": target, "n": X.shape[0], "d": X.shape[1], "k": k,
           "constraints": full.n_constraints}
    draws = args.draws if full.n_constraints < 100_000 else args.draws_large
    t = time.perf_counter()
    th = args.threads
    g = gaussian_baseline(full, k, n_draws=draws, threads=th)
    out.update(random_avg=g.mean, random_min=g.min, draws=draws, random_time=time.perf_counter() - t)
    out["pca"] = pca_projection(full, k)[1]
    if target == "norms":
        out["lstsq"], out["lstsq_time"] = least_squares(full, k)[1:]
    iters = {} if args.iters is None else {"max_iter": args.iters}
    t = time.perf_counter()
    v = fit_variational(full, k, polish_result=False, seed=0, threads=th, **iters)
    out.update(var_mean=max_distortion(v.x, full), var_iters=v.nit, var_status=v.status,
               var_max_sigma2=float(v.history["max_sigma2"][-1]), var_time=time.perf_counter() - t)
    p = polish(v.x, full, threads=th)
    out.update(var_polished=p.max_distortion, var_polished_median=p.median_distortion,
               var_total_time=out["var_time"] + p.time)
    if args.paper:
        t = time.perf_counter()
        vp = fit_variational(full, k, polish_result=False, seed=0, threads=th, **{**paper_settings(k), **iters})
        out.update(paper_mean=max_distortion(vp.x, full), paper_iters=vp.nit,
                   paper_max_sigma2=float(vp.history["max_sigma2"][-1]), paper_time=time.perf_counter() - t)
    t = time.perf_counter()
    dres = fit_direct(full, k, seed=0, threads=th)
    out.update(direct=dres.max_distortion, direct_time=time.perf_counter() - t)
    print(json.dumps(out), flush=True)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="500 iterations, 100 draws (a smoke run)")
    ap.add_argument("--iters", type=int, default=None, help="variational iterations (default: the method's)")
    ap.add_argument("--paper", action="store_true", help="also run the paper's exact settings")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--draws-large", type=int, default=100, help="draws for the 1.6 M-pair digits row")
    ap.add_argument("--rows", default="all", help="comma list of row indices (0-3) or 'all'")
    ap.add_argument("--threads", type=int, default=None, help="Numba threads (default: all)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    if args.quick:
        args.iters, args.draws, args.draws_large = 500, 100, 20
    Xs = paper_points()
    digits = load_digits().data.astype(np.float64)
    specs = [("synthetic", Xs, "norms", 30), ("synthetic", Xs, "pairwise", 30),
             ("digits", digits, "pairwise", 16), ("digits", digits, "norms", 16)]
    pick = range(len(specs)) if args.rows == "all" else [int(i) for i in args.rows.split(",")]
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateConstraintWarning)  # duplicate digits: pairs dropped
        for i in pick:
            rows.append(row(*specs[i], args))
    head = ("| data | target | k | random avg | random min | PCA | lstsq | variational mean (max σ²) | + polish "
            "| var+polish time (s) | paper settings (max σ²) | direct | direct time (s) |")
    print(head)
    print("|" + "---|" * 13)
    for r in rows:
        paper = (f"{r['paper_mean']:.3f} ({r['paper_iters']} it, {r['paper_max_sigma2']:.1e}, "
                 f"{r['paper_time']:.0f} s)") if "paper_mean" in r else "—"
        print(f"| {r['data']} | {r['target']} | {r['k']} | {r['random_avg']:.3f} | {r['random_min']:.3f} "
              f"({r['draws']}) | {r['pca']:.3f} | {r.get('lstsq', math.nan):.1e} | {r['var_mean']:.4f} "
              f"({r['var_iters']} it, {r['var_max_sigma2']:.1e}) | {r['var_polished']:.4f} | "
              f"{r['var_time']:.1f}+{r['var_total_time'] - r['var_time']:.1f} | {paper} | {r['direct']:.4f} "
              f"| {r['direct_time']:.1f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
