"""OrdinalLogisticRegression on dask collections: Newton on summed statistics.

The negative log-likelihood of the cumulative link model, its gradient, its
Hessian and the sandwich meat are sums over rows. Each solver evaluation
runs the estimator's own kernels (:class:`CumulativeLinkLoss` on one
partition) on every partition and adds the results on the client in
partition order; the solver (Newton, or L-BFGS beyond 500 parameters), the
cut-point re-parametrisation and the likelihood summary run on the client
unchanged, so the fit equals the in-memory one up to the order of the sums.

Passes: one for the labels, one to validate and persist the partitions (with
the weighted class counts, which give the starting cut points), then one per
evaluation and one for the summary's information matrices. Not done on a
cluster: the separation check of an unpenalised fit (it needs all rows in
one linear program); ``C=np.inf`` still fits, without that warning.

A dask DataFrame of numeric columns (``y`` a dask Series partitioned like
it) takes the same passes over its pandas partitions; ``nominal`` and
``scale`` may then name columns, as for a pandas DataFrame.
"""

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from mlfound._glm._cumulative_link import (
    CumulativeLinkLoss,
    cut_params,
    link_quantile,
)
from mlfound.ordinal._ordinal_effects import dense_columns, resolve_columns
from mlfound.utils._dask import (
    compute_all,
    delayed_blocks,
    map_blocks_delayed,
    map_rows,
    persist_all,
    sum_in_order,
)
from mlfound.utils._dask_frames import fit_inputs
from mlfound.utils._ordinal_target import check_ordinal_target, ordinal_categories
from mlfound.utils.validation import check_n_classes, check_sample_weight


def _block_labels(y):
    return np.unique(column_or_1d(y, warn=False))


def _validate_block(X, y, sample_weight, classes):
    X = check_array(X, dtype=np.float64, order="C", ensure_min_samples=0)
    y = column_or_1d(y, warn=False)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"A partition of y has {y.shape[0]} rows and that of X {X.shape[0]}."
        )
    _, codes = check_ordinal_target(y, classes, require_all=False)
    if X.shape[0] == 0:
        sw = np.empty(0, dtype=np.float64)
    else:
        sw = check_sample_weight(sample_weight, X, dtype=np.float64)
    return X, np.asarray(codes, dtype=np.int64), sw


def _weighted_counts(block, n_classes):
    _, codes, sw = block
    return np.bincount(codes, weights=sw, minlength=n_classes).astype(np.float64)


def _block_loss(block, spec):
    X, codes, sw = block
    n_classes, link, location, nominal, scale = spec
    return CumulativeLinkLoss(
        X,
        codes,
        sw,
        n_classes,
        link,
        None,
        location=location,
        Z=dense_columns(X, nominal) if nominal.size else None,
        S=dense_columns(X, scale) if scale.size else None,
    )


def _block_raw(block, spec, w, with_hess):
    loss = _block_loss(block, spec)
    value = loss._raw(w, with_hess)
    return float(value), loss._grad.copy(), (loss._hess.copy() if with_hess else 0.0)


def _block_information(block, spec, w):
    loglik, hess, meat = _block_loss(block, spec).information(w)
    return float(loglik), hess, meat


class DaskCumulativeLinkLoss(CumulativeLinkLoss):
    """:class:`CumulativeLinkLoss` whose sums over rows run per dask partition."""

    def __init__(self, blocks, counts, n_columns, spec, penalty):
        n_classes, link, location, nominal, scale = spec
        empty = np.empty((0, n_columns))
        super().__init__(
            empty,
            np.empty(0, dtype=np.int64),
            np.empty(0),
            n_classes,
            link,
            penalty,
            location=location,
            Z=np.empty((0, nominal.size)) if nominal.size else None,
            S=np.empty((0, scale.size)) if scale.size else None,
        )
        self.blocks = [(b,) for b in blocks]
        self.spec = spec
        self.counts = counts
        self.sw_sum = float(counts.sum())
        self.n_passes = 0

    def initial_params(self):
        cum = np.cumsum(self.counts)[:-1] / self.sw_sum
        theta = link_quantile(np.clip(cum, 1e-10, 1 - 1e-10), self.link)
        theta = np.maximum.accumulate(theta)
        theta[1:] = np.maximum(theta[1:], theta[:-1] + 1e-6)
        return np.concatenate([np.zeros(self.n_coef), cut_params(theta)])

    def _raw(self, w, with_hess):
        self.n_passes += 1
        w = np.array(w, dtype=np.float64, copy=True)
        tasks = map_blocks_delayed(_block_raw, self.blocks, self.spec, w, with_hess)
        value, grad, hess = sum_in_order(compute_all(tasks))
        self._grad[:] = grad
        if with_hess:
            self._hess[:] = hess
        return float(value)

    def information(self, w):
        self.n_passes += 1
        w = np.array(w, dtype=np.float64, copy=True)
        tasks = map_blocks_delayed(_block_information, self.blocks, self.spec, w)
        loglik, hess, meat = sum_in_order(compute_all(tasks))
        return float(loglik), hess, meat


def fit_ordinal_dask(est, X, y, sample_weight):
    """Fit ``est`` (an OrdinalLogisticRegression) on dask collections."""
    X, y, sample_weight = fit_inputs(est, X, y, sample_weight, numeric=True)
    n_columns = est.n_features_in_

    labels = compute_all(map_blocks_delayed(_block_labels, delayed_blocks(y)))
    labels = np.unique(np.concatenate(labels))
    categories = ordinal_categories(labels, est.categories)
    est.classes_, _ = check_ordinal_target(labels, categories)
    n_classes = check_n_classes(est.classes_)

    blocks = persist_all(
        map_blocks_delayed(
            _validate_block, delayed_blocks(X, y, sample_weight), est.classes_
        )
    )
    counts = sum_in_order(
        compute_all(
            map_blocks_delayed(_weighted_counts, [(b,) for b in blocks], n_classes)
        )
    )
    if np.any(counts <= 0):
        empty = est.classes_[counts <= 0].tolist()
        raise ValueError(
            f"The class(es) {empty!r} have zero total sample_weight: their cut "
            f"points cannot be estimated. Give them positive weights or "
            f"drop those rows."
        )
    names = getattr(est, "feature_names_in_", None)
    est.nominal_features_ = resolve_columns(est.nominal, "nominal", n_columns, names)
    est.scale_features_ = resolve_columns(est.scale, "scale", n_columns, names)
    both = np.intersect1d(est.nominal_features_, est.scale_features_)
    if both.size:
        raise ValueError(
            f"The columns {both.tolist()} are both in nominal and in scale: "
            f"keep each column in one of them."
        )
    location, penalty = est._location_and_penalty(
        n_columns, n_classes, float(counts.sum())
    )
    spec = (n_classes, est.link, location, est.nominal_features_, est.scale_features_)
    loss = DaskCumulativeLinkLoss(blocks, counts, n_columns, spec, penalty)
    est._solve(loss, location)
    est._separated = []
    est._dask_passes = 2 + loss.n_passes
    return est


def predict_ordinal_dask(est, method, X):
    """``est.<method>(X)`` per partition of the dask collection ``X``: a dask array."""
    check_is_fitted(est)
    n_classes = len(est.classes_)
    n_columns, dtype = {
        "predict_proba": (n_classes, np.float64),
        "predict_log_proba": (n_classes, np.float64),
        "predict_cumulative_proba": (n_classes - 1, np.float64),
        "latent_score": (None, np.float64),
    }.get(method, (None, est.classes_.dtype))
    return map_rows(getattr(est, method), X, n_columns=n_columns, dtype=dtype)
