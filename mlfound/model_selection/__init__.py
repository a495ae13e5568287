"""Decision thresholds, Bayes decisions and honest comparisons of models."""

from mlfound.model_selection._bayes_risk import BayesMinimumRiskClassifier
from mlfound.model_selection._compare_models import compare_models
from mlfound.model_selection._cost_threshold import CostSensitiveThresholdClassifier
from mlfound.model_selection._mcnemar import McNemarResult, mcnemar_test
from mlfound.model_selection._paired_tests import PairedTestResult, paired_cv_test

__all__ = [
    "BayesMinimumRiskClassifier",
    "CostSensitiveThresholdClassifier",
    "McNemarResult",
    "PairedTestResult",
    "compare_models",
    "mcnemar_test",
    "paired_cv_test",
]
