import os

import pytest
from hypothesis import HealthCheck, settings

# Under pytest-xdist (`pytest -n ...`) the workers share one Numba cache, so
# a kernel one worker compiled is loaded by the others: mlfound's cache locks
# each function's index while saving (mlfound/utils/_jit.py). Where there are
# no file locks (Windows, or a cache on a file system that refuses them)
# every worker compiles into a cache of its own. This runs before any test
# module imports mlfound, and subprocesses started by the tests inherit it.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if _XDIST_WORKER:
    from mlfound.utils._jit import cache_locks_work, cache_root

    if not cache_locks_work():  # pragma: no cover - Windows, lockless mounts
        os.environ["MLFOUND_CACHE_DIR"] = os.path.join(
            cache_root(), f"xdist-{_XDIST_WORKER}"
        )

# Each xdist worker gets its share of the cores for BLAS and OpenMP threads,
# as in scikit-learn's own conftest: with one thread per core in every
# worker, idle OpenBLAS threads spin on the cores the other worker needs (a
# script of three sparse fits from the focal tests took 12.0 s of CPU time
# with 2 threads and 4.6 s with 1, on a busy machine). Child processes
# inherit the setting.
if _XDIST_WORKER:
    from joblib import cpu_count
    from threadpoolctl import threadpool_limits

    # joblib's count honours CPU affinity and container (cgroup) limits.
    _n_workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    _threads = max(1, cpu_count() // _n_workers)
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_variable] = str(_threads)
    threadpool_limits(limits=_threads)  # BLAS may be loaded already

# The dask tests share one two-process LocalCluster (a module fixture) and
# run in one xdist worker (addopts has --dist loadgroup): split over
# workers, each would start a cluster of its own.

# Marked "tooling": they check the README, the docs pages, docstrings, the
# demo tour, where the kernel cache lives, the private scikit-learn imports
# and the dependency floors, not a kernel's arithmetic. The kernels they run
# are run by the kernels' own tests too, so the bounds-checked CI run
# deselects them (-m "not tooling"); the kernel-cache tests run their
# subprocesses without the NUMBA_ settings anyway.
TOOLING_FILES = {
    "tests/test_readme.py",
    "tests/test_docs_snippets.py",
    "tests/test_docs_checks.py",
    "tests/test_docstrings.py",
    "tests/test_dependency_floors.py",
    "tests/test_private_imports.py",
    "tests/utils/test_jit_cache.py",
    "tests/utils/test_jit_and_tour.py",
}

# The first call of a Numba kernel compiles it (or loads it from the cache),
# which can take longer than hypothesis' default deadline: do not count it.
settings.register_profile(
    "mlfound",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
# CI never flakes: the same examples on every run (a failure found locally
# becomes an @example).
settings.register_profile(
    "ci", parent=settings.get_profile("mlfound"), max_examples=40, derandomize=True
)
IN_CI = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}
settings.load_profile("ci" if IN_CI else "mlfound")


# tryfirst: xdist reads the xdist_group marks in its own hook of this name.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark tooling tests, group xdist items; under CI, refuse random draws."""
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path in TOOLING_FILES:
            item.add_marker(pytest.mark.tooling)
        if item.get_closest_marker("dask") is not None:
            item.add_marker(pytest.mark.xdist_group("dask"))
    # The dask group is the longest unit of work and xdist hands work out in
    # collection order: run it first, so the other worker's share runs
    # beside it instead of waiting at the end (stable: the rest keeps order).
    items.sort(key=lambda item: item.get_closest_marker("dask") is None)
    if not IN_CI:
        return
    random = [
        item.nodeid
        for item in items
        if not getattr(
            getattr(item.obj, "_hypothesis_internal_use_settings", None),
            "derandomize",
            True,
        )
    ]
    if random:
        raise pytest.UsageError(
            "These hypothesis tests override the derandomized 'ci' profile "
            "(drop their per-test derandomize/seed settings): " + ", ".join(random)
        )
