"""Numba kernel of the diagonal hessian of the softmax focal loss.

The loss and its gradient come from :mod:`mlfound._glm._focal_fast`; a
boosting library also needs the second derivative of each sample's loss with
respect to each of its own raw scores (one tree per class sees only its own
score), i.e. the diagonal of the per-sample hessian.

With ``p = softmax(z)``, ``q_k = 1 - p_k``, targets ``t_k`` and class weights
``a_k``, write the per-class loss ``f_k = -a_k t_k q_k^gamma log p_k`` and

- ``g_k = q_k^gamma (1 + gamma p_k (-log p_k) / q_k)`` (so that
  ``dL/dz_j = p_j S - a_j t_j g_j`` with ``S = sum_k a_k t_k g_k``),
- ``w_k = a_k t_k gamma q_k^gamma (2 q_k + (1 - gamma p_k) log p_k)``, which is
  ``q_k^2`` times the derivative of ``-a_k t_k g_k`` with respect to ``p_k``.

Differentiating the gradient once more along ``z_j`` gives

    H_jj = p_j w_j + p_j q_j S + sum_{k != j} p_k w_k (p_j / q_k)^2 .

Every term is finite on the closed simplex (``p_j <= q_k`` for ``k != j``), so
no power of ``q`` with a negative exponent is ever formed. With ``gamma=0``,
``w = 0`` and ``H_jj = p_j q_j sum_k a_k t_k``: the weighted cross-entropy.

The positive substitute is ``max(H_jj, p_j q_j M)`` with
``M = sum_k a_k t_k q_k^gamma``, the cross-entropy curvature weighted by the
focal modulating factor held fixed; for two classes it is the binary loss's
substitute, and it equals ``H_jj`` when ``gamma=0``.
"""

import math

import numpy as np

from mlfound._glm._focal_fast import binary_focal_point, binary_focal_point_hessian
from mlfound.utils._jit import njit


@njit
def softmax_focal_raw_hessian(raw, y, sample_weight, alpha, gamma, eps, exact, sub):
    """Diagonal hessian (``exact``) and positive substitute (``sub``), (n, K).

    ``raw`` is C-contiguous float64 (n, K), ``y`` integer class codes in
    ``[0, K)``, ``sample_weight`` (n,) non-negative; the caller validated all
    of it. Weighted by ``sample_weight`` like the gradient kernel.
    """
    n_samples, n_classes = raw.shape
    off = eps / (n_classes - 1)
    p = np.empty(n_classes)
    q = np.empty(n_classes)
    w = np.empty(n_classes)
    for i in range(n_samples):
        zmax = raw[i, 0]
        for k in range(1, n_classes):
            if raw[i, k] > zmax:
                zmax = raw[i, k]
        s = 0.0
        for k in range(n_classes):
            s += math.exp(raw[i, k] - zmax)
        shift = zmax + math.log(s)
        big_s = 0.0
        big_m = 0.0
        for k in range(n_classes):
            lp = raw[i, k] - shift
            p[k] = math.exp(lp)
            q[k] = -math.expm1(lp)
            t = 1.0 - eps if k == y[i] else off
            at = alpha[k] * t
            if gamma == 0.0:
                big_s += at
                big_m += at
                w[k] = 0.0
                continue
            qg = q[k] ** gamma
            ratio = -lp / q[k] if q[k] > 0.0 else 1.0
            big_s += at * qg * (1.0 + gamma * p[k] * ratio)
            big_m += at * qg
            w[k] = at * gamma * qg * (2.0 * q[k] + (1.0 - gamma * p[k]) * lp)
        for j in range(n_classes):
            h = p[j] * w[j] + p[j] * q[j] * big_s
            if gamma != 0.0:
                for k in range(n_classes):
                    if k != j and q[k] > 0.0:
                        r = p[j] / q[k]
                        h += p[k] * w[k] * r * r
            c = p[j] * q[j] * big_m
            exact[i, j] = sample_weight[i] * h
            sub[i, j] = sample_weight[i] * (h if h > c else c)


@njit
def binary_focal_grad_hess(raw, y, sample_weight, alpha0, alpha1, gamma, eps, out):
    """Gradient, exact hessian and substitute of the binary loss, in one pass.

    ``out`` is (3, n), one contiguous row per output: what a boosting round
    needs, without the per-sample loss arrays and the second pass of the
    separate kernels.
    """
    for i in range(raw.shape[0]):
        _, g = binary_focal_point(raw[i], y[i], alpha0, alpha1, gamma, eps)
        h, hs = binary_focal_point_hessian(raw[i], y[i], alpha0, alpha1, gamma, eps)
        sw = sample_weight[i]
        out[0, i] = sw * g
        out[1, i] = sw * h
        out[2, i] = sw * hs
