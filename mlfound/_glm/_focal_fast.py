"""Numba kernels of the binary (sigmoid) and softmax focal losses.

Every kernel reads each row of ``X`` once per call: it forms the raw score(s)
of the row, evaluates the loss and its derivative with respect to the raw
score(s), and accumulates the gradient with the same row while it is still in
cache ("fused" margin, loss and gradient). Dense kernels take a C-contiguous
``X``; their ``_csr`` twins take the CSR triplet ``(data, indices, indptr)``.

Conventions shared by all kernels:

- ``alpha`` is a per-class weight vector (length 2 for the binary loss:
  ``alpha[0]`` for the negative, ``alpha[1]`` for the positive class).
- ``eps`` is the label smoothing: the observed class gets target ``1 - eps``
  and every other class ``eps / (K - 1)`` (``eps`` for the binary loss).
- The per-sample loss is
  ``-sum_k alpha_k t_k (1 - p_k) ** gamma * log(p_k)``; with ``gamma=0``,
  unit ``alpha`` and ``eps=0`` it is exactly the cross-entropy.
- Kernels return weighted *sums* over the rows (no normalisation); the caller
  divides by the sum of the sample weights.
"""

import math

import numpy as np

from mlfound._kernels.sigmoid import sigmoid_parts
from mlfound.utils._jit import njit

# Let LLVM reassociate the dot products and gradient updates over a row
# (vectorisation); results stay deterministic for a given build.
_FAST = {"reassoc", "contract", "nsz"}


@njit
def _power(x, log_x, gamma):
    """``x ** gamma`` for ``x`` in [0, 1] given ``log x``.

    The usual integer exponents (RetinaNet's 2, and 1) are multiplications,
    correctly rounded and several times cheaper than ``exp(gamma * log x)``.
    (The softmax kernels keep ``q ** gamma``: their cost is dominated by the
    per-class exponentials.)
    """
    if gamma == 2.0:
        return x * x
    if gamma == 1.0:
        return x
    return math.exp(gamma * log_x)


@njit
def binary_focal_point(z, y, alpha0, alpha1, gamma, eps):
    """Loss and first derivative of the binary focal loss at raw score ``z``.

    ``y`` is 0 or 1 (or a soft target in [0, 1]); returns ``(loss, dloss/dz)``.
    """
    t = y * (1.0 - eps) + (1.0 - y) * eps
    p, q, lp, lq = sigmoid_parts(z)
    w1 = alpha1 * t
    w0 = alpha0 * (1.0 - t)
    if gamma == 0.0:
        return -w1 * lp - w0 * lq, -w1 * q + w0 * p
    loss = 0.0
    grad = 0.0
    if w1 != 0.0:
        qg = _power(q, lq, gamma)  # (1 - p) ** gamma
        loss -= w1 * qg * lp
        grad -= w1 * qg * (q - gamma * p * lp)
    if w0 != 0.0:
        pg = _power(p, lp, gamma)  # p ** gamma
        loss -= w0 * pg * lq
        grad += w0 * pg * (p - gamma * q * lq)
    return loss, grad


@njit
def binary_focal_point_hessian(z, y, alpha0, alpha1, gamma, eps):
    """Exact second derivative and the positive curvature substitute at ``z``.

    Returns ``(hessian, substitute)``. The substitute is
    ``max(hessian, h_ce)`` where ``h_ce`` is the curvature of the
    cross-entropy weighted by the focal modulating factor held fixed,
    ``(alpha_1 t (1 - p)^gamma + alpha_0 (1 - t) p^gamma) p (1 - p)``; it is
    positive wherever ``0 < p < 1`` and equals the exact hessian when
    ``gamma=0``.
    """
    t = y * (1.0 - eps) + (1.0 - y) * eps
    p, q, lp, lq = sigmoid_parts(z)
    qg = _power(q, lq, gamma)
    pg = _power(p, lp, gamma)
    h1 = (
        alpha1
        * t
        * p
        * qg
        * (gamma * (q - gamma * p * lp) + q * (1.0 + gamma + gamma * lp))
    )
    h0 = (
        alpha0
        * (1.0 - t)
        * q
        * pg
        * (gamma * (p - gamma * q * lq) + p * (1.0 + gamma + gamma * lq))
    )
    h = h1 + h0
    h_ce = (alpha1 * t * qg + alpha0 * (1.0 - t) * pg) * p * q
    return h, max(h, h_ce)


@njit
def binary_focal_raw(raw, y, sample_weight, alpha0, alpha1, gamma, eps, loss, grad):
    """Per-sample loss and derivative for a vector of raw scores (in place)."""
    for i in range(raw.shape[0]):
        li, gi = binary_focal_point(raw[i], y[i], alpha0, alpha1, gamma, eps)
        loss[i] = sample_weight[i] * li
        grad[i] = sample_weight[i] * gi


@njit
def binary_focal_raw_hessian(raw, y, sample_weight, alpha0, alpha1, gamma, eps, out):
    """Exact hessian (``out[:, 0]``) and substitute (``out[:, 1]``), in place."""
    for i in range(raw.shape[0]):
        h, hs = binary_focal_point_hessian(raw[i], y[i], alpha0, alpha1, gamma, eps)
        out[i, 0] = sample_weight[i] * h
        out[i, 1] = sample_weight[i] * hs


@njit(fastmath=_FAST)
def binary_focal_dense(X, y, sample_weight, coef, intercept, alpha, gamma, eps, grad):
    """Weighted loss sum; ``grad`` (n_features + 1,) receives the gradient.

    ``grad[-1]`` is the derivative with respect to the intercept.
    """
    n_samples, n_features = X.shape
    alpha0 = alpha[0]
    alpha1 = alpha[1]
    for j in range(n_features + 1):
        grad[j] = 0.0
    total = 0.0
    g_int = 0.0
    for i in range(n_samples):
        z = intercept
        for j in range(n_features):
            z += X[i, j] * coef[j]
        li, gi = binary_focal_point(z, y[i], alpha0, alpha1, gamma, eps)
        sw = sample_weight[i]
        total += sw * li
        gi *= sw
        g_int += gi
        for j in range(n_features):
            grad[j] += gi * X[i, j]
    grad[n_features] = g_int
    return total


# Rows per block of the CSR kernels: the block's raw scores are formed first
# (independent gathers), then its losses, then its gradient scatters, so the
# CPU overlaps many rows instead of waiting on one row's chain of gather ->
# loss -> scatter. A block of ~256 rows stays in L2 between the passes, so X
# is still read from memory once.
_CSR_BLOCK = 256


@njit(fastmath=_FAST)
def binary_focal_csr(
    data, indices, indptr, y, sample_weight, coef, intercept, alpha, gamma, eps, grad
):
    """CSR twin of :func:`binary_focal_dense`."""
    n_samples = indptr.shape[0] - 1
    n_features = coef.shape[0]
    alpha0 = alpha[0]
    alpha1 = alpha[1]
    for j in range(n_features + 1):
        grad[j] = 0.0
    total = 0.0
    g_int = 0.0
    block = np.empty(_CSR_BLOCK)
    for i0 in range(0, n_samples, _CSR_BLOCK):
        i1 = min(i0 + _CSR_BLOCK, n_samples)
        for i in range(i0, i1):
            z = intercept
            # unsigned loop indices: no negative-index wraparound in the hot loop
            for jj in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                z += data[jj] * coef[np.uintp(indices[jj])]
            block[i - i0] = z
        for i in range(i0, i1):
            li, gi = binary_focal_point(block[i - i0], y[i], alpha0, alpha1, gamma, eps)
            sw = sample_weight[i]
            total += sw * li
            block[i - i0] = gi * sw
            g_int += gi * sw
        for i in range(i0, i1):
            gi = block[i - i0]
            for jj in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                grad[np.uintp(indices[jj])] += gi * data[jj]
    grad[n_features] = g_int
    return total


@njit
def softmax_focal_point(z, y, alpha, gamma, eps, dz, work):
    """Loss of the softmax focal loss at raw scores ``z`` (K,); ``dz`` gets dL/dz.

    ``y`` is the integer class code and ``work`` a scratch array (K,). With
    ``g_k = (1 - p_k)^gamma (1 + gamma p_k (-log p_k) / (1 - p_k))`` and
    ``S = sum_k alpha_k t_k g_k``, the derivative is
    ``dL/dz_j = p_j S - alpha_j t_j g_j``.
    """
    n_classes = z.shape[0]
    zmax = z[0]
    for k in range(1, n_classes):
        if z[k] > zmax:
            zmax = z[k]
    s = 0.0
    for k in range(n_classes):
        e = math.exp(z[k] - zmax)
        dz[k] = e
        s += e
    inv_s = 1.0 / s
    shift = zmax + math.log(s)
    off = eps / (n_classes - 1)
    loss = 0.0
    total_s = 0.0
    for k in range(n_classes):
        t = 1.0 - eps if k == y else off
        work[k] = 0.0
        if t == 0.0:
            continue
        at = alpha[k] * t
        lp = z[k] - shift
        if gamma == 0.0:
            loss -= at * lp
            work[k] = at
        else:
            p = dz[k] * inv_s
            q = -math.expm1(lp)
            ratio = -lp / q if q > 0.0 else 1.0
            qg = q**gamma
            loss -= at * qg * lp
            work[k] = at * qg * (1.0 + gamma * p * ratio)
        total_s += work[k]
    scale = total_s * inv_s
    for k in range(n_classes):
        dz[k] = dz[k] * scale - work[k]
    return loss


@njit(fastmath=_FAST)
def softmax_focal_dense(
    X, y, sample_weight, coef, intercept, alpha, gamma, eps, grad_coef, grad_intercept
):
    """Weighted loss sum of the softmax focal loss for coefficients (p, K).

    ``grad_coef`` (p, K) and ``grad_intercept`` (K,) receive the gradient.
    """
    n_samples, n_features = X.shape
    n_classes = coef.shape[1]
    z = np.empty(n_classes)
    dz = np.empty(n_classes)
    work = np.empty(n_classes)
    grad_coef[:, :] = 0.0
    grad_intercept[:] = 0.0
    total = 0.0
    for i in range(n_samples):
        for k in range(n_classes):
            z[k] = intercept[k]
        for j in range(n_features):
            xij = X[i, j]
            for k in range(n_classes):
                z[k] += xij * coef[j, k]
        sw = sample_weight[i]
        total += sw * softmax_focal_point(z, y[i], alpha, gamma, eps, dz, work)
        for k in range(n_classes):
            dz[k] *= sw
            grad_intercept[k] += dz[k]
        for j in range(n_features):
            xij = X[i, j]
            for k in range(n_classes):
                grad_coef[j, k] += xij * dz[k]
    return total


@njit(fastmath=_FAST)
def softmax_focal_csr(
    data,
    indices,
    indptr,
    y,
    sample_weight,
    coef,
    intercept,
    alpha,
    gamma,
    eps,
    grad_coef,
    grad_intercept,
):
    """CSR twin of :func:`softmax_focal_dense` (blocked like the binary one)."""
    n_samples = indptr.shape[0] - 1
    n_classes = coef.shape[1]
    block = np.empty((_CSR_BLOCK, n_classes))
    dz = np.empty(n_classes)
    work = np.empty(n_classes)
    grad_coef[:, :] = 0.0
    grad_intercept[:] = 0.0
    total = 0.0
    for i0 in range(0, n_samples, _CSR_BLOCK):
        i1 = min(i0 + _CSR_BLOCK, n_samples)
        for i in range(i0, i1):
            r = i - i0
            for k in range(n_classes):
                block[r, k] = intercept[k]
            for jj in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                xij = data[jj]
                j = np.uintp(indices[jj])
                for k in range(n_classes):
                    block[r, k] += xij * coef[j, k]
        for i in range(i0, i1):
            r = i - i0
            sw = sample_weight[i]
            total += sw * softmax_focal_point(
                block[r], y[i], alpha, gamma, eps, dz, work
            )
            for k in range(n_classes):
                block[r, k] = dz[k] * sw
                grad_intercept[k] += block[r, k]
        for i in range(i0, i1):
            r = i - i0
            for jj in range(np.uintp(indptr[i]), np.uintp(indptr[i + 1])):
                xij = data[jj]
                j = np.uintp(indices[jj])
                for k in range(n_classes):
                    grad_coef[j, k] += xij * block[r, k]
    return total


@njit
def softmax_focal_raw(raw, y, sample_weight, alpha, gamma, eps, loss, grad):
    """Per-sample loss and derivatives for raw scores (n, K), in place."""
    n_classes = raw.shape[1]
    z = np.empty(n_classes)
    dz = np.empty(n_classes)
    work = np.empty(n_classes)
    for i in range(raw.shape[0]):
        for k in range(n_classes):
            z[k] = raw[i, k]
        sw = sample_weight[i]
        loss[i] = sw * softmax_focal_point(z, y[i], alpha, gamma, eps, dz, work)
        for k in range(n_classes):
            grad[i, k] = sw * dz[k]
