import numpy as np
import pytest
from joblib import parallel_config
from sklearn.linear_model import Lasso, LassoCV, LogisticRegression
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor

from mlfound.feature_selection import StabilitySelector
from mlfound.utils._sklearn_compat import logistic_penalty_params


def _sparse_regression(seed, n=500, p=50, noise=1.0):
    """y = X beta + N(0, noise^2), X standard normal, 5 non-zero coefficients."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[:5] = [3, -2, 1.5, -1, 0.8]
    return X, X @ beta + noise * rng.normal(size=n)


@pytest.mark.parametrize("seed", range(3))
def test_recovers_the_five_true_features_where_lasso_cv_adds_extras(seed):
    X, y = _sparse_regression(seed)
    selector = StabilitySelector(
        n_resamples=50, alphas=10, penalty_weakness=0.5, random_state=seed
    ).fit(X, y)
    np.testing.assert_array_equal(selector.get_support(indices=True), np.arange(5))
    lasso = LassoCV(cv=5, random_state=0).fit(X, y)
    chosen = np.flatnonzero(lasso.coef_)
    assert set(range(5)) <= set(chosen) and len(chosen) > 5
    # the bound: q^2 / ((2 pi - 1) p) with q the mean selected per subsample
    q = selector.average_selected_
    assert 5 <= q < 6
    assert selector.false_selection_bound_ == pytest.approx(q**2 / (0.6 * 50))
    assert selector.stability_scores_.shape == (50, 10)


def test_full_sample_scores_are_the_lasso_path():
    # sample_fraction=1 and no randomization: every resample is the full
    # (standardised) data, so the scores are 0/1 selections of one Lasso fit
    X, y = _sparse_regression(0, n=80, p=8)
    alphas = [1.0, 0.3, 0.05]
    selector = StabilitySelector(
        n_resamples=3, sample_fraction=1.0, alphas=alphas, random_state=0
    ).fit(X, y)
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    expected = np.column_stack([Lasso(alpha=a).fit(Xs, y).coef_ != 0 for a in alphas])
    np.testing.assert_array_equal(selector.stability_scores_, expected.astype(float))
    np.testing.assert_array_equal(selector.alphas_, alphas)


def test_reproducible_parallel_and_randomized():
    X, y = _sparse_regression(1, n=120, p=10)
    kw = {"n_resamples": 12, "alphas": 4, "random_state": 3}
    a = StabilitySelector(**kw).fit(X, y)
    with parallel_config(backend="threading"):
        b = StabilitySelector(**kw, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(a.stability_scores_, b.stability_scores_)
    c = StabilitySelector(**kw, penalty_weakness=0.2).fit(X, y)
    assert not np.array_equal(a.stability_scores_, c.stability_scores_)
    # feature j scaled by w_j <= 1 has its penalty multiplied by 1 / w_j:
    # randomized penalties select less often
    assert c.stability_scores_.mean() < a.stability_scores_.mean()


def test_classification_default_is_l1_logistic():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8))
    y = (2 * X[:, 1] - 2 * X[:, 6] + rng.logistic(size=300) > 0).astype(int)
    selector = StabilitySelector(n_resamples=20, alphas=8, random_state=0).fit(X, y)
    assert isinstance(selector.estimator_, LogisticRegression)
    params = selector.estimator_.get_params()
    assert params.items() >= logistic_penalty_params(1.0).items()
    np.testing.assert_array_equal(selector.get_support(indices=True), [1, 6])
    assert selector.transform(X).shape == (300, 2)
    # the C grid runs from the all-zero model upwards
    assert np.all(np.diff(selector.alphas_) > 0)


def test_clear_errors():
    X, y = _sparse_regression(0, n=40, p=6)
    with pytest.raises(TypeError, match="no 'alpha' or 'C' parameter"):
        StabilitySelector(estimator=DecisionTreeRegressor()).fit(X, y)
    with pytest.raises(ValueError, match="automatic C grid"):
        StabilitySelector(estimator=SVR(kernel="linear")).fit(X, y)
    with pytest.raises(ValueError, match="alphas must hold positive"):
        StabilitySelector(alphas=[0.1, -1.0]).fit(X, y)
    with pytest.raises(ValueError, match="threshold"):
        StabilitySelector(threshold=0.4).fit(X, y)


def test_big_endian_uint64_labels_select_like_native_ones():
    # np.unique failed on big-endian uint64 labels above 2**63 inside the
    # stratified subsampling; they are converted to native order first.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=80) > 0).astype(np.uint64) + np.uint64(2**63)
    params = {"n_resamples": 6, "random_state": 0}
    expected = StabilitySelector(**params).fit(X, y)
    model = StabilitySelector(**params).fit(X, y.astype(">u8"))
    np.testing.assert_array_equal(model.stability_scores_, expected.stability_scores_)
