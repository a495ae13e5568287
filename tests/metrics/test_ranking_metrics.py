import numpy as np
import pytest
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
