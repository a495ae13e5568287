"""Metrics for ordered labels: class distance, far misses, weighted kappa."""

import numpy as np
from sklearn.metrics import cohen_kappa_score, make_scorer

from mlfound.utils._param_validation import StrOptions, validate_params
from mlfound.utils.validation import (
    check_array_1d,
    check_ordinal_target,
    ordinal_categories,
)

__all__ = [
    "mean_absolute_class_error",
    "off_by_more_than_one_rate",
    "quadratic_weighted_kappa",
]


def _pooled_labels(y_true, y_pred):
    """``y_true`` and ``y_pred`` in one array, without rounding any label.

    NumPy joins int64 and uint64 arrays (or large integers and floats) as
    float64, which merges distinct integers above 2**53: join them in an
    integer dtype that holds both, or refuse.
    """
    common = np.result_type(y_true, y_pred)
    if common.kind != "f" or not any(y.dtype.kind in "iu" for y in (y_true, y_pred)):
        return np.concatenate([y_true, y_pred])
    low = min(int(y.min()) for y in (y_true, y_pred) if y.dtype.kind in "iu")
    high = max(int(y.max()) for y in (y_true, y_pred) if y.dtype.kind in "iu")
    if y_true.dtype.kind in "iu" and y_pred.dtype.kind in "iu":
        if low >= 0:
            return np.concatenate([y_true.astype(np.uint64), y_pred.astype(np.uint64)])
        if high <= np.iinfo(np.int64).max:
            return np.concatenate([y_true.astype(np.int64), y_pred.astype(np.int64)])
    elif max(-low, high) <= 2**53:  # integers that float64 holds exactly
        return np.concatenate([y_true, y_pred])
    raise ValueError(
        f"y_true (dtype {y_true.dtype}) and y_pred (dtype {y_pred.dtype}) hold "
        f"integer labels in [{low}, {high}] that no common dtype represents "
        f"exactly. Give both the same dtype, or pass categories=[...] listing "
        f"the labels from lowest to highest."
    )


def _class_codes(y_true, y_pred, categories):
    """Ranks of ``y_true`` and ``y_pred`` on the label order, and the order."""
    cats = ordinal_categories(y_true, categories, name="y_true")
    if cats is None:
        cats = ordinal_categories(y_pred, "auto", name="y_pred")
    y_true = check_array_1d(y_true, name="y_true", numeric=False)
    y_pred = check_array_1d(
        y_pred, name="y_pred", numeric=False, n_samples=y_true.shape[0]
    )
    if cats is None:
        cats, codes = check_ordinal_target(
            _pooled_labels(y_true, y_pred),
            None,
            require_all=False,
            discrete=False,
            name="y_true and y_pred",
        )
        n = y_true.shape[0]
        return codes[:n], codes[n:], cats
    _, true_codes = check_ordinal_target(y_true, cats, require_all=False, name="y_true")
    _, pred_codes = check_ordinal_target(y_pred, cats, require_all=False, name="y_pred")
    return true_codes, pred_codes, cats


def _class_distances(y_true, y_pred, categories):
    """``|rank(y_true) - rank(y_pred)|`` on the label order."""
    true_codes, pred_codes, cats = _class_codes(y_true, y_pred, categories)
    return np.abs(true_codes - pred_codes), cats


def _check_weights(sample_weight, n_samples):
    """Finite, non-negative weights, one per sample, not all zero."""
    sample_weight = check_array_1d(
        sample_weight,
        name="sample_weight",
        ensure_non_negative=True,
        n_samples=n_samples,
    )
    if not sample_weight.any():
        raise ValueError(
            "sample_weight is all zeros: the weighted metric is 0/0. Give at "
            "least one sample a positive weight."
        )
    return sample_weight.astype(np.float64, copy=False)


def _weighted_mean(values, sample_weight):
    if sample_weight is None:
        return float(np.mean(values))
    return float(np.average(values, weights=_check_weights(sample_weight, len(values))))


_PARAMS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like"],
    "categories": [StrOptions({"auto"}), "array-like"],
    "sample_weight": ["array-like", None],
}


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def mean_absolute_class_error(y_true, y_pred, *, categories="auto", sample_weight=None):
    """Mean absolute distance between true and predicted classes, in ranks.

    The distance between two labels is the number of steps between them in
    the label order (1 star vs 5 stars is 4, 2 vs 3 is 1), whatever the
    labels' values: ``"bad" < "ok" < "good"`` counts like ``1 < 2 < 3``. The
    median of a predicted distribution minimises its expectation (see
    :meth:`mlfound.ordinal.OrdinalLogisticRegression.predict_median`).

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (non-empty, no NaN).
    y_pred : array-like of shape (n_samples,)
        Predicted labels, as many as ``y_true``.
    categories : "auto" or array-like, default="auto"
        The labels from lowest to highest. ``"auto"`` uses an ordered pandas
        ``Categorical``'s order, or else sorts the (numeric) labels seen in
        ``y_true`` and ``y_pred``, so that unobserved ranks in between do
        not count: pass the full list when a class may be missing.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights: finite, non-negative and not all zero.

    Returns
    -------
    error : float
        The (weighted) mean number of classes between truth and prediction.

    Examples
    --------
    >>> from mlfound.metrics import mean_absolute_class_error
    >>> stars = [1, 2, 3, 4, 5]
    >>> mean_absolute_class_error([1, 2, 3, 5], [1, 3, 3, 1], categories=stars)
    1.25

    Without ``categories`` only the observed labels are ranks (4 stars is
    never seen here, so 1 and 5 are three ranks apart):

    >>> mean_absolute_class_error([1, 2, 3, 5], [1, 3, 3, 1])
    1.0
    >>> mean_absolute_class_error(
    ...     ["bad", "ok", "good"], ["ok", "ok", "bad"],
    ...     categories=["bad", "ok", "good"],
    ... )
    1.0
    """
    distances, _ = _class_distances(y_true, y_pred, categories)
    return _weighted_mean(distances, sample_weight)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def off_by_more_than_one_rate(y_true, y_pred, *, categories="auto", sample_weight=None):
    """Fraction of predictions more than one class away from the truth.

    The "far miss" rate: predicting 4 stars for a 5-star review is a near
    miss, predicting 2 stars is a far miss.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (non-empty, no NaN).
    y_pred : array-like of shape (n_samples,)
        Predicted labels, as many as ``y_true``.
    categories : "auto" or array-like, default="auto"
        The labels from lowest to highest (see
        :func:`mean_absolute_class_error`).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights: finite, non-negative and not all zero.

    Returns
    -------
    rate : float
        The (weighted) fraction of predictions at least two classes off.

    Examples
    --------
    >>> from mlfound.metrics import off_by_more_than_one_rate
    >>> off_by_more_than_one_rate([1, 2, 3, 5], [1, 3, 3, 2])
    0.25
    """
    distances, _ = _class_distances(y_true, y_pred, categories)
    return _weighted_mean(distances > 1, sample_weight)


@validate_params(_PARAMS, prefer_skip_nested_validation=True)
def quadratic_weighted_kappa(y_true, y_pred, *, categories="auto", sample_weight=None):
    """Cohen's kappa with quadratic weights on the label order.

    Agreement between truth and prediction beyond chance, where a
    disagreement of ``r`` classes costs ``r^2``: 1 is perfect agreement, 0 is
    chance level. Computed by scikit-learn's
    :func:`~sklearn.metrics.cohen_kappa_score` with ``weights="quadratic"``
    and the labels in their order.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (non-empty, no NaN).
    y_pred : array-like of shape (n_samples,)
        Predicted labels, as many as ``y_true``.
    categories : "auto" or array-like, default="auto"
        The labels from lowest to highest (see
        :func:`mean_absolute_class_error`).
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights: finite, non-negative and not all zero.

    Returns
    -------
    kappa : float
        Quadratic weighted kappa, in [-1, 1]. Like scikit-learn, NaN with an
        ``UndefinedMetricWarning`` when kappa is undefined (truth and
        predictions all in one and the same class).

    Examples
    --------
    >>> from mlfound.metrics import quadratic_weighted_kappa
    >>> quadratic_weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    1.0
    >>> round(quadratic_weighted_kappa([1, 2, 3, 4, 5], [2, 2, 3, 4, 4]), 3)
    0.857
    """
    true_codes, pred_codes, cats = _class_codes(y_true, y_pred, categories)
    if sample_weight is not None:
        sample_weight = _check_weights(sample_weight, true_codes.shape[0])
    # on the ranks, so that the labels' own dtype never matters
    return float(
        cohen_kappa_score(
            true_codes,
            pred_codes,
            labels=np.arange(cats.shape[0]),
            weights="quadratic",
            sample_weight=sample_weight,
        )
    )


mean_absolute_class_error_scorer = make_scorer(
    mean_absolute_class_error, greater_is_better=False
)
mean_absolute_class_error_scorer.__doc__ = (
    "Scorer for GridSearchCV: the negated :func:`mean_absolute_class_error`."
)
off_by_more_than_one_rate_scorer = make_scorer(
    off_by_more_than_one_rate, greater_is_better=False
)
quadratic_weighted_kappa_scorer = make_scorer(quadratic_weighted_kappa)
