r"""Spectra of linearised Barlow Twins: the eigenmodes that training learns and the closed-form end point.

Linear model :math:`f(x) = Wx`, :math:`W\in\mathbb R^{d\times m}`, on positive pairs :math:`(x_i, x_i')`:

- the pairs enter only through the symmetrised cross-correlation
  :math:`\Gamma = \frac1{2n}\sum_i (x_ix_i'^\top + x_i'x_i^\top) = \sum_k \gamma_k v_kv_k^\top`, since
  :math:`C = W\Gamma W^\top`;
- as the initialisation scale goes to zero, training ends at :math:`f^\star(x) = O\Gamma_d^{-1/2}V_d^\top x`
  (top-:math:`d` eigendirections, whitened so that :math:`C = I_d`; :math:`O\in O(d)` is arbitrary).

Kernel model :math:`f(x) = W\varphi(x)` with Gram matrix :math:`K` on the :math:`N = 2n` stacked views
:math:`\tilde X = [x_1..x_n, x_1'..x_n']` and pair-swap matrix :math:`Z`:

- the modes are the eigenvectors of the *contrastive operator* :math:`K_Z = \frac1{2n}K^{1/2}ZK^{1/2}
  = \sum_j\lambda_ju_ju_j^\top`, whose nonzero eigenvalues are those of the feature-space :math:`\Gamma`;
- :math:`f^\star(x) = \Lambda_d^{-1/2}U_d^\top K^{+1/2}k_X(x)` (up to a rotation), on the training views
  :math:`F^\star = K^{1/2}U_d\Lambda_d^{-1/2}`, and the learned kernel
  :math:`k^\star(x,x') = k_X(x)^\top K^{+1/2}U_d\Lambda_d^{-1}U_d^\top K^{+1/2}k_X(x')`.

:math:`K^{+1/2}` is the pseudo-inverse square root on the range of :math:`K` (a centred kernel is singular;
:func:`kernel_ssl.linalg.psd_sqrt`). A block of kernel rows for new points is stored one point per row,
``(n_new, N)``, as everywhere in the book. Everything here is NumPy in float64 (the callers' arrays may be JAX).
"""
from __future__ import annotations

import numpy as np

from . import linalg
from .data import swap_views
from .linalg import RANK_RTOL
from .validation import (
    as_finite_array,
    check_cross_block,
    check_positive_int,
    check_same_shape,
    check_stacked_views,
    check_symmetric,
)


def pair_cross_correlation(x, x_prime) -> np.ndarray:
    r""":math:`\Gamma = \frac1{2n}(X^\top X' + X'^\top X)` for pairs stacked as rows of ``x, x_prime`` (``(n, m)``)."""
    a = as_finite_array("x", x, ndim=2).astype(np.float64)
    b = as_finite_array("x_prime", x_prime, ndim=2).astype(np.float64)
    check_same_shape("x", a, "x_prime", b)
    if a.shape[0] < 2:
        raise ValueError(f"x and x_prime need at least 2 pairs (rows), got {a.shape[0]}")
    return (a.T @ b + b.T @ a) / (2 * a.shape[0])


def _check_dim_positive(d, values: np.ndarray, what: str) -> int:
    # the closed forms whiten each of the top-d modes by 1 / sqrt(eigenvalue): all d must be positive
    d = check_positive_int("d", d)
    top = max(float(values[0]), 0.0)
    n_positive = int(np.sum(values > RANK_RTOL * top)) if top > 0 else 0
    if d > n_positive:
        raise ValueError(f"d must be at most the number of positive eigenvalues of {what} ({n_positive}), got {d}: "
                         f"the closed form whitens each of the top-d modes by 1/sqrt(eigenvalue)")
    return d


def top_modes(gamma, d: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Top-``d`` eigenpairs :math:`(\gamma_k, v_k)` of a symmetric :math:`\Gamma`: values ``(d,)`` (descending),
    vectors ``(m, d)``.

    Raises ``ValueError`` if ``gamma`` is not finite, square and symmetric, or if fewer than ``d`` eigenvalues are
    positive (a mode with :math:`\gamma_k\le0` is never learned: it decays under the flow).
    """
    values, vectors = linalg._descending_eigh(check_symmetric("gamma", gamma).astype(np.float64))
    d = _check_dim_positive(d, values, "gamma")
    return values[:d], vectors[:, :d]


def closed_form_linear(gamma, d: int) -> np.ndarray:
    r"""Final linear map as the initialisation scale goes to zero: :math:`W^\star = \Gamma_d^{-1/2}V_d^\top`,
    ``(d, m)``.

    Any :math:`OW^\star` with :math:`O\in O(d)` is equally a limit; compare subspaces or learned kernels
    :math:`W^{\star\top}W^\star = V_d\Gamma_d^{-1}V_d^\top`, which do not depend on :math:`O`.
    """
    values, vectors = top_modes(gamma, d)
    return vectors.T / np.sqrt(values)[:, None]


def _check_kernel(kernel) -> tuple[np.ndarray, np.ndarray, int]:
    # the Gram matrix of the N = 2n stacked views, checked once: its two roots and n
    k = check_stacked_views("kernel", kernel)
    root, inv_root = linalg.psd_sqrt(k, name="kernel")
    return root, inv_root, k.shape[0] // 2


def _operator(root: np.ndarray, n: int) -> np.ndarray:
    return root @ swap_views(root) / (2 * n)


def contrastive_operator(kernel) -> np.ndarray:
    r""":math:`K_Z = \frac1{2n}K^{1/2}ZK^{1/2}` for the Gram matrix ``kernel`` (``(N, N)``) of the stacked views."""
    root, _, n = _check_kernel(kernel)
    return _operator(root, n)


def _kernel_solution(kernel, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # one factorisation of K and one of K_Z for everything the closed forms need
    root, inv_root, n = _check_kernel(kernel)
    values, vectors = linalg._descending_eigh(_operator(root, n))
    d = _check_dim_positive(d, values, "the contrastive operator K^1/2 Z K^1/2 / 2n")
    return values[:d], vectors[:, :d], root, inv_root


def kernel_modes(kernel, d: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Top-``d`` eigenpairs :math:`(\lambda_j, u_j)` of :math:`K_Z`: values ``(d,)``, vectors ``(N, d)``."""
    values, vectors, _, _ = _kernel_solution(kernel, d)
    return values, vectors


def closed_form_outputs(kernel, d: int) -> np.ndarray:
    r"""Closed-form final outputs on the training views, :math:`F^\star = K^{1/2}U_d\Lambda_d^{-1/2}`, ``(N, d)``.

    They satisfy :math:`\frac1{2n}F^{\star\top}ZF^\star = I_d`.
    """
    values, vectors, root, _ = _kernel_solution(kernel, d)
    return root @ vectors / np.sqrt(values)


def _embedding_map(kernel, d: int) -> tuple[np.ndarray, int]:
    # K^{+1/2} U_d Lambda_d^{-1/2}, (N, d): f*(x) = map^T k_X(x)
    values, vectors, _, inv_root = _kernel_solution(kernel, d)
    return inv_root @ vectors / np.sqrt(values), inv_root.shape[0]


def closed_form_embedding(kernel, cross, d: int) -> np.ndarray:
    r""":math:`f^\star(x) = \Lambda_d^{-1/2}U_d^\top K^{+1/2}k_X(x)` for new points.

    Args:
        kernel: the Gram matrix :math:`K` of the stacked views, ``(N, N)``.
        cross: :math:`k_X(x)^\top` of each new point as a row, ``(n_new, N)``.
        d: the embedding dimension.

    Returns:
        The embeddings, one per row, ``(n_new, d)``.
    """
    map_, n_views = _embedding_map(kernel, d)
    return check_cross_block("cross", cross, n_views) @ map_


def closed_form_kernel(kernel, cross_left, cross_right, d: int) -> np.ndarray:
    r"""Learned kernel :math:`k^\star(x,x') = f^\star(x)^\top f^\star(x')` between two blocks of new points.

    Args:
        kernel: the Gram matrix :math:`K` of the stacked views, ``(N, N)``.
        cross_left: :math:`k_X(x)^\top` as rows, ``(n_left, N)``.
        cross_right: :math:`k_X(x')^\top` as rows, ``(n_right, N)``.
        d: the embedding dimension.

    Returns:
        ``(n_left, n_right)``.
    """
    map_, n_views = _embedding_map(kernel, d)
    left = check_cross_block("cross_left", cross_left, n_views) @ map_
    return left @ (check_cross_block("cross_right", cross_right, n_views) @ map_).T


def contrastive_kernel(kernel, cross_left, cross_right) -> np.ndarray:
    r"""The contrastive kernel as a function, :math:`k_Z(x,x') = \frac1{2n}k_X(x)^\top Z\,k_X(x')`, between two
    blocks of points: the kernel whose Gram matrix on the training views is :math:`\frac1{2n}KZK`.

    Args:
        kernel: the Gram matrix :math:`K` of the stacked views, ``(N, N)`` (only its size and pairing are used).
        cross_left: :math:`k_X(x)^\top` as rows, ``(n_left, N)``.
        cross_right: :math:`k_X(x')^\top` as rows, ``(n_right, N)``.

    Returns:
        ``(n_left, n_right)``.
    """
    k = check_stacked_views("kernel", kernel)
    left = check_cross_block("cross_left", cross_left, k.shape[0])
    right = check_cross_block("cross_right", cross_right, k.shape[0])
    return left @ swap_views(right.T) / k.shape[0]


def rkhs_and_kernel_pca(kernel, d: int) -> tuple[float, float]:
    r"""The two eigenproblems of the contrastive kernel's Gram matrix :math:`\frac1{2n}KZK`, compared.

    The RKHS eigenproblem of the operator :math:`h\mapsto\frac1{2n}\sum_a k(\cdot,\tilde x_a)h(\tilde x_{Z(a)})` with
    the RKHS inner product, :math:`\frac1{2n}KZKa = \lambda Ka`, is solved by :math:`a_j = K^{+1/2}u_j` with the
    eigenvalues :math:`\lambda_j` of :math:`K_Z`; Schoelkopf's kernel PCA of the contrastive kernel solves the
    plain :math:`\frac1{2n}KZKb = \mu b`. The two have the same eigenvectors if :math:`K\propto I` (then
    :math:`a_j\propto u_j`), and different ones otherwise.

    Args:
        kernel: the Gram matrix :math:`K` of the stacked views, ``(N, N)``.
        d: the number of top eigenvectors compared.

    Returns:
        ``(residual, difference)``: the largest relative residual
        :math:`\lVert\frac1{2n}KZKa_j-\lambda_jKa_j\rVert/\lVert\lambda_jKa_j\rVert` of the RKHS solutions, and
        :math:`1-` the subspace overlap (:func:`kernel_ssl.linalg.subspace_overlap`) of the top-``d`` coefficient
        vectors of the two problems, :math:`[a_1..a_d]` and :math:`[b_1..b_d]`.
    """
    values, vectors, root, inv_root = _kernel_solution(kernel, d)
    k = root @ root
    gram = k @ swap_views(k) / k.shape[0]
    a = inv_root @ vectors
    lhs, rhs = gram @ a, k @ a * values[None, :]
    residual = float(np.max(np.linalg.norm(lhs - rhs, axis=0) / np.linalg.norm(rhs, axis=0)))
    _, b = linalg._descending_eigh((gram + gram.T) / 2)
    return residual, float(1.0 - linalg.subspace_overlap(a, b[:, :values.shape[0]]))
