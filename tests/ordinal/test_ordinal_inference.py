"""Likelihood summaries, nominal and scale effects of OrdinalLogisticRegression.

References: statsmodels ``OrderedModel`` (UCLA ologit data shipped with
statsmodels, simulated data), the published R ``ordinal::clm`` fits of the
wine data, finite differences and an independent SciPy likelihood.
"""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.sparse as sp
from scipy import stats

from mlfound._glm._cumulative_link import CumulativeLinkLoss, link_cdf
from mlfound._glm._penalties import ElasticNetPenalty
from mlfound.datasets import make_star_ratings
from mlfound.ordinal import OrdinalLogisticRegression, likelihood_ratio_test

SM_DISTR = {
    "logit": "logit",
    "probit": "probit",
    "cloglog": stats.gumbel_l,  # 1 - exp(-exp(z))
    "loglog": stats.gumbel_r,  # exp(-exp(-z))
    "cauchit": stats.cauchy,
}


def _ucla():
    statsmodels = pytest.importorskip("statsmodels")
    path = os.path.join(
        os.path.dirname(statsmodels.__file__),
        "miscmodels",
        "tests",
        "results",
        "ologit_ucla.csv",
    )
    if not os.path.exists(path):
        pytest.skip("statsmodels ships no ologit_ucla.csv")
    data = pd.read_csv(path)
    cats = ["unlikely", "somewhat likely", "very likely"]
    y = pd.Series(pd.Categorical(data["apply"], categories=cats, ordered=True))
    return data[["pared", "public", "gpa"]], y


def _statsmodels(X, y, link, cov_type="nonrobust"):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    model = OrderedModel(y, X, distr=SM_DISTR[link])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = model.fit(
            method="bfgs", disp=0, maxiter=5000, gtol=1e-10, cov_type=cov_type
        )
    # standard errors of the cut points themselves (delta method on
    # statsmodels' log-increment parametrisation)
    d = X.shape[1]
    c = np.asarray(result.params)[d:]
    m = c.size
    e = np.exp(c)
    e[0] = 1.0
    J = np.eye(d + m)
    J[d:, d:] = np.tril(np.ones((m, m))) * e
    cov = J @ np.asarray(result.cov_params()) @ J.T
    return result, np.sqrt(np.diag(cov))


def _check_against_statsmodels(model, X, y, link, cov_type="nonrobust"):
    result, bse = _statsmodels(X, y, link, cov_type)
    summary = model.summary(cov_type="robust" if cov_type == "HC0" else "nonrobust")
    assert model.loglik_ == pytest.approx(result.llf, rel=1e-9)
    assert model.aic() == pytest.approx(result.aic, rel=1e-9)
    assert model.bic() == pytest.approx(result.bic, rel=1e-9)
    assert summary.aic == pytest.approx(result.aic, rel=1e-9)
    # statsmodels differentiates numerically: agreement to 1e-5 relative
    np.testing.assert_allclose(summary.bse, bse, rtol=1e-5)
    d = X.shape[1]
    np.testing.assert_allclose(summary.zvalues[:d], result.tvalues[:d], rtol=1e-5)
    # p-values far in the tail amplify the SE's relative error by z^2
    np.testing.assert_allclose(
        summary.pvalues[:d], result.pvalues[:d], rtol=1e-5, atol=1e-12
    )


@pytest.mark.parametrize("link", sorted(SM_DISTR))
def test_summary_equals_statsmodels_on_ucla_data(link):
    X, y = _ucla()
    model = OrdinalLogisticRegression(link=link, C=np.inf, tol=1e-10).fit(X, y)
    _check_against_statsmodels(model, X, y, link)
    names = model.summary().names
    assert names == [
        "pared",
        "public",
        "gpa",
        "unlikely|somewhat likely",
        "somewhat likely|very likely",
    ]


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_summary_equals_statsmodels_on_simulated_data(link):
    data = make_star_ratings(600, n_features=3, link=link, random_state=3)
    model = OrdinalLogisticRegression(link=link, C=np.inf, tol=1e-10)
    model.fit(data.X, data.y)
    _check_against_statsmodels(model, data.X, data.y, link)


def test_robust_covariance_equals_statsmodels_hc0():
    X, y = _ucla()
    model = OrdinalLogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    _check_against_statsmodels(model, X, y, "logit", cov_type="HC0")


def test_integer_weights_equal_repeated_rows_for_inference():
    data = make_star_ratings(150, n_features=2, random_state=1)
    weights = np.random.default_rng(0).integers(1, 4, size=150)
    kw = {"C": np.inf, "tol": 1e-10, "scale": [1]}
    weighted = OrdinalLogisticRegression(**kw).fit(
        data.X, data.y, sample_weight=weights
    )
    repeated = OrdinalLogisticRegression(**kw).fit(
        np.repeat(data.X, weights, axis=0), np.repeat(data.y, weights)
    )
    assert weighted.nobs_ == repeated.nobs_ == weights.sum()
    assert weighted.loglik_ == pytest.approx(repeated.loglik_, rel=1e-10)
    for cov_type in ("nonrobust", "robust"):
        np.testing.assert_allclose(
            weighted.covariance(cov_type), repeated.covariance(cov_type), rtol=1e-7
        )


def test_penalised_covariance_is_the_inverse_penalised_hessian():
    data = make_star_ratings(300, n_features=3, random_state=2)
    C = 0.05
    model = OrdinalLogisticRegression(C=C, tol=1e-10).fit(data.X, data.y)
    # written out: Hessian of sum_i -log p_i + |beta|^2 / (2 C) on the
    # (beta, theta) scale by finite differences of an independent NumPy loss
    y = data.y - 1
    d = 3

    def objective(v):
        beta, theta = v[:d], v[d:]
        cum = link_cdf(theta[None, :] - (data.X @ beta)[:, None], "logit")
        cum = np.hstack([np.zeros((len(y), 1)), cum, np.ones((len(y), 1))])
        p = cum[np.arange(len(y)), y + 1] - cum[np.arange(len(y)), y]
        return -np.sum(np.log(p)) + beta @ beta / (2 * C)

    v = np.r_[model.coef_, model.thresholds_]
    eps = 1e-4
    H = np.empty((v.size, v.size))
    for j in range(v.size):
        e = np.zeros(v.size)
        e[j] = eps
        H[:, j] = scipy.optimize.approx_fprime(v + e, objective, 1e-6) - (
            scipy.optimize.approx_fprime(v - e, objective, 1e-6)
        )
        H[:, j] /= 2 * eps
    np.testing.assert_allclose(model.covariance(), np.linalg.inv(H), rtol=2e-3)
    notes = " ".join(model.summary().notes)
    assert "inverse of the penalised Hessian" in notes
    assert "C=np.inf for classical standard errors" in notes


def test_summary_table_prints_names_and_columns():
    data = make_star_ratings(300, n_features=2, random_state=0)
    X = pd.DataFrame(data.X, columns=["price", "delay"])
    model = OrdinalLogisticRegression(C=np.inf, nominal=["delay"]).fit(X, data.y)
    text = str(model.summary())
    for token in ("price", "1|2", "4|5", "delay:1|2", "delay:4|5", "P>|z|"):
        assert token in text
    frame = model.summary().to_frame()
    assert frame.shape == (model.n_params_, 6)
    assert model.n_params_ == 1 + 4 + 4


def test_separation_is_flagged_in_fit_and_summary():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.digitize(X[:, 0] - 0.5 * X[:, 1], [-0.8, 0.0, 0.8])
    with pytest.warns(Warning, match="maximum-likelihood estimate does not exist"):
        model = OrdinalLogisticRegression(C=np.inf).fit(X, y)
    # the table's notes say so (its Hessian is near singular)
    assert any("separate the classes" in n for n in model._summary_notes())
    # the usual simulated data: nothing flagged, nominal and scale fits too
    data = make_star_ratings(1000, n_features=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for kw in ({}, {"nominal": [2]}, {"scale": [1]}):
            m = OrdinalLogisticRegression(C=np.inf, **kw).fit(data.X, data.y)
            assert not any("separate" in n for n in m.summary().notes)


def test_separation_found_through_a_nominal_fit():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 2))
    y = np.digitize(X[:, 0], [-0.5, 0.5])
    with pytest.warns(Warning, match="does not exist"):
        OrdinalLogisticRegression(C=np.inf, nominal=[1]).fit(X, y)


# ------------------------------------------------------------- wine (R clm)

# The wine data of R's ordinal package (Randall 1989; 72 rows, 9 judges x
# 2 bottles x temp x contact), rows in the package's order.
_RATING = "233444551213235423325544323232532343333332322454112223232223333412323244"


def _wine():
    y = np.array([int(c) for c in _RATING])
    temp = np.tile(np.repeat([0.0, 1.0], 4), 9)  # cold, warm
    contact = np.tile(np.repeat([0.0, 1.0], 2), 18)  # no, yes
    return pd.DataFrame({"temp": temp, "contact": contact}), y


# Published values: R. H. B. Christensen, "A Tutorial on fitting Cumulative
# Link Models with the ordinal Package" (the package's clm_tutorial
# vignette), sections 2-4: summary(fm1), summary(fm.nom), fm.nom$Theta,
# anova(fm1, fm.nom) and summary(fm.sca). Compared at the printed precision.
R_NOMINAL = {
    "loglik": -86.209,
    "coef": {"temp": (2.519, 0.535)},
    "thresholds": {
        "1|2": (-1.3230, 0.5623),
        "2|3": (1.2464, 0.4748),
        "3|4": (3.5500, 0.6560),
        "4|5": (4.6602, 0.8604),
        "contact:1|2": (-1.6151, 1.1618),
        "contact:2|3": (-1.5116, 0.5906),
        "contact:3|4": (-1.6748, 0.6488),
        "contact:4|5": (-1.0506, 0.8965),
    },
    "theta_contact_yes": [-2.938103, -0.2651238, 1.875288, 3.609624],
    "aic": 190.42,
}
R_SCALE = {
    "loglik": -86.44,
    "aic": 186.88,
    "coef": {
        "temp": (2.6294, 0.6860),
        "contact": (1.5878, 0.5301),
        "scale(temp)": (0.09536, 0.29414),
        "1|2": (-1.3520, 0.5223),
        "2|3": (1.2730, 0.4533),
        "3|4": (3.6170, 0.7774),
        "4|5": (5.2982, 1.2027),
    },
}
R_PO_LOGLIK = -86.492
R_LR = (0.5667, 3, 0.904)


def _half_unit(value):
    """Half a unit in the last printed digit of a published number."""
    text = f"{value}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals + 1e-12


def _check_published(model, table):
    summary = model.summary()
    pairs = zip(summary.params, summary.bse, strict=True)
    lookup = dict(zip(summary.names, pairs, strict=True))
    for name, (coef, se) in table.items():
        assert lookup[name][0] == pytest.approx(coef, abs=_half_unit(coef)), name
        assert lookup[name][1] == pytest.approx(se, abs=_half_unit(se)), name


def test_wine_nominal_effects_equal_published_clm_fit():
    X, y = _wine()
    model = OrdinalLogisticRegression(C=np.inf, tol=1e-10, nominal=["contact"])
    model.fit(X, y)
    assert model.loglik_ == pytest.approx(R_NOMINAL["loglik"], abs=5e-4)
    assert model.aic() == pytest.approx(R_NOMINAL["aic"], abs=5e-3)
    _check_published(model, {**R_NOMINAL["coef"], **R_NOMINAL["thresholds"]})
    np.testing.assert_allclose(
        model.thresholds_ + model.nominal_coef_[:, 0],
        R_NOMINAL["theta_contact_yes"],
        atol=5e-6,
    )
    assert model.coef_[1] == 0.0  # contact has no location slope
    assert model.nominal_coef_.shape == (4, 1)


def test_wine_scale_effects_equal_published_clm_fit():
    X, y = _wine()
    model = OrdinalLogisticRegression(C=np.inf, tol=1e-10, scale=["temp"]).fit(X, y)
    assert model.loglik_ == pytest.approx(R_SCALE["loglik"], abs=5e-3)
    assert model.aic() == pytest.approx(R_SCALE["aic"], abs=5e-3)
    _check_published(model, R_SCALE["coef"])


def test_proportional_odds_lr_test_on_wine():
    X, y = _wine()
    po = OrdinalLogisticRegression(C=np.inf, tol=1e-10).fit(X, y)
    nom = OrdinalLogisticRegression(C=np.inf, tol=1e-10, nominal=["contact"])
    nom.fit(X, y)
    assert po.loglik_ == pytest.approx(R_PO_LOGLIK, abs=5e-4)
    result = likelihood_ratio_test(po, nom)
    assert result.statistic == 2 * (nom.loglik_ - po.loglik_)
    assert result.df == nom.n_params_ - po.n_params_ == 3
    assert result.pvalue == stats.chi2.sf(result.statistic, 3)
    assert result.statistic == pytest.approx(R_LR[0], abs=5e-5)
    assert result.pvalue == pytest.approx(R_LR[2], abs=5e-4)
    with pytest.raises(ValueError, match="swap the arguments"):
        likelihood_ratio_test(nom, po)
    with pytest.raises(ValueError, match="different data"):
        likelihood_ratio_test(po.fit(X[:60], y[:60]), nom)


def _scipy_effects_fit(X, y, nominal, scale, link):
    """Independent MLE of the full model on (beta, G, gamma, theta) by BFGS."""
    n_cuts = y.max()
    loc = [j for j in range(X.shape[1]) if j not in nominal]
    p, q, r = len(loc), len(nominal), len(scale)

    def negloglik(v):
        beta = v[:p]
        G = v[p : p + n_cuts * q].reshape(n_cuts, q)
        gamma = v[p + n_cuts * q : p + n_cuts * q + r]
        theta = v[-n_cuts:]
        cuts = theta[None, :] + X[:, nominal] @ G.T
        arg = (cuts - (X[:, loc] @ beta)[:, None]) / np.exp(X[:, scale] @ gamma)[
            :, None
        ]
        cum = np.hstack(
            [np.zeros((len(y), 1)), link_cdf(arg, link), np.ones((len(y), 1))]
        )
        prob = cum[np.arange(len(y)), y + 1] - cum[np.arange(len(y)), y]
        return np.inf if np.any(prob <= 0) else -np.sum(np.log(prob))

    v0 = np.r_[np.zeros(p + n_cuts * q + r), np.linspace(-1, 1, n_cuts)]
    res = scipy.optimize.minimize(negloglik, v0, method="BFGS", options={"gtol": 1e-8})
    return res.x, -res.fun


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_nominal_and_scale_equal_an_independent_scipy_mle(link):
    data = make_star_ratings(400, n_features=3, n_classes=4, link=link, random_state=5)
    y = data.y - 1
    model = OrdinalLogisticRegression(
        link=link, C=np.inf, tol=1e-10, nominal=[1], scale=[2]
    ).fit(data.X, y)
    v, loglik = _scipy_effects_fit(data.X, y, [1], [2], link)
    assert model.loglik_ == pytest.approx(loglik, abs=1e-6)
    ours = np.r_[
        model.coef_[[0, 2]],
        model.nominal_coef_.ravel(),
        model.scale_coef_,
        model.thresholds_,
    ]
    np.testing.assert_allclose(ours, v, atol=1e-4)
    proba = model.predict_proba(data.X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog", "loglog", "cauchit"])
@pytest.mark.parametrize("sparse", [False, True])
def test_effects_kernel_matches_finite_differences(link, sparse):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    y = rng.integers(0, 4, size=80)
    sw = rng.uniform(0.2, 2.0, size=80)
    location = np.array([True, True, False, True])
    loss = CumulativeLinkLoss(
        sp.csr_matrix(X) if sparse else X,
        y,
        sw,
        4,
        link,
        ElasticNetPenalty(0.1, 0.0, 3 + 3 + 2),
        location=location,
        Z=X[:, [2]],
        S=X[:, [0, 3]],
    )
    w = loss.initial_params()
    w[: loss.n_coef] = rng.normal(scale=0.2, size=loss.n_coef)
    w[3:6] = 0.05 * rng.normal(size=3)  # small nominal effects: no crossing
    _, grad, hess = loss.value_grad_hess(w)
    eps = 1e-6
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = eps
        fp, gp = loss.value_and_grad(w + e)
        fm, gm = loss.value_and_grad(w - e)
        assert grad[j] == pytest.approx((fp - fm) / (2 * eps), abs=1e-7)
        np.testing.assert_allclose(hess[:, j], (gp - gm) / (2 * eps), atol=1e-6)


def test_effects_kernel_reduces_to_the_proportional_odds_kernel():
    data = make_star_ratings(200, n_features=3, random_state=0)
    plain = CumulativeLinkLoss(data.X, data.y - 1, np.ones(200), 5, "probit")
    w = plain.initial_params() + 0.1
    general = CumulativeLinkLoss(data.X, data.y - 1, np.ones(200), 5, "probit")
    general.effects = True
    for a, b in zip(plain.value_grad_hess(w), general.value_grad_hess(w), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_crossing_cumulative_probabilities_warn_and_are_rearranged():
    X, y = _wine()
    model = OrdinalLogisticRegression(C=np.inf, nominal=["contact"]).fit(X, y)
    far = pd.DataFrame({"temp": [0.0, 0.0], "contact": [0.0, 40.0]})
    with pytest.warns(UserWarning, match="crossing cumulative probabilities"):
        cum = model.predict_cumulative_proba(far)
    assert np.all(np.diff(cum, axis=1) >= 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict_proba(X)  # the training range: no crossing


def test_sparse_input_with_effects_equals_dense():
    data = make_star_ratings(300, n_features=3, random_state=4)
    X = data.X.copy()
    X[np.abs(X) < 0.4] = 0.0
    kw = {"C": np.inf, "tol": 1e-10, "nominal": [0], "scale": [2]}
    dense = OrdinalLogisticRegression(**kw).fit(X, data.y)
    sparse = OrdinalLogisticRegression(**kw).fit(sp.csr_matrix(X), data.y)
    np.testing.assert_allclose(sparse.nominal_coef_, dense.nominal_coef_, atol=1e-9)
    np.testing.assert_allclose(sparse.scale_coef_, dense.scale_coef_, atol=1e-9)
    np.testing.assert_allclose(sparse.covariance(), dense.covariance(), rtol=1e-7)
    np.testing.assert_allclose(
        sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-10
    )


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"nominal": [5]}, ValueError, r"outside \[0, 3\)"),
        ({"nominal": ["a"]}, ValueError, "no feature names"),
        ({"nominal": [0, 0]}, ValueError, "more than once"),
        ({"nominal": [0.5]}, TypeError, "column indices"),
        ({"nominal": 1}, ValueError, "must be None or an array-like"),
        ({"nominal": np.array(1)}, TypeError, r"wrap a single column in a list"),
        ({"nominal": [True, False]}, ValueError, "one entry per feature"),
        ({"nominal": [0], "scale": [0]}, ValueError, "both in nominal and in scale"),
    ],
)
def test_bad_column_selections(params, error, match):
    data = make_star_ratings(60, n_features=3, random_state=0)
    with pytest.raises(error, match=match):
        OrdinalLogisticRegression(**params).fit(data.X, data.y)
