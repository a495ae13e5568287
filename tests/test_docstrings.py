"""numpydoc validation of every public name, and documented fitted attributes."""

import inspect
from importlib import import_module

import pytest
from numpydoc.validate import validate
from sklearn.base import clone

from mlfound.utils import all_displays, all_estimators, all_functions
from mlfound.utils._test_common import _construct_instance, _fit_data
from mlfound.utils.discovery import _public_modules

# Errors that fail the test: missing docstrings, undocumented or unknown
# parameters, parameters without type or description, unknown or misordered
# sections, no summary; public classes and functions also need an Examples
# section (their examples run as doctests).
CHECKS = {"GL06", "GL07", "GL08", "PR01", "PR02", "PR04", "PR07", "SS01"}
TOP_LEVEL_CHECKS = CHECKS | {"EX01"}


def _public_path(name, obj):
    """The shortest public import path under which ``obj`` is exported."""
    parts = [p for p in obj.__module__.split(".") if not p.startswith("_")]
    candidates = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    # a helper defined in a private module may be re-exported by a public
    # sibling (mlfound.utils._array_checks -> mlfound.utils.validation)
    candidates += sorted((m.__name__ for m in _public_modules()), key=len)
    for module in candidates:
        if getattr(import_module(module), name, None) is obj:
            return f"{module}.{name}"
    raise AssertionError(f"{name} is not importable from a public module")


def _public_objects():
    seen = set()
    for name, obj in all_estimators() + all_displays() + all_functions():
        path = _public_path(name, obj)
        if path not in seen:
            seen.add(path)
            yield path, obj


def _public_methods(cls):
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or not callable(member):
            continue
        if getattr(member, "__module__", "").startswith("mlfound"):
            yield name


def _paths_to_validate():
    for path, obj in _public_objects():
        yield path, TOP_LEVEL_CHECKS
        if inspect.isclass(obj):
            for method in _public_methods(obj):
                yield f"{path}.{method}", CHECKS


PATHS = list(_paths_to_validate())


@pytest.mark.parametrize(("path", "checks"), PATHS, ids=[p for p, _ in PATHS])
def test_numpydoc(path, checks):
    result = validate(path)
    errors = [f"{code}: {msg}" for code, msg in result["errors"] if code in checks]
    assert not errors, f"{path}:\n" + "\n".join(errors)


ESTIMATORS = [_construct_instance(cls) for _, cls in all_estimators()]


@pytest.mark.parametrize(
    "estimator", ESTIMATORS, ids=[type(e).__name__ for e in ESTIMATORS]
)
def test_fitted_attributes_are_documented(estimator):
    X, y = _fit_data(estimator)
    fitted = clone(estimator).fit(X, y)
    learned = [
        attr for attr in vars(fitted) if attr.endswith("_") and not attr.startswith("_")
    ]
    doc = inspect.getdoc(type(estimator))
    assert "Attributes\n----------" in doc
    attributes = doc.split("Attributes\n----------", 1)[1]
    documented = {
        line.split(" :")[0].strip()
        for line in attributes.splitlines()
        if " :" in line and not line.startswith(" ")
    }
    missing = sorted(set(learned) - documented)
    assert not missing, f"undocumented fitted attributes: {missing}"


def test_every_module_parses_for_the_source_links():
    # The API pages link each name to its highlighted source (sphinx's
    # viewcode). Where Sphinx's own parser fails on a module, its names lose
    # the link silently, with no warning to fail the docs build (it failed
    # on a dict unpacked inside a decorator's arguments).
    import pkgutil

    import mlfound

    pycode = pytest.importorskip("sphinx.pycode")
    failures = {}
    for module in pkgutil.walk_packages(mlfound.__path__, "mlfound."):
        try:
            pycode.ModuleAnalyzer.for_module(module.name).find_tags()
        except pycode.PycodeError as exc:
            failures[module.name] = str(exc)
    assert not failures, failures
