import numpy as np
import pytest

from mlfound.datasets import make_click_logs


def test_shapes_and_ground_truth():
    logs = make_click_logs(1_005, n_positions=10, n_features=4, random_state=0)
    n = 1_005
    assert logs.X.shape == (n, 4)
    for key in ("y", "positions", "query_id", "randomized", "relevance", "examined"):
        assert logs[key].shape == (n,)
    assert set(np.unique(logs.y)) <= {0, 1}
    assert logs.positions.min() == 1
    assert logs.positions.max() == 10
    # The last list is short: 1005 = 100 * 10 + 5.
    assert np.array_equal(
        np.sort(logs.positions[logs.query_id == 100]), np.arange(1, 6)
    )
    np.testing.assert_allclose(logs.propensity, 1 / np.arange(1, 11))
    np.testing.assert_allclose(
        logs.relevance, 1 / (1 + np.exp(-(logs.X @ logs.coef + logs.intercept)))
    )
    # A click needs an examination.
    assert not np.any(logs.y.astype(bool) & ~logs.examined)
    assert logs.feature_names == ["x0", "x1", "x2", "x3"]
    assert "position" in logs.DESCR


def test_reproducible():
    a = make_click_logs(500, random_state=3)
    b = make_click_logs(500, random_state=3)
    for key in ("X", "y", "positions", "relevance"):
        np.testing.assert_array_equal(a[key], b[key])


def test_click_rate_per_position_is_relevance_times_propensity():
    logs = make_click_logs(200_000, random_state=0)
    for k in range(1, 11):
        at_k = logs.positions == k
        expected = logs.propensity[k - 1] * logs.relevance[at_k]
        ctr = logs.y[at_k].mean()
        # Clicks are independent Bernoulli draws given the rows.
        se = np.sqrt(np.sum(expected * (1 - expected))) / at_k.sum()
        assert abs(ctr - expected.mean()) < 4 * se


def test_positions_are_confounded_with_relevance():
    logs = make_click_logs(100_000, random_state=0)
    mean_relevance = [logs.relevance[logs.positions == k].mean() for k in (1, 5, 10)]
    assert mean_relevance[0] > mean_relevance[1] > mean_relevance[2] + 0.1
    # Naive click-rate ratios are far off the true propensities (the material's
    # "about 60% off" at position 10).
    ctr = np.array([logs.y[logs.positions == k].mean() for k in range(1, 11)])
    assert ctr[9] / ctr[0] < 0.6 * logs.propensity[9]


def test_randomized_bucket_gives_position_one_ctr_of_two_sevenths():
    # MATERIAL section 4: relevance with mean 2/7 (Beta(2, 5)) and examination
    # 1/position give a position-1 click rate of about 0.286, not 0.21.
    logs = make_click_logs(300_000, randomized_fraction=1.0, random_state=1)
    assert logs.randomized.all()
    assert abs(logs.relevance.mean() - 2 / 7) < 0.005
    at_1 = logs.positions == 1
    ctr = logs.y[at_1].mean()
    se = np.sqrt(ctr * (1 - ctr) / at_1.sum())
    assert abs(ctr - 2 / 7) < 4 * se + 0.005
    # In a randomized bucket relevance does not depend on the position.
    assert abs(logs.relevance[logs.positions == 10].mean() - 2 / 7) < 0.01


def test_randomized_fraction_and_custom_propensity():
    theta = np.array([1.0, 0.8, 0.6, 0.4])
    logs = make_click_logs(
        40_000,
        n_positions=4,
        propensity=theta,
        randomized_fraction=0.25,
        random_state=0,
    )
    np.testing.assert_array_equal(logs.propensity, theta)
    n_lists = 10_000
    share = logs.randomized.mean()
    assert abs(share - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n_lists)
    # Every list is either randomized or not as a whole.
    flags = logs.randomized.reshape(-1, 4)
    assert np.all(flags.all(axis=1) | ~flags.any(axis=1))


def test_exponent():
    logs = make_click_logs(100, n_positions=5, exponent=2.0, random_state=0)
    np.testing.assert_allclose(logs.propensity, 1 / np.arange(1, 6) ** 2)


@pytest.mark.parametrize(
    ("propensity", "match"),
    [
        ([1.0, 0.5], "shape"),
        ([1.0, 0.0, 0.5], r"\(0, 1\]"),
        ([1.5, 0.5, 0.2], r"\(0, 1\]"),
    ],
)
def test_bad_propensity(propensity, match):
    with pytest.raises(ValueError, match=match):
        make_click_logs(100, n_positions=3, propensity=propensity)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 2**63}, "n_samples"),
        ({"n_samples": np.uint64(2**64 - 1)}, "n_samples"),
        ({"n_samples": 2**40}, "n_samples"),
        ({"n_samples": 100, "n_positions": 2**40}, "reduce .*n_positions"),
    ],
)
def test_make_click_logs_refuses_sizes_beyond_memory(kwargs, match):
    # these failed inside NumPy (MemoryError, "Maximum allowed dimension")
    with pytest.raises(ValueError, match=match):
        make_click_logs(**kwargs)


@pytest.mark.parametrize("n_samples", [-1, 0, 1.5, "10"])
def test_make_click_logs_rejects_invalid_n_samples(n_samples):
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        make_click_logs(n_samples)


@pytest.mark.parametrize(
    ("propensity", "error", "match"),
    [
        (["a", 1.0], TypeError, "propensity must hold numbers"),
        ([np.nan, 1.0], ValueError, r"propensity must lie in \(0, 1\] without NaN"),
        ([[1.0, 1.0]], ValueError, r"propensity must have shape \(2,\)"),
    ],
)
def test_make_click_logs_rejects_bad_propensity(propensity, error, match):
    with pytest.raises(error, match=match):
        make_click_logs(100, n_positions=2, propensity=propensity)
