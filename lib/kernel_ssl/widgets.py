"""Live controls for Binder/Colab: ipywidgets that recompute a figure from its parameters.

On the static website the controls are shown at their initial value (from the saved widget state) and do
nothing; the chapters precompute plotly sliders for the website instead. Headless execution (papermill, the
book build) calls the callback once with the initial values and never waits for input.
"""
from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
from IPython.core.formatters import format_display_data


def display_output(obj: Any) -> dict[str, Any]:
    """``obj`` as one notebook ``display_data`` output, formatted in the kernel.

    An object's own ``_repr_mimebundle_`` comes first: IPython's formatter would instead call a plotly
    figure's ``_ipython_display_``, which shows the figure in the cell (outside the widget) and returns
    nothing. For plotly figures the bundle is what :mod:`kernel_ssl.display` configured (the book's HTML, or
    plotly's default for JupyterLab, Colab or a classic notebook).
    """
    if hasattr(obj, "_repr_mimebundle_"):
        bundle = obj._repr_mimebundle_(include=None, exclude=None)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
    else:
        data, metadata = format_display_data(obj)
    if not data:
        raise ValueError(f"the figure must have a display representation, got {type(obj).__name__} without one")
    return {"output_type": "display_data", "data": dict(data), "metadata": dict(metadata or {})}


def live_figure(controls: Mapping[str, widgets.ValueWidget], make_figure: Callable[..., Any],
                title: str = "") -> widgets.VBox:
    """Lay out ``controls`` above an output area showing ``make_figure(**values)``, redrawn on every change.

    ``make_figure`` receives the controls' values as keyword arguments (named as in ``controls``) and returns
    a plotly figure (or anything IPython can display). The first drawing happens here, so an error in
    ``make_figure`` at the initial values raises; an error after a move is shown in the output area.

    The figure is formatted in the kernel and assigned to the ``Output`` widget's ``outputs``, not captured
    with ``with out: display(...)`` (what ``ipywidgets.interactive_output`` does). Why: under a headless
    executor (nbclient, hence papermill and the book build) captured output makes the executor send the
    widget's new state back to the kernel on the shell channel while it is waiting on that channel for the
    cell's reply; that concurrent send can swallow the reply's wake-up and leave the execution waiting
    forever (seen here: a chapter stalled after its widget cell had finished in the kernel). Assigning
    ``outputs`` sends the state from the kernel only, and a browser front end shows it the same way.

    Args:
        controls: parameter name -> ipywidgets value widget (at least one), laid out in one row.
        make_figure: called as ``make_figure(**values)``; returns what to show (a plotly figure or anything
            IPython can display).
        title: a bold header above the controls (none if empty).

    Returns:
        The ``VBox`` to display: the header, the controls and the output area.

    Raises:
        TypeError: if ``controls`` is not a mapping of value widgets or ``make_figure`` is not callable.
        ValueError: if ``controls`` is empty (and whatever ``make_figure`` raises at the initial values).
    """
    if not isinstance(controls, Mapping):
        raise TypeError(f"controls must map names to widgets (a dict), got {type(controls).__name__}")
    if not controls:
        raise ValueError("controls must hold at least one widget")
    if not callable(make_figure):
        raise TypeError(f"make_figure must be callable, got {type(make_figure).__name__}")
    if not isinstance(title, str):
        raise TypeError(f"title must be a string, got {type(title).__name__}")
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise TypeError(f"controls[{name!r}] must be an ipywidgets value widget, got {type(control).__name__}")
    out = widgets.Output()

    def draw() -> None:
        figure = make_figure(**{name: control.value for name, control in controls.items()})
        out.outputs = (display_output(figure),)

    def redraw(change: Mapping[str, Any]) -> None:
        try:
            draw()
        except Exception:  # a reader's move must not kill the controls: show what went wrong instead
            out.outputs = ({"output_type": "stream", "name": "stderr", "text": traceback.format_exc()},)

    draw()
    for control in controls.values():
        control.observe(redraw, names="value")
    header = [widgets.HTML(f"<b>{title}</b>")] if title else []
    return widgets.VBox(header + [widgets.HBox(list(controls.values())), out])
