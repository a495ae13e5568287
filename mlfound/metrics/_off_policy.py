"""Off-policy value estimators: IPS, self-normalized IPS and doubly robust."""

import numbers

import numpy as np

from mlfound.utils._array_checks import as_real_float64
from mlfound.utils._param_validation import Interval, validate_params
from mlfound.utils.validation import check_probabilities

_COMMON = {
    "rewards": ["array-like"],
    "behavior_propensity": ["array-like"],
    "target_propensity": ["array-like"],
    "max_weight": [Interval(numbers.Real, 0, None, closed="neither"), None],
}
_DOUBLY_ROBUST = _COMMON | {
    "estimated_rewards": ["array-like"],
    "estimated_target_value": ["array-like"],
}


def _as_1d(values, name):
    """``values`` as a 1-d array (a single column is raveled)."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        return values.ravel()
    if values.ndim != 1:
        raise ValueError(
            f"{name} must be 1-d (one entry per logged round), got an array of "
            f"shape {values.shape}."
        )
    return values


def _finite_1d(values, name):
    """``values`` as a finite 1-d float64 array; errors name the argument."""
    values = as_real_float64(_as_1d(values, name), name=name, error=ValueError)
    n_bad = values.size - np.count_nonzero(np.isfinite(values))
    if n_bad:
        raise ValueError(
            f"{name} contains NaN or infinity ({n_bad} of {values.size} "
            f"values); drop or impute those rounds first."
        )
    return values


def _importance_weights(rewards, behavior_propensity, target_propensity, max_weight):
    rewards = _finite_1d(rewards, "rewards")
    behavior = check_probabilities(
        _as_1d(behavior_propensity, "behavior_propensity"),
        name="behavior_propensity",
    )
    target = check_probabilities(
        _as_1d(target_propensity, "target_propensity"),
        name="target_propensity",
        allow_zero=True,
    )
    if not (rewards.shape == behavior.shape == target.shape):
        raise ValueError(
            f"rewards, behavior_propensity and target_propensity must have the "
            f"same length, got {rewards.shape[0]}, {behavior.shape[0]} and "
            f"{target.shape[0]}."
        )
    if rewards.shape[0] == 0:
        raise ValueError("Off-policy estimators need at least one logged round.")
    weights = target / behavior
    if max_weight is not None:
        weights = np.minimum(weights, max_weight)
    return rewards, weights


@validate_params(_COMMON, prefer_skip_nested_validation=True)
def ips_value(rewards, behavior_propensity, target_propensity, *, max_weight=None):
    """Inverse-propensity-score (IPS) estimate of a target policy's value.

    Given rounds logged by a behavior policy (the action taken, its
    probability ``behavior_propensity = pi_0(a_i | x_i)`` and the observed
    reward), the value of a target policy ``pi`` is estimated by

    .. math::

        \\hat V_{IPS} = \\frac{1}{n} \\sum_i w_i r_i, \\qquad
        w_i = \\min\\left(\\frac{\\pi(a_i \\mid x_i)}{\\pi_0(a_i \\mid x_i)},
        M\\right),

    unbiased without clipping (``max_weight=None``) as long as the behavior
    policy gives every action the target policy takes a positive
    probability; clipping at ``M`` lowers the variance at the price of a
    downward bias.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    rewards : array-like of shape (n_rounds,)
        Observed reward of each logged round.
    behavior_propensity : array-like of shape (n_rounds,)
        Probability, under the logging policy, of the logged action, in
        (0, 1].
    target_propensity : array-like of shape (n_rounds,)
        Probability, under the evaluated policy, of the logged action, in
        [0, 1].
    max_weight : float, default=None
        Clip the importance weights at this value (> 0). ``None`` does not
        clip.

    Returns
    -------
    value : float
        Estimated expected reward of the target policy.

    See Also
    --------
    snips_value : Self-normalized IPS, lower variance.
    doubly_robust_value : IPS corrected around a reward model.

    Examples
    --------
    >>> from mlfound.metrics import ips_value
    >>> ips_value([1, 0, 1], [0.5, 0.5, 0.25], [1.0, 0.0, 0.5])
    1.3333...
    """
    rewards, weights = _importance_weights(
        rewards, behavior_propensity, target_propensity, max_weight
    )
    return float(np.mean(weights * rewards))


@validate_params(_COMMON, prefer_skip_nested_validation=True)
def snips_value(rewards, behavior_propensity, target_propensity, *, max_weight=None):
    """Self-normalized IPS (SNIPS) estimate of a target policy's value.

    .. math::

        \\hat V_{SNIPS} = \\frac{\\sum_i w_i r_i}{\\sum_i w_i}

    with the (optionally clipped) importance weights of :func:`ips_value`.
    Dividing by the sum of the weights instead of ``n`` makes the estimate a
    weighted mean of observed rewards: slightly biased (consistent), but with
    a much lower variance than IPS when the weights vary, and invariant to a
    constant offset of the rewards.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    rewards : array-like of shape (n_rounds,)
        Observed reward of each logged round.
    behavior_propensity : array-like of shape (n_rounds,)
        Probability, under the logging policy, of the logged action, in
        (0, 1].
    target_propensity : array-like of shape (n_rounds,)
        Probability, under the evaluated policy, of the logged action, in
        [0, 1].
    max_weight : float, default=None
        Clip the importance weights at this value (> 0). ``None`` does not
        clip.

    Returns
    -------
    value : float
        Estimated expected reward of the target policy.

    See Also
    --------
    ips_value : Unbiased, higher variance.

    Examples
    --------
    >>> from mlfound.metrics import snips_value
    >>> snips_value([1, 0, 1], [0.5, 0.5, 0.25], [1.0, 0.0, 0.5])
    1.0
    """
    rewards, weights = _importance_weights(
        rewards, behavior_propensity, target_propensity, max_weight
    )
    total = weights.sum()
    if total == 0:
        raise ValueError(
            "All importance weights are zero: the target policy never takes "
            "a logged action, SNIPS is undefined."
        )
    return float(weights @ rewards / total)


@validate_params(_DOUBLY_ROBUST, prefer_skip_nested_validation=True)
def doubly_robust_value(
    rewards,
    behavior_propensity,
    target_propensity,
    *,
    estimated_rewards,
    estimated_target_value,
    max_weight=None,
):
    """Doubly robust (DR) estimate of a target policy's value.

    .. math::

        \\hat V_{DR} = \\frac{1}{n} \\sum_i \\left[\\hat q_\\pi(x_i)
        + w_i \\left(r_i - \\hat q(x_i, a_i)\\right)\\right]

    where :math:`\\hat q(x, a)` is a reward model and
    :math:`\\hat q_\\pi(x) = \\sum_a \\pi(a \\mid x) \\hat q(x, a)` its value
    under the target policy. Unbiased when either the propensities or the
    reward model are correct; the IPS term only corrects the model's
    residuals, so the variance is lower than IPS when the model is good.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    rewards : array-like of shape (n_rounds,)
        Observed reward of each logged round.
    behavior_propensity : array-like of shape (n_rounds,)
        Probability, under the logging policy, of the logged action, in
        (0, 1].
    target_propensity : array-like of shape (n_rounds,)
        Probability, under the evaluated policy, of the logged action, in
        [0, 1].
    estimated_rewards : array-like of shape (n_rounds,)
        Reward model's prediction :math:`\\hat q(x_i, a_i)` for the logged
        action.
    estimated_target_value : array-like of shape (n_rounds,)
        Reward model's expected reward under the target policy,
        :math:`\\sum_a \\pi(a \\mid x_i) \\hat q(x_i, a)`.
    max_weight : float, default=None
        Clip the importance weights at this value (> 0). ``None`` does not
        clip.

    Returns
    -------
    value : float
        Estimated expected reward of the target policy.

    See Also
    --------
    ips_value : No reward model.

    Examples
    --------
    >>> from mlfound.metrics import doubly_robust_value
    >>> doubly_robust_value(
    ...     [1, 0, 1], [0.5, 0.5, 0.25], [1.0, 0.0, 0.5],
    ...     estimated_rewards=[0.8, 0.2, 0.6], estimated_target_value=[0.8, 0.7, 0.6],
    ... )
    1.1
    """
    rewards, weights = _importance_weights(
        rewards, behavior_propensity, target_propensity, max_weight
    )
    q_logged = _finite_1d(estimated_rewards, "estimated_rewards")
    q_target = _finite_1d(estimated_target_value, "estimated_target_value")
    if not (q_logged.shape == q_target.shape == rewards.shape):
        raise ValueError(
            f"estimated_rewards and estimated_target_value must have one entry "
            f"per round ({rewards.shape[0]}), got {q_logged.shape[0]} and "
            f"{q_target.shape[0]}."
        )
    return float(np.mean(q_target + weights * (rewards - q_logged)))
