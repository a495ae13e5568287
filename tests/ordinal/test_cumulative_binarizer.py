"""CumulativeBinarizer: the cumulative encoding of ordered labels."""

import numpy as np
import pandas as pd
import pytest

from mlfound.ordinal import CumulativeBinarizer


def test_rating_three_of_five():
    y = np.array([1, 2, 3, 4, 5]).reshape(-1, 1)
    Y = CumulativeBinarizer().fit_transform(y)
    np.testing.assert_array_equal(Y[2], [1, 1, 0, 0])
    np.testing.assert_array_equal(Y, np.tril(np.ones((5, 5)), -1)[:, :4])


def test_inverse_transform_round_trip_and_probabilities():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(1, 6, 50), rng.integers(0, 3, 50)])
    binarizer = CumulativeBinarizer().fit(X)
    Xt = binarizer.transform(X)
    assert Xt.shape == (50, 4 + 2)
    np.testing.assert_array_equal(binarizer.inverse_transform(Xt), X)
    # exceedance probabilities invert to the median class
    q = np.array([[0.9, 0.7, 0.4, 0.1, 0.6, 0.2]])
    np.testing.assert_array_equal(binarizer.inverse_transform(q), [[3, 1]])


def test_string_categories_and_pandas_ordered_columns():
    words = np.array(["bad", "ok", "good", "ok"], dtype=object).reshape(-1, 1)
    binarizer = CumulativeBinarizer(categories=[["bad", "ok", "good"]]).fit(words)
    np.testing.assert_array_equal(
        binarizer.transform(words), [[0, 0], [1, 0], [1, 1], [1, 0]]
    )
    assert binarizer.get_feature_names_out().tolist() == ["x0>bad", "x0>ok"]
    assert binarizer.inverse_transform([[1, 0]]).tolist() == [["ok"]]
    df = pd.DataFrame(
        {
            "rating": pd.Categorical(
                ["lo", "hi", "mid"], ["lo", "mid", "hi"], ordered=True
            )
        }
    )
    out = CumulativeBinarizer().set_output(transform="pandas").fit_transform(df)
    assert out.columns.tolist() == ["rating>lo", "rating>mid"]
    np.testing.assert_array_equal(out.to_numpy(), [[0, 0], [1, 1], [1, 0]])


def test_errors():
    with pytest.raises(ValueError, match="not meaningful"):
        CumulativeBinarizer().fit(np.array([["a"], ["b"]], dtype=object))
    with pytest.raises(ValueError, match="unordered pandas Categorical"):
        CumulativeBinarizer().fit(pd.DataFrame({"r": pd.Categorical(["a", "b"])}))
    with pytest.raises(ValueError, match="one class"):
        CumulativeBinarizer().fit(np.ones((5, 1)))
    binarizer = CumulativeBinarizer(categories=[["bad", "ok"]]).fit(
        np.array([["bad"], ["ok"]], dtype=object)
    )
    with pytest.raises(ValueError, match="not in categories"):
        binarizer.transform(np.array([["great"]], dtype=object))
    with pytest.raises(ValueError, match="shape"):
        binarizer.inverse_transform(np.ones((2, 3)))


@pytest.mark.parametrize(
    "labels",
    [
        np.array([2**53, 2**53 + 1, 2**53 + 2, 2**53 + 3], dtype=np.int64),
        np.array([2**64 - 4, 2**64 - 3, 2**64 - 2, 2**64 - 1], dtype=np.uint64),
        np.array([-(2**63), -(2**63) + 1, 2**63 - 2, 2**63 - 1], dtype=np.int64),
    ],
)
def test_transform_keeps_distinct_extreme_integer_labels(labels):
    # a float64 cast merged 2**53 and 2**53 + 1 into one class
    X = labels.reshape(-1, 1)
    binarizer = CumulativeBinarizer().fit(X)
    assert binarizer.categories_[0].dtype == labels.dtype
    assert binarizer.categories_[0].tolist() == labels.tolist()
    Xt = binarizer.transform(X)
    np.testing.assert_array_equal(Xt, np.tril(np.ones((4, 3)), k=-1))
    inverse = binarizer.inverse_transform(Xt)
    assert inverse.dtype == labels.dtype
    assert inverse.ravel().tolist() == labels.tolist()


@pytest.mark.parametrize(
    ("Y", "match"),
    [
        ([[np.nan, 0.0]], r"not cumulative indicators.*row 0"),
        ([[0.0, 1.0]], "not cumulative indicators"),
        ([[1.0, 2.0]], "not cumulative indicators"),
        ([[-0.5, 0.0]], "not cumulative indicators"),
        ([[1.0, 0.0, 0.0]], r"shape \(n_samples, 2\)"),
        ([1.0, 0.0], r"shape \(n_samples, 2\)"),
    ],
)
def test_inverse_transform_rejects_rows_that_are_not_cumulative(Y, match):
    # NaN was mapped silently to the lowest class
    binarizer = CumulativeBinarizer().fit(np.array([[1], [2], [3]]))
    with pytest.raises(ValueError, match=match):
        binarizer.inverse_transform(np.asarray(Y))


def test_inverse_transform_accepts_monotone_probabilities():
    binarizer = CumulativeBinarizer().fit(np.array([[1], [2], [3]]))
    proba = np.array([[0.9, 0.6], [0.7, 0.2], [0.4, 0.4]])
    assert binarizer.inverse_transform(proba).ravel().tolist() == [3, 2, 1]


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.array([[1.0], [np.nan]]), ValueError, "X contains (NaN|infinity)"),
        (np.array([[1.0], [np.inf]]), ValueError, "X contains (NaN|infinity)"),
        (np.array([["a"], ["b"]], dtype=object), TypeError, "column 0 of X"),
    ],
)
def test_transform_rejects_nan_and_strings_in_numeric_column(X, error, match):
    binarizer = CumulativeBinarizer().fit(np.array([[1.0], [2.0], [3.0]]))
    with pytest.raises(error, match=match):
        binarizer.transform(X)
