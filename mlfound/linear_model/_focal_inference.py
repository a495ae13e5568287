"""Likelihood summary and separation check of FocalLossClassifier.

With ``gamma=0``, no ``alpha``, no label smoothing and no ``class_weight``,
the focal objective is the (weighted) logistic or softmax log-likelihood,
penalised by ``||w||^2 / (2 C)`` on the coefficients. After such a fit,
:func:`after_fit` stores the log-likelihood and, for models with at most
``_MAX_COVARIANCE_PARAMS`` parameters, the exact Hessian of the penalised
negative log-likelihood and the cross-product of the per-row scores (one
``O(n p^2)`` pass, in row chunks); :class:`FocalLikelihoodMixin` turns them
into covariances and the summary table.

Choices:

- ``sample_weight`` are frequency weights: the log-likelihood, the Hessian
  and the score cross-product are sums weighted by them (a weight of 2 is a
  row seen twice), and ``nobs_`` is their sum.
- Binary: the parameters are the intercept and the coefficients of
  ``classes_[1]``'s log-odds.
- Multiclass: the estimator's symmetric softmax has one coefficient row per
  class. Unpenalised (``C=np.inf``) it is over-parameterised (adding a
  vector to every row changes nothing), so the summary raises and suggests
  a finite ``C``. With an L2 penalty the coefficients are identified (the
  penalty picks rows summing to zero), but the unpenalised intercepts are
  not: they are reported centred (summing to zero) and their covariance is
  the inverse penalised Hessian restricted to that constraint.
  ``n_params_`` counts the ``(K - 1) (n_features + 1)`` free parameters of
  the multinomial model.
- Not a likelihood (``gamma > 0``, ``alpha``, smoothing, ``class_weight``):
  ``loglik_`` is not set, and summary/AIC/BIC raise saying why. L1 and
  elastic-net fits get ``loglik_`` but no Wald inference (the covariance of
  an L1 estimate is not that of a smooth maximum), and neither do the
  stochastic solvers, which stop near and not at the maximum.
- When the classes are separated, the unpenalised estimates do not exist:
  a warning names the cause at fit time and the summary refuses.
"""

import warnings

import numpy as np
from scipy import linalg
from scipy.special import expit, log_expit, log_softmax, softmax

from mlfound.linear_model._separation import _augmented_rows, find_separation
from mlfound.utils._likelihood import LikelihoodMixin, _inverse_hessian
from mlfound.utils._threads import single_threaded_blas

# Above this many parameters the Hessian (O(n p^2) time, p^2 memory) is not
# formed at fit time and the summary is not available.
_MAX_COVARIANCE_PARAMS = 500

# A fitted probability of the observed class above 1 - exp(-margin) with
# this margin is "numerically 1" (as R's glm warns): a penalised fit whose
# probabilities saturate is only weakly penalised, and separation is checked.
_SATURATED_MARGIN = 15.0

_CHUNK_ROWS = 32768
_STATE = ("loglik_", "n_params_", "nobs_")
_PRIVATE = ("_inference_error", "_hessian", "_score_cross", "_separation")


def clear_inference(est):
    """Forget the likelihood state of a previous fit (used by partial_fit)."""
    for name in _STATE + _PRIVATE:
        est.__dict__.pop(name, None)
    est._inference_error = (
        "partial_fit fits a stream of chunks: there is no single data set "
        "whose likelihood the summary could describe. Fit the whole data "
        "with fit(..., solver='lbfgs')."
    )


def _not_a_likelihood(est):
    """Why the fitted objective is not a log-likelihood, or None."""
    reasons = []
    if est.gamma != 0:
        reasons.append(f"gamma={est.gamma} (the focal term reweights the rows)")
    if est.alpha is not None:
        reasons.append("alpha is set (class weights inside the loss)")
    if est.label_smoothing != 0:
        reasons.append(f"label_smoothing={est.label_smoothing}")
    if est.class_weight is not None:
        reasons.append("class_weight is set")
    if not reasons:
        return None
    return (
        "The fitted objective is not a log-likelihood because "
        + "; ".join(reasons)
        + ", so it has no log-likelihood, standard errors or information "
        "criteria. Fit with gamma=0, alpha=None, label_smoothing=0 and "
        "class_weight=None (logistic regression) for a likelihood summary."
    )


def _no_wald(est):
    if est.l1_ratio > 0:
        return (
            f"l1_ratio={est.l1_ratio}: after an L1 or elastic-net penalty the "
            f"estimates are not a smooth maximum (some are exactly zero), so "
            f"Wald standard errors, p-values and intervals are not valid. Use "
            f"l1_ratio=0 (or refit the selected features without L1)."
        )
    if est.solver in ("sgd", "adam"):
        return (
            f"solver={est.solver!r} stops near, not at, the maximum of the "
            f"likelihood, where the Hessian does not give the covariance. Fit "
            f"with solver='lbfgs' for a likelihood summary."
        )
    if np.isinf(est.C) and len(est.classes_) > 2:
        return (
            "The unpenalised (C=np.inf) softmax model is over-parameterised: "
            "adding the same vector to every class's coefficients leaves the "
            "probabilities unchanged, so the coefficients have no finite "
            "covariance. Use a finite C (the L2 penalty identifies them), or "
            "fit one binary model per class against a reference class."
        )
    return None


def _raw_scores(est, X):
    """Float64 raw scores ``X @ coef_.T + intercept_`` (n_samples, n_outputs)."""
    coef = np.asarray(est.coef_, dtype=np.float64)
    scores = np.asarray(X @ coef.T, dtype=np.float64)
    return scores + np.asarray(est.intercept_, dtype=np.float64)


def _loss_derivatives(loss, raw, codes, target, sample_weight, n_classes):
    """Positive weights ``lam[i, k]`` for the separation certificate.

    ``lam[i, k]`` is the derivative of row ``i``'s weighted loss with respect
    to the raw score of a wrong class ``k`` (the observed class's entry is
    unused); for the binary loss, the derivative with respect to the margin.
    """
    if n_classes == 2:
        _, grad = loss.raw_loss_gradient(raw[:, 0], target, sample_weight)
        lam = np.empty((raw.shape[0], 2))
        # d loss / d raw is negative for y=1 and positive for y=0
        lam[:, 0] = -grad  # row of class 1: weight of constraint vs class 0
        lam[:, 1] = grad  # row of class 0: weight of constraint vs class 1
        return lam
    _, grad = loss.raw_loss_gradient(raw, codes, sample_weight)
    return grad


def _check_separation(est, X, codes, target, sample_weight, loss, raw, hessian):
    """Warn when the classes are separated and the fit is (nearly) unpenalised."""
    if est.label_smoothing != 0:
        return None  # smoothed targets keep every margin finite
    n_classes = len(est.classes_)
    n_outputs = 1 if n_classes == 2 else n_classes
    if (X.shape[1] + int(est.fit_intercept)) * n_outputs > _MAX_COVARIANCE_PARAMS:
        # The deciding linear program has one unknown per parameter: on wide
        # (e.g. sparse text-like) data it would cost far more than the fit,
        # and such fits have no summary either. Not checked there.
        return None
    if n_classes == 2:
        margin = np.where(codes == 1, raw[:, 0], -raw[:, 0])
    else:
        observed = raw[np.arange(raw.shape[0]), codes]
        others = raw.copy()
        others[np.arange(raw.shape[0]), codes] = -np.inf
        margin = observed - others.max(axis=1)
    positive = sample_weight > 0
    saturated = np.any(margin[positive] > _SATURATED_MARGIN)
    if not (np.isinf(est.C) or saturated):
        return None
    lam = _loss_derivatives(loss, raw, codes, target, sample_weight, n_classes)
    gram = None
    if hessian is not None and n_classes == 2:
        # the unpenalised logistic Hessian: weights s p (1 - p) <= s |y - p|
        gram = hessian.copy()
        if np.isfinite(est.C):
            idx = np.arange(int(est.fit_intercept), gram.shape[0])
            gram[idx, idx] -= 1.0 / est.C
    found = find_separation(
        X,
        codes,
        n_classes,
        sample_weight,
        lam,
        fit_intercept=est.fit_intercept,
        gram=gram,
    )
    if found is None:
        return None
    names = _feature_names(est)
    along = [names[j] for j in found["features"][:10]]
    more = len(found["features"]) - len(along)
    along_text = ", ".join(along) + (f" and {more} more" if more > 0 else "")
    if found["kind"] == "complete":
        what = (
            "completely separated: a hyperplane puts every training row on "
            "its class's side"
        )
    else:
        what = (
            f"quasi-completely separated: a hyperplane puts "
            f"{found['n_strict']} training rows strictly on their class's "
            f"side and the others on it"
        )
    penalty = (
        "unpenalised (C=np.inf)"
        if np.isinf(est.C)
        else f"only weakly penalised (C={est.C}: fitted probabilities are "
        f"numerically 0 or 1)"
    )
    message = (
        f"The classes are {what} (direction along the features "
        f"{along_text or 'intercept'}). The maximum-likelihood coefficients "
        f"do not exist: they diverge along that direction, and the fitted "
        f"ones, {penalty}, only reflect where the solver stopped. Use a "
        f"finite (smaller) C: the L2 penalty keeps the coefficients finite."
    )
    warnings.warn(message, UserWarning, stacklevel=3)
    return message


def after_fit(est, X, codes, target, sample_weight, loss):
    """Separation check and likelihood state of a full fit of ``est``.

    ``X`` is the kernel input (dense C-ordered or CSR), ``codes`` the class
    codes, ``target`` the loss's targets, ``sample_weight`` the weights
    (times the class weights) and ``loss`` the fitted loss. BLAS runs on one
    thread: its products here are small, and spinning threads slow the
    machine more than they help.
    """
    with single_threaded_blas():
        _after_fit(est, X, codes, target, sample_weight, loss)


def _after_fit(est, X, codes, target, sample_weight, loss):
    for name in _STATE + _PRIVATE:
        est.__dict__.pop(name, None)
    raw = _raw_scores(est, X)
    reason = _not_a_likelihood(est)
    n_classes = len(est.classes_)
    q = X.shape[1] + int(est.fit_intercept)
    n_outputs = 1 if n_classes == 2 else n_classes
    hessian = cross = None
    if reason is None and q * n_outputs <= _MAX_COVARIANCE_PARAMS:
        hessian, cross = _hessian_and_scores(est, X, codes, sample_weight)
    separation = _check_separation(
        est, X, codes, target, sample_weight, loss, raw, hessian
    )
    if reason is not None:
        est._inference_error = reason
        return
    if n_classes == 2:
        log_p = np.where(codes == 1, log_expit(raw[:, 0]), log_expit(-raw[:, 0]))
        est.n_params_ = q
    else:
        log_p = log_softmax(raw, axis=1)[np.arange(raw.shape[0]), codes]
        est.n_params_ = (n_classes - 1) * q
    est.loglik_ = float(np.sum(sample_weight * log_p))
    est.nobs_ = float(np.sum(sample_weight))
    est._inference_error = _no_wald(est)
    if separation is not None and est._inference_error is None:
        est._inference_error = "No summary: " + separation
    if est._inference_error is None and hessian is None:
        est._inference_error = (
            f"The model has {q * n_outputs} parameters; the covariance is "
            f"formed at fit time only up to {_MAX_COVARIANCE_PARAMS} (its cost "
            f"grows as n_samples * n_params^2). Refit on the features whose "
            f"standard errors you need."
        )
    if est._inference_error is None:
        est._hessian, est._score_cross = hessian, cross


def _hessian_and_scores(est, X, codes, sample_weight):
    """Penalised Hessian of the negative log-likelihood and ``sum s g g'``.

    Parameters are ordered per output ``k``: ``[intercept_k, coef_k]``.
    """
    n_classes = len(est.classes_)
    n_out = 1 if n_classes == 2 else n_classes
    q = X.shape[1] + int(est.fit_intercept)
    size = q * n_out
    hessian = np.zeros((size, size))
    cross = np.zeros((size, size))
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, X.shape[0])
        rows = _augmented_rows(X, start, stop, est.fit_intercept)
        raw = _raw_scores(est, X[start:stop])
        s = sample_weight[start:stop]
        c = codes[start:stop]
        if n_out == 1:
            p = expit(raw[:, :1])
            resid = (c == 1)[:, None] - p
            curv = [[p[:, 0] * (1.0 - p[:, 0])]]
        else:
            p = softmax(raw, axis=1)
            resid = np.eye(n_classes)[c] - p
            curv = [
                [p[:, k] * ((k == j) - p[:, j]) for j in range(n_out)]
                for k in range(n_out)
            ]
        for k in range(n_out):
            for j in range(k, n_out):
                sk, sj = slice(k * q, (k + 1) * q), slice(j * q, (j + 1) * q)
                h = (rows * (s * curv[k][j])[:, None]).T @ rows
                b = (rows * (s * resid[:, k] * resid[:, j])[:, None]).T @ rows
                hessian[sk, sj] += h
                cross[sk, sj] += b
                if j != k:
                    hessian[sj, sk] += h.T
                    cross[sj, sk] += b.T
    if np.isfinite(est.C):
        for k in range(n_out):
            first = k * q + int(est.fit_intercept)
            idx = np.arange(first, (k + 1) * q)
            hessian[idx, idx] += 1.0 / est.C
    return hessian, cross


def _feature_names(est):
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(est.n_features_in_)]
    return [str(name) for name in names]


def _constraint_basis(est):
    """Orthonormal basis of the identified directions (columns), or None.

    The multiclass intercepts are free up to a common shift; the basis spans
    the complement of that direction.
    """
    n_classes = len(est.classes_)
    if n_classes == 2 or not est.fit_intercept:
        return None
    q = est.n_features_in_ + 1
    v = np.zeros(q * n_classes)
    v[np.arange(n_classes) * q] = 1.0
    v /= np.linalg.norm(v)
    return linalg.null_space(v[None, :])


class FocalLikelihoodMixin(LikelihoodMixin):
    """Likelihood summary of FocalLossClassifier (``gamma=0`` fits)."""

    def _check_likelihood(self, need_covariance):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        error = getattr(self, "_inference_error", None)
        if not hasattr(self, "loglik_"):
            raise ValueError(error or "This model has no log-likelihood.")
        if need_covariance and error is not None:
            raise ValueError(error)

    def aic(self):
        self._check_likelihood(need_covariance=False)
        if self.l1_ratio > 0 or self.solver in ("sgd", "adam"):
            raise ValueError(_no_wald(self))
        return super().aic()

    def bic(self):
        self._check_likelihood(need_covariance=False)
        if self.l1_ratio > 0 or self.solver in ("sgd", "adam"):
            raise ValueError(_no_wald(self))
        return super().bic()

    def covariance(self, cov_type="nonrobust"):
        self._check_likelihood(need_covariance=True)
        return super().covariance(cov_type)

    def summary(self, *, alpha=0.05, cov_type="nonrobust"):
        """Coefficient table with standard errors, Wald tests and intervals.

        Available after a ``fit`` with ``gamma=0``, ``alpha=None``,
        ``label_smoothing=0``, ``class_weight=None`` and an L2 (or no)
        penalty, where the objective is the logistic log-likelihood; other
        settings raise a ``ValueError`` saying why. With a finite ``C`` the
        covariance is the inverse penalised Hessian (a note says so); with
        ``C=np.inf`` it is the classical one and the table equals
        statsmodels' ``Logit``.

        Parameters
        ----------
        alpha : float, default=0.05
            The confidence intervals have level ``1 - alpha``.
        cov_type : {"nonrobust", "robust"}, default="nonrobust"
            "nonrobust" inverts the Hessian of the negative log-likelihood;
            "robust" is the sandwich (Huber-White) covariance.

        Returns
        -------
        summary : LikelihoodSummary
            ``print(summary)`` shows the table; ``summary.to_frame()``
            returns it as a DataFrame.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import make_classification
        >>> from mlfound.linear_model import FocalLossClassifier
        >>> X, y = make_classification(
        ...     n_samples=300, n_features=3, n_informative=2, n_redundant=0,
        ...     random_state=0,
        ... )
        >>> clf = FocalLossClassifier(gamma=0.0, C=np.inf, tol=1e-8).fit(X, y)
        >>> print(clf.summary())
        FocalLossClassifier (maximum likelihood)
        log-likelihood: -48.3472   AIC: 104.6943   BIC: 119.5094
        observations: 300   parameters: 4   covariance: nonrobust
        ============================================================
                      coef  std err       z  P>|z|   [0.025   0.975]
        ------------------------------------------------------------
        intercept   0.0073   0.3482   0.021  0.983  -0.6752   0.6898
        x0          4.1554   0.5589   7.435  0.000   3.0600   5.2508
        x1          0.1906   0.3003   0.635  0.526  -0.3979   0.7792
        x2         -0.9793   0.3088  -3.171  0.002  -1.5845  -0.3740
        ============================================================
        """
        self._check_likelihood(need_covariance=True)
        return super().summary(alpha=alpha, cov_type=cov_type)

    aic.__doc__ = LikelihoodMixin.aic.__doc__
    bic.__doc__ = LikelihoodMixin.bic.__doc__
    covariance.__doc__ = LikelihoodMixin.covariance.__doc__

    def _parameter_estimates(self):
        features = _feature_names(self)
        block = (["intercept"] if self.fit_intercept else []) + features
        coef = np.asarray(self.coef_, dtype=np.float64)
        intercept = np.asarray(self.intercept_, dtype=np.float64)
        if len(self.classes_) == 2:
            values = np.concatenate([intercept[: int(self.fit_intercept)], coef[0]])
            return block, values
        if self.fit_intercept:
            intercept = intercept - intercept.mean()
        names, values = [], []
        for k, label in enumerate(self.classes_):
            names += [f"{label}:{name}" for name in block]
            values.append(intercept[k : k + int(self.fit_intercept)])
            values.append(coef[k])
        return names, np.concatenate(values)

    def _parameter_covariance(self, cov_type):
        Z = _constraint_basis(self)
        H, B = self._hessian, self._score_cross
        if Z is not None:
            H, B = Z.T @ H @ Z, Z.T @ B @ Z
        inverse = _inverse_hessian(H)
        cov = inverse if cov_type == "nonrobust" else inverse @ B @ inverse
        if Z is not None:
            cov = Z @ cov @ Z.T
        return cov

    def _summary_notes(self):
        notes = []
        if np.isfinite(self.C):
            notes.append(
                f"L2 penalty (C={self.C}) on the coefficients, not the "
                f"intercept: the covariance is the inverse penalised Hessian, "
                f"and the estimates are shrunk towards zero."
            )
        if len(self.classes_) > 2:
            notes.append(
                "Symmetric softmax (one row per class), identified by the "
                "penalty; intercepts centred to sum to zero."
            )
        return notes
