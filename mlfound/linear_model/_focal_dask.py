"""FocalLossClassifier on dask collections: the L-BFGS fit as passes over partitions.

The objective is a weighted mean over rows, so its value and gradient are
sums of per-partition values and gradients. Each L-BFGS evaluation maps the
fused value+gradient kernel over the partitions on the workers (through
:class:`~mlfound._glm._losses.LinearObjective` on one partition) and adds the
``n_params + 1`` numbers per partition on the client, in partition order; the
driver (:func:`~mlfound._glm._lbfgs.minimize_lbfgs`, with the same Jacobi
scale, tolerances and stopping rules) runs on the client unchanged. So the
coefficients equal the in-memory fit's up to the order of the floating-point
sums.

Passes over the data: one for the classes, one to validate and persist the
partitions (with the weighted class counts that ``"balanced"`` weights
need), one for the loss targets and the column moments of the Jacobi scale,
then one per function evaluation of L-BFGS.

Not done on a cluster: the likelihood summary and the separation check
(they need the per-row scores or the Hessian); the summary raises and says
to refit in memory. The other solvers (FISTA, SGD, Adam) are refused.
"""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from mlfound._glm._losses import BinaryFocalLoss, LinearObjective, SoftmaxFocalLoss
from mlfound._glm._penalties import make_penalty
from mlfound._glm._precondition import lbfgs_scale, weighted_column_sq_sums
from mlfound._glm._solvers import minimize_lbfgs
from mlfound.linear_model._focal_inference import _PRIVATE, _STATE
from mlfound.linear_model._focal_weights import (
    _balanced_class_weights,
    _class_weight_from_dict,
)
from mlfound.utils._dask import (
    compute_all,
    delayed_blocks,
    map_blocks_delayed,
    map_rows,
    persist_all,
    sum_in_order,
)
from mlfound.utils._dask_frames import fit_inputs, frame_dtype, is_dask_frame
from mlfound.utils._threads import single_threaded_blas
from mlfound.utils.validation import check_n_classes, check_sample_weight

_NO_SUMMARY = (
    "No summary after a fit on a dask collection: the likelihood summary "
    "needs per-row scores gathered in one place. Refit in memory (on a sample "
    "that fits) for standard errors."
)


# ------------------------------------------------------------ worker functions


def _block_classes(y):
    return np.unique(column_or_1d(y, warn=False))


def _validate_block(X, y, sample_weight, classes, dtype):
    """A partition checked as in-memory input is: ``(X, codes, weights)``."""
    X = check_array(X, dtype=dtype, order="C", ensure_min_samples=0)
    y = column_or_1d(y, warn=False)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"A partition of y has {y.shape[0]} rows and that of X {X.shape[0]}."
        )
    codes = np.searchsorted(classes, y).astype(np.intp)
    codes = np.minimum(codes, len(classes) - 1)
    if not np.array_equal(classes[codes], y):
        raise ValueError("y holds a label that is not among the classes.")
    if X.shape[0] == 0:
        sw = np.empty(0, dtype=np.float64)
    else:
        sw = check_sample_weight(sample_weight, X, dtype=np.float64)
    return X, codes, sw


def _weighted_counts(block, n_classes):
    _, codes, sw = block
    return np.bincount(codes, weights=sw, minlength=n_classes).astype(np.float64)


def _loss_block(block, class_weight, binary):
    """``(X, target, sample_weight * class_weight)`` of a partition."""
    X, codes, sw = block
    target = (codes == 1).astype(np.float64) if binary else codes
    sw = np.ascontiguousarray(sw * class_weight[codes], dtype=np.float64)
    return X, target, sw


def _moments(block):
    X, _, sw = block
    return float(np.sum(sw)), weighted_column_sq_sums(X, sw)


def _value_grad(block, loss, fit_intercept, w):
    X, target, sw = block
    objective = LinearObjective(loss, X, target, sw, fit_intercept=fit_intercept)
    with single_threaded_blas():
        return objective._evaluate_chunks(w)


# ------------------------------------------------------------ client side


class DaskLinearObjective(LinearObjective):
    """:class:`LinearObjective` whose data term is summed over dask partitions."""

    def __init__(self, loss, blocks, n_features, sw_sum, *, fit_intercept):
        self.loss = loss
        self.blocks = blocks
        self.X = None
        self.y = None
        self.sample_weight = None
        self.fit_intercept = fit_intercept
        self.penalty = None
        self.n_features = n_features
        self.n_outputs = loss.n_outputs
        self.sw_sum = float(sw_sum)
        self.n_coef = n_features * self.n_outputs
        self.n_params = self.n_coef + (self.n_outputs if fit_intercept else 0)
        self._zero_int = np.zeros(self.n_outputs)
        self._chunks = []
        self._pool = None
        self.n_passes = 0

    def _evaluate_chunks(self, w):
        self.n_passes += 1
        w = np.array(w, dtype=np.float64, copy=True)
        tasks = map_blocks_delayed(
            _value_grad, [(b,) for b in self.blocks], self.loss, self.fit_intercept, w
        )
        return sum_in_order([(float(v), g) for v, g in compute_all(tasks)])


def fit_focal_dask(est, X, y, sample_weight):
    """Fit ``est`` (a FocalLossClassifier) on dask collections; return ``est``."""
    if est.solver != "lbfgs":
        raise TypeError(
            f"FocalLossClassifier fits a dask collection with solver='lbfgs' "
            f"only (exact, one pass per evaluation); got solver={est.solver!r}. "
            f"Use solver='lbfgs', or compute the collection first (X.compute()) "
            f"if it fits in memory."
        )
    for name in (*_STATE, *_PRIVATE):
        est.__dict__.pop(name, None)
    X, y, sample_weight = fit_inputs(est, X, y, sample_weight, numeric=True)
    if y is None:
        raise ValueError("y is required to fit FocalLossClassifier.")
    if is_dask_frame(X):
        dtype = frame_dtype(X, [np.float64, np.float32])
    else:
        dtype = np.float32 if X.dtype == np.float32 else np.float64
    n_features = est.n_features_in_

    # pass 1: the classes
    uniques = compute_all(map_blocks_delayed(_block_classes, delayed_blocks(y)))
    classes = np.unique(np.concatenate(uniques))
    check_classification_targets(classes)
    check_n_classes(classes)
    est.classes_ = classes
    n_classes = len(classes)

    # pass 2: validate and persist the partitions; weighted class counts
    blocks = persist_all(
        map_blocks_delayed(
            _validate_block, delayed_blocks(X, y, sample_weight), classes, dtype
        )
    )
    counts = sum_in_order(
        compute_all(
            map_blocks_delayed(_weighted_counts, [(b,) for b in blocks], n_classes)
        )
    )
    class_weight = _class_weight_vector(est, counts)
    alpha = _alpha_vector(est, counts)
    if n_classes == 2:
        loss = BinaryFocalLoss(est.gamma, alpha, est.label_smoothing)
    else:
        loss = SoftmaxFocalLoss(n_classes, est.gamma, alpha, est.label_smoothing)

    # pass 3: loss targets and weights; the moments of the Jacobi scale
    blocks = persist_all(
        map_blocks_delayed(
            _loss_block, [(b,) for b in blocks], class_weight, n_classes == 2
        )
    )
    sw_sum, moments = sum_in_order(
        compute_all(map_blocks_delayed(_moments, [(b,) for b in blocks]))
    )
    objective = DaskLinearObjective(
        loss, blocks, n_features, sw_sum, fit_intercept=est.fit_intercept
    )
    objective.penalty = make_penalty(est.C, est.l1_ratio, sw_sum, objective.n_coef)
    tol = est.tol or 0.0
    w, n_iter, _ = minimize_lbfgs(
        objective,
        est._initial_w(objective),
        scale=lbfgs_scale(objective, moments),
        decrease_tol=tol,
        tol=tol,
        max_iter=est.max_iter,
        verbose=est.verbose,
    )
    est._store(objective, w, dtype)
    est.n_iter_ = np.array([n_iter], dtype=np.int32)
    est.__dict__.pop("_random_generator", None)
    est._optimizer = None
    est._inference_error = _NO_SUMMARY
    est._dask_passes = 3 + objective.n_passes
    return est


def _class_weight_vector(est, counts):
    """Per-class weights from ``class_weight`` and the weighted class counts."""
    n_classes = len(counts)
    if isinstance(est.class_weight, dict):
        return _class_weight_from_dict(est.class_weight, est.classes_)
    if est.class_weight is None:
        return np.ones(n_classes)
    # "balanced": the in-memory formula on one row per class weighted by its
    # count (scikit-learn's compute_class_weight takes no sample_weight in
    # 1.6, the supported floor)
    counts = np.asarray(counts, dtype=np.float64)
    return _balanced_class_weights(np.arange(n_classes), counts, n_classes)


def _alpha_vector(est, counts):
    """``est._alpha_vector`` from the weighted class counts alone."""
    return est._alpha_vector(np.arange(len(counts)), counts)


def predict_focal_dask(est, method, X):
    """``est.<method>(X)`` per partition of the dask collection ``X``: a dask array."""
    check_is_fitted(est)
    n_classes = len(est.classes_)
    if method == "predict":
        n_columns, dtype = None, est.classes_.dtype
    elif method == "decision_function":
        n_columns = None if n_classes == 2 else n_classes
        dtype = est.coef_.dtype
    else:
        n_columns, dtype = n_classes, est.coef_.dtype
    return map_rows(getattr(est, method), X, n_columns=n_columns, dtype=dtype)
