"""Ranking metrics missing from scikit-learn: MRR, MAP@k and grouped NDCG."""

import numbers

import numpy as np
from sklearn.metrics import ndcg_score
from sklearn.utils.validation import check_array, column_or_1d

from mlfound.utils._param_validation import Interval, validate_params


def _ranked_lists(y_true, y_score, query_id):
    """Relevance labels of each query in ranked order (a list of 1-d arrays).

    Items are ranked by decreasing ``y_score``; ties keep their input order
    (a stable sort). Without ``y_score`` the input order is the ranking.
    """
    if query_id is None:
        y_true = check_array(y_true, ensure_2d=True, dtype=np.float64)
        if y_score is None:
            return list(y_true)
        y_score = check_array(y_score, ensure_2d=True, dtype=np.float64)
        if y_score.shape != y_true.shape:
            raise ValueError(
                f"y_true and y_score must have the same shape, got "
                f"{y_true.shape} and {y_score.shape}."
            )
        order = np.argsort(-y_score, axis=1, kind="stable")
        return list(np.take_along_axis(y_true, order, axis=1))
    y_true = column_or_1d(y_true).astype(np.float64)
    query_id = column_or_1d(query_id)
    if query_id.shape != y_true.shape:
        raise ValueError(
            f"query_id must have the same length as y_true ({y_true.shape[0]}), "
            f"got {query_id.shape[0]}."
        )
    if y_score is None:
        score = -np.arange(y_true.shape[0], dtype=np.float64)
    else:
        score = column_or_1d(y_score).astype(np.float64)
        if score.shape != y_true.shape:
            raise ValueError(
                f"y_score must have the same length as y_true "
                f"({y_true.shape[0]}), got {score.shape[0]}."
            )
    # Group by query (in order of first appearance), then rank within groups.
    _, first, codes = np.unique(query_id, return_index=True, return_inverse=True)
    group_order = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    order = np.lexsort((np.arange(score.shape[0]), -score, group_order[codes]))
    sorted_groups = group_order[codes][order]
    bounds = np.flatnonzero(np.diff(sorted_groups)) + 1
    return np.split(y_true[order], bounds)


def _check_k(k):
    return np.inf if k is None else k


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like", None],
        "k": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "query_id": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def mean_reciprocal_rank(y_true, y_score=None, *, k=None, query_id=None):
    """Mean reciprocal rank of the first relevant item (MRR, optionally @k).

    For each query, the reciprocal rank is ``1 / rank`` of the first item
    with ``y_true > 0`` in the ranking (0 when no relevant item is in the top
    ``k``, or none at all); the MRR is its mean over queries.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_items) or (n_samples,)
        Relevance of each item (``> 0`` means relevant). 2-d: one row per
        query; 1-d: grouped by ``query_id``.
    y_score : array-like of the same shape as ``y_true``, default=None
        Scores that rank the items (higher first; ties keep the input order).
        ``None`` means ``y_true`` is already in ranked order.
    k : int, default=None
        Only the top ``k`` items count. ``None`` means all.
    query_id : array-like of shape (n_samples,), default=None
        Query of each item when ``y_true`` is 1-d.

    Returns
    -------
    mrr : float
        Mean reciprocal rank in [0, 1].

    See Also
    --------
    mean_average_precision : Mean of the average precision per query.
    grouped_ndcg_score : NDCG over queries of different lengths.

    Examples
    --------
    >>> from mlfound.metrics import mean_reciprocal_rank
    >>> round(mean_reciprocal_rank([[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 0, 1]]), 4)
    0.5833
    """
    k = _check_k(k)
    total = 0.0
    lists = _ranked_lists(y_true, y_score, query_id)
    for rel in lists:
        hits = np.flatnonzero(rel > 0)
        if hits.size and hits[0] < k:
            total += 1.0 / (hits[0] + 1)
    return float(total / len(lists))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like", None],
        "k": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "query_id": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def mean_average_precision(y_true, y_score=None, *, k=None, query_id=None):
    """Mean average precision over queries (MAP, optionally @k).

    For one query with relevance ``rel_i`` (1 when ``y_true > 0``) in ranked
    order, ``AP@k = sum_{i <= k} P@i * rel_i / min(k, R)`` where ``P@i`` is the
    precision of the top ``i`` items and ``R`` the number of relevant items
    of the query. A query without relevant items has AP 0. MAP is the mean of
    AP over queries.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    y_true : array-like of shape (n_queries, n_items) or (n_samples,)
        Relevance of each item (``> 0`` means relevant). 2-d: one row per
        query; 1-d: grouped by ``query_id``.
    y_score : array-like of the same shape as ``y_true``, default=None
        Scores that rank the items (higher first; ties keep the input order).
        ``None`` means ``y_true`` is already in ranked order.
    k : int, default=None
        Only the top ``k`` items count. ``None`` means all.
    query_id : array-like of shape (n_samples,), default=None
        Query of each item when ``y_true`` is 1-d.

    Returns
    -------
    map : float
        Mean average precision in [0, 1].

    See Also
    --------
    mean_reciprocal_rank : Mean reciprocal rank of the first relevant item.
    sklearn.metrics.average_precision_score : AP of a single ranking.

    Examples
    --------
    >>> from mlfound.metrics import mean_average_precision
    >>> y = [[1, 0, 1, 0, 1], [0, 0, 1, 0, 0]]
    >>> round(mean_average_precision(y), 4)  # ((1 + 2/3 + 3/5) / 3 + 1/3) / 2
    0.5444
    """
    k = _check_k(k)
    lists = _ranked_lists(y_true, y_score, query_id)
    total = 0.0
    for rel in lists:
        rel = (rel > 0).astype(np.float64)
        n_relevant = rel.sum()
        if n_relevant == 0:
            continue
        top = rel[: int(min(k, rel.shape[0]))]
        precision = np.cumsum(top) / np.arange(1, top.shape[0] + 1)
        total += (precision * top).sum() / min(k, n_relevant)
    return float(total / len(lists))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "query_id": ["array-like"],
        "k": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "ignore_ties": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def grouped_ndcg_score(y_true, y_score, *, query_id, k=None, ignore_ties=False):
    """NDCG@k averaged over queries of different lengths.

    :func:`sklearn.metrics.ndcg_score` needs one row per query, all of the
    same length. This function takes flat arrays with a ``query_id`` per
    item, pads every query to the longest with items of relevance 0 ranked
    last (which changes neither the DCG nor the ideal DCG) and calls
    :func:`sklearn.metrics.ndcg_score`, so the definition (linear gain
    ``y_true``, ``1 / log2(rank + 1)`` discount, ties averaged, queries with
    no relevant item scoring 0) is exactly scikit-learn's.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Non-negative relevance of each item.
    y_score : array-like of shape (n_samples,)
        Predicted scores.
    query_id : array-like of shape (n_samples,)
        Query of each item.
    k : int, default=None
        Only the top ``k`` items of each query count. ``None`` means all.
    ignore_ties : bool, default=False
        Passed to :func:`sklearn.metrics.ndcg_score`.

    Returns
    -------
    ndcg : float
        Mean NDCG over queries.

    See Also
    --------
    sklearn.metrics.ndcg_score : NDCG of equal-length rankings.

    Examples
    --------
    >>> from mlfound.metrics import grouped_ndcg_score
    >>> y_true = [3, 2, 0, 1, 0]
    >>> y_score = [0.9, 0.8, 0.1, 0.2, 0.7]
    >>> round(grouped_ndcg_score(y_true, y_score, query_id=[0, 0, 0, 1, 1]), 4)
    0.8155
    """
    y_true = column_or_1d(y_true).astype(np.float64)
    y_score = column_or_1d(y_score).astype(np.float64)
    query_id = column_or_1d(query_id)
    if not (y_true.shape == y_score.shape == query_id.shape):
        raise ValueError(
            f"y_true, y_score and query_id must have the same length, got "
            f"{y_true.shape[0]}, {y_score.shape[0]} and {query_id.shape[0]}."
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError("y_score contains NaN or infinity.")
    _, codes = np.unique(query_id, return_inverse=True)
    n_queries = codes.max() + 1
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=n_queries)
    width = counts.max()
    if width < 2:
        raise ValueError(
            "Every query has a single item: NDCG is only meaningful for "
            "queries with at least 2 items."
        )
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(y_true.shape[0]) - np.repeat(starts, counts)
    pad_score = y_score.min() - 1.0
    true = np.zeros((n_queries, width))
    score = np.full((n_queries, width), pad_score)
    true[codes[order], slot] = y_true[order]
    score[codes[order], slot] = y_score[order]
    return float(ndcg_score(true, score, k=k, ignore_ties=ignore_ties))
