"""Learning to rank: pairwise and listwise linear rankers, propensity-weighted."""

from mlfound.ranking._losses import pairwise_loss
from mlfound.ranking._ranker import LinearRanker

__all__ = ["LinearRanker", "pairwise_loss"]
