"""Ordinal labels: their order, and their codes ``0..K-1`` in that order."""

import numbers

import numpy as np

from mlfound.utils._array_checks import _searchsorted_exact, check_finite_target


def ordinal_categories(y, categories="auto", *, name="y"):
    """The order of ordinal labels given by ``categories`` or by ``y`` itself.

    Call it before ``validate_data`` turns ``y`` into a plain array, so that
    the order of a pandas ordered ``Categorical`` is not lost.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None
        The labels (a pandas ``Series``/``Categorical`` keeps its dtype).
    categories : "auto" or array-like, default="auto"
        The labels from lowest to highest, or ``"auto"``.
    name : str, default="y"
        The argument name used in the error message.

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
                f"{name} is an unordered pandas Categorical: its categories "
                f"have no order an ordinal model can use. Pass categories=[...] "
                f"from lowest to highest, or convert {name} with "
                f"{name}.cat.as_ordered() / pd.Categorical(..., ordered=True)."
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
                f"The labels of {name} have dtype {y.dtype} (e.g. "
                f"{y[:3].tolist()!r}), whose sort order is not meaningful for "
                f"an ordinal model. Pass categories=[...] listing the labels "
                f"from lowest to highest, or use an ordered pandas Categorical."
            )
        if y.dtype.kind in "iu" and y.size:
            # integer labels are discrete: encode through a lookup table when
            # their range is small (one pass instead of a sort)
            low, high = int(y.min()), int(y.max())
            if high - low <= 4 * y.shape[0] + 1024:
                # subtract at 64 bits, keeping the sign: the difference is
                # small, so the result is exact (in int8 it would wrap, and a
                # cast of uint64 values above 2**63 to int64 would too)
                wide = y.astype(
                    np.uint64 if y.dtype.kind == "u" else np.int64, copy=False
                )
                shifted = (wide - wide.min()).astype(np.int64)
                present = np.bincount(shifted, minlength=high - low + 1) > 0
                # offsets in the wide dtype, so that uint64 stays integer
                offsets = np.flatnonzero(present).astype(wide.dtype)
                classes = (wide.min() + offsets).astype(y.dtype)
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
        pos = _searchsorted_exact(sorted_classes, y)
        pos = np.clip(pos, 0, classes.shape[0] - 1)
        found = sorted_classes[pos] == y
        return np.where(found, order[pos], -1).astype(np.int64)
    except TypeError:
        lookup = {value: i for i, value in enumerate(classes.tolist())}
        return np.array([lookup.get(value, -1) for value in y.tolist()], np.int64)
