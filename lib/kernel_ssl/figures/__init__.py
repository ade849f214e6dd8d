"""All of the book's plotly code: one module per kind of figure, one style (:mod:`.style`).

Nothing outside this package, :mod:`kernel_ssl.display` and :mod:`kernel_ssl.widgets` imports plotly; the
mathematics modules return arrays, and chapters hand them to these builders. Every builder is exported here, so
a chapter writes ``figures.<builder>`` whatever module holds it (tests/test_figures.py checks the list).
"""
from .heatmaps import heatmap_pair, heatmap_pair_slider, kernel_heatmap
from .lines import (
           curves,
           eigenvalue_panels,
           loglog_measurements,
           markers_with_theory,
           measured_and_theory,
           series_with_reference,
)
from .regime import regime_map_figure
from .sliders import probe_accuracy_slider, slider_curves
from .staircase import mode_images, staircase_figure, staircase_slider
from .style import (
           PALETTE,
           THEORY_DASH,
           base_layout,
           builder,
           colour,
           finish,
           label_texts,
           log_axes,
           measured_line,
           measured_style,
           rich_text,
           symbol,
           theory_line,
           theory_style,
           visibility_slider,
)
from .subspace import (
           angles_figure,
           collapse_figure,
           frozen_kernel_figure,
           kernel_change_figure,
           rate_figure,
           subspace_figure,
           width_gap_figure,
)
from .width import loss_against_time

__all__ = ["PALETTE", "THEORY_DASH", "builder", "finish", "label_texts", "measured_style", "rich_text", "symbol",
           "theory_style", "angles_figure", "base_layout", "collapse_figure", "colour", "curves",
           "eigenvalue_panels", "frozen_kernel_figure", "heatmap_pair", "heatmap_pair_slider", "kernel_change_figure",
           "kernel_heatmap", "log_axes", "loglog_measurements", "loss_against_time", "markers_with_theory",
           "measured_and_theory", "measured_line", "mode_images", "probe_accuracy_slider", "rate_figure",
           "regime_map_figure", "series_with_reference", "slider_curves", "staircase_figure", "staircase_slider",
           "subspace_figure", "theory_line", "visibility_slider", "width_gap_figure"]
