"""Tests of kernel_ssl.figures.width: what the chapter's loss-against-time figure draws, and bad input."""
import numpy as np
import pytest

from kernel_ssl.figures import THEORY_DASH
from kernel_ssl.figures.width import loss_against_time

T = np.linspace(0.0, 4.0, 5)


def test_loss_against_time_draws_each_width_and_its_kernel_model():
    net = {64: np.exp(-T), 256: np.exp(-2 * T)}
    ker = {64: np.exp(-1.1 * T), 256: np.exp(-2.1 * T)}
    fig = loss_against_time(T, net, ker, "loss")
    names = [trace.name for trace in fig.data]
    assert names == ["M = 64", "M = 256", "M = 64 (theory)", "M = 256 (theory)"]
    np.testing.assert_array_equal(fig.data[1].y, net[256])
    np.testing.assert_array_equal(fig.data[3].y, ker[256])
    # the kernel models dashed, each in its network's colour
    assert fig.data[2].line.dash == THEORY_DASH and fig.data[2].line.color == fig.data[0].line.color
    assert fig.layout.yaxis.type == "log"


@pytest.mark.parametrize("net,ker,pattern", [
    ({64: np.ones(5)}, {128: np.ones(5)}, r"the same non-empty set of widths"),
    ({64: np.ones(4)}, {64: np.ones(5)}, r"network_loss\[64\] must have one value per time \(5\)"),
    ({64: np.ones(5)}, {64: np.zeros(5)}, r"kernel_loss\[64\] must be positive on a log axis"),
])
def test_loss_against_time_bad_input(net, ker, pattern):
    with pytest.raises(ValueError, match=pattern):
        loss_against_time(T, net, ker, "loss")
