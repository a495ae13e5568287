"""Numba kernel of the cumulative link model with nominal and scale effects.

The model (R's ``clm(y ~ x, nominal = ~ z, scale = ~ s)``) is::

    P(y <= k | x) = F((theta_k + z @ G_k - x @ beta) / exp(s @ gamma))

with ``G_k`` the threshold-specific (nominal) coefficients of cut ``k`` and
``gamma`` the log-linear scale coefficients. For a sample of class ``k`` the
likelihood is ``F(a) - F(b)`` with ``a`` the argument at cut ``k`` and ``b``
the one at cut ``k - 1`` (``+inf`` and ``-inf`` at the ends).

The raw parameter vector is ``[beta, G, gamma, theta]``: ``beta`` the
location slopes (one per *location* column, ``loc_index`` maps the columns of
``X`` to them, ``-1`` for a column that is not in the location part),
``G`` row-major of shape ``(K - 1, q)``, ``gamma`` of length ``r`` and the
``K - 1`` cut points. The cut-point re-parametrisation and the penalty are
applied by the caller.

Per sample, ``a`` and ``b`` depend on at most ``m = p + 2 q + r + 2`` of the
parameters (the location slopes, the nominal coefficients of the two cuts
involved, the scale coefficients and two cut points). The kernel gathers
their derivatives ``da``, ``db`` into short buffers and adds the sample's
rank-two Gauss-Newton term and the scale effects' second-derivative term
into the ``m x m`` sub-block of the Hessian, so one pass costs ``O(n m^2)``
and the Hessian is exact. The same pass can accumulate the "meat" of the
sandwich covariance, ``sum_i s_i g_i g_i^T`` with ``g_i`` the sample's loss
gradient (sample weights read as frequency weights). Dense ``X`` and the CSR
triplet share this one kernel (``sparse`` selects the row reader); the
nominal and scale columns arrive as small dense arrays ``Z`` and ``S``.
"""

import math

import numpy as np

from mlfound._glm._cumulative_link_fast import _link_terms
from mlfound.utils._jit import njit

_TINY = 1e-300
_LOG_SCALE_MAX = 700.0


@njit
def _interval_terms(has_a, a, has_b, b, link):
    """``(loss, La, Lb, Laa, Lbb, Lab)`` of ``-log(F(a) - F(b))``.

    Derivatives with respect to ``a`` and ``b``; an absent bound (``a =
    +inf`` or ``b = -inf``) contributes zeros.
    """
    if has_a:
        Fa, Sa, fa, fpa = _link_terms(a, link)
    else:
        Fa, Sa, fa, fpa = 1.0, 0.0, 0.0, 0.0
    if has_b:
        Fb, Sb, fb, fpb = _link_terms(b, link)
    else:
        Fb, Sb, fb, fpb = 0.0, 1.0, 0.0, 0.0
    if Fb > 0.5:
        p = Sb - Sa
    else:
        p = Fa - Fb
    p = max(p, _TINY)
    ra = fa / p
    rb = fb / p
    return (
        -math.log(p),
        -ra,
        rb,
        -fpa / p + ra * ra,
        fpb / p + rb * rb,
        -ra * rb,
    )


@njit
def cumulative_link_effects(
    X,
    data,
    indices,
    indptr,
    sparse,
    loc_index,
    Z,
    S,
    y,
    sample_weight,
    beta,
    G,
    gamma,
    theta,
    link,
    with_hess,
    with_meat,
    grad,
    hess,
    meat,
):
    """Weighted negative log-likelihood, gradient, Hessian and sandwich meat.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_columns), float64
        Dense rows (a ``(1, 1)`` dummy when ``sparse``).
    data, indices, indptr : ndarrays
        The CSR triplet of the same rows when ``sparse`` (length-1 dummies
        otherwise); column indices in ``[0, n_columns)``.
    sparse : bool
    loc_index : ndarray of shape (n_columns,), int64
        Location parameter of each column, or ``-1``.
    Z : ndarray of shape (n_samples, q), float64
        Nominal columns (``q`` may be 0).
    S : ndarray of shape (n_samples, r), float64
        Scale columns (``r`` may be 0).
    y : ndarray of shape (n_samples,), int64 class codes in ``0..K-1``
    sample_weight : ndarray of shape (n_samples,), float64
    beta : ndarray of shape (p,)
    G : ndarray of shape (K - 1, q)
    gamma : ndarray of shape (r,)
    theta : ndarray of shape (K - 1,), increasing cut points
    link : int, a link code of :mod:`mlfound._glm._cumulative_link_fast`
    with_hess, with_meat : bool
    grad : ndarray of shape (P,), overwritten; ``P = p + (K - 1) q + r + K - 1``
    hess, meat : ndarrays of shape (P, P)
        Overwritten when requested (``(1, 1)`` dummies otherwise).

    Returns
    -------
    loss : float
        ``sum_i sample_weight[i] * -log P(y_i | x_i)``.
    """
    n = y.shape[0]
    p = beta.shape[0]
    n_cuts = theta.shape[0]
    q = Z.shape[1]
    r = S.shape[1]
    off_g = p
    off_s = p + n_cuts * q
    off_t = off_s + r
    m_max = p + 2 * q + r + 2
    idx = np.empty(m_max, dtype=np.int64)
    va = np.empty(m_max)
    vb = np.empty(m_max)
    gi = np.empty(m_max)
    xs = np.empty(m_max)
    sv = np.zeros(m_max)  # scale value of an active gamma entry, else 0
    is_scale = np.zeros(m_max, dtype=np.bool_)
    grad[:] = 0.0
    if with_hess:
        hess[:, :] = 0.0
    if with_meat:
        meat[:, :] = 0.0
    loss = 0.0
    for i in range(n):
        w = sample_weight[i]
        if w == 0.0:
            continue
        yi = y[i]
        has_a = yi < n_cuts
        has_b = yi > 0
        log_scale = 0.0
        for j in range(r):
            log_scale += S[i, j] * gamma[j]
        log_scale = min(max(log_scale, -_LOG_SCALE_MAX), _LOG_SCALE_MAX)
        inv_sigma = math.exp(-log_scale)
        # location part: gather the active columns
        m = 0
        eta = 0.0
        if sparse:
            for t in range(indptr[i], indptr[i + 1]):
                k = loc_index[indices[t]]
                if k >= 0:
                    eta += data[t] * beta[k]
                    idx[m] = k
                    xs[m] = data[t]
                    va[m] = -data[t] * inv_sigma
                    m += 1
        else:
            for j in range(X.shape[1]):
                k = loc_index[j]
                if k >= 0:
                    eta += X[i, j] * beta[k]
                    idx[m] = k
                    xs[m] = X[i, j]
                    va[m] = -X[i, j] * inv_sigma
                    m += 1
        m_loc = m
        for u in range(m):
            vb[u] = va[u] if has_b else 0.0
            if not has_a:
                va[u] = 0.0
        a = 0.0
        b = 0.0
        if has_a:
            ua = theta[yi] - eta
            for j in range(q):
                ua += Z[i, j] * G[yi, j]
            a = ua * inv_sigma
            for j in range(q):
                idx[m] = off_g + yi * q + j
                va[m] = Z[i, j] * inv_sigma
                vb[m] = 0.0
                m += 1
            idx[m] = off_t + yi
            va[m] = inv_sigma
            vb[m] = 0.0
            m += 1
        if has_b:
            ub = theta[yi - 1] - eta
            for j in range(q):
                ub += Z[i, j] * G[yi - 1, j]
            b = ub * inv_sigma
            for j in range(q):
                idx[m] = off_g + (yi - 1) * q + j
                va[m] = 0.0
                vb[m] = Z[i, j] * inv_sigma
                m += 1
            idx[m] = off_t + yi - 1
            va[m] = 0.0
            vb[m] = inv_sigma
            m += 1
        m_lin = m
        for j in range(r):
            idx[m] = off_s + j
            va[m] = -a * S[i, j] if has_a else 0.0
            vb[m] = -b * S[i, j] if has_b else 0.0
            m += 1
        L, La, Lb, Laa, Lbb, Lab = _interval_terms(has_a, a, has_b, b, link)
        loss += w * L
        for u in range(m):
            gi[u] = La * va[u] + Lb * vb[u]
            grad[idx[u]] += w * gi[u]
            is_scale[u] = u >= m_lin
            sv[u] = S[i, u - m_lin] if u >= m_lin else 0.0
        if not (with_hess or with_meat):
            continue
        # location x location: rank one in x (da = alpha_a x, db = alpha_b x)
        # with no second-derivative term; dense rows keep the positions as
        # parameter indices, so the inner loop runs over contiguous memory
        alpha_a = -inv_sigma if has_a else 0.0
        alpha_b = -inv_sigma if has_b else 0.0
        c_hess = w * (
            Laa * alpha_a * alpha_a
            + 2.0 * Lab * alpha_a * alpha_b
            + Lbb * alpha_b * alpha_b
        )
        g_loc = La * alpha_a + Lb * alpha_b
        c_meat = w * g_loc * g_loc
        for u in range(m_loc):
            ru = idx[u]
            h_u = c_hess * xs[u]
            m_u = c_meat * xs[u]
            if sparse:
                for v in range(u + 1):
                    rv = idx[v]
                    hi, lo = (ru, rv) if ru >= rv else (rv, ru)
                    if with_hess:
                        hess[hi, lo] += h_u * xs[v]
                    if with_meat:
                        meat[hi, lo] += m_u * xs[v]
            else:
                if with_hess:
                    hrow = hess[ru]
                    for v in range(u + 1):
                        hrow[v] += h_u * xs[v]
                if with_meat:
                    mrow = meat[ru]
                    for v in range(u + 1):
                        mrow[v] += m_u * xs[v]
        # every pair with at least one non-location entry
        for u in range(m_loc, m):
            cu = w * (Laa * va[u] + Lab * vb[u])
            du = w * (Lab * va[u] + Lbb * vb[u])
            ru = idx[u]
            for v in range(u + 1):
                rv = idx[v]
                hi, lo = (ru, rv) if ru >= rv else (rv, ru)
                if with_hess:
                    h = cu * va[v] + du * vb[v]
                    # second derivatives: only the scale coefficients make
                    # the arguments non-linear (d(da/dp)/dgamma_j = -s_j da/dp)
                    if is_scale[u]:
                        h -= w * sv[u] * gi[v]
                    elif is_scale[v]:
                        h -= w * sv[v] * gi[u]
                    hess[hi, lo] += h
                if with_meat:
                    meat[hi, lo] += w * gi[u] * gi[v]
    n_params = grad.shape[0]
    for j in range(n_params):
        for k in range(j):
            if with_hess:
                hess[k, j] = hess[j, k]
            if with_meat:
                meat[k, j] = meat[j, k]
    return loss
