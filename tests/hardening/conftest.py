"""Hypothesis profiles for the hardening tests.

``HYPOTHESIS_PROFILE=ci`` (the default) keeps the example budget small so the
whole ``tests/hardening`` folder stays within its CI share (~90 s cold);
``HYPOTHESIS_PROFILE=fuzz`` is the out-of-CI campaign (see ``docs/hardening.md``).
Both disable the per-example deadline: the machine is shared and Numba
compiles on first call.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=1_000_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
