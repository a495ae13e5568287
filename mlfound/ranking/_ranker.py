"""LinearRanker: a linear scoring model trained on pairs or lists within queries."""

import numbers
import warnings

import numpy as np
import sklearn
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound._glm._lbfgs import minimize_lbfgs
from mlfound.metrics import grouped_ndcg_score
from mlfound.ranking._losses import LOSS_CODES, RankingObjective
from mlfound.ranking._queries import check_relevance, group_codes, prepare_queries
from mlfound.utils._param_validation import Interval, StrOptions, _fit_context
from mlfound.utils._sklearn_compat import default_scoring_routes_into_pipelines
from mlfound.utils._threads import single_threaded_blas

# LambdaRank: at most this many re-rankings (each followed by an L-BFGS run
# with the NDCG factors of the new ranks held fixed).
_MAX_LAMBDA_ROUNDS = 10


class LinearRanker(BaseEstimator):
    """Linear learning-to-rank model: pairwise (RankNet, hinge, LambdaRank) or listwise.

    Scores documents by ``X @ coef_`` and learns ``coef_`` from the order of
    the documents *within* each query (``groups``), which is what a ranking
    metric such as NDCG@k judges, instead of from each document's label on
    its own as a pointwise classifier does. The objective is

    .. math::

        \\frac{1}{A} \\sum_q \\sum_{i, j \\in q,\\, y_i > y_j}
        w_i w_j \\rho_i \\, \\ell(x_i^\\top \\beta - x_j^\\top \\beta)
        + \\frac{\\lVert \\beta \\rVert^2}{2 C A},
        \\qquad A = \\sum_q \\sum_{y_i > y_j} w_i w_j

    (``C`` times the weighted sum of the pair losses plus half the squared
    norm, divided by ``C A``: the convention of scikit-learn's
    ``LogisticRegression`` with pairs in place of samples), with ``w`` the
    sample weights, :math:`\\rho_i` the inverse propensity of the more
    relevant document (1 without ``propensity``) and :math:`\\ell` the
    pairwise loss; see :func:`pairwise_loss` for each loss and for the
    listwise ``"softmax"``. It is minimised by L-BFGS, with the pairs of
    each query enumerated in a Numba kernel (``O(n)`` memory, whatever the
    size of a query).

    There is no intercept: a score shift common to a query's documents
    changes no pair difference and no softmax within a query, so an
    intercept is not identifiable (and ``fit_intercept`` would be
    meaningless). Scores are comparable within a query, not calibrated
    probabilities.

    Unbiased learning to rank from clicks: pass ``y`` = clicks and
    ``propensity`` = the examination propensity of each row's position (for
    example from :class:`~mlfound.weighting.PositionBiasEstimator`); each
    pair (clicked, not clicked) is then weighted by the inverse propensity
    of the clicked document, as in counterfactual learning to rank.

    Read more in the :ref:`User Guide <ranking>`.

    Parameters
    ----------
    loss : {"ranknet", "hinge", "lambdarank", "softmax"}, default="ranknet"
        ``"ranknet"``: pairwise logistic loss; ``"hinge"``: pairwise hinge
        ``max(0, 1 - (s_i - s_j))`` (not smooth: L-BFGS may stop on its line
        search, with a ``ConvergenceWarning``); ``"lambdarank"``: RankNet
        pairs weighted by ``|delta NDCG@k|`` at the current ranks (started
        from the RankNet solution, then re-ranked and refitted with the
        factors held fixed until the ranks stop changing, at most 10
        times); ``"softmax"``: listwise ListNet top-one cross-entropy with
        targets proportional to ``y``.
    C : float, default=1.0
        Inverse strength of the L2 penalty (``np.inf``: none).
    k : int, default=10
        Cut-off of the NDCG used by ``"lambdarank"`` and by :meth:`score`.
    clip : float in (0, 1], default=None
        Propensities below ``clip`` count as ``clip`` (weights at most
        ``1 / clip``). ``None`` does not clip.
    self_normalize : bool, default=False
        Rescale the inverse propensities so that their weighted pair total
        equals the unweighted one (the self-normalised IPS estimate), so
        that ``C`` means the same with and without propensities.
    tol : float, default=1e-4
        L-BFGS tolerance on the max-norm of the gradient.
    max_iter : int, default=200
        Maximum number of L-BFGS iterations (per LambdaRank round).
    verbose : int, default=0
        Print L-BFGS progress when positive.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Scoring coefficients: ``decision_function(X) = X @ coef_``.
    n_iter_ : int
        Number of L-BFGS iterations run (summed over LambdaRank rounds).
    n_queries_ : int
        Number of queries seen in fit.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen in fit, when they are all strings.

    See Also
    --------
    pairwise_loss : The losses and their gradients on given scores.
    mlfound.weighting.PositionBiasEstimator : Estimates the propensities.
    mlfound.metrics.grouped_ndcg_score : The metric of :meth:`score`.

    References
    ----------
    .. [1] C. Burges et al., "Learning to rank using gradient descent",
       ICML 2005 (RankNet).
    .. [2] C. Burges, "From RankNet to LambdaRank to LambdaMART: an
       overview", Microsoft Research Technical Report MSR-TR-2010-82.
    .. [3] Z. Cao, T. Qin, T.-Y. Liu, M.-F. Tsai and H. Li, "Learning to
       rank: from pairwise approach to listwise approach", ICML 2007
       (ListNet).
    .. [4] T. Joachims, A. Swaminathan and T. Schnabel, "Unbiased
       learning-to-rank with biased feedback", WSDM 2017.

    Examples
    --------
    >>> from mlfound.datasets import make_search_logs
    >>> from mlfound.ranking import LinearRanker
    >>> logs = make_search_logs(2000, random_state=0)
    >>> ranker = LinearRanker().fit(logs.X, logs.relevance, groups=logs.query_id)
    >>> ranker.coef_.shape
    (10,)
    >>> bool(ranker.score(logs.X, logs.relevance, groups=logs.query_id) > 0.7)
    True
    """

    _parameter_constraints = {
        "loss": [StrOptions(set(LOSS_CODES))],
        "C": [Interval(numbers.Real, 0, None, closed="right")],
        "k": [Interval(numbers.Integral, 1, None, closed="left")],
        "clip": [Interval(numbers.Real, 0, 1, closed="right"), None],
        "self_normalize": ["boolean"],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        loss="ranknet",
        C=1.0,
        k=10,
        clip=None,
        self_normalize=False,
        tol=1e-4,
        max_iter=200,
        verbose=0,
    ):
        self.loss = loss
        self.C = C
        self.k = k
        self.clip = clip
        self.self_normalize = self_normalize
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None, sample_weight=None, propensity=None):
        """Fit the ranker on the documents ``X`` with relevance ``y`` per query.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Document features (one row per query-document pair).
        y : array-like of shape (n_samples,)
            Graded relevance (0, 1, 2, ...) or clicks (0/1): finite and
            non-negative. Only the order within a query matters.
        groups : array-like of shape (n_samples,), default=None
            Query of each row: any hashable labels (numbers, strings); rows
            of one query need not be contiguous. ``None`` means one query.
            Routed as metadata (``set_fit_request(groups=True)``) inside a
            ``Pipeline`` or ``GridSearchCV``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative row weights; a pair weighs the product of its two
            rows' weights (so a weight of 2 equals repeating the row).
        propensity : array-like of shape (n_samples,), default=None
            Examination propensity of each row, in (0, 1]: a pair is
            weighted by the inverse propensity of its more relevant
            (clicked) document.

        Returns
        -------
        self : LinearRanker
            The fitted ranker.
        """
        X, y = validate_data(
            self,
            X,
            y,
            dtype=[np.float64, np.float32],
            order="C",
            ensure_min_samples=2,
            y_numeric=True,
        )
        layout = prepare_queries(
            y, groups, sample_weight, propensity, clip=self.clip, n_samples=X.shape[0]
        )
        X = np.ascontiguousarray(X[layout.order])
        objective = RankingObjective(
            X, layout, self.loss, C=self.C, k=self.k, self_normalize=self.self_normalize
        )
        if objective.total <= 0:
            raise ValueError(
                "y has no two documents of different relevance (with non-zero "
                "sample_weight) within one query: there is nothing to rank. "
                "Check groups and y."
                if self.loss != "softmax"
                else "y is 0 for every document (with non-zero sample_weight): "
                "the softmax loss needs some relevance."
            )
        self.n_queries_ = layout.n_queries
        self.coef_, self.n_iter_ = self._solve(objective, X.shape[1])
        return self

    def decision_function(self, X):
        """Ranking scores ``X @ coef_`` (higher first; compare within a query).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Document features.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The score of each document.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return X @ self.coef_.astype(X.dtype, copy=False)

    def predict(self, X):
        """Ranking scores, as :meth:`decision_function`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Document features.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The score of each document.
        """
        return self.decision_function(X)

    def score(self, X, y, groups=None, sample_weight=None):
        """Mean NDCG@k over the queries (:func:`~mlfound.metrics.grouped_ndcg_score`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Document features.
        y : array-like of shape (n_samples,)
            True relevance (finite, non-negative).
        groups : array-like of shape (n_samples,), default=None
            Query of each row (``None``: one query). Routed as metadata with
            ``set_score_request(groups=True)``.
        sample_weight : None
            Not supported (every query counts once in the mean); present so
            that a ``Pipeline`` can pass its default ``None``.

        Returns
        -------
        score : float
            Mean NDCG@k in [0, 1] (a query without relevant document
            counts 0).
        """
        if sample_weight is not None:
            raise ValueError(
                "LinearRanker.score does not take sample_weight: NDCG@k is "
                "averaged over queries, each counting once. Score a subset of "
                "the queries instead."
            )
        if groups is None:
            self._warn_if_requested_groups_are_missing()
        scores = self.decision_function(X)
        y = check_relevance(y, n_samples=scores.shape[0])
        codes = group_codes(groups, scores.shape[0])
        return grouped_ndcg_score(y, scores, query_id=codes, k=self.k)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------------------------ helpers

    def _warn_if_requested_groups_are_missing(self):
        """Warn when groups were requested for score but did not arrive.

        Scoring every row as one query gives a plausible but wrong NDCG,
        so a request that was set and not met is said out loud.
        """
        if not sklearn.get_config()["enable_metadata_routing"]:
            return
        if not self.get_metadata_routing().score.requests.get("groups"):
            return
        message = (
            "LinearRanker.score requested groups (set_score_request) but got "
            "none, so all rows are scored as one query. Pass groups to the "
            "call that scores"
        )
        if not default_scoring_routes_into_pipelines():
            message += (
                "; inside a Pipeline under GridSearchCV or cross_validate, "
                "scikit-learn < 1.8 does not route groups to a step's score "
                "with scoring=None: give scoring a scorer that requests groups "
                "(make_scorer(...).set_score_request(groups=True))"
            )
        warnings.warn(message + ".", UserWarning, stacklevel=3)

    def _solve(self, objective, n_features):
        w = np.zeros(n_features)
        options = {"tol": self.tol, "max_iter": self.max_iter, "verbose": self.verbose}
        with single_threaded_blas():
            if self.loss != "lambdarank":
                w, n_iter, _ = minimize_lbfgs(objective, w, **options)
                return w, n_iter
            # Start from RankNet (at w = 0 every score ties and the NDCG
            # factors say nothing), then re-rank and refit with fixed factors.
            objective.code = LOSS_CODES["ranknet"]
            w, n_iter, _ = minimize_lbfgs(objective, w, **options)
            objective.code = LOSS_CODES["lambdarank"]
            previous = None
            for _ in range(_MAX_LAMBDA_ROUNDS):
                discount = objective.refresh_lambdas(w).copy()
                if previous is not None and np.array_equal(discount, previous):
                    break
                previous = discount
                w, more, _ = minimize_lbfgs(objective, w, **options)
                n_iter += more
        return w, n_iter
