"""Benchmark helpers shared by every ``benchmarks/test_bench_*.py`` file.

The default pytest options include ``--benchmark-disable``: CI then runs each
benchmark body once as a smoke test, so benchmarks must pick SMALL sizes in
that mode and their full sizes only under ``--benchmark-enable`` (which
overrides the default)::

    def test_bench_thing(benchmark, bench_size):
        d = bench_size(200, 20_000)     # small in smoke mode, full when timed
        benchmark(kernel, d)

Full run of the benchmarks with JSON saved::

    python -m pytest -p no:cacheprovider benchmarks --benchmark-enable \
        --benchmark-json=bench.json

Ratios against a baseline timed in the same session: after timing, pass them
to the ``record_ratio`` fixture; they are listed at the end of the run (and
stored in the benchmark's ``extra_info`` if a ``benchmark`` is given)::

    record_ratio("smoothing d=20000: numba 1 thread / numpy", ratio, benchmark)

Baselines timed by hand use the ``best_time`` fixture: ``best_time(fn, rounds)``
is the shortest wall time of ``rounds`` calls of ``fn()``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
_RATIOS = pytest.StashKey[list[tuple[str, float]]]()


def is_smoke(config: pytest.Config) -> bool:
    """True when benchmarks are not timed (``--benchmark-disable``, the default, without ``--benchmark-enable``)."""
    session = getattr(config, "_benchmarksession", None)  # knows about xdist's automatic disabling too
    if session is not None:
        return bool(session.disabled)
    return bool(config.getoption("benchmark_disable")) and not config.getoption("benchmark_enable")


@pytest.fixture(scope="session")
def smoke(request: pytest.FixtureRequest) -> bool:
    """True in smoke mode (``--benchmark-disable``): use small sizes."""
    return is_smoke(request.config)


@pytest.fixture(scope="session")
def bench_size(smoke: bool) -> Callable[[T, T], T]:
    """A function ``pick(small, full)`` returning ``small`` in smoke mode, else ``full``."""

    def pick(small: T, full: T) -> T:
        return small if smoke else full

    return pick


def _best_time(fn: Callable[[], Any], rounds: int) -> float:
    best = math.inf
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


@pytest.fixture(scope="session")
def best_time() -> Callable[[Callable[[], Any], int], float]:
    """``best_time(fn, rounds)``: the shortest wall time of ``rounds`` calls of ``fn()`` (seconds)."""
    return _best_time


@pytest.fixture
def record_ratio(request: pytest.FixtureRequest) -> Callable[..., None]:
    """A function ``record(name, ratio, benchmark=None)`` listing ``ratio`` in the run's summary."""

    def record(name: str, ratio: float, benchmark: Any = None) -> None:
        request.config.stash.setdefault(_RATIOS, []).append((name, float(ratio)))
        if benchmark is not None:
            benchmark.extra_info[name] = float(ratio)

    return record


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    ratios = config.stash.get(_RATIOS, [])
    if ratios:
        terminalreporter.section("benchmark ratios (same session)")
        for name, ratio in ratios:
            terminalreporter.write_line(f"{name}: {ratio:.2f}")
