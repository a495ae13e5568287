"""A model's predictions as features: out of fold for the training rows."""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin, clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import check_cv
from sklearn.utils import Bunch, _safe_indexing, indexable
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound.utils._cv_splits import _check_cv_splits
from mlfound.utils._metaestimators import _sample_weight_params
from mlfound.utils._param_validation import HasMethods, StrOptions, _fit_context
from mlfound.utils.validation import check_sample_weight, check_sparse_structure

_ORDER = ("predict_proba", "decision_function", "predict")


class OutOfFoldTransformer(TransformerMixin, BaseEstimator):
    """Predictions of an inner model as features, out of fold for training.

    Feeding a model's in-sample predictions to another model (stacking)
    leaks: the training rows' predictions are better than the model will
    ever be on new rows, and the second model learns to over-trust them.
    ``fit_transform(X, y)`` therefore returns *out-of-fold* predictions:
    each row is predicted by a clone of ``estimator`` fitted on the other
    folds of ``cv`` only, exactly as
    :func:`~sklearn.model_selection.cross_val_predict` with the same folds.
    ``transform`` uses ``estimator_``, fitted on all the training rows: the
    same contract as :class:`TargetEncoder`.

    With a splitter whose test folds do not cover every row (e.g.
    :class:`~sklearn.model_selection.TimeSeriesSplit`, whose first window is
    never a test fold), the uncovered rows have no out-of-fold prediction and
    get NaN.

    Read more in the :ref:`User Guide <leakage_safe_features>`.

    Parameters
    ----------
    estimator : estimator instance, default=None
        The inner model; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`.

    cv : int, cross-validation generator or iterable, default=5
        Folds of ``fit_transform``, as in ``cross_val_predict``: an int gives
        (Stratified)KFold without shuffling. ``groups`` for a group splitter
        are routed through metadata routing (or passed as ``groups=``).

    response_method : {"auto", "predict_proba", "decision_function", \
            "predict"}, default="auto"
        The inner method whose output becomes the features. ``"auto"``:
        ``predict_proba``, else ``decision_function``, else ``predict``.
        For a binary classifier's ``predict_proba`` only the probability of
        ``classes_[1]`` is kept (the other column is redundant).

    n_jobs : int, default=None
        Folds fitted in parallel (joblib).

    Attributes
    ----------
    estimator_ : estimator instance
        The inner estimator fitted on all training rows.

    response_method_ : str
        The inner method used.

    classes_ : ndarray or None
        Classes of a classifier, else ``None``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    sklearn.model_selection.cross_val_predict : The out-of-fold predictions.
    sklearn.ensemble.StackingClassifier : Stacking as one estimator.
    LagFeatures : Lag and rolling features from earlier rows.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from mlfound.preprocessing import OutOfFoldTransformer
    >>> X, y = make_classification(n_samples=100, random_state=0)
    >>> oof = OutOfFoldTransformer(cv=5)
    >>> oof.fit_transform(X, y).shape
    (100, 1)
    >>> oof.get_feature_names_out()
    array(['logisticregression_1'], dtype=object)
    """

    _parameter_constraints: dict = {
        "estimator": [None, HasMethods(["fit"])],
        "cv": ["cv_object"],
        "response_method": [StrOptions({"auto", *_ORDER})],
        "n_jobs": [None, int],
    }

    def __init__(self, estimator=None, *, cv=5, response_method="auto", n_jobs=None):
        self.estimator = estimator
        self.cv = cv
        self.response_method = response_method
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the inner estimator on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the inner ``fit``.
        **params : dict
            Metadata routed to the inner ``fit`` (metadata routing enabled).

        Returns
        -------
        self : object
            Fitted transformer.
        """
        X, y, sample_weight, routed = self._setup(X, y, sample_weight, params, "fit")
        self.estimator_ = clone(self._get_estimator()).fit(X, y, **routed.fit)
        return self

    @_fit_context(prefer_skip_nested_validation=False)
    def fit_transform(self, X, y, sample_weight=None, **params):
        """Fit on all rows; return the out-of-fold predictions of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the inner ``fit`` of every fold (its rows) and of the
            final model.
        **params : dict
            Metadata: ``groups`` for the splitter, others for the inner
            ``fit`` (through metadata routing when it is enabled).

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_outputs)
            Out-of-fold predictions (NaN for rows in no test fold).
        """
        X, y, sample_weight, routed = self._setup(
            X, y, sample_weight, params, "fit_transform"
        )
        estimator = self._get_estimator()
        cv = check_cv(self.cv, y, classifier=is_classifier(estimator))
        splits = _check_cv_splits(
            cv.split(X, y, **routed.split), X.shape[0], name="cv", disjoint_test=True
        )
        parts = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_predict)(
                clone(estimator), X, y, train, test, routed.fit, self.response_method_
            )
            for train, test in splits
        )
        self.estimator_ = clone(estimator).fit(X, y, **routed.fit)
        out = None
        for (_, test), pred in zip(splits, parts, strict=True):
            pred = self._format(pred)
            if out is None:
                out = np.full((X.shape[0], pred.shape[1]), np.nan)
            out[test] = pred
        return out

    def transform(self, X):
        """Predictions of the model fitted on all training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            New data.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_outputs)
            The inner model's outputs.
        """
        check_is_fitted(self, "estimator_")
        X = validate_data(
            self,
            check_sparse_structure(X),
            reset=False,
            ensure_all_finite=False,
            accept_sparse=True,
        )
        return self._format(getattr(self.estimator_, self.response_method_)(X))

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : None
            Unused; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``<estimator>_<class>`` per class kept, or ``<estimator>`` for a
            single score.
        """
        check_is_fitted(self, "estimator_")
        prefix = type(self.estimator_).__name__.lower()
        classes = self._output_classes()
        if classes is None:
            return np.asarray([prefix], dtype=object)
        return np.asarray([f"{prefix}_{c}" for c in classes], dtype=object)

    def get_metadata_routing(self):
        """Routing: ``groups`` to ``cv.split``, fit metadata to the estimator.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        router = MetadataRouter(owner=self)
        router.add(
            estimator=self._get_estimator(),
            method_mapping=MethodMapping()
            .add(caller="fit", callee="fit")
            .add(caller="fit_transform", callee="fit"),
        )
        router.add(
            splitter=check_cv(self.cv),
            method_mapping=MethodMapping().add(caller="fit_transform", callee="split"),
        )
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        inner = self._get_estimator().__sklearn_tags__()
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.sparse = inner.input_tags.sparse
        return tags

    # ---------------------------------------------------------------- private

    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _setup(self, X, y, sample_weight, params, caller):
        estimator = self._get_estimator()
        X, y = validate_data(
            self,
            check_sparse_structure(X),
            y,
            ensure_all_finite=False,
            accept_sparse=True,
            y_numeric=False,
        )
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        if _routing_enabled():
            routed = process_routing(
                self, caller, sample_weight=sample_weight, **params
            )
            routed = Bunch(fit=routed.estimator.fit, split=routed.splitter.split)
        else:
            groups = params.pop("groups", None)
            _raise_for_params(params, self, caller)
            fit = _sample_weight_params(estimator, sample_weight)
            split = {} if groups is None else {"groups": indexable(groups)[0]}
            routed = Bunch(fit=fit, split=split)
        method = self.response_method
        if method == "auto":
            candidates = _ORDER if is_classifier(estimator) else ("predict",)
            method = next(m for m in candidates if hasattr(estimator, m))
        elif not hasattr(estimator, method):
            raise ValueError(
                f"response_method={method!r} but {type(estimator).__name__} has "
                f"no {method} method; use 'auto' or one it has."
            )
        self.response_method_ = method
        self.classes_ = np.unique(y) if is_classifier(estimator) else None
        return X, y, sample_weight, routed

    def _output_classes(self):
        method, classes = self.response_method_, self.classes_
        if classes is None or method == "predict":
            return None
        if len(classes) == 2:
            return classes[1:] if method == "predict_proba" else None
        return classes

    def _format(self, pred):
        pred = np.asarray(pred)
        if pred.ndim == 1:
            pred = pred[:, None]
        if self.response_method_ == "predict_proba" and pred.shape[1] == 2:
            pred = pred[:, 1:]
        try:
            return pred.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                "response_method='predict' returned non-numeric labels; use "
                "predict_proba or decision_function for a classifier with "
                "string classes."
            ) from None


def _fit_predict(estimator, X, y, train, test, fit_params, method):
    """Fit on ``train`` rows, predict ``test`` rows (fit metadata sliced)."""
    n = X.shape[0]
    sliced = {
        k: _safe_indexing(v, train) if hasattr(v, "__len__") and len(v) == n else v
        for k, v in fit_params.items()
    }
    estimator.fit(_safe_indexing(X, train), _safe_indexing(y, train), **sliced)
    return getattr(estimator, method)(_safe_indexing(X, test))
