"""Numba kernels of the learned Johnson–Lindenstrauss embeddings (paper §5.2, App. G).

A *constraint* ``p`` is a pair of rows ``(i, j)`` of a point matrix ``X``
(shape ``(m, d)``) together with ``inv_sq[p] = 1 / ||x_i - x_j||^2``; its signed
distortion under a ``k × d`` matrix ``A`` is

.. math::

    u_p(A) = \\|A(x_i - x_j)\\|^2 / \\|x_i - x_j\\|^2 - 1 .

Norm constraints (paper Eq. 21) are pairs with an all-zero row appended to
``X``. All kernels work from ``Y = X Aᵀ`` (shape ``(m, k)``) and return the
gradient in ``Y``, ``G = ∂F/∂Y``, so that ``∂F/∂A = Gᵀ X``: the ``m·k·d`` work
is matrix products (BLAS) and the ``pairs × k`` work one fused loop.

Objectives (``mode``):

``MODE_SUM``
    sum of smoothed violation indicators :math:`\\sum_p \\tilde I(u_p)`
    (paper Eq. 9 / 27, :func:`derand_fast.indicators.jl_indicator_scalar`);
``MODE_LSE``
    smooth worst case :math:`\\tau \\log \\sum_p (e^{u_p/\\tau} + e^{-u_p/\\tau})`,
    within :math:`\\tau \\log(2P)` above :math:`\\max_p |u_p|`; terms below
    :math:`e^{-60}` times the largest one (each at most ``9e-27`` of the sum) are
    skipped, so late in a temperature schedule most pairs cost no ``exp``;
``MODE_MAX``
    only :math:`\\max_p |u_p|` (no gradient).

Monte Carlo (:func:`mc_batch`): the samples come from the smoothing engine
(:class:`~derand_fast.smoothing.AffineSmoother` draws the normals and scales
them, :class:`~derand_fast.jl.objectives.DistortionObjective` calls the
kernel): sample ``s`` is ``C_s = C + scale Pt_s`` (``k × D``) and
``Y_s = Xb C_sᵀ`` with ``Xb = X``, or the coordinates of ``X`` in its row
space (``D = rank``). The samples are split into fixed blocks (a function of the
number of samples only) run in one parallel region — one barrier per call,
which matters when the cores are shared — each block with one BLAS call
forward and one back; per-sample results go to per-sample slots and every
reduction runs afterwards in a fixed order: results are bit-identical for any
thread count. When a sample's constraints are at least half of all pairs, its
distortions come from the Gram matrix :math:`Y_s Y_s^\\top` (one BLAS call)
instead of ``P`` explicit differences, with exact differences wherever the
Gram formula's rounding could exceed ``1e-12`` (near-duplicate points).
"""

from __future__ import annotations

import math
import types

import numba as nb
import numpy as np

from ..indicators import jl_indicator_scalar

__all__ = [
    "MODE_SUM",
    "MODE_LSE",
    "MODE_MAX",
    "pair_sq_dists",
    "signed_distortions",
    "eval_fixed",
    "eval_fixed_serial",
    "incidence",
    "mc_batch",
    "mc_batch_serial",
    "n_blocks",
    "twin",
]

MODE_SUM = 0
MODE_LSE = 1
MODE_MAX = 2
_CUT = 60.0  # LSE terms exp(z) with z < -_CUT (relative to the largest, exp(0)) are skipped


@nb.njit(cache=True, parallel=True)
def pair_sq_dists(X, pairs, out):
    """``out[p] = ||X[i] - X[j]||^2`` for ``(i, j) = pairs[p]`` (exact differences, no cancellation)."""
    for p in nb.prange(pairs.shape[0]):
        out[p] = _sq_dist(X, pairs[p, 0], pairs[p, 1])


@nb.njit(cache=True, inline="always")
def _sq_dist(Y, i, j):
    """``||Y[i] - Y[j]||^2`` with four interleaved partial sums (a fixed order the CPU can overlap)."""
    k = Y.shape[1]
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    r = 0
    while r + 4 <= k:
        t0 = Y[i, r] - Y[j, r]
        t1 = Y[i, r + 1] - Y[j, r + 1]
        t2 = Y[i, r + 2] - Y[j, r + 2]
        t3 = Y[i, r + 3] - Y[j, r + 3]
        s0 += t0 * t0
        s1 += t1 * t1
        s2 += t2 * t2
        s3 += t3 * t3
        r += 4
    while r < k:
        t0 = Y[i, r] - Y[j, r]
        s0 += t0 * t0
        r += 1
    return (s0 + s1) + (s2 + s3)


@nb.njit(cache=True)
def _max_abs(Y, pairs, inv_sq, lo, hi):
    m = 0.0
    for p in range(lo, hi):
        a = abs(_sq_dist(Y, pairs[p, 0], pairs[p, 1]) * inv_sq[p] - 1.0)
        if a > m:
            m = a
    return m


@nb.njit(cache=True, parallel=True)
def signed_distortions(Y, pairs, inv_sq, u):
    """``u[p] = ||Y[i] - Y[j]||^2 inv_sq[p] - 1`` for every constraint ``p = (i, j)``."""
    for p in nb.prange(pairs.shape[0]):
        u[p] = _sq_dist(Y, pairs[p, 0], pairs[p, 1]) * inv_sq[p] - 1.0


@nb.njit(cache=True)
def _distortions_max_gram(Y, pairs, inv_sq, u):
    """:func:`_distortions_max` for dense constraint sets, from the Gram matrix ``Y Yᵀ`` (one BLAS call).

    :math:`\\|y_i - y_j\\|^2 = q_i + q_j - 2 g_{ij}` has a rounding error of at most about
    :math:`2k\\epsilon (q_i + q_j)`; where that could exceed ``1e-12`` of the constraint's
    squared norm, the exact difference is used instead (``Y`` is centred first, which keeps
    :math:`q` small for data away from the origin).
    """
    m_rows, k = Y.shape
    Yc = np.empty((m_rows, k))
    for r in range(k):
        c = 0.0
        for i in range(m_rows):
            c += Y[i, r]
        c /= m_rows
        for i in range(m_rows):
            Yc[i, r] = Y[i, r] - c
    g = np.dot(Yc, Yc.T)
    bound = 1e-12 / (2.0 * k * 2.220446049250313e-16)
    m = 0.0
    for p in range(pairs.shape[0]):
        i = pairs[p, 0]
        j = pairs[p, 1]
        w = inv_sq[p]
        qs = g[i, i] + g[j, j]
        if qs * w <= bound:
            v = (qs - 2.0 * g[i, j]) * w - 1.0
        else:
            v = _sq_dist(Y, i, j) * w - 1.0
        u[p] = v
        a = abs(v)
        if a > m:
            m = a
    return m


@nb.njit(cache=True)
def _distortions_max(Y, pairs, inv_sq, u):
    """``u[p] = u_p`` for every constraint; returns :math:`\\max_p |u_p|`."""
    m = 0.0
    for p in range(pairs.shape[0]):
        v = _sq_dist(Y, pairs[p, 0], pairs[p, 1]) * inv_sq[p] - 1.0
        u[p] = v
        a = abs(v)
        if a > m:
            m = a
    return m


@nb.njit(cache=True)
def _pair_pass(Y, pairs, inv_sq, lo, hi, mode, eps, eps1, tau, shift, G, U):
    """Accumulate the objective's terms over constraints ``lo..hi-1`` and their Y-gradient into ``G``.

    ``U``: the distortions ``u_p`` if already computed (length ``P``), else empty.

    ``MODE_SUM``: returns :math:`\\sum \\tilde I(u_p)`, ``G`` gets ``∂/∂Y``.
    ``MODE_LSE``: returns :math:`S = \\sum e^{(u_p-shift)/\\tau} + e^{(-u_p-shift)/\\tau}`,
    ``G`` gets ``S ⋅ ∂(τ log S)/∂Y`` (the caller divides by the total ``S``).
    """
    k = Y.shape[1]
    total = 0.0
    inv_tau = 1.0 / tau
    stored = U.shape[0] > 0
    for p in range(lo, hi):
        i = pairs[p, 0]
        j = pairs[p, 1]
        w = inv_sq[p]
        u = U[p] if stored else _sq_dist(Y, i, j) * w - 1.0
        if mode == MODE_SUM:
            f, df, _ = jl_indicator_scalar(u, eps, eps1)
            total += f
        else:
            zp = (u - shift) * inv_tau
            zm = (-u - shift) * inv_tau
            ep = math.exp(zp) if zp > -_CUT else 0.0
            em = math.exp(zm) if zm > -_CUT else 0.0
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


@nb.njit(cache=True)
def incidence(pairs, m_rows):
    """Constraints incident to each row as CSR: ``ids[ptr[i]:ptr[i+1]]`` are those touching row ``i``, ascending."""
    ptr = np.zeros(m_rows + 1, dtype=np.int64)
    for p in range(pairs.shape[0]):
        ptr[pairs[p, 0] + 1] += 1
        ptr[pairs[p, 1] + 1] += 1
    for i in range(m_rows):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    ids = np.empty(2 * pairs.shape[0], dtype=np.int64)
    for p in range(pairs.shape[0]):
        for e in range(2):
            i = pairs[p, e]
            ids[fill[i]] = p
            fill[i] += 1
    return ptr, ids


def _eval_fixed(Y, pairs, inv_sq, ptr, ids, mode, eps, eps1, tau, n_chunks, G):
    """Objective of one fixed matrix from ``Y = X Aᵀ``; writes ``G = ∂F/∂Y``.

    Three passes, each parallel with a fixed order (bit-identical for any
    thread count): distortions and per-chunk maxima over ``n_chunks`` fixed
    constraint chunks; each constraint's weight :math:`c_p = \\partial F/\\partial u_p
    \\cdot 2/\\|v_p\\|^2` with per-chunk sums; then per row ``i`` (constraints of
    row ``i`` from :func:`incidence`: ``ptr``, ``ids``)
    :math:`G_i = \\sum_{p \\ni i} c_p (y_i - y_{o(p)})`, no scatter and no per-chunk copies of ``G``.

    Returns
    -------
    value : float
        The objective (0.0 for ``MODE_MAX``).
    max_abs : float
        :math:`\\max_p |u_p|`.
    """
    n_pairs = pairs.shape[0]
    m_rows, k = Y.shape
    maxima = np.zeros(n_chunks)
    u = np.empty(n_pairs)
    for c in nb.prange(n_chunks):
        lo, hi = _bounds(n_pairs, n_chunks, c)
        mc = 0.0
        for p in range(lo, hi):
            v = _sq_dist(Y, pairs[p, 0], pairs[p, 1]) * inv_sq[p] - 1.0
            u[p] = v
            if abs(v) > mc:
                mc = abs(v)
        maxima[c] = mc
    m = 0.0
    for c in range(n_chunks):
        m = max(m, maxima[c])
    if mode == MODE_MAX:
        G[:, :] = 0.0
        return 0.0, m
    sums = np.zeros(n_chunks)
    inv_tau = 1.0 / tau
    for c in nb.prange(n_chunks):  # u becomes the weight c_p
        lo, hi = _bounds(n_pairs, n_chunks, c)
        total = 0.0
        for p in range(lo, hi):
            v = u[p]
            if mode == MODE_SUM:
                f, df, _ = jl_indicator_scalar(v, eps, eps1)
                total += f
            else:
                zp = (v - m) * inv_tau
                zm = (-v - m) * inv_tau
                ep = math.exp(zp) if zp > -_CUT else 0.0
                em = math.exp(zm) if zm > -_CUT else 0.0
                total += ep + em
                df = ep - em
            u[p] = 2.0 * df * inv_sq[p]
        sums[c] = total
    total = 0.0
    for c in range(n_chunks):
        total += sums[c]
    scale = 1.0 / total if mode == MODE_LSE else 1.0
    for i in nb.prange(m_rows):
        for r in range(k):
            G[i, r] = 0.0
        for e in range(ptr[i], ptr[i + 1]):
            p = ids[e]
            w = u[p]
            if w != 0.0:
                o = pairs[p, 1] if pairs[p, 0] == i else pairs[p, 0]
                w *= scale
                for r in range(k):
                    G[i, r] += w * (Y[i, r] - Y[o, r])
    if mode == MODE_LSE:
        return m + tau * math.log(total), m
    return total, m


def n_blocks(n_samples: int) -> int:
    """Sample blocks of :func:`mc_batch`'s matrix products: a function of the sample count only."""
    return min(int(n_samples), 4)


def _mc_batch(Xb, XMt, scale, Pt, pairs, inv_sq, mode, eps, eps1, tau, nblk, N, Y, G, U, values, max_abs,
              grads, dirs):
    """Objective of a batch of sampled matrices (paper Eq. 24, 26–27) and its pathwise gradients.

    Sample ``s`` is the matrix :math:`C_s = C + \\text{scale}\\cdot\\text{Pt}_s` (``k × D``,
    row-major) acting on the points through :math:`Y_s = X_b C_s^\\top`; the samples
    come from the smoothing engine (:class:`~derand_fast.smoothing.AffineSmoother`,
    :class:`~derand_fast.jl.objectives.DistortionObjective`).

    Parameters
    ----------
    Xb : float64[m, D]
        The points in the coordinates of ``C`` (``X`` itself, or their row-space
        coordinates :attr:`JLProblem.row_coords`).
    XMt : float64[m, k]
        :math:`X_b C^\\top`, shared by all samples.
    scale : float
    Pt : float64[S, k D]
        Row ``s``: the sample's noise, row-major ``k × D``.
    pairs, inv_sq, mode, eps, eps1, tau
        As in :func:`eval_fixed`.
    nblk : int
        Sample blocks of the matrix products (:func:`n_blocks`).
    N : float64[S, m, k]
        Out: the noise products :math:`X_b \\text{Pt}_s^\\top`.
    Y : float64[S, m, k]
        Out: ``Y_s = XMt + scale N_s``.
    G : float64[S, m, k]
        Out: ``∂F_s/∂Y_s`` (zero for ``MODE_MAX``).
    U : float64[S, P] or float64[1, 0]
        Scratch for the distortions between the two pair passes (the second
        pass recomputes them when ``U`` has no row per sample).
    values, max_abs : float64[S]
        Out: per-sample objective and :math:`\\max_p |u_p|`.
    grads : float64[S, k D] or float64[0, 0]
        Out when it has a row per sample: :math:`\\nabla_C F_s = G_s^\\top X_b`, row-major.
    dirs : float64[S, 1, 1] or float64[0, 1, 1]
        Out when it has a row per sample: :math:`\\nabla_C F_s \\cdot \\text{Pt}_s = \\langle G_s, N_s \\rangle`.
    """
    S = Pt.shape[0]
    for c in nb.prange(nblk):  # one parallel region: each block of samples runs start to finish
        lo, hi = _bounds(S, nblk, c)
        _mc_block(Xb, XMt, scale, Pt, pairs, inv_sq, mode, eps, eps1, tau, lo, hi, N, Y, G, U, values, max_abs,
                  grads, dirs)


@nb.njit(cache=True)
def _mc_block(Xb, XMt, scale, Pt, pairs, inv_sq, mode, eps, eps1, tau, lo, hi, N, Y, G, U, values, max_abs,
              grads, dirs):
    """Samples ``lo..hi-1`` of :func:`mc_batch`: one BLAS product forward, the pair passes, one back."""
    S = Pt.shape[0]
    m_rows, D = Xb.shape
    k = XMt.shape[1]
    nb_s = hi - lo
    T = np.dot(Xb, Pt[lo:hi].reshape((nb_s * k, D)).T)  # (m, nb_s k)
    for s in range(lo, hi):
        for i in range(m_rows):
            for r in range(k):
                t = T[i, (s - lo) * k + r]
                N[s, i, r] = t
                Y[s, i, r] = XMt[i, r] + scale * t
    n_pairs = pairs.shape[0]
    store = grads.shape[0] == S
    directional = dirs.shape[0] == S
    for s in range(lo, hi):
        G[s] = 0.0
        if mode == MODE_MAX:
            max_abs[s] = _max_abs(Y[s], pairs, inv_sq, 0, n_pairs)
            values[s] = 0.0
            if directional:
                dirs[s, 0, 0] = 0.0
            continue
        if U.shape[0] == S:  # keep the distortions for the second pass
            if 4 * n_pairs >= m_rows * (m_rows - 1):  # at least half of all pairs: the Gram matrix is cheaper
                m = _distortions_max_gram(Y[s], pairs, inv_sq, U[s])
            else:
                m = _distortions_max(Y[s], pairs, inv_sq, U[s])
            Us = U[s]
        else:
            m = _max_abs(Y[s], pairs, inv_sq, 0, n_pairs)
            Us = U[0, :0]
        max_abs[s] = m
        total = _pair_pass(Y[s], pairs, inv_sq, 0, n_pairs, mode, eps, eps1, tau, m, G[s], Us)
        if mode == MODE_LSE:
            G[s] /= total
            values[s] = m + tau * math.log(total)
        else:
            values[s] = total
        if directional:
            acc = 0.0
            for i in range(m_rows):
                for r in range(k):
                    acc += G[s, i, r] * N[s, i, r]
            dirs[s, 0, 0] = acc
    if not store:
        return
    Gt = np.empty((nb_s * k, m_rows))
    for s in range(lo, hi):
        for i in range(m_rows):
            for r in range(k):
                Gt[(s - lo) * k + r, i] = G[s, i, r]
    np.dot(Gt, Xb, grads[lo:hi].reshape((nb_s * k, D)))  # straight into the samples' rows (k × D each)


def _twins(fn):
    """``fn`` compiled twice: threaded, and serial for small problems where launching threads costs more than the work.

    Chunks/slots/blocks are fixed, so both give identical bits. The serial twin is compiled from a copy of
    ``fn`` under its own name: Numba's on-disk cache keys a kernel by its function's qualified name, line and
    signature, not by ``parallel=``, so twins of one function share a cache entry and whichever compiled first
    was loaded for both (the threaded kernel then ran serially in every later process).
    """
    copy = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial", fn.__defaults__, fn.__closure__)
    copy.__qualname__ = fn.__qualname__ + "_serial"
    copy.__doc__ = fn.__doc__
    return nb.njit(cache=True, parallel=True)(fn), nb.njit(cache=True)(copy)


eval_fixed, eval_fixed_serial = _twins(_eval_fixed)
mc_batch, mc_batch_serial = _twins(_mc_batch)


def twin(parallel_kernel, serial_kernel):
    """The serial twin when Numba runs on one thread (:func:`~derand_fast._threads.threads_for` chose 1), else the
    threaded one: a parallel region on one thread costs its launch for nothing."""
    return serial_kernel if nb.get_num_threads() == 1 else parallel_kernel
