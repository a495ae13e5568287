"""CostSensitiveThresholdClassifier on dask arrays: distributed folds and sweep.

Cross-validation without moving rows: with ``cv`` an int ``k``, row ``i`` of
partition ``b`` gets a fold drawn from a generator seeded by
``(random_state, b)``, as :class:`~mlfound.preprocessing.TargetEncoder`'s
distributed ``fit_transform`` draws them (uniform, not stratified;
``random_state=None`` draws them as ``0`` would, so that refitting gives the
same folds, as the in-memory unshuffled folds do). The training set of fold
``k`` is a dask array of the rows of every partition outside fold ``k``
(known lengths, selected on the workers), and the inner estimator fits it
itself: it must accept dask arrays in ``fit`` (mlfound's
:class:`~mlfound.linear_model.FocalLossClassifier` and
:class:`~mlfound.ordinal.OrdinalLogisticRegression`, or a ``Pipeline`` of
such steps). Each fold fit is already spread over the whole cluster, so the
``k + 1`` fits are driven from client threads (``n_jobs`` of them) rather
than shipped to workers by joblib.

Out-of-fold scores: every partition scores each of its rows with the model of
the row's fold, on its worker (the fold models are small, ordinary fitted
estimators), and turns them into its sorted run for the exact distributed
sweep of :mod:`mlfound.model_selection._distributed_sweep`. With
``cv="prefit"`` the given estimator, fitted on anything, scores every
partition; it needs no dask support.

Passes over the data: one for the labels and fold sizes; the inner
estimator's passes per fold fit and for the refit; one for the out-of-fold
scores and runs; then three for the exact sweep (range totals, range merge,
pick) or one for the quantile sweep.
"""

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, column_or_1d

from mlfound.metrics._cost import _positive_scores
from mlfound.model_selection._distributed_sweep import (
    _SAMPLES,
    block_run,
    exact_sweep,
    quantile_samples,
    quantile_sweep,
)
from mlfound.model_selection._held_out_scores import _check_prefit
from mlfound.preprocessing._target_encoder_dask import row_folds
from mlfound.utils._array_checks import check_finite_target
from mlfound.utils._dask import (
    aligned,
    as_row_blocks,
    compute_all,
    delayed_blocks,
    map_blocks_delayed,
    map_rows,
    persist_all,
)
from mlfound.utils.validation import check_n_classes, check_sample_weight

# ------------------------------------------------------------ worker functions


def _block_labels(y, folds, n_folds):
    """Distinct labels of a partition and its number of rows per fold."""
    y = column_or_1d(y, warn=False)
    check_finite_target(y)
    sizes = None if folds is None else np.bincount(folds, minlength=n_folds)
    return np.unique(y), sizes


def _outside_fold(a, folds, k):
    return a[folds != k]


def _block_scores(X, y, sw, sc, folds, models, method, pos, matrix, n_samples):
    """Out-of-fold scores of a partition and its run for the sweep."""
    y = column_or_1d(y, warn=False)
    n = y.shape[0]
    scores = np.empty(n, dtype=np.float64)
    if folds is None:
        if n:
            scores[:] = _positive_scores(models[0], X, [method], pos)[0]
    else:
        for k, model in enumerate(models):
            rows = folds == k
            if rows.any():
                scores[rows] = _positive_scores(model, X[rows], [method], pos)[0]
    if not np.all(np.isfinite(scores)):
        raise ValueError(
            f"The estimator's {method} returned NaN or infinite scores; they "
            f"cannot be thresholded."
        )
    y_pos = (y == pos).astype(np.int8)
    if sw is None:
        weights = np.ones(n, dtype=np.float64)
    elif n:
        weights = check_sample_weight(sw, np.empty((n, 0)), dtype=np.float64)
    else:
        weights = np.empty(0)
    if sc is None:
        costs = matrix[y_pos]
    else:
        sc = np.asarray(sc, dtype=np.float64)
        if not np.all(np.isfinite(sc)) or np.any(sc < 0):
            raise ValueError(
                "sample_cost contains NaN, infinite or negative costs; costs "
                "must be finite and >= 0."
            )
        costs = sc[np.arange(n), y_pos]
    # the per-row terms of the in-memory kernel, as the same products
    base = weights * costs[:, 0]
    delta = weights * (costs[:, 1] - costs[:, 0])
    run, summary = block_run(scores, y_pos, weights, base, delta, n_samples)
    return run, summary + (bool(sc is None or np.any(sc > 0)),)


# ------------------------------------------------------------ client side


def fits_dask(estimator):
    """Whether ``estimator.fit`` accepts dask arrays (mlfound's ``_dask_methods``)."""
    if isinstance(estimator, Pipeline):
        steps = [s for _, s in estimator.steps if s not in (None, "passthrough")]
        return all(
            "fit_transform" in getattr(s, "_dask_methods", ()) for s in steps[:-1]
        ) and fits_dask(steps[-1])
    return "fit" in getattr(estimator, "_dask_methods", ())


def _check_inner(est, estimator):
    if est.estimator is None or not fits_dask(estimator):
        name = (
            "LogisticRegression (the default)"
            if est.estimator is None
            else (type(estimator).__name__)
        )
        raise TypeError(
            f"CostSensitiveThresholdClassifier fits its folds on a dask "
            f"collection with an inner estimator that fits dask arrays itself; "
            f"{name} does not. Use mlfound's FocalLossClassifier (gamma=0 is "
            f"logistic regression) or OrdinalLogisticRegression, or a Pipeline "
            f"of such steps; or fit any estimator on a sample in memory and "
            f"tune its threshold on the collection with cv='prefit'; or "
            f"compute the collection first (X.compute()) if it fits in memory."
        )


def _sample_cost(sample_cost, rows):
    """``sample_cost`` as a dask array of shape (n, 2, 2) on ``rows``."""
    import dask.array as da

    if sample_cost is None:
        return None
    n = sum(rows)
    if not isinstance(sample_cost, da.Array):
        from mlfound.metrics._cost_checks import _check_sample_cost

        return da.from_array(_check_sample_cost(sample_cost, n), chunks=(rows, 2, 2))
    if sample_cost.shape != (n, 2, 2):
        raise ValueError(
            f"sample_cost has shape {sample_cost.shape}; expected ({n}, 2, 2), "
            f"one [true][pred] cost matrix per row of X."
        )
    return sample_cost.rechunk((rows, 2, 2))


def _fit_one(estimator, X, y, fit_params):
    return estimator.fit(X, y, **fit_params)


def _fold_part(a, folds, k, sizes):
    """Rows of ``a`` outside fold ``k``, as a dask array of known lengths."""
    import dask.array as da

    if a is None:
        return None
    take = delayed_blocks(a, folds)
    parts = [
        da.from_delayed(
            map_blocks_delayed(_outside_fold, [block], k)[0],
            shape=(int(n),) + a.shape[1:],
            dtype=a.dtype,
        )
        for block, n in zip(take, sizes, strict=True)
    ]
    return da.concatenate(parts)


def fit_cost_threshold_dask(est, X, y, sample_weight, sample_cost, params):
    """``est.fit`` (a CostSensitiveThresholdClassifier) on dask collections."""
    from mlfound.metrics._cost_checks import _check_cost_matrix
    from mlfound.model_selection._threshold_search import _check_constraint

    prefit = isinstance(est.cv, str) and est.cv == "prefit"
    estimator = est._get_estimator()
    if not prefit:
        _check_inner(est, estimator)
        if isinstance(est.cv, bool) or not isinstance(est.cv, (int, np.integer)):
            raise TypeError(
                f"On a dask collection, cv must be an int (folds drawn per row "
                f"on the workers) or 'prefit'; got cv={est.cv!r}. Compute the "
                f"collection first (X.compute()) to use another splitter."
            )
        if est.cv < 2:
            raise ValueError(f"cv must be at least 2 folds; got cv={est.cv}.")
        if not est.refit:
            raise ValueError(
                f"refit=False needs a single train/validation split, but cv "
                f"gives {est.cv}: set refit=True or pass one split."
            )
    X = as_row_blocks(X)
    rows = X.chunks[0]
    if y is None:
        raise ValueError("y is required to fit CostSensitiveThresholdClassifier.")
    y = aligned(y, rows, "y")
    sample_weight = aligned(sample_weight, rows, "sample_weight")
    sample_cost = _sample_cost(sample_cost, rows)
    est.cost_matrix_ = _check_cost_matrix(est.cost_matrix, 2)
    constraint = _check_constraint(est.constraint)
    fit_params = est._route_params(estimator, sample_weight, params).estimator.fit
    if set(fit_params) - {"sample_weight"}:
        raise TypeError(
            f"On a dask collection only sample_weight is passed on to the inner "
            f"estimator; got {sorted(set(fit_params) - {'sample_weight'})}."
        )
    for name in ("_oof", "estimator_", "n_features_in_", "feature_names_in_"):
        est.__dict__.pop(name, None)

    # pass: the labels, and the rows per fold of every partition
    n_folds = None if prefit else int(est.cv)
    folds = None
    if not prefit:
        seed = 0 if est.random_state is None else est.random_state
        folds = row_folds(X, n_folds, seed)
    found = compute_all(
        map_blocks_delayed(_block_labels, delayed_blocks(y, folds), n_folds)
    )
    classes = np.unique(np.concatenate([f[0] for f in found]))
    y_type = type_of_target(classes, input_name="y", raise_unknown=True)
    if y_type != "binary" or len(classes) != 2:
        raise ValueError(
            f"Only binary classification is supported. The target y holds "
            f"{len(classes)} classes; use BayesMinimumRiskClassifier for more "
            f"than two classes."
        )
    check_n_classes(classes)
    pos = est._check_pos_label(classes, sample_cost)
    n_passes = 1

    if prefit:
        _check_prefit(estimator, classes)
        est.estimator_ = estimator
        models = [estimator]
    else:
        # rows of each partition outside each fold
        sizes = np.array(rows)[:, None] - np.array([f[1] for f in found])
        tasks = []
        for k in range(n_folds):
            part = [_fold_part(a, folds, k, sizes[:, k]) for a in (X, y)]
            weights = fit_params.get("sample_weight")
            kw = (
                {}
                if weights is None
                else {"sample_weight": _fold_part(weights, folds, k, sizes[:, k])}
            )
            tasks.append((clone(estimator), part[0], part[1], kw))
        tasks.append((clone(estimator), X, y, dict(fit_params)))
        # each fit is spread over the cluster already: client threads drive them
        fitted = Parallel(n_jobs=est.n_jobs, backend="threading")(
            delayed(_fit_one)(*task) for task in tasks
        )
        for model in fitted[:-1]:
            if not np.array_equal(model.classes_, classes):
                raise ValueError(
                    f"A training fold holds only the classes {model.classes_!r} "
                    f"of {classes!r}; use fewer folds."
                )
        models, est.estimator_ = fitted[:-1], fitted[-1]
        n_passes += sum(_passes(m) for m in fitted)

    method = _response_method(est, models[0])
    est.response_method_ = method
    # pass: out-of-fold scores, sorted per partition (kept on the workers)
    from dask import delayed as dask_delayed

    exact = isinstance(est.thresholds, str)
    n_samples = _SAMPLES if exact else quantile_samples(int(est.thresholds))

    scored = persist_all(
        [
            dask_delayed(_block_scores, pure=False)(
                *block, models, method, pos, est.cost_matrix_, n_samples
            )
            for block in delayed_blocks(X, y, sample_weight, sample_cost, folds)
        ]
    )
    runs = [s[0] for s in scored]
    summaries = compute_all([s[1] for s in scored])
    n_passes += 1
    if sample_cost is not None and not any(s[-1] for s in summaries):
        raise ValueError(
            "sample_cost is all zeros: every decision costs the same, so there "
            "is nothing to optimize."
        )
    low = min(s[5] for s in summaries)
    high = max(s[6] for s in summaries)
    if low == high:
        raise ValueError(
            "The estimator makes constant predictions on the tuning data, so "
            "no threshold can be optimized."
        )
    default = 0.5 if method == "predict_proba" else 0.0
    if exact:
        best, curve, totals, passes = exact_sweep(runs, summaries, constraint, default)
    else:
        best, curve, totals, passes = quantile_sweep(
            runs, summaries, int(est.thresholds), constraint, default
        )
    n_passes += passes
    total_weight = totals[0] + totals[1]
    if total_weight <= 0:
        raise ValueError("The sample weights of the tuning data sum to zero.")
    if best is None:
        _raise_infeasible(constraint, curve)
    est.best_threshold_ = float(best[0])
    est.best_cost_ = float(best[3] / total_weight)
    est.cost_curve_ = {
        "thresholds": curve[0],
        "costs": curve[3] / total_weight,
        "recall": curve[4],
        "precision": curve[5],
        "fpr": curve[6],
    }
    if hasattr(est.estimator_, "n_features_in_"):
        est.n_features_in_ = est.estimator_.n_features_in_
    if hasattr(est.estimator_, "feature_names_in_"):
        est.feature_names_in_ = est.estimator_.feature_names_in_
    est._dask_passes = n_passes
    return est


def _passes(model):
    """Passes over the data the fit of ``model`` made (a Pipeline: its steps')."""
    if isinstance(model, Pipeline):
        return sum(_passes(s) for _, s in model.steps if hasattr(s, "fit"))
    return getattr(model, "_dask_passes", 0)


def _response_method(est, model):
    methods = (
        ["predict_proba", "decision_function"]
        if est.response_method == "auto"
        else [est.response_method]
    )
    for method in methods:
        if hasattr(model, method):
            return method
    raise AttributeError(
        f"{type(model).__name__} has none of the methods {methods}: it cannot "
        f"give scores to threshold."
    )


def _raise_infeasible(constraint, curve):
    from mlfound._kernels.sweep import select_threshold

    sweep = {
        "thresholds": curve[0],
        "costs": curve[3],
        "recall": curve[4],
        "precision": curve[5],
        "fpr": curve[6],
    }
    select_threshold(sweep, constraint=constraint)  # raises, naming the best value
    raise AssertionError("unreachable")  # pragma: no cover


def predict_cost_threshold_dask(est, method, X):
    """``est.<method>(X)`` per partition of the dask array ``X``."""
    check_is_fitted(est, "estimator_")
    if method == "predict":
        n_columns, dtype = None, est.classes_.dtype
    elif method == "decision_function":
        n_columns, dtype = None, np.float64
    else:
        n_columns, dtype = 2, np.float64
    return map_rows(getattr(est, method), X, n_columns=n_columns, dtype=dtype)
