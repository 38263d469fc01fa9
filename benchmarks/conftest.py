"""Benchmark helpers shared by every ``benchmarks/test_bench_*.py`` file.

The default pytest options include ``--benchmark-disable``: CI then runs each
benchmark body once as a smoke test, so benchmarks must pick SMALL sizes in
that mode and their full sizes only under ``--benchmark-enable``::

    def test_bench_thing(benchmark, bench_size):
        d = bench_size(200, 20_000)     # small in smoke mode, full when timed
        benchmark(kernel, d)

Full run of the benchmarks with JSON saved::

    python -m pytest -p no:cacheprovider benchmarks --benchmark-enable \
        --benchmark-json=bench.json
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def is_smoke(config: pytest.Config) -> bool:
    """True when benchmarks are not timed (``--benchmark-disable``, the default)."""
    return bool(config.getoption("benchmark_disable"))


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
