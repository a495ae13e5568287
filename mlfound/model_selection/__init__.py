"""Decision thresholds and Bayes decisions that minimize expected cost."""

from mlfound.model_selection._bayes_risk import BayesMinimumRiskClassifier
from mlfound.model_selection._cost_threshold import CostSensitiveThresholdClassifier

__all__ = ["BayesMinimumRiskClassifier", "CostSensitiveThresholdClassifier"]
