"""Two-layer student network :math:`\\hat y(x) = a^\\top \\sigma(Wx + b)` with fused Numba kernels.

The regularized empirical risk of paper Eq. 5 with the MSE loss,

.. math::

    R(W, b, a) = \\frac1n \\sum_{i=1}^n \\bigl(a^\\top \\sigma(W x_i + b) - y_i\\bigr)^2
    + \\lambda \\|W\\|_F^2,

its gradient and its Hessian-vector products on a batch ``(X, y)`` are computed
by the parallel Numba kernels of :mod:`derand_fast.nn.kernels`, fused per block
of 64 samples, with partial sums reduced in a fixed order: results are
bit-identical for every thread count (BLAS runs single-threaded inside the
kernels, see :func:`derand_fast._threads.thread_scope`).

Training does not form ``X``: on a teacher's data the risk is an expectation
over one Gaussian per sample, the affine form :math:`E_z[g(b_+ + W_+ z)]` of
the smoothing engine (paper Eq. 2), and :class:`StudentRisk` is its objective
(:func:`derand_fast.nn.train.train_student` drives it with
:class:`~derand_fast.smoothing.AffineSmoother`). The batch kernels above stay
for the second-order certificate (exact Hessian-vector products on a sample)
and as the reference the engine's numbers are tested against.

Activations (value, first and second derivative):

- ``"relu_iota"``: :math:`\\mathrm{ReLU}_\\iota(z) = \\log(1 + e^{\\iota z})/\\iota`
  (paper §4.2, :func:`derand_fast.indicators.relu_iota_scalar`), ι = 2 by default;
- ``"tanh"``;
- ``"gelu"``: :math:`z\\,\\Phi(z)` (exact, erf form).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numba as nb
import numpy as np

from .._threads import thread_scope, threads_for, work_array
from .._validation import check_array, check_count
from ..random import STREAMS, seed_to_key, standard_normal
from .kernels import (
    chunk_size,
    fused_work_size,
    hvp_chunks,
    loss_grad_chunks,
    predict_chunks,
    reduce_slots,
    row_chunk,
    rows_backward,
    rows_forward,
    rows_fused,
    rows_matmul,
)
from .teachers import MultiIndexTeacher

__all__ = ["ACTIVATIONS", "PARAM_NAMES", "StudentMap", "StudentRisk", "TwoLayerStudent", "init_student"]

ACTIVATIONS = ("relu_iota", "tanh", "gelu")
PARAM_NAMES = ("W", "b", "a")

# Streams of ``derand_fast.random`` used for the initialisation, far above the
# data streams (step * n + i) that teachers use with the same seed.
_INIT_STREAM = STREAMS["nn.init"].first  # 2^48


def init_student(d: int, h: int, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Paper App. E initialisation: :math:`W_{jk} \\sim N(0, 1/d)`, :math:`b_j, a_j \\sim N(0, 1/h^2)`.

    The second argument of :math:`N` is the variance (standard deviations
    :math:`1/\\sqrt d` and :math:`1/h`). The numbers come from
    :func:`derand_fast.random.standard_normal` streams reserved for
    initialisation, so they are reproducible and independent of the data
    streams drawn with the same seed.

    Parameters
    ----------
    d, h : int >= 1
        Input dimension and width.
    seed : int >= 0

    Returns
    -------
    dict with ``"W"`` (h, d), ``"b"`` (h,), ``"a"`` (h,), float64
    """
    d = check_count(d, "d")
    h = check_count(h, "h")
    seed_to_key(seed)
    z = standard_normal(seed, 3, h * d, first_stream=_INIT_STREAM)
    return {
        "W": z[0, : h * d].reshape(h, d) / math.sqrt(d),
        "b": z[1, :h] / h,
        "a": z[2, :h] / h,
    }


class TwoLayerStudent:
    """The student network of paper §4.3: :math:`\\hat y = a^\\top \\sigma(Wx + b)`, MSE + λ‖W‖².

    Parameters
    ----------
    activation : {"relu_iota", "tanh", "gelu"}
    iota : float > 0
        Sharpness ι of ``relu_iota`` (paper: 2); ignored by the other activations.
    lam : float >= 0
        Regularization λ of paper Eq. 5 (paper App. E: 1e-5).
    trainable : iterable of {"W", "b", "a"}
        Parameter groups that receive gradients (paper: ``("W", "b")``, ``a`` frozen).
    threads : int or None
        Numba threads; results are bit-identical for every value.

    Notes
    -----
    Parameters are passed as a dict ``{"W": (h, d), "b": (h,), "a": (h,)}``;
    :meth:`loss_and_grad` and :meth:`hessp` return gradients / products only
    for the trainable groups, as the optimizers expect (``contracts.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from derand_fast.nn import TwoLayerStudent, init_student
    >>> params = init_student(2, 8, seed=0)
    >>> X = np.ones((3, 2)); y = np.zeros(3)
    >>> value, grad = TwoLayerStudent().loss_and_grad(params, X, y)
    >>> sorted(grad), grad["W"].shape
    (['W', 'b'], (8, 2))
    """

    def __init__(self, *, activation: str = "relu_iota", iota: float = 2.0, lam: float = 1e-5,
                 trainable: Iterable[str] = ("W", "b"), threads: int | None = None) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        iota = float(iota)
        if not (math.isfinite(iota) and iota > 0.0):
            raise ValueError(f"iota must be a positive finite number, got {iota!r}")
        lam = float(lam)
        if not (math.isfinite(lam) and lam >= 0.0):
            raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
        if isinstance(trainable, str):
            trainable = (trainable,)
        groups = tuple(trainable)
        bad = [g for g in groups if g not in PARAM_NAMES]
        if bad or not groups or len(set(groups)) != len(groups):
            raise ValueError(f"trainable must be a non-empty subset of {PARAM_NAMES} without repeats, got {groups!r}")
        self.activation = activation
        self.iota = iota
        self.lam = lam
        self.trainable = tuple(g for g in PARAM_NAMES if g in groups)
        self.threads = threads
        self._kind = ACTIVATIONS.index(activation)

    def __repr__(self) -> str:
        return (f"TwoLayerStudent(activation={self.activation!r}, iota={self.iota}, lam={self.lam}, "
                f"trainable={self.trainable})")

    # -- argument checks -------------------------------------------------
    def check_params(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Validate ``{"W", "b", "a"}`` (finite, shapes (h, d), (h,), (h,)); return float64 copies-or-views."""
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict with keys {PARAM_NAMES}, got {type(params).__name__}")
        missing = [k for k in PARAM_NAMES if k not in params]
        if missing:
            raise ValueError(f"params is missing {missing}")
        W = check_array(params["W"], "params['W']", 2)
        b = check_array(params["b"], "params['b']", 1)
        a = check_array(params["a"], "params['a']", 1)
        h, d = W.shape
        if h < 1 or d < 1:
            raise ValueError(f"params['W'] must have shape (h, d) with h, d >= 1, got {W.shape}")
        if b.shape != (h,) or a.shape != (h,):
            raise ValueError(f"params['b'] and params['a'] must have shape ({h},), got {b.shape} and {a.shape}")
        return {"W": W, "b": b, "a": a}

    @staticmethod
    def check_data(X, y, d: int) -> tuple[np.ndarray, np.ndarray]:
        """Validate a batch: ``X`` (n, d) and ``y`` (n,), finite, n >= 1."""
        X = check_array(X, "X", 2)
        y = check_array(y, "y", 1)
        if X.shape[1] != d:
            raise ValueError(f"X must have {d} columns (the input dimension of W), got {X.shape[1]}")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have length {X.shape[0]} (rows of X), got {y.shape[0]}")
        return X, y

    # -- kernels ----------------------------------------------------------
    def predict(self, params: Mapping[str, np.ndarray], X) -> np.ndarray:
        """Predictions :math:`a^\\top\\sigma(Wx_i + b)`, shape (n,)."""
        p = self.check_params(params)
        X = check_array(X, "X", 2)
        if X.shape[1] != p["W"].shape[1]:
            raise ValueError(f"X must have {p['W'].shape[1]} columns, got {X.shape[1]}")
        out = np.empty(X.shape[0])
        with thread_scope(self.threads):
            predict_chunks(np.ascontiguousarray(p["W"].T), p["b"], p["a"], X, self._kind, self.iota,
                     chunk_size(X.shape[0]), out)
        return out

    def loss_and_grad(self, params: Mapping[str, np.ndarray], X, y) -> tuple[float, dict[str, np.ndarray]]:
        """Risk :math:`R` (paper Eq. 5, MSE) and its gradient in the trainable groups.

        Parameters
        ----------
        params : dict {"W": (h, d), "b": (h,), "a": (h,)}
        X : ndarray (n, d)
        y : ndarray (n,)

        Returns
        -------
        value : float
        grad : dict of ndarray, one entry per trainable group, shapes as in ``params``
        """
        p = self.check_params(params)
        X, y = self.check_data(X, y, p["W"].shape[1])
        W = p["W"]
        n = X.shape[0]
        want_a = "a" in self.trainable
        with thread_scope(threads_for(self.threads, n * W.shape[0] * (W.shape[1] + 1), "nn")):
            sq, gwt, gb, ga = loss_grad_chunks(np.ascontiguousarray(W.T), p["b"], p["a"], X, y,
                                                self._kind, self.iota, chunk_size(n), want_a)
            grad: dict[str, np.ndarray] = {}
            if "W" in self.trainable:
                grad["W"] = reduce_slots(gwt).T + 2.0 * self.lam * W
            if "b" in self.trainable:
                grad["b"] = reduce_slots(gb)
            if want_a:
                grad["a"] = reduce_slots(ga)
            # inside the scope: BLAS stays on one thread (waking its pool costs more than this dot)
            value = math.fsum(sq.tolist()) / n + self.lam * float(np.dot(W.ravel(), W.ravel()))
        return value, grad

    def hessp(self, params: Mapping[str, np.ndarray], X, y, v: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Hessian of :math:`R` in the trainable groups times ``v`` (exact, R-operator).

        Parameters
        ----------
        params : dict {"W", "b", "a"}
        X, y : batch as in :meth:`loss_and_grad`
        v : dict with one array per trainable group (shapes as in ``params``)

        Returns
        -------
        dict, same keys and shapes as ``v``
        """
        p = self.check_params(params)
        X, y = self.check_data(X, y, p["W"].shape[1])
        W = p["W"]
        h, d = W.shape
        if not isinstance(v, Mapping) or set(v) != set(self.trainable):
            raise ValueError(f"v must be a dict with exactly the trainable groups {self.trainable}")
        shapes = {"W": (h, d), "b": (h,), "a": (h,)}
        dirs = {}
        for name in PARAM_NAMES:
            if name in v:
                arr = check_array(v[name], f"v['{name}']", len(shapes[name]))
                if arr.shape != shapes[name]:
                    raise ValueError(f"v['{name}'] must have shape {shapes[name]}, got {arr.shape}")
                dirs[name] = arr
            else:
                dirs[name] = np.zeros(shapes[name])
        want_a = "a" in self.trainable
        n = X.shape[0]
        with thread_scope(threads_for(self.threads, n * h * (d + 1), "nn")):
            hwt, hb, ha = hvp_chunks(np.ascontiguousarray(W.T), p["b"], p["a"],
                                      np.ascontiguousarray(dirs["W"].T), dirs["b"], dirs["a"],
                                      X, y, self._kind, self.iota, chunk_size(n), want_a)
            out: dict[str, np.ndarray] = {}
            if "W" in self.trainable:
                out["W"] = reduce_slots(hwt).T + 2.0 * self.lam * dirs["W"]
            if "b" in self.trainable:
                out["b"] = reduce_slots(hb)
            if want_a:
                out["a"] = reduce_slots(ha)
        return out


class StudentMap:
    r"""The stacked map :math:`W_+` of :class:`StudentRisk` as an :class:`~derand_fast.smoothing.AffineOperator`.

    Its parameters are the student's ``W`` alone (the teacher's rows and the
    noise row are fixed): ``grad(D, Z, s, n)`` is :math:`\frac sn D_S X`, shape
    ``(h, d)``, with :math:`D_S` the student rows of the per-sample gradients
    and :math:`X` the first ``d`` columns of the points. ``matmat(Z, out)`` is
    :math:`W_+ Z^\top`; given ``out`` (the driver's sign of a batch it does not
    keep) the product goes into a work array of this map, reused at the next
    such call (a fresh ``(h + k + 1) × B`` array per step costs its page faults).
    Both products run by fixed blocks of rows on the step's Numba threads
    (:func:`~derand_fast.nn.kernels.rows_matmul`; the engine's BLAS stays on one).

    Parameters
    ----------
    W_aug : ndarray, shape ``(h + k + 1, d + 1)``
        :attr:`StudentRisk.W_aug` (held by reference: :meth:`StudentRisk.set_params` updates it).
    h : int
    """

    def __init__(self, W_aug: np.ndarray, h: int) -> None:
        self.W = W_aug
        self.h = h
        self.shape = (int(W_aug.shape[0]), int(W_aug.shape[1]))

    def matmat(self, Z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """See :class:`~derand_fast.smoothing.AffineOperator`."""
        shape = (self.shape[0], Z.shape[0])
        P = np.empty(shape) if out is None else work_array("nn.P", shape)
        rows_matmul(self.W, Z.T, P)
        return P

    def grad(self, D: np.ndarray, Z: np.ndarray, scale: float, n: int) -> np.ndarray:
        """See :class:`~derand_fast.smoothing.AffineOperator`: the gradient in ``W``, shape ``(h, d)``."""
        G = np.empty((self.h, self.shape[1] - 1))
        rows_matmul(D[:self.h], np.ascontiguousarray(Z[:, :-1]), G)
        G *= float(scale) / n
        return G


class StudentRisk:
    r"""The student's squared error on a teacher's data as an objective of the smoothing engine (paper Eq. 2).

    A teacher sample is :math:`x \sim N(0, I_d)` with the label
    :math:`y = h(Ux) + \sigma_\epsilon \xi`, :math:`\xi \sim N(0, 1)` (paper Eq. 3),
    so one labelled sample is one Gaussian :math:`z = (x, \xi) \in \mathbb R^{d+1}`,
    and the data term of the risk (paper Eq. 5, MSE) is the engine's affine form

    .. math::

        E_z\bigl[g(b_+ + W_+ z)\bigr], \qquad
        W_+ = \begin{pmatrix} W & 0 \\ U & 0 \\ 0 & \sigma_\epsilon \end{pmatrix}, \quad
        b_+ = \begin{pmatrix} b \\ 0 \\ 0 \end{pmatrix}, \quad
        g(u) = \bigl(a^\top \sigma(u_S) - h(u_T) - u_\epsilon\bigr)^2,

    with :math:`u = (u_S, u_T, u_\epsilon)`: the ``h`` pre-activations
    :math:`Wx + b`, the teacher's ``k`` projections :math:`Ux` and its noise.
    The engine's :math:`\nabla_b` restricted to the student's rows is the
    risk's gradient in ``b``, and its :math:`\nabla_W` through
    :attr:`operator` (a :class:`StudentMap`, whose parameters are ``W``) the
    gradient in ``W``; the output weights ``a`` are not an affine parameter,
    and their gradient is a side output (:attr:`grad_a`).

    A :class:`~derand_fast.smoothing.BatchObjective`: :meth:`evaluate`
    computes, for the samples :math:`u_c = b + sP_{:,c}` of a batch, the values
    and the gradients :math:`\partial g/\partial u` in all ``h + k + 1``
    coordinates, by the fused kernels
    :func:`~derand_fast.nn.kernels.rows_forward` and
    :func:`~derand_fast.nn.kernels.rows_backward` (hidden units in parallel,
    the samples of a unit contiguous; bit-identical for every thread count).
    The teacher's link and its derivative are NumPy callables, applied to the
    whole batch; the gradient in the teacher's coordinates needs
    ``teacher.link_grad``. Driven with its own :attr:`operator`, the engine
    calls :meth:`evaluate_points` instead (no :math:`\partial F/\partial s`
    asked for): the points are projected, evaluated and differentiated by
    blocks of 128 samples in cache (:func:`~derand_fast.nn.kernels.rows_fused`),
    and the gradient in ``W`` comes back without the ``(h + k + 1) × B``
    projections and per-sample gradients ever being formed.

    Parameters
    ----------
    student : TwoLayerStudent
        Activation and ``iota``; ``a`` receives a gradient when it is trainable.
    teacher : MultiIndexTeacher
        With ``link_grad`` (the built-in links have one).
    h : int >= 1
        Width.

    Attributes
    ----------
    dim : int
        ``h + k + 1``.
    W_aug : ndarray, shape ``(h + k + 1, d + 1)``
        :math:`W_+` (student rows set by :meth:`set_params`).
    b_aug : ndarray, shape ``(h + k + 1,)``
        :math:`b_+`.
    operator : StudentMap
        :attr:`W_aug` as the engine's operator (pass it to :class:`~derand_fast.smoothing.AffineSmoother`).
    grad_a : ndarray, shape ``(h,)``, or None
        After :meth:`evaluate`, when ``a`` is trainable: :math:`\sum_c \partial g(u_c)/\partial a`
        of that call's samples.
    nonfinite : bool
        Whether the last :meth:`evaluate` produced a non-finite value or gradient (a diverging run).

    Examples
    --------
    >>> import numpy as np
    >>> from derand_fast.nn import init_student, single_index_teacher
    >>> from derand_fast.nn.student import StudentRisk, TwoLayerStudent
    >>> from derand_fast.nn.teachers import DATA_STREAMS
    >>> from derand_fast.smoothing import AffineSmoother
    >>> teacher, p = single_index_teacher(2), init_student(2, 8)
    >>> risk = StudentRisk(TwoLayerStudent(), teacher, 8)
    >>> risk.set_params(p["W"], p["b"], p["a"])
    >>> sm = AffineSmoother(risk, risk.operator, n_samples=64, seed=teacher.seed, first_stream=DATA_STREAMS.first)
    >>> est = sm.estimate(risk.b_aug, 1.0, grad_W=True)
    >>> X, y = teacher.sample(64)   # the same 64 samples
    >>> value, grad = TwoLayerStudent(lam=0.0).loss_and_grad(p, X, y)
    >>> bool(np.isclose(est.value, value, rtol=1e-13)), bool(np.allclose(est.grad_b[:8], grad["b"], rtol=1e-12))
    (True, True)
    >>> est.grad_W.shape, bool(np.allclose(est.grad_W, grad["W"], rtol=1e-12))
    ((8, 2), True)
    """

    def __init__(self, student: TwoLayerStudent, teacher: MultiIndexTeacher, h: int) -> None:
        if not isinstance(student, TwoLayerStudent):
            raise TypeError(f"student must be a TwoLayerStudent, got {type(student).__name__}")
        if not isinstance(teacher, MultiIndexTeacher):
            raise TypeError(f"teacher must be a MultiIndexTeacher, got {type(teacher).__name__}")
        if teacher.link_grad is None:
            raise ValueError("the teacher's link has no derivative (link_grad=None): StudentRisk needs it for the "
                             "gradient in the teacher's coordinates")
        self.student = student
        self.teacher = teacher
        self.h = check_count(h, "h")
        k, d = teacher.k, teacher.d
        self.dim = self.h + k + 1
        self.W_aug = np.zeros((self.dim, d + 1))
        self.W_aug[self.h:self.h + k, :d] = teacher.U_
        self.W_aug[-1, d] = teacher.noise_std
        self.b_aug = np.zeros(self.dim)
        self.operator = StudentMap(self.W_aug, self.h)
        self.a = np.zeros(self.h)
        self.want_a = "a" in student.trainable
        self.grad_a: np.ndarray | None = np.zeros(self.h) if self.want_a else None
        self.nonfinite = False
        self._chunk = row_chunk(self.h)
        self._no_rows = np.empty((0, 0))
        self._no_a = np.empty(0)

    def set_params(self, W: np.ndarray, b: np.ndarray, a: np.ndarray) -> None:
        """Write the student's ``W`` (h, d), ``b`` (h,) and ``a`` (h,) into :attr:`W_aug`, :attr:`b_aug` and ``a``."""
        self.W_aug[:self.h, :-1] = W
        self.b_aug[:self.h] = b
        self.a = np.ascontiguousarray(a, dtype=np.float64)

    def _labels(self, b: np.ndarray, s: float, PT: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The teacher's side of a batch from its rows ``PT`` (``(k + 1, B)``) of the projections.

        Returns the teacher's coordinates ``uT`` (``(B, k)``), the link's values and the noise term.
        """
        h, k = self.h, self.teacher.k
        uT = (b[h:h + k, None] + s * PT[:k]).T
        return uT, self.teacher.link_values(uT), b[-1] + s * PT[-1]

    def _teacher_gradients(self, uT: np.ndarray, res2: np.ndarray, DT: np.ndarray, grad_sum: np.ndarray) -> None:
        """Rows ``h ..`` of the per-sample gradients into ``DT`` (``(k + 1, B)``), their sums into ``grad_sum[h:]``."""
        k = self.teacher.k
        np.multiply(self.teacher.link_gradients(uT).T, -res2, out=DT[:k])
        np.negative(res2, out=DT[-1])
        DT.sum(axis=1, out=grad_sum[self.h:])

    def evaluate(self, b: np.ndarray, scale: float, P: np.ndarray, values: np.ndarray, grad_sum: np.ndarray,
                 grads: np.ndarray | None) -> None:
        """See :class:`~derand_fast.smoothing.BatchObjective`."""
        h = self.h
        B = P.shape[1]
        s = float(scale)
        self.nonfinite = False
        D = work_array("nn.D", P.shape) if grads is None else grads
        F = work_array("nn.F", (h, B)) if self.want_a else self._no_rows
        st = self.student
        parts = work_array("nn.parts", (-(-h // self._chunk), B))
        rows_forward(b, s, P, self.a, st._kind, st.iota, self._chunk, parts, D, F)
        r = parts[0].copy()
        for c in range(1, parts.shape[0]):  # the chunks' partial predictions, in order
            r += parts[c]
        uT, lin, noise = self._labels(b, s, P[h:])
        r -= lin
        r -= noise
        np.multiply(r, r, out=values)
        r *= 2.0
        ga = self.grad_a if self.grad_a is not None else self._no_a
        rows_backward(self.a, r, D, F, self._chunk, grad_sum[:h], ga)
        self._teacher_gradients(uT, r, D[h:], grad_sum)
        self.nonfinite = not (np.isfinite(values).all() and np.isfinite(grad_sum).all())

    def evaluate_points(self, b: np.ndarray, scale: float, Z: np.ndarray, values: np.ndarray, grad_sum: np.ndarray,
                        grad_W: bool) -> np.ndarray | None:
        """See :class:`~derand_fast.smoothing.BatchObjective`: the fused path for :attr:`operator`.

        The student rows are projected, evaluated and differentiated by blocks of 128 samples in cache
        (:func:`~derand_fast.nn.kernels.rows_fused`); only the teacher's ``k + 1`` rows of the
        projections are formed for the whole batch (its link is a NumPy callable). Returns
        :math:`\\sum_c \\partial g(u_c)/\\partial u_S\\, x_c^\\top`, shape ``(h, d)``, when ``grad_W``.
        """
        h, k = self.h, self.teacher.k
        Z = np.ascontiguousarray(Z)
        n, d1 = Z.shape
        s = float(scale)
        self.nonfinite = False
        PT = work_array("nn.PT", (k + 1, n))
        np.dot(self.W_aug[h:], Z.T, out=PT)
        uT, lin, noise = self._labels(b, s, PT)
        chunk = chunk_size(n)
        nc = -(-n // chunk)
        res2 = work_array("nn.res2", (n,))
        gb = work_array("nn.gb", (nc, h))
        ga = work_array("nn.ga", (nc, h)) if self.want_a else work_array("nn.ga0", (nc, 0))
        gw = work_array("nn.gw", (nc, h, d1 - 1)) if grad_W else work_array("nn.gw0", (nc, 0, 0))
        st = self.student
        work = work_array("nn.fused", (nb.get_num_threads(), fused_work_size(h, d1 - 1, self.want_a)), align=True)
        rows_fused(self.W_aug, b, s, Z, self.a, np.ascontiguousarray(lin), noise, st._kind, st.iota, self._chunk,
                   chunk, bool(grad_W), values, res2, gb, ga, gw, work)
        grad_sum[:h] = reduce_slots(gb)
        if self.grad_a is not None:
            self.grad_a[:] = reduce_slots(ga)
        self._teacher_gradients(uT, res2, work_array("nn.DT", (k + 1, n)), grad_sum)
        self.nonfinite = not (np.isfinite(values).all() and np.isfinite(grad_sum).all())
        return reduce_slots(gw) if grad_W else None
