"""Checks that fail the documentation build when a page would look broken.

Two things a warning-free Sphinx build does not catch:

* **Math that does not render.** A page with math needs MathJax, served from
  the built site itself (``_static/mathjax``) so that formulas render
  offline; a MathJax script loaded from another site shows raw TeX to every
  reader without network access. :func:`check_math_is_local` runs when the
  HTML build has finished and raises if a page with math lacks the local
  script, if the script's file is missing, or if any page loads MathJax from
  elsewhere.
* **Empty gallery figures.** :func:`scrape_nonempty_figures` is the gallery's
  image scraper: before handing the open matplotlib figures to
  sphinx-gallery's own scraper, it raises if a figure has no axes with
  something drawn on them, or an axes that is shown (frame and ticks on) but
  empty, the trace of a figure created in one cell and drawn on in a later
  one, after the gallery has already captured and closed it.

It also checks, before anything is read, that each gallery subsection's
``README.txt`` title is underlined with ``-`` (one level below the gallery's
own ``=`` title), so that the subsections nest under "Gallery of examples"
in the navigation instead of sitting beside it.
"""

import re
from pathlib import Path

MATH_MARKER = re.compile(r'class="math[ "]')
SCRIPT_SRC = re.compile(r'<script[^>]*\bsrc="([^"]+)"')


def _mathjax_problems(outdir, mathjax_path):
    """Return a list of problems with the math set-up of the built pages."""
    problems = []
    n_math_pages = 0
    for page in sorted(Path(outdir).rglob("*.html")):
        html = page.read_text(encoding="utf-8", errors="replace")
        sources = SCRIPT_SRC.findall(html)
        remote = [
            s
            for s in sources
            if "mathjax" in s.lower() and ("://" in s or s.startswith("//"))
        ]
        if remote:
            problems.append(f"{page}: MathJax loaded from another site: {remote[0]}")
        if not MATH_MARKER.search(html):
            continue
        n_math_pages += 1
        local = [s for s in sources if s.split("?")[0].endswith(mathjax_path)]
        if not local:
            problems.append(f"{page}: has math but no local {mathjax_path} script")
            continue
        script = (page.parent / local[0].split("?")[0]).resolve()
        if not script.is_file():
            problems.append(f"{page}: MathJax script {script} does not exist")
    return n_math_pages, problems


def check_math_is_local(app, exception):
    """Fail the build unless every page's math is rendered by a local MathJax."""
    if exception is not None or app.builder.format != "html":
        return
    n_math_pages, problems = _mathjax_problems(app.outdir, app.config.mathjax_path)
    if n_math_pages == 0:
        problems.append("no page has math: the math check has nothing to check")
    if problems:
        from sphinx.errors import ExtensionError

        raise ExtensionError(
            "math would not render offline:\n  " + "\n  ".join(problems[:10])
        )


def _empty_axes(fig):
    """Return a description of each empty axes of ``fig``, and if it has data."""
    empty, any_data = [], False
    for i, ax in enumerate(fig.axes):
        drawn = ax.has_data() or ax.texts or ax.artists or ax.get_legend() is not None
        any_data = any_data or bool(drawn)
        if not drawn and ax.get_visible() and ax.axison:
            empty.append(f"axes {i} ({ax.get_title() or 'untitled'})")
    return empty, any_data


def check_open_figures(example):
    """Raise ``ValueError`` if an open matplotlib figure is empty."""
    import matplotlib.pyplot as plt

    for number in plt.get_fignums():
        empty, any_data = _empty_axes(plt.figure(number))
        if empty or not any_data:
            where = ", ".join(empty) or "every axes"
            raise ValueError(
                f"{example}: figure {number} has nothing drawn on {where}. Draw a "
                "figure in the same cell that creates it (the gallery captures "
                "and closes the figures at the end of each cell)."
            )


def scrape_nonempty_figures(block, block_vars, gallery_conf, **kwargs):
    """Matplotlib scraper of the gallery that refuses empty figures."""
    from sphinx_gallery.scrapers import matplotlib_scraper

    check_open_figures(block_vars.get("src_file", "an example"))
    return matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)


def _subsection_title_problems(examples_dir):
    problems = []
    for readme in sorted(Path(examples_dir).glob("*/README.txt")):
        lines = readme.read_text(encoding="utf-8").splitlines()
        underline = lines[1] if len(lines) > 1 else ""
        if not underline or set(underline) != {"-"}:
            problems.append(
                f"{readme}: underline the title with '-' (a subsection of the "
                "gallery), not with '=' or an overline"
            )
    return problems


def check_gallery_subsection_titles(app, config):
    """Fail early when a gallery subsection title is not one level down."""
    conf_dir = Path(app.confdir)
    problems = []
    for examples_dir in config.sphinx_gallery_conf.get("examples_dirs", []):
        problems += _subsection_title_problems(conf_dir / examples_dir)
    if problems:
        from sphinx.errors import ExtensionError

        raise ExtensionError("\n  ".join(["gallery headings:", *problems]))


def setup(app):
    app.connect("config-inited", check_gallery_subsection_titles)
    # After the MathJax files are copied into _static (priority 500).
    app.connect("build-finished", check_math_is_local, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
