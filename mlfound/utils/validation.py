"""Validation helpers shared by mlfound's estimators.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
offending parameter and says how to fix it; none of them silently drops or
coerces data.
"""

import numbers

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from mlfound.utils._array_checks import (
    as_real_float64 as _as_real_float64,
)
from mlfound.utils._array_checks import (
    check_array_1d,
    check_finite_target,
)
from mlfound.utils._ordinal_target import check_ordinal_target, ordinal_categories
from mlfound.utils._sparse_structure import check_sparse_structure

__all__ = [
    "check_array_1d",
    "check_feature_names_in",
    "check_finite_target",
    "check_n_classes",
    "check_pos_label",
    "check_sample_weight",
    "check_positive_integers",
    "check_probabilities",
    "check_ordinal_target",
    "check_sparse_structure",
    "ordinal_categories",
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
    if sample_weight is not None and not isinstance(sample_weight, numbers.Number):
        from sklearn.utils.validation import _num_samples

        sample_weight = np.asarray(sample_weight)  # converted once
        if sample_weight.dtype.kind not in "fiub":
            # scikit-learn's helper would read datetimes as numbers
            sample_weight = _as_real_float64(sample_weight, name="sample_weight")

        try:
            n_weights = _num_samples(sample_weight)
        except TypeError:  # a 0-d array: scikit-learn's helper broadcasts it
            n_weights = None
        n_samples = _num_samples(X)
        if n_weights is not None and n_weights != n_samples:
            raise ValueError(
                f"sample_weight has {n_weights} entries but X has {n_samples} "
                "rows: give one weight per row (or None for equal weights)."
            )
    sample_weight = _check_sample_weight(
        sample_weight, X, dtype=dtype, ensure_non_negative=ensure_non_negative
    )
    # Newer scikit-learn raises this in its helper itself; 1.6 (the supported
    # floor) fits all-zero weights silently, into a constant model.
    if np.all(sample_weight == 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


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


def check_pos_label(pos_label, labels, *, name="y"):
    """The positive class of a binary target, by scikit-learn's rule.

    A thin wrapper over scikit-learn's private helper so that a rename
    upstream costs one edit. With ``pos_label=None`` the positive class is
    inferred only when the labels are numeric and in ``{0, 1}`` or
    ``{-1, 1}`` (it is then ``1``); any other labels (strings, ``{1, 2}``,
    ...) raise a ``ValueError`` naming the labels seen. A given
    ``pos_label`` must be one of the labels when there are two of them.

    Parameters
    ----------
    pos_label : int, float, bool, str or None
        The positive class, or ``None`` to infer it.
    labels : array-like of shape (n_samples,) or (n_classes,)
        The target, or its distinct labels.
    name : str, default="y"
        The parameter name used in error messages.

    Returns
    -------
    pos_label : int, float, bool or str
        The positive class.

    Examples
    --------
    >>> from mlfound.utils.validation import check_pos_label
    >>> check_pos_label(None, [0, 1, 1])
    1
    >>> check_pos_label("fraud", ["legit", "fraud"])
    'fraud'
    >>> check_pos_label(None, ["legit", "fraud"])
    Traceback (most recent call last):
        ...
    ValueError: The labels of y are ['fraud', 'legit'], so the positive class...
    """
    from sklearn.utils.validation import _check_pos_label_consistency

    labels = np.asarray(labels)
    if labels.ndim != 1:
        labels = labels.ravel()
    if labels.size == 0:
        raise ValueError(
            f"{name} is empty: the positive class is chosen among its labels, "
            f"so at least one is needed."
        )
    # numbers in an object array (mixed uint64 and signed labels, pandas
    # object columns) keep their exact values: decided here, since
    # scikit-learn refuses object labels
    numeric_object = labels.dtype == object and all(
        isinstance(v, numbers.Real) for v in labels.tolist()
    )
    small = labels.shape[0] <= 2 or numeric_object
    try:
        if (
            pos_label is None
            and small
            and (labels.dtype.kind in "biuf" or numeric_object)
        ):
            # the common case, decided without scikit-learn's array-API
            # dispatch (which costs more than a scorer call on a large fold)
            values = set(labels.tolist())
            if values <= {0, 1} or values <= {-1, 1}:
                return 1
            if numeric_object:
                raise ValueError
        inferred = _check_pos_label_consistency(pos_label, labels)
    except ValueError:
        seen = np.unique(labels).tolist()
        shown = repr(seen[:10])[:-1] + (", ...]" if len(seen) > 10 else "]")
        raise ValueError(
            f"The labels of {name} are {shown}, so the positive class cannot be "
            f"inferred (only numeric {{0, 1}} and {{-1, 1}} labels are, as 1). "
            f"Pass pos_label, one of these labels, to say which is the "
            f"positive class."
        ) from None
    if pos_label is not None:
        seen = np.unique(labels).tolist()
        if len(seen) == 2 and not any(pos_label == s for s in seen):
            raise ValueError(
                f"pos_label={pos_label!r} is not one of the labels of {name}, "
                f"{seen!r}: pass one of them."
            )
    return inferred


def check_positive_integers(values, *, name):
    """Return ``values`` as an int64 array after checking they are integers >= 1.

    Floats that are whole numbers (``3.0``) and object arrays of Python
    integers are accepted; ``2.5``, ``0``, negative values, NaN, infinity,
    missing values and non-numeric values raise a ``ValueError``. The range is
    checked in the dtype of the input, before any cast: values above the
    largest int64 (``2**63 - 1``), such as a uint64 ``2**64 - 1`` "unknown"
    sentinel or a float ``1e19``, are rejected instead of wrapping around into
    valid-looking integers.

    Parameters
    ----------
    values : array-like
        The values to check, e.g. 1-based positions in a ranked list.
    name : str
        The parameter name used in the error message.

    Returns
    -------
    values : ndarray of int64
        The values as integers (the input itself when it is already int64).

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils.validation import check_positive_integers
    >>> check_positive_integers([1.0, 3.0], name="positions")
    array([1, 3])
    >>> check_positive_integers(np.array([1, 2**64 - 1], dtype=np.uint64),
    ...                         name="positions")
    Traceback (most recent call last):
        ...
    ValueError: positions must hold positive integers (1-based) up to 2**63 - 1...
    """
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = _object_integers(arr, name)
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"{name} must hold positive integers (1-based), got dtype {arr.dtype}. "
            f"Pass an integer array."
        )
    if arr.size == 0:
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.floor(arr)):
            raise ValueError(
                f"{name} must hold positive integers (1-based); found "
                f"non-integer or non-finite values."
            )
        # 2.0**63 is exact in every float dtype; anything at or above it
        # would wrap around in the cast to int64.
        too_large = arr.max() >= 2.0**63
    else:
        too_large = arr.dtype.kind == "u" and arr.max() > np.uint64(_INT64_MAX)
    low = arr.min()
    if low < 1:
        _raise_too_small(name, low)
    if too_large:
        _raise_too_large(name, arr.max())
    return arr.astype(np.int64, copy=False)


_INT64_MAX = np.iinfo(np.int64).max


def _raise_too_small(name, value):
    raise ValueError(
        f"{name} must hold positive integers (1-based); found minimum "
        f"{_plain(value)}. If your positions are 0-based, add 1."
    )


def _raise_too_large(name, value):
    raise ValueError(
        f"{name} must hold positive integers (1-based) up to 2**63 - 1; found "
        f"{_plain(value)}. A value this large is usually an 'unknown' sentinel "
        f"(such as 2**64 - 1): drop those rows or map them to a real value."
    )


def _plain(value):
    """A NumPy scalar as the Python number it holds (for error messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _object_integers(arr, name):
    """An object array of integers as int64, range-checked before the cast."""
    flat = arr.ravel().tolist()
    if not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in flat
    ):
        bad = next(
            v
            for v in flat
            if not isinstance(v, numbers.Integral) or isinstance(v, bool)
        )
        raise ValueError(
            f"{name} must hold positive integers (1-based); found {bad!r} of "
            f"type {type(bad).__name__} in an array of dtype object. Pass an "
            f"integer array without missing values."
        )
    if flat:
        low, high = min(flat), max(flat)
        if low < 1:
            _raise_too_small(name, low)
        if high > _INT64_MAX:
            _raise_too_large(name, high)
    return np.array(flat, dtype=np.int64).reshape(arr.shape)


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
    arr = _as_real_float64(
        p,
        name=name,
        what="probabilities (numbers in (0, 1])",
        error=ValueError,
        missing=True,  # None is counted with the NaNs below
    )
    low_ok = arr >= 0 if allow_zero else arr > 0
    ok = low_ok & (arr <= 1)
    if not np.all(ok):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        finite = np.isfinite(arr)
        n_bad = int(arr.size - np.count_nonzero(ok))
        finite_range = (
            f"finite values span [{float(np.min(arr[finite]))!r}, "
            f"{float(np.max(arr[finite]))!r}]"
            if np.any(finite)
            else "no finite value"
        )
        n_nonfinite = int(arr.size - np.count_nonzero(finite))
        raise ValueError(
            f"{name} must lie in {interval}; {n_bad} of {arr.size} values do "
            f"not ({finite_range}; {n_nonfinite} NaN or infinite)."
        )
    return arr


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
