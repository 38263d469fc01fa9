"""Teacher models of paper §4 (Eq. 3): :math:`y = h(Ux) + \\epsilon`, :math:`x \\sim N(0, I_d)`.

Sample ``i`` of step ``t`` (batch size ``n``) is stream ``t * n + i`` of the
block ``STREAMS["nn.data"]`` of :mod:`derand_fast.random` (:data:`DATA_STREAMS`)
under the teacher's seed: its first ``d`` normals are :math:`x_i` and the next
one, times the noise level, is :math:`\\epsilon_i`. Draws are therefore a pure
function of ``(seed, step, sample)`` — the same for every thread count — and
``step = 0`` always gives the same fixed sample.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from ..random import STREAMS, seed_to_key, standard_normal

__all__ = ["DATA_STREAMS", "MultiIndexTeacher", "single_index_teacher"]

#: The block of :data:`derand_fast.random.STREAMS` the teachers' samples are drawn from.
DATA_STREAMS = STREAMS["nn.data"]


def _tanh_first(z: np.ndarray) -> np.ndarray:
    return np.tanh(z[:, 0])


def _tanh_first_grad(z: np.ndarray) -> np.ndarray:
    g = np.zeros(z.shape)
    g[:, 0] = 1.0 - np.tanh(z[:, 0]) ** 2
    return g


class MultiIndexTeacher:
    """Multi-index teacher :math:`y = h(Ux) + \\epsilon` (paper Eq. 3).

    Parameters
    ----------
    U : array_like, shape (k, d)
        Teacher directions; its row space is the principal subspace. A
        non-orthonormal ``U`` of full row rank is orthonormalized (Gram–Schmidt
        via QR, same row space, signs kept so that ``U_[i] · U[i] > 0``) with a
        ``UserWarning``; the link then acts on the orthonormal coordinates. A
        rank-deficient ``U`` is rejected.
    link : callable
        ``link(Z) -> y`` mapping the projections ``Z = X U^T`` (n, k) to labels (n,).
    link_grad : callable or None
        ``link_grad(Z) -> G``, the gradient of the link at each row of ``Z``,
        shape (n, k). Training through the smoothing engine needs it
        (:class:`~derand_fast.nn.student.StudentRisk`); without it
        :func:`~derand_fast.nn.train.train_student` evaluates the risk on
        :meth:`sample`'s data with the student's exact kernels (the same data).
    noise_std : float >= 0
        Standard deviation of the additive Gaussian noise :math:`\\epsilon`
        (paper App. E: 0.1).
    seed : int >= 0

    Attributes
    ----------
    U_ : ndarray (k, d), orthonormal rows
    d, k : int

    Examples
    --------
    >>> import numpy as np
    >>> t = MultiIndexTeacher(np.eye(3)[:2], lambda z: z[:, 0] * z[:, 1], noise_std=0.0)
    >>> X, y = t.sample(4)
    >>> bool(np.allclose(y, X[:, 0] * X[:, 1]))
    True
    """

    def __init__(self, U, link: Callable[[np.ndarray], np.ndarray], *,
                 link_grad: Callable[[np.ndarray], np.ndarray] | None = None, noise_std: float = 0.1,
                 seed: int = 0) -> None:
        arr = np.asarray(U)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"U must be a real numeric array, got dtype {arr.dtype}")
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
            raise ValueError(f"U must have shape (k, d) with k, d >= 1, got {arr.shape}")
        U = np.array(arr, dtype=np.float64)
        if not np.isfinite(U).all():
            raise ValueError("U contains NaN or inf")
        k, d = U.shape
        if k > d:
            raise ValueError(f"U must have at most d = {d} rows (k <= d), got k = {k}")
        sv = np.linalg.svd(U, compute_uv=False)
        if sv[-1] <= 1e-10 * max(sv[0], 1e-300):
            raise ValueError(f"U is rank-deficient (singular values {sv.tolist()}); its rows must be independent")
        if not np.allclose(U @ U.T, np.eye(k), rtol=0.0, atol=1e-10):
            warnings.warn("U is not orthonormal; orthonormalizing its rows (same span)", UserWarning, stacklevel=2)
            q, r = np.linalg.qr(U.T)
            U = (q * np.sign(np.diag(r))).T
        if not callable(link):
            raise TypeError(f"link must be callable, got {type(link).__name__}")
        if link_grad is not None and not callable(link_grad):
            raise TypeError(f"link_grad must be callable or None, got {type(link_grad).__name__}")
        noise_std = float(noise_std)
        if not (math.isfinite(noise_std) and noise_std >= 0.0):
            raise ValueError(f"noise_std must be a finite number >= 0, got {noise_std!r}")
        seed_to_key(seed)
        self.U_ = np.ascontiguousarray(U)
        self.d, self.k = d, k
        self.link = link
        self.link_grad = link_grad
        self.noise_std = noise_std
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"MultiIndexTeacher(d={self.d}, k={self.k}, noise_std={self.noise_std}, seed={self.seed})"

    def labels(self, X: np.ndarray) -> np.ndarray:
        """Noise-free labels :math:`h(UX)` of inputs ``X`` (n, d), shape (n,)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.d:
            raise ValueError(f"X must have shape (n, {self.d}), got {X.shape}")
        return self.link_values(X @ self.U_.T)

    def link_values(self, Z: np.ndarray) -> np.ndarray:
        """:math:`h(z)` for every row of the projections ``Z`` (n, k), checked: shape (n,), finite."""
        n = Z.shape[0]
        y = np.asarray(self.link(Z), dtype=np.float64)
        if y.shape != (n,):
            raise ValueError(f"link must return shape ({n},) for {n} samples, got {y.shape}")
        if not np.isfinite(y).all():
            raise ValueError("link returned NaN or inf labels")
        return y

    def link_gradients(self, Z: np.ndarray) -> np.ndarray:
        """:math:`\\nabla h(z)` for every row of ``Z`` (n, k) by ``link_grad``, checked: shape (n, k)."""
        if self.link_grad is None:
            raise ValueError("this teacher's link has no derivative (link_grad=None)")
        G = np.asarray(self.link_grad(Z), dtype=np.float64)
        if G.shape != Z.shape:
            raise ValueError(f"link_grad must return shape {Z.shape} for {Z.shape[0]} samples, got {G.shape}")
        return G

    def sample(self, n: int, *, step: int = 0, threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` samples of step ``step`` (streams ``step*n .. step*n + n - 1`` of :data:`DATA_STREAMS`).

        Parameters
        ----------
        n : int >= 1
        step : int >= 0
            Online training uses ``step = t`` at step ``t``; a fixed sample is ``step = 0``.
        threads : int or None

        Returns
        -------
        X : ndarray (n, d)
        y : ndarray (n,)
        """
        for name, v in (("n", n), ("step", step)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if step < 0:
            raise ValueError(f"step must be >= 0, got {step}")
        z = standard_normal(self.seed, int(n), self.d + 1, first_stream=DATA_STREAMS.at(int(step) * int(n)),
                            threads=threads)
        X = np.ascontiguousarray(z[:, : self.d])
        y = self.labels(X)
        if self.noise_std:
            y = y + self.noise_std * z[:, self.d]
        return X, y


def single_index_teacher(d: int = 2, theta=None, *, noise_std: float = 0.1, seed: int = 0) -> MultiIndexTeacher:
    """The paper's teacher (§4.3, App. E): :math:`y = \\tanh(\\theta\\cdot x) + \\epsilon`.

    Parameters
    ----------
    d : int >= 1
    theta : array_like (d,), optional
        Direction (normalized to unit length); default :math:`(1, \\dots, 1)/\\sqrt d`,
        i.e. the paper's :math:`(1, 1)/\\sqrt2` for d = 2.
    noise_std : float >= 0
        Paper: 0.1 (we read :math:`N(0, 0.1)` as standard deviation 0.1).
    seed : int >= 0
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"d must be an int, got {type(d).__name__}")
    if d < 1:
        raise ValueError(f"d must be >= 1, got {d}")
    if theta is None:
        theta = np.ones(d) / math.sqrt(d)
    th = np.asarray(theta, dtype=np.float64)
    if th.shape != (d,):
        raise ValueError(f"theta must have shape ({d},), got {th.shape}")
    if not np.isfinite(th).all():
        raise ValueError("theta contains NaN or inf")
    norm = float(np.linalg.norm(th))
    if norm == 0.0:
        raise ValueError("theta must be non-zero")
    return MultiIndexTeacher(th[None, :] / norm, _tanh_first, link_grad=_tanh_first_grad, noise_std=noise_std,
                             seed=seed)
