"""Shared pieces of mlfound's asv benchmarks."""

import contextlib
import os
import subprocess
import sys
import tempfile
import textwrap
import time

from threadpoolctl import threadpool_limits


class Benchmark:
    """Base class: asv settings shared by every benchmark."""

    timeout = 600
    processes = 1
    repeat = (1, 5, 30)
    number = 1
    warmup_time = 0.0


@contextlib.contextmanager
def single_thread():
    """Limit BLAS and OpenMP to one thread inside the block."""
    with threadpool_limits(limits=1):
        yield


def cold_start_seconds(code, *, cold=True):
    """Seconds a fresh interpreter takes to run ``code`` (imports included).

    With ``cold=True`` Numba's cache points to an empty directory, so every
    kernel the code touches is compiled: the time a user pays on the very first
    call after installing. With ``cold=False`` the cache is filled by one run
    first and the second run is timed.
    """
    script = textwrap.dedent(code)
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {
            **os.environ,
            "NUMBA_CACHE_DIR": cache_dir,
            "MLFOUND_CACHE_DIR": cache_dir,
        }
        if not cold:
            subprocess.run([sys.executable, "-c", script], env=env, check=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", script], env=env, check=True)
        return time.perf_counter() - start
