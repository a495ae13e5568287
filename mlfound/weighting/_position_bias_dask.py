"""PositionBiasEstimator on dask arrays: the same solvers on summed statistics.

Every quantity the fit needs is a sum over rows: the weighted impressions
and clicks per position (the starting propensities, and the click-rate
ratios of a randomized bucket), the likelihood's value, gradient and Fisher
information (one scoring iteration), its value and gradient (one L-BFGS
evaluation), the E-step sums (one EM iteration) and the observed
information of the summary. :class:`DaskClickRows` computes each of them
by running the estimator's own kernels on every partition on the workers
and adding the small per-partition results on the client in partition
order; the solvers, the restarts and the warm start run on the client
unchanged (they see the rows only through the contract of
``_click_rows``). So the fit equals the in-memory one up to the order of
the floating-point sums, and the fitted estimator is an ordinary one
(``summary()`` included).

Inputs: ``X`` a 2-D dask array; ``y``, ``positions``, ``randomized`` and
``sample_weight`` 1-D dask arrays (rechunked to ``X``'s row partitions) or
NumPy arrays (split along them); or ``position_column``, an integer column
of ``X`` (a dask array has no column names). Each partition is validated on
its worker by the in-memory checks.

Passes over the data: one to validate and persist the partitions (with
their distinct labels and positions), one to code the positions and persist
(with the impressions and clicks per position, in the randomized bucket
too), then one per solver evaluation (scoring: one per iteration and per
backtracking step; the warm start on more than 200,000 rows first persists
its bootstrap sample, drawn as in memory, and fits it the same way), and
one for the summary's information matrices.
"""

import warnings

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from mlfound.utils._dask import (
    aligned,
    as_row_blocks,
    compute_all,
    delayed_blocks,
    map_blocks_delayed,
    map_rows,
    persist_all,
    sum_in_order,
)
from mlfound.utils.validation import check_sample_weight
from mlfound.weighting._click_rows import ClickRows
from mlfound.weighting._position_inputs import (
    _NO_POSITIONS_MESSAGE,
    _check_target,
    _position_codes,
    _position_index,
    _resolve_positions,
)

# ------------------------------------------------------------ worker functions


def _validate_block(X, y, positions, randomized, sample_weight, spec):
    """A partition checked as in-memory input is; positions split off ``X``."""
    dtype, position_column = spec
    X = check_array(
        X,
        dtype=dtype,
        ensure_min_samples=0,
        input_name="X",
        estimator="PositionBiasEstimator",
    )
    y = column_or_1d(y, warn=False)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"A partition of y has {y.shape[0]} rows and that of X {X.shape[0]}."
        )
    if position_column is None and positions is None:
        features, positions = X, np.ones(X.shape[0], dtype=np.int64)
    else:
        features, positions = _resolve_positions(
            X, positions, position_column, None, warn=False
        )
    if randomized is not None:
        randomized = np.asarray(randomized)
        if randomized.dtype != np.bool_:
            raise ValueError(
                f"randomized must be a boolean array, got dtype {randomized.dtype}."
            )
    if X.shape[0] == 0:
        sw = np.empty(0, dtype=np.float64)
    else:
        sw = check_sample_weight(sample_weight, X, dtype=np.float64)
    return np.ascontiguousarray(features), y, positions, randomized, sw


def _block_uniques(block):
    _, y, positions, _, _ = block
    return np.unique(y), np.unique(positions)


def _code_block(block, classes, distinct, clicks_given):
    """``(X, y as float64, position codes, weights, randomized)`` of a partition."""
    X, y, positions, randomized, sw = block
    if clicks_given:
        y = np.asarray(y == 1, dtype=np.float64)  # 0/1 checked on the labels
    else:
        y = np.searchsorted(classes, y).astype(np.float64)
    codes = _position_codes(positions, distinct).astype(np.intp)
    if codes.size and codes.min() < 0:  # the kernels index theta by code
        raise ValueError(
            "A partition holds positions that were not there when the "
            "positions were collected: the collection changed between passes."
        )
    return X, y, codes, sw, randomized


def _rows(block, n_positions):
    X, y, codes, sw, randomized = block
    return ClickRows(X, y, codes, sw, n_positions, randomized)


def _block_position_sums(block, n_positions, with_randomized):
    rows = _rows(block, n_positions)
    counts, clicks = rows.position_sums()
    if not with_randomized:
        return float(rows.total), counts, clicks, 0.0, 0.0
    return (float(rows.total), counts, clicks, *rows.position_sums(randomized=True))


def _block_call(block, n_positions, method, args):
    result = getattr(_rows(block, n_positions), method)(*args)
    return tuple(float(r) if np.ndim(r) == 0 else r for r in result)


def _block_take(block, local_rows):
    X, y, codes, sw, _ = block
    return X[local_rows], y[local_rows], codes[local_rows], sw[local_rows], None


# ------------------------------------------------------------ client side


class DaskClickRows:
    """The rows of a fit held in the partitions of dask arrays.

    Implements the contract of ``_click_rows`` by mapping each sum over the
    persisted partitions and adding the results in partition order.
    """

    # each restart only drives passes that run on the workers: client threads
    # (not tasks on the workers that would wait there for their own passes)
    restart_backend = "threading"

    def __init__(self, blocks, row_chunks, n_features, n_positions, passes):
        self.blocks = blocks
        self.row_chunks = tuple(row_chunks)
        self.n_samples = int(sum(row_chunks))
        self.n_features = n_features
        self.n_positions = n_positions
        self.passes = passes  # a one-element list shared with subsamples
        self._position_sums = None
        self.total = None

    def _sum(self, method, *args):
        self.passes[0] += 1
        tasks = map_blocks_delayed(
            _block_call, [(b,) for b in self.blocks], self.n_positions, method, args
        )
        return sum_in_order(compute_all(tasks))

    def summarize(self, with_randomized):
        """The pass that gives ``total`` and the sums per position."""
        self.passes[0] += 1
        tasks = map_blocks_delayed(
            _block_position_sums,
            [(b,) for b in self.blocks],
            self.n_positions,
            with_randomized,
        )
        total, *sums = sum_in_order(compute_all(tasks))
        self.total = float(total)
        self._position_sums = [np.asarray(s, dtype=np.float64) for s in sums]

    def position_sums(self, randomized=False):
        counts, clicks, r_counts, r_clicks = self._position_sums
        return (r_counts, r_clicks) if randomized else (counts, clicks)

    def nll_grad(self, coef, intercept, log_theta, fit_intercept):
        value, g_coef, g_b, g_theta = self._sum(
            "nll_grad", _arr(coef), float(intercept), _arr(log_theta), fit_intercept
        )
        return float(value), g_coef, float(g_b), g_theta

    def fisher_step(self, coef, intercept, log_theta):
        value, *rest = self._sum(
            "fisher_step", _arr(coef), float(intercept), _arr(log_theta)
        )
        return (float(value), *rest)

    def em_step(self, coef, intercept, theta, fit_intercept):
        loglik, *rest = self._sum(
            "em_step", _arr(coef), float(intercept), _arr(theta), fit_intercept
        )
        return (float(loglik), *rest)

    def information(self, coef, intercept, log_theta):
        loglik, *rest = self._sum(
            "information", _arr(coef), float(intercept), _arr(log_theta)
        )
        return (float(loglik), *rest)

    def take(self, rows):
        """The rows at global indices ``rows``, persisted per partition.

        Each partition keeps its own rows in the order they are drawn, so
        only the indices travel to the workers and no row leaves its worker.
        """
        self.passes[0] += 1
        bounds = np.cumsum((0,) + self.row_chunks)
        part = np.searchsorted(bounds, rows, side="right") - 1
        order = np.argsort(part, kind="stable")
        splits = np.searchsorted(part[order], np.arange(1, len(self.blocks)))
        local = [rows[idx] - bounds[i] for i, idx in enumerate(np.split(order, splits))]
        blocks = persist_all(
            [
                map_blocks_delayed(_block_take, [(b, idx)])[0]
                for b, idx in zip(self.blocks, local, strict=True)
            ]
        )
        sub = DaskClickRows(
            blocks,
            [idx.shape[0] for idx in local],
            self.n_features,
            self.n_positions,
            self.passes,
        )
        sub.summarize(False)
        self.passes[0] -= 1  # the summary travels with the persisting pass
        return sub


def _arr(values):
    return np.array(values, dtype=np.float64, copy=True)


def dask_click_rows(est, X, y, positions, randomized, sample_weight):
    """Validate dask fit data on the workers; set ``est``'s label attributes.

    Returns the :class:`DaskClickRows` that ``est._fit_rows`` fits.
    """
    X = as_row_blocks(X)
    row_chunks = X.chunks[0]
    if y is None:
        raise ValueError("y is required to fit PositionBiasEstimator (the clicks).")
    y = aligned(y, row_chunks, "y")
    positions = aligned(positions, row_chunks, "positions")
    randomized = aligned(randomized, row_chunks, "randomized")
    sample_weight = aligned(sample_weight, row_chunks, "sample_weight")
    if randomized is not None and randomized.dtype != np.bool_:
        raise ValueError(
            f"randomized must be a boolean array, got dtype {randomized.dtype}."
        )
    position_column = est.position_column
    if positions is not None and position_column is not None:
        raise ValueError(
            "Positions were given twice: as positions= and through "
            f"position_column={position_column!r}. Give only one."
        )
    if isinstance(position_column, str):
        raise ValueError(
            f"position_column={position_column!r} is a column name, but a dask "
            f"array has no column names: give the column's integer index, or "
            f"pass the positions as fit(..., positions=...)."
        )
    if position_column is not None:
        _position_index(position_column, None, X)  # an index out of range raises
    if X.shape[0] < 2:
        raise ValueError(
            f"Found array with {X.shape[0]} sample(s) (shape={X.shape}) while a "
            f"minimum of 2 is required by PositionBiasEstimator."
        )
    given = positions is not None or position_column is not None
    if not given:
        warnings.warn(_NO_POSITIONS_MESSAGE, UserWarning)
    est.__dict__.pop("feature_names_in_", None)
    est.n_features_in_ = X.shape[1]
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    passes = [1]

    # pass 1: validate and persist the partitions; their labels and positions
    blocks = persist_all(
        map_blocks_delayed(
            _validate_block,
            delayed_blocks(X, y, positions, randomized, sample_weight),
            (dtype, position_column),
        )
    )
    uniques = compute_all(map_blocks_delayed(_block_uniques, [(b,) for b in blocks]))
    labels = np.unique(np.concatenate([u[0] for u in uniques]))
    distinct = np.unique(np.concatenate([u[1] for u in uniques])).astype(np.int64)
    est.classes_, _ = _check_target(labels, given)
    est.positions_ = distinct
    est.n_positions_ = distinct.shape[0]

    # pass 2: position codes, persisted; impressions and clicks per position
    blocks = persist_all(
        map_blocks_delayed(
            _code_block, [(b,) for b in blocks], est.classes_, distinct, given
        )
    )
    n_features = X.shape[1] - (position_column is not None)
    rows = DaskClickRows(blocks, row_chunks, n_features, est.n_positions_, passes)
    rows.summarize(randomized is not None)
    return rows


def predict_position_bias_dask(est, method, X, positions=None):
    """``est.<method>(X)`` per partition of the dask array ``X``, as a dask array."""
    check_is_fitted(est)
    if method == "predict_proba":
        return map_rows(est.predict_proba, X, n_columns=2, dtype=np.float64)
    if method == "predict":
        return map_rows(est.predict, X, n_columns=None, dtype=est.classes_.dtype)
    if method == "decision_function":
        return map_rows(est.decision_function, X, n_columns=None, dtype=np.float64)
    # predict_click_proba: the positions travel with X's row partitions
    X = as_row_blocks(X)
    if positions is None:
        return map_rows(est.predict_click_proba, X, n_columns=None, dtype=np.float64)
    positions = aligned(positions, X.chunks[0], "positions")
    return X.map_blocks(
        lambda Xb, pb: est.predict_click_proba(Xb, positions=pb[:, 0]),
        positions[:, None],
        dtype=np.float64,
        drop_axis=1,
        chunks=(X.chunks[0],),
        meta=np.empty((0,), dtype=np.float64),
    )
