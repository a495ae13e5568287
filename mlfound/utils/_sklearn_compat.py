"""What differs between the supported scikit-learn releases, in one place.

The floors run of ``.ci/run`` tests the oldest supported release (1.6) and the
other runs the newest; a difference that code or tests must bridge gets one
function here, with the releases it bridges, so it can go when the floor
passes them.
"""

import functools
import inspect

import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import check_scoring
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import MetadataRouter


def logistic_penalty_params(l1_ratio):
    """``LogisticRegression`` parameters for this L1/L2 mix on every release.

    From 1.8 on, ``l1_ratio`` alone chooses the penalty and ``penalty`` is
    deprecated; before, ``l1_ratio`` is read only with
    ``penalty="elasticnet"``, so ``LogisticRegression(l1_ratio=1)`` silently
    fits an L2 model there.

    Parameters
    ----------
    l1_ratio : float in [0, 1]
        1 is the L1 (lasso) penalty, 0 the L2 (ridge) penalty.

    Returns
    -------
    params : dict
        Keyword arguments for :class:`~sklearn.linear_model.LogisticRegression`.
    """
    default = inspect.signature(LogisticRegression).parameters["penalty"].default
    if default == "deprecated":
        return {"l1_ratio": l1_ratio}
    if l1_ratio == 1:
        return {"penalty": "l1"}
    if l1_ratio == 0:
        return {"penalty": "l2"}
    return {"penalty": "elasticnet", "l1_ratio": l1_ratio}


@functools.cache
def default_scoring_routes_into_pipelines():
    """Whether ``scoring=None`` passes score metadata on to a Pipeline's steps.

    With the default scoring, ``GridSearchCV`` and ``cross_validate`` score
    by the estimator's own ``score``. From 1.8 on, metadata requested by a
    step of a ``Pipeline`` (``set_score_request(groups=True)``) reaches that
    step's ``score``; 1.6 and 1.7 copy the Pipeline's own ``score``
    signature instead (``sample_weight`` only), so the step silently gets
    nothing (scikit-learn pull request 31898). Asked of the scorer itself
    rather than of the version number.

    Returns
    -------
    routes : bool
        True where a step's score request is honoured.
    """
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = check_scoring(Pipeline([("step", LogisticRegression())]))
        return isinstance(scorer.get_metadata_routing(), MetadataRouter)
