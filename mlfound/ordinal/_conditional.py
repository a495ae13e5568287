"""CORN: ordinal classification from K-1 conditional binary problems."""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _check_method_params

from mlfound.ordinal._cumulative_binary import _CumulativeOrdinalBase
from mlfound.utils._metaestimators import _row_indexable


class ConditionalOrdinalClassifier(_CumulativeOrdinalBase):
    """Ordinal classifier from K-1 conditional binary problems (CORN).

    For ordered classes ``c_0 < ... < c_{K-1}``, one clone of ``estimator``
    is fitted per class boundary ``k = 0..K-2``, as in
    :class:`CumulativeBinaryClassifier`, but model ``k`` sees only the rows
    that are *at least* ``c_k`` and learns the conditional probability

    .. math::

        r_k(x) = P(y > c_k \\mid y \\ge c_k, x),

    i.e. "given that the rating got past the boundary below, does it also get
    past this one?". The exceedance probabilities are the products

    .. math::

        P(y > c_k \\mid x) = \\prod_{j \\le k} r_j(x),

    which decrease with ``k`` *by construction*: no rearrangement is needed,
    and the class probabilities ``P(y = c_k) = P(y > c_{k-1})(1 - r_k)`` are
    non-negative and sum to one whatever the inner models output. This is the
    conditional ordinal regression (CORN) of Shi, Cao and Raschka [1]_, with
    any binary classifier in place of their shared neural network.

    A boundary model is fitted on fewer rows the higher its boundary (model
    ``k`` sees classes ``c_k`` and above). When the rows of a boundary
    (those with positive weight, when ``sample_weight`` is given) hold only
    one of the two targets, no classifier is fitted there: the boundary gets
    a constant model that predicts the observed target with probability one
    (e.g. all rows that reach ``c_k`` also pass it). An empty subset (every
    row at or above ``c_k`` has zero weight) gets the constant 0, which is
    never used: the boundary below it already predicts 0.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        A binary classifier with ``fit`` and ``predict_proba``, cloned for
        each boundary. ``None`` means ``LogisticRegression()``.
    categories : "auto" or array-like of shape (n_classes,), default="auto"
        The labels from lowest to highest, as in
        :class:`OrdinalLogisticRegression`.
    n_jobs : int, default=None
        Number of jobs fitting the K-1 models in parallel (joblib;
        ``None`` means 1 unless in a :obj:`joblib.parallel_backend` context).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, lowest first.
    estimators_ : list of estimators of length n_classes - 1
        ``estimators_[k]`` estimates ``P(y > classes_[k] | y >= classes_[k],
        x)``; a constant model where the rows of that boundary hold one
        target only (see above).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    CumulativeBinaryClassifier : Every boundary model on all rows, made
        monotone by rearrangement.
    OrdinalLogisticRegression : Cumulative link model (one linear score).
    OrdinalCutPointClassifier : Any regressor with learned cut points.

    Notes
    -----
    ``sample_weight`` given to :meth:`fit` is passed to every inner fit,
    restricted to that boundary's rows. With metadata routing enabled
    (``sklearn.set_config(enable_metadata_routing=True)``), ``sample_weight``
    and any other fit metadata are routed to the inner estimator as it
    requests them (``set_fit_request``), also restricted to the boundary's
    rows.

    :meth:`predict` returns the most probable class; :meth:`predict_median`
    the median of the predicted distribution (the class with the smallest
    expected absolute class error).

    References
    ----------
    .. [1] X. Shi, W. Cao and S. Raschka, "Deep neural networks for rank-
       consistent ordinal regression based on conditional probabilities",
       Pattern Analysis and Applications, 26, 941-955, 2023
       (arXiv:2111.08851, 2021).

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from mlfound.datasets import make_star_ratings
    >>> from mlfound.ordinal import ConditionalOrdinalClassifier
    >>> data = make_star_ratings(1000, n_features=3, random_state=0)
    >>> model = ConditionalOrdinalClassifier(
    ...     DecisionTreeClassifier(max_depth=3, random_state=0)
    ... ).fit(data.X, data.y)
    >>> len(model.estimators_)
    4
    >>> proba = model.predict_proba(data.X[:3])
    >>> bool((proba >= 0).all()), proba.sum(axis=1).round(6).tolist()
    (True, [1.0, 1.0, 1.0])
    """

    def _fit_boundaries(self, estimator, X, codes, n_classes, inner_params):
        """Model ``k`` is fitted on the rows ``y >= c_k``, target ``y > c_k``."""
        X = _row_indexable(X)
        weight = inner_params.get("sample_weight")
        if weight is not None:
            weight = np.asarray(weight)
        tasks = []
        for k in range(n_classes - 1):
            rows = np.flatnonzero(codes >= k)
            target = (codes[rows] > k).astype(np.int64)
            seen = target if weight is None else target[weight[rows] > 0]
            if seen.shape[0] == 0 or np.all(seen == seen[0]):
                constant = float(seen[0]) if seen.shape[0] else 0.0
                tasks.append((None, _ConstantBinaryModel(constant), None))
            else:
                params = _check_method_params(X, inner_params, indices=rows)
                tasks.append((_safe_indexing(X, rows), target, params))
        return Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_subset)(estimator, X_k, target, params)
            for X_k, target, params in tasks
        )

    def _exceedance_from_raw(self, raw):
        """Products of the conditional probabilities: monotone by construction."""
        return np.cumprod(raw, axis=1)


def _fit_subset(estimator, X, target, fit_params):
    """Fit a clone of ``estimator``, or pass a constant model through."""
    if X is None:
        return target
    return clone(estimator).fit(X, target, **fit_params)


class _ConstantBinaryModel:
    """A fitted binary model whose ``P(target = 1)`` is a constant."""

    classes_ = np.array([0, 1])

    def __init__(self, proba):
        self.proba = proba

    def predict_proba(self, X):
        p = np.full(X.shape[0], self.proba)
        return np.column_stack([1.0 - p, p])

    def __repr__(self):
        return f"{type(self).__name__}(proba={self.proba!r})"
