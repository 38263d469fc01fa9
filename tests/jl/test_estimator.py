"""JLEmbedding: scikit-learn conformance, clone/pickle/Pipeline, 'auto' by brute force, dtypes, sparse."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from derand_fast.jl.estimator import JLEmbedding
from derand_fast.jl.objectives import DegenerateConstraintWarning, make_problem, max_distortion


def _data(n=24, d=12, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d))


@parametrize_with_checks(
    [JLEmbedding(n_components=2, method="direct", max_iter=5, random_state=0),
     JLEmbedding(n_components=2, method="variational", max_iter=3, n_samples=2, random_state=0)],
)
@pytest.mark.filterwarnings("ignore::derand_fast.jl.objectives.DegenerateConstraintWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_clone_pickle_pipeline():
    X = _data()
    est = JLEmbedding(n_components=4, method="direct", max_iter=20, random_state=3)
    Z = est.fit_transform(X)
    again = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(again.transform(X), Z)
    c = clone(est)
    assert c.get_params() == est.get_params() and not hasattr(c, "components_")
    np.testing.assert_array_equal(c.fit(X).components_, est.components_)  # same random_state, same fit
    pipe = Pipeline([("scale", StandardScaler()), ("jl", JLEmbedding(n_components=4, method="direct",
                                                                       max_iter=20, random_state=3))])
    Zp = pipe.fit_transform(X)
    assert Zp.shape == (24, 4)
    np.testing.assert_allclose(Zp, pipe.named_steps["jl"].transform(StandardScaler().fit_transform(X)))
    assert est.max_distortion_ >= est.median_distortion_ >= 0


def test_auto_picks_smallest_k_by_brute_force():
    X = _data(16, 10, seed=1)
    eps = 0.3
    est = JLEmbedding(n_components="auto", eps=eps, method="direct", max_iter=30, random_state=0).fit(X)
    k = est.n_components_
    assert est.max_distortion_ <= eps
    assert max_distortion(est.components_, make_problem(X)) <= eps
    # k - 1 fails: brute force, refitting k - 1 directly with the same seed
    assert k >= 2
    worse = JLEmbedding(n_components=k - 1, eps=eps, method="direct", max_iter=30, random_state=0).fit(X)
    assert worse.max_distortion_ > eps


def test_float32_and_sparse_transform():
    X = _data()
    est = JLEmbedding(n_components=3, method="direct", max_iter=20, random_state=0).fit(X)
    Z32 = est.transform(X.astype(np.float32))
    assert Z32.dtype == np.float32
    np.testing.assert_allclose(Z32, est.transform(X), rtol=1e-4, atol=1e-4)
    Zs = est.transform(sp.csr_matrix(X))
    assert isinstance(Zs, np.ndarray)
    np.testing.assert_allclose(Zs, est.transform(X), rtol=1e-12, atol=1e-12)


def test_n_components_exceeding_features_and_exact_rank():
    X = _data(10, 5)
    with pytest.raises(ValueError, match="n_components"):
        JLEmbedding(n_components=6).fit(X)
    # k >= rank: exact isometry on the data's span
    est = JLEmbedding(n_components=5, random_state=0).fit(X)
    assert est.max_distortion_ < 1e-10


def test_bad_input():
    with pytest.raises(ValueError):
        JLEmbedding(n_components=2).fit(np.array([[np.nan, 1.0], [1.0, 2.0]]))
    with pytest.raises(ValueError):
        JLEmbedding(n_components=2).fit(np.ones(5))
    with pytest.raises(ValueError):
        JLEmbedding(n_components=0).fit(_data())
    with pytest.raises(ValueError, match="target"):
        JLEmbedding(target="angles").fit(_data())
    with pytest.warns(DegenerateConstraintWarning, match="duplicate"):
        X = _data(8, 4)
        JLEmbedding(n_components=2, method="direct", max_iter=5).fit(np.vstack([X, X[:1]]))


@pytest.mark.parametrize("target", ["pairwise", "norms"])
def test_score_is_negative_worst_distortion_on_new_points(target):
    rng = np.random.default_rng(5)
    X, Xnew = rng.standard_normal((40, 10)), rng.standard_normal((25, 10))
    est = JLEmbedding(n_components=5, target=target, method="direct", max_iter=30, random_state=0).fit(X)
    assert est.score(X) == pytest.approx(-est.max_distortion_, rel=1e-9)
    Y, Z = Xnew @ est.components_.T, Xnew
    if target == "pairwise":  # every pair by brute force
        i, j = np.triu_indices(25, 1)
        u = np.sum((Y[i] - Y[j]) ** 2, axis=1) / np.sum((Z[i] - Z[j]) ** 2, axis=1) - 1
    else:
        u = np.sum(Y**2, axis=1) / np.sum(Z**2, axis=1) - 1
    assert est.score(Xnew) == pytest.approx(-np.abs(u).max(), rel=1e-9)
    assert est.score(sp.csr_matrix(Xnew)) == pytest.approx(est.score(Xnew), rel=1e-12)


def test_score_selects_models():
    """GridSearchCV maximizes score: more components keep distances better on held-out folds."""
    from sklearn.model_selection import GridSearchCV

    X = np.random.default_rng(6).standard_normal((60, 12))
    grid = GridSearchCV(JLEmbedding(method="direct", max_iter=20, random_state=0), {"n_components": [2, 8]}, cv=3)
    grid.fit(X)
    assert grid.best_params_ == {"n_components": 8}
    assert np.all(grid.cv_results_["mean_test_score"] < 0)
