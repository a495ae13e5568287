"""OutOfFoldTransformer against cross_val_predict, and stacking without leak."""

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    StratifiedKFold,
    TimeSeriesSplit,
    cross_val_predict,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline

from mlfound.preprocessing import OutOfFoldTransformer


@pytest.mark.parametrize(
    "method", ["predict_proba", "decision_function", "predict", "auto"]
)
def test_equals_cross_val_predict_with_the_same_folds(method):
    X, y = make_classification(
        n_samples=120, n_classes=3, n_informative=4, random_state=0
    )
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    oof = OutOfFoldTransformer(LogisticRegression(), cv=cv, response_method=method)
    got = oof.fit_transform(X, y)
    ref_method = "predict_proba" if method == "auto" else method
    expected = cross_val_predict(LogisticRegression(), X, y, cv=cv, method=ref_method)
    np.testing.assert_allclose(got, expected.reshape(len(y), -1))
    full = LogisticRegression().fit(X, y)
    np.testing.assert_allclose(
        oof.transform(X), getattr(full, ref_method)(X).reshape(len(y), -1)
    )


def test_binary_keeps_the_positive_column_and_regression_predict():
    X, y = make_classification(n_samples=80, random_state=0)
    oof = OutOfFoldTransformer(cv=KFold(4))
    np.testing.assert_allclose(
        oof.fit_transform(X, y)[:, 0],
        cross_val_predict(
            LogisticRegression(), X, y, cv=KFold(4), method="predict_proba"
        )[:, 1],
    )
    Xr, yr = make_regression(n_samples=60, random_state=0)
    got = OutOfFoldTransformer(Ridge(), cv=3).fit_transform(Xr, yr)
    np.testing.assert_allclose(got[:, 0], cross_val_predict(Ridge(), Xr, yr, cv=3))


def test_time_series_split_leaves_first_window_nan():
    X, y = make_regression(n_samples=50, random_state=0)
    cv = TimeSeriesSplit(4)
    got = OutOfFoldTransformer(LinearRegression(), cv=cv).fit_transform(X, y)
    first_test = next(cv.split(X))[1][0]
    assert np.isnan(got[:first_test]).all()
    for train, test in cv.split(X):
        ref = LinearRegression().fit(X[train], y[train]).predict(X[test])
        np.testing.assert_allclose(got[test, 0], ref)


def test_groups_and_sample_weight_are_routed():
    X, y = make_classification(n_samples=90, random_state=1)
    groups = np.arange(90) % 9
    w = np.linspace(0.2, 2.0, 90)
    with sklearn.config_context(enable_metadata_routing=True):
        est = LogisticRegression().set_fit_request(sample_weight=True)
        oof = OutOfFoldTransformer(est, cv=GroupKFold(3))
        got = oof.fit_transform(X, y, sample_weight=w, groups=groups)
        expected = cross_val_predict(
            est,
            X,
            y,
            cv=GroupKFold(3),
            method="predict_proba",
            params={"sample_weight": w, "groups": groups},
        )
    np.testing.assert_allclose(got[:, 0], expected[:, 1])
    # without routing: sample_weight goes to the estimator, groups to split
    got2 = OutOfFoldTransformer(cv=GroupKFold(3)).fit_transform(
        X, y, sample_weight=w, groups=groups
    )
    np.testing.assert_allclose(got2, got)


def test_stacking_without_leak_scores_alike_in_cv_and_on_holdout():
    """In-sample stacking inflates the CV score of the stack; OOF does not."""
    X, y = make_classification(
        n_samples=1600, n_features=20, n_informative=5, flip_y=0.2, random_state=0
    )
    X_tr, y_tr, X_te, y_te = X[:1000], y[:1000], X[1000:], y[1000:]
    forest = RandomForestClassifier(n_estimators=60, random_state=0)
    # naive: the forest's in-sample probabilities as the feature
    naive_f = forest.fit(X_tr, y_tr)
    Z_tr = naive_f.predict_proba(X_tr)[:, 1:]
    naive_cv = cross_val_score(
        LogisticRegression(), Z_tr, y_tr, cv=5, scoring="roc_auc"
    ).mean()
    naive_model = LogisticRegression().fit(Z_tr, y_tr)
    naive_hold = roc_auc_score(
        y_te, naive_model.predict_proba(naive_f.predict_proba(X_te)[:, 1:])[:, 1]
    )
    assert naive_cv > naive_hold + 0.1  # the leak: near-perfect in-sample
    oof = OutOfFoldTransformer(forest, cv=5)
    Z_oof = oof.fit_transform(X_tr, y_tr)
    safe_cv = cross_val_score(
        LogisticRegression(), Z_oof, y_tr, cv=5, scoring="roc_auc"
    ).mean()
    stack = LogisticRegression().fit(Z_oof, y_tr)
    safe_hold = roc_auc_score(y_te, stack.predict_proba(oof.transform(X_te))[:, 1])
    assert safe_cv <= safe_hold + 0.03


def test_in_a_pipeline_and_bad_response_method():
    X, y = make_classification(n_samples=60, random_state=0)
    pipe = make_pipeline(OutOfFoldTransformer(cv=3), LogisticRegression()).fit(X, y)
    assert pipe.score(X, y) > 0.5
    with pytest.raises(ValueError, match="response_method"):
        OutOfFoldTransformer(Ridge(), response_method="predict_proba").fit(X, y)
