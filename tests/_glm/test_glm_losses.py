"""Focal-loss kernels against finite differences and closed forms."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import example, given
from hypothesis import strategies as st
from scipy.special import log_softmax

from mlfound._glm._focal_fast import binary_focal_point, binary_focal_point_hessian
from mlfound._glm._losses import BinaryFocalLoss, LinearObjective, SoftmaxFocalLoss
from mlfound._glm._penalties import make_penalty


def _reference_softmax_focal(raw, y, sw, alpha, gamma, eps):
    """Straightforward NumPy softmax focal loss (sum over rows)."""
    n, k = raw.shape
    logp = log_softmax(raw, axis=1)
    p = np.exp(logp)
    t = np.full((n, k), eps / (k - 1))
    t[np.arange(n), y] = 1.0 - eps
    return float(np.sum(sw[:, None] * -alpha * t * (1.0 - p) ** gamma * logp))


def _reference_binary_focal(raw, y, sw, alpha, gamma, eps):
    p = 1.0 / (1.0 + np.exp(-raw))
    t = y * (1 - eps) + (1 - y) * eps
    loss = -alpha[1] * t * (1 - p) ** gamma * np.log(p) - alpha[0] * (1 - t) * (
        p**gamma
    ) * np.log(1 - p)
    return float(np.sum(sw * loss))


def _fd_grad(f, w, h=1e-6):
    g = np.empty_like(w)
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = h
        g[j] = (f(w + e) - f(w - e)) / (2 * h)
    return g


settings_floats = st.floats(0.0, 4.0)


@given(
    gamma=settings_floats,
    eps=st.floats(0.0, 0.4),
    alpha1=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**16),
    weighted=st.booleans(),
)
# the integer exponents take a multiplication fast path: always cover them
@example(gamma=2.0, eps=0.0, alpha1=0.25, seed=0, weighted=False)
@example(gamma=2.0, eps=0.1, alpha1=0.6, seed=1, weighted=True)
@example(gamma=1.0, eps=0.05, alpha1=0.5, seed=2, weighted=True)
def test_binary_raw_gradient_and_hessian_match_finite_differences(
    gamma, eps, alpha1, seed, weighted
):
    rng = np.random.default_rng(seed)
    n = 12
    raw = rng.normal(scale=3.0, size=n)
    y = rng.integers(0, 2, n).astype(float)
    sw = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    alpha = np.array([1 - alpha1, alpha1])
    loss = BinaryFocalLoss(gamma, alpha, eps)
    values, grad = loss.raw_loss_gradient(raw, y, sw)
    expected = [
        _reference_binary_focal(raw[i : i + 1], y[i : i + 1], sw[i : i + 1], alpha,
                                gamma, eps)
        for i in range(n)
    ]  # fmt: skip
    np.testing.assert_allclose(values, expected, rtol=1e-10, atol=1e-12)
    h = 1e-5
    fd = np.array(
        [
            (
                _reference_binary_focal(raw[i : i + 1] + h, y[i : i + 1],
                                        sw[i : i + 1], alpha, gamma, eps)
                - _reference_binary_focal(raw[i : i + 1] - h, y[i : i + 1],
                                          sw[i : i + 1], alpha, gamma, eps)
            )
            / (2 * h)
            for i in range(n)
        ]
    )  # fmt: skip
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)
    hess, substitute = loss.raw_hessian(raw, y, sw)
    _, g_plus = loss.raw_loss_gradient(raw + h, y, sw)
    _, g_minus = loss.raw_loss_gradient(raw - h, y, sw)
    np.testing.assert_allclose(hess, (g_plus - g_minus) / (2 * h), rtol=1e-5, atol=1e-7)
    assert np.all(substitute >= hess)
    assert np.all(substitute > 0)


def test_binary_exact_hessian_turns_negative_but_substitute_stays_positive():
    # A confidently wrong prediction under gamma=2.
    h, substitute = binary_focal_point_hessian(-6.0, 1.0, 1.0, 1.0, 2.0, 0.0)
    assert h < 0
    assert substitute > 0


def test_gamma_zero_is_exactly_cross_entropy():
    rng = np.random.default_rng(0)
    for z in rng.normal(scale=5, size=50):
        for y in (0.0, 1.0):
            loss, grad = binary_focal_point(z, y, 1.0, 1.0, 0.0, 0.0)
            p = 1.0 / (1.0 + np.exp(-z))
            assert loss == pytest.approx(-np.log(p if y else 1 - p), rel=1e-12)
            assert grad == pytest.approx(p - y, rel=1e-12, abs=1e-15)


@given(
    gamma=settings_floats,
    eps=st.floats(0.0, 0.4),
    seed=st.integers(0, 2**16),
    weighted=st.booleans(),
    n_classes=st.integers(3, 5),
)
def test_softmax_raw_gradient_matches_finite_differences(
    gamma, eps, seed, weighted, n_classes
):
    rng = np.random.default_rng(seed)
    n = 8
    raw = rng.normal(scale=3.0, size=(n, n_classes))
    y = rng.integers(0, n_classes, n)
    sw = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    alpha = rng.uniform(0.2, 2.0, n_classes)
    loss = SoftmaxFocalLoss(n_classes, gamma, alpha, eps)
    values, grad = loss.raw_loss_gradient(raw, y, sw)
    assert values.sum() == pytest.approx(
        _reference_softmax_focal(raw, y, sw, alpha, gamma, eps), rel=1e-10
    )
    fd = _fd_grad(
        lambda r: _reference_softmax_focal(
            r.reshape(n, n_classes), y, sw, alpha, gamma, eps
        ),
        raw.ravel().copy(),
        h=1e-6,
    ).reshape(n, n_classes)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_linear_objective_gradient_matches_finite_differences(
    n_classes, sparse, fit_intercept
):
    rng = np.random.default_rng(n_classes + 2 * sparse + 4 * fit_intercept)
    n, p = 40, 6
    X = rng.normal(size=(n, p))
    X[rng.uniform(size=X.shape) < 0.4] = 0.0
    sw = rng.uniform(0.5, 2.0, n)
    if n_classes == 2:
        loss = BinaryFocalLoss(2.0, (0.3, 0.7), 0.1)
        y = rng.integers(0, 2, n).astype(float)
    else:
        loss = SoftmaxFocalLoss(n_classes, 1.5, rng.uniform(0.5, 2, n_classes), 0.1)
        y = rng.integers(0, n_classes, n)
    Xk = sp.csr_matrix(X) if sparse else X
    obj = LinearObjective(loss, Xk, y, sw, fit_intercept=fit_intercept)
    obj.penalty = make_penalty(0.5, 0.0, obj.sw_sum, obj.n_coef)
    w = rng.normal(size=obj.n_params)
    value, grad = obj(w)
    np.testing.assert_allclose(grad, _fd_grad(lambda v: obj(v)[0], w), rtol=1e-6,
                               atol=1e-8)  # fmt: skip
    # the same value from a plain NumPy evaluation of the objective
    coef, intercept = obj.unpack(w)
    raw = X @ coef + intercept
    if n_classes == 2:
        ref = _reference_binary_focal(raw[:, 0], y, sw, loss.alpha, 2.0, 0.1)
    else:
        ref = _reference_softmax_focal(raw, y, sw, loss.alpha, 1.5, 0.1)
    ref = ref / sw.sum() + 0.5 / (0.5 * sw.sum()) * np.sum(coef**2)
    assert value == pytest.approx(ref, rel=1e-10)


def test_float32_input_gives_the_same_objective():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)).astype(np.float32)
    y = rng.integers(0, 3, 50)
    sw = np.ones(50)
    w = rng.normal(size=15)
    loss = SoftmaxFocalLoss(3, 2.0)
    v32, g32 = LinearObjective(loss, X, y, sw, fit_intercept=True)(w)
    v64, g64 = LinearObjective(loss, X.astype(np.float64), y, sw, fit_intercept=True)(w)
    assert v32 == pytest.approx(v64, rel=1e-12)
    np.testing.assert_allclose(g32, g64, rtol=1e-12)


def test_separated_boundaries_finds_recession_directions_by_linear_program():
    from mlfound._glm._cumulative_link import separated_boundaries

    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    y = np.digitize(x + rng.logistic(scale=0.3, size=300), [-0.5, 0.5])
    X = x[:, None]
    ones = np.ones(300)
    # overlapping classes: the maximum exists
    assert separated_boundaries(X, y, ones, 3) == ([], True)
    # boundary 1 | 2 separated by an indicator that is constant below it
    X2 = np.c_[X, (y == 2).astype(float)]
    assert separated_boundaries(X2, y, ones, 3) == ([1], True)
    assert separated_boundaries(sp.csr_matrix(X2), y, ones, 3) == ([1], True)
    # one class-1 row carrying the indicator leaves a quasi-complete
    # separation (it sits on the cut), still a recession direction ...
    X3 = X2.copy()
    row1, row2 = np.flatnonzero(y == 1)[0], np.flatnonzero(y == 2)[0]
    X3[row1, 1] = 1.0
    assert separated_boundaries(X3, y, ones, 3)[0] != []
    # ... a class-2 row without it as well breaks it ...
    X3[row2, 1] = 0.0
    assert separated_boundaries(X3, y, ones, 3) == ([], True)
    # ... unless those rows have weight zero
    weights = ones.copy()
    weights[[row1, row2]] = 0.0
    assert separated_boundaries(X3, y, weights, 3) == ([1], True)
    # the screen on fitted scores skips the program when no boundary is split
    scores = X[:, 0]
    assert separated_boundaries(X, y, ones, 3, scores=scores) == ([], True)
    sorted_scores = np.sort(scores)[np.argsort(np.argsort(y, kind="stable"))]
    split = separated_boundaries(X2, y, ones, 3, scores=sorted_scores)
    assert split == ([1], True)
