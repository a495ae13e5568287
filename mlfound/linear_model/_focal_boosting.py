"""Focal loss for gradient boosting: the objective callable and its inputs.

:func:`focal_objective` returns the per-sample gradient and a positive
curvature of the binary or softmax focal loss with respect to the booster's
raw scores, in the layouts LightGBM and XGBoost use. :func:`focal_init_score`
is the constant raw score that minimises the focal loss on the training
labels, the score a booster must start from. The helper that hands a booster
all of it at once lives in :mod:`mlfound.linear_model._focal_boosting_setup`.
"""

import numbers

import numpy as np
from scipy.optimize import minimize

from mlfound._glm._losses import BinaryFocalLoss, SoftmaxFocalLoss
from mlfound.linear_model._focal_boosting_fast import (
    binary_focal_grad_hess,
    softmax_focal_raw_hessian,
)
from mlfound.linear_model._focal_weights import _per_class_alpha
from mlfound.utils._param_validation import (
    Interval,
    StrOptions,
    validate_params,
)

__all__ = ["focal_init_score", "focal_objective"]

# A hessian below this (per unit of sample weight) is raised to it, as
# XGBoost's own logistic objective does: a sample whose probability rounds to
# 0 or 1 keeps a positive curvature and a leaf never divides by zero.
_MIN_HESSIAN = 1e-16

_ALPHA_CONSTRAINT = [
    Interval(numbers.Real, 0, 1, closed="neither"),
    StrOptions({"balanced"}),
    "array-like",
    None,
]


class _FocalRaw:
    """Binary (``n_classes=2``, one score) or softmax focal loss on raw scores.

    ``alpha`` is None, a float, a per-class vector or "balanced" (resolved on
    every call from the weighted class counts of the labels it gets).
    """

    def __init__(self, n_classes, gamma, alpha, label_smoothing):
        self.n_classes = int(n_classes)
        self.gamma = float(gamma)
        self.alpha = alpha
        self.label_smoothing = float(label_smoothing)
        if not isinstance(alpha, str):
            self._alpha_vec = _per_class_alpha(alpha, self.n_classes)

    def alpha_vector(self, y, sample_weight):
        if isinstance(self.alpha, str):  # "balanced", on weighted class counts
            counts = np.bincount(
                y.astype(np.intp), weights=sample_weight, minlength=self.n_classes
            )
            counts[counts == 0] = 1.0
            return sample_weight.sum() / (self.n_classes * counts)
        return self._alpha_vec

    def _loss(self, alpha):
        if self.n_classes == 2:
            return BinaryFocalLoss(self.gamma, alpha, self.label_smoothing)
        return SoftmaxFocalLoss(self.n_classes, self.gamma, alpha, self.label_smoothing)

    def evaluate(self, y, raw, sample_weight, *, alpha=None):
        """Per-sample ``(loss, grad, hess_exact, hess_substitute)``, weighted.

        ``y`` float64 codes, ``raw`` float64 (n,) for two classes or
        C-contiguous (n, K), ``sample_weight`` float64 (n,): validated.
        """
        if alpha is None:
            alpha = self.alpha_vector(y, sample_weight)
        loss_fn = self._loss(alpha)
        if self.n_classes == 2:
            loss, grad = loss_fn.raw_loss_gradient(raw, y, sample_weight)
        else:
            loss, grad = loss_fn.raw_loss_gradient(
                raw, y.astype(np.intp), sample_weight
            )
        _, exact, sub = self.derivatives(y, raw, sample_weight, alpha=alpha)
        return loss, grad, exact, sub

    def derivatives(self, y, raw, sample_weight, *, alpha=None):
        """``(grad, hess_exact, hess_substitute)`` in one pass (binary) or two."""
        if alpha is None:
            alpha = self.alpha_vector(y, sample_weight)
        if self.n_classes == 2:
            out = np.empty((3, raw.shape[0]))
            binary_focal_grad_hess(
                raw,
                y,
                sample_weight,
                float(alpha[0]),
                float(alpha[1]),
                self.gamma,
                self.label_smoothing,
                out,
            )
            grad, exact, sub = out
            floor = _MIN_HESSIAN * sample_weight
        else:
            codes = y.astype(np.intp)
            _, grad = self._loss(alpha).raw_loss_gradient(raw, codes, sample_weight)
            exact = np.empty_like(raw)
            sub = np.empty_like(raw)
            softmax_focal_raw_hessian(
                raw,
                codes,
                sample_weight,
                np.ascontiguousarray(alpha, dtype=np.float64),
                self.gamma,
                self.label_smoothing,
                exact,
                sub,
            )
            floor = _MIN_HESSIAN * sample_weight[:, None]
        return grad, exact, np.maximum(sub, floor)


@validate_params(
    {
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": _ALPHA_CONSTRAINT,
        "n_classes": [Interval(numbers.Integral, 2, 10_000, closed="both"), None],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
        "hessian": [StrOptions({"substitute", "exact"})],
    },
    prefer_skip_nested_validation=True,
)
def focal_objective(
    gamma=2.0,
    alpha=None,
    *,
    n_classes=None,
    label_smoothing=0.0,
    hessian="substitute",
):
    r"""Binary or softmax focal loss as a custom objective for gradient boosting.

    Returns a callable giving the first and second derivative of each
    sample's focal loss with respect to its raw score(s), in the call and
    array layouts of LightGBM 4.x and XGBoost 3.x. The callable does not
    know the starting score or rescale the loss: for a complete set-up
    (starting score, eval metric, probabilities, hessian scale) use
    :class:`FocalBoostingObjective`.

    Binary (one raw score, the log-odds): the loss is
    :math:`-\alpha_t (1 - p_t)^\gamma \log p_t`. ``K`` classes (``K`` raw
    scores, :math:`p = \mathrm{softmax}(z)`): the loss is
    :math:`-\sum_k \alpha_k t_k (1 - p_k)^\gamma \log p_k` with targets
    :math:`t` (one-hot, or ``1 - eps`` and ``eps / (K - 1)`` with label
    smoothing). The gradient is exact. A boosting library fits one tree per
    class and needs, per sample and class, the second derivative along that
    class's own score: the diagonal of the hessian. For ``gamma > 0`` it
    turns negative for confidently wrong predictions, which would make
    Newton steps go the wrong way, so ``hessian="substitute"`` (the default)
    returns

    .. math::

        \tilde h_j = \max\left(h_{jj},\; p_j (1 - p_j)
        \sum_k \alpha_k t_k (1 - p_k)^\gamma\right),

    the exact diagonal floored by the cross-entropy curvature weighted by the
    focal modulating factor held fixed (for two classes, the binary formula
    with the same floor). It is positive wherever :math:`0 < p < 1`, equals
    the exact diagonal when ``gamma=0``, and is never below ``1e-16`` per
    unit of sample weight. ``hessian="exact"`` returns :math:`h_{jj}`.

    Read more in the :ref:`User Guide <focal_loss>`.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter (``gamma=0`` is the cross-entropy).
    alpha : float, array-like, "balanced" or None, default=None
        Class weights: a float is the weight of the positive class of a
        binary problem (the negative gets ``1 - alpha``); an array holds one
        positive weight per class; "balanced" uses
        ``sum(w) / (n_classes * sum(w[y == k]))`` computed on each call from
        the labels (and sample weights) the booster passes, which are those of
        the training set. None means no weighting.
    n_classes : int or None, default=None
        Number of classes. None infers it from the raw scores: one score per
        sample is the binary loss, an ``(n, K)`` array the softmax loss over
        ``K`` classes. Set it to read LightGBM's flattened class-major layout
        (``n * K`` scores, those of class 0 first), which cannot be told
        from a mismatch otherwise. With 2, the binary loss.
    label_smoothing : float, default=0.0
        Targets ``1 - eps`` for the observed class and ``eps / (K - 1)`` for
        the others (``eps`` for the negative of a binary problem).
    hessian : {"substitute", "exact"}, default="substitute"
        Which second derivative to return.

    Returns
    -------
    objective : callable
        Accepts the scikit-learn-style call
        ``objective(y_true, raw_score, sample_weight=None)`` of
        ``LGBMClassifier(objective=...)`` and ``XGBClassifier(objective=...)``
        and the native call ``objective(preds, data)`` of ``lightgbm.train``
        (``params={"objective": objective}``) and ``xgboost.train``
        (``obj=objective``), where ``data`` is the training ``Dataset`` or
        ``DMatrix`` whose labels and weights are read. Returns
        ``(grad, hess)`` in the layout of the raw scores: (n,) for one score
        per sample, (n, K) for an (n, K) input, flattened class-major for a
        flattened input. Each call checks its inputs before a kernel runs:
        ``y_true`` must hold the class codes ``0, ..., K - 1`` (0/1 or
        booleans for a binary problem), ``raw_score`` one finite score per
        sample and class, ``sample_weight`` one finite non-negative weight per
        sample.

    See Also
    --------
    FocalBoostingObjective : The objective with its starting score, metric
        and probabilities, for LightGBM and XGBoost.
    focal_init_score : The constant raw score that minimises the focal loss.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.linear_model import focal_objective
    >>> obj = focal_objective(gamma=2.0, alpha=0.25)
    >>> grad, hess = obj(np.array([0, 1, 1]), np.array([0.0, 3.0, -4.0]))
    >>> bool(np.all(hess > 0))
    True
    >>> grad, hess = focal_objective(gamma=2.0)(np.array([0, 2]), np.zeros((2, 3)))
    >>> grad.shape
    (2, 3)
    >>> obj(np.array([0, 2]), np.zeros(2))
    Traceback (most recent call last):
        ...
    ValueError: y_true must hold the binary labels 0 and 1 (or booleans), got [2]...
    """
    if isinstance(alpha, numbers.Real) and n_classes not in (None, 2):
        _per_class_alpha(alpha, n_classes)  # raises: a float needs two classes
    use_substitute = hessian == "substitute"
    losses = {}

    def objective(y_true, raw_score, sample_weight=None):
        y_true, raw_score, sample_weight = _native_call(
            y_true, raw_score, sample_weight
        )
        y, raw, sw, k, restore = _check_objective_inputs(
            y_true, raw_score, sample_weight, n_classes
        )
        if k not in losses:
            if isinstance(alpha, numbers.Real):
                _per_class_alpha(alpha, k)  # a float alpha on K scores: raise
            losses[k] = _FocalRaw(k, gamma, alpha, label_smoothing)
        grad, exact, sub = losses[k].derivatives(y, raw, sw)
        return restore(grad), restore(sub if use_substitute else exact)

    return objective


def _native_call(first, second, third):
    """``(y_true, raw_score, sample_weight)`` of either call convention.

    ``lightgbm.train`` and ``xgboost.train`` call ``obj(preds, data)`` with
    the training ``Dataset``/``DMatrix``; its labels and weights are read
    here (an empty or missing weight array means no weights).
    """
    if hasattr(first, "get_label"):
        raise TypeError(
            "y_true is a Dataset/DMatrix: the native APIs call the objective "
            "as obj(preds, data), with the raw scores first. Pass the callable "
            "itself (params={'objective': obj} or obj=obj), not a wrapper that "
            "swaps the arguments."
        )
    if not hasattr(second, "get_label"):
        return first, second, third
    if third is not None:
        raise TypeError(
            "objective(preds, data) takes no sample_weight: the weights are read "
            "from the Dataset/DMatrix."
        )
    weight = second.get_weight()
    if weight is not None and np.asarray(weight).size == 0:
        weight = None
    return second.get_label(), first, weight


def _check_objective_inputs(y_true, raw_score, sample_weight, n_classes):
    """Validated ``(y, raw, sw, K, restore)`` for the focal kernels.

    ``y`` float64 class codes, ``raw`` float64 (n,) for two classes or
    C-contiguous (n, K), ``sw`` float64 (n,), ``K`` the number of classes and
    ``restore`` the map of an (n,)/(n, K) result back to the input's layout.
    The kernels index ``y`` and ``sample_weight`` by the position in
    ``raw_score`` and the classes by the codes in ``y``, so the lengths must
    agree and the codes lie in ``[0, K)``.
    """
    y = _numeric_1d(y_true, "y_true")
    raw = _numeric_1d(raw_score, "raw_score", kinds="iuf", allow_2d=True)
    n = y.shape[0]
    raw, k, restore = _as_score_matrix(raw, n, n_classes)
    _check_codes(y, k)
    raw = raw.astype(np.float64, copy=False)
    finite = np.isfinite(raw)
    if not np.all(finite):
        raise ValueError(
            f"raw_score contains NaN or infinity ({int(np.sum(~finite))} of "
            f"{raw.size} values): the booster's raw scores diverged; lower its "
            f"learning rate or check the init scores."
        )
    sw = _check_weights(sample_weight, n)
    return y.astype(np.float64), np.ascontiguousarray(raw), sw, k, restore


def _as_score_matrix(raw, n, n_classes):
    """Raw scores as (n,) (two classes) or (n, K), with the inverse layout map."""

    def same(values):
        return values

    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim == 2:
        if raw.shape[0] != n:
            raise ValueError(
                f"raw_score has {raw.shape[0]} rows but y_true has {n} labels: "
                f"pass one row of scores per label."
            )
        k = raw.shape[1]
        if n_classes is not None and k != n_classes:
            raise ValueError(
                f"raw_score has {k} columns but n_classes={n_classes}: pass one "
                f"column of raw scores per class."
            )
        if k == 2 and n_classes is None:
            raise ValueError(
                "raw_score has two columns: a binary booster passes one raw "
                "score (the log-odds) per sample. Pass that 1-d array, or set "
                "n_classes when a multiclass booster has two classes."
            )
        return raw, k, same
    m = raw.shape[0]
    if n_classes is None or n_classes == 2:
        if m != n:
            per = f" ({m // n} scores per sample)" if n and m % n == 0 else ""
            hint = (
                f"raw_score holds {m // n} scores per sample (shape {raw.shape} "
                f"for {n} labels): LightGBM's flattened class-major layout of "
                f"a multiclass booster? Pass n_classes={m // n} to read it so. "
                if n and m % n == 0 and m > n
                else f"raw_score has {m} values but y_true has {n}{per}: pass "
                f"one raw score (log-odds) per label. "
            )
            raise ValueError(
                hint + "Otherwise raw_score and y_true do not belong together."
            )
        return raw, 2, same
    if m != n * n_classes:
        raise ValueError(
            f"raw_score has {m} values but y_true has {n} labels and "
            f"n_classes={n_classes}: a flattened class-major layout holds "
            f"n_samples * n_classes = {n * n_classes} scores."
        )

    def class_major(values):
        return np.ascontiguousarray(values.T).reshape(-1)

    return raw.reshape(n_classes, n).T, n_classes, class_major


def _check_codes(y, n_classes):
    if n_classes == 2:
        ok = (y == 0) | (y == 1)
        if not np.all(ok):
            bad = np.unique(y[~ok])
            raise ValueError(
                f"y_true must hold the binary labels 0 and 1 (or booleans), got "
                f"{bad[:5].tolist()!r}. Encode the positive class as 1, e.g. "
                f"(y == positive_label).astype(int)."
            )
        return
    ok = (y >= 0) & (y < n_classes) & (y == np.floor(y))
    if not np.all(ok):
        bad = np.unique(y[~ok])
        raise ValueError(
            f"y_true must hold the class codes 0, ..., {n_classes - 1} (one per "
            f"raw-score column), got {bad[:5].tolist()!r}. Encode the labels "
            f"with sklearn.preprocessing.LabelEncoder."
        )


def _check_weights(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    sw = _numeric_1d(sample_weight, "sample_weight").astype(np.float64)
    if sw.shape[0] != n:
        raise ValueError(
            f"sample_weight has {sw.shape[0]} values but y_true has {n}: pass "
            f"one weight per label (or None)."
        )
    if not np.all(np.isfinite(sw) & (sw >= 0)):
        raise ValueError(
            "sample_weight must hold finite non-negative weights; found NaN, "
            "infinity or negative values."
        )
    return sw


def _numeric_1d(values, name, *, kinds="biuf", allow_2d=False):
    arr = np.asarray(values)
    if arr.dtype.kind not in kinds:
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    if arr.ndim == 1 or (allow_2d and arr.ndim == 2):
        return arr
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr[:, 0]
    raise ValueError(
        f"{name} must be 1-d (one value per sample), got shape {arr.shape}."
    )


def _check_labels(y, sample_weight, n_classes):
    """Training labels as float64 codes, weights and the number of classes."""
    y = _numeric_1d(y, "y")
    if y.shape[0] == 0:
        raise ValueError("y is empty: pass the training labels.")
    y = y.astype(np.float64)
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity: pass class codes 0, ..., K-1.")
    if n_classes is None:
        if not np.all((y >= 0) & (y == np.floor(y))):
            raise ValueError(
                "y must hold the class codes 0, ..., K-1; encode the labels "
                "with sklearn.preprocessing.LabelEncoder."
            )
        n_classes = max(int(y.max()) + 1, 2)
        if n_classes > 10_000:
            raise ValueError(
                f"y has codes up to {int(y.max())}: more than 10,000 classes. "
                f"Encode the labels with sklearn.preprocessing.LabelEncoder."
            )
    _check_codes(y, n_classes)
    sw = _check_weights(sample_weight, y.shape[0])
    if sw.sum() <= 0:
        raise ValueError("sample_weight sums to zero: at least one row must count.")
    return y, sw, n_classes


def _constant_start(loss, y, sw):
    """The constant raw score minimising the weighted focal loss, and alpha.

    Only the weighted class totals matter, so the minimisation runs on one
    row per class. The cross-entropy optimum (log of the alpha-weighted class
    frequencies) is exact for ``gamma=0`` without smoothing and the start of a
    quasi-Newton search otherwise. Class frequencies are floored at 1e-15 (a
    class absent from ``y`` would otherwise start at minus infinity).
    """
    k = loss.n_classes
    alpha = loss.alpha_vector(y, sw)
    totals = np.bincount(y.astype(np.intp), weights=sw, minlength=k) / sw.sum()
    weighted = np.maximum(alpha * totals, 1e-15 * alpha.max())
    log_prior = np.log(weighted / weighted.sum())
    if k == 2:
        start = np.array([log_prior[1] - log_prior[0]])
    else:
        start = log_prior - log_prior.mean()
    if loss.gamma == 0.0 and loss.label_smoothing == 0.0:
        return start, alpha
    codes = np.arange(k, dtype=np.float64)
    keep = totals > 0
    codes, weights = codes[keep], totals[keep]

    def value_and_grad(c):
        raw = np.full(len(codes), c[0]) if k == 2 else np.tile(c, (len(codes), 1))
        values, grad, _, _ = loss.evaluate(codes, raw, weights, alpha=alpha)
        return values.sum(), grad.sum(axis=0).reshape(-1)

    bound = 40.0 + np.abs(start).max()
    result = minimize(
        value_and_grad,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-bound, bound)] * len(start),
        options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 500},
    )
    c = result.x
    return (c if k == 2 else c - c.mean()), alpha


@validate_params(
    {
        "y": ["array-like"],
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": _ALPHA_CONSTRAINT,
        "n_classes": [Interval(numbers.Integral, 2, 10_000, closed="both"), None],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def focal_init_score(
    y, *, gamma=2.0, alpha=None, n_classes=None, label_smoothing=0.0, sample_weight=None
):
    r"""Constant raw score that minimises the focal loss on the labels ``y``.

    A booster with a custom objective starts every sample from the raw score
    0 (probability 1/2, or 1/K): the first trees then spend themselves on
    learning the base rate, and with few rounds or strong regularisation
    the model never gets there. Built-in objectives start from the prior
    instead (``logit(mean(y))`` for log-loss). This is the focal loss's own
    prior score: the constant :math:`c` minimising
    :math:`\sum_i w_i\, \mathrm{FL}(y_i, c)`. With ``gamma=0`` and no
    smoothing it is the (alpha-weighted) log-odds of the class frequencies;
    for ``gamma > 0`` it is found by a quasi-Newton search on one row per
    class (the loss of a constant depends only on the weighted class
    totals). Softmax scores are centred to sum to zero.

    Read more in the :ref:`User Guide <focal_loss>`.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Training labels as class codes ``0, ..., K - 1`` (0/1 for binary).
    gamma : float, default=2.0
        Focusing parameter.
    alpha : float, array-like, "balanced" or None, default=None
        Class weights, as in :func:`focal_objective`.
    n_classes : int or None, default=None
        Number of classes (default: the largest code plus one, at least 2).
    label_smoothing : float, default=0.0
        Label smoothing, as in :func:`focal_objective`.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Finite non-negative sample weights.

    Returns
    -------
    init_score : float or ndarray of shape (n_classes,)
        The starting raw score: a float (log-odds) for two classes, one
        score per class otherwise.

    See Also
    --------
    FocalBoostingObjective : Passes this score to the booster.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.linear_model import focal_init_score
    >>> y = np.r_[np.zeros(90), np.ones(10)]
    >>> round(focal_init_score(y, gamma=0.0), 4)  # logit(0.1)
    -2.1972
    >>> round(focal_init_score(y, gamma=2.0, alpha=0.25), 4)
    -1.2277
    """
    y, sw, n_classes = _check_labels(y, sample_weight, n_classes)
    loss = _FocalRaw(n_classes, gamma, alpha, label_smoothing)
    start, _ = _constant_start(loss, y, sw)
    return float(start[0]) if n_classes == 2 else start
