"""How chapters render plotly figures, in the book build and in a live kernel.

plotly's default mimetype in a kernel is dropped by myst-nb (the figure would be silently missing from the
page), and its ``notebook`` renderer inlines 4.6 MB of plotly.js into every page. In the book build
(``KERNEL_SSL_RENDERER=book``, set by the Makefile and the tests) figures are written as plain HTML that
expects the plotly.js the book itself serves (``book/_ext/offline_assets.py`` adds it to the pages that
hold a figure). Anywhere else (Binder, Colab, a local Jupyter) plotly's own default renderer is kept.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

BOOK_RENDERER = "kernel_ssl_book"
ENV_VAR = "KERNEL_SSL_RENDERER"


class BookHtmlRenderer(MimetypeRenderer):
    """Render a figure as a ``text/html`` fragment without plotly.js (the page provides it)."""

    def to_mimebundle(self, fig_dict):
        """The figure (a plotly figure dict) as ``{"text/html": fragment}``, without plotly.js."""
        html = pio.to_html(fig_dict, include_plotlyjs=False, full_html=False, validate=False,
                           config={"displaylogo": False, "responsive": True})
        return {"text/html": html}


def configure_plotly(renderer: str | None = None) -> str:
    """Select the renderer for this kernel and return its name.

    ``renderer=None`` reads ``$KERNEL_SSL_RENDERER``: ``"book"`` selects the book's HTML renderer; unset or
    ``"auto"`` keeps plotly's default (which plotly picks for Colab, JupyterLab or a classic notebook).
    """
    choice = renderer if renderer is not None else os.environ.get(ENV_VAR, "auto")
    if choice not in ("book", "auto"):
        raise ValueError(f"renderer must be 'book' or 'auto' (or ${ENV_VAR} unset), got {choice!r}")
    if choice == "book":
        pio.renderers[BOOK_RENDERER] = BookHtmlRenderer()
        pio.renderers.default = BOOK_RENDERER
    return pio.renderers.default


def in_colab() -> bool:
    """True inside Google Colab (used by the chapters' install cell and widget set-up)."""
    return "COLAB_RELEASE_TAG" in os.environ or "google.colab" in __import__("sys").modules


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence], fmt: str = ".3g") -> str:
    """A Markdown table (for ``IPython.display.Markdown``): numbers formatted with ``fmt``, other cells as text.

    Args:
        headers: the column names (at least one).
        rows: the rows, each with one cell per header; integers are written exactly, floats with ``fmt``,
            anything else (booleans included) with ``str``.
        fmt: the format spec of float cells (as in ``format(x, fmt)``).

    Returns:
        The table as Markdown text, one line per row after the header and separator lines.

    Raises:
        ValueError: if ``headers`` is empty or a row has the wrong number of cells.
    """
    if isinstance(headers, str) or not isinstance(headers, Sequence):
        raise TypeError(f"headers must be a list of column names, got {type(headers).__name__}")
    if not headers:
        raise ValueError("headers must name at least one column")
    for j, h in enumerate(headers):
        if not isinstance(h, str):
            raise TypeError(f"headers[{j}] must be a string, got {type(h).__name__}")
    if isinstance(rows, str) or not isinstance(rows, Sequence):
        raise TypeError(f"rows must be a list of rows (sequences of cells), got {type(rows).__name__}")
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format spec string such as '.3g', got {type(fmt).__name__}")
    try:
        format(1.0, fmt)
    except ValueError as exc:
        raise ValueError(f"fmt must be a format spec for floats such as '.3g', got {fmt!r}") from exc
    for i, row in enumerate(rows):
        if isinstance(row, str) or not isinstance(row, Sequence):
            raise TypeError(f"rows[{i}] must be a sequence of cells, got {type(row).__name__}")
        if len(row) != len(headers):
            raise ValueError(f"rows[{i}] must have {len(headers)} cells (one per header), got {len(row)}")
        for j, v in enumerate(row):
            # a NaN or inf in a table the reader sees is a failed run, never a result to quote
            if isinstance(v, (float, np.floating)) and not np.isfinite(v):
                raise ValueError(f"rows[{i}][{j}] is {v}: a table cell must be a finite number (the run that "
                                 f"computes it failed or diverged)")
            if isinstance(v, (complex, np.complexfloating)):
                raise TypeError(f"rows[{i}][{j}] must be a real number or text, got complex {v!r}")

    def cell(v):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            return format(float(v), fmt)
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
