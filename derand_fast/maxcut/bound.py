"""A certified upper bound on the maximum cut, from any SDP factor (weak duality, rigorous in floating point).

The value of the low-rank SDP at a factor ``V`` is an upper bound on the
maximum cut only if ``V`` solves the SDP exactly. :func:`certified_bound`
turns any ``V`` — converged, stopped early, or random — into a bound that is
provably valid, by weak duality and an inertia check whose rounding errors are
bounded explicitly.

**Weak duality.** With :math:`L = \\mathrm{Diag}(d) - W` the weighted
Laplacian, every cut is :math:`\\tfrac14 s^\\top L s` for some
:math:`s \\in \\{\\pm1\\}^n`, so :math:`X = ss^\\top` is feasible for the SDP
:math:`\\max \\tfrac14\\langle L, X\\rangle`, :math:`\\mathrm{diag}\\,X = 1`,
:math:`X \\succeq 0`. For any vector :math:`y` and
:math:`A = \\tfrac14 L - \\mathrm{Diag}(y)`,

.. math::

    \\tfrac14\\langle L, X\\rangle = \\textstyle\\sum_i y_i + \\langle A, X\\rangle
    \\le \\sum_i y_i + \\lambda_{\\max}(A)\\,\\mathrm{tr}\\,X
    = \\sum_i y_i + n\\,\\lambda_{\\max}(A),

because :math:`X \\succeq 0` and :math:`\\mathrm{tr}\\,X = n` (so the bound
holds for either sign of :math:`\\lambda_{\\max}`, and any upper bound
:math:`\\mu \\ge \\lambda_{\\max}(A)` may replace it). The dual vector is the
complementary-slackness choice :math:`y_i = \\tfrac14\\sum_j L_{ij}\\,v_i\\cdot v_j`;
then :math:`\\sum_i y_i = \\tfrac14\\langle L, VV^\\top\\rangle` is exactly the SDP
value at ``V`` and the bound exceeds it by :math:`n\\,\\mu`, which goes to 0 as
``V`` approaches an SDP optimum (Goemans & Williamson 1995; the dual
certificate of the Burer–Monteiro factorization, e.g. Boumal, Voroninski &
Bandeira 2016).

**A rigorous** :math:`\\mu`. A Lanczos run (started in the span of ``V``,
where the top eigenvectors of :math:`A` lie near an optimum) gives a Ritz
value :math:`\\theta`; it is only an estimate, since a Krylov method can miss
an eigenvalue. The proof is an inertia check: :math:`\\mu = \\theta + \\delta`
is certified by factorizing :math:`M = \\mu I - A` in floating point. If the
Cholesky factorization of :math:`M` runs to completion, its computed factor
satisfies :math:`\\hat R^\\top \\hat R = M + \\Delta M` with
:math:`|\\Delta M| \\le \\gamma_{n+1}|\\hat R^\\top||\\hat R|`
(:math:`\\gamma_k = ku/(1-ku)`, :math:`u = 2^{-53}`; Higham, *Accuracy and
Stability of Numerical Algorithms*, 2nd ed., Thm 10.3, any evaluation order),
and :math:`\\||\\hat R|\\|_2^2 \\le \\|\\hat R\\|_F^2 \\le \\mathrm{tr}\\,M/(1-\\gamma_{n+1})`, so

.. math::

    \\lambda_{\\min}(M) \\ge -\\frac{\\gamma_{n+1}}{1-\\gamma_{n+1}}\\,\\mathrm{tr}\\,M

(Rump 2006, *Verification of positive definiteness*, BIT 46, with his term for
underflow added). For large sparse graphs the factorization is SuperLU's
:math:`PMP^\\top = \\hat L\\hat U` without pivoting (symmetric ordering). If
every pivot :math:`\\hat D = \\mathrm{diag}\\,\\hat U` is positive,
:math:`K = \\hat L\\hat D\\hat L^\\top \\succeq 0` exactly, and
:math:`PMP^\\top - K = \\hat L\\,G - \\Delta M` with :math:`G = \\hat U - \\hat D\\hat L^\\top`
(rounding-level, computed) and :math:`|\\Delta M| \\le \\gamma_n|\\hat L||\\hat U|`
(Higham Thm 9.3), so :math:`\\lambda_{\\min}(M) \\ge -\\gamma_n\\||\\hat L||\\hat U|\\|_2
- \\||\\hat L||G|\\|_2`, each norm bounded by
:math:`\\|B\\|_2 \\le (\\|B\\|_1\\|B\\|_\\infty)^{1/2}` from two products with a
vector of ones. Either way :math:`\\lambda_{\\max}(A) \\le \\mu + c`. If no
factorization succeeds the Gershgorin bound
:math:`\\lambda_{\\max}(A) \\le \\max_i (A_{ii} + \\sum_{j\\ne i}|A_{ij}|)` is used.

**Rounding elsewhere.** The weights are first scaled by a power of two (exact)
so the largest is in [1, 2); the diagonal of :math:`A` is computed in floating
point, and its error, at most :math:`\\gamma_{\\Delta+4}(|\\mu| + \\|y\\|_\\infty +
\\tfrac12\\max_i\\sum_j|w_{ij}|)` per entry (:math:`\\Delta` the maximum
degree), is added to :math:`\\mu` (Weyl); :math:`\\sum_i y_i` is summed exactly
(``math.fsum``) and every later operation is rounded upward. ``y`` itself
needs no care: the bound holds for whatever vector was computed. The
arithmetic is assumed to follow IEEE 754 double precision and the
factorizations to evaluate the usual inner products (LAPACK, OpenBLAS and
SuperLU do; no fast matrix multiplication).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from .._threads import resolve_threads
from .._validation import check_count, check_positive
from ..random import STREAMS, standard_normal
from ..runcontrol import RunControl, as_control
from .graph import Graph, load_graph

__all__ = ["CertifiedBound", "certified_bound", "certified_bound_within", "FactorizationFloor", "factorization_floor"]

_U = 2.0**-53  # unit roundoff of float64
_ETA = 2.0**-1074  # smallest positive subnormal
_METHODS = ("auto", "dense", "sparse", "gershgorin")
_GROWTH = 3.0  # the margin delta is multiplied by this after a failed inertia check
_DENSE_IN_PROCESS = 3000  # largest n certified in-process where no child process can be started
#: flops per second assumed when a factorization's cost floor is turned into time: faster than SuperLU runs on
#: one core, so the predicted time is a floor too and a factorization is skipped only when it cannot fit
_FAST_FLOPS = 1e10


def _gamma(k: float) -> float:
    """Higham's :math:`\\gamma_k = ku/(1-ku)`."""
    return k * _U / (1.0 - k * _U)


def _up(x: float) -> float:
    """The next float above ``x`` (one rounding upward)."""
    return math.nextafter(x, math.inf)


@dataclass(frozen=True)
class CertifiedBound:
    """Outcome of :func:`certified_bound`; all values are in the graph's weight units.

    Attributes
    ----------
    upper_bound : float
        Provable upper bound on the maximum cut (and on the SDP value).
    sdp_value : float
        :math:`\\tfrac14\\langle L, VV^\\top\\rangle`, the SDP objective at ``V``
        (equal to :math:`\\sum_i y_i`); not a bound by itself.
    lambda_max : float
        The certified upper bound on :math:`\\lambda_{\\max}(\\tfrac14 L - \\mathrm{Diag}(y))`
        (rounding slack included).
    ritz_value : float
        The Lanczos estimate of that eigenvalue (an estimate, not a bound).
    margin : float
        ``upper_bound - sdp_value``: what the certificate adds to the SDP value.
    y_sum, y_max : float
        :math:`\\sum_i y_i` (rounded upward) and :math:`\\max_i |y_i|` of the dual vector.
    method : str
        ``"dense-cholesky"``, ``"sparse-ldl"``, ``"gershgorin"`` (no factorization
        succeeded, or asked for) or ``"no-edges"`` (every weight is 0).
    attempts : int
        Factorizations tried (each failure widens the margin 3× and doubles the Lanczos steps).
    time : float
        Wall seconds.
    integer_weights : bool
        All weights are integers, so every cut is an integer.
    floor : float or None
        :math:`\\lfloor` ``upper_bound`` :math:`\\rfloor` when ``integer_weights``
        (still a bound: the maximum cut is an integer), else None.
    """

    upper_bound: float
    sdp_value: float
    lambda_max: float
    ritz_value: float
    margin: float
    y_sum: float
    y_max: float
    method: str
    attempts: int
    time: float
    integer_weights: bool
    floor: float | None

    @property
    def bound(self) -> float:
        """The bound to report: ``floor`` for integer weights, else ``upper_bound``."""
        return self.upper_bound if self.floor is None else self.floor

    def gap(self, cut: float) -> float:
        """Relative gap ``(bound - cut) / |bound|`` of a cut (0 when the bound is 0)."""
        b = self.bound
        return 0.0 if b == 0 else (b - float(cut)) / abs(b)

    def proves_optimal(self, cut: float) -> bool:
        """True when ``cut`` reaches the bound, so no cut is larger."""
        return float(cut) >= self.bound


def _factor_of(V: Any, n: int) -> np.ndarray:
    """``V`` (or an :class:`~derand_fast.maxcut.sdp.SDPResult`'s ``V``) as finite unit rows, shape (n, r)."""
    V = getattr(V, "V", V)
    if np.iscomplexobj(V):
        raise TypeError("V must be real, got a complex array")
    V = np.array(V, dtype=np.float64, order="C", copy=True)
    if V.ndim != 2 or V.shape[0] != n or V.shape[1] < 1:
        raise ValueError(f"V must have shape (n={n}, r>=1), got {V.shape}")
    if not np.all(np.isfinite(V)):
        raise ValueError("V contains NaN or inf")
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError(f"V has a zero row (row {int(np.flatnonzero(norms[:, 0] == 0)[0])})")
    V /= norms
    return V


def _lanczos_top(matvec: Any, x0: np.ndarray, steps: int, seed: int) -> tuple[float, float]:
    """Largest Ritz value after ``steps`` and after ``steps // 2`` Lanczos steps (full reorthogonalization).

    The difference of the two says how far the estimate may still move; both
    are the same when the steps span the whole space. An invariant subspace
    (a breakdown) restarts from a fresh random vector orthogonal to it, so
    every component of the graph is explored.
    """
    from scipy.linalg import eigvalsh_tridiagonal

    n = x0.shape[0]
    steps = max(1, min(steps, n))
    Q = np.empty((steps, n))
    alpha = np.zeros(steps)
    beta = np.zeros(steps)
    Q[0] = x0 / np.linalg.norm(x0)
    half = math.nan
    for j in range(steps):
        w = matvec(Q[j])
        alpha[j] = Q[j] @ w
        if j + 1 == max(1, steps // 2):
            half = _top_of_tridiagonal(alpha[: j + 1], beta[:j], eigvalsh_tridiagonal)
        if j + 1 == steps:
            break
        scale = max(abs(alpha[j]), 1e-300)
        for restart in range(4):
            w -= Q[: j + 1].T @ (Q[: j + 1] @ w)  # full reorthogonalization, twice is enough
            w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
            b = float(np.linalg.norm(w))
            if b > 1e-10 * scale:
                break
            # breakdown: continue in a new block (beta = 0) from a random vector
            w = standard_normal(seed, 1, n, first_stream=STREAMS["bound.lanczos"].at(2 + 4 * j + restart), threads=1)[0]
            scale = 1.0
        beta[j] = b if restart == 0 else 0.0
        Q[j + 1] = w / b
    top = _top_of_tridiagonal(alpha, beta[: steps - 1], eigvalsh_tridiagonal)
    return top, (top if math.isnan(half) or steps == n else half)  # steps == n: the whole space


def _top_of_tridiagonal(a: np.ndarray, b: np.ndarray, eig: Any) -> float:
    if a.size == 1:
        return float(a[0])
    return float(eig(a, b, select="i", select_range=(a.size - 1, a.size - 1))[0])


def _dense_check(rows: np.ndarray, cols: np.ndarray, off: np.ndarray, diag: np.ndarray,
                 threads: int) -> float | None:
    """Certify ``M`` (off-diagonal entries ``off`` at ``(rows, cols)``, diagonal ``diag``) by dense Cholesky.

    Returns ``c`` with :math:`\\lambda_{\\min}(M) \\ge -c` if the factorization
    runs to completion, else None.
    """
    from scipy.linalg import lapack

    n = diag.shape[0]
    M = np.zeros((n, n))
    M[rows, cols] = off
    M[np.arange(n), np.arange(n)] = diag
    with threadpool_limits(limits=threads, user_api="blas"):
        _, info = lapack.dpotrf(M, lower=1, clean=0, overwrite_a=1)
    if info != 0:
        return None
    trace = _up(math.fsum(np.abs(diag)))
    g = _gamma(n + 1)
    under = 4.0 * (n + 2) * (2.0 * (n + 2) + float(np.max(np.abs(diag)))) * _ETA
    return _up(_up(g / (1.0 - g) * trace * (1.0 + 4 * _U)) + under)


def _sparse_check(M: Any) -> float | None:
    """Certify the sparse symmetric ``M`` by SuperLU's LU without pivoting; see the module notes."""
    from scipy.sparse.linalg import splu

    n = M.shape[0]
    try:
        lu = splu(M, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                  options={"SymmetricMode": True, "Equil": False})
    except RuntimeError:  # an exactly zero pivot
        return None
    if not np.array_equal(lu.perm_r, lu.perm_c):
        return None
    L = lu.L  # CSC, unit diagonal stored
    Lt = sp.csr_array((L.data, L.indices, L.indptr), shape=(n, n))  # L transposed, as CSR
    U = sp.csr_array(lu.U)
    Lt.sort_indices()
    U.sort_indices()
    D = U.diagonal()
    if not (np.all(D > 0) and np.all(Lt.diagonal() == 1.0)):
        return None
    # G = U - D L^T (rounding-level), and H >= |G| entrywise once the rounding of G itself is covered.
    dlt = sp.csr_array((np.repeat(D, np.diff(Lt.indptr)) * Lt.data, Lt.indices, Lt.indptr), shape=(n, n))
    if np.array_equal(U.indptr, dlt.indptr) and np.array_equal(U.indices, dlt.indices):
        H = sp.csr_array(((1.0 + 3 * _U) * np.abs(U.data - dlt.data) + 3 * _U * np.abs(dlt.data),
                          U.indices, U.indptr), shape=(n, n))
    else:
        H = (1.0 + 3 * _U) * abs(U - dlt) + 3 * _U * abs(dlt)
    Lta, Ua = abs(Lt), abs(U)
    ones = np.ones(n)
    col = Lta @ ones  # |L|^T 1
    lu_inf = float(np.max(Lta.T @ (Ua @ ones)))
    lu_one = float(np.max(Ua.T @ col))
    lg_inf = float(np.max(Lta.T @ (H @ ones)))
    lg_one = float(np.max(H.T @ col))
    if not all(math.isfinite(v) for v in (lu_inf, lu_one, lg_inf, lg_one)):
        return None
    under = 4.0 * (n + 2) * (2.0 * (n + 2) + lu_inf) * _ETA
    c = _gamma(n) * math.sqrt(lu_inf * lu_one) + math.sqrt(lg_inf * lg_one)
    return _up(c * (1.0 + 8 * (n + 2) * _U) + under)


def _choose_method(n: int, m: int) -> str:
    """Dense Cholesky for small or dense-ish graphs (LAPACK beats sparse LU's fill), else sparse."""
    return "dense" if n <= 400 or (n <= 3000 and m > 6 * n) else "sparse"


def certified_bound(graph: Any, V: Any, *, method: str = "auto", rel_tol: float = 1e-4,
                    lanczos_steps: int = 60, max_attempts: int = 6, seed: int = 0,
                    threads: int | None = 1) -> CertifiedBound:
    """A provable upper bound on the maximum cut from an SDP factor ``V``.

    The bound is :math:`\\sum_i y_i + n\\mu` with the complementary-slackness
    dual :math:`y_i = \\tfrac14\\sum_j L_{ij}\\,v_i\\cdot v_j` and a certified
    :math:`\\mu \\ge \\lambda_{\\max}(\\tfrac14 L - \\mathrm{Diag}(y))`; the module
    docstring gives the proof and how rounding errors are covered. It is valid
    for any ``V`` (an SDP stopped early, one sweep, random rows) and, when the
    SDP has converged, above the SDP value by about ``rel_tol`` of it plus the
    SDP's own duality gap.

    Parameters
    ----------
    graph : Graph or anything :func:`load_graph` accepts
    V : ndarray of shape (n, r), or an :class:`~derand_fast.maxcut.sdp.SDPResult`
        The factor; rows are normalized (a zero row is an error).
    method : {"auto", "dense", "sparse", "gershgorin"}
        How :math:`\\mu` is certified: dense Cholesky (LAPACK), sparse LU
        without pivoting (SuperLU, minimum-degree ordering), or the Gershgorin
        bound alone (no factorization; loose). ``"auto"`` picks dense for
        ``n <= 400`` and for ``n <= 3000`` with average degree above 12 (where
        the sparse factor fills in anyway), else sparse.
    rel_tol : float, default 1e-4
        First margin :math:`\\delta` above the Lanczos estimate: ``rel_tol``
        times the SDP value (at least 1 % of the total absolute weight) over
        ``n``, so it loosens the bound by that share of the SDP value; widened
        when the Lanczos estimate is still moving, and by 3× after each failed check
        (which also doubles the Lanczos steps).
    lanczos_steps : int, default 60
    max_attempts : int, default 6
        Factorizations to try before falling back to the Gershgorin bound.
    seed : int
        Seeds the Lanczos start (:func:`derand_fast.random.standard_normal`).
    threads : int or None, default 1
        BLAS threads for the dense factorization (the result does not depend on it).

    Returns
    -------
    CertifiedBound

    Raises
    ------
    ValueError
        ``V`` of the wrong shape, with NaN/inf or a zero row; a bad option.

    Examples
    --------
    The 5-cycle: SDP value :math:`5\\cos^2(\\pi/10) = 4.523`, maximum cut 4.

    >>> import networkx as nx
    >>> from derand_fast.maxcut import load_graph, solve_sdp
    >>> g = load_graph(nx.cycle_graph(5))
    >>> b = certified_bound(g, solve_sdp(g, seed=0).V)
    >>> round(b.sdp_value, 3), bool(b.sdp_value < b.upper_bound < 4.53), b.floor
    (4.523, True, 4.0)
    """
    t0 = time.perf_counter()
    g = graph if isinstance(graph, Graph) else load_graph(graph)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    rel_tol = check_positive(rel_tol, "rel_tol", upper=1.0)
    lanczos_steps = check_count(lanczos_steps, "lanczos_steps", 1)
    max_attempts = check_count(max_attempts, "max_attempts", 0)
    seed = check_count(seed, "seed", 0)
    nt = resolve_threads(threads)
    V = _factor_of(V, g.n)
    integer = bool(np.all(g.weights == np.round(g.weights)))
    wmax = float(np.max(np.abs(g.weights))) if g.m else 0.0
    if wmax == 0.0:  # every cut is 0
        return CertifiedBound(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, "no-edges", 0, time.perf_counter() - t0,
                              integer, 0.0 if integer else None)

    with threadpool_limits(limits=1, user_api="blas"):  # vector-sized BLAS calls: one thread is fastest
        return _certify(g, V, t0, method, rel_tol, lanczos_steps, max_attempts, seed, nt, integer, wmax)


def _certify(g: Graph, V: np.ndarray, t0: float, method: str, rel_tol: float, lanczos_steps: int,
             max_attempts: int, seed: int, threads: int, integer: bool, wmax: float) -> CertifiedBound:
    """The body of :func:`certified_bound` (arguments validated, at least one nonzero weight)."""
    n = g.n
    # Scale by 2^e so that max |w| is in [1, 2): exact unless a weight underflows.
    e = 1 - math.frexp(wmax)[1]
    data = np.ldexp(g.data, e)
    lost = 0.0 if np.array_equal(np.ldexp(data, -e), g.data) else g.m * _ETA
    rows = np.repeat(np.arange(n), np.diff(g.indptr))
    cols = g.indices.astype(np.int64)
    d = np.bincount(rows, weights=data, minlength=n)
    a = np.bincount(rows, weights=np.abs(data), minlength=n)
    W = sp.csr_array((data, g.indices, g.indptr), shape=(n, n))
    y = 0.25 * (d - np.einsum("ij,ij->i", V, W @ V))
    y_sum = _up(math.fsum(y))
    y_max = float(np.max(np.abs(y)))
    diag_a = 0.25 * d - y  # the diagonal of A = L/4 - Diag(y); off-diagonal entries are -w/4
    quarter = 0.25 * data

    def matvec(x: np.ndarray) -> np.ndarray:
        return diag_a * x - 0.25 * (W @ x)

    # Gershgorin, with the rounding of the computed row sums (and of d) covered.
    max_deg = int(np.max(np.diff(g.indptr)))
    slack0 = _gamma(max_deg + 4) * (y_max + 0.5 * float(np.max(a))) * (1.0 + 4 * _U)
    lam = _up(float(np.max(diag_a + 0.25 * a)) + slack0)
    chosen, attempts, theta = "gershgorin", 0, math.nan
    if method != "gershgorin" and max_attempts > 0:
        z = standard_normal(seed, 2, max(V.shape[1], n), first_stream=STREAMS["bound.lanczos"].first, threads=1)
        x0 = V @ z[0, : V.shape[1]]
        x0 = x0 / max(np.linalg.norm(x0), 1e-300) + 0.1 * z[1, :n] / np.linalg.norm(z[1, :n])
        theta, theta_half = _lanczos_top(matvec, x0, lanczos_steps, seed)
        size = max(abs(y_sum), 0.01 * float(np.sum(a)) / 2)  # the SDP value, or 1 % of the total weight
        delta = max(rel_tol * size / n, 4.0 * abs(theta - theta_half),
                    64 * _U * (y_max + float(np.max(a))))
        kind = _choose_method(n, g.m) if method == "auto" else method
        off = sp.csc_array((quarter, g.indices, g.indptr), shape=(n, n)) if kind == "sparse" else None
        while attempts < max_attempts:
            mu = theta + delta
            if mu >= lam:  # Gershgorin is already as good
                break
            attempts += 1
            diag_m = (mu + y) - 0.25 * d  # the diagonal of M = mu I - A
            if kind == "dense":
                c = _dense_check(rows, cols, quarter, diag_m, threads)
            else:
                c = _sparse_check(sp.csc_array(off + sp.diags_array(diag_m)))
            if c is not None:
                slack = _gamma(max_deg + 4) * (abs(mu) + y_max + 0.5 * float(np.max(a))) * (1.0 + 4 * _U)
                certified = _up(_up(mu + c) + slack)
                if certified < lam:
                    lam, chosen = certified, ("dense-cholesky" if kind == "dense" else "sparse-ldl")
                break
            # mu is below lambda_max: look further (twice the Lanczos steps) and widen the margin
            lanczos_steps = min(2 * lanczos_steps, n)
            theta2, theta_half = _lanczos_top(matvec, x0, lanczos_steps, seed)
            theta = max(theta, theta2)
            delta = max(_GROWTH * delta, 4.0 * abs(theta2 - theta_half))
    ub_scaled = _up(_up(y_sum + _up(n * lam)) + lost)
    if chosen == "gershgorin":
        # Diagonal dominance row by row: y'_i = y_i + max(0, r_i), r_i the Gershgorin radius end of row i,
        # makes Diag(y') - L/4 diagonally dominant with a nonnegative diagonal, hence PSD: sum y' bounds the
        # SDP (weak duality with lambda_max <= 0), and sum_i max(0, r_i) <= n max_i r_i.
        excess = np.maximum(diag_a + 0.25 * a + slack0, 0.0)
        rows_bound = _up(_up(y_sum + _up(math.fsum(excess) * (1.0 + 4 * _U))) + lost)
        ub_scaled = min(ub_scaled, rows_bound)
    ub = _up(math.ldexp(ub_scaled, -e))
    sdp_value = math.ldexp(math.fsum(y), -e)
    return CertifiedBound(
        upper_bound=ub, sdp_value=sdp_value, lambda_max=_up(math.ldexp(lam, -e)),
        ritz_value=math.ldexp(theta, -e) if math.isfinite(theta) else math.nan,
        margin=ub - sdp_value, y_sum=math.ldexp(y_sum, -e), y_max=math.ldexp(y_max, -e), method=chosen,
        attempts=attempts, time=time.perf_counter() - t0, integer_weights=integer,
        floor=float(math.floor(ub)) if integer else None)


@dataclass(frozen=True)
class FactorizationFloor:
    """Lower bounds on the cost of a sparse Cholesky-like factorization of a matrix with a graph's pattern.

    Attributes
    ----------
    lambda2 : float
        Estimate of the algebraic connectivity of the unweighted graph (a Lanczos Ritz value; NaN when it
        had not settled, and then every floor below is 0).
    separator : float
        Lower bound on the size of a balanced vertex separator, hence on the treewidth + 1.
    entries : float
        Lower bound on the factor's off-diagonal nonzeros, any ordering.
    flops : float
        Lower bound on the factorization's multiply-adds, any ordering.
    seconds : float
        ``flops`` at :data:`_FAST_FLOPS` per second: a floor on the factorization's time.
    bytes : float
        ``entries`` at 12 bytes each (a value and an index): a floor on the factor's memory.
    time : float
        Seconds spent on the estimate.
    """

    lambda2: float
    separator: float
    entries: float
    flops: float
    seconds: float
    bytes: float
    time: float


def factorization_floor(g: Graph, *, steps: int = 40, seed: int = 0) -> FactorizationFloor:
    """How much a factorization of ``mu I - A`` must cost at least, before trying one (O(steps m) time, O(n) memory).

    **Argument.** A graph of treewidth :math:`k` has a vertex separator
    :math:`S`, :math:`|S| \\le k + 1`, whose removal leaves components of at
    most :math:`(n - |S|)/2` nodes (Robertson & Seymour), so two groups
    :math:`A, B` of them with :math:`|A|, |B| \\ge R/3`, :math:`R = n - |S|`.
    The vector equal to :math:`1/|A|` on :math:`A`, :math:`-1/|B|` on
    :math:`B` and 0 on :math:`S` is orthogonal to the constants, and only
    edges at :math:`S` (at most :math:`\\Delta |S|`, :math:`\\Delta` the
    maximum degree) enter its Rayleigh quotient, which gives
    :math:`\\lambda_2 \\le 9\\Delta|S|/(4R)`, i.e.
    :math:`|S| \\ge 4\\lambda_2 n/(9\\Delta + 4\\lambda_2)` for the unweighted
    Laplacian. Every elimination ordering's filled graph is chordal with a
    clique of :math:`\\omega \\ge k + 1 \\ge |S|` nodes, so the factor has at
    least :math:`\\omega(\\omega - 1)/2` off-diagonal entries and its
    elimination costs at least :math:`\\sum_{c < \\omega} c^2/2 \\approx
    \\omega^3/6` multiply-adds. Expanders (:math:`\\lambda_2` bounded below)
    thus need :math:`\\Omega(n^2)` memory and :math:`\\Omega(n^3)` work; planar
    and mesh-like graphs get a small floor and are tried.

    :math:`\\lambda_2` is estimated by ``steps`` Lanczos steps on the Laplacian
    restricted to the complement of the constants (three-term recurrence, no
    stored basis); a Ritz value lies above :math:`\\lambda_2`, so the estimate is
    used only when it has settled (within 25 % of the one after half as many
    steps; checked every 10 steps from 20 on, up to ``steps``), and lowered
    by 20 %. It decides whether a factorization is worth starting; it
    certifies nothing, and a wrong estimate costs a looser (still valid)
    bound, never a wrong one.
    """
    from scipy.linalg import eigvalsh_tridiagonal

    t0 = time.perf_counter()
    n = g.n
    deg = np.diff(g.indptr).astype(np.float64)
    zero = FactorizationFloor(math.nan, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if n < 3 or g.m == 0:
        return FactorizationFloor(**{**zero.__dict__, "time": time.perf_counter() - t0})
    pattern = sp.csr_array((np.ones(g.indices.shape[0]), g.indices, g.indptr), shape=(n, n))
    x = standard_normal(seed, 1, n, first_stream=STREAMS["bound.floor"].first, threads=1)[0]
    x -= x.mean()
    x /= np.linalg.norm(x)
    prev = np.zeros(n)
    alpha: list[float] = []
    beta: list[float] = []
    b = 0.0
    steps = max(2, min(int(steps), n - 1))

    def lowest(k: int) -> float:
        return float(eigvalsh_tridiagonal(np.asarray(alpha[:k]), np.asarray(beta[: k - 1]),
                                          select="i", select_range=(0, 0))[0])

    def settled(k: int) -> tuple[float, bool]:
        theta = lowest(k)
        return theta, theta > 0 and abs(lowest(max(1, k // 2)) - theta) <= 0.25 * theta

    theta, ok = math.nan, False
    for step in range(1, steps + 1):
        w = deg * x - pattern @ x
        w -= w.mean()  # stay orthogonal to the constants (the kernel)
        a = float(x @ w)
        alpha.append(a)
        if step % 10 == 0 and step >= 20:  # stop as soon as the estimate has settled
            theta, ok = settled(step)
            if ok:
                break
        w -= a * x + b * prev
        b = float(np.linalg.norm(w))
        if b <= 1e-12 * max(abs(a), 1.0):
            break
        beta.append(b)
        prev, x = x, w / b
    if not ok and len(alpha) % 10:
        theta, ok = settled(len(alpha))
    if not ok:
        return FactorizationFloor(**{**zero.__dict__, "time": time.perf_counter() - t0})
    lam = 0.8 * theta
    delta_max = float(deg.max())
    sep = 4.0 * lam * n / (9.0 * delta_max + 4.0 * lam)
    entries = sep * max(sep - 1.0, 0.0) / 2.0
    flops = max(sep - 1.0, 0.0) ** 3 / 6.0
    return FactorizationFloor(lambda2=theta, separator=sep, entries=entries, flops=flops,
                              seconds=flops / _FAST_FLOPS, bytes=12.0 * entries, time=time.perf_counter() - t0)


def certified_bound_within(graph: Graph, V: Any, seconds: float, *, seed: int = 0,
                           control: RunControl | None = None) -> CertifiedBound:
    """:func:`certified_bound` with a time budget: the factorization never holds the run up.

    The factorization's cost depends on the graph's fill-in (milliseconds on
    a torus, minutes on a large expander) and SciPy's SuperLU holds the
    GIL, so the certificate is computed in a forked child process that is
    stopped when ``seconds`` run out or the run is stopped (``control``);
    the bound then falls back to the Gershgorin certificate, computed here
    in O(m r) (``method="gershgorin"``: valid, looser). Above 3000 nodes,
    :func:`factorization_floor` first bounds the factorization's cost from
    below (O(m) per Lanczos step): when even that floor exceeds the budget
    or half the machine's memory (an expander of millions of nodes), no
    child is started and the Gershgorin certificate comes at once. Where no child can be
    forked (non-POSIX, or a daemonic process such as a Dask worker) graphs up
    to 3000 nodes get the dense check in this process and larger ones the
    Gershgorin certificate.

    Parameters
    ----------
    graph : Graph
    V : ndarray, shape (n, r)
    seconds : float
        Budget of the factorization (``inf``: none).
    seed : int
    control : RunControl, optional
        The run's control: its deadline caps the budget and its stop flag ends the wait.

    Returns
    -------
    CertifiedBound
    """
    import multiprocessing as mp

    ctl = as_control(control)
    end = min(time.perf_counter() + float(seconds), ctl.deadline)
    if "fork" not in mp.get_all_start_methods() or mp.current_process().daemon:
        # no child process possible (non-POSIX, or a daemonic worker such as Dask's or a Pool's): the dense
        # check has a predictable cost and runs here; larger graphs get the Gershgorin certificate
        if graph.n <= _DENSE_IN_PROCESS:
            return certified_bound(graph, V, seed=seed, method="dense")
        return certified_bound(graph, V, method="gershgorin", seed=seed)
    if graph.n > _DENSE_IN_PROCESS:
        # a factorization that cannot fit in the time or the memory is not started (factorization_floor)
        from .graph import _physical_memory

        floor = factorization_floor(graph, seed=seed)
        memory = _physical_memory()
        if floor.seconds > end - time.perf_counter() or (memory is not None and floor.bytes > memory / 2):
            return certified_bound(graph, V, method="gershgorin", seed=seed)
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:  # pragma: no cover - runs in the forked process
        try:
            send.send(certified_bound(graph, V, seed=seed))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which falls back
            send.send(exc)

    proc = ctx.Process(target=child, daemon=True)
    result: Any = None
    try:
        proc.start()
        send.close()
        while ctl.poll() is None and time.perf_counter() < end:
            if receive.poll(0.05):
                result = receive.recv()
                break
            if not proc.is_alive() and not receive.poll(0.0):
                break
    except (EOFError, OSError):
        result = None
    except KeyboardInterrupt:
        ctl.interrupt()
    finally:
        if proc.pid is not None:  # started
            if proc.is_alive():
                proc.kill()
            proc.join()
        receive.close()
    if isinstance(result, CertifiedBound):
        return result
    return certified_bound(graph, V, method="gershgorin", seed=seed)
