"""The certified MAXCUT bound: valid for every factor, tight at convergence, exact on closed forms."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from derand_fast.maxcut import Graph, load_graph, solve_sdp
from derand_fast.maxcut.bound import CertifiedBound, certified_bound
from derand_fast.maxcut.data import best_known
from derand_fast.runcontrol import Status


def _exact_dual(g: Graph, V: np.ndarray) -> float:
    """sum(y) + n lambda_max(L/4 - Diag(y)) by a dense eigensolver (the quantity the bound certifies)."""
    V = V / np.linalg.norm(V, axis=1, keepdims=True)
    W = g.to_scipy().toarray()
    L = np.diag(W.sum(axis=1)) - W
    y = 0.25 * np.einsum("ij,ij->i", V, (L @ V))
    return float(y.sum() + g.n * np.linalg.eigvalsh(0.25 * L - np.diag(y))[-1])


def _check_dual(b, g: Graph, exact: float) -> None:
    """A factorization certifies mu >= lambda_max for the given y: the bound is at least the exact dual value.

    The Gershgorin fallback certifies another dual vector (row-wise diagonal dominance), so it is checked
    against the SDP's optimum instead: at least the primal value of a factor solved far past the tolerance.
    """
    if b.method == "gershgorin":
        assert b.upper_bound >= solve_sdp(g, seed=1, threads=1, tol=1e-12, max_sweeps=20_000).objective - 1e-9
    else:
        assert b.upper_bound >= exact - 1e-9


def _converged(g: Graph) -> np.ndarray:
    """A factor solved far past the default tolerance (for closed-form values)."""
    return solve_sdp(g, seed=0, threads=1, tol=1e-13, max_sweeps=100_000).V


def _negated(g: Graph) -> Graph:
    return Graph.from_edges(g.n, g.u, g.v, -g.weights, name=g.name + " negated")


def _small_graphs():
    """220 seeded graphs of 2-12 nodes: unit, ±1, mixed real and all-negative weights."""
    from .conftest import random_graph

    kinds = ["unit", "pm1", "real", "negative"]
    for k in range(220):
        rng = np.random.default_rng(1000 + k)
        n = int(rng.integers(2, 13))
        p = float(rng.uniform(0.2, 0.9))
        kind = kinds[k % 4]
        g = random_graph(n, p, 1000 + k, "unit" if kind == "negative" else kind)
        yield k, kind, _negated(g) if kind == "negative" else g


def test_bound_holds_on_220_random_small_graphs(brute_force):
    """Converged factors: bound >= exhaustive optimum, >= the exact dual value it certifies, and tight."""
    kinds_seen = set()
    for k, kind, g in _small_graphs():
        if g.m == 0:
            continue
        kinds_seen.add(kind)
        sdp = solve_sdp(g, seed=k, threads=1)
        b = certified_bound(g, sdp.V)
        opt = brute_force(g)
        assert b.upper_bound >= opt - 1e-12 * max(1.0, abs(opt)), (k, kind, b, opt)
        exact = _exact_dual(g, sdp.V)
        _check_dual(b, g, exact)
        assert b.upper_bound >= b.sdp_value
        if b.integer_weights:
            assert b.floor >= round(opt)
        # the certificate costs at most about rel_tol (1e-4) of the total weight over the exact dual value
        assert b.upper_bound - exact <= 2e-4 * float(np.abs(g.weights).sum()) + 1e-9, (k, kind, b)
    assert kinds_seen == {"unit", "pm1", "real", "negative"}


@pytest.mark.parametrize("sweeps", [0, 1])
def test_unconverged_and_random_factors(brute_force, sweeps):
    """A random start (0 sweeps) or one sweep: the bound is looser but still valid."""
    for k, kind, g in list(_small_graphs())[:60]:
        if g.m == 0:
            continue
        sdp = solve_sdp(g, seed=k, threads=1, max_sweeps=sweeps, rank=2)
        b = certified_bound(g, sdp.V)
        assert b.upper_bound >= brute_force(g) - 1e-12, (k, kind, b)
        _check_dual(b, g, _exact_dual(g, sdp.V))


def test_every_method_and_fallback_is_valid(brute_force, make_graph):
    """dense, sparse, Gershgorin, and a 1-step Lanczos (an estimate far off) with few attempts."""
    for seed in range(12):
        g = make_graph(12, 0.5, seed, ["unit", "pm1", "real"][seed % 3])
        V = np.random.default_rng(seed).standard_normal((g.n, 3))
        opt = brute_force(g)
        exact = _exact_dual(g, V)
        found = {}
        for method in ("dense", "sparse", "gershgorin"):
            b = certified_bound(g, V, method=method)
            found[method] = b
            assert b.upper_bound >= opt - 1e-9, (seed, method)
            _check_dual(b, g, exact)
        assert found["dense"].upper_bound == pytest.approx(found["sparse"].upper_bound, rel=1e-9)
        for attempts in (0, 1, 2):
            b = certified_bound(g, V, lanczos_steps=1, max_attempts=attempts)
            assert b.upper_bound >= opt - 1e-9
            _check_dual(b, g, exact)
            assert b.attempts <= attempts


def test_certified_lambda_is_above_the_true_eigenvalue(make_graph):
    for seed in range(20):
        g = make_graph(30, 0.3, seed, ["unit", "pm1", "real"][seed % 3])
        for sweeps in (1, 1000):
            V = solve_sdp(g, seed=seed, threads=1, max_sweeps=sweeps).V
            b = certified_bound(g, V)
            W = g.to_scipy().toarray()
            L = np.diag(W.sum(axis=1)) - W
            y = 0.25 * np.einsum("ij,ij->i", V, L @ V)
            lam = np.linalg.eigvalsh(0.25 * L - np.diag(y))[-1]
            assert b.lambda_max >= lam
            assert b.ritz_value <= lam + 1e-9
            assert b.upper_bound >= y.sum() + g.n * lam - 1e-9


@pytest.mark.parametrize("n", [3, 4, 5, 8, 9])
def test_complete_graph_closed_form(n):
    """K_n: SDP value n²/4 (X = (nI - J)/(n-1)); maximum cut floor(n/2) ceil(n/2) — proved for odd n too."""
    g = load_graph(nx.complete_graph(n))
    b = certified_bound(g, _converged(g))
    assert b.sdp_value == pytest.approx(n * n / 4, rel=1e-6)
    assert n * n / 4 <= b.upper_bound <= n * n / 4 * (1 + 1e-3)
    assert b.floor == (n // 2) * ((n + 1) // 2)
    assert b.proves_optimal((n // 2) * ((n + 1) // 2))


@pytest.mark.parametrize("n", [5, 7, 11, 6])
def test_cycle_closed_form(n):
    """C_n: SDP value n cos²(π/2n) for odd n (Delorme & Poljak 1993), n for even n."""
    g = load_graph(nx.cycle_graph(n))
    b = certified_bound(g, _converged(g))
    value = n * math.cos(math.pi / (2 * n)) ** 2 if n % 2 else float(n)
    assert b.sdp_value == pytest.approx(value, rel=1e-6)
    assert value <= b.upper_bound <= value * (1 + 1e-3)
    assert b.floor == (n - 1 if n % 2 else n)


def test_petersen_closed_form():
    """Petersen graph (vertex-transitive, λ_max(L) = 5): SDP value 10·5/4 = 12.5, maximum cut 12."""
    g = load_graph(nx.petersen_graph())
    b = certified_bound(g, _converged(g))
    assert b.sdp_value == pytest.approx(12.5, rel=1e-6)
    assert 12.5 <= b.upper_bound < 12.6
    assert b.floor == 12 and b.proves_optimal(12) and not b.proves_optimal(11)
    assert b.gap(11) == pytest.approx(1 / 12)


def test_scale_invariance(make_graph, brute_force):
    """Weights × 2^k give exactly 2^k times the bound; × 10^k the same bound to rounding, still valid."""
    g = make_graph(12, 0.5, 3, "real")
    V = solve_sdp(g, seed=0, threads=1).V
    b = certified_bound(g, V)
    opt = brute_force(g)
    for k in (-40, -3, 5, 60):
        gs = Graph.from_edges(g.n, g.u, g.v, np.ldexp(g.weights, k))
        assert certified_bound(gs, V).upper_bound == math.ldexp(b.upper_bound, k)
    for k in (-12, -6, -3, 3, 6, 12):
        s = 10.0**k
        gs = Graph.from_edges(g.n, g.u, g.v, g.weights * s)
        bs = certified_bound(gs, V)
        assert bs.upper_bound == pytest.approx(b.upper_bound * s, rel=1e-9)
        assert bs.upper_bound >= brute_force(gs) * (1 - 1e-15)
        assert bs.sdp_value == pytest.approx(b.sdp_value * s, rel=1e-12)
    assert b.upper_bound >= opt


def test_integer_flag_and_floor(make_graph):
    g = make_graph(10, 0.5, 1, "real")
    b = certified_bound(g, solve_sdp(g, seed=0, threads=1))  # an SDPResult is accepted too
    assert not b.integer_weights and b.floor is None and b.bound == b.upper_bound
    gi = make_graph(10, 0.5, 1, "pm1")
    bi = certified_bound(gi, solve_sdp(gi, seed=0, threads=1).V)
    assert bi.integer_weights and bi.floor == math.floor(bi.upper_bound) and bi.bound == bi.floor


def test_no_edges_and_zero_weights():
    for g in (Graph.from_edges(4, [], []), Graph.from_edges(3, [0, 1], [1, 2], [0.0, 0.0]),
              Graph.from_edges(1, [], [])):
        b = certified_bound(g, np.ones((g.n, 2)))
        assert isinstance(b, CertifiedBound)
        assert b.upper_bound == 0.0 and b.method == "no-edges" and b.floor == 0.0


def test_bad_input(make_graph):
    g = make_graph(8, 0.5, 0, "unit")
    V = np.ones((8, 3))
    for bad in (np.ones((7, 3)), np.ones((8, 0)), np.ones(8), np.ones((8, 3, 1))):
        with pytest.raises(ValueError, match="shape"):
            certified_bound(g, bad)
    for value in (np.nan, np.inf):
        W = V.copy()
        W[2, 1] = value
        with pytest.raises(ValueError, match="NaN or inf"):
            certified_bound(g, W)
    W = V.copy()
    W[5] = 0
    with pytest.raises(ValueError, match="zero row"):
        certified_bound(g, W)
    with pytest.raises(TypeError, match="real"):
        certified_bound(g, V + 1j)
    with pytest.raises(ValueError, match="method"):
        certified_bound(g, V, method="eigsh")
    with pytest.raises(ValueError, match="rel_tol"):
        certified_bound(g, V, rel_tol=0.0)
    with pytest.raises(ValueError, match="lanczos_steps"):
        certified_bound(g, V, lanczos_steps=0)


@pytest.mark.parametrize("name", ["G1", "G43"])
def test_gset_converged(gset_dir, name):
    """Converged SDP on Gset: bound >= best known, within 0.1 % of the SDP value, floor reported."""
    g = load_graph(gset_dir / name, fmt="gset")
    sdp = solve_sdp(g, seed=0, threads=1)
    assert sdp.status == 0
    b = certified_bound(g, sdp.V)
    assert b.method == "dense-cholesky"
    assert b.upper_bound >= b.sdp_value
    assert b.upper_bound <= b.sdp_value * (1 + 1e-3)
    assert b.floor >= best_known(name)


@pytest.mark.slow
def test_gset_g81_stopped_early(gset_dir):
    """G81 with the SDP stopped after 4 s (far from converged): the bound still holds (>= 14 060)."""
    g = load_graph(gset_dir / "G81", fmt="gset")
    sdp = solve_sdp(g, seed=0, threads=1, time_limit=4.0)
    assert sdp.status == Status.TIME_LIMIT
    b = certified_bound(g, sdp.V)
    assert b.method == "sparse-ldl"
    assert b.floor >= best_known("G81") == 14060
    assert b.upper_bound <= b.sdp_value * (1 + 1e-2)


def test_row_wise_gershgorin_certificate_is_valid_and_no_looser(brute_force, make_graph):
    """The fallback: y'_i = y_i + max(0, r_i) is dual feasible; its sum beats sum(y) + n max_i r_i."""
    for seed in range(20):
        g = make_graph(11, 0.45, 100 + seed, ["unit", "pm1", "real"][seed % 3])
        if g.m == 0:
            continue
        V = np.random.default_rng(seed).standard_normal((g.n, 2))
        b = certified_bound(g, V, method="gershgorin")
        W = g.to_scipy().toarray()
        L = np.diag(W.sum(axis=1)) - W
        Vn = V / np.linalg.norm(V, axis=1, keepdims=True)
        y = 0.25 * np.einsum("ij,ij->i", Vn, L @ Vn)
        A = 0.25 * L - np.diag(y)
        r = np.diag(A) + np.abs(A - np.diag(np.diag(A))).sum(axis=1)
        assert b.upper_bound >= brute_force(g) - 1e-9
        assert b.upper_bound <= y.sum() + g.n * max(r.max(), 0.0) + 1e-9
        # the certified dual vector is feasible: Diag(y') - L/4 is PSD
        y_rows = y + np.maximum(r, 0.0)
        assert np.linalg.eigvalsh(np.diag(y_rows) - 0.25 * L)[0] >= -1e-9
        assert b.upper_bound == pytest.approx(y_rows.sum(), rel=1e-9, abs=1e-9)


def _cubic(n: int, seed: int) -> Graph:
    """Three random perfect matchings: an expander with high probability (max degree 3)."""
    rng = np.random.default_rng(seed)
    pairs = [rng.permutation(n).reshape(-1, 2) for _ in range(3)]
    e = np.concatenate(pairs)
    e = e[e[:, 0] != e[:, 1]]
    return Graph.from_edges(n, e[:, 0], e[:, 1])


def _lu_fill(g: Graph) -> int:
    """Off-diagonal nonzeros of SuperLU's L for a diagonally dominant matrix of g's pattern (the check's ordering)."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    A = sp.csc_array((-np.ones(g.indices.size), g.indices, g.indptr), shape=(g.n, g.n)) + sp.diags_array(
        np.diff(g.indptr) + 1.0)
    lu = splu(sp.csc_array(A), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
              options={"SymmetricMode": True, "Equil": False})
    return int(lu.L.nnz - g.n)


def _cubic_nx(n: int, seed: int) -> nx.Graph:
    G = nx.empty_graph(n)
    G.add_edges_from(_cubic(n, seed).edges.tolist())
    return G


@pytest.mark.parametrize("make", [
    lambda: _cubic_nx(600, 1), lambda: _cubic_nx(2000, 2), lambda: nx.random_regular_graph(5, 400, seed=3),
    lambda: nx.complete_graph(60), lambda: nx.grid_2d_graph(30, 30, periodic=True),
    lambda: nx.disjoint_union(nx.complete_graph(30), nx.cycle_graph(50)), lambda: nx.gnm_random_graph(1500, 4000, 4)])
def test_factorization_floor_is_below_the_real_cost(make):
    """The floor never exceeds what a factorization really needs: the separator bound stays below a treewidth
    upper bound (+1) and the fill bound below SuperLU's fill with the ordering the certificate uses."""
    from networkx.algorithms.approximation import treewidth_min_degree

    from derand_fast.maxcut.bound import factorization_floor

    G = make()
    g = load_graph(G)
    f = factorization_floor(g)
    tw, _ = treewidth_min_degree(nx.convert_node_labels_to_integers(G))
    assert f.separator <= tw + 1
    assert f.entries <= _lu_fill(g)
    assert f.flops <= max(tw, 1) ** 3 * 1.0 * g.n  # a loose sanity ceiling: at most n eliminations of <= tw^2
    assert f.seconds == f.flops / 1e10 and f.bytes == 12 * f.entries


def test_factorization_floor_sees_expanders_and_spares_meshes():
    from derand_fast.maxcut.bound import factorization_floor

    f = factorization_floor(_cubic(20000, 5))
    assert f.lambda2 == pytest.approx(3 - 2 * math.sqrt(2), rel=0.25)  # Friedman: lambda_2 -> 3 - 2 sqrt 2
    assert f.separator > 0.005 * 20000 and f.entries > 1e4
    mesh = factorization_floor(load_graph(nx.grid_2d_graph(150, 150, periodic=True)))
    assert mesh.entries < 1e4  # lambda_2 ~ 4 pi^2 / 150^2: no floor worth the name


def test_within_skips_a_factorization_that_cannot_fit(monkeypatch):
    """When the floor exceeds the budget no child process is started: the Gershgorin certificate comes at once."""
    import multiprocessing

    import derand_fast.maxcut.bound as bound

    g = _cubic(6000, 7)
    V = np.random.default_rng(0).standard_normal((g.n, 4))

    def no_fork(*args, **kwargs):
        raise AssertionError("a factorization was started")

    monkeypatch.setattr(bound, "_FAST_FLOPS", 1.0)  # every factorization "takes" far longer than the budget
    monkeypatch.setattr(multiprocessing, "get_context", no_fork)
    b = bound.certified_bound_within(g, V, 30.0)
    assert b.method == "gershgorin" and b.attempts == 0
    assert b.upper_bound >= g.m / 2  # some cut has half the (unit) weight: a valid bound cannot be lower
