"""make_search_logs: its returned truth against the simulated data."""

import numpy as np
import pytest

from mlfound.datasets import make_search_logs


@pytest.fixture(scope="module")
def logs():
    return make_search_logs(200_000, random_state=0)


def test_shapes_groups_and_positions(logs):
    n = 20_000 * 10
    assert logs.X.shape == (n, 10)
    for name in ("y", "relevance", "query_id", "positions", "examined"):
        assert getattr(logs, name).shape == (n,)
    # each query shows its 10 documents at positions 1..10, once each
    by_query = np.sort(logs.positions.reshape(20_000, 10), axis=1)
    np.testing.assert_array_equal(by_query, np.tile(np.arange(1, 11), (20_000, 1)))
    np.testing.assert_array_equal(logs.query_id, np.repeat(np.arange(20_000), 10))


def test_grades_follow_the_stated_quantiles(logs):
    share = np.bincount(logs.relevance, minlength=5) / logs.relevance.size
    # the cut points are quantiles 0.40, 0.70, 0.87, 0.96 of a normal of the
    # utility's variance; the quadratic term makes it slightly non-normal
    np.testing.assert_allclose(share, [0.40, 0.30, 0.17, 0.09, 0.04], atol=0.03)


def test_examination_follows_the_propensity_per_position(logs):
    np.testing.assert_allclose(logs.propensity, 1.0 / np.arange(1, 11))
    rate = np.bincount(logs.positions, weights=logs.examined)[1:] / 20_000
    np.testing.assert_allclose(rate, logs.propensity, atol=4 / np.sqrt(20_000))


def test_clicks_are_examined_times_attractive(logs):
    assert not np.any(logs.y & ~logs.examined)  # no click without examination
    attractive = 0.05 + 0.95 * (2.0**logs.relevance - 1) / 15
    expected = logs.propensity[logs.positions - 1] * attractive
    np.testing.assert_allclose(logs.click_probability, expected)
    for grade in range(5):
        rows = logs.examined & (logs.relevance == grade)
        se = np.sqrt(attractive[rows][0] * (1 - attractive[rows][0]) / rows.sum())
        assert abs(logs.y[rows].mean() - attractive[rows][0]) < 4 * se + 1e-3


def test_logging_ranker_puts_relevant_documents_higher(logs):
    top = logs.positions <= 3
    assert logs.relevance[top].mean() > logs.relevance[~top].mean() + 0.2
    cos = logs.policy_coef @ logs.coef / np.linalg.norm(logs.policy_coef)
    assert cos == pytest.approx(np.cos(np.deg2rad(60.0)))


def test_query_offsets_move_features_but_not_relevance(logs):
    # a feature offset shared by a query's documents: large between-query
    # variance of the query means, while relevance does not depend on it
    means = logs.X.reshape(20_000, 10, -1).mean(axis=1)
    assert np.var(means @ logs.coef) > 1.0
    within = logs.X - np.repeat(means, 10, axis=0)
    corr_within = np.corrcoef(within @ logs.coef, logs.relevance)[0, 1]
    corr_pooled = np.corrcoef(logs.X @ logs.coef, logs.relevance)[0, 1]
    assert corr_within > corr_pooled + 0.2


def test_seed_reproduces():
    a = make_search_logs(500, random_state=3)
    b = make_search_logs(500, random_state=3)
    for name in ("X", "y", "relevance", "positions", "examined"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_last_query_may_be_shorter():
    logs = make_search_logs(25, n_documents=10, random_state=0)
    np.testing.assert_array_equal(np.bincount(logs.query_id), [10, 10, 5])
    np.testing.assert_array_equal(np.sort(logs.positions[20:]), np.arange(1, 6))
