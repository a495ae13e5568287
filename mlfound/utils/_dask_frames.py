"""Dask DataFrames in mlfound: checked inputs, aligned partitions, outputs.

A dask DataFrame is a sequence of pandas DataFrames (its partitions) whose
lengths are usually unknown until they are computed. mlfound never asks for
them (``to_dask_array(lengths=True)`` would cost a pass): a fit hands every
partition, as a pandas DataFrame, to the same worker functions as the
in-memory code, and a prediction maps the fitted estimator over the
partitions.

Choices:

- ``X`` is a dask DataFrame; ``y`` and ``sample_weight`` are dask Series
  partitioned like it (the same number of partitions, the same divisions
  when both are known), typically columns of the same frame. Anything else
  beside a dask DataFrame is refused with the fix: splitting a NumPy ``y``
  along partitions of unknown length would cost a pass. Each partition of
  ``y`` (and ``sample_weight``) is checked on its worker to have the index of
  the matching partition of ``X``, in the task that hands it on, so a
  misaligned target is an error and never a silent shift of labels.
- ``n_features_in_`` and ``feature_names_in_`` come from the frame's columns
  (its metadata, an empty pandas DataFrame) exactly as for pandas input, and
  predictions check them on the client before building the graph.
- Numeric estimators check the column dtypes from the metadata, before any
  pass: object, string and categorical columns are refused with the fix.
- Predictions (``predict``, ``predict_proba``, ...) are dask arrays, as
  scikit-learn's are NumPy arrays; their partition lengths are unknown
  (``nan``), as the frame's are. ``transform`` returns a dask DataFrame with
  the columns of ``get_feature_names_out()`` and the index and divisions of
  ``X``, so it can be joined back or fed to the next step of a pipeline;
  ``set_output`` configures in-memory outputs only (see
  :func:`keep_dask_outputs`).
"""

import functools
import sys

import numpy as np
from sklearn.utils.validation import check_array, validate_data

from mlfound.utils._dask import aligned, as_row_blocks, is_dask_collection


def is_dask_frame(obj):
    """Whether ``obj`` is a dask DataFrame or Series (False when never imported)."""
    if "dask.dataframe" not in sys.modules or not is_dask_collection(obj):
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame | dd.Series)


def fit_inputs(est, X, y, sample_weight, *, numeric):
    """Checked ``(X, y, sample_weight)`` of a fit on dask collections.

    Sets ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame, as
    for pandas input). Dask arrays come back with one chunk along the columns
    and ``y``, ``sample_weight`` on ``X``'s row chunks; a dask DataFrame comes
    back as it is, with ``y`` and ``sample_weight`` checked to be partitioned
    like it. ``numeric`` refuses non-numeric columns of a DataFrame.
    """
    est.__dict__.pop("feature_names_in_", None)
    if not is_dask_frame(X):
        X = as_row_blocks(X)
        rows = X.chunks[0]
        y = aligned(y, rows, "y")
        sample_weight = aligned(sample_weight, rows, "sample_weight")
        est.n_features_in_ = X.shape[1]
        return X, y, sample_weight
    import dask.dataframe as dd

    if not isinstance(X, dd.DataFrame):
        raise TypeError(
            "X is a dask Series; pass a dask DataFrame (X.to_frame()) with "
            "one column per feature."
        )
    if numeric:
        check_numeric_columns(est, X)
    validate_data(est, X=X._meta, reset=True, skip_check_array=True)
    y = _partner(X, y, "y")
    sample_weight = _partner(X, sample_weight, "sample_weight")
    return X, y, sample_weight


def check_numeric_columns(est, X):
    """Raise a TypeError naming the non-numeric columns of the dask frame ``X``."""
    import pandas as pd

    bad = [
        f"{name!r} ({dtype})"
        for name, dtype in X.dtypes.items()
        if not pd.api.types.is_numeric_dtype(dtype)
    ]
    if bad:
        raise TypeError(
            f"{type(est).__name__} needs numeric columns, but the dask DataFrame "
            f"X has the non-numeric column(s) {', '.join(bad)}. Encode them first "
            f"(mlfound.preprocessing.TargetEncoder fits on a dask DataFrame of "
            f"categorical columns, e.g. in a Pipeline) or convert them with "
            f"X.astype({{column: 'float64'}})."
        )


def frame_dtype(X, dtypes):
    """The dtype the in-memory fit would convert pandas ``X`` to (``dtypes`` list)."""
    return check_array(X._meta, dtype=dtypes, ensure_min_samples=0).dtype


def _partner(X, v, name):
    """``v`` (a dask Series or None) checked to be partitioned like ``X``."""
    if v is None:
        return None
    import dask.dataframe as dd

    if isinstance(v, dd.DataFrame) and len(v.columns) == 1:
        v = v[v.columns[0]]
    if not isinstance(v, dd.Series):
        raise TypeError(
            f"X is a dask DataFrame and {name} is a {type(v).__name__}: pass "
            f"{name} as a dask Series partitioned like X, e.g. a column of the "
            f"same frame (X = df[features]; {name} = df['{name}']). Splitting "
            f"an in-memory {name} along X's partitions would need their "
            f"lengths, which costs a pass over X."
        )
    if v.npartitions != X.npartitions:
        raise ValueError(
            f"X has {X.npartitions} partitions and {name} {v.npartitions}: "
            f"they must be partitioned alike, row for row. Take both from one "
            f"dask DataFrame, or repartition {name} with "
            f"{name}.repartition(divisions=X.divisions) when both have known "
            f"divisions."
        )
    if X.known_divisions and v.known_divisions and X.divisions != v.divisions:
        raise ValueError(
            f"X and {name} have different divisions ({X.divisions[:3]}... and "
            f"{v.divisions[:3]}...): their partitions do not hold the same "
            f"rows. Take both from one dask DataFrame, or align them with "
            f"{name}.repartition(divisions=X.divisions)."
        )
    return v


def _aligned_partition(X, index, *others):
    """Partition ``index`` of ``X``, after checking ``others`` share its index."""
    for name, part in others:
        if part is not None and not part.index.equals(X.index):
            raise ValueError(
                f"Partition {index} of {name} does not have the index of "
                f"partition {index} of X ({len(part)} and {len(X)} rows): {name} "
                f"is not aligned with X row for row. Take both from one dask "
                f"DataFrame (X = df[features]; {name} = df['{name}'])."
            )
    return X


def frame_blocks(X, *others, names=("y", "sample_weight", "folds")):
    """Per-partition delayed tuples ``(X_part, other_part, ...)``; None stays.

    The partition of ``X`` is handed on by a task that first checks that
    the partitions of ``others`` have its index, so every function mapped
    over the blocks sees aligned rows.
    """
    from dask import delayed

    x_parts = X.to_delayed()
    lists = [None if v is None else v.to_delayed() for v in others]
    check = delayed(_aligned_partition, pure=True)
    blocks = []
    for b, x in enumerate(x_parts):
        parts = [None if p is None else p[b] for p in lists]
        pairs = [(names[k], p) for k, p in enumerate(parts) if p is not None]
        blocks.append((check(x, b, *pairs) if pairs else x, *parts))
    return blocks


def _rows(part, func, n_columns, dtype):
    """``func(part)`` as an array (an empty partition maps to no rows)."""
    if len(part) == 0:
        return np.empty((0,) if n_columns is None else (0, n_columns), dtype=dtype)
    return np.asarray(func(part))


def frame_map_rows(func, X, *, n_columns, dtype, est=None):
    """``func`` over the pandas partitions of ``X``: a dask array (unknown lengths).

    ``est`` (the fitted estimator) checks the frame's columns against its
    ``feature_names_in_`` on the client first.
    """
    if est is not None:
        validate_data(est, X=X._meta, reset=False, skip_check_array=True)
    shape = (0,) if n_columns is None else (0, n_columns)
    return X.map_partitions(
        _rows, func, n_columns, dtype, meta=np.empty(shape, dtype=dtype)
    )


def _transform_part(part, func, columns):
    import pandas as pd

    if len(part) == 0:
        data = np.empty((0, len(columns)))
    else:
        data = np.asarray(func(part), dtype=np.float64)
    return pd.DataFrame(data, index=part.index, columns=columns)


def frame_transform(est, X):
    """``est.transform`` over the partitions of ``X``: a dask DataFrame.

    Columns ``est.get_feature_names_out()``, float64; the index and divisions
    of ``X``.
    """
    import pandas as pd

    validate_data(est, X=X._meta, reset=False, skip_check_array=True)
    columns = list(est.get_feature_names_out())
    meta = pd.DataFrame(
        np.empty((0, len(columns))), index=X._meta.index, columns=columns
    )
    return X.map_partitions(_transform_part, est.transform, columns, meta=meta)


def keep_dask_outputs(cls, *methods):
    """Let ``methods`` of ``cls`` return dask collections past ``set_output``.

    scikit-learn wraps ``transform`` and ``fit_transform`` so that their
    output becomes the container ``set_output`` asks for, and makes a pandas
    DataFrame of anything else, which would compute a dask collection on the
    client. On dask input the wrapped methods here call the method itself;
    the output follows the input (dask DataFrame in, dask DataFrame out).
    """
    for name in methods:
        wrapped = getattr(cls, name)
        method = getattr(wrapped, "__wrapped__", None)
        if method is None:  # not wrapped by set_output
            continue

        def dispatch(self, X, *args, _wrapped=wrapped, _method=method, **kwargs):
            if is_dask_collection(X):
                return _method(self, X, *args, **kwargs)
            return _wrapped(self, X, *args, **kwargs)

        setattr(cls, name, functools.wraps(wrapped)(dispatch))
    return cls
