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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np

from . import data, dynamics, kernels, linalg, losses, models, precision
from .fitting import linear_fit, loglog_slope
from .validation import (
    as_finite_array,
    check_choice,
    check_key,
    check_positive_float,
    check_positive_int,
    check_same_shape,
    check_stacked_views,
    check_symmetric,
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
def _check_dim(d, m: int, name: str = "d") -> int:
    """An embedding dimension for a flow on Gr(d, m): 1 <= d <= m - 1 (d = m is a single point)."""
    if m < 2:
        raise ValueError(f"the ambient dimension must be at least 2 for a subspace flow, got {m}")
    return check_positive_int(name, d, minimum=1, maximum=m - 1)


def check_orthonormal_rows(name: str, w, tol: float = ORTHONORMAL_TOL) -> np.ndarray:
    r"""Check that ``w`` (``(d, m)``, ``d < m``) has orthonormal rows,
    :math:`\lVert WW^\top - I_d\rVert_F \le` ``tol``."""
    arr = as_finite_array(name, w, ndim=2).astype(np.float64)
    d, m = arr.shape
    _check_dim(d, m, f"{name}.shape[0] (the embedding dimension d)")
    err = np.linalg.norm(arr @ arr.T - np.eye(d))
    if err > tol:
        raise ValueError(f"{name} must have orthonormal rows (W W^T = I_d) to start the constrained flow; "
                         f"||W W^T - I||_F = {err:.2e} > {tol:g}. Orthonormalise it first, e.g. with "
                         f"grassmann.retract(w) or np.linalg.qr(w.T)[0].T")
    return arr


def _check_start_and_matrix(w0, s, orthonormal: bool) -> tuple[np.ndarray, np.ndarray]:
    sm = check_symmetric("s", s).astype(np.float64)
    w = check_orthonormal_rows("w0", w0) if orthonormal else as_finite_array("w0", w0, ndim=2).astype(np.float64)
    if w.shape[1] != sm.shape[0]:
        raise ValueError(f"w0 must have {sm.shape[0]} columns (s is {sm.shape[0]} x {sm.shape[0]}), "
                         f"got shape {w.shape}")
    _check_dim(w.shape[0], w.shape[1], "w0.shape[0] (the embedding dimension d)")
    return w, sm


def _check_times(times) -> np.ndarray:
    t = as_finite_array("times", times, ndim=1).astype(np.float64)
    if np.any(t < 0):
        raise ValueError("times must be non-negative")
    return t


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
    check_same_shape("x", x, "x_prime", x_prime)
    xa = as_finite_array("x", x, ndim=2).astype(np.float64)
    xb = as_finite_array("x_prime", x_prime, ndim=2).astype(np.float64)
    n = check_positive_int("the number of pairs (rows of x)", xa.shape[0], minimum=2)
    return _ssl_matrix(np.concatenate([xa, xb]), _pair_weights(n, check_choice("loss", loss, LOSSES)))


def _ssl_matrix(stacked: np.ndarray, omega: np.ndarray) -> np.ndarray:
    s = stacked.T @ omega @ stacked
    return (s + s.T) / 2


def trace_loss(w: jnp.ndarray, s: jnp.ndarray) -> jnp.ndarray:
    r""":math:`-\operatorname{tr}(WSW^\top)` for ``w`` ``(d, m)`` and symmetric ``s`` ``(m, m)``. Traceable (``jit``/
    ``grad``), so only shapes are checked; a loss for :func:`riemannian_descent` with ``args=(s,)``."""
    if jnp.ndim(w) != 2 or jnp.shape(s) != (jnp.shape(w)[1],) * 2:
        raise ValueError(f"w must be (d, m) and s (m, m), got shapes {jnp.shape(w)} and {jnp.shape(s)}")
    return -jnp.trace(w @ s @ w.T)


def trace_form_error(x, x_prime, w) -> float:
    r"""Largest relative difference, over both losses, between the trace form :math:`-\operatorname{tr}(WSW^\top)`
    and the loss computed from its definition on the embeddings :math:`Wx_i, Wx_i'` (proposition *trace form*)."""
    check_same_shape("x", x, "x_prime", x_prime)
    xa = as_finite_array("x", x, ndim=2).astype(np.float64)
    xb = as_finite_array("x_prime", x_prime, ndim=2).astype(np.float64)
    wa = as_finite_array("w", w, ndim=2).astype(np.float64)
    if wa.shape[1] != xa.shape[1]:
        raise ValueError(f"w must have {xa.shape[1]} columns (the input dimension), got shape {wa.shape}")
    n = check_positive_int("the number of pairs (rows of x)", xa.shape[0], minimum=2)
    stacked, error = np.concatenate([xa, xb]), 0.0
    for loss in LOSSES:
        s = _ssl_matrix(stacked, _pair_weights(n, loss))
        direct = float(_PAIR_LOSSES[loss](jnp.asarray(xa @ wa.T), jnp.asarray(xb @ wa.T)))
        error = max(error, abs(float(-np.trace(wa @ s @ wa.T)) - direct) / abs(direct))
    return error


# ------------------------------------------------------------------------------------------ spectra
def top_eigenspace(s, d: int) -> np.ndarray:
    """Orthonormal basis (rows, ``(d, m)``) of the span of the top-``d`` eigenvectors of ``s``."""
    mu, vec = linalg.descending_eigh(s)
    d = _check_dim(d, mu.shape[0])
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
    return linalg.projector(_columns(as_finite_array("w", w)))


def orthonormality_error(ws) -> np.ndarray:
    r""":math:`\lVert WW^\top - I_d\rVert_F` for ``(d, m)`` or each entry of a stack ``(T, d, m)``."""
    wa = as_finite_array("ws", ws).astype(np.float64)
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
    return _unconstrained_closed_form(w, *linalg.descending_eigh(sm), _check_times(times))


def _unconstrained_closed_form(w: np.ndarray, mu: np.ndarray, vec: np.ndarray, t: np.ndarray) -> np.ndarray:
    out = np.einsum("dk,tk,mk->tdm", w @ vec, np.exp(2 * (mu[None] - mu[0]) * t[:, None]), vec)
    norms = np.linalg.norm(out, axis=(1, 2), keepdims=True)
    if np.any(norms == 0):
        raise ValueError("w0 has no component along any eigenvector with nonzero weight (W(t) vanishes)")
    return out / norms


def unconstrained_step(w: jnp.ndarray, lr: float, s: jnp.ndarray) -> jnp.ndarray:
    r"""One step of gradient descent on :math:`-\operatorname{tr}(WSW^\top)`, :math:`W\leftarrow W + 2\eta WS`,
    rescaled to unit Frobenius norm (the step is linear in :math:`W`, so rescaling commutes with the steps and only
    avoids overflow)."""
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
@cache
def riemannian_step(loss: Callable[..., jnp.ndarray], retraction: str = "qr") -> Callable[..., jnp.ndarray]:
    r"""The step of Riemannian gradient descent on the Grassmannian for ``loss(w, *args)``, invariant under
    :math:`W\mapsto OW`, :math:`O\in O(d)`:

    .. math:: W \leftarrow \operatorname{retr}\big(W - \eta\,\nabla\mathcal L(W)(I - W^\top W)\big)

    (:math:`\nabla` by ``jax.grad``; the projection is applied as :math:`G - (GW^\top)W`, never forming an
    :math:`m\times m` matrix). One cached step per loss and retraction: repeated runs reuse the compiled program."""
    grad, retr = jax.grad(loss), _RETRACT[check_choice("retraction", retraction, RETRACTIONS)]

    def step(w, lr, *args):
        g = grad(w, *args)
        return retr(w - lr * (g - (g @ w.T) @ w))
    return step


@cache
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
    w = check_orthonormal_rows("w0", w0)
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
        _check_start_and_matrix(w[b], sa[b], orthonormal=True)
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
    if np.shape(k) != (2 * n, 2 * n):
        raise ValueError(f"k must be (2n, 2n) = ({2 * n}, {2 * n}) for n_pairs = {n}, got {np.shape(k)}")
    return _reduced_matrix(linalg.psd_sqrt(k)[0], _pair_weights(n, loss))


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
    y = check_orthonormal_rows("y0", y0)
    if y.shape[1] != psi.shape[0]:
        raise ValueError(f"y0 must have {psi.shape[0]} columns (one per view), got shape {y.shape}")
    return y @ psi


def network_gram(features, ws) -> np.ndarray:
    r"""Learned kernel on the training views, :math:`FF^\top = \Phi W^\top W\Phi^\top`, for ``(d, M)`` or
    ``(T, d, M)``."""
    phi = as_finite_array("features", features, ndim=2).astype(np.float64)
    return _outputs_gram(phi, _check_stack("ws", ws, phi.shape[1], "columns (the width)"))


def reduced_gram(k, ys) -> np.ndarray:
    r"""The same kernel from the reduced coordinates: :math:`K^{1/2}Y^\top YK^{1/2}`, for ``(d, N)`` or
    ``(T, d, N)``."""
    root = linalg.psd_sqrt(k)[0]
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


@cache
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


def _check_width_sweep(x_stacked, widths: Sequence[int], y0) -> tuple[np.ndarray, int, list[int], np.ndarray]:
    """The 2n stacked views, n, the widths (at least two, each at least 2n so that the features can span the
    sample) and the orthonormal start Y0 (d, 2n) of a sweep over first-layer widths."""
    xs = check_stacked_views("x_stacked", x_stacked).astype(np.float64)
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least 2 widths, got {list(widths)}")
    widths = [check_positive_int(f"widths[{i}]", w, minimum=xs.shape[0]) for i, w in enumerate(widths)]
    y = check_orthonormal_rows("y0", y0)
    if y.shape[1] != xs.shape[0]:
        raise ValueError(f"y0 must have {xs.shape[0]} columns (one per view), got shape {y.shape}")
    return xs, xs.shape[0] // 2, widths, y


@dataclass(frozen=True)
class WidthGaps:
    r"""Experiment 4, per width (rows) and draw of the first layer (columns): ``trajectory_gap``
    :math:`\max_t\lVert F_MF_M^\top-F_\infty F_\infty^\top\rVert_F/\max_t\lVert F_\infty F_\infty^\top\rVert_F` and
    ``kernel_error`` :math:`\lVert K_M-K_\infty\rVert_F/\lVert K_\infty\rVert_F`, with their log-log slopes
    against the width. ``times`` (in units of ``time_unit`` :math:`=1/\lVert\tilde S_\infty\rVert_2`, up to
    ``horizon``), ``k_inf`` :math:`K_\infty`, ``eigengap`` :math:`\mu_d-\mu_{d+1}` of
    :math:`\tilde S_\infty/\lVert\tilde S_\infty\rVert_2`."""
    widths: np.ndarray
    trajectory_gap: np.ndarray
    kernel_error: np.ndarray
    gap_slope: float
    kernel_error_slope: float
    times: np.ndarray
    horizon: float
    time_unit: float
    eigengap: float
    k_inf: np.ndarray


def width_trajectory_gaps(key: jax.Array, x_stacked, widths: Sequence[int], y0, loss: str, repeats: int = 1,
                          relaxation_times: float = 10.0, n_times: int = 41) -> WidthGaps:
    r"""The learned kernel :math:`F_M(t)F_M(t)^\top=K_M^{1/2}P_M(t)K_M^{1/2}` along the closed-form flow with
    :math:`\tilde S_M/\lVert\tilde S_\infty\rVert_2`, for each width and draw of the first layer, against the same
    with :math:`K_\infty` (:func:`kernel_ssl.kernels.closed_form_nngp`, ReLU, no bias), up to ``relaxation_times``
    times :math:`1/(2(\mu_d-\mu_{d+1}))` of the limit. The features are :func:`kernel_ssl.models.random_features`;
    the widths of one draw are nested (prefixes of the widest layer: one draw, one compiled program).

    Args:
        key: the PRNG key of the first layers.
        x_stacked: the stacked views :math:`\tilde X` (``(2n, m)``).
        widths: at least two widths, each at least :math:`2n`.
        y0: the common start :math:`Y_0` (``(d, 2n)``, orthonormal rows).
        loss: ``"contrastive"`` or ``"non_contrastive"`` (the limit needs an eigengap: contrastive).
        repeats: draws of the first layer.
        relaxation_times: the horizon in relaxation times of the limit flow.
        n_times: the number of times compared.

    Returns:
        A :class:`WidthGaps`.
    """
    key = check_key("key", key)
    xs, n, widths, y = _check_width_sweep(x_stacked, widths, y0)
    omega = _pair_weights(n, check_choice("loss", loss, LOSSES))
    repeats = check_positive_int("repeats", repeats)
    relaxation_times = check_positive_float("relaxation_times", relaxation_times)
    n_times = check_positive_int("n_times", n_times, minimum=2)
    precision.require_float64("grassmann.width_trajectory_gaps")   # K_inf^1/2 and the closed forms in float64
    k_inf = _nngp(xs)
    root_inf = linalg.psd_sqrt(k_inf)[0]
    s_inf = _reduced_matrix(root_inf, omega)
    scale = np.linalg.norm(s_inf, 2)
    rate = _predicted_rate(linalg.descending_eigh(s_inf / scale)[0], y.shape[0])
    t = np.linspace(0.0, relaxation_times / rate, n_times)
    g_inf = _outputs_gram(root_inf, _oja_closed_form(y, s_inf / scale, t))
    g_norm = np.linalg.norm(g_inf, axis=(1, 2)).max()
    gap, kernel_error = np.empty((len(widths), repeats)), np.empty((len(widths), repeats))
    for j, k in enumerate(jax.random.split(key, repeats)):
        layer = models._random_first_layer(k, max(widths), xs.shape[1])   # nested widths: prefixes of one layer
        for i, width in enumerate(widths):
            phi = _features(xs, layer[:width])
            k_m = phi @ phi.T
            root = linalg.psd_sqrt(k_m)[0]
            g_m = _outputs_gram(root, _oja_closed_form(y, _reduced_matrix(root, omega) / scale, t))
            gap[i, j] = np.linalg.norm(g_m - g_inf, axis=(1, 2)).max() / g_norm
            kernel_error[i, j] = np.linalg.norm(k_m - k_inf) / np.linalg.norm(k_inf)
    return WidthGaps(widths=np.array(widths), trajectory_gap=gap, kernel_error=kernel_error,
                     gap_slope=loglog_slope(widths, gap.mean(axis=1))[0],
                     kernel_error_slope=loglog_slope(widths, kernel_error.mean(axis=1))[0],
                     times=t, horizon=float(t[-1]), time_unit=float(1.0 / scale), eigengap=rate / 2, k_inf=k_inf)


@dataclass(frozen=True)
class ConstrainedTraining:
    r"""Experiment 5, per width: ``kernel_change`` :math:`\lVert\Theta_T-\Theta_0\rVert_F/\lVert\Theta_0\rVert_F` of
    the constrained tangent kernel (and its log-log ``kernel_change_slope``), ``reduction_error`` the largest
    relative difference between the network's learned kernel and that of the descent in the reduced coordinates;
    ``change_limit`` the same change for the infinite-width flow (closed form with :math:`K_\infty`);
    ``readout_ntk_change`` the relative change of the read-out's own (unconstrained) tangent kernel, by automatic
    differentiation at :math:`W_0` and :math:`W_T`: exactly 0, the features being fixed."""
    widths: np.ndarray
    kernel_change: np.ndarray
    reduction_error: np.ndarray
    readout_ntk_change: np.ndarray
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
    key = check_key("key", key)
    xs, n, widths, y = _check_width_sweep(x_stacked, widths, y0)
    loss = check_choice("loss", loss, LOSSES)
    omega = _pair_weights(n, loss)
    lr, time_unit = check_positive_float("lr", lr), check_positive_float("time_unit", time_unit)
    n_records = check_positive_int("n_records", n_records)
    record_at = dynamics.record_steps(steps, every=check_positive_int("steps", steps) // n_records)
    precision.require_float64("grassmann.constrained_training_sweep")
    step = riemannian_step(readout_loss(loss))
    kernel_change, reduction_error, readout_change = (np.empty(len(widths)) for _ in range(3))
    layer = models._random_first_layer(key, max(widths), xs.shape[1])   # nested widths: prefixes of one layer
    for i, width in enumerate(widths):
        phi = _features(xs, layer[:width])
        psi, k_m = _whitened_features(phi)
        ws = dynamics.descend(step, jnp.asarray(y @ psi), lr * time_unit, steps, args=(jnp.asarray(phi),),
                              record_at=record_at).records
        theta0, theta = k_m - _outputs_gram(phi, ws[0]), k_m - _outputs_gram(phi, ws[-1])
        kernel_change[i] = np.linalg.norm(theta - theta0) / np.linalg.norm(theta0)
        ntk0, ntk = (_readout_tangent_kernel(jnp.asarray(phi), ws[j]) for j in (0, -1))
        readout_change[i] = np.linalg.norm(ntk - ntk0) / np.linalg.norm(ntk0)
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
                               readout_ntk_change=readout_change,
                               kernel_change_slope=loglog_slope(widths, kernel_change)[0],
                               change_limit=float(np.linalg.norm(g_lim[1] - g_lim[0])
                                                  / np.linalg.norm(k_inf - g_lim[0])))
