"""Solver glue of FocalLossClassifier: full-batch, mini-batch and streaming fits."""

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import train_test_split

from mlfound._glm._losses import LinearObjective
from mlfound._glm._penalties import make_penalty
from mlfound._glm._precondition import lbfgs_scale
from mlfound._glm._solvers import (
    MiniBatchOptimizer,
    minimize_lbfgs,
    minimize_minibatch,
    minimize_proximal,
)
from mlfound.utils._threads import single_threaded_blas


def _fit_full_batch(est, X, target, sample_weight, loss):
    """Fit ``est`` with L-BFGS or FISTA on all rows; store and return ``w, n_iter``."""
    objective = LinearObjective(
        loss,
        X,
        target,
        sample_weight,
        fit_intercept=est.fit_intercept,
        n_threads=est._n_threads(),
    )
    penalty = make_penalty(est.C, est.l1_ratio, objective.sw_sum, objective.n_coef)
    objective.penalty = penalty
    w0 = est._initial_w(objective)
    options = {
        "tol": est.tol or 0.0,
        "max_iter": est.max_iter,
        "verbose": est.verbose,
    }
    # The data pass is Numba; BLAS only sees vector operations.
    with single_threaded_blas():
        if est.solver == "lbfgs":
            w, n_iter, _ = minimize_lbfgs(
                objective,
                w0,
                scale=lbfgs_scale(objective),
                decrease_tol=options["tol"],
                **options,
            )
        else:
            w, n_iter, _ = minimize_proximal(objective, penalty, w0, **options)
    objective.close()
    est._store(objective, w, X.dtype)
    return w, n_iter


def _row_indexable(X):
    """``X`` whose rows SciPy can take: one dtype for ``indptr`` and ``indices``.

    A valid CSR matrix may mix an int64 ``indptr`` with int32 ``indices``;
    SciPy 1.11 (the supported floor) refuses to take rows of it ("Output
    dtype not compatible with inputs"), newer releases upcast. Mini-batches
    take rows, so such a matrix gets both arrays in the wider dtype (a copy
    of the index arrays only, not of the data).
    """
    if not sp.issparse(X) or X.indptr.dtype == X.indices.dtype:
        return X
    dtype = np.promote_types(X.indptr.dtype, X.indices.dtype)
    return type(X)(
        (X.data, X.indices.astype(dtype), X.indptr.astype(dtype)), shape=X.shape
    )


def _partial_fit_epoch(est, X, target, sample_weight, loss, first_call):
    """One mini-batch epoch of ``est`` over a chunk; optimiser state carries over."""
    X = _row_indexable(X)
    objective = LinearObjective(
        loss, X, target, sample_weight, fit_intercept=est.fit_intercept
    )
    penalty = make_penalty(est.C, est.l1_ratio, objective.sw_sum, objective.n_coef)
    if first_call or not hasattr(est, "coef_"):
        w0 = np.zeros(objective.n_params)
        est._optimizer = None
    else:
        w0 = est._w_from_attributes(objective)
    if getattr(est, "_optimizer", None) is None:
        solver = est.solver if est.solver in ("sgd", "adam") else "adam"
        est._optimizer = _make_optimizer(est, solver, X.shape[0])
    with single_threaded_blas():
        w, _, _ = minimize_minibatch(
            _batch_objective(objective, penalty),
            penalty,
            w0,
            X.shape[0],
            optimizer=est._optimizer,
            batch_size=est.batch_size,
            max_iter=1,
            tol=None,
            random_state=est._rng(),
            verbose=est.verbose,
        )
    est._store(objective, w, X.dtype)


def _make_optimizer(est, solver, n_samples):
    """The mini-batch optimiser of ``est``, scheduled over ``max_iter`` epochs."""
    n_batches = -(-n_samples // min(est.batch_size, n_samples))
    total = max(1, est.max_iter) * n_batches
    return MiniBatchOptimizer(
        solver,
        learning_rate=est.learning_rate,
        eta0=est.eta0,
        power_t=est.power_t,
        warmup_steps=int(est.warmup_fraction * total),
        total_steps=total,
        momentum=est.momentum,
        clip_norm=est.clip_norm,
    )


def _batch_objective(objective, penalty):
    """``value_grad(w, rows)`` of the penalised objective on a batch of rows."""
    X, target, sw = objective.X, objective.y, objective.sample_weight

    def value_grad(w, rows):
        value, grad = objective.data_value_grad(w, X[rows], target[rows], sw[rows])
        return value + penalty.smooth_value_grad(w, grad), grad

    return value_grad


def _fit_minibatch(est, X, target, codes, sample_weight, loss):
    """Fit ``est`` with SGD or Adam (early stopping optional); return ``w, n_iter``."""
    X = _row_indexable(X)
    rng = est._rng()
    validation_loss = None
    if est.early_stopping:
        seed = int(rng.integers(np.iinfo(np.int32).max))
        idx = np.arange(X.shape[0])
        try:
            train, val = train_test_split(
                idx,
                test_size=est.validation_fraction,
                stratify=codes,
                random_state=seed,
            )
        except ValueError:
            train, val = train_test_split(
                idx, test_size=est.validation_fraction, random_state=seed
            )
        train, val = np.sort(train), np.sort(val)
        X_val, t_val, sw_val = X[val], target[val], sample_weight[val]
        X, target, sample_weight = X[train], target[train], sample_weight[train]
    objective = LinearObjective(
        loss, X, target, sample_weight, fit_intercept=est.fit_intercept
    )
    penalty = make_penalty(est.C, est.l1_ratio, objective.sw_sum, objective.n_coef)
    if est.early_stopping:

        def validation_loss(w):
            value, _ = objective.data_value_grad(w, X_val, t_val, sw_val)
            return value + penalty.value(w)

    w0 = est._initial_w(objective)
    optimizer = _make_optimizer(est, est.solver, X.shape[0])
    with single_threaded_blas():
        w, n_iter, _ = minimize_minibatch(
            _batch_objective(objective, penalty),
            penalty,
            w0,
            X.shape[0],
            optimizer=optimizer,
            batch_size=est.batch_size,
            max_iter=est.max_iter,
            tol=est.tol,
            n_iter_no_change=est.n_iter_no_change,
            validation_loss=validation_loss,
            random_state=rng,
            verbose=est.verbose,
        )
    est._store(objective, w, X.dtype)
    est._optimizer = optimizer
    return w, n_iter
