"""The book builds with warnings as errors, every chapter becomes a page, and pages are self-contained."""
from __future__ import annotations

import pytest

from book_build import BUILD_DIR, HTML, build_book
from notebook_run import glued_in_build, non_finite
from test_notebooks import load_claims
from toc import ROOT, chapter_notebooks, toc_files


@pytest.fixture(scope="module")
def built():
    code, log = build_book()
    assert code == 0, f"jupyter-book build failed (warnings are errors):\n{log[-6000:]}"
    return log


def page(path):
    return HTML / path.relative_to(ROOT).with_suffix(".html")


def test_every_toc_entry_has_a_page(built):
    for doc in toc_files():
        assert page(doc).is_file(), f"no page built for {doc.relative_to(ROOT)}"


def test_chapter_pages_have_figures_and_local_plotly(built):
    assert (HTML / "_static" / "vendor" / "plotly.min.js").is_file(), "plotly.js is not served by the book"
    for nb in chapter_notebooks():
        html = page(nb).read_text()
        assert "plotly-graph-div" in html, f"{nb.stem}: no plotly figure on the page"
        assert "_static/vendor/plotly.min.js" in html, f"{nb.stem}: page does not load the book's plotly.js"
        assert "cdn.plot.ly" not in html, f"{nb.stem}: page loads plotly.js from a CDN"


def test_no_tensorflow_logs_on_pages(built):
    for nb in chapter_notebooks():
        html = page(nb).read_text()
        for marker in ("oneDNN", "cudart_stub", "absl::InitializeLog", "TF_ENABLE_ONEDNN_OPTS"):
            assert marker not in html, f"{nb.stem}: TensorFlow log line '{marker}' reached the page"


def test_intro_page_does_not_load_plotly(built):
    html = (HTML / "book" / "intro.html").read_text()
    assert "plotly.min.js" not in html, "plotly.js is added to pages without figures"


@pytest.mark.parametrize("notebook", chapter_notebooks(), ids=[p.stem for p in chapter_notebooks()])
def test_claims_hold_at_the_defaults_the_website_shows(built, notebook):
    """The website shows each chapter executed at its defaults: its claims are checked on exactly those numbers,
    not only on the quick runs of test_notebooks."""
    glued = glued_in_build(BUILD_DIR, notebook)
    assert glued, f"{notebook.stem}: the build published no numbers"
    assert not non_finite(glued), f"{notebook.stem}: published numbers that are not finite: {non_finite(glued)}"
    load_claims(notebook.stem).check(glued)
