"""The logistic sigmoid and its logarithms, without overflow or cancellation.

``sigmoid_parts(z)`` returns ``(p, 1 - p, log p, log(1 - p))`` for
``p = 1 / (1 + exp(-z))`` from a single ``exp`` and ``log1p`` of ``-|z|``, so
each part is accurate in both tails (``1 - p`` is never formed by subtraction).
It is inlined into the kernels of the focal loss (``mlfound._glm``) and of the
position-bias click model (``mlfound.weighting``).

Numba's on-disk cache checks only the source of the file that defines a
cached function, not of the files it calls into: after editing this module,
delete the cache directory (``python -m mlfound --cache-dir`` prints it). An
installed release has a cache directory of its own (the version is part of
its name, see :mod:`mlfound.utils._jit`), so users are not affected.
"""

import math

from mlfound.utils._jit import njit

__all__ = ["sigmoid_parts"]


@njit
def sigmoid_parts(z):
    """``(p, 1 - p, log p, log(1 - p))`` of ``p = sigmoid(z)``: one exp, one log.

    Examples
    --------
    >>> from mlfound._kernels.sigmoid import sigmoid_parts
    >>> p, q, log_p, log_q = sigmoid_parts(40.0)
    >>> p, float(f"{q:.3e}"), float(f"{log_q:.1f}")
    (1.0, 4.248e-18, -40.0)
    """
    e = math.exp(-abs(z))
    log1pe = math.log1p(e)
    inv = 1.0 / (1.0 + e)
    if z >= 0.0:
        return inv, e * inv, -log1pe, -z - log1pe
    return e * inv, inv, z - log1pe, -log1pe
