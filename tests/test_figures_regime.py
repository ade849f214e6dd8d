"""kernel_ssl.figures.regime: the regime map's heat maps (one per panel, switched by a slider), the region
annotations, and bad input."""
import numpy as np
import pytest

from kernel_ssl.figures.regime import regime_map_figure

TAU, WIDTHS = [1.0, 0.3, 0.1], [64, 256]


def _panels():
    rng = np.random.default_rng(0)
    return {"log10 kernel change": rng.standard_normal((3, 2)), "frozen-flow gap": rng.random((3, 2)),
            "probe accuracy": rng.random((3, 2))}


def test_one_heatmap_per_panel_first_visible():
    panels = _panels()
    fig = regime_map_figure(TAU, WIDTHS, panels, {}, "title")
    assert [t.type for t in fig.data] == ["heatmap"] * 3
    assert [t.name for t in fig.data] == list(panels)
    assert [t.visible for t in fig.data] == [True, False, False]
    for trace, values in zip(fig.data, panels.values(), strict=True):
        np.testing.assert_array_equal(np.asarray(trace.z), values)
        assert list(trace.x) == ["M=64", "M=256"] and list(trace.y) == ["τ=1", "τ=0.3", "τ=0.1"]
        assert np.asarray(trace.text)[2, 1] == f"{values[2, 1]:.3g}"  # every cell's value written in it
    assert fig.layout.height == 520 and fig.layout.title.text == "title"


def test_slider_switches_visibility():
    fig = regime_map_figure(TAU, WIDTHS, _panels(), {}, "title")
    (slider,) = fig.layout.sliders
    assert [step.label for step in slider.steps] == list(_panels())
    for i, step in enumerate(slider.steps):
        assert step.method == "update"
        assert list(step.args[0]["visible"]) == [j == i for j in range(3)]


def test_region_annotations_are_placed_on_their_cells():
    fig = regime_map_figure(TAU, WIDTHS, _panels(), {"lazy corner": (0, 1), "rich corner": (2, 0)}, "title")
    placed = {a.text: (a.x, a.y) for a in fig.layout.annotations}
    assert placed == {"<b>lazy corner</b>": ("M=256", "τ=1"), "<b>rich corner</b>": ("M=64", "τ=0.1")}


def test_numpy_integer_cells_are_accepted():
    fig = regime_map_figure(TAU, WIDTHS, _panels(), {"cell": (np.int64(1), np.int64(0))}, "title")
    assert (fig.layout.annotations[0].x, fig.layout.annotations[0].y) == ("M=64", "τ=0.3")


@pytest.mark.parametrize("panels, error, match", [
    ({"a": np.zeros((2, 3))}, ValueError, r"panels\['a'\] must be \(3, 2\), got \(2, 3\)"),
    ({"a": np.zeros((3, 2)), "b": np.zeros(6)}, ValueError, r"panels\['b'\]"),
    ({"a": np.full((3, 2), np.nan)}, ValueError, r"panels\['a'\]"),
    ([np.zeros((3, 2))], TypeError, "panels must be a non-empty mapping"),
    ({}, TypeError, "panels must be a non-empty mapping"),
    (np.zeros((3, 2)), TypeError, "panels must be a non-empty mapping"),
])
def test_bad_panels_are_refused(panels, error, match):
    with pytest.raises(error, match=match):
        regime_map_figure(TAU, WIDTHS, panels, {}, "title")


@pytest.mark.parametrize("regions, error, match", [
    ({"r": (3, 0)}, ValueError, r"regions\['r'\] = \(3, 0\) is outside the 3 x 2 grid"),
    ({"r": (0, 2)}, ValueError, "outside the 3 x 2 grid"),
    ({"r": (-1, 0)}, ValueError, "outside the 3 x 2 grid"),
    ({"r": (0,)}, TypeError, r"regions\['r'\] must be a \(row, column\) pair of ints"),
    ({"r": (0.0, 1.0)}, TypeError, r"regions\['r'\] must be a \(row, column\) pair of ints"),
    ({"r": "corner"}, TypeError, r"regions\['r'\]"),
    ([(0, 1)], TypeError, "regions must map names to"),
])
def test_bad_regions_are_refused(regions, error, match):
    with pytest.raises(error, match=match):
        regime_map_figure(TAU, WIDTHS, _panels(), regions, "title")


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(output_scales=[1.0, np.nan, 0.1]), ValueError, "output_scales"),
    (dict(output_scales=np.ones((3, 1))), ValueError, "output_scales"),
    (dict(widths=[[64, 256]]), ValueError, "widths"),
    (dict(widths=[64, np.inf]), ValueError, "widths"),
    (dict(title=3), TypeError, "title"),
])
def test_bad_axes_and_title_are_refused(kwargs, error, match):
    args = dict(output_scales=TAU, widths=WIDTHS, panels=_panels(), regions={}, title="title")
    args.update(kwargs)
    with pytest.raises(error, match=match):
        regime_map_figure(**args)
