"""Static checks of the built website: it loads nothing from another site, its figures are numbered and
captioned, chapters carry working launch links, and the status and teachers pages report on every chapter.

What happens when the pages run (scripts, MathJax, plotly, widgets) is checked in a browser by
test_browser.py; this file reads the HTML and CSS only, so it also catches a remote resource that the
browser would merely have failed to fetch.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml

import kernel_ssl
from book_build import HTML, build_book
from toc import ROOT, chapter_notebooks, toc_files

CHAPTERS = chapter_notebooks()
IDS = [p.stem for p in CHAPTERS]
# <link rel=...> values that name a related page rather than a resource the browser fetches
NAVIGATION_RELS = {"canonical", "alternate", "next", "prev", "search", "index", "author", "license", "help",
                   "bookmark", "genindex", "copyright", "top", "up"}
# hosts that serve scripts, styles or fonts; an inline script naming one of them would fetch from it
CDN_HOSTS = ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com", "cdn.plot.ly", "fonts.googleapis.com",
             "fonts.gstatic.com", "code.jquery.com", "polyfill.io", "cdn.mathjax.org", "ajax.googleapis.com")
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""")


@pytest.fixture(scope="module")
def built():
    code, log = build_book()
    assert code == 0, f"jupyter-book build failed (warnings are errors):\n{log[-6000:]}"
    return HTML


def page(path: Path) -> Path:
    return HTML / path.relative_to(ROOT).with_suffix(".html")


def is_remote(url: str) -> bool:
    return url.startswith("//") or urlparse(url).scheme in ("http", "https")


class Resources(HTMLParser):
    """Every URL a page makes the browser fetch by itself (not links a reader may follow), and inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (what, url)
        self.inline: list[str] = []  # inline <script> and <style> bodies, style attributes
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href"):
            rels = set((a.get("rel") or "").lower().split())
            if not rels or not rels <= NAVIGATION_RELS:
                self.urls.append((f"<link rel={a.get('rel')}>", a["href"]))
        for name in ("src", "data", "poster"):
            if a.get(name) and tag in ("script", "img", "iframe", "source", "video", "audio", "embed", "object",
                                       "input", "track"):
                self.urls.append((f"<{tag} {name}>", a[name]))
        if a.get("srcset"):
            self.urls += [(f"<{tag} srcset>", part.split()[0]) for part in a["srcset"].split(",") if part.strip()]
        for key, value in a.items():  # e.g. the widgets' data-jupyter-widgets-cdn
            if key.startswith("data-") and value and "cdn" in key:
                self.urls.append((f"<{tag} {key}>", value))
        if a.get("style"):
            self.inline.append(a["style"])
        if tag in ("script", "style") and not a.get("src"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in:
            self.inline.append(data)


def html_pages() -> list[Path]:
    return sorted(p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts)


def test_no_page_loads_anything_from_another_site(built):
    pages = html_pages()
    assert pages, "no HTML pages were built"
    problems = []
    for path in pages:
        parser = Resources()
        parser.feed(path.read_text())
        name = path.relative_to(HTML)
        problems += [f"{name}: {what} {url}" for what, url in parser.urls if is_remote(url)]
        for code in parser.inline:
            problems += [f"{name}: inline code names {host}" for host in CDN_HOSTS if host in code]
            problems += [f"{name}: inline CSS fetches {url}" for url in CSS_URL.findall(code) + CSS_IMPORT.findall(code)
                         if is_remote(url)]
    assert not problems, "pages load resources from other sites:\n" + "\n".join(problems)


def test_local_resources_of_pages_exist(built):
    missing = []
    for path in html_pages():
        parser = Resources()
        parser.feed(path.read_text())
        for what, url in parser.urls:
            if is_remote(url) or url.startswith(("data:", "#", "mailto:")):
                continue
            target = (path.parent / urlparse(url).path).resolve()
            if not target.is_file():
                missing.append(f"{path.relative_to(HTML)}: {what} {url}")
    assert not missing, "pages reference files the site does not contain:\n" + "\n".join(missing)


def test_stylesheets_and_fonts_are_served_locally(built):
    """Every url() and @import of every stylesheet is local and exists (the theme's and FontAwesome's fonts)."""
    problems, fonts = [], 0
    for css in (HTML / "_static").rglob("*.css"):
        text = css.read_text(errors="replace")
        for url in CSS_URL.findall(text) + CSS_IMPORT.findall(text):
            if url.startswith("data:"):
                continue
            if is_remote(url):
                problems.append(f"{css.relative_to(HTML)} fetches {url}")
                continue
            target = (css.parent / urlparse(url).path).resolve()
            if not target.is_file():
                problems.append(f"{css.relative_to(HTML)} references missing {url}")
            fonts += target.suffix in (".woff", ".woff2", ".ttf", ".otf", ".eot")
    assert not problems, "\n".join(problems)
    assert fonts > 0, "no stylesheet references a font file: the check found nothing to check"


def test_scripts_are_served_by_the_book(built):
    vendor = HTML / "_static" / "vendor"
    for script in ("plotly.min.js", "mathjax/tex-mml-chtml.js", "widgets/require.js", "widgets/embed-amd.js",
                   "widgets/embed-setup.js"):
        assert (vendor / script).is_file(), f"_static/vendor/{script} is not served by the book"
    # MathJax's CHTML output loads its fonts (and TeX extensions) relative to its own script
    assert list((vendor / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff")), "MathJax fonts missing"
    assert (vendor / "mathjax" / "input" / "tex" / "extensions").is_dir(), "MathJax TeX extensions missing"
    for nb in CHAPTERS:
        html = page(nb).read_text()
        assert "_static/vendor/mathjax/tex-mml-chtml.js" in html, f"{nb.stem}: MathJax is not the book's copy"
        if "application/vnd.jupyter.widget-state+json" in html:
            for script in ("require.js", "embed-setup.js", "embed-amd.js"):
                assert f"_static/vendor/widgets/{script}" in html, f"{nb.stem}: page with widgets lacks {script}"


def figure_cells(notebook: Path) -> list[dict]:
    nb = nbformat.read(str(notebook), as_version=4)
    return [c.metadata["mystnb"]["figure"] for c in nb.cells
            if c.cell_type == "code" and "figure" in c.metadata.get("mystnb", {})]


def test_figures_are_numbered_and_captioned_in_book_order(built):
    """Each chapter's figure cells (mystnb.figure) become figures "Figure N" with their caption and a plotly
    figure inside; numbers run 1, 2, ... through the book in _toc.yml order."""
    expected_next = 1
    for doc in toc_files():
        html = page(doc).read_text()
        numbers = [int(n) for n in re.findall(r'<span class="caption-number">Figure (\d+) </span>', html)]
        assert numbers == list(range(expected_next, expected_next + len(numbers))), \
            f"{doc.stem}: figures numbered {numbers}, expected to continue from Figure {expected_next}"
        expected_next += len(numbers)
        if doc.suffix != ".ipynb":
            continue
        cells = figure_cells(doc)
        assert cells, f"{doc.stem}: no figure cell carries mystnb.figure metadata (numbered captions)"
        by_id = dict(re.findall(r'<figure[^>]*id="([^"]+)"[^>]*>(.*?)</figure>', html, re.S))
        for cell in cells:
            body = by_id.get(cell["name"])
            assert body is not None, f"{doc.stem}: figure {cell['name']} is not on the page"
            assert re.search(r'<span class="caption-number">Figure \d+ </span>', body), \
                f"{doc.stem}: figure {cell['name']} has no number"
            caption = re.sub(r"<[^>]+>|\s+", " ", body.split("<figcaption>")[-1])
            words = [w for w in cell["caption"].split() if w.isalpha()][:5]  # plain words survive rendering
            assert words and all(w in caption for w in words), f"{doc.stem}: caption of {cell['name']} is missing"
            assert "plotly-graph-div" in body, f"{doc.stem}: figure {cell['name']} holds no plotly figure"


def test_chapters_have_launch_links(built):
    """Binder and Colab buttons open the chapter's .ipynb in the repository named in _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = urlparse(config["repository"]["url"]).path.strip("/")
    branch = config["repository"].get("branch", "main")
    binder = config["launch_buttons"]["binderhub_url"].rstrip("/")
    colab = config["launch_buttons"]["colab_url"].rstrip("/")
    for nb in CHAPTERS:
        html = page(nb).read_text()
        path = nb.relative_to(ROOT).as_posix()
        assert f'href="{binder}/v2/gh/{repo}/{branch}?urlpath=lab/tree/{path}"' in html, \
            f"{nb.stem}: no Binder link opening JupyterLab"
        assert f'href="{colab}/github/{repo}/blob/{branch}/{path}"' in html, f"{nb.stem}: no Colab link"
        assert f"_sources/{path}" in html and (HTML / "_sources" / path).is_file(), \
            f"{nb.stem}: the page offers no download of its notebook"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def table_row(path: Path, link: str) -> str:
    """The text of the table row on ``path`` that links to ``link`` (empty if none)."""
    rows = [r for r in re.findall(r"<tr.*?</tr>", path.read_text(), re.S) if f'href="{link}"' in r]
    return text_of(rows[0]) if rows else ""


def test_status_page_reports_every_chapter_and_versions(built):
    status = HTML / "book" / "status.html"
    for nb in CHAPTERS:
        row = table_row(status, f"{nb.stem}.html")
        assert row, f"status page has no execution row for {nb.stem}"
        assert re.search(r" cache \d+(\.\d+)? ✅", row), f"status page: {nb.stem} not reported as executed: {row}"
    text = text_of(status.read_text())
    for package in ("jax", "neural-tangents", "numpy", "scipy", "plotly", "jupyter-book", "myst-nb"):
        assert re.search(rf" {re.escape(package)} \d+\.\d+", text), f"status page lacks the version of {package}"
    for script in ("plotly.js", "MathJax", "RequireJS"):
        assert re.search(rf"{script} \d+\.\d+", text), f"status page lacks the version of {script}"
    # the book's own library (kernel_ssl.__version__, the one place it is written) and the commit built from
    assert f" kernel_ssl {kernel_ssl.__version__} " in text, \
        f"status page lacks the library version kernel_ssl {kernel_ssl.__version__}"
    assert re.search(r" Git commit ([0-9a-f]{4,}|unknown) ", text), "status page lacks the git commit it was built from"


def test_status_page_carries_the_claims_ledger(built):
    """Every chapter's claims, with the values of this build, are on the status page, and all of them held."""
    text = text_of((HTML / "book" / "status.html").read_text())
    for nb in CHAPTERS:
        match = re.search(rf"{nb.stem}\s*: (\d+) of (\d+) claims hold", text)
        assert match, f"status page has no claims ledger for {nb.stem}"
        assert int(match.group(2)) > 0 and match.group(1) == match.group(2), match.group(0)


def test_teachers_page_lists_every_chapter(built):
    teachers = HTML / "book" / "teachers.html"
    for nb in CHAPTERS:
        row = table_row(teachers, f"{nb.stem}.html")
        assert re.search(r" \d+ s ", row), f"teachers page: no run time for {nb.stem}: {row[:200]}"
        assert "seed = 0" in row and "quick = False" in row, f"teachers page: parameters of {nb.stem} missing"
    text = text_of(teachers.read_text())
    for licence in ("MIT", "CC-BY-4.0"):
        assert licence in text, f"teachers page does not state the {licence} licence"
    for file in ("LICENSE", "LICENSE-text"):
        assert (ROOT / file).is_file(), f"{file} is missing from the repository"


def test_every_toc_page_is_in_the_navigation(built):
    root, *others = toc_files()
    intro = page(root).read_text()
    for doc in others:
        assert f'href="{doc.stem}.html"' in intro, f"{doc.stem} is not in the site navigation"
