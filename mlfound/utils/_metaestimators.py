"""Helpers shared by mlfound's meta-estimators."""

from sklearn.utils.validation import has_fit_parameter


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


def _sample_weight_params(estimator, sample_weight):
    """Fit parameters that pass ``sample_weight`` on to ``estimator.fit``.

    Used when metadata routing is off. Nothing is dropped silently: when
    ``sample_weight`` is given and ``estimator.fit`` does not take it, the
    error names the parameter and the ways out.
    """
    if sample_weight is None:
        return {}
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(
            f"sample_weight was given but {type(estimator).__name__}.fit does "
            f"not accept it. Drop sample_weight, use an inner estimator whose "
            f"fit takes it, or enable metadata routing "
            f"(sklearn.set_config(enable_metadata_routing=True)) and request "
            f"it explicitly (e.g. for a Pipeline step)."
        )
    return {"sample_weight": sample_weight}


def _row_indexable(X):
    """``X`` in a form whose rows can be taken by ``_safe_indexing``.

    DIA, COO and other sparse formats have no row indexing: they become CSR
    (what the inner estimators convert them to anyway); everything else is
    returned unchanged.
    """
    import scipy.sparse as sp

    if sp.issparse(X) and X.format not in ("csr", "csc"):
        return X.tocsr()
    return X
