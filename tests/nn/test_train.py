"""Training: structure discovery on a small instance, the Lemma 3.1 bound from the certificate,
determinism across thread counts, frozen layers, divergence and interruption."""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast._threads import SERIAL_BELOW
from derand_fast.nn.student import TwoLayerStudent, init_student
from derand_fast.nn.teachers import single_index_teacher
from derand_fast.nn.train import paper_optimizer, train_student
from derand_fast.optimizers import PerturbedGD
from derand_fast.runcontrol import Status


@pytest.fixture(scope="module")
def small_run():
    # d = 5, k = 1, h = 64; online data (fresh 256 samples per step), PGD as in App. E but
    # with lambda = 2e-3 so that the Lemma 3.1 bound is informative at this size.
    teacher = single_index_teacher(5, seed=1)
    student = TwoLayerStudent(lam=2e-3, threads=1)
    return train_student(teacher, h=64, student=student, max_iter=1000, batch_size=256, history_every=100,
                         cert_samples=4096, threads=1)


def test_perp_component_collapses_below_lemma_bound(small_run):
    r = small_run
    assert r.status == "max_iter" and r.success
    w0 = r.initial_metrics["perp_norm"]
    w1 = r.metrics["perp_norm"]
    assert w1 < 0.05 * w0  # "far below its initial value"
    assert r.history["perp_norm"][0] == pytest.approx(w0)
    # the ratio decreases along the run
    assert np.all(np.diff(r.history["ratio"]) < 0)
    cert = r.certificate
    assert cert is not None and math.isfinite(cert.lambda_min)
    assert 2 * 2e-3 + cert.lambda_min > 0  # the bound is not vacuous
    assert w1 <= r.perp_bound
    assert r.perp_bound < w0


def test_frozen_second_layer_is_untouched(small_run):
    np.testing.assert_array_equal(small_run.params["a"], init_student(5, 64, seed=0)["a"])
    assert not np.array_equal(small_run.params["b"], init_student(5, 64, seed=0)["b"])


@pytest.mark.parametrize("online", [True, False])
def test_training_is_bit_identical_for_one_and_two_threads(two_threads, monkeypatch, online):
    monkeypatch.setitem(SERIAL_BELOW, "nn", 0)  # threads=None: all threads even at this size
    teacher = single_index_teacher(3, seed=2)
    runs = [train_student(teacher, h=40, student=TwoLayerStudent(threads=t, trainable=("W", "b", "a")), lr=0.1,
                          max_iter=30, batch_size=300, online=online, history_every=10, certificate=False,
                          threads=t) for t in (1, two_threads, None)]
    assert runs[0].status == "max_iter" and len(runs[0].history["fun"]) == 4  # a whole run, not a diverged one
    for r in runs[1:]:
        for k in ("W", "b", "a"):
            np.testing.assert_array_equal(runs[0].params[k], r.params[k])
        np.testing.assert_array_equal(runs[0].history["fun"], r.history["fun"])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_other_optimizers_and_fixed_sample(optimizer):
    teacher = single_index_teacher(2, seed=3)
    r = train_student(teacher, h=16, optimizer=optimizer, lr=0.05 if optimizer == "adam" else 1.0, max_iter=60,
                      batch_size=128, online=False, history_every=20, certificate=False, threads=1)
    assert r.status == "max_iter"
    assert r.history["fun"][-1] < r.history["fun"][0]


def test_diverging_run_stops_with_last_finite_iterate():
    teacher = single_index_teacher(2, seed=3)
    init = init_student(2, 8, seed=0)
    init["a"] = np.full(8, 1.0)
    student = TwoLayerStudent(activation="gelu", trainable=("W", "b", "a"), threads=1)
    with np.errstate(over="ignore", invalid="ignore"):
        r = train_student(teacher, h=8, student=student, lr=1e3, max_iter=200, batch_size=64, init=init,
                          certificate=False, threads=1)
    assert r.status is Status.NONFINITE and r.status == "nonfinite" and int(r.status) == 6 and not r.success
    assert r.nit < 200 and math.isfinite(float(r.history["fun"][0]))
    assert all(np.isfinite(v).all() for v in r.params.values())


def test_interrupt_returns_best_point():
    teacher = single_index_teacher(2, seed=3)

    def stop(intermediate_result):
        if intermediate_result.nit == 5:
            raise KeyboardInterrupt

    r = train_student(teacher, h=8, max_iter=100, batch_size=32, callback=stop, threads=1)
    assert r.status == "interrupted" and r.certificate is None
    assert all(np.isfinite(v).all() for v in r.params.values())


def test_bad_input():
    teacher = single_index_teacher(2)
    with pytest.raises(ValueError, match="h must"):
        train_student(teacher, h=0)
    with pytest.raises(ValueError, match="optimizer"):
        train_student(teacher, h=4, optimizer="lbfgs")
    with pytest.raises(TypeError, match="teacher"):
        train_student("tanh", h=4)
    with pytest.raises(ValueError, match="columns"):
        train_student(teacher, h=4, init=init_student(3, 4))


def test_paper_optimizer_settings():
    opt = paper_optimizer()
    assert isinstance(opt, PerturbedGD)
    assert (opt.radius, opt.threshold, opt.noise) == (0.005, 1e-6, "gaussian")
    assert opt.lr == {"W": 1.0, "b": 1.0}


def test_deprecated_budget_names_still_work():
    teacher = single_index_teacher(2, seed=0)
    new = train_student(teacher, h=8, max_iter=5, batch_size=16, certificate=False, threads=1)
    with pytest.warns(DeprecationWarning, match="steps"):
        old = train_student(teacher, h=8, steps=5, batch_size=16, certificate=False, threads=1)
    assert old.nit == new.nit == 5 and np.array_equal(old.params["W"], new.params["W"])
