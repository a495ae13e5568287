"""Penalties on the first ``n_penalized`` entries of a parameter vector.

The penalty follows scikit-learn's ``LogisticRegression`` (1.8+): with
``C`` and ``l1_ratio``, the objective is::

    C * sum_i s_i loss_i + l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2

where only the coefficients are penalised (never the intercept, nor, for the
ordinal models, the cut points). mlfound's solvers minimise the same problem
divided by ``C * sum_i s_i``, i.e. the weighted *mean* loss plus the penalty
with ``strength = 1 / (C * sum_i s_i)`` -- see :func:`make_penalty`.

A penalty object provides

- ``smooth_value_grad(w, grad) -> float``: value of the smooth (squared L2)
  part, its gradient *added* into ``grad`` in place;
- ``nonsmooth_value(w) -> float``: value of the L1 part;
- ``prox(w, step) -> ndarray``: proximal operator of ``step`` times the L1
  part (the identity when there is none);
- ``min_norm_subgradient(w, grad) -> float``: optimality measure (max-norm of
  the smallest subgradient of ``smooth + L1``, given the smooth gradient);
- ``is_smooth``: whether the L1 part is absent.

Nothing here depends on the loss: any model with a parameter vector whose
first ``n_penalized`` entries are coefficients can use it.
"""

import numpy as np

from mlfound.utils._jit import njit


@njit
def _soft_threshold(w, threshold, n_penalized, out):
    for j in range(n_penalized):
        v = w[j]
        if v > threshold:
            out[j] = v - threshold
        elif v < -threshold:
            out[j] = v + threshold
        else:
            out[j] = 0.0
    for j in range(n_penalized, w.shape[0]):
        out[j] = w[j]


class ElasticNetPenalty:
    """``strength * (l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2)``.

    Parameters
    ----------
    strength : float
        Overall strength (``0`` for no penalty).
    l1_ratio : float
        ``0`` is the pure L2 (ridge) penalty, ``1`` the pure L1 (lasso).
    n_penalized : int
        Number of leading entries of the parameter vector that are penalised.
    """

    def __init__(self, strength, l1_ratio, n_penalized):
        self.strength = float(strength)
        self.l1_ratio = float(l1_ratio)
        self.n_penalized = int(n_penalized)
        self.l2 = self.strength * (1.0 - self.l1_ratio)
        self.l1 = self.strength * self.l1_ratio

    @property
    def is_smooth(self):
        return self.l1 == 0.0

    def smooth_value_grad(self, w, grad):
        if self.l2 == 0.0:
            return 0.0
        coef = w[: self.n_penalized]
        grad[: self.n_penalized] += self.l2 * coef
        return 0.5 * self.l2 * float(coef @ coef)

    def nonsmooth_value(self, w):
        if self.l1 == 0.0:
            return 0.0
        return self.l1 * float(np.sum(np.abs(w[: self.n_penalized])))

    def value(self, w):
        coef = w[: self.n_penalized]
        return 0.5 * self.l2 * float(coef @ coef) + self.nonsmooth_value(w)

    def min_norm_subgradient(self, w, grad):
        """Max-norm of the smallest subgradient of ``smooth + L1`` at ``w``.

        ``grad`` is the gradient of the smooth part; zero means optimal.
        """
        if self.l1 == 0.0:
            return float(np.max(np.abs(grad))) if grad.size else 0.0
        k = self.n_penalized
        g = grad[:k]
        coef = w[:k]
        sub = np.where(
            coef != 0.0,
            g + self.l1 * np.sign(coef),
            np.sign(g) * np.maximum(np.abs(g) - self.l1, 0.0),
        )
        crit = float(np.max(np.abs(sub))) if k else 0.0
        if grad.shape[0] > k:
            crit = max(crit, float(np.max(np.abs(grad[k:]))))
        return crit

    def prox(self, w, step):
        if self.l1 == 0.0:
            return w.copy()
        out = np.empty_like(w)
        _soft_threshold(w, step * self.l1, self.n_penalized, out)
        return out


def make_penalty(C, l1_ratio, sw_sum, n_penalized):
    """The penalty of ``LogisticRegression(C=C, l1_ratio=l1_ratio)``.

    Scaled for an objective whose data term is the weighted mean loss:
    ``strength = 1 / (C * sw_sum)``; ``C=np.inf`` gives no penalty.
    """
    strength = 0.0 if np.isinf(C) else 1.0 / (C * sw_sum)
    return ElasticNetPenalty(strength, l1_ratio, n_penalized)
