r"""Joint-embedding SSL in the kernel regime: optimal representations in closed form and the induced kernel.

A representation is a linear map on the feature space of a base kernel ``k``, :math:`f(x) = W\varphi(x)`. On ``N``
training points with Gram matrix :math:`K` the relevant maps have the representer form
:math:`f(x) = B\,k_X(x)`, :math:`k_X(x) = (k(x_1,x),\dots,k(x_N,x))^\top`, and the training representations are
:math:`Z = BK \in\mathbb R^{d\times N}`. Every loss here depends on :math:`Z` only through :math:`M = Z^\top Z`,
whose optimum is a nearest rank-:math:`d` positive semi-definite matrix :math:`[C]_d` (top-:math:`d` eigenpairs,
negative eigenvalues set to zero) of a symmetric matrix :math:`C` built from the augmentation graph:

- contrastive (spectral type) :math:`\lVert Z^\top Z - A\rVert_F^2 + \lambda\operatorname{tr}(BKB^\top)`:
  :math:`M = [A - \tfrac\lambda2 K^{-1}]_d`;
- non-contrastive, constrained: :math:`\min\operatorname{tr}(ZLZ^\top) + \lambda\operatorname{tr}(BKB^\top)` s.t.
  :math:`\tfrac1N ZZ^\top = I_d`: :math:`M = N U_dU_d^\top`, :math:`U_d` the bottom-:math:`d` eigenvectors of
  :math:`L + \lambda K^{-1}` (Laplacian eigenmaps for :math:`\lambda = 0`);
- non-contrastive, penalised (VICReg-like) :math:`\operatorname{tr}(ZLZ^\top) + \lambda\operatorname{tr}(BKB^\top) +
  \mu N\lVert \tfrac1N ZZ^\top - I_d\rVert_F^2`: :math:`M = N\,[I - (L + \lambda K^{-1})/(2\mu)]_d`.

The induced kernel is :math:`k^\star(x,x') = f(x)^\top f(x') = k_X(x)^\top K^{-1} M K^{-1} k_X(x')`.
Closed forms use NumPy/SciPy in float64; the gradient-descent check runs in JAX (enable float64 first).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy.linalg import null_space

from .augmentation_graph import adjacency_from_groups, check_adjacency, laplacian
from .figures import PALETTE, THEORY_DASH, base_layout
from .validation import (as_finite_array, check_choice, check_positive_float, check_positive_int,
                         check_symmetric)

# A Gram matrix computed in float64 has eigenvalue errors of order N * eps * ||K|| (about 1e-13 relative for
# N = 1000); eigenvalues below -PSD_RTOL * lambda_max are far beyond round-off and mean "not a kernel matrix".
PSD_RTOL = 1e-8
# Solving with K when cond(K) > 1e12 loses more than 12 of float64's 16 digits: refuse, and ask for a jitter.
MAX_CONDITION = 1e12
LOSSES = ("contrastive", "noncontrastive")
BASE_KERNELS = ("rbf", "ntk")
METRICS = ("kernel", "identity")


# --------------------------------------------------------------------------------------------- Gram matrices
class GramFactor(NamedTuple):
    r"""Eigendecomposition of :math:`K + \epsilon I` (``jitter`` :math:`\epsilon`), used for every solve."""

    eigenvalues: np.ndarray   # ascending, all > 0
    eigenvectors: np.ndarray
    jitter: float

    @property
    def n(self) -> int:
        return int(self.eigenvalues.shape[0])

    @property
    def condition_number(self) -> float:
        return float(self.eigenvalues[-1] / self.eigenvalues[0])

    def solve(self, rhs) -> np.ndarray:
        r""":math:`(K+\epsilon I)^{-1}\,\mathrm{rhs}` for ``rhs`` of shape ``(N,)`` or ``(N, k)``."""
        r = as_finite_array("rhs", rhs)
        if r.shape[0] != self.n:
            raise ValueError(f"rhs must have {self.n} rows (one per training point), got shape {r.shape}")
        u = self.eigenvectors
        coef = u.T @ r
        coef = coef / (self.eigenvalues if r.ndim == 1 else self.eigenvalues[:, None])
        return u @ coef

    def inverse(self) -> np.ndarray:
        r""":math:`(K+\epsilon I)^{-1}` (symmetric)."""
        u = self.eigenvectors
        return (u / self.eigenvalues) @ u.T


def factor_gram(gram, jitter: float = 0.0, psd_rtol: float = PSD_RTOL,
                max_condition: float = MAX_CONDITION) -> GramFactor:
    r"""Check a Gram matrix and factor :math:`K + \epsilon I` for solves (``jitter`` :math:`=\epsilon \ge 0`).

    Raises ``ValueError`` if ``gram`` is not symmetric, has an eigenvalue below :math:`-\texttt{psd\_rtol}\,
    \lambda_{\max}` (not positive semi-definite beyond round-off), or if :math:`K+\epsilon I` has a condition
    number above ``max_condition`` (then pass a larger ``jitter``: it is never added silently).
    """
    k = check_symmetric("gram", gram).astype(np.float64)
    jitter = check_positive_float("jitter", jitter, allow_zero=True)
    psd_rtol = check_positive_float("psd_rtol", psd_rtol)
    max_condition = check_positive_float("max_condition", max_condition)
    w, u = np.linalg.eigh((k + k.T) / 2)
    top = max(float(w[-1]), 0.0)
    if top == 0.0:
        raise ValueError("gram must not be zero (or negative semi-definite)")
    if w[0] < -psd_rtol * top:
        raise ValueError(f"gram is not positive semi-definite: smallest eigenvalue {w[0]:.3e} < "
                         f"-{psd_rtol:g} * largest ({top:.3e})")
    wj = w + jitter
    if wj[0] <= wj[-1] / max_condition:
        raise ValueError(f"gram + jitter * I is ill-conditioned (smallest eigenvalue {wj[0]:.3e}, largest "
                         f"{wj[-1]:.3e}, condition number above max_condition = {max_condition:g}); "
                         f"pass jitter > 0, e.g. jitter = {1e-10 * wj[-1]:.1e}")
    return GramFactor(wj, u, jitter)


def _check_factor(factor, n: int) -> GramFactor:
    if not isinstance(factor, GramFactor):
        raise TypeError(f"factor must be a GramFactor from factor_gram(), got {type(factor).__name__}")
    if factor.n != n:
        raise ValueError(f"factor must be for {n} training points (the graph's size), got {factor.n}")
    return factor


def _check_dim(d, n: int) -> int:
    return check_positive_int("d", d, minimum=1, maximum=n)


# --------------------------------------------------------------------------------------- spectral closed forms
def top_psd_part(matrix, d: int) -> np.ndarray:
    r"""Nearest PSD matrix of rank at most ``d`` in Frobenius norm: :math:`[C]_d=\sum_{i\le d}\max(c_i,0)u_iu_i^\top`.

    :math:`c_1\ge c_2\ge\dots` are the eigenvalues of the symmetric ``matrix``. Unique iff
    :func:`top_part_is_unique`; otherwise this returns one of the minimisers (whichever basis ``eigh`` picks).
    """
    c = check_symmetric("matrix", matrix).astype(np.float64)
    d = _check_dim(d, c.shape[0])
    w, u = np.linalg.eigh((c + c.T) / 2)
    w, u = w[::-1][:d], u[:, ::-1][:, :d]
    return (u * np.maximum(w, 0.0)) @ u.T


def top_part_is_unique(matrix, d: int, rtol: float = 1e-9) -> bool:
    r""":math:`[C]_d` is unique iff :math:`c_d > c_{d+1}` or :math:`c_{d+1}\le 0` (ties decided up to ``rtol``)."""
    c = check_symmetric("matrix", matrix).astype(np.float64)
    d = _check_dim(d, c.shape[0])
    if d == c.shape[0]:
        return True
    w = np.linalg.eigvalsh((c + c.T) / 2)[::-1]
    scale = max(float(np.abs(w).max()), np.finfo(float).tiny)
    return bool(w[d] <= rtol * scale or w[d - 1] - w[d] > rtol * scale)


def _graph_and_ridge(adjacency, ridge: float, factor) -> tuple[np.ndarray, np.ndarray | None]:
    a = check_adjacency(adjacency)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    if ridge > 0:
        if factor is None:
            raise ValueError("factor (from factor_gram) is required when ridge > 0: the ridge term involves K^-1")
        return a, ridge * _check_factor(factor, a.shape[0]).inverse()
    if factor is not None:
        _check_factor(factor, a.shape[0])
    return a, None


def contrastive_target(adjacency, d: int, ridge: float = 0.0, factor: GramFactor | None = None) -> np.ndarray:
    r"""Optimal :math:`M=Z^\top Z` of :math:`\lVert Z^\top Z-A\rVert_F^2+\lambda\operatorname{tr}(BKB^\top)`:
    :math:`M=[A-\tfrac\lambda2K^{-1}]_d` (``ridge`` :math:`=\lambda`; ``factor`` needed when :math:`\lambda>0`)."""
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    d = _check_dim(d, a.shape[0])
    return top_psd_part(a if rk is None else a - rk / 2, d)


def contrastive_spectrum(adjacency, ridge: float = 0.0, factor: GramFactor | None = None,
                         n_top: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Top ``n_top`` eigenpairs (descending) of :math:`C = A - \tfrac\lambda2K^{-1}`: for every :math:`d\le`
    ``n_top`` the optimum is :math:`[C]_d = U_{:d}\operatorname{diag}(c_{:d})^+U_{:d}^\top` (one decomposition
    serves a whole sweep over ``d``). Returns ``(values, vectors)`` with ``vectors`` of shape ``(N, n_top)``."""
    from scipy.linalg import eigh

    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    n = a.shape[0]
    n_top = n if n_top is None else check_positive_int("n_top", n_top, maximum=n)
    c = a if rk is None else a - rk / 2
    w, u = eigh(c, subset_by_index=(n - n_top, n - 1))
    return w[::-1], u[:, ::-1]


def induced_features(factor: GramFactor, values, vectors, cross, d: int) -> np.ndarray:
    r"""Representation :math:`f(x) = Bk_X(x)` of evaluation points for the optimum :math:`Z^\top Z=[C]_d`.

    With :math:`Z = \operatorname{diag}(\sqrt{c_i^+})_{i\le d}U_{:d}^\top` and :math:`B = ZK^{-1}`; ``cross`` is
    :math:`k(X_{\rm train}, X_{\rm eval})` of shape ``(N, n)``; returns ``(n, d)``. The induced kernel between two
    sets is the product of their features, :math:`k^\star = F_1F_2^\top`.
    """
    w = as_finite_array("values", values, ndim=1)
    u = as_finite_array("vectors", vectors, ndim=2)
    if u.shape != (factor.n, w.shape[0]):
        raise ValueError(f"vectors must have shape ({factor.n}, {w.shape[0]}), got {u.shape}")
    d = check_positive_int("d", d, maximum=w.shape[0])
    z = np.sqrt(np.maximum(w[:d], 0.0))[:, None] * u[:, :d].T
    return embed(coefficients(factor, z), cross)


def noncontrastive_target(adjacency, d: int, ridge: float = 0.0, factor: GramFactor | None = None,
                          centre: bool = False) -> np.ndarray:
    r"""Optimal :math:`M=Z^\top Z` of :math:`\min\operatorname{tr}(ZLZ^\top)+\lambda\operatorname{tr}(BKB^\top)`
    s.t. :math:`\tfrac1NZZ^\top=I_d`: :math:`M=NU_dU_d^\top`, :math:`U_d` the bottom-``d`` eigenvectors of
    :math:`L+\lambda K^{-1}`.

    ``centre=True`` adds the constraint :math:`Z\mathbf 1=0` (zero-mean embeddings): the eigenvectors are then
    taken in :math:`\mathbf 1^\perp`, which excludes the constant vector (``d`` at most ``N - 1``).
    Unique iff the ``d``-th and ``(d+1)``-th smallest eigenvalues differ (see :func:`noncontrastive_is_unique`).
    """
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    if not isinstance(centre, bool):
        raise TypeError(f"centre must be True or False, got {centre!r}")
    n = a.shape[0]
    d = check_positive_int("d", d, minimum=1, maximum=n - 1 if centre else n)
    c = laplacian(a) + (0.0 if rk is None else rk)
    basis = null_space(np.ones((1, n))) if centre else np.eye(n)
    _, v = np.linalg.eigh(basis.T @ c @ basis)
    u = basis @ v[:, :d]
    return n * (u @ u.T)


def noncontrastive_is_unique(adjacency, d: int, ridge: float = 0.0, factor: GramFactor | None = None,
                             centre: bool = False, rtol: float = 1e-9) -> bool:
    """True iff the bottom-``d`` eigenspace of ``L + ridge K^-1`` (in 1-perp if ``centre``) is unique."""
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    n = a.shape[0]
    d = check_positive_int("d", d, minimum=1, maximum=n - 1 if centre else n)
    c = laplacian(a) + (0.0 if rk is None else rk)
    basis = null_space(np.ones((1, n))) if centre else np.eye(n)
    w = np.linalg.eigvalsh(basis.T @ c @ basis)
    if d == w.shape[0]:
        return True
    scale = max(float(np.abs(w).max()), 1.0)
    return bool(w[d] - w[d - 1] > rtol * scale)


def penalised_noncontrastive_target(adjacency, d: int, penalty: float, ridge: float = 0.0,
                                    factor: GramFactor | None = None) -> np.ndarray:
    r"""Optimal :math:`M=Z^\top Z` of :math:`\operatorname{tr}(ZLZ^\top)+\lambda\operatorname{tr}(BKB^\top)+\mu N
    \lVert\tfrac1NZZ^\top-I_d\rVert_F^2`: :math:`M=N\,[I-(L+\lambda K^{-1})/(2\mu)]_d` (``penalty`` :math:`=\mu`)."""
    a, rk = _graph_and_ridge(adjacency, ridge, factor)
    penalty = check_positive_float("penalty", penalty)
    n = a.shape[0]
    d = _check_dim(d, n)
    c = laplacian(a) + (0.0 if rk is None else rk)
    return n * top_psd_part(np.eye(n) - c / (2 * penalty), d)


def representation_from_target(target, d: int, rtol: float = 1e-8) -> np.ndarray:
    r"""A training representation :math:`Z\in\mathbb R^{d\times N}` with :math:`Z^\top Z=M` (unique up to
    :math:`Z\mapsto QZ`, :math:`Q\in O(d)`); raises if :math:`M` is not PSD of rank at most ``d``."""
    m = check_symmetric("target", target).astype(np.float64)
    d = _check_dim(d, m.shape[0])
    w, u = np.linalg.eigh((m + m.T) / 2)
    scale = max(float(np.abs(w).max()), np.finfo(float).tiny)
    if w[0] < -rtol * scale:
        raise ValueError("target must be positive semi-definite (it is Z^T Z)")
    if m.shape[0] > d and w[::-1][d] > rtol * scale:
        raise ValueError(f"target has rank above d = {d}; it cannot be Z^T Z with d rows")
    w, u = np.maximum(w[::-1][:d], 0.0), u[:, ::-1][:, :d]
    return (u * np.sqrt(w)).T


# ----------------------------------------------------------------------------------------- induced kernel
def coefficients(factor: GramFactor, representation) -> np.ndarray:
    r"""Representer coefficients :math:`B = ZK^{-1}` of a training representation ``Z`` (``d x N``)."""
    z = as_finite_array("representation", representation, ndim=2)
    return factor.solve(z.T).T


def induced_kernel(factor: GramFactor, target, cross_left, cross_right=None) -> np.ndarray:
    r"""Induced kernel :math:`k^\star(x,x')=k_X(x)^\top K^{-1}MK^{-1}k_X(x')` between two sets of points.

    ``cross_left`` is :math:`k(X_{\rm train}, X_1)` of shape ``(N, n1)`` (and ``cross_right`` of shape
    ``(N, n2)``, default ``cross_left``); ``target`` is :math:`M=Z^\top Z` (``N x N``). Returns ``(n1, n2)``.
    On the training points themselves (``cross_left = K``, no jitter) it returns :math:`M`.
    """
    if not isinstance(factor, GramFactor):
        raise TypeError(f"factor must be a GramFactor from factor_gram(), got {type(factor).__name__}")
    m = check_symmetric("target", target)
    if m.shape[0] != factor.n:
        raise ValueError(f"target must be {factor.n} x {factor.n} (one row per training point), got {m.shape}")
    left = as_finite_array("cross_left", cross_left, ndim=2)
    right = left if cross_right is None else as_finite_array("cross_right", cross_right, ndim=2)
    for name, arr in (("cross_left", left), ("cross_right", right)):
        if arr.shape[0] != factor.n:
            raise ValueError(f"{name} must have {factor.n} rows (k between the training points and the "
                             f"evaluation points), got shape {arr.shape}")
    s_left = factor.solve(left)
    s_right = s_left if cross_right is None else factor.solve(right)
    return s_left.T @ m @ s_right


def embed(coeffs, cross) -> np.ndarray:
    r"""The representation :math:`f(x)=Bk_X(x)` of evaluation points: ``(n, d)`` from ``cross`` ``(N, n)``."""
    b = as_finite_array("coeffs", coeffs, ndim=2)
    c = as_finite_array("cross", cross, ndim=2)
    if c.shape[0] != b.shape[1]:
        raise ValueError(f"cross must have {b.shape[1]} rows (one per training point), got shape {c.shape}")
    return (b @ c).T


# ---------------------------------------------------------------------------------- losses (JAX, jittable)
def contrastive_loss(z: jnp.ndarray, adjacency: jnp.ndarray) -> jnp.ndarray:
    r"""Spectral-type contrastive loss :math:`\lVert Z^\top Z - A\rVert_F^2` of ``z`` (``d x N``)."""
    return jnp.sum((z.T @ z - adjacency) ** 2)


def noncontrastive_objective(z: jnp.ndarray, lap: jnp.ndarray) -> jnp.ndarray:
    r"""Invariance term :math:`\operatorname{tr}(ZLZ^\top)=\tfrac12\sum_{ij}A_{ij}\lVert z_i-z_j\rVert^2`."""
    return jnp.trace(z @ lap @ z.T)


def penalised_noncontrastive_loss(z: jnp.ndarray, lap: jnp.ndarray, penalty: float) -> jnp.ndarray:
    r""":math:`\operatorname{tr}(ZLZ^\top) + \mu N\lVert \tfrac1N ZZ^\top - I_d\rVert_F^2` (VICReg-like)."""
    d, n = z.shape
    cov = z @ z.T / n
    return jnp.trace(z @ lap @ z.T) + penalty * n * jnp.sum((cov - jnp.eye(d, dtype=z.dtype)) ** 2)


class KernelModelRun(NamedTuple):
    """Result of :func:`train_kernel_model`: final coefficients ``B`` (``d x N``), training outputs ``Z = BK``,
    and, at the recorded steps ``steps`` (step 0 and the last step included), the loss (without the ridge
    term), the coefficients (``(T, d, N)``) and the effective times ``lr * step``."""

    coeffs: np.ndarray
    outputs: np.ndarray
    losses: np.ndarray
    history: np.ndarray
    times: np.ndarray
    steps: np.ndarray


def record_steps(steps: int, n_records: int, log_spaced: bool = True) -> np.ndarray:
    """Distinct steps at which a run is recorded: ``0``, then up to ``n_records`` steps up to ``steps``,
    geometrically spaced (``log_spaced``: early dynamics and slow convergence both resolved) or evenly."""
    steps = check_positive_int("steps", steps)
    n_records = check_positive_int("n_records", n_records)
    grid = np.geomspace(1, steps, n_records) if log_spaced else np.linspace(1, steps, n_records)
    return np.unique(np.concatenate([[0], np.round(grid).astype(np.int64), [steps]]))


def stable_learning_rate(gram, adjacency, loss: str = "contrastive", penalty: float = 1.0,
                         ridge: float = 0.0, metric: str = "kernel") -> float:
    r"""Half the stability limit of gradient descent near the optimum.

    The loss's Hessian in :math:`Z` is at most :math:`h = 8\lambda_{\max}(A)^+ + 4\max(|\lambda_{\min}(A)|,
    \lambda_{\max}(A))` (contrastive) or :math:`h = 2\lambda_{\max}(L) + 12\mu` (penalised non-contrastive) there;
    with the kernel metric a step multiplies it by at most :math:`\lambda_{\max}(K)`, and the ridge adds
    :math:`2\lambda`. Gradient descent is stable for :math:`\eta h_{\rm eff} < 2`; this returns :math:`1/h_{\rm eff}`.
    """
    a = check_adjacency(adjacency)
    k = check_symmetric("gram", gram)
    check_choice("loss", loss, LOSSES)
    check_choice("metric", metric, METRICS)
    penalty = check_positive_float("penalty", penalty)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    if loss == "contrastive":
        wa = np.linalg.eigvalsh(a)
        h = 8 * max(wa[-1], 0.0) + 4 * max(abs(wa[0]), wa[-1])
    else:
        h = 2 * np.linalg.eigvalsh(laplacian(a))[-1] + 12 * penalty
    scale = np.linalg.eigvalsh(k)[-1] if metric == "kernel" else 1.0
    return float(1.0 / (h * scale + 2 * ridge))


@partial(jax.jit, static_argnames=("loss", "metric"))
def _descent(b0, gram, gram_inv, adjacency, lap, loss, metric, lr, segments, ridge, penalty):
    def loss_of_z(z):
        if loss == "contrastive":
            return contrastive_loss(z, adjacency)
        return penalised_noncontrastive_loss(z, lap, penalty)

    grad = jax.grad(loss_of_z)

    def step(_, b):
        z = b @ gram
        if metric == "kernel":
            # gradient descent on W in feature space, written on B: W = B Phi^T, dL/dW = (dL/dZ + 2 ridge B) Phi^T
            return b - lr * (grad(z) + 2 * ridge * b)
        # gradient descent on the training outputs Z themselves (identity metric), carried back to B = Z K^-1
        z = z - lr * (grad(z) + 2 * ridge * z @ gram_inv)
        return z @ gram_inv

    def segment(b, length):
        # one compiled loop whatever the segment lengths (a while loop with a traced trip count)
        b = jax.lax.fori_loop(0, length, step, b)
        return b, (loss_of_z(b @ gram), b)

    _, (trace, history) = jax.lax.scan(segment, b0, segments)
    return trace, history


def train_kernel_model(key: jax.Array, gram, adjacency, d: int, loss: str = "contrastive", steps: int = 20000,
                       lr: float | None = None, init_scale: float = 1e-6, ridge: float = 0.0,
                       penalty: float = 1.0, metric: str = "kernel", factor: GramFactor | None = None,
                       n_records: int = 200, log_spaced: bool = True) -> KernelModelRun:
    r"""Full-batch gradient descent on the kernel model :math:`f(x)=Bk_X(x)` from :math:`B_0\sim\alpha\,\mathcal N(0,1)`.

    ``metric="kernel"`` is gradient descent on :math:`W` in feature space (exactly what an infinitely wide
    network in the kernel regime does): :math:`B\leftarrow B-\eta(\nabla_Z\mathcal L+2\lambda B)`, so the outputs
    move by :math:`-\eta\nabla_Z\mathcal L\,K` and :math:`K` is never inverted. ``metric="identity"`` descends on
    the training outputs :math:`Z` directly (needs ``factor`` to carry :math:`Z` back to :math:`B=ZK^{-1}`).
    ``loss="noncontrastive"`` is the penalised form (``penalty`` :math:`=\mu`). ``lr=None`` takes
    :func:`stable_learning_rate`. The run is recorded at :func:`record_steps` ``(steps, n_records, log_spaced)``.
    Raises ``FloatingPointError`` if the run diverges.
    """
    k = check_symmetric("gram", gram).astype(np.float64)
    n = k.shape[0]
    a = check_adjacency(adjacency, n)
    d = _check_dim(d, n)
    check_choice("loss", loss, LOSSES)
    check_choice("metric", metric, METRICS)
    steps = check_positive_int("steps", steps)
    recorded = record_steps(steps, n_records, log_spaced)
    init_scale = check_positive_float("init_scale", init_scale)
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    penalty = check_positive_float("penalty", penalty)
    if lr is None:
        lr = stable_learning_rate(k, a, loss, penalty, ridge, metric)
    lr = check_positive_float("lr", lr)
    if metric == "identity":
        if factor is None:
            raise ValueError("factor (from factor_gram) is required for metric='identity'")
        gram_inv = _check_factor(factor, n).inverse()
    else:
        gram_inv = np.zeros((1, 1))
    b0 = init_scale * jax.random.normal(key, (d, n), dtype=jnp.float64) / np.sqrt(n)
    trace, history = _descent(b0, jnp.asarray(k), jnp.asarray(gram_inv), jnp.asarray(a), jnp.asarray(laplacian(a)),
                              loss, metric, float(lr), jnp.asarray(np.diff(recorded, prepend=0)), float(ridge),
                              float(penalty))
    trace, history = np.asarray(trace), np.asarray(history)
    if not np.all(np.isfinite(trace)) or not np.all(np.isfinite(history)):
        raise FloatingPointError("gradient descent diverged (non-finite loss); lower lr")
    b = history[-1]
    return KernelModelRun(b, b @ k, trace, history, lr * recorded, recorded)


# ----------------------------------------------------------------------------------- measurements
def normalised_kernel(kernel) -> np.ndarray:
    r"""Cosine normalisation :math:`\tilde k(x,x')=k(x,x')/\sqrt{k(x,x)k(x',x')}` of a square Gram matrix."""
    k = check_symmetric("kernel", kernel).astype(np.float64)
    diag = np.diag(k)
    if np.any(diag <= 0):
        raise ValueError("kernel must have a positive diagonal to be normalised (a point with k(x, x) = 0 "
                         "has a zero representation)")
    s = 1.0 / np.sqrt(diag)
    return k * s[:, None] * s[None, :]


def block_ratio(kernel, groups) -> float:
    r"""Block structure of a Gram matrix ordered by group: :math:`\rho=\overline{|\tilde k|}_{\rm within}/
    \overline{|\tilde k|}_{\rm between}`.

    :math:`\tilde k` is the cosine-normalised kernel (so :math:`|\tilde k|\le1`), the first mean runs over
    pairs :math:`i\ne j` of the same group, the second over pairs of different groups. Absolute values keep
    negative similarities from cancelling; :math:`\rho=1` means no block structure. Returns ``inf`` when the
    between-group mean is zero to round-off (a perfectly block-diagonal kernel).
    """
    kn = np.abs(normalised_kernel(kernel))
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


def kernel_probe_accuracy(gram_train, cross_test, labels_train, labels_test, ridge: float,
                          max_condition: float = MAX_CONDITION) -> float:
    r"""Kernel ridge classifier (one-hot least squares, argmax): accuracy on the test points.

    Predictions :math:`\hat Y = k(X_{\rm test},X)(K+\alpha I)^{-1}Y` with ``ridge`` :math:`=\alpha\ge0`;
    ``cross_test`` is :math:`k(X_{\rm train},X_{\rm test})` of shape ``(N, n_test)``.
    """
    ytr = as_finite_array("labels_train", labels_train, ndim=1)
    yte = as_finite_array("labels_test", labels_test, ndim=1)
    factor = factor_gram(gram_train, jitter=ridge, max_condition=max_condition)
    cross = as_finite_array("cross_test", cross_test, ndim=2)
    if ytr.shape[0] != factor.n or cross.shape != (factor.n, yte.shape[0]):
        raise ValueError(f"cross_test must have shape (N_train, n_test) = ({factor.n}, {yte.shape[0]}) and "
                         f"labels_train {factor.n} entries, got {cross.shape} and {ytr.shape[0]}")
    classes = np.unique(ytr)
    onehot = (ytr[:, None] == classes[None, :]).astype(np.float64)
    scores = cross.T @ factor.solve(onehot)
    return float(np.mean(classes[np.argmax(scores, axis=1)] == yte))


def linear_probe_accuracy(features_train, features_test, labels_train, labels_test, ridge: float) -> float:
    r"""Linear probe (ridge regression onto one-hot labels, argmax) on given features: test accuracy.

    :math:`W = (F^\top F+\alpha I)^{-1}F^\top Y` (``ridge`` :math:`=\alpha`; :math:`\alpha=0` takes the minimum-norm
    least-squares fit). Equal to :func:`kernel_probe_accuracy` with the linear kernel :math:`FF^\top`.
    """
    ftr = as_finite_array("features_train", features_train, ndim=2)
    fte = as_finite_array("features_test", features_test, ndim=2)
    ytr = as_finite_array("labels_train", labels_train, ndim=1)
    yte = as_finite_array("labels_test", labels_test, ndim=1)
    if ftr.shape[0] != ytr.shape[0] or fte.shape[0] != yte.shape[0] or ftr.shape[1] != fte.shape[1]:
        raise ValueError(f"features and labels must match: features_train {ftr.shape}, labels_train "
                         f"{ytr.shape}, features_test {fte.shape}, labels_test {yte.shape}")
    ridge = check_positive_float("ridge", ridge, allow_zero=True)
    classes = np.unique(ytr)
    onehot = (ytr[:, None] == classes[None, :]).astype(np.float64)
    if ridge > 0:
        w = np.linalg.solve(ftr.T @ ftr + ridge * np.eye(ftr.shape[1]), ftr.T @ onehot)
    else:
        w = np.linalg.lstsq(ftr, onehot, rcond=None)[0]
    return float(np.mean(classes[np.argmax(fte @ w, axis=1)] == yte))


def projector_distance(p1, p2) -> float:
    r"""Distance between two rank-``d`` orthogonal projectors, :math:`\lVert P_1-P_2\rVert_F/\sqrt{2d}\in[0,1]`
    (0: same subspace; 1: orthogonal subspaces)."""
    a = check_symmetric("p1", p1)
    b = check_symmetric("p2", p2)
    if a.shape != b.shape:
        raise ValueError(f"p1 and p2 must have the same shape, got {a.shape} and {b.shape}")
    d = float(np.trace(a))
    if d < 0.5 or abs(np.trace(b) - d) > 1e-6 * max(d, 1.0):
        raise ValueError("p1 and p2 must be projectors of the same rank >= 1")
    return float(np.linalg.norm(a - b) / np.sqrt(2 * d))


def row_space_projector(representation, rtol: float = 1e-8) -> np.ndarray:
    r"""Orthogonal projector onto the row space of :math:`Z` (``d x N``), i.e. onto the range of :math:`Z^\top Z`."""
    z = as_finite_array("representation", representation, ndim=2)
    u, s, _ = np.linalg.svd(z.T, full_matrices=False)
    keep = s > rtol * max(float(s.max()), np.finfo(float).tiny)
    if not keep.any():
        raise ValueError("representation is zero (no row space)")
    return u[:, keep] @ u[:, keep].T


# ------------------------------------------------------------------------------------------ base kernels
def median_gamma(x) -> float:
    r"""RBF width by the median heuristic: :math:`\gamma = 1/\operatorname{median}_{i\ne j}\lVert x_i-x_j\rVert^2`."""
    from sklearn.metrics.pairwise import euclidean_distances

    xa = as_finite_array("x", x, ndim=2)
    if xa.shape[0] < 2:
        raise ValueError(f"x needs at least 2 points, got {xa.shape[0]}")
    d2 = euclidean_distances(xa, squared=True)[np.triu_indices(xa.shape[0], 1)]
    med = float(np.median(d2))
    if med <= 0:
        raise ValueError("x must contain distinct points (the median squared distance is 0)")
    return 1.0 / med


def rbf_gram(x1, x2, gamma: float) -> np.ndarray:
    r"""RBF kernel :math:`k(x,x')=\exp(-\gamma\lVert x-x'\rVert^2)` (scikit-learn), shape ``(n1, n2)``."""
    from sklearn.metrics.pairwise import rbf_kernel

    a = as_finite_array("x1", x1, ndim=2)
    b = as_finite_array("x2", x2, ndim=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x1 and x2 must have the same input dimension, got {a.shape[1]} and {b.shape[1]}")
    gamma = check_positive_float("gamma", gamma)
    return rbf_kernel(a.astype(np.float64), b.astype(np.float64), gamma=gamma)


def base_gram(kind: str, x1, x2, gamma: float | None = None) -> np.ndarray:
    r"""Base kernel between two point sets, shape ``(n1, n2)``: ``"rbf"`` (needs ``gamma``, see
    :func:`median_gamma`) or ``"ntk"``, the infinite-width NTK of the two-layer ReLU net without bias
    (``neural_tangents.stax`` via ``kernels.analytic_ntk``). Both have unit diagonal on the digits views, which
    lie on the sphere :math:`\lVert x\rVert^2=m` (for the NTK: :math:`\tfrac12+\tfrac12`), so ridge values are
    comparable between them."""
    check_choice("kind", kind, BASE_KERNELS)
    if kind == "rbf":
        if gamma is None:
            raise ValueError("gamma is required for kind='rbf' (e.g. median_gamma(x_train))")
        return rbf_gram(x1, x2, gamma)
    from .kernels import analytic_ntk

    return np.asarray(analytic_ntk(x1, x2, "relu"), dtype=np.float64)


def induced_gram(gram, train, adjacency, d: int, loss: str = "contrastive", ridge: float = 0.0,
                 jitter: float = 0.0) -> np.ndarray:
    r"""Induced kernel among all points of a joint Gram matrix ``gram`` whose rows ``train`` (indices) are the
    training points of the graph ``adjacency``: :math:`k^\star = K_{\cdot T}K_{TT}^{-1}MK_{TT}^{-1}K_{T\cdot}` with
    :math:`M` the optimum of ``loss`` (``"noncontrastive"``: the constrained form). Shape ``(n_all, n_all)``."""
    k = check_symmetric("gram", gram).astype(np.float64)
    idx = np.asarray(train)
    if idx.ndim != 1 or not np.issubdtype(idx.dtype, np.integer) or idx.size == 0:
        raise ValueError("train must be a non-empty 1-D array of row indices")
    if idx.min() < 0 or idx.max() >= k.shape[0] or np.unique(idx).size != idx.size:
        raise ValueError(f"train must hold distinct row indices in [0, {k.shape[0]})")
    check_choice("loss", loss, LOSSES)
    factor = factor_gram(k[np.ix_(idx, idx)], jitter=jitter)
    a = check_adjacency(adjacency, idx.size)
    use = factor if ridge > 0 else None
    if loss == "contrastive":
        m = contrastive_target(a, d, ridge, use)
    else:
        m = noncontrastive_target(a, d, ridge, use)
    return induced_kernel(factor, m, k[idx])


def probe_sweep(gram, cross_test, groups, labels, labels_test, n_labelled: int, dims: Sequence[int],
                ridge: float, probe_ridge: float) -> dict:
    r"""Downstream probes on one SSL training set (views of ``n`` sources, groups ``0..n-1``).

    The probes are fitted on the views of the first ``n_labelled`` sources and tested on the test points
    (``cross_test`` = :math:`k(X, X_{\rm test})`). Probe ridges are ``probe_ridge`` times the mean squared norm
    of the probe's training features (the mean diagonal of its Gram matrix). Returns a dict with
    ``"base"`` (kernel ridge classifier with the base kernel), ``"induced"`` (linear probe on the induced
    features of :math:`[A-\tfrac\lambda2K^{-1}]_d` for each ``d`` in ``dims``, ``ridge`` :math:`=\lambda`),
    ``"unregularised"`` (the same with :math:`\lambda=0` and ``d`` = number of groups) and ``"zero_filled"``
    (ridgeless base-kernel regression with the labels of the labelled views and 0 on the others: the derived
    prediction for ``"unregularised"``).
    """
    k = check_symmetric("gram", gram).astype(np.float64)
    g = as_finite_array("groups", groups, ndim=1)
    y = as_finite_array("labels", labels, ndim=1)
    yte = as_finite_array("labels_test", labels_test, ndim=1)
    cross = as_finite_array("cross_test", cross_test, ndim=2)
    if g.shape[0] != k.shape[0] or y.shape[0] != k.shape[0] or cross.shape != (k.shape[0], yte.shape[0]):
        raise ValueError(f"groups, labels ({k.shape[0]} entries) and cross_test ({k.shape[0]}, n_test) must "
                         f"match gram; got {g.shape}, {y.shape}, {cross.shape}")
    n_groups = int(g.max()) + 1
    n_labelled = check_positive_int("n_labelled", n_labelled, maximum=n_groups)
    dims = [check_positive_int(f"dims[{i}]", dd, maximum=n_groups) for i, dd in enumerate(dims)]
    probe_ridge = check_positive_float("probe_ridge", probe_ridge)
    lab = g < n_labelled
    factor = factor_gram(k)
    a = adjacency_from_groups(g.astype(np.int64))
    out = {"base": kernel_probe_accuracy(k[np.ix_(lab, lab)], cross[lab], y[lab], yte,
                                         probe_ridge * float(np.mean(np.diag(k)[lab])))}

    def probe(values, vectors, d):
        ftr = induced_features(factor, values, vectors, k[:, lab], d)
        fte = induced_features(factor, values, vectors, cross, d)
        return linear_probe_accuracy(ftr, fte, y[lab], yte, probe_ridge * float(np.mean(np.sum(ftr ** 2, axis=1))))

    values, vectors = contrastive_spectrum(a, ridge, factor if ridge > 0 else None, n_top=max(dims))
    out["induced"] = np.array([probe(values, vectors, dd) for dd in dims])
    values, vectors = contrastive_spectrum(a, n_top=n_groups)
    out["unregularised"] = probe(values, vectors, n_groups)
    classes = np.unique(y[lab])
    filled = np.where(lab[:, None], (y[:, None] == classes[None, :]).astype(np.float64), 0.0)
    out["zero_filled"] = float(np.mean(classes[np.argmax(cross.T @ factor.solve(filled), axis=1)] == yte))
    return out


# -------------------------------------------------------------------------------------------- figures
def heatmap_pair_slider(base, frames: Mapping[str, np.ndarray], tick_text: Sequence[str], base_title: str,
                        induced_title: str, title: str, slider_label: str, active: int = 0) -> go.Figure:
    """Two heatmaps side by side on a common colour scale [-1, 1]: a fixed one (``base``) and one chosen with a
    slider from precomputed ``frames`` (label -> matrix). Works without a kernel (static website)."""
    b = as_finite_array("base", base, ndim=2)
    if not frames:
        raise ValueError("frames must hold at least one matrix")
    labels = list(frames)
    fig = make_subplots(rows=1, cols=2, subplot_titles=(base_title, induced_title), horizontal_spacing=0.08)
    common = dict(colorscale="RdBu", zmin=-1, zmax=1, reversescale=True)
    fig.add_trace(go.Heatmap(z=b, showscale=False, **common), row=1, col=1)
    for i, label in enumerate(labels):
        z = as_finite_array(f"frames[{label!r}]", frames[label], ndim=2)
        fig.add_trace(go.Heatmap(z=z, visible=(i == active), colorbar=dict(title="k̃"), **common), row=1, col=2)
    steps = [dict(method="update", label=label, args=[{"visible": [True] + [j == i for j in range(len(labels))]}])
             for i, label in enumerate(labels)]
    fig.update_layout(sliders=[dict(active=active, currentvalue=dict(prefix=f"{slider_label}: "), pad=dict(t=40),
                                    steps=steps)])
    base_layout(fig, title, "", "", height=520)
    ticks = dict(tickmode="array", tickvals=list(range(len(tick_text))), ticktext=list(tick_text))
    for col in (1, 2):
        fig.update_xaxes(**ticks, row=1, col=col)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{'' if col == 1 else col}", **ticks, row=1, col=col)
    return fig


def probe_accuracy_slider(dims: Sequence[int], panels: Mapping[str, Mapping[str, Mapping[str, np.ndarray]]],
                          title: str, slider_label: str, active: int = 0) -> go.Figure:
    """Probe accuracy against ``d``, one panel per base kernel, one slider step per setting.

    ``panels[kernel][step]`` maps series names to arrays: ``"induced"`` (accuracy for each ``d``, solid),
    ``"base"`` (a scalar: the base-kernel probe, dotted line), ``"prediction"`` (a scalar drawn dashed: the
    derived accuracy of the unregularised induced kernel for ``d >= groups``) and ``"unregularised"`` (a pair
    ``(d, accuracy)``: the measured point that the prediction is about).
    """
    x = as_finite_array("dims", dims, ndim=1)
    kernels_ = list(panels)
    if not kernels_:
        raise ValueError("panels must hold at least one base kernel")
    steps_ = list(panels[kernels_[0]])
    fig = make_subplots(rows=1, cols=len(kernels_), subplot_titles=kernels_, shared_yaxes=True)
    owner = []
    for col, kname in enumerate(kernels_, start=1):
        for i, step in enumerate(steps_):
            s = panels[kname][step]
            vis = i == active
            show = col == 1
            fig.add_trace(go.Scatter(x=x, y=as_finite_array("induced", s["induced"], ndim=1), mode="lines+markers",
                                     name="induced kernel (ridge SSL)", legendgroup="ind", showlegend=show,
                                     visible=vis, line=dict(color=PALETTE[0])), row=1, col=col)
            fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[s["base"]] * 2, mode="lines", name="base kernel",
                                     legendgroup="base", showlegend=show, visible=vis,
                                     line=dict(color=PALETTE[1], dash="dot")), row=1, col=col)
            fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[s["prediction"]] * 2, mode="lines",
                                     name="theory: unregularised, d ≥ groups", legendgroup="pred",
                                     showlegend=show, visible=vis,
                                     line=dict(color="black", dash=THEORY_DASH)), row=1, col=col)
            dx, acc = s["unregularised"]
            fig.add_trace(go.Scatter(x=[dx], y=[acc], mode="markers", name="induced, unregularised (measured)",
                                     legendgroup="unreg", showlegend=show, visible=vis,
                                     marker=dict(color=PALETTE[2], size=11, symbol="diamond")), row=1, col=col)
            owner += [i] * 4
    steps = [dict(method="update", label=step, args=[{"visible": [o == i for o in owner]}])
             for i, step in enumerate(steps_)]
    fig.update_layout(sliders=[dict(active=active, currentvalue=dict(prefix=f"{slider_label}: "), pad=dict(t=50),
                                    steps=steps)])
    base_layout(fig, title, "", "test accuracy", height=500)
    fig.update_xaxes(type="log", title_text="embedding dimension d")
    return fig


def series_figure(series: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str, xaxis: str, yaxis: str,
                  reference: tuple[str, float] | None = None, log_x: bool = False,
                  log_y: bool = False) -> go.Figure:
    """Measured curves with their own x values (``series[name] = (x, y)``, solid) and an optional dashed
    horizontal reference ``(name, value)`` (a derived prediction)."""
    fig = go.Figure()
    lo, hi = np.inf, -np.inf
    for i, (name, (xs, ys)) in enumerate(series.items()):
        xa = as_finite_array(f"series[{name!r}] x", xs, ndim=1)
        ya = as_finite_array(f"series[{name!r}] y", ys, ndim=1)
        if xa.shape != ya.shape:
            raise ValueError(f"series[{name!r}] must have x and y of equal length, got {xa.shape} and {ya.shape}")
        lo, hi = min(lo, float(xa.min())), max(hi, float(xa.max()))
        fig.add_trace(go.Scatter(x=xa, y=ya, mode="lines", name=name, line=dict(color=PALETTE[i % len(PALETTE)])))
    if reference is not None:
        name, value = reference
        fig.add_trace(go.Scatter(x=[lo, hi], y=[float(value)] * 2, mode="lines", name=name,
                                 line=dict(color="black", dash=THEORY_DASH)))
    base_layout(fig, title, xaxis, yaxis)
    if log_x:
        fig.update_xaxes(type="log")
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig
