"""Run control: one deadline, one stop flag and one best-so-far record shared by every stage of a run.

Every long stage (the SDP sweeps, GW hyperplanes, each rounding, tabu search,
1-flip, annealing) takes an optional ``control`` argument and, between chunks
of C++ work of at most ~0.1 s, asks :meth:`RunControl.poll` whether to stop.
A stage that stops keeps its best result so far and reports *why* with a
:class:`Status`; it never raises on a deadline. ``KeyboardInterrupt`` is
caught inside the stage's chunk loop and recorded with
:meth:`RunControl.interrupt`, which stops the *whole* run: the following
stages see :meth:`RunControl.poll` return the same status at once.

A pipeline offers every partition it gets to :meth:`RunControl.offer`; the
record keeps the best one, so the run can hand back nothing worse than a
result it already held, whatever stopped it.

:func:`signal_handlers` (installed by the command line) turns the first
SIGINT / SIGTERM into a stop of the run (status ``INTERRUPTED`` /
``TERMINATED``) and a second one into an immediate exit (130 / 143).

Examples
--------
>>> ctl = RunControl(time_limit=60.0)
>>> ctl.poll() is None
True
>>> ctl.offer("gw", [1, -1, 1], 2.0), ctl.offer("rounding", [1, 1, 1], 0.0)
(True, False)
>>> ctl.best_value, ctl.best_stage
(2.0, 'gw')
>>> ctl.interrupt()
<Status.INTERRUPTED: 2>
>>> ctl.poll()
<Status.INTERRUPTED: 2>
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validation import check_time_limit

__all__ = ["Status", "RunControl", "signal_handlers", "process_start_time", "EXIT_CODES"]


class Status(enum.IntEnum):
    """Why a stage or a run ended. Int-compatible (JSON stores the number), ``message`` the text.

    One table for every stage (the SDP, GW, the roundings, the polishes) and
    for the run: a stage's result carries one of these as ``status``
    (:class:`derand_fast._result.StageResult`), with a stage-specific
    ``message`` where it says more (the SDP's "converged: ...").

    ============  ====  ==========================================================
    member        int   meaning
    ============  ====  ==========================================================
    COMPLETED     0     the stage ran to its end (converged, or its budget used
                        where the budget is the normal end: GW's hyperplanes,
                        annealing's sweeps)
    TIME_LIMIT    1     the deadline came first: best result so far
    INTERRUPTED   2     SIGINT / KeyboardInterrupt: best result so far
    TERMINATED    3     SIGTERM: best result so far
    MAX_ITER      4     the iteration budget (``max_iter``, ``max_sweeps``) ran
                        out before the stopping rule was met
    CALLBACK      5     the user's callback asked to stop
    NONFINITE     6     the objective returned a non-finite value or gradient
                        (an optimizer's last finite iterate is kept)
    ============  ====  ==========================================================

    The former status strings (the optimizers' ``"converged"``, ``"max_iter"``,
    ..., the roundings' ``"done"``, ...) still work where code compared with
    them: a member compares equal to its former strings (``COMPLETED`` to
    ``"completed"``, ``"converged"`` and ``"done"``, every other member to its
    lower-case name), ``str(member)`` is its lower-case name, ``CONVERGED`` is an
    alias of ``COMPLETED`` and :func:`derand_fast._result.as_status` reads the
    strings. Hashing stays the int's: do not mix strings and members as keys.

    Examples
    --------
    >>> Status.MAX_ITER == 4, Status.MAX_ITER == "max_iter", str(Status.MAX_ITER)
    (True, True, 'max_iter')
    >>> Status.CONVERGED is Status.COMPLETED, Status.COMPLETED != "converged"
    (True, False)
    """

    COMPLETED = 0
    TIME_LIMIT = 1
    INTERRUPTED = 2
    TERMINATED = 3
    MAX_ITER = 4
    CALLBACK = 5
    NONFINITE = 6
    CONVERGED = 0  # alias: the optimizers' former "converged"

    @property
    def message(self) -> str:
        return _MESSAGES[self]

    def __str__(self) -> str:
        return self.name.lower()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return FORMER_STATUS.get(other) is self
        return int.__eq__(self, other)  # NotImplemented for a non-int

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = int.__hash__

    @property
    def stopped_early(self) -> bool:
        """True for a stop by signal (interrupted / terminated); a time limit is a normal end."""
        return self in (Status.INTERRUPTED, Status.TERMINATED)


_MESSAGES = {
    Status.COMPLETED: "completed",
    Status.TIME_LIMIT: "time limit reached: best result so far",
    Status.INTERRUPTED: "interrupted (SIGINT / KeyboardInterrupt): best result so far",
    Status.TERMINATED: "terminated (SIGTERM): best result so far",
    Status.MAX_ITER: "iteration budget reached before the stopping rule was met",
    Status.CALLBACK: "stopped by the callback",
    Status.NONFINITE: "the objective returned a non-finite value or gradient: last finite iterate",
}

#: the former status strings: the roundings' (``"done"``) and the optimizers' (``"converged"``, ...)
FORMER_STATUS = {"done": Status.COMPLETED, "completed": Status.COMPLETED, "converged": Status.COMPLETED,
                 **{m.name.lower(): m for m in Status if m is not Status.COMPLETED}}

#: process exit code of the command for each final status
EXIT_CODES = {Status.COMPLETED: 0, Status.TIME_LIMIT: 0, Status.INTERRUPTED: 130, Status.TERMINATED: 143,
              Status.MAX_ITER: 0, Status.CALLBACK: 0, Status.NONFINITE: 1}


def process_start_time() -> float:
    """This process's start as a :func:`time.perf_counter` instant (Linux ``/proc``; else the module's import).

    The command's ``--time-limit`` counts from here, so interpreter start-up
    and imports are inside the budget.
    """
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22 of stat(5): starttime, clock ticks after boot
        with open("/proc/uptime", "rb") as fh:
            uptime = float(fh.read().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        if 0.0 <= age < 3600.0:
            return time.perf_counter() - age
    except (OSError, ValueError, IndexError, AttributeError):  # pragma: no cover - non-Linux
        pass
    return _IMPORT_TIME


_IMPORT_TIME = time.perf_counter()


class _Shared:
    """What all views of one run share: the stop reason and the best-so-far record."""

    def __init__(self) -> None:
        self.reason: Status | None = None
        self.best_x: np.ndarray | None = None
        self.best_value = -math.inf
        self.best_stage: str | None = None
        self.history: list[tuple[str, float, float]] = []
        self.t0: float | None = None  # the root control's start: history times count from it
        self.lock = threading.Lock()


@dataclass
class RunControl:
    """Deadline, cooperative cancellation and the best partition seen, for one run.

    Parameters
    ----------
    time_limit : float, optional
        Seconds from ``start`` (None: no deadline).
    start : float, optional
        A :func:`time.perf_counter` instant (default: now). The command passes
        :func:`process_start_time`.

    Notes
    -----
    :meth:`child` gives a view with an earlier deadline (a stage's share of
    the time) that shares the stop flag and the best-so-far record.
    """

    time_limit: float | None = None
    start: float | None = None
    _shared: _Shared = field(default_factory=_Shared, repr=False)
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.time_limit = check_time_limit(self.time_limit)
        if self.start is None:
            self.start = time.perf_counter()
        if self._shared.t0 is None:
            self._shared.t0 = self.start
        self.deadline = math.inf if self.time_limit is None else self.start + float(self.time_limit)

    # -- clock ---------------------------------------------------------------------------------
    def remaining(self) -> float:
        """Seconds to the deadline (``inf`` without one; may be negative once past)."""
        return self.deadline - time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since ``start``."""
        return time.perf_counter() - float(self.start)  # type: ignore[arg-type]

    def reserve(self, seconds: float) -> None:
        """Move the deadline ``seconds`` earlier (time kept for writing the result after the run)."""
        self.deadline -= max(float(seconds), 0.0)

    def child(self, time_limit: float | None = None, *, until: float | None = None) -> RunControl:
        """A view for one stage: deadline ``min(own, now + time_limit, until)``; stop flag and record shared."""
        view = RunControl(None, start=time.perf_counter(), _shared=self._shared)
        end = self.deadline
        limit = check_time_limit(time_limit)
        if limit is not None:
            end = min(end, view.start + limit)  # type: ignore[operator]
        if until is not None:
            end = min(end, until)
        view.deadline = end
        return view

    # -- stopping ------------------------------------------------------------------------------
    @property
    def reason(self) -> Status | None:
        """The stop requested by a signal or an interrupt (None while the run may go on)."""
        return self._shared.reason

    def poll(self) -> Status | None:
        """Why the caller must stop now: a stop request, else ``TIME_LIMIT`` once past the deadline, else None."""
        reason = self._shared.reason
        if reason is not None:
            return reason
        if time.perf_counter() >= self.deadline:
            return Status.TIME_LIMIT
        return None

    def stop(self, reason: Status) -> Status:
        """Ask every stage of the run to stop (the first reason given wins); returns the reason in force."""
        with self._shared.lock:
            if self._shared.reason is None:
                self._shared.reason = Status(reason)
            return self._shared.reason

    def interrupt(self) -> Status:
        """Record a ``KeyboardInterrupt`` caught by a stage: the run stops (``TERMINATED`` if a SIGTERM set it)."""
        return self.stop(Status.INTERRUPTED)

    # -- best so far ---------------------------------------------------------------------------
    def offer(self, stage: str, x: Any, value: float) -> bool:
        """Keep ``x`` (a ±1 partition) if its ``value`` beats the best so far; True if it does."""
        value = float(value)
        with self._shared.lock:
            if not value > self._shared.best_value:
                return False
            self._shared.best_x = np.array(x, dtype=np.int8, copy=True)
            self._shared.best_value = value
            self._shared.best_stage = stage
            t0 = self._shared.t0
            assert t0 is not None  # set by the run's first control (__post_init__)
            self._shared.history.append((stage, time.perf_counter() - t0, value))
            return True

    @property
    def best_x(self) -> np.ndarray | None:
        return self._shared.best_x

    @property
    def best_value(self) -> float:
        return self._shared.best_value

    @property
    def best_stage(self) -> str | None:
        return self._shared.best_stage

    @property
    def history(self) -> list[tuple[str, float, float]]:
        """``(stage, seconds since the run's start, best value)`` each time the best improved."""
        return list(self._shared.history)


def as_control(control: RunControl | None, time_limit: float | None = None) -> RunControl:
    """The stage's view: ``control.child(time_limit)``, or a fresh control when the caller gave none."""
    if control is None:
        return RunControl(time_limit)
    if not isinstance(control, RunControl):
        raise TypeError(f"control must be a RunControl or None, got {type(control).__name__}")
    return control.child(time_limit)


@contextlib.contextmanager
def signal_handlers(control: RunControl) -> Iterator[dict[str, bool]]:
    """Route SIGINT / SIGTERM into ``control`` for the duration of the block (main thread only).

    The first signal stops the run (``INTERRUPTED`` / ``TERMINATED``) and raises
    ``KeyboardInterrupt`` in the main thread so that Python code between two
    chunk checks is left at once; the stages catch it and return their best.
    Once the caller sets ``state["finishing"] = True`` (writing the result) a
    first signal only records the reason. A second signal exits the process
    at once with 130 / 143.

    Yields
    ------
    dict
        ``{"finishing": False}``: set the key to True before writing output.
    """
    state = {"finishing": False}
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover - defensive
        yield state
        return
    seen: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        reason = Status.TERMINATED if signum == signal.SIGTERM else Status.INTERRUPTED
        if seen:
            with contextlib.suppress(Exception):
                sys.stderr.write("derand-fast: second signal, exiting now\n")
                sys.stderr.flush()
            os._exit(EXIT_CODES[reason])
        seen.append(signum)
        control.stop(reason)
        if not state["finishing"]:
            raise KeyboardInterrupt

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield state
    finally:
        for s, h in old.items():
            signal.signal(s, h)
