"""L-BFGS driver for smooth objectives, with scikit-learn's stopping rules."""

import warnings

import numpy as np
import scipy.optimize
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
    search steps), so without ``scale`` an mlfound model fitted with the same
    ``tol`` and ``max_iter`` stops where scikit-learn's would.

    With ``scale`` (a diagonal preconditioner, see
    :func:`mlfound._glm._precondition.jacobi_scale`) L-BFGS-B iterates on
    ``v = w / scale``, while the gradient rule is still checked on the
    gradient with respect to ``w`` (also at ``w0``, so a warm start that is
    already within ``tol`` returns at once), so ``tol`` keeps its meaning. As
    in scikit-learn, the ``ftol`` rule (no relative decrease of the objective
    beyond ``64 * eps``) may stop the solver first.

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
        Positive, finite per-parameter scale of the change of variables
        ``w = scale * v``; not supported together with ``bounds``.

    Returns
    -------
    w : ndarray of shape (n_params,)
        The minimiser found.
    n_iter : int
        Number of iterations run.
    converged : bool
        Whether the solver met its tolerance. A ``ConvergenceWarning`` is
        issued when it did not. ``max_iter=0`` returns ``w0`` with
        ``n_iter=0``, ``converged=False`` and that warning, without
        evaluating the objective.
    """
    w0 = np.ascontiguousarray(w0, dtype=np.float64)
    if max_iter == 0:
        # SciPy's L-BFGS-B would still take a step; scikit-learn's meaning
        # is no iteration at all.
        warn_no_iteration("L-BFGS")
        return w0.copy(), 0, False
    callback = _progress_printer(value_and_grad, args) if verbose else None
    fun, x0, fun_args, gtol = value_and_grad, w0, args, tol
    scaled = None
    if scale is not None:
        if bounds is not None:
            raise ValueError("scale and bounds cannot be combined.")
        scaled = _ScaledProblem(value_and_grad, args, w0, scale, tol, callback)
        if scaled.within_tol_at_start():
            return w0, 0, True
        fun, x0, fun_args, callback = scaled, scaled.v0, (), scaled.callback
        gtol = 0.0  # the gradient rule is applied to the unscaled gradient
    result = scipy.optimize.minimize(
        fun,
        x0,
        method="L-BFGS-B",
        jac=True,
        args=fun_args,
        bounds=bounds,
        options={
            "maxiter": max_iter,
            "maxls": 50,
            "gtol": gtol,
            "ftol": 64 * np.finfo(float).eps,
        },
        callback=callback,
    )
    w = result.x if scaled is None else result.x * scale
    converged = bool(result.success) or (scaled is not None and scaled.stopped)
    if not converged:
        warnings.warn(
            f"L-BFGS failed to converge after {result.nit} iteration(s) "
            f"({result.message}). Increase max_iter, scale the data (for "
            f"example with StandardScaler) or loosen tol.",
            ConvergenceWarning,
        )
    return w, int(result.nit), converged


def warn_no_iteration(solver):
    """The ``ConvergenceWarning`` of a solver called with ``max_iter=0``."""
    warnings.warn(
        f"{solver} ran no iteration (max_iter=0): the result is the starting "
        f"point (zeros, or the previous solution with warm_start). Increase "
        f"max_iter to fit the model.",
        ConvergenceWarning,
        stacklevel=3,
    )


class _ScaledProblem:
    """``value_and_grad`` of ``v = w / scale``, and the callback applying ``tol``.

    The last evaluation is cached by its ``v``: L-BFGS-B calls the callback
    at the point its line search accepted, which is the point it evaluated
    last, so the gradient with respect to ``w`` is read from the cache rather
    than computed again (likewise for the first evaluation, at ``w0``).
    """

    def __init__(self, value_and_grad, args, w0, scale, tol, progress):
        self.value_and_grad = value_and_grad
        self.args = args
        self.v0 = w0 / scale
        self.scale = scale
        self.tol = tol
        self.progress = progress
        self.stopped = False
        self._v = self._value = self._grad = None

    def _evaluate(self, v):
        if self._v is None or not np.array_equal(v, self._v):
            w = v * self.scale
            self._value, self._grad = self.value_and_grad(w, *self.args)
            self._v = v.copy()
        return self._value, self._grad

    def within_tol_at_start(self):
        """Evaluate at ``w0`` (cached for the solver); is it already within tol?"""
        _, grad = self._evaluate(self.v0)
        return np.max(np.abs(grad), initial=0.0) <= self.tol

    def __call__(self, v):
        value, grad = self._evaluate(v)
        return value, grad * self.scale

    def callback(self, intermediate_result):
        value, grad = self._evaluate(intermediate_result.x)
        if self.progress is not None:
            self.progress.print_line(value, grad)
        if np.max(np.abs(grad), initial=0.0) <= self.tol:
            self.stopped = True
            raise StopIteration


def _progress_printer(value_and_grad, args):
    """Return an L-BFGS callback that prints one line per iteration.

    Its ``print_line(value, grad)`` attribute prints a line from values in
    hand, without evaluating the objective again.
    """
    state = {"it": 0}

    def print_line(value, grad):
        state["it"] += 1
        print(
            f"L-BFGS iter {state['it']:4d}: objective={value:.10g} "
            f"|grad|_inf={np.max(np.abs(grad)):.3e}"
        )

    def callback(intermediate_result):
        print_line(*value_and_grad(intermediate_result.x, *args))

    callback.print_line = print_line
    return callback
