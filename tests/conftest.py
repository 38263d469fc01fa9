"""Shared fixtures: benchmark data location, thread counts, small graphs."""

from __future__ import annotations

import os
from pathlib import Path

import numba as nb
import pytest

try:  # the [plot] extra: figures are drawn off-screen; without it the figure tests skip or test the message
    import matplotlib
except ImportError:
    matplotlib = None
else:
    matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GSET_DIR = SHARED_DATA / "gset"


@pytest.fixture(scope="session")
def gset_dir() -> Path:
    """The Gset benchmark folder (``../shared/data/gset``); skips where absent."""
    if not GSET_DIR.is_dir():
        pytest.skip(f"benchmark data not found at {GSET_DIR}")
    return GSET_DIR


@pytest.fixture(scope="session")
def two_threads() -> int:
    """2, or skip when Numba was limited to one thread on this machine."""
    if nb.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 Numba threads (NUMBA_NUM_THREADS < 2)")
    return 2


def pytest_report_header(config):
    return f"numba threads: {nb.config.NUMBA_NUM_THREADS}; cpu count: {os.cpu_count()}"
