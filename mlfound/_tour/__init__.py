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
    tour prints the message, then how long the stage took), and returns a
    list of ``(metric, naive_baseline, mlfound)`` rows of already formatted
    strings, e.g. ``[("expected cost / transaction", "0.412 at threshold 0.5",
    "0.087 at tuned 0.031")]``. The first row is the scenario's headline in
    the tour's closing summary.

The tour discovers these modules by itself; nothing else needs editing.
:func:`run_scenario` runs one of them and times each stage, separating the
time Numba spends compiling kernels on their first call.
"""

import pkgutil
import time
import traceback
from dataclasses import dataclass, field
from importlib import import_module

from numba.core import event

# A stage whose kernels compiled for longer than this gets its own line.
COMPILE_NOTE_SECONDS = 0.05


def scenarios():
    """Return the scenario modules, sorted by their ``ORDER``."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        module = import_module(f"{__name__}.{info.name}")
        if hasattr(module, "run") and hasattr(module, "TITLE"):
            found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


@dataclass
class ScenarioResult:
    """What one scenario returned, and how long it and its stages took."""

    title: str
    rows: list = field(default_factory=list)
    seconds: float = 0.0
    compile_seconds: float = 0.0
    steps: list = field(default_factory=list)  # (message, seconds, compile)
    error: str | None = None


class _Stages:
    """The ``step`` callback: prints each stage and, once it ends, its time.

    A stage runs from its ``step("message")`` call to the next one (or the end
    of the scenario). Numba compile time inside a stage is measured with
    Numba's event API, so a first call's compile shows on the stage that
    triggered it, on a line of its own.
    """

    def __init__(self, write):
        self.write = write
        self.steps = []
        self._message = None

    def __call__(self, message):
        self.close()
        self._message = message
        self._start = time.perf_counter()
        self._compile = event.TimingListener()
        event.register("numba:compile", self._compile)
        self.write(f"  ... {message}", end="")

    def close(self):
        if self._message is None:
            return
        seconds = time.perf_counter() - self._start
        event.unregister("numba:compile", self._compile)
        compiled = self._compile.duration if self._compile.done else 0.0
        self.steps.append((self._message, seconds, compiled))
        self._message = None
        self.write(f"  {seconds:.1f} s")
        if compiled > COMPILE_NOTE_SECONDS:
            self.write(
                f"      of which {compiled:.1f} s compiling Numba kernels on their "
                "first call (cached for later runs)"
            )


def run_scenario(module, quick, write=print):
    """Run one scenario module, printing its stages with ``write``."""
    stages = _Stages(write)
    result = ScenarioResult(title=module.TITLE)
    start = time.perf_counter()
    try:
        result.rows = list(module.run(quick=quick, step=stages))
    except Exception:  # reported, and the tour goes on with the next one
        result.error = traceback.format_exc()
    finally:
        stages.close()
    result.seconds = time.perf_counter() - start
    result.steps = stages.steps
    result.compile_seconds = sum(compiled for _, _, compiled in stages.steps)
    return result
