"""Factorization of numeric columns into sorted integer codes.

``factorize(values)`` returns the sorted unique values of a 1-d integer or
floating array (exactly ``np.unique(values)``, with NaN left out) and the code
of every row (its position in the uniques; ``-1`` for NaN), in O(n) time:

- integer columns whose range ``max - min`` is at most a few times the number
  of rows are factorized by direct addressing (one table of ``max - min + 1``
  slots; the uniques come out sorted for free);
- other columns go through an open-addressing hash table keyed on the 64-bit
  pattern of the value (``-0.0`` is folded into ``0.0``), followed by a sort of
  the (few) uniques and a relabelling of the codes.

``lookup(values, categories)`` maps values onto a known, sorted array of
categories (``-1`` for values that are not in it, and for NaN) the same way.

String and other object columns are not handled here (no object array reaches
a kernel); :mod:`mlfound.preprocessing` factorizes them with pandas' hash
table when pandas is installed.
"""

import numpy as np

from mlfound._kernels.prefetch import prefetch, prefetch_distance
from mlfound.utils._array_checks import native_byte_order
from mlfound.utils._jit import njit


@njit
def _hash_slot(key, shift):
    # Fibonacci hashing: the high bits of key * 2**64 / phi.
    return np.intp((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> shift)


@njit
def _new_table(bits):
    size = 1 << bits
    return np.empty(size, dtype=np.int64), np.full(size, -1, dtype=np.int32)


@njit
def _factorize_hash(keys, missing):
    """Codes in first-appearance order; ``missing`` rows (may be None) get -1."""
    n = keys.shape[0]
    bits = 10
    table_keys, table_codes = _new_table(bits)
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    uniques = np.empty(max(n, 1), dtype=np.int64)
    codes = np.empty(n, dtype=np.int32)
    n_uniques = 0
    for i in range(n):
        if missing is not None and missing[i]:
            codes[i] = -1
            continue
        key = keys[i]
        slot = _hash_slot(key, shift)
        while True:
            c = table_codes[slot]
            if c == -1:
                table_keys[slot] = key
                table_codes[slot] = n_uniques
                uniques[n_uniques] = key
                codes[i] = n_uniques
                n_uniques += 1
                break
            if table_keys[slot] == key:
                codes[i] = c
                break
            slot = (slot + 1) & mask
        if 2 * n_uniques > mask:
            # Keep the load factor at most 1/2: double the table and rehash.
            bits += 1
            table_keys, table_codes = _new_table(bits)
            shift = np.uint64(64 - bits)
            mask = (1 << bits) - 1
            for u in range(n_uniques):
                slot = _hash_slot(uniques[u], shift)
                while table_codes[slot] != -1:
                    slot = (slot + 1) & mask
                table_keys[slot] = uniques[u]
                table_codes[slot] = u
    return codes, uniques[:n_uniques]


@njit
def _relabel(codes, order):
    """Replace first-appearance codes by their rank in the sorted uniques."""
    rank = np.empty(order.shape[0], dtype=np.int32)
    for r in range(order.shape[0]):
        rank[order[r]] = r
    for i in range(codes.shape[0]):
        c = codes[i]
        if c >= 0:
            codes[i] = rank[c]
    return codes


@njit
def _factorize_dense(values, vmin, width):
    """Direct addressing for integers in ``[vmin, vmin + width)``."""
    seen = np.zeros(width, dtype=np.int32)
    n_samples = values.shape[0]
    ahead = prefetch_distance(seen)
    for i in range(n_samples):
        if ahead and i + ahead < n_samples:
            prefetch(seen, values[i + ahead] - vmin)
        seen[values[i] - vmin] = 1
    n_uniques = 0
    uniques = np.empty(width, dtype=values.dtype)
    for v in range(width):
        if seen[v]:
            seen[v] = n_uniques
            uniques[n_uniques] = v + vmin
            n_uniques += 1
    codes = np.empty(n_samples, dtype=np.int32)
    for i in range(n_samples):
        if ahead and i + ahead < n_samples:
            prefetch(seen, values[i + ahead] - vmin)
        codes[i] = seen[values[i] - vmin]
    return codes, uniques[:n_uniques]


@njit
def _build_table(keys):
    n = keys.shape[0]
    bits = 4
    while (1 << bits) < 2 * n:
        bits += 1
    table_keys, table_codes = _new_table(bits)
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    for u in range(n):
        slot = _hash_slot(keys[u], shift)
        while table_codes[slot] != -1:
            slot = (slot + 1) & mask
        table_keys[slot] = keys[u]
        table_codes[slot] = u
    return table_keys, table_codes, shift, mask


@njit
def _lookup_hash(keys, missing, categories):
    table_keys, table_codes, shift, mask = _build_table(categories)
    codes = np.empty(keys.shape[0], dtype=np.int32)
    for i in range(keys.shape[0]):
        if missing is not None and missing[i]:
            codes[i] = -1
            continue
        key = keys[i]
        slot = _hash_slot(key, shift)
        code = -1
        while True:
            c = table_codes[slot]
            if c == -1:
                break
            if table_keys[slot] == key:
                code = c
                break
            slot = (slot + 1) & mask
        codes[i] = code
    return codes


@njit
def _lookup_dense(values, categories, vmin, width):
    table = np.full(width, -1, dtype=np.int32)
    for u in range(categories.shape[0]):
        table[categories[u] - vmin] = u
    codes = np.empty(values.shape[0], dtype=np.int32)
    for i in range(values.shape[0]):
        offset = values[i] - vmin
        if offset < 0 or offset >= width:
            codes[i] = -1
        else:
            codes[i] = table[offset]
    return codes


def _float_keys(values):
    """64-bit keys of a float array (``-0.0 -> 0.0``) and its NaN mask."""
    values = np.asarray(values, dtype=np.float64) + 0.0
    missing = np.isnan(values)
    if missing.any():
        values[missing] = 0.0
    else:
        missing = None
    return values.view(np.int64), missing


_INT64_MAX = np.iinfo(np.int64).max


def _dense_width(vmin, vmax, n):
    width = int(vmax) - int(vmin) + 1
    return width if width <= max(4 * n, 1 << 16) else None


def factorize(values):
    """Sorted uniques and codes of a numeric 1-d array, in linear time.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
        Integer, boolean or floating values.

    Returns
    -------
    codes : ndarray of shape (n_samples,), int32
        Index of each value in ``uniques``; ``-1`` where the value is NaN.
    uniques : ndarray of shape (n_uniques,)
        The sorted distinct values (NaN excluded): ``uint64`` for ``uint64``
        input (values above ``2**63 - 1`` keep their value), ``int64`` for
        other integer and boolean input, ``float64`` for floats.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound._kernels.factorize import factorize
    >>> codes, uniques = factorize(np.array([30, 10, 30, 20]))
    >>> codes
    array([2, 0, 2, 1], dtype=int32)
    >>> uniques
    array([10, 20, 30])
    """
    values = native_byte_order(np.ascontiguousarray(values))
    if values.ndim != 1:
        raise ValueError(f"values must be 1-d, got shape {values.shape}.")
    if values.shape[0] == 0:
        empty = np.empty(0, np.float64 if values.dtype.kind == "f" else np.int64)
        return np.empty(0, dtype=np.int32), empty
    if values.dtype == np.uint64:
        # Compared as Python ints: NumPy < 2 compares uint64 with an int
        # through float64, where 2**63 - 1 rounds up to 2**63.
        if int(values.max()) > _INT64_MAX:
            # Values above 2**63 - 1 would wrap in int64: hash their 64-bit
            # pattern (a bijection) and sort the uniques as uint64.
            codes, keys = _factorize_hash(values.view(np.int64), None)
            uniques = keys.view(np.uint64)
            order = np.argsort(uniques, kind="stable")
            return _relabel(codes, order), uniques[order]
        codes, uniques = factorize(values.astype(np.int64))
        return codes, uniques.astype(np.uint64)
    if values.dtype.kind in "iub":
        values = values.astype(np.int64, copy=False)
        vmin, vmax = values.min(), values.max()
        width = _dense_width(vmin, vmax, values.shape[0])
        if width is not None:
            return _factorize_dense(values, vmin, width)
        codes, uniques = _factorize_hash(values, None)
        order = np.argsort(uniques, kind="stable")
        return _relabel(codes, order), uniques[order]
    if values.dtype.kind == "f":
        keys, missing = _float_keys(values)
        codes, unique_keys = _factorize_hash(keys, missing)
        uniques = unique_keys.view(np.float64)
        order = np.argsort(uniques, kind="stable")
        return _relabel(codes, order), uniques[order]
    raise TypeError(f"factorize handles numeric arrays only, got {values.dtype}.")


def lookup(values, categories):
    """Code of each value in a sorted array of distinct numeric ``categories``.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
        Integer, boolean or floating values.
    categories : ndarray of shape (n_categories,)
        Distinct numeric categories without NaN.

    Returns
    -------
    codes : ndarray of shape (n_samples,), int32
        Index of each value in ``categories``; ``-1`` where the value is not
        one of them or is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound._kernels.factorize import lookup
    >>> lookup(np.array([2.0, 5.0, np.nan, 1.0]), np.array([1.0, 2.0, 3.0]))
    array([ 1, -1, -1,  0], dtype=int32)
    """
    values = native_byte_order(np.ascontiguousarray(values))
    categories = native_byte_order(np.asarray(categories))
    if values.dtype.kind in "iub" and categories.dtype.kind in "iub":
        if categories.shape[0] == 0 or values.shape[0] == 0:
            return np.full(values.shape[0], -1, dtype=np.int32)
        # Mixed signed/uint64 input is compared on the 64-bit patterns (a
        # bijection on each side); the only false matches are a negative
        # value against a uint64 above 2**63 - 1, or the other way round.
        unmatched = _wrapping_values(values, categories)
        values = _as_int64_bits(values)
        categories = np.ascontiguousarray(_as_int64_bits(categories))
        vmin, vmax = categories.min(), categories.max()
        width = _dense_width(vmin, vmax, values.shape[0])
        if width is not None:
            codes = _lookup_dense(values, categories, vmin, width)
        else:
            codes = _lookup_hash(values, None, categories)
        if unmatched is not None:
            codes[unmatched] = -1
        return codes
    keys, missing = _float_keys(values)
    category_keys, _ = _float_keys(categories)
    return _lookup_hash(keys, missing, np.ascontiguousarray(category_keys))


def _as_int64_bits(values):
    """Integers as int64: a view of the bits for uint64, a cast otherwise."""
    if values.dtype == np.uint64:
        return values.view(np.int64)
    return values.astype(np.int64, copy=False)


def _wrapping_values(values, categories):
    """Mask of the values whose int64 bits could alias a different category."""
    big_values = values.dtype == np.uint64 and int(values.max()) > _INT64_MAX
    big_categories = (
        categories.dtype == np.uint64 and int(categories.max()) > _INT64_MAX
    )
    if big_categories and values.dtype.kind == "i":
        return values < 0  # a negative value equals no uint64 category
    if big_values and categories.dtype.kind == "i":
        return values > np.uint64(_INT64_MAX)  # no signed category is that large
    return None
