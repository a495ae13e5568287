"""Validation of cost matrices, per-sample costs, labels and weights."""

import numbers

import numpy as np

from mlfound.utils._array_checks import as_real_float64

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
        matrix = as_real_float64(
            cost_matrix,
            name=name,
            what="real numbers (a square array-like, or a dict like "
            "{'fp': 1, 'fn': 50})",
        )
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
    costs = as_real_float64(sample_cost, name=name)
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
    weights = as_real_float64(sample_weight, name="sample_weight")
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
