"""Per-class weights of the focal loss: the ``alpha`` vector, ``class_weight`` dicts."""

import numbers

import numpy as np

from mlfound.utils._array_checks import as_real_float64


def _per_class_alpha(alpha, n_classes, classes=None):
    """``alpha`` given as None, a float or one weight per class, as a vector.

    A float is the weight of the positive class of a binary problem (the
    negative class gets ``1 - alpha``); "balanced" is resolved by the caller,
    which has the data.
    """
    if alpha is None:
        return np.ones(n_classes)
    if isinstance(alpha, numbers.Real):
        if n_classes != 2:
            raise ValueError(
                f"A float alpha={alpha} is the weight of the positive class "
                f"and needs exactly two classes, but there are {n_classes}. "
                f"Pass one weight per class (an array of length {n_classes}) "
                f"or alpha='balanced'."
            )
        return np.array([1.0 - alpha, float(alpha)])
    alpha = as_real_float64(alpha, name="alpha", error=ValueError)
    if alpha.ndim != 1 or alpha.shape[0] != n_classes:
        for_classes = "" if classes is None else f" for classes {classes!r}"
        raise ValueError(
            f"alpha must hold one weight per class: expected shape "
            f"({n_classes},){for_classes}, got shape {alpha.shape}."
        )
    if not np.all(np.isfinite(alpha) & (alpha > 0)):
        raise ValueError(f"alpha must hold positive finite weights, got {alpha}.")
    return alpha


def _balanced_class_weights(codes, sample_weight, n_classes):
    """ "balanced" weights ``n / (n_classes * n_c)`` on weighted class counts.

    The counts are sums of ``sample_weight``, so a weight of k counts as k
    repeated rows (as scikit-learn's ``compute_class_weight`` does where it
    takes ``sample_weight``; 1.6, the supported floor, does not). A
    class whose rows all weigh 0 gets weight ``n / n_classes``; it multiplies
    only zero weights.
    """
    counts = np.bincount(codes, weights=sample_weight, minlength=n_classes)
    counts[counts == 0] = 1.0
    return sample_weight.sum() / (n_classes * counts)


def _class_weight_from_dict(class_weight, classes):
    """One weight per class from a ``class_weight`` dict (1 for absent classes).

    As in scikit-learn's ``LogisticRegression``, a key that is not a class is
    an error unless every class has a weight (a cross-validation split may
    lack a class the dict names): ``{"1": 10}`` on labels 0/1 is rejected
    rather than silently ignored.
    """
    weights = np.ones(len(classes), dtype=np.float64)
    labels = classes.tolist()
    unweighted = []
    for i, label in enumerate(labels):
        if label in class_weight:
            weights[i] = _class_weight_value(class_weight[label], label)
        else:
            unweighted.append(label)
    n_matched = len(labels) - len(unweighted)
    if unweighted and n_matched != len(class_weight):
        unknown = [key for key in class_weight if key not in labels]
        raise ValueError(
            f"class_weight has key(s) {unknown!r} that are not classes; the "
            f"classes are {labels!r}. Use the labels exactly as they appear in "
            f"y (e.g. 1, not '1')."
        )
    return weights


def _class_weight_value(value, label):
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = np.nan
    if not (np.isfinite(weight) and weight >= 0):
        raise ValueError(
            f"class_weight[{label!r}] must be a finite number >= 0, got {value!r}."
        )
    return weight
