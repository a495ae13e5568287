import re
import time
import types

import pytest

import mlfound.__main__ as tour_main
from mlfound.utils._jit import JIT_OPTIONS, cache_key, njit


def test_njit_applies_the_project_defaults_and_merges_options():
    @njit
    def add(a, b):
        return a + b

    @njit(fastmath=True)
    def mul(a, b):
        return a * b

    assert add(1.0, 2.0) == 3.0 and mul(2.0, 3.0) == 6.0
    assert JIT_OPTIONS == {"cache": True, "nogil": True}
    for kernel in (add, mul):
        assert kernel.targetoptions["nogil"] is True
        assert kernel._cache.__class__.__name__ != "NullCache"
    assert mul.targetoptions["fastmath"]


def test_tour_prints_each_scenario_and_fails_on_error(monkeypatch, capsys):
    def good(quick, step):
        step("fitting")
        return [("cost", "10.0", "2.0")]

    def bad(quick, step):
        raise RuntimeError("boom")

    fake = [
        types.SimpleNamespace(TITLE="Good scenario", run=good),
        types.SimpleNamespace(TITLE="Bad scenario", run=bad),
    ]
    monkeypatch.setattr(tour_main, "scenarios", lambda: fake)
    assert tour_main.main(["--quick", "--only", "good"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] Good scenario" in out and "... fitting" in out
    assert "10.0" in out and "2.0" in out
    assert tour_main.main(["--quick"]) == 1
    captured = capsys.readouterr()
    assert "FAILED" in captured.out and "1 scenario(s) failed" in captured.err


def test_tour_without_scenarios_shows_versions(monkeypatch, capsys):
    monkeypatch.setattr(tour_main, "scenarios", lambda: [])
    assert tour_main.main(["--quick"]) == 0
    assert "numpy" in capsys.readouterr().out


def test_tour_cache_dir_and_warm(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("MLFOUND_CACHE_DIR", str(tmp_path))
    assert tour_main.main(["--cache-dir"]) == 0
    where = capsys.readouterr().out.strip()
    assert where == str(tmp_path / cache_key())

    @njit
    def kernel(x):
        return x + 1

    def scenario(quick, step):
        print("noise")
        assert quick
        return [("n", "1", str(kernel(1)))]

    fake = [types.SimpleNamespace(TITLE="Warm", run=scenario)]
    monkeypatch.setattr(tour_main, "scenarios", lambda: fake)
    assert tour_main.main(["--warm"]) == 0
    out = capsys.readouterr().out
    assert "noise" not in out
    assert "Ran 1 scenarios" in out and "holds 1 compiled kernels" in out
    assert where in out


def test_tour_prints_per_step_times_compile_line_and_summary(
    monkeypatch, capsys, tmp_path
):
    monkeypatch.setenv("MLFOUND_CACHE_DIR", str(tmp_path))

    @njit
    def fresh_kernel(x):  # compiled on its first call, inside "compiling"
        return x * 2.0

    def scenario(quick, step):
        step("sleeping")
        time.sleep(0.3)
        step("compiling")
        fresh_kernel(1.0)
        step("instant")
        return [("cost", "10.0", "2.0")]

    fake = [types.SimpleNamespace(TITLE="Timed 1:3: three stages", run=scenario)]
    monkeypatch.setattr(tour_main, "scenarios", lambda: fake)
    assert tour_main.main(["--quick"]) == 0
    out = capsys.readouterr().out
    times = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"\.\.\. (\w+)  ([\d.]+) s", out)
    }
    # Each stage's own time, not the time since the scenario started.
    assert times["sleeping"] >= 0.3
    assert times["instant"] < 0.3
    assert re.search(r"of which [\d.]+ s compiling Numba kernels", out)
    summary = out[out.index("Summary") :]
    assert re.search(r"1\s+Timed 1:3\s+cost\s+10\.0\s+2\.0\s+[\d.]+\s+[\d.]+", summary)


def test_tour_help_is_plain_text(capsys):
    with pytest.raises(SystemExit):
        tour_main.main(["--help"])
    text = capsys.readouterr().out
    assert "--quick" in text
    for markup in ("``", ":mod:", ":func:", ":class:", ".. "):
        assert markup not in text
