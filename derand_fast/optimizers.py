"""Thin optimizer classes for the derandomization framework (paper App. B).

:class:`PerturbedGD` (Algorithm 1, Jin et al. 2017), :class:`HessianDescent`
(Algorithm 2), :class:`SGD` and :class:`Adam` minimize an objective given as

.. code-block:: python

    fun(params) -> (value: float, grad)      # grad has the structure of params
    hessp(params, v) -> Hv                    # optional, same structure

where ``params`` is one float64 array of any shape, or a ``dict[str, ndarray]``
of named parameter groups (e.g. ``{"W": W, "b": b}``) with learning rates given
per group. Every run returns an :class:`OptimizeResult` in SciPy's convention
plus a ``history`` and, when ``hessp`` is given, an :class:`SOSPCertificate`
(paper Def. 2.2 and Lemma 3.1).

Run control: ``max_iter``, ``tol`` (gradient norm), ``time_limit``, a
``callback`` that can stop the run, a stderr progress bar, and Ctrl-C (or a
``KeyboardInterrupt`` raised in ``fun``/``callback``) which returns the best
point so far with status ``INTERRUPTED``. An objective that returns a
non-finite value or gradient stops the run with status ``NONFINITE`` and the
last finite iterate. ``status`` is a :class:`~derand_fast.runcontrol.Status`
(an ``IntEnum``, as SciPy's ``status`` is an int; a converged run is
``COMPLETED``); it still compares equal to the former strings (``"converged"``,
``"max_iter"``, ...). All randomness (perturbations, Lanczos start vectors) comes
from ``seed`` through :func:`derand_fast.random.standard_normal`.

Examples
--------
>>> import numpy as np
>>> from derand_fast.optimizers import Adam
>>> def fun(p):
...     return float(p["W"] @ p["W"] + (p["b"] - 1.0) ** 2), {"W": 2 * p["W"], "b": 2 * (p["b"] - 1.0)}
>>> res = Adam(lr={"W": 0.05, "b": 0.1}).minimize(fun, {"W": np.ones(3), "b": np.array(0.0)}, max_iter=2000, tol=1e-6)
>>> res.status, round(float(res.x["b"]), 4)
(<Status.COMPLETED: 0>, 1.0)
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Union

import numpy as np
from scipy.special import ndtr

from ._result import StageResult
from ._validation import (
    check_array,
    check_betas,
    check_callback,
    check_count,
    check_positive,
    check_seed,
    check_time_limit,
)
from .certificate import SOSPCertificate, lambda_min, sosp_certificate
from .progress import make_progress
from .random import standard_normal
from .runcontrol import Status

__all__ = [
    "Adam",
    "HessianDescent",
    "OptimizeResult",
    "PerturbedGD",
    "SGD",
    "SOSPCertificate",
]

Params = Union[np.ndarray, dict]
LearningRate = Union[float, Mapping[str, float]]


def __getattr__(name: str) -> Any:
    if name == "OptimizeStatus":  # the former string enum; its members are Status's (CONVERGED is COMPLETED)
        warnings.warn("derand_fast.optimizers.OptimizeStatus is deprecated: the optimizers' status is a "
                      "derand_fast.runcontrol.Status", DeprecationWarning, stacklevel=2)
        return Status
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_MESSAGES = {
    Status.COMPLETED: "converged",
    Status.MAX_ITER: "maximum number of iterations reached",
    Status.CALLBACK: "stopped by the callback (it raised StopIteration or returned True)",
    Status.TIME_LIMIT: "time limit reached",
    Status.INTERRUPTED: "interrupted (KeyboardInterrupt); x is the best point so far",
    Status.NONFINITE: "the objective returned a non-finite value or gradient; x is the last finite iterate",
}


class OptimizeResult(StageResult):
    """SciPy-style result (a :class:`~derand_fast._result.StageResult`): ``x, fun, jac, nit, nfev, status,
    success, message`` plus our fields.

    Attributes
    ----------
    x : ndarray or dict of ndarray
        Solution, with the structure of the starting point.
    fun : float
        Objective at ``x``.
    jac : ndarray or dict of ndarray
        Gradient at ``x``.
    nit : int
        Number of parameter updates made.
    nfev : int
        Number of ``fun`` evaluations.
    status : Status
        ``COMPLETED`` (converged), ``MAX_ITER``, ``CALLBACK``, ``TIME_LIMIT``,
        ``INTERRUPTED`` or ``NONFINITE``.
    success : bool
        Whether the run ended the way it was asked to: converged, stopped by the
        callback, or ran its ``max_iter`` when no stopping criterion was set.
    message : str
    history : dict of str to ndarray (n_recorded,)
        ``"step"``, ``"fun"``, ``"grad_norm"`` and any scalars returned by ``record``.
    certificate : SOSPCertificate or None
        Computed at ``x`` when ``hessp`` was given.
    """

    @classmethod
    def _intermediate(cls, **fields: Any) -> OptimizeResult:
        """The callback's ``intermediate_result``: the given fields only (no status: the run goes on)."""
        res = cls.__new__(cls)
        dict.update(res, fields)
        return res


# ----------------------------------------------------------------------------- parameters


def _as_float_array(a: Any, name: str) -> np.ndarray:
    """A starting point's array: checked, and always a copy (the optimizer writes into it)."""
    arr = check_array(a, name, allow_bool=True)
    return arr.copy() if isinstance(a, np.ndarray) and np.may_share_memory(arr, a) else arr


class _Groups:
    """The structure of the parameters: one array, or a dict of named arrays."""

    __slots__ = ("is_dict", "names", "shapes", "sizes", "offsets", "total")

    def __init__(self, x0: Params) -> None:
        if isinstance(x0, Mapping):
            if not x0:
                raise ValueError("x0 must not be an empty dict")
            self.is_dict = True
            self.names = list(x0)
            for k in self.names:
                if not isinstance(k, str):
                    raise TypeError(f"x0 keys must be str, got {type(k).__name__}")
        else:
            self.is_dict = False
            self.names = [None]
        self.shapes: list[tuple[int, ...]] = []
        self.sizes: list[int] = []

    def copy_in(self, x0: Params) -> list[np.ndarray]:
        if self.is_dict:
            arrays = [_as_float_array(x0[k], f"x0[{k!r}]") for k in self.names]
        else:
            arrays = [_as_float_array(x0, "x0")]
        self.shapes = [a.shape for a in arrays]
        self.sizes = [a.size for a in arrays]
        self.offsets = np.cumsum([0] + self.sizes).tolist()
        self.total = int(self.offsets[-1])
        return arrays

    def user(self, arrays: list[np.ndarray]) -> Params:
        if self.is_dict:
            return dict(zip(self.names, arrays))
        return arrays[0]

    def split(self, obj: Any, what: str) -> list[np.ndarray]:
        """Validate a gradient-like object returned by user code and list its arrays."""
        if self.is_dict:
            if not isinstance(obj, Mapping) or obj.keys() != set(self.names):
                got = sorted(obj) if isinstance(obj, Mapping) else type(obj).__name__
                raise ValueError(f"{what} must be a dict with keys {sorted(self.names)}, got {got}")
            items = [obj[k] for k in self.names]
        else:
            items = [obj]
        out = []
        for item, shape, name in zip(items, self.shapes, self.names):
            a = item if type(item) is np.ndarray else np.asarray(item)
            if a.shape != shape:
                label = what if name is None else f"{what}[{name!r}]"
                raise ValueError(f"{label} has shape {a.shape}, expected {shape}")
            if a.dtype.kind not in "fiub":
                label = what if name is None else f"{what}[{name!r}]"
                raise TypeError(f"{label} must be real, got dtype {a.dtype}")
            out.append(a)
        return out

    def flatten(self, arrays: list[np.ndarray]) -> np.ndarray:
        if len(arrays) == 1:
            return np.asarray(arrays[0], dtype=np.float64).reshape(-1)
        return np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays])

    def unflatten(self, v: np.ndarray) -> list[np.ndarray]:
        return [v[self.offsets[i]:self.offsets[i + 1]].reshape(s) for i, s in enumerate(self.shapes)]


def _check_lr(lr: LearningRate, name: str = "lr") -> LearningRate:
    if isinstance(lr, Mapping):
        if not lr:
            raise ValueError(f"{name} must not be an empty dict")
        return {k: check_positive(v, f"{name}[{k!r}]") for k, v in lr.items()}
    return check_positive(lr, name)


def _group_lrs(lr: LearningRate, groups: _Groups) -> list[float]:
    if isinstance(lr, Mapping):
        if not groups.is_dict:
            raise ValueError("a dict of learning rates needs dict parameters (x0 is one array)")
        missing = [k for k in groups.names if k not in lr]
        extra = [k for k in lr if k not in groups.names]
        if missing or extra:
            raise ValueError(f"lr keys must match the parameter groups {groups.names}: "
                             f"missing {missing}, unknown {extra}")
        return [float(lr[k]) for k in groups.names]
    return [float(lr)] * len(groups.names)


def _make_decay(lr_decay: Any) -> Callable[[int], float] | None:
    """``None``, a callable ``step -> factor``, or ``(every, factor)``: factor ** (step // every)."""
    if lr_decay is None:
        return None
    if callable(lr_decay):
        return lr_decay
    try:
        every, factor = lr_decay
    except (TypeError, ValueError):
        raise TypeError("lr_decay must be None, a callable step -> factor, or a pair (every, factor)") from None
    every = check_count(every, "lr_decay 'every'")
    factor = check_positive(factor, "lr_decay factor")
    return lambda step: factor ** (step // every)


# ----------------------------------------------------------------------------- progress


def _auto_progress(progress: Any, max_iter: int) -> Any:
    """``progress=None`` means a bar only when stderr is a terminal and the run is long (``max_iter >= 1000``)."""
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        return bool(isatty and isatty()) and max_iter >= 1000
    return progress


# ----------------------------------------------------------------------------- scipy conventions


def _with_args(fun: Callable[..., Any], jac: Any, hessp: Callable[..., Any] | None,
               args: Any) -> tuple[Callable[[Params], Any], Callable[..., Any] | None]:
    """``fun(params) -> (value, grad)`` and ``hessp(params, v)`` from SciPy's ``fun, jac, args, hessp``."""
    if not callable(fun):
        raise TypeError("fun must be callable")
    extra = args if isinstance(args, tuple) else (args,)  # SciPy's rule: one extra argument needs no tuple
    if jac is True:
        if not extra:
            fg = fun
        else:
            def fg(p: Params) -> Any:
                return fun(p, *extra)
    elif callable(jac):
        jac_fn = jac

        def fg(p: Params) -> Any:
            value = fun(p, *extra)
            if isinstance(value, tuple):
                raise TypeError("with a callable jac, fun must return the value alone (got a tuple)")
            return value, jac_fn(p, *extra)
    else:
        raise ValueError(f"jac must be True (fun returns (value, grad)) or a callable jac(params, *args), got "
                         f"{jac!r}: these optimizers need gradients")
    if hessp is None or not extra:
        return fg, hessp
    hp = hessp

    def hessp_args(p: Params, v: Params) -> Any:
        return hp(p, v, *extra)

    return fg, hessp_args


# ----------------------------------------------------------------------------- base class


class _Optimizer:
    """Shared driver loop; subclasses implement ``_prepare`` and ``_step``."""

    name = "optimizer"  # the stage name under which progress is reported

    def __init__(self, lr: LearningRate, lr_decay: Any, seed: int) -> None:
        self.lr = _check_lr(lr)
        self.lr_decay = lr_decay
        self._decay = _make_decay(lr_decay)
        self.seed = check_seed(seed)

    # subclasses -------------------------------------------------------------
    def _prepare(self, groups: _Groups, arrays: list[np.ndarray], hessp: Callable | None,
                 tol: float | None) -> None:
        """Allocate optimizer state for one run."""

    def _step(self, t: int, xu: Params, xs: list[np.ndarray], gs: list[np.ndarray], value: float,
              gnorm: float, outs: list[np.ndarray], lrs: list[float]) -> Status | None:
        """Write the next iterate into ``outs`` (never aliasing ``xs``), or return a stop status."""
        raise NotImplementedError

    def _has_criterion(self, tol: float | None) -> bool:
        return tol is not None

    def _certificate_constants(self) -> tuple[float | None, float | None]:
        return None, None

    # driver -----------------------------------------------------------------
    def minimize(self, fun: Callable[..., Any], x0: Params, args: tuple = (), *,
                 jac: bool | Callable[..., Params] = True, max_iter: int = 1000, tol: float | None = None,
                 callback: Callable[..., Any] | None = None,
                 progress: Any = None, time_limit: float | None = None,
                 hessp: Callable[[Params, Params], Params] | None = None, history_every: int = 1,
                 project: Callable[[Params], Params] | None = None,
                 record: Callable[[Params], Mapping[str, float]] | None = None,
                 rho: float | None = None, K: float | None = None,
                 lam: float | None = None) -> OptimizeResult:
        """Minimize ``fun`` from ``x0``.

        Parameters
        ----------
        fun : callable ``fun(params, *args)``
            Returns ``(value, grad)`` when ``jac=True`` (``grad`` has the
            structure and shapes of ``params``), or the value alone when
            ``jac`` is a callable (SciPy's convention).
        x0 : ndarray (any shape) or dict of str to ndarray
            Starting point (copied; never modified).
        args : tuple
            Extra arguments passed to ``fun``, ``jac`` and ``hessp``.
        jac : True or callable ``jac(params, *args) -> grad``
            ``True``: ``fun`` returns the gradient with the value. These
            optimizers need gradients: there is no finite-difference fallback.
        max_iter : int >= 0
            Maximum number of parameter updates.
        tol : float or None
            Stop when :math:`\\|\\nabla f\\| \\le` ``tol`` (SGD, Adam; PerturbedGD
            and HessianDescent have their own rules and take ``tol=None``).
        callback : callable ``callback(intermediate_result)``
            Called after each evaluation with an :class:`OptimizeResult`
            holding ``x``, ``fun``, ``jac``, ``nit`` and ``nfev`` (SciPy >= 1.11
            convention, recognized like SciPy does by the parameter's name
            ``intermediate_result``, or a single positional parameter); raising
            ``StopIteration`` or returning True stops the run (status
            ``CALLBACK``). ``x`` (as passed to ``fun``) lives in the
            optimizer's reused buffers: copy it to keep it. The older form
            ``callback(step, params, value, grad) -> bool | None`` (returning
            ``True`` stops) still works but is deprecated (``DeprecationWarning``).
        progress : bool, callable or None
            The package's progress protocol (:mod:`derand_fast.progress`):
            ``True`` draws a stderr bar, a callable receives
            ``(name, fraction, info)`` with the optimizer's name (``"adam"``,
            ...); ``None`` draws a bar only when stderr is a terminal and
            ``max_iter >= 1000``.
        time_limit : float or None
            Wall-clock budget in seconds (status ``TIME_LIMIT``).
        hessp : callable ``(params, v, *args) -> Hv`` or None
            Hessian-vector products; when given, the result carries an
            :class:`SOSPCertificate` at ``x``.
        history_every : int >= 1
            Record the history every this many steps (and at the last one).
        project : callable ``params -> params`` or None
            Applied after each update (e.g. clip σ to ``[1e-3, 1.5]``).
        record : callable ``params -> mapping of str to float`` or None
            Extra scalars to record in the history (e.g. ``{"sigma_norm": ...}``).
        rho, K, lam : float or None
            :math:`\\rho`, :math:`K` and :math:`\\lambda` of the certificate
            (paper Def. 2.2, Lemma 3.1); optimizers constructed with them use
            theirs by default.

        Returns
        -------
        OptimizeResult
        """
        max_iter = check_count(max_iter, "max_iter", 0)
        if tol is not None:
            if not isinstance(tol, (int, float, np.integer, np.floating)) or not (math.isfinite(tol) and tol >= 0):
                raise ValueError(f"tol must be a finite number >= 0 or None, got {tol!r}")
            tol = float(tol)
        time_limit = check_time_limit(time_limit)
        history_every = check_count(history_every, "history_every")
        for name, fn in (("callback", callback), ("hessp", hessp), ("project", project), ("record", record)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{name} must be callable or None")
        fun, hessp = _with_args(fun, jac, hessp, args)
        callback, new_callback = check_callback(callback, "(step, params, value, grad)", 4)
        default_rho, default_K = self._certificate_constants()
        rho = default_rho if rho is None else check_positive(rho, "rho")
        K = default_K if K is None else check_positive(K, "K")
        lam = None if lam is None else check_positive(lam, "lam")

        groups = _Groups(x0)
        start = groups.copy_in(x0)
        base_lrs = _group_lrs(self.lr, groups)
        self._groups = groups
        self._hessp = hessp
        self._prepare(groups, start, hessp, tol)

        # Three buffers: the current iterate, the best one and a free one to write into, so
        # neither the best point nor the previous iterate is ever overwritten (no copies).
        bufs = [start, [np.empty_like(a) for a in start], [np.empty_like(a) for a in start]]
        views = [groups.user(b) for b in bufs]
        cur, best, prev = 0, -1, -1
        best_f, best_g = math.inf, None
        prev_f, prev_g = math.nan, None
        value, grad = math.nan, None
        decay = self._decay
        step_fn = self._step
        bar, close_bar = make_progress(_auto_progress(progress, max_iter))
        control = bar is not None or tol is not None or callback is not None or time_limit is not None
        single = not groups.is_dict
        shape0 = groups.shapes[0]
        gs = [start[0]]
        # free[cur][best]: a buffer that is neither the current nor the best iterate
        free = [[next(j for j in range(3) if j not in (c, b)) for b in (0, 1, 2, -1)] for c in range(3)]
        lrs = base_lrs
        hist: list[tuple[int, float, float]] = []  # (step, fun, grad_norm)
        hist_extra: dict[str, list[float]] = {}
        self._override: tuple[list[np.ndarray], float, Params] | None = None

        t0 = time.perf_counter()
        shown = -math.inf  # when progress was last reported (at most every 0.1 s)
        status = Status.MAX_ITER
        nfev = 0
        t = 0
        try:
            while True:
                xu = views[cur]
                out = fun(xu)
                nfev += 1
                try:
                    value, grad = out
                except (TypeError, ValueError):
                    raise TypeError("fun must return a pair (value, grad) (or pass jac=callable)") from None
                value = float(value)
                last = t == max_iter
                rec = last or t % history_every == 0
                if single:  # fast path: validate one array without building lists
                    g = grad
                    if type(g) is not np.ndarray or g.shape != shape0 or g.dtype.kind != "f":
                        g = groups.split(grad, "grad")[0]
                    gs[0] = g
                    gf = g if g.ndim == 1 else g.reshape(-1)
                    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is stopped below
                        gnorm = math.sqrt(np.dot(gf, gf))
                else:
                    gs = groups.split(grad, "grad")
                    sq = 0.0
                    with np.errstate(over="ignore", invalid="ignore"):
                        for g in gs:
                            gf = g if g.ndim == 1 else g.reshape(-1)
                            sq += np.dot(gf, gf)
                    gnorm = math.sqrt(sq)
                if not math.isfinite(value + gnorm):  # NaN or inf in either
                    if prev < 0:
                        raise ValueError("fun returned a non-finite value or gradient at the starting point x0")
                    status = Status.NONFINITE
                    break
                if value < best_f:
                    best, best_f, best_g = cur, value, grad
                if rec:
                    hist.append((t, value, gnorm))
                    if record is not None:
                        for k, v in record(xu).items():
                            hist_extra.setdefault(k, [math.nan] * (len(hist) - 1)).append(float(v))
                prev, prev_f, prev_g = cur, value, grad
                if control:  # the rarely used run controls, in one branch
                    now = time.perf_counter()
                    if bar is not None and (last or now - shown >= 0.1):
                        shown = now
                        bar(self.name, t / max_iter, f"{t}/{max_iter} f={value:.6g} |g|={gnorm:.3g}")
                    if tol is not None and gnorm <= tol:
                        status = Status.COMPLETED
                        break
                    if callback is not None:
                        try:
                            if new_callback:
                                stop_now = callback(OptimizeResult._intermediate(x=xu, fun=value, jac=grad, nit=t,
                                                                                 nfev=nfev))
                            else:
                                stop_now = callback(t, xu, value, grad)
                            if stop_now:
                                status = Status.CALLBACK
                                break
                        except StopIteration:
                            status = Status.CALLBACK
                            break
                    if not last and time_limit is not None and now - t0 >= time_limit:
                        status = Status.TIME_LIMIT
                        break
                if last:
                    break
                if decay is not None:
                    f = float(decay(t))
                    if not (math.isfinite(f) and f >= 0.0):
                        raise ValueError(f"lr_decay({t}) returned {f!r}; a decay factor must be finite and >= 0")
                    lrs = [lr * f for lr in base_lrs]
                nxt = free[cur][best]
                stop = step_fn(t, xu, bufs[cur], gs, value, gnorm, bufs[nxt], lrs)
                if stop is not None:
                    status = stop
                    break
                if project is not None:
                    projected = groups.split(project(views[nxt]), "project(params)")
                    for dst, src in zip(bufs[nxt], projected):
                        if src is not dst:
                            np.copyto(dst, src)
                cur = nxt
                t += 1
        except KeyboardInterrupt:
            status = Status.INTERRUPTED
        finally:
            close_bar()

        if status is Status.INTERRUPTED:
            if best >= 0:
                x_arrays, fx, gx = bufs[best], best_f, best_g
            else:  # interrupted during the very first evaluation
                x_arrays, fx, gx = bufs[0], math.nan, None
        elif status is Status.NONFINITE:
            x_arrays, fx, gx = bufs[prev], prev_f, prev_g
        elif self._override is not None:
            x_arrays, fx, gx = self._override
        else:
            x_arrays, fx, gx = bufs[cur], value, grad

        success = status in (Status.COMPLETED, Status.CALLBACK) or (
            status is Status.MAX_ITER and not self._has_criterion(tol))
        rows = np.asarray(hist, dtype=np.float64).reshape(-1, 3)
        history = {"step": rows[:, 0].astype(np.int64), "fun": rows[:, 1].copy(), "grad_norm": rows[:, 2].copy()}
        for key, values in hist_extra.items():
            history[key] = np.asarray(values + [math.nan] * (len(hist) - len(values)), dtype=np.float64)
        x_out = groups.user([a.copy() for a in x_arrays])
        certificate = None
        if hessp is not None and gx is not None and status is not Status.INTERRUPTED:
            flat_g = groups.flatten(groups.split(gx, "grad"))
            certificate = sosp_certificate(flat_g, self._flat_hvp(x_out), rho=rho, K=K, lam=lam, seed=self.seed)
        return OptimizeResult(x=x_out, fun=fx, jac=gx, nit=t, nfev=nfev, status=status, success=bool(success),
                              message=_MESSAGES[status], history=history, certificate=certificate)

    def _flat_hvp(self, xu: Params) -> Callable[[np.ndarray], np.ndarray]:
        groups, hessp = self._groups, self._hessp
        if hessp is None:
            raise RuntimeError("Hessian-vector products need hessp")

        def hvp(v: np.ndarray) -> np.ndarray:
            return groups.flatten(groups.split(hessp(xu, groups.user(groups.unflatten(v))), "hessp(params, v)"))

        return hvp

    def _gradient_step(self, xs: list[np.ndarray], gs: list[np.ndarray], outs: list[np.ndarray],
                       lrs: list[float]) -> None:
        for x, g, o, lr in zip(xs, gs, outs, lrs):
            np.subtract(x, lr * g, out=o)


# ----------------------------------------------------------------------------- optimizers


class SGD(_Optimizer):
    """(Stochastic) gradient descent with optional heavy-ball momentum.

    .. math::

        v_{t+1} = \\beta v_t + g_t, \\qquad x_{t+1} = x_t - \\eta_t v_{t+1}

    Parameters
    ----------
    lr : float or dict of str to float
        Step size :math:`\\eta`, or one per parameter group.
    momentum : float in [0, 1)
        :math:`\\beta` (0: plain gradient descent).
    lr_decay : callable ``step -> factor``, ``(every, factor)`` or None
        Multiplies every learning rate (``(every, factor)``: ``factor ** (step // every)``).
    seed : int
        Unused by SGD itself (kept for a uniform interface; seeds Lanczos in certificates).
    """

    name = "sgd"

    def __init__(self, lr: LearningRate, momentum: float = 0.0, lr_decay: Any = None, *, seed: int = 0) -> None:
        super().__init__(lr, lr_decay, seed)
        if not (isinstance(momentum, (int, float)) and 0.0 <= momentum < 1.0):
            raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def _prepare(self, groups, arrays, hessp, tol):
        self._vel = [np.zeros_like(a) for a in arrays] if self.momentum > 0 else None

    def _step(self, t, xu, xs, gs, value, gnorm, outs, lrs):
        if self._vel is None:
            if len(xs) == 1:
                np.subtract(xs[0], lrs[0] * gs[0], out=outs[0])
                return None
            for x, g, o, lr in zip(xs, gs, outs, lrs):
                np.subtract(x, lr * g, out=o)
            return None
        for x, g, o, lr, v in zip(xs, gs, outs, lrs, self._vel):
            v *= self.momentum
            v += g
            np.subtract(x, lr * v, out=o)
        return None


class Adam(_Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, per-group learning rates.

    .. math::

        m_t = \\beta_1 m_{t-1} + (1-\\beta_1) g_t,\\quad
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2) g_t^2,\\quad
        x_{t+1} = x_t - \\eta \\frac{m_t/(1-\\beta_1^t)}{\\sqrt{v_t/(1-\\beta_2^t)} + \\epsilon}

    Parameters
    ----------
    lr : float or dict of str to float
        :math:`\\eta`, or one per parameter group (e.g. ``{"M": 0.01, "log_sigma": 0.05}``).
    betas : (float, float) in [0, 1)
    eps : float > 0
    lr_decay : callable ``step -> factor``, ``(every, factor)`` or None
    seed : int
        Seeds Lanczos in certificates.
    """

    name = "adam"

    def __init__(self, lr: LearningRate = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 lr_decay: Any = None, *, seed: int = 0) -> None:
        super().__init__(lr, lr_decay, seed)
        b1, b2 = check_betas(betas)
        self.betas = (b1, b2)
        self.eps = check_positive(eps, "eps")

    def _prepare(self, groups, arrays, hessp, tol):
        self._m = [np.zeros_like(a) for a in arrays]
        self._v = [np.zeros_like(a) for a in arrays]
        self._tmp = [np.empty_like(a) for a in arrays]
        self._p1 = 1.0
        self._p2 = 1.0

    def _step(self, t, xu, xs, gs, value, gnorm, outs, lrs):
        b1, b2 = self.betas
        self._p1 *= b1
        self._p2 *= b2
        c1 = 1.0 - self._p1
        rc2 = 1.0 / math.sqrt(1.0 - self._p2)
        for x, g, o, lr, m, v, tmp in zip(xs, gs, outs, lrs, self._m, self._v, self._tmp):
            m *= b1
            m += (1.0 - b1) * g
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - b2
            v *= b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= rc2
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= lr / c1
            np.subtract(x, tmp, out=o)
        return None


class PerturbedGD(_Optimizer):
    """Perturbed gradient descent (paper Algorithm 1; Jin et al. 2017).

    Gradient steps :math:`x_{t+1} = x_t - \\eta \\nabla f(x_t)`; when
    :math:`\\|\\nabla f(x_t)\\| \\le` ``threshold`` and no perturbation was made in
    the last ``interval`` steps, the step is a perturbation instead:
    :math:`x_{t+1} = x_t + \\xi_t`, :math:`\\xi_t` uniform in the ball of radius
    ``radius`` (``noise="ball"``, Jin et al.) or :math:`\\mathcal N(0, \\text{radius}^2 I)`
    (``noise="gaussian"``). Perturbation :math:`k` is drawn from stream ``k`` of
    ``seed`` (:func:`derand_fast.random.standard_normal`).

    With ``escape_decrease`` (Jin's :math:`f_\\text{thres}`) the run stops when,
    ``interval`` steps after a perturbation, ``f`` has not decreased by
    ``escape_decrease`` below its value at the perturbed point; it then returns
    that point (status ``COMPLETED``: with high probability an approximate
    SOSP). Without it the run uses all of ``max_iter``.

    Parameters
    ----------
    lr : float or dict of str to float
        :math:`\\eta` (paper: :math:`1/L`).
    radius : float > 0
        Perturbation radius :math:`r`.
    threshold : float > 0
        Gradient-norm threshold :math:`g_\\text{thres}` below which to perturb.
    interval : int >= 1
        Minimum number of steps between perturbations (:math:`t_\\text{thres}`).
    escape_decrease : float > 0 or None
        :math:`f_\\text{thres}` of the stopping test.
    noise : {"ball", "gaussian"}
    K, rho : float or None
        Hessian-Lipschitz constant and target accuracy, used by the certificate.
    lr_decay : see :class:`SGD`
    seed : int >= 0

    See Also
    --------
    PerturbedGD.from_lipschitz : the published constants from :math:`L, K, \\rho`.
    """

    name = "pgd"

    def __init__(self, lr: LearningRate, radius: float, threshold: float, interval: int, *,
                 escape_decrease: float | None = None, noise: str = "ball", K: float | None = None,
                 rho: float | None = None, lr_decay: Any = None, seed: int = 0) -> None:
        super().__init__(lr, lr_decay, seed)
        self.radius = check_positive(radius, "radius")
        self.threshold = check_positive(threshold, "threshold")
        self.interval = check_count(interval, "interval")
        self.escape_decrease = None if escape_decrease is None else check_positive(escape_decrease, "escape_decrease")
        if noise not in ("ball", "gaussian"):
            raise ValueError(f"noise must be 'ball' or 'gaussian', got {noise!r}")
        self.noise = noise
        self.K = None if K is None else check_positive(K, "K")
        self.rho = None if rho is None else check_positive(rho, "rho")

    @classmethod
    def from_lipschitz(cls, L: float, K: float, rho: float, *, dim: int, delta_f: float = 1.0,
                       failure_prob: float = 0.1, c: float = 1.0, seed: int = 0, **overrides: Any) -> PerturbedGD:
        """PGD with the constants of Jin et al. (2017), Algorithm 2, for a ρ-SOSP.

        With gradient-Lipschitz :math:`L`, Hessian-Lipschitz :math:`K` (Jin's
        :math:`\\rho`) and target :math:`\\varepsilon = \\rho` (paper Def. 2.2):

        .. math::

            \\chi = 3\\max\\{\\ln(d L \\Delta_f / (c \\varepsilon^2 \\delta)), 4\\},\\quad
            \\eta = c/L,\\quad
            r = \\frac{\\sqrt c}{\\chi^2}\\frac{\\varepsilon}{L},\\quad
            g_\\text{thres} = \\frac{\\sqrt c}{\\chi^2}\\varepsilon,\\quad
            f_\\text{thres} = \\frac{c}{\\chi^3}\\sqrt{\\varepsilon^3/K},\\quad
            t_\\text{thres} = \\frac{\\chi}{c^2}\\frac{L}{\\sqrt{K\\varepsilon}}.

        Parameters
        ----------
        L, K, rho : float > 0
        dim : int >= 1
            Number of parameters :math:`d`.
        delta_f : float > 0
            Bound on :math:`f(x_0) - \\inf f`.
        failure_prob : float in (0, 1)
            :math:`\\delta`.
        c : float > 0
            Jin et al.'s absolute constant (left unspecified there); ``c = 1``
            gives the paper's step :math:`1/L`.
        seed : int
        **overrides
            Any constructor argument (``lr``, ``radius``, ...), taking precedence.
        """
        L, K, rho = (check_positive(v, n) for v, n in ((L, "L"), (K, "K"), (rho, "rho")))
        delta_f = check_positive(delta_f, "delta_f")
        c = check_positive(c, "c")
        if not (0.0 < failure_prob < 1.0):
            raise ValueError(f"failure_prob must lie in (0, 1), got {failure_prob!r}")
        dim = check_count(dim, "dim")
        chi = 3.0 * max(math.log(dim * L * delta_f / (c * rho * rho * failure_prob)), 4.0)
        params: dict[str, Any] = {
            "lr": c / L,
            "radius": math.sqrt(c) / chi**2 * rho / L,
            "threshold": math.sqrt(c) / chi**2 * rho,
            "interval": max(1, math.ceil(chi / c**2 * L / math.sqrt(K * rho))),
            "escape_decrease": c / chi**3 * math.sqrt(rho**3 / K),
            "K": K,
            "rho": rho,
            "seed": seed,
        }
        params.update(overrides)
        return cls(**params)

    def _has_criterion(self, tol):
        return self.escape_decrease is not None

    def _certificate_constants(self):
        return self.rho, self.K

    def _prepare(self, groups, arrays, hessp, tol):
        if tol is not None:
            raise ValueError("PerturbedGD takes tol=None: it perturbs at small gradients; use escape_decrease to stop")
        self._t_noise = -1
        self._n_noise = 0
        self._anchor: tuple[list[np.ndarray], float, Params] | None = None

    def _step(self, t, xu, xs, gs, value, gnorm, outs, lrs):
        if self._anchor is not None and t - self._t_noise >= self.interval:
            anchor = self._anchor
            self._anchor = None
            assert self.escape_decrease is not None  # an anchor is only set with it
            if value - anchor[1] > -self.escape_decrease:
                self._override = anchor
                return Status.COMPLETED
        if gnorm <= self.threshold and (self._t_noise < 0 or t - self._t_noise >= self.interval):
            n = self._groups.total
            z = standard_normal(self.seed, 1, n + 1, first_stream=self._n_noise, threads=1)[0]
            if self.noise == "ball":
                d = z[:n]
                xi = d * (self.radius * float(ndtr(z[n])) ** (1.0 / n) / np.linalg.norm(d))
            else:
                xi = self.radius * z[:n]
            for x, o, dx in zip(xs, outs, self._groups.unflatten(xi)):
                np.add(x, dx, out=o)
            if self.escape_decrease is not None:
                self._anchor = ([x.copy() for x in xs], value, self._groups.user(list(gs)))
            self._t_noise = t
            self._n_noise += 1
            return None
        self._gradient_step(xs, gs, outs, lrs)
        return None


class HessianDescent(_Optimizer):
    """Hessian descent (paper Algorithm 2): a deterministic route to a ρ-SOSP.

    While :math:`\\|\\nabla f\\| > \\rho`: a gradient step of size ``lr``.
    Otherwise, if :math:`\\lambda_{\\min}(\\nabla^2 f) < -\\sqrt{K\\rho}`, a step
    :math:`h u_1` along the eigenvector of the smallest eigenvalue (sign chosen
    so that it does not increase :math:`f` to first order), computed by Lanczos on
    ``hessp`` (:func:`derand_fast.certificate.lambda_min`); else the point is a
    ρ-SOSP and the run stops (status ``COMPLETED``). Needs ``hessp``.

    Parameters
    ----------
    lr : float or dict of str to float
        Gradient step :math:`\\nu` (paper: :math:`1/L`).
    rho : float > 0
        Target accuracy :math:`\\rho`.
    K : float > 0
        Hessian-Lipschitz constant.
    h : float > 0 or None
        Negative-curvature step (default :math:`3\\sqrt{\\rho}/K`, as printed in Algorithm 2).
    lr_decay : see :class:`SGD`
    seed : int
        Lanczos start vectors and the sign of :math:`u_1` when :math:`\\nabla f \\perp u_1`.
    """

    name = "hessian_descent"

    def __init__(self, lr: LearningRate, rho: float, K: float, h: float | None = None, *,
                 lr_decay: Any = None, seed: int = 0) -> None:
        super().__init__(lr, lr_decay, seed)
        self.rho = check_positive(rho, "rho")
        self.K = check_positive(K, "K")
        self.h = 3.0 * math.sqrt(self.rho) / self.K if h is None else check_positive(h, "h")

    def _has_criterion(self, tol):
        return True

    def _certificate_constants(self):
        return self.rho, self.K

    def _prepare(self, groups, arrays, hessp, tol):
        if hessp is None:
            raise ValueError("HessianDescent needs hessp (Hessian-vector products)")
        if tol is not None:
            raise ValueError("HessianDescent takes tol=None: it stops at a rho-SOSP")
        self._n_curv = 0

    def _step(self, t, xu, xs, gs, value, gnorm, outs, lrs):
        if gnorm > self.rho:
            self._gradient_step(xs, gs, outs, lrs)
            return None
        groups = self._groups
        lam, u = lambda_min(self._flat_hvp(xu), groups.total, seed=self.seed)
        if lam >= -math.sqrt(self.K * self.rho):
            return Status.COMPLETED
        slope = float(groups.flatten(gs) @ u)
        if slope == 0.0:
            flip = standard_normal(self.seed, 1, 1, first_stream=self._n_curv, threads=1)[0, 0] < 0
            sign = -1.0 if flip else 1.0
        else:
            sign = -1.0 if slope > 0 else 1.0
        self._n_curv += 1
        for x, o, du in zip(xs, outs, groups.unflatten(u)):
            np.add(x, (sign * self.h) * du, out=o)
        return None
