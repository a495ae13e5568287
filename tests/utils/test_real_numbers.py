"""Arguments read as real numbers refuse what a float64 cast would change.

``np.asarray(x, dtype=np.float64)`` drops the imaginary part of complex
numbers (with only a warning), reads datetimes and timedeltas as counts of
their unit and parses strings: each of these must raise an error naming the
argument instead. Object arrays of real numbers stay accepted.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from mlfound.datasets import make_click_logs
from mlfound.feature_selection import StabilitySelector
from mlfound.linear_model import FocalLossClassifier
from mlfound.metrics import (
    doubly_robust_value,
    expected_cost,
    ips_value,
    make_cost_scorer,
    snips_value,
    total_cost,
)
from mlfound.model_selection import BayesMinimumRiskClassifier
from mlfound.ordinal import OrdinalCutPointClassifier
from mlfound.preprocessing import LagFeatures, TargetEncoder
from mlfound.utils.validation import check_probabilities, check_sample_weight
from mlfound.weighting import IPSReweighter

Y_TRUE = np.array([0, 1, 0, 1, 1, 0])
Y_PRED = np.array([0, 0, 1, 1, 1, 0])
REWARDS = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
PROPENSITY = np.array([0.5, 0.5, 0.25, 1.0, 0.75, 0.5])
COSTS = np.array([[0.0, 1.0], [5.0, 0.0]])

# (call taking the argument's value, argument name, a valid value)
CALLS = {
    "ips_value rewards": (
        lambda v: ips_value(v, PROPENSITY, PROPENSITY),
        "rewards",
        REWARDS,
    ),
    "ips_value behavior_propensity": (
        lambda v: ips_value(REWARDS, v, PROPENSITY),
        "behavior_propensity",
        PROPENSITY,
    ),
    "snips_value target_propensity": (
        lambda v: snips_value(REWARDS, PROPENSITY, v),
        "target_propensity",
        PROPENSITY,
    ),
    "doubly_robust_value estimated_rewards": (
        lambda v: doubly_robust_value(
            REWARDS,
            PROPENSITY,
            PROPENSITY,
            estimated_rewards=v,
            estimated_target_value=REWARDS / 3,
        ),
        "estimated_rewards",
        REWARDS / 2,
    ),
    "expected_cost cost_matrix": (
        lambda v: expected_cost(Y_TRUE, Y_PRED, cost_matrix=v),
        "cost_matrix",
        COSTS,
    ),
    "total_cost sample_weight": (
        lambda v: total_cost(Y_TRUE, Y_PRED, cost_matrix=COSTS, sample_weight=v),
        "sample_weight",
        np.arange(1.0, 7.0),
    ),
    "make_cost_scorer cost_matrix": (
        lambda v: make_cost_scorer(v)._kwargs["cost_matrix"],
        "cost_matrix",
        COSTS,
    ),
    "OrdinalCutPointClassifier loss": (
        lambda v: (
            OrdinalCutPointClassifier(loss=v)
            .fit(np.arange(12.0)[:, None], np.arange(12) % 2)
            .cut_points_
        ),
        "loss",
        COSTS,
    ),
    "BayesMinimumRiskClassifier.predict sample_cost": (
        lambda v: (
            BayesMinimumRiskClassifier(LogisticRegression())
            .fit(np.arange(6.0)[:, None], Y_TRUE)
            .predict(np.arange(6.0)[:, None], sample_cost=v)
        ),
        "sample_cost",
        np.repeat(COSTS[None], 6, axis=0),
    ),
    "check_probabilities p": (
        lambda v: check_probabilities(v, name="propensity"),
        "propensity",
        PROPENSITY,
    ),
    "check_sample_weight sample_weight": (
        lambda v: check_sample_weight(v, np.zeros((6, 1))),
        "sample_weight",
        np.arange(1.0, 7.0),
    ),
    "IPSReweighter propensity": (
        lambda v: (
            IPSReweighter(LogisticRegression(), propensity=v)
            .fit(np.arange(6.0)[:, None], Y_TRUE, positions=np.arange(1, 7))
            .predict_proba(np.arange(6.0)[:, None])
        ),
        "propensity",
        PROPENSITY,
    ),
    "TargetEncoder continuous y": (
        lambda v: (
            TargetEncoder(target_type="continuous", cv=2)
            .fit(np.arange(6)[:, None] % 2, v)
            .encodings_[0]
        ),
        "y",
        np.arange(6.0),
    ),
    "FocalLossClassifier alpha": (
        lambda v: (
            FocalLossClassifier(alpha=v).fit(np.arange(6.0)[:, None], Y_TRUE).coef_
        ),
        "alpha",
        np.array([0.25, 0.75]),
    ),
    "StabilitySelector alphas": (
        lambda v: (
            StabilitySelector(alphas=v, n_resamples=4, random_state=0)
            .fit(np.arange(12.0).reshape(6, 2) ** 2, np.linspace(0.05, 1.05, 6))
            .stability_scores_
        ),
        "alphas",
        np.array([1.0, 0.1]),
    ),
    "make_click_logs propensity": (
        lambda v: make_click_logs(50, n_positions=4, propensity=v, random_state=0).y,
        "propensity",
        np.array([1.0, 0.5, 0.25, 0.125]),
    ),
}

NOT_REAL = {
    "complex": lambda v: v + 0.5j,
    "complex, zero imaginary part": lambda v: v.astype(np.complex128),
    "datetime64": lambda v: v.astype(np.int64).astype("datetime64[D]"),
    "timedelta64": lambda v: v.astype(np.int64).astype("timedelta64[s]"),
    "strings": lambda v: v.astype(str),
    "objects with a string": lambda v: np.array([*v.ravel()[:-1], "1"], object),
}


@pytest.mark.parametrize("mutation", NOT_REAL)
@pytest.mark.parametrize("call", CALLS)
def test_not_real_numbers_are_refused_naming_the_argument(call, mutation):
    func, name, valid = CALLS[call]
    value = NOT_REAL[mutation](valid)
    if mutation == "objects with a string":
        value = value.reshape(valid.shape)
    # "must hold ..., got": the refusal of the kind, not a range check that
    # happens to name the argument (a date cast to 0.0 fails "in (0, 1]")
    with pytest.raises((TypeError, ValueError), match=rf"{name} must hold .*got"):
        func(value)


@pytest.mark.parametrize("call", CALLS)
def test_object_arrays_of_real_numbers_are_read_as_floats(call):
    func, _, valid = CALLS[call]
    as_objects = np.array(valid.tolist(), dtype=object)
    np.testing.assert_array_equal(np.asarray(func(as_objects)), np.asarray(func(valid)))


def test_lag_feature_values_refuse_what_a_cast_would_change():
    # Value columns are read as numbers; None and pd.NA are missing values
    # (NaN), as the documentation of LagFeatures says.
    lag = LagFeatures(lags=(1,), fill_value=-1.0)
    for column, kind in [
        (pd.to_timedelta(np.arange(4), unit="s"), "timedeltas"),
        (pd.Series(np.arange(4).astype("datetime64[D]")), "datetimes"),
        (pd.Series(["1", "2", "3", "4"]), "'1'"),
        (np.arange(4) + 0.5j, "complex"),
    ]:
        with pytest.raises(TypeError, match=f"X column 'v' must hold .*{kind}"):
            lag.fit_transform(pd.DataFrame({"v": column}))
    missing = pd.DataFrame({"v": pd.Series([1.0, None, 3.0, pd.NA], dtype=object)})
    as_nan = pd.DataFrame({"v": [1.0, np.nan, 3.0, np.nan]})
    np.testing.assert_array_equal(lag.fit_transform(missing), lag.fit_transform(as_nan))
