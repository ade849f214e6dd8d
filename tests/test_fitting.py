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


def test_slope_interval_of_an_exact_power_law_is_the_exponent():
    from kernel_ssl.fitting import loglog_slope_interval

    x = np.array([1.0, 2.0, 4.0, 8.0])
    exact = loglog_slope_interval(x, 3 * x**-0.5)
    assert abs(exact.slope + 0.5) < 1e-12 and exact.stderr < 1e-12
    assert exact.low == pytest.approx(-0.5, abs=1e-10) and exact.high == pytest.approx(-0.5, abs=1e-10)


def test_slope_interval_coverage_is_near_its_level():
    from kernel_ssl.fitting import loglog_slope_interval

    rng = np.random.default_rng(1)
    xs = np.repeat([64.0, 128.0, 256.0, 512.0], 3)
    hits = 0
    for _ in range(400):
        fit = loglog_slope_interval(xs, xs**-0.75 * np.exp(0.2 * rng.standard_normal(xs.size)))
        hits += fit.low <= -0.75 <= fit.high
    assert 0.91 <= hits / 400 <= 0.99  # binomial sd of the coverage at 400 draws is 0.011


@pytest.mark.parametrize("kwargs", [dict(x=[1.0, 2.0], y=[1.0, 2.0]), dict(x=[1.0, 2.0, 3.0], y=[1.0, -2.0, 3.0]),
                                    dict(x=[1.0, 2.0, 3.0], y=[1.0, 2.0, 3.0], confidence=1.0)])
def test_slope_interval_refuses_bad_input(kwargs):
    from kernel_ssl.fitting import loglog_slope_interval

    with pytest.raises(ValueError, match="x and y|confidence"):
        loglog_slope_interval(**kwargs)
