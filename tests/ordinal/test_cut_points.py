"""OrdinalCutPointClassifier: out-of-fold cut points that minimise an ordinal loss."""

from itertools import combinations_with_replacement

import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import cohen_kappa_score
from sklearn.model_selection import (
    GroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    cross_val_predict,
)

from mlfound.datasets import make_star_ratings
from mlfound.metrics import quadratic_weighted_kappa
from mlfound.ordinal import OrdinalCutPointClassifier
from mlfound.ordinal._cut_point_search import _cut_values, _learn_cut_points


def _small_problem(n=36, n_classes=4, seed=0):
    data = make_star_ratings(n, n_features=2, n_classes=n_classes, random_state=seed)
    return data.X, data.y


def _ordered_positions(n_groups, n_cuts):
    """Every choice of cut positions 0 <= p_0 <= ... <= p_{K-2} <= G."""
    return combinations_with_replacement(range(n_groups + 1), n_cuts)


def _labels(scores, values, positions):
    """Class rank of each score when cut ``k`` sits before group ``p_k``."""
    group = np.searchsorted(values, scores)
    return np.searchsorted(np.asarray(positions), group, side="right")


@pytest.mark.parametrize(
    "loss",
    ["mae", np.array([[0, 1, 5, 9], [2, 0, 1, 4], [6, 2, 0, 1], [9, 7, 3, 0.0]])],
    ids=["mae", "cost_matrix"],
)
def test_cut_points_minimise_the_loss_on_oof_predictions(loss):
    X, y = _small_problem()
    weights = np.random.default_rng(0).uniform(0.2, 2.0, size=y.shape[0])
    model = OrdinalCutPointClassifier(LinearRegression(), loss=loss, cv=3).fit(
        X, y, sample_weight=weights
    )
    codes = y - 1
    # the out-of-fold predictions, independently
    oof = cross_val_predict(
        LinearRegression(),
        X,
        codes.astype(float),
        cv=StratifiedKFold(3),
        groups=None,
        params={"sample_weight": weights},
    )
    np.testing.assert_allclose(model.oof_predictions_, oof)
    cost = (
        np.abs(np.arange(4)[:, None] - np.arange(4)) if isinstance(loss, str) else loss
    )
    values = np.unique(oof)
    brute = min(
        np.sum(weights * cost[codes, _labels(oof, values, p)])
        for p in _ordered_positions(values.shape[0], 3)
    )
    learned = np.searchsorted(model.cut_points_, oof, side="left")
    achieved = np.sum(weights * cost[codes, learned])
    assert achieved == pytest.approx(brute, rel=1e-12)
    assert model.oof_loss_ == pytest.approx(brute / weights.sum(), rel=1e-12)


def test_qwk_cut_points_are_a_local_optimum_no_single_move_improves():
    X, y = _small_problem(n=40, seed=1)
    weights = np.random.default_rng(1).uniform(0.2, 2.0, size=y.shape[0])
    model = OrdinalCutPointClassifier(LinearRegression(), loss="qwk", cv=3).fit(
        X, y, sample_weight=weights
    )
    oof, codes = model.oof_predictions_, y - 1
    values = np.unique(oof)

    def kappa(labels):
        return cohen_kappa_score(
            codes,
            labels,
            labels=np.arange(4),
            weights="quadratic",
            sample_weight=weights,
        )

    learned = np.searchsorted(model.cut_points_, oof, side="left")
    best = kappa(learned)
    assert model.oof_loss_ == pytest.approx(1 - best, rel=1e-10)
    # the learned positions, then every move of one cut point between its
    # neighbours, scored by scikit-learn
    pos = [int(np.sum(values <= c)) for c in model.cut_points_]
    assert np.array_equal(_labels(oof, values, pos), learned)
    n_moves = 0
    for k in range(3):
        lo = pos[k - 1] if k else 0
        hi = pos[k + 1] if k < 2 else values.shape[0]
        for p in range(lo, hi + 1):
            moved = [*pos[:k], p, *pos[k + 1 :]]
            assert kappa(_labels(oof, values, moved)) <= best + 1e-12
            n_moves += 1
    assert n_moves > 3
    # and it is at least as good as the exact MAE solution it starts from
    mae_model = OrdinalCutPointClassifier(LinearRegression(), cv=3).fit(
        X, y, sample_weight=weights
    )
    start = np.searchsorted(mae_model.cut_points_, oof, side="left")
    assert best > kappa(start)


def test_learned_cut_points_beat_rounding_on_held_out_qwk():
    # the full study over more seeds is in the user guide
    for seed in range(3):
        data = make_star_ratings(4000, n_features=5, random_state=seed)
        X_train, y_train = data.X[:800], data.y[:800]
        X_test, y_test = data.X[800:], data.y[800:]
        model = OrdinalCutPointClassifier(Ridge(), loss="qwk").fit(X_train, y_train)
        score = model.latent_score(X_test)
        rounded = np.clip(np.round(score), 0, 4).astype(int) + 1
        learned = quadratic_weighted_kappa(y_test, model.predict(X_test))
        assert learned > quadratic_weighted_kappa(y_test, rounded) + 0.01


def test_refit_on_all_rows_and_predict_through_the_cut_points():
    X, y = _small_problem(n=80, seed=2)
    model = OrdinalCutPointClassifier(Ridge(alpha=0.5)).fit(X, y)
    ref = Ridge(alpha=0.5).fit(X, (y - 1).astype(float))
    np.testing.assert_allclose(model.estimator_.coef_, ref.coef_)
    score = ref.predict(X)
    np.testing.assert_allclose(model.latent_score(X), score)
    expected = 1 + np.sum(score[:, None] > model.cut_points_[None, :], axis=1)
    np.testing.assert_array_equal(model.predict(X), expected)
    assert (np.diff(model.cut_points_) >= 0).all()
    assert model.n_sweeps_ == 0


def test_cut_values_separate_adjacent_and_huge_scores():
    tiny = np.nextafter(1.0, 2.0)
    for values in (np.array([1.0, tiny, 3.0]), np.array([1e300, 2e300, 3e300])):
        for positions in _ordered_positions(3, 2):
            positions = np.asarray(positions)
            cuts = _cut_values(positions, values)
            got = np.searchsorted(cuts, values, side="left")
            np.testing.assert_array_equal(got, _labels(values, values, positions))


def test_learn_cut_points_ignores_zero_weight_rows():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 3, size=30)
    scores = codes + rng.normal(scale=0.8, size=30)
    weights = rng.uniform(0.5, 1.5, size=30)
    weights[:8] = 0.0
    full = _learn_cut_points(scores, codes, weights, 3, "qwk")
    kept = _learn_cut_points(scores[8:], codes[8:], weights[8:], 3, "qwk")
    np.testing.assert_array_equal(full[0], kept[0])
    assert full[1] == kept[1]


def test_time_series_split_leaves_uncovered_rows_out():
    X, y = _small_problem(n=60, n_classes=3, seed=4)
    model = OrdinalCutPointClassifier(cv=TimeSeriesSplit(3)).fit(X, y)
    covered = ~np.isnan(model.oof_predictions_)
    assert covered.sum() == 45 and not covered[:15].any()


def test_metadata_routing_of_groups_and_weights():
    X, y = _small_problem(n=60, n_classes=3, seed=5)
    groups = np.arange(60) // 6
    sw = np.linspace(0.5, 1.5, 60)
    with sklearn.config_context(enable_metadata_routing=True):
        inner = Ridge().set_fit_request(sample_weight=True)
        model = OrdinalCutPointClassifier(inner, cv=GroupKFold(3)).fit(
            X, y, sample_weight=sw, groups=groups
        )
    oof = cross_val_predict(
        Ridge(),
        X,
        (y - 1.0),
        cv=GroupKFold(3),
        groups=groups,
        params={"sample_weight": sw},
    )
    np.testing.assert_allclose(model.oof_predictions_, oof)
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        OrdinalCutPointClassifier().fit(X, y, groups=groups)


class _NaNRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None):
        self.n_ = X.shape[0]
        return self

    def predict(self, X):
        return np.full(X.shape[0], np.nan)


def test_errors_name_the_argument():
    X, y = _small_problem(n=40, n_classes=3, seed=6)
    with pytest.raises(ValueError, match="loss has shape"):
        OrdinalCutPointClassifier(loss=np.ones((4, 4))).fit(X, y)
    with pytest.raises(ValueError, match="negative"):
        OrdinalCutPointClassifier(loss=-np.ones((3, 3))).fit(X, y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        OrdinalCutPointClassifier(_NaNRegressor(), cv=2).fit(X, y)
    with pytest.raises(ValueError, match="overlap"):
        OrdinalCutPointClassifier(cv=[(np.arange(20), np.arange(20, 40))] * 2).fit(X, y)
    single = [(np.flatnonzero(y != 1), np.flatnonzero(y == 1))]
    with pytest.raises(ValueError, match="one class only"):
        OrdinalCutPointClassifier(loss="qwk", cv=single).fit(X, y)
