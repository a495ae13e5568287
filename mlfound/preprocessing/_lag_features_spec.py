"""Validation of LagFeatures' parameters and reading of its input columns.

Everything that reaches the kernels of
:mod:`mlfound.preprocessing._lag_features_fast` is checked here: lags, row
windows and shifts are Python integers in a range where no int64
arithmetic can overflow, time spans are positive int64 nanoseconds that
cannot underflow when subtracted from the times, value columns are float64
without infinities, times have no missing values.
"""

import datetime
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np

from mlfound.preprocessing._lag_features_fast import AGGREGATIONS
from mlfound.utils._array_checks import as_real_float64, native_byte_order

try:  # pandas parses time spans ("7D") and datetime columns
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None

# Lags, windows and shifts above this cannot be told apart from "longer than
# any entity" and keep every int64 sum in the kernels far from overflow.
_MAX_ROWS = 2**40


def _as_tuple(value):
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_))


def check_spec(est):
    """Validated lags, windows, aggregations and EWM weights of ``est``."""
    min_shift = est.min_shift
    if min_shift == 0:
        raise ValueError(
            "min_shift=0 would let each row's features read the row's own "
            "value (rolling windows that include the current row, the leak "
            "of `rolling(7)` without `shift(1)`): the model then validates "
            "well and fails in production. Use min_shift >= 1 (the forecast "
            "horizon: the number of rows between the newest value a feature "
            "may use and the row it describes)."
        )
    if min_shift > _MAX_ROWS:
        raise ValueError(f"min_shift must be at most 2**40, got {min_shift}.")
    lags = []
    for lag in _as_tuple(est.lags):
        if not _is_int(lag) or lag < min_shift or lag > _MAX_ROWS:
            raise ValueError(
                f"lags must hold integers in [min_shift, 2**40] = [{min_shift}, "
                f"2**40]; got {lag!r}. A lag below min_shift reads rows too "
                f"recent for the forecast horizon."
            )
        lags.append(int(lag))
    aggs = []
    for agg in _as_tuple(est.aggregations):
        if agg not in AGGREGATIONS:
            raise ValueError(
                f"aggregations must be among {sorted(AGGREGATIONS)}; got {agg!r}."
            )
        aggs.append(agg)
    windows, labels, is_time = [], [], []
    for window in _as_tuple(est.windows):
        if _is_int(window):
            if window < 1 or window > _MAX_ROWS:
                raise ValueError(
                    f"windows: a row window must be an integer in [1, 2**40]; "
                    f"got {window}."
                )
            windows.append(int(window))
            labels.append(str(int(window)))
            is_time.append(False)
        else:
            ns = _time_span_ns(window)
            windows.append(ns)
            labels.append(window if isinstance(window, str) else _span_label(ns))
            is_time.append(True)
    alphas = []
    for alpha in _as_tuple(est.ewm_alphas):
        if not isinstance(alpha, Real) or isinstance(alpha, bool):
            raise ValueError(f"ewm_alphas must hold floats in (0, 1]; got {alpha!r}.")
        if not 0.0 < float(alpha) <= 1.0:
            raise ValueError(f"ewm_alphas must hold floats in (0, 1]; got {alpha!r}.")
        alphas.append(float(alpha))
    if windows and not aggs:
        raise ValueError("windows are given but aggregations is empty: name one.")
    if not (lags or windows or alphas):
        raise ValueError(
            "No feature requested: give at least one of lags, windows (with "
            "aggregations) or ewm_alphas."
        )
    for name, items in (("lags", lags), ("aggregations", aggs), ("windows", labels)):
        if len(set(items)) != len(items):
            raise ValueError(f"{name} holds duplicates ({items}); list each once.")
    row_windows = [w for w, t in zip(windows, is_time, strict=True) if not t]
    for w in row_windows:
        if est.min_periods > w:
            raise ValueError(
                f"min_periods={est.min_periods} exceeds the row window {w}: "
                f"no window could ever have enough values. Lower min_periods."
            )
    if any(is_time) and min_shift != 1:
        raise ValueError(
            f"min_shift={min_shift} with a time window: a time window covers "
            f"the span strictly before each row's timestamp, which is not a "
            f"shift in rows. Use row windows (or min_shift=1) with time windows."
        )
    return SimpleNamespace(
        min_shift=int(min_shift),
        lags=np.asarray(lags, dtype=np.int64),
        aggs=aggs,
        agg_codes=np.asarray([AGGREGATIONS[a] for a in aggs], dtype=np.int64),
        windows=np.asarray(windows, dtype=np.int64),
        window_labels=labels,
        window_is_time=np.asarray(is_time, dtype=np.bool_),
        alphas=np.asarray(alphas, dtype=np.float64),
        alpha_labels=[f"{a:g}" for a in alphas],
        max_row_window=max(row_windows, default=0),
        max_time_window=max(
            (w for w, t in zip(windows, is_time, strict=True) if t), default=-1
        ),
    )


def require_pandas(what):
    """Raise a clear ImportError where LagFeatures needs pandas and it is missing.

    pandas is optional for mlfound: LagFeatures uses it to number entity
    ids, to read datetime columns and to parse time spans such as ``"7D"``.
    """
    if pd is None:
        raise ImportError(
            f"LagFeatures needs pandas for {what}: pip install pandas (or "
            f"'mlfound[test]'). Lags and row windows of columns without an "
            f"id_column work without it."
        )


def _time_span_ns(window):
    """A time window (``"7D"``, a timedelta) as positive int64 nanoseconds."""
    if isinstance(window, (str, datetime.timedelta, np.timedelta64)) or (
        pd is not None and isinstance(window, pd.Timedelta)
    ):
        require_pandas("time spans in windows")
        try:
            ns = pd.Timedelta(window).value
        except (ValueError, TypeError, OverflowError) as exc:
            raise ValueError(
                f"windows: {window!r} is neither a row count nor a time span "
                f"pandas understands (e.g. '7D', '12h', '30min'): {exc}"
            ) from None
        if ns is None or ns <= 0:
            raise ValueError(f"windows: the time span {window!r} must be positive.")
        return int(ns)
    raise ValueError(
        f"windows must hold row counts (int) or time spans (e.g. '7D'); got "
        f"{window!r} of type {type(window).__name__}."
    )


def _span_label(ns):
    for unit, size in (("D", 86400 * 10**9), ("h", 3600 * 10**9), ("min", 60 * 10**9)):
        if ns % size == 0:
            return f"{ns // size}{unit}"
    if ns % 10**9 == 0:
        return f"{ns // 10**9}s"
    return f"{ns}ns"


# ---------------------------------------------------------------- columns


def resolve_column(spec, n_features, names, param):
    """Position of the column named (or indexed) by ``spec``."""
    if _is_int(spec):
        if not 0 <= int(spec) < n_features:
            raise ValueError(
                f"{param}={spec!r} is not a column position in [0, {n_features})."
            )
        return int(spec)
    if isinstance(spec, str):
        if names is None:
            raise ValueError(
                f"{param}={spec!r} names a column, but X has no column names: "
                f"pass a DataFrame or give a column position."
            )
        hits = np.flatnonzero(np.asarray(names, dtype=object) == spec)
        if hits.size == 0:
            raise ValueError(f"{param}={spec!r} is not a column of X.")
        return int(hits[0])
    raise ValueError(
        f"{param} must be a column name or position, got {spec!r} of type "
        f"{type(spec).__name__}."
    )


def value_columns(est, n_features, names):
    """Positions of the id, time and value columns."""
    id_pos = (
        None
        if est.id_column is None
        else resolve_column(est.id_column, n_features, names, "id_column")
    )
    time_pos = (
        None
        if est.time_column is None
        else resolve_column(est.time_column, n_features, names, "time_column")
    )
    keys = {id_pos, time_pos} - {None}
    if id_pos is not None and id_pos == time_pos:
        raise ValueError("id_column and time_column name the same column.")
    if est.columns is None:
        columns = [j for j in range(n_features) if j not in keys]
    else:
        columns = [
            resolve_column(c, n_features, names, "columns")
            for c in _as_tuple(est.columns)
        ]
    if not columns:
        raise ValueError(
            "columns is empty: X has no column besides id_column and time_column."
        )
    if len(set(columns)) != len(columns) or keys & set(columns):
        raise ValueError(
            "columns must list distinct value columns, other than id_column and "
            "time_column."
        )
    return id_pos, time_pos, columns


def column(X, j):
    """Column ``j`` of a DataFrame or array, as a 1-d array or Series."""
    return X.iloc[:, j] if hasattr(X, "iloc") else X[:, j]


def read_values(X, columns, names):
    """The value columns as one C-contiguous float64 block (NaN kept)."""
    n = X.shape[0]
    out = np.empty((n, len(columns)), dtype=np.float64)
    for k, j in enumerate(columns):
        label = names[j] if names is not None else j
        col = column(X, j)
        if pd is not None and isinstance(col, pd.Series):
            if col.dtype.kind in "iufb":  # NumPy and nullable numeric dtypes
                out[:, k] = col.to_numpy(dtype=np.float64, na_value=np.nan)
                continue
            # an object column's missing values (pd.NA too) as None; other
            # dtypes (datetimes, strings) keep their kind for the message
            if col.dtype.kind == "O":
                col = col.to_numpy(dtype=object, na_value=None)
            else:
                col = col.to_numpy()
        out[:, k] = as_real_float64(
            col,
            name=f"X column {label!r}",
            what="numbers (NaN or None for missing values) to build lag features",
            missing=True,
        )
    if np.isinf(out).any():
        bad = int(np.flatnonzero(np.isinf(out).any(axis=0))[0])
        label = names[columns[bad]] if names is not None else columns[bad]
        raise ValueError(
            f"Input X contains infinity in column {label!r}: lag and window "
            f"features need finite values (NaN marks a missing one)."
        )
    return out


def read_times(X, j):
    """``(sort key, kind)`` of the time column.

    The key is int64 for datetimes (nanoseconds) and integers, float64 for
    other numbers.
    """
    col = column(X, j)
    arr = col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)
    if arr.dtype.kind in "biu" and (
        arr.dtype.kind != "u" or arr.size == 0 or arr.max() <= np.iinfo(np.int64).max
    ):
        # integers keep their exact order (float64 would tie above 2**53)
        return arr.astype(np.int64), "numeric"
    if arr.dtype.kind in "biuf":
        times = arr.astype(np.float64)
        if not np.isfinite(times).all():
            raise ValueError(
                "time_column holds NaN or infinite values: every row needs a time."
            )
        return times, "numeric"
    if arr.dtype.kind == "O":
        try:  # numbers (not numeric strings); anything else is read as dates
            times = as_real_float64(arr, name="time_column")
        except (TypeError, ValueError):
            pass
        else:
            if not np.isfinite(times).all():
                raise ValueError(
                    "time_column holds NaN or infinite values: every row needs a time."
                )
            return times, "numeric"
    try:
        require_pandas("a datetime time_column")
        index = pd.DatetimeIndex(col)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        index = index.as_unit("ns")
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(
            f"time_column must hold numbers or datetimes; could not read it as "
            f"datetimes: {exc}"
        ) from None
    if index.hasnans:
        raise ValueError("time_column holds missing times (NaT): every row needs one.")
    return np.asarray(index.asi8, dtype=np.int64), "datetime"


def read_ids(X, j):
    """The id column's values, checked for missing ones.

    Numbers come back in native byte order and at full width (int64, uint64
    or float64): narrow integers would wrap when the entity codes are
    computed as ``id - min``, and pandas cannot index float16.
    """
    require_pandas("id_column")
    col = column(X, j)
    values = col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)
    kind = values.dtype.kind
    if kind in "iuf":
        wide = {"i": np.int64, "u": np.uint64, "f": np.float64}[kind]
        values = values.astype(wide, copy=False)  # also native byte order
    else:
        values = native_byte_order(values)
    missing = pd.isna(values)
    if np.any(missing):
        raise ValueError(
            "id_column holds missing values (NaN/None): every row needs an "
            "entity id. Fill them (e.g. with a placeholder id) first."
        )
    return values
