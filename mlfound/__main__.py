"""python -m mlfound: a short tour of what mlfound fixes.

For each family, its scenario from mlfound.datasets is run twice: the way
practitioners often do it by hand (the naive baseline) and with mlfound, and
the figures are printed side by side. Each stage prints how long it took; the
first call of a Numba kernel compiles it, and that time is shown on a line of
its own (the compiled code is cached, so later runs skip it). A summary table
of all scenarios closes the tour.

--quick uses smaller data. --warm runs the scenarios silently on small data
so that the kernels they use are compiled into mlfound's cache (e.g. when a
container image is built); --cache-dir prints where that cache lives (delete
the directory to clear it).

Run it from outside a clone of the repository to use the installed package:
from the clone's root, Python imports the clone's mlfound folder instead.
"""

import argparse
import os
import sys
import time

import mlfound
from mlfound._tour import run_scenario, scenarios


def _print_table(rows, header=("metric", "naive baseline", "mlfound"), indent=4):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        cells = "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        print((" " * indent + cells).rstrip())


def _write(text, end="\n"):
    print(text, end=end, flush=True)


def _short_title(title):
    """The title up to its ": ", e.g. "Imbalance 1:100"."""
    return title.split(": ")[0].strip()


def _print_summary(results):
    rows = []
    for number, result in enumerate(results, start=1):
        metric, naive, ours = (result.rows[0] if result.rows else ("FAILED", "-", "-"))[
            :3
        ]
        compiled = f"{result.compile_seconds:.1f}" if result.compile_seconds else "-"
        rows.append(
            (
                str(number),
                _short_title(result.title),
                metric,
                naive,
                ours,
                f"{result.seconds:.1f}",
                compiled,
            )
        )
    print("\nSummary (first figure of each scenario; times in seconds)")
    header = ("#", "scenario", "metric", "naive", "mlfound", "time", "compile")
    _print_table(rows, header=header, indent=2)
    total = sum(r.seconds for r in results)
    compiled = sum(r.compile_seconds for r in results)
    print(
        f"  total {total:.1f} s, of which {compiled:.1f} s compiling Numba "
        "kernels on their first call"
    )


def _datasets_tour(quick):
    """Show every dataset generator with the shape of what it returns."""
    from mlfound import datasets

    names = list(datasets.__all__)
    if not names:
        print("  (no dataset generators yet)")
    for name in names:
        bunch = getattr(datasets, name)(
            n_samples=500 if quick else 2000, random_state=0
        )
        truth = sorted(
            k for k in bunch if k not in {"X", "y", "DESCR", "feature_names"}
        )
        print(
            f"  {name:<22} X{getattr(bunch.X, 'shape', '')}  ground truth: "
            f"{', '.join(truth) or '-'}"
        )


def _warm():
    """Compile the kernels of every scenario into the cache, print where."""
    import contextlib
    import io

    from mlfound.utils._jit import cache_dir

    start = time.perf_counter()
    found = scenarios()
    for module in found:
        with contextlib.redirect_stdout(io.StringIO()):
            module.run(quick=True, step=lambda message: None)
    where = cache_dir()
    n_files = sum(
        name.endswith(".nbc") for _, _, names in os.walk(where) for name in names
    )
    print(
        f"Ran {len(found)} scenarios in {time.perf_counter() - start:.1f} s; "
        f"the cache holds {n_files} compiled kernels: {where}"
    )
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m mlfound",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="use smaller data sets")
    parser.add_argument(
        "--only",
        metavar="NAME",
        help="run only the scenarios whose title contains NAME",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="compile the kernels into the Numba cache (no output but a summary)",
    )
    parser.add_argument(
        "--cache-dir",
        action="store_true",
        help="print the directory of this installation's Numba cache and exit",
    )
    args = parser.parse_args(argv)
    if args.cache_dir:
        from mlfound.utils._jit import cache_dir

        print(cache_dir())
        return 0
    if args.warm:
        return _warm()

    print(
        f"mlfound {mlfound.__version__}: production ML-foundations techniques "
        f"as scikit-learn estimators\n"
    )
    print("Datasets (mlfound.datasets):")
    _datasets_tour(args.quick)

    found = scenarios()
    if args.only:
        found = [m for m in found if args.only.lower() in m.TITLE.lower()]
    if not found:
        print("\nNo scenario to run yet; versions of this installation:")
        mlfound.show_versions()
        return 0

    results = []
    for number, module in enumerate(found, start=1):
        print(f"\n[{number}/{len(found)}] {module.TITLE}")
        result = run_scenario(module, quick=args.quick, write=_write)
        results.append(result)
        if result.error is not None:  # report every scenario, fail at the end
            print("  FAILED:")
            print(result.error, file=sys.stderr, end="")
            continue
        _print_table(result.rows)
    _print_summary(results)
    failures = sum(r.error is not None for r in results)
    if failures:
        print(f"\n{failures} scenario(s) failed.", file=sys.stderr)
        return 1
    print("\nDone. See the user guide for the math and the gallery for plots.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
