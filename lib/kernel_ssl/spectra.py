r"""Spectra of linearised Barlow Twins: the eigenmodes that training learns and the closed-form end point.

Linear model :math:`f(x) = Wx`, :math:`W\in\mathbb R^{d\times m}`, on positive pairs :math:`(x_i, x_i')`:

- the pairs enter only through the symmetrised cross-correlation
  :math:`\Gamma = \frac1{2n}\sum_i (x_ix_i'^\top + x_i'x_i^\top) = \sum_k \gamma_k v_kv_k^\top`, since
  :math:`C = W\Gamma W^\top`;
- as the initialisation scale goes to zero, training ends at :math:`f^\star(x) = U\Gamma_d^{-1/2}V_d^\top x`
  (top-:math:`d` eigendirections, whitened so that :math:`C = I_d`; :math:`U\in O(d)` is arbitrary).

Kernel model :math:`f(x) = W\varphi(x)` with Gram matrix :math:`K` on the ``2n`` stacked views
:math:`\tilde X = [x_1..x_n, x_1'..x_n']` and pair-swap matrix :math:`Z`:

- the modes are the eigenvectors of the *contrastive operator* :math:`M = \frac1{2n}K^{1/2}ZK^{1/2}
  = \sum_j\lambda_ju_ju_j^\top`, whose nonzero eigenvalues are those of the feature-space :math:`\Gamma`;
- :math:`f^\star(x) = \Lambda_d^{-1/2}U_d^\top K^{-1/2}k_X(x)` (up to a rotation), on the training views
  :math:`F^\star = K^{1/2}U_d\Lambda_d^{-1/2}`, and the learned kernel
  :math:`k^\star(x,x') = k_X(x)^\top K^{-1/2}U_d\Lambda_d^{-1}U_d^\top K^{-1/2}k_X(x')`.

:math:`K^{-1/2}` is the pseudo-inverse square root on the range of :math:`K` (a centred kernel is singular).
Everything here is NumPy in float64 (eigendecompositions; the callers' arrays may be JAX arrays).
"""
from __future__ import annotations

import numpy as np

from .validation import as_finite_array, check_positive_float, check_positive_int, check_same_shape, check_symmetric

# Eigenvalues of a float64 Gram matrix carry errors of order N * eps * ||K||: below -PSD_RTOL * lambda_max an
# eigenvalue is far beyond round-off and the matrix is not a kernel matrix; |eigenvalues| below
# RANK_RTOL * lambda_max are treated as zero (the null space of a centred kernel).
PSD_RTOL = 1e-8
RANK_RTOL = 1e-10


def pair_cross_correlation(x, x_prime) -> np.ndarray:
    r""":math:`\Gamma = \frac1{2n}(X^\top X' + X'^\top X)` for pairs stacked as rows of ``x, x_prime`` (``(n, m)``)."""
    check_same_shape("x", x, "x_prime", x_prime)
    a = as_finite_array("x", x, ndim=2).astype(np.float64)
    b = as_finite_array("x_prime", x_prime, ndim=2).astype(np.float64)
    if a.shape[0] < 2:
        raise ValueError(f"x and x_prime need at least 2 pairs (rows), got {a.shape[0]}")
    return (a.T @ b + b.T @ a) / (2 * a.shape[0])


def _descending_eigh(sym: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, v = np.linalg.eigh((sym + sym.T) / 2)
    return w[::-1], v[:, ::-1]


def _check_dim_positive(d, values: np.ndarray, what: str) -> int:
    d = check_positive_int("d", d)
    top = max(float(values[0]), 0.0)
    n_positive = int(np.sum(values > RANK_RTOL * top)) if top > 0 else 0
    if d > n_positive:
        raise ValueError(f"d must be at most the number of positive eigenvalues of {what} ({n_positive}), got {d}: "
                         f"the closed form whitens each of the top-d modes by 1/sqrt(eigenvalue)")
    return d


def top_modes(gamma, d: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Top-``d`` eigenpairs of a symmetric matrix :math:`\Gamma`: values ``(d,)`` (descending), vectors ``(m, d)``.

    Raises ``ValueError`` if ``gamma`` is not finite, square and symmetric, or if fewer than ``d`` eigenvalues are
    positive (a mode with :math:`\gamma_j\le0` is never learned: it decays under the flow).
    """
    g = check_symmetric("gamma", gamma).astype(np.float64)
    values, vectors = _descending_eigh(g)
    d = _check_dim_positive(d, values, "gamma")
    return values[:d], vectors[:, :d]


def closed_form_linear(gamma, d: int) -> np.ndarray:
    r"""Final linear map as the initialisation scale goes to zero: :math:`W^\star = \Gamma_d^{-1/2}V_d^\top`, ``(d, m)``.

    Any :math:`UW^\star` with :math:`U\in O(d)` is equally a limit; compare subspaces or learned kernels
    :math:`W^{\star\top}W^\star = V_d\Gamma_d^{-1}V_d^\top`, which do not depend on :math:`U`.
    """
    values, vectors = top_modes(gamma, d)
    return vectors.T / np.sqrt(values)[:, None]


def psd_sqrt(kernel, psd_rtol: float = PSD_RTOL) -> tuple[np.ndarray, np.ndarray]:
    r""":math:`K^{1/2}` and the pseudo-inverse :math:`K^{-1/2}` (on the range of :math:`K`) of a PSD Gram matrix.

    Raises ``ValueError`` if ``kernel`` is not symmetric, or has an eigenvalue below ``-psd_rtol`` times the largest.
    """
    k = check_symmetric("kernel", kernel).astype(np.float64)
    psd_rtol = check_positive_float("psd_rtol", psd_rtol)
    w, u = np.linalg.eigh((k + k.T) / 2)
    top = float(w[-1])
    if top <= 0:
        raise ValueError("kernel must have a positive eigenvalue (it is zero or negative semi-definite)")
    if w[0] < -psd_rtol * top:
        raise ValueError(f"kernel is not positive semi-definite: smallest eigenvalue {w[0]:.3e} < "
                         f"-{psd_rtol:g} * largest ({top:.3e})")
    keep = w > RANK_RTOL * top
    root = np.sqrt(np.where(keep, w, 0.0))
    inv_root = np.where(keep, 1.0 / np.where(keep, root, 1.0), 0.0)
    return (u * root) @ u.T, (u * inv_root) @ u.T


def _check_stacked(kernel) -> int:
    n_views = np.shape(kernel)[0]
    if np.ndim(kernel) != 2 or n_views % 2:
        raise ValueError(f"kernel must be the (2n, 2n) Gram matrix of the stacked views [x_1..x_n, x_1'..x_n'], "
                         f"got shape {np.shape(kernel)}")
    return n_views // 2


def swap_views(a: np.ndarray) -> np.ndarray:
    r""":math:`ZA` for ``a`` with ``2n`` rows: exchanges the first ``n`` rows (views ``x_i``) with the last ``n``."""
    n = a.shape[0] // 2
    return np.concatenate([a[n:], a[:n]], axis=0)


def contrastive_operator(kernel) -> np.ndarray:
    r""":math:`M = \frac1{2n}K^{1/2}ZK^{1/2}` for the Gram matrix ``kernel`` of the ``2n`` stacked views."""
    n = _check_stacked(kernel)
    root, _ = psd_sqrt(kernel)
    return root @ swap_views(root) / (2 * n)


def _kernel_solution(kernel, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # one factorisation of K and one of M for everything the closed forms need
    n = _check_stacked(kernel)
    root, inv_root = psd_sqrt(kernel)
    values, vectors = _descending_eigh(root @ swap_views(root) / (2 * n))
    d = _check_dim_positive(d, values, "the contrastive operator K^1/2 Z K^1/2 / 2n")
    return values[:d], vectors[:, :d], root, inv_root


def kernel_modes(kernel, d: int) -> tuple[np.ndarray, np.ndarray]:
    r"""Top-``d`` eigenpairs :math:`(\lambda_j, u_j)` of the contrastive operator: values ``(d,)``, vectors ``(2n, d)``."""
    values, vectors, _, _ = _kernel_solution(kernel, d)
    return values, vectors


def closed_form_outputs(kernel, d: int) -> np.ndarray:
    r"""Closed-form final outputs on the training views, :math:`F^\star = K^{1/2}U_d\Lambda_d^{-1/2}`, ``(2n, d)``.

    They satisfy :math:`\frac1{2n}F^{\star\top}ZF^\star = I_d`.
    """
    values, vectors, root, _ = _kernel_solution(kernel, d)
    return root @ vectors / np.sqrt(values)


def _check_cross(name: str, cross, n_views: int) -> np.ndarray:
    c = as_finite_array(name, cross, ndim=2).astype(np.float64)
    if c.shape[1] != n_views:
        raise ValueError(f"{name} must have {n_views} columns (one per training view), got shape {c.shape}")
    return c


def closed_form_embedding(kernel, cross, d: int) -> np.ndarray:
    r""":math:`f^\star(x) = \Lambda_d^{-1/2}U_d^\top K^{-1/2}k_X(x)` for new points; ``cross`` holds
    :math:`k_X(x)^\top` as rows, shape ``(n_new, 2n)``. Returns ``(n_new, d)``."""
    _check_stacked(kernel)
    c = _check_cross("cross", cross, np.shape(kernel)[0])
    values, vectors, _, inv_root = _kernel_solution(kernel, d)
    return c @ inv_root @ vectors / np.sqrt(values)


def closed_form_kernel(kernel, cross_left, cross_right, d: int) -> np.ndarray:
    r"""Learned kernel :math:`k^\star(x,x') = f^\star(x)^\top f^\star(x')` between the rows of ``cross_left`` and
    ``cross_right`` (each :math:`k_X(\cdot)^\top`, shape ``(n_*, 2n)``)."""
    _check_stacked(kernel)
    left = _check_cross("cross_left", cross_left, np.shape(kernel)[0])
    right = _check_cross("cross_right", cross_right, np.shape(kernel)[0])
    values, vectors, _, inv_root = _kernel_solution(kernel, d)
    map_ = inv_root @ vectors / np.sqrt(values)
    return (left @ map_) @ (right @ map_).T


def subspace_overlap(a, b) -> float:
    r"""Mean squared cosine of the principal angles between the column spaces of ``a`` and ``b`` (``(N, k)``):
    :math:`\lVert Q_a^\top Q_b\rVert_F^2/k \in [0, 1]` (1: the same subspace, 0: orthogonal).

    Insensitive to any invertible mixing of the columns, hence to the rotation :math:`U` of the closed form.
    """
    qa = _orthonormal_columns("a", a)
    qb = _orthonormal_columns("b", b)
    if qa.shape != qb.shape:
        raise ValueError(f"a and b must span subspaces of the same dimension in the same space, got bases of "
                         f"shapes {qa.shape} and {qb.shape}")
    return float(np.sum((qa.T @ qb) ** 2) / qa.shape[1])


def _orthonormal_columns(name: str, a) -> np.ndarray:
    arr = as_finite_array(name, a, ndim=2).astype(np.float64)
    u, s, _ = np.linalg.svd(arr, full_matrices=False)
    if s[-1] <= RANK_RTOL * max(float(s[0]), np.finfo(float).tiny):
        raise ValueError(f"{name} must have linearly independent columns (rank {int(np.sum(s > RANK_RTOL * s[0]))} "
                         f"< {arr.shape[1]})")
    return u

