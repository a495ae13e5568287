"""Common checks run on every public mlfound estimator.

Estimators are discovered with :func:`mlfound.utils.all_estimators`, so a new
one is checked the day it lands, with no edit here. Per-estimator adjustments
(faster test parameters, expected check failures with their reason) live in
:mod:`mlfound.utils._test_common`.
"""

import pickle
from importlib import import_module

import numpy as np
import pytest
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import make_pipeline as make_imblearn_pipeline
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlfound.utils import all_estimators
from mlfound.utils._test_common import (
    _construct_instance,
    _fit_data,
    _get_expected_failed_checks,
)

ESTIMATORS = [_construct_instance(cls) for _, cls in all_estimators()]
ESTIMATOR_IDS = [type(est).__name__ for est in ESTIMATORS]

_PREDICT_METHODS = ("predict", "predict_proba", "decision_function", "transform")


def test_all_estimators_are_discovered_and_public():
    for name, cls in all_estimators():
        assert not name.startswith("_")
        module = cls.__module__.split(".")
        assert module[0] == "mlfound"
        public = ".".join(p for p in module if not p.startswith("_"))
        assert name in import_module(public).__all__


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_get_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def _is_predictor(estimator):
    """Classifiers, regressors and other models that predict (rankers)."""
    return (
        is_classifier(estimator)
        or is_regressor(estimator)
        or not hasattr(estimator, "transform")
    )


def _as_predictor(estimator):
    """A transformer is followed by a classifier so that it can be scored."""
    if _is_predictor(estimator):
        return estimator
    return make_pipeline(estimator, LogisticRegression())


def _grid_param(estimator):
    """A parameter of ``estimator`` with a simple value to grid-search over."""
    for name, value in sorted(estimator.get_params(deep=False).items()):
        if isinstance(value, (bool, int, float, str)) and value is not None:
            return name, value
    pytest.skip(f"{type(estimator).__name__} has no simple parameter to search.")


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_clone_and_pickle_round_trip(estimator):
    X, y = _fit_data(estimator)
    fitted = clone(estimator).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    compared = 0
    for method in _PREDICT_METHODS:
        if hasattr(fitted, method):
            np.testing.assert_array_equal(
                getattr(fitted, method)(X), getattr(restored, method)(X)
            )
            compared += 1
    assert compared > 0
    assert clone(restored).get_params() == estimator.get_params()


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_in_pipeline(estimator):
    X, y = _fit_data(estimator)
    if _is_predictor(estimator):
        pipe = make_pipeline(StandardScaler(), clone(estimator))
    else:
        pipe = _as_predictor(clone(estimator))
    pipe.fit(X, y)
    assert pipe.score(X, y) == pytest.approx(pipe.score(X, y))
    assert pipe.predict(X).shape[0] == X.shape[0]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_in_grid_search_with_parallel_jobs(estimator):
    X, y = _fit_data(estimator)
    name, value = _grid_param(estimator)
    model = _as_predictor(clone(estimator))
    key = name if type(model) is type(estimator) else f"{model.steps[0][0]}__{name}"
    search = GridSearchCV(model, {key: [value, value]}, cv=3, n_jobs=2)
    search.fit(X, y)
    assert search.best_params_[key] == value
    assert np.isfinite(search.best_score_)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=ESTIMATOR_IDS)
def test_after_smote_in_imblearn_pipeline(estimator):
    if is_regressor(estimator):
        pytest.skip("SMOTE resamples classification targets only.")
    if not estimator.__sklearn_tags__().input_tags.two_d_array:
        pytest.skip("Estimator does not accept numeric 2-d input.")
    X, y = _fit_data(estimator, imbalanced=True)
    model = _as_predictor(clone(estimator))
    pipe = make_imblearn_pipeline(SMOTE(random_state=0), model)
    pipe.fit(X, y)
    assert pipe.predict(X).shape == y.shape
