"""
=========================
Comparing models honestly
=========================

Two models scored on the same cross-validation folds are usually compared
with a plain paired t-test. The folds share training rows, so the per-fold
differences are correlated and that test rejects far too often. This example
measures it on data where two models are equally good by construction, shows
the corrected resampled t-test of
:func:`~mlfound.model_selection.paired_cv_test` holding its level, compares
several real models with Holm-adjusted p-values, and replaces one Lasso's
feature set by :class:`~mlfound.feature_selection.StabilitySelector`.
"""

# %%
# Two equally good models, many data sets
# ---------------------------------------
# ``y = 1[x0 + x1 + noise > 0]``: a model that thresholds ``x0`` and one that
# thresholds ``x1`` have the same expected accuracy. On each fresh data set
# both are scored on the same 5-fold CV repeated 5 times; the plain paired
# t-test is computed from the same fold scores.
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import RepeatedKFold

from mlfound.model_selection import paired_cv_test


class OneFeatureClassifier(ClassifierMixin, BaseEstimator):
    """Predicts 1 when one feature exceeds the midpoint of the class means."""

    def __init__(self, feature=0):
        self.feature = feature

    def fit(self, X, y):
        x = X[:, self.feature]
        self.classes_ = np.array([0, 1])
        self.cut_ = 0.5 * (x[y == 0].mean() + x[y == 1].mean())
        return self

    def predict(self, X):
        return (X[:, self.feature] > self.cut_).astype(int)


rng = np.random.default_rng(0)
p_corrected, p_plain = [], []
for r in range(150):
    X = rng.normal(size=(100, 2))
    y = (X[:, 0] + X[:, 1] + rng.normal(size=100) > 0).astype(int)
    cv = RepeatedKFold(n_splits=5, n_repeats=5, random_state=r)
    res = paired_cv_test(
        OneFeatureClassifier(0),
        OneFeatureClassifier(1),
        X,
        y,
        cv=cv,
        scoring="accuracy",
    )
    p_corrected.append(res.pvalue)
    p_plain.append(stats.ttest_rel(res.scores_a, res.scores_b).pvalue)
p_corrected, p_plain = np.array(p_corrected), np.array(p_plain)

fig, ax = plt.subplots(figsize=(6, 3.5))
bins = np.linspace(0, 1, 21)
ax.hist(p_plain, bins=bins, alpha=0.6, label="plain paired t")
ax.hist(p_corrected, bins=bins, alpha=0.6, label="corrected resampled t")
ax.axhline(len(p_plain) / 20, color="k", lw=1, ls="--", label="uniform (honest)")
ax.set_xlabel("p-value when both models are equally good")
ax.set_ylabel("data sets")
ax.set_title(
    f"rejections at 0.05: plain {np.mean(p_plain < 0.05):.0%}, "
    f"corrected {np.mean(p_corrected < 0.05):.0%}"
)
ax.legend()
fig.tight_layout()

# %%
# Under a true null a test's p-values should be uniform. The plain test piles
# them near 0: it "finds" a difference in more than a third of the data sets. The
# corrected test is at or below 5% (slightly conservative with 25 splits).
#
# Several models, Holm-adjusted
# -----------------------------
# :func:`~mlfound.model_selection.compare_models` fits each model once per
# split and tests all pairs; Holm's adjustment keeps the chance of any false
# "better" claim at 5%.
from sklearn.datasets import make_classification
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from mlfound.model_selection import compare_models

X, y = make_classification(n_samples=400, n_informative=5, random_state=0)
table = compare_models(
    {
        "logistic": LogisticRegression(),
        "naive Bayes": GaussianNB(),
        "tree": DecisionTreeClassifier(max_depth=4, random_state=0),
        "dummy": DummyClassifier(),
    },
    X,
    y,
    random_state=0,
)
columns = ["model_a", "model_b", "mean_difference", "pvalue", "pvalue_adjusted"]
print(table[columns].to_string(index=False, float_format="{:.3g}".format))

# %%
# Stability selection instead of one Lasso
# ----------------------------------------
# n = 500 rows, 50 features, 5 of them with coefficients 3, -2, 1.5, -1, 0.8,
# noise N(0, 1). ``LassoCV`` keeps extra noise features; stability selection
# keeps the features selected on at least 80% of half-samples somewhere on
# the penalty path.
from sklearn.linear_model import LassoCV

from mlfound.feature_selection import StabilitySelector

X = rng.normal(size=(500, 50))
beta = np.zeros(50)
beta[:5] = [3, -2, 1.5, -1, 0.8]
y = X @ beta + rng.normal(size=500)
lasso = LassoCV(cv=5, random_state=0).fit(X, y)
selector = StabilitySelector(
    n_resamples=50, alphas=15, penalty_weakness=0.5, random_state=0
).fit(X, y)

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
for j in range(50):
    true = j < 5
    ax.plot(
        selector.alphas_,
        selector.stability_scores_[j],
        color="C3" if true else "0.6",
        lw=2 if true else 0.8,
        label="true feature" if j == 0 else ("noise feature" if j == 5 else None),
    )
ax.axhline(selector.threshold, color="k", ls="--", lw=1, label="threshold 0.8")
ax.set_xscale("log")
ax.invert_xaxis()
ax.set_xlabel("Lasso alpha (weaker penalty to the right)")
ax.set_ylabel("stability score")
ax.set_title(
    f"kept {selector.get_support().sum()} features (LassoCV: "
    f"{np.count_nonzero(lasso.coef_)}); E[false] <= "
    f"{selector.false_selection_bound_:.2f}"
)
ax.xaxis.set_minor_locator(matplotlib.ticker.LogLocator(subs=(2, 3, 5)))
ax.xaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
plt.show()

# %%
# ``false_selection_bound_`` is Meinshausen and Buhlmann's bound
# ``q^2 / ((2 * 0.8 - 1) p)`` on the expected number of noise features kept,
# with ``q`` the average number selected per half-sample.
