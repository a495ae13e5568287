"""Search logs: a click classifier vs a ranker, and unbiased learning to rank."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from mlfound.datasets import make_search_logs
from mlfound.metrics import grouped_ndcg_score
from mlfound.ranking import LinearRanker
from mlfound.weighting import PositionBiasEstimator

TITLE = "Search logs: pointwise click classifier vs pairwise ranker, IPS pairs"
ORDER = 45


def run(quick, step):
    n_queries = 4_000 if quick else 20_000
    step(f"simulating {n_queries:,} queries x 10 documents (relevance 0-4, clicks)")
    logs = make_search_logs(10 * n_queries, random_state=0)
    train = logs.query_id < n_queries // 2
    test = ~train
    X, q, rel = logs.X[train], logs.query_id[train], logs.relevance[train]
    clicks, positions = logs.y[train], logs.positions[train]

    def ndcg(model):
        return grouped_ndcg_score(
            logs.relevance[test],
            model.decision_function(logs.X[test]),
            query_id=logs.query_id[test],
            k=10,
        )

    step("LogisticRegression on 'relevant' (grade >= 2) vs LinearRanker (RankNet)")
    pointwise = ndcg(LogisticRegression().fit(X, rel >= 2))
    ranker = ndcg(LinearRanker().fit(X, rel, groups=q))

    step("rankers on position-biased clicks: raw, and IPS with estimated propensity")
    naive = ndcg(LinearRanker().fit(X, clicks, groups=q))
    bias = PositionBiasEstimator().fit(X, clicks, positions=positions)
    row_propensity = bias.propensity_[np.searchsorted(bias.positions_, positions)]
    ips = ndcg(
        LinearRanker(clip=0.05).fit(X, clicks, groups=q, propensity=row_propensity)
    )
    return [
        (
            "held-out NDCG@10, graded labels",
            f"{pointwise:.4f} (LogisticRegression)",
            f"{ranker:.4f} (LinearRanker)",
        ),
        (
            "held-out NDCG@10, trained on clicks",
            f"{naive:.4f} (ranker on raw clicks)",
            f"{ips:.4f} (IPS-weighted pairs)",
        ),
    ]
