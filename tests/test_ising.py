"""Ising and QUBO through the MAXCUT pipeline: exact energies, certified lower bounds, labels, files."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import scipy.sparse as sp

from derand_fast.ising import IsingResult, ising_energy, qubo_energy, read_ising, read_qubo, solve_ising, solve_qubo

FAST = {"seed": 0, "threads": 1, "local_search_moves": 2000, "n_hyperplanes": 50}


def _brute_ising(h: np.ndarray, J: np.ndarray) -> float:
    """min over s of h.s + sum_{i<j} J_ij s_i s_j (J upper triangular)."""
    n = h.size
    S = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    return float(np.min(S @ h + np.einsum("ki,ij,kj->k", S, J, S)))


def _brute_qubo(Q: np.ndarray) -> float:
    n = Q.shape[0]
    X = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    return float(np.min(np.einsum("ki,ij,kj->k", X, Q, X)))


def _random_ising(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 11))
    J = np.triu(rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.6), 1)
    h = rng.normal(size=n) * (rng.random(n) < 0.7)
    if seed % 2:  # integer instances: the floored bound can prove optimality
        J, h = np.round(3 * J), np.round(3 * h)
    return h, J


def test_ising_100_random_instances_against_brute_force():
    """lower_bound <= exhaustive minimum always; the energy reaches it on (almost) every instance."""
    hits = proved = 0
    for seed in range(110):
        h, J = _random_ising(seed)
        hd = {i: float(v) for i, v in enumerate(h) if v}
        Jd = {(int(i), int(j)): float(J[i, j]) for i, j in zip(*np.nonzero(J))}
        hd.update({i: 0.0 for i in range(h.size) if i not in hd})  # every spin is a variable
        best = _brute_ising(h, J)
        r = solve_ising(hd, Jd, **FAST)
        assert r.lower_bound <= best + 1e-12 * max(1.0, abs(best)), seed
        assert r.energy >= best - 1e-9
        assert r.energy == pytest.approx(ising_energy(hd, Jd, r.sample), abs=0)
        assert set(r.sample) == set(range(h.size)) and set(r.sample.values()) <= {-1, 1}
        hits += r.energy <= best + 1e-9
        proved += r.optimal
        assert not r.optimal or r.energy <= best + 1e-9
        assert 0.0 <= r.gap <= 2.0
    assert hits >= 105
    assert proved >= 20  # integer instances whose floored bound meets the energy


@pytest.mark.parametrize("form", ["dict", "dense", "sparse"])
def test_qubo_random_instances_against_brute_force(form):
    for seed in range(40):
        rng = np.random.default_rng(500 + seed)
        n = int(rng.integers(1, 10))
        Q = np.round(rng.normal(size=(n, n)) * 4) * (rng.random((n, n)) < 0.5)
        if form == "dict":
            arg = {(int(i), int(j)): float(Q[i, j]) for i, j in zip(*np.nonzero(Q))}
            arg.update({(i, i): arg.get((i, i), 0.0) for i in range(n)})
        else:
            arg = Q if form == "dense" else sp.csr_array(Q)
        best = _brute_qubo(Q)
        r = solve_qubo(arg, **FAST)
        assert r.lower_bound <= best, (form, seed)
        assert r.energy == best, (form, seed)
        assert set(r.sample.values()) <= {0, 1}
        assert r.energy == qubo_energy(arg, r.sample)


def test_labels_survive_and_offsets():
    h = {"x": 1.0, ("tuple", 2): -0.5}
    J = {("x", "y"): -1.0, ("y", ("tuple", 2)): 2.0}
    r = solve_ising(h, J, offset=10.0, **FAST)
    assert list(r.sample) == ["x", ("tuple", 2), "y"]
    assert r.energy == ising_energy(h, J, r.sample, offset=10.0)
    best = min(ising_energy(h, J, dict(zip(r.sample, s)), 10.0) for s in itertools.product([-1, 1], repeat=3))
    assert r.energy == best and r.lower_bound <= best
    assert r.vartype == "SPIN" and r.n == 3 and r.m == 2
    d = r.to_dict()
    assert {"n", "m", "energy", "lower_bound", "gap", "sample", "seed", "threads", "times", "status"} <= set(d)
    json.dumps(d)
    assert "bound" in r.times and "total" in r.times


def test_conventions_agree_with_dimod():
    dimod = pytest.importorskip("dimod")
    rng = np.random.default_rng(7)
    Q = {(int(i), int(j)): float(v) for (i, j), v in zip(rng.integers(0, 6, (20, 2)), rng.normal(size=20))}
    r = solve_qubo(Q, **FAST)
    bqm = dimod.BinaryQuadraticModel.from_qubo(Q)
    assert r.energy == pytest.approx(bqm.energy(r.sample), rel=1e-12, abs=1e-12)
    best = min(bqm.energy(dict(zip(range(6), x))) for x in itertools.product([0, 1], repeat=6)
               if set(range(6)) >= set(bqm.variables))
    assert r.lower_bound <= best + 1e-12 and r.energy == pytest.approx(best)
    h = {0: 0.3, 1: -0.7}
    J = {(0, 1): 1.1, (1, 2): -0.4, (2, 0): 0.9, (1, 0): 0.2}
    r = solve_ising(h, J, **FAST)
    assert r.energy == pytest.approx(dimod.BinaryQuadraticModel.from_ising(h, J).energy(r.sample))


def test_dense_matrix_counts_both_triangles():
    Q = np.array([[0.0, 3.0], [-5.0, 0.0]])  # x0 x1 (3 - 5)
    r = solve_qubo(Q, **FAST)
    assert r.energy == -2.0 and r.sample == {0: 1, 1: 1}


def test_warm_start_and_no_interactions():
    h, J = _random_ising(3)
    best = _brute_ising(h, J)
    first = solve_ising(h, J, **FAST)
    again = solve_ising(h, J, initial_state=first, **{**FAST, "local_search_moves": 0})
    assert again.energy <= first.energy
    assert solve_ising(h, J, initial_state=[1] * h.size, **FAST).energy == pytest.approx(best)
    r = solve_ising({"a": 0.0}, {}, offset=2.5, **FAST)
    assert r.energy == r.lower_bound == 2.5 and r.optimal and r.sample == {"a": 1}
    r = solve_ising({"a": -2.0, "b": 1.0}, None, **FAST)
    assert r.sample == {"a": 1, "b": -1} and r.energy == -3.0 and r.optimal


def test_bad_input():
    with pytest.raises(ValueError, match="h contains NaN or inf"):
        solve_ising({0: float("nan")}, {})
    with pytest.raises(ValueError, match="contains NaN or inf"):
        solve_qubo({(0, 1): float("inf")})
    with pytest.raises(ValueError, match=r"\(i, i\)"):
        solve_ising({}, {(1, 1): 1.0})
    with pytest.raises(ValueError, match=r"\(i, i\)"):
        solve_ising(None, np.eye(3))
    with pytest.raises(ValueError, match="no variables"):
        solve_qubo({})
    with pytest.raises(ValueError, match="square"):
        solve_qubo(np.ones((2, 3)))
    with pytest.raises(ValueError, match="entries but"):
        solve_ising(np.ones(3), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="pairs"):
        solve_qubo({1: 2.0})
    with pytest.raises(ValueError, match="0 or 1"):
        solve_qubo({(0, 1): 1.0}, initial_state={0: -1, 1: 1})
    with pytest.raises(ValueError, match="values for"):
        solve_ising({0: 1.0}, {(0, 1): 1.0}, initial_state=[1, 1, 1])
    with pytest.raises(TypeError, match="h must be a real"):
        solve_ising(np.array(["a"]), None)
    with pytest.raises(TypeError, match="must be a real"):
        solve_qubo(np.array([[1.0j]]))


def test_read_biqmac_sparse(tmp_path):
    """min x'Qx with Q symmetric: the line '1 2 -3' is Q12 = Q21 = -3, i.e. -6 x1 x2."""
    f = tmp_path / "tiny.sparse"
    f.write_text("# a comment\n3 4\n1 1 2\n2 2 2\n1 2 -3\n2 3 1.5\n")
    Q = read_qubo(f)
    assert Q == {(1, 1): 2.0, (2, 2): 2.0, (1, 2): -6.0, (2, 3): 3.0}
    S = np.array([[2.0, -3.0, 0.0], [-3.0, 2.0, 1.5], [0.0, 1.5, 0.0]])
    best = _brute_qubo(S)  # -2 at x = (1, 1, 0)
    r = solve_qubo(Q, **FAST)
    assert best == -2.0 and r.energy == best and r.sample == {1: 1, 2: 1, 3: 0} and r.optimal
    bad = tmp_path / "bad.sparse"
    bad.write_text("3 2\n1 1 2\n")
    with pytest.raises(ValueError, match="header says 2"):
        read_qubo(bad)
    bad.write_text("3 1\n1 4 2\n")
    with pytest.raises(ValueError, match="outside"):
        read_qubo(bad)


def test_read_ising_edge_list(tmp_path):
    f = tmp_path / "glass.txt"
    f.write_text("% couplings then fields\n1 2 -1\n2 3 1\n3 1 1\n1 0.5\n")
    hf = tmp_path / "h.txt"
    hf.write_text("2 -0.25\n")
    h, J = read_ising(f, hf)
    assert h == {1: 0.5, 2: -0.25} and J == {(1, 2): -1.0, (2, 3): 1.0, (3, 1): 1.0}
    r = solve_ising(h, J, **FAST)
    assert isinstance(r, IsingResult) and set(r.sample) == {1, 2, 3}
    best = min(ising_energy(h, J, dict(zip((1, 2, 3), s))) for s in itertools.product([-1, 1], repeat=3))
    assert r.energy == best
    f.write_text("1 1 2\n")
    with pytest.raises(ValueError, match="itself"):
        read_ising(f)
    f.write_text("1 2 3 4\n")
    with pytest.raises(ValueError, match="line 1"):
        read_ising(f)


def test_json_round_trip_keeps_version_and_labels(tmp_path):
    from derand_fast import __version__

    h = {"x": 1.0, ("tuple", 2): -0.5, 7: 0.25}
    J = {("x", "y"): -1.0, ("y", ("tuple", 2)): 2.0, (7, "x"): 1.0}
    r = solve_ising(h, J, **FAST)
    d = json.loads(r.to_json(tmp_path / "r.json"))
    assert d["version"] == __version__ and d["labels"] == ["x", ["tuple", 2], 7, "y"]
    back = IsingResult.from_json(tmp_path / "r.json")
    assert back.sample == r.sample and list(back.sample) == list(r.sample)
    assert (back.energy, back.lower_bound, back.gap, back.optimal, back.bound, back.version) == \
        (r.energy, r.lower_bound, r.gap, r.optimal, r.bound, r.version)
    only_str = solve_qubo({("a", "a"): -1.0, ("a", "b"): 2.0}, **FAST)
    d = only_str.to_dict()
    assert "labels" not in d and IsingResult.from_json(only_str.to_json()).sample == only_str.sample
