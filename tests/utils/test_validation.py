import numpy as np
import pytest

from mlfound.utils.validation import (
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
