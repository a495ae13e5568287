"""All pairwise paired tests of several models, with adjusted p-values."""

import numbers
from itertools import combinations

import numpy as np

from mlfound.model_selection._fold_scores import fold_scores
from mlfound.model_selection._paired_statistics import TESTS
from mlfound.model_selection._paired_tests import _test_from_scores
from mlfound.utils._param_validation import (
    Interval,
    RealNotInt,
    StrOptions,
    validate_params,
)


def adjust_pvalues(pvalues, method="holm"):
    """Family-wise adjusted p-values (Holm's step-down or Bonferroni).

    Bonferroni: ``min(1, m p_i)``. Holm: with the p-values sorted,
    ``p_(1) <= ... <= p_(m)``, the adjusted ``p_(i)`` is
    ``max_{j <= i} min(1, (m - j + 1) p_(j))``; it rejects everything
    Bonferroni rejects and more, with the same family-wise error guarantee.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.shape[0]
    if method == "bonferroni":
        return np.minimum(1.0, m * p)
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(stepped)
    return adjusted


def _check_estimators(estimators):
    if not isinstance(estimators, dict):
        raise TypeError(
            f"estimators must be a dict {{name: estimator}}, got "
            f"{type(estimators).__name__}."
        )
    if len(estimators) < 2:
        raise ValueError(
            f"estimators must hold at least 2 models to compare, got {len(estimators)}."
        )
    for name, est in estimators.items():
        if not isinstance(name, str):
            raise TypeError(f"estimators: the key {name!r} is not a string name.")
        if not hasattr(est, "fit"):
            raise TypeError(
                f"estimators[{name!r}] is {type(est).__name__}, not an estimator "
                f"with a fit method."
            )


@validate_params(
    {
        "estimators": [dict],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "cv": ["cv_object", None],
        "scoring": [str, callable, None],
        "test": [StrOptions(set(TESTS))],
        "method": [StrOptions({"holm", "bonferroni"})],
        "alpha": [Interval(RealNotInt, 0, 1, closed="neither")],
        "params": [dict, None],
        "groups": ["array-like", None],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def compare_models(
    estimators,
    X,
    y,
    *,
    cv=None,
    scoring=None,
    test="corrected_t",
    method="holm",
    alpha=0.05,
    params=None,
    groups=None,
    n_jobs=None,
    random_state=None,
):
    """Paired tests of every pair of models on the same folds, p-values adjusted.

    Each estimator is fitted once per split (not once per pair), every split
    shared by all of them; each of the ``m = K (K - 1) / 2`` pairs is then
    tested as by :func:`paired_cv_test`, and the ``m`` p-values are adjusted
    for the family-wise error rate. Read more in the :ref:`User Guide
    <model_comparison>`.

    Parameters
    ----------
    estimators : dict of {str: estimator}
        The models, by name (at least two).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data.
    y : array-like of shape (n_samples,)
        The target.
    cv : int, cross-validation generator, iterable or None, default=None
        The splits, as in :func:`paired_cv_test`.
    scoring : str, callable or None, default=None
        The scorer (greater is better), the same for every model.
    test : {"corrected_t", "paired_t", "5x2cv_t", "5x2cv_f", "wilcoxon"}, \
            default="corrected_t"
        The paired test, as in :func:`paired_cv_test`.
    method : {"holm", "bonferroni"}, default="holm"
        The p-value adjustment. Holm's step-down procedure is uniformly more
        powerful than Bonferroni with the same guarantee.
    alpha : float, default=0.05
        Family-wise error rate for ``reject`` and level of the intervals.
    params : dict or None, default=None
        Fit parameters passed to every estimator's ``fit``.
    groups : array-like of shape (n_samples,) or None, default=None
        Group labels passed to the splitter.
    n_jobs : int or None, default=None
        Number of jobs over splits (each fits every estimator).
    random_state : int, RandomState instance or None, default=None
        Shuffles the default splits.

    Returns
    -------
    table : pandas.DataFrame
        One row per pair, ``model_a`` before ``model_b`` in the order of
        ``estimators``, with columns ``mean_difference`` (a minus b),
        ``statistic``, ``df``, ``pvalue``, ``pvalue_adjusted``, ``reject``
        (adjusted p-value below ``alpha``), ``ci_low`` and ``ci_high`` (NaN
        for tests without an interval). ``table.attrs["scores"]`` holds the
        per-split scores (a DataFrame with one column per model),
        ``table.attrs["test"]`` and ``table.attrs["method"]`` the choices.

    See Also
    --------
    paired_cv_test : One pair, with the full result object.

    References
    ----------
    .. [1] S. Holm, "A simple sequentially rejective multiple test
       procedure", Scandinavian Journal of Statistics 6, 65-70, 1979.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from mlfound.model_selection import compare_models
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> table = compare_models(
    ...     {"logistic": LogisticRegression(), "bayes": GaussianNB(),
    ...      "dummy": DummyClassifier()}, X, y, random_state=0)
    >>> for row in table.itertuples():
    ...     print(row.model_a, row.model_b, row.reject)
    logistic bayes False
    logistic dummy True
    bayes dummy True
    """
    import pandas as pd

    _check_estimators(estimators)
    names = list(estimators)
    scores, n_train, n_test = fold_scores(
        [estimators[n] for n in names],
        X,
        y,
        cv=cv,
        test=test,
        scoring=scoring,
        params=params,
        groups=groups,
        n_jobs=n_jobs,
        rs=random_state,
    )
    rows = []
    for i, j in combinations(range(len(names)), 2):
        result = _test_from_scores(test, scores[i], scores[j], n_train, n_test, alpha)
        ci = result.confidence_interval or (np.nan, np.nan)
        rows.append(
            {
                "model_a": names[i],
                "model_b": names[j],
                "mean_difference": result.mean_difference,
                "statistic": result.statistic,
                "df": result.df,
                "pvalue": result.pvalue,
                "ci_low": ci[0],
                "ci_high": ci[1],
            }
        )
    table = pd.DataFrame(rows)
    table["pvalue_adjusted"] = adjust_pvalues(table["pvalue"].to_numpy(), method)
    table["reject"] = table["pvalue_adjusted"] < alpha
    table = table[
        [
            "model_a",
            "model_b",
            "mean_difference",
            "statistic",
            "df",
            "pvalue",
            "pvalue_adjusted",
            "reject",
            "ci_low",
            "ci_high",
        ]
    ]
    table.attrs["scores"] = pd.DataFrame(scores.T, columns=names)
    table.attrs["test"] = test
    table.attrs["method"] = method
    return table
