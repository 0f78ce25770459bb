"""Build the book as `make book` does (warnings are errors) and check the pages a reader gets."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import colab
from book_site import CHAPTERS, PAGES, ROOT


def html(site: Path, page: str) -> str:
    return (site / f"{page}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_is_built(site, page):
    assert (site / f"{page}.html").is_file()


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_pages_show_their_figures(site, page):
    nb = nbformat.read(ROOT / f"{page}.ipynb", as_version=4)
    n_figures = sum(
        1
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    )
    images = re.findall(r'<img [^>]*src="([^"]+\.png)"', html(site, page))
    assert len(images) >= n_figures > 0
    for src in images:
        if not src.startswith("http"):
            assert (
                (site / Path(page).parent / src).resolve().is_file()
            ), f"{page}: missing image {src}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_pages_open_the_right_notebook_in_colab(site, page):
    assert colab.colab_url(ROOT / f"{page}.ipynb") in html(site, page)


@pytest.mark.parametrize("page", PAGES)
def test_glued_numbers_are_rendered(site, page):
    text = html(site, page)
    assert "{glue" not in text and "glue:text" not in text
    assert not re.search(r"\x1b\[|\[0m|\[1m", text)


@pytest.mark.parametrize("page", PAGES)
def test_pages_load_mathjax_from_the_site_itself(site, page):
    """Offline readers (and the tests) see rendered math: no MathJax from a CDN."""
    scripts = re.findall(r'<script [^>]*src="([^"]*mathjax[^"]*)"', html(site, page), re.IGNORECASE)
    for src in scripts:
        assert not src.startswith("http"), f"{page} loads MathJax from {src}"
        assert (site / Path(page).parent / src).resolve().is_file()
    if "\\(" in html(site, page):  # the page has math
        assert scripts, f"{page} has math but loads no MathJax"
    assert (site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
