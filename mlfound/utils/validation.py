"""Validation helpers shared by mlfound's estimators.

Each helper raises a ``ValueError`` or ``TypeError`` whose message names the
offending parameter and says how to fix it; none of them silently drops or
coerces data.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

__all__ = [
    "check_array_1d",
    "check_cv_splits",
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
    "searchsorted_exact",
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
    try:
        arr = np.asarray(p, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must hold probabilities (numbers in (0, 1]), but it could "
            f"not be converted to float64: {exc}"
        ) from None
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


def _is_binary_target(y):
    """Whether ``y`` is a binary classification target."""
    return type_of_target(y) == "binary"


def _check_scalar_positive(value, *, name):
    """Raise if ``value`` is not a real number > 0."""
    if not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return value


def ordinal_categories(y, categories="auto"):
    """The order of ordinal labels given by ``categories`` or by ``y`` itself.

    Call it before ``validate_data`` turns ``y`` into a plain array, so that
    the order of a pandas ordered ``Categorical`` is not lost.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        The labels (a pandas ``Series``/``Categorical`` keeps its dtype).
    categories : "auto" or array-like, default="auto"
        The labels from lowest to highest, or ``"auto"``.

    Returns
    -------
    categories : ndarray or None
        ``categories`` as an array when it is given; the categories of an
        *ordered* pandas categorical ``y`` when ``categories="auto"``;
        ``None`` otherwise (the labels' own sort order is then used by
        :func:`check_ordinal_target`).

    Raises
    ------
    ValueError
        If ``y`` is an *unordered* pandas categorical and no ``categories``
        are given, or if ``categories`` is empty or holds duplicates.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlfound.utils.validation import ordinal_categories
    >>> y = pd.Categorical(["ok", "bad"], categories=["bad", "ok"], ordered=True)
    >>> ordinal_categories(y).tolist()
    ['bad', 'ok']
    >>> ordinal_categories([1, 3, 2]) is None
    True
    """
    if not isinstance(categories, str):
        cats = np.asarray(categories)
        if cats.ndim != 1 or cats.shape[0] == 0:
            raise ValueError(
                "categories must be a non-empty 1-d list of the labels from "
                f"lowest to highest, got {categories!r}."
            )
        if len(set(cats.tolist())) != cats.shape[0]:
            raise ValueError(
                f"categories must not hold duplicates, got {cats.tolist()!r}."
            )
        return cats
    dtype = getattr(y, "dtype", None)
    if getattr(dtype, "name", None) == "category":
        if not dtype.ordered:
            raise ValueError(
                "y is an unordered pandas Categorical: its categories have no "
                "order an ordinal model can use. Pass categories=[...] from "
                "lowest to highest, or convert y with "
                "y.cat.as_ordered() / pd.Categorical(..., ordered=True)."
            )
        return np.asarray(dtype.categories)
    return None


def check_ordinal_target(
    y, categories=None, *, require_all=True, discrete=True, name="y"
):
    """Encode ordinal labels as integer codes ``0..K-1`` in their order.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The labels (already a 1-d array, e.g. from ``validate_data``).
    categories : ndarray or None, default=None
        The labels from lowest to highest (see :func:`ordinal_categories`).
        ``None`` sorts the distinct values of ``y``, which must then be
        numeric or boolean: strings have no order an ordinal model can trust.
    require_all : bool, default=True
        Whether every category must occur in ``y`` (true for fitting: a
        cut point next to an empty class has no finite estimate).
    discrete : bool, default=True
        Whether to reject continuous-looking float labels, as scikit-learn's
        ``check_classification_targets`` does for classifiers.
    name : str, default="y"
        Parameter name used in error messages.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The labels in order.
    codes : ndarray of shape (n_samples,), int64
        The position of each label in ``classes``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils.validation import check_ordinal_target
    >>> classes, codes = check_ordinal_target(np.array([5, 3, 5, 1]))
    >>> classes.tolist(), codes.tolist()
    ([1, 3, 5], [2, 1, 2, 0])
    >>> order = np.array(["bad", "ok", "good"])
    >>> check_ordinal_target(np.array(["good", "bad", "ok"]), order)[1].tolist()
    [2, 0, 1]
    """
    from sklearn.utils.multiclass import check_classification_targets

    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-d, got an array of shape {y.shape}.")
    if categories is None:
        if y.dtype == object and all(isinstance(v, numbers.Real) for v in y.tolist()):
            y = np.asarray(y.tolist())
        if y.dtype.kind not in "biuf":
            raise ValueError(
                f"{name} holds labels of dtype {y.dtype} (e.g. "
                f"{y[:3].tolist()!r}) whose sort order is not meaningful for an "
                f"ordinal model. Pass categories=[...] listing the labels from "
                f"lowest to highest, or use an ordered pandas Categorical."
            )
        if y.dtype.kind in "iu" and y.size:
            # integer labels are discrete: encode through a lookup table when
            # their range is small (one pass instead of a sort)
            low, high = int(y.min()), int(y.max())
            if high - low <= 4 * y.shape[0] + 1024:
                # subtract in y's own dtype: exact, and the difference fits
                # int64 (a cast first would wrap uint64 values above 2**63)
                shifted = (y - y.min()).astype(np.int64)
                present = np.bincount(shifted, minlength=high - low + 1) > 0
                classes = y.min() + np.flatnonzero(present).astype(y.dtype)
                lookup = np.cumsum(present) - 1
                return classes, lookup[shifted]
        check_finite_target(y, name=name)
        if discrete:
            check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        return classes, codes.astype(np.int64, copy=False)
    classes = np.asarray(categories)
    if classes.ndim != 1 or classes.shape[0] == 0:
        raise ValueError(
            f"categories must list at least one label, from lowest to highest, "
            f"as a 1-d sequence; got shape {classes.shape}."
        )
    codes = _codes_in(y, classes)
    unknown = codes < 0
    if np.any(unknown):
        bad = np.unique(y[unknown]).tolist()
        raise ValueError(
            f"{name} holds label(s) {bad[:10]!r} that are not in categories "
            f"{classes.tolist()!r}. Add them to categories at their place in "
            f"the order, or remove those rows."
        )
    if require_all:
        present = np.bincount(codes, minlength=classes.shape[0]) > 0
        if not np.all(present):
            missing = classes[~present].tolist()
            raise ValueError(
                f"categories {missing!r} do not occur in {name}. Every category "
                f"needs training examples (a cut point next to an empty class "
                f"has no finite estimate); drop it from categories."
            )
    return classes, codes


def _codes_in(y, classes):
    """Position of each value of ``y`` in ``classes``; -1 where absent."""
    try:
        order = np.argsort(classes, kind="stable")
        sorted_classes = classes[order]
        pos = searchsorted_exact(sorted_classes, y)
        pos = np.clip(pos, 0, classes.shape[0] - 1)
        found = sorted_classes[pos] == y
        return np.where(found, order[pos], -1).astype(np.int64)
    except TypeError:
        lookup = {value: i for i, value in enumerate(classes.tolist())}
        return np.array([lookup.get(value, -1) for value in y.tolist()], np.int64)


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


def check_sparse_structure(X, *, name="X"):
    """Check the index arrays of a CSR, CSC or COO matrix before any kernel reads them.

    Neither SciPy nor ``check_array`` verifies that the stored indices of a
    sparse matrix lie inside its shape, and compiled code that trusts them
    (SciPy's own format conversions and products included) reads or writes
    out of bounds. This helper checks, in one vectorised pass over the index
    arrays:

    - CSR/CSC: ``indptr`` is an integer array of length ``n_major + 1`` that
      starts at 0, never decreases and ends at ``len(indices) == len(data)``,
      and every entry of ``indices`` lies in ``[0, n_minor)`` (columns for
      CSR, rows for CSC);
    - COO: ``row``, ``col`` and ``data`` have one length and every
      coordinate lies inside the shape.

    int32 and int64 (or unsigned) index arrays are both accepted; the checks
    compare values without casting them, so no index wraps around. Dense
    input and other sparse formats (whose indices SciPy keeps in Python
    structures or checks itself) are returned unchanged.

    Parameters
    ----------
    X : array-like or sparse matrix
        The input to check.
    name : str, default="X"
        The parameter name used in the error message.

    Returns
    -------
    X : array-like or sparse matrix
        ``X`` itself, unchanged.

    Raises
    ------
    ValueError
        If an index array has the wrong dtype or length, or holds an index
        outside the matrix.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from mlfound.utils.validation import check_sparse_structure
    >>> X = sp.csr_matrix(np.eye(3))
    >>> check_sparse_structure(X) is X
    True
    >>> X.indices[1] = 7
    >>> check_sparse_structure(X)
    Traceback (most recent call last):
        ...
    ValueError: X is a malformed CSR matrix: column index 7 ...
    """
    if not sp.issparse(X):
        return X
    fmt = X.format
    if fmt in ("csr", "csc"):
        _check_compressed(X, fmt, name)
    elif fmt == "coo":
        _check_coordinates(X, name)
    return X


def _bad_structure(name, fmt, problem):
    return ValueError(
        f"{name} is a malformed {fmt.upper()} matrix: {problem}. Reading "
        f"it would access memory outside its arrays. Rebuild it from valid "
        f"arrays, e.g. scipy.sparse.csr_matrix((data, (row, col)), "
        f"shape=...)."
    )


def _check_index_dtype(arr, name, fmt, what):
    arr = np.asarray(arr)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise _bad_structure(
            name,
            fmt,
            f"{what} must be a 1-d integer array, got dtype {arr.dtype} and "
            f"shape {arr.shape}",
        )
    return arr


def _check_range(arr, size, shape, name, fmt, what):
    """All of ``arr`` in ``[0, size)``, compared without casts that could wrap.

    Viewed as unsigned integers of the same width, negative indices become
    larger than any valid one, so a single ``max`` pass checks both ends.
    """
    if arr.shape[0] == 0:
        return
    if arr.view(arr.dtype.str.replace("i", "u")).max() < size:
        return
    low, high = arr.min(), arr.max()
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise _bad_structure(
            name,
            fmt,
            f"{what} index {int(bad)} is outside [0, {size}) for a matrix of "
            f"shape {shape}",
        )


def _check_compressed(X, fmt, name):
    shape = tuple(int(s) for s in X.shape)
    n_major, n_minor = shape if fmt == "csr" else shape[::-1]
    minor = "column" if fmt == "csr" else "row"
    indptr = _check_index_dtype(X.indptr, name, fmt, "indptr")
    indices = _check_index_dtype(X.indices, name, fmt, "indices")
    data = np.asarray(X.data)
    if indptr.shape[0] != n_major + 1:
        raise _bad_structure(
            name,
            fmt,
            f"indptr has {indptr.shape[0]} entries where its shape {shape} "
            f"needs {n_major + 1}",
        )
    if indptr[0] != 0:
        raise _bad_structure(name, fmt, f"indptr starts at {int(indptr[0])}, not 0")
    if data.ndim != 1 or indices.shape[0] != data.shape[0]:
        raise _bad_structure(
            name,
            fmt,
            f"indices has {indices.shape[0]} entries but data has shape {data.shape}",
        )
    if indptr[-1] != indices.shape[0]:
        raise _bad_structure(
            name,
            fmt,
            f"indptr ends at {int(indptr[-1])} but there are "
            f"{indices.shape[0]} stored values",
        )
    if n_major > 0 and np.any(indptr[1:] < indptr[:-1]):
        raise _bad_structure(name, fmt, "indptr decreases")
    _check_range(indices, n_minor, shape, name, fmt, minor)


def _check_coordinates(X, name):
    shape = tuple(int(s) for s in X.shape)
    coords = [
        _check_index_dtype(a, name, "coo", w)
        for a, w in zip((X.row, X.col), ("row", "col"), strict=True)
    ]
    data = np.asarray(X.data)
    if data.ndim != 1 or any(c.shape[0] != data.shape[0] for c in coords):
        raise _bad_structure(
            name,
            "coo",
            f"row, col and data have lengths "
            f"{[c.shape[0] for c in coords] + [data.shape]}",
        )
    for c, size, what in zip(coords, shape, ("row", "column"), strict=True):
        _check_range(c, size, shape, name, "coo", what)


def _split_indices(indices, n_samples, *, name, k, part):
    """One ``train``/``test`` array of a split as validated ``intp`` indices."""
    where = f"{name}: split {k}'s {part} indices"
    try:
        arr = np.asarray(indices)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where} are not an array of integers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{where} must be 1-d, got shape {arr.shape}.")
    if arr.dtype == np.bool_:
        if arr.shape[0] != n_samples:
            raise ValueError(
                f"{where} are a boolean mask of length {arr.shape[0]}, but X "
                f"has {n_samples} rows; a mask needs one entry per row."
            )
        return np.flatnonzero(arr)
    if arr.size == 0:
        return np.empty(0, dtype=np.intp)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{where} must be integers (row positions) or a boolean mask, got "
            f"dtype {arr.dtype}. Yield integer index arrays, as scikit-learn's "
            f"splitters do."
        )
    low, high = arr.min(), arr.max()
    # Compared as Python ints: no uint64 or negative value wraps into range.
    if int(low) < 0 or int(high) >= n_samples:
        raise ValueError(
            f"{where} must lie in [0, {n_samples}) (X has {n_samples} rows); "
            f"found values in [{int(low)}, {int(high)}]. Negative positions are "
            f"not counted from the end: build the splits on the rows passed "
            f"to fit."
        )
    return arr.astype(np.intp, copy=False)


def check_cv_splits(
    splits, n_samples, *, name="cv", disjoint_test=False, complement_train=False
):
    """Materialise and validate the ``(train, test)`` pairs of a splitter.

    Every entry must be a pair of 1-d integer index arrays (or boolean masks
    of length ``n_samples``) with values in ``[0, n_samples)``: negative
    indices, indices past the end, floats and other dtypes raise here, before
    any of them can index data (or reach a kernel, which does no bounds
    checks). The splits are consumed once, so a generator works.

    Parameters
    ----------
    splits : iterable of (train, test) pairs
        E.g. ``cv.split(X, y)`` or a user-given list of index pairs.
    n_samples : int
        Number of rows the indices refer to.
    name : str, default="cv"
        The parameter name used in the error messages.
    disjoint_test : bool, default=False
        Require the test folds to be disjoint (no row in two test folds, or
        twice in one), for estimators that give each row one out-of-fold
        value.
    complement_train : bool, default=False
        Return ``None`` instead of a ``train`` array that is exactly the
        complement of its ``test`` array (as in k-fold, leave-one-out and
        group k-fold splits), so that many folds do not keep ``n_folds``
        copies of nearly all the row indices alive.

    Returns
    -------
    splits : list of (train, test) tuples
        The validated index arrays, ``intp``, in the order given (boolean
        masks become positions); ``train`` is ``None`` where it is the
        complement of ``test`` and ``complement_train=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils.validation import check_cv_splits
    >>> check_cv_splits([(np.array([0, 1]), np.array([2]))], 3)
    [(array([0, 1]), array([2]))]
    >>> check_cv_splits([([0, 1], [2])], 3, complement_train=True)
    [(None, array([2]))]
    >>> check_cv_splits([([0, 1], [-1])], 3)
    Traceback (most recent call last):
        ...
    ValueError: cv: split 0's test indices must lie in [0, 3) (X has 3 rows)...
    """
    n_samples = int(n_samples)
    out = []
    # ``stamp[i] == k`` once row i was seen in split k: duplicates and
    # train/test overlap in one O(len) pass per split, no sort.
    stamp = np.full(n_samples, -1, dtype=np.intp) if complement_train else None
    in_test = np.zeros(n_samples, dtype=bool) if disjoint_test else None
    for k, pair in enumerate(splits):
        try:
            train, test = pair
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must yield (train, test) pairs of index arrays; split "
                f"{k} is {type(pair).__name__}."
            ) from exc
        train = _split_indices(train, n_samples, name=name, k=k, part="train")
        test = _split_indices(test, n_samples, name=name, k=k, part="test")
        if disjoint_test:
            if np.any(in_test[test]) or np.unique(test).shape[0] != test.shape[0]:
                raise ValueError(
                    f"The test folds of {name} overlap (split {k} repeats a row "
                    f"of an earlier test fold or of its own): a row would get "
                    f"two out-of-fold values. Pass a splitter whose test folds "
                    f"are disjoint (KFold, StratifiedKFold, GroupKFold, "
                    f"TimeSeriesSplit)."
                )
            in_test[test] = True
        if complement_train and train.shape[0] + test.shape[0] == n_samples:
            stamp[test] = k
            if not np.any(stamp[train] == k):
                stamp[train] = k
                if np.count_nonzero(stamp == k) == n_samples:
                    train = None  # exactly the rows not in test
        out.append((train, test))
    return out


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


def searchsorted_exact(sorted_values, values, side="left"):
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
    >>> from mlfound.utils.validation import searchsorted_exact
    >>> classes = np.array([2**63 - 1], dtype=np.int64)
    >>> searchsorted_exact(classes, np.array([2**63], dtype=np.uint64)).tolist()
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
