import numpy as np
import pandas as pd
import pytest
import sklearn
from scipy.stats import spearmanr
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlfound.datasets import make_click_logs
from mlfound.utils._param_validation import InvalidParameterError
from mlfound.weighting import IPSReweighter, PositionBiasEstimator


@pytest.fixture(scope="module")
def logs():
    return make_click_logs(40_000, random_state=0)


def _ips_weights(y, positions, theta):
    return np.where(y == 1, 1.0 / theta[positions - 1], 1.0)


def test_ranks_by_relevance_better_than_raw_clicks():
    data = make_click_logs(400_000, random_state=0)
    train, test = slice(0, 300_000), slice(300_000, None)
    naive = LogisticRegression().fit(data.X[train], data.y[train])
    ips = IPSReweighter(LogisticRegression()).fit(
        data.X[train], data.y[train], positions=data.positions[train]
    )
    truth = data.relevance[test]
    rho_naive = spearmanr(naive.decision_function(data.X[test]), truth)[0]
    rho_ips = spearmanr(ips.decision_function(data.X[test]), truth)[0]
    assert rho_ips >= 0.98
    assert rho_naive <= 0.9
    assert rho_ips - rho_naive >= 0.08
    assert isinstance(ips.propensity_estimator_, PositionBiasEstimator)
    np.testing.assert_allclose(ips.propensity_, data.propensity, atol=0.03)


def test_true_propensities_equal_hand_computed_weights(logs):
    ips = IPSReweighter(LogisticRegression(), propensity=logs.propensity).fit(
        logs.X, logs.y, positions=logs.positions
    )
    weights = _ips_weights(logs.y, logs.positions, logs.propensity)
    ref = LogisticRegression().fit(logs.X, logs.y, sample_weight=weights)
    np.testing.assert_array_equal(ips.estimator_.coef_, ref.coef_)
    np.testing.assert_array_equal(ips.estimator_.intercept_, ref.intercept_)
    np.testing.assert_array_equal(ips.predict_proba(logs.X), ref.predict_proba(logs.X))
    np.testing.assert_array_equal(ips.classes_, [0, 1])
    assert ips.propensity_estimator_ is None
    np.testing.assert_array_equal(ips.propensity_, logs.propensity)


def test_clipping_normalization_and_sample_weight(logs):
    rng = np.random.RandomState(0)
    sw = rng.uniform(0.5, 2.0, logs.y.shape[0])
    ips = IPSReweighter(
        LogisticRegression(), propensity=logs.propensity, max_weight=4.0, normalize=True
    ).fit(logs.X, logs.y, positions=logs.positions, sample_weight=sw)
    weights = _ips_weights(logs.y, logs.positions, logs.propensity)
    assert ips.n_clipped_ == np.count_nonzero(weights > 4.0) > 0
    weights = np.minimum(weights, 4.0)
    weights = weights / np.average(weights, weights=sw) * sw
    ref = LogisticRegression().fit(logs.X, logs.y, sample_weight=weights)
    np.testing.assert_array_equal(ips.estimator_.coef_, ref.coef_)


def test_per_row_observation_propensities_missing_not_at_random():
    # Ratings observed with a probability that grows with the rating: the
    # observed mean is biased upward, the IPS-weighted mean is not.
    rng = np.random.RandomState(0)
    X = rng.standard_normal((20_000, 2))
    y = X @ [1.0, -0.5] + 3 + rng.standard_normal(20_000)
    p_obs = 1 / (1 + np.exp(-(y - 3)))
    seen = rng.random_sample(20_000) < p_obs
    ips = IPSReweighter(LinearRegression()).fit(
        X[seen], y[seen], propensities=p_obs[seen]
    )
    ref = LinearRegression().fit(X[seen], y[seen], sample_weight=1 / p_obs[seen])
    np.testing.assert_array_equal(ips.estimator_.coef_, ref.coef_)
    assert sklearn.base.is_regressor(ips)
    assert ips.score(X, y) == pytest.approx(ref.score(X, y))
    naive = LinearRegression().fit(X[seen], y[seen])
    assert abs(ips.estimator_.intercept_ - 3) < abs(naive.intercept_ - 3)


def test_position_column_is_dropped_at_predict(logs):
    X_col = np.column_stack([logs.positions, logs.X])
    kwargs = {"propensity": logs.propensity}
    by_column = IPSReweighter(position_column=0, **kwargs).fit(X_col, logs.y)
    by_metadata = IPSReweighter(**kwargs).fit(logs.X, logs.y, positions=logs.positions)
    np.testing.assert_array_equal(
        by_column.estimator_.coef_, by_metadata.estimator_.coef_
    )
    assert by_column.n_features_in_ == 6
    assert by_column.estimator_.n_features_in_ == 5
    X_other = X_col.copy()
    X_other[:, 0] = 9
    np.testing.assert_array_equal(
        by_column.predict_proba(X_other), by_metadata.predict_proba(logs.X)
    )
    frame = pd.DataFrame(X_col, columns=["pos", "a", "b", "c", "d", "e"])
    by_name = IPSReweighter(position_column="pos", **kwargs).fit(frame, logs.y)
    np.testing.assert_allclose(
        by_name.predict_proba(frame), by_column.predict_proba(X_col)
    )
    assert list(by_name.estimator_.feature_names_in_) == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("neutral", [1, "median"])
def test_position_as_feature_is_set_to_neutral_at_predict(logs, neutral):
    X_col = np.column_stack([logs.X, logs.positions])
    ips = IPSReweighter(
        propensity=logs.propensity,
        position_column=5,
        position_as_feature=True,
        neutral_position=neutral,
    ).fit(X_col, logs.y)
    expected_neutral = 1 if neutral == 1 else int(np.median(logs.positions))
    assert ips.neutral_position_ == expected_neutral
    assert ips.estimator_.n_features_in_ == 6
    X_neutral = X_col.copy()
    X_neutral[:, 5] = expected_neutral
    np.testing.assert_array_equal(
        ips.decision_function(X_col), ips.estimator_.decision_function(X_neutral)
    )
    # The same through positions= (the position becomes a last column).
    meta = IPSReweighter(
        propensity=logs.propensity, position_as_feature=True, neutral_position=neutral
    ).fit(logs.X, logs.y, positions=logs.positions)
    np.testing.assert_array_equal(meta.estimator_.coef_, ips.estimator_.coef_)
    np.testing.assert_array_equal(meta.predict(logs.X), ips.predict(X_col))


def test_metadata_routing_in_pipeline_and_grid_search(logs):
    with sklearn.config_context(enable_metadata_routing=True):
        ips = IPSReweighter(
            LogisticRegression().set_fit_request(sample_weight=True),
            propensity=logs.propensity,
        ).set_fit_request(positions=True, sample_weight=True)
        pipe = make_pipeline(StandardScaler().set_fit_request(sample_weight=False), ips)
        sw = np.full(logs.y.shape[0], 2.0)
        pipe.fit(logs.X, logs.y, positions=logs.positions, sample_weight=sw)
        direct = IPSReweighter(propensity=logs.propensity).fit(
            StandardScaler().fit_transform(logs.X),
            logs.y,
            positions=logs.positions,
            sample_weight=sw,
        )
        np.testing.assert_allclose(
            pipe[-1].estimator_.coef_, direct.estimator_.coef_, rtol=1e-10
        )
        search = GridSearchCV(
            IPSReweighter(propensity=logs.propensity).set_fit_request(positions=True),
            {"max_weight": [None, 3.0]},
            cv=3,
        )
        search.fit(logs.X, logs.y, positions=logs.positions)
        assert search.best_estimator_.propensity_ is not None


def test_extra_fit_params_need_routing(logs):
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        IPSReweighter().fit(logs.X, logs.y, positions=logs.positions, groups=logs.y)


def test_without_positions_warns_and_is_unweighted(logs):
    with pytest.warns(UserWarning, match="No positions"):
        ips = IPSReweighter().fit(logs.X, logs.y)
    np.testing.assert_array_equal(
        ips.estimator_.coef_, LogisticRegression().fit(logs.X, logs.y).coef_
    )


def test_errors(logs):
    X, y, pos = logs.X, logs.y, logs.positions
    with pytest.raises(ValueError, match="given twice"):
        IPSReweighter(position_column=0).fit(X, y, positions=pos)
    with pytest.raises(ValueError, match="no positions"):
        IPSReweighter(propensity=logs.propensity).fit(X, y)
    with pytest.raises(ValueError, match="both given"):
        IPSReweighter().fit(X, y, positions=pos, propensities=np.full(y.shape, 0.5))
    with pytest.raises(ValueError, match="both given"):
        IPSReweighter(propensity=logs.propensity).fit(
            X, y, propensities=np.full(y.shape, 0.5)
        )
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        IPSReweighter(propensity=np.r_[logs.propensity[:-1], 0.0]).fit(
            X, y, positions=pos
        )
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        IPSReweighter().fit(X, y, propensities=np.full(y.shape, 1.5))
    with pytest.raises(ValueError, match="only 5 entries"):
        IPSReweighter(propensity=logs.propensity[:5]).fit(X, y, positions=pos)
    with pytest.raises(ValueError, match="positive integers"):
        IPSReweighter().fit(X, y, positions=pos - 1)
    with pytest.raises(ValueError, match="0 \\(no click\\) or 1"):
        IPSReweighter().fit(X, y + 1, positions=pos)
    with pytest.raises(ValueError, match="never seen in fit"):
        IPSReweighter(
            propensity=logs.propensity, position_as_feature=True, neutral_position=11
        ).fit(X, y, positions=pos)
    for bad in (0.0, -1.0):
        with pytest.raises(InvalidParameterError, match="max_weight"):
            IPSReweighter(max_weight=bad).fit(X, y, positions=pos)


def test_configured_propensity_estimator_and_randomized_bucket():
    data = make_click_logs(100_000, randomized_fraction=0.5, random_state=3)
    template = PositionBiasEstimator(solver="lbfgs")
    ips = IPSReweighter(propensity=template).fit(
        data.X, data.y, positions=data.positions, randomized=data.randomized
    )
    assert ips.propensity_estimator_ is not template
    assert ips.propensity_estimator_.solver == "lbfgs"
    assert not hasattr(template, "propensity_")
    bucket = data.randomized
    ctr = np.array(
        [data.y[bucket & (data.positions == k)].mean() for k in range(1, 11)]
    )
    np.testing.assert_allclose(ips.propensity_, ctr / ctr[0], rtol=1e-10)


def test_position_column_as_feature_does_not_leak_into_the_propensity_model():
    logs = make_click_logs(20_000, random_state=0)
    X_with_position = np.column_stack([logs.X, logs.positions])
    by_column = IPSReweighter(
        LogisticRegression(), position_column=5, position_as_feature=True
    ).fit(X_with_position, logs.y)
    by_metadata = IPSReweighter(LogisticRegression()).fit(
        logs.X, logs.y, positions=logs.positions
    )
    # The relevance model inside the propensity estimate sees the features
    # only; the inner estimator gets the position column.
    assert by_column.propensity_estimator_.coef_.shape == (1, logs.X.shape[1])
    np.testing.assert_allclose(by_column.propensity_, by_metadata.propensity_)
    assert by_column.estimator_.coef_.shape == (1, logs.X.shape[1] + 1)


def test_self_normalised_weights_treat_a_weight_of_k_as_k_copies():
    logs = make_click_logs(20_000, random_state=0)
    X, y, pos = logs.X, logs.y, logs.positions
    w = np.where(pos > 5, 4, 1)
    theta = 1.0 / np.arange(1, 11)
    kwargs = {"propensity": theta, "normalize": True}
    weighted = IPSReweighter(LogisticRegression(C=0.01), **kwargs).fit(
        X, y, positions=pos, sample_weight=w
    )
    repeated = IPSReweighter(LogisticRegression(C=0.01), **kwargs).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w), positions=np.repeat(pos, w)
    )
    np.testing.assert_allclose(
        weighted.estimator_.coef_, repeated.estimator_.coef_, atol=1e-8
    )


def test_random_state_makes_the_default_propensity_model_reproducible():
    logs = make_click_logs(250_000, random_state=0)
    fits = [
        IPSReweighter(LogisticRegression(), random_state=0).fit(
            logs.X, logs.y, positions=logs.positions
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(fits[0].propensity_, fits[1].propensity_)
    assert fits[0].propensity_estimator_.random_state == 0


SENTINEL_POSITIONS = {
    "uint64 2**64-1": lambda p: np.append(
        p[:-1].astype(np.uint64), np.uint64(2**64 - 1)
    ),
    "uint64 2**63": lambda p: np.append(p[:-1].astype(np.uint64), np.uint64(2**63)),
    "float 1e19": lambda p: np.r_[p[:-1], 1e19],
}


@pytest.mark.parametrize("make", SENTINEL_POSITIONS.values(), ids=SENTINEL_POSITIONS)
@pytest.mark.parametrize("given", [True, False], ids=["given", "estimated"])
def test_positions_beyond_int64_are_rejected(logs, make, given):
    # A uint64 2**64 - 1 "unknown" sentinel used to wrap to -1 in the cast to
    # int64 and take the weight of position 10 (theta[-2]) without a word.
    ips = IPSReweighter(propensity=logs.propensity if given else None)
    with pytest.raises(ValueError, match=r"positions must hold .* up to 2\*\*63 - 1"):
        ips.fit(logs.X, logs.y, positions=make(logs.positions))


def test_position_column_beyond_int64_is_rejected(logs):
    X = np.column_stack([logs.X, logs.positions.astype(float)])
    X[0, -1] = 1e19
    with pytest.raises(ValueError, match=r"positions must hold .* up to 2\*\*63 - 1"):
        IPSReweighter(position_column=X.shape[1] - 1).fit(X, logs.y)


def test_estimated_propensities_with_gaps_and_huge_positions(logs):
    # Positions 1..9 and one at 10**12: one propensity per distinct position,
    # and each click weighted by the propensity of its own position.
    positions = logs.positions.copy()
    positions[positions == 10] = 10**12
    with pytest.warns(UserWarning, match="have no impression"):
        ips = IPSReweighter(LogisticRegression()).fit(
            logs.X, logs.y, positions=positions
        )
    np.testing.assert_array_equal(ips.positions_, np.r_[np.arange(1, 10), 10**12])
    np.testing.assert_array_equal(
        ips.propensity_, ips.propensity_estimator_.propensity_
    )
    theta = ips.propensity_[np.searchsorted(ips.positions_, positions)]
    weights = np.where(logs.y == 1, 1.0 / theta, 1.0)
    ref = LogisticRegression().fit(logs.X, logs.y, sample_weight=weights)
    np.testing.assert_array_equal(ips.estimator_.coef_, ref.coef_)
    # The same fit as with the positions relabelled 1..10.
    plain = IPSReweighter(LogisticRegression()).fit(
        logs.X, logs.y, positions=logs.positions
    )
    np.testing.assert_array_equal(ips.propensity_, plain.propensity_)
    np.testing.assert_array_equal(ips.estimator_.coef_, plain.estimator_.coef_)


def test_given_propensity_positions_and_length(logs):
    ips = IPSReweighter(propensity=logs.propensity).fit(
        logs.X, logs.y, positions=logs.positions
    )
    np.testing.assert_array_equal(ips.positions_, np.arange(1, 11))
    with pytest.raises(ValueError, match="only 9 entries"):
        IPSReweighter(propensity=logs.propensity[:9]).fit(
            logs.X, logs.y, positions=logs.positions
        )
    with pytest.raises(ValueError, match="only 0 entries"):
        IPSReweighter(propensity=np.array([])).fit(
            logs.X, logs.y, positions=logs.positions
        )
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match=r"propensity must lie in \(0, 1\]"):
            IPSReweighter(propensity=np.r_[logs.propensity[:-1], bad]).fit(
                logs.X, logs.y, positions=logs.positions
            )
    with pytest.raises(ValueError, match=r"propensities must lie in \(0, 1\]"):
        IPSReweighter().fit(
            logs.X, logs.y, propensities=np.r_[np.full(logs.y.size - 1, 0.5), np.nan]
        )
    with pytest.raises(ValueError, match=r"propensities must have shape \(40000,\)"):
        IPSReweighter().fit(logs.X, logs.y, propensities=np.full(10, 0.5))


def test_position_whose_rows_all_have_zero_weight(logs):
    # Its propensity is NaN (nothing to estimate it from); its rows weigh
    # nothing, so the fit equals the fit without them instead of failing on
    # NaN weights.
    sw = np.where(logs.positions == 7, 0.0, 1.0)
    with pytest.warns(UserWarning, match=r"Positions \[7\] have no impression"):
        ips = IPSReweighter(LogisticRegression(), normalize=True).fit(
            logs.X, logs.y, positions=logs.positions, sample_weight=sw
        )
    assert np.isnan(ips.propensity_[6])
    keep = sw > 0
    theta = ips.propensity_[logs.positions[keep] - 1]
    weights = np.where(logs.y[keep] == 1, 1.0 / theta, 1.0)
    ref = LogisticRegression().fit(
        logs.X[keep], logs.y[keep], sample_weight=weights / weights.mean()
    )
    np.testing.assert_allclose(ips.estimator_.coef_, ref.coef_, rtol=1e-5)
