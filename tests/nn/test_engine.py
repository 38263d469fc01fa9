"""The student's risk on the smoothing engine (StudentRisk + AffineSmoother): the teacher's data, the exact
kernels' numbers, per-sample gradients against finite differences, thread invariance; TrainResult's status."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast._result import StageResult
from derand_fast._threads import thread_scope
from derand_fast.nn import MultiIndexTeacher, TwoLayerStudent, init_student, single_index_teacher, train_student
from derand_fast.nn.experiment import additive_tanh_link, default_teacher
from derand_fast.nn.student import StudentRisk
from derand_fast.nn.teachers import DATA_STREAMS
from derand_fast.nn.train import StudentObjective, TrainResult
from derand_fast.runcontrol import Status
from derand_fast.smoothing import AffineOperator, AffineSmoother, BatchObjective, DenseOperator

H = 21


def _teachers():
    return [single_index_teacher(3, seed=4), default_teacher(6, 2, seed=1)]


def _params(d, seed=2):
    p = init_student(d, H, seed=seed)
    p["a"] = p["a"] * H  # an O(1) second layer: every term of the gradient matters
    return p


@pytest.mark.parametrize("online", [True, False])
@pytest.mark.parametrize("activation", ["relu_iota", "tanh", "gelu"])
@pytest.mark.parametrize("k", [1, 2])
def test_engine_risk_matches_exact_kernels_on_the_teachers_data(online, activation, k):
    teacher = _teachers()[k - 1]
    student = TwoLayerStudent(activation=activation, lam=0.1, trainable=("W", "b", "a"), threads=1)
    p = _params(teacher.d)
    obj = StudentObjective(student, teacher, {}, batch_size=150, online=online, h=H)
    for step in range(3):
        q = {key: v * (1.0 + 0.2 * step) for key, v in p.items()}  # new parameters at every call
        value, grad = obj(q)
        X, y = obj.batch(step)  # the teacher's sample of this step (online) or its fixed sample
        ref_value, ref_grad = student.loss_and_grad(q, X, y)
        # the same sums in another order (and labels through another BLAS call): rounding only
        assert value == pytest.approx(ref_value, rel=1e-12)
        for key in ("W", "b", "a"):
            np.testing.assert_allclose(grad[key], ref_grad[key], rtol=1e-11, atol=1e-13)


def test_engine_samples_are_the_teachers_streams():
    teacher = default_teacher(5, 2, seed=3)
    risk = StudentRisk(TwoLayerStudent(), teacher, 4)
    for pool, steps in ((None, (0, 1, 7)), (64, (0, 5))):
        sm = AffineSmoother(risk, risk.operator, n_samples=64, pool=pool, seed=teacher.seed,
                            first_stream=DATA_STREAMS.first)
        for step in steps:
            Z, P = sm.batch(step)
            X, y = teacher.sample(64, step=0 if pool else step)
            np.testing.assert_array_equal(Z[:, :-1], X)  # bit-identical inputs
            labels = additive_tanh_link(P[4:6].T) + P[-1]
            np.testing.assert_allclose(labels, y, rtol=0, atol=1e-14)  # projections by another BLAS call


def test_student_map_is_the_dense_map_with_w_as_its_parameters():
    teacher = default_teacher(4, 2, seed=2)
    p = _params(4)
    risk = StudentRisk(TwoLayerStudent(), teacher, H)
    risk.set_params(p["W"], p["b"], p["a"])
    assert isinstance(risk.operator, AffineOperator) and risk.operator.shape == (H + 3, 5)
    dense = DenseOperator(risk.W_aug)
    Z = np.random.default_rng(0).standard_normal((33, 5))
    np.testing.assert_allclose(risk.operator.matmat(Z), dense.matmat(Z), rtol=1e-15, atol=1e-15)
    P = risk.operator.matmat(Z, np.empty(Z.shape))  # a batch the driver does not keep: the map's work array
    assert P is risk.operator.matmat(Z, np.empty(Z.shape))
    np.testing.assert_allclose(P, dense.matmat(Z), rtol=1e-15, atol=1e-15)
    D = np.random.default_rng(1).standard_normal((H + 3, 33))
    np.testing.assert_allclose(risk.operator.grad(D, Z, 0.5, 33), dense.grad(D, Z, 0.5, 33)[:H, :4],
                               rtol=1e-12, atol=1e-15)
    # trained through the operator and through the dense map: the same estimate
    sm_op = AffineSmoother(risk, risk.operator, n_samples=33, seed=teacher.seed)
    sm_dense = AffineSmoother(risk, risk.W_aug, n_samples=33, seed=teacher.seed)
    e_op, e_dense = (sm.estimate(risk.b_aug, 1.0, 3, grad_W=True) for sm in (sm_op, sm_dense))
    assert e_op.value == pytest.approx(e_dense.value, rel=1e-14)
    np.testing.assert_allclose(e_op.grad_W, e_dense.grad_W[:H, :4], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", ["relu_iota", "gelu"])
def test_per_sample_gradients_match_finite_differences(activation):
    # every coordinate of u: student rows, the teacher's projections (link derivative) and the noise
    teacher = default_teacher(4, 2, seed=5)
    p = _params(4, seed=6)
    risk = StudentRisk(TwoLayerStudent(activation=activation, trainable=("W", "b", "a")), teacher, H)
    assert isinstance(risk, BatchObjective)
    risk.set_params(p["W"], p["b"], p["a"])
    sm = AffineSmoother(risk, risk.operator, n_samples=12, seed=teacher.seed)
    _, P = sm.batch(0)
    B = P.shape[1]
    b = risk.b_aug + 0.1 * np.arange(risk.dim) / risk.dim  # off the zero shift of the teacher's rows
    vals, gsum, G = np.empty(B), np.empty(risk.dim), np.empty((risk.dim, B))
    risk.evaluate(b, 0.7, P, vals, gsum, G)
    np.testing.assert_allclose(gsum, G.sum(axis=1), rtol=1e-13, atol=1e-13)
    eps = 1e-6
    vp, vm = np.empty(B), np.empty(B)
    for i in range(risk.dim):
        e = np.zeros(risk.dim)
        e[i] = eps
        risk.evaluate(b + e, 0.7, P, vp, np.empty(risk.dim), None)
        risk.evaluate(b - e, 0.7, P, vm, np.empty(risk.dim), None)
        # central differences on O(1) values: truncation ~1e-12, rounding ~1e-16 / 1e-6
        np.testing.assert_allclose(G[i], (vp - vm) / (2 * eps), rtol=0, atol=2e-8)
    # the side output in a: sum over samples of d g / d a_j = 2 r sigma(u_j)
    risk.evaluate(b, 0.7, P, vals, gsum, None)
    fd_a = np.empty(H)
    for j in range(H):
        for sign, out in ((1, vp), (-1, vm)):
            a = p["a"].copy()
            a[j] += sign * eps
            risk.set_params(p["W"], p["b"], a)
            risk.evaluate(b, 0.7, P, out, np.empty(risk.dim), None)
        fd_a[j] = (vp - vm).sum() / (2 * eps)
    risk.set_params(p["W"], p["b"], p["a"])
    risk.evaluate(b, 0.7, P, vals, gsum, None)
    np.testing.assert_allclose(risk.grad_a, fd_a, rtol=0, atol=1e-7)


def test_training_risk_gradient_matches_finite_differences():
    # the whole objective (engine + penalty) on the fixed sample: a deterministic function of the parameters
    teacher = default_teacher(3, 2, seed=7)
    student = TwoLayerStudent(activation="tanh", lam=0.05, trainable=("W", "b", "a"), threads=1)
    p = _params(3, seed=8)
    obj = StudentObjective(student, teacher, {}, batch_size=40, online=False, h=H)
    _, grad = obj(p)
    eps = 1e-6
    for key in ("W", "b", "a"):
        fd = np.zeros_like(p[key])
        for idx in np.ndindex(p[key].shape):
            q = {k: v.copy() for k, v in p.items()}
            q[key][idx] += eps
            fp = obj(q)[0]
            q[key][idx] -= 2 * eps
            fd[idx] = (fp - obj(q)[0]) / (2 * eps)
        np.testing.assert_allclose(grad[key], fd, rtol=0, atol=1e-8)


def test_evaluate_is_bit_identical_for_one_and_two_threads(two_threads):
    teacher = default_teacher(5, 2, seed=1)
    h = 100  # 13 chunks of 8 hidden units: two threads really split them
    p = init_student(5, h, seed=3)
    risk = StudentRisk(TwoLayerStudent(trainable=("W", "b", "a")), teacher, h)
    risk.set_params(p["W"], p["b"], p["a"])
    sm = AffineSmoother(risk, risk.operator, n_samples=300, seed=teacher.seed)
    _, P = sm.batch(2)
    out = []
    for threads in (1, two_threads):
        vals, gsum, G = np.empty(300), np.empty(risk.dim), np.empty((risk.dim, 300))
        with thread_scope(threads):
            risk.evaluate(risk.b_aug, 1.0, P, vals, gsum, G)
        assert risk.grad_a is not None
        out.append((vals, gsum, G, risk.grad_a.copy()))
    for x, y in zip(*out):
        np.testing.assert_array_equal(x, y)


def test_link_without_derivative_uses_the_exact_kernels():
    U = np.array([[0.6, 0.8]])
    with_grad = single_index_teacher(2, theta=U[0], seed=2)
    without = MultiIndexTeacher(U, lambda z: np.tanh(z[:, 0]), seed=2)
    with pytest.raises(ValueError, match="link_grad"):
        StudentRisk(TwoLayerStudent(), without, 4)
    runs = [train_student(t, h=12, max_iter=20, batch_size=64, history_every=5, certificate=False, threads=1)
            for t in (with_grad, without)]
    np.testing.assert_allclose(runs[0].params["W"], runs[1].params["W"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(runs[0].history["fun"], runs[1].history["fun"], rtol=1e-12)


def test_bad_link_output_is_reported():
    teacher = MultiIndexTeacher([[1.0, 0.0]], lambda z: z[:3, 0], link_grad=lambda z: np.ones_like(z))
    with pytest.raises(ValueError, match="link must return shape"):
        train_student(teacher, h=4, max_iter=2, batch_size=8, certificate=False)
    flat = MultiIndexTeacher([[1.0, 0.0]], lambda z: np.tanh(z[:, 0]), link_grad=lambda z: z[:, 0])
    with pytest.raises(ValueError, match="link_grad must return shape"):
        train_student(flat, h=4, max_iter=2, batch_size=8, certificate=False)
    with pytest.raises(TypeError, match="link_grad"):
        MultiIndexTeacher([[1.0, 0.0]], np.tanh, link_grad="tanh")


def test_train_result_is_a_stage_result():
    r = train_student(single_index_teacher(2), h=8, max_iter=6, batch_size=32, history_every=3, certificate=False,
                      threads=1)
    assert isinstance(r, TrainResult) and isinstance(r, StageResult)
    assert r.status is Status.MAX_ITER and r.status == "max_iter" and int(r.status) == 4 and r["status"] == 4
    assert r.success and r.message == r.optimize_result.message
    assert r.nit == 6 and r.nfev == r.optimize_result.nfev >= 6
    assert r.params is r.x and r["x"] is r.x  # former attribute names are aliases
    assert r.seconds == r.time > 0 and r.cpu_seconds >= 0
    assert "params" in dir(r)


def test_an_interrupted_run_has_its_status():  # a diverged one: test_train.test_diverging_run_stops_...
    teacher = single_index_teacher(2, seed=3)

    def stop(intermediate_result):
        if intermediate_result.nit == 2:
            raise KeyboardInterrupt

    r = train_student(teacher, h=8, max_iter=50, batch_size=16, callback=stop, threads=1)
    assert r.status is Status.INTERRUPTED and r.status == "interrupted" and not r.success


def _fused_case(h, d, n, activation, trainable, seed=4):
    teacher = default_teacher(d, 2, seed=seed)
    p = init_student(d, h, seed=seed + 1)
    p["a"] = p["a"] * h
    risk = StudentRisk(TwoLayerStudent(activation=activation, trainable=trainable), teacher, h)
    risk.set_params(p["W"], p["b"], p["a"])
    Z, P = AffineSmoother(risk, risk.operator, n_samples=n, seed=teacher.seed).batch(1)
    return risk, Z, P


@pytest.mark.parametrize("activation", ["relu_iota", "tanh", "gelu"])
@pytest.mark.parametrize("h,n", [(21, 70), (30, 2100)])  # one block per chunk; chunks of 132 = 128 + 4 samples
def test_fused_evaluation_matches_the_projected_one(activation, h, n):
    """evaluate_points (projection, evaluation and the W-gradient by blocks in cache) against evaluate on the
    materialised projections followed by the operator's gradient: the same sums in another order."""
    risk, Z, P = _fused_case(h, 4, n, activation, ("W", "b", "a"))
    b = risk.b_aug + 0.05 * np.arange(risk.dim) / risk.dim
    vals, gsum, G = np.empty(n), np.empty(risk.dim), np.empty((risk.dim, n))
    risk.evaluate(b, 0.8, P, vals, gsum, G)
    ga = risk.grad_a.copy()
    gW = risk.operator.grad(G, Z, 1.0, 1)
    fvals, fgsum = np.empty(n), np.empty(risk.dim)
    fgW = risk.evaluate_points(b, 0.8, Z, fvals, fgsum, True)
    np.testing.assert_allclose(fvals, vals, rtol=1e-14, atol=0)
    np.testing.assert_allclose(fgsum, gsum, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(fgW, gW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(risk.grad_a, ga, rtol=1e-12, atol=1e-12)
    assert risk.evaluate_points(b, 0.8, Z, fvals, fgsum, False) is None
    np.testing.assert_allclose(fgsum, gsum, rtol=1e-13, atol=1e-13)


def test_fused_gradient_matches_finite_differences():
    """grad_W of the fused path against central differences of the values in W (the points fixed)."""
    risk, Z, _ = _fused_case(9, 3, 300, "tanh", ("W", "b"))
    n = Z.shape[0]
    vals, gsum = np.empty(n), np.empty(risk.dim)
    G = risk.evaluate_points(risk.b_aug, 0.9, Z, vals, gsum, True)
    W, eps = risk.W_aug[:9, :3].copy(), 1e-6
    fd = np.empty_like(W)
    for idx in np.ndindex(W.shape):
        out = []
        for sign in (1, -1):
            Wp = W.copy()
            Wp[idx] += sign * eps
            risk.W_aug[:9, :3] = Wp
            risk.evaluate_points(risk.b_aug, 0.9, Z, vals, gsum, False)
            out.append(vals.sum())
        fd[idx] = (out[0] - out[1]) / (2 * eps)
    risk.W_aug[:9, :3] = W
    np.testing.assert_allclose(0.9 * G, fd, rtol=1e-7, atol=1e-6)  # d/dW of sum_c g(b + s W z_c): s sum_c D x^T


def test_fused_evaluation_is_bit_identical_for_one_and_two_threads(two_threads):
    risk, Z, _ = _fused_case(100, 5, 2100, "relu_iota", ("W", "b", "a"))
    out = []
    for threads in (1, two_threads):
        vals, gsum = np.empty(2100), np.empty(risk.dim)
        with thread_scope(threads):
            G = risk.evaluate_points(risk.b_aug, 1.0, Z, vals, gsum, True)
        out.append((vals, gsum, G, risk.grad_a.copy()))
    for x, y in zip(*out):
        np.testing.assert_array_equal(x, y)


def test_the_engine_uses_the_fused_path_for_its_own_operator_only():
    risk, _, _ = _fused_case(12, 3, 64, "gelu", ("W", "b"))
    calls = []
    fused = risk.evaluate_points
    risk.evaluate_points = lambda *args: calls.append(1) or fused(*args)  # type: ignore[method-assign]
    own = AffineSmoother(risk, risk.operator, n_samples=64, seed=3)
    dense = AffineSmoother(risk, risk.W_aug, n_samples=64, seed=3)  # the same map, but not the objective's
    a = own.estimate(risk.b_aug, 1.0, 2, grad_W=True)
    assert calls == [1]
    b = dense.estimate(risk.b_aug, 1.0, 2, grad_W=True)
    own.estimate(risk.b_aug, 1.0, 2, grad_scale=True)  # the scale gradient needs the projections
    assert calls == [1]
    assert a.value == pytest.approx(b.value, rel=1e-14)
    np.testing.assert_allclose(a.grad_b, b.grad_b, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(a.grad_W, b.grad_W[:12, :3], rtol=1e-12, atol=1e-15)
