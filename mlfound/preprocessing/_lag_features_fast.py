"""Numba kernels of :class:`mlfound.preprocessing.LagFeatures`.

Rows are never copied into sorted order. :func:`_group_time_order` returns
``order``, the rows sorted stably by (entity, time): one counting-sort pass
over the rows writes each row number and its time into its entity's slots,
then each entity's slots (contiguous, a few hundred at most in a usual
panel, so they sit in the caches) are sorted by time on their own, skipped
when already in order. Entity ``s`` holds the sorted positions
``seg_starts[s]:seg_starts[s + 1]``.

:func:`_lag_window_features` then takes one entity at a time: it gathers
the entity's values of one column into a small buffer (the only read of
the unsorted rows) and makes one tight pass over the buffer per feature
(each lag, each window, each EWM weight), the state of the pass in local
variables. Every feature of sorted row ``i`` is written straight into the
output row ``dest[i]`` (the row's place in ``X``): there is no sorted copy
of the values and no scatter back.

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

# Entities up to this length are sorted by insertion; longer ones by merging
# runs of this length.
_RUN = 16


# ------------------------------------------------------------------- sorting


@njit
def _group_time_order(codes, n_groups, times, by_time):
    """Rows sorted stably by ``(codes, times)``; ``times`` unused unless ``by_time``.

    ``codes`` are in ``[0, n_groups)`` with ``n_groups <= len(codes) + 1``
    (the caller checks), so the counting arrays follow the data. Returns
    ``(order, sorted_times, seg_starts, seg_groups)``: the sorted row
    numbers, their times (empty unless ``by_time``), the start of each
    non-empty group's run and the end of the last, and each run's group.
    """
    n = codes.shape[0]
    pos = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        pos[codes[i] + 1] += 1
    n_seg = 0
    for g in range(n_groups):
        if pos[g + 1] > 0:
            n_seg += 1
        pos[g + 1] += pos[g]
    seg_starts = np.empty(n_seg + 1, dtype=np.intp)
    seg_groups = np.empty(n_seg, dtype=np.intp)
    s = 0
    for g in range(n_groups):
        if pos[g + 1] > pos[g]:
            seg_starts[s] = pos[g]
            seg_groups[s] = g
            s += 1
    seg_starts[n_seg] = n
    order = np.empty(n, dtype=np.intp)
    key = np.empty(n if by_time else 0, dtype=times.dtype)
    for i in range(n):
        g = codes[i]
        p = pos[g]
        order[p] = i
        if by_time:
            key[p] = times[i]
        pos[g] = p + 1
    if by_time:
        _sort_runs_by_key(key, order, seg_starts)
    return order, key, seg_starts, seg_groups


@njit
def _sort_runs_by_key(key, order, seg_starts):
    """Stably sort each run ``[seg_starts[s], seg_starts[s + 1])`` by ``key``.

    ``order`` moves with ``key``. Runs already in order (the usual case of
    data logged in time order) are left alone; short runs are sorted by
    insertion, long ones by a bottom-up merge sort over runs of ``_RUN``
    insertion-sorted rows, with scratch space the size of the longest run.
    """
    longest = 0
    for s in range(seg_starts.shape[0] - 1):
        longest = max(longest, seg_starts[s + 1] - seg_starts[s])
    scratch_key = np.empty(longest if longest > _RUN else 0, dtype=key.dtype)
    scratch_idx = np.empty(longest if longest > _RUN else 0, dtype=order.dtype)
    for s in range(seg_starts.shape[0] - 1):
        a, b = seg_starts[s], seg_starts[s + 1]
        ordered = True
        for i in range(a + 1, b):
            if key[i] < key[i - 1]:
                ordered = False
                break
        if ordered:
            continue
        for r in range(a, b, _RUN):
            _insertion_sort(key, order, r, min(r + _RUN, b))
        width = _RUN
        src_key, src_idx = key[a:b], order[a:b]
        dst_key, dst_idx = scratch_key[: b - a], scratch_idx[: b - a]
        in_scratch = False
        while width < b - a:
            for lo in range(0, b - a, 2 * width):
                mid = min(lo + width, b - a)
                hi = min(lo + 2 * width, b - a)
                _merge(src_key, src_idx, dst_key, dst_idx, lo, mid, hi)
            src_key, dst_key = dst_key, src_key
            src_idx, dst_idx = dst_idx, src_idx
            in_scratch = not in_scratch
            width *= 2
        if in_scratch:
            key[a:b] = src_key
            order[a:b] = src_idx


@njit
def _insertion_sort(key, idx, a, b):
    for i in range(a + 1, b):
        k, v = key[i], idx[i]
        j = i - 1
        while j >= a and key[j] > k:
            key[j + 1] = key[j]
            idx[j + 1] = idx[j]
            j -= 1
        key[j + 1] = k
        idx[j + 1] = v


@njit
def _merge(src_key, src_idx, dst_key, dst_idx, lo, mid, hi):
    """Merge the sorted ``src[lo:mid]`` and ``src[mid:hi]`` into ``dst[lo:hi]``.

    Ties take the left run first: the merge is stable.
    """
    i, j = lo, mid
    for k in range(lo, hi):
        if j >= hi or (i < mid and src_key[j] >= src_key[i]):
            dst_key[k] = src_key[i]
            dst_idx[k] = src_idx[i]
            i += 1
        else:
            dst_key[k] = src_key[j]
            dst_idx[k] = src_idx[j]
            j += 1


# ---------------------------------------------------------------- history


@njit
def _ewm_consume(x, alpha, mean, weight, n_obs):
    """``(mean, weight, n_obs)`` after adding ``x`` (NaN: missing), as pandas.

    A NaN mean means no observation yet. ``adjust=True`` and
    ``ignore_na=False``: a missing value still ages the earlier ones.
    """
    observed = x == x
    if observed:
        n_obs += 1.0
    if mean == mean:
        weight *= 1.0 - alpha
        if observed:
            if mean != x:
                mean = (weight * mean + x) / (weight + 1.0)
            weight += 1.0
    elif observed:
        mean = x
        weight = 1.0
    return mean, weight, n_obs


@njit
def _ewm_states(values, order, seg_starts, n_consumed, alphas, states):
    """``states[s, c, j]``: EWM state after the first ``n_consumed[s]`` rows."""
    n_cols = values.shape[1]
    for s in range(seg_starts.shape[0] - 1):
        a = seg_starts[s]
        for c in range(n_cols):
            for j in range(alphas.shape[0]):
                mean, weight, n_obs = np.nan, 1.0, 0.0
                for i in range(a, a + n_consumed[s]):
                    mean, weight, n_obs = _ewm_consume(
                        values[order[i], c], alphas[j], mean, weight, n_obs
                    )
                states[s, c, j, 0] = mean
                states[s, c, j, 1] = weight
                states[s, c, j, 2] = n_obs


@njit
def _tail_lengths(times, seg_starts, n_rows_needed, span):
    """Rows each entity keeps as history for a later ``transform``.

    At least the last ``n_rows_needed`` rows (lags, row windows, EWM), and
    every row whose time (``times`` in sorted order) is within ``span`` of
    the entity's last time (time windows; ``span < 0``: none, and ``times``
    is not read), capped by the entity's length.
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


# ----------------------------------------------------------------- features


@njit
def _lag_window_features(
    values,
    order,
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
    """All lag, window and EWM features of every row.

    ``values[order[i]]`` is sorted row ``i``; ``times[i]`` its time (read
    by time windows only). Output columns of value column ``c`` start at
    ``c * n_per_column``: the lags, then ``aggs`` of each window in turn,
    then the EWM means.
    """
    n_cols = values.shape[1]
    n_lags = lags.shape[0]
    n_win = window_sizes.shape[0]
    n_aggs = aggs.shape[0]
    n_alpha = alphas.shape[0]
    per_col = n_lags + n_win * n_aggs + n_alpha
    # (flags read from an array, not assigned from constants: a constant
    # would be typed as a literal and compile the callees twice)
    need = np.zeros(AGG_MAX + 1, dtype=np.bool_)
    for k in range(n_aggs):
        if 0 <= aggs[k] < need.shape[0]:
            need[aggs[k]] = True
    need_sum = need[AGG_MEAN] | need[AGG_SUM]  # mean and sum share the sums
    need_std, need_min, need_max = need[AGG_STD], need[AGG_MIN], need[AGG_MAX]
    n_seg = seg_starts.shape[0] - 1
    longest = 0
    for s in range(n_seg):
        longest = max(longest, seg_starts[s + 1] - seg_starts[s])
    cap = max(deque_cap, 1)
    x = np.empty(longest)
    t = np.empty(longest if window_is_time.any() else 0, dtype=np.int64)
    rows = np.empty(longest, dtype=np.intp)
    qmin = np.empty(cap if need_min else 0, dtype=np.int64)
    qmax = np.empty(cap if need_max else 0, dtype=np.int64)
    for s in range(n_seg):
        a, b = seg_starts[s], seg_starts[s + 1]
        m = b - a
        for i in range(m):
            rows[i] = dest[a + i]
        if t.shape[0] > 0:
            for i in range(m):
                t[i] = times[a + i]
        for c in range(n_cols):
            for i in range(m):
                x[i] = values[order[a + i], c]
            base = c * per_col
            for k in range(n_lags):
                _lag(x, rows, m, lags[k], out, base + k)
            for w in range(n_win):
                _window(
                    x,
                    t,
                    rows,
                    m,
                    seg_offsets[s],
                    window_sizes[w],
                    window_is_time[w],
                    min_shift,
                    aggs,
                    need_sum,
                    need_std,
                    need_min,
                    need_max,
                    min_periods,
                    qmin,
                    qmax,
                    out,
                    base + n_lags + w * n_aggs,
                )
            for j in range(n_alpha):
                _ewm(
                    x,
                    rows,
                    m,
                    alphas[j],
                    min_shift,
                    min_periods,
                    ewm_init[s, c, j, 0],
                    ewm_init[s, c, j, 1],
                    ewm_init[s, c, j, 2],
                    out,
                    base + n_lags + n_win * n_aggs + j,
                )


@njit
def _lag(x, rows, m, lag, out, col):
    for i in range(m):
        row = rows[i]
        if row >= 0:
            out[row, col] = x[i - lag] if i >= lag else np.nan


@njit
def _ewm(x, rows, m, alpha, min_shift, min_periods, mean, weight, n_obs, out, col):
    for i in range(m):
        if i >= min_shift:
            mean, weight, n_obs = _ewm_consume(
                x[i - min_shift], alpha, mean, weight, n_obs
            )
        row = rows[i]
        if row >= 0:
            if n_obs >= min_periods and n_obs > 0:
                out[row, col] = mean
            else:
                out[row, col] = np.nan


@njit
def _push(q, head, size, x, r, sign):
    """Push row ``r`` on the monotone deque ``q``; return the new size.

    ``sign=1.0`` keeps the minimum at the front, ``-1.0`` the maximum (the
    products are exact).
    """
    cap = q.shape[0]
    v = sign * x[r]
    while size > 0:
        back = head + size - 1
        if back >= cap:
            back -= cap
        if sign * x[q[back]] >= v:
            size -= 1
        else:
            break
    slot = head + size
    if slot >= cap:
        slot -= cap
    q[slot] = r
    return size + 1


@njit
def _window(
    x,
    t,
    rows,
    m,
    offset,
    size,
    is_time,
    min_shift,
    aggs,
    need_sum,
    need_std,
    need_min,
    need_max,
    min_periods,
    qmin,
    qmax,
    out,
    col,
):
    """One rolling window (rows or time span) over one entity's buffer."""
    n_aggs = aggs.shape[0]
    cap = max(qmin.shape[0], qmax.shape[0])
    lo = hi = 0
    nobs = 0
    ksum = kcomp = wmean = wssd = 0.0
    run = 0
    last = np.nan
    removed = 0
    min_head = min_size = max_head = max_size = np.int64(0)  # not literals
    for i in range(m):
        if is_time:
            ti = t[i]
            new_hi = hi
            while new_hi < i and t[new_hi] < ti:
                new_hi += 1
            start = ti - size
            new_lo = lo
            while new_lo < new_hi and t[new_lo] < start:
                new_lo += 1
        else:
            new_hi = max(0, i - min_shift + 1)
            new_lo = max(0, i - min_shift - size + 1)
        # rows entering the window
        for r in range(hi, new_hi):
            v = x[r]
            if v != v:
                continue
            nobs += 1
            run = run + 1 if v == last else 1
            last = v
            if need_sum:
                y = v - kcomp
                tot = ksum + y
                kcomp = (tot - ksum) - y
                ksum = tot
            if need_std:
                delta = v - wmean
                wmean += delta / nobs
                wssd += delta * (v - wmean)
            if need_min:
                min_size = _push(qmin, min_head, min_size, x, r, 1.0)
            if need_max:
                max_size = _push(qmax, max_head, max_size, x, r, -1.0)
        hi = new_hi
        # rows leaving the window
        for r in range(lo, new_lo):
            v = x[r]
            if v != v:
                continue
            nobs -= 1
            removed += 1
            if nobs == 0:
                ksum = kcomp = wmean = wssd = 0.0
                continue
            if need_sum:
                y = -v - kcomp
                tot = ksum + y
                kcomp = (tot - ksum) - y
                ksum = tot
            if need_std:
                delta = v - wmean
                wmean -= delta / nobs
                wssd -= delta * (v - wmean)
        lo = new_lo
        run = min(run, nobs)
        if removed > nobs and nobs > 0:
            # re-sum from the rows: see the module docstring
            ksum, kcomp, wmean, wssd = _resum(x, lo, hi, need_std)
            removed = 0
        while min_size > 0 and qmin[min_head] < lo:
            min_head = min_head + 1 if min_head + 1 < cap else 0
            min_size -= 1
        while max_size > 0 and qmax[max_head] < lo:
            max_head = max_head + 1 if max_head + 1 < cap else 0
            max_size -= 1
        row = rows[i]
        if row < 0:
            continue
        n = nobs
        if is_time:
            n_rows = hi - lo
        else:
            n_rows = min(size, offset + i + 1)
        for k in range(n_aggs):
            agg = aggs[k]
            res = np.nan
            if agg == AGG_COUNT:
                if n_rows >= min_periods:
                    res = float(n)
            elif n >= min_periods and n > 0:
                if agg == AGG_MEAN:
                    res = last if run >= n else ksum / n
                elif agg == AGG_SUM:
                    res = ksum
                elif agg == AGG_STD:
                    if run >= n > 1:
                        res = 0.0  # all equal: exactly 0
                    elif n > 1:
                        res = np.sqrt(max(wssd, 0.0) / (n - 1))
                elif agg == AGG_MIN:
                    res = x[qmin[min_head]]
                else:
                    res = x[qmax[max_head]]
            out[row, col + k] = res


@njit
def _resum(x, lo, hi, with_ssd):
    """A window's Kahan sum and compensation, mean and squared deviations.

    Called once as many values have left the window as it holds, so the
    cost is amortized O(1) per row, and the rounding errors of the running
    updates never build up over more than two windows' worth of rows.
    """
    total = 0.0
    comp = 0.0
    n = 0
    for r in range(lo, hi):
        v = x[r]
        if v == v:
            y = v - comp
            tt = total + y
            comp = (tt - total) - y
            total = tt
            n += 1
    mean = total / n
    ssd = 0.0
    if with_ssd:  # (unused unless the window has a standard deviation)
        for r in range(lo, hi):
            v = x[r]
            if v == v:
                ssd += (v - mean) * (v - mean)
    return total, comp, mean, ssd
