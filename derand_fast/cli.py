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
from importlib import resources
from pathlib import Path
from typing import Any

from ._argtypes import int_at_least, positive_float
from ._io import check_writable

from .reproduce import add_arguments as _reproduce_arguments
from .reproduce import run as _reproduce_run

__all__ = ["main", "SUBCOMMANDS", "builtin_graph_path"]


class _UsageError(Exception):
    """Bad command-line input: reported on one line, exit code 2."""


def builtin_graph_path() -> Path:
    """Path of the Gset graph G43 (n = 1000, m = 9990) shipped with the package."""
    return Path(str(resources.files("derand_fast.maxcut").joinpath("data", "G43")))


_positive_int = int_at_least(1)
_nonneg_int = int_at_least(0)
_seed = int_at_least(0, upper=2**63 - 1)

_EPILOG = ("exit codes: 0 success (also when --time-limit stopped the run), 2 bad input or unwritable output, "
           "130 interrupted by SIGINT (Ctrl-C), 143 terminated by SIGTERM; on a signal the best cut so far is "
           "written (--json) and printed, a second signal exits at once")


def _maxcut_arguments(p: argparse.ArgumentParser) -> None:
    from .maxcut.rounding import available_roundings

    p.add_argument("graph", nargs="?", default=None,
                   help="graph file: Gset/rudy, edge list or Matrix Market (default: the built-in G43)")
    p.add_argument("--rank", type=_positive_int, default=None, help="SDP rank (default ceil(sqrt(2n)))")
    p.add_argument("--max-rank", type=_positive_int, default=None, help="cap on the default rank")
    p.add_argument("--seed", type=_seed, default=0, help="random seed in [0, 2^63 - 1] (default 0)")
    p.add_argument("--threads", type=_positive_int, default=None, help="threads (default: all)")
    p.add_argument("--rounding", default="derand-exact", choices=available_roundings(),
                   help="rounding method (default derand-exact; gw is the randomized baseline)")
    p.add_argument("--hyperplanes", type=_nonneg_int, default=1000,
                   help="GW hyperplanes (default 1000; 0 skips the GW baseline of other roundings)")
    p.add_argument("--local-search", dest="local_search", default="tabu", choices=("tabu", "1flip", "none"),
                   help="polish of the rounded cut: tabu search (default; 5000 n + 10^6 moves, at most 4e7, "
                        "or until --time-limit), 1flip (to the first local optimum) or none")
    p.add_argument("--no-local-search", dest="local_search", action="store_const", const="none",
                   help="same as --local-search none")
    p.add_argument("--polish-moves", type=_nonneg_int, default=None, help="moves of the tabu search")
    p.add_argument("--polish-time", type=positive_float, default=None, help="seconds for the tabu search (a cap)")
    p.add_argument("--time-limit", type=positive_float, default=None,
                   help="seconds for the whole run, counted from the process start (loading included)")
    p.add_argument("--json", metavar="FILE", default=None,
                   help="also write the result as JSON to FILE ('-': standard output); checked before the run, "
                        "replaced atomically")
    p.add_argument("--quiet", action="store_true", help="print nothing (use with --json)")
    p.add_argument("--verbose", action="store_true",
                   help="plain progress lines on stderr naming each stage (sdp, gw, rounding METHOD, polish METHOD), "
                        "also when stderr is not a terminal")


def _maxcut_run(args: argparse.Namespace) -> int:
    from .maxcut.graph import load_graph
    from .maxcut.progress import LineProgress
    from .maxcut.solve import maxcut
    from .runcontrol import EXIT_CODES, RunControl, process_start_time, signal_handlers

    path = Path(args.graph) if args.graph is not None else builtin_graph_path()
    to_stdout = args.json == "-"
    if args.json is not None and not to_stdout:
        try:
            check_writable(args.json, not_same_as=path)
        except ValueError as exc:
            raise _UsageError(f"--json {exc}") from None
    control = RunControl(args.time_limit, start=process_start_time())
    if args.verbose:
        progress: Any = LineProgress(start=control.start)
    else:
        progress = sys.stderr.isatty() and not args.quiet
    with signal_handlers(control) as state:
        try:
            graph = load_graph(path)
            if graph.n == 0:
                raise ValueError(f"{path}: the graph has no nodes")
        except (ValueError, FileNotFoundError, TypeError, OSError, MemoryError) as exc:
            raise _UsageError(str(exc)) from None
        try:
            res = maxcut(graph, rank=args.rank, max_rank=args.max_rank, seed=args.seed, threads=args.threads,
                         rounding=args.rounding, n_hyperplanes=args.hyperplanes, local_search=args.local_search,
                         polish_moves=args.polish_moves, polish_time=args.polish_time, control=control,
                         progress=progress)
        except (ValueError, TypeError) as exc:
            raise _UsageError(str(exc)) from None
        state["finishing"] = True  # from here a first signal is only recorded: the result gets written
        res.params["command"] = [os.path.basename(sys.argv[0]) or "derand-fast", *sys.argv[1:]]
        code = EXIT_CODES[res.status]
        if args.json is not None and not to_stdout:  # the JSON first: the summary's pipe may be closed
            try:
                res.to_json(args.json)
            except OSError as exc:
                print(f"derand-fast: error: could not write --json {args.json} ({exc}); "
                      "the result is printed below", file=sys.stderr)
                to_stdout, code = True, code or 2
        if not args.quiet or to_stdout:
            _print_or_drop(res.to_json() if to_stdout else res.summary())
        if code == 0 and control.reason is not None:  # a signal while the result was being written
            code = EXIT_CODES[control.reason]
    return code


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
    "reproduce": (_reproduce_arguments, _reproduce_run),
}

_HELP = {"maxcut": "approximate MAXCUT: low-rank SDP bound, GW / derandomized rounding, tabu-search polish",
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
                           epilog=_EPILOG if name == "maxcut" else None)
        add_arguments(p)
        p.set_defaults(func=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    # OpenMP workers that spin while waiting steal the CPU their partner thread
    # needs when the machine is busy (G81 SDP sweeps: 2 threads 2.7x slower than
    # 1 under load with spinning, as fast as 1 with passive waiting). Passive
    # waiting costs a futex wake-up per parallel region, which the kernels keep
    # rare. Must be set before libgomp loads; an explicit user setting wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv = ["maxcut", *argv]  # the default command: `derand-fast [GRAPH] [options]`
    try:
        args = parser.parse_args(argv)  # usage errors: argparse prints one line and exits with 2
    except SystemExit as exc:
        return int(exc.code or 0)
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
