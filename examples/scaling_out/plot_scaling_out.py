"""
===========================================================================
Scaling out: encoding, focal, threshold and click-model fits on dask arrays
===========================================================================

A categorical click table split into partitions, as it would be on a Dask
cluster: :class:`~mlfound.preprocessing.TargetEncoder` computes its
out-of-fold encodings from per-partition statistics, and
:class:`~mlfound.linear_model.FocalLossClassifier` fits on the encoded
partitions with L-BFGS, one pass over the partitions per evaluation;
:class:`~mlfound.model_selection.CostSensitiveThresholdClassifier` tunes its
decision threshold with an exact sweep over the sorted partitions; a
click log's position propensities come from
:class:`~mlfound.weighting.PositionBiasEstimator`'s Fisher scoring, one pass
per iteration. All give the same numbers as an in-memory fit of the same
rows; the fitted estimators are ordinary ones.

To keep the documentation build light, this example runs the graph on
Dask's threaded scheduler in this process. On a cluster the code is the
same: start a client first, for example
``distributed.Client(distributed.LocalCluster(n_workers=2))`` on one machine
or ``distributed.Client("tcp://scheduler:8786")``, and the passes run on the
workers. See :ref:`scaling_out`.
"""

# %%
# The data, in 8 partitions
# -------------------------
import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import PredefinedSplit

from mlfound.datasets import make_high_cardinality
from mlfound.linear_model import FocalLossClassifier
from mlfound.preprocessing import TargetEncoder
from mlfound.preprocessing._target_encoder_dask import row_folds

data = make_high_cardinality(40_000, n_cities=300, random_state=0)
X, y = data.X, data.y
dX = da.from_array(X, chunks=(5_000, X.shape[1]))
dy = da.from_array(y, chunks=5_000)
print(f"{dX.npartitions} partitions of {dX.chunks[0][0]} rows:", data.feature_names)

# %%
# Out-of-fold encodings and a focal fit, distributed and in memory
# ----------------------------------------------------------------
# The distributed ``fit_transform`` draws each row's fold on its partition;
# the in-memory encoder is given the same folds, so the two must agree.
with dask.config.set(scheduler="threads", num_workers=2):
    encoder = TargetEncoder(cv=5, random_state=0)
    encoded = encoder.fit_transform(dX, dy)  # a dask array, not computed yet
    clf = FocalLossClassifier(gamma=2.0, alpha=0.25, tol=1e-8).fit(encoded, dy)
    folds = row_folds(dX, 5, 0).compute()
    encoded_local = encoded.compute()

in_memory = TargetEncoder(cv=PredefinedSplit(folds)).fit_transform(X, y)
clf_local = FocalLossClassifier(gamma=2.0, alpha=0.25, tol=1e-8).fit(in_memory, y)
print("largest encoding difference:", np.abs(encoded_local - in_memory).max())
print("largest coefficient difference:", np.abs(clf.coef_ - clf_local.coef_).max())

fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(9, 3.8))
ax0.scatter(in_memory[:, 0], encoded_local[:, 0], s=3, alpha=0.3)
ax0.set(
    xlabel="in-memory out-of-fold encoding (city)",
    ylabel="distributed (8 partitions)",
    title="Same encodings",
)
positions = np.arange(clf.coef_.shape[1])
ax1.bar(positions - 0.2, clf_local.coef_[0], width=0.4, label="in memory")
ax1.bar(positions + 0.2, clf.coef_[0], width=0.4, label="dask partitions")
ax1.set_xticks(positions, data.feature_names)
ax1.set(ylabel="focal coefficient", title="Same focal model")
ax1.legend(loc="upper center", ncols=2)
ax1.margins(y=0.25)
fig.tight_layout()

# %%
# Predictions stay distributed
# ----------------------------
# ``predict_proba`` on a dask array is a dask array computed per partition;
# the fitted classifier also scores NumPy data as usual.
proba = clf.predict_proba(encoder.transform(dX))
print(type(proba).__name__, proba.shape, proba.npartitions, "partitions")
with dask.config.set(scheduler="threads", num_workers=2):
    print("mean predicted probability:", float(proba[:, 1].mean().compute()))

# %%
# A cost-sensitive threshold, tuned on the partitions
# ---------------------------------------------------
# :class:`~mlfound.model_selection.CostSensitiveThresholdClassifier` scores
# every partition with the fitted classifier, sorts each partition's scores
# and merges the per-partition counts by score range: every distinct score
# is a candidate threshold, as in memory. With integer costs the threshold
# and the cost are bit for bit those of the in-memory sweep; the curve kept
# after a distributed fit holds the exact cost at up to about 2,000 cuts.
from mlfound.model_selection import CostSensitiveThresholdClassifier

dZ = encoder.transform(dX)
costs = {"cost_matrix": {"fp": 1, "fn": 10}, "cv": "prefit"}
with dask.config.set(scheduler="threads", num_workers=2):
    tuner = CostSensitiveThresholdClassifier(clf, **costs).fit(dZ, dy)
tuner_local = CostSensitiveThresholdClassifier(clf, **costs)
tuner_local.fit(encoder.transform(X), y)
print("threshold:", tuner.best_threshold_, "in memory:", tuner_local.best_threshold_)
print("cost per row:", tuner.best_cost_, "in memory:", tuner_local.best_cost_)

fig, ax = plt.subplots(figsize=(6, 3.8))
for tuned, label, style in [
    (tuner_local, "in memory, every cut", "-"),
    (tuner, "distributed, kept cuts", "."),
]:
    curve = tuned.cost_curve_
    finite = np.isfinite(curve["thresholds"])
    ax.plot(curve["thresholds"][finite], curve["costs"][finite], style, label=label)
ax.axvline(tuner.best_threshold_, color="tab:red", linestyle="--", label="chosen")
ax.set(
    xlabel="threshold on the focal score",
    ylabel="expected cost per row (FP = 1, FN = 10)",
    title="The same cost curve and threshold",
)
ax.legend()
fig.tight_layout()

# %%
# A click log: position propensities by Fisher scoring on partitions
# ------------------------------------------------------------------
# :class:`~mlfound.weighting.PositionBiasEstimator` takes the positions as a
# dask array aligned with ``X``'s rows. Each Fisher-scoring iteration sums
# the likelihood's gradient and information over the partitions, so the
# propensities equal the in-memory ones; the summary's standard errors are
# summed the same way.
from mlfound.datasets import make_click_logs
from mlfound.weighting import PositionBiasEstimator

logs = make_click_logs(40_000, random_state=0)
dX_clicks = da.from_array(logs.X, chunks=(5_000, logs.X.shape[1]))
dclicks = da.from_array(logs.y, chunks=5_000)
dpositions = da.from_array(logs.positions, chunks=5_000)
with dask.config.set(scheduler="threads", num_workers=2):
    bias = PositionBiasEstimator().fit(dX_clicks, dclicks, positions=dpositions)
bias_local = PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
print(
    "largest propensity difference:",
    np.abs(bias.propensity_ - bias_local.propensity_).max(),
    f"({bias._dask_passes} passes over the partitions)",
)

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(bias.positions_, logs.propensity, "k:", label="true examination")
ax.plot(bias.positions_, bias_local.propensity_, "o", label="in memory")
ax.plot(bias.positions_, bias.propensity_, "x", ms=9, label="dask partitions")
ax.set(
    xlabel="position",
    ylabel="propensity (position 1 = 1)",
    title="Same propensities",
)
ax.legend()
fig.tight_layout()
