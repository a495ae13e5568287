"""The one place that holds mlfound's Numba compilation settings.

Every kernel is compiled with ``cache=True`` (the compiled machine code is
stored next to the source, so only the very first call on a machine pays the
compile time) and ``nogil=True`` (so joblib's threading backend can run
kernels concurrently). Kernels import :func:`njit` from here instead of from
numba, so the settings cannot drift between modules::

    from mlfound.utils._jit import njit

    @njit
    def kernel(x): ...

    @njit(parallel=True)     # extra options are merged over the defaults
    def parallel_kernel(x): ...
"""

import numba

JIT_OPTIONS = {"cache": True, "nogil": True}


def njit(func=None, **options):
    """``numba.njit`` with mlfound's default options (see :data:`JIT_OPTIONS`)."""
    merged = {**JIT_OPTIONS, **options}
    if func is None:
        return lambda f: numba.njit(**merged)(f)
    return numba.njit(**merged)(func)
