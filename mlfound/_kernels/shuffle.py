"""``RandomState.shuffle`` of a 1-d array, draw for draw, in compiled code.

scikit-learn's splitters (``KFold(shuffle=True)``, ``StratifiedKFold``)
shuffle with NumPy's legacy :class:`numpy.random.RandomState`, whose stream
NumPy keeps stable across versions. Its ``shuffle`` costs a few hundred
nanoseconds per element; ``shuffle_like_randomstate`` runs the same
Fisher-Yates loop over the same MT19937 draws (the bounded draw
``random_interval`` with its mask-and-reject loop) in Numba, so that mlfound
can reproduce a splitter's folds exactly at a fraction of the cost, and then
writes the advanced generator state back into the ``RandomState``.
"""

import numpy as np

from mlfound.utils._jit import njit

_N = 624
_M = 397


@njit
def _twist(key):
    matrix_a = np.uint32(0x9908B0DF)
    upper = np.uint32(0x80000000)
    lower = np.uint32(0x7FFFFFFF)
    for i in range(_N):
        y = (key[i] & upper) | (key[(i + 1) % _N] & lower)
        value = key[(i + _M) % _N] ^ (y >> np.uint32(1))
        if y & np.uint32(1):
            value ^= matrix_a
        key[i] = value


@njit
def _shuffle_kernel(x, key, pos):
    """Fisher-Yates over ``x`` with MT19937 state ``(key, pos)``; returns pos."""
    for i in range(x.shape[0] - 1, 0, -1):
        mask = np.uint32(i)
        mask |= mask >> np.uint32(1)
        mask |= mask >> np.uint32(2)
        mask |= mask >> np.uint32(4)
        mask |= mask >> np.uint32(8)
        mask |= mask >> np.uint32(16)
        while True:
            if pos >= _N:
                _twist(key)
                pos = 0
            y = key[pos]
            pos += 1
            y ^= y >> np.uint32(11)
            y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
            y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
            y ^= y >> np.uint32(18)
            j = y & mask
            if j <= np.uint32(i):
                break
        tmp = x[i]
        x[i] = x[j]
        x[j] = tmp
    return pos


def shuffle_like_randomstate(x, random_state):
    """Shuffle ``x`` in place exactly as ``random_state.shuffle(x)`` would.

    Parameters
    ----------
    x : ndarray of shape (n,)
        A contiguous 1-d array (fewer than ``2**32`` elements).
    random_state : numpy.random.RandomState
        The generator; its state is advanced as ``shuffle`` would advance it.

    Returns
    -------
    x : ndarray of shape (n,)
        The same array, shuffled.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound._kernels.shuffle import shuffle_like_randomstate
    >>> a = shuffle_like_randomstate(np.arange(6), np.random.RandomState(0))
    >>> b = np.arange(6)
    >>> np.random.RandomState(0).shuffle(b)
    >>> bool(np.array_equal(a, b))
    True
    """
    state = random_state.get_state(legacy=False)
    if (
        state["bit_generator"] != "MT19937"
        or x.ndim != 1
        or not x.flags.c_contiguous
        or x.shape[0] >= 2**32
    ):
        random_state.shuffle(x)
        return x
    key = np.array(state["state"]["key"], dtype=np.uint32)
    pos = _shuffle_kernel(x, key, int(state["state"]["pos"]))
    state["state"]["key"] = key
    state["state"]["pos"] = pos
    random_state.set_state(state)
    return x
