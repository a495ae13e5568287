"""Positive-class scores on held-out rows, from a prefit or cross-validated model."""

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, check_is_fitted

from mlfound.metrics._cost import _positive_scores
from mlfound.utils._cv_splits import _check_cv_splits


def _check_prefit(estimator, classes):
    """Check that a ``cv="prefit"`` estimator is fitted on exactly ``classes``.

    Shared by the in-memory and the dask fits, so that both reject an
    unfitted or mismatched prefit model with the same message.
    """
    try:
        check_is_fitted(estimator, "classes_")
    except NotFittedError as exc:
        raise NotFittedError(
            "When cv='prefit', the estimator must already be fitted."
        ) from exc
    if not np.array_equal(estimator.classes_, classes):
        raise ValueError(
            f"The prefit estimator was fitted on the classes "
            f"{estimator.classes_!r}, but y holds {classes!r}."
        )


def _fit_and_score(
    estimator, X, y, fit_params, train, val, methods, classes, pos_label=None
):
    """Fit on ``train`` (``None``: prefit) and return the scores on ``val``."""
    if train is not None:
        fit_params = _check_method_params(X, fit_params, indices=train)
        estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **fit_params)
        if not np.array_equal(estimator.classes_, classes):
            raise ValueError(
                f"A training fold holds only the classes {estimator.classes_!r} of "
                f"{classes!r}; use fewer folds or a stratified splitter."
            )
    if val is None:
        return estimator, None, None
    X_val = X if val is Ellipsis else _safe_indexing(X, val)
    scores, method = _positive_scores(estimator, X_val, methods, pos_label)
    return estimator, scores, method


def _held_out_scores(est, estimator, X, y, routed_params, classes, pos, n_samples):
    """Positive-class scores on held-out rows: ``(scores, method, val_index)``.

    With ``cv="prefit"`` the fitted ``estimator`` scores all of ``X``;
    otherwise clones are fitted on the training folds of ``est.cv`` and
    score their validation folds. Sets ``est.estimator_`` (the prefit
    estimator, the refit on all rows, or the single split's model).
    """
    methods = est.response_method

    if isinstance(est.cv, str) and est.cv == "prefit":
        _check_prefit(estimator, classes)
        est.estimator_ = estimator
        scores, method = _positive_scores(estimator, X, methods, pos)
        val_index = np.arange(n_samples)
    else:
        cv = est._get_cv(y)
        splits = _check_cv_splits(
            cv.split(X, y, **routed_params.splitter.split), n_samples
        )
        if not est.refit and len(splits) > 1:
            raise ValueError(
                f"refit=False needs a single train/validation split, but cv "
                f"gives {len(splits)}: set refit=True or pass one split."
            )
        fit_params = routed_params.estimator.fit
        tasks = [(train, val) for train, val in splits]
        if est.refit:
            tasks.append((np.arange(n_samples), None))
        results = Parallel(n_jobs=est.n_jobs)(
            delayed(_fit_and_score)(
                clone(estimator),
                X,
                y,
                fit_params,
                train,
                val,
                methods,
                classes,
                pos,
            )
            for train, val in tasks
        )
        if est.refit:
            est.estimator_ = results[-1][0]
            results = results[:-1]
        else:
            est.estimator_ = results[0][0]
        scores = np.concatenate([r[1] for r in results])
        method = results[0][2]
        rows = np.arange(n_samples)
        val_index = np.concatenate([rows[np.asarray(val)] for _, val in splits])
    return scores, method, val_index
