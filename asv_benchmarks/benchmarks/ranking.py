"""Learning to rank: LinearRanker against a NumPy/SciPy RankNet.

``RankerFit`` times one fit of the pairwise logistic (RankNet) objective on
``make_search_logs`` with 100,000 queries of 10 documents (1,000,000 rows,
10 features, graded relevance): ``mlfound`` is :class:`LinearRanker` (pairs
enumerated per query in a fused Numba loss-and-gradient pass, L-BFGS),
``numpy-scipy`` the same objective and gradient written with NumPy
(vectorised over the queries, one array operation per pair of slots, which
needs equal-sized queries) and minimised by SciPy's L-BFGS-B with the same
stopping rules. ``track_objective`` records the objective each reaches, so
the ratio is taken at equal accuracy.

Run with ``asv run --python=same --quick --bench ranking`` from
``asv_benchmarks/``, or print the ratio (interleaved, best of 3, one BLAS
thread) with ``python asv_benchmarks/benchmarks/ranking.py``.
"""

import sys
import time
from functools import lru_cache

import numpy as np
import scipy.optimize

from mlfound.datasets import make_search_logs
from mlfound.ranking import LinearRanker, pairwise_loss

if __package__:
    from .common import Benchmark, cold_start_seconds, single_thread
else:  # run as a script: ``python asv_benchmarks/benchmarks/ranking.py``
    from common import Benchmark, cold_start_seconds, single_thread

C = 1.0
TOL = 1e-4


@lru_cache(maxsize=2)
def search_logs(n_queries):
    logs = make_search_logs(10 * n_queries, random_state=0)
    return logs.X, logs.relevance.astype(np.float64), logs.query_id


def numpy_scipy_fit(X, y, n_documents=10, tol=TOL, max_iter=200):
    """RankNet by hand: rows are queries of ``n_documents`` consecutive rows.

    Objective: the mean of ``log(1 + exp(-(s_i - s_j)))`` over the pairs
    with ``y_i > y_j`` plus ``||w||^2 / (2 C n_pairs)``, as LinearRanker.
    Returns the coefficients.
    """
    n_queries = X.shape[0] // n_documents
    Xq = X.reshape(n_queries, n_documents, -1)
    yq = y.reshape(n_queries, n_documents)
    slots = [
        (a, b, np.flatnonzero(yq[:, a] > yq[:, b]))
        for a in range(n_documents)
        for b in range(n_documents)
    ]
    slots = [(a, b, rows) for a, b, rows in slots if rows.size]
    n_pairs = sum(rows.size for *_, rows in slots)

    def value_and_grad(w):
        s = (Xq @ w).reshape(n_queries, n_documents)
        g = np.zeros_like(s)
        value = 0.0
        for a, b, rows in slots:
            d = s[rows, a] - s[rows, b]
            value += np.logaddexp(0.0, -d).sum()
            dl = -0.5 * (1.0 - np.tanh(0.5 * d))  # -1 / (1 + exp(d))
            np.add.at(g[:, a], rows, dl)
            np.add.at(g[:, b], rows, -dl)
        grad = X.T @ g.reshape(-1)
        value = value / n_pairs + 0.5 * (w @ w) / (C * n_pairs)
        return value, grad / n_pairs + w / (C * n_pairs)

    result = scipy.optimize.minimize(
        value_and_grad,
        np.zeros(X.shape[1]),
        jac=True,
        method="L-BFGS-B",
        options={
            "gtol": tol,
            "maxiter": max_iter,
            "maxls": 50,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
    return result.x


def objective(X, y, groups, coef):
    """The common objective at ``coef``, through the public loss."""
    value, _ = pairwise_loss(y, X @ coef, groups)
    _, n_pairs = _pair_count(y, groups)
    return value + 0.5 * (coef @ coef) / (C * n_pairs)


def _pair_count(y, groups):
    yq = y.reshape(-1, 10)
    return None, int(np.sum(yq[:, :, None] > yq[:, None, :]))


def _fit_mlfound(X, y, groups):
    return LinearRanker(C=C, tol=TOL).fit(X, y, groups=groups).coef_


def _fit_numpy(X, y, groups):
    return numpy_scipy_fit(X, y)


IMPLEMENTATIONS = {"mlfound": _fit_mlfound, "numpy-scipy": _fit_numpy}


class RankerFit(Benchmark):
    """One RankNet fit on 100,000 queries x 10 documents."""

    param_names = ["implementation"]
    params = (list(IMPLEMENTATIONS),)

    def setup(self, implementation):
        self.data = search_logs(100_000)
        self.fit = IMPLEMENTATIONS[implementation]
        with single_thread():
            self.fit(*search_logs(1_000))  # compile / load the Numba kernels

    def time_fit(self, implementation):
        with single_thread():
            self.fit(*self.data)

    def peakmem_fit(self, implementation):
        self.fit(*self.data)

    def track_objective(self, implementation):
        with single_thread():
            coef = self.fit(*self.data)
        return float(objective(*self.data, coef))


_COLD_SCRIPT = """
from mlfound.datasets import make_search_logs
from mlfound.ranking import LinearRanker
logs = make_search_logs(10_000, random_state=0)
LinearRanker().fit(logs.X, logs.relevance, groups=logs.query_id)
"""


class FirstFit(Benchmark):
    """Cold start: compile the ranking kernels, vs a warm cache."""

    param_names = ["cache"]
    params = (["cold", "warm"],)
    repeat = (1, 3, 60)

    def track_first_fit_seconds(self, cache):
        return cold_start_seconds(_COLD_SCRIPT, cold=cache == "cold")

    track_first_fit_seconds.unit = "seconds"


def main(n_queries=100_000, repeats=3):
    """Print the best time of each implementation (interleaved) and objective."""
    data = search_logs(n_queries)
    for fit in IMPLEMENTATIONS.values():
        fit(*search_logs(1_000))
    best = dict.fromkeys(IMPLEMENTATIONS, np.inf)
    values = {}
    with single_thread():
        for _ in range(repeats):
            for name, fit in IMPLEMENTATIONS.items():
                start = time.perf_counter()
                coef = fit(*data)
                best[name] = min(best[name], time.perf_counter() - start)
                values[name] = objective(*data, coef)
    print(f"{n_queries:,} queries x 10 documents, 1 BLAS thread, best of {repeats}:")
    for name in IMPLEMENTATIONS:
        print(
            f"  {name:<12} {best[name]:7.3f} s  "
            f"({best[name] / best['mlfound']:5.1f}x)  objective {values[name]:.10f}"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
