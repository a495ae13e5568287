"""The posterior map of focal-loss probabilities (the focal minimiser inverted)."""

import numbers

import numpy as np

from mlfound.linear_model._focal_weights import _per_class_alpha
from mlfound.utils._param_validation import Interval, validate_params

__all__ = ["focal_to_posterior"]


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

    Read more in the :ref:`User Guide <focal_loss>`.

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
