r"""The two-layer network in NTK parametrisation, and its first layer alone (random features).

.. math:: f(x) = \frac{1}{\sqrt M}\, W\,\sigma\!\Big(\frac{V x}{\sqrt m} + \beta\, b\Big),
   \qquad V\in\mathbb R^{M\times m},\; b\in\mathbb R^M,\; W\in\mathbb R^{d\times M},\ \text{entries } \mathcal N(0,1).

Parameters are the dict ``{"V": first layer, "b": bias, "W": read-out}`` (notation page). ``beta`` (``bias_std``)
= 0 means no bias. The ``1/sqrt(m)`` and ``1/sqrt(M)`` factors are the NTK parametrisation; they make
``neural_tangents.stax.Dense(..., W_std=1, b_std=beta)`` compute the same function (:mod:`kernel_ssl.nt`).

With the first layer fixed and no bias, the hidden layer is a random feature map,
:math:`\varphi_M(x) = \sigma(Vx/\sqrt m)/\sqrt M` (:func:`random_features`), and :math:`f = W\varphi_M` is linear in
the trained read-out.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf

from . import precision
from .validation import (
    as_finite_array,
    check_choice,
    check_float_dtype,
    check_key,
    check_no_overflow,
    check_positive_float,
    check_positive_int,
    check_same_columns,
    check_size,
    computing_dtype,
    is_traced,
)

Params = dict[str, jnp.ndarray]
ACTIVATIONS = ("relu", "erf")
PARAM_NAMES = ("V", "b", "W")


def _check_params(name: str, params) -> None:
    # a dict {"V": (M, m), "b": (M,), "W": (d, M)} of finite real arrays (values checked unless traced)
    if not isinstance(params, dict):
        raise TypeError(f"{name} must be a dict {{'V', 'b', 'W'}} of arrays (init_two_layer), got "
                        f"{type(params).__name__}")
    missing = [k for k in PARAM_NAMES if k not in params]
    if missing:
        raise ValueError(f"{name} must hold the arrays 'V', 'b' and 'W' (init_two_layer), missing {missing}")
    for k, ndim in zip(PARAM_NAMES, (2, 1, 2), strict=True):
        value = params[k]
        if is_traced(value):
            if np.ndim(value) != ndim:
                raise ValueError(f"{name}[{k!r}] must be a {ndim}-D array, got shape {np.shape(value)}")
        else:
            as_finite_array(f"{name}[{k!r}]", value, ndim=ndim)
    big_m = np.shape(params["V"])[0]
    if np.shape(params["b"])[0] != big_m or np.shape(params["W"])[1] != big_m:
        raise ValueError(f"{name} must have V (M, m), b (M,) and W (d, M) with one width M, got shapes "
                         f"{np.shape(params['V'])}, {np.shape(params['b'])} and {np.shape(params['W'])}")


def _sigma(name: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    return jax.nn.relu if name == "relu" else erf


def _sigma_prime(name: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    if name == "relu":
        return lambda u: (u > 0).astype(u.dtype)
    return lambda u: 2.0 / jnp.sqrt(jnp.pi) * jnp.exp(-u ** 2)


def activation_fn(name: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    """The activation ``sigma`` by name: ``relu`` or ``erf``."""
    return _sigma(check_choice("activation", name, ACTIVATIONS))


def activation_derivative(name: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    r"""``sigma'``: the step function for ReLU, :math:`\frac{2}{\sqrt\pi}e^{-u^2}` for erf."""
    return _sigma_prime(check_choice("activation", name, ACTIVATIONS))


# Hidden units are drawn in blocks of this many, block i from fold_in(key, i). Drawing a (M, m) Gaussian
# matrix compiles one threefry program per width M (measured: about 0.4 s each on 2 CPU cores, more than
# the 200-step training program of the same width); one fixed-shape block program serves every width.
# A side effect the chapters use: for one key, the first M units of a wider network are those of width M.
INIT_BLOCK = 512


def init_two_layer(key: jax.Array, input_dim: int, width: int, d: int, dtype=None) -> Params:
    """Standard-normal initialisation of ``V (M, m)``, ``b (M,)``, ``W (d, M)``, drawn in float32 and cast to
    ``dtype`` (default the working precision, :func:`kernel_ssl.precision.working_dtype`).

    Units are drawn in blocks of :data:`INIT_BLOCK` (block ``i`` from ``fold_in(key, i)``), so networks of
    different widths drawn from one key share their first units (nested widths).

    Args:
        key: the PRNG key.
        input_dim: :math:`m`.
        width: :math:`M`.
        d: the output (embedding) dimension.
        dtype: the dtype of the returned arrays.

    Returns:
        The parameters ``{"V", "b", "W"}``.
    """
    check_key("key", key)
    m = check_positive_int("input_dim", input_dim)
    big_m = check_positive_int("width", width)
    d = check_positive_int("d", d)
    check_size("width * (input_dim + d + 1) (the parameters)", big_m * (m + d + 1))
    dtype = precision.working_dtype() if dtype is None else check_float_dtype("dtype", dtype)
    return _init_two_layer(key, m, big_m, d, jnp.dtype(dtype))


def _init_two_layer(key: jax.Array, m: int, big_m: int, d: int, dtype) -> Params:
    blocks = [_init_block(jax.random.fold_in(key, i), m, d) for i in range(-(-big_m // INIT_BLOCK))]
    # Blocks are joined and cut on the host: jnp.concatenate and slicing would each compile a program for
    # every new width (10 to 40 ms, measured), which a live slider over widths pays at each new position.
    # On a GPU this costs one round trip of the parameters, once per network.
    host = [{name: np.asarray(v) for name, v in block.items()} for block in blocks]
    return {"V": jnp.asarray(np.concatenate([h["V"] for h in host])[:big_m], dtype=dtype),
            "b": jnp.asarray(np.concatenate([h["b"] for h in host])[:big_m], dtype=dtype),
            "W": jnp.asarray(np.concatenate([h["W"] for h in host], axis=1)[:, :big_m], dtype=dtype)}


@partial(jax.jit, static_argnums=(1, 2))
def _init_block(key: jax.Array, m: int, d: int) -> Params:
    kv, kb, kw = jax.random.split(key, 3)
    return {"V": precision.normal(kv, (INIT_BLOCK, m), jnp.float32),
            "b": precision.normal(kb, (INIT_BLOCK,), jnp.float32),
            "W": precision.normal(kw, (d, INIT_BLOCK), jnp.float32)}


def _preactivations(params: Params, x: jnp.ndarray, bias_std: float) -> jnp.ndarray:
    return x @ params["V"].T / jnp.sqrt(params["V"].shape[1]) + bias_std * params["b"]


def _check_batch(params: Params, x) -> None:
    _check_params("params", params)
    m = np.shape(params["V"])[1]
    if not is_traced(x):
        xa = as_finite_array("x", x)
        # h = V x / sqrt(m) sums m products of an input and a weight (|V| ~ 1 up to about 6)
        check_no_overflow("x", xa, computing_dtype(xa), power=1, count=8 * m)
    if np.ndim(x) != 2 or np.shape(x)[1] != m:
        raise ValueError(f"x must have shape (n, {m}), got {np.shape(x)}")


def preactivations(params: Params, x: jnp.ndarray, bias_std: float = 0.0) -> jnp.ndarray:
    r"""Hidden pre-activations :math:`h = Vx/\sqrt m + \beta b` of a batch, one point per row: ``(n, M)``.
    ``params``, ``x`` and ``bias_std`` as in :func:`two_layer_apply`."""
    _check_batch(params, x)
    return _preactivations(params, jnp.asarray(x), check_positive_float("bias_std", bias_std, allow_zero=True))


def two_layer_apply(params: Params, x: jnp.ndarray, activation: str = "relu",
                    bias_std: float = 0.0) -> jnp.ndarray:
    r"""Outputs :math:`f(x) = W\sigma(Vx/\sqrt m + \beta b)/\sqrt M` of a batch, one point per row.

    Args:
        params: the network ``{"V", "b", "W"}``.
        x: the inputs, ``(n, m)``.
        activation: :math:`\sigma`, ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta\ge0`.

    Returns:
        :math:`F`, ``(n, d)``.
    """
    _check_batch(params, x)
    check_choice("activation", activation, ACTIVATIONS)
    bias_std = check_positive_float("bias_std", bias_std, allow_zero=True)
    return _two_layer_apply(params, jnp.asarray(x), activation, bias_std)


@partial(jax.jit, static_argnums=(2, 3))
def _two_layer_apply(params: Params, x: jnp.ndarray, activation: str, bias_std: float) -> jnp.ndarray:
    big_m = params["V"].shape[0]
    return _sigma(activation)(_preactivations(params, x, bias_std)) @ params["W"].T / jnp.sqrt(big_m)


def parameter_distance(params: Params, params0: Params) -> float:
    r""":math:`\lVert\theta-\theta_0\rVert_2 = \big(\sum_k\lVert\theta_k-\theta_{0,k}\rVert_F^2\big)^{1/2}` over all
    parameter arrays :math:`k` (``"V"``, ``"b"``, ``"W"``), in float64."""
    for name, value in (("params", params), ("params0", params0)):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict of arrays, got {type(value).__name__}")
        for k, v in value.items():
            as_finite_array(f"{name}[{k!r}]", v)
    if set(params) != set(params0):
        raise ValueError(f"params and params0 must hold the same arrays, got {sorted(params)} and {sorted(params0)}")
    for name in params:
        if np.shape(params[name]) != np.shape(params0[name]):
            raise ValueError(f"params[{name!r}] and params0[{name!r}] must have the same shape, "
                             f"got {np.shape(params[name])} and {np.shape(params0[name])}")
    return _parameter_distance(params, params0)


def _parameter_distance(params: Params, params0: Params) -> float:
    # on the host: a compiled version costs one program per width (about 0.1 s each, measured), far more than
    # the arithmetic, and the parameters of a finished run are NumPy arrays already
    return float(np.sqrt(sum(np.sum((np.asarray(params[k], np.float64) - np.asarray(params0[k], np.float64)) ** 2)
                             for k in params)))


# ------------------------------------------------------------------- the first layer alone: random features
def random_first_layer(key: jax.Array, width: int, input_dim: int) -> jnp.ndarray:
    r"""A first layer :math:`V\in\mathbb R^{M\times m}` with i.i.d. :math:`\mathcal N(0,1)` entries (drawn in float32,
    cast to the working precision).

    Nested in the width: for one key, the first :math:`M'` rows of the width-:math:`M` layer are the
    width-:math:`M'` layer (JAX's counter-based generator draws entry ``(r, k)`` from its flat index), so a sweep
    over widths may draw the widest layer once and take prefixes.

    Args:
        key: the PRNG key.
        width: :math:`M`.
        input_dim: :math:`m`.

    Returns:
        :math:`V`, ``(M, m)``.
    """
    check_key("key", key)
    width, input_dim = check_positive_int("width", width), check_positive_int("input_dim", input_dim)
    check_size("width * input_dim", width * input_dim)
    return _random_first_layer(key, width, input_dim)


def _random_first_layer(key: jax.Array, width: int, input_dim: int) -> jnp.ndarray:
    return precision.normal(key, (width, input_dim))


def random_features(x: jnp.ndarray, v: jnp.ndarray) -> jnp.ndarray:
    r"""Random ReLU features :math:`\varphi_M(x) = \sigma(Vx/\sqrt m)/\sqrt M` of the points ``x`` (``(N, m)``, one per
    row) for a first layer ``v`` :math:`=V` (``(M, m)``, e.g. :func:`random_first_layer`): the hidden layer of the
    two-layer network without bias; ``(N, M)``.

    :math:`\varphi_M(x)^\top\varphi_M(x')` is an average of :math:`M` i.i.d. terms whose mean is the NNGP kernel
    :math:`\mathbb E[\sigma(u)\sigma(v)]` (:func:`kernel_ssl.kernels.closed_form_nngp`)."""
    xa, va = check_same_columns("x", x, "v", v)
    check_no_overflow("x", xa, computing_dtype(va), power=1, count=8 * xa.shape[1])
    check_no_overflow("v", va, computing_dtype(va), power=1, count=8 * xa.shape[1])
    v = jnp.asarray(v)
    return _random_features(jnp.asarray(x, dtype=v.dtype), v)


def _random_features(x: jnp.ndarray, v: jnp.ndarray) -> jnp.ndarray:
    return jax.nn.relu(x @ v.T / jnp.sqrt(x.shape[1])) / jnp.sqrt(v.shape[0])
