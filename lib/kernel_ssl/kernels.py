r"""Neural tangent kernels of the two-layer net: empirical (structure-aware), analytic, and helpers.

Empirical NTK of :math:`f_\theta(x)=\frac1{\sqrt M}A\sigma(Wx/\sqrt m+\beta b)` (see ``models``):

.. math:: \Theta(x,x')_{ab} = \delta_{ab}\,\frac1M\sum_r \sigma(h_r)\sigma(h_r')
   + \Big(\frac{x^\top x'}{m}+\beta^2\Big)\frac1M\sum_r A_{ar}A_{br}\,\sigma'(h_r)\sigma'(h_r').

Computed from two ``n x M`` matrices in :math:`O(n^2 M d^2)`: no Jacobian is formed. Its infinite-width limit is
:math:`\Theta_\infty = \big(\mathbb E[\sigma(u)\sigma(v)] + (x^\top x'/m+\beta^2)\,\mathbb E[\sigma'(u)\sigma'(v)]\big)\,I_d`
with :math:`(u,v)` centred Gaussian of covariance :math:`\Sigma = \begin{psmallmatrix}q&c\\c&q'\end{psmallmatrix}`,
:math:`q=\lVert x\rVert^2/m+\beta^2`, :math:`c=x^\top x'/m+\beta^2`.
"""
from __future__ import annotations

import os
from functools import lru_cache, partial

import jax
import jax.numpy as jnp
import numpy as np

from .models import Params, activation_derivative, activation_fn, to_stax_params
from .validation import as_finite_array, check_choice, check_positive_float, check_positive_int

ACTIVATIONS = ("relu", "erf")


@lru_cache(maxsize=1)
def import_neural_tangents():
    """Import ``neural_tangents`` with TensorFlow's start-up log lines silenced.

    neural-tangents imports TensorFlow, whose C++ logger writes to file descriptor 2 before any Python
    setting can reach it; redirecting that descriptor for the duration of the import keeps those lines
    out of notebooks and the book's pages. Errors still propagate as exceptions.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import neural_tangents
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return neural_tangents


def _check_inputs(x1, x2) -> None:
    a = as_finite_array("x1", x1, ndim=2)
    b = as_finite_array("x2", x2, ndim=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x1 and x2 must have the same input dimension, got {a.shape[1]} and {b.shape[1]}")


def _check_input_dim(params: Params, x1) -> None:
    m = params["W"].shape[1]
    if np.shape(x1)[1] != m:
        raise ValueError(f"x1 and x2 must have {m} columns (the input dimension of params['W']), "
                         f"got {np.shape(x1)[1]}")


def empirical_ntk_two_layer(params: Params, x1: jnp.ndarray, x2: jnp.ndarray,
                            activation: str = "relu", bias_std: float = 0.0) -> jnp.ndarray:
    """Empirical NTK of the two-layer net from its structure; shape ``(n1, n2, d, d)``.

    Same layout as ``neural_tangents.empirical_ntk_fn(..., trace_axes=())``.
    """
    _check_inputs(x1, x2)
    _check_input_dim(params, x1)
    check_choice("activation", activation, ACTIVATIONS)
    check_positive_float("bias_std", bias_std, allow_zero=True)
    return _empirical_ntk_two_layer(params, jnp.asarray(x1), jnp.asarray(x2), activation, bias_std)


# Hidden units are summed in chunks of this many: the kernel is a sum over units, so chunking bounds the
# working memory at O(n * CHUNK * d) whatever the width (2^16 units in float64 would otherwise need
# several hundred MB of temporaries).
UNIT_CHUNK = 4096


@partial(jax.jit, static_argnames=("activation", "bias_std"))
def _ntk_chunk(w, b, a, x1, x2, activation, bias_std):
    """Unnormalised contribution of a block of hidden units: (readout (n1, n2), hidden (n1, n2, d, d))."""
    sigma, dsigma = activation_fn(activation), activation_derivative(activation)
    m = x1.shape[1]
    h1 = x1 @ w.T / jnp.sqrt(m) + bias_std * b
    h2 = x2 @ w.T / jnp.sqrt(m) + bias_std * b
    readout = sigma(h1) @ sigma(h2).T                               # gradient w.r.t. A
    # gradient w.r.t. (W, b): sum_r A_ar A_br s'_ir s'_jr for all output pairs (a, b) as one matrix
    # product of (n1 d, units) by (units, n2 d)
    ga1 = dsigma(h1)[:, :, None] * a.T[None]
    ga2 = dsigma(h2)[:, :, None] * a.T[None]
    return readout, jnp.einsum("ira,jrb->ijab", ga1, ga2)


def _empirical_ntk_two_layer(params, x1, x2, activation, bias_std):
    m, big_m = params["W"].shape[1], params["W"].shape[0]
    readout, hidden = 0.0, 0.0
    for start in range(0, big_m, UNIT_CHUNK):
        block = slice(start, start + UNIT_CHUNK)
        r, h = _ntk_chunk(params["W"][block], params["b"][block], params["A"][:, block], x1, x2,
                          activation, float(bias_std))
        readout, hidden = readout + r, hidden + h
    readout, hidden = readout / big_m, hidden / big_m
    inner = x1 @ x2.T / m + bias_std ** 2
    d = params["A"].shape[0]
    eye = jnp.eye(d, dtype=readout.dtype)
    return readout[:, :, None, None] * eye + inner[:, :, None, None] * hidden


def nt_empirical_ntk(params: Params, x1: jnp.ndarray, x2: jnp.ndarray, activation: str = "relu",
                     bias_std: float = 0.0) -> jnp.ndarray:
    """The same kernel from ``neural_tangents.empirical_ntk_fn`` (Jacobian contraction); ``(n1, n2, d, d)``."""
    from .models import stax_two_layer

    _check_inputs(x1, x2)
    _check_input_dim(params, x1)
    width, d = params["A"].shape[1], params["A"].shape[0]
    _, apply_fn, _ = stax_two_layer(width, d, activation, bias_std)
    nt = import_neural_tangents()
    fn = nt.empirical_ntk_fn(apply_fn, trace_axes=(), vmap_axes=0)
    return fn(jnp.asarray(x1), jnp.asarray(x2), to_stax_params(params, bias_std))


def analytic_ntk(x1: jnp.ndarray, x2: jnp.ndarray, activation: str = "relu", bias_std: float = 0.0,
                 get: str = "ntk") -> jnp.ndarray:
    """Infinite-width kernel from ``neural_tangents.stax`` (``get="ntk"`` or ``"nngp"``); shape ``(n1, n2)``."""
    from .models import stax_two_layer

    _check_inputs(x1, x2)
    check_choice("get", get, ("ntk", "nngp"))
    _, _, kernel_fn = stax_two_layer(1, 1, activation, bias_std)
    # jit: one compiled program instead of many op-by-op ones (faster, and immune to cache clearing)
    return jax.jit(kernel_fn, static_argnames="get")(jnp.asarray(x1), jnp.asarray(x2), get=get)


def closed_form_ntk(x1: jnp.ndarray, x2: jnp.ndarray, activation: str = "relu",
                    bias_std: float = 0.0) -> jnp.ndarray:
    r"""Infinite-width NTK of the two-layer net from the closed forms (book's derivation); ``(n1, n2)``.

    ReLU (arc-cosine kernels, Cho & Saul 2009), with :math:`\cos\vartheta = c/\sqrt{qq'}`:
    :math:`\mathbb E[\sigma\sigma]=\frac{\sqrt{qq'}}{2\pi}(\sin\vartheta+(\pi-\vartheta)\cos\vartheta)`,
    :math:`\mathbb E[\sigma'\sigma']=\frac{\pi-\vartheta}{2\pi}`.
    erf (Williams 1997): :math:`\mathbb E[\sigma\sigma]=\frac2\pi\arcsin\frac{2c}{\sqrt{(1+2q)(1+2q')}}`,
    :math:`\mathbb E[\sigma'\sigma']=\frac4\pi\big((1+2q)(1+2q')-4c^2\big)^{-1/2}`.
    """
    _check_inputs(x1, x2)
    check_choice("activation", activation, ACTIVATIONS)
    check_positive_float("bias_std", bias_std, allow_zero=True)
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    m = x1.shape[1]
    q1 = jnp.sum(x1 ** 2, axis=1) / m + bias_std ** 2
    q2 = jnp.sum(x2 ** 2, axis=1) / m + bias_std ** 2
    c = x1 @ x2.T / m + bias_std ** 2
    if activation == "relu":
        norm = jnp.sqrt(q1[:, None] * q2[None, :])
        cos = jnp.clip(c / norm, -1.0, 1.0)
        theta = jnp.arccos(cos)
        e_ss = norm / (2 * jnp.pi) * (jnp.sin(theta) + (jnp.pi - theta) * cos)
        e_dd = (jnp.pi - theta) / (2 * jnp.pi)
    else:
        a1, a2 = 1 + 2 * q1[:, None], 1 + 2 * q2[None, :]
        e_ss = 2 / jnp.pi * jnp.arcsin(2 * c / jnp.sqrt(a1 * a2))
        e_dd = 4 / jnp.pi / jnp.sqrt(a1 * a2 - 4 * c ** 2)
    return e_ss + c * e_dd


def kron_identity(kernel: jnp.ndarray, output_dim: int) -> jnp.ndarray:
    """A scalar kernel ``(n1, n2)`` as the block kernel ``k(x, x') I_d`` of shape ``(n1, n2, d, d)``."""
    d = check_positive_int("output_dim", output_dim)
    as_finite_array("kernel", kernel, ndim=2)
    return jnp.asarray(kernel)[:, :, None, None] * jnp.eye(d, dtype=jnp.asarray(kernel).dtype)


def relative_frobenius_error(estimate: jnp.ndarray, reference: jnp.ndarray) -> float:
    r""":math:`\lVert \hat K - K\rVert_F / \lVert K\rVert_F` (arrays of any equal shape)."""
    est = as_finite_array("estimate", estimate)
    ref = as_finite_array("reference", reference)
    if est.shape != ref.shape:
        raise ValueError(f"estimate and reference must have the same shape, got {est.shape} and {ref.shape}")
    denom = np.linalg.norm(ref)
    if denom == 0:
        raise ValueError("reference must be non-zero (its norm is the denominator)")
    return float(np.linalg.norm(est - ref) / denom)


def centre_kernel(kernel: jnp.ndarray) -> jnp.ndarray:
    r"""Double centring :math:`HKH`, :math:`H = I - \frac1N\mathbf 1\mathbf 1^\top` (removes the constant mode)."""
    k = as_finite_array("kernel", kernel, ndim=2)
    if k.shape[0] != k.shape[1]:
        raise ValueError(f"kernel must be square, got shape {k.shape}")
    kj = jnp.asarray(kernel)
    return kj - kj.mean(axis=0, keepdims=True) - kj.mean(axis=1, keepdims=True) + kj.mean()
