"""Generators for the scenarios mlfound is built for.

Every generator takes ``n_samples`` and ``random_state`` and returns a
:class:`sklearn.utils.Bunch` with ``X``, ``y``, ``feature_names``, ``DESCR``
and the *ground truth* that produced the data (true coefficients, cut points,
propensities, relevance, ...), so that tests, docs and benchmarks can check
what an estimator recovers against what is known to be true.
"""

from mlfound.datasets._click_logs import make_click_logs
from mlfound.datasets._fraud import make_fraud
from mlfound.datasets._high_cardinality import make_high_cardinality
from mlfound.datasets._imbalanced import make_imbalanced
from mlfound.datasets._search_logs import make_search_logs
from mlfound.datasets._star_ratings import make_star_ratings

__all__ = [
    "make_click_logs",
    "make_fraud",
    "make_high_cardinality",
    "make_imbalanced",
    "make_search_logs",
    "make_star_ratings",
]
