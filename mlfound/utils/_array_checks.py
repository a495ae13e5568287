"""Checks and exact comparisons for plain 1-d arrays.

The lowest layer of the validation helpers: the ordinal, sparse and split
checks build on these, and :mod:`mlfound.utils.validation` re-exports the
public ones.
"""

import datetime

import numpy as np

# dtype kinds a float64 cast would change silently: complex numbers lose their
# imaginary part, datetimes and timedeltas become counts of their unit, and
# strings are parsed as numbers.
_NOT_REAL = {
    "c": "complex numbers",
    "m": "timedeltas",
    "M": "datetimes",
    "U": "strings",
    "S": "bytes",
}
# Objects that float() would accept but change: in an object array they are
# refused like the array kinds above (other non-numbers fail the cast, with
# NumPy's own message).
_NOT_REAL_OBJECTS = (
    str,
    bytes,
    complex,
    np.complexfloating,
    np.datetime64,
    np.timedelta64,
    datetime.date,
    datetime.timedelta,
)


def native_byte_order(values):
    """``values`` in the machine's byte order (copied only if it was not).

    Dtype checks such as ``dtype == np.uint64`` and the kernels, which read
    raw bytes, assume native order: a big-endian array would pass as
    something else, be read as wrong numbers, or fail to compile.
    """
    if values.dtype.isnative:
        return values
    return values.astype(values.dtype.newbyteorder("="))


def as_real_float64(
    values, *, name, what="real numbers", error=TypeError, missing=False
):
    """``values`` as a float64 array; refuses input that the cast would change.

    Arrays of complex numbers, datetimes, timedeltas and strings, object
    arrays holding anything but real numbers (a string, a complex number,
    ``None``) and ragged sequences raise ``error`` naming the argument,
    instead of the cast dropping an imaginary part or reading a date as a
    count of days. A float64 array is returned as it is, without a copy.
    ``error`` lets each caller keep the exception type its checks raise
    for other bad values (``ValueError`` for probabilities and rewards,
    ``TypeError`` for costs and weights). With ``missing=True``, ``None``
    in an object array is a missing value and becomes NaN.
    """
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise error(f"{name} must hold {what}: {exc}") from None
    kind = arr.dtype.kind
    if kind in _NOT_REAL:
        raise error(
            f"{name} must hold {what}, got an array of {_NOT_REAL[kind]} "
            f"(dtype {arr.dtype})."
        )
    if kind == "O":
        for value in arr.flat:
            if isinstance(value, _NOT_REAL_OBJECTS) or (value is None and not missing):
                raise error(
                    f"{name} must hold {what}, got {value!r} ({type(value).__name__})."
                )
    try:
        return arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise error(f"{name} must hold {what}, got dtype {arr.dtype}: {exc}") from None


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


def check_array_1d(
    values,
    *,
    name,
    numeric=True,
    ensure_finite=True,
    ensure_non_negative=False,
    n_samples=None,
    reference="y_true",
):
    """Validate a non-empty 1-d array argument of a metric or function.

    A column vector of shape (n, 1) is accepted and flattened; any other
    2-d input, an empty array, a non-numeric array when ``numeric=True``,
    NaN or infinity (``ensure_finite``), negative values
    (``ensure_non_negative``) or a length other than ``n_samples`` raise an
    error naming ``name``.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        The argument to check.
    name : str
        The parameter name used in error messages.
    numeric : bool, default=True
        Whether the values must be numbers (booleans count as numbers).
        Integer arrays keep their dtype; ``False`` also keeps strings and
        objects (e.g. query ids).
    ensure_finite : bool, default=True
        Whether to reject NaN and infinity in float arrays.
    ensure_non_negative : bool, default=False
        Whether to reject negative values.
    n_samples : int, default=None
        Required length, e.g. that of ``y_true``.
    reference : str, default="y_true"
        Name of the argument whose length is ``n_samples``.

    Returns
    -------
    values : ndarray of shape (n_samples,)
        The values, not copied when already a 1-d array.

    Examples
    --------
    >>> from mlfound.utils.validation import check_array_1d
    >>> check_array_1d([3, 1], name="y_true")
    array([3, 1])
    >>> check_array_1d([0.5, float("nan")], name="y_score")
    Traceback (most recent call last):
        ...
    ValueError: y_score contains NaN or infinity (1 of 2 values)...
    """
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-d array of shape (n_samples,), got an array "
            f"of shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: at least one value is needed.")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} values but {reference} has {n_samples}: "
            f"they must have the same length (one value per sample)."
        )
    if arr.dtype == object and numeric:
        try:
            arr = np.asarray(arr.tolist(), dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must hold numbers, got values such as {arr[:3].tolist()!r}."
            ) from None
    if numeric and arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold numbers, got dtype {arr.dtype} (e.g. "
            f"{arr[:3].tolist()!r})."
        )
    if ensure_finite and arr.dtype.kind in "fc":
        finite = np.isfinite(arr)
        if not finite.all():
            raise ValueError(
                f"{name} contains NaN or infinity ({int((~finite).sum())} of "
                f"{arr.shape[0]} values). Drop or impute those values."
            )
    if ensure_non_negative and arr.dtype.kind in "if" and arr.min() < 0:
        raise ValueError(
            f"{name} must be non-negative; found minimum {arr.min().item()!r}."
        )
    return arr


def _lossless_view(values, common):
    """``values`` cast to ``common`` if no value changes, else ``None``."""
    if values.dtype == common:
        return values
    if values.dtype.kind in "iu" and common.kind == "f":
        # int64 -> float64 is a "safe" cast to NumPy but rounds above 2**53
        limit = 2 ** (np.finfo(common).nmant + 1)
        if values.size and (int(values.min()) < -limit or int(values.max()) > limit):
            return None
    elif values.dtype.kind in "iu" and common.kind in "iu":
        info = np.iinfo(common)
        if values.size and (
            int(values.min()) < info.min or int(values.max()) > info.max
        ):
            return None
    return values.astype(common)


def _searchsorted_exact(sorted_values, values, side="left"):
    """``np.searchsorted`` that never rounds mixed integer and float values.

    NumPy compares a uint64 array with an int64 one (or large integers with
    floats) after casting both to float64, so distinct integers above 2**53
    compare equal and the insertion points are wrong. Here the two arrays
    are compared in a common dtype only when the cast is exact; otherwise
    the comparison falls back to Python's exact mixed-type ordering.

    Parameters
    ----------
    sorted_values : ndarray of shape (n_sorted,)
        Sorted in increasing order.
    values : array-like
        Values to insert.
    side : {"left", "right"}, default="left"
        As in :func:`numpy.searchsorted`.

    Returns
    -------
    indices : ndarray of int
        Insertion points, with the shape of ``values``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils._array_checks import _searchsorted_exact
    >>> classes = np.array([2**63 - 1], dtype=np.int64)
    >>> _searchsorted_exact(classes, np.array([2**63], dtype=np.uint64)).tolist()
    [1]
    """
    sorted_values = np.asarray(sorted_values)
    values = np.asarray(values)
    kinds = "biuf"
    if sorted_values.dtype.kind in kinds and values.dtype.kind in kinds:
        common = np.result_type(sorted_values.dtype, values.dtype)
        left = _lossless_view(sorted_values, common)
        right = _lossless_view(values, common)
        if left is not None and right is not None:
            return np.searchsorted(left, right, side=side)
        return np.searchsorted(
            sorted_values.astype(object), values.astype(object), side=side
        )
    return np.searchsorted(sorted_values, values, side=side)
