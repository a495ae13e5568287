"""Fraud: the decision threshold that minimizes expected cost."""

TITLE = "Fraud (1% positives, FP=1, FN=50): a cost-sensitive decision threshold"
ORDER = 30


def run(quick, step):
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from mlfound.datasets import make_fraud
    from mlfound.metrics import expected_cost
    from mlfound.model_selection import CostSensitiveThresholdClassifier

    cost = {"fp": 1, "fn": 50}
    step("generating transactions with make_fraud")
    data = make_fraud(n_samples=20_000 if quick else 200_000, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=0.5, stratify=data.y, random_state=0
    )
    step("fitting LogisticRegression, predicting at threshold 0.5")
    plain = LogisticRegression().fit(X_train, y_train)
    pred_plain = plain.predict(X_test)
    step("tuning the threshold on 5-fold out-of-fold scores")
    tuned = CostSensitiveThresholdClassifier(LogisticRegression(), cost_matrix=cost)
    pred_tuned = tuned.fit(X_train, y_train).predict(X_test)
    fraud = y_test == 1
    return [
        (
            "expected cost / transaction",
            f"{expected_cost(y_test, pred_plain, cost_matrix=cost):.4f} at 0.5",
            f"{expected_cost(y_test, pred_tuned, cost_matrix=cost):.4f} at tuned "
            f"{tuned.best_threshold_:.4f}",
        ),
        (
            "fraud caught (recall)",
            f"{pred_plain[fraud].mean():.1%}",
            f"{pred_tuned[fraud].mean():.1%}",
        ),
        (
            "legitimate blocked (FPR)",
            f"{pred_plain[~fraud].mean():.2%}",
            f"{pred_tuned[~fraud].mean():.2%}",
        ),
    ]
