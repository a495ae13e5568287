"""TargetEncoder against scikit-learn's and category_encoders' encoders.

Workload: 2,000,000 rows x 4 categorical columns of cardinalities 10, 1e3,
1e5 and 1e6 with Zipf-like frequencies, binary target. mlfound and
scikit-learn get the *same* folds (``StratifiedKFold(5, shuffle=True,
random_state=0)``); category_encoders has no cross-fitting (its
``fit_transform`` is ``fit(X, y).transform(X)``), it is timed as the encoder a
user would otherwise pick. Inputs are integer columns, or the same values
as strings in a NumPy object array ("object"), a pandas DataFrame of
``string[pyarrow]`` columns ("pandas_arrow") or a polars DataFrame of
``String`` columns ("polars"; category_encoders does not take polars).

Run with ``asv run --python=same --bench preprocessing`` from
``asv_benchmarks/``, or, for the headline ratios in one process (interleaved,
best of several repeats, one and default threads, peak memory in fresh
processes, first call with a cold Numba cache)::

    python asv_benchmarks/benchmarks/preprocessing.py [n_samples [peers [kinds]]]

e.g. ``... 2000000 sklearn,category_encoders int``.
"""

import os
import resource
import subprocess
import sys
import time
from functools import lru_cache, partial

import numpy as np

if __package__:
    from .common import Benchmark, cold_start_seconds, single_thread
    from .datasets import zipf_codes
else:  # run as a script
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from common import Benchmark, cold_start_seconds, single_thread
    from datasets import zipf_codes

CARDINALITIES = (10, 1_000, 100_000, 1_000_000)
N_SAMPLES = 2_000_000


@lru_cache(maxsize=4)
def make_data(n_samples, kind):
    """``X`` (n_samples x 4 Zipf-like columns) and a binary ``y``."""
    X = np.column_stack(
        [zipf_codes(n_samples, c, seed=i) for i, c in enumerate(CARDINALITIES)]
    ).astype(np.int64)
    rng = np.random.default_rng(42)
    y = (rng.random(n_samples) < 0.3).astype(np.int64)
    if kind in ("object", "pandas_arrow", "polars"):
        X = X.astype(str).astype(object)
    if kind == "pandas_arrow":
        import pandas as pd

        X = pd.DataFrame(
            {f"f{j}": pd.Series(X[:, j], dtype="string[pyarrow]") for j in range(4)}
        )
    elif kind == "polars":
        import polars as pl

        X = pl.DataFrame({f"f{j}": X[:, j].tolist() for j in range(4)})
    return X, y


def _cv():
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(5, shuffle=True, random_state=0)


def make_encoder(implementation, n_features=4):
    if implementation == "mlfound":
        from mlfound.preprocessing import TargetEncoder

        return TargetEncoder(cv=_cv())
    if implementation == "sklearn":
        from sklearn.preprocessing import TargetEncoder

        return TargetEncoder(cv=_cv())
    if implementation == "category_encoders":
        import category_encoders

        return category_encoders.TargetEncoder(cols=list(range(n_features)))
    raise ValueError(implementation)


def _as_input(implementation, X):
    if implementation == "category_encoders":
        import pandas as pd

        if type(X).__module__.startswith("polars"):
            raise NotImplementedError("category_encoders takes no polars input")
        if isinstance(X, pd.DataFrame):  # columns named as in make_encoder
            return X.set_axis(range(X.shape[1]), axis=1)

        return pd.DataFrame(X)
    return X


class TargetEncoding(Benchmark):
    """fit_transform (cross-fitted) and transform on 2M rows x 4 columns."""

    param_names = ["implementation", "input"]
    params = (
        ["mlfound", "sklearn", "category_encoders"],
        ["int", "object", "pandas_arrow", "polars"],
    )
    timeout = 1200

    def setup(self, implementation, kind):
        X, self.y = make_data(N_SAMPLES, kind)
        self.X = _as_input(implementation, X)
        self.implementation = implementation
        small = make_encoder(implementation)
        small.fit_transform(_as_input(implementation, X[:1000]), self.y[:1000])
        self.fitted = make_encoder(implementation).fit(self.X, self.y)

    def time_fit_transform(self, *args):
        with single_thread():
            make_encoder(self.implementation).fit_transform(self.X, self.y)

    def time_transform(self, *args):
        with single_thread():
            self.fitted.transform(self.X)

    def peakmem_fit_transform(self, *args):
        make_encoder(self.implementation).fit_transform(self.X, self.y)

    def peakmem_transform(self, *args):
        self.fitted.transform(self.X)


class _FirstCallBenchmark(Benchmark):
    """Seconds a fresh process takes to run ``script``, Numba cache cold or warm.

    The first-call benchmarks differ only in the script they time; asv skips
    this base class (its name starts with an underscore).
    """

    param_names = ["numba_cache"]
    params = (["cold", "warm"],)
    repeat = 1
    number = 1
    script = None

    def track_first_call_seconds(self, numba_cache):
        return cold_start_seconds(self.script, cold=numba_cache == "cold")

    track_first_call_seconds.unit = "seconds"


_FIRST_CALL = """
import numpy as np
from mlfound.preprocessing import TargetEncoder
rng = np.random.default_rng(0)
X = rng.integers(0, 50, (1000, 2))
y = rng.integers(0, 2, 1000)
TargetEncoder(random_state=0).fit_transform(X, y)
TargetEncoder().fit(X, y).transform(X)
"""


class FirstCall(_FirstCallBenchmark):
    """Seconds to import mlfound's TargetEncoder and fit_transform 1,000 rows."""

    script = _FIRST_CALL


# ------------------------------------------------------------------ headline


def _fit_transform(implementation, X, y):
    return make_encoder(implementation).fit_transform(X, y)


def _best_times(funcs, repeats):
    """Interleaved timing: best wall and CPU seconds of ``repeats`` calls each.

    CPU time (``time.process_time``) is reported beside wall time because on a
    shared machine other processes inflate wall times unevenly.
    """
    wall = dict.fromkeys(funcs, np.inf)
    cpu = dict.fromkeys(funcs, np.inf)
    for _ in range(repeats):
        for name, func in funcs.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            func()
            wall[name] = min(wall[name], time.perf_counter() - start)
            cpu[name] = min(cpu[name], time.process_time() - start_cpu)
    return wall, cpu


_PEAK_SCRIPT = """
import sys
sys.path.insert(0, {bench_dir!r})
import numpy as np
from preprocessing import make_data, make_encoder, _as_input

def rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])

X, y = make_data({n}, {kind!r})
X = _as_input({impl!r}, X)
make_encoder({impl!r}).fit_transform(_as_input({impl!r}, X[:1000]), y[:1000])
fitted = make_encoder({impl!r}).fit(X, y) if {method!r} == "transform" else None
try:  # hand memory freed so far back to the OS, so that reuse is not hidden
    import ctypes
    ctypes.CDLL("libc.so.6").malloc_trim(0)
except OSError:
    pass
with open("/proc/self/clear_refs", "w") as f:  # reset the peak RSS (VmHWM)
    f.write("5")
before = rss_kib("VmRSS:")
if fitted is None:
    make_encoder({impl!r}).fit_transform(X, y)
else:
    fitted.transform(X)
print((rss_kib("VmHWM:") - before) / 1024)
"""


def peak_memory_mib(implementation, method, n_samples, kind):
    """Peak RSS increase (MiB) of one call, measured in a fresh process."""
    script = _PEAK_SCRIPT.format(
        bench_dir=os.path.dirname(os.path.abspath(__file__)),
        n=n_samples,
        kind=kind,
        impl=implementation,
        method=method,
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return float(result.stdout.split()[-1])


def headline(n_samples=N_SAMPLES, repeats=3, peers=("sklearn",), kinds=None):
    """Print mlfound's speed-up over its peers, interleaved in one process."""
    from threadpoolctl import threadpool_limits

    print(f"# {n_samples} rows x {len(CARDINALITIES)} columns {CARDINALITIES}")
    for kind in kinds or ("int", "object"):
        X, y = make_data(n_samples, kind)
        impls = ("mlfound", *peers)
        inputs = {impl: _as_input(impl, X) for impl in impls}
        for impl in impls:  # warm-up (JIT compile, imports)
            make_encoder(impl).fit_transform(_as_input(impl, X[:1000]), y[:1000])
        fitted = {impl: make_encoder(impl).fit(inputs[impl], y) for impl in impls}
        for threads in (1, None):
            with threadpool_limits(limits=threads):
                ft = _best_times(
                    {impl: partial(_fit_transform, impl, inputs[impl], y)
                     for impl in impls},
                    repeats,
                )  # fmt: skip
                tr = _best_times(
                    {impl: partial(fitted[impl].transform, inputs[impl])
                     for impl in impls},
                    repeats,
                )  # fmt: skip
            label = "1 thread" if threads == 1 else "default threads"
            clocks = zip(("wall", "cpu"), zip(ft, tr, strict=True), strict=True)
            for clock, (ft_t, tr_t) in clocks:
                for impl in impls:
                    print(
                        f"{kind:6s} {label:15s} {clock:4s} {impl:18s} fit_transform "
                        f"{ft_t[impl]:7.3f} s  transform {tr_t[impl]:7.3f} s"
                    )
                for peer in peers:
                    print(
                        f"{kind:6s} {label:15s} {clock:4s} ratio {peer}/mlfound: "
                        f"fit_transform {ft_t[peer] / ft_t['mlfound']:.1f}x, "
                        f"transform {tr_t[peer] / tr_t['mlfound']:.1f}x"
                    )
        for method in ("fit_transform", "transform"):
            for impl in impls:
                mib = peak_memory_mib(impl, method, n_samples, kind)
                print(f"{kind:6s} peak memory {method:13s} {impl:18s} {mib:8.1f} MiB")
    cold = cold_start_seconds(_FIRST_CALL, cold=True)
    warm = cold_start_seconds(_FIRST_CALL, cold=False)
    print(f"first call in a fresh process: cold Numba cache {cold:.2f} s, ", end="")
    print(f"warm {warm:.2f} s (wall, imports included)")
    print(f"(max RSS of this process {resource.getrusage(0).ru_maxrss / 1024:.0f} MiB)")


# ------------------------------------------------------- string inputs
#
# The string columns of the workload as pandas ``string[pyarrow]``, polars
# ``String`` and a NumPy object array, against scikit-learn and
# category_encoders: CPU seconds (``time.process_time``) of each call,
# interleaved in one process at one thread, best of ``repeats``; the peak of
# each call's allocations as tracemalloc sees them (NumPy and Python
# objects) and as pyarrow's allocator sees them (a fresh proxy pool per
# call: tracemalloc does not see pyarrow's memory, nor polars'), and the
# peak RSS growth of each call in a fresh process (sees every allocator);
# the first call of the string kernels with a cold and a warm Numba cache::
#
#     python asv_benchmarks/benchmarks/preprocessing.py strings [n [repeats [peers]]]

STRING_KINDS = ("pandas_arrow", "polars", "object")


_FIRST_CALL_STRINGS = """
import numpy as np
import pandas as pd
from mlfound.preprocessing import TargetEncoder
rng = np.random.default_rng(0)
X = rng.integers(0, 50, (1000, 2)).astype(str).astype(object)
y = rng.integers(0, 2, 1000)
frame = pd.DataFrame({"a": pd.Series(X[:, 0], dtype="string[pyarrow]"),
                      "b": pd.Series(X[:, 1], dtype="string[pyarrow]")})
TargetEncoder(random_state=0).fit_transform(frame, y)
TargetEncoder().fit(frame, y).transform(frame)
"""


class FirstCallStrings(_FirstCallBenchmark):
    """Seconds to import mlfound and encode 1,000 rows of string columns."""

    script = _FIRST_CALL_STRINGS


def _call_peaks(func):
    """Peak bytes of one call: (tracemalloc, pyarrow's allocator)."""
    import tracemalloc

    import pyarrow as pa

    previous = pa.default_memory_pool()
    pool = pa.proxy_memory_pool(previous)
    pa.set_memory_pool(pool)
    tracemalloc.start()
    try:
        func()
        traced = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        pa.set_memory_pool(previous)
    return traced, pool.max_memory()


def string_headline(n_samples=N_SAMPLES, repeats=3, peers=None, fresh_rss=True):
    """Print speed and memory ratios on string inputs, one thread."""
    import importlib.util

    import numba
    from threadpoolctl import threadpool_limits

    if peers is None:
        peers = ("sklearn",)
        if importlib.util.find_spec("category_encoders") is not None:
            peers += ("category_encoders",)
    numba.set_num_threads(1)
    mib = 2.0**-20
    print(
        f"# {n_samples} rows x {len(CARDINALITIES)} string columns {CARDINALITIES}, "
        f"1 thread, CPU seconds, best of {repeats} interleaved"
    )
    for kind in STRING_KINDS:
        X, y = make_data(n_samples, kind)
        impls = ["mlfound"]
        for peer in peers:
            try:
                _as_input(peer, X[:10])
            except NotImplementedError as exc:
                print(f"{kind:12s} {peer}: skipped ({exc})")
                continue
            impls.append(peer)
        inputs = {impl: _as_input(impl, X) for impl in impls}
        with threadpool_limits(limits=1):
            for impl in impls:  # warm-up (JIT compile, imports)
                make_encoder(impl).fit_transform(_as_input(impl, X[:1000]), y[:1000])
            fitted = {impl: make_encoder(impl).fit(inputs[impl], y) for impl in impls}
            ft = _best_times(
                {impl: partial(_fit_transform, impl, inputs[impl], y)
                 for impl in impls},
                repeats,
            )[1]  # fmt: skip
            tr = _best_times(
                {impl: partial(fitted[impl].transform, inputs[impl])
                 for impl in impls},
                repeats,
            )[1]  # fmt: skip
            peaks = {
                impl: (
                    _call_peaks(partial(_fit_transform, impl, inputs[impl], y)),
                    _call_peaks(partial(fitted[impl].transform, inputs[impl])),
                )
                for impl in impls
            }
        for impl in impls:
            (ft_py, ft_pa), (tr_py, tr_pa) = peaks[impl]
            print(
                f"{kind:12s} {impl:17s} fit_transform {ft[impl]:6.2f} s "
                f"(tracemalloc {ft_py * mib:5.0f} MiB, pyarrow {ft_pa * mib:4.0f} MiB)"
                f"  transform {tr[impl]:6.2f} s (tracemalloc {tr_py * mib:5.0f} MiB, "
                f"pyarrow {tr_pa * mib:4.0f} MiB)"
            )
        for peer in impls[1:]:
            print(
                f"{kind:12s} ratio {peer}/mlfound: fit_transform "
                f"{ft[peer] / ft['mlfound']:.1f}x, transform "
                f"{tr[peer] / tr['mlfound']:.1f}x"
            )
        if fresh_rss:
            for method in ("fit_transform", "transform"):
                for impl in impls:
                    rss = peak_memory_mib(impl, method, n_samples, kind)
                    print(
                        f"{kind:12s} peak RSS growth {method:13s} {impl:17s} "
                        f"{rss:7.1f} MiB (fresh process)"
                    )
    cold = cold_start_seconds(_FIRST_CALL_STRINGS, cold=True)
    warm = cold_start_seconds(_FIRST_CALL_STRINGS, cold=False)
    print(
        f"first call on string columns in a fresh process: cold Numba cache "
        f"{cold:.2f} s, warm {warm:.2f} s (wall, imports included)"
    )


# ------------------------------------------------------------- lag features
#
# LagFeatures against the pandas chain a user writes by hand: a panel of
# N_ENTITIES entities (N_LAG_ROWS rows in all, rows shuffled), 3 lags and 3
# row windows (mean) of one value column. Headline ratio (interleaved, best
# of several repeats, one thread; results checked equal first) and the
# first call in a fresh process::
#
#     python asv_benchmarks/benchmarks/preprocessing.py lag [n_rows [repeats]]

N_LAG_ROWS = 10_000_000
N_ENTITIES = 100_000
LAGS = (1, 2, 7)
WINDOWS = (7, 14, 28)


@lru_cache(maxsize=2)
def make_panel(n_rows, n_entities=N_ENTITIES):
    """A shuffled panel: ``id``, integer time ``t`` and a random walk ``x``."""
    import pandas as pd

    rng = np.random.default_rng(0)
    ids = rng.integers(0, n_entities, n_rows)
    t = rng.permutation(n_rows)  # distinct times, any order
    x = rng.normal(size=n_rows).cumsum()
    return pd.DataFrame({"id": ids, "t": t, "x": x})


def lag_features_mlfound(df):
    from mlfound.preprocessing import LagFeatures

    est = LagFeatures(
        columns=["x"], lags=LAGS, windows=WINDOWS, id_column="id", time_column="t"
    )
    return est.fit_transform(df)


def lag_features_pandas(df):
    data = df.sort_values(["id", "t"], kind="stable")
    g = data.groupby("id", sort=False)["x"]
    out = {f"x_lag{k}": g.shift(k) for k in LAGS}
    shifted = g.shift(1)
    by = data["id"]
    for w in WINDOWS:
        out[f"x_mean{w}"] = (
            shifted.groupby(by, sort=False)
            .rolling(w, min_periods=1)
            .mean()
            .reset_index(level=0, drop=True)
        )
    import pandas as pd

    return pd.DataFrame(out).loc[df.index].to_numpy()


class LagFeaturesPanel(Benchmark):
    """fit_transform of 3 lags + 3 rolling means on a 1e7-row panel."""

    param_names = ["implementation"]
    params = (["mlfound", "pandas"],)
    timeout = 1800

    def setup(self, implementation):
        self.df = make_panel(N_LAG_ROWS)
        self.func = {"mlfound": lag_features_mlfound, "pandas": lag_features_pandas}[
            implementation
        ]
        self.func(self.df.iloc[:1000])

    def time_fit_transform(self, implementation):
        with single_thread():
            self.func(self.df)

    def peakmem_fit_transform(self, implementation):
        self.func(self.df)


_FIRST_CALL_LAG = """
import numpy as np
import pandas as pd
from mlfound.preprocessing import LagFeatures
rng = np.random.default_rng(0)
df = pd.DataFrame({"id": rng.integers(0, 20, 1000), "t": rng.permutation(1000),
                   "x": rng.normal(size=1000)})
LagFeatures(columns=["x"], lags=(1, 2, 7), windows=(7, 14, 28), id_column="id",
            time_column="t").fit_transform(df)
"""


class LagFeaturesFirstCall(_FirstCallBenchmark):
    """Seconds to import LagFeatures and fit_transform 1,000 rows."""

    script = _FIRST_CALL_LAG


def lag_headline(n_rows=N_LAG_ROWS, repeats=3):
    """Print the pandas/mlfound ratio, checking the results agree first."""
    from threadpoolctl import threadpool_limits

    df = make_panel(n_rows, min(N_ENTITIES, max(1, n_rows // 100)))
    a, b = lag_features_mlfound(df), lag_features_pandas(df)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    with threadpool_limits(limits=1):
        wall, cpu = _best_times(
            {"mlfound": partial(lag_features_mlfound, df),
             "pandas": partial(lag_features_pandas, df)},
            repeats,
        )  # fmt: skip
    for clock, t in (("wall", wall), ("cpu", cpu)):
        print(
            f"{n_rows} rows {clock}: mlfound {t['mlfound']:.2f} s, pandas "
            f"{t['pandas']:.2f} s, ratio {t['pandas'] / t['mlfound']:.1f}x"
        )
    cold = cold_start_seconds(_FIRST_CALL_LAG, cold=True)
    warm = cold_start_seconds(_FIRST_CALL_LAG, cold=False)
    print(f"first call in a fresh process: cold Numba cache {cold:.2f} s, ", end="")
    print(f"warm {warm:.2f} s (wall, imports included)")


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "lag":
    lag_headline(
        int(sys.argv[2]) if len(sys.argv) > 2 else N_LAG_ROWS,
        repeats=int(sys.argv[3]) if len(sys.argv) > 3 else 3,
    )
    sys.exit(0)

if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "strings":
    string_headline(
        int(sys.argv[2]) if len(sys.argv) > 2 else N_SAMPLES,
        repeats=int(sys.argv[3]) if len(sys.argv) > 3 else 3,
        peers=tuple(sys.argv[4].split(",")) if len(sys.argv) > 4 else None,
    )
    sys.exit(0)

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N_SAMPLES
    peers = tuple(sys.argv[2].split(",")) if len(sys.argv) > 2 else ("sklearn",)
    kinds = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    headline(n, peers=peers, kinds=kinds)
