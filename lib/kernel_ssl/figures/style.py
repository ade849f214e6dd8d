"""The book's figure style, defined once: palette, the theory dash, the common layout, and the trace styles that
every builder uses (measured solid, theory dashed), so a reader can always tell prediction from measurement."""
from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ..validation import check_bool, check_positive_int, check_str

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
THEORY_DASH = "dash"
THEORY_COLOUR = "black"


def colour(i: int) -> str:
    """The ``i``-th series colour (cycling through :data:`PALETTE`), ``i >= 0``."""
    i = check_positive_int("i", i, minimum=0)
    return PALETTE[i % len(PALETTE)]


def measured_line(i: int) -> dict:
    """Line style of the ``i``-th measured series (solid), ``i >= 0``."""
    i = check_positive_int("i", i, minimum=0)
    return dict(color=colour(i))


def theory_line(i: int | None = None) -> dict:
    """Line style of a prediction: dashed, in the colour of measured series ``i`` (black if ``i`` is None)."""
    if i is not None:
        i = check_positive_int("i", i, minimum=0)
    return dict(color=THEORY_COLOUR if i is None else colour(i), dash=THEORY_DASH)


def base_layout(fig: go.Figure, title: str, xaxis: str, yaxis: str, height: int = 420) -> go.Figure:
    """Common layout: title, axis labels, white template, legend inside the figure.

    Args:
        fig: the figure to style (changed in place).
        title: the figure title.
        xaxis: the x-axis label (of the first subplot).
        yaxis: the y-axis label (of the first subplot).
        height: the figure height in pixels.

    Returns:
        ``fig``, styled.
    """
    _check_figure(fig)
    for name, value in (("title", title), ("xaxis", xaxis), ("yaxis", yaxis)):
        check_str(name, value)
    height = check_positive_int("height", height, minimum=10, maximum=10_000)  # plotly's own minimum is 10 px
    fig.update_layout(title=title, xaxis_title=xaxis, yaxis_title=yaxis, template="plotly_white",
                      height=height, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(bgcolor="rgba(255,255,255,0.7)"))
    return fig


def log_axes(fig: go.Figure, log_x: bool = False, log_y: bool = False) -> go.Figure:
    """Switch the x and/or y axes of every subplot to a log scale with power-of-ten tick labels.

    Args:
        fig: the figure (changed in place).
        log_x: make every x axis logarithmic.
        log_y: make every y axis logarithmic.

    Returns:
        ``fig``.
    """
    _check_figure(fig)
    check_bool("log_x", log_x)
    check_bool("log_y", log_y)
    if log_x:
        fig.update_xaxes(type="log", exponentformat="power")
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def visibility_slider(fig: go.Figure, labels: Sequence[str], owner: Sequence[int | None], active: int, prefix: str,
                      pad_top: int = 40) -> go.Figure:
    """Add a slider whose step ``i`` shows the traces that ``owner`` gives to step ``i`` (and those it gives to
    ``None``: always visible). Plotly's own ``update`` method does the switching, so the slider works on the
    static website, without a kernel.

    Args:
        fig: the figure, its traces already added.
        labels: the slider's step labels.
        owner: for every trace of ``fig``, in order, the index of the step that shows it, or None.
        active: the step shown first.
        prefix: the label before the current value.
        pad_top: space above the slider, in pixels.

    Returns:
        ``fig``, with the slider.
    """
    _check_figure(fig)
    if isinstance(labels, str) or not isinstance(labels, Sequence) or not labels:
        raise TypeError(f"labels must be a non-empty list of step labels, got {labels!r}")
    for j, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, (str, int, float)):
            raise TypeError(f"labels[{j}] must be a string (or a number), got {type(label).__name__}")
    if isinstance(owner, str) or not isinstance(owner, Sequence) or len(owner) != len(fig.data):
        raise ValueError(f"owner must give one step index (or None) per trace of fig: {len(fig.data)} entries, "
                         f"got {len(owner) if isinstance(owner, Sequence) else type(owner).__name__}")
    for j, o in enumerate(owner):
        if o is not None:
            check_positive_int(f"owner[{j}]", o, minimum=0, maximum=len(labels) - 1)
    active = check_positive_int("active", active, minimum=0, maximum=len(labels) - 1)
    check_str("prefix", prefix)
    pad_top = check_positive_int("pad_top", pad_top, minimum=0, maximum=10_000)
    steps = [dict(method="update", label=label, args=[{"visible": [o is None or o == i for o in owner]}])
             for i, label in enumerate(labels)]
    fig.update_layout(sliders=[dict(active=active, currentvalue=dict(prefix=f"{prefix}: "), pad=dict(t=pad_top),
                                    steps=steps)])
    return fig


def _check_figure(fig) -> None:
    if not isinstance(fig, go.Figure):
        raise TypeError(f"fig must be a plotly go.Figure, got {type(fig).__name__}")
