import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.naive_bayes import GaussianNB
from statsmodels.stats.multitest import multipletests

from mlfound.model_selection import compare_models, paired_cv_test
from mlfound.model_selection._compare_models import adjust_pvalues


@pytest.mark.parametrize("method", ["holm", "bonferroni"])
@pytest.mark.parametrize("seed", range(4))
def test_adjusted_pvalues_equal_statsmodels(method, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.2, 7) ** 2
    p[2] = p[5]  # a tie
    reject, ref, _, _ = multipletests(p, alpha=0.05, method=method)
    np.testing.assert_allclose(adjust_pvalues(p, method), ref, rtol=1e-12)


FITS = []


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Predicts the training majority class and counts its fits."""

    def __init__(self, tag="x"):
        self.tag = tag

    def fit(self, X, y):
        FITS.append(self.tag)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.majority_)


def test_all_pairs_on_the_same_folds_with_holm():
    X, y = make_classification(n_samples=150, random_state=0)
    cv = RepeatedStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)
    models = {
        "logistic": LogisticRegression(),
        "bayes": GaussianNB(),
        "dummy": DummyClassifier(),
        "count": CountingClassifier(),
    }
    FITS.clear()
    table = compare_models(models, X, y, cv=cv)
    assert len(FITS) == 6  # once per split, not once per pair
    assert list(zip(table.model_a, table.model_b, strict=True))[:3] == [
        ("logistic", "bayes"),
        ("logistic", "dummy"),
        ("logistic", "count"),
    ]
    _, ref, _, _ = multipletests(table["pvalue"], method="holm")
    np.testing.assert_allclose(table["pvalue_adjusted"], ref)
    np.testing.assert_array_equal(table["reject"], ref < 0.05)
    one = paired_cv_test(models["logistic"], models["dummy"], X, y, cv=cv)
    row = table.iloc[1]
    assert row.pvalue == pytest.approx(one.pvalue)
    assert row.statistic == pytest.approx(one.statistic)
    assert (row.ci_low, row.ci_high) == pytest.approx(one.confidence_interval)
    np.testing.assert_allclose(table.attrs["scores"]["dummy"], one.scores_b)
    bonf = compare_models(models, X, y, cv=cv, method="bonferroni")
    np.testing.assert_allclose(
        bonf["pvalue_adjusted"], np.minimum(1, 6 * bonf["pvalue"])
    )


def test_clear_errors():
    X, y = make_classification(n_samples=40, random_state=0)
    with pytest.raises(ValueError, match="at least 2 models"):
        compare_models({"a": LogisticRegression()}, X, y)
    with pytest.raises(TypeError, match="not an estimator"):
        compare_models({"a": LogisticRegression(), "b": 3}, X, y)
