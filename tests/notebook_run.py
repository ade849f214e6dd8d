"""Execute chapters with papermill and read what they published with ``myst_nb.glue``."""
from __future__ import annotations

import ast
import math
import os
import re
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


# A reader's kernel may already run in float64 when a chapter starts (another notebook switched it on): the
# chapter's numbers must not depend on it (kernel_ssl.precision draws independently of the switch).
FLOAT64_FIRST = 'import jax\njax.config.update("jax_enable_x64", True)'


@cache
def execute(notebook: Path, seed: int, run: int = 0, float64_first: bool = False) -> nbformat.NotebookNode:
    """Run ``notebook`` with ``quick=True`` and the given seed (cached per arguments); with ``float64_first``, a
    first cell switches JAX to float64 before the chapter imports anything."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    out = RUN_DIR / f"{notebook.stem}-seed{seed}-run{run}{'-float64-first' if float64_first else ''}.ipynb"
    os.environ["KERNEL_SSL_RENDERER"] = "book"  # inherited by the kernel: figures as HTML
    source = notebook
    if float64_first:
        nb = nbformat.read(str(notebook), as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(FLOAT64_FIRST))
        source = RUN_DIR / f"{notebook.stem}-float64-first-source.ipynb"
        nbformat.write(nb, str(source))
    papermill.execute_notebook(str(source), str(out), parameters={"quick": True, "seed": seed},
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
            values[name] = parse_glued(text)
    return values


# repr writes non-finite floats as nan / inf / -inf, which ast.literal_eval rejects: read them as floats, so
# that a NaN or inf published by a chapter reaches the finiteness checks instead of passing as a string
_NON_FINITE = re.compile(r"(?<![\w.'\"])(-?)(nan|inf)(?![\w.'\"])")


def parse_glued(text: str) -> Any:
    """A glued value from its text representation: Python literals, with ``nan``/``inf`` read as floats."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    marked = _NON_FINITE.sub(lambda m: f"'__non_finite__{m.group(1)}{m.group(2)}'", text)
    try:
        return _unmark(ast.literal_eval(marked))
    except (ValueError, SyntaxError):
        return text


def _unmark(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("__non_finite__"):
        return float(value.removeprefix("__non_finite__"))
    if isinstance(value, (list, tuple)):
        return type(value)(_unmark(v) for v in value)
    return value


def non_finite(values: dict[str, Any]) -> dict[str, Any]:
    """The published numbers (scalars, or entries of published lists) that are NaN or infinite."""
    bad = {}
    for name, value in values.items():
        entries = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in entries):
            bad[name] = value
    return bad


def glued_in_build(build_dir: Path, notebook: Path) -> dict[str, Any]:
    """The numbers the book build published for ``notebook`` (executed at its defaults, as on the website): the
    executed copy that jupyter-cache stored for exactly this notebook's code, in ``<build_dir>/_build``."""
    from jupyter_cache import get_cache

    cache = get_cache(str(build_dir / "_build" / ".jupyter_cache"))
    record = cache.match_cache_notebook(nbformat.read(str(notebook), as_version=4))  # KeyError if not executed
    return glued_values(cache.get_cache_bundle(record.pk).nb)


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
