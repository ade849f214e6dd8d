r"""The augmentation graph: which training points are views of the same source.

The ``N`` training points (all views of all source images) are the vertices; :math:`A_{ab} > 0` when points ``a``
and ``b`` are related by augmentation. For views grouped by source image (``G`` groups of :math:`n_v` views, stored
image-major: point ``a = group * n_v + view``), with :math:`g_a` the group of point ``a``,

.. math::
   A_{ab} = \mathbb 1[g_a = g_b]\,\mathbb 1[a \ne b], \qquad D = \operatorname{diag}(A\mathbf 1), \qquad
   L = D - A .

With groups of equal size :math:`n_v` the spectrum is explicit: :math:`A` has eigenvalue :math:`n_v - 1` on the
group indicators (multiplicity :math:`G`) and :math:`-1` on the within-group contrasts; :math:`L` has
:math:`\nu = 0` on the group indicators and :math:`\nu = n_v` on the within-group contrasts. Dense NumPy arrays
(float64): the graphs here have at most a few thousand vertices.
"""
from __future__ import annotations

import numpy as np

from .validation import (
    as_finite_array,
    check_bool,
    check_int_labels,
    check_no_overflow,
    check_positive_float,
    check_positive_int,
    check_size,
    check_symmetric,
)


def group_labels(n_groups: int, n_views: int) -> np.ndarray:
    """Group (source) index of every point in image-major order: ``[0]*n_views + [1]*n_views + ...``, ``(N,)``."""
    n_groups = check_positive_int("n_groups", n_groups)
    n_views = check_positive_int("n_views", n_views)
    check_size("n_groups * n_views", n_groups * n_views)
    return np.repeat(np.arange(n_groups), n_views)


def _check_groups(groups) -> np.ndarray:
    arr = as_finite_array("groups", groups, ndim=1)
    return check_int_labels("groups", arr)


def adjacency_from_groups(groups, self_loops: bool = False) -> np.ndarray:
    r"""Adjacency of the augmentation graph: :math:`A_{ab}=1` if points ``a, b`` share a source (``a != b``).

    ``self_loops=True`` also sets :math:`A_{aa}=1` (then :math:`A` is the block matrix of ones and its
    eigenvalues are :math:`n_v` and ``0``; this is the population augmentation graph of HaoChen et al., whose
    normalised adjacency :math:`D^{-1/2}AD^{-1/2}` is then :math:`P_G`). The Laplacian :math:`D-A` is the same
    either way.
    """
    g = _check_groups(groups)
    self_loops = check_bool("self_loops", self_loops)
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
    if n_points is not None:
        n_points = check_positive_int("n_points", n_points)
    a = check_symmetric("adjacency", adjacency).astype(np.float64)
    if np.any(a < 0):
        raise ValueError("adjacency must have non-negative weights (it is a similarity graph)")
    if n_points is not None and a.shape[0] != n_points:
        raise ValueError(f"adjacency must be {n_points} x {n_points} (one vertex per point), got {a.shape}")
    return a


def degree(adjacency) -> np.ndarray:
    r"""Degrees :math:`D_{aa} = \sum_b A_{ab}` as a vector of shape ``(N,)``."""
    return check_adjacency(adjacency).sum(axis=1)


def laplacian(adjacency) -> np.ndarray:
    r"""Graph Laplacian :math:`L = D - A`; :math:`u^\top L u = \tfrac12\sum_{ab}A_{ab}(u_a-u_b)^2 \ge 0`."""
    a = check_adjacency(adjacency)
    return np.diag(a.sum(axis=1)) - a


def n_components(adjacency, tol: float = 1e-9) -> int:
    """Number of connected components = multiplicity of the eigenvalue 0 of ``L`` (up to ``tol`` relative).

    ``tol`` in ``(0, 0.5]``: eigenvalues at most ``tol`` times the largest count as 0 (0 or NaN would count none,
    large values would count connected vertices as separate components)."""
    tol = check_positive_float("tol", tol, maximum=0.5)
    lap = laplacian(adjacency)
    w = np.linalg.eigvalsh(lap)
    scale = max(float(np.abs(w).max()), 1.0)
    return int(np.sum(w <= tol * scale))


def knn_adjacency(points, groups, n_neighbours: int, weight: float) -> np.ndarray:
    r"""A non-regular augmentation graph: the group cliques plus ``weight`` times a symmetrised k-nearest-neighbour
    graph between views of **different** sources.

    .. math::
       A = A_{\rm groups} + w\,\max(E, E^\top),\qquad E_{ab} = \mathbb 1[b \text{ is among the } k
       \text{ nearest views of other sources to } a],

    with distances :math:`\lVert x_a - x_b\rVert`. Symmetrising by the maximum gives unequal degrees (a view that is
    the neighbour of many others gains edges), so :math:`D` is not a multiple of :math:`I` and the top eigenvectors
    of :math:`A` and the bottom eigenvectors of :math:`L` differ in general (for a regular graph,
    :math:`L = cI - A` and they coincide).

    Args:
        points: the views, one per row (``(N, m)``), in the order of ``groups``.
        groups: the source of every view (``(N,)``, integers), at least two sources.
        n_neighbours: :math:`k\ge1`, at most the number of views of other sources of every point.
        weight: :math:`w>0`, the weight of a neighbour edge (a clique edge weighs 1).

    Returns:
        :math:`A` (``(N, N)``, symmetric, non-negative, zero diagonal).
    """
    x = as_finite_array("points", points, ndim=2).astype(np.float64)
    check_no_overflow("points", x, np.float64, power=2, count=x.shape[1])   # squared distances
    g = _check_groups(groups)
    if g.shape[0] != x.shape[0]:
        raise ValueError(f"groups must hold one label per row of points ({x.shape[0]}), got {g.shape[0]}")
    other = g[:, None] != g[None, :]
    fewest = int(other.sum(axis=1).min())
    if fewest == 0:
        raise ValueError("groups must contain at least two sources (neighbour edges join different sources)")
    n_neighbours = check_positive_int("n_neighbours", n_neighbours, maximum=fewest)
    weight = check_positive_float("weight", weight)
    sq = np.sum(x ** 2, axis=1)
    dist = np.where(other, sq[:, None] + sq[None, :] - 2 * x @ x.T, np.inf)
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :n_neighbours]
    e = np.zeros_like(dist)
    np.put_along_axis(e, nearest, 1.0, axis=1)
    return adjacency_from_groups(g) + weight * np.maximum(e, e.T)
