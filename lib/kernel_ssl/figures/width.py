"""Figures of the infinite-width chapter that the generic builders do not arrange: the loss of networks of
several widths against time, each with its kernel model."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from ..validation import as_finite_array, check_bool, check_str
from .lines import measured_and_theory
from .style import builder


@builder
def loss_against_time(t, network_loss: Mapping[int, np.ndarray], kernel_loss: Mapping[int, np.ndarray],
                      title: str, log_y: bool = True) -> go.Figure:
    r"""The loss of the network of each width against effective time :math:`t=\eta\times\text{step}` (solid) and
    that of its kernel model, started from the same outputs (dashed, same colour).

    Args:
        t: the recorded times ``(R,)``.
        network_loss: width -> the network's loss at ``t``, ``(R,)``.
        kernel_loss: width -> its kernel model's loss at ``t``, ``(R,)``; the same widths as ``network_loss``.
        title: the figure title.
        log_y: log-scale loss axis (the theory form of Barlow Twins falls to round-off).

    Returns:
        The plotly figure (:func:`kernel_ssl.figures.lines.measured_and_theory`).
    """
    ta = as_finite_array("t", t, ndim=1)
    check_str("title", title)
    log_y = check_bool("log_y", log_y)
    for name, losses in (("network_loss", network_loss), ("kernel_loss", kernel_loss)):
        if not isinstance(losses, Mapping):
            raise TypeError(f"{name} must be a mapping width -> losses, got {type(losses).__name__}")
    if not network_loss or set(network_loss) != set(kernel_loss):
        raise ValueError(f"network_loss and kernel_loss must hold the same non-empty set of widths, got "
                         f"{sorted(network_loss)} and {sorted(kernel_loss)}")
    positive = {}
    for name, losses in (("network_loss", network_loss), ("kernel_loss", kernel_loss)):
        for width, y in losses.items():
            ya = as_finite_array(f"{name}[{width}]", y, ndim=1)
            if ya.shape != ta.shape:
                raise ValueError(f"{name}[{width}] must have one value per time ({ta.size}), got shape {ya.shape}")
            if log_y and np.any(ya <= 0):
                raise ValueError(f"{name}[{width}] must be positive on a log axis (log_y=False otherwise)")
            positive[name, width] = ya
    label = {w: f"M = {w}" for w in sorted(network_loss)}
    return measured_and_theory({label[w]: (ta, positive["network_loss", w]) for w in label},
                               {label[w]: (ta, positive["kernel_loss", w]) for w in label},
                               title, "effective time t = lr × step", "loss", log_y=log_y)
