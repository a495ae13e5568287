"""Click logs: position bias, naive click-through rates vs IPS."""

import time

import numpy as np
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression

from mlfound.datasets import make_click_logs
from mlfound.weighting import IPSReweighter, PositionBiasEstimator

TITLE = "Click logs: position bias, naive click-through rates vs IPS"
ORDER = 40


def run(quick, step):
    n_samples = 100_000 if quick else 1_000_000
    step(f"simulating {n_samples:,} impressions (10 positions, examination 1/k)")
    logs = make_click_logs(n_samples, random_state=0)
    n_train = int(0.8 * n_samples)
    train, test = slice(0, n_train), slice(n_train, None)
    X, y, positions = logs.X[train], logs.y[train], logs.positions[train]

    step("naive click-through-rate ratios per position")
    counts = np.bincount(positions)[1:]
    ctr = np.bincount(positions, weights=y)[1:] / counts
    naive_ratio = ctr / ctr[0]
    naive_error = np.max(np.abs(naive_ratio - logs.propensity))

    step("PositionBiasEstimator (direct likelihood, Fisher scoring)")
    # Load the compiled kernels first, so the timing below is the fit alone.
    PositionBiasEstimator().fit(X[:2000], y[:2000], positions=positions[:2000])
    start = time.perf_counter()
    est = PositionBiasEstimator(random_state=0).fit(X, y, positions=positions)
    fit_time = time.perf_counter() - start
    error = np.max(np.abs(est.propensity_ - logs.propensity))

    step("LogisticRegression on raw clicks vs IPSReweighter(LogisticRegression())")
    naive = LogisticRegression().fit(X, y)
    ips = IPSReweighter(LogisticRegression(), propensity=est.propensity_).fit(
        X, y, positions=positions
    )
    truth = logs.relevance[test]
    rho_naive = spearmanr(naive.decision_function(logs.X[test]), truth)[0]
    rho_ips = spearmanr(ips.decision_function(logs.X[test]), truth)[0]
    k = len(logs.propensity)
    return [
        (
            f"theta_{k} (true {logs.propensity[-1]:.3f})",
            f"{naive_ratio[-1]:.3f} (CTR ratio)",
            f"{est.propensity_[-1]:.3f}",
        ),
        (
            "max |theta_k error| over positions",
            f"{naive_error:.3f}",
            f"{error:.3f} (fit {fit_time:.2f} s)",
        ),
        (
            "Spearman with true relevance",
            f"{rho_naive:.3f} (LR on raw clicks)",
            f"{rho_ips:.3f} (IPSReweighter)",
        ),
    ]
