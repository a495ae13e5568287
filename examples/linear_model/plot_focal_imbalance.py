"""
=====================================================================
Focal loss vs class weights vs SMOTE on 1:100 imbalanced data
=====================================================================

With one positive per hundred negatives, accuracy is useless (99% for the
model that never predicts the positive class) and the question is how well
each model *ranks* the rare positives: the precision-recall curve and its
area (average precision, PR-AUC).

We compare, on :func:`mlfound.datasets.make_imbalanced`:

- a plain ``LogisticRegression``;
- ``LogisticRegression(class_weight="balanced")``;
- ``SMOTE`` oversampling followed by a logistic regression, *inside* an
  imbalanced-learn ``Pipeline`` so that only training data is resampled;
- :class:`~mlfound.linear_model.FocalLossClassifier` with ``gamma=2``.

The data come from a known logistic model, so we can also check the
probabilities against the true posterior: focal probabilities are biased
(the focal loss is not a proper scoring rule), and we correct them.
"""

# %%
# Data: 1:100 imbalance with a known truth
# ----------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import PrecisionRecallDisplay, average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlfound.datasets import make_imbalanced
from mlfound.linear_model import FocalLossClassifier, focal_to_posterior

data = make_imbalanced(60_000, imbalance_ratio=100, random_state=0)
X_train, X_test, y_train, y_test, _, post_test = train_test_split(
    data.X, data.y, data.posterior, test_size=0.5, stratify=data.y, random_state=0
)
print(f"positives: {y_train.sum()} of {y_train.size} training rows")

# %%
# Four models, one protocol
# -------------------------
models = {
    "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression()),
    "class_weight='balanced'": make_pipeline(
        StandardScaler(), LogisticRegression(class_weight="balanced")
    ),
    "SMOTE + LogisticRegression": make_imblearn_pipeline(
        StandardScaler(), SMOTE(random_state=0), LogisticRegression()
    ),
    "FocalLossClassifier(gamma=2)": make_pipeline(
        StandardScaler(), FocalLossClassifier(gamma=2.0)
    ),
}
scores = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    scores[name] = model.predict_proba(X_test)[:, 1]
    print(f"{name:30s} PR-AUC = {average_precision_score(y_test, scores[name]):.4f}")
print(
    f"{'Bayes posterior (truth)':30s} PR-AUC = "
    f"{average_precision_score(y_test, post_test):.4f}"
)

# %%
# Precision-recall curves
# -----------------------
# Re-weighting (class weights, SMOTE) moves the default threshold, but it also
# up-weights every positive, the easy ones included, which costs some ranking
# quality at the top of the list. The focal loss instead concentrates on the
# hard samples and keeps the ranking of the plain model. Here the data follow
# a logistic model exactly, so the plain (maximum-likelihood) model is already
# close to the Bayes ceiling and focal loss matches it; the gains of focal
# loss over the plain model show up when the linear model is misspecified.
# Averaged over several random draws, focal loss scores at least as well as
# class weighting (checked in mlfound's test suite).
fig, ax = plt.subplots(figsize=(6, 5))
for name, score in scores.items():
    PrecisionRecallDisplay.from_predictions(y_test, score, name=name, ax=ax)
PrecisionRecallDisplay.from_predictions(
    y_test,
    post_test,
    name="Bayes posterior",
    ax=ax,
    curve_kwargs={"linestyle": "--", "color": "k"},
)
ax.set_title("Precision-recall on held-out data (1:100)")
ax.legend(loc="upper right", fontsize=8)
plt.tight_layout()

# %%
# Focal probabilities are not calibrated
# --------------------------------------
# The focal minimiser pulls probabilities towards uncertainty, so the raw
# ``predict_proba`` over-states the risk of the many low-risk rows. Two fixes:
# the closed-form inverse :func:`~mlfound.linear_model.focal_to_posterior`,
# or ``CalibratedClassifierCV`` on held-out folds. Here we compare them with
# the true posterior, which the simulation gives us.
focal = models["FocalLossClassifier(gamma=2)"]
raw = focal.predict_proba(X_test)
corrected = focal_to_posterior(raw, gamma=2.0)[:, 1]
calibrated = CalibratedClassifierCV(
    make_pipeline(StandardScaler(), FocalLossClassifier(gamma=2.0)),
    method="isotonic",
    cv=3,
).fit(X_train, y_train)
iso = calibrated.predict_proba(X_test)[:, 1]
for name, p in [
    ("raw focal", raw[:, 1]),
    ("focal_to_posterior", corrected),
    ("CalibratedClassifierCV", iso),
]:
    err = np.mean(np.abs(p - post_test))
    print(f"{name:24s} mean |p - true posterior| = {err:.5f}, mean p = {p.mean():.4f}")
print(f"{'truth':24s} mean posterior = {post_test.mean():.4f}")

fig, ax = plt.subplots(figsize=(5, 5))
for name, p in [("raw focal", raw[:, 1]), ("focal_to_posterior", corrected)]:
    ax.scatter(post_test, p, s=2, alpha=0.3, label=name)
ax.plot([0, 1], [0, 1], "k--", lw=1)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlim(1e-5, 1)
ax.set_ylim(1e-5, 1)
ax.set_xlabel("true posterior P(y=1 | x)")
ax.set_ylabel("predicted probability")
ax.legend(markerscale=5)
ax.set_title("Focal probabilities vs the truth")
plt.tight_layout()
plt.show()
