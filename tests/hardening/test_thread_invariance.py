"""Thread-count invariance matrix: every randomized public
function gives bit-identical results with 1 and 2 threads for the same seed.

Sizes are chosen above the kernels' parallel thresholds (SDP colour classes of
>= 2^20 multiply-adds, exact expected cut from 65 536 edges, GW/cut rows in
parallel always), so the 2-thread runs really take the parallel paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from derand_fast import standard_normal
from derand_fast.jl import make_problem, mc_objective
from derand_fast.maxcut import Graph, cut_values, gw_expected_cut, gw_rounding, maxcut, solve_sdp
from derand_fast.maxcut.derand_exact import derand_exact
from derand_fast.maxcut.derand_mc import derand_mc
from derand_fast.smoothing import smooth


def identical(a: Any, b: Any) -> None:
    """Bit-identical (NaNs equal) for arrays, scalars and nested containers."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            identical(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            identical(x, y)
    elif isinstance(a, (str, bool, type(None))):
        assert a == b
    else:
        x, y = np.asarray(a), np.asarray(b)
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()


@pytest.fixture(scope="module")
def big_graph() -> Graph:
    """20 000 nodes, ~100 000 signed edges: parallel SDP classes at rank 64, parallel exact cut."""
    rng = np.random.default_rng(7)
    n, m = 20_000, 100_000
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = u != v
    return Graph.from_edges(n, u[keep], v[keep], rng.choice([-1.0, 1.0, 2.0], int(keep.sum())))


@pytest.fixture(scope="module")
def factor(big_graph: Graph) -> np.ndarray:
    return solve_sdp(big_graph, rank=64, max_sweeps=2, seed=3, threads=1).V


def test_standard_normal(two_threads: int) -> None:
    identical(standard_normal(5, 3000, 64, first_stream=11, threads=1),
              standard_normal(5, 3000, 64, first_stream=11, threads=two_threads))


def test_solve_sdp(big_graph: Graph, factor: np.ndarray, two_threads: int) -> None:
    two = solve_sdp(big_graph, rank=64, max_sweeps=2, seed=3, threads=two_threads)
    assert two.parallel_classes > 0  # the parallel sweep really ran
    identical(factor, two.V)


def test_cut_tools(big_graph: Graph, factor: np.ndarray, two_threads: int) -> None:
    X = np.where(standard_normal(1, 64, big_graph.n) >= 0, 1, -1).astype(np.int8)
    identical(cut_values(big_graph, X, threads=1), cut_values(big_graph, X, threads=two_threads))
    identical(gw_expected_cut(big_graph, factor, threads=1), gw_expected_cut(big_graph, factor, threads=two_threads))


def test_gw_rounding(big_graph: Graph, factor: np.ndarray, two_threads: int) -> None:
    identical(_outcome(gw_rounding(big_graph, factor, seed=4, n_hyperplanes=100, threads=1)),
              _outcome(gw_rounding(big_graph, factor, seed=4, n_hyperplanes=100, threads=two_threads)))


def _outcome(o: Any) -> tuple:
    return o.x, o.cut, o.cut_before_polish, o.status, o.nit, o.history, o.info


def test_derand_exact(big_graph: Graph, factor: np.ndarray, two_threads: int) -> None:
    kw = dict(max_iter=12, check_every=4, record_every=4, seed=2)
    identical(_outcome(derand_exact(big_graph, factor, threads=1, **kw)),
              _outcome(derand_exact(big_graph, factor, threads=two_threads, **kw)))


def test_derand_mc(two_threads: int) -> None:
    rng = np.random.default_rng(1)
    n, m = 300, 3000
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    g = Graph.from_edges(n, u[u != v], v[u != v])
    V = solve_sdp(g, rank=8, max_sweeps=5, threads=1).V
    kw = dict(n_samples=64, max_iter=20, check_every=5, record_every=5, seed=5)
    identical(_outcome(derand_mc(g, V, threads=1, **kw)), _outcome(derand_mc(g, V, threads=two_threads, **kw)))


def test_maxcut_pipeline(two_threads: int) -> None:
    rng = np.random.default_rng(2)
    n, m = 400, 2000
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    g = Graph.from_edges(n, u[u != v], v[u != v])
    one = maxcut(g, seed=6, threads=1, n_hyperplanes=64, max_sweeps=20)
    two = maxcut(g, seed=6, threads=two_threads, n_hyperplanes=64, max_sweeps=20)
    identical((one.partition, one.cut, one.sdp_value, one.gw_best, one.rounding_cut),
              (two.partition, two.cut, two.sdp_value, two.gw_best, two.rounding_cut))


@pytest.mark.parametrize("kw", [{}, {"estimator": "score"}, {"antithetic": True}, {"qmc": True}])
def test_smooth(kw: dict, g_step, two_threads: int) -> None:
    mu = np.linspace(-1, 1, 200)
    identical(tuple(smooth(g_step, mu, 0.3, n_samples=512, seed=8, threads=1, **kw)),
              tuple(smooth(g_step, mu, 0.3, n_samples=512, seed=8, threads=two_threads, **kw)))


def test_jl_mc_objective(two_threads: int) -> None:
    X = np.random.default_rng(3).standard_normal((60, 40))
    problem = make_problem(X, "pairwise")
    M = np.random.default_rng(4).standard_normal((10, 40)) / np.sqrt(10)
    one = mc_objective(M, 0.05, problem, n_samples=16, seed=1, threads=1)
    two = mc_objective(M, 0.05, problem, n_samples=16, seed=1, threads=two_threads)
    identical((one.value, one.grad_M, one.grad_sigma, one.stderr, one.sample_max),
              (two.value, two.grad_M, two.grad_sigma, two.stderr, two.sample_max))
