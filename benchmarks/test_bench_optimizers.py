"""Per-iteration overhead of the optimizer loop against hand-written NumPy loops doing the same updates.

Cheap objective (d = 10 000 when timed): f(x) = 1/2 sum_i a_i x_i^2, grad = a * x. Each group times
the plain NumPy loop and :mod:`derand_fast.optimizers` with default settings (which also check every
gradient for NaN/inf through its norm, keep the best and previous iterates, and record the history);
read the ratios from the group's table (target: <= 1.2x the NumPy loop)::

    python -m pytest -p no:cacheprovider benchmarks/test_bench_optimizers.py --benchmark-enable \
        --benchmark-columns=min,median,mean --benchmark-json=bench_optimizers.json
"""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast.optimizers import SGD, Adam

IMPLS = ["numpy", "derand_fast"]
LR = 1e-3
BETAS = (0.9, 0.999)
EPS = 1e-8


def make_problem(d: int):
    a = np.linspace(0.5, 1.5, d)

    def fun(x):
        g = a * x
        return 0.5 * float(x @ g), g

    return fun, np.ones(d)


def numpy_sgd(fun, x0, n_steps):
    x = x0.copy()
    for _ in range(n_steps):
        _, g = fun(x)
        x -= LR * g
    return x


def numpy_adam(fun, x0, n_steps):
    b1, b2 = BETAS
    x = x0.copy()
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    for t in range(1, n_steps + 1):
        _, g = fun(x)
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        x -= (LR / (1 - b1**t)) * (m / (np.sqrt(v) * (1 / np.sqrt(1 - b2**t)) + EPS))
    return x


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("method", ["sgd", "adam"])
def test_bench_optimizer_loop(benchmark, bench_size, method, impl):
    d = bench_size(1_000, 10_000)
    n_steps = bench_size(20, 1_000)
    fun, x0 = make_problem(d)
    benchmark.group = f"{method} loop, d={d}, {n_steps} steps"
    hand = numpy_sgd if method == "sgd" else numpy_adam
    make_opt = (lambda: SGD(lr=LR)) if method == "sgd" else (lambda: Adam(lr=LR, betas=BETAS, eps=EPS))
    if impl == "numpy":
        def run():
            x = hand(fun, x0, n_steps)
            fun(x)  # the final evaluation the optimizer makes, for the same work
            return x
    else:
        def run():  # nfev = n_steps + 1: the optimizer also evaluates its final point
            return make_opt().minimize(fun, x0, max_iter=n_steps).x

    x = benchmark(run)
    np.testing.assert_allclose(x, hand(fun, x0, n_steps), rtol=1e-12, atol=0.0)
