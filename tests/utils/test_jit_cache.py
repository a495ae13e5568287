"""Where mlfound's Numba cache lives, and that it never breaks an import."""

import ast
import errno
import importlib
import os
import pkgutil
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import pytest

import mlfound
from mlfound.utils import _jit

PACKAGE_DIR = Path(mlfound.__file__).parent

# Imports every module of the package, then fits one model: every kernel
# module is decorated and the focal kernels are compiled and (if possible)
# cached.
IMPORT_ALL_AND_FIT = textwrap.dedent(
    """
    import importlib, pkgutil
    import numpy as np
    import mlfound
    for info in pkgutil.walk_packages(mlfound.__path__, prefix="mlfound."):
        if info.name != "mlfound.__main__":
            importlib.import_module(info.name)
    from mlfound.linear_model import FocalLossClassifier
    X = np.random.default_rng(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    print("ACCURACY", FocalLossClassifier().fit(X, y).score(X, y))
    from mlfound.utils._jit import cache_dir
    print("CACHE_DIR", cache_dir())
    """
)


def _cache_files(root):
    return sorted(p for p in Path(root).rglob("*") if p.suffix in {".nbi", ".nbc"})


def _clean_env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NUMBA_", "MLFOUND_", "XDG_")) and k != "PYTHONPATH"
    }
    env.update(extra)
    return env


def _copy_package(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(
        PACKAGE_DIR, site / "mlfound", ignore=shutil.ignore_patterns("__pycache__")
    )
    return site


def _mlfound_dispatchers():
    for info in pkgutil.walk_packages(mlfound.__path__, prefix="mlfound."):
        if info.name == "mlfound.__main__":
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if isinstance(obj, numba.core.dispatcher.Dispatcher) and (
                obj.py_func.__module__ == module.__name__
            ):
                yield f"{module.__name__}.{name}", obj


def test_numba_private_caching_api_is_still_there():
    # _jit.py subclasses these private names; when a Numba release renames
    # them, kernels silently lose their cache. Fail here, by name, instead.
    from numba.core import caching

    assert _jit._CACHE_API_ERROR is None, (
        f"numba {numba.__version__} changed its caching internals: "
        f"{_jit._CACHE_API_ERROR}; update mlfound/utils/_jit.py"
    )
    for name in ("FunctionCache", "_CacheLocator", "_SourceFileBackedLocatorMixin"):
        assert hasattr(caching, name), f"numba.core.caching.{name} is gone"
    assert isinstance(caching.FunctionCache._impl_class._locator_classes, list)

    @_jit.njit
    def twice(x):
        return 2 * x

    assert isinstance(twice._cache, _jit._MlfoundFunctionCache)
    assert twice(3) == 6
    # The cache lock finds the index file through these instance attributes.
    assert isinstance(twice._cache._cache_file._index_path, str)


def test_every_kernel_compiles_through_mlfound_njit():
    # The source never calls numba's decorators directly ...
    pattern = re.compile(
        r"numba\.(njit|jit|vectorize|guvectorize|cfunc|generated_jit)\b|"
        r"from numba import .*\b(njit|jit|vectorize|guvectorize|cfunc)\b|"
        r"jitclass"
    )
    offenders = [
        f"{path.relative_to(PACKAGE_DIR)}:{number}: {line.strip()}"
        for path in PACKAGE_DIR.rglob("*.py")
        if path.name != "_jit.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not offenders, "use mlfound.utils._jit.njit:\n" + "\n".join(offenders)
    # ... and every compiled function of the package has mlfound's cache.
    dispatchers = dict(_mlfound_dispatchers())
    assert len(dispatchers) > 20
    wrong = [
        name
        for name, d in dispatchers.items()
        if not isinstance(d._cache, _jit._MlfoundFunctionCache)
    ]
    assert not wrong, f"kernels without mlfound's cache locator: {wrong}"


def test_cache_root_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFOUND_CACHE_DIR", raising=False)
    monkeypatch.setattr(_jit._numba_config, "CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert _jit.cache_root() == str(tmp_path / "xdg" / "mlfound")
        monkeypatch.delenv("XDG_CACHE_HOME")
        assert _jit.cache_root() == str(tmp_path / "home" / ".cache" / "mlfound")
    monkeypatch.setattr(_jit._numba_config, "CACHE_DIR", str(tmp_path / "nb"))
    assert _jit.cache_root() == str(tmp_path / "nb" / "mlfound")
    monkeypatch.setenv("MLFOUND_CACHE_DIR", str(tmp_path / "own"))
    assert _jit.cache_root() == str(tmp_path / "own")
    assert _jit.cache_dir() == str(tmp_path / "own" / _jit.cache_key())
    assert _jit.cache_key().startswith(mlfound.__version__ + "-")


def test_cache_key_separates_installations_and_boundscheck(tmp_path):
    code = "from mlfound.utils._jit import cache_key; print(cache_key())"

    def key(site, **env):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=_clean_env(PYTHONPATH=str(site), **env),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    here = key(PACKAGE_DIR.parent)
    checked = key(PACKAGE_DIR.parent, NUMBA_BOUNDSCHECK="1")
    # Numba's index key does not record boundscheck: the directory must.
    assert checked.endswith("-boundscheck") and not here.endswith("-boundscheck")
    assert checked != here
    assert key(_copy_package(tmp_path)) != here  # another installation path


def test_cache_is_written_outside_the_package(tmp_path):
    # After a fit, every cache file is under the per-user cache directory and
    # none in the package, where `pip uninstall` would leave it behind.
    site = _copy_package(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    out = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_AND_FIT],
        env=_clean_env(PYTHONPATH=str(site), HOME=str(home)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    assert "mlfound: " not in out.stderr
    assert _cache_files(site) == []
    cache = Path(out.stdout.split("CACHE_DIR ")[1].strip())
    assert cache.parent == home / ".cache" / "mlfound"
    assert any(p.name.startswith("_focal_fast.") for p in _cache_files(cache))


def _make_read_only(path):
    for p in [path, *path.rglob("*")]:
        mode = p.stat().st_mode
        p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def test_read_only_install_and_home_import_with_one_warning(tmp_path):
    # A container: the package is read-only and so is HOME. Importing every
    # module and fitting must work, compiling without a cache, with exactly
    # one warning (Numba's own cache=True raised "no locator available").
    site = _copy_package(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    command = [sys.executable, "-c", IMPORT_ALL_AND_FIT]
    if os.geteuid() == 0:
        # root ignores file modes; drop every capability so that they apply.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: modes are not enforced")
        command = [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--", *command]
    _make_read_only(site)
    _make_read_only(home)
    try:
        out = subprocess.run(
            command,
            env=_clean_env(PYTHONPATH=str(site), HOME=str(home)),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        for p in [home, site, *site.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    assert out.returncode == 0, out.stderr
    assert "ACCURACY" in out.stdout
    warnings = re.findall(r"RuntimeWarning: mlfound: (.*)", out.stderr)
    assert len(warnings) == 1, out.stderr
    assert warnings[0].startswith("cannot use the Numba cache directory")
    assert "MLFOUND_CACHE_DIR" in warnings[0]
    assert _cache_files(site) == [] and _cache_files(home) == []


def test_read_only_warm_cache_is_read(tmp_path):
    # An image warmed at build time and read-only at run time: the kernels
    # load from the cache, nothing is compiled, nothing is written, no warning.
    site = _copy_package(tmp_path)
    cache = tmp_path / "cache"
    env = _clean_env(PYTHONPATH=str(site), MLFOUND_CACHE_DIR=str(cache))
    code = IMPORT_ALL_AND_FIT + textwrap.dedent(
        """
        from mlfound._glm import _focal_fast
        d = _focal_fast.binary_focal_dense
        print("HITS", sum(d.stats.cache_hits.values()),
              "MISSES", sum(d.stats.cache_misses.values()))
        """
    )
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True}
    first = subprocess.run([sys.executable, "-c", code], timeout=600, **run)
    assert first.returncode == 0, first.stderr
    assert "HITS 0 MISSES 1" in first.stdout
    files = _cache_files(cache)
    assert files
    command = [sys.executable, "-c", code]
    if os.geteuid() == 0 and shutil.which("setpriv"):
        command = [shutil.which("setpriv"), "--inh-caps=-all", "--bounding-set=-all"]
        command += ["--", sys.executable, "-c", code]
    _make_read_only(cache)
    try:
        second = subprocess.run(command, timeout=600, **run)
    finally:
        for p in [cache, *cache.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    assert second.returncode == 0, second.stderr
    assert "HITS 1 MISSES 0" in second.stdout
    assert "mlfound: " not in second.stderr
    assert _cache_files(cache) == files


# A module outside the package compiled through mlfound's njit. The
# processes of the test below wait for the same moment, then each compiles
# one signature, with Numba's index write slowed down so that their saves
# overlap: without a lock, each reads the same index, claims the same data
# file number and overwrites the others' entries.
RACER = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    from numba.core import caching
    from mlfound.utils._jit import njit

    @njit
    def scaled(x):
        return x * 3 + 1

    def slow_save_index(self, overloads, _save=caching.IndexDataCacheFile._save_index):
        time.sleep(0.5)
        _save(self, overloads)

    if __name__ == "__main__":
        caching.IndexDataCacheFile._save_index = slow_save_index
        dtype, go = sys.argv[1], sys.argv[2]
        while not os.path.exists(go):
            time.sleep(0.01)
        out = scaled(np.arange(3, dtype=dtype))
        print(out.dtype.str, out.tolist())
    """
)
RACE_DTYPES = ["int8", "int16", "int32", "int64", "uint16", "float32", "float64"]


@pytest.mark.skipif(not _jit.CACHE_LOCKS, reason="no file locks on this platform")
def test_processes_compiling_at_once_share_one_cache(tmp_path):
    (tmp_path / "racer.py").write_text(RACER)
    cache, go = tmp_path / "cache", tmp_path / "go"
    env = _clean_env(PYTHONPATH=f"{tmp_path}{os.pathsep}{PACKAGE_DIR.parent}")
    env["MLFOUND_CACHE_DIR"] = str(cache)
    run = {"env": env, "cwd": tmp_path, "stdout": subprocess.PIPE, "text": True}
    racers = [
        subprocess.Popen([sys.executable, "racer.py", dtype, str(go)], **run)
        for dtype in RACE_DTYPES
    ]
    go.touch()
    outputs = [p.communicate(timeout=600)[0] for p in racers]
    assert all(p.returncode == 0 for p in racers), outputs
    results = [ast.literal_eval(out.split(None, 1)[1]) for out in outputs]
    assert results == [[1, 4, 7]] * len(RACE_DTYPES), outputs
    # Every signature was saved under a data file of its own, and a new
    # process loads each one's own machine code from the cache.
    assert len([p for p in _cache_files(cache) if p.suffix == ".nbc"]) == 7
    check = textwrap.dedent(
        """
        import numpy as np
        from racer import scaled
        for dtype in DTYPES:
            out = scaled(np.arange(3, dtype=dtype))
            print(out.dtype.str, out.tolist())
        print("MISSES", sum(scaled.stats.cache_misses.values()))
        """
    ).replace("DTYPES", repr(RACE_DTYPES))
    out = subprocess.run([sys.executable, "-c", check], timeout=600, **run)
    assert out.returncode == 0
    assert out.stdout.splitlines() == [*(o.strip() for o in outputs), "MISSES 0"]


@pytest.mark.skipif(not _jit.CACHE_LOCKS, reason="no file locks on this platform")
def test_a_file_system_without_locks_still_caches(monkeypatch, tmp_path):
    # Some network file systems refuse locks (ENOLCK): the cache is then used
    # without them, as before there were locks, instead of being disabled.
    def refuse(fd, cmd):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(_jit.fcntl, "lockf", refuse)
    monkeypatch.setenv("MLFOUND_CACHE_DIR", str(tmp_path))

    @_jit.njit
    def plus_one(x):
        return x + 1

    assert plus_one(1) == 2
    cache_path = Path(plus_one._cache.cache_path)
    assert cache_path.is_relative_to(tmp_path)
    assert len(list(cache_path.glob("*.nbc"))) == 1
    assert plus_one._cache._enabled


def test_the_lock_probe_sees_what_the_file_system_grants(monkeypatch, tmp_path):
    # The test suite's xdist workers share one cache only where the probe
    # says locks work (tests/conftest.py); the probe leaves nothing behind.
    monkeypatch.setenv("MLFOUND_CACHE_DIR", str(tmp_path / "cache"))
    assert _jit.cache_locks_work() is _jit.CACHE_LOCKS
    if _jit.CACHE_LOCKS:

        def refuse(fd, cmd):
            raise OSError(errno.ENOLCK, "No locks available")

        monkeypatch.setattr(_jit.fcntl, "lockf", refuse)
        assert _jit.cache_locks_work() is False
    assert not any((tmp_path / "cache").glob("*"))  # no probe left behind
    monkeypatch.setenv("MLFOUND_CACHE_DIR", str(tmp_path / "file" / "cache"))
    (tmp_path / "file").write_text("not a directory")
    assert _jit.cache_locks_work() is False
