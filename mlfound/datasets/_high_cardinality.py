"""High-cardinality categorical features with a known truth and a noise id."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state

from mlfound.datasets._size import check_output_size
from mlfound.utils._param_validation import Interval, validate_params

_DESCR = """\
High-cardinality categoricals
-----------------------------

Synthetic conversion data with three categorical features:

- ``city``: ``n_cities`` levels with Zipf-like frequencies (a few large
  cities, a long tail of rare ones), each with a true effect on the log-odds
  of conversion drawn from N(0, effect_scale**2);
- ``product``: ``n_products`` levels, Zipf-like, with effects from the same
  distribution;
- ``user_id``: ``n_noise_categories`` levels drawn uniformly, *with no effect
  at all* (pure noise, about 4 rows per level by default).

The target is ``y ~ Bernoulli(sigmoid(intercept + city effect + product
effect))``. Encoding ``user_id`` with a group-by mean computed on all rows
leaks each row's own label into its feature: a model then finds signal in
noise on the training data, which vanishes on new data. The returned ground
truth (true effects, true probabilities, the name of the noise column) lets
one check what an encoder recovers.
"""


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_noise_categories": [Interval(Integral, 1, None, closed="left"), None],
        "n_cities": [Interval(Integral, 1, None, closed="left")],
        "n_products": [Interval(Integral, 1, None, closed="left")],
        "zipf_exponent": [Interval(Real, 0, None, closed="left")],
        "effect_scale": [Interval(Real, 0, None, closed="left")],
        "intercept": [Real],
        "as_frame": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_high_cardinality(
    n_samples=10_000,
    *,
    n_noise_categories=None,
    n_cities=1_000,
    n_products=50,
    zipf_exponent=1.1,
    effect_scale=0.8,
    intercept=-1.0,
    as_frame=False,
    random_state=None,
):
    """Binary target with informative high-cardinality columns and a noise id.

    Read more in the :ref:`User Guide <target_encoding>`.

    Parameters
    ----------
    n_samples : int, default=10_000
        Number of rows.
    n_noise_categories : int, default=None
        Number of levels of the pure-noise ``user_id`` column;
        ``max(1, n_samples // 4)`` when None (about 4 rows per level).
    n_cities : int, default=1_000
        Number of levels of ``city``.
    n_products : int, default=50
        Number of levels of ``product``.
    zipf_exponent : float, default=1.1
        Level ``k`` (1-based) of ``city`` and ``product`` has frequency
        proportional to ``k ** -zipf_exponent``.
    effect_scale : float, default=0.8
        Standard deviation of the true per-level effects on the log-odds.
    intercept : float, default=-1.0
        Log-odds of conversion for a level with zero effect.
    as_frame : bool, default=False
        Return ``X`` as a pandas DataFrame (requires pandas) instead of an
        object array of strings.
    random_state : int, RandomState instance or None, default=None
        Seed of the data.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes:

        X : ndarray of shape (n_samples, 3), object, or DataFrame
            Columns ``city``, ``product``, ``user_id`` (strings).
        y : ndarray of shape (n_samples,), int
            Binary target.
        feature_names : list of str
            ``["city", "product", "user_id"]``.
        categories : dict of str to ndarray
            All possible levels of each column (level ``k`` is the ``k``-th).
        effects : dict of str to ndarray
            True effect on the log-odds of each level; all zeros for the
            noise column.
        frequencies : dict of str to ndarray
            Probability of each level.
        intercept : float
            The log-odds intercept.
        logit : ndarray of shape (n_samples,)
            True log-odds of each row.
        proba : ndarray of shape (n_samples,)
            True probability of ``y = 1`` of each row.
        noise_feature : str
            ``"user_id"``, the column unrelated to ``y``.
        informative_features : list of str
            ``["city", "product"]``.
        DESCR : str
            Description of the data.

    Examples
    --------
    >>> from mlfound.datasets import make_high_cardinality
    >>> data = make_high_cardinality(1000, random_state=0)
    >>> data.X.shape
    (1000, 3)
    >>> data.feature_names
    ['city', 'product', 'user_id']
    >>> data.noise_feature
    'user_id'
    >>> len(data.categories["user_id"])
    250
    """
    rng = check_random_state(random_state)
    if n_noise_categories is None:
        n_noise_categories = max(1, n_samples // 4)
    # about 100 bytes per level: its name, frequency and effect
    check_output_size(
        "make_high_cardinality",
        n_samples=12 * int(n_samples),
        n_cities=13 * int(n_cities),
        n_products=13 * int(n_products),
        n_noise_categories=13 * int(n_noise_categories),
    )
    sizes = {"city": n_cities, "product": n_products, "user_id": n_noise_categories}
    categories, effects, frequencies, codes = {}, {}, {}, {}
    for name, size in sizes.items():
        width = len(str(size - 1))
        categories[name] = np.array(
            [f"{name}_{k:0{width}d}" for k in range(size)], dtype=object
        )
        if name == "user_id":
            p = np.full(size, 1.0 / size)
            effects[name] = np.zeros(size)
        else:
            p = np.arange(1, size + 1, dtype=np.float64) ** -zipf_exponent
            p /= p.sum()
            effects[name] = rng.normal(0.0, effect_scale, size)
        frequencies[name] = p
        codes[name] = rng.choice(size, size=n_samples, p=p)
    logit = intercept + effects["city"][codes["city"]]
    logit = logit + effects["product"][codes["product"]]
    proba = 1.0 / (1.0 + np.exp(-logit))
    y = (rng.random_sample(n_samples) < proba).astype(np.int64)
    names = list(sizes)
    X = np.column_stack([categories[n][codes[n]] for n in names])
    if as_frame:
        import pandas as pd

        X = pd.DataFrame(X, columns=names)
    return Bunch(
        X=X,
        y=y,
        feature_names=names,
        categories=categories,
        effects=effects,
        frequencies=frequencies,
        intercept=float(intercept),
        logit=logit,
        proba=proba,
        noise_feature="user_id",
        informative_features=["city", "product"],
        DESCR=_DESCR,
    )
