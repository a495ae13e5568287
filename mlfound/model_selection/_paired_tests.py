"""Paired tests of two estimators on identical cross-validation folds."""

import numbers
from dataclasses import dataclass, field

import numpy as np

from mlfound.model_selection import _paired_statistics as ps
from mlfound.model_selection._fold_scores import fold_scores
from mlfound.utils._param_validation import (
    HasMethods,
    Interval,
    RealNotInt,
    StrOptions,
    validate_params,
)

_CI_MEANING = {
    "corrected_t": "mean difference +- t(J-1) x corrected standard error",
    "paired_t": "mean difference +- t(J-1) x naive standard error (too narrow)",
    "5x2cv_t": "first-fold difference d_11 +- t(5) x sqrt(mean s_i^2)",
    "5x2cv_f": "none: the combined F-test has no single contrast to bound",
    "wilcoxon": "none: the signed-rank test is not a test of the mean",
}


@dataclass(frozen=True, repr=False, eq=False)
class PairedTestResult:
    """Result of :func:`paired_cv_test`: the test, its numbers and the scores.

    Parameters
    ----------
    test : str
        The test used (``"corrected_t"``, ``"paired_t"``, ``"5x2cv_t"``,
        ``"5x2cv_f"`` or ``"wilcoxon"``).
    statistic : float
        The test statistic (t, F or the Wilcoxon W).
    pvalue : float
        Two-sided p-value of "both estimators score the same".
    df : int, tuple of int or None
        Degrees of freedom (``(10, 5)`` for the F-test, ``None`` for Wilcoxon).
    mean_difference : float
        Mean over the splits of ``scores_a - scores_b`` (positive: ``a``
        scores higher, i.e. is better for a greater-is-better scorer).
    confidence_interval : tuple of float or None
        ``(low, high)`` at level ``1 - alpha`` for the t tests (see
        ``ci_meaning``); ``None`` for the F and Wilcoxon tests.
    confidence_level : float
        ``1 - alpha``.
    scores_a, scores_b : ndarray of shape (n_splits,)
        The score of each estimator on each split, in the order of the splits.
    test_train_ratio : float
        Mean test size over mean training size (the Nadeau-Bengio correction).
    ci_meaning : str
        What ``confidence_interval`` is for this test.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlfound.model_selection import paired_cv_test
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> result = paired_cv_test(LogisticRegression(), DummyClassifier(), X, y,
    ...                         random_state=0)
    >>> result.test, result.scores_a.shape
    ('corrected_t', (10,))
    """

    test: str
    statistic: float
    pvalue: float
    df: object
    mean_difference: float
    confidence_interval: object
    confidence_level: float
    scores_a: np.ndarray = field(default_factory=lambda: np.empty(0))
    scores_b: np.ndarray = field(default_factory=lambda: np.empty(0))
    test_train_ratio: float = float("nan")
    ci_meaning: str = ""

    def __repr__(self):
        ci = self.confidence_interval
        ci_text = "None" if ci is None else f"({ci[0]:.4g}, {ci[1]:.4g})"
        return (
            f"PairedTestResult(test={self.test!r}, statistic={self.statistic:.4g}, "
            f"pvalue={self.pvalue:.4g}, df={self.df!r},\n"
            f"    mean_difference={self.mean_difference:.4g}, "
            f"confidence_interval={ci_text} at {self.confidence_level:.0%}, "
            f"n_splits={self.scores_a.shape[0]},\n"
            f"    mean score a={np.mean(self.scores_a):.4g}, "
            f"b={np.mean(self.scores_b):.4g})"
        )


def _test_from_scores(test, scores_a, scores_b, n_train, n_test, alpha):
    """The :class:`PairedTestResult` of ``test`` on two score arrays."""
    diff = scores_a - scores_b
    ratio = float(np.mean(n_test) / np.mean(n_train))
    if test == "corrected_t":
        out = ps.corrected_t(diff, ratio, alpha)
    elif test == "paired_t":
        out = ps.paired_t(diff, alpha)
    elif test == "5x2cv_t":
        out = ps.five_by_two_t(diff, alpha)
    elif test == "5x2cv_f":
        out = ps.five_by_two_f(diff)
    else:
        out = ps.wilcoxon(diff, alpha)
    statistic, pvalue, ci, df = out
    return PairedTestResult(
        test=test,
        statistic=statistic,
        pvalue=pvalue,
        df=df,
        mean_difference=float(np.mean(diff)),
        confidence_interval=ci,
        confidence_level=1.0 - alpha,
        scores_a=scores_a,
        scores_b=scores_b,
        test_train_ratio=ratio,
        ci_meaning=_CI_MEANING[test],
    )


@validate_params(
    {
        "estimator_a": [HasMethods(["fit"])],
        "estimator_b": [HasMethods(["fit"])],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "cv": ["cv_object", None],
        "scoring": [str, callable, None],
        "test": [StrOptions(set(ps.TESTS))],
        "alpha": [Interval(RealNotInt, 0, 1, closed="neither")],
        "params": [dict, None],
        "groups": ["array-like", None],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=False,
)
def paired_cv_test(
    estimator_a,
    estimator_b,
    X,
    y,
    *,
    cv=None,
    scoring=None,
    test="corrected_t",
    alpha=0.05,
    params=None,
    groups=None,
    n_jobs=None,
    random_state=None,
):
    """Test whether two estimators score differently on identical CV folds.

    Both estimators are fitted and scored on exactly the same (train, test)
    splits, in parallel over splits with joblib; the test is applied to the
    per-split score differences ``d = scores_a - scores_b``. The splits share
    training rows, so the differences are positively correlated and the plain
    paired t-test (``test="paired_t"``) underestimates their variance and
    rejects too often; it is offered only for comparison. Read more in the
    :ref:`User Guide <model_comparison>`.

    Parameters
    ----------
    estimator_a, estimator_b : estimator instance
        The two models (cloned, never fitted in place).
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The data.
    y : array-like of shape (n_samples,)
        The target.
    cv : int, cross-validation generator, iterable or None, default=None
        The splits. ``None``: 5-fold cross-validation repeated twice (10
        splits; stratified for classifiers) for the t, paired and Wilcoxon
        tests, and 5 repetitions of 2-fold for the 5x2cv tests, shuffled
        with ``random_state``. An int is the number of (stratified for
        classifiers) unshuffled folds; the 5x2cv tests refuse it. A given
        splitter or list of splits for the 5x2cv tests must yield 10 splits
        where splits ``2r`` and ``2r + 1`` are the two halves of repetition
        ``r`` (as ``RepeatedStratifiedKFold(n_splits=2, n_repeats=5)``
        does).
    scoring : str, callable or None, default=None
        A scikit-learn scorer (greater is better), the same for both models;
        ``None`` uses the estimators' ``score`` method (both must then be
        classifiers or both regressors).
    test : {"corrected_t", "paired_t", "5x2cv_t", "5x2cv_f", "wilcoxon"}, \
            default="corrected_t"
        - ``"corrected_t"``: Nadeau and Bengio's corrected resampled t-test,
          ``t = mean(d) / sqrt((1/J + n_test/n_train) var(d))`` over the
          ``J`` splits, ``J - 1`` degrees of freedom; valid for (repeated)
          k-fold and repeated hold-out.
        - ``"paired_t"``: the plain paired t-test ``mean(d) / sqrt(var(d) /
          J)``; optimistic (over-rejects) on CV folds.
        - ``"5x2cv_t"``: Dietterich's 5x2cv paired t-test (5 df).
        - ``"5x2cv_f"``: Alpaydin's combined 5x2cv F-test, F(10, 5).
        - ``"wilcoxon"``: SciPy's Wilcoxon signed-rank test on the ``J``
          differences; warns when ``J`` is too small for any p-value below
          ``alpha`` (``2 / 2**J >= alpha``, e.g. 5 folds).
    alpha : float, default=0.05
        Level of the confidence interval (``1 - alpha``) and of the
        Wilcoxon warning.
    params : dict or None, default=None
        Fit parameters passed to both estimators' ``fit``; per-row arrays
        (``sample_weight``) are indexed by each split's training rows.
    groups : array-like of shape (n_samples,) or None, default=None
        Group labels passed to the splitter's ``split`` (``GroupKFold``).
    n_jobs : int or None, default=None
        Number of jobs over splits (each fits both estimators); ``None`` means 1 unless
        in a :class:`joblib.parallel_config` context.
    random_state : int, RandomState instance or None, default=None
        Shuffles the default splits.

    Returns
    -------
    result : PairedTestResult
        ``statistic``, ``pvalue``, ``df``, ``mean_difference``,
        ``confidence_interval``, ``scores_a``, ``scores_b``, ``test``.

    See Also
    --------
    compare_models : All pairs of several models, with adjusted p-values.
    mcnemar_test : Two classifiers' predictions on one test set.

    References
    ----------
    .. [1] C. Nadeau and Y. Bengio, "Inference for the generalization error",
       Machine Learning 52, 239-281, 2003.
    .. [2] T. G. Dietterich, "Approximate statistical tests for comparing
       supervised classification learning algorithms", Neural Computation 10,
       1895-1923, 1998.
    .. [3] E. Alpaydin, "Combined 5 x 2 cv F test for comparing supervised
       classification learning algorithms", Neural Computation 11, 1885-1892,
       1999.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlfound.model_selection import paired_cv_test
    >>> X, y = make_classification(n_samples=300, random_state=0)
    >>> result = paired_cv_test(LogisticRegression(), DummyClassifier(), X, y,
    ...                         random_state=0)
    >>> result.mean_difference > 0.3, result.pvalue < 1e-3
    (True, True)
    """
    scores, n_train, n_test = fold_scores(
        [estimator_a, estimator_b],
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
    return _test_from_scores(test, scores[0], scores[1], n_train, n_test, alpha)
