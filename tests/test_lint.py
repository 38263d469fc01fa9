"""House habits checked in CI: ruff (pyflakes, pycodestyle, import order) on the package, its tests and
benchmarks, as configured in pyproject."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_is_clean_on_the_package_tests_and_benchmarks():
    exe = shutil.which("ruff")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("ruff is not installed (it is in the test extra)")
        pytest.skip("ruff is not installed")
    r = subprocess.run([exe, "check", "derand_fast", "tests", "benchmarks"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
