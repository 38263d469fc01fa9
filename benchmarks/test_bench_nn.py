"""One training step of the structure-discovery student: package kernel vs plain NumPy, same run.

Full size (``--benchmark-enable``): h = 1000, d = 50, batch 4096; smoke
size otherwise. Both sides compute the MSE + λ‖W‖² risk and its gradient in W
and b (ReLU_2, a frozen) and take the gradient step with lr 1; NumPy uses BLAS
for the two matrix products (pinned to one thread like the package's kernels).
Compare the two groups' means as a ratio.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from derand_fast._threads import thread_scope
from derand_fast.nn.student import TwoLayerStudent, init_student
from derand_fast.nn.teachers import single_index_teacher
from derand_fast.nn.train import StudentObjective

LAM = 1e-5
IOTA = 2.0


def numpy_step(W, b, a, X, y, lr=1.0):
    """The same training step in plain NumPy (overflow-safe ReLU_iota, as the package)."""
    n = X.shape[0]
    U = IOTA * (X @ W.T + b)
    E = np.exp(-np.abs(U))
    S = (np.maximum(U, 0.0) + np.log1p(E)) / IOTA
    sig = np.where(U >= 0.0, 1.0, E) / (1.0 + E)
    res = S @ a - y
    loss = res @ res / n + LAM * np.sum(W * W)
    D = ((2.0 / n) * res)[:, None] * sig * a
    return loss, W - lr * (D.T @ X + 2.0 * LAM * W), b - lr * D.sum(axis=0)


def package_step(student, params, X, y, lr=1.0):
    loss, g = student.loss_and_grad(params, X, y)
    return loss, params["W"] - lr * g["W"], params["b"] - lr * g["b"]


@pytest.fixture(scope="module")
def setup(bench_size):
    h, d, n = bench_size((64, 5, 256), (1000, 50, 4096))
    params = init_student(d, h, seed=0)
    X, y = single_index_teacher(d, seed=1).sample(n)
    return params, X, y


@pytest.mark.benchmark(group="nn-step")
def test_bench_step_numpy(benchmark, setup):
    params, X, y = setup
    with thread_scope(1):
        loss, W, b = benchmark(numpy_step, params["W"], params["b"], params["a"], X, y)
    ref_loss, ref_W, ref_b = package_step(TwoLayerStudent(lam=LAM, threads=1), params, X, y)
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(W, ref_W, rtol=1e-10, atol=1e-15)


@pytest.mark.benchmark(group="nn-step")
@pytest.mark.parametrize("threads", [1, None], ids=["1thread", "allthreads"])
def test_bench_step_package(benchmark, setup, threads):
    params, X, y = setup
    student = TwoLayerStudent(lam=LAM, threads=threads)
    package_step(student, params, X, y)  # JIT warm-up outside the timing
    loss, W, b = benchmark(package_step, student, params, X, y)
    assert np.isfinite(loss) and W.shape == params["W"].shape


@pytest.mark.benchmark(group="nn-engine-step")
@pytest.mark.parametrize("size,threads", [("paper", 1), ("large", 1), ("large", 2)])
def test_bench_engine_step(benchmark, bench_size, best_time, record_ratio, size, threads):
    """One online training evaluation: the engine's path (StudentObjective: the teacher's streams drawn by
    AffineSmoother, projected and evaluated by StudentRisk.evaluate_points) against the batch kernels on the same data
    (teacher.sample + TwoLayerStudent.loss_and_grad), with the same threads, timed in the same process."""
    h, d, n = bench_size((64, 5, 256), (1000, 2, 256) if size == "paper" else (1000, 50, 4096))
    teacher = single_index_teacher(d, seed=1)
    p = init_student(d, h, seed=0)
    student = TwoLayerStudent(lam=LAM, threads=threads)
    objective = StudentObjective(student, teacher, {"a": p["a"]}, batch_size=n, online=True, threads=threads)
    params = {"W": p["W"], "b": p["b"]}
    steps = iter(range(1 << 30))

    def engine():
        objective.calls = next(steps) % 64  # the first 64 steps' data, over and over
        return objective(params)

    def batch_kernels():
        X, y = teacher.sample(n, step=next(steps) % 64, threads=threads)
        return student.loss_and_grad(p, X, y)

    with objective.scope():
        value, grad = engine()
        ref_value, ref_grad = student.loss_and_grad(p, *objective.batch(objective.calls - 1))
        assert value == pytest.approx(ref_value, rel=1e-12)
        np.testing.assert_allclose(grad["W"], ref_grad["W"], rtol=1e-10, atol=1e-15)
        # interleaved rounds, the best of each side: a burst of load on the other core hits both alike
        rounds = 1 if benchmark.disabled else (60 if size == "paper" else 15)
        t_engine = t_batch = math.inf
        for _ in range(rounds):
            t_engine = min(t_engine, best_time(engine, 1))
            t_batch = min(t_batch, best_time(batch_kernels, 1))
        benchmark(engine)
    record_ratio(f"NN step h={h} d={d} n={n}: engine path / batch kernels ({threads} thread(s))", t_engine / t_batch,
                 benchmark)
