"""Scores of several estimators on identical cross-validation folds.

The shared layer under :func:`paired_cv_test` and :func:`compare_models`:
validate ``X``, ``y`` and the fit parameters, build (or check) the splits
once, and fit every estimator once per split, in parallel over
splits with joblib.
"""

import numbers

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import (
    RepeatedKFold,
    RepeatedStratifiedKFold,
    check_cv,
)
from sklearn.utils import _safe_indexing, indexable
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, _num_samples

from mlfound.utils._array_checks import check_finite_target
from mlfound.utils._cv_splits import _check_cv_splits

FIVE_BY_TWO = ("5x2cv_t", "5x2cv_f")


def _check_X_y(X, y):
    """``X`` and ``y`` of equal, sufficient length; a finite numeric ``y``."""
    if X is None or y is None:
        raise ValueError(
            "X and y are required: the models are compared on cross-validation "
            "folds of (X, y)."
        )
    try:
        n_samples = _num_samples(X)
    except TypeError as exc:
        raise TypeError(f"X must be array-like with rows: {exc}") from None
    y_arr = np.asarray(y)
    if y_arr.ndim == 0:
        raise ValueError("y must be an array with one target per row of X.")
    if y_arr.shape[0] != n_samples:
        raise ValueError(
            f"X has {n_samples} rows but y has {y_arr.shape[0]} values: give "
            f"one target per row of X."
        )
    if n_samples < 4:
        raise ValueError(
            f"X has {n_samples} rows: a paired cross-validation comparison "
            f"needs at least 4 (two folds with two rows each)."
        )
    check_finite_target(y_arr, name="y")
    if y_arr.dtype == object and any(
        v is None or (isinstance(v, float) and np.isnan(v)) for v in y_arr.ravel()
    ):
        raise ValueError("Input y contains missing values (None or NaN).")
    return indexable(X, y)


def _is_class_target(y):
    return type_of_target(y) in ("binary", "multiclass")


def _check_class_target(estimators, y):
    """Classifiers need class labels: refuse a continuous ``y`` up front."""
    if not all(is_classifier(e) for e in estimators):
        return
    kind = type_of_target(y)
    if kind not in ("binary", "multiclass", "multilabel-indicator"):
        raise ValueError(
            f"y is a {kind!r} target but the estimators are classifiers, which "
            f"need class labels (integers or strings). Check y (a float label "
            f"such as 2.0**63 is not an exact integer), or compare regressors."
        )


def _build_splits(cv, test, estimators, X, y, groups, random_state):
    """Materialised, validated (train, test) pairs for ``test``."""
    _check_class_target(estimators, y)
    classification = all(is_classifier(e) for e in estimators) and _is_class_target(y)
    n_samples = _num_samples(X)
    if test in FIVE_BY_TWO:
        if cv is None:
            kind = RepeatedStratifiedKFold if classification else RepeatedKFold
            cv = kind(n_splits=2, n_repeats=5, random_state=random_state)
        elif isinstance(cv, numbers.Integral):
            raise ValueError(
                f"test={test!r} needs 5 repetitions of 2-fold cross-validation; "
                f"cv={cv!r} is an integer. Pass cv=None (the 5x2 splits are "
                f"built from random_state) or a splitter such as "
                f"RepeatedStratifiedKFold(n_splits=2, n_repeats=5)."
            )
    elif cv is None:
        kind = RepeatedStratifiedKFold if classification else RepeatedKFold
        cv = kind(n_splits=5, n_repeats=2, random_state=random_state)
    else:
        cv = check_cv(cv, y, classifier=classification)
    splitter = cv.split(X, y, groups) if hasattr(cv, "split") else cv
    splits = _check_cv_splits(splitter, n_samples, name="cv")
    for k, (train, held_out) in enumerate(splits):
        if train.shape[0] == 0 or held_out.shape[0] == 0:
            raise ValueError(
                f"cv: split {k} has an empty training or test set; every split "
                f"needs rows on both sides."
            )
    if test in FIVE_BY_TWO:
        _check_five_by_two(splits, n_samples, test)
    elif len(splits) < 2:
        raise ValueError(
            f"cv yielded {len(splits)} split: a paired test needs at least 2 "
            f"(a variance across splits)."
        )
    return splits


def _check_five_by_two(splits, n_samples, test):
    """Ten splits, each consecutive pair the two halves of one 2-fold split."""
    if len(splits) != 10:
        raise ValueError(
            f"test={test!r} needs exactly 10 splits (5 repetitions of 2-fold "
            f"cross-validation, in order); cv yielded {len(splits)}. Pass "
            f"cv=None or RepeatedStratifiedKFold(n_splits=2, n_repeats=5)."
        )
    for r in range(5):
        (train_1, test_1), (train_2, test_2) = splits[2 * r], splits[2 * r + 1]
        halves = np.sort(np.r_[test_1, test_2])
        if (
            halves.shape[0] != n_samples
            or not np.array_equal(halves, np.arange(n_samples))
            or not np.array_equal(np.sort(train_1), np.sort(test_2))
            or not np.array_equal(np.sort(train_2), np.sort(test_1))
        ):
            raise ValueError(
                f"test={test!r}: splits {2 * r} and {2 * r + 1} of cv are not "
                f"the two halves of one 2-fold split (each half trains once "
                f"and tests once). Pass cv=None or "
                f"RepeatedStratifiedKFold(n_splits=2, n_repeats=5)."
            )


def _scorers(estimators, scoring):
    """One scorer per estimator; the same metric for all of them."""
    if scoring is None:
        kinds = {is_classifier(e) for e in estimators}
        if len(kinds) > 1:
            raise ValueError(
                "scoring=None scores each estimator with its own score method, "
                "but the estimators mix classifiers and regressors, whose "
                "scores differ (accuracy vs R^2). Pass scoring, e.g. "
                "scoring='accuracy'."
            )
    return [check_scoring(e, scoring=scoring) for e in estimators]


def _take(a, rows):
    """Rows of ``a``; plain NumPy arrays skip the dataframe dispatch."""
    return a[rows] if type(a) is np.ndarray else _safe_indexing(a, rows)


def _fit_and_score(estimators, X, y, train, held_out, scorers, params):
    """Fit each estimator on ``train`` and score it on ``held_out``."""
    fit_params = _check_method_params(X, params, indices=train) if params else {}
    X_train, y_train = _take(X, train), _take(y, train)
    X_test, y_test = _take(X, held_out), _take(y, held_out)
    scores = []
    for estimator, scorer in zip(estimators, scorers, strict=True):
        estimator.fit(X_train, y_train, **fit_params)
        scores.append(float(scorer(estimator, X_test, y_test)))
    return scores


def fold_scores(estimators, X, y, *, cv, test, scoring, params, groups, n_jobs, rs):
    """Scores of each estimator on each split: ``(scores, n_train, n_test)``.

    ``scores`` has shape ``(n_estimators, n_splits)``; every estimator is
    fitted once per split, on the same rows. One joblib task per split fits
    all the estimators on it (the split's rows are indexed once).
    """
    X, y = _check_X_y(X, y)
    params = {} if params is None else dict(params)
    splits = _build_splits(cv, test, estimators, X, y, groups, rs)
    scorers = _scorers(estimators, scoring)
    values = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score)(
            [clone(e) for e in estimators], X, y, train, held_out, scorers, params
        )
        for train, held_out in splits
    )
    scores = np.asarray(values, dtype=np.float64).T
    if not np.all(np.isfinite(scores)):
        raise ValueError(
            "A fold score is NaN or infinite; check scoring and the estimators "
            "(a scorer undefined on a fold, e.g. ROC AUC with one class)."
        )
    n_train = np.array([t.shape[0] for t, _ in splits])
    n_test = np.array([h.shape[0] for _, h in splits])
    return scores, n_train, n_test
