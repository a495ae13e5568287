"""Everything a booster needs to train on the focal loss, in one helper.

:class:`FocalBoostingObjective` is fitted to the training labels by
``for_lightgbm`` / ``for_xgboost`` and returns a set-up object holding the
objective, the starting score in the form the library takes, an eval metric
and the map from raw margins to probabilities. The pieces are made together
so that none of them can be forgotten or mismatched (a custom objective
without its starting score, margins read as probabilities).
"""

import numbers
import warnings

import numpy as np
from scipy.special import expit, softmax

from mlfound.linear_model._focal_boosting import (
    _ALPHA_CONSTRAINT,
    _check_labels,
    _check_objective_inputs,
    _constant_start,
    _FocalRaw,
    _native_call,
)
from mlfound.linear_model._focal_posterior import focal_to_posterior
from mlfound.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["FocalBoostingObjective"]

# Below this many multiples of the smallest leaf hessian the whole training
# set can hold, trees are stunted (a leaf needs min_child_weight of it).
_HESSIAN_HEADROOM = 100.0


_CONSTRAINTS = {
    "gamma": [Interval(numbers.Real, 0, None, closed="left")],
    "alpha": _ALPHA_CONSTRAINT,
    "n_classes": [Interval(numbers.Integral, 2, 10_000, closed="both"), None],
    "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
    "hessian_scale": [
        StrOptions({"auto"}),
        Interval(numbers.Real, 0, None, closed="neither"),
    ],
    "posterior": ["boolean"],
}


def _check_params(
    *, gamma, alpha, n_classes, label_smoothing, hessian_scale, posterior
):
    """Raise for a parameter of FocalBoostingObjective outside its constraints."""


_check_params.__qualname__ = "FocalBoostingObjective"
_check_params = validate_params(_CONSTRAINTS, prefer_skip_nested_validation=True)(
    _check_params
)


class FocalBoostingObjective:
    r"""The focal loss for LightGBM and XGBoost, with all it needs.

    A custom objective alone is not enough for a booster: it also needs the
    score to start from (both libraries start a custom objective at raw
    score 0, not at the prior), a metric on its raw margins, the transform
    from margins to probabilities (LightGBM's ``predict_proba`` returns raw
    margins under a custom objective), and hessians large enough for its
    leaf-size rules. :meth:`for_lightgbm` and :meth:`for_xgboost` compute
    all of it from the training labels and return a set-up object with:

    ``objective``
        The gradient and positive curvature of :func:`focal_objective`,
        multiplied by the hessian scale (below); for ``K > 2`` classes the
        hessian is also multiplied by the library's own multiclass factor
        (``K / (K - 1)`` in LightGBM, 2 in XGBoost), as their built-in
        softmax objectives do, so that ``gamma=0`` reproduces them.
    ``init_score`` (LightGBM) / ``base_score`` in ``params`` (XGBoost)
        The constant raw score minimising the focal loss on the training
        labels (:func:`focal_init_score`), not ``logit(mean(y))``: with
        ``gamma > 0`` the focal minimiser is pulled towards 1/2.
    ``eval_metric``
        The weighted mean focal loss (unscaled) on the booster's margins, in
        the library's scikit-learn and native calling conventions.
    ``predict_proba(raw_margin)``
        Sigmoid or softmax of the margins (plus the starting score for
        LightGBM, whose predictions leave it out), passed through
        :func:`focal_to_posterior` when ``posterior=True``.

    **Hessian scale.** At ``gamma=2``, ``alpha=0.25`` the focal hessians of
    an imbalanced problem are tiny: easy negatives contribute
    :math:`\approx (1 - \alpha) p^2 \cdot p(1-p)`. On 20,000 rows with 1%
    positives they sum to about 0.5 at the prior, below XGBoost's default
    ``min_child_weight=1`` for a single leaf, so XGBoost grows no split
    (LightGBM's ``min_sum_hessian_in_leaf=1e-3`` binds later). A constant
    factor on the loss changes none of its minimisers, and with no L2
    penalty it leaves every leaf value :math:`-G/H` unchanged; it changes
    only how the hessian compares with ``min_child_weight`` /
    ``min_sum_hessian_in_leaf`` and the L2 penalty ``reg_lambda``. With
    ``hessian_scale="auto"`` the gradient and hessian are multiplied by

    .. math::

        s = \frac{\sum_i w_i \sum_j \pi_j (1 - \pi_j)}
                 {\sum_i w_i \sum_j \tilde h_{ij}(c)},

    the total cross-entropy hessian at the class frequencies :math:`\pi`
    over the total focal hessian at the focal starting score :math:`c`. The
    focal objective then meets the library defaults, tuned for log-loss,
    with the same total curvature log-loss has, and no default needs hand
    tuning. ``s = 1`` exactly for the plain cross-entropy (``gamma=0``,
    ``alpha=None``, no smoothing). With a fixed ``hessian_scale`` the set-up
    warns when the total hessian is below 100 times the library's smallest
    leaf hessian.

    Read more in the :ref:`User Guide <focal_loss>`.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter (``gamma=0`` is the cross-entropy).
    alpha : float, array-like, "balanced" or None, default=0.25
        Class weights: a float is the weight of the positive class of a
        binary problem; an array one positive weight per class; "balanced"
        ``sum(w) / (n_classes * sum(w[y == k]))`` on the training labels and
        weights given to ``for_*``. The RetinaNet default 0.25 is binary only.
    n_classes : int or None, default=None
        Number of classes; None takes the largest code in ``y`` plus one.
    label_smoothing : float, default=0.0
        Targets ``1 - eps`` and ``eps / (K - 1)``.
    hessian_scale : "auto" or float, default="auto"
        Constant multiplying the objective's gradient and hessian (see above).
    posterior : bool, default=False
        Whether ``predict_proba`` maps the focal probabilities to posterior
        estimates with :func:`focal_to_posterior` (label smoothing is not
        undone).

    See Also
    --------
    focal_objective : The objective callable alone.
    focal_init_score : The starting score alone.
    focal_to_posterior : Undo the bias of focal probabilities.

    Notes
    -----
    Class codes: ``y`` must hold ``0, ..., K - 1`` (0/1 for binary), as
    XGBoost requires; ``LGBMClassifier`` and ``XGBClassifier`` trained on
    such codes keep them as ``classes_``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.linear_model import FocalBoostingObjective
    >>> y = np.r_[np.zeros(95, dtype=int), np.ones(5, dtype=int)]
    >>> setup = FocalBoostingObjective(gamma=2.0, alpha=0.25).for_xgboost(y)
    >>> sorted(setup.params)
    ['base_score', 'eval_metric', 'objective']
    >>> setup.predict_proba(np.array([0.0])).round(3)
    array([[0.5, 0.5]])

    With XGBoost's scikit-learn API (optional dependency)::

        from xgboost import XGBClassifier
        setup = FocalBoostingObjective(gamma=2.0, alpha=0.25).for_xgboost(y_train)
        clf = XGBClassifier(n_estimators=100, **setup.params).fit(X_train, y_train)
        proba = clf.predict_proba(X_test)   # sigmoid of margins from the prior

    With LightGBM's (``predict_proba`` would return raw margins)::

        from lightgbm import LGBMClassifier
        setup = FocalBoostingObjective(gamma=2.0, alpha=0.25).for_lightgbm(y_train)
        clf = LGBMClassifier(objective=setup.objective)
        clf.fit(X_train, y_train, init_score=setup.init_score)
        proba = setup.predict_proba(clf.predict(X_test, raw_score=True))
    """

    def __init__(
        self,
        gamma=2.0,
        alpha=0.25,
        *,
        n_classes=None,
        label_smoothing=0.0,
        hessian_scale="auto",
        posterior=False,
    ):
        self.gamma = gamma
        self.alpha = alpha
        self.n_classes = n_classes
        self.label_smoothing = label_smoothing
        self.hessian_scale = hessian_scale
        self.posterior = posterior

    def for_lightgbm(self, y, sample_weight=None, *, min_sum_hessian_in_leaf=1e-3):
        """Objective, init score, metric and probabilities for LightGBM 4.x.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Training labels as class codes ``0, ..., K - 1``.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            The training sample weights (also passed to the booster).
        min_sum_hessian_in_leaf : float, default=1e-3
            The booster's setting, for the small-hessian warning.

        Returns
        -------
        setup : object
            With ``objective`` (for ``LGBMClassifier(objective=...)``),
            ``params`` (``{"objective": ..., "num_class": K}`` for
            ``lightgbm.train``), ``init_score`` for the training rows,
            ``init_score_for(n_samples)`` for other rows (eval sets),
            ``eval_metric`` (returns ``("focal_loss", value, False)``; for
            ``fit(eval_metric=...)`` and ``train(feval=...)``),
            ``hessian_scale``, ``start`` and ``predict_proba(raw_score)``
            for the output of ``predict(X, raw_score=True)``.

        Examples
        --------
        >>> import numpy as np
        >>> from mlfound.linear_model import FocalBoostingObjective
        >>> y = np.array([0, 1, 2, 2, 1, 0, 0, 0])
        >>> setup = FocalBoostingObjective(alpha="balanced").for_lightgbm(y)
        >>> setup.init_score.shape
        (8, 3)
        """
        fitted = self._fit(y, sample_weight)
        fitted.warn_if_small_hessian("min_sum_hessian_in_leaf", min_sum_hessian_in_leaf)
        return _LightGBMSetup(fitted)

    def for_xgboost(self, y, sample_weight=None, *, min_child_weight=1.0):
        """Objective, base score, metric and probabilities for XGBoost 3.x.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Training labels as class codes ``0, ..., K - 1``.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            The training sample weights (also passed to the booster).
        min_child_weight : float, default=1.0
            The booster's setting, for the small-hessian warning.

        Returns
        -------
        setup : object
            With ``params`` (keyword arguments of ``XGBClassifier``:
            ``objective``, ``base_score``, ``eval_metric``), ``native_params``
            and ``objective``, ``eval_metric`` for
            ``xgboost.train(native_params, dtrain, obj=objective,
            custom_metric=eval_metric)``, ``hessian_scale``, ``start`` and
            ``predict_proba(margin)`` for the output of
            ``predict(..., output_margin=True)`` (which includes the base
            score). ``XGBClassifier.predict_proba`` already applies the
            sigmoid or softmax to those margins.

        Examples
        --------
        >>> import numpy as np
        >>> from mlfound.linear_model import FocalBoostingObjective
        >>> y = np.r_[np.zeros(90, dtype=int), np.ones(10, dtype=int)]
        >>> setup = FocalBoostingObjective(gamma=0.0, alpha=None).for_xgboost(y)
        >>> round(setup.params["base_score"], 6), setup.hessian_scale
        (0.1, 1.0)
        """
        fitted = self._fit(y, sample_weight)
        fitted.warn_if_small_hessian("min_child_weight", min_child_weight)
        return _XGBoostSetup(fitted)

    def _fit(self, y, sample_weight):
        _check_params(**{name: getattr(self, name) for name in _CONSTRAINTS})
        y, sw, n_classes = _check_labels(y, sample_weight, self.n_classes)
        loss = _FocalRaw(n_classes, self.gamma, self.alpha, self.label_smoothing)
        start, alpha = _constant_start(loss, y, sw)
        return _Fitted(self, loss, alpha, start, y, sw)


class _Fitted:
    """The helper's parameters resolved on the training labels."""

    def __init__(self, spec, loss, alpha, start, y, sw):
        self.spec = spec
        self.loss = loss
        self.n_classes = loss.n_classes
        self.alpha = alpha
        self.start = start
        self.n_samples = y.shape[0]
        self.scale, self.total_hessian = self._hessian_scale(y, sw)

    def _hessian_scale(self, y, sw):
        k = self.n_classes
        totals = np.bincount(y.astype(np.intp), weights=sw, minlength=k)
        keep = totals > 0
        codes = np.arange(k, dtype=np.float64)[keep]
        raw = self.constant_raw(len(codes))
        _, _, _, sub = self.loss.evaluate(codes, raw, totals[keep], alpha=self.alpha)
        focal_total = float(sub.sum())
        spec = self.spec
        plain = spec.gamma == 0 and spec.alpha is None and spec.label_smoothing == 0
        if not isinstance(spec.hessian_scale, str):
            scale = float(spec.hessian_scale)
        elif plain:
            scale = 1.0
        else:
            pi = totals / totals.sum()
            ce = pi[1] * pi[0] if k == 2 else np.sum(pi * (1 - pi))
            scale = float(totals.sum() * ce / focal_total)
        return scale, scale * focal_total

    def constant_raw(self, n_samples):
        if self.n_classes == 2:
            return np.full(n_samples, self.start[0])
        return np.tile(self.start, (n_samples, 1))

    def warn_if_small_hessian(self, setting, value):
        factor = self.n_classes / (self.n_classes - 1) if self.n_classes > 2 else 1.0
        if setting == "min_child_weight" and self.n_classes > 2:
            factor = 2.0
        total = self.total_hessian * factor
        if isinstance(self.spec.hessian_scale, str):
            return  # "auto": the total curvature of log-loss, as built in
        if total < _HESSIAN_HEADROOM * value:
            warnings.warn(
                f"The focal hessians of the training set sum to {total:.3g} at "
                f"the starting score, less than 100 x {setting}={value:g}: a "
                f"leaf needs {setting} of it, so trees will be stunted or have "
                f"no split at all. Use hessian_scale='auto' or lower {setting}.",
                UserWarning,
                stacklevel=3,
            )

    def objective(self, hessian_factor):
        scale = self.scale
        fixed_k = self.n_classes

        def objective(y_true, raw_score, sample_weight=None):
            y_true, raw_score, sample_weight = _native_call(
                y_true, raw_score, sample_weight
            )
            y, raw, sw, _, restore = _check_objective_inputs(
                y_true, raw_score, sample_weight, fixed_k
            )
            grad, _, sub = self.loss.derivatives(y, raw, sw, alpha=self.alpha)
            grad *= scale
            sub *= scale * hessian_factor
            return restore(grad), restore(sub)

        return objective

    def mean_loss(self, y_true, raw_score, sample_weight):
        y, raw, sw, _, _ = _check_objective_inputs(
            y_true, raw_score, sample_weight, self.n_classes
        )
        loss, _, _, _ = self.loss.evaluate(y, raw, sw, alpha=self.alpha)
        total = sw.sum()
        return float(loss.sum() / total) if total > 0 else 0.0

    def proba(self, margin, add_start):
        margin = np.asarray(margin)
        if margin.dtype.kind not in "iuf":
            raise TypeError(
                f"raw_margin must be a numeric array, got dtype {margin.dtype}."
            )
        k = self.n_classes
        if k == 2:
            if margin.ndim == 2 and margin.shape[1] == 1:
                margin = margin[:, 0]
            if margin.ndim != 1:
                raise ValueError(
                    f"raw_margin of a binary booster must be 1-d (one margin "
                    f"per sample), got shape {margin.shape}."
                )
        elif margin.ndim != 2 or margin.shape[1] != k:
            raise ValueError(
                f"raw_margin must have shape (n_samples, {k}) for {k} classes, "
                f"got {margin.shape}."
            )
        margin = margin.astype(np.float64)
        if not np.all(np.isfinite(margin)):
            raise ValueError("raw_margin contains NaN or infinity.")
        if add_start:
            margin = margin + (self.start[0] if k == 2 else self.start)
        if k == 2:
            p = expit(margin)
            proba = np.column_stack([1.0 - p, p])
        else:
            proba = softmax(margin, axis=1)
        if self.spec.posterior and proba.shape[0]:
            proba = focal_to_posterior(proba, gamma=self.spec.gamma, alpha=self.alpha)
        return proba


class _Setup:
    def __init__(self, fitted):
        self._fitted = fitted
        self.n_classes = fitted.n_classes
        self.hessian_scale = fitted.scale
        self.start = fitted.start[0] if fitted.n_classes == 2 else fitted.start.copy()

    def init_score_for(self, n_samples):
        """The starting raw score repeated for ``n_samples`` rows."""
        if not isinstance(n_samples, numbers.Integral) or not 0 <= n_samples < 2**40:
            raise ValueError(
                f"n_samples must be a non-negative integer, got {n_samples!r}."
            )
        return self._fitted.constant_raw(int(n_samples))


class _LightGBMSetup(_Setup):
    """What LightGBM needs; see ``FocalBoostingObjective.for_lightgbm``."""

    def __init__(self, fitted):
        super().__init__(fitted)
        k = fitted.n_classes
        self.objective = fitted.objective(k / (k - 1) if k > 2 else 1.0)
        self.params = {"objective": self.objective}
        if k > 2:
            self.params["num_class"] = k
        self.init_score = fitted.constant_raw(fitted.n_samples)

    def eval_metric(self, y_true, y_pred, weight=None):
        """``("focal_loss", mean focal loss, False)`` on margins."""
        y_true, y_pred, weight = _native_call(y_true, y_pred, weight)
        return "focal_loss", self._fitted.mean_loss(y_true, y_pred, weight), False

    def predict_proba(self, raw_score):
        """Probabilities from ``predict(X, raw_score=True)`` (start added)."""
        return self._fitted.proba(raw_score, add_start=True)


class _XGBoostSetup(_Setup):
    """What XGBoost needs; see ``FocalBoostingObjective.for_xgboost``."""

    def __init__(self, fitted):
        super().__init__(fitted)
        k = fitted.n_classes
        self.objective = fitted.objective(2.0 if k > 2 else 1.0)
        if k == 2:
            base_score = float(expit(fitted.start[0]))
            native = {"objective": "binary:logistic"}
        else:
            # XGBoost >= 3.1 takes one base margin per class for softprob.
            base_score = [float(v) for v in fitted.start]
            native = {"objective": "multi:softprob", "num_class": k}
        self.params = {
            "objective": self.objective,
            "base_score": base_score,
            "eval_metric": self.eval_metric,
        }
        self.native_params = {
            **native,
            "base_score": base_score,
            "disable_default_eval_metric": 1,
        }

    def focal_loss(self, y_true, y_pred, sample_weight=None):
        """Mean focal loss on margins: a float, or ``(name, value)`` natively."""
        if hasattr(y_pred, "get_label"):
            y_true, y_pred, sample_weight = _native_call(y_true, y_pred, sample_weight)
            return "focal_loss", self._fitted.mean_loss(y_true, y_pred, sample_weight)
        return self._fitted.mean_loss(y_true, y_pred, sample_weight)

    eval_metric = focal_loss

    def predict_proba(self, margin):
        """Probabilities from ``predict(..., output_margin=True)``."""
        return self._fitted.proba(margin, add_start=False)
