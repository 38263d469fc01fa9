"""Argument checks shared by every module (scalars and arrays): errors name the argument."""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["SEED_MAX", "check_array", "check_betas", "check_callback", "check_count", "check_positive", "check_seed",
           "check_time_limit", "renamed"]

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


def check_array(value: Any, name: str, ndim: int | None = None, *, allow_empty: bool = False,
                finite: bool = True, allow_bool: bool = False) -> np.ndarray:
    """A real array as C-contiguous float64, else TypeError/ValueError naming ``name``.

    Integer and float dtypes are accepted; bool (unless ``allow_bool``),
    complex, object and string arrays raise TypeError. ``ndim`` (if given)
    must match; an empty array (any zero dimension) raises unless
    ``allow_empty``; NaN or inf raise unless ``finite=False``. The input is
    not copied when it already is a C-contiguous float64 array.

    Examples
    --------
    >>> check_array([[1, 2], [3, 4]], "W", 2).dtype
    dtype('float64')
    >>> check_array([1.0, float("nan")], "b", 1)
    Traceback (most recent call last):
    ...
    ValueError: b contains NaN or inf
    """
    arr = np.asarray(value)
    kind = arr.dtype.kind
    if kind == "b" and not allow_bool or kind not in "biuf":
        what = "bool" if kind == "b" else "complex" if kind == "c" else str(arr.dtype)
        raise TypeError(f"{name} must be a real (integer or float) array, got {what} dtype")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    out = np.asarray(arr, dtype=np.float64, order="C")  # (np.ascontiguousarray would make a 0-d array 1-d)
    if finite and not np.isfinite(out).all():
        raise ValueError(f"{name} contains NaN or inf")
    return out


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
    warnings.warn(f"{old} is deprecated: use {new}", DeprecationWarning, stacklevel=stacklevel)
    return old_value


def check_callback(callback: Any, old_form: str, old_arity: int, *,
                   stacklevel: int = 3) -> tuple[Callable[..., Any] | None, bool]:
    """A user callback: ``(call, True)`` for SciPy's ``callback(intermediate_result)``, ``(callback, False)`` for
    the deprecated ``old_form`` taking ``old_arity`` positional arguments.

    The new form is recognized as SciPy does, by a parameter named
    ``intermediate_result`` (``call(result)`` passes it by that name), and also
    by a signature that takes one positional argument but not ``old_arity``
    (``call(result)`` passes it positionally). Anything else is the old form,
    returned as is with a DeprecationWarning naming ``old_form``. The callers
    stop when the callback raises ``StopIteration`` or returns True.

    Raises
    ------
    TypeError
        If ``callback`` is neither None nor callable.
    """
    if callback is None:
        return None, False
    if not callable(callback):
        raise TypeError(f"callback must be callable or None, got {type(callback).__name__}")
    try:
        sig: inspect.Signature | None = inspect.signature(callback)
    except (TypeError, ValueError):  # no signature to read (some builtins): the old form
        sig = None
    if sig is not None:
        if "intermediate_result" in sig.parameters:
            return (lambda result: callback(intermediate_result=result)), True
        if _binds(sig, 1) and not _binds(sig, old_arity):
            return (lambda result: callback(result)), True
    warnings.warn(f"callback{old_form} is deprecated: take one argument named 'intermediate_result' (an "
                  "OptimizeResult) and raise StopIteration (or return True) to stop, as scipy.optimize.minimize "
                  "does", DeprecationWarning, stacklevel=stacklevel)
    return callback, False


def _binds(sig: inspect.Signature, n: int) -> bool:
    try:
        sig.bind(*range(n))
    except TypeError:
        return False
    return True
