"""threads=None chooses by problem size (one rule, derand_fast._threads.threads_for); results never depend on it."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest

import derand_fast.smoothing as smoothing
from derand_fast._threads import SERIAL_BELOW, resolve_threads, threads_for
from derand_fast.maxcut import load_graph, maxcut


@numba.njit(cache=True)
def _bowl(x, grad_out):
    s = 0.0
    for i in range(x.size):
        s += x[i] * x[i]
        grad_out[i] = 2.0 * x[i]
    return s


def test_the_rule():
    for kind, limit in SERIAL_BELOW.items():
        assert threads_for(None, limit - 1, kind) == 1
        assert threads_for(None, limit, kind) == resolve_threads(None)
        assert threads_for(1, 10 * limit, kind) == 1  # the user's choice wins, both ways
        assert threads_for(2, 0, kind) == resolve_threads(2)
    with pytest.raises(ValueError, match="kind"):
        threads_for(None, 1, "nope")
    with pytest.raises(ValueError, match="threads must be >= 1"):
        threads_for(0, 1, "graph")


def test_smooth_picks_by_size_and_gives_the_same_numbers(monkeypatch):
    chosen = []
    scope = smoothing.thread_scope

    def recording_scope(n):
        chosen.append(n)
        return scope(n)

    monkeypatch.setattr(smoothing, "thread_scope", recording_scope)
    mu = np.full(4, 0.3)
    auto = smoothing.smooth(_bowl, mu, 0.5, n_samples=64, seed=1)
    two = smoothing.smooth(_bowl, mu, 0.5, n_samples=64, seed=1, threads=2)
    big = SERIAL_BELOW["samples"] // 4  # n_samples * d = the crossover
    smoothing.smooth(_bowl, mu, 0.5, n_samples=big, seed=1)
    assert chosen == [1, resolve_threads(2), resolve_threads(None)]
    assert auto.value == two.value and np.array_equal(auto.grad_mu, two.grad_mu)
    # E|mu + sigma z|^2 = |mu|^2 + d sigma^2, within 6 standard errors
    assert abs(auto.value - (4 * 0.09 + 4 * 0.25)) < 6 * auto.stderr


def test_maxcut_picks_by_size():
    small = load_graph(nx.cycle_graph(9))
    res = maxcut(small, rounding="gw", n_hyperplanes=5, local_search=False)
    assert res.threads == 1 and res.params["threads"] is None and res.cut == 8.0
    assert maxcut(small, threads=2, rounding="gw", n_hyperplanes=5, local_search=False).threads == resolve_threads(2)
    # a timed run anneals one chain per thread until its deadline: all threads, whatever the size
    timed = maxcut(small, rounding="gw", n_hyperplanes=5, time_limit=0.5)
    assert timed.threads == resolve_threads(None) and timed.success
