"""make_star_ratings: the data follow the cumulative link model it reports."""

import numpy as np
import pytest

from mlfound._glm._cumulative_link import cumulative_proba
from mlfound.datasets import make_star_ratings


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog", "loglog", "cauchit"])
def test_class_frequencies_match_implied_probabilities(link):
    data = make_star_ratings(20000, n_features=4, link=link, random_state=0)
    cum = cumulative_proba(data.X @ data.coef, data.thresholds, link)
    n = len(data.y)
    cum = np.hstack([np.zeros((n, 1)), cum, np.ones((n, 1))])
    proba = np.diff(cum, axis=1)
    counts = np.bincount(data.y - 1, minlength=5)
    expected = proba.sum(axis=0)
    sd = np.sqrt((proba * (1 - proba)).sum(axis=0))
    z = (counts - expected) / sd
    assert np.all(np.abs(z) < 4), z
    # every rating is well populated
    assert counts.min() > 0.05 * n


def test_cumulative_frequencies_follow_the_link_given_the_score():
    data = make_star_ratings(40000, n_features=2, random_state=1)
    score = data.X @ data.coef
    band = np.abs(score) < 0.1  # rows with a latent score near 0
    cum_emp = [(data.y[band] <= k + 1).mean() for k in range(4)]
    cum_model = 1 / (1 + np.exp(-data.thresholds))
    se = np.sqrt(cum_model * (1 - cum_model) / band.sum())
    assert np.all(np.abs(np.array(cum_emp) - cum_model) < 4 * se + 0.03)


def test_shapes_truth_and_reproducibility():
    a = make_star_ratings(300, n_features=3, n_classes=4, random_state=5)
    b = make_star_ratings(300, n_features=3, n_classes=4, random_state=5)
    assert a.X.shape == (300, 3)
    assert a.coef.shape == (3,)
    assert a.thresholds.shape == (3,)
    assert np.all(np.diff(a.thresholds) > 0)
    assert set(np.unique(a.y)) <= {1, 2, 3, 4}
    assert a.feature_names == ["x0", "x1", "x2"]
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    # y is the number of cut points below the latent score, plus one
    np.testing.assert_array_equal(a.y, 1 + (a.latent[:, None] > a.thresholds).sum(1))
    assert "cut points" in a.DESCR


def test_invalid_parameters():
    with pytest.raises(ValueError, match="n_classes"):
        make_star_ratings(10, n_classes=1)
    with pytest.raises(ValueError, match="link"):
        make_star_ratings(10, link="identity")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 2**63}, "n_samples"),
        ({"n_samples": np.uint64(2**64 - 1)}, "n_samples"),
        ({"n_samples": 2**40}, "n_samples"),
        ({"n_samples": 100, "n_classes": 2**40}, "reduce .*n_classes"),
    ],
)
def test_make_star_ratings_refuses_sizes_beyond_memory(kwargs, match):
    # these failed inside NumPy (MemoryError, "Maximum allowed dimension")
    with pytest.raises(ValueError, match=match):
        make_star_ratings(**kwargs)


@pytest.mark.parametrize("n_samples", [-1, 0, 1.5, "10"])
def test_make_star_ratings_rejects_invalid_n_samples(n_samples):
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        make_star_ratings(n_samples)
