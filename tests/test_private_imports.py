"""scikit-learn still has every private name that mlfound imports from it.

scikit-learn may rename or drop a private helper in any release. When it
does, importing mlfound fails with a bare ImportError deep inside some module;
this test reads mlfound's sources instead of importing them, so that it still
runs then and names the installed scikit-learn version, the missing name, the
modules that use it, and the fallback plan.
"""

import ast
import importlib
from pathlib import Path

import sklearn

PACKAGE = Path(__file__).resolve().parents[1] / "mlfound"
FALLBACK = "mlfound/utils/_param_validation.py (its comment on the import)"


def _is_private(module, name):
    return name.startswith("_") or any(p.startswith("_") for p in module.split("."))


def _private_sklearn_imports():
    """``{(module, name): [files]}`` for every private name taken from sklearn."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.level:
                continue
            module = node.module or ""
            if module != "sklearn" and not module.startswith("sklearn."):
                continue
            for alias in node.names:
                if _is_private(module, alias.name):
                    where = path.relative_to(PACKAGE.parent).as_posix()
                    found.setdefault((module, alias.name), []).append(where)
    return found


def test_the_scan_finds_the_parameter_validation_imports():
    # Guard the guard: these are imported today; if the scan stops seeing
    # them, the test below checks nothing.
    found = _private_sklearn_imports()
    assert ("sklearn.utils._param_validation", "Interval") in found
    assert ("sklearn.base", "_fit_context") in found


def test_sklearn_still_has_the_private_names_mlfound_imports():
    missing = []
    for (module, name), files in sorted(_private_sklearn_imports().items()):
        try:
            found = hasattr(importlib.import_module(module), name)
        except ImportError:
            found = False
        if not found:
            missing.append(f"{module}.{name} (used in {', '.join(sorted(set(files)))})")
    assert not missing, (
        f"scikit-learn {sklearn.__version__} no longer provides "
        + "; ".join(missing)
        + f". See the fallback plan in {FALLBACK}."
    )
