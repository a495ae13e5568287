"""Utilities: discovery of mlfound's public estimators, displays and functions."""

from mlfound.utils.discovery import all_displays, all_estimators, all_functions

__all__ = ["all_displays", "all_estimators", "all_functions"]
