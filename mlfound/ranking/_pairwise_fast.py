"""Numba kernels of the ranking losses: pairs enumerated within each query.

Memory layout: the rows are sorted once (stably) by query, and within a query
by decreasing relevance, so that query ``q`` holds the rows
``offsets[q]:offsets[q + 1]`` and the documents less relevant than row ``i``
form one contiguous tail of its query. A pair ``(i, j)`` with
``y[i] > y[j]`` is then visited by two nested loops over that tail: no list
of the ``O(m^2)`` pairs of a query of ``m`` documents is ever built, so a
query of thousands of documents costs time but only ``O(n)`` memory (one
score and one score-gradient per row).

Weights: a pair has weight ``row_weight[i] * row_weight[j] * ips[i]`` (times
``|delta NDCG@k|`` for LambdaRank); ``ips`` multiplies the weight of the more
relevant (clicked) document only. Every kernel returns the weighted *sum* of
the losses; the caller normalises.

These kernels trust their inputs (see :mod:`mlfound._kernels`): the validated
entries are :func:`mlfound.ranking.pairwise_loss` and
:class:`mlfound.ranking.LinearRanker`.
"""

import math

import numpy as np

from mlfound.utils._jit import njit

RANKNET, HINGE, LAMBDARANK, SOFTMAX = 0, 1, 2, 3


@njit
def _pair_pass(
    scores, y, row_weight, ips, offsets, loss, margin, discount, inv_idcg, grad
):
    """Weighted sum of the pairwise losses; ``d loss / d scores`` into ``grad``.

    ``loss`` is RANKNET (``log(1 + exp(-(s_i - s_j)))``), HINGE
    (``max(0, margin - (s_i - s_j))``) or LAMBDARANK (RankNet times
    ``|y_i - y_j| * |discount_i - discount_j| * inv_idcg[q]``).
    """
    total = 0.0
    for i in range(grad.shape[0]):
        grad[i] = 0.0
    for q in range(offsets.shape[0] - 1):
        start, stop = offsets[q], offsets[q + 1]
        tail = start
        for i in range(start, stop):
            yi = y[i]
            while tail < stop and y[tail] >= yi:
                tail += 1
            if tail == stop:
                break  # no less relevant document left in this query
            wi = row_weight[i] * ips[i]
            if wi == 0.0:
                continue
            si = scores[i]
            gi = 0.0
            for j in range(tail, stop):
                w = wi * row_weight[j]
                if w == 0.0:
                    continue
                d = si - scores[j]
                if loss == HINGE:
                    slack = margin - d
                    if slack > 0.0:
                        total += w * slack
                        gi -= w
                        grad[j] += w
                    continue
                if loss == LAMBDARANK:
                    w *= abs(yi - y[j]) * abs(discount[i] - discount[j]) * inv_idcg[q]
                    if w == 0.0:
                        continue
                # log(1 + exp(-d)) and its derivative -1 / (1 + exp(d)), from
                # one exponential that cannot overflow
                e = math.exp(-abs(d))
                if d > 0.0:
                    total += w * math.log1p(e)
                    g = -w * e / (1.0 + e)
                else:
                    total += w * (math.log1p(e) - d)
                    g = -w / (1.0 + e)
                gi += g
                grad[j] -= g
            grad[i] += gi
    return total


@njit
def _softmax_pass(scores, y, row_weight, ips, offsets, grad):
    """ListNet top-one cross-entropy, summed over queries.

    Per query the targets are ``a_i = row_weight_i * ips_i * y_i`` and the
    model's top-one probabilities ``p_i = row_weight_i exp(s_i) / Z``; the
    loss is ``-sum_i a_i log(exp(s_i) / Z)`` and its gradient
    ``A p_i - a_i`` with ``A = sum_i a_i``.
    """
    total = 0.0
    for i in range(grad.shape[0]):
        grad[i] = 0.0
    for q in range(offsets.shape[0] - 1):
        start, stop = offsets[q], offsets[q + 1]
        mass = 0.0
        top = -np.inf
        for i in range(start, stop):
            mass += row_weight[i] * ips[i] * y[i]
            if row_weight[i] > 0.0 and scores[i] > top:
                top = scores[i]
        if mass == 0.0:
            continue
        z = 0.0
        for i in range(start, stop):
            if row_weight[i] > 0.0:
                z += row_weight[i] * math.exp(scores[i] - top)
        log_z = top + math.log(z)
        for i in range(start, stop):
            a = row_weight[i] * ips[i] * y[i]
            if a != 0.0:
                total -= a * (scores[i] - log_z)
            if row_weight[i] > 0.0:
                grad[i] = mass * row_weight[i] * math.exp(scores[i] - log_z) - a
            else:
                grad[i] = -a
    return total


@njit
def loss_on_scores(
    scores, y, row_weight, ips, offsets, loss, margin, discount, inv_idcg, grad
):
    """Weighted loss sum of ``scores``; its gradient in ``grad`` (length n)."""
    if loss == SOFTMAX:
        return _softmax_pass(scores, y, row_weight, ips, offsets, grad)
    return _pair_pass(
        scores, y, row_weight, ips, offsets, loss, margin, discount, inv_idcg, grad
    )


@njit
def loss_gradient_dense(
    X,
    w,
    y,
    row_weight,
    ips,
    offsets,
    loss,
    margin,
    discount,
    inv_idcg,
    scores,
    grad_scores,
    grad_w,
):
    """Fused pass: ``scores = X @ w``, the loss, and ``grad_w = X.T @ dL/ds``."""
    n_samples, n_features = X.shape
    for i in range(n_samples):
        s = 0.0
        for f in range(n_features):
            s += np.float64(X[i, f]) * w[f]
        scores[i] = s
    total = loss_on_scores(
        scores, y, row_weight, ips, offsets, loss, margin, discount, inv_idcg,
        grad_scores,
    )  # fmt: skip
    for f in range(n_features):
        grad_w[f] = 0.0
    for i in range(n_samples):
        g = grad_scores[i]
        if g != 0.0:
            for f in range(n_features):
                grad_w[f] += g * np.float64(X[i, f])
    return total


@njit
def pair_weight_sums(y, row_weight, ips, offsets):
    """``(sum w_i w_j, sum w_i w_j ips_i)`` over the pairs with ``y_i > y_j``."""
    plain = 0.0
    weighted = 0.0
    for q in range(offsets.shape[0] - 1):
        start, stop = offsets[q], offsets[q + 1]
        # weight of the documents strictly less relevant than the current block
        below = 0.0
        for i in range(start, stop):
            below += row_weight[i]
        i = start
        while i < stop:
            block = i
            block_weight = 0.0
            block_ips = 0.0
            while block < stop and y[block] == y[i]:
                block_weight += row_weight[block]
                block_ips += row_weight[block] * ips[block]
                block += 1
            below -= block_weight
            plain += block_weight * below
            weighted += block_ips * below
            i = block
    return plain, weighted


@njit
def gain_sums(y, row_weight, ips):
    """``(sum w_i y_i, sum w_i ips_i y_i)``: the softmax loss's totals."""
    plain = 0.0
    weighted = 0.0
    for i in range(y.shape[0]):
        plain += row_weight[i] * y[i]
        weighted += row_weight[i] * ips[i] * y[i]
    return plain, weighted


@njit
def ndcg_discounts(scores, y, offsets, k, discount, inv_idcg):
    """Per-row discount ``1 / log2(rank + 1)`` (0 past ``k``) and ``1 / IDCG@k``.

    Ranks are by decreasing score within each query; tied scores are broken
    against the more relevant document (rows are sorted by decreasing ``y``
    within a query, so the later row of a tie ranks first). ``inv_idcg`` is 0
    for a query without relevance.
    """
    for q in range(offsets.shape[0] - 1):
        start, stop = offsets[q], offsets[q + 1]
        m = stop - start
        reversed_scores = np.empty(m)
        for r in range(m):
            reversed_scores[r] = -scores[stop - 1 - r]
        order = np.argsort(reversed_scores, kind="mergesort")
        for rank0 in range(m):
            row = stop - 1 - order[rank0]
            discount[row] = 1.0 / np.log2(rank0 + 2.0) if rank0 < k else 0.0
        ideal = 0.0
        for r in range(min(m, k)):
            ideal += y[start + r] / np.log2(r + 2.0)
        inv_idcg[q] = 1.0 / ideal if ideal > 0.0 else 0.0
