"""Benchmarks of mlfound.model_selection against scikit-learn's threshold tuner.

Workload (from the cost-sensitive issue): ``make_classification`` with
300,000 rows and 1% positives, costs FP = 1 and FN = 50, a 50/50 train/test
split, ``LogisticRegression`` with 5-fold CV.

- ``WholeFit``: ``CostSensitiveThresholdClassifier.fit`` vs
  ``TunedThresholdClassifierCV.fit`` (100 and 1,000 thresholds, cost scorer),
  same inner estimator and folds; ``track_test_cost`` records the total cost
  of each on the test half (and of the 0.5 default).
- ``ThresholdSearch``: the search alone, with the 150,000 out-of-fold scores
  in hand: mlfound's sort-once exact sweep vs scikit-learn's grid of 100 or
  1,000 thresholds evaluated with the same cost scorer, and ``np.argsort`` of
  the same scores (the floor of any sort-based search).
- ``ColdStart``: first call of the sweep kernel in a fresh process with an
  empty Numba cache (compile time).
- ``BayesRisk``: ``BayesMinimumRiskClassifier`` with isotonic calibration on a
  3-class problem with an asymmetric cost matrix, against what a user writes
  by hand (``CalibratedClassifierCV`` then ``argmin`` of ``proba @ cost``);
  fit + predict time and the test cost of each.

Run with ``asv run --python=same --quick --bench model_selection`` from
``asv_benchmarks/``, or ``python asv_benchmarks/benchmarks/model_selection.py``
for the headline ratios (interleaved, best of several repeats, at one BLAS
thread and at the default number of threads).
"""

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics._scorer import _CurveScorer
from sklearn.model_selection import (
    StratifiedKFold,
    TunedThresholdClassifierCV,
    cross_val_predict,
    train_test_split,
)

from mlfound._kernels.sweep import select_threshold, threshold_sweep
from mlfound.metrics import make_cost_scorer, total_cost
from mlfound.model_selection import (
    BayesMinimumRiskClassifier,
    CostSensitiveThresholdClassifier,
)

if __package__:
    from .common import Benchmark, cold_start_seconds, single_thread
else:  # run as a script: ``python asv_benchmarks/benchmarks/model_selection.py``
    from common import Benchmark, cold_start_seconds, single_thread

COST = {"fp": 1, "fn": 50}
COST_MATRIX = np.array([[0.0, 1.0], [50.0, 0.0]])
N_SAMPLES = 300_000


def _fraud_split(n_samples=N_SAMPLES, random_state=0):
    X, y = make_classification(
        n_samples=n_samples, weights=[0.99], random_state=random_state
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=random_state)


def _make_estimator(implementation):
    if implementation == "mlfound":
        return CostSensitiveThresholdClassifier(
            LogisticRegression(), cost_matrix=COST, cv=5
        )
    n_thresholds = int(implementation.rsplit("_", 1)[1])
    return TunedThresholdClassifierCV(
        LogisticRegression(),
        scoring=make_cost_scorer(COST),
        thresholds=n_thresholds,
        cv=5,
    )


class _StoredScores(ClassifierMixin, BaseEstimator):
    """A 'fitted classifier' whose probabilities are given scores."""

    def __init__(self, scores=None):
        self.scores = scores

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        return np.column_stack([1.0 - self.scores, self.scores])


def _oof_scores(random_state=0):
    X_train, _, y_train, _ = _fraud_split(random_state=random_state)
    scores = cross_val_predict(
        LogisticRegression(),
        X_train,
        y_train,
        cv=StratifiedKFold(5),
        method="predict_proba",
    )[:, 1]
    return scores, y_train


def search(implementation, scores, y):
    """Run one threshold search; return (threshold, total cost on the scores)."""
    if implementation == "mlfound":
        sweep = threshold_sweep(y, scores, cost_matrix=COST_MATRIX)
        best = select_threshold(sweep)
        return sweep["thresholds"][best], sweep["costs"][best]
    if implementation == "numpy_argsort":
        np.argsort(scores)
        return np.nan, np.nan
    n_thresholds = int(implementation.rsplit("_", 1)[1])
    curve = _CurveScorer.from_scorer(
        make_cost_scorer(COST), "predict_proba", n_thresholds
    )
    values, thresholds = curve(_StoredScores(scores), scores[:, None], y)
    best = int(np.argmax(values))
    return thresholds[best], -values[best] * y.shape[0]


class WholeFit(Benchmark):
    """fit() of the whole tuner, mlfound vs TunedThresholdClassifierCV."""

    params = (["mlfound", "sklearn_100", "sklearn_1000"], ["1", "default"])
    param_names = ["implementation", "blas_threads"]
    repeat = (1, 3, 60)

    def setup_cache(self):
        return _fraud_split()

    def setup(self, data, implementation, blas_threads):
        self.X_train, self.X_test, self.y_train, self.y_test = data
        self.estimator = _make_estimator(implementation)

    def _fit(self, blas_threads):
        if blas_threads == "1":
            with single_thread():
                self.estimator.fit(self.X_train, self.y_train)
        else:
            self.estimator.fit(self.X_train, self.y_train)

    def time_fit(self, data, implementation, blas_threads):
        self._fit(blas_threads)

    def peakmem_fit(self, data, implementation, blas_threads):
        self._fit(blas_threads)

    def track_test_cost(self, data, implementation, blas_threads):
        self._fit(blas_threads)
        return total_cost(
            self.y_test, self.estimator.predict(self.X_test), cost_matrix=COST
        )

    track_test_cost.unit = "cost"


class ThresholdSearch(Benchmark):
    """The search alone on 150,000 out-of-fold scores."""

    params = (["mlfound", "sklearn_100", "sklearn_1000", "numpy_argsort"],)
    param_names = ["implementation"]

    def setup_cache(self):
        scores, y = _oof_scores()
        search("mlfound", scores, y)  # JIT warm-up / cache load
        return scores, y

    def setup(self, data, implementation):
        # asv times in a fresh process: load the compiled kernels here, not
        # inside the timed call.
        scores, y = data
        search(implementation, scores[:1000], y[:1000])

    def time_search(self, data, implementation):
        search(implementation, *data)

    def track_oof_cost(self, data, implementation):
        return float(search(implementation, *data)[1])

    track_oof_cost.unit = "cost"


class ColdStart(Benchmark):
    """First fit in a fresh process: empty Numba cache (compile) and filled."""

    params = (["cold", "warm"],)
    param_names = ["numba_cache"]
    repeat = 1

    def track_first_fit_seconds(self, numba_cache):
        code = """
            from sklearn.datasets import make_classification
            from mlfound.model_selection import CostSensitiveThresholdClassifier
            X, y = make_classification(n_samples=500, random_state=0)
            CostSensitiveThresholdClassifier(cost_matrix={"fp": 1, "fn": 5}).fit(X, y)
        """
        return cold_start_seconds(code, cold=numba_cache == "cold")

    track_first_fit_seconds.unit = "seconds"


# true class (row) x decision (column): missing class 2 is the expensive error
BAYES_COSTS = np.array([[0.0, 1.0, 2.0], [3.0, 0.0, 1.0], [20.0, 10.0, 0.0]])


def _three_class_split(n_samples=100_000, random_state=0):
    X, y = make_classification(
        n_samples=n_samples,
        n_informative=6,
        n_classes=3,
        weights=[0.7, 0.25, 0.05],
        random_state=random_state,
    )
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=random_state)


class _HandWrittenBayesRisk:
    """The peer: isotonic calibration, then argmin of expected cost by hand."""

    def fit(self, X, y):
        self.model_ = CalibratedClassifierCV(LogisticRegression(), method="isotonic")
        self.model_.fit(X, y)
        return self

    def predict(self, X):
        return np.argmin(self.model_.predict_proba(X) @ BAYES_COSTS, axis=1)


class BayesRisk(Benchmark):
    """BayesMinimumRiskClassifier vs calibration + argmin written by hand."""

    params = (["mlfound", "by_hand"],)
    param_names = ["implementation"]

    def setup_cache(self):
        return _three_class_split()

    def setup(self, data, implementation):
        self.X_train, self.X_test, self.y_train, self.y_test = data
        if implementation == "mlfound":
            self.model = BayesMinimumRiskClassifier(
                LogisticRegression(), cost_matrix=BAYES_COSTS, calibration="isotonic"
            )
        else:
            self.model = _HandWrittenBayesRisk()

    def time_fit_predict(self, data, implementation):
        self.model.fit(self.X_train, self.y_train).predict(self.X_test)

    def track_test_cost(self, data, implementation):
        pred = self.model.fit(self.X_train, self.y_train).predict(self.X_test)
        return float(BAYES_COSTS[self.y_test, pred].sum())

    track_test_cost.unit = "cost"


def _best_of(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def _headline(repeat_fit=3, repeat_search=15):
    """Interleaved best-of timings and their ratios to mlfound."""
    scores, y = _oof_scores()
    search("mlfound", scores, y)
    impls = ["mlfound", "sklearn_100", "sklearn_1000", "numpy_argsort"]
    best = dict.fromkeys(impls, np.inf)
    for _ in range(repeat_search):
        for impl in impls:
            best[impl] = min(
                best[impl], _best_of(lambda i=impl: search(i, scores, y), 1)
            )
    print(f"threshold search on {scores.shape[0]:,} out-of-fold scores (best time):")
    for impl in impls:
        threshold, cost = search(impl, scores, y)
        print(
            f"  {impl:<14} {best[impl] * 1e3:8.2f} ms   "
            f"x{best[impl] / best['mlfound']:7.2f} of mlfound   "
            f"threshold {threshold:.5f}  oof cost {cost:,.0f}"
        )
    X_train, X_test, y_train, y_test = _fraud_split()
    fits = ["mlfound", "sklearn_100", "sklearn_1000"]
    best_fit = dict.fromkeys(fits, np.inf)
    test_cost = {}
    for r in range(repeat_fit):
        for impl in fits:
            if impl == "sklearn_1000" and r > 0:
                continue  # slow and far behind: one run is enough
            est = _make_estimator(impl)
            best_fit[impl] = min(
                best_fit[impl], _best_of(lambda e=est: e.fit(X_train, y_train), 1)
            )
            test_cost[impl] = total_cost(y_test, est.predict(X_test), cost_matrix=COST)
    default = total_cost(y_test, est.estimator_.predict(X_test), cost_matrix=COST)
    print("whole fit, 150,000 training rows, LogisticRegression, cv=5 (best time):")
    for impl in fits:
        print(
            f"  {impl:<14} {best_fit[impl]:7.2f} s   "
            f"mlfound/peer = {best_fit['mlfound'] / best_fit[impl]:5.2f}   "
            f"test cost {test_cost[impl]:,.0f}"
        )
    print(f"  0.5 default test cost {default:,.0f}")


if __name__ == "__main__":
    with single_thread():
        print("== one BLAS thread ==")
        _headline()
    print("== default threads ==")
    _headline()
    cold = ColdStart()
    for cache in ("cold", "warm"):
        seconds = cold.track_first_fit_seconds(cache)
        print(f"first fit in a fresh process, {cache} Numba cache: {seconds:.2f} s")
