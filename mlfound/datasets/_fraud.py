"""Synthetic card transactions with rare fraud and known fraud probabilities."""

import numbers

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.utils import Bunch, check_random_state

from mlfound.datasets._size import check_output_size
from mlfound.utils._param_validation import Interval, validate_params

__all__ = ["make_fraud"]

_DESCR = """\
Synthetic fraud data (mlfound.datasets.make_fraud)
--------------------------------------------------

Each row is a card transaction. Its fraud probability follows a logistic model
``P(fraud | x) = expit(intercept + x @ coef)`` on the columns of ``X``; the
first column is the standardized log transaction amount (larger amounts are
riskier when ``coef[0] > 0``), the others are anonymous risk signals drawn
from a standard normal. The intercept is solved so that the average fraud
probability of the sample equals ``fraud_rate``; the labels are Bernoulli
draws from those probabilities.

Ground truth returned beside ``X`` and ``y``: ``fraud_probability`` (the true
P(fraud | x) of every row, a perfectly calibrated score), ``coef`` and
``intercept`` (the true logistic model), and ``amount`` (the transaction
amount in currency units, log-normal) for example-dependent costs such as
``sample_cost[:, 1, 0] = amount`` (a missed fraud loses the amount).
"""


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "fraud_rate": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_features": [Interval(numbers.Integral, 1, None, closed="left")],
        "separation": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_fraud(
    n_samples=10_000,
    *,
    fraud_rate=0.01,
    n_features=8,
    separation=2.5,
    random_state=None,
):
    """Generate card transactions with rare fraud and known fraud probabilities.

    The scenario of cost-sensitive decisions: about ``fraud_rate`` of the
    transactions are fraudulent, a missed fraud costs much more than a
    blocked legitimate transaction, and 0.5 is the wrong decision threshold.

    Read more in the :ref:`User Guide <cost_sensitive>`.

    Parameters
    ----------
    n_samples : int, default=10_000
        Number of transactions.
    fraud_rate : float, default=0.01
        Expected share of fraudulent transactions, in (0, 1).
    n_features : int, default=8
        Number of features; the first is the standardized log amount.
    separation : float, default=2.5
        Norm of the true coefficient vector: larger values make fraud easier
        to detect.
    random_state : int, RandomState instance or None, default=None
        Seed for reproducible output.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With keys ``X`` (ndarray of shape (n_samples, n_features)), ``y``
        (ndarray of shape (n_samples,), 1 for fraud), ``amount`` (ndarray of
        shape (n_samples,), > 0), ``fraud_probability`` (the true
        P(fraud | x)), ``coef`` (shape (n_features,)), ``intercept``,
        ``feature_names`` and ``DESCR``.

    Examples
    --------
    >>> from mlfound.datasets import make_fraud
    >>> data = make_fraud(n_samples=1000, random_state=0)
    >>> data.X.shape, data.y.shape, data.amount.shape
    ((1000, 8), (1000,), (1000,))
    >>> round(float(data.fraud_probability.mean()), 4)
    0.01
    """
    check_output_size(
        "make_fraud", n_samples__n_features=int(n_samples) * (int(n_features) + 4)
    )
    rng = check_random_state(random_state)
    log_amount = rng.normal(3.5, 1.0, size=n_samples)
    amount = np.maximum(np.round(np.exp(log_amount), 2), 0.01)
    X = np.empty((n_samples, n_features))
    X[:, 0] = (log_amount - 3.5) / 1.0
    X[:, 1:] = rng.standard_normal((n_samples, n_features - 1))
    coef = rng.standard_normal(n_features)
    coef[0] = abs(coef[0]) + 0.5  # larger amounts are riskier
    norm = np.linalg.norm(coef)
    coef = coef * (separation / norm) if norm > 0 else coef
    linear = X @ coef

    def gap(intercept):
        return expit(intercept + linear).mean() - fraud_rate

    span = 50.0 + 10.0 * np.abs(linear).max(initial=0.0)
    intercept = brentq(gap, -span, span, xtol=1e-12)
    probability = expit(intercept + linear)
    y = (rng.random_sample(n_samples) < probability).astype(np.int64)
    names = ["log_amount"] + [f"signal_{j}" for j in range(1, n_features)]
    return Bunch(
        X=X,
        y=y,
        amount=amount,
        fraud_probability=probability,
        coef=coef,
        intercept=float(intercept),
        feature_names=names,
        DESCR=_DESCR,
    )
