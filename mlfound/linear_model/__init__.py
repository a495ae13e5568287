"""Linear models: focal-loss classifiers and focal boosting objectives."""

from mlfound.linear_model._focal import FocalLossClassifier
from mlfound.linear_model._focal_objective import (
    focal_objective,
    focal_to_posterior,
)

__all__ = ["FocalLossClassifier", "focal_objective", "focal_to_posterior"]
