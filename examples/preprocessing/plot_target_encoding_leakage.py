"""
=====================================================
Target leakage from a group-by mean on the full data
=====================================================

The most common production mistake with high-cardinality categoricals is
computing ``df.groupby("user_id")["converted"].mean()`` on all the training
rows and feeding it to a model. Each row's own label is part of its feature:
with about 4 rows per user, a quarter of the "feature" *is* the label. A model
finds strong signal in the training data — even when the column is pure noise —
and the signal vanishes on new data.

:class:`mlfound.preprocessing.TargetEncoder` returns *out-of-fold* encodings
from ``fit_transform``: each row is encoded from the other folds only, so the
downstream model never sees a row's own label, while ``transform`` uses all
the training rows to encode new data.
"""

# %%
# Data: a noise id column and two informative ones
# ------------------------------------------------
# :func:`~mlfound.datasets.make_high_cardinality` draws conversions from true
# per-city and per-product effects; ``user_id`` has about ``n / 4`` levels
# and no effect at all.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from mlfound.datasets import make_high_cardinality
from mlfound.preprocessing import TargetEncoder

data = make_high_cardinality(60_000, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    data.X, data.y, test_size=0.3, random_state=0, stratify=data.y
)
print(data.feature_names, "noise column:", data.noise_feature)


# %%
# Leaky group-by mean vs cross-fitted encoding
# --------------------------------------------
# The leaky version is ``fit`` on the training rows followed by ``transform``
# of the same rows, with ``smooth=0``: exactly the plain group-by mean. The
# safe version is ``fit_transform`` (5-fold cross-fitting).
def auc_pair(Z_train, Z_test):
    model = LogisticRegression().fit(Z_train, y_train)
    return (
        roc_auc_score(y_train, model.decision_function(Z_train)),
        roc_auc_score(y_test, model.decision_function(Z_test)),
    )


results = {}
for label, columns in (("user_id (noise)", [2]), ("all columns", [0, 1, 2])):
    A, B = X_train[:, columns], X_test[:, columns]
    leaky = TargetEncoder(smooth=0.0).fit(A, y_train)
    results[label, "group-by mean\n(leaky)"] = auc_pair(
        leaky.transform(A), leaky.transform(B)
    )
    safe = TargetEncoder(random_state=0)
    results[label, "cross-fitted\n(mlfound)"] = auc_pair(
        safe.fit_transform(A, y_train), safe.transform(B)
    )
for (label, method), (train, test) in results.items():
    print(
        f"{label:16s} {method.splitlines()[0]:14s} train {train:.3f}  test {test:.3f}"
    )

# %%
# The leaky encoding of a pure-noise column gives a training ROC AUC far above
# 0.5, a test AUC of 0.5: the model learnt the leak. The cross-fitted
# encoding gives 0.5 on both, as it should. With all columns, the leak also
# hurts the *test* score: the model trusts the leaky columns too much.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, label in zip(axes, ("user_id (noise)", "all columns"), strict=True):
    methods = [m for (lab, m) in results if lab == label]
    x = np.arange(len(methods))
    train = [results[label, m][0] for m in methods]
    test = [results[label, m][1] for m in methods]
    ax.bar(x - 0.2, train, width=0.4, label="train")
    ax.bar(x + 0.2, test, width=0.4, label="test")
    ax.axhline(0.5, color="k", lw=1, ls="--")
    ax.set_xticks(x, methods)
    ax.set_title(label)
    ax.set_ylim(0.4, 1.0)
axes[0].set_ylabel("ROC AUC of LogisticRegression")
axes[0].legend()
fig.suptitle("Train vs test ROC AUC: leaky group-by mean vs cross-fitted encoding")
fig.tight_layout()
plt.show()

# %%
# Why the leak is strong with many levels
# ---------------------------------------
# For a level with ``n`` rows, the group-by mean of a row is
# ``(y_i + sum of the others) / n``: the row's own label moves its feature by
# ``1 / n``. Plotted against the label, the leaky encoding of the noise column
# separates the classes; the cross-fitted one does not.
leaky_noise = TargetEncoder(smooth=0.0).fit(X_train[:, [2]], y_train)
safe_noise = TargetEncoder(random_state=0)
encodings = {
    "group-by mean (leaky)": leaky_noise.transform(X_train[:, [2]])[:, 0],
    "cross-fitted (mlfound)": safe_noise.fit_transform(X_train[:, [2]], y_train)[:, 0],
}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
bins = np.linspace(0, 1, 41)
for ax, (name, z) in zip(axes, encodings.items(), strict=True):
    for cls in (0, 1):
        ax.hist(z[y_train == cls], bins=bins, alpha=0.6, density=True, label=f"y={cls}")
    ax.set_title(name)
    ax.set_xlabel("encoding of user_id")
axes[0].legend()
fig.tight_layout()
plt.show()
