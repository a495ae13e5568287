"""Time-ordered data: unshifted rolling(7) vs LagFeatures on a random walk."""

TITLE = "Rolling features: rolling(7) including today vs LagFeatures (shift first)"
ORDER = 55


def run(quick, step):
    try:
        import pandas as pd
    except ImportError:
        return [("rolling features", "-", "skipped: pip install pandas")]
    import numpy as np
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_absolute_error
    from sklearn.model_selection import TimeSeriesSplit

    from mlfound.preprocessing import LagFeatures

    n_entities, n_days = (100, 150) if quick else (2000, 300)
    split = n_days * 2 // 3
    step(f"{n_entities} random walks x {n_days} days; holdout = last third")
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "id": np.repeat(np.arange(n_entities), n_days),
            "t": np.tile(np.arange(n_days), n_entities),
            "x": rng.normal(size=(n_entities, n_days)).cumsum(axis=1).ravel(),
        }
    )
    train, hold = df[df.t < split], df[df.t >= split]
    y_train, y_hold = train["x"].to_numpy(), hold["x"].to_numpy()
    order = np.argsort(train["t"].to_numpy(), kind="stable")

    def validation_mae(Z):
        errors = []
        for tr, te in TimeSeriesSplit(4).split(order):
            a, b = order[tr], order[te]
            ok = ~np.isnan(Z[a, 0])
            model = LinearRegression().fit(Z[a][ok], y_train[a][ok])
            errors.append(mean_absolute_error(y_train[b], model.predict(Z[b])))
        return float(np.mean(errors))

    step("naive: groupby().rolling(7).mean() including the current row")
    leaky = train.groupby("id")["x"].transform(lambda s: s.rolling(7, 1).mean())
    Z_leaky = leaky.to_numpy()[:, None]
    step("mlfound: LagFeatures(windows=(7,)) fit_transform / transform next period")
    lag = LagFeatures(
        columns=["x"], lags=(), windows=(7,), id_column="id", time_column="t"
    )
    Z_train = lag.fit_transform(train)
    Z_hold = lag.transform(hold)
    ok = ~np.isnan(Z_train[:, 0])
    naive_hold = mean_absolute_error(
        y_hold, LinearRegression().fit(Z_leaky, y_train).predict(Z_hold)
    )
    safe_hold = mean_absolute_error(
        y_hold, LinearRegression().fit(Z_train[ok], y_train[ok]).predict(Z_hold)
    )
    return [
        ("validation MAE (time-ordered CV)", f"{validation_mae(Z_leaky):.3f}",
         f"{validation_mae(Z_train):.3f}"),
        ("later holdout MAE", f"{naive_hold:.3f}", f"{safe_hold:.3f}"),
    ]  # fmt: skip
