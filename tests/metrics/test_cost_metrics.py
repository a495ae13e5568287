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
    assert total_cost(y_true, y_pred, sample_cost=sample_cost) == 10.0
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
