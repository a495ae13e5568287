"""Leakage-safe preprocessing: cross-fitted target encoding."""

from mlfound.preprocessing._target_encoder import TargetEncoder

__all__ = ["TargetEncoder"]
