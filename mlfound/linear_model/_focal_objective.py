"""Former home of the focal boosting objective and the posterior map.

Both now live in modules of their own (:mod:`._focal_boosting`,
:mod:`._focal_posterior`); the names stay importable from here.
"""

from mlfound.linear_model._focal_boosting import focal_objective
from mlfound.linear_model._focal_posterior import focal_to_posterior

__all__ = ["focal_objective", "focal_to_posterior"]
