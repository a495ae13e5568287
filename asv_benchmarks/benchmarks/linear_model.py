"""FocalLossClassifier against LogisticRegression and a hand-written NumPy focal loss.

Workloads (binary, L2 with ``C=1``):

- ``dense``: 200,000 x 50 standard-normal features, logistic labels;
- ``csr``: 300,000 x 100,000 CSR with 30 non-zeros per row.

Implementations, timed in the same run so their ratio is meaningful:

- ``mlfound``: ``FocalLossClassifier`` (fused one-pass Numba kernel; the
  headline also times its objective at ``n_jobs=1`` and ``n_jobs=2``);
- ``sklearn-lbfgs``: ``LogisticRegression(solver="lbfgs")`` (``gamma=0`` only);
- ``numpy-scipy``: the focal loss a user writes by hand with NumPy/SciPy
  (:func:`numpy_focal_value_grad`) driven by ``scipy.optimize.minimize``.

``track_objective_gap`` reports each fit's objective minus the true optimum
(found once with a very tight tolerance), so times compare equal objectives;
the headline's ``seconds_to_target`` stops each implementation's L-BFGS-B run at
the first evaluation within 1e-6 (relative) of that optimum.

Run ``python asv_benchmarks/benchmarks/linear_model.py`` for the headline
ratios (interleaved, best of several repeats, one BLAS thread and default).
"""

import time
from functools import lru_cache

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from scipy.special import expit
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from threadpoolctl import threadpool_limits

from mlfound._glm._lbfgs import minimize_lbfgs
from mlfound._glm._losses import BinaryFocalLoss, LinearObjective, _as_kernel_X
from mlfound._glm._penalties import make_penalty
from mlfound._glm._precondition import jacobi_scale
from mlfound.linear_model import FocalLossClassifier

try:
    from .common import Benchmark, cold_start_seconds
except ImportError:  # run as a script
    from common import Benchmark, cold_start_seconds

C = 1.0
TOL = 1e-6
MAX_ITER = 1000


@lru_cache(maxsize=2)
def make_data(kind):
    """``(X, y)`` of the ``"dense"`` or ``"csr"`` workload (cached)."""
    rng = np.random.default_rng(0)
    if kind == "dense":
        n, p = 200_000, 50
        X = rng.standard_normal((n, p))
        beta = rng.standard_normal(p) * 0.3
        raw = X @ beta
    else:
        n, p, nnz = 300_000, 100_000, 30
        indices = np.sort(rng.integers(0, p, (n, nnz)), axis=1).astype(np.int32)
        data = rng.standard_normal(n * nnz)
        indptr = np.arange(0, n * nnz + 1, nnz, dtype=np.int32)
        X = sp.csr_matrix((data, indices.ravel(), indptr), shape=(n, p))
        X.sum_duplicates()
        beta = rng.standard_normal(p) * 0.5
        raw = X @ beta
    y = (rng.uniform(size=n) < expit(raw - 1.0)).astype(np.int64)
    return X, y


def numpy_focal_value_grad(w, X, y, gamma, l2):
    """Binary focal loss and gradient written with NumPy/SciPy (the peer)."""
    coef, intercept = w[:-1], w[-1]
    z = X @ coef + intercept
    p = expit(z)
    log_p = -np.logaddexp(0.0, -z)
    log_q = -np.logaddexp(0.0, z)
    q = 1.0 - p
    loss = -(y * q**gamma * log_p + (1 - y) * p**gamma * log_q)
    dz = -y * q**gamma * (q - gamma * p * log_p) + (1 - y) * p**gamma * (
        p - gamma * q * log_q
    )
    n = y.shape[0]
    value = loss.sum() / n + 0.5 * l2 * coef @ coef
    grad = np.empty_like(w)
    grad[:-1] = X.T @ dz / n + l2 * coef
    grad[-1] = dz.sum() / n
    return value, grad


def fit_numpy_focal(X, y, gamma, *, tol=TOL, max_iter=MAX_ITER):
    """L-BFGS-B on :func:`numpy_focal_value_grad` with scikit-learn's options."""
    l2 = 1.0 / (C * X.shape[0])
    result = scipy.optimize.minimize(
        numpy_focal_value_grad,
        np.zeros(X.shape[1] + 1),
        args=(X, y.astype(np.float64), gamma, l2),
        method="L-BFGS-B",
        jac=True,
        options={
            "maxiter": max_iter,
            "maxls": 50,
            "gtol": tol,
            "ftol": 64 * np.finfo(float).eps,
        },
    )
    return result.x


def fit(implementation, X, y, gamma, *, tol=TOL, max_iter=MAX_ITER):
    """Fit one implementation; return the parameter vector ``[coef, intercept]``."""
    if implementation == "mlfound":
        model = FocalLossClassifier(gamma=gamma, C=C, tol=tol, max_iter=max_iter)
        model.fit(X, y)
        return np.r_[model.coef_.ravel(), model.intercept_]
    if implementation == "sklearn-lbfgs":
        model = LogisticRegression(C=C, solver="lbfgs", tol=tol, max_iter=max_iter)
        model.fit(X, y)
        return np.r_[model.coef_.ravel(), model.intercept_]
    return fit_numpy_focal(X, y, gamma, tol=tol, max_iter=max_iter)


def objective(kind, gamma, n_threads=1):
    """The exact objective (mean focal loss + L2) as a callable of ``w``."""
    X, y = make_data(kind)
    obj = LinearObjective(
        BinaryFocalLoss(gamma),
        _as_kernel_X(X),
        y.astype(np.float64),
        np.ones(X.shape[0]),
        fit_intercept=True,
        n_threads=n_threads,
    )
    obj.penalty = make_penalty(C, 0.0, obj.sw_sum, obj.n_coef)
    return obj


@lru_cache(maxsize=4)
def true_optimum(kind, gamma):
    """Objective value at the optimum, from a very tight fit."""
    X, y = make_data(kind)
    w = fit("mlfound", X, y, gamma, tol=1e-9, max_iter=5000)
    return objective(kind, gamma)(w)[0]


class _Reached(Exception):
    pass


def value_and_grad(implementation, kind, gamma, n_threads=1):
    """The ``value_and_grad(w)`` each implementation's L-BFGS loop calls."""
    X, y = make_data(kind)
    yf = y.astype(np.float64)
    l2 = 1.0 / (C * X.shape[0])
    if implementation == "mlfound":
        return objective(kind, gamma, n_threads)
    if implementation == "sklearn-lbfgs":  # what LogisticRegression(lbfgs) runs
        loss = LinearModelLoss(base_loss=HalfBinomialLoss(), fit_intercept=True)
        return lambda w: loss.loss_gradient(w, X, yf, None, l2, 1)
    return lambda w: numpy_focal_value_grad(w, X, yf, gamma, l2)


def seconds_to_target(
    implementation, kind, gamma, *, rel_gap=1e-6, n_threads=1, precondition=True
):
    """Seconds until L-BFGS-B on ``implementation`` reaches ``f* (1 + rel_gap)``.

    Every implementation runs SciPy's L-BFGS-B with scikit-learn's options
    (``ftol=64 * eps``, no gradient rule) from ``w = 0``; the clock stops at the
    first evaluation whose objective is within ``rel_gap`` of the true optimum,
    so all are compared at the same objective value (``inf`` if the ``ftol``
    rule stopped the run before that). ``"mlfound"`` runs its estimator's own
    solver path: BLAS limited to one thread and the Jacobi preconditioner
    (computed inside the timed region) unless ``precondition=False``, which
    isolates the cost of one evaluation.
    """
    X, _ = make_data(kind)
    target = true_optimum(kind, gamma) * (1.0 + rel_gap)
    start = time.perf_counter()
    func = value_and_grad(implementation, kind, gamma, n_threads)

    def wrapped(w):
        value, grad = func(w)
        if value <= target:
            raise _Reached(time.perf_counter() - start)
        return value, grad

    scale = None
    blas_threads = None
    if implementation == "mlfound":
        blas_threads = 1  # as FocalLossClassifier.fit does
        if precondition:
            scale = jacobi_scale(func)
    try:
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            minimize_lbfgs(wrapped, np.zeros(X.shape[1] + 1), tol=0.0,
                           max_iter=5000, scale=scale)  # fmt: skip
    except _Reached as reached:
        return reached.args[0]
    return float("inf")


class FocalFit(Benchmark):
    """Fit time and final objective gap, per implementation."""

    param_names = ["implementation", "data", "gamma"]
    params = (["mlfound", "sklearn-lbfgs", "numpy-scipy"], ["dense", "csr"], [0.0, 2.0])

    def setup(self, implementation, kind, gamma):
        if implementation == "sklearn-lbfgs" and gamma != 0.0:
            raise NotImplementedError("LogisticRegression has no focal loss")
        self.X, self.y = make_data(kind)
        fit("mlfound", self.X[:100], self.y[:100], gamma)  # JIT warm-up

    def time_fit(self, implementation, kind, gamma):
        fit(implementation, self.X, self.y, gamma)

    def peakmem_fit(self, implementation, kind, gamma):
        fit(implementation, self.X, self.y, gamma)

    def track_objective_gap(self, implementation, kind, gamma):
        w = fit(implementation, self.X, self.y, gamma)
        return objective(kind, gamma)(w)[0] - true_optimum(kind, gamma)


class ObjectiveEvaluation(Benchmark):
    """One value-and-gradient evaluation (the inner loop of every solver)."""

    param_names = ["implementation", "data", "gamma"]
    params = (["mlfound", "numpy-scipy"], ["dense", "csr"], [0.0, 2.0])

    def setup(self, implementation, kind, gamma):
        X, y = make_data(kind)
        self.w = np.full(X.shape[1] + 1, 0.01)
        self._limits = None
        if implementation == "mlfound":
            self.func = objective(kind, gamma)
            # one BLAS thread, as FocalLossClassifier.fit runs its solvers
            self._limits = threadpool_limits(limits=1, user_api="blas")
        else:
            l2 = 1.0 / (C * X.shape[0])
            yf = y.astype(np.float64)
            self.func = lambda w: numpy_focal_value_grad(w, X, yf, gamma, l2)
        self.func(self.w)

    def teardown(self, *args):
        if self._limits is not None:
            self._limits.restore_original_limits()

    def time_value_and_grad(self, *args):
        self.func(self.w)

    def track_gb_per_s(self, *args):
        X, _ = make_data(args[1])
        best = min(_timed(self.func, self.w) for _ in range(5))
        return _nbytes(X) / best / 1e9


class FirstCall(Benchmark):
    """Import + first fit in a fresh interpreter with an empty Numba cache."""

    number = 1
    repeat = 1

    def time_cold_first_fit(self):
        cold_start_seconds(_FIRST_FIT_CODE, cold=True)

    def time_warm_first_fit(self):
        cold_start_seconds(_FIRST_FIT_CODE, cold=False)


_FIRST_FIT_CODE = """
import numpy as np
from mlfound.linear_model import FocalLossClassifier
rng = np.random.default_rng(0)
X = rng.standard_normal((200, 5))
y = (X[:, 0] > 0).astype(int)
FocalLossClassifier().fit(X, y)
"""


# ---------------------------------------------------------------------------
# The focal objective inside LightGBM: mlfound's against a NumPy-written one.


@lru_cache(maxsize=1)
def boosting_data(n_samples=100_000):
    """Binary, 1% positives, 20 features (the boosting workload)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples, 20, n_informative=8, weights=[0.99], random_state=0
    )
    return X, y


def numpy_focal_boosting(gamma, alpha, scale):
    """The binary focal objective as a user writes it in NumPy.

    The same gradient and positive curvature (exact hessian floored by the
    modulated cross-entropy curvature) and the same constant scale as
    mlfound's, so both fits grow the same trees and only the speed differs.
    """

    def objective(y_true, raw, weight=None):
        p = expit(raw)
        q = 1.0 - p
        lp = -np.logaddexp(0.0, -raw)
        lq = -np.logaddexp(0.0, raw)
        w1 = alpha * y_true
        w0 = (1.0 - alpha) * (1.0 - y_true)
        qg, pg = q**gamma, p**gamma
        grad = -w1 * qg * (q - gamma * p * lp) + w0 * pg * (p - gamma * q * lq)
        h1 = w1 * p * qg * (gamma * (q - gamma * p * lp) + q * (1 + gamma + gamma * lp))
        h0 = w0 * q * pg * (gamma * (p - gamma * q * lq) + p * (1 + gamma + gamma * lq))
        hess = np.maximum(h1 + h0, (w1 * qg + w0 * pg) * p * q)
        hess = np.maximum(hess, 1e-16)
        if weight is not None:
            grad, hess = grad * weight, hess * weight
        return scale * grad, scale * hess

    return objective


def fit_lightgbm_focal(implementation, X, y, n_rounds=50, gamma=2.0, alpha=0.25):
    """LGBMClassifier on the focal loss; returns the test-set probabilities."""
    import lightgbm as lgb

    from mlfound.linear_model import FocalBoostingObjective

    setup = FocalBoostingObjective(gamma=gamma, alpha=alpha).for_lightgbm(y)
    if implementation == "mlfound":
        objective = setup.objective
    else:
        objective = numpy_focal_boosting(gamma, alpha, setup.hessian_scale)
    model = lgb.LGBMClassifier(
        objective=objective, n_estimators=n_rounds, n_jobs=1, verbose=-1
    )
    model.fit(X, y, init_score=setup.init_score)
    return setup.predict_proba(model.predict(X, raw_score=True))[:, 1]


class FocalBoostingFit(Benchmark):
    """LightGBM with mlfound's focal objective against a NumPy-written one.

    Same trees (``track_max_probability_difference`` is the largest
    difference between the two fits' probabilities), one thread each.
    """

    param_names = ["implementation"]
    params = (["mlfound", "numpy"],)

    def setup(self, implementation):
        self.X, self.y = boosting_data()
        fit_lightgbm_focal("mlfound", self.X[:2000], self.y[:2000], n_rounds=2)

    def time_fit(self, implementation):
        fit_lightgbm_focal(implementation, self.X, self.y)

    def time_objective_call(self, implementation):
        from mlfound.linear_model import FocalBoostingObjective

        setup = FocalBoostingObjective().for_lightgbm(self.y)
        if implementation == "mlfound":
            objective = setup.objective
        else:
            objective = numpy_focal_boosting(2.0, 0.25, setup.hessian_scale)
        objective(self.y, setup.init_score + 0.1, None)

    def track_max_probability_difference(self, implementation):
        reference = fit_lightgbm_focal("numpy", self.X, self.y)
        return float(
            np.abs(fit_lightgbm_focal(implementation, self.X, self.y) - reference).max()
        )


def boosting_headline(repeats=5):
    """Interleaved best-of-``repeats`` LightGBM fit and objective-call times."""
    from mlfound.linear_model import FocalBoostingObjective

    X, y = boosting_data()
    fit_lightgbm_focal("mlfound", X[:2000], y[:2000], n_rounds=2)
    setup = FocalBoostingObjective().for_lightgbm(y)
    objectives = {
        "mlfound": setup.objective,
        "numpy": numpy_focal_boosting(2.0, 0.25, setup.hessian_scale),
    }
    raw = setup.init_score + np.random.default_rng(0).normal(size=len(y))
    fits = {name: [] for name in objectives}
    calls = {name: [] for name in objectives}
    proba = {}
    for _ in range(repeats):
        for name, objective in objectives.items():
            calls[name].append(min(_timed(objective, y, raw, None) for _ in range(20)))
            start = time.perf_counter()
            proba[name] = fit_lightgbm_focal(name, X, y)
            fits[name].append(time.perf_counter() - start)
    diff = np.abs(proba["mlfound"] - proba["numpy"]).max()
    fit_best = {name: min(t) for name, t in fits.items()}
    call_best = {name: min(t) for name, t in calls.items()}
    print(
        f"LightGBM focal fit, {X.shape[0]:,} x {X.shape[1]}, 50 rounds, 1 thread: "
        f"mlfound {fit_best['mlfound']:.3f} s, NumPy {fit_best['numpy']:.3f} s "
        f"(ratio {fit_best['mlfound'] / fit_best['numpy']:.2f}); one objective "
        f"call: mlfound {call_best['mlfound'] * 1e3:.2f} ms, NumPy "
        f"{call_best['numpy'] * 1e3:.2f} ms (ratio "
        f"{call_best['mlfound'] / call_best['numpy']:.2f}); largest probability "
        f"difference between the two fits {diff:.1e}"
    )


def _timed(func, *args):
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def _nbytes(X):
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def memory_bandwidth_gb_per_s(n_bytes=400_000_000, repeats=7):
    """Read bandwidth of a plain NumPy reduction over a large array."""
    a = np.ones(n_bytes // 8)
    return a.nbytes / min(_timed(a.sum) for _ in range(repeats)) / 1e9


def headline(repeats=2, kinds=("dense", "csr")):
    """Print the numbers of the acceptance criteria (interleaved, best of N)."""
    import numba

    print(f"memory bandwidth (NumPy sum): {memory_bandwidth_gb_per_s():.1f} GB/s")
    for kind in kinds:
        X, y = make_data(kind)
        for gamma in (0.0, 2.0):
            fit("mlfound", X[:100], y[:100], gamma)  # JIT warm-up
            for n_threads in (1, 2):
                obj = objective(kind, gamma, n_threads)
                w = np.full(X.shape[1] + 1, 0.01)
                with threadpool_limits(limits=1, user_api="blas"):  # as in fit
                    obj(w)
                    t_eval = min(_timed(obj, w) for _ in range(7))
                print(
                    f"{kind} gamma={gamma} n_jobs={n_threads}: one evaluation "
                    f"{t_eval * 1e3:.1f} ms = {_nbytes(X) / t_eval / 1e9:.2f} GB/s "
                    f"of X"
                )
        for gamma, peer in ((0.0, "sklearn-lbfgs"), (2.0, "numpy-scipy")):
            f_star = true_optimum(kind, gamma)
            for threads in (1, None):
                label = (
                    "1 BLAS thread"
                    if threads == 1
                    else "peer at default BLAS threads, mlfound at 1 as in its fit"
                )
                with threadpool_limits(threads):
                    runs = {
                        "mlfound n_jobs=1": [],
                        "mlfound n_jobs=2": [],
                        "mlfound n_jobs=1 unpreconditioned": [],
                        peer: [],
                    }
                    for _ in range(repeats):
                        for impl in runs:
                            base, *opts = impl.split()
                            runs[impl].append(
                                seconds_to_target(
                                    base,
                                    kind,
                                    gamma,
                                    n_threads=int(opts[0][-1]) if opts else 1,
                                    precondition="unpreconditioned" not in opts,
                                )
                            )
                best = {k: min(v) for k, v in runs.items()}
                print(
                    f"{kind} gamma={gamma} [{label}, numba threads "
                    f"{numba.get_num_threads()}]: time to f* (1 + 1e-6) "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in best.items())
                    + f"; ratio mlfound/{peer} = "
                    f"{best['mlfound n_jobs=1'] / best[peer]:.2f} (n_jobs=1), "
                    f"{best['mlfound n_jobs=2'] / best[peer]:.2f} (n_jobs=2), "
                    f"{best['mlfound n_jobs=1 unpreconditioned'] / best[peer]:.2f} "
                    f"(n_jobs=1, same unpreconditioned L-BFGS as the peer)"
                )
            if gamma == 0.0:  # the estimators themselves, same tol
                times = {"mlfound": [], "sklearn-lbfgs": []}
                gaps = {}
                for _ in range(repeats):
                    for impl in times:
                        start = time.perf_counter()
                        w = fit(impl, X, y, gamma, tol=1e-4, max_iter=MAX_ITER)
                        times[impl].append(time.perf_counter() - start)
                        gaps[impl] = objective(kind, gamma)(w)[0] / f_star - 1
                best = {k: min(v) for k, v in times.items()}
                print(
                    f"{kind} gamma=0 estimators at tol=1e-4 (default n_jobs): "
                    f"FocalLossClassifier "
                    f"{best['mlfound']:.2f} s (rel. gap {gaps['mlfound']:.1e}), "
                    f"LogisticRegression {best['sklearn-lbfgs']:.2f} s (rel. gap "
                    f"{gaps['sklearn-lbfgs']:.1e}); ratio "
                    f"{best['mlfound'] / best['sklearn-lbfgs']:.2f}"
                )
    cold = cold_start_seconds(_FIRST_FIT_CODE, cold=True)
    warm = cold_start_seconds(_FIRST_FIT_CODE, cold=False)
    print(f"first fit in a fresh process: {cold:.2f} s cold cache, {warm:.2f} s warm")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["boosting"]:
        boosting_headline()
    else:
        headline(kinds=tuple(sys.argv[1:]) or ("dense", "csr"))
