"""Figures of the chapter *Learning dynamics on the Grassmannian*: a plane in R^3 with a time slider, collapse of
the unconstrained descent, principal angles and convergence rates, and the width sweeps of the two-layer model."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..linalg import principal_angles
from ..validation import as_finite_array, check_positive_float, check_str
from .lines import curves, loglog_measurements, measured_and_theory
from .style import PALETTE, THEORY_COLOUR, THEORY_DASH, base_layout, builder, colour


def _per_time(name: str, value, n_times: int, ndim: int) -> np.ndarray:
    # a finite array with one row (ndim 2) or value (ndim 1) per recorded time
    arr = as_finite_array(name, value, ndim=ndim)
    if arr.shape[0] != n_times:
        what = "row" if ndim == 2 else "value"
        raise ValueError(f"{name} must have one {what} per time ({n_times}), got shape {arr.shape}")
    return arr


def _slope(name: str, value) -> float:
    # a fitted log-log slope: any finite real number (slopes are negative here)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not np.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return float(value)


def _width_series(name: str, value, n_widths: int) -> np.ndarray:
    # a measurement per width: (len(widths),) or (len(widths), repeats)
    arr = as_finite_array(name, value)
    if arr.ndim not in (1, 2) or arr.shape[0] != n_widths:
        raise ValueError(f"{name} must be (len(widths),) or (len(widths), repeats) with len(widths) = {n_widths}, "
                         f"got shape {arr.shape}")
    return arr


@builder
def subspace_figure(times, bases, top, title: str) -> go.Figure:
    r"""A plane through the origin of :math:`\mathbb R^3` (rows of ``bases[t]``, ``(T, 2, 3)``) turning toward the
    plane of the top two eigenvectors (rows of ``top``, ``(3, 3)``: the eigenvectors :math:`q_1, q_2, q_3` of
    :math:`S`), with a time slider (precomputed states: works on a static page), next to its largest principal angle
    to that plane against time. The plane is drawn as a disk and its normal as a line, neither of which depends on
    the basis chosen inside the plane.

    Args:
        times: the times of the states (``(T,)``).
        bases: orthonormal row bases of the plane at those times.
        top: the eigenvectors of :math:`S`, descending, as rows.
        title: the figure's title.
    """
    t = as_finite_array("times", times, ndim=1)
    b = as_finite_array("bases", bases, ndim=3).astype(np.float64)
    v = as_finite_array("top", top, ndim=2).astype(np.float64)
    if b.shape[1:] != (2, 3) or b.shape[0] != t.shape[0] or v.shape != (3, 3):
        raise ValueError(f"bases must be (T, 2, 3) with T = len(times) and top (3, 3), got {b.shape} and {v.shape}")
    # the disk and its normal are drawn from the rows as an orthonormal pair (1e-6: far above round-off, far below
    # what a drawing shows)
    errors = np.linalg.norm(b @ np.swapaxes(b, 1, 2) - np.eye(2), axis=(1, 2))
    if np.any(errors > 1e-6):
        i = int(np.argmax(errors > 1e-6))
        raise ValueError(f"bases[{i}] must have orthonormal rows (||B B^T - I||_F = {errors[i]:.2e})")
    check_str("title", title)
    radius, phase = np.meshgrid(np.linspace(0, 1, 4), np.linspace(0, 2 * np.pi, 33))
    angles = np.degrees(principal_angles(np.swapaxes(b, 1, 2), v[:2].T))[:, 0]

    def disk_xyz(u, w):
        # 3 decimals: the disk is drawn on a [-1.3, 1.3] cube, and the page stays small (one disk per time)
        pts = np.round(radius[..., None] * (np.cos(phase)[..., None] * u + np.sin(phase)[..., None] * w), 3)
        return pts[..., 0], pts[..., 1], pts[..., 2]

    def state(i):
        """x, y, z of the three moving traces (disk, its normal, the marker on the angle curve) at time i."""
        u, w = b[i]
        nv = np.round(np.cross(u, w), 3)
        dx, dy, dz = disk_xyz(u, w)
        return ([dx.tolist(), [-nv[0], nv[0]], [float(t[i])]], [dy.tolist(), [-nv[1], nv[1]], [float(angles[i])]],
                [dz.tolist(), [-nv[2], nv[2]]])

    def disk(x, y, z, name, color, opacity):
        return go.Surface(x=x, y=y, z=z, surfacecolor=np.zeros_like(radius), colorscale=[[0, color], [1, color]],
                          showscale=False, opacity=opacity, name=name, showlegend=True, hoverinfo="skip")

    fig = make_subplots(rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "xy"}]], column_widths=[0.62, 0.38],
                        subplot_titles=("the plane row W(t) in R³", "largest principal angle to the target"))
    xs, ys, zs = state(0)
    fig.add_trace(disk(xs[0], ys[0], zs[0], "row space of W(t)", PALETTE[0], 0.6), row=1, col=1)
    fig.add_trace(go.Scatter3d(x=xs[1], y=ys[1], z=zs[1], mode="lines", line=dict(color=PALETTE[0], width=6),
                               name="normal of row W(t)"), row=1, col=1)
    fig.add_trace(go.Scatter(x=xs[2], y=ys[2], mode="markers", marker=dict(color=PALETTE[0], size=12),
                             name="now", showlegend=False), row=1, col=2)
    fig.add_trace(disk(*disk_xyz(v[0], v[1]), "top-2 eigenspace (target)", "#999999", 0.2), row=1, col=1)
    for k, (color, name) in enumerate([(PALETTE[1], "q₁ (top eigenvector)"), (PALETTE[2], "q₂"),
                                       ("#555555", "q₃ (normal of the target)")]):
        fig.add_trace(go.Scatter3d(x=[0, 1.2 * v[k, 0]], y=[0, 1.2 * v[k, 1]], z=[0, 1.2 * v[k, 2]],
                                   mode="lines", name=name,
                                   line=dict(color=color, width=5, dash="dash" if k == 2 else "solid")), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=angles, mode="lines", line=dict(color=PALETTE[0]), name="angle (closed form)"),
                  row=1, col=2)
    steps = []
    for i, ti in enumerate(t):
        sx, sy, sz = state(i)
        # restyle traces 0-2 only (no animation frames: nothing plays on its own, the slider sets the state)
        steps.append(dict(method="restyle", label=f"{ti:.1f}", args=[{"x": sx, "y": sy, "z": sz + [None]}, [0, 1, 2]]))
    # look along a direction inside the target plane: the target is seen nearly edge-on, so the disk's tilt
    # toward it is visible as the disk thins
    eye = 1.9 * (0.8 * v[0] + 0.45 * v[1] + 0.4 * v[2]) / np.linalg.norm([0.8, 0.45, 0.4])
    fig.update_layout(
        sliders=[dict(active=0, currentvalue=dict(prefix="time t: "), pad=dict(t=40), steps=steps)],
        scene=dict(aspectmode="cube", xaxis=dict(range=[-1.3, 1.3]), yaxis=dict(range=[-1.3, 1.3]),
                   zaxis=dict(range=[-1.3, 1.3]), camera=dict(eye=dict(x=eye[0], y=eye[1], z=eye[2]))))
    base_layout(fig, title, "", "", height=600)
    fig.update_layout(margin=dict(l=10, r=10, t=80, b=10), legend=dict(x=0.0, y=1.0))
    fig.update_xaxes(title_text="time t", row=1, col=2)
    fig.update_yaxes(title_text="degrees", type="log", row=1, col=2)
    return fig


@builder
def rate_figure(gaps, measured, predicted, title: str) -> go.Figure:
    """Measured convergence rates (markers) against the eigengap, with the predicted rates (dashed)."""
    g = as_finite_array("gaps", gaps, ndim=1)
    order = np.argsort(g)
    meas = as_finite_array("measured", measured, ndim=1)
    pred = as_finite_array("predicted", predicted, ndim=1)
    if not (g.shape == meas.shape == pred.shape):
        raise ValueError(f"gaps, measured and predicted must have the same length, got {g.shape}, {meas.shape}, "
                         f"{pred.shape}")
    return measured_and_theory({"measured (Riemannian descent)": (g[order], meas[order])},
                               {"predicted 2(μ<sub>d</sub> − μ<sub>d+1</sub>)": (g[order], pred[order])},
                               title, "eigengap μ<sub>d</sub> − μ<sub>d+1</sub>", "decay rate of tan θ<sub>max</sub>",
                               mode="markers")


def _measured_and_theory(name: str, measured, theory_name: str, theory, n_times: int) -> tuple[np.ndarray,
                                                                                              np.ndarray]:
    # a (T, d) measurement (at least 2 columns) and its prediction of the same shape
    m = _per_time(name, measured, n_times, 2)
    th = as_finite_array(theory_name, theory, ndim=2)
    if th.shape != m.shape:
        raise ValueError(f"{theory_name} must have the shape of {name} {m.shape}, got {th.shape}")
    return m, th


@builder
def collapse_figure(t, ratios, ratios_theory, bound) -> go.Figure:
    r"""Normalised singular values :math:`\sigma_k/\sigma_1`, :math:`k\ge2` (columns 1.. of ``ratios``, ``(T, d)``) of
    the unconstrained descent (solid) and of the closed form (``ratios_theory``, dashed) against time ``t``, with
    the collapse theorem's ``bound`` on :math:`\sigma_2/\sigma_1` (dotted)."""
    ta = as_finite_array("t", t, ndim=1)
    r, rt = _measured_and_theory("ratios", ratios, "ratios_theory", ratios_theory, ta.shape[0])
    bd = _per_time("bound", bound, ta.shape[0], 1)
    names = [f"σ{k + 1}/σ1" for k in range(1, r.shape[1])]
    fig = curves(t, {n: r[:, k + 1] for k, n in enumerate(names)},
                 "Unconstrained descent: all but one singular value vanish", "time t (units of 1/‖S‖)",
                 "normalised singular value", predicted={n: rt[:, k + 1] for k, n in enumerate(names)}, log_y=True)
    fig.add_scatter(x=ta, y=bd, mode="lines",
                    name="bound (eq. collapse) on σ2/σ1", line=dict(color=THEORY_COLOUR, dash="dot"))
    return fig


@builder
def angles_figure(t, tan_measured, tan_theory, rate: float, projector_error) -> go.Figure:
    r"""Tangents of the principal angles to the top eigenspace (``(T, d)``): descent solid, closed form dashed, the
    rate theorem's bound :math:`\tan\theta_1(0)e^{-\text{rate}\,t}` dotted, and the subspace distance between the
    descent and the closed form (grey), on a log axis."""
    ta = as_finite_array("t", t, ndim=1)
    tm, tt = _measured_and_theory("tan_measured", tan_measured, "tan_theory", tan_theory, ta.shape[0])
    err = _per_time("projector_error", projector_error, ta.shape[0], 1)
    rate = check_positive_float("rate", rate)
    names = [f"tan θ{i + 1}" for i in range(tm.shape[1])]
    fig = curves(ta, {n: tm[:, i] for i, n in enumerate(names)},
                 "Riemannian descent (solid) vs closed form (dashed): principal angles to the top eigenspace",
                 "time t (units of 1/‖S‖)", "tangent of the principal angle",
                 predicted={n: tt[:, i] for i, n in enumerate(names)}, log_y=True)
    fig.add_scatter(x=ta, y=tt[0, 0] * np.exp(-float(rate) * ta), mode="lines",
                    name="bound tan θ1(0) exp(−2(μd − μd+1)t)", line=dict(color=THEORY_COLOUR, dash="dot"))
    fig.add_scatter(x=ta[1:], y=err[1:], mode="lines", name="subspace distance ‖P_descent − P_closed‖_F / √(2d)",
                    line=dict(color="#7f7f7f", width=1))
    fig.update_yaxes(range=[-16.5, 1.5])   # below 1e-16 the measured angles are float64 round-off
    return fig


@builder
def width_gap_figure(widths, trajectory_gap, kernel_error, gap_slope: float, kernel_error_slope: float) -> go.Figure:
    """The trajectory gap of the constrained random-feature network to its infinite-width dynamics and the
    feature kernel's error, against the width (``(len(widths), repeats)`` each: mean and range), log-log, with
    slope -1/2 dashed."""
    wa = as_finite_array("widths", widths, ndim=1)
    trajectory_gap = _width_series("trajectory_gap", trajectory_gap, wa.shape[0])
    kernel_error = _width_series("kernel_error", kernel_error, wa.shape[0])
    gap_slope, kernel_error_slope = _slope("gap_slope", gap_slope), _slope("kernel_error_slope", kernel_error_slope)
    gap_name, kernel_name = "trajectory gap of the learned kernel", "feature-kernel error ‖K_M − K_∞‖/‖K_∞‖"
    return loglog_measurements(widths, {gap_name: trajectory_gap, kernel_name: kernel_error},
                               "Constrained two-layer model: distance to its infinite-width dynamics", "width M",
                               "relative distance", reference_slope=-0.5, reference_label="M^(-1/2) (theory)",
                               fitted_slopes={gap_name: gap_slope, kernel_name: kernel_error_slope})


@builder
def kernel_change_figure(widths, constrained_change, constrained_slope: float, bt_change, bt_slope: float,
                         change_limit: float) -> go.Figure:
    """Relative change of the tangent kernel during training against the width, log-log: the constrained read-out
    (``constrained_change``, ``(len(widths),)``), the Barlow Twins network of chapter 1 (``bt_change``,
    ``(len(widths), repeats)``), slope -1/2, and the constrained model's infinite-width value (dashed)."""
    wa = as_finite_array("widths", widths, ndim=1)
    constrained_change = _width_series("constrained_change", constrained_change, wa.shape[0])
    bt_change = _width_series("bt_change", bt_change, wa.shape[0])
    constrained_slope, bt_slope = _slope("constrained_slope", constrained_slope), _slope("bt_slope", bt_slope)
    change_limit = check_positive_float("change_limit", change_limit, allow_zero=True)
    constrained = "constrained read-out: change of Θ = K − FFᵀ"
    bt = "Barlow Twins, both layers (chapter 1): NTK change"
    fig = loglog_measurements(widths, {constrained: constrained_change, bt: bt_change},
                              "Relative change of the tangent kernel during training", "width M",
                              "‖Θ_T − Θ_0‖ / ‖Θ_0‖", reference_slope=-0.5, reference_label="M^(-1/2)",
                              fitted_slopes={constrained: constrained_slope, bt: bt_slope})
    fig.add_scatter(x=wa, y=np.full(wa.shape[0], float(change_limit)), mode="lines",
                    name="constrained, M → ∞ (closed form with K_∞)", line=dict(color=colour(0), dash=THEORY_DASH))
    return fig


@builder
def frozen_kernel_figure(t, frozen_ratio, exact_ratios, rate_predicted: float, window, norm_growth) -> go.Figure:
    r"""The NTK linearisation of the constrained flow against the exact flow, log-y against time ``t``:
    :math:`\sigma_d/\sigma_1` of the frozen-kernel flow (``frozen_ratio``, ``(T,)``) with its predicted decay
    :math:`e^{-\text{rate}\,t}` (dashed, anchored at the start of ``window`` = (start, end) of the fit), its norm
    growth :math:`\lVert F(t)\rVert_2/\lVert F_0\rVert_2` (``norm_growth``, ``(T,)``, dotted), and
    :math:`\sigma_k/\sigma_1`, :math:`k\ge2`, of the exact flow (columns 1.. of ``exact_ratios``, ``(T, d)``).

    Args:
        t: the times ``(T,)``.
        frozen_ratio: the frozen flow's :math:`\sigma_d/\sigma_1`, positive.
        exact_ratios: the exact flow's normalised singular values.
        rate_predicted: the predicted decay rate :math:`2(\nu_1-\nu_d)`.
        window: the fit window (start, end) in the units of ``t``.
        norm_growth: the frozen flow's norm growth, positive.
    """
    ta = as_finite_array("t", t, ndim=1)
    fr = as_finite_array("frozen_ratio", frozen_ratio, ndim=1)
    ex = as_finite_array("exact_ratios", exact_ratios, ndim=2)
    growth = as_finite_array("norm_growth", norm_growth, ndim=1)
    win = as_finite_array("window", window, ndim=1)
    if win.shape != (2,) or not win[0] < win[1]:
        raise ValueError(f"window must be a pair (start, end) with start < end, got {win.tolist()}")
    start, end = float(win[0]), float(win[1])
    if not ta[0] <= start <= ta[-1]:
        raise ValueError(f"window must start within t [{ta[0]:g}, {ta[-1]:g}], got start = {start:g}")
    rate_predicted = check_positive_float("rate_predicted", rate_predicted)
    if not (fr.shape == growth.shape == ta.shape and ex.shape[0] == ta.shape[0]):
        raise ValueError(f"frozen_ratio, norm_growth and exact_ratios must have one row per time ({ta.shape[0]}), "
                         f"got {fr.shape}, {growth.shape}, {ex.shape}")
    frozen = f"NTK linearisation (kernel frozen at t = 0): σ{ex.shape[1]}/σ1"
    anchor = fr[np.searchsorted(ta, start)]
    measured = {frozen: fr, **{f"exact flow: σ{k + 1}/σ1": ex[:, k] for k in range(1, ex.shape[1])}}
    fig = curves(ta, measured, "Constrained flow at infinite width: exact against its NTK linearisation",
                 "time t (units of 1/‖S̃‖)", "normalised singular value", log_y=True,
                 predicted={frozen: anchor * np.exp(-float(rate_predicted) * (ta - start))})
    fig.add_scatter(x=ta, y=growth, mode="lines", name="NTK linearisation: ‖F(t)‖ / ‖F(0)‖",
                    line=dict(color=THEORY_COLOUR, dash="dot"))
    fig.add_vrect(x0=start, x1=end, fillcolor="#cccccc", opacity=0.25, line_width=0,
                  annotation_text="fit window", annotation_position="top left")
    return fig
