"""Scoring, L-BFGS and EM solvers of the position-bias click likelihood.

The solvers see the data only through a rows object (see ``_click_rows``):
each evaluation asks it for one sum over the rows, whether the rows are in
memory or in the partitions of a Dask array.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mlfound._glm._lbfgs import minimize_lbfgs

# Parameters are packed as (coef, intercept, log theta); ``free``
# marks the entries that are optimised (the others stay at their start).


def _objective(rows, params, C):
    n_features = rows.n_features
    coef = params[:n_features]
    value, g_coef, g_b, g_theta = rows.nll_grad(
        coef, params[n_features], params[n_features + 1 :], True
    )
    grad = np.concatenate([g_coef, [g_b], g_theta])
    if np.isfinite(C):
        value += 0.5 * (coef @ coef) / C
        grad[:n_features] += coef / C
    return value, grad


def _solve_scoring(rows, params, free, *, C, tol, max_iter, warn=True):
    """Fisher scoring with backtracking; ``log theta <= 0`` by projection."""
    n_features = rows.n_features
    n_lin = n_features + 1
    total = rows.total
    params = params.copy()

    def evaluate(p):
        value, grad, *info = rows.fisher_step(p[:n_features], p[n_features], p[n_lin:])
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


def _solve_lbfgs(rows, params, free, *, C, tol, max_iter, warn=True):
    """L-BFGS-B on the mean negative log-likelihood (bounds fix non-free entries)."""
    n_lin = rows.n_features + 1
    total = rows.total
    full = params.copy()

    def value_and_grad(p):
        value, grad = _objective(rows, p, C)
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


def _solve_em(rows, params, free, *, C, tol, max_iter, warn=True):
    """Regression-EM: closed-form M-step for theta, one Newton step for w."""
    n_features = rows.n_features
    n_lin = n_features + 1
    total = rows.total
    params = params.copy()
    theta = np.exp(params[n_lin:])
    free_theta = free[n_lin:]
    lin_free = free[:n_lin]
    old = -np.inf
    converged = False
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        loglik, examined, counts, grad, hess = rows.em_step(
            params[:n_features], params[n_features], theta, True
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
    value, _ = _objective(rows, params, C)
    return params, value, n_iter
