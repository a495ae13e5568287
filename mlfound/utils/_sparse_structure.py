"""Index-array checks for sparse matrices, which neither SciPy nor
``check_array`` performs and every kernel reading a sparse matrix relies on."""

import numpy as np
import scipy.sparse as sp


def check_sparse_structure(X, *, name="X"):
    """Check the index arrays of a CSR, CSC or COO matrix before any kernel reads them.

    Neither SciPy nor ``check_array`` verifies that the stored indices of a
    sparse matrix lie inside its shape, and compiled code that trusts them
    (SciPy's own format conversions and products included) reads or writes
    out of bounds. This helper checks, in one vectorised pass over the index
    arrays:

    - CSR/CSC: ``indptr`` is an integer array of length ``n_major + 1`` that
      starts at 0, never decreases and ends at ``len(indices) == len(data)``,
      and every entry of ``indices`` lies in ``[0, n_minor)`` (columns for
      CSR, rows for CSC);
    - COO: ``row``, ``col`` and ``data`` have one length and every
      coordinate lies inside the shape.

    int32 and int64 (or unsigned) index arrays are both accepted; the checks
    compare values without casting them, so no index wraps around. Dense
    input and other sparse formats (whose indices SciPy keeps in Python
    structures or checks itself) are returned unchanged.

    Parameters
    ----------
    X : array-like or sparse matrix
        The input to check.
    name : str, default="X"
        The parameter name used in the error message.

    Returns
    -------
    X : array-like or sparse matrix
        ``X`` itself, unchanged.

    Raises
    ------
    ValueError
        If an index array has the wrong dtype or length, or holds an index
        outside the matrix.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from mlfound.utils.validation import check_sparse_structure
    >>> X = sp.csr_matrix(np.eye(3))
    >>> check_sparse_structure(X) is X
    True
    >>> X.indices[1] = 7
    >>> check_sparse_structure(X)
    Traceback (most recent call last):
        ...
    ValueError: X is a malformed CSR matrix: column index 7 ...
    """
    if not sp.issparse(X):
        return X
    fmt = X.format
    if fmt in ("csr", "csc"):
        _check_compressed(X, fmt, name)
    elif fmt == "coo":
        _check_coordinates(X, name)
    return X


def _bad_structure(name, fmt, problem):
    return ValueError(
        f"{name} is a malformed {fmt.upper()} matrix: {problem}. Reading "
        f"it would access memory outside its arrays. Rebuild it from valid "
        f"arrays, e.g. scipy.sparse.csr_matrix((data, (row, col)), "
        f"shape=...)."
    )


def _check_index_dtype(arr, name, fmt, what):
    arr = np.asarray(arr)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise _bad_structure(
            name,
            fmt,
            f"{what} must be a 1-d integer array, got dtype {arr.dtype} and "
            f"shape {arr.shape}",
        )
    return arr


def _check_range(arr, size, shape, name, fmt, what):
    """All of ``arr`` in ``[0, size)``, compared without casts that could wrap.

    Viewed as unsigned integers of the same width, negative indices become
    larger than any valid one, so a single ``max`` pass checks both ends.
    """
    if arr.shape[0] == 0:
        return
    if arr.view(arr.dtype.str.replace("i", "u")).max() < size:
        return
    low, high = arr.min(), arr.max()
    if low < 0 or high >= size:
        bad = low if low < 0 else high
        raise _bad_structure(
            name,
            fmt,
            f"{what} index {int(bad)} is outside [0, {size}) for a matrix of "
            f"shape {shape}",
        )


def _check_compressed(X, fmt, name):
    shape = tuple(int(s) for s in X.shape)
    n_major, n_minor = shape if fmt == "csr" else shape[::-1]
    minor = "column" if fmt == "csr" else "row"
    indptr = _check_index_dtype(X.indptr, name, fmt, "indptr")
    indices = _check_index_dtype(X.indices, name, fmt, "indices")
    data = np.asarray(X.data)
    if indptr.shape[0] != n_major + 1:
        raise _bad_structure(
            name,
            fmt,
            f"indptr has {indptr.shape[0]} entries where its shape {shape} "
            f"needs {n_major + 1}",
        )
    if indptr[0] != 0:
        raise _bad_structure(name, fmt, f"indptr starts at {int(indptr[0])}, not 0")
    if data.ndim != 1 or indices.shape[0] != data.shape[0]:
        raise _bad_structure(
            name,
            fmt,
            f"indices has {indices.shape[0]} entries but data has shape {data.shape}",
        )
    if indptr[-1] != indices.shape[0]:
        raise _bad_structure(
            name,
            fmt,
            f"indptr ends at {int(indptr[-1])} but there are "
            f"{indices.shape[0]} stored values",
        )
    if n_major > 0 and np.any(indptr[1:] < indptr[:-1]):
        raise _bad_structure(name, fmt, "indptr decreases")
    _check_range(indices, n_minor, shape, name, fmt, minor)


def _check_coordinates(X, name):
    shape = tuple(int(s) for s in X.shape)
    coords = [
        _check_index_dtype(a, name, "coo", w)
        for a, w in zip((X.row, X.col), ("row", "col"), strict=True)
    ]
    data = np.asarray(X.data)
    if data.ndim != 1 or any(c.shape[0] != data.shape[0] for c in coords):
        raise _bad_structure(
            name,
            "coo",
            f"row, col and data have lengths "
            f"{[c.shape[0] for c in coords] + [data.shape]}",
        )
    for c, size, what in zip(coords, shape, ("row", "column"), strict=True):
        _check_range(c, size, shape, name, "coo", what)
