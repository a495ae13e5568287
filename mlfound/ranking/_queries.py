"""Validated query layout of ranking data: groups, relevance, weights, propensities.

Everything a ranking kernel reads passes through :func:`prepare_queries`:
group labels are factorised (any hashable labels; rows need not be contiguous
by group), the rows are sorted stably once by query and by decreasing
relevance within a query, and the query boundaries become ``offsets``.
"""

import numbers

import numpy as np

from mlfound._kernels.factorize import factorize
from mlfound.utils.validation import check_array_1d, check_probabilities

try:  # pandas is optional: it factorises object labels faster.
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None


def check_relevance(y, *, name="y", n_samples=None, reference="X"):
    """Finite, non-negative graded relevance (or 0/1 clicks) as float64."""
    y = check_array_1d(
        y, name=name, ensure_non_negative=True, n_samples=n_samples, reference=reference
    )
    return y.astype(np.float64)


def group_codes(groups, n_samples, *, reference="y"):
    """Query code (0..n_queries - 1) of each row, from any hashable labels.

    ``None`` puts every row in one query. Numeric labels must be finite;
    missing labels (None, NaN) are rejected.
    """
    if groups is None:
        return np.zeros(n_samples, dtype=np.int64)
    arr = check_array_1d(
        groups,
        name="groups",
        numeric=False,
        n_samples=n_samples,
        reference=reference,
    )
    if arr.dtype.kind in "biuf":
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise ValueError(
                "groups contains NaN or infinity: every row needs the label of "
                "its query. Drop those rows or give them a query id."
            )
        codes, _ = factorize(arr)
        return codes.astype(np.int64)
    if arr.dtype.kind in "US":
        arr = arr.astype(object)
    return _object_codes(arr)


def _object_codes(arr):
    values = arr.tolist()
    if any(_is_missing(v) for v in values):
        raise ValueError(
            "groups contains missing labels (None or NaN): every row needs the "
            "label of its query."
        )
    if pd is not None:
        try:
            codes, _ = pd.factorize(pd.Series(arr, dtype=object), sort=False)
            return np.asarray(codes, dtype=np.int64)
        except TypeError:
            pass  # unhashable labels: reported below
    table = {}
    codes = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        try:
            codes[i] = table.setdefault(v, len(table))
        except TypeError:
            raise TypeError(
                f"groups must hold hashable query labels (numbers, strings, "
                f"tuples), got {type(v).__name__} {v!r}."
            ) from None
    return codes


def _is_missing(v):
    return v is None or (isinstance(v, numbers.Real) and not np.isfinite(v))


def row_weights(sample_weight, n_samples):
    """Finite, non-negative sample weights as float64 (ones when ``None``)."""
    if sample_weight is None:
        return np.ones(n_samples)
    sw = check_array_1d(
        sample_weight,
        name="sample_weight",
        ensure_non_negative=True,
        n_samples=n_samples,
    )
    return sw.astype(np.float64)


def ips_factors(propensity, n_samples, clip):
    """``1 / max(propensity, clip)`` per row (ones when ``propensity`` is None)."""
    if propensity is None:
        return np.ones(n_samples)
    p = check_array_1d(
        propensity, name="propensity", ensure_finite=False, n_samples=n_samples
    )
    p = check_probabilities(p, name="propensity")
    if clip is not None:
        p = np.maximum(p, clip)
    return 1.0 / p


class QueryLayout:
    """Rows sorted by (query, decreasing relevance) and the query offsets.

    Attributes
    ----------
    order : ndarray of intp
        ``sorted_rows = rows[order]``.
    offsets : ndarray of int64 of shape (n_queries + 1,)
    y, row_weight, ips : ndarray of float64, in sorted order.
    """

    def __init__(self, y, codes, row_weight, ips):
        order = np.lexsort((-y, codes))  # stable: ties keep their row order
        counts = np.bincount(codes)
        self.order = order
        self.offsets = np.zeros(counts.shape[0] + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])
        self.n_queries = counts.shape[0]
        self.y = np.ascontiguousarray(y[order])
        self.row_weight = np.ascontiguousarray(row_weight[order])
        self.ips = np.ascontiguousarray(ips[order])

    def unsort(self, sorted_values):
        """Values in sorted order back in the input row order."""
        out = np.empty_like(sorted_values)
        out[self.order] = sorted_values
        return out


def prepare_queries(
    y, groups, sample_weight, propensity, *, clip=None, n_samples=None, reference="X"
):
    """Validate the ranking inputs and return their :class:`QueryLayout`."""
    y = check_relevance(y, n_samples=n_samples, reference=reference)
    n = y.shape[0]
    codes = group_codes(groups, n)
    row_weight = row_weights(sample_weight, n)
    ips = ips_factors(propensity, n, clip)
    return QueryLayout(y, codes, row_weight, ips)
