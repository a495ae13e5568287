"""Fits and predictions on dask arrays, on a real two-process LocalCluster.

One cluster serves the module (two worker processes on the loopback
interface). Every distributed fit is compared with the in-memory fit of the
same data; the data is split into at least 8 partitions.
"""

import pickle

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import joblib  # noqa: E402
from sklearn.dummy import DummyClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, PredefinedSplit  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from mlfound.datasets import make_click_logs  # noqa: E402
from mlfound.linear_model import FocalLossClassifier  # noqa: E402
from mlfound.model_selection import CostSensitiveThresholdClassifier  # noqa: E402
from mlfound.ordinal import (  # noqa: E402
    CumulativeBinaryClassifier,
    OrdinalLogisticRegression,
)
from mlfound.preprocessing import TargetEncoder  # noqa: E402
from mlfound.preprocessing._target_encoder_dask import row_folds  # noqa: E402
from mlfound.weighting import IPSReweighter, PositionBiasEstimator  # noqa: E402

pytestmark = pytest.mark.dask

N_ROWS, CHUNK = 1600, 200  # 8 partitions


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    if a.size == 0:
        return 0.0
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


def _binary_data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_ROWS, 4))
    X[:, 3] *= 20.0  # unequal curvatures: the Jacobi scale is used
    logit = X @ np.array([1.0, -0.5, 0.25, 0.02]) - 1.5
    y = (rng.uniform(size=N_ROWS) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    sw = rng.uniform(0.5, 2.0, size=N_ROWS)
    return X, y, sw


def _on_cluster(*arrays):
    return [
        da.from_array(a, chunks=(CHUNK,) + a.shape[1:]) if a is not None else None
        for a in arrays
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"gamma": 2.0, "alpha": 0.25},
        {"gamma": 0.0, "class_weight": "balanced", "C": 10.0},
    ],
)
def test_focal_fit_equals_in_memory(client, params):
    X, y, sw = _binary_data()
    dX, dy, dsw = _on_cluster(X, y, sw)
    local = FocalLossClassifier(tol=1e-8, **params).fit(X, y, sample_weight=sw)
    dist = FocalLossClassifier(tol=1e-8, **params).fit(dX, dy, sample_weight=dsw)
    assert _rel(dist.coef_, local.coef_) < 1e-6
    assert _rel(dist.intercept_, local.intercept_) < 1e-6
    proba = dist.predict_proba(dX)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), dist.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(dist.predict(dX).compute(), dist.predict(X))
    # an ordinary fitted estimator: it predicts NumPy data too
    assert isinstance(dist.predict_proba(X), np.ndarray)


def test_focal_multiclass_and_unsupported_solver(client):
    X, _, _ = _binary_data(1)
    noise = np.random.default_rng(1).logistic(size=N_ROWS)
    y = np.digitize(X[:, 0] + 0.3 * X[:, 1] + noise, [-0.5, 0.5])
    dX, dy = _on_cluster(X, y)
    local = FocalLossClassifier(tol=1e-8, C=1.0).fit(X, y)
    dist = FocalLossClassifier(tol=1e-8, C=1.0).fit(dX, dy)
    assert _rel(dist.coef_, local.coef_) < 1e-6
    scores = dist.decision_function(dX)
    assert scores.shape == (N_ROWS, 3)
    np.testing.assert_allclose(scores.compute(), dist.decision_function(X))
    with pytest.raises(TypeError, match="solver='lbfgs'"):
        FocalLossClassifier(solver="adam").fit(dX, dy)


def test_ordinal_fit_equals_in_memory(client):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(N_ROWS, 3))
    latent = X @ np.array([1.0, -0.7, 0.3]) + rng.logistic(size=N_ROWS)
    y = np.digitize(latent, [-1.5, 0.0, 1.5]) + 1
    sw = rng.uniform(0.5, 2.0, size=N_ROWS)
    dX, dy, dsw = _on_cluster(X, y, sw)
    for params in ({}, {"link": "probit", "nominal": [2]}):
        local = OrdinalLogisticRegression(**params).fit(X, y, sample_weight=sw)
        dist = OrdinalLogisticRegression(**params).fit(dX, dy, sample_weight=dsw)
        assert _rel(dist.coef_, local.coef_) < 1e-6
        assert _rel(dist.thresholds_, local.thresholds_) < 1e-6
        assert _rel(dist.nominal_coef_, local.nominal_coef_) < 1e-6
        # the likelihood summary is exact too (summed Hessian and meat)
        assert dist.loglik_ == pytest.approx(local.loglik_, rel=1e-10)
        np.testing.assert_allclose(
            dist.covariance("robust"), local.covariance("robust"), rtol=1e-6
        )
    np.testing.assert_allclose(
        dist.predict_proba(dX).compute(), local.predict_proba(X), atol=1e-9
    )
    np.testing.assert_array_equal(dist.predict(dX).compute(), dist.predict(X))


# ------------------------------------------------------- PositionBiasEstimator


def _click_data(seed, randomized=0.0):
    logs = make_click_logs(
        N_ROWS,
        n_positions=6,
        randomized_fraction=randomized,
        random_state=seed,
    )
    sw = np.random.default_rng(seed).uniform(0.5, 2.0, size=N_ROWS)
    return logs, sw


def _assert_same_click_model(dist, local):
    assert _rel(dist.coef_, local.coef_) < 1e-6
    assert _rel(dist.intercept_, local.intercept_) < 1e-6
    assert _rel(dist.propensity_, local.propensity_) < 1e-6
    np.testing.assert_array_equal(dist.positions_, local.positions_)
    assert dist.loglik_ == pytest.approx(local.loglik_, rel=1e-10)
    assert dist.nobs_ == pytest.approx(local.nobs_, rel=1e-12)


def test_position_bias_fit_equals_in_memory(client):
    """Fisher scoring on summed statistics, two starts, weights and predictions."""
    logs, sw = _click_data(6)
    dX, dy, dpos, dsw = _on_cluster(logs.X, logs.y, logs.positions, sw)
    params = {"n_init": 2, "random_state": 0, "n_jobs": 2}
    local = PositionBiasEstimator(**params).fit(
        logs.X, logs.y, positions=logs.positions, sample_weight=sw
    )
    dist = PositionBiasEstimator(**params).fit(
        dX, dy, positions=dpos, sample_weight=dsw
    )
    _assert_same_click_model(dist, local)
    assert dist.n_iter_ == local.n_iter_
    # the same fit when the dask joblib backend is active around it
    with joblib.parallel_config(backend="dask"):
        again = PositionBiasEstimator(**params).fit(
            dX, dy, positions=dpos, sample_weight=dsw
        )
    np.testing.assert_array_equal(again.coef_, dist.coef_)
    # the summary's information matrices are sums over rows too
    np.testing.assert_allclose(
        dist.covariance("robust"), local.covariance("robust"), rtol=1e-6
    )
    # one pass to validate, one for the position counts, one per evaluation
    # (at least n_iter_ + 1 for the kept start, one for the other) and one
    # for the summary
    assert dist._dask_passes >= 3 + (local.n_iter_ + 1) + 1
    proba = dist.predict_proba(dX)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), dist.predict_proba(logs.X), rtol=1e-12)
    np.testing.assert_array_equal(dist.predict(dX).compute(), dist.predict(logs.X))
    clicks = dist.predict_click_proba(dX, dpos)
    assert isinstance(clicks, da.Array)
    np.testing.assert_allclose(
        clicks.compute(), dist.predict_click_proba(logs.X, logs.positions)
    )
    assert isinstance(dist.predict_proba(logs.X), np.ndarray)


def test_position_bias_randomized_bucket_and_warm_start(client, monkeypatch):
    """L-BFGS from a warm start, positions in a column, a randomized bucket."""
    import mlfound.weighting._position_bias as position_bias

    # 1600 rows > 2 x 300: both fits first fit the same bootstrap sample
    monkeypatch.setattr(position_bias, "_WARM_START_SIZE", 300)
    logs, _ = _click_data(7, randomized=0.5)
    X = np.column_stack([logs.X, logs.positions.astype(np.float64)])
    dX, dy, dmask = _on_cluster(X, logs.y, logs.randomized)
    params = {"solver": "lbfgs", "position_column": 5, "random_state": 0}
    local = PositionBiasEstimator(**params).fit(X, logs.y, randomized=logs.randomized)
    dist = PositionBiasEstimator(**params).fit(dX, dy, randomized=dmask)
    _assert_same_click_model(dist, local)
    # the bucket's propensities are click-rate ratios, held fixed
    assert dist._theta_fixed.size > 0
    np.testing.assert_array_equal(dist._theta_fixed, local._theta_fixed)
    np.testing.assert_allclose(
        dist.predict_click_proba(dX).compute(), local.predict_click_proba(X)
    )
    # an empty partition predicts nothing instead of failing
    uneven = da.from_array(X, chunks=((0, 900, 700), X.shape[1]))
    np.testing.assert_allclose(
        dist.predict_proba(uneven).compute(), local.predict_proba(X), rtol=1e-6
    )


def test_position_bias_refuses_what_it_cannot_fit(client):
    logs, _ = _click_data(8)
    dX, dy, dpos = _on_cluster(logs.X, logs.y, logs.positions)
    with pytest.raises(ValueError, match="integer index"):
        PositionBiasEstimator(position_column="pos").fit(dX, dy)
    with pytest.raises(ValueError, match="randomized must be a boolean"):
        PositionBiasEstimator().fit(dX, dy, positions=dpos, randomized=dpos)
    with pytest.raises(ValueError, match="positions has"):
        PositionBiasEstimator().fit(dX, dy, positions=dpos[:-1])
    # a bad value in one partition is found on its worker
    bad = logs.positions.copy()
    bad[N_ROWS - 3] = 0
    with pytest.raises(ValueError, match="positions must hold positive integers"):
        PositionBiasEstimator().fit(dX, dy, positions=_on_cluster(bad)[0])
    # the IPS meta-estimator has no distributed fit: refused, not gathered
    with pytest.raises(TypeError, match="compute the collection first|X.compute"):
        IPSReweighter().fit(dX, dy, positions=dpos)


def test_data_never_gathers_on_the_client(client, monkeypatch):
    """The partitions are created on the workers and never come back whole.

    Converting a dask array to NumPy (what a validation step that does not
    know dask would do) raises here, and every result a fit brings back to
    the client is checked to be far smaller than one partition.
    """
    n, chunk, p = 80_000, 10_000, 5
    rs = da.random.RandomState(0)
    X = rs.normal(size=(n, p), chunks=(chunk, p))
    y = (X[:, 0] + rs.logistic(size=n, chunks=chunk) > 0).astype(np.int64)
    partition_bytes = chunk * p * 8
    returned = []
    real_compute = dask.compute

    def recording_compute(*args, **kwargs):
        results = real_compute(*args, **kwargs)
        returned.extend(_nbytes(r) for r in results)
        return results

    def refuse(*args, **kwargs):
        raise AssertionError("a dask array was gathered on the client")

    monkeypatch.setattr(dask, "compute", recording_compute)
    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    # the check can fail: this is what an in-memory fit would do
    with pytest.raises(AssertionError, match="gathered"):
        np.asarray(X)
    focal = FocalLossClassifier(tol=1e-6).fit(X, y)
    ordinal = OrdinalLogisticRegression().fit(X, y)
    # clicks: relevant (y) and examined with probability 1 / position
    positions = rs.randint(1, 6, size=n, chunks=chunk)
    clicked = (y * (rs.uniform(size=n, chunks=chunk) * positions < 1)).astype(int)
    clicks = PositionBiasEstimator().fit(X, clicked, positions=positions)
    # the threshold sweep: the runs move between workers; only summaries and
    # a thinned curve come back (the fold path: test_cost_threshold_folds...)
    tuned = CostSensitiveThresholdClassifier(
        focal, cv="prefit", cost_matrix={"fp": 1, "fn": 5}
    ).fit(X, y)
    # estimators without a distributed fit refuse instead of gathering
    with pytest.raises(TypeError, match="compute the collection first|X.compute"):
        IPSReweighter().fit(X, clicked, positions=positions)
    monkeypatch.undo()
    assert returned and max(returned) < partition_bytes / 20
    assert focal._dask_passes >= 4 and ordinal._dask_passes >= 4
    assert clicks._dask_passes >= 4
    assert tuned.cost_curve_["thresholds"].size <= 2100 < n
    X_local, y_local = dask.compute(X, y)
    local = FocalLossClassifier(tol=1e-6).fit(X_local, y_local)
    assert _rel(focal.coef_, local.coef_) < 1e-6


def _nbytes(obj):
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, (tuple, list)):
        return sum(_nbytes(o) for o in obj)
    return 8


def test_grid_search_on_the_dask_joblib_backend(client):
    X, y, _ = _binary_data(3)
    grid = {"gamma": [0.0, 2.0], "C": [0.1, 1.0]}
    local = GridSearchCV(FocalLossClassifier(), grid, cv=3).fit(X, y)
    with (
        distributed.get_task_stream(client) as stream,
        joblib.parallel_config(backend="dask"),
    ):
        remote = GridSearchCV(FocalLossClassifier(), grid, cv=3, n_jobs=-1).fit(X, y)
    # joblib batches the 12 fits into a varying number of tasks: what must
    # hold is that there were some, and that they all ran on the workers.
    workers = set(client.scheduler_info()["workers"])
    assert stream.data and {task["worker"] for task in stream.data} <= workers
    for key in ("mean_test_score", "split0_test_score", "split2_test_score"):
        np.testing.assert_allclose(remote.cv_results_[key], local.cv_results_[key])


def test_joblib_loops_move_to_the_cluster(client):
    """The K-1 fits and the threshold tuner's CV folds go through joblib."""
    X, y, _ = _binary_data(4)
    y_ord = np.digitize(X[:, 0], [-0.5, 0.5])
    cost = np.array([[0.0, 1.0], [10.0, 0.0]])
    make = [
        (lambda: CumulativeBinaryClassifier(LogisticRegression(), n_jobs=2), y_ord),
        (
            lambda: CostSensitiveThresholdClassifier(
                LogisticRegression(), cost_matrix=cost, cv=4, n_jobs=2
            ),
            y,
        ),
    ]
    for factory, target in make:
        local = factory().fit(X, target)
        with (
            distributed.get_task_stream(client) as stream,
            joblib.parallel_config(backend="dask"),
        ):
            remote = factory().fit(X, target)
        workers = set(client.scheduler_info()["workers"])
        assert stream.data and {task["worker"] for task in stream.data} <= workers
        np.testing.assert_allclose(remote.predict_proba(X), local.predict_proba(X))


@pytest.mark.parametrize("target", ["binary", "continuous", "multiclass"])
def test_target_encoder_equals_in_memory(client, target):
    rng = np.random.default_rng(5)
    cities = np.array([f"city{v}" for v in rng.integers(0, 60, N_ROWS)], dtype=object)
    X = np.column_stack([cities, rng.integers(0, 7, N_ROWS)]).astype(object)
    X[rng.uniform(size=N_ROWS) < 0.02, 0] = None  # a missing category
    y = {
        "binary": (rng.uniform(size=N_ROWS) < 0.3).astype(np.int64),
        "continuous": rng.normal(size=N_ROWS),
        "multiclass": rng.integers(0, 3, N_ROWS),
    }[target]
    sw = rng.uniform(0.5, 2.0, size=N_ROWS)
    dX, dy, dsw = _on_cluster(X, y, sw)
    local = TargetEncoder().fit(X, y, sample_weight=sw)
    dist = TargetEncoder().fit(dX, dy, sample_weight=dsw)
    for a, b in zip(dist.categories_, local.categories_, strict=True):
        assert a.tolist() == b.tolist() or a[:-1].tolist() == b[:-1].tolist()
    for a, b in zip(dist.encodings_, local.encodings_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    for (wa, sa), (wb, sb) in zip(dist._stats, local._stats, strict=True):
        np.testing.assert_allclose(wa, wb, atol=1e-10)
        np.testing.assert_allclose(sa, sb, atol=1e-10)
    encoded = dist.transform(dX)
    assert isinstance(encoded, da.Array)
    np.testing.assert_allclose(encoded.compute(), local.transform(X), atol=1e-10)

    # out of fold: the same per-row folds in memory (as a PredefinedSplit)
    oof = TargetEncoder(cv=5, random_state=0).fit_transform(dX, dy, sample_weight=dsw)
    assert isinstance(oof, da.Array)
    folds = row_folds(dX, 5, 0).compute()
    assert np.bincount(folds).min() > N_ROWS / 10
    in_memory = TargetEncoder(cv=PredefinedSplit(folds)).fit_transform(
        X, y, sample_weight=sw
    )
    np.testing.assert_allclose(oof.compute(), in_memory, rtol=0, atol=1e-10)
    with pytest.raises(TypeError, match="int cv"):
        TargetEncoder(strategy="ordered").fit_transform(dX, dy)


# ------------------------------------------------- dask DataFrames and Series

N_FRAME = 1800  # 9 partitions of 200 rows; the second one filtered out below


def _frame_data(seed=6):
    """A pandas frame of categorical and numeric columns, its dask twin with
    an empty partition (rows 200-399 filtered out on the workers), and the
    same rows in pandas."""
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    rng = np.random.default_rng(seed)
    cities = np.array([f"city{v}" for v in rng.integers(0, 60, N_FRAME)], dtype=object)
    df = pd.DataFrame(
        {
            "object": pd.Series(cities, dtype=object),
            "arrow": pd.Series(cities[::-1], dtype="string[pyarrow]"),
            "python": pd.Series(np.roll(cities, 3), dtype="string[python]"),
            "str": pd.Series(np.roll(cities, 5), dtype="str"),  # object < pandas 3
            "category": pd.Series(np.roll(cities, 7)).astype("category"),
            "code": rng.integers(0, 7, N_FRAME),
            "a": rng.normal(size=N_FRAME),
            "b": rng.normal(size=N_FRAME),
            "c": 20.0 * rng.normal(size=N_FRAME),
        }
    )
    df.loc[rng.uniform(size=N_FRAME) < 0.02, "object"] = None
    for column in ("arrow", "python", "str"):
        df.loc[rng.uniform(size=N_FRAME) < 0.02, column] = None
    logit = df["a"] - 0.5 * df["b"] + 0.02 * df["c"] - 1.0
    df["y"] = (rng.uniform(size=N_FRAME) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    df["stars"] = np.digitize(logit + rng.logistic(size=N_FRAME), [-1.5, 0.0]) + 1
    df["w"] = rng.uniform(0.5, 2.0, size=N_FRAME)
    with dask.config.set({"dataframe.convert-string": False}):  # keep object
        ddf = dd.from_pandas(df, npartitions=9)
    ddf = ddf.map_partitions(_drop_second_partition)
    df = _drop_second_partition(df)
    assert ddf.npartitions == 9 and str(ddf.dtypes["object"]) == "object"
    return df, ddf


def _drop_second_partition(part):
    return part[(part.index < 200) | (part.index >= 400)]


CATEGORICAL = ["object", "arrow", "python", "str", "category", "code"]
NUMERIC = ["a", "b", "c"]


def test_frame_target_encoder_equals_pandas(client):
    df, ddf = _frame_data()
    X, dX = df[CATEGORICAL], ddf[CATEGORICAL]
    local = TargetEncoder().fit(X, df["y"], sample_weight=df["w"])
    dist = TargetEncoder().fit(dX, ddf["y"], sample_weight=ddf["w"])
    assert dist.feature_names_in_.tolist() == CATEGORICAL
    for a, b in zip(dist.categories_, local.categories_, strict=True):
        assert a[:-1].tolist() == b[:-1].tolist() and len(a) == len(b)
    for a, b in zip(dist.encodings_, local.encodings_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10)
    for (wa, sa), (wb, sb) in zip(dist._stats, local._stats, strict=True):
        np.testing.assert_allclose(wa, wb, rtol=0, atol=1e-10)
        np.testing.assert_allclose(sa, sb, rtol=0, atol=1e-10)
    # transform: a dask DataFrame with the output names and X's index,
    # whatever set_output says (a pandas container would gather it)
    for output in ("default", "pandas"):
        encoded = dist.set_output(transform=output).transform(dX)
        assert isinstance(encoded, dd_collection("DataFrame"))
        assert encoded.npartitions == dX.npartitions
        got = encoded.compute()
        assert got.columns.tolist() == CATEGORICAL
        assert got.index.equals(X.index)
        np.testing.assert_allclose(got.to_numpy(), local.transform(X), atol=1e-10)
    # out of fold, multiclass: the same per-row folds in memory
    enc = TargetEncoder(cv=4, random_state=0)
    oof = enc.fit_transform(dX, ddf["stars"], sample_weight=ddf["w"])
    assert isinstance(oof, dd_collection("DataFrame"))
    assert oof.columns.tolist() == enc.get_feature_names_out().tolist()
    folds = row_folds(dX, 4, 0).compute()
    assert folds.index.equals(X.index)
    in_memory = TargetEncoder(cv=PredefinedSplit(folds.to_numpy())).fit_transform(
        X, df["stars"], sample_weight=df["w"]
    )
    np.testing.assert_allclose(oof.compute().to_numpy(), in_memory, atol=1e-10)


def dd_collection(name):
    return getattr(pytest.importorskip("dask.dataframe"), name)


def test_frame_numeric_estimators_equal_pandas(client):
    df, ddf = _frame_data(7)
    X, dX = df[NUMERIC], ddf[NUMERIC]
    params = {"gamma": 2.0, "alpha": 0.25, "tol": 1e-8}
    local = FocalLossClassifier(**params).fit(X, df["y"], sample_weight=df["w"])
    dist = FocalLossClassifier(**params).fit(dX, ddf["y"], sample_weight=ddf["w"])
    assert dist.feature_names_in_.tolist() == NUMERIC
    assert _rel(dist.coef_, local.coef_) < 1e-6
    assert _rel(dist.intercept_, local.intercept_) < 1e-6
    proba = dist.predict_proba(dX)
    assert isinstance(proba, da.Array) and np.isnan(proba.chunks[0]).all()
    np.testing.assert_allclose(proba.compute(), local.predict_proba(X), rtol=1e-6)
    np.testing.assert_array_equal(dist.predict(dX).compute(), dist.predict(X))

    # nominal named by column, as for a pandas DataFrame
    local = OrdinalLogisticRegression(nominal=["c"]).fit(X, df["stars"])
    dist = OrdinalLogisticRegression(nominal=["c"]).fit(dX, ddf["stars"])
    assert dist.feature_names_in_.tolist() == NUMERIC
    assert _rel(dist.coef_, local.coef_) < 1e-6
    assert _rel(dist.thresholds_, local.thresholds_) < 1e-6
    assert _rel(dist.nominal_coef_, local.nominal_coef_) < 1e-6
    np.testing.assert_allclose(
        dist.predict_proba(dX).compute(), local.predict_proba(X), atol=1e-9
    )

    # a pipeline on the cluster: encoded columns stay a dask DataFrame
    # partitioned like y, so the classifier fits on them too (with their
    # names, as set_output(transform="pandas") gives them in memory)
    from sklearn.pipeline import make_pipeline

    pipe = make_pipeline(
        TargetEncoder(cv=3, random_state=0), FocalLossClassifier()
    ).set_output(transform="pandas")
    pipe.fit(ddf[CATEGORICAL], ddf["y"])
    proba = pipe.predict_proba(ddf[CATEGORICAL])
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(
        proba.compute(), pipe.predict_proba(df[CATEGORICAL]), rtol=1e-12
    )


def test_frame_errors(client):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    df, ddf = _frame_data(8)
    dX, dy = ddf[NUMERIC], ddf["y"]
    # non-numeric columns in a numeric estimator: refused before any pass
    with pytest.raises(TypeError, match=r"non-numeric column\(s\) 'object' \(object\)"):
        FocalLossClassifier().fit(ddf[["a", "object"]], dy)
    with pytest.raises(TypeError, match="'category'"):
        OrdinalLogisticRegression().fit(ddf[["a", "category"]], dy)
    # y not a dask Series partitioned like X
    with pytest.raises(TypeError, match="dask Series partitioned like X"):
        FocalLossClassifier().fit(dX, df["y"].to_numpy())
    with pytest.raises(ValueError, match="9 partitions and y 3"):
        TargetEncoder().fit(ddf[CATEGORICAL], dy.repartition(npartitions=3))
    shifted = dd.from_pandas(
        pd.Series(df["y"].to_numpy(), index=df.index + 100), npartitions=9
    )
    with pytest.raises(ValueError, match="different divisions"):
        FocalLossClassifier().fit(dX, shifted)
    # unknown divisions: the partitions' indexes are compared on the workers
    with pytest.raises(ValueError, match=r"Partition \d of y does not have the index"):
        TargetEncoder().fit(ddf[CATEGORICAL], shifted.clear_divisions())
    # columns checked against feature_names_in_ before the graph is built
    fitted = FocalLossClassifier().fit(dX, dy)
    with pytest.raises(ValueError, match="feature names"):
        fitted.predict_proba(dX.rename(columns={"a": "z"}))


def test_frame_never_gathers_on_the_client(client, monkeypatch):
    """Frames made on the workers are fitted without computing their lengths."""
    dd = pytest.importorskip("dask.dataframe")
    n, chunk = 60_000, 7_500
    rs = da.random.RandomState(1)
    frame = dd.from_dask_array(
        rs.normal(size=(n, 4), chunks=(chunk, 4)), columns=["a", "b", "c", "noise"]
    )
    frame["city"] = (frame["a"] * 20).round().astype("int64").astype(str)
    frame["y"] = (frame["a"] + frame["b"] + frame["noise"] > 0).astype("int64")
    partition_bytes = chunk * 5 * 8
    returned = []
    real_compute = dask.compute

    def recording_compute(*args, **kwargs):
        results = real_compute(*args, **kwargs)
        returned.extend(_nbytes(r) for r in results)
        return results

    def refuse(*args, **kwargs):
        raise AssertionError("a dask DataFrame was gathered on the client")

    monkeypatch.setattr(dask, "compute", recording_compute)
    for cls in (dd.DataFrame, dd.Series):
        for name in ("__array__", "compute", "__len__", "to_dask_array"):
            monkeypatch.setattr(cls, name, refuse)
    with pytest.raises(AssertionError, match="gathered"):
        len(frame)
    focal = FocalLossClassifier(tol=1e-6).fit(frame[["a", "b", "c"]], frame["y"])
    encoder = TargetEncoder().fit(frame[["city"]], frame["y"])
    encoded = encoder.transform(frame[["city"]])  # lazy
    monkeypatch.undo()
    assert returned and max(returned) < partition_bytes / 20
    assert encoded.npartitions == frame.npartitions
    local = frame.compute()
    in_memory = FocalLossClassifier(tol=1e-6).fit(local[["a", "b", "c"]], local["y"])
    assert _rel(focal.coef_, in_memory.coef_) < 1e-6
    np.testing.assert_allclose(
        encoded.compute().to_numpy(),
        TargetEncoder().fit(local[["city"]], local["y"]).transform(local[["city"]]),
        atol=1e-10,
    )


# ------------------------------------------------ CostSensitiveThresholdClassifier


def _fraud_data(seed, n=N_ROWS, ties=False):
    rng = np.random.default_rng(seed)
    X = (
        rng.integers(0, 6, size=(n, 2)).astype(np.float64)
        if ties
        else rng.normal(size=(n, 3))
    )
    logit = X @ np.r_[0.8, -0.6, 0.4][: X.shape[1]] - (3.0 if ties else 2.0)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return X, y


def _assert_curve_points_exact(dist, local, rtol=0.0):
    """Every cut kept by the distributed curve is a cut of the in-memory curve."""
    a, b = dist.cost_curve_, local.cost_curve_
    index = np.searchsorted(-b["thresholds"], -a["thresholds"])
    np.testing.assert_array_equal(b["thresholds"][index], a["thresholds"])
    for key in ("costs", "recall", "precision", "fpr"):
        np.testing.assert_allclose(a[key], b[key][index], rtol=rtol, atol=0)


def test_threshold_sweep_equals_in_memory(client):
    """The distributed sweep on the same scores: the same cut, bit for bit."""
    X, y = _fraud_data(6)
    # few distinct scores: ties within and across partitions
    X_tied, y_tied = _fraud_data(6, ties=True)
    dX, dy = _on_cluster(X, y)
    model = LogisticRegression().fit(X, y)
    tied = LogisticRegression().fit(X_tied, y_tied)
    assert np.unique(tied.predict_proba(X_tied)[:, 1]).size < 40
    cases = [
        (model, {"cost_matrix": {"fp": 1, "fn": 9}}, {}),
        (tied, {"cost_matrix": {"fp": 1, "fn": 9}, "constraint": ("recall", 0.8)}, {}),
        (model, {"constraint": ("precision", 0.5)}, {}),
        (
            model,
            {"cost_matrix": [[0, 2], [7, 1]], "response_method": "decision_function"},
            {},
        ),
    ]
    rng = np.random.default_rng(7)
    amount = rng.integers(1, 100, N_ROWS).astype(np.float64)
    sample_cost = np.zeros((N_ROWS, 2, 2))
    sample_cost[:, 0, 1], sample_cost[:, 1, 0] = 5.0, amount
    cases.append((model, {}, {"sample_cost": sample_cost}))
    for inner, params, fit_params in cases:
        data = (X_tied, y_tied) if inner is tied else (X, y)
        local = CostSensitiveThresholdClassifier(inner, cv="prefit", **params)
        local.fit(*data, **fit_params)
        dist = CostSensitiveThresholdClassifier(inner, cv="prefit", **params)
        on_cluster = {k: _on_cluster(v)[0] for k, v in fit_params.items()}
        dist.fit(*_on_cluster(*data), **on_cluster)
        assert dist.best_threshold_ == local.best_threshold_
        assert dist.best_cost_ == local.best_cost_
        _assert_curve_points_exact(dist, local)
        assert dist._dask_passes == 5
    # fractional weights: the same cut, costs to the rounding of the sums
    sw = rng.uniform(0.5, 2.0, N_ROWS)
    params = {"cv": "prefit", "cost_matrix": [[0, 1], [6, 0]]}
    dist = CostSensitiveThresholdClassifier(model, **params)
    dist.fit(dX, dy, sample_weight=_on_cluster(sw)[0])
    local = CostSensitiveThresholdClassifier(model, **params)
    local.fit(X, y, sample_weight=sw)
    assert dist.best_threshold_ == local.best_threshold_
    assert dist.best_cost_ == pytest.approx(local.best_cost_, rel=1e-12)
    _assert_curve_points_exact(dist, local, rtol=1e-12)
    # predictions on the collection, per partition
    for method in ("predict", "predict_proba", "decision_function"):
        out = getattr(dist, method)(dX)
        assert isinstance(out, da.Array)
        np.testing.assert_array_equal(out.compute(), getattr(local, method)(X))


def test_cost_threshold_folds_on_the_cluster(client, monkeypatch):
    """Folds per row, fold fits on the cluster: the in-memory fit on those folds."""
    X, y = _fraud_data(8)
    dX, dy = _on_cluster(X, y)
    inner = FocalLossClassifier(gamma=0.0, tol=1e-8)
    params = {"cost_matrix": {"fp": 1, "fn": 9}, "cv": 2, "random_state": 0}
    # the k + 1 fits are driven from client threads, under any joblib backend;
    # no step converts a dask array to NumPy on the client
    with monkeypatch.context() as patch, joblib.parallel_config(backend="dask"):
        patch.setattr(da.Array, "__array__", _refuse_gathering)
        patch.setattr(da.Array, "compute", _refuse_gathering)
        dist = CostSensitiveThresholdClassifier(inner, n_jobs=2, **params)
        dist.fit(dX, dy)
    folds = row_folds(dX, 2, 0).compute()
    local = CostSensitiveThresholdClassifier(
        inner, **{**params, "cv": PredefinedSplit(folds)}
    ).fit(X, y)
    # the fold models agree to ~1e-9 (tol), and the cut is the same row's score
    assert dist.best_threshold_ == pytest.approx(local.best_threshold_, rel=1e-6)
    assert dist.best_cost_ == local.best_cost_
    np.testing.assert_allclose(
        dist.predict_proba(dX).compute(), local.predict_proba(X), rtol=1e-9
    )
    np.testing.assert_array_equal(dist.predict(dX).compute(), local.predict(X))
    assert dist._dask_passes > 3 * 3  # labels, 3 fits, scores, 3 sweep passes
    # an ordinary fitted estimator: NumPy in, NumPy out
    assert isinstance(dist.predict(X), np.ndarray)
    restored = pickle.loads(pickle.dumps(dist))
    np.testing.assert_array_equal(restored.predict(X), local.predict(X))
    with pytest.raises(ValueError, match="fit again on the collection"):
        dist.set_costs({"fp": 1, "fn": 2})
    # an inner estimator that cannot fit a collection is refused, naming the fixes
    with pytest.raises(TypeError, match="cv='prefit'.*X.compute"):
        CostSensitiveThresholdClassifier(LogisticRegression()).fit(dX, dy)
    with pytest.raises(TypeError, match="cv must be an int"):
        CostSensitiveThresholdClassifier(inner, cv=PredefinedSplit(folds)).fit(dX, dy)


def test_cost_threshold_over_a_dask_pipeline(client):
    """Encoder and classifier fit each fold's rows on the cluster."""
    rng = np.random.default_rng(10)
    X = rng.integers(0, 40, size=(N_ROWS, 2))
    y = (rng.uniform(size=N_ROWS) < 0.1 + 0.3 * (X[:, 0] % 3 == 0)).astype(np.int64)
    dX, dy = _on_cluster(X, y)
    pipe = make_pipeline(
        TargetEncoder(cv=2, random_state=0), FocalLossClassifier(gamma=0.0, tol=1e-4)
    )
    tuned = CostSensitiveThresholdClassifier(
        pipe, cv=2, cost_matrix={"fp": 1, "fn": 5}, thresholds=32
    ).fit(dX, dy)
    # 3 pipeline fits of 3 + 3 or more passes each, labels, scores, 1 sweep pass
    assert tuned._dask_passes >= 3 * 6 + 3
    assert 0 < tuned.best_threshold_ < 0.5
    np.testing.assert_allclose(
        tuned.predict_proba(dX).compute(), tuned.predict_proba(X), rtol=1e-12
    )


def _refuse_gathering(*args, **kwargs):
    raise AssertionError("a dask array was gathered on the client")


def test_quantile_sweep_is_within_its_bound(client):
    X, y = _fraud_data(9)
    dX, dy = _on_cluster(X, y)
    model = LogisticRegression().fit(X, y)
    params = {"cost_matrix": {"fp": 1, "fn": 9}, "cv": "prefit"}
    exact = CostSensitiveThresholdClassifier(model, **params).fit(X, y)
    for q in (16, 64):
        approx = CostSensitiveThresholdClassifier(model, thresholds=q, **params)
        approx.fit(dX, dy)
        assert approx._dask_passes == 3
        # the costs at the candidates are exact
        _assert_curve_points_exact(approx, exact)
        assert q // 2 <= approx.cost_curve_["thresholds"].size <= q + 3
        # the bound: a gap of at most 2 n / q + 2 P rows (P = 8 partitions)
        # between candidates, each row changing the cost by at most 9
        gap = 9 * (2 / q + 16 / N_ROWS)
        assert exact.best_cost_ <= approx.best_cost_ <= exact.best_cost_ + gap
        # in memory, exact quantiles: the same kind of answer
        mem = CostSensitiveThresholdClassifier(model, thresholds=q, **params).fit(X, y)
        assert exact.best_cost_ <= mem.best_cost_ <= exact.best_cost_ + 9 / (q - 1)
    # constant scores are refused, as in memory
    constant = DummyClassifier().fit(X, y)
    with pytest.raises(ValueError, match="constant predictions"):
        CostSensitiveThresholdClassifier(constant, cv="prefit").fit(dX, dy)
