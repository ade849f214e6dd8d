"""Committed chapters: no outputs, the Colab install cell first, a parameters cell with seed and quick."""
from __future__ import annotations

import sys

import nbformat
import pytest

from toc import ROOT, chapter_notebooks

sys.path.insert(0, str(ROOT / "tools"))
from colab_cell import colab_cell_source  # noqa: E402

CHAPTERS = chapter_notebooks()


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_committed_without_outputs(notebook):
    nb = nbformat.read(str(notebook), as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {i} of {notebook.name} has outputs"
            assert cell.execution_count is None, f"cell {i} of {notebook.name} has an execution count"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_colab_cell_then_parameters(notebook):
    nb = nbformat.read(str(notebook), as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells[0].source == colab_cell_source(), "first cell must be the Colab install cell (tools/colab_cell.py)"
    assert "remove-cell" in code_cells[0].metadata.get("tags", []), "the Colab cell must be hidden on the website"
    params = code_cells[1]
    assert "parameters" in params.metadata.get("tags", []), "second code cell must be tagged 'parameters'"
    for name in ("seed", "quick"):
        assert f"\n{name} =" in "\n" + params.source, f"parameters cell must define {name}"
