"""The C++ kernels' own unit tests (``cpp/tests``, CTest), run from pytest.

Configures the top-level CMake project with ``DERAND_BUILD_TESTS=ON`` and
``DERAND_BUILD_EXTENSION=OFF`` (no Python or pybind11 needed), builds the test
executables and runs each kernel family's CTest tests (OpenMP build and, where
OpenMP exists, the serial build). The build directory is ``build/ctest`` in the
repository (incremental; a file lock serialises concurrent sessions).

Skips when CMake or a C++ compiler is missing, unless ``DERAND_REQUIRE_CTEST``
is set (CI), where that is a failure. ``DERAND_WERROR=ON`` turns warnings into
errors.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS_CMAKE = ROOT / "cpp" / "tests" / "CMakeLists.txt"
TRUE = {"1", "on", "true", "yes"}

pytestmark = pytest.mark.slow


def _kernel_tests() -> list[str]:
    """The kernel families listed in ``cpp/tests/CMakeLists.txt``."""
    match = re.search(r"set\(DERAND_KERNEL_TESTS\s+([^)]*)\)", TESTS_CMAKE.read_text())
    return match.group(1).split() if match else []


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in TRUE


def _unavailable(reason: str) -> None:
    if _flag("DERAND_REQUIRE_CTEST"):
        pytest.fail(f"{reason} (DERAND_REQUIRE_CTEST is set)")
    pytest.skip(reason)


def _tool(name: str) -> str | None:
    """``name`` on PATH, else from the ``cmake`` Python package if installed."""
    found = shutil.which(name)
    if found:
        return found
    try:
        import cmake  # type: ignore[import-not-found]
    except ImportError:
        return None
    candidate = Path(cmake.CMAKE_BIN_DIR) / name
    return str(candidate) if candidate.is_file() else None


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, "CTEST_OUTPUT_ON_FAILURE": "1"},
    )


def _tail(proc: subprocess.CompletedProcess[str], lines: int = 60) -> str:
    out = (proc.stdout + proc.stderr).splitlines()
    return "\n".join(out[-lines:])


def _configure_and_build(cmake: str, build: Path) -> None:
    args = [
        cmake, "-S", str(ROOT), "-B", str(build),
        "-DCMAKE_BUILD_TYPE=Release",
        "-DDERAND_BUILD_TESTS=ON",
        "-DDERAND_BUILD_EXTENSION=OFF",
        f"-DDERAND_WERROR={'ON' if _flag('DERAND_WERROR') else 'OFF'}",
    ]
    if shutil.which("ninja") and not (build / "Makefile").exists():
        args += ["-G", "Ninja"]
    proc = _run(args, ROOT, 300)
    if proc.returncode != 0 and build.exists():
        # a stale cache (another generator or compiler): start afresh once
        shutil.rmtree(build)
        proc = _run(args, ROOT, 300)
    if proc.returncode != 0:
        pytest.fail(f"CMake configure failed:\n{_tail(proc)}")
    proc = _run([cmake, "--build", str(build), "--parallel", "2"], ROOT, 900)
    if proc.returncode != 0:
        pytest.fail(f"building the C++ kernel tests failed:\n{_tail(proc)}")


@pytest.fixture(scope="module")
def ctest_dir():
    """A configured and built ``cpp/tests`` tree; yields ``(ctest, build dir)``."""
    cmake, ctest = _tool("cmake"), _tool("ctest")
    if cmake is None or ctest is None:
        _unavailable("CMake (cmake and ctest) not found")
    cxx = os.environ.get("CXX")
    if not (cxx and shutil.which(cxx)) and not any(shutil.which(c) for c in ("c++", "g++", "clang++")):
        _unavailable("no C++ compiler found")
    with contextlib.ExitStack() as stack:
        build = ROOT / "build" / "ctest"
        try:
            build.mkdir(parents=True, exist_ok=True)
            lock = stack.enter_context(open(build.parent / "ctest.lock", "w"))
        except OSError:  # read-only checkout: a private build
            build = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="derand-ctest-")))
        else:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        _configure_and_build(cmake, build)
        yield ctest, build


def test_every_kernel_test_is_registered():
    """Each cpp/tests/test_<name>.cpp is in DERAND_KERNEL_TESTS and vice versa."""
    files = sorted(p.stem.removeprefix("test_") for p in TESTS_CMAKE.parent.glob("test_*.cpp"))
    assert files
    assert sorted(_kernel_tests()) == files


@pytest.mark.parametrize("kernel", _kernel_tests())
def test_ctest(ctest_dir, kernel):
    ctest, build = ctest_dir
    listed = _run([ctest, "-N", "-R", f"^(serial\\.)?{kernel}$"], build, 60)
    n_tests = int(re.search(r"Total Tests:\s*(\d+)", listed.stdout).group(1))
    assert n_tests >= 1, listed.stdout
    proc = _run([ctest, "--output-on-failure", "-R", f"^(serial\\.)?{kernel}$"], build, 300)
    assert proc.returncode == 0, f"ctest failed for {kernel}:\n{_tail(proc, 120)}"
    assert f"tests passed out of {n_tests}" in proc.stdout, proc.stdout
