"""Numba kernels of the learned Johnson–Lindenstrauss embeddings (paper §5.2, App. G).

A *constraint* ``p`` is a pair of rows ``(i, j)`` of a point matrix ``X``
(shape ``(m, d)``) together with ``inv_sq[p] = 1 / ||x_i - x_j||^2``; its signed
distortion under a ``k × d`` matrix ``A`` is

.. math::

    u_p(A) = \\|A(x_i - x_j)\\|^2 / \\|x_i - x_j\\|^2 - 1 .

Norm constraints (paper Eq. 21) are pairs with an all-zero row appended to
``X``. All kernels work from ``Y = X Aᵀ`` (shape ``(m, k)``) and return the
gradient in ``Y``, ``G = ∂F/∂Y``, so that ``∂F/∂A = Gᵀ X``: the ``n·k·d`` work
is two matrix products and the ``pairs × k`` work one fused loop.

Objectives (``mode``):

``MODE_SUM``
    sum of smoothed violation indicators :math:`\\sum_p \\tilde I(u_p)`
    (paper Eq. 9 / 27, :func:`derand_fast.indicators.jl_indicator_scalar`);
``MODE_LSE``
    smooth worst case :math:`\\tau \\log \\sum_p (e^{u_p/\\tau} + e^{-u_p/\\tau})`,
    within :math:`\\tau \\log(2P)` above :math:`\\max_p |u_p|`;
``MODE_MAX``
    only :math:`\\max_p |u_p|` (no gradient).

Monte Carlo samples ``A_s = M + σ ⊙ Z_s`` take ``Z_s`` from stream
``first_stream + s`` of :func:`derand_fast.random.fill_stream`; sample ``s``
writes slot ``s`` and every reduction runs afterwards in a fixed order, so the
results are bit-identical for any thread count.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ..indicators import jl_indicator_scalar
from ..random import fill_stream

__all__ = [
    "MODE_SUM",
    "MODE_LSE",
    "MODE_MAX",
    "pair_sq_dists",
    "eval_fixed",
    "eval_fixed_serial",
    "eval_batch",
    "eval_batch_serial",
    "pick",
]

MODE_SUM = 0
MODE_LSE = 1
MODE_MAX = 2


@nb.njit(cache=True, parallel=True)
def pair_sq_dists(X, pairs, out):
    """``out[p] = ||X[i] - X[j]||^2`` for ``(i, j) = pairs[p]`` (exact differences, no cancellation)."""
    d = X.shape[1]
    for p in nb.prange(pairs.shape[0]):
        i = pairs[p, 0]
        j = pairs[p, 1]
        s = 0.0
        for c in range(d):
            t = X[i, c] - X[j, c]
            s += t * t
        out[p] = s


@nb.njit(cache=True)
def _max_abs(Y, pairs, inv_sq, lo, hi):
    k = Y.shape[1]
    m = 0.0
    for p in range(lo, hi):
        i = pairs[p, 0]
        j = pairs[p, 1]
        s = 0.0
        for r in range(k):
            t = Y[i, r] - Y[j, r]
            s += t * t
        a = abs(s * inv_sq[p] - 1.0)
        if a > m:
            m = a
    return m


@nb.njit(cache=True)
def _pair_pass(Y, pairs, inv_sq, lo, hi, mode, eps, eps1, tau, shift, G):
    """Accumulate the objective's terms over constraints ``lo..hi-1`` and their Y-gradient into ``G``.

    ``MODE_SUM``: returns :math:`\\sum \\tilde I(u_p)`, ``G`` gets ``∂/∂Y``.
    ``MODE_LSE``: returns :math:`S = \\sum e^{(u_p-shift)/\\tau} + e^{(-u_p-shift)/\\tau}`,
    ``G`` gets ``S ⋅ ∂(τ log S)/∂Y`` (the caller divides by the total ``S``).
    """
    k = Y.shape[1]
    total = 0.0
    for p in range(lo, hi):
        i = pairs[p, 0]
        j = pairs[p, 1]
        s = 0.0
        for r in range(k):
            t = Y[i, r] - Y[j, r]
            s += t * t
        w = inv_sq[p]
        u = s * w - 1.0
        if mode == MODE_SUM:
            f, df, _ = jl_indicator_scalar(u, eps, eps1)
            total += f
        else:
            ep = math.exp((u - shift) / tau)
            em = math.exp((-u - shift) / tau)
            total += ep + em
            df = ep - em
        if df != 0.0:
            c = 2.0 * df * w
            for r in range(k):
                t = c * (Y[i, r] - Y[j, r])
                G[i, r] += t
                G[j, r] -= t
    return total


@nb.njit(cache=True)
def _bounds(n_items, n_chunks, c):
    return (c * n_items) // n_chunks, ((c + 1) * n_items) // n_chunks


def _eval_fixed(Y, pairs, inv_sq, mode, eps, eps1, tau, n_chunks, G):
    """Objective of one fixed matrix from ``Y = X Aᵀ``; writes ``G = ∂F/∂Y``.

    The constraints are split into ``n_chunks`` fixed chunks (independent of
    the thread count) with per-chunk partial gradients summed in chunk order.

    Returns
    -------
    value : float
        The objective (0.0 for ``MODE_MAX``).
    max_abs : float
        :math:`\\max_p |u_p|`.
    """
    n_pairs = pairs.shape[0]
    maxima = np.zeros(n_chunks)
    for c in nb.prange(n_chunks):
        lo, hi = _bounds(n_pairs, n_chunks, c)
        maxima[c] = _max_abs(Y, pairs, inv_sq, lo, hi)
    m = 0.0
    for c in range(n_chunks):
        m = max(m, maxima[c])
    G[:, :] = 0.0
    if mode == MODE_MAX:
        return 0.0, m
    parts = np.zeros((n_chunks, Y.shape[0], Y.shape[1]))
    sums = np.zeros(n_chunks)
    for c in nb.prange(n_chunks):
        lo, hi = _bounds(n_pairs, n_chunks, c)
        sums[c] = _pair_pass(Y, pairs, inv_sq, lo, hi, mode, eps, eps1, tau, m, parts[c])
    total = 0.0
    for c in range(n_chunks):
        total += sums[c]
        G += parts[c]
    if mode == MODE_LSE:
        G /= total
        return m + tau * math.log(total), m
    return total, m


@nb.njit(cache=True)
def _sample_gradient(X, XZ, Y, Z, scalar_sigma, pairs, inv_sq, mode, eps, eps1, tau, m, G, values,
                     grad_sigma, s):
    total = _pair_pass(Y, pairs, inv_sq, 0, pairs.shape[0], mode, eps, eps1, tau, m, G)
    if mode == MODE_LSE:
        G /= total
        values[s] = m + tau * math.log(total)
    else:
        values[s] = total
    if scalar_sigma:
        acc = 0.0
        for i in range(G.shape[0]):
            for r in range(G.shape[1]):
                acc += G[i, r] * XZ[i, r]
        grad_sigma[s, 0, 0] = acc
    else:
        grad_sigma[s] = np.dot(G.T, X) * Z


def _eval_batch(X, XMt, sigma, scalar_sigma, key, first_stream, pairs, inv_sq, mode, eps, eps1, tau,
               values, max_abs, G_sum, grad_sigma):
    """Monte Carlo objective over sampled matrices ``A_s = M + σ ⊙ Z_s`` (paper Eq. 24).

    Parameters
    ----------
    X : float64[m, d]
    XMt : float64[m, k]
        ``X Mᵀ``, shared by all samples.
    sigma : float64[k, d]
        Standard deviations (``Σ^{1/2}``); with ``scalar_sigma`` only ``sigma[0, 0]`` is read.
    scalar_sigma : bool
    key : uint64
        Generator key (:func:`derand_fast.random.seed_to_key`).
    first_stream : int64
        Sample ``s`` uses normal stream ``first_stream + s``.
    pairs, inv_sq, mode, eps, eps1, tau
        As in :func:`eval_fixed`.
    values, max_abs : float64[S]
        Out: per-sample objective and :math:`\\max_p |u_p|`.
    G_sum : float64[m, k]
        Out: :math:`\\sum_s \\partial F_s/\\partial Y_s` (summed in sample order), so that
        :math:`\\sum_s \\partial F_s / \\partial M = G_{sum}^\\top X`.
    grad_sigma : float64[S, k, d]
        Out (pathwise, paper Eq. 10): :math:`\\partial F_s/\\partial \\sigma = (G_s^\\top X) \\odot Z_s`;
        with ``scalar_sigma`` only ``grad_sigma[s, 0, 0] = \\sum (G_s^\\top X) \\odot Z_s``.
    """
    n_samples = values.shape[0]
    m_rows = X.shape[0]
    k, d = sigma.shape
    G_all = np.zeros((n_samples if mode != MODE_MAX else 0, m_rows, k))
    for s in nb.prange(n_samples):
        z = np.empty(k * d)
        fill_stream(key, first_stream + s, z)
        Z = z.reshape((k, d))
        if scalar_sigma:
            XZ = np.dot(X, Z.T)
            Y = XMt + sigma[0, 0] * XZ
        else:
            XZ = np.dot(X, (sigma * Z).T)  # X (σ ⊙ Z)ᵀ
            Y = XMt + XZ
        n_pairs = pairs.shape[0]
        m = _max_abs(Y, pairs, inv_sq, 0, n_pairs)
        max_abs[s] = m
        values[s] = 0.0
        if mode != MODE_MAX:
            _sample_gradient(X, XZ, Y, Z, scalar_sigma, pairs, inv_sq, mode, eps, eps1,
                             tau, m, G_all[s], values, grad_sigma, s)
    G_sum[:, :] = 0.0
    if mode != MODE_MAX:
        for s in range(n_samples):
            G_sum += G_all[s]


# Each kernel compiled twice from one body: threaded, and serial for small problems where
# launching threads costs more than the work. Chunks/slots are fixed, so both give identical bits.
eval_fixed = nb.njit(cache=True, parallel=True)(_eval_fixed)
eval_fixed_serial = nb.njit(cache=True)(_eval_fixed)
eval_batch = nb.njit(cache=True, parallel=True)(_eval_batch)
eval_batch_serial = nb.njit(cache=True)(_eval_batch)
PARALLEL_WORK = 200_000  # multiply-adds below which callers pick the serial kernel


def pick(parallel_kernel, serial_kernel, work: float):
    """The threaded kernel when ``work`` (multiply-adds) exceeds :data:`PARALLEL_WORK`, else the serial one."""
    return parallel_kernel if work > PARALLEL_WORK else serial_kernel
