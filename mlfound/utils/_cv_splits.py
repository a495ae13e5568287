"""Validation of user-given cross-validation splits before they index data."""

import numbers

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.utils.multiclass import type_of_target


def _check_cv_shuffled(cv, y, *, classifier, random_state):
    """``check_cv``, but an integer ``cv`` gives *shuffled* folds.

    The folds are those of scikit-learn >= 1.7's ``check_cv(..., shuffle=True,
    random_state=...)``: stratified for a binary or multiclass target of a
    classifier, plain k-fold otherwise. Written out here so that the same
    folds come out on scikit-learn 1.6, which lacks the ``shuffle`` argument.
    """
    if not isinstance(cv, numbers.Integral) or isinstance(cv, bool):
        return check_cv(cv, y, classifier=classifier)
    stratify = (
        classifier and y is not None and type_of_target(y) in ("binary", "multiclass")
    )
    splitter = StratifiedKFold if stratify else KFold
    return splitter(int(cv), shuffle=True, random_state=random_state)


def _split_indices(indices, n_samples, *, name, k, part):
    """One ``train``/``test`` array of a split as validated ``intp`` indices."""
    where = f"{name}: split {k}'s {part} indices"
    try:
        arr = np.asarray(indices)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where} are not an array of integers: {exc}") from exc
    if arr.ndim != 1:
        raise ValueError(f"{where} must be 1-d, got shape {arr.shape}.")
    if arr.dtype == np.bool_:
        if arr.shape[0] != n_samples:
            raise ValueError(
                f"{where} are a boolean mask of length {arr.shape[0]}, but X "
                f"has {n_samples} rows; a mask needs one entry per row."
            )
        return np.flatnonzero(arr)
    if arr.size == 0:
        return np.empty(0, dtype=np.intp)
    if arr.dtype.kind not in "iu":
        raise TypeError(
            f"{where} must be integers (row positions) or a boolean mask, got "
            f"dtype {arr.dtype}. Yield integer index arrays, as scikit-learn's "
            f"splitters do."
        )
    low, high = arr.min(), arr.max()
    # Compared as Python ints: no uint64 or negative value wraps into range.
    if int(low) < 0 or int(high) >= n_samples:
        raise ValueError(
            f"{where} must lie in [0, {n_samples}) (X has {n_samples} rows); "
            f"found values in [{int(low)}, {int(high)}]. Negative positions are "
            f"not counted from the end: build the splits on the rows passed "
            f"to fit."
        )
    return arr.astype(np.intp, copy=False)


def _check_cv_splits(
    splits, n_samples, *, name="cv", disjoint_test=False, complement_train=False
):
    """Materialise and validate the ``(train, test)`` pairs of a splitter.

    Every entry must be a pair of 1-d integer index arrays (or boolean masks
    of length ``n_samples``) with values in ``[0, n_samples)``: negative
    indices, indices past the end, floats and other dtypes raise here, before
    any of them can index data (or reach a kernel, which does no bounds
    checks). The splits are consumed once, so a generator works.

    Parameters
    ----------
    splits : iterable of (train, test) pairs
        E.g. ``cv.split(X, y)`` or a user-given list of index pairs.
    n_samples : int
        Number of rows the indices refer to.
    name : str, default="cv"
        The parameter name used in the error messages.
    disjoint_test : bool, default=False
        Require the test folds to be disjoint (no row in two test folds, or
        twice in one), for estimators that give each row one out-of-fold
        value.
    complement_train : bool, default=False
        Return ``None`` instead of a ``train`` array that is exactly the
        complement of its ``test`` array (as in k-fold, leave-one-out and
        group k-fold splits), so that many folds do not keep ``n_folds``
        copies of nearly all the row indices alive.

    Returns
    -------
    splits : list of (train, test) tuples
        The validated index arrays, ``intp``, in the order given (boolean
        masks become positions); ``train`` is ``None`` where it is the
        complement of ``test`` and ``complement_train=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.utils._cv_splits import _check_cv_splits
    >>> _check_cv_splits([(np.array([0, 1]), np.array([2]))], 3)
    [(array([0, 1]), array([2]))]
    >>> _check_cv_splits([([0, 1], [2])], 3, complement_train=True)
    [(None, array([2]))]
    >>> _check_cv_splits([([0, 1], [-1])], 3)
    Traceback (most recent call last):
        ...
    ValueError: cv: split 0's test indices must lie in [0, 3) (X has 3 rows)...
    """
    n_samples = int(n_samples)
    out = []
    # ``stamp[i] == k`` once row i was seen in split k: duplicates and
    # train/test overlap in one O(len) pass per split, no sort.
    stamp = np.full(n_samples, -1, dtype=np.intp) if complement_train else None
    in_test = np.zeros(n_samples, dtype=bool) if disjoint_test else None
    for k, pair in enumerate(splits):
        try:
            train, test = pair
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must yield (train, test) pairs of index arrays; split "
                f"{k} is {type(pair).__name__}."
            ) from exc
        train = _split_indices(train, n_samples, name=name, k=k, part="train")
        test = _split_indices(test, n_samples, name=name, k=k, part="test")
        if disjoint_test:
            if np.any(in_test[test]) or np.unique(test).shape[0] != test.shape[0]:
                raise ValueError(
                    f"The test folds of {name} overlap (split {k} repeats a row "
                    f"of an earlier test fold or of its own): a row would get "
                    f"two out-of-fold values. Pass a splitter whose test folds "
                    f"are disjoint (KFold, StratifiedKFold, GroupKFold, "
                    f"TimeSeriesSplit)."
                )
            in_test[test] = True
        if complement_train and train.shape[0] + test.shape[0] == n_samples:
            stamp[test] = k
            if not np.any(stamp[train] == k):
                stamp[train] = k
                if np.count_nonzero(stamp == k) == n_samples:
                    train = None  # exactly the rows not in test
        out.append((train, test))
    if not out:
        raise ValueError(
            f"{name} yielded no folds: at least one (train, test) split is "
            f"needed. Check the splitter and its data, or pass a non-empty "
            f"list of index pairs."
        )
    return out
