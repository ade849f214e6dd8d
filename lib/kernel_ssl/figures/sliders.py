"""Figures with precomputed plotly sliders (no kernel needed to move them: they work on the static website)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..validation import as_finite_array, check_str
from .style import PALETTE, THEORY_DASH, base_layout, builder, visibility_slider


def _curve(name: str, value, n: int, axis: str = "x") -> np.ndarray:
    # a finite 1-D curve with one value per entry of the x axis (named axis)
    arr = as_finite_array(name, value, ndim=1)
    if arr.shape[0] != n:
        raise ValueError(f"{name} must have len({axis}) = {n} values, one per entry of {axis}, got {arr.shape[0]}")
    return arr


def _number(name: str, value) -> float:
    # a finite real number (an accuracy, a dimension), not a bool or a string
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        if not (isinstance(value, np.ndarray) and value.shape == () and np.issubdtype(value.dtype, np.number)
                and not np.issubdtype(value.dtype, np.complexfloating)):
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


@builder
def slider_curves(x: np.ndarray, frames: Mapping[str, np.ndarray], reference: np.ndarray, title: str,
                  xaxis: str, yaxis: str, slider_label: str, frame_name: str = "measured",
                  reference_name: str = "theory", active: int = 0) -> go.Figure:
    """A measured curve that changes with a slider (one precomputed step per entry of ``frames``) over a
    fixed dashed reference curve. Works on the static website: no kernel is needed to move the slider.

    Args:
        x: the common x values ``(k,)``.
        frames: slider label -> measured values ``(k,)`` (at least one), drawn as markers.
        reference: the dashed reference values ``(k,)`` (drawn black, always visible).
        title: the figure title.
        xaxis: the x-axis label.
        yaxis: the y-axis label.
        slider_label: the label before the slider's current value.
        frame_name: the legend name of the measured curve (``"<frame_name>, <label>"``).
        reference_name: the legend name of the reference curve.
        active: the index of the frame shown first, ``0..len(frames)-1``.

    Returns:
        The plotly figure with its slider (480 px high).

    Raises:
        ValueError: if ``frames`` is empty or an array is not finite and 1-D.
    """
    xa = as_finite_array("x", x, ndim=1)
    ref = _curve("reference", reference, xa.shape[0])
    if not isinstance(frames, Mapping):
        raise TypeError(f"frames must map slider labels to curves (a dict), got {type(frames).__name__}")
    if not frames:
        raise ValueError("frames must hold at least one curve")
    labels = list(frames)
    curves = {label: _curve(f"frames[{label!r}]", frames[label], xa.shape[0]) for label in labels}
    for name, value in (("title", title), ("xaxis", xaxis), ("yaxis", yaxis), ("slider_label", slider_label),
                        ("frame_name", frame_name), ("reference_name", reference_name)):
        check_str(name, value)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xa, y=ref, mode="lines", name=reference_name,
                             line=dict(color="black", dash=THEORY_DASH)))
    for i, label in enumerate(labels):
        fig.add_trace(go.Scatter(x=xa, y=curves[label],
                                 mode="markers", name=f"{frame_name}, {label}", visible=(i == active),
                                 marker=dict(color=PALETTE[0], size=6)))
    visibility_slider(fig, labels, [None, *range(len(labels))], active, slider_label, pad_top=50)
    base_layout(fig, title, xaxis, yaxis, height=480)
    return fig


@builder
def probe_accuracy_slider(dims: Sequence[int], panels: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]],
                          title: str, slider_label: str, active: int = 0) -> go.Figure:
    """Probe accuracy against ``d``, one panel per base kernel, one slider step per setting.

    ``panels[kernel][step]`` maps series names to arrays: ``"induced"`` (accuracy for each ``d``, solid),
    ``"base"`` (a scalar: the base-kernel probe, dotted line), ``"prediction"`` (a scalar drawn dashed: the
    derived accuracy of the unregularised induced kernel for ``d >= groups``) and ``"unregularised"`` (a pair
    ``(d, accuracy)``: the measured point that the prediction is about).

    Args:
        dims: the embedding dimensions :math:`d` on the (log) x axis, ``(k,)``.
        panels: base-kernel name -> slider step label -> the four series above (``"induced"`` of shape
            ``(k,)``); every panel must have the steps of the first one.
        title: the figure title.
        slider_label: the label before the slider's current value.
        active: the index of the step shown first.

    Returns:
        The plotly figure, one panel per base kernel, y axes shared, with its slider (500 px high).

    Raises:
        ValueError: if ``panels`` is empty.
    """
    x = as_finite_array("dims", dims, ndim=1)
    if not isinstance(panels, Mapping):
        raise TypeError(f"panels must map base-kernel names to slider steps (a dict), got {type(panels).__name__}")
    kernels_ = list(panels)
    if not kernels_:
        raise ValueError("panels must hold at least one base kernel")
    check_str("title", title)
    check_str("slider_label", slider_label)
    series = ("induced", "base", "prediction", "unregularised")
    checked: dict = {}
    for kname in kernels_:
        panel = panels[kname]
        if not isinstance(panel, Mapping) or not panel:
            raise TypeError(f"panels[{kname!r}] must map slider step labels to series (a non-empty dict)")
        if kernels_ and checked and list(panel) != list(panels[kernels_[0]]):
            raise ValueError(f"panels[{kname!r}] must have the steps of panels[{kernels_[0]!r}] "
                             f"({list(panels[kernels_[0]])}), got {list(panel)}")
        for step, s in panel.items():
            where = f"panels[{kname!r}][{step!r}]"
            if not isinstance(s, Mapping) or any(k not in s for k in series):
                raise ValueError(f"{where} must hold the series {series}")
            pair = s["unregularised"]
            if isinstance(pair, str) or np.ndim(pair) != 1 or len(pair) != 2:
                raise TypeError(f"{where}['unregularised'] must be a pair (d, accuracy), got {pair!r}")
            checked[(kname, step)] = dict(
                induced=_curve(f"{where}['induced']", s["induced"], x.shape[0], "dims"),
                base=_number(f"{where}['base']", s["base"]), prediction=_number(f"{where}['prediction']",
                                                                               s["prediction"]),
                unregularised=(_number(f"{where}['unregularised'][0]", pair[0]),
                               _number(f"{where}['unregularised'][1]", pair[1])))
    steps_ = list(panels[kernels_[0]])
    fig = make_subplots(rows=1, cols=len(kernels_), subplot_titles=kernels_, shared_yaxes=True)
    owner = []
    for col, kname in enumerate(kernels_, start=1):
        for i, step in enumerate(steps_):
            s = checked[(kname, step)]
            vis = i == active
            show = col == 1
            fig.add_trace(go.Scatter(x=x, y=s["induced"], mode="lines+markers",
                                     name="induced kernel (ridge SSL)", legendgroup="ind", showlegend=show,
                                     visible=vis, line=dict(color=PALETTE[0])), row=1, col=col)
            fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[s["base"]] * 2, mode="lines", name="base kernel",
                                     legendgroup="base", showlegend=show, visible=vis,
                                     line=dict(color=PALETTE[1], dash="dot")), row=1, col=col)
            fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[s["prediction"]] * 2, mode="lines",
                                     name="theory: unregularised, d ≥ groups", legendgroup="pred",
                                     showlegend=show, visible=vis,
                                     line=dict(color="black", dash=THEORY_DASH)), row=1, col=col)
            dx, acc = s["unregularised"]
            fig.add_trace(go.Scatter(x=[dx], y=[acc], mode="markers", name="induced, unregularised (measured)",
                                     legendgroup="unreg", showlegend=show, visible=vis,
                                     marker=dict(color=PALETTE[2], size=11, symbol="diamond")), row=1, col=col)
            owner += [i] * 4
    visibility_slider(fig, steps_, owner, active, slider_label, pad_top=50)
    base_layout(fig, title, "", "test accuracy", height=500)
    fig.update_xaxes(type="log", title_text="embedding dimension d")
    return fig
