"""Honest model comparison: corrected vs plain paired t-test; stability selection."""

TITLE = "Comparing models: corrected resampled t-test, stability selection"
ORDER = 60


def run(quick, step):
    import numpy as np
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.linear_model import LassoCV
    from sklearn.model_selection import RepeatedKFold

    from mlfound.feature_selection import StabilitySelector
    from mlfound.model_selection._fold_scores import fold_scores
    from mlfound.model_selection._paired_tests import _test_from_scores

    class OneFeature(ClassifierMixin, BaseEstimator):
        def __init__(self, feature=0):
            self.feature = feature

        def fit(self, X, y):
            x = X[:, self.feature]
            self.classes_ = np.array([0, 1])
            self.cut_ = 0.5 * (x[y == 0].mean() + x[y == 1].mean())
            return self

        def predict(self, X):
            return (X[:, self.feature] > self.cut_).astype(int)

    # 40 data sets already separate the two rates (about 0.4 against 0.03);
    # the full tour uses 400 for the digits it prints.
    reps = 40 if quick else 400
    step(f"{reps} data sets where two models are equally good, 5-fold CV x 5")
    rng = np.random.default_rng(0)
    models = [OneFeature(0), OneFeature(1)]
    rejected = {"corrected_t": 0, "paired_t": 0}
    for r in range(reps):
        X = rng.normal(size=(100, 2))
        y = (X[:, 0] + X[:, 1] + rng.normal(size=100) > 0).astype(int)
        cv = RepeatedKFold(n_splits=5, n_repeats=5, random_state=r)
        scores, n_train, n_test = fold_scores(
            models,
            X,
            y,
            cv=cv,
            test="corrected_t",
            scoring="accuracy",
            params=None,
            groups=None,
            n_jobs=None,
            rs=None,
        )
        for test in rejected:
            p = _test_from_scores(test, *scores, n_train, n_test, 0.05).pvalue
            rejected[test] += p < 0.05

    step("sparse regression n=500, p=50, 5 true features: LassoCV vs stability")
    X = rng.normal(size=(500, 50))
    beta = np.zeros(50)
    beta[:5] = [3, -2, 1.5, -1, 0.8]
    y = X @ beta + rng.normal(size=500)
    lasso = LassoCV(cv=5, random_state=0).fit(X, y)
    selector = StabilitySelector(
        n_resamples=30 if quick else 100,
        alphas=10,
        penalty_weakness=0.5,
        random_state=0,
    ).fit(X, y)
    kept = selector.get_support(indices=True)
    return [
        (
            "false rejections at alpha=0.05",
            f"{rejected['paired_t'] / reps:.1%} plain paired t",
            f"{rejected['corrected_t'] / reps:.1%} corrected t",
        ),
        (
            "features kept (5 true)",
            f"{np.count_nonzero(lasso.coef_)} by LassoCV",
            f"{kept.size} by stability selection "
            f"(E[false] <= {selector.false_selection_bound_:.2f})",
        ),
    ]
