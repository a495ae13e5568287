"""Aggregation over factorized integer codes.

The statistic every "per category" computation in mlfound needs (target
encoding, per-position click statistics) is a weighted count and a weighted
sum of one or more value columns per code, optionally split by fold. These
kernels compute all of it in a single pass over the rows.

``group_sums`` is the validated entry point; ``_group_sums`` and
``_group_fold_sums`` are the jitted kernels behind it. ``_group_fold_sums``
fills a dense ``(n_groups, n_folds)`` table, right for a few folds; with many
folds (leave-one-out, group k-fold over many groups) most of its cells are
empty, and ``_group_cell_sums`` keeps only the (group, fold) cells that occur
(at most one per row), so that memory follows the data and not
``n_groups * n_folds``. They return one table
``stats`` whose last axis holds the weighted count (``stats[..., 0]``) then
the weighted sums (``stats[..., 1:]``): the count and the sums a row updates
are adjacent in memory, so a row with a scattered code costs one cache miss,
not one per output array.
"""

import numpy as np

from mlfound._kernels.factorize import factorize
from mlfound._kernels.prefetch import prefetch, prefetch_distance
from mlfound.utils._jit import njit


@njit
def _group_sums(codes, values, weights, n_groups):
    """``stats[g] = (weight of group g, weighted sum of each value column)``."""
    n_samples = codes.shape[0]
    n_values = values.shape[1]
    stats = np.zeros((n_groups, 1 + n_values), dtype=np.float64)
    ahead = prefetch_distance(stats)
    for i in range(n_samples):
        if ahead and i + ahead < n_samples:
            prefetch(stats, codes[i + ahead] * (1 + n_values))
        g = codes[i]
        w = 1.0 if weights is None else np.float64(weights[i])
        stats[g, 0] += w
        for j in range(n_values):
            stats[g, 1 + j] += w * values[i, j]
    return stats


@njit
def _group_fold_sums(codes, folds, values, weights, n_groups, n_folds):
    """``stats[g, f] = (weight, weighted sums)`` of the rows of group g in fold f.

    The weight and the sums of one (group, fold) cell are adjacent in memory
    (and the cells of one group are adjacent): each row updates one short
    run of the table, one cache line at most, however scattered the codes;
    on a table larger than the caches, the cell of a row further ahead is
    prefetched while a row is added.
    """
    n_samples = codes.shape[0]
    n_values = values.shape[1]
    stats = np.zeros((n_groups, n_folds, 1 + n_values), dtype=np.float64)
    ahead = prefetch_distance(stats)
    for i in range(n_samples):
        if ahead and i + ahead < n_samples:
            ahead_cell = codes[i + ahead] * n_folds + folds[i + ahead]
            prefetch(stats, ahead_cell * (1 + n_values))
        g = codes[i]
        f = folds[i]
        w = 1.0 if weights is None else np.float64(weights[i])
        stats[g, f, 0] += w
        for j in range(n_values):
            stats[g, f, 1 + j] += w * values[i, j]
    return stats


def _group_cell_sums(codes, folds, values, weights, n_folds):
    """Statistics of the (group, fold) cells that occur, and each row's cell.

    The cell of row ``i`` is the key ``codes[i] * n_folds + folds[i]``; the
    keys are factorized (sorted, so the cells of one group are adjacent and
    in fold order) and ``stats[k]`` holds the weight and weighted sums of the
    rows of cell ``k``, accumulated in row order like ``_group_fold_sums``:
    the same numbers as the non-empty cells of the dense table, in
    O(n_samples) memory however many groups and folds there are.

    ``codes`` and ``folds`` must be non-negative and ``folds < n_folds``
    (validated by the caller).

    Returns
    -------
    cell_codes : ndarray of shape (n_samples,), int32
        Index of each row's cell in ``cells``.
    cells : ndarray of shape (n_cells,), int64
        Sorted keys of the occurring cells: group ``cells // n_folds``, fold
        ``cells % n_folds``.
    stats : ndarray of shape (n_cells, 1 + n_values), float64
        Weight, then weighted sums, per cell.
    """
    keys = codes.astype(np.int64)
    keys *= n_folds
    keys += folds
    cell_codes, cells = factorize(keys)
    del keys
    stats = _group_sums(cell_codes, values, weights, cells.shape[0])
    return cell_codes, cells, stats


def _as_codes(codes, name, n_max):
    codes = np.ascontiguousarray(codes)
    if codes.ndim != 1 or codes.dtype.kind not in "iu":
        raise ValueError(
            f"{name} must be a 1-d integer array, got {codes.dtype} "
            f"with shape {codes.shape}."
        )
    if codes.size:
        # Range checked on the original dtype, as Python ints, before the
        # cast: a uint64 above 2**63 must not wrap into a valid code.
        low, high = int(codes.min()), int(codes.max())
        if n_max is None:
            n_max = high + 1
        if low < 0 or high >= n_max:
            raise ValueError(
                f"{name} must lie in [0, {n_max}); found values in [{low}, {high}]."
            )
    elif n_max is None:
        n_max = 0
    if codes.dtype not in (np.int32, np.int64, np.intp):
        codes = codes.astype(np.intp)
    return codes, int(n_max)


def group_sums(
    codes, values=None, weights=None, *, n_groups=None, folds=None, n_folds=None
):
    """Weighted counts and sums of ``values`` per code (and per fold) in one pass.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,), integer
        Factorized group codes in ``[0, n_groups)``.
    values : ndarray of shape (n_samples,) or (n_samples, n_values), default=None
        Values to sum per group, ``float32`` or ``float64``. ``None`` computes
        counts only (``sums`` then has zero columns).
    weights : ndarray of shape (n_samples,), default=None
        Per-row weights; ``None`` means every row counts once.
    n_groups : int, default=None
        Number of groups; inferred as ``codes.max() + 1`` when ``None``.
    folds : ndarray of shape (n_samples,), integer, default=None
        Fold index of each row in ``[0, n_folds)``. When given, the statistics
        are split by fold as well.
    n_folds : int, default=None
        Number of folds; inferred from ``folds`` when ``None``.

    Returns
    -------
    counts : ndarray of shape (n_groups,) or (n_groups, n_folds), float64
        Sum of the weights of the rows of each group (and fold).
    sums : ndarray of shape (n_groups, n_values) or (n_groups, n_folds, n_values)
        Weighted sum of each value column per group (and fold), float64. When
        ``values`` is 1-d, the last axis is dropped. ``counts`` and ``sums``
        are views of the one table the kernel fills (see the module
        docstring), not contiguous arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound._kernels.groupby import group_sums
    >>> counts, sums = group_sums(np.array([0, 2, 0]), np.array([1.0, 2.0, 3.0]))
    >>> counts
    array([2., 0., 1.])
    >>> sums
    array([4., 0., 2.])
    """
    codes, n_groups = _as_codes(codes, "codes", n_groups)
    n_samples = codes.shape[0]
    squeeze = False
    if values is None:
        values = np.empty((n_samples, 0), dtype=np.float64)
    else:
        values = np.asarray(values)
        if values.dtype not in (np.float32, np.float64):
            values = values.astype(np.float64)
        if values.ndim == 1:
            values, squeeze = values[:, None], True
        values = np.ascontiguousarray(values)
        if values.shape[0] != n_samples:
            raise ValueError(
                f"values has {values.shape[0]} rows but codes has {n_samples}."
            )
    if weights is not None:
        weights = np.ascontiguousarray(weights)
        if weights.dtype not in (np.float32, np.float64):
            weights = weights.astype(np.float64)
        if weights.shape != (n_samples,):
            raise ValueError(
                f"weights must have shape ({n_samples},), got {weights.shape}."
            )
    if folds is None:
        stats = _group_sums(codes, values, weights, n_groups)
    else:
        folds, n_folds = _as_codes(folds, "folds", n_folds)
        if folds.shape[0] != n_samples:
            raise ValueError(
                f"folds has {folds.shape[0]} rows but codes has {n_samples}."
            )
        stats = _group_fold_sums(codes, folds, values, weights, n_groups, n_folds)
    counts, sums = stats[..., 0], stats[..., 1:]
    if squeeze:
        sums = sums[..., 0]
    return counts, sums
