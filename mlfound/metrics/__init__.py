"""Metrics, scorers and displays: expected cost, ordinal, ranking and off-policy."""

__all__ = []
