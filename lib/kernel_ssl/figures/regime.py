"""The regime map: one measurement per (output multiplier, width) cell, chosen with a slider (precomputed: the
figure reads on the static website without a kernel)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ..validation import as_finite_array, check_str
from .style import base_layout, builder, visibility_slider


@builder
def regime_map_figure(output_scales, widths, panels: Mapping[str, np.ndarray], regions: Mapping[str, tuple[int, int]],
                      title: str) -> go.Figure:
    r"""Heat maps over the grid of output multipliers :math:`\tau` (rows) and widths :math:`M` (columns), one per
    entry of ``panels``, switched by a slider; every cell's value is written in it and ``regions`` names cells.

    Args:
        output_scales: the multipliers, ``(S,)``.
        widths: the widths, ``(W,)``.
        panels: slider label -> ``(S, W)`` array of finite values (e.g. the log10 of the kernel change).
        regions: a name -> ``(row, column)`` of the cell it is written on (e.g. ``"lazy corner": (0, W - 1)``).
        title: the figure title.

    Returns:
        The plotly figure (520 px high).
    """
    tau = as_finite_array("output_scales", output_scales, ndim=1)
    m = as_finite_array("widths", widths, ndim=1)
    check_str("title", title)
    if not isinstance(panels, Mapping) or not panels:
        raise TypeError("panels must be a non-empty mapping from button labels to (S, W) arrays")
    if not isinstance(regions, Mapping):
        raise TypeError(f"regions must map names to (row, column) cells, got {type(regions).__name__}")
    x = [f"M={int(w)}" for w in m]
    y = [f"τ={t:g}" for t in tau]
    fig = go.Figure()
    for i, (label, values) in enumerate(panels.items()):
        z = as_finite_array(f"panels[{label!r}]", values, ndim=2)
        if z.shape != (tau.shape[0], m.shape[0]):
            raise ValueError(f"panels[{label!r}] must be ({tau.shape[0]}, {m.shape[0]}), got {z.shape}")
        fig.add_trace(go.Heatmap(z=z, x=x, y=y, colorscale="Viridis", visible=i == 0, name=label,
                                 text=np.vectorize(lambda v: f"{v:.3g}")(z), texttemplate="%{text}",
                                 hovertemplate="%{y}, %{x}: %{z:.3g}<extra>" + label + "</extra>"))
    for name, cell in regions.items():
        row, col = _cell(name, cell, tau.shape[0], m.shape[0])
        fig.add_annotation(x=x[col], y=y[row], text=f"<b>{name}</b>", showarrow=False, yshift=14,
                           font={"color": "white"})
    base_layout(fig, title, "width M", "output multiplier τ", height=520)
    return visibility_slider(fig, list(panels), list(range(len(panels))), 0, "measurement")


def _cell(name: str, cell: Sequence[int], rows: int, cols: int) -> tuple[int, int]:
    if not isinstance(cell, (tuple, list)) or len(cell) != 2 or not all(isinstance(c, (int, np.integer))
                                                                         for c in cell):
        raise TypeError(f"regions[{name!r}] must be a (row, column) pair of ints, got {cell!r}")
    row, col = int(cell[0]), int(cell[1])
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"regions[{name!r}] = {cell!r} is outside the {rows} x {cols} grid")
    return row, col
