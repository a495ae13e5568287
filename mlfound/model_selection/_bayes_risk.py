"""Bayes minimum-risk decisions from (calibrated) class probabilities."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, indexable

from mlfound.metrics._cost_checks import _check_cost_matrix, _check_sample_cost
from mlfound.utils._metaestimators import _estimator_has, _sample_weight_params
from mlfound.utils._param_validation import HasMethods, StrOptions, _fit_context
from mlfound.utils.validation import (
    check_finite_target,
    check_n_classes,
    check_pos_label,
    check_sample_weight,
    check_sparse_structure,
)

__all__ = ["BayesMinimumRiskClassifier"]


class BayesMinimumRiskClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Predict the class of minimum expected cost from class probabilities.

    For a cost matrix ``C[true][pred]`` and probabilities ``P(i | x)`` the
    Bayes decision is ``argmin_j sum_i P(i | x) C[i][j]``. It is optimal when
    the probabilities are calibrated, so the inner estimator can be wrapped
    in :class:`~sklearn.calibration.CalibratedClassifierCV` with
    ``calibration="sigmoid"`` or ``"isotonic"``. For two classes it is the
    threshold rule ``P(1 | x) > (C_fp - C_tn) / (C_fp - C_tn + C_fn - C_tp)``
    (e.g. 1/51 for FP = 1, FN = 50). No threshold is tuned on data: compare
    with :class:`CostSensitiveThresholdClassifier`, which tunes one.

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    estimator : estimator instance, default=None
        Classifier with ``predict_proba``. ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`.

    cost_matrix : array-like of shape (n_classes, n_classes) or dict, \
            default=None
        ``cost_matrix[i][j]`` is the cost of predicting ``classes_[j]`` when
        the truth is ``classes_[i]`` (sorted labels). For two classes the
        order is [negative, positive] instead, with the positive class given
        by ``pos_label``; a dict such as ``{"fp": 1, "fn": 50}`` describes a
        binary problem the same way. ``None`` is the 0/1 matrix (every error
        costs 1: predict the most probable class). Costs must be finite,
        non-negative and not all zero.

    calibration : {"sigmoid", "isotonic"} or None, default=None
        Calibrate the probabilities with 5-fold
        :class:`~sklearn.calibration.CalibratedClassifierCV` before deciding
        (isotonic needs about 1000 samples or more; sigmoid suits small data).
        ``None`` uses the estimator's probabilities as they are.

    pos_label : int, float, bool or str, default=None
        For two classes, the positive class: row/column 1 of ``cost_matrix``
        and of per-sample costs, the class a dict's ``"fn"`` and ``"tp"``
        refer to. ``None`` infers it only for numeric labels in ``{0, 1}`` or
        ``{-1, 1}`` (it is then 1); for other labels binary costs raise a
        ``ValueError`` asking for it. Not used for more than two classes,
        whose cost matrix follows the sorted ``classes_``.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted (possibly calibrated) classifier.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    cost_matrix_ : ndarray of shape (n_classes, n_classes)
        The validated cost matrix, indexed in the order of ``classes_``.

    n_features_in_ : int
        Number of features seen during ``fit``. Only defined if the
        underlying estimator exposes such an attribute when fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Only defined if the
        underlying estimator exposes such an attribute when fit.

    See Also
    --------
    CostSensitiveThresholdClassifier : Tunes a binary threshold on
        out-of-fold scores instead of trusting the probabilities.
    sklearn.calibration.CalibratedClassifierCV : Probability calibration.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from mlfound.model_selection import BayesMinimumRiskClassifier
    >>> X, y = make_classification(
    ...     n_samples=600, n_classes=3, n_informative=4, random_state=0
    ... )
    >>> cost = [[0, 1, 4], [1, 0, 1], [8, 1, 0]]
    >>> clf = BayesMinimumRiskClassifier(cost_matrix=cost).fit(X, y)
    >>> clf.predict_risk(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "cost_matrix": ["array-like", dict, None],
        "calibration": [StrOptions({"sigmoid", "isotonic"}), None],
        "pos_label": [numbers.Real, str, "boolean", None],
    }

    def __init__(
        self, estimator=None, *, cost_matrix=None, calibration=None, pos_label=None
    ):
        self.estimator = estimator
        self.cost_matrix = cost_matrix
        self.calibration = calibration
        self.pos_label = pos_label

    @_fit_context(
        # the inner estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the (calibrated) inner estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Target classes.

        sample_weight : array-like of shape (n_samples,), default=None
            Passed to the inner estimator's ``fit`` when it accepts it (with
            metadata routing enabled: when it requests it).

        **params : dict
            With metadata routing enabled, metadata routed to the inner
            estimator's ``fit``.

        Returns
        -------
        self : object
            Fitted classifier.
        """
        # the inner estimator (and SciPy's conversions) trust sparse indices
        check_sparse_structure(X)
        X, y = indexable(X, y)
        check_finite_target(np.asarray(y))
        check_classification_targets(y)
        classes = np.unique(y)
        check_n_classes(classes)
        self.cost_matrix_ = _check_cost_matrix(
            self.cost_matrix, classes.shape[0], classes_from="y"
        )
        self._reverse = None  # binary [neg, pos] order differs from classes_?
        if classes.shape[0] == 2:
            if self.cost_matrix is not None or self.pos_label is not None:
                self._reverse = self._pos_is_first(classes)
                if self._reverse:
                    self.cost_matrix_ = self.cost_matrix_[::-1, ::-1].copy()
        elif self.pos_label is not None:
            raise ValueError(
                f"pos_label only applies to two classes, but y has "
                f"{classes.shape[0]}; the cost matrix follows the sorted "
                f"classes {classes.tolist()!r}."
            )
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        estimator = self._get_estimator()
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            fit_params = routed.estimator.fit
        else:
            _raise_for_params(params, self, "fit")
            fit_params = _sample_weight_params(estimator, sample_weight)
        self.estimator_ = clone(estimator).fit(X, y, **fit_params)
        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    @property
    def classes_(self):
        """Class labels (in the order of the cost matrix rows and columns)."""
        return self.estimator_.classes_

    def predict_risk(self, X, sample_cost=None):
        """Expected cost of each possible decision for each sample.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        sample_cost : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Per-sample ``[true][pred]`` cost matrices known at prediction
            time (e.g. the transaction amount); replace ``cost_matrix``. For
            two classes they are in [negative, positive] order (see
            ``pos_label``).

        Returns
        -------
        risk : ndarray of shape (n_samples, n_classes)
            ``risk[n, j] = sum_i P(i | x_n) C[i][j]``.
        """
        check_is_fitted(self, "estimator_")
        proba = self.predict_proba(X)
        if sample_cost is None:
            return proba @ self.cost_matrix_
        costs = _check_sample_cost(sample_cost, proba.shape[0], proba.shape[1])
        if proba.shape[1] == 2:
            reverse = self._reverse
            if reverse is None:
                reverse = self._pos_is_first(self.classes_)
            if reverse:
                costs = costs[:, ::-1, ::-1]
        return np.einsum("ni,nij->nj", proba, costs)

    def _pos_is_first(self, classes):
        """Whether the positive class of a binary problem is ``classes[0]``."""
        pos_label = check_pos_label(self.pos_label, classes)
        return bool(classes[0] == pos_label)

    def predict(self, X, sample_cost=None):
        """Predict the class of minimum expected cost.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        sample_cost : array-like of shape (n_samples, n_classes, n_classes), \
                default=None
            Per-sample cost matrices known at prediction time; replace
            ``cost_matrix``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``classes_[argmin_j risk[:, j]]`` (the first class on ties).
        """
        check_is_fitted(self, "estimator_")
        risk = self.predict_risk(X, sample_cost)
        return self.classes_[np.argmin(risk, axis=1)]

    def predict_proba(self, X):
        """Class probabilities of the (calibrated) inner estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probabilities used for the decisions.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(check_sparse_structure(X))

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the (calibrated) inner estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The log-probabilities.
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_log_proba(check_sparse_structure(X))

    def _get_estimator(self):
        estimator = LogisticRegression() if self.estimator is None else self.estimator
        if self.calibration is None:
            return estimator
        return CalibratedClassifierCV(estimator, method=self.calibration, cv=5)

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self._get_estimator(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = get_tags(self._get_estimator()).input_tags.sparse
        return tags
