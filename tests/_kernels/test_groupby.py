import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlfound._kernels.groupby import _group_fold_sums, _group_sums, group_sums


@st.composite
def grouped_data(draw):
    """Codes with gaps (unused codes), optional weights and folds, 0..n rows."""
    n_samples = draw(st.integers(0, 60))
    n_groups = draw(st.integers(1, 12))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_values = draw(st.integers(1, 3))
    codes = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_groups - 1)))
    finite = st.floats(-1e3, 1e3, width=32)
    values = draw(arrays(dtype, (n_samples, n_values), elements=finite))
    weights = draw(
        st.none() | arrays(dtype, n_samples, elements=st.floats(0, 10, width=32))
    )
    n_folds = draw(st.integers(1, 4))
    folds = draw(arrays(np.int64, n_samples, elements=st.integers(0, n_folds - 1)))
    return codes, values, weights, n_groups, folds, n_folds


@given(grouped_data())
def test_group_sums_matches_bincount(data):
    codes, values, weights, n_groups, _, _ = data
    counts, sums = group_sums(codes, values, weights, n_groups=n_groups)
    w = np.ones(codes.shape[0]) if weights is None else weights.astype(np.float64)
    np.testing.assert_allclose(counts, np.bincount(codes, w, minlength=n_groups))
    for j in range(values.shape[1]):
        expected = np.bincount(codes, w * values[:, j], minlength=n_groups)
        np.testing.assert_allclose(sums[:, j], expected, rtol=1e-6, atol=1e-6)
    assert counts.dtype == sums.dtype == np.float64
    assert sums.shape == (n_groups, values.shape[1])


@given(grouped_data())
def test_group_fold_sums_matches_pandas_groupby(data):
    codes, values, weights, n_groups, folds, n_folds = data
    counts, sums = group_sums(
        codes, values, weights, n_groups=n_groups, folds=folds, n_folds=n_folds
    )
    w = np.ones(codes.shape[0]) if weights is None else weights.astype(np.float64)
    frame = pd.DataFrame(values.astype(np.float64) * w[:, None])
    frame["w"], frame["code"], frame["fold"] = w, codes, folds
    grouped = frame.groupby(["code", "fold"]).sum()
    expected_counts = np.zeros((n_groups, n_folds))
    expected_sums = np.zeros((n_groups, n_folds, values.shape[1]))
    for (code, fold), row in grouped.iterrows():
        expected_counts[code, fold] = row["w"]
        expected_sums[code, fold] = row.drop("w").to_numpy()
    np.testing.assert_allclose(counts, expected_counts, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sums, expected_sums, rtol=1e-6, atol=1e-6)
    # The fold split only partitions the totals.
    totals_counts, totals_sums = group_sums(codes, values, weights, n_groups=n_groups)
    np.testing.assert_allclose(counts.sum(axis=1), totals_counts, atol=1e-6)
    np.testing.assert_allclose(sums.sum(axis=1), totals_sums, rtol=1e-6, atol=1e-5)


def test_group_sums_counts_only_and_one_code():
    counts, sums = group_sums(np.zeros(5, dtype=np.int32))
    np.testing.assert_array_equal(counts, [5.0])
    assert sums.shape == (1, 0)


def test_group_sums_empty_input():
    counts, sums = group_sums(np.array([], dtype=np.int64), np.array([]), n_groups=3)
    np.testing.assert_array_equal(counts, np.zeros(3))
    np.testing.assert_array_equal(sums, np.zeros(3))


def test_group_sums_one_dimensional_values_drop_last_axis():
    counts, sums = group_sums(np.array([1, 1, 0]), np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(counts, [1.0, 2.0])
    np.testing.assert_array_equal(sums, [4.0, 3.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"codes": np.array([0, -1])}, r"codes must lie in \[0, 1\)"),
        ({"codes": np.array([0, 5]), "n_groups": 3}, r"codes must lie in \[0, 3\)"),
        ({"codes": np.array([0.0, 1.0])}, "codes must be a 1-d integer array"),
        ({"codes": np.array([0, 1]), "values": np.ones(3)}, "values has 3 rows"),
        ({"codes": np.array([0, 1]), "weights": np.ones(3)}, "weights must have"),
        ({"codes": np.array([0, 1]), "folds": np.array([0])}, "folds has 1 rows"),
        (
            {"codes": np.array([0, 1]), "folds": np.array([0, 2]), "n_folds": 2},
            r"folds must lie in \[0, 2\)",
        ),
    ],
)
def test_group_sums_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        group_sums(**kwargs)


@pytest.mark.parametrize("n_values", [1, 3])
def test_kernels_interleave_counts_and_sums_on_big_tables(n_values):
    # Tables above the prefetch threshold (1 MiB); one (count, sums) run per
    # cell, the count first.
    rng = np.random.default_rng(0)
    n_samples, n_groups, n_folds = 200_000, 150_000, 5
    codes = np.minimum(rng.zipf(1.2, n_samples) - 1, n_groups - 1)
    folds = rng.integers(0, n_folds, n_samples).astype(np.int8)
    values = rng.random((n_samples, n_values))
    weights = rng.random(n_samples)
    stats = _group_sums(codes, values, weights, n_groups)
    assert stats.shape == (n_groups, 1 + n_values)
    np.testing.assert_allclose(stats[:, 0], np.bincount(codes, weights, n_groups))
    fold_stats = _group_fold_sums(codes, folds, values, None, n_groups, n_folds)
    assert fold_stats.shape == (n_groups, n_folds, 1 + n_values)
    cells = codes * n_folds + folds
    for j in range(n_values):
        np.testing.assert_allclose(
            stats[:, 1 + j], np.bincount(codes, weights * values[:, j], n_groups)
        )
        np.testing.assert_allclose(
            fold_stats[..., 1 + j].ravel(),
            np.bincount(cells, values[:, j], n_groups * n_folds),
        )
    np.testing.assert_array_equal(
        fold_stats[..., 0].ravel(), np.bincount(cells, minlength=n_groups * n_folds)
    )


def test_group_sums_range_check_does_not_wrap_uint64():
    from mlfound._kernels.groupby import group_sums

    codes = np.array([0, 2**63 + 1], dtype=np.uint64)
    with pytest.raises(
        ValueError, match=r"codes must lie in \[0, 3\).*\[0, 9223372036854775809\]"
    ):
        group_sums(codes, np.ones(2), n_groups=3)
    with pytest.raises(ValueError, match=r"folds must lie in .*18446744073709551615\]"):
        group_sums(np.array([0, 1]), folds=np.array([0, 2**64 - 1], np.uint64),
                   n_folds=2)  # fmt: skip


def test_group_cell_sums_equal_the_nonempty_cells_of_the_dense_table():
    from mlfound._kernels.groupby import _group_cell_sums, _group_fold_sums

    rng = np.random.default_rng(0)
    n, n_groups, n_folds = 500, 40, 300
    codes = rng.integers(0, n_groups, n)
    folds = rng.integers(0, n_folds, n)
    values = rng.normal(size=(n, 2))
    weights = rng.random(n)
    dense = _group_fold_sums(codes, folds, values, weights, n_groups, n_folds)
    cell_codes, cells, stats = _group_cell_sums(codes, folds, values, weights, n_folds)
    occurring = np.unique(codes * n_folds + folds)
    np.testing.assert_array_equal(cells, occurring)
    np.testing.assert_array_equal(stats, dense.reshape(-1, 3)[cells])
    np.testing.assert_array_equal(cells[cell_codes], codes * n_folds + folds)
