"""Likelihood summary and separation check of FocalLossClassifier."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from scipy.special import expit, log_softmax
from sklearn.datasets import make_classification

from mlfound.linear_model import FocalLossClassifier
from mlfound.linear_model._separation import find_separation

RTOL = 1e-5


def _logistic_data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = rng.random(n) < expit(0.3 + X @ np.array([1.0, -0.5, 0.0]))
    return X, y.astype(int)


def _mle(**params):
    return FocalLossClassifier(gamma=0.0, C=np.inf, tol=1e-10, max_iter=1000, **params)


def _assert_matches(summary, params, bse, llf, aic, bic, rtol=RTOL):
    np.testing.assert_allclose(summary.params, params, rtol=rtol)
    np.testing.assert_allclose(summary.bse, bse, rtol=rtol)
    np.testing.assert_allclose(summary.zvalues, params / bse, rtol=rtol)
    np.testing.assert_allclose(summary.loglik, llf, rtol=rtol)
    np.testing.assert_allclose([summary.aic, summary.bic], [aic, bic], rtol=rtol)


def test_summary_equals_statsmodels_logit():
    X, y = _logistic_data()
    clf = _mle().fit(X, y)
    res = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12)
    summary = clf.summary(alpha=0.1)
    _assert_matches(summary, res.params, res.bse, res.llf, res.aic, res.bic)
    np.testing.assert_allclose(summary.pvalues, res.pvalues, rtol=RTOL)
    np.testing.assert_allclose(summary.conf_int, res.conf_int(alpha=0.1), rtol=RTOL)
    np.testing.assert_allclose(clf.covariance(), res.cov_params(), rtol=RTOL)
    assert summary.names == ["intercept", "x0", "x1", "x2"]
    assert (clf.n_params_, clf.nobs_) == (4, 500)
    assert clf.aic() == pytest.approx(res.aic, rel=RTOL)
    assert clf.bic() == pytest.approx(res.bic, rel=RTOL)
    robust = clf.summary(cov_type="robust")
    hc0 = sm.Logit(y, sm.add_constant(X)).fit(disp=0, tol=1e-12, cov_type="HC0")
    np.testing.assert_allclose(robust.bse, hc0.bse, rtol=RTOL)
    text = str(summary)
    assert "x2" in text and "std err" in text and "Note" not in text


def test_weighted_summary_equals_statsmodels_freq_weights():
    X, y = _logistic_data(300, seed=1)
    w = np.random.default_rng(1).integers(1, 4, 300).astype(float)
    clf = _mle().fit(X, y, sample_weight=w)
    res = sm.GLM(
        y, sm.add_constant(X), family=sm.families.Binomial(), freq_weights=w
    ).fit(tol=1e-12)
    _assert_matches(clf.summary(), res.params, res.bse, res.llf, res.aic, res.bic_llf)
    assert clf.nobs_ == w.sum()
    # frequency weights: a weight of k is the row repeated k times, in the
    # robust covariance too
    rep = np.repeat(np.arange(300), w.astype(int))
    dup = _mle().fit(X[rep], y[rep])
    np.testing.assert_allclose(
        clf.covariance("robust"), dup.covariance("robust"), rtol=1e-5
    )


def test_sparse_and_dataframe_inputs():
    X, y = _logistic_data(200, seed=2)
    dense = _mle().fit(X, y).summary()
    sparse = _mle().fit(sp.csr_matrix(X), y).summary()
    np.testing.assert_allclose(sparse.bse, dense.bse, rtol=1e-6)
    frame = pd.DataFrame(X, columns=["age", "income", "tenure"])
    names = _mle(fit_intercept=False).fit(frame, y).summary().names
    assert names == ["age", "income", "tenure"]


def _penalised_nll(w, X, y, C):
    """Logistic negative log-likelihood + ||coef||^2 / (2 C), w = [b, coef]."""
    z = w[0] + X @ w[1:]
    return np.sum(np.logaddexp(0, z) - y * z) + 0.5 * (w[1:] @ w[1:]) / C


def _fd_hessian(f, w, h=1e-4):
    n = w.shape[0]
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = (
                f(w + e_i + e_j) - f(w + e_i - e_j) - f(w - e_i + e_j)
                + f(w - e_i - e_j)
            ) / (4 * h * h)  # fmt: skip
    return H


def test_penalised_covariance_is_inverse_penalised_hessian():
    X, y = _logistic_data(200, seed=3)
    clf = FocalLossClassifier(gamma=0, C=0.05, tol=1e-10).fit(X, y)
    w = np.concatenate([clf.intercept_, clf.coef_[0]])
    H = _fd_hessian(lambda v: _penalised_nll(v, X, y, 0.05), w)
    np.testing.assert_allclose(clf.covariance(), np.linalg.inv(H), rtol=1e-5)
    assert any("inverse penalised Hessian" in n for n in clf.summary().notes)


def test_multiclass_penalised_covariance():
    X, y = make_classification(
        n_samples=150, n_features=2, n_informative=2, n_redundant=0,
        n_classes=3, n_clusters_per_class=1, random_state=0,
    )  # fmt: skip
    C = 0.5
    clf = FocalLossClassifier(gamma=0, C=C, tol=1e-10).fit(X, y)
    summary = clf.summary()
    assert summary.names[:3] == ["0:intercept", "0:x0", "0:x1"]
    np.testing.assert_allclose(summary.params[[0, 3, 6]].sum(), 0.0, atol=1e-12)

    def nll(w):  # w = per class [b_k, coef_k]
        W = w.reshape(3, 3)
        Z = W[:, 0] + X @ W[:, 1:].T
        pen = 0.5 * np.sum(W[:, 1:] ** 2) / C
        return -np.sum(log_softmax(Z, axis=1)[np.arange(len(y)), y]) + pen

    H = _fd_hessian(nll, summary.params)
    # the intercepts are identified up to a common shift: invert H on the
    # complement of that direction
    v = np.zeros(9)
    v[[0, 3, 6]] = 1 / np.sqrt(3)
    P = np.eye(9) - np.outer(v, v)
    reference = np.linalg.pinv(P @ H @ P)
    np.testing.assert_allclose(clf.covariance(), reference, rtol=1e-4, atol=1e-9)
    with pytest.raises(ValueError, match="over-parameterised.*finite C"):
        FocalLossClassifier(gamma=0, C=np.inf).fit(X, y).summary()


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"gamma": 2.0}, "gamma=2.0"),
        ({"gamma": 0.0, "alpha": 0.25}, "alpha"),
        ({"gamma": 0.0, "label_smoothing": 0.1}, "label_smoothing"),
        ({"gamma": 0.0, "class_weight": "balanced"}, "class_weight"),
    ],
)
def test_not_a_likelihood_raises(params, match):
    X, y = _logistic_data(100)
    clf = FocalLossClassifier(**params).fit(X, y)
    assert not hasattr(clf, "loglik_")
    for method in (clf.summary, clf.aic, clf.bic, clf.covariance):
        with pytest.raises(ValueError, match=f"not a log-likelihood.*{match}"):
            method()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_l1_stochastic_and_partial_fit_have_no_wald_inference():
    X, y = _logistic_data(100)
    l1 = FocalLossClassifier(gamma=0, l1_ratio=1.0, solver="fista").fit(X, y)
    assert np.isfinite(l1.loglik_)
    with pytest.raises(ValueError, match="L1.*not valid"):
        l1.summary()
    sgd = FocalLossClassifier(gamma=0, solver="sgd", max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="stops near"):
        sgd.aic()
    clf = _mle().fit(X, y)
    clf.partial_fit(X, y)
    assert not hasattr(clf, "loglik_")
    with pytest.raises(ValueError, match="partial_fit"):
        clf.summary()


def _separation_warnings(clf, X, y):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        clf.fit(X, y)
    return [str(w.message) for w in record if "separated" in str(w.message)]


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_separation_detected(gamma):
    x = np.array([0.0, 1, 2, 3, 4, 5, 6, 7])
    rng = np.random.default_rng(0)
    X = np.column_stack([x, rng.standard_normal(8)])
    y = (x >= 4).astype(int)
    clf = FocalLossClassifier(gamma=gamma, C=np.inf)
    (message,) = _separation_warnings(clf, X, y)
    assert "completely separated" in message and "finite" in message
    # quasi-complete: the rows at x = 3 overlap, the others are separated
    y_quasi = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    X_quasi = np.array([[0.0], [1], [2], [3], [3], [4], [5], [6]])
    (message,) = _separation_warnings(clf, X_quasi, y_quasi)
    assert "quasi-completely separated" in message
    if gamma == 0:
        with pytest.raises(ValueError, match="separated"):
            clf.summary()
    # a finite C is the fix: no warning, finite summary
    assert _separation_warnings(FocalLossClassifier(gamma=gamma, C=1.0), X, y) == []


def test_multiclass_separation_detected():
    X = np.array([[0.0], [1], [2], [5], [6], [7], [10], [11], [12]])
    y = np.repeat([0, 1, 2], 3)
    (message,) = _separation_warnings(FocalLossClassifier(gamma=0, C=np.inf), X, y)
    assert "completely separated" in message


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_no_separation_on_overlapping_data(n_classes, gamma):
    for seed in range(3):
        X, y = make_classification(
            n_samples=300, n_features=5, n_informative=3, n_classes=n_classes,
            random_state=seed,
        )  # fmt: skip
        for C in (np.inf, 1e4):
            clf = FocalLossClassifier(gamma=gamma, C=C)
            assert _separation_warnings(clf, X, y) == []
        # the linear program (no certificate) agrees
        found = find_separation(X, y, n_classes, np.ones(300), None, fit_intercept=True)
        assert found is None


def test_separation_linear_program_on_separable_data():
    X, y = make_classification(
        n_samples=100, n_features=4, class_sep=4.0, flip_y=0, random_state=0
    )
    found = find_separation(X, y, 2, np.ones(100), None, fit_intercept=True)
    assert found["kind"] == "complete"
    # zero-weight rows do not count: an overlapping row with weight 0
    X2 = np.vstack([X, X[y == 1][:1]])
    y2 = np.append(y, 0)
    w2 = np.append(np.ones(100), 0.0)
    assert find_separation(X2, y2, 2, w2, None, fit_intercept=True) is not None
    assert find_separation(X2, y2, 2, np.ones(101), None, fit_intercept=True) is None
