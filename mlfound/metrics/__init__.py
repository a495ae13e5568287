"""Metrics, scorers and displays: expected cost, ordinal, ranking and off-policy."""

# Cost-sensitive decisions.
from mlfound.metrics._cost import (
    expected_calibration_error,
    expected_cost,
    make_cost_scorer,
    total_cost,
)
from mlfound.metrics._cost_curve import CostCurveDisplay

# Off-policy value (biased logged data).
from mlfound.metrics._off_policy import doubly_robust_value, ips_value, snips_value

# Ordinal metrics and scorers.
from mlfound.metrics._ordinal import (
    mean_absolute_class_error,
    mean_absolute_class_error_scorer,
    off_by_more_than_one_rate,
    off_by_more_than_one_rate_scorer,
    quadratic_weighted_kappa,
    quadratic_weighted_kappa_scorer,
)

# Ranking metrics (biased logged data).
from mlfound.metrics._ranking import (
    grouped_ndcg_score,
    mean_average_precision,
    mean_reciprocal_rank,
)

__all__ = [
    # Cost-sensitive decisions.
    "CostCurveDisplay",
    "expected_calibration_error",
    "expected_cost",
    "make_cost_scorer",
    "total_cost",
    # Off-policy value and ranking metrics (biased logged data).
    "doubly_robust_value",
    "grouped_ndcg_score",
    "ips_value",
    "mean_average_precision",
    "mean_reciprocal_rank",
    "snips_value",
    # Ordinal metrics and scorers.
    "mean_absolute_class_error",
    "mean_absolute_class_error_scorer",
    "off_by_more_than_one_rate",
    "off_by_more_than_one_rate_scorer",
    "quadratic_weighted_kappa",
    "quadratic_weighted_kappa_scorer",
]
