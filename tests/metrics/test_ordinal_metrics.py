"""Ordinal metrics against brute force and scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import GridSearchCV

from mlfound.metrics import (
    mean_absolute_class_error,
    mean_absolute_class_error_scorer,
    off_by_more_than_one_rate,
    off_by_more_than_one_rate_scorer,
    quadratic_weighted_kappa,
    quadratic_weighted_kappa_scorer,
)


def _random_ratings(seed=0, n=200):
    rng = np.random.default_rng(seed)
    return rng.integers(1, 6, n), rng.integers(1, 6, n), rng.uniform(0, 2, n)


def test_mean_absolute_class_error_is_rank_distance():
    y_true, y_pred, sw = _random_ratings()
    assert mean_absolute_class_error(y_true, y_pred) == pytest.approx(
        np.mean(np.abs(y_true - y_pred))
    )
    assert mean_absolute_class_error(y_true, y_pred, sample_weight=sw) == pytest.approx(
        np.average(np.abs(y_true - y_pred), weights=sw)
    )
    # the labels' values do not matter, only their order
    values = np.array([0.0, 10.0, 11.0, 50.0, 51.0])
    assert mean_absolute_class_error(
        values[y_true - 1], values[y_pred - 1]
    ) == pytest.approx(np.mean(np.abs(y_true - y_pred)))


def test_strings_and_ordered_categoricals_use_the_given_order():
    order = ["bad", "ok", "good"]
    y_true = np.array(["bad", "good", "ok", "good"])
    y_pred = np.array(["good", "good", "bad", "ok"])
    expected = np.mean([2, 0, 1, 1])
    assert mean_absolute_class_error(y_true, y_pred, categories=order) == expected
    cat = pd.Series(pd.Categorical(y_true, categories=order, ordered=True))
    assert mean_absolute_class_error(cat, y_pred) == expected
    assert off_by_more_than_one_rate(y_true, y_pred, categories=order) == 0.25
    with pytest.raises(ValueError, match="not meaningful"):
        mean_absolute_class_error(y_true, y_pred)
    with pytest.raises(ValueError, match="not in categories"):
        mean_absolute_class_error(y_true, y_pred, categories=["bad", "good"])


def test_off_by_more_than_one_rate():
    y_true, y_pred, sw = _random_ratings(1)
    far = np.abs(y_true - y_pred) > 1
    assert off_by_more_than_one_rate(y_true, y_pred) == pytest.approx(far.mean())
    assert off_by_more_than_one_rate(y_true, y_pred, sample_weight=sw) == pytest.approx(
        np.average(far, weights=sw)
    )


def test_quadratic_weighted_kappa_matches_scikit_learn_and_brute_force():
    y_true, y_pred, sw = _random_ratings(2)
    y_pred = np.clip(y_true + np.random.default_rng(3).integers(-1, 2, 200), 1, 5)
    expected = cohen_kappa_score(y_true, y_pred, weights="quadratic")
    assert quadratic_weighted_kappa(y_true, y_pred) == pytest.approx(expected)
    # brute force from the definition
    k = 5
    observed = np.zeros((k, k))
    np.add.at(observed, (y_true - 1, y_pred - 1), 1)
    chance = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    w = (np.arange(k)[:, None] - np.arange(k)[None, :]) ** 2
    brute = 1 - (w * observed).sum() / (w * chance).sum()
    assert quadratic_weighted_kappa(y_true, y_pred) == pytest.approx(brute)
    # string labels: quadratic weights follow the given order, not the alphabet
    order = np.array(["e", "d", "c", "b", "a"])
    assert quadratic_weighted_kappa(
        order[y_true - 1], order[y_pred - 1], categories=order
    ) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("scorer", "sign"),
    [
        (mean_absolute_class_error_scorer, -1),
        (off_by_more_than_one_rate_scorer, -1),
        (quadratic_weighted_kappa_scorer, 1),
    ],
)
def test_scorers_in_grid_search(scorer, sign):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    y = np.digitize(X @ [1.0, -1.0, 0.5] + rng.logistic(size=150), [-2, 0, 2])
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, scoring=scorer, cv=3
    ).fit(X, y)
    assert np.isfinite(search.best_score_)
    model = LogisticRegression().fit(X, y)
    metric = scorer._score_func
    assert scorer(model, X, y) == pytest.approx(sign * metric(y, model.predict(X)))


_ORDINAL_METRICS = [
    mean_absolute_class_error,
    off_by_more_than_one_rate,
    quadratic_weighted_kappa,
]


@pytest.mark.parametrize("metric", _ORDINAL_METRICS)
@pytest.mark.parametrize(
    ("sample_weight", "error", "match"),
    [
        ([np.nan, 1, 1], ValueError, "sample_weight contains NaN or infinity"),
        ([np.inf, 1, 1], ValueError, "sample_weight contains NaN or infinity"),
        ([-1, 1, 1], ValueError, "sample_weight must be non-negative"),
        ([0, 0, 0], ValueError, "sample_weight is all zeros"),
        ([1, 1], ValueError, "sample_weight has 2 values but y_true has 3"),
        ([[1, 1, 1]], ValueError, "sample_weight must be a 1-d array"),
        (["a", "b", "c"], TypeError, "sample_weight must hold numbers"),
    ],
)
def test_ordinal_metrics_reject_bad_weights(metric, sample_weight, error, match):
    # quadratic_weighted_kappa returned 1.0 with a negative weight
    with pytest.raises(error, match=match):
        metric([1, 2, 3], [1, 3, 3], sample_weight=sample_weight)


@pytest.mark.parametrize("metric", _ORDINAL_METRICS)
@pytest.mark.parametrize(
    ("y_true", "y_pred", "error", "match"),
    [
        ([], [], ValueError, "y_true is empty"),
        ([1.0, np.nan], [1.0, 2.0], ValueError, "y_true contains NaN or infinity"),
        ([1.0, 2.0], [1.0, np.inf], ValueError, "y_pred contains NaN or infinity"),
        ([[1, 2], [2, 1]], [[1, 2], [2, 1]], ValueError, "y_true must be a 1-d"),
        ([1, 2, 3], [1, 2], ValueError, "y_pred has 2 values but y_true has 3"),
        (["a", "b"], ["a", "a"], ValueError, "Pass categories"),
        (
            np.array([2**63 + 1, 2**63], dtype=np.uint64),
            np.array([-1, 2**62], dtype=np.int64),
            ValueError,
            "y_true .* and y_pred .* no common dtype",
        ),
        (
            np.array([2.0**53, 2.0**53 + 2]),
            np.array([2**53 + 1, 2**53 + 2], dtype=np.int64),
            ValueError,
            "no common dtype",
        ),
    ],
)
def test_ordinal_metrics_reject_bad_labels(metric, y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        metric(y_true, y_pred)


@pytest.mark.parametrize(
    ("y_true", "y_pred"),
    [
        # uint64 labels near 2**64 (overflowed in the code lookup)
        (
            np.array([2**64 - 1, 2**64 - 3, 2**64 - 2, 2**64 - 1], dtype=np.uint64),
            np.array([2**64 - 1, 2**64 - 1, 2**64 - 3, 2**64 - 2], dtype=np.uint64),
        ),
        # uint64 above 2**63 against int64: float64 would merge them
        (
            np.array([2**63 + 2, 2**63, 2**63 + 1, 2**62], dtype=np.uint64),
            np.array([2**63 - 1, 2**62, 2**62, 2**62], dtype=np.int64),
        ),
        (
            np.array([-(2**63), 2**63 - 1, -(2**63) + 1, 0], dtype=np.int64),
            np.array([2**63 - 1, 2**63 - 1, -(2**63), -(2**63) + 1], dtype=np.int64),
        ),
    ],
)
def test_ordinal_metrics_exact_on_extreme_integer_labels(y_true, y_pred):
    # reference: the same labels as Python ints, ranked by a plain sort
    labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    rank = {v: i for i, v in enumerate(labels)}
    true_codes = np.array([rank[v] for v in y_true.tolist()])
    pred_codes = np.array([rank[v] for v in y_pred.tolist()])
    distances = np.abs(true_codes - pred_codes)
    assert mean_absolute_class_error(y_true, y_pred) == distances.mean()
    assert off_by_more_than_one_rate(y_true, y_pred) == (distances > 1).mean()
    assert quadratic_weighted_kappa(y_true, y_pred) == pytest.approx(
        cohen_kappa_score(
            true_codes, pred_codes, labels=np.arange(len(labels)), weights="quadratic"
        )
    )


def test_quadratic_weighted_kappa_weights_match_repetition():
    # an integer weight counts like repeating the row: checks weights are used
    y_true = np.array([1, 2, 3, 4, 5, 3])
    y_pred = np.array([2, 2, 3, 5, 4, 1])
    weights = np.array([1, 3, 0, 2, 1, 1])
    repeated = np.repeat(np.arange(6), weights)
    assert quadratic_weighted_kappa(
        y_true, y_pred, sample_weight=weights
    ) == pytest.approx(quadratic_weighted_kappa(y_true[repeated], y_pred[repeated]))


@pytest.mark.parametrize("which", ["y_true", "y_pred"])
def test_an_unordered_categorical_is_named_by_its_argument(which):
    stars = np.arange(10) % 5 + 1
    labels = {"y_true": stars, "y_pred": stars[::-1].copy()}
    labels[which] = pd.Series(labels[which]).astype("category")
    for metric in (quadratic_weighted_kappa, mean_absolute_class_error):
        with pytest.raises(ValueError, match=f"^{which} is an unordered"):
            metric(labels["y_true"], labels["y_pred"])
