"""Inverse-propensity-score reweighting of any estimator."""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    process_routing,
)
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)

from mlfound.utils._frames import is_dataframe
from mlfound.utils._metaestimators import _estimator_has
from mlfound.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
)
from mlfound.utils.validation import (
    check_positive_integers,
    check_probabilities,
    check_sample_weight,
    check_sparse_structure,
)
from mlfound.weighting._position_bias import PositionBiasEstimator
from mlfound.weighting._position_inputs import (
    _NO_POSITIONS_MESSAGE,
    _check_clicks,
    _position_codes,
    _position_index,
)


class IPSReweighter(MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator on logged data with inverse-propensity weights.

    Click logs only show what users examined: an item at position ``k`` is
    examined with probability :math:`\\theta_k`, so a model trained on raw
    clicks learns the position as much as the relevance. Weighting each
    *clicked* row by :math:`1 / \\theta_k` (inverse propensity scoring, IPS)
    makes a click at position 10 count as much as the clicks the item would
    have received at the top. The propensities are given (``propensity``) or
    estimated from the same logs by a :class:`PositionBiasEstimator`.

    In the general missing-not-at-random mode, every logged row carries its
    own probability of having been observed (``fit(..., propensities=p)``):
    every row, clicked or not, is then weighted by ``1 / p``.

    The weights are optionally clipped at ``max_weight`` (trading bias for
    variance) and self-normalized to mean 1, then multiplied by any
    ``sample_weight`` and passed to the inner estimator's ``fit``.

    At prediction time the position carries no information about relevance:
    the position column of ``X`` (``position_column``) is dropped, or, when
    the inner estimator was trained with the position as a feature
    (``position_as_feature=True``), set to ``neutral_position`` for every
    row.

    Read more in the :ref:`User Guide <ips>`.

    Parameters
    ----------
    estimator : estimator object, default=None
        The estimator fitted with the weights; it must accept
        ``sample_weight`` in ``fit``. ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`.
    propensity : array-like of shape (n_positions,), PositionBiasEstimator \
            or None, default=None
        Examination propensity of each position (entry ``k - 1`` for
        position ``k``), in (0, 1]; every training position must be at most
        ``len(propensity)``. ``None`` estimates them with a default
        :class:`PositionBiasEstimator`; an (unfitted)
        :class:`PositionBiasEstimator` is cloned and fitted on the same data.
    position_column : int, str or None, default=None
        Column of ``X`` holding the 1-based positions (an index, or a column
        name when ``X`` is a DataFrame). Give either this or ``positions=``
        in :meth:`fit`, not both.
    max_weight : float or None, default=None
        Clip the inverse-propensity weights at this value (must be > 0).
        ``None`` does not clip.
    normalize : bool, default=False
        Self-normalize the inverse-propensity weights to mean 1 (after
        clipping; the mean is weighted by ``sample_weight``), so that the
        inner estimator's regularization strength does not depend on how
        small the propensities are.
    position_as_feature : bool, default=False
        Give the position to the inner estimator as a feature (the position
        column in place, or a last column when positions come from
        ``positions=``). At prediction time it is set to
        ``neutral_position``. When false, the position column is dropped.
    neutral_position : int or "median", default=1
        Position the position feature is set to at prediction time;
        ``"median"`` uses the median training position. Must be a position
        seen in fit.
    random_state : int, RandomState instance or None, default=None
        Seed of the default propensity model (``propensity=None``), which
        draws a warm-start subsample on large logs. Pass an int for
        reproducible fits. A ``PositionBiasEstimator`` given as
        ``propensity`` keeps its own ``random_state``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted inner estimator.
    propensity_ : ndarray of shape (n_positions,) or None
        Per-position propensities used for the weights: entry ``i`` for
        position ``positions_[i]`` (``None`` in the per-row and the
        no-position modes). A given ``propensity`` array is kept as is
        (entry ``k - 1`` for position ``k``); an estimated one has one entry
        per distinct training position (see
        ``PositionBiasEstimator.positions_``).
    positions_ : ndarray of shape (n_positions,) or None
        The positions `propensity_` refers to: ``1..len(propensity)`` for a
        given array, the distinct training positions when estimated.
    propensity_estimator_ : PositionBiasEstimator or None
        The fitted propensity model, when the propensities were estimated.
    neutral_position_ : int or None
        Value of the position feature at prediction time
        (``position_as_feature=True`` only).
    n_clipped_ : int
        Number of rows whose weight was clipped at ``max_weight``.
    classes_ : ndarray of shape (n_classes,)
        Classes of the inner classifier.
    n_features_in_ : int
        Number of columns of ``X`` seen in fit (the position column
        included).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of ``X`` seen in fit, when they are all strings.

    See Also
    --------
    PositionBiasEstimator : Estimate the propensities from the logs.
    mlfound.metrics.ips_value : Off-policy value with the same weights.

    References
    ----------
    .. [1] T. Joachims, A. Swaminathan and T. Schnabel, "Unbiased
       learning-to-rank with biased feedback", WSDM 2017.

    Examples
    --------
    >>> from scipy.stats import spearmanr
    >>> from sklearn.linear_model import LogisticRegression
    >>> from mlfound.datasets import make_click_logs
    >>> from mlfound.weighting import IPSReweighter
    >>> logs = make_click_logs(100_000, random_state=0)
    >>> naive = LogisticRegression().fit(logs.X, logs.y)
    >>> ips = IPSReweighter(LogisticRegression()).fit(
    ...     logs.X, logs.y, positions=logs.positions
    ... )
    >>> ips.propensity_.round(2)
    array([1.  , 0.49, 0.32, 0.23, 0.18, 0.17, 0.14, 0.12, 0.11, 0.11])
    >>> for model in (naive, ips):
    ...     rho = spearmanr(model.decision_function(logs.X), logs.relevance)[0]
    ...     print(round(rho, 2))
    0.84
    0.99
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "propensity": ["array-like", PositionBiasEstimator, None],
        "position_column": [
            Interval(numbers.Integral, 0, None, closed="left"),
            str,
            None,
        ],
        "max_weight": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "normalize": ["boolean"],
        "position_as_feature": ["boolean"],
        "neutral_position": [
            Interval(numbers.Integral, 1, None, closed="left"),
            StrOptions({"median"}),
        ],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        propensity=None,
        position_column=None,
        max_weight=None,
        normalize=False,
        position_as_feature=False,
        neutral_position=1,
        random_state=None,
    ):
        self.estimator = estimator
        self.propensity = propensity
        self.position_column = position_column
        self.max_weight = max_weight
        self.normalize = normalize
        self.position_as_feature = position_as_feature
        self.neutral_position = neutral_position
        self.random_state = random_state

    @_fit_context(
        # the inner estimator and propensity model are validated in their fit
        prefer_skip_nested_validation=False
    )
    def fit(
        self,
        X,
        y,
        *,
        positions=None,
        propensities=None,
        randomized=None,
        sample_weight=None,
        **fit_params,
    ):
        """Fit the inner estimator with inverse-propensity weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (with the position column when ``position_column``
            is set; sparse input only without a position column).
        y : array-like of shape (n_samples,)
            Target. With positions, clicks coded 0/1.
        positions : array-like of shape (n_samples,), default=None
            1-based position of each row: integers from 1 to ``2**63 - 1``
            (whole floats accepted). Give either this or
            ``position_column``. With neither (and no ``propensities``), the
            inner estimator is fitted unweighted, with a warning.
        propensities : array-like of shape (n_samples,), default=None
            Per-row observation propensities in (0, 1] (missing-not-at-random
            mode): every row is weighted by ``1 / propensities``. Not
            combinable with positions.
        randomized : array-like of shape (n_samples,) of bool, default=None
            Randomized-bucket flag passed to the :class:`PositionBiasEstimator`
            when the propensities are estimated.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights, multiplied with the inverse-propensity weights.
        **fit_params : dict
            Other metadata routed to the inner estimator's ``fit`` (needs
            ``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        _raise_for_params(fit_params, self, "fit")
        routed = process_routing(self, "fit", **fit_params)
        # the inner estimator (and SciPy's conversions) trust sparse indices
        check_sparse_structure(X)
        frame = X
        if not hasattr(X, "iloc"):
            X = check_array(
                X,
                accept_sparse=self.position_column is None
                and not self.position_as_feature,
                dtype=None,
                ensure_all_finite=False,
            )
        # Column names come from any DataFrame (polars too), before conversion.
        named = frame if is_dataframe(frame) else X
        validate_data(self, named, reset=True, skip_check_array=True)
        n_samples = X.shape[0]
        check_consistent_length(X, y)
        features, positions = self._split(X, positions)
        self.propensity_ = None
        self.positions_ = None
        self.propensity_estimator_ = None
        self.neutral_position_ = None
        self.n_clipped_ = 0

        if propensities is not None:
            if positions is not None:
                raise ValueError(
                    "propensities= (per-row observation propensities) and "
                    "positions were both given: use one weighting mode."
                )
            if not _is_default_propensity(self.propensity):
                raise ValueError(
                    "propensities= (per row) and propensity (per position) "
                    "were both given: use one weighting mode."
                )
            propensities = check_probabilities(propensities, name="propensities")
            if propensities.shape != (n_samples,):
                raise ValueError(
                    f"propensities must have shape ({n_samples},), got "
                    f"{propensities.shape}."
                )
            weights = 1.0 / propensities
        elif positions is not None:
            y_clicks = _check_clicks(y)
            # The relevance model inside the propensity estimate must not see
            # the position, or it absorbs the position effect it is to measure.
            theta = self._propensity(
                self._without_position_column(features),
                y_clicks,
                positions,
                randomized,
                sample_weight,
            )
            weights = np.where(y_clicks == 1, 1.0 / theta, 1.0)
        else:
            if not _is_default_propensity(self.propensity):
                raise ValueError(
                    "propensity (per position) was given but no positions: "
                    "pass fit(X, y, positions=...) or set position_column."
                )
            warnings.warn(_NO_POSITIONS_MESSAGE, UserWarning)
            weights = np.ones(n_samples)

        if self.max_weight is not None:
            self.n_clipped_ = int(np.count_nonzero(weights > self.max_weight))
            weights = np.minimum(weights, self.max_weight)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, X)
        if self.normalize:
            # Mean 1 under the sample weights, so that a weight of k acts
            # exactly like k copies of the row.
            weights = weights / np.average(weights, weights=sample_weight)
        if sample_weight is not None:
            weights = weights * sample_weight

        if self.position_as_feature:
            if positions is None:
                raise ValueError(
                    "position_as_feature=True needs positions (positions= or "
                    "position_column)."
                )
            if self.neutral_position == "median":
                neutral = int(np.median(positions))
            else:
                neutral = int(self.neutral_position)
            if not np.any(positions == neutral):
                raise ValueError(
                    f"neutral_position={neutral} was never seen in fit; choose "
                    f"one of the training positions."
                )
            self.neutral_position_ = neutral
            features = self._with_position(features, X, positions)

        self.estimator_ = clone(self._get_estimator())
        self.estimator_.fit(features, y, sample_weight=weights, **routed.estimator.fit)
        return self

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the inner estimator at a neutral position.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, with the position column if one was used in fit.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions of the inner estimator.
        """
        X = self._neutral(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the inner estimator at a neutral position.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, with the position column if one was used in fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the inner estimator.
        """
        X = self._neutral(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the inner estimator at a neutral position.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, with the position column if one was used in fit.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of the inner estimator.
        """
        X = self._neutral(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the inner estimator at a neutral position.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, with the position column if one was used in fit.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Scores of the inner estimator.
        """
        X = self._neutral(X)
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of the inner estimator at a neutral position.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, with the position column if one was used in fit.
        y : array-like of shape (n_samples,)
            True target.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            The inner estimator's ``score`` (accuracy for classifiers, R^2
            for regressors).
        """
        X = self._neutral(X)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    @property
    def classes_(self):
        """Classes of the inner classifier."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.classes_

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``positions``, ``propensities``, ``randomized`` and ``sample_weight``
        are consumed by the reweighter itself (request them with
        ``set_fit_request`` when it is nested); other ``fit`` metadata is
        routed to the inner estimator.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                estimator=self._get_estimator(),
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self._get_estimator())
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags = inner.target_tags
        tags.input_tags.sparse = (
            inner.input_tags.sparse
            and self.position_column is None
            and not self.position_as_feature
        )
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    # ----------------------------------------------------------------------
    def _get_estimator(self):
        return LogisticRegression() if self.estimator is None else self.estimator

    def _split(self, X, positions):
        """``(features, positions)`` with the position column split off."""
        if positions is not None and self.position_column is not None:
            raise ValueError(
                "Positions were given twice: as positions= and through "
                f"position_column={self.position_column!r}. Give only one."
            )
        if self.position_column is not None:
            idx = _position_index(
                self.position_column, getattr(self, "feature_names_in_", None), X
            )
            if hasattr(X, "iloc"):
                column = X.columns[idx]
                positions = X[column].to_numpy()
                X = X.drop(columns=[column]) if not self.position_as_feature else X
            else:
                positions = X[:, idx]
                if not self.position_as_feature:
                    X = np.delete(X, idx, axis=1)
        if positions is None:
            return X, None
        positions = check_positive_integers(positions, name="positions")
        if positions.shape != (X.shape[0],):
            raise ValueError(
                f"positions must have shape ({X.shape[0]},), got {positions.shape}."
            )
        return X, positions

    def _without_position_column(self, features):
        """``features`` minus the position column kept for the inner model."""
        if self.position_column is None or not self.position_as_feature:
            return features
        idx = _position_index(
            self.position_column, getattr(self, "feature_names_in_", None), features
        )
        if hasattr(features, "iloc"):
            return features.drop(columns=[features.columns[idx]])
        return np.delete(features, idx, axis=1)

    def _with_position(self, features, X, positions):
        """Features plus the position feature (in place for a column)."""
        if self.position_column is not None:
            return features  # the column was kept in place
        if hasattr(features, "iloc"):
            return features.assign(position=positions)
        return np.column_stack([features, positions.astype(features.dtype)])

    def _propensity(self, features, y, positions, randomized, sample_weight):
        """Propensity of each row's position; sets ``propensity_``/``positions_``."""
        if _is_default_propensity(self.propensity):
            model = (
                PositionBiasEstimator(random_state=self.random_state)
                if self.propensity is None
                else clone(self.propensity)
            )
            if model.position_column is not None:
                model.set_params(position_column=None)
            self.propensity_estimator_ = model.fit(
                features,
                y,
                positions=positions,
                randomized=randomized,
                sample_weight=sample_weight,
            )
            self.propensity_ = model.propensity_
            self.positions_ = model.positions_
            # Every training position is in positions_; its propensity is NaN
            # only when all its rows have zero weight, and then those rows
            # contribute nothing: give them a neutral weight, not NaN.
            theta = model.propensity_[_position_codes(positions, model.positions_)]
            return np.where(np.isnan(theta), 1.0, theta)
        theta = check_probabilities(self.propensity, name="propensity")
        if theta.ndim != 1:
            raise ValueError(
                f"propensity must be 1-d (one entry per position), got "
                f"shape {theta.shape}."
            )
        if positions.max() > theta.shape[0]:
            raise ValueError(
                f"positions go up to {positions.max()} but propensity has only "
                f"{theta.shape[0]} entries (one per position 1, 2, ...): give "
                f"a propensity for every position, or drop the rows beyond it."
            )
        self.propensity_ = theta
        self.positions_ = np.arange(1, theta.shape[0] + 1)
        return theta[positions - 1]

    def _neutral(self, X):
        """``X`` as the inner estimator sees it at prediction time."""
        check_is_fitted(self, "estimator_")
        check_sparse_structure(X)
        plain = self.position_column is None and not self.position_as_feature
        frame = X
        if not hasattr(X, "iloc"):
            X = check_array(X, accept_sparse=plain, dtype=None, ensure_all_finite=False)
        named = frame if is_dataframe(frame) else X
        validate_data(self, named, reset=False, skip_check_array=True)
        if plain:
            return X
        if self.position_column is None:
            return self._with_position(
                X, X, np.full(X.shape[0], self.neutral_position_)
            )
        idx = _position_index(
            self.position_column, getattr(self, "feature_names_in_", None), X
        )
        if hasattr(X, "iloc"):
            column = X.columns[idx]
            if self.position_as_feature:
                return X.assign(**{column: self.neutral_position_})
            return X.drop(columns=[column])
        if self.position_as_feature:
            X = np.array(X, copy=True)
            X[:, idx] = self.neutral_position_
            return X
        return np.delete(X, idx, axis=1)


def _is_default_propensity(propensity):
    return propensity is None or isinstance(propensity, PositionBiasEstimator)
