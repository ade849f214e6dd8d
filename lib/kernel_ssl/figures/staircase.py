"""The staircase figure of the stepwise chapter: loss and embedding eigenvalues on a shared log time axis,
measured solid and predicted dashed (the trace styles of :mod:`.style`), alone or with two precomputed sliders.

Built as plain dicts rather than through :func:`.lines.measured_and_theory`: the live control redraws this
two-panel figure on every change and must stay well under 100 ms."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from ..validation import as_finite_array, check_positive_float, check_positive_int, check_str
from .style import builder, measured_line, theory_line

TIME_TITLE = "effective time t = η × step"
COVARIANCE_LABEL = "embedding covariance"


def _two_panel_layout(title: str, eigen_label: str, height: int, covariance: bool = False) -> dict:
    # Built as one dict (no make_subplots / update_* calls): the live control redraws this figure on every change
    # and must stay well under 100 ms; the axes are those of a 2-row subplot with a shared log time axis, or of a
    # 3-row one with the eigenvalues of the embedding covariance in a third panel below those of C.
    layout = dict(title=title, template="plotly_white", height=height, margin=dict(l=60, r=20, t=60, b=50),
                  legend=dict(bgcolor="rgba(255,255,255,0.7)"),
                  xaxis=dict(type="log", exponentformat="power", anchor="y", title=TIME_TITLE),
                  xaxis2=dict(type="log", exponentformat="power", anchor="y2", matches="x", showticklabels=False),
                  yaxis=dict(domain=[0.0, 0.56], anchor="x", title=eigen_label),
                  yaxis2=dict(domain=[0.62, 1.0], anchor="x2", title="loss ‖C − I‖²"))
    if covariance:
        layout["xaxis"] = dict(type="log", exponentformat="power", anchor="y", showticklabels=False)
        layout["xaxis3"] = dict(type="log", exponentformat="power", anchor="y3", matches="x", title=TIME_TITLE)
        layout["yaxis"].update(domain=[0.36, 0.66])
        layout["yaxis2"].update(domain=[0.72, 1.0])
        layout["yaxis3"] = dict(domain=[0.0, 0.30], anchor="x3", title=COVARIANCE_LABEL)
    return layout


def _series(name: str, values, n_times: int, ndim: int = 1) -> np.ndarray:
    # a finite series recorded at each of n_times times: (R,) or (R, d)
    arr = as_finite_array(name, values, ndim=ndim)
    if arr.shape[0] != n_times:
        what = "value" if ndim == 1 else "row"
        raise ValueError(f"{name} must have one {what} per time ({n_times}), got shape {arr.shape}")
    return arr


def _time_axis_buttons(t_lo: float, t_hi: float, n_axes: int = 2) -> list:
    # a log/linear switch for the shared time axis (relayout works in a static page, without a kernel); every
    # panel's axis is switched, so that the matched axes never disagree on their type
    names = ["xaxis"] + [f"xaxis{i}" for i in range(2, n_axes + 1)]

    def args(kind, lo, hi):
        return [{f"{n}.type": kind for n in names} | {f"{n}.range": [lo, hi] for n in names}]
    return [dict(type="buttons", direction="right", x=1.0, xanchor="right", y=1.08, yanchor="bottom",
                 showactive=True, active=0, buttons=[
                     dict(label="log time", method="relayout", args=args("log", np.log10(t_lo), np.log10(t_hi))),
                     dict(label="linear time", method="relayout", args=args("linear", 0.0, t_hi))])]


@builder
def staircase_figure(t=None, loss=None, eigenvalues=None, predicted_loss=None, predicted_eigenvalues=None,
                     predicted_times=None, predicted_t=None, title: str = "", eigen_label: str = "eigenvalues of C",
                     height: int = 560, t_min: float | None = None, extra_eigenvalues=None,
                     extra_label: str = "covariance", covariance_eigenvalues=None,
                     predicted_covariance_eigenvalues=None) -> go.Figure:
    """Two panels on a shared log time axis: the loss (top) and the embedding eigenvalues (bottom), measured solid,
    predictions dashed, predicted step times as dotted vertical lines; buttons switch the time axis between log
    and linear.

    The predictions are on the measured times ``t`` unless ``predicted_t`` is given; ``t``/``loss``/``eigenvalues``
    may be None (a figure of the prediction only, e.g. from ``stepwise.closed_form_curves``), and the keyword
    arguments are those of ``stepwise.staircase_panel``. ``t_min`` starts the time axis there (the early plateau is
    long on a log axis). ``extra_eigenvalues`` (``(R, d)`` on ``t``, e.g. those of the embedding covariance) are
    drawn dotted beside the eigenvalues of C, named ``extra_label``. ``covariance_eigenvalues`` (``(R, d)`` on ``t``)
    and ``predicted_covariance_eigenvalues`` (on the predictions' times) are drawn in a third panel below, measured
    solid and predicted dashed (the keys ``stepwise.staircase_panel`` adds for a run that recorded them)."""
    check_str("title", title)
    check_str("eigen_label", eigen_label)
    check_str("extra_label", extra_label)
    height = check_positive_int("height", height, minimum=100, maximum=4000)
    if predicted_t is None and predicted_loss is not None:
        predicted_t = t
    data = []
    if t is not None:
        ta = as_finite_array("t", t, ndim=1)
        if loss is None or eigenvalues is None:
            raise ValueError("t needs its loss and eigenvalues (or give neither: a figure of the prediction only)")
        la = _series("loss", loss, ta.shape[0])
        data.append(dict(type="scatter", x=ta, y=la, mode="lines", name="loss",
                         line=theory_line() | dict(dash="solid"), xaxis="x2", yaxis="y2"))
        e = _series("eigenvalues", eigenvalues, ta.shape[0], ndim=2)
        for j in range(e.shape[1]):
            data.append(dict(type="scatter", x=ta, y=e[:, j], mode="lines", name=f"c{j + 1}", legendgroup=f"m{j}",
                             line=measured_line(j), xaxis="x", yaxis="y"))
        if extra_eigenvalues is not None:
            extra = _series("extra_eigenvalues", extra_eigenvalues, ta.shape[0], ndim=2)
            for j in range(extra.shape[1]):
                data.append(dict(type="scatter", x=ta, y=extra[:, j], mode="lines", name=f"{extra_label} {j + 1}",
                                 legendgroup=f"m{j}", line=measured_line(j) | dict(dash="dot"), xaxis="x",
                                 yaxis="y"))
        if covariance_eigenvalues is not None:
            cov = _series("covariance_eigenvalues", covariance_eigenvalues, ta.shape[0], ndim=2)
            for j in range(cov.shape[1]):
                data.append(dict(type="scatter", x=ta, y=cov[:, j], mode="lines", name=f"covariance {j + 1}",
                                 legendgroup=f"m{j}", line=measured_line(j), xaxis="x3", yaxis="y3"))
    if predicted_t is not None:
        tp = as_finite_array("predicted_t", predicted_t, ndim=1)
        if predicted_loss is None or predicted_eigenvalues is None:
            raise ValueError("predicted_t needs predicted_loss and predicted_eigenvalues")
        data.append(dict(type="scatter", x=tp, y=_series("predicted_loss", predicted_loss, tp.shape[0]),
                         mode="lines", name="theory (dashed)", line=theory_line(),
                         xaxis="x2", yaxis="y2"))
        ep = _series("predicted_eigenvalues", predicted_eigenvalues, tp.shape[0], ndim=2)
        for j in range(ep.shape[1]):
            data.append(dict(type="scatter", x=tp, y=ep[:, j], mode="lines", name=f"c{j + 1} theory",
                             legendgroup=f"m{j}", showlegend=t is None, xaxis="x", yaxis="y",
                             line=theory_line(j)))
        if predicted_covariance_eigenvalues is not None:
            cp = as_finite_array("predicted_covariance_eigenvalues", predicted_covariance_eigenvalues, ndim=2)
            if cp.shape[0] != tp.shape[0]:
                raise ValueError(f"predicted_covariance_eigenvalues must have one row per predicted time "
                                 f"({tp.shape[0]}), got {cp.shape}")
            for j in range(cp.shape[1]):
                data.append(dict(type="scatter", x=tp, y=cp[:, j], mode="lines", name=f"covariance {j + 1} theory",
                                 legendgroup=f"m{j}", showlegend=t is None, xaxis="x3", yaxis="y3",
                                 line=theory_line(j)))
    third = covariance_eigenvalues is not None or predicted_covariance_eigenvalues is not None
    layout = _two_panel_layout(title, eigen_label, height + (180 if third else 0), covariance=third)
    t_hi = max(float(np.max(a)) for a in (t, predicted_t) if a is not None)
    if t_min is not None:
        layout["xaxis"]["range"] = [np.log10(check_positive_float("t_min", t_min)), np.log10(t_hi)]
    t_lo = t_min if t_min is not None else min(float(np.min(a[np.asarray(a) > 0])) for a in (t, predicted_t)
                                               if a is not None)
    layout["updatemenus"] = _time_axis_buttons(t_lo, t_hi, 3 if third else 2)
    if predicted_times is not None:
        times = as_finite_array("predicted_times", predicted_times, ndim=1)
        layout["shapes"] = [dict(type="line", xref=xref, yref=f"{yref} domain", x0=float(tj), x1=float(tj), y0=0,
                                 y1=1, line=measured_line(j) | dict(dash="dot", width=1))
                            for j, tj in enumerate(times) for xref, yref in (("x", "y"), ("x2", "y2"))]
    return go.Figure(data=data, layout=layout)


@builder
def staircase_slider(panels: Mapping[tuple[str, str], Mapping[str, np.ndarray]], first_label: str,
                     second_label: str, title: str, active: tuple[int, int] = (0, 0),
                     eigen_label: str = "eigenvalues of C", t_min: float | None = None) -> go.Figure:
    """The staircase for a grid of two settings, with one plotly slider per setting (works without a kernel).

    ``panels[(a, b)]`` holds ``t, loss, eigenvalues`` (measured, solid) and ``predicted_loss,
    predicted_eigenvalues`` (on the same ``t``, dashed), with the same number of modes in every panel. There is
    one group of traces per value of the first setting; the first slider chooses which group is *visible*, the
    second replaces the *data* of every group by that of its own value. The two therefore combine: what shows is
    the panel of the first slider's value and the second slider's value. ``t_min`` starts the time axis there.
    Each panel's ``predicted_times``, if every panel has them, are drawn as dotted vertical segments (traces, so
    that the sliders move them); buttons switch the time axis between log and linear. If every panel has
    ``covariance_eigenvalues`` and ``predicted_covariance_eigenvalues`` (on ``t``), they are drawn in a third panel
    below the eigenvalues of C, measured solid and predicted dashed.
    """
    if not isinstance(panels, Mapping):
        raise TypeError(f"panels must be a mapping (first, second) -> panel, got {type(panels).__name__}")
    keys = list(panels)
    if not keys:
        raise ValueError("panels must hold at least one setting")
    if not all(isinstance(k, tuple) and len(k) == 2 for k in keys):
        raise ValueError(f"panels must be keyed by pairs (first, second) of the two settings' values, got {keys[:3]}")
    for k in keys:
        if not isinstance(panels[k], Mapping):
            raise TypeError(f"panels[{k}] must be a mapping of arrays, got {type(panels[k]).__name__}")
        missing = [n for n in ("t", "loss", "eigenvalues", "predicted_loss", "predicted_eigenvalues")
                   if n not in panels[k]]
        if missing:
            raise ValueError(f"panels[{k}] must hold t, loss, eigenvalues, predicted_loss and predicted_eigenvalues, "
                             f"missing {missing}")
    for name, value in (("first_label", first_label), ("second_label", second_label), ("title", title),
                        ("eigen_label", eigen_label)):
        check_str(name, value)
    firsts = list(dict.fromkeys(k[0] for k in keys))
    seconds = list(dict.fromkeys(k[1] for k in keys))
    if set(keys) != {(a, b) for a in firsts for b in seconds}:
        raise ValueError("panels must hold every combination of the two settings")
    if not isinstance(active, (tuple, list)) or len(active) != 2:
        raise TypeError(f"active must be a pair (i, j) of indices of the two settings, got {active!r}")
    ia = check_positive_int("active[0]", active[0], minimum=0, maximum=len(firsts) - 1)
    ib = check_positive_int("active[1]", active[1], minimum=0, maximum=len(seconds) - 1)

    def series(key):
        # (x, y) of every trace of one panel, in trace order: loss, loss theory, then (c_j, c_j theory) per mode
        p = panels[key]
        t = np.round(as_finite_array(f"panels[{key}]['t']", p["t"], ndim=1), 4)
        n = t.shape[0]
        e = _series(f"panels[{key}]['eigenvalues']", p["eigenvalues"], n, ndim=2)
        ep = _series(f"panels[{key}]['predicted_eigenvalues']", p["predicted_eigenvalues"], n, ndim=2)
        ys = [_series(f"panels[{key}]['loss']", p["loss"], n),
              _series(f"panels[{key}]['predicted_loss']", p["predicted_loss"], n)]
        for j in range(e.shape[1]):
            ys += [e[:, j], ep[:, j]]
        out = [(t, np.round(y, 5)) for y in ys]
        if has_times:
            times = as_finite_array(f"panels[{key}]['predicted_times']", p["predicted_times"], ndim=1)
            for j in range(e.shape[1]):   # the predicted step time of mode j: a vertical segment in each panel
                tj = round(float(times[j]), 4)
                out += [(np.array([tj, tj]), np.array([0.0, 1.0])),
                        (np.array([tj, tj]), np.array([0.0, float(d_of)]))]
        if has_covariance:
            for name in ("covariance_eigenvalues", "predicted_covariance_eigenvalues"):
                if np.shape(p[name]) != e.shape:
                    raise ValueError(f"panels[{key}]['{name}'] must have the shape of its eigenvalues {e.shape}, "
                                     f"got {np.shape(p[name])}")
            cov = as_finite_array(f"panels[{key}]['covariance_eigenvalues']", p["covariance_eigenvalues"], ndim=2)
            cp = as_finite_array(f"panels[{key}]['predicted_covariance_eigenvalues']",
                                 p["predicted_covariance_eigenvalues"], ndim=2)
            for j in range(e.shape[1]):
                out += [(t, np.round(cov[:, j], 5)), (t, np.round(cp[:, j], 5))]
        return out

    n_modes = {np.shape(panels[k]["eigenvalues"])[1] for k in keys}
    if len(n_modes) != 1:
        raise ValueError(f"every panel must have the same number of modes, got {sorted(n_modes)}")
    d = d_of = n_modes.pop()
    has_times = all("predicted_times" in panels[k] for k in keys)
    has_covariance = all("covariance_eigenvalues" in panels[k] and "predicted_covariance_eigenvalues" in panels[k]
                         for k in keys)
    styles = [dict(name="loss", line=theory_line() | dict(dash="solid"), xaxis="x2", yaxis="y2"),
              dict(name="theory (dashed)", line=theory_line(), xaxis="x2", yaxis="y2")]
    for j in range(d):
        styles += [dict(name=f"c{j + 1}", legendgroup=f"m{j}", line=measured_line(j), xaxis="x", yaxis="y"),
                   dict(name=f"c{j + 1} theory", legendgroup=f"m{j}", showlegend=False,
                        line=theory_line(j), xaxis="x", yaxis="y")]
    for j in range(d if has_times else 0):
        dotted = measured_line(j) | dict(dash="dot", width=1)
        styles += [dict(name=f"t{j + 1} predicted", legendgroup=f"m{j}", showlegend=False, line=dotted,
                        xaxis="x", yaxis="y"),
                   dict(name=f"t{j + 1} predicted", legendgroup=f"m{j}", showlegend=False, line=dotted,
                        xaxis="x2", yaxis="y2")]
    for j in range(d if has_covariance else 0):
        styles += [dict(name=f"covariance {j + 1}", legendgroup=f"m{j}", showlegend=False, line=measured_line(j),
                        xaxis="x3", yaxis="y3"),
                   dict(name=f"covariance {j + 1} theory", legendgroup=f"m{j}", showlegend=False,
                        line=theory_line(j), xaxis="x3", yaxis="y3")]
    data, owner = [], []
    for a in firsts:
        for style, (x, y) in zip(styles, series((a, seconds[ib])), strict=True):
            data.append(dict(type="scatter", mode="lines", x=x, y=y, visible=a == firsts[ia], **style))
            owner.append(a)
    slider_a = [dict(method="restyle", label=a, args=[{"visible": [o == a for o in owner]}]) for a in firsts]
    slider_b = []
    for b in seconds:
        xy = [xy for a in firsts for xy in series((a, b))]
        slider_b.append(dict(method="restyle", label=b, args=[{"x": [x for x, _ in xy], "y": [y for _, y in xy]}]))
    t_all = np.concatenate([np.asarray(panels[k]["t"], dtype=float) for k in keys])
    t_lo = float(t_all[t_all > 0].min()) if t_min is None else check_positive_float("t_min", t_min)
    t_hi = float(t_all.max())
    layout = _two_panel_layout(title, eigen_label, 840 if has_covariance else 660, covariance=has_covariance)
    layout["xaxis"].update(range=[np.log10(t_lo), np.log10(t_hi)])
    layout["yaxis"].update(range=[-0.05, 1.15])
    layout["yaxis2"].update(range=[-0.2, d + 0.3])
    if has_covariance:   # one range for every panel (the sliders keep the axes): room for the largest eigenvalue
        top = max(float(np.max(panels[k][name])) for k in keys
                  for name in ("covariance_eigenvalues", "predicted_covariance_eigenvalues"))
        layout["yaxis3"].update(range=[-0.05, max(1.15, 1.05 * top)])
    layout["margin"] = dict(l=60, r=20, t=60, b=140)
    layout["updatemenus"] = _time_axis_buttons(t_lo, t_hi, 3 if has_covariance else 2)
    layout["sliders"] = [
        dict(active=ia, currentvalue=dict(prefix=f"{first_label}: "), pad=dict(t=60), steps=slider_a,
             len=0.46, x=0.0),
        dict(active=ib, currentvalue=dict(prefix=f"{second_label}: "), pad=dict(t=60), steps=slider_b,
             len=0.46, x=0.54)]
    return go.Figure(data=data, layout=layout)


@builder
def mode_images(images, titles, title: str, side: int = 8) -> go.Figure:
    """Each row of ``images`` (``(k, side**2)``, e.g. eigenvectors of the digits' cross-correlation) as a
    ``side x side`` heatmap, side by side, with a diverging colour scale centred at 0 (an eigenvector's sign is
    arbitrary)."""
    imgs = as_finite_array("images", images, ndim=2)
    check_str("title", title)
    side = check_positive_int("side", side, maximum=64)
    if isinstance(titles, str) or not hasattr(titles, "__len__"):
        raise TypeError(f"titles must be a sequence of strings, one per image, got {type(titles).__name__}")
    for i, ti in enumerate(titles):
        check_str(f"titles[{i}]", ti)
    if imgs.shape[1] != side * side:
        raise ValueError(f"images must have side**2 = {side * side} columns (one image per row), got {imgs.shape}")
    if len(titles) != imgs.shape[0]:
        raise ValueError(f"titles must have one entry per image ({imgs.shape[0]}), got {len(titles)}")
    k = imgs.shape[0]
    gap = 0.02
    width = (1.0 - gap * (k - 1)) / k
    data, layout = [], dict(title=title, template="plotly_white", height=260, margin=dict(l=20, r=20, t=70, b=20))
    for i in range(k):
        scale = float(np.max(np.abs(imgs[i]))) or 1.0
        suffix = "" if i == 0 else str(i + 1)
        data.append(dict(type="heatmap", z=imgs[i].reshape(side, side)[::-1] / scale, zmin=-1, zmax=1,
                         colorscale="RdBu", showscale=i == k - 1, xaxis=f"x{suffix}", yaxis=f"y{suffix}"))
        x0 = i * (width + gap)
        layout[f"xaxis{suffix}"] = dict(domain=[x0, x0 + width], showticklabels=False, anchor=f"y{suffix}")
        layout[f"yaxis{suffix}"] = dict(domain=[0.0, 1.0], showticklabels=False, anchor=f"x{suffix}",
                                        scaleanchor=f"x{suffix}")
    layout["annotations"] = [dict(text=str(titles[i]), showarrow=False, xref="paper", yref="paper",
                                  x=i * (width + gap) + width / 2, y=1.02, yanchor="bottom") for i in range(k)]
    return go.Figure(data=data, layout=layout)
