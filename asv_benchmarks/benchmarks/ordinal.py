"""Benchmarks of the ordinal family against the peers a user would pick.

Fits a proportional odds model on ``make_star_ratings(50_000, n_features=20,
n_classes=5)`` with mlfound's ``OrdinalLogisticRegression`` (unpenalised, so
the exact maximum-likelihood estimate) and with skordinal's ``POM`` (default
L-BFGS and ``solver="newton-cg"``), mord's ``LogisticAT(alpha=0)`` and
statsmodels' ``OrderedModel(...).fit(method="bfgs")``, all in one asv run:

    asv run --python=same --quick --bench ordinal      # from asv_benchmarks/

``track_loglik_gap`` reports how far each fit stops below the maximum
log-likelihood (in nats; the reference is statsmodels' ``loglike`` at the
best of all fits), so a fast fit that stops early is visible as such.
``OrdinalNominalEffectsFit`` times the partial proportional odds fit
(``nominal=`` on two of the 20 features), which statsmodels cannot fit,
against statsmodels' unconstrained ``MNLogit`` as the nearest peer.
``time_first_fit_cold_cache`` measures the first fit in a fresh process with
an empty Numba cache (compile time included).

Run the module directly (``cd asv_benchmarks && PYTHONPATH=..
python -m benchmarks.ordinal``) to
print the headline ratios: best-of-N wall times measured interleaved in one
process, at one BLAS thread and with the default threads.
"""

import time
import warnings

import numpy as np

from .common import Benchmark, cold_start_seconds, single_thread

N_SAMPLES, N_FEATURES, N_CLASSES = 50_000, 20, 5
IMPLEMENTATIONS = [
    "mlfound",
    "skordinal_pom",
    "skordinal_pom_newton_cg",
    "mord_logistic_at",
    "statsmodels_bfgs",
]


def _make_data():
    from mlfound.datasets import make_star_ratings

    data = make_star_ratings(
        N_SAMPLES, n_features=N_FEATURES, n_classes=N_CLASSES, random_state=0
    )
    return data.X, data.y


def _fit(implementation, X, y):
    """Fit one implementation; return ``(coef, thresholds)``."""
    if implementation == "mlfound":
        from mlfound.ordinal import OrdinalLogisticRegression

        model = OrdinalLogisticRegression(C=np.inf).fit(X, y)
        return model.coef_, model.thresholds_
    if implementation.startswith("skordinal"):
        from skordinal.classifiers import POM

        solver = "newton-cg" if implementation.endswith("newton_cg") else "lbfgs"
        model = POM(solver=solver).fit(X, y)
        return model.coef_, model.thresholds_
    if implementation == "mord_logistic_at":
        import mord

        model = mord.LogisticAT(alpha=0.0).fit(X, y)
        return model.coef_, model.theta_
    if implementation == "statsmodels_bfgs":
        from statsmodels.miscmodels.ordinal_model import OrderedModel

        model = OrderedModel(y, X, distr="logit")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = model.fit(method="bfgs", disp=0, maxiter=1000)
        return result.params[: X.shape[1]], model.transform_threshold_params(
            result.params
        )[1:-1]
    raise ValueError(implementation)


def _loglik(X, y, coef, thresholds):
    """Log-likelihood of the proportional odds model (statsmodels' formula)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    thresholds = np.asarray(thresholds, dtype=float)
    if np.any(np.diff(thresholds) <= 0):
        return -np.inf
    params = np.r_[coef, thresholds[0], np.log(np.diff(thresholds))]
    return float(OrderedModel(y, X, distr="logit").loglike(params))


def _available(implementation):
    module = {
        "skordinal": "skordinal",
        "mord": "mord",
        "statsmodels": "statsmodels",
    }.get(implementation.split("_")[0])
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


class OrdinalLogisticFit(Benchmark):
    """Fit time, memory and distance to the MLE, by implementation."""

    params = (IMPLEMENTATIONS,)
    param_names = ["implementation"]
    repeat = (1, 5, 60)

    def setup_cache(self):
        X, y = _make_data()
        fits = {impl: _fit(impl, X, y) for impl in IMPLEMENTATIONS if _available(impl)}
        logliks = {impl: _loglik(X, y, *fit) for impl, fit in fits.items()}
        return X, y, logliks

    def setup(self, state, implementation):
        if not _available(implementation):
            raise NotImplementedError(f"{implementation} is not installed")
        _fit("mlfound", state[0][:100], state[1][:100])  # JIT warm-up

    def time_fit(self, state, implementation):
        _fit(implementation, state[0], state[1])

    def time_fit_single_thread(self, state, implementation):
        with single_thread():
            _fit(implementation, state[0], state[1])

    def peakmem_fit(self, state, implementation):
        _fit(implementation, state[0], state[1])

    def track_loglik_gap(self, state, implementation):
        logliks = state[2]
        return max(logliks.values()) - logliks[implementation]

    track_loglik_gap.unit = "nats"


# Partial proportional odds: the first N_NOMINAL features get one coefficient
# per cut point. statsmodels cannot fit this model; its nearest peer is the
# unconstrained multinomial logit (MNLogit), which frees every feature.
N_NOMINAL = 2
EFFECTS_IMPLEMENTATIONS = ["mlfound_nominal", "statsmodels_mnlogit"]


def _fit_effects(implementation, X, y):
    """Fit one implementation of the nominal-effects benchmark."""
    if implementation == "mlfound_nominal":
        from mlfound.ordinal import OrdinalLogisticRegression

        model = OrdinalLogisticRegression(C=np.inf, nominal=list(range(N_NOMINAL))).fit(
            X, y
        )
        return model.loglik_
    if implementation == "statsmodels_mnlogit":
        import statsmodels.api as sm

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton")
        return float(result.llf)
    raise ValueError(implementation)


class OrdinalNominalEffectsFit(Benchmark):
    """Nominal-effects (partial proportional odds) fit against MNLogit."""

    params = (EFFECTS_IMPLEMENTATIONS,)
    param_names = ["implementation"]
    repeat = (1, 5, 60)

    def setup_cache(self):
        return _make_data()

    def setup(self, state, implementation):
        if implementation.startswith("statsmodels") and not _available("statsmodels"):
            raise NotImplementedError("statsmodels is not installed")
        _fit_effects("mlfound_nominal", state[0][:200], state[1][:200])

    def time_fit(self, state, implementation):
        _fit_effects(implementation, state[0], state[1])

    def peakmem_fit(self, state, implementation):
        _fit_effects(implementation, state[0], state[1])

    def track_loglik(self, state, implementation):
        return _fit_effects(implementation, state[0], state[1])

    track_loglik.unit = "nats"


def _headline_effects(repeats=5):
    """Interleaved best-of-``repeats`` times of the nominal-effects fit."""
    X, y = _make_data()
    times = dict.fromkeys(EFFECTS_IMPLEMENTATIONS, np.inf)
    logliks = {}
    for impl in EFFECTS_IMPLEMENTATIONS:
        logliks[impl] = _fit_effects(impl, X, y)  # warm-up
    for _ in range(repeats):
        for impl in EFFECTS_IMPLEMENTATIONS:
            start = time.perf_counter()
            _fit_effects(impl, X, y)
            times[impl] = min(times[impl], time.perf_counter() - start)
    ref = times["mlfound_nominal"]
    for impl in EFFECTS_IMPLEMENTATIONS:
        print(
            f"  {impl:<26} {times[impl] * 1e3:9.1f} ms  "
            f"{times[impl] / ref:7.1f}x mlfound  log-lik {logliks[impl]:.2f}"
        )


_COLD_START = """
import numpy as np
from mlfound.datasets import make_star_ratings
from mlfound.ordinal import OrdinalLogisticRegression
data = make_star_ratings(1000, n_features=5, random_state=0)
OrdinalLogisticRegression().fit(data.X, data.y).predict_proba(data.X)
"""
_IMPORT_ONLY = """
import numpy as np
from mlfound.datasets import make_star_ratings
from mlfound.ordinal import OrdinalLogisticRegression
data = make_star_ratings(1000, n_features=5, random_state=0)
"""


class OrdinalFirstCall(Benchmark):
    """Compile cost: import + first fit + predict in a fresh process."""

    repeat = 1

    def track_first_fit_cold_cache(self):
        return cold_start_seconds(_COLD_START, cold=True)

    track_first_fit_cold_cache.unit = "seconds"

    def track_first_fit_warm_cache(self):
        return cold_start_seconds(_COLD_START, cold=False)

    track_first_fit_warm_cache.unit = "seconds"

    def track_imports_only(self):
        return cold_start_seconds(_IMPORT_ONLY, cold=False)

    track_imports_only.unit = "seconds"


def _headline(repeats=7):
    """Interleaved best-of-``repeats`` fit times and log-likelihood gaps."""
    X, y = _make_data()
    fits = {impl: _fit(impl, X, y) for impl in IMPLEMENTATIONS if _available(impl)}
    logliks = {impl: _loglik(X, y, *fit) for impl, fit in fits.items()}
    best_ll = max(logliks.values())
    times = dict.fromkeys(fits, np.inf)
    for _ in range(repeats):
        for impl in fits:
            if impl == "statsmodels_bfgs" and np.isfinite(times[impl]):
                continue  # seconds per fit: once is enough
            start = time.perf_counter()
            _fit(impl, X, y)
            times[impl] = min(times[impl], time.perf_counter() - start)
    ref = times["mlfound"]
    for impl in fits:
        print(
            f"  {impl:<26} {times[impl] * 1e3:9.1f} ms  "
            f"{times[impl] / ref:7.1f}x mlfound  "
            f"log-lik gap {best_ll - logliks[impl]:.2e} nats"
        )


if __name__ == "__main__":
    print(f"n={N_SAMPLES}, d={N_FEATURES}, K={N_CLASSES}")
    with single_thread():
        print("one BLAS thread:")
        _headline()
    print("default BLAS threads:")
    _headline()
    print(f"nominal effects on {N_NOMINAL} features vs statsmodels MNLogit:")
    _headline_effects()
    cold = cold_start_seconds(_COLD_START, cold=True)
    warm = cold_start_seconds(_COLD_START, cold=False)
    imports = cold_start_seconds(_IMPORT_ONLY, cold=False)
    print(
        f"fresh process, import + data + first fit + predict: {cold:.2f} s with "
        f"an empty Numba cache, {warm:.2f} s with the cache filled; imports and "
        f"data alone: {imports:.2f} s"
    )
