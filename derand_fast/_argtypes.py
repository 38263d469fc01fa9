"""argparse value types shared by the ``derand-fast`` subcommands."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["int_at_least", "positive_float"]


def int_at_least(lo: int, upper: int | None = None) -> Callable[[str], int]:
    """An argparse ``type=`` accepting integers ``>= lo`` (and ``<= upper``) with a one-line error otherwise."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < lo or (upper is not None and v > upper):
            rng = f">= {lo}" if upper is None else f"in [{lo}, {upper}]"
            raise argparse.ArgumentTypeError(f"expected an integer {rng}, got {v}")
        return v

    parse.__name__ = f"int>={lo}"
    return parse


def positive_float(text: str) -> float:
    """An argparse ``type=`` accepting positive finite numbers."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return v
