r"""Learning dynamics of squared-distance SSL losses: collapse without constraints, Oja's subspace flow on the
Grassmannian with the orthogonality constraint :math:`WW^\top = I_d`, and the wide two-layer model with a fixed
random first layer (chapter *Learning dynamics on the Grassmannian*). Notation: ``book/notation.md``.

Conventions. ``n`` positive pairs :math:`(x_i, x_i')`, stacked views :math:`\tilde X\in\mathbb R^{N\times m}`
(:math:`N = 2n`), linear model :math:`f(x) = Wx`, :math:`W\in\mathbb R^{d\times m}` (rows: the embedding directions).
The losses

.. math:: \mathcal L_{\rm nc} = \frac1n\sum_i\lVert f(x_i)-f(x_i')\rVert^2,\qquad
   \mathcal L_{\rm c} = \mathcal L_{\rm nc} - \frac{1}{n(n-1)}\sum_{i\ne j}\lVert f(x_i)-f(x_j')\rVert^2

both equal :math:`-\operatorname{tr}(WSW^\top)` with :math:`S = \tilde X^\top\Omega\tilde X` (eigenvalues
:math:`\mu_1\ge\mu_2\ge\dots`), where the pair weights are :math:`\Omega_+ = (I-Z)/n` (positives),
:math:`\Omega_- = ((n-1)I - J + Z)/(n(n-1))` (cross-view negatives, :math:`J` the all-ones cross-view blocks),
:math:`\Omega_{\rm nc} = -\Omega_+`, :math:`\Omega_{\rm c} = \Omega_- - \Omega_+`.

A point of the Grassmannian is the **row** space of a ``(d, m)`` matrix here (the chapter's :math:`W`); the
shared subspace tools of :mod:`kernel_ssl.linalg` take column bases, so they receive :math:`W^\top`.

Closed forms are NumPy in float64. Every descent is a step function run by :func:`kernel_ssl.dynamics.descend`
with step size ``lr`` :math:`=\eta` (time :math:`t = \eta\times\text{step}`); the descents need float64
(orthonormality to 1e-12 is not reachable in float32) and say so through :func:`kernel_ssl.precision.require_float64`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np

from . import data, dynamics, kernels, linalg, losses, models, precision, probes, spectra
from .fitting import SlopeInterval, linear_fit, loglog_slope, loglog_slope_interval
from .validation import (
    as_finite_array,
    check_callable,
    check_choice,
    check_int_labels,
    check_key,
    check_positive_float,
    check_positive_int,
    check_same_shape,
    check_stacked_views,
    check_str,
    check_symmetric,
    hashable_cache,
    is_traced,
)

LOSSES = ("contrastive", "non_contrastive")
RETRACTIONS = ("qr", "polar")
# A start whose rows are orthonormal up to float64 round-off of a QR/SVD (1e-15) passes; anything visibly
# off the Stiefel manifold (1e-8 is seven orders of magnitude above round-off) is refused, never projected.
ORTHONORMAL_TOL = 1e-8
# the loss of the two views' embeddings behind each choice of pair weights
_PAIR_LOSSES = {"contrastive": losses.squared_distance_contrastive,
                "non_contrastive": losses.squared_distance_non_contrastive}


# --------------------------------------------------------------------------------------------- checks
def _check_operand(name: str, value) -> None:
    """Static checks of a step's operand (real numeric dtype); the finiteness check too when ``value`` is concrete
    (called eagerly): under ``jit`` (inside the descent engine) a tracer has no values to check, and none is
    forced."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        dtype = np.asarray(value).dtype
    if not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{name} must be a real numeric array, got dtype {dtype}")
    if not is_traced(value):
        as_finite_array(name, value)


def _check_record_every(steps, record_every) -> int:
    # record_every is the caller's name for the engine's "every"
    top = int(steps) if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool) and steps >= 1 else None
    return check_positive_int("record_every", record_every, maximum=top)


def _check_dim(d, m: int, name: str = "d") -> int:
    """An embedding dimension for a flow on Gr(d, m): 1 <= d <= m - 1 (d = m is a single point)."""
    if m < 2:
        raise ValueError(f"the ambient dimension must be at least 2 for a subspace flow, got {m}")
    return check_positive_int(name, d, minimum=1, maximum=m - 1)


def check_orthonormal_rows(name: str, w, tol: float = ORTHONORMAL_TOL) -> np.ndarray:
    r"""Check that ``w`` (``(d, m)``, ``d < m``) has orthonormal rows,
    :math:`\lVert WW^\top - I_d\rVert_F \le` ``tol``."""
    check_str("name", name)
    tol = check_positive_float("tol", tol)
    arr = as_finite_array(name, w, ndim=2).astype(np.float64)
    d, m = arr.shape
    _check_dim(d, m, f"{name}.shape[0] (the embedding dimension d)")
    err = np.linalg.norm(arr @ arr.T - np.eye(d))
    if err > tol:
        raise ValueError(f"{name} must have orthonormal rows (W W^T = I_d) to start the constrained flow; "
                         f"||W W^T - I||_F = {err:.2e} > {tol:g}. Orthonormalise it first, e.g. with "
                         f"grassmann.retract(w) or np.linalg.qr(w.T)[0].T")
    return arr


def _check_start_and_matrix(w0, s, orthonormal: bool, w_name: str = "w0",
                            s_name: str = "s") -> tuple[np.ndarray, np.ndarray]:
    # the width first: a start of the wrong width is reported as such, not as "not orthonormal"
    sm = check_symmetric(s_name, s).astype(np.float64)
    w = as_finite_array(w_name, w0, ndim=2).astype(np.float64)
    if w.shape[1] != sm.shape[0]:
        raise ValueError(f"{w_name} must have {sm.shape[0]} columns ({s_name} is {sm.shape[0]} x {sm.shape[0]}), "
                         f"got shape {w.shape}")
    if orthonormal:
        w = check_orthonormal_rows(w_name, w)
    _check_dim(w.shape[0], w.shape[1], f"{w_name}.shape[0] (the embedding dimension d)")
    return w, sm


def _check_times(times) -> np.ndarray:
    t = as_finite_array("times", times, ndim=1).astype(np.float64)
    if np.any(t < 0):
        raise ValueError("times must be non-negative")
    return t


def _check_pairs(x, x_prime) -> tuple[np.ndarray, np.ndarray, int]:
    """The two views of n >= 2 pairs (rows), in float64, and n."""
    xa = as_finite_array("x", x, ndim=2).astype(np.float64)
    xb = as_finite_array("x_prime", x_prime, ndim=2).astype(np.float64)
    check_same_shape("x", xa, "x_prime", xb)
    return xa, xb, check_positive_int("the number of pairs (rows of x)", xa.shape[0], minimum=2)


def _columns(w: np.ndarray) -> np.ndarray:
    # row bases (..., d, m) as the column bases (..., m, d) that linalg takes
    return np.swapaxes(w, -1, -2)


# ------------------------------------------------------------------------------------ losses and trace form
def pair_weights(n_pairs: int, loss: str) -> np.ndarray:
    r"""Pair weights :math:`\Omega` (``(N, N)``, symmetric) with :math:`S = \tilde X^\top\Omega\tilde X`.

    :math:`\Omega_+ = (I-Z)/n`, :math:`\Omega_- = ((n-1)I - J + Z)/(n(n-1))`; non-contrastive :math:`-\Omega_+`,
    contrastive :math:`\Omega_- - \Omega_+`.
    """
    n = check_positive_int("n_pairs", n_pairs, minimum=2)
    return _pair_weights(n, check_choice("loss", loss, LOSSES))


def _pair_weights(n: int, loss: str) -> np.ndarray:
    swap = np.asarray(data.pair_swap_matrix(n), dtype=np.float64)   # 0/1 entries: exact in any precision
    positives = (np.eye(2 * n) - swap) / n
    if loss == "non_contrastive":
        return -positives
    cross = np.kron(1.0 - np.eye(2), np.ones((n, n)))                # J
    negatives = ((n - 1) * np.eye(2 * n) - cross + swap) / (n * (n - 1))
    return negatives - positives


def ssl_matrix(x, x_prime, loss: str) -> np.ndarray:
    r""":math:`S = \tilde X^\top\Omega\tilde X` (``(m, m)``) such that the loss of :math:`f=Wx` is
    :math:`-\operatorname{tr}(WSW^\top)`."""
    xa, xb, n = _check_pairs(x, x_prime)
    return _ssl_matrix(np.concatenate([xa, xb]), _pair_weights(n, check_choice("loss", loss, LOSSES)))


def _ssl_matrix(stacked: np.ndarray, omega: np.ndarray) -> np.ndarray:
    s = stacked.T @ omega @ stacked
    return (s + s.T) / 2


def trace_loss(w: jnp.ndarray, s: jnp.ndarray) -> jnp.ndarray:
    r""":math:`-\operatorname{tr}(WSW^\top)` for ``w`` ``(d, m)`` and symmetric ``s`` ``(m, m)``. Traceable (``jit``/
    ``grad``): under a trace only dtypes and shapes are checked, eagerly the values too; a loss for
    :func:`riemannian_descent` with ``args=(s,)``."""
    _check_operand("w", w)
    _check_operand("s", s)
    if jnp.ndim(w) != 2 or jnp.shape(s) != (jnp.shape(w)[1],) * 2:
        raise ValueError(f"w must be (d, m) and s (m, m), got shapes {jnp.shape(w)} and {jnp.shape(s)}")
    return -jnp.trace(w @ s @ w.T)


def trace_form_error(x, x_prime, w) -> float:
    r"""Largest relative difference, over both losses, between the trace form :math:`-\operatorname{tr}(WSW^\top)`
    and the loss computed from its definition on the embeddings :math:`Wx_i, Wx_i'` (proposition *trace form*)."""
    xa, xb, n = _check_pairs(x, x_prime)
    wa = as_finite_array("w", w, ndim=2).astype(np.float64)
    if wa.shape[1] != xa.shape[1]:
        raise ValueError(f"w must have {xa.shape[1]} columns (the input dimension), got shape {wa.shape}")
    stacked, error = np.concatenate([xa, xb]), 0.0
    for loss in LOSSES:
        s = _ssl_matrix(stacked, _pair_weights(n, loss))
        direct = float(_PAIR_LOSSES[loss](jnp.asarray(xa @ wa.T), jnp.asarray(xb @ wa.T)))
        error = max(error, abs(float(-np.trace(wa @ s @ wa.T)) - direct) / abs(direct))
    return error


# ------------------------------------------------------------------------------------------ spectra
def top_eigenspace(s, d: int) -> np.ndarray:
    """Orthonormal basis (rows, ``(d, m)``) of the span of the top-``d`` eigenvectors of ``s``."""
    mu, vec = linalg.descending_eigh(check_symmetric("s", s))
    d = _check_dim(d, mu.shape[0])
    _predicted_rate(mu, d)   # raises without an eigengap at d: then the top-d eigenspace is not unique
    return vec[:, :d].T.copy()


def predicted_rate(s, d: int) -> float:
    r"""Asymptotic decay rate of the principal-angle tangents under Oja's flow: :math:`2(\mu_d-\mu_{d+1})`.

    Raises if there is no eigengap (then the top-``d`` eigenspace is not unique and there is no rate)."""
    mu, _ = linalg.descending_eigh(s)
    return _predicted_rate(mu, _check_dim(d, mu.shape[0]))


def _predicted_rate(mu: np.ndarray, d: int) -> float:
    gap = mu[d - 1] - mu[d]
    if gap <= 1e-12 * max(abs(mu).max(), np.finfo(float).tiny):
        raise ValueError(f"s has no eigengap at d = {d} (mu_d = mu_d+1 = {mu[d]:.6g}): the top-d "
                         f"eigenspace is not unique and the flow has no convergence rate")
    return float(2 * gap)


def spectrum_matrix(key: jax.Array, eigenvalues) -> np.ndarray:
    r""":math:`S = Q\,\mathrm{diag}(\mu)\,Q^\top` with a Haar-random rotation :math:`Q` (synthetic examples)."""
    mu = as_finite_array("eigenvalues", eigenvalues, ndim=1).astype(np.float64)
    if mu.shape[0] < 2:
        raise ValueError(f"eigenvalues must hold at least 2 values, got {mu.shape[0]}")
    return _spectrum_matrix(check_key("key", key), mu)


def _spectrum_matrix(key: jax.Array, mu: np.ndarray) -> np.ndarray:
    q = _random_orthonormal(key, mu.shape[0], mu.shape[0]).T
    s = (q * mu) @ q.T
    return (s + s.T) / 2


def random_orthonormal(key: jax.Array, d: int, m: int) -> np.ndarray:
    """A ``(d, m)`` matrix with orthonormal rows, uniformly (Haar) distributed on the Stiefel manifold (a float32
    Gaussian draw, :func:`kernel_ssl.precision.normal`, orthonormalised in float64)."""
    m = check_positive_int("m", m)
    return _random_orthonormal(check_key("key", key), check_positive_int("d", d, maximum=m), m)


def _random_orthonormal(key: jax.Array, d: int, m: int) -> np.ndarray:
    g = np.asarray(precision.normal(key, (m, d), dtype=jnp.float32), dtype=np.float64)
    q, r = np.linalg.qr(g)
    return (q * np.sign(np.diag(r))).T.copy()  # sign fix: Haar, not just orthonormal


# ------------------------------------------------------------------------------------------ geometry
def _qr_retraction(w: jnp.ndarray) -> jnp.ndarray:
    q, _ = jnp.linalg.qr(w.T)
    return q.T


def _polar_retraction(w: jnp.ndarray) -> jnp.ndarray:
    u, _, vt = jnp.linalg.svd(w, full_matrices=False)
    return u @ vt


_RETRACT = {"qr": _qr_retraction, "polar": _polar_retraction}


def retract(w, retraction: str = "qr") -> np.ndarray:
    r"""An orthonormal basis of the row space of ``w`` (``(d, m)``, full row rank): QR of :math:`W^\top`, or the
    polar factor :math:`(WW^\top)^{-1/2}W`. Both span the same subspace; only the basis inside it differs.
    Needs float64 (the result starts constrained flows, whose check is 1e-8)."""
    wa = as_finite_array("w", w, ndim=2).astype(np.float64)
    check_choice("retraction", retraction, RETRACTIONS)
    precision.require_float64("grassmann.retract")
    if np.linalg.matrix_rank(wa) < wa.shape[0]:
        raise ValueError(f"w must have full row rank {wa.shape[0]} to span a {wa.shape[0]}-dimensional subspace")
    return np.asarray(_RETRACT[retraction](jnp.asarray(wa)))


def row_projector(w) -> np.ndarray:
    r"""Orthogonal projector :math:`W^\top(WW^\top)^{-1}W` onto the row space of ``w`` (``(d, m)`` or a stack
    ``(..., d, m)``, full row rank), ``(..., m, m)``: :func:`kernel_ssl.linalg.projector` of :math:`W^\top`."""
    wa = as_finite_array("w", w)
    if wa.ndim < 2:
        raise ValueError(f"w must be (d, m) or a stack (..., d, m), got shape {wa.shape}")
    rank = np.linalg.matrix_rank(wa.astype(np.float64))
    if np.any(rank < wa.shape[-2]):
        raise ValueError(f"w must have full row rank {wa.shape[-2]} (its rows span a subspace of lower dimension, "
                         f"rank {int(np.min(rank))}): its row projector would have the wrong rank")
    return linalg.projector(_columns(wa))


def orthonormality_error(ws) -> np.ndarray:
    r""":math:`\lVert WW^\top - I_d\rVert_F` for ``(d, m)`` or each entry of a stack ``(T, d, m)``."""
    wa = as_finite_array("ws", ws).astype(np.float64)
    if wa.ndim < 2:
        raise ValueError(f"ws must be (d, m) or a stack (T, d, m), got shape {wa.shape}")
    return _orthonormality_error(wa)


def _orthonormality_error(wa: np.ndarray) -> np.ndarray:
    return np.linalg.norm(wa @ _columns(wa) - np.eye(wa.shape[-2]), axis=(-2, -1))


# ----------------------------------------------------------------------------- unconstrained flow: collapse
def unconstrained_closed_form(w0, s, times) -> np.ndarray:
    r""":math:`W(t) = W_0e^{2St}` for each time, each scaled to unit Frobenius norm (``(T, d, m)``).

    Computed as :math:`W_0Q e^{2(\mathcal D-\mu_1)t}Q^\top` (:math:`S = Q\mathcal DQ^\top`; a scalar factor, so no
    overflow); the scale is dropped because the flow is linear: only the direction of :math:`W` carries the
    representation."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=False)
    t = _check_times(times)
    mu, vec = linalg.descending_eigh(sm)
    # exp(2 mu t) overflows float64 beyond 2 |mu| t ~ 709 (the normalisation comes after): 700 leaves room
    if 2 * float(np.max(np.abs(mu))) * float(t.max()) > 700:
        raise ValueError(f"times up to {t.max():.3g} overflow exp(2 S t) in float64 (2 max|mu| t <= 700 with "
                         f"max|mu| = {np.max(np.abs(mu)):.3g}): shorten times or rescale s")
    return _unconstrained_closed_form(w, mu, vec, t)


def _unconstrained_closed_form(w: np.ndarray, mu: np.ndarray, vec: np.ndarray, t: np.ndarray) -> np.ndarray:
    out = np.einsum("dk,tk,mk->tdm", w @ vec, np.exp(2 * (mu[None] - mu[0]) * t[:, None]), vec)
    norms = np.linalg.norm(out, axis=(1, 2), keepdims=True)
    if np.any(norms == 0):
        raise ValueError("w0 has no component along any eigenvector with nonzero weight (W(t) vanishes)")
    return out / norms


def unconstrained_step(w: jnp.ndarray, lr: float, s: jnp.ndarray) -> jnp.ndarray:
    r"""One step of gradient descent on :math:`-\operatorname{tr}(WSW^\top)`, :math:`W\leftarrow W + 2\eta WS`,
    rescaled to unit Frobenius norm (the step is linear in :math:`W`, so rescaling commutes with the steps and only
    avoids overflow). Operands given eagerly are checked; under ``jit`` (the descent engine) only their dtypes."""
    _check_operand("w", w)
    _check_operand("s", s)
    if not is_traced(lr):
        # a concrete 0-d array (as the engine may pass) is checked as the number it holds
        scalar = isinstance(lr, (np.ndarray, jax.Array)) and np.ndim(lr) == 0 and np.issubdtype(
            np.asarray(lr).dtype, np.floating)
        check_positive_float("lr", float(lr) if scalar else lr)
    if jnp.ndim(w) != 2 or jnp.shape(s) != (jnp.shape(w)[1],) * 2:
        raise ValueError(f"w must be (d, m) and s (m, m), got shapes {jnp.shape(w)} and {jnp.shape(s)}")
    w = w + 2 * lr * w @ s
    return w / jnp.linalg.norm(w)


def unconstrained_descent(w0, s, lr: float, steps: int, record_every: int = 1) -> dynamics.Trajectory:
    r"""Gradient descent :func:`unconstrained_step` from ``w0`` (scaled to unit norm), recorded every
    ``record_every`` steps: ``records`` is ``(steps // record_every + 1, d, m)``.

    Args:
        w0: the start :math:`W_0` (``(d, m)``).
        s: the symmetric matrix :math:`S` (``(m, m)``).
        lr: the step size :math:`\eta`; time :math:`t=\eta\times\text{step}`.
        steps: the number of steps (a multiple of ``record_every``).
        record_every: the recording interval in steps.

    Returns:
        A :class:`kernel_ssl.dynamics.Trajectory` of the weights.
    """
    w, sm = _check_start_and_matrix(w0, s, orthonormal=False)
    lr = check_positive_float("lr", lr)
    record_every = _check_record_every(steps, record_every)
    precision.require_float64("grassmann.unconstrained_descent")
    return _unconstrained_descent(w, sm, lr, dynamics.record_steps(steps, every=record_every))


def _unconstrained_descent(w: np.ndarray, s: np.ndarray, lr: float, record_at: np.ndarray) -> dynamics.Trajectory:
    return dynamics.descend(unconstrained_step, jnp.asarray(w / np.linalg.norm(w)), lr, int(record_at[-1]),
                            args=(jnp.asarray(s),), record_at=record_at)


def normalised_singular_values(ws) -> np.ndarray:
    r""":math:`\sigma_k(W)/\sigma_1(W)` for each ``(d, m)`` entry of a stack; ``(T, d)`` (first column is 1)."""
    wa = as_finite_array("ws", ws, ndim=3).astype(np.float64)
    sv = np.linalg.svd(wa, compute_uv=False)
    if np.any(sv[:, 0] == 0):
        raise ValueError("ws contains a zero matrix (no singular value to normalise by)")
    return sv / sv[:, :1]


# ------------------------------------------------------------------------- Oja's flow: closed form and rate
def _graph_coordinates(w0: np.ndarray, s: np.ndarray):
    """Eigenvalues (desc.), eigenvectors Q and X0 = E_perp E_par^-1 with E = Q^T W0^T (the start as a graph)."""
    d = w0.shape[0]
    mu, vec = linalg.descending_eigh(s)
    e = vec.T @ w0.T
    top = e[:d]
    if np.linalg.cond(top) > linalg.MAX_CONDITION:
        raise ValueError("w0 has (numerically) no full-rank component in the top-d eigenspace of s: its row space "
                         "contains a direction orthogonal to that eigenspace, and the flow does not reach it; "
                         "use another start")
    return mu, vec, e[d:] @ np.linalg.inv(top)


def _graph_at(mu, x0, d, t):
    # X(t)_kj = X0_kj exp(2 (mu_k - mu_j) t), k > d >= j: every exponent <= 2 (mu_d+1 - mu_d) t
    return x0 * np.exp(2 * t[:, None, None] * (mu[None, d:, None] - mu[None, None, :d]))


def oja_closed_form(w0, s, times) -> np.ndarray:
    r"""Orthonormal bases (``(T, d, m)``) of :math:`\operatorname{row}W(t)=\operatorname{row}(W_0e^{2St})` under
    Oja's flow :math:`\dot W = 2WS(I-W^\top W)` from ``w0`` (orthonormal rows).

    In the eigenbasis the row space is the graph :math:`\operatorname{col}[I_d; X(t)]` with
    :math:`X(t) = e^{2\mathcal D_\perp t}X_0e^{-2\mathcal D_\parallel t}`: exact, and free of overflow at any time.
    The basis returned is not the flow's own basis (that one rotates inside the subspace); compare projectors."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=True)
    return _oja_closed_form(w, sm, _check_times(times))


def _oja_closed_form(w: np.ndarray, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    d = w.shape[0]
    mu, vec, x0 = _graph_coordinates(w, s)
    graph = np.concatenate([np.broadcast_to(np.eye(d), (t.shape[0], d, d)), _graph_at(mu, x0, d, t)], axis=1)
    q, _ = np.linalg.qr(graph)
    return _columns(vec @ q)


def closed_form_tangents(w0, s, times) -> np.ndarray:
    r"""Tangents of the principal angles (descending) between :math:`\operatorname{row}W(t)` and the top-``d``
    eigenspace of ``s``: the singular values of :math:`X(t)`; ``(T, d)`` (zeros padded when :math:`m-d<d`)."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=True)
    return _closed_form_tangents(w, sm, _check_times(times))


def _closed_form_tangents(w: np.ndarray, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    d = w.shape[0]
    mu, _, x0 = _graph_coordinates(w, s)
    sv = np.linalg.svd(_graph_at(mu, x0, d, t), compute_uv=False)
    return np.concatenate([sv, np.zeros((t.shape[0], d - sv.shape[1]))], axis=1)


def fit_rate(times, tangents) -> float:
    r"""Decay rate :math:`r` of :math:`\tan\theta_{\max}(t)\approx c\,e^{-rt}`: minus the least-squares slope of
    :math:`\log\tan\theta_{\max}` against :math:`t` (``tangents`` is ``(T,)`` or ``(T, d)``; the largest is used)."""
    t = _check_times(times)
    tan = as_finite_array("tangents", tangents).astype(np.float64)
    tan = tan if tan.ndim == 1 else tan.max(axis=1)
    if tan.shape[0] != t.shape[0]:
        raise ValueError(f"tangents must have one row per time ({t.shape[0]}), got {tan.shape[0]}")
    if np.any(tan <= 0):
        raise ValueError("tangents must be positive for a log fit (the subspace has converged to round-off; "
                         "use an earlier window)")
    slope, _ = linear_fit(t, np.log(tan))
    return -slope


# ------------------------------------------------------------------------ discrete descent with a retraction
@hashable_cache
def riemannian_step(loss: Callable[..., jnp.ndarray], retraction: str = "qr") -> Callable[..., jnp.ndarray]:
    r"""The step of Riemannian gradient descent on the Grassmannian for ``loss(w, *args)``, invariant under
    :math:`W\mapsto OW`, :math:`O\in O(d)`:

    .. math:: W \leftarrow \operatorname{retr}\big(W - \eta\,\nabla\mathcal L(W)(I - W^\top W)\big)

    (:math:`\nabla` by ``jax.grad``; the projection is applied as :math:`G - (GW^\top)W`, never forming an
    :math:`m\times m` matrix). One cached step per loss and retraction: repeated runs reuse the compiled program."""
    check_callable("loss", loss)
    grad, retr = jax.grad(loss), _RETRACT[check_choice("retraction", retraction, RETRACTIONS)]

    def step(w, lr, *args):
        g = grad(w, *args)
        return retr(w - lr * (g - (g @ w.T) @ w))
    return step


@hashable_cache
def oja_step(retraction: str = "qr") -> Callable[..., jnp.ndarray]:
    r"""The step of Riemannian gradient descent for :math:`-\operatorname{tr}(WSW^\top)` with its gradient
    :math:`-2WS` written out, ``step(w, lr, s)``: :math:`W\leftarrow\operatorname{retr}\big(W +
    2\eta\,WS(I-W^\top W)\big)`, the explicit Euler step of Oja's flow followed by a retraction."""
    retr = _RETRACT[check_choice("retraction", retraction, RETRACTIONS)]

    def step(w, lr, s):
        ws = w @ s
        return retr(w + 2 * lr * (ws - (ws @ w.T) @ w))
    return step


@cache
def _oja_pair_step(retraction: str) -> Callable[..., tuple]:
    # the state (W, S) of a batch of problems with different S (the engine shares args across a batch)
    step = oja_step(retraction)

    def pair_step(state, lr):
        w, s = state
        return step(w, lr, s), s
    return pair_step


def _weights(state):
    return state[0]


def riemannian_descent(loss: Callable[..., jnp.ndarray], w0, lr: float, steps: int, args: Sequence = (),
                       record_every: int = 1, retraction: str = "qr") -> dynamics.Trajectory:
    r"""Riemannian gradient descent (:func:`riemannian_step`) from ``w0`` (orthonormal rows).

    Args:
        loss: ``loss(w, *args)``, traceable and invariant under :math:`W\mapsto OW`; data go through ``args``
            (the engine refuses closures over arrays in steps).
        w0: the start (``(d, m)``, :math:`W_0W_0^\top = I_d`).
        lr: the step size :math:`\eta`.
        steps: the number of steps (a multiple of ``record_every``).
        args: arrays ``loss`` takes after ``w``.
        record_every: the recording interval in steps.
        retraction: ``"qr"`` or ``"polar"``.

    Returns:
        A :class:`kernel_ssl.dynamics.Trajectory` whose ``records`` are the weights, ``(steps // record_every + 1,
        d, m)``.
    """
    check_callable("loss", loss)
    w = check_orthonormal_rows("w0", w0)
    if not isinstance(args, (tuple, list)):
        raise TypeError(f"args must be a tuple of the arrays loss takes after w, got {type(args).__name__}")
    record_every = _check_record_every(steps, record_every)
    step = riemannian_step(loss, retraction)
    precision.require_float64("grassmann.riemannian_descent")
    return dynamics.descend(step, jnp.asarray(w), lr, steps, args=tuple(args),
                            record_at=dynamics.record_steps(steps, every=record_every))


def grassmann_descent(w0, s, lr: float, steps: int, record_every: int = 1,
                      retraction: str = "qr") -> dynamics.Trajectory:
    r"""Riemannian gradient descent for :math:`-\operatorname{tr}(WSW^\top)` (:func:`oja_step`) from ``w0``.

    Args:
        w0: the start (``(d, m)``, orthonormal rows).
        s: the symmetric matrix :math:`S` (``(m, m)``).
        lr: the step size :math:`\eta`.
        steps: the number of steps (a multiple of ``record_every``).
        record_every: the recording interval in steps.
        retraction: ``"qr"`` or ``"polar"``.

    Returns:
        A :class:`kernel_ssl.dynamics.Trajectory` of the weights, ``records`` ``(steps // record_every + 1, d, m)``.
    """
    w, sm = _check_start_and_matrix(w0, s, orthonormal=True)
    record_every = _check_record_every(steps, record_every)
    step = oja_step(retraction)
    precision.require_float64("grassmann.grassmann_descent")
    return _grassmann_descent(w, sm, lr, dynamics.record_steps(steps, every=record_every), step)


def _grassmann_descent(w: np.ndarray, s: np.ndarray, lr: float, record_at: np.ndarray,
                       step: Callable | None = None) -> dynamics.Trajectory:
    return dynamics.descend(step or oja_step("qr"), jnp.asarray(w), lr, int(record_at[-1]),
                            args=(jnp.asarray(s),), record_at=record_at)


def grassmann_descent_batch(w0s, ss, lr: float, steps: int, record_every: int = 1,
                            retraction: str = "qr") -> dynamics.Trajectory:
    """:func:`grassmann_descent` for a stack of independent problems (``w0s`` ``(B, d, m)``, ``ss`` ``(B, m, m)``)
    run side by side in one compiled program; ``records`` is ``(B, steps // record_every + 1, d, m)``.

    Args:
        w0s: the starts, each with orthonormal rows.
        ss: the symmetric matrices, one per start.
        lr: the step size :math:`\\eta` (shared).
        steps: the number of steps (a multiple of ``record_every``).
        record_every: the recording interval in steps.
        retraction: ``"qr"`` or ``"polar"``.
    """
    w = as_finite_array("w0s", w0s, ndim=3).astype(np.float64)
    sa = as_finite_array("ss", ss, ndim=3).astype(np.float64)
    if sa.shape[0] != w.shape[0]:
        raise ValueError(f"w0s and ss must hold the same number of problems, got {w.shape[0]} and {sa.shape[0]}")
    for b in range(w.shape[0]):
        _check_start_and_matrix(w[b], sa[b], orthonormal=True, w_name=f"w0s[{b}]", s_name=f"ss[{b}]")
    step = _oja_pair_step(check_choice("retraction", retraction, RETRACTIONS))
    precision.require_float64("grassmann.grassmann_descent_batch")
    return _grassmann_descent_batch(w, sa, lr, dynamics.record_steps(steps, every=record_every), step)


def _grassmann_descent_batch(w: np.ndarray, s: np.ndarray, lr: float, record_at: np.ndarray,
                             step: Callable | None = None) -> dynamics.Trajectory:
    return dynamics.descend(step or _oja_pair_step("qr"), (jnp.asarray(w), jnp.asarray(s)), lr, int(record_at[-1]),
                            observe=_weights, record_at=record_at, batched=True)


# ----------------------------------------------------- two-layer model with a fixed random first layer
def _features(xs: np.ndarray, layer: jnp.ndarray) -> np.ndarray:
    # Phi (N, M) of the stacked views for one first layer (models.random_features), in float64
    return np.asarray(models._random_features(jnp.asarray(xs, dtype=layer.dtype), layer), dtype=np.float64)


def _nngp(xs: np.ndarray) -> np.ndarray:
    # K_inf of the random features: the ReLU NNGP without bias (kernels.closed_form_nngp), in float64
    return np.asarray(kernels.closed_form_nngp(jnp.asarray(xs), jnp.asarray(xs), "relu", 0.0), dtype=np.float64)


def reduced_matrix(k, n_pairs: int, loss: str) -> np.ndarray:
    r""":math:`\tilde S = K^{1/2}\Omega K^{1/2}` (``(N, N)``): the matrix of Oja's flow in the coordinates
    :math:`W = YK^{-1/2}\Phi` (theorem *reduction* of the chapter). It depends on the width only through ``k``."""
    n = check_positive_int("n_pairs", n_pairs, minimum=2)
    check_choice("loss", loss, LOSSES)
    k = as_finite_array("k", k, ndim=2)
    if np.shape(k) != (2 * n, 2 * n):
        raise ValueError(f"k must be (2n, 2n) = ({2 * n}, {2 * n}) for n_pairs = {n}, got {np.shape(k)}")
    return _reduced_matrix(linalg.psd_sqrt(k, name="k")[0], _pair_weights(n, loss))


def _reduced_matrix(root: np.ndarray, omega: np.ndarray) -> np.ndarray:
    s = root @ omega @ root
    return (s + s.T) / 2


def _whitened_features(phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Psi, K) with Psi = K^-1/2 Phi (orthonormal rows) for features Phi (N, M), M >= N, K = Phi Phi^T."""
    n, width = phi.shape
    if width < n:
        raise ValueError(f"features must have at least as many columns (width) as rows (views): got {width} < {n}; "
                         f"K = Phi Phi^T is then singular")
    k = phi @ phi.T
    try:
        factor = linalg.factor_gram(k)
    except ValueError as err:
        raise ValueError(f"K = Phi Phi^T is (numerically) singular (condition number above "
                         f"{linalg.MAX_CONDITION:g}); use a larger width") from err
    u = factor.eigenvectors
    return (u / np.sqrt(factor.eigenvalues)) @ u.T @ phi, k


def span_initialisation(features, y0) -> np.ndarray:
    r""":math:`W_0 = Y_0K^{-1/2}\Phi` (``(d, M)``): a start in the span of the training features with orthonormal
    rows, given orthonormal :math:`Y_0` (``(d, N)``). Its outputs :math:`F_0 = K^{1/2}Y_0^\top` depend on the width
    only through :math:`K`."""
    psi, _ = _whitened_features(as_finite_array("features", features, ndim=2).astype(np.float64))
    y = as_finite_array("y0", y0, ndim=2)
    if y.shape[1] != psi.shape[0]:
        raise ValueError(f"y0 must have {psi.shape[0]} columns (one per view), got shape {y.shape}")
    return check_orthonormal_rows("y0", y) @ psi


def network_gram(features, ws) -> np.ndarray:
    r"""Learned kernel on the training views, :math:`FF^\top = \Phi W^\top W\Phi^\top`, for ``(d, M)`` or
    ``(T, d, M)``."""
    phi = as_finite_array("features", features, ndim=2).astype(np.float64)
    return _outputs_gram(phi, _check_stack("ws", ws, phi.shape[1], "columns (the width)"))


def reduced_gram(k, ys) -> np.ndarray:
    r"""The same kernel from the reduced coordinates: :math:`K^{1/2}Y^\top YK^{1/2}`, for ``(d, N)`` or
    ``(T, d, N)``."""
    root = linalg.psd_sqrt(k, name="k")[0]
    return _outputs_gram(root, _check_stack("ys", ys, root.shape[1], "columns"))


def _check_stack(name: str, ws, p: int, what: str) -> np.ndarray:
    wa = as_finite_array(name, ws).astype(np.float64)
    if wa.ndim not in (2, 3) or wa.shape[-1] != p:
        raise ValueError(f"{name} must be (d, {p}) or (T, d, {p}) with {p} {what}, got shape {wa.shape}")
    return wa


def _outputs_gram(a: np.ndarray, ws: np.ndarray) -> np.ndarray:
    # F F^T with F = A W^T, for one (d, p) matrix W or a stack (T, d, p)
    f = a @ _columns(ws)
    return f @ _columns(f)


def constrained_tangent_kernel(features, w) -> np.ndarray:
    r"""Tangent kernel of the constrained read-out on the training views,
    :math:`\Theta = \Phi(I-W^\top W)\Phi^\top = K - FF^\top` (times :math:`I_d`): the function-space flow is
    :math:`\dot F = -\Theta\,\nabla_F\ell`."""
    phi = as_finite_array("features", features, ndim=2).astype(np.float64)
    wa = _check_stack("w", w, phi.shape[1], "columns (the width)")
    if wa.ndim != 2:
        raise ValueError(f"w must be one (d, {phi.shape[1]}) read-out, got shape {wa.shape}")
    return phi @ phi.T - _outputs_gram(phi, wa)


def _readout_tangent_kernel(phi: jnp.ndarray, w: jnp.ndarray) -> np.ndarray:
    # the read-out's own tangent kernel sum_W dF/dW (x) dF/dW, (N d, N d), by automatic differentiation of
    # F = Phi W^T: measured, not assumed (it is K (x) I_d whatever W is: the features do not move)
    jac = jax.jacrev(lambda v: phi @ v.T)(w).reshape(phi.shape[0] * w.shape[0], -1)
    return np.asarray(jac @ jac.T)


@hashable_cache
def readout_loss(loss: str) -> Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]:
    r"""``readout(w, features)``: the loss of the read-out :math:`W` through the network's outputs
    :math:`F=\Phi W^\top` on the stacked views, from its definition (:mod:`kernel_ssl.losses`; nothing uses
    :math:`S`). A loss for :func:`riemannian_descent` with ``args=(features,)``; one cached object per loss."""
    stacked = losses.stacked(_PAIR_LOSSES[check_choice("loss", loss, LOSSES)])

    def readout(w, features):
        return stacked(features @ w.T)
    return readout


# ------------------------------------------------------------------------------------ chapter experiments
@dataclass(frozen=True)
class Collapse:
    """Experiment 1: unconstrained descent until the collapse bound reaches its target. ``t`` the recorded
    times, ``ratios`` and ``ratios_theory`` :math:`\\sigma_k/\\sigma_1` (``(T, d)``) of the descent and of
    :math:`W_0e^{2St}`, ``bound`` the theorem's bound on :math:`\\sigma_2/\\sigma_1` (``(T,)``)."""
    t: np.ndarray
    ratios: np.ndarray
    ratios_theory: np.ndarray
    bound: np.ndarray


def collapse_experiment(w0, s, lr: float, target: float = 1e-3, record_time: float = 0.1) -> Collapse:
    r"""Run :func:`unconstrained_descent` from ``w0`` until the collapse bound
    :math:`\frac{\lVert W_0\rVert_2}{\lVert W_0q_1\rVert}e^{-2(\mu_1-\mu_2)t}` equals ``target``, recording every
    ``record_time``, and compare with the closed form.

    Args:
        w0: the start (``(d, m)``).
        s: the symmetric matrix :math:`S` (with :math:`\mu_1 > \mu_2`).
        lr: the step size :math:`\eta` (``record_time`` must be at least ``lr``).
        target: the value of the bound at the end of the run.
        record_time: the time between records.

    Returns:
        A :class:`Collapse`.
    """
    w, sm = _check_start_and_matrix(w0, s, orthonormal=False)
    lr, target = check_positive_float("lr", lr), check_positive_float("target", target, maximum=1.0)
    record = _record_interval(record_time, lr)
    precision.require_float64("grassmann.collapse_experiment")
    mu, vec = linalg.descending_eigh(sm)
    prefactor = np.linalg.norm(w, 2) / np.linalg.norm(w @ vec[:, 0])
    collapse_time = np.log(prefactor / target) / _predicted_rate(mu, 1)
    steps = int(np.ceil(collapse_time / (lr * record))) * record
    run = _unconstrained_descent(w, sm, lr, dynamics.record_steps(steps, every=record))
    theory = _unconstrained_closed_form(w, mu, vec, run.t)
    return Collapse(t=run.t, ratios=normalised_singular_values(run.records),
                    ratios_theory=normalised_singular_values(theory),
                    bound=prefactor * np.exp(-_predicted_rate(mu, 1) * run.t))


def _record_interval(record_time: float, lr: float, even: bool = False) -> int:
    record_time = check_positive_float("record_time", record_time)
    unit = 2 if even else 1
    record = unit * int(round(record_time / (unit * lr)))
    if record < unit:
        raise ValueError(f"record_time ({record_time:g}) must be at least {unit} step(s) of lr = {lr:g}")
    return record


@dataclass(frozen=True)
class GrassmannRun:
    """Experiment 2: Riemannian descent on :math:`-\\operatorname{tr}(WSW^\\top)` against the closed form.

    ``t`` the recorded times; ``tan_measured``/``tan_theory`` (``(T, d)``) the tangents of the principal angles to
    the top-``d`` eigenspace; ``projector_error`` (``(T,)``) the subspace distance (:func:`linalg.projector_distance`)
    between the descent and the closed form, ``max_projector_error`` its largest value; ``step_halving_ratio`` the
    largest error at twice the step over it; ``orthonormality_error`` the largest :math:`\\lVert WW^\\top-I\\rVert_F`;
    ``final_angle_deg`` the last largest angle; ``rate`` :math:`2(\\mu_d-\\mu_{d+1})`."""
    t: np.ndarray
    tan_measured: np.ndarray
    tan_theory: np.ndarray
    projector_error: np.ndarray
    max_projector_error: float
    step_halving_ratio: float
    orthonormality_error: float
    final_angle_deg: float
    rate: float


def grassmann_experiment(w0, s, lr: float, horizon: float, record_time: float = 0.2) -> GrassmannRun:
    r"""Run :func:`grassmann_descent` (QR retraction) from ``w0`` to time ``horizon`` at step ``lr`` and at ``2 lr``,
    and compare both with :func:`oja_closed_form` and :func:`closed_form_tangents`.

    Args:
        w0: the start (``(d, m)``, orthonormal rows).
        s: the symmetric matrix :math:`S` (with :math:`\mu_d > \mu_{d+1}`).
        lr: the step size :math:`\eta`.
        horizon: the training time.
        record_time: the time between records (rounded to an even number of steps).

    Returns:
        A :class:`GrassmannRun`.
    """
    w, sm = _check_start_and_matrix(w0, s, orthonormal=True)
    lr, horizon = check_positive_float("lr", lr), check_positive_float("horizon", horizon)
    if horizon / lr > dynamics.MAX_STEPS:
        raise ValueError(f"horizon / lr = {horizon / lr:.3g} steps, more than the engine runs "
                         f"({dynamics.MAX_STEPS:g}): shorten horizon or raise lr")
    record = _record_interval(record_time, lr, even=True)   # the run at 2 lr records at the same times
    precision.require_float64("grassmann.grassmann_experiment")
    steps = max(1, int(round(horizon / (lr * record)))) * record
    run = _grassmann_descent(w, sm, lr, dynamics.record_steps(steps, every=record))
    coarse = _grassmann_descent(w, sm, 2 * lr, dynamics.record_steps(steps // 2, every=record // 2))
    closed = row_projector(_oja_closed_form(w, sm, run.t))
    error = linalg.projector_distance(row_projector(run.records), closed)
    coarse_error = linalg.projector_distance(row_projector(coarse.records), closed)
    mu, vec = linalg.descending_eigh(sm)
    tan_measured = np.tan(linalg.principal_angles(_columns(run.records), vec[:, :w.shape[0]]))
    return GrassmannRun(t=run.t, tan_measured=tan_measured, tan_theory=_closed_form_tangents(w, sm, run.t),
                        projector_error=error, max_projector_error=float(error.max()),
                        step_halving_ratio=float(coarse_error.max() / error.max()),
                        orthonormality_error=float(_orthonormality_error(run.records).max()),
                        final_angle_deg=float(np.degrees(np.arctan(tan_measured[-1, 0]))),
                        rate=_predicted_rate(mu, w.shape[0]))


@dataclass(frozen=True)
class Rates:
    """Experiment 3: ``measured`` decay rates of :math:`\\tan\\theta_1` (fitted) and ``predicted``
    :math:`2(\\mu_d-\\mu_{d+1})`, one per eigengap in ``gaps``; ``rel_error`` the largest relative difference."""
    gaps: np.ndarray
    measured: np.ndarray
    predicted: np.ndarray
    rel_error: float


def rate_experiment(key: jax.Array, gaps, lr: float, decay: float = 10.0, record_time: float = 0.05) -> Rates:
    r"""For each eigengap :math:`g`, a random :math:`S\in\mathbb R^{10\times10}` with eigenvalues :math:`1, 0.6, 0.6-g`
    and seven more in :math:`[-1,-0.2]`, and a random start with :math:`d=2`; all run side by side
    (:func:`grassmann_descent_batch`) until each run's rate bound has fallen by :math:`e^{-\text{decay}}`; the rate
    is fitted over the second half of each run, where the faster modes (decaying at least twice as fast) are gone.

    Args:
        key: the PRNG key of the matrices and starts.
        gaps: the eigengaps :math:`\mu_2-\mu_3`, in :math:`(0, 0.4]`.
        lr: the step size :math:`\eta`.
        decay: the log-decay of the bound at each run's horizon.
        record_time: the time between records.

    Returns:
        A :class:`Rates`.
    """
    key = check_key("key", key)
    g = as_finite_array("gaps", gaps, ndim=1).astype(np.float64)
    if np.any(g <= 0) or np.any(g > 0.4):
        raise ValueError("gaps must lie in (0, 0.4] (mu_3 = 0.6 - gap stays above the rest of the spectrum)")
    lr, decay = check_positive_float("lr", lr), check_positive_float("decay", decay)
    record = _record_interval(record_time, lr)
    precision.require_float64("grassmann.rate_experiment")
    keys = [jax.random.fold_in(key, i) for i in range(len(g))]
    ss = np.stack([_spectrum_matrix(k, np.concatenate([[1.0, 0.6, 0.6 - gap], np.linspace(-0.2, -1.0, 7)]))
                   for k, gap in zip(keys, g, strict=True)])
    w0s = np.stack([_random_orthonormal(jax.random.fold_in(k, 1), 2, 10) for k in keys])
    horizons = decay / (2 * g)
    steps = int(round(horizons.max() / (lr * record))) * record
    runs = _grassmann_descent_batch(w0s, ss, lr, dynamics.record_steps(steps, every=record))
    t = runs.t
    measured, predicted = [], []
    for path, s, t_end in zip(runs.records, ss, horizons, strict=True):
        window = (t >= t_end / 2) & (t <= t_end)
        mu, vec = linalg.descending_eigh(s)
        measured.append(fit_rate(t[window], np.tan(linalg.principal_angles(_columns(path[window]), vec[:, :2]))))
        predicted.append(_predicted_rate(mu, 2))
    measured, predicted = np.array(measured), np.array(predicted)
    return Rates(gaps=g, measured=measured, predicted=predicted,
                 rel_error=float(np.max(np.abs(measured / predicted - 1))))


def _check_width_sweep(key, x_stacked, widths: Sequence[int], y0,
                       loss: str) -> tuple[jax.Array, np.ndarray, int, list[int], np.ndarray, np.ndarray]:
    """The one check of a sweep over first-layer widths: the key, the 2n stacked views, n, the widths (at least
    two, each at least 2n so that the features can span the sample), the orthonormal start Y0 (d, 2n) and the pair
    weights of ``loss``."""
    key = check_key("key", key)
    xs = check_stacked_views("x_stacked", x_stacked).astype(np.float64)
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least 2 widths, got {list(widths)}")
    widths = [check_positive_int(f"widths[{i}]", w, minimum=xs.shape[0]) for i, w in enumerate(widths)]
    y = _check_reduced_start(y0, xs.shape[0])
    n = xs.shape[0] // 2
    return key, xs, n, widths, y, _pair_weights(n, check_choice("loss", loss, LOSSES))


def _check_reduced_start(y0, n_views: int) -> np.ndarray:
    y = check_orthonormal_rows("y0", y0)
    if y.shape[1] != n_views:
        raise ValueError(f"y0 must have {n_views} columns (one per view), got shape {y.shape}")
    return y


@dataclass(frozen=True)
class WidthGaps:
    r"""Experiment 4, per width (rows) and draw of the first layer (columns): ``trajectory_gap``
    :math:`\max_t\lVert F_MF_M^\top-F_\infty F_\infty^\top\rVert_F/\max_t\lVert F_\infty F_\infty^\top\rVert_F`,
    ``kernel_error`` :math:`\lVert K_M-K_\infty\rVert_F/\lVert K_\infty\rVert_F` and ``perturbation``
    :math:`\lVert\tilde S_M-\tilde S_\infty\rVert_2/(\mu_d-\mu_{d+1})` (both :math:`\tilde S` divided by
    :math:`\lVert\tilde S_\infty\rVert_2`: the Davis–Kahan ratio). ``asymptotic`` marks the widths at which every
    draw has ``perturbation`` at most ``regime``: there the subspace responds linearly to :math:`K_M-K_\infty`, and
    ``gap_slope`` (a :class:`kernel_ssl.fitting.SlopeInterval`) is fitted to every draw's gap at those widths;
    ``gap_slope_all_widths`` is the slope of the mean gap over all widths, ``kernel_error_slope`` that of the mean
    kernel error. ``times`` (in units of ``time_unit`` :math:`=1/\lVert\tilde S_\infty\rVert_2`, up to
    ``horizon``), ``k_inf`` :math:`K_\infty`, ``eigengap`` :math:`\mu_d-\mu_{d+1}` of
    :math:`\tilde S_\infty/\lVert\tilde S_\infty\rVert_2`."""
    widths: np.ndarray
    trajectory_gap: np.ndarray
    kernel_error: np.ndarray
    perturbation: np.ndarray
    asymptotic: np.ndarray
    regime: float
    gap_slope: SlopeInterval
    gap_slope_all_widths: float
    kernel_error_slope: float
    times: np.ndarray
    horizon: float
    time_unit: float
    eigengap: float
    k_inf: np.ndarray


def width_trajectory_gaps(key: jax.Array, x_stacked, widths: Sequence[int], y0, loss: str, repeats: int = 1,
                          relaxation_times: float = 10.0, n_times: int = 41, regime: float = 0.5) -> WidthGaps:
    r"""The learned kernel :math:`F_M(t)F_M(t)^\top=K_M^{1/2}P_M(t)K_M^{1/2}` along the closed-form flow with
    :math:`\tilde S_M/\lVert\tilde S_\infty\rVert_2`, for each width and draw of the first layer, against the same
    with :math:`K_\infty` (:func:`kernel_ssl.kernels.closed_form_nngp`, ReLU, no bias), up to ``relaxation_times``
    times :math:`1/(2(\mu_d-\mu_{d+1}))` of the limit. The features are :func:`kernel_ssl.models.random_features`;
    the widths of one draw are nested (prefixes of the widest layer: one draw, one compiled program).

    The law :math:`O(M^{-1/2})` of the corollary is a linear-response statement: it holds once
    :math:`\lVert\tilde S_M-\tilde S_\infty\rVert_2` is small against the eigengap (Davis–Kahan), so the slope is
    fitted only at the widths where that ratio is at most ``regime`` for every draw (at least two widths needed).

    Args:
        key: the PRNG key of the first layers.
        x_stacked: the stacked views :math:`\tilde X` (``(2n, m)``).
        widths: at least two widths, each at least :math:`2n`.
        y0: the common start :math:`Y_0` (``(d, 2n)``, orthonormal rows).
        loss: ``"contrastive"`` or ``"non_contrastive"`` (the limit needs an eigengap: contrastive).
        repeats: draws of the first layer.
        relaxation_times: the horizon in relaxation times of the limit flow.
        n_times: the number of times compared.
        regime: the largest Davis–Kahan ratio of a width in the fit, in (0, 1].

    Returns:
        A :class:`WidthGaps`.
    """
    key, xs, n, widths, y, omega = _check_width_sweep(key, x_stacked, widths, y0, loss)
    repeats = check_positive_int("repeats", repeats)
    relaxation_times = check_positive_float("relaxation_times", relaxation_times)
    n_times = check_positive_int("n_times", n_times, minimum=2)
    regime = check_positive_float("regime", regime, maximum=1.0)
    precision.require_float64("grassmann.width_trajectory_gaps")   # K_inf^1/2 and the closed forms in float64
    k_inf = _nngp(xs)
    root_inf = linalg.psd_sqrt(k_inf)[0]
    s_inf = _reduced_matrix(root_inf, omega)
    scale = np.linalg.norm(s_inf, 2)
    rate = _predicted_rate(linalg.descending_eigh(s_inf / scale)[0], y.shape[0])
    t = np.linspace(0.0, relaxation_times / rate, n_times)
    g_inf = _outputs_gram(root_inf, _oja_closed_form(y, s_inf / scale, t))
    g_norm = np.linalg.norm(g_inf, axis=(1, 2)).max()
    gap, kernel_error, perturbation = (np.empty((len(widths), repeats)) for _ in range(3))
    for j, k in enumerate(jax.random.split(key, repeats)):
        # nested widths: prefixes of one layer, so the unscaled features are computed once per draw and
        # K_M = sigma_M sigma_M^T / M of the first M of them (models.random_features, in float64)
        layer = np.asarray(models._random_first_layer(k, max(widths), xs.shape[1]), dtype=np.float64)
        hidden = np.maximum(xs @ layer.T / np.sqrt(xs.shape[1]), 0.0)
        for i, width in enumerate(widths):
            k_m = hidden[:, :width] @ hidden[:, :width].T / width
            root = linalg.psd_sqrt(k_m)[0]
            s_m = _reduced_matrix(root, omega)
            g_m = _outputs_gram(root, _oja_closed_form(y, s_m / scale, t))
            gap[i, j] = np.linalg.norm(g_m - g_inf, axis=(1, 2)).max() / g_norm
            kernel_error[i, j] = np.linalg.norm(k_m - k_inf) / np.linalg.norm(k_inf)
            perturbation[i, j] = np.linalg.norm(s_m - s_inf, 2) / scale / (rate / 2)
    asymptotic = perturbation.max(axis=1) <= regime
    if asymptotic.sum() < 2:
        raise ValueError(f"at most one width has a Davis-Kahan ratio below regime = {regime:g} (ratios "
                         f"{np.round(perturbation.max(axis=1), 2).tolist()}): add larger widths to fit the law")
    w = np.array(widths)
    return WidthGaps(widths=w, trajectory_gap=gap, kernel_error=kernel_error, perturbation=perturbation,
                     asymptotic=asymptotic, regime=regime,
                     gap_slope=loglog_slope_interval(np.repeat(w[asymptotic], repeats), gap[asymptotic].ravel()),
                     gap_slope_all_widths=loglog_slope(widths, gap.mean(axis=1))[0],
                     kernel_error_slope=loglog_slope(widths, kernel_error.mean(axis=1))[0],
                     times=t, horizon=float(t[-1]), time_unit=float(1.0 / scale), eigengap=rate / 2, k_inf=k_inf)


@dataclass(frozen=True)
class ConstrainedTraining:
    r"""Experiment 6, per width: ``kernel_change`` :math:`\lVert\Theta_T-\Theta_0\rVert_F/\lVert\Theta_0\rVert_F` of
    the constrained tangent kernel (and its log-log ``kernel_change_slope``), ``reduction_error`` the largest
    relative difference between the network's learned kernel and that of the descent in the reduced coordinates;
    ``change_limit`` the same change for the infinite-width flow (closed form with :math:`K_\infty`)."""
    widths: np.ndarray
    kernel_change: np.ndarray
    reduction_error: np.ndarray
    kernel_change_slope: float
    change_limit: float


def constrained_training_sweep(key: jax.Array, x_stacked, widths: Sequence[int], y0, loss: str, lr: float,
                               steps: int, time_unit: float, n_records: int = 10) -> ConstrainedTraining:
    r"""Train the constrained read-out of the random-feature network at each width (nested prefixes of one first
    layer drawn from ``key``) by :func:`riemannian_descent` on the loss of its outputs (:func:`readout_loss`,
    ``jax.grad``), from :func:`span_initialisation`, with the step ``lr * time_unit``; alongside, the same descent
    in the reduced coordinates with :math:`\tilde S_M` (:func:`reduced_matrix`) in units of ``time_unit``.

    Args:
        key: the PRNG key of the first layer.
        x_stacked: the stacked views :math:`\tilde X` (``(2n, m)``).
        widths: at least two widths, each at least :math:`2n`.
        y0: the start :math:`Y_0` (``(d, 2n)``, orthonormal rows).
        loss: ``"contrastive"`` or ``"non_contrastive"``.
        lr: the step size in units of ``time_unit``; the horizon is ``lr * steps``.
        steps: the number of steps (a multiple of ``n_records``).
        time_unit: the time unit (:attr:`WidthGaps.time_unit`).
        n_records: the number of recorded intervals compared for the reduction.

    Returns:
        A :class:`ConstrainedTraining`.
    """
    key, xs, n, widths, y, omega = _check_width_sweep(key, x_stacked, widths, y0, loss)
    lr, time_unit = check_positive_float("lr", lr), check_positive_float("time_unit", time_unit)
    n_records = check_positive_int("n_records", n_records)
    record_at = dynamics.record_steps(steps, every=check_positive_int("steps", steps) // n_records)
    precision.require_float64("grassmann.constrained_training_sweep")
    step = riemannian_step(readout_loss(loss))
    kernel_change, reduction_error = np.empty(len(widths)), np.empty(len(widths))
    layer = models._random_first_layer(key, max(widths), xs.shape[1])   # nested widths: prefixes of one layer
    for i, width in enumerate(widths):
        phi = _features(xs, layer[:width])
        psi, k_m = _whitened_features(phi)
        ws = dynamics.descend(step, jnp.asarray(y @ psi), lr * time_unit, steps, args=(jnp.asarray(phi),),
                              record_at=record_at).records
        del psi   # (N, M) in float64: not needed past the start
        theta0, theta = k_m - _outputs_gram(phi, ws[0]), k_m - _outputs_gram(phi, ws[-1])
        kernel_change[i] = np.linalg.norm(theta - theta0) / np.linalg.norm(theta0)
        root = linalg.psd_sqrt(k_m)[0]
        ys = _grassmann_descent(y, _reduced_matrix(root, omega) * time_unit, lr, record_at).records
        g_net, g_red = _outputs_gram(phi, ws), _outputs_gram(root, ys)
        reduction_error[i] = (np.linalg.norm(g_net - g_red, axis=(1, 2)).max()
                              / np.linalg.norm(g_red, axis=(1, 2)).max())
    k_inf = _nngp(xs)
    root_inf = linalg.psd_sqrt(k_inf)[0]
    g_lim = _outputs_gram(root_inf, _oja_closed_form(y, _reduced_matrix(root_inf, omega) * time_unit,
                                                     np.array([0.0, lr * steps])))
    return ConstrainedTraining(widths=np.array(widths), kernel_change=kernel_change, reduction_error=reduction_error,
                               kernel_change_slope=loglog_slope(widths, kernel_change)[0],
                               change_limit=float(np.linalg.norm(g_lim[1] - g_lim[0])
                                                  / np.linalg.norm(k_inf - g_lim[0])))


# ------------------------------------------------------------- the NTK linearisation of the constrained flow
def _frozen_step(f: jnp.ndarray, lr: float, generator: jnp.ndarray) -> jnp.ndarray:
    # explicit Euler step of dF/dt = 2 Theta_0 Omega F (generator = Theta_0 Omega in the time unit)
    return f + 2 * lr * generator @ f


@dataclass(frozen=True)
class FrozenKernel:
    r"""Experiment 5: the exact infinite-width constrained flow against its NTK linearisation (the tangent kernel
    :math:`\Theta_0=K-F_0F_0^\top` frozen at :math:`t=0`), on the times ``t`` (units of
    :math:`1/\lVert\tilde S\rVert_2`). ``frozen_ratio`` :math:`\sigma_d/\sigma_1` of the frozen flow's :math:`F`,
    ``frozen_norm_growth`` :math:`\lVert F(t)\rVert_2/\lVert F_0\rVert_2`, ``frozen_constraint_error``
    :math:`\lVert F^\top K^{-1}F-I_d\rVert_F` (0 on the constraint set); ``exact_ratios`` :math:`\sigma_k/\sigma_1`
    (``(T, d)``) of the exact flow's :math:`F=K^{1/2}Y^\top`; ``endpoint_ratios`` the same for its end point
    :math:`K^{1/2}U_d` (top-:math:`d` eigenvectors of :math:`\tilde S`). ``nu`` the top :math:`d+1` eigenvalues
    :math:`\nu_k` of :math:`(I-P_0)\tilde S(I-P_0)`, :math:`P_0=Y_0^\top Y_0`; ``rate_predicted``
    :math:`2(\nu_1-\nu_d)` and ``rate`` the decay rate of ``frozen_ratio`` fitted over ``window``, where the
    corrections :math:`e^{-\gamma t}`, :math:`\gamma=2\min(\nu_1-\nu_2,\nu_d-\nu_{d+1},\nu_d)`, have fallen to
    :math:`e^{-\text{settle}}`; ``settled_rate`` the local rate at the window's start."""
    t: np.ndarray
    frozen_ratio: np.ndarray
    frozen_norm_growth: np.ndarray
    frozen_constraint_error: np.ndarray
    exact_ratios: np.ndarray
    endpoint_ratios: np.ndarray
    nu: np.ndarray
    rate: float
    rate_predicted: float
    window: tuple[float, float]


def frozen_kernel_experiment(k, y0, loss: str = "contrastive", lr: float = 1e-3, final_ratio: float = 1e-10,
                             settle: float = 1.5, record_time: float = 0.05) -> FrozenKernel:
    r"""Run the NTK linearisation :math:`\dot F=2\Theta_0\Omega F` of the constrained flow (explicit Euler steps of
    size ``lr`` by :func:`kernel_ssl.dynamics.descend`) from :math:`F_0=K^{1/2}Y_0^\top` until its predicted ratio
    :math:`e^{-2(\nu_1-\nu_d)t}` is ``final_ratio``, and beside it the exact flow (closed form of Oja's flow with
    :math:`\tilde S=K^{1/2}\Omega K^{1/2}`), both with :math:`\tilde S/\lVert\tilde S\rVert_2`.

    Prediction (the chapter's proposition *frozen kernel*): with :math:`F=K^{1/2}G`,
    :math:`\dot G=2(I-P_0)\tilde SG`, so the component of :math:`G` in :math:`\operatorname{range}P_0` stays
    :math:`Y_0^\top` while the rest grows along the eigenvectors of :math:`(I-P_0)\tilde S(I-P_0)`:
    :math:`\sigma_k(F)\sim e^{2\nu_kt}` and :math:`\sigma_d/\sigma_1\sim e^{-2(\nu_1-\nu_d)t}`.

    Args:
        k: the kernel :math:`K` on the ``N`` training views (``(N, N)``, positive definite).
        y0: the start :math:`Y_0` (``(d, N)``, orthonormal rows).
        loss: ``"contrastive"`` or ``"non_contrastive"``.
        lr: the Euler step of the frozen flow (its relative rate error is about :math:`\eta(\nu_1+\nu_d)`).
        final_ratio: the predicted :math:`\sigma_d/\sigma_1` at the end, in (1e-13, 1): above float64 round-off.
        settle: the log-decay of the corrections at the start of the fit window.
        record_time: the time between records.

    Returns:
        A :class:`FrozenKernel`.
    """
    as_finite_array("k", k, ndim=2)
    try:
        factor = linalg.factor_gram(k)   # refuses a singular K: the reduced coordinates need K^-1/2
    except ValueError as exc:   # factor_gram names its own argument: say k
        raise ValueError(re.sub(r"^gram\b", "k", str(exc))) from exc
    n_views = factor.eigenvalues.shape[0]
    if n_views % 2:
        raise ValueError(f"k must be (2n, 2n) for n pairs, got {n_views} views")
    y = _check_reduced_start(y0, n_views)
    omega = _pair_weights(n_views // 2, check_choice("loss", loss, LOSSES))
    lr = check_positive_float("lr", lr)
    final_ratio = check_positive_float("final_ratio", final_ratio, maximum=1.0)
    if final_ratio < 1e-13:   # sigma_d / sigma_1 of a float64 SVD is round-off below about 1e-15
        raise ValueError(f"final_ratio must be at least 1e-13 (float64 resolves sigma_d / sigma_1 down to about "
                         f"1e-15), got {final_ratio:g}")
    settle = check_positive_float("settle", settle)
    record = _record_interval(record_time, lr)
    precision.require_float64("grassmann.frozen_kernel_experiment")
    return _frozen_kernel_experiment(factor, y, omega, lr, final_ratio, settle, record)


def _frozen_kernel_experiment(factor: linalg.GramFactor, y: np.ndarray, omega: np.ndarray, lr: float,
                              final_ratio: float, settle: float, record: int) -> FrozenKernel:
    d = y.shape[0]
    u, lam = factor.eigenvectors, factor.eigenvalues
    root, inv_root = (u * np.sqrt(lam)) @ u.T, (u / np.sqrt(lam)) @ u.T
    k = (u * lam) @ u.T
    s = _reduced_matrix(root, omega)
    s = s / np.linalg.norm(s, 2)
    free = np.eye(k.shape[0]) - y.T @ y                  # I - P_0
    nu = linalg.descending_eigh(free @ s @ free)[0][:d + 1]
    if nu[d - 1] <= 0:
        raise ValueError(f"(I - P0) S (I - P0) has only {int(np.sum(nu > 0))} positive eigenvalues, fewer than "
                         f"d = {d}: sigma_d of the frozen flow does not grow and there is no collapse rate")
    rate_predicted = float(2 * (nu[0] - nu[d - 1]))
    gamma = 2 * min(nu[0] - nu[1], nu[d - 1] - nu[d], nu[d - 1]) if d > 1 else 2 * nu[0]
    t_start, t_end = settle / gamma, np.log(1 / final_ratio) / rate_predicted
    if t_end <= 1.5 * t_start:
        raise ValueError(f"the fit window [{t_start:.3g}, {t_end:.3g}] is too short: lower final_ratio or settle")
    f0 = root @ y.T
    generator = (k - f0 @ f0.T) @ omega / np.linalg.norm(_reduced_matrix(root, omega), 2)
    steps = int(np.ceil(t_end / (lr * record))) * record
    run = dynamics.descend(_frozen_step, jnp.asarray(f0), lr, steps, args=(jnp.asarray(generator),),
                           record_at=dynamics.record_steps(steps, every=record))
    f, t = np.asarray(run.records), run.t
    sv = np.linalg.svd(f, compute_uv=False)
    g = inv_root @ f
    window = (t >= t_start) & (t <= t_end)
    exact = root @ _columns(_oja_closed_form(y, s, t))
    exact_sv = np.linalg.svd(exact, compute_uv=False)
    end_sv = np.sqrt(linalg.descending_eigh(_columns(top_eigenspace(s, d)).T @ k @ _columns(top_eigenspace(s, d)))[0])
    return FrozenKernel(t=t, frozen_ratio=sv[:, -1] / sv[:, 0], frozen_norm_growth=sv[:, 0] / sv[0, 0],
                        frozen_constraint_error=np.linalg.norm(_columns(g) @ g - np.eye(d), axis=(1, 2)),
                        exact_ratios=exact_sv / exact_sv[:, :1], endpoint_ratios=end_sv / end_sv[0], nu=nu,
                        rate=fit_rate(t[window], sv[window, -1] / sv[window, 0]), rate_predicted=rate_predicted,
                        window=(float(t[window][0]), float(t[window][-1])))


# ----------------------------------------------------------------------------------- centring identities
def centred_operator_identity_error(x, x_prime) -> float:
    r"""Largest relative error of the three identities of the chapter's proposition *centred contrastive
    operator*: :math:`\Omega_{\rm c}=(nZ-J)/(n(n-1))=H_bZH_b/(n-1)`, :math:`S_{\rm c}=\frac{2n}{n-1}\Gamma_{\rm c}`
    (:math:`\Gamma_{\rm c}` of each view centred separately, :func:`kernel_ssl.spectra.pair_cross_correlation`),
    and :math:`\Gamma_{\rm all}=\Gamma_{\rm c}-\frac14(\bar x-\bar x')(\bar x-\bar x')^\top` (centring over all
    :math:`2n` views). Algebraic identities: this checks the code's consistency, not a theory."""
    xa, xb, n = _check_pairs(x, x_prime)
    omega = _pair_weights(n, "contrastive")
    swap = np.asarray(data.pair_swap_matrix(n), dtype=np.float64)
    centre_each = np.kron(np.eye(2), np.eye(n) - np.full((n, n), 1.0 / n))   # H_b = diag(H_n, H_n)
    cross = np.kron(1.0 - np.eye(2), np.ones((n, n)))                         # J
    s_c = _ssl_matrix(np.concatenate([xa, xb]), omega)
    gamma_c = spectra.pair_cross_correlation(xa - xa.mean(axis=0), xb - xb.mean(axis=0))
    mean_all, delta = (xa.mean(axis=0) + xb.mean(axis=0)) / 2, xa.mean(axis=0) - xb.mean(axis=0)
    gamma_all = spectra.pair_cross_correlation(xa - mean_all, xb - mean_all)
    errors = [np.linalg.norm(omega - (n * swap - cross) / (n * (n - 1))) / np.linalg.norm(omega),
              np.linalg.norm(omega - centre_each @ swap @ centre_each / (n - 1)) / np.linalg.norm(omega),
              np.linalg.norm(s_c - 2 * n / (n - 1) * gamma_c) / np.linalg.norm(s_c),
              np.linalg.norm(gamma_all - gamma_c + np.outer(delta, delta) / 4) / np.linalg.norm(gamma_c)]
    return float(max(errors))


# ------------------------------------------------------------------------------------------ downstream
REPRESENTATIONS = ("collapsed", "constrained", "non_contrastive")


def _oja_endpoint(y0: np.ndarray, s: np.ndarray) -> np.ndarray:
    """The limit of Oja's flow from y0 (rows): the top-d eigenspace if mu_d > mu_d+1; if the top eigenvalue has
    multiplicity at least d + 1 (a null space of S_nc), row(Y0 P_E) with P_E the projector onto its eigenspace."""
    d = y0.shape[0]
    mu, vec = linalg.descending_eigh(s)
    tol = 1e-9 * abs(mu).max()
    if mu[d - 1] - mu[d] > tol:
        return vec[:, :d].T.copy()
    if mu[0] - mu[d] <= tol:
        top = vec[:, mu >= mu[0] - tol]
        return retract(y0 @ top @ top.T)
    raise ValueError("s has an eigenvalue of multiplicity crossing d below its top eigenvalue: the limit of Oja's "
                     "flow is not one of the two cases handled (top-d eigenspace, or a degenerate top eigenvalue)")


def _endpoint_representations(coords_train: np.ndarray, coords_test: np.ndarray, s_c: np.ndarray,
                              s_nc: np.ndarray, y0: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    # the end points of the three flows, as (train, test) features: collapsed = the limit direction q_1 of the
    # unconstrained flow (rank one), constrained = Oja's limit with S_c, non-contrastive = Oja's limit with S_nc
    bases = {"collapsed": top_eigenspace(s_c, 1), "constrained": _oja_endpoint(y0, s_c),
             "non_contrastive": _oja_endpoint(y0, s_nc)}
    return {name: (coords_train @ b.T, coords_test @ b.T) for name, b in bases.items()}


@dataclass(frozen=True)
class Probes:
    r"""Experiment 7: linear-probe test accuracies (``(len(models), 3)``, columns :data:`REPRESENTATIONS`) of the
    end points of the unconstrained (collapsed), constrained contrastive and constrained non-contrastive flows, for
    the linear model on pixels and the infinite-width random-feature model with each NNGP kernel of ``models``
    (``"linear"`` or ``"activation, bias b"``); ``n_train`` labelled views per model (both views of each SSL image),
    ``n_test`` test images."""
    models: tuple[str, ...]
    accuracy: np.ndarray
    n_train: tuple[int, ...]
    n_test: int


def probe_experiment(key: jax.Array, x, x_prime, labels, x_test, labels_test, wide_pairs: int, d: int,
                     kernel_specs: Sequence[tuple[str, float]] = (("relu", 0.0), ("relu", 1.0), ("erf", 0.0))
                     ) -> Probes:
    r"""Probe the end points of the three flows on the digit labels. The linear model learns from all ``n`` pairs
    (:math:`S` of the pixels), the kernel models from the first ``wide_pairs`` of them
    (:math:`\tilde S=K^{1/2}\Omega K^{1/2}` with the NNGP kernel, features :math:`f(x)=YK^{-1/2}k_X(x)`); each
    probe is fitted on both views of its SSL images and scored on ``x_test`` (images distinct from those). The
    probe is :func:`kernel_ssl.probes.linear_probe_accuracy` with :math:`\rho_{\rm p}=0` (minimum-norm least
    squares), which depends only on the row space of the representation: the object the flows' theorems fix.

    Args:
        key: the PRNG key of the starts (they matter only for the non-contrastive kernel models, whose top
            eigenvalue 0 is degenerate).
        x, x_prime: the two views of the SSL pairs (``(n, m)`` each).
        labels: their labels (``(n,)``).
        x_test, labels_test: the test images (``(n_test, m)``) and their labels.
        wide_pairs: SSL pairs of the kernel models, ``d..n``.
        d: the embedding dimension, at most ``m - 1``.
        kernel_specs: (activation, bias_std) of each NNGP kernel (:func:`kernel_ssl.kernels.closed_form_nngp`).

    Returns:
        A :class:`Probes`.
    """
    key = check_key("key", key)
    xa, xb, n = _check_pairs(x, x_prime)
    ya = check_int_labels("labels", labels)
    test = as_finite_array("x_test", x_test, ndim=2).astype(np.float64)
    y_test = check_int_labels("labels_test", labels_test)
    if ya.shape[0] != n or test.shape[0] != y_test.shape[0] or test.shape[1] != xa.shape[1]:
        raise ValueError(f"labels must have one entry per pair and x_test {xa.shape[1]} columns with one label per "
                         f"row: got labels {ya.shape}, x_test {test.shape}, labels_test {y_test.shape}")
    d = _check_dim(d, xa.shape[1])
    wide_pairs = check_positive_int("wide_pairs", wide_pairs, minimum=max(d, 2), maximum=n)
    if isinstance(kernel_specs, str) or not isinstance(kernel_specs, Sequence) or not kernel_specs or any(
            isinstance(spec, str) or not isinstance(spec, Sequence) or len(spec) != 2 for spec in kernel_specs):
        raise TypeError(f"kernel_specs must be a non-empty sequence of (activation, bias_std) pairs, got "
                        f"{kernel_specs!r}")
    specs = [(check_choice(f"kernel_specs[{i}][0]", a, models.ACTIVATIONS),
              check_positive_float(f"kernel_specs[{i}][1]", b, allow_zero=True))
             for i, (a, b) in enumerate(kernel_specs)]
    precision.require_float64("grassmann.probe_experiment")
    return _probe_experiment(key, xa, xb, ya, test, y_test, wide_pairs, d, specs)


def _probe_experiment(key: jax.Array, xa: np.ndarray, xb: np.ndarray, ya: np.ndarray, test: np.ndarray,
                      y_test: np.ndarray, wide_pairs: int, d: int, specs: list[tuple[str, float]]) -> Probes:
    def score(reps: dict, y_train: np.ndarray) -> list[float]:
        return [probes._linear_probe_accuracy(*reps[name], y_train, y_test, 0.0) for name in REPRESENTATIONS]

    n = xa.shape[0]
    stacked = np.concatenate([xa, xb])   # the linear model on pixels: S in R^(m x m), coordinates = the pixels
    s_lin = [_ssl_matrix(stacked, _pair_weights(n, loss)) for loss in LOSSES]
    rows = [score(_endpoint_representations(stacked, test, *s_lin, _random_orthonormal(jax.random.fold_in(key, 0),
                                                                                       d, stacked.shape[1])),
                  np.tile(ya, 2))]
    # the infinite-width models: reduced coordinates K^-1/2 k_X(x) (K^1/2 on the training views); one kernel call
    # on training and test points together (one shape for every kernel)
    xw = np.concatenate([xa[:wide_pairs], xb[:wide_pairs]])
    both = jnp.asarray(np.concatenate([xw, test]))
    y_wide = _random_orthonormal(jax.random.fold_in(key, 1), d, xw.shape[0])
    for activation, bias in specs:
        k_all = np.asarray(kernels.closed_form_nngp(both, both, activation, bias), dtype=np.float64)
        factor = linalg.factor_gram(k_all[:xw.shape[0], :xw.shape[0]])
        u, lam = factor.eigenvectors, factor.eigenvalues
        root, inv_root = (u * np.sqrt(lam)) @ u.T, (u / np.sqrt(lam)) @ u.T
        s_wide = [_reduced_matrix(root, _pair_weights(wide_pairs, loss)) for loss in LOSSES]
        rows.append(score(_endpoint_representations(root, k_all[xw.shape[0]:, :xw.shape[0]] @ inv_root, *s_wide,
                                                    y_wide), np.tile(ya[:wide_pairs], 2)))
    names = ("linear",) + tuple(f"{a}, bias {b:g}" for a, b in specs)
    return Probes(models=names, accuracy=np.array(rows), n_train=(2 * n,) + (2 * wide_pairs,) * len(specs),
                  n_test=test.shape[0])
