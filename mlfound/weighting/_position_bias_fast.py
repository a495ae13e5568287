"""Numba kernels of the position-based examination model.

The model is ``P(click | x, k) = theta_k * sigmoid(x @ w + b)``. Both kernels
make one pass over the rows and accumulate the per-position statistics inline
(positions are 0-based codes here, ``theta`` is indexed by code).

``_nll_grad``
    Weighted negative log-likelihood and its gradient with respect to
    ``(w, b, log theta)``: the objective of the direct maximum-likelihood
    solver.
``_em_step``
    One regression-EM pass: the E-step posteriors of examination and
    relevance for every non-clicked row, summed per position (the M-step for
    ``theta``), and the gradient and Hessian of the relevance model's
    log-likelihood on the soft relevance labels (one Newton M-step).
"""

import numpy as np

from mlfound._kernels.sigmoid import sigmoid_parts
from mlfound.utils._jit import njit


@njit
def _one_minus_theta_sigmoid(theta, sig, one_minus_sig):
    """``1 - theta * sigmoid(z)`` without cancellation, floored at 1e-300.

    Written as ``(1 - sigmoid(z)) + (1 - theta) * sigmoid(z)``: both terms are
    non-negative, so it stays accurate when ``theta`` and ``sigmoid(z)`` are
    both close to 1.
    """
    return max(one_minus_sig + (1.0 - theta) * sig, 1e-300)


@njit
def _row_terms(z, clicked, theta, log_theta):
    """One row's negative log-likelihood under ``p = theta * sigmoid(z)``.

    Returns ``(loss, dloss/dz, dloss/dlog(theta), p / (1 - p), 1 - sigmoid(z))``,
    shared by the gradient and the Fisher-scoring passes.
    """
    sig, one_minus_sig, log_sig, _ = sigmoid_parts(z)
    one_minus_p = _one_minus_theta_sigmoid(theta, sig, one_minus_sig)
    odds = theta * sig / one_minus_p
    if clicked:
        return -(log_theta + log_sig), -one_minus_sig, -1.0, odds, one_minus_sig
    return -np.log(one_minus_p), odds * one_minus_sig, odds, odds, one_minus_sig


@njit
def _nll_grad(X, y, codes, sample_weight, coef, intercept, log_theta, fit_intercept):
    """Negative log-likelihood (weighted sum) and gradient of the click model.

    Returns ``(value, grad_coef, grad_intercept, grad_log_theta)``.
    """
    n_samples, n_features = X.shape
    n_positions = log_theta.shape[0]
    theta = np.exp(log_theta)
    grad_coef = np.zeros(n_features)
    grad_log_theta = np.zeros(n_positions)
    grad_intercept = 0.0
    value = 0.0
    for i in range(n_samples):
        z = intercept
        for j in range(n_features):
            z += X[i, j] * coef[j]
        k = codes[i]
        sw = 1.0 if sample_weight is None else sample_weight[i]
        if sw == 0.0:
            continue
        loss, gz, g_log_theta, _, _ = _row_terms(z, y[i] > 0, theta[k], log_theta[k])
        value += sw * loss
        grad_log_theta[k] += sw * g_log_theta
        gz *= sw
        grad_intercept += gz
        for j in range(n_features):
            grad_coef[j] += gz * X[i, j]
    if not fit_intercept:
        grad_intercept = 0.0
    return value, grad_coef, grad_intercept, grad_log_theta


@njit
def _em_step(X, y, codes, sample_weight, coef, intercept, theta, fit_intercept):
    """One regression-EM pass over the rows.

    Returns ``(loglik, examined_sums, counts, grad, hess)`` where
    ``examined_sums[k]`` is the weighted sum of ``P(examined | row)`` over the
    rows at position ``k`` and ``counts[k]`` their weight (the M-step for
    ``theta`` is their ratio), and ``grad``/``hess`` are the gradient and
    Hessian of the negative log-likelihood of the relevance model on the
    E-step's soft labels ``P(relevant | row)``, with respect to
    ``(coef, intercept)`` (the intercept last).
    """
    n_samples, n_features = X.shape
    n_positions = theta.shape[0]
    n_params = n_features + 1
    examined_sums = np.zeros(n_positions)
    counts = np.zeros(n_positions)
    grad = np.zeros(n_params)
    hess = np.zeros((n_params, n_params))
    loglik = 0.0
    xi = np.empty(n_params)
    for i in range(n_samples):
        z = intercept
        for j in range(n_features):
            z += X[i, j] * coef[j]
        k = codes[i]
        sw = 1.0 if sample_weight is None else sample_weight[i]
        th = theta[k]
        sig, one_minus_sig, log_sig, _ = sigmoid_parts(z)
        if y[i] > 0:
            post_examined = 1.0
            post_relevant = 1.0
            loglik += sw * (np.log(max(th, 1e-300)) + log_sig)
        else:
            denom = _one_minus_theta_sigmoid(th, sig, one_minus_sig)
            post_examined = th * one_minus_sig / denom
            post_relevant = (1.0 - th) * sig / denom
            loglik += sw * np.log(denom)
        examined_sums[k] += sw * post_examined
        counts[k] += sw
        g = sw * (sig - post_relevant)
        h = sw * sig * one_minus_sig
        for j in range(n_features):
            xi[j] = X[i, j]
        xi[n_features] = 1.0
        for a in range(n_params):
            grad[a] += g * xi[a]
            ha = h * xi[a]
            for b in range(a + 1):
                hess[a, b] += ha * xi[b]
    for a in range(n_params):
        for b in range(a):
            hess[b, a] = hess[a, b]
    if not fit_intercept:
        grad[n_features] = 0.0
    return loglik, examined_sums, counts, grad, hess


@njit
def _fisher_step(X, y, codes, sample_weight, coef, intercept, log_theta):
    """Negative log-likelihood, gradient and Fisher information in one pass.

    The parameters are ``(coef, intercept, log theta_1, ..., log theta_K)``.
    For a Bernoulli outcome with ``p = theta_k * sigmoid(z)`` the expected
    Hessian of one row is ``p / (1 - p) * u u^T`` with
    ``u = ((1 - sigmoid(z)) * (x, 1), e_k)``: positive semi-definite, which
    makes Fisher scoring a safe Newton-type method although the likelihood
    is not concave.

    The information matrix is an arrow: a dense block for ``(coef,
    intercept)``, a cross block between each position and ``(coef,
    intercept)``, and a diagonal for the positions (a row informs one
    position only). It is returned as these three blocks, so that its
    memory is linear in the number of positions.

    Returns ``(value, grad, info_lin, info_cross, info_theta)`` of shapes
    ``()``, ``(n_params,)``, ``(n_lin, n_lin)`` (symmetric),
    ``(n_positions, n_lin)`` and ``(n_positions,)``, where
    ``n_lin = n_features + 1``.
    """
    n_samples, n_features = X.shape
    n_positions = log_theta.shape[0]
    n_lin = n_features + 1
    n_params = n_lin + n_positions
    theta = np.exp(log_theta)
    grad = np.zeros(n_params)
    info_lin = np.zeros((n_lin, n_lin))
    info_cross = np.zeros((n_positions, n_lin))
    info_theta = np.zeros(n_positions)
    u = np.empty(n_lin)
    value = 0.0
    for i in range(n_samples):
        z = intercept
        for j in range(n_features):
            z += X[i, j] * coef[j]
        k = codes[i]
        sw = 1.0 if sample_weight is None else sample_weight[i]
        if sw == 0.0:
            continue
        loss, gz, ga, r, one_minus_sig = _row_terms(z, y[i] > 0, theta[k], log_theta[k])
        value += sw * loss
        gz *= sw
        grad[n_features] += gz
        for j in range(n_features):
            grad[j] += gz * X[i, j]
        grad[n_lin + k] += sw * ga
        # Fisher information: sw * r * u u^T
        h = sw * r
        s = one_minus_sig
        for j in range(n_features):
            u[j] = s * X[i, j]
        u[n_features] = s
        for a in range(n_lin):
            ha = h * u[a]
            info_cross[k, a] += ha
            for b in range(a + 1):
                info_lin[a, b] += ha * u[b]
        info_theta[k] += h
    for a in range(n_lin):
        for b in range(a):
            info_lin[b, a] = info_lin[a, b]
    return value, grad, info_lin, info_cross, info_theta
