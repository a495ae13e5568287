import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from mlfound.model_selection import mcnemar_test


def _predictions(n_both, n_a_only, n_b_only, n_neither, rng):
    """Labels and two prediction vectors with the given agreement counts."""
    y = rng.integers(0, 3, n_both + n_a_only + n_b_only + n_neither)
    wrong = (y + 1) % 3
    right_a = np.r_[
        [True] * n_both, [True] * n_a_only, [False] * n_b_only, [False] * n_neither
    ]
    right_b = np.r_[
        [True] * n_both, [False] * n_a_only, [True] * n_b_only, [False] * n_neither
    ]
    order = rng.permutation(y.shape[0])
    pred_a = np.where(right_a, y, wrong)[order]
    pred_b = np.where(right_b, y, wrong)[order]
    return y[order], pred_a, pred_b


@pytest.mark.parametrize("seed", range(6))
def test_equals_statsmodels(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 40, 4)
    counts[1] += 1  # at least one discordant pair, and |b - c| >= 1 below
    if counts[1] == counts[2]:
        counts[2] += 1
    y, pred_a, pred_b = _predictions(*counts, rng)
    # statsmodels' table: rows a right / wrong, columns b right / wrong
    table = [[counts[0], counts[1]], [counts[2], counts[3]]]
    for exact in (True, False):
        for correction in (True, False):
            ref = mcnemar(table, exact=exact, correction=correction)
            got = mcnemar_test(y, pred_a, pred_b, exact=exact, correction=correction)
            assert got.statistic == pytest.approx(ref.statistic, rel=1e-12)
            assert got.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
            assert (got.n_a_only, got.n_b_only) == (counts[1], counts[2])


def test_auto_and_edge_cases():
    rng = np.random.default_rng(0)
    y, a, b = _predictions(50, 3, 9, 5, rng)
    assert mcnemar_test(y, a, b).exact  # 12 discordant rows < 25
    y, a, b = _predictions(50, 13, 29, 5, rng)
    assert not mcnemar_test(y, a, b).exact
    # no discordant pair: nothing to test
    res = mcnemar_test([0, 1, 1], [0, 1, 0], [0, 1, 0])
    assert (res.statistic, res.pvalue) == (0.0, 1.0)
    # b == c with the correction: the statistic is floored at 0, p = 1
    y, a, b = _predictions(10, 30, 30, 2, rng)
    res = mcnemar_test(y, a, b, exact=False)
    assert (res.statistic, res.pvalue) == (0.0, 1.0)
    # string labels
    res = mcnemar_test(["x", "y", "y"], ["x", "y", "x"], ["y", "y", "y"])
    assert (res.n_a_only, res.n_b_only) == (1, 1)


def test_clear_errors():
    with pytest.raises(ValueError, match="pred_b has 2 values but y_true has 3"):
        mcnemar_test([0, 1, 1], [0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="pred_a contains NaN"):
        mcnemar_test([0.0, 1.0], [np.nan, 1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="y_true is empty"):
        mcnemar_test([], [], [])
