"""Property tests of the public array/graph entry points.

Each entry point gets the same clean data in other layouts and dtypes
(int, float32, complex, object, Fortran order, non-contiguous views), with
NaN/inf planted, empty, or with absurd sizes. It must either give exactly the
result of a clean float64 C-contiguous copy, or raise ``ValueError`` /
``TypeError``; NaN/inf must be rejected, never propagated silently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import derand_fast as df
from derand_fast import _core
from derand_fast.jl import make_problem, mc_objective
from derand_fast.maxcut import (
    Graph,
    cut_value,
    cut_values,
    gw_expected_cut,
    gw_rounding,
    load_graph,
    local_search,
    solve_sdp,
)
from derand_fast.maxcut import maxcut as df_maxcut
from derand_fast.smoothing import smooth

LAYOUTS = ["c", "fortran", "strided", "float32", "int64", "complex", "object", "list"]


def relayout(a: np.ndarray, how: str) -> Any:
    """``a`` (float64, C order) in another layout or dtype; values preserved except for ``float32``/``int64``."""
    if how == "c":
        return a.copy()
    if how == "fortran":
        return np.asfortranarray(a)
    if how == "strided":  # a non-contiguous view with the same values
        big = np.repeat(a[..., None], 2, axis=-1)
        return big[..., 0]
    if how == "float32":
        return a.astype(np.float32)
    if how == "int64":
        return np.round(a).astype(np.int64) if np.all(np.isfinite(a)) else a.astype(np.float32)
    if how == "complex":
        return a.astype(np.complex128)
    if how == "object":
        return a.astype(object)
    return a.tolist()


def same(r1: Any, r2: Any) -> None:
    if isinstance(r1, tuple):
        assert isinstance(r2, tuple) and len(r1) == len(r2)
        for x, y in zip(r1, r2):
            same(x, y)
    elif isinstance(r1, dict):
        assert r1.keys() == r2.keys()
        for k in r1:
            same(r1[k], r2[k])
    else:
        np.testing.assert_array_equal(np.asarray(r1), np.asarray(r2))


def works_like_float64(f: Callable[[Any], Any], variant: Any) -> None:
    """``f(variant)`` equals ``f`` of a clean float64 copy, or raises ValueError/TypeError."""
    try:
        got = f(variant)
    except (ValueError, TypeError) as exc:
        assert str(exc)
        return
    arr = np.asarray(variant)
    assert arr.dtype.kind not in "cO" or np.all(np.imag(arr.astype(complex)) == 0), "complex accepted silently"
    clean = np.ascontiguousarray(arr.real if arr.dtype.kind == "c" else arr, dtype=np.float64)
    same(got, f(clean))


def rejects_nonfinite(f: Callable[[Any], Any], a: np.ndarray) -> None:
    with pytest.raises(ValueError):
        f(a)


_floats = st.floats(-4, 4, allow_nan=False, allow_subnormal=False, width=64)
_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5), elements=_floats)
_BAD = st.sampled_from([np.nan, np.inf, -np.inf])

# --- smoothed indicators (Numba wrappers and their C++ twins) --------------------------

INDICATORS: dict[str, Callable[[Any], Any]] = {
    "step_eps": lambda x: df.step_eps(x, 0.1),
    "jl_indicator": lambda x: df.jl_indicator(x, 0.1, 0.05),
    "relu_iota": lambda x: df.relu_iota(x, 2.0),
    "edge_indicator": lambda x: df.edge_indicator(x, x[::-1] if np.ndim(x) else x, 0.1),
    "_core.step_eps": lambda x: _core.step_eps(x, 0.1),
    "_core.jl_indicator": lambda x: _core.jl_indicator(x, 0.1, 0.05),
    "_core.relu_iota": lambda x: _core.relu_iota(x, 2.0),
}


@pytest.mark.parametrize("name", INDICATORS)
@given(a=_arrays, how=st.sampled_from(LAYOUTS))
def test_indicator_layouts(name: str, a: np.ndarray, how: str) -> None:
    works_like_float64(INDICATORS[name], relayout(a, how))


# The C++ twins in _core are left out: they map NaN to a value (finding F2 in docs/hardening.md).
@pytest.mark.parametrize("name", [k for k in INDICATORS if not k.startswith("_core.")])
@given(a=_arrays, bad=_BAD, data=st.data())
def test_indicator_nonfinite(name: str, a: np.ndarray, bad: float, data: st.DataObject) -> None:
    a = a.copy()
    a.flat[data.draw(st.integers(0, a.size - 1))] = bad
    rejects_nonfinite(INDICATORS[name], a)


@pytest.mark.parametrize("name", INDICATORS)
@pytest.mark.parametrize("param", [0.0, -1.0, np.nan, np.inf])
def test_indicator_bad_parameter(name: str, param: float) -> None:
    fn = {"step_eps": df.step_eps, "relu_iota": df.relu_iota, "_core.step_eps": _core.step_eps,
          "_core.relu_iota": _core.relu_iota}.get(name)
    if fn is None:
        fn = {"jl_indicator": lambda x, p: df.jl_indicator(x, p, 0.05),
              "_core.jl_indicator": lambda x, p: _core.jl_indicator(x, p, 0.05),
              "edge_indicator": lambda x, p: df.edge_indicator(x, x, p)}[name]
    with pytest.raises(ValueError):
        fn(np.zeros(3), param)


@pytest.mark.parametrize("name", INDICATORS)
def test_indicator_empty(name: str) -> None:
    try:
        out = INDICATORS[name](np.zeros(0))
    except ValueError:
        return
    for o in out:
        assert np.shape(o)[-1] == 0


# --- counter-based normals ----------------------------------------------------------------

@pytest.mark.parametrize("args", [(-1, 2, 3), (0, -2, 3), (0, 2, -3), (0, 2.5, 3), (0, 2, "3"), (0, True, 3),
                                  (np.nan, 2, 3)])
def test_standard_normal_bad_args(args: tuple) -> None:
    with pytest.raises((ValueError, TypeError)):
        df.standard_normal(*args)


def test_standard_normal_huge_size_is_refused_not_allocated() -> None:
    with pytest.raises(ValueError):
        df.standard_normal(0, 2**40, 2**40)


# --- graphs and the cut tools ---------------------------------------------------------------

@st.composite
def graphs(draw: st.DrawFn, min_n: int = 2) -> Graph:
    n = draw(st.integers(min_n, 12))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] != p[1]),
                          min_size=1, max_size=25))
    w = draw(st.lists(st.sampled_from([-2.0, -1.0, 0.5, 1.0, 3.0]), min_size=len(pairs), max_size=len(pairs)))
    e = np.array(pairs)
    return Graph.from_edges(n, e[:, 0], e[:, 1], np.array(w))


def brute_cut(g: Graph, x: np.ndarray) -> float:
    """Independent truth: sum of w over edges whose endpoints differ."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(g.weights * (x[g.u] != x[g.v])))


@given(g=graphs(), data=st.data(), how=st.sampled_from(LAYOUTS))
def test_cut_value_layouts(g: Graph, data: st.DataObject, how: str) -> None:
    x = np.array(data.draw(st.lists(st.sampled_from([-1.0, 1.0]), min_size=g.n, max_size=g.n)))
    assert cut_value(g, x) == pytest.approx(brute_cut(g, x), abs=1e-12)
    works_like_float64(lambda a: cut_value(g, a), relayout(x, how))
    X = np.stack([x, -x, np.ones(g.n)])
    works_like_float64(lambda a: cut_values(g, a), relayout(X, how))
    works_like_float64(lambda a: local_search(g, a, max_moves=50).x, relayout(x, how))


@given(g=graphs(), bad=st.sampled_from([np.nan, np.inf, 0.0, 0.5, 2.0]))
def test_cut_tools_reject_non_sign_entries(g: Graph, bad: float) -> None:
    x = np.ones(g.n)
    x[0] = bad
    for f in (lambda: cut_value(g, x), lambda: cut_values(g, x[None, :]), lambda: local_search(g, x)):
        with pytest.raises(ValueError):
            f()


# No "complex": the factor checks cast it with a ComplexWarning, dropping the imaginary part (finding F3).
@given(g=graphs(), how=st.sampled_from([h for h in LAYOUTS if h != "complex"]), r=st.integers(1, 4),
       seed=st.integers(0, 2**31))
def test_factor_layouts(g: Graph, how: str, r: int, seed: int) -> None:
    V = np.random.default_rng(seed).standard_normal((g.n, r))
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    if how == "int64":
        V = np.sign(V) + (V == 0)  # integer-valued, nonzero rows, so the int64 layout keeps the values
    works_like_float64(lambda a: gw_expected_cut(g, a, threads=1), relayout(V, how))
    works_like_float64(lambda a: gw_rounding(g, a, n_hyperplanes=3, threads=1).x, relayout(V, how))
    works_like_float64(lambda a: solve_sdp(g, V0=a, max_sweeps=3, threads=1).V, relayout(V, how))


@given(g=graphs(), bad=_BAD, where=st.integers(0, 100))
def test_factor_nonfinite(g: Graph, bad: float, where: int) -> None:
    V = np.ones((g.n, 2))
    V.flat[where % V.size] = bad
    for f in (lambda: gw_expected_cut(g, V), lambda: gw_rounding(g, V, n_hyperplanes=2),
              lambda: solve_sdp(g, V0=V, max_sweeps=2)):
        with pytest.raises(ValueError):
            f()


@pytest.mark.parametrize("shape", [(0, 2), (3,), (2, 0), (3, 2, 1)])
def test_factor_bad_shapes(shape: tuple) -> None:
    g = load_graph(np.array([[0, 1], [1, 2]]), fmt="edges")
    for f in (gw_expected_cut, lambda g_, V: gw_rounding(g_, V, n_hyperplanes=2),
              lambda g_, V: solve_sdp(g_, V0=V, max_sweeps=2)):
        with pytest.raises(ValueError):
            f(g, np.ones(shape))


@given(g=graphs(), how=st.sampled_from(LAYOUTS))
def test_load_graph_edge_array_layouts(g: Graph, how: str) -> None:
    """(m, 3) arrays and dense matrices in any layout load to the same graph (or are refused clearly)."""
    E = np.column_stack([g.u, g.v, g.weights]).astype(np.float64)
    works_like_float64(lambda a: load_graph(np.asarray(a) if how != "list" else a, n=g.n,
                                            fmt="edges").to_scipy().toarray(), relayout(E, how))
    A = g.to_scipy().toarray()
    works_like_float64(lambda a: load_graph(a).to_scipy().toarray(), relayout(A, how))


@given(n=st.integers(2, 8), bad=_BAD)
def test_load_graph_nonfinite(n: int, bad: float) -> None:
    A = np.zeros((n, n))
    A[0, 1] = A[1, 0] = bad
    with pytest.raises(ValueError):
        load_graph(A)
    with pytest.raises(ValueError):
        load_graph((np.array([[0, 1]]), np.array([bad])))


@pytest.mark.parametrize("n", [-1, 2**31, 2**62])
def test_graph_from_edges_bad_n(n: int) -> None:
    with pytest.raises(ValueError):
        Graph.from_edges(n, np.array([0]), np.array([1]))


def test_empty_graph_inputs() -> None:
    for src in (np.zeros((0, 2), dtype=np.int64), np.zeros((0, 0))):
        try:
            g = load_graph(src)
        except ValueError:
            continue
        assert g.m == 0
    g0 = Graph.from_edges(0, np.array([], dtype=int), np.array([], dtype=int))
    res = solve_sdp(g0)
    assert res.V.shape[0] == 0 and res.objective == 0.0
    with pytest.raises(ValueError, match="no nodes"):
        df_maxcut(g0)


# --- smoothing estimators and JL objectives -------------------------------------------------

@given(mu=hnp.arrays(np.float64, st.integers(1, 8), elements=_floats), how=st.sampled_from(LAYOUTS),
       sigma=st.floats(0.0, 2.0))
def test_smooth_layouts(g_step, mu: np.ndarray, how: str, sigma: float) -> None:
    works_like_float64(lambda a: tuple(smooth(g_step, a, sigma, n_samples=8, seed=1, threads=1)), relayout(mu, how))
    works_like_float64(lambda s: tuple(smooth(g_step, mu, s, n_samples=8, seed=1, threads=1)),
                       relayout(np.full(mu.shape, sigma), how))


@given(mu=hnp.arrays(np.float64, st.integers(1, 8), elements=_floats), bad=_BAD, data=st.data())
def test_smooth_nonfinite(g_step, mu: np.ndarray, bad: float, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, mu.size - 1))
    nan_mu = mu.copy()
    nan_mu[k] = bad
    rejects_nonfinite(lambda a: smooth(g_step, a, 0.3, n_samples=4), nan_mu)
    sigma = np.full(mu.shape, 0.3)
    sigma[k] = bad
    rejects_nonfinite(lambda s: smooth(g_step, mu, s, n_samples=4), sigma)


def _distinct_rows(X: np.ndarray) -> np.ndarray:
    X = X.copy()
    X[:, 0] = np.arange(X.shape[0])  # distinct points: no degenerate-constraint warning
    return X


# integer-valued points, so the int64 layout keeps the values
_points = hnp.arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(3, 6)),
                     elements=st.integers(-3, 3).map(float)).map(_distinct_rows)


# No "complex" for M: mc_objective casts it with a ComplexWarning (finding F3).
@given(X=_points, how=st.sampled_from([h for h in LAYOUTS if h != "complex"]), seed=st.integers(0, 100))
def test_jl_layouts(X: np.ndarray, how: str, seed: int) -> None:
    works_like_float64(lambda a: make_problem(a, "pairwise").X, relayout(X, how))
    problem = make_problem(X, "pairwise")
    M = np.random.default_rng(seed).standard_normal((2, X.shape[1]))
    works_like_float64(lambda a: (lambda e: (e.value, e.grad_M, e.grad_sigma))(
        mc_objective(a, 0.1, problem, n_samples=4, threads=1)), relayout(M, how))


@given(X=_points, bad=_BAD, where=st.integers(0, 100))
def test_jl_nonfinite(X: np.ndarray, bad: float, where: int) -> None:
    Xb = X.copy()
    Xb.flat[where % Xb.size] = bad
    rejects_nonfinite(lambda a: make_problem(a, "pairwise"), Xb)
    M = np.ones((2, X.shape[1]))
    M.flat[where % M.size] = bad
    problem = make_problem(X, "pairwise")
    rejects_nonfinite(lambda a: mc_objective(a, 0.1, problem, n_samples=2), M)
