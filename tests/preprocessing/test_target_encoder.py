import numbers
from functools import partial

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    PredefinedSplit,
    ShuffleSplit,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.preprocessing import TargetEncoder as SkTargetEncoder

from mlfound.datasets import make_high_cardinality
from mlfound.preprocessing import TargetEncoder
from mlfound.preprocessing._target_encoder_stats import _fast_folds

ATOL = 1e-10


def _data(target_type, n=600, seed=0):
    rng = np.random.default_rng(seed)
    letters = np.array([f"c{k:02d}" for k in range(40)], dtype=object)
    X = np.empty((n, 3), dtype=object)
    X[:, 0] = letters[rng.integers(0, 40, n)]
    X[:, 1] = rng.integers(0, 5, n)
    X[:, 2] = rng.normal(size=n).round(0)  # floats incl. -0.0
    effect = rng.normal(size=40)[rng.integers(0, 40, n)]
    if target_type == "binary":
        y = (rng.random(n) < 1 / (1 + np.exp(-effect))).astype(int)
    elif target_type == "multiclass":
        y = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    else:
        y = 50.0 + 3 * effect + rng.normal(size=n)
    return X, y


# scikit-learn's encoder takes a splitter as ``cv`` from 1.9 on; on older
# releases (the supported floor is 1.6) the reference is unavailable.
_SK_TAKES_SPLITTERS = "cv_object" in SkTargetEncoder._parameter_constraints["cv"]


def _sklearn_encoder(*, cv, **params):
    """scikit-learn's TargetEncoder with these folds, or skip if it cannot."""
    if not isinstance(cv, numbers.Integral) and not _SK_TAKES_SPLITTERS:
        pytest.skip("scikit-learn < 1.9's TargetEncoder takes no splitter as cv.")
    return SkTargetEncoder(cv=cv, **params)


def _assert_same_as_sklearn(X, y, cv, **params):
    ours = TargetEncoder(cv=cv, **params)
    ref = _sklearn_encoder(cv=cv, **params)
    np.testing.assert_allclose(
        ours.fit_transform(X, y), ref.fit_transform(X, y), rtol=0, atol=ATOL
    )
    np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=0, atol=ATOL)
    assert len(ours.encodings_) == len(ref.encodings_)
    for a, b in zip(ours.encodings_, ref.encodings_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=ATOL)
    for a, b in zip(ours.categories_, ref.categories_, strict=True):
        assert len(a) == len(b)
        assert all(
            u == v or (pd.isna(u) and pd.isna(v))
            for u, v in zip(a.tolist(), b, strict=True)
        )
    np.testing.assert_allclose(ours.target_mean_, ref.target_mean_, atol=ATOL)
    assert ours.target_type_ == ref.target_type_
    return ours


@pytest.mark.parametrize("target_type", ["binary", "multiclass", "continuous"])
@pytest.mark.parametrize("smooth", ["auto", 0.0, 3.5])
@pytest.mark.parametrize("splitter", [KFold, StratifiedKFold])
def test_equals_sklearn_with_the_same_folds(target_type, smooth, splitter):
    if splitter is StratifiedKFold and target_type == "continuous":
        pytest.skip("StratifiedKFold needs classes.")
    X, y = _data(target_type)
    cv = splitter(5, shuffle=True, random_state=0)
    _assert_same_as_sklearn(X, y, cv, smooth=smooth, target_type=target_type)


@pytest.mark.parametrize("target_type", ["binary", "multiclass", "continuous"])
def test_equals_sklearn_on_numeric_and_pandas_input(target_type):
    X, y = _data(target_type, seed=1)
    cv = KFold(4, shuffle=True, random_state=2)
    numeric = np.column_stack([X[:, 1].astype(int), X[:, 2].astype(float)])
    _assert_same_as_sklearn(numeric, y, cv)
    frame = pd.DataFrame({"s": X[:, 0], "i": X[:, 1].astype(int)})
    ours = _assert_same_as_sklearn(frame, y, cv, smooth=2.0)
    np.testing.assert_array_equal(ours.feature_names_in_, ["s", "i"])


def test_equals_sklearn_with_missing_values_as_a_category():
    X, y = _data("binary", seed=3)
    X[::7, 0] = np.nan
    X[::11, 2] = np.nan
    numeric = X[:, 2].astype(float)[:, None]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    _assert_same_as_sklearn(X[:, [0]], y, cv)
    ours = _assert_same_as_sklearn(numeric, y, cv)
    assert np.isnan(ours.categories_[0][-1])


@pytest.mark.parametrize("target_type", ["binary", "multiclass", "continuous"])
def test_equals_sklearn_on_a_high_cardinality_column(target_type):
    # Tables of several MiB: the kernels' prefetching and in-place encoding
    # paths (small tables skip them).
    X, y = _data(target_type, n=60_000, seed=5)
    rng = np.random.default_rng(5)
    frequent = np.minimum(rng.zipf(1.3, len(y)), 1_000)
    ids = np.where(rng.random(len(y)) < 0.3, frequent, rng.integers(0, 60_000, len(y)))
    assert len(np.unique(ids)) > 30_000
    ids = ids[:, None]
    smooth = "auto" if target_type != "multiclass" else 2.0
    cv = KFold(5, shuffle=True, random_state=0)
    _assert_same_as_sklearn(ids, y, cv, smooth=smooth, target_type=target_type)


def test_int_cv_uses_shuffled_stratified_folds_seeded_by_random_state():
    X, y = _data("binary", seed=4)
    ref = _sklearn_encoder(cv=StratifiedKFold(5, shuffle=True, random_state=7))
    ours = TargetEncoder(cv=5, random_state=7)
    np.testing.assert_allclose(
        ours.fit_transform(X, y), ref.fit_transform(X, y), atol=ATOL
    )
    np.testing.assert_array_equal(ours.fit_transform(X, y), ours.fit_transform(X, y))
    X, y = _data("continuous", seed=4)
    ref = _sklearn_encoder(cv=KFold(3, shuffle=True, random_state=1))
    ours = TargetEncoder(cv=3, random_state=1)
    np.testing.assert_allclose(
        ours.fit_transform(X, y), ref.fit_transform(X, y), atol=ATOL
    )


@pytest.mark.parametrize("n", [50, 1001])
@pytest.mark.parametrize("n_splits", [2, 5])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("weights", [[0.5, 0.5], [0.9, 0.1], [0.5, 0.3, 0.2]])
def test_fast_folds_reproduce_the_splitters(n, n_splits, shuffle, weights):
    rng = np.random.default_rng(n)
    y = rng.choice(len(weights), n, p=weights)
    if np.bincount(y).min() < n_splits:
        y[: n_splits * len(weights)] = np.repeat(np.arange(len(weights)), n_splits)
    state = 3 if shuffle else None
    for cv in (
        KFold(n_splits, shuffle=shuffle, random_state=state),
        StratifiedKFold(n_splits, shuffle=shuffle, random_state=state),
    ):
        expected = np.empty(n, dtype=int)
        for k, (_, test) in enumerate(cv.split(np.zeros(n), y)):
            expected[test] = k
        codes = np.unique(y, return_inverse=True)[1].astype(np.int32)
        np.testing.assert_array_equal(_fast_folds(cv, codes, n), expected)


def _auc_pair(encoder_fit_transform, seed=0):
    data = make_high_cardinality(60_000, random_state=seed)
    noise = data.X[:, [2]]
    X_train, X_test, y_train, y_test = train_test_split(
        noise, data.y, test_size=0.4, random_state=seed, stratify=data.y
    )
    Z_train, Z_test = encoder_fit_transform(X_train, y_train, X_test)
    model = LogisticRegression().fit(Z_train, y_train)
    return (
        roc_auc_score(y_train, model.decision_function(Z_train)),
        roc_auc_score(y_test, model.decision_function(Z_test)),
    )


def test_cross_fitting_removes_the_leak_of_a_noise_id_column():
    def cross_fitted(X_train, y_train, X_test):
        enc = TargetEncoder(random_state=0)
        return enc.fit_transform(X_train, y_train), enc.transform(X_test)

    def leaky(X_train, y_train, X_test):
        enc = TargetEncoder(smooth=1.0).fit(X_train, y_train)
        return enc.transform(X_train), enc.transform(X_test)

    train_auc, test_auc = _auc_pair(cross_fitted)
    assert abs(train_auc - 0.5) < 0.02
    assert abs(test_auc - 0.5) < 0.02
    # The full-data group-by mean puts each row's own label in its feature.
    train_auc, test_auc = _auc_pair(leaky)
    assert train_auc > 0.75
    assert abs(test_auc - 0.5) < 0.02


def test_ordered_strategy_never_uses_a_rows_own_label():
    rng = np.random.default_rng(0)
    n = 300
    X = rng.integers(0, 6, (n, 2))
    y = rng.integers(0, 2, n)
    for strategy in ("ordered", "time_ordered"):
        for smooth in ("auto", 2.0):
            enc = TargetEncoder(strategy=strategy, smooth=smooth, random_state=0)
            base = enc.fit_transform(X, y)
            for i in (0, 1, 17, 150, n - 1):
                flipped = y.copy()
                flipped[i] = 1 - flipped[i]
                other = TargetEncoder(
                    strategy=strategy, smooth=smooth, random_state=0
                ).fit_transform(X, flipped)
                np.testing.assert_array_equal(other[i], base[i])
                # ... while the label does reach (some) other rows.
                assert np.any(other != base)


def test_time_ordered_strategy_only_looks_at_earlier_rows():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 4, (200, 1))
    y = rng.normal(size=200)
    base = TargetEncoder(strategy="time_ordered").fit_transform(X, y)
    changed = y.copy()
    changed[120:] += 10.0
    other = TargetEncoder(strategy="time_ordered").fit_transform(X, changed)
    # No row before 121 moves when later labels change; row 0 has no past.
    np.testing.assert_allclose(other[:121], base[:121], rtol=0, atol=1e-12)
    assert np.isnan(base[0, 0])
    assert not np.isnan(base[1:]).any()
    # A brute-force running m-estimate over the earlier rows.
    m = 3.0
    got = TargetEncoder(strategy="time_ordered", smooth=m).fit_transform(X, y)
    for i in range(1, 200):
        past = slice(0, i)
        prior = y[past].mean()
        same = X[past, 0] == X[i, 0]
        expected = (y[past][same].sum() + m * prior) / (same.sum() + m)
        assert got[i, 0] == pytest.approx(expected, abs=1e-10)
    assert np.isnan(got[0, 0])


def test_group_kfold_with_groups_routed_as_metadata():
    X, y = _data("binary", seed=5)
    groups = np.arange(len(y)) % 17
    cv = GroupKFold(4)
    with sklearn.config_context(enable_metadata_routing=True):
        ours = TargetEncoder(cv=cv).fit_transform(X, y, groups=groups)
        ref = _sklearn_encoder(cv=cv).fit_transform(X, y, groups=groups)
    np.testing.assert_allclose(ours, ref, atol=ATOL)
    with pytest.raises(ValueError, match="groups"):
        TargetEncoder(cv=cv).fit_transform(X, y, groups=groups)


def test_predefined_split_and_iterables_are_partitions():
    X, y = _data("continuous", seed=6)
    test_fold = np.arange(len(y)) % 3
    ours = TargetEncoder(cv=PredefinedSplit(test_fold)).fit_transform(X, y)
    ref = _sklearn_encoder(cv=PredefinedSplit(test_fold)).fit_transform(X, y)
    np.testing.assert_allclose(ours, ref, atol=ATOL)
    splits = list(PredefinedSplit(test_fold).split())
    np.testing.assert_allclose(TargetEncoder(cv=splits).fit_transform(X, y), ref)


def test_time_series_split_encodes_from_the_past_only():
    rng = np.random.default_rng(2)
    X = rng.integers(0, 5, (100, 1))
    y = rng.normal(size=100)
    cv = TimeSeriesSplit(4)
    out = TargetEncoder(cv=cv, smooth=1.0).fit_transform(X, y)
    first_test = next(iter(cv.split(X)))[1][0]
    assert np.all(np.isnan(out[:first_test]))
    for train, test in cv.split(X):
        ref = TargetEncoder(smooth=1.0).fit(X[train], y[train])
        np.testing.assert_allclose(out[test], ref.transform(X[test]), atol=ATOL)


def test_partial_fit_equals_fit_on_the_concatenation():
    rng = np.random.default_rng(3)
    X = np.column_stack(
        [rng.integers(0, 30, 900), rng.choice(["x", "y", "z", "w"], 900)]
    ).astype(object)
    X[:, 0] = X[:, 0].astype(int)
    X[5, 1] = None
    y = rng.normal(size=900) + 5
    w = rng.random(900)
    for smooth in ("auto", 4.0):
        full = TargetEncoder(smooth=smooth).fit(X, y, sample_weight=w)
        stream = TargetEncoder(smooth=smooth)
        # Batches sorted so that later batches bring new categories.
        order = np.argsort(X[:, 0].astype(int), kind="stable")
        for batch in np.array_split(order, 4):
            stream.partial_fit(X[batch], y[batch], sample_weight=w[batch])
        for a, b in zip(stream.categories_, full.categories_, strict=True):
            assert a.tolist() == b.tolist() or np.array_equal(a, b)
        for a, b in zip(stream.encodings_, full.encodings_, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(stream.transform(X), full.transform(X), atol=1e-12)


def test_partial_fit_classification_needs_every_class():
    X = np.array([[0], [1], [0], [2]])
    enc = TargetEncoder().partial_fit(X[:2], ["a", "b"], classes=["a", "b", "c"])
    enc.partial_fit(X[2:], ["c", "a"])
    assert enc.target_type_ == "multiclass"
    full = TargetEncoder(target_type="multiclass").fit(X, ["a", "b", "c", "a"])
    for a, b in zip(enc.encodings_, full.encodings_, strict=True):
        np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="not in classes_"):
        enc.partial_fit(X[:1], ["d"])


def test_sample_weight_equals_repeated_rows():
    X, y = _data("continuous", seed=7)
    weights = np.random.default_rng(0).integers(0, 4, len(y))
    repeated = np.repeat(np.arange(len(y)), weights)
    for smooth in ("auto", 2.0):
        a = TargetEncoder(smooth=smooth).fit(X, y, sample_weight=weights)
        b = TargetEncoder(smooth=smooth).fit(X[repeated], y[repeated])
        np.testing.assert_allclose(a.transform(X), b.transform(X), atol=1e-9)


@pytest.mark.parametrize("n_ids", [30, 40_000])
def test_cross_fitted_sample_weight_equals_repeated_rows(n_ids):
    # Same folds for a row and its copies; weight-0 rows are still encoded.
    X, y = _data("continuous", n=50_000, seed=8)
    rng = np.random.default_rng(8)
    X = np.column_stack([X[:, 1].astype(int), rng.integers(0, n_ids, len(y))])
    weights = rng.integers(0, 4, len(y))
    test_fold = rng.integers(0, 4, len(y))
    repeated = np.repeat(np.arange(len(y)), weights)
    for smooth in ("auto", 2.0):
        a = TargetEncoder(smooth=smooth, cv=PredefinedSplit(test_fold))
        b = TargetEncoder(smooth=smooth, cv=PredefinedSplit(test_fold[repeated]))
        out_a = a.fit_transform(X, y, sample_weight=weights)
        out_b = b.fit_transform(X[repeated], y[repeated])
        first = np.cumsum(weights) - weights  # first copy of each kept row
        kept = weights > 0
        np.testing.assert_allclose(out_a[kept], out_b[first[kept]], atol=1e-9)
        # Every row of a fold (weight 0 or not) is encoded from the others.
        test = test_fold == 0
        ref = TargetEncoder(smooth=smooth).fit(
            X[~test], y[~test], sample_weight=weights[~test]
        )
        np.testing.assert_allclose(out_a[test], ref.transform(X[test]), atol=1e-9)
        np.testing.assert_allclose(a.transform(X), b.transform(X), atol=1e-9)


def test_pandas_dtypes_and_mixed_columns():
    X, y = _data("binary", seed=8)
    frame = pd.DataFrame(
        {
            "object": X[:, 0],
            "string": pd.array(X[:, 0], dtype="string"),
            "category": pd.Categorical(X[:, 0], categories=sorted(set(X[:, 0]))[::-1]),
            "int": X[:, 1].astype(int),
        }
    )
    enc = TargetEncoder(cv=KFold(3, shuffle=True, random_state=0))
    out = enc.fit_transform(frame, y)
    # The three spellings of the same column encode identically.
    np.testing.assert_array_equal(out[:, 0], out[:, 1])
    np.testing.assert_array_equal(out[:, 0], out[:, 2])
    assert enc.categories_[2].tolist() == enc.categories_[0].tolist()
    np.testing.assert_allclose(enc.transform(frame)[:, 3], enc.transform(frame)[:, 3])
    enc.set_output(transform="pandas")
    result = enc.transform(frame)
    assert list(result.columns) == ["object", "string", "category", "int"]
    # A numpy object array mixing numeric and string columns.
    mixed = np.column_stack([X[:, 0], X[:, 1].astype(int)]).astype(object)
    TargetEncoder().fit(mixed, y).transform(mixed)


def test_multiclass_feature_names_and_layout():
    X, y = _data("multiclass", seed=9)
    enc = TargetEncoder().fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    names = enc.get_feature_names_out()
    assert names[:3].tolist() == ["a_a", "a_b", "a_c"]
    assert len(names) == 9
    assert enc.target_mean_.shape == (3,)


def test_handle_unknown_and_missing_policies():
    X = np.array([["a"], ["b"], ["a"], [None], ["b"], ["a"]], dtype=object)
    y = np.array([1, 0, 1, 0, 0, 1])
    enc = TargetEncoder(smooth=0.0).fit(X, y)
    assert enc.categories_[0][-1] is None
    new = np.array([["zzz"], [None], ["a"]], dtype=object)
    out = enc.transform(new)
    assert out[0, 0] == pytest.approx(enc.target_mean_)
    assert out[1, 0] == pytest.approx(0.0)  # the missing category's own mean
    assert out[2, 0] == pytest.approx(1.0)
    enc = TargetEncoder(smooth=0.0, handle_missing="value").fit(X, y)
    assert enc.categories_[0].tolist() == ["a", "b"]
    assert enc.transform(new)[1, 0] == pytest.approx(enc.target_mean_)
    with pytest.raises(ValueError, match="unknown categories.*zzz"):
        TargetEncoder(handle_unknown="error").fit(X, y).transform(new)
    with pytest.raises(ValueError, match="missing values"):
        TargetEncoder(handle_missing="error").fit(X, y)
    with pytest.raises(ValueError, match="missing values"):
        TargetEncoder(handle_missing="error").fit(X[:3], y[:3]).transform(new[1:])


def test_given_categories():
    X = np.array([[1], [2], [3], [2], [1], [5]])
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    enc = TargetEncoder(categories=[[1, 2, 3]], smooth=0.0, target_type="continuous")
    enc.fit(X, y)
    np.testing.assert_allclose(enc.encodings_[0], [3.0, 3.0, 3.0])
    assert enc.transform([[5]])[0, 0] == pytest.approx(y.mean())
    with pytest.raises(ValueError, match="unknown categories"):
        TargetEncoder(categories=[[1, 2, 3]], handle_unknown="error").fit(X, y)
    with pytest.raises(ValueError, match="sorted"):
        TargetEncoder(categories=[[3, 1, 2]]).fit(X, y)


@pytest.mark.parametrize(
    ("y", "params", "match"),
    [
        ([0.0, 1.0, np.nan, 1.0], {}, "NaN"),
        ([0, 1, 1], {}, "inconsistent numbers of samples"),
        ([0.5, 1.2, 3.3, 0.1], {"target_type": "binary"}, "continuous"),
        ([0, 1, 2, 1], {"target_type": "binary"}, "multiclass"),
        ([[0, 1], [1, 0], [1, 1], [0, 0]], {}, "1-d|Unknown label type"),
    ],
)
def test_clear_errors_for_bad_targets(y, params, match):
    X = np.array([[0], [1], [0], [1]])
    with pytest.raises(ValueError, match=match):
        TargetEncoder(**params).fit(X, y)


def test_clear_errors_for_bad_splitters_and_inputs():
    X, y = _data("binary", n=60)
    with pytest.raises(ValueError, match="no folds"):
        TargetEncoder(cv=[]).fit_transform(X, y)
    cv = ShuffleSplit(5, test_size=0.5, random_state=0)
    with pytest.raises(ValueError, match="overlap"):
        TargetEncoder(cv=cv).fit_transform(X, y)
    bad = X.copy()
    bad[0, 0] = 3
    with pytest.raises(TypeError, match="mixed types"):
        TargetEncoder().fit(bad, y)
    with pytest.raises(ValueError, match="features"):
        TargetEncoder().fit(X, y).transform(X[:, :2])


def test_pipeline_column_transformer_and_grid_search():
    data = make_high_cardinality(3000, random_state=0, as_frame=True)
    pre = ColumnTransformer(
        [
            ("te", TargetEncoder(random_state=0), ["city", "user_id"]),
            ("ohe", OneHotEncoder(handle_unknown="ignore"), ["product"]),
        ]
    )
    model = make_pipeline(pre, LogisticRegression())
    search = GridSearchCV(
        model, {"columntransformer__te__smooth": ["auto", 1.0, 20.0]}, cv=3
    )
    search.fit(data.X, data.y)
    assert search.best_score_ > 0.55
    assert search.predict_proba(data.X).shape == (3000, 2)


# ------------------------------------------------ safe core (issue 13)


def _peak_bytes(func):
    import tracemalloc

    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_leave_one_out_memory_follows_the_data_not_categories_times_folds():
    from sklearn.model_selection import LeaveOneOut

    rng = np.random.default_rng(0)
    # Warm-up compiles both the dense and the cell-wise fold statistics.
    X_small = np.arange(300).reshape(-1, 1)
    TargetEncoder(cv=LeaveOneOut()).fit_transform(X_small, rng.integers(0, 2, 300))
    n = 6000
    X = np.arange(n).reshape(-1, 1)
    y = rng.integers(0, 2, n)
    enc = TargetEncoder(cv=LeaveOneOut(), smooth=1.0)
    out = []
    peak = _peak_bytes(lambda: out.append(enc.fit_transform(X, y)))
    # A dense 6001 x 6000 fold table alone is 576 MB; scikit-learn's encoder
    # peaks near 0.8 MB here. 500 bytes per row is 3 MB.
    assert peak < 500 * n
    # Every id is unique, so its training part is empty and each row gets
    # the prior of its fold: the mean of all the other rows.
    np.testing.assert_allclose(out[0][:, 0], (y.sum() - y) / (n - 1), rtol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("target_type", ["binary", "multiclass", "continuous"])
def test_many_folds_cell_statistics_equal_the_dense_table(
    monkeypatch, target_type, weighted
):
    import mlfound.preprocessing._target_encoder_stats as module

    X, y = _data(target_type, n=600, seed=3)
    w = np.random.default_rng(1).random(600) if weighted else None
    cv = GroupKFold(150)
    groups = np.random.default_rng(2).integers(0, 300, 600)
    splits = list(cv.split(X, y, groups))
    sparse = TargetEncoder(cv=splits).fit_transform(X, y, sample_weight=w)
    monkeypatch.setattr(module, "_DENSE_CELLS_FLOOR", 10**12)
    dense = TargetEncoder(cv=splits).fit_transform(X, y, sample_weight=w)
    np.testing.assert_array_equal(sparse, dense)
    ref = _sklearn_encoder(cv=splits, target_type=target_type)
    if not weighted:
        np.testing.assert_allclose(sparse, ref.fit_transform(X, y), atol=ATOL)


def test_no_allocation_by_a_value_int_cv_and_thousands_of_folds():
    X = np.arange(50).reshape(-1, 1) % 7
    y = np.arange(50) % 2
    with pytest.raises(ValueError, match="n_splits"):
        TargetEncoder(cv=10**9).fit_transform(X, y)
    rng = np.random.default_rng(0)
    n = 4000
    X = rng.integers(0, 3000, (n, 2))
    y = rng.integers(0, 2, n)
    # Each fit runs once before the traced one: compiling (or loading from
    # the cache) the kernels allocates too, and this test may be the first
    # in its process to need them (alone, or in a pytest-xdist worker).
    fit = partial(TargetEncoder(cv=KFold(n)).fit_transform, X, y)
    fit()
    assert _peak_bytes(fit) < 1000 * n
    for strategy in ("ordered", "time_ordered"):
        fit = partial(TargetEncoder(strategy=strategy).fit_transform, X, y)
        fit()
        assert _peak_bytes(fit) < 200 * n


@pytest.mark.parametrize(
    ("cv", "error", "match"),
    [
        ([(np.arange(3), np.array([3, 10]))], ValueError, r"cv: .*\[0, 8\)"),
        ([(np.arange(4), np.array([-1, 5]))], ValueError, r"cv: .*\[0, 8\)"),
        ([(np.arange(4), np.array([4.0, 5.0]))], TypeError, "cv: .*integers"),
        ([(np.arange(4), np.array([2**64 - 1], dtype=np.uint64))], ValueError, "cv"),
        ([(np.arange(4), np.ones(3, bool))], ValueError, "boolean mask"),
        ([(np.arange(4), [4, 5]), (np.arange(4), [5, 6])], ValueError, "overlap"),
        ([(np.arange(4), [4, 4])], ValueError, "overlap"),
    ],
)
def test_custom_cv_with_bad_indices_raises_naming_cv(cv, error, match):
    X = np.array([[1], [2], [1], [2], [1], [2], [1], [2]])
    y = np.array([0, 1, 1, 0, 1, 0, 1, 1])
    with pytest.raises(error, match=match):
        TargetEncoder(cv=cv).fit_transform(X, y)


def test_predefined_split_uncovered_rows_are_nan_and_others_match_sklearn():
    X, y = _data("binary", n=600, seed=4)
    test_fold = np.random.default_rng(0).integers(-1, 4, 600)
    out = TargetEncoder(cv=PredefinedSplit(test_fold)).fit_transform(X, y)
    assert np.isnan(out[test_fold < 0]).all()
    covered = test_fold >= 0
    splits = [
        (np.flatnonzero(test_fold != k), np.flatnonzero(test_fold == k))
        for k in range(4)
    ]
    for _k, (train, test) in enumerate(splits):
        ref = TargetEncoder().fit(X[train], y[train]).transform(X[test])
        np.testing.assert_allclose(out[test], ref, rtol=1e-12)
    assert covered.sum() == sum(len(t) for _, t in splits)


def test_partial_fit_batch_of_another_category_type_raises_type_error():
    enc = TargetEncoder().partial_fit(np.array([[1], [2], [1]]), [0, 1, 1])
    before = [c.copy() for c in enc.categories_], list(enc.encodings_)
    batch = np.array([["a"], ["b"], ["a"]], dtype=object)
    with pytest.raises(TypeError, match="x0.*type must match what was fitted"):
        enc.partial_fit(batch, [0, 1, 1])
    np.testing.assert_array_equal(enc.categories_[0], before[0][0])
    enc = TargetEncoder().partial_fit(batch, [0, 1, 1])
    with pytest.raises(TypeError, match="string categories"):
        enc.partial_fit(np.array([[1], [2], [1]]), [0, 1, 1])


def test_uint64_categories_keep_their_values():
    big = np.array([2**64 - 1, 5, 2**63 + 3, 5, 2**64 - 1], dtype=np.uint64)
    y = np.array([1, 0, 1, 1, 0])
    enc = TargetEncoder(smooth=0.0).fit(big[:, None], y)
    assert enc.categories_[0].dtype == np.uint64
    np.testing.assert_array_equal(
        enc.categories_[0], np.array([5, 2**63 + 3, 2**64 - 1], dtype=np.uint64)
    )
    np.testing.assert_allclose(enc.encodings_[0], [0.5, 1.0, 0.5])
    new = np.array([[2**64 - 1], [2**63 + 3], [7]], dtype=np.uint64)
    np.testing.assert_allclose(enc.transform(new).ravel(), [0.5, 1.0, 0.6])
    # A negative int64 must not alias the uint64 2**64 - 1 (same bits).
    np.testing.assert_allclose(enc.transform(np.array([[-1]])).ravel(), [0.6])
    # partial_fit with an int64 batch merges exactly.
    enc.partial_fit(np.array([[3]]), [1])
    assert enc.categories_[0][-1] == 2**64 - 1


def test_user_categories_with_repeats_or_inner_missing_raise():
    X = np.array([["a"], ["b"], ["b"], ["c"]], dtype=object)
    y = [0, 1, 1, 0]
    with pytest.raises(ValueError, match=r"categories\[0\] holds repeated"):
        TargetEncoder(categories=[["a", "a", "b"]]).fit(X, y)
    with pytest.raises(ValueError, match=r"categories\[0\]: a missing value"):
        TargetEncoder(categories=[["a", None, "b"]]).fit(X, y)


@pytest.mark.parametrize("dtype", [">u8", ">i8", ">i4", ">f8", ">f4"])
@pytest.mark.parametrize("given_categories", [False, True])
def test_big_endian_columns_encode_as_native_ones(dtype, given_categories):
    # A big-endian uint64 column failed the `dtype == np.uint64` checks and
    # was cast to int64: values above 2**63 - 1 wrapped, categories_ came out
    # negative and transform saw every row as unknown.
    codes = np.arange(40) % 4
    native_dtype = np.dtype(dtype).newbyteorder("=")
    base = native_dtype.type(2**63 if dtype == ">u8" else 5)
    native = (codes.astype(native_dtype) + base)[:, None]
    y = (codes >= 2).astype(int)
    params = {"cv": 2, "random_state": 0}
    if given_categories:
        params["categories"] = [np.unique(native).astype(dtype)]
    expected = TargetEncoder(**params).fit(native, y)
    swapped = TargetEncoder(**params).fit(native.astype(dtype), y)
    np.testing.assert_array_equal(swapped.categories_[0], expected.categories_[0])
    assert swapped.categories_[0].dtype.isnative
    np.testing.assert_array_equal(
        swapped.transform(native.astype(dtype)), expected.transform(native)
    )
    np.testing.assert_array_equal(
        TargetEncoder(**params).fit_transform(native.astype(dtype), y),
        TargetEncoder(**params).fit_transform(native, y),
    )
