"""pairwise_loss: worked example, brute-force pair loop, finite differences."""

import math

import numpy as np
import pytest

from mlfound.ranking import pairwise_loss

LOSSES = ["ranknet", "hinge", "lambdarank", "softmax"]


def _brute_force(y, s, groups, loss, k=10, w=None, p=None, clip=None, sn=False):
    """Every pair of every query, in plain Python (and the softmax formula)."""
    y, s = np.asarray(y, float), np.asarray(s, float)
    n = len(y)
    groups = np.zeros(n, int) if groups is None else np.asarray(groups)
    w = np.ones(n) if w is None else np.asarray(w, float)
    rho = np.ones(n) if p is None else 1.0 / np.maximum(p, clip or 0.0)
    terms, plain, weighted = [], 0.0, 0.0
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        if loss == "softmax":
            z = sum(w[j] * math.exp(s[j]) for j in rows)
            for i in rows:
                a = w[i] * rho[i] * y[i]
                plain += w[i] * y[i]
                weighted += a
                terms.append((i, None, a, -(s[i] - math.log(z))))
            continue
        disc = _discounts(y, s, rows, k) if loss == "lambdarank" else None
        for i in rows:
            for j in rows:
                if y[i] <= y[j]:
                    continue
                a = w[i] * w[j] * rho[i]
                plain += w[i] * w[j]
                weighted += a
                d = s[i] - s[j]
                if loss == "hinge":
                    value = max(0.0, 1.0 - d)
                else:
                    value = math.log1p(math.exp(-d))
                    if loss == "lambdarank":
                        a *= disc[(i, j)]
                terms.append((i, j, a, value))
    scale = plain / weighted if sn and weighted > 0 else 1.0
    return sum(a * v for *_, a, v in terms) * scale / plain if plain else 0.0


def _discounts(y, s, rows, k):
    """|delta NDCG@k| of each pair, by swapping the two documents and recomputing."""
    # rank by decreasing score, ties against the more relevant document, then
    # (equal relevance) the later row first
    order = sorted(rows, key=lambda r: (-s[r], y[r], -r))
    position = {r: rank for rank, r in enumerate(order)}

    def dcg(pos):
        return sum(y[r] / math.log2(pos[r] + 2) for r in rows if pos[r] < k)

    ideal = sum(v / math.log2(t + 2) for t, v in enumerate(sorted(y[rows])[::-1][:k]))
    base = dcg(position)
    out = {}
    for i in rows:
        for j in rows:
            swapped = dict(position)
            swapped[i], swapped[j] = position[j], position[i]
            out[(i, j)] = abs(dcg(swapped) - base) / ideal if ideal > 0 else 0.0
    return out


def test_worked_example_is_the_mean_pairwise_hinge():
    y = [3, 2, 1, 0]
    cases = [([0.9, 0.7, 0.4, 0.1], 0.55), ([0.2, 0.5, 0.8, 0.9], 1.40)]
    for scores, expected in cases:
        value, _ = pairwise_loss(y, scores, loss="hinge")
        hinges = [
            max(0.0, 1.0 - (scores[i] - scores[j]))
            for i in range(4)
            for j in range(i + 1, 4)  # rel_i > rel_j for the 6 pairs i < j
        ]
        assert value == pytest.approx(np.mean(hinges))
        assert value == pytest.approx(expected)
    _, grad = pairwise_loss(y, [0.9, 0.7, 0.4, 0.1], loss="hinge")
    # each document is in 3 active pairs: -3/6 for the best, +3/6 for the worst
    np.testing.assert_allclose(grad, [-0.5, -1 / 6, 1 / 6, 0.5])


def _random_case(seed, n=40):
    rng = np.random.default_rng(seed)
    groups = rng.choice([7, 3, 11, 5, 42, 9], size=n)  # not contiguous
    y = rng.integers(0, 4, size=n).astype(float)
    y[groups == 5] = 2.0  # all-equal relevance
    groups[0] = 99  # a single-document query
    s = rng.normal(size=n)
    s[groups == 3] = np.round(s[groups == 3], 0)  # tied scores
    w = rng.uniform(0.0, 2.0, size=n)
    p = rng.uniform(0.05, 1.0, size=n)
    return y, s, groups, w, p


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("seed", [0, 1])
def test_equals_brute_force_pair_loop(loss, seed):
    y, s, groups, w, p = _random_case(seed)
    for kwargs, ref in [
        ({}, {}),
        ({"sample_weight": w}, {"w": w}),
        ({"propensity": p, "clip": 0.2}, {"p": p, "clip": 0.2}),
        (
            {"sample_weight": w, "propensity": p, "self_normalize": True},
            {"w": w, "p": p, "sn": True},
        ),
    ]:
        value, _ = pairwise_loss(y, s, groups, loss=loss, k=3, **kwargs)
        expected = _brute_force(y, s, groups, loss, k=3, **ref)
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_equals_finite_differences(loss):
    y, s, groups, w, p = _random_case(3)
    s = s + np.linspace(0, 1e-3, s.size)  # no ties: ranks stay put under eps
    kwargs = {"sample_weight": w, "propensity": p, "k": 4}
    _, grad = pairwise_loss(y, s, groups, loss=loss, **kwargs)
    eps = 1e-6
    numeric = np.empty_like(s)
    for i in range(s.size):
        up, down = s.copy(), s.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (
            pairwise_loss(y, up, groups, loss=loss, **kwargs)[0]
            - pairwise_loss(y, down, groups, loss=loss, **kwargs)[0]
        ) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss", ["ranknet", "hinge", "softmax"])
def test_integer_weight_equals_repeated_rows(loss):
    y, s, groups, _, _ = _random_case(4)
    counts = np.arange(y.size) % 3  # 0, 1 or 2 copies
    value, grad = pairwise_loss(y, s, groups, loss=loss, sample_weight=counts)
    rows = np.repeat(np.arange(y.size), counts)
    value_rep, grad_rep = pairwise_loss(y[rows], s[rows], groups[rows], loss=loss)
    assert value == pytest.approx(value_rep, rel=1e-12)
    summed = np.bincount(rows, weights=grad_rep, minlength=y.size)
    np.testing.assert_allclose(grad, summed, atol=1e-14)


def test_query_of_thousands_of_documents_equals_vectorised_pairs():
    rng = np.random.default_rng(0)
    n = 2000
    y = rng.integers(0, 5, size=n).astype(float)
    s = rng.normal(size=n)
    value, grad = pairwise_loss(y, s)
    diff = s[:, None] - s[None, :]
    mask = y[:, None] > y[None, :]
    loss = np.logaddexp(0.0, -diff)
    assert value == pytest.approx(loss[mask].sum() / mask.sum(), rel=1e-10)
    dl = np.where(mask, -1.0 / (1.0 + np.exp(diff)), 0.0)
    np.testing.assert_allclose(grad, (dl.sum(1) - dl.sum(0)) / mask.sum(), atol=1e-14)


def test_rows_need_not_be_contiguous_and_labels_may_be_any_hashable():
    y, s, groups, _, _ = _random_case(5)
    names = np.array([f"query {g}" for g in groups], dtype=object)
    tuples = np.empty(len(groups), dtype=object)
    tuples[:] = [(int(g), "x") for g in groups]
    expected = pairwise_loss(y, s, groups, loss="lambdarank")
    for labels in (names, tuples, groups.astype(float)):
        got = pairwise_loss(y, s, labels, loss="lambdarank")
        assert got[0] == pytest.approx(expected[0], rel=1e-14)
        np.testing.assert_allclose(got[1], expected[1])
    # exact ties of score and relevance are ranked by row order; without
    # them the result does not depend on the row order
    s = s + np.linspace(0.0, 1e-3, s.size)
    expected = pairwise_loss(y, s, groups, loss="lambdarank")
    perm = np.random.default_rng(0).permutation(len(y))
    value, grad = pairwise_loss(y[perm], s[perm], groups[perm], loss="lambdarank")
    assert value == pytest.approx(expected[0], rel=1e-12)
    np.testing.assert_allclose(grad, expected[1][perm], atol=1e-15)


def test_no_pair_gives_zero():
    value, grad = pairwise_loss([1, 1, 1], [0.3, 0.1, 0.2], groups=[0, 0, 1])
    assert value == 0.0
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"y": [1, -1, 0]}, "y"),
        ({"y": [1, np.nan, 0]}, "y"),
        ({"scores": [0.0, np.inf, 1.0]}, "scores"),
        ({"scores": [0.0, 1.0]}, "scores"),
        ({"groups": [0, 1]}, "groups"),
        ({"groups": [0, np.nan, 1]}, "groups"),
        ({"groups": np.array([0, None, 1], dtype=object)}, "groups"),
        ({"propensity": [0.5, 0.0, 1.0]}, "propensity"),
        ({"propensity": [0.5, 1.5, 1.0]}, "propensity"),
        ({"propensity": [0.5, 1.0]}, "propensity"),
        ({"sample_weight": [1.0, -1.0, 1.0]}, "sample_weight"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    call = {"y": [2, 1, 0], "scores": [0.1, 0.2, 0.3], **kwargs}
    with pytest.raises(ValueError, match=name):
        pairwise_loss(**call)


def test_unhashable_groups_raise_type_error():
    groups = np.empty(3, dtype=object)
    groups[:] = [[0], [0], [1]]
    with pytest.raises(TypeError, match="groups"):
        pairwise_loss([2, 1, 0], [0.1, 0.2, 0.3], groups)
