"""Ising and QUBO problems through the MAXCUT pipeline, with a certified lower bound on the energy.

**Reduction** (Barahona, Grötschel, Jünger & Reinelt 1988). An Ising energy
:math:`E(s) = \\sum_i h_i s_i + \\sum_{ij} J_{ij} s_i s_j + c` over
:math:`s \\in \\{\\pm1\\}^n` does not change when every spin and an auxiliary
spin :math:`s_a = 1` flip together, so it equals
:math:`\\sum_{e} w_e\\, x_u x_v + c` on a graph of :math:`n + 1` nodes with
:math:`x_i = s_i s_a`: an edge :math:`\\{i, j\\}` of weight :math:`J_{ij}` per
coupling and an edge :math:`\\{i, a\\}` of weight :math:`h_i` per field. Since
:math:`x_u x_v = 1 - 2[x_u \\ne x_v]`,

.. math::

    E = W + c - 2\\,\\mathrm{cut}(x), \\qquad W = \\textstyle\\sum_e w_e,

so minimizing the energy is maximizing the cut, and a certified upper bound
:math:`U` on the maximum cut (:func:`derand_fast.maxcut.bound.certified_bound`)
gives the certified lower bound :math:`W + c - 2U` on the minimum energy.
A QUBO :math:`\\sum Q_{ij} x_i x_j` over :math:`x \\in \\{0, 1\\}^n` is first
written in spins, :math:`x = (1 + s)/2`.

The energies reported are evaluated from the problem as given (not from the
graph); the rounding of the conversion (sums of coefficients) is bounded and
subtracted from the lower bound, which is rounded downward.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._io import read_json, write_json
from ._threads import threads_for
from ._validation import check_array
from .maxcut.graph import Graph
from .maxcut.result import MaxCutResult, _json_label, _label_from_json, _package_version
from .maxcut.solve import maxcut

__all__ = ["IsingResult", "solve_ising", "solve_qubo", "ising_energy", "qubo_energy", "read_qubo", "read_ising"]

_U = 2.0**-53


@dataclass
class IsingResult:
    """Outcome of :func:`solve_ising` or :func:`solve_qubo`.

    Attributes
    ----------
    sample : dict
        Label -> value: ±1 spins (``vartype="SPIN"``) or 0/1 (``"BINARY"``).
    energy : float
        Energy of ``sample``, evaluated from the problem as given.
    lower_bound : float
        Certified: no assignment has a lower energy.
    gap : float
        ``(energy - lower_bound) / max(|energy|, |lower_bound|)`` (0 when both are 0),
        in [0, 2]; 0 means ``sample`` is proved optimal.
    optimal : bool
        ``energy <= lower_bound``.
    vartype : str
        ``"SPIN"`` or ``"BINARY"``.
    n, m : int
        Variables and interactions (nonzero couplings after merging duplicates).
    status : int
        The pipeline's :class:`~derand_fast.runcontrol.Status` (completed, time
        limit, interrupted, terminated); ``message`` the text.
    message : str
    seed, threads : int
    times : dict of float
        The MAXCUT pipeline's stages plus ``bound`` (SDP and certificate) and ``total``.
    maxcut : MaxCutResult
        The run on the reduced graph (node ``n`` is the auxiliary spin).
    bound : float or None
        The certified upper bound on the reduced graph's maximum cut behind
        ``lower_bound`` (``maxcut.bound_info`` says how it was certified; None
        for a problem without interactions).
    version : str
        The package version that produced the result (kept by the JSON round trip).
    """

    sample: dict[Hashable, int]
    energy: float
    lower_bound: float
    gap: float
    optimal: bool
    vartype: str
    n: int
    m: int
    status: int
    message: str
    seed: int
    threads: int
    times: dict[str, float] = field(default_factory=dict)
    maxcut: MaxCutResult | None = None
    bound: float | None = None
    version: str = field(default_factory=_package_version)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: ``version, n, m, energy, lower_bound, gap, optimal, sample, seed, threads, times,
        status, message, bound`` (and ``labels``).

        ``sample`` maps ``str(label)`` to the value (JSON keys are strings);
        when some label is not a string, ``labels`` lists them in the same
        order as JSON values (tuples as lists), so :meth:`from_json` restores them.
        """
        d = {"version": self.version, "n": self.n, "m": self.m, "vartype": self.vartype, "energy": self.energy,
             "lower_bound": self.lower_bound, "gap": self.gap, "optimal": self.optimal,
             "sample": {str(k): int(v) for k, v in self.sample.items()}, "seed": self.seed,
             "threads": self.threads, "times": dict(self.times), "status": int(self.status),
             "message": self.message, "bound": self.bound}
        if not all(isinstance(k, str) for k in self.sample):
            d["labels"] = [_json_label(k) for k in self.sample]
        return d

    @classmethod
    def from_json(cls, source: str | Path) -> IsingResult:
        """A result back from :meth:`to_json`'s text or file (without ``maxcut``, the reduced graph's run).

        Examples
        --------
        >>> r = solve_qubo({(0, 0): -1.0, (1, 1): -1.0, (0, 1): 2.0}, seed=0, threads=1)
        >>> again = IsingResult.from_json(r.to_json())
        >>> again.sample == r.sample, again.energy == r.energy, again.version == r.version
        (True, True, True)
        """
        d = read_json(source)
        values = list(d["sample"].values())
        keys = [_label_from_json(k) for k in d["labels"]] if "labels" in d else list(d["sample"])
        return cls(sample={k: int(v) for k, v in zip(keys, values)}, energy=float(d["energy"]),
                   lower_bound=float(d["lower_bound"]), gap=float(d["gap"]), optimal=bool(d["optimal"]),
                   vartype=d["vartype"], n=int(d["n"]), m=int(d["m"]), status=int(d["status"]),
                   message=d.get("message", ""), seed=int(d["seed"]), threads=int(d["threads"]),
                   times=dict(d.get("times", {})), bound=d.get("bound"), version=d.get("version", "unknown"))

    def summary(self) -> str:
        """A readable report: energy, certified lower bound, gap, times and status."""
        kind = "QUBO" if self.vartype == "BINARY" else "Ising"
        lines = [f"{kind}: n = {self.n:,} variables, m = {self.m:,} interactions   "
                 f"(seed {self.seed}, {self.threads} thread(s))", "",
                 f"  {'ENERGY':<36}{self.energy:>16,.6g}",
                 f"  {'certified lower bound':<36}{self.lower_bound:>16,.6g}   "
                 + ("proven optimal" if self.optimal else f"gap <= {100 * self.gap:.3f} %")]
        t = self.times
        stages = ", ".join(f"{k} {v:.2f}" for k, v in t.items() if k != "total")
        lines.append(f"  time {t.get('total', 0.0):.2f} s ({stages})")
        if self.status != 0:
            lines.append(f"  status: {self.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self, path: str | Path | None = None) -> str:
        """The :meth:`to_dict` JSON text; also written to ``path`` when given (atomically)."""
        return write_json(self.to_dict(), path)


# --------------------------------------------------------------------------- input


@dataclass
class _Problem:
    """Labels and unmerged coefficient parts: linear ``(lin_i, lin_w)``, quadratic ``(qi, qj, qw)``, offset."""

    labels: list[Hashable]
    lin_i: np.ndarray
    lin_w: np.ndarray
    qi: np.ndarray
    qj: np.ndarray
    qw: np.ndarray
    offset: list[float]


def _coefficients(values: Any, what: str) -> np.ndarray:
    """Coefficients as float64 (:func:`~derand_fast._validation.check_array`: real, finite; empty and bool allowed)."""
    return check_array(values, what, allow_empty=True, allow_bool=True)


def _is_sparse(x: Any) -> bool:
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - SciPy is a dependency
        return False
    return sp.issparse(x)


def _quadratic(Q: Any, what: str) -> tuple[list | None, np.ndarray, np.ndarray, np.ndarray, int]:
    """``(labels of a dict or None, i, j, w, size of an array or 0)``; dict keys stay labels."""
    if Q is None:
        return None, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), 0
    if isinstance(Q, Mapping):
        labels: list[Hashable] = []
        index: dict[Hashable, int] = {}
        ii, jj, ww = [], [], []
        for key, value in Q.items():
            try:
                u, v = key
            except (TypeError, ValueError):
                raise ValueError(f"{what} keys must be pairs of labels, got {key!r}") from None
            for lab in (u, v):
                if lab not in index:
                    index[lab] = len(labels)
                    labels.append(lab)
            ii.append(index[u])
            jj.append(index[v])
            ww.append(value)
        w = _coefficients(np.asarray(ww, dtype=np.float64) if ww else np.zeros(0), what)
        return labels, np.asarray(ii, np.int64), np.asarray(jj, np.int64), w, 0
    if _is_sparse(Q):
        coo = Q.tocoo()
        if coo.shape[0] != coo.shape[1]:
            raise ValueError(f"{what} must be square, got shape {coo.shape}")
        keep = coo.data != 0
        return (None, np.asarray(coo.row, np.int64)[keep], np.asarray(coo.col, np.int64)[keep],
                _coefficients(np.asarray(coo.data)[keep], what), coo.shape[0])
    A = np.asarray(Q)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"{what} must be a dict, a square array or a scipy.sparse matrix, got shape {A.shape}")
    A = _coefficients(A, what)
    i, j = np.nonzero(A)
    return None, i.astype(np.int64), j.astype(np.int64), A[i, j], A.shape[0]


def _linear(h: Any) -> tuple[list | None, np.ndarray, np.ndarray, int]:
    """``(labels of a dict or None, index, value, size of an array or 0)`` of the fields."""
    if h is None:
        return None, np.zeros(0, np.int64), np.zeros(0), 0
    if isinstance(h, Mapping):
        labels = list(h.keys())
        w = _coefficients(np.asarray(list(h.values()), dtype=np.float64) if labels else np.zeros(0), "h")
        return labels, np.arange(len(labels), dtype=np.int64), w, 0
    a = np.asarray(h)
    if a.ndim != 1:
        raise ValueError(f"h must be a dict or a 1-D array, got shape {a.shape}")
    a = _coefficients(a, "h")
    return None, np.arange(a.size, dtype=np.int64), a, a.size


def _problem(h: Any, J: Any, what: str) -> _Problem:
    """Merge the linear and quadratic inputs over one label set (dict labels first-seen order)."""
    hl, hi, hw, hn = _linear(h)
    ql, qi, qj, qw, qn = _quadratic(J, what)
    if hl is None and ql is None:  # arrays only: labels 0..n-1
        if hn and qn and hn != qn:
            raise ValueError(f"h has {hn} entries but {what} is {qn} x {qn}")
        labels: list[Hashable] = list(range(max(hn, qn)))
    else:
        labels, index = [], {}
        for part in (hl if hl is not None else range(hn), ql if ql is not None else range(qn)):
            for lab in part:
                if lab not in index:
                    index[lab] = len(labels)
                    labels.append(lab)
        if hl is not None:
            hi = np.asarray([index[lab] for lab in hl], np.int64)
        if ql is not None:
            remap = np.asarray([index[lab] for lab in ql], np.int64)
            qi, qj = remap[qi], remap[qj]
    return _Problem(labels, hi, hw, qi, qj, qw, [])


# --------------------------------------------------------------------------- energies


def _spins(problem: _Problem, sample: Mapping) -> np.ndarray:
    try:
        return np.asarray([sample[lab] for lab in problem.labels], dtype=np.float64)
    except KeyError as exc:
        raise ValueError(f"sample has no value for label {exc.args[0]!r}") from None


def ising_energy(h: Any, J: Any, sample: Mapping, offset: float = 0.0) -> float:
    """:math:`\\sum_i h_i s_i + \\sum_{ij} J_{ij} s_i s_j` + ``offset``, summed exactly (``math.fsum``).

    ``h`` and ``J`` as for :func:`solve_ising`; ``sample`` maps every label to ±1.

    Examples
    --------
    >>> ising_energy({"a": 1.0}, {("a", "b"): -2.0}, {"a": -1, "b": -1})
    -3.0
    """
    p = _problem(h, J, "J")
    if any(int(i) == int(j) for i, j in zip(p.qi, p.qj)):
        raise ValueError("J has a key (i, i): a spin's square is 1, put constants in offset")
    s = _spins(p, sample)
    if not np.all(np.abs(s) == 1):
        raise ValueError("sample values must be -1 or +1")
    return math.fsum([*(p.lin_w * s[p.lin_i]), *(p.qw * s[p.qi] * s[p.qj]), float(offset)])


def qubo_energy(Q: Any, sample: Mapping, offset: float = 0.0) -> float:
    """:math:`\\sum_{ij} Q_{ij} x_i x_j` + ``offset`` over the keys (entries) as given, summed exactly.

    Examples
    --------
    >>> qubo_energy({(0, 0): -1.0, (0, 1): 2.0, (1, 1): -1.0}, {0: 1, 1: 0})
    -1.0
    """
    p = _problem(None, Q, "Q")
    x = _spins(p, sample)
    if not np.all((x == 0) | (x == 1)):
        raise ValueError("sample values must be 0 or 1")
    return math.fsum([*(p.qw * x[p.qi] * x[p.qj]), float(offset)])


# --------------------------------------------------------------------------- solving


def _initial(initial_state: Any, problem: _Problem, binary: bool) -> np.ndarray | None:
    """A warm start as a ±1 partition of the reduced graph (auxiliary node +1)."""
    if initial_state is None:
        return None
    state = initial_state.sample if isinstance(initial_state, IsingResult) else initial_state
    if isinstance(state, Mapping):
        vals = _spins(problem, state)
    else:
        vals = np.asarray(state, dtype=np.float64).reshape(-1)
        if vals.size != len(problem.labels):
            raise ValueError(f"initial_state has {vals.size} values for {len(problem.labels)} variables")
    ok = (vals == 0) | (vals == 1) if binary else np.abs(vals) == 1
    if not np.all(ok):
        raise ValueError(f"initial_state values must be {'0 or 1' if binary else '-1 or +1'}")
    s = 2 * vals - 1 if binary else vals
    return np.concatenate([s, [1.0]]).astype(np.int8)


def _sum_down(terms: list[float]) -> float:
    """The largest float not above the exact sum of ``terms``.

    ``math.fsum`` rounds the exact sum correctly, so the correctly rounded
    residual has the sign of the exact error: one step down when it is negative.
    """
    r = math.fsum(terms)
    return r if math.fsum([*terms, -r]) >= 0 else math.nextafter(r, -math.inf)


def _solve(problem: _Problem, binary: bool, energy_of: Any, initial_state: Any,
           options: dict[str, Any]) -> IsingResult:
    """Reduce the spin problem (parts in ``problem``) to MAXCUT, run the pipeline, certify, map back."""
    t0 = time.perf_counter()
    n = len(problem.labels)
    if n == 0:
        raise ValueError("the problem has no variables")
    diag = problem.qi == problem.qj
    if np.any(diag):
        first = int(np.flatnonzero(diag)[0])
        raise ValueError(f"J has a key (i, i) for label {problem.labels[int(problem.qi[first])]!r}: "
                         "a spin's square is 1, put constants in offset")
    # edges of the reduced graph: couplings, then fields on (i, auxiliary node n)
    eu = np.concatenate([problem.qi, problem.lin_i])
    ev = np.concatenate([problem.qj, np.full(problem.lin_i.size, n, np.int64)])
    ew = np.concatenate([problem.qw, problem.lin_w])
    keep = ew != 0
    eu, ev, ew = eu[keep], ev[keep], ew[keep]
    # scale by 2^k (k <= 2, exact) when that makes every part an integer, so the bound can be floored
    k = next((k for k in range(3) if np.all(np.ldexp(ew, k) == np.round(np.ldexp(ew, k)))), None)
    ew = np.ldexp(ew, k or 0)
    # rounding of Graph.from_edges summing the parts of one edge: at most gamma_(mult-1) sum |parts|,
    # none for integers below 2^53
    lo, hi = np.minimum(eu, ev), np.maximum(eu, ev)
    _, mult = np.unique(lo * (n + 1) + hi, return_counts=True)
    kmax = int(mult.max()) if mult.size else 1
    total = math.fsum(np.abs(ew))
    exact = k is not None and total < 2.0**53
    merge_err = 0.0 if exact else (kmax - 1) * _U / (1 - (kmax - 1) * _U) * total * (1 + 4 * _U)
    k = k or 0
    threads = options.get("threads")
    seed = int(options.get("seed", 0))
    graph = Graph.from_edges(n + 1, eu, ev, ew, name="ising")
    m = int(np.count_nonzero(graph.v < n))  # edges not on the auxiliary node (the largest label)
    x0 = _initial(initial_state, problem, binary)
    if graph.m == 0 or not np.any(graph.weights):  # no interactions: every assignment has the same energy
        x = np.ones(n + 1, np.int8) if x0 is None else x0
        res, b, t_bound = None, None, 0.0
        status, message, times = 0, "completed", {}
    else:
        res = maxcut(graph, initial=x0, **options)
        x = res.partition
        # the certificate maxcut() computed from its SDP factor; without one (stopped before the SDP), the
        # trivial bound: no cut exceeds the sum of the positive weights (rounded up)
        b = res.upper_bound
        if b is None:
            b = math.nextafter(math.fsum(np.maximum(graph.weights, 0.0)), math.inf)
        t_bound = res.times.get("bound", 0.0)
        status, message, times = int(res.status), res.message, dict(res.times)
    spins = (x[:n].astype(np.int64) * int(x[n]))
    values = (spins + 1) // 2 if binary else spins
    sample = {lab: int(v) for lab, v in zip(problem.labels, values)}
    energy = energy_of(sample)
    # energy = 2^-k (sum_e w_e x_u x_v +- merge_err) + offset and sum_e w_e x_u x_v = W - 2 cut >= W - 2 bound
    bound = 0.0 if b is None else float(b)
    lb = _sum_down([*np.ldexp(graph.weights, -k), -math.ldexp(2.0 * bound, -k), -math.ldexp(merge_err, -k),
                    *problem.offset])
    scale = max(abs(energy), abs(lb))
    times["bound"] = t_bound
    times["total"] = time.perf_counter() - t0
    return IsingResult(sample=sample, energy=energy, lower_bound=lb,
                       gap=0.0 if scale == 0 else max(0.0, (energy - lb) / scale), optimal=energy <= lb,
                       vartype="BINARY" if binary else "SPIN", n=n, m=m, status=status, message=message,
                       seed=seed, threads=threads_for(threads, graph.n + graph.m, "graph"), times=times, maxcut=res,
                       bound=b)


def solve_ising(h: Any, J: Any, *, offset: float = 0.0, initial_state: Any = None,
                **maxcut_options: Any) -> IsingResult:
    """Minimize :math:`\\sum_i h_i s_i + \\sum_{ij} J_{ij} s_i s_j` + ``offset`` over :math:`s \\in \\{\\pm1\\}`.

    Through :func:`derand_fast.maxcut.maxcut` on the reduced graph (module
    docstring), with a certified lower bound on the energy.

    Parameters
    ----------
    h : dict label -> float, 1-D array, or None
        Fields.
    J : dict (label, label) -> float, square array, scipy.sparse matrix, or None
        Couplings, summed over the keys (entries) as given: a dense or sparse
        matrix with both triangles set counts both (``J[i, j] + J[j, i]``).
        A key ``(i, i)`` or a nonzero diagonal is an error (:math:`s_i^2 = 1`).
    offset : float
        A constant added to the energy.
    initial_state : dict label -> ±1, array of ±1, or an IsingResult, optional
        A warm start, kept as a candidate and polished (it can only improve the answer).
    **maxcut_options
        Passed to :func:`derand_fast.maxcut.maxcut` (``seed``, ``threads``,
        ``rounding``, ``time_limit``, ``local_search``, ...).

    Returns
    -------
    IsingResult

    Raises
    ------
    ValueError
        Non-finite coefficients, a key ``(i, i)``, an empty problem, shapes that disagree.

    Examples
    --------
    An antiferromagnetic triangle (frustrated: the best energy is -1) in a field:

    >>> J = {("a", "b"): 1.0, ("b", "c"): 1.0, ("a", "c"): 1.0}
    >>> r = solve_ising({"a": 0.5}, J, seed=0, threads=1)
    >>> r.energy, r.lower_bound <= r.energy, sorted(r.sample)
    (-1.5, True, ['a', 'b', 'c'])
    """
    p = _problem(h, J, "J")
    p.offset = [float(_coefficients(np.asarray([offset]), "offset")[0])]
    return _solve(p, False, lambda s: ising_energy(h, J, s, offset), initial_state, maxcut_options)


def solve_qubo(Q: Any, *, offset: float = 0.0, initial_state: Any = None, **maxcut_options: Any) -> IsingResult:
    """Minimize :math:`\\sum_{ij} Q_{ij} x_i x_j` + ``offset`` over :math:`x \\in \\{0, 1\\}`.

    dimod's convention: the sum runs over the keys as given, a key ``(i, i)``
    is the linear term :math:`Q_{ii} x_i`, and a dense or sparse matrix counts
    every entry (so :math:`x^\\top Q x`, both triangles). The QUBO becomes an
    Ising problem by :math:`x = (1 + s)/2` and goes through :func:`solve_ising`'s
    reduction.

    Parameters
    ----------
    Q : dict (label, label) -> float, square array, or scipy.sparse matrix
    offset : float
    initial_state : dict label -> 0/1, array of 0/1, or an IsingResult, optional
    **maxcut_options
        As for :func:`solve_ising`.

    Returns
    -------
    IsingResult
        ``sample`` values are 0/1.

    Examples
    --------
    >>> r = solve_qubo({(0, 0): -1.0, (1, 1): -1.0, (0, 1): 2.0}, seed=0, threads=1)
    >>> r.energy, r.optimal
    (-1.0, True)
    """
    p = _problem(None, Q, "Q")
    off = float(_coefficients(np.asarray([offset]), "offset")[0])
    d = p.qi == p.qj
    qi, qj, qw = p.qi[~d], p.qj[~d], p.qw[~d]
    # x_i x_j = (1 + s_i + s_j + s_i s_j)/4 (i != j), x_i^2 = x_i = (1 + s_i)/2 — every part exact
    p = _Problem(p.labels, np.concatenate([p.qi[d], qi, qj]),
                 np.concatenate([p.qw[d] / 2, qw / 4, qw / 4]), qi, qj, qw / 4,
                 [off, *(p.qw[d] / 2), *(qw / 4)])
    return _solve(p, True, lambda x: qubo_energy(Q, x, offset), initial_state, maxcut_options)


# --------------------------------------------------------------------------- files


def _numbers(path: str | Path) -> list[list[str]]:
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            s = line.split("#", 1)[0].split("%", 1)[0].strip()
            if s:
                lines.append(s.split())
    return lines


def read_qubo(path: str | Path) -> dict[tuple[int, int], float]:
    """A Biq Mac ``.sparse`` BQP file as a QUBO dict for :func:`solve_qubo`.

    Format (Biq Mac library): comment lines start with ``#``; then ``n m``;
    then ``m`` lines ``i j q`` (1-based, usually the upper triangle and the
    diagonal) of a symmetric ``Q``, objective :math:`\\min x^\\top Q x`. So an
    off-diagonal line stands for both ``Q[i, j]`` and ``Q[j, i]``: it becomes the
    key ``(i, j)`` with value ``2q``; a diagonal line the key ``(i, i)`` with ``q``.
    Labels are the file's 1-based ids; repeated lines add up.

    Returns
    -------
    dict (i, j) -> float
    """
    rows = _numbers(path)
    if not rows or len(rows[0]) != 2:
        raise ValueError(f"{path}: the first line must be 'n m'")
    n, m = (int(t) for t in rows[0])
    body = rows[1:]
    if len(body) != m:
        raise ValueError(f"{path}: header says {m} entries, found {len(body)}")
    Q: dict[tuple[int, int], float] = {}
    for k, r in enumerate(body, start=2):
        if len(r) != 3:
            raise ValueError(f"{path}: entry {k - 1} must be 'i j q', got {' '.join(r)!r}")
        i, j, q = int(r[0]), int(r[1]), float(r[2])
        if not (1 <= i <= n and 1 <= j <= n):
            raise ValueError(f"{path}: entry {k - 1} has an index outside 1..{n}")
        if not math.isfinite(q):
            raise ValueError(f"{path}: entry {k - 1} is not finite")
        key = (min(i, j), max(i, j))
        Q[key] = Q.get(key, 0.0) + (q if i == j else 2.0 * q)
    return Q


def read_ising(path: str | Path,
               h_path: str | Path | None = None) -> tuple[dict[int, float], dict[tuple[int, int], float]]:
    """An Ising edge list: lines ``i j J`` (couplings) and ``i h`` (fields), for :func:`solve_ising`.

    Comment lines start with ``#`` or ``%``. The fields may also come from a
    second file ``h_path`` of ``i h`` lines. Labels are the ids as written
    (ints); repeated lines add up.

    Returns
    -------
    h : dict int -> float
    J : dict (int, int) -> float
    """
    h: dict[int, float] = {}
    J: dict[tuple[int, int], float] = {}
    for source, allowed in ((path, (2, 3)), (h_path, (2,))):
        if source is None:
            continue
        for k, r in enumerate(_numbers(source), start=1):
            if len(r) not in allowed:
                raise ValueError(f"{source}: line {k} must be " + ("'i j J' or 'i h'" if 3 in allowed else "'i h'")
                                 + f", got {' '.join(r)!r}")
            value = float(r[-1])
            if not math.isfinite(value):
                raise ValueError(f"{source}: line {k} is not finite")
            if len(r) == 2:
                i = int(r[0])
                h[i] = h.get(i, 0.0) + value
            else:
                i, j = int(r[0]), int(r[1])
                if i == j:
                    raise ValueError(f"{source}: line {k} couples {i} with itself")
                J[(i, j)] = J.get((i, j), 0.0) + value
    return h, J
