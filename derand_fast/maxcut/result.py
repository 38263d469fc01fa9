"""The MAXCUT result object: numbers, JSON and a one-screen report."""

from __future__ import annotations

import math
import os
from typing import Any, ClassVar

import numpy as np

from .._io import read_json, write_json
from .._result import StageResult
from ..runcontrol import Status

__all__ = ["MaxCutResult", "STATUS"]


def _package_version() -> str:
    from .. import __version__

    return __version__

#: status code -> message of a whole :func:`~derand_fast.maxcut.maxcut` run.
STATUS = {int(s): s.message for s in Status}


class MaxCutResult(StageResult):
    """Outcome of :func:`derand_fast.maxcut.maxcut`: a :class:`~derand_fast._result.StageResult`.

    A SciPy ``OptimizeResult`` (a dict with attribute access, ``x`` the
    partition) whose ``status`` is a :class:`~derand_fast.runcontrol.Status`;
    ``success`` is True when the run ended normally (completed, or stopped by
    its time limit) and ``time`` is the run's total seconds (``times["total"]``).
    There is no ``nit`` or ``nfev``: the stages count their own
    (``sdp["sweeps"]``, ``local_search["sweeps"]`` / ``["moves"]``, ...).

    Attributes
    ----------
    cut : float
        Value of ``partition`` (after local search when enabled).
    partition : ndarray of int8, shape (n,)
        ±1 side of every node (also ``x``).
    sdp_value : float
        SDP objective at the returned factor (the primal value; not a bound
        by itself unless the SDP is solved exactly). NaN when the run stopped
        before the SDP.
    gw_best, gw_mean, gw_expected : float or None
        Goemans–Williamson baseline: best and mean of ``n_hyperplanes``
        hyperplanes, and the expectation ``Σ w arccos(v_i·v_j)/π``
        (None when the baseline was skipped).
    rounding : str
        Name of the rounding method that produced the partition.
    rounding_cut : float or None
        Cut of the rounding, before local search (None when the run stopped before it).
    seed, threads, n, m : int
    times : dict of float
        Wall seconds per stage (``load``, ``sdp``, ``gw``, ``rounding``,
        ``local_search``, ``total``).
    status : Status
        ``COMPLETED``, ``TIME_LIMIT``, ``INTERRUPTED`` (SIGINT / Ctrl-C) or
        ``TERMINATED`` (SIGTERM); an int (key of :data:`STATUS`), ``message`` the text.
    success : bool
        ``status`` is ``COMPLETED`` or ``TIME_LIMIT``.
    time : float
        ``times["total"]`` (NaN without it).
    sdp : dict
        ``rank``, ``sweeps``, ``last_delta``, ``status``, ``message``, ``n_colors``,
        ``parallel_classes``, ``sweep_time``.
    rounding_info : dict
        What the rounding method reported.
    local_search : dict
        The polish: ``method`` (``"anneal"``, ``"tabu"`` or ``"1flip"``),
        ``gain``, ``status``, and ``sweeps``, ``restarts``, ``chains``,
        ``flips`` (annealing), ``moves``, ``best_move``, ``restarts`` (tabu) or
        ``moves``, ``converged`` (1-flip); empty when disabled.
    params : dict
        The arguments of the run.
    graph_name : str
    best_known : float or None
        A published best cut for Gset graphs, when known.
    upper_bound : float or None
        A certified upper bound on the maximum cut (weak duality from the SDP
        factor, :func:`~derand_fast.maxcut.bound.certified_bound`), valid even
        when the SDP stopped early; for integer weights rounded down. None
        when the SDP or the bound did not run.
    bound_info : dict
        How the bound was certified (``method``, ``margin``, ``lambda_max``, ``time``).
    best_stage : str
        The stage that found ``partition`` (``"gw"``, ``"rounding derand-exact"``,
        ``"polish tabu"``, ``"initial"``, ...).
    history : list of (str, float, float)
        ``(stage, seconds, best cut so far)`` each time the run's best cut improved.
    gw : dict
        The GW stage: ``n_hyperplanes`` evaluated, ``requested``, ``status``.
    labels : list or None
        The graph's node labels (node ``k`` of ``partition`` is ``labels[k]``)
        when they are not ``k + index_base``: a networkx graph with other nodes.
    index_base : int
        Node ``k`` of ``partition`` is node ``k + index_base`` of the source
        when ``labels`` is None: 1 for files (their 1-based ids), else 0.
    version : str
        The package version that produced the result (kept by the JSON round trip).
    """

    _aliases: ClassVar[dict[str, str]] = {"x": "partition"}  # SciPy's name of the solution

    cut: float
    partition: np.ndarray
    sdp_value: float
    gw_best: float | None
    gw_mean: float | None
    gw_expected: float | None
    rounding: str
    rounding_cut: float | None
    seed: int
    threads: int
    n: int
    m: int
    times: dict[str, float]
    time: float
    sdp: dict[str, Any]
    rounding_info: dict[str, Any]
    local_search: dict[str, Any]
    params: dict[str, Any]
    graph_name: str
    best_known: float | None
    upper_bound: float | None
    bound_info: dict[str, Any]
    best_stage: str
    history: list[tuple[str, float, float]]
    gw: dict[str, Any]
    labels: list[Any] | None
    index_base: int
    version: str

    def __init__(self, cut: float, partition: np.ndarray, sdp_value: float, gw_best: float | None,
                 gw_mean: float | None, gw_expected: float | None, rounding: str, rounding_cut: float | None,
                 seed: int, threads: int, n: int, m: int, times: dict[str, float], status: Any = Status.COMPLETED,
                 message: str | None = None, sdp: dict[str, Any] | None = None,
                 rounding_info: dict[str, Any] | None = None, local_search: dict[str, Any] | None = None,
                 params: dict[str, Any] | None = None, graph_name: str = "graph", best_known: float | None = None,
                 upper_bound: float | None = None, bound_info: dict[str, Any] | None = None, best_stage: str = "",
                 history: list[tuple[str, float, float]] | None = None, gw: dict[str, Any] | None = None,
                 labels: list[Any] | None = None, index_base: int = 0, version: str | None = None) -> None:
        super().__init__(
            status=status, message=message, cut=cut, partition=partition, sdp_value=sdp_value, gw_best=gw_best,
            gw_mean=gw_mean, gw_expected=gw_expected, rounding=rounding, rounding_cut=rounding_cut, seed=seed,
            threads=threads, n=n, m=m, times=times, time=float(times.get("total", math.nan)),
            sdp={} if sdp is None else sdp, rounding_info={} if rounding_info is None else rounding_info,
            local_search={} if local_search is None else local_search, params={} if params is None else params,
            graph_name=graph_name, best_known=best_known, upper_bound=upper_bound,
            bound_info={} if bound_info is None else bound_info, best_stage=best_stage,
            history=[] if history is None else history, gw={} if gw is None else gw, labels=labels,
            index_base=index_base, version=_package_version() if version is None else version)

    @staticmethod
    def _succeeded(status: Status) -> bool:
        return status in (Status.COMPLETED, Status.TIME_LIMIT)

    def node_labels(self) -> list[Any]:
        """Label of every node of ``partition``: ``labels``, or ``index_base, index_base + 1, ...``."""
        if self.labels is not None:
            return list(self.labels)
        return list(range(self.index_base, self.index_base + self.n))

    @property
    def sets(self) -> tuple[set[Any], set[Any]]:
        """The cut as networkx gives one: ``(S, T)``, the node labels on side +1 and on side -1.

        Examples
        --------
        >>> import networkx as nx
        >>> from derand_fast.maxcut import maxcut
        >>> S, T = maxcut(nx.path_graph("abc"), n_hyperplanes=10).sets
        >>> sorted(map(sorted, (S, T)))
        [['a', 'c'], ['b']]
        """
        side = self.partition
        labels = self.node_labels()
        return ({lab for lab, x in zip(labels, side) if x > 0}, {lab for lab, x in zip(labels, side) if x <= 0})

    @property
    def sides(self) -> dict[Any, int]:
        """Node label -> side (+1 or -1)."""
        return {lab: int(x) for lab, x in zip(self.node_labels(), self.partition)}

    @property
    def ratio(self) -> float:
        """``cut / sdp_value`` (NaN when the value is 0 or the SDP did not run)."""
        return self.cut / self.sdp_value if self.sdp_value and math.isfinite(self.sdp_value) else math.nan

    @property
    def gap(self) -> float | None:
        """Proven relative gap ``(upper_bound - cut) / |upper_bound|`` (None without a bound; 0 for a 0 bound)."""
        if self.upper_bound is None:
            return None
        return 0.0 if self.upper_bound == 0 else (self.upper_bound - self.cut) / abs(self.upper_bound)

    @property
    def optimal(self) -> bool:
        """True when the cut reaches the certified bound: no larger cut exists."""
        return self.upper_bound is not None and self.cut >= self.upper_bound

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; keys ``n, m, cut, partition, sdp_value, gw_best, gw_mean, rounding, seed,
        threads, times`` and more (see the attributes); NaN and inf become None."""
        d = _jsonable({
            "version": self.version,
            "graph": self.graph_name,
            "n": self.n,
            "m": self.m,
            "cut": self.cut,
            "partition": self.partition.astype(int).tolist(),
            "index_base": self.index_base,
            "partition_nodes": ("partition[k] is the side (+1/-1) of node labels[k]" if self.labels is not None
                                else f"partition[k] is the side (+1/-1) of node k + {self.index_base}"
                                + (" (the file's 1-based ids)" if self.index_base == 1 else "")),
            "sdp_value": self.sdp_value,
            "upper_bound": self.upper_bound,
            "gap": self.gap,
            "optimal": self.optimal,
            "bound": dict(self.bound_info),
            "ratio": None if math.isnan(self.ratio) else self.ratio,
            "gw_best": self.gw_best,
            "gw_mean": self.gw_mean,
            "gw_expected": self.gw_expected,
            "rounding": self.rounding,
            "rounding_cut": self.rounding_cut,
            "best_known": self.best_known,
            "seed": self.seed,
            "threads": self.threads,
            "times": dict(self.times),
            "status": int(self.status),
            "message": self.message,
            "best_stage": self.best_stage,
            "history": _jsonable([list(h) for h in self.history]),
            "gw": _jsonable(self.gw),
            "sdp": _jsonable(self.sdp),
            "rounding_info": _jsonable(self.rounding_info),
            "local_search": _jsonable(self.local_search),
            "params": _jsonable(self.params),
        })
        if self.labels is not None:
            d["labels"] = [_json_label(lab) for lab in self.labels]
        return d

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int | None = 1) -> str:
        """The :meth:`to_dict` JSON text (strict JSON: no NaN/inf); also written to ``path`` when given.

        The file is replaced atomically (a temporary file in the same folder,
        then a rename): a failed write leaves the old file intact.
        """
        # one line for the n entries (partition, labels): 4x faster to write than one per line
        return write_json(self.to_dict(), path, indent=indent, one_line=("partition", "labels"))

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> MaxCutResult:
        """A result back from :meth:`to_json`'s text or file (``status`` as a :class:`Status`, ``partition`` int8).

        Examples
        --------
        >>> import networkx as nx
        >>> from derand_fast.maxcut import maxcut
        >>> res = maxcut(nx.cycle_graph(5), n_hyperplanes=10)
        >>> again = MaxCutResult.from_json(res.to_json())
        >>> again.cut == res.cut and again.status == res.status and bool((again.partition == res.partition).all())
        True
        """
        d = read_json(source)
        nan = math.nan
        return cls(
            cut=float(d["cut"]), partition=np.asarray(d["partition"], dtype=np.int8),
            sdp_value=nan if d.get("sdp_value") is None else float(d["sdp_value"]),
            gw_best=d.get("gw_best"), gw_mean=d.get("gw_mean"), gw_expected=d.get("gw_expected"),
            rounding=d["rounding"], rounding_cut=d.get("rounding_cut"), seed=int(d["seed"]),
            threads=int(d["threads"]), n=int(d["n"]), m=int(d["m"]), times=dict(d.get("times", {})),
            status=Status(int(d["status"])), message=d.get("message", ""), sdp=d.get("sdp", {}),
            rounding_info=d.get("rounding_info", {}), local_search=d.get("local_search", {}),
            params=d.get("params", {}), graph_name=d.get("graph", "graph"), best_known=d.get("best_known"),
            upper_bound=d.get("upper_bound"), bound_info=d.get("bound", {}), best_stage=d.get("best_stage", ""),
            history=[(str(h[0]), float(h[1]), float(h[2])) for h in d.get("history", [])], gw=d.get("gw", {}),
            labels=None if d.get("labels") is None else [_label_from_json(lab) for lab in d["labels"]],
            index_base=int(d.get("index_base", 0)), version=d.get("version", "unknown"))

    def plot(self, ax: Any = None) -> Any:
        """Draw the best cut against time (``history``), with the certified bound and the best-known cut.

        Needs matplotlib (the ``[plot]`` extra; imported here). Returns the matplotlib ``Figure``.
        """
        from .._plotting import require_matplotlib

        require_matplotlib("MaxCutResult.plot")
        import matplotlib.pyplot as plt
        if ax is None:
            fig, ax = plt.subplots(figsize=(6, 3.5))
        else:
            fig = ax.figure
        end = max(self.times.get("total", 0.0), self.history[-1][1] if self.history else 0.0)
        if self.history:
            ts = [h[1] for h in self.history] + [end]
            cs = [h[2] for h in self.history] + [self.history[-1][2]]
            ax.step(ts, cs, where="post", label="best cut so far")
            for stage, t, c in self.history:
                ax.annotate(stage, (t, c), fontsize=6, alpha=0.7, rotation=20)
        if self.upper_bound is not None:
            ax.axhline(self.upper_bound, color="C2", ls="--", lw=1, label="certified upper bound")
        if self.best_known is not None:
            ax.axhline(self.best_known, color="gray", ls=":", lw=1, label="best known")
        ax.set_xlabel("seconds")
        ax.set_ylabel("cut")
        ax.set_title(f"{self.graph_name}: n = {self.n:,}, m = {self.m:,}")
        ax.legend(fontsize=7)
        return fig

    def summary(self) -> str:
        """A readable one-screen report."""
        def num(x: float | None) -> str:
            return "-" if x is None else (f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}")

        def row(label: str, value: float | None, note: str = "") -> str:
            return f"  {label:<36}{num(value):>12}" + (f"   {note}" if note else "")

        t = self.times
        sdp = self.sdp
        lines = [
            f"MAXCUT  {self.graph_name}: n = {self.n:,}, m = {self.m:,}   (seed {self.seed}, {self.threads} thread(s))",
            "",
            row(f"SDP value (rank {sdp.get('rank', '?')}, {sdp.get('sweeps', '?')} sweeps)", self.sdp_value,
                sdp.get("message", "")) if sdp else row("SDP", None, "not run: the run stopped or had no time for it"),
        ]
        if self.upper_bound is not None:
            lines.append(row("certified upper bound", self.upper_bound,
                             f"dual certificate ({self.bound_info.get('method', '?')}), valid for any V"))
        if self.gw_best is not None:
            n_h = self.gw.get("n_hyperplanes", self.params.get("n_hyperplanes", "?"))
            lines.append(row(f"GW best of {n_h} hyperplanes", self.gw_best,
                             f"mean {num(self.gw_mean)}, expected {num(self.gw_expected)}"))
        if self.rounding != "gw" and self.rounding_cut is not None:
            lines.append(row(f"{self.rounding} rounding", self.rounding_cut))
        if self.local_search:
            ls = self.local_search
            method = ls.get("method")
            if method == "anneal":
                label = "simulated annealing"
                chains = ls.get("chains", 1)
                flips = (f"(+{num(ls.get('gain', 0.0))}, {ls.get('sweeps', 0):,} sweeps"
                         + (f" on {chains} chains)" if chains > 1 else ")"))
            else:
                label = "tabu search" if method == "tabu" else "1-flip local search"
                flips = f"(+{num(ls.get('gain', 0.0))}, {ls.get('moves', 0):,} flips)"
            lines.append(row(f"after {label}", self.cut, flips))
        lines.append("")
        ratio = "-" if math.isnan(self.ratio) else f"{self.ratio:.4f}"
        proof = "" if self.gap is None else (", proven optimal" if self.optimal else f", gap <= {100 * self.gap:.3f} %")
        lines.append(row("CUT", self.cut, f"cut/SDP = {ratio}{proof}"))
        if self.best_known is not None:
            lines.append(row("best known (literature)", self.best_known,
                             f"cut/best = {self.cut / self.best_known:.4f}"))
        stages = ", ".join(f"{k} {v:.2f}" for k, v in t.items() if k != "total")
        lines.append(f"  time {t.get('total', 0.0):.2f} s ({stages})")
        if self.best_stage:
            lines.append(f"  best cut found by: {self.best_stage}")
        if self.status != 0:
            lines.append(f"  status: {self.message}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _json_label(label: Any) -> Any:
    """A node label as JSON: str, int, float, bool and None as they are, tuples as lists, anything else its str."""
    if isinstance(label, np.generic):
        label = label.item()
    if label is None or isinstance(label, (str, int, float, bool)):
        return label
    if isinstance(label, tuple):
        return [_json_label(x) for x in label]
    return str(label)


def _label_from_json(label: Any) -> Any:
    """Inverse of :func:`_json_label` where it can be: lists back to (hashable) tuples."""
    return tuple(_label_from_json(x) for x in label) if isinstance(label, list) else label


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
