"""Cached data for the benchmarks (built once per process)."""

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8)
def zipf_codes(n_samples, n_groups, *, seed=0):
    """Integer codes in ``[0, n_groups)`` with Zipf-like frequencies."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, n_groups + 1, dtype=np.float64)
    p = 1.0 / ranks
    p /= p.sum()
    return rng.choice(n_groups, size=n_samples, p=p).astype(np.intp)


@lru_cache(maxsize=8)
def uniform_values(n_samples, *, seed=0):
    """Values and weights, float64."""
    rng = np.random.default_rng(seed)
    return rng.random(n_samples), rng.random(n_samples)
