"""Cumulative (thermometer) encoding of ordered labels: 3 of 1..5 -> [1, 1, 0, 0]."""

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound.utils._array_checks import _searchsorted_exact
from mlfound.utils._param_validation import StrOptions, _fit_context
from mlfound.utils.validation import (
    check_array_1d,
    check_ordinal_target,
    ordinal_categories,
)


class CumulativeBinarizer(TransformerMixin, BaseEstimator):
    """Encode ordered labels as K-1 cumulative indicators ``1[y > c_k]``.

    A column with ordered categories ``c_0 < ... < c_{K-1}`` becomes K-1
    columns, the ``k``-th being ``1`` when the value is above ``c_k``: with
    ratings 1..5, a rating of 3 becomes ``[1, 1, 0, 0]`` and a rating of 1
    becomes ``[0, 0, 0, 0]``. These are the targets of the K-1 binary
    problems behind :class:`CumulativeBinaryClassifier`; use the encoder to
    train your own models on them (``y.reshape(-1, 1)`` for a target), or to
    encode ordinal *features* so that a linear model gets one step per level.

    Every column is encoded on its own, like scikit-learn's
    ``OrdinalEncoder``. :meth:`inverse_transform` maps each group of K-1
    indicators back to ``c_m`` where ``m`` is the number of indicators above
    one half; for exceedance probabilities ``P(y > c_k)`` that is the median
    class.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    categories : "auto" or list of array-like, default="auto"
        The order of the categories of each column, lowest first.
        ``"auto"`` takes the categories of an ordered pandas ``Categorical``
        column, or else the sorted distinct values of a numeric column
        (string columns need an explicit order). Numeric values between two
        categories are compared with the categories like any other value
        (``x > c_k``); a non-numeric value that is not a listed category
        raises an error.

    Attributes
    ----------
    categories_ : list of ndarray
        The ordered categories of each column (at least two each).
    n_features_in_ : int
        Number of columns seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of columns seen during fit. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    CumulativeBinaryClassifier : Fits one binary model per indicator.
    sklearn.preprocessing.OrdinalEncoder : One integer per category.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.ordinal import CumulativeBinarizer
    >>> y = np.array([3, 1, 5, 2, 4])
    >>> binarizer = CumulativeBinarizer().fit(y.reshape(-1, 1))
    >>> Y = binarizer.transform([[3], [1]])
    >>> Y
    array([[1., 1., 0., 0.],
           [0., 0., 0., 0.]])
    >>> binarizer.inverse_transform(Y).ravel()
    array([3, 1])
    >>> binarizer.get_feature_names_out().tolist()
    ['x0>1', 'x0>2', 'x0>3', 'x0>4']
    """

    _parameter_constraints: dict = {
        "categories": [StrOptions({"auto"}), list],
    }

    def __init__(self, *, categories="auto"):
        self.categories = categories

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the ordered categories of each column.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Ordered labels, one variable per column.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted encoder.
        """
        given = self._given_categories(X)
        X = validate_data(self, X, dtype=None)
        if given is None:
            given = [None] * X.shape[1]
        if len(given) != X.shape[1]:
            raise ValueError(
                f"categories lists {len(given)} column(s) but X has "
                f"{X.shape[1]}; give one list of categories per column."
            )
        self.categories_ = []
        for j in range(X.shape[1]):
            column = X[:, j]
            classes, _ = check_ordinal_target(
                column,
                given[j],
                require_all=False,
                discrete=False,
                name=f"column {j} of X",
            )
            if classes.shape[0] < 2:
                raise ValueError(
                    f"Column {j} of X has only one class (category "
                    f"{classes.tolist()!r}): at least two ordered categories "
                    f"are needed."
                )
            self.categories_.append(classes)
        return self

    def transform(self, X):
        """Encode each column as its K-1 cumulative indicators.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Ordered labels.

        Returns
        -------
        Xt : ndarray of shape (n_samples, sum of (K_j - 1))
            The indicators ``1[x_j > c_jk]``, as float64. Numeric values are
            compared with the categories in their own dtypes, so distinct
            int64 or uint64 labels above 2**53 stay distinct; NaN, infinity
            and non-numeric values in a numeric column raise an error.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=None, reset=False)
        blocks = []
        for j, classes in enumerate(self.categories_):
            column = X[:, j]
            if classes.dtype.kind in "biuf":
                values = check_array_1d(column, name=f"column {j} of X")
                # x > c_k for the k classes strictly below x, compared in the
                # values' own dtypes (a float64 cast merges integers > 2**53)
                below = _searchsorted_exact(classes, values, side="left")
                block = below[:, None] > np.arange(classes.shape[0] - 1)[None, :]
            else:
                _, codes = check_ordinal_target(
                    column, classes, require_all=False, name=f"column {j} of X"
                )
                block = codes[:, None] > np.arange(classes.shape[0] - 1)[None, :]
            blocks.append(block.astype(np.float64))
        return np.hstack(blocks)

    def inverse_transform(self, X):
        """Map groups of K-1 indicators back to categories.

        Parameters
        ----------
        X : array-like of shape (n_samples, sum of (K_j - 1))
            Indicators (or exceedance probabilities ``P(x_j > c_jk)``).

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Category ``c_m`` per column with ``m`` the number of entries
            above one half.

        Raises
        ------
        ValueError
            If ``X`` has the wrong number of columns, or a row holds NaN,
            values outside [0, 1], or entries that increase within a
            column's group (not a cumulative encoding): such a row has no
            category, and is never mapped silently to the lowest one.
        """
        check_is_fitted(self)
        widths = [c.shape[0] - 1 for c in self.categories_]
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != sum(widths):
            raise ValueError(
                f"X must have shape (n_samples, {sum(widths)}) to be inverted, "
                f"got {X.shape}."
            )
        if X.dtype.kind not in "biuf":
            raise TypeError(
                f"X must hold indicators or probabilities (numbers), got dtype "
                f"{X.dtype}."
            )
        X = X.astype(np.float64, copy=False)
        bad = ~np.isfinite(X) | (X < 0) | (X > 1)
        start = 0
        for width in widths:
            block = X[:, start : start + width]
            bad[:, start + 1 : start + width] |= np.diff(block, axis=1) > 0
            start += width
        if bad.any():
            row = int(np.flatnonzero(bad.any(axis=1))[0])
            raise ValueError(
                f"X holds {int(bad.any(axis=1).sum())} row(s) that are not "
                f"cumulative indicators (e.g. row {row}: {X[row].tolist()!r}). "
                f"Each group of K-1 entries must lie in [0, 1] without NaN and "
                f"not increase, like [1, 1, 0, 0]; sort exceedance "
                f"probabilities of independent models in decreasing order "
                f"first."
            )
        columns = []
        start = 0
        for classes, width in zip(self.categories_, widths, strict=True):
            m = np.sum(X[:, start : start + width] > 0.5, axis=1)
            columns.append(classes[m])
            start += width
        if len({c.dtype for c in columns}) == 1:
            return np.column_stack(columns)
        return np.column_stack([c.astype(object) for c in columns])

    def get_feature_names_out(self, input_features=None):
        """Names of the indicator columns, ``"<feature>><category>"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``feature_names_in_`` or ``x0, x1, ...``
            when ``None``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``<feature>><c_k>`` for ``k < K - 1``: the indicator of being
            above ``c_k``.
        """
        check_is_fitted(self)
        names = OneToOneFeatureMixin.get_feature_names_out(self, input_features)
        out = [
            f"{name}>{value}"
            for name, classes in zip(names, self.categories_, strict=True)
            for value in classes[:-1].tolist()
        ]
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        return tags

    def _given_categories(self, X):
        """One array of categories (or ``None``) per column; ``None`` if unknown."""
        if not isinstance(self.categories, str):
            return [ordinal_categories(None, cats) for cats in self.categories]
        if hasattr(X, "columns") and hasattr(X, "dtypes"):
            return [ordinal_categories(X[col]) for col in X.columns]
        return None
