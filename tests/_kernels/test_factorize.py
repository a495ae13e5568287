import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlfound._kernels.factorize import factorize, lookup

int_arrays = st.one_of(
    arrays(np.int64, st.integers(0, 80), elements=st.integers(-5, 5)),
    arrays(np.int64, st.integers(0, 80), elements=st.integers(-(2**62), 2**62)),
    arrays(np.int32, st.integers(0, 80), elements=st.integers(0, 10**6)),
    arrays(np.bool_, st.integers(0, 20)),
)
float_arrays = arrays(
    np.float64,
    st.integers(0, 80),
    elements=st.sampled_from([0.0, -0.0, 1.5, -2.25, np.nan, 1e300, 3.0]) | st.floats(),
)


def _check(values):
    codes, uniques = factorize(values)
    present = values[~np.isnan(values)] if values.dtype.kind == "f" else values
    expected, inverse = np.unique(present, return_inverse=True)
    np.testing.assert_array_equal(uniques, expected)
    assert codes.dtype == np.int32
    if values.dtype.kind == "f":
        assert np.all(codes[np.isnan(values)] == -1)
        np.testing.assert_array_equal(codes[~np.isnan(values)], inverse)
    else:
        np.testing.assert_array_equal(codes, inverse)
    np.testing.assert_array_equal(lookup(values, uniques), codes)


@given(int_arrays)
def test_factorize_integers_matches_np_unique(values):
    _check(values)


@given(float_arrays)
def test_factorize_floats_matches_np_unique(values):
    _check(values)


@given(int_arrays, int_arrays)
def test_lookup_marks_values_outside_the_categories(values, other):
    categories = np.unique(other).astype(np.int64)
    codes = lookup(values, categories)
    position = np.searchsorted(categories, values)
    found = (position < len(categories)) & (
        categories[np.minimum(position, len(categories) - 1)] == values
        if len(categories)
        else np.zeros(len(values), bool)
    )
    np.testing.assert_array_equal(codes[found], position[found])
    assert np.all(codes[~found] == -1)


def test_hash_path_grows_its_table():
    rng = np.random.default_rng(0)
    values = rng.integers(-(2**60), 2**60, 50_000)
    values = np.concatenate([values, values[:1000]])
    _check(values)
    _check(values.astype(np.float64))


def test_uint64_above_int64_max_keeps_value_and_dtype():
    from mlfound._kernels.factorize import factorize, lookup

    values = np.array([2**64 - 1, 0, 2**63, 2**64 - 1, 7], dtype=np.uint64)
    codes, uniques = factorize(values)
    assert uniques.dtype == np.uint64
    np.testing.assert_array_equal(uniques, np.unique(values))
    np.testing.assert_array_equal(uniques[codes], values)
    small = factorize(np.array([3, 1, 3], dtype=np.uint64))[1]
    assert small.dtype == np.uint64
    np.testing.assert_array_equal(small, [1, 3])
    # Lookup compares values, not bit patterns: int64 -1 is not 2**64 - 1.
    np.testing.assert_array_equal(
        lookup(np.array([-1, 7, 0]), uniques), np.array([-1, 1, 0], dtype=np.int32)
    )
    np.testing.assert_array_equal(
        lookup(np.array([2**64 - 1, 2**63, 5], dtype=np.uint64), uniques),
        np.array([3, 2, -1], dtype=np.int32),
    )
    np.testing.assert_array_equal(
        lookup(np.array([2**64 - 1, 4], dtype=np.uint64), np.array([-1, 4])),
        np.array([-1, 1], dtype=np.int32),
    )
