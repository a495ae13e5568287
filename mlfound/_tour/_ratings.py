"""Tour scenario: star ratings, ordinal model vs 5-class classification."""

import numpy as np

TITLE = "Star ratings 1-5: an ordinal model vs five unrelated classes"
ORDER = 20


def run(quick, step):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import train_test_split

    from mlfound.datasets import make_star_ratings
    from mlfound.metrics import (
        mean_absolute_class_error,
        off_by_more_than_one_rate,
        quadratic_weighted_kappa,
    )
    from mlfound.ordinal import OrdinalCutPointClassifier, OrdinalLogisticRegression

    step("simulating reviews from a latent linear score (make_star_ratings)")
    data = make_star_ratings(5_000 if quick else 40_000, n_features=10, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, train_size=400, random_state=0
    )
    step("fitting 5-class LogisticRegression on 400 reviews")
    naive = LogisticRegression().fit(X_train, y_train).predict(X_test)
    step("fitting OrdinalLogisticRegression on the same 400 reviews")
    ordinal = OrdinalLogisticRegression().fit(X_train, y_train)
    pred = ordinal.predict_median(X_test)
    step("Ridge on the ratings: rounding vs cut points learned for kappa")
    cuts = OrdinalCutPointClassifier(Ridge(), loss="qwk").fit(X_train, y_train)
    rounded = np.clip(np.round(cuts.latent_score(X_test)), 0, 4).astype(int) + 1
    full = OrdinalLogisticRegression(C=np.inf).fit(data.X, data.y)
    coef_err = np.abs(full.coef_ - data.coef).max()
    cut_err = np.abs(full.thresholds_ - data.thresholds).max()
    return [
        (
            "mean absolute class error (test)",
            f"{mean_absolute_class_error(y_test, naive):.3f}",
            f"{mean_absolute_class_error(y_test, pred):.3f}",
        ),
        (
            "predictions off by 2+ stars",
            f"{off_by_more_than_one_rate(y_test, naive):.1%}",
            f"{off_by_more_than_one_rate(y_test, pred):.1%}",
        ),
        (
            "QWK of Ridge: rounded vs learned cut points",
            f"{quadratic_weighted_kappa(y_test, rounded):.3f}",
            f"{quadratic_weighted_kappa(y_test, cuts.predict(X_test)):.3f}",
        ),
        (
            "parameters fitted",
            f"{5 * (X_train.shape[1] + 1)}",
            f"{X_train.shape[1] + 4}",
        ),
        (
            f"max error vs true coef / cut points (n={len(data.y)})",
            "-",
            f"{coef_err:.3f} / {cut_err:.3f}",
        ),
    ]
