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
    "check_feature_names_in",
    "check_finite_target",
    "check_n_classes",
    "check_sample_weight",
    "check_positive_integers",
    "check_probabilities",
    "check_ordinal_target",
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
                shifted = y.astype(np.int64) - low
                present = np.bincount(shifted, minlength=high - low + 1) > 0
                classes = (np.flatnonzero(present) + low).astype(y.dtype)
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
        pos = np.searchsorted(sorted_classes, y)
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
