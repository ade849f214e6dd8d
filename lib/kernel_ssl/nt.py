r"""The two-layer net and its kernels as ``neural_tangents`` computes them: the independent reference that the
book's own formulas (:mod:`kernel_ssl.models`, :mod:`kernel_ssl.kernels`) are checked against.

This is the only module that imports ``neural_tangents`` (and with it TensorFlow), and it does so lazily, on the
first call: the rest of the library, and a chapter that never cross-checks, do not pay for it.
"""
from __future__ import annotations

import os
import sys
import types
from functools import lru_cache

import jax
import jax.numpy as jnp

from .kernels import _check_input_dim, _check_network
from .models import ACTIVATIONS, Params, _check_params
from .validation import check_choice, check_positive_float, check_positive_int

KERNELS = ("ntk", "nngp")


# neural_tangents/__init__ imports its ``experimental`` package, whose content is the TensorFlow port of the
# empirical kernels (``empirical_ntk_fn_tf``): importing it loads TensorFlow, which was 2.9 s of the 3.0 s the
# import took (measured on 2 cores). The book never uses that port, so a placeholder stands in for the package
# during the import and is removed afterwards: an explicit ``import neural_tangents.experimental`` still gets
# the real one.
_TF_PORT = "neural_tangents.experimental"


@lru_cache(maxsize=1)
def import_neural_tangents():
    """Import ``neural_tangents`` without its TensorFlow port, with TensorFlow's start-up log lines silenced.

    Should TensorFlow load all the same (``neural_tangents.experimental`` imported elsewhere first), its C++
    logger writes to file descriptor 2 before any Python setting can reach it; redirecting that descriptor for
    the duration of the import keeps those lines out of notebooks and the book's pages. Errors still propagate
    as exceptions.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    placeholder = None
    if "neural_tangents" not in sys.modules and _TF_PORT not in sys.modules:
        placeholder = sys.modules[_TF_PORT] = types.ModuleType(_TF_PORT)
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import neural_tangents
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        if placeholder is not None:
            if sys.modules.get(_TF_PORT) is placeholder:
                del sys.modules[_TF_PORT]
            package = sys.modules.get("neural_tangents")
            if getattr(package, "experimental", None) is placeholder:
                delattr(package, "experimental")
    return neural_tangents


def stax_two_layer(width: int, d: int, activation: str = "relu", bias_std: float = 0.0):
    r"""The two-layer net :math:`f(x) = W\sigma(Vx/\sqrt m + \beta b)/\sqrt M` of :mod:`kernel_ssl.models` as
    ``neural_tangents.stax.serial`` (``Dense(M, W_std=1, b_std=beta)``, the activation, ``Dense(d, W_std=1)``, NTK
    parametrisation).

    ``kernel_fn(x1, x2, "ntk")`` is the infinite-width NTK (a scalar kernel; the output block is ``I_d``).

    Args:
        width: :math:`M`.
        d: the output dimension.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta\ge0` (0: no bias).

    Returns:
        ``(init_fn, apply_fn, kernel_fn)``.
    """
    # 2^20 hidden units: far beyond what the book compares (2^18 at most), and neural_tangents would allocate them
    width = check_positive_int("width", width, maximum=2 ** 20)
    d = check_positive_int("d", d)
    check_choice("activation", activation, ACTIVATIONS)
    bias_std = check_positive_float("bias_std", bias_std, allow_zero=True)
    return _stax_two_layer(width, d, activation, bias_std)


def _stax_two_layer(width: int, d: int, activation: str, bias_std: float):
    stax = import_neural_tangents().stax
    b_std = None if bias_std == 0 else bias_std
    act = stax.Relu() if activation == "relu" else stax.Erf()
    return stax.serial(stax.Dense(width, W_std=1.0, b_std=b_std, parameterization="ntk"), act,
                       stax.Dense(d, W_std=1.0, b_std=None, parameterization="ntk"))


def to_stax_params(params: Params, bias_std: float = 0.0) -> list:
    """Our parameters ``{"V", "b", "W"}`` in the layout of :func:`stax_two_layer`'s ``apply_fn`` (``bias_std`` 0:
    the first layer has no bias)."""
    _check_params("params", params)
    return _to_stax_params(params, check_positive_float("bias_std", bias_std, allow_zero=True))


def _to_stax_params(params: Params, bias_std: float) -> list:
    # stax.Dense holds (W, b) with b = None when it has no bias; its W is (fan_in, fan_out).
    first = (params["V"].T, params["b"] if bias_std != 0 else None)
    return [first, (), (params["W"].T, None)]


def nt_empirical_ntk(params: Params, x1: jnp.ndarray, x2: jnp.ndarray, activation: str = "relu",
                     bias_std: float = 0.0) -> jnp.ndarray:
    """The empirical NTK from ``neural_tangents.empirical_ntk_fn`` (Jacobian contraction); ``(n1, n2, d, d)``, the
    layout of :func:`kernel_ssl.kernels.empirical_ntk_two_layer`.

    Args:
        params: the network ``{"V", "b", "W"}``.
        x1: the first inputs, ``(n1, m)``, one per row.
        x2: the second inputs, ``(n2, m)``.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: the bias scale (0: no bias).

    Returns:
        The kernel, ``(n1, n2, d, d)``.
    """
    bias_std = _check_network(x1, x2, activation, bias_std)
    _check_params("params", params)
    _check_input_dim(params, x1)
    d, width = params["W"].shape
    _, apply_fn, _ = _stax_two_layer(width, d, activation, bias_std)
    fn = import_neural_tangents().empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0)
    return fn(jnp.asarray(x1), jnp.asarray(x2), _to_stax_params(params, bias_std))


def analytic_kernel(x1: jnp.ndarray, x2: jnp.ndarray, activation: str = "relu", bias_std: float = 0.0,
                    get: str = "ntk") -> jnp.ndarray:
    """Infinite-width kernel from ``neural_tangents.stax``: the NTK (``get="ntk"``) or the NNGP kernel
    (``"nngp"``); shape ``(n1, n2)``. The book's closed forms are :func:`kernel_ssl.kernels.closed_form_ntk` and
    :func:`kernel_ssl.kernels.closed_form_nngp`.

    Args:
        x1: the first inputs, ``(n1, m)``, one per row.
        x2: the second inputs, ``(n2, m)``.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: the bias scale (0: no bias).
        get: ``"ntk"`` or ``"nngp"``.

    Returns:
        The kernel, ``(n1, n2)``.
    """
    bias_std = _check_network(x1, x2, activation, bias_std)
    check_choice("get", get, KERNELS)
    _, _, kernel_fn = _stax_two_layer(1, 1, activation, bias_std)
    # jit: one compiled program instead of many op-by-op ones (faster, and immune to cache clearing)
    return jax.jit(kernel_fn, static_argnames="get")(jnp.asarray(x1), jnp.asarray(x2), get=get)


def analytic_kernel_deep(x1: jnp.ndarray, x2: jnp.ndarray, depth: int, activation: str = "relu",
                         get: str = "ntk") -> jnp.ndarray:
    r"""Infinite-width kernel of a fully connected net with ``depth`` dense layers (``depth - 1`` hidden layers,
    each ``Dense(W_std=1)`` in NTK parametrisation followed by the activation, no biases), from
    ``neural_tangents.stax``; ``depth = 2`` is :func:`analytic_kernel`.

    Args:
        x1: the first inputs, ``(n1, m)``, one per row.
        x2: the second inputs, ``(n2, m)``.
        depth: the number of dense layers, ``2..8``.
        activation: ``"relu"`` or ``"erf"``.
        get: ``"ntk"`` or ``"nngp"``.

    Returns:
        The kernel, ``(n1, n2)``.
    """
    _check_network(x1, x2, activation, 0.0)
    depth = check_positive_int("depth", depth, minimum=2, maximum=8)
    check_choice("get", get, KERNELS)
    stax = import_neural_tangents().stax
    act = stax.Relu if activation == "relu" else stax.Erf
    layers = [layer for _ in range(depth - 1) for layer in (stax.Dense(1, W_std=1.0, parameterization="ntk"), act())]
    _, _, kernel_fn = stax.serial(*layers, stax.Dense(1, W_std=1.0, parameterization="ntk"))
    return jax.jit(kernel_fn, static_argnames="get")(jnp.asarray(x1), jnp.asarray(x2), get=get)
