"""L-BFGS driver for smooth objectives, with scikit-learn's stopping rules."""

import warnings

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning


def minimize_lbfgs(
    value_and_grad, w0, *, tol=1e-4, max_iter=100, verbose=0, bounds=None, args=()
):
    """Minimise a smooth objective with SciPy's L-BFGS-B.

    The stopping rules are those of scikit-learn's ``LogisticRegression``
    (``gtol=tol`` on the projected gradient, ``ftol=64 * eps``, up to 50 line
    search steps), so an mlfound model fitted with the same ``tol`` and
    ``max_iter`` stops where scikit-learn's would.

    Parameters
    ----------
    value_and_grad : callable
        ``value_and_grad(w, *args) -> (value, gradient)``; called once per
        function evaluation, so it should compute both in one pass over the
        data.
    w0 : ndarray of shape (n_params,)
        Starting point (float64).
    tol : float, default=1e-4
        Tolerance on the max-norm of the projected gradient.
    max_iter : int, default=100
        Maximum number of L-BFGS iterations.
    verbose : int, default=0
        Print the objective and gradient norm at each iteration when positive.
    bounds : sequence of (low, high) pairs, default=None
        Box constraints on the parameters.
    args : tuple, default=()
        Extra arguments passed to ``value_and_grad``.

    Returns
    -------
    w : ndarray of shape (n_params,)
        The minimiser found.
    n_iter : int
        Number of iterations run.
    converged : bool
        Whether the solver met its tolerance. A ``ConvergenceWarning`` is
        issued when it did not.
    """
    w0 = np.ascontiguousarray(w0, dtype=np.float64)
    result = scipy.optimize.minimize(
        value_and_grad,
        w0,
        method="L-BFGS-B",
        jac=True,
        args=args,
        bounds=bounds,
        options={
            "maxiter": max_iter,
            "maxls": 50,
            "gtol": tol,
            "ftol": 64 * np.finfo(float).eps,
        },
        callback=_progress_printer(value_and_grad, args) if verbose else None,
    )
    converged = bool(result.success)
    if not converged:
        warnings.warn(
            f"L-BFGS failed to converge after {result.nit} iteration(s) "
            f"({result.message}). Increase max_iter, scale the data (for "
            f"example with StandardScaler) or loosen tol.",
            ConvergenceWarning,
        )
    return result.x, int(result.nit), converged


def _progress_printer(value_and_grad, args):
    """Return an L-BFGS callback that prints one line per iteration."""
    state = {"it": 0}

    def callback(intermediate_result):
        state["it"] += 1
        w = intermediate_result.x
        value, grad = value_and_grad(w, *args)
        print(
            f"L-BFGS iter {state['it']:4d}: objective={value:.10g} "
            f"|grad|_inf={np.max(np.abs(grad)):.3e}"
        )

    return callback
