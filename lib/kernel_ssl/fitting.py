"""Fits used to read claims off measurements (log-log slopes, linear slopes)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .validation import as_finite_array


def _check_xy(x, y, minimum: int, log: bool) -> tuple[np.ndarray, np.ndarray]:
    xa = as_finite_array("x", x, ndim=1)
    ya = as_finite_array("y", y, ndim=1)
    if xa.shape != ya.shape or xa.size < minimum:
        raise ValueError(f"x and y must be 1-D of equal length >= {minimum}, got {xa.shape} and {ya.shape}")
    if log and (np.any(xa <= 0) or np.any(ya <= 0)):
        raise ValueError("x and y must be positive for a log-log fit")
    if np.ptp(xa) == 0:
        raise ValueError("x must not be constant (the slope is undefined)")
    return xa, ya


def linear_fit(x, y) -> tuple[float, float]:
    """Least-squares line ``y ~ slope * x + intercept``; returns ``(slope, intercept)``."""
    xa, ya = _check_xy(x, y, 2, log=False)
    slope, intercept = np.polyfit(xa, ya, 1)
    return float(slope), float(intercept)


def loglog_slope(x, y) -> tuple[float, float]:
    """Slope and intercept of ``log y`` against ``log x`` (natural logs; the slope is base-free)."""
    xa, ya = _check_xy(x, y, 2, log=True)
    return linear_fit(np.log(xa), np.log(ya))


@dataclass(frozen=True)
class SlopeInterval:
    """A least-squares slope with its standard error and a two-sided confidence interval ``[low, high]``."""

    slope: float
    stderr: float
    low: float
    high: float


def loglog_slope_interval(x, y, confidence: float = 0.95) -> SlopeInterval:
    r"""Slope of ``log y`` against ``log x`` with its Student-t interval.

    :math:`\hat b \pm t_{1-(1-c)/2,\,n-2}\,\mathrm{se}(\hat b)` from ``scipy.stats.linregress``; the interval
    assumes independent, equal-variance residuals in log space, so pass one point per independent measurement
    (every seed's value at every width, not their mean) to let the spread over seeds set its width.

    Args:
        x: positive abscissae (for example widths), 1-d, at least three points and not all equal.
        y: positive ordinates of the same length.
        confidence: the interval's level, in (0, 1).

    Returns:
        The slope, its standard error and the interval.
    """
    xa, ya = _check_xy(x, y, 3, log=True)
    if isinstance(confidence, bool) or not (isinstance(confidence, (int, float, np.integer, np.floating))
                                            and 0 < confidence < 1):
        raise ValueError(f"confidence must be a number in (0, 1), got {confidence!r}")
    fit = stats.linregress(np.log(xa), np.log(ya))
    half = float(stats.t.ppf(0.5 + confidence / 2, xa.size - 2) * fit.stderr)
    return SlopeInterval(float(fit.slope), float(fit.stderr), float(fit.slope) - half, float(fit.slope) + half)
