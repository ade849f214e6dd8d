"""Committed chapters: no outputs, the Colab install cell first, a parameters cell with seed and quick."""
from __future__ import annotations

import ast
import re
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
    assert code_cells[0].source == colab_cell_source(), \
        "first cell must be the Colab install cell (tools/colab_cell.py)"
    assert "remove-cell" in code_cells[0].metadata.get("tags", []), "the Colab cell must be hidden on the website"
    params = code_cells[1]
    assert "parameters" in params.metadata.get("tags", []), "second code cell must be tagged 'parameters'"
    for name in ("seed", "quick"):
        assert f"\n{name} =" in "\n" + params.source, f"parameters cell must define {name}"


# Names that book/notation.md retired: the parameters cells use d (embedding dimension), width/widths (M) and lr.
RETIRED_PARAMETERS = ("output_dim", "embedding_dim", "embed_dim", "dt", "h", "hidden", "step_size")


def _assigned_names(source: str) -> set[str]:
    tree = ast.parse(source)
    return {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) for t in node.targets
            if isinstance(t, ast.Name)}


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_parameters_follow_the_notation(notebook):
    nb = nbformat.read(str(notebook), as_version=4)
    params = [c for c in nb.cells if c.cell_type == "code"][1]
    retired = _assigned_names(params.source) & set(RETIRED_PARAMETERS)
    assert not retired, f"parameters cell of {notebook.name} uses retired names {sorted(retired)} (book/notation.md)"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_links_the_notation_page(notebook):
    nb = nbformat.read(str(notebook), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"\{doc\}`notation`|\]\(notation\.md\)", text), \
        f"{notebook.name} must link the notation page (book/notation.md)"
