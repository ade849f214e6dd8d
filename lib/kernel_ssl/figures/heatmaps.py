"""Gram matrices as heat maps, alone or as a fixed/slider pair (precomputed: works on the static website)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..validation import as_finite_array
from .style import base_layout, visibility_slider


def kernel_heatmap(kernel: np.ndarray, title: str, colorscale: str = "Viridis") -> go.Figure:
    """A Gram matrix as a heatmap (row 0 at the top).

    Args:
        kernel: the matrix, a finite 2-D array (e.g. :math:`K`, ``(N, N)``).
        title: the figure title.
        colorscale: a plotly colour scale name.

    Returns:
        The plotly figure (square cells, 420 px high).
    """
    k = as_finite_array("kernel", kernel, ndim=2)
    fig = go.Figure(go.Heatmap(z=k, colorscale=colorscale))
    base_layout(fig, title, "index", "index", height=420)
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    return fig


def heatmap_pair_slider(base, frames: Mapping[str, np.ndarray], tick_text: Sequence[str], base_title: str,
                        induced_title: str, title: str, slider_label: str, active: int = 0) -> go.Figure:
    """Two heatmaps side by side on a common colour scale [-1, 1]: a fixed one (``base``) and one chosen with a
    slider from precomputed ``frames`` (label -> matrix). Works without a kernel (static website).

    Args:
        base: the fixed matrix (left panel), a finite 2-D array, e.g. a normalised base kernel ``(N, N)``.
        frames: slider label -> matrix of the right panel (at least one; finite 2-D arrays, values meant in
            [-1, 1], e.g. :func:`kernel_ssl.kernels.normalised_kernel` of induced kernels).
        tick_text: the tick labels of both axes of both panels, one per row/column index (e.g. point labels).
        base_title: the title of the left panel.
        induced_title: the title of the right panel.
        title: the figure title.
        slider_label: the label before the slider's current value.
        active: the index of the frame shown first, ``0..len(frames)-1``.

    Returns:
        The plotly figure with its slider (520 px high).

    Raises:
        ValueError: if ``frames`` is empty or a matrix is not a finite 2-D array.
    """
    b = as_finite_array("base", base, ndim=2)
    if not frames:
        raise ValueError("frames must hold at least one matrix")
    labels = list(frames)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(base_title, induced_title), horizontal_spacing=0.08)
    common = dict(colorscale="RdBu", zmin=-1, zmax=1, reversescale=True)
    fig.add_trace(go.Heatmap(z=b, showscale=False, **common), row=1, col=1)
    for i, label in enumerate(labels):
        z = as_finite_array(f"frames[{label!r}]", frames[label], ndim=2)
        fig.add_trace(go.Heatmap(z=z, visible=(i == active), colorbar=dict(title="k̃"), **common), row=1, col=2)
    visibility_slider(fig, labels, [None, *range(len(labels))], active, slider_label)
    base_layout(fig, title, "", "", height=520)
    ticks = dict(tickmode="array", tickvals=list(range(len(tick_text))), ticktext=list(tick_text))
    for col in (1, 2):
        fig.update_xaxes(**ticks, row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if col == 1 else col}", **ticks, row=1, col=col)
    return fig
