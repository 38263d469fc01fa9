"""The ``derand-fast`` command.

``derand-fast`` alone runs MAXCUT on the Gset graph G43 shipped with the
package; ``derand-fast maxcut [GRAPH] [options]`` on any graph file.
Subcommands are registered in :data:`SUBCOMMANDS` (name -> (add_arguments,
run)).

Exit codes: 0 success (a run stopped by ``--time-limit`` included), 2 bad
input or unwritable output (one line on stderr), 130 SIGINT (Ctrl-C), 143
SIGTERM. On SIGINT or SIGTERM a run stops within about a second, keeps the
best cut found so far, writes its JSON and prints its summary; a second
signal exits at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._argtypes import int_at_least, positive_float
from ._io import check_writable
from ._validation import SEED_MAX
from .reproduce.command import add_arguments as _reproduce_arguments
from .reproduce.command import run as _reproduce_run
from .sweep import add_arguments as _sweep_arguments
from .sweep import run as _sweep_run

__all__ = ["main", "SUBCOMMANDS"]


class _UsageError(Exception):
    """Bad command-line input: reported on one line, exit code 2."""


_positive_int = int_at_least(1)
_nonneg_int = int_at_least(0)
_seed = int_at_least(0, upper=SEED_MAX)

_EPILOG = ("exit codes: 0 success (also when --time-limit stopped the run), 2 bad input or unwritable output, "
           "130 interrupted by SIGINT (Ctrl-C), 143 terminated by SIGTERM; on a signal the best cut so far is "
           "written (--json) and printed, a second signal exits at once")


class _DeprecatedFlag(argparse.Action):
    """A former flag kept as a hidden alias: stores into the new flag's ``dest`` and names it on stderr."""

    def __init__(self, option_strings: list[str], dest: str, *, replacement: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, **kwargs)
        self.replacement = replacement

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        print(f"derand-fast: {option_string} is deprecated: use {self.replacement}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def _pipeline_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the MAXCUT pipeline, shared by ``maxcut``, ``qubo`` and ``ising``."""
    from .maxcut.rounding import available_roundings

    p.add_argument("--rank", type=_positive_int, default=None, help="SDP rank (default ceil(sqrt(2n)))")
    p.add_argument("--max-rank", type=_positive_int, default=None, help="cap on the default rank")
    p.add_argument("--seed", type=_seed, default=0, help="random seed in [0, 2^63 - 1] (default 0)")
    p.add_argument("--threads", type=_positive_int, default=None,
                   help="threads (default: all with --time-limit; without one, 1 below 2*10^4 nodes + edges, else "
                        "all); the cut does not depend on it without --time-limit")
    p.add_argument("--rounding", default="derand-exact", choices=available_roundings(),
                   help="rounding method (default derand-exact; gw is the randomized baseline)")
    p.add_argument("--hyperplanes", type=_nonneg_int, default=1000,
                   help="GW hyperplanes (default 1000; 0 skips the GW baseline of other roundings)")
    p.add_argument("--local-search", dest="local_search", default="anneal",
                   choices=("anneal", "tabu", "1flip", "none"),
                   help="polish of the best cut so far: simulated annealing (default; 10^4 sweeps, or until "
                        "--time-limit on one chain per thread), tabu search (5000 n + 10^6 moves, at most 4e7, "
                        "or until --time-limit), 1flip (to the first local optimum) or none")
    p.add_argument("--no-local-search", dest="local_search", action="store_const", const="none",
                   help="same as --local-search none")
    p.add_argument("--local-search-moves", type=_nonneg_int, default=None, help="moves of the tabu search")
    p.add_argument("--local-search-sweeps", type=_nonneg_int, default=None, help="sweeps of the annealing")
    p.add_argument("--local-search-time", type=positive_float, default=None,
                   help="seconds for the local search (a cap)")
    for unit, kind in (("moves", _nonneg_int), ("sweeps", _nonneg_int), ("time", positive_float)):
        # the former names --polish-moves, --polish-sweeps, --polish-time: hidden aliases
        p.add_argument(f"--polish-{unit}", dest=f"local_search_{unit}", type=kind, default=argparse.SUPPRESS,
                       action=_DeprecatedFlag, replacement=f"--local-search-{unit}", help=argparse.SUPPRESS)
    p.add_argument("--time-limit", type=positive_float, default=None,
                   help="seconds for the whole run, counted from the process start (loading included)")
    p.add_argument("--json", metavar="FILE", default=None,
                   help="also write the result as JSON to FILE ('-': standard output); checked before the run, "
                        "replaced atomically")
    p.add_argument("--quiet", action="store_true", help="print nothing (use with --json)")
    p.add_argument("--verbose", action="store_true",
                   help="plain progress lines on stderr naming each stage (sdp, gw, rounding METHOD, polish METHOD), "
                        "also when stderr is not a terminal")


def _maxcut_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("graph", nargs="?", default=None,
                   help="graph file: Gset/rudy, edge list or Matrix Market, optionally .gz "
                        "(default: the built-in G43)")
    _pipeline_arguments(p)


def _pipeline_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"rank": args.rank, "max_rank": args.max_rank, "seed": args.seed, "threads": args.threads,
            "rounding": args.rounding, "n_hyperplanes": args.hyperplanes, "local_search": args.local_search,
            "local_search_moves": args.local_search_moves, "local_search_sweeps": args.local_search_sweeps,
            "local_search_time": args.local_search_time}


def _run_controlled(args: argparse.Namespace, inputs: list[Path], load: Callable[[], Any],
                    solve: Callable[[Any, dict[str, Any]], Any]) -> int:
    """Run ``solve(load(), options)`` under signal handlers and the clock; write ``--json``, then the summary.

    ``options`` are the pipeline's keyword arguments plus ``control`` and
    ``progress``. The result must have ``status``, ``to_json(path=None)`` and
    ``summary()`` (or ``__str__``). Bad input (``ValueError`` and kin from
    ``load`` or ``solve``) becomes exit code 2.
    """
    from .progress import LineProgress
    from .runcontrol import EXIT_CODES, RunControl, process_start_time, signal_handlers

    to_stdout = args.json == "-"
    if args.json is not None and not to_stdout:
        try:
            for path in inputs:
                check_writable(args.json, not_same_as=path)
        except ValueError as exc:
            raise _UsageError(f"--json {exc}") from None
    # the command's clock starts with the process; main(argv) called from Python starts it now
    start = process_start_time() if getattr(args, "clock_from_process", False) else None
    control = RunControl(args.time_limit, start=start)
    if args.verbose:
        progress: Any = LineProgress(start=control.start)
    else:
        progress = sys.stderr.isatty() and not args.quiet
    with signal_handlers(control) as state:
        try:
            problem = load()
        except (ValueError, FileNotFoundError, TypeError, OSError, MemoryError) as exc:
            raise _UsageError(str(exc)) from None
        # time kept for the output after the run: about 0.1 s per 10^6 partition entries, written twice at most
        control.reserve(0.05 + 2e-7 * getattr(problem, "n", 0))
        try:
            res = solve(problem, {**_pipeline_options(args), "control": control, "progress": progress})
        except (ValueError, TypeError) as exc:
            raise _UsageError(str(exc)) from None
        state["finishing"] = True  # from here a first signal is only recorded: the result gets written
        code = EXIT_CODES[res.status]
        if args.json is not None and not to_stdout:  # the JSON first: the summary's pipe may be closed
            try:
                res.to_json(args.json)
            except OSError as exc:
                print(f"derand-fast: error: could not write --json {args.json} ({exc}); "
                      "the result is printed below", file=sys.stderr)
                to_stdout, code = True, code or 2
        if not args.quiet or to_stdout:
            _print_or_drop(res.to_json() if to_stdout else str(res))
        if code == 0 and control.reason is not None:  # a signal while the result was being written
            code = EXIT_CODES[control.reason]
    return code


def _maxcut_run(args: argparse.Namespace) -> int:
    from .maxcut.data import builtin_graph_path
    from .maxcut.graph import load_graph
    from .maxcut.solve import maxcut

    path = Path(args.graph) if args.graph is not None else builtin_graph_path()

    def load() -> Any:
        graph = load_graph(path)
        if graph.n == 0:
            raise ValueError(f"{path}: the graph has no nodes")
        return graph

    def solve(graph: Any, options: dict[str, Any]) -> Any:
        res = maxcut(graph, **options)
        res.params["command"] = [os.path.basename(sys.argv[0]) or "derand-fast", *sys.argv[1:]]
        return res

    return _run_controlled(args, [path], load, solve)


def _qubo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem", help="QUBO file in the Biq Mac .sparse format (first line 'n m', then 'i j q', "
                                   "1-based, upper triangle with the diagonal; minimizes x'Qx over x in {0,1})")
    _pipeline_arguments(p)


def _qubo_run(args: argparse.Namespace) -> int:
    from .ising import read_qubo, solve_qubo

    path = Path(args.problem)
    return _run_controlled(args, [path], lambda: read_qubo(path), lambda Q, options: solve_qubo(Q, **options))


def _ising_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem", help="Ising edge list: lines 'i j J' (couplings) and 'i h' (fields); "
                                   "minimizes sum h_i s_i + sum J_ij s_i s_j over s in {-1,+1}")
    p.add_argument("--fields", metavar="FILE", default=None, help="fields 'i h' in a separate file")
    _pipeline_arguments(p)


def _ising_run(args: argparse.Namespace) -> int:
    from .ising import read_ising, solve_ising

    path = Path(args.problem)
    fields = None if args.fields is None else Path(args.fields)
    inputs = [path] if fields is None else [path, fields]
    return _run_controlled(args, inputs, lambda: read_ising(path, fields),
                           lambda hJ, options: solve_ising(hJ[0], hJ[1], **options))


def _print_or_drop(text: str) -> None:
    """Print to stdout; a closed pipe (``| head``) is not an error."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # no further writes to the closed pipe, also not at interpreter exit
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())


#: name -> (add_arguments(parser), run(args) -> exit code)
SUBCOMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "maxcut": (_maxcut_arguments, _maxcut_run),
    "qubo": (_qubo_arguments, _qubo_run),
    "ising": (_ising_arguments, _ising_run),
    "sweep": (_sweep_arguments, _sweep_run),
    "reproduce": (_reproduce_arguments, _reproduce_run),
}

_HELP = {"maxcut": "approximate MAXCUT: low-rank SDP with a certified bound, GW / derandomized rounding, "
                   "annealing or tabu-search polish",
         "qubo": "minimize a QUBO (Biq Mac .sparse file) through the MAXCUT pipeline, with a certified lower bound",
         "ising": "minimize an Ising model (i j J / i h edge list) through the MAXCUT pipeline, with a certified "
                  "lower bound",
         "sweep": "graphs x seeds x settings on Dask: rows streamed to CSV/JSONL, resumable",
         "reproduce": "regenerate the paper's figures and claims: PNGs, results.json, REPRODUCTION.md"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="derand-fast", description="derand_fast: the derandomization framework, fast. "
        "Without a subcommand, runs 'maxcut' on the built-in Gset graph G43.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"derand-fast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (add_arguments, run) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=_HELP.get(name), description=_HELP.get(name),
                           epilog=_EPILOG if name in ("maxcut", "qubo", "ising") else None)
        add_arguments(p)
        p.set_defaults(func=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Without ``argv`` (the installed command) ``--time-limit`` counts from the
    process start; with ``argv`` (called from Python) from this call.
    """
    # OpenMP workers that spin while waiting steal the CPU their partner thread
    # needs when the machine is busy (G81 SDP sweeps: 2 threads 2.7x slower than
    # 1 under load with spinning, as fast as 1 with passive waiting). Passive
    # waiting costs a futex wake-up per parallel region, which the kernels keep
    # rare. Must be set before libgomp loads; an explicit user setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from_process = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["maxcut", *argv]  # the default command: `derand-fast [GRAPH] [options]`
    try:
        args = parser.parse_args(argv)  # usage errors: argparse prints one line and exits with 2
    except SystemExit as exc:
        return int(exc.code or 0)
    args.clock_from_process = from_process
    try:
        return int(args.func(args))
    except _UsageError as exc:
        print(f"derand-fast: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a signal before any result existed (e.g. while the graph was read)
        print("derand-fast: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
