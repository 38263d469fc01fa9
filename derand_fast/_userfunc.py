"""A user's objective ``g(x, grad_out) -> float`` as the Numba function the sampling kernels call.

The smoothing engine (:mod:`derand_fast.smoothing`) evaluates ``g`` inside
compiled, parallel loops, so it takes a Numba ``@njit`` function. A plain
Python function is accepted too, on a slow path: it is wrapped in an
``@njit`` function that calls it in Numba's object mode (``numba.objmode``),
which takes the GIL for every sample, so the samples run one at a time
whatever the thread count, at Python's speed plus a few microseconds of
boxing per call. The numbers are the same as with the compiled ``g`` (same
samples, same order of sums). Each new Python function costs one compilation
of the kernels (seconds); its wrapper is kept, so calling again with the
same function does not compile again.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numba as nb
from numba.core.registry import CPUDispatcher

__all__ = ["as_numba_objective"]

_WRAPPED: weakref.WeakKeyDictionary[Any, CPUDispatcher] = weakref.WeakKeyDictionary()


def _wrap(g: Callable[..., Any]) -> Any:  # a CPUDispatcher (numba annotates njit as returning Dispatcher)
    @nb.njit
    def g_objmode(x, grad_out):  # pragma: no cover - compiled
        with nb.objmode(value="float64"):
            value = float(g(x, grad_out))
        return value

    return g_objmode


def as_numba_objective(g: Any) -> tuple[CPUDispatcher, str]:
    """``(numba_g, kind)``: ``g`` itself when it is a Numba function (``kind="numba"``), else its wrapper.

    Parameters
    ----------
    g : numba.njit function or callable ``g(x: ndarray, grad_out: ndarray) -> float``
        ``grad_out`` is written in place (the wrapper passes the kernel's own
        buffer, so a plain function's writes reach it).

    Returns
    -------
    (CPUDispatcher, str)
        ``kind`` is ``"numba"`` or ``"python"`` (the slow path of the module docstring).

    Raises
    ------
    TypeError
        ``g`` is not callable.
    """
    if isinstance(g, CPUDispatcher):
        return g, "numba"
    if not callable(g):
        raise TypeError(f"g must be a Numba @njit function or a Python callable g(x, grad_out) -> float, "
                        f"got {type(g).__name__}")
    try:
        return _WRAPPED[g], "python"
    except (KeyError, TypeError):  # TypeError: not weak-referenceable (then not kept)
        pass
    wrapped = _wrap(g)
    try:
        _WRAPPED[g] = wrapped
    except TypeError:
        pass
    return wrapped, "python"
