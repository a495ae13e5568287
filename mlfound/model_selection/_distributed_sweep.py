"""The exact threshold sweep over scores held in the partitions of a collection.

The in-memory sweep (:mod:`mlfound._kernels.sweep`) sorts all scores once and
accumulates, from the highest score down, the weighted true positives, false
positives and cost of flagging everything at or above each distinct score.
Here the scores stay in their partitions and the same cuts are found by a
sample sort:

1. *Runs* (one task per partition): sort the partition's scores and add up,
   per distinct score, the weight of its positives, of its negatives and its
   cost change ``w * (C[y, 1] - C[y, 0])``; the client gets a few evenly
   spaced scores of each run and the totals (the cost of flagging nothing).
2. *Ranges*: the client cuts the score axis into one range per partition at
   quantiles of those samples. Each partition sums its run within each
   range; the client turns the per-range totals into the cumulative counts
   above every range (a prefix sum over ranges, in decreasing order).
3. *Merge* (one task per range): the slices of all runs that fall in the
   range are merged (equal scores from different partitions become one
   cut), accumulated from the top of the range on top of the counts above
   it, and evaluated: cost, recall, precision and FPR at every cut. Each
   range returns its cheapest feasible cost and an evenly spaced selection of
   its cuts for the curve kept on the client.
4. *Pick* (one task per range): given the global minimum, the cut within
   ``rtol`` of it closest to the default threshold, as
   :func:`~mlfound._kernels.sweep.select_threshold` chooses.

Every distinct score is a candidate, so the result is the in-memory one: the
per-sample terms are the same products, and only the order of the sums
differs. When the weights and costs are integers (the default unit weights
with integer costs, say) every partial sum is exact and the thresholds,
costs and rates are bit for bit those of the in-memory sweep; with
fractional weights they agree to the rounding of the sums.

Moves: the runs are shuffled once between workers (step 3); the client
receives ``O(partitions)`` numbers per step plus the thinned curve.

With ``thresholds`` an int ``q`` the sweep is approximate: the candidates are
about ``q`` scores at quantiles of the pooled samples of step 1, and each
partition returns its exact cumulative sums at these candidates (two passes,
no shuffle). The cost at every candidate is exact; only the candidate set is
coarse (see :func:`quantile_sweep` for the bound).
"""

import numpy as np

from mlfound._kernels.sweep import _rates
from mlfound.utils._dask import compute_all, map_blocks_delayed, persist_all

# scores per partition sent to the client to choose the ranges
_SAMPLES = 256
# ... and at least this many per candidate threshold for the quantile sweep


def quantile_samples(n_thresholds):
    """Scores per partition sent to the client by the quantile sweep."""
    return max(_SAMPLES, 2 * n_thresholds)


# cuts of the curve kept on the client after a distributed sweep
CURVE_POINTS = 2048


# ------------------------------------------------------------ worker functions


def block_run(scores, y_pos, weights, base, delta, n_samples=_SAMPLES):
    """A partition's run: distinct scores ascending with their summed terms.

    Returns ``(run, summary)``: ``run`` is ``(s, w_pos, w_neg, delta)``;
    ``summary`` holds evenly spaced scores of the partition (by rank), the
    number of rows, the weighted class totals, the summed base cost, and the
    lowest and highest scores.
    """
    n = scores.shape[0]
    if n == 0:
        empty = np.empty(0)
        return (empty, empty, empty, empty), (empty, 0, 0.0, 0.0, 0.0, np.inf, -np.inf)
    order = np.argsort(scores, kind="stable")
    s = scores[order]
    pos = y_pos[order] == 1
    w = weights[order]
    w_pos = np.where(pos, w, 0.0)
    w_neg = np.where(pos, 0.0, w)
    d = delta[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    run = (
        s[starts],
        np.add.reduceat(w_pos, starts),
        np.add.reduceat(w_neg, starts),
        np.add.reduceat(d, starts),
    )
    ranks = np.unique(np.linspace(0, n - 1, min(n, n_samples)).astype(np.intp))
    summary = (
        s[ranks],
        n,
        float(np.sum(w_pos)),
        float(np.sum(w_neg)),
        float(np.sum(base)),
        float(s[0]),
        float(s[-1]),
    )
    return run, summary


def _range_bounds(run, bounds):
    """Index of the first cut of ``run`` in each range (ascending bounds)."""
    cuts = np.searchsorted(run[0], bounds, side="right")
    return np.r_[0, cuts, run[0].shape[0]]


def block_range_totals(run, bounds):
    """Per-range sums ``(w_pos, w_neg, delta)`` of a run, shape (n_ranges, 3)."""
    edges = _range_bounds(run, bounds)
    cumulative = np.zeros((run[0].shape[0] + 1, 3))
    cumulative[1:] = np.cumsum(np.column_stack(run[1:]), axis=0)
    return np.diff(cumulative[edges], axis=0)


def block_range_slice(run, bounds, r):
    """The part of ``run`` in range ``r``."""
    edges = _range_bounds(run, bounds)
    return tuple(a[edges[r] : edges[r + 1]] for a in run)


def range_curve(offset, totals, *slices):
    """The cuts of one range, highest first, on top of the counts above it.

    ``offset`` is ``(tp, fp, delta)`` of every score above the range and
    ``totals`` is ``(n_pos, n_neg, base)``. Returns ``(thresholds, tp, fp,
    cost, recall, precision, fpr)``.
    """
    s = np.concatenate([sl[0] for sl in slices])
    if s.shape[0] == 0:
        empty = np.empty(0)
        return (empty,) * 7
    order = np.argsort(s, kind="stable")[::-1]
    s = s[order]
    terms = [np.concatenate([sl[j] for sl in slices])[order] for j in (1, 2, 3)]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    n_pos, n_neg, base = totals
    tp = np.cumsum(np.add.reduceat(terms[0], starts)) + offset[0]
    fp = np.cumsum(np.add.reduceat(terms[1], starts)) + offset[1]
    delta = np.cumsum(np.add.reduceat(terms[2], starts)) + offset[2]
    cost = delta + base
    recall, precision, fpr = _rates(tp, fp, n_pos, n_neg)
    return s[starts], tp, fp, cost, recall, precision, fpr


def _feasible(curve, constraint):
    if constraint is None:
        return np.ones(curve[0].shape[0], dtype=bool)
    name, value = constraint
    if name == "recall":
        return curve[4] >= value
    if name == "precision":
        return curve[5] >= value
    return curve[6] <= value


def range_summary(curve, constraint, n_points):
    """Cheapest feasible cost of a range (inf if none) and its thinned cuts."""
    feasible = _feasible(curve, constraint)
    cheapest = float(np.min(curve[3][feasible])) if feasible.any() else np.inf
    m = curve[0].shape[0]
    keep = np.unique(np.linspace(0, m - 1, min(m, n_points)).astype(np.intp))
    return cheapest, tuple(a[keep] for a in curve)


def range_pick(curve, constraint, limit, default):
    """The feasible cut with cost ``<= limit`` closest to ``default``, or None."""
    ok = _feasible(curve, constraint) & (curve[3] <= limit)
    if not ok.any():
        return None
    distance = np.where(ok, np.abs(curve[0] - default), np.inf)
    k = int(np.argmin(distance))
    return float(distance[k]), tuple(float(a[k]) for a in curve)


def block_counts_at(run, candidates):
    """A run's sums over the scores ``>= c`` for each candidate ``c``."""
    cumulative = np.zeros((run[0].shape[0] + 1, 3))
    cumulative[:-1] = np.cumsum(np.column_stack(run[1:])[::-1], axis=0)[::-1]
    return cumulative[np.searchsorted(run[0], candidates, side="left")]


# ------------------------------------------------------------ client side


def _inf_cut(n_pos, n_neg, base):
    """The cut that flags nothing, as the in-memory sweep's first entry."""
    recall, precision, fpr = _rates(np.zeros(1), np.zeros(1), n_pos, n_neg)
    return (np.inf, 0.0, 0.0, 0.0 + base, recall[0], precision[0], fpr[0])


def _choose_bounds(summaries, n_ranges):
    """Ascending range bounds at quantiles of the partitions' sampled scores."""
    samples, weights = [], []
    for sample, n, *_ in summaries:
        if sample.shape[0]:
            samples.append(sample)
            weights.append(np.full(sample.shape[0], n / sample.shape[0]))
    sample = np.concatenate(samples)
    order = np.argsort(sample, kind="stable")
    sample = sample[order]
    cumulative = np.cumsum(np.concatenate(weights)[order])
    targets = cumulative[-1] * np.arange(1, n_ranges) / n_ranges
    bounds = sample[np.minimum(np.searchsorted(cumulative, targets), len(sample) - 1)]
    return np.unique(bounds)


def _totals(summaries):
    n_pos = float(sum(s[2] for s in summaries))
    n_neg = float(sum(s[3] for s in summaries))
    base = float(sum(s[4] for s in summaries))
    low = min(s[5] for s in summaries)
    high = max(s[6] for s in summaries)
    return n_pos, n_neg, base, low, high


def exact_sweep(runs, summaries, constraint, default, rtol=1e-12):
    """The exact distributed sweep over persisted partition ``runs``.

    Parameters
    ----------
    runs : list of delayed
        Persisted ``block_run(...)[0]`` of every partition.
    summaries : list of tuple
        The matching ``block_run(...)[1]``, on the client.
    constraint : tuple or None
        Checked ``(name, value)`` pair.
    default : float
        Ties of cost are broken toward this threshold.
    rtol : float, default=1e-12
        Relative tolerance under which two costs are equal, as in memory.

    Returns
    -------
    best : tuple
        ``(threshold, tp, fp, cost, recall, precision, fpr)`` of the chosen
        cut (``cost`` is the total weighted cost).
    curve : tuple of arrays
        The same seven quantities at the inf cut and at most about
        ``CURVE_POINTS`` cuts, decreasing thresholds, the chosen one included.
    totals : tuple
        ``(n_pos, n_neg, base)``.
    n_passes : int
        Round trips to the cluster after the runs.
    """
    n_pos, n_neg, base, _, _ = _totals(summaries)
    bounds = _choose_bounds(summaries, len(runs))
    n_ranges = bounds.shape[0] + 1
    # pass: per-range totals of every run; the counts above each range
    per_block = compute_all(
        map_blocks_delayed(block_range_totals, [(r,) for r in runs], bounds)
    )
    per_range = np.zeros((n_ranges, 3))
    for t in per_block:
        per_range += t
    above = np.zeros((n_ranges, 3))
    for r in range(n_ranges - 2, -1, -1):
        above[r] = above[r + 1] + per_range[r + 1]
    # pass: merge each range (slices move between workers) and evaluate it
    from dask import delayed

    slicer = delayed(block_range_slice, pure=True)
    curve_of = delayed(range_curve, pure=True)
    curves = persist_all(
        [
            curve_of(
                above[r],
                (n_pos, n_neg, base),
                *[slicer(run, bounds, r) for run in runs],
            )
            for r in range(n_ranges)
        ]
    )
    n_points = max(2, -(-CURVE_POINTS // n_ranges))
    summary = compute_all(
        map_blocks_delayed(range_summary, [(c,) for c in curves], constraint, n_points)
    )
    inf_cut = _inf_cut(n_pos, n_neg, base)
    inf_ok = _feasible(tuple(np.array([v]) for v in inf_cut), constraint)[0]
    cheapest = [s[0] for s in summary] + [inf_cut[3] if inf_ok else np.inf]
    best_cost = min(cheapest)
    if not np.isfinite(best_cost):
        return None, _curve(inf_cut, summary, None), (n_pos, n_neg, base), 2
    limit = best_cost + rtol * max(1.0, abs(best_cost))
    # pass: the cut closest to the default among the cheapest ones
    picks = compute_all(
        map_blocks_delayed(
            range_pick, [(c,) for c in curves], constraint, limit, default
        )
    )
    best = inf_cut if inf_ok and inf_cut[3] <= limit else None
    best_distance = np.inf
    for pick in picks[::-1]:  # ranges from the highest scores down
        if pick is not None and (best is None or pick[0] < best_distance):
            best_distance, best = pick
    return best, _curve(inf_cut, summary, best), (n_pos, n_neg, base), 3


def _curve(inf_cut, summary, best):
    """The thinned curve: the inf cut, the ranges' kept cuts and ``best``."""
    parts = [np.array([v]) for v in inf_cut]
    columns = [[p] for p in parts]
    for _, kept in summary[::-1]:
        for j in range(7):
            columns[j].append(kept[j])
    curve = [np.concatenate(c) for c in columns]
    if best is not None and not np.any(curve[0] == best[0]):
        k = int(np.searchsorted(-curve[0], -best[0]))
        curve = [np.insert(c, k, v) for c, v in zip(curve, best, strict=True)]
    return tuple(curve)


def quantile_sweep(runs, summaries, n_thresholds, constraint, default, rtol=1e-12):
    """The approximate sweep: exact costs at about ``n_thresholds`` candidates.

    The candidates are the scores at ``n_thresholds`` quantiles of the
    partitions' sampled scores (every partition sends ``quantile_samples``
    scores at evenly spaced ranks, so the pooled ranks are off by less than
    ``n / (2 q) + P`` rows for ``n`` rows in ``P`` partitions), and each
    partition adds its exact sums above each candidate. Between two
    consecutive candidates lie at most ``2 n / q + 2 P`` rows, so the chosen
    cut's total cost exceeds the exact optimum's by at most that many rows
    times the largest per-row cost change ``max_i w_i |C_i[y_i, 1] -
    C_i[y_i, 0]|``.

    Returns the same ``(best, curve, totals, n_passes)`` as :func:`exact_sweep`,
    the curve holding every candidate.
    """
    n_pos, n_neg, base, _, _ = _totals(summaries)
    candidates = np.unique(
        np.r_[
            _choose_bounds(summaries, n_thresholds),
            max(s[6] for s in summaries),
            min(s[5] for s in summaries),
        ]
    )
    per_block = compute_all(
        map_blocks_delayed(block_counts_at, [(r,) for r in runs], candidates)
    )
    counts = np.zeros((candidates.shape[0], 3))
    for c in per_block:
        counts += c
    s = candidates[::-1]
    tp, fp, delta = (np.ascontiguousarray(counts[::-1, j]) for j in range(3))
    recall, precision, fpr = _rates(tp, fp, n_pos, n_neg)
    inf_cut = _inf_cut(n_pos, n_neg, base)
    curve = tuple(
        np.r_[v, a]
        for v, a in zip(
            inf_cut, (s, tp, fp, delta + base, recall, precision, fpr), strict=True
        )
    )
    best = None
    feasible = _feasible(curve, constraint)
    if feasible.any():
        best_cost = np.min(curve[3][feasible])
        limit = best_cost + rtol * max(1.0, abs(best_cost))
        pick = range_pick(curve, constraint, limit, default)
        best = pick[1]
    return best, curve, (n_pos, n_neg, base), 1
