"""The built website in a real browser with the network cut off.

Playwright drives Debian's /usr/bin/chromium (never a downloaded browser) against the session build of the
book (tests/book_build.py), served by a local HTTP server. Every request to any host but this server is
blocked and recorded, so a page that renders here renders offline. For every page of _toc.yml: no console
error, no uncaught exception, no failed or blocked request, and all math typeset by MathJax. For every
chapter in addition: every plotly figure is drawn with its data, display math is present, the ipywidgets
saved on the page are rendered by the embed manager, and moving each precomputed plotly slider (with the
mouse, as a reader would) changes what the figure shows. A full-page screenshot of each page is saved under
_build/screenshots/.

Without /usr/bin/chromium the tests are skipped locally, and fail in CI (CI set to any value, or
KERNEL_SSL_CI), where .ci/run installs it.
"""
from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from book_build import HTML, SCREENSHOTS, build_book
from toc import ROOT, chapter_notebooks, toc_files

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PAGES = toc_files()
CHAPTERS = chapter_notebooks()
# Generous bounds on waiting for the browser (scripts, MathJax, plotly transitions); a failure names what
# it waited for. They only bound how long a broken page takes to fail.
LOAD_TIMEOUT_MS = 60_000
CHANGE_TIMEOUT_MS = 10_000

# Elements that draw a figure's data: inside plotly's trace layers (.mlayer: scatter lines and markers, bars,
# heatmap images, contours, ...) and pie slices. Axes, grid lines, legends and the slider are not data.
DATA_MARKS = ('.mlayer path[d]:not([d=""]):not([d="M0,0Z"]), .mlayer image, '
              '.pielayer path[d]:not([d=""])')

FIGURES_JS = """(marks) => Array.from(document.querySelectorAll('.plotly-graph-div')).map((gd, index) => ({
    index,
    id: gd.id,
    drawn: !!gd._fullLayout && gd.querySelector('.main-svg') !== null,
    marks: gd.querySelectorAll(marks).length,
    traces: (gd.data || []).length,
    sliderSteps: ((gd.layout && gd.layout.sliders) || []).map(s => (s.steps || []).length),
    inWidget: gd.closest('.widget-subarea') !== null,
}))"""

# What a reader sees of a figure's data, annotations and title (not the slider, whose label also changes)
SIGNATURE_JS = """([index, marks]) => {
    const gd = document.querySelectorAll('.plotly-graph-div')[index];
    const parts = Array.from(gd.querySelectorAll(marks + ', .annotation-text, .gtitle')).map(e =>
        e.getAttribute('d') || e.getAttribute('href') || e.getAttribute('xlink:href') ||
        e.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || e.textContent);
    parts.push(JSON.stringify((gd._fullData || []).map(t => t.visible)));
    return parts.join('|');
}"""

MATH_JS = """() => (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(() => ({
    mathjax: !!(window.MathJax && MathJax.startup),
    math: document.querySelectorAll('.math').length,
    untypeset: Array.from(document.querySelectorAll('.math')).filter(e => !e.querySelector('mjx-container'))
        .map(e => e.textContent.slice(0, 80)),
    display: document.querySelectorAll('mjx-container[display="true"]').length,
    errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.getAttribute('data-mjx-error')
        || e.textContent.slice(0, 80)),
}))"""

WIDGETS_JS = """() => Array.from(document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]')).map(s =>
    s.parentElement.querySelectorAll('.widget-subarea .jupyter-widgets').length)"""

SLIDER_JS = """([index, slider, step]) => {
    // where a reader clicks to choose `step`: its tick on the slider's rail
    const gd = document.querySelectorAll('.plotly-graph-div')[index];
    const group = gd.querySelectorAll('.slider-container .slider-group')[slider];
    const ticks = group.querySelectorAll('.slider-tick-rect');
    const rail = group.querySelector('.slider-rail-touch-rect').getBoundingClientRect();
    const tick = ticks[step].getBoundingClientRect();
    return {ticks: ticks.length, x: tick.x + tick.width / 2, y: rail.y + rail.height / 2};
}"""
ACTIVE_STEP_JS = """([index, slider]) =>
    document.querySelectorAll('.plotly-graph-div')[index]._fullLayout.sliders[slider].active"""


@dataclass
class Visit:
    """What one page did in the browser."""

    problems: list[str] = field(default_factory=list)  # console errors, exceptions, failed/blocked requests
    math: dict = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)
    widgets: list[int] = field(default_factory=list)
    sliders: list[str] = field(default_factory=list)  # one line per slider moved: what changed, or why not
    slider_failures: list[str] = field(default_factory=list)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


def in_ci(environ) -> bool:
    """CI runs the browser tests whatever CI's value (CI=1, CI=true, CI=yes...); .ci/run also sets KERNEL_SSL_CI."""
    return "CI" in environ or "KERNEL_SSL_CI" in environ


def test_browser_tests_are_never_skipped_in_ci():
    for environ in ({"CI": "true"}, {"CI": "1"}, {"CI": ""}, {"CI": "false"}, {"KERNEL_SSL_CI": "1"}):
        assert in_ci(environ), environ
    assert not in_ci({"HOME": "/root"})


@pytest.fixture(scope="module")
def site():
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does"
        if in_ci(os.environ):
            pytest.fail(message)
        pytest.skip(message)
    code, log = build_book()
    assert code == 0, f"jupyter-book build failed (warnings are errors):\n{log[-6000:]}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def visits(site):
    """Visit every page once (lazily, in a fresh browser context each: a reader's first visit)."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    done: dict[Path, Visit] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)

        def visit(doc: Path) -> Visit:
            if doc not in done:
                done[doc] = _visit(browser, site, doc)
            return done[doc]

        yield visit
        browser.close()


def _visit(browser, site: str, doc: Path) -> Visit:
    result = Visit()
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(route_):
        if urlparse(route_.request.url).hostname in LOCAL_HOSTS:
            route_.continue_()
        else:
            result.problems.append(f"blocked request to another site: {route_.request.url}")
            route_.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and result.problems.append(f"console error: {msg.text}"))
    page.on("pageerror", lambda exc: result.problems.append(f"uncaught exception: {exc}"))
    page.on("requestfailed", lambda req: urlparse(req.url).hostname in LOCAL_HOSTS
            and result.problems.append(f"request failed: {req.url} ({req.failure})"))
    page.on("response", lambda resp: resp.status >= 400 and result.problems.append(f"HTTP {resp.status}: {resp.url}"))
    page.set_default_timeout(LOAD_TIMEOUT_MS)
    try:
        page.goto(site + doc.relative_to(ROOT).with_suffix(".html").as_posix(), wait_until="load")
        result.math = page.evaluate(MATH_JS)
        if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
            # the embed manager renders after the load event; wait until every view has its widgets
            page.wait_for_function(f"() => ({WIDGETS_JS})().every(n => n > 0)", timeout=LOAD_TIMEOUT_MS)
        result.widgets = page.evaluate(WIDGETS_JS)
        # plotly draws asynchronously when labels hold math; wait until every figure has its SVG
        page.wait_for_function("() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                               ".every(gd => gd._fullLayout && gd.querySelector('.main-svg'))", timeout=LOAD_TIMEOUT_MS)
        result.figures = page.evaluate(FIGURES_JS, DATA_MARKS)
        for fig in result.figures:
            if fig["inWidget"]:
                continue  # a live control's figure: on the website it stays at its initial value
            for slider, steps in enumerate(fig["sliderSteps"]):
                if steps >= 2:
                    _move_slider(page, fig, slider, steps, result)
        page.screenshot(path=str(SCREENSHOTS / f"{doc.stem}.png"), full_page=True)
    except Exception as exc:  # noqa: BLE001 - reported as the page's failure, with what was seen so far
        result.problems.append(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    finally:
        context.close()
    return result


def _move_slider(page, fig: dict, slider: int, steps: int, result: Visit) -> None:
    label = f"figure {fig['index'] + 1} ({fig['id'][:8]}), slider {slider + 1}"
    gd = page.locator(".plotly-graph-div").nth(fig["index"])
    gd.scroll_into_view_if_needed()
    active = page.evaluate(ACTIVE_STEP_JS, [fig["index"], slider])
    target = steps - 1 if active != steps - 1 else 0
    before = page.evaluate(SIGNATURE_JS, [fig["index"], DATA_MARKS])
    where = page.evaluate(SLIDER_JS, [fig["index"], slider, target])
    if where["ticks"] != steps:
        result.slider_failures.append(f"{label}: {where['ticks']} ticks drawn for {steps} steps")
        return
    page.mouse.click(where["x"], where["y"])
    try:
        page.wait_for_function(
            f"""([i, marks, before]) => {{
                const gd = document.querySelectorAll('.plotly-graph-div')[i];
                return gd._fullLayout.sliders[{slider}].active === {target} && ({SIGNATURE_JS})([i, marks]) !== before;
            }}""", arg=[fig["index"], DATA_MARKS, before], timeout=CHANGE_TIMEOUT_MS)
        result.sliders.append(f"{label}: step {active} -> {target} changed the figure")
    except Exception:  # noqa: BLE001 - timeout: say what did and did not happen
        now = page.evaluate(ACTIVE_STEP_JS, [fig["index"], slider])
        changed = page.evaluate(SIGNATURE_JS, [fig["index"], DATA_MARKS]) != before
        result.slider_failures.append(f"{label}: clicking step {target} left the slider at step {now} and "
                                      f"{'changed' if changed else 'did not change'} the figure")


@pytest.mark.parametrize("doc", PAGES, ids=[p.stem for p in PAGES])
def test_page_renders_offline_without_errors(visits, doc):
    result = visits(doc)
    assert not result.problems, f"{doc.stem}:\n" + "\n".join(result.problems)
    math = result.math
    if math["math"]:
        assert math["mathjax"], f"{doc.stem}: the page has math but MathJax did not start"
        assert not math["untypeset"], f"{doc.stem}: math left untypeset: {math['untypeset'][:5]}"
        assert not math["errors"], f"{doc.stem}: MathJax errors: {math['errors'][:5]}"
    assert (SCREENSHOTS / f"{doc.stem}.png").is_file()


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_figures_math_and_widgets(visits, notebook):
    result = visits(notebook)
    assert result.math.get("display", 0) > 0, f"{notebook.stem}: no display math typeset by MathJax"
    assert result.figures, f"{notebook.stem}: no plotly figure on the page"
    for fig in result.figures:
        assert fig["drawn"], f"{notebook.stem}: figure {fig['index'] + 1} was not drawn by plotly.js"
        assert fig["traces"] and fig["marks"] > 0, \
            f"{notebook.stem}: figure {fig['index'] + 1} shows no data ({fig['traces']} traces, no marks drawn)"
    assert all(n > 0 for n in result.widgets), f"{notebook.stem}: saved widgets not rendered: {result.widgets}"
    # a live control's output area shows its figure at the initial value (from the saved widget state)
    assert not result.widgets or any(fig["inWidget"] for fig in result.figures), \
        f"{notebook.stem}: the saved widgets show no figure"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_sliders_change_their_figure(visits, notebook):
    """The key figure is interactive without a kernel: every precomputed plotly slider works."""
    result = visits(notebook)
    assert not result.slider_failures, f"{notebook.stem}:\n" + "\n".join(result.slider_failures)
    assert result.sliders, f"{notebook.stem}: no plotly figure with a slider of two or more steps"
