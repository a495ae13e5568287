"""The target side of TargetEncoder: type, classes, codes and value columns."""

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from mlfound._kernels.factorize import factorize
from mlfound.utils._array_checks import as_real_float64
from mlfound.utils.validation import check_finite_target


class _EncodedTargetMixin:
    """Turn ``y`` into what the statistics add up: class codes and value columns.

    ``fit`` (and the first ``partial_fit``) sets ``target_type_``,
    ``classes_`` and ``_shift``, the value subtracted from the target before
    it is summed; later ``partial_fit`` calls reuse them.
    """

    def _set_target_type(self, y, classes):
        """Set ``target_type_`` and ``classes_``; return the class code of each row."""
        kinds = ("binary", "multiclass", "continuous")
        if y.dtype.kind == "c":
            raise ValueError(
                f"y must hold real numbers (or the labels of a classification "
                f"target), got an array of complex numbers (dtype {y.dtype})."
            )
        if y.dtype.kind in "fc":
            check_finite_target(y)
        inferred, uniques, codes = _type_of_target(y)
        if classes is not None and inferred in ("binary", "multiclass"):
            inferred = "multiclass" if len(np.unique(classes)) > 2 else "binary"
        if self.target_type == "auto":
            if inferred not in kinds:
                raise ValueError(
                    f"Unknown label type: the target type was inferred to be "
                    f"{inferred!r}; only {kinds} are supported. Set target_type "
                    f"explicitly."
                )
            target_type = inferred
        else:
            target_type = self.target_type
        if target_type in ("binary", "multiclass") and inferred == "continuous":
            raise ValueError(
                f"target_type={target_type!r} but y is continuous (non-integer "
                f"values such as {y[np.argmax(y != np.round(y))]!r}). Use "
                f"target_type='continuous' for a regression target."
            )
        self.target_type_ = target_type
        if target_type == "continuous":
            self.classes_ = None
            return None
        if uniques is None:
            uniques = np.unique(y)
        if classes is None:
            self.classes_ = uniques
        else:
            self.classes_ = np.unique(np.asarray(classes))
        if target_type == "binary" and len(self.classes_) > 2:
            raise ValueError(
                f"target_type='binary' but y has {len(self.classes_)} classes. "
                f"Use target_type='multiclass' (one output column per class)."
            )
        if codes is None or classes is not None:
            return self._class_codes(y, uniques)
        return codes

    def _class_codes(self, y, uniques=None):
        """Index of each label of ``y`` in ``classes_`` (error if unknown)."""
        if uniques is None:
            uniques = np.unique(y)
        unseen = np.setdiff1d(uniques, self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen.tolist()!r} that are not in "
                f"classes_ {self.classes_.tolist()!r}; pass every class to the "
                f"first partial_fit call with classes=..."
            )
        return np.searchsorted(self.classes_, y).astype(np.int32)

    def _target_values(self, y, codes, *, reset):
        """Target as float64 value columns (and squares for continuous y)."""
        if self.target_type_ == "continuous":
            y = as_real_float64(
                y,
                name="y",
                what="numbers when target_type='continuous'",
                error=ValueError,
            )
            check_finite_target(y)
            if reset:
                # Centre on the mean of the first data seen, so that sums of
                # squares do not cancel catastrophically.
                self._shift = np.array([np.mean(y)]) if y.size else np.zeros(1)
            centred = y - self._shift[0]
            return centred[:, None], (centred * centred)[:, None]
        n_classes = len(self.classes_)
        if reset:
            self._shift = np.zeros(1 if self.target_type_ == "binary" else n_classes)
        # 0/1 indicators are stored as uint8: 8x less memory traffic than
        # float64 in the accumulation passes, and exact.
        if self.target_type_ == "binary":
            positive = 1 if n_classes == 2 else -1
            return (codes == positive).astype(np.uint8)[:, None], None
        values = np.zeros((y.shape[0], n_classes), dtype=np.uint8)
        values[np.arange(y.shape[0]), codes] = 1
        return values, None


def _as_1d_target(y):
    y = np.asarray(y) if not hasattr(y, "to_numpy") else y.to_numpy()
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    if y.ndim != 1:
        raise ValueError(
            f"y must be 1-d (one target per row), got shape {y.shape}. "
            f"Encode one target at a time."
        )
    return y


def _type_of_target(y):
    """``type_of_target`` with the sorted classes and codes as by-products.

    For a 1-d numeric ``y`` this replaces the sort-based ``np.unique`` of
    ``type_of_target`` by one linear-time factorization whose codes are
    reused; any other ``y`` goes through scikit-learn's function.
    """
    if y.ndim == 1 and y.dtype.kind in "iub" and y.size:
        codes, uniques = factorize(y)
        if y.dtype.kind == "b":
            uniques = uniques.astype(bool)
        kind = "multiclass" if len(uniques) > 2 else "binary"
        return kind, uniques.astype(y.dtype, copy=False), codes
    if y.ndim == 1 and y.dtype.kind == "f" and y.size:
        if np.any(y != y.astype(np.int64)):
            return "continuous", None, None
        codes, uniques = factorize(y)
        kind = "multiclass" if len(uniques) > 2 else "binary"
        return kind, uniques, codes
    return type_of_target(y, input_name="y"), None, None
