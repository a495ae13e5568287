"""
=======================================================
A tour of the scenario data sets and their ground truth
=======================================================

Every generator in :mod:`mlfound.datasets` returns, next to ``X`` and ``y``,
the ground truth that produced the data. That is what makes them useful for
tests and teaching: a method can be judged against what is *known* to be
true, not only against another method. This example draws each of the six
scenarios once and plots the piece of truth that matters for it.
"""

# %%
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from mlfound.datasets import (
    make_click_logs,
    make_fraud,
    make_high_cardinality,
    make_imbalanced,
    make_search_logs,
    make_star_ratings,
)

probability_bins = np.linspace(0, 1, 41)

# %%
# Fraud: 1% positives and a known fraud probability
# --------------------------------------------------
# Most fraudulent transactions have a true fraud probability far below 0.5
# (note the log scale of the counts; about 89% of them are below 0.5 here):
# a decision threshold of 0.5, even on the true probability, lets most fraud
# through.
fraud = make_fraud(n_samples=20_000, random_state=0)
fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
for label, name in [(0, "legitimate"), (1, "fraud")]:
    ax.hist(
        fraud.fraud_probability[fraud.y == label],
        bins=probability_bins,
        alpha=0.6,
        label=name,
    )
ax.axvline(0.5, color="k", ls=":", label="threshold 0.5")
ax.set(
    yscale="log",
    xlabel="true P(fraud | x)",
    ylabel="transactions",
    title=f"make_fraud: {fraud.y.mean():.1%} fraud",
)
ax.legend()
plt.show()

# %%
# Star ratings: a latent score cut at known cut points
# ----------------------------------------------------
# Ratings 1-5 are a latent linear score plus noise, cut at the true cut points
# (dashed): neighbouring ratings overlap, distant ones do not. That order is
# what an ordinal model uses and a 5-class classifier ignores.
ratings = make_star_ratings(n_samples=5_000, random_state=0)
score = ratings.X @ ratings.coef
fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
for k in np.unique(ratings.y):
    ax.hist(
        score[ratings.y == k],
        bins=40,
        alpha=0.5,
        label=f"{k} star{'s' if k > 1 else ''}",
    )
for theta in ratings.thresholds:
    ax.axvline(theta, color="k", lw=0.8, ls="--")
ax.set(
    xlabel="x . coef (dashed: true cut points)",
    ylabel="rows",
    title="make_star_ratings",
)
ax.legend(fontsize=8)
plt.show()

# %%
# Click logs: position bias
# -------------------------
# The click rate per position is relevance times examination, and the logging
# policy puts more relevant items higher, so the raw click-rate curve falls
# faster than the true examination curve ``1 / k``: dividing clicks by the
# raw curve would over-correct.
clicks = make_click_logs(n_samples=200_000, random_state=0)
k = np.arange(1, clicks.propensity.shape[0] + 1)
shown = np.bincount(clicks.positions)[1:]
ctr = np.bincount(clicks.positions, weights=clicks.y)[1:] / shown
fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
ax.plot(k, clicks.propensity, "o-", label=r"true examination $\theta_k$")
ax.plot(k, ctr / ctr[0], "s--", label="click rate, relative to position 1")
ax.set(
    xlabel="position k",
    ylabel="relative to position 1",
    title="make_click_logs: position bias",
)
ax.legend()
plt.show()

# %%
# Search logs: graded relevance seen through position-biased clicks
# ------------------------------------------------------------------
# For learning to rank, each query shows ten documents with a true relevance
# grade 0-4. At every position, more relevant documents are clicked more, but
# a highly relevant document at position 8 is clicked less than a middling one
# at position 1.
search = make_search_logs(n_samples=50_000, random_state=0)
fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
positions = np.arange(1, search.propensity.shape[0] + 1)
for grade in np.unique(search.relevance):
    rows = search.relevance == grade
    at = search.positions[rows]
    n_shown = np.bincount(at, minlength=positions.size + 1)[1:]
    n_clicked = np.bincount(at, weights=search.y[rows], minlength=positions.size + 1)
    rate = n_clicked[1:] / np.maximum(n_shown, 1)
    ax.plot(positions, rate, "o-", label=f"relevance {grade}")
ax.set(
    xlabel="position",
    ylabel="click rate",
    title="make_search_logs: clicks by relevance and position",
)
ax.legend(fontsize=8)
plt.show()

# %%
# High cardinality: Zipf-like levels and a pure-noise id
# ------------------------------------------------------
# Level frequencies fall like a power law (a straight line on log-log axes);
# ``user_id`` is pure noise with a few rows per level, exactly where a leaky
# group-by mean of the target looks predictive.
cats = make_high_cardinality(n_samples=20_000, random_state=0)
fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
for j, name in enumerate(cats.feature_names):
    _, counts = np.unique(cats.X[:, j], return_counts=True)
    ax.loglog(
        np.arange(1, counts.size + 1),
        np.sort(counts)[::-1],
        label=f"{name} ({counts.size} levels)",
    )
ax.set(xlabel="level rank", ylabel="rows", title="make_high_cardinality")
ax.legend()
plt.show()

# %%
# Severe imbalance 1:100 with a known posterior
# ---------------------------------------------
# The Bayes posterior ``P(y = 1 | x)`` of every row is known, so any model's
# ranking and calibration can be checked against it. About three positives
# in four have a posterior below 0.5.
imb = make_imbalanced(n_samples=20_000, random_state=0)
fig, ax = plt.subplots(figsize=(6.5, 3.5), layout="constrained")
for label, name in [(0, "negative"), (1, "positive")]:
    ax.hist(imb.posterior[imb.y == label], bins=probability_bins, alpha=0.6, label=name)
ax.set(
    yscale="log",
    xlabel="true P(y = 1 | x)",
    ylabel="rows",
    title=f"make_imbalanced: {imb.y.mean():.2%} positive",
)
ax.legend()
plt.show()

# %%
# What each generator returns
# ---------------------------
# Every generator returns a :class:`~sklearn.utils.Bunch` with ``X``, ``y``,
# ``feature_names``, ``DESCR`` and its ground truth:
for name, bunch in [
    ("make_fraud", fraud),
    ("make_star_ratings", ratings),
    ("make_click_logs", clicks),
    ("make_search_logs", search),
    ("make_high_cardinality", cats),
    ("make_imbalanced", imb),
]:
    truth = sorted(set(bunch) - {"X", "y", "feature_names", "DESCR"})
    print(f"{name}: X {bunch.X.shape}")
    print(
        textwrap.fill(
            ", ".join(truth),
            70,
            initial_indent="    truth: ",
            subsequent_indent="           ",
        )
    )

# sphinx_gallery_thumbnail_number = 1
