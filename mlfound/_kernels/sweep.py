"""Sort-once threshold sweep for binary decisions.

A binary decision ``predict positive when score >= t`` changes only when ``t``
crosses one of the observed scores, so the exact optimum of any cost over all
thresholds is found among the distinct scores (plus ``t = +inf``, "flag
nothing"). After one ``argsort`` of the scores, a single pass from the highest
score down accumulates, at every distinct score, the weighted true and false
positives and the total (example-dependent) cost of flagging every sample at
or above it. Samples with tied scores enter together, as one block, because no
threshold can separate them.

The cost of sample ``i`` is ``w_i * C_i[y_i, pred_i]`` with ``C_i`` its own
2x2 cost matrix (``[true][pred]``) or one shared matrix. It is accumulated as
the cost of "flag nothing" plus the sum of ``w_i * (C_i[y_i, 1] - C_i[y_i, 0])``
over the flagged samples.

``threshold_sweep`` is the validated entry point; ``_sweep_sorted`` is the
jitted kernel behind it and ``select_threshold`` picks the optimum under an
optional recall / precision / false-positive-rate constraint.
"""

import numpy as np

from mlfound.utils._jit import njit

__all__ = ["select_threshold", "threshold_sweep"]


@njit
def _sweep_sorted(scores, order, y, weights, costs, per_sample):
    """Cumulative TP, FP and cost at every distinct score, highest first.

    Parameters
    ----------
    scores : float64 array of shape (n,)
    order : int array of shape (n,), ``argsort(scores)`` (ascending).
    y : int8 array of shape (n,), 1 for the positive class, 0 otherwise.
    weights : float64 array of shape (n,).
    costs : float64 array of shape (n, 2, 2) (per-sample) or (1, 2, 2) (shared).
    per_sample : bool
        Whether ``costs`` holds one matrix per sample.

    Returns
    -------
    thresholds, tp, fp, cost : float64 arrays of shape (n_cuts,)
        ``thresholds[0] = inf`` (nothing flagged), then the distinct scores in
        decreasing order; ``tp``/``fp``/``cost`` are the weighted true
        positives, false positives and total cost when every sample with
        ``score >= thresholds[k]`` is flagged.
    n_pos, n_neg : float
        Weighted number of positive and negative samples.
    """
    n = order.shape[0]
    thresholds = np.empty(n + 1, dtype=np.float64)
    tp = np.empty(n + 1, dtype=np.float64)
    fp = np.empty(n + 1, dtype=np.float64)
    cost = np.empty(n + 1, dtype=np.float64)
    thresholds[0] = np.inf
    tp[0] = 0.0
    fp[0] = 0.0
    cost[0] = 0.0
    base = 0.0
    delta = 0.0
    ctp = 0.0
    cfp = 0.0
    m = 0
    for k in range(n - 1, -1, -1):
        i = order[k]
        c = i if per_sample else 0
        w = weights[i]
        t = 1 if y[i] else 0
        base += w * costs[c, t, 0]
        delta += w * (costs[c, t, 1] - costs[c, t, 0])
        if t == 1:
            ctp += w
        else:
            cfp += w
        s = scores[i]
        if k == 0 or scores[order[k - 1]] != s:
            m += 1
            thresholds[m] = s
            tp[m] = ctp
            fp[m] = cfp
            cost[m] = delta
    for j in range(m + 1):
        cost[j] += base
    return thresholds[: m + 1], tp[: m + 1], fp[: m + 1], cost[: m + 1], ctp, cfp


def threshold_sweep(
    y_true, y_score, *, sample_weight=None, cost_matrix=None, sample_cost=None
):
    """Exact cost, TP, FP, recall, precision and FPR at every distinct score.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 (or True) for the positive class, 0 (or False) for the negative
        one; any other value raises a ``ValueError``.
    y_score : array-like of shape (n_samples,)
        Finite scores; a sample is flagged positive when ``score >= threshold``.
    sample_weight : array-like of shape (n_samples,), default=None
        Finite, non-negative weights; ``None`` means all ones.
    cost_matrix : array-like of shape (2, 2), default=None
        ``cost_matrix[i][j]`` is the cost of predicting ``j`` when the truth is
        ``i``. ``None`` means the 0/1 matrix (cost = number of errors).
    sample_cost : array-like of shape (n_samples, 2, 2), default=None
        Per-sample cost matrices; when given they replace ``cost_matrix``.

    Returns
    -------
    sweep : dict
        ``thresholds`` (``inf`` first, then the distinct scores decreasing),
        ``costs`` (total weighted cost), ``tp``, ``fp``, ``recall``,
        ``precision`` (NaN where nothing is flagged), ``fpr``, and the
        weighted class totals ``n_pos``, ``n_neg``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound._kernels.sweep import threshold_sweep
    >>> sweep = threshold_sweep(
    ...     [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], cost_matrix=[[0, 1], [5, 0]]
    ... )
    >>> sweep["thresholds"].tolist()
    [inf, 0.8, 0.4, 0.35, 0.1]
    >>> sweep["costs"].tolist()
    [10.0, 5.0, 6.0, 1.0, 2.0]
    """
    try:
        scores = np.ascontiguousarray(y_score, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"y_score must hold numbers, got {np.asarray(y_score).dtype}."
        ) from exc
    y = np.ascontiguousarray(y_true)
    n = scores.shape[0] if scores.ndim else 0
    if scores.ndim != 1 or y.shape != (n,):
        raise ValueError(
            f"y_true and y_score must be 1-d arrays of the same length, got "
            f"shapes {y.shape} and {scores.shape}."
        )
    if n == 0:
        raise ValueError("y_true and y_score are empty: there is nothing to sweep.")
    if not np.all(np.isfinite(scores)):
        raise ValueError("y_score contains NaN or infinite values.")
    if y.dtype == np.bool_:
        y = y.view(np.int8)
    elif y.dtype.kind not in "iuf" or y.min() < 0 or y.max() > 1:
        raise ValueError(
            "y_true must hold 1 (or True) for the positive class and 0 (or "
            "False) for the negative one; encode other labels as y == pos_label."
        )
    elif y.dtype != np.int8:
        if y.dtype.kind == "f" and np.any((y != 0) & (y != 1)):
            raise ValueError("y_true must hold only 0 and 1.")
        y = y.astype(np.int8)
    if sample_weight is None:
        weights = np.ones(n, dtype=np.float64)
    else:
        weights = np.ascontiguousarray(sample_weight, dtype=np.float64)
        if weights.shape != (n,):
            raise ValueError(
                f"sample_weight has shape {weights.shape}, expected ({n},)."
            )
        if not np.isfinite(weights.sum()) or weights.min() < 0:
            raise ValueError(
                "sample_weight must hold finite, non-negative weights; found NaN, "
                "infinite or negative values."
            )
    if sample_cost is not None:
        costs = np.ascontiguousarray(sample_cost, dtype=np.float64)
        if costs.shape != (n, 2, 2):
            raise ValueError(
                f"sample_cost has shape {costs.shape}, expected ({n}, 2, 2)."
            )
        if not np.all(np.isfinite(costs)) or costs.min() < 0:
            raise ValueError("sample_cost must hold finite, non-negative costs.")
        per_sample = True
    else:
        matrix = (
            np.array([[0.0, 1.0], [1.0, 0.0]])
            if cost_matrix is None
            else np.asarray(cost_matrix, dtype=np.float64)
        )
        if matrix.shape != (2, 2):
            raise ValueError(f"cost_matrix has shape {matrix.shape}, expected (2, 2).")
        if not np.all(np.isfinite(matrix)) or matrix.min() < 0:
            raise ValueError("cost_matrix must hold finite, non-negative costs.")
        costs = np.ascontiguousarray(matrix.reshape(1, 2, 2))
        per_sample = False
    order = np.argsort(scores)
    return _finish(*_sweep_sorted(scores, order, y, weights, costs, per_sample))


@njit
def _rates(tp, fp, n_pos, n_neg):
    """Recall, precision (NaN where nothing is flagged) and FPR of each cut."""
    m = tp.shape[0]
    recall = np.empty(m, dtype=np.float64)
    precision = np.empty(m, dtype=np.float64)
    fpr = np.empty(m, dtype=np.float64)
    for k in range(m):
        recall[k] = tp[k] / n_pos if n_pos > 0 else np.nan
        fpr[k] = fp[k] / n_neg if n_neg > 0 else np.nan
        flagged = tp[k] + fp[k]
        precision[k] = tp[k] / flagged if flagged > 0 else np.nan
    return recall, precision, fpr


# constraint codes of _select
_NONE, _RECALL, _PRECISION, _FPR = 0, 1, 2, 3
_CODES = {"recall": _RECALL, "precision": _PRECISION, "fpr": _FPR}


@njit
def _select(thresholds, costs, recall, precision, fpr, kind, value, default, rtol):
    """Cheapest feasible cut, ties broken toward ``default``; -1 if none."""
    m = costs.shape[0]
    best_cost = np.inf
    found = False
    for k in range(m):
        if kind == 1:
            ok = recall[k] >= value
        elif kind == 2:
            ok = precision[k] >= value
        elif kind == 3:
            ok = fpr[k] <= value
        else:
            ok = True
        if ok and (not found or costs[k] < best_cost):
            best_cost = costs[k]
            found = True
    if not found:
        return -1
    tol = rtol * max(1.0, abs(best_cost))
    best = -1
    best_distance = np.inf
    for k in range(m):
        if kind == 1:
            ok = recall[k] >= value
        elif kind == 2:
            ok = precision[k] >= value
        elif kind == 3:
            ok = fpr[k] <= value
        else:
            ok = True
        if ok and costs[k] <= best_cost + tol:
            distance = abs(thresholds[k] - default)
            if best == -1 or distance < best_distance:
                best = k
                best_distance = distance
    return best


def _finish(thresholds, tp, fp, costs, n_pos, n_neg):
    """Add recall, precision and FPR to the kernel's output."""
    recall, precision, fpr = _rates(tp, fp, n_pos, n_neg)
    return {
        "thresholds": thresholds,
        "costs": costs,
        "tp": tp,
        "fp": fp,
        "recall": recall,
        "precision": precision,
        "fpr": fpr,
        "n_pos": n_pos,
        "n_neg": n_neg,
    }


def select_threshold(sweep, *, constraint=None, default=0.5, rtol=1e-12):
    """Index of the cheapest cut of ``sweep`` that satisfies ``constraint``.

    Parameters
    ----------
    sweep : dict
        The output of :func:`threshold_sweep`.
    constraint : tuple (name, value) or None, default=None
        ``("recall", r)`` keeps cuts with recall >= r, ``("precision", p)``
        cuts with precision >= p (a cut that flags nothing has no precision
        and never satisfies it), ``("fpr", f)`` cuts with FPR <= f.
    default : float, default=0.5
        Among cuts of equal minimal cost (within ``rtol``), the one whose
        threshold is closest to ``default`` is returned.
    rtol : float, default=1e-12
        Relative tolerance under which two costs count as equal.

    Returns
    -------
    index : int
        Index into the arrays of ``sweep``.

    Raises
    ------
    ValueError
        If no cut satisfies the constraint.
    """
    if constraint is None:
        kind, value = _NONE, 0.0
    else:
        name, value = constraint
        if name not in _CODES:
            raise ValueError(
                f"Unknown constraint {name!r}; use 'recall', 'precision' or 'fpr'."
            )
        kind = _CODES[name]
    best = _select(
        sweep["thresholds"],
        sweep["costs"],
        sweep["recall"],
        sweep["precision"],
        sweep["fpr"],
        kind,
        float(value),
        float(default),
        float(rtol),
    )
    if best < 0 and constraint is None:
        raise ValueError(
            "No threshold has a comparable cost: the sweep's costs contain NaN. "
            "Check the weights and costs passed to threshold_sweep."
        )
    if best < 0:
        name = constraint[0]
        raise ValueError(
            f"No threshold satisfies the constraint {name} "
            f"{'<=' if name == 'fpr' else '>='} {value}: the best {name} "
            f"reached on the tuning data is {_best_value(sweep, name):.6g}. Relax "
            f"the constraint, or improve the model; no fallback threshold is used."
        )
    return int(best)


def _best_value(sweep, name):
    values = sweep[name]
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.nan
    return values.min() if name == "fpr" else values.max()
