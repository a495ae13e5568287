"""Cross-fitting folds and per-category target statistics of the target encoder."""

import warnings

import numpy as np
from sklearn.utils import check_random_state, indexable
from sklearn.utils.metadata_routing import (
    _routing_enabled,
    process_routing,
)

from mlfound._kernels.groupby import _group_cell_sums, _group_fold_sums, _group_sums
from mlfound._kernels.shuffle import shuffle_like_randomstate
from mlfound.preprocessing._target_encoder_fast import (
    _cell_fold_totals,
    _cross_fit_encode,
    _cross_fit_encode_cells,
    _encode_table,
    _first_appearance_codes,
    _gather,
    _ordered_encode,
    _scatter_by_class,
)
from mlfound.utils._cv_splits import _check_cv_shuffled, _check_cv_splits
from mlfound.utils._encode import check_same_category_kind, merge_categories

# The dense (category, fold) table is used while it has at most this many
# cells per row (plus a floor for small data): always for the default 5
# folds; beyond, only the cells that occur are kept (at most one per row).
_DENSE_CELLS_PER_ROW = 8
_DENSE_CELLS_FLOOR = 1 << 16


def _folds(encoder, X, y, y_codes, n_samples, params):
    """Fold of each row, the number of folds and what else is needed.

    The third item is ``None`` (every row in one validation fold, every
    training set its complement), a mask of the rows in no validation
    fold (given one extra pseudo-fold; their encodings are NaN), or the
    validated ``(train, test)`` pairs when a training set is not the
    complement of its fold (``train`` is ``None`` where it is).
    """
    classifier = encoder.target_type_ != "continuous"
    cv = _check_cv_shuffled(
        encoder.cv, y, classifier=classifier, random_state=encoder.random_state
    )
    fast = _fast_folds(cv, y_codes, n_samples)
    if fast is not None:
        return fast, cv.n_splits, None
    if _routing_enabled():
        if params.get("groups") is not None:
            X, y, params["groups"] = indexable(X, y, params["groups"])
        split_params = process_routing(encoder, "fit_transform", **params)
        split_params = split_params.splitter.split
    else:
        split_params = {}
    splits = _check_cv_splits(
        cv.split(X, y, **split_params),
        n_samples,
        name="cv",
        disjoint_test=True,
        complement_train=True,
    )
    n_folds = len(splits)
    folds = np.full(n_samples, -1, dtype=np.int32)
    for k, (_, test) in enumerate(splits):
        folds[test] = k
    if all(train is None for train, _ in splits):
        # Every training set is the complement of its fold: the fold
        # statistics serve all folds at once. Rows in no validation fold
        # (PredefinedSplit's -1) go to one more pseudo-fold, encoded NaN.
        uncovered = folds < 0
        if uncovered.any():
            folds[uncovered] = n_folds
            return _small_folds(folds, n_folds + 1), n_folds + 1, uncovered
        return _small_folds(folds, n_folds), n_folds, None
    # Training sets that are not the complement of their fold: encode
    # each fold from its own training rows.
    return _small_folds(folds, n_folds), n_folds, splits


def _fast_folds(cv, y_codes, n_samples):
    """Fold of each row for KFold and StratifiedKFold, without their splits.

    Reproduces ``KFold._iter_test_indices`` and
    ``StratifiedKFold._make_test_folds`` exactly (the same MT19937 draws,
    replayed in compiled code), at the cost of one pass instead of
    ``n_splits`` boolean masks and two sorts.
    Returns None for any other splitter.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if type(cv) is KFold:
        if cv.n_splits > n_samples:
            return None  # let split() raise its error
        indices = np.arange(n_samples)
        if cv.shuffle:
            shuffle_like_randomstate(indices, check_random_state(cv.random_state))
        sizes = np.full(cv.n_splits, n_samples // cv.n_splits, dtype=np.intp)
        sizes[: n_samples % cv.n_splits] += 1
        dtype = np.int8 if cv.n_splits <= 127 else np.int32
        folds = np.empty(n_samples, dtype=dtype)
        folds[indices] = np.repeat(np.arange(cv.n_splits, dtype=dtype), sizes)
        return folds
    if type(cv) is not StratifiedKFold or y_codes is None:
        return None
    if cv.n_splits > n_samples:
        return None
    rng = check_random_state(cv.random_state)
    n_classes = int(y_codes.max()) + 1
    y_encoded, y_counts = _first_appearance_codes(y_codes, n_classes)
    y_counts = y_counts[y_counts > 0]
    n_classes = len(y_counts)
    if np.all(cv.n_splits > y_counts):
        raise ValueError(
            f"n_splits={cv.n_splits} cannot be greater than the number of "
            f"members in each class."
        )
    if cv.n_splits > np.min(y_counts):
        warnings.warn(
            f"The least populated class in y has only {np.min(y_counts)} members, "
            f"which is less than n_splits={cv.n_splits}.",
            UserWarning,
        )
    # Round robin over the sorted labels: class c holds positions
    # [start_c, end_c) of the sorted y; fold i gets the positions = i mod k.
    k = cv.n_splits
    end = np.cumsum(y_counts)
    start = end - y_counts
    i = np.arange(k)[:, None]
    below = lambda b: np.maximum(0, (b[None, :] - i + k - 1) // k)  # noqa: E731
    allocation = below(end) - below(start)
    per_class = []
    dtype = np.int8 if k <= 127 else np.int32  # small arrays shuffle faster
    for c in range(n_classes):
        folds_for_class = np.arange(k, dtype=dtype).repeat(allocation[:, c])
        if cv.shuffle:
            shuffle_like_randomstate(folds_for_class, rng)
        per_class.append(folds_for_class)
    # folds[y_encoded == c] = per_class[c] for every class, in one pass.
    folds = _scatter_by_class(y_encoded, np.concatenate(per_class), start)
    return _small_folds(folds, k)


def _dense_fold_table(n_groups, n_folds, n_samples):
    """Whether the dense ``(n_groups, n_folds)`` fold table is small enough."""
    return n_groups * n_folds <= _DENSE_CELLS_PER_ROW * n_samples + _DENSE_CELLS_FLOOR


def _small_folds(folds, n_folds):
    """Fold indices as int8 when they fit: less memory traffic per pass."""
    return folds.astype(np.int8, copy=False) if n_folds <= 127 else folds


def _fit_columns(encoder, columns, values, squares, weights, out=None,
                 split=None, order=None):  # fmt: skip
    """Factorize each column, accumulate its statistics, encode rows."""
    stacked = values if squares is None else np.hstack([values, squares])
    stacked = np.ascontiguousarray(stacked)
    n_values = values.shape[1]
    auto = encoder.smooth == "auto"
    smooth = 0.0 if auto else float(encoder.smooth)
    encoder.categories_ = []
    encoder._stats = []
    pairs = uncovered = None
    if split is not None:
        folds, n_folds, extra = split
        if isinstance(extra, np.ndarray):
            uncovered = extra  # rows of the pseudo-fold, encoded NaN
        else:
            pairs = extra
    if split is None or pairs is not None:
        encoder._total = _totals(stacked, weights, n_values)
    n_samples = stacked.shape[0]
    for f, column in enumerate(columns):
        categories, codes = encoder._fit_codes(column, f)
        n_cat = len(categories)
        encoder.categories_.append(categories)
        if split is not None and pairs is None:
            col0 = f * n_values
            dense = _dense_fold_table(n_cat + 1, n_folds, n_samples)
            if dense:
                stats = _group_fold_sums(
                    codes, folds, stacked, weights, n_cat + 1, n_folds
                )
            else:
                cell_codes, cells, stats = _group_cell_sums(
                    codes, folds, stacked, weights, n_folds
                )
            if f == 0:
                # Every row is in one (category or "none", fold) cell: the
                # per-fold totals come for free from the first feature.
                if dense:
                    fold_stats = stats.sum(axis=0)
                else:
                    fold_stats = _cell_fold_totals(cells, stats, n_folds)
                fold_w, fold_s = fold_stats[:, 0], fold_stats[:, 1:]
                encoder._total = (fold_w.sum(), fold_s.sum(axis=0))
                fold_prior, fold_var = _fold_priors(
                    encoder._total, fold_w, fold_s, n_values
                )
            # Both return the full-data statistics (the dense kernel
            # overwrites ``stats``).
            if dense:
                totals = _cross_fit_encode(
                    codes, folds, stats, n_values, fold_prior, fold_var,
                    smooth, auto, encoder._shift, out, col0, weights is None,
                )  # fmt: skip
            else:
                totals = _cross_fit_encode_cells(
                    cell_codes, cells, stats, n_cat, n_folds, n_values,
                    fold_prior, fold_var, smooth, auto, encoder._shift, out,
                    col0,
                )  # fmt: skip
                del cell_codes, cells
            del stats
            if uncovered is not None:
                out[uncovered, col0 : col0 + n_values] = np.nan
            counts, sums = totals[:, 0], totals[:, 1:]
        else:
            stats = _group_sums(codes, stacked, weights, n_cat + 1)
            counts, sums = stats[:n_cat, 0], stats[:n_cat, 1:]
            if split is not None:
                _encode_pairs(
                    encoder, codes, stacked, weights, n_cat, split, out, f * n_values,
                    n_values, smooth, auto,
                )  # fmt: skip
            elif order is not None:
                _ordered_encode(
                    codes, order, values, squares, weights, n_cat, smooth,
                    auto, encoder._shift, out, f * n_values,
                    encoder.strategy == "time_ordered",
                )  # fmt: skip
        encoder._stats.append((counts, sums))
    _update_encodings(encoder)


def _encode_pairs(encoder, codes, stacked, weights, n_cat, split, out, col0,
                  n_values, smooth, auto):  # fmt: skip
    """Out-of-fold encodings for splitters whose folds are not a partition."""
    folds, n_folds, pairs = split
    out[folds < 0, col0 : col0 + n_values] = np.nan
    for train, test in pairs:
        if train is None:  # the complement of test
            train = np.ones(codes.shape[0], dtype=bool)
            train[test] = False
        w = None if weights is None else weights[train]
        stats = _group_sums(codes[train], stacked[train], w, n_cat + 1)
        counts, sums = stats[:n_cat, 0], stats[:n_cat, 1:]
        total = _totals(stacked[train], w, n_values)
        prior, var = _prior_var(total, n_values)
        table = _encode_table(
            np.ascontiguousarray(counts),
            np.ascontiguousarray(sums[:, :n_values]),
            None if stacked.shape[1] == n_values
            else np.ascontiguousarray(sums[:, n_values:]),
            prior, var, smooth, auto,
        )  # fmt: skip
        block = np.empty((len(test), n_values))
        _gather(codes[test], table, prior, encoder._shift, block, 0)
        out[test, col0 : col0 + n_values] = block


def _update_columns(encoder, columns, values, squares, weights):
    """``partial_fit`` on a new batch: merge categories and add statistics."""
    stacked = values if squares is None else np.hstack([values, squares])
    stacked = np.ascontiguousarray(stacked)
    n_values = values.shape[1]
    w_old, s_old = encoder._total
    w_new, s_new = _totals(stacked, weights, n_values)
    # Nothing is stored before every column has merged: a batch that
    # raises leaves the fitted state as it was.
    new_categories, new_stats = [], []
    for f, column in enumerate(columns):
        old_categories = encoder.categories_[f]
        if encoder.categories == "auto":
            batch_categories, codes = encoder._fit_codes(column, f)
            check_same_category_kind(
                old_categories, batch_categories, encoder._feature_name(f)
            )
            categories, old_index, new_index = merge_categories(
                old_categories, batch_categories
            )
        else:
            categories = old_categories
            codes = encoder._lookup_codes(column, categories, f)
            new_index = old_index = np.arange(len(categories))
            batch_categories = categories
        n_batch = len(batch_categories)
        stats = _group_sums(codes, stacked, weights, n_batch + 1)
        counts, sums = stats[:, 0], stats[:, 1:]
        old_counts, old_sums = encoder._stats[f]
        merged_counts = np.zeros(len(categories))
        merged_sums = np.zeros((len(categories), stacked.shape[1]))
        merged_counts[old_index] += old_counts
        merged_sums[old_index] += old_sums
        merged_counts[new_index] += counts[:n_batch]
        merged_sums[new_index] += sums[:n_batch]
        new_categories.append(categories)
        new_stats.append((merged_counts, merged_sums))
    encoder.categories_ = new_categories
    encoder._stats = new_stats
    encoder._total = (w_old + w_new, s_old + s_new)
    _update_encodings(encoder)


def _update_encodings(encoder):
    """``encodings_`` and ``target_mean_`` from the stored statistics."""
    n_values = len(encoder._shift)
    auto = encoder.smooth == "auto"
    smooth = 0.0 if auto else float(encoder.smooth)
    prior, var = _prior_var(encoder._total, n_values)
    mean = encoder._shift + prior
    if encoder.target_type_ == "multiclass":
        encoder.target_mean_ = mean
    else:
        encoder.target_mean_ = float(mean[0])
    encodings = []
    for counts, sums in encoder._stats:
        squares = (
            None
            if sums.shape[1] == n_values
            else np.ascontiguousarray(sums[:, n_values:])
        )
        table = _encode_table(
            np.ascontiguousarray(counts), np.ascontiguousarray(sums[:, :n_values]),
            squares, prior, var, smooth, auto,
        )  # fmt: skip
        table += encoder._shift
        encodings.extend(table[:, j].copy() for j in range(n_values))
    encoder.encodings_ = encodings


def _fold_priors(total, fold_w, fold_s, n_values):
    """Mean and variance of the target over the training part of each fold."""
    w_total, s_total = total
    train_w = w_total - fold_w
    train_s = s_total[None, :] - fold_s
    with np.errstate(invalid="ignore", divide="ignore"):
        prior = train_s[:, :n_values] / train_w[:, None]
        squares = train_s.shape[1] > n_values
        sq = train_s[:, n_values:] if squares else train_s[:, :n_values]
        var = np.maximum(sq / train_w[:, None] - prior * prior, 0.0)
    return np.ascontiguousarray(prior), np.ascontiguousarray(var)


def _totals(stacked, weights, n_values):
    if weights is None:
        return float(stacked.shape[0]), stacked.sum(axis=0, dtype=np.float64)
    return float(weights.sum()), weights @ stacked.astype(np.float64)


def _prior_var(total, n_values):
    w, s = total
    with np.errstate(invalid="ignore", divide="ignore"):
        prior = s[:n_values] / w
        sq = s[n_values:] if s.shape[0] > n_values else s[:n_values]
        var = np.maximum(sq / w - prior * prior, 0.0)
    return np.ascontiguousarray(prior), np.ascontiguousarray(var)
