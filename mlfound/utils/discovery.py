"""Discover mlfound's public estimators, functions and displays."""

import inspect
import pkgutil
from importlib import import_module
from operator import itemgetter
from pathlib import Path

_MODULE_TO_IGNORE = {"tests"}


def _public_modules():
    """Yield every public (no leading underscore on any part) mlfound module."""
    import mlfound

    root = str(Path(mlfound.__file__).parent)
    yield mlfound
    for info in pkgutil.walk_packages([root], prefix="mlfound."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or _MODULE_TO_IGNORE & set(parts):
            continue
        yield import_module(info.name)


def _public_members(predicate):
    """Collect ``(name, object)`` pairs defined in mlfound that pass ``predicate``."""
    found = {}
    for module in _public_modules():
        for name, obj in inspect.getmembers(module, predicate):
            if name.startswith("_"):
                continue
            if not getattr(obj, "__module__", "").startswith("mlfound"):
                continue
            found[name] = obj
    return sorted(found.items(), key=itemgetter(0))


def all_estimators(type_filter=None):
    """Get a list of all public estimators of mlfound.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "cluster", "transformer"} \
            or list of such str, default=None
        Which kind of estimators to return. ``None`` returns all of them;
        a list returns the estimators of any of the listed kinds.

    Returns
    -------
    estimators : list of tuples
        ``(name, class)`` pairs sorted by name.

    Examples
    --------
    >>> from mlfound.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> all(isinstance(n, str) for n in names)
    True
    """
    from sklearn.base import (
        BaseEstimator,
        ClassifierMixin,
        ClusterMixin,
        RegressorMixin,
        TransformerMixin,
    )

    def is_estimator(obj):
        return (
            inspect.isclass(obj)
            and issubclass(obj, BaseEstimator)
            and not inspect.isabstract(obj)
        )

    estimators = _public_members(is_estimator)
    if type_filter is None:
        return estimators

    mixins = {
        "classifier": ClassifierMixin,
        "regressor": RegressorMixin,
        "transformer": TransformerMixin,
        "cluster": ClusterMixin,
    }
    kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = set(kinds) - set(mixins)
    if unknown:
        raise ValueError(
            f"type_filter must be None or a subset of {sorted(mixins)}; got "
            f"{sorted(unknown)}."
        )
    return [
        (name, est)
        for name, est in estimators
        if any(issubclass(est, mixins[kind]) for kind in kinds)
    ]


def all_displays():
    """Get a list of all public display classes (``*Display``) of mlfound.

    Returns
    -------
    displays : list of tuples
        ``(name, class)`` pairs sorted by name.

    Examples
    --------
    >>> from mlfound.utils import all_displays
    >>> all(name.endswith("Display") for name, _ in all_displays())
    True
    """
    return _public_members(
        lambda obj: inspect.isclass(obj) and obj.__name__.endswith("Display")
    )


def all_functions():
    """Get a list of all public functions of mlfound.

    Returns
    -------
    functions : list of tuples
        ``(name, function)`` pairs sorted by name.

    Examples
    --------
    >>> from mlfound.utils import all_functions
    >>> "all_estimators" in dict(all_functions())
    True
    """
    return _public_members(inspect.isfunction)
