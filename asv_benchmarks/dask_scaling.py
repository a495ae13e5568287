"""TargetEncoder, FocalLossClassifier and PositionBiasEstimator fits: cluster vs memory.

A plain script rather than an asv module: a cluster per asv sample would
measure cluster start-up, and the sizes that matter (1e7 rows) take minutes.
Each mode runs in a fresh process so that peak memory is that mode's own:

    python asv_benchmarks/dask_scaling.py --rows 10_000_000 --partitions 16

For each estimator it prints, in memory and on the cluster: wall time of the
fit, peak resident memory of the client process and (cluster) of each worker
process, the number of passes over the data the fit made, and the scheduler
overhead per pass (the wall time of a pass whose per-partition work is
nothing, over the persisted partitions). The in-memory fit sees the same rows
(the partitions computed on the client) and the coefficients of the two fits
are compared.

Data: ``n_features`` standard normal columns and a logistic target for the
focal fit; three integer category columns (1e5 ids, 1000 cities, 50
products) and a binary target for the encoder; for the position-bias fit
(``--kind position_bias``), the focal features, positions 1-10 and clicks
that are relevant (a logistic model of the features) and examined (with
probability 1 / position). All are generated on the workers partition by
partition. ``--kind threshold`` times CostSensitiveThresholdClassifier's exact
sweep with ``cv="prefit"`` (a LogisticRegression fitted on 10,000 other rows
scores every row) on the focal data.
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _partition(seed, block, n_rows, kind, n_features):
    rng = np.random.default_rng([seed, block])
    if kind == "position_bias":
        X = rng.standard_normal((n_rows, n_features))
        relevant = 1.0 / (1.0 + np.exp(-(X @ np.linspace(-1.0, 1.0, n_features))))
        positions = rng.integers(1, 11, n_rows)
        clicked = rng.uniform(size=n_rows) < relevant / positions
        return X, clicked.astype(np.int64), positions
    if kind in ("focal", "threshold"):
        X = rng.standard_normal((n_rows, n_features))
        coef = np.linspace(-1.0, 1.0, n_features)
        p = 1.0 / (1.0 + np.exp(-(X @ coef - 2.0)))
        return X, (rng.uniform(size=n_rows) < p).astype(np.int64)
    X = np.column_stack(
        [
            rng.integers(0, 100_000, n_rows),
            rng.zipf(1.3, n_rows) % 1000,
            rng.integers(0, 50, n_rows),
        ]
    )
    effect = np.sin(X[:, 1]) + 0.1 * (X[:, 2] % 7)
    y = (rng.uniform(size=n_rows) < 1.0 / (1.0 + np.exp(-(effect - 1.0)))).astype(
        np.int64
    )
    return X, y


def _collections(rows, partitions, kind, n_features):
    import dask
    import dask.array as da

    sizes = [rows // partitions + (b < rows % partitions) for b in range(partitions)]
    width = 3 if kind == "target_encoder" else n_features
    dtype = np.int64 if kind == "target_encoder" else np.float64
    n_out = 3 if kind == "position_bias" else 2
    columns = [[] for _ in range(n_out)]
    for b, n in enumerate(sizes):
        part = dask.delayed(_partition, nout=n_out)(0, b, n, kind, n_features)
        columns[0].append(da.from_delayed(part[0], shape=(n, width), dtype=dtype))
        for j in range(1, n_out):
            columns[j].append(da.from_delayed(part[j], shape=(n,), dtype=np.int64))
    # X, y and (position_bias) the positions
    return [da.concatenate(c) for c in columns]


def _estimator(kind, n_features=10):
    if kind == "threshold":
        # a prefit model: the sweep over the scores of every row is timed
        from sklearn.linear_model import LogisticRegression

        from mlfound.model_selection import CostSensitiveThresholdClassifier

        X, y = _partition(1, 0, 10_000, "focal", n_features)
        model = LogisticRegression().fit(X, y)
        return CostSensitiveThresholdClassifier(
            model, cv="prefit", cost_matrix={"fp": 1, "fn": 50}
        )
    if kind == "focal":
        from mlfound.linear_model import FocalLossClassifier

        return FocalLossClassifier(gamma=2.0, alpha=0.25, tol=1e-6)
    if kind == "position_bias":
        from mlfound.weighting import PositionBiasEstimator

        return PositionBiasEstimator(random_state=0)
    from mlfound.preprocessing import TargetEncoder

    return TargetEncoder(smooth="auto")


def _fit(est, data):
    X, y, *positions = data
    if positions:
        return est.fit(X, y, positions=positions[0])
    return est.fit(X, y)


def _fitted_numbers(est, kind):
    if kind == "threshold":
        return [est.best_threshold_, est.best_cost_]
    if kind == "position_bias":
        return np.r_[est.coef_.ravel(), est.intercept_, est.propensity_].tolist()
    if kind == "focal":
        return np.r_[est.coef_.ravel(), est.intercept_].tolist()
    return [float(np.sum(e)) for e in est.encodings_]


def run_memory(args):
    data = _collections(args.rows, args.partitions, args.kind, args.n_features)
    import dask

    with dask.config.set(scheduler="synchronous"):
        data = dask.compute(*data)
    est = _estimator(args.kind, args.n_features)
    _fit(est, [a[:1000] for a in data])  # compile the kernels outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    _fit(est, data)
    return {
        "wall_s": time.perf_counter() - start,
        "cpu_s": time.process_time() - cpu,
        "client_peak_mb": _peak_mb(),
        "fitted": _fitted_numbers(est, args.kind),
    }


def _noop(block):
    return 0


def run_cluster(args):
    import dask
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            memory_limit=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        data = _collections(args.rows, args.partitions, args.kind, args.n_features)
        data = client.persist(data)
        distributed.wait(data)
        # compile the kernels on the workers outside the timing
        _fit(
            _estimator(args.kind, args.n_features),
            [a[:2000].rechunk(1000) for a in data],
        )
        blocks = data[0].to_delayed().ravel().tolist()
        latencies = []
        for _ in range(5):
            start = time.perf_counter()
            dask.compute(*[dask.delayed(_noop)(b) for b in blocks])
            latencies.append(time.perf_counter() - start)
        worker_base = client.run(_peak_mb)
        est = _estimator(args.kind, args.n_features)
        worker_cpu = client.run(time.process_time)
        start, cpu = time.perf_counter(), time.process_time()
        _fit(est, data)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu
        worker_cpu = {
            k: v - worker_cpu[k] for k, v in client.run(time.process_time).items()
        }
        return {
            "wall_s": wall,
            "client_cpu_s": cpu,  # the scheduler runs in this process
            "worker_cpu_s": sorted(worker_cpu.values()),
            "client_peak_mb": _peak_mb(),
            "worker_peak_mb": sorted(client.run(_peak_mb).values()),
            "worker_peak_before_fit_mb": sorted(worker_base.values()),
            "passes": est._dask_passes,
            "overhead_per_pass_s": min(latencies),
            "fitted": _fitted_numbers(est, args.kind),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--n-features", type=int, default=10)
    parser.add_argument(
        "--kind", choices=["focal", "target_encoder", "position_bias", "threshold"]
    )
    parser.add_argument(
        "--kinds",
        default="target_encoder,focal",
        help="comma-separated kinds to run (also: position_bias, threshold)",
    )
    parser.add_argument("--mode", choices=["memory", "cluster"])
    args = parser.parse_args()
    if args.mode is not None:
        result = (run_memory if args.mode == "memory" else run_cluster)(args)
        print(json.dumps(result))
        return
    kinds = args.kinds.split(",") if args.kind is None else [args.kind]
    for kind in kinds:
        results = {}
        for mode in ("memory", "cluster"):
            cmd = [sys.executable, __file__, "--mode", mode, "--kind", kind]
            cmd += ["--rows", str(args.rows), "--partitions", str(args.partitions)]
            cmd += ["--n-features", str(args.n_features)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True)
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        a = np.asarray(results["memory"].pop("fitted"))
        b = np.asarray(results["cluster"].pop("fitted"))
        gap = float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))
        print(f"{kind}, {args.rows} rows, {args.partitions} partitions")
        for mode, result in results.items():
            print(f"  {mode:8s}", json.dumps(result))
        print(f"  largest relative difference of the fitted numbers: {gap:.1e}")


if __name__ == "__main__":
    main()
