"""The package's metadata says what CI checks: Python versions, dependency floors, the extras."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_classifiers_and_requires_python_match_the_ci_scripts(project):
    versions = sorted((tuple(map(int, m.groups())) for c in project["classifiers"]
                       if (m := re.fullmatch(r"Programming Language :: Python :: (3)\.(\d+)", c))))
    assert versions, "no Python version classifiers"
    low = re.fullmatch(r">=\s*(\d+)\.(\d+)", project["requires-python"]).groups()
    assert versions[0] == tuple(map(int, low))  # the lowest admitted version is one CI tests
    run = (ROOT / ".ci" / "run").read_text()
    other = (ROOT / ".ci" / "other-python").read_text()
    floors_elsewhere = re.search(r'bash \.ci/floors "\$\(bash \.ci/find-python ([\d. ]+)', run)
    assert floors_elsewhere, ".ci/run does not run .ci/floors on another CPython"
    tested = {sys.version_info[:2]} | {tuple(map(int, v.split("."))) for v in floors_elsewhere.group(1).split()}
    assert set(versions) == tested
    assert "pip wheel" in other and "--no-deps" in other


def test_every_runtime_dependency_has_a_floor_the_floor_script_can_pin(project):
    for req in project["dependencies"] + project["optional-dependencies"]["plot"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+>=[0-9.]+", req), req
