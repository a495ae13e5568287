"""Cumulative link models for ordered labels (proportional odds and friends)."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound._glm._cumulative_link import (
    LINKS,
    CumulativeLinkLoss,
    link_cdf,
)
from mlfound._glm._lbfgs import minimize_lbfgs
from mlfound._glm._newton import minimize_newton
from mlfound._glm._penalties import make_penalty
from mlfound.ordinal._ordinal_dask import fit_ordinal_dask, predict_ordinal_dask
from mlfound.ordinal._ordinal_effects import (
    dense_columns,
    resolve_columns,
)
from mlfound.ordinal._ordinal_inference import OrdinalLikelihoodMixin
from mlfound.utils._dask import any_dask, is_dask_collection
from mlfound.utils._param_validation import (
    Interval,
    StrOptions,
    _fit_context,
)
from mlfound.utils.validation import (
    check_n_classes,
    check_ordinal_target,
    check_sample_weight,
    check_sparse_structure,
    ordinal_categories,
)

# Above this many parameters the (d + K - 1)^2 Hessian is no longer "small":
# solver="auto" then uses L-BFGS.
_NEWTON_MAX_PARAMS = 500


class OrdinalLogisticRegression(OrdinalLikelihoodMixin, ClassifierMixin, BaseEstimator):
    """Cumulative link model for ordered classes (ordinal logistic regression).

    The model is ``P(y <= k | x) = F(theta_k - x @ coef_)`` for the classes
    ``k = 0..K-2`` in their order, where ``F`` is the cumulative distribution
    function chosen by ``link`` and ``theta_0 < ... < theta_{K-2}`` are the
    cut points (``thresholds_``). With the logistic link this is the
    proportional odds model. One coefficient vector is shared by all
    classes, so the model spends ``d + K - 1`` parameters where a
    multinomial classifier spends ``K (d + 1)``, and a prediction that is one
    class off is treated as closer than one that is four classes off.

    The cut points are parametrised as ``theta_k = theta_{k-1} + exp(c_k)``,
    so they are ordered by construction, and the model is fitted by maximum
    (penalised) likelihood; the unpenalised fit (``C=np.inf``) is the MLE
    that statsmodels' ``OrderedModel`` computes.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    link : {"logit", "probit", "cloglog", "loglog", "cauchit"}, default="logit"
        The cumulative distribution ``F`` of the latent noise:
        logistic (proportional odds), standard normal, complementary log-log
        ``1 - exp(-exp(z))`` (proportional hazards), log-log
        ``exp(-exp(-z))`` and Cauchy (heavy tails, robust to outliers).
    C : float, default=1.0
        Inverse of the L2 regularisation strength, as in scikit-learn's
        ``LogisticRegression``: the objective is ``sum_i s_i * -log
        P(y_i | x_i) + ||coef_||^2 / (2 C)``. ``C=np.inf`` fits the
        unpenalised maximum-likelihood model. The cut points are never
        penalised.
    categories : "auto" or array-like of shape (n_classes,), default="auto"
        The labels from lowest to highest. ``"auto"`` uses the order of an
        ordered pandas ``Categorical`` target, or else sorts the labels,
        which must then be numeric (or boolean): string labels need an
        explicit order. Every listed category must occur in ``y``.
    solver : {"auto", "newton", "lbfgs"}, default="auto"
        ``"newton"``: Newton's method on the exact Hessian (one pass over the
        data per iteration computes value, gradient and Hessian), which
        reaches the maximum-likelihood estimate to machine precision in a
        handful of iterations. ``"lbfgs"``: L-BFGS on value and gradient,
        for many features (the Hessian has ``(d + K - 1)^2`` entries).
        ``"auto"`` uses Newton up to 500 parameters and L-BFGS beyond.
    tol : float, default=1e-4
        Stop when the max-norm of the gradient of the *mean* objective is
        below ``tol``. The Newton solver then takes one last Newton step
        (no extra pass over the data).
    max_iter : int, default=100
        Maximum number of solver iterations. 0 runs none: ``coef_`` is 0,
        the cut points are those of the intercept-only model, ``n_iter_`` is
        0 and a ``ConvergenceWarning`` is issued, as in scikit-learn's
        ``LogisticRegression``.
    verbose : int, default=0
        Print the solver's progress when positive.
    nominal : array-like of int or str, or None, default=None
        Columns with *nominal effects* (partial proportional odds): instead
        of one slope they get one coefficient per cut point, added to the
        cut points as in R's ``clm(y ~ x, nominal = ~ z)``:
        ``P(y <= k | x) = F(theta_k + z @ nominal_coef_[k] - x @ coef_)``.
        Column indices, feature names (for a DataFrame) or a boolean mask.
        Such models can give crossing cumulative probabilities for inputs
        far from the training data: prediction then warns and rearranges
        them. Test proportional odds with :func:`likelihood_ratio_test`.
    scale : array-like of int or str, or None, default=None
        Columns with *scale effects*: the latent noise has scale
        ``exp(s @ scale_coef_)`` (R's ``clm(..., scale = ~ s)``), so
        ``P(y <= k | x) = F((theta_k - x @ coef_) / exp(s @ scale_coef_))``.
        Scale columns keep their location slope. A column cannot be both
        nominal and scale.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, lowest first.
    coef_ : ndarray of shape (n_features,)
        The slopes ``beta`` of the latent score ``x @ coef_``; a positive
        coefficient moves the sample towards the higher classes.
    thresholds_ : ndarray of shape (n_classes - 1,)
        The increasing cut points ``theta_k``: ``P(y <= k) = F(theta_k -
        x @ coef_)``. They play the role of the intercept (one per class
        boundary), which is why there is no ``intercept_`` and no
        ``fit_intercept``: a constant column in ``X`` would shift all cut
        points by the same amount and cannot be identified.
    nominal_features_ : ndarray of shape (n_nominal,)
        Indices of the nominal columns (their ``coef_`` entries are 0).
    nominal_coef_ : ndarray of shape (n_classes - 1, n_nominal)
        Threshold-specific coefficients of the nominal columns.
    scale_features_ : ndarray of shape (n_scale,)
        Indices of the scale columns.
    scale_coef_ : ndarray of shape (n_scale,)
        Log-linear scale coefficients.
    loglik_ : float
        Log-likelihood at the estimates (without the penalty; weighted by
        ``sample_weight``).
    n_params_ : int
        Number of estimated parameters (slopes, cut points, nominal and
        scale coefficients), as counted by :meth:`aic` and :meth:`bic`.
    nobs_ : float
        Number of observations (the sum of the sample weights).
    n_iter_ : int
        Number of solver iterations.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    CumulativeBinaryClassifier : Ordinal model from any binary classifier.
    likelihood_ratio_test : Compare nested fits, e.g. proportional odds.
    sklearn.linear_model.LogisticRegression : Unordered (multinomial) classes.

    Notes
    -----
    ``predict`` returns the most probable class (minimum expected 0-1 loss);
    :meth:`predict_median` returns the median of the predicted distribution,
    which minimises the expected absolute class error. :meth:`latent_score`
    returns ``x @ coef_``. There is no ``decision_function``: scikit-learn
    expects one score per class from it.

    With ``C=np.inf`` on separable data (a class boundary perfectly explained
    by the features) the maximum-likelihood estimate does not exist: the
    likelihood increases for ever while the coefficients and cut points grow.
    The fit then warns with a ``ConvergenceWarning`` naming the separated
    boundaries, whether the solver hit ``max_iter`` or stopped because the
    gradient vanished (a linear program confirms that such a direction
    exists); use a finite ``C``.

    :meth:`summary` prints the coefficient table (estimates, standard errors,
    Wald tests, confidence intervals) with the cut points on their own scale
    (the delta method through ``theta_k = theta_{k-1} + exp(c_k)``);
    :meth:`covariance` gives the inverse of the exact Hessian (of the
    penalised objective when ``C`` is finite) or the sandwich covariance.
    Above 500 parameters fit skips the Hessian and :meth:`summary` raises.

    References
    ----------
    .. [1] P. McCullagh, "Regression models for ordinal data", Journal of the
       Royal Statistical Society, Series B, 42(2), 109-142, 1980.
    .. [2] A. Agresti, "Analysis of Ordinal Categorical Data", 2nd ed.,
       Wiley, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.datasets import make_star_ratings
    >>> from mlfound.ordinal import OrdinalLogisticRegression
    >>> data = make_star_ratings(2000, n_features=3, random_state=0)
    >>> model = OrdinalLogisticRegression(C=np.inf).fit(data.X, data.y)
    >>> model.classes_
    array([1, 2, 3, 4, 5])
    >>> model.thresholds_.shape
    (4,)
    >>> bool(np.all(np.diff(model.thresholds_) > 0))
    True
    >>> model.predict_proba(data.X[:2]).sum(axis=1)
    array([1., 1.])
    >>> print(model.summary().to_frame().round(2).iloc[:, :4])
         coef  std err      z  P>|z|
    x0   1.79     0.06  29.91    0.0
    x1   0.41     0.04   9.46    0.0
    x2   1.02     0.05  20.59    0.0
    1|2 -2.22     0.08 -29.57    0.0
    2|3 -0.65     0.06 -11.25    0.0
    3|4  0.77     0.06  13.20    0.0
    4|5  2.39     0.08  30.21    0.0
    """

    # fit accepts dask arrays and DataFrames; see _ordinal_dask
    _dask_methods = ("fit",)

    _parameter_constraints: dict = {
        "link": [StrOptions(set(LINKS))],
        "C": [Interval(Real, 0, None, closed="right")],
        "categories": [StrOptions({"auto"}), "array-like"],
        "solver": [StrOptions({"auto", "newton", "lbfgs"})],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["verbose"],
        "nominal": [None, "array-like"],
        "scale": [None, "array-like"],
    }

    def __init__(
        self,
        *,
        link="logit",
        C=1.0,
        categories="auto",
        solver="auto",
        tol=1e-4,
        max_iter=100,
        verbose=0,
        nominal=None,
        scale=None,
    ):
        self.link = link
        self.C = C
        self.categories = categories
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose
        self.nominal = nominal
        self.scale = scale

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by maximum (penalised) likelihood.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. The index arrays of sparse input are checked
            (column indices within ``[0, n_features)``, a consistent
            ``indptr``); int32 and int64 indices are both accepted.
        y : array-like of shape (n_samples,)
            Ordered labels (see ``categories``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight of ``k`` counts as ``k`` copies
            of the row.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if any_dask(X, y, sample_weight):  # exact fit on a cluster
            return fit_ordinal_dask(self, X, y, sample_weight)
        categories = ordinal_categories(y, self.categories)
        check_sparse_structure(X)
        X, y = validate_data(
            self, X, y, accept_sparse="csr", dtype=np.float64, y_numeric=False
        )
        sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
        self.classes_, codes = check_ordinal_target(y, categories)
        n_classes = check_n_classes(self.classes_)
        counts = np.bincount(codes, weights=sample_weight, minlength=n_classes)
        if np.any(counts <= 0):
            empty = self.classes_[counts <= 0].tolist()
            raise ValueError(
                f"The class(es) {empty!r} have zero total sample_weight: their cut "
                f"points cannot be estimated. Give them positive weights or "
                f"drop those rows."
            )
        names = getattr(self, "feature_names_in_", None)
        self.nominal_features_ = resolve_columns(
            self.nominal, "nominal", X.shape[1], names
        )
        self.scale_features_ = resolve_columns(self.scale, "scale", X.shape[1], names)
        both = np.intersect1d(self.nominal_features_, self.scale_features_)
        if both.size:
            raise ValueError(
                f"The columns {both.tolist()} are both in nominal and in scale: "
                f"a nominal column already has a coefficient per cut point, "
                f"and with a scale effect too the model is not identifiable. "
                f"Keep each column in one of them."
            )
        self._fit_params(X, codes, sample_weight, n_classes)
        return self

    def predict_proba(self, X):
        """Class probabilities ``P(y = k | x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes in the order of ``classes_``.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_ordinal_dask(self, "predict_proba", X)
        cum = self.predict_cumulative_proba(X)
        n = cum.shape[0]
        upper = np.hstack([cum, np.ones((n, 1))])
        lower = np.hstack([np.zeros((n, 1)), cum])
        return np.clip(upper - lower, 0.0, 1.0)

    def predict_cumulative_proba(self, X):
        """Cumulative probabilities ``P(y <= k | x)`` for ``k < n_classes - 1``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        cum_proba : ndarray of shape (n_samples, n_classes - 1)
            Non-decreasing along each row; ``P(y <= classes_[-1]) = 1`` is
            left out.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_ordinal_dask(self, "predict_cumulative_proba", X)
        X = self._validate_X(X)
        eta = np.asarray(X @ self.coef_, dtype=np.float64).reshape(-1, 1)
        cuts = np.broadcast_to(self.thresholds_, (eta.shape[0], self.thresholds_.size))
        if self.nominal_features_.size:
            Z = dense_columns(X, self.nominal_features_)
            cuts = cuts + Z @ self.nominal_coef_.T
        arg = cuts - eta
        if self.scale_features_.size:
            log_scale = dense_columns(X, self.scale_features_) @ self.scale_coef_
            arg = arg * np.exp(-np.clip(log_scale, -700.0, 700.0))[:, None]
        cum = link_cdf(arg, self.link)
        if self.nominal_features_.size:
            crossed = np.any(np.diff(cuts, axis=1) < 0, axis=1)
            if crossed.any():
                warnings.warn(
                    f"The nominal effects give decreasing cut points (crossing "
                    f"cumulative probabilities, i.e. negative class "
                    f"probabilities) for {int(crossed.sum())} of "
                    f"{crossed.size} rows: their nominal features lie outside "
                    f"the range where the fitted model is a valid distribution. "
                    f"Their cumulative probabilities were rearranged "
                    f"(sorted); consider the proportional odds model (no "
                    f"nominal=) for such inputs.",
                    UserWarning,
                    stacklevel=2,
                )
                cum = np.sort(cum, axis=1)
        return cum

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of the classes.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_ordinal_dask(self, "predict_log_proba", X)
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Most probable class (minimum expected 0-1 loss).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_ordinal_dask(self, "predict", X)
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_median(self, X):
        """Median class of the predicted distribution.

        The smallest class ``k`` with ``P(y <= k | x) >= 1/2``: the
        prediction that minimises the expected absolute class error
        (:func:`mlfound.metrics.mean_absolute_class_error`).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_ordinal_dask(self, "predict_median", X)
        check_is_fitted(self)
        cum = self.predict_cumulative_proba(X)
        return self.classes_[np.sum(cum < 0.5, axis=1)]

    def latent_score(self, X):
        """Latent score ``x @ coef_``: higher means a higher class.

        The class is ``k`` when the score plus the link's noise falls between
        ``thresholds_[k-1]`` and ``thresholds_[k]``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        score : ndarray of shape (n_samples,)
            The latent scores.
        """
        if is_dask_collection(X):  # per partition, lazily
            return predict_ordinal_dask(self, "latent_score", X)
        X = self._validate_X(X)
        return np.asarray(X @ self.coef_, dtype=np.float64).reshape(-1)

    def _validate_X(self, X):
        check_is_fitted(self)
        check_sparse_structure(X)
        return validate_data(
            self, X, accept_sparse="csr", dtype=np.float64, reset=False
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        # One shared slope vector cannot separate scikit-learn's toy
        # multiclass blobs, whose classes are not ordered along one direction.
        tags.classifier_tags.poor_score = True
        return tags

    def _fit_params(self, X, codes, sample_weight, n_classes):
        """Run the solver; set the coefficients, cut points and inference."""
        location, penalty = self._location_and_penalty(
            X.shape[1], n_classes, float(sample_weight.sum())
        )
        loss = CumulativeLinkLoss(
            X,
            codes,
            sample_weight,
            n_classes,
            self.link,
            penalty,
            location=location,
            Z=dense_columns(X, self.nominal_features_)
            if self.nominal_features_.size
            else None,
            S=dense_columns(X, self.scale_features_)
            if self.scale_features_.size
            else None,
        )
        self._solve(loss, location)
        self._separated = []
        if penalty is None or penalty.l2 == 0:
            self._warn_if_separated(X, codes, sample_weight, n_classes)

    def _location_and_penalty(self, n_columns, n_classes, sw_sum):
        """Mask of the location columns and the L2 penalty of the fit."""
        location = np.ones(n_columns, dtype=bool)
        location[self.nominal_features_] = False
        n_cuts = n_classes - 1
        n_coef = (
            int(location.sum())
            + n_cuts * self.nominal_features_.size
            + self.scale_features_.size
        )
        return location, make_penalty(self.C, 0.0, sw_sum, n_penalized=n_coef)

    def _solve(self, loss, location):
        """Minimise ``loss``; store the parameters and the inference state."""
        solver = self.solver
        if solver == "auto":
            solver = "newton" if loss.n_params <= _NEWTON_MAX_PARAMS else "lbfgs"
        minimize = minimize_newton if solver == "newton" else minimize_lbfgs
        objective = loss.value_grad_hess if solver == "newton" else loss.value_and_grad
        w, n_iter, _ = minimize(
            objective,
            loss.initial_params(),
            tol=self.tol,
            max_iter=self.max_iter,
            verbose=self.verbose,
        )
        beta, G, gamma, theta = loss.split(w)
        self.coef_ = np.zeros(location.shape[0])
        self.coef_[location] = beta
        self.thresholds_ = theta
        self.nominal_coef_ = G.copy()
        self.scale_coef_ = gamma.copy()
        # n_iter_ >= 1 whenever the solver ran (scikit-learn's convention);
        # max_iter=0 runs nothing and reports 0.
        self.n_iter_ = max(int(n_iter), 1) if self.max_iter > 0 else 0
        self.n_params_ = int(loss.n_params)
        self.nobs_ = loss.sw_sum
        self._information(loss, w)
