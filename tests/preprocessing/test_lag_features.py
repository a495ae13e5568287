"""LagFeatures against pandas (row windows) and brute force (time windows)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import TimeSeriesSplit, cross_val_predict
from sklearn.pipeline import make_pipeline

from mlfound.preprocessing import LagFeatures

AGGS = ("mean", "sum", "std", "count", "min", "max")


def pandas_reference(
    df,
    value_cols,
    *,
    id_col,
    time_col,
    lags=(),
    windows=(),
    aggs=AGGS,
    alphas=(),
    min_shift=1,
    min_periods=1,
):
    """The features written as the pandas chain, row order of ``df``."""
    keys = ([id_col] if id_col else []) + ([time_col] if time_col else [])
    data = df.sort_values(keys, kind="stable") if keys else df
    groups = data[id_col] if id_col else np.zeros(len(data))
    out = {}
    for col in value_cols:
        g = data.groupby(groups, sort=False)[col]
        for k in lags:
            out[f"{col}_lag{k}"] = g.shift(k)
        for w in windows:
            for agg in aggs:
                if isinstance(w, str):
                    # the span strictly before each row's time, by brute force
                    def f(s, w=w, agg=agg):
                        t = data.loc[s.index, time_col].to_numpy()
                        span = pd.Timedelta(w).to_timedelta64()
                        values = s.to_numpy(dtype=float)
                        r = time_window_reference(values, t, span, agg, min_periods)
                        return pd.Series(r, index=s.index)
                else:

                    def f(s, w=w, agg=agg):
                        r = s.shift(min_shift).rolling(w, min_periods=min_periods)
                        return getattr(r, agg)()

                out[f"{col}_{agg}{w}"] = g.transform(f)
        for a in alphas:
            out[f"{col}_ewm{a:g}"] = g.transform(
                lambda s, a=a: (
                    s.shift(min_shift).ewm(alpha=a, min_periods=min_periods).mean()
                )
            )
    return pd.DataFrame(out, index=data.index).loc[df.index]


def time_window_reference(values, times, span, agg, min_periods):
    """Aggregate of the values with a time in ``[t - span, t)``, row by row.

    Written out instead of pandas' ``rolling(span, closed="left")``, which
    before pandas 2.2 lets a row see the earlier rows of its own time
    (pandas-dev/pandas#20712) and so gives wrong references on the declared
    floor, pandas 2.0. As in pandas, ``count`` asks ``min_periods`` of the
    rows in the window, the other aggregations of the non-missing values.
    """
    out = np.full(values.shape[0], np.nan)
    for i, t in enumerate(times):
        window = values[(times >= t - span) & (times < t)]
        present = window[~np.isnan(window)]
        if agg == "count":
            if window.size >= min_periods:
                out[i] = present.size
        elif present.size >= max(min_periods, 2 if agg == "std" else 1):
            ddof = {"ddof": 1} if agg == "std" else {}
            out[i] = getattr(np, agg)(present, **ddof)
    return out


@st.composite
def panels(draw):
    n_entities = draw(st.integers(1, 4))
    lengths = [draw(st.integers(1, 9)) for _ in range(n_entities)]
    n = sum(lengths)
    ids = np.repeat(np.arange(n_entities), lengths)
    day = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))  # ties
    values = draw(
        st.lists(
            st.one_of(
                st.just(np.nan),
                st.integers(-50, 50).map(lambda v: v / 4),
                st.floats(-1e3, 1e3, allow_nan=False),
            ),
            min_size=n,
            max_size=n,
        )
    )
    perm = draw(st.permutations(range(n)))
    df = pd.DataFrame(
        {
            "id": ids,
            "time": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D"),
            "price": values,
            "qty": np.asarray(values)[::-1] * 2.0,
        }
    )
    return df.iloc[list(perm)].reset_index(drop=True)


def _assert_frame(got, expected, scale=1e3):
    assert list(got.columns) == list(expected.columns)
    std = np.array(["_std" in c for c in got.columns])
    np.testing.assert_allclose(
        got.to_numpy()[:, ~std], expected.to_numpy()[:, ~std], rtol=1e-9, atol=1e-7
    )
    # pandas' running variance rounds to about sqrt(eps) * |x| near a zero
    # variance (its exact-zero shortcut stops at a NaN); ours re-sums.
    np.testing.assert_allclose(
        got.to_numpy()[:, std],
        expected.to_numpy()[:, std],
        rtol=1e-7,
        atol=1e-7 * scale,
    )


@settings(max_examples=30)
@given(
    df=panels(),
    lags=st.lists(st.integers(1, 4), min_size=0, max_size=2, unique=True),
    windows=st.lists(st.integers(2, 5), min_size=1, max_size=2, unique=True),
    min_shift=st.integers(1, 2),
    min_periods=st.integers(1, 2),
    use_id=st.booleans(),
)
def test_row_features_equal_pandas(df, lags, windows, min_shift, min_periods, use_id):
    lags = [k for k in lags if k >= min_shift] or [min_shift]
    params = {
        "lags": lags,
        "windows": windows,
        "min_shift": min_shift,
        "min_periods": min_periods,
    }
    id_col = "id" if use_id else None
    est = LagFeatures(
        columns=["price", "qty"],
        id_column=id_col,
        time_column="time",
        aggregations=AGGS,
        ewm_alphas=(0.3, 1.0),
        **params,
    ).set_output(transform="pandas")
    got = est.fit_transform(df)
    expected = pandas_reference(
        df,
        ["price", "qty"],
        id_col=id_col,
        time_col="time",
        alphas=(0.3, 1.0),
        **params,
    )
    _assert_frame(got, expected)


@settings(max_examples=25)
@given(df=panels(), min_periods=st.integers(1, 2))
def test_time_windows_equal_pandas_and_ties_never_see_each_other(df, min_periods):
    est = LagFeatures(
        columns=["price"],
        lags=(),
        windows=("2D", "3D"),
        aggregations=AGGS,
        id_column="id",
        time_column="time",
        min_periods=min_periods,
    ).set_output(transform="pandas")
    got = est.fit_transform(df)
    expected = pandas_reference(
        df,
        ["price"],
        id_col="id",
        time_col="time",
        windows=("2D", "3D"),
        min_periods=min_periods,
    )
    _assert_frame(got, expected)


@settings(max_examples=25)
@given(df=panels(), cut=st.integers(1, 6), use_time=st.booleans())
def test_transform_on_following_period_equals_concatenated_history(df, cut, use_time):
    time = df["time"] - pd.Timestamp("2024-01-01")
    later = time >= pd.Timedelta(days=cut)
    train, test = df[~later], df[later]
    if len(train) == 0 or len(test) == 0:
        return
    est = LagFeatures(
        columns=["price", "qty"],
        lags=(1, 3),
        windows=(2, 4) + (("2D",) if use_time else ()),
        aggregations=AGGS,
        ewm_alphas=(0.5,),
        id_column="id",
        time_column="time" if use_time else None,
    )
    both = pd.concat([train, test])
    full = est.fit_transform(both)[len(train) :]
    est.fit(train)
    names = est.get_feature_names_out()
    _assert_frame(
        pd.DataFrame(est.transform(test), columns=names),
        pd.DataFrame(full, columns=names),
    )


def test_transformed_rows_never_read_their_own_values():
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"id": rng.integers(0, 3, 30), "x": rng.normal(size=30)})
    test = pd.DataFrame({"id": rng.integers(0, 3, 10), "x": rng.normal(size=10)})
    est = LagFeatures(
        lags=(1, 2), windows=(3,), aggregations=AGGS, ewm_alphas=(0.4,), id_column="id"
    ).fit(train)
    before = est.transform(test)
    changed = test.copy()
    changed.loc[9, "x"] = 1e6  # the last row: no other row comes after it
    np.testing.assert_array_equal(est.transform(changed), before)


def test_numpy_input_with_positions_equals_dataframe():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "id": rng.integers(0, 4, 50),
            "t": rng.integers(0, 20, 50),
            "x": rng.normal(size=50),
        }
    )
    params = {"lags": (1, 2), "windows": (3,), "aggregations": ("mean", "max")}
    a = LagFeatures(id_column="id", time_column="t", **params).fit_transform(df)
    b = LagFeatures(id_column=0, time_column=1, **params).fit_transform(
        df.to_numpy(dtype=float)
    )
    np.testing.assert_array_equal(a, b)


def test_feature_names_and_fill_value():
    df = pd.DataFrame(
        {
            "store": [1, 1, 2],
            "day": pd.date_range("2024-01-01", periods=3),
            "price": [1.0, 2.0, 3.0],
        }
    )
    est = LagFeatures(
        lags=(1,),
        windows=(7, "7D"),
        aggregations=("mean", "max"),
        ewm_alphas=(0.5,),
        id_column="store",
        time_column="day",
        fill_value=-1.0,
    )
    out = est.fit_transform(df)
    assert est.get_feature_names_out().tolist() == [
        "price_lag1",
        "price_mean7",
        "price_max7",
        "price_mean7D",
        "price_max7D",
        "price_ewm0.5",
    ]
    assert not np.isnan(out).any()
    assert out[0].tolist() == [-1.0] * 6 and out[1, 0] == 1.0


def test_min_shift_zero_raises_and_explains_the_leak():
    with pytest.raises(ValueError, match=r"min_shift=0.*own value.*leak"):
        LagFeatures(min_shift=0).fit(np.ones((3, 1)))
    with pytest.raises(ValueError, match="lags"):
        LagFeatures(min_shift=2, lags=(1,)).fit(np.ones((3, 1)))


def test_transform_refuses_rows_earlier_than_the_history():
    df = pd.DataFrame({"id": [0, 0], "t": [1.0, 5.0], "x": [1.0, 2.0]})
    est = LagFeatures(id_column="id", time_column="t").fit(df)
    with pytest.raises(ValueError, match="earlier than the last fitted time"):
        est.transform(pd.DataFrame({"id": [0], "t": [3.0], "x": [0.0]}))
    # a new entity has no history and any time
    out = est.transform(pd.DataFrame({"id": [7], "t": [0.0], "x": [0.0]}))
    assert np.isnan(out).all()


def test_bad_parameters_name_themselves():
    X = np.ones((4, 2))
    for params, name in [
        ({"windows": ("7D",)}, "time_column"),
        ({"windows": (0,)}, "windows"),
        ({"windows": (3,), "min_periods": 5}, "min_periods"),
        ({"ewm_alphas": (1.5,)}, "ewm_alphas"),
        ({"aggregations": ("median",), "windows": (2,)}, "aggregations"),
        ({"lags": (), "windows": ()}, "lags"),
        ({"columns": [5]}, "columns"),
        ({"id_column": "store"}, "id_column"),
    ]:
        with pytest.raises(ValueError, match=name):
            LagFeatures(**params).fit(X)
    with pytest.raises(ValueError, match="infinity"):
        LagFeatures().fit(np.array([[1.0], [np.inf]]))


# ------------------------------------------------------------------ the leak


def _random_walk_panel(n_entities=40, n_steps=150, seed=0):
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(n_entities, n_steps))
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(n_entities), n_steps),
            "t": np.tile(np.arange(n_steps), n_entities),
            "x": np.cumsum(steps, axis=1).ravel(),
        }
    )


def test_unshifted_rolling_validates_well_and_fails_later():
    """A window including the current row inflates the validation score.

    The target is the series' value at t; production knows the values up
    to t - 1 only, so on the holdout period the "rolling(7)" feature can only
    be the mean of the 7 values before t.
    """
    df = _random_walk_panel()
    train, hold = df[df.t < 100], df[df.t >= 100]
    y_train, y_hold = train["x"].to_numpy(), hold["x"].to_numpy()
    cv = TimeSeriesSplit(4)
    order = np.argsort(train["t"].to_numpy(), kind="stable")  # time-ordered CV

    def validation_mae(Z):
        pred = np.full(len(y_train), np.nan)
        for tr, te in cv.split(order):
            model = LinearRegression().fit(Z[order[tr]], y_train[order[tr]])
            pred[order[te]] = model.predict(Z[order[te]])
        seen = ~np.isnan(pred)
        return mean_absolute_error(y_train[seen], pred[seen])

    # the leak: rolling(7) including the row itself
    leaky = train.groupby("id")["x"].transform(lambda s: s.rolling(7, 1).mean())
    Z_leaky = leaky.to_numpy()[:, None]
    leaky_val = validation_mae(Z_leaky)
    honest = LagFeatures(
        columns=["x"], lags=(), windows=(7,), id_column="id", time_column="t"
    )
    Z_train = honest.fit_transform(train)
    Z_hold = honest.transform(hold)  # what production can compute at time t
    model = LinearRegression().fit(Z_leaky, y_train)
    leaky_hold = mean_absolute_error(y_hold, model.predict(Z_hold))
    assert leaky_val < 0.85 * leaky_hold  # measured 0.80 (n = 2000: ~10 s.e.)

    keep = ~np.isnan(Z_train[:, 0])
    safe_val = validation_mae(np.where(keep[:, None], Z_train, 0.0))
    pipe = make_pipeline(LinearRegression()).fit(Z_train[keep], y_train[keep])
    safe_hold = mean_absolute_error(y_hold, pipe.predict(Z_hold))
    assert 0.85 < safe_val / safe_hold < 1.15
    # and the validation score of the leaky feature is the better one
    assert leaky_val < 0.85 * safe_val


def test_first_rows_get_nan_and_cross_val_predict_runs_in_a_pipeline():
    df = _random_walk_panel(n_entities=3, n_steps=30)
    pipe = make_pipeline(
        LagFeatures(
            columns=["x"], lags=(1,), id_column="id", time_column="t", fill_value=0.0
        ),
        LinearRegression(),
    )
    pred = cross_val_predict(pipe, df, df["x"], cv=3)
    assert np.isfinite(pred).all()


# ------------------------------------------------------- sorting and entities


@pytest.mark.parametrize("key_dtype", [np.int64, np.float64])
@pytest.mark.parametrize("seed", [0, 1])
def test_group_time_order_equals_a_stable_lexsort(key_dtype, seed):
    from mlfound.preprocessing._lag_features_fast import _group_time_order

    rng = np.random.default_rng(seed)
    n_groups = 9  # codes 0 and 5 unused; entities from 1 to ~200 rows
    sizes = np.array([0, 1, 2, 17, 40, 0, 90, 200, 33])
    codes = np.repeat(np.arange(n_groups), sizes)
    times = rng.integers(0, 12, codes.shape[0])  # many ties
    times[codes == 8] = np.arange(33)  # an entity already in time order
    perm = rng.permutation(codes.shape[0])
    codes, times = codes[perm].astype(np.intp), times[perm].astype(key_dtype)
    order, sorted_times, starts, groups = _group_time_order(
        codes, n_groups, times, True
    )
    expected = np.lexsort((times, codes))  # stable: ties keep the row order
    np.testing.assert_array_equal(order, expected)
    np.testing.assert_array_equal(sorted_times, times[expected])
    assert groups.tolist() == [1, 2, 3, 4, 6, 7, 8]
    np.testing.assert_array_equal(starts, np.cumsum([0, *sizes[sizes > 0]]))
    order, _, _, _ = _group_time_order(codes, n_groups, times, False)
    np.testing.assert_array_equal(order, np.argsort(codes, kind="stable"))


def test_entity_codes_count_by_id_only_when_the_span_is_bounded_by_rows():
    from mlfound.preprocessing._lag_features import _entity_codes

    big = np.iinfo(np.int64)
    cases = [
        (np.array([-5, -3, -5, -4]), 3, [0, 2, 0, 1]),  # dense: id - min
        (np.array([2**64 - 1, 2**64 - 3, 2**64 - 1], np.uint64), 3, [2, 0, 2]),
        (np.array([big.max, big.min, big.max]), 2, [0, 1, 0]),  # span 2**64
        (np.array([0, 10**12, 0, 10**12]), 2, [0, 1, 0, 1]),  # sparse
        (np.array(["b", "a", "b"], dtype=object), 2, [0, 1, 0]),
    ]
    for ids, n_codes, codes in cases:
        got, n_got, entity_of = _entity_codes(ids, ids.shape[0])
        assert n_got == n_codes <= ids.shape[0]
        assert got.tolist() == codes
        np.testing.assert_array_equal(entity_of(got), ids)


@pytest.mark.parametrize(
    "ids",
    [
        [2**63 - 1, -(2**63), 0],  # extreme int64: hashed, not counted
        [-7, -9, -8],  # dense negative ids: counted
        [2**64 - 1, 2**64 - 2, 5],  # uint64
        ["b", "a", "c"],
    ],
)
@pytest.mark.parametrize("time_kind", ["int", "datetime", "float"])
def test_lags_equal_pandas_for_extreme_ids_and_exact_integer_times(ids, time_kind):
    rng = np.random.default_rng(0)
    n = 60
    id_col = np.asarray(ids, dtype=object if isinstance(ids[0], str) else None)
    id_col = id_col[rng.integers(0, 3, n)]
    day = rng.integers(0, 8, n)  # ties
    if time_kind == "int":
        # distinct integers that float64 cannot tell apart
        time = 2**60 + day
    elif time_kind == "datetime":
        time = pd.Timestamp("2024-01-01") + pd.to_timedelta(day, unit="D")
    else:
        time = day / 4.0
    x = np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n))
    df = pd.DataFrame({"id": id_col, "time": time, "x": x})
    params = {"lags": (1, 2), "windows": (3,)}
    est = LagFeatures(
        id_column="id", time_column="time", aggregations=("mean", "max"), **params
    ).set_output(transform="pandas")
    got = est.fit_transform(df)
    expected = pandas_reference(
        df, ["x"], id_col="id", time_col="time", aggs=("mean", "max"), **params
    )
    _assert_frame(got, expected)
    # the fitted history continues into the following period
    later = day >= 5
    est.fit(df[~later])
    np.testing.assert_allclose(
        est.transform(df[later]).to_numpy(),
        est.fit_transform(pd.concat([df[~later], df[later]]))[(~later).sum() :],
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    "id_dtype", [np.int8, np.int16, np.uint8, ">i8", ">f8", np.float16, np.float32]
)
def test_id_column_of_any_numeric_dtype_gives_the_int64_result(id_dtype):
    # Narrow integers wrapped when the entity codes were computed as
    # id - min (int8 ids -128..127 gave a negative code, which the counting
    # sort used as an index); big-endian ids failed in pandas, and float16
    # ids fitted but could not be looked up in transform.
    low = 0 if np.dtype(id_dtype).kind == "u" else -128
    ids = np.repeat(np.arange(low, low + 256), 2)
    if np.dtype(id_dtype) == np.int16:
        # the whole int16 range, each id twice: the ids span fewer values
        # than there are rows, so their codes are id - min (which wrapped)
        ids = np.repeat(np.arange(-(2**15), 2**15), 2)
    X = np.c_[ids, np.arange(ids.size, dtype=np.float64)]
    params = {"lags": (1, 2), "id_column": 0, "fill_value": -1.0}
    expected_model = LagFeatures(**params)
    expected = expected_model.fit_transform(X)
    X_cast = pd.DataFrame({0: ids.astype(id_dtype), 1: X[:, 1]})
    model = LagFeatures(**params)
    np.testing.assert_array_equal(model.fit_transform(X_cast), expected)
    np.testing.assert_array_equal(model.entities_, expected_model.entities_)
    X_next = X_cast.iloc[::2]
    np.testing.assert_array_equal(
        model.transform(X_next), expected_model.transform(X[::2])
    )


def test_without_pandas_id_columns_and_time_spans_ask_for_it(monkeypatch):
    # pandas is optional: LagFeatures numbers entity ids, reads datetimes
    # and parses time spans with it. Without it those raise an ImportError
    # saying so (an id_column used to fail with an AttributeError on None);
    # lags of plain columns still work.
    import mlfound.preprocessing._lag_features_spec as spec

    X = np.c_[np.arange(8) % 2, np.arange(8.0)]
    expected = LagFeatures(lags=(1,)).fit_transform(X[:, 1:])
    monkeypatch.setattr(spec, "pd", None)
    with pytest.raises(ImportError, match="needs pandas for id_column"):
        LagFeatures(lags=(1,), id_column=0).fit(X)
    with pytest.raises(ImportError, match="needs pandas for time spans"):
        LagFeatures(windows=("7D",), time_column=0).fit(X)
    np.testing.assert_array_equal(
        LagFeatures(lags=(1,)).fit_transform(X[:, 1:]), expected
    )


def test_the_tour_skips_rolling_features_without_pandas(monkeypatch):
    import sys

    from mlfound._tour import _lag_features

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    rows = _lag_features.run(quick=True, step=lambda message: None)
    assert rows == [("rolling features", "-", "skipped: pip install pandas")]
