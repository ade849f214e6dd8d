"""The book builds with warnings as errors, every chapter becomes a page, and pages are self-contained."""
from __future__ import annotations

import pytest

from book_build import HTML, build_book
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
