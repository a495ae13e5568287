"""The focal boosting objective, its starting score and the booster set-up.

References: finite differences and the focal loss written out in NumPy; the
built-in log-loss objectives of LightGBM and XGBoost (gamma=0 must reproduce
them); brute-force minimisation of the constant score.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score

from mlfound.linear_model import (
    FocalBoostingObjective,
    focal_init_score,
    focal_objective,
    focal_to_posterior,
)


def _softmax_focal_loss(y, raw, gamma, alpha, eps):
    """Per-sample softmax focal loss, written out."""
    k = raw.shape[1]
    z = raw - raw.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    t = np.full(raw.shape, eps / (k - 1))
    t[np.arange(len(y)), y] = 1 - eps
    return -(alpha * t * (1 - np.exp(logp)) ** gamma * logp).sum(axis=1)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_softmax_gradient_and_hessian_match_finite_differences(gamma, eps):
    rng = np.random.default_rng(0)
    k, n = 4, 60
    y = rng.integers(0, k, n)
    raw = rng.normal(scale=3, size=(n, k))
    alpha = rng.uniform(0.2, 2.0, k)
    sw = rng.uniform(0.5, 2.0, n)
    exact = focal_objective(gamma, alpha, label_smoothing=eps, hessian="exact")
    grad, hess = exact(y, raw, sw)
    d = 1e-6
    for j in range(k):
        step = np.zeros(k)
        step[j] = d
        f_plus = _softmax_focal_loss(y, raw + step, gamma, alpha, eps)
        f_minus = _softmax_focal_loss(y, raw - step, gamma, alpha, eps)
        np.testing.assert_allclose(
            grad[:, j], sw * (f_plus - f_minus) / (2 * d), rtol=1e-6, atol=1e-8
        )
        g_plus = exact(y, raw + step, sw)[0][:, j]
        g_minus = exact(y, raw - step, sw)[0][:, j]
        np.testing.assert_allclose(
            hess[:, j], (g_plus - g_minus) / (2 * d), rtol=1e-5, atol=1e-8
        )
    _, sub = focal_objective(gamma, alpha, label_smoothing=eps)(y, raw, sw)
    assert np.all(sub > 0)
    assert np.all(sub >= hess)
    if gamma == 0:
        np.testing.assert_array_equal(sub, hess)


def test_softmax_at_gamma_zero_is_the_cross_entropy():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 40)
    raw = rng.normal(size=(40, 3))
    p = np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True)
    grad, hess = focal_objective(gamma=0.0)(y, raw)
    np.testing.assert_allclose(grad, p - np.eye(3)[y], atol=1e-12)
    np.testing.assert_allclose(hess, p * (1 - p), rtol=1e-10)


def test_exact_hessian_turns_negative_and_the_substitute_does_not():
    y = np.array([0, 1, 2])
    raw = np.array([[-6.0, 3.0, 0.0], [0.0, 1.0, 0.0], [4.0, 0.0, -5.0]])
    _, exact = focal_objective(gamma=2.0, hessian="exact")(y, raw)
    _, sub = focal_objective(gamma=2.0)(y, raw)
    assert np.any(exact < 0)
    assert np.all(sub > 0)


def test_lightgbm_class_major_layout_equals_the_matrix_layout():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 30)
    raw = rng.normal(size=(30, 3))
    objective = focal_objective(gamma=1.5, alpha=[0.5, 1.0, 2.0], n_classes=3)
    grad, hess = objective(y, raw)
    flat_grad, flat_hess = objective(y, raw.T.reshape(-1))
    np.testing.assert_array_equal(flat_grad, grad.T.reshape(-1))
    np.testing.assert_array_equal(flat_hess, hess.T.reshape(-1))


class _DataLike:
    """The two methods of lightgbm.Dataset / xgboost.DMatrix an objective reads."""

    def __init__(self, label, weight):
        self._label, self._weight = label, weight

    def get_label(self):
        return self._label

    def get_weight(self):
        return self._weight


def test_native_call_reads_labels_and_weights_from_the_data():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 20).astype(np.float32)
    raw = rng.normal(size=20)
    sw = rng.uniform(0.5, 2, 20)
    objective = focal_objective(gamma=2.0, alpha=0.25)
    expected = objective(y, raw, sw)
    for got in (objective(raw, _DataLike(y, sw)),):
        np.testing.assert_array_equal(got[0], expected[0])
    # no weights: XGBoost gives an empty array, LightGBM None
    for empty in (np.array([]), None):
        np.testing.assert_array_equal(
            objective(raw, _DataLike(y, empty))[0], objective(y, raw)[0]
        )
    with pytest.raises(TypeError, match="raw scores first"):
        objective(_DataLike(y, None), raw)


@pytest.mark.parametrize(
    ("kwargs", "y", "raw", "error", "match"),
    [
        ({}, [0, 1], np.zeros(6), ValueError, "n_classes=3 to read it"),
        ({"n_classes": 3}, [0, 1], np.zeros(5), ValueError, "n_samples \\* n_classes"),
        ({"n_classes": 3}, [0, 1], np.zeros((2, 4)), ValueError, "4 columns"),
        ({}, [0, 3], np.zeros((2, 3)), ValueError, r"class codes 0, ..., 2.*\[3"),
        ({}, [0, 1.5], np.zeros((2, 3)), ValueError, "class codes"),
        ({}, [0, 1], np.zeros((3, 3)), ValueError, "3 rows but y_true has 2"),
        ({}, [0, 1], np.zeros((2, 2)), ValueError, "two columns"),
        ({"alpha": 0.25}, [0, 1], np.zeros((2, 3)), ValueError, "float alpha"),
        ({"alpha": [1.0, 2.0]}, [0, 1], np.zeros((2, 3)), ValueError, "shape"),
        ({}, [0, 1], [[0.0, 1, np.inf]] * 2, ValueError, "NaN or infinity"),
    ],
)
def test_objective_rejects_what_does_not_fit(kwargs, y, raw, error, match):
    with pytest.raises(error, match=match):
        focal_objective(**kwargs)(np.asarray(y), np.asarray(raw))


def test_balanced_alpha_uses_the_weighted_class_counts():
    y = np.array([0, 0, 0, 1, 2, 2])
    raw = np.zeros((6, 3))
    counts = np.bincount(y)
    alpha = len(y) / (3 * counts)
    expected = focal_objective(gamma=2.0, alpha=alpha)(y, raw)[0]
    got = focal_objective(gamma=2.0, alpha="balanced")(y, raw)[0]
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_init_score_minimises_the_focal_loss_of_a_constant(gamma):
    rng = np.random.default_rng(4)
    y = (rng.uniform(size=300) < 0.08).astype(int)
    sw = rng.uniform(0.5, 2.0, 300)
    c = focal_init_score(y, gamma=gamma, alpha=0.25, sample_weight=sw)
    grid = np.linspace(-6, 4, 20_001)
    p = 1 / (1 + np.exp(-grid))
    pos, neg = sw[y == 1].sum(), sw[y == 0].sum()
    losses = -0.25 * pos * (1 - p) ** gamma * np.log(p)
    losses -= 0.75 * neg * p**gamma * np.log(1 - p)
    assert abs(c - grid[np.argmin(losses)]) < 1e-3
    if gamma == 0:  # the alpha-weighted log-odds, in closed form
        assert c == pytest.approx(np.log(0.25 * pos / (0.75 * neg)), abs=1e-12)


def test_multiclass_init_score_zeroes_the_gradient_of_a_constant():
    y = np.r_[np.zeros(70), np.ones(20), np.full(10, 2)].astype(int)
    c = focal_init_score(y, gamma=2.0, alpha=[1.0, 2.0, 3.0], label_smoothing=0.05)
    grad, _ = focal_objective(2.0, [1.0, 2.0, 3.0], label_smoothing=0.05)(
        y, np.tile(c, (100, 1))
    )
    np.testing.assert_allclose(grad.sum(axis=0), 0.0, atol=1e-8)
    assert c.sum() == pytest.approx(0.0, abs=1e-12)
    plain = focal_init_score(y, gamma=0.0)
    log_prior = np.log([0.7, 0.2, 0.1])
    np.testing.assert_allclose(plain, log_prior - log_prior.mean(), atol=1e-12)


def test_hessian_scale_matches_the_log_loss_curvature():
    rng = np.random.default_rng(5)
    y = (rng.uniform(size=2000) < 0.02).astype(int)
    setup = FocalBoostingObjective(gamma=2.0, alpha=0.25).for_xgboost(y)
    raw = np.full(len(y), setup.start)
    _, hess = setup.objective(y, raw)
    pi = y.mean()
    assert hess.sum() == pytest.approx(len(y) * pi * (1 - pi), rel=1e-10)
    _, unscaled = focal_objective(gamma=2.0, alpha=0.25)(y, raw)
    np.testing.assert_allclose(hess, setup.hessian_scale * unscaled, rtol=1e-12)
    plain = FocalBoostingObjective(gamma=0.0, alpha=None).for_lightgbm(y)
    assert plain.hessian_scale == 1.0
    with pytest.warns(UserWarning, match="min_child_weight=1"):
        FocalBoostingObjective(hessian_scale=1e-3).for_xgboost(y)


def test_predict_proba_adds_the_start_and_maps_to_the_posterior():
    y = np.r_[np.zeros(80), np.ones(20)].astype(int)
    helper = FocalBoostingObjective(gamma=2.0, alpha=0.25, posterior=True)
    lgb_setup = helper.for_lightgbm(y)
    xgb_setup = helper.for_xgboost(y)
    margin = np.array([-1.0, 0.0, 2.0])
    p = 1 / (1 + np.exp(-(margin + lgb_setup.start)))
    expected = focal_to_posterior(np.c_[1 - p, p], gamma=2.0, alpha=0.25)
    np.testing.assert_allclose(lgb_setup.predict_proba(margin), expected)
    np.testing.assert_allclose(
        xgb_setup.predict_proba(margin + lgb_setup.start), expected
    )
    with pytest.raises(ValueError, match="must be 1-d"):
        lgb_setup.predict_proba(np.zeros((3, 2)))


@pytest.mark.parametrize(
    ("kwargs", "y", "sw", "error", "match"),
    [
        ({"gamma": -1.0}, [0, 1], None, ValueError, "'gamma' parameter"),
        ({"hessian_scale": 0.0}, [0, 1], None, ValueError, "'hessian_scale'"),
        ({}, [0, 1, 2], None, ValueError, "float alpha"),
        ({"alpha": None}, [0, -1], None, ValueError, "class codes"),
        ({"alpha": None}, [0, 2**40], None, ValueError, "more than 10,000"),
        ({"alpha": None}, [0, np.nan], None, ValueError, "NaN"),
        ({"alpha": None}, [], None, ValueError, "empty"),
        ({"alpha": None}, [0, 1], [1.0, -1.0], ValueError, "non-negative"),
        ({"alpha": None}, [0, 1], [0.0, 0.0], ValueError, "sums to zero"),
        ({"alpha": None, "n_classes": 2}, [0, 2], None, ValueError, "binary"),
    ],
)
def test_setup_rejects_bad_parameters_and_labels(kwargs, y, sw, error, match):
    with pytest.raises(error, match=match):
        FocalBoostingObjective(**kwargs).for_lightgbm(np.asarray(y), sw)


# ---------------------------------------------------------------------------
# Real boosters


def _data(n_classes, n=500):
    weights = [0.9] if n_classes == 2 else [0.75, 0.15]
    X, y = make_classification(
        n, 6, n_informative=4, n_classes=n_classes, weights=weights, random_state=0
    )
    sw = np.random.default_rng(0).uniform(0.5, 2.0, n)
    return X, y, sw


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_lightgbm_gamma_zero_reproduces_the_built_in_log_loss(n_classes, weighted):
    lgb = pytest.importorskip("lightgbm")
    X, y, sw = _data(n_classes)
    sw = sw if weighted else None
    setup = FocalBoostingObjective(gamma=0.0, alpha=None).for_lightgbm(y, sw)
    common = {"n_estimators": 20, "num_leaves": 7, "min_child_samples": 5, "n_jobs": 1}
    built_in = lgb.LGBMClassifier(**common, verbose=-1).fit(X, y, sample_weight=sw)
    custom = lgb.LGBMClassifier(objective=setup.objective, **common, verbose=-1)
    custom.fit(X, y, sample_weight=sw, init_score=setup.init_score)
    expected = built_in.predict_proba(X)
    got = setup.predict_proba(custom.predict(X, raw_score=True))
    np.testing.assert_allclose(got, expected, atol=1e-6)
    data = lgb.Dataset(X, y, weight=sw, init_score=setup.init_score)
    params = {
        **setup.params,
        "num_leaves": 7,
        "min_data_in_leaf": 5,
        "verbose": -1,
        "num_threads": 1,
    }
    native = lgb.train(params, data, num_boost_round=20)
    np.testing.assert_allclose(
        setup.predict_proba(native.predict(X)), expected, atol=1e-6
    )


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_xgboost_gamma_zero_reproduces_the_built_in_log_loss(n_classes, weighted):
    xgb = pytest.importorskip("xgboost")
    X, y, sw = _data(n_classes)
    sw = sw if weighted else None
    setup = FocalBoostingObjective(gamma=0.0, alpha=None).for_xgboost(y, sw)
    common = {"n_estimators": 20, "max_depth": 3, "n_jobs": 1}
    built_in = xgb.XGBClassifier(**common).fit(X, y, sample_weight=sw)
    custom = xgb.XGBClassifier(**common, **setup.params).fit(X, y, sample_weight=sw)
    expected = built_in.predict_proba(X)
    # float32 margins: a few units in the last place, accumulated over rounds
    np.testing.assert_allclose(custom.predict_proba(X), expected, atol=5e-6)
    data = xgb.DMatrix(X, y, weight=sw)
    native = xgb.train(
        {**setup.native_params, "max_depth": 3, "nthread": 1},
        data,
        num_boost_round=20,
        obj=setup.objective,
        custom_metric=setup.eval_metric,
    )
    margin = native.predict(data, output_margin=True)
    np.testing.assert_allclose(setup.predict_proba(margin), expected, atol=5e-6)


def test_eval_metrics_report_the_mean_focal_loss_of_the_margins():
    lgb = pytest.importorskip("lightgbm")
    xgb = pytest.importorskip("xgboost")
    X, y, sw = _data(3, n=300)
    helper = FocalBoostingObjective(gamma=2.0, alpha=[1.0, 2.0, 4.0])
    lgb_setup = helper.for_lightgbm(y, sw)
    model = lgb.LGBMClassifier(
        objective=lgb_setup.objective, n_estimators=5, verbose=-1, n_jobs=1
    ).fit(
        X,
        y,
        sample_weight=sw,
        init_score=lgb_setup.init_score,
        eval_X=(X,),
        eval_y=(y,),
        eval_sample_weight=[sw],
        eval_init_score=[lgb_setup.init_score],
        eval_metric=lgb_setup.eval_metric,
    )
    margin = model.predict(X, raw_score=True) + lgb_setup.start
    alpha = np.array([1.0, 2.0, 4.0])
    expected = np.sum(sw * _softmax_focal_loss(y, margin, 2.0, alpha, 0.0)) / sw.sum()
    reported = model.evals_result_["valid_0"]["focal_loss"][-1]
    assert reported == pytest.approx(expected, rel=1e-5)
    xgb_setup = helper.for_xgboost(y, sw)
    model = xgb.XGBClassifier(n_estimators=5, n_jobs=1, **xgb_setup.params)
    model.fit(X, y, sample_weight=sw, eval_set=[(X, y)], sample_weight_eval_set=[sw])
    margin = model.predict(X, output_margin=True)
    expected = np.sum(sw * _softmax_focal_loss(y, margin, 2.0, alpha, 0.0)) / sw.sum()
    reported = model.evals_result()["validation_0"]["focal_loss"][-1]
    assert reported == pytest.approx(expected, rel=1e-5)


def test_xgboost_grows_trees_at_gamma_2_without_tuning():
    xgb = pytest.importorskip("xgboost")
    X, y = make_classification(
        12_000, 10, n_informative=5, weights=[0.99], flip_y=0, random_state=1
    )
    X_train, y_train, X_test, y_test = X[:6000], y[:6000], X[6000:], y[6000:]
    setup = FocalBoostingObjective(gamma=2.0, alpha=0.25).for_xgboost(y_train)
    model = xgb.XGBClassifier(n_estimators=40, n_jobs=1, **setup.params).fit(
        X_train, y_train
    )
    assert model.get_booster().trees_to_dataframe()["Feature"].ne("Leaf").sum() > 40
    proba = model.predict_proba(X_test)[:, 1]
    assert average_precision_score(y_test, proba) > 10 * y_test.mean()
    # probabilities, not margins
    assert proba.min() >= 0 and proba.max() <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "auto" scale: no small-hessian warning
        FocalBoostingObjective(gamma=2.0, alpha=0.25).for_xgboost(y_train)
