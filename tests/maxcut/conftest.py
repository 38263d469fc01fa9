"""Small seeded random graphs for the MAXCUT tests."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from derand_fast.maxcut import Graph, cut_values


def random_graph(n: int, p: float, seed: int, weights: str = "unit") -> Graph:
    """Erdős–Rényi G(n, p) with unit, ±1 or uniform(-1, 2) weights (seeded)."""
    rng = np.random.default_rng(seed)
    iu, ju = np.triu_indices(n, 1)
    keep = rng.random(iu.size) < p
    i, j = iu[keep], ju[keep]
    if weights == "unit":
        w = np.ones(i.size)
    elif weights == "pm1":
        w = rng.choice([-1.0, 1.0], size=i.size)
    else:
        w = rng.uniform(-1.0, 2.0, size=i.size)
    return Graph.from_edges(n, i, j, w, name=f"G({n},{p})#{seed}")


def exhaustive_maxcut(g: Graph) -> float:
    """Maximum cut by enumerating all 2^(n-1) partitions (node 0 fixed to +1)."""
    n = g.n
    if n <= 1:
        return 0.0
    bits = np.array(list(itertools.product([1, -1], repeat=n - 1)), dtype=np.int8)
    X = np.hstack([np.ones((bits.shape[0], 1), dtype=np.int8), bits])
    return float(cut_values(g, X, threads=1).max())


def numpy_cut(g: Graph, x: np.ndarray) -> float:
    """Direct NumPy evaluation of sum_e w_e [x_u != x_v]."""
    x = np.asarray(x)
    return float(np.sum(g.weights * (x[g.u] != x[g.v])))


@pytest.fixture(params=[0, 1, 2])
def small_graph(request) -> Graph:
    """Three seeded random graphs of 11-14 nodes (unit, ±1 and real weights)."""
    seed = request.param
    return random_graph(11 + seed, 0.45, seed, ["unit", "pm1", "real"][seed])


@pytest.fixture(scope="session")
def make_graph():
    """The seeded random-graph builder :func:`random_graph`."""
    return random_graph


@pytest.fixture(scope="session")
def brute_force():
    """:func:`exhaustive_maxcut`."""
    return exhaustive_maxcut


@pytest.fixture(scope="session")
def np_cut():
    """:func:`numpy_cut`."""
    return numpy_cut
