"""Ranking metrics missing from scikit-learn: MRR, MAP@k and grouped NDCG."""

import numbers

import numpy as np

from mlfound.utils._param_validation import Interval, validate_params
from mlfound.utils.validation import check_array_1d


def _check_matrix(values, name, *, ensure_non_negative=False):
    """A non-empty numeric, finite 2-d array (one row per query)."""
    arr = np.asarray(values)
    if arr.ndim != 2:
        hint = (
            " For a flat array of items, pass query_id=... with the query of each item."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be a 2-d array of shape (n_queries, n_items) when "
            f"query_id is None, got an array of shape {arr.shape}.{hint}"
        )
    if arr.size == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}): at least one query with "
            f"one item is needed."
        )
    flat = check_array_1d(
        arr.reshape(-1), name=name, ensure_non_negative=ensure_non_negative
    )
    return flat.reshape(arr.shape)


def _descending(scores):
    """Sort keys that put higher scores first, exact for every dtype.

    Floats are negated (exact). Other scores get the rank among their
    distinct values, negated, at the cost of one more sort: negating them
    wraps unsigned and minimal integers and fails on booleans, and a cast to
    float64 ties integers above 2**53. Equal scores share a key either way,
    so a stable sort keeps their input order.
    """
    if scores.dtype.kind == "f":
        return -scores
    _, rank = np.unique(scores, return_inverse=True)
    return -rank.reshape(scores.shape)


def _check_query_id(query_id, n_samples):
    """Query ids as a 1-d array of ``n_samples`` sortable values."""
    query_id = check_array_1d(
        query_id, name="query_id", numeric=False, n_samples=n_samples
    )
    try:
        _, first, codes = np.unique(query_id, return_index=True, return_inverse=True)
    except TypeError:
        raise TypeError(
            f"query_id must hold values of one sortable type (all numbers or "
            f"all strings), got values such as {query_id[:3].tolist()!r}."
        ) from None
    return first, codes.reshape(-1)


def _ranked_lists(y_true, y_score, query_id):
    """Relevance labels of each query in ranked order (a list of 1-d arrays).

    Items are ranked by decreasing ``y_score``; ties keep their input order
    (a stable sort). Without ``y_score`` the input order is the ranking.
    Relevance must be finite and non-negative, scores finite.
    """
    if query_id is None:
        y_true = _check_matrix(y_true, "y_true", ensure_non_negative=True)
        y_true = y_true.astype(np.float64, copy=False)
        if y_score is None:
            return list(y_true)
        y_score = _check_matrix(y_score, "y_score")
        if y_score.shape != y_true.shape:
            raise ValueError(
                f"y_true and y_score must have the same shape, got "
                f"{y_true.shape} and {y_score.shape}."
            )
        order = np.argsort(_descending(y_score), axis=1, kind="stable")
        return list(np.take_along_axis(y_true, order, axis=1))
    y_true = check_array_1d(y_true, name="y_true", ensure_non_negative=True)
    y_true = y_true.astype(np.float64, copy=False)
    n_samples = y_true.shape[0]
    if y_score is None:
        key = np.arange(n_samples)  # the input order is the ranking
    else:
        key = _descending(check_array_1d(y_score, name="y_score", n_samples=n_samples))
    first, codes = _check_query_id(query_id, n_samples)
    # Group by query (in order of first appearance), then rank within groups.
    group_order = np.argsort(np.argsort(first, kind="stable"), kind="stable")
    order = np.lexsort((np.arange(n_samples), key, group_order[codes]))
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
        Relevance of each item: finite and non-negative, ``> 0`` means
        relevant. 2-d: one row per query; 1-d: grouped by ``query_id``.
    y_score : array-like of the same shape as ``y_true``, default=None
        Finite scores that rank the items (higher first; ties keep the input
        order).
        ``None`` means ``y_true`` is already in ranked order.
    k : int, default=None
        Only the top ``k`` items count. ``None`` means all.
    query_id : array-like of shape (n_samples,), default=None
        Query of each item when ``y_true`` is 1-d (numbers or strings, of
        one sortable type).

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
        Relevance of each item: finite and non-negative, ``> 0`` means
        relevant. 2-d: one row per query; 1-d: grouped by ``query_id``.
    y_score : array-like of the same shape as ``y_true``, default=None
        Finite scores that rank the items (higher first; ties keep the input
        order).
        ``None`` means ``y_true`` is already in ranked order.
    k : int, default=None
        Only the top ``k`` items count. ``None`` means all.
    query_id : array-like of shape (n_samples,), default=None
        Query of each item when ``y_true`` is 1-d (numbers or strings, of
        one sortable type).

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
    item and computes each query's NDCG with scikit-learn's definition
    (linear gain ``y_true``, ``1 / log2(rank + 1)`` discount, tied scores
    sharing the mean gain of their tie group, queries with no relevant item
    scoring 0), then averages over queries. The result equals
    :func:`~sklearn.metrics.ndcg_score` called on each query alone and
    averaged. Scores are only compared, never shifted or padded, so the
    result is exact for any finite scores (``1e16`` and ``1e16 + 2`` are
    two distinct ranks), and the memory is linear in the number of items.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Non-negative, finite relevance of each item.
    y_score : array-like of shape (n_samples,)
        Predicted scores (finite).
    query_id : array-like of shape (n_samples,)
        Query of each item: numbers (any integer dtype, grouped exactly) or
        strings, of one sortable type.
    k : int, default=None
        Only the top ``k`` items of each query count. ``None`` means all.
    ignore_ties : bool, default=False
        Whether to rank tied scores in input order instead of averaging
        their gains (faster to state, arbitrary between ties).

    Returns
    -------
    ndcg : float
        Mean NDCG over queries, in [0, 1].

    Raises
    ------
    ValueError
        If an array is empty, the lengths differ, ``y_true`` is negative or
        an array holds NaN or infinity, or every query has a single item.

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
    y_true = check_array_1d(y_true, name="y_true", ensure_non_negative=True)
    y_true = y_true.astype(np.float64, copy=False)
    n_samples = y_true.shape[0]
    y_score = check_array_1d(y_score, name="y_score", n_samples=n_samples)
    _, codes = _check_query_id(query_id, n_samples)
    n_queries = int(codes.max()) + 1
    counts = np.bincount(codes, minlength=n_queries)
    if counts.max() < 2:
        raise ValueError(
            "Every query has a single item: NDCG is only meaningful for "
            "queries with at least 2 items."
        )
    starts = np.cumsum(counts) - counts
    cutoff = n_samples if k is None else k

    def discounts(order):
        # 1 / log2(rank + 1) of each item at its rank within its query
        rank = np.arange(n_samples) - starts[codes[order]]
        discount = np.zeros(n_samples)
        kept = rank < cutoff
        discount[kept] = 1.0 / np.log2(rank[kept] + 2.0)
        return discount

    # Ideal DCG: relevance in decreasing order within each query.
    ideal_order = np.lexsort((-y_true, codes))
    ideal = np.bincount(
        codes[ideal_order],
        weights=y_true[ideal_order] * discounts(ideal_order),
        minlength=n_queries,
    )
    order = np.lexsort((_descending(y_score), codes))
    gain = y_true[order]
    if not ignore_ties:
        # items with equal scores share the mean gain of their tie group
        q_sorted, s_sorted = codes[order], y_score[order]
        new_group = np.ones(n_samples, dtype=bool)
        new_group[1:] = (q_sorted[1:] != q_sorted[:-1]) | (
            s_sorted[1:] != s_sorted[:-1]
        )
        group = np.cumsum(new_group) - 1
        group_mean = np.bincount(group, weights=gain) / np.bincount(group)
        gain = group_mean[group]
    dcg = np.bincount(
        codes[order], weights=gain * discounts(order), minlength=n_queries
    )
    ndcg = np.zeros(n_queries)
    relevant = ideal > 0
    ndcg[relevant] = dcg[relevant] / ideal[relevant]
    return float(ndcg.mean())
