"""DataFrames of pandas, polars and pyarrow, recognized without importing them."""

_FRAME_MODULES = frozenset({"pandas", "polars", "pyarrow"})


def is_dataframe(X):
    """Whether ``X`` is a 2-d pandas, polars or pyarrow table."""
    module = type(X).__module__.partition(".")[0]
    return (
        module in _FRAME_MODULES
        and hasattr(X, "shape")
        and getattr(X, "ndim", 2) == 2
        and len(X.shape) == 2
    )


def frame_columns(X):
    """The columns of a pandas, polars or pyarrow table (no copy), else None."""
    if not is_dataframe(X):
        return None
    if hasattr(X, "iloc"):
        return [X.iloc[:, j] for j in range(X.shape[1])]
    if hasattr(X, "to_series"):  # polars
        return [X.to_series(j) for j in range(X.shape[1])]
    if hasattr(X, "column"):  # pyarrow
        return [X.column(j) for j in range(X.shape[1])]
    return None
