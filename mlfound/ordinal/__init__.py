"""Ordinal regression: models for ordered labels such as star ratings 1-5."""

from mlfound.ordinal._binarizer import CumulativeBinarizer
from mlfound.ordinal._conditional import ConditionalOrdinalClassifier
from mlfound.ordinal._cumulative_binary import CumulativeBinaryClassifier
from mlfound.ordinal._cut_points import OrdinalCutPointClassifier
from mlfound.ordinal._ordinal_effects import likelihood_ratio_test
from mlfound.ordinal._ordinal_logistic import OrdinalLogisticRegression

__all__ = [
    "ConditionalOrdinalClassifier",
    "CumulativeBinarizer",
    "CumulativeBinaryClassifier",
    "OrdinalCutPointClassifier",
    "OrdinalLogisticRegression",
    "likelihood_ratio_test",
]
