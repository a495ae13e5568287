"""Held-out cost of threshold-selection rules on the fraud workload.

Not an asv benchmark (it defines no ``time_``/``track_`` method): a study
script, run as::

    PYTHONPATH=. python asv_benchmarks/benchmarks/threshold_selection.py 0 20

(seeds ``0 .. 19``; a few seconds per seed at one BLAS thread).

Workload of the cost-sensitive issue, one data set per seed ``s``:
``make_classification(n_samples=300_000, weights=[0.99], random_state=s)``,
a 50/50 stratified ``train_test_split(random_state=s)``,
``LogisticRegression()`` with 5 stratified folds (no shuffling, as
``CostSensitiveThresholdClassifier(cv=5)`` and
``TunedThresholdClassifierCV(cv=5)`` both use), costs FP = 1, FN = 50.

Per seed the five fold models give the out-of-fold scores of the training
half and the model refitted on the whole training half gives the test scores;
every rule below picks a threshold from the out-of-fold scores only and is
scored by its total cost on the test half. ``TunedThresholdClassifierCV``
(100-point grid, cost scorer) is fitted for real on the same data as the
reference. Printed per rule: mean test cost, then the paired difference to
scikit-learn and to the exact rule (mean, standard deviation over seeds, and
the fraction of seeds where the rule is strictly cheaper).

Rules:

- ``exact``: the arg-min of the pooled out-of-fold cost over every distinct
  score (``CostSensitiveThresholdClassifier``'s rule, through its kernel).
- ``midpoint``: the same cut, with the threshold placed halfway between the
  optimal score and the next lower distinct score.
- ``fold-mean curve``: arg-min, over the same distinct scores, of the mean of
  the five per-fold expected costs (what a grid tuner averages, without the
  grid).
- ``fold-median``: median of the five per-fold exact optima.
- ``window +-h pos``: arg-min of the cost curve averaged over the cuts whose
  cumulative positive count lies within ``h`` of the cut's own.
- ``window +-m rank``: the same, averaged over ``m`` neighbouring cuts either
  side.
- ``gauss logit b``: the cost curve smoothed with a Gaussian kernel of
  bandwidth ``b`` in logit(score) near the exact optimum.
- ``isotonic+Bayes``: isotonic calibration of the out-of-fold scores, then the
  Bayes rule ``p >= 1 / 51`` on the calibrated test probabilities (the
  empulse-style recipe).
- ``sigmoid+Bayes``: Platt scaling of logit(score), then ``p >= 1 / 51``.
- ``bagged median B`` / ``bagged logit-mean B``: the exact arg-min on each
  of ``B`` Poisson-bootstrap reweightings of the out-of-fold scores, then the
  median of the ``B`` thresholds (or the mean of their logits): bagging, to
  lower the variance of the arg-min.
- ``oracle``: the arg-min on the test half itself (a bound no rule can reach).
"""

import sys
import time

import numpy as np
from scipy.special import expit, logit
from sklearn.datasets import make_classification
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    StratifiedKFold,
    TunedThresholdClassifierCV,
    train_test_split,
)
from threadpoolctl import threadpool_limits

from mlfound._kernels.sweep import select_threshold, threshold_sweep
from mlfound.metrics import make_cost_scorer, total_cost

COST = {"fp": 1, "fn": 50}
COST_MATRIX = np.array([[0.0, 1.0], [50.0, 0.0]])
BAYES = 1.0 / 51.0  # C_fp / (C_fp + C_fn)
N_FOLDS = 5


def _workload(seed):
    """Out-of-fold scores, fold ids, test scores and scikit-learn's test cost."""
    X, y = make_classification(n_samples=300_000, weights=[0.99], random_state=seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=seed
    )
    oof = np.empty(y_train.shape[0])
    fold = np.empty(y_train.shape[0], dtype=np.intp)
    for k, (train, val) in enumerate(StratifiedKFold(N_FOLDS).split(X_train, y_train)):
        model = LogisticRegression().fit(X_train[train], y_train[train])
        oof[val] = model.predict_proba(X_train[val])[:, 1]
        fold[val] = k
    test = LogisticRegression().fit(X_train, y_train).predict_proba(X_test)[:, 1]
    tuned = TunedThresholdClassifierCV(
        LogisticRegression(), scoring=make_cost_scorer(COST), cv=N_FOLDS
    ).fit(X_train, y_train)
    sklearn_cost = total_cost(y_test, tuned.predict(X_test), cost_matrix=COST)
    return {
        "oof": oof,
        "fold": fold,
        "y": y_train,
        "test": test,
        "y_test": y_test,
        "sklearn": float(sklearn_cost),
    }


def _sweep(d):
    return threshold_sweep(d["y"], d["oof"], cost_matrix=COST_MATRIX)


def exact(d):
    sweep = _sweep(d)
    return sweep["thresholds"][select_threshold(sweep)]


def midpoint(d):
    sweep = _sweep(d)
    best, thresholds = select_threshold(sweep), sweep["thresholds"]
    if best == 0 or best + 1 == thresholds.shape[0]:
        return thresholds[best]
    return 0.5 * (thresholds[best] + thresholds[best + 1])


def fold_mean_curve(d):
    thresholds = _sweep(d)["thresholds"]
    mean_cost = np.zeros(thresholds.shape[0])
    for k in range(N_FOLDS):
        mask = d["fold"] == k
        fold_sweep = threshold_sweep(
            d["y"][mask], d["oof"][mask], cost_matrix=COST_MATRIX
        )
        # cost of the fold at each pooled threshold: the last fold cut at or
        # above it (fold thresholds decrease, inf first)
        at = np.searchsorted(-fold_sweep["thresholds"], -thresholds, side="right") - 1
        mean_cost += fold_sweep["costs"][at] / mask.sum()
    return thresholds[int(np.argmin(mean_cost))]


def _fold_optima(d):
    optima = []
    for k in range(N_FOLDS):
        mask = d["fold"] == k
        sweep = threshold_sweep(d["y"][mask], d["oof"][mask], cost_matrix=COST_MATRIX)
        optima.append(sweep["thresholds"][select_threshold(sweep)])
    return np.array(optima)


def fold_median(d):
    return float(np.median(_fold_optima(d)))


def _window_argmin(sweep, lo, hi):
    cumulative = np.concatenate([[0.0], np.cumsum(sweep["costs"])])
    smoothed = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    return sweep["thresholds"][int(np.argmin(smoothed))]


def window_positives(h):
    def rule(d):
        sweep = _sweep(d)
        tp = sweep["tp"]
        lo = np.searchsorted(tp, tp - h, side="left")
        hi = np.searchsorted(tp, tp + h, side="right")
        return _window_argmin(sweep, lo, hi)

    return rule


def window_ranks(m):
    def rule(d):
        sweep = _sweep(d)
        k = np.arange(sweep["costs"].shape[0])
        lo = np.maximum(k - m, 0)
        hi = np.minimum(k + m + 1, k.shape[0])
        return _window_argmin(sweep, lo, hi)

    return rule


def gauss_logit(bandwidth):
    def rule(d):
        sweep = _sweep(d)
        best = select_threshold(sweep)
        z = logit(np.clip(sweep["thresholds"][1:], 1e-12, 1 - 1e-12))
        costs = sweep["costs"][1:]
        near = np.abs(z - z[max(best - 1, 0)]) < 5 * bandwidth
        z, costs = z[near], costs[near]
        step = max(1, z.shape[0] // 20_000)  # cap the kernel matrix
        z, costs = z[::step], costs[::step]
        grid = z[:: max(1, z.shape[0] // 1000)]
        kernel = np.exp(-0.5 * ((grid[:, None] - z[None, :]) / bandwidth) ** 2)
        smoothed = (kernel @ costs) / kernel.sum(axis=1)
        return expit(grid[int(np.argmin(smoothed))])

    return rule


def isotonic_bayes(d):
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1)
    iso.fit(d["oof"], d["y"])
    return ("calibrated", iso.predict(d["test"]))


def sigmoid_bayes(d):
    z = logit(np.clip(d["oof"], 1e-15, 1 - 1e-15))[:, None]
    platt = LogisticRegression(C=1e6).fit(z, d["y"])
    a, b = platt.coef_[0, 0], platt.intercept_[0]
    return expit((logit(BAYES) - b) / a)


def _bagged_optima(d, n_boot):
    """Exact optima of ``n_boot`` Poisson-bootstrap reweightings (cached in d)."""
    key = ("bagged", n_boot)
    if key not in d:
        rng = np.random.default_rng(0)
        optima = np.empty(n_boot)
        for b in range(n_boot):
            weight = rng.poisson(1.0, size=d["y"].shape[0]).astype(np.float64)
            sweep = threshold_sweep(
                d["y"], d["oof"], sample_weight=weight, cost_matrix=COST_MATRIX
            )
            optima[b] = sweep["thresholds"][select_threshold(sweep)]
        d[key] = optima
    return d[key]


def bagged(n_boot, how):
    def rule(d):
        optima = _bagged_optima(d, n_boot)
        if how == "median":
            return float(np.median(optima))
        return float(expit(np.mean(logit(np.clip(optima, 1e-12, 1 - 1e-12)))))

    return rule


def oracle(d):
    sweep = threshold_sweep(d["y_test"], d["test"], cost_matrix=COST_MATRIX)
    return sweep["thresholds"][int(np.argmin(sweep["costs"]))]


RULES = {
    "exact": exact,
    "midpoint": midpoint,
    "fold-mean curve": fold_mean_curve,
    "fold-median": fold_median,
    "window +-10 pos": window_positives(10),
    "window +-20 pos": window_positives(20),
    "window +-40 pos": window_positives(40),
    "window +-250 rank": window_ranks(250),
    "window +-1000 rank": window_ranks(1000),
    "gauss logit 0.05": gauss_logit(0.05),
    "gauss logit 0.1": gauss_logit(0.1),
    "gauss logit 0.2": gauss_logit(0.2),
    "isotonic+Bayes": isotonic_bayes,
    "sigmoid+Bayes": sigmoid_bayes,
    "bagged median 50": bagged(50, "median"),
    "bagged logit-mean 50": bagged(50, "logit-mean"),
    "oracle": oracle,
}


def _test_cost(choice, d):
    if isinstance(choice, tuple):  # calibrated probabilities, Bayes threshold
        flagged = choice[1] >= BAYES
    else:
        flagged = d["test"] >= choice
    negative = d["y_test"] == 0
    return float(np.sum(flagged & negative) + 50 * np.sum(~flagged & ~negative))


def study(seeds):
    """Test cost of every rule and of scikit-learn's tuner, one row per seed."""
    costs = {name: [] for name in RULES}
    costs["sklearn grid"] = []
    for seed in seeds:
        start = time.perf_counter()
        with threadpool_limits(1):
            d = _workload(seed)
        costs["sklearn grid"].append(d["sklearn"])
        for name, rule in RULES.items():
            costs[name].append(_test_cost(rule(d), d))
        print(
            f"seed {seed:3d}: sklearn {d['sklearn']:,.0f}  exact "
            f"{costs['exact'][-1]:,.0f}  ({time.perf_counter() - start:.1f} s)",
            flush=True,
        )
    return {name: np.array(values) for name, values in costs.items()}


def report(costs):
    sk, ex = costs["sklearn grid"], costs["exact"]
    n = sk.shape[0]
    print(f"\n{n} seeds; paired differences (rule - reference), win = rule cheaper")
    print(
        f"{'rule':<20}{'mean cost':>10} | {'vs sklearn':>10}{'sd':>6}{'win':>6}"
        f" | {'vs exact':>9}{'sd':>6}{'win':>6}"
    )
    for name, values in costs.items():
        d_sk, d_ex = values - sk, values - ex
        print(
            f"{name:<20}{values.mean():10,.0f} | {d_sk.mean():10,.0f}"
            f"{d_sk.std(ddof=1):6,.0f}{np.mean(d_sk < 0):6.2f}"
            f" | {d_ex.mean():9,.0f}{d_ex.std(ddof=1):6,.0f}{np.mean(d_ex < 0):6.2f}"
        )


if __name__ == "__main__":
    first, stop = (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (0, 20)
    report(study(range(first, stop)))
