"""Gram matrices as heat maps, alone or as a fixed/slider pair (precomputed: works on the static website)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..validation import as_finite_array, check_str
from .style import base_layout, builder, visibility_slider


@builder
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
    check_str("title", title)
    check_str("colorscale", colorscale)
    fig = go.Figure(go.Heatmap(z=k, colorscale=colorscale))
    base_layout(fig, title, "index", "index", height=420)
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    return fig


@builder
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
    if not isinstance(frames, Mapping):
        raise TypeError(f"frames must map slider labels to matrices (a dict), got {type(frames).__name__}")
    if not frames:
        raise ValueError("frames must hold at least one matrix")
    labels = list(frames)
    mats = {label: as_finite_array(f"frames[{label!r}]", frames[label], ndim=2) for label in labels}
    for label, z in mats.items():
        if z.shape != b.shape:
            raise ValueError(f"frames[{label!r}] must have the shape of base {b.shape}, got {z.shape}")
    if isinstance(tick_text, str) or not isinstance(tick_text, Sequence):
        raise TypeError(f"tick_text must be a sequence of labels (a list), got {type(tick_text).__name__}")
    if len(tick_text) != b.shape[0]:
        raise ValueError(f"tick_text must hold {b.shape[0]} labels, one per row of base, got {len(tick_text)}")
    for name, value in (("base_title", base_title), ("induced_title", induced_title), ("title", title),
                        ("slider_label", slider_label)):
        check_str(name, value)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(base_title, induced_title), horizontal_spacing=0.08)
    common = dict(colorscale="RdBu", zmin=-1, zmax=1, reversescale=True)
    fig.add_trace(go.Heatmap(z=b, showscale=False, **common), row=1, col=1)
    for i, label in enumerate(labels):
        fig.add_trace(go.Heatmap(z=mats[label], visible=(i == active), colorbar=dict(title="k̃"), **common),
                      row=1, col=2)
    visibility_slider(fig, labels, [None, *range(len(labels))], active, slider_label)
    base_layout(fig, title, "", "", height=520)
    ticks = dict(tickmode="array", tickvals=list(range(len(tick_text))), ticktext=list(tick_text))
    for col in (1, 2):
        fig.update_xaxes(**ticks, row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if col == 1 else col}", **ticks, row=1, col=col)
    return fig


def _class_ticks(labels: np.ndarray) -> dict:
    # one tick per block of equal consecutive labels, at its centre
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    ends = np.r_[starts[1:], labels.size]
    return dict(tickmode="array", tickvals=list((starts + ends - 1) / 2), ticktext=[str(labels[i]) for i in starts])


@builder
def heatmap_pair(left, right, left_labels: Sequence, right_labels: Sequence, left_title: str, right_title: str,
                 title: str) -> go.Figure:
    """Two heatmaps of different sizes side by side on a common colour scale [-1, 1], each ordered by a label
    (e.g. the class) and ticked once per block of equal labels.

    Args:
        left: the left matrix (finite, square, values meant in [-1, 1]), rows ordered by ``left_labels``.
        right: the right matrix, rows ordered by ``right_labels``.
        left_labels: one label per row of ``left``, equal labels adjacent.
        right_labels: one label per row of ``right``.
        left_title: the left panel's title.
        right_title: the right panel's title.
        title: the figure title.

    Returns:
        The plotly figure (480 px high).
    """
    mats = {"left": as_finite_array("left", left, ndim=2), "right": as_finite_array("right", right, ndim=2)}
    labs = {"left": np.asarray(left_labels), "right": np.asarray(right_labels)}
    for side in mats:
        if mats[side].shape[0] != mats[side].shape[1] or labs[side].shape != (mats[side].shape[0],):
            raise ValueError(f"{side} must be square with one {side}_labels entry per row, got {mats[side].shape} "
                             f"and {labs[side].shape}")
        if np.issubdtype(labs[side].dtype, np.number) and not np.all(np.isfinite(labs[side])):
            raise ValueError(f"{side}_labels must contain only finite values (no NaN or inf)")
    for name, value in (("left_title", left_title), ("right_title", right_title), ("title", title)):
        check_str(name, value)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(left_title, right_title), horizontal_spacing=0.08)
    common = dict(colorscale="RdBu", zmin=-1, zmax=1, reversescale=True)
    fig.add_trace(go.Heatmap(z=mats["left"], showscale=False, **common), row=1, col=1)
    fig.add_trace(go.Heatmap(z=mats["right"], colorbar=dict(title="k̃"), **common), row=1, col=2)
    base_layout(fig, title, "", "", height=480)
    for col, side in ((1, "left"), (2, "right")):
        ticks = _class_ticks(labs[side])
        fig.update_xaxes(**ticks, row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if col == 1 else col}", **ticks, row=1, col=col)
    return fig
