"""Cost-based metrics: expected and total cost, cost scorer, calibration error.

A cost matrix ``C`` is indexed ``C[true][pred]``: ``C[i][j]`` is the cost of
predicting class ``j`` when the truth is class ``i``, with classes in sorted
order (for binary problems row/column 0 is the negative class and 1 the
positive class). Per-sample costs have shape ``(n_samples, K, K)`` in the same
layout, e.g. ``sample_cost[:, 1, 0] = amount`` for the money lost on a missed
fraud.
"""

import numbers

import numpy as np
from sklearn.metrics import make_scorer

from mlfound.metrics._cost_checks import _check_cost_matrix, _check_y_pair
from mlfound.metrics._cost_counting import _unique_labels, _weighted_cost
from mlfound.utils._param_validation import Interval, StrOptions, validate_params
from mlfound.utils.validation import check_pos_label

__all__ = [
    "expected_calibration_error",
    "expected_cost",
    "make_cost_scorer",
    "total_cost",
]

# More bins than this only adds empty ones, and each costs memory.
_MAX_BINS = 1_000_000

# total_cost and expected_cost take the same arguments.
_COST_PARAMS = {
    "y_true": ["array-like"],
    "y_pred": ["array-like"],
    "cost_matrix": ["array-like", dict, None],
    "sample_cost": ["array-like", None],
    "sample_weight": ["array-like", None],
    "labels": ["array-like", None],
    "pos_label": [numbers.Real, str, "boolean", None],
}


@validate_params(_COST_PARAMS, prefer_skip_nested_validation=True)
def total_cost(
    y_true,
    y_pred,
    *,
    cost_matrix=None,
    sample_cost=None,
    sample_weight=None,
    labels=None,
    pos_label=None,
):
    """Total cost of the decisions ``y_pred`` given the truth ``y_true``.

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels (the decisions taken).
    cost_matrix : array-like of shape (n_classes, n_classes) or dict, default=None
        ``cost_matrix[i][j]`` is the cost of predicting class ``j`` when the
        truth is class ``i`` (classes in sorted order, or in the order of
        ``labels``). A dict such as ``{"fp": 1, "fn": 50}`` describes a binary
        problem (missing keys cost 0). ``None`` means every error costs 1.
    sample_cost : array-like of shape (n_samples, n_classes, n_classes), \
            default=None
        One cost matrix per sample in the same ``[true][pred]`` layout (e.g.
        the transaction amount as the cost of a missed fraud). When given, it
        replaces ``cost_matrix``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    labels : array-like of shape (n_classes,), default=None
        The label that each row/column of the cost matrix stands for. ``None``
        uses the sorted union of ``y_true`` and ``y_pred`` (for binary costs,
        ordered by ``pos_label``).
    pos_label : int, float, bool or str, default=None
        The positive class of a binary problem: row/column 1 of a 2x2
        ``cost_matrix`` or ``sample_cost``, the class a dict's ``"fn"`` and
        ``"tp"`` refer to. ``None`` infers it only for numeric labels in
        ``{0, 1}`` or ``{-1, 1}`` (it is then 1); other labels (e.g.
        ``"fraud"``/``"legit"``) raise a ``ValueError`` asking for it. Not
        needed with the default 0/1 costs, which treat both classes alike, nor
        when ``labels`` gives the order.

    Returns
    -------
    cost : float
        ``sum_i w_i C_i[y_true_i][y_pred_i]``.

    See Also
    --------
    expected_cost : The same cost averaged over samples.

    Examples
    --------
    >>> from mlfound.metrics import total_cost
    >>> total_cost([0, 0, 1, 1], [0, 1, 0, 1], cost_matrix={"fp": 1, "fn": 50})
    51.0
    >>> import numpy as np
    >>> amount = np.array([10.0, 20.0, 300.0, 40.0])
    >>> sample_cost = np.zeros((4, 2, 2))
    >>> sample_cost[:, 0, 1] = 1.0      # reviewing a legitimate transaction
    >>> sample_cost[:, 1, 0] = amount   # the amount lost on a missed fraud
    >>> total_cost([0, 0, 1, 1], [0, 1, 0, 1], sample_cost=sample_cost)
    301.0
    """
    total, _ = _weighted_cost(
        y_true, y_pred, cost_matrix, sample_cost, sample_weight, labels, pos_label
    )
    return total


@validate_params(_COST_PARAMS, prefer_skip_nested_validation=True)
def expected_cost(
    y_true,
    y_pred,
    *,
    cost_matrix=None,
    sample_cost=None,
    sample_weight=None,
    labels=None,
    pos_label=None,
):
    """Average cost per sample of the decisions ``y_pred``.

    With the default 0/1 cost matrix this is the error rate,
    ``1 - accuracy_score``. Lower is better.

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    y_pred : array-like of shape (n_samples,)
        Predicted labels (the decisions taken).
    cost_matrix : array-like of shape (n_classes, n_classes) or dict, default=None
        ``cost_matrix[i][j]`` is the cost of predicting class ``j`` when the
        truth is class ``i`` (classes in sorted order, or in the order of
        ``labels``). A dict such as ``{"fp": 1, "fn": 50}`` describes a binary
        problem (missing keys cost 0). ``None`` means every error costs 1.
    sample_cost : array-like of shape (n_samples, n_classes, n_classes), \
            default=None
        One cost matrix per sample in the same ``[true][pred]`` layout. When
        given, it replaces ``cost_matrix``.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights; the result is the weighted mean.
    labels : array-like of shape (n_classes,), default=None
        The label that each row/column of the cost matrix stands for. ``None``
        uses the sorted union of ``y_true`` and ``y_pred`` (for binary costs,
        ordered by ``pos_label``).
    pos_label : int, float, bool or str, default=None
        The positive class of a binary problem: row/column 1 of a 2x2
        ``cost_matrix`` or ``sample_cost``, the class a dict's ``"fn"`` and
        ``"tp"`` refer to. ``None`` infers it only for numeric labels in
        ``{0, 1}`` or ``{-1, 1}`` (it is then 1); other labels (e.g.
        ``"fraud"``/``"legit"``) raise a ``ValueError`` asking for it. Not
        needed with the default 0/1 costs, which treat both classes alike, nor
        when ``labels`` gives the order.

    Returns
    -------
    cost : float
        ``sum_i w_i C_i[y_true_i][y_pred_i] / sum_i w_i``.

    See Also
    --------
    total_cost : The same cost summed over samples.
    make_cost_scorer : A scorer for model selection built on this metric.

    Examples
    --------
    >>> from mlfound.metrics import expected_cost
    >>> expected_cost([0, 0, 1, 1], [0, 1, 0, 1], cost_matrix={"fp": 1, "fn": 50})
    12.75
    >>> expected_cost([0, 0, 1, 1], [0, 1, 0, 1])  # the error rate
    0.5
    """
    total, weight = _weighted_cost(
        y_true, y_pred, cost_matrix, sample_cost, sample_weight, labels, pos_label
    )
    if weight <= 0:
        raise ValueError(
            "sample_weight sums to zero, so the expected cost (a weighted mean) "
            "is undefined. Give at least one sample a positive weight."
        )
    return total / weight


@validate_params(
    {
        "cost_matrix": ["array-like", dict, None],
        "labels": ["array-like", None],
        "pos_label": [numbers.Real, str, "boolean", None],
    },
    prefer_skip_nested_validation=True,
)
def make_cost_scorer(cost_matrix=None, *, labels=None, pos_label=None):
    """Make a scorer that ranks models by (negated) expected cost.

    The scorer returns ``-expected_cost`` so that greater is better, as
    :class:`~sklearn.model_selection.GridSearchCV` expects. Per-sample costs
    reach it through metadata routing:
    ``make_cost_scorer(...).set_score_request(sample_cost=True)`` and then
    ``search.fit(X, y, sample_cost=...)`` (with
    ``sklearn.set_config(enable_metadata_routing=True)``).

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    cost_matrix : array-like of shape (n_classes, n_classes) or dict, default=None
        ``cost_matrix[i][j]`` is the cost of predicting ``j`` when the truth is
        ``i``; see :func:`expected_cost`.
    labels : array-like of shape (n_classes,), default=None
        The label of each row/column of the cost matrix; pass it when a
        validation fold may lack a class.
    pos_label : int, float, bool or str, default=None
        The positive class of binary costs; see :func:`expected_cost`.
        Required for binary costs on labels other than ``{0, 1}`` and
        ``{-1, 1}``.

    Returns
    -------
    scorer : callable
        A scorer ``scorer(estimator, X, y_true, **kwargs)``.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from mlfound.metrics import make_cost_scorer
    >>> X, y = make_classification(n_samples=500, weights=[0.9], random_state=0)
    >>> scorer = make_cost_scorer({"fp": 1, "fn": 10})
    >>> scores = cross_val_score(LogisticRegression(), X, y, scoring=scorer)
    >>> bool((scores <= 0).all())
    True
    """
    if cost_matrix is not None:
        n_classes = None if labels is None else len(labels)
        cost_matrix = _check_cost_matrix(cost_matrix, n_classes)
    if pos_label is not None and cost_matrix is not None and len(cost_matrix) != 2:
        raise ValueError(
            f"pos_label only applies to binary costs, but cost_matrix is "
            f"{len(cost_matrix)}x{len(cost_matrix)}; pass labels=... to order it."
        )
    return make_scorer(
        expected_cost,
        greater_is_better=False,
        cost_matrix=cost_matrix,
        labels=labels,
        pos_label=pos_label,
    )


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "n_bins": [Interval(numbers.Integral, 1, _MAX_BINS, closed="both")],
        "strategy": [StrOptions({"uniform", "quantile"})],
        "pos_label": [numbers.Real, str, "boolean", None],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def expected_calibration_error(
    y_true, y_prob, *, n_bins=10, strategy="uniform", pos_label=None, sample_weight=None
):
    """Expected calibration error (ECE) of binary probabilities.

    Samples are grouped into ``n_bins`` bins of predicted probability; ECE is
    the (weighted) average over bins of ``|observed rate - mean prediction|``,
    each bin weighted by its share of the samples:
    ``ECE = sum_b (W_b / W) |mean(y)_b - mean(p)_b|``.

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True binary labels.
    y_prob : array-like of shape (n_samples,)
        Predicted probabilities of the positive class, in [0, 1].
    n_bins : int, default=10
        Number of bins, at most 1,000,000.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on [0, 1], as
        :func:`sklearn.calibration.calibration_curve`; ``"quantile"``: bins with
        (about) the same number of samples.
    pos_label : int, float, bool or str, default=None
        The class whose probability ``y_prob`` is. ``None`` infers it only for
        numeric labels in ``{0, 1}`` or ``{-1, 1}`` (it is then 1); other
        labels (e.g. ``"fraud"``/``"legit"``) raise a ``ValueError`` asking
        for it.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative, finite sample weights, not all zero.

    Returns
    -------
    ece : float
        The expected calibration error, in [0, 1]; 0 is perfectly calibrated.

    Examples
    --------
    >>> from mlfound.metrics import expected_calibration_error
    >>> expected_calibration_error([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], n_bins=2)
    0.15
    """
    y_true, y_prob, w = _check_y_pair(y_true, y_prob, sample_weight, pred_name="y_prob")
    if y_prob.dtype.kind not in "iufb":
        raise TypeError(
            f"y_prob must hold probabilities (numbers in [0, 1]), got dtype "
            f"{y_prob.dtype}."
        )
    y_prob = y_prob.astype(np.float64)
    if y_prob.min() < 0 or y_prob.max() > 1:
        raise ValueError(
            f"y_prob must hold probabilities in [0, 1]; found values in "
            f"[{y_prob.min()!r}, {y_prob.max()!r}]. Pass predict_proba(X)[:, 1], "
            f"not decision_function scores."
        )
    labels = _unique_labels(y_true)
    if labels.shape[0] > 2:
        raise ValueError(
            f"expected_calibration_error is for binary targets; y_true has "
            f"{labels.shape[0]} classes."
        )
    pos_label = check_pos_label(pos_label, labels, name="y_true")
    y = (y_true == pos_label).astype(np.float64)
    if w is None:
        w = np.ones_like(y)
    if w.sum() <= 0:
        raise ValueError(
            "sample_weight sums to zero, so the calibration error (a weighted "
            "mean) is undefined. Give at least one sample a positive weight."
        )
    if strategy == "quantile":
        edges = _weighted_quantiles(y_prob, w, np.linspace(0, 1, n_bins + 1))
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges[1:-1], y_prob, side="right"), 0, n_bins - 1)
    total = np.bincount(bins, weights=w, minlength=n_bins)
    observed = np.bincount(bins, weights=w * y, minlength=n_bins)
    predicted = np.bincount(bins, weights=w * y_prob, minlength=n_bins)
    return float(np.abs(observed - predicted).sum() / total.sum())


def _weighted_quantiles(values, weights, q):
    """Inverted-CDF quantiles of ``values`` under ``weights``.

    A weight of k acts exactly like k copies of the value; with unit weights
    this is ``np.quantile(values, q, method="inverted_cdf")``.
    """
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    idx = np.searchsorted(cum, q * cum[-1], side="left")
    return values[order][np.clip(idx, 0, values.shape[0] - 1)]


def _positive_scores(estimator, X, response_method="auto", pos_label=None):
    """Scores of the positive class and the method that gave them.

    The positive class is ``pos_label`` (``None``: ``classes_[1]``):
    ``predict_proba`` gives its column, and ``decision_function`` (the score
    of ``classes_[1]``) is negated when ``pos_label`` is ``classes_[0]``.
    ``response_method="auto"`` tries ``predict_proba`` then
    ``decision_function``; a method name, or a list of them, is tried in order.
    """
    if response_method == "auto":
        methods = ["predict_proba", "decision_function"]
    elif isinstance(response_method, str):
        methods = [response_method]
    else:
        methods = list(response_method)
    column = 1
    if pos_label is not None:
        classes = np.asarray(estimator.classes_)
        column = int(np.flatnonzero(classes == pos_label)[0])
    for method in methods:
        if hasattr(estimator, method):
            scores = getattr(estimator, method)(X)
            if method == "predict_proba":
                scores = np.asarray(scores)[:, column]
            scores = np.asarray(scores, dtype=np.float64).ravel()
            if method == "decision_function" and column == 0:
                scores = -scores
            return scores, method
    raise AttributeError(
        f"{type(estimator).__name__} has none of the methods {methods}: it cannot "
        f"give scores to threshold."
    )
