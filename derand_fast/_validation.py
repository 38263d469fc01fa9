"""Scalar argument checks shared by every module: errors name the argument."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["SEED_MAX", "check_betas", "check_count", "check_positive", "check_seed", "check_time_limit", "renamed"]

#: The largest seed: seeds are ints in ``[0, SEED_MAX]`` (the non-negative int64 range).
SEED_MAX = 2**63 - 1


def check_positive(value: Any, name: str, *, upper: float | None = None) -> float:
    """A positive finite float (optionally ``<= upper``), else TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if upper is not None and v > upper:
        raise ValueError(f"{name} must be <= {upper}, got {value!r}")
    return v


def check_count(value: Any, name: str, minimum: int = 1) -> int:
    """An int ``>= minimum``, else TypeError/ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed: a Python or NumPy int in ``[0, 2**63 - 1]``.

    Raises ValueError naming ``name`` and the range for a bool, a negative
    int or a larger one (refused rather than reduced: ``2**64`` must not
    silently give the run of seed ``0``), TypeError for a non-int.
    """
    if isinstance(seed, (bool, np.bool_)):
        raise ValueError(f"{name} must be an int in [0, 2**63 - 1], got the bool {seed}")
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name} must be an int in [0, 2**63 - 1], got {type(seed).__name__}")
    if not 0 <= seed <= SEED_MAX:
        raise ValueError(f"{name} must be an int in [0, 2**63 - 1], got {seed}")
    return int(seed)


def check_time_limit(value: Any, name: str = "time_limit") -> float | None:
    """A time limit in seconds: None (no limit) or a positive real number, else ValueError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not float(value) > 0:  # the comparison also rejects NaN
        raise ValueError(f"{name} must be a positive number of seconds or None, got {value!r}")
    return float(value)


def check_betas(betas: Any) -> tuple[float, float]:
    """Adam's ``(beta1, beta2)``, each in ``[0, 1)``, else TypeError/ValueError naming ``betas``."""
    try:
        b1, b2 = (float(b) for b in betas)
    except (TypeError, ValueError):
        raise TypeError("betas must be a pair of floats") from None
    if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
        raise ValueError(f"betas must lie in [0, 1), got {betas!r}")
    return b1, b2


def renamed(new_value: Any, old_value: Any, old: str, new: str, *, stacklevel: int = 3) -> Any:
    """The value of a keyword renamed from ``old`` to ``new``: ``old_value`` (with a DeprecationWarning) if given.

    ``old_value`` is None when the caller did not pass the old name (the old
    name then takes precedence over the new one's default).
    """
    if old_value is None:
        return new_value
    import warnings

    warnings.warn(f"{old} is deprecated: use {new}", DeprecationWarning, stacklevel=stacklevel)
    return old_value
