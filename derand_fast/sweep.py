"""Sweeps: graphs × seeds × settings on Dask, one row per run, streamed to a file, resumable.

:func:`sweep` runs :func:`derand_fast.maxcut.maxcut` on every combination of
a set of graphs, seeds and settings on a Dask ``distributed`` cluster: by
default an embedded :class:`distributed.LocalCluster` of one-thread worker
processes, one per core; or an existing cluster (``client=``,
``scheduler=`` or ``DASK_SCHEDULER_ADDRESS``), such as one that
``dask-jobqueue`` started on SLURM or PBS nodes. Dask does the scheduling;
this module only builds the tasks, writes their rows and keeps the file
consistent.

Guarantees
----------
- **Nothing computed is lost.** Each row is appended to ``out`` (CSV, or JSON
  lines for a ``.jsonl`` name) and flushed as soon as its Dask task finishes;
  a crash of the client loses only the tasks still running. Runs shorter
  than :data:`CHUNK_SECONDS` share a Dask task (a chunk, sized from the
  measured time per run) so that Dask's cost per task is spread over them.
- **Resumable, each row once.** A row's key is ``(graph_hash, seed,
  settings, version)``; a re-run with the same ``out`` skips the keys
  already present and never writes a key twice. ``retry_failed=True``
  removes the failed rows of the sweep (atomically) and runs them again.
- **Faults become rows.** A task that raises gives a row with its ``error``
  text and the sweep goes on; a worker that dies during a task (a crash, the
  out-of-memory killer) has the task re-run on another worker up to
  ``retries`` times, then the row records the failure (a chunk that exhausts
  its retries runs again one run per task: each run gets its own outcome).
  Ctrl-C cancels what is still running and returns what was written, marked
  ``INTERRUPTED``.

Columns
-------
``graph`` (name), ``n``, ``m``, ``graph_hash`` (SHA-256 of ``n`` and the
edge arrays, 16 hex digits: the same graph under any name or file format has
the same hash), ``seed``, ``settings`` (the options of the run as canonical
JSON), ``cut``, ``upper_bound``, ``gap``, ``sdp_value``, ``status`` (int,
:class:`~derand_fast.runcontrol.Status`), ``best_stage``, ``best_known``,
``time`` (seconds of the whole task on its worker), ``times`` (JSON, per
stage), ``version`` (``derand_fast.__version__`` on the worker), ``host``,
``finished`` (UTC, ISO 8601) and ``error`` (empty when the run succeeded).

Examples
--------
>>> import networkx as nx, tempfile, os
>>> from derand_fast.sweep import sweep
>>> out = os.path.join(tempfile.mkdtemp(), "rows.csv")
>>> graphs = {"c5": nx.cycle_graph(5), "k4": nx.complete_graph(4)}
>>> s = sweep(graphs, seeds=[0, 1], out=out, workers=1, progress=False,
...           n_hyperplanes=10, local_search="1flip")  # doctest: +SKIP
>>> [(r["graph"], r["seed"], r["cut"]) for r in s.rows]  # doctest: +SKIP
[('c5', 0, 4.0), ('c5', 1, 4.0), ('k4', 0, 4.0), ('k4', 1, 4.0)]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import hashlib
import inspect
import io
import itertools
import json
import math
import os
import re
import socket
import sys
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from ._validation import check_seed
from .runcontrol import EXIT_CODES, Status

__all__ = ["sweep", "SweepSummary", "COLUMNS", "KEY", "CHUNK_SECONDS", "graph_hash", "read_rows",
           "expand_problems", "connect", "parse_seeds", "parse_grid", "add_arguments", "run"]

#: the columns of a sweep's output, in file order
COLUMNS = ("graph", "n", "m", "graph_hash", "seed", "settings", "cut", "upper_bound", "gap", "sdp_value",
           "status", "best_stage", "best_known", "time", "times", "version", "host", "finished", "error")

#: the columns that identify a row: a re-run skips a task whose key is already in the output
KEY = ("graph_hash", "seed", "settings", "version")

#: file name endings (after an optional ``.gz``) taken from a folder of graphs
GRAPH_SUFFIXES = frozenset({"", ".txt", ".mtx", ".edges", ".edgelist", ".el", ".rud", ".gset", ".graph", ".dat"})

#: maxcut options a sweep sets itself or cannot record
_REFUSED = {"seed": "pass seeds= (--seeds) instead",
            "control": "a sweep runs each task under its own run control",
            "progress": "a sweep reports progress per task, not per stage",
            "initial": "a warm start is not a sweep setting"}

#: environment of the embedded cluster's worker processes: one thread for every threading layer
_PIN_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


# ----------------------------------------------------------------------------------------------------------
# problems, keys, tasks


def graph_hash(graph: Any) -> str:
    """A content hash of a graph: 16 hex digits of SHA-256 over ``n`` and the ``u, v, weights`` arrays.

    Names and input formats do not enter it: the same graph read from a Gset
    file, an edge list or a networkx object has the same hash.

    Examples
    --------
    >>> import networkx as nx
    >>> from derand_fast.maxcut import load_graph
    >>> graph_hash(nx.cycle_graph(5)) == graph_hash(load_graph(nx.cycle_graph(5), name="other"))
    True
    """
    import numpy as np

    from .maxcut import load_graph

    g = load_graph(graph)
    h = hashlib.sha256()
    h.update(np.int64(g.n).tobytes())
    for a, dt in ((g.u, "<i8"), (g.v, "<i8"), (g.weights, "<f8")):
        h.update(np.ascontiguousarray(a, dtype=dt).tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class _Problem:
    name: str
    hash: str
    n: int
    m: int
    path: str | None  # absolute path of a file source (workers read it), else None
    graph: Any = field(default=None, repr=False, compare=False)  # the Graph, kept only when it is shipped


@dataclass(frozen=True)
class _Task:
    """What a worker needs for one run (pickled to it)."""

    graph: str
    graph_hash: str
    n: int
    m: int
    path: str | None
    seed: int
    settings: str  # canonical JSON
    version: str
    threads: int

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.graph_hash, str(self.seed), self.settings, self.version)

    def base_row(self) -> dict[str, Any]:
        return {"graph": self.graph, "n": self.n, "m": self.m, "graph_hash": self.graph_hash, "seed": self.seed,
                "settings": self.settings, "version": self.version}


def _natural_key(p: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", p.name)]


def _is_graph_file(p: Path) -> bool:
    name = p.name.lower().removesuffix(".gz")
    return p.is_file() and not p.name.startswith(".") and Path(name).suffix in GRAPH_SUFFIXES


def expand_problems(problems: Any) -> list[tuple[str | None, Any]]:
    """The ``(name, source)`` pairs of a sweep's ``problems`` argument (folders listed, nothing loaded).

    Parameters
    ----------
    problems
        A path (file or folder), a graph (anything
        :func:`~derand_fast.maxcut.load_graph` accepts), a mapping
        ``{name: graph or path}``, or a list of any of these and of
        ``(name, graph)`` pairs. A folder gives its graph files (names
        ending in one of :data:`GRAPH_SUFFIXES`, optionally ``.gz``; hidden
        files skipped) in natural order (``G2`` before ``G10``). A name of
        None means the graph's own (the file name for a file).

    Raises
    ------
    FileNotFoundError
        A path that does not exist.
    ValueError
        A folder without graph files, or no problems at all.
    """
    out: list[tuple[str | None, Any]] = []

    def add(name: str | None, src: Any) -> None:
        if isinstance(src, Mapping):
            for k, v in src.items():
                add(str(k), v)
            return
        if isinstance(src, (str, os.PathLike)):
            p = Path(src)
            if p.is_dir():
                files = sorted((f for f in p.iterdir() if _is_graph_file(f)), key=_natural_key)
                if not files:
                    raise ValueError(f"{src}: no graph files in this folder (names ending in "
                                     f"{', '.join(sorted(s or '(none)' for s in GRAPH_SUFFIXES))}, optionally .gz)")
                out.extend((None, f) for f in files)
                return
            if not p.exists():
                raise FileNotFoundError(f"{src}: no such file or folder")
            out.append((name, p))
        else:
            out.append((name, src))

    if isinstance(problems, (str, os.PathLike)):
        add(None, problems)
    elif isinstance(problems, Mapping):
        add(None, problems)
    elif isinstance(problems, list) or (isinstance(problems, tuple) and not _is_named_pair(problems)
                                        and not _is_edge_pair(problems)):
        for item in problems:
            if _is_named_pair(item):
                add(item[0], item[1])
            else:
                add(None, item)
    else:
        add(problems[0], problems[1]) if _is_named_pair(problems) else add(None, problems)
    if not out:
        raise ValueError("no problems to sweep")
    return out


def _is_named_pair(x: Any) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) and not isinstance(x[1], str)


def _is_edge_pair(x: Any) -> bool:  # (edges, weights), a graph source of its own
    return isinstance(x, tuple) and len(x) == 2 and hasattr(x[0], "shape")


def _load_problems(pairs: list[tuple[str | None, Any]], ship: bool) -> list[_Problem]:
    """Load each graph once on the client: its hash, sizes and validity; deduplicated, names made unique."""
    from .maxcut import load_graph

    seen: dict[str, _Problem] = {}
    for name, src in pairs:
        is_file = isinstance(src, Path)
        g = load_graph(src, name=name) if is_file else load_graph(src)
        if name is not None and g.name != name:
            g = dataclasses.replace(g, name=name)
        h = graph_hash(g)
        if h in seen:
            continue
        keep = (not is_file) or ship
        seen[h] = _Problem(name=_one_line(g.name), hash=h, n=int(g.n), m=int(g.m),
                           path=str(src.resolve()) if is_file else None, graph=g if keep else None)
    problems = list(seen.values())
    counts: dict[str, int] = {}
    for p in problems:
        counts[p.name] = counts.get(p.name, 0) + 1
    # different graphs under one name (e.g. several networkx graphs): the hash tells them apart
    return [dataclasses.replace(p, name=f"{p.name}@{p.hash[:6]}") if counts[p.name] > 1 else p for p in problems]


def _settings_json(settings: Mapping[str, Any]) -> str:
    try:
        return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"sweep settings must be JSON values (numbers, strings, booleans, None, lists): "
                         f"{exc}") from None


def _solver_name(solver: Callable[..., Any]) -> str:
    fn = getattr(solver, "func", solver)  # functools.partial
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def _settings_list(grid: Mapping[str, Any] | None, options: Mapping[str, Any],
                   solver: Callable[..., Any] | None) -> tuple[list[dict[str, Any]], int]:
    """Every combination of ``grid`` merged with the fixed ``options``; and the threads per task."""
    grid = dict(grid or {})
    for k in grid:
        if k in options:
            raise ValueError(f"setting {k!r} is both a grid key and a fixed option")
    for k in (*grid, *options):
        if k in _REFUSED:
            raise ValueError(f"{k!r} cannot be a sweep setting: {_REFUSED[k]}")
    if solver is None:
        from .maxcut import maxcut

        known = set(inspect.signature(maxcut).parameters) - {"graph"}
        unknown = [k for k in (*grid, *options) if k not in known]
        if unknown:
            raise ValueError(f"unknown maxcut option(s) {', '.join(map(repr, unknown))}; "
                             f"known: {', '.join(sorted(known - set(_REFUSED)))}")
    values: dict[str, list[Any]] = {}
    for k, v in grid.items():
        vals = list(v) if isinstance(v, (list, tuple, range)) else [v]
        if not vals:
            raise ValueError(f"grid key {k!r} has no values")
        values[k] = vals
    fixed = dict(options)
    threads_vals = values.pop("threads", None)
    if threads_vals is not None:
        if len(threads_vals) > 1:
            raise ValueError("threads cannot vary in a grid: results do not depend on it")
        fixed["threads"] = threads_vals[0]
    threads = fixed.pop("threads", None)
    threads = 1 if threads is None else threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an int >= 1, got {threads!r}")
    combos = [dict(zip(values, c)) for c in itertools.product(*values.values())] if values else [{}]
    out = []
    for c in combos:
        s = {**fixed, **c}
        if solver is not None:
            s["solver"] = _solver_name(solver)
        out.append(s)
    return out, threads


def _check_seeds(seeds: Any) -> list[int]:
    if isinstance(seeds, (int,)) and not isinstance(seeds, bool):
        seeds = [seeds]
    out = []
    for s in seeds:
        try:
            out.append(check_seed(s, "seeds"))
        except TypeError as exc:  # a seed list is user input: every bad entry is a ValueError
            raise ValueError(str(exc)) from None
    if not out:
        raise ValueError("no seeds")
    return list(dict.fromkeys(out))


# ----------------------------------------------------------------------------------------------------------
# the task (runs on a worker)


_CONTROLLER: Any = None
_HOST = socket.gethostname()

#: a worker's file graphs already read, by (path, modification time, size, name, hash): runs of the same
#: graph on one worker read and hash its file once
_GRAPHS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

#: edges a worker keeps in :data:`_GRAPHS` (the most recently used graph is always kept)
_CACHE_EDGES = 5_000_000


def _file_graph(task: _Task) -> Any:
    """The graph of a file task, read (and its hash checked) once per worker while it fits the cache."""
    from .maxcut import load_graph

    assert task.path is not None
    st = os.stat(task.path)
    key = (task.path, st.st_mtime_ns, st.st_size, task.graph, task.graph_hash)
    graph = _GRAPHS.get(key)
    if graph is not None:
        _GRAPHS.move_to_end(key)
        return graph
    graph = load_graph(task.path, name=task.graph)
    if graph_hash(graph) != task.graph_hash:
        raise RuntimeError(f"{task.path} on this worker is not the graph the client read "
                           "(changed since, or another file: pass ship_graphs=True)")
    _GRAPHS[key] = graph
    while len(_GRAPHS) > 1 and sum(int(g.m) for g in _GRAPHS.values()) > _CACHE_EDGES:
        _GRAPHS.popitem(last=False)
    return graph


def _run_chunk(tasks: Sequence[_Task], graphs: Mapping[str, Any] | None = None,
               solver: Callable[..., Any] | None = None) -> list[dict[str, Any]]:
    """The rows of several runs in one Dask task (one round trip for all): a row per run, never raises.

    ``graphs`` maps a graph hash to the graph of the in-memory problems
    among ``tasks`` (Dask resolves the scattered futures); file graphs are
    read by the worker (:func:`_file_graph`). BLAS and OpenMP are limited
    to the runs' threads for the whole chunk.
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    graphs = graphs or {}
    with _CONTROLLER.limit(limits=max(t.threads for t in tasks)):
        return [_run_task(t, graphs.get(t.graph_hash), solver) for t in tasks]


def _run_task(task: _Task, graph: Any = None, solver: Callable[..., Any] | None = None) -> dict[str, Any]:
    """Load, solve, one row. Never raises: an exception becomes the row's ``error``."""
    t0 = time.perf_counter()
    row = task.base_row()
    row["host"] = _HOST
    try:
        from . import __version__

        if __version__ != task.version:
            raise RuntimeError(f"this worker runs derand_fast {__version__}, the client {task.version}")
        from .maxcut import maxcut

        if graph is None:
            graph = _file_graph(task)
        settings = json.loads(task.settings)
        settings.pop("solver", None)
        fn = maxcut if solver is None else solver
        res = fn(graph, seed=task.seed, threads=task.threads, **settings)
        status = getattr(res, "status", 0)
        row.update(cut=_num(res.cut), upper_bound=_num(getattr(res, "upper_bound", None)),
                   gap=_num(getattr(res, "gap", None)), sdp_value=_num(getattr(res, "sdp_value", None)),
                   status=int(status), best_stage=getattr(res, "best_stage", ""),
                   best_known=_num(getattr(res, "best_known", None)),
                   times=json.dumps({k: round(float(v), 6) for k, v in getattr(res, "times", {}).items()},
                                    separators=(",", ":")))
        if isinstance(status, Status) and status.stopped_early:
            row["error"] = f"run stopped: {status.message}"
    except Exception as exc:  # noqa: BLE001 - every failure of a task becomes its row
        row["error"] = _error_text(exc)
    row["time"] = round(time.perf_counter() - t0, 6)
    row["finished"] = _now()
    return row


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _error_text(exc: BaseException) -> str:
    return _one_line(f"{type(exc).__name__}: {exc}")


def _one_line(s: str) -> str:
    return " | ".join(part.strip() for part in str(s).splitlines()) if ("\n" in s or "\r" in s) else s


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# ----------------------------------------------------------------------------------------------------------
# the output file


def _fmt(path: Path) -> str:
    return "jsonl" if path.name.lower().endswith((".jsonl", ".ndjson")) else "csv"


def _repair_tail(path: Path) -> None:
    """Cut a last line left half-written by a killed client (every complete row ends with a newline)."""
    size = path.stat().st_size
    if size == 0:
        return
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return
        block = 1 << 16
        pos = size
        while pos > 0:
            start = max(0, pos - block)
            fh.seek(start)
            chunk = fh.read(pos - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                fh.truncate(start + i + 1)
                return
            pos = start
        fh.truncate(0)


def read_rows(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a sweep's output file (CSV or JSON lines), values typed.

    A last line without its newline (a client killed while writing it) is
    ignored. Empty numeric fields become None; ``seed``, ``n``, ``m`` and
    ``status`` are ints, the other numbers floats.

    Raises
    ------
    ValueError
        The file is not a sweep's output (other columns) or a row is malformed.
    """
    p = Path(path)
    if not p.exists():
        return []
    text = p.read_bytes().decode("utf-8")
    complete = text[: text.rfind("\n") + 1]
    rows: list[dict[str, Any]] = []
    if _fmt(p) == "jsonl":
        for i, line in enumerate(complete.splitlines(), 1):
            if line.strip():
                try:
                    rows.append(_typed(json.loads(line)))
                except (json.JSONDecodeError, AttributeError) as exc:
                    raise ValueError(f"{p}:{i}: not a sweep row ({exc})") from None
        return rows
    reader = csv.reader(io.StringIO(complete))
    header = next(reader, None)
    if header is None:
        return []
    if tuple(header) != COLUMNS:
        raise ValueError(f"{p}: not a sweep output (columns {header[:5]}..., expected {list(COLUMNS[:5])}...)")
    for i, rec in enumerate(reader, 2):
        if len(rec) != len(COLUMNS):
            raise ValueError(f"{p}:{i}: {len(rec)} fields, expected {len(COLUMNS)}")
        rows.append(_typed(dict(zip(COLUMNS, rec))))
    return rows


_INTS = ("n", "m", "seed", "status")
_FLOATS = ("cut", "upper_bound", "gap", "sdp_value", "best_known", "time")


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    out = {c: row.get(c) for c in COLUMNS}
    for c in _INTS + _FLOATS:
        v = out[c]
        if v is None or v == "":
            out[c] = None
        else:
            out[c] = int(v) if c in _INTS else float(v)
    for c in ("graph", "graph_hash", "settings", "best_stage", "times", "version", "host", "finished", "error"):
        out[c] = "" if out[c] is None else str(out[c])
    return out


def _row_key(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (str(row["graph_hash"]), str(row["seed"]), str(row["settings"]), str(row["version"]))


def _encode(row: Mapping[str, Any], fmt: str) -> str:
    clean = {c: row.get(c) for c in COLUMNS}
    for c in COLUMNS:
        value = clean[c]
        if isinstance(value, str):
            clean[c] = _one_line(value)
    if fmt == "jsonl":
        return json.dumps(clean, separators=(",", ":"), allow_nan=False) + "\n"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["" if clean[c] is None else clean[c] for c in COLUMNS])
    return buf.getvalue()


def _header(fmt: str) -> str:
    return "" if fmt == "jsonl" else ",".join(COLUMNS) + "\n"


class _RowFile:
    """The output, opened for appending under an exclusive lock (one sweep writes a file at a time)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fmt = _fmt(path)
        self.fh: TextIO | None = None

    def open(self) -> None:
        new = not self.path.exists() or self.path.stat().st_size == 0
        fh = open(self.path, "a", encoding="utf-8", newline="")
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - non-POSIX
            pass
        except OSError:
            fh.close()
            raise ValueError(f"{self.path}: another sweep is writing this file") from None
        if new:
            fh.write(_header(self.fmt))
            fh.flush()
        self.fh = fh

    def append(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Append rows and flush them (one write: a killed client leaves at most a half last line)."""
        assert self.fh is not None
        self.fh.write("".join(_encode(r, self.fmt) for r in rows))
        self.fh.flush()

    def rewrite(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Replace the file's rows atomically (a temporary file renamed over it), then reopen it."""
        from ._io import atomic_write_text

        atomic_write_text(self.path, _header(self.fmt) + "".join(_encode(r, self.fmt) for r in rows))
        self.close()
        self.open()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()  # closing releases the lock
            self.fh = None


# ----------------------------------------------------------------------------------------------------------
# progress and summary


class _Progress:
    """done / running / failed with an ETA: tqdm when installed and stderr is a terminal, else plain lines.

    ``enabled`` may instead be a callable of the package's progress protocol
    (:mod:`derand_fast.progress`): it receives ``("sweep", fraction, line)``.
    """

    def __init__(self, total: int, slots: int, enabled: Any, stream: TextIO | None = None,
                 every: float = 5.0) -> None:
        self.fn = enabled if callable(enabled) else None
        if not (self.fn is not None or enabled is None or isinstance(enabled, bool)):
            raise TypeError("progress must be a bool, None or a callable(stage, fraction, info), "
                            f"got {type(enabled).__name__}")
        self.total, self.slots, self.enabled = total, max(1, slots), bool(enabled) and total > 0
        self.stream = stream if stream is not None else sys.stderr
        self.every = every
        self.t0 = time.perf_counter()
        self.last = -math.inf
        self.bar: Any = None
        if self.enabled and self.fn is None and self.stream.isatty():
            try:
                from tqdm.auto import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total, unit="task", file=self.stream, desc="sweep", dynamic_ncols=True)

    def update(self, done: int, failed: int, *, final: bool = False) -> None:
        if not self.enabled:
            return
        left = self.total - done
        running = min(left, self.slots)
        if self.bar is not None:
            self.bar.n = done
            self.bar.set_postfix(failed=failed, running=running, refresh=True)
            return
        now = time.perf_counter()
        if not final and now - self.last < self.every and done != self.total:
            return
        self.last = now
        el = now - self.t0
        eta = f", ETA {_duration(el / done * left)}" if 0 < done < self.total else ""
        line = f"{done}/{self.total} done, {running} running, {failed} failed, {_duration(el)} elapsed{eta}"
        if self.fn is not None:
            self.fn("sweep", done / self.total, line)
            return
        with contextlib.suppress(OSError, ValueError):
            print(f"sweep: {line}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _duration(s: float) -> str:
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{s / 60:.1f} min"
    return f"{s / 3600:.1f} h"


@dataclass
class SweepSummary:
    """Outcome of :func:`sweep`.

    Attributes
    ----------
    out : Path
        The output file.
    tasks : int
        Runs in the sweep (graphs × seeds × settings, duplicates removed).
    skipped : int
        Runs whose row was already in ``out`` (not run again).
    computed : int
        Rows written by this call.
    failed : int
        Rows of this sweep (new or kept) with an ``error``.
    lost : int
        Runs with no row: cancelled (Ctrl-C) or dropped by the cluster; a re-run does them.
    status : Status
        ``COMPLETED`` or ``INTERRUPTED`` / ``TERMINATED`` (Ctrl-C, SIGTERM).
    elapsed : float
        Wall seconds of the call.
    rows : list of dict
        This sweep's rows in ``out`` (typed as by :func:`read_rows`), in task order.
    best_known : dict
        Best-known cuts by graph name used by :meth:`table` (given, or the rows' ``best_known``).
    """

    out: Path
    tasks: int
    skipped: int
    computed: int
    failed: int
    lost: int
    status: Status
    elapsed: float
    rows: list[dict[str, Any]]
    best_known: dict[str, float] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every run of the sweep has a row without error."""
        return self.failed == 0 and self.lost == 0 and len(self.rows) == self.tasks

    def per_graph(self) -> list[dict[str, Any]]:
        """One dict per (graph, settings): ``runs``, ``failed``, ``best``, ``mean``, ``std`` (over seeds),
        ``worst``, ``best_known`` and ``gap_to_best_known`` (relative, None without a best-known cut)."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in self.rows:
            groups.setdefault((r["graph"], r["settings"]), []).append(r)
        out = []
        for (g, s), rows in groups.items():
            cuts = [r["cut"] for r in rows if not r["error"] and r["cut"] is not None]
            bk = self.best_known.get(g)
            if bk is None:
                bk = next((r["best_known"] for r in rows if r["best_known"] is not None), None)
            best = max(cuts) if cuts else None
            mean = sum(cuts) / len(cuts) if cuts else None
            std = (math.sqrt(sum((c - mean) ** 2 for c in cuts) / (len(cuts) - 1))
                   if len(cuts) > 1 and mean is not None else (0.0 if cuts else None))
            gap = (bk - best) / abs(bk) if bk not in (None, 0) and best is not None else None
            out.append({"graph": g, "settings": s, "runs": len(rows), "failed": len(rows) - len(cuts),
                        "best": best, "mean": mean, "std": std, "worst": min(cuts) if cuts else None,
                        "best_known": bk, "gap_to_best_known": gap})
        return out

    def table(self) -> str:
        """The per-graph summary as aligned text (one line per graph and settings)."""
        stats = self.per_graph()
        many = len({s["settings"] for s in stats}) > 1
        has_bk = any(s["best_known"] is not None for s in stats)

        def num(x: float | None, d: int = 1) -> str:
            if x is None:
                return "-"
            return f"{x:,.0f}" if float(x).is_integer() and d <= 1 else f"{x:,.{d}f}"

        head = ["graph", *(["settings"] if many else []), "runs", "failed", "best", "mean", "std",
                *(["best known", "gap %"] if has_bk else [])]
        body = []
        for s in stats:
            body.append([s["graph"], *([s["settings"]] if many else []), str(s["runs"]), str(s["failed"]),
                         num(s["best"]), num(s["mean"], 2), num(s["std"], 2),
                         *([num(s["best_known"]),
                            "-" if s["gap_to_best_known"] is None else f"{100 * s['gap_to_best_known']:.3f}"]
                           if has_bk else [])])
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        text_cols = 2 if many else 1

        def line(r: list[str]) -> str:
            return "  ".join(c.ljust(w) if i < text_cols else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))

        lines = [line(head), "  ".join("-" * w for w in widths), *map(line, body)] if body else ["(no rows yet)"]
        state = "" if self.status == Status.COMPLETED else f", {self.status.message.split(':')[0]}"
        lines.append(f"{self.tasks} runs: {self.computed} computed, {self.skipped} already in {self.out.name}, "
                     f"{self.failed} failed, {self.lost} not run{state} ({_duration(self.elapsed)})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _read_best_known(best_known: Any) -> dict[str, float]:
    if best_known is None:
        return {}
    if isinstance(best_known, Mapping):
        return {str(k): float(v) for k, v in best_known.items()}
    p = Path(best_known)
    with open(p, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        cols = reader.fieldnames or []
        name_col = next((c for c in ("name", "graph") if c in cols), None)
        if name_col is None or "best_known" not in cols:
            raise ValueError(f"{p}: a best-known file needs columns name (or graph) and best_known, got {cols}")
        return {r[name_col]: float(r["best_known"]) for r in reader if r["best_known"] not in ("", None)}


# ----------------------------------------------------------------------------------------------------------
# the cluster


@contextlib.contextmanager
def connect(client: Any = None, scheduler: str | None = None, workers: int | None = None, retries: int = 2,
            threads: int = 1) -> Iterator[Any]:
    """The Dask client a sweep uses, as a context manager: ``client`` itself (left open), one connected to
    ``scheduler`` / ``DASK_SCHEDULER_ADDRESS``, or that of an embedded ``LocalCluster`` of ``workers``
    one-thread processes (default one per core; OpenMP, BLAS and Numba pinned to ``threads``; a task's
    worker may die ``retries`` times), closed on exit. Several sweeps can share it (``client=``)."""
    import dask
    from distributed import Client, LocalCluster

    if client is not None:
        if scheduler is not None:
            raise ValueError("pass either client= or scheduler=, not both")
        yield client
        return
    address = scheduler or dask.config.get("scheduler-address", None)
    if address:
        try:
            c = Client(address, timeout="20s")
        except OSError as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        try:
            yield c
        finally:
            c.close()
        return
    n = (os.cpu_count() or 1) if workers is None else workers
    if n < 1:
        raise ValueError(f"workers must be >= 1, got {n}")
    env = {k: str(threads) for k in _PIN_ENV}
    env["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY", "PASSIVE")
    import logging

    with dask.config.set({"distributed.scheduler.allowed-failures": int(retries),
                          "distributed.nanny.pre-spawn-environ": {"MALLOC_TRIM_THRESHOLD_": 65536, **env},
                          # non-daemonic workers: a task may fork a child (the certified bound does)
                          "distributed.worker.daemon": False,
                          # a one-thread worker holds one task at a time: a worker that dies takes no
                          # innocent task's retry with it
                          "distributed.scheduler.worker-saturation": 1.0,
                          "distributed.admin.system-monitor.gil.enabled": False}):
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               # no dashboard; the scheduler's HTTP server on a free port, not 8787
                               scheduler_kwargs={"dashboard_address": ":0"},
                               silence_logs=logging.CRITICAL, env=env)
        c = Client(cluster)
        try:
            yield c
        finally:
            with contextlib.suppress(Exception):
                c.close()
            with contextlib.suppress(Exception):
                cluster.close()


def _slots(client: Any) -> int:
    try:
        return int(sum(client.nthreads().values()))
    except Exception:  # noqa: BLE001 - only for the progress line
        return 1


def _failed_row(task: _Task, exc: BaseException, retries: int | None) -> dict[str, Any]:
    row = task.base_row()
    if type(exc).__name__ == "KilledWorker":
        text = f"KilledWorker: a worker died running this task{'' if retries is None else f' {retries + 1} times'}"
    else:
        text = _error_text(exc)
    row.update(error=text, finished=_now())
    return row


#: worker seconds aimed at per Dask task: runs shorter than this are grouped into chunks of about this
#: length, so that Dask's cost per task (a few milliseconds on the client, scheduler and worker) is spread
#: over many runs
CHUNK_SECONDS = 0.25

#: most runs in one chunk
_MAX_CHUNK = 500


class _Chunks:
    """The runs still to submit, cut into chunks of about :data:`CHUNK_SECONDS` of work each.

    The first chunks hold one run; then the size follows the measured time
    per run (the median of the last 16 rows' ``time``: a first run that
    paid for imports and compilation on a fresh worker is soon outvoted),
    and never exceeds a ``2 * slots``-th of the runs left, so that the last
    chunks are short and end together (guided self-scheduling). ``fixed``
    sets the size instead.
    """

    def __init__(self, todo: Iterable[_Task], slots: int, fixed: int | None = None) -> None:
        self.queue = deque(todo)
        self.slots = max(1, slots)
        self.fixed = fixed
        self.recent: deque[float] = deque(maxlen=16)  # seconds of the last runs

    @property
    def per_run(self) -> float | None:
        """Estimated seconds per run (None before any run finished)."""
        if not self.recent:
            return None
        ordered = sorted(self.recent)
        return ordered[len(ordered) // 2]

    def size(self) -> int:
        if self.fixed is not None:
            return min(self.fixed, len(self.queue))
        k = 1 if self.per_run is None else int(CHUNK_SECONDS / max(self.per_run, 1e-6))
        k = min(k, _MAX_CHUNK, math.ceil(len(self.queue) / (2 * self.slots)))
        return max(1, min(k, len(self.queue)))

    def take(self) -> list[_Task]:
        return [self.queue.popleft() for _ in range(self.size())]

    def observe(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self.recent.extend(float(r["time"]) for r in rows if r.get("time") is not None)


# ----------------------------------------------------------------------------------------------------------
# the sweep


def sweep(problems: Any, *, seeds: Iterable[int] | int = (0,), grid: Mapping[str, Any] | None = None,
          out: str | os.PathLike[str], client: Any = None, scheduler: str | None = None,
          workers: int | None = None, retries: int = 2, retry_failed: bool = False, progress: Any = True,
          best_known: Mapping[str, float] | str | os.PathLike[str] | None = None, ship_graphs: bool = False,
          solver: Callable[..., Any] | None = None, tasks_per_chunk: int | None = None,
          **maxcut_options: Any) -> SweepSummary:
    """Run MAXCUT on every graph × seed × setting on Dask; rows streamed to ``out``, resumable.

    Parameters
    ----------
    problems
        Graph files, folders of graph files, graphs (anything
        :func:`~derand_fast.maxcut.load_graph` accepts), a mapping
        ``{name: graph or path}`` or a list of any of these and of
        ``(name, graph)`` pairs (see :func:`expand_problems`). Each graph is
        read once on the client (for its hash, size and validity); a file is
        read again by the worker that runs it (so the cluster must see the
        same path, unless ``ship_graphs``), an in-memory graph is sent once
        to the cluster. The same graph twice (same hash) runs once.
    seeds : iterable of int or int
        Seeds in ``[0, 2^63 - 1]``; every graph and setting runs once per seed.
    grid : mapping of name -> list, optional
        :func:`~derand_fast.maxcut.maxcut` options to vary: every
        combination runs (e.g. ``{"rounding": ["gw", "derand-exact"],
        "time_limit": [5, 10]}``). Values must be JSON values.
    out : path
        The output: CSV, or JSON lines for a name ending in ``.jsonl``.
        Rows are appended and flushed one by one; an existing file of an
        earlier run is continued (its rows with this sweep's keys are not
        run again).
    client : distributed.Client, optional
        An existing client (left open).
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``); default
        ``DASK_SCHEDULER_ADDRESS`` (Dask's ``scheduler-address`` setting)
        when set. Without either, an embedded ``LocalCluster`` of
        ``workers`` one-thread processes (default: one per core) runs the
        sweep and is closed at the end; its workers have OpenMP, BLAS and
        Numba pinned to the task's threads.
    workers : int, optional
        Worker processes of the embedded cluster.
    retries : int >= 0, default 2
        How often a task whose worker died (crash, ``os._exit``, killed by
        the out-of-memory killer) is run again before its row records the
        failure (the embedded cluster's ``distributed.scheduler.
        allowed-failures``; an existing cluster keeps its own setting,
        Dask's default 3). A task that raises is not retried: its error is
        deterministic.
    retry_failed : bool
        Run the failed rows of this sweep in ``out`` again: they are
        removed from the file first (atomically) and replaced by the new
        rows.
    progress : bool or callable
        Report done / running / failed and an ETA on stderr (tqdm on a
        terminal when installed; plain lines every 5 s otherwise), or pass
        them to a callable of the package's progress protocol
        (:mod:`derand_fast.progress`) as ``("sweep", fraction, line)``.
    best_known : mapping or path, optional
        Best-known cuts by graph name for the summary table (a CSV with
        columns ``name`` and ``best_known``); default the rows' own
        ``best_known`` (the package's Gset values).
    ship_graphs : bool
        Send file graphs from the client to the cluster instead of letting
        workers read the path (for workers without the client's files).
    solver : callable, optional
        ``solver(graph, seed=, threads=, **settings)`` returning a result
        with the attributes of :class:`~derand_fast.maxcut.MaxCutResult`
        (``cut`` at least) in place of :func:`~derand_fast.maxcut.maxcut`;
        its qualified name is recorded in ``settings``. It must be
        importable (or pickled by value) on the workers.
    tasks_per_chunk : int >= 1, optional
        Runs per Dask task. Default: adaptive, from the measured time per
        run, about :data:`CHUNK_SECONDS` of work per Dask task (one run per
        task for runs longer than that). A chunk's rows are written when
        the chunk finishes; a chunk whose worker dies is retried like a
        single run, and one that exhausts its retries is run again one run
        per task, so that each run gets its own row.
    **maxcut_options
        Fixed :func:`~derand_fast.maxcut.maxcut` options of every run
        (``n_hyperplanes=10``, ``local_search="1flip"``, ``time_limit=10``,
        ...). ``threads`` (default 1) is the threads of each task; it is not
        part of a row's key, as results do not depend on it.

    Returns
    -------
    SweepSummary
        Counts, status, this sweep's rows and :meth:`SweepSummary.table`.

    Raises
    ------
    ValueError
        Bad input before any task runs: an unknown option, a non-JSON
        setting, a bad seed, an unreadable graph, an output that is not a
        sweep's or is being written by another sweep, an unreachable
        scheduler.
    FileNotFoundError
        A graph path that does not exist.
    ImportError
        ``distributed`` is not installed (``pip install "derand_fast[dask]"``).

    Notes
    -----
    A task's key is ``(graph_hash, seed, settings, version)``; ``settings``
    is the canonical JSON of the options *as given* (an option left at its
    default and the same option given explicitly are different settings).
    Ctrl-C cancels the runs not finished (on an existing cluster a run
    already started finishes on its worker, its result unused); the rows on
    disk stay valid and the summary's status is ``INTERRUPTED``.

    Examples
    --------
    >>> import networkx as nx, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "rows.csv")
    >>> s = sweep({"c5": nx.cycle_graph(5)}, seeds=range(3), out=out, workers=1, progress=False,
    ...           n_hyperplanes=10, local_search="1flip")  # doctest: +SKIP
    >>> s.computed, [r["cut"] for r in s.rows]  # doctest: +SKIP
    (3, [4.0, 4.0, 4.0])
    """
    t_start = time.perf_counter()
    try:
        import distributed  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('derand_fast.sweep needs Dask: pip install "derand_fast[dask]" '
                          '(or pip install distributed)') from exc
    from . import __version__
    from ._io import check_writable

    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    if tasks_per_chunk is not None and (isinstance(tasks_per_chunk, bool) or not isinstance(tasks_per_chunk, int)
                                        or tasks_per_chunk < 1):
        raise ValueError(f"tasks_per_chunk must be an int >= 1, got {tasks_per_chunk!r}")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be an int >= 1, got {workers!r}")
    out_path = Path(out)
    check_writable(out_path)
    seed_list = _check_seeds(seeds)
    settings_list, threads = _settings_list(grid, maxcut_options, solver)
    settings_json = [_settings_json(s) for s in settings_list]
    bk = _read_best_known(best_known)
    probs = _load_problems(expand_problems(problems), ship=ship_graphs)
    # larger graphs first: the long tasks start early, the short ones fill the gaps at the end
    order = sorted(range(len(probs)), key=lambda i: -(probs[i].n + probs[i].m))
    tasks = [_Task(graph=probs[i].name, graph_hash=probs[i].hash, n=probs[i].n, m=probs[i].m, path=probs[i].path,
                   seed=s, settings=sj, version=__version__, threads=threads)
             for i in order for sj in settings_json for s in seed_list]
    listed = [_Task(graph=p.name, graph_hash=p.hash, n=p.n, m=p.m, path=p.path, seed=s, settings=sj,
                    version=__version__, threads=threads)
              for p in probs for sj in settings_json for s in seed_list]  # the table's order: as given
    keys = {t.key for t in tasks}

    rowfile = _RowFile(out_path)
    rowfile.open()  # locks the file before reading it: nobody appends meanwhile
    status = Status.COMPLETED
    computed = lost = skipped = 0
    try:
        _repair_tail(out_path)
        existing = read_rows(out_path)
        if retry_failed and any(r["error"] and _row_key(r) in keys for r in existing):
            existing = [r for r in existing if not (r["error"] and _row_key(r) in keys)]
            rowfile.rewrite(existing)
        have = {_row_key(r) for r in existing}
        todo = [t for t in tasks if t.key not in have]
        skipped = len(tasks) - len(todo)
        failed_now = 0
        if todo:
            import dask

            embedded = client is None and not (scheduler or dask.config.get("scheduler-address", None))
            with connect(client, scheduler, workers, retries, threads) as c:
                chunks = _Chunks(todo, _slots(c), tasks_per_chunk)
                report = _Progress(len(todo), chunks.slots, progress)
                pending: dict[Any, list[_Task]] = {}  # submitted chunks not yet written
                try:
                    from distributed import as_completed

                    ship = [p for p in probs if p.graph is not None and any(t.graph_hash == p.hash for t in todo)]
                    scattered = c.scatter([p.graph for p in ship], hash=False) if ship else []
                    shipped = {p.hash: f for p, f in zip(ship, scattered)}
                    # one key prefix: the sweep is one Dask task group. The first submission holds more
                    # chunks than twice the cluster's threads, so that Dask takes the group for root tasks:
                    # it queues them on the scheduler and hands them to workers as they free up, one at a
                    # time (worker-saturation 1.0), so a worker's death touches only the chunk it ran
                    run_id = uuid.uuid4().hex[:8]
                    numbers = itertools.count()
                    done = as_completed()

                    def submit(batches: list[list[_Task]]) -> None:
                        graphs = [{t.graph_hash: shipped[t.graph_hash] for t in b if t.graph_hash in shipped} or None
                                  for b in batches]
                        fs = c.map(_run_chunk, batches, graphs, solver=solver,
                                   key=[f"derand-sweep-{run_id}-{next(numbers)}" for _ in batches])
                        pending.update(zip(fs, batches))
                        done.update(fs)

                    def top_up() -> None:  # two chunks per worker thread (one running, one queued) and one
                        batches: list[list[_Task]] = []
                        while chunks.queue and len(pending) + len(batches) < 2 * chunks.slots + 1:
                            batches.append(chunks.take())
                        if batches:
                            submit(batches)

                    top_up()
                    report.update(0, 0, final=True)
                    slots_read = time.monotonic()
                    for f in done:
                        batch = pending.pop(f, None)
                        if batch is None:  # already written: never twice
                            continue
                        rows = None
                        if f.status == "finished":
                            try:
                                rows = f.result()
                            except CancelledError:
                                lost += len(batch)
                                continue
                            except Exception:  # noqa: BLE001 - its worker died before we fetched the result, and
                                pass  # Dask's rerun failed (see the status below)
                        if rows is not None:
                            chunks.observe(rows)
                        elif f.status == "error":
                            error = f.exception()
                            if type(error).__name__ == "KilledWorker" and len(batch) > 1:
                                # workers died in this chunk as often as allowed: its runs go again one
                                # by one, so that a fatal run fails alone and the others get their rows
                                submit([[t] for t in batch])
                                continue
                            rows = [_failed_row(t, error, retries if embedded else None) for t in batch]
                        elif f.status == "cancelled":
                            lost += len(batch)
                            continue
                        else:  # "lost" / "pending": its result's worker died before we fetched it; Dask reruns it
                            pending[f] = batch
                            done.add(f)
                            continue
                        rowfile.append(rows)
                        computed += len(rows)
                        failed_now += sum(bool(r.get("error")) for r in rows)
                        report.update(computed + lost, failed_now, final=computed + lost == len(todo))
                        f.release()
                        if time.monotonic() - slots_read > 5.0:  # the cluster may have grown or shrunk
                            chunks.slots, slots_read = max(1, _slots(c)), time.monotonic()
                        top_up()
                except KeyboardInterrupt:
                    status = Status.INTERRUPTED
                    lost += sum(len(b) for b in pending.values()) + len(chunks.queue)
                    with contextlib.suppress(Exception):
                        c.cancel(list(pending), force=True)
                finally:
                    report.close()
    except KeyboardInterrupt:
        status = Status.INTERRUPTED
    finally:
        rowfile.close()
    final = {}
    for r in read_rows(out_path):
        k = _row_key(r)
        if k in keys and k not in final:
            final[k] = r
    rows = [final[t.key] for t in listed if t.key in final]
    return SweepSummary(out=out_path, tasks=len(tasks), skipped=skipped,
                        computed=computed, failed=sum(bool(r["error"]) for r in rows),
                        lost=len(tasks) - len(rows), status=status, elapsed=time.perf_counter() - t_start,
                        rows=rows, best_known=bk)


# ----------------------------------------------------------------------------------------------------------
# the command


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``"0,1,2"``, ``"0-9"`` or a mix (``"0-4,10"``); ranges include both ends.

    Examples
    --------
    >>> parse_seeds("0-3,10")
    [0, 1, 2, 3, 10]
    """
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        try:
            if m:
                a, b = int(m[1]), int(m[2])
                if b < a:
                    raise ValueError(f"empty range {part!r}")
                if b - a >= 10**6:
                    raise ValueError(f"seed range {part!r} has more than 10^6 seeds")
                seeds.extend(range(a, b + 1))
            else:
                seeds.append(int(part))
        except ValueError as exc:
            raise ValueError(f"--seeds: {str(exc) if m else f'cannot read {part!r}'} (use e.g. 0,1,2 or 0-9)") \
                from None
    try:
        return _check_seeds(seeds)
    except ValueError as exc:
        raise ValueError(f"--seeds: {exc}") from None


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """A grid from ``["key=v1,v2", ...]``: values read as JSON when they parse (``10``, ``0.5``, ``true``,
    ``null``), else kept as strings (``gw``, ``1flip``).

    Examples
    --------
    >>> parse_grid(["rounding=gw,derand-exact", "n_hyperplanes=10"])
    {'rounding': ['gw', 'derand-exact'], 'n_hyperplanes': [10]}
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, vals = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key or not vals.strip():
            raise ValueError(f"--grid {item!r}: expected KEY=V1,V2,...")
        if key in grid:
            raise ValueError(f"--grid: key {key!r} given twice")
        grid[key] = [_value(v.strip()) for v in vals.split(",")]
    return grid


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``derand-fast sweep``."""
    p.add_argument("graphs", nargs="+", metavar="GRAPH", help="graph files or folders of graph files")
    p.add_argument("--seeds", default="0", help="seeds: 0,1,2 or 0-9 or a mix (default 0)")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="a maxcut option and its values (repeatable; every combination runs), e.g. "
                        "--grid rounding=gw,derand-exact --grid time_limit=5; a single value fixes the option")
    p.add_argument("--out", required=True, help="output rows: CSV, or JSON lines for a .jsonl name; an "
                   "existing output is continued (rows already there are not run again)")
    p.add_argument("--workers", type=int, default=None, help="worker processes of the embedded cluster "
                   "(default: one per core)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://host:8786; default $DASK_SCHEDULER_ADDRESS, else an "
                        "embedded cluster)")
    p.add_argument("--retries", type=int, default=2,
                   help="re-runs of a task whose worker died (embedded cluster; default 2)")
    p.add_argument("--retry-failed", action="store_true", help="run the failed rows in --out again")
    p.add_argument("--best-known", default=None, metavar="FILE",
                   help="CSV with columns name,best_known for the summary (default: the package's Gset values)")
    p.add_argument("--ship-graphs", action="store_true",
                   help="send the graphs to the workers instead of letting them read the files")
    p.add_argument("--tasks-per-chunk", type=int, default=None, metavar="K",
                   help="runs per Dask task (default: adaptive, about 0.25 s of work per Dask task)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


def run(args: argparse.Namespace) -> int:
    """Run ``derand-fast sweep``: 0 all rows fine, 1 some rows failed, 2 bad input, 130 / 143 on a signal."""
    from .runcontrol import RunControl, signal_handlers

    control = RunControl()
    try:
        seeds = parse_seeds(args.seeds)
        grid = parse_grid(args.grid)
        fixed = {k: v[0] for k, v in grid.items() if len(v) == 1}
        grid = {k: v for k, v in grid.items() if len(v) > 1}
        with signal_handlers(control):
            summary = sweep(args.graphs, seeds=seeds, grid=grid, out=args.out, scheduler=args.scheduler,
                            workers=args.workers, retries=args.retries, retry_failed=args.retry_failed,
                            progress=not args.quiet, best_known=args.best_known, ship_graphs=args.ship_graphs,
                            tasks_per_chunk=args.tasks_per_chunk, **fixed)
    except (ValueError, FileNotFoundError, TypeError) as exc:
        print(f"derand-fast: error: {exc}", file=sys.stderr)
        return 2
    if summary.status != Status.COMPLETED and control.reason is not None:
        summary.status = control.reason
    with contextlib.suppress(OSError, ValueError):
        print(summary.table(), flush=True)
    if summary.status != Status.COMPLETED:
        return EXIT_CODES[summary.status]
    return 1 if summary.failed else 0
