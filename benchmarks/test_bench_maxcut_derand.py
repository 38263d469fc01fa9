"""Derandomized MAXCUT rounding benchmarks, as ratios against NumPy run in the same session.

* **Monte Carlo step** (``test_bench_mc_step``): one pathwise step of the
  paper's method (Eq. 20: value, gradients in ``V`` and ``mu``, App. F.1
  indicator, fresh samples) on a G81-size toroidal grid (n = 20 000,
  m = 40 000, ±1 weights, rank 201, 64 samples) against
  :func:`numpy_mc_step`, the same step in plain NumPy. Three ratios: the
  whole step (which includes the two BLAS products with ``V``, identical on
  both sides), the samples × edges pass alone (values and per-sample
  gradients; target ≥ 20×), and the fused kernel against the engine's generic
  per-sample path (the fused kernel stays only while this ratio is > 1).
* **Exact method** (``test_bench_exact``): ``derand_exact`` for 1500 steps
  (one anneal: ``restarts=1, reheats=0``) on G81 (target ≤ 2 s) against
  :func:`numpy_exact_steps`, our first NumPy prototype's step
  (``scipy.special.ndtr`` gradients + Adam), timed over 150 steps and scaled
  to 1500; the default configuration (2 restarts + 1 reheat) is timed once
  and shown next to it.

Smoke mode (``--benchmark-disable``, the default) uses a 20×20 grid, rank 8,
16 samples and the built-in G43 with 100 steps. Full run::

    python -m pytest -p no:cacheprovider benchmarks/test_bench_maxcut_derand.py --benchmark-enable
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

from derand_fast.maxcut import Graph, load_graph, solve_sdp
from derand_fast.maxcut.data import builtin_graph_path
from derand_fast.maxcut.derand_exact import ExactCutObjective, derand_exact
from derand_fast.maxcut.derand_mc import SmoothedCutMC
from derand_fast.maxcut.smoothed_cut import cut_objective_per_sample
from derand_fast.random import STREAMS, standard_normal

GSET = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gset"


def torus(rows: int, cols: int, seed: int = 0) -> Graph:
    """Toroidal grid with ±1 weights (G81 is a 100 × 200 one)."""
    idx = np.arange(rows * cols).reshape(rows, cols)
    i = np.concatenate([idx.ravel(), idx.ravel()])
    j = np.concatenate([np.roll(idx, -1, axis=1).ravel(), np.roll(idx, -1, axis=0).ravel()])
    w = np.where(np.random.default_rng(seed).random(i.size) < 0.5, -1.0, 1.0)
    return Graph.from_edges(rows * cols, i, j, w)


def _step_np(x: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """S_eps and S_eps' in NumPy (App. F.1)."""
    c = 8.0 / (eps * eps)
    t1 = x - 0.5 * eps
    t2 = x - eps
    f = np.where(x < 0.5 * eps, 0.0, np.where(x <= 0.75 * eps, c * t1 * t1, np.where(x < eps, 1.0 - c * t2 * t2, 1.0)))
    d = np.where(x < 0.5 * eps, 0.0, np.where(x <= 0.75 * eps, 2 * c * t1, np.where(x < eps, -2 * c * t2, 0.0)))
    return f, d


def numpy_edge_pass(U: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray, eps: float):
    """Smoothed cut per sample and its gradient in U, shape (B, n): the samples × edges part in NumPy."""
    B, n = U.shape
    x, y = U[:, u], U[:, v]
    sx, dsx = _step_np(x, eps)
    snx, dsnx = _step_np(-x, eps)
    sy, dsy = _step_np(y, eps)
    sny, dsny = _step_np(-y, eps)
    values = (sx * sny + snx * sy) @ w
    fx = (dsx * sny - dsnx * sy) * w
    fy = (snx * dsy - sx * dsny) * w
    rows = (np.arange(B) * n)[:, None]
    G = (np.bincount((rows + u).ravel(), fx.ravel(), minlength=B * n)
         + np.bincount((rows + v).ravel(), fy.ravel(), minlength=B * n)).reshape(B, n)
    return values, G


def numpy_mc_step(V, mu, Z, u, v, w, eps):
    """One pathwise step of paper Eq. 20 in NumPy: (value, grad_V, grad_mu)."""
    U = Z @ V.T + mu
    values, G = numpy_edge_pass(U, u, v, w, eps)
    B = Z.shape[0]
    return values.mean(), (G.T @ Z) / B, G.sum(axis=0) / B


def test_bench_mc_step(benchmark, smoke, record_ratio, best_time):
    rows, cols, r, B = (20, 20, 8, 16) if smoke else (100, 200, 201, 64)
    g = torus(rows, cols)
    V = np.random.default_rng(1).standard_normal((g.n, r))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    mu = np.random.default_rng(2).normal(0.0, 0.05, g.n)
    est = SmoothedCutMC(g, eps=0.1, n_samples=B, seed=3)
    with est.scope():
        est.affine(V, mu, 0)  # JIT warm-up
        ours = benchmark.pedantic(lambda: est.affine(V, mu, 5), rounds=1 if smoke else 5, iterations=1)
        t_ours = best_time(lambda: est.affine(V, mu, 5), 1 if smoke else 3)
    Z = standard_normal(3, B, r, first_stream=STREAMS["derand_mc.samples"].first + 5 * B)
    u, v = g.u.astype(np.int64), g.v.astype(np.int64)
    ref = numpy_mc_step(V, mu, Z, u, v, g.weights, 0.1)
    # same samples, same step: the two implementations agree
    assert ours[0] == pytest.approx(ref[0], rel=1e-10)
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-9, atol=1e-9)
    t_np = best_time(lambda: numpy_mc_step(V, mu, Z, u, v, g.weights, 0.1), 1 if smoke else 3)
    # the samples x edges pass alone (values and per-sample gradients): the fused kernel, the engine's
    # generic per-sample path (NumbaObjective) and NumPy
    U = Z @ V.T + mu
    P = np.ascontiguousarray(V @ Z.T)
    vals, gsum, G = np.empty(B), np.empty(g.n), np.empty((g.n, B))
    generic = cut_objective_per_sample(g, 0.1, "paper")
    with est.scope():
        est.objective.evaluate(mu, 1.0, P, vals, gsum, G)
        generic.evaluate(mu, 1.0, P, vals, gsum, G)
        t_pass = best_time(lambda: est.objective.evaluate(mu, 1.0, P, vals, gsum, G), 1 if smoke else 5)
        t_generic = best_time(lambda: generic.evaluate(mu, 1.0, P, vals, gsum, G), 1 if smoke else 5)
    t_pass_np = best_time(lambda: numpy_edge_pass(U, u, v, g.weights, 0.1), 1 if smoke else 3)
    work = B * g.m
    benchmark.extra_info.update(samples_x_edges_per_s=work / t_pass, numpy_samples_x_edges_per_s=work / t_pass_np,
                                generic_samples_x_edges_per_s=work / t_generic)
    record_ratio(f"MC samples x edges pass: engine's generic per-sample path / fused kernel "
                 f"({work / t_generic:.3g} vs {work / t_pass:.3g} per s)", t_generic / t_pass, benchmark)
    record_ratio(f"MC step n={g.n} m={g.m} r={r} B={B}: NumPy / ours, whole step "
                 f"({t_np * 1e3:.1f} / {t_ours * 1e3:.1f} ms)", t_np / t_ours, benchmark)
    record_ratio(f"MC samples x edges pass: NumPy / ours ({work / t_pass_np:.3g} vs {work / t_pass:.3g} per s)",
                 t_pass_np / t_pass, benchmark)


def numpy_exact_steps(V, g: Graph, n_steps: int, total_steps: int, seed: int = 0) -> float:
    """Our first NumPy prototype of derand-exact (gradient by ndtr, Adam) for ``n_steps`` of a ``total_steps`` run."""
    norms = np.linalg.norm(V, axis=1)
    Vn = V / norms[:, None]
    rho = np.clip(np.sum(Vn[g.u] * Vn[g.v], axis=1), -1 + 1e-15, 1 - 1e-15)
    q = np.sqrt(1 - rho * rho)
    mu = 1e-3 * np.random.default_rng(seed).standard_normal(g.n)
    m1 = np.zeros(g.n)
    m2 = np.zeros(g.n)
    for t in range(n_steps):
        s = max(1e-3, 1 - (1 - 1e-3) * t / (0.8 * total_steps))
        a = mu / (s * norms)
        pdf = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        ai, aj = a[g.u], a[g.v]
        gi = g.weights * pdf[g.u] * (1 - 2 * ndtr((aj - rho * ai) / q))
        gj = g.weights * pdf[g.v] * (1 - 2 * ndtr((ai - rho * aj) / q))
        grad = (np.bincount(g.u, gi, minlength=g.n) + np.bincount(g.v, gj, minlength=g.n)) / (s * norms)
        m1 = 0.9 * m1 + 0.1 * grad
        m2 = 0.999 * m2 + 0.001 * grad * grad
        mu = mu + 0.02 * (m1 / (1 - 0.9 ** (t + 1))) / (np.sqrt(m2 / (1 - 0.999 ** (t + 1))) + 1e-8)
    return float(np.sum(mu))


def test_bench_exact(benchmark, smoke, record_ratio, best_time):
    if smoke:
        g, steps = load_graph(builtin_graph_path()), 100
    else:
        p = GSET / "G81"
        if not p.is_file():
            pytest.skip(f"Gset data not found at {p}")
        g, steps = load_graph(p), 1500
    V = solve_sdp(g, seed=0).V
    ExactCutObjective(g, V).value_and_grad(np.zeros(g.n))  # warm-up
    times: list[float] = []

    def run():
        t = time.perf_counter()
        out = derand_exact(g, V, max_iter=steps, restarts=1, reheats=0)
        times.append(time.perf_counter() - t)
        return out

    out = benchmark.pedantic(run, rounds=1 if smoke else 2, iterations=1)
    k = max(1, steps // 10)
    t_np = best_time(lambda: numpy_exact_steps(V, g, k, steps), 1) * steps / k
    # the defaults: 2 restarts (one per thread) + 1 reheat of steps // 2, i.e. 3x the steps
    t = time.perf_counter()
    full = derand_exact(g, V, max_iter=steps)
    t_full = time.perf_counter() - t
    benchmark.extra_info.update(cut=out.cut, time=min(times), numpy_time_scaled=t_np, default_cut=full.cut,
                                default_time=t_full)
    record_ratio(f"derand-exact {g.name} {steps} steps, one anneal: NumPy prototype / ours "
                 f"({t_np:.2f} s scaled from {k} steps / {min(times):.2f} s; cut {out.cut:g}; "
                 f"defaults {t_full:.2f} s, cut {full.cut:g})", t_np / min(times), benchmark)
