import numpy as np
import pytest
import scipy.sparse as sp

from mlfound.utils._cv_splits import _check_cv_splits
from mlfound.utils.validation import (
    check_finite_target,
    check_n_classes,
    check_ordinal_target,
    check_positive_integers,
    check_probabilities,
    check_sample_weight,
    check_sparse_structure,
)


def test_check_finite_target_names_the_parameter_and_counts():
    with pytest.raises(ValueError, match=r"Input clicks contains NaN .*1 of 3"):
        check_finite_target(np.array([0.0, np.nan, 1.0]), name="clicks")
    np.testing.assert_array_equal(check_finite_target([1, 2]), [1, 2])
    # Non-numeric targets are left to the estimator's own label handling.
    assert check_finite_target(np.array(["a", "b"])).dtype.kind == "U"


def test_check_n_classes():
    assert check_n_classes(np.array([0, 1])) == 2
    with pytest.raises(ValueError, match=r"y has 1 class\(es\)"):
        check_n_classes(np.array(["spam"]))


def test_check_sample_weight_names_the_argument_when_empty():
    # An empty weight array used to raise scikit-learn's "Found array with
    # 0 sample(s)", which names no argument.
    with pytest.raises(ValueError, match="sample_weight has 0 entries but X has 3"):
        check_sample_weight(np.array([]), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="sample_weight has 2 entries but X has 3"):
        check_sample_weight([1.0, 2.0], np.zeros((3, 2)))


def test_check_ordinal_target_rejects_empty_categories():
    # Empty categories used to reach an IndexError in the label lookup.
    from mlfound.utils.validation import check_ordinal_target

    with pytest.raises(ValueError, match="categories must list at least one label"):
        check_ordinal_target(np.array([1, 2]), np.array([]))


@pytest.mark.parametrize(
    "values", [[1, 2, 3], np.array([1.0, 4.0]), np.array([2], dtype=np.uint8)]
)
def test_check_positive_integers_accepts(values):
    out = check_positive_integers(values, name="positions")
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, np.asarray(values))


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ([0, 1], "If your positions are 0-based, add 1"),
        ([1.5, 2.0], "non-integer or non-finite"),
        ([np.nan, 1.0], "non-integer or non-finite"),
        (["1", "2"], "got dtype"),
        ([True, False], "got dtype"),
    ],
)
def test_check_positive_integers_rejects(values, match):
    with pytest.raises(ValueError, match=match):
        check_positive_integers(values, name="positions")


@pytest.mark.parametrize(
    "values",
    [
        np.array([1, 2**63], dtype=np.uint64),
        np.array([1, 2**64 - 1], dtype=np.uint64),
        np.array([1.0, 1e19]),
        np.array([1.0, 2.0**63]),
        np.array([1.0, 1e38], dtype=np.float32),
        [1, 2**63],
        [1, 2**64],
        np.array([1, 2**70], dtype=object),
    ],
)
def test_check_positive_integers_rejects_values_that_would_wrap(values):
    # Checked in the input dtype: a cast to int64 first would wrap these into
    # negative or valid-looking positions.
    with pytest.raises(ValueError, match=r"positions must hold .* up to 2\*\*63 - 1"):
        check_positive_integers(values, name="positions")


def test_check_positive_integers_edges_of_the_int64_range():
    top = np.iinfo(np.int64).max
    out = check_positive_integers(np.array([1, top], dtype=np.uint64), name="p")
    np.testing.assert_array_equal(out, [1, top])
    out = check_positive_integers(np.array([1, top], dtype=object), name="p")
    assert out.dtype == np.int64 and out[1] == top
    out = check_positive_integers(np.array([2.0**63 - 1024]), name="p")
    assert out[0] == 2**63 - 1024
    with pytest.raises(ValueError, match="found minimum -1180591620717411303424"):
        check_positive_integers(np.array([1, -(2**70)], dtype=object), name="p")
    with pytest.raises(ValueError, match=r"ranks must hold .*found None"):
        check_positive_integers(np.array([1, None], dtype=object), name="ranks")
    with pytest.raises(ValueError, match=r"ranks must hold .*found True"):
        check_positive_integers(np.array([1, True], dtype=object), name="ranks")
    assert check_positive_integers([], name="p").dtype == np.int64


def test_check_probabilities():
    np.testing.assert_array_equal(check_probabilities([0.5, 1], name="p"), [0.5, 1])
    with pytest.raises(ValueError, match=r"propensity must lie in \(0, 1\]"):
        check_probabilities([0.0, 0.5], name="propensity")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        check_probabilities([1.5], name="p", allow_zero=True)
    assert check_probabilities([0.0], name="p", allow_zero=True)[0] == 0.0
    with pytest.raises(ValueError, match=r"p must lie in .*1 NaN or infinite"):
        check_probabilities([0.5, np.nan], name="p")
    with pytest.raises(ValueError, match=r"p must lie in .*no finite value"):
        check_probabilities([np.inf], name="p", allow_zero=True)
    with pytest.raises(ValueError, match="p must hold probabilities"):
        check_probabilities(["high"], name="p")
    with pytest.raises(ValueError, match=r"p must lie in .*1 NaN or infinite"):
        check_probabilities([None, 0.5], name="p")


def test_check_sample_weight_defaults_and_rejects_negative():
    X = np.zeros((3, 2))
    np.testing.assert_array_equal(check_sample_weight(None, X), np.ones(3))
    with pytest.raises(ValueError, match="[Nn]egative"):
        check_sample_weight(np.array([1.0, -1.0, 1.0]), X)


def _csr(seed=0, index_dtype=np.int32):
    X = sp.random(40, 15, density=0.3, format="csr", random_state=seed)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    return X


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_check_sparse_structure_accepts_valid_matrices(index_dtype):
    X = _csr(index_dtype=index_dtype)
    assert check_sparse_structure(X) is X
    unsigned = X.copy()
    unsigned.indices = unsigned.indices.astype(np.uint64)
    assert check_sparse_structure(unsigned) is unsigned
    for other in (
        X.tocsc(),
        X.tocoo(),
        sp.csr_array(X),
        X.toarray(),
        sp.csr_matrix((3, 0)),
    ):
        assert check_sparse_structure(other) is other


def _break(X, how):
    X = X.copy()
    if how == "column too large":
        X.indices[5] = 10**7
    elif how == "negative column":
        X.indices[5] = -1
    elif how == "column equal to n_features":
        X.indices[-1] = X.shape[1]
    elif how == "short indptr":
        X.indptr = X.indptr[:-1]
    elif how == "indptr not at 0":
        X.indptr = X.indptr + 1
    elif how == "decreasing indptr":
        X.indptr[10] = X.indptr[12] + 1
    elif how == "indptr past the data":
        X.indptr[-1] += 1
    elif how == "float indices":
        X.indices = X.indices.astype(np.float64)
    elif how == "data shorter than indices":
        X.data = X.data[:-1]
    return X


@pytest.mark.parametrize(
    ("how", "match"),
    [
        ("column too large", r"column index 10000000 is outside \[0, 15\)"),
        ("negative column", r"column index -1 is outside \[0, 15\)"),
        ("column equal to n_features", r"column index 15 is outside \[0, 15\)"),
        ("short indptr", "indptr has 40 entries where its shape .* needs 41"),
        ("indptr not at 0", "indptr starts at 1, not 0"),
        ("decreasing indptr", "indptr decreases"),
        ("indptr past the data", "indptr ends at"),
        ("float indices", "indices must be a 1-d integer array"),
        ("data shorter than indices", "indices has .* entries but data has shape"),
    ],
)
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_check_sparse_structure_rejects_malformed_csr(how, match, index_dtype):
    X = _break(_csr(index_dtype=index_dtype), how)
    with pytest.raises(ValueError, match=r"X is a malformed CSR matrix: " + match):
        check_sparse_structure(X)
    if how != "float indices":  # scipy itself agrees they are malformed
        with pytest.raises(ValueError):
            X.copy().check_format(full_check=True)


def test_check_sparse_structure_other_formats_and_name():
    X = _csr()
    csc = X.tocsc()
    csc.indices[0] = 40
    with pytest.raises(ValueError, match=r"Xt is a malformed CSC matrix: row index 40"):
        check_sparse_structure(csc, name="Xt")
    coo = X.tocoo(copy=True)
    coo.col[3] = 99
    with pytest.raises(ValueError, match=r"malformed COO matrix: column index 99"):
        check_sparse_structure(coo)


def test_check_sparse_structure_compares_huge_unsigned_indices_without_wrapping():
    X = _csr()
    X.indices = X.indices.astype(np.uint64)
    X.indices[0] = np.iinfo(np.uint64).max  # -1 once cast to int64
    with pytest.raises(ValueError, match=r"column index 18446744073709551615"):
        check_sparse_structure(X)


def test_check_cv_splits_materialises_validates_and_compacts():
    gen = ((np.array([1, 2]), np.array([0])) for _ in range(1))
    out = _check_cv_splits(gen, 3, complement_train=True)
    assert out[0][0] is None
    np.testing.assert_array_equal(out[0][1], [0])
    mask = np.array([True, False, True])
    ((train, test),) = _check_cv_splits([(mask, ~mask)], 3)
    np.testing.assert_array_equal(train, [0, 2])
    np.testing.assert_array_equal(test, [1])
    # A train with a duplicate is not the complement, even with the right size.
    ((train, _),) = _check_cv_splits([([1, 1], [0])], 3, complement_train=True)
    np.testing.assert_array_equal(train, [1, 1])
    assert _check_cv_splits([([0, 1], [1, 2])], 3, disjoint_test=True)


@pytest.mark.parametrize(
    ("splits", "kwargs", "error", "match"),
    [
        ([([0], [3])], {}, ValueError, r"cv: split 0's test .*\[0, 3\)"),
        ([([-1], [0])], {}, ValueError, r"cv: split 0's train .*\[-1, -1\]"),
        ([([0], np.array([2**64 - 1], np.uint64))], {}, ValueError, "18446744"),
        ([([0.0], [1])], {}, TypeError, "cv: split 0's train .*integers"),
        ([([0], ["a"])], {}, TypeError, "integers"),
        ([([[0]], [1])], {}, ValueError, "1-d"),
        ([([True], [1])], {}, ValueError, "boolean mask of length 1"),
        ([np.arange(3)], {}, TypeError, r"\(train, test\) pairs"),
        ([([0], [1, 2]), ([1], [2])], {"disjoint_test": True}, ValueError, "overlap"),
    ],
)
def test_check_cv_splits_rejects(splits, kwargs, error, match):
    with pytest.raises(error, match=match):
        _check_cv_splits(splits, 3, **kwargs)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.uint8, np.uint16])
def test_ordinal_codes_of_narrow_integer_labels_spanning_their_range(dtype):
    # The labels were shifted by their minimum in their own dtype, which
    # wraps in int8 (100 - (-100) = -56) into a negative bincount index.
    # 20,000 rows: enough for the 2**16 values of the 16-bit dtypes to be
    # coded through the lookup table (a span up to 4 n + 1024), the path
    # that shifts.
    info = np.iinfo(dtype)
    pattern = [info.min, info.max, 0 if info.min < 0 else 7, info.max, info.min]
    y = np.tile(pattern, 4000)
    classes, codes = check_ordinal_target(y.astype(dtype))
    expected_classes, expected_codes = check_ordinal_target(y.astype(np.int64))
    assert classes.dtype == dtype
    np.testing.assert_array_equal(classes.astype(np.int64), expected_classes)
    np.testing.assert_array_equal(codes, expected_codes)
    np.testing.assert_array_equal(codes[:5], [0, 2, 1, 2, 0])
