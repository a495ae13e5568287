"""Likelihood summaries shared by the models fitted by maximum likelihood.

An estimator fitted by (penalised) maximum likelihood inherits
:class:`LikelihoodMixin` and provides, once fitted:

``loglik_`` : float
    The log-likelihood at the estimates (without the penalty term; weighted
    by ``sample_weight`` when one was given).
``n_params_`` : int
    The number of estimated parameters, as counted for AIC and BIC.
``nobs_`` : float
    The number of observations (the sum of the sample weights, read as
    frequency weights, as statsmodels does).
``_parameter_estimates()``
    Returns ``(names, values)``: the parameters reported in the summary, on
    the user's scale (e.g. cut points, not their internal log-increments).
``_parameter_covariance(cov_type)``
    Returns the covariance of those values, in the same order, for
    ``cov_type`` "nonrobust" (the inverse of the exact, penalised Hessian of
    the negative log-likelihood) or "robust" (the sandwich
    ``H^-1 B H^-1`` with ``B = sum_i w_i g_i g_i^T`` over the
    per-observation score vectors ``g_i``, weights read as frequency weights
    so that a weight of k equals k copies of the row;
    :func:`sandwich_covariance` computes it).

The mixin then gives ``aic()``, ``bic()``, ``covariance()`` and
``summary()``, the same way for every such estimator.
"""

import math

import numpy as np
from scipy import linalg, stats
from sklearn.utils.validation import check_is_fitted

_COV_TYPES = ("nonrobust", "robust")


def sandwich_covariance(hessian, scores):
    """Return ``H^-1 B H^-1`` with ``B = scores.T @ scores``.

    ``hessian`` is the Hessian of the (penalised) negative log-likelihood at
    the estimates and ``scores`` holds one row of log-likelihood gradients per
    observation, multiplied by the *square root* of its sample weight (so that
    ``B = sum_i w_i g_i g_i^T``: frequency weights, a weight of k counting as
    k copies of the row).
    """
    inverse = _inverse_hessian(hessian)
    meat = scores.T @ scores
    return inverse @ meat @ inverse


def _inverse_hessian(hessian):
    """Invert a symmetric positive definite Hessian, or say why it cannot be."""
    hessian = np.asarray(hessian, dtype=np.float64)
    try:
        factor = linalg.cho_factor(hessian)
    except linalg.LinAlgError:
        raise ValueError(
            "The Hessian of the negative log-likelihood is singular at the "
            "estimates, so the estimates have no finite covariance. This "
            "happens when a feature is constant or collinear with others, or "
            "when the classes are separated by the features; remove the "
            "redundant feature or add an L2 penalty (a finite C)."
        ) from None
    return linalg.cho_solve(factor, np.eye(hessian.shape[0]))


class LikelihoodSummary:
    """Coefficient table of a model fitted by maximum likelihood.

    Returned by the ``summary()`` method of mlfound's likelihood models;
    ``str()`` of it prints a table like statsmodels' (estimate, standard
    error, Wald z, two-sided p-value, confidence interval).

    Attributes
    ----------
    names : list of str
        Parameter names.
    params, bse, zvalues, pvalues : ndarray of shape (n_params,)
        Estimates, standard errors, Wald statistics ``params / bse`` and
        two-sided p-values from the standard normal.
    conf_int : ndarray of shape (n_params, 2)
        Wald confidence intervals at level ``1 - alpha``.
    cov : ndarray of shape (n_params, n_params)
        Covariance of the estimates.
    loglik, aic, bic, nobs, n_params, cov_type, alpha, model, notes
        The fit's log-likelihood and information criteria, the number of
        observations and parameters, the covariance type, the confidence
        level's ``alpha``, the model's name and notes printed under the
        table (e.g. that an L2 penalty was applied).
    """

    def __init__(
        self,
        *,
        model,
        names,
        params,
        cov,
        loglik,
        n_params,
        nobs,
        cov_type,
        alpha,
        notes=(),
    ):
        self.model = model
        self.names = list(names)
        self.params = np.asarray(params, dtype=np.float64)
        self.cov = np.asarray(cov, dtype=np.float64)
        self.bse = np.sqrt(np.diag(self.cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            self.zvalues = self.params / self.bse
        self.pvalues = 2.0 * stats.norm.sf(np.abs(self.zvalues))
        half = stats.norm.isf(alpha / 2.0) * self.bse
        self.conf_int = np.column_stack([self.params - half, self.params + half])
        self.loglik = float(loglik)
        self.n_params = int(n_params)
        self.nobs = float(nobs)
        self.aic = -2.0 * self.loglik + 2.0 * self.n_params
        self.bic = -2.0 * self.loglik + math.log(self.nobs) * self.n_params
        self.cov_type = cov_type
        self.alpha = alpha
        self.notes = list(notes)

    def to_frame(self):
        """Return the coefficient table as a pandas DataFrame."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is in every extra
            raise ImportError(
                "LikelihoodSummary.to_frame needs pandas; install it with "
                "`pip install pandas`."
            ) from None
        low, high = self.alpha / 2.0, 1.0 - self.alpha / 2.0
        return pd.DataFrame(
            {
                "coef": self.params,
                "std err": self.bse,
                "z": self.zvalues,
                "P>|z|": self.pvalues,
                f"[{low:g}": self.conf_int[:, 0],
                f"{high:g}]": self.conf_int[:, 1],
            },
            index=self.names,
        )

    def __str__(self):
        low, high = self.alpha / 2.0, 1.0 - self.alpha / 2.0
        header = ["", "coef", "std err", "z", "P>|z|", f"[{low:g}", f"{high:g}]"]
        columns = (self.params, self.bse, self.zvalues, self.pvalues)
        rows = [
            [
                name,
                f"{b:.4f}",
                f"{s:.4f}",
                f"{z:.3f}",
                f"{p:.3f}",
                f"{lo:.4f}",
                f"{hi:.4f}",
            ]
            for name, b, s, z, p, (lo, hi) in zip(
                self.names, *columns, self.conf_int, strict=True
            )
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(7)]
        lines = [
            f"{self.model} (maximum likelihood)",
            f"log-likelihood: {self.loglik:.4f}   AIC: {self.aic:.4f}   "
            f"BIC: {self.bic:.4f}",
            f"observations: {self.nobs:g}   parameters: {self.n_params}   "
            f"covariance: {self.cov_type}",
        ]
        rule = "=" * (sum(widths) + 2 * 6)
        lines += [rule, _format_row(header, widths), "-" * len(rule)]
        lines += [_format_row(row, widths) for row in rows]
        lines.append(rule)
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __repr__(self):
        return f"<LikelihoodSummary of {self.model}: {len(self.names)} parameters>"


def _format_row(cells, widths):
    first = cells[0].ljust(widths[0])
    rest = [
        cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)
    ]
    return "  ".join([first, *rest])


class LikelihoodMixin:
    """``aic``, ``bic``, ``covariance`` and ``summary`` for likelihood models.

    See the module docstring for what a subclass provides.
    """

    def aic(self):
        """Akaike's information criterion, ``-2 loglik_ + 2 n_params_``.

        Compare AIC only between models fitted to the same observations.

        Returns
        -------
        aic : float
        """
        check_is_fitted(self)
        return -2.0 * self.loglik_ + 2.0 * self.n_params_

    def bic(self):
        """Schwarz's Bayesian information criterion.

        ``-2 loglik_ + log(nobs_) n_params_``; compare it only between models
        fitted to the same observations.

        Returns
        -------
        bic : float
        """
        check_is_fitted(self)
        return -2.0 * self.loglik_ + math.log(self.nobs_) * self.n_params_

    def covariance(self, cov_type="nonrobust"):
        """Covariance of the estimates reported by :meth:`summary`.

        Parameters
        ----------
        cov_type : {"nonrobust", "robust"}, default="nonrobust"
            "nonrobust" inverts the exact Hessian of the negative
            log-likelihood (with the L2 penalty when the model has one: the
            inverse penalised Hessian). "robust" is the sandwich
            (Huber-White) covariance, valid when the model's distributional
            assumption is wrong but its mean structure is right.

        Returns
        -------
        cov : ndarray of shape (n_params, n_params)
        """
        check_is_fitted(self)
        if cov_type not in _COV_TYPES:
            raise ValueError(f"cov_type must be one of {_COV_TYPES}, got {cov_type!r}.")
        return self._parameter_covariance(cov_type)

    def summary(self, *, alpha=0.05, cov_type="nonrobust"):
        """Coefficient table with standard errors, Wald tests and intervals.

        Parameters
        ----------
        alpha : float, default=0.05
            The confidence intervals have level ``1 - alpha``.
        cov_type : {"nonrobust", "robust"}, default="nonrobust"
            See :meth:`covariance`.

        Returns
        -------
        summary : LikelihoodSummary
            ``print(summary)`` shows the table; ``summary.to_frame()``
            returns it as a DataFrame.
        """
        check_is_fitted(self)
        if not (isinstance(alpha, float | int) and 0.0 < alpha < 1.0):
            raise ValueError(f"alpha must be a float in (0, 1), got {alpha!r}.")
        names, values = self._parameter_estimates()
        return LikelihoodSummary(
            model=type(self).__name__,
            names=names,
            params=values,
            cov=self.covariance(cov_type),
            loglik=self.loglik_,
            n_params=self.n_params_,
            nobs=self.nobs_,
            cov_type=cov_type,
            alpha=float(alpha),
            notes=self._summary_notes(),
        )

    def _summary_notes(self):
        """Notes printed under the table; subclasses add e.g. the penalty."""
        return []
