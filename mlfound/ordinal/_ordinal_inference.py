"""Likelihood summary and separation check of OrdinalLogisticRegression.

After a fit, ``_information`` stores the log-likelihood and, for models with
at most ``_MAX_INFERENCE_PARAMS`` parameters, the penalised Hessian and the
sandwich meat on the reported scale; :class:`OrdinalLikelihoodMixin` turns
them into covariances and the summary table (its notes say how to read a
penalised or separated fit), and warns at fit time when the classes are
separated and the unpenalised estimate does not exist.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from mlfound._glm._cumulative_link import separated_boundaries
from mlfound.ordinal._ordinal_effects import parameter_names, reporting_jacobian
from mlfound.utils._likelihood import LikelihoodMixin, _inverse_hessian

# Above this many parameters fit does not compute the (P x P) Hessian and
# sandwich meat of summary(): they would cost more than the fit itself.
_MAX_INFERENCE_PARAMS = 500


class OrdinalLikelihoodMixin(LikelihoodMixin):
    """Covariance, summary notes and separation warning of the cumulative link model."""

    def _information(self, loss, w):
        """Log-likelihood and what the covariance needs, on the reported scale.

        Stores the penalised Hessian of the summed negative log-likelihood
        and the sandwich meat, both transformed by the Jacobian of the cut
        point re-parametrisation (and the reordering to the summary's
        order): the covariance of the reported parameters is then
        ``J H^-1 J^T`` with ``H`` the Hessian in the solver's parameters.
        """
        if loss.n_params > _MAX_INFERENCE_PARAMS:
            self.loglik_ = float(loss.loglik(w))
            self._inference = None
            return
        loglik, _, meat_theta = loss.information(w)
        self.loglik_ = float(loglik)
        n_cuts = loss.n_classes - 1
        _, hess_w = loss.value_grad_hess(w)[1:]
        hess_w = hess_w * loss.sw_sum  # back from the mean to the summed loss
        J = reporting_jacobian(
            w[loss.n_coef :], loss.n_features, n_cuts * loss.n_nominal, loss.n_scale
        )
        # meat: per-sample gradients in [beta, G, gamma, theta] -> solver's w
        e = np.exp(w[loss.n_coef :])
        e[0] = 1.0
        chain = np.eye(loss.n_params)
        chain[loss.n_coef :, loss.n_coef :] = np.tril(np.ones((n_cuts, n_cuts))) * e
        meat_w = chain.T @ meat_theta @ chain
        self._inference = (hess_w, meat_w, J)

    def _parameter_estimates(self):
        check_is_fitted(self)
        location = np.setdiff1d(np.arange(self.n_features_in_), self.nominal_features_)
        values = np.r_[
            self.coef_[location],
            self.scale_coef_,
            self.thresholds_,
            self.nominal_coef_.ravel(),
        ]
        return parameter_names(self), values

    def _parameter_covariance(self, cov_type):
        if self._inference is None:
            raise ValueError(
                f"The covariance of the {self.n_params_} parameters is not "
                f"computed (more than {_MAX_INFERENCE_PARAMS}: its Hessian would "
                f"dominate the fit). Select fewer features for inference."
            )
        hess_w, meat_w, J = self._inference
        inverse = _inverse_hessian(hess_w)
        cov_w = inverse if cov_type == "nonrobust" else inverse @ meat_w @ inverse
        return J @ cov_w @ J.T

    def _summary_notes(self):
        notes = []
        if np.isfinite(self.C):
            notes.append(
                f"L2 penalty (C={self.C:g}) on the slopes: the covariance is the "
                f"inverse of the penalised Hessian, the curvature of the "
                f"penalised objective at the shrunken estimates (as in "
                f"statsmodels' fit_regularized and glmnet), not the sampling "
                f"covariance of the maximum-likelihood estimate; fit with "
                f"C=np.inf for classical standard errors."
            )
        if self._separated:
            notes.append(
                "The features separate the classes (see the ConvergenceWarning "
                "of fit): the maximum-likelihood estimate does not exist and "
                "these standard errors are meaningless; use a finite C."
            )
        if self.nominal_features_.size:
            notes.append(
                "Nominal effects 'feature:k|k+1' are added to cut point k|k+1 "
                "(as in R's ordinal::clm): P(y <= k) = F(theta_k + z @ G_k - "
                "x @ coef)."
            )
        if self.scale_features_.size:
            notes.append(
                "Scale effects 'scale(feature)' are log-linear: the latent "
                "scale is exp(s @ scale_coef_)."
            )
        return notes

    def _warn_if_separated(self, X, codes, sample_weight, n_classes):
        """ConvergenceWarning when the unpenalised MLE does not exist.

        The linear program treats every column as a location effect and
        ignores the scale: a recession direction of that model is one of the
        model with nominal and scale effects too (a shared slope is a special
        case of threshold-specific ones, and a fixed scale keeps every
        argument's sign), so a separation it finds is real; a separation that
        only nominal or scale effects create shows up as a singular Hessian
        in :meth:`summary`.
        """
        coef = self.coef_.copy()
        if self.nominal_features_.size:
            # the nominal effects' mean, as the screen's location slope
            coef[self.nominal_features_] = -self.nominal_coef_.mean(axis=0)
        if sp.issparse(X):
            scores = np.asarray(X @ coef, dtype=np.float64).reshape(-1)
        else:
            # einsum's own loop: a BLAS call here wakes its thread pool,
            # which costs more than this one pass over X
            scores = np.einsum("ij,j->i", X, coef)
        boundaries, proven = separated_boundaries(
            X, codes, sample_weight, n_classes, scores=scores
        )
        if not boundaries:
            return
        self._separated = boundaries
        labels = self.classes_.tolist()
        pairs = ", ".join(f"{labels[k]!r} | {labels[k + 1]!r}" for k in boundaries)
        largest = float(
            np.max(np.abs(np.r_[self.coef_, self.thresholds_]), initial=0.0)
        )
        warnings.warn(
            f"The features separate the classes at the boundaries {pairs}: with "
            f"C=np.inf the maximum-likelihood estimate "
            f"{'does' if proven else 'most likely does'} not exist, the "
            f"likelihood keeps increasing as the coefficients and cut points "
            f"grow, and the solver stopped only because its gradient vanished "
            f"(largest |coef_| or |thresholds_| {largest:.3g}). The fitted "
            f"values depend on tol and max_iter. Use a finite C (e.g. C=1.0) "
            f"for finite, stable estimates.",
            ConvergenceWarning,
            stacklevel=3,
        )
