"""Progress of long runs: one protocol, a bar on a terminal, or plain lines for logs.

The protocol is one callable ``progress(stage, fraction, info)``: ``stage``
names what runs, ``fraction`` in [0, 1] is how far it is, ``info`` a short
text. MAXCUT's stages name themselves ``sdp``, ``gw``, ``rounding <method>``
and ``polish <method>``; the optimizers of :mod:`derand_fast.optimizers`
(so :func:`~derand_fast.derandomize.derandomize`, the JL fits and the NN
training) report under their own name (``adam``, ``pgd``, ...) with the
step, the value and the gradient norm as ``info``. Every ``progress=``
argument takes None/False (off), True (a bar on stderr, :class:`ProgressBar`)
or such a callable (:class:`LineProgress` writes plain lines).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["ProgressBar", "LineProgress", "make_progress"]

ProgressFn = Callable[[str, float, str], None]


class ProgressBar:
    """Draws ``stage [#####     ] 50% info`` on one line once a run has lasted ``delay`` seconds.

    Call it as ``bar(stage, fraction, info)``; :meth:`close` ends the line.
    """

    def __init__(self, stream: TextIO | None = None, delay: float = 1.0, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.width = width
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._drawn = False

    def __call__(self, stage: str, fraction: float, info: str = "") -> None:
        now = time.perf_counter()
        if now - self.t0 < self.delay or now - self._last < 0.1:
            return
        self._last = now
        f = min(max(fraction, 0.0), 1.0)
        k = int(round(f * self.width))
        line = f"\r{stage:<14} [{'#' * k}{' ' * (self.width - k)}] {100 * f:3.0f}% {info}"
        self.stream.write(line[:120].ljust(100))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class LineProgress:
    """Plain progress lines (``derand-fast: [  1.2 s] sdp  40% sweep 12``) for piped output and batch logs.

    A line is written when the stage changes and at most every ``interval``
    seconds otherwise. Times count from ``start`` (a :func:`time.perf_counter`
    instant; default: creation).
    """

    def __init__(self, stream: TextIO | None = None, interval: float = 1.0, start: float | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.t0 = time.perf_counter() if start is None else start
        self._last = -float("inf")
        self._stage: str | None = None

    def __call__(self, stage: str, fraction: float, info: str = "") -> None:
        now = time.perf_counter()
        if stage == self._stage and now - self._last < self.interval:
            return
        self._stage, self._last = stage, now
        pct = f"{100 * min(max(fraction, 0.0), 1.0):3.0f}%"
        try:
            self.stream.write(f"derand-fast: [{now - self.t0:7.1f} s] {stage:<22} {pct} {info}".rstrip() + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed stderr must not end the run
            pass

    def close(self) -> None:
        """Nothing to end (every line is complete)."""


def make_progress(progress: Any) -> tuple[ProgressFn | None, Callable[[], None]]:
    """Normalize a ``progress`` argument: None/False (off), True (a bar on stderr) or a callable.

    Returns ``(fn, close)``; ``fn`` is None when progress is off.
    """
    if progress is None or progress is False:
        return None, lambda: None
    if progress is True:
        bar = ProgressBar()
        return bar, bar.close
    if callable(progress):
        return progress, lambda: None
    raise TypeError("progress must be None, a bool or a callable(stage, fraction, info), "
                    f"got {type(progress).__name__}")
