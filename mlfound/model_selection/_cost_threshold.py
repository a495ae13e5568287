"""Binary classifier whose decision threshold minimizes expected cost."""

import numbers
import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
)
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _num_samples,
    check_is_fitted,
    has_fit_parameter,
    indexable,
)

from mlfound.metrics._cost_checks import _check_cost_matrix, _check_sample_cost
from mlfound.model_selection._cost_threshold_dask import (  # fits on dask arrays
    fit_cost_threshold_dask,
)
from mlfound.model_selection._cost_threshold_predict import _ThresholdPredictionMixin
from mlfound.model_selection._held_out_scores import _held_out_scores
from mlfound.model_selection._threshold_search import (
    _cheapest_threshold,
    _check_constraint,
)
from mlfound.utils._dask import any_dask
from mlfound.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
)
from mlfound.utils.validation import (
    check_finite_target,
    check_n_classes,
    check_pos_label,
    check_sample_weight,
    check_sparse_structure,
)

__all__ = ["CostSensitiveThresholdClassifier"]


class CostSensitiveThresholdClassifier(
    _ThresholdPredictionMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Binary classifier whose decision threshold minimizes expected cost.

    The inner estimator is fitted on cross-validation folds; its out-of-fold
    scores for the positive class are sorted once and a single pass computes
    the exact cost of every possible threshold (one per distinct score, no
    grid). The cheapest threshold, optionally under a recall, precision or
    false-positive-rate constraint, becomes ``best_threshold_``, and the inner
    estimator is refitted on all the data. ``predict`` returns the positive
    class ``pos_label_`` when its score is ``>= best_threshold_``.

    Which class is positive matters as soon as the costs or the constraint
    are asymmetric: with labels other than ``{0, 1}`` or ``{-1, 1}`` (e.g.
    ``"fraud"``/``"legit"``), pass ``pos_label``, as for scikit-learn's
    threshold tuners; ``fit`` raises a ``ValueError`` naming the labels
    otherwise, rather than guessing from the sort order.

    Costs can be one matrix for all samples or one per sample (e.g. the
    transaction amount lost on a missed fraud), passed to ``fit`` as
    ``sample_cost``. When costs change, :meth:`set_costs` moves the operating
    point on the stored out-of-fold scores without retraining.

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    estimator : estimator instance, default=None
        Binary classifier with ``predict_proba`` or ``decision_function``.
        ``None`` means :class:`~sklearn.linear_model.LogisticRegression`.

    cost_matrix : array-like of shape (2, 2) or dict, default=None
        ``cost_matrix[i][j]`` is the cost of predicting ``j`` when the truth is
        ``i``; index 0 is the negative class, 1 the positive class
        ``pos_label_``. A dict such as ``{"fp": 1, "fn": 50}`` sets the
        named entries (keys ``"tn"``, ``"fp"``, ``"fn"``, ``"tp"``; missing
        ones cost 0). ``None`` is the 0/1 matrix ``[[0, 1], [1, 0]]``: every
        error costs 1 and the threshold minimizes the error rate. Costs must
        be finite, non-negative and not all zero.

    constraint : tuple (str, float) or None, default=None
        Minimize cost only among thresholds where ``("recall", r)``: recall
        >= r; ``("precision", p)``: precision >= p (a threshold that flags
        nothing has no precision and never qualifies); ``("fpr", f)``:
        false-positive rate <= f. If no threshold qualifies, ``fit`` raises a
        ``ValueError``; it never falls back to a default threshold.

    cv : int, cross-validation generator, iterable or "prefit", default=5
        How out-of-fold scores are obtained: an int is the number of folds of
        a :class:`~sklearn.model_selection.StratifiedKFold`; a splitter or an
        iterable of ``(train, test)`` index pairs is used as is (the scores of
        every test fold are pooled); ``"prefit"`` takes an already fitted
        ``estimator`` and tunes on the data passed to ``fit`` (use data the
        estimator was not trained on).

    refit : bool, default=True
        Refit the estimator on the whole training set after the search.
        ``refit=False`` is allowed with a single split and then keeps the
        model fitted on its training part. Ignored when ``cv="prefit"``.

    response_method : {"auto", "predict_proba", "decision_function"}, \
            default="auto"
        Which scores to threshold; ``"auto"`` tries ``predict_proba`` then
        ``decision_function``.

    n_jobs : int, default=None
        Number of jobs fitting the folds (and the refit) in parallel with
        joblib. ``None`` means 1 unless in a ``joblib.parallel_config``
        context; ``-1`` means all processors.

    random_state : int, RandomState instance or None, default=None
        Shuffles the stratified folds when ``cv`` is an int; ``None`` keeps
        the data order (no shuffling).

    pos_label : int, float, bool or str, default=None
        The positive class: the class whose scores are thresholded, that
        ``"fn"``/``"tp"`` costs, row/column 1 of ``cost_matrix`` and
        ``sample_cost``, and the recall/precision/FPR constraints refer to.
        ``None`` infers it only for numeric labels in ``{0, 1}`` or
        ``{-1, 1}`` (it is then 1); for any other labels ``fit`` raises a
        ``ValueError`` when ``cost_matrix``, ``sample_cost`` or
        ``constraint`` is given. With the default symmetric 0/1 costs and no
        constraint the decisions are the same whichever class is positive,
        and ``classes_[1]`` is used.

    thresholds : "exact" or int, default="exact"
        The candidate thresholds. ``"exact"`` evaluates every distinct
        out-of-fold score, so the optimum is exact. An int ``q >= 2`` keeps
        only the scores at ``q`` evenly spaced ranks (approximate quantiles
        on a dask collection) and "flag nothing": the cost at each candidate
        is still exact, but the chosen one may miss the optimum by up to the
        cost of about ``n / q`` rows (see the :ref:`User Guide
        <scaling_out>`). It saves the shuffle of a distributed sweep.

    Attributes
    ----------
    estimator_ : estimator instance
        The fitted classifier used by ``predict``.

    classes_ : ndarray of shape (2,)
        The class labels, sorted.

    pos_label_ : int, float, bool or str
        The positive class, one of ``classes_``.

    best_threshold_ : float
        The decision threshold on the scores of ``pos_label_`` (its
        ``predict_proba`` column, or ``decision_function`` negated when it is
        ``classes_[0]``): samples with a score ``>=`` it are predicted
        ``pos_label_``. ``inf`` when flagging nothing is cheapest.

    best_cost_ : float
        Expected cost per sample of ``best_threshold_`` on the out-of-fold
        scores (weighted by ``sample_weight``).

    cost_curve_ : dict
        The exact curve over every distinct out-of-fold score, with keys
        ``"thresholds"`` (``inf`` first, then decreasing), ``"costs"``
        (expected cost per sample), ``"recall"``, ``"precision"`` and
        ``"fpr"``. With ``thresholds`` an int it holds the candidates only;
        after a fit on a dask collection, the exact values at up to about
        2,000 cuts (the chosen one included).

    cost_matrix_ : ndarray of shape (2, 2)
        The validated cost matrix used (per-sample costs, when given at fit,
        replace it in the search).

    response_method_ : str
        The estimator method that produced the scores.

    n_features_in_ : int
        Number of features seen during ``fit``. Only defined if the
        underlying estimator exposes such an attribute when fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Only defined if the
        underlying estimator exposes such an attribute when fit.

    See Also
    --------
    sklearn.model_selection.TunedThresholdClassifierCV : Threshold tuning on
        a grid of thresholds for any scorer.
    BayesMinimumRiskClassifier : Bayes decisions from (calibrated)
        probabilities, for any number of classes.
    mlfound.metrics.CostCurveDisplay : Plot of the cost curve.

    Notes
    -----
    Out-of-fold scores of all folds are pooled into one curve, which assumes
    the fold models score on a common scale (true for probabilities of the
    same model family). Among thresholds of equal minimal cost, the one
    closest to the default (0.5 for probabilities, 0 for decision
    functions) is chosen.

    ``fit`` accepts dask arrays (``X``, ``y``, ``sample_weight``,
    ``sample_cost``): the folds are drawn per row on the workers (``cv`` an
    int), the inner estimator must fit dask arrays itself (e.g.
    :class:`~mlfound.linear_model.FocalLossClassifier`), and the sweep over
    the out-of-fold scores runs on the cluster, exactly; with ``cv="prefit"``
    any fitted estimator scores the partitions. ``cost_curve_`` then holds
    the exact values at up to about 2,000 of the cuts, and ``set_costs``
    needs a new fit. ``predict`` and the other methods on a dask array
    return a dask array. See the :ref:`User Guide <scaling_out>`.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from mlfound.model_selection import CostSensitiveThresholdClassifier
    >>> X, y = make_classification(
    ...     n_samples=2000, weights=[0.95], class_sep=0.8, random_state=0
    ... )
    >>> clf = CostSensitiveThresholdClassifier(cost_matrix={"fp": 1, "fn": 20})
    >>> clf.fit(X, y).best_threshold_ < 0.5
    True
    >>> clf.predict(X[:5]).shape
    (5,)

    With named classes, say which one is positive (the FN cost is the cost
    of missing it):

    >>> import numpy as np
    >>> named = np.array(["legit", "fraud"])[y]
    >>> clf = CostSensitiveThresholdClassifier(
    ...     cost_matrix={"fp": 1, "fn": 20}, pos_label="fraud"
    ... ).fit(X, named)
    >>> str(clf.pos_label_), clf.best_threshold_ < 0.5
    ('fraud', True)
    """

    _parameter_constraints: dict = {
        "estimator": [
            HasMethods(["fit", "predict_proba"]),
            HasMethods(["fit", "decision_function"]),
            None,
        ],
        "cost_matrix": ["array-like", dict, None],
        "constraint": [tuple, None],
        "cv": ["cv_object", StrOptions({"prefit"})],
        "refit": ["boolean"],
        "response_method": [StrOptions({"auto", "predict_proba", "decision_function"})],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "pos_label": [numbers.Real, str, "boolean", None],
        "thresholds": [
            StrOptions({"exact"}),
            Interval(numbers.Integral, 2, None, closed="left"),
        ],
    }

    # fit accepts dask arrays; see _cost_threshold_dask
    _dask_methods = ("fit",)

    def __init__(
        self,
        estimator=None,
        *,
        cost_matrix=None,
        constraint=None,
        cv=5,
        refit=True,
        response_method="auto",
        n_jobs=None,
        random_state=None,
        pos_label=None,
        thresholds="exact",
    ):
        self.estimator = estimator
        self.cost_matrix = cost_matrix
        self.constraint = constraint
        self.cv = cv
        self.refit = refit
        self.response_method = response_method
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.pos_label = pos_label
        self.thresholds = thresholds

    @_fit_context(
        # the inner estimator is validated by its own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, sample_weight=None, sample_cost=None, **params):
        """Fit the estimator on folds, find the cheapest threshold, refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Binary target.

        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the cost. They are also passed to the
            inner estimator's ``fit`` when it accepts them (with metadata
            routing enabled: when it requests them).

        sample_cost : array-like of shape (n_samples, 2, 2), default=None
            One ``[true][pred]`` cost matrix per sample (e.g.
            ``sample_cost[:, 1, 0] = amount``); replaces ``cost_matrix`` in
            the threshold search.

        **params : dict
            With metadata routing enabled, metadata routed to the inner
            estimator's ``fit`` and the splitter's ``split`` (e.g. ``groups``).

        Returns
        -------
        self : object
            Fitted classifier.
        """
        if any_dask(X, y, sample_weight, sample_cost):  # folds and sweep on a cluster
            return fit_cost_threshold_dask(
                self, X, y, sample_weight, sample_cost, params
            )
        # the inner estimator (and SciPy's conversions) trust sparse indices
        check_sparse_structure(X)
        X, y = indexable(X, y)
        check_finite_target(np.asarray(y))
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise ValueError(
                f"Only binary classification is supported. The type of the target "
                f"y is {y_type!r}; use BayesMinimumRiskClassifier for more than "
                f"two classes."
            )
        self.cost_matrix_ = _check_cost_matrix(self.cost_matrix, 2)
        constraint = _check_constraint(self.constraint)
        n_samples = _num_samples(X)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, np.empty((n_samples, 0)))
        if sample_cost is not None:
            sample_cost = _check_sample_cost(sample_cost, n_samples)

        estimator = self._get_estimator()
        routed_params = self._route_params(estimator, sample_weight, params)
        classes = np.unique(y)
        check_n_classes(classes)
        pos = self._check_pos_label(classes, sample_cost)

        scores, method, val_index = _held_out_scores(
            self, estimator, X, y, routed_params, classes, pos, n_samples
        )

        if not np.all(np.isfinite(scores)):
            raise ValueError(
                f"The estimator's {method} returned NaN or infinite scores; "
                f"they cannot be thresholded."
            )
        if scores.size and scores.min() == scores.max():
            raise ValueError(
                "The estimator makes constant predictions on the tuning data, "
                "so no threshold can be optimized."
            )
        self.response_method_ = method
        y_pos = (np.asarray(y)[val_index] == pos).astype(np.int8)
        weights = (
            np.ones(val_index.shape[0])
            if sample_weight is None
            else sample_weight[val_index]
        )
        # Kept for set_costs: the out-of-fold scores and what they were
        # computed on, in ascending order of score.
        order = np.argsort(scores)
        self._oof = {
            "scores": scores,
            "order": order,
            "y": y_pos,
            "weights": np.ascontiguousarray(weights, dtype=np.float64),
            "index": val_index,
            "n_samples": n_samples,
        }
        self._tune(sample_cost, constraint)

        if hasattr(self.estimator_, "n_features_in_"):
            self.n_features_in_ = self.estimator_.n_features_in_
        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        return self

    def set_costs(self, cost_matrix=None, *, constraint="keep", sample_cost=None):
        """Move the operating point to new costs without retraining.

        The threshold search is redone on the out-of-fold scores stored at
        ``fit``; the inner estimator is untouched. ``cost_matrix`` (and
        ``constraint`` unless ``"keep"``) are also set as parameters, so
        ``get_params`` describes the fitted state.

        Parameters
        ----------
        cost_matrix : array-like of shape (2, 2) or dict, default=None
            The new ``[true][pred]`` cost matrix (see the class docstring);
            ``None`` is the 0/1 matrix.
        constraint : tuple (str, float), None or "keep", default="keep"
            The new constraint; ``"keep"`` keeps the current one.
        sample_cost : array-like of shape (n_samples, 2, 2), default=None
            New per-sample costs for the rows passed to ``fit``.

        Returns
        -------
        self : object
            The classifier with updated ``best_threshold_``, ``best_cost_``
            and ``cost_curve_``.

        Examples
        --------
        >>> from sklearn.datasets import make_classification
        >>> from mlfound.model_selection import CostSensitiveThresholdClassifier
        >>> X, y = make_classification(n_samples=1000, random_state=0)
        >>> clf = CostSensitiveThresholdClassifier(cost_matrix={"fp": 1, "fn": 1})
        >>> clf = clf.fit(X, y)
        >>> low = clf.set_costs({"fp": 1, "fn": 10}).best_threshold_
        >>> high = clf.set_costs({"fp": 10, "fn": 1}).best_threshold_
        >>> bool(low < high)
        True
        """
        check_is_fitted(self, "best_threshold_")
        if not hasattr(self, "_oof"):
            raise ValueError(
                "set_costs needs the out-of-fold scores, which a fit on a dask "
                "collection leaves on the cluster: set the new costs as "
                "parameters (set_params) and fit again on the collection."
            )
        if self._pos_label_implicit and not (
            cost_matrix is None
            and sample_cost is None
            and (
                self.constraint is None if constraint == "keep" else constraint is None
            )
        ):
            raise ValueError(
                f"The model was fitted on the labels {self.classes_.tolist()!r} "
                f"with symmetric costs and no pos_label, so no class is the "
                f"positive one that these costs or this constraint refer to. "
                f"Refit with pos_label set to the positive class."
            )
        self.cost_matrix_ = _check_cost_matrix(cost_matrix, 2)
        self.cost_matrix = cost_matrix
        if not (isinstance(constraint, str) and constraint == "keep"):
            self.constraint = constraint
        constraint = _check_constraint(self.constraint)
        if sample_cost is not None:
            sample_cost = _check_sample_cost(sample_cost, self._oof["n_samples"])
        self._tune(sample_cost, constraint)
        return self

    def _tune(self, sample_cost, constraint):
        self.best_threshold_, self.best_cost_, self.cost_curve_ = _cheapest_threshold(
            self._oof,
            self.cost_matrix_,
            sample_cost,
            constraint,
            self.response_method_,
            None if isinstance(self.thresholds, str) else self.thresholds,
        )

    def _check_pos_label(self, classes, sample_cost):
        """The positive class; sets ``pos_label_`` and ``_pos_label_implicit``.

        Asymmetric costs, per-sample costs and constraints single out a
        positive class, so labels other than {0, 1} / {-1, 1} then need
        ``pos_label``. With the default symmetric costs and no constraint the
        decisions do not depend on which class is positive: ``classes_[1]``
        serves.
        """
        singles_out = (
            self.cost_matrix is not None
            or sample_cost is not None
            or self.constraint is not None
        )
        self._pos_label_implicit = False
        if self.pos_label is None and not singles_out:
            try:
                pos = check_pos_label(None, classes)
            except ValueError:
                pos = classes[1]
                self._pos_label_implicit = True
        else:
            pos = check_pos_label(self.pos_label, classes)
        self.pos_label_ = classes[np.flatnonzero(classes == pos)[0]]
        return self.pos_label_

    def _get_cv(self, y=None):
        if isinstance(self.cv, numbers.Integral) and not isinstance(self.cv, bool):
            shuffle = self.random_state is not None
            return StratifiedKFold(
                n_splits=self.cv,
                shuffle=shuffle,
                random_state=self.random_state if shuffle else None,
            )
        return check_cv(self.cv, y=y, classifier=True)

    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _route_params(self, estimator, sample_weight, params):
        if _routing_enabled():
            return process_routing(self, "fit", sample_weight=sample_weight, **params)
        _raise_for_params(params, self, "fit")
        fit_params = {}
        if sample_weight is not None:
            if has_fit_parameter(estimator, "sample_weight"):
                fit_params["sample_weight"] = sample_weight
            else:
                warnings.warn(
                    f"{type(estimator).__name__}.fit does not accept "
                    f"sample_weight: the weights are used in the threshold "
                    f"search only. Enable metadata routing to route them "
                    f"explicitly (e.g. to a Pipeline step).",
                    UserWarning,
                )
        return Bunch(estimator=Bunch(fit=fit_params), splitter=Bunch(split={}))

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        ``sample_weight`` and ``sample_cost`` are consumed by the threshold
        search itself; ``fit`` metadata is routed to the inner estimator's
        ``fit`` and the splitter's ``split``.

        Returns
        -------
        routing : MetadataRouter
            A :class:`~sklearn.utils.metadata_routing.MetadataRouter`
            encapsulating routing information.
        """
        router = (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self._get_estimator(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )
        if not (isinstance(self.cv, str) and self.cv == "prefit"):
            router.add(
                splitter=self._get_cv(),
                method_mapping=MethodMapping().add(caller="fit", callee="split"),
            )
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = get_tags(self._get_estimator()).input_tags.sparse
        return tags
