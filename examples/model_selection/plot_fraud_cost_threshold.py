"""
===============================================
Fraud detection: the threshold that costs least
===============================================

A missed fraud costs 50 times more than a blocked legitimate transaction
(FP = 1, FN = 50), and only 1% of transactions are fraudulent. A classifier's
``predict`` flags a transaction when its fraud probability exceeds 0.5 --- the
wrong rule for these costs. This example writes the cost matrix first, tunes
the threshold of minimum expected cost with
:class:`~mlfound.model_selection.CostSensitiveThresholdClassifier`, plots the
exact cost curve with the chosen threshold and 0.5, checks calibration, and
moves the operating point when costs change, without retraining.
"""

# %%
# Data and costs
# --------------
# :func:`~mlfound.datasets.make_fraud` returns transactions with their true
# fraud probability and amount. Half is used to fit and tune, half to report.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import CalibrationDisplay
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from mlfound.datasets import make_fraud
from mlfound.metrics import (
    CostCurveDisplay,
    expected_calibration_error,
    total_cost,
)
from mlfound.model_selection import (
    BayesMinimumRiskClassifier,
    CostSensitiveThresholdClassifier,
)

data = make_fraud(n_samples=60_000, fraud_rate=0.01, random_state=0)
X_train, X_test, y_train, y_test, amount_train, amount_test = train_test_split(
    data.X, data.y, data.amount, test_size=0.5, stratify=data.y, random_state=0
)
cost = {"fp": 1, "fn": 50}
print(f"fraud rate: {y_train.mean():.2%} of {y_train.shape[0]:,} transactions")

# %%
# The default threshold vs the tuned one
# --------------------------------------
# The tuner fits the logistic regression on 5 folds, sorts the out-of-fold
# scores once and evaluates the cost of *every* distinct threshold in one pass.
plain = LogisticRegression().fit(X_train, y_train)
tuned = CostSensitiveThresholdClassifier(LogisticRegression(), cost_matrix=cost)
tuned.fit(X_train, y_train)

cost_default = total_cost(y_test, plain.predict(X_test), cost_matrix=cost)
cost_tuned = total_cost(y_test, tuned.predict(X_test), cost_matrix=cost)
bayes_threshold = 1 / 51
print(f"test cost at 0.5:                      {cost_default:,.0f}")
print(f"test cost at tuned {tuned.best_threshold_:.4f}:            {cost_tuned:,.0f}")
print(
    f"(Bayes threshold for perfectly calibrated probabilities: {bayes_threshold:.4f})"
)

# %%
# The cost curve
# --------------
# :class:`~mlfound.metrics.CostCurveDisplay` draws the exact curve on the test
# set and marks the tuned threshold and 0.5. The valley is far to the left.
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
display = CostCurveDisplay.from_estimator(tuned, X_test, y_test, ax=ax)
ax.set_xscale("log")
ax.set_xlim(1e-4, 1)
ax.set_title("Expected cost per transaction on the test set")
plt.show()

# %%
# Calibration
# -----------
# A probability threshold such as 1/51 is only meaningful for calibrated
# probabilities. The tuned threshold needs only the *order* of the scores, but
# the calibration curve tells whether the Bayes rule could be trusted. With 1%
# fraud, almost every predicted probability is below 0.1, so both axes are
# logarithmic: a calibrated model's points lie on the diagonal at every scale.
# (A bin without any fraud has a fraction of 0: the line drops to the edge.)
fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
CalibrationDisplay.from_estimator(
    tuned, X_test, y_test, n_bins=10, strategy="quantile", ax=ax, name="logistic"
)
ax.axvline(bayes_threshold, color="tab:red", ls="--", lw=0.8, label="1/51")
ax.set(xscale="log", yscale="log", xlim=(1e-4, 1), ylim=(1e-4, 1))
ax.set_title("Calibration on the test set (log-log)")
ax.legend(loc="upper left")
plt.show()
proba = tuned.predict_proba(X_test)[:, 1]
ece = expected_calibration_error(y_test, proba, n_bins=10, strategy="quantile")
print(f"expected calibration error: {ece:.4f}")

# %%
# Moving the operating point without retraining
# ---------------------------------------------
# When fraud losses grow to FN = 200, only the threshold moves:
# :meth:`~mlfound.model_selection.CostSensitiveThresholdClassifier.set_costs`
# re-runs the sweep on the stored out-of-fold scores. "Catch 95% of fraud" is a
# recall constraint.
for new_cost, constraint in [
    ({"fp": 1, "fn": 200}, None),
    ({"fp": 1, "fn": 50}, ("recall", 0.95)),
]:
    tuned.set_costs(new_cost, constraint=constraint)
    recall = (tuned.predict(X_test)[y_test == 1] == 1).mean()
    print(f"costs {new_cost}, constraint {constraint}:")
    print(f"    threshold {tuned.best_threshold_:.4f}, test recall {recall:.2%}")


# %%
# Example-dependent costs
# -----------------------
# A missed fraud loses its amount; a blocked transaction costs 5 to review.
# The tuner takes the per-sample costs at ``fit``; the Bayes rule uses the
# amount of each transaction at prediction time.
def amount_costs(amount):
    sample_cost = np.zeros((amount.shape[0], 2, 2))
    sample_cost[:, 0, 1] = 5.0
    sample_cost[:, 1, 0] = amount
    return sample_cost


by_amount = CostSensitiveThresholdClassifier(LogisticRegression())
by_amount.fit(X_train, y_train, sample_cost=amount_costs(amount_train))
bayes = BayesMinimumRiskClassifier(LogisticRegression()).fit(X_train, y_train)
test_cost = amount_costs(amount_test)
for name, pred in [
    ("threshold 0.5", plain.predict(X_test)),
    ("tuned threshold", by_amount.predict(X_test)),
    ("Bayes, amount known", bayes.predict(X_test, sample_cost=test_cost)),
]:
    money = total_cost(y_test, pred, sample_cost=test_cost)
    print(f"{name:<22} money lost + review cost: {money:,.0f}")
