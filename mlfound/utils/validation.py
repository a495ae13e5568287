"""Validation helpers shared by mlfound's estimators.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
offending parameter and says how to fix it; none of them silently drops or
coerces data.
"""

import numbers

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "check_finite_target",
    "check_n_classes",
    "check_sample_weight",
    "check_positive_integers",
    "check_probabilities",
]


def check_sample_weight(sample_weight, X, *, dtype=None, ensure_non_negative=True):
    """Validate ``sample_weight`` against ``X``; ``None`` becomes all ones.

    A thin wrapper over scikit-learn's private helper so that a rename upstream
    costs one edit. Negative weights are rejected by default.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        The weights; a scalar is broadcast, ``None`` means all ones.
    X : array-like of shape (n_samples, n_features)
        The data the weights belong to (only its length is used).
    dtype : dtype, default=None
        Output dtype; ``None`` keeps float32 for float32 ``X`` and uses
        float64 otherwise.
    ensure_non_negative : bool, default=True
        Whether to raise on negative weights.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,)
        The validated weights.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils.validation import check_sample_weight
    >>> check_sample_weight(None, np.zeros((3, 2)))
    array([1., 1., 1.])
    """
    return _check_sample_weight(
        sample_weight, X, dtype=dtype, ensure_non_negative=ensure_non_negative
    )


def check_finite_target(y, *, name="y"):
    """Raise if a numeric target holds NaN or infinity.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The target.
    name : str, default="y"
        The parameter name used in the error message.

    Returns
    -------
    y : ndarray
        The target as an array, unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils.validation import check_finite_target
    >>> check_finite_target(np.array([0.0, np.nan]))
    Traceback (most recent call last):
        ...
    ValueError: Input y contains NaN or infinity (1 of 2 values)...
    """
    y = np.asarray(y)
    if y.dtype.kind in "fc" and not np.all(np.isfinite(y)):
        n_bad = int(np.sum(~np.isfinite(y)))
        raise ValueError(
            f"Input {name} contains NaN or infinity ({n_bad} of {y.shape[0]} "
            f"values). Drop or impute those rows before calling fit: a missing "
            f"target cannot be learned from."
        )
    return y


def check_n_classes(classes, *, min_classes=2, name="y"):
    """Raise a clear error when a classification target has too few classes.

    Parameters
    ----------
    classes : array-like
        The distinct classes found in the target.
    min_classes : int, default=2
        The smallest number of classes that can be fitted.
    name : str, default="y"
        The parameter name used in the error message.

    Returns
    -------
    n_classes : int
        The number of classes.

    Examples
    --------
    >>> from mlfound.utils.validation import check_n_classes
    >>> check_n_classes(["no", "yes"])
    2
    """
    n_classes = len(classes)
    if n_classes < min_classes:
        raise ValueError(
            f"{name} has {n_classes} class(es) ({list(classes)!r}) but at least "
            f"{min_classes} are needed to fit a classifier. Check that the "
            f"training data contains examples of every class."
        )
    return n_classes


def check_positive_integers(values, *, name):
    """Return ``values`` as an int64 array after checking they are integers >= 1.

    Floats that are whole numbers (``3.0``) are accepted; ``2.5``, ``0``,
    negative values, NaN and non-numeric values raise a ``ValueError``.

    Parameters
    ----------
    values : array-like
        The values to check, e.g. 1-based positions in a ranked list.
    name : str
        The parameter name used in the error message.

    Returns
    -------
    values : ndarray of int64
        The values as integers.

    Examples
    --------
    >>> from mlfound.utils.validation import check_positive_integers
    >>> check_positive_integers([1.0, 3.0], name="positions")
    array([1, 3])
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "iuf" or arr.dtype == np.bool_:
        raise ValueError(
            f"{name} must hold positive integers (1-based), got dtype {arr.dtype}."
        )
    if arr.dtype.kind == "f" and (
        not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr))
    ):
        raise ValueError(
            f"{name} must hold positive integers (1-based); found "
            f"non-integer or non-finite values."
        )
    if arr.size and arr.min() < 1:
        raise ValueError(
            f"{name} must hold positive integers (1-based); found minimum "
            f"{arr.min()}. If your positions are 0-based, add 1."
        )
    return arr.astype(np.int64, copy=False)


def check_probabilities(p, *, name, allow_zero=False):
    """Check that ``p`` lies in (0, 1] (or [0, 1] with ``allow_zero=True``).

    Parameters
    ----------
    p : array-like
        Probabilities, e.g. observation propensities.
    name : str
        The parameter name used in the error message.
    allow_zero : bool, default=False
        Whether 0 is a valid value.

    Returns
    -------
    p : ndarray of float64
        The probabilities.

    Examples
    --------
    >>> from mlfound.utils.validation import check_probabilities
    >>> check_probabilities([0.5, 1.0], name="propensity")
    array([0.5, 1. ])
    """
    arr = np.asarray(p, dtype=np.float64)
    low_ok = arr >= 0 if allow_zero else arr > 0
    if not np.all(np.isfinite(arr) & low_ok & (arr <= 1)):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise ValueError(
            f"{name} must lie in {interval}; found values in "
            f"[{np.nanmin(arr)!r}, {np.nanmax(arr)!r}] or non-finite values."
        )
    return arr


def _is_binary_target(y):
    """Whether ``y`` is a binary classification target."""
    return type_of_target(y) == "binary"


def _check_scalar_positive(value, *, name):
    """Raise if ``value`` is not a real number > 0."""
    if not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return value


def check_feature_names_in(estimator, input_features=None):
    """Input feature names for ``get_feature_names_out``.

    A thin wrapper over scikit-learn's private helper so that a rename
    upstream costs one edit.

    Parameters
    ----------
    estimator : estimator instance
        A fitted estimator with ``n_features_in_`` (and ``feature_names_in_``
        when it was fitted on named columns).
    input_features : array-like of str or None, default=None
        Names to use; they must match ``feature_names_in_`` when it exists.

    Returns
    -------
    feature_names : ndarray of str objects
        ``input_features``, else ``feature_names_in_``, else ``x0``, ``x1``, ...

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from mlfound.utils.validation import check_feature_names_in
    >>> scaler = StandardScaler().fit(np.zeros((2, 2)))
    >>> check_feature_names_in(scaler)
    array(['x0', 'x1'], dtype=object)
    """
    from sklearn.utils.validation import _check_feature_names_in

    return _check_feature_names_in(estimator, input_features)
