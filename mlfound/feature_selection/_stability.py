"""Stability selection: features an L1 model keeps on most random subsamples."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.feature_selection import SelectorMixin
from sklearn.linear_model import Lasso, LogisticRegression
from sklearn.svm import l1_min_c
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound.utils._array_checks import as_real_float64, native_byte_order
from mlfound.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    _fit_context,
)
from mlfound.utils._sklearn_compat import logistic_penalty_params

# The default grid runs from the weakest penalty that selects nothing down
# to this fraction of it (for C: up to 1 / this multiple of the smallest C).
_GRID_DEPTH = 0.1


class StabilitySelector(SelectorMixin, BaseEstimator):
    """Keep the features that a sparse model selects on most random subsamples.

    The estimator is fitted on ``n_resamples`` random subsamples of
    ``sample_fraction`` of the rows (without replacement), at every value of
    a regularisation grid, optionally with randomly reweighted features (the
    randomized lasso). A feature's *stability score* at a penalty is the
    fraction of subsamples in which its coefficient is non-zero; a feature
    is selected when its largest score over the grid reaches ``threshold``
    (Meinshausen and Buhlmann's stable set). Read more in the :ref:`User
    Guide <stability_selection>`.

    Features are standardised (unit variance over all rows) before the
    subsampling, so that one penalty treats them alike; constant features
    are never selected.

    Parameters
    ----------
    estimator : estimator instance or None, default=None
        A model with an L1-type penalty and a ``coef_`` attribute, whose
        penalty is set through a parameter named ``alpha`` (penalty
        strength, as :class:`~sklearn.linear_model.Lasso`) or ``C`` (inverse
        strength, as :class:`~sklearn.linear_model.LogisticRegression`).
        ``None``: ``Lasso()`` for a continuous target;
        ``LogisticRegression(l1_ratio=1, solver="liblinear")`` for a binary
        target and ``LogisticRegression(l1_ratio=1, solver="saga",
        max_iter=1000)`` for three or more classes.
    n_resamples : int, default=100
        Number of random subsamples.
    sample_fraction : float, default=0.5
        Fraction of the rows in each subsample (Meinshausen and Buhlmann use
        one half).
    threshold : float, default=0.8
        Selection threshold on the stability score, in (0.5, 1]; the error
        bound needs it above one half.
    alphas : int or array-like of float, default=20
        The regularisation grid: values of ``alpha`` (or of ``C``). An int
        is the number of log-spaced values from the smallest penalty that
        selects no feature on all rows (``alpha_max``, or ``C_min`` from
        :func:`sklearn.svm.l1_min_c`) down to a tenth of it (up to ten times
        ``C_min``). The lower end of the grid controls how many features a
        subsample selects, hence the bound ``false_selection_bound_``.
    penalty_weakness : float, default=1.0
        Randomized penalties: on each subsample, feature ``j`` is multiplied
        by a weight ``w_j`` drawn uniformly from ``[penalty_weakness, 1]``,
        which multiplies its penalty by ``1 / w_j`` (Meinshausen and
        Buhlmann's randomized lasso, penalty ``alpha / w_j``). ``1.0`` is
        plain subsampling; they suggest values in [0.2, 0.8].
    n_jobs : int or None, default=None
        Number of jobs over subsamples (joblib).
    random_state : int, RandomState instance or None, default=None
        Draws the subsamples and the feature weights.

    Attributes
    ----------
    estimator_ : estimator instance
        The (default or cloned) estimator the subsamples were fitted with.
    alphas_ : ndarray of shape (n_alphas,)
        The regularisation grid used, from strongest to weakest penalty.
    stability_scores_ : ndarray of shape (n_features, n_alphas)
        Fraction of subsamples in which each feature has a non-zero
        coefficient, at each penalty of ``alphas_``.
    max_stability_scores_ : ndarray of shape (n_features,)
        Largest stability score of each feature over the grid.
    support_ : ndarray of bool of shape (n_features,)
        ``max_stability_scores_ >= threshold``.
    average_selected_ : float
        ``q``: the average number of features selected on one subsample at
        any penalty of the grid (the union over the grid).
    false_selection_bound_ : float
        Meinshausen and Buhlmann's bound on the expected number of falsely
        selected features, ``q^2 / ((2 threshold - 1) p)``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    sklearn.feature_selection.SelectFromModel : One fit, one threshold.

    Notes
    -----
    The bound assumes that the selection of the noise features is
    exchangeable and that the model is no worse than random guessing; it is
    conservative in practice. Subsampling halves the data, so a feature
    needs a signal visible on ``n / 2`` rows to be kept.

    References
    ----------
    .. [1] N. Meinshausen and P. Buhlmann, "Stability selection", Journal of
       the Royal Statistical Society B 72, 417-473, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.feature_selection import StabilitySelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 10))
    >>> y = 2 * X[:, 0] - X[:, 3] + rng.normal(size=200)
    >>> selector = StabilitySelector(n_resamples=30, alphas=10, random_state=0)
    >>> selector.fit(X, y).get_support(indices=True)
    array([0, 3])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit"]), None],
        "n_resamples": [Interval(numbers.Integral, 1, None, closed="left")],
        "sample_fraction": [Interval(RealNotInt, 0, 1, closed="right")],
        "threshold": [Interval(numbers.Real, 0.5, 1, closed="right")],
        "alphas": [Interval(numbers.Integral, 1, None, closed="left"), "array-like"],
        "penalty_weakness": [Interval(numbers.Real, 0, 1, closed="right")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_resamples=100,
        sample_fraction=0.5,
        threshold=0.8,
        alphas=20,
        penalty_weakness=1.0,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_resamples = n_resamples
        self.sample_fraction = sample_fraction
        self.threshold = threshold
        self.alphas = alphas
        self.penalty_weakness = penalty_weakness
        self.n_jobs = n_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the estimator on every subsample and penalty; select features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.
        y : array-like of shape (n_samples,)
            The target (continuous or class labels).

        Returns
        -------
        self : object
            The fitted selector.
        """
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        y = native_byte_order(y)  # np.unique refuses big-endian uint64
        n_samples, n_features = X.shape
        size = int(np.floor(self.sample_fraction * n_samples))
        if size < 2:
            raise ValueError(
                f"sample_fraction={self.sample_fraction} of n_samples="
                f"{n_samples} rows leaves {size} row(s) per subsample; at least "
                f"2 are needed. Increase sample_fraction or pass more rows."
            )
        estimator, param = self._make_estimator(y)
        strata = self._strata(estimator, y)
        Xs = self._standardise(X)
        self.alphas_ = self._grid(estimator, param, Xs, y)
        rng = check_random_state(self.random_state)
        # every draw is made here, in order, so n_jobs never changes a result
        draws = [
            (
                _draw_rows(rng, strata, self.sample_fraction),
                rng.uniform(self.penalty_weakness, 1.0, n_features)
                if self.penalty_weakness < 1.0
                else None,
            )
            for _ in range(self.n_resamples)
        ]
        selected = Parallel(n_jobs=self.n_jobs)(
            delayed(_selection_path)(estimator, param, self.alphas_, Xs, y, rows, w)
            for rows, w in draws
        )
        selected = np.stack(selected)  # (n_resamples, n_features, n_alphas)
        self.estimator_ = estimator
        self.stability_scores_ = selected.mean(axis=0)
        self.max_stability_scores_ = self.stability_scores_.max(axis=1)
        self.support_ = self.max_stability_scores_ >= self.threshold
        self.average_selected_ = float(selected.any(axis=2).sum(axis=1).mean())
        self.false_selection_bound_ = self.average_selected_**2 / (
            (2.0 * self.threshold - 1.0) * n_features
        )
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def _make_estimator(self, y):
        """The estimator to fit and the name of its penalty parameter."""
        if self.estimator is None:
            kind = type_of_target(y, input_name="y", raise_unknown=True)
            if kind == "binary":
                estimator = LogisticRegression(
                    solver="liblinear", **logistic_penalty_params(1.0)
                )
            elif kind == "multiclass":
                estimator = LogisticRegression(
                    solver="saga", max_iter=1000, **logistic_penalty_params(1.0)
                )
            elif kind in ("continuous", "continuous-multioutput"):
                estimator = Lasso()
            else:
                raise ValueError(
                    f"y is a {kind!r} target; the default estimator handles "
                    f"continuous, binary and multiclass targets. Pass an "
                    f"estimator."
                )
        else:
            estimator = clone(self.estimator)
        params = estimator.get_params(deep=False)
        if "alpha" in params:
            return estimator, "alpha"
        if "C" in params:
            return estimator, "C"
        raise TypeError(
            f"estimator {type(estimator).__name__} has no 'alpha' or 'C' "
            f"parameter: stability selection needs a penalty to vary along the "
            f"grid. Use an L1 model such as Lasso or LogisticRegression("
            f"l1_ratio=1, solver='liblinear')."
        )

    @staticmethod
    def _strata(estimator, y):
        """Row indices of each class for a classifier, else all rows as one."""
        if not is_classifier(estimator):
            return [np.arange(y.shape[0])]
        _, codes = np.unique(y, return_inverse=True)
        if np.bincount(codes).min() < 2:
            raise ValueError(
                "y has a class with fewer than 2 rows: every subsample keeps "
                "a share of each class, so each class needs at least 2 rows."
            )
        return [np.flatnonzero(codes == c) for c in range(codes.max() + 1)]

    @staticmethod
    def _standardise(X):
        scale = X.std(axis=0)
        scale[scale == 0] = 1.0
        return (X - X.mean(axis=0)) / scale

    def _grid(self, estimator, param, Xs, y):
        """The penalty grid, strongest first."""
        if not isinstance(self.alphas, numbers.Integral):
            grid = as_real_float64(self.alphas, name="alphas", error=ValueError).ravel()
            if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
                raise ValueError(
                    "alphas must hold positive, finite penalty values (or be "
                    "the number of grid points)."
                )
            # strongest penalty first: large alpha, small C
            return np.sort(grid)[::-1] if param == "alpha" else np.sort(grid)
        n = int(self.alphas)
        if param == "alpha":
            yc = y - y.mean(axis=0) if y.dtype.kind in "fiu" else None
            if yc is None:
                raise ValueError(
                    "The automatic alpha grid needs a numeric y; pass alphas."
                )
            yc = yc.reshape(yc.shape[0], -1)
            alpha_max = float(np.max(np.abs(Xs.T @ yc))) / Xs.shape[0]
            if alpha_max == 0:
                raise ValueError(
                    "No feature is correlated with y (the all-zero model is "
                    "optimal at every penalty): nothing to select."
                )
            return alpha_max * np.geomspace(1.0, _GRID_DEPTH, n)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(
                "The automatic C grid (from l1_min_c) needs class labels in y; "
                "for a continuous target pass alphas, the values of C to use."
            )
        c_min = l1_min_c(Xs, y, loss="log")
        return c_min * np.geomspace(1.0, 1.0 / _GRID_DEPTH, n)


def _draw_rows(rng, strata, fraction):
    """A sorted subsample without replacement, ``fraction`` of each stratum."""
    rows = [
        rng.choice(idx, max(1, int(np.floor(fraction * idx.shape[0]))), replace=False)
        for idx in strata
    ]
    return np.sort(np.concatenate(rows))


def _selection_path(estimator, param, grid, X, y, rows, weights):
    """Which features are selected at each penalty, on one subsample."""
    Xb = X[rows] if weights is None else X[rows] * weights
    yb = y[rows]
    model = clone(estimator)
    if "warm_start" in model.get_params(deep=False):
        model.set_params(warm_start=True)
    out = np.zeros((X.shape[1], grid.shape[0]), dtype=bool)
    for k, value in enumerate(grid):
        model.set_params(**{param: value})
        model.fit(Xb, yb)
        coef = np.asarray(model.coef_).reshape(-1, X.shape[1])
        out[:, k] = np.any(coef != 0, axis=0)
    return out
