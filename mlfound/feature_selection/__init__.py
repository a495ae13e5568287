"""Feature selection that is stable under resampling of the rows."""

from mlfound.feature_selection._stability import StabilitySelector

__all__ = ["StabilitySelector"]
