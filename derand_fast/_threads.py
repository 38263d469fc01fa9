"""Thread control shared by every parallel kernel.

Numba and OpenMP kernels take a ``threads`` argument; :func:`thread_scope`
sets Numba's thread count for the duration of a call, restores it afterwards,
and pins BLAS to one thread meanwhile (on a 2-core machine BLAS threads
competing with Numba/OpenMP threads made a small QR 40x slower).

``threads=None`` means "choose": :func:`threads_for` is the one rule, used by
the engine's entry points (:func:`~derand_fast.smoothing.smooth`,
:func:`~derand_fast.smoothing.smooth_affine`, so :func:`~derand_fast.derandomize.derandomize`,
and :func:`~derand_fast.maxcut.maxcut`): one thread below a measured amount of
work, where waking a second thread costs more than it saves (up to 40x on a
tiny smoothing call), all threads above it. Results never depend on the
choice (every kernel gives bit-identical results for any thread count).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Iterator

import numba as nb
import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = ["SERIAL_BELOW", "resolve_threads", "thread_scope", "threads_for", "work_array"]

#: Work below which ``threads=None`` runs on one thread, per kind of work (``benchmarks/threads_crossover.py``
#: measures the crossovers; 2 threads against 1 on this 2-core machine, load 3): ``"samples"`` counts sample
#: coordinates of one smoothing call (``n_samples * d``; 2 threads took 36x the time at 192, 7x at 2e5, 0.83x
#: at 1.2e6: crossover ~1e6), ``"graph"`` counts ``n + m`` of a MAXCUT run (3.7x at 250, 2.2x at 2 500, 1.3x at
#: 10^4, 0.89x at 2.5e4: crossover ~2e4). The kernels of the applications count their own units:
#: ``"mc_terms"`` sample-edge terms of one MAXCUT Monte Carlo batch (``n_samples * max(n, m)``), ``"nn"``
#: multiply-adds of one student pass (``n * h * (d + 1)``), ``"jl"`` multiply-adds of one JL kernel call.
SERIAL_BELOW: dict[str, int] = {"samples": 1 << 20, "graph": 20_000, "mc_terms": 1 << 18, "nn": 1 << 21,
                                "jl": 200_000}

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


def threads_for(threads: int | None, work: float, kind: str) -> int:
    """The thread count for ``work`` units of ``kind`` (a key of :data:`SERIAL_BELOW`).

    An explicit ``threads`` is honoured (validated by :func:`resolve_threads`);
    ``None`` means one thread when ``work < SERIAL_BELOW[kind]``, else all.

    Examples
    --------
    >>> threads_for(None, 100, "samples"), threads_for(3, 100, "samples") == resolve_threads(3)
    (1, True)
    """
    if threads is not None:
        return resolve_threads(threads)
    try:
        limit = SERIAL_BELOW[kind]
    except KeyError:
        raise ValueError(f"kind must be one of {sorted(SERIAL_BELOW)}, got {kind!r}") from None
    return 1 if work < limit else resolve_threads(None)


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


class ThreadScoped:
    """Mixin for estimators called many times in a row: :meth:`scope` runs them under one :func:`thread_scope`.

    Setting Numba's thread count and pinning BLAS cost more than a small
    estimate; inside ``with obj.scope():`` the calls share one scope (nested
    scopes of the same object are free). Subclasses set ``self.threads``.
    """

    threads: int | None
    _scoped: bool = False

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Run many calls under one :func:`thread_scope` (saves its cost per call)."""
        if self._scoped:
            yield
            return
        with thread_scope(self.threads):
            self._scoped = True
            try:
                yield
            finally:
                self._scoped = False


_work = threading.local()


def work_array(tag: str, shape: tuple[int, ...], *, align: bool = False) -> np.ndarray:
    """A float64 work array of the calling thread, kept from call to call while its shape stays.

    Estimators called once per optimizer step reuse their multi-megabyte
    temporaries through it: a fresh array per step costs its page faults
    (they doubled the time of a JL per-entry step). ``tag`` names the use
    (prefix it with the module, e.g. ``"nn.D"``); the contents are undefined
    on return. With ``align`` the data start on a 64-byte boundary (vector
    loads within cache lines).
    """
    bufs = getattr(_work, "bufs", None)
    if bufs is None:
        bufs = _work.bufs = {}
    buf = bufs.get(tag)
    if buf is None or buf.shape != shape:
        if align:
            size = math.prod(shape)
            raw = np.empty(size + 8)
            start = (-raw.ctypes.data % 64) // 8
            buf = raw[start:start + size].reshape(shape)
        else:
            buf = np.empty(shape)
        bufs[tag] = buf
    return buf
