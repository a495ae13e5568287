"""Helpers shared by mlfound's meta-estimators."""


def _estimator_has(attr):
    """``available_if`` check: does the inner estimator provide ``attr``?

    Looks at the fitted ``estimator_`` when there is one, else at the
    estimator the meta-estimator would fit (``self._get_estimator()``, which
    resolves a default inner estimator for ``estimator=None``).
    """

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self._get_estimator(), attr)

    return check
