"""kernel_ssl.figures.heatmaps: the class-ordered pair of heat maps (traces, ticks, errors)."""
import numpy as np
import pytest

from kernel_ssl.figures.heatmaps import heatmap_pair


def test_heatmap_pair_ticks_one_per_class_block():
    left, right = np.eye(4), np.eye(3)
    fig = heatmap_pair(left, right, [0, 0, 1, 1], [2, 5, 5], "train", "test", "title")
    assert len(fig.data) == 2 and fig.data[0].z.shape == (4, 4) and fig.data[1].z.shape == (3, 3)
    assert list(fig.layout.xaxis.tickvals) == [0.5, 2.5] and list(fig.layout.xaxis.ticktext) == ["0", "1"]
    assert list(fig.layout.xaxis2.tickvals) == [0.0, 1.5] and list(fig.layout.xaxis2.ticktext) == ["2", "5"]


def test_heatmap_pair_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="left must be square with one left_labels entry per row"):
        heatmap_pair(np.eye(3), np.eye(2), [0, 1], [0, 1], "a", "b", "t")
