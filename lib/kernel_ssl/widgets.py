"""Live controls for Binder/Colab: ipywidgets that recompute a figure from its parameters.

On the static website the controls are shown at their initial value (from the saved widget state) and do
nothing; the chapters precompute plotly sliders for the website instead. Headless execution (papermill, the
book build) calls the callback once with the initial values and never waits for input.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets
from IPython.display import display


def live_figure(controls: Mapping[str, widgets.ValueWidget], make_figure: Callable[..., Any],
                title: str = "") -> widgets.VBox:
    """Lay out ``controls`` above an output area showing ``make_figure(**values)``, redrawn on every change.

    ``make_figure`` receives the controls' values as keyword arguments (named as in ``controls``) and returns
    a plotly figure (or anything IPython can display).
    """
    if not controls:
        raise ValueError("controls must hold at least one widget")
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise TypeError(f"controls[{name!r}] must be an ipywidgets value widget, got {type(control).__name__}")
    out = widgets.interactive_output(lambda **values: display(make_figure(**values)), dict(controls))
    header = [widgets.HTML(f"<b>{title}</b>")] if title else []
    return widgets.VBox(header + [widgets.HBox(list(controls.values())), out])
