"""Unit tests of kernel_ssl.widgets.live_figure: the layout, the figure drawn in the kernel at the initial
values and redrawn on every move, errors, and, executed headless by nbclient, no widget state sent back to the
kernel on the shell channel (the send that can stall an execution, see the function's docstring)."""
from __future__ import annotations

import re

import ipywidgets as widgets
import nbformat
import plotly.graph_objects as go
import pytest
from nbclient import NotebookClient
from nbclient.output_widget import OutputWidget

from kernel_ssl import display
from kernel_ssl.widgets import display_output, live_figure


@pytest.fixture(autouse=True)
def book_renderer(restore_plotly_renderer):
    """Figures as the book renders them (plotly's choice outside a kernel gives no bundle); restored after."""
    display.configure_plotly("book")


def _figure(a: int, kind: str) -> go.Figure:
    return go.Figure(go.Scatter(x=[0, 1, 2], y=[0, a, 2 * a], name=kind))


def _controls():
    return {"a": widgets.IntSlider(value=2, min=1, max=5, description="a"),
            "kind": widgets.Dropdown(options=["relu", "erf"], value="relu", description="σ")}


def _html(fig: go.Figure) -> str:
    """The figure's book HTML with plotly's random div id blanked (two renderings differ only there)."""
    return _without_id(display_output(fig)["data"]["text/html"])


def _without_id(html: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", html)


def _shown_figure(box: widgets.VBox) -> str:
    out = box.children[-1]
    assert isinstance(out, widgets.Output) and len(out.outputs) == 1
    (output,) = out.outputs
    assert output["output_type"] == "display_data" and set(output["data"]) == {"text/html"}
    assert "plotly-graph-div" in output["data"]["text/html"]
    return _without_id(output["data"]["text/html"])


def test_layout_and_initial_figure():
    controls = _controls()
    box = live_figure(controls, _figure, title="A figure")
    assert isinstance(box.children[0], widgets.HTML) and "A figure" in box.children[0].value
    assert list(box.children[1].children) == list(controls.values())
    data = _shown_figure(box)
    assert data == _html(_figure(2, "relu"))


def test_every_move_redraws_with_the_new_values():
    controls = _controls()
    box = live_figure(controls, _figure)
    assert isinstance(box.children[0], widgets.HBox)  # no title, no header
    controls["a"].value = 4
    assert _shown_figure(box) == _html(_figure(4, "relu"))
    controls["kind"].value = "erf"
    assert _shown_figure(box) == _html(_figure(4, "erf"))


def test_errors():
    with pytest.raises(ValueError, match="controls must hold at least one widget"):
        live_figure({}, _figure)
    with pytest.raises(TypeError, match=r"controls\['a'\] must be an ipywidgets value widget"):
        live_figure({"a": 3}, _figure)
    with pytest.raises(TypeError, match="controls must map names to widgets"):
        live_figure(list(_controls().values()), _figure)
    with pytest.raises(TypeError, match="make_figure must be callable, got Figure"):
        live_figure(_controls(), _figure(2, "relu"))

    def fails_above_three(a: int, kind: str = "relu") -> go.Figure:
        if a > 3:
            raise ValueError(f"a must be at most 3, got {a}")
        return _figure(a, kind)

    with pytest.raises(ValueError, match="a must be at most 3"):  # at the initial values: the cell fails
        live_figure({"a": widgets.IntSlider(value=5, min=1, max=5)}, fails_above_three)
    controls = _controls()
    box = live_figure(controls, fails_above_three)
    controls["a"].value = 5  # after a move: the error is shown where the figure was, the controls live on
    (output,) = box.children[-1].outputs
    assert output["output_type"] == "stream" and "a must be at most 3, got 5" in output["text"]
    controls["a"].value = 1
    assert _shown_figure(box) == _html(_figure(1, "relu"))

    class Blank:
        def _repr_mimebundle_(self, include=None, exclude=None):
            return {}

    with pytest.raises(ValueError, match="the figure must have a display representation, got Blank"):
        display_output(Blank())


def test_headless_execution_sends_nothing_back_on_the_shell_channel(monkeypatch, tmp_path):
    """nbclient mimics an Output widget front end: for output captured into the widget it sends the new state
    to the kernel on the shell channel (OutputWidget.sync_state), concurrently with its wait there for the
    cell's reply. live_figure must not give it anything to capture, yet the saved widget state must hold the
    figure (that is what the static page shows)."""
    sent = []
    monkeypatch.setattr(OutputWidget, "sync_state", lambda self: sent.append(self.comm_id))
    code = ("import ipywidgets as widgets, plotly.graph_objects as go\n"
            "from kernel_ssl.widgets import live_figure\n"
            "live_figure({'a': widgets.IntSlider(value=3, min=1, max=5)},\n"
            "            lambda a: go.Figure(go.Bar(x=[0, 1], y=[a, 7 * a])), title='t')")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    client = NotebookClient(nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    assert sent == []
    outputs = [s.get("outputs") for s in client.widget_state.values() if s.get("_model_name") == "OutputModel"]
    assert len(outputs) == 1 and len(outputs[0]) == 1
    # the bars of heights a and 7a drawn at the initial value a = 3, read from the figure's own trace (plotly's
    # template alone contains "21", so a text search would hold for any figure)
    (trace,) = outputs[0][0]["data"]["application/vnd.plotly.v1+json"]["data"]
    assert trace["type"] == "bar" and list(trace["y"]) == [3, 21]
