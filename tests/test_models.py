"""Unit tests of kernel_ssl.models: the two-layer net equals its neural_tangents.stax twin, the activation
derivatives equal jax.grad of the activations, initialisation shapes, the random-feature first layer (nested
widths, the NNGP limit) and bad inputs."""
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import kernels, models, nt, precision

# float64: the comparison with neural_tangents is at float64 round-off
jax.config.update("jax_enable_x64", True)

KEY = jax.random.PRNGKey(0)
X = jax.random.normal(jax.random.PRNGKey(1), (6, 5))


def test_init_shapes_and_dtype():
    params = models.init_two_layer(KEY, 5, 32, 3, dtype=jnp.float64)
    assert params["V"].shape == (32, 5) and params["b"].shape == (32,) and params["W"].shape == (3, 32)
    assert all(p.dtype == jnp.float64 for p in params.values())
    again = models.init_two_layer(KEY, 5, 32, 3, dtype=jnp.float64)
    for k in params:
        np.testing.assert_array_equal(params[k], again[k])
    # standard normal entries: 5*32 + 32 + 96 = 288 draws, sample std within 5 standard errors (1/sqrt(2*288))
    flat = np.concatenate([np.ravel(p) for p in params.values()])
    assert abs(flat.std() - 1) < 5 / np.sqrt(2 * flat.size)


def test_init_widths_are_nested_across_blocks():
    # units are drawn in blocks of INIT_BLOCK: a width that spans several blocks (and ends inside one)
    # starts with the units of every narrower width drawn from the same key, and its blocks are independent
    wide_m = 2 * models.INIT_BLOCK + 37
    wide = models.init_two_layer(KEY, 4, wide_m, 2, dtype=jnp.float64)
    assert wide["V"].shape == (wide_m, 4) and wide["b"].shape == (wide_m,) and wide["W"].shape == (2, wide_m)
    for narrow_m in (1, models.INIT_BLOCK, models.INIT_BLOCK + 1):
        narrow = models.init_two_layer(KEY, 4, narrow_m, 2, dtype=jnp.float64)
        np.testing.assert_array_equal(narrow["V"], wide["V"][:narrow_m])
        np.testing.assert_array_equal(narrow["b"], wide["b"][:narrow_m])
        np.testing.assert_array_equal(narrow["W"], wide["W"][:, :narrow_m])
    block = models.INIT_BLOCK
    assert not np.allclose(wide["V"][:block], wide["V"][block:2 * block])


def test_init_draws_in_float32_whatever_the_dtype():
    # the precision policy: the same key gives the float32 draws, cast, whatever the requested dtype
    p64 = models.init_two_layer(KEY, 5, 40, 2, dtype=jnp.float64)
    p32 = models.init_two_layer(KEY, 5, 40, 2, dtype=jnp.float32)
    for k in p64:
        assert p32[k].dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray(p64[k]), np.asarray(p32[k]).astype(np.float64))
    assert models.init_two_layer(KEY, 5, 8, 2)["V"].dtype == precision.working_dtype()


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("bias_std", [0.0, 0.7])
def test_apply_matches_stax(activation, bias_std):
    params = models.init_two_layer(KEY, 5, 64, 3, dtype=jnp.float64)
    ours = models.two_layer_apply(params, X, activation, bias_std)
    _, apply_fn, _ = nt.stax_two_layer(64, 3, activation, bias_std)
    theirs = apply_fn(nt.to_stax_params(params, bias_std), X)
    assert ours.shape == theirs.shape == (6, 3)
    # same function: only float64 round-off of a 64-term sum separates them
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-13)


def test_apply_by_hand():
    params = models.init_two_layer(KEY, 5, 16, 2, dtype=jnp.float64)
    v, b, w = (np.asarray(params[k]) for k in "VbW")
    x = np.asarray(X)
    h = x @ v.T / np.sqrt(5) + 0.5 * b
    np.testing.assert_allclose(models.preactivations(params, X, 0.5), h, rtol=1e-12)
    expected = np.maximum(h, 0) @ w.T / np.sqrt(16)
    np.testing.assert_allclose(models.two_layer_apply(params, X, "relu", 0.5), expected, rtol=1e-12)


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
def test_activation_derivative_is_the_gradient(activation):
    # avoid u = 0 exactly for ReLU, where the derivative is a convention (both give 0 there anyway)
    u = jnp.linspace(-3.0, 3.0, 61) + 1e-3
    sigma = models.activation_fn(activation)
    expected = jax.vmap(jax.grad(sigma))(u)
    np.testing.assert_allclose(models.activation_derivative(activation)(u), expected, rtol=1e-12, atol=1e-15)
    assert float(models.activation_derivative("relu")(jnp.array(0.0))) == float(jax.grad(jax.nn.relu)(0.0))


def test_parameter_distance():
    p0 = models.init_two_layer(KEY, 5, 8, 2, dtype=jnp.float64)
    p1 = models.init_two_layer(jax.random.PRNGKey(2), 5, 8, 2, dtype=jnp.float64)
    by_hand = np.sqrt(sum(np.sum((np.asarray(p1[k]) - np.asarray(p0[k])) ** 2) for k in p0))
    np.testing.assert_allclose(models.parameter_distance(p1, p0), by_hand, rtol=1e-12)
    assert models.parameter_distance(p0, p0) == 0.0
    with pytest.raises(ValueError, match=r"params and params0 must hold the same arrays"):
        models.parameter_distance({"V": p1["V"]}, p0)
    with pytest.raises(ValueError, match=r"params\['W'\] and params0\['W'\] must have the same shape"):
        models.parameter_distance({**p1, "W": p1["W"][:, :3]}, p0)


@pytest.mark.parametrize("call,exc,pattern", [
    (lambda: models.init_two_layer(KEY, 0, 8, 2), ValueError, r"input_dim must be at least 1"),
    (lambda: models.init_two_layer(KEY, 5, 0, 2), ValueError, r"width must be at least 1"),
    (lambda: models.init_two_layer(KEY, 5, 8.0, 2), TypeError, r"width must be an integer"),
    (lambda: models.init_two_layer(KEY, 5, 8, -1), ValueError, r"d must be at least 1"),
    (lambda: models.init_two_layer(0, 5, 8, 2), TypeError, r"key must be a JAX PRNG key"),
    (lambda: models.activation_fn("tanh"), ValueError, r"activation must be one of \('relu', 'erf'\)"),
    (lambda: models.activation_derivative("gelu"), ValueError, r"activation must be one of"),
    (lambda: nt.stax_two_layer(0, 2), ValueError, r"width must be at least 1"),
    (lambda: nt.stax_two_layer(8, 0), ValueError, r"d must be at least 1"),
    (lambda: nt.stax_two_layer(8, 2, "tanh"), ValueError, r"activation must be one of"),
    (lambda: nt.stax_two_layer(8, 2, "relu", -1.0), ValueError, r"bias_std must be a finite number >= 0"),
    (lambda: models.random_first_layer(KEY, 0, 3), ValueError, r"width must be at least 1"),
    (lambda: models.random_first_layer(KEY, 4, 2.0), TypeError, r"input_dim must be an integer"),
    (lambda: models.random_features(X, np.ones((4, 3))), ValueError, r"x and v must have the same input dim.*5 and 3"),
    (lambda: models.random_features(X[0], np.ones((4, 5))), ValueError, r"x must be a 2-D array"),
])
def test_bad_inputs(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


def test_apply_bad_inputs():
    params = models.init_two_layer(KEY, 5, 8, 2, dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 5\), got \(6, 4\)"):
        models.two_layer_apply(params, X[:, :4])
    with pytest.raises(ValueError, match=r"x must have shape \(n, 5\)"):
        models.two_layer_apply(params, X[0])
    with pytest.raises(ValueError, match=r"activation must be one of"):
        models.two_layer_apply(params, X, "tanh")
    with pytest.raises(ValueError, match=r"bias_std must be a finite number >= 0"):
        models.two_layer_apply(params, X, "relu", -0.5)


def test_random_first_layer_is_nested_and_float32_drawn():
    wide = models.random_first_layer(KEY, 300, 5)
    assert wide.shape == (300, 5) and wide.dtype == precision.working_dtype()
    for narrow_m in (1, 37, 299):
        np.testing.assert_array_equal(models.random_first_layer(KEY, narrow_m, 5), wide[:narrow_m])
    np.testing.assert_array_equal(wide, np.asarray(jax.random.normal(KEY, (300, 5), jnp.float32), np.float64))


def test_random_features_are_the_hidden_layer_without_bias():
    # phi(x) = relu(V x / sqrt(m)) / sqrt(M): the hidden layer of the net whose first layer is V, without bias,
    # so the net's outputs are phi(x) W^T
    params = models.init_two_layer(KEY, 5, 24, 3, dtype=jnp.float64)
    phi = np.asarray(models.random_features(X, params["V"]))
    assert phi.shape == (6, 24)
    np.testing.assert_allclose(phi, np.maximum(np.asarray(X) @ np.asarray(params["V"]).T / np.sqrt(5), 0) / np.sqrt(24),
                               rtol=1e-12)
    np.testing.assert_allclose(phi @ np.asarray(params["W"]).T, models.two_layer_apply(params, X), rtol=1e-12)


def test_random_features_gram_approaches_the_nngp_kernel():
    # phi phi^T is a mean of M i.i.d. per-unit kernels with mean the NNGP kernel: relative error about
    # 2 / sqrt(M) ~ 0.008 at M = 2^16; 0.05 is six standard errors
    v = models.random_first_layer(jax.random.PRNGKey(3), 2 ** 16, 5)
    phi = np.asarray(models.random_features(X, v))
    ref = np.asarray(kernels.closed_form_nngp(X, X))
    assert np.linalg.norm(phi @ phi.T - ref) / np.linalg.norm(ref) <= 0.05


# in a fresh interpreter: the other tests of a session may have imported neural_tangents already
IMPORTS = """
import importlib, pkgutil, sys
import kernel_ssl
for module in pkgutil.walk_packages(kernel_ssl.__path__, "kernel_ssl."):
    importlib.import_module(module.name)
assert "neural_tangents" not in sys.modules, "importing the library must not import neural_tangents"
from kernel_ssl import nt
stax = nt.import_neural_tangents().stax
assert "tensorflow" not in sys.modules, "neural_tangents must be imported without its TensorFlow port"
import neural_tangents.experimental
assert hasattr(neural_tangents.experimental, "empirical_ntk_fn_tf"), "the real port must stay importable"
"""


def test_imports_are_lazy_and_skip_tensorflow():
    result = subprocess.run([sys.executable, "-c", IMPORTS], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
