"""High-cardinality categoricals: leaky group-by mean vs cross-fitted encoding."""

TITLE = "High-cardinality categoricals: leaky group-by mean vs cross-fitted encoding"
ORDER = 50


def _auc_pair(Z_train, y_train, Z_test, y_test):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    model = LogisticRegression().fit(Z_train, y_train)
    return (
        roc_auc_score(y_train, model.decision_function(Z_train)),
        roc_auc_score(y_test, model.decision_function(Z_test)),
    )


def run(quick, step):
    from sklearn.model_selection import train_test_split

    from mlfound.datasets import make_high_cardinality
    from mlfound.preprocessing import TargetEncoder

    n_samples = 20_000 if quick else 200_000
    step(f"make_high_cardinality({n_samples}): city, product and a noise user_id")
    data = make_high_cardinality(n_samples, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        data.X, data.y, test_size=0.3, random_state=0, stratify=data.y
    )
    rows = []
    for label, columns in (("noise user_id only", [2]), ("all 3 columns", [0, 1, 2])):
        A, B = X_train[:, columns], X_test[:, columns]
        step(f"{label}: full-data group-by mean (fit, then transform train)")
        naive = TargetEncoder(smooth=0.0).fit(A, y_train)
        naive_train, naive_test = _auc_pair(
            naive.transform(A), y_train, naive.transform(B), y_test
        )
        step(f"{label}: mlfound TargetEncoder.fit_transform (5-fold cross-fitting)")
        encoder = TargetEncoder(random_state=0)
        safe_train, safe_test = _auc_pair(
            encoder.fit_transform(A, y_train), y_train, encoder.transform(B), y_test
        )
        rows.append(
            (f"{label}: train ROC AUC", f"{naive_train:.3f}", f"{safe_train:.3f}")
        )
        rows.append((f"{label}: test ROC AUC", f"{naive_test:.3f}", f"{safe_test:.3f}"))
    return rows
