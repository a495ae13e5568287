"""FocalLossClassifier against LogisticRegression and a hand-written NumPy focal loss.

Workloads (binary, L2 with ``C=1``):

- ``dense``: ``make_classification(200_000, 50, weights=[0.95])``;
- ``csr``: 300,000 x 100,000 CSR with 30 non-zeros per row.

Implementations, timed in the same run so their ratio is meaningful, all at
one BLAS thread (and ``n_jobs=1`` for mlfound):

- ``mlfound``: ``FocalLossClassifier`` (fused one-pass Numba kernel);
- ``sklearn-lbfgs``: ``LogisticRegression(solver="lbfgs")`` (``gamma=0`` only);
- ``numpy-scipy``: the focal loss a user writes by hand with NumPy/SciPy
  (:func:`numpy_focal_value_grad`) driven by ``scipy.optimize.minimize``
  (L-BFGS-B).

``gamma=2`` fits use ``alpha=0.25``. Every ``time_fit`` has a
``track_relative_gap`` beside it: the final objective's relative distance
``f / f* - 1`` to the optimum ``f*`` of a very tight solve, so that no one is
fast by stopping early:

- :class:`FocalAtDefaults`: every implementation at its default settings;
- :class:`FocalAtEqualAccuracy`: mlfound at its defaults, each peer stopped
  after the fewest L-BFGS iterations that bring it within
  ``EQUAL_ACCURACY = 1e-4`` of ``f*`` (found beforehand: the most generous
  stopping rule a peer could have).

The headline's ``seconds_to_target`` also times each implementation's
objective inside the same L-BFGS-B loop, stopped at the first evaluation
within 1e-6 of ``f*``.

Run ``python asv_benchmarks/benchmarks/linear_model.py [dense] [csr]
[--fits-only]`` for the headline numbers (interleaved, best of several
repeats); ``--fits-only`` prints only the estimator table.
"""

import time
import warnings
from functools import lru_cache

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from scipy.special import expit
from sklearn._loss.loss import HalfBinomialLoss
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._linear_loss import LinearModelLoss
from threadpoolctl import threadpool_limits

from mlfound._glm._lbfgs import minimize_lbfgs
from mlfound._glm._losses import BinaryFocalLoss, LinearObjective, _as_kernel_X
from mlfound._glm._penalties import make_penalty
from mlfound._glm._precondition import jacobi_scale, lbfgs_scale
from mlfound.linear_model import FocalLossClassifier

try:
    from .common import Benchmark, cold_start_seconds
except ImportError:  # run as a script
    from common import Benchmark, cold_start_seconds

C = 1.0
EQUAL_ACCURACY = 1e-4
#: ``alpha`` of each ``gamma`` (the RetinaNet pair for ``gamma=2``).
ALPHA = {0.0: None, 2.0: 0.25}


@lru_cache(maxsize=2)
def make_data(kind):
    """``(X, y)`` of the ``"dense"`` or ``"csr"`` workload (cached)."""
    if kind == "dense":
        X, y = make_classification(200_000, 50, weights=[0.95], random_state=0)
        return X, y.astype(np.int64)
    rng = np.random.default_rng(0)
    n, p, nnz = 300_000, 100_000, 30
    indices = np.sort(rng.integers(0, p, (n, nnz)), axis=1).astype(np.int32)
    data = rng.standard_normal(n * nnz)
    indptr = np.arange(0, n * nnz + 1, nnz, dtype=np.int32)
    X = sp.csr_matrix((data, indices.ravel(), indptr), shape=(n, p))
    X.sum_duplicates()
    beta = rng.standard_normal(p) * 0.5
    y = (rng.uniform(size=n) < expit(X @ beta - 1.0)).astype(np.int64)
    return X, y


def numpy_focal_value_grad(w, X, y, gamma, l2, alpha=None):
    """Binary focal loss and gradient written with NumPy/SciPy (the peer).

    ``alpha`` weighs positives by ``alpha`` and negatives by ``1 - alpha``.
    """
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
    if alpha is not None:
        alpha_t = alpha * y + (1.0 - alpha) * (1 - y)
        loss *= alpha_t
        dz *= alpha_t
    n = y.shape[0]
    value = loss.sum() / n + 0.5 * l2 * coef @ coef
    grad = np.empty_like(w)
    grad[:-1] = X.T @ dz / n + l2 * coef
    grad[-1] = dz.sum() / n
    return value, grad


def fit_numpy_focal(X, y, gamma, *, max_iter=15_000, callback=None, **options):
    """L-BFGS-B on :func:`numpy_focal_value_grad`, SciPy's defaults unless given.

    Returns SciPy's ``OptimizeResult``.
    """
    l2 = 1.0 / (C * X.shape[0])
    return scipy.optimize.minimize(
        numpy_focal_value_grad,
        np.zeros(X.shape[1] + 1),
        args=(X, y.astype(np.float64), gamma, l2, ALPHA[gamma]),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": max_iter, **options},
        callback=callback,
    )


def fit(implementation, X, y, gamma, *, max_iter=None):
    """Fit one implementation at its defaults; return ``([coef, intercept], n_iter)``.

    ``max_iter`` (optional) stops a peer after that many iterations with its
    own stopping rules switched off (see :class:`FocalAtEqualAccuracy`).
    """
    exact = {} if max_iter is None else {"max_iter": max_iter}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if implementation == "mlfound":
            model = FocalLossClassifier(gamma=gamma, alpha=ALPHA[gamma], C=C, n_jobs=1)
        elif implementation == "sklearn-lbfgs":
            if max_iter is not None:
                exact["tol"] = 0.0
            model = LogisticRegression(C=C, solver="lbfgs", **exact)
        else:
            if max_iter is not None:
                exact.update(gtol=0.0, ftol=0.0)
            result = fit_numpy_focal(X, y, gamma, **exact)
            return result.x, int(result.nit)
        model.fit(X, y)
    return np.r_[model.coef_.ravel(), model.intercept_], int(model.n_iter_[0])


def objective(kind, gamma, n_threads=1):
    """The exact objective (mean focal loss + L2) as a callable of ``w``."""
    X, y = make_data(kind)
    alpha = ALPHA[gamma]
    obj = LinearObjective(
        BinaryFocalLoss(gamma, (1.0, 1.0) if alpha is None else (1 - alpha, alpha)),
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
    """Objective value at the optimum: Jacobi-scaled L-BFGS-B run to its end."""
    obj = objective(kind, gamma)
    scale = jacobi_scale(obj)

    def scaled(v):
        value, grad = obj(v * scale)
        return value, grad * scale

    with threadpool_limits(limits=1, user_api="blas"):
        result = scipy.optimize.minimize(
            scaled,
            np.zeros(obj.n_params),
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 20_000, "gtol": 1e-13, "ftol": 0.0, "maxls": 50},
        )
    return float(result.fun)


def relative_gap(kind, gamma, w):
    """``f(w) / f* - 1``: how far above the optimum a fit stopped."""
    return objective(kind, gamma)(w)[0] / true_optimum(kind, gamma) - 1.0


@lru_cache(maxsize=8)
def iterations_to_accuracy(implementation, kind, gamma, rel_gap=EQUAL_ACCURACY):
    """Fewest L-BFGS-B iterations of a peer that end within ``rel_gap`` of ``f*``.

    Runs the peer's own iteration (``LogisticRegression``'s is SciPy's
    L-BFGS-B on scikit-learn's loss with its options) and checks the gap after
    every iteration.
    """
    X, y = make_data(kind)
    gaps = []

    def callback(intermediate_result):
        gaps.append(relative_gap(kind, gamma, intermediate_result.x))
        if gaps[-1] <= rel_gap:
            raise StopIteration

    with threadpool_limits(limits=1, user_api="blas"):
        if implementation == "sklearn-lbfgs":
            scipy.optimize.minimize(
                value_and_grad(implementation, kind, gamma),
                np.zeros(X.shape[1] + 1),
                jac=True,
                method="L-BFGS-B",
                callback=callback,
                options={"maxiter": 15_000, "maxls": 50, "gtol": 0.0,
                         "ftol": 64 * np.finfo(float).eps},
            )  # fmt: skip
        else:
            fit_numpy_focal(X, y, gamma, callback=callback, gtol=0.0, ftol=0.0)
    if not gaps or gaps[-1] > rel_gap:
        raise RuntimeError(f"{implementation} never came within {rel_gap} of f*")
    return len(gaps)


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
    return lambda w: numpy_focal_value_grad(w, X, yf, gamma, l2, ALPHA[gamma])


def seconds_to_target(
    implementation, kind, gamma, *, rel_gap=1e-6, n_threads=1, precondition=True
):
    """Seconds until L-BFGS-B on ``implementation`` reaches ``f* (1 + rel_gap)``.

    Every implementation runs SciPy's L-BFGS-B with scikit-learn's options
    (``ftol=64 * eps``, no gradient rule) from ``w = 0``; the clock stops at the
    first evaluation whose objective is within ``rel_gap`` of the true optimum,
    so all are compared at the same objective value (``inf`` if the ``ftol``
    rule stopped the run before that). ``"mlfound"`` runs its estimator's own
    solver path: BLAS limited to one thread and the Jacobi preconditioner where
    the estimator uses it (computed inside the timed region) unless
    ``precondition=False``, which isolates the cost of one evaluation.
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
            scale = lbfgs_scale(func)
    try:
        with threadpool_limits(limits=blas_threads, user_api="blas"):
            minimize_lbfgs(wrapped, np.zeros(X.shape[1] + 1), tol=0.0,
                           max_iter=5000, scale=scale)  # fmt: skip
    except _Reached as reached:
        return reached.args[0]
    return float("inf")


class _FocalFitBenchmark(Benchmark):
    param_names = ["implementation", "data", "gamma"]
    params = (["mlfound", "sklearn-lbfgs", "numpy-scipy"], ["dense", "csr"], [0.0, 2.0])

    def setup(self, implementation, kind, gamma):
        if implementation == "sklearn-lbfgs" and gamma != 0.0:
            raise NotImplementedError("LogisticRegression has no focal loss")
        self.X, self.y = make_data(kind)
        fit("mlfound", self.X[:1000], self.y[:1000], gamma)  # JIT warm-up
        self.max_iter = self._max_iter(implementation, kind, gamma)
        # one BLAS thread for every implementation
        self._limits = threadpool_limits(limits=1, user_api="blas")

    def teardown(self, *args):
        self._limits.restore_original_limits()

    def _max_iter(self, implementation, kind, gamma):
        return None

    def time_fit(self, implementation, kind, gamma):
        fit(implementation, self.X, self.y, gamma, max_iter=self.max_iter)

    def peakmem_fit(self, implementation, kind, gamma):
        fit(implementation, self.X, self.y, gamma, max_iter=self.max_iter)

    def track_relative_gap(self, implementation, kind, gamma):
        w, _ = fit(implementation, self.X, self.y, gamma, max_iter=self.max_iter)
        return relative_gap(kind, gamma, w)


class FocalAtDefaults(_FocalFitBenchmark):
    """Fit time and relative objective gap, every implementation at its defaults."""


class FocalAtEqualAccuracy(_FocalFitBenchmark):
    """Fit time within ``EQUAL_ACCURACY`` of the optimum (mlfound at its defaults).

    A peer runs exactly the number of iterations that first brings it within
    ``EQUAL_ACCURACY`` of ``f*`` (:func:`iterations_to_accuracy`); mlfound
    runs at its defaults, which ``track_relative_gap`` shows land within it.
    """

    def _max_iter(self, implementation, kind, gamma):
        if implementation == "mlfound":
            return None
        return iterations_to_accuracy(implementation, kind, gamma)


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
    """Seconds to import and fit once in a fresh interpreter.

    A ``track_`` benchmark returning the seconds of the timed subprocess
    alone: with a cold cache every kernel is compiled; with a warm one the
    cache is filled by an untimed run first, so only loading is measured.
    """

    param_names = ["numba_cache"]
    params = (["cold", "warm"],)
    number = 1
    repeat = 1

    def track_first_fit_seconds(self, numba_cache):
        return cold_start_seconds(_FIRST_FIT_CODE, cold=numba_cache == "cold")

    track_first_fit_seconds.unit = "seconds"


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


def estimator_table(kind, repeats=3):
    """Print iterations, relative gap and best-of-``repeats`` fit time (interleaved).

    Every implementation at its defaults and, for the peers, stopped at
    ``EQUAL_ACCURACY`` (as in :class:`FocalAtDefaults` and
    :class:`FocalAtEqualAccuracy`), all at one BLAS thread.
    """
    X, y = make_data(kind)
    fit("mlfound", X[:1000], y[:1000], 0.0)  # JIT warm-up
    runs = {}
    for gamma in (0.0, 2.0):
        for impl in ("mlfound", "sklearn-lbfgs", "numpy-scipy"):
            if impl == "sklearn-lbfgs" and gamma != 0.0:
                continue
            runs[(gamma, impl, "defaults")] = None
            if impl != "mlfound":
                k = iterations_to_accuracy(impl, kind, gamma)
                runs[(gamma, impl, f"stopped at {EQUAL_ACCURACY:g}")] = k
    times = {key: [] for key in runs}
    results = {}
    with threadpool_limits(limits=1, user_api="blas"):
        for _ in range(repeats):
            for key, max_iter in runs.items():
                gamma, impl, _ = key
                start = time.perf_counter()
                w, n_iter = fit(impl, X, y, gamma, max_iter=max_iter)
                times[key].append(time.perf_counter() - start)
                results[key] = (n_iter, relative_gap(kind, gamma, w))
    for (gamma, impl, setting), values in times.items():
        n_iter, gap = results[(gamma, impl, setting)]
        mlfound = min(times[(gamma, "mlfound", "defaults")])
        print(
            f"{kind} gamma={gamma:g} {impl:14s} {setting:16s} {n_iter:5d} it  "
            f"gap {gap:8.1e}  {min(values):7.3f} s  "
            f"({min(values) / mlfound:.2f}x mlfound's)"
        )


def headline(repeats=2, kinds=("dense", "csr"), fits_only=False):
    """Print the numbers of the acceptance criteria (interleaved, best of N)."""
    import numba

    for kind in kinds:
        estimator_table(kind, repeats=max(repeats, 3))
    if fits_only:
        return
    print(f"memory bandwidth (NumPy sum): {memory_bandwidth_gb_per_s():.1f} GB/s")
    for kind in kinds:
        X, y = make_data(kind)
        for gamma in (0.0, 2.0):
            fit("mlfound", X[:1000], y[:1000], gamma)  # JIT warm-up
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
            true_optimum(kind, gamma)  # computed before any clock starts
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
    cold = cold_start_seconds(_FIRST_FIT_CODE, cold=True)
    warm = cold_start_seconds(_FIRST_FIT_CODE, cold=False)
    print(f"first fit in a fresh process: {cold:.2f} s cold cache, {warm:.2f} s warm")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["boosting"]:
        boosting_headline()
    else:
        args = [arg for arg in sys.argv[1:] if arg != "--fits-only"]
        headline(
            kinds=tuple(args) or ("dense", "csr"), fits_only="--fits-only" in sys.argv
        )
