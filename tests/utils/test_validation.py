import numpy as np
import pytest

from mlfound.utils.validation import (
    check_cv_splits,
    check_finite_target,
    check_n_classes,
    check_positive_integers,
    check_probabilities,
    check_sample_weight,
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


def test_check_probabilities():
    np.testing.assert_array_equal(check_probabilities([0.5, 1], name="p"), [0.5, 1])
    with pytest.raises(ValueError, match=r"propensity must lie in \(0, 1\]"):
        check_probabilities([0.0, 0.5], name="propensity")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        check_probabilities([1.5], name="p", allow_zero=True)
    assert check_probabilities([0.0], name="p", allow_zero=True)[0] == 0.0


def test_check_sample_weight_defaults_and_rejects_negative():
    X = np.zeros((3, 2))
    np.testing.assert_array_equal(check_sample_weight(None, X), np.ones(3))
    with pytest.raises(ValueError, match="[Nn]egative"):
        check_sample_weight(np.array([1.0, -1.0, 1.0]), X)


def test_check_cv_splits_materialises_validates_and_compacts():
    gen = ((np.array([1, 2]), np.array([0])) for _ in range(1))
    out = check_cv_splits(gen, 3, complement_train=True)
    assert out[0][0] is None
    np.testing.assert_array_equal(out[0][1], [0])
    mask = np.array([True, False, True])
    ((train, test),) = check_cv_splits([(mask, ~mask)], 3)
    np.testing.assert_array_equal(train, [0, 2])
    np.testing.assert_array_equal(test, [1])
    # A train with a duplicate is not the complement, even with the right size.
    ((train, _),) = check_cv_splits([([1, 1], [0])], 3, complement_train=True)
    np.testing.assert_array_equal(train, [1, 1])
    assert check_cv_splits([([0, 1], [1, 2])], 3, disjoint_test=True)


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
        check_cv_splits(splits, 3, **kwargs)
