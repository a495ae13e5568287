"""Damped Newton driver for smooth objectives with a small exact Hessian."""

import warnings

import numpy as np
import scipy.linalg
from sklearn.exceptions import ConvergenceWarning

from mlfound._glm._lbfgs import warn_no_iteration

_EPS = np.finfo(np.float64).eps


def minimize_newton(value_grad_hess, w0, *, tol=1e-4, max_iter=100, verbose=0, args=()):
    """Minimise a smooth objective by Newton steps with a backtracking line search.

    Meant for objectives with few parameters (a Hessian of a few hundred rows
    at most) where one pass over the data yields value, gradient and Hessian
    together, e.g. the cumulative link models. Each iteration solves
    ``H d = -g`` by Cholesky; when ``H`` is not positive definite (a non
    log-concave link far from the optimum) a multiple of the identity is added
    until it is (Levenberg-Marquardt damping), so ``d`` is always a descent
    direction. The step length is found by Armijo backtracking.

    The stopping rule is scikit-learn's: the max-norm of the gradient is at
    most ``tol``. When it is met, the Newton step already computed at that
    point is taken as a final step without a line search (it costs no pass
    over the data): with quadratic convergence this squares the remaining
    error, so the returned point is the optimum to machine precision in
    practice.

    Parameters
    ----------
    value_grad_hess : callable
        ``value_grad_hess(w, *args) -> (value, gradient, hessian)``.
    w0 : ndarray of shape (n_params,)
        Starting point.
    tol : float, default=1e-4
        Tolerance on the max-norm of the gradient.
    max_iter : int, default=100
        Maximum number of Newton iterations.
    verbose : int, default=0
        Print the objective and gradient norm at each iteration when positive.
    args : tuple, default=()
        Extra arguments passed to ``value_grad_hess``.

    Returns
    -------
    w : ndarray of shape (n_params,)
        The minimiser found.
    n_iter : int
        Number of Newton steps taken (the final step included).
    converged : bool
        Whether the gradient tolerance was met. A ``ConvergenceWarning`` is
        issued when it was not. ``max_iter=0`` returns ``w0`` unevaluated
        with ``n_iter=0``.
    """
    w = np.array(w0, dtype=np.float64)
    if max_iter == 0:
        warn_no_iteration("Newton solver")
        return w, 0, False
    value, grad, hess = value_grad_hess(w, *args)
    converged = False
    message = f"reached max_iter={max_iter}"
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        step = _newton_direction(grad, hess)
        gnorm = np.max(np.abs(grad)) if grad.size else 0.0
        if verbose:
            print(
                f"Newton iter {n_iter:4d}: objective={value:.12g} "
                f"|grad|_inf={gnorm:.3e}"
            )
        if gnorm <= tol:
            w += step
            converged = True
            break
        slope = float(grad @ step)
        t = 1.0
        for _ in range(50):
            w_new = w + t * step
            new_value, new_grad, new_hess = value_grad_hess(w_new, *args)
            if not np.isfinite(new_value):
                t *= 0.5
                continue
            if new_value <= value + 1e-4 * t * slope:
                break
            # Near the optimum the decrease drowns in rounding error: accept a
            # step that keeps the objective within rounding and shrinks the
            # gradient (as scikit-learn's Newton solvers do).
            if abs(new_value - value) <= 64 * _EPS * abs(value) and np.max(
                np.abs(new_grad)
            ) < np.max(np.abs(grad)):
                break
            t *= 0.5
        else:
            message = "the line search failed to decrease the objective"
            break
        w, value, grad, hess = w_new, new_value, new_grad, new_hess
    if not converged:
        warnings.warn(
            f"Newton solver failed to converge after {n_iter} iteration(s) "
            f"({message}). Increase max_iter, scale the data (for example with "
            f"StandardScaler) or loosen tol.",
            ConvergenceWarning,
        )
    return w, n_iter, converged


def _newton_direction(grad, hess):
    """Solve ``hess @ d = -grad``, damping ``hess`` until it is positive definite."""
    n = grad.shape[0]
    if n == 0:
        return np.zeros(0)
    scale = max(float(np.max(np.abs(np.diag(hess)))), 1e-12)
    damping = 0.0
    for _ in range(60):
        try:
            factor = scipy.linalg.cho_factor(
                hess + damping * np.eye(n), lower=True, check_finite=False
            )
            step = -scipy.linalg.cho_solve(factor, grad, check_finite=False)
            if np.all(np.isfinite(step)):
                return step
        except np.linalg.LinAlgError:
            pass
        damping = scale * 1e-10 if damping == 0.0 else damping * 10.0
    # Hessian unusable: fall back to steepest descent
    return -grad / scale
