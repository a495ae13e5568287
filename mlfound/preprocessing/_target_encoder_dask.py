"""TargetEncoder on dask collections: per-partition statistics, merged on the client.

The fitted state of the encoder is a table of weighted counts and sums per
category (and per fold for the out-of-fold encodings), which adds up over
rows. Each worker factorizes its partitions with the encoder's own column
code and sums its rows with the same kernels; the client merges the tables
into the sorted union of the categories (as ``partial_fit`` merges batches)
and derives ``encodings_`` exactly as an in-memory fit does. So ``fit`` on a
dask array equals ``fit`` in memory up to the order of the floating-point
sums.

``fit_transform`` needs every row's fold without a global shuffle: with
``cv`` an int ``k``, row ``i`` of partition ``b`` gets a fold drawn from a
generator seeded by ``(random_state, b)`` (uniform over ``0..k-1``, not
stratified; :func:`row_folds` returns them). One pass gathers the
per-(category, fold) statistics, the client turns them into one encoding
table per fold, and a second pass maps the rows to their out-of-fold
encodings, returned as a dask array. Given the same folds (e.g. through
``PredefinedSplit``) the result equals the in-memory ``fit_transform``.
Other splitters, ``strategy="ordered"``/``"time_ordered"`` and
``partial_fit`` need the rows in one order or in one place and raise a
TypeError on dask input.

Passes over the data: one for the target type and classes, one for the
statistics, and (``fit_transform``) one for the encodings.

A dask DataFrame ``X`` (``y`` a dask Series partitioned like it) reaches the
workers as pandas partitions, so every column kind the in-memory encoder
codes from its buffers (Arrow strings, categoricals, object and integer
columns) is coded the same way there; its partition lengths are never
computed (each partition draws its folds from its own length). ``transform``
and ``fit_transform`` then return a dask DataFrame with the columns of
``get_feature_names_out()`` and the index and divisions of ``X``. Empty
partitions contribute nothing.
"""

import numbers
from copy import copy

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from mlfound._kernels.groupby import _group_fold_sums, _group_sums
from mlfound.preprocessing._target_encoder_fast import _encode_table
from mlfound.preprocessing._target_encoder_stats import (
    _fold_priors,
    _totals,
    _update_encodings,
)
from mlfound.utils._array_checks import check_finite_target
from mlfound.utils._dask import (
    as_row_blocks,
    compute_all,
    delayed_blocks,
    map_blocks_delayed,
    map_rows,
    sum_in_order,
)
from mlfound.utils._dask_frames import (
    fit_inputs,
    frame_blocks,
    frame_transform,
    is_dask_frame,
)
from mlfound.utils._encode import (
    check_categories,
    check_same_category_kind,
    merge_categories,
)

# ------------------------------------------------------------ worker functions


def _target_summary(y):
    """Distinct labels (or one non-integer value) and the sum and count of y."""
    y = np.asarray(y)
    numeric = y.dtype.kind in "iufb"
    total = float(np.sum(y, dtype=np.float64)) if numeric else 0.0
    if y.dtype.kind == "f":
        check_finite_target(y)
        fractional = y != np.round(y)
        if fractional.any():
            return y[np.argmax(fractional)][None], total, y.shape[0]
    return np.unique(y), total, y.shape[0]


def _block_stats(X, y, sample_weight, folds, template, n_folds):
    """Per-column ``(categories, stats)`` of a partition and its totals.

    None for an empty partition (a filtered dask DataFrame often has some).
    """
    if X.shape[0] == 0:
        return None
    if folds is not None:
        folds = np.ascontiguousarray(folds)
    encoder = copy(template)
    columns, values, squares, weights, _ = encoder._setup(
        X, y, sample_weight, reset=False
    )
    stacked = values if squares is None else np.hstack([values, squares])
    stacked = np.ascontiguousarray(stacked)
    total = _totals(stacked, weights, values.shape[1])
    per_column = []
    for f, column in enumerate(columns):
        categories, codes = encoder._fit_codes(column, f)
        n_cat = len(categories)
        if folds is None:
            stats = _group_sums(codes, stacked, weights, n_cat + 1)
        else:
            stats = _group_fold_sums(codes, folds, stacked, weights, n_cat + 1, n_folds)
        per_column.append((categories, stats))
    return total, per_column


def _block_folds(n_rows, seed, block, n_folds):
    rng = np.random.default_rng([seed, block])
    dtype = np.int8 if n_folds <= 127 else np.int32
    return rng.integers(0, n_folds, size=n_rows).astype(dtype)


def _block_out_of_fold(X, folds, fitted, tables):
    """Out-of-fold encodings of a partition from the per-fold tables."""
    n_values = tables[0].shape[2]
    if X.shape[0] == 0:
        return np.empty((0, len(tables) * n_values), dtype=np.float64)
    folds = np.asarray(folds)
    columns = fitted._columns(X, reset=False)
    out = np.empty((X.shape[0], len(columns) * n_values), dtype=np.float64)
    for f, column in enumerate(columns):
        codes = fitted._lookup_codes(column, fitted.categories_[f], f)
        out[:, f * n_values : (f + 1) * n_values] = tables[f][codes, folds]
    return out


def _frame_folds(X, seed, block, n_folds):
    import pandas as pd

    return pd.Series(_block_folds(X.shape[0], seed, block, n_folds), index=X.index)


def _frame_out_of_fold(X, folds, fitted, tables, columns):
    import pandas as pd

    data = _block_out_of_fold(X, folds, fitted, tables)
    return pd.DataFrame(data, index=X.index, columns=columns)


# ------------------------------------------------------------ client side


def row_folds(X, n_folds, random_state):
    """The fold of each row of ``X`` in a distributed ``fit_transform``.

    Parameters
    ----------
    X : dask array or dask DataFrame of shape (n_samples, n_features)
    n_folds : int
    random_state : int, RandomState instance or None

    Returns
    -------
    folds : dask array or dask Series of shape (n_samples,)
        Drawn per partition on the workers (from the partition's length and
        position, so the lengths of a DataFrame's partitions are not needed).
    """
    return _fold_collection(X, n_folds, _fold_seed(random_state))


def _fold_seed(random_state):
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _fold_collection(X, n_folds, seed):
    """:func:`row_folds` from the seed drawn once per fit."""
    if is_dask_frame(X):
        import dask.dataframe as dd
        import pandas as pd

        blocks = [(x, seed, b, n_folds) for b, (x,) in enumerate(frame_blocks(X))]
        dtype = np.int8 if n_folds <= 127 else np.int32
        meta = pd.Series(np.empty(0, dtype=dtype), index=X._meta.index)
        parts = map_blocks_delayed(_frame_folds, blocks)
        return dd.from_delayed(parts, meta=meta, divisions=X.divisions)
    import dask.array as da

    X = as_row_blocks(X)
    parts = [
        da.from_delayed(
            map_blocks_delayed(_block_folds, [(n,)], seed, b, n_folds)[0],
            shape=(n,),
            dtype=np.int8 if n_folds <= 127 else np.int32,
        )
        for b, n in enumerate(X.chunks[0])
    ]
    return da.concatenate(parts).rechunk((X.chunks[0],))


def _prepare(est, X, y, sample_weight):
    """Target type, classes and shift from one pass; the per-row inputs."""
    if y is None:
        raise ValueError(
            f"{type(est).__name__} requires y to be passed, but the target y "
            "is None. Target encoding is supervised: pass the target."
        )
    for name in ("categories_", "_stats", "encodings_"):
        est.__dict__.pop(name, None)
    X, y, sample_weight = fit_inputs(est, X, y, sample_weight, numeric=False)
    check_categories(est.categories, est.n_features_in_)
    summaries = compute_all(map_blocks_delayed(_target_summary, delayed_blocks(y)))
    labels = np.concatenate([s[0] for s in summaries])
    est._set_target_type(labels, None)
    if est.target_type_ == "continuous":
        n = sum(s[2] for s in summaries)
        est._shift = np.array([sum(s[1] for s in summaries) / n])
    else:
        n_classes = len(est.classes_)
        est._shift = np.zeros(1 if est.target_type_ == "binary" else n_classes)
    return X, y, sample_weight


def _template(est):
    """A copy of ``est`` holding only what the workers' validation reads."""
    template = copy(est)
    for name in ("categories_", "_stats", "encodings_", "_total"):
        template.__dict__.pop(name, None)
    return template


def _merge(parts, n_values):
    """Merge the partitions' ``(total, per_column)`` in partition order."""
    parts = [p for p in parts if p is not None]  # empty partitions
    if not parts:
        raise ValueError(
            "Found 0 sample(s) in X (every partition is empty), while a "
            "minimum of 1 is required."
        )
    total = sum_in_order([p[0] for p in parts])
    merged = []
    for f in range(len(parts[0][1])):
        categories, stats = parts[0][1][f]
        categories, stats = categories, stats[:-1].copy()
        none = parts[0][1][f][1][-1].copy()
        for _, per_column in parts[1:]:
            new_categories, new_stats = per_column[f]
            check_same_category_kind(categories, new_categories, f"x{f}")
            union, old_index, new_index = merge_categories(categories, new_categories)
            grown = np.zeros((len(union),) + stats.shape[1:])
            grown[old_index] += stats
            grown[new_index] += new_stats[:-1]
            categories, stats = union, grown
            none += new_stats[-1]
        merged.append((categories, stats, none))
    return (float(total[0]), np.asarray(total[1])), merged


def fit_target_encoder_dask(est, X, y, sample_weight):
    """``est.fit`` (a TargetEncoder) on dask collections; return ``est``."""
    X, y, sample_weight = _prepare(est, X, y, sample_weight)
    n_values = len(est._shift)
    parts = compute_all(
        map_blocks_delayed(
            _block_stats,
            delayed_blocks(X, y, sample_weight, None),
            _template(est),
            0,
        )
    )
    est._total, merged = _merge(parts, n_values)
    est.categories_ = [categories for categories, _, _ in merged]
    est._stats = [(stats[:, 0].copy(), stats[:, 1:].copy()) for _, stats, _ in merged]
    _update_encodings(est)
    est._dask_passes = 2
    return est


def fit_transform_target_encoder_dask(est, X, y, sample_weight):
    """``est.fit_transform`` on dask collections: a dask array or DataFrame."""
    if est.strategy != "cross_fit" or not isinstance(est.cv, numbers.Integral):
        raise TypeError(
            f"TargetEncoder.fit_transform on a dask collection needs "
            f"strategy='cross_fit' and an int cv (folds drawn per row on the "
            f"workers); got strategy={est.strategy!r}, cv={est.cv!r}. Compute "
            f"the collection first (X.compute()) for other splitters or "
            f"strategies."
        )
    n_folds = int(est.cv)
    X, y, sample_weight = _prepare(est, X, y, sample_weight)
    folds = _fold_collection(X, n_folds, _fold_seed(est.random_state))
    n_values = len(est._shift)
    parts = compute_all(
        map_blocks_delayed(
            _block_stats,
            delayed_blocks(X, y, sample_weight, folds),
            _template(est),
            n_folds,
        )
    )
    _, merged = _merge(parts, n_values)
    # the fold totals, from the first feature (every row is in one cell)
    _, stats0, none0 = merged[0]
    fold_stats = np.vstack([stats0, none0[None]]).sum(axis=0)
    fold_w, fold_s = fold_stats[:, 0], fold_stats[:, 1:]
    est._total = (fold_w.sum(), fold_s.sum(axis=0))
    fold_prior, fold_var = _fold_priors(est._total, fold_w, fold_s, n_values)
    auto = est.smooth == "auto"
    smooth = 0.0 if auto else float(est.smooth)
    est.categories_, est._stats, tables = [], [], []
    for categories, stats, _ in merged:
        totals = stats[:, 0].copy()
        for k in range(1, n_folds):
            totals += stats[:, k]
        est.categories_.append(categories)
        est._stats.append((totals[:, 0].copy(), totals[:, 1:].copy()))
        tables.append(
            _fold_tables(stats, totals, n_values, fold_prior, fold_var, smooth, auto)
            + est._shift
        )
    _update_encodings(est)
    est._dask_passes = 3
    fitted = _template(est)
    fitted.categories_ = est.categories_
    if is_dask_frame(X):
        return _out_of_fold_frame(est, fitted, X, folds, tables)
    return _out_of_fold_array(fitted, X, folds, tables, n_values)


def _out_of_fold_frame(est, fitted, X, folds, tables):
    import dask.dataframe as dd
    import pandas as pd

    columns = list(est.get_feature_names_out())
    meta = pd.DataFrame(
        np.empty((0, len(columns))), index=X._meta.index, columns=columns
    )
    parts = map_blocks_delayed(
        _frame_out_of_fold,
        frame_blocks(X, folds, names=("folds",)),
        fitted,
        tables,
        columns,
    )
    return dd.from_delayed(parts, meta=meta, divisions=X.divisions)


def _out_of_fold_array(fitted, X, folds, tables, n_values):
    import dask.array as da

    n_out = X.shape[1] * n_values
    parts = []
    for (xb, fb), n in zip(delayed_blocks(X, folds), X.chunks[0], strict=True):
        task = map_blocks_delayed(_block_out_of_fold, [(xb, fb)], fitted, tables)[0]
        parts.append(da.from_delayed(task, shape=(n, n_out), dtype=np.float64))
    return da.concatenate(parts, axis=0)


def _fold_tables(stats, totals, n_values, fold_prior, fold_var, smooth, auto):
    """``(n_categories + 1, n_folds, n_values)`` out-of-fold encodings.

    Category ``c`` in fold ``k`` is encoded from the totals minus the fold's
    share, as the in-memory cross-fitting kernel does (weights within
    ``1e-12`` of the total count as none); the last row is the fold's prior,
    for rows without a category.
    """
    n_cat, n_folds = stats.shape[0], stats.shape[1]
    squares = stats.shape[2] > 1 + n_values
    out = np.empty((n_cat + 1, n_folds, n_values))
    for k in range(n_folds):
        w = totals[:, 0] - stats[:, k, 0]
        w[w <= 1e-12 * totals[:, 0]] = 0.0
        s = totals[:, 1 : 1 + n_values] - stats[:, k, 1 : 1 + n_values]
        sq = None
        if squares:
            sq = np.ascontiguousarray(
                totals[:, 1 + n_values :] - stats[:, k, 1 + n_values :]
            )
        out[:n_cat, k] = _encode_table(
            np.ascontiguousarray(w),
            np.ascontiguousarray(s),
            sq,
            fold_prior[k],
            fold_var[k],
            smooth,
            auto,
        )
        out[n_cat, k] = fold_prior[k]
    return out


def transform_target_encoder_dask(est, X):
    """``est.transform`` per partition of the dask collection ``X``."""
    check_is_fitted(est, "encodings_")
    if is_dask_frame(X):
        return frame_transform(est, X)
    n_values = 1 if est.target_type_ != "multiclass" else len(est.classes_)
    return map_rows(
        est.transform, X, n_columns=est.n_features_in_ * n_values, dtype=np.float64
    )
