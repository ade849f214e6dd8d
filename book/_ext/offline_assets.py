"""Serve every script the website needs from the book itself, so that each page works with no network access.

Jupyter Book loads MathJax and the ipywidgets embed manager (RequireJS + ``embed-amd.js``) from CDNs by
default, and plotly figures need plotly.js. This extension copies them at build time into
``_static/vendor/`` of the output:

- plotly.js from the installed ``plotly`` Python package (the version that wrote the figures), added only to
  the pages that hold a plotly figure;
- MathJax 3, RequireJS and ``@jupyter-widgets/html-manager`` from ``node_modules/`` (pinned in
  ``package.json``/``package-lock.json``, installed by ``make assets``, i.e. ``npm ci``).

MathJax and the widget scripts are added to pages by Sphinx and myst-nb themselves (only on pages with math,
resp. with saved widget state); ``_config.yml`` points ``mathjax_path`` and ``nb_ipywidgets_js`` at the
copies. This extension refuses to build when either still points off-site or at a file it did not stage.

The files are staged in a folder of the build directory that is added to ``html_static_path``; it is not
the book's ``_static`` folder, whose scripts Jupyter Book would add to every page.
"""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

VENDOR = "vendor"
PLOTLY_JS = f"{VENDOR}/plotly.min.js"
# Loaded after RequireJS and before embed-amd.js (see nb_ipywidgets_js in _config.yml). Two things the embed
# manager gets wrong when served from anywhere but its CDN:
# - it computes the folder of its font files from its AMD module name, relative to the *page*; a RequireJS
#   path and __jupyter_widgets_assets_path__ point it at this script's own folder instead;
# - its widgets typeset their labels with the MathJax 2 API (MathJax.Hub.Queue), which MathJax 3 lacks
#   (every label raised an error); the call is forwarded to MathJax 3's typesetPromise.
EMBED_SETUP_JS = """// Written by book/_ext/offline_assets.py (see the comments there).
(function () {
  var here = document.currentScript.src.replace(/[^/]*$/, "");
  window.__jupyter_widgets_assets_path__ = here;
  window.requirejs.config({paths: {"@jupyter-widgets/html-manager/dist": here.slice(0, -1)}});
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (!mj || !mj.startup || mj.Hub) { return; }
    mj.Hub = {Queue: function () {
      Array.prototype.forEach.call(arguments, function (command) {
        if (Array.isArray(command) && command[0] === "Typeset" && command[2]) {
          mj.startup.promise = mj.startup.promise.then(function () { return mj.typesetPromise([command[2]]); });
        }
      });
    }};
  });
})();
"""
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")


@dataclass(frozen=True)
class NpmAsset:
    """A file or folder of an npm package copied to ``vendor/<target>``."""

    package: str
    source: str  # path inside the package
    target: str  # path inside vendor/
    # for a folder: the only files of its top level that are copied (None: all); its subfolders are copied whole
    top_files: tuple[str, ...] | None = None


NPM_ASSETS = (
    # MathJax: the combined component the pages load (tex-mml-chtml.js) and the folders it loads extensions,
    # fonts and menu options from; not the dozen other combined components (12 MB) no page uses.
    NpmAsset("mathjax", "es5", "mathjax", top_files=("tex-mml-chtml.js", "core.js", "loader.js", "startup.js")),
    NpmAsset("requirejs", "require.js", "widgets/require.js"),
    NpmAsset("@jupyter-widgets/html-manager", "dist/embed-amd.js", "widgets/embed-amd.js"),
)
HINT = "Install them with `make assets` (runs `npm ci` on package-lock.json; needs node and npm)."


def _plotly_js() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise ExtensionError(f"plotly.min.js not found in the installed plotly package at {path}")
    return path


def _package_dir(node_modules: Path, package: str) -> Path:
    path = node_modules / package
    if not (path / "package.json").is_file():
        raise ExtensionError(f"offline_assets: the npm package {package!r} is missing from {node_modules}. {HINT}")
    return path


def npm_versions(node_modules: Path) -> dict[str, str]:
    """Installed version of each npm package the website serves (shown on the status page)."""
    return {a.package: json.loads((_package_dir(node_modules, a.package) / "package.json").read_text())["version"]
            for a in NPM_ASSETS}


def _copy(source: Path, target: Path, top_files: tuple[str, ...] | None = None) -> None:
    if source.is_dir():
        def ignore(folder: str, names: list[str]) -> list[str]:
            if top_files is None or Path(folder) != source:
                return []
            return [n for n in names if (source / n).is_file() and n not in top_files]

        shutil.copytree(source, target, dirs_exist_ok=True, ignore=ignore)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def stage(node_modules: Path, staging: Path) -> list[str]:
    """Copy every served file into ``staging/vendor``; return the staged paths relative to ``staging``."""
    vendor = staging / VENDOR
    shutil.rmtree(vendor, ignore_errors=True)  # nothing stale from an earlier build
    vendor.mkdir(parents=True)
    _copy(_plotly_js(), vendor / "plotly.min.js")
    import plotly

    notice = [f"plotly.min.js: plotly.js from the Python package plotly {plotly.__version__} (MIT licence)"]
    for asset in NPM_ASSETS:
        package = _package_dir(node_modules, asset.package)
        source = package / asset.source
        if not source.exists():
            raise ExtensionError(f"offline_assets: {source} is missing (npm package {asset.package}). {HINT}")
        _copy(source, vendor / asset.target, asset.top_files)
        meta = json.loads((package / "package.json").read_text())
        notice.append(f"{asset.target}: npm package {asset.package} {meta['version']} "
                      f"({meta.get('license', 'licence: see the package')} licence)")
        for licence in package.glob("LICENSE*"):  # the licence texts of what we redistribute travel with it
            _copy(licence, vendor / "licenses" / f"{Path(asset.package).name}-{licence.name}")
    # The embed manager's FontAwesome files (webpack-hashed names next to embed-amd.js)
    html_manager = _package_dir(node_modules, "@jupyter-widgets/html-manager") / "dist"
    for font in html_manager.iterdir():
        if font.suffix in FONT_SUFFIXES:
            _copy(font, vendor / "widgets" / font.name)
    (vendor / "widgets" / "embed-setup.js").write_text(EMBED_SETUP_JS)
    (vendor / "README.txt").write_text("Third-party scripts served by this website (copied at build time by "
                                       "book/_ext/offline_assets.py):\n" + "\n".join(notice) + "\n")
    return sorted(p.relative_to(staging).as_posix() for p in vendor.rglob("*") if p.is_file())


def _check_local(setting: str, path: str, staged: set[str]) -> None:
    if "://" in path or path.startswith("//"):
        raise ExtensionError(f"offline_assets: {setting} = {path!r} loads a script from another site; point it at "
                             f"the copy under _static/{VENDOR}/ (see _config.yml)")
    if path not in staged:
        raise ExtensionError(f"offline_assets: {setting} = {path!r} is not a file this extension serves "
                             f"(expected a path relative to _static, under {VENDOR}/)")


def stage_assets(app: Sphinx) -> None:
    """Stage the vendored scripts into ``<outdir>/../offline_assets`` and register that folder."""
    if app.builder.format != "html":
        return
    staging = Path(app.outdir).parent / "offline_assets"
    staged = set(stage(Path(app.srcdir) / "node_modules", staging))
    _check_local("mathjax_path", app.config.mathjax_path, staged)
    for path in app.config.nb_ipywidgets_js:
        _check_local("nb_ipywidgets_js", path, staged)
    app.config.html_static_path.append(str(staging))


def add_plotly_where_needed(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Load plotly.js (in the page head, before the figures' inline scripts) on pages with a figure.

    Priority 400 puts it before RequireJS (500, added by myst-nb on pages with widgets): plotly.js registers
    itself as an anonymous AMD module instead of ``window.Plotly`` when RequireJS is already loaded.
    """
    if doctree is not None and "plotly-graph-div" in context.get("body", ""):
        app.add_js_file(PLOTLY_JS, priority=400)


def drop_unused_thebe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Remove sphinx-thebe's scripts when the book offers no Thebe button (Binder and Colab are its live
    options). Jupyter Book always loads sphinx-thebe; its inline configuration names thebe's URL on unpkg.com
    and is emitted twice, which is a JavaScript error on every page ("THEBE_JS_URL has already been declared").
    """
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    scripts = context.get("script_files", [])
    # in place: it is the builder's list, reset for every page, to which later handlers still add
    scripts[:] = [js for js in scripts if not (str(js.filename or "").endswith("sphinx-thebe.js")
                                               or "THEBE_JS_URL" in js.attributes.get("body", ""))]


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", stage_assets)
    app.connect("html-page-context", add_plotly_where_needed)
    app.connect("html-page-context", drop_unused_thebe, priority=900)  # after sphinx-thebe and myst-nb
    return {"version": "1.1", "parallel_read_safe": True, "parallel_write_safe": True}
