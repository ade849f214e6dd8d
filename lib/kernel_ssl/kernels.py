r"""Tangent and feature kernels of the two-layer net: the empirical NTK from its structure, the infinite-width
kernels in closed form, and the base kernels of chapter 3.

Empirical NTK of :math:`f(x)=\frac1{\sqrt M}W\sigma(Vx/\sqrt m+\beta b)` (see ``models``):

.. math:: \Theta(x,x')_{ab} = \delta_{ab}\,\frac1M\sum_r \sigma(h_r)\sigma(h_r')
   + \Big(\frac{x^\top x'}{m}+\beta^2\Big)\frac1M\sum_r W_{ar}W_{br}\,\sigma'(h_r)\sigma'(h_r').

Computed from two ``n x M`` matrices in :math:`n^2 M (2 + d(d+1))` floating-point operations (one Gram for the
read-out term, :math:`d(d+1)/2` for the distinct blocks of the hidden term, symmetric in :math:`a, b`): no Jacobian
is formed. Its infinite-width limit is
:math:`\Theta_\infty = K_\infty\otimes I_d`,
:math:`K_\infty(x,x') = \mathbb E[\sigma(u)\sigma(v)] + (x^\top x'/m+\beta^2)\,\mathbb E[\sigma'(u)\sigma'(v)]`,
with :math:`(u,v)` centred Gaussian of covariance :math:`\Sigma = \begin{psmallmatrix}q&c\\c&q'\end{psmallmatrix}`,
:math:`q=\lVert x\rVert^2/m+\beta^2`, :math:`c=x^\top x'/m+\beta^2`; its first term alone is the NNGP kernel, the
limit of the random features' Gram matrix. The same kernels from ``neural_tangents`` are in :mod:`kernel_ssl.nt`.
"""
from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from .models import ACTIVATIONS, Params, _check_params, _sigma, _sigma_prime
from .validation import (
    as_finite_array,
    check_choice,
    check_no_overflow,
    check_positive_float,
    check_positive_int,
    check_same_columns,
    check_size,
    computing_dtype,
)


def _check_inputs(x1, x2) -> tuple[np.ndarray, np.ndarray]:
    return check_same_columns("x1", x1, "x2", x2)


def _check_input_dim(params: Params, x1) -> None:
    m = np.shape(params["V"])[1]
    if np.shape(x1)[1] != m:
        raise ValueError(f"x1 and x2 must have {m} columns (the input dimension of params['V']), "
                         f"got {np.shape(x1)[1]}")


def _check_network(x1, x2, activation, bias_std) -> float:
    xa, xb = _check_inputs(x1, x2)
    check_choice("activation", activation, ACTIVATIONS)
    bias_std = check_positive_float("bias_std", bias_std, allow_zero=True)
    # the closed forms square the inputs and sum m products (x.x'/m, ||x||^2/m): refuse what overflows there
    m = xa.shape[1]
    for name, arr in (("x1", xa), ("x2", xb)):
        check_no_overflow(name, arr, computing_dtype(arr), power=2, count=m)
    check_no_overflow("bias_std", bias_std, computing_dtype(xa), power=2, count=4)
    check_size("len(x1) * len(x2)", xa.shape[0] * xb.shape[0])
    return bias_std


def empirical_ntk_two_layer(params: Params, x1: jnp.ndarray, x2: jnp.ndarray,
                            activation: str = "relu", bias_std: float = 0.0) -> jnp.ndarray:
    r"""Empirical NTK of the two-layer net from its structure; shape ``(n1, n2, d, d)``.

    .. math:: \Theta(x_a, x'_b)_{ij} = \frac1M\sum_k\Big[W_{ik}W_{jk}\,\sigma'(h_{ak})\sigma'(h'_{bk})
       \Big(\frac{x_a^\top x'_b}{m}+\beta^2\Big) + \delta_{ij}\,\sigma(h_{ak})\sigma(h'_{bk})\Big],
       \qquad h_a = Vx_a/\sqrt m+\beta b,

    as one Gram of the :math:`\sigma(h_a)` and one Gram of the rows :math:`\sigma'(h_a)\odot W_i` against
    :math:`\sigma'(h'_b)\odot W_j` per pair :math:`i\le j` (the hidden term is symmetric in :math:`i, j`), summed over
    chunks of ``UNIT_CHUNK`` hidden units. Same layout as ``neural_tangents.empirical_ntk_fn(..., trace_axes=())``.

    Args:
        params: the network ``{"V", "b", "W"}`` (:func:`kernel_ssl.models.init_two_layer`).
        x1: the first inputs, ``(n1, m)``, one per row.
        x2: the second inputs, ``(n2, m)``.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta\ge0`.

    Returns:
        :math:`\Theta(x_1, x_2)`, ``(n1, n2, d, d)``.
    """
    _check_params("params", params)
    bias_std = _check_network(x1, x2, activation, bias_std)
    _check_input_dim(params, x1)
    d = int(np.shape(params["W"])[0])
    check_size("len(x1) * len(x2) * d^2 (the kernel's entries)", np.shape(x1)[0] * np.shape(x2)[0] * d * d)
    x1_array = jnp.asarray(x1)
    # one set of inputs passed twice: the core then computes its hidden activations once
    x2_array = x1_array if x2 is x1 else jnp.asarray(x2)
    return _empirical_ntk_two_layer(params, x1_array, x2_array, activation, bias_std)


# Hidden units are summed in chunks of this many: the kernel is a sum over units, so chunking bounds the
# working memory at O(n * CHUNK * d) whatever the width (2^16 units in float64 would otherwise need
# several hundred MB of temporaries), and one compiled chunk program serves every width above it. 2048 rather
# than 4096: the operands of a chunk's Grams then stay in cache, which measured 10-20 % faster at n = 256,
# M = 4096 on a 2-core CPU (benchmarks/ntk.py); one call per chunk beat splitting inside one program.
UNIT_CHUNK = 2048


def _upper_pairs(d: int) -> tuple[tuple[int, int], ...]:
    # the output pairs (i, j), i <= j, of the distinct blocks of the hidden term (it is symmetric in i, j)
    return tuple((i, j) for i in range(d) for j in range(i, d))


@partial(jax.jit, static_argnames=("activation", "bias_std", "same"))
def _ntk_chunk(grams, first_layer, bias, readout, x1, x2, activation, bias_std, same):
    r"""``grams`` plus a block of hidden units' unnormalised Grams: the read-out Gram
    :math:`\sum_r\sigma(h_{ar})\sigma(h'_{br})` then, for each pair ``i <= j`` of ``_upper_pairs``,
    :math:`\sum_r W_{ir}W_{jr}\sigma'(h_{ar})\sigma'(h'_{br})`; each ``(n1, n2)``. ``same``: x2 is x1."""
    sigma, dsigma = _sigma(activation), _sigma_prime(activation)

    def pre_activation(x):
        return x @ first_layer.T / jnp.sqrt(x.shape[1]) + bias_std * bias

    h1 = pre_activation(x1)
    h2 = h1 if same else pre_activation(x2)
    d = readout.shape[0]
    # the rows sigma'(h_a) * W_i for each output i: the hidden term's block (i, j) is their Gram with the
    # second inputs' rows for j. One (n1, units) @ (units, n2) product per block i <= j is the minimal work
    # (d (d + 1) / 2 Grams, not d^2) and runs at the rate of a plain GEMM; stacking the blocks j >= i into one
    # wider product measured slower on CPU (its operands fall out of cache).
    g1 = [dsigma(h1) * readout[i] for i in range(d)]
    g2 = g1 if same else [dsigma(h2) * readout[i] for i in range(d)]
    s1 = sigma(h1)
    s2 = s1 if same else sigma(h2)
    chunk = (s1 @ s2.T,) + tuple(g1[i] @ g2[j].T for i, j in _upper_pairs(d))
    return tuple(total + part for total, part in zip(grams, chunk, strict=True))


@partial(jax.jit, static_argnames=("d",))
def _ntk_assemble(grams, x1, x2, bias_std, width, d):
    # Theta_ab^{ij} = (delta_ij R_ab + (x_a.x_b / m + beta^2) H_ab^{ij}) / M, H^{ji} = H^{ij}; one fused pass
    # writes the (n1, n2, d, d) layout
    readout, blocks = grams[0], dict(zip(_upper_pairs(d), grams[1:], strict=True))
    inner = x1 @ x2.T / x1.shape[1] + bias_std ** 2
    entries = [inner * blocks[min(i, j), max(i, j)] + (readout if i == j else 0.0)
               for i in range(d) for j in range(d)]
    return jnp.stack(entries, axis=-1).reshape(*readout.shape, d, d) / width


def _empirical_ntk_two_layer(params, x1, x2, activation, bias_std):
    width = params["V"].shape[0]
    d = params["W"].shape[0]
    n_grams = 1 + d * (d + 1) // 2
    grams = tuple(jnp.zeros((x1.shape[0], x2.shape[0]), x1.dtype) for _ in range(n_grams))
    same = x2 is x1
    for start in range(0, width, UNIT_CHUNK):
        block = slice(start, start + UNIT_CHUNK)
        grams = _ntk_chunk(grams, params["V"][block], params["b"][block], params["W"][:, block], x1, x2,
                           activation, float(bias_std), same)
    return _ntk_assemble(grams, x1, x2, float(bias_std), float(width), d)


def _gaussian_moments(x1, x2, bias_std):
    # q, q' (the variances of u and v) and c (their covariance), for all pairs of rows
    m = x1.shape[1]
    q1 = jnp.sum(x1 ** 2, axis=1) / m + bias_std ** 2
    q2 = jnp.sum(x2 ** 2, axis=1) / m + bias_std ** 2
    return q1[:, None], q2[None, :], x1 @ x2.T / m + bias_std ** 2


def _relu_angle(q1, q2, c):
    # sqrt(q q') and the angle; a zero input (q = 0, only without bias) has sigma(u) = 0 identically, so every term
    # that multiplies sqrt(q q') or c vanishes whatever the angle: cos = 0 there keeps the formulas finite
    norm = jnp.sqrt(q1 * q2)
    cos = jnp.clip(c / jnp.where(norm > 0, norm, 1.0), -1.0, 1.0)
    return norm, cos, jnp.arccos(cos)


def _nngp(q1, q2, c, activation):
    if activation == "relu":
        norm, cos, theta = _relu_angle(q1, q2, c)
        return norm / (2 * jnp.pi) * (jnp.sin(theta) + (jnp.pi - theta) * cos)
    return 2 / jnp.pi * jnp.arcsin(2 * c / jnp.sqrt((1 + 2 * q1) * (1 + 2 * q2)))


def _derivative_kernel(q1, q2, c, activation):
    # E[sigma'(u) sigma'(v)]
    if activation == "relu":
        return (jnp.pi - _relu_angle(q1, q2, c)[2]) / (2 * jnp.pi)
    return 4 / jnp.pi / jnp.sqrt((1 + 2 * q1) * (1 + 2 * q2) - 4 * c ** 2)


def _closed_form_ntk(x1, x2, activation, bias_std):
    q1, q2, c = _gaussian_moments(x1, x2, bias_std)
    return _nngp(q1, q2, c, activation) + c * _derivative_kernel(q1, q2, c, activation)


def closed_form_nngp(x1: jnp.ndarray, x2: jnp.ndarray, activation: str = "relu",
                     bias_std: float = 0.0) -> jnp.ndarray:
    r"""Infinite-width NNGP kernel :math:`\mathbb E[\sigma(u)\sigma(v)]` of the two-layer net (the first term of
    :func:`closed_form_ntk`, and the limit of the random features' Gram matrix); ``(n1, n2)``.

    ReLU (arc-cosine kernel of degree 1, Cho & Saul 2009), with :math:`\cos\vartheta = c/\sqrt{qq'}`:
    :math:`\frac{\sqrt{qq'}}{2\pi}(\sin\vartheta+(\pi-\vartheta)\cos\vartheta)`; it is 0 where an input is 0 (then
    :math:`\sigma(u)=0`).
    erf (Williams 1997): :math:`\frac2\pi\arcsin\frac{2c}{\sqrt{(1+2q)(1+2q')}}`.
    Computed in the working precision (:mod:`kernel_ssl.precision`).

    Args:
        x1: the first inputs, ``(n1, m)``, one per row.
        x2: the second inputs, ``(n2, m)`` (the same input dimension :math:`m`).
        activation: :math:`\sigma`, ``"relu"`` or ``"erf"``.
        bias_std: the bias scale :math:`\beta\ge0`.

    Returns:
        :math:`K_\infty(X_1, X_2)`, ``(n1, n2)``: the NNGP kernel.
    """
    bias_std = _check_network(x1, x2, activation, bias_std)
    return _nngp(*_gaussian_moments(jnp.asarray(x1), jnp.asarray(x2), bias_std), activation)


def closed_form_ntk(x1: jnp.ndarray, x2: jnp.ndarray, activation: str = "relu",
                    bias_std: float = 0.0) -> jnp.ndarray:
    r"""Infinite-width NTK of the two-layer net from the closed forms (book's derivation); ``(n1, n2)``:
    :math:`\mathbb E[\sigma\sigma] + c\,\mathbb E[\sigma'\sigma']`, the first term :func:`closed_form_nngp`.

    ReLU (arc-cosine kernels, Cho & Saul 2009), with :math:`\cos\vartheta = c/\sqrt{qq'}`:
    :math:`\mathbb E[\sigma\sigma]=\frac{\sqrt{qq'}}{2\pi}(\sin\vartheta+(\pi-\vartheta)\cos\vartheta)`,
    :math:`\mathbb E[\sigma'\sigma']=\frac{\pi-\vartheta}{2\pi}`; the kernel is 0 where an input is 0 (then
    :math:`\sigma(u)=0` and :math:`c=0`).
    erf (Williams 1997): :math:`\mathbb E[\sigma\sigma]=\frac2\pi\arcsin\frac{2c}{\sqrt{(1+2q)(1+2q')}}`,
    :math:`\mathbb E[\sigma'\sigma']=\frac4\pi\big((1+2q)(1+2q')-4c^2\big)^{-1/2}`.

    Args:
        x1, x2, activation, bias_std: as in :func:`closed_form_nngp`.

    Returns:
        :math:`K_\infty(X_1, X_2)`, ``(n1, n2)``: the NTK, :math:`\Theta_\infty = K_\infty\otimes I_d`.
    """
    bias_std = _check_network(x1, x2, activation, bias_std)
    return _closed_form_ntk(jnp.asarray(x1), jnp.asarray(x2), activation, bias_std)


def kron_identity(kernel: jnp.ndarray, d: int) -> jnp.ndarray:
    """A scalar kernel ``(n1, n2)`` as the block kernel ``k(x, x') I_d`` of shape ``(n1, n2, d, d)``."""
    d = check_positive_int("d", d, maximum=2 ** 12)
    k = as_finite_array("kernel", kernel, ndim=2)
    check_size("kernel.size * d^2 (the block kernel's entries)", k.size * d * d)
    return _kron_identity(jnp.asarray(kernel), d)


def _kron_identity(kernel, d: int):
    return kernel[:, :, None, None] * jnp.eye(d, dtype=kernel.dtype)


def centre_kernel(kernel: jnp.ndarray) -> jnp.ndarray:
    r"""Double centring :math:`HKH`, :math:`H = I - \frac1N\mathbf 1\mathbf 1^\top` (removes the constant mode)."""
    k = as_finite_array("kernel", kernel, ndim=2)
    if k.shape[0] != k.shape[1]:
        raise ValueError(f"kernel must be square, got shape {k.shape}")
    # the means sum N entries
    check_no_overflow("kernel", k, computing_dtype(k), power=1, count=k.shape[0])
    kj = jnp.asarray(kernel)
    return kj - kj.mean(axis=0, keepdims=True) - kj.mean(axis=1, keepdims=True) + kj.mean()


# ------------------------------------------------------------------------- base kernels of chapter 3 (NumPy)
def median_gamma(x) -> float:
    r"""RBF width by the median heuristic: :math:`\gamma = 1/\operatorname{median}_{a\ne b}\lVert x_a-x_b\rVert^2`
    (``x`` one point per row)."""
    from sklearn.metrics.pairwise import euclidean_distances

    xa = as_finite_array("x", x, ndim=2)
    if xa.shape[0] < 2:
        raise ValueError(f"x needs at least 2 points, got {xa.shape[0]}")
    check_no_overflow("x", xa, np.float64, power=2, count=4 * xa.shape[1])
    d2 = euclidean_distances(xa.astype(np.float64), squared=True)[np.triu_indices(xa.shape[0], 1)]
    med = float(np.median(d2))
    if med <= 0:
        raise ValueError("x must contain distinct points (the median squared distance is 0)")
    return 1.0 / med


def rbf_gram(x1, x2, gamma: float) -> np.ndarray:
    r"""RBF kernel :math:`k(x,x')=\exp(-\gamma\lVert x-x'\rVert^2)` (scikit-learn, float64).

    Args:
        x1: the first points, ``(n1, m)``, one per row.
        x2: the second points, ``(n2, m)``.
        gamma: :math:`\gamma>0` (e.g. :func:`median_gamma`).

    Returns:
        :math:`k(X_1, X_2)`, ``(n1, n2)``.
    """
    from sklearn.metrics.pairwise import rbf_kernel

    xa, xb = _check_inputs(x1, x2)
    for name, arr in (("x1", xa), ("x2", xb)):
        check_no_overflow(name, arr, np.float64, power=2, count=4 * xa.shape[1])
    a, b = np.asarray(x1, dtype=np.float64), np.asarray(x2, dtype=np.float64)
    gamma = check_positive_float("gamma", gamma)
    return rbf_kernel(a, b, gamma=gamma)


def normalised_kernel(kernel) -> np.ndarray:
    r"""Cosine normalisation :math:`\tilde k(x,x')=k(x,x')/\sqrt{k(x,x)k(x',x')}\in[-1,1]` of a square Gram
    matrix (float64)."""
    k = as_finite_array("kernel", kernel, ndim=2).astype(np.float64)
    if k.shape[0] != k.shape[1]:
        raise ValueError(f"kernel must be square, got shape {k.shape}")
    diag = np.diag(k)
    if np.any(diag <= 0):
        raise ValueError("kernel must have a positive diagonal to be normalised (a point with k(x, x) = 0 "
                         "has a zero representation)")
    s = 1.0 / np.sqrt(diag)
    return k * s[:, None] * s[None, :]
