"""The command line of ``derand-fast reproduce`` (registered in :data:`derand_fast.cli.SUBCOMMANDS`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .._argtypes import int_at_least
from .._validation import SEED_MAX
from .driver import reproduce
from .registry import ALIASES, EXPERIMENTS, select

__all__ = ["add_arguments", "run"]


def _only(text: str) -> list[str]:
    names = [s for s in text.split(",") if s.strip()]
    try:
        select(names)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("only: ")) from None
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of experiments")
    return names


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``derand-fast reproduce``."""
    known = ", ".join(list(EXPERIMENTS) + sorted(ALIASES))
    p.add_argument("--only", type=_only, default=None, metavar="LIST",
                   help=f"comma-separated experiments to run (default all): {known}")
    p.add_argument("--out", default="reproduction", metavar="DIR",
                   help="directory for the PNGs and results.json (default ./reproduction)")
    p.add_argument("--report", default=None, metavar="FILE",
                   help="where to write REPRODUCTION.md (default DIR/REPRODUCTION.md)")
    p.add_argument("--quick", action="store_true", help="small settings, under two minutes (used by the tests)")
    p.add_argument("--seed", type=int_at_least(0, upper=SEED_MAX), default=0,
                   help="seed of every experiment in [0, 2^63 - 1] (default 0)")
    p.add_argument("--threads", type=int_at_least(1), default=None, help="threads (default: all)")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder of the Gset graph files G1, G11, ... for ext_gset and ext_gset_mc "
                        "(default $DERAND_FAST_DATA; without either only the built-in G43 runs)")


def run(args: argparse.Namespace) -> int:
    """Run ``derand-fast reproduce``; exit code 0 when every experiment ran."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"derand-fast: error: --out {args.out}: exists and is not a directory", file=sys.stderr)
        return 2
    from ..maxcut.data import data_dir  # here: the command starts without importing the MAXCUT package

    try:
        data = data_dir(args.data, name="--data")
    except NotADirectoryError as exc:
        print(f"derand-fast: error: {exc}", file=sys.stderr)
        return 2
    res = reproduce(out, only=args.only, quick=args.quick, seed=args.seed, threads=args.threads,
                    report=args.report, data_dir=data)
    bad = [n for n, e in res["experiments"].items() if e["status"] != "ok"]
    for n in bad:
        print(f"derand-fast: {n} {res['experiments'][n]['status']}: {res['experiments'][n]['error']}",
              file=sys.stderr)
    report = args.report or out / "REPRODUCTION.md"
    print(f"wrote {out / 'results.json'} and {report}")
    return 1 if bad else 0
