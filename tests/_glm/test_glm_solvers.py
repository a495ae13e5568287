"""Penalties and solvers of mlfound._glm on loss-agnostic problems."""

import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse as sp
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet
from sklearn.linear_model._linear_loss import LinearModelLoss

from mlfound._glm._losses import BinaryFocalLoss, LinearObjective
from mlfound._glm._penalties import ElasticNetPenalty, make_penalty
from mlfound._glm._precondition import MIN_SPREAD, jacobi_scale, lbfgs_scale
from mlfound._glm._solvers import (
    MiniBatchOptimizer,
    learning_rate_at,
    minimize_lbfgs,
    minimize_minibatch,
    minimize_proximal,
)


def _least_squares(X, y):
    n = X.shape[0]

    def smooth(w, rows=None):
        Xr, yr = (X, y) if rows is None else (X[rows], y[rows])
        r = Xr @ w - yr
        return 0.5 * float(r @ r) / Xr.shape[0], Xr.T @ r / Xr.shape[0]

    return smooth, n


def _regression(seed=0, n=200, p=10):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    w = np.zeros(p)
    w[:3] = [2.0, -1.0, 0.5]
    return X, X @ w + rng.normal(scale=0.5, size=n)


def test_soft_threshold_prox_and_unpenalized_tail():
    pen = ElasticNetPenalty(2.0, 1.0, n_penalized=3)
    w = np.array([3.0, -0.5, -4.0, 7.0])
    np.testing.assert_allclose(pen.prox(w, 0.5), [2.0, 0.0, -3.0, 7.0])
    assert pen.nonsmooth_value(w) == pytest.approx(2.0 * 7.5)
    grad = np.zeros(4)
    assert ElasticNetPenalty(2.0, 0.0, 3).smooth_value_grad(w, grad) == pytest.approx(
        0.5 * 2.0 * (9 + 0.25 + 16)
    )
    np.testing.assert_allclose(grad, [6.0, -1.0, -8.0, 0.0])


def test_make_penalty_scaling():
    pen = make_penalty(2.0, 0.25, sw_sum=50.0, n_penalized=4)
    assert pen.strength == pytest.approx(1 / 100)
    assert pen.l1 == pytest.approx(0.25 / 100)
    assert pen.l2 == pytest.approx(0.75 / 100)
    assert make_penalty(np.inf, 0.5, 10.0, 4).strength == 0.0


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_proximal_solver_matches_coordinate_descent(l1_ratio):
    # scikit-learn's ElasticNet minimises 1/(2n)||y - Xw||^2 + alpha * penalty,
    # the same as least squares + ElasticNetPenalty(alpha, l1_ratio).
    X, y = _regression()
    smooth_data, _ = _least_squares(X, y)
    pen = ElasticNetPenalty(0.1, l1_ratio, n_penalized=X.shape[1])

    def smooth(w):
        value, grad = smooth_data(w)
        return value + pen.smooth_value_grad(w, grad), grad

    w, n_iter, converged = minimize_proximal(smooth, pen, np.zeros(10), tol=1e-10,
                                             max_iter=10_000)  # fmt: skip
    ref = ElasticNet(alpha=0.1, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-12,
                     max_iter=100_000).fit(X, y)  # fmt: skip
    assert converged
    np.testing.assert_allclose(w, ref.coef_, atol=1e-7)
    np.testing.assert_array_equal(w == 0, ref.coef_ == 0)


def test_proximal_solver_warns_when_it_runs_out_of_iterations():
    X, y = _regression()
    smooth, _ = _least_squares(X, y)
    pen = ElasticNetPenalty(0.1, 1.0, n_penalized=10)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        minimize_proximal(smooth, pen, np.zeros(10), tol=1e-12, max_iter=2)


def test_lbfgs_driver_on_ridge():
    X, y = _regression()
    smooth_data, n = _least_squares(X, y)
    pen = ElasticNetPenalty(0.3, 0.0, n_penalized=10)

    def smooth(w):
        value, grad = smooth_data(w)
        return value + pen.smooth_value_grad(w, grad), grad

    w, _, converged = minimize_lbfgs(smooth, np.zeros(10), tol=1e-12, max_iter=1000)
    closed = np.linalg.solve(X.T @ X / n + 0.3 * np.eye(10), X.T @ y / n)
    assert converged
    np.testing.assert_allclose(w, closed, rtol=1e-6)


def _badly_scaled_quadratic():
    # curvatures from 1e-4 to 1e4: plain L-BFGS crawls, the scaled one does not
    h = np.logspace(-4, 4, 40)
    b = np.linspace(-1.0, 1.0, 40)

    def value_and_grad(w):
        return 0.5 * float(h @ w**2) - float(b @ w), h * w - b

    return value_and_grad, h, b / h


def test_lbfgs_scale_speeds_up_a_badly_scaled_problem():
    value_and_grad, h, solution = _badly_scaled_quadratic()
    tol = 1e-6
    w, n_iter, converged = minimize_lbfgs(
        value_and_grad, np.zeros(40), tol=tol, max_iter=1000, scale=1 / np.sqrt(h)
    )
    assert converged
    assert np.max(np.abs(value_and_grad(w)[1])) <= tol
    np.testing.assert_allclose(w, solution, rtol=0, atol=tol / h.min())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # plain one may stall
        _, plain_iter, _ = minimize_lbfgs(value_and_grad, np.zeros(40), tol=tol,
                                          max_iter=1000)  # fmt: skip
    assert n_iter * 3 < plain_iter


def _record_gradients(value_and_grad, scale, tol):
    """Run the scaled solver; also return max|grad| at every evaluation."""
    gradients = []

    def recorded(w):
        value, grad = value_and_grad(w)
        gradients.append(np.max(np.abs(grad)))
        return value, grad

    result = minimize_lbfgs(recorded, np.zeros(40), tol=tol, max_iter=1000,
                            scale=scale)  # fmt: skip
    return result, gradients


def test_lbfgs_scale_keeps_the_unscaled_gradient_rule():
    # An imperfect scale below 1 everywhere makes the scaled gradient up to
    # 1000x smaller than the gradient with respect to w: a rule applied to the
    # scaled gradient would stop far too early.
    value_and_grad, h, _ = _badly_scaled_quadratic()
    scale = 0.01 * h**-0.25
    tol = 1e-3
    (w, n_iter, converged), gradients = _record_gradients(value_and_grad, scale, tol)
    grad = value_and_grad(w)[1]
    assert converged
    assert n_iter > 1
    assert np.max(np.abs(grad)) <= tol
    assert np.max(np.abs(grad * scale)) < tol / 100  # the scaled rule held long ago
    # and it stopped at the first point that met the rule: every evaluation
    # before the last one (line-search trials included) was outside tol
    assert min(gradients[:-1]) > tol


def test_lbfgs_scale_returns_a_warm_start_within_tol_untouched():
    value_and_grad, h, solution = _badly_scaled_quadratic()
    w, n_iter, converged = minimize_lbfgs(value_and_grad, solution, tol=1e-8,
                                          scale=0.01 * h**-0.25)  # fmt: skip
    assert (n_iter, converged) == (0, True)
    np.testing.assert_array_equal(w, solution)


@pytest.mark.parametrize("sparse", [False, True])
def test_jacobi_scale_is_the_logistic_hessian_diagonal_at_zero(sparse):
    # At w = 0 every p is 1/2, so the logistic Hessian diagonal is exactly
    # 1/4 * mean(s x_j^2) + l2 for a coefficient and 1/4 for the intercept.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)) * np.array([1e-3, 0.1, 1.0, 10.0, 0.0, 1.0])
    y = (rng.uniform(size=300) < 0.3).astype(float)
    sw = rng.uniform(0.5, 2.0, size=300)
    objective = LinearObjective(BinaryFocalLoss(0.0),
                                sp.csr_matrix(X) if sparse else X, y, sw,
                                fit_intercept=True)  # fmt: skip
    objective.penalty = make_penalty(2.0, 0.0, objective.sw_sum, objective.n_coef)
    loss = LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=True)
    l2 = 1 / (2.0 * sw.sum())
    hessian = loss.gradient_hessian(np.zeros(7), X, y, sw / sw.sum(), l2)[1]
    h = np.diag(hessian)
    expected = np.sqrt(np.median(h) / h)
    np.testing.assert_allclose(jacobi_scale(objective), expected, rtol=1e-12)


def test_jacobi_scale_leaves_flat_parameters_alone():
    X = np.zeros((5, 4))
    X[:, 0] = 1.0
    X[:, 2] = 3.0
    X[0, 3] = 1e200  # x^2 overflows: no usable curvature, left unscaled
    objective = LinearObjective(BinaryFocalLoss(0.0), X, np.ones(5), np.ones(5),
                                fit_intercept=False)  # fmt: skip
    # h = [1/4, 0, 9/4, inf]; median of the usable ones = 5/4
    expected = [np.sqrt(5.0), 1.0, np.sqrt(5.0 / 9.0), 1.0]
    np.testing.assert_allclose(jacobi_scale(objective), expected, rtol=1e-12)


def _rare_feature_logistic(gamma, alpha, n=20_000, p=6_000, nnz=30, seed=0):
    """Focal objective on CSR rows with ``nnz`` rare standard-normal features."""
    rng = np.random.default_rng(seed)
    indices = np.sort(rng.integers(0, p, (n, nnz)), axis=1).ravel()
    X = sp.csr_matrix(
        (rng.standard_normal(n * nnz), indices, np.arange(0, n * nnz + 1, nnz)),
        shape=(n, p),
    )
    X.sum_duplicates()
    raw = X @ (0.5 * rng.standard_normal(p)) - 1.0
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-raw))).astype(float)
    objective = LinearObjective(BinaryFocalLoss(gamma, [1 - alpha, alpha]), X, y,
                                np.ones(n), fit_intercept=True)  # fmt: skip
    objective.penalty = make_penalty(1.0, 0.0, objective.sw_sum, objective.n_coef)
    return objective


def _iterates(capsys):
    """(objective, max|grad|) of every accepted iterate, from verbose output."""
    rows = []
    for line in capsys.readouterr().out.splitlines():
        value = float(line.split("objective=")[1].split()[0])
        rows.append((value, float(line.split("|grad|_inf=")[1])))
    return rows


def test_lbfgs_decrease_rule_stops_at_the_first_iterate_meeting_both_rules(capsys):
    # Rare features have tiny gradients: the gradient rule alone stops while
    # the objective is still well above its minimum; with decrease_tol the
    # solver goes on until the objective has stopped decreasing as well.
    objective = _rare_feature_logistic(2.0, 0.25)
    scale = lbfgs_scale(objective)
    assert scale is not None
    w0 = np.zeros(objective.n_params)
    tight = scipy.optimize.minimize(
        lambda v: (lambda f, g: (f, g * scale))(*objective(v * scale)),
        w0, jac=True, method="L-BFGS-B",
        options={"maxiter": 5000, "gtol": 1e-12, "ftol": 0.0},
    )  # fmt: skip
    f_star = tight.fun
    tol = 1e-4
    w_grad, _, _ = minimize_lbfgs(objective, w0, tol=tol, scale=scale)
    w, n_iter, converged = minimize_lbfgs(objective, w0, tol=tol, scale=scale,
                                          decrease_tol=tol, verbose=1)  # fmt: skip
    assert converged
    assert objective(w_grad)[0] / f_star - 1 > 2e-4
    assert objective(w)[0] / f_star - 1 < 1e-4
    rows = _iterates(capsys)
    assert len(rows) == n_iter
    values = [objective(w0)[0]] + [value for value, _ in rows]
    both = [
        grad <= tol and values[k - 2] - values[k] <= 2 * tol * abs(values[k])
        for k, (_, grad) in enumerate(rows, start=1)
        if k >= 2
    ]
    assert both[-1] and not any(both[:-1])


def test_lbfgs_decrease_rule_without_scale_and_with_bounds():
    h = np.logspace(-1, 1, 40)
    b = np.linspace(-1.0, 1.0, 40)
    offset = 100.0  # a positive objective, so that the relative rule can hold

    def shifted(w):
        return 0.5 * float(h @ w**2) - float(b @ w) + offset, h * w - b

    # a loose gradient rule stops early; a tight decrease rule goes on
    loose, _, _ = minimize_lbfgs(shifted, np.zeros(40), tol=1e-1)
    w, _, converged = minimize_lbfgs(shifted, np.zeros(40), tol=1e-1,
                                     decrease_tol=1e-10)  # fmt: skip
    assert converged
    assert np.max(np.abs(loose - b / h)) > 0.1
    np.testing.assert_allclose(w, b / h, rtol=0, atol=1e-3)
    with pytest.raises(ValueError, match="cannot be combined with bounds"):
        minimize_lbfgs(shifted, np.zeros(40), decrease_tol=1e-4, bounds=[(0, 1)] * 40)


def test_lbfgs_scale_only_where_curvatures_differ():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5))

    def objective_of(X):
        y = (X[:, 0] > 0).astype(float)
        obj = LinearObjective(BinaryFocalLoss(0.0), X, y, np.ones(200),
                              fit_intercept=True)  # fmt: skip
        obj.penalty = make_penalty(1.0, 0.0, obj.sw_sum, obj.n_coef)
        return obj

    # Jacobi scale ~ 1 / column scale (the intercept's curvature is 1/4, that
    # of a standard-normal column 1/4 too): below the spread MIN_SPREAD plain
    # L-BFGS is used, from it on the scale.
    near = objective_of(X * np.array([1.0, 1.2, 0.9, 1.5, 1.0]))
    assert jacobi_scale(near).max() < MIN_SPREAD * jacobi_scale(near).min()
    assert lbfgs_scale(near) is None
    far = objective_of(X * np.array([1.0, 1.0, 1.0, 10.0, 1.0]))
    np.testing.assert_array_equal(lbfgs_scale(far), jacobi_scale(far))


def test_lbfgs_scale_verbose_and_bounds(capsys):
    value_and_grad, h, _ = _badly_scaled_quadratic()
    w, _, _ = minimize_lbfgs(value_and_grad, np.zeros(40), scale=1 / np.sqrt(h),
                             verbose=1)  # fmt: skip
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("L-BFGS iter    1")
    # the printed objective is the unscaled one, at the returned point
    last = float(lines[-1].split("objective=")[1].split()[0])
    assert last == pytest.approx(value_and_grad(w)[0], rel=1e-9)
    with pytest.raises(ValueError, match="cannot be combined with bounds"):
        minimize_lbfgs(value_and_grad, np.zeros(40), scale=h, bounds=[(0, 1)] * 40)


def test_learning_rate_schedules():
    assert learning_rate_at("constant", 10, eta0=0.1) == 0.1
    assert learning_rate_at("invscaling", 3, eta0=0.1, power_t=0.5) == pytest.approx(
        0.05
    )
    kw = {"eta0": 1.0, "warmup_steps": 10, "total_steps": 110}
    lrs = [learning_rate_at("warmup_cosine", t, **kw) for t in range(200)]
    assert lrs[0] == pytest.approx(0.1)  # never 0 at step 0
    assert lrs[9] == pytest.approx(1.0)
    assert lrs[60] == pytest.approx(0.01 + 0.99 * 0.5)  # half-way down
    assert lrs[110] == pytest.approx(0.01)
    assert lrs[199] == pytest.approx(0.01)
    assert np.all(np.diff(lrs[9:111]) <= 1e-15)
    with pytest.raises(ValueError, match="schedule"):
        learning_rate_at("step", 0, eta0=1.0)


def test_adam_step_follows_pytorch_and_clipping():
    opt = MiniBatchOptimizer("adam", eta0=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    w = np.array([1.0, -1.0])
    g = np.array([0.5, -2.0])
    w1 = opt.step(w, g, None)
    m = 0.1 * g / (1 - 0.9)
    v = 0.001 * g**2 / (1 - 0.999)
    np.testing.assert_allclose(w1, w - 0.1 * m / (np.sqrt(v) + 1e-8))
    sgd = MiniBatchOptimizer("sgd", eta0=1.0, momentum=0.0, clip_norm=1.0)
    w2 = sgd.step(np.zeros(2), np.array([3.0, 4.0]), None)
    np.testing.assert_allclose(w2, [-0.6, -0.8])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_reaches_the_least_squares_optimum(solver):
    X, y = _regression(n=1000)
    smooth, n = _least_squares(X, y)
    opt = MiniBatchOptimizer(
        solver, learning_rate="invscaling", eta0=0.05, power_t=0.5, momentum=0.5
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        w, n_epoch, _ = minimize_minibatch(
            smooth, None, np.zeros(10), n, optimizer=opt, batch_size=50,
            max_iter=100, tol=1e-9, random_state=np.random.default_rng(0),
        )  # fmt: skip
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    f_star = smooth(w_star)[0]
    assert smooth(w)[0] - f_star < 1e-3 * f_star


def test_every_solver_with_max_iter_zero_returns_w0_unevaluated():
    from mlfound._glm._newton import minimize_newton

    X, y = _regression()
    smooth, n = _least_squares(X, y)
    calls = []

    def counted(w, rows=None):
        calls.append(1)
        return smooth(w, rows)

    def value_grad_hess(w):
        calls.append(1)
        return (*smooth(w), X.T @ X / n)

    w0 = np.linspace(-1, 1, X.shape[1])
    penalty = make_penalty(1.0, 0.5, n, X.shape[1])
    runs = {
        "L-BFGS": lambda: minimize_lbfgs(counted, w0, max_iter=0),
        "scaled L-BFGS": lambda: minimize_lbfgs(
            counted, w0, max_iter=0, scale=np.full(w0.shape, 2.0)
        ),
        "Newton": lambda: minimize_newton(value_grad_hess, w0, max_iter=0),
        "FISTA": lambda: minimize_proximal(counted, penalty, w0, max_iter=0),
        "SGD": lambda: minimize_minibatch(
            counted, penalty, w0, n, optimizer=MiniBatchOptimizer("sgd"), max_iter=0
        ),
    }
    for name, run in runs.items():
        with pytest.warns(ConvergenceWarning, match=r"ran no iteration \(max_iter=0\)"):
            w, n_iter, converged = run()
        np.testing.assert_array_equal(w, w0, err_msg=name)
        assert w is not w0
        assert (n_iter, converged) == (0, False), name
    assert calls == []
    # the mini-batch solver can be silenced (partial_fit-style callers)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        minimize_minibatch(
            counted, None, w0, n, optimizer=MiniBatchOptimizer("adam"), max_iter=0,
            tol=None, warn=False,
        )  # fmt: skip
