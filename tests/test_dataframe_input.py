"""Every estimator fitted on a polars or Arrow-backed pandas DataFrame.

Driven by :func:`mlfound.utils.all_estimators` and the valid fit calls of
:mod:`mlfound.utils._bad_input_cases`: the fit on a DataFrame must give the
same predictions/encodings as the fit on the NumPy array, keep the column
names in ``feature_names_in_``, and transformers must return the frame kind
asked for with ``set_output``.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.validation import _get_feature_names

from mlfound.utils import all_estimators
from mlfound.utils._bad_input_cases import BAD_INPUT_FITS

pl = pytest.importorskip("polars")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

_METHODS = ("predict", "predict_proba", "decision_function", "transform")
ESTIMATORS = dict(all_estimators())


def _frame(X, kind):
    names = [f"col_{j}" for j in range(X.shape[1])]
    if kind == "polars":
        return pl.DataFrame({n: X[:, j] for j, n in enumerate(names)})
    dtype = "int64[pyarrow]" if X.dtype.kind in "iu" else "double[pyarrow]"
    return pd.DataFrame(
        {n: pd.Series(X[:, j], dtype=dtype) for j, n in enumerate(names)}
    )


def _outputs(estimator, X):
    out = {}
    for method in _METHODS:
        if hasattr(estimator, method):
            out[method] = np.asarray(getattr(estimator, method)(X))
    return out


# The toy fits warn about their own data (crossing cut points, bound
# propensities) whatever the input kind: not what is tested here.
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_dataframe_fit_equals_numpy_fit(name):
    if name not in BAD_INPUT_FITS:
        pytest.skip(f"{name} has no valid fit call in _bad_input_cases.")
    case = BAD_INPUT_FITS[name]()
    fit = dict(case["fit"])
    X = np.asarray(fit.pop("X"))
    base = ESTIMATORS[name](**case["params"])
    if "random_state" in base.get_params():
        base.set_params(random_state=0)
    on_numpy = clone(base).fit(X, **fit)
    assert not hasattr(on_numpy, "feature_names_in_")
    expected = _outputs(on_numpy, X)
    checked = 0
    for kind in ("polars", "pandas_arrow"):
        frame = _frame(X, kind)
        if _get_feature_names(frame) is None:
            continue  # this scikit-learn reads no column names from the frame
        checked += 1
        on_frame = clone(base).fit(frame, **fit)
        assert on_frame.feature_names_in_.tolist() == list(frame.columns)
        got = _outputs(on_frame, frame)
        assert expected.keys() == got.keys()
        for method, value in expected.items():
            np.testing.assert_allclose(
                got[method].astype(float), value.astype(float), rtol=0,
                atol=1e-10, err_msg=f"{name}.{method} on {kind}",
            )  # fmt: skip
        if hasattr(on_frame, "transform") and hasattr(on_frame, "set_output"):
            on_frame.set_output(transform="polars" if kind == "polars" else "pandas")
            out = on_frame.transform(frame)
            frame_type = pl.DataFrame if kind == "polars" else pd.DataFrame
            assert isinstance(out, frame_type)
            assert list(out.columns) == list(on_frame.get_feature_names_out())
            np.testing.assert_allclose(
                np.asarray(out, dtype=float), expected["transform"].astype(float),
                rtol=0, atol=1e-10,
            )  # fmt: skip
    if not checked:
        pytest.skip("this scikit-learn reads no column names from DataFrames.")
