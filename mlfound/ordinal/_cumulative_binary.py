"""Ordinal classification from any binary classifier via K-1 cumulative problems."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound.utils._metaestimators import _sample_weight_params
from mlfound.utils._param_validation import HasMethods, StrOptions, _fit_context
from mlfound.utils.validation import (
    check_n_classes,
    check_ordinal_target,
    check_sample_weight,
    check_sparse_structure,
    ordinal_categories,
)


class _CumulativeOrdinalBase(ClassifierMixin, BaseEstimator):
    """Shared machinery of the ordinal classifiers built from K-1 binary models.

    Validation, label handling, ``sample_weight`` and metadata routing,
    parallel fitting and the conversion of exceedance probabilities into
    class probabilities live here. A subclass says which rows and targets
    each boundary model is fitted on (``_fit_boundaries``) and how the
    boundary models' outputs become exceedance probabilities
    ``P(y > classes_[k] | x)`` that do not increase in ``k``
    (``_exceedance_from_raw``).
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "categories": [StrOptions({"auto"}), "array-like"],
        "n_jobs": [None, Integral],
    }

    def __init__(self, estimator=None, *, categories="auto", n_jobs=None):
        self.estimator = estimator
        self.categories = categories
        self.n_jobs = n_jobs

    @_fit_context(
        # the inner estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit one binary model per class boundary.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (any format the inner estimator accepts).
        y : array-like of shape (n_samples,)
            Ordered labels (see ``categories``).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights passed to every inner fit (routed when metadata
            routing is enabled).
        **fit_params : dict
            Other fit metadata for the inner estimator. Only with metadata
            routing enabled.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        _raise_for_params(fit_params, self, "fit")
        categories = ordinal_categories(y, self.categories)
        # the inner estimators (and SciPy's own conversions) trust the index
        # arrays of a sparse X
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
        estimator = self._get_estimator()

        if _routing_enabled():
            if sample_weight is not None:
                fit_params["sample_weight"] = sample_weight
            routed = process_routing(self, "fit", **fit_params)
            inner_params = routed.estimator.fit
        else:
            if sample_weight is not None:
                sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
            inner_params = _sample_weight_params(estimator, sample_weight)

        self.estimators_ = self._fit_boundaries(
            estimator, X, codes, n_classes, inner_params
        )
        return self

    def predict_cumulative_proba(self, X):
        """Cumulative probabilities ``P(y <= k | x)`` for ``k < n_classes - 1``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        cum_proba : ndarray of shape (n_samples, n_classes - 1)
            Non-decreasing along each row.
        """
        return 1.0 - self._exceedance_proba(X)

    def predict_proba(self, X):
        """Class probabilities ``P(y = classes_[k] | x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Non-negative, each row sums to one.
        """
        q = self._exceedance_proba(X)
        n = q.shape[0]
        upper = np.hstack([np.ones((n, 1)), q])
        lower = np.hstack([q, np.zeros((n, 1))])
        return upper - lower

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_median(self, X):
        """Median class of the predicted distribution (minimum expected MAE).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        check_is_fitted(self)
        return self.classes_[np.sum(self._exceedance_proba(X) > 0.5, axis=1)]

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            Routes ``fit`` metadata to the inner estimator's ``fit``.
        """
        return MetadataRouter(owner=self).add(
            estimator=self._get_estimator(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            inner = get_tags(self._get_estimator())
        except (AttributeError, TypeError):  # not a scikit-learn estimator
            return tags
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _exceedance_proba(self, X):
        """``P(y > classes_[k] | x)``, non-increasing in ``k``."""
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
        raw = np.column_stack([_positive_proba(est, X) for est in self.estimators_])
        return self._exceedance_from_raw(np.clip(raw, 0.0, 1.0))


class CumulativeBinaryClassifier(_CumulativeOrdinalBase):
    """Ordinal classifier made of K-1 binary problems ``P(y > k)``.

    For ordered classes ``c_0 < ... < c_{K-1}``, one clone of ``estimator``
    is fitted per class boundary ``k = 0..K-2`` on the binary target
    ``y > c_k`` (a rating of 3 out of 1..5 is the row ``[1, 1, 0, 0]``, see
    :class:`CumulativeBinarizer`). Any binary classifier with
    ``predict_proba`` works -- trees, gradient boosting, focal-loss models --
    and so gains the ordinal structure of the target: errors between far-apart
    classes are learned as worse than errors between neighbours.

    The K-1 models are fitted independently, so nothing forces their
    exceedance probabilities ``q_k(x) = P(y > c_k | x)`` to decrease with
    ``k`` as they must; where they do not, ``q_{k-1} - q_k`` would be a
    negative class probability. The probabilities are therefore made
    monotone by **rearrangement** [1]_: each row ``(q_0, ..., q_{K-2})`` is
    sorted in decreasing order. Rearrangement leaves monotone rows unchanged
    and never moves the estimate further from a monotone truth (in any
    ``L^p`` norm). The class probabilities ``P(y = c_0) = 1 - q_0``,
    ``P(y = c_k) = q_{k-1} - q_k`` and ``P(y = c_{K-1}) = q_{K-2}`` are then
    non-negative and sum to one.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        A binary classifier with ``fit`` and ``predict_proba``, cloned for
        each boundary. ``None`` means ``LogisticRegression()``.
    categories : "auto" or array-like of shape (n_classes,), default="auto"
        The labels from lowest to highest, as in
        :class:`OrdinalLogisticRegression`.
    n_jobs : int, default=None
        Number of jobs fitting the K-1 models in parallel (joblib;
        ``None`` means 1 unless in a :obj:`joblib.parallel_backend` context).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, lowest first.
    estimators_ : list of estimators of length n_classes - 1
        ``estimators_[k]`` estimates ``P(y > classes_[k] | x)``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    OrdinalLogisticRegression : Cumulative link model (one linear score).
    CumulativeBinarizer : The cumulative encoding of the target.

    Notes
    -----
    ``sample_weight`` given to :meth:`fit` is passed to every inner fit. With
    metadata routing enabled (``sklearn.set_config(enable_metadata_routing=
    True)``), ``sample_weight`` and any other fit metadata are routed to the
    inner estimator as it requests them (``set_fit_request``).

    References
    ----------
    .. [1] V. Chernozhukov, I. Fernandez-Val and A. Galichon, "Quantile and
       probability curves without crossing", Econometrica, 78(3),
       1093-1125, 2010.
    .. [2] E. Frank and M. Hall, "A simple approach to ordinal
       classification", ECML 2001.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from mlfound.datasets import make_star_ratings
    >>> from mlfound.ordinal import CumulativeBinaryClassifier
    >>> data = make_star_ratings(1000, n_features=3, random_state=0)
    >>> model = CumulativeBinaryClassifier(
    ...     DecisionTreeClassifier(max_depth=3, random_state=0)
    ... ).fit(data.X, data.y)
    >>> len(model.estimators_)
    4
    >>> proba = model.predict_proba(data.X[:3])
    >>> bool((proba >= 0).all()), proba.sum(axis=1).round(6).tolist()
    (True, [1.0, 1.0, 1.0])
    """

    def _fit_boundaries(self, estimator, X, codes, n_classes, inner_params):
        """Model ``k`` is fitted on every row, with the target ``y > c_k``."""
        return Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_boundary)(
                estimator, X, (codes > k).astype(np.int64), inner_params
            )
            for k in range(n_classes - 1)
        )

    def _exceedance_from_raw(self, raw):
        """Rearrangement: each row sorted in decreasing order."""
        return -np.sort(-raw, axis=1)


def _fit_boundary(estimator, X, target, fit_params):
    """Fit a clone of ``estimator`` on one cumulative binary target."""
    return clone(estimator).fit(X, target, **fit_params)


def _positive_proba(estimator, X):
    """``P(target = 1)`` from a binary classifier fitted on 0/1 targets."""
    proba = estimator.predict_proba(X)
    classes = list(estimator.classes_)
    return proba[:, classes.index(1)]
