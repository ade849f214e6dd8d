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
k_X(x')`. ``ridge`` is :math:`\rho`, ``penalty`` :math:`\kappa`, ``alpha`` the initialisation scale. Closed forms
are NumPy/SciPy in float64; gradient descent (:func:`train_kernel_model`) is a step function run by
:func:`kernel_ssl.dynamics.descend` in JAX float64. The graph losses are :mod:`kernel_ssl.losses`'s, the
downstream probes :mod:`kernel_ssl.probes`'s, the base kernels :mod:`kernel_ssl.kernels`'s.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from . import dynamics, kernels, linalg, losses, precision
from .augmentation_graph import adjacency_from_groups, check_adjacency, group_labels, group_projector, laplacian
from .linalg import GramFactor
from .probes import _class_codes, _kernel_probe_accuracy, _linear_probe_accuracy
from .validation import (
    as_finite_array,
    check_bool,
    check_choice,
    check_cross_block,
    check_key,
    check_positive_float,
    check_positive_int,
    check_symmetric,
)

LOSSES = ("contrastive", "non_contrastive")
BASE_KERNELS = ("rbf", "ntk")
METRICS = ("kernel", "identity")


# ------------------------------------------------------------------------------------------------- checks
def _check_factor(factor, n: int) -> GramFactor:
    if not isinstance(factor, GramFactor):
        raise TypeError(f"factor must be a GramFactor from linalg.factor_gram(), got {type(factor).__name__}")
    if factor.n != n:
        raise ValueError(f"factor must be for {n} training points (the graph's size), got {factor.n}")
    return factor


def _check_dim(d, n: int) -> int:
    return check_positive_int("d", d, minimum=1, maximum=n)


def _graph_and_ridge(adjacency, ridge: float, factor) -> tuple[np.ndarray, np.ndarray | None]:
    # the adjacency and the ridge term rho K^-1 (None for rho = 0, where K need not be given)
    a = check_adjacency(adjacency)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    if ridge > 0:
        if factor is None:
            raise ValueError("factor (from linalg.factor_gram) is required when ridge > 0: the ridge term "
                             "involves K^-1")
        return a, ridge * _check_factor(factor, a.shape[0]).inverse()
    if factor is not None:
        _check_factor(factor, a.shape[0])
    return a, None


def _non_contrastive_args(adjacency, d, ridge: float, factor,
                          centre) -> tuple[np.ndarray, np.ndarray | None, int, bool]:
    # a centred representation lives in the (N-1)-dimensional complement of the all-ones vector, so d < N there
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    centre = check_bool("centre", centre)
    n = a.shape[0]
    return a, rk, check_positive_int("d", d, minimum=1, maximum=n - 1 if centre else n), centre


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
def contrastive_target(adjacency, d: int, ridge: float = 0.0, factor: GramFactor | None = None) -> np.ndarray:
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
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    return _contrastive_target(a, rk, _check_dim(d, a.shape[0]))


def _contrastive_target(a: np.ndarray, rk: np.ndarray | None, d: int) -> np.ndarray:
    return linalg.top_psd_part(a if rk is None else a - rk / 2, d)


def contrastive_spectrum(adjacency, ridge: float = 0.0, factor: GramFactor | None = None,
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
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    n = a.shape[0]
    n_top = n if n_top is None else check_positive_int("n_top", n_top, maximum=n)
    return _contrastive_spectrum(a if rk is None else a - rk / 2, n_top)


def _contrastive_spectrum(s: np.ndarray, n_top: int) -> tuple[np.ndarray, np.ndarray]:
    n = s.shape[0]
    w, u = scipy.linalg.eigh(s, subset_by_index=(n - n_top, n - 1))
    return w[::-1], u[:, ::-1]


def induced_features(factor: GramFactor, values, vectors, cross, d: int) -> np.ndarray:
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
    if not isinstance(factor, GramFactor):
        raise TypeError(f"factor must be a GramFactor from linalg.factor_gram(), got {type(factor).__name__}")
    if u.shape != (factor.n, w.shape[0]):
        raise ValueError(f"vectors must have shape ({factor.n}, {w.shape[0]}), got {u.shape}")
    d = check_positive_int("d", d, maximum=w.shape[0])
    return _induced_features(factor, w, u, check_cross_block("cross", cross, factor.n), d)


def _induced_features(factor: GramFactor, w: np.ndarray, u: np.ndarray, cross: np.ndarray, d: int) -> np.ndarray:
    f = u[:, :d] * np.sqrt(np.maximum(w[:d], 0.0))
    return cross @ factor.solve(f)


def _non_contrastive_problem(a: np.ndarray, rk: np.ndarray | None, centre: bool) -> tuple[np.ndarray, np.ndarray]:
    # L + rho K^-1 in an orthonormal basis of the allowed directions (1-perp when centred) and that basis
    n = a.shape[0]
    s = laplacian(a) + (0.0 if rk is None else rk)
    basis = scipy.linalg.null_space(np.ones((1, n))) if centre else np.eye(n)
    return basis.T @ s @ basis, basis


def non_contrastive_target(adjacency, d: int, ridge: float = 0.0, factor: GramFactor | None = None,
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
    a, rk, d, centre = _non_contrastive_args(adjacency, d, ridge, factor, centre)
    return _non_contrastive_target(a, rk, d, centre)


def _non_contrastive_target(a: np.ndarray, rk: np.ndarray | None, d: int, centre: bool) -> np.ndarray:
    s, basis = _non_contrastive_problem(a, rk, centre)
    u = basis @ np.linalg.eigh(s)[1][:, :d]
    return a.shape[0] * (u @ u.T)


def non_contrastive_is_unique(adjacency, d: int, ridge: float = 0.0, factor: GramFactor | None = None,
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
    a, rk, d, centre = _non_contrastive_args(adjacency, d, ridge, factor, centre)
    rtol = check_positive_float("rtol", rtol)
    w = np.linalg.eigvalsh(_non_contrastive_problem(a, rk, centre)[0])
    if d == w.shape[0]:
        return True
    scale = max(float(np.abs(w).max()), 1.0)
    return bool(w[d] - w[d - 1] > rtol * scale)


def penalised_non_contrastive_target(adjacency, d: int, penalty: float, ridge: float = 0.0,
                                     factor: GramFactor | None = None) -> np.ndarray:
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
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    penalty = check_positive_float("penalty", penalty)
    n = a.shape[0]
    d = _check_dim(d, n)
    s = laplacian(a) + (0.0 if rk is None else rk)
    return n * linalg.top_psd_part(np.eye(n) - s / (2 * penalty), d)


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
    d = _check_dim(d, m.shape[0])
    w, u = linalg.descending_eigh(m)
    scale = max(float(np.abs(w).max()), np.finfo(float).tiny)
    if w[-1] < -rtol * scale:
        raise ValueError("target must be positive semi-definite (it is F F^T)")
    if m.shape[0] > d and w[d] > rtol * scale:
        raise ValueError(f"target has rank above d = {d}; it cannot be F F^T with d columns")
    return u[:, :d] * np.sqrt(np.maximum(w[:d], 0.0))


# ----------------------------------------------------------------------------------------- induced kernel
def coefficients(factor: GramFactor, representation) -> np.ndarray:
    r"""Representer coefficients :math:`B = K^{-1}F` (``(N, d)``) of a training representation ``F`` (``(N, d)``)."""
    if not isinstance(factor, GramFactor):
        raise TypeError(f"factor must be a GramFactor from linalg.factor_gram(), got {type(factor).__name__}")
    return factor.solve(as_finite_array("representation", representation, ndim=2))


def induced_kernel(factor: GramFactor, target, cross_left, cross_right=None) -> np.ndarray:
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
    if not isinstance(factor, GramFactor):
        raise TypeError(f"factor must be a GramFactor from linalg.factor_gram(), got {type(factor).__name__}")
    m = check_symmetric("target", target)
    if m.shape[0] != factor.n:
        raise ValueError(f"target must be {factor.n} x {factor.n} (one row per training point), got {m.shape}")
    left = check_cross_block("cross_left", cross_left, factor.n)
    right = None if cross_right is None else check_cross_block("cross_right", cross_right, factor.n)
    return _induced_kernel(factor, m, left, right)


def _induced_kernel(factor: GramFactor, m: np.ndarray, left: np.ndarray, right: np.ndarray | None) -> np.ndarray:
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


@cache
def kernel_metric_step(loss: str):
    r"""The kernel model's step, :math:`B\leftarrow B-\eta\big(\nabla_F\ell(KB)+2\rho B\big)`: gradient descent on
    :math:`W` in feature space written on :math:`B` (:math:`W=B^\top\Phi`), so :math:`K` is never inverted.
    ``step(B, lr, K, K_inv, graph, ridge, penalty)`` (``K_inv`` unused); one cached object per loss."""
    grad = jax.grad(_GRAPH_LOSSES[check_choice("loss", loss, LOSSES)])

    def step(b, lr, gram, gram_inv, graph, ridge, penalty):
        return b - lr * (grad(gram @ b, graph, penalty) + 2 * ridge * b)
    return step


@cache
def identity_metric_step(loss: str):
    r"""Gradient descent on the training outputs themselves, :math:`F\leftarrow F-\eta\big(\nabla_F\ell(F)+2\rho
    K^{-1}F\big)` (the ridge is :math:`\rho\operatorname{tr}(F^\top K^{-1}F)`), carried back to :math:`B=K^{-1}F`.
    ``step(B, lr, K, K_inv, graph, ridge, penalty)``; one cached object per loss."""
    grad = jax.grad(_GRAPH_LOSSES[check_choice("loss", loss, LOSSES)])

    def step(b, lr, gram, gram_inv, graph, ridge, penalty):
        f = gram @ b
        return gram_inv @ (f - lr * (grad(f, graph, penalty) + 2 * ridge * gram_inv @ f))
    return step


@cache
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
    a = check_adjacency(adjacency)
    k = check_symmetric("gram", gram)
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
                       metric: str = "kernel", factor: GramFactor | None = None, n_log: int = 200) -> KernelModelRun:
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
    kn = np.abs(kernels.normalised_kernel(kernel))
    g = as_finite_array("groups", groups, ndim=1)
    if g.shape[0] != kn.shape[0]:
        raise ValueError(f"groups must have one label per row of kernel ({kn.shape[0]}), got {g.shape[0]}")
    same = g[:, None] == g[None, :]
    within = same & ~np.eye(len(g), dtype=bool)
    between = ~same
    if not within.any() or not between.any():
        raise ValueError("groups must contain at least one group with two points and at least two groups")
    w, b = float(kn[within].mean()), float(kn[between].mean())
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
    factor = linalg.factor_gram(k[np.ix_(idx, idx)], jitter=jitter)
    rk = ridge * factor.inverse() if ridge > 0 else None
    if loss == "contrastive":
        m = _contrastive_target(a, rk, d)
    else:
        m = _non_contrastive_target(a, rk, d, centre=False)
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
    factor = linalg.factor_gram(gram)
    reference = induced_kernel(factor, target, cross)
    run = train_kernel_model(key, gram, adjacency, d, loss, steps=steps, alpha=alpha, ridge=ridge, penalty=penalty)
    learned = check_cross_block("cross", cross, factor.n) @ run.history          # f(x) = B^T k_X(x) along the run
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
    :func:`kernel_ssl.kernels.median_gamma` of all views.

    Args:
        views: the views, ``(n_sources, n_train + n_fresh, m)``.
        labels: the class label of every source.
        n_fresh: the number of held-out views per source (the last ones).

    Returns:
        A :class:`ViewPanel`.
    """
    v = as_finite_array("views", views, ndim=3).astype(np.float64)
    lab = as_finite_array("labels", labels, ndim=1)
    n_fresh = check_positive_int("n_fresh", n_fresh, maximum=v.shape[1] - 1)
    if lab.shape[0] != v.shape[0]:
        raise ValueError(f"labels must hold one label per source ({v.shape[0]}), got {lab.shape[0]}")
    x = v.reshape(-1, v.shape[2])
    gamma = kernels.median_gamma(x)
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
                          block_ratio_base=block_ratio(base_n, panel.fresh_groups),
                          block_ratio_induced=block_ratio(induced_n, panel.fresh_groups),
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
    y = as_finite_array("labels", labels, ndim=1)
    yte = as_finite_array("labels_test", labels_test, ndim=1)
    cross = as_finite_array("cross_test", cross_test, ndim=2).astype(np.float64)
    if y.shape[0] != k.shape[0] or cross.shape != (yte.shape[0], k.shape[0]):
        raise ValueError(f"labels ({k.shape[0]} entries) and cross_test (n_test, {k.shape[0]}) must match gram; got "
                         f"{y.shape} and {cross.shape}")
    n_labelled = check_positive_int("n_labelled", n_labelled, maximum=n_groups)
    dims = tuple(check_positive_int(f"dims[{i}]", dd, maximum=n_groups) for i, dd in enumerate(dims))
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    probe_ridge = check_positive_float("probe_ridge", probe_ridge)
    lab = g < n_labelled
    factor = linalg.factor_gram(k)
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
    check_choice("kind", kind, BASE_KERNELS)
    v = as_finite_array("views", views, ndim=3)
    lab = as_finite_array("labels", labels, ndim=1)
    n_ssl = check_positive_int("n_ssl", n_ssl, minimum=2, maximum=v.shape[0] - 1)
    n_views = check_positive_int("n_views", n_views, minimum=2, maximum=v.shape[1])
    x = v[:n_ssl, :n_views].reshape(-1, v.shape[2])
    x_test = v[n_ssl:, 0]
    groups = group_labels(n_ssl, n_views)
    gamma = kernels.median_gamma(x) if kind == "rbf" else None
    return probe_sweep(base_gram(kind, x, x, gamma), base_gram(kind, x_test, x, gamma), groups, lab[groups],
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
    time of every unregularised run."""
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
    ridge = check_positive_float("ridge", ridge)
    factor = linalg.factor_gram(k)
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
    return DegenerateCase(
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
