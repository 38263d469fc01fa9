"""The dimod sampler: dimod's own conformance checks, exact minima, certified bounds, pass-through, and agreement
of the three entry points (Python, command, dimod) on the same problem."""

from __future__ import annotations

import json
import unittest

import numpy as np
import pytest

dimod = pytest.importorskip("dimod")

from derand_fast.cli import main  # noqa: E402
from derand_fast.dimod import DerandSampler  # noqa: E402
from derand_fast.ising import read_ising, read_qubo, solve_ising, solve_qubo  # noqa: E402

FAST = {"seed": 0, "threads": 1, "n_hyperplanes": 50, "local_search_sweeps": 200}


@dimod.testing.load_sampler_bqm_tests(lambda: DerandSampler(**FAST))
class TestDimodConformance(unittest.TestCase):
    """dimod's generated tests: empty, one-variable and path models of every BQM class, SPIN and BINARY,
    with complicated labels; energies checked by dimod."""

    def test_api(self):
        dimod.testing.assert_sampler_api(DerandSampler())


def _random_bqm(seed: int, vartype: str, cls: type = dimod.BQM) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 11))
    labels = [("x", k) if k % 3 == 0 else f"v{k}" if k % 3 == 1 else k * 10 for k in range(n)]
    lin = {v: float(np.round(rng.normal() * 3)) if seed % 2 else float(rng.normal()) for v in labels}
    quad = {}
    for a in range(n):
        for b in range(a + 1, n):
            if rng.random() < 0.6:
                quad[(labels[a], labels[b])] = float(np.round(rng.normal() * 3)) if seed % 2 else float(rng.normal())
    return cls(lin, quad, float(rng.normal()), vartype)


@pytest.mark.parametrize("vartype", ["SPIN", "BINARY"])
def test_random_models_against_exact_solver(vartype):
    """Bound <= exhaustive minimum (dimod.ExactSolver); the sample reaches it; labels and energies are dimod's."""
    hits = proved = 0
    for seed in range(60):
        bqm = _random_bqm(seed, vartype, dimod.Float32BQM if seed % 5 == 0 else dimod.BQM)
        best = float(dimod.ExactSolver().sample(bqm).first.energy)
        ss = DerandSampler(**FAST).sample(bqm)
        dimod.testing.assert_sampleset_energies(ss, bqm)
        assert ss.vartype is bqm.vartype and set(ss.variables) == set(bqm.variables)
        assert len(ss) == 1
        energy = float(ss.first.energy)
        info = ss.info
        tol = 1e-6 * max(1.0, abs(best)) if isinstance(bqm, dimod.Float32BQM) else 1e-9 * max(1.0, abs(best))
        assert info["lower_bound"] <= best + tol, seed
        assert energy >= best - tol
        hits += energy <= best + tol
        proved += info["optimal"]
        assert not info["optimal"] or energy <= best + tol
        assert 0.0 <= info["gap"] <= 2.0
        assert info["status"] == 0 and info["message"] == "completed"
        assert {"bound", "total"} <= set(info["timing"])
    assert hits >= 57
    assert proved >= 10


def test_empty_model():
    ss = DerandSampler().sample(dimod.BQM({}, {}, 2.5, "BINARY"))
    assert len(ss) == 1 and len(ss.variables) == 0
    assert float(ss.first.energy) == 2.5 and ss.info["lower_bound"] == 2.5 and ss.info["optimal"]


def test_parameters_pass_through(monkeypatch):
    """seed, threads, time_limit and the pipeline's options reach solve_ising/solve_qubo; defaults are overridden
    by the call's own arguments; an unknown argument is dropped with dimod's warning."""
    import derand_fast.dimod as dd

    seen = {}

    def spy(real):
        def run(*args, **kwargs):
            seen.clear()
            seen.update(kwargs)
            return real(*args, **kwargs)
        return run

    monkeypatch.setattr(dd, "solve_ising", spy(solve_ising))
    monkeypatch.setattr(dd, "solve_qubo", spy(solve_qubo))
    sampler = DerandSampler(seed=5, threads=1, rounding="gw")
    sampler.sample_ising({"a": 1.0}, {("a", "b"): -1.0}, seed=7, time_limit=2.0, local_search="1flip")
    assert seen["seed"] == 7 and seen["threads"] == 1 and seen["control"].time_limit == 2.0
    assert seen["rounding"] == "gw" and seen["local_search"] == "1flip" and seen["initial_state"] is None
    sampler.sample_qubo({(0, 0): -1.0, (0, 1): 2.0}, initial_state={0: 1, 1: 0})
    assert seen["seed"] == 5 and list(seen["initial_state"]) == [1.0, 0.0] and seen["control"].time_limit is None
    with pytest.warns(dimod.exceptions.SamplerUnknownArgWarning, match="num_reads"):
        sampler.sample_ising({"a": 1.0}, {}, num_reads=10)
    assert "num_reads" not in seen
    with pytest.raises(TypeError, match="unknown parameter"):
        DerandSampler(num_reads=3)
    assert set(sampler.parameters) >= {"seed", "threads", "time_limit", "initial_state"}
    assert sampler.properties["certified_lower_bound"] is True


def _frustrated(n: int, seed: int) -> dimod.BinaryQuadraticModel:
    rng = np.random.default_rng(seed)
    J = {(f"s{i}", f"s{j}"): float(rng.choice([-1.0, 1.0])) for i in range(n) for j in range(i + 1, n)
         if rng.random() < 0.5}
    return dimod.BQM({f"s{i}": 0.0 for i in range(n)}, J, 0.0, "SPIN")


def test_warm_start_forms_and_it_only_improves():
    """The optimum given as a dict, a SampleSet, (array, labels) or an array in bqm order is returned by a run
    that cannot find it alone (no SDP rounding worth the name: 1 hyperplane, no polish); a poor warm start
    never makes the answer worse than the run's own."""
    bqm = _frustrated(16, 3)
    exact = dimod.ExactSolver().sample(bqm)
    opt = exact.first.sample
    best = float(exact.first.energy)
    weak = {"seed": 0, "threads": 1, "rank": 1, "n_hyperplanes": 1, "local_search": "none"}
    alone = float(DerandSampler(**weak).sample(bqm).first.energy)
    assert alone > best  # the premise: this run does not find the optimum by itself
    labels = list(bqm.variables)
    forms = [opt, exact, (np.array([[opt[v] for v in labels]]), labels),
             np.array([opt[v] for v in labels]), (np.array([[opt[v] for v in labels[::-1]]]), labels[::-1])]
    for form in forms:
        ss = DerandSampler(**weak).sample(bqm, initial_state=form)
        assert float(ss.first.energy) == best
    worst = dict(zip(exact.variables, exact.record.sample[np.argmax(exact.record.energy)]))  # the highest energy
    ss = DerandSampler(**FAST).sample(bqm, initial_state=worst)
    assert float(ss.first.energy) <= float(DerandSampler(**FAST).sample(bqm).first.energy)
    with pytest.raises(ValueError, match="no value for variable"):
        DerandSampler(**weak).sample(bqm, initial_state={"s0": 1})
    with pytest.raises(ValueError, match="values for the model's 16"):
        DerandSampler(**weak).sample(bqm, initial_state=[1, -1])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        DerandSampler(**weak).sample(bqm, initial_state={v: 0 for v in labels})


def _write_qubo(path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    lines = [f"{i} {j} {int(rng.integers(-100, 101))}" for i in range(1, n + 1) for j in range(i, n + 1)
             if rng.random() < 0.3]
    path.write_text(f"# generated\n{n} {len(lines)}\n" + "\n".join(lines) + "\n")


OPTS = {"seed": 3, "threads": 1, "rounding": "derand-exact", "n_hyperplanes": 100, "local_search": "anneal",
        "local_search_sweeps": 200}
CLI_OPTS = ["--seed", "3", "--threads", "1", "--rounding", "derand-exact", "--hyperplanes", "100",
            "--local-search", "anneal", "--local-search-sweeps", "200", "--quiet"]


def test_three_entry_points_agree_on_a_qubo(tmp_path):
    """solve_qubo, `derand-fast qubo FILE --json` and DerandSampler (sample_qubo and sample) give the same
    sample, energy and certified bound on the same file."""
    f = tmp_path / "q.sparse"
    _write_qubo(f, 30, 1)
    Q = read_qubo(f)
    r = solve_qubo(Q, **OPTS)
    assert main(["qubo", str(f), *CLI_OPTS, "--json", str(tmp_path / "out.json")]) == 0
    d = json.loads((tmp_path / "out.json").read_text())
    ss_q = DerandSampler(**OPTS).sample_qubo(Q)
    ss_b = DerandSampler(**OPTS).sample(dimod.BQM.from_qubo(Q))
    assert {int(k): v for k, v in d["sample"].items()} == r.sample == ss_q.first.sample == ss_b.first.sample
    assert d["energy"] == r.energy == float(ss_q.first.energy) == float(ss_b.first.energy)
    assert d["lower_bound"] == r.lower_bound == ss_q.info["lower_bound"] == ss_b.info["lower_bound"]
    assert r.energy == dimod.qubo_energy(r.sample, Q)


def test_three_entry_points_agree_on_an_ising_model(tmp_path):
    rng = np.random.default_rng(2)
    n = 25
    lines = [f"{i} {j} {int(rng.integers(-5, 6))}" for i in range(1, n + 1) for j in range(i + 1, n + 1)
             if rng.random() < 0.25]
    lines += [f"{i} {int(rng.integers(-3, 4))}" for i in range(1, n + 1)]
    f = tmp_path / "m.txt"
    f.write_text("\n".join(lines) + "\n")
    h, J = read_ising(f)
    r = solve_ising(h, J, **OPTS)
    assert main(["ising", str(f), *CLI_OPTS, "--json", str(tmp_path / "out.json")]) == 0
    d = json.loads((tmp_path / "out.json").read_text())
    ss = DerandSampler(**OPTS).sample_ising(h, J)
    assert {int(k): v for k, v in d["sample"].items()} == r.sample == ss.first.sample
    assert d["energy"] == r.energy == float(ss.first.energy)
    assert d["lower_bound"] == r.lower_bound == ss.info["lower_bound"]
    assert r.energy == pytest.approx(dimod.ising_energy(r.sample, h, J), abs=1e-9)


def test_time_limit_reaches_the_pipeline():
    """Under a time limit the annealing polish runs until the clock stops it: status TIME_LIMIT, the bound still
    certified (<= the energy); a bad limit is refused."""
    rng = np.random.default_rng(0)
    n = 200
    quad = {(i, j): float(rng.integers(-100, 101)) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.1}
    bqm = dimod.BQM({i: float(rng.integers(-100, 101)) for i in range(n)}, quad, 0.0, "BINARY")
    ss = DerandSampler(seed=0, threads=1).sample(bqm, time_limit=0.5)
    assert ss.info["status"] == 1 and "time limit" in ss.info["message"]
    assert ss.info["lower_bound"] <= float(ss.first.energy)
    dimod.testing.assert_sampleset_energies(ss, bqm)
    with pytest.raises(ValueError, match="time_limit"):
        DerandSampler().sample(bqm, time_limit=-1.0)


def test_former_polish_parameters_are_accepted_with_a_warning():
    bqm = _random_bqm(4, "SPIN")
    new = DerandSampler(**FAST).sample(bqm)
    old_fast = {**{k: v for k, v in FAST.items() if k != "local_search_sweeps"}, "polish_sweeps": 200}
    with pytest.warns(DeprecationWarning, match="polish_sweeps is deprecated: use local_search_sweeps"):
        sampler = DerandSampler(**old_fast)
    assert sampler.properties["defaults"]["local_search_sweeps"] == 200
    assert "polish_sweeps" not in sampler.parameters and "local_search_sweeps" in sampler.parameters
    with pytest.warns(DeprecationWarning, match="polish_moves"):
        tabu = DerandSampler(seed=0, threads=1).sample(bqm, local_search="tabu", polish_moves=300)
    again = DerandSampler(seed=0, threads=1).sample(bqm, local_search="tabu", local_search_moves=300)
    assert tabu.first.energy == again.first.energy and tabu.first.sample == again.first.sample
    assert sampler.sample(bqm).first.sample == new.first.sample
