"""LinearRanker against LightGBM's LambdaMART on the same simulated search logs.

Run once (``python asv_benchmarks/ranking_vs_lightgbm.py``) to produce the
table of the ranking user guide page: held-out NDCG@10 against the *true*
graded relevance and fit time (one thread each), mean and standard deviation
over seeds, for rankers trained on the graded relevance and on the
position-biased clicks of ``make_search_logs``. Needs ``lightgbm>=4.1`` (the
``position`` field of ``lightgbm.Dataset``, for its unbiased LambdaMART).
"""

import sys
import time
import warnings

import lightgbm as lgb
import numpy as np

from mlfound.datasets import make_search_logs
from mlfound.metrics import grouped_ndcg_score
from mlfound.ranking import LinearRanker
from mlfound.weighting import PositionBiasEstimator

LGB_PARAMS = {
    "objective": "lambdarank",
    "num_threads": 1,
    "verbose": -1,
    "learning_rate": 0.1,
    "num_leaves": 31,
}


def _lightgbm(X, y, q, positions=None, n_rounds=100):
    # rows are grouped by query, in order: LightGBM takes the group sizes
    sizes = np.bincount(q)
    data = lgb.Dataset(X, y, group=sizes, position=positions)
    return lgb.train(LGB_PARAMS, data, num_boost_round=n_rounds).predict


def _linear(loss="ranknet", **fit):
    def train(X, y, q):
        return LinearRanker(loss=loss).fit(X, y, groups=q, **fit).decision_function

    return train


def run(seed, n_queries):
    logs = make_search_logs(10 * n_queries, random_state=seed)
    train = logs.query_id < n_queries // 2
    test = ~train
    X, q = logs.X[train], logs.query_id[train]
    rel, clicks, pos = logs.relevance[train], logs.y[train], logs.positions[train]
    true_p = logs.propensity[pos - 1]

    def estimated_ips(X, y, q):
        bias = PositionBiasEstimator().fit(X, y, positions=pos)
        p = bias.propensity_[np.searchsorted(bias.positions_, pos)]
        return LinearRanker(clip=0.05).fit(X, y, groups=q, propensity=p)

    models = {
        ("relevance", "LinearRanker ranknet"): lambda: _linear()(X, rel, q),
        ("relevance", "LinearRanker lambdarank"): lambda: _linear("lambdarank")(
            X, rel, q
        ),
        ("relevance", "LightGBM lambdarank"): lambda: _lightgbm(X, rel, q),
        ("clicks", "LinearRanker, no correction"): lambda: _linear()(X, clicks, q),
        ("clicks", "LinearRanker, IPS (estimated propensities)"): lambda: (
            estimated_ips(X, clicks, q).decision_function
        ),
        ("clicks", "LinearRanker, IPS (true propensities)"): lambda: _linear(
            propensity=true_p
        )(X, clicks, q),
        ("clicks", "LightGBM lambdarank, no correction"): lambda: _lightgbm(
            X, clicks, q
        ),
        ("clicks", "LightGBM lambdarank, position="): lambda: _lightgbm(
            X, clicks, q, positions=pos - 1
        ),
    }
    out = {}
    for key, fit in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predict = fit()
        seconds = time.perf_counter() - start
        ndcg = grouped_ndcg_score(
            logs.relevance[test],
            predict(logs.X[test]),
            query_id=logs.query_id[test],
            k=10,
        )
        out[key] = (ndcg, seconds)
    return out


def main(n_queries=10_000, n_seeds=5):
    run(0, 200)  # compile / load the kernels
    results = [run(seed, n_queries) for seed in range(n_seeds)]
    print(f"{n_queries // 2:,} training and {n_queries // 2:,} test queries x 10 ")
    print(f"documents, seeds 0..{n_seeds - 1}: mean (std) over seeds")
    for key in results[0]:
        ndcg = np.array([r[key][0] for r in results])
        sec = np.array([r[key][1] for r in results])
        print(
            f"{key[0]:<9} | {key[1]:<45} | {ndcg.mean():.4f} ({ndcg.std():.4f}) | "
            f"{sec.mean():6.2f} ({sec.std():.2f}) s"
        )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
