"""Cut evaluation: values against NumPy, batch = single, thread independence, bad partitions."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast.maxcut import Graph, cut_value, cut_values


@pytest.mark.parametrize("weights", ["unit", "pm1", "real"])
def test_cut_values_equal_numpy(weights, make_graph, np_cut):
    g = make_graph(60, 0.2, 7, weights)
    rng = np.random.default_rng(1)
    X = rng.choice(np.array([-1, 1], dtype=np.int8), size=(25, g.n))
    vals = cut_values(g, X, threads=1)
    expect = np.array([np_cut(g, x) for x in X])
    # Same terms, summed in edge order in both: equal up to rounding of the sum.
    np.testing.assert_allclose(vals, expect, rtol=1e-12, atol=1e-12)
    assert cut_value(g, X[3].astype(float)) == vals[3]
    # The all-equal partition cuts nothing; the cut of x equals that of -x.
    assert cut_value(g, np.ones(g.n)) == 0.0
    assert cut_value(g, -X[0]) == vals[0]


def test_cut_values_thread_independent(two_threads, make_graph):
    g = make_graph(300, 0.05, 3, "real")
    X = np.random.default_rng(2).choice(np.array([-1, 1], dtype=np.int8), size=(40, g.n))
    assert np.array_equal(cut_values(g, X, threads=1), cut_values(g, X, threads=two_threads))


def test_edgeless_and_single_node_graphs():
    g = Graph.from_edges(5, [], [])
    assert cut_value(g, np.ones(5)) == 0.0
    g1 = Graph.from_edges(1, [], [])
    assert cut_values(g1, np.ones((2, 1))).tolist() == [0.0, 0.0]


def test_bad_partitions(make_graph):
    g = make_graph(10, 0.5, 0)
    with pytest.raises(ValueError, match=r"\+1 and -1"):
        cut_value(g, np.zeros(10))
    with pytest.raises(ValueError, match=r"shape \(10,\)"):
        cut_value(g, np.ones(9))
    with pytest.raises(ValueError, match=r"X must have shape"):
        cut_values(g, np.ones(10))
    with pytest.raises(TypeError, match="numeric"):
        cut_value(g, np.array(["a"] * 10))
