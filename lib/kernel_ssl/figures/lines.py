"""Measured-against-predicted line figures. One builder, :func:`measured_and_theory`, draws every "measured solid,
theory dashed" figure of the book; the other functions here only arrange their data for it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..validation import as_finite_array, check_bool, check_str
from .style import base_layout, builder, colour, log_axes, measured_line, theory_line

Series = tuple[np.ndarray, np.ndarray]
MODES = ("lines", "markers", "lines+markers")


def _mapping(name: str, value, allow_none: bool = False) -> Mapping:
    # a dict of legend name -> data; legend names are text
    if value is None and allow_none:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must map legend names to data (a dict), got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{name} must have string legend names, got key {key!r}")
    return value


def _labels(title, xaxis, yaxis) -> None:
    for label, value in (("title", title), ("xaxis", xaxis), ("yaxis", yaxis)):
        check_str(label, value)


def _positive(name: str, values: np.ndarray) -> None:
    # a log axis drops values <= 0 without a word: the figure would show less than the caller passed
    if np.any(values <= 0):
        raise ValueError(f"{name} must be positive (it is drawn on a log axis), got minimum {values.min():.3g}")


def _xy(name: str, series: Series) -> tuple[np.ndarray, np.ndarray]:
    try:
        x, y = series
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a pair (x, y) of 1-D arrays") from exc
    xa = as_finite_array(f"{name} x", x, ndim=1)
    ya = as_finite_array(f"{name} y", y, ndim=1)
    if xa.shape != ya.shape:
        raise ValueError(f"{name} must have x and y of equal length, got {xa.shape} and {ya.shape}")
    return xa, ya


@builder
def measured_and_theory(measured: Mapping[str, Series], theory: Mapping[str, Series] | None = None,
                        title: str = "", xaxis: str = "", yaxis: str = "", mode: str = "lines",
                        log_x: bool = False, log_y: bool = False, height: int = 420) -> go.Figure:
    """Each measured series ``measured[name] = (x, y)`` drawn solid (``mode``: lines, markers or both) in its own
    colour; each prediction ``theory[name] = (x, y)`` drawn dashed, in the colour of the measured series of the same
    name (legend "name (theory)") or in black if no measured series has that name.

    Args:
        measured: legend name -> ``(x, y)``, two finite 1-D arrays of equal length (the measurements).
        theory: legend name -> ``(x, y)`` of a prediction (default none); a name shared with ``measured`` pairs
            the two series.
        title: the figure title.
        xaxis: the x-axis label.
        yaxis: the y-axis label.
        mode: how measurements are drawn, ``"lines"``, ``"markers"`` or ``"lines+markers"``.
        log_x: log-scale x axis.
        log_y: log-scale y axis.
        height: the figure height in pixels.

    Returns:
        The plotly figure.

    Raises:
        ValueError: if ``mode`` is unknown, there is no series at all, or a series' ``x`` and ``y`` differ in
            length (``TypeError`` if a series is not an ``(x, y)`` pair).
    """
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    measured = _mapping("measured", measured)
    theory = _mapping("theory", theory, allow_none=True)
    _labels(title, xaxis, yaxis)
    check_bool("log_x", log_x)
    check_bool("log_y", log_y)
    if not measured and not theory:
        raise ValueError("measured and theory must hold at least one series between them")
    fig = go.Figure()
    index = {name: i for i, name in enumerate(measured)}
    for name, series in measured.items():
        x, y = _xy(f"measured[{name!r}]", series)
        i = index[name]
        fig.add_trace(go.Scatter(x=x, y=y, mode=mode, name=name, legendgroup=name, line=measured_line(i),
                                 marker=dict(color=colour(i), size=8)))
    for name, series in theory.items():
        x, y = _xy(f"theory[{name!r}]", series)
        i = index.get(name)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"{name} (theory)" if i is not None else name,
                                 legendgroup=name, line=theory_line(i)))
    base_layout(fig, title, xaxis, yaxis, height=height)
    return log_axes(fig, log_x, log_y)


@builder
def curves(t, measured: Mapping[str, np.ndarray], title: str, xaxis: str, yaxis: str,
           predicted: Mapping[str, np.ndarray] | None = None, log_x: bool = False,
           log_y: bool = False, mode: str = "lines") -> go.Figure:
    r"""Series against one x axis ``t``: each measured series solid, each predicted series (same names) dashed.

    Args:
        t: the common x values ``(T,)``, e.g. the effective time :math:`t=\eta\times\text{step}` or the widths.
        measured: legend name -> values ``(T,)``.
        title: the figure title.
        xaxis: the x-axis label.
        yaxis: the y-axis label.
        predicted: legend name -> predicted values ``(T,)`` (default none).
        log_x: log-scale x axis.
        log_y: log-scale y axis.
        mode: how measurements are drawn (:data:`MODES`).

    Returns:
        The plotly figure (:func:`measured_and_theory`).
    """
    return _curves("t", t, measured, predicted, title, xaxis, yaxis, log_x, log_y, mode)


def _curves(t_name, t, measured, predicted, title, xaxis, yaxis, log_x, log_y, mode) -> go.Figure:
    # checked with the caller's names (t or x, measured, predicted) before measured_and_theory sees the series
    ta = as_finite_array(t_name, t, ndim=1)
    series = {}
    for arg, values in (("measured", _mapping("measured", measured)),
                        ("predicted", _mapping("predicted", predicted, allow_none=True))):
        series[arg] = {}
        for name, y in values.items():
            ya = as_finite_array(f"{arg}[{name!r}]", y, ndim=1)
            if ya.shape != ta.shape:
                raise ValueError(f"{arg}[{name!r}] must have one value per entry of {t_name} ({ta.shape[0]}), got "
                                 f"shape {ya.shape}")
            series[arg][name] = (ta, ya)
    return measured_and_theory(series["measured"], series["predicted"], title, xaxis, yaxis, mode=mode,
                               log_x=log_x, log_y=log_y)


@builder
def markers_with_theory(x, measured: Mapping[str, np.ndarray], predicted: Mapping[str, np.ndarray], title: str,
                        xaxis: str, yaxis: str, log_x: bool = False, log_y: bool = False) -> go.Figure:
    """:func:`curves` with the measurements as markers (one per x value, e.g. per width) and predictions dashed."""
    # checked with the caller's names (x, not curves' t)
    return _curves("x", x, measured, predicted, title, xaxis, yaxis, log_x, log_y, "markers")


@builder
def series_with_reference(series: Mapping[str, Series], title: str, xaxis: str, yaxis: str,
                          reference: tuple[str, float] | None = None, log_x: bool = False,
                          log_y: bool = False) -> go.Figure:
    """Measured curves with their own x values (``series[name] = (x, y)``, solid) and an optional dashed
    horizontal reference ``(name, value)`` (a derived prediction) across their common x range.

    Args:
        series: legend name -> ``(x, y)``, two finite 1-D arrays of equal length.
        title: the figure title.
        xaxis: the x-axis label.
        yaxis: the y-axis label.
        reference: ``(legend name, value)`` of the dashed horizontal line, or None.
        log_x: log-scale x axis.
        log_y: log-scale y axis.

    Returns:
        The plotly figure (:func:`measured_and_theory`).

    Raises:
        ValueError: if ``reference`` is given but ``series`` is empty.
    """
    # checked here so that an error names the caller's argument (series, not measured_and_theory's measured)
    series = {n: _xy(f"series[{n!r}]", s) for n, s in _mapping("series", series).items()}
    theory = {}
    if reference is not None:
        if not (isinstance(reference, tuple) and len(reference) == 2 and isinstance(reference[0], str)):
            raise TypeError(f"reference must be a pair (legend name, value), got {reference!r}")
        if isinstance(reference[1], bool) or not isinstance(reference[1], (int, float, np.integer, np.floating)) \
                or not np.isfinite(reference[1]):
            raise ValueError(f"reference must be (legend name, finite value), got value {reference[1]!r}")
        xs = [x for x, _ in series.values()]
        if not xs:
            raise ValueError("series must hold at least one curve to place the reference on")
        lo, hi = min(float(x.min()) for x in xs), max(float(x.max()) for x in xs)
        name, value = reference
        theory[name] = (np.array([lo, hi]), np.full(2, float(value)))
    return measured_and_theory(series, theory, title, xaxis, yaxis, log_x=log_x, log_y=log_y)


@builder
def loglog_measurements(x: Sequence[float], series: Mapping[str, np.ndarray], title: str, xaxis: str,
                        yaxis: str, reference_slope: float | None = None, reference_label: str = "",
                        fitted_slopes: Mapping[str, float] | None = None) -> go.Figure:
    """Log-log plot of measurements against ``x``.

    ``series`` maps a name to an array of shape ``(len(x), repeats)``; the mean is drawn with markers and
    the min-max range over repeats as error bars. A dashed reference line of slope ``reference_slope`` is
    anchored at the first series' first mean. ``fitted_slopes`` are shown in the legend.

    Args:
        x: the x values ``(k,)``, positive (log axes).
        series: legend name -> positive measurements ``(k, repeats)`` (or ``(k,)``: one repeat).
        title: the figure title.
        xaxis: the x-axis label.
        yaxis: the y-axis label.
        reference_slope: the slope of the dashed reference line (e.g. ``-0.5`` for a :math:`M^{-1/2}` rate),
            or None for no line.
        reference_label: its legend name (default ``"slope <reference_slope>"``).
        fitted_slopes: legend name -> fitted slope, appended to that series' legend entry.

    Returns:
        The plotly figure, both axes logarithmic.

    Raises:
        ValueError: if a series' size is not a multiple of ``len(x)``.
    """
    xa = as_finite_array("x", x, ndim=1)
    _positive("x", xa)
    series = _mapping("series", series)
    _labels(title, xaxis, yaxis)
    check_str("reference_label", reference_label)
    if reference_slope is not None and (isinstance(reference_slope, bool) or not isinstance(
            reference_slope, (int, float, np.integer, np.floating)) or not np.isfinite(reference_slope)):
        raise ValueError(f"reference_slope must be a finite number or None, got {reference_slope!r}")
    for name, slope in _mapping("fitted_slopes", fitted_slopes, allow_none=True).items():
        if isinstance(slope, bool) or not isinstance(slope, (int, float, np.integer, np.floating)) \
                or not np.isfinite(slope):
            raise ValueError(f"fitted_slopes[{name!r}] must be a finite number, got {slope!r}")
    fig = go.Figure()
    first_mean = None
    for i, (name, values) in enumerate(series.items()):
        vals = as_finite_array(f"series[{name!r}]", values)
        if vals.size % len(xa):
            raise ValueError(f"series[{name!r}] must have len(x) = {len(xa)} rows, got shape {vals.shape}")
        vals = vals.reshape(len(xa), -1)
        mean = vals.mean(axis=1)
        first_mean = mean if first_mean is None else first_mean
        label = name if not fitted_slopes or name not in fitted_slopes else f"{name} (slope {fitted_slopes[name]:.2f})"
        fig.add_trace(go.Scatter(
            x=xa, y=mean, mode="lines+markers", name=label, line=measured_line(i),
            error_y=dict(type="data", symmetric=False, array=vals.max(axis=1) - mean,
                         arrayminus=mean - vals.min(axis=1), thickness=1)))
    if reference_slope is not None and first_mean is not None:
        ref = first_mean[0] * (xa / xa[0]) ** reference_slope
        fig.add_trace(go.Scatter(x=xa, y=ref, mode="lines", name=reference_label or f"slope {reference_slope:g}",
                                 line=theory_line()))
    base_layout(fig, title, xaxis, yaxis)
    return log_axes(fig, log_x=True, log_y=True)


@builder
def eigenvalue_panels(runs: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str, yaxis: str,
                      log_y: bool = True, height: int = 420) -> go.Figure:
    r"""One panel per run (``runs[name] = (t, eigenvalues (T, d))``): every eigenvalue against log time.

    Args:
        runs: panel title -> ``(t, eigenvalues)``: the times ``(T,)`` and the eigenvalues ``(T, d)`` (e.g. the
            embedding eigenvalues :math:`c_j`); times :math:`t\le0` are left out (log axis).
        title: the figure title.
        yaxis: the y-axis label of the first panel.
        log_y: log-scale y axis (eigenvalues are then clipped below at 1e-300).
        height: the figure height in pixels.

    Returns:
        The plotly figure, one column of panels per run.

    Raises:
        ValueError: if ``runs`` is empty or a run has not one row of eigenvalues per time.
    """
    runs = _mapping("runs", runs)
    if not runs:
        raise ValueError("runs must hold at least one run")
    check_str("title", title)
    check_str("yaxis", yaxis)
    check_bool("log_y", log_y)
    names = list(runs)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, shared_yaxes=False, horizontal_spacing=0.07)
    for col, name in enumerate(names, start=1):
        try:
            t, e = runs[name]
        except (TypeError, ValueError) as exc:
            raise TypeError(f"runs[{name!r}] must be a pair (t, eigenvalues)") from exc
        ta = as_finite_array(f"runs[{name!r}] t", t, ndim=1)
        ea = as_finite_array(f"runs[{name!r}] eigenvalues", e, ndim=2)
        if ea.shape[0] != ta.shape[0]:
            raise ValueError(f"runs[{name!r}] must have one row of eigenvalues per time, got {ea.shape} for "
                             f"{ta.shape[0]} times")
        keep = ta > 0
        for j in range(ea.shape[1]):
            fig.add_trace(go.Scatter(x=ta[keep], y=np.maximum(ea[keep, j], 1e-300) if log_y else ea[keep, j],
                                     mode="lines", name=f"eigenvalue {j + 1}", legendgroup=f"m{j}",
                                     showlegend=col == 1, line=measured_line(j)),
                          row=1, col=col)
    base_layout(fig, title, "", "", height=height)
    fig.update_xaxes(type="log", exponentformat="power", title_text="effective time t")
    fig.update_yaxes(title_text=yaxis, row=1, col=1)
    return log_axes(fig, log_y=log_y)
