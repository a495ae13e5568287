"""mlfound: production ML-foundations techniques as scikit-learn estimators.

The estimators live in subpackages that users import explicitly, as in
scikit-learn::

    from mlfound.preprocessing import TargetEncoder
    from mlfound.model_selection import CostSensitiveThresholdClassifier

Importing :mod:`mlfound` itself is cheap: it exposes the version and
:func:`show_versions` only.
"""

from mlfound.utils._show_versions import show_versions

__version__ = "0.1.0.dev0"

__all__ = ["__version__", "show_versions"]
