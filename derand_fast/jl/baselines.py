"""Baselines for learned JL embeddings: Gaussian random projections and PCA.

Scale convention (as in :mod:`derand_fast.jl.objectives`): a Gaussian random
projection is a ``k × d`` matrix with i.i.d. :math:`N(0, 1/k)` entries, so
:math:`E\\|Ax\\|^2 = \\|x\\|^2` (scikit-learn's ``GaussianRandomProjection``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._threads import threads_for
from ..random import STREAMS, standard_normal
from ..smoothing import AffineSmoother, DiagonalOperator
from .objectives import DistortionObjective, JLProblem, signed_distortions

__all__ = ["gaussian_projection", "gaussian_baseline", "GaussianBaseline", "pca_projection"]

_DRAW_CHUNK = 64  # draws per kernel call: bounds memory, results do not depend on it


def _check_k(n_components, d: int) -> int:
    if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)):
        raise TypeError(f"n_components must be an int, got {type(n_components).__name__}")
    if n_components < 1:
        raise ValueError(f"n_components must be >= 1, got {n_components}")
    return int(n_components)


def gaussian_projection(n_components: int, n_features: int, *, seed: int = 0, draw: int = 0) -> np.ndarray:
    """Gaussian random projection number ``draw`` of ``seed``: entries :math:`N(0, 1/k)`.

    Draw ``t`` is stream ``t`` of the ``"jl.draws"`` block (:data:`derand_fast.random.STREAMS`).

    Returns
    -------
    ndarray of float64, shape (n_components, n_features)
        Draw ``t`` equals the ``t``-th matrix scored by :func:`gaussian_baseline`.
    """
    k = _check_k(n_components, n_features)
    z = standard_normal(seed, 1, k * int(n_features), first_stream=STREAMS["jl.draws"].at(draw))
    return z.reshape(k, int(n_features)) / math.sqrt(k)


@dataclass(frozen=True)
class GaussianBaseline:
    """Max distortions of ``n_draws`` Gaussian random projections.

    Attributes
    ----------
    max_distortions : ndarray, shape (n_draws,)
    mean, min : float
        Average and best worst-case distortion over the draws.
    best_draw : int
        Index of the best draw (:func:`gaussian_projection` rebuilds it).
    """

    max_distortions: np.ndarray
    mean: float
    min: float
    best_draw: int


def gaussian_baseline(problem: JLProblem, n_components: int, *, n_draws: int = 1000, seed: int = 0,
                      threads: int | None = None) -> GaussianBaseline:
    """Worst-case distortion of ``n_draws`` Gaussian random projections (paper Fig. 6 baselines).

    Parameters
    ----------
    problem : JLProblem
    n_components : int >= 1
    n_draws : int >= 1
    seed : int
    threads : int or None
        Numba threads; results are identical for every value.

    Returns
    -------
    GaussianBaseline
    """
    k = _check_k(n_components, problem.n_features)
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be an int >= 1, got {n_draws!r}")
    m, d = problem.X.shape
    # the smoothing engine draws A = 0 + (1/sqrt k) Z; full X (not its row space): draw t is exactly
    # gaussian_projection(draw=t)
    obj = DistortionObjective(problem, k, kind="max")
    op = DiagonalOperator(None, k * d)
    zero = np.zeros(k * d)
    out = np.empty(int(n_draws))
    t = threads_for(threads, min(int(n_draws), _DRAW_CHUNK) * (m * k * d + problem.n_constraints * k), "jl")
    for start in range(0, int(n_draws), _DRAW_CHUNK):
        n = min(_DRAW_CHUNK, int(n_draws) - start)
        sm = AffineSmoother(obj, op, n_samples=n, seed=seed, first_stream=STREAMS["jl.draws"].at(start), threads=t)
        sm.estimate(zero, 1.0 / math.sqrt(k), 0)
        out[start:start + n] = obj.sample_max
    best = int(np.argmin(out))
    return GaussianBaseline(max_distortions=out, mean=float(out.mean()), min=float(out[best]), best_draw=best)


def pca_projection(problem: JLProblem, n_components: int) -> tuple[np.ndarray, float]:
    """Top-``k`` principal directions, rescaled to balance the worst distortion.

    The rows are the top right-singular vectors of the constraint points
    (centred points for ``"pairwise"``, raw points for ``"norms"``), scaled by
    :math:`c = \\sqrt{2/(r_{\\min} + r_{\\max})}` where :math:`r_p = \\|Pv_p\\|^2/\\|v_p\\|^2`,
    which minimizes :math:`\\max_p |c^2 r_p - 1|`.

    Returns
    -------
    A : ndarray, shape (n_components, d)
    max_distortion : float
    """
    k = _check_k(n_components, problem.n_features)
    if k > problem.n_features:
        raise ValueError(f"n_components must be <= n_features = {problem.n_features}, got {k}")
    Xc = problem.X[:-1] if problem.target == "norms" else problem.X - problem.X.mean(axis=0)
    _, _, vt = np.linalg.svd(Xc, full_matrices=k > min(Xc.shape))  # thin unless k exceeds the rank bound
    A = np.ascontiguousarray(vt[:k])
    r = signed_distortions(A, problem) + 1.0
    A *= math.sqrt(2.0 / (r.min() + r.max()))
    return A, float(np.abs(signed_distortions(A, problem)).max())
