r"""Derandomized MAXCUT rounding with the exact expected-cut objective (beyond the paper).

Goemans–Williamson rounding with shifted hyperplanes, :math:`x_i = \mathrm{sgn}(s\,
v_i\cdot z + \mu_i)`, :math:`z \sim N(0, I_r)` (paper Theorem 5.2 with
:math:`V` scaled by :math:`s`), has a closed-form expected cut: with
:math:`a_i = \mu_i/(s\|v_i\|)` and :math:`\rho_{ij} = \cos(v_i, v_j)`,

.. math::

    \mathbb E[\mathrm{cut}] = \sum_{ij} w_{ij}\bigl(\Phi(a_i) + \Phi(a_j)
        - 2\Phi_2(a_i, a_j; \rho_{ij})\bigr),\qquad
    \frac{\partial P_{ij}}{\partial a_i} = \varphi(a_i)\Bigl(1 - 2\Phi\Bigl(
        \frac{a_j - \rho_{ij} a_i}{\sqrt{1-\rho_{ij}^2}}\Bigr)\Bigr).

At :math:`\mu = 0` it is the GW expected cut :math:`\sum w_{ij}\arccos(\rho_{ij})/\pi`
for every :math:`s`. :func:`derand_exact` raises it by gradient ascent on
:math:`\mu` (Adam) while :math:`s` anneals to 0, which leaves a deterministic
cut :math:`\mathrm{sgn}(\mu)` — the paper's variance shrinkage
(:math:`\lambda\|V\|_F^2` in Eq. 7/20) done by a schedule, without Monte Carlo
noise. :math:`\mu = 0` is a stationary point (sign symmetry); a small random
:math:`\mu_0` plays the role of PGD's perturbation (Algorithm 1).

The kernels are C++ (``cpp/bvn.hpp``, ``cpp/exact_cut.cpp``): O(m) per
evaluation, the gradient's :math:`1 - 2\Phi` from a piecewise-polynomial table,
Adam steps fused with the gradient, restarts one per thread, OpenMP over the
edges of large graphs; identical results for every thread count.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from scipy.optimize import OptimizeResult

from .. import _core
from .._threads import thread_scope
from .._validation import check_array, check_betas, check_callback, check_count, check_positive, renamed
from ..progress import make_progress
from ..random import STREAMS, standard_normal
from ..runcontrol import RunControl, Status, as_control
from .cut import cut_value
from .derand_common import RoundingOutcome, as_graph, check_factor, polish_outcome, signs_of
from .rounding import register_rounding

__all__ = ["bivariate_normal_cdf", "ExactCutObjective", "derand_exact"]

_CHUNK_WORK = 5_000_000


def bivariate_normal_cdf(a, b, rho) -> np.ndarray:
    r"""Bivariate standard normal CDF :math:`\Phi_2(a, b; \rho) = P(X \le a, Y \le b)`.

    Drezner–Wesolowsky / Genz (2004) quadrature in C++; absolute error below
    ``1e-12`` for :math:`|\rho| \le 1 - 10^{-12}`, exact limits at
    :math:`\rho = \pm 1`, infinite ``a``/``b`` allowed.

    Parameters
    ----------
    a, b : array_like of float
        Upper limits; broadcast together with ``rho``.
    rho : array_like of float in [-1, 1]
        Correlation.

    Returns
    -------
    ndarray of float64, the broadcast shape

    Examples
    --------
    >>> round(float(bivariate_normal_cdf(0.0, 0.0, 0.5)), 15)  # 1/4 + asin(1/2)/(2 pi) = 1/3
    0.333333333333333
    """
    arrays = [check_array(x, name, allow_empty=True, finite=False, allow_bool=True)
              for name, x in (("a", a), ("b", b), ("rho", rho))]
    try:
        A, B, R = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise ValueError(f"a, b and rho must broadcast together: {exc}") from None
    if np.isnan(R).any():
        raise ValueError("rho contains NaN")
    out = _core.bvn_cdf(A.ravel(), B.ravel(), R.ravel())
    return out.reshape(A.shape)


class ExactCutObjective:
    r"""The exact expected cut of shifted-hyperplane rounding and its gradients.

    Parameters
    ----------
    graph : Graph or anything :func:`~derand_fast.maxcut.graph.load_graph` accepts
        Weights may be negative.
    V : ndarray, shape (n, r)
        SDP vectors (rows need not be unit; a zero row makes its node
        deterministic: the sign of :math:`\mu_i`, +1 at 0).
    threads : int or None
        OpenMP threads of the C++ kernel; results are identical for every value.

    Attributes
    ----------
    graph : Graph
    rho : ndarray, shape (m,)
        :math:`\rho_{ij}` in the graph's edge order, computed once.
    norms : ndarray, shape (n,)
        :math:`\|v_i\|`.

    Examples
    --------
    >>> import numpy as np
    >>> V = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> obj = ExactCutObjective((np.array([[0, 1]]), np.array([1.0])), V)
    >>> round(obj.value(np.zeros(2)), 12)  # arccos(0)/pi
    0.5
    """

    def __init__(self, graph: Any, V: Any, *, threads: int | None = None) -> None:
        self.graph = as_graph(graph)
        self.V = check_factor(V, self.graph.n)
        with thread_scope(threads) as t:
            self._threads = t
            self._kernel = _core.ExactCut(self.graph.view, self.V, t)
        self.rho = self._kernel.rho
        self.norms = self._kernel.norms

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.graph.n

    def _mu(self, mu: Any) -> np.ndarray:
        arr = check_array(mu, "mu", 1, allow_bool=True)
        if arr.shape != (self.n,):
            raise ValueError(f"mu must have shape ({self.n},), got {arr.shape}")
        return arr

    def value(self, mu: Any, s: float = 1.0) -> float:
        r""":math:`\mathbb E[\mathrm{cut}]` at ``(mu, s)``."""
        v, _, _ = self._kernel.evaluate(self._mu(mu), check_positive(s, "s"), True, False, self._threads)
        return float(v)

    def value_and_grad(self, mu: Any, s: float = 1.0, *, value: bool = True) -> tuple[float, np.ndarray, float]:
        """``(E[cut], dE/dmu of shape (n,), dE/ds)``; with ``value=False`` the value is skipped (NaN).

        The gradient costs two normal CDFs per edge; the value adds one
        bivariate normal CDF per edge (several times the gradient's cost).
        """
        v, g, ds = self._kernel.evaluate(self._mu(mu), check_positive(s, "s"), bool(value), True, self._threads)
        return (float(v) if value else math.nan), g, float(ds)

    def gw_expected_cut(self) -> float:
        r"""The GW expected cut :math:`\sum w_{ij}\arccos(\rho_{ij})/\pi` (NumPy, fixed order)."""
        return float(np.sum(self.graph.weights * np.arccos(self.rho)) / math.pi)


def _s_schedule(n_steps: int, s_final: float, anneal_fraction: float) -> np.ndarray:
    """The scale of every step, shape (n_steps,): linear from 1 to ``s_final`` over the first
    ``anneal_fraction`` of the steps, then constant."""
    t_end = max(1, int(round(anneal_fraction * n_steps)))
    step = np.arange(n_steps)
    return np.where(step >= t_end, s_final, 1.0 + (s_final - 1.0) * step / t_end)


def derand_exact(graph: Any, V: Any, *, max_iter: int = 1200, lr: float = 0.02,
                 betas: tuple[float, float] = (0.9, 0.999), s_final: float = 1e-3, anneal_fraction: float = 1.0,
                 mu0_scale: float = 1e-3, restarts: int = 2, reheats: int = 1, reheat_steps: int | None = None,
                 reheat_scale: float = 0.5, check_every: int = 10, record_every: int = 250,
                 seed: int = 0, threads: int | None = None, time_limit: float | None = None,
                 callback: Any = None, progress: Any = None, control: RunControl | None = None,
                 n_steps: int | None = None, polish: bool | None = None) -> RoundingOutcome:
    r"""Derandomized GW rounding by the exact expected cut (beyond the paper: Theorem 5.2's rounding, in closed form).

    Maximizes :math:`\mathbb E[\mathrm{cut}](\mu; s_t)` over :math:`\mu` with
    Adam while the scale :math:`s_t` of :math:`V` anneals linearly from 1 to
    ``s_final`` over the first ``anneal_fraction`` of ``max_iter`` steps (the
    variance-shrinking role of :math:`\lambda\|V\|_F^2` in paper Eq. 7/20),
    leaving the deterministic cut :math:`\mathrm{sgn}(\mu)`. Starts at
    :math:`\mu_0 =` ``mu0_scale`` :math:`\cdot N(0, I)`: the perturbation
    (PGD's role, Algorithm 1) that leaves the stationary point :math:`\mu = 0`.
    After the anneal, ``reheats`` warm restarts each turn the best cut so far
    :math:`x` into :math:`\mu_i = x_i\, s_h \|v_i\|` (:math:`a_i = \pm 1` at
    :math:`s_h =` ``reheat_scale``) and anneal again from :math:`s_h` for
    ``reheat_steps`` steps. Every ``check_every`` steps the current sign cut is
    evaluated; the best sign cut over all steps, restarts and reheats is kept.
    Ctrl-C returns the best cut so far with status ``INTERRUPTED``.

    The steps run in C++ (``_core.ExactCut.ascend``: gradient, Adam update and
    sign-cut checks fused, one call per ~0.05 s of work, without the GIL);
    Python only handles the history, the callback, the time limit and Ctrl-C
    between calls. On G81 (n = 20 000, m = 40 000) a step costs ~0.6 ms on one
    thread (1500 steps in ~0.9 s).

    The defaults (2 restarts of a 1200-step anneal and 1 reheat of 600 steps,
    3600 steps in all: on G81 ~2.8 s on one thread, ~1.4 s on two, where one
    1500-step anneal took 2.55 s before the C++ steps) were chosen over the 71
    Gset graphs (SDP and GW as in ``benchmarks/gset_table.py``, seed 0). Mean gap of the cut
    (before local search) to best-known: 0.774 %, against 0.913 % for the former
    default (one 1500-step anneal, the last 20 % at ``s_final``; 6 below GW's
    best of 1000 on G50), 0.844 % for 2 such restarts, 0.815 % for 1 restart with
    2 reheats, 0.751 % for 2 restarts with 2 reheats (4800 steps each) and
    0.781 % with 2 restarts of a 1000-step anneal and 1 reheat; at or above GW's
    best of 1000 on all 71 for all of these. Steps at the final scale are wasted
    (99.7 % of the densities are 0 on G81 there): ending the anneal at the last
    step (``anneal_fraction=1``) with 1200 steps gave the same 0.772 % as 1500
    steps ending at 80 %. Other schedule shapes (geometric, cosine, powers of the
    linear one), lr 0.01/0.04 and s-proportional step sizes stayed within 0.05 %
    of the linear schedule (one anneal). The alternatives were measured with an
    earlier table for :math:`1 - 2\Phi` (bit-different gradients, the default
    then at 0.772 %): rounding alone moves the mean by ~0.01 %.

    Parameters
    ----------
    graph : Graph or anything :func:`~derand_fast.maxcut.graph.load_graph` accepts
    V : ndarray, shape (n, r)
        SDP vectors.
    max_iter : int
        Adam steps of each restart's anneal (formerly ``n_steps``, still accepted
        with a DeprecationWarning).
    lr, betas : float, (float, float)
        Adam step size and moment decays (defaults: those of our first NumPy prototype). With one plain
        anneal over the 71 Gset graphs, lr = 0.01 and 0.04 gave mean gaps 0.887 % and
        0.978 % against 0.913 % for 0.02, and fell below GW's best of 1000 on 2 and 1 graphs.
    s_final, anneal_fraction : float
        End of the scale schedule (in (0, 1]) and the fraction of the steps it takes.
    mu0_scale : float
        Standard deviation of the random start.
    restarts : int
        Independent starts (streams ``0 .. restarts-1`` of the ``derand_exact.starts`` block of
        :data:`derand_fast.random.STREAMS` under ``seed``), run in batches
        of one per thread (no synchronisation per step; each batch finishes its
        reheats before the next starts).
    reheats, reheat_steps, reheat_scale : int, int or None, float
        Number of warm restarts from the best cut, their steps (None: ``max_iter // 2``),
        and their starting scale :math:`s_h` in (0, 1] (their schedule is :math:`s_h`
        times the main one's).
    check_every : int
        Sign-cut evaluation interval (O(m) each, in C++).
    record_every : int
        History interval (the expected cut value costs a bivariate normal CDF
        per edge, ~30 gradient steps, so it is recorded sparsely).
    seed : int
    threads : int or None
        Threads; the result does not depend on it. Restarts run one per thread;
        a single restart's steps use one thread below 65 536 edges (too short to
        share: waking threads costs more, and far more on a loaded machine).
    time_limit : float or None
        Seconds; when reached, the best cut so far is returned (status ``TIME_LIMIT``).
    callback : callable ``callback(intermediate_result)``, optional
        Called after every C++ call (~0.05 s of work, and at each history record)
        with an ``OptimizeResult`` (SciPy's convention, as in
        :mod:`derand_fast.optimizers`) holding ``x`` (``mu`` after the last step,
        shape (batch, n): the restarts running; do not modify), ``s`` (that step's
        scale), ``step`` (the last step taken, counted over the anneal and its
        reheats), ``nit`` (steps so far, all restarts) and ``cut`` (the best sign
        cut so far). Raising ``StopIteration`` or returning True ends the run
        (status ``CALLBACK``). The former form ``callback(step, mu, s) -> bool``
        still works but is deprecated (DeprecationWarning).
    progress : None, bool or callable(stage, fraction, info)
        Reported as stage ``"rounding derand-exact"`` after every C++ call.
    control : RunControl, optional
        The run this rounding belongs to: its deadline and stop flag apply too
        (checked between the C++ calls), and the best cut is offered to its record.
    n_steps : int, optional
        Deprecated name of ``max_iter``.
    polish : bool, optional
        Deprecated: 1-flip local search on the final cut. The pipeline's
        ``local_search`` is the one polish; call
        :func:`~derand_fast.maxcut.polish.local_search` on ``x`` instead.

    Returns
    -------
    RoundingOutcome
        ``history``: ``restart``, ``step``, ``s``, ``expected_cut``, ``cut`` of each
        restart at steps 0, ``record_every``, ... of the anneal and of each reheat and
        after their last steps (the expected cut at the step's scale and the sign cut,
        both at ``mu`` before the step), sorted by restart, then step;
        ``info``: ``gw_expected_cut``, ``restart_cuts`` (best sign cut of each restart
        that started);
        ``nit`` counts the steps of all restarts and reheats.

    Examples
    --------
    >>> import numpy as np
    >>> edges = np.array([[0, 1], [1, 2], [2, 0]])   # a triangle: max cut 2
    >>> V = np.array([[1.0, 0.0], [-0.5, 0.866], [-0.5, -0.866]])
    >>> out = derand_exact((edges, np.ones(3)), V, max_iter=200)
    >>> out.cut, out.status.name
    (2.0, 'COMPLETED')
    """
    obj = ExactCutObjective(graph, V, threads=threads)
    g = obj.graph
    n_steps = check_count(renamed(max_iter, n_steps, "n_steps", "max_iter"), "max_iter")
    restarts = check_count(restarts, "restarts")
    reheats = check_count(reheats, "reheats", minimum=0)
    reheat_steps = max(1, n_steps // 2) if reheat_steps is None else check_count(reheat_steps, "reheat_steps")
    reheat_scale = check_positive(reheat_scale, "reheat_scale", upper=1.0)
    check_every = check_count(check_every, "check_every")
    record_every = check_count(record_every, "record_every")
    lr = check_positive(lr, "lr")
    s_final = check_positive(s_final, "s_final", upper=1.0)
    anneal_fraction = check_positive(anneal_fraction, "anneal_fraction", upper=1.0)
    mu0_scale = check_positive(mu0_scale, "mu0_scale")
    b1, b2 = check_betas(betas)
    callback, new_callback = check_callback(callback, "(step, mu, s)", 3)
    ctl = as_control(control, time_limit)  # (checked by check_time_limit)
    report, close = make_progress(progress)
    if report is not None:
        report("rounding derand-exact", 0.0, "started")
    adam_eps = 1e-8
    t0 = time.perf_counter()
    n = g.n
    kernel, nt = obj._kernel, obj._threads
    hist: dict[str, list] = {"restart": [], "step": [], "s": [], "expected_cut": [], "cut": []}
    status, nit = Status.COMPLETED, 0
    stream = STREAMS["derand_exact.starts"]
    starts = standard_normal(seed, restarts, n, first_stream=stream.first, threads=threads) * mu0_scale
    best_cut = np.full(restarts, -math.inf)  # per restart: best sign cut and its signs (updated in C++ too)
    best_x = np.ones((restarts, n), dtype=np.int8)
    # steps per C++ call: ~_CHUNK_WORK node + edge terms (~0.05 s), between Ctrl-C / time-limit checks;
    # the results do not depend on it (checks and records fall on fixed steps)
    chunk = max(1, _CHUNK_WORK // (g.m + n + 1))
    # a reheat starts at a_i = +-1 on the best cut's side (zero rows: +-mu0_scale)
    reheat_mu = np.where(obj.norms > 0.0, reheat_scale * obj.norms, mu0_scale)
    total_steps = restarts * (n_steps + reheats * reheat_steps)  # for the progress fraction
    phases = [(0, _s_schedule(n_steps, s_final, anneal_fraction))]
    for _ in range(reheats):
        phases.append((phases[-1][0] + phases[-1][1].size,
                       reheat_scale * _s_schedule(reheat_steps, s_final, anneal_fraction)))

    def anneal(rows: slice, mu: np.ndarray, offset: int, schedule: np.ndarray) -> bool:
        """One pass over ``schedule`` for the restarts ``rows`` from ``mu``; True when the run must stop."""
        nonlocal nit, status
        bc, bx = best_cut[rows], best_x[rows]  # views: the kernel updates them in place
        m1 = np.zeros_like(mu)
        m2 = np.zeros_like(mu)

        def record(step: int) -> None:
            s = float(schedule[min(step, schedule.size - 1)])
            for i, r in enumerate(range(rows.start, rows.stop)):
                val, _, _ = kernel.evaluate(mu[i], s, True, False, nt)
                c = kernel.sign_cut(mu[i])
                if c > bc[i]:
                    bx[i] = signs_of(mu[i])
                    bc[i] = c
                for k, v in (("restart", r), ("step", offset + step), ("s", s), ("expected_cut", val), ("cut", c)):
                    hist[k].append(v)

        step, steps = 0, schedule.size
        while step < steps:
            if step % record_every == 0:
                record(step)
            end = min(steps, step + chunk, (step // record_every + 1) * record_every)
            kernel.ascend(mu, m1, m2, bc, bx, schedule[step:end], step, lr, b1, b2, adam_eps, check_every, nt)
            nit += (end - step) * mu.shape[0]
            step = end
            if report is not None:
                report("rounding derand-exact", min(1.0, nit / total_steps), f"step {offset + step}")
            if callback is not None:
                last, s_last = offset + step - 1, float(schedule[step - 1])
                try:
                    if new_callback:
                        stop_now = callback(OptimizeResult(x=mu, s=s_last, step=last, nit=nit,
                                                           cut=float(best_cut.max())))
                    else:
                        stop_now = callback(last, mu, s_last)
                except StopIteration:
                    stop_now = True
                if stop_now:
                    status = Status.CALLBACK
                    return True
            stop = ctl.poll()
            if stop is not None:
                status = stop
                return True
        record(step)
        return False

    # restarts in batches of one per thread, each batch through all its phases before the next
    # (a time limit then leaves finished restarts, not several half-annealed ones)
    batch = min(restarts, nt)
    try:
        stop = False
        for first in range(0, restarts, batch):
            rows = slice(first, min(first + batch, restarts))
            mu = starts[rows].copy()
            for k, (offset, schedule) in enumerate(phases):
                if k > 0:
                    mu = best_x[rows] * reheat_mu
                stop = anneal(rows, mu, offset, schedule)
                if stop:
                    break
            if stop:
                break
    except KeyboardInterrupt:
        status = ctl.interrupt()
    finally:
        close()
    order = np.lexsort((hist["step"], hist["restart"]))  # by restart, then step: the same for any batching
    hist = {k: [v[i] for i in order] for k, v in hist.items()}
    x = best_x[int(np.argmax(best_cut))].copy()
    cut = cut_value(g, x)  # in the shared cut tool's summation order
    ctl.offer("rounding derand-exact", x, cut)
    out = RoundingOutcome(
        x=x, cut=cut, cut_before_polish=cut, status=status, nit=nit, nfev=nit, time=0.0,
        history={k: np.asarray(v) for k, v in hist.items()},
        info={"method": "derand-exact", "gw_expected_cut": obj.gw_expected_cut(),
              "restart_cuts": best_cut[best_cut > -math.inf].tolist()})
    polish_outcome(g, out, polish)
    out.time = time.perf_counter() - t0
    return out


register_rounding("derand-exact", derand_exact, replace=True)
