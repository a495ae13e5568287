"""Numba kernels of :class:`mlfound.preprocessing.LagFeatures`.

The rows arrive sorted by (entity, time), stably, as one contiguous
``(n_rows, n_columns)`` float64 block; entity ``s`` holds the rows
``seg_starts[s]:seg_starts[s + 1]``. One pass over each entity's rows per
value column computes every feature of that column: lags, rolling windows
and exponentially weighted means. An entity of a few hundred rows stays in
the caches while its columns are processed, so the per-column passes read
memory once.

Every feature of row ``i`` is computed from rows strictly before it:

- lag ``k``: the value ``k`` rows earlier in the entity (``k >= 1``);
- a row window of ``w`` rows: the rows ``[i - min_shift - w + 1,
  i - min_shift]`` of the entity (pandas ``shift(min_shift).rolling(w)``);
- a time window of span ``d``: the rows with time in ``[t_i - d, t_i)``
  (pandas ``rolling(d, closed="left")``), so rows with the same timestamp
  never see each other;
- an EWM mean: pandas ``shift(min_shift).ewm(alpha, adjust=True,
  ignore_na=False).mean()``.

A window is the half-open row range ``[lo, hi)``; both ends only move
forwards, so each row enters and leaves each window once. The window keeps
its observed (non-NaN) values as a Kahan-compensated sum, a Welford mean and
sum of squared deviations (for the standard deviation, which no running sum
of squares can give accurately) and two monotone deques of row indices (for
the minimum and maximum). Once as many values have left a window as it
holds, its sums are recomputed from its rows (amortized O(1) per row), so
rounding errors never accumulate along a long entity; a window whose values
are all equal gets a standard deviation of exactly 0 (and its value as mean),
as in pandas. A deque holds rows of ``[lo, hi)`` only (one more
while a row window moves), so its ring buffer has ``deque_cap =
min(largest row window + 1, longest entity)`` slots (the longest entity
with a time window): memory follows the data, never a window size given by
the user.

``dest[i]`` is the output row of sorted row ``i`` (``-1``: compute the row's
state but write nothing, for history rows placed before the rows being
transformed). ``seg_offsets[s]`` is the number of rows of entity ``s`` that
came before its first row here (dropped history), needed for pandas'
``count`` convention; ``ewm_init[s, c, j]`` is the EWM state ``(mean,
weight, n_observed)`` after those dropped rows.
"""

import numpy as np

from mlfound.utils._jit import njit

AGG_MEAN, AGG_SUM, AGG_STD, AGG_COUNT, AGG_MIN, AGG_MAX = 0, 1, 2, 3, 4, 5
AGGREGATIONS = {
    "mean": AGG_MEAN,
    "sum": AGG_SUM,
    "std": AGG_STD,
    "count": AGG_COUNT,
    "min": AGG_MIN,
    "max": AGG_MAX,
}


@njit
def _ewm_consume(x, alpha, state):
    """Add ``x`` (NaN: a missing value) to the EWM state, as pandas does.

    ``state`` is ``(mean, weight of the mean, number of observations)``;
    a NaN mean means no observation yet. ``adjust=True`` and
    ``ignore_na=False``: a missing value still ages the earlier ones.
    """
    observed = x == x
    if observed:
        state[2] += 1.0
    mean = state[0]
    if mean == mean:
        state[1] *= 1.0 - alpha
        if observed:
            if mean != x:
                state[0] = (state[1] * mean + x) / (state[1] + 1.0)
            state[1] += 1.0
    elif observed:
        state[0] = x
        state[1] = 1.0


@njit
def _ewm_states(values, seg_starts, n_consumed, alphas, states):
    """``states[s, c, j]``: EWM state after the first ``n_consumed[s]`` rows."""
    n_cols = values.shape[1]
    for s in range(seg_starts.shape[0] - 1):
        a = seg_starts[s]
        for c in range(n_cols):
            for j in range(alphas.shape[0]):
                states[s, c, j, 0] = np.nan
                states[s, c, j, 1] = 1.0
                states[s, c, j, 2] = 0.0
                for i in range(a, a + n_consumed[s]):
                    _ewm_consume(values[i, c], alphas[j], states[s, c, j])


@njit
def _tail_lengths(times, seg_starts, n_rows_needed, span):
    """Rows each entity keeps as history for a later ``transform``.

    At least the last ``n_rows_needed`` rows (lags, row windows, EWM), and
    every row whose time is within ``span`` of the entity's last time (time
    windows; ``span < 0``: none), capped by the entity's length.
    """
    n_seg = seg_starts.shape[0] - 1
    out = np.empty(n_seg, dtype=np.int64)
    for s in range(n_seg):
        a, b = seg_starts[s], seg_starts[s + 1]
        keep = min(n_rows_needed, b - a)
        if span >= 0:
            first = times[b - 1] - span
            i = b - 1
            while i - 1 >= a and times[i - 1] >= first:
                i -= 1
            keep = max(keep, b - i)
        out[s] = keep
    return out


@njit
def _resum(values, c, lo, hi, w, ksum, kcomp, wmean, wssd):
    """Recompute a window's sum, mean and squared deviations from its rows.

    Called once as many values have left the window as it holds, so the
    cost is amortized O(1) per row, and the rounding errors of the running
    updates never build up over more than two windows' worth of rows.
    """
    total = 0.0
    comp = 0.0
    n = 0
    for r in range(lo, hi):
        x = values[r, c]
        if x == x:
            y = x - comp
            t = total + y
            comp = (t - total) - y
            total = t
            n += 1
    mean = total / n
    ssd = 0.0
    for r in range(lo, hi):
        x = values[r, c]
        if x == x:
            ssd += (x - mean) * (x - mean)
    ksum[w] = total
    kcomp[w] = comp
    wmean[w] = mean
    wssd[w] = ssd


@njit
def _deque_push(buf, head, size, values, c, j, is_min):
    """Push row ``j`` on a monotone deque; return the new size."""
    cap = buf.shape[0]
    x = values[j, c]
    while size > 0:
        back = buf[(head + size - 1) % cap]
        y = values[back, c]
        if (y >= x) if is_min else (y <= x):
            size -= 1
        else:
            break
    buf[(head + size) % cap] = j
    return size + 1


@njit
def _lag_window_features(
    values,
    seg_starts,
    seg_offsets,
    dest,
    times,
    lags,
    min_shift,
    window_sizes,
    window_is_time,
    aggs,
    min_periods,
    alphas,
    ewm_init,
    deque_cap,
    out,
):
    """All lag, window and EWM features of every row, in one pass per column.

    Output columns of value column ``c`` start at ``c * n_per_column``:
    the lags, then ``aggs`` of each window in turn, then the EWM means.
    """
    n_cols = values.shape[1]
    n_lags = lags.shape[0]
    n_win = window_sizes.shape[0]
    n_aggs = aggs.shape[0]
    n_alpha = alphas.shape[0]
    per_col = n_lags + n_win * n_aggs + n_alpha
    need_sum = need_std = need_min = need_max = False
    for k in range(n_aggs):
        if aggs[k] == AGG_MEAN or aggs[k] == AGG_SUM:
            need_sum = True
        elif aggs[k] == AGG_STD:
            need_std = True
        elif aggs[k] == AGG_MIN:
            need_min = True
        elif aggs[k] == AGG_MAX:
            need_max = True
    cap = max(deque_cap, 1)
    lo = np.empty(n_win, dtype=np.int64)
    hi = np.empty(n_win, dtype=np.int64)
    nobs = np.empty(n_win, dtype=np.int64)
    ksum = np.empty(n_win)
    kcomp = np.empty(n_win)
    wmean = np.empty(n_win)
    wssd = np.empty(n_win)
    min_buf = np.empty((n_win, cap), dtype=np.int64)
    max_buf = np.empty((n_win, cap), dtype=np.int64)
    min_head = np.empty(n_win, dtype=np.int64)
    min_size = np.empty(n_win, dtype=np.int64)
    max_head = np.empty(n_win, dtype=np.int64)
    max_size = np.empty(n_win, dtype=np.int64)
    ewm = np.empty((max(n_alpha, 1), 3))
    run = np.empty(n_win, dtype=np.int64)
    last = np.empty(n_win)
    removed = np.empty(n_win, dtype=np.int64)
    for s in range(seg_starts.shape[0] - 1):
        a, b = seg_starts[s], seg_starts[s + 1]
        offset = seg_offsets[s]
        for c in range(n_cols):
            base = c * per_col
            for w in range(n_win):
                lo[w] = a
                hi[w] = a
                nobs[w] = 0
                ksum[w] = 0.0
                kcomp[w] = 0.0
                wmean[w] = 0.0
                wssd[w] = 0.0
                min_head[w] = 0
                min_size[w] = 0
                max_head[w] = 0
                max_size[w] = 0
                run[w] = 0
                last[w] = np.nan
                removed[w] = 0
            for j in range(n_alpha):
                for m in range(3):
                    ewm[j, m] = ewm_init[s, c, j, m]
            ewm_next = a
            for i in range(a, b):
                while ewm_next <= i - min_shift:
                    for j in range(n_alpha):
                        _ewm_consume(values[ewm_next, c], alphas[j], ewm[j])
                    ewm_next += 1
                for w in range(n_win):
                    size = window_sizes[w]
                    if window_is_time[w]:
                        t = times[i]
                        new_hi = hi[w]
                        while new_hi < i and times[new_hi] < t:
                            new_hi += 1
                        start = t - size
                        new_lo = lo[w]
                        while new_lo < new_hi and times[new_lo] < start:
                            new_lo += 1
                    else:
                        new_hi = max(a, i - min_shift + 1)
                        new_lo = max(a, i - min_shift - size + 1)
                    # rows entering the window
                    for r in range(hi[w], new_hi):
                        x = values[r, c]
                        if x != x:
                            continue
                        nobs[w] += 1
                        run[w] = run[w] + 1 if x == last[w] else 1
                        last[w] = x
                        if need_sum:
                            y = x - kcomp[w]
                            tot = ksum[w] + y
                            kcomp[w] = (tot - ksum[w]) - y
                            ksum[w] = tot
                        if need_std:
                            delta = x - wmean[w]
                            wmean[w] += delta / nobs[w]
                            wssd[w] += delta * (x - wmean[w])
                        if need_min:
                            min_size[w] = _deque_push(
                                min_buf[w], min_head[w], min_size[w], values, c, r, True
                            )
                        if need_max:
                            max_size[w] = _deque_push(
                                max_buf[w],
                                max_head[w],
                                max_size[w],
                                values,
                                c,
                                r,
                                False,
                            )
                    hi[w] = new_hi
                    # rows leaving the window
                    for r in range(lo[w], new_lo):
                        x = values[r, c]
                        if x != x:
                            continue
                        nobs[w] -= 1
                        removed[w] += 1
                        if nobs[w] == 0:
                            ksum[w] = 0.0
                            kcomp[w] = 0.0
                            wmean[w] = 0.0
                            wssd[w] = 0.0
                            continue
                        if need_sum:
                            y = -x - kcomp[w]
                            tot = ksum[w] + y
                            kcomp[w] = (tot - ksum[w]) - y
                            ksum[w] = tot
                        if need_std:
                            delta = x - wmean[w]
                            wmean[w] -= delta / nobs[w]
                            wssd[w] -= delta * (x - wmean[w])
                    lo[w] = new_lo
                    run[w] = min(run[w], nobs[w])
                    if removed[w] > nobs[w] and nobs[w] > 0:
                        _resum(values, c, new_lo, new_hi, w, ksum, kcomp, wmean, wssd)
                        removed[w] = 0
                    while min_size[w] > 0 and min_buf[w, min_head[w]] < new_lo:
                        min_head[w] = (min_head[w] + 1) % cap
                        min_size[w] -= 1
                    while max_size[w] > 0 and max_buf[w, max_head[w]] < new_lo:
                        max_head[w] = (max_head[w] + 1) % cap
                        max_size[w] -= 1
                row = dest[i]
                if row < 0:
                    continue
                for k in range(n_lags):
                    src = i - lags[k]
                    out[row, base + k] = values[src, c] if src >= a else np.nan
                for w in range(n_win):
                    col = base + n_lags + w * n_aggs
                    n = nobs[w]
                    if window_is_time[w]:
                        n_rows = hi[w] - lo[w]
                    else:
                        n_rows = min(window_sizes[w], offset + (i - a) + 1)
                    for k in range(n_aggs):
                        agg = aggs[k]
                        res = np.nan
                        if agg == AGG_COUNT:
                            if n_rows >= min_periods:
                                res = float(n)
                        elif n >= min_periods and n > 0:
                            if agg == AGG_MEAN:
                                res = last[w] if run[w] >= n else ksum[w] / n
                            elif agg == AGG_SUM:
                                res = ksum[w]
                            elif agg == AGG_STD:
                                if run[w] >= n > 1:
                                    res = 0.0  # all equal: exactly 0
                                elif n > 1:
                                    res = np.sqrt(max(wssd[w], 0.0) / (n - 1))
                            elif agg == AGG_MIN:
                                res = values[min_buf[w, min_head[w]], c]
                            else:
                                res = values[max_buf[w, max_head[w]], c]
                        out[row, col + k] = res
                col = base + n_lags + n_win * n_aggs
                for j in range(n_alpha):
                    if ewm[j, 2] >= min_periods and ewm[j, 2] > 0:
                        out[row, col + j] = ewm[j, 0]
                    else:
                        out[row, col + j] = np.nan


@njit
def _stable_group_order(codes, n_groups, order):
    """``order`` stably re-sorted by ``codes[order]`` (a counting sort, O(n)).

    ``order`` is the row order within groups (e.g. by time); the result
    lists the rows of group 0, then group 1, ..., each in that order.
    """
    counts = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(codes.shape[0]):
        counts[codes[i] + 1] += 1
    for g in range(n_groups):
        counts[g + 1] += counts[g]
    out = np.empty(order.shape[0], dtype=np.intp)
    for i in range(order.shape[0]):
        r = order[i]
        g = codes[r]
        out[counts[g]] = r
        counts[g] += 1
    return out


@njit
def _sort_segments_by_time(order, times, seg_starts):
    """Stably sort the rows of each segment of ``order`` by ``times``.

    Entities are short next to the whole panel, so sorting each one is
    cheaper than a global stable sort; rows already in time order (the
    usual case) are detected and left alone.
    """
    for s in range(seg_starts.shape[0] - 1):
        a, b = seg_starts[s], seg_starts[s + 1]
        ordered = True
        for i in range(a + 1, b):
            if times[order[i]] < times[order[i - 1]]:
                ordered = False
                break
        if ordered:
            continue
        seg = order[a:b].copy()
        key = np.empty(b - a, dtype=times.dtype)
        for i in range(b - a):
            key[i] = times[seg[i]]
        perm = np.argsort(key, kind="mergesort")
        for i in range(b - a):
            order[a + i] = seg[perm[i]]
