"""Unit tests of kernel_ssl.display: the book renderer emits an HTML fragment that relies on the page's own
plotly.js (nothing inlined, nothing from a CDN); other choices keep plotly's default; bad names raise."""
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from kernel_ssl import display

# plotly.min.js alone is about 4.6 MB; a small figure's div, data and layout (with its template) take ~10 kB
MAX_FRAGMENT_BYTES = 100_000


pytestmark = pytest.mark.usefixtures("restore_plotly_renderer")


def _figure() -> go.Figure:
    return go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], name="measured"))


def test_book_renderer_html_without_plotly_js():
    assert display.configure_plotly("book") == display.BOOK_RENDERER
    assert pio.renderers.default == display.BOOK_RENDERER
    bundle = _figure()._repr_mimebundle_()
    assert set(bundle) == {"text/html"}
    html = bundle["text/html"]
    assert "plotly-graph-div" in html and "Plotly.newPlot" in html
    assert len(html.encode()) < MAX_FRAGMENT_BYTES
    # neither plotly.js itself nor a link to it: the book serves its own copy
    assert "cdn.plot.ly" not in html and "cdn.jsdelivr" not in html and "<script src=" not in html
    assert "plotly.js v" not in html.lower()  # the banner at the top of the inlined library


def test_notebook_renderer_would_inline_plotly_js():
    # the contrast the book renderer exists for (so the size bound above can fail)
    html = pio.to_html(_figure(), include_plotlyjs=True, full_html=False)
    assert len(html.encode()) > MAX_FRAGMENT_BYTES


def test_environment_variable_selects_the_renderer(monkeypatch):
    before = pio.renderers.default
    monkeypatch.setenv(display.ENV_VAR, "auto")
    assert display.configure_plotly() == before
    monkeypatch.delenv(display.ENV_VAR)
    assert display.configure_plotly() == before
    monkeypatch.setenv(display.ENV_VAR, "book")
    assert display.configure_plotly() == display.BOOK_RENDERER


def test_bad_renderer_names(monkeypatch):
    with pytest.raises(ValueError, match=r"renderer must be 'book' or 'auto'.*got 'notebook'"):
        display.configure_plotly("notebook")
    monkeypatch.setenv(display.ENV_VAR, "html")
    with pytest.raises(ValueError, match=r"renderer must be 'book' or 'auto'.*got 'html'"):
        display.configure_plotly()


def test_in_colab(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert display.in_colab() is False
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20250101")
    assert display.in_colab() is True
