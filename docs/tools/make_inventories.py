"""Write the intersphinx inventories in ``docs/_inventories/`` offline.

The documentation links names of scikit-learn, NumPy, SciPy, pandas,
imbalanced-learn, matplotlib and joblib to those projects' sites through
intersphinx. Intersphinx normally downloads each site's ``objects.inv`` at
build time; the build machines of this project (and many companies') cannot
reach those sites. So the inventories are kept in the repository, and this
script rebuilds them from the *installed* packages: it walks each package's
public modules, lists their public classes (with their public methods),
functions and the modules themselves, and writes each under the URL pattern
that the project's documentation site uses for it (for example
``modules/generated/<name>.html#<name>`` for scikit-learn).

Run it after upgrading one of these packages, from the repository root::

    python docs/tools/make_inventories.py

and commit the changed ``docs/_inventories/*.inv``. ``docs/conf.py`` reads
these files first and the sites' own inventories only as a fallback.

A generated inventory holds only Python objects (no user guide labels or
glossary terms) and assumes the sites' usual page layout, which is the same
for every object of a kind; the few objects documented elsewhere are listed
in ``PAGE_OVERRIDES``.
"""

import importlib
import inspect
import pkgutil
import sys
import warnings
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "_inventories"

# name -> (site, object page pattern, module page pattern)
SITES = {
    "sklearn": (
        "https://scikit-learn.org/stable/",
        "modules/generated/{name}.html#{name}",
        "api/{name}.html#module-{name}",
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        "reference/generated/{name}.html#{name}",
        "reference/routines.html#module-{name}",
    ),
    "scipy": (
        "https://docs.scipy.org/doc/scipy/",
        "reference/generated/{name}.html#{name}",
        "reference/{short}.html#module-{name}",
    ),
    "pandas": (
        "https://pandas.pydata.org/docs/",
        "reference/api/{name}.html#{name}",
        "reference/index.html#module-{name}",
    ),
    "imblearn": (
        "https://imbalanced-learn.org/stable/",
        "references/generated/{name}.html#{name}",
        "references/{short}.html#module-{name}",
    ),
    "matplotlib": (
        "https://matplotlib.org/stable/",
        "api/_as_gen/{name}.html#{name}",
        "api/{short}_api.html#module-{name}",
    ),
    "joblib": (
        "https://joblib.readthedocs.io/en/stable/",
        "generated/{name}.html#{name}",
        "index.html#module-{name}",
    ),
}

# Objects whose page does not follow their site's pattern.
PAGE_OVERRIDES = {
    "numpy.random.Generator": "reference/random/generator.html#$",
    "numpy.random.RandomState": "reference/random/legacy.html#$",
    "numpy.random.default_rng": "reference/random/generator.html#$",
    "matplotlib.axes.Axes": "api/axes_api.html#$",
    "matplotlib.figure.Figure": "api/figure_api.html#$",
    "matplotlib.pyplot": "api/pyplot_summary.html#module-$",
}

# Public modules whose objects are documented under the package's name
# (numpy.ndarray, pandas.DataFrame), not under the defining module.
TOP_LEVEL_ONLY = {"numpy", "pandas", "joblib"}
# Sub-packages that these sites document as modules of their own.
EXTRA_MODULES = {
    "numpy": ["numpy.random", "numpy.linalg", "numpy.typing"],
    "pandas": ["pandas.api.types"],
    "matplotlib": [
        "matplotlib.pyplot",
        "matplotlib.axes",
        "matplotlib.figure",
        "matplotlib.colors",
        "matplotlib.ticker",
    ],
}


def _public_modules(package):
    yield package.__name__
    if package.__name__ in TOP_LEVEL_ONLY:
        yield from EXTRA_MODULES.get(package.__name__, [])
        return
    if package.__name__ in EXTRA_MODULES:
        yield from EXTRA_MODULES[package.__name__]
        return
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        parts = info.name.split(".")
        if any(p.startswith("_") or p in {"tests", "conftest"} for p in parts):
            continue
        yield info.name


def _public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name, None)
        if inspect.ismodule(obj) or obj is None:
            continue
        owner = getattr(obj, "__module__", "") or ""
        root = module.__name__.split(".")[0]
        if not owner.startswith(root):
            continue  # re-exported from another package
        yield name, obj


def _entries(package_name):
    site, object_page, module_page = SITES[package_name]
    package = importlib.import_module(package_name)
    entries = {}

    def add(fullname, role, page):
        page = PAGE_OVERRIDES.get(fullname, page)
        entries.setdefault((fullname, role), page.replace("$", fullname))

    for modname in _public_modules(package):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = importlib.import_module(modname)
        except Exception:  # optional dependencies, deprecated modules
            continue
        short = modname.split(".", 1)[-1].replace(".", "_")
        add(modname, "py:module", module_page.format(name=modname, short=short))
        for name, obj in _public_names(module):
            fullname = f"{modname}.{name}"
            page = object_page.format(name=fullname)
            if inspect.isclass(obj):
                role = "py:exception" if issubclass(obj, BaseException) else "py:class"
                add(fullname, role, page)
                base = page.split("#")[0]
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    member = f"{fullname}.{attr}"
                    if callable(value) or isinstance(value, classmethod | staticmethod):
                        add(member, "py:method", f"{base}#{member}")
                    elif isinstance(value, property):
                        add(member, "py:attribute", f"{base}#{member}")
            elif callable(obj):
                add(fullname, "py:function", page)
    version = getattr(package, "__version__", "")
    return site, version, entries


def write_inventory(path, project, version, entries):
    """Write ``entries`` {(name, role): uri} as a Sphinx version 2 inventory."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        f"# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    for (name, role), uri in sorted(entries.items()):
        if uri.endswith("#" + name):  # the format's shorthand for the name
            uri = uri.removesuffix(name) + "$"
        lines.append(f"{name} {role} 1 {uri} -\n")
    body = "".join(lines)
    path.write_bytes(header.encode() + zlib.compress(body.encode(), 9))


def main(names=None):
    warnings.simplefilter("ignore")  # deprecated modules met on the walk
    OUT.mkdir(exist_ok=True)
    for name in names or SITES:
        site, version, entries = _entries(name)
        path = OUT / f"{name}.inv"
        write_inventory(path, name, version, entries)
        print(f"{path.relative_to(OUT.parent.parent)}: {len(entries)} objects ({site})")


if __name__ == "__main__":
    main(sys.argv[1:])
