"""Metrics, scorers and displays: expected cost, ordinal, ranking and off-policy."""

# Off-policy value and ranking metrics (biased logged data).
from mlfound.metrics._off_policy import doubly_robust_value, ips_value, snips_value
from mlfound.metrics._ranking import (
    grouped_ndcg_score,
    mean_average_precision,
    mean_reciprocal_rank,
)

__all__ = [
    # Off-policy value and ranking metrics (biased logged data).
    "doubly_robust_value",
    "grouped_ndcg_score",
    "ips_value",
    "mean_average_precision",
    "mean_reciprocal_rank",
    "snips_value",
]
