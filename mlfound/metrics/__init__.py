"""Metrics, scorers and displays: expected cost, ordinal, ranking and off-policy."""

from mlfound.metrics._cost import (
    expected_calibration_error,
    expected_cost,
    make_cost_scorer,
    total_cost,
)
from mlfound.metrics._cost_curve import CostCurveDisplay

__all__ = [
    # cost-sensitive decisions
    "CostCurveDisplay",
    "expected_calibration_error",
    "expected_cost",
    "make_cost_scorer",
    "total_cost",
]
