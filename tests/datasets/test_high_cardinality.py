import numpy as np
import pytest

from mlfound.datasets import make_high_cardinality


@pytest.fixture(scope="module")
def data():
    return make_high_cardinality(60_000, random_state=0)


def test_shapes_and_ground_truth_fields(data):
    assert data.X.shape == (60_000, 3)
    assert data.y.shape == (60_000,)
    assert data.feature_names == ["city", "product", "user_id"]
    assert data.noise_feature == "user_id"
    assert data.informative_features == ["city", "product"]
    assert set(np.unique(data.y)) == {0, 1}
    # Default: about n/4 noise levels, nearly all of them observed.
    assert len(data.categories["user_id"]) == 15_000
    n_seen = len(np.unique(data.X[:, 2]))
    expected = 15_000 * (1 - np.exp(-4))
    assert abs(n_seen - expected) < 5 * np.sqrt(expected)
    np.testing.assert_array_equal(data.effects["user_id"], 0.0)
    np.testing.assert_allclose(data.proba, 1 / (1 + np.exp(-data.logit)))


def test_reproducible_and_frame():
    a = make_high_cardinality(500, random_state=3)
    b = make_high_cardinality(500, random_state=3, as_frame=True)
    np.testing.assert_array_equal(a.X, b.X.to_numpy())
    np.testing.assert_array_equal(a.y, b.y)
    assert list(b.X.columns) == a.feature_names


def test_logit_is_intercept_plus_effects(data):
    index = {
        name: {v: k for k, v in enumerate(data.categories[name])}
        for name in data.feature_names
    }
    codes = {
        name: np.array([index[name][v] for v in data.X[:, j]])
        for j, name in enumerate(data.feature_names)
    }
    logit = (
        data.intercept
        + data.effects["city"][codes["city"]]
        + data.effects["product"][codes["product"]]
    )
    np.testing.assert_allclose(data.logit, logit)


def test_zipf_frequencies(data):
    city = data.X[:, 0]
    for k in (0, 1, 9):
        level = data.categories["city"][k]
        p = data.frequencies["city"][k]
        observed = np.mean(city == level)
        assert abs(observed - p) < 5 * np.sqrt(p * (1 - p) / len(city))
    np.testing.assert_allclose(data.frequencies["city"].sum(), 1.0)
    assert np.all(np.diff(data.frequencies["city"]) < 0)


def test_target_rate_matches_true_probability_per_city(data):
    # The empirical conversion rate of each large city equals the mean true
    # probability of its rows within a few standard errors.
    city, y = data.X[:, 0], data.y
    z = []
    for level in data.categories["city"][:20]:
        rows = city == level
        p = data.proba[rows]
        se = np.sqrt(np.sum(p * (1 - p))) / rows.sum()
        z.append((y[rows].mean() - p.mean()) / se)
    assert np.max(np.abs(z)) < 4.5
    # The true city effects do move the rate: they are not all equal.
    rates = [y[city == level].mean() for level in data.categories["city"][:20]]
    assert np.std(rates) > 0.05


def test_noise_column_is_unrelated_to_target(data):
    # Rows split by any function of user_id have the same conversion rate.
    user = np.array([int(v.rsplit("_", 1)[1]) for v in data.X[:, 2]])
    y = data.y
    for group in (user % 2 == 0, user < 7_500, user % 3 == 1):
        a, b = y[group], y[~group]
        se = np.sqrt(a.var() / len(a) + b.var() / len(b))
        assert abs(a.mean() - b.mean()) < 4 * se


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 2**63}, "n_samples"),
        ({"n_samples": np.uint64(2**64 - 1)}, "n_samples"),
        ({"n_samples": 2**40}, "n_samples"),
        ({"n_samples": 100, "n_cities": 2**40}, "reduce .*n_cities"),
    ],
)
def test_make_high_cardinality_refuses_sizes_beyond_memory(kwargs, match):
    # these failed inside NumPy (MemoryError, "Maximum allowed dimension")
    with pytest.raises(ValueError, match=match):
        make_high_cardinality(**kwargs)


@pytest.mark.parametrize("n_samples", [-1, 0, 1.5, "10"])
def test_make_high_cardinality_rejects_invalid_n_samples(n_samples):
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        make_high_cardinality(n_samples)
