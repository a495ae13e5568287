"""Likelihood summary of PositionBiasEstimator.

The click model ``P(click | x, k) = theta_k * sigmoid(x @ w + b)`` is fitted
by maximising the observed-data (marginal) log-likelihood, whichever the
solver: Fisher scoring and L-BFGS maximise it directly, and regression-EM
climbs the same function through its complete-data surrogate. The
covariance is therefore the inverse of the *observed* information of that
likelihood, the negative of its exact Hessian, computed here in closed form
at the estimates (not the expected information the scoring solver steps
with, and not EM's complete-data information, which would understate the
variance). With ``C`` finite, the L2 penalty's ``I / C`` is added to the
coefficient block: the inverse penalised Hessian.

Per row, with ``s = sigmoid(z)``, ``p = theta s`` and ``q = 1 - p``, the
log-likelihood's derivatives with respect to ``z`` and ``eta = log theta``
are, for a click, ``(1 - s, 1)`` with second derivatives ``-s (1 - s)`` in
``z`` only, and, for no click,

    d/dz = -p (1 - s) / q,              d/deta = -p / q,
    d2/dz2 = -p^2 (1 - s)^2 / q^2 - p (1 - s) (1 - 2 s) / q,
    d2/dz deta = -p (1 - s) / q^2,      d2/deta2 = -p / q^2.

The information keeps the estimator's arrow shape (a dense block for the
relevance model, a cross block per position, a diagonal for the
positions), so it is stored in memory linear in the positions; the summary
forms the dense covariance. The propensities are reported on the user's
scale, ``theta_k = exp(eta_k)``, with the delta method
``Var(theta_k) = theta_k^2 Var(eta_k)``.

Only the estimated parameters appear: position 1 (``theta_1 = 1`` by
definition) and propensities taken from a randomized bucket (click-rate
ratios, held fixed in the likelihood) have no row.
"""

import numpy as np
from scipy.special import expit, log_expit

from mlfound.utils._likelihood import LikelihoodMixin, _inverse_hessian

# The summary forms a dense covariance over this many parameters at most.
_MAX_SUMMARY_PARAMS = 2000
_CHUNK_ROWS = 65536


def _row_derivatives(z, clicked, log_theta_rows):
    """Log-likelihood, its first and second derivatives per row.

    Returns ``(ll, d_z, d_eta, d_zz, d_zeta, d_etaeta)`` as arrays.
    """
    s = expit(z)
    one_minus_s = expit(-z)
    theta = np.exp(log_theta_rows)
    p = theta * s
    q = np.maximum(one_minus_s + (1.0 - theta) * s, 1e-300)
    ll = np.where(clicked, log_theta_rows + log_expit(z), np.log(q))
    r = p / q
    d_z = np.where(clicked, one_minus_s, -r * one_minus_s)
    d_eta = np.where(clicked, 1.0, -r)
    d_zz = np.where(
        clicked,
        -s * one_minus_s,
        -((r * one_minus_s) ** 2) - r * one_minus_s * (1.0 - 2.0 * s),
    )
    d_zeta = np.where(clicked, 0.0, -r * one_minus_s / q)
    d_etaeta = np.where(clicked, 0.0, -r / q)
    return ll, d_z, d_eta, d_zz, d_zeta, d_etaeta


def observed_information(X, y, codes, sample_weight, coef, intercept, log_theta):
    """Log-likelihood, observed information and score cross-product.

    The parameters are ``(coef, intercept, eta_1, ..., eta_K)``; both
    matrices are returned as arrow blocks ``(lin, cross, diag)`` of shapes
    ``(q, q)``, ``(K, q)`` and ``(K,)`` with ``q = n_features + 1``.
    """
    n_samples, n_features = X.shape
    n_positions = log_theta.shape[0]
    q = n_features + 1
    loglik = 0.0
    info = [np.zeros((q, q)), np.zeros((n_positions, q)), np.zeros(n_positions)]
    meat = [np.zeros((q, q)), np.zeros((n_positions, q)), np.zeros(n_positions)]
    for start in range(0, n_samples, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_samples)
        rows = np.column_stack([X[start:stop], np.ones(stop - start)])
        rows = rows.astype(np.float64, copy=False)
        c = codes[start:stop]
        s = sample_weight[start:stop]
        z = rows[:, :n_features] @ coef + intercept
        ll, d_z, d_eta, d_zz, d_zeta, d_etaeta = _row_derivatives(
            z, y[start:stop] > 0.5, log_theta[c]
        )
        loglik += float(s @ ll)
        for blocks, wz, wze, wee in (
            (info, -s * d_zz, -s * d_zeta, -s * d_etaeta),
            (meat, s * d_z * d_z, s * d_z * d_eta, s * d_eta * d_eta),
        ):
            blocks[0] += (rows * wz[:, None]).T @ rows
            for j in range(q):
                blocks[1][:, j] += np.bincount(
                    c, weights=wze * rows[:, j], minlength=n_positions
                )
            blocks[2] += np.bincount(c, weights=wee, minlength=n_positions)
    return loglik, info, meat


def _dense(blocks, keep):
    lin, cross, diag = blocks
    q, k = lin.shape[0], diag.shape[0]
    full = np.zeros((q + k, q + k))
    full[:q, :q] = lin
    full[q:, :q] = cross
    full[:q, q:] = cross.T
    full[np.arange(q, q + k), np.arange(q, q + k)] = diag
    return full[np.ix_(keep, keep)]


def after_fit(est, rows, free_theta):
    """Store the likelihood state of a fitted PositionBiasEstimator.

    ``rows`` holds the fit data (see ``_click_rows``: in memory or on a
    Dask cluster), and ``free_theta`` marks the propensities estimated by
    maximum likelihood.
    """
    coef = np.asarray(est.coef_[0], dtype=np.float64)
    log_theta = np.log(np.where(np.isfinite(est.propensity_), est.propensity_, 1.0))
    loglik, *blocks = rows.information(coef, float(est.intercept_[0]), log_theta)
    info, meat = list(blocks[:3]), list(blocks[3:])
    n_features = rows.n_features
    if np.isfinite(est.C):
        info[0][np.arange(n_features), np.arange(n_features)] += 1.0 / est.C
    keep = np.concatenate([np.ones(n_features, bool), [est.fit_intercept], free_theta])
    est.loglik_ = float(loglik)
    est.nobs_ = float(rows.total)
    est.n_params_ = int(keep.sum())
    est._information = (info, meat, keep)
    est._theta_at_bound = est.positions_[free_theta & (log_theta > -1e-6)]
    fixed = np.isfinite(est.propensity_) & ~free_theta
    fixed[0] = False
    est._theta_fixed = est.positions_[fixed]


class PositionBiasLikelihoodMixin(LikelihoodMixin):
    """Likelihood summary of PositionBiasEstimator (propensities included)."""

    def summary(self, *, alpha=0.05, cov_type="nonrobust"):
        """Table of the relevance coefficients and the propensities.

        Standard errors come from the observed information (the exact
        Hessian of the observed-data log-likelihood, whichever solver
        fitted the model, EM included), with the L2 penalty's ``1 / C``
        added when ``C`` is finite. Propensities are reported on their own
        scale (delta method from their log parametrisation); position 1
        (``theta_1 = 1``) and positions estimated from a randomized bucket
        have no row.

        Parameters
        ----------
        alpha : float, default=0.05
            The confidence intervals have level ``1 - alpha``.
        cov_type : {"nonrobust", "robust"}, default="nonrobust"
            "nonrobust" inverts the observed information; "robust" is the
            sandwich (Huber-White) covariance.

        Returns
        -------
        summary : LikelihoodSummary
            ``print(summary)`` shows the table; ``summary.to_frame()``
            returns it as a DataFrame.

        Examples
        --------
        >>> from mlfound.datasets import make_click_logs
        >>> from mlfound.weighting import PositionBiasEstimator
        >>> logs = make_click_logs(5_000, n_positions=3, random_state=0)
        >>> est = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
        >>> print(est.summary())
        PositionBiasEstimator (maximum likelihood)
        log-likelihood: -1955.0555   AIC: 3926.1109   BIC: 3978.2485
        observations: 5000   parameters: 8   covariance: nonrobust
        =================================================================
                          coef  std err        z  P>|z|   [0.025   0.975]
        -----------------------------------------------------------------
        x0              0.4924   0.0496    9.919  0.000   0.3951   0.5897
        x1              0.2328   0.0490    4.751  0.000   0.1368   0.3289
        x2              0.2396   0.0451    5.317  0.000   0.1513   0.3279
        x3              0.5445   0.0480   11.342  0.000   0.4504   0.6386
        x4              0.4500   0.0503    8.940  0.000   0.3513   0.5486
        intercept      -1.1376   0.0703  -16.171  0.000  -1.2755  -0.9997
        propensity[2]   0.4474   0.0347   12.902  0.000   0.3794   0.5153
        propensity[3]   0.3655   0.0393    9.294  0.000   0.2884   0.4426
        =================================================================
        Note: Covariance from the observed information (exact Hessian) ...
        Note: L2 penalty (C=1.0) on the relevance coefficients: ...
        """
        return super().summary(alpha=alpha, cov_type=cov_type)

    def _parameter_estimates(self):
        n_features = self.coef_.shape[1]
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = [f"x{j}" for j in range(self.n_features_in_)]
        names = [str(name) for name in names]
        if self.position_column is not None:
            from mlfound.weighting._position_inputs import _position_index

            drop = _position_index(
                self.position_column,
                getattr(self, "feature_names_in_", None),
                np.empty((0, self.n_features_in_)),
            )
            names = names[:drop] + names[drop + 1 :]
        keep = self._information[2]
        labels = names[:n_features] + ["intercept"]
        labels += [f"propensity[{k}]" for k in self.positions_]
        values = np.concatenate(
            [self.coef_[0], self.intercept_, np.nan_to_num(self.propensity_)]
        )
        labels = [label for label, kept in zip(labels, keep, strict=True) if kept]
        return labels, values[keep]

    def _parameter_covariance(self, cov_type):
        info, meat, keep = self._information
        if keep.sum() > _MAX_SUMMARY_PARAMS:
            raise ValueError(
                f"The model has {int(keep.sum())} estimated parameters (most of "
                f"them propensities); the summary forms their dense covariance "
                f"only up to {_MAX_SUMMARY_PARAMS}. Merge rare positions (e.g. "
                f"cap positions at a maximum) and refit."
            )
        H = _dense(info, keep)
        inverse = _inverse_hessian(H)
        if cov_type == "nonrobust":
            cov = inverse
        else:
            cov = inverse @ _dense(meat, keep) @ inverse
        # delta method: theta = exp(eta) scales each propensity's row/column
        n_lin = int(keep[: self.coef_.shape[1] + 1].sum())
        jac = np.ones(cov.shape[0])
        jac[n_lin:] = self.propensity_[keep[self.coef_.shape[1] + 1 :]]
        return cov * jac[:, None] * jac[None, :]

    def _summary_notes(self):
        notes = [
            "Covariance from the observed information (exact Hessian) of the "
            "observed-data log-likelihood, whatever the solver; propensities "
            "on their own scale by the delta method (theta_1 = 1 is fixed)."
        ]
        if np.isfinite(self.C):
            notes.append(
                f"L2 penalty (C={self.C}) on the relevance coefficients: the "
                f"covariance is the inverse penalised Hessian."
            )
        if self._theta_at_bound.size:
            notes.append(
                f"Propensities of positions {self._theta_at_bound.tolist()} "
                f"are at the bound 1: their Wald intervals are not valid."
            )
        if self._theta_fixed.size:
            notes.append(
                f"Propensities of positions {self._theta_fixed.tolist()} come "
                f"from the randomized bucket and are held fixed: they have no "
                f"row, and the other standard errors ignore their uncertainty."
            )
        return notes
