"""Numba kernels shared by several mlfound families.

**The kernel safety rule.** Numba does not check bounds, so a kernel trusts
its inputs: an index out of range reads or writes someone else's memory (a
segfault at best, a plausible wrong result or a corrupted heap at worst).
Therefore every path from a public name (estimator, metric, objective,
helper) to a kernel goes through a validated entry, and a kernel is never
called with anything that entry has not checked:

- **dtype and shape** of every array, and **lengths that agree** (``X``,
  ``y``, ``sample_weight``, scores, per-sample costs, group or fold ids);
- **index ranges**: category codes, positions, fold ids, class codes and CSR
  column indices (``0 <= indices < n_features``, ``indptr`` monotone and
  ending at ``nnz``) lie inside the table the kernel indexes;
- **overflow-safe casts**: integers are range-checked *before* they are cast
  to the kernel's index type (a ``uint64`` ``2**64 - 1`` or a float ``1e19``
  must never wrap into a valid-looking index);
- **finiteness where it matters** (NaN/inf in weights, scores, targets,
  probabilities);
- **memory proportional to the data**, never to a value in it: tables are
  sized by the observed distinct codes/positions/folds, not by the largest
  one.

The checks are O(n), run once outside any iteration loop and do not copy
arrays needlessly; they raise ``ValueError``/``TypeError`` naming the argument
and the fix (helpers in :mod:`mlfound.utils.validation`). A public function
that feeds a kernel directly is no exception. CI runs the whole test suite a
second time with ``NUMBA_BOUNDSCHECK=1``, so an access the entry failed to
prevent becomes an ``IndexError`` in a test rather than luck.

Conventions every kernel here keeps:

- **Typed inputs.** Integer codes are ``intp``/``int32``/``int64``; floating
  inputs are ``float32`` or ``float64`` and keep their dtype unless a docstring
  says otherwise (accumulators are ``float64`` for accuracy). Optional arrays
  are passed as ``None``, which Numba compiles into a specialised version.
- **No validation inside the loop.** Each kernel has a small Python wrapper
  beside it (its validated entry) that checks what the rule above lists once
  and then calls the jitted function. Estimators call the wrappers.
- **Deterministic.** Reductions run in row order, so results are bit-for-bit
  reproducible (scikit-learn's idempotence checks rely on it).
- **Compiled with mlfound's settings** (``nogil=True`` and an on-disk cache
  kept outside the package, see :mod:`mlfound.utils._jit`) through
  :func:`mlfound.utils._jit.njit`, never numba's decorators directly;
  ``parallel=True`` only where a benchmark shows that it pays on two cores.

Kernels used by one estimator only live beside it in ``_<topic>_fast.py``; the
shared linear-model core lives in :mod:`mlfound._glm`.
"""
