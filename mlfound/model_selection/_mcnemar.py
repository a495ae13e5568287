"""McNemar's test of two classifiers' predictions on one test set."""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from mlfound.utils._array_checks import check_array_1d
from mlfound.utils._param_validation import StrOptions, validate_params

# Below this many discordant pairs the chi-square approximation is poor
# and exact="auto" uses the binomial test.
_EXACT_BELOW = 25


@dataclass(frozen=True)
class McNemarResult:
    """Result of :func:`mcnemar_test`.

    Parameters
    ----------
    statistic : float
        ``min(n_a_only, n_b_only)`` for the exact test (as statsmodels
        reports it), the chi-square statistic otherwise.
    pvalue : float
        Two-sided p-value of "both classifiers have the same error rate".
    n_a_only : int
        Rows that ``pred_a`` gets right and ``pred_b`` wrong.
    n_b_only : int
        Rows that ``pred_b`` gets right and ``pred_a`` wrong.
    exact : bool
        Whether the exact binomial test was used.
    correction : bool
        Whether the chi-square statistic has the continuity correction.

    Examples
    --------
    >>> from mlfound.model_selection import mcnemar_test
    >>> mcnemar_test([1, 1, 0, 0], [1, 1, 0, 1], [0, 1, 0, 0]).n_a_only
    1
    """

    statistic: float
    pvalue: float
    n_a_only: int
    n_b_only: int
    exact: bool
    correction: bool


def _labels(values, name, n_samples=None):
    arr = check_array_1d(
        values, name=name, numeric=False, n_samples=n_samples, reference="y_true"
    )
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity; labels must be finite.")
    if arr.dtype == object and any(
        v is None or (isinstance(v, float) and not np.isfinite(v)) for v in arr
    ):
        raise ValueError(f"{name} contains missing values (None or NaN).")
    return arr


@validate_params(
    {
        "y_true": ["array-like"],
        "pred_a": ["array-like"],
        "pred_b": ["array-like"],
        "exact": ["boolean", StrOptions({"auto"})],
        "correction": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def mcnemar_test(y_true, pred_a, pred_b, *, exact="auto", correction=True):
    """McNemar's test: do two classifiers err at the same rate on one test set?

    Only the discordant rows count: ``b`` where ``pred_a`` is right and
    ``pred_b`` wrong, ``c`` the other way round. Under the null each
    discordant row is a fair coin, so the exact test is a two-sided binomial
    test of ``b`` out of ``b + c`` at 1/2; the approximate test uses
    ``(|b - c| - 1)^2 / (b + c)`` (with the continuity correction, floored
    at 0 when ``b = c``) or ``(b - c)^2 / (b + c)`` against chi-square with
    one degree of freedom. Read more in the :ref:`User Guide
    <model_comparison>`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels.
    pred_a : array-like of shape (n_samples,)
        Predictions of the first classifier.
    pred_b : array-like of shape (n_samples,)
        Predictions of the second classifier.
    exact : bool or "auto", default="auto"
        Exact binomial test; ``"auto"`` uses it when there are fewer than 25
        discordant rows and the chi-square test otherwise.
    correction : bool, default=True
        Continuity correction of the chi-square statistic.

    Returns
    -------
    result : McNemarResult
        ``statistic``, ``pvalue``, the discordant counts ``n_a_only`` and
        ``n_b_only``, and which test was used.

    See Also
    --------
    paired_cv_test : Two estimators compared over cross-validation folds.

    References
    ----------
    .. [1] Q. McNemar, "Note on the sampling error of the difference between
       correlated proportions or percentages", Psychometrika 12, 153-157,
       1947.

    Examples
    --------
    >>> from mlfound.model_selection import mcnemar_test
    >>> y_true = [0] * 40 + [1] * 40
    >>> pred_a = y_true[:]                # always right
    >>> pred_b = [1] * 12 + y_true[12:]   # 12 errors
    >>> result = mcnemar_test(y_true, pred_a, pred_b)
    >>> result.n_a_only, result.n_b_only, round(result.pvalue, 5)
    (12, 0, 0.00049)
    """
    y_true = _labels(y_true, "y_true")
    n = y_true.shape[0]
    pred_a = _labels(pred_a, "pred_a", n)
    pred_b = _labels(pred_b, "pred_b", n)
    right_a = pred_a == y_true
    right_b = pred_b == y_true
    b = int(np.count_nonzero(right_a & ~right_b))
    c = int(np.count_nonzero(~right_a & right_b))
    n_discordant = b + c
    use_exact = n_discordant < _EXACT_BELOW if exact == "auto" else bool(exact)
    if n_discordant == 0:
        statistic, pvalue = (0.0, 1.0)
    elif use_exact:
        statistic = float(min(b, c))
        pvalue = min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), n_discordant, 0.5)))
    else:
        gap = abs(b - c) - (1.0 if correction else 0.0)
        statistic = max(gap, 0.0) ** 2 / n_discordant
        pvalue = float(stats.chi2.sf(statistic, 1))
    return McNemarResult(
        statistic=float(statistic),
        pvalue=float(pvalue),
        n_a_only=b,
        n_b_only=c,
        exact=use_exact,
        correction=bool(correction) and not use_exact,
    )
