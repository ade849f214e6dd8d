"""Write a chapter notebook from a list of cells (used when creating or restructuring a chapter).

The committed ``.ipynb`` is the source of truth; this only saves typing JSON. Every chapter starts with the
Colab install cell (removed from the website) followed by the cell tagged ``parameters``.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from colab_cell import colab_cell_source


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip("\n"))


def code(text: str, tags: list[str] | None = None, **metadata) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(text.strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    cell.metadata.update(metadata)
    return cell


def figure_cell(text: str, name: str, caption: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    """A code cell whose output is a numbered, captioned figure (myst-nb ``mystnb.figure`` metadata)."""
    return code(text, tags=tags, mystnb={"figure": {"name": name, "caption": caption}})


def write_notebook(path: str | Path, cells: list[nbformat.NotebookNode]) -> None:
    colab = code(colab_cell_source(), tags=["remove-cell", "colab-install"])
    nb = nbformat.v4.new_notebook(cells=[colab, *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids: clean diffs
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
