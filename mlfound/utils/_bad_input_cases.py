"""Valid calls, extra cases and allowed outcomes of the bad-input common test."""

# tests/test_bad_input.py mutates one *valid* call per public name: every
# array argument in turn gets a NaN, an inf, one row fewer, no rows, and
# (integer-like arguments) extreme integers; estimators that accept sparse
# input also get malformed CSR matrices. Each mutated call must raise a
# ValueError or TypeError naming the argument. The valid calls live here,
# one per public name; a test fails for any discovered name without one.


def _bad_input_data():
    """Small deterministic arrays shared by the valid calls below."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 40
    X = rng.normal(size=(n, 3))
    y = np.r_[np.zeros(n // 2, dtype=np.int64), np.ones(n // 2, dtype=np.int64)]
    X[y == 1, 0] += 1.0
    return {
        "n": n,
        "X": X,
        "y": y,
        "score": np.linspace(0.05, 0.95, n),
        "pred": np.r_[y[: n // 4], 1 - y[n // 4 : n // 2], y[n // 2 :]],
        "weight": np.linspace(0.5, 1.5, n),
        "stars": np.arange(n, dtype=np.int64) % 5 + 1,
        "positions": np.arange(n, dtype=np.int64) % 4 + 1,
        "query": np.repeat(np.arange(n // 5, dtype=np.int64), 5),
        "propensity": np.linspace(0.2, 1.0, n),
        "codes": np.c_[np.arange(n) % 4, np.arange(n) % 7].astype(np.int64),
    }


def _csr_X():
    import scipy.sparse as sp

    return sp.csr_matrix(_bad_input_data()["X"])


def _fitted_scaler():
    import numpy as np
    from sklearn.preprocessing import StandardScaler

    return StandardScaler().fit(np.zeros((2, 2)))


def _ordinal_X():
    d = _bad_input_data()
    return d["X"] + d["stars"][:, None] * 0.8


def _click_X():
    d = _bad_input_data()
    return d["X"] - 0.3 * d["positions"][:, None]


# Valid keyword arguments of one call to each public function (and of
# ``from_predictions`` of each display, under "<Display>.from_predictions").
BAD_INPUT_CALLS = {
    "check_array_1d": lambda: {"values": _bad_input_data()["score"], "name": "values"},
    "check_pos_label": lambda: {"pos_label": None, "labels": _bad_input_data()["y"]},
    "check_sparse_structure": lambda: {"X": _csr_X()},
    "check_feature_names_in": lambda: {
        "estimator": _fitted_scaler(),
        "input_features": ["x0", "x1"],
    },
    "check_finite_target": lambda: {"y": _bad_input_data()["score"]},
    "check_n_classes": lambda: {"classes": [0, 1]},
    "check_ordinal_target": lambda: {
        "y": _bad_input_data()["stars"],
        "categories": [1, 2, 3, 4, 5],
    },
    "check_positive_integers": lambda: {
        "values": _bad_input_data()["positions"],
        "name": "positions",
    },
    "check_probabilities": lambda: {
        "p": _bad_input_data()["propensity"],
        "name": "propensity",
    },
    "check_sample_weight": lambda: {
        "sample_weight": _bad_input_data()["weight"],
        "X": _bad_input_data()["X"],
    },
    "doubly_robust_value": lambda: {
        "rewards": _bad_input_data()["y"].astype(float),
        "behavior_propensity": _bad_input_data()["propensity"],
        "target_propensity": _bad_input_data()["score"],
        "estimated_rewards": _bad_input_data()["score"],
        "estimated_target_value": _bad_input_data()["score"][::-1].copy(),
    },
    "expected_calibration_error": lambda: {
        "y_true": _bad_input_data()["y"],
        "y_prob": _bad_input_data()["score"],
        "sample_weight": _bad_input_data()["weight"],
    },
    "expected_cost": lambda: {
        "y_true": _bad_input_data()["y"],
        "y_pred": _bad_input_data()["pred"],
        "cost_matrix": [[0.0, 1.0], [5.0, 0.0]],
        "sample_weight": _bad_input_data()["weight"],
    },
    "focal_objective": lambda: {"gamma": 2.0, "alpha": 0.25},
    "focal_init_score": lambda: {
        "y": _bad_input_data()["y"],
        "gamma": 2.0,
        "alpha": 0.25,
        "sample_weight": _bad_input_data()["weight"],
    },
    "focal_to_posterior": lambda: {
        "proba": [[0.3, 0.7], [0.9, 0.1], [0.5, 0.5]],
        "gamma": 2.0,
    },
    "grouped_ndcg_score": lambda: {
        "y_true": _bad_input_data()["stars"],
        "y_score": _bad_input_data()["score"],
        "query_id": _bad_input_data()["query"],
    },
    "ips_value": lambda: {
        "rewards": _bad_input_data()["y"].astype(float),
        "behavior_propensity": _bad_input_data()["propensity"],
        "target_propensity": _bad_input_data()["score"],
    },
    "make_click_logs": lambda: {"n_samples": 50, "random_state": 0},
    "make_cost_scorer": lambda: {"cost_matrix": [[0.0, 1.0], [5.0, 0.0]]},
    "make_fraud": lambda: {"n_samples": 50, "random_state": 0},
    "make_high_cardinality": lambda: {"n_samples": 50, "random_state": 0},
    "make_imbalanced": lambda: {"n_samples": 200, "random_state": 0},
    "make_star_ratings": lambda: {"n_samples": 50, "random_state": 0},
    "mean_absolute_class_error": lambda: {
        "y_true": _bad_input_data()["stars"],
        "y_pred": _bad_input_data()["stars"][::-1].copy(),
        "sample_weight": _bad_input_data()["weight"],
    },
    "mean_average_precision": lambda: {
        "y_true": _bad_input_data()["y"],
        "y_score": _bad_input_data()["score"],
        "query_id": _bad_input_data()["query"],
    },
    "mean_reciprocal_rank": lambda: {
        "y_true": _bad_input_data()["y"],
        "y_score": _bad_input_data()["score"],
        "query_id": _bad_input_data()["query"],
    },
    "off_by_more_than_one_rate": lambda: {
        "y_true": _bad_input_data()["stars"],
        "y_pred": _bad_input_data()["stars"][::-1].copy(),
        "sample_weight": _bad_input_data()["weight"],
    },
    "ordinal_categories": lambda: {"y": _bad_input_data()["stars"]},
    "quadratic_weighted_kappa": lambda: {
        "y_true": _bad_input_data()["stars"],
        "y_pred": _bad_input_data()["stars"][::-1].copy(),
        "sample_weight": _bad_input_data()["weight"],
    },
    "snips_value": lambda: {
        "rewards": _bad_input_data()["y"].astype(float),
        "behavior_propensity": _bad_input_data()["propensity"],
        "target_propensity": _bad_input_data()["score"],
    },
    "total_cost": lambda: {
        "y_true": _bad_input_data()["y"],
        "y_pred": _bad_input_data()["pred"],
        "cost_matrix": [[0.0, 1.0], [5.0, 0.0]],
        "sample_weight": _bad_input_data()["weight"],
    },
    "CostCurveDisplay.from_predictions": lambda: {
        "y_true": _bad_input_data()["y"],
        "y_score": _bad_input_data()["score"],
        "sample_weight": _bad_input_data()["weight"],
    },
    # model comparison (issue 17)
    "compare_models": lambda: {
        "estimators": _comparison_models(),
        "X": _bad_input_data()["X"],
        "y": _bad_input_data()["y"],
        "cv": 3,
    },
    "mcnemar_test": lambda: {
        "y_true": _bad_input_data()["y"],
        "pred_a": _bad_input_data()["pred"],
        "pred_b": 1 - _bad_input_data()["pred"],
    },
    "paired_cv_test": lambda: {
        "estimator_a": _comparison_models()["logistic"],
        "estimator_b": _comparison_models()["dummy"],
        "X": _bad_input_data()["X"],
        "y": _bad_input_data()["y"],
        "cv": 3,
    },
}


def _comparison_models():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    return {"logistic": LogisticRegression(), "dummy": DummyClassifier()}


# Public functions that take no array and no size: nothing to mutate.
BAD_INPUT_NO_ARRAYS = {
    "likelihood_ratio_test": "takes two fitted estimators (checked by its own tests)",
    "all_displays": "takes no argument (discovery of public names)",
    "all_estimators": "takes only type_filter, a string checked by its own tests",
    "all_functions": "takes no argument (discovery of public names)",
    "show_versions": "takes no argument (prints the environment)",
}

# Scalar arguments that size an allocation or a loop: they get the extreme
# integers (2**63, 2**64 - 1, -1, int64 min, NaN and a size that would
# allocate terabytes) instead of array mutations.
BAD_INPUT_SCALARS = {
    "make_click_logs": ("n_samples", "n_positions", "n_features"),
    "make_fraud": ("n_samples", "n_features"),
    "make_high_cardinality": ("n_samples", "n_cities", "n_products"),
    "make_imbalanced": ("n_samples", "n_features", "n_informative"),
    "make_star_ratings": ("n_samples", "n_features", "n_classes"),
    "focal_objective": ("gamma", "alpha"),
    "focal_init_score": ("n_classes",),
}

# Valid construction and fit arguments of each public estimator: "params" for
# the constructor (array-valued ones are mutated too) and "fit" for ``fit``
# (X, y and fit metadata such as positions=, sample_weight=, randomized=).
BAD_INPUT_FITS = {
    "BayesMinimumRiskClassifier": lambda: {
        "params": {"cost_matrix": [[0.0, 1.0], [5.0, 0.0]]},
        "fit": {
            "X": _bad_input_data()["X"],
            "y": _bad_input_data()["y"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "ConditionalOrdinalClassifier": lambda: {
        "params": {},
        "fit": {
            "X": _ordinal_X(),
            "y": _bad_input_data()["stars"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "CostSensitiveThresholdClassifier": lambda: {
        "params": {"cost_matrix": [[0.0, 1.0], [5.0, 0.0]], "cv": 2},
        "fit": {
            "X": _bad_input_data()["X"],
            "y": _bad_input_data()["y"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "CumulativeBinarizer": lambda: {
        "params": {},
        "fit": {"X": _bad_input_data()["stars"][:, None]},
    },
    "CumulativeBinaryClassifier": lambda: {
        "params": {},
        "fit": {
            "X": _ordinal_X(),
            "y": _bad_input_data()["stars"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "FocalLossClassifier": lambda: {
        "params": {},
        "fit": {
            "X": _bad_input_data()["X"],
            "y": _bad_input_data()["y"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "IPSReweighter": lambda: {
        "params": {"propensity": [1.0, 0.5, 0.33, 0.25]},
        "fit": {
            "X": _click_X(),
            "y": _bad_input_data()["y"],
            "positions": _bad_input_data()["positions"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "OrdinalCutPointClassifier": lambda: {
        "params": {
            "loss": [[0.0, 1.0, 4.0], [1.0, 0.0, 1.0], [4.0, 1.0, 0.0]],
            "cv": 2,
        },
        "fit": {
            "X": _ordinal_X(),
            "y": _bad_input_data()["stars"] % 3,
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "OrdinalLogisticRegression": lambda: {
        "params": {"nominal": [1], "scale": [2]},
        "fit": {
            "X": _ordinal_X(),
            "y": _bad_input_data()["stars"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "PositionBiasEstimator": lambda: {
        "params": {},
        "fit": {
            "X": _click_X(),
            "y": _bad_input_data()["y"],
            "positions": _bad_input_data()["positions"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "StabilitySelector": lambda: {
        "params": {"n_resamples": 5, "alphas": 3, "random_state": 0},
        "fit": {"X": _bad_input_data()["X"], "y": _bad_input_data()["y"]},
    },
    # leakage-safe features (lag/rolling, out-of-fold model outputs)
    "LagFeatures": lambda: {
        "params": {
            "lags": (1, 2),
            "windows": (3,),
            "id_column": 0,
            "aggregations": ("mean", "std", "min"),
            "fill_value": 0.0,
        },
        "fit": {"X": _bad_input_data()["X"]},
    },
    "OutOfFoldTransformer": lambda: {
        "params": {"cv": 3},
        "fit": {
            "X": _bad_input_data()["X"],
            "y": _bad_input_data()["y"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
    "TargetEncoder": lambda: {
        "params": {"cv": 2},
        "fit": {
            "X": _bad_input_data()["codes"],
            "y": _bad_input_data()["y"],
            "sample_weight": _bad_input_data()["weight"],
        },
    },
}


# The reproductions of issue 13's numbered cases that are not already one of
# the generated mutations: {public name: {case: (argument, call)}}. Each call
# must raise a ValueError or TypeError naming ``argument``.
def _replace_last(values, value, dtype):
    """``values`` as ``dtype`` with the last entry set to ``value`` (no wrap)."""
    import numpy as np

    out = np.asarray(values).astype(dtype)
    out[-1] = np.array(value, dtype=dtype)
    return out


def _positions_at(value, dtype):

    from mlfound.weighting import PositionBiasEstimator

    d = _bad_input_data()
    positions = _replace_last(d["positions"], value, dtype)
    return PositionBiasEstimator().fit(_click_X(), d["y"], positions=positions)


def _predict_click_proba_at(value, dtype):

    from mlfound.weighting import PositionBiasEstimator

    d = _bad_input_data()
    model = PositionBiasEstimator().fit(_click_X(), d["y"], positions=d["positions"])
    positions = _replace_last(d["positions"], value, dtype)
    return model.predict_click_proba(_click_X(), positions=positions)


def _ips_propensity(value):
    from mlfound.weighting import IPSReweighter

    d = _bad_input_data()
    model = IPSReweighter(propensity=[1.0, 0.5, value, 0.25])
    return model.fit(_click_X(), d["y"], positions=d["positions"])


def _focal_objective_call(y_true, raw_score, sample_weight=None):
    import numpy as np

    from mlfound.linear_model import focal_objective

    return focal_objective()(
        np.asarray(y_true), np.asarray(raw_score), sample_weight=sample_weight
    )


def _focal_boosting(library, y, sample_weight=None, **params):
    """A FocalBoostingObjective set-up, the helper discovery cannot see."""
    import numpy as np

    from mlfound.linear_model import FocalBoostingObjective

    helper = FocalBoostingObjective(**params)
    method = helper.for_lightgbm if library == "lightgbm" else helper.for_xgboost
    return method(np.asarray(y), sample_weight)


def _focal_boosting_proba(margin):
    import numpy as np

    setup = _focal_boosting("lightgbm", [0, 1, 1, 2], alpha="balanced")
    return setup.predict_proba(np.asarray(margin, dtype=float))


def _fit_with_params(estimator_name, params, **fit):
    from mlfound.utils import all_estimators

    spec = BAD_INPUT_FITS[estimator_name]()
    kwargs = {**spec["fit"], **fit}
    return dict(all_estimators())[estimator_name](**{**spec["params"], **params}).fit(
        **kwargs
    )


def _string_fraud_labels():
    import numpy as np

    return np.where(_bad_input_data()["y"] == 1, "fraud", "legit")


def _target_encoder_int_then_str():
    from mlfound.preprocessing import TargetEncoder

    d = _bad_input_data()
    encoder = TargetEncoder().partial_fit(d["codes"], d["y"])
    return encoder.partial_fit(d["codes"].astype(str), d["y"])


def _target_encoder_cv_out_of_range():
    import numpy as np

    from mlfound.preprocessing import TargetEncoder

    d = _bad_input_data()
    rows = np.arange(d["n"])
    cv = [(rows[:20], np.r_[rows[20:-1], 10**6]), (rows[20:], rows[:20])]
    # fit learns on all rows; only fit_transform uses cv
    spec = BAD_INPUT_FITS["TargetEncoder"]()
    return TargetEncoder(**{**spec["params"], "cv": cv}).fit_transform(**spec["fit"])


def _focal_max_iter_zero(solver):
    import numpy as np

    model = _fit_with_params("FocalLossClassifier", {"solver": solver, "max_iter": 0})
    assert np.all(np.asarray(model.n_iter_) == 0), model.n_iter_
    return model


def _large_position_memory():
    # A valid input: memory must follow the data, not the largest position
    # (the child runs under an address-space limit of a few GB).
    try:
        return _positions_at(10**6, "int64")
    except ValueError as exc:
        if "max_position" not in str(exc):
            raise
        return None


def _uint64_categories():
    import numpy as np

    from mlfound.preprocessing import TargetEncoder

    d = _bad_input_data()
    X = (d["codes"] + np.uint64(2**63)).astype(np.uint64)
    encoder = TargetEncoder(cv=2).fit(X, d["y"])
    for j, categories in enumerate(encoder.categories_):
        np.testing.assert_array_equal(categories, np.unique(X[:, j]))
    return encoder


# Cases whose argument is None are valid calls: they must return (and the
# call checks its own result).
BAD_INPUT_EXTRA_CASES = {
    "PositionBiasEstimator": {
        "issue13-4:positions:one_at_1e6": (None, _large_position_memory),
        "issue13-1:positions:uint64_2**63": (
            "positions",
            lambda: _positions_at(2**63, "uint64"),
        ),
        "issue13-1:positions:float_1e19": (
            "positions",
            lambda: _positions_at(1e19, "float64"),
        ),
        "issue13-1:positions:uint64_max": (
            "positions",
            lambda: _positions_at(2**64 - 1, "uint64"),
        ),
        "issue13-1:predict_click_proba:positions:uint64_2**63": (
            "positions",
            lambda: _predict_click_proba_at(2**63, "uint64"),
        ),
        "issue13-1:predict_click_proba:positions:negative": (
            "positions",
            lambda: _predict_click_proba_at(-1, "int64"),
        ),
    },
    "IPSReweighter": {
        "issue13-1:propensity:zero": ("propensity", lambda: _ips_propensity(0.0)),
        "issue13-1:propensity:above_one": (
            "propensity",
            lambda: _ips_propensity(2.0**63),
        ),
    },
    "focal_objective": {
        "issue13-2:raw_score:longer_than_y_true": (
            "raw_score",
            lambda: _focal_objective_call([0, 1], [0.0] * 20_000),
        ),
        "issue13-2:raw_score:shorter_than_y_true": (
            "raw_score",
            lambda: _focal_objective_call([0, 1, 1], [0.0, 1.0]),
        ),
        "issue13-2:sample_weight:short": (
            "sample_weight",
            lambda: _focal_objective_call([0, 1, 1], [0.0, 1.0, 2.0], [1.0]),
        ),
        "issue13-2:y_true:labels_2_5": (
            "y_true",
            lambda: _focal_objective_call([2, 5, 5], [0.0, 1.0, 2.0]),
        ),
        "issue13-2:raw_score:nan": (
            "raw_score",
            lambda: _focal_objective_call([0, 1, 1], [0.0, float("nan"), 2.0]),
        ),
        "issue13-2:raw_score:2d_scores": (
            "raw_score",
            lambda: _focal_objective_call([0, 1, 2], [[0.0] * 3] * 4),
        ),
        "issue14:raw_score:class_major_wrong_length": (
            "raw_score",
            lambda: _call_public("focal_objective", n_classes=3)([0, 1, 2], [0.0] * 8),
        ),
        "issue14:y_true:code_above_n_classes": (
            "y_true",
            lambda: _call_public("focal_objective", n_classes=3)(
                [0, 1, 3], [[0.0] * 3] * 3
            ),
        ),
    },
    # FocalBoostingObjective is a class discovery does not list: its entry
    # points are checked here, beside the starting score they compute.
    "focal_init_score": {
        "issue14:y:code_2**40": (
            "y",
            lambda: _call_public("focal_init_score", y=[0, 2**40]),
        ),
        "issue14:FocalBoostingObjective:y:uint64_max": (
            "y",
            lambda: _focal_boosting("xgboost", [0, 2**64 - 1], alpha=None),
        ),
        "issue14:FocalBoostingObjective:y:negative": (
            "y",
            lambda: _focal_boosting("lightgbm", [0, -1], alpha=None),
        ),
        "issue14:FocalBoostingObjective:sample_weight:short": (
            "sample_weight",
            lambda: _focal_boosting("lightgbm", [0, 1, 1], [1.0]),
        ),
        "issue14:FocalBoostingObjective:sample_weight:inf": (
            "sample_weight",
            lambda: _focal_boosting("xgboost", [0, 1], [1.0, float("inf")]),
        ),
        "issue14:FocalBoostingObjective:hessian_scale:nan": (
            "hessian_scale",
            lambda: _focal_boosting("xgboost", [0, 1], hessian_scale=float("nan")),
        ),
        "issue14:FocalBoostingObjective:raw_margin:nan": (
            "raw_margin",
            lambda: _focal_boosting_proba([[0.0, float("nan"), 1.0]]),
        ),
        "issue14:FocalBoostingObjective:raw_margin:wrong_width": (
            "raw_margin",
            lambda: _focal_boosting_proba([[0.0, 1.0]]),
        ),
        "issue14:FocalBoostingObjective:n_samples:2**63": (
            "n_samples",
            lambda: _focal_boosting("lightgbm", [0, 1]).init_score_for(2**63),
        ),
    },
    "CostSensitiveThresholdClassifier": {
        "issue13-5:y:string_labels_without_pos_label": (
            "pos_label",
            lambda: _fit_with_params(
                "CostSensitiveThresholdClassifier", {}, y=_string_fraud_labels()
            ),
        ),
    },
    "FocalLossClassifier": {
        "issue13-6:max_iter:zero_fista": (None, lambda: _focal_max_iter_zero("fista")),
        "issue13-6:max_iter:zero_lbfgs": (None, lambda: _focal_max_iter_zero("lbfgs")),
        "issue13-5:class_weight:unknown_key": (
            "class_weight",
            lambda: _fit_with_params(
                "FocalLossClassifier", {"class_weight": {"1": 10}}
            ),
        ),
    },
    "focal_to_posterior": {
        "issue13-5:proba:above_one": (
            "proba",
            lambda: _call_public("focal_to_posterior", proba=[[-0.5, 1.5]], gamma=2.0),
        ),
        "issue13-5:proba:not_normalised": (
            "proba",
            lambda: _call_public("focal_to_posterior", proba=[[0.5, 0.9]], gamma=2.0),
        ),
    },
    "TargetEncoder": {
        "issue13-6:X:uint64_categories": (None, _uint64_categories),
        "issue13-6:partial_fit:X:int_then_str": ("X", _target_encoder_int_then_str),
        "issue13-6:cv:test_index_out_of_range": ("cv", _target_encoder_cv_out_of_range),
    },
    "expected_calibration_error": {
        "issue13-6:y_true:empty_quantile": (
            "y_true",
            lambda: _call_public(
                "expected_calibration_error", y_true=[], y_prob=[], strategy="quantile"
            ),
        ),
    },
    "CostCurveDisplay.from_predictions": {
        "issue13-6:sample_weight:nan": (
            "sample_weight",
            lambda: _call_public(
                "CostCurveDisplay.from_predictions",
                **{
                    **BAD_INPUT_CALLS["CostCurveDisplay.from_predictions"](),
                    "sample_weight": [float("nan")] + [1.0] * 39,
                },
            ),
        ),
    },
}


def _public_callable(name):
    """The public function, or ``Display.method``, called ``name``."""
    from mlfound.utils import all_displays, all_functions

    if "." in name:
        display, method = name.split(".")
        return getattr(dict(all_displays())[display], method)
    return dict(all_functions())[name]


def _call_public(name, **kwargs):
    return _public_callable(name)(**kwargs)


# Mutations that are legitimately valid, with the reason:
# {(public name, case pattern (fnmatch)): reason}. These must return a
# finite result consistent with the input (fitted ``classes_`` and
# ``categories_`` equal to the values given) or raise as any other case.
_EXTREME_LABELS = ("uint64_2**63", "uint64_max", "negative", "int64_min")


def _allow(name, args, mutations, reason):
    return {(name, f"{arg}:{m}"): reason for arg in args for m in mutations}


_LABELS = (
    "extreme integers are valid class labels: the fitted classes_ must hold "
    "them exactly, in sorted order"
)
_ORDINAL_LABELS = (
    "ordinal labels may be any integers (without `categories` the observed "
    "labels are the ranks): the result must be finite"
)
_QUERY_IDS = "a query id is a label: any integer identifies a query"
_EMPTY_HELPER = (
    "an empty array holds nothing to reject: emptiness is checked by the "
    "caller, together with the other arguments"
)
BAD_INPUT_ALLOWED = {
    **_allow("FocalLossClassifier", ["fit:y"], _EXTREME_LABELS, _LABELS),
    **_allow("OrdinalLogisticRegression", ["fit:y"], _EXTREME_LABELS, _LABELS),
    **_allow(
        "OrdinalLogisticRegression",
        ["param:nominal", "param:scale"],
        ["empty"],
        "an empty column selection means no nominal (or scale) effects: the "
        "proportional odds model, a valid fit",
    ),
    **_allow("CumulativeBinaryClassifier", ["fit:y"], _EXTREME_LABELS, _LABELS),
    **_allow("ConditionalOrdinalClassifier", ["fit:y"], _EXTREME_LABELS, _LABELS),
    **_allow("OrdinalCutPointClassifier", ["fit:y"], _EXTREME_LABELS, _LABELS),
    **_allow("TargetEncoder", ["fit:y"], _EXTREME_LABELS, _LABELS),
    **_allow("OutOfFoldTransformer", ["fit:y"], _EXTREME_LABELS, _LABELS),
    **_allow(
        "LagFeatures",
        ["fit:X", "predict:X"],
        ["nan"],
        "NaN is a missing value: windows skip it, as pandas does",
    ),
    ("TargetEncoder", "fit:y:float_2**63"): (
        "a float target with a large value is a valid continuous target"
    ),
    **_allow(
        "TargetEncoder",
        ["fit:X"],
        ("float_2**63", *_EXTREME_LABELS),
        "any integer is a category: categories_ must hold it exactly",
    ),
    **_allow(
        "TargetEncoder",
        ["fit:X", "predict:X"],
        ["nan"],
        "NaN is the missing category (handle_missing='category')",
    ),
    **_allow(
        "CumulativeBinarizer",
        ["fit:X"],
        ("float_2**63", *_EXTREME_LABELS),
        "ordered labels may be any numbers: categories_ must hold them exactly",
    ),
    **_allow(
        "mean_absolute_class_error",
        ["y_true", "y_pred"],
        ("float_2**63", *_EXTREME_LABELS),
        _ORDINAL_LABELS,
    ),
    **_allow(
        "off_by_more_than_one_rate",
        ["y_true", "y_pred"],
        ("float_2**63", *_EXTREME_LABELS),
        _ORDINAL_LABELS,
    ),
    **_allow(
        "quadratic_weighted_kappa",
        ["y_true", "y_pred"],
        ("float_2**63", *_EXTREME_LABELS),
        _ORDINAL_LABELS,
    ),
    **_allow(
        "grouped_ndcg_score",
        ["y_true"],
        ("float_2**63", "uint64_2**63", "uint64_max"),
        "graded relevance may be any non-negative number",
    ),
    **_allow(
        "grouped_ndcg_score",
        ["query_id"],
        ("float_2**63", *_EXTREME_LABELS),
        _QUERY_IDS,
    ),
    **_allow(
        "mean_average_precision",
        ["y_true"],
        ("float_2**63", "uint64_2**63", "uint64_max"),
        "graded relevance may be any non-negative number (> 0 is relevant)",
    ),
    **_allow(
        "mean_reciprocal_rank",
        ["y_true"],
        ("float_2**63", "uint64_2**63", "uint64_max"),
        "graded relevance may be any non-negative number (> 0 is relevant)",
    ),
    **_allow(
        "mean_average_precision",
        ["query_id"],
        ("float_2**63", *_EXTREME_LABELS),
        _QUERY_IDS,
    ),
    **_allow(
        "mean_reciprocal_rank",
        ["query_id"],
        ("float_2**63", *_EXTREME_LABELS),
        _QUERY_IDS,
    ),
    **_allow(
        "check_n_classes",
        ["classes"],
        ("nan", "inf", "float_2**63", *_EXTREME_LABELS),
        "it counts distinct labels, whatever they are; whether they are valid "
        "labels is checked by check_classification_targets",
    ),
    ("ordinal_categories", "y:*"): (
        "it only reads a declared order (pandas Categorical, `categories`); for "
        "a plain array it returns None without reading the values"
    ),
    ("check_feature_names_in", "input_features:nan"): (
        "like scikit-learn's helper it returns the given names as an object "
        "array; they index nothing"
    ),
    **_allow(
        "paired_cv_test",
        ["y"],
        _EXTREME_LABELS,
        "any integer is a class label of the compared classifiers; the fold "
        "scores must be finite",
    ),
    **_allow(
        "compare_models",
        ["y"],
        _EXTREME_LABELS,
        "any integer is a class label of the compared classifiers; the fold "
        "scores must be finite",
    ),
    **_allow(
        "mcnemar_test",
        ["y_true", "pred_a", "pred_b"],
        ("float_2**63", *_EXTREME_LABELS),
        "labels are only compared for equality: any integer is a label",
    ),
    ("StabilitySelector", "fit:y:float_2**63"): (
        "a float target with a large value is a valid continuous target (the "
        "default estimator is then a Lasso)"
    ),
    ("check_finite_target", "y:empty"): _EMPTY_HELPER,
    ("check_positive_integers", "values:empty"): _EMPTY_HELPER,
    ("check_probabilities", "p:empty"): _EMPTY_HELPER,
    **_allow(
        "check_sample_weight",
        ["X"],
        ("nan", "inf"),
        "X is only read for its number of rows",
    ),
}


# Learning to rank (mlfound.ranking, make_search_logs): graded relevance 0-4
# in query groups of 5 rows, per-row propensities.
def _ranking_kwargs():
    d = _bad_input_data()
    return {
        "y": d["stars"] - 1,
        "groups": d["query"],
        "sample_weight": d["weight"],
        "propensity": d["propensity"],
    }


BAD_INPUT_CALLS["pairwise_loss"] = lambda: {
    **_ranking_kwargs(),
    "scores": _bad_input_data()["score"],
}
BAD_INPUT_CALLS["make_search_logs"] = lambda: {"n_samples": 100, "random_state": 0}
BAD_INPUT_SCALARS["make_search_logs"] = ("n_samples", "n_documents", "n_features")
BAD_INPUT_FITS["LinearRanker"] = lambda: {
    "params": {},
    "fit": {"X": _bad_input_data()["X"], **_ranking_kwargs()},
}
for _name, _y in (("pairwise_loss", "y"), ("LinearRanker", "fit:y")):
    BAD_INPUT_ALLOWED.update(
        _allow(
            _name,
            [_y],
            ("float_2**63", "uint64_2**63", "uint64_max"),
            "graded relevance may be any non-negative number",
        )
    )
    BAD_INPUT_ALLOWED.update(
        _allow(
            _name,
            [_y.replace("y", "groups")],
            ("float_2**63", *_EXTREME_LABELS),
            _QUERY_IDS,
        )
    )


# scikit-learn's own messages for X and y of an estimator (from validate_data
# and check_classification_targets, before mlfound sees the data): they do not
# always name the argument, but every scikit-learn user knows them.
SKLEARN_X_Y_MESSAGES = (
    r"^Found input variables with inconsistent numbers of samples",
    r"^Found array with 0 sample\(s\)",
    r"^Input contains (NaN|infinity)",
    r"^Unknown label type",
)
