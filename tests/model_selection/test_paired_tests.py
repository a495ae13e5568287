import warnings

import numpy as np
import pytest
from joblib import parallel_config
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    cross_val_score,
)
from sklearn.naive_bayes import GaussianNB

from mlfound.model_selection import paired_cv_test
from mlfound.model_selection._fold_scores import fold_scores
from mlfound.model_selection._paired_tests import _test_from_scores

# Fixed per-split scores (10 splits) shared by the formula tests.
A = np.array([0.81, 0.79, 0.84, 0.80, 0.78, 0.83, 0.82, 0.77, 0.85, 0.80])
B = np.array([0.78, 0.80, 0.80, 0.77, 0.78, 0.79, 0.80, 0.76, 0.81, 0.79])


def test_corrected_t_is_nadeau_bengio_formula():
    n_train, n_test = np.full(10, 80), np.full(10, 20)
    res = _test_from_scores("corrected_t", A, B, n_train, n_test, 0.05)
    d = A - B
    J = 10
    # t = mean(d) / sqrt((1/J + n2/n1) * S^2), S^2 the sample variance,
    # J - 1 degrees of freedom, two-sided
    s2 = np.sum((d - d.mean()) ** 2) / (J - 1)
    t = d.mean() / np.sqrt((1 / J + 20 / 80) * s2)
    assert res.statistic == pytest.approx(t, rel=1e-12)
    assert res.df == J - 1
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(t), J - 1), rel=1e-12)
    half = stats.t.ppf(0.975, J - 1) * np.sqrt((1 / J + 0.25) * s2)
    np.testing.assert_allclose(
        res.confidence_interval, (d.mean() - half, d.mean() + half)
    )
    assert res.mean_difference == pytest.approx(d.mean())
    np.testing.assert_array_equal(res.scores_a, A)


def test_plain_paired_t_equals_scipy_ttest_rel():
    res = _test_from_scores("paired_t", A, B, np.full(10, 80), np.full(10, 20), 0.05)
    ref = stats.ttest_rel(A, B)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    # the naive interval is narrower than the corrected one on the same data
    cor = _test_from_scores("corrected_t", A, B, np.full(10, 80), np.full(10, 20), 0.05)
    assert np.ptp(res.confidence_interval) < np.ptp(cor.confidence_interval)


def test_5x2cv_t_is_dietterich_formula():
    res = _test_from_scores("5x2cv_t", A, B, np.full(10, 50), np.full(10, 50), 0.05)
    p = (A - B).reshape(5, 2)  # p[i, j]: repetition i, fold j
    pbar = (p[:, 0] + p[:, 1]) / 2
    s2 = (p[:, 0] - pbar) ** 2 + (p[:, 1] - pbar) ** 2
    t = p[0, 0] / np.sqrt(s2.sum() / 5)
    assert res.statistic == pytest.approx(t, rel=1e-12)
    assert res.df == 5
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(t), 5), rel=1e-12)


def test_5x2cv_f_is_alpaydin_formula():
    res = _test_from_scores("5x2cv_f", A, B, np.full(10, 50), np.full(10, 50), 0.05)
    p = (A - B).reshape(5, 2)
    pbar = p.mean(axis=1)
    s2 = ((p - pbar[:, None]) ** 2).sum(axis=1)
    f = (p**2).sum() / (2 * s2.sum())
    assert res.statistic == pytest.approx(f, rel=1e-12)
    assert res.df == (10, 5)
    assert res.pvalue == pytest.approx(stats.f.sf(f, 10, 5), rel=1e-12)
    assert res.confidence_interval is None


def test_wilcoxon_equals_scipy_and_warns_when_it_cannot_reject():
    ratio = (np.full(10, 80), np.full(10, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = _test_from_scores("wilcoxon", A, B, *ratio, 0.05)
    d = A - B
    ref = stats.wilcoxon(d[d != 0])  # zeros dropped, as zero_method="wilcox" does
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.pvalue == pytest.approx(ref.pvalue)
    # 5 folds, every difference positive: the best possible p is 2/2**5
    a5 = np.array([0.9, 0.8, 0.85, 0.83, 0.88])
    with pytest.warns(UserWarning, match=r"never give p < alpha=0.05.*2/2\*\*5"):
        res = _test_from_scores("wilcoxon", a5, a5 - 0.05, *ratio, 0.05)
    assert res.pvalue == pytest.approx(2 / 2**5)
    assert res.pvalue > 0.05


class OneFeatureClassifier(ClassifierMixin, BaseEstimator):
    """Predicts 1 when one feature exceeds the midpoint of the class means."""

    def __init__(self, feature=0):
        self.feature = feature

    def fit(self, X, y):
        x = X[:, self.feature]
        self.classes_ = np.array([0, 1])
        self.cut_ = 0.5 * (x[y == 0].mean() + x[y == 1].mean())
        return self

    def predict(self, X):
        return (X[:, self.feature] > self.cut_).astype(int)

    def score(self, X, y, sample_weight=None):
        return float(np.mean(self.predict(X) == y))


def test_type_one_error_corrected_vs_naive_t():
    # Two learners that are equally good by symmetry: y depends on x0 + x1
    # and each model sees one of the two features. Fresh data each
    # repetition, 5-fold CV repeated 5 times (J = 25 splits), n = 100.
    rng = np.random.default_rng(0)
    reps, rejected = 200, {"corrected_t": 0, "paired_t": 0}
    models = [OneFeatureClassifier(0), OneFeatureClassifier(1)]
    for r in range(reps):
        X = rng.normal(size=(100, 2))
        y = (X[:, 0] + X[:, 1] + rng.normal(size=100) > 0).astype(int)
        cv = RepeatedKFold(n_splits=5, n_repeats=5, random_state=r)
        scores, n_train, n_test = fold_scores(
            models,
            X,
            y,
            cv=cv,
            test="corrected_t",
            scoring=None,
            params=None,
            groups=None,
            n_jobs=None,
            rs=None,
        )
        for test in rejected:
            res = _test_from_scores(test, *scores, n_train, n_test, 0.05)
            rejected[test] += res.pvalue < 0.05
    corrected = rejected["corrected_t"] / reps
    naive = rejected["paired_t"] / reps
    assert 0.02 <= corrected <= 0.08, corrected
    assert naive > 0.2, naive  # measured 0.39: the folds share training rows


def test_scores_are_those_of_cross_val_score_on_the_same_folds():
    X, y = make_classification(n_samples=120, random_state=0)
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=1)
    res = paired_cv_test(LogisticRegression(), GaussianNB(), X, y, cv=cv)
    np.testing.assert_allclose(
        res.scores_a, cross_val_score(LogisticRegression(), X, y, cv=cv)
    )
    np.testing.assert_allclose(res.scores_b, cross_val_score(GaussianNB(), X, y, cv=cv))
    assert res.test_train_ratio == pytest.approx(40 / 80)
    # parallel over splits gives the same numbers
    with parallel_config(backend="threading"):
        res2 = paired_cv_test(LogisticRegression(), GaussianNB(), X, y, cv=cv, n_jobs=2)
    np.testing.assert_array_equal(res.scores_a, res2.scores_a)
    assert "corrected_t" in repr(res) and "pvalue=" in repr(res)


def test_default_splits_and_5x2_splits():
    X, y = make_classification(n_samples=100, random_state=0)
    res = paired_cv_test(LogisticRegression(), DummyClassifier(), X, y, random_state=0)
    assert res.scores_a.shape == (10,)
    res = paired_cv_test(
        LogisticRegression(), DummyClassifier(), X, y, test="5x2cv_f", random_state=0
    )
    assert res.df == (10, 5) and res.scores_a.shape == (10,)
    cv = RepeatedStratifiedKFold(n_splits=2, n_repeats=5, random_state=3)
    res = paired_cv_test(
        LogisticRegression(), DummyClassifier(), X, y, cv=cv, test="5x2cv_t"
    )
    np.testing.assert_allclose(
        res.scores_a, cross_val_score(LogisticRegression(), X, y, cv=cv)
    )
    with pytest.raises(ValueError, match="5 repetitions of 2-fold"):
        paired_cv_test(
            LogisticRegression(), DummyClassifier(), X, y, cv=5, test="5x2cv_t"
        )
    with pytest.raises(ValueError, match="exactly 10 splits"):
        paired_cv_test(
            LogisticRegression(), DummyClassifier(), X, y, cv=KFold(5), test="5x2cv_f"
        )
    with pytest.raises(ValueError, match="two halves"):
        paired_cv_test(
            LogisticRegression(),
            DummyClassifier(),
            X,
            y,
            cv=RepeatedKFold(n_splits=10, n_repeats=1),
            test="5x2cv_t",
        )


def test_sample_weight_and_groups_are_routed():
    X, y = make_regression(n_samples=60, n_features=3, noise=5.0, random_state=0)
    w = np.linspace(0.1, 2.0, 60)
    groups = np.arange(60) % 6
    res = paired_cv_test(
        LinearRegression(),
        LinearRegression(fit_intercept=False),
        X,
        y,
        cv=GroupKFold(3),
        groups=groups,
        params={"sample_weight": w},
    )
    ref = cross_val_score(
        LinearRegression(),
        X,
        y,
        cv=GroupKFold(3),
        groups=groups,
        params={"sample_weight": w},
    )
    np.testing.assert_allclose(res.scores_a, ref)


def test_clear_errors():
    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="scoring"):
        paired_cv_test(LogisticRegression(), LinearRegression(), X, y)
    with pytest.raises(ValueError, match="X has 40 rows but y has 39"):
        paired_cv_test(LogisticRegression(), DummyClassifier(), X, y[:-1])
    with pytest.raises(ValueError, match="at least 2"):
        paired_cv_test(
            LogisticRegression(),
            DummyClassifier(),
            X,
            y,
            cv=[(np.arange(20), np.arange(20, 40))],
        )
