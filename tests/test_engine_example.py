"""docs/engine.md's worked example (MAX-DICUT on the smoothing engine) runs, and is right.

Every ``python`` code block of the page is executed in order; the class it defines is then checked
against exhaustive search on small random digraphs, and its Monte Carlo objective against the closed
form of the expectation.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.special import ndtr

DOC = Path(__file__).resolve().parents[1] / "docs" / "engine.md"


@pytest.fixture(scope="module")
def example():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 2
    namespace: dict = {"__name__": "engine_example"}
    for code in blocks:
        exec(compile(code, str(DOC), "exec"), namespace)  # the page's usage block runs as written
    return namespace


def random_digraph(n: int, p: float, seed: int):
    rng = np.random.default_rng(seed)
    tail, head = np.nonzero(rng.random((n, n)) < p)
    keep = tail != head
    return tail[keep], head[keep], rng.uniform(0.5, 2.0, int(keep.sum()))


def exhaustive_dicut(n, tail, head, w) -> float:
    best = 0.0
    for bits in itertools.product((-1, 1), repeat=n):
        x = np.array(bits)
        best = max(best, float(w @ ((x[tail] > 0) & (x[head] < 0))))
    return best


def test_the_derandomized_dicut_against_exhaustive_search(example):
    MaxDicut = example["MaxDicut"]
    ratios = []
    for seed in range(5):
        n = 9
        tail, head, w = random_digraph(n, 0.35, seed)
        x, cut = MaxDicut(n, tail, head, w, seed=seed).solve(seed=seed)
        assert set(np.unique(x)) <= {-1, 1}
        assert cut == pytest.approx(float(w @ ((x[tail] > 0) & (x[head] < 0))))
        opt = exhaustive_dicut(n, tail, head, w)
        assert cut >= w.sum() / 4  # at least a uniformly random cut's expectation
        ratios.append(cut / opt)
    assert min(ratios) >= 0.9, ratios
    assert sum(r == 1.0 for r in ratios) >= 3, ratios  # observed: optimum on 3 of 5, worst ratio 0.964


def test_the_example_objective_matches_the_closed_form(example):
    # E[C(u_i) C(-u_j)] with independent u ~ N(mu, s^2) tends to Phi(mu_i/s) Phi(-mu_j/s) as the width q -> 0;
    # C - 1[x > 0] is odd and vanishes for |x| >= q, so the bias is O(q^2 / s^2) per arc (< 1e-4 here).
    MaxDicut = example["MaxDicut"]
    n = 7
    tail, head, w = random_digraph(n, 0.5, seed=11)
    prob = MaxDicut(n, tail, head, w, width=0.02, n_samples=4096, seed=3)
    prob.smoother.pool = None  # fresh samples at every step: independent estimates
    mu = np.random.default_rng(12).normal(0.0, 0.5, n)
    s = 0.8
    est = [prob.smoother.estimate(mu, s, step) for step in range(24)]
    vals = np.array([e.value for e in est])
    grads = np.array([e.grad_b for e in est])
    a = mu / s
    exact = float(w @ (ndtr(a[tail]) * ndtr(-a[head])))
    pdf = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi) / s
    exact_grad = (np.bincount(tail, w * pdf[tail] * ndtr(-a[head]), minlength=n)
                  - np.bincount(head, w * ndtr(a[tail]) * pdf[head], minlength=n))
    K = len(est)
    se_v = vals.std(ddof=1) / math.sqrt(K)
    se_g = grads.std(axis=0, ddof=1) / math.sqrt(K)
    assert abs(vals.mean() - exact) <= 4.5 * se_v + 1e-3
    assert np.all(np.abs(grads.mean(axis=0) - exact_grad) <= 4.5 * se_g + 5e-3)
    assert np.all(se_g < 0.1 * (1 + np.abs(exact_grad)))  # small errors: the comparison has power
