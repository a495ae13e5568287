"""Bad input to every public estimator, function and display.

Public names are discovered with :func:`mlfound.utils.all_estimators`,
:func:`mlfound.utils.all_functions` and :func:`mlfound.utils.all_displays`.
Each has one valid call in :mod:`mlfound.utils._bad_input_cases` (a new public
name fails :func:`test_every_public_name_has_a_valid_call` until its entry is
added); the cases are generated from that call by replacing one argument at a
time with

- a copy holding a NaN, an inf, one row fewer, no rows;
- for integer-like arrays (labels, positions, query ids, codes) the extreme
  integers 2**63 (as float64 and uint64), 2**64 - 1 (uint64), -1 and the
  int64 minimum; for weights, propensities and costs a negative value, the
  same values as complex numbers and as timedeltas;
- for estimators that accept sparse input, CSR matrices with a column index
  out of range, a negative column index or a bad ``indptr``;
- for scalar sizes (dataset generators), the extreme integers and a size that
  would allocate terabytes.

Each mutated call must raise a ``ValueError`` or ``TypeError`` whose message
names the argument. A segfault, an internal exception (``IndexError``,
``KeyError``, ``UFuncTypeError``, Numba errors, ...) or a returned value
fails. The few mutations that are legitimately valid are listed with their
reason in ``BAD_INPUT_ALLOWED``; their result must then be finite and
consistent with the input.

The cases run in a child process, which writes one JSON line when a case
starts and one when it ends: a crash fails that name's test and names the
case that was running, instead of killing the test run (a new child then runs
the remaining cases). Each test process keeps one child and sends it one
public name after another, so the child's imports are paid once, and
pytest-xdist spreads the names over its workers.
"""

import contextlib
import fnmatch
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import numpy as np
import pytest

import mlfound
from mlfound.utils import all_displays, all_estimators, all_functions
from mlfound.utils._bad_input_cases import (
    BAD_INPUT_ALLOWED,
    BAD_INPUT_CALLS,
    BAD_INPUT_EXTRA_CASES,
    BAD_INPUT_FITS,
    BAD_INPUT_NO_ARRAYS,
    BAD_INPUT_SCALARS,
    SKLEARN_X_Y_MESSAGES,
    _public_callable,
)

_ROOT = Path(mlfound.__file__).resolve().parent.parent
# Seconds one public name's cases may take in the child.
_CHILD_TIMEOUT = 300
# Address-space limit of a child: a fit that allocates by a value in the data
# (a dense matrix sized by the largest position) fails instead of swapping.
_CHILD_MEMORY = 4 * 2**30
_MAX_RESTARTS = 8


def _public_names():
    names = [name for name, _ in all_estimators()]
    names += [name for name, _ in all_functions() if name not in BAD_INPUT_NO_ARRAYS]
    for display, _ in all_displays():
        names += sorted(k for k in BAD_INPUT_CALLS if k.startswith(display + "."))
    return names


# ---------------------------------------------------------------------------
# Mutations (run in the child)
# ---------------------------------------------------------------------------
_INT64_MIN = int(np.iinfo(np.int64).min)
_WEIGHT_LIKE = ("weight", "propensit", "cost")


def _is_array_like(value):
    import scipy.sparse as sp

    if sp.issparse(value) or isinstance(value, np.ndarray):
        return True
    return isinstance(value, (list, tuple)) and len(value) > 0


def _n_rows(value):
    return value.shape[0] if hasattr(value, "shape") else len(value)


def _with(a, value, dtype=None):
    """Copy of ``a`` (as ``dtype``) with its second element set to ``value``."""
    b = np.array(a, dtype=dtype if dtype is not None else a.dtype, copy=True)
    b.flat[min(1, b.size - 1)] = value
    return b


def _array_mutations(name, value, row_lengths):
    """``(mutation, mutated value)`` pairs for one array argument."""
    import scipy.sparse as sp

    if sp.issparse(value):
        return _malformed_csr(value.toarray())
    try:
        a = np.asarray(value)
    except ValueError:  # ragged, e.g. (train, test) pairs: no generic copy
        return []
    if a.size == 0 or a.dtype.kind == "O" and a.ndim > 1:
        return []
    out = []
    kind = a.dtype.kind
    if kind in "biuf":
        out.append(("nan", _with(a, np.nan, np.float64)))
        out.append(("inf", _with(a, np.inf, np.float64)))
    elif kind in "OUS":
        out.append(("nan", _with(a, np.nan, object)))
    # One row fewer is only a mismatch when another argument has as many rows.
    if a.ndim >= 1 and row_lengths.count(a.shape[0]) > 1:
        out.append(("short", a[:-1].copy()))
    out.append(("empty", a[:0].copy()))
    if kind in "iu":
        out.append(("float_2**63", _with(a, 2.0**63, np.float64)))
        if a.min() >= 0:
            out.append(("uint64_2**63", _with(a, 2**63, np.uint64)))
            out.append(("uint64_max", _with(a, 2**64 - 1, np.uint64)))
        out.append(("negative", _with(a, -1, np.int64)))
        out.append(("int64_min", _with(a, _INT64_MIN, np.int64)))
    elif kind == "f" and any(w in name for w in _WEIGHT_LIKE):
        out.append(("negative", _with(a, -1.0)))
        # numbers a float64 cast would change: the imaginary part dropped, a
        # duration read as a count of its unit
        out.append(("complex", a + 0.5j))
        out.append(("timedelta", np.round(a * 1000).astype("timedelta64[ms]")))
    return out


def _scalar_mutations(value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return [
            ("2**63", 2**63),
            ("float_2**63", 2.0**63),
            ("uint64_max", np.uint64(2**64 - 1)),
            ("negative", -1),
            ("int64_min", _INT64_MIN),
            ("terabytes", 10**12),
            ("nan", float("nan")),
        ]
    return [("nan", float("nan")), ("inf", float("inf")), ("negative", -1.0)]


def _malformed_csr(X):
    import scipy.sparse as sp

    cases = []
    Xs = sp.csr_matrix(X)
    bad = Xs.copy()
    bad.indices[5] = 10**7
    cases.append(("csr_column_out_of_range", bad))
    bad = Xs.copy()
    bad.indices[5] = -1
    cases.append(("csr_negative_column", bad))
    bad = Xs.copy()
    bad.indptr[-1] = bad.indptr[-1] + 10**6
    cases.append(("csr_indptr_past_nnz", bad))
    bad = Xs.copy()
    bad.indptr[3], bad.indptr[4] = bad.indptr[4], bad.indptr[3]
    cases.append(("csr_indptr_decreasing", bad))
    return cases


def _function_cases(name):
    """``(case, names, thunk)`` for a public function or display method.

    ``names`` are the words one of which the error message must contain: the
    argument, the ``name=`` it is reported under (validation helpers), and for
    a length mismatch any other argument with as many rows.
    """
    func = _public_callable(name)
    valid = BAD_INPUT_CALLS[name]
    cases = [("valid", None, lambda: func(**valid()))]
    scalars = BAD_INPUT_SCALARS.get(name, ())
    kwargs = valid()
    # Validation helpers report the argument under their ``name=``.
    parameter = inspect.signature(func).parameters.get("name")
    reported_as = kwargs.get("name", parameter and parameter.default)
    rows = [_n_rows(v) for v in kwargs.values() if _is_array_like(v)]
    for arg, value in kwargs.items():
        if arg in scalars:
            mutations = _scalar_mutations(value)
        elif _is_array_like(value):
            mutations = _array_mutations(arg, value, rows)
        else:
            continue
        for mutation, bad in mutations:
            names = _accepted_names(arg, mutation, kwargs)
            if isinstance(reported_as, str):
                names.append(reported_as)
            cases.append(
                (
                    f"{arg}:{mutation}",
                    names,
                    lambda arg=arg, bad=bad: func(**{**valid(), arg: bad}),
                )
            )
    return cases


def _accepted_names(arg, mutation, kwargs):
    """``arg``, plus the other row-aligned arguments for a length mismatch."""
    names = [arg]
    if mutation in ("short", "empty") and _is_array_like(kwargs[arg]):
        n = _n_rows(kwargs[arg])
        names += [
            other
            for other, value in kwargs.items()
            if other != arg and _is_array_like(value) and _n_rows(value) == n
        ]
    return names


def _estimator_method(estimator):
    for method in ("predict_proba", "transform", "predict"):
        if hasattr(estimator, method):
            return method
    raise AssertionError(f"{type(estimator).__name__} has no prediction method")


def _estimator_cases(name):
    """``(case, argument, thunk)`` for a public estimator."""
    cls = dict(all_estimators())[name]
    spec = BAD_INPUT_FITS[name]

    def fit(params=None, **fit_kwargs):
        valid = spec()
        estimator = cls(**{**valid["params"], **(params or {})})
        return estimator.fit(**{**valid["fit"], **fit_kwargs})

    cases = [("fit:valid", None, fit)]
    valid = spec()
    for arg, value in valid["params"].items():
        if _is_array_like(value):
            for mutation, bad in _array_mutations(arg, value, []):
                cases.append(
                    (
                        f"param:{arg}:{mutation}",
                        [arg],
                        lambda arg=arg, bad=bad: fit({arg: bad}),
                    )
                )
    rows = [_n_rows(v) for v in valid["fit"].values() if _is_array_like(v)]
    for arg, value in valid["fit"].items():
        for mutation, bad in _array_mutations(arg, value, rows):
            names = _accepted_names(arg, mutation, valid["fit"])
            cases.append(
                (
                    f"fit:{arg}:{mutation}",
                    names,
                    lambda arg=arg, bad=bad: fit(**{arg: bad}),
                )
            )
    X = valid["fit"]["X"]
    sparse = cls().__sklearn_tags__().input_tags.sparse
    if sparse:
        import scipy.sparse as sp

        cases.append(("fit:X:csr_valid", None, lambda: fit(X=sp.csr_matrix(X))))
        for mutation, bad in _malformed_csr(X):
            cases.append((f"fit:X:{mutation}", ["X"], lambda bad=bad: fit(X=bad)))

    fitted = []

    def predict(bad):
        if not fitted:
            fitted.append(fit())
        return getattr(fitted[0], _estimator_method(fitted[0]))(bad)

    for mutation, bad in _array_mutations("X", X, []):
        if mutation in ("nan", "inf", "empty"):
            cases.append((f"predict:X:{mutation}", ["X"], lambda bad=bad: predict(bad)))
    if sparse:
        for mutation, bad in _malformed_csr(X):
            cases.append((f"predict:X:{mutation}", ["X"], lambda bad=bad: predict(bad)))
    return cases


def _all_finite(result, depth=0):
    """Whether every number reachable in ``result`` is finite."""
    import scipy.sparse as sp

    if depth > 4 or result is None or isinstance(result, (str, bytes, bool)):
        return True
    if sp.issparse(result):
        return _all_finite(result.data, depth + 1)
    if isinstance(result, (int, float, np.number, np.ndarray)):
        a = np.asarray(result)
        return a.dtype.kind not in "fc" or bool(np.all(np.isfinite(a)))
    if isinstance(result, dict):
        return all(_all_finite(v, depth + 1) for v in result.values())
    if isinstance(result, (list, tuple)):
        return all(_all_finite(v, depth + 1) for v in result)
    if hasattr(result, "to_numpy"):
        return _all_finite(result.to_numpy(), depth + 1)
    return True


def _consistency(name, case, result):
    """Check a returned value; ``None`` when fine, else what is wrong."""
    from sklearn.base import BaseEstimator

    if not isinstance(result, BaseEstimator):
        return None if _all_finite(result) else "the result holds NaN or inf"
    valid = BAD_INPUT_FITS[name]()["fit"] if name in BAD_INPUT_FITS else {}
    if "X" in valid and hasattr(result, "n_features_in_"):
        X = valid["X"]
        if not _all_finite(getattr(result, _estimator_method(result))(X)):
            return "predictions on valid X hold NaN or inf"
    return None


def _consistency_with_input(estimator, arg, value):
    """Fitted classes/categories must be exactly the values of the input."""
    if arg == "y" and getattr(estimator, "classes_", None) is not None:
        expected = np.unique(np.asarray(value))
        if not np.array_equal(np.asarray(estimator.classes_), expected):
            return f"classes_ {estimator.classes_!r} are not the labels {expected!r}"
    if arg == "X" and isinstance(getattr(estimator, "categories_", None), list):
        X = np.asarray(value)
        for j, categories in enumerate(estimator.categories_):
            column = X[:, j]
            if column.dtype.kind == "f":
                column = column[~np.isnan(column)]
            got = np.asarray(categories)
            if got.dtype.kind == "f":
                got = got[~np.isnan(got)]
            if not np.array_equal(got, np.unique(column)):
                return f"categories_[{j}] {got!r} are not the values of column {j}"
    return None


def _serve():
    """Child: run the cases of each public name named on standard input.

    Each request is one line ``name<TAB>out_path<TAB>first``; the answer is
    the line ``done`` once the cases have ended.
    """
    warnings.simplefilter("ignore")
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (_CHILD_MEMORY, _CHILD_MEMORY))
        # A crash (the runner's self-test aborts on purpose) leaves no core
        # file in the repository.
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass
    import matplotlib

    matplotlib.use("Agg")
    # Answers go to the original standard output; whatever the cases print
    # (Python or C code) goes to standard error and cannot be taken for one.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    for line in sys.stdin:
        name, out_path, first = line.rstrip("\n").split("\t")
        _run_cases(name, out_path, int(first))
        print("done", file=answers, flush=True)


def _cases(name):
    """Every ``(case, names, thunk)`` of one public name."""
    if name == _SELF_TEST:
        return _self_test_cases()
    if name in BAD_INPUT_FITS:
        cases = _estimator_cases(name)
    else:
        cases = _function_cases(name)
    extra = BAD_INPUT_EXTRA_CASES.get(name, {})
    cases += [
        (case, None if arg is None else [arg], call)
        for case, (arg, call) in extra.items()
    ]
    return cases


# A name whose cases test the runner: a crash, a silent exit with code 0 and
# a case after them.
_SELF_TEST = "_runner_self_test"


def _self_test_cases():
    def raise_clear():
        raise ValueError("x must be positive")

    return [
        ("valid", None, lambda: 1.0),
        ("x:crash", ["x"], os.abort),
        ("x:exit", ["x"], lambda: os._exit(0)),
        ("x:negative", ["x"], raise_clear),
    ]


def _run_cases(name, out_path, first=0):
    """Run the cases of ``name`` from number ``first`` on, one JSON line at the
    start and at the end of each (appended to ``out_path``)."""
    import matplotlib.pyplot as plt

    cases = _cases(name)

    with open(out_path, "a") as out:

        def write(record):
            out.write(json.dumps(record) + "\n")
            out.flush()

        for index, (case, names, thunk) in enumerate(cases):
            if index < first:
                continue
            write({"case": case, "event": "start", "index": index})
            record = {"case": case, "event": "end", "names": names}
            try:
                result = thunk()
            except BaseException as exc:  # noqa: BLE001 - classified below
                kind = type(exc)
                record.update(
                    status="raised",
                    type=f"{kind.__module__}.{kind.__qualname__}",
                    clear_type=_is_clear_error(exc),
                    message=str(exc)[:600],
                    where=traceback.format_exc(limit=-3)[-1200:],
                )
            else:
                problem = _consistency(name, case, result)
                if problem is None and names is not None:
                    value = _mutated_value(name, case)
                    if value is not None:
                        problem = _consistency_with_input(result, names[0], value)
                record.update(
                    status="returned", problem=problem, result=repr(result)[:200]
                )
            plt.close("all")
            write(record)


def _mutated_value(name, case):
    """The mutated argument of a generated fit case (to compare classes_)."""
    if name not in BAD_INPUT_FITS or not case.startswith("fit:"):
        return None
    _, arg, mutation = case.split(":", 2)
    spec = BAD_INPUT_FITS[name]()["fit"]
    if arg not in spec:
        return None
    rows = [_n_rows(v) for v in spec.values() if _is_array_like(v)]
    return dict(_array_mutations(arg, spec[arg], rows)).get(mutation)


def _is_clear_error(exc):
    """A ValueError/TypeError raised on purpose (not an internal error)."""
    if not isinstance(exc, (ValueError, TypeError)):
        return False
    internal = (LookupError, AttributeError, ArithmeticError, AssertionError)
    if isinstance(exc, internal):
        return False
    module = type(exc).__module__.split(".")[0]
    return module in ("builtins", "sklearn", "mlfound")


# ---------------------------------------------------------------------------
# Parent: one child per test process, reused from one public name to the next
# ---------------------------------------------------------------------------
class _Child:
    """A child process that runs the cases of one public name per request."""

    def __init__(self, tmpdir):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
        env["MPLBACKEND"] = "Agg"
        # Its standard error goes to a file: read back after a crash, never a
        # pipe that could fill up and block the child.
        self.stderr = tempfile.TemporaryFile(mode="w+", dir=tmpdir)  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"],
            cwd=str(_ROOT),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        self.reader = ThreadPoolExecutor(1)

    def run(self, name, out_path, first):
        """Run ``name``'s cases from ``first`` on: 0, or why the child ended."""
        try:
            self.proc.stdin.write(f"{name}\t{out_path}\t{first}\n")
            self.proc.stdin.flush()
            line = self.reader.submit(self.proc.stdout.readline)
            if line.result(timeout=_CHILD_TIMEOUT) == "done\n":
                return 0
        except FutureTimeout:
            self.close()
            return "timeout"
        except OSError:  # the child had died: its pipe is closed
            pass
        # Only an answer counts as success: a child that ended without one,
        # even with exit code 0, has not run the cases.
        return self.close() or "exit 0 without an answer"

    def close(self):
        """End the child; its exit code (the end of its standard error is
        kept in ``stderr_tail``)."""
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):  # a pipe the child just closed
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        returncode = self.proc.wait()
        self.reader.shutdown(wait=True)
        self.proc.stdout.close()
        self.stderr.seek(0)
        self.stderr_tail = self.stderr.read()[-2000:]
        self.stderr.close()
        return returncode


@pytest.fixture(scope="module")
def bad_input_runner():
    """Run a public name's cases in this test process's child (started, and
    after a crash restarted, when needed)."""
    child = None
    with tempfile.TemporaryDirectory() as tmpdir:

        def run(name):
            nonlocal child
            out_path = Path(tmpdir) / f"{name}.jsonl"
            out_path.unlink(missing_ok=True)  # a name run again starts afresh
            start = time.perf_counter()
            first, crashes, stderr = 0, {}, ""
            # A crash ends the child: note the case it was running and start
            # a new child at the next case, so one crash hides no other.
            for _ in range(_MAX_RESTARTS):
                if child is None:
                    child = _Child(tmpdir)
                returncode = child.run(name, out_path, first)
                if returncode != 0:
                    stderr, child = child.stderr_tail, None
                records = []
                if out_path.exists():
                    with open(out_path) as f:
                        records = [json.loads(line) for line in f if line.strip()]
                ended = {r["case"] for r in records if r["event"] == "end"}
                unfinished = [
                    r
                    for r in records
                    if r["event"] == "start" and r["case"] not in ended
                ]
                if returncode == 0 or not unfinished:
                    break
                crashes[unfinished[-1]["case"]] = (returncode, stderr)
                first = unfinished[-1]["index"] + 1
            return {
                "returncode": returncode,
                "stderr": stderr,
                "records": records,
                "crashes": crashes,
                "seconds": time.perf_counter() - start,
            }

        try:
            yield run
        finally:
            if child is not None:
                child.close()


def _allowed(name, case):
    for (pattern_name, pattern_case), reason in BAD_INPUT_ALLOWED.items():
        if pattern_name == name and fnmatch.fnmatchcase(case, pattern_case):
            return reason
    return None


def _names_argument(name, case, message, names):
    """Whether ``message`` names one of ``names`` (or is scikit-learn's own)."""
    for arg in names:
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(arg)}(?![A-Za-z0-9_])", message):
            return True
    if name in BAD_INPUT_FITS and names[0] in ("X", "y"):
        return any(re.search(p, message) for p in SKLEARN_X_Y_MESSAGES)
    return False


def _failures(name, result):
    """One line per failing case of ``name``."""
    failures = []
    ended = {}
    started = []
    for record in result["records"]:
        if record["event"] == "start":
            started.append(record["case"])
        else:
            ended[record["case"]] = record
    for case in started:
        if case not in ended:
            returncode, stderr = result["crashes"].get(
                case, (result["returncode"], result["stderr"])
            )
            failures.append(
                f"{case}: the child died ({returncode}) while running it:\n{stderr}"
            )
            continue
        r = ended[case]
        names = r["names"]
        allowed = _allowed(name, case)
        if r["status"] == "raised":
            if names is None:
                failures.append(
                    f"{case}: valid call raised {r['type']}: {r['message']}"
                )
            elif not r["clear_type"]:
                failures.append(
                    f"{case}: internal error {r['type']}: {r['message']}\n{r['where']}"
                )
            elif not _names_argument(name, case, r["message"], names):
                failures.append(
                    f"{case}: {r['type']} does not name {' or '.join(names)}: "
                    f"{r['message']}"
                )
        elif r["problem"] is not None:
            failures.append(f"{case}: returned, but {r['problem']}")
        elif names is not None and allowed is None:
            failures.append(f"{case}: returned {r['result']} instead of raising")
    if not started or (result["returncode"] not in (0,) and not failures):
        failures.append(
            f"the child exited with {result['returncode']}:\n{result['stderr']}"
        )
    return failures


def test_every_public_name_has_a_valid_call():
    estimators = {name for name, _ in all_estimators()}
    functions = {name for name, _ in all_functions()}
    missing = sorted(estimators - set(BAD_INPUT_FITS))
    missing += sorted(functions - set(BAD_INPUT_CALLS) - set(BAD_INPUT_NO_ARRAYS))
    for display, _ in all_displays():
        if not any(k.startswith(display + ".") for k in BAD_INPUT_CALLS):
            missing.append(display)
    assert not missing, (
        "add a valid call for these public names to BAD_INPUT_CALLS or "
        f"BAD_INPUT_FITS in mlfound/utils/_bad_input_cases.py: {missing}"
    )
    listed = set(BAD_INPUT_CALLS) | set(BAD_INPUT_FITS) | set(BAD_INPUT_NO_ARRAYS)
    listed |= set(BAD_INPUT_SCALARS) | set(BAD_INPUT_EXTRA_CASES)
    listed |= {name for name, _ in BAD_INPUT_ALLOWED}
    known = estimators | functions | set(_public_names())
    assert listed <= known, f"entries for unknown names: {sorted(listed - known)}"
    assert not set(BAD_INPUT_NO_ARRAYS) & set(BAD_INPUT_CALLS)


@pytest.mark.parametrize("name", _public_names())
def test_bad_input(name, bad_input_runner):
    result = bad_input_runner(name)
    failures = _failures(name, result)
    assert not failures, f"{name}: {len(failures)} failing cases\n" + "\n".join(
        failures
    )
    # Every case ran, once.
    started = [r["case"] for r in result["records"] if r["event"] == "start"]
    assert started == [case for case, _, _ in _cases(name)]


def test_a_crash_or_exit_fails_its_case_and_the_next_cases_still_run(bad_input_runner):
    result = bad_input_runner(_SELF_TEST)
    failures = _failures(_SELF_TEST, result)
    assert len(failures) == 2, failures
    assert failures[0].startswith("x:crash: the child died ("), failures
    assert failures[1].startswith("x:exit: the child died (exit 0 without"), failures
    assert [r["case"] for r in result["records"] if r["event"] == "end"] == [
        "valid",
        "x:negative",
    ]
    # A new child serves the next names; a name run again starts afresh.
    for _ in range(2):
        result = bad_input_runner("check_array_1d")
        assert not _failures("check_array_1d", result)
        started = [r["case"] for r in result["records"] if r["event"] == "start"]
        assert started == [case for case, _, _ in _cases("check_array_1d")]


if __name__ == "__main__":
    _serve()
