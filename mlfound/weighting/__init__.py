"""Learning from biased logged data: position bias and inverse-propensity weights."""

from mlfound.weighting._ips import IPSReweighter
from mlfound.weighting._position_bias import PositionBiasEstimator

__all__ = [
    "IPSReweighter",
    "PositionBiasEstimator",
]
