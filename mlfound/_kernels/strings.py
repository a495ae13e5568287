"""Factorization of strings held in Arrow buffers, without Python objects.

An Arrow string column is three buffers: ``offsets`` (``n + 1`` int32 or
int64 positions, row ``i`` is ``data[offsets[i]:offsets[i + 1]]``), ``data``
(the UTF-8 bytes of all rows) and an optional validity bitmap (bit
``bit0 + i`` of ``valid`` is 0 where row ``i`` is null). The kernels here read
those buffers directly:

- ``_factorize_chunk`` gives every row the code of its string in
  first-appearance order, adding new strings to a table of uniques whose
  bytes are copied once into a buffer of their own (memory proportional to
  the distinct strings, not to the rows);
- ``_lookup_chunk`` gives every row the index of its string in a table
  built from known strings only (``-1`` if absent).

Strings are found through an open-addressing table keyed on a 64-bit hash
of their bytes; two strings are equal only when their bytes are (same hash,
same length, then a byte comparison): the result is exact, whatever the
collisions. A column in several chunks is processed chunk by chunk with the
table carried over (``state``), so chunks are never concatenated.

The kernels trust their buffers: the caller (``mlfound.utils._arrow_strings``)
checks offsets, lengths and bitmaps first.
"""

import numpy as np

from mlfound._kernels.prefetch import PREFETCH_MIN_BYTES, prefetch
from mlfound.utils._jit import njit

_NULL = -2  # code of a null row in ``_lookup_chunk``


@njit
def _hash_bytes(data, start, stop):
    # FNV-1a over the bytes, then a final avalanche (splitmix64's) so that
    # the high bits used by the table depend on every byte.
    h = np.uint64(0xCBF29CE484222325)
    prime = np.uint64(0x100000001B3)
    for k in range(start, stop):
        h = (h ^ np.uint64(data[k])) * prime
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@njit
def _same_bytes(data, start, stop, u_data, u_start, u_stop):
    if stop - start != u_stop - u_start:
        return False
    for k in range(stop - start):  # noqa: SIM110 (numba: no generators)
        if data[start + k] != u_data[u_start + k]:
            return False
    return True


@njit
def _is_valid(valid, bit):
    return (valid[bit >> 3] >> (bit & 7)) & 1


@njit
def _table_shift(size):
    """``64 - log2(size)``: the shift that maps a hash onto ``size`` slots."""
    bits = 0
    while (1 << bits) < size:
        bits += 1
    return np.uint64(64 - bits)


# A slot holds the low 32 bits of a string's hash and its code + 1 (0:
# empty) in one uint64, so that a probe reads one cache line and compares
# bytes only on a hash match. Rows are hashed ``_AHEAD`` rows in advance
# (kept in a ring) so that their slots can be prefetched on big tables.
_AHEAD = 32
_HIGH = np.uint64(0xFFFFFFFF00000000)
_LOW = np.uint64(0xFFFFFFFF)


@njit
def _tag(h):
    # The low 32 bits of the hash, where the slot index (its high bits)
    # says nothing about them.
    return h << np.uint64(32)


@njit
def _new_state(n_hint, bytes_hint):
    """Empty table sized for about ``n_hint`` distinct strings."""
    bits = 4
    while (1 << bits) < 2 * n_hint:
        bits += 1
    slots = np.zeros(1 << bits, dtype=np.uint64)
    hashes = np.empty(max(n_hint, 16), dtype=np.uint64)
    u_offsets = np.zeros(max(n_hint, 16) + 1, dtype=np.int64)
    u_data = np.empty(max(bytes_hint, 64), dtype=np.uint8)
    return slots, hashes, u_offsets, u_data, 0


@njit
def _insert_slot(slots, shift, h, code):
    mask = slots.shape[0] - 1
    slot = np.intp(h >> shift) & mask
    while slots[slot] != 0:
        slot = (slot + 1) & mask
    slots[slot] = _tag(h) | np.uint64(code + 1)


@njit
def _probe(slots, shift, h, data, start, stop, k_offsets, k_data):
    """Code of the bytes ``data[start:stop]`` (hash ``h``) in the table, or -1.

    Also returns the slot where the probe ended: the free slot a new string
    takes when it is not found. Tags select candidates; the bytes decide, so
    a hash collision never merges two strings.
    """
    mask = slots.shape[0] - 1
    high = _tag(h)
    slot = np.intp(h >> shift) & mask
    while True:
        entry = slots[slot]
        if entry == 0:
            return -1, slot
        if (entry & _HIGH) == high:
            v = np.intp(entry & _LOW) - 1
            if _same_bytes(data, start, stop, k_data, k_offsets[v], k_offsets[v + 1]):
                return v, slot
        slot = (slot + 1) & mask


@njit
def _row_hash(offsets, data, valid, bit0, has_valid, i):
    if has_valid and not _is_valid(valid, bit0 + i):
        return np.uint64(0), False
    return _hash_bytes(data, np.int64(offsets[i]), np.int64(offsets[i + 1])), True


@njit
def _factorize_chunk(offsets, data, valid, bit0, codes, row0, state):
    """Codes of the rows of one chunk in first-appearance order (-1: null).

    ``state`` is ``(slots, hashes, u_offsets, u_data, n_uniques)``, as made
    by ``_new_state``; the updated state is returned.
    """
    slots, hashes, u_offsets, u_data, n_uniques = state
    n = offsets.shape[0] - 1
    has_valid = valid.shape[0] > 0
    mask = slots.shape[0] - 1
    shift = _table_shift(slots.shape[0])
    ring = np.empty(_AHEAD, dtype=np.uint64)
    ring_ok = np.zeros(_AHEAD, dtype=np.bool_)
    for i in range(min(_AHEAD, n)):
        ring[i], ring_ok[i] = _row_hash(offsets, data, valid, bit0, has_valid, i)
    for i in range(n):
        r = i % _AHEAD
        h, ok = ring[r], ring_ok[r]
        if i + _AHEAD < n:
            ring[r], ring_ok[r] = _row_hash(
                offsets, data, valid, bit0, has_valid, i + _AHEAD
            )
            if slots.nbytes >= PREFETCH_MIN_BYTES:
                prefetch(slots, np.intp(ring[r] >> shift) & mask)
        if not ok:
            codes[row0 + i] = -1
            continue
        start = np.int64(offsets[i])
        stop = np.int64(offsets[i + 1])
        high = _tag(h)
        u, slot = _probe(slots, shift, h, data, start, stop, u_offsets, u_data)
        if u == -1:
            u = n_uniques
            if u == hashes.shape[0]:
                new_hashes = np.empty(2 * u, dtype=np.uint64)
                new_hashes[:u] = hashes
                hashes = new_hashes
                new_offsets = np.zeros(2 * u + 1, dtype=np.int64)
                new_offsets[: u + 1] = u_offsets[: u + 1]
                u_offsets = new_offsets
            end = u_offsets[u] + (stop - start)
            if end > u_data.shape[0]:
                new_data = np.empty(max(2 * u_data.shape[0], end), dtype=np.uint8)
                new_data[: u_offsets[u]] = u_data[: u_offsets[u]]
                u_data = new_data
            u_data[u_offsets[u] : end] = data[start:stop]
            u_offsets[u + 1] = end
            hashes[u] = h
            slots[slot] = high | np.uint64(u + 1)
            n_uniques += 1
            if 2 * n_uniques > slots.shape[0]:
                # Keep the load factor at most 1/2: double and reinsert.
                slots = np.zeros(2 * slots.shape[0], dtype=np.uint64)
                mask = slots.shape[0] - 1
                shift = _table_shift(slots.shape[0])
                for v in range(n_uniques):
                    _insert_slot(slots, shift, hashes[v], v)
        codes[row0 + i] = u
    return slots, hashes, u_offsets, u_data, n_uniques


@njit
def _build_lookup(offsets, data):
    """Table of known, distinct strings given as ``offsets``/``data``."""
    n = offsets.shape[0] - 1
    size = 16
    while size < 2 * n:
        size *= 2
    slots = np.zeros(size, dtype=np.uint64)
    shift = _table_shift(size)
    for u in range(n):
        _insert_slot(slots, shift, _hash_bytes(data, offsets[u], offsets[u + 1]), u)
    return slots


@njit
def _lookup_chunk(offsets, data, valid, bit0, codes, row0, slots, k_offsets, k_data):
    """Index of each row's string among the known ones (-1 unknown, -2 null)."""
    n = offsets.shape[0] - 1
    has_valid = valid.shape[0] > 0
    mask = slots.shape[0] - 1
    shift = _table_shift(slots.shape[0])
    ring = np.empty(_AHEAD, dtype=np.uint64)
    ring_ok = np.zeros(_AHEAD, dtype=np.bool_)
    for i in range(min(_AHEAD, n)):
        ring[i], ring_ok[i] = _row_hash(offsets, data, valid, bit0, has_valid, i)
    big = slots.nbytes >= PREFETCH_MIN_BYTES
    for i in range(n):
        r = i % _AHEAD
        h, ok = ring[r], ring_ok[r]
        if i + _AHEAD < n:
            ring[r], ring_ok[r] = _row_hash(
                offsets, data, valid, bit0, has_valid, i + _AHEAD
            )
            if big:
                prefetch(slots, np.intp(ring[r] >> shift) & mask)
        if not ok:
            codes[row0 + i] = _NULL
            continue
        start = np.int64(offsets[i])
        stop = np.int64(offsets[i + 1])
        code, _ = _probe(slots, shift, h, data, start, stop, k_offsets, k_data)
        codes[row0 + i] = code


@njit
def _offsets_ok(offsets, n_data):
    """Whether ``offsets`` start at >= 0, never decrease and end within data."""
    if offsets.shape[0] == 0 or offsets[0] < 0:
        return False
    for i in range(offsets.shape[0] - 1):
        if offsets[i + 1] < offsets[i]:
            return False
    return offsets[offsets.shape[0] - 1] <= n_data


@njit
def _map_codes(codes, mapping):
    """``codes`` through ``mapping`` in place (negative codes kept)."""
    for i in range(codes.shape[0]):
        c = codes[i]
        if c >= 0:
            codes[i] = mapping[c]
    return codes
