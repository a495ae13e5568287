"""Parameter-validation helpers, imported from scikit-learn in one place.

scikit-learn keeps these private; every mlfound module imports them from here,
so a rename upstream costs one edit.

:func:`_fit_context` is scikit-learn's, plus one guard: a fit method handed a
dask collection raises a TypeError naming the fix, unless its class lists the
method in ``_dask_methods`` (it then fits the collection on the cluster).
Without the guard, validation would convert the collection to NumPy and so
gather every partition on the client.
"""

import functools

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
from sklearn.base import _fit_context as _sklearn_fit_context
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

from mlfound.utils._dask import refuse_dask


def _fit_context(*, prefer_skip_nested_validation):
    """scikit-learn's ``_fit_context`` that also refuses unsupported dask input."""
    sklearn_decorator = _sklearn_fit_context(
        prefer_skip_nested_validation=prefer_skip_nested_validation
    )

    def decorator(fit_method):
        wrapped = sklearn_decorator(fit_method)

        @functools.wraps(fit_method)
        def wrapper(estimator, *args, **kwargs):
            if fit_method.__name__ not in getattr(estimator, "_dask_methods", ()):
                refuse_dask(
                    f"{type(estimator).__name__}.{fit_method.__name__}",
                    *args,
                    *kwargs.values(),
                )
            return wrapped(estimator, *args, **kwargs)

        return wrapper

    return decorator


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
