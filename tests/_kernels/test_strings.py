"""String kernels: factorization, lookup and sort against Python's str."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")

from mlfound.utils import _arrow_strings  # noqa: E402

# Bytes that make prefix keys tie or differ late: NUL (equal to the padding
# of a shorter key), multi-byte code points, shared prefixes of 7+ bytes.
_ALPHABET = ["a", "b", "\x00", "\x7f", "é", "€", "𝄞", "abcdefg"]


def _sort_order(values):
    array = pa.array(values, pa.large_string())
    offsets, data, _, _ = _arrow_strings._checked_buffers(array)
    return _arrow_strings._byte_order(offsets.astype(np.int64), data)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(_ALPHABET), max_size=6).map("".join),
        unique=True,
        max_size=40,
    )
)
def test_sort_order_is_python_str_order(values):
    order = _sort_order(values)
    assert [values[i] for i in order] == sorted(values)


def test_sort_order_edge_cases():
    values = [
        "", "\x00", "\x00\x00", "a", "a\x00", "abcdefg", "abcdefg\x00",
        "abcdefgh", "abcdefgg", "abcdefgabcdefg", "abcdefgabcdefga",
        "user_0000010", "user_000001", "user_0000001", "é", "\uffff", "𝄞",
    ]  # fmt: skip
    rng = np.random.default_rng(0)
    values = [values[i] for i in rng.permutation(len(values))]
    order = _sort_order(values)
    assert [values[i] for i in order] == sorted(values)


def _random_strings(rng, n):
    """``n`` distinct strings, short and long, with long shared prefixes."""
    ints = rng.choice(10**9, size=n, replace=False)
    long = rng.random(n) < 0.3
    return [
        f"customer-{i:010d}-é" if is_long else str(i)
        for i, is_long in zip(ints, long, strict=True)
    ]


def test_big_table_factorize_and_lookup_match_python():
    # Over 32,768 distinct strings: the slots outgrow PREFETCH_MIN_BYTES and
    # the kernels switch to keying rows ahead of the probe mid-column.
    rng = np.random.default_rng(1)
    distinct = _random_strings(rng, 40_000)
    rows = [distinct[i] for i in rng.integers(0, len(distinct), 90_000)]
    rows = [None if k % 97 == 0 else v for k, v in enumerate(rows)]
    chunked = pa.chunked_array(
        [pa.array(rows[:50_000], pa.string()), pa.array(rows[50_000:], pa.string())]
    )
    codes, categories = _arrow_strings.factorize_strings(chunked.chunks)
    present = sorted({v for v in rows if v is not None})
    assert categories.tolist() == present
    index = {v: i for i, v in enumerate(present)}
    expected = np.array([-1 if v is None else index[v] for v in rows])
    np.testing.assert_array_equal(codes, expected)
    # Lookup in a table of half the categories plus strings never seen.
    known = np.array(sorted(present[::2] + ["zz-unseen", "customer-x"]), object)
    found, missing = _arrow_strings.lookup_strings(chunked.chunks, known)
    known_index = {v: i for i, v in enumerate(known.tolist())}
    expected = np.array([-1 if v is None else known_index.get(v, -1) for v in rows])
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_array_equal(missing, [v is None for v in rows])


def test_string_hash_reads_every_byte_and_only_the_string():
    # The hash of a long string reads its tail in 8-byte words, the last
    # one ending with the string; a word misplaced by one byte would leave
    # a byte out (two strings differing there would hash alike) or read a
    # neighbour's bytes (one string would hash differently by position).
    from mlfound._kernels.strings import _key_hash

    rng = np.random.default_rng(0)
    for length in range(41):
        base = rng.integers(97, 123, length).astype(np.uint8)
        padded = np.concatenate([[7, 7, 7], base, [9, 9, 9]]).astype(np.uint8)
        reference = _key_hash(base, 0, length)
        assert _key_hash(padded, 3, 3 + length) == reference
        for pos in range(length):
            changed = base.copy()
            changed[pos] ^= 1
            assert _key_hash(changed, 0, length)[1] != reference[1], (length, pos)
