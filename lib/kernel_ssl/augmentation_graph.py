r"""The augmentation graph: which training points are views of the same source.

``N`` points (all views of all source images) are the vertices; ``A_ij > 0`` when points ``i`` and ``j`` are
related by augmentation. For views grouped by source image (``n_images`` groups of ``n_views`` views, stored
image-major: point ``p = image * n_views + view``),

.. math:: A_{ij} = \mathbb 1[g_i = g_j]\,\mathbb 1[i \ne j], \qquad D = \operatorname{diag}(A\mathbf 1), \qquad L = D - A .

With groups of equal size ``v`` the spectrum is explicit: ``A`` has eigenvalue ``v - 1`` on the group indicators
(multiplicity = number of groups) and ``-1`` on the within-group contrasts; ``L`` has ``0`` on the group
indicators and ``v`` on the within-group contrasts. Dense NumPy arrays (float64): the graphs here have at most
a few thousand vertices.
"""
from __future__ import annotations

import numpy as np

from .validation import as_finite_array, check_positive_int, check_symmetric


def group_labels(n_images: int, n_views: int) -> np.ndarray:
    """Source index of every point in image-major order: ``[0]*n_views + [1]*n_views + ...``, shape ``(N,)``."""
    n_images = check_positive_int("n_images", n_images)
    n_views = check_positive_int("n_views", n_views)
    return np.repeat(np.arange(n_images), n_views)


def _check_groups(groups) -> np.ndarray:
    arr = as_finite_array("groups", groups, ndim=1)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"groups must hold integer labels, got dtype {arr.dtype}")
    return arr


def adjacency_from_groups(groups, self_loops: bool = False) -> np.ndarray:
    r"""Adjacency of the augmentation graph: :math:`A_{ij}=1` if points ``i, j`` share a source (``i != j``).

    ``self_loops=True`` also sets :math:`A_{ii}=1` (then :math:`A` is the block matrix of ones and its
    eigenvalues are ``v`` and ``0``). The Laplacian :math:`D-A` is the same either way.
    """
    g = _check_groups(groups)
    if not isinstance(self_loops, bool):
        raise TypeError(f"self_loops must be True or False, got {self_loops!r}")
    a = (g[:, None] == g[None, :]).astype(np.float64)
    if not self_loops:
        np.fill_diagonal(a, 0.0)
    return a


def group_projector(groups) -> np.ndarray:
    r"""Orthogonal projector onto the group indicators, :math:`P_G = \sum_g \mathbf 1_g\mathbf 1_g^\top / |g|`."""
    g = _check_groups(groups)
    same = (g[:, None] == g[None, :]).astype(np.float64)
    return same / same.sum(axis=1, keepdims=True)


def check_adjacency(adjacency, n_points: int | None = None) -> np.ndarray:
    """Validate an adjacency matrix: finite, square, symmetric, non-negative, and ``n_points`` vertices if given.

    Returns it as a float64 NumPy array. Raises ``ValueError`` naming ``adjacency`` otherwise.
    """
    a = check_symmetric("adjacency", adjacency).astype(np.float64)
    if np.any(a < 0):
        raise ValueError("adjacency must have non-negative weights (it is a similarity graph)")
    if n_points is not None and a.shape[0] != n_points:
        raise ValueError(f"adjacency must be {n_points} x {n_points} (one vertex per point), got {a.shape}")
    return a


def degree(adjacency) -> np.ndarray:
    r"""Degrees :math:`D_{ii} = \sum_j A_{ij}` as a vector of shape ``(N,)``."""
    return check_adjacency(adjacency).sum(axis=1)


def laplacian(adjacency) -> np.ndarray:
    r"""Graph Laplacian :math:`L = D - A`; :math:`z^\top L z = \tfrac12\sum_{ij}A_{ij}(z_i-z_j)^2 \ge 0`."""
    a = check_adjacency(adjacency)
    return np.diag(a.sum(axis=1)) - a


def n_components(adjacency, tol: float = 1e-9) -> int:
    """Number of connected components = multiplicity of the eigenvalue 0 of ``L`` (up to ``tol`` relative)."""
    lap = laplacian(adjacency)
    w = np.linalg.eigvalsh(lap)
    scale = max(float(np.abs(w).max()), 1.0)
    return int(np.sum(w <= tol * scale))
