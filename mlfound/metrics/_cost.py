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
from sklearn.utils import column_or_1d

from mlfound.utils._param_validation import Interval, StrOptions, validate_params

__all__ = [
    "expected_calibration_error",
    "expected_cost",
    "make_cost_scorer",
    "total_cost",
]

_DICT_KEYS = {"tn": (0, 0), "fp": (0, 1), "fn": (1, 0), "tp": (1, 1)}


def _check_cost_matrix(cost_matrix, n_classes=None, *, name="cost_matrix"):
    """Return ``cost_matrix`` as a validated float64 ``(K, K)`` array.

    ``None`` is the 0/1 matrix (every error costs 1, so the expected cost is
    the error rate). A dict such as ``{"fp": 1, "fn": 50}`` (keys among
    ``"tn"``, ``"fp"``, ``"fn"``, ``"tp"``, missing ones 0) describes a binary
    problem.
    """
    if cost_matrix is None:
        k = 2 if n_classes is None else n_classes
        return 1.0 - np.eye(k)
    if isinstance(cost_matrix, dict):
        unknown = set(cost_matrix) - set(_DICT_KEYS)
        if unknown:
            raise ValueError(
                f"{name} as a dict takes the keys 'tn', 'fp', 'fn', 'tp'; got "
                f"unknown key(s) {sorted(map(str, unknown))}."
            )
        matrix = np.zeros((2, 2))
        for key, value in cost_matrix.items():
            if not isinstance(value, numbers.Real):
                raise TypeError(f"{name}[{key!r}] must be a number, got {value!r}.")
            matrix[_DICT_KEYS[key]] = value
    else:
        try:
            matrix = np.asarray(cost_matrix, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must be a square array-like of numbers or a dict like "
                f"{{'fp': 1, 'fn': 50}}; got {cost_matrix!r}."
            ) from exc
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ValueError(
            f"{name} must be a square (K, K) matrix indexed [true][pred]; got "
            f"shape {matrix.shape}."
        )
    if n_classes is not None and matrix.shape[0] != n_classes:
        raise ValueError(
            f"{name} has shape {matrix.shape} but there are {n_classes} classes: "
            f"it must be ({n_classes}, {n_classes}), indexed [true][pred] in the "
            f"order of the sorted class labels."
        )
    _check_cost_values(matrix, name=name)
    return matrix


def _check_cost_values(costs, *, name):
    if not np.all(np.isfinite(costs)):
        raise ValueError(f"{name} contains NaN or infinite costs.")
    if np.any(costs < 0):
        raise ValueError(
            f"{name} contains negative costs (minimum {costs.min()!r}). Costs must "
            f"be >= 0; express a benefit as a saved cost by shifting that row."
        )
    if not np.any(costs > 0):
        raise ValueError(
            f"{name} is all zeros: every decision costs the same, so there is "
            f"nothing to optimize."
        )


def _check_sample_cost(sample_cost, n_samples, n_classes=2, *, name="sample_cost"):
    """Validate per-sample cost matrices of shape ``(n_samples, K, K)``."""
    try:
        costs = np.asarray(sample_cost, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array.") from exc
    expected = (n_samples, n_classes, n_classes)
    if costs.shape != expected:
        if costs.ndim == 3 and costs.shape[1:] == expected[1:]:
            raise ValueError(
                f"{name} has {costs.shape[0]} rows but there are {n_samples} "
                f"samples: pass one ({n_classes}, {n_classes}) cost matrix per "
                f"sample."
            )
        raise ValueError(
            f"{name} must have shape {expected} (one [true][pred] cost matrix per "
            f"sample); got {costs.shape}."
        )
    _check_cost_values(costs, name=name)
    return np.ascontiguousarray(costs)


def _unique_labels(*arrays):
    """Sorted distinct labels of ``arrays``; O(n) for small integer labels."""
    if all(a.dtype.kind in "iub" for a in arrays) and all(a.size for a in arrays):
        low = min(int(a.min()) for a in arrays)
        high = max(int(a.max()) for a in arrays)
        if high - low < 1024:
            present = np.zeros(high - low + 1, dtype=bool)
            for a in arrays:
                present |= (
                    np.bincount((a - low).astype(np.intp), minlength=present.size) > 0
                )
            return np.flatnonzero(present) + low
    return np.unique(np.concatenate(arrays))


def _encode(y_true, y_pred, labels, n_classes):
    """Positions of ``y_true`` and ``y_pred`` in ``labels`` (sorted if None)."""
    if labels is None:
        labels = _unique_labels(y_true, y_pred)
        if labels.shape[0] != n_classes:
            raise ValueError(
                f"Found {labels.shape[0]} distinct labels in y_true and y_pred but "
                f"the cost matrix is {n_classes}x{n_classes}. Pass labels=... to "
                f"say which label each row/column of the cost matrix stands for."
            )
    labels = np.asarray(labels)
    if labels.shape[0] != n_classes:
        raise ValueError(
            f"labels has {labels.shape[0]} entries but the cost matrix is "
            f"{n_classes}x{n_classes}."
        )
    if (
        labels.dtype.kind in "iu"
        and labels.tolist() == list(range(n_classes))
        and all(a.dtype.kind in "iub" for a in (y_true, y_pred))
    ):
        # Labels 0..K-1 (the common case): the labels are their own positions.
        encoded = [y.astype(np.intp, copy=False) for y in (y_true, y_pred)]
        for y, name in zip(encoded, ("y_true", "y_pred"), strict=True):
            if y.size and (y.min() < 0 or y.max() >= n_classes):
                raise ValueError(f"{name} contains labels that are not in labels.")
        return encoded
    sorter = np.argsort(labels)
    encoded = []
    for y, name in ((y_true, "y_true"), (y_pred, "y_pred")):
        pos = np.searchsorted(labels, y, sorter=sorter)
        pos = np.clip(pos, 0, n_classes - 1)
        idx = sorter[pos]
        if np.any(labels[idx] != y):
            raise ValueError(f"{name} contains labels that are not in labels.")
        encoded.append(idx)
    return encoded


def _confusion_total(y_true, y_pred, cost_matrix, sample_weight):
    """(weighted cost total, weight total) via a confusion matrix, or None.

    One ``bincount`` over ``true * R + pred`` for small integer labels and a
    shared cost matrix: far cheaper than gathering one cost per sample, which
    matters when a scorer is evaluated at many thresholds.
    """
    if y_true.dtype.kind not in "iub" or y_pred.dtype.kind not in "iub":
        return None
    if y_true.size == 0 or y_true.shape != y_pred.shape:
        return None
    low = min(int(y_true.min()), int(y_pred.min()))
    high = max(int(y_true.max()), int(y_pred.max()))
    span = high - low + 1
    if span > 64:
        return None
    codes = y_true.astype(np.intp) * span
    codes += y_pred
    if low:
        codes -= low * (span + 1)
    counts = np.bincount(codes, weights=sample_weight, minlength=span * span)
    counts = counts.reshape(span, span)
    present = np.flatnonzero(counts.any(axis=0) | counts.any(axis=1))
    if sample_weight is not None:
        # labels carried only by zero-weight samples still count as present
        seen = np.zeros(span * span, dtype=bool)
        seen[codes] = True
        seen = seen.reshape(span, span)
        present = np.flatnonzero(seen.any(axis=0) | seen.any(axis=1))
    n_classes = present.shape[0] if cost_matrix is None else None
    matrix = _check_cost_matrix(cost_matrix, n_classes)
    if present.shape[0] != matrix.shape[0]:
        raise ValueError(
            f"Found {present.shape[0]} distinct labels in y_true and y_pred but "
            f"the cost matrix is {matrix.shape[0]}x{matrix.shape[0]}. Pass "
            f"labels=... to say which label each row/column of the cost matrix "
            f"stands for."
        )
    sub = counts[np.ix_(present, present)]
    return float(np.sum(sub * matrix)), float(sub.sum())


def _fast_total(y_true, y_pred, cost_matrix, sample_cost, sample_weight, labels):
    """The confusion-matrix path when it applies, else None."""
    if sample_cost is not None or labels is not None:
        return None
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim != 1 or y_pred.ndim != 1:
        return None
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != y_true.shape:
            raise ValueError(
                f"sample_weight has {sample_weight.shape[0]} entries, expected "
                f"{y_true.shape[0]}."
            )
    return _confusion_total(y_true, y_pred, cost_matrix, sample_weight)


def _costs_per_sample(y_true, y_pred, cost_matrix, sample_cost, labels):
    y_true = column_or_1d(y_true)
    y_pred = column_or_1d(y_pred)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true and y_pred have different lengths ({y_true.shape[0]} and "
            f"{y_pred.shape[0]})."
        )
    if sample_cost is not None:
        costs = np.asarray(sample_cost)
        n_classes = costs.shape[-1] if costs.ndim == 3 else 2
        costs = _check_sample_cost(costs, y_true.shape[0], n_classes)
        t, p = _encode(y_true, y_pred, labels, n_classes)
        return costs[np.arange(t.shape[0]), t, p]
    n_classes = None
    if labels is not None:
        n_classes = len(labels)
    elif cost_matrix is None:
        n_classes = max(_unique_labels(y_true, y_pred).shape[0], 2)
    matrix = _check_cost_matrix(cost_matrix, n_classes)
    t, p = _encode(y_true, y_pred, labels, matrix.shape[0])
    return matrix[t, p]


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "cost_matrix": ["array-like", dict, None],
        "sample_cost": ["array-like", None],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def total_cost(
    y_true,
    y_pred,
    *,
    cost_matrix=None,
    sample_cost=None,
    sample_weight=None,
    labels=None,
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
        uses the sorted union of ``y_true`` and ``y_pred``.

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
    fast = _fast_total(y_true, y_pred, cost_matrix, sample_cost, sample_weight, labels)
    if fast is not None:
        return fast[0]
    costs = _costs_per_sample(y_true, y_pred, cost_matrix, sample_cost, labels)
    if sample_weight is None:
        return float(costs.sum())
    weights = column_or_1d(np.asarray(sample_weight, dtype=np.float64))
    if weights.shape != costs.shape:
        raise ValueError(
            f"sample_weight has {weights.shape[0]} entries, expected {costs.shape[0]}."
        )
    return float(weights @ costs)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "cost_matrix": ["array-like", dict, None],
        "sample_cost": ["array-like", None],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def expected_cost(
    y_true,
    y_pred,
    *,
    cost_matrix=None,
    sample_cost=None,
    sample_weight=None,
    labels=None,
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
        uses the sorted union of ``y_true`` and ``y_pred``.

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
    fast = _fast_total(y_true, y_pred, cost_matrix, sample_cost, sample_weight, labels)
    if fast is not None:
        total, weight = fast
        if weight <= 0:
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        return total / weight
    costs = _costs_per_sample(y_true, y_pred, cost_matrix, sample_cost, labels)
    if sample_weight is None:
        return float(costs.mean()) if costs.size else 0.0
    weights = column_or_1d(np.asarray(sample_weight, dtype=np.float64))
    if weights.shape != costs.shape:
        raise ValueError(
            f"sample_weight has {weights.shape[0]} entries, expected {costs.shape[0]}."
        )
    return float(np.average(costs, weights=weights))


@validate_params(
    {
        "cost_matrix": ["array-like", dict, None],
        "labels": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def make_cost_scorer(cost_matrix=None, *, labels=None):
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
    return make_scorer(
        expected_cost,
        greater_is_better=False,
        cost_matrix=cost_matrix,
        labels=labels,
    )


@validate_params(
    {
        "y_true": ["array-like"],
        "y_prob": ["array-like"],
        "n_bins": [Interval(numbers.Integral, 1, None, closed="left")],
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
        Number of bins.
    strategy : {"uniform", "quantile"}, default="uniform"
        ``"uniform"``: bins of equal width on [0, 1], as
        :func:`sklearn.calibration.calibration_curve`; ``"quantile"``: bins with
        (about) the same number of samples.
    pos_label : int, float, bool or str, default=None
        The positive class. ``None`` takes the greater of the two labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

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
    y_true = column_or_1d(y_true)
    y_prob = column_or_1d(y_prob).astype(np.float64)
    if y_true.shape != y_prob.shape:
        raise ValueError(
            f"y_true and y_prob have different lengths ({y_true.shape[0]} and "
            f"{y_prob.shape[0]})."
        )
    if (
        not np.all(np.isfinite(y_prob))
        or y_prob.min(initial=0) < 0
        or (y_prob.max(initial=0) > 1)
    ):
        raise ValueError("y_prob must hold probabilities in [0, 1].")
    labels = np.unique(y_true)
    if labels.shape[0] > 2:
        raise ValueError(
            f"expected_calibration_error is for binary targets; y_true has "
            f"{labels.shape[0]} classes."
        )
    if pos_label is None:
        pos_label = labels[-1] if labels.size else 1
    y = (y_true == pos_label).astype(np.float64)
    w = (
        np.ones_like(y)
        if sample_weight is None
        else column_or_1d(np.asarray(sample_weight, dtype=np.float64))
    )
    if w.shape != y.shape:
        raise ValueError(
            f"sample_weight has {w.shape[0]} entries, expected {y.shape[0]}."
        )
    if strategy == "quantile":
        edges = _weighted_quantiles(y_prob, w, np.linspace(0, 1, n_bins + 1))
    else:
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges[1:-1], y_prob, side="right"), 0, n_bins - 1)
    total = np.bincount(bins, weights=w, minlength=n_bins)
    observed = np.bincount(bins, weights=w * y, minlength=n_bins)
    predicted = np.bincount(bins, weights=w * y_prob, minlength=n_bins)
    if total.sum() <= 0:
        raise ValueError("The sample weights sum to zero.")
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


def _positive_scores(estimator, X, response_method="auto"):
    """Scores of the positive class ``classes_[1]`` and the method that gave them.

    ``response_method="auto"`` tries ``predict_proba`` then
    ``decision_function``; a method name, or a list of them, is tried in order.
    """
    if response_method == "auto":
        methods = ["predict_proba", "decision_function"]
    elif isinstance(response_method, str):
        methods = [response_method]
    else:
        methods = list(response_method)
    for method in methods:
        if hasattr(estimator, method):
            scores = getattr(estimator, method)(X)
            if method == "predict_proba":
                scores = np.asarray(scores)[:, 1]
            return np.asarray(scores, dtype=np.float64).ravel(), method
    raise AttributeError(
        f"{type(estimator).__name__} has none of the methods {methods}: it cannot "
        f"give scores to threshold."
    )
