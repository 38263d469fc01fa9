r"""The smoothed cut as an objective of the smoothing engine (paper Eq. 20, App. F.1).

For a sample :math:`u \in \mathbb R^n` of the shifted-hyperplane rounding
:math:`u = \mu + s\,Vz` the smoothed cut is

.. math::

    g(u) = \sum_{ij} w_{ij}\,\tilde I(u_i, u_j),

and its expectation over :math:`z` is the objective of the paper's Monte Carlo
derandomization (Theorem 5.2, Eq. 20). Two smoothed edge indicators:

``"paper"``
    App. F.1: :math:`\tilde I(x, y) = S_\varepsilon(x)S_\varepsilon(-y) + S_\varepsilon(-x)S_\varepsilon(y)`
    with the spline step :math:`S_\varepsilon` (0 below :math:`\varepsilon/2`, 1 above
    :math:`\varepsilon`; :func:`derand_fast.indicators.step_eps`). An endpoint within
    :math:`\varepsilon/2` of 0 counts as uncut and has no gradient.
``"centred"``
    The same spline moved by :math:`3\varepsilon/4`: :math:`C(x) = S_\varepsilon(x + 3\varepsilon/4)`,
    so that :math:`C(x) + C(-x) = 1` and :math:`\tilde I(x, y) = C(x)C(-y) + C(-x)C(y)
    = \tfrac12(1 - \sigma(x)\sigma(y))` with the smooth sign :math:`\sigma = 2C - 1`,
    :math:`\sigma(x) = t(2 - |t|)`, :math:`t = \mathrm{clip}(4x/\varepsilon, -1, 1)`. No dead
    zone: an endpoint near 0 always has a gradient, which is what keeps the
    pathwise estimator's variance low (on G43, 1200 steps of 64 samples:
    cut 6631 against 6358 for ``"paper"`` at its best width).

Both are exact indicators outside a band of width :math:`O(\varepsilon)` around 0.

Two implementations behind the engine's :class:`~derand_fast.smoothing.BatchObjective`:

* :class:`SmoothedCutObjective`, the fused kernel: with :math:`A` the weighted
  adjacency matrix and :math:`\Sigma = \sigma(U)` (``n × B``, one column per
  sample), the values are :math:`\tfrac12 W - \tfrac14\,\mathrm{colsum}(\Sigma \odot A\Sigma)` and the
  gradients :math:`-\tfrac12\,\sigma'(U) \odot A\Sigma`: one sparse-times-dense product
  over the CSR rows (nodes in parallel, the ``B`` samples of a row contiguous,
  so the inner loop is a vector loop), no per-sample scatter.
* :func:`cut_objective_per_sample`: the same :math:`g` as a per-sample Numba
  function (a loop over the edges) driven by the engine's generic
  :class:`~derand_fast.smoothing.NumbaObjective`; kept as the reference and the
  benchmark's baseline (``benchmarks/test_bench_maxcut_derand.py``).

Both give the same numbers up to rounding and are bit-identical for every
thread count (each node's sums run in a fixed order; per-sample values are
summed over fixed blocks of nodes).
"""

from __future__ import annotations

from typing import Any

import numba as nb
import numpy as np

from .._validation import check_positive
from ..indicators import step_eps_scalar
from ..smoothing import NumbaObjective
from .graph import Graph

__all__ = ["INDICATORS", "SmoothedCutObjective", "cut_objective_per_sample", "cut_sample"]

#: The smoothed edge indicators (module docstring).
INDICATORS = ("centred", "paper")

# nodes per block of the per-sample value sums (a function of n only: thread-invariant)
_BLOCK = 256


@nb.njit(cache=True, inline="always")
def _smooth_sign(x: float, q: float) -> tuple[float, float]:
    """:math:`\\sigma(x) = t(2 - |t|)`, :math:`t = \\mathrm{clip}(x/q, -1, 1)`, and :math:`\\sigma'(x)`."""
    t = min(max(x / q, -1.0), 1.0)
    a = abs(t)
    return t * (2.0 - a), 2.0 * (1.0 - a) / q


@nb.njit(cache=True, parallel=True)
def _centred_pass(indptr, nbr, wts, b, scale, P, q, part, grad_sum, grads, store, S, D):
    """Fused values / gradients of the centred smoothed cut for the samples ``b + scale * P[:, c]``.

    ``S``, ``D``: work arrays of P's shape (sigma and sigma' of every sample).
    """
    n, B = P.shape
    n_blocks = part.shape[0]
    for blk in nb.prange(n_blocks):
        for i in range(blk * _BLOCK, min((blk + 1) * _BLOCK, n)):
            bi = b[i]
            for c in range(B):
                s, d = _smooth_sign(bi + scale * P[i, c], q)
                S[i, c] = s
                D[i, c] = d
    for blk in nb.prange(n_blocks):
        h = np.empty(B)
        pb = part[blk]
        pb[:] = 0.0
        for i in range(blk * _BLOCK, min((blk + 1) * _BLOCK, n)):
            h[:] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                j = nbr[p]
                wj = wts[p]
                for c in range(B):
                    h[c] += wj * S[j, c]
            acc = 0.0
            for c in range(B):
                pb[c] += S[i, c] * h[c]
                acc += D[i, c] * h[c]
            grad_sum[i] = -0.5 * acc
            if store:
                for c in range(B):
                    grads[i, c] = -0.5 * D[i, c] * h[c]


@nb.njit(cache=True, parallel=True)
def _paper_pass(indptr, nbr, wts, b, scale, P, eps, part, grad_sum, grads, store, S, N, DS, DN):
    """Fused values / gradients of the App. F.1 smoothed cut: :math:`\\sum_i S_i (AN)_i`, N = S(-u).

    ``S``, ``N``, ``DS``, ``DN``: work arrays of P's shape.
    """
    n, B = P.shape
    n_blocks = part.shape[0]
    for blk in nb.prange(n_blocks):
        for i in range(blk * _BLOCK, min((blk + 1) * _BLOCK, n)):
            bi = b[i]
            for c in range(B):
                x = bi + scale * P[i, c]
                s, ds, _ = step_eps_scalar(x, eps)
                t, dt, _ = step_eps_scalar(-x, eps)
                S[i, c] = s
                DS[i, c] = ds
                N[i, c] = t
                DN[i, c] = -dt
    for blk in nb.prange(n_blocks):
        hs = np.empty(B)
        hn = np.empty(B)
        pb = part[blk]
        pb[:] = 0.0
        for i in range(blk * _BLOCK, min((blk + 1) * _BLOCK, n)):
            hs[:] = 0.0
            hn[:] = 0.0
            for p in range(indptr[i], indptr[i + 1]):
                j = nbr[p]
                wj = wts[p]
                for c in range(B):
                    hs[c] += wj * S[j, c]
                    hn[c] += wj * N[j, c]
            acc = 0.0
            for c in range(B):
                pb[c] += S[i, c] * hn[c]
                acc += DS[i, c] * hn[c] + DN[i, c] * hs[c]
            grad_sum[i] = acc
            if store:
                for c in range(B):
                    grads[i, c] = DS[i, c] * hn[c] + DN[i, c] * hs[c]


def _csr(graph: Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric adjacency in CSR form (neighbours of each node in increasing order)."""
    u = graph.u.astype(np.int64)
    v = graph.v.astype(np.int64)
    w = np.asarray(graph.weights, dtype=np.float64)
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    ww = np.concatenate([w, w])
    order = np.lexsort((cols, rows))
    indptr = np.zeros(graph.n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=graph.n), out=indptr[1:])
    return indptr, np.ascontiguousarray(cols[order]), np.ascontiguousarray(ww[order])


def _check_indicator(indicator: str) -> str:
    if indicator not in INDICATORS:
        raise ValueError(f"indicator must be one of {INDICATORS}, got {indicator!r}")
    return indicator


class SmoothedCutObjective:
    r"""The smoothed cut :math:`g(u) = \sum w_{ij}\tilde I(u_i, u_j)`, a fused
    :class:`~derand_fast.smoothing.BatchObjective`.

    Parameters
    ----------
    graph : Graph
    eps : float > 0
        Width :math:`\varepsilon` of the indicator's spline (its band is
        :math:`|x| < \varepsilon/4` for ``"centred"``, :math:`\varepsilon/2 \le |x| \le \varepsilon`
        for ``"paper"``). Mutable: an annealing schedule sets ``obj.eps`` between steps.
    indicator : {"centred", "paper"}

    Examples
    --------
    >>> import numpy as np
    >>> from derand_fast.maxcut import Graph
    >>> g = Graph.from_edges(3, [0, 1, 2], [1, 2, 0])    # a triangle
    >>> obj = SmoothedCutObjective(g, eps=0.1)
    >>> vals, gsum = np.empty(1), np.empty(3)
    >>> obj.evaluate(np.array([1.0, -1.0, 1.0]), 0.0, np.zeros((3, 1)), vals, gsum, None)
    >>> float(vals[0])   # two of the three edges cut, far from the band: no gradient
    2.0
    """

    def __init__(self, graph: Graph, eps: float = 0.1, indicator: str = "centred") -> None:
        self.graph = graph
        self.dim = graph.n
        self.eps = check_positive(eps, "eps")
        self.indicator = _check_indicator(indicator)
        self._indptr, self._nbr, self._wts = _csr(graph)
        self._total = float(np.sum(graph.weights)) if graph.m else 0.0
        self._n_blocks = max(1, -(-graph.n // _BLOCK))
        self._work: list[np.ndarray] = []

    def _buffers(self, shape: tuple[int, int], count: int) -> list[np.ndarray]:
        """Work arrays kept between calls (fresh multi-MB arrays every step cost page faults: ~3x the kernel)."""
        if len(self._work) < count or self._work[0].shape != shape:
            self._work = [np.empty(shape) for _ in range(count)]
        return self._work[:count]

    def evaluate(self, b: np.ndarray, scale: float, P: np.ndarray, values: np.ndarray, grad_sum: np.ndarray,
                 grads: np.ndarray | None) -> None:
        """See :class:`~derand_fast.smoothing.BatchObjective`."""
        part = np.empty((self._n_blocks, P.shape[1]))
        store = grads is not None
        G = grads if store else np.empty((0, 0))
        if self.indicator == "centred":
            S, D = self._buffers(P.shape, 2)
            _centred_pass(self._indptr, self._nbr, self._wts, b, float(scale), P, 0.25 * self.eps, part, grad_sum,
                          G, store, S, D)
            np.multiply(part.sum(axis=0), -0.25, out=values)
            values += 0.5 * self._total
        else:
            _paper_pass(self._indptr, self._nbr, self._wts, b, float(scale), P, self.eps, part, grad_sum, G, store,
                        *self._buffers(P.shape, 4))
            part.sum(axis=0, out=values)


@nb.njit(cache=True)
def cut_sample(u, grad_out, data):  # pragma: no cover - compiled
    """Per-sample smoothed cut (a loop over the edges): the engine's generic ``g(u, grad_out, data)``.

    ``data = (eu, ev, w, eps, centred)``.
    """
    eu, ev, w, eps, centred = data
    grad_out[:] = 0.0
    acc = 0.0
    q = 0.25 * eps
    for e in range(eu.shape[0]):
        i = eu[e]
        j = ev[e]
        x = u[i]
        y = u[j]
        we = w[e]
        if centred:
            sx, dx = _smooth_sign(x, q)
            sy, dy = _smooth_sign(y, q)
            acc += we * 0.5 * (1.0 - sx * sy)
            grad_out[i] -= 0.5 * we * dx * sy
            grad_out[j] -= 0.5 * we * dy * sx
        else:
            s1, d1, _ = step_eps_scalar(x, eps)
            n1, e1, _ = step_eps_scalar(-x, eps)
            s2, d2, _ = step_eps_scalar(y, eps)
            n2, e2, _ = step_eps_scalar(-y, eps)
            acc += we * (s1 * n2 + n1 * s2)
            grad_out[i] += we * (d1 * n2 - e1 * s2)
            grad_out[j] += we * (n1 * d2 - s1 * e2)
    return acc


def cut_objective_per_sample(graph: Graph, eps: float = 0.1, indicator: str = "centred") -> Any:
    """The smoothed cut on the engine's generic path: :func:`cut_sample` in a
    :class:`~derand_fast.smoothing.NumbaObjective` (the reference for the fused kernel)."""
    data = (graph.u.astype(np.int64), graph.v.astype(np.int64), np.asarray(graph.weights, dtype=np.float64),
            check_positive(eps, "eps"), _check_indicator(indicator) == "centred")
    return NumbaObjective(cut_sample, graph.n, data)  # type: ignore[arg-type]  # numba types njit's result as Dispatcher
