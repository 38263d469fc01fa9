"""The one result base (derand_fast._result) and the named random streams (derand_fast.random.STREAMS)."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from derand_fast._result import StageResult, as_status
from derand_fast.maxcut.sdp import SDPResult
from derand_fast.runcontrol import Status


def test_stage_result_is_an_optimize_result_with_a_status():
    from scipy.optimize import OptimizeResult

    res = StageResult(status=Status.MAX_ITER, nit=7, time=0.25)
    assert isinstance(res, OptimizeResult) and res["nit"] == res.nit == 7
    assert res.status is Status.MAX_ITER and res.status == 4 and not res.success
    assert res.message == Status.MAX_ITER.message
    assert StageResult().success and StageResult(message="converged").message == "converged"
    res.status = Status.COMPLETED  # a new status brings its message and success
    assert res.success and res.message == "completed"
    assert json.loads(json.dumps(res))["status"] == 0
    for twin in (copy.deepcopy(res), pickle.loads(pickle.dumps(res))):
        assert twin == res and type(twin) is StageResult
    with pytest.raises(AttributeError):
        res.nfev


def test_legacy_status_strings_and_bad_statuses():
    assert as_status("done") is Status.COMPLETED and as_status("time_limit") is Status.TIME_LIMIT
    assert as_status(2) is Status.INTERRUPTED
    # the optimizers' former strings (their OptimizeStatus values; converged is completed)
    assert as_status("converged") is Status.COMPLETED and as_status("nonfinite") is Status.NONFINITE
    assert as_status("max_iter") is Status.MAX_ITER and as_status("callback") is Status.CALLBACK
    with pytest.raises(ValueError, match="unknown status"):
        as_status("finished")
    with pytest.raises(ValueError):
        as_status(True)
    with pytest.raises(ValueError):
        as_status(17)


def test_aliases_read_and_write_the_canonical_key():
    res = SDPResult(status=Status.COMPLETED, sweeps=12, objective=1.0)
    assert res.nit == res.sweeps == 12 and "sweeps" not in res
    res.sweeps = 13
    assert res["nit"] == 13 and "sweeps" in dir(res)
