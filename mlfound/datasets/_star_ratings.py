"""Star ratings 1..K from a latent linear score: the ordinal scenario."""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_random_state

from mlfound._glm._cumulative_link import LINKS, link_quantile
from mlfound.datasets._size import check_output_size
from mlfound.utils._param_validation import Interval, StrOptions, validate_params

_NOISE_SCALE = {
    "logit": np.pi / np.sqrt(3.0),
    "probit": 1.0,
    "cloglog": np.pi / np.sqrt(6.0),
    "loglog": np.pi / np.sqrt(6.0),
    "cauchit": 1.0,
}

_DESCR = """\
Star ratings from a latent linear score
---------------------------------------

Each row is a review with {n_features} standard normal features. A latent
satisfaction ``z = X @ coef + e`` with link noise ``e`` ({link}) is cut at
{n_cuts} increasing cut points into ratings 1..{n_classes}::

    P(y <= k | x) = F(thresholds[k-1] - x @ coef)

so the data follow a cumulative link model exactly and ``coef`` and
``thresholds`` are the truth an ordinal model should recover.
"""


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "link": [StrOptions(set(LINKS))],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_star_ratings(
    n_samples=1000, *, n_features=5, n_classes=5, link="logit", random_state=None
):
    """Generate star ratings 1..K from a cumulative link model.

    The features are standard normal; the true coefficients are drawn once
    from a standard normal; the cut points are placed at the
    ``k / n_classes`` quantiles of a normal with the latent score's standard
    deviation, so all classes are well populated. The rating is the number
    of cut points below ``x @ coef + e`` plus one, with ``e`` drawn from the
    link's distribution, so ``P(y <= k | x) = F(thresholds[k-1] - x @ coef)``.

    Read more in the :ref:`User Guide <ordinal>`.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of reviews.
    n_features : int, default=5
        Number of features.
    n_classes : int, default=5
        Number of ratings (labels ``1..n_classes``).
    link : {"logit", "probit", "cloglog", "loglog", "cauchit"}, \
            default="logit"
        Distribution of the latent noise (see
        :class:`mlfound.ordinal.OrdinalLogisticRegression`).
    random_state : int, RandomState instance or None, default=None
        Seed of the draws (features, coefficients and noise).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the keys:

        X : ndarray of shape (n_samples, n_features)
            The features.
        y : ndarray of shape (n_samples,)
            Integer ratings ``1..n_classes``.
        feature_names : list of str
            ``["x0", "x1", ...]``.
        coef : ndarray of shape (n_features,)
            The true slopes of the latent score.
        thresholds : ndarray of shape (n_classes - 1,)
            The true increasing cut points.
        latent : ndarray of shape (n_samples,)
            The latent satisfaction ``x @ coef + e``.
        link : str
            The link used.
        DESCR : str
            Description of the data set.

    Examples
    --------
    >>> from mlfound.datasets import make_star_ratings
    >>> data = make_star_ratings(500, n_features=3, random_state=0)
    >>> data.X.shape, data.coef.shape, data.thresholds.shape
    ((500, 3), (3,), (4,))
    >>> sorted(set(data.y.tolist()))
    [1, 2, 3, 4, 5]
    """
    check_output_size(
        "make_star_ratings",
        n_samples__n_features=int(n_samples) * (int(n_features) + 4),
        n_classes=int(n_classes),
    )
    rng = check_random_state(random_state)
    coef = rng.standard_normal(n_features)
    X = rng.standard_normal((n_samples, n_features))
    noise = link_quantile(rng.uniform(1e-12, 1 - 1e-12, size=n_samples), link)
    latent_sd = np.sqrt(coef @ coef + _NOISE_SCALE[link] ** 2)
    probs = np.arange(1, n_classes) / n_classes
    thresholds = latent_sd * link_quantile(probs, "probit")
    latent = X @ coef + noise
    y = 1 + np.searchsorted(thresholds, latent).astype(np.int64)
    return Bunch(
        X=X,
        y=y,
        feature_names=[f"x{j}" for j in range(n_features)],
        coef=coef,
        thresholds=thresholds,
        latent=latent,
        link=link,
        DESCR=_DESCR.format(
            n_features=n_features,
            link=link,
            n_cuts=n_classes - 1,
            n_classes=int(n_classes),
        ),
    )
