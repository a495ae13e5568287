"""The documentation build's own checks (docs/_ext/mlfound_docs_checks.py).

The docs build runs them on the real site; these tests show that each one
fails on the kind of page it exists to catch.
"""

import sys
from pathlib import Path

import pytest

plt = pytest.importorskip("matplotlib.pyplot")
sys.path.insert(0, str(Path(__file__).parents[1] / "docs" / "_ext"))
import mlfound_docs_checks as checks  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_figure_created_in_one_cell_and_drawn_in_another_is_refused():
    fig, axes = plt.subplots(2, 3)  # the old datasets tour's first cell
    with pytest.raises(ValueError, match=r"figure \d+ has nothing drawn on axes 0"):
        checks.check_open_figures("tour.py")


def test_drawn_figures_pass_and_one_empty_panel_is_refused():
    fig, axes = plt.subplots(1, 3)
    axes[0].plot([0, 1], [1, 0])
    axes[1].hist([1, 2, 2, 3])
    axes[2].axis("off")  # a hidden spare panel is fine
    checks.check_open_figures("ok.py")
    axes[2].axis("on")
    with pytest.raises(ValueError, match="axes 2"):
        checks.check_open_figures("spare.py")


def _page(root, name, body):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><head>{body}</head><body></body></html>")


def test_math_pages_need_the_local_mathjax(tmp_path):
    local = '<script defer src="../_static/mathjax/tex-chtml.js"></script>'
    math = '<span class="math notranslate">\\(x\\)</span>'
    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("")
    _page(tmp_path, "guide/ok.html", local + math)
    _page(tmp_path, "plain.html", "no math here")
    assert checks._mathjax_problems(tmp_path, "mathjax/tex-chtml.js") == (1, [])

    _page(tmp_path, "guide/raw.html", math)
    cdn = '<script src="https://cdn.example.org/mathjax@3/es5/tex-mml-chtml.js">'
    _page(tmp_path, "guide/cdn.html", cdn + local + math)
    n_pages, problems = checks._mathjax_problems(tmp_path, "mathjax/tex-chtml.js")
    assert n_pages == 3
    assert any("raw.html: has math but no local" in p for p in problems)
    assert any("cdn.html: MathJax loaded from another site" in p for p in problems)

    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").unlink()
    _, problems = checks._mathjax_problems(tmp_path, "mathjax/tex-chtml.js")
    assert any("ok.html: MathJax script" in p for p in problems)


def test_gallery_subsections_sit_one_level_below_the_gallery(tmp_path):
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "README.txt").write_text("Good\n----\n\nText.\n")
    assert checks._subsection_title_problems(tmp_path) == []
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "README.txt").write_text("Bad\n===\n\nText.\n")
    (problem,) = checks._subsection_title_problems(tmp_path)
    assert "bad/README.txt" in problem
    # And the project's own gallery follows the rule.
    examples = Path(__file__).parents[1] / "examples"
    assert checks._subsection_title_problems(examples) == []
