"""Johnson–Lindenstrauss targets and objectives (paper §5.2, Eq. 8–9, App. G.1–G.3).

Scale convention: ``A`` is ``k × d`` and maps ``x`` to ``A x``; the distortion
of a vector ``v`` is :math:`|\\|Av\\|^2/\\|v\\|^2 - 1|`. A Gaussian random
projection therefore has entries :math:`N(0, 1/k)` (so that
:math:`E\\|Ax\\|^2 = \\|x\\|^2`), as in scikit-learn's ``GaussianRandomProjection``.

Targets
-------
``"norms"`` (the paper's)
    one constraint per point, :math:`v_i = x_i`;
``"pairwise"`` (the JL lemma proper)
    one constraint per pair, :math:`v_{ij} = x_i - x_j` (all pairs, or a uniform
    sample of ``max_pairs`` pairs for large ``n``).

Objectives
----------
``"violations"`` (paper Eq. 9 / 27)
    :math:`\\sum_p \\tilde I(u_p)` with the smoothed indicator of App. G.3;
``"smooth_max"``
    :math:`\\tau\\log\\sum_p(e^{u_p/\\tau}+e^{-u_p/\\tau})`, a smooth upper bound of
    the worst distortion :math:`\\max_p|u_p|` (gap at most :math:`\\tau\\log 2P`).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from .._threads import thread_scope, threads_for, work_array
from .._validation import check_array
from ..random import STREAMS
from ..smoothing import AffineSmoother, DiagonalOperator
from . import kernels

__all__ = [
    "DegenerateConstraintWarning",
    "DistortionObjective",
    "JLProblem",
    "make_problem",
    "distortions",
    "max_distortion",
    "objective",
    "mc_objective",
    "MCEstimate",
    "signed_distortions",
    "subproblem",
    "all_pairs_max_distortion",
]

_U_MAX = 4_000_000  # distortions kept between the two pair passes up to this many (32 MB)
_N_CHUNKS = 32  # fixed constraint chunks of eval_fixed: results independent of the thread count
_NO_INCIDENCE = (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64))  # MODE_MAX needs none
_OBJECTIVES = {"violations": kernels.MODE_SUM, "smooth_max": kernels.MODE_LSE}
_NO_GRADS = np.zeros((0, 0))
_NO_DIRS = np.zeros((0, 1, 1))


class DegenerateConstraintWarning(UserWarning):
    """A zero-norm point or a duplicate pair was dropped from the constraints."""


@dataclass(frozen=True)
class JLProblem:
    """The constraints of a JL problem.

    Attributes
    ----------
    X : ndarray of float64, shape (m, d)
        The points; for ``target="norms"`` an all-zero row is appended (``m = n + 1``).
    pairs : ndarray of int64, shape (P, 2)
        Row indices ``(i, j)`` of each constraint vector ``x_i - x_j``.
    inv_sq : ndarray of float64, shape (P,)
        :math:`1/\\|x_i - x_j\\|^2`.
    target : {"norms", "pairwise"}
    """

    X: np.ndarray
    pairs: np.ndarray
    inv_sq: np.ndarray
    target: str

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_constraints(self) -> int:
        return int(self.pairs.shape[0])

    @property
    def row_coords(self) -> np.ndarray:
        """Coordinates of the points in their row space, shape (m, r) (:attr:`row_space`)."""
        return self.row_space[0]

    @functools.cached_property
    def row_space(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The points' row space: ``(X V_r, V_rᵀ)``, shapes (m, r) and (r, d); ``(X, None)`` when ``m >= d``.

        When ``m < d``: :math:`X V_r = U_r S_r` from the thin SVD :math:`X = U S V^\\top`
        (``r`` = numerical rank), so that :math:`X A^\\top = (X V_r)(A V_r)^\\top`: a
        matrix acts on the points only through :math:`A V_r`, and for i.i.d.
        :math:`N(0, \\sigma^2)` entries :math:`A V_r` again has i.i.d. :math:`N(0, \\sigma^2)`
        entries. Otherwise ``X`` itself (``r = d``, ``V_r = I``).
        """
        m, d = self.X.shape
        if m >= d:
            return self.X, None
        U, s, vt = np.linalg.svd(self.X, full_matrices=False)
        r = max(1, int(np.sum(s > s[0] * max(m, d) * np.finfo(np.float64).eps))) if s[0] > 0 else 1
        return np.ascontiguousarray(U[:, :r] * s[:r]), np.ascontiguousarray(vt[:r])

    @functools.cached_property
    def incidence(self) -> tuple[np.ndarray, np.ndarray]:
        """The constraints touching each row, CSR ``(ptr, ids)`` (:func:`kernels.incidence`)."""
        return kernels.incidence(self.pairs, self.X.shape[0])


def _check_points(X) -> np.ndarray:
    return check_array(X, "X", 2, allow_bool=True)


def make_problem(X, target: str = "pairwise", *, max_pairs: int | None = None, seed: int = 0) -> JLProblem:
    """Build the constraints of a JL problem from points.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Points (any scale; distortions are relative to each constraint's norm).
    target : {"pairwise", "norms"}
    max_pairs : int or None
        For ``"pairwise"``, use a uniform sample (without replacement) of this
        many pairs when ``n(n-1)/2`` exceeds it; ``None`` uses all pairs.
    seed : int
        Seed of that sample (a NumPy generator seeded from the ``"jl.pairs"``
        block of :data:`derand_fast.random.STREAMS`).

    Returns
    -------
    JLProblem

    Warns
    -----
    DegenerateConstraintWarning
        When zero-norm points (``"norms"``) or duplicate points (``"pairwise"``)
        are dropped.

    Raises
    ------
    ValueError
        Bad ``X`` or ``target``, or no constraint left.
    """
    Xf = _check_points(X)
    n, d = Xf.shape
    if target == "norms":
        Xa = np.vstack([Xf, np.zeros((1, d))])
        pairs = np.column_stack([np.arange(n, dtype=np.int64), np.full(n, n, dtype=np.int64)])
        what = "zero-norm point"
    elif target == "pairwise":
        if n < 2:
            raise ValueError(f"target='pairwise' needs at least 2 points, got n_samples = {n}")
        Xa = Xf
        total = n * (n - 1) // 2
        if max_pairs is not None:
            if isinstance(max_pairs, bool) or not isinstance(max_pairs, (int, np.integer)) or max_pairs < 1:
                raise ValueError(f"max_pairs must be a positive int or None, got {max_pairs!r}")
        if max_pairs is not None and total > max_pairs:
            rng = np.random.default_rng(STREAMS["jl.pairs"].seed(seed))
            flat = np.sort(rng.choice(total, size=int(max_pairs), replace=False))
            pairs = _unrank_pairs(flat, n)
        else:
            i, j = np.triu_indices(n, k=1)
            pairs = np.column_stack([i, j]).astype(np.int64)
        what = "pair of duplicate points"
    else:
        raise ValueError(f"target must be 'pairwise' or 'norms', got {target!r}")
    pairs = np.ascontiguousarray(pairs, dtype=np.int64)
    sq = np.empty(pairs.shape[0])
    kernels.pair_sq_dists(Xa, pairs, sq)
    keep = sq > 0.0
    if not keep.all():
        dropped = int((~keep).sum())
        warnings.warn(f"dropped {dropped} constraint(s): {what} (distance 0)", DegenerateConstraintWarning,
                      stacklevel=2)
        pairs, sq = np.ascontiguousarray(pairs[keep]), sq[keep]
    if pairs.shape[0] == 0:
        raise ValueError(f"X has no usable constraint for target={target!r} (all distances are 0)")
    return JLProblem(X=Xa, pairs=pairs, inv_sq=1.0 / sq, target=target)


def subproblem(problem: JLProblem, index) -> JLProblem:
    """The constraints ``index`` (int array) of ``problem`` as a problem of their own.

    When they touch fewer than half of the points, the subproblem keeps only
    those rows (renumbered), so that products with ``X`` cost what the subset
    needs; otherwise it shares ``problem.X``.
    """
    idx = np.asarray(index, dtype=np.int64)
    pairs = problem.pairs[idx]
    rows, inverse = np.unique(pairs, return_inverse=True)
    if 2 * rows.size < problem.X.shape[0]:
        return JLProblem(X=np.ascontiguousarray(problem.X[rows]),
                         pairs=np.ascontiguousarray(inverse.reshape(pairs.shape), dtype=np.int64),
                         inv_sq=np.ascontiguousarray(problem.inv_sq[idx]), target=problem.target)
    sub = JLProblem(X=problem.X, pairs=np.ascontiguousarray(pairs),
                    inv_sq=np.ascontiguousarray(problem.inv_sq[idx]), target=problem.target)
    if "row_space" in problem.__dict__:  # same points: share the cached row space
        sub.__dict__["row_space"] = problem.__dict__["row_space"]
    return sub


def signed_distortions(A, problem: JLProblem, *, threads: int | None = None) -> np.ndarray:
    """:func:`distortions` without the ``(P, k)`` temporary (one Numba pass; for large ``P``)."""
    A = _check_matrix(A, problem)
    u = np.empty(problem.n_constraints)
    with thread_scope(threads_for(threads, problem.n_constraints * A.shape[0], "jl")):
        kernels.signed_distortions(problem.X @ A.T, problem.pairs, problem.inv_sq, u)
    return u


def all_pairs_max_distortion(A, X, *, block: int = 2048, threads: int | None = None) -> tuple[float, int]:
    """Exact worst pairwise distortion of ``A`` over *all* pairs of rows of ``X``, in blocks of rows.

    For ``n`` points this is ``n(n-1)/2`` pairs without storing them: per pair of
    row blocks, squared distances come from Gram matrices (BLAS),
    :math:`\\|x_i - x_j\\|^2 = q_i + q_j - 2 x_i^\\top x_j` on centred points, and
    wherever that formula could lose more than ``1e-9`` of the distance to
    rounding (:math:`(q_i + q_j) > 10^{6} \\|x_i - x_j\\|^2`, near-duplicates) the
    exact difference is used instead. Pairs of identical points are skipped.

    Parameters
    ----------
    A : array_like, shape (k, d)
    X : array_like, shape (n, d)
    block : int >= 1
        Rows per block (memory: a few ``block × block`` float64 arrays).
    threads : int or None
        BLAS threads of the Gram products (``None``: BLAS's default).

    Returns
    -------
    max_distortion : float
        :math:`\\max_{i<j} |\\|A(x_i - x_j)\\|^2 / \\|x_i - x_j\\|^2 - 1|`.
    n_pairs : int
        Pairs counted (distinct points).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((50, 8))
    >>> m, n = all_pairs_max_distortion(np.eye(8)[:4], X)
    >>> n, bool(0 < m < 1)
    (1225, True)
    """
    from threadpoolctl import threadpool_limits

    Xf = _check_points(X)
    Xf = Xf - Xf.mean(axis=0)
    A = _check_matrix(A, JLProblem(X=Xf[:1], pairs=np.zeros((0, 2), dtype=np.int64), inv_sq=np.zeros(0),
                                   target="pairwise"))
    block = int(block)
    if block < 1:
        raise ValueError(f"block must be >= 1, got {block}")
    n = Xf.shape[0]
    Y = Xf @ A.T
    qx = np.einsum("ij,ij->i", Xf, Xf)
    qy = np.einsum("ij,ij->i", Y, Y)
    worst, count = 0.0, 0
    with threadpool_limits(limits=threads, user_api="blas"):  # None: BLAS's default
        for a in range(0, n, block):
            ia = slice(a, min(a + block, n))
            for b in range(a, n, block):
                ib = slice(b, min(b + block, n))
                dx = qx[ia, None] + qx[None, ib] - 2.0 * (Xf[ia] @ Xf[ib].T)
                dy = qy[ia, None] + qy[None, ib] - 2.0 * (Y[ia] @ Y[ib].T)
                valid = np.ones(dx.shape, dtype=bool)
                if a == b:  # each pair once: strictly upper triangle of the diagonal block
                    valid = np.triu(valid, 1)
                risky = valid & ((qx[ia, None] + qx[None, ib]) > 1e6 * dx)
                if risky.any():  # near-duplicates (or duplicates): exact differences
                    i, j = np.nonzero(risky)
                    i, j = i + a, j + b
                    ex = np.einsum("pj,pj->p", Xf[i] - Xf[j], Xf[i] - Xf[j])
                    ey = np.einsum("pj,pj->p", Y[i] - Y[j], Y[i] - Y[j])
                    dx[risky], dy[risky] = ex, ey
                valid &= dx > 0.0  # identical points: no constraint
                count += int(valid.sum())
                with np.errstate(divide="ignore", invalid="ignore"):
                    u = np.abs(dy / dx - 1.0)
                if valid.any():
                    worst = max(worst, float(u[valid].max()))
    return worst, count


def _unrank_pairs(flat: np.ndarray, n: int) -> np.ndarray:
    # Row-major rank r of pair (i, j), i < j: r = i*n - i*(i+1)/2 + (j - i - 1).
    start = np.arange(n, dtype=np.int64) * n - np.arange(n, dtype=np.int64) * (np.arange(n) + 1) // 2
    i = np.searchsorted(start, flat, side="right") - 1
    j = flat - start[i] + i + 1
    return np.column_stack([i, j]).astype(np.int64)


def _check_matrix(A, problem: JLProblem, name: str = "A") -> np.ndarray:
    arr = check_array(A, name, 2, allow_empty=True)
    if arr.shape[1] != problem.n_features or arr.shape[0] < 1:
        raise ValueError(f"{name} must have shape (k, {problem.n_features}) with k >= 1, got {arr.shape}")
    return arr


def distortions(A, problem: JLProblem) -> np.ndarray:
    """Signed distortions :math:`u_p = \\|Av_p\\|^2/\\|v_p\\|^2 - 1` of all constraints.

    Parameters
    ----------
    A : array_like, shape (k, d)
    problem : JLProblem

    Returns
    -------
    ndarray of float64, shape (P,)
    """
    A = _check_matrix(A, problem)
    Y = problem.X @ A.T
    diff = Y[problem.pairs[:, 0]] - Y[problem.pairs[:, 1]]
    return np.einsum("pk,pk->p", diff, diff) * problem.inv_sq - 1.0


def max_distortion(A, problem: JLProblem, *, threads: int | None = None) -> float:
    """Worst distortion :math:`\\max_p |u_p|` of ``A`` (shape ``(k, d)``) on ``problem``."""
    A = _check_matrix(A, problem)
    G = np.empty((problem.X.shape[0], A.shape[0]))
    with thread_scope(_fixed_threads(problem, A.shape[0], threads)):
        Y = problem.X @ A.T
        kernel = kernels.twin(kernels.eval_fixed, kernels.eval_fixed_serial)
        ptr, ids = _NO_INCIDENCE
        _, m = kernel(Y, problem.pairs, problem.inv_sq, ptr, ids, kernels.MODE_MAX, 1.0, 1.0, 1.0, _N_CHUNKS, G)
    return float(m)


def _fixed_threads(problem: JLProblem, k: int, threads: int | None) -> int:
    """Threads of one :func:`kernels.eval_fixed` call (one for a small problem unless told otherwise)."""
    return threads_for(threads, problem.n_constraints * k, "jl")


def _mode(name: str) -> int:
    try:
        return _OBJECTIVES[name]
    except KeyError:
        raise ValueError(f"objective must be one of {sorted(_OBJECTIVES)}, got {name!r}") from None


def _check_params(eps: float, eps1: float, tau: float) -> tuple[float, float, float]:
    out = []
    for name, v in (("eps", eps), ("eps1", eps1), ("tau", tau)):
        v = float(v)
        if not (math.isfinite(v) and v > 0.0):
            raise ValueError(f"{name} must be a positive finite number, got {v!r}")
        out.append(v)
    return out[0], out[1], out[2]


def objective(A, problem: JLProblem, *, kind: str = "smooth_max", eps: float = 0.1, eps1: float = 0.05,
              tau: float = 0.01, threads: int | None = None) -> tuple[float, np.ndarray, float]:
    """Deterministic objective of one matrix and its gradient.

    .. math::

        F_{\\mathrm{violations}}(A) = \\sum_p \\tilde I_{\\varepsilon,\\varepsilon_1}(u_p(A)), \\qquad
        F_{\\mathrm{smooth\\_max}}(A) = \\tau \\log \\sum_p \\left(e^{u_p(A)/\\tau} + e^{-u_p(A)/\\tau}\\right)

    Parameters
    ----------
    A : array_like, shape (k, d)
    problem : JLProblem
    kind : {"smooth_max", "violations"}
    eps, eps1 : float
        Threshold and smoothing width of :math:`\\tilde I` (paper App. G.3).
    tau : float
        Temperature of the smooth max.
    threads : int or None

    Returns
    -------
    value : float
    grad : ndarray, shape (k, d)
    max_abs : float
        :math:`\\max_p |u_p(A)|`.
    """
    A = _check_matrix(A, problem)
    mode = _mode(kind)
    eps, eps1, tau = _check_params(eps, eps1, tau)
    G = np.empty((problem.X.shape[0], A.shape[0]))
    with thread_scope(_fixed_threads(problem, A.shape[0], threads)):
        Y = problem.X @ A.T
        kernel = kernels.twin(kernels.eval_fixed, kernels.eval_fixed_serial)
        ptr, ids = problem.incidence
        value, m = kernel(Y, problem.pairs, problem.inv_sq, ptr, ids, mode, eps, eps1, tau, _N_CHUNKS, G)
        grad = G.T @ problem.X
    return float(value), grad, float(m)


@dataclass(frozen=True)
class MCEstimate:
    """Monte Carlo estimate of the regularized objective (paper Eq. 27) and its gradients.

    Attributes
    ----------
    value : float
        :math:`\\frac1S\\sum_s F(A_s) + \\|\\Sigma^{1/2}\\|_F^2/(2kd)`.
    grad_M : ndarray, shape (k, d)
    grad_sigma : ndarray, shape (k, d), or float for a shared scalar ``sigma``
    stderr : float
        Standard error of the sample mean of :math:`F(A_s)`.
    sample_max : ndarray, shape (S,)
        :math:`\\max_p|u_p(A_s)|` of each sampled matrix.
    """

    value: float
    grad_M: np.ndarray
    grad_sigma: np.ndarray | float
    stderr: float
    sample_max: np.ndarray


def mc_objective(M, sigma, problem: JLProblem, *, kind: str = "smooth_max", eps: float = 0.1,
                 eps1: float = 0.05, tau: float = 0.01, n_samples: int = 20, seed: int = 0, step: int = 0,
                 regularize: bool = True, threads: int | None = None) -> MCEstimate:
    """Smoothed objective of ``A ~ N(M, diag σ²)`` by Monte Carlo, pathwise gradients in ``M`` and ``σ``.

    .. math::

        \\hat f(\\Sigma^{1/2}, M) = E_Z\\, F(M + \\sigma \\odot Z) + \\frac{\\|\\Sigma^{1/2}\\|_F^2}{2kd}

    (paper Eq. 9, 26–27; ``F`` as in :func:`objective`), with
    :math:`\\nabla_M = E[\\nabla F]` and :math:`\\nabla_\\sigma = E[\\nabla F \\odot Z]`.
    Sample ``s`` of step ``t`` uses stream ``t * n_samples + s`` of the ``"jl.samples"``
    block of :data:`derand_fast.random.STREAMS` under ``seed``
    (common random numbers = same ``step``); results do not depend on ``threads``.

    A thin front of the smoothing engine: :class:`~derand_fast.smoothing.AffineSmoother`
    draws the samples and reduces them, :class:`DistortionObjective` evaluates them.
    Per-entry ``sigma``: ``A_s = M + σ ⊙ Z_s`` with ``Z_s`` the first ``k·d``
    normals of the stream (row-major ``k × d``), i.e. the engine's
    ``b = vec M``, ``W =`` :class:`~derand_fast.smoothing.DiagonalOperator` ``(vec σ)``
    at scale 1 (the σ-gradient is the engine's gradient in ``W``'s diagonal). Shared
    scalar ``sigma``: the identity at scale σ (the σ-gradient is the engine's
    :math:`\\partial F/\\partial s`); with fewer points than dimensions the engine
    works in the points' row space (:attr:`JLProblem.row_space`: ``b = vec(M V_r)``,
    the stream gives the ``k × r`` normals ``Z'_s`` of the component of ``Z_s`` in
    that space, the only part the objective sees — the same distribution for
    ``d/r`` times less work — and ``∇_M = ∇_{M V_r} V_rᵀ``).

    Parameters
    ----------
    M : array_like, shape (k, d)
    sigma : array_like, shape (k, d), or float
        Per-entry standard deviations, or one shared by all entries (its
        gradient is then a float). Must be >= 0.
    problem : JLProblem
    kind, eps, eps1, tau
        As in :func:`objective`.
    n_samples : int >= 1
    seed, step : int >= 0
    regularize : bool
        Add :math:`\\|\\Sigma^{1/2}\\|_F^2/(2kd)` (``= σ²/2`` for a shared scalar).
    threads : int or None

    Returns
    -------
    MCEstimate
    """
    M = _check_matrix(M, problem, "M")
    k, d = M.shape
    scalar = np.ndim(sigma) == 0
    sig = np.asarray(sigma, dtype=np.float64)
    if not scalar and sig.shape != M.shape:
        raise ValueError(f"sigma must be a float or have the shape of M {M.shape}, got {sig.shape}")
    if not np.isfinite(sig).all() or (sig < 0).any():
        raise ValueError("sigma must be finite and >= 0")
    _mode(kind)
    eps, eps1, tau = _check_params(eps, eps1, tau)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be an int >= 1, got {n_samples!r}")
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 0:
        raise ValueError(f"step must be an int >= 0, got {step!r}")
    m = problem.X.shape[0]
    D = min(m, d) if scalar else d  # the row space's dimension (a bound before the SVD)
    t = threads_for(threads, n_samples * (m * k * D + problem.n_constraints * k), "jl")
    if scalar and "row_space" not in problem.__dict__:
        with thread_scope(t):  # BLAS pinned to one thread: the SVD's bits do not depend on threads
            problem.row_space
    obj = DistortionObjective(problem, k, row_space=scalar, kind=kind, eps=eps, eps1=eps1, tau=tau)
    D = obj.Xb.shape[1]
    basis = problem.row_space[1] if scalar else None
    # per-entry sigma: W = diag(vec sigma) at scale 1; shared sigma: the identity at scale sigma
    op = DiagonalOperator(None, k * D) if scalar else DiagonalOperator(sig.ravel())
    sm = AffineSmoother(obj, op, n_samples=int(n_samples), seed=seed, first_stream=STREAMS["jl.samples"].at(0),
                        threads=t)
    with sm.scope():
        b = M.ravel() if basis is None else (M @ basis.T).ravel()
        est = sm.estimate(b, float(sig) if scalar else 1.0, int(step), grad_scale=scalar, grad_W=not scalar)
        grad_C = est.grad_b.reshape(k, D)
        grad_M = grad_C if basis is None else grad_C @ basis
    value = est.value
    stderr = est.stderr if n_samples > 1 else math.inf
    if scalar:
        gs: np.ndarray | float = est.grad_scale
        if regularize:
            value += 0.5 * float(sig) ** 2
            gs += float(sig)
    else:
        assert est.grad_W is not None  # asked for
        gs = est.grad_W.reshape(k, d)
        if regularize:
            value += float(np.sum(sig * sig)) / (2.0 * k * d)
            gs = gs + sig / (k * d)
    return MCEstimate(value=value, grad_M=grad_M, grad_sigma=gs, stderr=stderr, sample_max=obj.sample_max)


class DistortionObjective:
    r"""The JL objective of a sampled matrix as a :class:`~derand_fast.smoothing.BatchObjective` (paper Eq. 26–27).

    The engine's point :math:`u \in \mathbb R^{kD}` is a matrix :math:`C` (``k × D``,
    row-major) acting on the points through :math:`Y = X_b C^\top`, and
    :math:`g(u) = F(C)` is the objective of :func:`objective` on those points.
    ``X_b`` is ``X`` (``C = A``, ``D = d``) or, with ``row_space=True``, the
    points' row-space coordinates :attr:`JLProblem.row_coords` (``C = A V_r``,
    ``D = r``: what a matrix does to the points, in ``d/r`` times fewer numbers).

    One call of :meth:`evaluate` forms :math:`X_b C^\top` once (``b`` is shared by
    the batch) and runs the fused kernel :func:`kernels.mc_batch` on all samples:
    per block of samples one BLAS product forward (:math:`X_b P_s^\top`), the pair
    passes, one product back (:math:`G_s^\top X_b`, only when the per-sample
    gradients are asked for). :meth:`evaluate_directional` returns
    :math:`\sum_s \nabla g(u_s) \cdot P_s = \sum_s \langle G_s, X_b P_s^\top\rangle`
    from the forward products, without the backward ones (the engine's
    :math:`\partial F/\partial s` for a shared :math:`\sigma`). Every reduction runs
    in a fixed order: bit-identical for every thread count; on one Numba thread
    (:func:`~derand_fast._threads.threads_for` chose 1) the serial twin of the kernel runs.

    Parameters
    ----------
    problem : JLProblem
    n_components : int >= 1
        ``k``.
    row_space : bool
    kind : {"smooth_max", "violations", "max"}
        As in :func:`objective`; ``"max"`` gives values 0 and no gradient, only
        :attr:`sample_max` (the Gaussian baseline's draws).
    eps, eps1, tau : float
        As in :func:`objective`.

    Attributes
    ----------
    dim : int
        ``k D``.
    Xb : ndarray, shape (m, D)
    sample_max : ndarray, shape (B,)
        :math:`\max_p |u_p|` of each sample of the last call.
    """

    def __init__(self, problem: JLProblem, n_components: int, *, row_space: bool = False,
                 kind: str = "smooth_max", eps: float = 0.1, eps1: float = 0.05, tau: float = 0.01) -> None:
        if isinstance(n_components, bool) or not isinstance(n_components, (int, np.integer)) or n_components < 1:
            raise ValueError(f"n_components must be an int >= 1, got {n_components!r}")
        self.problem = problem
        self.mode = kernels.MODE_MAX if kind == "max" else _mode(kind)
        self.eps, self.eps1, self.tau = _check_params(eps, eps1, tau)
        self.Xb = problem.row_coords if row_space else problem.X
        self.k = int(n_components)
        self.dim = self.k * self.Xb.shape[1]
        self.sample_max = np.zeros(0)

    def evaluate(self, b: np.ndarray, scale: float, P: np.ndarray, values: np.ndarray, grad_sum: np.ndarray,
                 grads: np.ndarray | None) -> None:
        """See :class:`~derand_fast.smoothing.BatchObjective`."""
        if grads is None:
            self._run(b, scale, P, values, grad_sum, _NO_GRADS, _NO_DIRS)
            return
        rows = grads.T  # (B, k D): the engine's layout for a DiagonalOperator, written in place
        out = rows if rows.flags.c_contiguous else np.empty(rows.shape)
        self._run(b, scale, P, values, grad_sum, out, _NO_DIRS)
        if out is not rows:
            rows[...] = out

    def evaluate_directional(self, b: np.ndarray, scale: float, P: np.ndarray, values: np.ndarray,
                             grad_sum: np.ndarray) -> float:
        """See :class:`~derand_fast.smoothing.BatchObjective`."""
        dirs = np.empty((P.shape[1], 1, 1))
        self._run(b, scale, P, values, grad_sum, _NO_GRADS, dirs)
        return float(dirs.sum(axis=0)[0, 0])  # samples added in order

    def _run(self, b: np.ndarray, scale: float, P: np.ndarray, values: np.ndarray, grad_sum: np.ndarray,
             grads: np.ndarray, dirs: np.ndarray) -> None:
        Xb, k = self.Xb, self.k
        m, D = Xb.shape
        problem = self.problem
        XMt = Xb @ b.reshape(k, D).T
        Pt = np.ascontiguousarray(P.T)  # one sample per row (no copy for the engine's DiagonalOperator)
        n = Pt.shape[0]
        n_pairs = problem.n_constraints
        keep_u = n * n_pairs <= _U_MAX and self.mode != kernels.MODE_MAX
        # work arrays of this thread (the kernel overwrites every entry it reads)
        NYG = work_array("jl.NYG", (3, n, m, k))
        U = work_array("jl.U", (n, n_pairs) if keep_u else (1, 0))
        G = NYG[2]
        self.sample_max = np.empty(n)
        kernel = kernels.twin(kernels.mc_batch, kernels.mc_batch_serial)
        kernel(Xb, XMt, float(scale), Pt, problem.pairs, problem.inv_sq, self.mode, self.eps, self.eps1, self.tau,
               kernels.n_blocks(n), NYG[0], NYG[1], G, U, values, self.sample_max, grads, dirs)
        grad_sum[:] = (G.sum(axis=0).T @ Xb).ravel()
