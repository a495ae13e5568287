"""The rows a PositionBiasEstimator fit sums over, held in memory.

Every pass of the fit is a sum over rows: the click counts per position,
the likelihood's value, gradient and Fisher information (scoring, L-BFGS),
the E-step sums (EM) and the observed information of the summary. The
solvers ask a rows object for these sums and never touch the arrays, so
the same solvers fit rows held in memory (:class:`ClickRows`, the kernels
run once over the arrays) and rows held by the workers of a Dask cluster
(``_position_bias_dask.DaskClickRows``, the kernels run once per partition
and the results are added up).

The contract (all sums weighted by ``sample_weight``):

``n_samples``, ``n_features``, ``total``
    Number of rows, of feature columns, and the sum of the weights.
``position_sums(randomized)``
    ``(weights, clicks)`` per position code, over all rows or over the rows
    of the randomized bucket.
``nll_grad``, ``fisher_step``, ``em_step``
    The kernels of ``_position_bias_fast`` over all rows.
``information``
    The observed information of ``_position_bias_inference``, flattened to
    ``(loglik, *info_blocks, *meat_blocks)``.
``take(rows)``
    The rows at the given indices (repeats allowed), as a rows object.
``restart_backend``
    The joblib backend of the restarts: None (the caller's choice) in
    memory, threads on the client for rows on a cluster, whose passes run
    on the workers already.
"""

import numpy as np

from mlfound._kernels.groupby import _group_sums
from mlfound.utils._threads import single_threaded_blas
from mlfound.weighting._position_bias_fast import _em_step, _fisher_step, _nll_grad
from mlfound.weighting._position_bias_inference import observed_information


class ClickRows:
    """Validated fit data in memory: features, clicks, position codes, weights.

    ``X`` is C-contiguous float64 or float32 (the position column removed),
    ``y`` the clicks (or class codes) as float64, ``codes`` the 0-based
    position codes below ``n_positions``, ``sample_weight`` float64 and
    ``randomized`` a boolean mask or None.
    """

    restart_backend = None

    def __init__(self, X, y, codes, sample_weight, n_positions, randomized=None):
        self.X = X
        self.y = y
        self.codes = codes
        self.sample_weight = sample_weight
        self.n_positions = n_positions
        self.randomized = randomized
        self.n_samples, self.n_features = X.shape
        self.total = sample_weight.sum()

    def position_sums(self, randomized=False):
        codes, y, sw = self.codes, self.y, self.sample_weight
        if randomized:
            mask = self.randomized
            codes = np.ascontiguousarray(codes[mask])
            y, sw = y[mask], np.ascontiguousarray(sw[mask])
        stats = _group_sums(codes, y[:, None], sw, self.n_positions)
        return stats[:, 0], stats[:, 1]

    def nll_grad(self, coef, intercept, log_theta, fit_intercept):
        return _nll_grad(
            self.X,
            self.y,
            self.codes,
            self.sample_weight,
            coef,
            intercept,
            log_theta,
            fit_intercept,
        )

    def fisher_step(self, coef, intercept, log_theta):
        return _fisher_step(
            self.X, self.y, self.codes, self.sample_weight, coef, intercept, log_theta
        )

    def em_step(self, coef, intercept, theta, fit_intercept):
        return _em_step(
            self.X,
            self.y,
            self.codes,
            self.sample_weight,
            coef,
            intercept,
            theta,
            fit_intercept,
        )

    def information(self, coef, intercept, log_theta):
        with single_threaded_blas():
            loglik, info, meat = observed_information(
                self.X,
                self.y,
                self.codes,
                self.sample_weight,
                coef,
                intercept,
                log_theta,
            )
        return (loglik, *info, *meat)

    def take(self, rows):
        return ClickRows(
            self.X[rows],
            self.y[rows],
            self.codes[rows],
            self.sample_weight[rows],
            self.n_positions,
        )
