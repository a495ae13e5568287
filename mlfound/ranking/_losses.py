"""Ranking losses on scores: the public ``pairwise_loss`` and the linear objective."""

import numbers

import numpy as np

from mlfound.ranking import _pairwise_fast as _fast
from mlfound.ranking._queries import prepare_queries
from mlfound.utils._param_validation import Interval, StrOptions, validate_params
from mlfound.utils.validation import check_array_1d

LOSS_CODES = {
    "ranknet": _fast.RANKNET,
    "hinge": _fast.HINGE,
    "lambdarank": _fast.LAMBDARANK,
    "softmax": _fast.SOFTMAX,
}
# The margin of the pairwise hinge max(0, 1 - (s_i - s_j)).
MARGIN = 1.0


def weight_totals(layout, loss, self_normalize):
    """Normaliser of the data term and the IPS factors to use.

    The normaliser is the total weight of the loss's terms without
    propensities (pair weights ``w_i w_j`` for the pairwise losses, gains
    ``w_i y_i`` for the softmax loss). With ``self_normalize`` the IPS
    factors are rescaled so that the propensity-weighted total equals it.
    """
    if loss == "softmax":
        plain, weighted = _fast.gain_sums(layout.y, layout.row_weight, layout.ips)
    else:
        plain, weighted = _fast.pair_weight_sums(
            layout.y, layout.row_weight, layout.ips, layout.offsets
        )
    ips = layout.ips
    if self_normalize and weighted > 0:
        ips = ips * (plain / weighted)
    return plain, ips


def lambda_weights(layout, scores, k):
    """Per-row NDCG discounts at ``scores`` (sorted order) and ``1 / IDCG@k``."""
    discount = np.empty(layout.y.shape[0])
    inv_idcg = np.empty(layout.n_queries)
    _fast.ndcg_discounts(scores, layout.y, layout.offsets, k, discount, inv_idcg)
    return discount, inv_idcg


_NO_DISCOUNT = np.zeros(1)


@validate_params(
    {
        "y": ["array-like"],
        "scores": ["array-like"],
        "groups": ["array-like", None],
        "loss": [StrOptions(set(LOSS_CODES))],
        "k": [Interval(numbers.Integral, 1, None, closed="left")],
        "sample_weight": ["array-like", None],
        "propensity": ["array-like", None],
        "clip": [Interval(numbers.Real, 0, 1, closed="right"), None],
        "self_normalize": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def pairwise_loss(
    y,
    scores,
    groups=None,
    *,
    loss="ranknet",
    k=10,
    sample_weight=None,
    propensity=None,
    clip=None,
    self_normalize=False,
):
    r"""Ranking loss of scores within queries, and its gradient.

    For the pairwise losses, every pair of documents ``(i, j)`` of one query
    with ``y_i > y_j`` contributes

    - ``"ranknet"``: :math:`\log(1 + e^{-(s_i - s_j)})` (pairwise logistic);
    - ``"hinge"``: :math:`\max(0, 1 - (s_i - s_j))`;
    - ``"lambdarank"``: the RankNet term times :math:`|\Delta
      \mathrm{NDCG@k}_{ij}|`, the change of the query's NDCG@k if ``i`` and
      ``j`` swapped ranks under ``scores`` (linear gain ``y``; tied scores
      are ranked against the more relevant document). The factor is held
      fixed in the gradient: it is LambdaRank's lambda gradient.

    with weight :math:`a_{ij} = w_i w_j \rho_i`, where ``w`` is
    ``sample_weight`` and :math:`\rho_i = 1 / \max(p_i, \mathrm{clip})` the
    inverse propensity of the more relevant (clicked) document. The value is
    :math:`\sum a_{ij} \ell_{ij} / \sum w_i w_j`: with unit weights and no
    propensity, the mean loss over the pairs. ``"softmax"`` is the listwise
    ListNet top-one cross-entropy
    :math:`-\sum_q \sum_i w_i \rho_i y_i \log(e^{s_i} / \sum_j w_j e^{s_j})`
    over :math:`\sum_i w_i y_i`.

    Read more in the :ref:`User Guide <ranking>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Graded relevance (or 0/1 clicks): finite and non-negative.
    scores : array-like of shape (n_samples,)
        Finite scores (higher ranks first).
    groups : array-like of shape (n_samples,), default=None
        Query of each row (any hashable labels; rows of one query need not
        be contiguous). ``None`` means a single query.
    loss : {"ranknet", "hinge", "lambdarank", "softmax"}, default="ranknet"
        The loss.
    k : int, default=10
        Cut-off of the NDCG of ``"lambdarank"``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each row.
    propensity : array-like of shape (n_samples,), default=None
        Examination propensity of each row, in (0, 1]: the more relevant
        document of each pair is weighted by its inverse.
    clip : float in (0, 1], default=None
        Propensities below ``clip`` count as ``clip`` (caps the weights at
        ``1 / clip``).
    self_normalize : bool, default=False
        Rescale the inverse propensities so that the total weight of the
        terms equals the total without propensities.

    Returns
    -------
    value : float
        The normalised loss.
    gradient : ndarray of shape (n_samples,)
        Its derivative with respect to ``scores``.

    Examples
    --------
    The mean pairwise hinge over the 6 ordered pairs of one query:

    >>> from mlfound.ranking import pairwise_loss
    >>> y = [3, 2, 1, 0]
    >>> round(pairwise_loss(y, [0.9, 0.7, 0.4, 0.1], loss="hinge")[0], 4)
    0.55
    >>> round(pairwise_loss(y, [0.2, 0.5, 0.8, 0.9], loss="hinge")[0], 4)
    1.4
    """
    layout = prepare_queries(
        y, groups, sample_weight, propensity, clip=clip, reference="y"
    )
    n = layout.y.shape[0]
    scores = check_array_1d(scores, name="scores", n_samples=n, reference="y")
    sorted_scores = np.ascontiguousarray(scores[layout.order], dtype=np.float64)
    total, ips = weight_totals(layout, loss, self_normalize)
    discount, inv_idcg = _NO_DISCOUNT, _NO_DISCOUNT
    if loss == "lambdarank":
        discount, inv_idcg = lambda_weights(layout, sorted_scores, k)
    grad = np.empty(n)
    value = _fast.loss_on_scores(
        sorted_scores,
        layout.y,
        layout.row_weight,
        ips,
        layout.offsets,
        LOSS_CODES[loss],
        MARGIN,
        discount,
        inv_idcg,
        grad,
    )
    if total <= 0:
        return 0.0, np.zeros(n)
    return float(value / total), layout.unsort(grad / total)


class RankingObjective:
    """``f(w) = sum a_ij l(x_i w - x_j w) / A + ||w||^2 / (2 C A)`` for L-BFGS.

    ``A`` is the total weight without propensities (see
    :func:`weight_totals`), so that ``C`` scales the data term as in
    scikit-learn's ``LogisticRegression`` (``C * sum of losses +
    ||w||^2 / 2``). For ``"lambdarank"`` the NDCG factors are those of
    :meth:`refresh_lambdas` (held fixed between calls to it).
    """

    def __init__(self, X, layout, loss, *, C, k, self_normalize):
        self.X = X
        self.layout = layout
        self.loss = loss
        self.code = LOSS_CODES[loss]
        self.k = k
        self.total, self.ips = weight_totals(layout, loss, self_normalize)
        self.l2 = 0.0 if np.isinf(C) else 1.0 / C
        n = X.shape[0]
        self.scores = np.empty(n)
        self.grad_scores = np.empty(n)
        self.discount, self.inv_idcg = _NO_DISCOUNT, _NO_DISCOUNT

    def refresh_lambdas(self, w):
        """Recompute the LambdaRank NDCG factors at the ranks of ``X @ w``."""
        scores = np.asarray(self.X @ w, dtype=np.float64)
        self.discount, self.inv_idcg = lambda_weights(self.layout, scores, self.k)
        return self.discount

    def __call__(self, w):
        grad = np.empty(w.shape[0])
        layout = self.layout
        value = _fast.loss_gradient_dense(
            self.X,
            w,
            layout.y,
            layout.row_weight,
            self.ips,
            layout.offsets,
            self.code,
            MARGIN,
            self.discount,
            self.inv_idcg,
            self.scores,
            self.grad_scores,
            grad,
        )
        scale = 1.0 / self.total
        value *= scale
        grad *= scale
        if self.l2:
            value += 0.5 * self.l2 * scale * float(w @ w)
            grad += (self.l2 * scale) * w
        return value, grad
