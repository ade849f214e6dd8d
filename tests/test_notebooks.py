"""Run every chapter listed in _toc.yml with papermill (quick=True) and check what it claims.

Each chapter ``book/<stem>.ipynb`` has a claims module ``tests/claims/<stem>.py`` with ``check(glued)``,
which asserts the numbers the chapter published with ``myst_nb.glue``. Claims must hold for any seed: they
are checked for two seeds. A second run with the first seed must publish identical numbers.
"""
from __future__ import annotations

import importlib.util
import re

import pytest

from notebook_run import execute, glued_text, glued_values, non_finite
from toc import ROOT, chapter_notebooks

CHAPTERS = chapter_notebooks()
SEEDS = (0, 1)
# mimetypes myst-nb renders in HTML; an output with none of them is dropped from the page
RENDERABLE = {"text/html", "image/svg+xml", "image/png", "image/jpeg", "text/markdown", "text/latex",
              "text/plain", "application/javascript", "application/vnd.jupyter.widget-view+json"}
IDS = [p.stem for p in CHAPTERS]


def load_claims(stem: str):
    path = ROOT / "tests" / "claims" / f"{stem}.py"
    if not path.is_file():
        pytest.fail(f"chapter {stem} has no claims module {path.relative_to(ROOT)}")
    spec = importlib.util.spec_from_file_location(f"claims_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_toc_lists_chapters():
    assert CHAPTERS, "_toc.yml lists no notebook"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("notebook", CHAPTERS, ids=IDS)
def test_chapter_runs_clean(notebook, seed):
    nb = execute(notebook, seed)
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", \
                f"cell {i} raised {output.get('ename')}: {output.get('evalue')}"
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                pytest.fail(f"cell {i} wrote to stderr (it would reach the page):\n{output.get('text', '')[:500]}")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("notebook", CHAPTERS, ids=IDS)
def test_chapter_claims(notebook, seed):
    glued = glued_values(execute(notebook, seed))
    assert not non_finite(glued), f"published numbers that are not finite: {non_finite(glued)}"
    load_claims(notebook.stem).check(glued)


@pytest.mark.parametrize("notebook", CHAPTERS, ids=IDS)
def test_every_output_renders_in_html(notebook):
    """A plotly figure must carry text/html (myst-nb drops plotly's own mimetype); no output may consist
    only of mimetypes myst-nb cannot render."""
    nb = execute(notebook, SEEDS[0])
    n_figures = 0
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if not data or "scrapbook" in output.get("metadata", {}):
                continue
            if "application/vnd.plotly.v1+json" in data or "plotly-graph-div" in data.get("text/html", ""):
                assert "plotly-graph-div" in data.get("text/html", ""), f"cell {i}: plotly figure without HTML"
                assert "cdn.plot.ly" not in data["text/html"], f"cell {i}: figure loads plotly.js from a CDN"
                n_figures += 1
            assert set(data) & RENDERABLE, f"cell {i}: no renderable mimetype in {sorted(data)}"
    assert n_figures >= 1, "the chapter draws no plotly figure"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=IDS)
def test_text_quotes_published_numbers(notebook):
    """Every {glue:text} reference in the text names a value the chapter published."""
    nb = execute(notebook, SEEDS[0])
    published = set(glued_values(nb))
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    referenced = set(re.findall(r"\{glue(?::text)?\}`([A-Za-z0-9_]+)", text))
    referenced |= set(re.findall(r"```\{glue:figure\}\s+([A-Za-z0-9_]+)", text))
    missing = referenced - published
    assert not missing, f"text quotes unpublished values: {sorted(missing)}"


@pytest.mark.parametrize("notebook", CHAPTERS, ids=IDS)
def test_same_seed_same_numbers(notebook):
    first = glued_text(execute(notebook, SEEDS[0], run=0))
    second = glued_text(execute(notebook, SEEDS[0], run=1))
    assert first, "the chapter published no numbers"
    assert first == second, {k: (first[k], second.get(k)) for k in first if first[k] != second.get(k)}


@pytest.mark.parametrize("notebook", CHAPTERS, ids=IDS)
def test_numbers_do_not_depend_on_float64_being_on_before_the_chapter(notebook):
    """The precision policy: draws are made in float32 and cast, and each chapter switches float64 on itself, so
    a kernel that already ran in float64 publishes the same numbers."""
    first = glued_text(execute(notebook, SEEDS[0], run=0))
    switched = glued_text(execute(notebook, SEEDS[0], run=0, float64_first=True))
    assert first == switched, {k: (first[k], switched.get(k)) for k in first if first[k] != switched.get(k)}
