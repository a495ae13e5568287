"""Finite-difference checks of the cumulative link kernels and the Newton solver."""

import numpy as np
import pytest
import scipy.sparse as sp

from mlfound._glm._cumulative_link import (
    LINKS,
    CumulativeLinkLoss,
    cumulative_proba,
    cut_params,
    cut_points,
    link_quantile,
)
from mlfound._glm._newton import minimize_newton
from mlfound._glm._penalties import ElasticNetPenalty


def _problem(seed=0, n=120, d=3, n_classes=4):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[rng.uniform(size=X.shape) < 0.3] = 0.0  # zeros for the sparse twin
    y = rng.integers(0, n_classes, size=n)
    sw = rng.uniform(0.2, 2.0, size=n)
    return X, y, sw, n_classes


def _numerical_derivatives(loss, w, eps=1e-6):
    grad = np.empty_like(w)
    hess = np.empty((w.size, w.size))
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = eps
        fp, gp = loss.value_and_grad(w + e)
        fm, gm = loss.value_and_grad(w - e)
        grad[j] = (fp - fm) / (2 * eps)
        hess[:, j] = (gp - gm) / (2 * eps)
    return grad, hess


@pytest.mark.parametrize("link", sorted(LINKS))
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_gradient_and_hessian_match_finite_differences(link, sparse, alpha):
    X, y, sw, k = _problem()
    penalty = ElasticNetPenalty(alpha, 0.0, X.shape[1])
    loss = CumulativeLinkLoss(
        sp.csr_matrix(X) if sparse else X, y, sw, k, link, penalty
    )
    rng = np.random.default_rng(1)
    w = loss.initial_params() + rng.normal(scale=0.3, size=loss.n_params)
    value, grad, hess = loss.value_grad_hess(w)
    value2, grad2 = loss.value_and_grad(w)
    assert value == pytest.approx(value2, rel=1e-14)
    np.testing.assert_allclose(grad, grad2, rtol=1e-12, atol=1e-14)
    num_grad, num_hess = _numerical_derivatives(loss, w)
    np.testing.assert_allclose(grad, num_grad, atol=1e-7)
    np.testing.assert_allclose(hess, num_hess, atol=1e-6)
    np.testing.assert_allclose(hess, hess.T)


@pytest.mark.parametrize("link", sorted(LINKS))
def test_value_is_weighted_mean_negative_log_likelihood(link):
    X, y, sw, k = _problem(n=40)
    loss = CumulativeLinkLoss(X, y, sw, k, link)
    rng = np.random.default_rng(2)
    w = loss.initial_params() + rng.normal(scale=0.3, size=loss.n_params)
    beta, theta = w[:3], cut_points(w[3:])
    cum = cumulative_proba(X @ beta, theta, link)
    cum = np.hstack([np.zeros((len(y), 1)), cum, np.ones((len(y), 1))])
    p = cum[np.arange(len(y)), y + 1] - cum[np.arange(len(y)), y]
    expected = -np.sum(sw * np.log(p)) / sw.sum()
    assert loss.value_and_grad(w)[0] == pytest.approx(expected, rel=1e-12)


def test_sparse_duplicates_are_summed():
    X, y, sw, k = _problem(n=30)
    Xs = sp.csr_matrix(X)
    # split every stored value into two duplicate entries
    dup = sp.csr_matrix(
        (np.repeat(Xs.data / 2, 2), np.repeat(Xs.indices, 2), Xs.indptr * 2),
        shape=Xs.shape,
    )
    dense = CumulativeLinkLoss(X, y, sw, k, "logit")
    w = dense.initial_params() + 0.1
    sparse = CumulativeLinkLoss(dup, y, sw, k, "logit")
    for a, b in zip(dense.value_grad_hess(w), sparse.value_grad_hess(w), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("link", sorted(LINKS))
def test_extreme_scores_stay_finite(link):
    X = np.array([[50.0], [-50.0], [400.0], [-400.0]])
    y = np.array([0, 2, 1, 1])
    loss = CumulativeLinkLoss(X, y, np.ones(4), 3, link)
    value, grad, hess = loss.value_grad_hess(np.array([1.0, -0.5, 0.0]))
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))
    assert np.all(np.isfinite(hess))


def test_cut_point_parametrisation_round_trip():
    theta = np.array([-1.5, -0.2, 0.0, 3.0])
    np.testing.assert_allclose(cut_points(cut_params(theta)), theta)
    assert np.all(np.diff(cut_points(np.array([0.3, -20.0, 5.0, 0.0]))) > 0)


@pytest.mark.parametrize("link", sorted(LINKS))
def test_link_quantile_inverts_cdf(link):
    p = np.array([0.01, 0.2, 0.5, 0.9])
    z = link_quantile(p, link)
    cdf = cumulative_proba(np.zeros(1), z, link)[0]
    np.testing.assert_allclose(cdf, p, rtol=1e-10)


def test_newton_minimises_a_convex_function_and_warns_when_stopped_early():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = np.array([1.0, -1.0])

    def vgh(w):
        r = w - b
        return (
            float(np.sum(np.exp(r)) + r @ A @ r),
            np.exp(r) + 2 * A @ r,
            (np.diag(np.exp(r)) + 2 * A),
        )

    w, n_iter, converged = minimize_newton(vgh, np.zeros(2), tol=1e-10)
    assert converged
    np.testing.assert_allclose(vgh(w)[1], 0.0, atol=1e-12)
    assert n_iter < 10
    with pytest.warns(Warning, match="failed to converge"):
        _, _, converged = minimize_newton(vgh, np.full(2, 5.0), tol=1e-12, max_iter=1)
    assert not converged


@pytest.mark.parametrize(
    ("link", "dist"),
    [
        ("logit", "logistic"),
        ("probit", "norm"),
        ("cloglog", "gumbel_l"),
        ("loglog", "gumbel_r"),
        ("cauchit", "cauchy"),
    ],
)
def test_link_cdf_and_density_match_scipy(link, dist):
    from scipy import stats

    z = np.linspace(-6, 6, 25)
    cdf = cumulative_proba(np.zeros(1), z, link)[0]
    np.testing.assert_allclose(cdf, getattr(stats, dist).cdf(z), rtol=1e-9, atol=1e-15)
