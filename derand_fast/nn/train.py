"""Training the student on a teacher (paper §4.3, App. E) with the package's optimizers.

Default: :class:`derand_fast.optimizers.PerturbedGD` as in App. E — gradient
steps with learning rate 1 for ``W`` and ``b``, and a perturbation
:math:`0.005\\cdot N(0, I)` on every trainable weight when the gradient norm
is below :math:`10^{-6}`; SGD and Adam are options. Data are either drawn
fresh at every step (``online=True``: step ``t`` uses the teacher's streams of
step ``t``, a stochastic estimate of the population risk) or one fixed sample
of ``batch_size`` points (``online=False``: full-batch gradient descent on the
empirical risk, deterministic, so PGD's small-gradient perturbations can
trigger). The risk and its gradients come from the smoothing engine
(:class:`StudentObjective`: :class:`~derand_fast.nn.student.StudentRisk` in an
:class:`~derand_fast.smoothing.AffineSmoother`, fresh samples or a pool of one
block, on exactly the teacher's streams).

After the run an :class:`~derand_fast.certificate.SOSPCertificate` (gradient
norm, :math:`\\lambda_{\\min}` of the Hessian by Lanczos on exact
Hessian-vector products) is computed on the training sample (fixed) or on a
fresh evaluation sample (online), with the Lemma-3.1 bound
:func:`~derand_fast.nn.metrics.sosp_perp_bound` built from it.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._result import StageResult
from .._threads import threads_for
from .._validation import renamed
from ..certificate import SOSPCertificate, lambda_min
from ..optimizers import SGD, Adam, PerturbedGD
from ..runcontrol import Status
from ..smoothing import AffineSmoother
from .metrics import sosp_perp_bound, subspace_metrics
from .student import PARAM_NAMES, StudentRisk, TwoLayerStudent, init_student
from .teachers import DATA_STREAMS, MultiIndexTeacher

__all__ = ["TrainResult", "StudentObjective", "train_student", "paper_optimizer"]

_OPTIMIZERS = ("pgd", "sgd", "adam")


class StudentObjective:
    """``fun(params) -> (value, grad)`` of the student risk, for the optimizers.

    The data term is the smoothing engine's affine form
    (:class:`~derand_fast.nn.student.StudentRisk`, paper Eq. 2) estimated by an
    :class:`~derand_fast.smoothing.AffineSmoother` on the teacher's streams:
    with ``online=True`` call number ``t`` uses fresh samples, the streams of
    the teacher's step ``t`` (block ``STREAMS["nn.data"]``, ``batch_size`` points per
    step: exactly the data of ``teacher.sample(batch_size, step=t)``);
    otherwise a pool of one block, the teacher's fixed sample (step 0), used at
    every call. The penalty :math:`\\lambda\\|W\\|_F^2` is added here. A
    teacher without ``link_grad`` is evaluated on :meth:`batch`'s data by the
    student's exact kernels instead (:meth:`TwoLayerStudent.loss_and_grad`).

    ``params`` holds the trainable groups only; frozen groups are kept here.
    Non-finite parameters or outputs (a diverged run) give a NaN value, which
    stops the optimizers with status ``NONFINITE`` and the last finite iterate.

    Parameters
    ----------
    student : TwoLayerStudent
    teacher : MultiIndexTeacher
    frozen : dict of ndarray
        Values of the groups not in ``student.trainable``.
    batch_size : int >= 1
    online : bool
    threads : int or None
        Numba threads of the sampling and the kernels (default: the student's);
        ``None`` chooses by size (:func:`derand_fast._threads.threads_for`, kind ``"nn"``).
    h : int or None
        Width; taken from ``frozen`` when None (else known at the first call).
    """

    def __init__(self, student: TwoLayerStudent, teacher: MultiIndexTeacher, frozen: Mapping[str, np.ndarray], *,
                 batch_size: int, online: bool, threads: int | None = None, h: int | None = None) -> None:
        self.student = student
        self.teacher = teacher
        self.frozen = {k: np.asarray(v, dtype=np.float64) for k, v in frozen.items()}
        self.batch_size = batch_size
        self.online = online
        self.threads = student.threads if threads is None else threads
        self.calls = 0
        self._fixed: tuple[np.ndarray, np.ndarray] | None = None
        self.risk: StudentRisk | None = None
        self.smoother: AffineSmoother | None = None
        if h is None and self.frozen:
            h = next(iter(self.frozen.values())).shape[0]
        if h is not None:
            self._engine(int(h))

    def _engine(self, h: int) -> tuple[StudentRisk, AffineSmoother] | None:
        """The engine's objective and driver for width ``h`` (built on first use); None without ``link_grad``."""
        if self.teacher.link_grad is None:
            return None
        if self.risk is None or self.smoother is None:
            n = self.batch_size
            self.risk = StudentRisk(self.student, self.teacher, h)
            threads = threads_for(self.threads, n * h * (self.teacher.d + 1), "nn")
            self.smoother = AffineSmoother(self.risk, self.risk.operator, n_samples=n, pool=None if self.online else n,
                                           seed=self.teacher.seed, first_stream=DATA_STREAMS.first,
                                           threads=threads)
        return self.risk, self.smoother

    def scope(self) -> contextlib.AbstractContextManager:
        """Run many calls under one thread scope (:meth:`derand_fast._threads.ThreadScoped.scope`)."""
        return self.smoother.scope() if self.smoother is not None else contextlib.nullcontext()

    def full(self, params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Trainable + frozen groups as one ``{"W", "b", "a"}`` dict."""
        out = dict(self.frozen)
        out.update(params)
        return out

    def batch(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """The data ``(X, y)`` of call ``step`` (the teacher's sample of that step, or the fixed sample)."""
        if not self.online:
            if self._fixed is None:
                self._fixed = self.teacher.sample(self.batch_size, step=0, threads=self.threads)
            return self._fixed
        return self.teacher.sample(self.batch_size, step=step, threads=self.threads)

    @staticmethod
    def _nan(params: Mapping[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        return math.nan, {k: np.zeros_like(v) for k, v in params.items()}

    def __call__(self, params: Mapping[str, np.ndarray]) -> tuple[float, dict[str, np.ndarray]]:
        step = self.calls
        self.calls += 1
        if not all(np.isfinite(v).all() for v in params.values()):
            return self._nan(params)
        p = self.full(params)
        W = p["W"]
        engine = self._engine(W.shape[0])
        if engine is None:
            X, y = self.batch(step)
            return self.student.loss_and_grad(p, X, y)
        risk, sm = engine
        risk.set_params(W, p["b"], p["a"])  # updates risk.operator's W+ in place
        if not self.online:
            sm.set_W(risk.operator)  # drops the pool's projections (fresh samples are projected at every step)
        trainable = self.student.trainable
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run: non-finite outputs, handled below
            try:
                est = sm.estimate(risk.b_aug, 1.0, step, grad_W="W" in trainable)
            except ValueError:
                if risk.nonfinite:
                    return self._nan(params)
                raise
        lam = self.student.lam
        h = W.shape[0]
        value = est.value + lam * float(np.dot(W.ravel(), W.ravel()))
        grad: dict[str, np.ndarray] = {}
        if "W" in trainable:
            assert est.grad_W is not None  # asked for
            grad["W"] = est.grad_W + 2.0 * lam * W
        if "b" in trainable:
            grad["b"] = est.grad_b[:h].copy()
        if "a" in trainable:
            assert risk.grad_a is not None  # kept when a is trainable
            grad["a"] = risk.grad_a / self.batch_size
        return value, grad


class TrainResult(StageResult):
    """Outcome of :func:`train_student`: a :class:`~derand_fast._result.StageResult`.

    Attributes
    ----------
    x : dict {"W": (h, d), "b": (h,), "a": (h,)}
        Final parameters (the last finite iterate if the run diverged; the best
        point so far if it was interrupted). Also ``params``.
    status : Status
        The optimizer's (:class:`~derand_fast.runcontrol.Status`): ``MAX_ITER``
        after the ``max_iter`` steps (the normal end: training has no stopping
        rule, so ``success`` is True), ``CALLBACK``, ``TIME_LIMIT``,
        ``INTERRUPTED``, ``NONFINITE`` (a diverged run). Compares equal to its
        former string (``"max_iter"``, ...).
    success : bool
    message : str
    nit : int
        Steps taken.
    nfev : int
        Risk evaluations.
    history : dict of ndarray
        ``step``, ``fun`` (training loss), ``grad_norm``, ``perp_norm``
        (:math:`\\|W_\\perp\\|_F`), ``ratio`` (:math:`\\|W_\\perp\\|_F/\\|W\\|_F`),
        recorded every ``history_every`` steps.
    metrics : dict
        :func:`~derand_fast.nn.metrics.subspace_metrics` of the final ``W``.
    initial_metrics : dict
        The same at initialisation.
    certificate : SOSPCertificate or None
    perp_bound : float
        :func:`~derand_fast.nn.metrics.sosp_perp_bound` from the certificate
        (``inf`` when vacuous, without certificate, or with ``b`` frozen: the
        lemma's argument needs the Hessian in the biases).
    time : float
        Training wall time in seconds (certificate excluded). Also ``seconds``.
    cpu_seconds : float
        CPU time of the process during training, summed over threads (a
        load-independent measure on a shared machine).
    optimize_result : OptimizeResult
        The optimizer's own result.
    """

    _aliases = {"params": "x", "seconds": "time"}


def paper_optimizer(trainable=("W", "b"), *, lr: float | Mapping[str, float] = 1.0, seed: int = 0) -> PerturbedGD:
    """PGD of paper App. E: lr 1 per group, noise :math:`0.005\\cdot N(0, I)` when :math:`\\|\\nabla\\| < 10^{-6}`.

    ``lr`` is one rate for every group in ``trainable`` or a dict by group.
    """
    rates = dict(lr) if isinstance(lr, Mapping) else {g: float(lr) for g in trainable}
    return PerturbedGD(lr=rates, radius=0.005, threshold=1e-6, interval=1, noise="gaussian", seed=seed)


def _make_optimizer(optimizer: Any, lr: Any, trainable: tuple[str, ...], seed: int):
    if isinstance(optimizer, (PerturbedGD, SGD, Adam)):
        if lr is not None:
            raise ValueError("lr must be None when an optimizer instance is passed (it has its own)")
        return optimizer
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {_OPTIMIZERS} or an optimizer instance, got {optimizer!r}")
    if lr is None:
        lr = 1e-2 if optimizer == "adam" else 1.0
    if not isinstance(lr, Mapping):
        lr = {g: float(lr) for g in trainable}
    if optimizer == "pgd":
        return paper_optimizer(trainable, lr=lr, seed=seed)
    if optimizer == "sgd":
        return SGD(lr=lr, seed=seed)
    return Adam(lr=lr, seed=seed)


def train_student(teacher: MultiIndexTeacher, *, h: int = 1000, student: TwoLayerStudent | None = None,
                  optimizer: Any = "pgd", lr: float | Mapping[str, float] | None = None, max_iter: int = 10_000,
                  batch_size: int = 1024, online: bool = True, init: Mapping[str, np.ndarray] | None = None,
                  seed: int = 0, history_every: int = 10, certificate: bool = True,
                  cert_samples: int | None = None, cert_max_iter: int = 300, time_limit: float | None = None,
                  progress: bool | Callable | None = None, callback: Callable | None = None,
                  threads: int | None = None, steps: int | None = None,
                  cert_maxiter: int | None = None) -> TrainResult:
    """Train a two-layer student on ``teacher`` and track its structure (paper §4.3, App. E, Fig. 3).

    Parameters
    ----------
    teacher : MultiIndexTeacher
    h : int >= 1
        Width (paper: 1000).
    student : TwoLayerStudent or None
        Model and loss; default ``TwoLayerStudent()`` (ReLU_2, λ = 1e-5, W and b
        trained, a frozen — paper App. E).
    optimizer : {"pgd", "sgd", "adam"} or optimizer instance
        ``"pgd"`` is App. E's PerturbedGD (:func:`paper_optimizer`).
    lr : float, dict or None
        Learning rate(s) per trainable group; default 1 (PGD, SGD), 1e-2 (Adam).
    max_iter : int >= 0
        Number of updates T (paper: 10 000; formerly ``steps``, still accepted
        with a DeprecationWarning).
    batch_size : int >= 1
        Samples per step (online) or size n of the fixed sample.
    online : bool
        Fresh samples every step (True) or one fixed sample (False).
    init : dict or None
        Initial ``{"W", "b", "a"}``; default :func:`init_student` ``(d, h, seed=seed)``.
    seed : int >= 0
        Initialisation and optimizer seed (the data seed is the teacher's).
    history_every : int >= 1
    certificate : bool
        Compute the SOSP certificate at the end.
    cert_samples : int or None
        Evaluation sample size for the certificate in online mode (default
        ``max(batch_size, 4096)``); the fixed sample is used otherwise.
    cert_max_iter : int
        Lanczos (ARPACK) iteration cap for :math:`\\lambda_{\\min}`; without
        convergence the certificate is ``None`` (formerly ``cert_maxiter``).
    time_limit : float or None
        Wall-clock budget in seconds.
    progress : bool, callable or None
        The package's progress protocol (:mod:`derand_fast.progress`), passed
        to the optimizer: ``True`` a bar, a callable receives
        ``(name, fraction, info)``, ``None`` a bar on a terminal for long runs.
    callback : callable ``callback(intermediate_result)`` or None
        Passed to the optimizer's ``minimize`` (SciPy's convention: an
        ``OptimizeResult`` each step; raise ``StopIteration`` to stop).
    threads : int or None
        Numba threads of the training steps (sampling and kernels) and of the
        evaluation sample; ``None``: the student's ``threads``, and where both
        are None one thread below :data:`derand_fast._threads.SERIAL_BELOW` ``["nn"]``
        multiply-adds per step (``batch_size * h * (d + 1)``), all above.
        Results are bit-identical for every value.

    Returns
    -------
    TrainResult

    Examples
    --------
    >>> from derand_fast.nn import single_index_teacher, train_student
    >>> res = train_student(single_index_teacher(2), h=32, max_iter=20, batch_size=64, certificate=False)
    >>> res.status, res.success, res.history["ratio"].shape
    (<Status.MAX_ITER: 4>, True, (3,))
    """
    if not isinstance(teacher, MultiIndexTeacher):
        raise TypeError(f"teacher must be a MultiIndexTeacher, got {type(teacher).__name__}")
    steps = renamed(max_iter, steps, "steps", "max_iter")
    cert_max_iter = renamed(cert_max_iter, cert_maxiter, "cert_maxiter", "cert_max_iter")
    for name, v, lo in (("h", h, 1), ("max_iter", steps, 0), ("batch_size", batch_size, 1),
                        ("history_every", history_every, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(v).__name__}")
        if v < lo:
            raise ValueError(f"{name} must be >= {lo}, got {v}")
    student = TwoLayerStudent() if student is None else student
    if not isinstance(student, TwoLayerStudent):
        raise TypeError(f"student must be a TwoLayerStudent, got {type(student).__name__}")
    params0 = init_student(teacher.d, int(h), seed=seed) if init is None else student.check_params(init)
    if params0["W"].shape[1] != teacher.d:
        raise ValueError(f"init['W'] must have {teacher.d} columns (the teacher's d), got {params0['W'].shape[1]}")
    trainable = student.trainable
    opt = _make_optimizer(optimizer, lr, trainable, seed)
    frozen = {k: params0[k] for k in PARAM_NAMES if k not in trainable}
    objective = StudentObjective(student, teacher, frozen, batch_size=int(batch_size), online=bool(online),
                                 threads=threads, h=params0["W"].shape[0])
    U = teacher.U_

    def record(p: Mapping[str, np.ndarray]) -> dict[str, float]:
        m = subspace_metrics(objective.full(p)["W"], U)
        return {"perp_norm": float(m["perp_norm"]), "ratio": float(m["ratio"])}

    t0 = time.perf_counter()
    c0 = time.process_time()
    with objective.scope():
        res = opt.minimize(objective, {k: params0[k] for k in trainable}, max_iter=int(steps),
                           history_every=int(history_every), record=record, callback=callback,
                           time_limit=time_limit, progress=progress)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    final = objective.full(res.x)

    cert = None
    bound = math.inf
    if certificate and res.status != Status.INTERRUPTED:
        if online:
            n_eval = int(cert_samples) if cert_samples is not None else max(int(batch_size), 4096)
            # first stream beyond every training stream (steps + 1 batches of batch_size)
            first_step = -(-(int(steps) + 1) * int(batch_size) // n_eval) + 1
            X, y = teacher.sample(n_eval, step=first_step, threads=threads)
        else:
            X, y = objective.batch(0)
        _, g = student.loss_and_grad(final, X, y)
        names = [k for k in PARAM_NAMES if k in trainable]
        sizes = [final[k].size for k in names]
        flat_g = np.concatenate([g[k].ravel() for k in names])

        def hvp(v: np.ndarray) -> np.ndarray:
            parts = np.split(v, np.cumsum(sizes)[:-1])
            hv = student.hessp(final, X, y, {k: p.reshape(final[k].shape) for k, p in zip(names, parts)})
            return np.concatenate([hv[k].ravel() for k in names])

        try:
            lam_min, _ = lambda_min(hvp, flat_g.size, seed=seed, tol=1e-8, max_iter=cert_max_iter)
        except RuntimeError:  # Lanczos found no converged eigenvalue within cert_max_iter
            lam_min = None
        if lam_min is not None:
            cert = SOSPCertificate(grad_norm=float(np.linalg.norm(flat_g)), lambda_min=lam_min, is_sosp=None,
                                   rho=None, K=None, lam=student.lam, frobenius_bound=None)
            if "b" in trainable:  # the lemma's argument runs through the Hessian in b
                bound = sosp_perp_bound(cert.grad_norm, cert.lambda_min, student.lam)

    hist = dict(res.history)
    return TrainResult(x=final, status=res.status, success=bool(res.success), message=res.message,
                       nit=int(res.nit), nfev=int(res.nfev), history=hist, metrics=subspace_metrics(final["W"], U),
                       initial_metrics=subspace_metrics(params0["W"], U), certificate=cert, perp_bound=bound,
                       time=seconds, cpu_seconds=cpu_seconds, optimize_result=res)
