"""Serve the book's JavaScript from the book itself, so that every page works with no network access.

plotly.js is copied at build time from the installed ``plotly`` package (the same version that wrote the
figures) into ``_static/vendor/`` of the output, and added only to the pages that hold a plotly figure.
The files are staged in a folder of the build directory that is added to ``html_static_path``; it is
not the book's ``_static`` folder, whose scripts Jupyter Book would add to every page.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.application import Sphinx

VENDOR = "vendor"
PLOTLY_JS = f"{VENDOR}/plotly.min.js"


def _plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"plotly.min.js not found in the installed plotly package at {path}")
    return path


def stage_assets(app: Sphinx) -> None:
    """Copy the vendored scripts into ``<outdir>/../offline_assets/vendor`` and register that folder."""
    if app.builder.format != "html":
        return
    staging = Path(app.outdir).parent / "offline_assets"
    target = staging / VENDOR
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(_plotly_js(), target / "plotly.min.js")
    app.config.html_static_path.append(str(staging))


def add_plotly_where_needed(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Load plotly.js (in the page head, before the figures' inline scripts) on pages with a figure."""
    if doctree is not None and "plotly-graph-div" in context.get("body", ""):
        app.add_js_file(PLOTLY_JS, priority=400)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", stage_assets)
    app.connect("html-page-context", add_plotly_where_needed)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
