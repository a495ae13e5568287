"""Linear models: focal-loss classifiers and focal boosting objectives."""

from mlfound.linear_model._focal import FocalLossClassifier
from mlfound.linear_model._focal_boosting import focal_init_score, focal_objective
from mlfound.linear_model._focal_boosting_setup import FocalBoostingObjective
from mlfound.linear_model._focal_posterior import focal_to_posterior

__all__ = [
    "FocalBoostingObjective",
    "FocalLossClassifier",
    "focal_init_score",
    "focal_objective",
    "focal_to_posterior",
]
