"""Hypothesis profiles for the hardening tests.

``HYPOTHESIS_PROFILE=ci`` (the default) keeps the example budget small so the
whole ``tests/hardening`` folder stays within its CI share (~90 s cold);
``HYPOTHESIS_PROFILE=fuzz`` is the out-of-CI campaign (see ``docs/hardening.md``).
Both disable the per-example deadline: the machine is shared and Numba
compiles on first call.
"""

from __future__ import annotations

import os

import numba as nb
import pytest
from hypothesis import HealthCheck, settings

from derand_fast.indicators import step_eps_scalar

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=1_000_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@nb.njit(cache=True)
def _g_step(x, grad_out):
    """sum_i S_eps(x_i) with eps = 0.1 and its gradient: a smooth test integrand for the estimators."""
    s = 0.0
    for i in range(x.size):
        f, d1, _ = step_eps_scalar(x[i], 0.1)
        s += f
        grad_out[i] = d1
    return s


@pytest.fixture(scope="session")
def g_step():
    """The Numba integrand ``g(x, grad_out) -> float`` of :func:`derand_fast.smoothing.smooth`."""
    return _g_step
