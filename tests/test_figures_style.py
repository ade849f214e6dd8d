"""The reader-facing style (issue 17): colour contrast, second cue, real sub/superscripts, the builder stamp and
the legend below the plot. Contrast is recomputed here from WCAG 2.2's definition, not read from style's comments."""
import re

import plotly.graph_objects as go

from kernel_ssl.figures import style


def _luminance(hex_colour: str) -> float:
    # WCAG 2.2 relative luminance: sRGB channels linearised, weighted 0.2126 / 0.7152 / 0.0722
    rgb = [int(hex_colour[k:k + 2], 16) / 255 for k in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast_on_white(hex_colour: str) -> float:
    return (1.0 + 0.05) / (_luminance(hex_colour) + 0.05)


def test_every_series_colour_has_3_to_1_on_white():
    for c in (*style.PALETTE, style.THEORY_COLOUR, style.NEUTRAL_COLOUR):
        assert _contrast_on_white(c) >= 3.0, c


def test_the_contrast_check_rejects_okabe_ito_orange():
    # the test's own formula must be able to fail: Okabe-Ito's orange is documented at 2.25:1 on white
    assert _contrast_on_white("#E69F00") < 3.0


def test_series_of_one_colour_cycle_differ_in_symbol():
    n = 2 * len(style.PALETTE)
    pairs = {(style.measured_style(i)["marker"]["color"], style.measured_style(i)["marker"]["symbol"])
             for i in range(n)}
    assert len(pairs) == n
    assert style.measured_style(0)["line"].get("dash") is None
    assert style.theory_style(0)["line"]["dash"] == style.THEORY_DASH


def test_rich_text_turns_raw_notation_into_tags():
    assert style.rich_text("λ_d - λ_(d+1)") == "λ<sub>d</sub> - λ<sub>d+1</sub>"
    assert style.rich_text("M^(-1/2)") == "M<sup>−1/2</sup>"
    assert style.rich_text("plain text") == "plain text"


def test_finish_stamps_the_builder_and_puts_the_legend_below():
    fig = go.Figure([go.Scatter(x=[1, 2], y=[1, 2], name="γ_1"), go.Scatter(x=[1, 2], y=[2, 1], name="γ_2")])
    fig.update_layout(title="the gap λ_d - λ_(d+1) against the number of steps taken so far in training",
                      xaxis_title="step t")
    style.finish(fig, "tests.example")
    assert fig.layout.meta[style.BUILDER_KEY] == "tests.example"
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0
    assert all(not re.search(r"(?<!<)[_^][\w(]", t) for t in style.label_texts(fig))
