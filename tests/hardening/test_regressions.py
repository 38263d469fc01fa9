"""Regression tests for the bugs the hardening campaign found (docs/hardening.md, F1–F5)."""

from __future__ import annotations

import resource

import numpy as np
import pytest

from derand_fast import _core
from derand_fast.jl import make_problem, mc_objective
from derand_fast.maxcut import Graph, gw_rounding, load_graph, solve_sdp


@pytest.mark.parametrize("text", ["0 2000000000\n1 2\n", "2000000000 1\n1 2 1\n"])
def test_f1_absurd_node_count_is_refused_before_allocating(tmp_path, text):
    f = tmp_path / "g.txt"
    f.write_text(text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match="nodes would need about"):
        load_graph(f)
    # no multi-GB allocation happened on the way (ru_maxrss is in KiB on Linux)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1 << 20


@pytest.mark.parametrize("fun, args", [(_core.step_eps, (0.1,)), (_core.jl_indicator, (0.1, 0.05)),
                                       (_core.relu_iota, (2.0,))])
def test_f2_cpp_indicators_reject_nan(fun, args):
    with pytest.raises(ValueError, match="contains NaN or inf"):
        fun(np.array([0.0, np.nan]), *args)


def test_f3_complex_factors_are_rejected():
    g = Graph.from_edges(2, [0], [1])
    V = (1 + 1j) * np.ones((2, 1))
    with pytest.raises(TypeError, match="V must be a real"):
        gw_rounding(g, V)
    with pytest.raises(TypeError, match="V0 must be real"):
        solve_sdp(g, V0=V)
    X = np.random.default_rng(0).standard_normal((5, 4))
    problem = make_problem(X)
    with pytest.raises(TypeError, match="M must be a real .* got complex"):
        mc_objective((1 + 1j) * np.ones((2, 4)), 0.1, problem)


def test_f4_gw_memory_does_not_grow_with_the_hyperplane_count():
    g = Graph.from_edges(3, [0, 1], [1, 2])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    info = gw_rounding(g, np.ones((3, 16)), n_hyperplanes=10**8, time_limit=0.2).info
    assert info["interrupted"] and 0 < info["n_hyperplanes"] < 10**8
    # drawing 1e8 x 16 normals up front would take 12.8 GB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1 << 20


def test_f5_lying_edge_count_in_header_does_not_reserve_gigabytes():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _core.parse_edge_text(b"5 2000000000\n", True)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 1 << 20
