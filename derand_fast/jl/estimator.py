"""``JLEmbedding``: a learned, data-aware JL projection as a scikit-learn transformer."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .direct import fit_direct
from .objectives import all_pairs_max_distortion, make_problem, signed_distortions
from .variational import fit_variational

__all__ = ["JLEmbedding"]

_WORKING_SET = 10_000  # constraints per variational step on large problems (worst + a fixed sample)
_POLISH_ITER = 100  # L-BFGS iterations per temperature stage (300 gained ~0.005 on digits k = 16 for 3x the time)


class JLEmbedding(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Linear embedding learned to keep distances (or norms) within a small distortion.

    Where ``GaussianRandomProjection`` draws a random ``k × d`` matrix, this
    estimator learns one for the training data: either by the paper's
    variational method (optimize :math:`A \\sim N(M, \\mathrm{diag}\\,\\sigma^2)`
    until :math:`\\sigma \\to 0`, paper §5.2 / App. G, then polish ``M``) or by a
    direct deterministic L-BFGS on the smooth worst-case distortion. The
    distortion of a vector ``v`` is :math:`|\\|Av\\|^2/\\|v\\|^2 - 1|` (scale
    convention of :mod:`derand_fast.jl.objectives`).

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Target dimension ``k``; ``"auto"``: the smallest ``k`` whose learned
        matrix reaches worst distortion ``<= eps`` on the training data, found
        by bisection (each ``k`` fitted with the same seed; ``k - 1`` is
        certified to fail). The rank of the data always succeeds exactly (PCA).
    eps : float in (0, inf), default=0.1
        Target worst distortion for ``"auto"``; also the violation threshold of
        ``objective="violations"``.
    target : {"pairwise", "norms"}, default="pairwise"
        Preserve all pairwise distances (the JL lemma), or the norms of the
        points (the paper's experiment).
    method : {"variational", "direct"}, default="variational"
    init : {"direct", "pca", "gaussian"}, default="direct"
        Start of the variational phase: the direct L-BFGS solution from the
        rescaled PCA directions (the variational phase then keeps it unless a
        mean beats it on all constraints, and the polish is skipped when none
        does), the rescaled PCA directions, or a Gaussian random projection.
        For ``method="direct"``: ``"gaussian"`` starts from a Gaussian draw,
        the others from PCA.
    objective : {"smooth_max", "violations"}, default="smooth_max"
        For ``method="variational"``: smooth worst case, or the paper's sum of
        smoothed violations (Eq. 9 / 27).
    max_iter : int, default=100
        Variational steps (paper: 5000 from ``M = 0``; from the direct
        solution a short phase suffices); also caps the L-BFGS iterations
        per temperature stage of the polish and of ``"direct"`` at ``min(max_iter, 100)``.
    n_samples : int, default=20
        Sampled matrices per variational step (paper: 20).
    max_pairs : int or None, default=2_000_000
        Pairwise target: use a uniform sample of this many pairs when there are more.
        The map is then fitted to the sample and need not hold on the other
        pairs (``score(X)`` measures all of them exactly).
    random_state : int, RandomState instance or None, default=None
    threads : int or None, default=None
        Numba threads; results do not depend on it.

    Attributes
    ----------
    n_components_ : int
    components_ : ndarray of shape (n_components_, n_features_in_)
    max_distortion_, median_distortion_ : float
        On the training constraints (the pair sample, when ``max_pairs`` applies).
    n_iter_ : int
        Optimizer iterations of the final fit (variational steps, or L-BFGS
        objective evaluations for ``"direct"``); 1 when ``k`` reaches the data's
        rank and the exact solution (top singular vectors) is taken.
    history_ : dict of ndarray
        ``"step"``, ``"max_distortion"`` (of the current mean) and ``"max_sigma2"``
        per recorded step (variational), or per temperature stage (direct).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).standard_normal((30, 40))
    >>> emb = JLEmbedding(n_components=10, method="direct", random_state=0).fit(X)
    >>> emb.transform(X).shape
    (30, 10)
    >>> bool(emb.max_distortion_ < 0.5)
    True
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "eps": [Interval(numbers.Real, 0, None, closed="neither")],
        "target": [StrOptions({"pairwise", "norms"})],
        "method": [StrOptions({"variational", "direct"})],
        "init": [StrOptions({"direct", "pca", "gaussian"})],
        "objective": [StrOptions({"smooth_max", "violations"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_pairs": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "random_state": ["random_state"],
        "threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_components="auto", *, eps=0.1, target="pairwise", method="variational", init="direct",
                 objective="smooth_max", max_iter=100, n_samples=20, max_pairs=2_000_000, random_state=None,
                 threads=None):
        self.n_components = n_components
        self.eps = eps
        self.target = target
        self.method = method
        self.init = init
        self.objective = objective
        self.max_iter = max_iter
        self.n_samples = n_samples
        self.max_pairs = max_pairs
        self.random_state = random_state
        self.threads = threads

    def _fit_k(self, problem, k: int, seed: int):
        if self.method == "direct":
            d = fit_direct(problem, k, init="gaussian" if self.init == "gaussian" else "pca", seed=seed,
                           max_iter=min(int(self.max_iter), _POLISH_ITER), threads=self.threads)
            hist = {"step": d.history["nfev"], "max_distortion": d.history["max_distortion"],
                    "max_sigma2": np.zeros(len(d.history["nfev"]))}
            return d.x, d.max_distortion, d.median_distortion, hist, max(int(d.nfev), 1)
        v = fit_variational(problem, k, objective=self.objective, eps=self.eps, n_samples=self.n_samples,
                            max_iter=int(self.max_iter), init=self.init, working_set=_WORKING_SET,
                            polish_max_iter=min(int(self.max_iter), _POLISH_ITER),
                            seed=seed, threads=self.threads)
        hist = {key: v.history[key] for key in ("step", "max_distortion", "max_sigma2")}
        return v.x, v.max_distortion, v.median_distortion, hist, max(int(v.nit), 1)

    def _exact(self, problem, k: int):
        # k >= rank: the top-k right singular vectors are an isometry on the data's span.
        Xc = problem.X[:-1] if problem.target == "norms" else problem.X - problem.X.mean(axis=0)
        _, _, vt = np.linalg.svd(Xc, full_matrices=k > min(Xc.shape))
        A = np.ascontiguousarray(vt[:k])
        u = np.abs(signed_distortions(A, problem, threads=self.threads))
        empty = {"step": np.zeros(0, dtype=np.int64), "max_distortion": np.zeros(0), "max_sigma2": np.zeros(0)}
        return A, float(u.max()), float(np.median(u)), empty, 1

    def fit(self, X, y=None):
        """Learn the projection from ``X`` (array-like or sparse, shape (n_samples, n_features)).

        Returns
        -------
        self
        """
        self._validate_params()
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], dtype=[np.float64, np.float32],
                          ensure_min_samples=2 if self.target == "pairwise" else 1)
        if sp.issparse(X):
            X = X.toarray()
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        problem = make_problem(X, self.target, max_pairs=self.max_pairs, seed=seed)
        Xc = problem.X[:-1] if problem.target == "norms" else problem.X - problem.X.mean(axis=0)
        rank = max(1, int(np.linalg.matrix_rank(Xc)))
        d = X.shape[1]
        if self.n_components == "auto":
            lo, hi = 0, rank  # lo fails (k = 0 embeds nothing), hi succeeds (exact)
            fits = {rank: self._exact(problem, rank)}
            while hi - lo > 1:
                mid = (lo + hi) // 2
                fits[mid] = self._fit_k(problem, mid, seed)
                if fits[mid][1] <= self.eps:
                    hi = mid
                else:
                    lo = mid
            k = hi
            A, mx, med, hist, n_iter = fits[k]
        else:
            k = int(self.n_components)
            if k > d:
                raise ValueError(f"n_components = {k} must be <= n_features = {d}")
            A, mx, med, hist, n_iter = self._exact(problem, k) if k >= rank else self._fit_k(problem, k, seed)
        self.n_components_ = k
        self.components_ = A
        self.max_distortion_ = mx
        self.median_distortion_ = med
        self.history_ = hist
        self.n_iter_ = n_iter
        return self

    def transform(self, X):
        """Project ``X`` (array-like or sparse, shape (n_samples, n_features_in_)).

        Returns
        -------
        ndarray of shape (n_samples, n_components_)
            float32 for float32 input, float64 otherwise.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], dtype=[np.float64, np.float32],
                          reset=False)
        A = self.components_.astype(X.dtype, copy=False)
        out = X @ A.T
        return np.asarray(out)

    def score(self, X, y=None) -> float:
        """Negative worst distortion of the learned map on ``X`` (higher is better, for model selection).

        ``target="pairwise"``: over all pairs of distinct rows of ``X``, exactly
        (:func:`~derand_fast.jl.objectives.all_pairs_max_distortion`, blocked,
        no pair sample); ``"norms"``: over the nonzero rows. Points never seen
        in ``fit`` measure how the map generalizes.

        Parameters
        ----------
        X : array-like or sparse, shape (n_samples, n_features_in_)
        y : ignored

        Returns
        -------
        float
            :math:`-\\max |\\|Av\\|^2/\\|v\\|^2 - 1|`; 0.0 when ``X`` has no usable
            constraint (fewer than two distinct rows, or only zero rows).
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], dtype=[np.float64, np.float32],
                          reset=False)
        if sp.issparse(X):
            X = X.toarray()
        X = np.asarray(X, dtype=np.float64)
        if self.target == "pairwise":
            worst, _ = all_pairs_max_distortion(self.components_, X, threads=self.threads)
            return -worst
        sq = np.einsum("ij,ij->i", X, X)
        keep = sq > 0.0
        if not keep.any():
            return 0.0
        Y = X[keep] @ self.components_.T
        return -float(np.abs(np.einsum("ij,ij->i", Y, Y) / sq[keep] - 1.0).max())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self) -> int:
        return self.n_components_

