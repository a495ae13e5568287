r"""
==================================================
Star ratings: ordinal model vs 5-class classifier
==================================================

Star ratings 1-5 are ordered. A multinomial logistic regression treats them as
five unrelated classes: predicting 1 star for a 5-star review costs the same
as predicting 4 stars, and it spends ``5 * (d + 1)`` parameters where the
order needs ``d + 4``. :class:`~mlfound.ordinal.OrdinalLogisticRegression`
models :math:`P(y \le k \mid x) = F(\theta_k - x^\top \beta)` with one slope
vector and four ordered cut points.

We simulate reviews from a latent linear score with
:func:`~mlfound.datasets.make_star_ratings`, compare three models on the mean
absolute class error, check that the ordinal model recovers the true
coefficients and cut points, and plot its cumulative probabilities.
"""

# %%
# Data: ratings cut from a latent score
# -------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from mlfound.datasets import make_star_ratings
from mlfound.metrics import (
    mean_absolute_class_error,
    off_by_more_than_one_rate,
    quadratic_weighted_kappa,
)
from mlfound.ordinal import CumulativeBinaryClassifier, OrdinalLogisticRegression

data = make_star_ratings(20_000, n_features=10, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, train_size=400, random_state=0
)
print("ratings in the training set:", np.bincount(y_train)[1:])

# %%
# Three models on 400 training reviews
# ------------------------------------
# The ordinal models predict the median of their predicted distribution,
# which minimises the expected absolute class error. For a fair comparison
# the multinomial model is scored both ways: its most probable class and the
# median of its ``predict_proba``.
models = {
    "5-class LogisticRegression": LogisticRegression().fit(X_train, y_train),
    "CumulativeBinaryClassifier(LogisticRegression)": CumulativeBinaryClassifier().fit(
        X_train, y_train
    ),
    "OrdinalLogisticRegression": OrdinalLogisticRegression().fit(X_train, y_train),
}
rows = []
for name, model in models.items():
    predict = getattr(model, "predict_median", model.predict)
    y_pred = predict(X_test)
    rows.append(
        (
            name,
            mean_absolute_class_error(y_test, y_pred),
            off_by_more_than_one_rate(y_test, y_pred),
            quadratic_weighted_kappa(y_test, y_pred),
        )
    )
lr = models["5-class LogisticRegression"]
median_lr = lr.classes_[
    np.sum(np.cumsum(lr.predict_proba(X_test), axis=1)[:, :-1] < 0.5, axis=1)
]
rows.insert(
    1,
    (
        "5-class LogisticRegression, median class",
        mean_absolute_class_error(y_test, median_lr),
        off_by_more_than_one_rate(y_test, median_lr),
        quadratic_weighted_kappa(y_test, median_lr),
    ),
)
print(f"{'model':<48} {'MAE':>6} {'off>1':>6} {'QWK':>6}")
for name, mae, far, qwk in rows:
    print(f"{name:<48} {mae:6.3f} {far:6.3f} {qwk:6.3f}")

# %%
# Recovering the truth
# --------------------
# With all 20,000 reviews the unpenalised fit (``C=np.inf``, the maximum
# likelihood estimate) recovers the coefficients and cut points that
# generated the data.
full = OrdinalLogisticRegression(C=np.inf).fit(data.X, data.y)
print("largest coefficient error:", np.abs(full.coef_ - data.coef).max().round(3))
print("true cut points:     ", data.thresholds.round(2))
print("estimated cut points:", full.thresholds_.round(2))

fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(data.coef, full.coef_)
lim = np.abs(data.coef).max() * 1.1
ax.plot([-lim, lim], [-lim, lim], "k--", lw=1)
ax.set_xlabel("true coefficient")
ax.set_ylabel("estimated coefficient")
ax.set_title("OrdinalLogisticRegression recovers the truth")
fig.tight_layout()

# %%
# Cumulative probabilities along the latent score
# -----------------------------------------------
# Each curve is :math:`P(y \le k \mid x) = F(\theta_k - \text{score})`: the same
# logistic curve shifted to the cut point :math:`\theta_k`. The class
# probabilities are the gaps between consecutive curves; the median class is
# where the curves cross one half.
model = models["OrdinalLogisticRegression"]
score = np.linspace(-8, 8, 400)
cum = 1 / (1 + np.exp(-(model.thresholds_[None, :] - score[:, None])))
fig, ax = plt.subplots(figsize=(7, 4))
for k in range(cum.shape[1]):
    ax.plot(score, cum[:, k], label=f"P(y <= {model.classes_[k]})")
    ax.axvline(model.thresholds_[k], color=f"C{k}", ls=":", lw=1)
ax.axhline(0.5, color="k", lw=0.5)
ax.set_xlabel("latent score x @ coef_")
ax.set_ylabel("cumulative probability")
ax.set_title("Cumulative probabilities of the fitted ordinal model")
ax.legend(loc="upper right")
fig.tight_layout()

# %%
# Where the errors go
# -------------------
# Distribution of ``prediction - truth`` on the test set: the multinomial
# model makes more far misses.
fig, ax = plt.subplots(figsize=(7, 4))
offsets = np.arange(-4, 5)
for i, name in enumerate(["5-class LogisticRegression", "OrdinalLogisticRegression"]):
    m = models[name]
    y_pred = getattr(m, "predict_median", m.predict)(X_test)
    counts = np.array([(y_pred - y_test == o).mean() for o in offsets])
    ax.bar(offsets + (i - 0.5) * 0.4, counts, width=0.4, label=name)
ax.set_xlabel("predicted - true rating")
ax.set_ylabel("fraction of test reviews")
ax.legend()
fig.tight_layout()
plt.show()
