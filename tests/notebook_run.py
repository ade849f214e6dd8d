"""Execute chapters with papermill and read what they published with ``myst_nb.glue``."""
from __future__ import annotations

import ast
import os
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
import papermill

from toc import ROOT

RUN_DIR = ROOT / "_build" / "test-runs"
# A bound on one cell, so that a lost kernel reply fails the test instead of stalling CI for its 90 minutes:
# the slowest cell at quick=True takes about 10 s on 2 cores, so 300 s can only mean a stalled execution.
CELL_TIMEOUT_S = 300
GLUE_PREFIX = "application/papermill.record/"


@cache
def execute(notebook: Path, seed: int, run: int = 0) -> nbformat.NotebookNode:
    """Run ``notebook`` with ``quick=True`` and the given seed (cached per ``(notebook, seed, run)``)."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    out = RUN_DIR / f"{notebook.stem}-seed{seed}-run{run}.ipynb"
    os.environ["KERNEL_SSL_RENDERER"] = "book"  # inherited by the kernel: figures as HTML
    papermill.execute_notebook(str(notebook), str(out), parameters={"quick": True, "seed": seed},
                               cwd=str(notebook.parent), progress_bar=False, kernel_name="python3",
                               execution_timeout=CELL_TIMEOUT_S)
    return nbformat.read(str(out), as_version=4)


def glued_values(nb: nbformat.NotebookNode) -> dict[str, Any]:
    """Every value published with ``glue(name, value)``, parsed from its text representation."""
    values: dict[str, Any] = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is None:
                continue
            text = output.get("data", {}).get(GLUE_PREFIX + "text/plain")
            if text is None:
                values[name] = output.get("data")  # a glued figure or other rich object
                continue
            try:
                values[name] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                values[name] = text
    return values


def glued_text(nb: nbformat.NotebookNode) -> dict[str, str]:
    """The raw text representation of every published scalar (for exact reproducibility checks)."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = output.get("data", {}).get(GLUE_PREFIX + "text/plain")
            if name is not None and text is not None:
                out[name] = text
    return out
