"""Nominal and scale effects of the cumulative link model: columns, names, tests.

Helpers of :class:`~mlfound.ordinal.OrdinalLogisticRegression`: resolving the
``nominal=`` and ``scale=`` column selections, naming the parameters for the
summary, moving the covariance from the solver's parameters to the reported
ones, and the likelihood-ratio test of nested fits (e.g. proportional odds
against nominal effects).
"""

import math
import warnings
from collections import namedtuple
from numbers import Integral

import numpy as np
from scipy import stats
from sklearn.utils.validation import check_is_fitted


def resolve_columns(value, name, n_features, feature_names):
    """Column indices selected by ``value`` (None, indices, names or a mask)."""
    if value is None:
        return np.empty(0, dtype=np.int64)
    if isinstance(value, str | Integral) or np.ndim(value) == 0:
        raise TypeError(
            f"{name} must be a list of column indices or feature names, got "
            f"{value!r}; wrap a single column in a list: {name}=[{value!r}]."
        )
    items = list(value)
    if not items:
        return np.empty(0, dtype=np.int64)
    if all(isinstance(v, str) for v in items):
        if feature_names is None:
            raise ValueError(
                f"{name} names columns ({items!r}) but X has no feature names: "
                f"pass a pandas DataFrame or select the columns by index."
            )
        lookup = {str(f): j for j, f in enumerate(feature_names)}
        missing = [v for v in items if v not in lookup]
        if missing:
            raise ValueError(
                f"{name} names columns {missing!r} that are not in X; its "
                f"columns are {list(lookup)!r}."
            )
        columns = [lookup[v] for v in items]
    elif all(isinstance(v, bool | np.bool_) for v in items):
        if len(items) != n_features:
            raise ValueError(
                f"{name} as a boolean mask needs one entry per feature "
                f"({n_features}), got {len(items)}."
            )
        columns = np.flatnonzero(items).tolist()
    elif all(isinstance(v, Integral) and not isinstance(v, bool) for v in items):
        columns = [int(v) for v in items]
        bad = [v for v in columns if not 0 <= v < n_features]
        if bad:
            raise ValueError(
                f"{name} holds column indices {bad!r} outside [0, {n_features}) "
                f"for X with {n_features} features."
            )
    else:
        raise TypeError(
            f"{name} must hold column indices (int), feature names (str) or a "
            f"boolean mask, got {items!r}."
        )
    if len(set(columns)) != len(columns):
        raise ValueError(f"{name} lists a column more than once: {items!r}.")
    return np.asarray(columns, dtype=np.int64)


def dense_columns(X, columns):
    """The selected columns of dense or CSR ``X`` as a C-contiguous array."""
    block = X[:, columns]
    if hasattr(block, "toarray"):
        block = block.toarray()
    return np.ascontiguousarray(block, dtype=np.float64)


def parameter_names(model):
    """Names of the reported parameters, in the order of ``summary()``."""
    names = (
        [str(f) for f in model.feature_names_in_]
        if hasattr(model, "feature_names_in_")
        else [f"x{j}" for j in range(model.n_features_in_)]
    )
    labels = [str(c) for c in model.classes_]
    cuts = [f"{lo}|{hi}" for lo, hi in zip(labels[:-1], labels[1:], strict=True)]
    location = np.setdiff1d(np.arange(model.n_features_in_), model.nominal_features_)
    return (
        [names[j] for j in location]
        + [f"scale({names[j]})" for j in model.scale_features_]
        + cuts
        + [f"{names[j]}:{cut}" for cut in cuts for j in model.nominal_features_]
    )


def reporting_jacobian(c, n_location, n_nominal_coef, n_scale):
    """Jacobian of the reported parameters with respect to the solver's.

    The solver's vector is ``[beta, G, gamma, c]``; the reported one is
    ``[beta, gamma, theta, G]`` with ``theta_0 = c_0`` and ``theta_k =
    theta_{k-1} + exp(c_k)``.
    """
    m = c.shape[0]
    n = n_location + n_nominal_coef + n_scale + m
    e = np.exp(c)
    e[0] = 1.0
    J = np.zeros((n, n))
    rows = 0

    def block(row, col, value):
        J[row : row + value.shape[0], col : col + value.shape[1]] = value

    block(rows, 0, np.eye(n_location))
    rows += n_location
    block(rows, n_location + n_nominal_coef, np.eye(n_scale))
    rows += n_scale
    block(rows, n - m, np.tril(np.ones((m, m))) * e)
    rows += m
    block(rows, n_location, np.eye(n_nominal_coef))
    return J


LikelihoodRatioResult = namedtuple(
    "LikelihoodRatioResult", ["statistic", "df", "pvalue"]
)


def likelihood_ratio_test(restricted, full):
    """Likelihood-ratio test of a model against a larger model that nests it.

    The statistic ``2 (loglik_full - loglik_restricted)`` is referred to a
    chi-squared distribution with as many degrees of freedom as the full
    model has extra parameters. The test of proportional odds compares
    ``OrdinalLogisticRegression()`` (restricted) with
    ``OrdinalLogisticRegression(nominal=[...])`` (full) on the same data, as
    R's ``anova(fm1, fm.nom)`` does; scale effects are tested the same way.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    restricted, full : fitted likelihood models
        Estimators with ``loglik_``, ``n_params_`` and ``nobs_`` (such as
        :class:`OrdinalLogisticRegression`), fitted to the same observations
        without a penalty (``C=np.inf``); ``full`` must have more parameters.
        That ``full`` nests ``restricted`` is the caller's responsibility.

    Returns
    -------
    result : LikelihoodRatioResult
        A named tuple ``(statistic, df, pvalue)``.

    Warns
    -----
    UserWarning
        When a model was fitted with an L2 penalty (finite ``C``): the
        statistic then has no chi-squared distribution.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.datasets import make_star_ratings
    >>> from mlfound.ordinal import OrdinalLogisticRegression, likelihood_ratio_test
    >>> data = make_star_ratings(500, n_features=2, random_state=0)
    >>> po = OrdinalLogisticRegression(C=np.inf).fit(data.X, data.y)
    >>> ppo = OrdinalLogisticRegression(C=np.inf, nominal=[1]).fit(data.X, data.y)
    >>> result = likelihood_ratio_test(po, ppo)
    >>> result.df
    3
    >>> bool(np.isclose(result.statistic, 2 * (ppo.loglik_ - po.loglik_)))
    True
    """
    for name, model in (("restricted", restricted), ("full", full)):
        if not all(hasattr(model, a) for a in ("loglik_", "n_params_", "nobs_")):
            check_is_fitted(model)
            raise TypeError(
                f"{name} must be a fitted likelihood model with loglik_, "
                f"n_params_ and nobs_, got {type(model).__name__}."
            )
        C = getattr(model, "C", np.inf)
        if isinstance(C, float | int) and math.isfinite(C):
            warnings.warn(
                f"The {name} model was fitted with an L2 penalty (C={C}): the "
                f"likelihood-ratio statistic has a chi-squared distribution "
                f"only for maximum-likelihood fits; refit with C=np.inf.",
                UserWarning,
                stacklevel=2,
            )
    if not np.isclose(restricted.nobs_, full.nobs_, rtol=1e-12):
        raise ValueError(
            f"The two models were fitted to different data (nobs_ "
            f"{restricted.nobs_:g} and {full.nobs_:g}): a likelihood-ratio "
            f"test compares fits to the same observations."
        )
    df = int(full.n_params_ - restricted.n_params_)
    if df <= 0:
        raise ValueError(
            f"full must have more parameters than restricted, got "
            f"{full.n_params_} and {restricted.n_params_}; swap the arguments."
        )
    statistic = 2.0 * (full.loglik_ - restricted.loglik_)
    pvalue = float(stats.chi2.sf(max(statistic, 0.0), df))
    return LikelihoodRatioResult(float(statistic), df, pvalue)
