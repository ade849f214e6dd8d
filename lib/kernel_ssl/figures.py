"""Plotly figure builders, one function per kind of figure. Measured data are solid markers/lines;
theory predictions are dashed, so a reader can always tell prediction from measurement."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from .validation import as_finite_array

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
THEORY_DASH = "dash"


def base_layout(fig: go.Figure, title: str, xaxis: str, yaxis: str, height: int = 420) -> go.Figure:
    """Common layout: title, axis labels, white template, legend inside the figure."""
    fig.update_layout(title=title, xaxis_title=xaxis, yaxis_title=yaxis, template="plotly_white",
                      height=height, margin=dict(l=60, r=20, t=60, b=50),
                      legend=dict(bgcolor="rgba(255,255,255,0.7)"))
    return fig


def loglog_measurements(x: Sequence[float], series: Mapping[str, np.ndarray], title: str, xaxis: str,
                        yaxis: str, reference_slope: float | None = None, reference_label: str = "",
                        fitted_slopes: Mapping[str, float] | None = None) -> go.Figure:
    """Log-log plot of measurements against ``x``.

    ``series`` maps a name to an array of shape ``(len(x), repeats)``; the mean is drawn with markers and
    the min-max range over repeats as error bars. A dashed reference line of slope ``reference_slope`` is
    anchored at the first series' first mean. ``fitted_slopes`` are shown in the legend.
    """
    xa = as_finite_array("x", x, ndim=1)
    fig = go.Figure()
    first_mean = None
    for i, (name, values) in enumerate(series.items()):
        vals = as_finite_array(f"series[{name!r}]", values)
        vals = vals.reshape(len(xa), -1)
        mean = vals.mean(axis=1)
        first_mean = mean if first_mean is None else first_mean
        label = name if not fitted_slopes or name not in fitted_slopes else f"{name} (slope {fitted_slopes[name]:.2f})"
        fig.add_trace(go.Scatter(
            x=xa, y=mean, mode="lines+markers", name=label, line=dict(color=PALETTE[i % len(PALETTE)]),
            error_y=dict(type="data", symmetric=False, array=vals.max(axis=1) - mean,
                         arrayminus=mean - vals.min(axis=1), thickness=1)))
    if reference_slope is not None and first_mean is not None:
        ref = first_mean[0] * (xa / xa[0]) ** reference_slope
        fig.add_trace(go.Scatter(x=xa, y=ref, mode="lines", name=reference_label or f"slope {reference_slope:g}",
                                 line=dict(color="black", dash=THEORY_DASH)))
    base_layout(fig, title, xaxis, yaxis)
    fig.update_xaxes(type="log", exponentformat="power")
    fig.update_yaxes(type="log", exponentformat="power")
    return fig


def curves(t: np.ndarray, measured: Mapping[str, np.ndarray], title: str, xaxis: str, yaxis: str,
           predicted: Mapping[str, np.ndarray] | None = None, log_x: bool = False,
           log_y: bool = False) -> go.Figure:
    """Curves against time: each measured series solid, each predicted series (same names) dashed."""
    ta = as_finite_array("t", t, ndim=1)
    fig = go.Figure()
    for i, (name, y) in enumerate(measured.items()):
        fig.add_trace(go.Scatter(x=ta, y=as_finite_array(f"measured[{name!r}]", y, ndim=1), mode="lines",
                                 name=name, line=dict(color=PALETTE[i % len(PALETTE)])))
        if predicted and name in predicted:
            fig.add_trace(go.Scatter(x=ta, y=as_finite_array(f"predicted[{name!r}]", predicted[name], ndim=1),
                                     mode="lines", name=f"{name} (theory)",
                                     line=dict(color=PALETTE[i % len(PALETTE)], dash=THEORY_DASH)))
    base_layout(fig, title, xaxis, yaxis)
    if log_x:
        fig.update_xaxes(type="log")
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def kernel_heatmap(kernel: np.ndarray, title: str, colorscale: str = "Viridis") -> go.Figure:
    """A Gram matrix as a heatmap (row 0 at the top)."""
    k = as_finite_array("kernel", kernel, ndim=2)
    fig = go.Figure(go.Heatmap(z=k, colorscale=colorscale))
    base_layout(fig, title, "index", "index", height=420)
    fig.update_yaxes(autorange="reversed", scaleanchor="x")
    return fig


def slider_curves(x: np.ndarray, frames: Mapping[str, np.ndarray], reference: np.ndarray, title: str,
                  xaxis: str, yaxis: str, slider_label: str, frame_name: str = "measured",
                  reference_name: str = "theory", active: int = 0) -> go.Figure:
    """A measured curve that changes with a slider (one precomputed step per entry of ``frames``) over a
    fixed dashed reference curve. Works on the static website: no kernel is needed to move the slider."""
    xa = as_finite_array("x", x, ndim=1)
    ref = as_finite_array("reference", reference, ndim=1)
    if not frames:
        raise ValueError("frames must hold at least one curve")
    labels = list(frames)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=xa, y=ref, mode="lines", name=reference_name,
                             line=dict(color="black", dash=THEORY_DASH)))
    for i, label in enumerate(labels):
        fig.add_trace(go.Scatter(x=xa, y=as_finite_array(f"frames[{label!r}]", frames[label], ndim=1),
                                 mode="markers", name=f"{frame_name}, {label}", visible=(i == active),
                                 marker=dict(color=PALETTE[0], size=6)))
    steps = []
    for i, label in enumerate(labels):
        visible = [True] + [j == i for j in range(len(labels))]
        steps.append(dict(method="update", label=label, args=[{"visible": visible}]))
    fig.update_layout(sliders=[dict(active=active, currentvalue=dict(prefix=f"{slider_label}: "),
                                    pad=dict(t=50), steps=steps)])
    base_layout(fig, title, xaxis, yaxis, height=480)
    return fig
