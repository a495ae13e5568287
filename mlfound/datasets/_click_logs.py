"""Click logs with position bias: the biased-logged-data scenario."""

import numbers

import numpy as np
from scipy.special import expit
from sklearn.utils import Bunch, check_random_state

from mlfound.datasets._size import check_output_size
from mlfound.utils._array_checks import as_real_float64
from mlfound.utils._param_validation import Interval, RealNotInt, validate_params

_DESCR = """\
Simulated search click logs with position bias
----------------------------------------------

Items are shown in result lists of ``n_positions`` slots. Each item has
``n_features`` standard-normal features and a true relevance probability
``relevance = sigmoid(X @ coef + intercept)`` (mean about 2/7, close to the
Beta(2, 5) relevance of the classic simulation). A logging policy ranks the
items of each list by a noisy score that is correlated with, but not equal
to, the true relevance, so positions are confounded with the features: items
that *look* relevant are shown higher. A user examines position ``k`` with
probability ``propensity[k - 1]`` (``1 / k`` by default) and clicks an
examined item with probability ``relevance``:

    P(click | x, k) = propensity[k - 1] * sigmoid(x @ coef + intercept).

A fraction ``randomized_fraction`` of the lists may be shown in a uniformly
random order instead (a randomized bucket); there relevance is independent of
the position and click-through-rate ratios estimate the propensities
directly. With ``randomized_fraction=1`` the click-through rate at position 1
equals the mean relevance, about 0.286 (2/7).
"""


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_positions": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_features": [Interval(numbers.Integral, 2, None, closed="left")],
        "propensity": ["array-like", None],
        "exponent": [Interval(numbers.Real, 0, None, closed="left")],
        "relevance_scale": [Interval(numbers.Real, 0, None, closed="left")],
        "policy_noise": [Interval(numbers.Real, 0, None, closed="left")],
        "policy_angle": [Interval(numbers.Real, 0, 90, closed="both")],
        "randomized_fraction": [Interval(RealNotInt, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_click_logs(
    n_samples=100_000,
    *,
    n_positions=10,
    n_features=5,
    propensity=None,
    exponent=1.0,
    relevance_scale=0.85,
    policy_noise=0.5,
    policy_angle=55.0,
    randomized_fraction=0.0,
    random_state=None,
):
    """Generate click logs whose clicks are confounded by position bias.

    Each row is one impression: an item with features ``X`` shown at a
    1-based ``positions`` slot of a result list ``query_id``. The item is
    clicked when the user examines the slot (probability
    ``propensity[k - 1]``, ``1 / k ** exponent`` by default) *and* finds the
    item relevant (probability ``relevance = sigmoid(X @ coef + intercept)``).
    A logging policy puts relevant-looking items higher, so position and
    features are correlated: a model fitted on raw clicks learns the policy's
    position effect along with the relevance.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    n_samples : int, default=100_000
        Number of impressions. Lists hold ``n_positions`` impressions each
        (the last one may be shorter).
    n_positions : int, default=10
        Number of slots per result list.
    n_features : int, default=5
        Number of item features (at least 2).
    propensity : array-like of shape (n_positions,), default=None
        Examination probability of each position, in (0, 1]. ``None`` uses
        ``1 / k ** exponent``.
    exponent : float, default=1.0
        Decay of the default examination curve ``1 / k ** exponent``.
    relevance_scale : float, default=0.85
        Norm of the true relevance coefficients: the spread of the relevance
        logits. The intercept is set so that the mean relevance is about 2/7.
    policy_noise : float, default=0.5
        Standard deviation of the noise in the logging policy's score,
        relative to the spread of its signal. 0 ranks by the policy's score
        exactly.
    policy_angle : float, default=55.0
        Angle in degrees between the true relevance direction and the logging
        policy's scoring direction in feature space: 0 means the policy ranks
        by true relevance (plus noise), 90 means it ranks by a feature
        direction unrelated to relevance. The larger the angle, the more a
        model fitted on raw clicks is misled.
    randomized_fraction : float, default=0.0
        Fraction of result lists shown in a uniformly random order (a
        randomized bucket, flagged in ``randomized``).
    random_state : int, RandomState instance or None, default=None
        Seed for the features, the policy noise and the clicks.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        X : ndarray of shape (n_samples, n_features)
            Item features.
        y : ndarray of shape (n_samples,), int64
            Clicks (0 or 1).
        positions : ndarray of shape (n_samples,), int64
            1-based position at which each item was shown.
        query_id : ndarray of shape (n_samples,), int64
            Result list each impression belongs to.
        randomized : ndarray of shape (n_samples,), bool
            Whether the impression belongs to the randomized bucket.
        relevance : ndarray of shape (n_samples,)
            True probability that the item is relevant (position-neutral).
        examined : ndarray of shape (n_samples,), bool
            Whether the user examined the slot (unobserved in real logs).
        propensity : ndarray of shape (n_positions,)
            True examination probability per position (entry ``k - 1`` for
            position ``k``).
        coef : ndarray of shape (n_features,)
            True relevance coefficients.
        intercept : float
            True relevance intercept.
        policy_coef : ndarray of shape (n_features,)
            Scoring direction of the logging policy.
        feature_names : list of str
            ``["x0", "x1", ...]``.
        DESCR : str
            Description of the scenario.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.datasets import make_click_logs
    >>> logs = make_click_logs(20_000, random_state=0)
    >>> logs.X.shape, logs.propensity[:3]
    ((20000, 5), array([1.  , 0.5 , 0.333...]))
    >>> ctr = [logs.y[logs.positions == k].mean() for k in (1, 10)]
    >>> bool(ctr[0] > 5 * ctr[1])  # raw click rates exaggerate the position effect
    True
    """
    check_output_size(
        "make_click_logs",
        n_samples__n_features=int(n_samples) * (int(n_features) + 10),
        n_positions=2 * int(n_positions),
    )
    rng = check_random_state(random_state)
    k = np.arange(1, n_positions + 1, dtype=np.float64)
    if propensity is None:
        propensity = 1.0 / k**exponent
    else:
        propensity = as_real_float64(
            propensity,
            name="propensity",
            what="numbers in (0, 1], one per position",
        )
        if propensity.shape != (n_positions,):
            raise ValueError(
                f"propensity must have shape ({n_positions},) (one entry per "
                f"position), got {propensity.shape}."
            )
        if not np.all((propensity > 0) & (propensity <= 1)):
            raise ValueError(
                "propensity must lie in (0, 1] without NaN (one examination "
                "probability per position)."
            )

    # True relevance direction and a policy direction at ``policy_angle``.
    direction = rng.standard_normal(n_features)
    direction /= np.linalg.norm(direction)
    other = rng.standard_normal(n_features)
    other -= (other @ direction) * direction
    other /= np.linalg.norm(other)
    coef = relevance_scale * direction
    angle = np.deg2rad(policy_angle)
    policy_coef = np.cos(angle) * direction + np.sin(angle) * other
    # Intercept such that the mean relevance is 2/7 (Gauss-Hermite quadrature
    # over the normal distribution of the relevance logit).
    nodes, weights = np.polynomial.hermite_e.hermegauss(61)
    weights = weights / weights.sum()
    intercept = _solve_intercept(relevance_scale * nodes, weights, 2.0 / 7.0)

    X = rng.standard_normal((n_samples, n_features))
    relevance = expit(X @ coef + intercept)

    n_lists = -(-n_samples // n_positions)
    query_id = np.repeat(np.arange(n_lists, dtype=np.int64), n_positions)[:n_samples]
    randomized_list = rng.random_sample(n_lists) < randomized_fraction
    score = X @ policy_coef + policy_noise * rng.standard_normal(n_samples)
    score[randomized_list[query_id]] = rng.random_sample(
        int(np.count_nonzero(randomized_list[query_id]))
    )
    # Rank within each list by decreasing score: lexsort by (query, -score).
    order = np.lexsort((-score, query_id))
    starts = np.searchsorted(query_id[order], query_id[order], side="left")
    positions = np.empty(n_samples, dtype=np.int64)
    positions[order] = np.arange(n_samples) - starts + 1

    examined = rng.random_sample(n_samples) < propensity[positions - 1]
    relevant = rng.random_sample(n_samples) < relevance
    y = (examined & relevant).astype(np.int64)

    return Bunch(
        X=X,
        y=y,
        positions=positions,
        query_id=query_id,
        randomized=randomized_list[query_id],
        relevance=relevance,
        examined=examined,
        propensity=propensity,
        coef=coef,
        intercept=float(intercept),
        policy_coef=policy_coef,
        feature_names=[f"x{j}" for j in range(n_features)],
        DESCR=_DESCR,
    )


def _solve_intercept(logits, weights, target):
    """Intercept ``b`` with ``sum(weights * sigmoid(logits + b)) == target``."""
    low, high = -20.0, 20.0
    for _ in range(100):
        mid = 0.5 * (low + high)
        if weights @ expit(logits + mid) < target:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)
