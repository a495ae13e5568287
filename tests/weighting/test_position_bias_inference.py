"""Likelihood summary of PositionBiasEstimator."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

from mlfound.weighting import PositionBiasEstimator

TRUE_W = np.array([0.8, -0.5])
TRUE_B = -0.3
TRUE_THETA = np.array([1.0, 0.6, 0.35])


def _simulate(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    positions = rng.integers(1, 4, n)
    p = TRUE_THETA[positions - 1] * expit(X @ TRUE_W + TRUE_B)
    return X, (rng.random(n) < p).astype(int), positions


def _nll(params, X, y, positions):
    """Observed-data negative log-likelihood on the user's scale.

    ``params = [w_0, w_1, b, theta_2, theta_3]`` (theta_1 = 1), written from
    the model P(click) = theta_k sigmoid(x w + b).
    """
    theta = np.concatenate([[1.0], params[3:]])
    p = theta[positions - 1] * expit(X @ params[:2] + params[2])
    return -np.sum(y * np.log(p) + (1 - y) * np.log1p(-p))


def _fd_hessian(f, x, h=1e-4):
    n = x.shape[0]
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = (
                f(x + e_i + e_j) - f(x + e_i - e_j) - f(x - e_i + e_j)
                + f(x - e_i - e_j)
            ) / (4 * h * h)  # fmt: skip
    return H


def _fit(X, y, positions, **params):
    params = {"C": np.inf, "tol": 1e-10, "max_iter": 1000, **params}
    return PositionBiasEstimator(**params).fit(X, y, positions=positions)


@pytest.mark.parametrize("solver", ["scoring", "lbfgs", "em"])
def test_covariance_is_inverse_observed_information(solver):
    X, y, positions = _simulate(3000, seed=0)
    est = _fit(X, y, positions, solver=solver)
    summary = est.summary()
    assert summary.names == ["x0", "x1", "intercept", "propensity[2]", "propensity[3]"]
    # At the maximum the Hessian on the propensity scale is the exact
    # information there, so its inverse is the delta-method covariance.
    H = _fd_hessian(lambda v: _nll(v, X, y, positions), summary.params)
    rtol = 1e-4 if solver != "em" else 2e-3  # EM stops on the likelihood's gain
    np.testing.assert_allclose(est.covariance(), np.linalg.inv(H), rtol=rtol)
    assert est.loglik_ == pytest.approx(-_nll(summary.params, X, y, positions))
    assert (est.n_params_, est.nobs_) == (5, 3000)
    assert est.aic() == pytest.approx(2 * _nll(summary.params, X, y, positions) + 10)


def test_penalised_information_and_notes():
    X, y, positions = _simulate(2000, seed=1)
    C = 0.01
    est = _fit(X, y, positions, C=C)
    params = est.summary().params

    def penalised(v):
        return _nll(v, X, y, positions) + 0.5 * (v[:2] @ v[:2]) / C

    np.testing.assert_allclose(
        est.covariance(), np.linalg.inv(_fd_hessian(penalised, params)), rtol=1e-4
    )
    notes = " ".join(est.summary().notes)
    assert "penalised Hessian" in notes and "observed information" in notes


def test_robust_covariance_honours_frequency_weights():
    X, y, positions = _simulate(600, seed=2)
    w = np.random.default_rng(2).integers(1, 4, 600)
    weighted = PositionBiasEstimator(C=np.inf, tol=1e-10, max_iter=1000).fit(
        X, y, positions=positions, sample_weight=w.astype(float)
    )
    rep = np.repeat(np.arange(600), w)
    dup = _fit(X[rep], y[rep], positions[rep])
    for cov_type in ("nonrobust", "robust"):
        np.testing.assert_allclose(
            weighted.covariance(cov_type), dup.covariance(cov_type), rtol=1e-5
        )
    assert weighted.nobs_ == w.sum()


def test_confidence_intervals_cover_the_truth():
    truth = np.concatenate([TRUE_W, [TRUE_B], TRUE_THETA[1:]])
    covered = []
    for seed in range(40):
        X, y, positions = _simulate(1500, seed=100 + seed)
        low, high = _fit(X, y, positions, tol=1e-8).summary().conf_int.T
        covered.append((low <= truth) & (truth <= high))
    coverage = np.mean(covered)
    # 200 intervals at level 0.95: a binomial 99.9% range is about [0.90, 0.99]
    lo, hi = stats.binom.ppf([0.0005, 0.9995], len(covered) * 5, 0.95) / (
        len(covered) * 5
    )
    assert lo <= coverage <= hi


def test_position_column_names_and_randomized_bucket():
    X, y, positions = _simulate(2000, seed=3)
    frame = pd.DataFrame({"a": X[:, 0], "pos": positions, "b": X[:, 1]})
    est = PositionBiasEstimator(position_column="pos").fit(frame, y)
    assert est.summary().names[:3] == ["a", "b", "intercept"]
    randomized = np.zeros(2000, dtype=bool)
    randomized[:1000] = True
    est = PositionBiasEstimator(C=np.inf).fit(
        X, y, positions=positions, randomized=randomized
    )
    summary = est.summary()
    assert summary.names == ["x0", "x1", "intercept"]
    assert "randomized bucket" in " ".join(summary.notes)
