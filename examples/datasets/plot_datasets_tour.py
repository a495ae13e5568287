"""
=======================================================
A tour of the scenario data sets and their ground truth
=======================================================

Every generator in :mod:`mlfound.datasets` returns, next to ``X`` and ``y``,
the ground truth that produced the data. That is what makes them useful for
tests and teaching: a method can be judged against what is *known* to be
true, not only against another method. This example draws each scenario once
and plots the piece of truth that matters for it.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from mlfound.datasets import (
    make_click_logs,
    make_fraud,
    make_high_cardinality,
    make_imbalanced,
    make_star_ratings,
)

fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), layout="constrained")

# %%
# Fraud: 1% positives, and the true fraud probability of every transaction.
# A decision threshold of 0.5 on that probability blocks almost nothing.
fraud = make_fraud(n_samples=20_000, random_state=0)
ax = axes[0, 0]
bins = np.linspace(0, 1, 41)
ax.hist(fraud.fraud_probability[fraud.y == 0], bins=bins, alpha=0.6, label="legit")
ax.hist(fraud.fraud_probability[fraud.y == 1], bins=bins, alpha=0.6, label="fraud")
ax.set(
    yscale="log",
    xlabel="true P(fraud | x)",
    title=f"make_fraud: {fraud.y.mean():.1%} fraud",
)
ax.legend()

# %%
# Star ratings: a latent score cut at the true cut points gives ratings 1-5.
ratings = make_star_ratings(n_samples=5_000, random_state=0)
ax = axes[0, 1]
score = ratings.X @ ratings.coef
for k in np.unique(ratings.y):
    ax.hist(score[ratings.y == k], bins=40, alpha=0.5, label=f"{k} stars")
for theta in ratings.thresholds:
    ax.axvline(theta, color="k", lw=0.8, ls="--")
ax.set(xlabel="x . coef (dashed: true cut points)", title="make_star_ratings")
ax.legend(fontsize=8)

# %%
# Click logs: the click rate per position is relevance x examination, and the
# logging policy puts more relevant items higher, so the raw click-rate curve
# falls faster than the true examination curve 1/k.
clicks = make_click_logs(n_samples=200_000, random_state=0)
ax = axes[0, 2]
k = np.arange(1, clicks.propensity.shape[0] + 1)
ctr = (
    np.bincount(clicks.positions, weights=clicks.y)[1:]
    / np.bincount(clicks.positions)[1:]
)
ax.plot(k, clicks.propensity, "o-", label="true examination theta_k")
ax.plot(k, ctr / ctr[0], "s--", label="click rate / click rate at 1")
ax.set(xlabel="position k", title="make_click_logs: position bias")
ax.legend()

# %%
# High cardinality: Zipf-like level frequencies; ``user_id`` is pure noise
# with about four rows per level, exactly where a leaky group-by mean looks
# predictive.
cats = make_high_cardinality(n_samples=20_000, random_state=0)
ax = axes[1, 0]
for j, name in enumerate(cats.feature_names):
    _, counts = np.unique(cats.X[:, j], return_counts=True)
    ax.loglog(np.sort(counts)[::-1], label=f"{name} ({counts.size} levels)")
ax.set(xlabel="level rank", ylabel="rows", title="make_high_cardinality")
ax.legend()

# %%
# Severe imbalance 1:100 with a logistic truth: the Bayes posterior of every
# row is known, so any model's ranking and calibration can be checked.
imb = make_imbalanced(n_samples=20_000, random_state=0)
ax = axes[1, 1]
ax.hist(imb.posterior[imb.y == 0], bins=bins, alpha=0.6, label="negative")
ax.hist(imb.posterior[imb.y == 1], bins=bins, alpha=0.6, label="positive")
ax.set(
    yscale="log",
    xlabel="true P(y=1 | x)",
    title=f"make_imbalanced: {imb.y.mean():.2%} positive",
)
ax.legend()

axes[1, 2].axis("off")
axes[1, 2].text(
    0.0,
    0.5,
    "Each generator returns a Bunch:\n  X, y, feature_names, DESCR\n"
    "  + the ground truth (coefficients,\n    cut points, propensities,\n"
    "    relevance, posteriors, effects)",
    family="monospace",
    va="center",
)
plt.show()
