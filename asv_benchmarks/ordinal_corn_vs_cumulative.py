"""CORN against the cumulative wrapper, with the same inner model, over seeds.

Run once (``python asv_benchmarks/ordinal_corn_vs_cumulative.py``, two
worker processes, about half an hour on a busy 2-core machine; ``--quick``
for 5 seeds and the small sizes) to produce the table of the ordinal user
guide page, and with ``--rules`` for its comparison of the argmax and median
prediction rules.
For every setting and seed both ``ConditionalOrdinalClassifier`` (CORN) and
``CumulativeBinaryClassifier`` are fitted with the same inner model on the
same training rows and scored on the same 20,000 test rows; the table shows
the mean over seeds of the *paired* difference CORN minus cumulative (with
its standard error) of

- the mean absolute class error of ``predict_median`` (the rule that
  minimises the expected absolute error),
- the mean absolute class error of ``predict`` (the most probable class),
- the test log loss (how well the predicted distribution fits),

so a positive number means CORN is worse. The data:

- ``make_star_ratings`` with ``link="logit"``: every cumulative boundary
  ``P(y > k | x)`` is exactly a logistic-linear model, while CORN's
  conditional tasks ``P(y > k | y >= k, x)`` are not;
- ``make_star_ratings`` with ``link="cloglog"`` / ``"loglog"``: neither is
  logistic-linear;
- ``sequential``: the continuation-ratio logit model
  ``P(y > k | y >= k, x) = expit(x @ coef + a_k)``, where CORN's tasks are
  exactly logistic-linear and the cumulative boundaries are not.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import SplineTransformer  # noqa: E402

from mlfound.datasets import make_star_ratings  # noqa: E402
from mlfound.metrics import mean_absolute_class_error  # noqa: E402
from mlfound.ordinal import (  # noqa: E402
    ConditionalOrdinalClassifier,
    CumulativeBinaryClassifier,
)

N_TEST = 20_000

INNER = {
    "LogisticRegression": LogisticRegression,
    "splines + LogisticRegression": lambda: make_pipeline(
        SplineTransformer(n_knots=6), LogisticRegression(C=10.0)
    ),
    "HistGradientBoosting": lambda: HistGradientBoostingClassifier(
        max_iter=100, random_state=0
    ),
}

# (data, n_features, inner model, training sizes)
SETTINGS = [
    ("logit", 5, "LogisticRegression", (300, 1000, 3000, 10_000)),
    ("logit", 1, "LogisticRegression", (300, 3000)),
    ("logit", 1, "splines + LogisticRegression", (300, 1000, 3000)),
    ("logit", 5, "HistGradientBoosting", (1000, 3000, 10_000)),
    ("cloglog", 5, "LogisticRegression", (300, 3000)),
    ("loglog", 5, "LogisticRegression", (300, 3000)),
    ("sequential", 5, "LogisticRegression", (300, 3000, 10_000)),
]


def sequential_ratings(n_samples, n_features, random_state):
    """Ratings 1..5 from the continuation-ratio logit model (CORN's own)."""
    rng = np.random.default_rng(random_state)
    coef = rng.standard_normal(n_features)
    X = rng.standard_normal((n_samples, n_features))
    # at x @ coef = 0 the rating passes 1, 2, 3, 4 with odds 4, 3, 2, 1
    passes = 1.0 / (1.0 + np.exp(-(X @ coef)[:, None] - np.log([4.0, 3.0, 2.0, 1.0])))
    passed = rng.uniform(size=passes.shape) < passes
    stopped = np.column_stack([passed, np.zeros(n_samples, dtype=bool)])
    return X, 1 + np.argmin(stopped, axis=1)


def make_data(kind, n_samples, n_features, seed):
    if kind == "sequential":
        return sequential_ratings(n_samples, n_features, seed)
    data = make_star_ratings(
        n_samples, n_features=n_features, link=kind, random_state=seed
    )
    return data.X, data.y


def one_run(kind, n_features, inner, n_train, seed):
    X, y = make_data(kind, n_train + N_TEST, n_features, seed)
    X_train, y_train, X_test, y_test = (
        X[:n_train],
        y[:n_train],
        X[n_train:],
        y[n_train:],
    )
    scores = []
    for wrapper in (CumulativeBinaryClassifier, ConditionalOrdinalClassifier):
        model = wrapper(INNER[inner]()).fit(X_train, y_train)
        proba = model.predict_proba(X_test)
        scores.append(
            (
                mean_absolute_class_error(y_test, model.predict_median(X_test)),
                mean_absolute_class_error(y_test, model.predict(X_test)),
                log_loss(y_test, proba, labels=model.classes_),
            )
        )
    return np.array(scores)  # rows: cumulative, CORN


def main(n_seeds=20, quick=False):
    tasks = [
        (kind, d, inner, n)
        for kind, d, inner, sizes in SETTINGS
        for n in sizes
        if not quick or n <= 3000
    ]
    start = time.perf_counter()
    results = Parallel(n_jobs=2)(
        delayed(one_run)(kind, d, inner, n, seed)
        for kind, d, inner, n in tasks
        for seed in range(n_seeds)
    )
    results = np.array(results).reshape(len(tasks), n_seeds, 2, 3)
    print(
        f"{n_seeds} seeds, {N_TEST} test rows; CORN minus cumulative, "
        f"mean +- standard error of the paired differences"
    )
    header = (
        f"{'data':<10} {'d':>2} {'inner model':<29} {'n':>6} "
        f"{'MAE median rule':>16} {'MAE argmax':>16} {'log loss':>16} "
        f"{'cum. MAE':>8}"
    )
    print(header)
    for (kind, d, inner, n), res in zip(tasks, results, strict=True):
        diff = res[:, 1, :] - res[:, 0, :]
        mean = diff.mean(axis=0)
        se = diff.std(axis=0, ddof=1) / np.sqrt(n_seeds)
        cells = " ".join(f"{m:+8.4f}+-{s:.4f}" for m, s in zip(mean, se, strict=True))
        print(
            f"{kind:<10} {d:>2} {inner:<29} {n:>6} {cells} {res[:, 0, 0].mean():8.3f}"
        )
    print(f"wall time {time.perf_counter() - start:.0f} s (two worker processes)")


def true_proba(kind, X, seed):
    """Class probabilities of the model that generated ``make_data(kind, ...)``."""
    if kind == "sequential":
        coef = np.random.default_rng(seed).standard_normal(X.shape[1])
        passes = 1.0 / (
            1.0 + np.exp(-(X @ coef)[:, None] - np.log([4.0, 3.0, 2.0, 1.0]))
        )
        exceed = np.cumprod(passes, axis=1)
    else:
        data = make_star_ratings(1, n_features=X.shape[1], random_state=seed)
        exceed = 1.0 / (
            1.0 + np.exp(data.thresholds[None, :] - (X @ data.coef)[:, None])
        )
    n = X.shape[0]
    return np.hstack([np.ones((n, 1)), exceed]) - np.hstack([exceed, np.zeros((n, 1))])


def prediction_rules(n_train=10_000, n_seeds=6):
    """MAE of the argmax and median rules for the true and the fitted models.

    The most probable class is not the rule that minimises the absolute
    error, and its MAE can favour a misspecified model over the truth.
    """
    print(f"{n_seeds} seeds, n={n_train}, LogisticRegression(C=inf) inside")
    columns = ("log loss", "MAE argmax", "MAE median")
    print(f"{'data':<10} {'model':<12} " + " ".join(f"{c:>11}" for c in columns))
    for kind in ("logit", "sequential"):
        rows = {"truth": [], "cumulative": [], "CORN": []}
        for seed in range(n_seeds):
            X, y = make_data(kind, n_train + N_TEST, 5, seed)
            X_test, y_test = X[n_train:], y[n_train:]
            probas = {"truth": true_proba(kind, X_test, seed)}
            for name, wrapper in (
                ("cumulative", CumulativeBinaryClassifier),
                ("CORN", ConditionalOrdinalClassifier),
            ):
                model = wrapper(LogisticRegression(C=np.inf))
                model.fit(X[:n_train], y[:n_train])
                probas[name] = model.predict_proba(X_test)
            for name, proba in probas.items():
                argmax = 1 + np.argmax(proba, axis=1)
                median = 1 + np.sum(np.cumsum(proba, axis=1)[:, :-1] < 0.5, axis=1)
                rows[name].append(
                    (
                        log_loss(y_test, proba, labels=[1, 2, 3, 4, 5]),
                        np.mean(np.abs(argmax - y_test)),
                        np.mean(np.abs(median - y_test)),
                    )
                )
        for name, values in rows.items():
            ll, mae_argmax, mae_median = np.mean(values, axis=0)
            print(
                f"{kind:<10} {name:<12} {ll:9.4f} {mae_argmax:11.4f} {mae_median:11.4f}"
            )


if __name__ == "__main__":
    if "--rules" in sys.argv:
        prediction_rules()
    else:
        quick = "--quick" in sys.argv
        main(n_seeds=5 if quick else 20, quick=quick)
