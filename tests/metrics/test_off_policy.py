import numpy as np
import pytest
from scipy.special import expit, softmax

from mlfound.metrics import doubly_robust_value, ips_value, snips_value
from mlfound.utils._param_validation import InvalidParameterError

N_ACTIONS = 5


def _bandit(rng, n_rounds):
    """Contexts, reward probabilities and both policies' action probabilities."""
    x = rng.standard_normal((n_rounds, 2))
    arms = np.linspace(-1, 1, N_ACTIONS)
    reward_prob = expit(x[:, :1] * arms + x[:, 1:] * arms[::-1] - 0.5)
    behavior = softmax(-0.5 * x[:, :1] * arms, axis=1)  # a poor logging policy
    target = softmax(3 * (reward_prob - reward_prob.mean(axis=1, keepdims=True)), 1)
    return x, reward_prob, behavior, target


def _log(rng, reward_prob, behavior):
    n = reward_prob.shape[0]
    actions = (rng.random_sample((n, 1)) > np.cumsum(behavior, axis=1)).sum(axis=1)
    rewards = (rng.random_sample(n) < reward_prob[np.arange(n), actions]).astype(float)
    return actions, rewards


def test_estimators_are_unbiased_and_snips_has_lower_variance():
    rng = np.random.RandomState(0)
    # The true value of the target policy, over a very large context sample.
    _, prob_big, _, target_big = _bandit(rng, 2_000_000)
    true_value = np.mean(np.sum(target_big * prob_big, axis=1))

    n_replicates, n_rounds = 400, 2_000
    estimates = {"ips": [], "snips": [], "dr": [], "ips_clipped": []}
    for _ in range(n_replicates):
        _, prob, behavior, target = _bandit(rng, n_rounds)
        actions, rewards = _log(rng, prob, behavior)
        rows = np.arange(n_rounds)
        b, t = behavior[rows, actions], target[rows, actions]
        # A deliberately wrong reward model: DR stays unbiased through IPS.
        q_hat = np.clip(prob + 0.15, 0, 1)
        estimates["ips"].append(ips_value(rewards, b, t))
        estimates["snips"].append(snips_value(rewards, b, t))
        estimates["ips_clipped"].append(ips_value(rewards, b, t, max_weight=2.0))
        estimates["dr"].append(
            doubly_robust_value(
                rewards,
                b,
                t,
                estimated_rewards=q_hat[rows, actions],
                estimated_target_value=np.sum(target * q_hat, axis=1),
            )
        )
    estimates = {k: np.asarray(v) for k, v in estimates.items()}
    for name in ("ips", "snips", "dr"):
        values = estimates[name]
        se = values.std(ddof=1) / np.sqrt(n_replicates)
        assert abs(values.mean() - true_value) < 3 * se, name
    assert estimates["snips"].var() < estimates["ips"].var()
    assert estimates["dr"].var() < estimates["ips"].var()
    # Clipping trades variance for a downward bias.
    clipped = estimates["ips_clipped"]
    assert clipped.var() < estimates["ips"].var()
    assert clipped.mean() < true_value - 3 * clipped.std(ddof=1) / np.sqrt(n_replicates)


def test_hand_computed_values():
    r, b, t = [1, 0, 1], [0.5, 0.5, 0.25], [1.0, 0.0, 0.5]
    assert ips_value(r, b, t) == pytest.approx(4 / 3)
    assert ips_value(r, b, t, max_weight=1.5) == pytest.approx(1.0)
    assert snips_value(r, b, t) == pytest.approx(1.0)
    dr = doubly_robust_value(
        r,
        b,
        t,
        estimated_rewards=[0.8, 0.2, 0.6],
        estimated_target_value=[0.8, 0.7, 0.6],
    )
    assert dr == pytest.approx((0.8 + 2 * 0.2 + 0.7 + 0.6 + 2 * 0.4) / 3)
    # On-policy (target == behavior) IPS is the plain mean reward.
    assert ips_value(r, b, b) == pytest.approx(np.mean(r))


def test_errors():
    with pytest.raises(ValueError, match="behavior_propensity"):
        ips_value([1, 0], [0.0, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="behavior_propensity"):
        snips_value([1, 0], [1.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="target_propensity"):
        ips_value([1, 0], [0.5, 0.5], [-0.1, 0.5])
    with pytest.raises(ValueError, match="same length"):
        ips_value([1, 0, 1], [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="max_weight"):
        ips_value([1, 0], [0.5, 0.5], [0.5, 0.5], max_weight=0)
    with pytest.raises(ValueError, match="All importance weights are zero"):
        snips_value([1, 0], [0.5, 0.5], [0.0, 0.0])
    with pytest.raises(ValueError, match="one entry per round"):
        doubly_robust_value(
            [1, 0],
            [0.5, 0.5],
            [0.5, 0.5],
            estimated_rewards=[0.1],
            estimated_target_value=[0.1, 0.2],
        )


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize(
    "name", ["rewards", "estimated_rewards", "estimated_target_value"]
)
def test_non_finite_rewards_and_reward_estimates_are_rejected(name, bad):
    # A NaN reward estimate used to make doubly_robust_value return NaN.
    args = {
        "rewards": [1.0, 0.0],
        "behavior_propensity": [0.5, 0.5],
        "target_propensity": [0.5, 1.0],
        "estimated_rewards": [0.2, 0.4],
        "estimated_target_value": [0.3, 0.5],
    }
    args[name] = [bad, 0.5]
    with pytest.raises(ValueError, match=f"{name} contains NaN or infinity"):
        doubly_robust_value(**args)


@pytest.mark.parametrize("func", [ips_value, snips_value])
def test_bad_propensities_and_rewards_name_the_argument(func):
    for bad in ([0.5, np.nan], [0.5, np.inf], ["a", "b"]):
        with pytest.raises(ValueError, match="behavior_propensity"):
            func([1, 0], bad, [0.5, 0.5])
        with pytest.raises(ValueError, match="target_propensity"):
            func([1, 0], [0.5, 0.5], bad)
    with pytest.raises(ValueError, match="rewards must hold real numbers"):
        func(["x", "y"], [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="rewards contains NaN"):
        func([1, np.nan], [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="rewards"):
        func(np.ones((2, 2)), [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="target_propensity"):
        func([1, 0], [0.5, 0.5], np.full((2, 2), 0.5))
