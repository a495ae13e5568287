"""Leakage-safe target encoding with one-pass statistics."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
)
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from mlfound.preprocessing._target_encoder_dask import (  # fits on dask arrays
    fit_target_encoder_dask,
    fit_transform_target_encoder_dask,
    transform_target_encoder_dask,
)
from mlfound.preprocessing._target_encoder_fast import (
    _gather,
)
from mlfound.preprocessing._target_encoder_stats import (
    _fit_columns,
    _folds,
    _update_columns,
)
from mlfound.preprocessing._target_encoder_target import (
    _as_1d_target,
    _EncodedTargetMixin,
)
from mlfound.utils._dask import any_dask, is_dask_collection
from mlfound.utils._dask_frames import keep_dask_outputs
from mlfound.utils._encode import check_categories, fit_codes, lookup_codes
from mlfound.utils._frames import frame_columns
from mlfound.utils._param_validation import (
    Interval,
    StrOptions,
    _fit_context,
)
from mlfound.utils.validation import (
    check_feature_names_in,
    check_finite_target,
    check_sample_weight,
)

try:  # pandas is optional: it only speeds up string columns.
    import pandas as pd
except ImportError:  # pragma: no cover
    pd = None


class TargetEncoder(_EncodedTargetMixin, TransformerMixin, BaseEstimator):
    """Target encoder with cross-fitted ``fit_transform`` and one-pass statistics.

    Each category of each feature is replaced by a shrunk estimate of the mean
    target of the rows in that category: the category mean is mixed with the
    global target mean (the *prior*), more strongly for rare categories. For a
    multiclass target, each feature becomes one column per class (the shrunk
    frequency of that class in the category).

    The encoding of a row must not be computed from that row's own label, or
    a downstream model learns from the leak (a pure-noise id column with one
    category per few rows then looks highly predictive on the training data).
    ``fit_transform(X, y)`` therefore returns *out-of-fold* encodings: each
    row is encoded from the other folds of ``cv`` only (cross-fitting), or,
    with ``strategy="ordered"``, from the rows before it in a random order
    (CatBoost's ordered target statistics). ``transform`` uses the encodings
    learnt on all the rows given to ``fit``/``fit_transform``/``partial_fit``.

    The per-(category, fold) counts and sums of every fold are computed in one
    pass over the rows; the statistics of the training part of a fold are the
    totals minus the fold's share, so no per-fold refit is needed. With the
    same folds and smoothing, the result equals
    :class:`sklearn.preprocessing.TargetEncoder`'s.

    .. note::
        ``fit(X, y).transform(X)`` does not equal ``fit_transform(X, y)``:
        only the latter is safe for the training rows. Use ``fit_transform``
        on training data and ``transform`` on new data (a
        :class:`~sklearn.pipeline.Pipeline` does exactly this).

    Read more in the :ref:`User Guide <target_encoding>`.

    Parameters
    ----------
    categories : "auto" or list of array-like, default="auto"
        Categories of each feature.

        - ``"auto"``: the sorted distinct values seen in the training data.
        - list: ``categories[i]`` holds the categories of the i-th feature
          (sorted if numeric; a missing value, if any, last). Other values are
          treated as unknown.

    target_type : {"auto", "binary", "multiclass", "continuous"}, default="auto"
        Type of the target. ``"auto"`` infers it with
        :func:`~sklearn.utils.multiclass.type_of_target`; pass
        ``"continuous"`` for an integer-valued regression target.

    smooth : "auto" or float, default="auto"
        Shrinkage towards the prior. A float ``m >= 0`` gives the m-estimate
        ``(sum + m * prior) / (count + m)``; ``"auto"`` gives the empirical
        Bayes estimate of Micci-Barreca (2001) as defined by scikit-learn,
        whose weight on the category mean is
        ``lam = var * n / (var * n + ssd / n)`` with ``var`` the target
        variance, ``n`` the category size and ``ssd`` its sum of squared
        deviations.

    cv : int, cross-validation generator or iterable, default=5
        Folds of the cross-fitting in ``fit_transform`` (with
        ``strategy="cross_fit"``). An int gives a shuffled
        :class:`~sklearn.model_selection.StratifiedKFold` (classification) or
        :class:`~sklearn.model_selection.KFold` (continuous target) seeded by
        ``random_state``. Any splitter whose validation folds do not overlap
        works, e.g. :class:`~sklearn.model_selection.GroupKFold` (``groups``
        passed to ``fit_transform`` through metadata routing) or
        :class:`~sklearn.model_selection.TimeSeriesSplit`, whose training sets
        are the earlier rows only; rows that are in no validation fold (the
        first window of a time-series split) have no out-of-fold encoding and
        are returned as NaN. Explicit ``(train, test)`` pairs are checked
        first (integer indices in ``[0, n_samples)`` or boolean masks,
        disjoint validation folds). Memory stays proportional to the number
        of rows however many folds there are (e.g.
        :class:`~sklearn.model_selection.LeaveOneOut`): see the user guide.

    strategy : {"cross_fit", "ordered", "time_ordered"}, default="cross_fit"
        How ``fit_transform`` keeps each row's label out of its encoding:

        - ``"cross_fit"``: out-of-fold encodings over the folds of ``cv``.
        - ``"ordered"``: each row is encoded from the rows before it in a
          random permutation (seeded by ``random_state``); no folds needed.
        - ``"time_ordered"``: the same in the given row order, for data sorted
          by time (each row only sees the past). The first row (and any row
          before the first one with a positive weight) has no past and is
          returned as NaN.

    handle_unknown : {"value", "error"}, default="value"
        Categories not seen in fit (or not in ``categories``): ``"value"``
        encodes them with the prior (``target_mean_``), ``"error"`` raises.

    handle_missing : {"category", "value", "error"}, default="category"
        Missing values (NaN, None): ``"category"`` treats them as one more
        category, ``"value"`` encodes them with the prior (they then do not
        count towards any category), ``"error"`` raises.

    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling of the folds when ``cv`` is an int and the
        permutation of ``strategy="ordered"``. Pass an int for reproducible
        output across calls.

    Attributes
    ----------
    categories_ : list of ndarray
        The categories of each feature, in the order of ``encodings_``.

    encodings_ : list of ndarray
        Encodings learnt on all the rows; ``encodings_[i]`` matches
        ``categories_[i]``. For a multiclass target the encoding of feature
        ``i`` and class ``j`` is ``encodings_[i * n_classes + j]``.

    target_type_ : str
        Type of the target.

    target_mean_ : float or ndarray of shape (n_classes,)
        The (weighted) mean of the target, the prior used for unknown
        categories; one value per class for a multiclass target.

    classes_ : ndarray or None
        The class labels for a binary or multiclass target, else ``None``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when ``X`` has feature
        names that are all strings.

    See Also
    --------
    sklearn.preprocessing.TargetEncoder : The same encoding with k-fold
        cross-fitting only.
    sklearn.preprocessing.OneHotEncoder : Unsupervised encoding, better for a
        few levels (< ~20).

    References
    ----------
    .. [1] D. Micci-Barreca, "A preprocessing scheme for high-cardinality
       categorical attributes in classification and prediction problems",
       SIGKDD Explorations 3(1), 2001.
    .. [2] L. Prokhorenkova et al., "CatBoost: unbiased boosting with
       categorical features", NeurIPS 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import KFold
    >>> from mlfound.preprocessing import TargetEncoder
    >>> X = np.array([["a"] * 6 + ["b"] * 4], dtype=object).T
    >>> y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1])
    >>> enc = TargetEncoder(smooth=2.0).fit(X, y)
    >>> enc.target_mean_
    0.5
    >>> enc.encodings_
    [array([0.625     , 0.33333333])]
    >>> X_train = enc.fit_transform(X, y)  # out-of-fold: safe for training
    >>> X_train.shape
    (10, 1)
    """

    _parameter_constraints: dict = {
        "categories": [StrOptions({"auto"}), list],
        "target_type": [StrOptions({"auto", "continuous", "binary", "multiclass"})],
        "smooth": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "strategy": [StrOptions({"cross_fit", "ordered", "time_ordered"})],
        "handle_unknown": [StrOptions({"value", "error"})],
        "handle_missing": [StrOptions({"category", "value", "error"})],
        "random_state": ["random_state"],
    }

    # fit and fit_transform accept dask arrays and DataFrames; see _target_encoder_dask
    _dask_methods = ("fit", "fit_transform")

    def __init__(
        self,
        *,
        categories="auto",
        target_type="auto",
        smooth="auto",
        cv=5,
        strategy="cross_fit",
        handle_unknown="value",
        handle_missing="category",
        random_state=None,
    ):
        self.categories = categories
        self.target_type = target_type
        self.smooth = smooth
        self.cv = cv
        self.strategy = strategy
        self.handle_unknown = handle_unknown
        self.handle_missing = handle_missing
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Learn the encodings from all the rows of ``X`` and ``y``.

        Do not use ``fit(X, y).transform(X)`` to encode training data: every
        row would see its own label. Use :meth:`fit_transform` instead.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Categorical features: numbers or strings in a NumPy array, or a
            pandas, polars or pyarrow table (Arrow strings and categoricals
            are coded from their buffers; see the user guide).
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; a weight of k counts like k copies of the row.

        Returns
        -------
        self : object
            Fitted encoder.
        """
        if any_dask(X, y, sample_weight):  # statistics summed on a cluster
            return fit_target_encoder_dask(self, X, y, sample_weight)
        columns, values, squares, weights, _ = self._setup(X, y, sample_weight)
        _fit_columns(self, columns, values, squares, weights)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y, sample_weight=None, **params):
        """Fit the encoder and return leakage-free encodings of ``X``.

        Each row is encoded without its own label: from the other folds of
        ``cv`` (``strategy="cross_fit"``) or from the rows before it
        (``strategy="ordered"``/``"time_ordered"``). The fitted ``encodings_``
        used by :meth:`transform` are learnt on all rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Categorical features.
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; a weight of k counts like k copies of the row.
        **params : dict
            Metadata routed to the splitter's ``split`` (e.g. ``groups`` for
            :class:`~sklearn.model_selection.GroupKFold`). Only available when
            metadata routing is enabled
            (``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features) or \
                (n_samples, n_features * n_classes)
            Out-of-fold encodings, float64. A dask array for a dask array
            ``X``, a dask DataFrame (columns ``get_feature_names_out()``) for
            a dask DataFrame (see the "Scaling out" user guide page).
        """
        _raise_for_params(params, self, "fit_transform")
        if any_dask(X, y, sample_weight):  # out-of-fold encodings on a cluster
            return fit_transform_target_encoder_dask(self, X, y, sample_weight)
        y_raw = y
        columns, values, squares, weights, y_codes = self._setup(X, y, sample_weight)
        n_samples = values.shape[0]
        n_values = values.shape[1]
        out = np.empty((n_samples, len(columns) * n_values), dtype=np.float64)
        if self.strategy == "cross_fit":
            split = _folds(self, X, y_raw, y_codes, n_samples, params)
            _fit_columns(self, columns, values, squares, weights, out=out, split=split)
        else:
            if self.strategy == "ordered":
                rng = check_random_state(self.random_state)
                order = rng.permutation(n_samples)
            else:
                order = np.arange(n_samples)
            _fit_columns(self, columns, values, squares, weights, out=out, order=order)
        return out

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Add a batch of rows to the statistics and update the encodings.

        The statistics (weighted counts and sums per category) are additive:
        after any number of calls, ``encodings_`` equal those of :meth:`fit`
        on all the batches at once. New categories are added as they appear.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A batch of categorical features.
        y : array-like of shape (n_samples,)
            Target of the batch.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.
        classes : array-like, default=None
            All the class labels of a classification target. Needed on the
            first call when the first batch does not contain every class;
            ignored afterwards.

        Returns
        -------
        self : object
            The updated encoder.
        """
        first = not hasattr(self, "_stats")
        columns, values, squares, weights, _ = self._setup(
            X, y, sample_weight, reset=first, classes=classes
        )
        if first:
            _fit_columns(self, columns, values, squares, weights)
            return self
        _update_columns(self, columns, values, squares, weights)
        return self

    def transform(self, X):
        """Encode ``X`` with the encodings learnt on all the training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Categorical features.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_features) or \
                (n_samples, n_features * n_classes)
            Encoded features, float64. A dask array or DataFrame, computed
            per partition, for a dask array or DataFrame ``X``.
        """
        if is_dask_collection(X):  # per partition, lazily
            return transform_target_encoder_dask(self, X)
        check_is_fitted(self, "encodings_")
        columns = self._columns(X, reset=False)
        n_samples = _num_rows(columns)
        n_values = 1 if self.target_type_ != "multiclass" else len(self.classes_)
        out = np.empty((n_samples, len(columns) * n_values), dtype=np.float64)
        prior = np.atleast_1d(np.asarray(self.target_mean_, dtype=np.float64))
        zero = np.zeros(n_values)
        for f, column in enumerate(columns):
            categories = self.categories_[f]
            codes = self._lookup_codes(column, categories, f)
            table = np.column_stack(
                self.encodings_[f * n_values : (f + 1) * n_values]
            ).reshape(len(categories), n_values)
            _gather(codes, np.ascontiguousarray(table), prior, zero, out, f * n_values)
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output features.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``feature_names_in_`` (or ``x0``, ``x1``, ...)
            when ``None``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The input names, or ``<feature>_<class>`` for each class of a
            multiclass target.
        """
        check_is_fitted(self, "n_features_in_")
        names = check_feature_names_in(self, input_features)
        if self.target_type_ == "multiclass":
            names = [f"{name}_{cls}" for name in names for cls in self.classes_]
            return np.asarray(names, dtype=object)
        return names

    def get_metadata_routing(self):
        """Metadata routing of this object: ``groups`` go to ``cv.split``.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        router.add(
            splitter=self.cv,
            method_mapping=MethodMapping().add(caller="fit_transform", callee="split"),
        )
        return router

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ setup

    def _setup(self, X, y, sample_weight, reset=True, classes=None):
        """Validate X, y and weights; return columns and target value arrays."""
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None. Target encoding is supervised: pass the target."
            )
        columns = self._columns(X, reset=reset)
        n_samples = _num_rows(columns)
        y = _as_1d_target(y)
        check_consistent_length(np.empty(n_samples), y)
        if reset:
            y_codes = self._set_target_type(y, classes)
        elif self.target_type_ != "continuous":
            if y.dtype.kind in "fc":
                check_finite_target(y)
            y_codes = self._class_codes(y)
        else:
            y_codes = None
        values, squares = self._target_values(y, y_codes, reset=reset)
        if sample_weight is None:
            weights = None
        else:
            weights = check_sample_weight(sample_weight, np.empty((n_samples, 1)))
            weights = np.ascontiguousarray(weights, dtype=np.float64)
        if reset:
            check_categories(self.categories, self.n_features_in_)
        return columns, values, squares, weights, y_codes

    def _columns(self, X, *, reset):
        """Validate ``X`` and split it into 1-d columns (no copy of DataFrames)."""
        columns = frame_columns(X)
        if columns is not None:
            validate_data(self, X=X, reset=reset, skip_check_array=True)
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            return columns
        X = check_array(X, dtype=None, ensure_all_finite="allow-nan")
        if X.dtype.kind in "US":
            X = X.astype(object)
        validate_data(self, X=X, reset=reset, skip_check_array=True)
        return [X[:, j] for j in range(X.shape[1])]

    def _fit_codes(self, column, f):
        """Categories of training column ``f`` and the code of each row."""
        auto = isinstance(self.categories, str)
        return fit_codes(
            column,
            categories="auto" if auto else self.categories[f],
            handle_missing=self.handle_missing,
            handle_unknown=self.handle_unknown,
            name=self._feature_name(f),
        )

    def _lookup_codes(self, column, categories, f):
        """Codes of column ``f`` in ``categories`` (``len(categories)``: none)."""
        return lookup_codes(
            column,
            categories,
            handle_missing=self.handle_missing,
            handle_unknown=self.handle_unknown,
            name=self._feature_name(f),
        )

    def _feature_name(self, f):
        names = getattr(self, "feature_names_in_", None)
        return str(names[f]) if names is not None else f"x{f}"


# On dask input, transform and fit_transform return dask collections whatever
# set_output says (a pandas container would gather every partition).
keep_dask_outputs(TargetEncoder, "transform", "fit_transform")


# ---------------------------------------------------------------- helpers


def _num_rows(columns):
    return len(columns[0]) if columns else 0
