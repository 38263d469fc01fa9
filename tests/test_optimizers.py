"""Optimizers: saddle escape, certificates against exact Hessians, Lemma 3.1, run control, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize

from derand_fast.optimizers import SGD, Adam, HessianDescent, OptimizeResult, PerturbedGD
from derand_fast.runcontrol import Status

SQRT2 = math.sqrt(2.0)


# f(x, y) = x^2 - y^2 + y^4/4: strict saddle at 0 (Hessian diag(2, -2)), minima (0, ±√2) with f = -1.
def saddle_fun(p):
    x, y = p
    return x * x - y * y + 0.25 * y**4, np.array([2.0 * x, -2.0 * y + y**3])


def saddle_hessp(p, v):
    return np.array([2.0 * v[0], (-2.0 + 3.0 * p[1] ** 2) * v[1]])


def assert_near_minimizer(res, rho, K):
    x, y = res.x
    assert abs(x) < 1e-3 and abs(abs(y) - SQRT2) < 1e-3
    cert = res.certificate
    assert cert is not None and cert.is_sosp is True
    assert cert.grad_norm <= rho and cert.lambda_min >= -math.sqrt(K * rho)
    # exact Hessian at the returned point: diag(2, -2 + 3 y^2)
    assert cert.lambda_min == pytest.approx(min(2.0, -2.0 + 3.0 * y * y), rel=1e-10)


def test_gradient_descent_stays_at_the_saddle():
    res = SGD(lr=0.1).minimize(saddle_fun, np.zeros(2), max_iter=200, hessp=saddle_hessp, rho=1e-3, K=12.0)
    np.testing.assert_array_equal(res.x, np.zeros(2))
    assert res.certificate.lambda_min == pytest.approx(-2.0)
    assert res.certificate.is_sosp is False
    assert res.status == "max_iter" and res.nit == 200 and res.nfev == 201


def test_perturbed_gd_escapes_the_saddle_and_is_certified():
    rho, K = 1e-3, 12.0
    opt = PerturbedGD(lr=0.1, radius=1e-2, threshold=rho / 10, interval=50, escape_decrease=1e-6, seed=7)
    res = opt.minimize(saddle_fun, np.zeros(2), max_iter=5000, hessp=saddle_hessp, rho=rho, K=K)
    assert res.status == Status.COMPLETED and res.success
    assert res.fun == pytest.approx(-1.0, abs=1e-6)
    assert_near_minimizer(res, rho, K)


def test_perturbed_gd_published_constants():
    # on |y| <= 2: gradient-Lipschitz L = 10, Hessian-Lipschitz K = 12 (|d^3 f/dy^3| = 6|y|)
    rho, K = 1e-2, 12.0
    opt = PerturbedGD.from_lipschitz(10.0, K, rho, dim=2, delta_f=1.0, seed=1)
    assert opt.lr == pytest.approx(0.1)
    chi = 3.0 * max(math.log(2 * 10.0 * 1.0 / (rho**2 * 0.1)), 4.0)
    assert opt.threshold == pytest.approx(rho / chi**2)
    assert opt.radius == pytest.approx(rho / chi**2 / 10.0)
    assert opt.interval == math.ceil(chi * 10.0 / math.sqrt(K * rho))
    assert opt.escape_decrease == pytest.approx(math.sqrt(rho**3 / K) / chi**3)
    res = opt.minimize(saddle_fun, np.zeros(2), max_iter=20_000, hessp=saddle_hessp)
    assert res.status == "converged"
    assert res.certificate.rho == rho and res.certificate.K == K
    assert_near_minimizer(res, rho, K)
    assert PerturbedGD.from_lipschitz(10.0, K, rho, dim=2, lr=0.05).lr == 0.05


def test_perturbed_gd_is_reproducible_and_seeded():
    kw = dict(lr=0.1, radius=1e-2, threshold=1e-4, interval=10)
    a = PerturbedGD(**kw, seed=3).minimize(saddle_fun, np.zeros(2), max_iter=30)
    b = PerturbedGD(**kw, seed=3).minimize(saddle_fun, np.zeros(2), max_iter=30)
    c = PerturbedGD(**kw, seed=4).minimize(saddle_fun, np.zeros(2), max_iter=30)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_perturbation_is_inside_the_ball_and_gaussian_option():
    def flat(p):
        return 0.0, np.zeros_like(p)

    for seed in range(20):
        res = PerturbedGD(lr=1.0, radius=0.3, threshold=1.0, interval=5, seed=seed).minimize(
            flat, np.zeros(50), max_iter=1)
        assert 0.0 < np.linalg.norm(res.x) <= 0.3
    res = PerturbedGD(lr=1.0, radius=0.3, threshold=1.0, interval=5, noise="gaussian").minimize(
        flat, np.zeros(20_000), max_iter=1)
    # sample std of 20 000 N(0, 0.3^2) draws: relative standard error 1/sqrt(2 * 20000) = 0.5 %
    assert np.std(res.x) == pytest.approx(0.3, rel=0.03)


def test_hessian_descent_escapes_the_saddle_and_is_certified():
    rho, K = 1e-4, 12.0
    res = HessianDescent(lr=0.1, rho=rho, K=K, h=0.1).minimize(
        saddle_fun, np.zeros(2), max_iter=1000, hessp=saddle_hessp)
    assert res.status == "converged" and res.success
    assert_near_minimizer(res, rho, K)
    # a saddle whose gradient is orthogonal to u1: the sign of the step comes from the seed
    ys = {float(np.sign(HessianDescent(lr=0.1, rho=rho, K=K, h=0.1, seed=s).minimize(
        saddle_fun, np.zeros(2), max_iter=1000, hessp=saddle_hessp).x[1])) for s in range(8)}
    assert ys == {-1.0, 1.0}


def test_hessian_descent_default_step_and_needs_hessp():
    opt = HessianDescent(lr=0.1, rho=1e-4, K=4.0)
    assert opt.h == pytest.approx(3.0 * 1e-2 / 4.0)
    with pytest.raises(ValueError, match="hessp"):
        opt.minimize(saddle_fun, np.zeros(2))
    with pytest.raises(ValueError, match="tol"):
        opt.minimize(saddle_fun, np.zeros(2), hessp=saddle_hessp, tol=1e-3)


# ----------------------------------------------------------------------------- certificates


def test_certificate_lambda_min_matches_exact_hessian_with_parameter_groups():
    # f = 1/2 θᵀAθ + cᵀθ, θ = (W.ravel(), b); exact Hessian A; 12 and 80 parameters (dense and Lanczos paths)
    for k, d in ((3, 3), (8, 9)):
        n = k * d + k
        rng = np.random.default_rng(n)
        q = rng.standard_normal((n, n))
        a = q @ np.diag(np.linspace(-1.0, 2.0, n)) @ q.T / n
        c = rng.standard_normal(n)

        def split(theta):
            return {"W": theta[: k * d].reshape(k, d), "b": theta[k * d:].copy()}

        def join(p):
            return np.concatenate([p["W"].ravel(), p["b"]])

        def fun(p):
            th = join(p)
            return 0.5 * th @ a @ th + c @ th, split(a @ th + c)

        res = SGD(lr=0.01).minimize(fun, {"W": np.ones((k, d)), "b": np.zeros(k)}, max_iter=3,
                                    hessp=lambda p, v: split(a @ join(v)))
        th = join(res.x)
        assert res.certificate.lambda_min == pytest.approx(np.linalg.eigvalsh(a)[0], abs=1e-8)
        assert res.certificate.grad_norm == pytest.approx(np.linalg.norm(a @ th + c))


# Lemma 3.1 on f(W, b) = E_x[g(Wx + b)] + lam ||W||_F^2, x ~ N(0, I_3), g(u) = (u^2 - 1)^2 (smooth, k = 1).
# With q = ||W||^2 and u = b + sqrt(q) z: G(b, q) = E[g(u)]; by Stein / the heat equation
# dG/dq = E[g'']/2, so grad_W = 2W(G_q + lam), grad_b = G_b, Hessian blocks
# H_WW = 2(G_q + lam) I + 4 G_qq W W^T, H_Wb = 2 W G_qb, H_bb = G_bb, all by Gauss-Hermite quadrature
# (exact for this polynomial g). The first-order point b = 0, q = (2 - lam)/6 is a saddle.
GH_Z, GH_W = np.polynomial.hermite_e.hermegauss(40)
GH_W = GH_W / GH_W.sum()
LAM = 0.1


def g_derivs(u):
    return (u * u - 1) ** 2, 4 * u**3 - 4 * u, 12 * u * u - 4, 24 * u, np.full_like(u, 24.0)


def lemma_parts(p):
    w, b = p["W"], float(p["b"][0])
    q = float(np.sum(w * w))
    g0, g1, g2, g3, g4 = (GH_W @ d for d in g_derivs(b + math.sqrt(q) * GH_Z))
    return w, q, g0, g1, g2, g3, g4


def lemma_fun(p):
    w, q, g0, g1, g2, _, _ = lemma_parts(p)
    return g0 + LAM * q, {"W": 2.0 * w * (0.5 * g2 + LAM), "b": np.array([g1])}


def lemma_hessp(p, v):
    w, q, _, _, g2, g3, g4 = lemma_parts(p)
    vw, vb = v["W"], float(v["b"][0])
    hw = 2.0 * (0.5 * g2 + LAM) * vw + 4.0 * (0.25 * g4) * np.sum(w * vw) * w + 2.0 * w * (0.5 * g3) * vb
    hb = np.sum(2.0 * w * (0.5 * g3) * vw) + g2 * vb
    return {"W": hw, "b": np.array([hb])}


def test_lemma_hessp_matches_finite_differences():
    p = {"W": np.array([[0.3, -0.2, 0.1]]), "b": np.array([0.4])}
    v = {"W": np.array([[0.5, 0.1, -0.3]]), "b": np.array([0.7])}
    h = 1e-6
    plus = lemma_fun({k: p[k] + h * v[k] for k in p})[1]
    minus = lemma_fun({k: p[k] - h * v[k] for k in p})[1]
    hv = lemma_hessp(p, v)
    for k in p:
        np.testing.assert_allclose(hv[k], (plus[k] - minus[k]) / (2 * h), rtol=1e-6, atol=1e-8)


def test_lemma31_bound_holds_at_every_certified_sosp():
    rho, K = 1e-4, 1.0  # 2 lam = 0.2 > sqrt(K rho) = 0.01
    bound = rho / (2 * LAM - math.sqrt(K * rho))
    # GD started on b = 0 stops at the saddle: small gradient, W far from 0, not certified
    w0 = np.array([[0.4, 0.1, -0.2]])
    gd = SGD(lr=0.05).minimize(lemma_fun, {"W": w0, "b": np.zeros(1)}, max_iter=3000, tol=rho,
                               hessp=lemma_hessp, rho=rho, K=K, lam=LAM)
    assert gd.status == "converged"
    assert np.sum(gd.x["W"] ** 2) == pytest.approx((2 - LAM) / 6, rel=1e-3)
    # there H_bb = E[g2] = 12 q - 4 = -2 lam and H_Wb = W E[g3] = 0: lambda_min = -2 lam
    assert gd.certificate.is_sosp is False
    assert gd.certificate.lambda_min == pytest.approx(-2 * LAM, rel=1e-2)
    assert np.linalg.norm(gd.x["W"]) > bound

    rng = np.random.default_rng(11)
    starts = [{"W": w0, "b": np.zeros(1)}] + [
        {"W": rng.normal(0.0, 0.5, (1, 3)), "b": rng.normal(0.0, 0.5, 1)} for _ in range(4)]
    n_certified = 0
    for i, x0 in enumerate(starts):
        for opt in (HessianDescent(lr=0.05, rho=rho, K=K, h=0.2, seed=i),
                    PerturbedGD(lr=0.05, radius=1e-2, threshold=rho / 4, interval=100, escape_decrease=1e-7,
                                K=K, rho=rho, seed=i)):
            res = opt.minimize(lemma_fun, x0, max_iter=20_000, hessp=lemma_hessp, lam=LAM)
            cert = res.certificate
            assert cert.frobenius_bound == pytest.approx(bound)
            if cert.is_sosp:
                n_certified += 1
                assert np.linalg.norm(res.x["W"]) <= cert.frobenius_bound
                assert abs(abs(res.x["b"][0]) - 1.0) < 1e-3
    assert n_certified == 2 * len(starts)


# ----------------------------------------------------------------------------- updates


def quad(p):
    return 0.5 * float(np.sum(p * p)), p.copy()


def test_sgd_per_group_learning_rates_and_momentum():
    def fun(p):
        return 0.5 * float(np.sum(p["W"] ** 2) + np.sum(p["b"] ** 2)), {"W": p["W"].copy(), "b": p["b"].copy()}

    x0 = {"W": np.full((2, 3), 2.0), "b": np.array([1.0, -1.0])}
    res = SGD(lr={"W": 0.1, "b": 0.25}).minimize(fun, x0, max_iter=4)
    np.testing.assert_allclose(res.x["W"], 2.0 * 0.9**4)
    np.testing.assert_allclose(res.x["b"], np.array([1.0, -1.0]) * 0.75**4)
    assert x0["W"][0, 0] == 2.0  # x0 is not modified
    # heavy ball on a constant gradient c: x_T = x0 - lr c sum_{t<T} (1 - beta^(t+1)) / (1 - beta)
    c = np.array([1.0, -2.0])
    res = SGD(lr=0.1, momentum=0.5).minimize(lambda p: (float(c @ p), c.copy()), np.zeros(2), max_iter=5)
    steps = sum((1 - 0.5 ** (t + 1)) / 0.5 for t in range(5))
    np.testing.assert_allclose(res.x, -0.1 * c * steps)


def test_adam_matches_the_textbook_update():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.0, 7)

    def fun(p):
        return 0.5 * float(a @ (p * p)), a * p

    x0 = rng.standard_normal(7)
    lr, (b1, b2), eps = 0.05, (0.8, 0.99), 1e-6
    x, m, v = x0.copy(), np.zeros(7), np.zeros(7)
    for t in range(1, 26):
        g = a * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    res = Adam(lr=lr, betas=(b1, b2), eps=eps).minimize(fun, x0, max_iter=25)
    np.testing.assert_allclose(res.x, x, rtol=1e-12, atol=1e-15)
    assert res.nit == 25 and res.nfev == 26 and res.status == "max_iter" and res.success
    assert res.fun == pytest.approx(fun(x)[0])


def test_adam_groups_and_lr_decay():
    def fun(p):
        return float(np.sum(p["M"]) + np.sum(p["s"])), {"M": np.ones(3), "s": np.ones(2)}

    # constant unit gradient: every Adam step moves each coordinate by lr/(1 + eps * sqrt(1-b2^t)) ~ lr
    res = Adam(lr={"M": 0.01, "s": 0.05}, lr_decay=(2, 0.5)).minimize(fun, {"M": np.zeros(3), "s": np.zeros(2)},
                                                                      max_iter=4)
    np.testing.assert_allclose(res.x["M"], -0.01 * (1 + 1 + 0.5 + 0.5), rtol=1e-6)
    np.testing.assert_allclose(res.x["s"], -0.05 * 3.0, rtol=1e-6)
    res = SGD(lr=1.0, lr_decay=lambda step: 1.0 / (step + 1)).minimize(
        lambda p: (float(p.sum()), np.ones_like(p)), np.zeros(2), max_iter=3)
    np.testing.assert_allclose(res.x, -(1 + 1 / 2 + 1 / 3))


# ----------------------------------------------------------------------------- run control


def test_tol_callback_time_limit_history_record_project():
    res = SGD(lr=0.5).minimize(quad, np.ones(4), max_iter=100, tol=1e-3)
    assert res.status == "converged" and res.success and np.linalg.norm(res.jac) <= 1e-3
    assert res.nit == 11  # |g_t| = |x_t| = 2 * 0.5^t <= 1e-3 first at t = 11

    seen = []

    def stop_at_3(intermediate_result):
        seen.append(intermediate_result.nit)
        if intermediate_result.nit == 3:
            raise StopIteration

    res = SGD(lr=0.1).minimize(quad, np.ones(4), max_iter=100, callback=stop_at_3)
    assert res.status == "callback" and res.success and seen == [0, 1, 2, 3] and res.nit == 3
    assert "callback" in res.message
    np.testing.assert_allclose(res.x, 0.9**3)

    res = SGD(lr=0.1).minimize(quad, np.ones(4), max_iter=10**6, time_limit=1e-9)
    assert res.status == "time_limit" and not res.success and res.nit == 0

    res = SGD(lr=0.1).minimize(quad, np.ones(4), max_iter=25, history_every=10,
                               record=lambda p: {"x_max": float(p.max())})
    np.testing.assert_array_equal(res.history["step"], [0, 10, 20, 25])
    np.testing.assert_allclose(res.history["fun"], 2.0 * 0.81 ** np.array([0, 10, 20, 25]))
    np.testing.assert_allclose(res.history["grad_norm"], 2.0 * 0.9 ** np.array([0, 10, 20, 25]))
    np.testing.assert_allclose(res.history["x_max"], 0.9 ** np.array([0, 10, 20, 25]))

    res = SGD(lr=0.1).minimize(lambda p: (-float(p.sum()), -np.ones_like(p)), np.zeros(3), max_iter=50,
                               project=lambda p: np.clip(p, 0.0, 1.5))
    np.testing.assert_allclose(res.x, 1.5)


def test_progress_speaks_the_package_protocol(capsys):
    calls = []
    SGD(lr=0.1).minimize(quad, np.ones(3), max_iter=5, progress=lambda *a: calls.append(a))
    assert calls[0][:2] == ("sgd", 0.0) and calls[-1][:2] == ("sgd", 1.0)  # first step, then throttled, last
    assert calls[-1][2].startswith("5/5 f=")
    Adam(lr=0.1).minimize(quad, np.ones(3), max_iter=3, progress=lambda *a: calls.append(a))
    assert calls[-1][0] == "adam"
    from derand_fast.progress import ProgressBar

    bar = ProgressBar(delay=0.0)
    SGD(lr=0.1).minimize(quad, np.ones(3), max_iter=5, progress=bar)
    bar.close()
    assert "sgd" in capsys.readouterr().err
    SGD(lr=0.1).minimize(quad, np.ones(3), max_iter=5000)  # stderr is captured (not a TTY): no bar
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress must be"):
        SGD(lr=0.1).minimize(quad, np.ones(3), max_iter=5, progress="yes")


def test_keyboard_interrupt_returns_the_best_point_so_far():
    # lr = 2.5 on 1/2 x^2 diverges: x_t = (-1.5)^t, so the best point is x0
    def stop(intermediate_result):
        if intermediate_result.nit == 5:
            raise KeyboardInterrupt

    res = SGD(lr=2.5).minimize(quad, np.ones(2), max_iter=100, callback=stop)
    assert res.status == Status.INTERRUPTED and not res.success
    assert "interrupted" in res.message
    np.testing.assert_array_equal(res.x, np.ones(2))
    assert res.fun == 1.0 and len(res.history["step"]) == 6

    calls = []

    def fun(p):  # converging run interrupted inside fun: the last finished evaluation is the best
        calls.append(1)
        if len(calls) == 8:
            raise KeyboardInterrupt
        return 0.5 * float(p["a"] @ p["a"] + p["b"] @ p["b"]), {"a": p["a"].copy(), "b": p["b"].copy()}

    res = Adam(lr=0.1).minimize(fun, {"a": np.ones(2), "b": np.ones(1)}, max_iter=100)
    assert res.status == "interrupted" and res.nfev == 7  # completed evaluations
    assert res.fun == res.history["fun"].min() == res.history["fun"][-1]
    assert 0.5 * float(res.x["a"] @ res.x["a"] + res.x["b"] @ res.x["b"]) == res.fun


def test_nonfinite_objective_stops_with_the_last_finite_iterate():
    def fun(p):
        v, g = quad(p)
        return (math.nan if p[0] < 0.5 else v), g

    res = SGD(lr=0.1).minimize(fun, np.ones(2), max_iter=100)
    assert res.status == "nonfinite" and not res.success
    np.testing.assert_allclose(res.x, 0.9**6)  # 0.9^7 < 0.5 <= 0.9^6
    assert math.isfinite(res.fun) and np.all(np.isfinite(res.x))

    def bad_grad(p):
        return 1.0, (np.full_like(p, np.inf) if p[0] < 0.5 else p.copy())

    res = PerturbedGD(lr=0.1, radius=0.1, threshold=1e-9, interval=5).minimize(bad_grad, np.ones(2), max_iter=100)
    assert res.status == "nonfinite"
    np.testing.assert_allclose(res.x, 0.9**6)
    # also on steps that are not recorded in the history
    res = SGD(lr=0.1).minimize(bad_grad, np.ones(2), max_iter=100, history_every=50)
    assert res.status == "nonfinite"
    np.testing.assert_allclose(res.x, 0.9**6)
    with pytest.raises(ValueError, match="starting point"):
        SGD(lr=0.1).minimize(lambda p: (math.nan, p), np.ones(2))
    with pytest.raises(ValueError, match="lr_decay"):
        SGD(lr=0.1, lr_decay=lambda step: -1.0).minimize(quad, np.ones(2))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (dict(x0=np.array([1.0, np.nan])), ValueError, "x0 contains NaN or inf"),
        (dict(x0=np.zeros(0)), ValueError, "x0 must not be empty"),
        (dict(x0=np.array(["a"])), TypeError, "x0 must be a real"),
        (dict(x0={}), ValueError, "empty dict"),
        (dict(x0={"a": np.array([np.inf])}), ValueError, r"x0\['a'\] contains NaN or inf"),
        (dict(max_iter=-1), ValueError, "max_iter"),
        (dict(tol=-1.0), ValueError, "tol"),
        (dict(time_limit=0.0), ValueError, "time_limit"),
        (dict(history_every=0), ValueError, "history_every"),
        (dict(callback=3), TypeError, "callback"),
        (dict(rho=0.0), ValueError, "rho"),
    ],
)
def test_minimize_bad_input(kwargs, exc, match):
    args = dict(x0=np.ones(2))
    args.update(kwargs)
    x0 = args.pop("x0")
    fun = quad if not isinstance(x0, dict) else (lambda p: (0.0, p))
    with pytest.raises(exc, match=match):
        SGD(lr=0.1).minimize(fun, x0, **args)


def test_wrong_objective_output():
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected \(2,\)"):
        SGD(lr=0.1).minimize(lambda p: (0.0, np.zeros(3)), np.ones(2))
    with pytest.raises(ValueError, match="grad must be a dict with keys"):
        SGD(lr=0.1).minimize(lambda p: (0.0, {"W": p["W"]}), {"W": np.ones(2), "b": np.ones(1)})
    with pytest.raises(ValueError, match=r"grad\['b'\] has shape"):
        SGD(lr=0.1).minimize(lambda p: (0.0, {"W": p["W"], "b": np.ones(2)}), {"W": np.ones(2), "b": np.ones(1)})
    with pytest.raises(TypeError, match="pair"):
        SGD(lr=0.1).minimize(lambda p: 1.0, np.ones(2))
    with pytest.raises(TypeError, match="real"):
        SGD(lr=0.1).minimize(lambda p: (0.0, p.astype(complex)), np.ones(2))
    with pytest.raises(ValueError, match=r"hessp\(params, v\) has shape"):
        SGD(lr=0.1).minimize(quad, np.ones(2), max_iter=1, hessp=lambda p, v: np.ones(3))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: SGD(lr=0.0), "lr must be a positive finite"),
        (lambda: SGD(lr=-1.0), "lr must be a positive finite"),
        (lambda: SGD(lr=float("nan")), "lr must be a positive finite"),
        (lambda: SGD(lr={"W": 0.1, "b": -0.1}), r"lr\['b'\]"),
        (lambda: SGD(lr=0.1, momentum=1.0), "momentum"),
        (lambda: SGD(lr=0.1, lr_decay=(0, 0.5)), "every"),
        (lambda: Adam(lr=0.1, betas=(0.9, 1.0)), "betas"),
        (lambda: Adam(lr=0.1, eps=0.0), "eps"),
        (lambda: PerturbedGD(lr=0.1, radius=0.0, threshold=1.0, interval=1), "radius"),
        (lambda: PerturbedGD(lr=0.1, radius=1.0, threshold=1.0, interval=0), "interval"),
        (lambda: PerturbedGD(lr=0.1, radius=1.0, threshold=1.0, interval=1, noise="uniform"), "noise"),
        (lambda: PerturbedGD.from_lipschitz(1.0, 1.0, -1.0, dim=2), "rho"),
        (lambda: HessianDescent(lr=0.1, rho=0.0, K=1.0), "rho"),
        (lambda: HessianDescent(lr=0.1, rho=1.0, K=-1.0), "K"),
        (lambda: SGD(lr=0.1, seed=-1), "seed"),
    ],
)
def test_constructor_bad_input(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_learning_rate_groups_must_match():
    with pytest.raises(ValueError, match="missing"):
        SGD(lr={"W": 0.1}).minimize(lambda p: (0.0, p), {"W": np.ones(2), "b": np.ones(1)})
    with pytest.raises(ValueError, match="dict parameters"):
        SGD(lr={"W": 0.1}).minimize(quad, np.ones(2))
    with pytest.raises(ValueError, match="tol=None"):
        PerturbedGD(lr=0.1, radius=1.0, threshold=1.0, interval=1).minimize(quad, np.ones(2), tol=1e-3)


# ----------------------------------------------------------------------------- SciPy's conventions


def test_scipy_style_args_and_callable_jac_give_the_same_run():
    # f(x) = 1/2 sum c_i x_i^2 with c passed through args; jac as a separate callable
    c = np.array([1.0, 2.0, 3.0])

    def f_and_g(x, scale):
        return 0.5 * float(np.sum(scale * x * x)), scale * x

    def f(x, scale):
        return 0.5 * float(np.sum(scale * x * x))

    def g(x, scale):
        return scale * x

    a = SGD(lr=0.1).minimize(f_and_g, np.ones(3), args=(c,), max_iter=30)
    b = SGD(lr=0.1).minimize(f, np.ones(3), (c,), jac=g, max_iter=30)
    # closed form of gradient descent on a diagonal quadratic: x_t = (1 - lr c)^t x_0
    np.testing.assert_allclose(a.x, (1.0 - 0.1 * c) ** 30, rtol=1e-12)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.fun == b.fun and a.nfev == b.nfev == 31
    # one extra argument need not be wrapped in a tuple (SciPy's rule)
    np.testing.assert_array_equal(SGD(lr=0.1).minimize(f, np.ones(3), c, jac=g, max_iter=30).x, a.x)


def test_hessp_receives_args():
    c = np.array([2.0, -2.0])

    def fg(x, scale):
        return 0.5 * float(np.sum(scale * x * x)), scale * x

    def hessp(x, v, scale):
        return scale * v

    res = SGD(lr=0.1).minimize(fg, np.zeros(2), args=(c,), max_iter=1, hessp=hessp, rho=1e-3, K=1.0)
    assert res.certificate.lambda_min == pytest.approx(-2.0)


def test_intermediate_result_is_an_optimize_result_of_the_current_iterate():
    got = []

    def cb(intermediate_result):
        r = intermediate_result
        assert isinstance(r, OptimizeResult)
        got.append((r.nit, r.nfev, r.x.copy(), r.fun, np.array(r.jac)))  # x lives in reused buffers: copied

    res = SGD(lr=0.1).minimize(quad, np.ones(2), max_iter=3, callback=cb)
    assert [g[0] for g in got] == [0, 1, 2, 3] and [g[1] for g in got] == [1, 2, 3, 4]
    for t, (_, _, x, f, jac) in enumerate(got):  # gradient descent on 1/2 |x|^2: x_t = 0.9^t x_0
        np.testing.assert_allclose(x, 0.9**t, rtol=1e-14)
        assert f == pytest.approx(0.81**t, rel=1e-14)
        np.testing.assert_array_equal(jac, x)
    assert res.status == "max_iter"


def test_the_same_callback_works_with_scipy_minimize():
    # one callback, written for scipy.optimize.minimize (>= 1.11), stops both runs after 3 evaluations
    def make():
        seen = []

        def cb(intermediate_result):
            seen.append(float(intermediate_result.fun))
            if len(seen) == 3:
                raise StopIteration

        return cb, seen

    x0 = np.array([-1.2, 1.0, 0.5])
    cb, seen = make()
    ours = Adam(lr=1e-3).minimize(scipy.optimize.rosen, x0, jac=scipy.optimize.rosen_der, max_iter=1000, callback=cb)
    cb2, seen2 = make()
    theirs = scipy.optimize.minimize(scipy.optimize.rosen, x0, jac=scipy.optimize.rosen_der, method="BFGS",
                                     callback=cb2)
    assert ours.status == "callback" and ours.success and len(seen) == 3 and ours.nit == 2
    assert seen[0] == scipy.optimize.rosen(x0)  # our first call sees x0
    assert len(seen2) == 3 and theirs.status == 99  # SciPy's status for a callback's StopIteration


def test_old_callback_form_warns_but_still_stops():
    with pytest.warns(DeprecationWarning, match="intermediate_result"):
        res = SGD(lr=0.1).minimize(quad, np.ones(4), max_iter=100, callback=lambda step, p, f, g: step == 3)
    assert res.status == "callback" and res.success and res.nit == 3
    np.testing.assert_allclose(res.x, 0.9**3)


def test_scipy_style_bad_input():
    with pytest.raises(ValueError, match="jac must be True"):
        SGD(lr=0.1).minimize(lambda p: 0.0, np.ones(2), jac=False)
    with pytest.raises(TypeError, match="value alone"):
        SGD(lr=0.1).minimize(quad, np.ones(2), jac=lambda p: p)
    with pytest.raises(TypeError, match="jac=callable"):
        SGD(lr=0.1).minimize(lambda p: 1.0, np.ones(2))


def test_status_is_the_one_status_table_and_the_former_strings_still_compare():
    res = SGD(lr=0.1).minimize(quad, np.ones(2), max_iter=500, tol=1e-6)
    assert res.status is Status.COMPLETED and res.status == 0 and res["status"] == 0 and res.success
    assert res.status == "converged" and str(res.status) == "completed" and res.message == "converged"
    capped = SGD(lr=0.1).minimize(quad, np.ones(2), max_iter=3, tol=1e-6)
    assert capped.status is Status.MAX_ITER and capped.status == "max_iter" and capped.status != "converged"
    assert not capped.success  # a stopping rule was set and not met
    with pytest.warns(DeprecationWarning, match="OptimizeStatus"):
        from derand_fast.optimizers import OptimizeStatus
    assert OptimizeStatus is Status and OptimizeStatus.CONVERGED is Status.COMPLETED


def test_callback_returning_true_or_taking_one_positional_argument_stops():
    res = SGD(lr=0.1).minimize(quad, np.ones(2), max_iter=100, callback=lambda intermediate_result:
                               intermediate_result.nit == 4)
    assert res.status is Status.CALLBACK and res.nit == 4 and res.success
    seen = []
    res = SGD(lr=0.1).minimize(quad, np.ones(2), max_iter=2, callback=lambda r: seen.append(r.nfev))
    assert res.status is Status.MAX_ITER and seen == [1, 2, 3]
    assert not {"status", "message", "success"} & set(OptimizeResult._intermediate(nit=1))  # the run goes on


def test_starting_points_are_copied_whatever_their_form():
    x0 = np.ones(3)
    res = SGD(lr=0.1).minimize(quad, x0, max_iter=5)
    assert np.array_equal(x0, np.ones(3)) and res.x is not x0  # a float64 C array is copied, not used
    res = SGD(lr=0.1).minimize(quad, np.array(2.0), max_iter=1)  # a 0-d parameter keeps its shape
    assert res.x.shape == () and res.x == pytest.approx(1.8)
    res = SGD(lr=0.1).minimize(quad, [True, False], max_iter=1)  # bool and lists: as floats
    np.testing.assert_allclose(res.x, [0.9, 0.0])
