"""Scaling out: fits on dask partitions equal the in-memory fits."""

TITLE = "Scaling out: exact fits on dask partitions (mlfound[dask])"
ORDER = 90


def run(quick, step):
    try:
        import dask
        import dask.array as da
    except ImportError:
        return [("dask partitions", "-", "skipped: pip install 'mlfound[dask]'")]
    import numpy as np

    from mlfound.datasets import make_high_cardinality
    from mlfound.linear_model import FocalLossClassifier
    from mlfound.model_selection import CostSensitiveThresholdClassifier
    from mlfound.preprocessing import TargetEncoder

    n_samples = 20_000 if quick else 400_000
    step(f"make_high_cardinality({n_samples}) in 8 partitions (threaded scheduler)")
    data = make_high_cardinality(n_samples, random_state=0)
    chunk = -(-n_samples // 8)
    dX = da.from_array(data.X, chunks=(chunk, data.X.shape[1]))
    dy = da.from_array(data.y, chunks=chunk)
    with dask.config.set(scheduler="threads", num_workers=2):
        step("TargetEncoder.fit: per-partition category sums, merged")
        encoder = TargetEncoder().fit(dX, dy)
        local = TargetEncoder().fit(data.X, data.y)
        gap_te = max(
            float(np.max(np.abs(a - b), initial=0.0))
            for a, b in zip(encoder.encodings_, local.encodings_, strict=True)
        )
        Z = local.transform(data.X)
        step("FocalLossClassifier.fit: one pass over the partitions per L-BFGS step")
        dZ = da.from_array(Z, chunks=(chunk, Z.shape[1]))
        focal = FocalLossClassifier(tol=1e-8).fit(dZ, dy)
        focal_local = FocalLossClassifier(tol=1e-8).fit(Z, data.y)
        step("CostSensitiveThresholdClassifier: exact sweep over sorted partitions")
        costs = {"cost_matrix": {"fp": 1, "fn": 20}, "cv": "prefit"}
        tuned = CostSensitiveThresholdClassifier(focal_local, **costs).fit(dZ, dy)
        tuned_local = CostSensitiveThresholdClassifier(focal_local, **costs)
        tuned_local.fit(Z, data.y)
    gap_focal = float(
        np.max(np.abs(focal.coef_ - focal_local.coef_))
        / np.max(np.abs(focal_local.coef_))
    )
    gap_clicks, clicks = _position_bias(n_samples, chunk, step, dask, da, np)
    rows = [
        ("TargetEncoder encodings, largest difference", "in memory", f"{gap_te:.1e}"),
        (
            "focal coefficients, relative difference",
            "in memory",
            f"{gap_focal:.1e} ({focal._dask_passes} passes)",
        ),
        (
            "position-bias propensities, relative difference",
            "in memory",
            f"{gap_clicks:.1e} ({clicks._dask_passes} passes)",
        ),
        (
            "threshold and cost, distributed sweep",
            "in memory",
            "identical"
            if (tuned.best_threshold_, tuned.best_cost_)
            == (tuned_local.best_threshold_, tuned_local.best_cost_)
            else f"differ: {tuned.best_threshold_} vs {tuned_local.best_threshold_}",
        ),
    ]
    try:  # dask DataFrames need dask[dataframe] (pandas, pyarrow)
        import dask.dataframe as dd
        import pandas as pd
    except ImportError:
        return rows
    step("TargetEncoder.fit on a dask DataFrame of string columns, y a dask Series")
    frame = pd.DataFrame(data.X, columns=data.feature_names).astype("string")
    frame["y"] = data.y
    dframe = dd.from_pandas(frame, npartitions=8)
    with dask.config.set(scheduler="threads", num_workers=2):
        on_frame = TargetEncoder().fit(dframe[data.feature_names], dframe["y"])
    gap_frame = max(
        float(np.max(np.abs(a - b), initial=0.0))
        for a, b in zip(on_frame.encodings_, local.encodings_, strict=True)
    )
    rows.append(
        (
            "TargetEncoder on a dask DataFrame, largest difference",
            "in memory",
            f"{gap_frame:.1e}",
        )
    )
    return rows


def _position_bias(n_samples, chunk, step, dask, da, np):
    from mlfound.datasets import make_click_logs
    from mlfound.weighting import PositionBiasEstimator

    step("PositionBiasEstimator.fit: Fisher scoring on per-partition sums")
    logs = make_click_logs(n_samples, random_state=0)
    dX = da.from_array(logs.X, chunks=(chunk, logs.X.shape[1]))
    dy, dpos = (da.from_array(a, chunks=chunk) for a in (logs.y, logs.positions))
    with dask.config.set(scheduler="threads", num_workers=2):
        dist = PositionBiasEstimator(random_state=0).fit(dX, dy, positions=dpos)
    local = PositionBiasEstimator(random_state=0).fit(
        logs.X, logs.y, positions=logs.positions
    )
    gap = float(np.max(np.abs(dist.propensity_ - local.propensity_)))
    return gap, dist
