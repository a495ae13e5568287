"""Refuse generator arguments whose output cannot fit in memory."""

import os

import numpy as np


def _memory_limit():
    """Physical memory in bytes where known, else the largest array size."""
    limit = int(np.iinfo(np.intp).max)
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return limit
    return min(limit, int(physical)) if physical > 0 else limit


def check_output_size(function, **n_values):
    """Raise a ``ValueError`` when the arrays to build exceed the memory.

    ``n_values`` maps a description of the parameters (e.g.
    ``"n_samples and n_features"``) to the number of 8-byte values that
    they make the generator allocate, computed with Python integers so that
    nothing overflows. The message names the largest contributor, so a huge
    ``n_positions`` or ``n_categories`` is reported as such instead of
    failing later inside NumPy with a ``MemoryError``.
    """
    n_bytes = 8 * sum(int(v) for v in n_values.values())
    limit = _memory_limit()
    if n_bytes > limit:
        name = max(n_values, key=lambda key: int(n_values[key]))
        raise ValueError(
            f"{function}: {name.replace('__', ' and ')} need about "
            f"{n_bytes / 2**30:.3g} GiB of output, more than the "
            f"{limit / 2**30:.3g} GiB of memory available; reduce "
            f"{name.replace('__', ' or ')}."
        )
