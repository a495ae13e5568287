"""Severe imbalance 1:100: focal loss vs plain and class-weighted logistic."""

TITLE = "Imbalance 1:100: focal loss vs class weights, judged by PR-AUC"
ORDER = 10


def run(quick, step):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import train_test_split

    from mlfound.datasets import make_imbalanced
    from mlfound.linear_model import FocalLossClassifier, focal_to_posterior

    n_samples = 20_000 if quick else 100_000
    step(f"make_imbalanced({n_samples}, imbalance_ratio=100)")
    data = make_imbalanced(n_samples, imbalance_ratio=100, random_state=0)
    X_train, X_test, y_train, y_test, _, post_test = train_test_split(
        data.X, data.y, data.posterior, test_size=0.5, stratify=data.y, random_state=0
    )

    def pr_auc(model):
        return average_precision_score(y_test, model.predict_proba(X_test)[:, 1])

    step("LogisticRegression, plain and class_weight='balanced'")
    plain = LogisticRegression().fit(X_train, y_train)
    balanced = LogisticRegression(class_weight="balanced").fit(X_train, y_train)
    step("FocalLossClassifier(gamma=2)")
    focal = FocalLossClassifier(gamma=2.0).fit(X_train, y_train)

    raw = focal.predict_proba(X_test)[:, 1]
    fixed = focal_to_posterior(focal.predict_proba(X_test), gamma=2.0)[:, 1]
    return [
        ("accuracy of 'always negative'", f"{1 - y_test.mean():.3f}", "(useless)"),
        (
            "PR-AUC (held out)",
            f"{pr_auc(plain):.3f} plain / {pr_auc(balanced):.3f} balanced",
            f"{pr_auc(focal):.3f} focal",
        ),
        (
            "mean |p - true posterior|",
            f"{np.mean(np.abs(raw - post_test)):.4f} raw focal proba",
            f"{np.mean(np.abs(fixed - post_test)):.4f} after focal_to_posterior",
        ),
    ]
