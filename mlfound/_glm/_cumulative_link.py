"""Cumulative link loss: the ordinal (proportional odds and friends) datafit.

The parameter vector is ``w = [beta, c]`` with ``beta`` the ``d`` slopes and
``c`` the ``K - 1`` unconstrained cut-point parameters (this layout lets the
shared penalties of :mod:`mlfound._glm._penalties` penalise the first ``d``
entries only)::

    theta_0 = c_0,    theta_k = theta_{k-1} + exp(c_k)   (k >= 1)

so the cut points are strictly increasing by construction. The objective is
the *mean* (sample-weighted) negative log-likelihood plus an L2 penalty on
``beta`` only (the cut points play the intercept's role and are never
penalised)::

    f(w) = (1 / S) sum_i s_i * -log P(y_i | x_i) + l2 / 2 * ||beta||^2

with ``S = sum_i s_i``. Minimising it is equivalent to minimising
``sum_i s_i l_i + ||beta||^2 / (2 C)`` with ``l2 = 1 / (C S)``, the
scaling of scikit-learn's ``LogisticRegression`` (see
:func:`mlfound._glm._penalties.make_penalty`).
"""

import numpy as np
import scipy.sparse as sp
from scipy import special

from mlfound._glm._cumulative_link_effects_fast import cumulative_link_effects
from mlfound._glm._cumulative_link_fast import (
    CAUCHIT,
    CLOGLOG,
    LOGIT,
    LOGLOG,
    PROBIT,
    class_score_ranges,
    cumulative_link_dense,
    cumulative_link_sparse,
    weighted_gram,
)

LINKS = {
    "logit": LOGIT,
    "probit": PROBIT,
    "cloglog": CLOGLOG,
    "loglog": LOGLOG,
    "cauchit": CAUCHIT,
}


def link_quantile(p, link):
    """Inverse of the link's CDF, ``F^{-1}(p)`` (vectorised)."""
    p = np.asarray(p, dtype=np.float64)
    if link == "logit":
        return special.logit(p)
    if link == "probit":
        return special.ndtri(p)
    if link == "cloglog":
        return np.log(-np.log1p(-p))
    if link == "loglog":
        return -np.log(-np.log(p))
    return np.tan(np.pi * (p - 0.5))


def cut_points(c):
    """Cut points ``theta`` from their unconstrained parameters ``c``."""
    c = np.asarray(c, dtype=np.float64)
    theta = np.empty_like(c)
    theta[0] = c[0]
    if c.shape[0] > 1:
        theta[1:] = c[0] + np.cumsum(np.exp(c[1:]))
    return theta


def cut_params(theta):
    """Unconstrained parameters ``c`` of strictly increasing cut points."""
    theta = np.asarray(theta, dtype=np.float64)
    c = np.empty_like(theta)
    c[0] = theta[0]
    c[1:] = np.log(np.diff(theta))
    return c


def link_cdf(z, link):
    """The link's cumulative distribution function ``F(z)`` (vectorised).

    NumPy/SciPy rather than a kernel: prediction needs no compilation.
    """
    z = np.asarray(z, dtype=np.float64)
    if link == "logit":
        return special.expit(z)
    if link == "probit":
        return special.ndtr(z)
    if link == "cloglog":
        return -np.expm1(-np.exp(np.minimum(z, 700.0)))
    if link == "loglog":
        return np.exp(-np.exp(np.minimum(-z, 700.0)))
    return np.arctan2(1.0, -z) / np.pi


def cumulative_proba(eta, theta, link):
    """``P(y <= k | x) = F(theta_k - eta)`` of shape ``(n_samples, K - 1)``."""
    eta = np.asarray(eta, dtype=np.float64).reshape(-1, 1)
    theta = np.asarray(theta, dtype=np.float64).reshape(1, -1)
    return link_cdf(theta - eta, link)


class CumulativeLinkLoss:
    """Penalised cumulative link objective over fixed data.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,), int class codes in ``0..K-1``
    sample_weight : ndarray of shape (n_samples,)
    n_classes : int
    link : str, a key of :data:`LINKS`
    penalty : ElasticNetPenalty or None, default=None
        A smooth penalty from :mod:`mlfound._glm._penalties` on the first
        ``n_coef`` parameters (``l1_ratio=0``: the Newton solver needs a
        twice differentiable objective); ``None`` for no penalty.
    location : ndarray of bool of shape (n_features,) or None, default=None
        Columns of ``X`` with a location slope (all when None).
    Z : ndarray of shape (n_samples, q) or None, default=None
        Nominal columns: each gets ``K - 1`` threshold-specific coefficients.
    S : ndarray of shape (n_samples, r) or None, default=None
        Scale columns: ``sigma = exp(S @ gamma)`` divides the arguments.

    Notes
    -----
    The parameter vector is ``[beta, G, gamma, c]`` (``G`` row-major of shape
    ``(K - 1, q)``); without nominal or scale effects the fused proportional
    odds kernels of :mod:`~mlfound._glm._cumulative_link_fast` run, otherwise
    the kernel of :mod:`~mlfound._glm._cumulative_link_effects_fast`.
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        n_classes,
        link,
        penalty=None,
        *,
        location=None,
        Z=None,
        S=None,
    ):
        self.sparse = sp.issparse(X)
        if self.sparse:
            X = sp.csr_matrix(X)
            if not X.has_canonical_format:
                X = X.copy()
                X.sum_duplicates()
            self._X = (
                np.ascontiguousarray(X.data, dtype=np.float64),
                np.ascontiguousarray(X.indices, dtype=np.int64),
                np.ascontiguousarray(X.indptr, dtype=np.int64),
            )
        else:
            self._X = (np.ascontiguousarray(X, dtype=np.float64),)
        n_samples, n_columns = X.shape
        self.n_classes = int(n_classes)
        n_cuts = self.n_classes - 1
        location = (
            np.ones(n_columns, dtype=bool)
            if location is None
            else np.asarray(location, dtype=bool)
        )
        self._loc_index = np.where(location, np.cumsum(location) - 1, -1).astype(
            np.int64
        )
        self.n_features = int(location.sum())  # location slopes
        self._Z = np.ascontiguousarray(
            np.empty((n_samples, 0)) if Z is None else Z, dtype=np.float64
        )
        self._S = np.ascontiguousarray(
            np.empty((n_samples, 0)) if S is None else S, dtype=np.float64
        )
        self.n_nominal = self._Z.shape[1]
        self.n_scale = self._S.shape[1]
        self.effects = (
            self.n_nominal > 0 or self.n_scale > 0 or self.n_features < n_columns
        )
        self.n_coef = self.n_features + n_cuts * self.n_nominal + self.n_scale
        self.y = np.ascontiguousarray(y, dtype=np.int64)
        self.sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
        self.sw_sum = float(self.sample_weight.sum())
        self.link = link
        self._link_code = LINKS[link]
        if penalty is not None and not penalty.is_smooth:
            raise ValueError("The cumulative link loss takes a smooth (L2) penalty.")
        self.penalty = penalty
        n_params = self.n_coef + n_cuts
        self._grad = np.empty(n_params)
        self._hess = np.empty((n_params, n_params))
        self._no_hess = np.empty((1, 1))
        self._h_eta = np.empty(0 if self.sparse else n_samples)
        self._no_h_eta = np.empty(1)

    @property
    def n_params(self):
        return self.n_coef + self.n_classes - 1

    def split(self, w):
        """``(beta, G, gamma, theta)`` from the parameter vector ``w``."""
        w = np.asarray(w, dtype=np.float64)
        p, q = self.n_features, self.n_nominal
        n_cuts = self.n_classes - 1
        beta = np.ascontiguousarray(w[:p])
        G = np.ascontiguousarray(w[p : p + n_cuts * q]).reshape(n_cuts, q)
        gamma = np.ascontiguousarray(w[p + n_cuts * q : self.n_coef])
        return beta, G, gamma, cut_points(w[self.n_coef :])

    def initial_params(self):
        """``beta = 0`` and the cut points of the intercept-only MLE."""
        counts = np.bincount(
            self.y, weights=self.sample_weight, minlength=self.n_classes
        )
        cum = np.cumsum(counts)[:-1] / self.sw_sum
        theta = link_quantile(np.clip(cum, 1e-10, 1 - 1e-10), self.link)
        # keep the cut points strictly increasing even for near-empty classes
        theta = np.maximum.accumulate(theta)
        theta[1:] = np.maximum(theta[1:], theta[:-1] + 1e-6)
        return np.concatenate([np.zeros(self.n_coef), cut_params(theta)])

    def _raw(self, w, with_hess):
        """Weighted loss; gradient and Hessian on the ``theta`` scale in place."""
        beta, G, gamma, theta = self.split(w)
        hess = self._hess if with_hess else self._no_hess
        if self.effects:
            return self._raw_effects(beta, G, gamma, theta, with_hess, False, hess)
        if self.sparse:
            data, indices, indptr = self._X
            loss = cumulative_link_sparse(
                data,
                indices,
                indptr,
                self.y,
                self.sample_weight,
                beta,
                theta,
                self._link_code,
                with_hess,
                self._grad,
                hess,
            )
        else:
            X = self._X[0]
            h_eta = self._h_eta if with_hess else self._no_h_eta
            loss = cumulative_link_dense(
                X,
                self.y,
                self.sample_weight,
                beta,
                theta,
                self._link_code,
                with_hess,
                self._grad,
                hess,
                h_eta,
            )
            if with_hess:
                weighted_gram(X, h_eta, hess)
                d = self.n_features
                cut_block = hess[d:, d:]
                hess[:d, d:] = hess[d:, :d].T
                hess[d:, d:] = np.tril(cut_block) + np.tril(cut_block, -1).T
        return loss

    def _raw_effects(self, beta, G, gamma, theta, with_hess, with_meat, hess):
        if self.sparse:
            X = self._no_hess
            data, indices, indptr = self._X
        else:
            X = self._X[0]
            data = self._no_h_eta
            indices = np.zeros(1, dtype=np.int64)
            indptr = np.zeros(1, dtype=np.int64)
        meat = np.empty_like(hess) if with_meat else self._no_hess
        loss = cumulative_link_effects(
            X,
            data,
            indices,
            indptr,
            self.sparse,
            self._loc_index,
            self._Z,
            self._S,
            self.y,
            self.sample_weight,
            beta,
            G,
            gamma,
            theta,
            self._link_code,
            with_hess,
            with_meat,
            self._grad,
            hess,
            meat,
        )
        return (loss, meat) if with_meat else loss

    def loglik(self, w):
        """Weighted log-likelihood (no penalty) at ``w``."""
        return -self._raw(np.asarray(w, dtype=np.float64), False)

    def information(self, w):
        """Log-likelihood, Hessian and sandwich meat on the user's scale.

        The unpenalised Hessian of the *summed* weighted negative
        log-likelihood and ``sum_i s_i g_i g_i^T`` (``g_i`` the per-sample
        gradient), both with respect to ``[beta, G, gamma, theta]`` (the cut
        points themselves, not ``c``), in one pass over the data.
        """
        beta, G, gamma, theta = self.split(w)
        n = self.n_params
        hess = np.empty((n, n))
        loss, meat = self._raw_effects(beta, G, gamma, theta, True, True, hess)
        return -loss, hess, meat

    def _evaluate(self, w, with_hess):
        w = np.asarray(w, dtype=np.float64)
        d = self.n_coef
        c = w[d:]
        scale = 1.0 / self.sw_sum
        loss = self._raw(w, with_hess) * scale
        g = self._grad * scale
        # chain rule theta -> c: theta_k = c_0 + sum_{1 <= j <= k} exp(c_j)
        e = np.exp(c)
        e[0] = 1.0
        g_theta = g[d:]
        tail = np.cumsum(g_theta[::-1])[::-1]  # sum_{k >= j} g_theta_k
        grad = np.empty_like(g)
        grad[:d] = g[:d]
        grad[d:] = e * tail
        if self.penalty is not None:
            loss += self.penalty.smooth_value_grad(w, grad)
        if not with_hess:
            return loss, grad
        H = self._hess * scale
        m = self.n_classes - 1
        J = np.tril(np.ones((m, m))) * e  # d theta_k / d c_j
        hess = np.empty_like(H)
        hess[:d, :d] = H[:d, :d]
        cross = H[:d, d:] @ J
        hess[:d, d:] = cross
        hess[d:, :d] = cross.T
        hess[d:, d:] = J.T @ H[d:, d:] @ J
        hess[d + 1 :, d + 1 :] += np.diag(e[1:] * tail[1:])
        if self.penalty is not None and self.penalty.l2 > 0:
            k = self.penalty.n_penalized
            hess[np.arange(k), np.arange(k)] += self.penalty.l2
        return loss, grad, hess

    def value_and_grad(self, w):
        """Objective and gradient at ``w`` (one pass over ``X``)."""
        return self._evaluate(w, False)

    def value_grad_hess(self, w):
        """Objective, gradient and Hessian at ``w`` (one pass over ``X``)."""
        return self._evaluate(w, True)


# Above this many stored values in the constraint matrix the linear program of
# separated_boundaries is skipped and the (cheap) screen decides alone.
_MAX_LP_SIZE = 5_000_000


def separated_boundaries(X, y, sample_weight, n_classes, *, scores=None):
    """Class boundaries along which the unpenalised likelihood has no maximum.

    The maximum-likelihood estimate of a cumulative link model does not exist
    when a *recession direction* ``(d_beta, d_theta)`` exists: ``d_theta``
    non-decreasing, every sample of positive weight kept on its side of its
    cut points (``x_i @ d_beta <= d_theta_{y_i}`` below its upper cut and
    ``x_i @ d_beta >= d_theta_{y_i - 1}`` above its lower one), and at least
    one of those inequalities strict. Along it the likelihood increases for
    ever, and the solver stops only because the gradient vanishes in
    floating point. This is the ordinal form of the (quasi-)complete
    separation of logistic regression.

    One linear program decides it: maximise the total slack of those
    inequalities over directions in the unit box; a positive optimum is a
    recession direction. It is solved only when the fitted latent ``scores``
    (when given) separate the classes at some boundary, which is cheap to
    check and necessary in practice, so overlapping classes cost one pass.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class codes in ``0..n_classes-1``.
    sample_weight : ndarray of shape (n_samples,)
        Rows of weight 0 impose nothing.
    n_classes : int
    scores : ndarray of shape (n_samples,) or None, default=None
        Fitted latent scores ``X @ coef``; ``None`` skips the screen.

    Returns
    -------
    boundaries : list of int
        The boundaries ``k`` (between classes ``k`` and ``k + 1``) with a
        strict inequality along the recession direction found; empty when
        the maximum-likelihood estimate exists.
    proven : bool
        True when the linear program decided; False when the data were too
        large for it (more than 5 million stored values) and ``boundaries``
        are those the fitted ``scores`` separate, a strong hint only.
    """
    from scipy.optimize import linprog

    y = np.ascontiguousarray(y, dtype=np.int64)
    sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
    if scores is not None:
        lows = np.full(n_classes, np.inf)
        highs = np.full(n_classes, -np.inf)
        class_score_ranges(
            np.ascontiguousarray(scores, dtype=np.float64),
            y,
            sample_weight,
            lows,
            highs,
        )
        # boundary k is separated when no class above it scores below the
        # highest score of a class at or below it
        below = np.maximum.accumulate(highs)[:-1]
        above = np.minimum.accumulate(lows[::-1])[::-1][1:]
        suspects = np.flatnonzero(below <= above).tolist()
        if not suspects:
            return [], True
    keep = sample_weight > 0
    y = y[keep]
    n_samples, n_features = y.shape[0], X.shape[1]
    if scores is not None:
        nnz = X[keep].nnz if sp.issparse(X) else n_samples * n_features
        if 2 * nnz > _MAX_LP_SIZE:
            return suspects, False
    X = X[keep] if sp.issparse(X) else np.asarray(X)[keep]
    n_cuts = n_classes - 1
    # Columns scaled to max |x| = 1 so that the slack is comparable across
    # features (the direction is found up to this diagonal change).
    col_max = (
        abs(X).max(axis=0).toarray().ravel()
        if sp.issparse(X)
        else np.max(np.abs(X), axis=0, initial=0.0)
    )
    col_scale = 1.0 / np.where(col_max > 0, col_max, 1.0)
    Xs = sp.csr_matrix(X) @ sp.diags(col_scale)
    rows = np.arange(n_samples)
    # upper cut: x @ d_beta - d_theta_{y} <= 0 for y < K - 1
    up = y < n_cuts
    upper = sp.hstack(
        [
            Xs[up],
            sp.csr_matrix(
                (-np.ones(up.sum()), (rows[: up.sum()], y[up])),
                shape=(up.sum(), n_cuts),
            ),
        ]
    )
    # lower cut: d_theta_{y-1} - x @ d_beta <= 0 for y > 0
    lo = y > 0
    lower = sp.hstack(
        [
            -Xs[lo],
            sp.csr_matrix(
                (np.ones(lo.sum()), (rows[: lo.sum()], y[lo] - 1)),
                shape=(lo.sum(), n_cuts),
            ),
        ]
    )
    # order: d_theta_k - d_theta_{k+1} <= 0
    order = sp.hstack(
        [
            sp.csr_matrix((n_cuts - 1, n_features)),
            sp.eye(n_cuts - 1, n_cuts, format="csr")
            - sp.eye(n_cuts - 1, n_cuts, k=1, format="csr"),
        ]
    )
    A = sp.vstack([upper, lower]).tocsr()
    A_ub = sp.vstack([A, order]).tocsr()
    # maximise the total slack -sum(A v) over the box |v| <= 1
    result = linprog(
        np.asarray(A.sum(axis=0)).ravel(),
        A_ub=A_ub,
        b_ub=np.zeros(A_ub.shape[0]),
        bounds=(-1.0, 1.0),
        method="highs",
        options={"primal_feasibility_tolerance": 1e-10},
    )
    if result.status != 0 or -result.fun <= 1e-6:
        return [], True
    slack = -(A @ result.x)
    cuts = np.r_[y[up], y[lo] - 1]
    return sorted(set(cuts[slack > 1e-6].tolist())), True
