"""The same numbers in another memory layout or dtype give the same result.

Every public function and estimator with a valid call in
:mod:`mlfound.utils._bad_input_cases` is called again with one numeric array
argument at a time replaced by the same values

- in big-endian byte order (a kernel reading raw bytes, or a check such as
  ``dtype == np.uint64``, would take them for other numbers);
- as a non-contiguous view (every other row of a larger array);
- for integers, in the narrowest dtype that holds them (the valid calls'
  small labels and ids become uint8 or int8; the wrapping of ``id - min``
  over a type's whole range has tests of its own);
- for a sparse ``X``, with big-endian index arrays.

The result (the function's value; the estimator's fitted array attributes
and its predictions on the valid ``X``) must equal the valid call's.
tests/test_bad_input.py covers bad values; this file covers good values in
unusual containers. Float32 arrays are not put in big-endian order: there
scikit-learn's ``check_array`` converts them to float64 (the dtype ``>f4``
is not ``float32``), a different but equally valid computation.
"""

import numbers

import numpy as np
import pytest
import scipy.sparse as sp

from mlfound.utils import all_displays, all_estimators, all_functions
from mlfound.utils._bad_input_cases import (
    BAD_INPUT_CALLS,
    BAD_INPUT_FITS,
    BAD_INPUT_SCALARS,
    _public_callable,
)


def _narrowest(a):
    """The same integers in the narrowest dtype of their signedness."""
    low, high = int(a.min()), int(a.max())
    kinds = (np.uint8, np.uint16, np.uint32) if low >= 0 else ()
    for dtype in (*kinds, np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return a.astype(dtype)
    return None


def _strided(a):
    """A non-contiguous view holding ``a``."""
    wide = np.zeros((2 * a.shape[0], *a.shape[1:]), dtype=a.dtype)
    wide[::2] = a
    return wide[::2]


def _equivalents(value):
    """``(name, same values in another container)`` for one argument."""
    if sp.issparse(value):
        swapped = sp.csr_matrix(value, copy=True)
        swapped.indices = swapped.indices.astype(
            swapped.indices.dtype.newbyteorder(">")
        )
        swapped.indptr = swapped.indptr.astype(swapped.indptr.dtype.newbyteorder(">"))
        return [("csr_big_endian_indices", swapped)]
    if not isinstance(value, np.ndarray) or value.ndim == 0 or value.size == 0:
        return []
    if value.dtype.kind not in "biuf":
        return []
    out = [("strided", _strided(value))]
    if value.dtype.itemsize > 1 and value.dtype != np.float32:
        out.append(("big_endian", value.astype(value.dtype.newbyteorder(">"))))
    if value.dtype.kind in "iu":
        narrow = _narrowest(value)
        if narrow is not None and narrow.dtype != value.dtype:
            out.append((f"as_{narrow.dtype}", narrow))
    return out


def _numbers(result, depth=0):
    """The numeric arrays reachable in ``result``, in a fixed order."""
    if depth > 4 or result is None or isinstance(result, (str, bytes)):
        return []
    if sp.issparse(result):
        return [result.toarray()]
    if isinstance(result, (numbers.Number, np.number, np.bool_, np.ndarray)):
        a = np.asarray(result)
        return [a] if a.dtype.kind in "biufc" else []
    if isinstance(result, dict):
        return [x for key in sorted(result, key=str) for x in _numbers(result[key])]
    if isinstance(result, (list, tuple)):
        return [x for item in result for x in _numbers(item, depth + 1)]
    if hasattr(result, "to_numpy"):
        return _numbers(result.to_numpy(), depth + 1)
    return []


def _estimator_result(estimator, X):
    fitted = {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_")
    }
    for method in ("predict_proba", "transform", "predict"):
        if hasattr(estimator, method):
            return fitted, getattr(estimator, method)(X)
    return fitted, None


def _assert_same(got, expected, case):
    got, expected = _numbers(got), _numbers(expected)
    assert len(got) == len(expected), case
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape, case
        if e.dtype.kind in "fc" or g.dtype.kind in "fc":
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-300, err_msg=case)
        else:
            np.testing.assert_array_equal(g, e, err_msg=case)


def _function_names():
    """Public functions and display methods with a numeric array argument."""
    names = [n for n, _ in all_functions() if n in BAD_INPUT_CALLS]
    for display, _ in all_displays():
        names += sorted(k for k in BAD_INPUT_CALLS if k.startswith(display + "."))
    return [
        name
        for name in names
        if any(
            _equivalents(value)
            for arg, value in BAD_INPUT_CALLS[name]().items()
            if arg not in BAD_INPUT_SCALARS.get(name, ())
        )
    ]


@pytest.mark.parametrize("name", _function_names())
def test_function_gives_the_same_result_for_the_same_numbers(name):
    func = _public_callable(name)
    valid = BAD_INPUT_CALLS[name]
    expected = func(**valid())
    scalars = BAD_INPUT_SCALARS.get(name, ())
    for arg, value in valid().items():
        if arg in scalars:
            continue
        for mutation, same in _equivalents(value):
            got = func(**{**valid(), arg: same})
            _assert_same(got, expected, f"{name}({arg}: {mutation})")


@pytest.mark.parametrize("name", sorted(BAD_INPUT_FITS))
def test_estimator_fits_the_same_model_on_the_same_numbers(name):
    cls = dict(all_estimators())[name]
    spec = BAD_INPUT_FITS[name]
    X = spec()["fit"]["X"]

    def fit_and_predict(params=None, **fit_kwargs):
        valid = spec()
        estimator = cls(**{**valid["params"], **(params or {})})
        return _estimator_result(estimator.fit(**{**valid["fit"], **fit_kwargs}), X)

    expected = fit_and_predict()
    arguments = [("param", arg, v) for arg, v in spec()["params"].items()]
    arguments += [("fit", arg, v) for arg, v in spec()["fit"].items()]
    if cls().__sklearn_tags__().input_tags.sparse:
        arguments.append(("fit", "X", sp.csr_matrix(X)))
        expected_sparse = fit_and_predict(X=sp.csr_matrix(X))
    for where, arg, value in arguments:
        for mutation, same in _equivalents(value):
            case = f"{name} {where}:{arg}: {mutation}"
            if where == "param":
                got = fit_and_predict({arg: same})
            else:
                got = fit_and_predict(**{arg: same})
            reference = expected_sparse if sp.issparse(same) else expected
            _assert_same(got, reference, case)
