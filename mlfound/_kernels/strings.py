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
  built from known strings only (``-1`` if absent);
- ``_prefix_keys`` gives distinct strings fixed-width keys that sort them
  by their bytes (the order of Python's ``str`` comparison), 7 bytes at a
  time.

Each string has a 64-bit *key*: a string of at most 7 bytes is its bytes
(little-endian) with its length in the top byte, so two short strings are
equal exactly when their keys are; a longer string's key is its first 7
bytes with the top byte ``0xFF``. The table is open addressing over
power-of-two slots of two words, the key and ``tag << 32 | code + 1``
(``0``: empty; the tag is the high half of the string's 64-bit hash). A
probe reads one slot and decides a short string there; a long one is
compared byte by byte only when key and tag both match. The result is
exact, whatever the collisions. A column in several chunks is processed
chunk by chunk with the table carried over (``state``), so chunks are never
concatenated. On a table larger than the caches, rows are keyed ``_AHEAD``
rows in advance (kept in a ring) and their slots prefetched.

The kernels trust their buffers: the caller (``mlfound.utils._arrow_strings``)
checks offsets, lengths and bitmaps first.
"""

import numpy as np

from mlfound._kernels.prefetch import PREFETCH_MIN_BYTES, prefetch
from mlfound.utils._jit import njit

_NULL = -2  # code of a null row in ``_lookup_chunk``
_SHORT = 7  # strings of up to 7 bytes live in their key
_LONG = np.uint64(0xFF) << np.uint64(56)  # top byte of a long string's key
_AHEAD = 32
_HIGH = np.uint64(0xFFFFFFFF00000000)
_LOW = np.uint64(0xFFFFFFFF)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, odd


@njit
def _mix(h):
    # splitmix64's finalizer: every output bit depends on every input bit.
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


@njit
def _word(data, b):
    """The 8 bytes ``data[b:b + 8]`` as a little-endian integer."""
    return (
        np.uint64(data[b])
        | np.uint64(data[b + 1]) << np.uint64(8)
        | np.uint64(data[b + 2]) << np.uint64(16)
        | np.uint64(data[b + 3]) << np.uint64(24)
        | np.uint64(data[b + 4]) << np.uint64(32)
        | np.uint64(data[b + 5]) << np.uint64(40)
        | np.uint64(data[b + 6]) << np.uint64(48)
        | np.uint64(data[b + 7]) << np.uint64(56)
    )


@njit
def _key_hash(data, start, stop):
    """Key and 64-bit hash of the bytes ``data[start:stop]``."""
    length = stop - start
    n = min(length, _SHORT)
    # The key's bytes in one 8-byte read, the bytes past the string masked
    # off: a byte loop whose length varies from row to row mispredicts its
    # exit. The read stays within ``data``: a string that starts in the
    # last 7 bytes of ``data`` takes the loop.
    if start + 8 <= data.shape[0]:
        key = _word(data, start) & ((np.uint64(1) << np.uint64(8 * n)) - np.uint64(1))
    else:
        key = np.uint64(0)
        for k in range(n):
            key |= np.uint64(data[start + k]) << np.uint64(8 * k)
    if length > _SHORT:
        key |= _LONG
        # Longer strings: the bytes after the key in 8-byte words, each
        # multiplied into the state; the last word is the 8 bytes that end
        # the string (it may overlap the one before, which keeps every read
        # within the string), and the length is mixed in. One flat loop and
        # one return: with nested loops or an early return, Numba keeps an
        # atomic reference count increment and decrement of ``data`` on
        # every call, which cost more than hashing a short string.
        h = key ^ np.uint64(length)
        for w in range((length - _SHORT + 7) // 8):
            b = min(start + _SHORT + 8 * w, stop - 8)
            h = (
                ((h << np.uint64(5)) | (h >> np.uint64(59))) ^ _word(data, b)
            ) * _GOLDEN
    else:
        key |= np.uint64(length) << np.uint64(56)
        h = key
    return key, _mix(h)


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


@njit
def _new_slots(n_hint):
    """Empty slots for about ``n_hint`` strings (load factor at most 1/2)."""
    size = 16
    while size < 2 * n_hint:
        size *= 2
    return np.zeros((size, 2), dtype=np.uint64)


@njit
def _new_state(n_hint, bytes_hint):
    """Empty table sized for about ``n_hint`` distinct strings.

    ``(slots, u_offsets, u_data, n_uniques)``: the slots and the uniques'
    bytes.
    """
    return (
        _new_slots(n_hint),
        np.zeros(max(n_hint, 16) + 1, dtype=np.int64),
        np.empty(max(bytes_hint, 64), dtype=np.uint8),
        0,
    )


@njit
def _insert_slot(slots, shift, key, h, code):
    mask = slots.shape[0] - 1
    slot = np.intp(h >> shift) & mask
    while slots[slot, 1] != 0:
        slot = (slot + 1) & mask
    slots[slot, 0] = key
    slots[slot, 1] = (h & _HIGH) | np.uint64(code + 1)


@njit
def _grow(slots):
    """The slots in a table of twice the size.

    A slot's tag is the high half of its string's hash, which holds the
    slot index in any table of up to 2**32 slots: the old slots are read in
    order and land in nearly sequential new ones, without rehashing any
    string or reading the uniques.
    """
    grown = np.zeros((2 * slots.shape[0], 2), dtype=np.uint64)
    shift = _table_shift(grown.shape[0])
    for slot in range(slots.shape[0]):
        meta = slots[slot, 1]
        if meta != 0:
            _insert_slot(grown, shift, slots[slot, 0], meta, np.intp(meta & _LOW) - 1)
    return grown


@njit
def _probe(slots, shift, key, h, data, start, stop, k_offsets, k_data):
    """Code of the bytes ``data[start:stop]`` (key, hash) in the table, or -1.

    Also returns the slot where the probe ended: the free slot a new string
    takes when it is not found. A short string is decided by its key; a long
    one by its bytes once key and tag match, so a hash collision never
    merges two strings.
    """
    mask = slots.shape[0] - 1
    tag = h & _HIGH
    long = (key & _LONG) == _LONG
    slot = np.intp(h >> shift) & mask
    while True:
        meta = slots[slot, 1]
        if meta == 0:
            return -1, slot
        if slots[slot, 0] == key:
            v = np.intp(meta & _LOW) - 1
            if not long:
                return v, slot
            if (meta & _HIGH) == tag and _same_bytes(
                data, start, stop, k_data, k_offsets[v], k_offsets[v + 1]
            ):
                return v, slot
        slot = (slot + 1) & mask


@njit
def _copy(dst, d0, src, s0, n):
    """``dst[d0:d0 + n] = src[s0:s0 + n]`` as a loop.

    A slice assignment compiles NumPy's shape check and its error message,
    Numba's string formatting included: about 2 s more on the first call
    with an empty cache.
    """
    for k in range(n):
        dst[d0 + k] = src[s0 + k]


@njit
def _add_unique(slots, u_offsets, u_data, u, key, h, data, start, stop, slot):
    """Append a new string (code ``u``) to the uniques and take ``slot`` for it."""
    if u + 1 == u_offsets.shape[0]:
        new_offsets = np.zeros(2 * u + 1, dtype=np.int64)
        _copy(new_offsets, 0, u_offsets, 0, u + 1)
        u_offsets = new_offsets
    end = u_offsets[u] + (stop - start)
    if end > u_data.shape[0]:
        new_data = np.empty(max(2 * u_data.shape[0], end), dtype=np.uint8)
        _copy(new_data, 0, u_data, 0, u_offsets[u])
        u_data = new_data
    _copy(u_data, u_offsets[u], data, start, stop - start)
    u_offsets[u + 1] = end
    slots[slot, 0] = key
    slots[slot, 1] = (h & _HIGH) | np.uint64(u + 1)
    if 2 * (u + 1) > slots.shape[0]:  # keep the load factor at most 1/2
        slots = _grow(slots)
    return slots, u_offsets, u_data


@njit
def _scan(offsets, data, valid, bit0, codes, row0, i, slots, u_offsets, u_data, ring):
    """Code rows from ``i`` on until a new string; return its row (or ``n``).

    Also returns the new string's key and hash and its free slot. With a
    ``ring`` (a table past the caches) rows are keyed ``_AHEAD`` rows in
    advance and their slots prefetched; the ring then holds the keys and
    hashes of rows ``i`` to ``i + _AHEAD - 1`` on entry and on return.
    """
    n = offsets.shape[0] - 1
    has_valid = valid.shape[0] > 0
    shift = _table_shift(slots.shape[0])
    mask = slots.shape[0] - 1
    big = ring.shape[0] > 0
    while i < n:
        start = np.int64(offsets[i])
        stop = np.int64(offsets[i + 1])
        if big:
            r = i % _AHEAD
            key, h = ring[r, 0], ring[r, 1]
            ahead = i + _AHEAD
            if ahead < n:
                k, h2 = _key_hash(
                    data, np.int64(offsets[ahead]), np.int64(offsets[ahead + 1])
                )
                ring[r, 0], ring[r, 1] = k, h2
                prefetch(slots, 2 * (np.intp(h2 >> shift) & mask))
        else:
            key, h = _key_hash(data, start, stop)
        if has_valid and not _is_valid(valid, bit0 + i):
            codes[row0 + i] = -1
            i += 1
            continue
        u, slot = _probe(slots, shift, key, h, data, start, stop, u_offsets, u_data)
        if u == -1:
            return i, key, h, slot
        codes[row0 + i] = u
        i += 1
    return n, np.uint64(0), np.uint64(0), 0


@njit
def _factorize_chunk(offsets, data, valid, bit0, codes, row0, state):
    """Codes of the rows of one chunk in first-appearance order (-1: null).

    ``state`` is as made by ``_new_state``; the updated state is returned.
    """
    slots, u_offsets, u_data, n_uniques = state
    n = offsets.shape[0] - 1
    no_ring = np.empty((0, 2), dtype=np.uint64)
    ring = no_ring
    i = 0
    while i < n:
        if ring.shape[0] == 0 and slots.nbytes >= PREFETCH_MIN_BYTES:
            # The table has outgrown the caches: key rows in advance.
            ring = np.empty((_AHEAD, 2), dtype=np.uint64)
            for r in range(i, min(i + _AHEAD, n)):
                k, h = _key_hash(data, np.int64(offsets[r]), np.int64(offsets[r + 1]))
                ring[r % _AHEAD, 0], ring[r % _AHEAD, 1] = k, h
        i, key, h, slot = _scan(
            offsets, data, valid, bit0, codes, row0, i, slots, u_offsets, u_data, ring
        )
        if i == n:
            break
        start = np.int64(offsets[i])
        stop = np.int64(offsets[i + 1])
        slots, u_offsets, u_data = _add_unique(
            slots, u_offsets, u_data, n_uniques, key, h, data, start, stop, slot
        )
        codes[row0 + i] = n_uniques
        n_uniques += 1
        i += 1
    return slots, u_offsets, u_data, n_uniques


@njit
def _build_lookup(offsets, data):
    """Table of known, distinct strings given as ``offsets``/``data``."""
    n = offsets.shape[0] - 1
    slots = _new_slots(n)
    shift = _table_shift(slots.shape[0])
    for u in range(n):
        key, h = _key_hash(data, offsets[u], offsets[u + 1])
        _insert_slot(slots, shift, key, h, u)
    return slots


@njit
def _lookup_chunk(offsets, data, valid, bit0, codes, row0, slots, k_offsets, k_data):
    """Index of each row's string among the known ones (-1 unknown, -2 null)."""
    n = offsets.shape[0] - 1
    has_valid = valid.shape[0] > 0
    mask = slots.shape[0] - 1
    shift = _table_shift(slots.shape[0])
    big = slots.nbytes >= PREFETCH_MIN_BYTES
    ring_key = np.empty(_AHEAD, dtype=np.uint64)
    ring_hash = np.empty(_AHEAD, dtype=np.uint64)
    if big:
        for r in range(min(_AHEAD, n)):
            k, h = _key_hash(data, np.int64(offsets[r]), np.int64(offsets[r + 1]))
            ring_key[r], ring_hash[r] = k, h
    for i in range(n):
        start = np.int64(offsets[i])
        stop = np.int64(offsets[i + 1])
        if big:
            r = i % _AHEAD
            key, h = ring_key[r], ring_hash[r]
            ahead = i + _AHEAD
            if ahead < n:
                k, h2 = _key_hash(
                    data, np.int64(offsets[ahead]), np.int64(offsets[ahead + 1])
                )
                ring_key[r], ring_hash[r] = k, h2
                prefetch(slots, 2 * (np.intp(h2 >> shift) & mask))
        else:
            key, h = _key_hash(data, start, stop)
        if has_valid and not _is_valid(valid, bit0 + i):
            codes[row0 + i] = _NULL
            continue
        code, _ = _probe(slots, shift, key, h, data, start, stop, k_offsets, k_data)
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


@njit
def _prefix_key(data, start, stop, depth):
    """Sort key of the bytes ``data[start + depth:stop]``: 7 bytes and a length.

    The top 7 bytes hold the bytes at ``depth`` to ``depth + 6`` (big-endian,
    zero-padded), the low byte how many bytes remain, capped at 8. Keys
    compare like the strings' bytes from ``depth`` on, except that two
    strings that both go on past the window tie.
    """
    left = stop - start - depth
    key = np.uint64(min(max(left, 0), 8))
    for k in range(min(max(left, 0), _SHORT)):
        key |= np.uint64(data[start + depth + k]) << np.uint64(56 - 8 * k)
    return key


@njit
def _prefix_keys(u_offsets, u_data, rows, depth):
    """Sort keys at ``depth`` (see ``_prefix_key``) of the strings ``rows``."""
    keys = np.empty(rows.shape[0], dtype=np.uint64)
    for k in range(rows.shape[0]):
        u = rows[k]
        keys[k] = _prefix_key(u_data, u_offsets[u], u_offsets[u + 1], depth)
    return keys
