"""String and dictionary columns read from their Arrow buffers.

pandas ``string[pyarrow]``/``ArrowDtype`` columns, polars ``String``,
``Categorical`` and ``Enum`` series and pyarrow arrays hold strings as Arrow
buffers. This module hands those buffers to the Numba kernels of
:mod:`mlfound._kernels.strings` after checking them (offsets of 32 or 64
bits that start at zero or more, never decrease and stay within the data
buffer; a validity bitmap long enough for the rows), so no Python object is
made per row. A NumPy object array of strings is converted to one Arrow
array by pyarrow's C loop (the one pass of Python-level work over it);
dictionary columns (categoricals) are coded from their indices, only their
dictionary's strings are hashed.

Every function returns ``None`` where its input is not of its kind (or
pyarrow is not installed); the caller then takes the generic path.
"""

import numpy as np

from mlfound._kernels.factorize import _relabel
from mlfound._kernels.strings import (
    _NULL,
    _build_lookup,
    _factorize_chunk,
    _lookup_chunk,
    _map_codes,
    _new_state,
    _offsets_ok,
    _prefix_keys,
)

try:  # pyarrow is optional: without it strings go through pandas or Python.
    import pyarrow as pa
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover
    pa = pc = None

_EMPTY_BITMAP = np.empty(0, dtype=np.uint8)


def arrow_column(column):
    """``("strings", chunks)``, ``("dictionary", indices, dictionary)`` or None.

    For Arrow-backed columns (pandas, polars, pyarrow) only; NumPy object
    arrays go through :func:`object_strings`.
    """
    if pa is None:
        return None
    array = _as_arrow(column)
    if array is None:
        return None
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    kind = array.type
    if pa.types.is_dictionary(kind):
        if not _is_string_type(kind.value_type) or not pa.types.is_integer(
            kind.index_type
        ):
            return None
        if len(chunks) > 1:
            chunks = pa.chunked_array(chunks, type=kind).unify_dictionaries().chunks
        return _dictionary_parts(chunks, kind)
    if not _is_string_type(kind):
        return None
    return "strings", [_plain(c) for c in chunks]


def object_strings(values):
    """A 1-d object array of strings (None/NaN missing) as Arrow chunks, or None."""
    if pa is None or values.dtype != object or values.ndim != 1:
        return None
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None  # mixed types, bytes, lone surrogates: the generic path
    if not _is_string_type(array.type) and not (
        pa.types.is_null(array.type) and len(values)
    ):
        return None
    if pa.types.is_null(array.type):  # every value is missing
        array = pa.nulls(len(values), type=pa.large_string())
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    return [_plain(c) for c in chunks]


def factorize_strings(chunks):
    """Codes (-1: null) in the sorted distinct strings, and those strings."""
    n = sum(len(c) for c in chunks)
    codes = np.empty(n, dtype=np.int32)
    state = _new_state(min(n, 1 << 12), 0)
    row0 = 0
    for chunk in chunks:
        offsets, data, valid, bit0 = _checked_buffers(chunk)
        state = _factorize_chunk(offsets, data, valid, bit0, codes, row0, state)
        row0 += len(chunk)
    u_offsets, u_data, n_uniques = state[1:]
    uniques = pa.LargeStringArray.from_buffers(
        n_uniques,
        pa.py_buffer(u_offsets[: n_uniques + 1]),
        pa.py_buffer(u_data[: u_offsets[n_uniques]]),
    )
    uniques.validate(full=True)  # UTF-8 of the distinct strings
    # Sorted by their UTF-8 bytes, which is code point order: the order of
    # Python's str comparison (and of scikit-learn's categories).
    order = _byte_order(u_offsets[: n_uniques + 1], u_data)
    categories = uniques.take(order).to_numpy(zero_copy_only=False)
    return _relabel(codes, order), categories.astype(object, copy=False)


def _byte_order(u_offsets, u_data):
    """Order that sorts the strings ``u_offsets``/``u_data`` by their bytes.

    Byte order of UTF-8 is code point order: Python's ``str`` order, and
    Arrow's. The strings are sorted by keys of their first 7 bytes (and how
    many remain); the runs of equal keys (strings that share those bytes
    and go on) are sorted within themselves by the next 7 bytes, and so on,
    so a string is read about once per 7 bytes it shares with another.
    """
    keys = _prefix_keys(u_offsets, u_data, np.arange(len(u_offsets) - 1), 0)
    order = np.argsort(keys)
    keys = keys[order]
    positions = np.arange(len(order))  # the positions of order still tied
    runs = np.zeros(len(order), dtype=np.intp)
    depth = 0
    while True:
        same = (keys[1:] == keys[:-1]) & (runs[1:] == runs[:-1])
        if not same.any():
            return order
        tied = np.zeros(len(keys), dtype=bool)
        tied[1:] |= same
        tied[:-1] |= same
        new_runs = np.cumsum(np.concatenate(([True], ~same)))
        positions, runs = positions[tied], new_runs[tied]
        depth += 7
        keys = _prefix_keys(u_offsets, u_data, order[positions], depth)
        # Runs are in increasing order: sorting by (run, key) sorts each
        # run within itself and leaves it in place.
        within = np.lexsort((keys, runs))
        order[positions] = order[positions[within]]
        keys, runs = keys[within], runs[within]


def lookup_strings(chunks, known):
    """Index of each row's string in ``known`` (-1: absent) and the null mask.

    The hash table holds the known strings only. Returns None if ``known``
    are not all strings.
    """
    table_input = _known_strings(known)
    if table_input is None:
        return None
    k_offsets, k_data = table_input
    slots = _build_lookup(k_offsets, k_data)
    n = sum(len(c) for c in chunks)
    codes = np.empty(n, dtype=np.int32)
    row0 = 0
    for chunk in chunks:
        offsets, data, valid, bit0 = _checked_buffers(chunk)
        _lookup_chunk(offsets, data, valid, bit0, codes, row0, slots, k_offsets, k_data)
        row0 += len(chunk)
    missing = codes == _NULL
    if missing.any():
        codes[missing] = -1
        return codes, missing
    return codes, None


def factorize_dictionary(indices, dictionary):
    """Codes (-1: null) in the sorted observed strings of a dictionary column."""
    dict_codes, dict_categories = factorize_strings([_plain(dictionary)])
    used = np.zeros(len(dict_categories) + 1, dtype=bool)
    row_codes = np.append(dict_codes, -1)[indices]  # index -1: null row
    used[row_codes] = True  # slot -1 (the last) collects nulls
    used = used[:-1]
    new_code = np.full(len(dict_categories), -1, dtype=np.int32)
    new_code[used] = np.arange(int(used.sum()), dtype=np.int32)
    return _map_codes(row_codes, new_code), dict_categories[used]


def lookup_dictionary(indices, dictionary, known):
    """Index of each row in ``known`` (-1: absent or null) and the null mask."""
    found = lookup_strings([_plain(dictionary)], known)
    if found is None:
        return None
    dict_codes, dict_missing = found
    if dict_missing is not None:  # null dictionary entries count as missing
        dict_codes[dict_missing] = _NULL
    codes = np.append(dict_codes, _NULL)[indices]
    missing = codes == _NULL
    if missing.any():
        codes[missing] = -1
        return codes, missing
    return codes, None


def examples(parts, mask, k=5):
    """Up to ``k`` distinct values of an Arrow column's rows in ``mask``."""
    rows = np.flatnonzero(mask)[: max(k, 0) * 4]
    if parts[0] == "strings":
        values = pa.chunked_array(parts[1]).take(rows).to_pylist()
    else:
        values = parts[2].take(pa.array(parts[1][rows])).to_pylist()
    return sorted(set(values))[:k]


# ------------------------------------------------------------------ buffers


def _as_arrow(column):
    if isinstance(column, (pa.Array, pa.ChunkedArray)):
        return column
    module = type(column).__module__
    if module.startswith("polars"):
        import polars as pl

        if isinstance(column, pl.Series) and (
            column.dtype == pl.String
            or isinstance(column.dtype, pl.Categorical | pl.Enum)
        ):
            return column.to_arrow()
        return None
    if module.startswith("pandas") and hasattr(column, "dtype"):
        import pandas as pd

        dtype = column.dtype
        arrow_backed = (
            isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
        ) or isinstance(dtype, pd.ArrowDtype)
        if arrow_backed:
            return column.array.__arrow_array__()
    return None


def _is_string_view(kind):
    # String views exist from pyarrow 16; the declared floor (14) has none.
    is_view = getattr(pa.types, "is_string_view", None)
    return is_view is not None and is_view(kind)


def _is_string_type(kind):
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or _is_string_view(kind)
    )


def _plain(chunk):
    """A chunk with offset buffers (string views cast to large strings)."""
    if _is_string_view(chunk.type):
        return pc.cast(chunk, pa.large_string())
    return chunk


def _dictionary_parts(chunks, kind):
    dictionary = chunks[0].dictionary if chunks else pa.array([], pa.large_string())
    n_dict = len(dictionary)
    parts = []
    for chunk in chunks:
        idx = chunk.indices.to_numpy(zero_copy_only=False)
        if chunk.null_count:
            # Nulls become -1 (the slot after the dictionary's codes).
            valid = chunk.is_valid().to_numpy(zero_copy_only=False)
            idx = np.where(valid, idx, -1)
        parts.append(np.asarray(idx, dtype=np.int64))
    indices = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    if indices.size and (indices.min() < -1 or indices.max() >= n_dict):
        raise ValueError(
            f"A dictionary-encoded column has indices outside [0, {n_dict}): "
            f"the column is corrupt; rebuild it (e.g. cast it to strings)."
        )
    return "dictionary", indices, dictionary


def _checked_buffers(chunk):
    """``offsets``, ``data``, validity bitmap and its first bit, checked."""
    kind = chunk.type
    if pa.types.is_string(kind):
        offset_dtype = np.int32
    elif pa.types.is_large_string(kind):
        offset_dtype = np.int64
    else:  # pragma: no cover - callers pass string chunks only
        raise TypeError(f"Expected an Arrow string array, got {kind}.")
    n, start = len(chunk), chunk.offset
    validity, offsets_buffer, data_buffer = chunk.buffers()[:3]
    if offsets_buffer is None:
        if n:
            raise ValueError("An Arrow string array has rows but no offsets.")
        offsets = np.zeros(1, dtype=offset_dtype)
    else:
        offsets = np.frombuffer(offsets_buffer, dtype=offset_dtype)
        if offsets.shape[0] < start + n + 1:
            raise ValueError(
                f"An Arrow string array of {n} rows at offset {start} has only "
                f"{offsets.shape[0]} offsets; the array is corrupt."
            )
        offsets = offsets[start : start + n + 1]
    if data_buffer is None:
        data = np.empty(0, dtype=np.uint8)
    else:
        data = np.frombuffer(data_buffer, dtype=np.uint8)
    if not _offsets_ok(offsets, data.shape[0]):
        raise ValueError(
            "An Arrow string array has offsets that decrease, are negative or "
            "point past its data buffer; the array is corrupt."
        )
    if validity is None or chunk.null_count == 0:
        return offsets, data, _EMPTY_BITMAP, 0
    valid = np.frombuffer(validity, dtype=np.uint8)
    if 8 * valid.shape[0] < start + n:
        raise ValueError(
            f"An Arrow string array of {n} rows at offset {start} has a validity "
            f"bitmap of {valid.shape[0]} bytes; the array is corrupt."
        )
    return offsets, data, valid, start


def _known_strings(known):
    """Offsets and bytes of fitted categories, if they are all strings."""
    try:  # inferred, so that bytes or numbers never pass for strings
        array = pa.array(np.asarray(known, dtype=object))
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if isinstance(array, pa.ChunkedArray):  # over 2 GiB of category bytes
        array = pc.cast(array, pa.large_string()).combine_chunks()
    if len(known) and (not _is_string_type(array.type) or array.null_count):
        return None
    if not len(known):
        array = pa.array([], type=pa.large_string())
    offsets, data, _, _ = _checked_buffers(_plain(array))
    return offsets, data
