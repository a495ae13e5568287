"""Estimate position bias (examination propensities) from click logs."""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound.utils._dask import any_dask, is_dask_collection
from mlfound.utils._param_validation import (
    Interval,
    StrOptions,
    _fit_context,
)
from mlfound.utils.validation import (
    check_sample_weight,
)
from mlfound.weighting._click_rows import ClickRows
from mlfound.weighting._position_bias_dask import (  # fits on dask arrays
    dask_click_rows,
    predict_position_bias_dask,
)
from mlfound.weighting._position_bias_inference import (
    PositionBiasLikelihoodMixin,
    after_fit,
)
from mlfound.weighting._position_bias_solvers import (
    _solve_em,
    _solve_lbfgs,
    _solve_scoring,
)
from mlfound.weighting._position_inputs import (
    _check_target,
    _describe,
    _factorize_positions,
    _position_codes,
    _position_index,
    _positions_without_impressions,
    _resolve_positions,
)

# Above this many rows, the scoring and L-BFGS solvers first fit a bootstrap
# subsample of this size and start the full-data fit from its solution.
_WARM_START_SIZE = 100_000


class PositionBiasEstimator(
    PositionBiasLikelihoodMixin, ClassifierMixin, BaseEstimator
):
    """Learn examination propensities per position from click logs.

    Fits the position-based click model

    .. math::

        P(\\text{click} \\mid x, k) = \\theta_k \\, \\sigma(x^\\top w + b)

    where :math:`\\theta_k` is the probability that a user examines position
    :math:`k` and :math:`\\sigma(x^\\top w + b)` the probability that the item
    is relevant, without knowing either: both are learned jointly from the
    logged clicks, features and positions. The propensities are normalized so
    that :math:`\\theta_1 = 1` (position 1 is the reference; relevance is the
    click probability an item would have at position 1), and the model
    assumes that no position is examined more often than position 1:
    every :math:`\\theta_k` is bounded by 1. When the fitted propensity of a
    position reaches that bound, a ``UserWarning`` says so, because the
    assumption then probably does not hold (a grid layout, a sticky slot)
    and the estimates of all positions are biased.

    The default solver maximizes the likelihood directly by Fisher scoring (a
    Newton method with the expected, always positive semi-definite Hessian),
    one Numba pass over the data per iteration. Regression-EM (``"em"``,
    alternating E-steps over the examination / relevance posteriors with
    M-steps for :math:`\\theta` and the relevance model) reaches the same
    optimum but needs one to two hundred passes; see the :ref:`User Guide
    <ips>` for measured times. When a randomized bucket of traffic is given
    (``fit(..., randomized=mask)``, lists shown in a random order), the
    propensities are instead estimated directly as click-rate ratios in that
    bucket, and only the relevance model is fitted by maximum likelihood.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    position_column : int, str or None, default=None
        Column of ``X`` holding the 1-based positions (an index, or a column
        name when ``X`` is a DataFrame). The column is not used as a feature,
        and it is ignored at predict time (relevance is position-neutral).
        Give either this or ``positions=`` in :meth:`fit`, not both.
    solver : {"scoring", "lbfgs", "em"}, default="scoring"
        How the model is fitted: ``"scoring"`` is Fisher scoring of the direct
        likelihood, ``"lbfgs"`` L-BFGS on the same likelihood, ``"em"``
        regression-EM with one Newton step for the relevance model per
        M-step.
    C : float, default=1.0
        Inverse strength of the L2 penalty on the relevance coefficients (not
        on the intercept nor the propensities), as in
        :class:`~sklearn.linear_model.LogisticRegression`: the objective is
        ``C * sum_i sample_weight_i * nll_i + ||w||^2 / 2``. ``np.inf`` means
        no penalty.
    fit_intercept : bool, default=True
        Whether the relevance model has an intercept.
    tol : float, default=1e-6
        Stopping tolerance: on the max-norm of the gradient of the mean
        negative log-likelihood (``"scoring"``, ``"lbfgs"``), or on the
        improvement of the mean log-likelihood per iteration (``"em"``).
    max_iter : int, default=300
        Maximum number of iterations (per restart).
    n_init : int, default=1
        Number of starts. The first starts from naive click-rate ratios, the
        others from random propensities and coefficients drawn with
        ``random_state``; the fit with the highest likelihood is kept.
    random_state : int, RandomState instance or None, default=None
        Seed of the random restarts and of the subsample used to warm-start
        fits on more than 100,000 rows.
    n_jobs : int, default=None
        Number of restarts run in parallel (joblib, threads: the kernels
        release the GIL). ``None`` means 1 unless in a
        :class:`joblib.parallel_config` context.

    Attributes
    ----------
    propensity_ : ndarray of shape (`n_positions_`,)
        Estimated examination propensity of each position in `positions_`
        (entry ``i`` for position ``positions_[i]``), with
        ``propensity_[0] == 1`` for position 1. When the positions seen are
        ``1..K`` (the usual case), entry ``k - 1`` is position ``k``. NaN for
        a position whose rows all have zero ``sample_weight``.
    positions_ : ndarray of shape (`n_positions_`,), int64
        The distinct positions seen in fit, sorted. Only these have a
        propensity: a position in a gap (e.g. 3 when 1, 2 and 5 were seen)
        or above the largest one is rejected by :meth:`predict_click_proba`
        and by :class:`IPSReweighter`.
    coef_ : ndarray of shape (1, n_features)
        Coefficients of the relevance model (the position column excluded).
    intercept_ : ndarray of shape (1,)
        Intercept of the relevance model.
    n_positions_ : int
        Number of distinct positions seen in fit (the largest position when
        they are ``1..K``). The model has one propensity per distinct
        position, so its memory does not depend on how large the positions
        are.
    n_iter_ : int
        Number of iterations of the solver on the full data (of the kept
        start).
    classes_ : ndarray of shape (2,)
        ``array([0, 1])``: no click, click.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (the position column
        included).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in fit, when they are all strings.
    loglik_ : float
        Log-likelihood of the click model at the estimates (weighted by
        ``sample_weight``, read as frequency weights; without the penalty).
        :meth:`summary` reports the coefficients and propensities with
        standard errors, :meth:`aic` and :meth:`bic` the information
        criteria.
    n_params_ : int
        Number of estimated parameters: coefficients, intercept and the
        propensities estimated by maximum likelihood.
    nobs_ : float
        Number of observations, the sum of the sample weights.

    See Also
    --------
    IPSReweighter : Fit any estimator with inverse-propensity weights.

    References
    ----------
    .. [1] T. Joachims, A. Swaminathan and T. Schnabel, "Unbiased
       learning-to-rank with biased feedback", WSDM 2017.
    .. [2] X. Wang, N. Golbandi, M. Bendersky, D. Metzler and M. Najork,
       "Position bias estimation for unbiased learning to rank in personal
       search", WSDM 2018.

    Examples
    --------
    >>> from mlfound.datasets import make_click_logs
    >>> from mlfound.weighting import PositionBiasEstimator
    >>> logs = make_click_logs(50_000, random_state=0)
    >>> est = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
    >>> est.propensity_.round(1)
    array([1. , 0.5, 0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1])
    >>> est.predict_proba(logs.X[:2])[:, 1].round(2)  # true: 0.40, 0.26
    array([0.4 , 0.26])
    """

    # fit accepts dask arrays; see _position_bias_dask
    _dask_methods = ("fit",)

    _parameter_constraints: dict = {
        "position_column": [
            Interval(numbers.Integral, 0, None, closed="left"),
            str,
            None,
        ],
        "solver": [StrOptions({"scoring", "lbfgs", "em"})],
        "C": [Interval(numbers.Real, 0, None, closed="right")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_init": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        *,
        position_column=None,
        solver="scoring",
        C=1.0,
        fit_intercept=True,
        tol=1e-6,
        max_iter=300,
        n_init=1,
        random_state=None,
        n_jobs=None,
    ):
        self.position_column = position_column
        self.solver = solver
        self.C = C
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, positions=None, randomized=None, sample_weight=None):
        """Fit the click model and estimate the position propensities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Item features (and the position column when ``position_column``
            is set). A dask array is fitted on the cluster, with the other
            arrays given as dask arrays too (see :ref:`scaling_out`).
        y : array-like of shape (n_samples,)
            Clicks, 0 or 1 (or booleans). Without positions the model is a
            plain binary classifier and any two class labels are accepted.
        positions : array-like of shape (n_samples,), default=None
            1-based position at which each row was shown: integers from 1 to
            ``2**63 - 1`` (whole floats accepted), position 1 included. Give
            either this or ``position_column``. When neither is given, every
            row is taken as shown at one position (no correction, with a
            warning). Positions need not be consecutive: one propensity is
            estimated per distinct position (see `positions_`), and a
            warning lists the positions below the largest one that have no
            impression.
        randomized : array-like of shape (n_samples,) of bool, default=None
            Rows from a randomized bucket (result lists shown in a uniformly
            random order). When given, the propensities are the click-rate
            ratios ``CTR_k / CTR_1`` in that bucket.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the likelihood.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self.__dict__.pop("_dask_passes", None)
        if any_dask(X, y, positions, randomized, sample_weight):
            # the same fit, its sums over rows run per partition on a cluster
            rows = dask_click_rows(self, X, y, positions, randomized, sample_weight)
            self._fit_rows(rows, randomized is not None)
            self._dask_passes = rows.passes[0]
            return self
        rows = self._click_rows(X, y, positions, randomized, sample_weight)
        return self._fit_rows(rows, randomized is not None)

    def decision_function(self, X):
        """Relevance logit ``X @ coef_ + intercept_`` (position-neutral).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features, with the position column if one was used in fit (it is
            ignored).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Logit of the probability that each item is relevant.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_position_bias_dask(self, "decision_function", X)
        X = self._features(X)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X):
        """Position-neutral probability of relevance.

        The probability that each item would be clicked if shown at position
        1 (examination probability 1): the relevance part of the click model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features, with the position column if one was used in fit (it is
            ignored).

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            ``[P(not relevant), P(relevant)]`` per row.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_position_bias_dask(self, "predict_proba", X)
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X):
        """Predict relevance (1 when ``P(relevant) > 0.5``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features, with the position column if one was used in fit.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted relevance, 0 or 1.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_position_bias_dask(self, "predict", X)
        scores = self.decision_function(X)
        return self.classes_[(scores > 0).astype(np.intp)]

    def predict_click_proba(self, X, positions=None):
        """Probability of a click at a given position: ``theta_k * P(relevant)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features (with the position column if one was used in fit).
        positions : array-like of shape (n_samples,), default=None
            Positions at which to predict; read from ``position_column`` when
            ``None``. Each must be one of `positions_` with a finite
            propensity: a position never seen in fit has no estimate and
            raises a ``ValueError`` (no extrapolation).

        Returns
        -------
        proba : ndarray of shape (n_samples,)
            Click probability of each row at its position.

        Examples
        --------
        >>> from mlfound.datasets import make_click_logs
        >>> from mlfound.weighting import PositionBiasEstimator
        >>> logs = make_click_logs(20_000, random_state=0)
        >>> est = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
        >>> est.predict_click_proba(logs.X[:2], positions=[1, 10]).shape
        (2,)
        >>> est.predict_click_proba(logs.X[:1], positions=[11])
        Traceback (most recent call last):
            ...
        ValueError: positions [11] were never seen in fit...
        """
        if any_dask(X, positions):  # per partition, lazily
            return predict_position_bias_dask(self, "predict_click_proba", X, positions)
        check_is_fitted(self)
        Xv = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        Xf, positions = _resolve_positions(
            Xv,
            positions,
            self.position_column,
            getattr(self, "feature_names_in_", None),
            warn=False,
        )
        if positions is None:
            raise ValueError(
                "predict_click_proba needs positions: pass positions= or set "
                "position_column."
            )
        theta = self._propensity_at(positions, name="positions")
        relevance = expit(Xf @ self.coef_[0] + self.intercept_[0])
        return theta * relevance

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # ----------------------------------------------------------------------
    def _propensity_at(self, positions, *, name):
        """``propensity_`` of each of ``positions`` (validated int64 >= 1).

        Raises for a position that has no propensity: one not seen in fit,
        or seen only in rows of zero weight.
        """
        codes = _position_codes(positions, self.positions_)
        known = codes >= 0
        known[known] = np.isfinite(self.propensity_[codes[known]])
        if not np.all(known):
            bad = np.unique(positions[~known])
            listed = bad[:10].tolist()
            more = f" and {bad.size - 10:,} more" if bad.size > 10 else ""
            seen = _describe(self.positions_, self.propensity_)
            raise ValueError(
                f"{name} {listed}{more} were never seen in fit (with an "
                f"impression of non-zero weight), so they have no propensity. "
                f"Positions with a propensity: {seen}."
            )
        return self.propensity_[codes]

    def _features(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if self.position_column is None:
            return X
        idx = _position_index(
            self.position_column, getattr(self, "feature_names_in_", None), X
        )
        return np.delete(X, idx, axis=1)

    def _click_rows(self, X, y, positions, randomized, sample_weight):
        """Validate in-memory fit data; set the label and position attributes."""
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2
        )
        given = positions is not None or self.position_column is not None
        X, positions = _resolve_positions(
            X, positions, self.position_column, getattr(self, "feature_names_in_", None)
        )
        self.classes_, y = _check_target(y, given)
        sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
        # The statistics are sized by the distinct positions seen, never by
        # the largest one: one parameter per observed position.
        codes, self.positions_ = _factorize_positions(positions)
        self.n_positions_ = self.positions_.shape[0]
        if randomized is not None:
            randomized = np.asarray(randomized)
            if randomized.shape != codes.shape or randomized.dtype != np.bool_:
                raise ValueError(
                    f"randomized must be a boolean array of shape {codes.shape}, "
                    f"got dtype {randomized.dtype} and shape {randomized.shape}."
                )
        return ClickRows(
            np.ascontiguousarray(X),
            y.astype(np.float64),
            codes,
            sample_weight,
            self.n_positions_,
            randomized,
        )

    def _fit_rows(self, rows, randomized):
        """Fit on validated ``rows`` (see ``_click_rows``); ``self`` when done."""
        n_positions = self.n_positions_
        counts, clicks = rows.position_sums()
        seen = counts > 0
        if self.positions_[0] != 1 or not seen[0]:
            raise ValueError(
                "positions must include position 1, the reference position "
                "whose propensity is normalized to 1."
            )
        if clicks[0] == 0:
            raise ValueError(
                "There is no click at position 1: the propensities cannot be "
                "normalized to position 1."
            )
        missing, n_missing = _positions_without_impressions(self.positions_, seen)
        if n_missing:
            more = (
                f" and {n_missing - len(missing):,} more"
                if n_missing > len(missing)
                else ""
            )
            warnings.warn(
                f"Positions {missing}{more} have no impression (no row, or "
                f"only rows of zero weight): they get no propensity, and "
                f"predict_click_proba rejects them.",
                UserWarning,
            )
        ctr = np.where(seen, clicks / np.where(seen, counts, 1.0), 0.0)
        log_theta0 = np.log(np.clip(ctr / ctr[0], 1e-3, 1.0))
        free_theta = seen.copy()
        free_theta[0] = False

        if randomized:
            log_theta0, free_theta = self._randomized_propensity(rows, seen)

        rng = check_random_state(self.random_state)
        starts = [(log_theta0, None)]
        for _ in range(1, self.n_init):
            theta = np.where(free_theta, rng.uniform(0.05, 1.0, n_positions), 1.0)
            log_theta = np.where(free_theta, np.log(theta), log_theta0)
            starts.append((log_theta, 0.1 * rng.standard_normal(rows.n_features)))
        warm_rows = None
        if rows.n_samples > 2 * _WARM_START_SIZE and self.solver != "em":
            warm_rows = rows.take(rng.randint(0, rows.n_samples, _WARM_START_SIZE))
        intercept0 = np.log(max(ctr[0], 1e-6) / max(1.0 - ctr[0], 1e-6))
        fits = Parallel(
            n_jobs=self.n_jobs, backend=rows.restart_backend, prefer="threads"
        )(
            delayed(self._fit_one)(
                rows, log_theta, coef, intercept0, free_theta, warm_rows
            )
            for log_theta, coef in starts
        )
        value, coef, intercept, log_theta, n_iter = min(fits, key=lambda f: f[0])
        self.coef_ = coef[None, :]
        self.intercept_ = np.array([intercept])
        self.propensity_ = np.where(seen, np.exp(log_theta), np.nan)
        self.n_iter_ = n_iter
        at_bound = self.positions_[free_theta & (log_theta > -1e-6)]
        if at_bound.size:
            warnings.warn(
                f"The propensity of position(s) {at_bound.tolist()} reached the "
                f"bound theta_k <= theta_1 = 1: the click model assumes position "
                f"1 is examined at least as often as any other. If another "
                f"position is examined more (a grid layout, a sticky slot), the "
                f"estimates are biased: reorder the positions so that the most "
                f"examined one is position 1.",
                UserWarning,
            )
        after_fit(self, rows, free_theta)
        return self

    def _randomized_propensity(self, rows, seen):
        counts, clicks = rows.position_sums(randomized=True)
        if counts[0] == 0 or clicks[0] == 0:
            raise ValueError(
                "The randomized bucket has no click at position 1: its "
                "click-rate ratios cannot be computed."
            )
        in_bucket = counts > 0
        ctr = clicks / np.where(in_bucket, counts, 1.0)
        theta = np.clip(ctr / ctr[0], 1e-6, 1.0)
        # Positions absent from the bucket are still learned from all the data.
        free = seen & ~in_bucket
        return np.log(theta), free

    def _fit_one(self, rows, log_theta, coef, intercept, free_theta, warm_rows):
        """Fit from one start; returns ``(objective, coef, b, log_theta, n_iter)``."""
        n_features = rows.n_features
        params = np.concatenate(
            [
                np.zeros(n_features) if coef is None else coef,
                [intercept if self.fit_intercept else 0.0],
                log_theta,
            ]
        )
        free = np.concatenate(
            [np.ones(n_features, bool), [self.fit_intercept], free_theta]
        )
        solve = {
            "scoring": _solve_scoring,
            "lbfgs": _solve_lbfgs,
            "em": _solve_em,
        }[self.solver]
        options = {"C": self.C, "tol": self.tol, "max_iter": self.max_iter}
        if warm_rows is not None:
            params, _, _ = solve(warm_rows, params, free, warn=False, **options)
        params, value, n_iter = solve(rows, params, free, **options)
        return (
            float(value),
            params[:n_features],
            params[n_features],
            params[n_features + 1 :],
            n_iter,
        )
