"""Kernels that place K-1 ordered cut points on sorted scores.

The rows arrive sorted by score and grouped by distinct score: group ``g``
holds the rows ``starts[g]:starts[g + 1]``. Cut points can only separate
groups (rows with one score get one class), so a choice of cut points is a
non-decreasing class label per group, or equivalently the positions
``0 <= p_0 <= ... <= p_{K-2} <= G`` where ``p_k`` is the number of groups
with class ``<= k``.

The kernels trust their inputs (Numba does no bounds checks): the callers in
``_cut_points.py`` build ``codes`` in ``[0, K)``, ``starts`` increasing from 0
to ``n``, and positions in ``[0, G]``, and check the shapes.
"""

import numpy as np

from mlfound.utils._jit import njit


@njit
def _group_costs(codes, weights, starts, cost):
    """``out[g, c]``: the weighted cost of giving class ``c`` to group ``g``.

    ``sum_{i in g} weights[i] * cost[codes[i], c]``; one pass, O(n K).
    """
    n_groups = starts.shape[0] - 1
    n_classes = cost.shape[0]
    out = np.zeros((n_groups, n_classes))
    for g in range(n_groups):
        for i in range(starts[g], starts[g + 1]):
            w = weights[i]
            row = codes[i]
            for c in range(n_classes):
                out[g, c] += w * cost[row, c]
    return out


@njit
def _monotone_labels(group_costs):
    """The non-decreasing labelling of the groups of least total cost.

    Dynamic program over (group, class): ``D[g, c]`` is the least cost of the
    groups ``0..g`` with group ``g`` in class ``c``, and
    ``D[g, c] = group_costs[g, c] + min_{c' <= c} D[g - 1, c']``; a running
    minimum over ``c`` makes each group O(K). Ties go to the lower class.
    Returns the labels (int64, one per group) and the total cost.
    """
    n_groups, n_classes = group_costs.shape
    table = np.empty((n_groups, n_classes))
    for c in range(n_classes):
        table[0, c] = group_costs[0, c]
    for g in range(1, n_groups):
        best = np.inf
        for c in range(n_classes):
            if table[g - 1, c] < best:
                best = table[g - 1, c]
            table[g, c] = group_costs[g, c] + best
    labels = np.empty(n_groups, dtype=np.int64)
    top = n_classes - 1
    for g in range(n_groups - 1, -1, -1):
        pick = 0
        for c in range(1, top + 1):
            if table[g, c] < table[g, pick]:
                pick = c
        labels[g] = pick
        top = pick
    return labels, table[n_groups - 1, labels[n_groups - 1]]


@njit
def _kappa_ratio(group_sq, group_weight, pair_sq, positions):
    """``num / den`` with ``QWK = 1 - num / den`` for cut ``positions``.

    ``num = sum_i w_i (y_i - c_i)^2``; ``den = sum_c W_c pair_sq[c] / W``
    with ``W_c`` the weight predicted in class ``c`` and ``pair_sq[c] =
    sum_j T_j (j - c)^2`` from the true-class weights ``T``.
    """
    n_groups = group_sq.shape[0]
    num = 0.0
    den = 0.0
    total = 0.0
    label = 0
    for g in range(n_groups):
        while label < positions.shape[0] and positions[label] <= g:
            label += 1
        num += group_sq[g, label]
        den += group_weight[g] * pair_sq[label]
        total += group_weight[g]
    return num / (den / total)


@njit
def _kappa_coordinate_descent(group_sq, group_weight, pair_sq, positions, max_sweeps):
    """Improve the cut ``positions`` for QWK, one cut point at a time.

    Each step moves cut point ``k`` to its best position between its
    neighbours ``p_{k-1}`` and ``p_{k+1}`` (searched exactly: the groups in
    that range change between classes ``k`` and ``k + 1`` only, so running
    sums give every candidate's ``num`` and ``den`` in O(range)). A move is
    taken only when it lowers ``num / den`` by more than a relative 1e-12,
    so the loop ends; it stops at a sweep with no move (a local optimum: no
    single cut point can improve QWK) or after ``max_sweeps`` sweeps.
    Returns the positions (a new array) and the number of sweeps.
    """
    n_groups = group_sq.shape[0]
    n_cuts = positions.shape[0]
    pos = positions.copy()
    total = 0.0
    num_all = 0.0
    den_all = 0.0
    label = 0
    for g in range(n_groups):
        while label < n_cuts and pos[label] <= g:
            label += 1
        total += group_weight[g]
        num_all += group_sq[g, label]
        den_all += group_weight[g] * pair_sq[label]
    sweeps = 0
    for sweep in range(max_sweeps):
        sweeps = sweep + 1
        moved = False
        for k in range(n_cuts):
            lo = pos[k - 1] if k > 0 else 0
            hi = pos[k + 1] if k + 1 < n_cuts else n_groups
            # num and den of the groups outside [lo, hi), whose class is fixed
            num_out = num_all
            den_out = den_all
            for g in range(lo, hi):
                c = k if g < pos[k] else k + 1
                num_out -= group_sq[g, c]
                den_out -= group_weight[g] * pair_sq[c]
            # candidate p = lo: every group of [lo, hi) in class k + 1
            num_in = 0.0
            w_in = 0.0
            for g in range(lo, hi):
                num_in += group_sq[g, k + 1]
                w_in += group_weight[g]
            w_low = 0.0
            current = np.inf
            best = np.inf
            best_p = pos[k]
            best_num = 0.0
            best_den = 0.0
            for p in range(lo, hi + 1):
                if p > lo:
                    g = p - 1  # group g moves from class k + 1 to class k
                    num_in += group_sq[g, k] - group_sq[g, k + 1]
                    w_low += group_weight[g]
                num = num_out + num_in
                den = den_out + w_low * pair_sq[k] + (w_in - w_low) * pair_sq[k + 1]
                value = num / (den / total)
                if p == pos[k]:
                    current = value
                if value < best:
                    best = value
                    best_p = p
                    best_num = num
                    best_den = den
            if best_p != pos[k] and best < current - 1e-12 * abs(current):
                pos[k] = best_p
                num_all = best_num
                den_all = best_den
                moved = True
        if not moved:
            break
    return pos, sweeps
