"""LinearRanker: ranking quality, unbiased learning from clicks, metadata routing."""

import warnings

import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlfound.datasets import make_search_logs
from mlfound.linear_model import FocalLossClassifier
from mlfound.metrics import grouped_ndcg_score
from mlfound.ranking import LinearRanker, pairwise_loss
from mlfound.utils._sklearn_compat import default_scoring_routes_into_pipelines
from mlfound.weighting import PositionBiasEstimator

SEEDS = [0, 1, 2]


def _split(logs):
    """First half of the queries for training, second half held out."""
    n_queries = logs.query_id.max() + 1
    return logs.query_id < n_queries // 2, logs.query_id >= n_queries // 2


def _ndcg(logs, rows, scores):
    return grouped_ndcg_score(
        logs.relevance[rows], scores, query_id=logs.query_id[rows], k=10
    )


@pytest.mark.parametrize("loss", ["ranknet", "hinge", "lambdarank", "softmax"])
def test_ranker_beats_pointwise_classifiers_on_held_out_ndcg(loss):
    margins = []
    for seed in SEEDS:
        logs = make_search_logs(2_000, random_state=seed)
        train, test = _split(logs)
        X, rel, q = logs.X, logs.relevance, logs.query_id
        relevant = rel >= 2  # what a pointwise click/relevance classifier sees
        ranker = LinearRanker(loss=loss).fit(X[train], rel[train], groups=q[train])
        ndcg = ranker.score(X[test], rel[test], groups=q[test])
        by_hand = _ndcg(logs, test, ranker.decision_function(X[test]))
        assert ndcg == pytest.approx(by_hand)
        for clf in (LogisticRegression(), FocalLossClassifier()):
            clf.fit(X[train], relevant[train])
            margins.append(ndcg - _ndcg(logs, test, clf.decision_function(X[test])))
    assert min(margins) > 0.01, margins


def test_ranker_on_binary_labels_still_beats_logistic_regression():
    for seed in SEEDS:
        logs = make_search_logs(2_000, random_state=seed)
        train, test = _split(logs)
        X, q, relevant = logs.X, logs.query_id, (logs.relevance >= 2).astype(int)
        ranker = LinearRanker().fit(X[train], relevant[train], groups=q[train])
        clf = LogisticRegression().fit(X[train], relevant[train])
        assert _ndcg(logs, test, ranker.decision_function(X[test])) > _ndcg(
            logs, test, clf.decision_function(X[test])
        )


def test_ips_ranker_beats_naive_and_is_close_to_ranker_on_true_relevance():
    for seed in SEEDS:
        logs = make_search_logs(40_000, random_state=seed)
        train, test = _split(logs)
        X, clicks, q = logs.X[train], logs.y[train], logs.query_id[train]
        propensity = logs.propensity[logs.positions[train] - 1]
        naive = LinearRanker().fit(X, clicks, groups=q)
        ips = LinearRanker().fit(X, clicks, groups=q, propensity=propensity)
        gold = LinearRanker().fit(X, logs.relevance[train], groups=q)
        scores = {
            name: _ndcg(logs, test, model.decision_function(logs.X[test]))
            for name, model in [("naive", naive), ("ips", ips), ("gold", gold)]
        }
        assert scores["ips"] > scores["naive"] + 0.01, scores
        assert scores["ips"] > scores["gold"] - 0.015, scores


def test_recipe_from_one_click_log():
    """Estimate the propensities on the log, then fit the ranker with them."""
    logs = make_search_logs(10_000, random_state=3)
    train, test = _split(logs)
    X, clicks, q, positions = (
        logs.X[train],
        logs.y[train],
        logs.query_id[train],
        logs.positions[train],
    )
    bias = PositionBiasEstimator().fit(X, clicks, positions=positions)
    # propensity_[i] belongs to positions_[i]
    row_propensity = bias.propensity_[np.searchsorted(bias.positions_, positions)]
    assert np.all(np.diff(bias.propensity_[:3]) < 0)  # decreasing, as the truth
    ranker = LinearRanker(clip=0.05).fit(X, clicks, groups=q, propensity=row_propensity)
    naive = LinearRanker().fit(X, clicks, groups=q)
    held_out = [
        _ndcg(logs, test, model.decision_function(logs.X[test]))
        for model in (ranker, naive)
    ]
    assert held_out[0] > held_out[1] + 0.01, held_out


def test_fitted_coef_is_a_stationary_point_of_the_public_loss():
    logs = make_search_logs(600, random_state=0)
    X, y, q = logs.X, logs.relevance, logs.query_id
    w = np.linspace(0.5, 1.5, y.size)
    p = logs.propensity[logs.positions - 1]
    C = 0.5
    for loss in ("ranknet", "softmax"):
        ranker = LinearRanker(loss=loss, C=C, tol=1e-10, max_iter=1000)
        ranker.fit(X, y, groups=q, sample_weight=w, propensity=p)
        _, grad_scores = pairwise_loss(
            y, X @ ranker.coef_, q, loss=loss, sample_weight=w, propensity=p
        )
        if loss == "softmax":
            total = np.sum(w * y)
        else:
            same = q[:, None] == q[None, :]
            total = np.sum(np.outer(w, w) * same * (y[:, None] > y[None, :]))
        grad = X.T @ grad_scores + ranker.coef_ / (C * total)
        np.testing.assert_allclose(grad, 0.0, atol=1e-8)


def _ndcg_at_10(y_true, scores, groups):
    return grouped_ndcg_score(y_true, scores, query_id=groups, k=10)


def test_pipeline_and_grid_search_over_groups_with_metadata_routing():
    logs = make_search_logs(1_200, random_state=0)
    X, y, q = logs.X, logs.relevance, logs.query_id
    with sklearn.config_context(enable_metadata_routing=True):
        ranker = (
            LinearRanker().set_fit_request(groups=True).set_score_request(groups=True)
        )
        pipe = make_pipeline(StandardScaler(), ranker)
        if default_scoring_routes_into_pipelines():
            scoring = None  # the ranker's own score, groups routed to it
        else:
            # scikit-learn < 1.8 would score the folds without their groups
            scoring = make_scorer(
                _ndcg_at_10, response_method="predict"
            ).set_score_request(groups=True)
        search = GridSearchCV(
            pipe,
            {"linearranker__C": [0.001, 1.0]},
            cv=GroupKFold(n_splits=3),
            scoring=scoring,
        )
        search.fit(X, y, groups=q)
    assert set(search.best_params_) == {"linearranker__C"}
    # the search scored each fold per query: recompute one fold by hand
    train, test = next(GroupKFold(n_splits=3).split(X, y, q))
    C = search.cv_results_["param_linearranker__C"][0]
    fold = make_pipeline(StandardScaler(), LinearRanker(C=C))
    fold.fit(X[train], y[train], linearranker__groups=q[train])
    expected = grouped_ndcg_score(
        y[test], fold.decision_function(X[test]), query_id=q[test], k=10
    )
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(expected)
    # groups really reached fit: one query for all rows ranks differently
    one_query = make_pipeline(StandardScaler(), LinearRanker(C=C)).fit(
        X[train], y[train]
    )
    assert not np.allclose(one_query[-1].coef_, fold[-1].coef_)


def test_score_warns_when_requested_groups_do_not_arrive():
    logs = make_search_logs(300, random_state=1)
    X, y, q = logs.X, logs.relevance, logs.query_id
    with sklearn.config_context(enable_metadata_routing=True):
        ranker = LinearRanker().set_fit_request(groups=True)
        ranker.set_score_request(groups=True).fit(X, y, groups=q)
        with pytest.warns(UserWarning, match="requested groups"):
            one_query = ranker.score(X, y)
        assert one_query == pytest.approx(
            grouped_ndcg_score(
                y, ranker.decision_function(X), query_id=np.zeros(y.size), k=10
            )
        )
        # the default scoring of a search over a Pipeline: groups reach the
        # ranker's score from scikit-learn 1.8 on, and nothing is said then
        search = GridSearchCV(
            make_pipeline(StandardScaler(), ranker),
            {"linearranker__C": [1.0]},
            cv=GroupKFold(n_splits=2),
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            search.fit(X, y, groups=q)
        said = [w for w in caught if "requested groups" in str(w.message)]
        assert bool(said) != default_scoring_routes_into_pipelines()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LinearRanker().fit(X, y).score(X, y)  # nothing requested: one query


def test_groups_none_is_one_query_and_labels_and_row_order_do_not_matter():
    logs = make_search_logs(300, random_state=1)
    X, y, q = logs.X, logs.relevance, logs.query_id
    ones = LinearRanker().fit(X, y)
    same = LinearRanker().fit(X, y, groups=np.zeros(y.size))
    np.testing.assert_allclose(ones.coef_, same.coef_)
    ref = LinearRanker(loss="lambdarank").fit(X, y, groups=q)
    perm = np.random.default_rng(0).permutation(y.size)
    names = np.array([f"q{g}" for g in q], dtype=object)
    got = LinearRanker(loss="lambdarank").fit(X[perm], y[perm], groups=names[perm])
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    assert ref.n_queries_ == 30


def test_query_of_thousands_of_documents():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 5))
    utility = X @ np.array([1.0, -1.0, 0.5, 0.0, 0.0]) + rng.normal(size=1500)
    y = np.digitize(utility, [-1.0, 0.0, 1.0])
    ranker = LinearRanker().fit(X, y)  # one query of 1500 documents
    cosine = ranker.coef_ @ [1.0, -1.0, 0.5, 0, 0] / np.linalg.norm(ranker.coef_) / 1.5
    assert cosine > 0.98


def test_lambdarank_targets_the_top_of_the_ranking():
    # LambdaRank's NDCG@k weights should not rank the top worse than RankNet
    for seed in SEEDS:
        logs = make_search_logs(2_000, random_state=seed)
        train, test = _split(logs)
        X, rel, q = logs.X, logs.relevance, logs.query_id
        scores = [
            LinearRanker(loss=loss, k=3)
            .fit(X[train], rel[train], groups=q[train])
            .score(X[test], rel[test], groups=q[test])
            for loss in ("ranknet", "lambdarank")
        ]
        assert scores[1] > scores[0] - 0.005, scores


@pytest.mark.parametrize(
    ("fit", "name"),
    [
        ({"y": -1}, "y"),
        ({"groups": "short"}, "groups"),
        ({"propensity": 0.0}, "propensity"),
        ({"propensity": 1.5}, "propensity"),
        ({"sample_weight": -1.0}, "sample_weight"),
    ],
)
def test_bad_fit_input_names_the_argument(fit, name):
    logs = make_search_logs(50, random_state=0)
    kwargs = {
        "y": logs.relevance.copy(),
        "groups": logs.query_id,
        "propensity": np.full(50, 0.5),
        "sample_weight": np.ones(50),
    }
    ((key, value),) = fit.items()
    if value == "short":
        kwargs[key] = kwargs[key][:-1]
    else:
        kwargs[key] = np.asarray(kwargs[key], dtype=float)
        kwargs[key][3] = value
    with pytest.raises(ValueError, match=name):
        LinearRanker().fit(logs.X, **kwargs)


def test_nothing_to_rank_raises():
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match="nothing to rank"):
        LinearRanker().fit(X, [1, 1, 1, 0, 0, 0], groups=[0, 0, 0, 1, 1, 1])
