"""Severely imbalanced binary classification with a known logistic truth."""

import numbers

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.utils import Bunch, check_random_state

from mlfound.datasets._size import check_output_size
from mlfound.utils._param_validation import Interval, validate_params

__all__ = ["make_imbalanced"]


def _positive_rate(intercept, scale, nodes, weights):
    """E[sigmoid(intercept + scale * Z)] for Z ~ N(0, 1) (Gauss-Hermite)."""
    return float(np.sum(weights * expit(intercept + scale * nodes)))


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_features": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_informative": [Interval(numbers.Integral, 1, None, closed="left")],
        "imbalance_ratio": [Interval(numbers.Real, 1, None, closed="left")],
        "signal": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_imbalanced(
    n_samples=20_000,
    *,
    n_features=20,
    n_informative=5,
    imbalance_ratio=100,
    signal=3.0,
    random_state=None,
):
    r"""Generate a severely imbalanced binary problem with a logistic truth.

    Features are independent standard normals. The label follows the logistic
    model

    .. math::

        P(y = 1 \mid x) = \sigma(b + x^\top \beta),

    where ``beta`` is non-zero on the first ``n_informative`` features only
    (random directions scaled so that :math:`\|\beta\|_2` equals ``signal``)
    and the intercept ``b`` is solved for so that the *expected* positive rate
    is exactly ``1 / (1 + imbalance_ratio)`` (1:100 gives 0.99% positives).
    The Bayes-optimal posterior of every row is returned, so any model's
    probabilities and ranking can be compared with the truth.

    Read more in the :ref:`User Guide <focal_loss>`.

    Parameters
    ----------
    n_samples : int, default=20_000
        Number of rows.
    n_features : int, default=20
        Number of features (``n_features - n_informative`` of them are noise).
    n_informative : int, default=5
        Number of features with a non-zero true coefficient.
    imbalance_ratio : float, default=100
        Expected number of negatives per positive.
    signal : float, default=3.0
        Euclidean norm of the true coefficient vector (larger is easier).
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (n_samples, n_features), ``y`` (0/1 ints), ``feature_names``,
        ``DESCR``, and the ground truth: ``coef`` (the true :math:`\beta`),
        ``intercept`` (:math:`b`), ``posterior`` (:math:`P(y=1 \mid x)` of
        each row) and ``positive_rate`` (the expected share of positives).

    Examples
    --------
    >>> from mlfound.datasets import make_imbalanced
    >>> data = make_imbalanced(n_samples=1000, random_state=0)
    >>> data.X.shape, round(data.positive_rate, 4)
    ((1000, 20), 0.0099)
    """
    if n_informative > n_features:
        raise ValueError(
            f"n_informative={n_informative} cannot exceed n_features={n_features}."
        )
    check_output_size(
        "make_imbalanced",
        n_samples__n_features=int(n_samples) * (int(n_features) + 3),
    )
    rng = check_random_state(random_state)
    direction = rng.standard_normal(n_informative)
    direction /= np.linalg.norm(direction)
    coef = np.zeros(n_features)
    coef[:n_informative] = signal * direction

    positive_rate = 1.0 / (1.0 + imbalance_ratio)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    intercept = brentq(
        lambda b: _positive_rate(b, signal, nodes, weights) - positive_rate,
        -60.0,
        60.0,
        xtol=1e-12,
    )

    X = rng.standard_normal((n_samples, n_features))
    posterior = expit(intercept + X @ coef)
    y = (rng.uniform(size=n_samples) < posterior).astype(np.int64)
    feature_names = [f"x{j}" for j in range(n_features)]
    descr = (
        f"Imbalanced binary classification: {n_samples} rows, {n_features} "
        f"standard-normal features ({n_informative} informative), logistic truth "
        f"P(y=1|x) = sigmoid({intercept:.4f} + x @ coef) with ||coef|| = {signal}, "
        f"expected positive rate 1/(1 + {imbalance_ratio}) = {positive_rate:.5f}."
    )
    return Bunch(
        X=X,
        y=y,
        feature_names=feature_names,
        DESCR=descr,
        coef=coef,
        intercept=float(intercept),
        posterior=posterior,
        positive_rate=positive_rate,
    )
