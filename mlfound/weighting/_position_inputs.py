"""Click and position inputs shared by PositionBiasEstimator and IPSReweighter."""

import warnings

import numpy as np
from sklearn.utils.multiclass import type_of_target

from mlfound._kernels.factorize import factorize
from mlfound.utils._array_checks import as_real_float64
from mlfound.utils.validation import check_n_classes, check_positive_integers

_NO_POSITIONS_MESSAGE = (
    "No positions were given (neither positions= in fit nor position_column): "
    "every row is treated as shown at one position, and no position-bias "
    "correction is made. Pass fit(X, y, positions=...) or set position_column."
)


def _check_clicks(y):
    """Return clicks as int64 0/1; raise for anything else."""
    y = np.asarray(y)
    if y.dtype == np.bool_:
        y = y.astype(np.int64)
    if y.dtype.kind not in "iuf":  # e.g. an object column of 0/1 ints
        y = as_real_float64(
            y, name="y", what="clicks coded 0 (no click) or 1 (click)", error=ValueError
        )
    if not np.all((y == 0) | (y == 1)):
        values = np.unique(y)[:5].tolist()
        raise ValueError(
            f"y must hold clicks coded 0 (no click) or 1 (click) when positions "
            f"are given; got values {values}. Recode the target as 0/1."
        )
    if np.unique(y).shape[0] < 2:
        raise ValueError(
            "y contains a single class (only clicks or only non-clicks): "
            "the click model needs both."
        )
    return y.astype(np.int64)


def _check_target(y, positions_given):
    """Return ``(classes, codes)`` for the target of a position-bias fit.

    With positions the target must be clicks coded 0/1 (``codes`` are the
    clicks); without them the model is a plain binary classifier, so any two
    labels do (``codes`` index ``classes``). The dask fit passes the distinct
    labels of all partitions and keeps only ``classes``.
    """
    if positions_given:
        return np.array([0, 1]), _check_clicks(y)
    y_type = type_of_target(y, input_name="y", raise_unknown=True)
    if y_type != "binary":
        raise ValueError(
            "Only binary classification is supported (clicks 0/1). "
            f"The type of the target is {y_type}."
        )
    classes, codes = np.unique(y, return_inverse=True)
    check_n_classes(classes)
    return classes, codes


def _position_index(position_column, feature_names, X):
    """Index of ``position_column`` among the columns of ``X``."""
    if isinstance(position_column, str):
        if feature_names is None:
            raise ValueError(
                f"position_column={position_column!r} is a column name, but X "
                f"has no column names. Pass a pandas DataFrame or an integer "
                f"column index."
            )
        matches = np.flatnonzero(np.asarray(feature_names) == position_column)
        if matches.size == 0:
            raise ValueError(
                f"position_column={position_column!r} is not a column of X "
                f"(columns: {list(feature_names)})."
            )
        return int(matches[0])
    if position_column >= X.shape[1]:
        raise ValueError(
            f"position_column={position_column} is out of range for X with "
            f"{X.shape[1]} columns."
        )
    return int(position_column)


def _resolve_positions(X, positions, position_column, feature_names, warn=True):
    """Split the positions off ``X`` (an array) or check the given ones.

    Returns ``(features, positions)``; positions are int64 >= 1, all ones
    (with a warning) when none are given and ``warn`` is true, ``None`` when
    none are given and ``warn`` is false.
    """
    if positions is not None and position_column is not None:
        raise ValueError(
            "Positions were given twice: as positions= and through "
            f"position_column={position_column!r}. Give only one."
        )
    if position_column is not None:
        idx = _position_index(position_column, feature_names, X)
        positions = X[:, idx]
        X = np.delete(X, idx, axis=1)
    if positions is None:
        if not warn:
            return X, None
        warnings.warn(_NO_POSITIONS_MESSAGE, UserWarning)
        return X, np.ones(X.shape[0], dtype=np.int64)
    positions = check_positive_integers(positions, name="positions")
    if positions.shape != (X.shape[0],):
        raise ValueError(
            f"positions must have shape ({X.shape[0]},), got {positions.shape}."
        )
    return X, np.ascontiguousarray(positions)


def _factorize_positions(positions):
    """``(codes, distinct)``: each row's index in the sorted distinct positions.

    ``positions`` are validated int64 >= 1. Memory and time are linear in the
    number of rows whatever the values: a count table over ``1..max`` when
    the largest position is at most a few times the number of rows (plain
    NumPy, and ``codes == positions - 1`` when ``1..K`` all occur), hashing
    otherwise.
    """
    high = int(positions.max())
    if high <= max(4 * positions.shape[0], 1 << 16):
        present = np.bincount(positions, minlength=high + 1)[1:] > 0
        if present.all():
            return positions - 1, np.arange(1, high + 1)
        code_of = np.cumsum(present) - 1
        return code_of[positions - 1], np.flatnonzero(present) + 1
    codes, distinct = factorize(positions)
    return codes.astype(np.intp), distinct


def _position_codes(positions, distinct):
    """Index of each of ``positions`` in the sorted ``distinct``; -1 if absent."""
    n_distinct = distinct.shape[0]
    if distinct[-1] == n_distinct:  # 1..K
        return np.where(positions <= n_distinct, positions - 1, -1)
    at = np.minimum(np.searchsorted(distinct, positions), n_distinct - 1)
    return np.where(distinct[at] == positions, at, -1)


def _positions_without_impressions(distinct, seen, limit=10):
    """The first ``limit`` positions in ``1..max`` without impression weight.

    Returns them with their total count, found without enumerating the
    range (memory independent of the largest position).
    """
    n_missing = int(distinct[-1]) - distinct.shape[0] + int(np.count_nonzero(~seen))
    if not n_missing:
        return [], 0
    missing = distinct[~seen][:limit].tolist()
    # Gaps between consecutive distinct positions (and before the first).
    previous = np.concatenate([[0], distinct[:-1]])
    for at in np.flatnonzero(distinct - previous > 1)[:limit]:
        start, stop = int(previous[at]) + 1, int(distinct[at])
        missing.extend(range(start, min(stop, start + limit)))
    return sorted(missing)[:limit], n_missing


def _describe(positions, propensity):
    """Short text for the positions that have a propensity."""
    usable = positions[np.isfinite(propensity)]
    if usable.size and usable[-1] - usable[0] + 1 == usable.size:
        return f"{usable[0]}..{usable[-1]}"
    listed = usable[:10].tolist()
    return f"{listed}" + (f" and {usable.size - 10:,} more" if usable.size > 10 else "")
