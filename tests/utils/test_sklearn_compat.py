import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from mlfound.utils._sklearn_compat import logistic_penalty_params


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
def test_logistic_penalty_params_give_that_penalty_on_this_release(l1_ratio):
    # With few informative features and a small C, an L1 or elastic-net
    # penalty sets coefficients to exactly zero; an L2 penalty never does.
    X, y = make_classification(200, 10, n_informative=2, random_state=0)
    model = LogisticRegression(
        C=0.05,
        solver="saga",
        max_iter=5000,
        tol=1e-8,
        **logistic_penalty_params(l1_ratio),
    ).fit(X, y)
    n_zero = int(np.sum(model.coef_ == 0))
    if l1_ratio == 0:
        assert n_zero == 0
    else:
        assert n_zero >= 3
