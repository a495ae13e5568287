"""L-BFGS driver for smooth objectives, with scikit-learn's stopping rules."""

import warnings

import numpy as np
import scipy.optimize
from scipy.optimize import OptimizeResult
from sklearn.exceptions import ConvergenceWarning


def minimize_lbfgs(
    value_and_grad,
    w0,
    *,
    tol=1e-4,
    max_iter=100,
    verbose=0,
    bounds=None,
    args=(),
    scale=None,
):
    """Minimise a smooth objective with SciPy's L-BFGS-B.

    The stopping rules are those of scikit-learn's ``LogisticRegression``
    (``gtol=tol`` on the projected gradient, ``ftol=64 * eps``, up to 50 line
    search steps), so an mlfound model fitted with the same ``tol`` and
    ``max_iter`` stops where scikit-learn's would.

    With ``scale`` (a diagonal preconditioner, see
    :func:`mlfound._glm._precondition.jacobi_scale`) L-BFGS-B iterates on
    ``v = w / scale``; the gradient rule is still checked on the gradient with
    respect to ``w``, so ``tol`` keeps its meaning.

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
    scale : ndarray of shape (n_params,), default=None
        Positive per-parameter scale of the change of variables
        ``w = scale * v``; not supported together with ``bounds``.

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
    callback = _progress_printer(value_and_grad, args) if verbose else None
    gtol = tol
    stopped_on_gradient = []
    if scale is not None:
        if bounds is not None:
            raise ValueError("scale and bounds cannot be combined.")
        value_and_grad, callback = _scaled(
            value_and_grad, args, scale, tol, callback, stopped_on_gradient
        )
        w0 = w0 / scale
        gtol = 0.0  # the gradient rule is applied to the unscaled gradient
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
            "gtol": gtol,
            "ftol": 64 * np.finfo(float).eps,
        },
        callback=callback,
    )
    w = result.x if scale is None else result.x * scale
    converged = bool(result.success) or bool(stopped_on_gradient)
    if not converged:
        warnings.warn(
            f"L-BFGS failed to converge after {result.nit} iteration(s) "
            f"({result.message}). Increase max_iter, scale the data (for "
            f"example with StandardScaler) or loosen tol.",
            ConvergenceWarning,
        )
    return w, int(result.nit), converged


def _scaled(value_and_grad, args, scale, tol, progress, stopped_on_gradient):
    """``value_and_grad`` of ``v = w / scale`` and the callback applying ``tol``.

    The callback receives the point of the last evaluation (L-BFGS-B calls it
    after the line search accepted that point), so the unscaled gradient is
    read from a cache rather than evaluated again.
    """
    last = {}

    def scaled_value_and_grad(v, *args):
        w = v * scale
        value, grad = value_and_grad(w, *args)
        last["w"], last["grad"] = w, grad
        return value, grad * scale

    def callback(intermediate_result):
        w = intermediate_result.x * scale
        if not np.array_equal(w, last.get("w")):
            last["w"], last["grad"] = w, value_and_grad(w, *args)[1]
        if progress is not None:
            progress(OptimizeResult(x=w))
        if np.max(np.abs(last["grad"]), initial=0.0) <= tol:
            stopped_on_gradient.append(True)
            raise StopIteration

    return scaled_value_and_grad, callback


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
