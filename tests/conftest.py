import os

import pytest
from hypothesis import HealthCheck, settings

# The first call of a Numba kernel compiles it (or loads it from the cache),
# which can take longer than hypothesis' default deadline: do not count it.
settings.register_profile(
    "mlfound",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
# CI never flakes: the same examples on every run (a failure found locally
# becomes an @example).
settings.register_profile(
    "ci", parent=settings.get_profile("mlfound"), max_examples=40, derandomize=True
)
IN_CI = os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}
settings.load_profile("ci" if IN_CI else "mlfound")


def pytest_collection_modifyitems(config, items):
    """Under CI, refuse a hypothesis test whose own settings draw at random."""
    if not IN_CI:
        return
    random = [
        item.nodeid
        for item in items
        if not getattr(
            getattr(item.obj, "_hypothesis_internal_use_settings", None),
            "derandomize",
            True,
        )
    ]
    if random:
        raise pytest.UsageError(
            "These hypothesis tests override the derandomized 'ci' profile "
            "(drop their per-test derandomize/seed settings): " + ", ".join(random)
        )
