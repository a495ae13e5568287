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

_DICT_KEYS = {"tn": (0, 0), "fp": (0, 1), "fn": (1, 0), "tp": (1, 1)}


def _check_cost_matrix(
    cost_matrix, n_classes=None, *, name="cost_matrix", classes_from="labels"
):
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
            f"{name} has shape {matrix.shape} but {classes_from} has {n_classes} "
            f"classes: "
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


def _check_labels(y, name):
    """``y`` as a 1-d array of labels: no NaN, no 2-d input."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-d array, got an array of shape {y.shape}."
        )
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        raise ValueError(
            f"{name} contains NaN or infinity ({int(np.sum(~np.isfinite(y)))} of "
            f"{y.shape[0]} values). Drop or fill those rows."
        )
    return y


def _check_weights(sample_weight, n_samples):
    """Finite, non-negative float64 weights of length ``n_samples``, not all 0.

    Two passes (a sum and a minimum) rather than an ``isfinite`` mask: a
    scorer may run on large folds at many thresholds.
    """
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"sample_weight must hold numbers, got {np.asarray(sample_weight).dtype}."
        ) from exc
    if weights.ndim == 0:
        weights = np.full(n_samples, float(weights))
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per "
            f"sample; got {weights.shape}."
        )
    total = weights.sum()
    if not np.isfinite(total):
        raise ValueError(
            "sample_weight contains NaN or infinity (or weights whose sum "
            "overflows); pass finite weights."
        )
    if weights.min() < 0:
        raise ValueError(
            f"sample_weight contains negative weights (minimum "
            f"{weights.min()!r}); weights must be >= 0."
        )
    if total == 0:
        raise ValueError(
            "sample_weight is all zeros: no sample counts. Give at least one "
            "sample a positive weight."
        )
    return weights


def _check_y_pair(y_true, y_pred, sample_weight, *, pred_name="y_pred"):
    """Validated labels (and weights): 1-d, same length, non-empty, finite."""
    y_true = _check_labels(y_true, "y_true")
    y_pred = _check_labels(y_pred, pred_name)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"y_true and {pred_name} have different lengths ({y_true.shape[0]} and "
            f"{y_pred.shape[0]}); pass one decision per sample."
        )
    if y_true.shape[0] == 0:
        raise ValueError(
            f"y_true and {pred_name} are empty: there is no decision to score. "
            f"Pass at least one sample."
        )
    if sample_weight is not None:
        sample_weight = _check_weights(sample_weight, y_true.shape[0])
    return y_true, y_pred, sample_weight


def _shifted(a, low):
    """``a - low`` as intp, exact for every integer dtype when ``a >= low``.

    Small integer types are widened first (``int8`` labels -100 and 100 are
    200 apart); 64-bit ones are subtracted in their own type, which is exact
    modulo 2**64 and so exact whenever the result is small. The result may
    share memory with ``a``: never write to it.
    """
    if (
        a.dtype.itemsize < 8
        or a.dtype.kind == "b"
        or (a.dtype.kind == "u" and low < 0)  # then every value is small
    ):
        a = a.astype(np.int64)
    if low:
        a = a - a.dtype.type(low)
    return a.astype(np.intp, copy=False)


def _comparable(*arrays):
    """``arrays`` in types that compare exactly with each other.

    NumPy promotes uint64 with a signed integer type to float64, where
    distinct labels above 2**53 collapse: such a mix is compared as Python
    integers instead.
    """
    kinds = {a.dtype.kind for a in arrays}
    if "u" in kinds and "i" in kinds and np.result_type(*arrays).kind == "f":
        return tuple(a.astype(object) for a in arrays)
    return arrays


def _unique_labels(*arrays):
    """Sorted distinct labels of ``arrays``; O(n) for small integer ranges."""
    dtype = np.result_type(*arrays)
    if dtype.kind in "iub" and all(a.size for a in arrays):
        low = min(int(a.min()) for a in arrays)
        high = max(int(a.max()) for a in arrays)
        if high - low < 1024:
            present = np.zeros(high - low + 1, dtype=bool)
            for a in arrays:
                present |= np.bincount(_shifted(a, low), minlength=present.size) > 0
            offsets = np.flatnonzero(present)
            if dtype.itemsize < 8 or dtype.kind == "b":
                return (offsets + low).astype(dtype)
            # exact in the 64-bit type itself (uint64 labels may exceed int64)
            return offsets.astype(dtype) + dtype.type(low)
    arrays = _comparable(*arrays)
    try:
        return np.unique(np.concatenate(arrays))
    except TypeError as exc:
        raise TypeError(
            "y_true and y_pred mix label types that cannot be compared (e.g. "
            "strings and numbers, or None); use one type for all labels."
        ) from exc


def _encode(y, labels, name):
    """Position of each value of ``y`` in ``labels``; raises on unknown labels."""
    n_classes = labels.shape[0]
    if labels.dtype.kind in "iub" and y.dtype.kind in "iub" and y.size:
        low = min(int(labels.min()), int(y.min()))
        high = max(int(labels.max()), int(y.max()))
        if high - low < 1 << 16:
            # small integer labels: one lookup-table gather, no sort
            table = np.full(high - low + 1, -1, dtype=np.intp)
            table[_shifted(labels, low)] = np.arange(n_classes)
            codes = table[_shifted(y, low)]
            if codes.min() < 0:
                bad = np.unique(y[codes < 0])[:10].tolist()
                raise ValueError(
                    f"{name} contains labels {bad!r} that are not in labels "
                    f"{labels.tolist()!r}."
                )
            return codes
    labels, y = _comparable(labels, y)
    sorter = np.argsort(labels, kind="stable")
    try:
        pos = np.searchsorted(labels, y, sorter=sorter)
        pos = np.clip(pos, 0, n_classes - 1)
        codes = sorter[pos]
        unknown = labels[codes] != y
    except TypeError as exc:
        raise TypeError(
            f"{name} holds labels that cannot be compared with labels "
            f"{labels.tolist()!r}; use one type for all labels."
        ) from exc
    if np.any(unknown):
        bad = np.unique(y[unknown])[:10].tolist()
        raise ValueError(
            f"{name} contains labels {bad!r} that are not in labels "
            f"{labels.tolist()!r}."
        )
    return codes


def _class_order(found, labels, n_classes, pos_label, binary_costs):
    """The label of each row/column of the cost matrix.

    ``labels`` when given; otherwise the sorted labels ``found()`` returns,
    with the negative class first and ``pos_label`` second when the costs of
    a binary problem single out a positive class.
    """
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != n_classes:
            raise ValueError(
                f"labels must list the {n_classes} labels of the cost matrix rows "
                f"in order; got {labels.tolist()!r}."
            )
        if np.unique(labels).shape[0] != n_classes:
            raise ValueError(
                f"labels must not hold duplicates; got {labels.tolist()!r}."
            )
        if pos_label is not None and not (n_classes == 2 and labels[1] == pos_label):
            raise ValueError(
                f"pos_label={pos_label!r} contradicts labels={labels.tolist()!r}, "
                f"which already orders the classes (the positive class is "
                f"labels[1]); pass only one of them."
            )
        return labels
    found = found()
    if n_classes is None:
        n_classes = found.shape[0]
    if found.shape[0] != n_classes:
        raise ValueError(
            f"Found {found.shape[0]} distinct labels {found[:10].tolist()!r} in "
            f"y_true and y_pred but the cost matrix is {n_classes}x{n_classes}. "
            f"Pass labels=... to say which label each row/column of the cost "
            f"matrix stands for."
        )
    if pos_label is not None and n_classes != 2:
        raise ValueError(
            f"pos_label only applies to binary costs, but there are {n_classes} "
            f"classes; pass labels=... to order the cost matrix instead."
        )
    if binary_costs and n_classes == 2:
        pos_label = check_pos_label(pos_label, found, name="y_true and y_pred")
        if found[0] == pos_label:
            return found[::-1]
    return found


def _weighted_cost(
    y_true, y_pred, cost_matrix, sample_cost, sample_weight, labels, pos_label
):
    """Validated ``(sum_i w_i C_i[y_true_i][y_pred_i], sum_i w_i)``."""
    y_true, y_pred, sample_weight = _check_y_pair(y_true, y_pred, sample_weight)
    n_samples = y_true.shape[0]
    matrix = None
    if sample_cost is not None:
        costs = np.asarray(sample_cost)
        n_classes = costs.shape[-1] if costs.ndim == 3 else 2
        costs = _check_sample_cost(costs, n_samples, n_classes)
    elif cost_matrix is not None:
        matrix = _check_cost_matrix(
            cost_matrix, None if labels is None else len(labels)
        )
        n_classes = matrix.shape[0]
    else:
        n_classes = None if labels is None else len(labels)
    binary_costs = sample_cost is not None or cost_matrix is not None
    weight = float(n_samples) if sample_weight is None else float(sample_weight.sum())
    if sample_cost is None:
        confusion = _small_int_confusion(y_true, y_pred, sample_weight)
        if confusion is not None:
            counts, present = confusion
            order = _class_order(
                lambda: present, labels, n_classes, pos_label, binary_costs
            )
            if matrix is None:
                matrix = 1.0 - np.eye(order.shape[0])
            return _confusion_cost(counts, present, order, matrix), weight
    order = _class_order(
        lambda: _unique_labels(y_true, y_pred),
        labels,
        n_classes,
        pos_label,
        binary_costs,
    )
    n_classes = order.shape[0]
    if sample_cost is None and matrix is None:
        matrix = 1.0 - np.eye(n_classes)
    t = _encode(y_true, order, "y_true")
    p = _encode(y_pred, order, "y_pred")
    if sample_cost is None:
        # one weighted bincount of the confusion cells, then K*K products
        t *= n_classes
        t += p
        counts = np.bincount(t, weights=sample_weight, minlength=n_classes**2)
        return float(counts @ matrix.ravel()), weight
    per_sample = costs[np.arange(n_samples), t, p]
    if sample_weight is None:
        return float(per_sample.sum()), weight
    return float(sample_weight @ per_sample), weight


# widest label range counted through a dense (range x range) confusion table
_MAX_SPAN = 64


def _small_int_confusion(y_true, y_pred, sample_weight):
    """Weighted confusion table over the label range, for small integer labels.

    Returns ``(counts, present)``: ``counts[a, b]`` sums the weights of the
    samples with ``y_true == present[a]`` and ``y_pred == present[b]``, over
    the labels ``present`` found in either array (sorted); ``None`` when the
    labels are not integers spanning at most ``_MAX_SPAN`` values. One
    ``bincount`` over ``true * span + pred`` is far cheaper than gathering a
    cost per sample, which matters when a scorer runs at many thresholds.
    """
    if y_true.dtype.kind not in "iub" or y_pred.dtype.kind not in "iub":
        return None
    dtype = np.result_type(y_true, y_pred)
    if dtype.kind not in "iub":  # e.g. int64 with uint64
        return None
    low = min(int(y_true.min()), int(y_pred.min()))
    high = max(int(y_true.max()), int(y_pred.max()))
    span = high - low + 1
    if span > _MAX_SPAN:
        return None
    codes = _shifted(y_true, low) * span  # a new array: safe to add to
    codes += _shifted(y_pred, low)
    counts = np.bincount(codes, weights=sample_weight, minlength=span * span)
    counts = counts.reshape(span, span)
    if sample_weight is None or sample_weight.all():
        seen = counts != 0
    else:
        # labels carried only by zero-weight samples still count as present
        seen = (np.bincount(codes, minlength=span * span) != 0).reshape(span, span)
    offsets = np.flatnonzero(seen.any(axis=0) | seen.any(axis=1))
    counts = counts[np.ix_(offsets, offsets)]
    if dtype.itemsize < 8 or dtype.kind == "b":
        present = (offsets + low).astype(dtype)
    else:
        present = offsets.astype(dtype) + dtype.type(low)
    return counts, present


def _confusion_cost(counts, present, order, matrix):
    """Total cost of a confusion table over ``present`` under ``matrix``."""
    position = _encode(present, order, "y_true and y_pred")
    cells = np.zeros((order.shape[0], order.shape[0]))
    np.add.at(cells, (position[:, None], position[None, :]), counts)
    return float(np.sum(cells * matrix))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "cost_matrix": ["array-like", dict, None],
        "sample_cost": ["array-like", None],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
        "pos_label": [numbers.Real, str, "boolean", None],
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


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "cost_matrix": ["array-like", dict, None],
        "sample_cost": ["array-like", None],
        "sample_weight": ["array-like", None],
        "labels": ["array-like", None],
        "pos_label": [numbers.Real, str, "boolean", None],
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
