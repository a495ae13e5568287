"""Test statistics of paired model comparisons, computed from per-fold scores.

Pure functions of score arrays (no fitting): each takes the differences
``d = scores_a - scores_b`` of one (train, test) split each and returns the
statistic, p-value, degrees of freedom and a confidence interval for the
difference it tests. :func:`paired_cv_test` and :func:`compare_models` build
the score arrays on identical folds and call these.
"""

import warnings

import numpy as np
from scipy import stats

TESTS = ("corrected_t", "paired_t", "5x2cv_t", "5x2cv_f", "wilcoxon")


def _t_test(mean, se, df, alpha):
    """Two-sided one-sample t-test of ``mean`` with standard error ``se``."""
    if se > 0:
        statistic = mean / se
        pvalue = 2.0 * stats.t.sf(abs(statistic), df)
    else:
        # identical differences on every fold: no spread to test against
        statistic = 0.0 if mean == 0 else float(np.copysign(np.inf, mean))
        pvalue = 1.0 if mean == 0 else 0.0
    half = stats.t.ppf(1.0 - alpha / 2.0, df) * se
    return float(statistic), float(pvalue), (float(mean - half), float(mean + half))


def corrected_t(diff, test_train_ratio, alpha=0.05):
    """Nadeau-Bengio corrected resampled t-test over ``J`` splits.

    ``t = mean(d) / sqrt((1/J + n_test/n_train) * var(d))`` with the sample
    variance (``ddof=1``) and ``J - 1`` degrees of freedom.
    """
    J = diff.shape[0]
    mean = float(np.mean(diff))
    var = float(np.var(diff, ddof=1))
    se = np.sqrt((1.0 / J + test_train_ratio) * var)
    return (*_t_test(mean, se, J - 1, alpha), J - 1)


def paired_t(diff, alpha=0.05):
    """Plain paired t-test: ``t = mean(d) / sqrt(var(d) / J)``, ``J - 1`` df."""
    J = diff.shape[0]
    mean = float(np.mean(diff))
    se = np.sqrt(float(np.var(diff, ddof=1)) / J)
    return (*_t_test(mean, se, J - 1, alpha), J - 1)


def _five_by_two(diff):
    """Differences as a (5, 2) table and the per-repetition variances s_i^2."""
    table = np.asarray(diff, dtype=np.float64).reshape(5, 2)
    s2 = np.sum((table - table.mean(axis=1, keepdims=True)) ** 2, axis=1)
    return table, s2


def five_by_two_t(diff, alpha=0.05):
    """Dietterich's 5x2cv paired t-test.

    ``t = d_11 / sqrt(mean_i s_i^2)`` where ``d_11`` is the difference on the
    first fold of the first repetition and ``s_i^2 = sum_j (d_ij - dbar_i)^2``;
    5 degrees of freedom. The interval is the one the test inverts, centred
    on ``d_11``.
    """
    table, s2 = _five_by_two(diff)
    se = np.sqrt(np.mean(s2))
    return (*_t_test(float(table[0, 0]), se, 5, alpha), 5)


def five_by_two_f(diff):
    """Alpaydin's combined 5x2cv F-test.

    ``f = sum_ij d_ij^2 / (2 sum_i s_i^2)``, F-distributed with (10, 5)
    degrees of freedom under the null; no confidence interval.
    """
    table, s2 = _five_by_two(diff)
    denom = 2.0 * np.sum(s2)
    num = float(np.sum(table**2))
    if denom > 0:
        statistic = num / denom
        pvalue = float(stats.f.sf(statistic, 10, 5))
    else:
        statistic = 0.0 if num == 0 else np.inf
        pvalue = 1.0 if num == 0 else 0.0
    return float(statistic), pvalue, None, (10, 5)


def smallest_wilcoxon_pvalue(n_pairs):
    """Smallest two-sided exact p-value of the signed-rank test on ``n_pairs``.

    It is reached when every difference has the same sign: ``2 / 2**n``.
    """
    return 2.0 / 2.0**n_pairs


def wilcoxon(diff, alpha=0.05):
    """Wilcoxon signed-rank test (SciPy) with a warning when it cannot reject.

    Zero differences are dropped (``zero_method="wilcox"``), so the warning
    counts the non-zero pairs only.
    """
    n_pairs = int(np.count_nonzero(diff))
    smallest = smallest_wilcoxon_pvalue(n_pairs)
    if smallest >= alpha:
        warnings.warn(
            f"The Wilcoxon signed-rank test on {n_pairs} non-zero paired "
            f"differences can never give p < alpha={alpha}: its smallest "
            f"two-sided p-value is 2/2**{n_pairs} = {smallest:.4g}. Use more "
            f"folds or repetitions (at least "
            f"{int(np.floor(1 - np.log2(alpha))) + 1} pairs for this alpha), or the "
            f"corrected resampled t-test.",
            UserWarning,
            stacklevel=4,
        )
    if n_pairs == 0:
        return 0.0, 1.0, None, None
    # Zeros dropped here rather than by zero_method="wilcox": SciPy 1.11 (the
    # supported floor) sees the zeros first and switches to the normal
    # approximation with a warning; newer releases keep the exact test, as
    # this does on every release.
    diff = np.asarray(diff)
    result = stats.wilcoxon(diff[diff != 0])
    return float(result.statistic), float(result.pvalue), None, None
