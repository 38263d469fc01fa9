"""Structured W in the engine's AffineSmoother: DiagonalOperator against the dense path with W = diag(w),
the identity, the optional directional protocol method, thread invariance and bad input."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest

from derand_fast.smoothing import AffineSmoother, DenseOperator, DiagonalOperator, NumbaObjective


@nb.njit(cache=True)
def g_sin(u, grad_out, data):  # pragma: no cover - compiled
    """g(u) = sum_i c_i sin(u_i) + (sum_i u_i)^2 / 2 (coupled coordinates, non-quadratic)."""
    (c,) = data
    t = 0.0
    for i in range(u.size):
        t += u[i]
    f = 0.5 * t * t
    for i in range(u.size):
        f += c[i] * np.sin(u[i])
        grad_out[i] = c[i] * np.cos(u[i]) + t
    return f


D_ = 6
C = np.linspace(0.5, 2.0, D_)
W_DIAG = np.array([0.3, 1.2, 0.0, 0.8, 2.0, 0.5])  # one zero scale: that coordinate never moves
B0 = np.linspace(-1.0, 1.0, D_)


def _smoother(W, **kw):
    return AffineSmoother(NumbaObjective(g_sin, D_, (C,)), W, seed=5, first_stream=17, **kw)


@pytest.mark.parametrize("kw", [dict(n_samples=8), dict(n_samples=8, antithetic=True), dict(n_samples=4, pool=12),
                                dict(n_samples=8, qmc=True), dict(n_samples=8, antithetic=True, pool=16, qmc=True)])
def test_diagonal_operator_matches_the_dense_path(kw):
    """Same normals, same g: the diagonal operator's estimate equals the dense W = diag(w) one, and its gradient
    in w is the diagonal of the dense gradient in W."""
    dense = _smoother(np.diag(W_DIAG), **kw)
    diag = _smoother(DiagonalOperator(W_DIAG), **kw)
    for step in (0, 3):
        a = dense.estimate(B0, 0.7, step, grad_scale=True, grad_W=True)
        b = diag.estimate(B0, 0.7, step, grad_scale=True, grad_W=True)
        assert b.value == pytest.approx(a.value, rel=1e-12)
        np.testing.assert_allclose(b.grad_b, a.grad_b, rtol=1e-12, atol=1e-14)
        assert b.grad_scale == pytest.approx(a.grad_scale, rel=1e-12, abs=1e-14)
        assert b.grad_W.shape == (D_,)
        np.testing.assert_allclose(b.grad_W, np.diag(a.grad_W), rtol=1e-12, atol=1e-14)
        assert b.stderr == pytest.approx(a.stderr, rel=1e-12)
        assert b.grad_W[2] != 0.0  # the gradient in a zero scale is not zero: it tells how to grow it


def test_identity_operator_is_the_identity():
    a = _smoother(np.eye(D_), n_samples=8).estimate(B0, 0.4, 2, grad_scale=True, grad_W=True)
    b = _smoother(DiagonalOperator(None, D_), n_samples=8).estimate(B0, 0.4, 2, grad_scale=True, grad_W=True)
    assert b.value == pytest.approx(a.value, rel=1e-12)
    assert b.grad_scale == pytest.approx(a.grad_scale, rel=1e-12)
    np.testing.assert_allclose(b.grad_W, np.diag(a.grad_W), rtol=1e-12)


def test_diagonal_gradient_matches_finite_differences():
    """With the samples fixed (same step) the estimate is a smooth function of w: independent check of grad_W."""
    h = 1e-6
    est = _smoother(DiagonalOperator(W_DIAG), n_samples=6).estimate(B0, 0.9, 1, grad_W=True)
    rng = np.random.default_rng(0)
    for _ in range(3):
        v = rng.standard_normal(D_)
        fp = _smoother(DiagonalOperator(W_DIAG + h * v), n_samples=6).estimate(B0, 0.9, 1).value
        fm = _smoother(DiagonalOperator(W_DIAG - h * v), n_samples=6).estimate(B0, 0.9, 1).value
        assert (fp - fm) / (2 * h) == pytest.approx(est.grad_W @ v, rel=1e-6, abs=1e-9)


class _Directional:
    """A NumbaObjective that also offers evaluate_directional (counting its calls)."""

    def __init__(self):
        self.inner = NumbaObjective(g_sin, D_, (C,))
        self.dim = D_
        self.calls = 0

    def evaluate(self, b, scale, P, values, grad_sum, grads):
        self.inner.evaluate(b, scale, P, values, grad_sum, grads)

    def evaluate_directional(self, b, scale, P, values, grad_sum):
        self.calls += 1
        G = np.empty(P.shape)
        self.inner.evaluate(b, scale, P, values, grad_sum, G)
        return float(np.sum(G * P))


@pytest.mark.parametrize("W", [np.diag(W_DIAG), DiagonalOperator(W_DIAG)], ids=["dense", "diagonal"])
@pytest.mark.parametrize("antithetic", [False, True])
def test_directional_method_is_used_for_the_scale_gradient(W, antithetic):
    obj = _Directional()
    sm = AffineSmoother(obj, W, n_samples=8, antithetic=antithetic, seed=5)
    ref = _smoother(W, n_samples=8, antithetic=antithetic)
    ref.first_stream = 0
    a = sm.estimate(B0, 0.6, 2, grad_scale=True)
    b = ref.estimate(B0, 0.6, 2, grad_scale=True)
    assert obj.calls == (2 if antithetic else 1)
    assert a.grad_scale == pytest.approx(b.grad_scale, rel=1e-12)
    assert a.value == b.value
    sm.estimate(B0, 0.6, 2, grad_scale=True, grad_W=True)  # grad_W needs the per-sample gradients
    assert obj.calls == (2 if antithetic else 1)


def test_diagonal_operator_thread_invariance(two_threads):
    runs = [_smoother(DiagonalOperator(W_DIAG), n_samples=9, pool=27, threads=t).estimate(
        B0, 0.5, 4, grad_scale=True, grad_W=True) for t in (1, two_threads)]
    assert runs[0].value == runs[1].value
    np.testing.assert_array_equal(runs[0].grad_b, runs[1].grad_b)
    np.testing.assert_array_equal(runs[0].grad_W, runs[1].grad_W)
    assert runs[0].grad_scale == runs[1].grad_scale


def test_set_W_and_W_property():
    sm = _smoother(np.diag(W_DIAG), n_samples=4, pool=8)
    assert isinstance(sm.W, np.ndarray) and isinstance(sm.operator, DenseOperator)
    before = sm.estimate(B0, 0.5, 0).value
    sm.set_W(DiagonalOperator(W_DIAG))
    assert isinstance(sm.W, DiagonalOperator)
    assert sm.estimate(B0, 0.5, 0).value == pytest.approx(before, rel=1e-12)  # same pool, re-projected
    with pytest.raises(ValueError, match="shape"):
        sm.set_W(DiagonalOperator(np.ones(D_ + 1)))


def test_operators_reject_bad_input():
    with pytest.raises(ValueError, match="1-D"):
        DiagonalOperator(np.ones((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        DiagonalOperator([1.0, np.nan])
    with pytest.raises(TypeError, match="real"):
        DiagonalOperator(np.array([True, False]))
    with pytest.raises(ValueError, match="needs dim"):
        DiagonalOperator(None)
    with pytest.raises(ValueError, match="length of w"):
        DiagonalOperator([1.0, 2.0], dim=3)
    with pytest.raises(ValueError, match="dim"):
        DiagonalOperator(None, 0)
    with pytest.raises(ValueError, match="one row per coordinate"):
        _smoother(DiagonalOperator(np.ones(D_ - 1)))
    with pytest.raises(ValueError, match="2-D"):
        _smoother(np.ones(D_))


class _Fused:
    """A NumbaObjective with its own operator and evaluate_points (projecting the points itself, counting calls)."""

    def __init__(self, W):
        self.inner = NumbaObjective(g_sin, D_, (C,))
        self.dim = D_
        self.operator = DenseOperator(W)
        self.calls = 0

    def evaluate(self, b, scale, P, values, grad_sum, grads):
        self.inner.evaluate(b, scale, P, values, grad_sum, grads)

    def evaluate_points(self, b, scale, Z, values, grad_sum, grad_W):
        self.calls += 1
        P = self.operator.matmat(Z)
        G = np.empty(P.shape)
        self.inner.evaluate(b, scale, P, values, grad_sum, G)
        return self.operator.grad(G, Z, 1.0, 1) if grad_W else None


@pytest.mark.parametrize("kw", [dict(n_samples=8), dict(n_samples=8, antithetic=True), dict(n_samples=4, pool=12),
                                dict(n_samples=8, antithetic=True, pool=16, qmc=True)])
def test_fused_method_is_used_for_the_objectives_own_operator(kw):
    """evaluate_points replaces projection + evaluate + operator.grad when W is the objective's operator and no
    scale gradient is asked for; the estimate is the projected path's (the W-gradient summed in another order)."""
    W = np.diag(W_DIAG) + 0.1
    obj = _Fused(W)
    sm = AffineSmoother(obj, obj.operator, seed=5, first_stream=17, **kw)
    ref = _smoother(W.copy(), **kw)
    for step in (0, 3):
        a = sm.estimate(B0, 0.7, step, grad_W=True)
        b = ref.estimate(B0, 0.7, step, grad_W=True)
        assert a.value == b.value and a.stderr == b.stderr
        np.testing.assert_array_equal(a.grad_b, b.grad_b)
        np.testing.assert_allclose(a.grad_W, b.grad_W, rtol=1e-12, atol=1e-14)
        assert math.isnan(a.grad_scale)
    signs = 2 if kw.get("antithetic") else 1
    assert obj.calls == 2 * signs and sm.projections == 0  # the driver projected nothing
    c = sm.estimate(B0, 0.7, 3, grad_scale=True, grad_W=True)  # the scale gradient needs the projections
    assert obj.calls == 2 * signs
    assert c.grad_scale == pytest.approx(ref.estimate(B0, 0.7, 3, grad_scale=True).grad_scale, rel=1e-12)
    other = AffineSmoother(obj, W, seed=5, first_stream=17, **kw)  # the same matrix, not the objective's operator
    other.estimate(B0, 0.7, 0, grad_W=True)
    assert obj.calls == 2 * signs


def test_set_w_with_the_current_operator_updated_in_place_drops_the_pool_projections():
    op = DenseOperator(np.diag(W_DIAG))
    sm = _smoother(op, n_samples=4, pool=12)
    before = sm.estimate(B0, 1.0, 1).value
    op.W *= 2.0  # updated in place, as the NN student's map is
    sm.set_W(op)
    after = sm.estimate(B0, 1.0, 1).value
    fresh = _smoother(DenseOperator(2.0 * np.diag(W_DIAG)), n_samples=4, pool=12).estimate(B0, 1.0, 1).value
    assert after == fresh and after != before
