"""Thread control shared by every parallel kernel.

Numba and OpenMP kernels take a ``threads`` argument; :func:`thread_scope`
sets Numba's thread count for the duration of a call, restores it afterwards,
and pins BLAS to one thread meanwhile (on a 2-core machine BLAS threads
competing with Numba/OpenMP threads made a small QR 40x slower).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numba as nb
from threadpoolctl import ThreadpoolController

__all__ = ["resolve_threads", "thread_scope"]

_controller: ThreadpoolController | None = None


def resolve_threads(threads: int | None) -> int:
    """Validate a ``threads`` argument; ``None`` means all available (Numba's limit)."""
    max_threads = int(nb.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # numba.config sets it at import
    if threads is None:
        return max_threads
    if isinstance(threads, bool) or not isinstance(threads, (int,)) and not hasattr(threads, "__index__"):
        raise TypeError(f"threads must be an int or None, got {type(threads).__name__}")
    t = int(threads)
    if t < 1:
        raise ValueError(f"threads must be >= 1, got {t}")
    return min(t, max_threads)


@contextlib.contextmanager
def thread_scope(threads: int | None) -> Iterator[int]:
    """Run a block with ``threads`` Numba threads and BLAS pinned to one thread.

    Yields the resolved thread count (pass it to C++ kernels as their
    ``threads`` argument). Both settings are restored on exit, exceptions
    included.
    """
    global _controller
    n = resolve_threads(threads)
    previous = nb.get_num_threads()
    if _controller is None:
        # Load SciPy's BLAS first (Numba's np.dot calls it): a controller made
        # before it loads would never see it, and its threads would compete
        # with ours.
        import scipy.linalg  # noqa: F401

        _controller = ThreadpoolController()
    nb.set_num_threads(n)
    try:
        if os.environ.get("DERAND_FAST_KEEP_BLAS_THREADS"):
            yield n
        else:
            with _controller.limit(limits=1, user_api="blas"):
                yield n
    finally:
        nb.set_num_threads(previous)
