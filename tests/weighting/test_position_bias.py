import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from mlfound.datasets import make_click_logs
from mlfound.weighting import PositionBiasEstimator


@pytest.fixture(scope="module")
def logs_1m():
    return make_click_logs(1_000_000, random_state=0)


@pytest.fixture(scope="module")
def logs_small():
    return make_click_logs(60_000, random_state=1)


def test_recovers_propensities_on_one_million_impressions(logs_1m):
    logs = logs_1m
    est = PositionBiasEstimator(random_state=0)
    start = time.perf_counter()
    est.fit(logs.X, logs.y, positions=logs.positions)
    elapsed = time.perf_counter() - start
    assert est.propensity_[0] == 1.0
    np.testing.assert_allclose(est.propensity_, logs.propensity, atol=0.03)
    # The real check: far better than the naive click-rate ratios.
    ctr = (
        np.bincount(logs.positions, weights=logs.y)[1:]
        / np.bincount(logs.positions)[1:]
    )
    naive_error = np.max(np.abs(ctr / ctr[0] - logs.propensity) / logs.propensity)
    assert naive_error > 0.5
    np.testing.assert_allclose(est.coef_[0], logs.coef, atol=0.03)
    assert est.n_iter_ >= 1
    # Loose bound (shared CI machines); the benchmark reports the real time.
    assert elapsed < 10


def test_predict_proba_is_position_neutral_relevance(logs_1m):
    est = PositionBiasEstimator(random_state=0).fit(
        logs_1m.X[:300_000], logs_1m.y[:300_000], positions=logs_1m.positions[:300_000]
    )
    proba = est.predict_proba(logs_1m.X[-50_000:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], logs_1m.relevance[-50_000:], atol=0.03)
    assert np.array_equal(
        est.predict(logs_1m.X[-50_000:]), (proba[:, 1] > 0.5).astype(int)
    )
    click = est.predict_click_proba(logs_1m.X[:5], positions=[1, 2, 3, 10, 10])
    np.testing.assert_allclose(
        click, est.propensity_[[0, 1, 2, 9, 9]] * est.predict_proba(logs_1m.X[:5])[:, 1]
    )


@pytest.mark.parametrize("solver", ["lbfgs", "em"])
def test_solvers_agree(logs_small, solver):
    logs = logs_small
    ref = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    other = PositionBiasEstimator(solver=solver, max_iter=1000).fit(
        logs.X, logs.y, positions=logs.positions
    )
    # L-BFGS optimises the same objective; EM converges slowly to it.
    atol = 2e-3 if solver == "lbfgs" else 0.02
    np.testing.assert_allclose(other.propensity_, ref.propensity_, atol=atol)
    np.testing.assert_allclose(other.coef_, ref.coef_, atol=atol * 2)


def test_randomized_bucket_direct_estimate():
    logs = make_click_logs(400_000, randomized_fraction=0.5, random_state=2)
    est = PositionBiasEstimator().fit(
        logs.X, logs.y, positions=logs.positions, randomized=logs.randomized
    )
    bucket = logs.randomized
    ctr = np.array(
        [logs.y[bucket & (logs.positions == k)].mean() for k in range(1, 11)]
    )
    np.testing.assert_allclose(est.propensity_, ctr / ctr[0], rtol=1e-10)
    np.testing.assert_allclose(est.propensity_, logs.propensity, atol=0.03)
    np.testing.assert_allclose(est.coef_[0], logs.coef, atol=0.05)


def test_position_column_index_and_name(logs_small):
    logs = logs_small
    ref = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    X_col = np.column_stack([logs.X[:, :2], logs.positions, logs.X[:, 2:]])
    by_index = PositionBiasEstimator(position_column=2).fit(X_col, logs.y)
    frame = pd.DataFrame(X_col, columns=["a", "b", "pos", "c", "d", "e"])
    by_name = PositionBiasEstimator(position_column="pos").fit(frame, logs.y)
    for est in (by_index, by_name):
        np.testing.assert_allclose(est.propensity_, ref.propensity_, rtol=1e-8)
        np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-8)
    # The position column is ignored at predict time.
    X_moved = X_col.copy()
    X_moved[:, 2] = 7
    np.testing.assert_allclose(
        by_index.predict_proba(X_moved), ref.predict_proba(logs.X), rtol=1e-8
    )
    np.testing.assert_allclose(
        by_name.predict_proba(frame), ref.predict_proba(logs.X), rtol=1e-8
    )


def test_without_positions_warns_and_fits_logistic_regression(logs_small):
    logs = logs_small
    with pytest.warns(UserWarning, match="No positions"):
        est = PositionBiasEstimator(tol=1e-10).fit(logs.X, logs.y)
    lr = LogisticRegression(tol=1e-10).fit(logs.X, logs.y)
    np.testing.assert_allclose(est.coef_, lr.coef_, rtol=1e-5)
    np.testing.assert_allclose(est.intercept_, lr.intercept_, rtol=1e-5)
    np.testing.assert_array_equal(est.propensity_, [1.0])


def test_restarts_are_reproducible(logs_small):
    logs = logs_small
    kwargs = {"n_init": 3, "random_state": 0}
    a = PositionBiasEstimator(**kwargs).fit(logs.X, logs.y, positions=logs.positions)
    b = PositionBiasEstimator(**kwargs, n_jobs=2).fit(
        logs.X, logs.y, positions=logs.positions
    )
    np.testing.assert_array_equal(a.propensity_, b.propensity_)
    single = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    # The likelihood has one optimum here: every start reaches it.
    np.testing.assert_allclose(a.propensity_, single.propensity_, atol=1e-4)


def test_float32_and_sample_weight(logs_small):
    logs = logs_small
    est32 = PositionBiasEstimator().fit(
        logs.X.astype(np.float32), logs.y, positions=logs.positions
    )
    est64 = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    np.testing.assert_allclose(est32.propensity_, est64.propensity_, atol=1e-4)
    # Integer weights equal repeated rows.
    rng = np.random.RandomState(0)
    sw = rng.randint(0, 3, logs.y.shape[0])
    weighted = PositionBiasEstimator(tol=1e-9).fit(
        logs.X, logs.y, positions=logs.positions, sample_weight=sw
    )
    rep = np.repeat(np.arange(sw.shape[0]), sw)
    repeated = PositionBiasEstimator(tol=1e-9).fit(
        logs.X[rep], logs.y[rep], positions=logs.positions[rep]
    )
    np.testing.assert_allclose(weighted.propensity_, repeated.propensity_, rtol=1e-6)
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6)


def test_unseen_positions_are_nan_and_rejected_at_predict():
    logs = make_click_logs(20_000, random_state=0)
    keep = logs.positions != 4
    with pytest.warns(UserWarning, match=r"\[4\]"):
        est = PositionBiasEstimator().fit(
            logs.X[keep], logs.y[keep], positions=logs.positions[keep]
        )
    assert np.isnan(est.propensity_[3])
    with pytest.raises(ValueError, match="never seen in fit"):
        est.predict_click_proba(logs.X[:2], positions=[1, 4])
    with pytest.raises(ValueError, match="never seen in fit"):
        est.predict_click_proba(logs.X[:2], positions=[1, 11])


def test_convergence_warning(logs_small):
    logs = logs_small
    with pytest.warns(ConvergenceWarning):
        PositionBiasEstimator(solver="em", max_iter=2).fit(
            logs.X, logs.y, positions=logs.positions
        )


@pytest.mark.parametrize(
    ("positions", "match"),
    [
        (lambda p: p - 1, "positive integers"),
        (lambda p: p + 0.5, "positive integers"),
        (lambda p: -p, "positive integers"),
        (lambda p: p[:-1], "shape"),
        (lambda p: np.where(p == 1, 2, p), "position 1"),
    ],
)
def test_bad_positions(logs_small, positions, match):
    logs = logs_small
    with pytest.raises(ValueError, match=match):
        PositionBiasEstimator().fit(logs.X, logs.y, positions=positions(logs.positions))


def test_other_errors(logs_small):
    logs = logs_small
    est = PositionBiasEstimator(position_column=0)
    with pytest.raises(ValueError, match="given twice"):
        est.fit(logs.X, logs.y, positions=logs.positions)
    with pytest.raises(ValueError, match="0 \\(no click\\) or 1"):
        PositionBiasEstimator().fit(logs.X, logs.y * 2, positions=logs.positions)
    with pytest.raises(ValueError, match="column name"):
        PositionBiasEstimator(position_column="pos").fit(logs.X, logs.y)
    with pytest.raises(ValueError, match="out of range"):
        PositionBiasEstimator(position_column=9).fit(logs.X, logs.y)
    with pytest.raises(ValueError, match="randomized must be a boolean"):
        PositionBiasEstimator().fit(
            logs.X, logs.y, positions=logs.positions, randomized=np.ones(3)
        )
    with pytest.raises(ValueError, match="single class"):
        PositionBiasEstimator().fit(
            logs.X, np.zeros_like(logs.y), positions=logs.positions
        )


def test_warns_when_a_position_is_examined_more_than_position_one():
    rng = np.random.RandomState(0)
    n = 200_000
    X = rng.standard_normal((n, 3))
    positions = rng.randint(1, 5, n)
    relevance = 1 / (1 + np.exp(-(X @ [1.0, -1.0, 0.5] - 1.0)))

    def clicks(theta):
        return (rng.random_sample(n) < theta[positions - 1] * relevance).astype(int)

    # Position 2 examined twice as often as position 1: outside the model.
    with pytest.warns(UserWarning, match=r"position\(s\) \[2\] reached the bound"):
        PositionBiasEstimator().fit(
            X, clicks(np.array([0.5, 1.0, 0.4, 0.2])), positions=positions
        )
    # Decreasing examination: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        PositionBiasEstimator().fit(
            X, clicks(np.array([1.0, 0.5, 0.4, 0.2])), positions=positions
        )
