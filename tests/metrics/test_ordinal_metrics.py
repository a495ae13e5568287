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
