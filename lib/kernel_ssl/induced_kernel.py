r"""Joint-embedding SSL in the kernel regime: optimal representations in closed form and the induced kernel.

A representation is a linear map on the feature space of a base kernel ``k``, :math:`f(x) = W\varphi(x)`. On ``N``
training points with Gram matrix :math:`K` the relevant maps have the representer form
:math:`f(x) = B^\top k_X(x)`, :math:`B\in\mathbb R^{N\times d}`, and the training representations are
:math:`F = KB\in\mathbb R^{N\times d}`, one point per row. A block of cross-kernels for new points,
:math:`k(X_{\rm new}, X)`, is ``(n_new, N)`` (one new point per row), and their representations are
:math:`k(X_{\rm new}, X)B`. Every loss here depends on :math:`F` only through :math:`FF^\top`, whose optimum is a
nearest rank-:math:`d` PSD matrix :math:`[S]_d` (:func:`kernel_ssl.linalg.top_psd_part`) of a symmetric matrix
:math:`S` built from the augmentation graph (adjacency :math:`A`, Laplacian :math:`L = D - A`):

- contrastive (spectral type) :math:`\lVert FF^\top - A\rVert_F^2 + \rho\operatorname{tr}(B^\top KB)`:
  :math:`FF^\top = [A - \tfrac\rho2 K^{-1}]_d`;
- non-contrastive, constrained: :math:`\min\operatorname{tr}(F^\top LF) + \rho\operatorname{tr}(B^\top KB)` s.t.
  :math:`\tfrac1N F^\top F = I_d`: :math:`FF^\top = N U_dU_d^\top`, :math:`U_d` the bottom-:math:`d` eigenvectors of
  :math:`L + \rho K^{-1}` (Laplacian eigenmaps for :math:`\rho = 0`);
- non-contrastive, penalised (VICReg-like) :math:`\operatorname{tr}(F^\top LF) + \rho\operatorname{tr}(B^\top KB) +
  \kappa N\lVert \tfrac1N F^\top F - I_d\rVert_F^2`: :math:`FF^\top = N\,[I - (L + \rho K^{-1})/(2\kappa)]_d`.

The induced kernel is :math:`k^\star(x,x') = f(x)^\top f(x') = k_X(x)^\top K^{-1} F^\star F^{\star\top} K^{-1}
k_X(x')`. A singular :math:`K` (fewer features than points) is accepted: :func:`range_factor` solves with the
pseudo-inverse :math:`K^+` on range(K) (chapter 2's rule), and every optimum is taken with :math:`S` compressed to
:math:`\Pi S\Pi`, :math:`\Pi` the projector onto range(K). Below ``G`` dimensions the induced kernel is the
minimum-norm (:math:`\rho\to0^+`) limit, :func:`min_norm_contrastive_target`.
``ridge`` is :math:`\rho`, ``penalty`` :math:`\kappa`, ``alpha`` the initialisation scale. Closed forms
are NumPy/SciPy in float64; gradient descent (:func:`train_kernel_model`) is a step function run by
:func:`kernel_ssl.dynamics.descend` in JAX float64. The graph losses are :mod:`kernel_ssl.losses`'s, the
downstream probes :mod:`kernel_ssl.probes`'s, the base kernels :mod:`kernel_ssl.kernels`'s.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from . import dynamics, kernels, linalg, losses, models, precision
from .augmentation_graph import adjacency_from_groups, check_adjacency, group_labels, group_projector, laplacian
from .linalg import GramFactor
from .probes import _class_codes, _kernel_probe_accuracy, _linear_probe_accuracy
from .validation import (
    as_finite_array,
    check_bool,
    check_choice,
    check_cross_block,
    check_int_labels,
    check_key,
    check_positive_float,
    check_positive_int,
    check_same_columns,
    check_symmetric,
    hashable_cache,
)

LOSSES = ("contrastive", "non_contrastive")
BASE_KERNELS = ("rbf", "ntk")
METRICS = ("kernel", "identity")


# ------------------------------------------------------------------------------------------------- checks
class RangeFactor(NamedTuple):
    r"""Eigendecomposition of a PSD Gram matrix on its range: :math:`K = U_r\operatorname{diag}(w)U_r^\top` with the
    ``r`` eigenvalues above ``linalg.RANK_RTOL`` times the largest (the rule of :func:`kernel_ssl.linalg.psd_sqrt`,
    chapter 2's pseudo-inverse). ``solve`` and ``inverse`` use the pseudo-inverse :math:`K^+`; for an invertible
    :math:`K` (``rank == n``) they are :math:`K^{-1}`."""

    eigenvalues: np.ndarray   # ascending, all > 0, (r,)
    eigenvectors: np.ndarray  # (N, r), orthonormal columns spanning range(K)
    n_points: int

    @property
    def n(self) -> int:
        """The number :math:`N` of training points."""
        return self.n_points

    @property
    def rank(self) -> int:
        """The rank ``r`` of :math:`K`."""
        return int(self.eigenvalues.shape[0])

    @property
    def condition_number(self) -> float:
        r""":math:`\lambda_{\max}/\lambda_{\min}` of :math:`K` on its range."""
        return float(self.eigenvalues[-1] / self.eigenvalues[0])

    def projector(self) -> np.ndarray:
        r""":math:`\Pi`, the orthogonal projector onto the range of :math:`K` (``(N, N)``)."""
        return self.eigenvectors @ self.eigenvectors.T

    def solve(self, rhs) -> np.ndarray:
        r""":math:`K^+\,\mathrm{rhs}` for ``rhs`` of shape ``(N,)`` or ``(N, k)``."""
        return linalg._eigen_solve(self.eigenvalues, self.eigenvectors, self.n, rhs)

    def inverse(self) -> np.ndarray:
        r""":math:`K^+` (symmetric, ``(N, N)``)."""
        return linalg._eigen_inverse(self.eigenvalues, self.eigenvectors)


Factor = GramFactor | RangeFactor


def range_factor(gram) -> RangeFactor:
    r"""Factor a PSD Gram matrix on its range (:class:`RangeFactor`): accepts a singular :math:`K` (fewer features
    than points, e.g. random features with :math:`M<N` or a linear kernel), where every solve is the pseudo-inverse.

    Raises ``ValueError`` naming ``gram`` if it is not symmetric PSD (:func:`kernel_ssl.linalg.psd_sqrt`'s test).
    """
    k = check_symmetric("gram", gram).astype(np.float64)
    w, u = np.linalg.eigh((k + k.T) / 2)
    top = float(w[-1])
    if top <= 0 or w[0] < -linalg.PSD_RTOL * top:
        raise ValueError(f"gram must be positive semi-definite with a positive eigenvalue; its eigenvalues span "
                         f"[{w[0]:.3e}, {top:.3e}]")
    keep = w > linalg.RANK_RTOL * top
    return RangeFactor(w[keep], u[:, keep], k.shape[0])


def _is_factor(factor) -> bool:
    return isinstance(factor, (GramFactor, RangeFactor))


def _check_factor(factor, n: int) -> Factor:
    if not _is_factor(factor):
        raise TypeError(f"factor must be a GramFactor (linalg.factor_gram) or a RangeFactor (range_factor), got "
                        f"{type(factor).__name__}")
    if factor.n != n:
        raise ValueError(f"factor must be for {n} training points (the graph's size), got {factor.n}")
    return factor


def _range_projector(factor) -> np.ndarray | None:
    # Pi for a rank-deficient RangeFactor; None when K is invertible (Pi = I: nothing to compress)
    if isinstance(factor, RangeFactor) and factor.rank < factor.n:
        return factor.projector()
    return None


def _check_sources(kind, views, labels, n_ssl, n_views, n_spare: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    # the arguments every digits experiment shares: the base kernel, the views of all sources (n_sources, n_v, m),
    # their labels, the first n_ssl sources for SSL (n_spare at least left for testing), n_views views of each
    check_choice("kind", kind, BASE_KERNELS)
    v = as_finite_array("views", views, ndim=3).astype(np.float64)
    lab = check_int_labels("labels", labels)
    n_ssl = check_positive_int("n_ssl", n_ssl, minimum=2, maximum=v.shape[0] - n_spare)
    n_views = check_positive_int("n_views", n_views, minimum=2, maximum=v.shape[1])
    return v, lab, n_ssl, n_views


def _ssl_views(kind: str, v: np.ndarray, n_ssl: int, n_views: int) -> tuple[np.ndarray, np.ndarray, float | None]:
    # the stacked SSL views, their group (source) labels and the RBF bandwidth set from them (training views only)
    x = v[:n_ssl, :n_views].reshape(-1, v.shape[2])
    return x, group_labels(n_ssl, n_views), (kernels.median_gamma(x) if kind == "rbf" else None)


def _check_psd(name: str, k: np.ndarray) -> np.ndarray:
    # a Gram matrix: PSD to linalg.PSD_RTOL relative to its largest eigenvalue, which must be positive (a negative
    # definite "Gram matrix" would give a negative step size and a run that ascends); returns the eigenvalues
    w = np.linalg.eigvalsh(k)
    if w[-1] <= 0 or w[0] < -linalg.PSD_RTOL * w[-1]:
        raise ValueError(f"{name} must be positive semi-definite with a positive eigenvalue (a Gram matrix); its "
                         f"eigenvalues span [{w[0]:.3g}, {w[-1]:.3g}]")
    return w


def _check_edges(a: np.ndarray) -> None:
    # a graph without edges defines no positive pairs: the SSL losses are then the regulariser alone
    if not np.any(a - np.diag(np.diag(a)) > 0):
        raise ValueError("adjacency has no edges between distinct points (no positive pairs): the SSL loss is then "
                         "constant in the graph term and its step size unbounded")


def _check_positive_ridge(ridge, why: str) -> float:
    # a ridge that must be > 0 where the function has no rho = 0 meaning of its own: say why 0 is refused
    if not isinstance(ridge, bool) and isinstance(ridge, (int, float, np.integer, np.floating)) and ridge == 0:
        raise ValueError(f"ridge must be a finite number > 0 here, got 0: {why}")
    return check_positive_float("ridge", ridge)


def _check_dims(dims, maximum: int) -> tuple[int, ...]:
    if isinstance(dims, str) or not isinstance(dims, Sequence) or len(dims) == 0:
        raise ValueError(f"dims must be a non-empty sequence of embedding dimensions, got {dims!r}")
    return tuple(check_positive_int(f"dims[{i}]", dd, maximum=maximum) for i, dd in enumerate(dims))


def _check_dim(d, n: int) -> int:
    return check_positive_int("d", d, minimum=1, maximum=n)


def _graph_and_ridge(adjacency, ridge: float, factor) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    # the adjacency, the ridge term rho K^+ (None for rho = 0, where an invertible K need not be given) and Pi
    # (None unless factor is a rank-deficient RangeFactor: then every optimum lives in range(K))
    a = check_adjacency(adjacency)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    if ridge > 0:
        if factor is None:
            raise ValueError("factor (from linalg.factor_gram or range_factor) is required when ridge > 0: the ridge "
                             "term involves K^-1")
        f = _check_factor(factor, a.shape[0])
        return a, ridge * f.inverse(), _range_projector(f)
    if factor is not None:
        return a, None, _range_projector(_check_factor(factor, a.shape[0]))
    return a, None, None


def _compress(s: np.ndarray, proj: np.ndarray | None) -> np.ndarray:
    # Pi S Pi: the problem restricted to range(K) (columns of F = K B lie there)
    return s if proj is None else proj @ s @ proj


def _non_contrastive_args(adjacency, d, ridge: float, factor,
                          centre) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, int, bool]:
    # a centred representation lives in the (N-1)-dimensional complement of the all-ones vector, so d < N there;
    # with a rank-deficient K the columns of F lie in range(K), so d <= rank(K)
    a, rk, proj = _graph_and_ridge(adjacency, ridge, factor)
    centre = check_bool("centre", centre)
    n = a.shape[0] if proj is None else factor.rank
    return a, rk, proj, check_positive_int("d", d, minimum=1, maximum=n - 1 if centre else n), centre


def _check_group_labels(groups, n: int) -> tuple[np.ndarray, int]:
    # integer groups 0..G-1, one per training point; returns them and G
    g = as_finite_array("groups", groups, ndim=1)
    if not np.issubdtype(g.dtype, np.integer) or g.shape[0] != n:
        raise ValueError(f"groups must hold one integer group label per training point ({n}), got dtype {g.dtype} "
                         f"and shape {g.shape}")
    if g.min() < 0 or np.unique(g).size != int(g.max()) + 1:
        raise ValueError("groups must be labelled 0..G-1, every label used")
    return g.astype(np.int64), int(g.max()) + 1


# --------------------------------------------------------------------------------------- spectral closed forms
def contrastive_target(adjacency, d: int, ridge: float = 0.0, factor: Factor | None = None) -> np.ndarray:
    r"""Optimal :math:`FF^\top` of :math:`\lVert FF^\top-A\rVert_F^2+\rho\operatorname{tr}(B^\top KB)`:
    :math:`[A-\tfrac\rho2K^{-1}]_d`, unique iff :func:`kernel_ssl.linalg.top_part_is_unique` of that matrix.

    Args:
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        d: the embedding dimension.
        ridge: :math:`\rho\ge0`.
        factor: the factor of :math:`K` (:func:`kernel_ssl.linalg.factor_gram`), needed when :math:`\rho>0`.

    Returns:
        The optimal :math:`FF^\top` (``(N, N)``).
    """
    a, rk, proj = _graph_and_ridge(adjacency, ridge, factor)
    return _contrastive_target(a, rk, _check_dim(d, a.shape[0]), proj)


def _contrastive_target(a: np.ndarray, rk: np.ndarray | None, d: int, proj: np.ndarray | None = None) -> np.ndarray:
    # [Pi (A - rho/2 K^+) Pi]_d (Pi = I for an invertible K)
    return linalg.top_psd_part(_compress(a if rk is None else a - rk / 2, proj), d)


def contrastive_spectrum(adjacency, ridge: float = 0.0, factor: Factor | None = None,
                         n_top: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Top ``n_top`` eigenpairs (descending) of :math:`S = A - \tfrac\rho2K^{-1}`: for every :math:`d\le`
    ``n_top`` the optimum is :math:`[S]_d = U_{:d}\operatorname{diag}(\mu_{:d})^+U_{:d}^\top` (one decomposition
    serves a whole sweep over ``d``, see :func:`induced_features`).

    Args:
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        ridge: :math:`\rho\ge0`.
        factor: the factor of :math:`K`, needed when :math:`\rho>0`.
        n_top: the number of eigenpairs (default all ``N``).

    Returns:
        ``(values, vectors)``: :math:`\mu_1\ge\dots\ge\mu_{n_{\rm top}}` and the eigenvectors ``(N, n_top)``.
    """
    a, rk, proj = _graph_and_ridge(adjacency, ridge, factor)
    n = a.shape[0]
    n_top = n if n_top is None else check_positive_int("n_top", n_top, maximum=n)
    return _contrastive_spectrum(_compress(a if rk is None else a - rk / 2, proj), n_top)


def _contrastive_spectrum(s: np.ndarray, n_top: int) -> tuple[np.ndarray, np.ndarray]:
    n = s.shape[0]
    w, u = scipy.linalg.eigh(s, subset_by_index=(n - n_top, n - 1))
    return w[::-1], u[:, ::-1]


def induced_features(factor: Factor, values, vectors, cross, d: int) -> np.ndarray:
    r"""Representations :math:`f(x) = B^\top k_X(x)` of evaluation points for the optimum :math:`FF^\top=[S]_d`.

    With :math:`F = U_{:d}\operatorname{diag}(\sqrt{\mu_i^+})_{i\le d}` and :math:`B = K^{-1}F`.

    Args:
        factor: the factor of :math:`K` (:func:`kernel_ssl.linalg.factor_gram`).
        values: the eigenvalues :math:`\mu_1\ge\mu_2\ge\dots` of :math:`S` (from :func:`contrastive_spectrum`).
        vectors: the matching eigenvectors, ``(N, len(values))``.
        cross: the cross-kernel block :math:`k(X_{\rm new}, X)`, ``(n_new, N)``.
        d: the embedding dimension, at most ``len(values)``.

    Returns:
        The representations ``(n_new, d)``, one point per row; the induced kernel between two sets is the product
        of their representations, :math:`k^\star = F_1F_2^\top`.
    """
    w = as_finite_array("values", values, ndim=1)
    u = as_finite_array("vectors", vectors, ndim=2)
    if not _is_factor(factor):
        raise TypeError(f"factor must be a GramFactor (linalg.factor_gram) or a RangeFactor (range_factor), got "
                        f"{type(factor).__name__}")
    if u.shape != (factor.n, w.shape[0]):
        raise ValueError(f"vectors must have shape ({factor.n}, {w.shape[0]}), got {u.shape}")
    d = check_positive_int("d", d, maximum=w.shape[0])
    return _induced_features(factor, w, u, check_cross_block("cross", cross, factor.n), d)


def _induced_features(factor: Factor, w: np.ndarray, u: np.ndarray, cross: np.ndarray, d: int) -> np.ndarray:
    f = u[:, :d] * np.sqrt(np.maximum(w[:d], 0.0))
    return cross @ factor.solve(f)


def _non_contrastive_problem(a: np.ndarray, rk: np.ndarray | None, centre: bool,
                             proj: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    # L + rho K^+ in an orthonormal basis of the allowed directions (range(K), and 1-perp when centred) and that basis
    n = a.shape[0]
    s = laplacian(a) + (0.0 if rk is None else rk)
    allowed = np.eye(n) if proj is None else linalg.descending_eigh(proj)[1][:, :int(round(np.trace(proj)))]
    basis = allowed @ scipy.linalg.null_space(np.ones((1, n)) @ allowed) if centre else allowed
    return basis.T @ s @ basis, basis


def non_contrastive_target(adjacency, d: int, ridge: float = 0.0, factor: Factor | None = None,
                           centre: bool = False) -> np.ndarray:
    r"""Optimal :math:`FF^\top` of :math:`\min\operatorname{tr}(F^\top LF)+\rho\operatorname{tr}(B^\top KB)`
    s.t. :math:`\tfrac1NF^\top F=I_d`: :math:`NU_dU_d^\top`, :math:`U_d` the bottom-``d`` eigenvectors of
    :math:`L+\rho K^{-1}`.

    ``centre=True`` adds the constraint :math:`F^\top\mathbf 1=0` (zero-mean representations): the eigenvectors are
    then taken in :math:`\mathbf 1^\perp`, which excludes the constant vector (``d`` at most ``N - 1``). Unique iff
    the ``d``-th and ``(d+1)``-th smallest eigenvalues differ (see :func:`non_contrastive_is_unique`).

    Args:
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        d: the embedding dimension.
        ridge: :math:`\rho\ge0`.
        factor: the factor of :math:`K`, needed when :math:`\rho>0`.
        centre: restrict to zero-mean representations.

    Returns:
        The optimal :math:`FF^\top` (``(N, N)``).
    """
    a, rk, proj, d, centre = _non_contrastive_args(adjacency, d, ridge, factor, centre)
    return _non_contrastive_target(a, rk, d, centre, proj)


def _non_contrastive_target(a: np.ndarray, rk: np.ndarray | None, d: int, centre: bool,
                            proj: np.ndarray | None = None) -> np.ndarray:
    s, basis = _non_contrastive_problem(a, rk, centre, proj)
    u = basis @ np.linalg.eigh(s)[1][:, :d]
    return a.shape[0] * (u @ u.T)


def non_contrastive_is_unique(adjacency, d: int, ridge: float = 0.0, factor: Factor | None = None,
                              centre: bool = False, rtol: float = 1e-9) -> bool:
    r"""True iff the bottom-``d`` eigenspace of :math:`L+\rho K^{-1}` (in :math:`\mathbf 1^\perp` if ``centre``) is
    unique: :math:`\nu_d<\nu_{d+1}` up to ``rtol`` (times the largest :math:`|\nu_j|`, at least 1).

    Args:
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        d: the embedding dimension.
        ridge: :math:`\rho\ge0`.
        factor: the factor of :math:`K`, needed when :math:`\rho>0`.
        centre: restrict to zero-mean representations (:func:`non_contrastive_target`).
        rtol: the relative tolerance of the eigenvalue comparison.

    Returns:
        Whether the constrained non-contrastive optimum :math:`FF^\top` is unique.
    """
    a, rk, proj, d, centre = _non_contrastive_args(adjacency, d, ridge, factor, centre)
    rtol = check_positive_float("rtol", rtol)
    w = np.linalg.eigvalsh(_non_contrastive_problem(a, rk, centre, proj)[0])
    if d == w.shape[0]:
        return True
    scale = max(float(np.abs(w).max()), 1.0)
    return bool(w[d] - w[d - 1] > rtol * scale)


def penalised_non_contrastive_target(adjacency, d: int, penalty: float, ridge: float = 0.0,
                                     factor: Factor | None = None) -> np.ndarray:
    r"""Optimal :math:`FF^\top` of :math:`\operatorname{tr}(F^\top LF)+\rho\operatorname{tr}(B^\top KB)+\kappa N
    \lVert\tfrac1NF^\top F-I_d\rVert_F^2`: :math:`N\,[I-(L+\rho K^{-1})/(2\kappa)]_d`.

    Args:
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        d: the embedding dimension.
        penalty: :math:`\kappa>0`.
        ridge: :math:`\rho\ge0`.
        factor: the factor of :math:`K`, needed when :math:`\rho>0`.

    Returns:
        The optimal :math:`FF^\top` (``(N, N)``).
    """
    a, rk, proj = _graph_and_ridge(adjacency, ridge, factor)
    penalty = check_positive_float("penalty", penalty)
    n = a.shape[0]
    d = _check_dim(d, n)
    s = laplacian(a) + (0.0 if rk is None else rk)
    return n * linalg.top_psd_part(_compress(np.eye(n) - s / (2 * penalty), proj), d)


def representation_from_target(target, d: int, rtol: float = 1e-8) -> np.ndarray:
    r"""A training representation :math:`F\in\mathbb R^{N\times d}` with :math:`FF^\top` equal to ``target``
    (unique up to :math:`F\mapsto FO`, :math:`O\in O(d)`).

    Args:
        target: a PSD matrix of rank at most ``d`` (``(N, N)``).
        d: the number of columns of :math:`F`.
        rtol: eigenvalues below ``-rtol`` times the largest :math:`|\cdot|` mean "not PSD", and above ``rtol`` times it
            beyond the ``d``-th mean "rank above ``d``" (both raise ``ValueError``).

    Returns:
        :math:`F` (``(N, d)``), the top eigenvectors scaled by the square roots of their eigenvalues.
    """
    m = check_symmetric("target", target).astype(np.float64)
    rtol = check_positive_float("rtol", rtol, maximum=1.0)
    d = _check_dim(d, m.shape[0])
    w, u = linalg.descending_eigh(m)
    scale = max(float(np.abs(w).max()), np.finfo(float).tiny)
    if w[-1] < -rtol * scale:
        raise ValueError("target must be positive semi-definite (it is F F^T)")
    if m.shape[0] > d and w[d] > rtol * scale:
        raise ValueError(f"target has rank above d = {d}; it cannot be F F^T with d columns")
    return u[:, :d] * np.sqrt(np.maximum(w[:d], 0.0))


# ----------------------------------------------------------------------------------------- induced kernel
def coefficients(factor: Factor, representation) -> np.ndarray:
    r"""Representer coefficients :math:`B = K^{-1}F` (``(N, d)``) of a training representation ``F`` (``(N, d)``)."""
    if not _is_factor(factor):
        raise TypeError(f"factor must be a GramFactor (linalg.factor_gram) or a RangeFactor (range_factor), got "
                        f"{type(factor).__name__}")
    return factor.solve(as_finite_array("representation", representation, ndim=2))


def induced_kernel(factor: Factor, target, cross_left, cross_right=None) -> np.ndarray:
    r"""Induced kernel :math:`k^\star(x,x')=k_X(x)^\top K^{-1}F^\star F^{\star\top}K^{-1}k_X(x')` between two sets.

    Args:
        factor: the factor of :math:`K` (:func:`kernel_ssl.linalg.factor_gram`).
        target: the optimum :math:`F^\star F^{\star\top}` (``(N, N)``).
        cross_left: :math:`k(X_1, X)`, ``(n1, N)``, one point per row.
        cross_right: :math:`k(X_2, X)`, ``(n2, N)`` (default ``cross_left``).

    Returns:
        :math:`k^\star(X_1, X_2)`, ``(n1, n2)``. On the training points themselves (``cross_left = K``, no jitter) it
        is ``target``.
    """
    if not _is_factor(factor):
        raise TypeError(f"factor must be a GramFactor (linalg.factor_gram) or a RangeFactor (range_factor), got "
                        f"{type(factor).__name__}")
    m = check_symmetric("target", target)
    if m.shape[0] != factor.n:
        raise ValueError(f"target must be {factor.n} x {factor.n} (one row per training point), got {m.shape}")
    left = check_cross_block("cross_left", cross_left, factor.n)
    right = None if cross_right is None else check_cross_block("cross_right", cross_right, factor.n)
    return _induced_kernel(factor, m, left, right)


def _induced_kernel(factor: Factor, m: np.ndarray, left: np.ndarray, right: np.ndarray | None) -> np.ndarray:
    s_left = factor.solve(left.T)
    s_right = s_left if right is None else factor.solve(right.T)
    return s_left.T @ m @ s_right


def embed(coeffs, cross) -> np.ndarray:
    r"""Representations :math:`f(x)=B^\top k_X(x)` of evaluation points: :math:`k(X_{\rm new},X)B`, ``(n_new, d)``
    from ``cross`` ``(n_new, N)`` and ``coeffs`` :math:`B` ``(N, d)``."""
    b = as_finite_array("coeffs", coeffs, ndim=2)
    return check_cross_block("cross", cross, b.shape[0]) @ b


# ---------------------------------------------------------------------------------- gradient descent (JAX)
def _contrastive(f: jnp.ndarray, graph: jnp.ndarray, penalty) -> jnp.ndarray:
    return losses.graph_contrastive(f, graph)


def _non_contrastive(f: jnp.ndarray, graph: jnp.ndarray, penalty) -> jnp.ndarray:
    return losses.graph_penalised_non_contrastive(f, graph, penalty)


# one signature for both: (F, graph, penalty) with graph = A (contrastive) or L (non-contrastive, penalised)
_GRAPH_LOSSES = {"contrastive": _contrastive, "non_contrastive": _non_contrastive}


@hashable_cache
def kernel_metric_step(loss: str):
    r"""The kernel model's step, :math:`B\leftarrow B-\eta\big(\nabla_F\ell(KB)+2\rho B\big)`: gradient descent on
    :math:`W` in feature space written on :math:`B` (:math:`W=B^\top\Phi`), so :math:`K` is never inverted.
    ``step(B, lr, K, K_inv, graph, ridge, penalty)`` (``K_inv`` unused); one cached object per loss."""
    grad = jax.grad(_GRAPH_LOSSES[check_choice("loss", loss, LOSSES)])

    def step(b, lr, gram, gram_inv, graph, ridge, penalty):
        return b - lr * (grad(gram @ b, graph, penalty) + 2 * ridge * b)
    return step


@hashable_cache
def identity_metric_step(loss: str):
    r"""Gradient descent on the training outputs themselves, :math:`F\leftarrow F-\eta\big(\nabla_F\ell(F)+2\rho
    K^{-1}F\big)` (the ridge is :math:`\rho\operatorname{tr}(F^\top K^{-1}F)`), carried back to :math:`B=K^{-1}F`.
    ``step(B, lr, K, K_inv, graph, ridge, penalty)``; one cached object per loss."""
    grad = jax.grad(_GRAPH_LOSSES[check_choice("loss", loss, LOSSES)])

    def step(b, lr, gram, gram_inv, graph, ridge, penalty):
        f = gram @ b
        return gram_inv @ (f - lr * (grad(f, graph, penalty) + 2 * ridge * gram_inv @ f))
    return step


@hashable_cache
def loss_and_coefficients(loss: str):
    """``observe(B, K, K_inv, graph, ridge, penalty) = (loss of F = KB without the ridge term, B)``."""
    fn = _GRAPH_LOSSES[check_choice("loss", loss, LOSSES)]

    def observe(b, gram, gram_inv, graph, ridge, penalty):
        return fn(gram @ b, graph, penalty), b
    return observe


@dataclass(frozen=True)
class KernelModelRun:
    """A run of :func:`train_kernel_model`: the final coefficients ``coeffs`` :math:`B` (``(N, d)``) and training
    representation ``representation`` :math:`F = KB`; at the recorded ``steps`` (step 0 and the last included),
    the ``losses`` (without the ridge term), the coefficients ``history`` (``(R, N, d)``) and the times
    ``t = lr * steps``."""
    coeffs: np.ndarray
    representation: np.ndarray
    losses: np.ndarray
    history: np.ndarray
    t: np.ndarray
    steps: np.ndarray


def stable_learning_rate(gram, adjacency, loss: str = "contrastive", penalty: float = 1.0,
                         ridge: float = 0.0, metric: str = "kernel") -> float:
    r"""Half the stability limit of gradient descent near the optimum.

    The loss's Hessian in :math:`F` is at most :math:`h = 8\lambda_{\max}(A)^+ + 4\max(|\lambda_{\min}(A)|,
    \lambda_{\max}(A))` (contrastive) or :math:`h = 2\nu_{\max} + 12\kappa` (penalised non-contrastive) there;
    with the kernel metric a step multiplies it by at most :math:`\lambda_{\max}(K)`, and the ridge adds
    :math:`2\rho`. Gradient descent is stable for :math:`\eta h_{\rm eff} < 2`; this returns :math:`1/h_{\rm eff}`.

    Args:
        gram: the Gram matrix :math:`K` (``(N, N)``).
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        loss: ``"contrastive"`` or ``"non_contrastive"`` (penalised).
        penalty: :math:`\kappa>0`.
        ridge: :math:`\rho\ge0`.
        metric: ``"kernel"`` or ``"identity"`` (see :func:`train_kernel_model`).

    Returns:
        The step size :math:`\eta = 1/h_{\rm eff}`.
    """
    k = check_symmetric("gram", gram).astype(np.float64)
    a = check_adjacency(adjacency, k.shape[0])
    _check_psd("gram", k)
    _check_edges(a)
    check_choice("loss", loss, LOSSES)
    check_choice("metric", metric, METRICS)
    penalty = check_positive_float("penalty", penalty)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    return _stable_learning_rate(k, a, loss, penalty, ridge, metric)


def _stable_learning_rate(k: np.ndarray, a: np.ndarray, loss: str, penalty: float, ridge: float,
                          metric: str) -> float:
    if loss == "contrastive":
        wa = np.linalg.eigvalsh(a)
        h = 8 * max(wa[-1], 0.0) + 4 * max(abs(wa[0]), wa[-1])
    else:
        h = 2 * np.linalg.eigvalsh(laplacian(a))[-1] + 12 * penalty
    scale = np.linalg.eigvalsh(k)[-1] if metric == "kernel" else 1.0
    return float(1.0 / (h * scale + 2 * ridge))


def train_kernel_model(key: jax.Array, gram, adjacency, d: int, loss: str = "contrastive", steps: int = 20000,
                       lr: float | None = None, alpha: float = 1e-6, ridge: float = 0.0, penalty: float = 1.0,
                       metric: str = "kernel", factor: Factor | None = None, n_log: int = 200) -> KernelModelRun:
    r"""Full-batch gradient descent on the kernel model :math:`f(x)=B^\top k_X(x)` from :math:`B_0` with entries
    :math:`\mathcal N(0,\alpha^2/N)` (so that :math:`F_0=KB_0` has entries of order :math:`\alpha`).

    ``metric="kernel"`` runs :func:`kernel_metric_step` (exactly what an infinitely wide network in the kernel
    regime does), ``metric="identity"`` runs :func:`identity_metric_step` (needs ``factor``). The non-contrastive
    loss is the penalised form. Needs float64 (:func:`kernel_ssl.precision.enable_float64`).

    Args:
        key: the PRNG key of :math:`B_0`.
        gram: the Gram matrix :math:`K` of the training points (``(N, N)``).
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        d: the embedding dimension.
        loss: ``"contrastive"`` or ``"non_contrastive"``.
        steps: the number of steps.
        lr: the step size :math:`\eta`; ``None`` takes :func:`stable_learning_rate`.
        alpha: the initialisation scale :math:`\alpha`.
        ridge: :math:`\rho\ge0`.
        penalty: :math:`\kappa>0` (non-contrastive loss).
        metric: ``"kernel"`` or ``"identity"``.
        factor: the factor of :math:`K` (:func:`kernel_ssl.linalg.factor_gram`), required for the identity metric.
        n_log: about this many recorded steps, log-spaced (:func:`kernel_ssl.dynamics.record_steps`).

    Returns:
        A :class:`KernelModelRun`. Raises ``FloatingPointError`` if the run diverges.
    """
    key = check_key("key", key)
    k = check_symmetric("gram", gram).astype(np.float64)
    n = k.shape[0]
    a = check_adjacency(adjacency, n)
    _check_psd("gram", k)
    _check_edges(a)
    d = _check_dim(d, n)
    check_choice("loss", loss, LOSSES)
    check_choice("metric", metric, METRICS)
    record_at = dynamics.record_steps(steps, n_log=n_log)
    alpha = check_positive_float("alpha", alpha)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    penalty = check_positive_float("penalty", penalty)
    lr = _stable_learning_rate(k, a, loss, penalty, ridge, metric) if lr is None else check_positive_float("lr", lr)
    if metric == "identity":
        if factor is None:
            raise ValueError("factor (from linalg.factor_gram) is required for metric='identity'")
        gram_inv = _check_factor(factor, n).inverse()
    else:
        gram_inv = np.zeros((1, 1))
    precision.require_float64("induced_kernel.train_kernel_model")
    return _train_kernel_model(key, k, a, d, loss, record_at, lr, alpha, ridge, penalty, metric, gram_inv)


def _train_kernel_model(key: jax.Array, k: np.ndarray, a: np.ndarray, d: int, loss: str, record_at: np.ndarray,
                        lr: float, alpha: float, ridge: float, penalty: float, metric: str,
                        gram_inv: np.ndarray) -> KernelModelRun:
    n = k.shape[0]
    b0 = alpha * precision.normal(key, (n, d)) / np.sqrt(n)
    step = (kernel_metric_step if metric == "kernel" else identity_metric_step)(loss)
    graph = a if loss == "contrastive" else laplacian(a)
    args = (jnp.asarray(k), jnp.asarray(gram_inv), jnp.asarray(graph), ridge, penalty)
    run = dynamics.descend(step, b0, lr, int(record_at[-1]), args=args, observe=loss_and_coefficients(loss),
                           record_at=record_at)
    trace, history = run.records
    return KernelModelRun(coeffs=run.final, representation=k @ run.final, losses=trace, history=history,
                          t=run.t, steps=run.steps)


# ----------------------------------------------------------------------------------- measurements
def block_ratio(kernel, groups) -> float:
    r"""Block structure of a Gram matrix ordered by group: :math:`\overline{|\tilde k|}_{\rm within}/
    \overline{|\tilde k|}_{\rm between}`.

    :math:`\tilde k` is the cosine-normalised kernel (:func:`kernel_ssl.kernels.normalised_kernel`, so
    :math:`|\tilde k|\le1`), the first mean runs over pairs :math:`a\ne b` of the same group, the second over pairs
    of different groups. Absolute values keep negative similarities from cancelling; 1 means no block structure.
    Returns ``inf`` when the between-group mean is zero to round-off (a perfectly block-diagonal kernel).
    """
    kn = kernels.normalised_kernel(kernel)
    g = check_int_labels("groups", groups)
    if g.shape[0] != kn.shape[0]:
        raise ValueError(f"groups must have one label per row of kernel ({kn.shape[0]}), got {g.shape[0]}")
    same = g[:, None] == g[None, :]
    if not (same & ~np.eye(len(g), dtype=bool)).any() or same.all():
        raise ValueError("groups must contain at least one group with two points and at least two groups")
    return _block_ratio(kn, g)


def _block_ratio(kn: np.ndarray, g: np.ndarray) -> float:
    # kn: a cosine-normalised kernel; g: one group per row (at least one pair within and one between groups)
    kn = np.abs(kn)
    same = g[:, None] == g[None, :]
    within = same & ~np.eye(len(g), dtype=bool)
    w, b = float(kn[within].mean()), float(kn[~same].mean())
    if b <= 1e-14 * w:
        return float("inf")
    return w / b


# ------------------------------------------------------------------------------------------ base kernels
def base_gram(kind: str, x1, x2, gamma: float | None = None) -> np.ndarray:
    r"""Base kernel between two point sets (one point per row) in float64.

    ``"rbf"`` (:func:`kernel_ssl.kernels.rbf_gram`) or ``"ntk"``, the infinite-width NTK of the two-layer ReLU net
    without bias (:func:`kernel_ssl.kernels.closed_form_ntk`: no TensorFlow). Both have unit diagonal on the digits
    views, which lie on the sphere :math:`\lVert x\rVert^2=m` (for the NTK: :math:`\tfrac12+\tfrac12`), so ridge values
    are comparable between them.

    Args:
        kind: one of :data:`BASE_KERNELS`.
        x1: the first points, ``(n1, m)``.
        x2: the second points, ``(n2, m)``.
        gamma: the RBF width :math:`\gamma` (required for ``"rbf"``, e.g. :func:`kernel_ssl.kernels.median_gamma`).

    Returns:
        :math:`k(X_1, X_2)`, ``(n1, n2)``.
    """
    check_choice("kind", kind, BASE_KERNELS)
    x1, x2 = check_same_columns("x1", x1, "x2", x2)
    if kind == "rbf":
        if gamma is None:
            raise ValueError("gamma is required for kind='rbf' (e.g. kernels.median_gamma(x_train))")
        return kernels.rbf_gram(x1, x2, gamma)
    return np.asarray(kernels.closed_form_ntk(np.asarray(x1, dtype=np.float64), np.asarray(x2, dtype=np.float64),
                                              "relu"), dtype=np.float64)


def induced_gram(gram, train, adjacency, d: int, loss: str = "contrastive", ridge: float = 0.0,
                 jitter: float = 0.0) -> np.ndarray:
    r"""Induced kernel among all points of a joint Gram matrix whose rows ``train`` are the training points.

    :math:`k^\star = K_{\cdot T}K_{TT}^{-1}F^\star F^{\star\top}K_{TT}^{-1}K_{T\cdot}` with :math:`F^\star
    F^{\star\top}` the optimum of ``loss`` (``"non_contrastive"``: the constrained form).

    Args:
        gram: the joint Gram matrix of all points (``(n_all, n_all)``).
        train: the row indices of the training points (distinct), in the order of ``adjacency``.
        adjacency: the augmentation graph of the training points.
        d: the embedding dimension.
        loss: ``"contrastive"`` or ``"non_contrastive"``.
        ridge: :math:`\rho\ge0`.
        jitter: :math:`\epsilon\ge0` added to :math:`K_{TT}` (:func:`kernel_ssl.linalg.factor_gram`).

    Returns:
        The induced kernel among all points, ``(n_all, n_all)``.
    """
    k = check_symmetric("gram", gram).astype(np.float64)
    idx = np.asarray(train)
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"train must hold integer row indices, got dtype {idx.dtype}")
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or idx.size == 0:
        raise ValueError("train must be a non-empty 1-D array of row indices")
    if idx.min() < 0 or idx.max() >= k.shape[0] or np.unique(idx).size != idx.size:
        raise ValueError(f"train must hold distinct row indices in [0, {k.shape[0]})")
    check_choice("loss", loss, LOSSES)
    a = check_adjacency(adjacency, idx.size)
    d = _check_dim(d, idx.size)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    jitter = check_positive_float("jitter", jitter, allow_zero=True)
    return _induced_gram(k, idx, a, d, loss, ridge, jitter)


def _induced_gram(k: np.ndarray, idx: np.ndarray, a: np.ndarray, d: int, loss: str, ridge: float,
                  jitter: float) -> np.ndarray:
    k_tt = k[np.ix_(idx, idx)]
    factor = linalg.factor_gram(k_tt, jitter=jitter) if jitter > 0 else range_factor(k_tt)
    rk = ridge * factor.inverse() if ridge > 0 else None
    proj = _range_projector(factor)
    if loss == "contrastive":
        m = _contrastive_target(a, rk, d, proj)
    else:
        m = _non_contrastive_target(a, rk, d, False, proj)
    return _induced_kernel(factor, m, k[:, idx], None)


# ------------------------------------------------------------------------------------ chapter experiments
@dataclass(frozen=True)
class DescentToClosedForm:
    """Experiment 1: relative Frobenius ``error`` (``(R,)``) between the induced kernel learned by gradient descent
    and its closed form on evaluation points, at the recorded times ``t``; ``final_error`` its last value."""
    t: np.ndarray
    error: np.ndarray
    final_error: float


def descent_to_closed_form(key: jax.Array, gram, cross, adjacency, target, d: int, loss: str = "contrastive",
                           steps: int = 20000, alpha: float = 1e-6, ridge: float = 0.0,
                           penalty: float = 1.0) -> DescentToClosedForm:
    r"""Train the kernel model (:func:`train_kernel_model`, kernel metric, stable step size) and compare the learned
    induced kernel :math:`k(X_{\rm new},X)BB^\top k(X,X_{\rm new})` along the run with the closed form
    :math:`k^\star` of ``target`` (:func:`induced_kernel`) on the evaluation points.

    Args:
        key: the PRNG key of :math:`B_0`.
        gram: the Gram matrix :math:`K` of the training points (``(N, N)``, invertible).
        cross: :math:`k(X_{\rm new}, X)` (``(n_new, N)``).
        adjacency: the augmentation graph :math:`A`.
        target: the closed-form optimum :math:`F^\star F^{\star\top}` compared with.
        d: the embedding dimension.
        loss: ``"contrastive"`` or ``"non_contrastive"`` (penalised).
        steps: the number of steps.
        alpha: the initialisation scale.
        ridge: :math:`\rho\ge0`.
        penalty: :math:`\kappa>0`.

    Returns:
        A :class:`DescentToClosedForm`.
    """
    key = check_key("key", key)
    k = check_symmetric("gram", gram).astype(np.float64)
    n = k.shape[0]
    a = check_adjacency(adjacency, n)
    m = check_symmetric("target", target)
    if m.shape[0] != n:
        raise ValueError(f"target must be {n} x {n} (one row per training point), got {m.shape}")
    cross = check_cross_block("cross", cross, n)
    d = _check_dim(d, n)
    check_choice("loss", loss, LOSSES)
    record_at = dynamics.record_steps(steps, n_log=200)
    alpha = check_positive_float("alpha", alpha)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    penalty = check_positive_float("penalty", penalty)
    precision.require_float64("induced_kernel.descent_to_closed_form")
    factor = range_factor(k)
    reference = _induced_kernel(factor, m, cross, None)
    lr = _stable_learning_rate(k, a, loss, penalty, ridge, "kernel")
    run = _train_kernel_model(key, k, a, d, loss, record_at, lr, alpha, ridge, penalty, "kernel", np.zeros((1, 1)))
    learned = cross @ run.history          # f(x) = B^T k_X(x) along the run
    gram_new = learned @ np.swapaxes(learned, 1, 2)
    error = np.linalg.norm(gram_new - reference, axis=(1, 2)) / np.linalg.norm(reference)
    return DescentToClosedForm(t=run.t, error=error, final_error=float(error[-1]))


@dataclass(frozen=True)
class ViewPanel:
    """Views of ``n_sources`` source images for the heatmaps, stored image-major: of the ``n_train + n_fresh``
    views of each source, the first ``n_train`` may be used for training and the last ``n_fresh`` are held out.
    ``grams[kind]`` is the base kernel among all views (one RBF width for all), ``labels`` the digit of each
    source."""
    grams: Mapping[str, np.ndarray]
    labels: np.ndarray
    n_sources: int
    n_train: int
    n_fresh: int

    def train_rows(self, n_views: int) -> np.ndarray:
        """Rows of the first ``n_views`` views of every source."""
        per = self.n_train + self.n_fresh
        return np.array([i * per + j for i in range(self.n_sources) for j in range(n_views)])

    def fresh_rows(self) -> np.ndarray:
        """Rows of the held-out views of every source."""
        per = self.n_train + self.n_fresh
        return np.array([i * per + self.n_train + j for i in range(self.n_sources) for j in range(self.n_fresh)])

    @property
    def fresh_groups(self) -> np.ndarray:
        """Source index of every held-out view (in the order of :meth:`fresh_rows`)."""
        return group_labels(self.n_sources, self.n_fresh)


def view_panel(views, labels, n_fresh: int) -> ViewPanel:
    r"""A :class:`ViewPanel` with both base kernels (:data:`BASE_KERNELS`) among all views; the RBF width is
    :func:`kernel_ssl.kernels.median_gamma` of the training views (the first ``n_train`` of each source; the
    held-out views play no part in it, as everywhere else in the chapter).

    Args:
        views: the views, ``(n_sources, n_train + n_fresh, m)``.
        labels: the class label of every source.
        n_fresh: the number of held-out views per source (the last ones).

    Returns:
        A :class:`ViewPanel`.
    """
    v = as_finite_array("views", views, ndim=3).astype(np.float64)
    lab = check_int_labels("labels", labels)
    n_fresh = check_positive_int("n_fresh", n_fresh, maximum=v.shape[1] - 1)
    if lab.shape[0] != v.shape[0]:
        raise ValueError(f"labels must hold one label per source ({v.shape[0]}), got {lab.shape[0]}")
    x = v.reshape(-1, v.shape[2])
    gamma = kernels.median_gamma(v[:, :v.shape[1] - n_fresh].reshape(-1, v.shape[2]))   # training views only
    grams = {kind: base_gram(kind, x, x, gamma) for kind in BASE_KERNELS}
    return ViewPanel(grams=grams, labels=lab, n_sources=v.shape[0], n_train=v.shape[1] - n_fresh, n_fresh=n_fresh)


@dataclass(frozen=True)
class HeldOutKernels:
    """Experiment 2 at one setting: the cosine-normalised ``base`` and ``induced`` kernels on the held-out views
    (ordered by source), their block ratios (:func:`block_ratio`), and ``train_between_max``, the largest
    :math:`|k^\\star|` between training views of different sources."""
    base: np.ndarray
    induced: np.ndarray
    block_ratio_base: float
    block_ratio_induced: float
    train_between_max: float


def held_out_kernels(panel: ViewPanel, kind: str, n_views: int, d: int, ridge: float = 0.0) -> HeldOutKernels:
    r"""Train (closed form, contrastive) on the first ``n_views`` views of each source of ``panel`` and compare
    the base and induced kernels on the held-out views.

    Args:
        panel: a :class:`ViewPanel`.
        kind: the base kernel, one of :data:`BASE_KERNELS`.
        n_views: training views per source, at most ``panel.n_train``.
        d: the embedding dimension.
        ridge: :math:`\rho\ge0`.

    Returns:
        A :class:`HeldOutKernels`.
    """
    if not isinstance(panel, ViewPanel):
        raise TypeError(f"panel must be a ViewPanel from view_panel(), got {type(panel).__name__}")
    check_choice("kind", kind, BASE_KERNELS)
    n_views = check_positive_int("n_views", n_views, minimum=2, maximum=panel.n_train)
    gram = panel.grams[kind]
    train = panel.train_rows(n_views)
    groups = group_labels(panel.n_sources, n_views)
    d = _check_dim(d, train.size)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    induced = _induced_gram(gram, train, adjacency_from_groups(groups), d, "contrastive", ridge, 0.0)
    fresh = np.ix_(panel.fresh_rows(), panel.fresh_rows())
    base_n, induced_n = kernels.normalised_kernel(gram[fresh]), kernels.normalised_kernel(induced[fresh])
    on_train = induced[np.ix_(train, train)]
    return HeldOutKernels(base=base_n, induced=induced_n,
                          block_ratio_base=_block_ratio(base_n, panel.fresh_groups),
                          block_ratio_induced=_block_ratio(induced_n, panel.fresh_groups),
                          train_between_max=float(np.abs(on_train[groups[:, None] != groups[None, :]]).max()))


@dataclass(frozen=True)
class ProbeSweep:
    """Experiment 3 on one SSL training set: test accuracies of the ``base``-kernel probe, of the linear probe on
    the ridge-regularised induced representation for each embedding dimension in ``dims`` (``induced``), on the
    unregularised one at :math:`d=G` (``unregularised``), and of its derived prediction, ridgeless base-kernel
    regression on zero-filled labels (``zero_filled``)."""
    dims: tuple[int, ...]
    base: float
    induced: np.ndarray
    unregularised: float
    zero_filled: float

    def induced_at(self, d: int) -> float:
        """The induced probe's accuracy at embedding dimension ``d`` (one of ``dims``)."""
        return float(self.induced[self.dims.index(d)])

    @property
    def best_induced(self) -> float:
        return float(self.induced.max())

    @property
    def best_dim(self) -> int:
        return int(self.dims[int(np.argmax(self.induced))])


def probe_sweep(gram, cross_test, groups, labels, labels_test, n_labelled: int, dims: Sequence[int],
                ridge: float, probe_ridge: float) -> ProbeSweep:
    r"""Downstream probes on one SSL training set (views of ``G`` sources, groups ``0..G-1``).

    The probes are fitted on the views of the first ``n_labelled`` sources and tested on the test points. Probe
    ridges are ``probe_ridge`` times the mean squared norm of the probe's training features (the mean diagonal of
    its Gram matrix). The induced representations are those of :math:`[A-\tfrac\rho2K^{-1}]_d`.

    Args:
        gram: the base Gram matrix :math:`K` of the SSL training views (``(N, N)``, invertible).
        cross_test: :math:`k(X_{\rm test}, X)` (``(n_test, N)``).
        groups: the source of every training view (``(N,)``, integers ``0..G-1``).
        labels: the class label of every training view.
        labels_test: the class label of every test point.
        n_labelled: the number of labelled sources (the first ones).
        dims: the embedding dimensions of the ridge-regularised probe, each at most ``G``.
        ridge: the SSL ridge :math:`\rho\ge0`.
        probe_ridge: the probes' relative ridge :math:`\rho_{\rm p}>0`.

    Returns:
        A :class:`ProbeSweep`.
    """
    k = check_symmetric("gram", gram).astype(np.float64)
    g, n_groups = _check_group_labels(groups, k.shape[0])
    y = check_int_labels("labels", labels)
    yte = check_int_labels("labels_test", labels_test)
    cross = as_finite_array("cross_test", cross_test, ndim=2).astype(np.float64)
    if y.shape[0] != k.shape[0] or cross.shape != (yte.shape[0], k.shape[0]):
        raise ValueError(f"labels ({k.shape[0]} entries) and cross_test (n_test, {k.shape[0]}) must match gram; got "
                         f"{y.shape} and {cross.shape}")
    n_labelled = check_positive_int("n_labelled", n_labelled, maximum=n_groups)
    dims = _check_dims(dims, n_groups)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    probe_ridge = check_positive_float("probe_ridge", probe_ridge)
    return _probe_sweep(k, cross, g, n_groups, y, yte, n_labelled, dims, ridge, probe_ridge)


def _probe_sweep(k: np.ndarray, cross: np.ndarray, g: np.ndarray, n_groups: int, y: np.ndarray, yte: np.ndarray,
                 n_labelled: int, dims: tuple[int, ...], ridge: float, probe_ridge: float) -> ProbeSweep:
    lab = g < n_labelled
    factor = range_factor(k)
    a = adjacency_from_groups(g)
    k_lab = k[np.ix_(lab, lab)]
    base = _kernel_probe_accuracy(linalg.factor_gram(k_lab, jitter=probe_ridge * float(np.mean(np.diag(k_lab)))),
                                  cross[:, lab], y[lab], yte)

    def probe(values, vectors, d):
        ftr = _induced_features(factor, values, vectors, k[lab], d)
        fte = _induced_features(factor, values, vectors, cross, d)
        return _linear_probe_accuracy(ftr, fte, y[lab], yte, probe_ridge * float(np.mean(np.sum(ftr ** 2, axis=1))))

    s = a if ridge == 0 else a - ridge / 2 * factor.inverse()
    values, vectors = _contrastive_spectrum(s, max(dims))
    induced = np.array([probe(values, vectors, dd) for dd in dims])
    values, vectors = _contrastive_spectrum(a, n_groups)
    unregularised = probe(values, vectors, n_groups)
    classes, codes = _class_codes(y[lab])
    filled = np.zeros((k.shape[0], len(classes)))
    filled[lab] = codes
    zero_filled = float(np.mean(classes[np.argmax(cross @ factor.solve(filled), axis=1)] == yte))
    return ProbeSweep(dims=dims, base=base, induced=induced, unregularised=unregularised, zero_filled=zero_filled)


def probe_experiment(kind: str, views, labels, n_ssl: int, n_views: int, n_labelled: int, dims: Sequence[int],
                     ridge: float, probe_ridge: float) -> ProbeSweep:
    r""":func:`probe_sweep` with base kernel ``kind`` on the first ``n_views`` views of the first ``n_ssl`` sources
    of ``views`` (``(n_sources, n_v, m)``), tested on view 0 of each remaining source.

    Args:
        kind: the base kernel, one of :data:`BASE_KERNELS` (the RBF width is the median heuristic of the SSL views).
        views: the views of all sources, ``(n_sources, n_v, m)``.
        labels: the class label of every source.
        n_ssl: the number of SSL sources (the first ones); the others are the test points.
        n_views: the views per SSL source used.
        n_labelled: the number of labelled SSL sources.
        dims: the embedding dimensions of the ridge-regularised probe.
        ridge: the SSL ridge :math:`\rho\ge0`.
        probe_ridge: the probes' relative ridge :math:`\rho_{\rm p}>0`.

    Returns:
        A :class:`ProbeSweep`.
    """
    v, lab, n_ssl, n_views = _check_sources(kind, views, labels, n_ssl, n_views, n_spare=1)
    x, groups, gamma = _ssl_views(kind, v, n_ssl, n_views)
    x_test = v[n_ssl:, 0]
    n_labelled = check_positive_int("n_labelled", n_labelled, maximum=n_ssl)
    dims = _check_dims(dims, n_ssl)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    probe_ridge = check_positive_float("probe_ridge", probe_ridge)
    return _probe_sweep(base_gram(kind, x, x, gamma), base_gram(kind, x_test, x, gamma), groups, n_ssl, lab[groups],
                        lab[n_ssl:], n_labelled, dims, ridge, probe_ridge)


@dataclass(frozen=True)
class DegenerateCase:
    r"""Experiment 4, the contrastive loss at :math:`d<G` from several seeds: ``min_loss`` the lemma's minimum,
    ``loss_gap`` the largest relative gap to it at the end of the unregularised runs, ``in_group_space`` the
    smallest fraction :math:`\operatorname{tr}(P_GP)/d` of a learned subspace in the span of the group indicators;
    the mean (``distance_kernel``, ``distance_identity``) and largest (``distance_kernel_max``,
    ``distance_ridge``) subspace distances between seeds for the kernel metric, the identity metric and the
    kernel metric with a ridge; ``ridge_gap`` :math:`\mu_d-\mu_{d+1}` of :math:`A-\tfrac\rho2K^{-1}`,
    ``ridge_error`` the largest relative error of the ridge runs' :math:`FF^\top`; ``loss_curves`` the loss against
    time of every unregularised run. The minimum-norm optimum (:func:`min_norm_contrastive_target`): its RKHS norm
    ``rkhs_norm_min`` and restricted eigengap ``min_norm_gap``; ``rkhs_norm_kernel`` the RKHS norms
    :math:`\operatorname{tr}(F^\top K^{-1}F)` reached by the unregularised kernel-metric runs, and
    ``distance_to_min_norm`` their mean subspace distance to the minimum-norm optimum."""
    min_loss: float
    loss_gap: float
    in_group_space: float
    distance_kernel: float
    distance_kernel_max: float
    distance_identity: float
    distance_ridge: float
    ridge_gap: float
    ridge_error: float
    loss_curves: Mapping[str, tuple[np.ndarray, np.ndarray]]
    rkhs_norm_min: float
    min_norm_gap: float
    rkhs_norm_kernel: tuple[float, ...]
    distance_to_min_norm: float


def degenerate_experiment(key: jax.Array, gram, groups, d: int, n_seeds: int, steps: int, alpha: float = 1e-6,
                          ridge: float = 0.1) -> DegenerateCase:
    r"""Contrastive gradient descent at :math:`d<G` from ``n_seeds`` initialisations, with the kernel metric and the
    identity metric at :math:`\rho=0` and with the kernel metric at :math:`\rho=` ``ridge``; the learned subspaces
    (column spaces of :math:`F`) are compared by :func:`kernel_ssl.linalg.subspace_distance`.

    Args:
        key: the PRNG key; seed ``s`` uses ``fold_in(key, s)``.
        gram: the Gram matrix :math:`K` of the training views (``(N, N)``, invertible).
        groups: the source of every training view (integers ``0..G-1``).
        d: the embedding dimension, below :math:`G`.
        n_seeds: the number of initialisations, at least 2.
        steps: the number of steps of every run.
        alpha: the initialisation scale.
        ridge: :math:`\rho>0` of the regularised runs.

    Returns:
        A :class:`DegenerateCase`.
    """
    key = check_key("key", key)
    k = check_symmetric("gram", gram).astype(np.float64)
    g, n_groups = _check_group_labels(groups, k.shape[0])
    d = check_positive_int("d", d, maximum=n_groups - 1)
    n_seeds = check_positive_int("n_seeds", n_seeds, minimum=2)
    ridge = _check_positive_ridge(ridge, "it is the ridge of the regularised runs; the rho = 0 runs (identity "
                                         "metric) are made in any case")
    factor = range_factor(k)
    a = adjacency_from_groups(g)
    p_g = group_projector(g)
    min_loss = float(np.sum((_contrastive_target(a, None, d) - a) ** 2))    # eq. (nearest-psd)
    record_at = dynamics.record_steps(steps, n_log=200)
    alpha = check_positive_float("alpha", alpha)
    precision.require_float64("induced_kernel.degenerate_experiment")
    gram_inv = factor.inverse()
    runs = {(metric, lam): [_train_kernel_model(jax.random.fold_in(key, s), k, a, d, "contrastive", record_at,
                                                _stable_learning_rate(k, a, "contrastive", 1.0, lam, metric), alpha,
                                                lam, 1.0, metric, gram_inv) for s in range(n_seeds)]
            for metric, lam in (("kernel", 0.0), ("identity", 0.0), ("kernel", ridge))}

    def distances(setting):
        return [float(linalg.subspace_distance(p.representation, q.representation))
                for p, q in itertools.combinations(runs[setting], 2)]

    unregularised = runs["kernel", 0.0] + runs["identity", 0.0]
    spectrum = linalg.descending_eigh(a - ridge / 2 * gram_inv)[0]
    ridge_target = _contrastive_target(a, ridge * gram_inv, d)
    limit = _min_norm_contrastive_target(a, d, gram_inv, 1e-9)
    limit_basis = linalg.descending_eigh(limit.target)[1][:, :d]
    return DegenerateCase(
        rkhs_norm_min=limit.norm, min_norm_gap=limit.eigengap,
        rkhs_norm_kernel=tuple(float(np.sum(r.coeffs * (k @ r.coeffs))) for r in runs["kernel", 0.0]),
        distance_to_min_norm=float(np.mean([linalg.subspace_distance(r.representation, limit_basis)
                                            for r in runs["kernel", 0.0]])),
        min_loss=min_loss,
        loss_gap=max(abs(float(r.losses[-1]) - min_loss) / min_loss for r in unregularised),
        in_group_space=min(float(np.trace(p_g @ linalg.projector(r.representation))) / d for r in unregularised),
        distance_kernel=float(np.mean(distances(("kernel", 0.0)))),
        distance_kernel_max=float(np.max(distances(("kernel", 0.0)))),
        distance_identity=float(np.mean(distances(("identity", 0.0)))),
        distance_ridge=float(np.max(distances(("kernel", ridge)))),
        ridge_gap=float(spectrum[d - 1] - spectrum[d]),
        ridge_error=max(linalg.relative_frobenius_error(r.representation @ r.representation.T, ridge_target)
                        for r in runs["kernel", ridge]),
        loss_curves={f"{metric} metric, seed {s}": (r.t[1:], r.losses[1:])
                     for metric in ("kernel", "identity") for s, r in enumerate(runs[metric, 0.0])})


# ------------------------------------------------------------------------ the minimum-norm limit (d < G)
@dataclass(frozen=True)
class MinNormTarget:
    r"""The :math:`\rho\to0^+` limit of the ridge optimum, :func:`min_norm_contrastive_target`: ``target`` the
    minimum-RKHS-norm optimal :math:`FF^\top`, ``norm`` its RKHS norm :math:`\langle K^+, FF^\top\rangle =
    \operatorname{tr}(F^\top K^+F)`, ``eigengap`` :math:`\omega_{m+1}-\omega_m` of the restricted problem (``inf``
    when nothing is left to choose), ``unique`` whether that gap is open."""
    target: np.ndarray
    norm: float
    eigengap: float
    unique: bool


def min_norm_contrastive_target(adjacency, d: int, factor: Factor, rtol: float = 1e-9) -> MinNormTarget:
    r"""The minimum-norm optimum of :math:`\lVert FF^\top-A\rVert_F^2`, the limit :math:`\rho\to0^+` of
    :math:`[A-\tfrac\rho2K^+]_d`.

    With :math:`S=\Pi A\Pi` (:math:`\Pi=I` for an invertible :math:`K`) and eigenvalues :math:`\mu_1\ge\mu_2\ge
    \dots`: the eigenvalues above :math:`\mu_d` are kept (``r`` of them); if :math:`\mu_d>0` the remaining
    :math:`m=d-r` directions are chosen inside the eigenspace :math:`E` of :math:`\mu_d` (orthonormal basis in
    columns) as the bottom-:math:`m` eigenvectors of the restricted problem :math:`E^\top K^+E` (eigenvalues
    :math:`\omega_1\le\omega_2\le\dots`, Ky Fan), which minimises :math:`\operatorname{tr}(F^\top K^+F)` over the
    minimisers. The limit is unique iff :math:`\omega_m<\omega_{m+1}`.

    Args:
        adjacency: the augmentation graph :math:`A` (``(N, N)``).
        d: the embedding dimension.
        factor: the factor of :math:`K` (:func:`range_factor` or :func:`kernel_ssl.linalg.factor_gram`).
        rtol: eigenvalues within ``rtol`` times the largest :math:`|\mu_i|` count as tied.

    Returns:
        A :class:`MinNormTarget`.
    """
    a, _, proj = _graph_and_ridge(adjacency, 0.0, _check_factor(factor, check_adjacency(adjacency).shape[0]))
    d = _check_dim(d, a.shape[0])
    rtol = check_positive_float("rtol", rtol)
    return _min_norm_contrastive_target(_compress(a, proj), d, factor.inverse(), rtol)


def _min_norm_contrastive_target(s: np.ndarray, d: int, k_pinv: np.ndarray, rtol: float) -> MinNormTarget:
    w, u = linalg.descending_eigh(s)
    tol = rtol * max(float(np.abs(w).max()), np.finfo(float).tiny)
    mu_d = float(w[d - 1])
    if mu_d <= tol:   # the ambiguous directions carry weight 0: [S]_d is unique
        target = linalg.top_psd_part(s, d)
        return MinNormTarget(target, float(np.sum(k_pinv * target)), float("inf"), True)
    kept = w > mu_d + tol
    cluster = np.abs(w - mu_d) <= tol
    m = d - int(kept.sum())
    e = u[:, cluster]
    omega, v = np.linalg.eigh(e.T @ k_pinv @ e)
    chosen = e @ v[:, :m]
    target = (u[:, kept] * w[kept]) @ u[:, kept].T + mu_d * chosen @ chosen.T
    gap = float(omega[m] - omega[m - 1]) if m < e.shape[1] else float("inf")
    return MinNormTarget(target, float(np.sum(k_pinv * target)), gap,
                         bool(gap > rtol * max(float(np.abs(omega).max()), 1.0)))


@dataclass(frozen=True)
class MinNormLimit:
    r"""The ridge path towards the minimum-norm optimum: relative Frobenius ``errors`` between
    :math:`[A-\tfrac\rho2K^{-1}]_d` and the limit (:func:`min_norm_contrastive_target`) at each of ``ridges``, their
    log-log ``slope`` (first-order perturbation theory predicts 1), and the ``limit`` itself."""
    ridges: np.ndarray
    errors: np.ndarray
    slope: float
    limit: MinNormTarget


def min_norm_limit(adjacency, d: int, factor: Factor, ridges: Sequence[float]) -> MinNormLimit:
    r"""Measure :math:`[A-\tfrac\rho2K^+]_d\to` the minimum-norm optimum as :math:`\rho\to0^+`.

    The error is :math:`O(\rho)` where the restricted problem has an eigengap: the degenerate eigenvalue
    :math:`\mu_d` splits as :math:`\mu_d-\tfrac\rho2\omega_j+O(\rho^2)`, and the top part of the split keeps the
    :math:`\omega`-smallest directions up to an :math:`O(\rho)` rotation.

    Args:
        adjacency: the augmentation graph :math:`A`.
        d: the embedding dimension.
        factor: the factor of :math:`K`.
        ridges: at least two ridges :math:`\rho>0`, increasing.

    Returns:
        A :class:`MinNormLimit`.
    """
    a = check_adjacency(adjacency)
    f = _check_factor(factor, a.shape[0])
    d = _check_dim(d, a.shape[0])
    rho = np.array([check_positive_float(f"ridges[{i}]", r) for i, r in enumerate(ridges)])
    if rho.size < 2 or np.any(np.diff(rho) <= 0):
        raise ValueError(f"ridges must hold at least two increasing values, got {list(rho)}")
    proj, k_pinv = _range_projector(f), f.inverse()
    limit = _min_norm_contrastive_target(_compress(a, proj), d, k_pinv, 1e-9)
    errors = np.array([linalg.relative_frobenius_error(_contrastive_target(a, r * k_pinv, d, proj), limit.target)
                       for r in rho])
    slope = float(np.polyfit(np.log(rho), np.log(errors), 1)[0])
    return MinNormLimit(ridges=rho, errors=errors, slope=slope, limit=limit)


def contrastive_noncontrastive_distance(adjacency, d: int) -> float:
    r"""Distance (:func:`kernel_ssl.linalg.subspace_distance`, in [0, 1]) between the column spaces of the
    contrastive optimum :math:`[A]_d` (top-``d`` eigenvectors of :math:`A`) and of the constrained non-contrastive
    optimum (bottom-``d`` eigenvectors of :math:`L`), at :math:`\rho=0` with an invertible :math:`K`, where both are
    functions of the graph only. Zero for a regular graph (:math:`L=cI-A`); meaningful where both optima are
    unique (``d`` at an eigengap of both)."""
    a = check_adjacency(adjacency)
    d = _check_dim(d, a.shape[0])
    top = linalg.descending_eigh(a)[1][:, :d]
    bottom = np.linalg.eigh(laplacian(a))[1][:, :d]
    return float(linalg.subspace_distance(top, bottom))


@dataclass(frozen=True)
class PenalisedCollapse:
    r"""The penalised non-contrastive loss at :math:`d>G`: ``unique`` whether :math:`N[I-L/2\kappa]_{d'}` is unique
    for every :math:`d'` from ``G`` to ``d``, ``extra_initial`` and ``extra_final`` the largest singular value of
    :math:`F/\sqrt N` beyond the ``G``-th at the start and end of gradient descent, ``error`` the final relative
    error of :math:`FF^\top` against :func:`penalised_non_contrastive_target`."""
    unique: bool
    extra_initial: float
    extra_final: float
    error: float


def penalised_collapse(key: jax.Array, gram, groups, d: int, steps: int, alpha: float,
                       penalty: float) -> PenalisedCollapse:
    r"""Gradient descent on the penalised non-contrastive loss with more dimensions than groups.

    For the group graph the eigenvalues of :math:`I-L/2\kappa` are 1 (``G`` times) and :math:`1-n_v/2\kappa`; when
    :math:`n_v\ge2\kappa` the second is :math:`\le0`, so by the lemma the optimum is unique for every :math:`d\ge G`
    and the extra ``d - G`` singular values of :math:`F` are 0 (dimensional collapse).

    Args:
        key: the PRNG key of :math:`B_0`.
        gram: :math:`K` of the training views (``(N, N)``).
        groups: the source of every training view (integers ``0..G-1``).
        d: the embedding dimension, above ``G``.
        steps: gradient-descent steps.
        alpha: the initialisation scale.
        penalty: :math:`\kappa>0`.

    Returns:
        A :class:`PenalisedCollapse`.
    """
    key = check_key("key", key)
    k = check_symmetric("gram", gram).astype(np.float64)
    g, n_groups = _check_group_labels(groups, k.shape[0])
    n = k.shape[0]
    d = check_positive_int("d", d, minimum=n_groups + 1, maximum=n)
    alpha = check_positive_float("alpha", alpha)
    penalty = check_positive_float("penalty", penalty)
    precision.require_float64("induced_kernel.penalised_collapse")
    a = adjacency_from_groups(g)
    s = np.eye(n) - laplacian(a) / (2 * penalty)
    unique = all(linalg.top_part_is_unique(s, dd) for dd in range(n_groups, d + 1))
    lr = _stable_learning_rate(k, a, "non_contrastive", penalty, 0.0, "kernel")
    run = _train_kernel_model(key, k, a, d, "non_contrastive", dynamics.record_steps(steps, n_log=20), lr, alpha,
                              0.0, penalty, "kernel", np.zeros((1, 1)))

    def extra(b):
        return float(np.linalg.svd(k @ b, compute_uv=False)[n_groups] / np.sqrt(n))

    f = run.representation
    return PenalisedCollapse(unique=unique, extra_initial=extra(run.history[0]), extra_final=extra(run.coeffs),
                             error=linalg.relative_frobenius_error(f @ f.T, n * linalg.top_psd_part(s, d)))


@dataclass(frozen=True)
class RankDeficientCase:
    r"""The kernel model on ``width`` random ReLU features of ``N > width`` points, so :math:`K=\Phi\Phi^\top` is
    singular: ``rank`` of :math:`K`, ``error`` the relative error of gradient descent's :math:`FF^\top` against
    :math:`[\Pi A\Pi]_d`, ``kernel_effect`` the relative difference between :math:`[\Pi A\Pi]_d` and :math:`[A]_d`
    (the part of the training representation the kernel decides), ``outside_range`` the relative size of the part
    of the learned :math:`F` outside range(K) (0 by the representer form)."""
    rank: int
    error: float
    kernel_effect: float
    outside_range: float


def rank_deficient_experiment(key: jax.Array, points, groups, width: int, d: int, steps: int,
                              alpha: float) -> RankDeficientCase:
    r"""Contrastive gradient descent on the kernel of ``width`` random ReLU features (fewer than the points).

    The columns of :math:`F=KB` lie in range(K), so :math:`FF^\top=\Pi Q\Pi` and, since :math:`A-\Pi A\Pi` is
    Frobenius-orthogonal to every :math:`\Pi X\Pi`, :math:`\lVert\Pi Q\Pi-A\rVert^2=\lVert\Pi Q\Pi-\Pi A\Pi\rVert^2+
    \text{const}`: the optimum is :math:`[\Pi A\Pi]_d`, which depends on the kernel through :math:`\Pi`.

    Args:
        key: splits into the first layer's key and the initialisation's.
        points: the training views (``(N, m)``), in the order of ``groups``.
        groups: the source of every view (integers ``0..G-1``).
        width: the number of random features :math:`M<N`.
        d: the embedding dimension.
        steps: gradient-descent steps.
        alpha: the initialisation scale.

    Returns:
        A :class:`RankDeficientCase`.
    """
    key = check_key("key", key)
    x = as_finite_array("points", points, ndim=2).astype(np.float64)
    g, _ = _check_group_labels(groups, x.shape[0])
    width = check_positive_int("width", width, maximum=x.shape[0] - 1)
    d = _check_dim(d, x.shape[0])
    steps = check_positive_int("steps", steps)
    alpha = check_positive_float("alpha", alpha)
    precision.require_float64("induced_kernel.rank_deficient_experiment")
    k_layer, k_init = jax.random.split(key)
    phi = np.asarray(models.random_features(x, models.random_first_layer(k_layer, width, x.shape[1])), np.float64)
    k = phi @ phi.T
    factor = range_factor(k)
    a = adjacency_from_groups(g)
    proj = factor.projector()
    target = _contrastive_target(a, None, d, proj)
    lr = _stable_learning_rate(k, a, "contrastive", 1.0, 0.0, "kernel")
    run = _train_kernel_model(k_init, k, a, d, "contrastive", dynamics.record_steps(steps, n_log=20), lr, alpha,
                              0.0, 1.0, "kernel", np.zeros((1, 1)))
    f = run.representation
    return RankDeficientCase(rank=factor.rank, error=linalg.relative_frobenius_error(f @ f.T, target),
                             kernel_effect=linalg.relative_frobenius_error(target, _contrastive_target(a, None, d)),
                             outside_range=float(np.linalg.norm(f - proj @ f) / np.linalg.norm(f)))


# ------------------------------------------------------------------- downstream without an oracle
@dataclass(frozen=True)
class ProbeSelection:
    r"""Probes whose hyper-parameters are chosen by k-fold cross-validation over the labelled sources only.

    ``dim`` and ``probe_ridge`` are the induced probe's choice (embedding dimension, relative probe ridge
    :math:`\rho_{\rm p}`); ``induced``, ``base`` and ``kpca`` the test accuracies of the induced probe, of the base
    kernel probe (its own cross-validated ridge) and of a linear probe on uncentred kernel PCA features at the same
    ``dim`` (its own ridge). ``test_grid[i, j]`` is the induced probe's test accuracy at ``dims[i]`` and
    ``probe_ridges[j]`` and ``base_grid[j]`` the base probe's at ``probe_ridges[j]`` (for the robustness of the
    comparison, not for selection); ``val_grid`` the induced probe's mean validation accuracies, shaped as
    ``test_grid``."""
    dims: tuple[int, ...]
    probe_ridges: tuple[float, ...]
    dim: int
    probe_ridge: float
    induced: float
    base: float
    kpca: float
    test_grid: np.ndarray
    base_grid: np.ndarray
    val_grid: np.ndarray

    @property
    def margins(self) -> np.ndarray:
        """Induced minus base test accuracy at each probe ridge of the grid, the induced probe's ``d`` chosen by
        cross-validation at that ridge (no oracle at any ridge)."""
        best = np.argmax(self.val_grid, axis=0)
        return self.test_grid[best, np.arange(len(self.probe_ridges))] - self.base_grid


def _features(factor: Factor, values: np.ndarray, vectors: np.ndarray, cross: np.ndarray, d: int) -> np.ndarray:
    return _induced_features(factor, values, vectors, cross, d)


def _kpca_features(k_values: np.ndarray, k_vectors: np.ndarray, cross: np.ndarray, d: int) -> np.ndarray:
    # uncentred kernel PCA: f(x) = Lambda_d^(-1/2) U_d^T k_X(x), which is U_d Lambda_d^(1/2) on the training points
    return cross @ (k_vectors[:, :d] / np.sqrt(k_values[:d]))


def select_probes(kind: str, views, labels, n_ssl: int, n_views: int, n_labelled: int, dims: Sequence[int],
                  ridge: float, probe_ridges: Sequence[float], n_folds: int = 5) -> ProbeSelection:
    r"""Experiment 3 without the test set: the labelled sources are split into ``n_folds`` folds (source ``i`` in
    fold ``i % n_folds``); for each candidate, probes are fitted on the labelled views of the other folds and scored
    on the views of the held-out fold's sources; the candidate with the best mean validation accuracy (ties: the
    smallest ``d``, then the smallest ridge) is refitted on all labelled views and tested.

    The SSL (contrastive with ridge ``ridge``, :math:`[A-\tfrac\rho2K^{-1}]_d`) and the kernel PCA use all SSL
    views, labelled or not; only labels are held out. Setting as in :func:`probe_experiment`.

    Args:
        kind: the base kernel, one of :data:`BASE_KERNELS`.
        views: the views of all sources, ``(n_sources, n_v, m)``.
        labels: the class label of every source.
        n_ssl: the number of SSL sources (the first ones); the others are the test points (view 0).
        n_views: the views per SSL source used.
        n_labelled: the number of labelled SSL sources, at least ``n_folds``.
        dims: candidate embedding dimensions, each at most ``n_ssl``.
        ridge: the SSL ridge :math:`\rho>0`.
        probe_ridges: candidate relative probe ridges :math:`\rho_{\rm p}>0`.
        n_folds: the number of folds, at least 2.

    Returns:
        A :class:`ProbeSelection`.
    """
    v, lab, n_ssl, n_views = _check_sources(kind, views, labels, n_ssl, n_views, n_spare=1)
    n_folds = check_positive_int("n_folds", n_folds, minimum=2)
    n_labelled = check_positive_int("n_labelled", n_labelled, minimum=n_folds, maximum=n_ssl)
    dims = _check_dims(dims, n_ssl)
    ridge = _check_positive_ridge(ridge, "at ridge = 0 the top eigenspace of A is degenerate for d below the number "
                                         "of sources, so the representation is not unique; its ridge -> 0 limit is "
                                         "the minimum-norm target (min_norm_contrastive_target)")
    grid = tuple(check_positive_float(f"probe_ridges[{i}]", r) for i, r in enumerate(probe_ridges))
    x, groups, gamma = _ssl_views(kind, v, n_ssl, n_views)
    k = base_gram(kind, x, x, gamma)
    cross_test = base_gram(kind, v[n_ssl:, 0], x, gamma)
    y, y_test = lab[groups], lab[n_ssl:]
    factor = range_factor(k)
    values, vectors = _contrastive_spectrum(adjacency_from_groups(groups) - ridge / 2 * factor.inverse(), max(dims))
    k_values, k_vectors = linalg.descending_eigh(k)
    labelled = np.flatnonzero(groups < n_labelled)
    folds = [(labelled[groups[labelled] % n_folds != j], labelled[groups[labelled] % n_folds == j])
             for j in range(n_folds)]

    def linear(f_all, f_test, fit, score, y_score, r):
        return _linear_probe_accuracy(f_all[fit], f_test, y[fit], y_score,
                                      r * float(np.mean(np.sum(f_all[fit] ** 2, axis=1))))

    def kernel(fit, cross, y_score, r):
        kf = k[np.ix_(fit, fit)]
        return _kernel_probe_accuracy(linalg.factor_gram(kf, jitter=r * float(np.mean(np.diag(kf)))), cross[:, fit],
                                      y[fit], y_score)

    def cv(score_fn):
        return np.mean([score_fn(fit, val) for fit, val in folds])

    induced_feats = {dd: (_features(factor, values, vectors, k, dd), _features(factor, values, vectors, cross_test,
                                                                                 dd)) for dd in dims}
    val = np.array([[cv(lambda fit, vl, dd=dd, r=r: linear(induced_feats[dd][0], induced_feats[dd][0][vl], fit, vl,
                                                            y[vl], r)) for r in grid] for dd in dims])
    i, j = np.unravel_index(np.argmax(val), val.shape)   # argmax takes the first maximum: smallest d, then ridge
    dim, probe_ridge = dims[i], grid[j]
    test_grid = np.array([[linear(induced_feats[dd][0], induced_feats[dd][1], labelled, None, y_test, r)
                           for r in grid] for dd in dims])
    base_val = [cv(lambda fit, vl, r=r: kernel(fit, k[vl], y[vl], r)) for r in grid]
    base_grid = np.array([kernel(labelled, cross_test, y_test, r) for r in grid])
    kp_train, kp_test = _kpca_features(k_values, k_vectors, k, dim), _kpca_features(k_values, k_vectors, cross_test,
                                                                                    dim)
    kpca_val = [cv(lambda fit, vl, r=r: linear(kp_train, kp_train[vl], fit, vl, y[vl], r)) for r in grid]
    r_kpca = grid[int(np.argmax(kpca_val))]
    return ProbeSelection(dims=dims, probe_ridges=grid, dim=dim, probe_ridge=probe_ridge,
                          induced=float(test_grid[i, j]), base=float(base_grid[int(np.argmax(base_val))]),
                          kpca=linear(kp_train, kp_test, labelled, None, y_test, r_kpca), test_grid=test_grid,
                          base_grid=base_grid, val_grid=val)


# ------------------------------------------------------------------------------------ base-kernel effects
@dataclass(frozen=True)
class BandwidthSweep:
    r"""The RBF bandwidth sweep of experiment 2: for each multiple ``factors[i]`` of the median-heuristic
    :math:`\gamma`, the condition number of :math:`K` on the training views (``inf`` if singular to working
    precision) and the block ratios of the base and induced kernels on the held-out views; ``condition_bounds`` the
    Gershgorin bound :math:`(1+r)/(1-r)`, :math:`r=\max_a\sum_{b\ne a}K_{ab}` (``inf`` where :math:`r\ge1`),
    which tends to 1 as :math:`K\to I`."""
    factors: np.ndarray
    condition_numbers: np.ndarray
    condition_bounds: np.ndarray
    block_ratio_base: np.ndarray
    block_ratio_induced: np.ndarray


def bandwidth_sweep(views, n_fresh: int, n_views: int, d: int, factors: Sequence[float],
                    ridge: float = 0.0) -> BandwidthSweep:
    r"""Experiment 2 with the RBF kernel :math:`e^{-c\gamma\lVert x-x'\rVert^2}` for each factor :math:`c`.

    As :math:`c\to\infty`, :math:`K\to I` (condition number 1) and a new point's :math:`k_X(x)` is dominated by its
    nearest training view; as :math:`c\to0`, :math:`K\to\mathbf 1\mathbf 1^\top` (condition number :math:`\to\infty`:
    the solves use the pseudo-inverse on range(K), :class:`RangeFactor`).

    Args:
        views: ``(n_sources, n_train + n_fresh, m)``, the last ``n_fresh`` views of each source held out.
        n_fresh: held-out views per source.
        n_views: training views per source (the first ones), at most ``n_train``.
        d: the embedding dimension.
        factors: the multiples :math:`c>0` of the median-heuristic width (of the training views).
        ridge: :math:`\rho\ge0`.

    Returns:
        A :class:`BandwidthSweep`.
    """
    v = as_finite_array("views", views, ndim=3).astype(np.float64)
    n_fresh = check_positive_int("n_fresh", n_fresh, maximum=v.shape[1] - 2)
    n_views = check_positive_int("n_views", n_views, minimum=2, maximum=v.shape[1] - n_fresh)
    c = np.array([check_positive_float(f"factors[{i}]", f) for i, f in enumerate(factors)])
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    n_src = v.shape[0]
    d = _check_dim(d, n_src * n_views)
    x_train = v[:, :n_views].reshape(-1, v.shape[2])
    x_fresh = v[:, v.shape[1] - n_fresh:].reshape(-1, v.shape[2])
    gamma = kernels.median_gamma(x_train)
    a = adjacency_from_groups(group_labels(n_src, n_views))
    fresh_groups = group_labels(n_src, n_fresh)
    conds, bounds, base_r, induced_r = [], [], [], []
    for factor_c in c:
        k = kernels.rbf_gram(x_train, x_train, factor_c * gamma)
        cross = kernels.rbf_gram(x_fresh, x_train, factor_c * gamma)
        f = range_factor(k)
        conds.append(f.condition_number if f.rank == f.n else float("inf"))
        off = float(np.max(np.sum(k, axis=1) - np.diag(k)))   # unit diagonal: eigenvalues in [1 - off, 1 + off]
        bounds.append((1 + off) / (1 - off) if off < 1 else float("inf"))
        rk = ridge * f.inverse() if ridge > 0 else None
        m = _contrastive_target(a, rk, d, _range_projector(f))
        base_r.append(_block_ratio(kernels.normalised_kernel(kernels.rbf_gram(x_fresh, x_fresh, factor_c * gamma)),
                                   fresh_groups))
        induced_r.append(_block_ratio(kernels.normalised_kernel(_induced_kernel(f, m, cross, None)), fresh_groups))
    return BandwidthSweep(factors=c, condition_numbers=np.array(conds), condition_bounds=np.array(bounds),
                          block_ratio_base=np.array(base_r),
                          block_ratio_induced=np.array(induced_r))


@dataclass(frozen=True)
class ClassHeatmaps:
    r"""Cosine-normalised induced kernels ordered by class: ``train`` on the SSL views shown (``train_labels``),
    ``test`` on test images (``test_labels``), and class block ratios (:func:`block_ratio` with the classes as
    groups) on the test images of the induced kernel (``test_ratio_induced``) and of the base kernel
    (``test_ratio_base``)."""
    train: np.ndarray
    test: np.ndarray
    train_labels: np.ndarray
    test_labels: np.ndarray
    test_ratio_induced: float
    test_ratio_base: float


def class_heatmaps(kind: str, views, labels, n_ssl: int, n_views: int, d: int, ridge: float, n_train_show: int,
                   n_test_show: int) -> ClassHeatmaps:
    r"""The induced kernel of experiment 3's SSL (contrastive, :math:`[A-\tfrac\rho2K^{-1}]_d`) on training views and
    on test images, each sorted by class (stable, so the views of a source stay together).

    Args:
        kind: the base kernel, one of :data:`BASE_KERNELS`.
        views: the views of all sources, ``(n_sources, n_v, m)``; the first ``n_ssl`` are the SSL sources.
        labels: the class label of every source.
        n_ssl: the number of SSL sources.
        n_views: views per SSL source.
        d: the embedding dimension.
        ridge: :math:`\rho\ge0`.
        n_train_show: SSL sources shown (their ``n_views`` views each), the first ones.
        n_test_show: test images shown (view 0 of the first sources after the SSL ones).

    Returns:
        A :class:`ClassHeatmaps`.
    """
    v, lab, n_ssl, n_views = _check_sources(kind, views, labels, n_ssl, n_views, n_spare=2)
    d = _check_dim(d, n_ssl)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    n_train_show = check_positive_int("n_train_show", n_train_show, minimum=2, maximum=n_ssl)
    n_test_show = check_positive_int("n_test_show", n_test_show, minimum=2, maximum=v.shape[0] - n_ssl)
    x, groups, gamma = _ssl_views(kind, v, n_ssl, n_views)
    k = base_gram(kind, x, x, gamma)
    x_test = v[n_ssl:n_ssl + n_test_show, 0]
    y_test = lab[n_ssl:n_ssl + n_test_show]
    factor = range_factor(k)
    a = adjacency_from_groups(groups)
    values, vectors = _contrastive_spectrum(a - ridge / 2 * factor.inverse() if ridge > 0 else a, d)
    shown = np.flatnonzero(groups < n_train_show)
    y_shown = lab[groups[shown]]
    f_train = _induced_features(factor, values, vectors, k[shown], d)
    f_test = _induced_features(factor, values, vectors, base_gram(kind, x_test, x, gamma), d)
    o_train, o_test = np.argsort(y_shown, kind="stable"), np.argsort(y_test, kind="stable")
    train = kernels.normalised_kernel(f_train[o_train] @ f_train[o_train].T)
    test = kernels.normalised_kernel(f_test[o_test] @ f_test[o_test].T)
    base_test = base_gram(kind, x_test, x_test, gamma)
    return ClassHeatmaps(train=train, test=test, train_labels=y_shown[o_train], test_labels=y_test[o_test],
                         test_ratio_induced=_block_ratio(test, y_test[o_test]),
                         test_ratio_base=_block_ratio(kernels.normalised_kernel(base_test), y_test))
