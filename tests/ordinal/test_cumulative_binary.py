"""CumulativeBinaryClassifier: K-1 problems, monotone probabilities, routing."""

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from mlfound.datasets import make_star_ratings
from mlfound.metrics import (
    mean_absolute_class_error_scorer,
    off_by_more_than_one_rate_scorer,
)
from mlfound.ordinal import CumulativeBinaryClassifier


class _AdversarialClassifier(ClassifierMixin, BaseEstimator):
    """Binary classifier whose P(y=1) ignores the target it was fitted on.

    Its probabilities are random (fixed per row by ``seed`` and the row's
    content) and differ between the K-1 clones (the seed is offset by the
    positive rate of each clone's target), so the raw exceedance
    probabilities are not monotone across boundaries.
    """

    def __init__(self, seed=0):
        self.seed = seed

    def fit(self, X, y, sample_weight=None):
        self.classes_ = np.unique(y)
        self.offset_ = int(1000 * np.mean(y))
        return self

    def predict_proba(self, X):
        rng = np.random.default_rng(self.seed + self.offset_)
        p = rng.uniform(size=X.shape[0])
        return np.column_stack([1 - p, p])


def test_adversarial_base_estimator_gives_valid_probabilities():
    data = make_star_ratings(400, n_features=3, random_state=0)
    model = CumulativeBinaryClassifier(_AdversarialClassifier()).fit(data.X, data.y)
    raw = np.column_stack(
        [est.predict_proba(data.X)[:, 1] for est in model.estimators_]
    )
    # without the monotone handling, some "class probabilities" are negative
    naive = np.hstack([np.ones((400, 1)), raw]) - np.hstack([raw, np.zeros((400, 1))])
    assert (naive < 0).any()
    proba = model.predict_proba(data.X)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    cum = model.predict_cumulative_proba(data.X)
    assert (np.diff(cum, axis=1) >= 0).all()
    # rearrangement: the sorted raw exceedance probabilities
    np.testing.assert_allclose(1 - cum, -np.sort(-raw, axis=1))


def test_monotone_rows_are_left_unchanged():
    data = make_star_ratings(500, n_features=3, random_state=1)
    model = CumulativeBinaryClassifier().fit(data.X, data.y)
    raw = np.column_stack(
        [est.predict_proba(data.X)[:, 1] for est in model.estimators_]
    )
    monotone = (np.diff(raw, axis=1) <= 0).all(axis=1)
    assert monotone.mean() > 0.9
    np.testing.assert_allclose(
        1 - model.predict_cumulative_proba(data.X)[monotone], raw[monotone]
    )


def test_inner_models_are_the_cumulative_binary_problems():
    data = make_star_ratings(300, n_features=3, random_state=2)
    model = CumulativeBinaryClassifier(LogisticRegression(C=0.5)).fit(data.X, data.y)
    assert len(model.estimators_) == 4
    for k, est in enumerate(model.estimators_):
        ref = LogisticRegression(C=0.5).fit(data.X, data.y > model.classes_[k])
        np.testing.assert_allclose(est.coef_, ref.coef_)
        np.testing.assert_allclose(est.intercept_, ref.intercept_)


@pytest.mark.parametrize(
    "estimator",
    [
        DecisionTreeClassifier(max_depth=4, random_state=0),
        GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0),
        KNeighborsClassifier(),
    ],
    ids=["tree", "boosting", "knn"],
)
def test_any_binary_classifier(estimator):
    data = make_star_ratings(400, n_features=3, random_state=3)
    model = CumulativeBinaryClassifier(estimator).fit(data.X, data.y)
    proba = model.predict_proba(data.X)
    assert (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    assert set(model.predict(data.X)) <= set(model.classes_)
    assert set(model.predict_median(data.X)) <= set(model.classes_)


def test_sample_weight_is_passed_to_every_inner_fit():
    data = make_star_ratings(300, n_features=3, random_state=4)
    sw = np.random.default_rng(0).uniform(0.1, 3.0, size=300)
    model = CumulativeBinaryClassifier().fit(data.X, data.y, sample_weight=sw)
    for k, est in enumerate(model.estimators_):
        ref = LogisticRegression().fit(
            data.X, data.y > model.classes_[k], sample_weight=sw
        )
        np.testing.assert_allclose(est.coef_, ref.coef_)
    with pytest.raises(
        ValueError, match="sample_weight was given but .* does not accept it"
    ):
        CumulativeBinaryClassifier(KNeighborsClassifier()).fit(
            data.X, data.y, sample_weight=sw
        )


def test_metadata_routing_of_sample_weight():
    data = make_star_ratings(300, n_features=3, random_state=5)
    sw = np.random.default_rng(1).uniform(0.1, 3.0, size=300)
    with sklearn.config_context(enable_metadata_routing=True):
        inner = LogisticRegression().set_fit_request(sample_weight=True)
        routed = CumulativeBinaryClassifier(inner).fit(data.X, data.y, sample_weight=sw)
        with pytest.raises(ValueError, match="sample_weight"):
            # requested neither way: scikit-learn asks the user to decide
            CumulativeBinaryClassifier(LogisticRegression()).fit(
                data.X, data.y, sample_weight=sw
            )
        with pytest.raises(TypeError, match="sample_weight"):
            CumulativeBinaryClassifier(
                LogisticRegression().set_fit_request(sample_weight=False)
            ).fit(data.X, data.y, sample_weight=sw)
    weighted = CumulativeBinaryClassifier().fit(data.X, data.y, sample_weight=sw)
    plain = CumulativeBinaryClassifier().fit(data.X, data.y)
    np.testing.assert_allclose(
        routed.predict_proba(data.X), weighted.predict_proba(data.X)
    )
    assert not np.allclose(routed.predict_proba(data.X), plain.predict_proba(data.X))
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        CumulativeBinaryClassifier().fit(data.X, data.y, groups=np.ones(300))


def test_parallel_fits_equal_sequential():
    data = make_star_ratings(300, n_features=3, random_state=6)
    seq = CumulativeBinaryClassifier(n_jobs=1).fit(data.X, data.y)
    with joblib.parallel_config(backend="threading"):
        par = CumulativeBinaryClassifier(n_jobs=2).fit(data.X, data.y)
    np.testing.assert_array_equal(seq.predict_proba(data.X), par.predict_proba(data.X))


def test_string_labels_with_categories_and_errors():
    data = make_star_ratings(200, n_features=2, n_classes=3, random_state=7)
    words = np.array(["low", "mid", "high"])[data.y - 1]
    model = CumulativeBinaryClassifier(categories=["low", "mid", "high"]).fit(
        data.X, words
    )
    assert model.classes_.tolist() == ["low", "mid", "high"]
    with pytest.raises(ValueError, match="not meaningful"):
        CumulativeBinaryClassifier().fit(data.X, words)
    with pytest.raises(ValueError, match="one class|class"):
        CumulativeBinaryClassifier().fit(data.X, np.ones(200))
    with pytest.raises(ValueError, match="not in categories"):
        CumulativeBinaryClassifier(categories=["low", "mid"]).fit(data.X, words)


def test_grid_search_with_ordinal_scorers():
    data = make_star_ratings(300, n_features=3, random_state=8)
    pipe = make_pipeline(
        StandardScaler(), CumulativeBinaryClassifier(LogisticRegression())
    )
    for scoring in (mean_absolute_class_error_scorer, off_by_more_than_one_rate_scorer):
        search = GridSearchCV(
            pipe,
            {"cumulativebinaryclassifier__estimator__C": [0.1, 1.0]},
            scoring=scoring,
            cv=3,
        ).fit(data.X, data.y)
        assert search.best_score_ <= 0


@pytest.mark.parametrize(
    "labels",
    [
        np.array([2**64 - 3, 2**64 - 2, 2**64 - 1], dtype=np.uint64),
        np.array([2**53, 2**53 + 1, 2**53 + 2], dtype=np.int64),
    ],
)
def test_extreme_integer_labels_keep_their_identity(labels):
    # uint64 labels above 2**63 raised OverflowError in the label encoding
    rng = np.random.default_rng(0)
    codes = np.repeat([0, 1, 2], 30)
    X = (codes + 0.3 * rng.standard_normal(90)).reshape(-1, 1)
    y = labels[codes]
    model = CumulativeBinaryClassifier().fit(X, y)
    assert model.classes_.dtype == labels.dtype
    assert model.classes_.tolist() == labels.tolist()
    pred = model.predict(X)
    assert pred.dtype == labels.dtype
    assert np.mean(pred == y) > 0.9


@pytest.mark.parametrize(
    ("y", "error", "match"),
    [
        (np.array(["a", "b", "c"] * 10), ValueError, "Pass categories"),
        (np.r_[np.arange(29.0) % 3, np.nan], ValueError, "y contains NaN"),
    ],
)
def test_bad_labels_raise_naming_y(y, error, match):
    X = np.arange(30.0).reshape(-1, 1)
    with pytest.raises(error, match=match):
        CumulativeBinaryClassifier().fit(X, y)
