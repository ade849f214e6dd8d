r"""Two-layer networks in NTK parametrisation, and the matching ``neural_tangents.stax`` stack.

.. math:: f_\theta(x) = \frac{1}{\sqrt M} A\,\sigma\!\Big(\frac{W x}{\sqrt m} + \beta\, b\Big),
   \qquad W\in\mathbb R^{M\times m},\; b\in\mathbb R^M,\; A\in\mathbb R^{d\times M},\ \text{entries } \mathcal N(0,1).

``beta`` (``bias_std``) = 0 means no bias. The ``1/sqrt(m)`` and ``1/sqrt(M)`` factors are the NTK
parametrisation; they make ``neural_tangents.stax.Dense(..., W_std=1, b_std=beta)`` compute the same function.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import erf

from .validation import check_choice, check_positive_float, check_positive_int

Params = dict[str, jnp.ndarray]
ACTIVATIONS = ("relu", "erf")


def activation_fn(name: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    """The activation ``sigma`` by name: ``relu`` or ``erf``."""
    check_choice("activation", name, ACTIVATIONS)
    return jax.nn.relu if name == "relu" else erf


def activation_derivative(name: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    r"""``sigma'``: the step function for ReLU, :math:`\frac{2}{\sqrt\pi}e^{-u^2}` for erf."""
    check_choice("activation", name, ACTIVATIONS)
    if name == "relu":
        return lambda u: (u > 0).astype(u.dtype)
    return lambda u: 2.0 / jnp.sqrt(jnp.pi) * jnp.exp(-u ** 2)


# Hidden units are drawn in blocks of this many, block i from fold_in(key, i). Drawing a (M, m) Gaussian
# matrix compiles one threefry program per width M (measured: about 0.4 s each on 2 CPU cores, more than
# the 200-step training program of the same width); one fixed-shape block program serves every width.
# A side effect the chapters use: for one key, the first M units of a wider network are those of width M.
INIT_BLOCK = 512


def init_two_layer(key: jax.Array, input_dim: int, width: int, output_dim: int,
                   dtype=jnp.float32) -> Params:
    """Standard-normal initialisation of ``W (M, m)``, ``b (M,)``, ``A (d, M)``.

    Units are drawn in blocks of :data:`INIT_BLOCK` (block ``i`` from ``fold_in(key, i)``), so networks of
    different widths drawn from one key share their first units (nested widths)."""
    m = check_positive_int("input_dim", input_dim)
    big_m = check_positive_int("width", width)
    d = check_positive_int("output_dim", output_dim)
    dtype = jnp.dtype(dtype)
    blocks = [_init_block(jax.random.fold_in(key, i), m, d, dtype) for i in range(-(-big_m // INIT_BLOCK))]
    # Blocks are joined and cut on the host: jnp.concatenate and slicing would each compile a program for
    # every new width (10 to 40 ms, measured), which a live slider over widths pays at each new position.
    # On a GPU this costs one round trip of the parameters, once per network.
    host = [{name: np.asarray(v) for name, v in block.items()} for block in blocks]
    return {"W": jnp.asarray(np.concatenate([h["W"] for h in host])[:big_m]),
            "b": jnp.asarray(np.concatenate([h["b"] for h in host])[:big_m]),
            "A": jnp.asarray(np.concatenate([h["A"] for h in host], axis=1)[:, :big_m])}


@partial(jax.jit, static_argnums=(1, 2, 3))
def _init_block(key, m, d, dtype):
    kw, kb, ka = jax.random.split(key, 3)
    return {"W": jax.random.normal(kw, (INIT_BLOCK, m), dtype),
            "b": jax.random.normal(kb, (INIT_BLOCK,), dtype),
            "A": jax.random.normal(ka, (d, INIT_BLOCK), dtype)}


def preactivations(params: Params, x: jnp.ndarray, bias_std: float = 0.0) -> jnp.ndarray:
    """Hidden pre-activations ``h = x W^T / sqrt(m) + beta b``, shape ``(n, M)``."""
    m = params["W"].shape[1]
    return x @ params["W"].T / jnp.sqrt(m) + bias_std * params["b"]


def two_layer_apply(params: Params, x: jnp.ndarray, activation: str = "relu",
                    bias_std: float = 0.0) -> jnp.ndarray:
    """Outputs ``f(x)`` for a batch ``x`` of shape ``(n, m)``; returns ``(n, d)``."""
    if jnp.ndim(x) != 2 or jnp.shape(x)[1] != params["W"].shape[1]:
        raise ValueError(f"x must have shape (n, {params['W'].shape[1]}), got {jnp.shape(x)}")
    check_choice("activation", activation, ACTIVATIONS)
    bias_std = check_positive_float("bias_std", bias_std, allow_zero=True)
    return _two_layer_apply(params, x, activation, bias_std)


@partial(jax.jit, static_argnums=(2, 3))
def _two_layer_apply(params, x, activation, bias_std):
    sigma = activation_fn(activation)
    big_m = params["W"].shape[0]
    return sigma(preactivations(params, x, bias_std)) @ params["A"].T / jnp.sqrt(big_m)


def stax_two_layer(width: int, output_dim: int, activation: str = "relu", bias_std: float = 0.0):
    """The same network as ``neural_tangents.stax.serial``: returns ``(init_fn, apply_fn, kernel_fn)``.

    ``kernel_fn(x1, x2, "ntk")`` is the infinite-width NTK (a scalar kernel; the output block is ``I_d``).
    """
    from .kernels import import_neural_tangents

    check_positive_int("width", width)
    check_positive_int("output_dim", output_dim)
    check_choice("activation", activation, ACTIVATIONS)
    check_positive_float("bias_std", bias_std, allow_zero=True)
    stax = import_neural_tangents().stax
    b_std = None if bias_std == 0 else bias_std
    act = stax.Relu() if activation == "relu" else stax.Erf()
    return stax.serial(stax.Dense(width, W_std=1.0, b_std=b_std, parameterization="ntk"), act,
                       stax.Dense(output_dim, W_std=1.0, b_std=None, parameterization="ntk"))


def to_stax_params(params: Params, bias_std: float = 0.0) -> list:
    """Our parameters in the layout of :func:`stax_two_layer`'s ``apply_fn`` (for cross-checks)."""
    # stax.Dense holds (W, b) with b = None when it has no bias; its W is (fan_in, fan_out).
    first = (params["W"].T, params["b"] if bias_std != 0 else None)
    return [first, (), (params["A"].T, None)]


@jax.jit
def parameter_distance(params: Params, params0: Params) -> jnp.ndarray:
    r""":math:`\lVert\theta-\theta_0\rVert_2` over all parameter arrays."""
    sq = sum(jnp.sum((params[k] - params0[k]) ** 2) for k in params)
    return jnp.sqrt(sq)
