"""
=================================================================
The ``rolling(7)`` leak: validation scores that production misses
=================================================================

A rolling mean that includes the current row, ``rolling(7).mean()`` instead
of ``shift(1).rolling(7).mean()``, lets a model read part of the value it
predicts. Time-ordered cross-validation on the training period cannot see
the problem — the feature is computed the same leaky way there — but in
production, at the time of the forecast, the newest value is not known yet.

:class:`mlfound.preprocessing.LagFeatures` computes each row's features from
strictly earlier rows of its entity, and ``transform`` continues the fitted
history on the next period, so validation and production agree.
"""

# %%
# A panel of random walks
# -----------------------
# 200 entities (stores) observed on 150 days; the target is the value of
# the day. Days 0-99 train, days 100-149 are the later holdout.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import TimeSeriesSplit

from mlfound.preprocessing import LagFeatures

rng = np.random.default_rng(0)
n_entities, n_days = 200, 150
df = pd.DataFrame(
    {
        "store": np.repeat(np.arange(n_entities), n_days),
        "day": np.tile(np.arange(n_days), n_entities),
        "sales": rng.normal(size=(n_entities, n_days)).cumsum(axis=1).ravel(),
    }
)
train, hold = df[df.day < 100], df[df.day >= 100]
y_train, y_hold = train["sales"].to_numpy(), hold["sales"].to_numpy()


def validation_mae(Z):
    """Time-ordered CV on the training days (folds by day)."""
    order = np.argsort(train["day"].to_numpy(), kind="stable")
    errors = []
    for tr, te in TimeSeriesSplit(4).split(order):
        keep = ~np.isnan(Z[order[tr]]).any(axis=1)
        model = LinearRegression().fit(Z[order[tr]][keep], y_train[order[tr]][keep])
        errors.append(
            mean_absolute_error(y_train[order[te]], model.predict(Z[order[te]]))
        )
    return np.mean(errors)


# %%
# Leaky vs leakage-safe rolling mean
# ----------------------------------
# The leaky feature is the pandas one-liner; in production, the value a
# forecast for day t can use is the mean of days t-7..t-1, which is what
# ``LagFeatures.transform`` computes for the holdout days.
leaky = train.groupby("store")["sales"].transform(lambda s: s.rolling(7, 1).mean())
Z_leaky = leaky.to_numpy()[:, None]

lag = LagFeatures(columns=["sales"], lags=(), windows=(7,), id_column="store",
                  time_column="day")  # fmt: skip
Z_train = lag.fit_transform(train)
Z_hold = lag.transform(hold)
keep = ~np.isnan(Z_train[:, 0])

scores = {}
model = LinearRegression().fit(Z_leaky, y_train)
scores["rolling(7)\n(leaky)"] = (
    validation_mae(Z_leaky),
    mean_absolute_error(y_hold, model.predict(Z_hold)),
)
model = LinearRegression().fit(Z_train[keep], y_train[keep])
scores["LagFeatures\nshift(1).rolling(7)"] = (
    validation_mae(np.where(keep[:, None], Z_train, np.nan)),
    mean_absolute_error(y_hold, model.predict(Z_hold)),
)
for name, (val, hol) in scores.items():
    print(
        f"{name.replace(chr(10), ' '):32s} validation MAE {val:.3f}  holdout {hol:.3f}"
    )

fig, ax = plt.subplots(figsize=(6, 3.5))
x = np.arange(len(scores))
ax.bar(x - 0.2, [v for v, _ in scores.values()], 0.4, label="time-ordered CV")
ax.bar(x + 0.2, [h for _, h in scores.values()], 0.4, label="later holdout")
ax.set_xticks(x, list(scores))
ax.set_ylabel("MAE (lower is better)")
ax.set_title("The leaky feature looks better in validation only")
ax.set_ylim(0, 1.3 * max(max(pair) for pair in scores.values()))  # room for it
ax.legend(loc="upper center", ncols=2)
fig.tight_layout()

# %%
# The leaky feature promises a validation error well below what it delivers
# on the following period; the leakage-safe feature's validation error is
# what production gets.
