"""Pages that describe the build itself, written at build time so they can never go stale.

Directives (used by book/status.md and book/teachers.md):

``{package-versions}``
    A table of the installed version of each Python distribution named in the directive's content (one per
    line): the environment that ran the chapters and built the website.
``{served-scripts}``
    The versions of the JavaScript the website serves itself (plotly.js, MathJax, RequireJS, the ipywidgets
    embed manager); see offline_assets.py.
``{build-machine}``
    Python version, operating system and CPU count of the machine that built the website.
``{book-source}``
    The version of the book's library (``kernel_ssl.__version__``, the one place it is written) and the git
    commit the website was built from (short hash; "unknown" where git or the repository is unavailable).
``{chapter-guide}``
    One row per chapter notebook in _toc.yml: its run time when this website was built (from myst-nb's
    execution records, filled in once every chapter has run) and the parameters of its ``parameters`` cell
    with their defaults and comments, i.e. what a teacher may change for a classroom demo.
``{claims-ledger}``
    One table per chapter: every claim of ``tests/claims/<stem>.py`` (its band, as the assert states it), the
    numbers it tested in this build's execution of the chapter (the defaults the pages show), whether it held,
    and the reason for its band (tests/claims/ledger.py). Filled in once every chapter has run.
"""
from __future__ import annotations

import ast
import io
import json
import os
import platform
import subprocess
import sys
import tokenize
from importlib import metadata
from pathlib import Path

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.docutils import SphinxDirective

from offline_assets import NPM_ASSETS, npm_versions

SCRIPT_NAMES = {"mathjax": "MathJax", "requirejs": "RequireJS",
                "@jupyter-widgets/html-manager": "ipywidgets embed manager (@jupyter-widgets/html-manager)"}


def table(headers: list[str] | None, rows: list[list[nodes.Node | str]]) -> nodes.table:
    """A docutils table (no header row if ``headers`` is None); a cell is a string or a ready node."""
    tbl = nodes.table(classes=["colwidths-auto", "build-report"])
    group = nodes.tgroup(cols=len(headers or rows[0]))
    tbl += group
    group.extend(nodes.colspec(colwidth=1) for _ in (headers or rows[0]))
    if headers:
        head = nodes.thead()
        group += head
        head += nodes.row("", *(nodes.entry("", nodes.paragraph(text=h)) for h in headers))
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += nodes.row("", *(nodes.entry("", nodes.paragraph(text=c) if isinstance(c, str) else c)
                                for c in cells))
    return tbl


class PackageVersions(SphinxDirective):
    has_content = True

    def run(self) -> list[nodes.Node]:
        names = [line.strip() for line in self.content if line.strip()]
        if not names:
            raise self.error("package-versions needs one distribution name per line")
        rows = []
        for name in names:
            try:
                rows.append([name, metadata.version(name)])
            except metadata.PackageNotFoundError:
                raise self.error(f"package-versions: {name!r} is not installed in the build environment") from None
        self.env.note_reread()  # versions are read from the environment on every build
        return [table(["Package", "Version"], rows)]


class ServedScripts(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        from plotly.offline import get_plotlyjs_version

        versions = npm_versions(Path(self.env.srcdir) / "node_modules")
        rows = [["plotly.js", get_plotlyjs_version(), "the installed plotly Python package"]]
        rows += [[SCRIPT_NAMES.get(a.package, a.package), versions[a.package], f"npm package {a.package}"]
                 for a in NPM_ASSETS]
        self.env.note_reread()
        return [table(["Script", "Version", "Copied from"], rows)]


def cpu_cores() -> int:
    """CPU cores this build (and the chapters it executes) may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


class BuildMachine(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        rows = [["Python", platform.python_version()],
                ["Operating system", f"{platform.system()} {platform.release()} ({platform.machine()})"],
                ["CPU cores available to the build", str(cpu_cores())]]
        self.env.note_reread()
        return [table(None, rows)]


def library_version() -> str:
    """``kernel_ssl.__version__``: the version of the library the chapters ran with."""
    import kernel_ssl

    return kernel_ssl.__version__


def git_commit(repository: str | Path) -> str:
    """Short hash of the commit checked out in ``repository``, or "unknown" (no git, not a repository)."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repository, capture_output=True,
                              text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


class BookSource(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        try:
            version = library_version()
        except ImportError as exc:
            raise self.error(f"book-source: the kernel_ssl library does not import in the build environment: "
                             f"{exc}") from None
        rows = [["kernel_ssl", version], ["Git commit", git_commit(self.env.srcdir)]]
        self.env.note_reread()
        return [table(None, rows)]


# --- chapter guide ---------------------------------------------------------------------------------------

def chapter_docnames(env) -> list[str]:
    """Docnames of the notebooks in _toc.yml, in book order."""
    site_map = getattr(env, "external_site_map", None)
    if site_map is None:
        raise ExtensionError("chapter-guide needs the external table of contents (_toc.yml)")
    order: list[str] = []

    def walk(docname: str) -> None:
        order.append(docname)
        for tree in site_map[docname].subtrees:
            for item in tree.items:
                if isinstance(item, str) and item in site_map:  # FileItem is a str; skip URLs and globs
                    walk(str(item))

    walk(site_map.root.docname)
    return [d for d in order if str(env.doc2path(d)).endswith(".ipynb")]


def parameters(notebook: Path) -> list[tuple[str, str, str]]:
    """(name, default, comment) for each assignment in the cell tagged ``parameters``."""
    nb = json.loads(notebook.read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and "parameters" in c["metadata"].get("tags", [])]
    if not cells:
        raise ExtensionError(f"{notebook.name} has no cell tagged 'parameters'")
    source = "".join(cells[0]["source"])
    comments = {tok.start[0]: tok.string.lstrip("# ").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    out = []
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            out.append((stmt.targets[0].id, ast.get_source_segment(source, stmt.value),
                        comments.get(stmt.lineno, "")))
    return out


class chapter_guide(nodes.General, nodes.Element):
    """Placeholder, replaced once every chapter has been executed (run times are known only then)."""


class ChapterGuide(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        from myst_nb.sphinx_ import NbMetadataCollector

        for docname in chapter_docnames(self.env):
            self.env.note_dependency(str(self.env.doc2path(docname)))  # re-read when a chapter changes
        self.env.note_reread()  # and when chapters are added to the toc
        # myst-nb re-writes pages carrying this mark whenever a notebook was re-executed
        NbMetadataCollector.set_doc_data(self.env, self.env.docname, "has_exec_table", True)
        return [chapter_guide()]


def _runtime(env, docname: str) -> str:
    from myst_nb.sphinx_ import NbMetadataCollector

    data = NbMetadataCollector.get_doc_data(env).get(docname, {}).get("exec_data") or {}
    runtime = data.get("runtime")
    if runtime is None:
        return "not executed"
    return f"{runtime:.0f} s" + ("" if data.get("succeeded") else " (failed)")


class ChapterGuideTransform(SphinxPostTransform):
    default_priority = 8  # before the reference resolvers (9, 10): the title links are pending_xrefs

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(chapter_guide)):
            rows = []
            for docname in chapter_docnames(self.env):
                link = nodes.paragraph()
                link += pending_xref("", nodes.inline(text=docname), refdoc=self.env.docname, refdomain="std",
                                     reftype="doc", reftarget="/" + docname, refexplicit=False)
                params = nodes.bullet_list()
                for name, default, comment in parameters(Path(self.env.doc2path(docname))):
                    item = nodes.paragraph()
                    item += nodes.literal(text=f"{name} = {default}")
                    if comment:
                        item += nodes.Text(f": {comment}")
                    params += nodes.list_item("", item)
                rows.append([link, _runtime(self.env, docname), params])
            header = f"Run time at the defaults when this website was built ({cpu_cores()} CPU cores)"
            node.replace_self(table(["Chapter", header, "Parameters (defaults)"], rows))


class claims_ledger(nodes.General, nodes.Element):
    """Placeholder, replaced once every chapter has been executed (the ledger reads the executed notebooks)."""


class ClaimsLedger(ChapterGuide):
    def run(self) -> list[nodes.Node]:
        super().run()
        return [claims_ledger()]


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value[:6]) + (", ..." if len(value) > 6 else "") + "]"
    return str(value)


def _executed_glue(app: Sphinx, notebook: Path) -> dict | None:
    """The numbers ``notebook`` published in this build: its executed copy in jupyter-cache (None if absent)."""
    from jupyter_cache import get_cache

    from notebook_run import glued_values

    path = app.config.nb_execution_cache_path or str(Path(app.outdir).parent / ".jupyter_cache")
    try:
        cache = get_cache(path)
        record = cache.match_cache_notebook(nbformat_read(notebook))
        return glued_values(cache.get_cache_bundle(record.pk).nb)
    except (KeyError, OSError):
        return None


def nbformat_read(notebook: Path):
    import nbformat

    return nbformat.read(str(notebook), as_version=4)


class ClaimsLedgerTransform(SphinxPostTransform):
    default_priority = 8

    def run(self, **kwargs) -> None:
        nodes_found = list(self.document.findall(claims_ledger))
        if not nodes_found:
            return
        root = Path(self.app.srcdir)
        for extra in (root / "tests", root / "tests" / "claims"):
            if str(extra) not in sys.path:
                sys.path.insert(0, str(extra))
        from ledger import ledger

        out: list[nodes.Node] = []
        for docname in chapter_docnames(self.env):
            notebook = Path(self.env.doc2path(docname))
            claims = root / "tests" / "claims" / f"{notebook.stem}.py"
            glued = _executed_glue(self.app, notebook)
            title = nodes.paragraph()
            title += nodes.strong(text=notebook.stem)
            if glued is None or not claims.is_file():
                title += nodes.Text(": not executed in this build" if glued is None else ": no claims module")
                out.append(title)
                continue
            entries = ledger(claims, glued)
            title += nodes.Text(f": {sum(e.held for e in entries)} of {len(entries)} claims hold")
            rows = [[nodes.literal(text=e.band), ", ".join(f"{k} = {_short(v)}" for k, v in e.values.items()),
                     "yes" if e.held else "NO", e.reason] for e in entries]
            out += [title, table(["Claim (band)", "Value in this build", "Holds", "Why this band"], rows)]
        for node in nodes_found:
            node.replace_self([n.deepcopy() for n in out])


def setup(app: Sphinx) -> dict:
    sys.path.insert(0, str(Path(__file__).parent))
    app.add_directive("package-versions", PackageVersions)
    app.add_directive("served-scripts", ServedScripts)
    app.add_directive("build-machine", BuildMachine)
    app.add_directive("book-source", BookSource)
    app.add_node(chapter_guide)
    app.add_directive("chapter-guide", ChapterGuide)
    app.add_post_transform(ChapterGuideTransform)
    app.add_node(claims_ledger)
    app.add_directive("claims-ledger", ClaimsLedger)
    app.add_post_transform(ClaimsLedgerTransform)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
