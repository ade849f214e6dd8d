"""Unit tests of kernel_ssl.fitting: exact lines and power laws are recovered, bad input is rejected."""
import numpy as np
import pytest

from kernel_ssl import fitting

# exact data: least squares returns the generating slope up to float64 round-off of a small linear solve
RTOL = 1e-10


@pytest.mark.parametrize("exponent,scale", [(-0.5, 3.0), (1.0, 0.2), (2.5, 1e-4)])
def test_loglog_slope_of_exact_power_laws(exponent, scale):
    x = np.array([64.0, 128.0, 512.0, 4096.0, 65536.0])
    slope, intercept = fitting.loglog_slope(x, scale * x ** exponent)
    assert slope == pytest.approx(exponent, rel=RTOL)
    assert intercept == pytest.approx(np.log(scale), rel=RTOL, abs=RTOL)
    assert isinstance(slope, float) and isinstance(intercept, float)


def test_linear_fit_exact_line():
    x = np.linspace(-1.0, 3.0, 7)
    slope, intercept = fitting.linear_fit(x, 2.5 * x - 0.75)
    assert slope == pytest.approx(2.5, rel=RTOL)
    assert intercept == pytest.approx(-0.75, rel=RTOL)


def test_linear_fit_is_least_squares():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(20)
    y = 1.5 * x + rng.standard_normal(20)
    slope, intercept = fitting.linear_fit(x, y)
    design = np.stack([x, np.ones_like(x)], axis=1)
    expected, *_ = np.linalg.lstsq(design, y, rcond=None)
    np.testing.assert_allclose([slope, intercept], expected, rtol=RTOL)


@pytest.mark.parametrize("x,y,pattern", [
    ([1.0, 0.0, 2.0], [1.0, 2.0, 3.0], r"x and y must be positive for a log-log fit"),
    ([1.0, 2.0, 3.0], [1.0, -2.0, 3.0], r"x and y must be positive for a log-log fit"),
    ([2.0, 2.0, 2.0], [1.0, 2.0, 3.0], r"x must not be constant"),
    ([1.0, 2.0, 3.0], [1.0, 2.0], r"x and y must be 1-D of equal length >= 2"),
    ([1.0], [1.0], r"x and y must be 1-D of equal length >= 2"),
    ([1.0, np.nan], [1.0, 2.0], r"x must contain only finite values"),
    ([[1.0, 2.0]], [1.0, 2.0], r"x must be a 1-D array"),
])
def test_loglog_slope_bad_inputs(x, y, pattern):
    with pytest.raises(ValueError, match=pattern):
        fitting.loglog_slope(x, y)


@pytest.mark.parametrize("x,y,pattern", [
    ([0.0, 0.0], [1.0, 2.0], r"x must not be constant"),
    ([0.0, 1.0], [1.0, 2.0, 3.0], r"x and y must be 1-D of equal length >= 2"),
    ([0.0, 1.0], [1.0, np.inf], r"y must contain only finite values"),
])
def test_linear_fit_bad_inputs(x, y, pattern):
    with pytest.raises(ValueError, match=pattern):
        fitting.linear_fit(x, y)
