"""Leakage-safe preprocessing: target encoding, lag features, out-of-fold features."""

from mlfound.preprocessing._lag_features import LagFeatures
from mlfound.preprocessing._out_of_fold import OutOfFoldTransformer
from mlfound.preprocessing._target_encoder import TargetEncoder

__all__ = ["LagFeatures", "OutOfFoldTransformer", "TargetEncoder"]
