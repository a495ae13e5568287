"""Ordinal classification by any regressor with learned cut points."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import (
    _check_method_params,
    check_is_fitted,
    validate_data,
)

from mlfound.metrics._cost_checks import _check_cost_matrix
from mlfound.ordinal._cut_point_search import _absolute_cost, _learn_cut_points
from mlfound.utils._cv_splits import _check_cv_splits
from mlfound.utils._metaestimators import _row_indexable, _sample_weight_params
from mlfound.utils._param_validation import HasMethods, StrOptions, _fit_context
from mlfound.utils.validation import (
    check_n_classes,
    check_ordinal_target,
    check_sample_weight,
    check_sparse_structure,
    ordinal_categories,
)


class OrdinalCutPointClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Ordinal classifier: any regressor on the class ranks, with learned cut points.

    The regressor is fitted on the class ranks ``0..K-1`` (the labels'
    positions in their order). Its continuous output ``s`` is then cut at
    ``K - 1`` ordered cut points ``t_0 <= ... <= t_{K-2}``: the predicted
    class is ``classes_[#{k : t_k < s}]``. The cut points are not fixed at
    ``0.5, 1.5, ...`` (rounding): they are learned on **out-of-fold**
    predictions (each row predicted by a model that did not see it, as in
    :func:`~sklearn.model_selection.cross_val_predict`) to minimise the
    chosen ordinal loss, so the rounder never sees its own training fit.
    The regressor is then refitted on all rows.

    ``loss="mae"`` (mean absolute class error) and any cost matrix are
    minimised **exactly**: after one sort, a dynamic program over (sorted
    position, class) finds the best non-decreasing assignment of classes to
    the distinct out-of-fold predictions in ``O(n K)``. ``loss="qwk"``
    (quadratic weighted kappa) does not add up over rows; it is maximised
    by coordinate descent from the MAE optimum, moving one cut point at a
    time to its exactly best position between its neighbours, until no
    single move improves: a **local** optimum.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        A regressor with ``fit`` and ``predict``, fitted on the class ranks
        ``0..K-1`` as float targets. ``None`` means ``Ridge()``.
    loss : {"mae", "qwk"} or array-like of shape (n_classes, n_classes), \
            default="mae"
        The loss the cut points minimise on the out-of-fold predictions:
        ``"mae"`` the mean absolute class error, ``"qwk"`` one minus the
        quadratic weighted kappa, or a cost matrix ``C[true][pred]``
        (non-negative, indexed in the order of ``classes_``) whose weighted
        sum over rows is minimised.
    cv : int, cross-validation generator or iterable, default=5
        How the out-of-fold predictions are made. An int is the number of
        folds of a :class:`~sklearn.model_selection.StratifiedKFold` on the
        classes; a splitter (e.g. ``GroupKFold``, with ``groups`` routed) or
        a list of ``(train, test)`` index pairs is used as given. Test folds
        must be disjoint; rows in no test fold (``TimeSeriesSplit``'s first
        block) do not take part in the cut-point search.
    categories : "auto" or array-like of shape (n_classes,), default="auto"
        The labels from lowest to highest, as in
        :class:`OrdinalLogisticRegression`.
    n_jobs : int, default=None
        Number of jobs fitting the fold models and the final model in
        parallel (joblib).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, lowest first.
    estimator_ : estimator object
        The regressor refitted on all rows.
    cut_points_ : ndarray of shape (n_classes - 1,)
        The learned cut points on the regressor's scale, non-decreasing.
        Equal cut points mean a class that is never predicted (it did not
        lower the loss anywhere).
    oof_predictions_ : ndarray of shape (n_samples,)
        The out-of-fold regression predictions the cut points were learned
        on (NaN for rows in no test fold).
    oof_loss_ : float
        The loss at ``cut_points_`` on those predictions: the mean cost per
        unit sample weight for ``"mae"`` and a cost matrix, ``1 - QWK`` for
        ``"qwk"``.
    n_sweeps_ : int
        Coordinate-descent sweeps of the QWK search (0 for the other losses).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    OrdinalLogisticRegression : Cut points and slopes in one likelihood.
    ConditionalOrdinalClassifier : Any binary classifier, CORN-style.
    CumulativeBinaryClassifier : Any binary classifier, K-1 cumulative models.

    Notes
    -----
    This is a classifier (it returns labels, ``classes_`` and ``score`` is
    accuracy) built on a regressor. ``sample_weight`` given to :meth:`fit`
    weights the rows in the cut-point loss and is passed to every regressor
    fit; with metadata routing enabled it is routed to the regressor as it
    requests it, and other fit metadata go to the regressor and the
    splitter. Rows of zero weight play no part in the cut-point search.

    The cut points lie between consecutive distinct out-of-fold predictions
    (at the midpoint), half a class below the lowest prediction for a class
    predicted for none of them at the bottom, and half a class above the
    highest at the top.

    Examples
    --------
    >>> from sklearn.linear_model import Ridge
    >>> from mlfound.datasets import make_star_ratings
    >>> from mlfound.ordinal import OrdinalCutPointClassifier
    >>> data = make_star_ratings(1000, n_features=3, random_state=0)
    >>> model = OrdinalCutPointClassifier(Ridge(), loss="qwk").fit(data.X, data.y)
    >>> model.cut_points_.shape
    (4,)
    >>> bool((model.cut_points_[1:] >= model.cut_points_[:-1]).all())
    True
    >>> sorted(set(model.predict(data.X).tolist())) == model.classes_.tolist()
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "loss": [StrOptions({"mae", "qwk"}), "array-like"],
        "cv": ["cv_object"],
        "categories": [StrOptions({"auto"}), "array-like"],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self, estimator=None, *, loss="mae", cv=5, categories="auto", n_jobs=None
    ):
        self.estimator = estimator
        self.loss = loss
        self.cv = cv
        self.categories = categories
        self.n_jobs = n_jobs

    @_fit_context(
        # the inner estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the regressor on folds, learn the cut points, refit on all rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (any format the regressor accepts).
        y : array-like of shape (n_samples,)
            Ordered labels (see ``categories``).
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights of the cut-point loss, also passed to every
            regressor fit (routed when metadata routing is enabled).
        **fit_params : dict
            Other fit metadata for the regressor and the splitter (e.g.
            ``groups``). Only with metadata routing enabled.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        categories = ordinal_categories(y, self.categories)
        check_sparse_structure(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=True,
            dtype=None,
            ensure_all_finite=False,
        )
        self.classes_, codes = check_ordinal_target(y, categories)
        n_classes = check_n_classes(self.classes_)
        loss = self._check_loss(n_classes)
        n_samples = codes.shape[0]
        weights = check_sample_weight(sample_weight, X, dtype=np.float64)
        estimator = self._get_estimator()

        if _routing_enabled():
            if sample_weight is not None:
                fit_params["sample_weight"] = sample_weight
            routed = process_routing(self, "fit", **fit_params)
            inner_params = routed.estimator.fit
            split_params = routed.splitter.split
        else:
            _raise_for_params(fit_params, self, "fit")
            inner_params = _sample_weight_params(
                estimator, None if sample_weight is None else weights
            )
            split_params = {}

        X = _row_indexable(X)
        cv = check_cv(self.cv, y=codes, classifier=True)
        splits = _check_cv_splits(
            cv.split(X, codes, **split_params), n_samples, disjoint_test=True
        )
        target = codes.astype(np.float64)
        tasks = [(train, test) for train, test in splits]
        tasks.append((None, None))  # the final model, on all rows
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_and_predict)(estimator, X, target, inner_params, train, test)
            for train, test in tasks
        )
        self.estimator_ = results[-1][0]
        oof = np.full(n_samples, np.nan)
        for (_, test), (_, pred) in zip(splits, results[:-1], strict=True):
            oof[test] = _check_scores(pred, test.shape[0], "out-of-fold predictions")
        self.oof_predictions_ = oof
        covered = ~np.isnan(oof)
        self.cut_points_, self.oof_loss_, self.n_sweeps_ = _learn_cut_points(
            oof[covered], codes[covered], weights[covered], n_classes, loss
        )
        return self

    def latent_score(self, X):
        """The regressor's output, the score the cut points apply to.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        score : ndarray of shape (n_samples,)
            ``estimator_.predict(X)`` on the class-rank scale.
        """
        check_is_fitted(self)
        check_sparse_structure(X)
        X = validate_data(
            self,
            X,
            accept_sparse=True,
            dtype=None,
            ensure_all_finite=False,
            reset=False,
        )
        return _check_scores(self.estimator_.predict(X), X.shape[0], "predictions")

    def predict(self, X):
        """The class whose interval between cut points holds the score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        score = self.latent_score(X)
        return self.classes_[np.searchsorted(self.cut_points_, score, side="left")]

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            Routes ``fit`` metadata to the regressor's ``fit`` and the
            splitter's ``split``; ``sample_weight`` is also used by the
            cut-point search itself.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self._get_estimator(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
            .add(
                splitter=check_cv(self.cv, classifier=True),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # One regression score cannot separate scikit-learn's toy multiclass
        # blobs, whose classes are not ordered along one direction.
        tags.classifier_tags.poor_score = True
        try:
            inner = get_tags(self._get_estimator())
        except (AttributeError, TypeError):  # not a scikit-learn estimator
            return tags
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    def _get_estimator(self):
        return Ridge() if self.estimator is None else self.estimator

    def _check_loss(self, n_classes):
        """``"qwk"``, or the validated ``(K, K)`` cost matrix of the loss."""
        if isinstance(self.loss, str):
            return _absolute_cost(n_classes) if self.loss == "mae" else "qwk"
        return _check_cost_matrix(self.loss, n_classes, name="loss", classes_from="y")


def _fit_and_predict(estimator, X, target, fit_params, train, test):
    """Fit a clone on ``train`` (``None``: all rows), predict ``test``."""
    model = clone(estimator)
    if train is None:
        return model.fit(X, target, **fit_params), None
    params = _check_method_params(X, fit_params, indices=train)
    model.fit(_safe_indexing(X, train), target[train], **params)
    if test.shape[0] == 0:
        return model, np.empty(0)
    return model, model.predict(_safe_indexing(X, test))


def _check_scores(pred, n_rows, what):
    """The regressor's predictions as finite float64 of shape ``(n_rows,)``."""
    try:
        pred = np.asarray(pred, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"The regressor's {what} are not numeric: {exc}") from exc
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred[:, 0]
    if pred.shape != (n_rows,):
        raise ValueError(
            f"The regressor's {what} have shape {pred.shape}; one value per "
            f"row ({n_rows},) is needed. Use a single-output regressor."
        )
    if not np.all(np.isfinite(pred)):
        raise ValueError(
            f"The regressor's {what} contain NaN or infinity, which no cut "
            f"point can place. Check the regressor (e.g. its handling of "
            f"missing values) or scale the features."
        )
    return pred
