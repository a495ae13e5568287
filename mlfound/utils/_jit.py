"""The one place that holds mlfound's Numba compilation settings.

Every kernel is compiled with ``nogil=True`` (so joblib's threading backend
can run kernels concurrently) and with an on-disk cache of its machine code,
so only the very first call on a machine pays the compile time. Kernels
import :func:`njit` from here instead of from numba, so the settings cannot
drift between modules::

    from mlfound.utils._jit import njit

    @njit
    def kernel(x): ...

    @njit(parallel=True)     # extra options are merged over the defaults
    def parallel_kernel(x): ...

Where the cache lives
---------------------
Numba's own ``cache=True`` writes next to the source file (``__pycache__``
inside the installed package). pip does not know those files, so they outlive
``pip uninstall`` and turn the leftover directory into an empty namespace
package that shadows a later editable install; and on a read-only install
with no writable home directory Numba refuses to import the module at all
("no locator available"). mlfound's kernels therefore use their own locator
(:func:`cache_dir`), which keeps the cache out of the package:

- ``$MLFOUND_CACHE_DIR`` if set, else ``$NUMBA_CACHE_DIR/mlfound`` if
  Numba's cache directory is set, else the per-user cache directory
  (``$XDG_CACHE_HOME/mlfound`` or ``~/.cache/mlfound`` on Linux,
  ``~/Library/Caches/mlfound`` on macOS, ``%LOCALAPPDATA%\\mlfound\\Cache``
  on Windows);
- inside it, one directory per installation (:func:`cache_key`): the mlfound
  version, the Python and Numba versions, the code-generation settings that
  Numba's own index does not record (``NUMBA_BOUNDSCHECK``, ``NUMBA_OPT``,
  ``NUMBA_DEBUGINFO``) and the installation path, so two installations, or a
  bounds-checked and a normal build, never share an entry.

If that directory cannot be created or written, the kernels are compiled
without a cache (one :class:`RuntimeWarning` per process, never an import
error); a directory that exists but is read-only (an image warmed at build
time) is still read. Only this module touches Numba's private caching API
(``numba.core.caching``); if those names change, kernels fall back to
compiling without a cache, with a warning, and ``tests/utils/test_jit_cache.py``
fails by name.

Processes sharing one cache
---------------------------
Test workers, the processes of a joblib or Dask pool and two notebooks may all
compile kernels into the same cache at once. Numba's own index is not safe
for that: saving a signature reads the function's index, picks the first free
data file number and writes the index back, so two processes saving two
signatures of one function at the same moment can both pick the same number,
and the index can then point one signature at the other's machine code. On
POSIX systems each function's index therefore has a lock file beside it:
saving holds it exclusively, loading holds it shared (the index is written
before the data file, so a reader must not look in between). Where
``fcntl`` is missing (Windows), or a file system refuses locks, the cache
works as before without them, and processes that run at once should use
separate caches (:data:`CACHE_LOCKS`).
"""

import contextlib
import hashlib
import os
import sys
import tempfile
import threading
import warnings

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

import numba
from numba.core import config as _numba_config

try:  # Numba's private caching API: every use of it is in this module.
    from numba.core.caching import (
        FunctionCache as _FunctionCache,
    )
    from numba.core.caching import (
        _CacheLocator,
        _SourceFileBackedLocatorMixin,
    )

    _CACHE_API_ERROR = None
    if not isinstance(_FunctionCache._impl_class._locator_classes, list):
        raise ImportError("FunctionCache._impl_class._locator_classes is not a list")
except (ImportError, AttributeError) as exc:  # pragma: no cover - numba changed
    _CACHE_API_ERROR = exc

JIT_OPTIONS = {"cache": True, "nogil": True}

#: Whether saving and loading hold a file lock, so that processes running at
#: once can share one cache directory (POSIX only).
CACHE_LOCKS = fcntl is not None

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_warned = set()
_warn_lock = threading.Lock()


def _warn_once(kind, message):
    """Emit ``message`` as a RuntimeWarning once per process and ``kind``."""
    with _warn_lock:
        if kind in _warned:
            return
        _warned.add(kind)
    warnings.warn(message, RuntimeWarning, stacklevel=4)


def _user_cache_root():
    """The per-user cache directory of mlfound on this platform."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "mlfound", "Cache")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "mlfound")
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = xdg if os.path.isabs(xdg) else os.path.join(home, ".cache")
    return os.path.join(base, "mlfound")


def cache_root():
    """Directory that holds the caches of every mlfound installation.

    ``$MLFOUND_CACHE_DIR`` if set, else ``$NUMBA_CACHE_DIR/mlfound``, else the
    per-user cache directory (``$XDG_CACHE_HOME/mlfound`` or
    ``~/.cache/mlfound`` on Linux).
    """
    override = os.environ.get("MLFOUND_CACHE_DIR")
    if override:
        return os.path.abspath(os.path.expanduser(override))
    if _numba_config.CACHE_DIR:
        return os.path.join(os.path.abspath(_numba_config.CACHE_DIR), "mlfound")
    return _user_cache_root()


def cache_key():
    """Name of this installation's cache directory inside :func:`cache_root`.

    Readable parts (mlfound version, ``-boundscheck`` when
    ``NUMBA_BOUNDSCHECK`` is on) and a hash of everything that must keep two
    caches apart: the installation path, the Python ABI, the Numba version
    and the global code-generation settings Numba's index key omits.
    """
    try:
        from mlfound import __version__ as version
    except ImportError:  # pragma: no cover - mlfound itself half-imported
        version = "unknown"
    boundscheck = bool(getattr(_numba_config, "BOUNDSCHECK", None))
    identity = repr(
        (
            _PACKAGE_DIR,
            version,
            sys.version_info[:2],
            getattr(sys, "abiflags", ""),
            numba.__version__,
            boundscheck,
            getattr(_numba_config, "OPT", None),
            getattr(_numba_config, "DEBUGINFO_DEFAULT", None),
        )
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{version}-{digest}" + ("-boundscheck" if boundscheck else "")


def cache_locks_work():
    """Whether processes can share :func:`cache_root` safely right now.

    True where ``fcntl`` exists and the cache's file system grants a record
    lock on a probe file; False on Windows, on file systems that refuse
    locks (``ENOLCK`` on some network mounts) and where the probe cannot be
    written. Processes that run at once and see False should each use a
    cache directory of their own (``MLFOUND_CACHE_DIR``), as the test suite's
    workers then do.
    """
    if fcntl is None:
        return False
    root = cache_root()
    try:
        os.makedirs(root, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".lock-probe-", dir=root)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
        os.unlink(probe)


def cache_dir():
    """Directory of this installation's compiled kernels (may not exist yet).

    Examples
    --------
    >>> import os
    >>> from mlfound.utils._jit import cache_dir, cache_root
    >>> os.path.dirname(cache_dir()) == cache_root()
    True
    """
    return os.path.join(cache_root(), cache_key())


def _subdir_for(py_file):
    """Cache subdirectory for the functions of ``py_file``."""
    source_dir = os.path.dirname(os.path.abspath(py_file))
    if source_dir == _PACKAGE_DIR or source_dir.startswith(_PACKAGE_DIR + os.sep):
        relative = os.path.relpath(source_dir, os.path.dirname(_PACKAGE_DIR))
        return relative.replace(os.sep, ".")
    # A function outside the package (a test, a user's script): its folder
    # name and a hash of its path, as Numba does.
    digest = hashlib.sha256(source_dir.encode()).hexdigest()[:16]
    return f"{os.path.basename(source_dir)}-{digest}"


# POSIX record locks (``lockf``) belong to a process: a child made by
# ``fork`` while one is held does not inherit it, as it would a ``flock``.
# They do not exclude the threads of one process from each other, so this
# lock does (Numba's own compiler lock already serialises its callers).
_index_thread_lock = threading.Lock()


def _open_lock_file(path, *, shared):
    """A file descriptor for the lock file, or None where it cannot be had."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        pass
    if shared:  # another user's lock file, or a read-only cache: read only
        try:
            return os.open(path, os.O_RDONLY)
        except OSError:
            pass
    return None


@contextlib.contextmanager
def _index_lock(index_path, *, shared):
    """Hold the lock file beside one function's cache index.

    Shared for reading, exclusive for writing. Nothing is locked without
    ``fcntl`` (Windows), without an index path (Numba changed), where the
    lock file cannot be opened (a read-only cache, which nobody writes), or
    where the file system refuses locks (some network file systems).
    """
    if fcntl is None or index_path is None:
        yield
        return
    with _index_thread_lock:
        fd = _open_lock_file(index_path + ".lock", shared=shared)
        if fd is not None:
            try:
                fcntl.lockf(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            except OSError:  # no locks on this file system: go without
                os.close(fd)
                fd = None
        try:
            yield
        finally:
            if fd is not None:
                os.close(fd)  # closing the file releases its lock


if _CACHE_API_ERROR is None:

    class _MlfoundCacheLocator(_SourceFileBackedLocatorMixin, _CacheLocator):
        """Locate the cache of an mlfound function under :func:`cache_dir`."""

        #: Why the last locator could not be used (for the warning).
        last_error = None

        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(cache_dir(), _subdir_for(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if not os.path.isfile(py_file):
                cls.last_error = f"no source file {py_file!r}"
                return None
            self = cls(py_func, py_file)
            try:
                self.ensure_cache_path()
            except OSError as exc:
                # An existing read-only cache (warmed when an image was built)
                # is still worth reading; saving then fails and is reported.
                path = self._cache_path
                if os.path.isdir(path) and os.access(path, os.R_OK | os.X_OK):
                    return self
                cls.last_error = f"{type(exc).__name__}: {exc}"
                return None
            return self

    class _MlfoundCacheImpl(_FunctionCache._impl_class):
        _locator_classes = [_MlfoundCacheLocator]

    class _MlfoundFunctionCache(_FunctionCache):
        """Numba's per-function cache, located by mlfound, never fatal."""

        _impl_class = _MlfoundCacheImpl

        def _locked(self, *, shared):
            cache_file = getattr(self, "_cache_file", None)
            index_path = getattr(cache_file, "_index_path", None)
            return _index_lock(index_path, shared=shared)

        def load_overload(self, sig, target_context):
            try:
                with self._locked(shared=True):
                    return super().load_overload(sig, target_context)
            except Exception as exc:  # a corrupt entry: compile instead
                _warn_once(
                    "load",
                    f"mlfound: could not read a compiled kernel from the cache "
                    f"{self.cache_path!r} ({type(exc).__name__}: {exc}); "
                    "compiling it instead. Delete that directory to clear it.",
                )
                return None

        def save_overload(self, sig, data):
            try:
                with self._locked(shared=False):
                    super().save_overload(sig, data)
            except OSError as exc:
                self.disable()
                _warn_once(
                    "save",
                    f"mlfound: could not write compiled kernels to the cache "
                    f"{self.cache_path!r} ({exc}); they are compiled again in "
                    "each new process. Set MLFOUND_CACHE_DIR to a writable "
                    "directory to keep them.",
                )


def _enable_cache(dispatcher):
    """Give ``dispatcher`` mlfound's on-disk cache, or none (with a warning)."""
    if _CACHE_API_ERROR is not None:  # pragma: no cover - numba changed
        _warn_once(
            "api",
            "mlfound: this version of Numba changed the caching internals "
            f"mlfound relies on ({_CACHE_API_ERROR}); kernels are compiled "
            "without a cache, so each new process compiles them again.",
        )
        return
    _MlfoundCacheLocator.last_error = None
    try:
        dispatcher._cache = _MlfoundFunctionCache(dispatcher.py_func)
    except (RuntimeError, OSError) as exc:
        reason = _MlfoundCacheLocator.last_error or str(exc)
        _warn_once(
            "locate",
            f"mlfound: cannot use the Numba cache directory {cache_dir()!r} "
            f"({reason}); kernels are compiled without a cache, so each new "
            "process compiles them again. Set MLFOUND_CACHE_DIR (or "
            "NUMBA_CACHE_DIR) to a writable directory to cache them.",
        )


def njit(func=None, **options):
    """``numba.njit`` with mlfound's default options (see :data:`JIT_OPTIONS`).

    ``cache=True`` (the default) stores the machine code under
    :func:`cache_dir` instead of next to the source file.
    """
    merged = {**JIT_OPTIONS, **options}
    cache = merged.pop("cache")

    def decorate(f):
        dispatcher = numba.njit(**merged)(f)
        if cache:
            _enable_cache(dispatcher)
        return dispatcher

    if func is None:
        return decorate
    return decorate(func)
