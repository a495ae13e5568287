import os

from hypothesis import HealthCheck, settings

# The first call of a Numba kernel compiles it (or loads it from the cache),
# which can take longer than hypothesis' default deadline: do not count it.
settings.register_profile(
    "mlfound",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci", parent=settings.get_profile("mlfound"), max_examples=40, derandomize=True
)
settings.load_profile("ci" if os.environ.get("CI") else "mlfound")
