"""The code on the docs' front pages runs and prints what the pages show.

Each page has one Python block followed by a text block with its output; the
output is compared line by line, so a figure quoted on the landing page cannot
drift from what the code produces.
"""

import contextlib
import io
import re
import textwrap
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[1] / "docs"
BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n\n((?:(?:   .*)?\n)+)", re.MULTILINE)


def _blocks(page):
    return [
        (language, textwrap.dedent(body).strip("\n") + "\n")
        for language, body in BLOCK.findall(page.read_text())
    ]


@pytest.mark.parametrize("name", ["index.rst", "getting_started.rst"])
def test_front_page_code_prints_what_the_page_shows(name):
    blocks = _blocks(DOCS / name)
    languages = [language for language, _ in blocks]
    assert "python" in languages
    position = languages.index("python")
    code = blocks[position][1]
    assert languages[position + 1] == "text", "the output follows the code"
    shown = blocks[position + 1][1]

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOCS / name), "exec"), {})
    assert out.getvalue().splitlines() == shown.splitlines()
