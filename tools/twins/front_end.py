"""The live controls in a real front end (``make front-end-check``): JupyterLab in Debian's chromium.

For each environment (``binder``: the Binder twin's, built by ``make binder-twin``; ``local``: the book's
``.venv``, the README's ``.venv/bin/jupyter lab book/``) this starts that environment's JupyterLab on localhost, opens
every chapter (a copy with ``quick = True`` appended to its parameters cell, so that a run takes seconds), runs
all cells from JupyterLab's Run menu, and checks in the page that no cell raised, that every live control
(an ipywidgets slider or dropdown above a figure) rendered, and that moving the first control of each live figure
changes its figure (asserted). The time from the key press to the changed figure in the page is reported (not
asserted; budget 300 ms end to end). Screenshots go to ``_build/screenshots/front-end/<env>-<chapter>.png``.
Requests to other hosts are blocked (the check runs offline).

    .venv/bin/python tools/twins/front_end.py [--env binder|local ...] [--chapter STEM ...]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import Request, urlopen

import nbformat
from twin import REPORTS, ROOT, TWINS, chapters, load

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "_build" / "screenshots" / "front-end"
ENVS = {"binder": TWINS / "binder", "local": ROOT / ".venv"}
RUN_TIMEOUT_S = 600
CHANGE_TIMEOUT_MS = 20_000
# The live figure's controls (ipywidgets 8 in JupyterLab) and its figure (jupyterlab-plotly's or plotly.js's div).
CONTROLS = ".widget-slider, .widget-dropdown, .widget-selection-slider, .jupyter-widget-slider"
# A chapter's code that makes live controls uses ipywidgets (kernel_ssl.widgets); one that does not (its figures are
# precomputed sliders, which the website's browser tests move) passes on running all cells without an error.
LIVE_CODE = "widgets"
SIGNATURE_JS = """(box) => { const p = box.querySelector('.js-plotly-plot');
  return p && p.data ? JSON.stringify(p.data.map(t => [t.x, t.y, t.z])) : null; }"""


@dataclass
class PageCheck:
    """One chapter in one environment's JupyterLab."""

    env: str
    chapter: str
    status: str = "fail: not run"
    run_all_s: float = 0.0
    live_figures: int = 0
    controls: int = 0
    changed: list[bool] = field(default_factory=list)
    change_ms: list[float] = field(default_factory=list)
    screenshot: str = ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(env: str, stems: list[str] | None) -> tuple[Path, list[Path]]:
    """Copies of the chapters with ``quick = True`` (the reader's demo setting) in a folder JupyterLab serves: for
    ``binder`` those of the Binder twin's checkout (its library was installed from it), else the working tree's."""
    folder = TWINS / "front-end" / env
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    copies = []
    for path in chapters():
        if stems and path.stem not in stems:
            continue
        # the chapter that matches the environment's library: the Binder twin's checkout, or the working tree
        source = TWINS / "binder-repo" / path.relative_to(ROOT) if env == "binder" else path
        nb = nbformat.read(str(source), as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        params.source += "\nquick = True  # front-end check: the reduced run"
        copies.append(folder / path.name)
        nbformat.write(nb, str(copies[-1]))
    return folder, copies


def _lab_settings() -> Path:
    """JupyterLab user settings for the check (not the reader's): every cell kept in the page (JupyterLab 4 only
    attaches the cells in view, so a cell's prompt or output could not be read otherwise), and no news prompt."""
    folder = TWINS / "front-end" / "lab-settings"
    for plugin, settings in (("@jupyterlab/notebook-extension/tracker", {"windowingMode": "none"}),
                             ("@jupyterlab/apputils-extension/notification", {"fetchNews": "false"})):
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    return folder


def start_lab(env: str, folder: Path) -> tuple[subprocess.Popen, str]:
    """That environment's JupyterLab serving ``folder`` on localhost; returns the process and its base URL."""
    jupyter = ENVS[env] / "bin" / "jupyter"
    if not jupyter.exists():
        how = "make binder-twin" if env == "binder" else "make venv"
        raise FileNotFoundError(f"{jupyter} is missing: build it first ({how})")
    port, token = _free_port(), secrets.token_hex(16)
    environ = {k: v for k, v in os.environ.items() if k not in ("KERNEL_SSL_RENDERER", "JUPYTER_PATH")}
    environ["PATH"] = f"{ENVS[env] / 'bin'}{os.pathsep}{environ['PATH']}"
    environ["JUPYTERLAB_SETTINGS_DIR"] = str(_lab_settings())
    log = open(TWINS / "front-end" / f"{env}-lab.log", "w")  # noqa: SIM115 - closed with the process
    # --allow-root: the test machines run as root (a reader's machine does not need it)
    proc = subprocess.Popen([str(jupyter), "lab", "--no-browser", "--allow-root", f"--port={port}",
                             "--ServerApp.ip=127.0.0.1",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
                             "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=None",
                             "--LabApp.collaborative=False"], env=environ, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            with urlopen(f"{base}/api/status?token={token}", timeout=2):
                # one fresh workspace per chapter (?reset): JupyterLab would otherwise reopen the previous tabs
                return proc, f"{base}/lab/workspaces/{{stem}}/tree/{{name}}?reset&token={token}"
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab ({env}) exited: see {log.name}") from None
            time.sleep(0.5)
    proc.terminate()
    raise TimeoutError(f"JupyterLab ({env}) did not answer within 120 s: see {log.name}")


def _kernel_ready(page, timeout_s: float = 180) -> None:
    """Wait until the notebook's kernel is idle; accept JupyterLab's kernel dialog (it asks when the kernel is
    slow to start) with the notebook's own kernel."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        select = page.locator(".jp-Dialog button", has_text="Select")
        if select.count():
            select.first.click()
        if "| Idle" in page.locator("#jp-main-statusbar").inner_text():
            return
        time.sleep(0.5)
    raise TimeoutError(f"the kernel was not idle within {timeout_s:.0f} s")


def _run_all(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def check_page(browser, env: str, url: str, path: Path) -> PageCheck:
    """Open ``path`` in JupyterLab, run all cells, check and move its live controls."""
    result = PageCheck(env, path.stem)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})

    def route(route_):
        if urlparse(route_.request.url).hostname in ("127.0.0.1", "localhost"):
            route_.continue_()
        else:
            route_.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        page.goto(url.format(stem=path.stem, name=path.name), wait_until="domcontentloaded", timeout=120_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        _kernel_ready(page)
        start = time.perf_counter()
        _run_all(page)
        # done: no cell queued or running ("[*]"), and the last code cell has a count (or a cell raised: the
        # queue is dropped)
        page.wait_for_function("""() => {
            const prompts = [...document.querySelectorAll('.jp-InputArea-prompt')].map(p => p.textContent);
            const code = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
            const raised = document.querySelector("[data-mime-type='application/vnd.jupyter.stderr']") !== null;
            return code.length > 0 && !prompts.some(t => t.includes('*'))
                && (raised || /\\[\\d+\\]/.test(code[code.length - 1]));
        }""", timeout=RUN_TIMEOUT_S * 1000, polling=500)
        result.run_all_s = round(time.perf_counter() - start, 1)
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                              has_text="Traceback")
        if errors.count():
            result.status = "fail: a cell raised: " + errors.first.inner_text()[-300:]
            return result
        boxes = page.locator(".jp-OutputArea-output .widget-vbox:has(.js-plotly-plot)")
        result.live_figures = boxes.count()
        result.controls = page.locator(CONTROLS).count()
        for i in range(result.live_figures):
            box = boxes.nth(i)
            box.scroll_into_view_if_needed()
            before = box.evaluate(SIGNATURE_JS)
            t0 = page.evaluate("performance.now()")
            _move_first_control(box)
            try:
                box.evaluate_handle(f"""(box, before) => new Promise((resolve, reject) => {{
                    const sig = {SIGNATURE_JS};
                    const tick = () => {{ if (sig(box) !== null && sig(box) !== before) {{
                        window.__changed = performance.now(); resolve(true); }} else requestAnimationFrame(tick); }};
                    tick(); setTimeout(() => reject(new Error('figure unchanged')), {CHANGE_TIMEOUT_MS}); }})""",
                                    before)
                result.changed.append(True)
                result.change_ms.append(round(page.evaluate("window.__changed") - t0, 1))
            except Exception:  # noqa: BLE001 - a figure that does not change is the failure reported
                result.changed.append(False)
        shot = SCREENSHOTS / f"{env}-{path.stem}.png"
        if result.live_figures:
            boxes.first.screenshot(path=str(shot))
        else:
            page.screenshot(path=str(shot))
        result.screenshot = str(shot.relative_to(ROOT))
        if not has_live_controls(path) and not result.live_figures:
            result.status = "pass (no live controls in this chapter)"
            return result
        ok = result.live_figures > 0 and result.controls > 0 and all(result.changed)
        result.status = "pass" if ok else "fail: " + ("no live figure rendered" if not result.live_figures else
                                                      "no control rendered" if not result.controls else
                                                      "a figure did not change when its control moved")
        return result
    except Exception as error:  # noqa: BLE001 - reported per chapter, the others still run
        result.status = f"fail: {type(error).__name__}: {str(error).splitlines()[0][:300]}"
        try:
            page.screenshot(path=str(SCREENSHOTS / f"{env}-{path.stem}-failed.png"))
        except Exception:  # noqa: BLE001
            pass
        return result
    finally:
        context.close()
        _shut_down_kernels(url)


def has_live_controls(path: Path) -> bool:
    """Whether the chapter's code (the Colab install cell aside) builds live ipywidgets controls."""
    nb = nbformat.read(str(path), as_version=4)
    return any(LIVE_CODE in c.source for c in nb.cells
               if c.cell_type == "code" and "colab-install" not in c.metadata.get("tags", []))


def _shut_down_kernels(url: str) -> None:
    """Stop every kernel of the server (one chapter's kernel at a time, as a reader on Binder should)."""
    parts = urlparse(url)
    base, token = f"{parts.scheme}://{parts.netloc}", parts.query.rsplit("token=", 1)[-1]
    with urlopen(f"{base}/api/kernels?token={token}", timeout=10) as response:
        kernels = json.load(response)
    for kernel in kernels:
        request = Request(f"{base}/api/kernels/{kernel['id']}?token={token}", method="DELETE")
        with urlopen(request, timeout=30):
            pass


def _move_first_control(box) -> None:
    """Move the live figure's first control (in page order) one step: a slider by an arrow key (towards the side
    it is not at), a dropdown to another option."""
    control = box.locator("select, .noUi-handle, input[type=range]").first
    if control.evaluate("e => e.tagName") == "SELECT":
        current = control.input_value()
        values = control.locator("option").evaluate_all("os => os.map(o => o.value)")
        control.select_option(next(v for v in values if v != current))
        return
    at_max = control.evaluate("e => e.getAttribute('aria-valuenow') === e.getAttribute('aria-valuemax')")
    control.focus()
    control.press("ArrowLeft" if at_max else "ArrowRight")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", action="append", choices=sorted(ENVS), help="default: both")
    parser.add_argument("--chapter", action="append", help="a chapter's stem (repeatable; default: all)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    results: list[PageCheck] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        for env in args.env or ["binder", "local"]:
            folder, copies = prepare(env, args.chapter)
            lab, url = start_lab(env, folder)
            try:
                for path in copies:
                    results.append(check_page(browser, env, url, path))
                    r = results[-1]
                    print(f"front-end {env:6s} {r.chapter:16s} {r.status[:60]:60s} run-all {r.run_all_s:6.1f} s  "
                          f"live figures {r.live_figures}  controls {r.controls}  change ms {r.change_ms}  "
                          f"({load()})", flush=True)
            finally:
                lab.terminate()
                lab.wait(timeout=30)
        browser.close()
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "front-end.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    print(f"front-end: report written to {(REPORTS / 'front-end.json').relative_to(ROOT)}")
    return 0 if results and all(r.status.startswith("pass") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
