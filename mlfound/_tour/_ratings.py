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
    from mlfound.ordinal import (
        OrdinalCutPointClassifier,
        OrdinalLogisticRegression,
        likelihood_ratio_test,
    )

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
    step("a polarising feature and an erratic group: nominal and scale effects")
    X, y = _polarised_ratings(2_000 if quick else 20_000)
    effects = OrdinalLogisticRegression(C=np.inf, nominal=[1], scale=[2]).fit(X, y)
    po = OrdinalLogisticRegression(C=np.inf, scale=[2]).fit(X, y)
    lr = likelihood_ratio_test(po, effects)
    g_low, g_high = effects.nominal_coef_[[0, -1], 0]
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
        (
            "polarising feature: effect on cut points 1|2, 4|5 (true +0.6, -0.6)",
            f"one slope: {-po.coef_[1]:+.2f}, {-po.coef_[1]:+.2f}",
            f"nominal: {g_low:+.2f}, {g_high:+.2f}",
        ),
        (
            "proportional odds, likelihood-ratio test",
            "assumed",
            f"rejected: {lr.statistic:.0f} on {lr.df} df, p "
            + (f"= {lr.pvalue:.0e}" if lr.pvalue > 0 else "< 1e-300"),
        ),
        (
            "latent spread of the erratic group (true x2.00)",
            "x1 (not modelled)",
            f"scale effect: x{np.exp(effects.scale_coef_[0]):.2f}",
        ),
    ]


def _polarised_ratings(n_samples):
    """Ratings 1..5 with a nominal effect (column 1) and a scale effect (column 2).

    ``P(y <= k) = expit((theta_k + z g_k - x - 0.3 s) / 2**s)``: ``z`` raises
    the lowest cut point and lowers the highest (more 1- and 5-star ratings),
    and the group ``s = 1`` has twice the latent spread.
    """
    rng = np.random.default_rng(1)
    x = rng.standard_normal(n_samples)
    z = rng.uniform(-2.0, 2.0, n_samples)
    s = rng.integers(0, 2, n_samples).astype(float)
    cuts = np.array([-2.0, -0.7, 0.7, 2.0]) + np.outer(z, [0.6, 0.2, -0.2, -0.6])
    argument = (cuts - (x + 0.3 * s)[:, None]) / (2.0**s)[:, None]
    cumulative = 1.0 / (1.0 + np.exp(-argument))
    y = 1 + (rng.uniform(size=n_samples)[:, None] > cumulative).sum(axis=1)
    return np.column_stack([x, z, s]), y
