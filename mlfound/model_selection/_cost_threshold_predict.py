"""Predictions of CostSensitiveThresholdClassifier from its fitted parts.

Once fitted, the classifier is the inner estimator ``estimator_`` and one
number, ``best_threshold_``: ``predict`` thresholds the inner estimator's
scores for ``pos_label_``, and the other prediction methods pass its output
through unchanged. On a dask collection each method runs per partition,
lazily (see :mod:`mlfound.model_selection._cost_threshold_dask`).
"""

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from mlfound.metrics._cost import _positive_scores
from mlfound.model_selection._cost_threshold_dask import predict_cost_threshold_dask
from mlfound.utils._dask import is_dask_collection
from mlfound.utils._metaestimators import _estimator_has
from mlfound.utils.validation import check_sparse_structure


class _ThresholdPredictionMixin:
    """``predict`` by threshold; the inner estimator's outputs passed through.

    Expects the fitted attributes ``estimator_``, ``response_method_``,
    ``pos_label_`` and ``best_threshold_``.
    """

    @property
    def classes_(self):
        """Class labels, sorted; ``pos_label_`` is the positive one."""
        return self.estimator_.classes_

    def predict(self, X):
        """Predict ``pos_label_`` where its score is ``>= best_threshold_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples, as accepted by the inner estimator.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The predicted classes.
        """
        check_is_fitted(self, "estimator_")
        if is_dask_collection(X):  # per partition, lazily
            return predict_cost_threshold_dask(self, "predict", X)
        scores, _ = _positive_scores(
            self.estimator_,
            check_sparse_structure(X),
            [self.response_method_],
            self.pos_label_,
        )
        classes = self.classes_
        pos = int(np.flatnonzero(classes == self.pos_label_)[0])
        return classes[np.where(scores >= self.best_threshold_, pos, 1 - pos)]

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the inner estimator (not thresholded).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            The inner estimator's probabilities.
        """
        return self._inner_output("predict_proba", X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the inner estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, 2)
            The inner estimator's log-probabilities.
        """
        return self._inner_output("predict_log_proba", X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the inner estimator (not thresholded).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The inner estimator's decision values.
        """
        return self._inner_output("decision_function", X)

    def _inner_output(self, method, X):
        """``estimator_.<method>(X)``; per partition on a dask collection."""
        check_is_fitted(self, "estimator_")
        if is_dask_collection(X):  # per partition, lazily
            return predict_cost_threshold_dask(self, method, X)
        return getattr(self.estimator_, method)(check_sparse_structure(X))
