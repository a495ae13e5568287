import subprocess
import sys
import time
import tracemalloc
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


def test_unseen_positions_are_rejected_at_predict():
    logs = make_click_logs(20_000, random_state=0)
    keep = logs.positions != 4
    with pytest.warns(UserWarning, match=r"\[4\]"):
        est = PositionBiasEstimator().fit(
            logs.X[keep], logs.y[keep], positions=logs.positions[keep]
        )
    # One propensity per distinct position seen: the gap has none.
    np.testing.assert_array_equal(est.positions_, [1, 2, 3, 5, 6, 7, 8, 9, 10])
    assert est.n_positions_ == 9
    assert est.propensity_.shape == (9,) and np.all(np.isfinite(est.propensity_))
    with pytest.raises(ValueError, match="never seen in fit"):
        est.predict_click_proba(logs.X[:2], positions=[1, 4])
    with pytest.raises(ValueError, match="never seen in fit"):
        est.predict_click_proba(logs.X[:2], positions=[1, 11])
    with pytest.raises(ValueError, match=r"positions \[9223372036854775807\] were"):
        est.predict_click_proba(logs.X[:2], positions=[1, 2**63 - 1])
    click = est.predict_click_proba(logs.X[:3], positions=[1, 5, 10])
    relevance = est.predict_proba(logs.X[:3])[:, 1]
    np.testing.assert_allclose(click, est.propensity_[[0, 3, 8]] * relevance)


def test_gap_positions_give_the_same_estimates_as_consecutive_positions():
    # Positions 1, 2, 5 estimate the same model as the same rows relabelled
    # 1, 2, 3: a gap is no parameter.
    logs = make_click_logs(30_000, n_positions=3, random_state=3)
    gapped = np.array([0, 1, 2, 5])[logs.positions]
    with pytest.warns(UserWarning, match=r"Positions \[3, 4\] have no impression"):
        est = PositionBiasEstimator().fit(logs.X, logs.y, positions=gapped)
    ref = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    np.testing.assert_array_equal(est.positions_, [1, 2, 5])
    np.testing.assert_array_equal(est.propensity_, ref.propensity_)
    np.testing.assert_array_equal(est.coef_, ref.coef_)


def test_zero_weight_position_has_no_propensity():
    logs = make_click_logs(20_000, random_state=0)
    sw = np.where(logs.positions == 7, 0.0, 1.0)
    with pytest.warns(UserWarning, match=r"Positions \[7\] have no impression"):
        est = PositionBiasEstimator().fit(
            logs.X, logs.y, positions=logs.positions, sample_weight=sw
        )
    np.testing.assert_array_equal(est.positions_, np.arange(1, 11))
    assert (
        np.isnan(est.propensity_[6])
        and np.isfinite(np.delete(est.propensity_, 6)).all()
    )
    with pytest.raises(ValueError, match=r"positions \[7\] were never seen in fit"):
        est.predict_click_proba(logs.X[:2], positions=[1, 7])


WRAPPING_POSITIONS = {
    "uint64 2**63": lambda p: np.append(p[:-1].astype(np.uint64), np.uint64(2**63)),
    "uint64 2**64-1": lambda p: np.append(
        p[:-1].astype(np.uint64), np.uint64(2**64 - 1)
    ),
    "float 1e19": lambda p: np.r_[p[:-1], 1e19],
    "object 2**70": lambda p: np.r_[p[:-1].astype(object), 2**70],
}


@pytest.mark.parametrize("make", WRAPPING_POSITIONS.values(), ids=WRAPPING_POSITIONS)
def test_positions_beyond_int64_are_rejected_before_any_kernel(logs_small, make):
    logs = logs_small
    bad = make(logs.positions)
    match = r"positions must hold positive integers .* up to 2\*\*63 - 1"
    with pytest.raises(ValueError, match=match):
        PositionBiasEstimator().fit(logs.X, logs.y, positions=bad)
    est = PositionBiasEstimator().fit(
        logs.X[:5000], logs.y[:5000], positions=logs.positions[:5000]
    )
    with pytest.raises(ValueError, match=match):
        est.predict_click_proba(logs.X[-3:], positions=bad[-3:])


def test_position_column_beyond_int64_is_rejected(logs_small):
    logs = logs_small
    X = np.column_stack([logs.X, logs.positions.astype(float)])
    X[-1, -1] = 1e19
    match = r"positions must hold positive integers .* up to 2\*\*63 - 1"
    with pytest.raises(ValueError, match=match):
        PositionBiasEstimator(position_column=X.shape[1] - 1).fit(X, logs.y)


def test_position_near_two_to_the_63_does_not_crash_the_process():
    # The original report: the minimum was checked before the cast to int64
    # wrapped 2**63 around, and positions - 1 indexed far outside the Fisher
    # matrix (SIGSEGV or heap corruption). Run it in a child process so that a
    # crash fails this test instead of killing the test run.
    code = """
import sys
import numpy as np
from mlfound.datasets import make_click_logs
from mlfound.weighting import PositionBiasEstimator

logs = make_click_logs(5_000, random_state=0)
for bad in (
    np.append(logs.positions[:-1].astype(np.uint64), np.uint64(2**63)),
    np.append(logs.positions[:-1].astype(np.uint64), np.uint64(2**64 - 1)),
    np.r_[logs.positions[:-1], 1e19],
):
    try:
        PositionBiasEstimator().fit(logs.X, logs.y, positions=bad)
    except ValueError as exc:
        assert "2**63 - 1" in str(exc), exc
    else:
        sys.exit("no error")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])


def test_memory_does_not_grow_with_the_largest_position():
    # The statistics have one entry per distinct position: a single row at a
    # huge position costs what a row at position 11 costs. (A dense
    # per-position layout needs an (n_features + 1 + max_position)**2 Fisher
    # matrix: 32 MB for the position 2,000 below, 8 TB for 1e12.)
    logs = make_click_logs(5_000, random_state=0)

    def peak(last_position):
        positions = logs.positions.copy()
        positions[-1] = last_position
        est = PositionBiasEstimator()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            est.fit(logs.X, logs.y, positions=positions)  # compile outside the trace
            tracemalloc.start()
            try:
                est.fit(logs.X, logs.y, positions=positions)
                return tracemalloc.get_traced_memory()[1], est
            finally:
                tracemalloc.stop()

    base, _ = peak(11)
    for last in (2_000, 10**12, 2**63 - 1):
        used, est = peak(last)
        assert used < 2 * base, (last, used, base)
        assert est.n_positions_ == 11
        np.testing.assert_array_equal(est.positions_, np.r_[np.arange(1, 11), last])
    # The warning about the gap lists a few positions, not all of them.
    with pytest.warns(UserWarning, match=r"\[11, 12, .*\] and 1,979 more"):
        PositionBiasEstimator().fit(
            logs.X, logs.y, positions=np.r_[logs.positions[:-1], 2_000]
        )


def test_many_positions_block_elimination_equals_the_dense_solve(monkeypatch):
    # With many distinct positions the scoring step eliminates the diagonal
    # position block instead of solving the dense (n_features + 1 + K)**2
    # system: the same steps, with memory linear in K.
    from mlfound.weighting import _position_bias_solvers

    logs = make_click_logs(30_000, n_positions=200, exponent=0.3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a noisy deep position
        blocked = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
        monkeypatch.setattr(_position_bias_solvers, "_DENSE_SCORING_POSITIONS", 10**6)
        dense = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    assert blocked.n_positions_ == 200
    assert blocked.n_iter_ == dense.n_iter_
    np.testing.assert_allclose(blocked.propensity_, dense.propensity_, rtol=1e-8)
    np.testing.assert_allclose(blocked.coef_, dense.coef_, rtol=1e-8)


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


def test_clicks_as_objects_fit_like_integer_clicks_and_bad_ones_are_named():
    # An object column of 0/1 ints (e.g. from pandas) failed with an
    # AttributeError while the error message was built.
    logs = make_click_logs(5_000, random_state=4)
    expected = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    model = PositionBiasEstimator().fit(
        logs.X, logs.y.astype(object), positions=logs.positions
    )
    np.testing.assert_array_equal(model.propensity_, expected.propensity_)
    np.testing.assert_array_equal(model.coef_, expected.coef_)
    for bad, message in [
        (np.where(logs.y == 1, "yes", "no").astype(object), "y must hold clicks"),
        (logs.y * 2, r"y must hold clicks .*\[0, 2\]"),
        (logs.y + 0.5j, "Complex data not supported"),  # scikit-learn's check
    ]:
        with pytest.raises(ValueError, match=message):
            PositionBiasEstimator().fit(logs.X, bad, positions=logs.positions)
