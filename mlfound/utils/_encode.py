"""Categorical coding: the values of a column as integer codes in its categories.

The layer every estimator with categorical input uses: checking user-given
categories, the sorted categories of a training column and the code of each
row (``fit_codes``), the codes of new rows in known categories
(``lookup_codes``), missing values, and the union of two category arrays for
``partial_fit`` (``merge_categories``).

Codes are positions in the sorted categories; a row without a category
(missing with ``handle_missing="value"``, unknown values) gets the code
``len(categories)``, so that a kernel can keep one extra slot for it.
"""

import numbers

import numpy as np

from mlfound._kernels.factorize import _relabel, factorize, lookup
from mlfound.utils._array_checks import native_byte_order
from mlfound.utils._arrow_strings import (
    arrow_column,
    examples,
    factorize_dictionary,
    factorize_strings,
    lookup_dictionary,
    lookup_strings,
    object_strings,
)

try:  # pandas is optional: it only speeds up string columns.
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None


def check_categories(categories, n_features):
    """Check user-given ``categories``: one sorted, distinct array per feature."""
    if isinstance(categories, str) and categories == "auto":
        return
    if len(categories) != n_features:
        raise ValueError(
            f"categories has {len(categories)} entries but X has "
            f"{n_features} features; give one array of categories "
            f"per feature."
        )
    for j, cats in enumerate(categories):
        cats = np.asarray(cats)
        if cats.ndim != 1:
            raise ValueError(f"categories[{j}] must be 1-d, got {cats.shape}.")
        if cats.dtype.kind in "iufb":
            finite = cats[~np.isnan(cats)] if cats.dtype.kind == "f" else cats
            if cats.dtype.kind == "f" and np.isnan(cats[:-1]).any():
                raise ValueError(
                    f"categories[{j}]: a missing value (NaN) must be last."
                )
            if np.any(finite[1:] <= finite[:-1]):
                raise ValueError(
                    f"categories[{j}] must be sorted and unique for numeric features."
                )
        else:
            # Codes are positions in the categories: a repeated value or
            # a missing one before the end would shift every later code.
            cats = cats.astype(object)
            missing = np.fromiter(map(_is_missing, cats), bool, len(cats))
            if missing[:-1].any():
                raise ValueError(
                    f"categories[{j}]: a missing value (None or NaN) must be "
                    f"last, and appear once."
                )
            known = cats[:-1] if missing[-1:].any() else cats
            n_distinct = len(pd.unique(known)) if pd is not None else len(set(known))
            if n_distinct != len(known):
                raise ValueError(
                    f"categories[{j}] holds repeated values; give each category once."
                )


def fit_codes(column, *, categories, handle_missing, handle_unknown, name):
    """Categories of a training column and the code of each row.

    ``categories`` is ``"auto"`` (the sorted distinct values of ``column``)
    or the user-given categories of this column. Rows without a category
    (missing with ``handle_missing="value"``, values outside user-given
    categories) get the code ``len(categories)``.
    """
    if not (isinstance(categories, str) and categories == "auto"):
        categories = native_byte_order(np.asarray(categories))
        if categories.dtype.kind in "US":
            categories = categories.astype(object)
        codes = lookup_codes(
            column,
            categories,
            handle_missing=handle_missing,
            handle_unknown=handle_unknown,
            name=name,
        )
        return categories, codes
    values, missing, kind, arrow = _column_parts(column)
    if arrow is not None:
        # Strings read from Arrow buffers, or a categorical coded from its
        # indices: no Python object per row.
        if arrow[0] == "strings":
            codes, categories = factorize_strings(arrow[1])
        else:
            codes, categories = factorize_dictionary(arrow[1], arrow[2])
        missing = codes < 0
        missing = missing if missing.any() else None
    elif kind == "categorical":
        codes, categories = _factorize_categorical(column)
    elif kind == "numeric":
        codes, categories = factorize(values)
    else:
        codes, categories, missing = _factorize_object(values, name)
    if missing is not None and handle_missing == "error":
        _raise_missing(name)
    n_cat = len(categories)
    if missing is not None:  # only missing values get a negative code
        codes[codes < 0] = n_cat
    if missing is not None and handle_missing == "category":
        fill = _missing_value(values, missing) if kind == "object" else np.nan
        categories = _append_missing(categories, fill)
    return categories, codes


def lookup_codes(column, categories, *, handle_missing, handle_unknown, name):
    """Codes of a column in known categories (``len(categories)`` = none)."""
    n_cat = len(categories)
    has_missing_category = n_cat > 0 and _is_missing(categories[-1])
    known = categories[:-1] if has_missing_category else categories
    values, missing, kind, arrow = _column_parts(column)
    found = None
    if arrow is not None:
        # The hash table holds the fitted categories only.
        if arrow[0] == "strings":
            found = lookup_strings(arrow[1], known)
        else:
            found = lookup_dictionary(arrow[1], arrow[2], known)
        if found is None and values is None:  # not string categories
            values, missing, kind = _column_values(_as_objects(column))
    if found is not None:
        codes, missing = found
    elif kind == "categorical":
        cats = np.asarray(column.cat.categories)
        mapping = np.append(_lookup_object(cats, known)[0], -1).astype(np.int32)
        codes = mapping[column.cat.codes.to_numpy()]
    elif kind == "numeric" and known.dtype.kind in "iufb":
        codes = lookup(values, known)
    else:
        if kind == "numeric":
            values = values.astype(object)
        codes, object_missing = _lookup_object(values, known)
        if kind == "object":
            missing = object_missing
    if missing is not None:
        if handle_missing == "error":
            _raise_missing(name)
        if has_missing_category:
            codes[missing] = n_cat - 1
    unknown = codes < 0
    if missing is not None:
        unknown &= ~missing
    if handle_unknown == "error" and unknown.any():
        if found is not None:
            shown = examples(arrow, unknown)
        else:
            shown = np.unique(np.asarray(values, dtype=object)[unknown][:5]).tolist()
        raise ValueError(
            f"Found unknown categories {shown!r} in feature "
            f"{name!r}. Set handle_unknown='value' to encode "
            f"them with the prior (target_mean_), or add them to categories."
        )
    codes[codes < 0] = n_cat
    return codes


def _is_missing(value):
    return value is None or (isinstance(value, numbers.Real) and value != value)


def _raise_missing(name):
    raise ValueError(
        f"Feature {name!r} contains missing values (NaN or "
        f"None) and handle_missing='error'. Impute them, or set "
        f"handle_missing='category' (missing is its own category) or 'value' "
        f"(encoded with the prior)."
    )


def _column_values(column):
    """Values of a column as an ndarray, its missing mask and its kind."""
    if pd is not None and isinstance(column, pd.Series):
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            missing = codes < 0
            return column, (missing if missing.any() else None), "categorical"
        if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
            column = column.to_numpy()
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
            dtype
        ):
            column = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            column = column.to_numpy(dtype=object)
    values = np.asarray(column)
    if values.dtype.kind in "iub":
        return values, None, "numeric"
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        return values, (missing if missing.any() else None), "numeric"
    if values.dtype.kind != "O":
        values = values.astype(object)
    # Missing values of object columns come out of their factorization.
    return values, None, "object"


def _column_parts(column):
    """Values, missing mask and kind of a column, and its Arrow form if any.

    Arrow-backed columns (pandas, polars, pyarrow) are not materialized
    (``values`` is None); object arrays of strings and categoricals with
    string categories also get an Arrow form.
    """
    arrow = arrow_column(column)
    if arrow is not None:
        return None, None, "arrow", arrow
    values, missing, kind = _column_values(column)
    if kind == "object":
        chunks = object_strings(values)
        if chunks is not None:
            arrow = ("strings", chunks)
    elif kind == "categorical":
        dictionary = object_strings(np.asarray(column.cat.categories, dtype=object))
        if dictionary is not None and len(dictionary) == 1:
            codes = column.cat.codes.to_numpy().astype(np.int64)
            arrow = ("dictionary", codes, dictionary[0])
    return values, missing, kind, arrow


def _as_objects(column):
    """An Arrow-backed column as a NumPy object array (the generic path)."""
    if hasattr(column, "to_numpy") and type(column).__module__.startswith("pandas"):
        return column.to_numpy(dtype=object)
    if hasattr(column, "to_pylist"):  # pyarrow
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)
    return np.asarray(column.to_numpy(), dtype=object)  # polars


def _missing_value(values, missing):
    """The missing-value category: None if only None is missing, else NaN."""
    if values is not None and all(v is None for v in values[missing]):
        return None
    return np.nan


def _mixed_types_error(name, kind=""):
    detail = f" ({kind})" if kind else ""
    return TypeError(
        f"Feature {name!r} holds values of mixed types{detail}: each argument must "
        f"be a string or a number, of one type per feature. Convert the column "
        f"with .astype(str)."
    )


def _hash_factorize(values):
    """Codes in first-appearance order (-1 for missing) and the uniques."""
    if pd is not None:
        codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
        return codes.astype(np.int32), np.asarray(uniques, dtype=object)
    index = {}
    codes = np.empty(len(values), dtype=np.int32)
    for i, v in enumerate(values):
        codes[i] = -1 if _is_missing(v) else index.setdefault(v, len(index))
    return codes, np.array(list(index), dtype=object)


def _factorize_object(values, name):
    """Sorted categories of an object column, codes and missing mask."""
    try:
        codes, uniques = _hash_factorize(values)
    except TypeError as exc:  # unhashable values (lists, dicts)
        raise _mixed_types_error(name, "unhashable") from exc
    if pd is not None:
        kind = pd.api.types.infer_dtype(uniques, skipna=True)
        if kind.startswith("mixed") and kind != "mixed-integer-float":
            raise _mixed_types_error(name, kind)
    try:
        if (
            len(uniques)
            and all(isinstance(u, str) for u in uniques[:1000])
            and (pd is None or kind == "string")
        ):
            # numpy's fixed-width string sort compares code points like
            # Python's str ordering, without one Python call per comparison.
            order = np.argsort(uniques.astype(str), kind="stable")
        else:
            order = np.argsort(uniques, kind="stable")
    except TypeError as exc:
        raise _mixed_types_error(name) from exc
    codes = _relabel(codes, order)
    missing = codes < 0
    return codes, uniques[order], (missing if missing.any() else None)


def _lookup_object(values, categories):
    """Codes of object values in ``categories`` (-1 if absent) and missing mask."""
    n_categories = len(categories)
    if pd is not None:
        # Factorizing the categories followed by the values gives category i
        # the code i (categories are distinct and come first): one hash pass,
        # no Python-level mapping.
        both = np.concatenate(
            [np.asarray(categories, dtype=object), np.asarray(values, dtype=object)]
        )
        codes = pd.factorize(both, sort=False, use_na_sentinel=True)[0]
        codes = codes[n_categories:].astype(np.int32)
        missing = codes < 0
        codes[codes >= n_categories] = -1
        return codes, (missing if missing.any() else None)
    codes, uniques = _hash_factorize(values)
    index = {v: i for i, v in enumerate(categories.tolist())}
    mapping = np.fromiter(
        (index.get(v, -1) for v in uniques.tolist()), np.int32, len(uniques)
    )
    missing = codes < 0
    return np.append(mapping, -1)[codes], (missing if missing.any() else None)


def _factorize_categorical(column):
    """Codes of a pandas categorical column in its sorted observed categories."""
    raw = column.cat.codes.to_numpy()
    cats = np.asarray(column.cat.categories)
    used = np.flatnonzero(np.bincount(raw[raw >= 0], minlength=len(cats)))
    observed = cats[used]
    order = np.argsort(observed, kind="stable")
    mapping = np.full(len(cats) + 1, -1, dtype=np.int32)
    mapping[used[order]] = np.arange(len(used), dtype=np.int32)
    categories = observed[order]
    if categories.dtype.kind not in "iuf":
        categories = categories.astype(object)
    return mapping[raw], categories


def _category_kind(categories):
    """ "numeric", "string" or another pandas inferred kind of the categories."""
    known = (
        categories[:-1]
        if len(categories) and _is_missing(categories[-1])
        else (categories)
    )
    if len(known) == 0:
        return None
    if known.dtype.kind in "iufb":
        return "numeric"
    if pd is not None:
        kind = pd.api.types.infer_dtype(known, skipna=True)
    else:  # pragma: no cover
        first = known[0]
        kind = "string" if isinstance(first, str) else type(first).__name__
    if kind in ("integer", "floating", "mixed-integer-float", "boolean", "decimal"):
        return "numeric"
    return kind


def check_same_category_kind(old, new, name):
    """Raise if a ``partial_fit`` batch's categories differ in type from fitted."""
    old_kind, new_kind = _category_kind(old), _category_kind(new)
    if old_kind is None or new_kind is None or old_kind == new_kind:
        return
    raise TypeError(
        f"Feature {name!r} of X holds {new_kind} values in this partial_fit "
        f"batch, but the encoder was fitted on {old_kind} categories "
        f"(categories_ = {old[:3].tolist()!r}...). The categories' type must "
        f"match what was fitted: convert the column the same way in every "
        f"batch (e.g. .astype(str))."
    )


def merge_categories(old, new):
    """Sorted union of two category arrays and where each old/new one goes."""
    old_missing = len(old) > 0 and _is_missing(old[-1])
    new_missing = len(new) > 0 and _is_missing(new[-1])
    old_known = old[:-1] if old_missing else old
    new_known = new[:-1] if new_missing else new
    if old_known.dtype.kind in "iu" and new_known.dtype.kind in "iu":
        old_known, new_known = _common_integers(old_known, new_known)
    if old_known.dtype.kind in "iuf" and new_known.dtype.kind in "iuf":
        union = np.union1d(old_known, new_known)
        old_index = np.searchsorted(union, old_known)
        new_index = np.searchsorted(union, new_known)
    else:
        union = np.array(sorted(set(old_known) | set(new_known)), dtype=object)
        old_index = _lookup_object(old_known, union)[0]
        new_index = _lookup_object(new_known, union)[0]
    if old_missing or new_missing:
        union = _append_missing(union, old[-1] if old_missing else new[-1])
        if old_missing:
            old_index = np.append(old_index, len(union) - 1)
        if new_missing:
            new_index = np.append(new_index, len(union) - 1)
    return union, old_index, new_index


def _common_integers(a, b):
    """Two integer arrays in one dtype that holds both exactly.

    ``np.union1d`` of uint64 and int64 would go through float64 and lose
    every value above 2**53; values that need both signs and more than 63
    bits become Python ints (an object array).
    """
    if a.dtype == b.dtype or np.uint64 not in (a.dtype, b.dtype):
        return a, b
    signed = a if a.dtype != np.uint64 else b
    unsigned = b if signed is a else a
    if len(unsigned) == 0 or int(unsigned.max()) <= np.iinfo(np.int64).max:
        dtype = np.int64
    elif len(signed) == 0 or signed.min() >= 0:
        dtype = np.uint64
    else:
        dtype = object
    return a.astype(dtype), b.astype(dtype)


def _append_missing(categories, fill):
    """Categories followed by the missing-value category ``fill``."""
    if categories.dtype.kind == "f" and fill is not None:
        return np.append(categories, np.nan)
    return np.append(categories.astype(object), np.array([fill], dtype=object))
