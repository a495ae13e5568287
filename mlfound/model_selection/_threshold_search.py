"""Cheapest decision threshold on out-of-fold scores, under an optional constraint."""

import numbers

import numpy as np

from mlfound._kernels.sweep import _finish, _sweep_sorted, select_threshold

_CONSTRAINTS = ("recall", "precision", "fpr")


def _check_constraint(constraint):
    """``constraint`` as None or a checked ``(name, float value)`` pair."""
    if constraint is None:
        return None
    if (
        len(constraint) != 2
        or not isinstance(constraint[0], str)
        or not isinstance(constraint[1], numbers.Real)
        or isinstance(constraint[1], bool)
    ):
        raise ValueError(
            f"constraint must be None or a (name, value) pair such as "
            f"('recall', 0.9); got {constraint!r}."
        )
    name, value = constraint
    if name not in _CONSTRAINTS:
        raise ValueError(
            f"Unknown constraint {name!r}: use one of {list(_CONSTRAINTS)}, "
            f"e.g. ('recall', 0.9)."
        )
    if not 0 <= value <= 1:
        raise ValueError(f"The {name} in constraint must lie in [0, 1]; got {value!r}.")
    return name, float(value)


def _cheapest_threshold(
    oof, cost_matrix, sample_cost, constraint, response_method, n_thresholds=None
):
    """``(best_threshold, best_cost, cost_curve)`` on the stored out-of-fold scores.

    ``cost_matrix`` is the validated (2, 2) matrix, replaced by the rows of
    ``sample_cost`` when given; ``constraint`` is a checked ``(name, value)``
    pair or None. ``n_thresholds`` (an int) restricts the candidates to the
    scores at that many evenly spaced ranks (and "flag nothing").
    """
    if sample_cost is None:
        costs = np.ascontiguousarray(cost_matrix.reshape(1, 2, 2))
        per_sample = False
    else:
        costs = np.ascontiguousarray(sample_cost[oof["index"]])
        per_sample = True
    sweep = _finish(
        *_sweep_sorted(
            oof["scores"], oof["order"], oof["y"], oof["weights"], costs, per_sample
        )
    )
    if n_thresholds is not None:
        sweep = _at_quantiles(sweep, oof["scores"][oof["order"]], n_thresholds)
    default = 0.5 if response_method == "predict_proba" else 0.0
    best = select_threshold(sweep, constraint=constraint, default=default)
    total_weight = sweep["n_pos"] + sweep["n_neg"]
    if total_weight <= 0:
        raise ValueError("The sample weights of the tuning data sum to zero.")
    curve_costs = sweep["costs"] / total_weight
    cost_curve = {
        "thresholds": sweep["thresholds"],
        "costs": curve_costs,
        "recall": sweep["recall"],
        "precision": sweep["precision"],
        "fpr": sweep["fpr"],
    }
    return float(sweep["thresholds"][best]), float(curve_costs[best]), cost_curve


def _at_quantiles(sweep, sorted_scores, n_thresholds):
    """``sweep`` restricted to the cuts at ``n_thresholds`` evenly spaced ranks."""
    n = sorted_scores.shape[0]
    ranks = np.linspace(0, n - 1, min(n, n_thresholds)).astype(np.intp)
    keep = np.isin(sweep["thresholds"], sorted_scores[ranks])
    keep[0] = True
    return {
        key: value[keep] if isinstance(value, np.ndarray) else value
        for key, value in sweep.items()
    }
