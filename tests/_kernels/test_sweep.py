from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlfound._kernels.sweep import select_threshold, threshold_sweep


@st.composite
def decision_data(draw):
    """Scores drawn from a few values (many ties), labels, weights, costs."""
    n = draw(st.integers(1, 40))
    n_levels = draw(st.integers(1, 8))
    levels = draw(
        arrays(np.float64, n_levels, elements=st.floats(-5, 5, width=32), unique=True)
    )
    scores = levels[draw(arrays(np.int64, n, elements=st.integers(0, n_levels - 1)))]
    y = draw(arrays(np.int8, n, elements=st.integers(0, 1)))
    weights = draw(st.none() | arrays(np.float64, n, elements=st.floats(0, 10)))
    cost_el = st.floats(0, 100)
    matrix = draw(arrays(np.float64, (2, 2), elements=cost_el))
    sample_cost = draw(st.none() | arrays(np.float64, (n, 2, 2), elements=cost_el))
    return scores, y, weights, matrix, sample_cost


def _brute_force(scores, y, weights, matrix, sample_cost):
    """Cost of flagging score >= t, for t = inf and every distinct score."""
    n = scores.shape[0]
    w = np.ones(n) if weights is None else weights
    costs = np.broadcast_to(matrix, (n, 2, 2)) if sample_cost is None else sample_cost
    thresholds = np.concatenate([[np.inf], np.unique(scores)[::-1]])
    out = []
    for t in thresholds:
        pred = (scores >= t).astype(int)
        total = 0.0
        tp = fp = 0.0
        for i in range(n):
            total += w[i] * costs[i, y[i], pred[i]]
            tp += w[i] * (pred[i] == 1 and y[i] == 1)
            fp += w[i] * (pred[i] == 1 and y[i] == 0)
        out.append((total, tp, fp))
    return thresholds, np.array(out)


@given(decision_data())
def test_sweep_equals_brute_force_over_all_thresholds(data):
    scores, y, weights, matrix, sample_cost = data
    sweep = threshold_sweep(
        y, scores, sample_weight=weights, cost_matrix=matrix, sample_cost=sample_cost
    )
    thresholds, expected = _brute_force(scores, y, weights, matrix, sample_cost)
    np.testing.assert_array_equal(sweep["thresholds"], thresholds)
    np.testing.assert_allclose(sweep["costs"], expected[:, 0], rtol=1e-9, atol=1e-7)
    np.testing.assert_allclose(sweep["tp"], expected[:, 1], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sweep["fp"], expected[:, 2], rtol=1e-9, atol=1e-9)
    # The minimum found by the sweep is the brute-force minimum.
    best = select_threshold(sweep)
    assert sweep["costs"][best] == pytest.approx(expected[:, 0].min(), abs=1e-7)


def _exact_rates(scores, y, weights, thresholds):
    """Recall, precision and FPR of each cut in exact rational arithmetic."""
    w = [Fraction(1)] * len(y) if weights is None else [Fraction(x) for x in weights]
    n_pos = sum((wi for wi, yi in zip(w, y, strict=True) if yi == 1), Fraction(0))
    n_neg = sum((wi for wi, yi in zip(w, y, strict=True) if yi == 0), Fraction(0))
    rates = {"recall": [], "precision": [], "fpr": []}
    for t in thresholds:
        tp = fp = Fraction(0)
        for wi, si, yi in zip(w, scores, y, strict=True):
            if si >= t:
                tp, fp = (tp + wi, fp) if yi == 1 else (tp, fp + wi)
        rates["recall"].append(tp / n_pos if n_pos else None)
        rates["precision"].append(tp / (tp + fp) if tp + fp else None)
        rates["fpr"].append(fp / n_neg if n_neg else None)
    return rates


def _feasibility(rates, name, value, n):
    """Which cuts surely satisfy the constraint, and which are too close to call.

    The kernel sums the n non-negative weights in score order; each float sum
    of m such terms is within a relative m * 2**-53 of the exact one
    (Higham, *Accuracy and Stability of Numerical Algorithms*, eq. 4.4), so a
    rate, a ratio of two sums, is within (2n + 2) * 2**-53 relative of the
    exact rate. A cut whose exact rate is closer to ``value`` than (twice)
    that bound may fall either way in floating point: accept both answers.
    """
    bound = Fraction(4 * n + 4, 2**53)
    value = Fraction(value)
    sure = np.zeros(len(rates[name]), dtype=bool)
    close = np.zeros_like(sure)
    for k, rate in enumerate(rates[name]):
        if rate is None:  # NaN rate: never feasible
            continue
        if abs(rate - value) <= bound * rate:
            close[k] = True
        else:
            sure[k] = rate <= value if name == "fpr" else rate >= value
    return sure, close


# The reference once called this feasible constraint infeasible: the 16 tied
# positive weights were summed pairwise for n_pos and in sequence for tp.
@example(
    data=(np.zeros(16), np.ones(16, np.int8), np.full(16, 0.15), np.eye(2), None),
    name="recall",
    value=1.0,
)
@given(
    data=decision_data(),
    name=st.sampled_from(["recall", "precision", "fpr"]),
    value=st.floats(0, 1),
)
def test_constrained_minimum_equals_brute_force(data, name, value):
    scores, y, weights, matrix, sample_cost = data
    sweep = threshold_sweep(
        y, scores, sample_weight=weights, cost_matrix=matrix, sample_cost=sample_cost
    )
    thresholds, expected = _brute_force(scores, y, weights, matrix, sample_cost)
    cost = expected[:, 0]
    rates = _exact_rates(scores, y, weights, thresholds)
    sure, close = _feasibility(rates, name, value, len(y))
    if not (sure | close).any():
        with pytest.raises(ValueError, match="No threshold satisfies"):
            select_threshold(sweep, constraint=(name, value))
        return
    if not sure.any():  # only borderline cuts: either answer is right
        try:
            best = select_threshold(sweep, constraint=(name, value))
        except ValueError:
            return
    else:
        best = select_threshold(sweep, constraint=(name, value))
    assert sure[best] or close[best]
    assert sweep["costs"][best] >= cost[sure | close].min() - 1e-7
    if sure.any():
        assert sweep["costs"][best] <= cost[sure].min() + 1e-7


def test_ties_enter_as_one_block():
    # Three tied scores: no threshold separates them.
    sweep = threshold_sweep([1, 0, 1, 0], [0.7, 0.7, 0.7, 0.2])
    assert sweep["thresholds"].tolist() == [np.inf, 0.7, 0.2]
    assert sweep["tp"].tolist() == [0, 2, 2]
    assert sweep["fp"].tolist() == [0, 1, 2]


def test_rates_and_tie_break_toward_default():
    sweep = threshold_sweep([0, 1], [0.2, 0.9], sample_weight=[1.0, 3.0])
    np.testing.assert_allclose(sweep["recall"], [0, 1, 1])
    np.testing.assert_allclose(sweep["fpr"], [0, 0, 1])
    assert np.isnan(sweep["precision"][0])
    # Costs 3, 0, 1: the single minimum is the cut at 0.9.
    assert select_threshold(sweep) == 1
    # Equal costs everywhere: the cut closest to the default wins.
    flat = threshold_sweep([0, 1], [0.2, 0.9], cost_matrix=[[1, 1], [1, 1]])
    assert select_threshold(flat, default=0.25) == 2
    assert select_threshold(flat, default=0.8) == 1


def test_float32_scores_and_bool_labels():
    rng = np.random.default_rng(0)
    scores = rng.random(500).astype(np.float32)
    y = rng.random(500) < scores
    a = threshold_sweep(y, scores)
    b = threshold_sweep(y.astype(int), scores.astype(np.float64))
    np.testing.assert_array_equal(a["costs"], b["costs"])


def test_input_errors():
    with pytest.raises(ValueError, match="NaN"):
        threshold_sweep([0, 1], [np.nan, 1.0])
    with pytest.raises(ValueError, match="same length"):
        threshold_sweep([0, 1, 1], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"sample_cost has shape"):
        threshold_sweep([0, 1], [0.0, 1.0], sample_cost=np.ones((3, 2, 2)))
    with pytest.raises(ValueError, match="Unknown constraint"):
        select_threshold(threshold_sweep([0, 1], [0, 1]), constraint=("f1", 0.5))
