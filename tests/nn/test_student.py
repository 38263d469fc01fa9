"""Student network kernels: gradients and Hessian-vector products against finite differences,
determinism across thread counts, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast._threads import SERIAL_BELOW
from derand_fast.indicators import relu_iota
from derand_fast.nn.kernels import relu_iota_rows
from derand_fast.nn.student import ACTIVATIONS, TwoLayerStudent, init_student
from derand_fast.nn.teachers import single_index_teacher

D, H, N = 3, 7, 150


@pytest.fixture(scope="module")
def problem():
    p = init_student(D, H, seed=3)
    p["a"] = p["a"] * H  # O(1) second layer: every term of the gradient matters
    X, y = single_index_teacher(D, seed=2).sample(N)
    return p, X, y


def _central_difference(fun, p, key, eps=1e-6):
    fd = np.zeros_like(p[key])
    for idx in np.ndindex(p[key].shape):
        q = {k: v.copy() for k, v in p.items()}
        q[key][idx] += eps
        fp = fun(q)
        q[key][idx] -= 2 * eps
        fd[idx] = (fp - fun(q)) / (2 * eps)
    return fd


@pytest.mark.parametrize("iota", [0.5, 2.0, 10.0])
def test_vectorized_relu_iota_matches_reference(iota):
    z = np.concatenate([np.linspace(-40, 40, 4001), [0.0, 1e-300, -1e-300, 1e-9, -1e-9, 300.0, -300.0, 1e4, -1e4]])
    Z = z[None, :]
    F, F1, F2 = np.empty_like(Z), np.empty_like(Z), np.empty_like(Z)
    relu_iota_rows(Z, 1, iota, F, F1, F2, np.empty(z.size), True)
    ref = relu_iota(z, iota)
    inside = np.abs(iota * z) <= 700.0
    for got, want in zip((F[0], F1[0], F2[0]), ref):
        # a few ulps of relative error where exp(-|iota z|) is a normal number ...
        np.testing.assert_allclose(got[inside], want[inside], rtol=1e-14, atol=0)
        # ... and below 1e-300 absolute where the kernel clamps |iota z| at 700
        np.testing.assert_allclose(got[~inside], want[~inside], rtol=1e-15, atol=1e-300)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_finite_differences(problem, activation):
    p, X, y = problem
    s = TwoLayerStudent(activation=activation, lam=0.1, trainable=("W", "b", "a"), threads=1)
    _, g = s.loss_and_grad(p, X, y)
    for key in ("W", "b", "a"):
        fd = _central_difference(lambda q: s.loss_and_grad(q, X, y)[0], p, key)
        # central differences with eps = 1e-6 on an O(1) smooth loss: truncation ~1e-12,
        # rounding ~1e-16 / 1e-6 = 1e-10
        np.testing.assert_allclose(g[key], fd, rtol=0, atol=1e-8)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_hessp_matches_gradient_differences(problem, activation):
    p, X, y = problem
    s = TwoLayerStudent(activation=activation, lam=0.1, trainable=("W", "b", "a"), threads=1)
    rng = np.random.default_rng(0)
    v = {k: rng.normal(size=p[k].shape) for k in ("W", "b", "a")}
    hv = s.hessp(p, X, y, v)
    e = 1e-5
    gp = s.loss_and_grad({k: p[k] + e * v[k] for k in p}, X, y)[1]
    gm = s.loss_and_grad({k: p[k] - e * v[k] for k in p}, X, y)[1]
    for key in hv:
        np.testing.assert_allclose(hv[key], (gp[key] - gm[key]) / (2 * e), rtol=0, atol=1e-7)


def test_hessp_is_symmetric(problem):
    p, X, y = problem
    s = TwoLayerStudent(trainable=("W", "b"), lam=0.0, threads=1)
    rng = np.random.default_rng(1)
    u = {"W": rng.normal(size=(H, D)), "b": rng.normal(size=H)}
    v = {"W": rng.normal(size=(H, D)), "b": rng.normal(size=H)}
    hu, hv = s.hessp(p, X, y, u), s.hessp(p, X, y, v)
    lhs = sum(float(np.vdot(v[k], hu[k])) for k in u)
    rhs = sum(float(np.vdot(u[k], hv[k])) for k in u)
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-14)


def test_trainable_groups_and_penalty(problem):
    p, X, y = problem
    full = TwoLayerStudent(lam=0.3, trainable=("W", "b", "a"), threads=1)
    only_w = TwoLayerStudent(lam=0.3, trainable=("W",), threads=1)
    v_full, g_full = full.loss_and_grad(p, X, y)
    v_w, g_w = only_w.loss_and_grad(p, X, y)
    assert set(g_w) == {"W"} and set(g_full) == {"W", "b", "a"}
    assert v_w == v_full
    np.testing.assert_array_equal(g_w["W"], g_full["W"])
    resid = only_w.predict(p, X) - y
    expected = float(np.mean(resid**2)) + 0.3 * float(np.sum(p["W"] ** 2))
    assert v_w == pytest.approx(expected, rel=1e-12)


def test_bit_identical_for_one_and_two_threads(two_threads, monkeypatch):
    # n = 1000 spans 16 chunks, so two threads really split the batch; explicit threads are honoured,
    # and threads=None chooses all of them once the size rule's threshold is lifted
    monkeypatch.setitem(SERIAL_BELOW, "nn", 0)
    p = init_student(4, 33, seed=5)
    X, y = single_index_teacher(4, seed=6).sample(1000)
    v = {"W": np.ones((33, 4)), "b": np.linspace(-1, 1, 33)}
    out = []
    for threads in (1, two_threads, None):
        s = TwoLayerStudent(threads=threads)
        val, g = s.loss_and_grad(p, X, y)
        out.append((val, g, s.hessp(p, X, y, v), s.predict(p, X)))
    (v1, g1, h1, y1) = out[0]
    for v2, g2, h2, y2 in out[1:]:
        assert v1 == v2
        for k in g1:
            np.testing.assert_array_equal(g1[k], g2[k])
            np.testing.assert_array_equal(h1[k], h2[k])
        np.testing.assert_array_equal(y1, y2)


def test_init_student_scales():
    p = init_student(50, 2000, seed=0)
    assert p["W"].shape == (2000, 50) and p["b"].shape == (2000,) and p["a"].shape == (2000,)
    # variance estimates from 100 000 (W) and 2 000 (b, a) normals: relative sd sqrt(2/m)
    # = 0.45 % and 3.2 %; tolerances are ~4 sd
    assert np.var(p["W"]) == pytest.approx(1 / 50, rel=0.02)
    assert np.var(p["b"]) * 2000**2 == pytest.approx(1.0, rel=0.13)
    assert np.var(p["a"]) * 2000**2 == pytest.approx(1.0, rel=0.13)
    np.testing.assert_array_equal(init_student(50, 2000, seed=0)["W"], p["W"])
    assert not np.array_equal(init_student(50, 2000, seed=1)["W"], p["W"])


def test_bad_input(problem):
    p, X, y = problem
    s = TwoLayerStudent()
    with pytest.raises(ValueError, match="activation"):
        TwoLayerStudent(activation="relu")
    with pytest.raises(ValueError, match="iota"):
        TwoLayerStudent(iota=0.0)
    with pytest.raises(ValueError, match="lam"):
        TwoLayerStudent(lam=float("nan"))
    with pytest.raises(ValueError, match="trainable"):
        TwoLayerStudent(trainable=("W", "c"))
    with pytest.raises(ValueError, match="trainable"):
        TwoLayerStudent(trainable=())
    with pytest.raises(ValueError, match="X"):
        s.loss_and_grad(p, X[:, :2], y)
    with pytest.raises(ValueError, match="y"):
        s.loss_and_grad(p, X, y[:-1])
    with pytest.raises(ValueError, match="X must not be empty"):
        s.loss_and_grad(p, X[:0], y[:0])
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        s.loss_and_grad(p, Xn, y)
    with pytest.raises(ValueError, match=r"params\['b'\]"):
        s.loss_and_grad({**p, "b": p["b"][:-1]}, X, y)
    with pytest.raises(ValueError, match="missing"):
        s.loss_and_grad({"W": p["W"]}, X, y)
    with pytest.raises(TypeError, match="params"):
        s.loss_and_grad([p["W"]], X, y)
    with pytest.raises(ValueError, match="v must"):
        s.hessp(p, X, y, {"W": p["W"]})
    with pytest.raises(ValueError, match="d must"):
        init_student(0, 5)
    with pytest.raises(ValueError, match="h must"):
        init_student(2, -1)
    with pytest.raises(TypeError, match="h must"):
        init_student(2, 5.0)
