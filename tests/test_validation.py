"""Unit tests of kernel_ssl.validation: every check accepts good input unchanged and rejects bad input with an
error whose message names the argument and the expected range."""
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import validation as v


def test_as_finite_array_accepts_numpy_and_jax():
    a = v.as_finite_array("x", jnp.ones((2, 3)), ndim=2)
    assert isinstance(a, np.ndarray) and a.shape == (2, 3)
    np.testing.assert_array_equal(v.as_finite_array("x", [1.0, 2.0]), [1.0, 2.0])
    assert v.check_finite("x", np.zeros(3), ndim=1) is None


@pytest.mark.parametrize("value,exc,fragments", [
    (np.ones((2, 3)), ValueError, ["x", "1-D", "(2, 3)"]),
    (np.array([1.0, np.nan]), ValueError, ["x", "finite"]),
    (np.array([np.inf, 1.0]), ValueError, ["x", "finite"]),
    (np.zeros(0), ValueError, ["x", "empty"]),
    (np.array(["a", "b"]), TypeError, ["x", "numeric"]),
])
def test_as_finite_array_rejects(value, exc, fragments):
    with pytest.raises(exc) as info:
        v.as_finite_array("x", value, ndim=1)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_check_positive_int():
    assert v.check_positive_int("n", np.int64(3)) == 3
    assert isinstance(v.check_positive_int("n", np.int64(3)), int)
    assert v.check_positive_int("n", 0, minimum=0) == 0
    assert v.check_positive_int("n", 5, maximum=5) == 5
    with pytest.raises(ValueError, match=r"n must be at least 1, got 0"):
        v.check_positive_int("n", 0)
    with pytest.raises(ValueError, match=r"n must be at least 2 and at most 4, got 5"):
        v.check_positive_int("n", 5, minimum=2, maximum=4)
    for bad in (2.0, "3", True, None):
        with pytest.raises(TypeError, match=r"n must be an integer"):
            v.check_positive_int("n", bad)


def test_check_positive_float():
    assert v.check_positive_float("lr", 1) == 1.0
    assert v.check_positive_float("lr", np.float32(0.5)) == 0.5
    assert v.check_positive_float("lr", 0.0, allow_zero=True) == 0.0
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0, got 0.0"):
        v.check_positive_float("lr", 0.0)
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0, got -1.0"):
        v.check_positive_float("lr", -1.0, allow_zero=True)
    with pytest.raises(ValueError, match=r"lr must be a finite number > 0 and <= 0.1, got 0.2"):
        v.check_positive_float("lr", 0.2, maximum=0.1)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match=r"lr must be a finite number"):
            v.check_positive_float("lr", bad)
    for bad in ("1", True, None, [1.0]):
        with pytest.raises(TypeError, match=r"lr must be a real number"):
            v.check_positive_float("lr", bad)


def test_check_choice():
    assert v.check_choice("activation", "relu", ("relu", "erf")) == "relu"
    with pytest.raises(ValueError, match=r"activation must be one of \('relu', 'erf'\), got 'tanh'"):
        v.check_choice("activation", "tanh", ("relu", "erf"))


def test_check_same_shape():
    v.check_same_shape("x", np.zeros((2, 3)), "x_prime", np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"x and x_prime must have the same shape, got \(2, 3\) and \(3, 2\)"):
        v.check_same_shape("x", np.zeros((2, 3)), "x_prime", np.zeros((3, 2)))


def test_check_symmetric():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    s = a + a.T
    np.testing.assert_array_equal(v.check_symmetric("kernel", s), s)
    with pytest.raises(ValueError, match=r"kernel must be symmetric"):
        v.check_symmetric("kernel", a)
    with pytest.raises(ValueError, match=r"kernel must be square, got shape \(2, 3\)"):
        v.check_symmetric("kernel", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"kernel must be a 2-D array"):
        v.check_symmetric("kernel", np.zeros(3))


def test_check_params_accepts_a_valid_cell():
    v.check_params(seed=(0, "int", {"minimum": 0}), quick=(True, "bool", {}),
                   lr=(0.01, "float", {"maximum": 0.1}), activation=("erf", "choice", {"choices": ("relu", "erf")}),
                   widths=([64, 128], "int_list", {"min_len": 2, "minimum": 2}))


@pytest.mark.parametrize("spec,exc,pattern", [
    ({"seed": (-1, "int", {"minimum": 0})}, ValueError, r"seed must be at least 0"),
    ({"n_pairs": (600, "int", {"minimum": 4, "maximum": 500})}, ValueError,
     r"n_pairs must be at least 4 and at most 500"),
    ({"quick": (1, "bool", {})}, TypeError, r"quick must be True or False"),
    ({"lr": (0.5, "float", {"maximum": 0.1})}, ValueError, r"lr must be a finite number > 0 and <= 0.1"),
    ({"activation": ("tanh", "choice", {"choices": ("relu", "erf")})}, ValueError, r"activation must be one of"),
    ({"widths": ([64], "int_list", {"min_len": 2})}, ValueError, r"widths must be a list of at least 2 integers"),
    ({"widths": (64, "int_list", {})}, ValueError, r"widths must be a list of at least 1 integers"),
    ({"widths": ([64, 0], "int_list", {})}, ValueError, r"widths\[1\] must be at least 1"),
    ({"widths": ([64, 1.5], "int_list", {})}, TypeError, r"widths\[1\] must be an integer"),
])
def test_check_params_rejects(spec, exc, pattern):
    with pytest.raises(exc, match=pattern):
        v.check_params(**spec)
