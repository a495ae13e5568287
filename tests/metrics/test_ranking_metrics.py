import numpy as np
import pytest
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, ndcg_score

from mlfound.metrics import (
    grouped_ndcg_score,
    mean_average_precision,
    mean_reciprocal_rank,
)
from mlfound.utils._param_validation import InvalidParameterError


def test_mrr_worked_example():
    ranked = [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 1]]
    # (1/1 + 1/2 + 1/4) / 3 = 7/12
    assert mean_reciprocal_rank(ranked) == pytest.approx(7 / 12)
    assert round(mean_reciprocal_rank(ranked), 4) == 0.5833
    # @k: the third query's first hit (rank 4) no longer counts.
    assert mean_reciprocal_rank(ranked, k=3) == pytest.approx(0.5)
    assert mean_reciprocal_rank(ranked, k=1) == pytest.approx(1 / 3)
    # No relevant item scores 0.
    assert mean_reciprocal_rank([[0, 0], [1, 0]]) == pytest.approx(0.5)


def test_mrr_with_scores_and_query_ids():
    y_true = [[0, 1, 0], [1, 0, 0]]
    y_score = [[0.1, 0.2, 0.9], [0.3, 0.2, 0.1]]
    # query 1 ranks the relevant item 2nd, query 2 first.
    assert mean_reciprocal_rank(y_true, y_score) == pytest.approx(0.75)
    flat = mean_reciprocal_rank(
        np.ravel(y_true), np.ravel(y_score), query_id=[7, 7, 7, 3, 3, 3]
    )
    assert flat == pytest.approx(0.75)


def test_map_worked_example():
    ranked = [[1, 0, 1, 0, 1], [0, 0, 1, 0, 0]]
    ap_1 = (1 / 1 + 2 / 3 + 3 / 5) / 3
    ap_2 = (1 / 3) / 1
    assert mean_average_precision(ranked) == pytest.approx((ap_1 + ap_2) / 2)
    assert round(mean_average_precision(ranked), 4) == 0.5444
    # @3: AP@3 = (1 + 2/3) / min(3, 3) and (1/3) / min(3, 1).
    expected = ((1 + 2 / 3) / 3 + 1 / 3) / 2
    assert mean_average_precision(ranked, k=3) == pytest.approx(expected)


def test_map_matches_sklearn_average_precision():
    rng = np.random.RandomState(0)
    y_true = (rng.random_sample((20, 15)) < 0.3).astype(int)
    y_true[:, 0] = 1  # every query has a relevant item
    y_score = rng.random_sample((20, 15))  # no ties
    expected = np.mean(
        [average_precision_score(t, s) for t, s in zip(y_true, y_score, strict=True)]
    )
    assert mean_average_precision(y_true, y_score) == pytest.approx(expected)
    flat = mean_average_precision(
        y_true.ravel(), y_score.ravel(), query_id=np.repeat(np.arange(20), 15)
    )
    assert flat == pytest.approx(expected)


@pytest.mark.parametrize("k", [None, 1, 3, 10])
def test_grouped_ndcg_matches_sklearn_on_equal_lengths(k):
    rng = np.random.RandomState(k or 0)
    y_true = rng.randint(0, 4, (30, 8))
    y_score = rng.random_sample((30, 8)).round(1)  # some ties
    expected = ndcg_score(y_true, y_score, k=k)
    # Shuffle the rows: groups need not be contiguous.
    qid = np.repeat(np.arange(30), 8)
    perm = rng.permutation(qid.shape[0])
    got = grouped_ndcg_score(
        y_true.ravel()[perm], y_score.ravel()[perm], query_id=qid[perm], k=k
    )
    assert got == pytest.approx(expected)


def test_grouped_ndcg_variable_lengths_is_mean_of_per_query_ndcg():
    rng = np.random.RandomState(1)
    sizes = [2, 5, 9, 3]
    y_true = [rng.randint(0, 3, n) for n in sizes]
    y_score = [rng.random_sample(n) for n in sizes]
    for t in y_true:
        t[0] = 2
    expected = np.mean(
        [ndcg_score([t], [s], k=4) for t, s in zip(y_true, y_score, strict=True)]
    )
    qid = np.repeat(np.arange(4), sizes)
    got = grouped_ndcg_score(
        np.concatenate(y_true), np.concatenate(y_score), query_id=qid, k=4
    )
    assert got == pytest.approx(expected)


def test_errors():
    with pytest.raises(ValueError, match="same shape"):
        mean_reciprocal_rank([[1, 0]], [[0.1, 0.2, 0.3]])
    with pytest.raises(ValueError, match="same length"):
        mean_average_precision([1, 0, 1], query_id=[0, 0])
    with pytest.raises(ValueError, match="same length"):
        grouped_ndcg_score([1, 0], [0.1, 0.2, 0.3], query_id=[0, 0])
    with pytest.raises(ValueError, match="single item"):
        grouped_ndcg_score([1, 0], [0.1, 0.2], query_id=[0, 1])
    with pytest.raises(InvalidParameterError, match="'k'"):
        mean_reciprocal_rank([[1, 0]], k=0)


def _per_query_ndcg(y_true, y_score, query_id, k=None, ignore_ties=False):
    """Reference: scikit-learn's ndcg_score on each query alone, averaged."""
    values = []
    for q in np.unique(query_id):
        mask = query_id == q
        if mask.sum() == 1:  # ndcg_score refuses one item: 1 if relevant
            values.append(float(y_true[mask][0] > 0))
            continue
        values.append(
            ndcg_score(
                y_true[mask][None], y_score[mask][None], k=k, ignore_ties=ignore_ties
            )
        )
    return float(np.mean(values))


@pytest.mark.parametrize("offset", [0.0, 1e16, -1e16, 1e300])
@pytest.mark.parametrize("k", [None, 1, 3])
def test_grouped_ndcg_matches_per_query_ndcg_at_any_score_scale(offset, k):
    # Scores were padded with min(score) - 1, which equals the minimum once
    # |score| is about 1e16: the padding then tied with real items.
    rng = np.random.default_rng(0)
    for _ in range(10):
        n = int(rng.integers(10, 60))
        query_id = rng.integers(0, 8, n)
        y_true = rng.integers(0, 4, n).astype(np.float64)
        # integer steps of 2 ulp-safe at 1e16 (spacing 2), with ties
        y_score = offset + rng.integers(0, 5, n) * max(2.0, abs(offset) * 1e-15)
        expected = _per_query_ndcg(y_true, y_score, query_id, k=k)
        got = grouped_ndcg_score(y_true, y_score, query_id=query_id, k=k)
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_grouped_ndcg_short_query_holding_the_minimum_score_at_1e16():
    # The 2-item query holds the smallest score; its relevant item is last.
    y_true = np.array([1.0, 0.0, 3.0, 2.0, 0.0])
    y_score = 1e16 + np.array([0.0, 2.0, 8.0, 6.0, 4.0])
    query_id = np.array([0, 0, 1, 1, 1])
    expected = _per_query_ndcg(y_true, y_score, query_id)
    assert expected == pytest.approx(0.8154648767857288)
    # the padded version returned 0.7827 here
    assert grouped_ndcg_score(y_true, y_score, query_id=query_id) == pytest.approx(
        expected, rel=1e-14
    )
    # the same ranking at an ordinary scale
    assert grouped_ndcg_score(
        y_true, y_score - 1e16, query_id=query_id
    ) == pytest.approx(expected, rel=1e-14)


def test_grouped_ndcg_ordinary_scores_and_ignore_ties():
    rng = np.random.default_rng(1)
    n = 200
    query_id = rng.integers(0, 20, n)
    y_true = rng.integers(0, 5, n).astype(np.float64)
    y_score = rng.normal(size=n)  # no ties: ignore_ties gives the same ranking
    for ignore_ties in (False, True):
        expected = _per_query_ndcg(y_true, y_score, query_id, ignore_ties=ignore_ties)
        got = grouped_ndcg_score(
            y_true, y_score, query_id=query_id, ignore_ties=ignore_ties
        )
        assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "query_id",
    [
        np.array([2**64 - 1, 2**64 - 1, 2**64 - 2, 2**64 - 2], dtype=np.uint64),
        np.array([-(2**63), -(2**63), 2**63 - 1, 2**63 - 1], dtype=np.int64),
        np.array([-(2**63), -(2**63), -(2**63) + 1, -(2**63) + 1], dtype=np.int64),
    ],
)
def test_ranking_metrics_group_extreme_integer_query_ids_exactly(query_id):
    y_true = np.array([1.0, 0.0, 0.0, 1.0])
    y_score = np.array([2.0, 1.0, 2.0, 1.0])
    # query A ranks its relevant item first, query B second
    assert grouped_ndcg_score(y_true, y_score, query_id=query_id) == pytest.approx(
        (1.0 + 1.0 / np.log2(3)) / 2
    )
    assert mean_reciprocal_rank(y_true, y_score, query_id=query_id) == 0.75
    assert mean_average_precision(y_true, y_score, query_id=query_id) == 0.75


_FLAT = {"y_true": [1, 0, 2, 0], "y_score": [0.3, 0.2, 0.1, 0.4]}
_QID = [0, 0, 1, 1]


def _call(metric, **kwargs):
    if metric is grouped_ndcg_score:
        kwargs.setdefault("query_id", _QID)
    return metric(**kwargs)


@pytest.mark.parametrize(
    "metric", [grouped_ndcg_score, mean_reciprocal_rank, mean_average_precision]
)
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_true": [], "y_score": [], "query_id": []}, ValueError, "y_true is empty"),
        (
            {"y_true": [1, 0, 2], "y_score": [0.3, 0.2, 0.1, 0.4], "query_id": _QID},
            ValueError,
            "y_score has 4 values but y_true has 3",
        ),
        (
            {**_FLAT, "query_id": [0, 0, 1]},
            ValueError,
            "query_id has 3 values but y_true has 4",
        ),
        (
            {"y_true": [1, 0, np.nan, 0], "y_score": [1, 2, 3, 4], "query_id": _QID},
            ValueError,
            "y_true contains NaN or infinity",
        ),
        (
            {"y_true": [1, 0, 2, 0], "y_score": [1, np.inf, 3, 4], "query_id": _QID},
            ValueError,
            "y_score contains NaN or infinity",
        ),
        (
            {**_FLAT, "query_id": [0.0, np.nan, 1.0, 1.0]},
            ValueError,
            "query_id contains NaN or infinity",
        ),
        (
            {"y_true": [1, -1, 2, 0], "y_score": [1, 2, 3, 4], "query_id": _QID},
            ValueError,
            "y_true must be non-negative",
        ),
        (
            {"y_true": ["a", "b", "c", "d"], "y_score": [1, 2, 3, 4], "query_id": _QID},
            TypeError,
            "y_true must hold numbers",
        ),
        (
            {"y_true": [1, 0, 2, 0], "y_score": ["a", "b", "c", "d"], "query_id": _QID},
            TypeError,
            "y_score must hold numbers",
        ),
        (
            {**_FLAT, "query_id": [[0, 0], [1, 1]]},
            ValueError,
            r"query_id must be a 1-d array.*shape \(2, 2\)",
        ),
        (
            {**_FLAT, "query_id": [0, "a", None, 1]},
            TypeError,
            "query_id must hold values of one sortable type",
        ),
    ],
)
def test_ranking_metrics_reject_bad_flat_input(metric, kwargs, error, match):
    with pytest.raises(error, match=match):
        _call(metric, **kwargs)


@pytest.mark.parametrize("metric", [mean_reciprocal_rank, mean_average_precision])
@pytest.mark.parametrize(
    ("y_true", "y_score", "error", "match"),
    [
        (np.zeros((0, 3)), None, ValueError, "y_true is empty"),
        ([[1, np.nan]], None, ValueError, "y_true contains NaN or infinity"),
        ([[1, -2]], None, ValueError, "y_true must be non-negative"),
        ([[1, 0]], [[np.nan, 1]], ValueError, "y_score contains NaN or infinity"),
        ([1, 0, 1], None, ValueError, "y_true must be a 2-d array.*pass query_id"),
        ([[1, 0]], [[1, 0, 2]], ValueError, "same shape"),
    ],
)
def test_ranking_metrics_reject_bad_matrix_input(metric, y_true, y_score, error, match):
    with pytest.raises(error, match=match):
        metric(y_true, y_score)


@pytest.mark.parametrize(
    "metric", [grouped_ndcg_score, mean_reciprocal_rank, mean_average_precision]
)
@pytest.mark.parametrize("k", [0, -1, 1.5])
def test_ranking_metrics_reject_k_below_one(metric, k):
    with pytest.raises(InvalidParameterError, match="'k' parameter"):
        _call(metric, **_FLAT, query_id=_QID, k=k)


@pytest.mark.parametrize(
    "scores",
    [
        np.array([0, 1, 2, 7, 0, 3, 3, 1], dtype=np.uint8),
        np.array([-128, 0, 5, 127, -128, 2, 2, 0], dtype=np.int8),
        np.array([0, 1, 1, 1, 0, 1, 1, 0], dtype=bool),
        np.uint64(2**63) + np.array([0, 1, 2, 9, 0, 4, 4, 1], dtype=np.uint64),
        np.array([np.iinfo(np.int64).min, 0, 1, 2, -5, 3, 3, 0]),
        2**60 + np.array([0, 1, 2, 9, 0, 4, 4, 1]),
    ],
    ids=[
        "uint8",
        "int8 minimum",
        "bool",
        "uint64 above 2**63",
        "int64 minimum",
        "int64 above 2**53",
    ],
)
def test_integer_and_boolean_scores_rank_by_their_order(scores):
    # Ranking by -y_score wrapped for unsigned scores (-1 is the largest
    # uint8) and for the minimal signed integer, failed for booleans, and a
    # cast to float64 tied integers above 2**53. The reference: small float
    # scores in the same order (scipy's dense ranks), scored by scikit-learn
    # per query for NDCG.
    relevance = np.array([0, 1, 2, 3, 3, 0, 1, 2])
    query_id = np.repeat([0, 1], 4)
    same_order = rankdata(scores.astype(object), method="dense").astype(np.float64)
    for k in (None, 2):
        expected = np.mean(
            [
                ndcg_score([relevance[query_id == q]], [same_order[query_id == q]], k=k)
                for q in (0, 1)
            ]
        )
        got = grouped_ndcg_score(relevance, scores, query_id=query_id, k=k)
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    binary = (relevance >= 2).astype(int)
    for metric in (mean_reciprocal_rank, mean_average_precision):
        assert metric(binary, scores, query_id=query_id) == metric(
            binary, same_order, query_id=query_id
        )
        assert metric(binary.reshape(2, 4), scores.reshape(2, 4)) == metric(
            binary.reshape(2, 4), same_order.reshape(2, 4)
        )
