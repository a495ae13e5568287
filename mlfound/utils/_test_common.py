"""What the common tests need to know about individual estimators.

``tests/test_common.py`` discovers every public estimator with
:func:`mlfound.utils.all_estimators` and runs scikit-learn's
``check_estimator`` suite plus mlfound's own integration checks on it; a new
estimator is tested the day it lands, with no list to edit. The tables
below only *adjust* that: keep them short, and give a reason for every entry.
"""

import re

# Parameters that make the default instance faster to test without changing
# what is tested, e.g. {"CostSensitiveThresholdClassifier": {"cv": 3}}.
TEST_PARAMS = {
    # 3 folds instead of 5: same code paths, fewer inner fits.
    "CostSensitiveThresholdClassifier": {"cv": 3},
    # 10 subsamples on a 5-point grid instead of 100 x 20: same code paths.
    "StabilitySelector": {"n_resamples": 10, "alphas": 5},
    # the first row has no history: 0 instead of NaN for the downstream
    # LogisticRegression of the pipeline checks
    "LagFeatures": {"fill_value": 0.0},
}

# Checks that are expected to fail, with the reason, per estimator class name:
# {"EstimatorName": {"check_name": "why this check cannot pass"}}.
# Never list a whole estimator; list individual checks.
_STRING_LABELS_NEED_ORDER = (
    "fits string labels ('one', 'two', 'three') without an order: an ordinal "
    "model refuses to guess one from the alphabet and raises a ValueError "
    "asking for `categories` (or an ordered pandas Categorical)"
)
_HISTORY_TRANSFORM = (
    "transform continues the fitted history: it treats X as the period after "
    "the fitted rows, so fit(X).transform(X) differs from fit_transform(X) by "
    "design (using fit_transform's values for X would be the leak)"
)
_ROW_DEPENDENT = (
    "a row's lag and window features are the values of the rows before it in "
    "its entity: reordering or subsetting the rows changes them by design"
)
_OUT_OF_FOLD = (
    "fit_transform returns out-of-fold predictions and transform those of the "
    "model refit on all rows (the leakage-safe contract, as TargetEncoder's): "
    "they differ by design"
)
EXPECTED_FAILED_CHECKS = {
    "OutOfFoldTransformer": {
        "check_transformer_general": _OUT_OF_FOLD,
        "check_transformer_data_not_an_array": _OUT_OF_FOLD,
    },
    "LagFeatures": {
        "check_transformer_general": _HISTORY_TRANSFORM,
        "check_transformer_data_not_an_array": _HISTORY_TRANSFORM,
        "check_methods_sample_order_invariance": _ROW_DEPENDENT,
        "check_methods_subset_invariance": _ROW_DEPENDENT,
    },
    "CostSensitiveThresholdClassifier": {
        "check_classifiers_train": (
            "predict thresholds the scores at the tuned best_threshold_, not at "
            "probability 0.5 / decision value 0, so decision_function > 0 need "
            "not agree with predict (as for scikit-learn's threshold tuners)."
        ),
    },
    "ConditionalOrdinalClassifier": {
        "check_classifiers_classes": _STRING_LABELS_NEED_ORDER,
    },
    "CumulativeBinaryClassifier": {
        "check_classifiers_classes": _STRING_LABELS_NEED_ORDER,
    },
    "OrdinalCutPointClassifier": {
        "check_classifiers_classes": _STRING_LABELS_NEED_ORDER,
    },
    "OrdinalLogisticRegression": {
        "check_classifiers_classes": _STRING_LABELS_NEED_ORDER,
    },
}


def _fit_data(estimator, *, imbalanced=False):
    """Small ``(X, y)`` that ``estimator`` can be fitted on in the common tests.

    Regressors get a regression problem; every other estimator (classifiers,
    ordinal models, supervised transformers, meta-estimators) a binary
    classification problem with four numeric features.
    """
    from sklearn.base import is_regressor
    from sklearn.datasets import make_classification, make_regression

    if is_regressor(estimator):
        return make_regression(n_samples=120, n_features=4, random_state=0)
    return make_classification(
        n_samples=200,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        weights=[0.85, 0.15] if imbalanced else None,
        random_state=0,
    )


def _construct_instance(estimator_class):
    """The default instance of ``estimator_class`` used by the common tests."""
    estimator = estimator_class()
    params = TEST_PARAMS.get(estimator_class.__name__)
    if params:
        estimator.set_params(**params)
    return estimator


# Checks that fail on older scikit-learn releases because of the check itself,
# not the estimator: {first fixed release: (applies(estimator), {check: why})}.
# They apply only below that release (the floors run of .ci/run tests the
# oldest supported one), so the newest run still holds the estimator to them.
_BINARY_LABELS_FROM_FIRST_ROW = (
    "scikit-learn < 1.7 binarizes the check's 3-class target for a binary-only "
    "classifier around the *first* label, and does so after shuffling the "
    "weighted copy but not the repeated one: the two fits see different "
    "binary problems (scikit-learn issue #30770, fixed in 1.7 by taking the "
    "smallest label). With 1.7's rule the check passes on 1.6 as well."
)
VERSION_EXPECTED_FAILED_CHECKS = {
    "1.7": (
        lambda tags: (
            tags.classifier_tags is not None and not tags.classifier_tags.multi_class
        ),
        {
            "check_sample_weight_equivalence_on_dense_data": (
                _BINARY_LABELS_FROM_FIRST_ROW
            ),
            "check_sample_weight_equivalence_on_sparse_data": (
                _BINARY_LABELS_FROM_FIRST_ROW
            ),
        },
    ),
}


def _major_minor(version):
    """``(1, 10)`` for "1.10.2", "1.10rc1" or "1.10.dev0"."""
    major, minor = version.split(".")[:2]
    return int(major), int(re.match(r"\d+", minor)[0])


def _get_expected_failed_checks(estimator):
    """``{check_name: reason}`` for ``estimator`` (empty when none)."""
    import sklearn

    failed = dict(EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {}))
    installed = _major_minor(sklearn.__version__)
    tags = estimator.__sklearn_tags__()
    for fixed_in, (applies, checks) in VERSION_EXPECTED_FAILED_CHECKS.items():
        if installed < _major_minor(fixed_in) and applies(tags):
            failed.update(checks)
    return failed
