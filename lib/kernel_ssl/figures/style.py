"""The book's figure style, defined once: palette, the theory dash, the common layout, and the trace styles that
every builder uses (measured solid, theory dashed), so a reader can always tell prediction from measurement.

Every builder is decorated with :func:`builder`, which runs :func:`finish` on the figure it returns: the
provenance stamp ``layout.meta["kernel_ssl_builder"]``, labels with real sub- and superscripts, a marker symbol as
a second cue beside colour, and a layout that fits a phone-sized screen (legend below the plot, wrapped title,
sliders stacked). Colours meet WCAG 2.2's 3:1 non-text contrast (1.4.11) against the white figure card, which the
website keeps white in its dark theme too (book/_ext/figure_access).
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import plotly.graph_objects as go

from ..validation import check_bool, check_positive_int, check_str

# Okabe & Ito's colour-blind-safe palette, the subset with contrast >= 3:1 on white (blue 5.19, vermillion 3.87,
# bluish green 3.42, reddish purple 3.06; their orange 2.25, sky blue 2.31 and yellow 1.32 fail and are left out).
# Four colours cycle; the marker symbols (eight) keep series i and i + 4 apart.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "triangle-down", "star")
THEORY_DASH = "dash"
THEORY_COLOUR = "#000000"
# a secondary line (a distance, a bound's companion) and light fills (a target plane, a fit window): the grey line
# has contrast 4.54 on white; fills are areas behind data, not marks that carry it
NEUTRAL_COLOUR = "#767676"
FILL_COLOUR = "#BBBBBB"
BACKGROUND = "#FFFFFF"   # the figure card, in both themes of the website
# markers drawn on a long line: at most this many (plotly's marker.maxdisplayed), so they stay a legend cue
MARKERS_PER_LINE = 10
# the narrowest screen a figure must fit (a phone, CSS pixels) and the text metrics used to lay it out for it
NARROW_PX = 390
TITLE_CHARS = 44          # characters per title line at 16 px on a 390 px screen
LEGEND_ROW_PX = 22
LEGEND_CHAR_PX = 6.6      # 12 px text
LEGEND_ITEM_PX = 46       # symbol and padding of one legend entry
SLIDER_PX = 80            # one plotly slider with its current-value line and tick labels
BUILDER_KEY = "kernel_ssl_builder"


def colour(i: int) -> str:
    """The ``i``-th series colour (cycling through :data:`PALETTE`), ``i >= 0``."""
    i = check_positive_int("i", i, minimum=0)
    return PALETTE[i % len(PALETTE)]


def measured_line(i: int) -> dict:
    """Line style of the ``i``-th measured series (solid), ``i >= 0``."""
    i = check_positive_int("i", i, minimum=0)
    return dict(color=colour(i))


def symbol(i: int) -> str:
    """The marker symbol of the ``i``-th series (cycling through :data:`SYMBOLS`), ``i >= 0``."""
    i = check_positive_int("i", i, minimum=0)
    return SYMBOLS[i % len(SYMBOLS)]


def measured_style(i: int, mode: str = "lines") -> dict:
    """Scatter arguments (``mode``, ``line``, ``marker``) of the ``i``-th measured series: solid, in
    :func:`colour` ``(i)``, with the marker :func:`symbol` ``(i)`` as a second cue beside colour (WCAG 1.4.1). A
    series drawn as ``"lines"`` gets at most :data:`MARKERS_PER_LINE` markers (a cue, not data); a series drawn
    with markers keeps every one of them.

    Args:
        i: the series index, ``>= 0``.
        mode: ``"lines"``, ``"markers"`` or ``"lines+markers"``.

    Returns:
        The keyword arguments for ``go.Scatter`` (or a trace dict).
    """
    i = check_positive_int("i", i, minimum=0)
    if mode not in ("lines", "markers", "lines+markers"):
        raise ValueError(f"mode must be 'lines', 'markers' or 'lines+markers', got {mode!r}")
    marker = dict(color=colour(i), symbol=symbol(i), size=8)
    if mode == "lines":
        marker.update(size=7, maxdisplayed=MARKERS_PER_LINE)
    return dict(mode="markers" if mode == "markers" else "lines+markers", line=measured_line(i), marker=marker)


def theory_line(i: int | None = None) -> dict:
    """Line style of a prediction: dashed, in the colour of measured series ``i`` (black if ``i`` is None)."""
    if i is not None:
        i = check_positive_int("i", i, minimum=0)
    return dict(color=THEORY_COLOUR if i is None else colour(i), dash=THEORY_DASH)


def theory_style(i: int | None = None) -> dict:
    """Scatter arguments of a prediction: dashed (:func:`theory_line`); paired with measured series ``i``, it
    carries that series' symbol, open, as the same second cue (a few markers on the line)."""
    if i is None:
        return dict(mode="lines", line=theory_line())
    return dict(mode="lines+markers", line=theory_line(i),
                marker=dict(color=colour(i), symbol=f"{symbol(i)}-open", size=7, maxdisplayed=MARKERS_PER_LINE))


def base_layout(fig: go.Figure, title: str, xaxis: str, yaxis: str, height: int = 420) -> go.Figure:
    """Common layout: title, axis labels, white template (:func:`finish` then places the legend and title).

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
                      paper_bgcolor=BACKGROUND, plot_bgcolor=BACKGROUND, height=height,
                      margin=dict(l=60, r=20, t=60, b=50))
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


def rich_text(text: str) -> str:
    """``text`` with its raw ``_`` and ``^`` notation turned into plotly's ``<sub>``/``<sup>``: ``γ_(j+1)`` ->
    ``γ<sub>j+1</sub>``, ``M^(-1/2)`` -> ``M<sup>−1/2</sup>``, ``K_∞`` -> ``K<sub>∞</sub>`` (a group in ``()`` or
    ``{}``, or one run of letters and digits). Text without them is returned unchanged."""
    check_str("text", text)
    return _SUB_SUP.sub(_sub_sup, text) if ("_" in text or "^" in text) else text


_SUB_SUP = re.compile(r"([_^])(\([^()]*\)|\{[^{}]*\}|[-+−]?[^\W_]+|∞)")


def _sub_sup(match: re.Match) -> str:
    tag = "sub" if match.group(1) == "_" else "sup"
    body = match.group(2)
    if body[0] in "({":
        body = body[1:-1]
    if tag == "sup":
        body = body.replace("-", "−")   # a minus sign, not a hyphen
    return f"<{tag}>{body}</{tag}>"


def builder(function: Callable[..., go.Figure]) -> Callable[..., go.Figure]:
    """Decorator of every public figure builder: the figure it returns goes through :func:`finish`, stamped with
    the builder's name ``"<module>.<function>"`` (e.g. ``kernel_ssl.figures.staircase.staircase_figure``)."""
    if not callable(function):
        raise TypeError(f"function must be a callable figure builder, got {type(function).__name__}")
    name = f"{function.__module__}.{function.__qualname__}"

    @functools.wraps(function)
    def wrapped(*args, **kwargs) -> go.Figure:
        return finish(function(*args, **kwargs), name)

    return wrapped


def finish(fig: go.Figure, builder_name: str) -> go.Figure:
    """Make a built figure fit for every reader (changed in place): the provenance stamp
    ``layout.meta["kernel_ssl_builder"] = builder_name``, every label through :func:`rich_text`, the title
    wrapped for a 390 px screen, the legend horizontal below the plot (and below any slider), sliders stacked
    full width, space reserved for all of it, and a white paper.

    Args:
        fig: the figure a builder made.
        builder_name: ``"<module>.<function>"`` of that builder.

    Returns:
        ``fig``.
    """
    _check_figure(fig)
    check_str("builder_name", builder_name)
    layout = fig.layout
    meta = layout.meta if isinstance(layout.meta, dict) else {}
    layout.meta = {**meta, BUILDER_KEY: builder_name}
    _rich_labels(fig)
    top = _place_title(fig)
    _place_controls_and_legend(fig, top)
    layout.paper_bgcolor = BACKGROUND
    return fig


def _rich_labels(fig: go.Figure) -> None:
    # every text a reader sees as a label: title, axis and colour-bar titles, annotations (subplot titles
    # included), trace names and hover templates, slider and button labels
    layout = fig.layout
    if layout.title.text:
        layout.title.text = rich_text(layout.title.text)
    for key in list(layout.to_plotly_json()):
        if re.fullmatch(r"[xy]axis\d*", key) and layout[key].title.text:
            layout[key].title.text = rich_text(layout[key].title.text)
        elif re.fullmatch(r"scene\d*", key):
            for axis in ("xaxis", "yaxis", "zaxis"):
                if layout[key][axis].title.text:
                    layout[key][axis].title.text = rich_text(layout[key][axis].title.text)
    for annotation in layout.annotations:
        if annotation.text:
            annotation.text = rich_text(annotation.text)
    for trace in fig.data:
        if trace.name:
            trace.name = rich_text(trace.name)
        if getattr(trace, "hovertemplate", None):
            trace.hovertemplate = rich_text(trace.hovertemplate)
        colorbar = getattr(trace, "colorbar", None)
        if colorbar is not None and colorbar.title.text:
            colorbar.title.text = rich_text(colorbar.title.text)
    for slider in layout.sliders:
        if slider.currentvalue.prefix:
            slider.currentvalue.prefix = rich_text(slider.currentvalue.prefix)
        for step in slider.steps:
            if step.label:
                step.label = rich_text(str(step.label))
    for menu in layout.updatemenus:
        for button in menu.buttons:
            if button.label:
                button.label = rich_text(button.label)


def _visible_length(text: str) -> int:
    # what a reader sees of a label: tags dropped (<sub>, <b>, <br>)
    return len(re.sub(r"<[^>]+>", "", text))


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for part in re.split(r"<br\s*/?>", text):
        line = ""
        for word in part.split(" "):
            if line and _visible_length(line) + 1 + _visible_length(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def _place_title(fig: go.Figure) -> int:
    # the title wrapped to fit a 390 px screen, left-aligned in the top margin above any buttons; returns the
    # top margin it needs (pixels)
    layout = fig.layout
    text = layout.title.text or ""
    lines = _wrap(text, TITLE_CHARS) if text else []
    if lines:
        layout.title = dict(text="<br>".join(lines), x=0.0, xanchor="left", xref="paper", y=1.0, yanchor="top",
                            yref="container", pad=dict(t=12), font=dict(size=16))
    top = 20 + 21 * len(lines)
    if layout.updatemenus:
        # the buttons sit just above the plot, below the title
        for menu in layout.updatemenus:
            menu.update(x=1.0, xanchor="right", y=1.0, yanchor="bottom", pad=dict(t=0, b=6, r=0))
        top += 36
    subplot_titles = [a for a in layout.annotations if a.yref == "paper" and a.y is not None and a.y >= 1.0]
    if subplot_titles:
        top += 22
    if any(getattr(trace, "type", None) == "scatter3d" or getattr(trace, "type", None) == "surface"
           for trace in fig.data):
        top += 10
    return max(top, 40)


def _legend_rows(fig: go.Figure) -> int:
    # rows of a horizontal legend on a 390 px screen: plotly wraps entries at the figure's width
    names = [t.name for t in fig.data if t.showlegend is not False and t.name
             and getattr(t, "type", None) not in ("heatmap", "surface") or (getattr(t, "type", None) == "surface"
                                                                            and t.showlegend)]
    if not names:
        return 0
    rows, used, width = 1, 0.0, NARROW_PX - 20
    for name in dict.fromkeys(names):
        item = LEGEND_ITEM_PX + LEGEND_CHAR_PX * _visible_length(name)
        if used and used + item > width:
            rows, used = rows + 1, 0.0
        used += item
    return rows


def _place_controls_and_legend(fig: go.Figure, top: int) -> None:
    # Below the plot, top to bottom: the x-axis title, each slider (full width, stacked), the legend
    # (horizontal). Their heights do not depend on the screen's width except the legend's, which is reserved
    # for a 390 px screen; the bottom margin holds them all, so plotly never has to push the plot.
    layout = fig.layout
    height = layout.height or 450
    has_x_title = any(layout[k].title.text for k in layout.to_plotly_json() if re.fullmatch(r"xaxis\d*", k))
    below = 60 if has_x_title else 34
    n_sliders = len(layout.sliders)
    rows = _legend_rows(fig)
    bottom = below + SLIDER_PX * n_sliders + (LEGEND_ROW_PX * rows + 8 if rows else 0) + 8
    plot = max(height - top - bottom, 120)
    layout.height = top + bottom + plot
    layout.margin = dict(l=layout.margin.l if layout.margin.l is not None else 60,
                         r=layout.margin.r if layout.margin.r is not None else 20, t=top, b=bottom, autoexpand=True)
    for j, slider in enumerate(layout.sliders):
        slider.update(x=0.0, xanchor="left", len=1.0, y=-(below + SLIDER_PX * j) / plot, yanchor="top",
                      pad=dict(t=8, b=0, l=0, r=0), currentvalue=dict(font=dict(size=13)), font=dict(size=11))
    if rows:
        layout.legend = dict(orientation="h", x=0.0, xanchor="left", y=-(below + SLIDER_PX * n_sliders) / plot,
                             yanchor="top", bgcolor="rgba(255,255,255,0)", font=dict(size=12),
                             entrywidthmode="pixels", itemwidth=30)
    else:
        layout.showlegend = False if not any(getattr(t, "type", None) == "scatter" and t.showlegend
                                             for t in fig.data) else layout.showlegend


def label_texts(fig: go.Figure | dict) -> list[str]:
    """Every label text of a figure (title, axis and colour-bar titles, annotations, trace names and hover
    templates, slider and button labels), as the tests read them for raw ``_``/``^``."""
    if not isinstance(fig, (go.Figure, dict)):
        raise TypeError(f"fig must be a plotly go.Figure or its dict, got {type(fig).__name__}")
    d = fig.to_plotly_json() if isinstance(fig, go.Figure) else fig
    layout, texts = d.get("layout", {}), []

    def title(node) -> None:
        t = (node or {}).get("title")
        if isinstance(t, dict):
            t = t.get("text")
        if t:
            texts.append(str(t))

    title(layout)
    for key, node in layout.items():
        if re.fullmatch(r"[xy]axis\d*", key):
            title(node)
        elif re.fullmatch(r"scene\d*", key):
            for axis in ("xaxis", "yaxis", "zaxis"):
                title(node.get(axis))
    texts += [str(a["text"]) for a in layout.get("annotations", ()) if a.get("text")]
    for trace in d.get("data", ()):
        texts += [str(trace[k]) for k in ("name", "hovertemplate") if trace.get(k)]
        title(trace.get("colorbar"))
    for slider in layout.get("sliders", ()):
        texts.append(str(slider.get("currentvalue", {}).get("prefix", "")))
        texts += [str(step.get("label", "")) for step in slider.get("steps", ())]
    for menu in layout.get("updatemenus", ()):
        texts += [str(b.get("label", "")) for b in menu.get("buttons", ())]
    return [t for t in texts if t]
