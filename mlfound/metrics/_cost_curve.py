"""Cost curve display: expected cost as a function of the decision threshold."""

import numpy as np

from mlfound._kernels.sweep import select_threshold, threshold_sweep
from mlfound.metrics._cost import _positive_scores
from mlfound.metrics._cost_checks import (
    _check_cost_matrix,
    _check_sample_cost,
    _check_y_pair,
)
from mlfound.metrics._cost_counting import _unique_labels
from mlfound.utils.validation import check_pos_label

__all__ = ["CostCurveDisplay"]


class CostCurveDisplay:
    """Expected cost of a binary classifier at every decision threshold.

    The curve is exact: the cost is evaluated at every distinct score (a
    sample is flagged positive when its score is ``>=`` the threshold). The
    chosen threshold and the default 0.5 (0 for decision functions) are marked.
    Create it with :meth:`from_estimator` or :meth:`from_predictions`.

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    thresholds : ndarray of shape (n_thresholds,)
        Decision thresholds (finite ones only, decreasing).
    costs : ndarray of shape (n_thresholds,)
        Expected cost per sample at each threshold.
    chosen_threshold : float or None, default=None
        The threshold to mark (e.g. a fitted ``best_threshold_``).
    default_threshold : float or None, default=0.5
        The default threshold to mark for comparison.
    estimator_name : str or None, default=None
        Name used in the legend.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The cost curve.
    chosen_line_ : matplotlib Line2D or None
        The vertical line at the chosen threshold.
    default_line_ : matplotlib Line2D or None
        The vertical line at the default threshold.
    ax_ : matplotlib Axes
        Axes with the curve.
    figure_ : matplotlib Figure
        Figure containing the curve.

    See Also
    --------
    mlfound.model_selection.CostSensitiveThresholdClassifier : Finds the
        threshold of minimum expected cost.

    Examples
    --------
    >>> import matplotlib.pyplot as plt  # doctest: +SKIP
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlfound.metrics import CostCurveDisplay
    >>> X, y = make_classification(weights=[0.9], random_state=0)
    >>> clf = LogisticRegression().fit(X, y)
    >>> display = CostCurveDisplay.from_estimator(
    ...     clf, X, y, cost_matrix={"fp": 1, "fn": 10}
    ... )  # doctest: +SKIP
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        thresholds,
        costs,
        chosen_threshold=None,
        default_threshold=0.5,
        estimator_name=None,
    ):
        self.thresholds = thresholds
        self.costs = costs
        self.chosen_threshold = chosen_threshold
        self.default_threshold = default_threshold
        self.estimator_name = estimator_name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Plot the cost curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created when ``None``.
        name : str, default=None
            Name for the legend; defaults to ``estimator_name``.
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.pyplot.plot``.

        Returns
        -------
        display : CostCurveDisplay
            Object that stores the computed values.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        name = self.estimator_name if name is None else name
        line_kwargs = {"label": name or "expected cost", "drawstyle": "steps-post"}
        line_kwargs.update(kwargs)
        (self.line_,) = ax.plot(self.thresholds, self.costs, **line_kwargs)
        self.chosen_line_ = self.default_line_ = None
        costs_at = self._cost_at
        if self.chosen_threshold is not None and np.isfinite(self.chosen_threshold):
            self.chosen_line_ = ax.axvline(
                self.chosen_threshold,
                color="tab:red",
                linestyle="--",
                label=(
                    f"chosen threshold {self.chosen_threshold:.3g} "
                    f"(cost {costs_at(self.chosen_threshold):.4g})"
                ),
            )
        if self.default_threshold is not None:
            self.default_line_ = ax.axvline(
                self.default_threshold,
                color="tab:gray",
                linestyle=":",
                label=(
                    f"default threshold {self.default_threshold:g} "
                    f"(cost {costs_at(self.default_threshold):.4g})"
                ),
            )
        ax.set_xlabel("decision threshold (flag when score >= threshold)")
        ax.set_ylabel("expected cost per sample")
        ax.legend(loc="best")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _cost_at(self, threshold):
        """Cost of the cut at ``threshold`` (the largest stored threshold <= it)."""
        thresholds = np.asarray(self.thresholds)
        below = np.flatnonzero(thresholds <= threshold)
        if below.size == 0:
            return np.nan
        return float(np.asarray(self.costs)[below[0]])

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        cost_matrix=None,
        sample_cost=None,
        sample_weight=None,
        pos_label=None,
        response_method="auto",
        chosen_threshold="auto",
        name=None,
        ax=None,
        **kwargs,
    ):
        """Plot the cost curve of a fitted binary classifier on ``(X, y)``.

        Parameters
        ----------
        estimator : estimator instance
            Fitted binary classifier. A fitted
            :class:`~mlfound.model_selection.CostSensitiveThresholdClassifier`
            supplies its cost matrix and ``best_threshold_``.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input values.
        y : array-like of shape (n_samples,)
            Target values.
        cost_matrix : array-like of shape (2, 2) or dict, default=None
            ``[true][pred]`` costs; ``None`` takes the estimator's
            ``cost_matrix`` if it has one, else the 0/1 matrix.
        sample_cost : array-like of shape (n_samples, 2, 2), default=None
            Per-sample costs; they replace ``cost_matrix``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        pos_label : int, float, bool or str, default=None
            The positive class, one of ``estimator.classes_``. ``None`` takes
            the estimator's ``pos_label_`` if it has one (a fitted
            :class:`~mlfound.model_selection.CostSensitiveThresholdClassifier`),
            else infers it only for classes in ``{0, 1}`` or ``{-1, 1}`` (as
            1) and raises a ``ValueError`` for any other classes.
        response_method : {"auto", "predict_proba", "decision_function"}, \
                default="auto"
            Which scores to threshold; ``"auto"`` tries ``predict_proba`` first.
        chosen_threshold : float, "auto" or None, default="auto"
            Threshold to mark: ``"auto"`` uses the estimator's
            ``best_threshold_`` if it has one, else the minimum of this curve.
        name : str, default=None
            Legend name; defaults to the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Passed to ``matplotlib.pyplot.plot``.

        Returns
        -------
        display : CostCurveDisplay
        """
        if cost_matrix is None and sample_cost is None:
            cost_matrix = getattr(estimator, "cost_matrix", None)
        classes = getattr(estimator, "classes_", None)
        if classes is None:
            raise TypeError(
                f"estimator must be a fitted classifier with classes_; got "
                f"{type(estimator).__name__}. Fit it first."
            )
        if len(classes) != 2:
            raise ValueError(
                f"CostCurveDisplay is for binary classifiers; the estimator has "
                f"{len(classes)} classes."
            )
        if pos_label is None:
            pos_label = getattr(estimator, "pos_label_", None)
        pos_label = check_pos_label(
            pos_label, classes, name=f"{type(estimator).__name__}.classes_"
        )
        scores, method = _positive_scores(estimator, X, response_method, pos_label)
        if chosen_threshold == "auto" and hasattr(estimator, "best_threshold_"):
            chosen_threshold = estimator.best_threshold_
        return cls.from_predictions(
            y,
            scores,
            cost_matrix=cost_matrix,
            sample_cost=sample_cost,
            sample_weight=sample_weight,
            pos_label=pos_label,
            chosen_threshold=chosen_threshold,
            default_threshold=0.5 if method == "predict_proba" else 0.0,
            name=name if name is not None else type(estimator).__name__,
            ax=ax,
            **kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_score,
        *,
        cost_matrix=None,
        sample_cost=None,
        sample_weight=None,
        pos_label=None,
        chosen_threshold="auto",
        default_threshold=0.5,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Plot the cost curve from true labels and scores.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True binary labels.
        y_score : array-like of shape (n_samples,)
            Scores of the positive class (probabilities or decision values).
        cost_matrix : array-like of shape (2, 2) or dict, default=None
            ``[true][pred]`` costs; ``None`` is the 0/1 matrix.
        sample_cost : array-like of shape (n_samples, 2, 2), default=None
            Per-sample costs; they replace ``cost_matrix``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        pos_label : int, float, bool or str, default=None
            The positive class, whose scores ``y_score`` are. ``None`` infers
            it only for labels in ``{0, 1}`` or ``{-1, 1}`` (as 1); any other
            labels (e.g. ``"fraud"``/``"legit"``) raise a ``ValueError``
            asking for it.
        chosen_threshold : float, "auto" or None, default="auto"
            Threshold to mark; ``"auto"`` marks the minimum of this curve.
        default_threshold : float or None, default=0.5
            Default threshold to mark for comparison.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Axes to plot on.
        **kwargs : dict
            Passed to ``matplotlib.pyplot.plot``.

        Returns
        -------
        display : CostCurveDisplay
        """
        y_true, y_score, sample_weight = _check_y_pair(
            y_true, y_score, sample_weight, pred_name="y_score"
        )
        if y_score.dtype.kind not in "biuf":
            raise TypeError(
                f"y_score must hold numeric scores, got dtype {y_score.dtype}."
            )
        labels = _unique_labels(y_true)
        if labels.shape[0] > 2:
            raise ValueError(
                f"CostCurveDisplay is for binary targets; y_true has "
                f"{labels.shape[0]} classes."
            )
        pos_label = check_pos_label(pos_label, labels, name="y_true")
        y_pos = (y_true == pos_label).astype(np.int8)
        if sample_cost is not None:
            sample_cost = _check_sample_cost(sample_cost, y_pos.shape[0])
        else:
            cost_matrix = _check_cost_matrix(cost_matrix, 2)
        sweep = threshold_sweep(
            y_pos,
            y_score,
            sample_weight=sample_weight,
            cost_matrix=cost_matrix,
            sample_cost=sample_cost,
        )
        total = sweep["n_pos"] + sweep["n_neg"]
        costs = sweep["costs"] / total
        if isinstance(chosen_threshold, str) and chosen_threshold == "auto":
            chosen_threshold = float(
                sweep["thresholds"][
                    select_threshold(sweep, default=default_threshold or 0.0)
                ]
            )
        finite = np.isfinite(sweep["thresholds"])
        display = cls(
            thresholds=sweep["thresholds"][finite],
            costs=costs[finite],
            chosen_threshold=chosen_threshold,
            default_threshold=default_threshold,
            estimator_name=name,
        )
        return display.plot(ax=ax, name=name, **kwargs)
