import numpy as np
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from mlfound.datasets import make_fraud


def test_fraud_rate_and_labels_follow_the_true_probabilities():
    data = make_fraud(n_samples=200_000, fraud_rate=0.02, random_state=0)
    p, y = data.fraud_probability, data.y
    # The intercept is solved so the mean probability is the fraud rate.
    assert p.mean() == pytest.approx(0.02, abs=1e-9)
    # Labels are Bernoulli(p): the empirical rate is within 4 standard errors.
    se = np.sqrt(np.sum(p * (1 - p))) / p.size
    assert abs(y.mean() - p.mean()) < 4 * se
    # Calibration of the ground truth: in each probability decile, the
    # observed fraud rate matches the mean probability.
    edges = np.quantile(p, np.linspace(0, 1, 11))
    bins = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, 9)
    for b in range(10):
        pb, yb = p[bins == b], y[bins == b]
        se_b = np.sqrt(np.sum(pb * (1 - pb))) / pb.size
        assert abs(yb.mean() - pb.mean()) < 4 * se_b + 1e-12


def test_ground_truth_model_is_the_logistic_model():
    data = make_fraud(n_samples=1000, random_state=1)
    np.testing.assert_allclose(
        data.fraud_probability, expit(data.intercept + data.X @ data.coef)
    )
    assert np.linalg.norm(data.coef) == pytest.approx(2.5)
    # First feature is the standardized log amount.
    np.testing.assert_allclose(data.amount, np.exp(data.X[:, 0] + 3.5), atol=0.006)
    assert (data.amount > 0).all()
    assert data.feature_names[0] == "log_amount"
    assert len(data.feature_names) == data.X.shape[1]


def test_logistic_regression_recovers_the_coefficients():
    data = make_fraud(n_samples=100_000, fraud_rate=0.05, random_state=2)
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(data.X, data.y)
    # Maximum-likelihood standard errors are ~0.02 here: allow 0.1.
    np.testing.assert_allclose(lr.coef_.ravel(), data.coef, atol=0.1)
    assert lr.intercept_[0] == pytest.approx(data.intercept, abs=0.1)


def test_reproducible_and_validated():
    a = make_fraud(n_samples=50, random_state=3)
    b = make_fraud(n_samples=50, random_state=3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    with pytest.raises(ValueError, match="fraud_rate"):
        make_fraud(n_samples=10, fraud_rate=1.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 2**63}, "n_samples"),
        ({"n_samples": np.uint64(2**64 - 1)}, "n_samples"),
        ({"n_samples": 2**40}, "n_samples"),
        ({"n_samples": 100, "n_features": 2**40}, "reduce .*n_features"),
    ],
)
def test_make_fraud_refuses_sizes_beyond_memory(kwargs, match):
    # these failed inside NumPy (MemoryError, "Maximum allowed dimension")
    with pytest.raises(ValueError, match=match):
        make_fraud(**kwargs)


@pytest.mark.parametrize("n_samples", [-1, 0, 1.5, "10"])
def test_make_fraud_rejects_invalid_n_samples(n_samples):
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        make_fraud(n_samples)
