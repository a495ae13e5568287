"""ConditionalOrdinalClassifier (CORN): conditional problems, products, weights."""

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from mlfound.datasets import make_star_ratings
from mlfound.metrics import mean_absolute_class_error
from mlfound.ordinal import ConditionalOrdinalClassifier, CumulativeBinaryClassifier


class _AdversarialClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier whose P(y=1) is random and ignores its target.

    The seed is offset by the size and positive rate of each clone's target,
    so the K-1 clones disagree and their raw outputs are not monotone.
    """

    def __init__(self, seed=0):
        self.seed = seed

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.offset_ = int(1000 * np.mean(y)) + len(y)
        return self

    def predict_proba(self, X):
        rng = np.random.default_rng(self.seed + self.offset_)
        p = rng.uniform(size=X.shape[0])
        return np.column_stack([1 - p, p])


def test_adversarial_inner_estimator_gives_valid_monotone_probabilities():
    data = make_star_ratings(400, n_features=3, random_state=0)
    model = ConditionalOrdinalClassifier(_AdversarialClassifier()).fit(data.X, data.y)
    raw = np.column_stack(
        [est.predict_proba(data.X)[:, 1] for est in model.estimators_]
    )
    # the raw outputs cross: read as exceedance probabilities they are invalid
    assert (np.diff(raw, axis=1) > 0).any()
    proba = model.predict_proba(data.X)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    cum = model.predict_cumulative_proba(data.X)
    assert (np.diff(cum, axis=1) >= 0).all()
    # P(y > c_k) = prod_{j <= k} r_j, written out
    exceed = np.ones(400)
    for k in range(4):
        exceed = exceed * raw[:, k]
        np.testing.assert_allclose(cum[:, k], 1 - exceed, rtol=0, atol=1e-15)
    np.testing.assert_allclose(proba[:, 0], 1 - raw[:, 0], rtol=1e-12)


def test_inner_models_are_the_conditional_problems():
    data = make_star_ratings(400, n_features=3, random_state=2)
    model = ConditionalOrdinalClassifier(LogisticRegression(C=0.5)).fit(data.X, data.y)
    assert len(model.estimators_) == 4
    for k, est in enumerate(model.estimators_):
        rows = data.y >= model.classes_[k]
        ref = LogisticRegression(C=0.5).fit(
            data.X[rows], data.y[rows] > model.classes_[k]
        )
        np.testing.assert_allclose(est.coef_, ref.coef_)
        np.testing.assert_allclose(est.intercept_, ref.intercept_)


def test_two_classes_is_the_inner_classifier():
    data = make_star_ratings(300, n_features=3, n_classes=2, random_state=3)
    model = ConditionalOrdinalClassifier().fit(data.X, data.y)
    ref = LogisticRegression().fit(data.X, data.y)
    np.testing.assert_allclose(model.predict_proba(data.X), ref.predict_proba(data.X))


def test_sample_weight_restricted_to_each_subset_and_zero_weight_is_removal():
    data = make_star_ratings(300, n_features=3, random_state=4)
    sw = np.random.default_rng(0).uniform(0.1, 3.0, size=300)
    model = ConditionalOrdinalClassifier().fit(data.X, data.y, sample_weight=sw)
    for k, est in enumerate(model.estimators_):
        rows = data.y >= model.classes_[k]
        ref = LogisticRegression().fit(
            data.X[rows], data.y[rows] > model.classes_[k], sample_weight=sw[rows]
        )
        np.testing.assert_allclose(est.coef_, ref.coef_)
    sw[:40] = 0.0
    zero = ConditionalOrdinalClassifier().fit(data.X, data.y, sample_weight=sw)
    dropped = ConditionalOrdinalClassifier().fit(
        data.X[40:], data.y[40:], sample_weight=sw[40:]
    )
    np.testing.assert_allclose(
        zero.predict_proba(data.X), dropped.predict_proba(data.X), rtol=1e-6
    )


def test_one_class_and_empty_subsets_get_constant_models():
    data = make_star_ratings(400, n_features=3, random_state=5)
    X, y = data.X, data.y
    # no weight on the 3-star rows: every weighted row that reaches 3 passes it
    sw = np.where(y == 3, 0.0, 1.0)
    model = ConditionalOrdinalClassifier().fit(X, y, sample_weight=sw)
    assert model.estimators_[2].proba == 1.0
    np.testing.assert_array_equal(model.predict_proba(X)[:, 2], 0.0)
    # no weight on 4 and 5 stars: nothing reaches 4 (one class at boundary 3,
    # an empty subset at boundary 4)
    sw = np.where(y >= 4, 0.0, 1.0)
    model = ConditionalOrdinalClassifier().fit(X, y, sample_weight=sw)
    assert model.estimators_[2].proba == 0.0
    assert model.estimators_[3].proba == 0.0
    proba = model.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 3:], 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    ref = ConditionalOrdinalClassifier().fit(X[y <= 3], y[y <= 3])
    np.testing.assert_allclose(proba[:, :3], ref.predict_proba(X), rtol=1e-6)


def test_mae_no_worse_than_cumulative_binary_on_star_ratings():
    # Same inner model, median prediction (the minimum-expected-MAE rule);
    # the full study over more seeds and inner models is in the user guide.
    gaps = []
    for seed in range(3):
        data = make_star_ratings(6000, n_features=5, random_state=seed)
        X_train, y_train = data.X[:2000], data.y[:2000]
        X_test, y_test = data.X[2000:], data.y[2000:]
        corn = ConditionalOrdinalClassifier().fit(X_train, y_train)
        cumulative = CumulativeBinaryClassifier().fit(X_train, y_train)
        gaps.append(
            mean_absolute_class_error(y_test, corn.predict_median(X_test))
            - mean_absolute_class_error(y_test, cumulative.predict_median(X_test))
        )
    assert np.mean(gaps) <= 0.005, gaps


def test_metadata_routing_restricts_routed_weights_to_the_subset():
    data = make_star_ratings(300, n_features=3, random_state=6)
    sw = np.random.default_rng(1).uniform(0.1, 3.0, size=300)
    with sklearn.config_context(enable_metadata_routing=True):
        inner = LogisticRegression().set_fit_request(sample_weight=True)
        routed = ConditionalOrdinalClassifier(inner).fit(
            data.X, data.y, sample_weight=sw
        )
        with pytest.raises(ValueError, match="sample_weight"):
            ConditionalOrdinalClassifier(LogisticRegression()).fit(
                data.X, data.y, sample_weight=sw
            )
    weighted = ConditionalOrdinalClassifier().fit(data.X, data.y, sample_weight=sw)
    np.testing.assert_allclose(
        routed.predict_proba(data.X), weighted.predict_proba(data.X)
    )


def test_parallel_fits_equal_sequential_and_trees_work():
    data = make_star_ratings(300, n_features=3, random_state=7)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    seq = ConditionalOrdinalClassifier(tree, n_jobs=1).fit(data.X, data.y)
    with joblib.parallel_config(backend="threading"):
        par = ConditionalOrdinalClassifier(tree, n_jobs=2).fit(data.X, data.y)
    np.testing.assert_array_equal(seq.predict_proba(data.X), par.predict_proba(data.X))
    assert set(seq.predict_median(data.X)) <= set(seq.classes_)


def test_string_labels_need_categories():
    data = make_star_ratings(200, n_features=2, n_classes=3, random_state=8)
    words = np.array(["low", "mid", "high"])[data.y - 1]
    model = ConditionalOrdinalClassifier(categories=["low", "mid", "high"]).fit(
        data.X, words
    )
    assert model.classes_.tolist() == ["low", "mid", "high"]
    assert set(model.predict(data.X)) <= {"low", "mid", "high"}
    with pytest.raises(ValueError, match="not meaningful"):
        ConditionalOrdinalClassifier().fit(data.X, words)
