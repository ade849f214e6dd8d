"""All of the book's plotly code: one module per kind of figure, one style (:mod:`.style`).

Nothing outside this package, :mod:`kernel_ssl.display` and :mod:`kernel_ssl.widgets` imports plotly; the
mathematics modules return arrays, and chapters hand them to these builders.
"""
from .heatmaps import heatmap_pair_slider, kernel_heatmap
from .lines import (
                    curves,
                    eigenvalue_panels,
                    loglog_measurements,
                    markers_with_theory,
                    measured_and_theory,
                    series_with_reference,
)
from .sliders import probe_accuracy_slider, slider_curves
from .staircase import staircase_figure, staircase_slider
from .style import PALETTE, THEORY_DASH, base_layout, colour, log_axes, measured_line, theory_line
from .subspace import rate_figure, subspace_figure

__all__ = ["PALETTE", "THEORY_DASH", "base_layout", "colour", "curves", "eigenvalue_panels", "heatmap_pair_slider",
           "kernel_heatmap", "log_axes", "loglog_measurements", "markers_with_theory", "measured_and_theory",
           "measured_line", "probe_accuracy_slider", "rate_figure", "series_with_reference", "slider_curves",
           "staircase_figure", "staircase_slider", "subspace_figure", "theory_line"]
