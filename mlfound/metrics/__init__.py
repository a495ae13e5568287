"""Metrics, scorers and displays: expected cost, ordinal, ranking and off-policy."""

# ordinal metrics and scorers
from mlfound.metrics._ordinal import (
    mean_absolute_class_error,
    mean_absolute_class_error_scorer,
    off_by_more_than_one_rate,
    off_by_more_than_one_rate_scorer,
    quadratic_weighted_kappa,
    quadratic_weighted_kappa_scorer,
)

__all__ = [
    # ordinal
    "mean_absolute_class_error",
    "mean_absolute_class_error_scorer",
    "off_by_more_than_one_rate",
    "off_by_more_than_one_rate_scorer",
    "quadratic_weighted_kappa",
    "quadratic_weighted_kappa_scorer",
]
