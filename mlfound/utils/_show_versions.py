"""Report the versions of Python, mlfound and its dependencies."""

import platform
import sys
from importlib.metadata import PackageNotFoundError, version

_DEPENDENCIES = (
    "mlfound",
    "numpy",
    "scipy",
    "scikit-learn",
    "imbalanced-learn",
    "numba",
    "llvmlite",
    "joblib",
    "threadpoolctl",
    "pandas",
    "matplotlib",
)


def _versions():
    """Return ``{name: version or None}`` for mlfound's dependencies."""
    found = {}
    for name in _DEPENDENCIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def show_versions():
    """Print the versions of Python, the platform and mlfound's dependencies.

    Paste its output into bug reports: numerical results and Numba compile
    behaviour depend on these versions.

    Examples
    --------
    >>> import mlfound
    >>> mlfound.show_versions()  # doctest: +SKIP
    """
    print("\nSystem:")
    print(f"{'python':>16}: {sys.version.splitlines()[0]}")
    print(f"{'executable':>16}: {sys.executable}")
    print(f"{'machine':>16}: {platform.platform()}")
    print("\nPython dependencies:")
    for name, ver in _versions().items():
        print(f"{name:>16}: {ver if ver is not None else 'not installed'}")
