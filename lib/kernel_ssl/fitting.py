"""Fits used to read claims off measurements (log-log slopes, linear slopes)."""
from __future__ import annotations

import numpy as np

from .validation import as_finite_array


def linear_fit(x, y) -> tuple[float, float]:
    """Least-squares line ``y ~ slope * x + intercept``; returns ``(slope, intercept)``."""
    xa = as_finite_array("x", x, ndim=1)
    ya = as_finite_array("y", y, ndim=1)
    if xa.shape != ya.shape or xa.size < 2:
        raise ValueError(f"x and y must be 1-D of equal length >= 2, got {xa.shape} and {ya.shape}")
    if np.ptp(xa) == 0:
        raise ValueError("x must not be constant (the slope is undefined)")
    slope, intercept = np.polyfit(xa, ya, 1)
    return float(slope), float(intercept)


def loglog_slope(x, y) -> tuple[float, float]:
    """Slope and intercept of ``log y`` against ``log x`` (natural logs; the slope is base-free)."""
    xa = as_finite_array("x", x, ndim=1)
    ya = as_finite_array("y", y, ndim=1)
    if np.any(xa <= 0) or np.any(ya <= 0):
        raise ValueError("x and y must be positive for a log-log fit")
    return linear_fit(np.log(xa), np.log(ya))
