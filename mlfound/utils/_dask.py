"""Dask collections in mlfound: detection, per-partition maps, summed statistics.

Every mlfound fit that supports Dask is a short sequence of passes whose
statistics add up over rows. A pass maps a function over the row partitions
of the data on the workers and brings back one small result per partition
(a gradient, a table of sums); the client adds them up in partition order,
so a pass costs one round trip to the scheduler and its result does not
depend on where the partitions live. Predictions map the fitted estimator
over the partitions and stay a Dask collection.

Nothing here imports dask unless a dask collection was passed: a dask object
cannot exist before dask is imported, so :func:`is_dask_collection` looks at
``sys.modules`` first and mlfound keeps dask an optional dependency.

Choices:

- Dask arrays: 2-D ``X`` (row partitions, one chunk along the columns;
  other column chunkings are merged per row block, which moves no row
  between workers) and 1-D ``y``, ``sample_weight``. Targets and weights are
  rechunked to ``X``'s row partitions.
- Dask DataFrames: ``X`` a dask DataFrame and ``y``, ``sample_weight`` dask
  Series partitioned like it; the partitions reach the worker functions as
  pandas objects and their lengths are never computed
  (:mod:`mlfound.utils._dask_frames`). Estimators without a DataFrame path
  refuse one through :func:`as_row_blocks`.
- Each partition is validated on its worker by the same checks as in-memory
  input (dtype, finiteness, lengths, codes in range) before any kernel sees
  it; a failure there is raised on the client as the same exception.
- Validated partitions are persisted for the duration of a fit, so the
  passes of an iterative solver read worker memory instead of recomputing
  the collection's graph every time.
"""

import sys

import numpy as np

DASK_INSTALL = "pip install 'mlfound[dask]' (dask and distributed)"


def is_dask_collection(obj):
    """Whether ``obj`` is a dask collection (False when dask was never imported)."""
    if "dask" not in sys.modules:
        return False
    import dask

    return dask.is_dask_collection(obj)


def any_dask(*objs):
    """Whether any of ``objs`` is a dask collection."""
    return any(is_dask_collection(obj) for obj in objs)


def refuse_dask(what, *objs):
    """Raise a TypeError naming the fix when any of ``objs`` is a dask collection.

    Used where a dask collection would otherwise be converted to NumPy on the
    client, silently gathering the whole collection there.
    """
    if any_dask(*objs):
        raise TypeError(
            f"{what} does not support dask collections: it would gather all "
            f"partitions on the client. Compute the collection first "
            f"(X.compute()) if it fits in memory, or see the 'Scaling out' "
            f"page of the user guide for the estimators that fit on a cluster."
        )


def _dask_array():
    try:
        import dask.array as da
    except ImportError as exc:  # pragma: no cover - dask objects imply dask
        raise ImportError(f"Dask support needs dask: {DASK_INSTALL}.") from exc
    return da


def as_row_blocks(X, name="X", ndim=2):
    """``X`` as a dask array of ``ndim`` dims with one chunk along the columns."""
    da = _dask_array()
    if not isinstance(X, da.Array):
        raise TypeError(
            f"{name} is a {type(X).__name__}; mlfound accepts dask arrays. "
            f"Convert a dask DataFrame with {name}.to_dask_array(lengths=True) "
            f"(and a Series likewise), which keeps the partitions on the workers."
        )
    if X.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D dask array, got {X.ndim} dimension(s)."
        )
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(
            f"{name} has unknown partition lengths; call "
            f"{name}.compute_chunk_sizes() (or to_dask_array(lengths=True))."
        )
    if ndim == 2 and len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def aligned(v, row_chunks, name):
    """1-D ``v`` (dask or NumPy, or None) as a dask array on ``row_chunks``."""
    if v is None:
        return None
    da = _dask_array()
    n = sum(row_chunks)
    if not isinstance(v, da.Array):
        v = np.asarray(v)
        if v.ndim != 1 or v.shape[0] != n:
            raise ValueError(
                f"{name} must be 1-D with one value per row of X ({n}), got "
                f"shape {v.shape}."
            )
        return da.from_array(v, chunks=(row_chunks,))
    v = as_row_blocks(v, name, ndim=1)
    if v.shape[0] != n:
        raise ValueError(
            f"{name} has {v.shape[0]} rows but X has {n}: pass one value per row."
        )
    if v.chunks[0] != tuple(row_chunks):
        v = v.rechunk((row_chunks,))
    return v


def delayed_blocks(*arrays):
    """Per-partition delayed tuples ``(block_of_a, block_of_b, ...)``; None stays."""
    from mlfound.utils._dask_frames import frame_blocks, is_dask_frame

    if arrays and is_dask_frame(arrays[0]):  # partitions checked to align
        return frame_blocks(*arrays)
    lists = []
    n_blocks = 0
    for a in arrays:
        if a is None:
            lists.append(None)
            continue
        blocks = a.to_delayed().ravel().tolist()
        n_blocks = len(blocks)
        lists.append(blocks)
    return [tuple(None if b is None else b[i] for b in lists) for i in range(n_blocks)]


def map_blocks_delayed(func, blocks, *args):
    """``func(*block, *args)`` per partition, as delayed objects (not computed)."""
    from dask import delayed

    f = delayed(func, pure=False)
    return [f(*block, *args) for block in blocks]


def compute_all(tasks):
    """Compute a list of delayed objects; their (small) results in order."""
    import dask

    return list(dask.compute(*tasks))


def persist_all(tasks):
    """Persist delayed objects (on the cluster when a client is active)."""
    import dask

    return list(dask.persist(*tasks))


def sum_in_order(results):
    """Sum per-partition results (arrays, floats or tuples of them) in order."""
    first = results[0]
    if isinstance(first, tuple):
        return tuple(sum_in_order([r[i] for r in results]) for i in range(len(first)))
    total = np.array(first, dtype=np.float64, copy=True)
    for r in results[1:]:
        total += r
    return total


def map_rows(func, X, *, n_columns, dtype):
    """``func`` applied to every row partition of the dask array ``X``.

    Parameters
    ----------
    func : callable
        NumPy rows in, one output row per input row.
    X : dask array or dask DataFrame of shape (n_samples, n_features)
    n_columns : int or None
        Number of output columns, or None for a 1-D output.
    dtype : dtype
        Output dtype.

    Returns
    -------
    out : dask array of shape (n_samples,) or (n_samples, n_columns)
        Computed lazily, per partition, on the workers (of unknown partition
        lengths for a DataFrame ``X``).
    """
    from mlfound.utils._dask_frames import frame_map_rows, is_dask_frame

    if is_dask_frame(X):  # pandas partitions, lengths unknown
        est = getattr(func, "__self__", None)  # checks the columns' names
        return frame_map_rows(func, X, n_columns=n_columns, dtype=dtype, est=est)
    X = as_row_blocks(X)
    func = _EmptySafe(func, n_columns, dtype)
    if n_columns is None:
        meta = np.empty((0,), dtype=dtype)
        return X.map_blocks(
            func, dtype=dtype, drop_axis=1, chunks=(X.chunks[0],), meta=meta
        )
    meta = np.empty((0, 0), dtype=dtype)
    return X.map_blocks(
        func, dtype=dtype, chunks=(X.chunks[0], (n_columns,)), meta=meta
    )


class _EmptySafe:
    """``func`` on a row partition; an empty partition gives an empty output.

    Estimators refuse zero rows (scikit-learn's ``ensure_min_samples``), but a
    dask array may hold empty partitions (after filtering, or uneven chunks).
    """

    def __init__(self, func, n_columns, dtype):
        self.func, self.n_columns, self.dtype = func, n_columns, dtype

    def __call__(self, block, *args):
        if block.shape[0] == 0:
            shape = (0,) if self.n_columns is None else (0, self.n_columns)
            return np.empty(shape, dtype=self.dtype)
        return self.func(block, *args)
