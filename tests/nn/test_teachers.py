"""Teachers: orthonormal subspaces, reproducible (seed, step, sample) draws, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from derand_fast.nn.teachers import MultiIndexTeacher, single_index_teacher


def test_single_index_teacher_matches_paper_formula():
    t = single_index_teacher(2, noise_std=0.0)
    np.testing.assert_allclose(t.U_, [[2**-0.5, 2**-0.5]], rtol=0, atol=1e-15)
    X, y = t.sample(100)
    np.testing.assert_allclose(y, np.tanh((X[:, 0] + X[:, 1]) / np.sqrt(2)), rtol=0, atol=1e-15)


def test_noise_and_input_statistics():
    t = single_index_teacher(3, noise_std=0.1, seed=4)
    X, y = t.sample(40_000)
    eps = y - t.labels(X)
    # sd of a sample sd from m normals is sd/sqrt(2m) = 0.1/283 = 3.5e-4: 4e-3 tolerance is > 10 sd
    assert np.std(eps) == pytest.approx(0.1, rel=0.04)
    # mean of 120 000 standard normals: sd 2.9e-3; covariance entries sd 1/sqrt(40 000) = 5e-3
    assert abs(X.mean()) < 0.015
    np.testing.assert_allclose(np.cov(X.T), np.eye(3), rtol=0, atol=0.03)


def test_draws_depend_only_on_seed_step_sample(two_threads):
    t = single_index_teacher(2, seed=7)
    X0, y0 = t.sample(64, step=3, threads=1)
    X1, y1 = t.sample(64, step=3, threads=two_threads)
    np.testing.assert_array_equal(X0, X1)
    np.testing.assert_array_equal(y0, y1)
    X2, _ = t.sample(64, step=4)
    assert not np.array_equal(X0, X2)
    X3, _ = single_index_teacher(2, seed=8).sample(64, step=3)
    assert not np.array_equal(X0, X3)


def test_multi_index_link_and_subspace():
    U = np.zeros((2, 5))
    U[0, 1] = U[1, 3] = 1.0
    t = MultiIndexTeacher(U, lambda z: z[:, 0] * z[:, 1], noise_std=0.0)
    X, y = t.sample(10)
    np.testing.assert_array_equal(y, X[:, 1] * X[:, 3])


def test_non_orthonormal_u_is_orthonormalized_with_warning():
    U = np.array([[2.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    with pytest.warns(UserWarning, match="orthonormal"):
        t = MultiIndexTeacher(U, lambda z: z[:, 0])
    np.testing.assert_allclose(t.U_ @ t.U_.T, np.eye(2), atol=1e-14)
    # same row space: projecting U onto span(U_) changes nothing
    np.testing.assert_allclose(U @ t.U_.T @ t.U_, U, atol=1e-14)
    assert (np.sum(t.U_ * U, axis=1) > 0).all()


def test_bad_input():
    link = lambda z: z[:, 0]  # noqa: E731
    with pytest.raises(ValueError, match="rank-deficient"):
        MultiIndexTeacher([[1.0, 2.0], [2.0, 4.0]], link)
    with pytest.raises(ValueError, match="k <= d"):
        MultiIndexTeacher(np.eye(3)[:, :2], link)
    with pytest.raises(ValueError, match="NaN"):
        MultiIndexTeacher([[np.nan, 1.0]], link)
    with pytest.raises(ValueError, match="shape"):
        MultiIndexTeacher(np.zeros((1, 0)), link)
    with pytest.raises(ValueError, match="noise_std"):
        MultiIndexTeacher([[1.0, 0.0]], link, noise_std=-1.0)
    with pytest.raises(TypeError, match="link"):
        MultiIndexTeacher([[1.0, 0.0]], "tanh")
    with pytest.raises(ValueError, match="d must"):
        single_index_teacher(0)
    with pytest.raises(ValueError, match="theta"):
        single_index_teacher(2, theta=[0.0, 0.0])
    t = single_index_teacher(2)
    with pytest.raises(ValueError, match="n must"):
        t.sample(0)
    with pytest.raises(ValueError, match="step must"):
        t.sample(5, step=-1)
    bad = MultiIndexTeacher([[1.0, 0.0]], lambda z: np.log(z[:, 0]))  # NaN for negative inputs
    with pytest.raises(ValueError, match="NaN or inf labels"), np.errstate(invalid="ignore"):
        bad.sample(50)
    short = MultiIndexTeacher([[1.0, 0.0]], lambda z: z[:3, 0])
    with pytest.raises(ValueError, match="link must return shape"):
        short.sample(10)
