"""Position-bias estimation and IPS reweighting.

``PositionBias`` times the estimation of the examination propensities of
``make_click_logs`` (10 positions, theta_k = 1/k) by mlfound's solvers and by
a plain NumPy/SciPy maximum-likelihood fit of the same model (vectorized
negative log-likelihood and gradient, SciPy's L-BFGS-B): the peer a user
would write by hand. ``track_max_abs_error`` records the accuracy of each.
``IPSOverhead`` times ``IPSReweighter`` against the bare inner fit with the
same hand-computed weights.

Run with ``asv run --python=same --quick --bench weighting`` from
``asv_benchmarks/``, or print the headline ratio (interleaved, best of 5, one
BLAS thread) with ``python asv_benchmarks/benchmarks/weighting.py``.
"""

import sys
import time
from functools import lru_cache

import numpy as np
import scipy.optimize
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from mlfound.datasets import make_click_logs
from mlfound.weighting import IPSReweighter, PositionBiasEstimator

if __package__:
    from .common import Benchmark, cold_start_seconds, single_thread
else:  # run as a script: ``python asv_benchmarks/benchmarks/weighting.py``
    from common import Benchmark, cold_start_seconds, single_thread


@lru_cache(maxsize=2)
def click_logs(n_samples):
    return make_click_logs(n_samples, random_state=0)


def numpy_scipy_fit(X, y, positions, n_positions, tol=1e-6):
    """Maximum likelihood of P(click) = theta_k * sigmoid(x @ w + b), by hand.

    Same parametrization and objective as mlfound (log theta_k <= 0,
    theta_1 = 1, mean negative log-likelihood, no penalty), vectorized NumPy,
    SciPy's L-BFGS-B. Returns the propensities.
    """
    n_samples, n_features = X.shape
    codes = positions - 1
    clicked = y == 1
    counts = np.bincount(codes, minlength=n_positions)

    def value_and_grad(params):
        w, b = params[:n_features], params[n_features]
        log_theta = np.concatenate([[0.0], params[n_features + 1 :]])
        z = X @ w + b
        sig = expit(z)
        lt = log_theta[codes]
        q = np.exp(lt) * sig
        nll = -np.where(clicked, lt + log_expit(z), np.log1p(-q))
        r = q / (1.0 - q)
        gz = np.where(clicked, -(1.0 - sig), r * (1.0 - sig))
        ga = np.where(clicked, -1.0, r)
        grad = np.concatenate(
            [
                X.T @ gz,
                [gz.sum()],
                np.bincount(codes, weights=ga, minlength=n_positions)[1:],
            ]
        )
        return nll.sum() / n_samples, grad / n_samples

    ctr = np.bincount(codes, weights=y, minlength=n_positions) / counts
    x0 = np.concatenate(
        [
            np.zeros(n_features),
            [np.log(ctr[0] / (1 - ctr[0]))],
            np.log(np.clip(ctr[1:] / ctr[0], 1e-3, 1.0)),
        ]
    )
    bounds = [(None, None)] * (n_features + 1) + [(None, 0.0)] * (n_positions - 1)
    result = scipy.optimize.minimize(
        value_and_grad,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"gtol": tol, "maxiter": 1000, "ftol": 64 * np.finfo(float).eps},
    )
    return np.exp(np.concatenate([[0.0], result.x[n_features + 1 :]]))


def _fit_mlfound(solver):
    def fit(logs):
        est = PositionBiasEstimator(solver=solver, random_state=0, max_iter=1000)
        return est.fit(logs.X, logs.y, positions=logs.positions).propensity_

    return fit


def _fit_numpy(logs):
    return numpy_scipy_fit(logs.X, logs.y, logs.positions, len(logs.propensity))


IMPLEMENTATIONS = {
    "mlfound-scoring": _fit_mlfound("scoring"),
    "mlfound-lbfgs": _fit_mlfound("lbfgs"),
    "mlfound-em": _fit_mlfound("em"),
    "numpy-scipy": _fit_numpy,
}
# Combinations too slow to be worth timing (minutes per repeat).
_SKIP = {
    ("mlfound-lbfgs", 10_000_000),
    ("mlfound-em", 10_000_000),
    ("numpy-scipy", 10_000_000),
}


class PositionBias(Benchmark):
    """Estimate theta_k from click logs: time should grow linearly with n."""

    param_names = ["implementation", "n_samples"]
    params = (list(IMPLEMENTATIONS), [100_000, 1_000_000, 10_000_000])

    def setup(self, implementation, n_samples):
        if (implementation, n_samples) in _SKIP:
            raise NotImplementedError("too slow")
        self.logs = click_logs(n_samples)
        self.fit = IMPLEMENTATIONS[implementation]
        small = click_logs(100_000)
        with single_thread():
            self.fit(small)  # compile / load the Numba kernels

    def time_fit(self, *args):
        with single_thread():
            self.fit(self.logs)

    def peakmem_fit(self, *args):
        self.fit(self.logs)

    def track_max_abs_error(self, *args):
        with single_thread():
            theta = self.fit(self.logs)
        return float(np.max(np.abs(theta - self.logs.propensity)))


class IPSOverhead(Benchmark):
    """IPSReweighter(LogisticRegression()) vs the bare fit with the same weights."""

    param_names = ["implementation"]
    params = (["bare LogisticRegression", "IPSReweighter(given)", "IPSReweighter"],)

    def setup(self, implementation):
        small = click_logs(100_000)
        self._fit(implementation, small, self._weights(small))  # load kernels
        self.logs = click_logs(1_000_000)
        self.weights = self._weights(self.logs)

    @staticmethod
    def _weights(logs):
        return np.where(logs.y == 1, 1.0 / logs.propensity[logs.positions - 1], 1.0)

    def time_fit(self, implementation):
        self._fit(implementation, self.logs, self.weights)

    @staticmethod
    def _fit(implementation, logs, weights):
        with single_thread():
            if implementation == "bare LogisticRegression":
                LogisticRegression().fit(logs.X, logs.y, sample_weight=weights)
            elif implementation == "IPSReweighter(given)":
                IPSReweighter(propensity=logs.propensity).fit(
                    logs.X, logs.y, positions=logs.positions
                )
            else:
                IPSReweighter().fit(logs.X, logs.y, positions=logs.positions)


_COLD_SCRIPT = """
from mlfound.datasets import make_click_logs
from mlfound.weighting import PositionBiasEstimator
logs = make_click_logs(20_000, random_state=0)
PositionBiasEstimator().fit(logs.X, logs.y, positions=logs.positions)
"""


class FirstFit(Benchmark):
    """Cold start: compile every kernel the first fit touches, vs a warm cache."""

    param_names = ["cache"]
    params = (["cold", "warm"],)
    repeat = (1, 3, 60)

    def track_first_fit_seconds(self, cache):
        return cold_start_seconds(_COLD_SCRIPT, cold=cache == "cold")

    track_first_fit_seconds.unit = "seconds"


def _best_of(func, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(n_samples=1_000_000, repeats=5):
    """Print time and accuracy of every implementation, interleaved."""
    logs = click_logs(n_samples)
    for fit in IMPLEMENTATIONS.values():
        fit(click_logs(100_000))
    best = dict.fromkeys(IMPLEMENTATIONS, np.inf)
    errors = {}
    for limit in (1, None):
        label = "1 BLAS thread" if limit else "default threads"
        with threadpool_limits(limit):
            for name in best:
                best[name] = np.inf
            for _ in range(repeats):
                for name, fit in IMPLEMENTATIONS.items():
                    if name == "mlfound-em" and repeats > 1 and best[name] < np.inf:
                        continue  # one EM run is enough: it is far slower
                    seconds, theta = _best_of(lambda fit=fit: fit(logs), 1)
                    best[name] = min(best[name], seconds)
                    errors[name] = float(np.max(np.abs(theta - logs.propensity)))
        print(f"n_samples={n_samples:,}, {label}, best of {repeats}:")
        for name in IMPLEMENTATIONS:
            ratio = best[name] / best["mlfound-scoring"]
            print(
                f"  {name:<16} {best[name]:7.3f} s  ({ratio:5.1f}x)  "
                f"max |theta error| = {errors[name]:.4f}"
            )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
