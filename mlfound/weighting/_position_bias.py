"""Estimate position bias (examination propensities) from click logs."""

import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound._glm._lbfgs import minimize_lbfgs
from mlfound._kernels.factorize import factorize
from mlfound._kernels.groupby import _group_sums
from mlfound.utils._param_validation import (
    Interval,
    StrOptions,
    _fit_context,
)
from mlfound.utils.validation import (
    check_n_classes,
    check_positive_integers,
    check_sample_weight,
)
from mlfound.weighting._position_bias_fast import _em_step, _fisher_step, _nll_grad

# Above this many rows, the scoring and L-BFGS solvers first fit a bootstrap
# subsample of this size and start the full-data fit from its solution.
_WARM_START_SIZE = 100_000

_NO_POSITIONS_MESSAGE = (
    "No positions were given (neither positions= in fit nor position_column): "
    "every row is treated as shown at one position, and no position-bias "
    "correction is made. Pass fit(X, y, positions=...) or set position_column."
)


class PositionBiasEstimator(ClassifierMixin, BaseEstimator):
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
        :func:`joblib.parallel_config` context.

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
            is set).
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
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=2
        )
        given = positions is not None or self.position_column is not None
        X, positions = _resolve_positions(
            X, positions, self.position_column, getattr(self, "feature_names_in_", None)
        )
        if given:
            y = _check_clicks(y)
            self.classes_ = np.array([0, 1])
        else:
            # Without positions the model is a plain binary classifier.
            y_type = type_of_target(y, input_name="y", raise_unknown=True)
            if y_type != "binary":
                raise ValueError(
                    "Only binary classification is supported (clicks 0/1). "
                    f"The type of the target is {y_type}."
                )
            self.classes_, y = np.unique(y, return_inverse=True)
            check_n_classes(self.classes_)
        sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
        # The statistics are sized by the distinct positions seen, never by
        # the largest one: one parameter per observed position.
        codes, self.positions_ = _factorize_positions(positions)
        n_positions = self.positions_.shape[0]
        self.n_positions_ = n_positions
        X = np.ascontiguousarray(X)
        y_float = y.astype(np.float64)
        stats = _group_sums(codes, y_float[:, None], sample_weight, n_positions)
        counts, clicks = stats[:, 0], stats[:, 1:]
        seen = counts > 0
        if self.positions_[0] != 1 or not seen[0]:
            raise ValueError(
                "positions must include position 1, the reference position "
                "whose propensity is normalized to 1."
            )
        if clicks[0, 0] == 0:
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
        ctr = np.where(seen, clicks[:, 0] / np.where(seen, counts, 1.0), 0.0)
        log_theta0 = np.log(np.clip(ctr / ctr[0], 1e-3, 1.0))
        free_theta = seen.copy()
        free_theta[0] = False

        if randomized is not None:
            log_theta0, free_theta = self._randomized_propensity(
                randomized, codes, y_float, sample_weight, n_positions, seen
            )

        rng = check_random_state(self.random_state)
        starts = [(log_theta0, None)]
        for _ in range(1, self.n_init):
            theta = np.where(free_theta, rng.uniform(0.05, 1.0, n_positions), 1.0)
            log_theta = np.where(free_theta, np.log(theta), log_theta0)
            starts.append((log_theta, 0.1 * rng.standard_normal(X.shape[1])))
        warm_rows = None
        if X.shape[0] > 2 * _WARM_START_SIZE and self.solver != "em":
            warm_rows = rng.randint(0, X.shape[0], _WARM_START_SIZE)
        intercept0 = np.log(max(ctr[0], 1e-6) / max(1.0 - ctr[0], 1e-6))
        fits = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(self._fit_one)(
                X,
                y_float,
                codes,
                sample_weight,
                log_theta,
                coef,
                intercept0,
                free_theta,
                warm_rows,
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
        return self

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

    def _randomized_propensity(
        self, randomized, codes, y, sample_weight, n_positions, seen
    ):
        mask = np.asarray(randomized)
        if mask.shape != codes.shape or mask.dtype != np.bool_:
            raise ValueError(
                f"randomized must be a boolean array of shape {codes.shape}, "
                f"got dtype {mask.dtype} and shape {mask.shape}."
            )
        stats = _group_sums(
            np.ascontiguousarray(codes[mask]),
            y[mask][:, None],
            np.ascontiguousarray(sample_weight[mask]),
            n_positions,
        )
        counts, clicks = stats[:, 0], stats[:, 1:]
        if counts[0] == 0 or clicks[0, 0] == 0:
            raise ValueError(
                "The randomized bucket has no click at position 1: its "
                "click-rate ratios cannot be computed."
            )
        in_bucket = counts > 0
        ctr = clicks[:, 0] / np.where(in_bucket, counts, 1.0)
        theta = np.clip(ctr / ctr[0], 1e-6, 1.0)
        # Positions absent from the bucket are still learned from all the data.
        free = seen & ~in_bucket
        return np.log(theta), free

    def _fit_one(
        self, X, y, codes, sw, log_theta, coef, intercept, free_theta, warm_rows
    ):
        """Fit from one start; returns ``(objective, coef, b, log_theta, n_iter)``."""
        n_features = X.shape[1]
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
        if warm_rows is not None:
            params, _, _ = solve(
                X[warm_rows],
                y[warm_rows],
                codes[warm_rows],
                sw[warm_rows],
                params,
                free,
                C=self.C,
                tol=self.tol,
                max_iter=self.max_iter,
                warn=False,
            )
        params, value, n_iter = solve(
            X,
            y,
            codes,
            sw,
            params,
            free,
            C=self.C,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        return (
            value,
            params[:n_features],
            params[n_features],
            params[n_features + 1 :],
            n_iter,
        )


# --------------------------------------------------------------------------
# Solvers. Parameters are packed as (coef, intercept, log theta); ``free``
# marks the entries that are optimised (the others stay at their start).


def _objective(X, y, codes, sw, params, C):
    n_features = X.shape[1]
    coef = params[:n_features]
    value, g_coef, g_b, g_theta = _nll_grad(
        X, y, codes, sw, coef, params[n_features], params[n_features + 1 :], True
    )
    grad = np.concatenate([g_coef, [g_b], g_theta])
    if np.isfinite(C):
        value += 0.5 * (coef @ coef) / C
        grad[:n_features] += coef / C
    return value, grad


def _solve_scoring(X, y, codes, sw, params, free, *, C, tol, max_iter, warn=True):
    """Fisher scoring with backtracking; ``log theta <= 0`` by projection."""
    n_features = X.shape[1]
    n_lin = n_features + 1
    total = sw.sum()
    params = params.copy()

    def evaluate(p):
        value, grad, *info = _fisher_step(
            X, y, codes, sw, p[:n_features], p[n_features], p[n_lin:]
        )
        if np.isfinite(C):
            coef = p[:n_features]
            value += 0.5 * (coef @ coef) / C
            grad[:n_features] += coef / C
            info[0][np.arange(n_features), np.arange(n_features)] += 1.0 / C
        return value, grad, info

    value, grad, info = evaluate(params)
    converged = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        # Propensities at the bound log theta = 0 that want to grow stay there.
        active = free.copy()
        active[n_lin:] &= ~((params[n_lin:] >= 0) & (grad[n_lin:] < 0))
        g = grad[active]
        if np.max(np.abs(g), initial=0.0) <= tol * total:
            converged = True
            n_iter -= 1
            break
        step = _scoring_step(info, active, g)
        t = 1.0
        for _ in range(30):
            candidate = params.copy()
            candidate[active] += t * step
            candidate[n_lin:] = np.minimum(candidate[n_lin:], 0.0)
            new_value, new_grad, new_info = evaluate(candidate)
            if new_value <= value + 1e-4 * t * (g @ step):
                break
            t *= 0.5
        else:
            converged = abs(new_value - value) <= 1e-12 * abs(value)
            break
        decrease = value - new_value
        params, value, grad, info = candidate, new_value, new_grad, new_info
        if decrease <= 1e-14 * abs(value):
            converged = True
            break
    if not converged and warn:
        warnings.warn(
            f"Fisher scoring did not converge in {max_iter} iterations; "
            f"increase max_iter or loosen tol.",
            ConvergenceWarning,
        )
    return params, value, n_iter


# Up to this many positions, the scoring step solves the (small) dense
# system; beyond, it eliminates the positions' diagonal block first, so that
# memory stays linear and time quadratic only in the number of features.
_DENSE_SCORING_POSITIONS = 128


def _scoring_step(info, active, g):
    """Newton direction ``-H^{-1} g`` on the ``active`` parameters.

    ``info`` is the Fisher information as ``(lin, cross, diag)`` blocks (see
    ``_fisher_step``); ``H`` is its active part plus a small ridge.
    """
    lin, cross, diag = info
    n_lin = lin.shape[0]
    active_lin, active_theta = active[:n_lin], active[n_lin:]
    if diag.shape[0] <= _DENSE_SCORING_POSITIONS:
        n_params = n_lin + diag.shape[0]
        dense = np.zeros((n_params, n_params))
        dense[:n_lin, :n_lin] = lin
        dense[n_lin:, :n_lin] = cross
        dense[:n_lin, n_lin:] = cross.T
        dense[np.arange(n_lin, n_params), np.arange(n_lin, n_params)] = diag
        H = dense[np.ix_(active, active)]
        H[np.diag_indices_from(H)] += 1e-10 * (np.trace(H) / max(len(H), 1) + 1.0)
        try:
            return -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return -g / (np.diag(H) + 1e-12)
    # Block elimination: H = [[A, B^T], [B, D]] with D diagonal, so
    # (A - B^T D^-1 B) x_lin = g_lin - B^T D^-1 g_theta and
    # x_theta = D^-1 (g_theta - B x_lin).
    A = lin[np.ix_(active_lin, active_lin)]
    B = cross[np.ix_(active_theta, active_lin)]
    D = diag[active_theta]
    n_active = A.shape[0] + D.shape[0]
    ridge = 1e-10 * ((np.trace(A) + D.sum()) / max(n_active, 1) + 1.0)
    A[np.diag_indices_from(A)] += ridge
    D = D + ridge
    g_lin, g_theta = g[: A.shape[0]], g[A.shape[0] :]
    B_over_D = B / D[:, None]
    try:
        x_lin = np.linalg.solve(A - B.T @ B_over_D, g_lin - B_over_D.T @ g_theta)
    except np.linalg.LinAlgError:
        return -g / (np.concatenate([np.diag(A), D]) + 1e-12)
    x_theta = (g_theta - B @ x_lin) / D
    return -np.concatenate([x_lin, x_theta])


def _solve_lbfgs(X, y, codes, sw, params, free, *, C, tol, max_iter, warn=True):
    """L-BFGS-B on the mean negative log-likelihood (bounds fix non-free entries)."""
    n_lin = X.shape[1] + 1
    total = sw.sum()
    full = params.copy()

    def value_and_grad(p):
        value, grad = _objective(X, y, codes, sw, p, C)
        return value / total, grad / total

    bounds = []
    for j, (p, f) in enumerate(zip(params, free, strict=True)):
        if not f:
            bounds.append((p, p))
        elif j >= n_lin:
            bounds.append((None, 0.0))
        else:
            bounds.append((None, None))
    full[n_lin:] = np.minimum(full[n_lin:], 0.0)
    with warnings.catch_warnings():
        if not warn:
            warnings.simplefilter("ignore", ConvergenceWarning)
        w, n_iter, _ = minimize_lbfgs(
            value_and_grad, full, tol=tol, max_iter=max_iter, bounds=bounds
        )
    value = value_and_grad(w)[0] * total
    return w, value, n_iter


def _solve_em(X, y, codes, sw, params, free, *, C, tol, max_iter, warn=True):
    """Regression-EM: closed-form M-step for theta, one Newton step for w."""
    n_features = X.shape[1]
    n_lin = n_features + 1
    total = sw.sum()
    params = params.copy()
    theta = np.exp(params[n_lin:])
    free_theta = free[n_lin:]
    lin_free = free[:n_lin]
    old = -np.inf
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        loglik, examined, counts, grad, hess = _em_step(
            X, y, codes, sw, params[:n_features], params[n_features], theta, True
        )
        if np.isfinite(C):
            coef = params[:n_features]
            loglik -= 0.5 * (coef @ coef) / C
            grad[:n_features] += coef / C
            hess[np.arange(n_features), np.arange(n_features)] += 1.0 / C
        if (loglik - old) / total <= tol:
            converged = True
            break
        old = loglik
        new_theta = examined / np.where(counts > 0, counts, 1.0)
        theta = np.where(free_theta, np.clip(new_theta, 1e-12, 1.0), theta)
        H = hess[np.ix_(lin_free, lin_free)]
        H[np.diag_indices_from(H)] += 1e-10
        params[:n_lin][lin_free] -= np.linalg.solve(H, grad[lin_free])
    params[n_lin:] = np.log(theta)
    if not converged and warn:
        warnings.warn(
            f"Regression-EM did not converge in {max_iter} iterations; "
            f"increase max_iter or loosen tol.",
            ConvergenceWarning,
        )
    value, _ = _objective(X, y, codes, sw, params, C)
    return params, value, n_iter


# --------------------------------------------------------------------------
# Input helpers shared with IPSReweighter.


def _check_clicks(y):
    """Return clicks as int64 0/1; raise for anything else."""
    y = np.asarray(y)
    if y.dtype == np.bool_:
        y = y.astype(np.int64)
    if y.dtype.kind not in "iuf" or not np.all((y == 0) | (y == 1)):
        values = [v.item() for v in np.unique(y)[:5]]
        raise ValueError(
            f"y must hold clicks coded 0 (no click) or 1 (click) when positions "
            f"are given; got values {values}. Recode the target as 0/1."
        )
    if np.unique(y).shape[0] < 2:
        raise ValueError(
            "y contains a single class (only clicks or only non-clicks): "
            "the click model needs both."
        )
    return y.astype(np.int64)


def _position_index(position_column, feature_names, X):
    """Index of ``position_column`` among the columns of ``X``."""
    if isinstance(position_column, str):
        if feature_names is None:
            raise ValueError(
                f"position_column={position_column!r} is a column name, but X "
                f"has no column names. Pass a pandas DataFrame or an integer "
                f"column index."
            )
        matches = np.flatnonzero(np.asarray(feature_names) == position_column)
        if matches.size == 0:
            raise ValueError(
                f"position_column={position_column!r} is not a column of X "
                f"(columns: {list(feature_names)})."
            )
        return int(matches[0])
    if position_column >= X.shape[1]:
        raise ValueError(
            f"position_column={position_column} is out of range for X with "
            f"{X.shape[1]} columns."
        )
    return int(position_column)


def _resolve_positions(X, positions, position_column, feature_names, warn=True):
    """Split the positions off ``X`` (an array) or check the given ones.

    Returns ``(features, positions)``; positions are int64 >= 1, all ones
    (with a warning) when none are given and ``warn`` is true, ``None`` when
    none are given and ``warn`` is false.
    """
    if positions is not None and position_column is not None:
        raise ValueError(
            "Positions were given twice: as positions= and through "
            f"position_column={position_column!r}. Give only one."
        )
    if position_column is not None:
        idx = _position_index(position_column, feature_names, X)
        positions = X[:, idx]
        X = np.delete(X, idx, axis=1)
    if positions is None:
        if not warn:
            return X, None
        warnings.warn(_NO_POSITIONS_MESSAGE, UserWarning)
        return X, np.ones(X.shape[0], dtype=np.int64)
    positions = check_positive_integers(positions, name="positions")
    if positions.shape != (X.shape[0],):
        raise ValueError(
            f"positions must have shape ({X.shape[0]},), got {positions.shape}."
        )
    return X, np.ascontiguousarray(positions)


def _factorize_positions(positions):
    """``(codes, distinct)``: each row's index in the sorted distinct positions.

    ``positions`` are validated int64 >= 1. Memory and time are linear in the
    number of rows whatever the values: a count table over ``1..max`` when
    the largest position is at most a few times the number of rows (plain
    NumPy, and ``codes == positions - 1`` when ``1..K`` all occur), hashing
    otherwise.
    """
    high = int(positions.max())
    if high <= max(4 * positions.shape[0], 1 << 16):
        present = np.bincount(positions, minlength=high + 1)[1:] > 0
        if present.all():
            return positions - 1, np.arange(1, high + 1)
        code_of = np.cumsum(present) - 1
        return code_of[positions - 1], np.flatnonzero(present) + 1
    codes, distinct = factorize(positions)
    return codes.astype(np.intp), distinct


def _position_codes(positions, distinct):
    """Index of each of ``positions`` in the sorted ``distinct``; -1 if absent."""
    n_distinct = distinct.shape[0]
    if distinct[-1] == n_distinct:  # 1..K
        return np.where(positions <= n_distinct, positions - 1, -1)
    at = np.minimum(np.searchsorted(distinct, positions), n_distinct - 1)
    return np.where(distinct[at] == positions, at, -1)


def _positions_without_impressions(distinct, seen, limit=10):
    """The first ``limit`` positions in ``1..max`` without impression weight.

    Returns them with their total count, found without enumerating the
    range (memory independent of the largest position).
    """
    n_missing = int(distinct[-1]) - distinct.shape[0] + int(np.count_nonzero(~seen))
    if not n_missing:
        return [], 0
    missing = distinct[~seen][:limit].tolist()
    # Gaps between consecutive distinct positions (and before the first).
    previous = np.concatenate([[0], distinct[:-1]])
    for at in np.flatnonzero(distinct - previous > 1)[:limit]:
        start, stop = int(previous[at]) + 1, int(distinct[at])
        missing.extend(range(start, min(stop, start + limit)))
    return sorted(missing)[:limit], n_missing


def _describe(positions, propensity):
    """Short text for the positions that have a propensity."""
    usable = positions[np.isfinite(propensity)]
    if usable.size and usable[-1] - usable[0] + 1 == usable.size:
        return f"{usable[0]}..{usable[-1]}"
    listed = usable[:10].tolist()
    return f"{listed}" + (f" and {usable.size - 10:,} more" if usable.size > 10 else "")
