"""Lag, rolling-window and EWM features computed from earlier rows only."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from mlfound.preprocessing._lag_features_fast import (
    _ewm_states,
    _group_time_order,
    _lag_window_features,
    _tail_lengths,
)
from mlfound.preprocessing._lag_features_spec import (
    check_spec,
    read_ids,
    read_times,
    read_values,
    value_columns,
)
from mlfound.utils._frames import is_dataframe
from mlfound.utils._param_validation import Interval, _fit_context
from mlfound.utils.validation import check_feature_names_in

try:
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None


class LagFeatures(TransformerMixin, BaseEstimator):
    """Lag and rolling-window features from strictly earlier rows, per entity.

    For each value column, each row gets the values of the rows before it
    (lags), aggregates over a window of earlier rows (mean, sum, std, count,
    min, max) and exponentially weighted means, computed within its entity
    (``id_column``) in time order (``time_column``). No feature of a row is
    ever computed from the row itself or from a later row: a window ends
    ``min_shift`` rows before the row it describes (pandas'
    ``shift(min_shift).rolling(w)``, never ``rolling(w)``).

    Rows are ordered by ``(id_column, time_column)`` with a stable sort:
    rows with the same time keep their order in ``X``, and lags and row
    windows count rows in that order. A *time window* such as ``"7D"``
    covers the rows of the entity whose time lies in ``[t - 7 days, t)``,
    so rows with the same timestamp never see each other through it. The
    output rows are in the order of ``X``.

    ``fit`` stores the recent history of every entity (enough rows for the
    largest lag and window, and the EWM state before them); ``transform``
    treats its rows as the *following* period: each row's features come from
    the fitted history and from earlier rows of the same batch, never from
    the row itself or later ones. So
    ``fit(train).transform(test)`` equals computing on
    ``concat([train, test])`` and keeping the test rows. ``transform`` raises
    if a row is earlier than its entity's last fitted time.

    .. note::
        ``fit(X).transform(X)`` does not equal ``fit_transform(X)``:
        ``transform`` appends its rows *after* the fitted history. Use
        ``fit_transform`` on training data and ``transform`` on the next
        period (a :class:`~sklearn.pipeline.Pipeline` does exactly this).

    Read more in the :ref:`User Guide <leakage_safe_features>`.

    Parameters
    ----------
    columns : str, int, list of them or None, default=None
        Value columns to build features from (names for a DataFrame,
        positions for an array). ``None``: every column except
        ``id_column`` and ``time_column``.

    lags : int or tuple of int, default=(1,)
        Lags in rows; each must be at least ``min_shift``. ``lags=2`` gives
        the value two rows earlier in the entity.

    windows : int, str or tuple of them, default=()
        Rolling windows: an int is a number of rows (the window of row ``i``
        holds rows ``i - min_shift - w + 1`` to ``i - min_shift``); a string
        (``"7D"``, ``"12h"``) or timedelta is a time span (rows with time in
        ``[t - span, t)``; needs a datetime ``time_column`` and
        ``min_shift=1``).

    aggregations : str or tuple of str, default=("mean",)
        Aggregates of each window, among ``"mean"``, ``"sum"``, ``"std"``
        (``ddof=1``), ``"count"``, ``"min"``, ``"max"``. Missing values
        (NaN) in a window are skipped.

    ewm_alphas : float or tuple of float, default=()
        Smoothing factors in ``(0, 1]`` of exponentially weighted means of
        the values up to ``min_shift`` rows earlier (pandas
        ``ewm(alpha=a, adjust=True, ignore_na=False)``).

    id_column : str, int or None, default=None
        Column of entity ids (e.g. store or user id); ``None``: one entity.

    time_column : str, int or None, default=None
        Column of times (datetimes or numbers); ``None``: the row order of
        ``X`` is the time order.

    min_shift : int, default=1
        The forecast horizon in rows: features of a row use values at least
        ``min_shift`` rows earlier. ``0`` raises a ``ValueError`` (it would
        put the row's own value into its window: a leak).

    min_periods : int, default=1
        A window aggregate (and an EWM mean) is NaN unless at least
        ``min_periods`` observed values enter it, as in pandas. For
        ``"count"`` pandas counts the rows of the window instead, observed
        or not (with shifted-in missing rows at the start of an entity), and
        so does this transformer.

    fill_value : float or None, default=None
        Value of a feature that has no history (the first rows of an entity,
        empty windows); ``None`` leaves NaN (which many estimators, e.g.
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor`, handle).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns seen during fit. Defined only when ``X`` has
        column names that are all strings.

    value_columns_ : list of int
        Positions of the value columns in ``X``.

    entities_ : ndarray or None
        The entity ids seen in fit (``None`` without ``id_column``): in
        increasing order for integer ids spanning fewer values than there
        are rows, else in order of first appearance.

    last_time_ : ndarray of shape (n_entities,)
        Last time of each entity in fit (int64 nanoseconds for datetimes,
        int64 for integer times, float64 for other numbers; the row count
        minus one without ``time_column``).

    See Also
    --------
    OutOfFoldTransformer : Model predictions as features, out of fold.
    TargetEncoder : Leakage-safe encoding of categorical features.

    Examples
    --------
    >>> import pandas as pd
    >>> from mlfound.preprocessing import LagFeatures
    >>> df = pd.DataFrame({"store": [1, 1, 1, 2, 2],
    ...                    "sales": [10.0, 12.0, 14.0, 5.0, 7.0]})
    >>> lag = LagFeatures(lags=(1,), windows=(2,), id_column="store")
    >>> lag.set_output(transform="pandas").fit_transform(df)
       sales_lag1  sales_mean2
    0         NaN          NaN
    1        10.0         10.0
    2        12.0         11.0
    3         NaN          NaN
    4         5.0          5.0
    >>> next_day = pd.DataFrame({"store": [1, 2], "sales": [0.0, 0.0]})
    >>> lag.transform(next_day)
       sales_lag1  sales_mean2
    0        14.0         13.0
    1         7.0          6.0
    """

    _parameter_constraints: dict = {
        "columns": [None, str, Integral, list, tuple],
        "lags": [Integral, list, tuple],
        "windows": [Integral, str, list, tuple],
        "aggregations": [str, list, tuple],
        "ewm_alphas": [Real, list, tuple],
        "id_column": [None, str, Integral],
        "time_column": [None, str, Integral],
        "min_shift": [Interval(Integral, 0, None, closed="left")],
        "min_periods": [Interval(Integral, 1, None, closed="left")],
        "fill_value": [Real, None],
    }

    def __init__(
        self,
        *,
        columns=None,
        lags=(1,),
        windows=(),
        aggregations=("mean",),
        ewm_alphas=(),
        id_column=None,
        time_column=None,
        min_shift=1,
        min_periods=1,
        fill_value=None,
    ):
        self.columns = columns
        self.lags = lags
        self.windows = windows
        self.aggregations = aggregations
        self.ewm_alphas = ewm_alphas
        self.id_column = id_column
        self.time_column = time_column
        self.min_shift = min_shift
        self.min_periods = min_periods
        self.fill_value = fill_value

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Store each entity's recent history for :meth:`transform`.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows: value columns, and the id and time columns if
            given.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.
        """
        self._fit(X, transform=False)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit and return the features of the training rows.

        Each row's features come from the rows before it in its entity
        only; the result equals the pandas chain
        ``df.groupby(id).shift(k)`` / ``.shift(min_shift).rolling(w)...``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows.
        y : None
            Ignored.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            The features, float64, in the row order of ``X``.
        """
        return self._fit(X, transform=True)

    def transform(self, X):
        """Features of the rows of the period following the fitted one.

        Each row sees the fitted history of its entity and the earlier rows
        of ``X`` in the same entity, never itself or later rows. Entities not
        seen in fit start with no history.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows no earlier than their entity's last fitted time.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features_out)
            The features, float64, in the row order of ``X``.
        """
        check_is_fitted(self, "value_columns_")
        spec = self._spec
        values, ids, times, kind = self._read(X, reset=False)
        n = values.shape[0]
        n_known = self._tail_starts.shape[0] - 1
        if self._time_kind is not None and kind != self._time_kind:
            raise TypeError(
                f"time_column holds {kind} values but held {self._time_kind} "
                f"ones in fit: pass the same kind of times."
            )
        codes = self._known_codes(ids, n, n_known)
        known = codes < n_known
        if self._time_kind is not None and np.any(known):
            early = times[known] < self.last_time_[codes[known]]
            if np.any(early):
                raise ValueError(
                    f"{int(early.sum())} rows of X are earlier than the last "
                    f"fitted time of their entity: transform continues the "
                    f"fitted history with the following period. Refit on the "
                    f"data up to these rows, or use fit_transform for training "
                    f"rows."
                )
        present = np.unique(codes[known])
        starts, stops = self._tail_starts[present], self._tail_starts[present + 1]
        tail_rows = _ranges(starts, stops)
        tail_codes = np.repeat(present, stops - starts)
        all_codes = np.concatenate([tail_codes, codes])
        block = np.concatenate(
            [np.zeros(tail_rows.shape[0], np.int8), np.ones(n, np.int8)]
        )
        keys = [block, all_codes]
        all_times = None
        if self._time_kind is not None:
            all_times = np.concatenate([self._tail_times[tail_rows], times])
            keys.insert(0, all_times)
        order = np.lexsort(keys)
        all_values = np.concatenate([self._tail_values[tail_rows], values])
        sorted_codes = all_codes[order]
        dest = np.concatenate([np.full(tail_rows.shape[0], -1), np.arange(n)])[order]
        seg_starts = _segments(sorted_codes)
        seg_codes = sorted_codes[seg_starts[:-1]]
        seg_known = seg_codes < n_known
        offsets = np.zeros(seg_codes.shape[0], dtype=np.int64)
        offsets[seg_known] = self._n_dropped[seg_codes[seg_known]]
        init = _empty_ewm(seg_codes.shape[0], values.shape[1], spec.alphas.shape[0])
        init[seg_known] = self._ewm_state[seg_codes[seg_known]]
        sorted_times = None
        if spec.window_is_time.any():
            sorted_times = all_times[order]
        return self._compute(
            all_values, order, seg_starts, offsets, dest, sorted_times, init, n
        )

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; ``feature_names_in_`` (or ``x0``, ``x1``,
            ...) when ``None``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``<column>_lag<k>``, ``<column>_<aggregation><window>`` and
            ``<column>_ewm<alpha>``, e.g. ``price_lag1``, ``price_mean7``,
            ``price_max7D``, ``price_ewm0.5``, column by column.
        """
        check_is_fitted(self, "value_columns_")
        names = check_feature_names_in(self, input_features)
        spec = self._spec
        out = []
        for j in self.value_columns_:
            name = names[j]
            out += [f"{name}_lag{k}" for k in spec.lags]
            out += [
                f"{name}_{agg}{label}"
                for label in spec.window_labels
                for agg in spec.aggs
            ]
            out += [f"{name}_ewm{label}" for label in spec.alpha_labels]
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = False
        return tags

    # ---------------------------------------------------------------- private

    def _fit(self, X, *, transform):
        spec = check_spec(self)
        values, ids, times, kind = self._read(X, reset=True, spec=spec)
        n, n_cols = values.shape
        self._spec = spec
        self._time_kind = kind
        codes, n_groups, entity_of = _entity_codes(ids, n)
        # An internal check, one pass over the codes: the counting sort
        # indexes its arrays with them unchecked, so a wrong code from a
        # future change must stop here rather than write out of bounds.
        if n and not (codes.min() >= 0 and codes.max() < n_groups <= n):
            raise RuntimeError(
                f"LagFeatures computed entity codes outside [0, {n_groups}); "
                f"please report this with the dtype of the id column."
            )
        by_time = times is not None
        order, sorted_times, seg_starts, seg_groups = _group_time_order(
            codes, n_groups, times if by_time else np.zeros(0, np.int64), by_time
        )
        del codes
        self.entities_ = entity_of(seg_groups)
        n_seg = seg_starts.shape[0] - 1
        with_spans = bool(spec.window_is_time.any())
        out = None
        if transform:
            out = self._compute(
                values,
                order,
                seg_starts,
                np.zeros(n_seg, dtype=np.int64),
                order,
                sorted_times if with_spans else None,
                _empty_ewm(n_seg, n_cols, spec.alphas.shape[0]),
                n,
            )
        # History kept for transform: the rows the largest lag, row window
        # and time window can reach, and the EWM state before them.
        rows_needed = max(
            int(spec.lags.max(initial=0)),
            spec.min_shift + spec.max_row_window - 1 if spec.max_row_window else 0,
            spec.min_shift,
        )
        span_times = sorted_times if with_spans else np.zeros(0, np.int64)
        tails = _tail_lengths(span_times, seg_starts, rows_needed, spec.max_time_window)
        seg_ends = seg_starts[1:]
        self._tail_starts = np.concatenate([[0], np.cumsum(tails)]).astype(np.intp)
        tail_rows = _ranges(seg_ends - tails, seg_ends)
        self._tail_values = np.ascontiguousarray(values[order[tail_rows]])
        self._n_dropped = (np.diff(seg_starts) - tails).astype(np.int64)
        if times is None:
            self._tail_times = None
            self.last_time_ = np.diff(seg_starts).astype(np.int64) - 1
        else:
            self._tail_times = sorted_times[tail_rows]
            self.last_time_ = sorted_times[seg_ends - 1]
        self._ewm_state = _empty_ewm(n_seg, n_cols, spec.alphas.shape[0])
        if spec.alphas.shape[0]:
            _ewm_states(
                values,
                order,
                seg_starts,
                self._n_dropped,
                spec.alphas,
                self._ewm_state,
            )
        return out

    def _compute(self, values, order, seg_starts, offsets, dest, times, init, n_out):
        """Features of ``n_out`` rows; ``times``: sorted int64 times or None."""
        spec = self._spec
        n_cols = values.shape[1]
        per_col = spec.lags.shape[0] + spec.windows.shape[0] * len(spec.aggs)
        per_col += spec.alphas.shape[0]
        out = np.empty((n_out, n_cols * per_col), dtype=np.float64)
        longest = int(np.diff(seg_starts).max(initial=1))
        if spec.window_is_time.any():
            cap = longest
            # t - span must not wrap around below the smallest int64.
            low = int(times.min(initial=0)) - spec.max_time_window
            if low < np.iinfo(np.int64).min:
                raise ValueError(
                    "windows: a time span reaches before the earliest "
                    "representable time; use a shorter window."
                )
        else:
            cap = min(spec.max_row_window + 1, longest)
            times = np.zeros(0, dtype=np.int64)
        _lag_window_features(
            values,
            np.ascontiguousarray(order, dtype=np.intp),
            seg_starts.astype(np.intp, copy=False),
            offsets.astype(np.int64, copy=False),
            np.ascontiguousarray(dest, dtype=np.intp),
            np.ascontiguousarray(times, dtype=np.int64),
            spec.lags,
            spec.min_shift,
            spec.windows,
            spec.window_is_time,
            spec.agg_codes,
            self.min_periods,
            spec.alphas,
            init,
            cap,
            out,
        )
        if self.fill_value is not None and not np.isnan(self.fill_value):
            out[np.isnan(out)] = self.fill_value
        return out

    def _read(self, X, *, reset, spec=None):
        """Validate ``X``; return values, entity ids (or None), times, time kind."""
        if hasattr(X, "iloc") and getattr(X, "ndim", 0) == 2:
            validate_data(self, X=X, reset=reset, skip_check_array=True)
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
        else:
            frame = X
            X = check_array(X, dtype=None, ensure_all_finite=False)
            # Column names come from any DataFrame (polars too).
            named = frame if is_dataframe(frame) else X
            validate_data(self, X=named, reset=reset, skip_check_array=True)
        names = getattr(self, "feature_names_in_", None)
        if reset:
            id_pos, time_pos, cols = value_columns(self, X.shape[1], names)
            self.value_columns_ = cols
            self._id_pos, self._time_pos = id_pos, time_pos
            if time_pos is None and spec.window_is_time.any():
                raise ValueError(
                    "windows holds a time span but time_column is None: give the "
                    "datetime column, or use row counts."
                )
        values = read_values(X, self.value_columns_, names)
        times, kind = None, None
        if self._time_pos is not None:
            times, kind = read_times(X, self._time_pos)
            if reset and kind != "datetime" and self._spec_has_time(spec):
                raise ValueError(
                    "windows holds a time span but time_column holds numbers, "
                    "not datetimes: use row windows, or pass datetimes."
                )
        ids = None if self._id_pos is None else read_ids(X, self._id_pos)
        return values, ids, times, kind

    @staticmethod
    def _spec_has_time(spec):
        return spec is not None and bool(spec.window_is_time.any())

    def _known_codes(self, ids, n, n_known):
        """Entity codes of a transform batch: fitted codes, new ones after."""
        if ids is None:
            return np.zeros(n, dtype=np.intp)
        codes, batch_ids = pd.factorize(ids)
        mapped = pd.Index(self.entities_).get_indexer(pd.Index(batch_ids))
        new = mapped < 0
        mapped[new] = n_known + np.arange(int(new.sum()))
        return mapped.astype(np.intp)[codes]


def _entity_codes(ids, n):
    """Dense entity codes of the rows, their number, and the codes' ids.

    Returns ``(codes, n_codes, entity_of)``: ``entity_of(c)`` gives the ids
    of codes ``c``. Integer ids spanning fewer values than there are rows
    are their own codes (``id - min``, no hashing; some codes may be
    unused); other ids are numbered by first appearance. Either way
    ``n_codes <= n``, so the counting sort over codes allocates memory in
    proportion to the rows, never to the ids' values.
    """
    if ids is None:
        return np.zeros(n, dtype=np.intp), 1, lambda c: None
    if ids.dtype.kind in "iu" and n > 0:
        low, high = ids.min(), ids.max()
        if int(high) - int(low) < n:  # Python ints: no overflow
            # The difference fits, so wrapping arithmetic gives it exactly.
            codes = (ids - low).astype(np.intp)
            return codes, int(high) - int(low) + 1, lambda c: c.astype(ids.dtype) + low
    codes, uniques = pd.factorize(ids)
    uniques = np.asarray(uniques)
    return codes.astype(np.intp, copy=False), uniques.shape[0], lambda c: uniques[c]


def _segments(sorted_codes):
    """Start of each run of equal codes, and the end of the last one."""
    n = sorted_codes.shape[0]
    if n == 0:
        return np.zeros(1, dtype=np.intp)
    change = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1
    return np.concatenate([[0], change, [n]]).astype(np.intp)


def _ranges(starts, stops):
    """Concatenation of ``arange(start, stop)`` for each pair."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.intp)
    first = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return (first + np.arange(total)).astype(np.intp)


def _empty_ewm(n_seg, n_cols, n_alphas):
    """EWM states with no observation: ``(NaN mean, weight 1, 0 observed)``."""
    state = np.empty((n_seg, n_cols, n_alphas, 3), dtype=np.float64)
    state[..., 0] = np.nan
    state[..., 1] = 1.0
    state[..., 2] = 0.0
    return state
