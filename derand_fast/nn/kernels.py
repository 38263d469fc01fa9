"""Numba kernels of the two-layer student (:class:`~derand_fast.nn.student.TwoLayerStudent`).

Risk, gradient and Hessian-vector products of paper Eq. 5 (MSE loss) over a
batch, fused per block of 64 samples: pre-activations by one BLAS product,
vectorized activation, prediction, residual, back-propagation, first-layer
gradient by one BLAS product; no Python loop per sample and no ``(n, h)``
temporaries. The batch is cut into chunks that depend only on ``n`` (never on
the thread count, :func:`chunk_size`); each chunk writes its own partial slot
and :func:`reduce_slots` sums the slots in chunk order, so results are
bit-identical for every thread count.

Activations are coded by an int ``kind``: 0 ``relu_iota``
(:math:`\\log(1 + e^{\\iota z})/\\iota`, paper §4.2), 1 ``tanh``, 2 ``gelu``
(:math:`z\\,\\Phi(z)`); each returns the value and the first two derivatives.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ..indicators import relu_iota_scalar

__all__ = ["activation_rows", "chunk_size", "fused_work_size", "hvp_chunks", "loss_grad_chunks", "predict_chunks",
           "reduce_slots", "relu_iota_rows", "row_chunk", "row_chunks", "rows_backward", "rows_forward", "rows_fused",
           "rows_matmul"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
# At most this many chunks per batch: enough for load balance on a few cores,
# few enough that the per-chunk gradient slots stay small.
_MAX_CHUNKS = 16
_MIN_CHUNK = 64


@nb.njit(cache=True, inline="always")
def _activation(z, kind, iota):
    """Activation ``kind`` (0 relu_iota, 1 tanh, 2 gelu): value, first and second derivative."""
    if kind == 0:
        return relu_iota_scalar(z, iota)
    if kind == 1:
        t = math.tanh(z)
        s = 1.0 - t * t
        return t, s, -2.0 * t * s
    phi = _INV_SQRT_2PI * math.exp(-0.5 * z * z)
    big_phi = 0.5 * math.erfc(-z * _INV_SQRT_2)
    return z * big_phi, big_phi + z * phi, (2.0 - z * z) * phi


# Vectorizable ReLU_iota: exp(-|iota z|) by Cody-Waite reduction + degree-13 Taylor polynomial
# (|r| <= ln2/2: truncation < 1e-17 relative) and 2^k assembled from the exponent bits;
# log1p(e) = 2 atanh(e / (2 + e)) by its odd series (e / (2 + e) <= 1/3: 18 terms, < 1e-18).
# Loops of plain arithmetic, so LLVM vectorizes them (libm exp/log1p calls are scalar);
# tests check it against derand_fast.indicators.relu_iota_scalar.
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: t + _SHIFT rounds t to an integer kept in the low bits
_SHIFT_BITS = np.int64(0x4338000000000000)
_EXP_CLAMP = 700.0  # exp(-700) ~ 1e-304 stays normal; beyond it the activation changes by < 1e-304
_BLOCK = 64  # samples per block: one BLAS product each way, pre-activations stay in cache


@nb.njit(cache=True, error_model="numpy")
def relu_iota_rows(Z, m, iota, F, F1, F2, scale, want_f2):
    """Rows ``0..m-1`` of ``Z``: value ``F``, derivative ``F1`` (and ``F2`` if ``want_f2``) of ReLU_iota."""
    h = Z.shape[1]
    bits = scale.view(np.int64)
    for s in range(m):
        z = Z[s]
        f1s = F1[s]
        for j in range(h):
            t = -min(abs(iota * z[j]), _EXP_CLAMP)
            u = t * _LOG2E + _SHIFT
            scale[j] = u
            kf = u - _SHIFT
            r = (t - kf * _LN2_HI) - kf * _LN2_LO
            p = 1.0 / 6227020800.0
            p = p * r + 1.0 / 479001600.0
            p = p * r + 1.0 / 39916800.0
            p = p * r + 1.0 / 3628800.0
            p = p * r + 1.0 / 362880.0
            p = p * r + 1.0 / 40320.0
            p = p * r + 1.0 / 5040.0
            p = p * r + 1.0 / 720.0
            p = p * r + 1.0 / 120.0
            p = p * r + 1.0 / 24.0
            p = p * r + 1.0 / 6.0
            p = p * r + 0.5
            p = p * r + 1.0
            f1s[j] = p * r + 1.0
        for j in range(h):
            bits[j] = (bits[j] - _SHIFT_BITS + 1023) << 52
        fs = F[s]
        f2s = F2[s] if want_f2 else F2[0]
        for j in range(h):
            e = f1s[j] * scale[j]
            y = iota * z[j]
            q = e / (2.0 + e)
            q2 = q * q
            c = 1.0 / 35.0
            c = c * q2 + 1.0 / 33.0
            c = c * q2 + 1.0 / 31.0
            c = c * q2 + 1.0 / 29.0
            c = c * q2 + 1.0 / 27.0
            c = c * q2 + 1.0 / 25.0
            c = c * q2 + 1.0 / 23.0
            c = c * q2 + 1.0 / 21.0
            c = c * q2 + 1.0 / 19.0
            c = c * q2 + 1.0 / 17.0
            c = c * q2 + 1.0 / 15.0
            c = c * q2 + 1.0 / 13.0
            c = c * q2 + 1.0 / 11.0
            c = c * q2 + 1.0 / 9.0
            c = c * q2 + 1.0 / 7.0
            c = c * q2 + 1.0 / 5.0
            c = c * q2 + 1.0 / 3.0
            c = c * q2 + 1.0
            fs[j] = (max(y, 0.0) + 2.0 * q * c) / iota
            sig = (1.0 if y >= 0.0 else e) / (1.0 + e)
            f1s[j] = sig
            if want_f2:
                f2s[j] = iota * sig * (1.0 - sig)


@nb.njit(cache=True)
def activation_rows(Z, m, kind, iota, F, F1, F2, scale, want_f2):
    """Activation of rows ``0..m-1`` of ``Z`` into ``F``, ``F1`` (``F2``)."""
    if kind == 0:
        relu_iota_rows(Z, m, iota, F, F1, F2, scale, want_f2)
        return
    for s in range(m):
        for j in range(Z.shape[1]):
            f, f1, f2 = _activation(Z[s, j], kind, iota)
            F[s, j] = f
            F1[s, j] = f1
            if want_f2:
                F2[s, j] = f2


@nb.njit(cache=True)
def _forward_block(WT, b, X, i0, m):
    """Pre-activations ``Z[s] = W x_{i0+s} + b``, ``s < m``: one BLAS product per block, shape (m, h)."""
    Z = np.dot(X[i0:i0 + m], WT)
    h = WT.shape[1]
    for s in range(m):
        zs = Z[s]
        for j in range(h):
            zs[j] += b[j]
    return Z


@nb.njit(cache=True)
def _backward_block(D, X, i0, m, GT):
    """``GT += X[i0:i0+m]^T D``: the block's first-layer gradient, one BLAS product, added in place."""
    G = np.dot(np.ascontiguousarray(X[i0:i0 + m].T), D)
    for k in range(GT.shape[0]):
        gk = GT[k]
        Gk = G[k]
        for j in range(GT.shape[1]):
            gk[j] += Gk[j]


@nb.njit(cache=True, inline="always")
def _dot4(a, f):
    """``a . f`` with four interleaved partial sums, combined in a fixed order."""
    h = a.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    j = 0
    while j + 4 <= h:
        s0 += a[j] * f[j]
        s1 += a[j + 1] * f[j + 1]
        s2 += a[j + 2] * f[j + 2]
        s3 += a[j + 3] * f[j + 3]
        j += 4
    while j < h:
        s0 += a[j] * f[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


@nb.njit(cache=True, parallel=True)
def loss_grad_chunks(WT, b, a, X, y, kind, iota, chunk, want_a):
    """Per-chunk partial sums: squared residuals, dR/dW^T, dR/db, dR/da (without the penalty)."""
    n, d = X.shape
    h = WT.shape[1]
    nc = (n + chunk - 1) // chunk
    sq = np.zeros(nc)
    gwt = np.zeros((nc, d, h))
    gb = np.zeros((nc, h))
    ga = np.zeros((nc, h if want_a else 0))
    scale2 = 2.0 / n
    for c in nb.prange(nc):
        F = np.empty((_BLOCK, h))
        F1 = np.empty((_BLOCK, h))
        F2 = np.empty((1, h))
        scale = np.empty(h)
        gbc = gb[c]
        acc = 0.0
        hi = min(n, (c + 1) * chunk)
        for i0 in range(c * chunk, hi, _BLOCK):
            m = min(_BLOCK, hi - i0)
            Z = _forward_block(WT, b, X, i0, m)
            activation_rows(Z, m, kind, iota, F, F1, F2, scale, False)
            for s in range(m):
                res = _dot4(a, F[s]) - y[i0 + s]
                acc += res * res
                r = scale2 * res
                ds = Z[s]  # reuse: Z[s] becomes dR/dz for sample s
                f1s = F1[s]
                for j in range(h):
                    dj = r * a[j] * f1s[j]
                    ds[j] = dj
                    gbc[j] += dj
                if want_a:
                    gac = ga[c]
                    fs = F[s]
                    for j in range(h):
                        gac[j] += r * fs[j]
            _backward_block(Z, X, i0, m, gwt[c])
        sq[c] = acc
    return sq, gwt, gb, ga


@nb.njit(cache=True, parallel=True)
def hvp_chunks(WT, b, a, VT, vb, va, X, y, kind, iota, chunk, want_a):
    """Per-chunk partial Hessian-vector products of the data term (R-operator of the backward pass)."""
    n, d = X.shape
    h = WT.shape[1]
    nc = (n + chunk - 1) // chunk
    hwt = np.zeros((nc, d, h))
    hb = np.zeros((nc, h))
    ha = np.zeros((nc, h if want_a else 0))
    scale2 = 2.0 / n
    for c in nb.prange(nc):
        F = np.empty((_BLOCK, h))
        F1 = np.empty((_BLOCK, h))
        F2 = np.empty((_BLOCK, h))
        scale = np.empty(h)
        hbc = hb[c]
        hi = min(n, (c + 1) * chunk)
        for i0 in range(c * chunk, hi, _BLOCK):
            m = min(_BLOCK, hi - i0)
            Z = _forward_block(WT, b, X, i0, m)
            DZ = _forward_block(VT, vb, X, i0, m)
            activation_rows(Z, m, kind, iota, F, F1, F2, scale, True)
            for s in range(m):
                fs, f1s, f2s, dzs = F[s], F1[s], F2[s], DZ[s]
                yhat = 0.0
                dyhat = 0.0
                for j in range(h):
                    yhat += a[j] * fs[j]
                    dyhat += va[j] * fs[j] + a[j] * f1s[j] * dzs[j]
                r = scale2 * (yhat - y[i0 + s])
                dr = scale2 * dyhat
                ts = Z[s]  # reuse: Z[s] becomes the R-derivative of dR/dz
                for j in range(h):
                    t = dr * a[j] * f1s[j] + r * va[j] * f1s[j] + r * a[j] * f2s[j] * dzs[j]
                    ts[j] = t
                    hbc[j] += t
                    if want_a:
                        ha[c, j] += dr * fs[j] + r * f1s[j] * dzs[j]
            _backward_block(Z, X, i0, m, hwt[c])
    return hwt, hb, ha


@nb.njit(cache=True)
def predict_chunks(WT, b, a, X, kind, iota, chunk, out):
    # serial on purpose: evaluation only, and one parallel kernel less to compile
    n = X.shape[0]
    h = WT.shape[1]
    nc = (n + chunk - 1) // chunk
    for c in range(nc):
        F = np.empty((_BLOCK, h))
        F1 = np.empty((_BLOCK, h))
        F2 = np.empty((1, h))
        scale = np.empty(h)
        hi = min(n, (c + 1) * chunk)
        for i0 in range(c * chunk, hi, _BLOCK):
            m = min(_BLOCK, hi - i0)
            Z = _forward_block(WT, b, X, i0, m)
            activation_rows(Z, m, kind, iota, F, F1, F2, scale, False)
            for s in range(m):
                out[i0 + s] = _dot4(a, F[s])


# ---------------------------------------------------------------------------
# The student's risk as an objective of the smoothing engine
# (:class:`~derand_fast.nn.student.StudentRisk`): the batch arrives as the
# engine's projections P (one row per coordinate of u, one column per sample),
# so these kernels run along the rows (hidden units), the B samples of a row
# contiguous: vector loops, no per-sample gather.
# ---------------------------------------------------------------------------

_ROW_BLOCK = 8  # hidden units per activation call (an (8, B) block stays in cache)


@nb.njit(cache=True)
def _forward_rows(b, scale, P, a, kind, iota, j0, j1, pc, D, F, keep_f, U, Fb, F2, scr):
    """Rows ``j0 .. j1-1`` of :math:`u = b + sP` (``P`` and ``D`` indexed by row ``j``, ``U.shape[1]`` samples).

    ``D[j] = σ'(u_j)``, ``F[j] = σ(u_j)`` if ``keep_f``, and ``pc = Σ_j a_j σ(u_j)`` over these rows, added in
    row order. ``U``, ``Fb`` (``(8, B)``), ``F2``, ``scr`` are work arrays.
    """
    B = U.shape[1]
    for q in range(B):
        pc[q] = 0.0
    for jb in range(j0, j1, _ROW_BLOCK):
        m = min(_ROW_BLOCK, j1 - jb)
        for r in range(m):
            bj = b[jb + r]
            pj = P[jb + r]
            ur = U[r]
            for q in range(B):
                ur[q] = bj + scale * pj[q]
        activation_rows(U, m, kind, iota, Fb, D[jb:jb + m], F2, scr, False)  # derivatives straight into D
        for r in range(m):
            aj = a[jb + r]
            fr = Fb[r]
            for q in range(B):
                pc[q] += aj * fr[q]
            if keep_f:
                fj = F[jb + r]
                for q in range(B):
                    fj[q] = fr[q]


@nb.njit(cache=True, parallel=True)
def rows_forward(b, scale, P, a, kind, iota, chunk, parts, D, F):
    """Forward pass of the student rows ``j < h`` of :math:`u = b + s P` (``h = a.size``, ``P``: ``(K, B)``).

    ``D[j] = σ'(u_j)``; ``F[j] = σ(u_j)`` when ``F`` has rows (else untouched);
    ``parts[c] = Σ_j a_j σ(u_j)`` over the rows ``[c·chunk, (c+1)·chunk)`` of
    chunk ``c``, added in row order: the prediction is ``parts`` summed over
    ``c`` in order, whatever the thread count.
    """
    h = a.shape[0]
    B = P.shape[1]
    keep_f = F.shape[0] > 0
    for c in nb.prange(parts.shape[0]):
        U = np.empty((_ROW_BLOCK, B))
        Fb = np.empty((_ROW_BLOCK, B))
        F2 = np.empty((1, B))
        scr = np.empty(B)
        _forward_rows(b, scale, P, a, kind, iota, c * chunk, min(h, (c + 1) * chunk), parts[c], D, F, keep_f,
                      U, Fb, F2, scr)


@nb.njit(cache=True, inline="always")
def _sum4(x):
    """``sum(x)`` with four interleaved partial sums, combined in a fixed order."""
    n = x.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    q = 0
    while q + 4 <= n:
        s0 += x[q]
        s1 += x[q + 1]
        s2 += x[q + 2]
        s3 += x[q + 3]
        q += 4
    while q < n:
        s0 += x[q]
        q += 1
    return (s0 + s1) + (s2 + s3)


@nb.njit(cache=True)
def _backward_rows(a, res2, D, F, keep_f, j0, j1, t, grad_sum, grad_a):
    """Rows ``j0 .. j1-1``: ``D[j] *= res2 · a_j``; ``grad_sum[j] += Σ_c D[j, c]``;
    ``grad_a[j] += Σ_c res2[c] F[j, c]`` when ``keep_f``.

    Each row is summed on its own by :func:`_sum4` (a fixed order); ``t`` is a work array of ``res2``'s length.
    """
    B = res2.shape[0]
    for j in range(j0, j1):
        aj = a[j]
        dj = D[j]
        for q in range(B):
            dj[q] = res2[q] * aj * dj[q]
        grad_sum[j] += _sum4(dj)
        if keep_f:
            fj = F[j]
            for q in range(B):
                t[q] = res2[q] * fj[q]
            grad_a[j] += _sum4(t)


@nb.njit(cache=True, parallel=True)
def rows_backward(a, res2, D, F, chunk, grad_sum, grad_a):
    """Backward pass of the student rows ``j < h``: ``D[j] *= res2 · a_j`` (``D[j]`` held ``σ'(u_j)``).

    ``res2[c] = 2 (ŷ_c - y_c)``, so ``D[j, c]`` becomes :math:`\\partial g/\\partial u_j`
    of sample ``c``; ``grad_sum[j] = Σ_c D[j, c]`` and, when ``F`` has rows,
    ``grad_a[j] = Σ_c res2[c] F[j, c]`` (:math:`\\partial g/\\partial a_j` summed over
    the samples). Every row is summed on its own in a fixed order.
    """
    h = a.shape[0]
    B = res2.shape[0]
    keep_f = F.shape[0] > 0
    for c in nb.prange((h + chunk - 1) // chunk):
        t = np.empty(B)
        j0, j1 = c * chunk, min(h, (c + 1) * chunk)
        for j in range(j0, j1):
            grad_sum[j] = 0.0
            if keep_f:
                grad_a[j] = 0.0
        _backward_rows(a, res2, D, F, keep_f, j0, j1, t, grad_sum, grad_a)


# Samples per block of rows_fused: the block's (h, 128) projections and gradients stay in cache (h = 1000, d = 50,
# 4096 samples, one thread: 64 samples 5% slower than 128 or 256, the batch kernels' speed).
_SAMPLE_BLOCK = 128
# Floats between the pieces of rows_fused's work array (a multiple of 8: every piece starts on a 64-byte boundary
# of the aligned array, and rows of P and D are never a multiple of 4 KiB apart).
_PAD = 40


def fused_work_size(h: int, d: int, want_a: bool) -> int:
    """Floats of one thread's work array for :func:`rows_fused` (``h`` hidden units, inputs of dimension ``d``)."""
    M = _SAMPLE_BLOCK
    size = (3 if want_a else 2) * h * M + (2 * _ROW_BLOCK + row_chunks(h) + d + 3) * M + h * d + 8 * _PAD
    return -(-size // 8) * 8  # 64-byte rows


@nb.njit(cache=True, parallel=True)
def rows_fused(W, b, scale, Z, a, lin, noise, kind, iota, row_chunk, sample_chunk, want_w, values, res2,
               gb, ga, gw, work):
    """The student's risk on a batch of points, projection fused with evaluation (no ``(h, B)`` array in memory).

    For the points ``Z`` (``(B, d + 1)``, rows :math:`z_c = (x_c, ξ_c)`) and the stacked map ``W``
    (:attr:`~derand_fast.nn.student.StudentRisk.W_aug`, student rows ``j < h = a.size``), every
    block of ``_SAMPLE_BLOCK`` samples is projected, :math:`u = b + s W_S z` (one BLAS product),
    activated and differentiated in cache: ``values[c]`` = :math:`r_c^2` with the residual
    :math:`r_c = a^\\top σ(u_c) - lin_c - noise_c` (the teacher's labels are given),
    ``res2[c]`` = :math:`2 r_c`. Sample chunk ``k`` (``sample_chunk`` samples) sets ``gb[k, j]``
    to the sum of its samples' :math:`∂g/∂u_j`, ``ga[k, j]`` to that of :math:`∂g/∂a_j` (when
    ``ga`` has columns) and, when ``want_w``, ``gw[k]`` to :math:`Σ_c ∂g/∂u_{S,c}\\, x_c^\\top`
    (``(h, d)``, one BLAS product per block). The chunks depend on the shapes only and the
    caller sums them in order: results are the same for every thread count. The prediction adds
    the rows in the order of :func:`rows_forward` (row chunks of ``row_chunk``), so ``values``
    equal :func:`rows_forward`'s on the same projections. ``work`` has one row of
    :func:`fused_work_size` floats per Numba thread, 64-byte aligned (misaligned rows cost ~10%).
    """
    h = a.shape[0]
    n, d1 = Z.shape
    d = d1 - 1
    keep_f = ga.shape[1] > 0
    nrc = (h + row_chunk - 1) // row_chunk
    WS = W[:h]
    M = _SAMPLE_BLOCK
    for k in nb.prange(gb.shape[0]):
        tid = nb.get_thread_id()
        w = work[tid] if tid < work.shape[0] else np.empty(work.shape[1])  # (a row per thread: no allocation)
        o = 0
        Pf = w[o:o + h * M]
        o += h * M + _PAD
        Df = w[o:o + h * M]
        o += h * M + _PAD
        Ff = w[o:o + (h * M if keep_f else 0)]
        o += (h * M if keep_f else 0) + _PAD
        Uf = w[o:o + _ROW_BLOCK * M]
        o += _ROW_BLOCK * M + _PAD
        Fbf = w[o:o + _ROW_BLOCK * M]
        o += _ROW_BLOCK * M + _PAD
        parts = w[o:o + nrc * M].reshape(nrc, M)
        o += nrc * M + _PAD
        Xf = w[o:o + M * d]
        o += M * d + _PAD
        F2 = w[o:o + M].reshape(1, M)
        scr = w[o + M:o + 2 * M]
        t = w[o + 2 * M:o + 3 * M]
        o += 3 * M + _PAD
        Gt = w[o:o + h * d].reshape(h, d)
        gbk = gb[k]
        gak = ga[k]
        gwk = gw[k]
        for j in range(h):
            gbk[j] = 0.0
        for j in range(gak.shape[0]):
            gak[j] = 0.0
        lo = k * sample_chunk
        hi = min(n, lo + sample_chunk)
        for i0 in range(lo, hi, M):
            m = min(M, hi - i0)
            P = Pf[:h * m].reshape(h, m)
            np.dot(WS, Z[i0:i0 + m].T, P)
            D = Df[:h * m].reshape(h, m)
            F = Ff[:h * m if keep_f else 0].reshape(h if keep_f else 0, m)
            U = Uf[:_ROW_BLOCK * m].reshape(_ROW_BLOCK, m)
            Fb = Fbf[:_ROW_BLOCK * m].reshape(_ROW_BLOCK, m)
            for rc in range(nrc):
                _forward_rows(b, scale, P, a, kind, iota, rc * row_chunk, min(h, (rc + 1) * row_chunk),
                              parts[rc, :m], D, F, keep_f, U, Fb, F2, scr)
            for q in range(m):
                r = parts[0, q]
                for rc in range(1, nrc):  # the row chunks' partial predictions, in order
                    r += parts[rc, q]
                r -= lin[i0 + q]
                r -= noise[i0 + q]
                values[i0 + q] = r * r
                res2[i0 + q] = r * 2.0
            _backward_rows(a, res2[i0:i0 + m], D, F, keep_f, 0, h, t[:m], gbk, gak)
            if want_w:
                Xb = Xf[:m * d].reshape(m, d)
                for q in range(m):
                    zq = Z[i0 + q]
                    xq = Xb[q]
                    for i in range(d):
                        xq[i] = zq[i]
                if i0 == lo:
                    np.dot(D, Xb, gwk)
                else:
                    np.dot(D, Xb, Gt)
                    for j in range(h):
                        gj = gwk[j]
                        tj = Gt[j]
                        for i in range(d):
                            gj[i] += tj[i]


_GEMM_ROWS = 256  # rows per BLAS product of rows_matmul


@nb.njit(cache=True, parallel=True)
def rows_matmul(A, B, out):
    """``out = A @ B`` by fixed blocks of 256 rows, one BLAS product each, the blocks in parallel.

    The blocks depend on the shapes only, so the result is the same for every
    thread count; the engine's products (:class:`~derand_fast.nn.student.StudentMap`)
    use it so that they run on all of the step's threads (BLAS itself stays on one).
    """
    K = A.shape[0]
    for i in nb.prange((K + _GEMM_ROWS - 1) // _GEMM_ROWS):
        r0 = i * _GEMM_ROWS
        r1 = min(K, r0 + _GEMM_ROWS)
        np.dot(A[r0:r1], B, out[r0:r1])


def row_chunk(h: int) -> int:
    """Hidden units per chunk of :func:`rows_forward` / :func:`rows_backward`: a function of ``h`` only."""
    return max(_ROW_BLOCK, -(-h // _MAX_CHUNKS))


def row_chunks(h: int) -> int:
    """The number of chunks of :func:`row_chunk` hidden units."""
    return -(-h // row_chunk(h))


@nb.njit(cache=True, parallel=True)
def _sum_slots(parts, out):
    """``out[p] = sum_c parts[c, p]`` in chunk order ``c = 0, 1, ...``; parallel over ``p`` blocks."""
    nc, p = parts.shape
    block = 2048
    for blk in nb.prange((p + block - 1) // block):
        lo = blk * block
        hi = min(p, lo + block)
        for q in range(lo, hi):
            out[q] = 0.0
        for c in range(nc):
            row = parts[c]
            for q in range(lo, hi):
                out[q] += row[q]


def chunk_size(n: int) -> int:
    """Samples per chunk: a function of ``n`` only, so reductions never depend on threads."""
    return max(_MIN_CHUNK, -(-n // _MAX_CHUNKS))


def reduce_slots(parts: np.ndarray) -> np.ndarray:
    nc = parts.shape[0]
    flat = parts.reshape(nc, -1)
    out = np.empty(flat.shape[1])
    if flat.shape[1]:
        _sum_slots(flat, out)
    return out.reshape(parts.shape[1:])
