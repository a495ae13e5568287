"""Detection of complete and quasi-complete separation in linear classifiers.

The maximum-likelihood estimate of a logistic (or softmax) model exists if
and only if no direction of the coefficients separates the classes (Albert
and Anderson, 1984). With ``x_i`` the rows (with a column of ones for the
intercept) and the classes coded ``y_i``, the data are *separated* when
coefficients ``B`` (one column per class) exist with

    x_i @ (B[:, y_i] - B[:, k]) >= 0   for every row i and every class k != y_i,

at least one of them strictly. If all of them are strict the separation is
*complete* (every row lies on its class's side of a hyperplane), otherwise
*quasi-complete* (some rows lie on it). Along such a direction the
likelihood keeps increasing, so the unpenalised coefficients diverge; the
same holds for the focal loss, which also decreases in every margin.

Checking this is a linear program (Konis, 2007), which costs more than the
fit on large data, so it is only run when a cheap certificate fails. By
Gordan's theorem of the alternative, the data are *not* separated exactly
when positive weights ``lam_ik`` exist with ``sum_ik lam_ik a_ik = 0`` for the
constraint rows ``a_ik = (e_{y_i} - e_k) kron x_i``. At a stationary point
of the unpenalised fit, the per-row derivatives of the loss give such
weights (for the softmax cross-entropy ``lam_ik = s_i p_ik``), up to the
solver's residual ``r``. :func:`_no_separation_certificate` corrects that
residual with ``lam' = lam * (1 - A u)``, where ``(A' diag(lam) A) u = r``;
if every ``|a_ik u| < 1`` then ``lam' > 0`` and ``A' lam' = 0`` exactly, which
proves that no separating direction exists. On overlapping classes this
succeeds after one ``O(n q^2)`` pass; when it does not, the linear program
decides.
"""

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.optimize import linprog

# Rows per chunk when forming the q x q Gram matrix of the certificate.
_CHUNK_ROWS = 32768


def _augmented_rows(X, start, stop, fit_intercept):
    """Dense float64 rows ``[1, x_i]`` (or ``x_i``) of ``X[start:stop]``."""
    block = X[start:stop]
    block = block.toarray() if sp.issparse(block) else np.asarray(block)
    block = block.astype(np.float64, copy=False)
    if fit_intercept:
        block = np.column_stack([np.ones(block.shape[0]), block])
    return block


def _no_separation_certificate(X, codes, n_classes, lam, fit_intercept, gram=None):
    """True when positive weights prove that the classes overlap.

    ``lam`` has shape (n_samples, n_classes): ``lam[i, k]`` (for ``k`` not the
    class of row ``i``) is a positive weight of the constraint row ``a_ik``;
    the entries of the observed classes are ignored. Rows with no positive
    weight must have been removed by the caller. The last class is the
    reference (its coefficients are fixed at zero), which removes the
    direction that shifts every class alike.

    ``gram`` may replace ``A' diag(lam) A`` by ``A' diag(d) A`` for any weights
    ``0 < d <= lam`` (e.g. the logistic Hessian, ``s p (1 - p) <= s |y - p|``):
    the correction ``lam - d * (A u)`` then stays positive under the same
    test, and a Hessian the caller already has saves a pass.
    """
    n_samples = X.shape[0]
    q = X.shape[1] + int(fit_intercept)
    n_free = n_classes - 1
    size = q * n_free
    have_gram = gram is not None
    if not have_gram:
        gram = np.zeros((size, size))
    resid = np.zeros(size)
    # A row a_ik has +x_i in block y_i and -x_i in block k (blocks of the
    # reference class dropped). Per row, sum_k lam_ik a_ik a_ik' and
    # sum_k lam_ik a_ik only need the class-by-class matrix
    # M_i = sum_{k != y_i} lam_ik (e_y - e_k)(e_y - e_k)' and vector
    # v_i = sum_{k != y_i} lam_ik (e_y - e_k).
    onehot_ref = np.eye(n_classes)[:, :n_free]
    for start in range(0, n_samples, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_samples)
        rows = _augmented_rows(X, start, stop, fit_intercept)
        c = codes[start:stop]
        w = lam[start:stop].copy()
        w[np.arange(stop - start), c] = 0.0
        total = w.sum(axis=1)
        # v_i (in class space, reference dropped): e_y * total - w
        v = -w
        v[np.arange(stop - start), c] += total
        v = v[:, :n_free]
        for k in range(n_free):
            resid[k * q : (k + 1) * q] += rows.T @ v[:, k]
        # M_i[k, l] = total * [k=y][l=y] - w_k [l=y] - w_l [k=y] + w_k [k=l]
        if have_gram:
            continue
        ey = onehot_ref[c]
        for k in range(n_free):
            for j in range(k, n_free):
                m = total * ey[:, k] * ey[:, j] - w[:, k] * ey[:, j]
                m -= w[:, j] * ey[:, k]
                if k == j:
                    m += w[:, k]
                block = (rows * m[:, None]).T @ rows
                gram[k * q : (k + 1) * q, j * q : (j + 1) * q] = block
                gram[j * q : (j + 1) * q, k * q : (k + 1) * q] = block.T
    # Collinear features make the Gram matrix singular; ``resid`` lies in its
    # range (it is A' lam), so the minimum-norm solution serves.
    try:
        u = linalg.pinvh(gram) @ resid
    except (linalg.LinAlgError, ValueError):
        return False
    scale = max(float(np.max(np.abs(resid))), 1e-300)
    if not np.all(np.isfinite(u)) or np.max(np.abs(gram @ u - resid)) > 1e-6 * scale:
        return False
    U = np.zeros((q, n_classes))
    U[:, :n_free] = u.reshape(n_free, q).T
    worst = 0.0
    for start in range(0, n_samples, _CHUNK_ROWS):
        stop = min(start + _CHUNK_ROWS, n_samples)
        rows = _augmented_rows(X, start, stop, fit_intercept)
        scores = rows @ U
        c = codes[start:stop]
        margin = scores[np.arange(stop - start), c][:, None] - scores
        active = lam[start:stop] > 0
        active[np.arange(stop - start), c] = False
        if np.any(active):
            worst = max(worst, float(np.max(np.abs(margin[active]))))
    return worst < 0.5


def _separating_direction(X, codes, n_classes, fit_intercept):
    """Solve the separation linear program.

    Returns ``None`` when the classes overlap, else ``(B, kind, n_strict)``:
    the direction ``B`` of shape (q, n_classes) on the column-scaled data,
    "complete" or "quasi-complete", and the number of rows strictly on their
    class's side.
    """
    n_samples = X.shape[0]
    Xa = _augmented_rows(X, 0, n_samples, fit_intercept)
    scale = np.max(np.abs(Xa), axis=0)
    used = scale > 0
    Xs = Xa[:, used] / scale[used]
    q = Xs.shape[1]
    n_free = n_classes - 1
    # One constraint row per (row i, class k != y_i): -a_ik' b <= 0.
    rows_i, rows_k = [], []
    for k in range(n_classes):
        idx = np.flatnonzero(codes != k)
        rows_i.append(idx)
        rows_k.append(np.full(idx.shape[0], k))
    rows_i, rows_k = np.concatenate(rows_i), np.concatenate(rows_k)
    m = rows_i.shape[0]
    blocks = []
    for cls in range(n_free):
        sign = (codes[rows_i] == cls).astype(np.float64) - (rows_k == cls)
        blocks.append(sp.csr_matrix(Xs[rows_i] * sign[:, None]))
    A = sp.hstack(blocks, format="csr")
    objective = -np.asarray(A.sum(axis=0)).ravel()
    result = linprog(
        objective,
        A_ub=-A,
        b_ub=np.zeros(m),
        bounds=(-1.0, 1.0),
        method="highs",
    )
    if result.status != 0 or -result.fun <= 1e-7 * max(m, 1) ** 0.5:
        return None
    margins = A @ result.x
    tol = 1e-7
    if np.all(margins > tol):
        kind = "complete"
    else:
        # Is there a direction that puts every row strictly on its side?
        # maximise t subject to a_ik' b >= t, t <= 1.
        ones = np.ones((m, 1))
        A2 = sp.hstack([-A, sp.csr_matrix(ones)], format="csr")
        c2 = np.zeros(A.shape[1] + 1)
        c2[-1] = -1.0
        bounds = [(-1.0, 1.0)] * A.shape[1] + [(None, 1.0)]
        second = linprog(c2, A_ub=A2, b_ub=np.zeros(m), bounds=bounds, method="highs")
        if second.status == 0 and -second.fun > tol:
            kind = "complete"
            margins = A @ second.x[:-1]
        else:
            kind = "quasi-complete"
    strict_rows = np.unique(rows_i[margins > tol])
    B = np.zeros((Xa.shape[1], n_classes))
    full = np.zeros((Xa.shape[1], n_free))
    full[used] = (result.x.reshape(n_free, q).T) / scale[used][:, None]
    B[:, :n_free] = full
    return B, kind, int(strict_rows.shape[0])


def find_separation(
    X, codes, n_classes, sample_weight, lam, *, fit_intercept, gram=None
):
    """Detect separation of the classes ``codes`` by the rows of ``X``.

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n_samples, n_features)
    codes : ndarray of shape (n_samples,)
        Classes as integers ``0..n_classes-1``.
    n_classes : int
    sample_weight : ndarray of shape (n_samples,)
        Rows of zero weight are left out.
    lam : ndarray of shape (n_samples, n_classes) or None
        Positive per-row loss derivatives with respect to the wrong classes'
        scores at the fit (see the module docstring); ``None`` skips the
        certificate and solves the linear program directly.
    fit_intercept : bool
    gram : ndarray or None
        See :func:`_no_separation_certificate` (rows of zero weight must not
        contribute to it).

    Returns
    -------
    None or dict
        ``None`` when the classes overlap; else ``kind`` ("complete" or
        "quasi-complete"), ``n_strict`` (rows strictly on their class's
        side) and ``features`` (indices of the features along the
        separating direction).
    """
    keep = sample_weight > 0
    if not np.all(keep):
        X = X[np.flatnonzero(keep)]
        codes = codes[keep]
        lam = None if lam is None else lam[keep]
    if X.shape[0] == 0:
        return None
    if lam is not None:
        lam = np.asarray(lam, dtype=np.float64)
        wrong = np.ones_like(lam, dtype=bool)
        wrong[np.arange(lam.shape[0]), codes] = False
        usable = np.all(lam[wrong] > 0) and np.all(np.isfinite(lam))
        if usable and _no_separation_certificate(
            X, codes, n_classes, lam, fit_intercept, gram
        ):
            return None
    found = _separating_direction(X, codes, n_classes, fit_intercept)
    if found is None:
        return None
    B, kind, n_strict = found
    coef_part = B[int(fit_intercept) :]
    spread = np.ptp(coef_part, axis=1)
    features = np.flatnonzero(spread > 1e-6 * max(float(spread.max(initial=0)), 1e-300))
    return {"kind": kind, "n_strict": n_strict, "features": features}
