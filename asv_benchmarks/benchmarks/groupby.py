"""The groupby kernel against np.bincount and pandas."""

import numpy as np
import pandas as pd

from mlfound._kernels.groupby import group_sums

from .common import Benchmark, cold_start_seconds
from .datasets import uniform_values, zipf_codes


def _mlfound(codes, values, weights, n_groups):
    return group_sums(codes, values, weights, n_groups=n_groups)


def _bincount(codes, values, weights, n_groups):
    counts = np.bincount(codes, weights, minlength=n_groups)
    sums = np.bincount(codes, weights * values, minlength=n_groups)
    return counts, sums


def _pandas(codes, values, weights, n_groups):
    frame = pd.DataFrame({"code": codes, "w": weights, "wy": weights * values})
    grouped = frame.groupby("code", sort=True)[["w", "wy"]].sum()
    return grouped["w"].to_numpy(), grouped["wy"].to_numpy()


IMPLEMENTATIONS = {"mlfound": _mlfound, "numpy.bincount": _bincount, "pandas": _pandas}


class GroupSums(Benchmark):
    """Weighted counts and sums per code: one pass vs two bincounts vs groupby."""

    param_names = ["implementation", "n_samples", "n_groups"]
    params = (list(IMPLEMENTATIONS), [100_000, 2_000_000], [1_000, 1_000_000])

    def setup(self, implementation, n_samples, n_groups):
        self.codes = zipf_codes(n_samples, n_groups)
        self.values, self.weights = uniform_values(n_samples)
        self.func = IMPLEMENTATIONS[implementation]
        self.func(self.codes[:10], self.values[:10], self.weights[:10], n_groups)

    def time_group_sums(self, *args):
        self.func(self.codes, self.values, self.weights, args[2])

    def peakmem_group_sums(self, *args):
        self.func(self.codes, self.values, self.weights, args[2])


class GroupFoldSums(Benchmark):
    """Per-(code, fold) statistics in one pass vs one bincount over combined keys."""

    param_names = ["implementation", "n_samples"]
    params = (["mlfound", "numpy.bincount"], [2_000_000])

    def setup(self, implementation, n_samples):
        self.n_groups, self.n_folds = 100_000, 5
        self.codes = zipf_codes(n_samples, self.n_groups)
        self.values, self.weights = uniform_values(n_samples)
        self.folds = np.random.default_rng(1).integers(0, self.n_folds, n_samples)
        self.implementation = implementation
        # Same signature as the timed call (weights included), so the compiled
        # kernel is loaded from Numba's cache here, not inside the timing.
        group_sums(
            self.codes[:10],
            self.values[:10],
            self.weights[:10],
            folds=self.folds[:10],
            n_groups=self.n_groups,
            n_folds=self.n_folds,
        )

    def time_group_fold_sums(self, *args):
        if self.implementation == "mlfound":
            group_sums(
                self.codes,
                self.values,
                self.weights,
                n_groups=self.n_groups,
                folds=self.folds,
                n_folds=self.n_folds,
            )
        else:
            keys = self.codes * self.n_folds + self.folds
            size = self.n_groups * self.n_folds
            np.bincount(keys, self.weights, minlength=size)
            np.bincount(keys, self.weights * self.values, minlength=size)


class FirstCall(Benchmark):
    """Seconds to import and run group_sums once in a fresh process."""

    param_names = ["numba_cache"]
    params = (["cold", "warm"],)
    repeat = 1
    number = 1

    def track_first_call_seconds(self, numba_cache):
        code = """
            import numpy as np
            from mlfound._kernels.groupby import group_sums
            group_sums(np.array([0, 1]), np.array([1.0, 2.0]))
            group_sums(np.array([0, 1]), np.array([1.0, 2.0]), folds=np.array([0, 1]))
        """
        return cold_start_seconds(code, cold=numba_cache == "cold")

    track_first_call_seconds.unit = "seconds"
