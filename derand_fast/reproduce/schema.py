"""The results schema of ``derand-fast reproduce``: claims, outcomes and the layout of ``results.json``.

An experiment returns an :class:`Outcome`: the numbers behind its figures,
the PNG files, the settings, and one :class:`Claim` per statement of the paper
(the paper's value, ours, and a verdict computed from our numbers by a rule
stated in the claim). :func:`validate_results` checks a loaded
``results.json`` against the schema.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Claim", "Outcome", "VERDICTS", "jsonable", "validate_results"]

VERDICTS = ("reproduced", "differs", "not run")


@dataclass(frozen=True)
class Claim:
    """One statement of the paper (or of our extensions) set against our number.

    Attributes
    ----------
    figure : str
        ``"Fig. 4"``, ``"Extension"``...
    statement : str
        What the paper states.
    paper : str
        The paper's value, as stated.
    ours : str
        Our value.
    verdict : {"reproduced", "differs", "not run"}
    note : str
        The rule behind the verdict, and why where it differs.
    """

    figure: str
    statement: str
    paper: str
    ours: str
    verdict: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass
class Outcome:
    """What one experiment returns: numbers (JSON-able), PNG paths, settings and claims."""

    numbers: dict[str, Any]
    figures: list[Path]
    settings: dict[str, Any]
    claims: list[Claim]


def jsonable(v: Any) -> Any:
    """Plain JSON values: arrays to lists, NumPy scalars to Python, non-finite floats to None."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, Path):
        return str(v)
    if v is None or isinstance(v, str):
        return v
    raise TypeError(f"cannot store a {type(v).__name__} in results.json")


_SCHEMA_TOP = {"package": str, "version": str, "quick": bool, "seed": int, "threads": int,
               "total_seconds": (int, float), "experiments": dict}
_SCHEMA_EXP = {"title": str, "status": str, "error": (str, type(None)), "seconds": (int, float),
               "cpu_seconds": (int, float), "settings": dict, "numbers": dict, "figures": list, "claims": list}
_SCHEMA_CLAIM = {"figure": str, "statement": str, "paper": str, "ours": str, "verdict": str, "note": str}


def validate_results(data: Any) -> list[str]:
    """Check a loaded ``results.json`` against the schema; returns the problems found (empty: valid).

    ``data_dir`` (the Gset folder of the run, or None) is optional: files written before it existed stay valid.
    """
    errors: list[str] = []

    def check(obj: Any, schema: dict[str, Any], where: str) -> bool:
        if not isinstance(obj, dict):
            errors.append(f"{where}: expected an object, got {type(obj).__name__}")
            return False
        for key, typ in schema.items():
            if key not in obj:
                errors.append(f"{where}: missing {key!r}")
            elif isinstance(obj[key], bool) and typ is not bool and bool not in (typ if isinstance(typ, tuple)
                                                                                 else (typ,)):
                errors.append(f"{where}.{key}: expected {typ}, got bool")
            elif not isinstance(obj[key], typ):
                errors.append(f"{where}.{key}: expected {typ}, got {type(obj[key]).__name__}")
        return True

    if not check(data, _SCHEMA_TOP, "results"):
        return errors
    if not isinstance(data.get("data_dir"), (str, type(None))):
        errors.append(f"results.data_dir: expected a path string or null, got {type(data['data_dir']).__name__}")
    for name, e in data.get("experiments", {}).items():
        if not check(e, _SCHEMA_EXP, name):
            continue
        if e.get("status") not in ("ok", "failed", "interrupted"):
            errors.append(f"{name}.status: unknown value {e.get('status')!r}")
        for i, f in enumerate(e.get("figures", [])):
            if not isinstance(f, str) or not f.endswith(".png"):
                errors.append(f"{name}.figures[{i}]: expected a .png path")
        if not e.get("claims"):
            errors.append(f"{name}.claims: empty")
        for i, c in enumerate(e.get("claims", [])):
            if check(c, _SCHEMA_CLAIM, f"{name}.claims[{i}]") and c.get("verdict") not in VERDICTS:
                errors.append(f"{name}.claims[{i}].verdict: {c.get('verdict')!r} not in {VERDICTS}")
    return errors

