import inspect

import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

from mlfound.utils import all_displays, all_estimators, all_functions


def test_all_estimators_returns_sorted_public_estimator_classes():
    estimators = all_estimators()
    names = [name for name, _ in estimators]
    assert names == sorted(names)
    for name, cls in estimators:
        assert inspect.isclass(cls) and issubclass(cls, BaseEstimator)
        assert not name.startswith("_")
        assert cls.__module__.startswith("mlfound.")


@pytest.mark.parametrize(
    ("type_filter", "mixin"),
    [("classifier", ClassifierMixin), ("transformer", TransformerMixin)],
)
def test_all_estimators_type_filter(type_filter, mixin):
    filtered = all_estimators(type_filter=type_filter)
    assert all(issubclass(cls, mixin) for _, cls in filtered)
    expected = [(n, c) for n, c in all_estimators() if issubclass(c, mixin)]
    assert filtered == expected
    both = all_estimators(type_filter=["classifier", "transformer"])
    assert set(filtered) <= set(both)


def test_all_estimators_rejects_unknown_type_filter():
    with pytest.raises(ValueError, match="type_filter must be None or a subset"):
        all_estimators(type_filter="forecaster")


def test_all_functions_and_displays_are_public_mlfound_objects():
    functions = dict(all_functions())
    assert "all_estimators" in functions and "show_versions" in functions
    assert all(inspect.isfunction(f) for f in functions.values())
    for name, cls in all_displays():
        assert name.endswith("Display") and inspect.isclass(cls)
