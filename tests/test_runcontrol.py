"""The run-control layer: deadlines, stop requests, the best-so-far record, signal handlers."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from derand_fast.runcontrol import EXIT_CODES, RunControl, Status, as_control, process_start_time, signal_handlers


def test_status_is_int_compatible_with_messages():
    assert [int(s) for s in Status] == [0, 1, 2, 3, 4, 5, 6]
    assert Status.TIME_LIMIT == 1 and "time limit" in Status.TIME_LIMIT.message
    assert Status.TERMINATED.stopped_early and not Status.TIME_LIMIT.stopped_early
    assert EXIT_CODES[Status.COMPLETED] == EXIT_CODES[Status.TIME_LIMIT] == 0
    assert EXIT_CODES[Status.INTERRUPTED] == 130 and EXIT_CODES[Status.TERMINATED] == 143


def test_deadline_and_children():
    ctl = RunControl(time_limit=100.0)
    assert ctl.poll() is None and 99.0 < ctl.remaining() <= 100.0
    child = ctl.child(0.01)
    assert child.deadline < ctl.deadline
    time.sleep(0.02)
    assert child.poll() == Status.TIME_LIMIT and ctl.poll() is None
    # a child never outlives its parent, and `until` caps it too
    assert ctl.child(1e6).deadline == ctl.deadline
    assert ctl.child(until=time.perf_counter() - 1).poll() == Status.TIME_LIMIT
    assert RunControl().remaining() == float("inf") and RunControl().poll() is None


def test_stop_reaches_every_view_and_the_first_reason_wins():
    ctl = RunControl()
    a, b = ctl.child(), ctl.child(5.0)
    assert b.stop(Status.TERMINATED) == Status.TERMINATED
    assert a.interrupt() == Status.TERMINATED  # a KeyboardInterrupt after a SIGTERM stays a termination
    assert ctl.poll() == a.poll() == Status.TERMINATED == ctl.reason


def test_best_so_far_record_keeps_the_best_and_its_history():
    ctl = RunControl()
    assert ctl.best_x is None and ctl.best_value == -np.inf
    x = np.array([1, -1, 1], dtype=np.int8)
    assert ctl.offer("gw", x, 2.0)
    x[0] = -1  # the record holds a copy
    assert not ctl.child().offer("rounding", [1, 1, 1], 2.0)  # ties keep the first
    assert ctl.child().offer("polish", [-1, 1, 1], 3.0)
    assert ctl.best_value == 3.0 and ctl.best_stage == "polish"
    assert [h[0] for h in ctl.history] == ["gw", "polish"]
    assert [h[2] for h in ctl.history] == [2.0, 3.0]


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True, "3"])
def test_bad_time_limits(bad):
    with pytest.raises(ValueError, match="time_limit"):
        RunControl(bad)


def test_as_control():
    assert as_control(None).poll() is None
    ctl = RunControl(10.0)
    assert as_control(ctl, 1.0).deadline < ctl.deadline
    with pytest.raises(TypeError, match="RunControl"):
        as_control(3.0)


def test_process_start_is_in_the_past():
    assert process_start_time() <= time.perf_counter()


@pytest.mark.parametrize("signum,reason", [(signal.SIGINT, Status.INTERRUPTED), (signal.SIGTERM, Status.TERMINATED)])
def test_signal_handlers_stop_the_run_and_are_restored(signum, reason):
    before = signal.getsignal(signum)
    ctl = RunControl()
    with signal_handlers(ctl) as state:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signum)
            time.sleep(1.0)  # the handler runs here
        assert ctl.reason == reason
        assert state["finishing"] is False
    assert signal.getsignal(signum) is before


def test_signal_while_finishing_is_only_recorded():
    ctl = RunControl()
    with signal_handlers(ctl) as state:
        state["finishing"] = True
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
    assert ctl.reason == Status.TERMINATED
