"""Solvers for ``smooth(w) + penalty(w)``: L-BFGS, FISTA, mini-batch SGD/Adam.

Contracts (duck-typed, loss-agnostic):

- ``smooth(w) -> (value, grad)``: the smooth part of the objective (data term
  plus the squared-L2 part of the penalty), e.g. a
  :class:`~mlfound._glm._losses.LinearObjective`;
- ``penalty``: an object with ``nonsmooth_value(w)``, ``prox(w, step)``,
  ``min_norm_subgradient(w, grad)`` and ``is_smooth`` (see
  :mod:`mlfound._glm._penalties`).

Every solver returns ``(w, n_iter, converged)`` and warns with a
``ConvergenceWarning`` when it stops on ``max_iter``.
"""

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from mlfound._glm._lbfgs import minimize_lbfgs, warn_no_iteration

__all__ = [
    "MiniBatchOptimizer",
    "learning_rate_at",
    "minimize_lbfgs",
    "minimize_minibatch",
    "minimize_proximal",
]


def minimize_proximal(smooth, penalty, w0, *, tol=1e-4, max_iter=1000, verbose=0):
    """Accelerated proximal gradient (FISTA) with backtracking and restart.

    Minimises ``smooth(w) + penalty.nonsmooth_value(w)``. The step size ``1/L``
    is found by backtracking on the quadratic upper bound and allowed to grow
    again between iterations; the momentum restarts whenever the objective
    increases (adaptive restart), which gives linear convergence on strongly
    convex problems.

    Stops when the max-norm of the minimum-norm subgradient is below ``tol``
    (the criterion L-BFGS applies to the gradient of a smooth problem), or when
    the objective no longer decreases in floating point. ``max_iter=0``
    returns ``w0`` unevaluated with ``n_iter=0`` and a ``ConvergenceWarning``.
    """
    x = np.array(w0, dtype=np.float64)
    if max_iter == 0:
        warn_no_iteration("The proximal gradient solver")
        return x, 0, False
    f_x, g_x = smooth(x)
    obj_x = f_x + penalty.nonsmooth_value(x)
    if penalty.min_norm_subgradient(x, g_x) <= tol:
        return x, 0, True
    lipschitz = max(1.0, float(np.max(np.abs(g_x))))
    y, f_y, g_y = x, f_x, g_x
    t = 1.0
    stalled = 0
    for n_iter in range(1, max_iter + 1):
        lipschitz *= 0.7
        while True:
            x_new = penalty.prox(y - g_y / lipschitz, 1.0 / lipschitz)
            d = x_new - y
            f_new, g_new = smooth(x_new)
            bound = f_y + float(g_y @ d) + 0.5 * lipschitz * float(d @ d)
            if f_new <= bound + 1e-12 * abs(f_y) or lipschitz > 1e16:
                break
            lipschitz *= 2.0
        obj_new = f_new + penalty.nonsmooth_value(x_new)
        crit = penalty.min_norm_subgradient(x_new, g_new)
        if verbose:
            print(
                f"FISTA iter {n_iter:4d}: objective={obj_new:.10g} "
                f"|subgrad|_inf={crit:.3e} L={lipschitz:.3e}"
            )
        if crit <= tol:
            return x_new, n_iter, True
        if obj_new > obj_x:  # adaptive restart: drop the momentum
            t = 1.0
            y, f_y, g_y = x, f_x, g_x
            stalled += 1
            if stalled > 50:  # no progress left in floating point
                return x, n_iter, True
            continue
        stalled = 0 if obj_x - obj_new > 1e-15 * abs(obj_x) else stalled + 1
        if stalled > 50:  # no progress left in floating point
            return x_new, n_iter, True
        t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))
        y = x_new + ((t - 1.0) / t_new) * (x_new - x)
        x, f_x, g_x, obj_x = x_new, f_new, g_new, obj_new
        t = t_new
        if t > 1.0:
            f_y, g_y = smooth(y)
        else:
            f_y, g_y = f_x, g_x
    warnings.warn(
        f"The proximal gradient solver did not converge after {n_iter} "
        f"iteration(s) (subgradient max-norm above tol={tol}). Increase "
        f"max_iter, scale the data or loosen tol.",
        ConvergenceWarning,
    )
    return x, n_iter, False


def learning_rate_at(
    schedule, step, *, eta0, power_t=0.5, warmup_steps=0, total_steps=1
):
    """Learning rate of ``schedule`` at the 0-based optimisation ``step``.

    - ``"constant"``: ``eta0``;
    - ``"invscaling"``: ``eta0 / (step + 1) ** power_t``;
    - ``"warmup_cosine"``: linear warm-up ``eta0 * (step + 1) / warmup_steps``
      (never 0, unlike schedules that start at ``step / warmup_steps``), then
      cosine decay from ``eta0`` to ``eta0 / 100`` at ``total_steps``, and
      ``eta0 / 100`` after that.
    """
    if schedule == "constant":
        return eta0
    if schedule == "invscaling":
        return eta0 / (step + 1.0) ** power_t
    if schedule == "warmup_cosine":
        if step < warmup_steps:
            return eta0 * (step + 1.0) / warmup_steps
        span = max(1, total_steps - warmup_steps)
        progress = min(1.0, (step - warmup_steps) / span)
        eta_min = 0.01 * eta0
        return eta_min + 0.5 * (eta0 - eta_min) * (1.0 + math.cos(math.pi * progress))
    raise ValueError(f"Unknown learning-rate schedule {schedule!r}.")


class MiniBatchOptimizer:
    """Plain SGD (with optional heavy-ball momentum) or Adam, with its state.

    Follows PyTorch's conventions: SGD momentum ``v = mu v + g; w -= lr v``;
    Adam with bias-corrected moments, ``w -= lr m_hat / (sqrt(v_hat) + eps)``.
    The squared-L2 penalty enters through the gradient (as PyTorch's
    ``weight_decay`` for Adam, not the decoupled AdamW); an L1 part is applied
    afterwards by its proximal operator with step ``lr``. When ``clip_norm``
    is set, the gradient is rescaled to at most that Euclidean norm first.
    """

    def __init__(
        self,
        solver="sgd",
        *,
        learning_rate="constant",
        eta0=0.01,
        power_t=0.5,
        warmup_steps=0,
        total_steps=1,
        momentum=0.9,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        clip_norm=None,
    ):
        self.solver = solver
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.momentum = momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.clip_norm = clip_norm
        self.t = 0
        self._m = None
        self._v = None

    def lr(self):
        return learning_rate_at(
            self.learning_rate,
            self.t,
            eta0=self.eta0,
            power_t=self.power_t,
            warmup_steps=self.warmup_steps,
            total_steps=self.total_steps,
        )

    def step(self, w, grad, penalty):
        """One update of ``w`` (returned) with gradient ``grad``."""
        if self.clip_norm is not None:
            norm = float(np.sqrt(grad @ grad))
            if norm > self.clip_norm:
                grad = grad * (self.clip_norm / norm)
        lr = self.lr()
        if self._m is None:
            self._m = np.zeros_like(w)
            self._v = np.zeros_like(w)
        if self.solver == "adam":
            self._m *= self.beta_1
            self._m += (1.0 - self.beta_1) * grad
            self._v *= self.beta_2
            self._v += (1.0 - self.beta_2) * grad * grad
            m_hat = self._m / (1.0 - self.beta_1 ** (self.t + 1))
            v_hat = self._v / (1.0 - self.beta_2 ** (self.t + 1))
            w = w - lr * m_hat / (np.sqrt(v_hat) + self.epsilon)
        else:
            if self.momentum:
                self._m *= self.momentum
                self._m += grad
                w = w - lr * self._m
            else:
                w = w - lr * grad
        self.t += 1
        if penalty is not None and not penalty.is_smooth:
            w = penalty.prox(w, lr)
        return w


def minimize_minibatch(
    batch_value_grad,
    penalty,
    w0,
    n_samples,
    *,
    optimizer,
    batch_size=256,
    max_iter=100,
    tol=1e-4,
    n_iter_no_change=5,
    validation_loss=None,
    random_state=None,
    verbose=0,
    warn=True,
):
    """Mini-batch first-order training for ``max_iter`` epochs at most.

    Parameters
    ----------
    batch_value_grad : callable
        ``batch_value_grad(w, rows) -> (value, grad)``: the smooth objective on
        the rows ``rows`` (data term normalised over the batch plus the smooth
        penalty).
    penalty : penalty object or None
    w0 : ndarray
    n_samples : int
    optimizer : MiniBatchOptimizer
        Carries the step counter and moments across calls (``partial_fit``).
    batch_size, max_iter : int
    tol, n_iter_no_change :
        Stop when the monitored loss (``validation_loss(w)`` when given, else
        the mean training batch loss of the epoch) has not improved by more
        than ``tol`` for ``n_iter_no_change`` consecutive epochs
        (scikit-learn's ``SGDClassifier`` rule). ``tol=None`` disables it.
    validation_loss : callable or None
        ``validation_loss(w) -> float``; the best ``w`` on it is returned.
    random_state : numpy.random.Generator

    ``max_iter=0`` returns ``w0`` with no epoch run (and a
    ``ConvergenceWarning`` unless ``warn=False``).
    """
    rng = random_state if random_state is not None else np.random.default_rng()
    w = np.array(w0, dtype=np.float64)
    if max_iter == 0:
        if warn:
            warn_no_iteration(f"The {optimizer.solver} solver")
        return w, 0, False
    batch_size = max(1, min(int(batch_size), n_samples))
    best_loss = np.inf
    best_w = w
    no_improvement = 0
    n_epoch = 0
    converged = False
    for n_epoch in range(1, max_iter + 1):
        order = rng.permutation(n_samples)
        epoch_loss = 0.0
        for start in range(0, n_samples, batch_size):
            rows = np.sort(order[start : start + batch_size])
            with np.errstate(over="ignore", invalid="ignore"):
                value, grad = batch_value_grad(w, rows)
            if not (math.isfinite(value) and np.all(np.isfinite(grad))):
                raise ValueError(
                    f"The {optimizer.solver} solver diverged (non-finite loss or "
                    f"gradient at epoch {n_epoch}). Lower eta0, set clip_norm, "
                    f"or scale the data (for example with StandardScaler)."
                )
            epoch_loss += value * rows.shape[0]
            with np.errstate(over="ignore", invalid="ignore"):
                w = optimizer.step(w, grad, penalty)
        epoch_loss /= n_samples
        if penalty is not None:
            epoch_loss += penalty.nonsmooth_value(w)
        monitored = epoch_loss if validation_loss is None else validation_loss(w)
        if verbose:
            print(
                f"{optimizer.solver} epoch {n_epoch:4d}: loss={epoch_loss:.8g} "
                f"monitored={monitored:.8g} lr={optimizer.lr():.3g}"
            )
        if tol is None:
            continue
        if monitored > best_loss - tol:
            no_improvement += 1
        else:
            no_improvement = 0
        if monitored < best_loss:
            best_loss = monitored
            best_w = w
        if no_improvement >= n_iter_no_change:
            converged = True
            break
    if validation_loss is not None and tol is not None:
        w = best_w
    if warn and not converged and tol is not None:
        warnings.warn(
            f"The {optimizer.solver} solver stopped at max_iter={max_iter} epochs "
            f"before its loss stopped improving. Increase max_iter.",
            ConvergenceWarning,
        )
    return w, n_epoch, converged
