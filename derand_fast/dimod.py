"""A dimod sampler: binary quadratic models through the MAXCUT pipeline, with a certified lower bound.

:class:`DerandSampler` is a :class:`dimod.Sampler` (needs the optional extra:
``pip install derand_fast[dimod]``). It reduces a SPIN model to MAXCUT and a
BINARY one through :math:`x = (1 + s)/2` exactly as
:func:`derand_fast.ising.solve_ising` and :func:`~derand_fast.ising.solve_qubo`
do (Barahona et al.'s reduction, one auxiliary node for the linear terms),
runs the SDP, the rounding and the polish (paper §5.1), and returns one
sample: the best assignment found, its energy (computed by dimod from the
model) and, in ``info``, the certified lower bound from the SDP's dual
certificate (weak duality, paper §5.1), the gap, the timings and the status.

Examples
--------
>>> from derand_fast.dimod import DerandSampler
>>> ss = DerandSampler(seed=0, threads=1).sample_ising({"a": 0.5}, {("a", "b"): 1.0, ("b", "c"): 1.0,
...                                                                 ("a", "c"): 1.0})
>>> energy = float(ss.first.energy)
>>> energy, ss.info["lower_bound"] <= energy, sorted(ss.variables)
(-1.5, True, ['a', 'b', 'c'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

try:
    import dimod
except ImportError:  # pragma: no cover - exercised only without the extra
    raise ImportError("derand_fast.dimod needs dimod: pip install 'derand_fast[dimod]'") from None

from ._validation import renamed
from .ising import IsingResult, solve_ising, solve_qubo
from .runcontrol import RunControl

__all__ = ["DerandSampler"]

#: keyword arguments of :meth:`DerandSampler.sample` (dimod's ``parameters``: name -> relevant properties)
PARAMETERS: dict[str, list[str]] = {
    "time_limit": [], "seed": [], "threads": [], "initial_state": [], "rounding": [], "n_hyperplanes": [],
    "local_search": [], "local_search_sweeps": [], "local_search_moves": [], "local_search_time": [], "rank": [],
    "max_rank": [], "sdp_tol": [], "max_sweeps": [],
}

#: former parameter names -> their names now (still accepted, with a DeprecationWarning)
_RENAMED = {"polish_sweeps": "local_search_sweeps", "polish_moves": "local_search_moves",
            "polish_time": "local_search_time"}


def _current_names(options: dict[str, Any], stacklevel: int = 4) -> dict[str, Any]:
    """``options`` with the former parameter names replaced by the current ones (DeprecationWarning)."""
    out = dict(options)
    for old, new in _RENAMED.items():
        if old in out:
            out[new] = renamed(out.get(new), out.pop(old), old, new, stacklevel=stacklevel)
    return out


class DerandSampler(dimod.Sampler):
    """Minimize a binary quadratic model by the derandomized MAXCUT pipeline; one sample, certified bound.

    Parameters
    ----------
    **defaults
        Default values of :attr:`parameters` (``seed``, ``threads``,
        ``time_limit``, ``rounding``, ...) for every call; a call's own
        keyword arguments override them.

    Notes
    -----
    :meth:`sample` returns a :class:`dimod.SampleSet` with one sample (the
    best found) and ``info``:

    ``lower_bound``
        Certified: no assignment has a lower energy (for the model's
        coefficients read as exact binary floats).
    ``gap``
        ``(energy - lower_bound) / max(|energy|, |lower_bound|)``; 0 proves the sample optimal.
    ``optimal``
        ``energy <= lower_bound``.
    ``timing``
        Seconds per stage of the pipeline (``sdp``, ``bound``, ``gw``, ``rounding``, ``local_search``, ``total``).
    ``status``, ``message``
        :class:`~derand_fast.runcontrol.Status` as an int and its text (completed, time limit, ...).
    ``seed``, ``threads``
        As used.

    Same ``seed`` and options give the same sample whatever ``threads`` is,
    except under a ``time_limit`` (then the result depends on the machine's speed).
    """

    def __init__(self, **defaults: Any) -> None:
        defaults = _current_names(defaults)
        unknown = sorted(set(defaults) - set(PARAMETERS))
        if unknown:
            raise TypeError(f"DerandSampler got unknown parameter(s) {', '.join(map(repr, unknown))}; "
                            f"known: {', '.join(PARAMETERS)}")
        self._defaults = dict(defaults)

    @property
    def parameters(self) -> dict[str, list[str]]:
        """Keyword arguments accepted by :meth:`sample` (dimod's convention: name -> relevant properties)."""
        return {k: list(v) for k, v in PARAMETERS.items()}

    @property
    def properties(self) -> dict[str, Any]:
        """Sampler description: ``description``, ``version``, ``certified_lower_bound`` (True), ``defaults``."""
        from . import __version__

        return {"description": "derandomized SDP rounding and annealing polish through MAXCUT, "
                               "with a certified lower bound on the energy",
                "version": __version__, "certified_lower_bound": True, "defaults": dict(self._defaults)}

    def sample(self, bqm: dimod.BinaryQuadraticModel, **parameters: Any) -> dimod.SampleSet:
        """Minimize ``bqm``; a SampleSet of one sample with the certified bound in ``info``.

        Parameters
        ----------
        bqm : dimod.BinaryQuadraticModel
            SPIN or BINARY, any hashable variable labels.
        time_limit : float, optional
            Seconds for the whole call, counted from its start (the model's
            conversion included; the pipeline shares out the rest).
        seed : int, optional
        threads : int, optional
        initial_state : sample-like, SampleSet or IsingResult, optional
            A warm start (a dict label -> value, an array in ``bqm.variables``
            order, ``(array, labels)``; a SampleSet gives its lowest-energy
            sample): kept as a candidate and polished, so it can only improve
            the answer. Values of the model's vartype.
        rounding, n_hyperplanes, local_search, local_search_sweeps, local_search_moves, local_search_time, \
rank, max_rank, sdp_tol, max_sweeps
            Passed to :func:`derand_fast.maxcut.maxcut` (``polish_sweeps``,
            ``polish_moves`` and ``polish_time``, their former names, are still
            accepted with a DeprecationWarning).

        Unknown keyword arguments are dropped with a ``dimod.exceptions.SamplerUnknownArgWarning``.

        Returns
        -------
        dimod.SampleSet
        """
        parameters = self.remove_unknown_kwargs(**_current_names(parameters))
        options = {**self._defaults, **parameters}
        # the clock starts here: the model's conversion counts against the time limit
        options["control"] = RunControl(options.pop("time_limit", None))
        initial_state = options.pop("initial_state", None)
        labels = list(bqm.variables)
        n = len(labels)
        binary = bqm.vartype is dimod.BINARY
        if n == 0:  # the empty assignment: energy = offset, proved optimal
            off = float(bqm.offset)
            info = {"lower_bound": off, "gap": 0.0, "optimal": True, "timing": {"total": 0.0}, "status": 0,
                    "message": "completed", "seed": int(options.get("seed", 0)), "threads": None}
            return dimod.SampleSet.from_samples_bqm((np.zeros((1, 0), np.int8), []), bqm, info=info)
        vectors = bqm.to_numpy_vectors(variable_order=labels)  # fields by name: dimod's return type is a Union
        irow, icol, qv = vectors.quadratic
        off = float(vectors.offset)
        lin = np.asarray(vectors.linear_biases, dtype=np.float64)
        qv = np.asarray(qv, dtype=np.float64)
        irow = np.asarray(irow, dtype=np.int64)
        icol = np.asarray(icol, dtype=np.int64)
        x0 = _initial_array(initial_state, bqm, labels)
        import scipy.sparse as sp

        if binary:  # dimod's QUBO: linear terms on the diagonal, each interaction once
            diag = np.arange(n, dtype=np.int64)
            Q = sp.coo_array((np.concatenate([qv, lin]), (np.concatenate([irow, diag]), np.concatenate([icol, diag]))),
                             shape=(n, n))
            res = solve_qubo(Q, offset=float(off), initial_state=x0, **options)
        else:
            J = sp.coo_array((qv, (irow, icol)), shape=(n, n))
            res = solve_ising(lin, J, offset=float(off), initial_state=x0, **options)
        values = np.asarray([res.sample[k] for k in range(n)], dtype=np.int8)
        info = {"lower_bound": res.lower_bound, "gap": res.gap, "optimal": res.optimal, "timing": dict(res.times),
                "status": int(res.status), "message": res.message, "seed": res.seed, "threads": res.threads}
        return dimod.SampleSet.from_samples_bqm((values[None, :], labels), bqm, info=info)


def _initial_array(state: Any, bqm: dimod.BinaryQuadraticModel, labels: list[Any]) -> np.ndarray | None:
    """A warm start as an array in ``labels`` order (values unchecked: the solver checks them)."""
    if state is None:
        return None
    if isinstance(state, IsingResult):
        state = state.sample
    elif isinstance(state, dimod.SampleSet):
        if len(state) == 0:
            raise ValueError("initial_state is an empty SampleSet")
        state = state.first.sample
    if isinstance(state, Mapping):
        missing = [v for v in labels if v not in state]
        if missing:
            raise ValueError(f"initial_state has no value for variable {missing[0]!r}")
        return np.asarray([state[v] for v in labels], dtype=np.float64)
    if not isinstance(state, tuple):  # an array without labels: bqm.variables order
        arr = np.asarray(state, dtype=np.float64).reshape(-1)
        if arr.size != len(labels):
            raise ValueError(f"initial_state has {arr.size} values for the model's {len(labels)} variables")
        return arr
    arr, order = dimod.as_samples(state, labels_type=list)
    if arr.shape[0] != 1:
        raise ValueError(f"initial_state must be one sample, got {arr.shape[0]}")
    pos = {v: k for k, v in enumerate(order)}
    missing = [v for v in labels if v not in pos]
    if missing or len(order) != len(labels):
        raise ValueError(f"initial_state's variables differ from the model's (e.g. {missing[:1] or order[:1]!r})")
    return np.asarray([arr[0, pos[v]] for v in labels], dtype=np.float64)
