"""The driver of ``derand-fast reproduce``: runs a selection of experiments, writes the PNGs,
``results.json`` and ``REPRODUCTION.md``."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._validation import check_seed
from . import registry
from ._common import RunContext
from .report import write_report
from .schema import Claim, jsonable

__all__ = ["reproduce"]


class _Progress:
    """One-line progress bar on stderr, weighted by the expected time of each experiment.

    ``progress`` is a text stream, None/False (off), True (stderr) or a
    callable of the package's progress protocol (:mod:`derand_fast.progress`),
    which receives ``("reproduce", fraction, text)``.
    """

    def __init__(self, total: float, progress: Any) -> None:
        self.fn = progress if callable(progress) and not hasattr(progress, "write") else None
        stream = sys.stderr if progress is True else None if progress is False or self.fn else progress
        if stream is not None and not hasattr(stream, "write"):
            raise TypeError("progress must be a text stream, a bool, None or a callable(stage, fraction, info), "
                            f"got {type(progress).__name__}")
        self.total, self.done, self.stream, self.t0 = max(total, 1e-9), 0.0, stream, time.perf_counter()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())

    def show(self, text: str, end: bool = False) -> None:
        frac = min(self.done / self.total, 1.0)
        if self.fn is not None:
            self.fn("reproduce", frac, text)
        if self.stream is None:
            return
        bar = "#" * int(round(24 * frac))
        line = f"[{bar:<24}] {100 * frac:3.0f}%  {time.perf_counter() - self.t0:6.0f} s  {text}"
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if end else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def reproduce(out_dir: str | Path, *, only: Sequence[str] | None = None, quick: bool = False, seed: int = 0,
              threads: int | None = None, report: str | Path | None = None,
              data_dir: str | os.PathLike[str] | None = None, progress: Any = sys.stderr) -> dict[str, Any]:
    """Run the experiments; write the PNGs, ``results.json`` and ``REPRODUCTION.md``.

    Parameters
    ----------
    out_dir : path
        Receives the PNGs and ``results.json`` (created if missing).
    only : sequence of str, optional
        Experiment names of :data:`~derand_fast.reproduce.registry.EXPERIMENTS` (or ``fig1`` ... ``fig7``);
        default all.
    quick : bool
        Reduced settings (under two minutes in total); verdicts refer to them.
    seed : int >= 0
        One seed for every experiment.
    threads : int, optional
        Threads for every kernel (default all); the numbers do not depend on it.
    report : path, optional
        Where to write the Markdown report (default ``out_dir/REPRODUCTION.md``).
    data_dir : path, optional
        Folder of the Gset graph files (``G1``, ``G11``, ...) for the Gset
        extension; default ``$DERAND_FAST_DATA``. Without either, only the
        built-in G43 runs and the other graphs are reported as not run.
    progress : text stream, bool, callable or None
        Where the expected time and the progress bar go (default stderr;
        True also means stderr, None or False nothing), or a callable of
        the package's progress protocol (:mod:`derand_fast.progress`)
        receiving ``("reproduce", fraction, text)`` per experiment.

    Returns
    -------
    dict
        The content of ``results.json``. A Ctrl-C stops the run after writing
        what is done (experiment status ``"interrupted"``), then re-raises.
    """
    from .. import __version__
    from .._plotting import require_matplotlib
    from .._threads import thread_scope
    from ..maxcut.data import data_dir as resolve_data_dir

    require_matplotlib("derand-fast reproduce")  # before any experiment runs
    seed = check_seed(seed)
    names = registry.select(only)
    data = resolve_data_dir(data_dir)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir: {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    report_path = out / "REPRODUCTION.md" if report is None else Path(report)
    expected = {n: registry.EXPERIMENTS[n].seconds[0 if quick else 1] for n in names}
    bar = _Progress(sum(expected.values()), progress)
    if bar.stream is not None:
        bar.stream.write(f"derand-fast reproduce: {len(names)} experiment(s), {'quick' if quick else 'full'} settings, "
                       f"expected ~{sum(expected.values()) / 60:.1f} min (as measured on a busy 2-core machine)\n")
    results: dict[str, Any] = {"package": "derand_fast", "version": __version__, "quick": bool(quick),
                               "seed": int(seed), "threads": None, "data_dir": None if data is None else str(data),
                               "total_seconds": 0.0, "experiments": {}}
    t_all = time.perf_counter()
    interrupted = False
    with thread_scope(threads) as nt:
        results["threads"] = nt
        for i, name in enumerate(names):
            exp = registry.EXPERIMENTS[name]
            bar.show(f"{i + 1}/{len(names)} {name}: {exp.title}")
            entry: dict[str, Any] = {"title": exp.title, "status": "ok", "error": None, "seconds": None,
                                     "cpu_seconds": None, "settings": {}, "numbers": {}, "figures": [], "claims": []}
            t, c = time.perf_counter(), time.process_time()
            try:
                if interrupted:
                    raise KeyboardInterrupt
                o = exp.run(RunContext(quick=bool(quick), out=out, seed=seed, threads=nt, data_dir=data))
                entry.update(settings=o.settings, numbers=o.numbers, claims=[c_.__dict__ for c_ in o.claims],
                             figures=[os.path.relpath(f, out) for f in o.figures])
            except KeyboardInterrupt:
                interrupted = True
                entry.update(status="interrupted", error="interrupted (Ctrl-C)")
            except Exception as exc:  # one broken experiment must not hide the others' results
                entry.update(status="failed", error=f"{type(exc).__name__}: {exc}")
            if entry["status"] != "ok":
                entry["claims"] = [Claim(f, s, p, "—", "not run", entry["error"]).__dict__ for f, s, p in exp.claims]
            entry["seconds"] = time.perf_counter() - t
            entry["cpu_seconds"] = time.process_time() - c
            results["experiments"][name] = jsonable(entry)
            bar.done += expected[name]
            bar.show(f"{i + 1}/{len(names)} {name}: {entry['status']} in {entry['seconds']:.0f} s",
                     end=i + 1 == len(names))
    results["total_seconds"] = time.perf_counter() - t_all
    (out / "results.json").write_text(json.dumps(results, indent=1, allow_nan=False))
    write_report(results, out, report_path)
    if interrupted:
        raise KeyboardInterrupt
    return results

