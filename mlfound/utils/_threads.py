"""Run BLAS single-threaded while Numba kernels use the cores.

Estimators whose data pass is a Numba kernel still call BLAS for vector
operations (penalties, solver updates). Those gain nothing from threads, and
idle OpenBLAS threads spin on the cores the kernels need, which made fits 1.5
to 7 times slower on 2 cores. :func:`single_threaded_blas` limits BLAS to one
thread for the duration of a block.

threadpoolctl changes process-wide state, so overlapping blocks in several
threads (``GridSearchCV`` with the threading backend, Dask's threaded
scheduler) must not each save and restore it: a block entered while another
one is active would save "1" as the setting to restore. Here the first block
in owns the limit and restores it when it leaves; blocks that overlap it run
under its limit and change nothing. (threadpoolctl >= 3.7 also lets only the
thread that set an OpenBLAS limit change it again, which the owner rule
respects.) The controller is built once: scanning the loaded libraries costs
about a millisecond per call.
"""

import threading
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

_lock = threading.Lock()
_state = {"active": False, "controller": None}


def _controller():
    if _state["controller"] is None:
        _state["controller"] = ThreadpoolController()
    return _state["controller"]


@contextmanager
def single_threaded_blas():
    """Context manager: BLAS uses one thread inside, its old setting after.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils._threads import single_threaded_blas
    >>> with single_threaded_blas():
    ...     value = float(np.ones(3) @ np.ones(3))
    >>> value
    3.0
    """
    with _lock:
        owner = not _state["active"]
        _state["active"] = True
    if not owner:  # another block holds the limit and will restore it
        yield
        return
    try:
        with _controller().limit(limits=1, user_api="blas"):
            yield
    finally:
        with _lock:
            _state["active"] = False
