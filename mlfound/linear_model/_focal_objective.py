"""Focal loss outside the linear model: a boosting objective and the posterior map."""

import numbers

import numpy as np

from mlfound._glm._losses import BinaryFocalLoss
from mlfound.linear_model._focal_weights import _per_class_alpha
from mlfound.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["focal_objective", "focal_to_posterior"]


@validate_params(
    {
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
        "hessian": [StrOptions({"substitute", "exact"})],
    },
    prefer_skip_nested_validation=True,
)
def focal_objective(
    gamma=2.0, alpha=None, *, label_smoothing=0.0, hessian="substitute"
):
    r"""Binary focal loss as a custom objective for gradient boosting.

    Returns a callable ``objective(y_true, raw_score) -> (grad, hess)`` giving
    the first and second derivative of the per-sample focal loss with respect
    to the raw score (log-odds), the form the scikit-learn APIs of XGBoost
    (``XGBClassifier(objective=...)``) and LightGBM
    (``LGBMClassifier(objective=...)``) take.

    For ``gamma > 0`` the exact second derivative turns negative for
    confidently wrong predictions, which makes Newton steps go the wrong way.
    ``hessian="substitute"`` (the default) therefore returns

    .. math::

        \tilde h = \max\left(h,\;
        \bigl(\alpha_1 t (1 - p)^\gamma + \alpha_0 (1 - t) p^\gamma\bigr)
        p (1 - p)\right),

    the exact hessian :math:`h` floored by the curvature of the cross-entropy
    weighted by the focal modulating factor held fixed. It is positive
    wherever :math:`0 < p < 1`, and equal to :math:`h` when ``gamma=0``.
    ``hessian="exact"`` returns :math:`h` itself.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter.
    alpha : float or None, default=None
        Weight of the positive class (the negative gets ``1 - alpha``).
    label_smoothing : float, default=0.0
        Targets ``1 - eps`` and ``eps``.
    hessian : {"substitute", "exact"}, default="substitute"
        Which second derivative to return.

    Returns
    -------
    objective : callable
        ``objective(y_true, raw_score, sample_weight=None) -> (grad, hess)``,
        arrays of shape (n_samples,). This is the call of the scikit-learn
        APIs of LightGBM (``(y_true, y_pred, weight)``, the weight may be
        None) and XGBoost (``(y_true, y_pred)``). For XGBoost's native
        ``xgb.train`` wrap it as
        ``lambda preds, dtrain: objective(dtrain.get_label(), preds)``.
        Each call checks its inputs before the kernel runs: ``y_true`` must
        hold the labels 0/1 (booleans too), ``raw_score`` one finite score
        per label, ``sample_weight`` one finite non-negative weight per
        label. The several scores per sample of a multiclass booster (an
        ``(n, K)`` array or a flattened ``n * K`` one) raise a
        ``ValueError``: the objective is binary only.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.linear_model import focal_objective
    >>> obj = focal_objective(gamma=2.0, alpha=0.25)
    >>> grad, hess = obj(np.array([0, 1, 1]), np.array([0.0, 3.0, -4.0]))
    >>> bool(np.all(hess > 0))
    True
    >>> obj(np.array([0, 2]), np.zeros(2))
    Traceback (most recent call last):
        ...
    ValueError: y_true must hold the binary labels 0 and 1 (or booleans), got [2]...

    With LightGBM (optional dependency)::

        import lightgbm as lgb
        clf = lgb.LGBMClassifier(objective=focal_objective(gamma=2.0))
    """
    loss = BinaryFocalLoss(gamma, _per_class_alpha(alpha, 2), label_smoothing)
    use_substitute = hessian == "substitute"

    def objective(y_true, raw_score, sample_weight=None):
        y_true, raw_score, sample_weight = _check_objective_inputs(
            y_true, raw_score, sample_weight
        )
        _, grad = loss.raw_loss_gradient(raw_score, y_true, sample_weight)
        exact, substitute = loss.raw_hessian(raw_score, y_true, sample_weight)
        return grad, substitute if use_substitute else exact

    return objective


def _check_proba_rows(proba):
    """``proba`` as float64 rows of probabilities that sum to one.

    A row sum may differ from 1 by ``max(1e-6, 10 * n_classes * eps)``, with
    ``eps`` the machine epsilon of the input dtype: the rounding of a float32
    softmax passes, a row that was never normalised does not.
    """
    proba = np.asarray(proba)
    if proba.dtype.kind not in "iuf":
        raise TypeError(
            f"proba must be a numeric array of probabilities, got dtype {proba.dtype}."
        )
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(
            f"proba must have shape (n_samples, n_classes >= 2), got {proba.shape}."
        )
    if proba.shape[0] == 0:
        raise ValueError("proba is empty: pass at least one row of probabilities.")
    eps = np.finfo(proba.dtype).eps if proba.dtype.kind == "f" else 0.0
    proba = proba.astype(np.float64, copy=False)
    finite = np.isfinite(proba)
    if not np.all(finite):
        raise ValueError(
            f"proba contains NaN or infinity ({int(np.sum(~finite))} values); "
            f"pass the output of predict_proba."
        )
    if proba.min() < 0 or proba.max() > 1:
        raise ValueError(
            f"proba must lie in [0, 1]; found values in [{proba.min():.6g}, "
            f"{proba.max():.6g}]. Pass probabilities (predict_proba), not raw "
            f"scores (decision_function)."
        )
    tol = max(1e-6, 10 * proba.shape[1] * eps)
    deviation = np.abs(proba.sum(axis=1) - 1.0)
    if deviation.max() > tol:
        row = int(np.argmax(deviation))
        raise ValueError(
            f"Each row of proba must sum to 1 (within {tol:.3g}); row {row} "
            f"sums to {proba[row].sum():.10g}. Pass all the class probabilities "
            f"of predict_proba, one column per class."
        )
    return proba


def _check_objective_inputs(y_true, raw_score, sample_weight):
    """Validated float64 ``(y, raw, sample_weight)`` for the binary focal kernels.

    The kernels index ``y`` and ``sample_weight`` by the position in
    ``raw_score``, so the three lengths must agree; labels must be 0/1 and
    scores finite, or the gradients would be garbage the booster trains on.
    """
    if hasattr(raw_score, "get_label"):
        raise TypeError(
            "raw_score is a DMatrix: xgboost.train calls its objective as "
            "obj(preds, dtrain). Wrap the focal objective for it: "
            "obj=lambda preds, dtrain: objective(dtrain.get_label(), preds)."
        )
    y = _numeric_1d(y_true, "y_true")
    raw = _numeric_1d(raw_score, "raw_score", kinds="iuf", allow_2d=True)
    n = y.shape[0]
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim == 2 or (n > 0 and raw.shape[0] != n and raw.shape[0] % n == 0):
        n_scores = raw.shape[1] if raw.ndim == 2 else raw.shape[0] // n
        raise ValueError(
            f"raw_score holds {n_scores} scores per sample (shape "
            f"{raw.shape} for {n} labels): a booster passes that for a "
            f"multiclass problem, which focal_objective does not support yet "
            f"(or raw_score and y_true do not belong together). It is the "
            f"binary focal loss: use it with two classes labelled 0/1 and one "
            f"raw score per sample."
        )
    if raw.shape[0] != n:
        raise ValueError(
            f"raw_score has {raw.shape[0]} values but y_true has {n}: pass one "
            f"raw score (log-odds) per label."
        )
    is_binary = (y == 0) | (y == 1)
    if not np.all(is_binary):
        bad = np.unique(y[~is_binary])
        raise ValueError(
            f"y_true must hold the binary labels 0 and 1 (or booleans), got "
            f"{bad[:5].tolist()!r}. Encode the positive class as 1, e.g. "
            f"(y == positive_label).astype(int)."
        )
    raw = raw.astype(np.float64, copy=False)
    finite = np.isfinite(raw)
    if not np.all(finite):
        raise ValueError(
            f"raw_score contains NaN or infinity ({int(np.sum(~finite))} of {n} "
            f"values): the booster's raw scores diverged; lower its learning "
            f"rate or check the init scores."
        )
    if sample_weight is None:
        return y.astype(np.float64), raw, np.ones(n)
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
    return y.astype(np.float64), raw, sw


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


@validate_params(
    {
        "proba": ["array-like"],
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": ["array-like", Interval(numbers.Real, 0, 1, closed="neither"), None],
    },
    prefer_skip_nested_validation=True,
)
def focal_to_posterior(proba, *, gamma, alpha=None):
    r"""Map focal-loss probabilities to class-posterior estimates.

    The minimiser of the expected focal loss is not the class posterior
    :math:`\eta`: it is pulled towards uncertainty. Setting the derivative of
    the conditional risk to zero on the simplex gives the inverse in closed
    form (Charoenphakdee et al., 2021):

    .. math::

        \eta_k \propto \frac{p_k}{\alpha_k\, g_k(p_k)}, \qquad
        g(p) = (1 - p)^\gamma - \gamma\, p\, (1 - p)^{\gamma - 1} \log p .

    It is exact for the population minimiser; on a fitted linear model it
    removes the systematic bias but is no substitute for calibration on held
    out data (``CalibratedClassifierCV``) when the model is misspecified.
    Label smoothing is not undone.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Output of ``FocalLossClassifier.predict_proba``: finite values in
        [0, 1] whose rows sum to 1 within ``max(1e-6, 10 * n_classes *
        eps)``, ``eps`` being the machine epsilon of its dtype (float32
        rounding passes, unnormalised rows raise a ``ValueError``).
    gamma : float
        The ``gamma`` the model was trained with.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        The per-class ``alpha`` vector the model was trained with (a float is
        the positive-class weight of a binary model).

    Returns
    -------
    posterior : ndarray of shape (n_samples, n_classes)
        Estimated class posteriors (rows sum to one).

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.linear_model import focal_to_posterior
    >>> focal_to_posterior(np.array([[0.3, 0.7]]), gamma=0.0)
    array([[0.3, 0.7]])
    >>> bool(focal_to_posterior(np.array([[0.3, 0.7]]), gamma=2.0)[0, 1] > 0.7)
    True
    """
    proba = _check_proba_rows(proba)
    n_classes = proba.shape[1]
    alpha_vec = _per_class_alpha(alpha, n_classes)
    p = np.clip(proba, 1e-300, 1.0)
    q = np.clip(1.0 - proba, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q > 0, -np.log(p) / np.where(q > 0, q, 1.0), 1.0)
        g = q**gamma * (1.0 + gamma * p * ratio)
        g = np.maximum(g, 1e-300)
        scores = p / (alpha_vec * g)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores
