"""Severe imbalance with a non-linear truth: focal loss against its alternatives."""

TITLE = "Imbalance 1:50, non-linear truth fitted linearly: focal loss vs the rest"
ORDER = 10


def run(quick, step):
    import numpy as np
    from scipy.optimize import brentq
    from scipy.special import expit
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlfound.datasets import make_imbalanced
    from mlfound.linear_model import FocalLossClassifier, focal_to_posterior
    from mlfound.metrics import expected_calibration_error

    n_samples = 30_000 if quick else 200_000
    step(f"make_imbalanced({n_samples}) features, labels from a non-linear truth")
    # The "misspecified" scenario of the study in the focal-loss user guide:
    # the effect of x1 flips sign along x0, and a linear model cannot follow.
    X = make_imbalanced(n_samples, n_features=10, random_state=0).X
    z = 4.0 * X[:, 0] + 2.0 * X[:, 1] * (1.0 - X[:, 0])
    intercept = brentq(lambda b: expit(b + z).mean() - 0.02, -50.0, 50.0)
    rng = np.random.default_rng(0)
    y = (rng.random(n_samples) < expit(intercept + z)).astype(int)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )

    def fit_proba(classifier):
        model = make_pipeline(StandardScaler(), classifier).fit(X_train, y_train)
        return model.predict_proba(X_test)

    step("LogisticRegression, plain and class_weight='balanced'")
    plain = fit_proba(LogisticRegression())[:, 1]
    balanced = fit_proba(LogisticRegression(class_weight="balanced"))[:, 1]
    step("FocalLossClassifier(gamma=2, alpha=0.25)")
    focal = fit_proba(FocalLossClassifier(gamma=2.0, alpha=0.25))
    corrected = focal_to_posterior(focal, gamma=2.0, alpha=0.25)[:, 1]
    focal = focal[:, 1]

    ap = {
        name: average_precision_score(y_test, p)
        for name, p in [("plain", plain), ("balanced", balanced), ("focal", focal)]
    }
    gain = ap["focal"] - ap["plain"]
    verdict = "no real difference" if abs(gain) < 0.01 else "a real difference"

    def ece(p):
        return expected_calibration_error(y_test, p, n_bins=20, strategy="quantile")

    return [
        (
            "PR-AUC (held out)",
            f"{ap['plain']:.3f} plain / {ap['balanced']:.3f} balanced",
            f"{ap['focal']:.3f} focal",
        ),
        (
            "focal minus the baseline",
            f"{gain:+.3f} vs plain: {verdict}",
            f"{ap['focal'] - ap['balanced']:+.3f} vs class_weight='balanced'",
        ),
        (
            "calibration error (ECE, 20 bins)",
            f"{ece(plain):.4f} plain LogisticRegression",
            f"{ece(focal):.4f} raw focal / {ece(corrected):.4f} focal_to_posterior",
        ),
    ]
