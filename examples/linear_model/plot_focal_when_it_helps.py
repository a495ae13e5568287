"""
=====================================================================
Focal loss against plain, re-weighted and SMOTE models, over seeds
=====================================================================

Where does the focal loss help on a 1:50 problem, and against what? This
example runs the "misspecified" scenario of the study in the
:ref:`focal-loss user guide <focal_loss>`: a non-linear truth fitted by
linear models, a case built to give the focal loss its chance (it
concentrates the fit on the rows near the top of the ranking instead of the
bulk of easy negatives), and the same data for LightGBM with and without
the focal objective. Every model sees the same training and test rows, and
the comparison is repeated on three independent draws of the data, so the
bars show a mean and its spread, not one lucky split.

What it shows, and what the full study (four scenarios, five seeds)
confirms:

- linear models: the focal loss ranks the rare positives far better than
  ``class_weight="balanced"`` and ``SMOTE`` (higher PR-AUC), which tilt a
  misspecified model towards the bulk of the data; but a *plain*
  ``LogisticRegression`` ranks just as well, and decides just as cheaply;
- LightGBM: the focal objective gains about 0.01 in PR-AUC over log-loss at
  the same settings, a small but consistent win;
- the decision rule matters more than the loss: plain and focal models cost
  about two to three times less with the cost-optimal cut on calibrated
  probabilities (or a tuned threshold) than at 0.5.
"""

# %%
# Data: a non-linear truth, 2% positives
# --------------------------------------
# The features are the standard normal columns of
# :func:`mlfound.datasets.make_imbalanced`; the labels are re-drawn from log
# odds :math:`b + 4 x_0 + 2 x_1 (1 - x_0)`, so the effect of :math:`x_1`
# flips sign along :math:`x_0` and no linear model is right everywhere.
import lightgbm as lgb
import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from scipy.optimize import brentq
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlfound.datasets import make_imbalanced
from mlfound.linear_model import (
    FocalBoostingObjective,
    FocalLossClassifier,
    focal_to_posterior,
)
from mlfound.metrics import expected_calibration_error, expected_cost
from mlfound.model_selection import CostSensitiveThresholdClassifier

COSTS = {"fp": 1.0, "fn": 20.0}  # a missed positive costs 20 false alarms
BAYES = 1.0 / 21.0  # the cost-optimal cut for calibrated probabilities


def misspecified(n_samples, seed):
    X = make_imbalanced(n_samples, n_features=10, random_state=seed).X
    z = 4.0 * X[:, 0] + 2.0 * X[:, 1] * (1.0 - X[:, 0])
    intercept = brentq(lambda b: expit(b + z).mean() - 0.02, -50.0, 50.0)
    rng = np.random.default_rng(seed)
    y = (rng.random(n_samples) < expit(intercept + z)).astype(int)
    return X, y


def restore_prior(p, y_train):
    """Probabilities of a model trained at 1:1, mapped back to the real prior."""
    odds = p / (1.0 - p) * y_train.mean() / (1.0 - y_train.mean())
    return odds / (1.0 + odds)


# %%
# Seven models, three seeds, the same rows
# ----------------------------------------
# Each model gives scores (for PR-AUC) and a probability estimate (for the
# Bayes cut at 1/21): the re-weighted models get their training prior
# restored, the focal models go through
# :func:`~mlfound.linear_model.focal_to_posterior` (``posterior=True`` for
# the boosting set-up). The threshold tuner
# (:class:`~mlfound.model_selection.CostSensitiveThresholdClassifier` around
# the plain model) brings its own cut. Both LightGBM models use the same
# settings.
def scaled(classifier):
    return make_pipeline(StandardScaler(), classifier)


def lightgbm_focal(X_train, y_train, X_test):
    setup = FocalBoostingObjective(gamma=2.0, alpha=0.25).for_lightgbm(y_train)
    model = lgb.LGBMClassifier(objective=setup.objective, **BOOSTING)
    model.fit(X_train, y_train, init_score=setup.init_score)
    margin = model.predict(X_test, raw_score=True)
    corrected = FocalBoostingObjective(gamma=2.0, alpha=0.25, posterior=True)
    posterior = corrected.for_lightgbm(y_train).predict_proba(margin)[:, 1]
    return setup.predict_proba(margin)[:, 1], posterior


BOOSTING = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15}
BOOSTING.update(n_jobs=1, verbose=-1)
names = ["plain", "balanced", "SMOTE", "threshold", "focal", "LGBM", "LGBM focal"]
seeds = [0, 1, 2]
pr_auc = {name: [] for name in names}
cost_05 = {name: [] for name in names}
cost_bayes = {name: [] for name in names}
calibration = {"plain": [], "raw focal": [], "focal_to_posterior": []}
y_tests = []
for seed in seeds:
    X, y = misspecified(20_000, seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    y_tests.append(y_test)
    models = {
        "plain": scaled(LogisticRegression()),
        "balanced": scaled(LogisticRegression(class_weight="balanced")),
        "SMOTE": make_imblearn_pipeline(
            StandardScaler(), SMOTE(random_state=seed), LogisticRegression()
        ),
        "threshold": CostSensitiveThresholdClassifier(
            scaled(LogisticRegression()), cost_matrix=COSTS, cv=3, random_state=seed
        ),
        "focal": scaled(FocalLossClassifier(gamma=2.0, alpha=0.25)),
        "LGBM": lgb.LGBMClassifier(**BOOSTING),
    }
    for name in names:
        if name == "LGBM focal":
            p, estimate = lightgbm_focal(X_train, y_train, X_test)
        else:
            model = models[name].fit(X_train, y_train)
            p = model.predict_proba(X_test)[:, 1]
        pr_auc[name].append(average_precision_score(y_test, p))
        cost_05[name].append(expected_cost(y_test, p >= 0.5, cost_matrix=COSTS))
        if name == "threshold":
            decisions = model.predict(X_test)
            cost_05[name][-1] = expected_cost(y_test, decisions, cost_matrix=COSTS)
            estimate = None
        elif name in ("balanced", "SMOTE"):
            estimate = restore_prior(p, y_train)
        elif name == "focal":
            estimate = focal_to_posterior(
                np.column_stack([1 - p, p]), gamma=2.0, alpha=0.25
            )[:, 1]
            calibration["raw focal"].append(p)
            calibration["focal_to_posterior"].append(estimate)
        elif name in ("plain", "LGBM"):
            estimate = p
            if name == "plain":
                calibration["plain"].append(p)
        if estimate is None:  # the tuner's own cut
            cost_bayes[name].append(cost_05[name][-1])
        else:
            cost_bayes[name].append(
                expected_cost(y_test, estimate >= BAYES, cost_matrix=COSTS)
            )

print(f"{'':10s} {'PR-AUC':>13s}   cost/1000: {'@0.5':>6s} {'@1/21':>6s}")
for name in names:
    print(
        f"{name:10s} {np.mean(pr_auc[name]):.3f} ± {np.std(pr_auc[name]):.3f}"
        f"   {'':10s} {1000 * np.mean(cost_05[name]):6.1f}"
        f" {1000 * np.mean(cost_bayes[name]):6.1f}"
    )

# %%
# Ranking and decisions, mean and spread over seeds
# -------------------------------------------------
# Top: PR-AUC. The linear focal bar sits level with the plain one and well
# above the re-weighted ones; LightGBM's focal bar is a little above its
# log-loss bar (the study finds +0.009 on this scenario over five seeds,
# better on every seed). Bottom: expected cost per 1,000 test rows. The pale
# bars cut at 0.5 (the tuner at its tuned threshold), the dark ones at the
# Bayes cut 1/21 of each model's probability estimate; the dashed line is
# the cost of flagging nothing. The error bars are one standard deviation
# over the three seeds.
x = np.arange(len(names))
fig, (ax_rank, ax_cost) = plt.subplots(2, 1, figsize=(7, 8), sharex=True)
ax_rank.bar(
    x,
    [np.mean(pr_auc[n]) for n in names],
    yerr=[np.std(pr_auc[n]) for n in names],
    color=["0.6", "0.6", "0.6", "0.6", "tab:red", "0.6", "tab:red"],
    capsize=4,
)
low = min(min(v) for v in pr_auc.values())
ax_rank.set_ylim(max(0.0, low - 0.1), None)
ax_rank.set_ylabel("PR-AUC (average precision), test")
ax_rank.set_title("Ranking the rare positives")
width = 0.4
ax_cost.bar(
    x - width / 2,
    [1000 * np.mean(cost_05[n]) for n in names],
    width,
    yerr=[1000 * np.std(cost_05[n]) for n in names],
    color="0.8",
    capsize=3,
    label="cut at 0.5 (tuner: tuned cut)",
)
ax_cost.bar(
    x + width / 2,
    [1000 * np.mean(cost_bayes[n]) for n in names],
    width,
    yerr=[1000 * np.std(cost_bayes[n]) for n in names],
    color="0.3",
    capsize=3,
    label="cut at 1/21 on the probability estimate",
)
ax_cost.axhline(
    1000 * COSTS["fn"] * np.mean([y.mean() for y in y_tests]),
    color="k",
    linestyle="--",
    linewidth=1,
    label="flag nothing",
)
ax_cost.set_xticks(x, names, rotation=30)
ax_cost.set_ylabel("expected cost per 1,000 rows (FN = 20 FP)")
ax_cost.set_title("Deciding")
ax_cost.legend(loc="upper center")
ax_cost.set_ylim(0, 1.25 * 1000 * COSTS["fn"] * 0.02)
plt.tight_layout()
plt.show()

# %%
# Focal probabilities are not calibrated
# --------------------------------------
# The focal loss is not a proper scoring rule: its minimiser pulls the
# probabilities towards 1/2, so the raw ``predict_proba`` overstates the
# risk of the many low-risk rows. :func:`~mlfound.linear_model.focal_to_posterior`
# inverts that bias in closed form. The baseline is the plain logistic
# regression, whose probabilities are fitted by maximum likelihood. The
# expected calibration error (20 bins of equal size, pooled over the seeds)
# and the reliability curves (10 bins of equal size, on log scales; a curve
# right of the diagonal overstates the risk, bins without a positive are not
# drawn):
y_all = np.concatenate(y_tests)
fig, ax = plt.subplots(figsize=(5, 4))
for name, parts in calibration.items():
    p = np.concatenate(parts)
    ece = expected_calibration_error(y_all, p, n_bins=20, strategy="quantile")
    edges = np.quantile(p, np.linspace(0, 1, 11))
    bins = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, 9)
    count = np.bincount(bins, minlength=10)
    mean_p = np.bincount(bins, p, 10) / count
    rate = np.bincount(bins, y_all, 10) / count
    ax.plot(mean_p, rate, "o-", ms=4, label=f"{name} (ECE {ece:.4f})")
    print(f"{name:20s} ECE = {ece:.4f}")
ax.plot([1e-4, 1], [1e-4, 1], "k--", lw=1)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlim(1e-4, 1)
ax.set_ylim(1e-4, 1)
ax.set_xlabel("mean predicted probability (10 quantile bins)")
ax.set_ylabel("observed rate of positives")
ax.set_title("Reliability on the test halves")
ax.legend(fontsize=8, loc="upper left")
plt.tight_layout()
plt.show()
