"""OrdinalLogisticRegression against statsmodels, scikit-learn and the truth."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlfound._glm._cumulative_link import CumulativeLinkLoss, cut_params
from mlfound.datasets import make_star_ratings
from mlfound.metrics import (
    mean_absolute_class_error,
    mean_absolute_class_error_scorer,
    quadratic_weighted_kappa_scorer,
)
from mlfound.ordinal import OrdinalLogisticRegression

# (n_samples, n_features, n_classes, seed)
DATASETS = [(500, 3, 5, 0), (800, 4, 3, 1), (400, 2, 4, 2)]


def _statsmodels_fit(X, y, link):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    model = OrderedModel(y, X, distr=link)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(method="bfgs", disp=0, maxiter=5000, gtol=1e-10)
    return model, result


@pytest.mark.parametrize("link", ["logit", "probit"])
@pytest.mark.parametrize(("n", "d", "k", "seed"), DATASETS)
def test_matches_statsmodels_ordered_model(link, n, d, k, seed):
    data = make_star_ratings(n, n_features=d, n_classes=k, link=link, random_state=seed)
    model = OrdinalLogisticRegression(link=link, C=np.inf).fit(data.X, data.y)
    sm_model, sm_result = _statsmodels_fit(data.X, data.y, link)
    sm_coef = sm_result.params[:d]
    sm_thresholds = sm_model.transform_threshold_params(sm_result.params)[1:-1]
    np.testing.assert_allclose(model.coef_, sm_coef, atol=1e-4)
    np.testing.assert_allclose(model.thresholds_, sm_thresholds, atol=1e-4)
    np.testing.assert_allclose(
        model.predict_proba(data.X), sm_result.predict(data.X), atol=1e-6
    )
    # the exact MLE: statsmodels' own log-likelihood at our estimate is at least
    # as high as at its estimate (up to 1e-6 nats)
    ours = np.r_[model.coef_, cut_params(model.thresholds_)]
    assert sm_model.loglike(ours) >= sm_result.llf - 1e-6


def test_two_classes_logit_is_logistic_regression():
    data = make_star_ratings(600, n_features=3, n_classes=2, random_state=0)
    model = OrdinalLogisticRegression(C=np.inf, tol=1e-8).fit(data.X, data.y)
    lr = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(data.X, data.y)
    np.testing.assert_allclose(model.coef_, lr.coef_[0], atol=1e-5)
    np.testing.assert_allclose(model.thresholds_, -lr.intercept_, atol=1e-5)
    np.testing.assert_allclose(
        model.predict_proba(data.X), lr.predict_proba(data.X), atol=1e-6
    )


def _reference_penalised_fit(X, y, k, C, sample_weight):
    """Unconstrained proportional odds fit with plain NumPy and SciPy BFGS."""
    d = X.shape[1]

    def objective(w):
        beta, c = w[:d], w[d:]
        theta = np.concatenate([[c[0]], c[0] + np.cumsum(np.exp(c[1:]))])
        cum = expit(theta[None, :] - (X @ beta)[:, None])
        cum = np.hstack([np.zeros((len(y), 1)), cum, np.ones((len(y), 1))])
        p = cum[np.arange(len(y)), y + 1] - cum[np.arange(len(y)), y]
        return -np.sum(sample_weight * np.log(p)) + beta @ beta / (2 * C)

    w0 = np.r_[np.zeros(d), 0.0, np.zeros(k - 2)]
    res = scipy.optimize.minimize(objective, w0, method="BFGS", options={"gtol": 1e-9})
    theta = np.concatenate([[res.x[d]], res.x[d] + np.cumsum(np.exp(res.x[d + 1 :]))])
    return res.x[:d], theta


@pytest.mark.parametrize("C", [0.01, 1.0])
def test_l2_penalty_matches_reference(C):
    data = make_star_ratings(300, n_features=3, random_state=3)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, size=300)
    model = OrdinalLogisticRegression(C=C, tol=1e-10).fit(
        data.X, data.y, sample_weight=sw
    )
    coef, thresholds = _reference_penalised_fit(data.X, data.y - 1, 5, C, sw)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-5)
    np.testing.assert_allclose(model.thresholds_, thresholds, atol=1e-5)


def test_smaller_C_shrinks_coefficients_not_thresholds():
    data = make_star_ratings(500, n_features=3, random_state=0)
    norms = [
        np.linalg.norm(OrdinalLogisticRegression(C=C).fit(data.X, data.y).coef_)
        for C in [1e-4, 1e-2, 1.0, np.inf]
    ]
    assert np.all(np.diff(norms) > 0)
    tiny = OrdinalLogisticRegression(C=1e-8).fit(data.X, data.y)
    empirical = np.cumsum(np.bincount(data.y)[1:])[:-1] / len(data.y)
    np.testing.assert_allclose(expit(tiny.thresholds_), empirical, atol=1e-4)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog", "loglog", "cauchit"])
def test_integer_weights_equal_repeated_rows(link):
    data = make_star_ratings(200, n_features=3, link=link, random_state=1)
    weights = np.random.default_rng(0).integers(0, 4, size=200)
    weighted = OrdinalLogisticRegression(link=link, C=10.0, tol=1e-10).fit(
        data.X, data.y, sample_weight=weights
    )
    repeated = OrdinalLogisticRegression(link=link, C=10.0, tol=1e-10).fit(
        np.repeat(data.X, weights, axis=0), np.repeat(data.y, weights)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, atol=1e-8)
    np.testing.assert_allclose(weighted.thresholds_, repeated.thresholds_, atol=1e-8)


@pytest.mark.parametrize("link", ["logit", "cauchit"])
def test_sparse_dense_and_solvers_agree(link):
    data = make_star_ratings(400, n_features=4, link=link, random_state=2)
    X = data.X.copy()
    X[np.abs(X) < 0.5] = 0.0
    dense = OrdinalLogisticRegression(link=link, C=np.inf, tol=1e-9).fit(X, data.y)
    sparse = OrdinalLogisticRegression(link=link, C=np.inf, tol=1e-9).fit(
        sp.csr_matrix(X), data.y
    )
    lbfgs = OrdinalLogisticRegression(
        link=link, C=np.inf, solver="lbfgs", tol=1e-9, max_iter=1000
    ).fit(X, data.y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-10)
    np.testing.assert_allclose(sparse.thresholds_, dense.thresholds_, atol=1e-10)
    np.testing.assert_allclose(lbfgs.coef_, dense.coef_, atol=1e-5)
    np.testing.assert_allclose(lbfgs.thresholds_, dense.thresholds_, atol=1e-5)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-12
    )


def _standard_errors(model, X, y):
    """Asymptotic standard errors of (coef, c) from the exact Hessian."""
    codes = np.searchsorted(model.classes_, y)
    loss = CumulativeLinkLoss(
        X, codes, np.ones(len(y)), len(model.classes_), model.link
    )
    w = np.r_[model.coef_, cut_params(model.thresholds_)]
    _, _, hess = loss.value_grad_hess(w)
    cov = np.linalg.inv(hess * len(y))
    # delta method for the thresholds: theta = J c
    d = X.shape[1]
    m = len(model.thresholds_)
    e = np.exp(w[d:])
    e[0] = 1.0
    J = np.zeros((d + m, d + m))
    J[:d, :d] = np.eye(d)
    J[d:, d:] = np.tril(np.ones((m, m))) * e
    return np.sqrt(np.diag(J @ cov @ J.T))


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog", "loglog", "cauchit"])
def test_recovers_true_coefficients_and_cut_points(link):
    data = make_star_ratings(4000, n_features=3, link=link, random_state=7)
    model = OrdinalLogisticRegression(link=link, C=np.inf).fit(data.X, data.y)
    se = _standard_errors(model, data.X, data.y)
    estimate = np.r_[model.coef_, model.thresholds_]
    truth = np.r_[data.coef, data.thresholds]
    z = (estimate - truth) / se
    assert np.all(np.abs(z) < 4), z


def test_beats_multinomial_logistic_regression_on_star_ratings():
    data = make_star_ratings(3000, n_features=8, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, train_size=500, random_state=0
    )
    ordinal = OrdinalLogisticRegression().fit(X_train, y_train)
    multinomial = LogisticRegression().fit(X_train, y_train)
    mae_ordinal = mean_absolute_class_error(y_test, ordinal.predict(X_test))
    mae_median = mean_absolute_class_error(y_test, ordinal.predict_median(X_test))
    mae_multinomial = mean_absolute_class_error(y_test, multinomial.predict(X_test))
    assert mae_ordinal < mae_multinomial
    assert mae_median < mae_multinomial


def test_predict_median_minimises_expected_absolute_error():
    data = make_star_ratings(300, n_features=2, random_state=4)
    model = OrdinalLogisticRegression().fit(data.X, data.y)
    proba = model.predict_proba(data.X)
    k = np.arange(5)
    expected_abs = proba @ np.abs(k[:, None] - k[None, :])
    best = expected_abs.min(axis=1)
    chosen = expected_abs[
        np.arange(300), np.searchsorted(k + 1, model.predict_median(data.X))
    ]
    np.testing.assert_allclose(chosen, best, atol=1e-12)
    np.testing.assert_array_equal(
        model.predict(data.X), model.classes_[np.argmax(proba, axis=1)]
    )


def test_latent_score_and_cumulative_probabilities():
    data = make_star_ratings(200, n_features=3, random_state=5)
    model = OrdinalLogisticRegression().fit(data.X, data.y)
    score = model.latent_score(data.X)
    np.testing.assert_allclose(score, data.X @ model.coef_)
    cum = model.predict_cumulative_proba(data.X)
    np.testing.assert_allclose(cum, expit(model.thresholds_[None, :] - score[:, None]))
    assert not hasattr(model, "decision_function")


def test_labels_of_any_type_in_a_given_order():
    data = make_star_ratings(300, n_features=3, n_classes=3, random_state=6)
    words = np.array(["bad", "ok", "good"])[data.y - 1]
    reference = OrdinalLogisticRegression().fit(data.X, data.y)
    by_categories = OrdinalLogisticRegression(categories=["bad", "ok", "good"]).fit(
        data.X, words
    )
    ordered = pd.Series(
        pd.Categorical(words, categories=["bad", "ok", "good"], ordered=True)
    )
    by_pandas = OrdinalLogisticRegression().fit(data.X, ordered)
    for model in (by_categories, by_pandas):
        np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-12)
        np.testing.assert_allclose(model.thresholds_, reference.thresholds_, atol=1e-12)
        assert model.classes_.tolist() == ["bad", "ok", "good"]
    assert set(by_pandas.predict(data.X)) <= {"bad", "ok", "good"}


def test_reversed_order_mirrors_the_model():
    data = make_star_ratings(300, n_features=3, random_state=8)
    up = OrdinalLogisticRegression(C=np.inf).fit(data.X, data.y)
    down = OrdinalLogisticRegression(C=np.inf, categories=[5, 4, 3, 2, 1]).fit(
        data.X, data.y
    )
    np.testing.assert_allclose(down.coef_, -up.coef_, atol=1e-8)
    np.testing.assert_allclose(down.thresholds_, -up.thresholds_[::-1], atol=1e-8)
    np.testing.assert_allclose(
        down.predict_proba(data.X), up.predict_proba(data.X)[:, ::-1], atol=1e-10
    )


@pytest.mark.parametrize(
    ("y", "params", "match"),
    [
        (np.ones(20), {}, "class"),
        (np.arange(20) % 2, {"categories": [0, 1, 2]}, r"\[2\] do not occur"),
        (np.arange(20) % 3, {"categories": [0, 1]}, "not in categories"),
        (np.array(["a", "b"] * 10), {}, "not meaningful"),
        (
            pd.Series(pd.Categorical(["lo", "hi"] * 10, ordered=False)),
            {},
            "unordered pandas Categorical",
        ),
        (np.r_[np.arange(19) % 2, np.nan], {}, "NaN"),
    ],
)
def test_clear_errors(y, params, match):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=match):
        OrdinalLogisticRegression(**params).fit(X, y)


def test_zero_weight_class_is_an_error():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = np.arange(30) % 3
    with pytest.raises(ValueError, match="zero total sample_weight"):
        OrdinalLogisticRegression().fit(X, y, sample_weight=(y != 1).astype(float))


def test_convergence_warning_when_stopped_early():
    data = make_star_ratings(300, n_features=3, random_state=10)
    for solver in ("newton", "lbfgs"):
        with pytest.warns(ConvergenceWarning, match="failed to converge"):
            OrdinalLogisticRegression(solver=solver, max_iter=1, tol=1e-12).fit(
                data.X, data.y
            )


def test_penalty_keeps_separable_data_finite():
    X = np.linspace(-1, 1, 40)[:, None]
    y = (X[:, 0] > 0).astype(int)
    model = OrdinalLogisticRegression(C=1.0).fit(X, y)
    assert np.all(np.isfinite(model.coef_))
    assert abs(model.coef_[0]) < 20


def test_pipeline_and_grid_search_with_ordinal_scorers():
    data = make_star_ratings(400, n_features=3, random_state=9)
    pipe = make_pipeline(StandardScaler(), OrdinalLogisticRegression())
    for scoring in (mean_absolute_class_error_scorer, quadratic_weighted_kappa_scorer):
        search = GridSearchCV(
            pipe,
            {"ordinallogisticregression__link": ["logit", "probit"]},
            scoring=scoring,
            cv=3,
        ).fit(data.X, data.y)
        assert np.isfinite(search.best_score_)


# ---------------------------------------------------------------- bad input


def _run_child(code):
    """Run ``code`` in a fresh interpreter: a segfault fails the test, not the run."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


@pytest.mark.parametrize(
    "method",
    ["fit", "predict", "predict_proba", "predict_log_proba", "predict_median",
     "predict_cumulative_proba", "latent_score", "score"],
)  # fmt: skip
def test_malformed_csr_is_rejected_before_any_kernel(method):
    data = make_star_ratings(300, n_features=4, random_state=3)
    bad = sp.csr_matrix(data.X)
    bad.indices[5] = 10**7
    model = OrdinalLogisticRegression().fit(data.X, data.y)
    call = {
        "fit": lambda: OrdinalLogisticRegression().fit(bad, data.y),
        "score": lambda: model.score(bad, data.y),
    }.get(method, lambda: getattr(model, method)(bad))
    with pytest.raises(
        ValueError, match=r"X is a malformed CSR matrix: column index 10000000"
    ):
        call()


def test_malformed_csr_no_longer_crashes_the_process():
    out = _run_child(
        "import numpy as np, scipy.sparse as sp\n"
        "from mlfound.ordinal import OrdinalLogisticRegression\n"
        "rng = np.random.default_rng(0)\n"
        "X = rng.normal(size=(300, 4))\n"
        "y = np.digitize(X[:, 0] + rng.logistic(size=300), [-1, 0, 1])\n"
        "Xs = sp.csr_matrix(X); Xs.indices[5] = 10**7\n"
        "try:\n"
        "    OrdinalLogisticRegression().fit(Xs, y)\n"
        "except ValueError as exc:\n"
        "    print('caught', exc)\n"
    )
    assert out.startswith("caught X is a malformed CSR matrix")


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
def test_int64_and_int32_csr_indices_give_the_same_model(solver):
    data = make_star_ratings(400, n_features=5, random_state=4)
    X = data.X.copy()
    X[np.abs(X) < 0.5] = 0.0
    X32 = sp.csr_matrix(X)
    X64 = X32.copy()
    X64.indices = X64.indices.astype(np.int64)
    X64.indptr = X64.indptr.astype(np.int64)
    ref = OrdinalLogisticRegression(solver=solver).fit(X32, data.y)
    model = OrdinalLogisticRegression(solver=solver).fit(X64, data.y)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-12)
    np.testing.assert_allclose(model.thresholds_, ref.thresholds_, rtol=1e-12)
    np.testing.assert_allclose(
        model.predict_proba(X64), ref.predict_proba(X32), rtol=1e-12
    )


def _separable(n_classes, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 3))
    y = np.digitize(X[:, 0] - 0.5 * X[:, 1], np.linspace(-0.8, 0.8, n_classes - 1))
    return X, y


@pytest.mark.parametrize("solver", ["newton", "lbfgs"])
@pytest.mark.parametrize("n_classes", [2, 3, 4])
@pytest.mark.parametrize("sparse", [False, True])
def test_separable_data_without_penalty_warns(solver, n_classes, sparse):
    X, y = _separable(n_classes)
    X = sp.csr_matrix(X) if sparse else X
    boundaries = ", ".join(f"{k} | {k + 1}" for k in range(n_classes - 1))
    with pytest.warns(ConvergenceWarning) as record:
        model = OrdinalLogisticRegression(C=np.inf, solver=solver).fit(X, y)
    messages = [str(w.message) for w in record]
    match = [m for m in messages if "maximum-likelihood estimate does not exist" in m]
    assert len(match) == 1, messages
    assert f"at the boundaries {boundaries}:" in match[0]
    assert "Use a finite C" in match[0]
    # an independent witness that no maximum exists: doubling the fitted
    # parameters lowers the unpenalised loss further
    loss = CumulativeLinkLoss(X, y, np.ones(len(y)), n_classes, "logit")
    w = np.r_[model.coef_, cut_params(model.thresholds_)]
    doubled = np.r_[2 * model.coef_, cut_params(2 * model.thresholds_)]
    assert loss.value_and_grad(doubled)[0] < loss.value_and_grad(w)[0]
    # a finite C has a finite optimum: no warning at all
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OrdinalLogisticRegression(C=1.0, solver=solver).fit(X, y)


def test_only_the_separated_boundary_is_named():
    rng = np.random.default_rng(5)
    x = np.r_[rng.uniform(-6, -4, 60), rng.uniform(0, 3, 240)]
    y = np.r_[np.zeros(60, int), (rng.uniform(0, 3, 240) < x[60:]).astype(int) + 1]
    X = x[:, None]
    # in one dimension a boundary cut off by a gap is a recession direction
    # only if the overlapping classes allow any slope; here they do not, so
    # the maximum exists (warn nothing) ...
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OrdinalLogisticRegression(C=np.inf).fit(X, y)
    # ... while an indicator of class 0 (constant on the other classes)
    # gives one along which only boundary 0 sharpens
    X2 = np.c_[rng.normal(size=300) + y, (y == 0).astype(float)]
    with pytest.warns(ConvergenceWarning, match=r"at the boundaries 0 \| 1: "):
        OrdinalLogisticRegression(C=np.inf).fit(X2, y)


def test_overlapping_classes_without_penalty_do_not_warn():
    from sklearn.datasets import load_iris

    data = make_star_ratings(1000, n_features=3, random_state=0)
    X_iris, y_iris = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        OrdinalLogisticRegression(C=np.inf).fit(data.X, data.y)
        # setosa is far from the others, yet the shared slope is pinned by
        # versicolor | virginica, which overlap: the maximum exists
        OrdinalLogisticRegression(C=np.inf).fit(X_iris, y_iris)


def test_max_iter_zero_returns_the_starting_point():
    data = make_star_ratings(300, n_features=3, random_state=6)
    with pytest.warns(ConvergenceWarning, match=r"ran no iteration \(max_iter=0\)"):
        model = OrdinalLogisticRegression(max_iter=0).fit(data.X, data.y)
    assert model.n_iter_ == 0
    np.testing.assert_array_equal(model.coef_, 0.0)
    # the intercept-only cut points: logits of the cumulative class shares
    shares = np.cumsum(np.bincount(np.searchsorted(model.classes_, data.y)))[:-1]
    np.testing.assert_allclose(
        model.thresholds_, scipy.special.logit(shares / len(data.y)), rtol=1e-12
    )
