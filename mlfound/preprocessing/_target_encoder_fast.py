"""Numba kernels of :class:`mlfound.preprocessing.TargetEncoder`.

All kernels work on the per-category statistics that
:mod:`mlfound._kernels.groupby` computes in one pass: the weighted count
``w``, the weighted sum ``s`` of each target column and (for continuous
targets) the weighted sum of squares ``sq`` of the target, centred on a
reference value so that ``sq - s**2 / w`` does not cancel catastrophically.
For 0/1 targets (binary, one column per class) ``sq == s`` and ``squares`` is
passed as ``None``.

The encoding of a category with statistics ``(w, s, sq)`` given the prior mean
``prior`` and the prior variance ``var`` is

- ``smooth=m`` (m-estimate): ``(s + m * prior) / (w + m)``;
- ``smooth="auto"`` (empirical Bayes, Micci-Barreca 2001, eq. 5-6, as in
  scikit-learn): ``lam * s / w + (1 - lam) * prior`` with
  ``lam = var * w / (var * w + ssd / w)`` and ``ssd = sq - s**2 / w`` the
  category's sum of squared deviations.

Both fall back to the prior when the category has no data (or ``lam`` is
undefined because ``var`` and ``ssd`` are both zero).
"""

import numpy as np

from mlfound._kernels.prefetch import prefetch, prefetch_distance
from mlfound.utils._jit import njit


@njit
def _encode_value(w, s, sq, prior, var, smooth, auto):
    if not auto:
        denom = w + smooth
        if denom <= 0.0:
            return prior
        return (s + smooth * prior) / denom
    if w <= 0.0:
        return prior
    mean = s / w
    ssd = sq - s * mean
    if ssd < 0.0:
        ssd = 0.0
    num = var * w
    den = num + ssd / w
    if not den > 0.0:
        # var == ssd == 0: the shrinkage is undefined (NaN in scikit-learn).
        return prior
    lam = num / den
    return lam * mean + (1.0 - lam) * prior


@njit
def _encode_table(counts, sums, squares, prior, var, smooth, auto):
    """Encoding of every category: ``(n_categories, n_values)``."""
    n_categories, n_values = sums.shape
    out = np.empty((n_categories, n_values), dtype=np.float64)
    for c in range(n_categories):
        w = counts[c]
        for j in range(n_values):
            s = sums[c, j]
            sq = s if squares is None else squares[c, j]
            out[c, j] = _encode_value(w, s, sq, prior[j], var[j], smooth, auto)
    return out


@njit
def _gather(codes, table, prior, shift, out, col0):
    """``out[i, col0 + j] = shift[j] + table[codes[i], j]``.

    Codes outside ``[0, len(table))`` (no category) get ``shift + prior``.
    """
    n_values = table.shape[1]
    n_samples = codes.shape[0]
    ahead = prefetch_distance(table)
    for i in range(n_samples):
        if ahead and i + ahead < n_samples:
            c = min(max(codes[i + ahead], 0), table.shape[0] - 1)
            prefetch(table, c * n_values)
        c = codes[i]
        known = 0 <= c < table.shape[0]
        for j in range(n_values):
            if not known:
                out[i, col0 + j] = shift[j] + prior[j]
            else:
                out[i, col0 + j] = shift[j] + table[c, j]


@njit
def _cross_fit_encode(
    codes, folds, stats, n_values, fold_prior, fold_var, smooth, auto, shift,
    out, col0, skip_empty,
):  # fmt: skip
    """Out-of-fold encoding of every row from per-(category, fold) statistics.

    ``stats`` is the ``(n_categories + 1, n_folds, 1 + n_stacked)`` table of
    :func:`mlfound._kernels.groupby._group_fold_sums` (weight, then the sums
    of the ``n_values`` target columns, then their squares for a continuous
    target); its last category collects the rows without a category.

    The statistics of the training part of fold ``f`` for category ``c`` are
    the category totals minus the fold's own: no refit per fold. The encoding
    of every (category, fold) pair is computed once, written compactly over
    the front of ``stats`` (which it consumes: a cell is read before any
    encoding is written over it), then gathered per row; codes
    ``>= n_categories`` (no category) get the fold's prior. With
    ``skip_empty`` (no sample weights, so a row always has a positive count),
    the (category, fold) pairs without rows, which no row gathers, are not
    encoded: most pairs of a column of rare categories.

    Returns the full-data totals ``(n_categories, 1 + n_stacked)`` (the sum
    over the folds, in ``stats``' layout): the statistics of the fitted
    encodings, at no extra pass.
    """
    n_categories = stats.shape[0] - 1
    n_folds = stats.shape[1]
    width = stats.shape[2]
    has_squares = width > 1 + n_values
    totals = np.zeros((n_categories, width), dtype=np.float64)
    flat = stats.reshape(-1)
    for c in range(n_categories):
        for f in range(n_folds):
            for k in range(width):
                totals[c, k] += stats[c, f, k]
        total_w = totals[c, 0]
        for f in range(n_folds):
            if skip_empty and stats[c, f, 0] == 0.0:
                continue  # no row of category c in fold f: never gathered
            w = total_w - stats[c, f, 0]
            # Weighted totals minus a fold's share can leave rounding dust
            # where the category has no training rows at all.
            if w <= 1e-12 * total_w:
                w = 0.0
            base = (c * n_folds + f) * n_values
            for j in range(n_values):
                s = totals[c, 1 + j] - stats[c, f, 1 + j]
                if has_squares:
                    sq = totals[c, 1 + n_values + j] - stats[c, f, 1 + n_values + j]
                else:
                    sq = s
                # The flat index ``base + j`` is below the cell (c, f)'s first
                # slot and after every slot read so far: nothing unread is lost.
                flat[base + j] = shift[j] + _encode_value(
                    w, s, sq, fold_prior[f, j], fold_var[f, j], smooth, auto
                )
    for f in range(n_folds):
        base = (n_categories * n_folds + f) * n_values
        for j in range(n_values):
            flat[base + j] = shift[j] + fold_prior[f, j]
    table = flat[: (n_categories + 1) * n_folds * n_values].reshape(
        (n_categories + 1, n_folds, n_values)
    )
    n_samples = codes.shape[0]
    ahead = prefetch_distance(table)
    for i in range(n_samples):
        if ahead and i + ahead < n_samples:
            c = min(max(codes[i + ahead], 0), n_categories)
            prefetch(table, (c * n_folds + folds[i + ahead]) * n_values)
        c = codes[i]
        if c < 0 or c > n_categories:
            c = n_categories
        f = folds[i]
        for j in range(n_values):
            out[i, col0 + j] = table[c, f, j]
    return totals


@njit
def _cell_fold_totals(cells, stats, n_folds):
    """Sum of the cell statistics of each fold, over the groups in order.

    Adds the cells in their sorted order, so each fold's total is summed over
    the groups in the order the dense table's ``stats.sum(axis=0)`` uses.
    """
    width = stats.shape[1]
    totals = np.zeros((n_folds, width), dtype=np.float64)
    for k in range(cells.shape[0]):
        f = cells[k] % n_folds
        for m in range(width):
            totals[f, m] += stats[k, m]
    return totals


@njit
def _cross_fit_encode_cells(
    cell_codes, cells, stats, n_categories, n_folds, n_values, fold_prior,
    fold_var, smooth, auto, shift, out, col0,
):  # fmt: skip
    """Out-of-fold encoding of every row from the (category, fold) cells.

    The sparse twin of :func:`_cross_fit_encode` for many folds: ``stats``
    holds only the cells that occur (see
    :func:`mlfound._kernels.groupby._group_cell_sums`; ``cells`` sorted,
    category ``cells // n_folds``, fold ``cells % n_folds``), and each row
    gathers the encoding of its own cell ``cell_codes[i]``. Category
    ``n_categories`` collects the rows without a category, encoded with their
    fold's prior. The arithmetic is that of the dense kernel, cell by cell,
    so both give the same numbers.

    Returns the full-data totals ``(n_categories, 1 + n_stacked)``.
    """
    n_cells = cells.shape[0]
    width = stats.shape[1]
    has_squares = width > 1 + n_values
    totals = np.zeros((n_categories, width), dtype=np.float64)
    for k in range(n_cells):
        c = cells[k] // n_folds
        if c < n_categories:
            for m in range(width):
                totals[c, m] += stats[k, m]
    table = np.empty((n_cells, n_values), dtype=np.float64)
    for k in range(n_cells):
        c = cells[k] // n_folds
        f = cells[k] % n_folds
        if c >= n_categories:
            for j in range(n_values):
                table[k, j] = shift[j] + fold_prior[f, j]
            continue
        total_w = totals[c, 0]
        w = total_w - stats[k, 0]
        if w <= 1e-12 * total_w:
            w = 0.0
        for j in range(n_values):
            s = totals[c, 1 + j] - stats[k, 1 + j]
            if has_squares:
                sq = totals[c, 1 + n_values + j] - stats[k, 1 + n_values + j]
            else:
                sq = s
            table[k, j] = shift[j] + _encode_value(
                w, s, sq, fold_prior[f, j], fold_var[f, j], smooth, auto
            )
    for i in range(cell_codes.shape[0]):
        k = cell_codes[i]
        for j in range(n_values):
            out[i, col0 + j] = table[k, j]
    return totals


@njit
def _ordered_encode(
    codes, order, values, squares, weights, n_categories, smooth, auto, shift,
    out, col0, past_only,
):  # fmt: skip
    """Ordered target statistics (CatBoost-style).

    Rows are visited in ``order``; each row is encoded from the rows visited
    before it only (its category's running statistics, shrunk towards the
    running mean and variance of all rows visited before it), then added to
    the running statistics. No row's encoding depends on its own target.
    A row with no (positively weighted) predecessor has no prior: with
    ``past_only`` (time order) it is encoded as NaN, since any other value
    would come from later rows; otherwise (a random order) it uses the mean
    and variance of all *other* rows.
    """
    n_samples = codes.shape[0]
    n_values = values.shape[1]
    run_w = np.zeros(n_categories)
    run_s = np.zeros((n_categories, n_values))
    run_sq = np.zeros((n_categories, n_values))
    glob_w = 0.0
    glob_s = np.zeros(n_values)
    glob_sq = np.zeros(n_values)
    tot_w = 0.0
    tot_s = np.zeros(n_values)
    tot_sq = np.zeros(n_values)
    for i in range(n_samples):
        wi = 1.0 if weights is None else weights[i]
        tot_w += wi
        for j in range(n_values):
            tot_s[j] += wi * values[i, j]
            v2 = values[i, j] if squares is None else squares[i, j]
            tot_sq[j] += wi * v2
    for t in range(n_samples):
        i = order[t]
        c = codes[i]
        if c >= n_categories:
            c = -1
        wi = 1.0 if weights is None else weights[i]
        for j in range(n_values):
            yij = values[i, j]
            y2 = yij if squares is None else squares[i, j]
            if glob_w > 0.0:
                pw, ps, psq = glob_w, glob_s[j], glob_sq[j]
            elif past_only:
                out[i, col0 + j] = np.nan
                continue
            else:
                pw, ps, psq = tot_w - wi, tot_s[j] - wi * yij, tot_sq[j] - wi * y2
            if pw > 0.0:
                prior = ps / pw
                var = psq / pw - prior * prior
                if var < 0.0:
                    var = 0.0
            else:
                prior = 0.0
                var = 0.0
            if c < 0:
                out[i, col0 + j] = shift[j] + prior
            else:
                s = run_s[c, j]
                sq = s if squares is None else run_sq[c, j]
                out[i, col0 + j] = shift[j] + _encode_value(
                    run_w[c], s, sq, prior, var, smooth, auto
                )
        # Add the row to the running statistics only after encoding it.
        glob_w += wi
        for j in range(n_values):
            glob_s[j] += wi * values[i, j]
            if squares is not None:
                glob_sq[j] += wi * squares[i, j]
            else:
                glob_sq[j] += wi * values[i, j]
        if c >= 0:
            run_w[c] += wi
            for j in range(n_values):
                run_s[c, j] += wi * values[i, j]
                if squares is not None:
                    run_sq[c, j] += wi * squares[i, j]


@njit
def _first_appearance_codes(codes, n_classes):
    """Relabel class codes by order of first appearance (0 = first seen).

    Returns the new codes and the number of rows of each (relabelled) class.
    """
    rank = np.full(n_classes, -1, dtype=np.int32)
    counts = np.zeros(n_classes, dtype=np.intp)
    out = np.empty(codes.shape[0], dtype=np.int32)
    n_seen = 0
    for i in range(codes.shape[0]):
        c = codes[i]
        if rank[c] < 0:
            rank[c] = n_seen
            n_seen += 1
        r = rank[c]
        out[i] = r
        counts[r] += 1
    return out, counts


@njit
def _scatter_by_class(y_encoded, per_class, start):
    """``out[y_encoded == c] = per_class[start[c]:start[c + 1]]`` for all c."""
    position = start.copy()
    out = np.empty(y_encoded.shape[0], dtype=per_class.dtype)
    for i in range(y_encoded.shape[0]):
        c = y_encoded[i]
        out[i] = per_class[position[c]]
        position[c] += 1
    return out
