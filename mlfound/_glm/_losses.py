"""Focal losses on raw scores, and the linear-model objective built on a loss.

A *loss* here is a small object with

- ``n_outputs``: number of raw scores per sample (1 for the binary loss);
- ``loss_gradient(X, y, sample_weight, coef, intercept, grad_coef,
  grad_intercept) -> float``: the weighted loss *sum* over the rows, with the
  gradient written into ``grad_coef`` (n_features, n_outputs) and
  ``grad_intercept`` (n_outputs,), in one pass over ``X`` (dense C-ordered
  array or CSR matrix);
- ``raw_loss_gradient(raw, y, sample_weight) -> (loss, grad)``: per-sample loss
  and derivatives with respect to the raw scores;
- ``raw_hessian(raw, y, sample_weight) -> (hessian, substitute)`` where a
  boosting objective needs a second derivative.

:class:`LinearObjective` turns a loss, the data and a penalty into the
``value_and_grad(w)`` callable the solvers in :mod:`mlfound._glm._solvers`
minimise.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from mlfound._glm import _focal_fast as _fast
from mlfound.utils._array_checks import native_byte_order

# Below this many stored values per thread, threads cost more than they save.
_MIN_WORK_PER_THREAD = 200_000


def _as_kernel_X(X):
    """C-ordered dense array or a canonical CSR matrix, dtype kept."""
    if sp.issparse(X):
        X = sp.csr_matrix(X) if X.format != "csr" else X
        parts = (X.data, X.indices, X.indptr)
        if not all(part.dtype.isnative for part in parts):
            # Numba compiles for native byte order only
            X = sp.csr_matrix(tuple(map(native_byte_order, parts)), shape=X.shape)
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        return X
    return np.ascontiguousarray(X)


class _CSRRows:
    """Rows ``[start, stop)`` of a CSR matrix, without copying its arrays.

    ``indptr`` is a slice of the full ``indptr``: its entries stay absolute
    offsets into ``data``/``indices``, which is all the kernels need.
    """

    def __init__(self, X, start, stop):
        self.data = X.data
        self.indices = X.indices
        self.indptr = X.indptr[start : stop + 1]
        self.shape = (stop - start, X.shape[1])


def _is_csr(X):
    return hasattr(X, "indptr")


def _row_chunks(X, n_threads):
    """Split the rows of ``X`` into at most ``n_threads`` contiguous chunks."""
    n_samples = X.shape[0]
    work = X.indptr[-1] if _is_csr(X) else X.size
    n_chunks = int(max(1, min(n_threads, work // _MIN_WORK_PER_THREAD, n_samples)))
    bounds = np.linspace(0, n_samples, n_chunks + 1).astype(np.intp)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


class BinaryFocalLoss:
    """Sigmoid focal loss ``-alpha_t (1 - p_t)^gamma log(p_t)`` on one raw score.

    Parameters
    ----------
    gamma : float
        Focusing parameter (``gamma=0`` is the cross-entropy).
    alpha : array-like of shape (2,)
        Weights of the negative and the positive class.
    label_smoothing : float
        Targets become ``1 - eps`` and ``eps``.
    """

    n_outputs = 1

    def __init__(self, gamma=0.0, alpha=(1.0, 1.0), label_smoothing=0.0):
        self.gamma = float(gamma)
        self.alpha = np.ascontiguousarray(alpha, dtype=np.float64)
        self.label_smoothing = float(label_smoothing)

    def loss_gradient(self, X, y, sample_weight, coef, intercept, grad_coef, grad_int):
        grad = np.empty(coef.shape[0] + 1)
        args = (
            y,
            sample_weight,
            coef[:, 0],
            float(intercept[0]),
            self.alpha,
            self.gamma,
            self.label_smoothing,
            grad,
        )
        if _is_csr(X):
            value = _fast.binary_focal_csr(X.data, X.indices, X.indptr, *args)
        else:
            value = _fast.binary_focal_dense(X, *args)
        grad_coef[:, 0] = grad[:-1]
        grad_int[0] = grad[-1]
        return value

    def raw_loss_gradient(self, raw, y, sample_weight):
        raw = np.ascontiguousarray(raw, dtype=np.float64).reshape(-1)
        loss = np.empty_like(raw)
        grad = np.empty_like(raw)
        _fast.binary_focal_raw(
            raw,
            np.ascontiguousarray(y, dtype=np.float64),
            np.ascontiguousarray(sample_weight, dtype=np.float64),
            self.alpha[0],
            self.alpha[1],
            self.gamma,
            self.label_smoothing,
            loss,
            grad,
        )
        return loss, grad

    def raw_hessian(self, raw, y, sample_weight):
        raw = np.ascontiguousarray(raw, dtype=np.float64).reshape(-1)
        out = np.empty((raw.shape[0], 2))
        _fast.binary_focal_raw_hessian(
            raw,
            np.ascontiguousarray(y, dtype=np.float64),
            np.ascontiguousarray(sample_weight, dtype=np.float64),
            self.alpha[0],
            self.alpha[1],
            self.gamma,
            self.label_smoothing,
            out,
        )
        return out[:, 0].copy(), out[:, 1].copy()


class SoftmaxFocalLoss:
    """Softmax focal loss ``-sum_k alpha_k t_k (1 - p_k)^gamma log(p_k)``.

    Parameters
    ----------
    n_classes : int
    gamma : float
    alpha : array-like of shape (n_classes,)
    label_smoothing : float
        The observed class gets ``1 - eps``, every other class
        ``eps / (n_classes - 1)``.
    """

    def __init__(self, n_classes, gamma=0.0, alpha=None, label_smoothing=0.0):
        self.n_outputs = int(n_classes)
        self.gamma = float(gamma)
        if alpha is None:
            alpha = np.ones(n_classes)
        self.alpha = np.ascontiguousarray(alpha, dtype=np.float64)
        self.label_smoothing = float(label_smoothing)

    def loss_gradient(self, X, y, sample_weight, coef, intercept, grad_coef, grad_int):
        args = (
            y,
            sample_weight,
            coef,
            intercept,
            self.alpha,
            self.gamma,
            self.label_smoothing,
            grad_coef,
            grad_int,
        )
        if _is_csr(X):
            return _fast.softmax_focal_csr(X.data, X.indices, X.indptr, *args)
        return _fast.softmax_focal_dense(X, *args)

    def raw_loss_gradient(self, raw, y, sample_weight):
        raw = np.ascontiguousarray(raw, dtype=np.float64)
        loss = np.empty(raw.shape[0])
        grad = np.empty_like(raw)
        _fast.softmax_focal_raw(
            raw,
            np.ascontiguousarray(y, dtype=np.intp),
            np.ascontiguousarray(sample_weight, dtype=np.float64),
            self.alpha,
            self.gamma,
            self.label_smoothing,
            loss,
            grad,
        )
        return loss, grad


class LinearObjective:
    """``mean_sw(loss(X @ coef + intercept)) + penalty(coef)`` as ``f(w)``.

    The parameter vector is ``w = [coef.ravel(), intercept]`` with ``coef``
    of shape (n_features, n_outputs) in C order; the intercept part is
    present only when ``fit_intercept``. The data term is normalised by the sum
    of the sample weights, as scikit-learn's ``LogisticRegression`` does, and
    the penalty's smooth part (if any) is added.

    With ``n_threads > 1`` the rows are split into that many contiguous chunks
    (fewer on small data), each evaluated by the (GIL-free) kernel in its own
    thread into its own gradient buffer; the buffers are then summed in chunk
    order, so the result is deterministic for a given ``n_threads``.

    Parameters
    ----------
    loss : loss object (see the module docstring)
    X : ndarray (C-ordered) or CSR matrix
    y : ndarray
        Targets in the encoding the loss expects (0/1 floats for the binary
        loss, integer codes for the softmax loss).
    sample_weight : ndarray of shape (n_samples,)
    fit_intercept : bool
    penalty : penalty object or None
        Only its ``smooth_value_grad`` is used here.
    n_threads : int, default=1
    """

    def __init__(
        self, loss, X, y, sample_weight, *, fit_intercept, penalty=None, n_threads=1
    ):
        self.loss = loss
        self.X = X
        self.y = y
        self.sample_weight = sample_weight
        self.fit_intercept = fit_intercept
        self.penalty = penalty
        self.n_features = X.shape[1]
        self.n_outputs = loss.n_outputs
        self.sw_sum = float(np.sum(sample_weight))
        self.n_coef = self.n_features * self.n_outputs
        self.n_params = self.n_coef + (self.n_outputs if fit_intercept else 0)
        self._zero_int = np.zeros(self.n_outputs)
        self._chunks = []
        for start, stop in _row_chunks(X, n_threads):
            rows = _CSRRows(X, start, stop) if _is_csr(X) else X[start:stop]
            self._chunks.append(
                (
                    rows,
                    y[start:stop],
                    sample_weight[start:stop],
                    np.empty((self.n_features, self.n_outputs)),
                    np.empty(self.n_outputs),
                )
            )
        self._pool = None

    def unpack(self, w):
        """Views ``(coef (n_features, n_outputs), intercept (n_outputs,))``."""
        coef = w[: self.n_coef].reshape(self.n_features, self.n_outputs)
        if self.fit_intercept:
            return coef, w[self.n_coef :]
        return coef, self._zero_int

    def _evaluate_chunks(self, w):
        coef, intercept = self.unpack(w)

        def run(chunk):
            X, y, sw, grad_coef, grad_int = chunk
            return self.loss.loss_gradient(X, y, sw, coef, intercept, grad_coef,
                                           grad_int)  # fmt: skip

        if len(self._chunks) == 1:
            values = [run(self._chunks[0])]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=len(self._chunks))
            values = list(self._pool.map(run, self._chunks))
        value = 0.0
        grad = np.zeros(self.n_params)
        for v, (_, _, _, grad_coef, grad_int) in zip(values, self._chunks, strict=True):
            value += v
            grad[: self.n_coef] += grad_coef.ravel()
            if self.fit_intercept:
                grad[self.n_coef :] += grad_int
        return value, grad

    def data_value_grad(self, w, X=None, y=None, sample_weight=None):
        """Normalised data term and its gradient (optionally on other rows)."""
        if X is None:
            value, grad = self._evaluate_chunks(w)
            sw_sum = self.sw_sum
        else:
            sw_sum = float(np.sum(sample_weight))
            coef, intercept = self.unpack(w)
            grad_coef = np.empty((self.n_features, self.n_outputs))
            grad_int = np.empty(self.n_outputs)
            value = self.loss.loss_gradient(
                X, y, sample_weight, coef, intercept, grad_coef, grad_int
            )
            grad = np.empty(self.n_params)
            grad[: self.n_coef] = grad_coef.ravel()
            if self.fit_intercept:
                grad[self.n_coef :] = grad_int
        scale = 1.0 / sw_sum if sw_sum > 0 else 0.0
        grad *= scale
        return value * scale, grad

    def close(self):
        """Shut the worker threads down (also done when garbage-collected)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def __del__(self):
        self.close()

    def __call__(self, w):
        """Value and gradient of the smooth objective (data + smooth penalty)."""
        value, grad = self.data_value_grad(w)
        if self.penalty is not None:
            value += self.penalty.smooth_value_grad(w, grad)
        return value, grad
