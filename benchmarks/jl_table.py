"""The learned-JL table: worst distortion and wall time of ``JLEmbedding`` against GaussianRandomProjection and PCA.

Rows (each fitted twice with 2 threads and twice with 1 thread in the same process, best time kept):

- synthetic: the paper's 100 unit Gaussian points, d = 500, k = 30, pairwise and norms targets;
- digits: scikit-learn's ``load_digits`` (1 797 × 64, duplicate rows removed), k = 16, pairwise and norms;
- ``auto``: ``n_components='auto'``, eps = 0.2, on the first 500 digits, with the refit at k - 1;
- out of sample: fit on 1 200 digits, the worst distortion over all pairs of the other ones
  (``JLEmbedding.score``) against the best of ``--draws`` GaussianRandomProjection draws and PCA
  fitted on the same 1 200, all judged on the held-out pairs;
- ``--scale``: 20 000 points × 784 features (a Gaussian mixture, MNIST-sized), k = 64, 2 threads only:
  the PCA start polished on a uniform sample of 2·10^6 pairs (active set of 2 000), then the max
  distortion over all 2·10^8 pairs computed exactly in blocks (learned, PCA and Gaussian draws alike).

The "Gaussian" columns are scikit-learn's ``GaussianRandomProjection`` (``random_state = 0 ..
draws-1``): the average and the best worst-case distortion over the draws, each computed exactly over all
pairs (:func:`derand_fast.jl.objectives.all_pairs_max_distortion`) or norms; "PCA" is the top-k
principal directions rescaled to balance the worst distortion
(:func:`derand_fast.jl.baselines.pca_projection`). Times are wall-clock seconds of ``fit`` (the learned
map includes the direct L-BFGS start, the variational phase and the polish).

Usage::

    python benchmarks/jl_table.py [--quick] [--scale] [--draws 100] [--json out.json] [--md out.md]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.random_projection import GaussianRandomProjection

from derand_fast.jl.baselines import pca_projection
from derand_fast.jl.direct import polish
from derand_fast.jl.estimator import JLEmbedding
from derand_fast.jl.figures import paper_points
from derand_fast.jl.objectives import DegenerateConstraintWarning, all_pairs_max_distortion, make_problem


def worst(A, X, target):
    """Exact worst distortion of ``A`` on ``X`` (all pairs, or all nonzero norms)."""
    if target == "pairwise":
        return all_pairs_max_distortion(A, X)[0]
    Y = X @ A.T
    sq = np.einsum("ij,ij->i", X, X)
    keep = sq > 0
    return float(np.abs(np.einsum("ij,ij->i", Y[keep], Y[keep]) / sq[keep] - 1).max())


def gaussian(X_fit, X_eval, k, target, draws):
    vals, times = [], []
    for seed in range(draws):
        t = time.perf_counter()
        A = GaussianRandomProjection(n_components=k, random_state=seed).fit(X_fit).components_
        times.append(time.perf_counter() - t)
        vals.append(worst(np.asarray(A), X_eval, target))
    return float(np.mean(vals)), float(np.min(vals)), float(np.median(times))


def pca(X_fit, X_eval, k, target):
    t = time.perf_counter()
    A, _ = pca_projection(make_problem(X_fit, target), k)
    return worst(A, X_eval, target), time.perf_counter() - t


def fit(X, k, target, threads, **kw):
    t = time.perf_counter()
    est = JLEmbedding(n_components=k, target=target, random_state=0, threads=threads, **kw).fit(X)
    return est, time.perf_counter() - t


def row(name, X, k, target, args, X_eval=None, threads=(2, 1)):
    X_eval = X if X_eval is None else X_eval
    out = {"data": name, "target": target, "n": X.shape[0], "d": X.shape[1], "k": k,
           "n_eval": X_eval.shape[0]}
    for th in threads:  # best of two fits per thread count (same result; the first may pay one-off costs)
        est, sec = fit(X, k, target, th)
        sec = min(sec, fit(X, k, target, th)[1])
        out[f"time_{th}t"] = sec
        out["learned"] = -est.score(X_eval) if X_eval is not X else est.max_distortion_
        out["learned_train"] = est.max_distortion_
        out["k_chosen"] = est.n_components_
    out["g_avg"], out["g_min"], out["g_time"] = gaussian(X, X_eval, k, target, args.draws)
    out["draws"] = args.draws
    out["pca"], out["pca_time"] = pca(X, X_eval, k, target)
    print(json.dumps(out), flush=True)
    return out


def auto_row(X, args):
    est, sec = fit(X, "auto", "pairwise", 2, eps=0.2)
    k = est.n_components_
    below, _ = fit(X, k - 1, "pairwise", 2)
    out = {"data": "digits[:500] auto eps=0.2", "target": "pairwise", "n": X.shape[0], "d": X.shape[1], "k": k,
           "learned": est.max_distortion_, "time_2t": sec, "k_minus_1": below.max_distortion_}
    out["g_avg"], out["g_min"], _ = gaussian(X, X, k, "pairwise", args.draws)
    out["draws"] = args.draws
    out["pca"], _ = pca(X, X, k, "pairwise")
    print(json.dumps(out), flush=True)
    return out


def scale_row(args):
    """20 000 × 784, k = 64: PCA start and the active-set polish on a sample of 2·10^6 pairs, then every pair."""
    rng = np.random.default_rng(0)
    n, d, k, c = 20_000, 784, 64, 10
    centers = rng.standard_normal((c, d)) * 2.0
    X = centers[rng.integers(0, c, n)] + rng.standard_normal((n, d)) * (0.5 + rng.random((n, 1)))
    t = time.perf_counter()
    problem = make_problem(X, "pairwise", max_pairs=2_000_000, seed=0)
    A0, _ = pca_projection(problem, k)
    res = polish(A0, problem, working_set=2000, max_iter=100, threads=2)
    sec = time.perf_counter() - t
    t = time.perf_counter()
    exact, pairs = all_pairs_max_distortion(res.x, X, threads=2)
    check = time.perf_counter() - t
    out = {"data": "mixture", "target": "pairwise", "n": n, "d": d, "k": k, "time_2t": sec,
           "learned_train": res.max_distortion, "learned": exact, "pairs": pairs, "check_time": check}
    g = [all_pairs_max_distortion(GaussianRandomProjection(n_components=k, random_state=s).fit(X).components_,
                                  X, threads=2)[0] for s in range(args.scale_draws)]
    out.update(g_avg=float(np.mean(g)), g_min=float(np.min(g)), draws=args.scale_draws)
    out["pca"] = all_pairs_max_distortion(A0, X, threads=2)[0]
    print(json.dumps(out), flush=True)
    return out


def fmt(v, p=3):
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{p}f}"


def table(rows):
    lines = ["| data | target | k | learned max distortion | fit 2 threads (s) | fit 1 thread (s) | 1t / 2t | "
             "Gaussian RP avg / best (draws) | PCA |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t1, t2 = r.get("time_1t"), r.get("time_2t")
        extra = ""
        if "k_minus_1" in r:
            extra = f" (k−1: {r['k_minus_1']:.3f})"
        if "pairs" in r:
            extra = (f" (all {r['pairs']:,} pairs exact, {r['check_time']:.0f} s; "
                     f"training sample {r['learned_train']:.3f})")
        if r.get("n_eval", r["n"]) != r["n"]:
            extra = f" (held-out {r['n_eval']} points; train {r['learned_train']:.3f})"
        lines.append(f"| {r['data']} ({r['n']}×{r['d']}) | {r['target']} | {r['k']} | {fmt(r['learned'])}{extra} | "
                     f"{fmt(t2, 1)} | {fmt(t1, 1)} | {fmt(t1 / t2 if t1 and t2 else None, 2)} | "
                     f"{fmt(r['g_avg'])} / {fmt(r['g_min'])} ({r.get('draws', '')}) | {fmt(r['pca'])} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10 Gaussian draws, no 1-thread refits")
    ap.add_argument("--draws", type=int, default=100)
    ap.add_argument("--scale", action="store_true", help="add the 20 000 × 784 row (minutes)")
    ap.add_argument("--scale-draws", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--md", default=None)
    args = ap.parse_args(argv)
    load0 = os.getloadavg()
    if args.quick:
        args.draws = 10
    threads = (2,) if args.quick else (2, 1)
    Xs = paper_points()
    digits = np.unique(load_digits().data.astype(np.float64), axis=0)
    perm = np.random.default_rng(0).permutation(digits.shape[0])
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateConstraintWarning)
        t = time.perf_counter()  # Numba's compiled kernels load once per process: not part of any fit below
        for target in ("pairwise", "norms"):
            JLEmbedding(n_components=3, target=target, max_iter=2, random_state=0).fit(Xs[:60])
        print(f"warm-up (kernel loading) {time.perf_counter() - t:.1f} s", flush=True)
        rows.append(row("synthetic", Xs, 30, "pairwise", args, threads=threads))
        rows.append(row("synthetic", Xs, 30, "norms", args, threads=threads))
        rows.append(row("digits", digits, 16, "pairwise", args, threads=threads))
        rows.append(row("digits", digits, 16, "norms", args, threads=threads))
        rows.append(auto_row(digits[:500], args))
        rows.append(row("digits 1200 → rest", digits[perm[:1200]], 16, "pairwise", args,
                        X_eval=digits[perm[1200:]], threads=threads))
        if args.scale:
            rows.append(scale_row(args))
    md = table(rows)
    print(md)
    load = os.getloadavg()
    note = (f"\n\nCommand: `flock /tmp/derand_bench.lock python benchmarks/jl_table.py {' '.join(argv or [])}`; "
            f"load average (1/5/15 min) at the start {load0[0]:.2f} / {load0[1]:.2f} / {load0[2]:.2f}, at the end "
            f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (2 cores).\n")
    if args.md:
        with open(args.md, "w") as fh:
            fh.write(md + note)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
