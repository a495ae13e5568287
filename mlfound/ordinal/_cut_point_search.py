"""Exact search of K-1 ordered cut points on scores for an ordinal loss."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mlfound.ordinal._cut_points_fast import (
    _group_costs,
    _kappa_coordinate_descent,
    _monotone_labels,
)

# QWK coordinate descent: every sweep that moves a cut point lowers 1 - QWK,
# so the loop ends; the cap only guards against pathological slow progress.
_MAX_SWEEPS = 1000


def _absolute_cost(n_classes):
    """The MAE cost matrix ``|true - pred|`` on class ranks."""
    ranks = np.arange(n_classes, dtype=np.float64)
    return np.abs(ranks[:, None] - ranks[None, :])


def _learn_cut_points(scores, codes, weights, n_classes, loss):
    """Ordered cut points on ``scores`` that minimise ``loss``.

    Parameters
    ----------
    scores : ndarray of shape (n,), float64
        Finite scores (out-of-fold regression predictions).
    codes : ndarray of shape (n,), int64
        True class ranks in ``[0, n_classes)``.
    weights : ndarray of shape (n,), float64
        Non-negative row weights; rows of weight 0 are ignored.
    n_classes : int
        Number of classes ``K`` (at least 2).
    loss : "qwk" or ndarray of shape (K, K)
        A cost matrix indexed ``[true][pred]`` (``"mae"`` is passed as
        :func:`_absolute_cost`), minimised exactly; or ``"qwk"``, maximised
        by coordinate descent from the MAE optimum (a local optimum).

    Returns
    -------
    cut_points : ndarray of shape (K - 1,)
        Non-decreasing; a score ``s`` gets the class rank
        ``#{k : cut_points[k] < s}``.
    loss_value : float
        Mean cost per unit weight at the cut points, or ``1 - QWK``.
    n_sweeps : int
        Coordinate-descent sweeps (0 for a cost matrix).
    """
    keep = weights > 0
    if not np.all(keep):
        scores, codes, weights = scores[keep], codes[keep], weights[keep]
    if scores.shape[0] == 0:
        raise ValueError(
            "No row with an out-of-fold prediction has a positive sample "
            "weight: the cut points cannot be learned. Give those rows "
            "positive weights or use a splitter whose test folds cover them."
        )
    order = np.argsort(scores, kind="stable")
    scores = scores[order]
    codes = np.ascontiguousarray(codes[order], dtype=np.int64)
    weights = np.ascontiguousarray(weights[order], dtype=np.float64)
    # group g holds the rows starts[g]:starts[g + 1] (one distinct score)
    starts = np.r_[0, np.flatnonzero(np.diff(scores) != 0) + 1, scores.shape[0]]
    starts = starts.astype(np.int64)
    values = scores[starts[:-1]]
    if not (codes.min() >= 0 and codes.max() < n_classes):  # kernel safety
        raise ValueError("class codes out of range")  # pragma: no cover

    cost = _absolute_cost(n_classes) if isinstance(loss, str) else loss
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    labels, total = _monotone_labels(_group_costs(codes, weights, starts, cost))
    ks = np.arange(n_classes - 1)
    positions = np.searchsorted(labels, ks, side="right").astype(np.int64)
    loss_value = total / weights.sum()
    n_sweeps = 0

    if isinstance(loss, str):  # "qwk"
        true_weight = np.bincount(codes, weights=weights, minlength=n_classes)
        if np.count_nonzero(true_weight) < 2:
            raise ValueError(
                "The rows with out-of-fold predictions hold one class only: "
                "quadratic weighted kappa is undefined. Use a splitter whose "
                "test folds cover several classes, or loss='mae'."
            )
        square = _absolute_cost(n_classes) ** 2
        group_sq = _group_costs(codes, weights, starts, square)
        group_weight = np.add.reduceat(weights, starts[:-1])
        pair_sq = square @ true_weight
        positions, n_sweeps = _kappa_coordinate_descent(
            group_sq, group_weight, pair_sq, positions, _MAX_SWEEPS
        )
        if n_sweeps == _MAX_SWEEPS:  # pragma: no cover - never seen
            warnings.warn(
                f"The QWK cut-point search stopped after {_MAX_SWEEPS} sweeps "
                f"before reaching a point no single move improves.",
                ConvergenceWarning,
            )
        pred = np.repeat(
            _labels_from_positions(positions, values.shape[0]), np.diff(starts)
        )
        loss_value = 1.0 - _weighted_kappa(codes, pred, weights, n_classes)
    return _cut_values(positions, values), float(loss_value), int(n_sweeps)


def _labels_from_positions(positions, n_groups):
    """Class rank of each group: the number of positions ``<= g``."""
    return np.searchsorted(positions, np.arange(n_groups), side="right")


def _weighted_kappa(true, pred, weights, n_classes):
    """Quadratic weighted kappa of class ranks (the formula, written out)."""
    observed = np.zeros((n_classes, n_classes))
    np.add.at(observed, (true, pred), weights)
    total = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total
    square = _absolute_cost(n_classes) ** 2
    return 1.0 - (square * observed).sum() / (square * expected).sum()


def _cut_values(positions, values):
    """Score values of cut positions between the sorted distinct ``values``.

    A cut at position ``p`` lies in ``[values[p - 1], values[p])`` (the
    midpoint where it is representable), so that ``#{k : cut[k] < s}`` gives
    every score the class rank chosen for its group; below all scores it is
    half a class below the lowest, above all half a class above the highest.
    """
    n_groups = values.shape[0]
    cuts = np.empty(positions.shape[0])
    for k, p in enumerate(positions):
        if p == 0:
            cut = values[0] - 0.5
            if not cut < values[0]:  # huge scores: 0.5 is below their spacing
                cut = np.nextafter(values[0], -np.inf)
        elif p == n_groups:
            cut = values[-1] + 0.5
        else:
            low, high = values[p - 1], values[p]
            cut = low / 2 + high / 2
            if not low <= cut < high:
                cut = low
        cuts[k] = cut
    return cuts
