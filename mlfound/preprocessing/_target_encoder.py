"""Leakage-safe target encoding with one-pass statistics."""

import numbers
import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, indexable
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from mlfound._kernels.factorize import _relabel, factorize, lookup
from mlfound._kernels.groupby import _group_cell_sums, _group_fold_sums, _group_sums
from mlfound._kernels.shuffle import shuffle_like_randomstate
from mlfound.preprocessing._target_encoder_fast import (
    _cell_fold_totals,
    _cross_fit_encode,
    _cross_fit_encode_cells,
    _encode_table,
    _first_appearance_codes,
    _gather,
    _ordered_encode,
    _scatter_by_class,
)
from mlfound.utils._cv_splits import _check_cv_splits
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


class TargetEncoder(TransformerMixin, BaseEstimator):
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
        on training data and ``transform`` on new data (a :class:`Pipeline`
        does exactly this).

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
            Categorical features (numbers, strings, pandas categoricals).
        y : array-like of shape (n_samples,)
            Target.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; a weight of k counts like k copies of the row.

        Returns
        -------
        self : object
            Fitted encoder.
        """
        columns, values, squares, weights, _ = self._setup(X, y, sample_weight)
        self._fit_columns(columns, values, squares, weights)
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
            Out-of-fold encodings, float64.
        """
        _raise_for_params(params, self, "fit_transform")
        y_raw = y
        columns, values, squares, weights, y_codes = self._setup(X, y, sample_weight)
        n_samples = values.shape[0]
        n_values = values.shape[1]
        out = np.empty((n_samples, len(columns) * n_values), dtype=np.float64)
        if self.strategy == "cross_fit":
            split = self._folds(X, y_raw, y_codes, n_samples, params)
            self._fit_columns(columns, values, squares, weights, out=out, split=split)
        else:
            if self.strategy == "ordered":
                rng = check_random_state(self.random_state)
                order = rng.permutation(n_samples)
            else:
                order = np.arange(n_samples)
            self._fit_columns(columns, values, squares, weights, out=out, order=order)
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
            self._fit_columns(columns, values, squares, weights)
            return self
        self._update_columns(columns, values, squares, weights)
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
            Encoded features, float64.
        """
        check_is_fitted(self, "encodings_")
        columns = self._columns(X, reset=False)
        n_samples = _num_rows(columns)
        n_values = 1 if self.target_type_ != "multiclass" else len(self.classes_)
        out = np.empty((n_samples, len(columns) * n_values), dtype=np.float64)
        prior = np.atleast_1d(np.asarray(self.target_mean_, dtype=np.float64))
        zero = np.zeros(n_values)
        for f, column in enumerate(columns):
            categories = self.categories_[f]
            codes = self._lookup_column(column, categories, f)
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
            self._check_categories_param()
        return columns, values, squares, weights, y_codes

    def _columns(self, X, *, reset):
        """Validate ``X`` and split it into 1-d columns (no copy of DataFrames)."""
        if hasattr(X, "iloc") and getattr(X, "ndim", 0) == 2:
            validate_data(self, X=X, reset=reset, skip_check_array=True)
            if X.shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            return [X.iloc[:, j] for j in range(X.shape[1])]
        X = check_array(X, dtype=None, ensure_all_finite="allow-nan")
        if X.dtype.kind in "US":
            X = X.astype(object)
        validate_data(self, X=X, reset=reset, skip_check_array=True)
        return [X[:, j] for j in range(X.shape[1])]

    def _set_target_type(self, y, classes):
        """Set ``target_type_`` and ``classes_``; return the class code of each row."""
        kinds = ("binary", "multiclass", "continuous")
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
            try:
                y = np.asarray(y, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    "target_type='continuous' needs a numeric y; got values "
                    f"of dtype {y.dtype}."
                ) from exc
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

    def _check_categories_param(self):
        if self.categories == "auto":
            return
        if len(self.categories) != self.n_features_in_:
            raise ValueError(
                f"categories has {len(self.categories)} entries but X has "
                f"{self.n_features_in_} features; give one array of categories "
                f"per feature."
            )
        for j, cats in enumerate(self.categories):
            cats = np.asarray(cats)
            if cats.ndim != 1:
                raise ValueError(f"categories[{j}] must be 1-d, got {cats.shape}.")
            if cats.dtype.kind in "iufb":
                finite = cats[~np.isnan(cats)] if cats.dtype.kind == "f" else cats
                if cats.dtype.kind == "f" and np.isnan(cats[:-1]).any():
                    raise ValueError(
                        f"categories[{j}]: a missing value (NaN) must be last."
                    )
                if np.any(finite[1:] <= finite[:-1]):
                    raise ValueError(
                        f"categories[{j}] must be sorted and unique for numeric "
                        f"features."
                    )
            else:
                # Codes are positions in the categories: a repeated value or
                # a missing one before the end would shift every later code.
                cats = cats.astype(object)
                missing = np.fromiter(map(_is_missing, cats), bool, len(cats))
                if missing[:-1].any():
                    raise ValueError(
                        f"categories[{j}]: a missing value (None or NaN) must be "
                        f"last, and appear once."
                    )
                known = cats[:-1] if missing[-1:].any() else cats
                n_distinct = (
                    len(pd.unique(known)) if pd is not None else len(set(known))
                )
                if n_distinct != len(known):
                    raise ValueError(
                        f"categories[{j}] holds repeated values; give each "
                        f"category once."
                    )

    # ------------------------------------------------------------- CV folds

    def _folds(self, X, y, y_codes, n_samples, params):
        """Fold of each row, the number of folds and what else is needed.

        The third item is ``None`` (every row in one validation fold, every
        training set its complement), a mask of the rows in no validation
        fold (given one extra pseudo-fold; their encodings are NaN), or the
        validated ``(train, test)`` pairs when a training set is not the
        complement of its fold (``train`` is ``None`` where it is).
        """
        classifier = self.target_type_ != "continuous"
        cv = check_cv(
            self.cv,
            y,
            classifier=classifier,
            shuffle=True,
            random_state=self.random_state,
        )
        fast = _fast_folds(cv, y_codes, n_samples)
        if fast is not None:
            return fast, cv.n_splits, None
        if _routing_enabled():
            if params.get("groups") is not None:
                X, y, params["groups"] = indexable(X, y, params["groups"])
            split_params = process_routing(self, "fit_transform", **params)
            split_params = split_params.splitter.split
        else:
            split_params = {}
        splits = _check_cv_splits(
            cv.split(X, y, **split_params),
            n_samples,
            name="cv",
            disjoint_test=True,
            complement_train=True,
        )
        n_folds = len(splits)
        folds = np.full(n_samples, -1, dtype=np.int32)
        for k, (_, test) in enumerate(splits):
            folds[test] = k
        if all(train is None for train, _ in splits):
            # Every training set is the complement of its fold: the fold
            # statistics serve all folds at once. Rows in no validation fold
            # (PredefinedSplit's -1) go to one more pseudo-fold, encoded NaN.
            uncovered = folds < 0
            if uncovered.any():
                folds[uncovered] = n_folds
                return _small_folds(folds, n_folds + 1), n_folds + 1, uncovered
            return _small_folds(folds, n_folds), n_folds, None
        # Training sets that are not the complement of their fold: encode
        # each fold from its own training rows.
        return _small_folds(folds, n_folds), n_folds, splits

    # --------------------------------------------------------- statistics

    def _fit_columns(self, columns, values, squares, weights, out=None,
                     split=None, order=None):  # fmt: skip
        """Factorize each column, accumulate its statistics, encode rows."""
        stacked = values if squares is None else np.hstack([values, squares])
        stacked = np.ascontiguousarray(stacked)
        n_values = values.shape[1]
        auto = self.smooth == "auto"
        smooth = 0.0 if auto else float(self.smooth)
        self.categories_ = []
        self._stats = []
        pairs = uncovered = None
        if split is not None:
            folds, n_folds, extra = split
            if isinstance(extra, np.ndarray):
                uncovered = extra  # rows of the pseudo-fold, encoded NaN
            else:
                pairs = extra
        if split is None or pairs is not None:
            self._total = _totals(stacked, weights, n_values)
        n_samples = stacked.shape[0]
        for f, column in enumerate(columns):
            categories, codes = self._fit_column(column, f)
            n_cat = len(categories)
            self.categories_.append(categories)
            if split is not None and pairs is None:
                col0 = f * n_values
                dense = _dense_fold_table(n_cat + 1, n_folds, n_samples)
                if dense:
                    stats = _group_fold_sums(
                        codes, folds, stacked, weights, n_cat + 1, n_folds
                    )
                else:
                    cell_codes, cells, stats = _group_cell_sums(
                        codes, folds, stacked, weights, n_folds
                    )
                if f == 0:
                    # Every row is in one (category or "none", fold) cell: the
                    # per-fold totals come for free from the first feature.
                    if dense:
                        fold_stats = stats.sum(axis=0)
                    else:
                        fold_stats = _cell_fold_totals(cells, stats, n_folds)
                    fold_w, fold_s = fold_stats[:, 0], fold_stats[:, 1:]
                    self._total = (fold_w.sum(), fold_s.sum(axis=0))
                    fold_prior, fold_var = _fold_priors(
                        self._total, fold_w, fold_s, n_values
                    )
                # Both return the full-data statistics (the dense kernel
                # overwrites ``stats``).
                if dense:
                    totals = _cross_fit_encode(
                        codes, folds, stats, n_values, fold_prior, fold_var,
                        smooth, auto, self._shift, out, col0, weights is None,
                    )  # fmt: skip
                else:
                    totals = _cross_fit_encode_cells(
                        cell_codes, cells, stats, n_cat, n_folds, n_values,
                        fold_prior, fold_var, smooth, auto, self._shift, out,
                        col0,
                    )  # fmt: skip
                    del cell_codes, cells
                del stats
                if uncovered is not None:
                    out[uncovered, col0 : col0 + n_values] = np.nan
                counts, sums = totals[:, 0], totals[:, 1:]
            else:
                stats = _group_sums(codes, stacked, weights, n_cat + 1)
                counts, sums = stats[:n_cat, 0], stats[:n_cat, 1:]
                if split is not None:
                    self._encode_pairs(
                        codes, stacked, weights, n_cat, split, out, f * n_values,
                        n_values, smooth, auto,
                    )  # fmt: skip
                elif order is not None:
                    _ordered_encode(
                        codes, order, values, squares, weights, n_cat, smooth,
                        auto, self._shift, out, f * n_values,
                        self.strategy == "time_ordered",
                    )  # fmt: skip
            self._stats.append((counts, sums))
        self._update_encodings()

    def _encode_pairs(self, codes, stacked, weights, n_cat, split, out, col0,
                      n_values, smooth, auto):  # fmt: skip
        """Out-of-fold encodings for splitters whose folds are not a partition."""
        folds, n_folds, pairs = split
        out[folds < 0, col0 : col0 + n_values] = np.nan
        for train, test in pairs:
            if train is None:  # the complement of test
                train = np.ones(codes.shape[0], dtype=bool)
                train[test] = False
            w = None if weights is None else weights[train]
            stats = _group_sums(codes[train], stacked[train], w, n_cat + 1)
            counts, sums = stats[:n_cat, 0], stats[:n_cat, 1:]
            total = _totals(stacked[train], w, n_values)
            prior, var = _prior_var(total, n_values)
            table = _encode_table(
                np.ascontiguousarray(counts),
                np.ascontiguousarray(sums[:, :n_values]),
                None if stacked.shape[1] == n_values
                else np.ascontiguousarray(sums[:, n_values:]),
                prior, var, smooth, auto,
            )  # fmt: skip
            block = np.empty((len(test), n_values))
            _gather(codes[test], table, prior, self._shift, block, 0)
            out[test, col0 : col0 + n_values] = block

    def _update_columns(self, columns, values, squares, weights):
        """``partial_fit`` on a new batch: merge categories and add statistics."""
        stacked = values if squares is None else np.hstack([values, squares])
        stacked = np.ascontiguousarray(stacked)
        n_values = values.shape[1]
        w_old, s_old = self._total
        w_new, s_new = _totals(stacked, weights, n_values)
        # Nothing is stored before every column has merged: a batch that
        # raises leaves the fitted state as it was.
        new_categories, new_stats = [], []
        for f, column in enumerate(columns):
            old_categories = self.categories_[f]
            if self.categories == "auto":
                batch_categories, codes = self._fit_column(column, f)
                _check_same_category_kind(
                    old_categories, batch_categories, self._feature_name(f)
                )
                categories, old_index, new_index = _merge_categories(
                    old_categories, batch_categories
                )
            else:
                categories = old_categories
                codes = self._lookup_column(column, categories, f)
                new_index = old_index = np.arange(len(categories))
                batch_categories = categories
            n_batch = len(batch_categories)
            stats = _group_sums(codes, stacked, weights, n_batch + 1)
            counts, sums = stats[:, 0], stats[:, 1:]
            old_counts, old_sums = self._stats[f]
            merged_counts = np.zeros(len(categories))
            merged_sums = np.zeros((len(categories), stacked.shape[1]))
            merged_counts[old_index] += old_counts
            merged_sums[old_index] += old_sums
            merged_counts[new_index] += counts[:n_batch]
            merged_sums[new_index] += sums[:n_batch]
            new_categories.append(categories)
            new_stats.append((merged_counts, merged_sums))
        self.categories_ = new_categories
        self._stats = new_stats
        self._total = (w_old + w_new, s_old + s_new)
        self._update_encodings()

    def _update_encodings(self):
        """``encodings_`` and ``target_mean_`` from the stored statistics."""
        n_values = len(self._shift)
        auto = self.smooth == "auto"
        smooth = 0.0 if auto else float(self.smooth)
        prior, var = _prior_var(self._total, n_values)
        mean = self._shift + prior
        if self.target_type_ == "multiclass":
            self.target_mean_ = mean
        else:
            self.target_mean_ = float(mean[0])
        encodings = []
        for counts, sums in self._stats:
            squares = (
                None
                if sums.shape[1] == n_values
                else np.ascontiguousarray(sums[:, n_values:])
            )
            table = _encode_table(
                np.ascontiguousarray(counts), np.ascontiguousarray(sums[:, :n_values]),
                squares, prior, var, smooth, auto,
            )  # fmt: skip
            table += self._shift
            encodings.extend(table[:, j].copy() for j in range(n_values))
        self.encodings_ = encodings

    # ------------------------------------------------------ factorization

    def _fit_column(self, column, f):
        """Categories of a training column and the code of each row.

        Rows without a category (missing with ``handle_missing="value"``,
        values outside user-given categories) get the code
        ``len(categories)``.
        """
        if self.categories != "auto":
            categories = np.asarray(self.categories[f])
            if categories.dtype.kind in "US":
                categories = categories.astype(object)
            codes = self._lookup_column(column, categories, f)
            return categories, codes
        values, missing, kind = _column_values(column)
        if kind == "categorical":
            codes, categories = _factorize_categorical(column)
        elif kind == "numeric":
            codes, categories = factorize(values)
        else:
            codes, categories, missing = _factorize_object(
                values, self._feature_name(f)
            )
        if missing is not None and self.handle_missing == "error":
            _raise_missing(self, f)
        n_cat = len(categories)
        if missing is not None:  # only missing values get a negative code
            codes[codes < 0] = n_cat
        if missing is not None and self.handle_missing == "category":
            fill = _missing_value(values, missing) if kind == "object" else np.nan
            categories = _append_missing(categories, fill)
        return categories, codes

    def _lookup_column(self, column, categories, f):
        """Codes of a column in known categories (``len(categories)`` = none)."""
        n_cat = len(categories)
        has_missing_category = n_cat > 0 and _is_missing(categories[-1])
        known = categories[:-1] if has_missing_category else categories
        values, missing, kind = _column_values(column)
        if kind == "categorical":
            cats = np.asarray(column.cat.categories)
            mapping = np.append(_lookup_object(cats, known)[0], -1).astype(np.int32)
            codes = mapping[column.cat.codes.to_numpy()]
        elif kind == "numeric" and known.dtype.kind in "iufb":
            codes = lookup(values, known)
        else:
            if kind == "numeric":
                values = values.astype(object)
            codes, object_missing = _lookup_object(values, known)
            if kind == "object":
                missing = object_missing
        if missing is not None:
            if self.handle_missing == "error":
                _raise_missing(self, f)
            if has_missing_category:
                codes[missing] = n_cat - 1
        unknown = codes < 0
        if missing is not None:
            unknown &= ~missing
        if self.handle_unknown == "error" and unknown.any():
            examples = np.unique(np.asarray(values, dtype=object)[unknown][:5])
            raise ValueError(
                f"Found unknown categories {examples.tolist()!r} in feature "
                f"{self._feature_name(f)!r}. Set handle_unknown='value' to encode "
                f"them with the prior (target_mean_), or add them to categories."
            )
        codes[codes < 0] = n_cat
        return codes

    def _feature_name(self, f):
        names = getattr(self, "feature_names_in_", None)
        return str(names[f]) if names is not None else f"x{f}"


# ---------------------------------------------------------------- helpers


def _num_rows(columns):
    return columns[0].shape[0] if columns else 0


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


def _fast_folds(cv, y_codes, n_samples):
    """Fold of each row for KFold and StratifiedKFold, without their splits.

    Reproduces ``KFold._iter_test_indices`` and
    ``StratifiedKFold._make_test_folds`` exactly (the same MT19937 draws,
    replayed in compiled code), at the cost of one pass instead of
    ``n_splits`` boolean masks and two sorts.
    Returns None for any other splitter.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if type(cv) is KFold:
        if cv.n_splits > n_samples:
            return None  # let split() raise its error
        indices = np.arange(n_samples)
        if cv.shuffle:
            shuffle_like_randomstate(indices, check_random_state(cv.random_state))
        sizes = np.full(cv.n_splits, n_samples // cv.n_splits, dtype=np.intp)
        sizes[: n_samples % cv.n_splits] += 1
        dtype = np.int8 if cv.n_splits <= 127 else np.int32
        folds = np.empty(n_samples, dtype=dtype)
        folds[indices] = np.repeat(np.arange(cv.n_splits, dtype=dtype), sizes)
        return folds
    if type(cv) is not StratifiedKFold or y_codes is None:
        return None
    if cv.n_splits > n_samples:
        return None
    rng = check_random_state(cv.random_state)
    n_classes = int(y_codes.max()) + 1
    y_encoded, y_counts = _first_appearance_codes(y_codes, n_classes)
    y_counts = y_counts[y_counts > 0]
    n_classes = len(y_counts)
    if np.all(cv.n_splits > y_counts):
        raise ValueError(
            f"n_splits={cv.n_splits} cannot be greater than the number of "
            f"members in each class."
        )
    if cv.n_splits > np.min(y_counts):
        warnings.warn(
            f"The least populated class in y has only {np.min(y_counts)} members, "
            f"which is less than n_splits={cv.n_splits}.",
            UserWarning,
        )
    # Round robin over the sorted labels: class c holds positions
    # [start_c, end_c) of the sorted y; fold i gets the positions = i mod k.
    k = cv.n_splits
    end = np.cumsum(y_counts)
    start = end - y_counts
    i = np.arange(k)[:, None]
    below = lambda b: np.maximum(0, (b[None, :] - i + k - 1) // k)  # noqa: E731
    allocation = below(end) - below(start)
    per_class = []
    dtype = np.int8 if k <= 127 else np.int32  # small arrays shuffle faster
    for c in range(n_classes):
        folds_for_class = np.arange(k, dtype=dtype).repeat(allocation[:, c])
        if cv.shuffle:
            shuffle_like_randomstate(folds_for_class, rng)
        per_class.append(folds_for_class)
    # folds[y_encoded == c] = per_class[c] for every class, in one pass.
    folds = _scatter_by_class(y_encoded, np.concatenate(per_class), start)
    return _small_folds(folds, k)


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


# The dense (category, fold) table is used while it has at most this many
# cells per row (plus a floor for small data): always for the default 5
# folds; beyond, only the cells that occur are kept (at most one per row).
_DENSE_CELLS_PER_ROW = 8
_DENSE_CELLS_FLOOR = 1 << 16


def _dense_fold_table(n_groups, n_folds, n_samples):
    """Whether the dense ``(n_groups, n_folds)`` fold table is small enough."""
    return n_groups * n_folds <= _DENSE_CELLS_PER_ROW * n_samples + _DENSE_CELLS_FLOOR


def _small_folds(folds, n_folds):
    """Fold indices as int8 when they fit: less memory traffic per pass."""
    return folds.astype(np.int8, copy=False) if n_folds <= 127 else folds


def _fold_priors(total, fold_w, fold_s, n_values):
    """Mean and variance of the target over the training part of each fold."""
    w_total, s_total = total
    train_w = w_total - fold_w
    train_s = s_total[None, :] - fold_s
    with np.errstate(invalid="ignore", divide="ignore"):
        prior = train_s[:, :n_values] / train_w[:, None]
        squares = train_s.shape[1] > n_values
        sq = train_s[:, n_values:] if squares else train_s[:, :n_values]
        var = np.maximum(sq / train_w[:, None] - prior * prior, 0.0)
    return np.ascontiguousarray(prior), np.ascontiguousarray(var)


def _totals(stacked, weights, n_values):
    if weights is None:
        return float(stacked.shape[0]), stacked.sum(axis=0, dtype=np.float64)
    return float(weights.sum()), weights @ stacked.astype(np.float64)


def _prior_var(total, n_values):
    w, s = total
    with np.errstate(invalid="ignore", divide="ignore"):
        prior = s[:n_values] / w
        sq = s[n_values:] if s.shape[0] > n_values else s[:n_values]
        var = np.maximum(sq / w - prior * prior, 0.0)
    return np.ascontiguousarray(prior), np.ascontiguousarray(var)


def _is_missing(value):
    return value is None or (isinstance(value, numbers.Real) and value != value)


def _raise_missing(encoder, f):
    raise ValueError(
        f"Feature {encoder._feature_name(f)!r} contains missing values (NaN or "
        f"None) and handle_missing='error'. Impute them, or set "
        f"handle_missing='category' (missing is its own category) or 'value' "
        f"(encoded with the prior)."
    )


def _column_values(column):
    """Values of a column as an ndarray, its missing mask and its kind."""
    if pd is not None and isinstance(column, pd.Series):
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            missing = codes < 0
            return column, (missing if missing.any() else None), "categorical"
        if isinstance(dtype, np.dtype) and dtype.kind in "iufb":
            column = column.to_numpy()
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
            dtype
        ):
            column = column.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            column = column.to_numpy(dtype=object)
    values = np.asarray(column)
    if values.dtype.kind in "iub":
        return values, None, "numeric"
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        return values, (missing if missing.any() else None), "numeric"
    if values.dtype.kind != "O":
        values = values.astype(object)
    # Missing values of object columns come out of their factorization.
    return values, None, "object"


def _missing_value(values, missing):
    """The missing-value category: None if only None is missing, else NaN."""
    if values is not None and all(v is None for v in values[missing]):
        return None
    return np.nan


def _mixed_types_error(name, kind=""):
    detail = f" ({kind})" if kind else ""
    return TypeError(
        f"Feature {name!r} holds values of mixed types{detail}: each argument must "
        f"be a string or a number, of one type per feature. Convert the column "
        f"with .astype(str)."
    )


def _hash_factorize(values):
    """Codes in first-appearance order (-1 for missing) and the uniques."""
    if pd is not None:
        codes, uniques = pd.factorize(values, sort=False, use_na_sentinel=True)
        return codes.astype(np.int32), np.asarray(uniques, dtype=object)
    index = {}
    codes = np.empty(len(values), dtype=np.int32)
    for i, v in enumerate(values):
        codes[i] = -1 if _is_missing(v) else index.setdefault(v, len(index))
    return codes, np.array(list(index), dtype=object)


def _factorize_object(values, name):
    """Sorted categories of an object column, codes and missing mask."""
    try:
        codes, uniques = _hash_factorize(values)
    except TypeError as exc:  # unhashable values (lists, dicts)
        raise _mixed_types_error(name, "unhashable") from exc
    if pd is not None:
        kind = pd.api.types.infer_dtype(uniques, skipna=True)
        if kind.startswith("mixed") and kind != "mixed-integer-float":
            raise _mixed_types_error(name, kind)
    try:
        if (
            len(uniques)
            and all(isinstance(u, str) for u in uniques[:1000])
            and (pd is None or kind == "string")
        ):
            # numpy's fixed-width string sort compares code points like
            # Python's str ordering, without one Python call per comparison.
            order = np.argsort(uniques.astype(str), kind="stable")
        else:
            order = np.argsort(uniques, kind="stable")
    except TypeError as exc:
        raise _mixed_types_error(name) from exc
    codes = _relabel(codes, order)
    missing = codes < 0
    return codes, uniques[order], (missing if missing.any() else None)


def _lookup_object(values, categories):
    """Codes of object values in ``categories`` (-1 if absent) and missing mask."""
    n_categories = len(categories)
    if pd is not None:
        # Factorizing the categories followed by the values gives category i
        # the code i (categories are distinct and come first): one hash pass,
        # no Python-level mapping.
        both = np.concatenate(
            [np.asarray(categories, dtype=object), np.asarray(values, dtype=object)]
        )
        codes = pd.factorize(both, sort=False, use_na_sentinel=True)[0]
        codes = codes[n_categories:].astype(np.int32)
        missing = codes < 0
        codes[codes >= n_categories] = -1
        return codes, (missing if missing.any() else None)
    codes, uniques = _hash_factorize(values)
    index = {v: i for i, v in enumerate(categories.tolist())}
    mapping = np.fromiter(
        (index.get(v, -1) for v in uniques.tolist()), np.int32, len(uniques)
    )
    missing = codes < 0
    return np.append(mapping, -1)[codes], (missing if missing.any() else None)


def _factorize_categorical(column):
    """Codes of a pandas categorical column in its sorted observed categories."""
    raw = column.cat.codes.to_numpy()
    cats = np.asarray(column.cat.categories)
    used = np.flatnonzero(np.bincount(raw[raw >= 0], minlength=len(cats)))
    observed = cats[used]
    order = np.argsort(observed, kind="stable")
    mapping = np.full(len(cats) + 1, -1, dtype=np.int32)
    mapping[used[order]] = np.arange(len(used), dtype=np.int32)
    categories = observed[order]
    if categories.dtype.kind not in "iuf":
        categories = categories.astype(object)
    return mapping[raw], categories


def _category_kind(categories):
    """ "numeric", "string" or another pandas inferred kind of the categories."""
    known = (
        categories[:-1]
        if len(categories) and _is_missing(categories[-1])
        else (categories)
    )
    if len(known) == 0:
        return None
    if known.dtype.kind in "iufb":
        return "numeric"
    if pd is not None:
        kind = pd.api.types.infer_dtype(known, skipna=True)
    else:  # pragma: no cover
        first = known[0]
        kind = "string" if isinstance(first, str) else type(first).__name__
    if kind in ("integer", "floating", "mixed-integer-float", "boolean", "decimal"):
        return "numeric"
    return kind


def _check_same_category_kind(old, new, name):
    """Raise if a ``partial_fit`` batch's categories differ in type from fitted."""
    old_kind, new_kind = _category_kind(old), _category_kind(new)
    if old_kind is None or new_kind is None or old_kind == new_kind:
        return
    raise TypeError(
        f"Feature {name!r} of X holds {new_kind} values in this partial_fit "
        f"batch, but the encoder was fitted on {old_kind} categories "
        f"(categories_ = {old[:3].tolist()!r}...). The categories' type must "
        f"match what was fitted: convert the column the same way in every "
        f"batch (e.g. .astype(str))."
    )


def _merge_categories(old, new):
    """Sorted union of two category arrays and where each old/new one goes."""
    old_missing = len(old) > 0 and _is_missing(old[-1])
    new_missing = len(new) > 0 and _is_missing(new[-1])
    old_known = old[:-1] if old_missing else old
    new_known = new[:-1] if new_missing else new
    if old_known.dtype.kind in "iu" and new_known.dtype.kind in "iu":
        old_known, new_known = _common_integers(old_known, new_known)
    if old_known.dtype.kind in "iuf" and new_known.dtype.kind in "iuf":
        union = np.union1d(old_known, new_known)
        old_index = np.searchsorted(union, old_known)
        new_index = np.searchsorted(union, new_known)
    else:
        union = np.array(sorted(set(old_known) | set(new_known)), dtype=object)
        old_index = _lookup_object(old_known, union)[0]
        new_index = _lookup_object(new_known, union)[0]
    if old_missing or new_missing:
        union = _append_missing(union, old[-1] if old_missing else new[-1])
        if old_missing:
            old_index = np.append(old_index, len(union) - 1)
        if new_missing:
            new_index = np.append(new_index, len(union) - 1)
    return union, old_index, new_index


def _common_integers(a, b):
    """Two integer arrays in one dtype that holds both exactly.

    ``np.union1d`` of uint64 and int64 would go through float64 and lose
    every value above 2**53; values that need both signs and more than 63
    bits become Python ints (an object array).
    """
    if a.dtype == b.dtype or np.uint64 not in (a.dtype, b.dtype):
        return a, b
    signed = a if a.dtype != np.uint64 else b
    unsigned = b if signed is a else a
    if len(unsigned) == 0 or unsigned.max() <= np.iinfo(np.int64).max:
        dtype = np.int64
    elif len(signed) == 0 or signed.min() >= 0:
        dtype = np.uint64
    else:
        dtype = object
    return a.astype(dtype), b.astype(dtype)


def _append_missing(categories, fill):
    """Categories followed by the missing-value category ``fill``."""
    if categories.dtype.kind == "f" and fill is not None:
        return np.append(categories, np.nan)
    return np.append(categories.astype(object), np.array([fill], dtype=object))
