"""Scenarios shown by ``python -m mlfound``.

Each family adds one module here, ``mlfound/_tour/_<scenario>.py``, that
defines:

``TITLE`` : str
    A one-line title, e.g. ``"Fraud: a cost-sensitive decision threshold"``.
``ORDER`` : int
    Position in the tour (smaller first).
``run(quick, step)`` : callable
    Runs the scenario on an :mod:`mlfound.datasets` generator (smaller data
    when ``quick`` is true), calls ``step("message")`` before each stage (the
    tour prints a progress line), and returns a list of
    ``(metric, naive_baseline, mlfound)`` rows of already formatted strings,
    e.g. ``[("expected cost / transaction", "0.412 at threshold 0.5",
    "0.087 at tuned 0.031")]``.

The tour discovers these modules by itself; nothing else needs editing.
"""

import pkgutil
from importlib import import_module


def scenarios():
    """Return the scenario modules, sorted by their ``ORDER``."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = import_module(f"{__name__}.{info.name}")
        if hasattr(module, "run") and hasattr(module, "TITLE"):
            found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
