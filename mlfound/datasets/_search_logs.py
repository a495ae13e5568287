"""Search logs with graded relevance and position-biased clicks: learning to rank."""

import numbers

import numpy as np
from scipy.stats import norm
from sklearn.utils import Bunch, check_random_state

from mlfound.datasets._size import check_output_size
from mlfound.utils._param_validation import Interval, validate_params

_DESCR = """\
Simulated search logs: graded relevance and position-biased clicks
------------------------------------------------------------------

Each query returns ``n_documents`` documents (``n_samples`` rows in all). A document's
features are ``x = z + m_q``: its own part ``z ~ N(0, I)`` plus an offset
``m_q`` shared by every document of its query (query-dependent feature
scales, as BM25 scores vary between queries), of size ``query_shift`` and
mostly along one direction. Its true utility is

    u = z @ coef + nonlinearity * ((z @ v) ** 2 - 1) / sqrt(2) + noise,

and its graded relevance 0..4 is ``u`` cut at fixed quantiles of its
distribution (about 40%, 30%, 17%, 9% and 4% of the documents per grade).
Within a query only ``z`` matters, so a ranker that compares documents of
one query recovers ``coef``, while a pointwise model fitted on ``x`` is pulled
by the query offsets. The quadratic term is invisible to a linear model.

A logging ranker orders each query's documents by a noisy score along a
direction at ``policy_angle`` degrees from ``coef``; the user examines
position ``k`` with probability ``propensity[k - 1]`` (``1 / k ** exponent``
by default) and clicks an examined document with probability
``click_noise + (1 - click_noise) * (2 ** rel - 1) / 15``.
"""

_GRADE_QUANTILES = (0.40, 0.70, 0.87, 0.96)


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_documents": [Interval(numbers.Integral, 2, None, closed="left")],
        "n_features": [Interval(numbers.Integral, 2, None, closed="left")],
        "query_shift": [Interval(numbers.Real, 0, None, closed="left")],
        "nonlinearity": [Interval(numbers.Real, 0, None, closed="left")],
        "noise": [Interval(numbers.Real, 0, None, closed="left")],
        "exponent": [Interval(numbers.Real, 0, None, closed="left")],
        "policy_angle": [Interval(numbers.Real, 0, 90, closed="both")],
        "policy_noise": [Interval(numbers.Real, 0, None, closed="left")],
        "click_noise": [Interval(numbers.Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_search_logs(
    n_samples=10_000,
    *,
    n_documents=10,
    n_features=10,
    query_shift=2.0,
    nonlinearity=0.5,
    noise=0.5,
    exponent=1.0,
    policy_angle=60.0,
    policy_noise=0.5,
    click_noise=0.05,
    random_state=None,
):
    """Generate search logs: graded relevance per query and position-biased clicks.

    Rows are query-document pairs, grouped by ``query_id`` (documents of a
    query in generation order, not in displayed order), ``n_documents`` per
    query (the last query may hold fewer). The truth that
    produced the logs is returned with them: the graded relevance, the
    examination propensity of each position and whether each document was
    examined.

    Read more in the :ref:`User Guide <ranking>`.

    Parameters
    ----------
    n_samples : int, default=10_000
        Number of rows (query-document pairs), at least 2.
    n_documents : int, default=10
        Documents (and positions) per query.
    n_features : int, default=10
        Number of document features (at least 2).
    query_shift : float, default=2.0
        Size of the feature offset shared by the documents of a query.
    nonlinearity : float, default=0.5
        Weight of the quadratic term of the utility.
    noise : float, default=0.5
        Standard deviation of the utility noise.
    exponent : float, default=1.0
        Examination probability ``1 / k ** exponent`` at position ``k``.
    policy_angle : float, default=60.0
        Angle in degrees between the logging ranker's direction and ``coef``.
    policy_noise : float, default=0.5
        Standard deviation of the logging ranker's score noise.
    click_noise : float, default=0.05
        Click probability of an examined, irrelevant document.
    random_state : int, RandomState instance or None, default=None
        Seed of every random choice.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        X : ndarray of shape (n_samples, n_features)
            Document features.
        y : ndarray of shape (n_samples,), int64
            Clicks (0 or 1).
        relevance : ndarray of shape (n_samples,), int64
            True graded relevance, 0 to 4.
        query_id : ndarray of shape (n_samples,), int64
            Query of each row.
        positions : ndarray of shape (n_samples,), int64
            1-based position at which the logging ranker showed the row.
        propensity : ndarray of shape (n_documents,)
            True examination probability of each position (entry ``k - 1``
            for position ``k``).
        examined : ndarray of shape (n_samples,), bool
            Whether the user examined the row (unobserved in real logs).
        click_probability : ndarray of shape (n_samples,)
            True probability of a click on each row at its position.
        coef : ndarray of shape (n_features,)
            Linear part of the true utility.
        policy_coef : ndarray of shape (n_features,)
            Direction of the logging ranker.
        feature_names : list of str
            ``["x0", "x1", ...]``.
        DESCR : str
            Description of the scenario.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.datasets import make_search_logs
    >>> logs = make_search_logs(5000, random_state=0)
    >>> logs.X.shape, np.bincount(logs.relevance).size
    ((5000, 10), 5)
    >>> ctr = [logs.y[logs.positions == k].mean() for k in (1, 10)]
    >>> bool(ctr[0] > 5 * ctr[1])
    True
    """
    check_output_size(
        "make_search_logs",
        n_samples__n_features=int(n_samples) * (int(n_features) + 10),
        n_documents=2 * int(n_documents),
    )
    n_queries = -(-n_samples // n_documents)
    rng = check_random_state(random_state)
    coef = _unit(rng.standard_normal(n_features))
    v = _orthogonal(rng.standard_normal(n_features), coef)
    shift_dir = _unit(coef + _orthogonal(rng.standard_normal(n_features), coef))
    angle = np.deg2rad(policy_angle)
    policy_coef = np.cos(angle) * coef + np.sin(angle) * _orthogonal(
        rng.standard_normal(n_features), coef
    )

    query_id = np.repeat(np.arange(n_queries, dtype=np.int64), n_documents)
    query_id = query_id[:n_samples]
    offsets = query_shift * (
        rng.standard_normal(n_queries)[:, None] * shift_dir
        + 0.3 * rng.standard_normal((n_queries, n_features))
    )
    Z = rng.standard_normal((n_samples, n_features))
    X = Z + offsets[query_id]
    utility = (
        Z @ coef
        + nonlinearity * ((Z @ v) ** 2 - 1.0) / np.sqrt(2.0)
        + noise * rng.standard_normal(n_samples)
    )
    spread = np.sqrt(1.0 + nonlinearity**2 + noise**2)
    cuts = spread * norm.ppf(_GRADE_QUANTILES)
    relevance = np.searchsorted(cuts, utility).astype(np.int64)

    log_score = Z @ policy_coef + policy_noise * rng.standard_normal(n_samples)
    order = np.lexsort((-log_score, query_id))
    first = np.searchsorted(query_id, query_id[order], side="left")
    positions = np.empty(n_samples, dtype=np.int64)
    positions[order] = np.arange(n_samples) - first + 1

    propensity = 1.0 / np.arange(1, n_documents + 1, dtype=np.float64) ** exponent
    attractiveness = click_noise + (1.0 - click_noise) * (2.0**relevance - 1) / 15.0
    examined = rng.random_sample(n_samples) < propensity[positions - 1]
    clicked = examined & (rng.random_sample(n_samples) < attractiveness)

    return Bunch(
        X=X,
        y=clicked.astype(np.int64),
        relevance=relevance,
        query_id=query_id,
        positions=positions,
        propensity=propensity,
        examined=examined,
        click_probability=propensity[positions - 1] * attractiveness,
        coef=coef,
        policy_coef=policy_coef,
        feature_names=[f"x{j}" for j in range(n_features)],
        DESCR=_DESCR,
    )


def _unit(v):
    return v / np.linalg.norm(v)


def _orthogonal(v, direction):
    """``v`` minus its component along the unit ``direction``, normalised."""
    return _unit(v - (v @ direction) * direction)
