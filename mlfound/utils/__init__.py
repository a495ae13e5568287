"""Utilities: estimator discovery and shared validation helpers."""

from mlfound.utils.discovery import all_displays, all_estimators, all_functions

__all__ = ["all_displays", "all_estimators", "all_functions"]
