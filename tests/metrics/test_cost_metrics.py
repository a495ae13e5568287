import matplotlib
import numpy as np
import pytest
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV

from mlfound.metrics import (
    CostCurveDisplay,
    expected_calibration_error,
    expected_cost,
    make_cost_scorer,
    total_cost,
)
from mlfound.model_selection import CostSensitiveThresholdClassifier

matplotlib.use("Agg")


def test_expected_and_total_cost_by_hand():
    y_true = np.array([0, 0, 1, 1, 1])
    y_pred = np.array([0, 1, 0, 1, 1])
    cost = [[0, 1], [50, 2]]
    # tn=0 + fp=1 + fn=50 + tp=2 + tp=2
    assert total_cost(y_true, y_pred, cost_matrix=cost) == 55
    assert expected_cost(y_true, y_pred, cost_matrix=cost) == 11
    as_dict = {"fp": 1, "fn": 50, "tp": 2}
    assert total_cost(y_true, y_pred, cost_matrix=as_dict) == 55
    w = np.array([1.0, 2.0, 0.5, 1.0, 1.0])
    assert total_cost(y_true, y_pred, cost_matrix=cost, sample_weight=w) == 2 + 25 + 4
    assert expected_cost(
        y_true, y_pred, cost_matrix=cost, sample_weight=w
    ) == pytest.approx(31 / 5.5)


def test_default_cost_is_the_error_rate():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 3, 50), rng.integers(0, 3, 50)
    assert expected_cost(y_true, y_pred) == pytest.approx(
        1 - accuracy_score(y_true, y_pred)
    )


def test_per_sample_costs_and_labels():
    y_true = np.array(["b", "a", "b"])
    y_pred = np.array(["a", "a", "b"])
    sample_cost = np.zeros((3, 2, 2))
    sample_cost[:, 1, 0] = [10.0, 20.0, 30.0]  # missing a "b"
    assert total_cost(y_true, y_pred, sample_cost=sample_cost, pos_label="b") == 10.0
    # string labels name no positive class by themselves
    match = r"labels of y_true and y_pred are \['a', 'b'\]"
    with pytest.raises(ValueError, match=match):
        total_cost(y_true, y_pred, sample_cost=sample_cost)
    # labels reorders the rows/columns: "b" first.
    cost = [[0, 7], [1, 0]]
    assert total_cost(y_true, y_pred, cost_matrix=cost, labels=["b", "a"]) == 7
    # A class absent from the data needs labels.
    with pytest.raises(ValueError, match="Pass labels"):
        total_cost([0, 0], [0, 0], cost_matrix=[[0, 1], [1, 0]])
    assert total_cost([0, 0], [0, 0], cost_matrix=[[0, 1], [1, 0]], labels=[0, 1]) == 0
    with pytest.raises(ValueError, match="3 rows but there are 2"):
        total_cost([0, 1], [0, 1], sample_cost=np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="negative"):
        expected_cost([0, 1], [0, 1], cost_matrix=[[0, -1], [1, 0]])
    with pytest.raises(ValueError, match="all zeros"):
        expected_cost([0, 1], [0, 1], cost_matrix=np.zeros((2, 2)))


def test_cost_scorer_in_grid_search_and_sample_cost_routing():
    X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    scorer = make_cost_scorer({"fp": 1, "fn": 10})
    model = LogisticRegression().fit(X, y)
    assert scorer(model, X, y) == -expected_cost(
        y, model.predict(X), cost_matrix={"fp": 1, "fn": 10}
    )
    search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1]}, scoring=scorer, cv=3)
    assert search.fit(X, y).best_score_ <= 0
    sample_cost = np.zeros((300, 2, 2))
    sample_cost[:, 1, 0] = np.arange(300)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = make_cost_scorer().set_score_request(sample_cost=True)
        expected = -expected_cost(y, model.predict(X), sample_cost=sample_cost)
        assert routed(model, X, y, sample_cost=sample_cost) == expected


def test_expected_calibration_error_matches_calibration_curve():
    rng = np.random.default_rng(0)
    p = rng.random(5000)
    y = (rng.random(5000) < p**1.5).astype(int)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10)
    counts = np.histogram(p, bins=np.linspace(0, 1, 11))[0]
    counts = counts[counts > 0]
    expected = np.sum(counts / counts.sum() * np.abs(prob_true - prob_pred))
    assert expected_calibration_error(y, p, n_bins=10) == pytest.approx(expected)
    # A calibrated score has a small ECE; quantile bins work too.
    y_cal = (rng.random(5000) < p).astype(int)
    assert expected_calibration_error(y_cal, p, strategy="quantile") < 0.03
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        expected_calibration_error([0, 1], [0.5, 1.5])


def test_cost_curve_display_from_predictions_and_estimator():
    import matplotlib.pyplot as plt

    X, y = make_classification(n_samples=400, weights=[0.8], random_state=0)
    cost = {"fp": 1, "fn": 5}
    scores = LogisticRegression().fit(X, y).predict_proba(X)[:, 1]
    display = CostCurveDisplay.from_predictions(y, scores, cost_matrix=cost)
    # Brute force: expected cost at each plotted threshold.
    for t, c in zip(display.thresholds[::37], display.costs[::37], strict=True):
        assert c == pytest.approx(
            expected_cost(y, (scores >= t).astype(int), cost_matrix=cost)
        )
    assert display.costs.min() == pytest.approx(
        expected_cost(
            y, (scores >= display.chosen_threshold).astype(int), cost_matrix=cost
        )
    )
    assert display.default_line_ is not None
    assert display.chosen_line_ is not None
    clf = CostSensitiveThresholdClassifier(cost_matrix=cost, cv=3).fit(X, y)
    display = CostCurveDisplay.from_estimator(clf, X, y)
    assert display.chosen_threshold == clf.best_threshold_
    assert display.default_threshold == 0.5
    assert display.estimator_name == "CostSensitiveThresholdClassifier"
    plt.close("all")


@pytest.mark.parametrize("seed", range(3))
def test_confusion_fast_path_equals_per_sample_path(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(-1, 2, 200), rng.integers(-1, 2, 200)
    cost = rng.uniform(0, 5, (3, 3))
    w = rng.random(200)
    w[:20] = 0.0
    for weights in (None, w):
        fast = expected_cost(y_true, y_pred, cost_matrix=cost, sample_weight=weights)
        slow = expected_cost(
            y_true, y_pred, cost_matrix=cost, sample_weight=weights, labels=[-1, 0, 1]
        )
        assert fast == pytest.approx(slow)
        fast = total_cost(y_true, y_pred, cost_matrix=cost, sample_weight=weights)
        by_hand = np.sum(
            (1.0 if weights is None else weights) * cost[y_true + 1, y_pred + 1]
        )
        assert fast == pytest.approx(by_hand)


@pytest.mark.parametrize("strategy", ["uniform", "quantile"])
def test_expected_calibration_error_weights_equal_repeated_rows(strategy):
    rng = np.random.RandomState(0)
    p = rng.rand(300)
    y = (rng.rand(300) < p).astype(int)
    w = rng.randint(1, 4, 300)
    weighted = expected_calibration_error(
        y, p, n_bins=5, strategy=strategy, sample_weight=w
    )
    repeated = expected_calibration_error(
        np.repeat(y, w), np.repeat(p, w), n_bins=5, strategy=strategy
    )
    assert weighted == pytest.approx(repeated, rel=1e-12)


# --- issue 13: positive class, overflow-safe labels, bad input ---------------


def _brute_force_total(y_true, y_pred, matrix, labels, weights=None):
    """sum_i w_i C[y_true_i][y_pred_i] in float, one sample at a time."""
    index = {label: k for k, label in enumerate(labels)}
    w = np.ones(len(y_true)) if weights is None else weights
    return float(
        sum(
            wi * matrix[index[t]][index[p]]
            for t, p, wi in zip(y_true.tolist(), y_pred.tolist(), w, strict=True)
        )
    )


@pytest.mark.parametrize(
    ("dtype", "labels"),
    [
        (np.int8, [-100, 100]),
        (np.int8, [-128, 127]),
        (np.int8, [-128, 0, 127]),
        (np.uint8, [0, 255]),
        (np.uint8, [3, 200, 255]),
    ],
)
def test_total_cost_small_int_labels_do_not_overflow(dtype, labels):
    rng = np.random.default_rng(0)
    n = 100_000
    k = len(labels)
    y_true = np.array(labels, dtype=dtype)[rng.integers(0, k, n)]
    y_pred = np.array(labels, dtype=dtype)[rng.integers(0, k, n)]
    matrix = rng.uniform(0, 10, (k, k))
    weights = rng.integers(1, 1000, n).astype(float)
    order = None if k > 2 else labels
    for w in (None, weights):
        expected = _brute_force_total(y_true, y_pred, matrix, labels, w)
        got = total_cost(
            y_true, y_pred, cost_matrix=matrix, sample_weight=w, labels=order
        )
        assert got == pytest.approx(expected, rel=1e-12)
        if k == 2:
            by_pos_label = total_cost(
                y_true, y_pred, cost_matrix=matrix, sample_weight=w, pos_label=labels[1]
            )
            assert by_pos_label == pytest.approx(expected, rel=1e-12)


def test_binary_cost_metrics_need_the_positive_class_of_string_labels():
    rng = np.random.default_rng(0)
    y_int = (rng.random(500) < 0.1).astype(int)
    p_int = (rng.random(500) < 0.2).astype(int)
    names = np.array(["legit", "fraud"])  # 1 = fraud, not the greater string
    y_str, p_str = names[y_int], names[p_int]
    cost = {"fp": 1, "fn": 50}
    reference = expected_cost(y_int, p_int, cost_matrix=cost)
    match = r"labels of y_true and y_pred are \['fraud', 'legit'\].*pos_label"
    for metric in (expected_cost, total_cost):
        with pytest.raises(ValueError, match=match):
            metric(y_str, p_str, cost_matrix=cost)
        with pytest.raises(ValueError, match=match):
            metric(y_str, p_str, sample_cost=np.ones((500, 2, 2)))
    assert expected_cost(
        y_str, p_str, cost_matrix=cost, pos_label="fraud"
    ) == pytest.approx(reference)
    assert total_cost(y_str, p_str, cost_matrix=cost, pos_label="fraud") == (
        total_cost(y_int, p_int, cost_matrix=cost)
    )
    # the labels {1, 2} do not name a positive class either
    with pytest.raises(ValueError, match=r"labels of y_true and y_pred are \[1, 2\]"):
        expected_cost(y_int + 1, p_int + 1, cost_matrix=cost)
    assert expected_cost(
        y_int + 1, p_int + 1, cost_matrix=cost, pos_label=2
    ) == pytest.approx(reference)
    # symmetric 0/1 costs single out no class: no pos_label needed
    assert expected_cost(y_str, p_str) == expected_cost(y_int, p_int)
    with pytest.raises(ValueError, match="pos_label='x' is not one of the labels"):
        expected_cost(y_str, p_str, cost_matrix=cost, pos_label="x")
    with pytest.raises(ValueError, match="contradicts labels"):
        expected_cost(y_int, p_int, cost_matrix=cost, labels=[1, 0], pos_label=1)
    with pytest.raises(ValueError, match="pos_label only applies to binary"):
        make_cost_scorer(np.ones((3, 3)), pos_label=1)
    # the scorer carries pos_label to expected_cost
    X = rng.normal(size=(500, 3)) + y_int[:, None]
    model = LogisticRegression().fit(X, y_str)
    scorer = make_cost_scorer(cost, pos_label="fraud")
    assert scorer(model, X, y_str) == pytest.approx(
        -expected_cost(
            y_int, (model.predict(X) == "fraud").astype(int), cost_matrix=cost
        )
    )
    with pytest.raises(ValueError, match="pos_label"):
        make_cost_scorer(cost)(model, X, y_str)


_Y = np.array([0, 1, 1, 0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_true": [], "y_pred": []}, ValueError, "y_true and y_pred are empty"),
        ({"y_pred": [0, 1]}, ValueError, "different lengths"),
        ({"y_true": [0.0, np.nan, 1, 1]}, ValueError, "y_true contains NaN"),
        ({"y_pred": [0.0, np.inf, 1, 1]}, ValueError, "y_pred contains NaN"),
        ({"y_true": np.zeros((4, 2))}, ValueError, "y_true must be a 1-d array"),
        ({"sample_weight": [1, np.nan, 1, 1]}, ValueError, "sample_weight"),
        ({"sample_weight": [1, np.inf, 1, 1]}, ValueError, "sample_weight"),
        ({"sample_weight": [1, -1, 1, 1]}, ValueError, "sample_weight"),
        ({"sample_weight": [0, 0, 0, 0]}, ValueError, "(?i)sample.weight"),
        ({"sample_weight": [1, 1]}, ValueError, "sample_weight"),
        (
            {"sample_weight": ["a"] * 4},
            TypeError,
            "sample_weight must hold real numbers",
        ),
        (
            {"sample_cost": np.full((4, 2, 2), np.nan)},
            ValueError,
            "sample_cost contains NaN",
        ),
        ({"sample_cost": -np.ones((4, 2, 2))}, ValueError, "sample_cost .*negative"),
        ({"sample_cost": np.ones((3, 2, 2))}, ValueError, "sample_cost has 3 rows"),
        ({"labels": [0, 1], "y_true": [0, 5, 1, 0]}, ValueError, r"labels \[5\]"),
        ({"labels": [0, 0]}, ValueError, "duplicates"),
        (
            {"y_true": np.array([0, 2**63, 0, 2**63], dtype=np.uint64)},
            ValueError,
            "9223372036854775808",
        ),
        (
            {"y_true": np.array([0, 2**64 - 1, 0, 1], dtype=np.uint64)},
            ValueError,
            "Found 3 distinct labels",
        ),
        (
            {"y_true": [-5, 1, 1, -5], "y_pred": [-5, 1, -5, 1]},
            ValueError,
            r"labels of y_true and y_pred are \[-5, 1\]",
        ),
    ],
)
@pytest.mark.parametrize("metric", [expected_cost, total_cost])
def test_cost_metrics_reject_bad_input_naming_the_argument(
    metric, kwargs, error, match
):
    call = {"y_true": _Y, "y_pred": _Y, "cost_matrix": {"fp": 1, "fn": 5}} | kwargs
    with pytest.raises(error, match=match):
        metric(**call)


def test_uint64_labels_beyond_int64_are_exact():
    big = np.array([2**64 - 2, 2**64 - 1], dtype=np.uint64)
    y_true, y_pred = big[[0, 1, 1, 0, 1]], big[[1, 1, 0, 1, 1]]
    matrix = [[0.0, 1.0], [7.0, 0.0]]
    # two (2**64 - 2 -> 2**64 - 1) decisions, one the other way round
    assert total_cost(y_true, y_pred, cost_matrix=matrix, pos_label=2**64 - 1) == 9.0
    assert total_cost(y_true, y_pred, cost_matrix=matrix, pos_label=2**64 - 2) == 15.0
    # mixed with signed labels, they are not rounded to float64
    y_mixed = np.array([2**63 + 1, 2**63 + 1], dtype=np.uint64)
    with pytest.raises(ValueError, match="9223372036854775809"):
        total_cost(y_mixed, np.array([2**62, 2**62]), cost_matrix=matrix)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y_true": [], "y_prob": []}, ValueError, "y_true and y_prob are empty"),
        (
            {"y_true": [], "y_prob": [], "strategy": "quantile"},
            ValueError,
            "y_true and y_prob are empty",
        ),
        ({"y_prob": [0.1, np.nan, 0.2, 0.3]}, ValueError, "y_prob contains NaN"),
        ({"y_prob": [0.1, 1.5, 0.2, 0.3]}, ValueError, r"y_prob .*\[0, 1\]"),
        ({"y_prob": [0.1, -0.5, 0.2, 0.3]}, ValueError, r"y_prob .*\[0, 1\]"),
        ({"y_prob": ["a"] * 4}, TypeError, "y_prob must hold probabilities"),
        ({"y_prob": np.full((4, 2), 0.5)}, ValueError, "y_prob must be a 1-d"),
        ({"y_prob": [0.1, 0.2]}, ValueError, "different lengths"),
        ({"y_true": [0, np.nan, 1, 1]}, ValueError, "y_true contains NaN"),
        ({"sample_weight": [1, np.nan, 1, 1]}, ValueError, "sample_weight"),
        ({"sample_weight": [1, -1, 1, 1]}, ValueError, "sample_weight"),
        ({"sample_weight": [0, 0, 0, 0]}, ValueError, "(?i)sample.weight"),
        ({"n_bins": 2**63}, ValueError, "n_bins"),
        (
            {"y_true": ["no", "yes", "yes", "no"]},
            ValueError,
            r"labels of y_true are \['no', 'yes'\].*pos_label",
        ),
        (
            {"y_true": np.array([0, 2**64 - 1, 0, 2**64 - 1], dtype=np.uint64)},
            ValueError,
            "18446744073709551615",
        ),
        ({"pos_label": 3}, ValueError, "pos_label=3 is not one of the labels"),
    ],
)
def test_expected_calibration_error_rejects_bad_input(kwargs, error, match):
    call = {"y_true": _Y, "y_prob": [0.1, 0.9, 0.6, 0.3]} | kwargs
    with pytest.raises(error, match=match):
        expected_calibration_error(**call)


def test_expected_calibration_error_pos_label_of_string_labels():
    rng = np.random.default_rng(0)
    p = rng.random(400)
    y = (rng.random(400) < p).astype(int)
    names = np.array(["yes", "no"])  # 0 = "yes": the positive class sorts last
    reference = expected_calibration_error(1 - y, p, n_bins=5)
    assert expected_calibration_error(
        names[y], p, n_bins=5, pos_label="yes"
    ) == pytest.approx(reference)


def test_cost_curve_display_rejects_bad_input_and_needs_pos_label():
    import matplotlib.pyplot as plt

    y = np.array([0, 1, 1, 0, 1])
    s = np.array([0.1, 0.8, 0.4, 0.3, 0.9])
    with pytest.raises(ValueError, match="sample_weight"):
        CostCurveDisplay.from_predictions(y, s, sample_weight=[1, np.nan, 1, 1, 1])
    with pytest.raises(ValueError, match="sample_weight"):
        CostCurveDisplay.from_predictions(y, s, sample_weight=[1, -1, 1, 1, 1])
    with pytest.raises(ValueError, match="y_score contains NaN"):
        CostCurveDisplay.from_predictions(y, [0.1, np.nan, 0.4, 0.3, 0.9])
    with pytest.raises(ValueError, match="different lengths"):
        CostCurveDisplay.from_predictions(y, s[:3])
    with pytest.raises(ValueError, match="empty"):
        CostCurveDisplay.from_predictions([], [])
    with pytest.raises(ValueError, match="y_score must be a 1-d"):
        CostCurveDisplay.from_predictions(y, np.c_[s, s])
    with pytest.raises(ValueError, match="sample_cost contains NaN"):
        CostCurveDisplay.from_predictions(y, s, sample_cost=np.full((5, 2, 2), np.nan))
    with pytest.raises(ValueError, match=r"labels of y_true are \['a', 'b'\]"):
        CostCurveDisplay.from_predictions(np.array(["a", "b"])[y], s)
    # the positive class given by name gives the numeric curve
    names = np.array(["legit", "fraud"])
    cost = {"fp": 1, "fn": 5}
    numeric = CostCurveDisplay.from_predictions(y, s, cost_matrix=cost)
    named = CostCurveDisplay.from_predictions(
        names[y], s, cost_matrix=cost, pos_label="fraud"
    )
    np.testing.assert_array_equal(named.costs, numeric.costs)
    # from_estimator scores the class named by pos_label
    X, y_int = make_classification(n_samples=300, weights=[0.8], random_state=0)
    model = LogisticRegression().fit(X, names[y_int])  # classes_ = [fraud, legit]
    with pytest.raises(ValueError, match=r"classes_ are \['fraud', 'legit'\]"):
        CostCurveDisplay.from_estimator(model, X, names[y_int], cost_matrix=cost)
    display = CostCurveDisplay.from_estimator(
        model, X, names[y_int], cost_matrix=cost, pos_label="fraud"
    )
    fraud_proba = model.predict_proba(X)[:, 0]
    reference = CostCurveDisplay.from_predictions(y_int, fraud_proba, cost_matrix=cost)
    np.testing.assert_allclose(display.costs, reference.costs)
    plt.close("all")


def test_cost_scorer_pos_label_drives_scikit_learn_threshold_tuner():
    from sklearn.model_selection import TunedThresholdClassifierCV

    X, y = make_classification(n_samples=2000, weights=[0.9], random_state=0)
    names = np.array(["legit", "fraud"])
    cost = {"fp": 1, "fn": 20}

    def tuned(scorer, target):
        return TunedThresholdClassifierCV(
            LogisticRegression(), scoring=scorer, thresholds=50
        ).fit(X, target)

    named = tuned(make_cost_scorer(cost, pos_label="fraud"), names[y])
    numeric = tuned(make_cost_scorer(cost), y)
    assert named.best_threshold_ == pytest.approx(numeric.best_threshold_)
    np.testing.assert_array_equal(named.predict(X) == "fraud", numeric.predict(X) == 1)
