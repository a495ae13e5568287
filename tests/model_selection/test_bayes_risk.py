import numpy as np
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlfound.datasets import make_fraud
from mlfound.metrics import expected_calibration_error, make_cost_scorer, total_cost
from mlfound.model_selection import BayesMinimumRiskClassifier


@pytest.mark.parametrize("seed", range(4))
def test_binary_decision_is_the_closed_form_threshold(seed):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 10, (2, 2))
    # Errors cost more than correct decisions, as in any sane cost matrix.
    cost[0, 1] += cost[0, 0]
    cost[1, 0] += cost[1, 1]
    X, y = make_classification(n_samples=2000, random_state=seed)
    clf = BayesMinimumRiskClassifier(cost_matrix=cost).fit(X, y)
    p = clf.predict_proba(X)[:, 1]
    c_fp, c_tn, c_fn, c_tp = cost[0, 1], cost[0, 0], cost[1, 0], cost[1, 1]
    threshold = (c_fp - c_tn) / (c_fp - c_tn + c_fn - c_tp)
    away = np.abs(p - threshold) > 1e-9
    np.testing.assert_array_equal(clf.predict(X)[away], (p > threshold)[away])


def test_fraud_threshold_is_one_over_51():
    data = make_fraud(n_samples=5000, fraud_rate=0.05, random_state=0)
    clf = BayesMinimumRiskClassifier(cost_matrix={"fp": 1, "fn": 50})
    clf.fit(data.X, data.y)
    p = clf.predict_proba(data.X)[:, 1]
    np.testing.assert_array_equal(clf.predict(data.X), (p > 1 / 51).astype(int))


def test_three_classes_equal_brute_force_argmin():
    X, y = make_classification(
        n_samples=600, n_classes=3, n_informative=4, random_state=0
    )
    labels = np.array(["a", "b", "c"])[y]
    cost = np.array([[0.0, 1.0, 4.0], [2.0, 0.0, 1.0], [8.0, 3.0, 0.0]])
    clf = BayesMinimumRiskClassifier(cost_matrix=cost).fit(X, labels)
    proba = clf.predict_proba(X)
    expected = []
    for n in range(X.shape[0]):
        risks = [sum(proba[n, i] * cost[i, j] for i in range(3)) for j in range(3)]
        expected.append(clf.classes_[int(np.argmin(risks))])
    np.testing.assert_array_equal(clf.predict(X), expected)
    np.testing.assert_allclose(clf.predict_risk(X), proba @ cost)
    # The Bayes decisions are cheaper on average than the most probable class.
    ours = total_cost(labels, clf.predict(X), cost_matrix=cost)
    argmax = total_cost(labels, clf.classes_[proba.argmax(1)], cost_matrix=cost)
    assert ours < argmax


def test_per_sample_costs_at_predict_time():
    data = make_fraud(n_samples=3000, fraud_rate=0.05, random_state=1)
    clf = BayesMinimumRiskClassifier().fit(data.X, data.y)
    sample_cost = np.zeros((3000, 2, 2))
    sample_cost[:, 0, 1] = 5.0
    sample_cost[:, 1, 0] = data.amount
    p = clf.predict_proba(data.X)[:, 1]
    # Flag when p * amount > (1 - p) * 5.
    expected = (p * data.amount > (1 - p) * 5.0).astype(int)
    np.testing.assert_array_equal(
        clf.predict(data.X, sample_cost=sample_cost), expected
    )
    with pytest.raises(ValueError, match="sample_cost"):
        clf.predict(data.X, sample_cost=np.ones((10, 2, 2)))


def test_calibration_wraps_the_estimator_and_improves_calibration():
    X, y = make_classification(
        n_samples=4000, n_informative=4, n_redundant=6, random_state=0
    )
    raw = BayesMinimumRiskClassifier(GaussianNB()).fit(X[:3000], y[:3000])
    iso = BayesMinimumRiskClassifier(GaussianNB(), calibration="isotonic")
    iso.fit(X[:3000], y[:3000])
    assert isinstance(iso.estimator_, CalibratedClassifierCV)
    assert iso.estimator_.method == "isotonic"
    ece_raw = expected_calibration_error(y[3000:], raw.predict_proba(X[3000:])[:, 1])
    ece_iso = expected_calibration_error(y[3000:], iso.predict_proba(X[3000:])[:, 1])
    assert ece_iso < ece_raw
    sig = BayesMinimumRiskClassifier(calibration="sigmoid").fit(X, y)
    assert sig.estimator_.method == "sigmoid"


class _RecordingClassifier(ClassifierMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None):
        self.received_ = sample_weight
        self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


def test_sample_weight_routing():
    X, y = make_classification(n_samples=200, random_state=0)
    w = np.random.default_rng(0).random(200)
    clf = BayesMinimumRiskClassifier(_RecordingClassifier()).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(clf.estimator_.received_, w)
    with sklearn.config_context(enable_metadata_routing=True):
        inner = _RecordingClassifier().set_fit_request(sample_weight=True)
        clf = BayesMinimumRiskClassifier(inner).fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(clf.estimator_.received_, w)
        inner = _RecordingClassifier().set_fit_request(sample_weight=False)
        clf = BayesMinimumRiskClassifier(inner).fit(X, y, sample_weight=w)
        assert clf.estimator_.received_ is None


def test_pipeline_and_grid_search():
    X, y = make_classification(n_samples=300, weights=[0.8], random_state=0)
    cost = {"fp": 1, "fn": 5}
    pipe = make_pipeline(
        StandardScaler(),
        BayesMinimumRiskClassifier(LogisticRegression(), cost_matrix=cost),
    )
    search = GridSearchCV(
        pipe,
        {"bayesminimumriskclassifier__estimator__C": [0.1, 1.0]},
        scoring=make_cost_scorer(cost),
        cv=3,
    ).fit(X, y)
    assert search.predict(X).shape == y.shape


@pytest.mark.parametrize(
    ("cost", "match"),
    [
        (np.ones((2, 2)) - np.eye(2), r"must be \(3, 3\)"),
        ({"fp": 1, "fn": 5}, r"must be \(3, 3\)"),
        (np.ones((3, 2)), "square"),
        (-np.ones((3, 3)), "negative"),
        (np.zeros((3, 3)), "all zeros"),
    ],
)
def test_cost_matrix_errors(cost, match):
    X, y = make_classification(
        n_samples=90, n_classes=3, n_informative=3, random_state=0
    )
    with pytest.raises(ValueError, match=match):
        BayesMinimumRiskClassifier(cost_matrix=cost).fit(X, y)


def test_sample_weight_is_never_dropped_silently():
    X, y = make_classification(200, 4, random_state=0)
    clf = BayesMinimumRiskClassifier(KNeighborsClassifier())
    with pytest.raises(ValueError, match="sample_weight was given but"):
        clf.fit(X, y, sample_weight=np.ones(200))
    # With calibration the weights reach CalibratedClassifierCV, which uses
    # them for the calibration and says so itself.
    with pytest.warns(UserWarning, match="does not appear to accept sample_weight"):
        clf.set_params(calibration="sigmoid").fit(X, y, sample_weight=np.ones(200))


def test_binary_costs_on_string_labels_need_pos_label():
    X, y = make_classification(n_samples=400, weights=[0.9], random_state=0)
    names = np.array(["legit", "fraud"])  # 1 = fraud, which sorts first
    cost = {"fp": 1, "fn": 50}
    numeric = BayesMinimumRiskClassifier(cost_matrix=cost).fit(X, y)
    with pytest.raises(ValueError, match=r"labels of y are \['fraud', 'legit'\]"):
        BayesMinimumRiskClassifier(cost_matrix=cost).fit(X, names[y])
    named = BayesMinimumRiskClassifier(cost_matrix=cost, pos_label="fraud")
    named.fit(X, names[y])
    assert list(named.classes_) == ["fraud", "legit"]
    np.testing.assert_array_equal(named.predict(X) == "fraud", numeric.predict(X) == 1)
    assert (numeric.predict(X) == 1).sum() > (y == 1).sum()  # FN costly: flag more
    # per-sample costs at predict time follow the same [negative, positive] order
    sample_cost = np.zeros((400, 2, 2))
    sample_cost[:, 0, 1] = 1.0
    sample_cost[:, 1, 0] = np.linspace(1, 100, 400)
    np.testing.assert_array_equal(
        named.predict(X, sample_cost=sample_cost) == "fraud",
        numeric.predict(X, sample_cost=sample_cost) == 1,
    )
    # symmetric 0/1 costs need no positive class, but per-sample costs do
    plain = BayesMinimumRiskClassifier().fit(X, names[y])
    with pytest.raises(ValueError, match="pos_label"):
        plain.predict(X, sample_cost=sample_cost)
    with pytest.raises(ValueError, match="pos_label only applies to two classes"):
        BayesMinimumRiskClassifier(pos_label=1).fit(X, y % 3 + (X[:, 0] > 0))
