"""Parameter-validation helpers, imported from scikit-learn in one place.

scikit-learn keeps these private; every mlfound module imports them from here,
so a rename upstream costs one edit.
"""

# Fallback plan, if scikit-learn renames or drops any of these (tested by
# tests/test_private_imports.py, which names the missing one and the
# installed version):
# - a rename: import the new name here, under the old one, for the releases
#   that have it (the floors run of .ci/run keeps the oldest release tested);
# - the constraint classes (Interval, StrOptions, Options, HasMethods,
#   Hidden, MissingValues, RealNotInt), validate_params and
#   InvalidParameterError (a ValueError and TypeError subclass) gone: vendor
#   them into this module (sklearn/utils/_param_validation.py, about 900
#   lines under BSD-3, with its tests); every ``_parameter_constraints``
#   dict in mlfound keeps its shape;
# - _fit_context gone: write the decorator here: unless the public
#   ``get_config()["skip_parameter_validation"]`` is set, validate
#   ``_parameter_constraints`` (not again in a fitted partial_fit), then run
#   fit inside ``config_context(skip_parameter_validation=...)``.
# Until then, only the import lines below change.
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    InvalidParameterError,
    MissingValues,
    Options,
    RealNotInt,
    StrOptions,
    validate_params,
)

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "InvalidParameterError",
    "MissingValues",
    "Options",
    "RealNotInt",
    "StrOptions",
    "_fit_context",
    "validate_params",
]
