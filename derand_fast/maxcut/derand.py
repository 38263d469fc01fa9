"""The derandomized roundings, imported together (kept for imports written before each method registered itself).

Each method registers itself in :data:`derand_fast.maxcut.rounding.ROUNDINGS`
when its module is imported: ``"derand-exact"``
(:func:`~derand_fast.maxcut.derand_exact.derand_exact`), ``"derand-mc"``
(:func:`~derand_fast.maxcut.derand_mc.derand_mc`, the paper's Theorem 5.2)
and ``"hyperplane-mc"`` (:func:`~derand_fast.maxcut.derand_mc.hyperplane_mc`,
paper App. F.2). They follow the registry's protocol directly (``progress``
and ``control`` pass through; they return a
:class:`~derand_fast.maxcut.derand_common.RoundingOutcome`), so there is no
adapter: importing this module only imports both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .derand_common import RoundingOutcome
from .derand_exact import derand_exact
from .derand_mc import derand_mc, hyperplane_mc

__all__ = ["DERAND_METHODS", "outcome_info"]

#: registry name -> method (each is also ``ROUNDINGS[name]``)
DERAND_METHODS: dict[str, Callable[..., RoundingOutcome]] = {
    "derand-exact": derand_exact,
    "derand-mc": derand_mc,
    "hyperplane-mc": hyperplane_mc,
}


def outcome_info(out: RoundingOutcome) -> dict[str, Any]:
    """``out.as_info()``: the JSON-friendly summary of a rounding outcome (kept for older imports)."""
    return out.as_info()
