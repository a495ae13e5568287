"""Numba kernels shared by several mlfound families.

Conventions every kernel here keeps:

- **Pure functions over contiguous NumPy arrays and scalars.** No scikit-learn,
  SciPy sparse or pandas objects reach a kernel; sparse matrices arrive as their
  ``(data, indices, indptr)`` triplet and get a ``_sparse`` twin.
- **Typed inputs.** Integer codes are ``intp``/``int32``/``int64``; floating
  inputs are ``float32`` or ``float64`` and keep their dtype unless a docstring
  says otherwise (accumulators are ``float64`` for accuracy). Optional arrays
  are passed as ``None``, which Numba compiles into a specialised version.
- **No validation inside the loop.** Numba does not bounds-check: each kernel
  has a small Python wrapper beside it that validates shapes and ranges once
  and then calls the jitted function. Estimators call the wrappers.
- **Deterministic.** Reductions run in row order, so results are bit-for-bit
  reproducible (scikit-learn's idempotence checks rely on it).
- **Compiled with mlfound's settings** (``cache=True``, ``nogil=True``) through
  :func:`mlfound.utils._jit.njit`; ``parallel=True`` only where a benchmark
  shows that it pays on two cores.

Kernels used by one estimator only live beside it in ``_<topic>_fast.py``; the
shared linear-model core lives in :mod:`mlfound._glm`.
"""
