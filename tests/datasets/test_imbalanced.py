"""make_imbalanced: the positive rate and the logistic truth hold statistically."""

import numpy as np
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

from mlfound.datasets import make_imbalanced


@pytest.mark.parametrize("ratio", [10, 100])
def test_positive_rate_within_a_few_standard_errors(ratio):
    data = make_imbalanced(200_000, imbalance_ratio=ratio, random_state=0)
    rate = 1 / (1 + ratio)
    assert data.positive_rate == pytest.approx(rate)
    se = np.sqrt(rate * (1 - rate) / data.y.shape[0])
    assert abs(data.y.mean() - rate) < 4 * se
    # the returned posterior is the one the labels were drawn from
    assert abs(data.posterior.mean() - rate) < 4 * se
    np.testing.assert_allclose(
        data.posterior, expit(data.intercept + data.X @ data.coef)
    )


def test_true_coefficients_are_recovered():
    data = make_imbalanced(
        200_000, imbalance_ratio=20, n_features=6, n_informative=3, random_state=1
    )
    assert np.linalg.norm(data.coef) == pytest.approx(3.0)
    np.testing.assert_array_equal(data.coef[3:], 0.0)
    fit = LogisticRegression(C=np.inf, tol=1e-8, max_iter=1000).fit(data.X, data.y)
    # maximum-likelihood estimates within a few of their standard errors
    p = fit.predict_proba(data.X)[:, 1]
    Xd = np.column_stack([data.X, np.ones(len(p))])
    cov = np.linalg.inv(Xd.T @ (Xd * (p * (1 - p))[:, None]))
    se = np.sqrt(np.diag(cov))
    z = (np.r_[fit.coef_[0], fit.intercept_] - np.r_[data.coef, data.intercept]) / se
    assert np.all(np.abs(z) < 4.5)


def test_shapes_reproducibility_and_errors():
    a = make_imbalanced(500, n_features=7, random_state=3)
    b = make_imbalanced(500, n_features=7, random_state=3)
    assert a.X.shape == (500, 7)
    assert len(a.feature_names) == 7
    assert "positive rate" in a.DESCR
    np.testing.assert_array_equal(a.y, b.y)
    with pytest.raises(ValueError, match="n_informative"):
        make_imbalanced(100, n_features=3, n_informative=5)
    with pytest.raises(ValueError, match="imbalance_ratio"):
        make_imbalanced(100, imbalance_ratio=0.5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 2**63}, "n_samples"),
        ({"n_samples": np.uint64(2**64 - 1)}, "n_samples"),
        ({"n_samples": 2**40}, "n_samples"),
        ({"n_samples": 100, "n_features": 2**40}, "reduce .*n_features"),
    ],
)
def test_make_imbalanced_refuses_sizes_beyond_memory(kwargs, match):
    # these failed inside NumPy (MemoryError, "Maximum allowed dimension")
    with pytest.raises(ValueError, match=match):
        make_imbalanced(**kwargs)


@pytest.mark.parametrize("n_samples", [-1, 0, 1.5, "10"])
def test_make_imbalanced_rejects_invalid_n_samples(n_samples):
    with pytest.raises(ValueError, match="'n_samples' parameter"):
        make_imbalanced(n_samples)
