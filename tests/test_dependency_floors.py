"""The dependency floors declared in pyproject.toml are the ones CI tests.

``.ci/run`` installs ``.[test]`` under ``.ci/constraints-floors.txt`` into a
fresh environment and runs the tests there; these tests keep that file equal
to the floors that ``pyproject.toml`` declares, and, inside that run, check
that pip really installed the floors.
"""

import os
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
CONSTRAINTS = ROOT / ".ci" / "constraints-floors.txt"
# The extras whose floors the floors run installs (the runtime dependencies
# always). Other extras (docs, bench, dask) are installed on the newest only.
TESTED_EXTRAS = ("test",)


def _load_toml(path):
    try:
        import tomllib  # Python >= 3.11
    except ImportError:
        try:
            import tomli as tomllib
        except ImportError:
            # Python 3.10 without tomli: pip vendors the same parser (every pip
            # since 21.2, and pip is in every virtual environment).
            from pip._vendor import tomli as tomllib
    with open(path, "rb") as f:
        return tomllib.load(f)


def _declared_floors():
    """``{name: (floor, requirement string)}`` from pyproject.toml."""
    project = _load_toml(PYPROJECT)["project"]
    requirements = list(project["dependencies"])
    for extra in TESTED_EXTRAS:
        requirements += project["optional-dependencies"][extra]
    floors = {}
    for line in requirements:
        req = Requirement(line)
        lower = [s.version for s in req.specifier if s.operator in (">=", "==")]
        assert len(lower) <= 1, f"{line!r} in pyproject.toml has several floors."
        if lower:
            floors[canonicalize_name(req.name)] = (Version(lower[0]), line)
    return floors


def _pins():
    """``{name: version}`` from the constraints file; every line is NAME==X."""
    pins = {}
    for number, raw in enumerate(CONSTRAINTS.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)\s*==\s*([0-9][0-9A-Za-z.+-]*)", line)
        assert match, (
            f"{CONSTRAINTS.name} line {number}: {raw!r} is not NAME==VERSION "
            "(a floors file pins each package to one version)."
        )
        name = canonicalize_name(match[1])
        assert name not in pins, f"{CONSTRAINTS.name} pins {name} twice."
        pins[name] = Version(match[2])
    return pins


def test_constraints_pin_exactly_the_declared_floors():
    floors, pins = _declared_floors(), _pins()
    assert floors, "pyproject.toml declares no floor at all: the parser is broken."
    missing = sorted(set(floors) - set(pins))
    assert not missing, (
        f"pyproject.toml declares floors for {missing} that "
        f"{CONSTRAINTS.name} does not pin: add NAME==FLOOR lines."
    )
    different = {
        name: (str(floor), str(pins[name]))
        for name, (floor, _) in floors.items()
        if pins[name] != floor
    }
    assert not different, (
        f"floor in pyproject.toml != pin in {CONSTRAINTS.name} for "
        f"{different}: edit both together."
    )


def test_constraints_pin_nothing_else_of_the_project():
    # A pin of a package that pyproject.toml names without a floor (or in an
    # extra the floors run does not install) would make the floors run test a
    # version the project never declared. Pins of other packages (transitive
    # dependencies that need one to resolve) are allowed, with a comment.
    project = _load_toml(PYPROJECT)["project"]
    named = {
        canonicalize_name(Requirement(line).name)
        for extra in project["optional-dependencies"].values()
        for line in extra
    } | {canonicalize_name(Requirement(line).name) for line in project["dependencies"]}
    undeclared = sorted(set(_pins()) & (named - set(_declared_floors())))
    assert not undeclared, (
        f"{CONSTRAINTS.name} pins {undeclared}, which pyproject.toml names "
        "without a floor in the runtime dependencies or the test extra."
    )


def test_ci_runs_the_floors_with_this_file():
    run = (ROOT / ".ci" / "run").read_text()
    assert CONSTRAINTS.relative_to(ROOT).as_posix() in run
    assert '".[test]"' in run


@pytest.mark.skipif(
    not os.environ.get("MLFOUND_EXPECT_FLOORS"),
    reason="only inside the floors run of .ci/run (MLFOUND_EXPECT_FLOORS=1)",
)
def test_floors_run_has_the_floors_installed():
    wrong = {}
    for name, pin in _pins().items():
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            continue  # a pin for another platform (xgboost on macOS)
        if installed != pin:
            wrong[name] = f"{installed} installed, {pin} pinned"
    assert not wrong, f"the floors run did not install the floors: {wrong}"
