"""Learned JL: one variational iteration (20 sampled matrices, value + gradients in M and sigma),
Numba kernels against a plain NumPy implementation of the same estimator in the same session.

Both sigma options: one standard deviation per entry (the paper's), and one
shared scalar, whose samples both implementations draw in the points' row
space (``k × r`` normals, ``r = rank X``; :attr:`JLProblem.row_coords`) — the
NumPy baseline gets the same algorithmic shortcut, so the ratio measures the
implementation only.

Smoke mode (default ``--benchmark-disable``): n = 20, d = 50, k = 5. Timed
(``--benchmark-enable``): the paper's pairwise setting n = 100, d = 500, k = 30.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast._threads import thread_scope
from derand_fast.jl.objectives import make_problem, mc_objective
from derand_fast.random import STREAMS, standard_normal

S, TAU = 20, 0.01


def numpy_iteration(X, M, sigma, Z, tau, Xb=None):
    """The same Monte Carlo smooth-max objective and pathwise gradients, vectorized NumPy.

    Per sample: Y = X Aᵀ, all pairwise squared distances from the Gram matrix,
    log-sum-exp weights W, and ∂F/∂Y = 2 (diag(W 1) - W) Y with W_ij = w_ij / ||x_i - x_j||².
    With ``Xb`` (row-space coordinates of ``X``) ``sigma`` is a shared scalar and
    ``Z`` has shape (S, k, r): Y = X Mᵀ + σ Xb Zᵀ, ∂F/∂σ = <∂F/∂Y, Xb Zᵀ>.
    """
    n = X.shape[0]
    iu = np.triu_indices(n, 1)
    sq = np.sum(X**2, axis=1)
    D = (sq[:, None] + sq[None, :] - 2 * X @ X.T)[iu]
    vals, gM, gS = [], np.zeros_like(M), np.zeros_like(M) if Xb is None else 0.0
    XMt = X @ M.T
    for z in Z:
        if Xb is None:
            Y = X @ (M + sigma * z).T
        else:
            XZ = Xb @ z.T
            Y = XMt + sigma * XZ
        ys = np.sum(Y**2, axis=1)
        u = (ys[:, None] + ys[None, :] - 2 * Y @ Y.T)[iu] / D - 1
        m = np.abs(u).max()
        ep, em = np.exp((u - m) / tau), np.exp((-u - m) / tau)
        tot = ep.sum() + em.sum()
        vals.append(m + tau * math.log(tot))
        W = np.zeros((n, n))
        W[iu] = (ep - em) / tot / D
        W = W + W.T
        G = 2 * (np.diag(W.sum(axis=1)) - W) @ Y
        if Xb is None:
            gA = G.T @ X
            gM += gA
            gS += gA * z
        else:
            gM += G.T @ X
            gS += np.sum(G * XZ)
    k, d = M.shape
    if Xb is not None:
        return np.mean(vals) + sigma**2 / 2, gM / len(Z), gS / len(Z) + sigma
    return (np.mean(vals) + np.sum(sigma**2) / (2 * k * d), gM / len(Z), gS / len(Z) + sigma / (k * d))


@pytest.mark.parametrize("sigma_kind", ["entry", "scalar"])
@pytest.mark.parametrize("threads", [1, 2])
def test_bench_variational_iteration(benchmark, bench_size, smoke, record_ratio, best_time, threads,
                                     sigma_kind):
    n, d, k = bench_size((20, 50, 5), (100, 500, 30))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    P = make_problem(X, "pairwise")
    M = rng.standard_normal((k, d)) / math.sqrt(k)
    if sigma_kind == "entry":
        sigma, Xb = np.full((k, d), 0.05), None
        Z = standard_normal(0, S, k * d, first_stream=STREAMS["jl.samples"].at(0)).reshape(S, k, d)
    else:
        sigma, Xb = 0.05, P.row_coords
        Z = standard_normal(0, S, k * Xb.shape[1], first_stream=STREAMS["jl.samples"].at(0))
        Z = Z.reshape(S, k, Xb.shape[1])
    ref = numpy_iteration(X, M, sigma, Z, TAU, Xb)
    run = lambda: mc_objective(M, sigma, P, tau=TAU, n_samples=S, seed=0, step=0, threads=threads)  # noqa: E731
    est = run()  # JIT warm-up, and the same numbers as the NumPy version (same normals)
    assert est.value == pytest.approx(ref[0], rel=1e-9)
    np.testing.assert_allclose(est.grad_M, ref[1], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(est.grad_sigma, ref[2], rtol=1e-6, atol=1e-9)
    benchmark(run)
    if not smoke:
        # NumPy at its best: BLAS with its default threads, or pinned to one (on a shared 2-core
        # machine threaded BLAS on these small products can be many times slower)
        t_numpy = best_time(lambda: numpy_iteration(X, M, sigma, Z, TAU, Xb), 5)
        with thread_scope(1):
            t_numpy = min(t_numpy, best_time(lambda: numpy_iteration(X, M, sigma, Z, TAU, Xb), 5))
        record_ratio(f"jl variational iteration n={n} d={d} k={k} S={S} sigma={sigma_kind}: "
                     f"numpy / numba({threads} thr)",
                     t_numpy / benchmark.stats.stats.min, benchmark)
