"""Total weighted cost of labelled decisions: label sets, codes and confusion counts."""

import numpy as np

from mlfound.metrics._cost_checks import (
    _check_cost_matrix,
    _check_sample_cost,
    _check_y_pair,
)
from mlfound.utils.validation import check_pos_label


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
