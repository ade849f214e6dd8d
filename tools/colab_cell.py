"""The first cell of every chapter: in Colab it installs what the chapters need on top of Colab's own packages and
the book's library at the book's own release; elsewhere it does nothing.

Kept here so that all chapters carry the same cell (tests/test_notebook_structure.py checks that each chapter's
first cell equals ``colab_cell_source()``; tests/test_colab.py checks what the cell installs). The cell

- changes only what the chapters need (``colab/requirements.txt``, then ``colab/requirements-no-deps.txt`` with
  ``--no-deps``): Colab's TensorFlow, numpy, plotly, ipywidgets, ipykernel and Jupyter stay as they are;
- installs with ``%pip`` (Colab offers its "Restart session" button only for ``%pip``/``!pip``, not for pip run
  through ``subprocess``);
- installs the library from the release tag ``v<kernel_ssl.__version__>`` (CHANGELOG.md, "Versions and releases"),
  never the latest commit; the version is read from lib/kernel_ssl/__init__.py by a regular expression (this tool
  must not import the library);
- selects plotly's ``colab`` renderer (the book's HTML renderer is for the website only).

Usage::

    python tools/colab_cell.py            # print the cell
    python tools/colab_cell.py --write    # rewrite the first code cell of every chapter in _toc.yml (ids kept)
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INIT = ROOT / "lib" / "kernel_ssl" / "__init__.py"
COLAB = ROOT / "colab"
# The package name of the library (pyproject.toml [project].name): the cell asks importlib.metadata for it.
DIST = "kernel-ssl"

TEMPLATE = '''# Colab only: install what the chapters need on top of Colab's own packages, then the book's library
# kernel-ssl {version} (release tag {ref}). Outside Colab this cell does nothing. Written by tools/colab_cell.py.
import sys
if "google.colab" in sys.modules:
    from importlib.metadata import PackageNotFoundError, version
    try:
        _kernel_ssl = version("{dist}")
    except PackageNotFoundError:
        _kernel_ssl = None
    if _kernel_ssl != "{version}":
        %pip install --quiet {pins}
        %pip install --quiet --no-deps {no_deps}
        %pip install --quiet --no-deps "{dist} @ git+{url}@{ref}"
        print("Installed. Restart the session now (Runtime > Restart session), then run all cells from the top.")
    import plotly.io as pio
    pio.renderers.default = "colab"  # figures drawn by Colab's front end'''

VERSION = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([A-Za-z0-9_.+\-]+)$")


def repository_url() -> str:
    """The repository URL: the one setting in _config.yml that launch buttons and this cell use."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"]


def library_version(init: Path = INIT) -> str:
    """``__version__`` as written in lib/kernel_ssl/__init__.py (read as text: the library is not imported)."""
    match = VERSION.search(init.read_text())
    if not match:
        raise ValueError(f"{init} must assign __version__ = '<version>' on a line of its own")
    return match.group(1)


def release_ref(version: str) -> str:
    """The git tag of a release: ``v<version>`` (CHANGELOG.md, "Versions and releases")."""
    return f"v{version}"


def colab_pins(name: str) -> list[str]:
    """The ``name==version`` lines of ``colab/<name>`` (comments and blank lines skipped); only exact pins."""
    pins = []
    for number, line in enumerate((COLAB / name).read_text().splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not PIN.match(line):
            raise ValueError(f"colab/{name} line {number}: expected an exact pin 'name==version', got {line!r}")
        pins.append(line)
    if not pins:
        raise ValueError(f"colab/{name} pins nothing")
    return pins


def colab_cell_source(url: str | None = None, ref: str | None = None, version: str | None = None) -> str:
    """The install cell for the repository ``url`` (default: _config.yml's) at the git ``ref`` (default: the
    release tag of ``version``, itself by default the library's ``__version__``). The twins pass a local clone's
    URL; the committed chapters carry the defaults."""
    version = version or library_version()
    return TEMPLATE.format(url=url or repository_url(), ref=ref or release_ref(version), version=version, dist=DIST,
                           pins=" ".join(colab_pins("requirements.txt")),
                           no_deps=" ".join(colab_pins("requirements-no-deps.txt")))


def chapters() -> list[Path]:
    """The chapter notebooks of _toc.yml (tests/toc.py is the one reader of the table of contents)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from toc import chapter_notebooks

    return chapter_notebooks()


def write_cells(paths: list[Path], source: str) -> list[Path]:
    """Replace the first code cell's source of every notebook in ``paths`` by ``source`` (its id, tags and other
    metadata kept); returns the notebooks that changed."""
    import nbformat

    changed = []
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        if first.source != source:
            first.source = source
            nbformat.write(nb, str(path))
            changed.append(path)
    return changed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the first code cell of every chapter")
    args = parser.parse_args()
    if args.write:
        for path in write_cells(chapters(), colab_cell_source()):
            print(f"rewrote the install cell of {path.relative_to(ROOT)}")
    else:
        print(colab_cell_source())
