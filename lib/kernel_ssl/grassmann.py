r"""Learning dynamics of squared-distance SSL losses: collapse without constraints, Oja's subspace flow on the
Grassmannian with the orthogonality constraint :math:`WW^\top = I_d`, and the wide two-layer model with a fixed
random first layer (chapter *Learning dynamics on the Grassmannian*).

Conventions. ``n`` positive pairs :math:`(x_i, x_i')`, stacked views :math:`\tilde X\in\mathbb R^{2n\times m}`,
linear model :math:`f(x) = Wx`, :math:`W\in\mathbb R^{d\times m}` (rows: the embedding directions). The losses

.. math:: \mathcal L_{\rm nc} = \frac1n\sum_i\lVert f(x_i)-f(x_i')\rVert^2,\qquad
   \mathcal L_{\rm c} = \mathcal L_{\rm nc} - \frac{1}{n(n-1)}\sum_{i\ne j}\lVert f(x_i)-f(x_j')\rVert^2

both equal :math:`-\operatorname{tr}(WSW^\top)` with :math:`S = \tilde X^\top M\tilde X`, where the pair weights are
:math:`M_+ = (I-Z)/n` (positives), :math:`M_- = ((n-1)I - B + Z)/(n(n-1))` (cross-view negatives, :math:`B` the
all-ones off-diagonal blocks), :math:`M_{\rm nc} = -M_+`, :math:`M_{\rm c} = M_- - M_+`.

Closed forms are NumPy/SciPy in float64; the discrete descents run in JAX (enable float64 first: orthonormality
to 1e-12 is not reachable in float32).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import plotly.graph_objects as go
import scipy.linalg

from .figures import PALETTE, THEORY_DASH, base_layout
from .training import check_schedule
from .validation import (as_finite_array, check_choice, check_positive_float, check_positive_int,
                         check_same_shape, check_symmetric)

LOSSES = ("contrastive", "non_contrastive")
RETRACTIONS = ("qr", "polar")
# A start whose rows are orthonormal up to float64 round-off of a QR/SVD (1e-15) passes; anything visibly
# off the Stiefel manifold (1e-8 is seven orders of magnitude above round-off) is refused, never projected.
ORTHONORMAL_TOL = 1e-8
# Solving with a d x d block of condition number above 1e12 loses more than 12 of float64's 16 digits.
MAX_CONDITION = 1e12
# Gram matrices computed in float64: eigenvalues below -PSD_RTOL * largest are not round-off.
PSD_RTOL = 1e-8


# --------------------------------------------------------------------------------------------- checks
def _check_dim(d, m: int, name: str = "d") -> int:
    """An embedding dimension for a flow on Gr(d, m): 1 <= d <= m - 1 (d = m is a single point)."""
    if m < 2:
        raise ValueError(f"the ambient dimension must be at least 2 for a subspace flow, got {m}")
    return check_positive_int(name, d, minimum=1, maximum=m - 1)


def check_orthonormal_rows(name: str, w, tol: float = ORTHONORMAL_TOL) -> np.ndarray:
    r"""Check that ``w`` (``(d, m)``, ``d < m``) has orthonormal rows, :math:`\lVert WW^\top - I_d\rVert_F \le` ``tol``."""
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
        raise ValueError(f"w0 must have {sm.shape[0]} columns (s is {sm.shape[0]} x {sm.shape[0]}), got shape {w.shape}")
    _check_dim(w.shape[0], w.shape[1], "w0.shape[0] (the embedding dimension d)")
    return w, sm


def _check_times(times) -> np.ndarray:
    t = as_finite_array("times", times, ndim=1).astype(np.float64)
    if np.any(t < 0):
        raise ValueError("times must be non-negative")
    return t


# ------------------------------------------------------------------------------------ losses and trace form
def pair_weights(n_pairs: int, loss: str) -> np.ndarray:
    r"""Pair weights :math:`M` (``(2n, 2n)``, symmetric) with :math:`S = \tilde X^\top M\tilde X`.

    :math:`M_+ = (I-Z)/n`, :math:`M_- = ((n-1)I - B + Z)/(n(n-1))`; non-contrastive :math:`-M_+`, contrastive
    :math:`M_- - M_+`.
    """
    n = check_positive_int("n_pairs", n_pairs, minimum=2)
    check_choice("loss", loss, LOSSES)
    eye, ones, zero = np.eye(n), np.ones((n, n)), np.zeros((n, n))
    swap = np.block([[zero, eye], [eye, zero]])
    cross = np.block([[zero, ones], [ones, zero]])
    positives = (np.eye(2 * n) - swap) / n
    if loss == "non_contrastive":
        return -positives
    negatives = ((n - 1) * np.eye(2 * n) - cross + swap) / (n * (n - 1))
    return negatives - positives


def ssl_matrix(x, x_prime, loss: str) -> np.ndarray:
    r""":math:`S = \tilde X^\top M\tilde X` (``(m, m)``) such that the loss of :math:`f=Wx` is :math:`-\operatorname{tr}(WSW^\top)`."""
    check_same_shape("x", x, "x_prime", x_prime)
    xa = as_finite_array("x", x, ndim=2).astype(np.float64)
    xb = as_finite_array("x_prime", x_prime, ndim=2).astype(np.float64)
    stacked = np.concatenate([xa, xb])
    s = stacked.T @ pair_weights(xa.shape[0], loss) @ stacked
    return (s + s.T) / 2


def squared_distance_loss(za: jnp.ndarray, zb: jnp.ndarray, loss: str) -> jnp.ndarray:
    r"""The loss from its definition on the embeddings ``za, zb`` (``(n, d)``; row ``i`` embeds :math:`x_i, x_i'`):
    :math:`\frac1n\sum_i\lVert z_i-z_i'\rVert^2` (non-contrastive), minus
    :math:`\frac1{n(n-1)}\sum_{i\ne j}\lVert z_i-z_j'\rVert^2` (contrastive). Traceable (``jit``/``grad``)."""
    if jnp.ndim(za) != 2 or jnp.shape(za) != jnp.shape(zb):
        raise ValueError(f"za and zb must be 2-D arrays of the same shape, got {jnp.shape(za)} and {jnp.shape(zb)}")
    check_choice("loss", loss, LOSSES)
    n = za.shape[0]
    if n < 2:
        raise ValueError(f"za and zb need at least 2 pairs (rows), got {n}")
    positive = jnp.sum((za - zb) ** 2) / n
    if loss == "non_contrastive":
        return positive
    sq = jnp.sum(za ** 2, axis=1)[:, None] + jnp.sum(zb ** 2, axis=1)[None, :] - 2 * za @ zb.T
    negative = (jnp.sum(sq) - jnp.sum(jnp.diag(sq))) / (n * (n - 1))
    return positive - negative


def trace_loss(w, s) -> float:
    r""":math:`-\operatorname{tr}(WSW^\top)`."""
    sm = check_symmetric("s", s)
    wa = as_finite_array("w", w, ndim=2)
    if wa.shape[1] != sm.shape[0]:
        raise ValueError(f"w must have {sm.shape[0]} columns, got shape {wa.shape}")
    return float(-np.trace(wa @ sm @ wa.T))


# ------------------------------------------------------------------------------------------ spectra
def eigh_descending(s) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and matching orthonormal eigenvectors (columns) of a symmetric matrix."""
    sm = check_symmetric("s", s).astype(np.float64)
    lam, vec = np.linalg.eigh((sm + sm.T) / 2)
    return lam[::-1].copy(), vec[:, ::-1].copy()


def top_eigenspace(s, d: int) -> np.ndarray:
    """Orthonormal basis (rows, ``(d, m)``) of the span of the top-``d`` eigenvectors of ``s``."""
    lam, vec = eigh_descending(s)
    d = _check_dim(d, lam.shape[0])
    return vec[:, :d].T.copy()


def predicted_rate(s, d: int) -> float:
    r"""Asymptotic decay rate of the principal-angle tangents under Oja's flow: :math:`2(\lambda_d-\lambda_{d+1})`.

    Raises if there is no eigengap (then the top-``d`` eigenspace is not unique and there is no rate)."""
    lam, _ = eigh_descending(s)
    d = _check_dim(d, lam.shape[0])
    gap = lam[d - 1] - lam[d]
    if gap <= 1e-12 * max(abs(lam).max(), np.finfo(float).tiny):
        raise ValueError(f"s has no eigengap at d = {d} (lambda_d = lambda_d+1 = {lam[d]:.6g}): the top-d "
                         f"eigenspace is not unique and the flow has no convergence rate")
    return float(2 * gap)


def spectrum_matrix(key: jax.Array, eigenvalues) -> np.ndarray:
    r""":math:`S = Q\,\mathrm{diag}(\lambda)\,Q^\top` with a Haar-random rotation :math:`Q` (synthetic examples)."""
    lam = as_finite_array("eigenvalues", eigenvalues, ndim=1).astype(np.float64)
    if lam.shape[0] < 2:
        raise ValueError(f"eigenvalues must hold at least 2 values, got {lam.shape[0]}")
    q = random_orthonormal(key, lam.shape[0], lam.shape[0]).T
    s = (q * lam) @ q.T
    return (s + s.T) / 2


def random_orthonormal(key: jax.Array, d: int, m: int) -> np.ndarray:
    """A ``(d, m)`` matrix with orthonormal rows, uniformly (Haar) distributed on the Stiefel manifold."""
    m = check_positive_int("m", m)
    d = check_positive_int("d", d, maximum=m)
    g = np.asarray(jax.random.normal(key, (m, d), dtype=jnp.float32), dtype=np.float64)
    q, r = np.linalg.qr(g)
    return (q * np.sign(np.diag(r))).T.copy()  # sign fix: Haar, not just orthonormal


# ------------------------------------------------------------------------------------------ geometry
def retract(w, retraction: str = "qr") -> np.ndarray:
    r"""An orthonormal basis of the row space of ``w`` (``(d, m)``, full row rank): QR of :math:`W^\top`, or the
    polar factor :math:`(WW^\top)^{-1/2}W`. Both span the same subspace; only the basis inside it differs."""
    wa = as_finite_array("w", w, ndim=2).astype(np.float64)
    check_choice("retraction", retraction, RETRACTIONS)
    if np.linalg.matrix_rank(wa) < wa.shape[0]:
        raise ValueError(f"w must have full row rank {wa.shape[0]} to span a {wa.shape[0]}-dimensional subspace")
    return np.asarray(_retract(jnp.asarray(wa), retraction))


def _retract(w: jnp.ndarray, retraction: str) -> jnp.ndarray:
    if retraction == "qr":
        q, _ = jnp.linalg.qr(w.T)
        return q.T
    u, _, vt = jnp.linalg.svd(w, full_matrices=False)
    return u @ vt


def projector(w) -> np.ndarray:
    r"""Orthogonal projector :math:`W^\top(WW^\top)^{-1}W` onto the row space of ``w``; ``(..., d, m)`` gives
    ``(..., m, m)``. Basis-independent: this is how subspaces are compared."""
    wa = as_finite_array("w", w).astype(np.float64)
    if wa.ndim < 2:
        raise ValueError(f"w must be (d, m) or a stack (..., d, m), got shape {wa.shape}")
    q, _ = np.linalg.qr(np.swapaxes(wa, -1, -2))
    return q @ np.swapaxes(q, -1, -2)


def projector_distance(p, q) -> np.ndarray:
    r""":math:`\lVert P-Q\rVert_F` over the last two axes (equals :math:`\sqrt2\lVert\sin\Theta\rVert_2`, the
    principal angles :math:`\Theta` between two subspaces of equal dimension)."""
    check_same_shape("p", p, "q", q)
    pa = as_finite_array("p", p).astype(np.float64)
    qa = as_finite_array("q", q).astype(np.float64)
    return np.linalg.norm(pa - qa, axis=(-2, -1))


def principal_angles(w, basis) -> np.ndarray:
    """Principal angles (descending, radians) between the row spaces of ``w`` (``(d, m)`` or ``(T, d, m)``) and
    of ``basis`` (``(k, m)``), from ``scipy.linalg.subspace_angles``; returns ``(min(d, k),)`` or ``(T, ...)``."""
    wa = as_finite_array("w", w).astype(np.float64)
    ba = as_finite_array("basis", basis, ndim=2).astype(np.float64)
    if wa.ndim not in (2, 3) or wa.shape[-1] != ba.shape[1]:
        raise ValueError(f"w must be (d, {ba.shape[1]}) or (T, d, {ba.shape[1]}), got shape {wa.shape}")
    stack = wa[None] if wa.ndim == 2 else wa
    out = np.stack([scipy.linalg.subspace_angles(wt.T, ba.T) for wt in stack])
    return out[0] if wa.ndim == 2 else out


def orthonormality_error(ws) -> np.ndarray:
    r""":math:`\lVert WW^\top - I_d\rVert_F` for ``(d, m)`` or each entry of a stack ``(T, d, m)``."""
    wa = as_finite_array("ws", ws).astype(np.float64)
    d = wa.shape[-2]
    return np.linalg.norm(wa @ np.swapaxes(wa, -1, -2) - np.eye(d), axis=(-2, -1))


# ----------------------------------------------------------------------------- unconstrained flow: collapse
def unconstrained_closed_form(w0, s, times) -> np.ndarray:
    r""":math:`W(t) = W_0e^{2St}` for each time, each scaled to unit Frobenius norm (``(T, d, m)``).

    Computed as :math:`W_0V e^{2(\Lambda-\lambda_1)t}V^\top` (a scalar factor, so no overflow); the scale is
    dropped because the flow is linear: only the direction of :math:`W` carries the representation."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=False)
    t = _check_times(times)
    lam, vec = eigh_descending(sm)
    wv = w @ vec
    out = np.einsum("dk,tk,mk->tdm", wv, np.exp(2 * (lam[None] - lam[0]) * t[:, None]), vec)
    norms = np.linalg.norm(out, axis=(1, 2), keepdims=True)
    if np.any(norms == 0):
        raise ValueError("w0 has no component along any eigenvector with nonzero weight (W(t) vanishes)")
    return out / norms


def unconstrained_descent(w0, s, dt: float, steps: int, record_every: int = 1) -> np.ndarray:
    r"""Gradient descent on :math:`-\operatorname{tr}(WSW^\top)`: :math:`W\leftarrow W + 2\,dt\,WS`, rescaled to unit
    Frobenius norm after every step (the gradient is linear in :math:`W`, so rescaling commutes with the steps).
    Returns the iterates every ``record_every`` steps, ``(steps // record_every + 1, d, m)``."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=False)
    dt, steps, record_every = check_schedule(dt, steps, record_every, step_name="dt")
    w = w / np.linalg.norm(w)
    path = _unconstrained_scan(jnp.asarray(w), jnp.asarray(sm), dt, steps // record_every, record_every)
    return np.asarray(path)


@partial(jax.jit, static_argnums=(3, 4))
def _unconstrained_scan(w, s, dt, blocks, record_every):
    def step(w, _):
        w = w + 2 * dt * w @ s
        return w / jnp.linalg.norm(w), None

    def block(w, _):
        w, _ = jax.lax.scan(step, w, None, length=record_every)
        return w, w

    _, path = jax.lax.scan(block, w, None, length=blocks)
    return jnp.concatenate([w[None], path])


def normalised_singular_values(ws) -> np.ndarray:
    r""":math:`\sigma_k(W)/\sigma_1(W)` for each ``(d, m)`` entry of a stack; ``(T, d)`` (first column is 1)."""
    wa = as_finite_array("ws", ws, ndim=3).astype(np.float64)
    sv = np.linalg.svd(wa, compute_uv=False)
    if np.any(sv[:, 0] == 0):
        raise ValueError("ws contains a zero matrix (no singular value to normalise by)")
    return sv / sv[:, :1]


# ------------------------------------------------------------------------- Oja's flow: closed form and rate
def _graph_coordinates(w0: np.ndarray, s: np.ndarray):
    """Eigenvalues (desc.), eigenvectors and X0 = C_perp C_par^-1 with C = V^T W0^T (the start as a graph)."""
    d = w0.shape[0]
    lam, vec = eigh_descending(s)
    c = vec.T @ w0.T
    top = c[:d]
    if np.linalg.cond(top) > MAX_CONDITION:
        raise ValueError("w0 has (numerically) no full-rank component in the top-d eigenspace of s: its row space "
                         "contains a direction orthogonal to that eigenspace, and the flow does not reach it; "
                         "use another start")
    return lam, vec, c[d:] @ np.linalg.inv(top)


def _graph_at(lam, x0, d, t):
    # X(t)_kj = X0_kj exp(2 (lambda_k - lambda_j) t), k > d >= j: every exponent <= 2 (lambda_d+1 - lambda_d) t
    return x0 * np.exp(2 * t[:, None, None] * (lam[None, d:, None] - lam[None, None, :d]))


def oja_closed_form(w0, s, times) -> np.ndarray:
    r"""Orthonormal bases (``(T, d, m)``) of :math:`\operatorname{row}W(t)=\operatorname{row}(W_0e^{2St})` under Oja's flow
    :math:`\dot W = 2WS(I-W^\top W)` from ``w0`` (orthonormal rows).

    In the eigenbasis the row space is the graph :math:`\operatorname{col}[I_d; X(t)]` with
    :math:`X(t) = e^{2\Lambda_\perp t}X_0e^{-2\Lambda_\parallel t}`: exact, and free of overflow at any time. The
    basis returned is not the flow's own basis (that one rotates inside the subspace); compare projectors."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=True)
    t = _check_times(times)
    d = w.shape[0]
    lam, vec, x0 = _graph_coordinates(w, sm)
    graph = np.concatenate([np.broadcast_to(np.eye(d), (t.shape[0], d, d)), _graph_at(lam, x0, d, t)], axis=1)
    q, _ = np.linalg.qr(graph)
    return np.swapaxes(vec @ q, 1, 2)


def closed_form_tangents(w0, s, times) -> np.ndarray:
    r"""Tangents of the principal angles (descending) between :math:`\operatorname{row}W(t)` and the top-``d``
    eigenspace of ``s``: the singular values of :math:`X(t)`; ``(T, d)`` (zeros padded when :math:`m-d<d`)."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=True)
    t = _check_times(times)
    d = w.shape[0]
    lam, _, x0 = _graph_coordinates(w, sm)
    sv = np.linalg.svd(_graph_at(lam, x0, d, t), compute_uv=False)
    return np.concatenate([sv, np.zeros((t.shape[0], d - sv.shape[1]))], axis=1)


def fit_rate(times, tangents) -> float:
    r"""Decay rate :math:`r` of :math:`\tan\theta_{\max}(t)\approx c\,e^{-rt}`: minus the least-squares slope of
    :math:`\log\tan\theta_{\max}` against :math:`t` (``tangents`` is ``(T,)`` or ``(T, d)``; the largest is used)."""
    from .fitting import linear_fit

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
def riemannian_descent(loss_fn: Callable[[jnp.ndarray], jnp.ndarray], w0, dt: float, steps: int,
                       record_every: int = 1, retraction: str = "qr") -> np.ndarray:
    r"""Riemannian gradient descent on the Grassmannian for a loss of :math:`W` invariant under
    :math:`W\mapsto UW`, :math:`U\in O(d)`:

    .. math:: W \leftarrow \operatorname{retr}\big(W - dt\,\nabla\mathcal L(W)(I - W^\top W)\big)

    (:math:`\nabla` by ``jax.grad``; the projection is applied as :math:`G - (GW^\top)W`, never forming an
    :math:`m\times m` matrix). ``w0`` must have orthonormal rows. Returns the iterates every ``record_every``
    steps, ``(steps // record_every + 1, d, m)``."""
    w = check_orthonormal_rows("w0", w0)
    dt, steps, record_every = check_schedule(dt, steps, record_every, step_name="dt")
    check_choice("retraction", retraction, RETRACTIONS)
    path = jax.jit(partial(_riemannian_scan, jax.grad(loss_fn), blocks=steps // record_every,
                           record_every=record_every, retraction=retraction))(jnp.asarray(w), dt)
    path = np.asarray(path)
    if not np.all(np.isfinite(path)):
        raise FloatingPointError("Riemannian descent produced non-finite weights; lower dt")
    return path


def _riemannian_scan(grad_fn, w, dt, blocks, record_every, retraction):
    def step(w, _):
        g = grad_fn(w)
        xi = g - (g @ w.T) @ w
        return _retract(w - dt * xi, retraction), None

    def block(w, _):
        w, _ = jax.lax.scan(step, w, None, length=record_every)
        return w, w

    _, path = jax.lax.scan(block, w, None, length=blocks)
    return jnp.concatenate([w[None], path])


def grassmann_descent(w0, s, dt: float, steps: int, record_every: int = 1, retraction: str = "qr") -> np.ndarray:
    r"""Riemannian gradient descent for :math:`-\operatorname{tr}(WSW^\top)`: the Euclidean gradient is
    :math:`-2WS`, so each step is :math:`W\leftarrow\operatorname{retr}\big(W + 2\,dt\,WS(I-W^\top W)\big)`, the
    explicit Euler step of Oja's flow followed by a retraction. Returns ``(steps // record_every + 1, d, m)``."""
    w, sm = _check_start_and_matrix(w0, s, orthonormal=True)
    dt, steps, record_every = check_schedule(dt, steps, record_every, step_name="dt")
    check_choice("retraction", retraction, RETRACTIONS)
    path = np.asarray(_oja_scan(jnp.asarray(w), jnp.asarray(sm), dt, steps // record_every, record_every,
                                retraction))
    if not np.all(np.isfinite(path)):
        raise FloatingPointError("Grassmannian descent produced non-finite weights; lower dt")
    return path


def grassmann_descent_batch(w0s, ss, dt: float, steps: int, record_every: int = 1,
                            retraction: str = "qr") -> np.ndarray:
    """:func:`grassmann_descent` for a stack of independent problems (``w0s`` ``(B, d, m)``, ``ss`` ``(B, m, m)``)
    run side by side in one compiled program; returns ``(B, steps // record_every + 1, d, m)``."""
    w = as_finite_array("w0s", w0s, ndim=3).astype(np.float64)
    sa = as_finite_array("ss", ss, ndim=3).astype(np.float64)
    if sa.shape[0] != w.shape[0]:
        raise ValueError(f"w0s and ss must hold the same number of problems, got {w.shape[0]} and {sa.shape[0]}")
    for b in range(w.shape[0]):
        _check_start_and_matrix(w[b], sa[b], orthonormal=True)
    dt, steps, record_every = check_schedule(dt, steps, record_every, step_name="dt")
    check_choice("retraction", retraction, RETRACTIONS)
    run = jax.vmap(_oja_scan, in_axes=(0, 0, None, None, None, None))
    path = np.asarray(run(jnp.asarray(w), jnp.asarray(sa), dt, steps // record_every, record_every, retraction))
    if not np.all(np.isfinite(path)):
        raise FloatingPointError("Grassmannian descent produced non-finite weights; lower dt")
    return path


@partial(jax.jit, static_argnums=(3, 4, 5))
def _oja_scan(w, s, dt, blocks, record_every, retraction):
    # S is an argument (not closed over): one compiled program serves every matrix of the same size
    return _riemannian_scan(lambda v: -2 * v @ s, w, dt, blocks, record_every, retraction)


# ----------------------------------------------------- two-layer model with a fixed random first layer
def first_layer(key: jax.Array, width: int, input_dim: int) -> jnp.ndarray:
    r"""The fixed first layer :math:`V\in\mathbb R^{h\times m}`, i.i.d. :math:`\mathcal N(0,1)` entries (float64 when
    enabled). The first :math:`h'` rows of a layer of width :math:`h` are a layer of width :math:`h'`: width sweeps draw
    the widest layer once and take prefixes (one random draw, one compiled program)."""
    h = check_positive_int("width", width)
    m = check_positive_int("input_dim", input_dim)
    return jax.random.normal(key, (h, m), dtype=jnp.result_type(float))


def layer_features(x, v) -> jnp.ndarray:
    r"""Random ReLU features :math:`\varphi_h(x) = \sigma(Vx/\sqrt m)/\sqrt h` for a first layer ``v`` (``(h, m)``);
    ``(N, h)`` for ``x`` of shape ``(N, m)``."""
    xa = as_finite_array("x", x, ndim=2)
    va = as_finite_array("v", v, ndim=2)
    if va.shape[1] != xa.shape[1]:
        raise ValueError(f"v must have {xa.shape[1]} columns (the input dimension), got shape {va.shape}")
    xj, vj = jnp.asarray(x), jnp.asarray(v, dtype=jnp.asarray(x).dtype)
    return jax.nn.relu(xj @ vj.T / jnp.sqrt(xa.shape[1])) / jnp.sqrt(va.shape[0])


def relu_features(key: jax.Array, x, width: int) -> jnp.ndarray:
    r"""Random ReLU features :math:`\varphi_h(x) = \sigma(Vx/\sqrt m)/\sqrt h` with a fresh first layer
    (:func:`first_layer`): the first layer of ``models.two_layer_apply`` without bias; ``(N, h)``.
    :math:`\varphi_h(x)^\top\varphi_h(x')` is an average of ``h`` i.i.d. terms with mean :func:`relu_nngp`."""
    xa = as_finite_array("x", x, ndim=2)
    return layer_features(x, first_layer(key, width, xa.shape[1]))


def relu_nngp(x1, x2) -> np.ndarray:
    r"""Infinite-width feature kernel (NNGP) of :func:`relu_features`, the arc-cosine kernel of degree 1:
    :math:`\frac{\sqrt{qq'}}{2\pi}(\sin\vartheta + (\pi-\vartheta)\cos\vartheta)`, :math:`q=\lVert x\rVert^2/m`,
    :math:`\cos\vartheta = x^\top x'/(m\sqrt{qq'})`; ``(N1, N2)``."""
    a = as_finite_array("x1", x1, ndim=2).astype(np.float64)
    b = as_finite_array("x2", x2, ndim=2).astype(np.float64)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x1 and x2 must have the same input dimension, got {a.shape[1]} and {b.shape[1]}")
    m = a.shape[1]
    norm = np.sqrt(np.outer(np.sum(a ** 2, axis=1), np.sum(b ** 2, axis=1))) / m
    if np.any(norm == 0):
        raise ValueError("x1 and x2 must not contain zero inputs (the angle is undefined)")
    cos = np.clip(a @ b.T / m / norm, -1.0, 1.0)
    theta = np.arccos(cos)
    return norm / (2 * np.pi) * (np.sin(theta) + (np.pi - theta) * cos)


def psd_sqrt(k) -> np.ndarray:
    r"""Symmetric square root :math:`K^{1/2}` of a positive semi-definite Gram matrix (eigenvalues clipped at 0
    after checking that none is below :math:`-10^{-8}\lambda_{\max}`)."""
    km = check_symmetric("k", k, rtol=1e-6).astype(np.float64)
    lam, vec = np.linalg.eigh((km + km.T) / 2)
    if lam[-1] <= 0 or lam[0] < -PSD_RTOL * lam[-1]:
        raise ValueError(f"k must be positive semi-definite and nonzero, got eigenvalues in [{lam[0]:.3e}, {lam[-1]:.3e}]")
    return (vec * np.sqrt(np.clip(lam, 0, None))) @ vec.T


def reduced_matrix(k, n_pairs: int, loss: str) -> np.ndarray:
    r""":math:`\tilde S = K^{1/2}MK^{1/2}` (``(2n, 2n)``): the matrix of Oja's flow in the coordinates
    :math:`W = YK^{-1/2}\Phi` (Theorem *reduction* of the chapter). It depends on the width only through ``k``."""
    r = psd_sqrt(k)
    if r.shape[0] != 2 * check_positive_int("n_pairs", n_pairs, minimum=2):
        raise ValueError(f"k must be (2n, 2n) = ({2 * n_pairs}, {2 * n_pairs}) for n_pairs = {n_pairs}, got {r.shape}")
    s = r @ pair_weights(n_pairs, loss) @ r
    return (s + s.T) / 2


def _whitening(features) -> tuple[np.ndarray, np.ndarray]:
    """(K^-1/2 Phi, K) for features (N, h) with h >= N and K = Phi Phi^T well conditioned."""
    phi = as_finite_array("features", features, ndim=2).astype(np.float64)
    n, h = phi.shape
    if h < n:
        raise ValueError(f"features must have at least as many columns (width) as rows (views): got {h} < {n}; "
                         f"K = Phi Phi^T is then singular")
    k = phi @ phi.T
    lam, vec = np.linalg.eigh(k)
    if lam[0] <= lam[-1] / MAX_CONDITION:
        raise ValueError(f"K = Phi Phi^T is (numerically) singular (condition number above {MAX_CONDITION:g}); "
                         f"use a larger width")
    return (vec / np.sqrt(lam)) @ vec.T @ phi, k


def span_initialisation(features, y0) -> np.ndarray:
    r""":math:`W_0 = Y_0K^{-1/2}\Phi` (``(d, h)``): a start in the span of the training features with orthonormal
    rows, given orthonormal :math:`Y_0` (``(d, N)``). Its outputs :math:`F_0 = K^{1/2}Y_0^\top` depend on the width
    only through :math:`K`."""
    q, _ = _whitening(features)
    y = check_orthonormal_rows("y0", y0)
    if y.shape[1] != q.shape[0]:
        raise ValueError(f"y0 must have {q.shape[0]} columns (one per view), got shape {y.shape}")
    return y @ q


def network_gram(features, ws) -> np.ndarray:
    r"""Learned kernel on the training views, :math:`FF^\top = \Phi W^\top W\Phi^\top`, for ``(d, h)`` or ``(T, d, h)``."""
    phi = as_finite_array("features", features, ndim=2).astype(np.float64)
    return _outputs_gram(phi, ws, "ws", "columns (the width)")


def reduced_gram(k, ys) -> np.ndarray:
    r"""The same kernel from the reduced coordinates: :math:`K^{1/2}Y^\top YK^{1/2}`, for ``(d, N)`` or ``(T, d, N)``."""
    return _outputs_gram(psd_sqrt(k), ys, "ys", "columns")


def _outputs_gram(a: np.ndarray, ws, name: str, what: str) -> np.ndarray:
    """:math:`FF^\\top` with :math:`F = AW^\\top`, for one ``(d, p)`` matrix W or a stack ``(T, d, p)``."""
    wa = as_finite_array(name, ws).astype(np.float64)
    if wa.ndim not in (2, 3) or wa.shape[-1] != a.shape[1]:
        raise ValueError(f"{name} must be (d, {a.shape[1]}) or (T, d, {a.shape[1]}) with {a.shape[1]} {what}, "
                         f"got shape {wa.shape}")
    f = a @ np.swapaxes(wa, -1, -2)
    return f @ np.swapaxes(f, -1, -2)


def constrained_tangent_kernel(features, w) -> np.ndarray:
    r"""Tangent kernel of the constrained read-out on the training views,
    :math:`\Theta = \Phi(I-W^\top W)\Phi^\top = K - FF^\top` (times :math:`I_d`): the function-space flow is
    :math:`\dot F = -\Theta\,\nabla_F\ell`."""
    phi = as_finite_array("features", features, ndim=2).astype(np.float64)
    wa = as_finite_array("w", w, ndim=2).astype(np.float64)
    return phi @ phi.T - network_gram(phi, wa)


def readout_loss(features, n_pairs: int, loss: str) -> Callable[[jnp.ndarray], jnp.ndarray]:
    r"""The loss of the read-out :math:`W` through the network's outputs :math:`F=\Phi W^\top` on the stacked views
    (its definition, :func:`squared_distance_loss`; nothing uses :math:`S`)."""
    phi = jnp.asarray(as_finite_array("features", features, ndim=2))
    n = check_positive_int("n_pairs", n_pairs, minimum=2)
    if phi.shape[0] != 2 * n:
        raise ValueError(f"features must have 2 * n_pairs = {2 * n} rows, got {phi.shape[0]}")
    check_choice("loss", loss, LOSSES)

    def loss_fn(w):
        f = phi @ w.T
        return squared_distance_loss(f[:n], f[n:], loss)
    return loss_fn


def _check_width_sweep(x_stacked, widths: Sequence[int]) -> tuple[np.ndarray, int, list[int]]:
    """Validate the inputs of a sweep over first-layer widths: ``x_stacked`` holds 2n stacked views (two views
    of n points) and ``widths`` at least two widths, each at least 2n (so that the features can span the
    sample). Returns the array, n and the widths as ints."""
    xs = as_finite_array("x_stacked", x_stacked, ndim=2)
    if xs.shape[0] % 2:
        raise ValueError(f"x_stacked must hold 2n stacked views (an even number of rows), got {xs.shape[0]}")
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least 2 widths, got {list(widths)}")
    widths = [check_positive_int(f"widths[{i}]", w, minimum=xs.shape[0]) for i, w in enumerate(widths)]
    return xs, xs.shape[0] // 2, widths


def width_trajectory_gaps(key: jax.Array, x_stacked, widths: Sequence[int], y0, times, loss: str,
                          repeats: int = 1) -> dict[str, np.ndarray]:
    r"""For each width and draw of the first layer (the widths of one draw are nested: prefixes of the widest
    layer, see :func:`first_layer`): the learned kernel :math:`G_h(t)=K_h^{1/2}P_h(t)K_h^{1/2}`
    along the closed-form flow with :math:`\tilde S_h/\lVert\tilde S_\infty\rVert_2`, against the same with
    :math:`K_\infty` (:func:`relu_nngp`). Returns arrays ``(len(widths), repeats)``: ``trajectory_gap``
    :math:`\max_t\lVert G_h-G_\infty\rVert_F/\max_t\lVert G_\infty\rVert_F` and ``kernel_error``
    :math:`\lVert K_h-K_\infty\rVert_F/\lVert K_\infty\rVert_F`; plus ``limit`` (:math:`G_\infty(t)`, ``(T, N, N)``)
    and ``time_unit`` :math:`1/\lVert\tilde S_\infty\rVert_2` (``times`` are in this unit)."""
    xs, n, widths = _check_width_sweep(x_stacked, widths)
    repeats = check_positive_int("repeats", repeats)
    t = _check_times(times)
    k_inf = relu_nngp(xs, xs)
    s_inf = reduced_matrix(k_inf, n, loss)
    scale = np.linalg.norm(s_inf, 2)
    g_inf = reduced_gram(k_inf, oja_closed_form(y0, s_inf / scale, t))
    g_norm = np.linalg.norm(g_inf, axis=(1, 2)).max()
    out = {"trajectory_gap": np.empty((len(widths), repeats)), "kernel_error": np.empty((len(widths), repeats))}
    for j, k in enumerate(jax.random.split(key, repeats)):
        layer = first_layer(k, max(widths), xs.shape[1])   # nested widths: prefixes of one wide layer
        for i, width in enumerate(widths):
            phi = np.asarray(layer_features(xs, layer[:width]), dtype=np.float64)
            k_h = phi @ phi.T
            g_h = reduced_gram(k_h, oja_closed_form(y0, reduced_matrix(k_h, n, loss) / scale, t))
            out["trajectory_gap"][i, j] = np.linalg.norm(g_h - g_inf, axis=(1, 2)).max() / g_norm
            out["kernel_error"][i, j] = np.linalg.norm(k_h - k_inf) / np.linalg.norm(k_inf)
    out["limit"], out["time_unit"] = g_inf, 1.0 / scale
    return out


def constrained_training_sweep(key: jax.Array, x_stacked, widths: Sequence[int], y0, loss: str, dt: float,
                               steps: int, record_every: int, time_unit: float) -> dict[str, np.ndarray]:
    r"""Train the constrained read-out of the random-feature network at each width (nested prefixes of one first
    layer drawn from ``key``) by Riemannian gradient descent on the loss of its outputs (``jax.grad``, learning rate ``dt * time_unit``), from :func:`span_initialisation`.

    Returns per width: ``kernel_change`` :math:`\lVert\Theta_T-\Theta_0\rVert_F/\lVert\Theta_0\rVert_F` of the
    constrained tangent kernel, ``readout_ntk_change`` (the plain tangent kernel :math:`K_h` of the read-out,
    before and after: exactly 0), ``displacement`` :math:`\lVert W_T - W_0\rVert_F`, and ``reduction_error``: the
    largest relative difference, over the recorded steps, between the network's learned kernel and that of the
    same descent run in the reduced coordinates with :math:`\tilde S_h` (equal up to round-off)."""
    xs, n, widths = _check_width_sweep(x_stacked, widths)
    dt, steps, record_every = check_schedule(dt, steps, record_every, step_name="dt")
    time_unit = check_positive_float("time_unit", time_unit)
    keys = ("kernel_change", "readout_ntk_change", "displacement", "reduction_error")
    out = {name: np.empty(len(widths)) for name in keys}
    layer = first_layer(key, max(widths), xs.shape[1])   # nested widths: prefixes of one wide layer
    for i, width in enumerate(widths):
        phi = np.asarray(layer_features(xs, layer[:width]), dtype=np.float64)
        k_h = phi @ phi.T
        w0 = span_initialisation(phi, y0)
        ws = riemannian_descent(readout_loss(phi, n, loss), w0, dt * time_unit, steps, record_every)
        theta0, theta = constrained_tangent_kernel(phi, ws[0]), constrained_tangent_kernel(phi, ws[-1])
        out["kernel_change"][i] = np.linalg.norm(theta - theta0) / np.linalg.norm(theta0)
        k_after = phi @ phi.T  # the features do not move: the read-out's own tangent kernel is K_h throughout
        out["readout_ntk_change"][i] = np.linalg.norm(k_after - k_h) / np.linalg.norm(k_h)
        out["displacement"][i] = np.linalg.norm(ws[-1] - ws[0])
        ys = grassmann_descent(y0, reduced_matrix(k_h, n, loss) * time_unit, dt, steps, record_every)
        g_net, g_red = network_gram(phi, ws), reduced_gram(k_h, ys)
        out["reduction_error"][i] = (np.linalg.norm(g_net - g_red, axis=(1, 2)).max()
                                     / np.linalg.norm(g_red, axis=(1, 2)).max())
    return out


# -------------------------------------------------------------------------------------------- figures
def subspace_figure(times, bases, top, title: str) -> go.Figure:
    r"""A plane through the origin of :math:`\mathbb R^3` (rows of ``bases[t]``, ``(T, 2, 3)``) turning toward the plane
    of the top two eigenvectors (rows of ``top``, ``(3, 3)``: :math:`v_1, v_2, v_3`), with a time slider (precomputed
    states: works on a static page), next to its largest principal angle to that plane against time. The plane is
    drawn as a disk and its normal as a line, neither of which depends on the basis chosen inside the plane."""
    from plotly.subplots import make_subplots

    t = _check_times(times)
    b = as_finite_array("bases", bases, ndim=3).astype(np.float64)
    v = as_finite_array("top", top, ndim=2).astype(np.float64)
    if b.shape[1:] != (2, 3) or b.shape[0] != t.shape[0] or v.shape != (3, 3):
        raise ValueError(f"bases must be (T, 2, 3) with T = len(times) and top (3, 3), got {b.shape} and {v.shape}")
    radius, phase = np.meshgrid(np.linspace(0, 1, 4), np.linspace(0, 2 * np.pi, 33))
    angles = np.degrees(principal_angles(b, v[:2]))[:, 0]

    def disk_xyz(u, w):
        # 3 decimals: the disk is drawn on a [-1.3, 1.3] cube, and the page stays small (one disk per time)
        pts = np.round(radius[..., None] * (np.cos(phase)[..., None] * u + np.sin(phase)[..., None] * w), 3)
        return pts[..., 0], pts[..., 1], pts[..., 2]

    def state(i):
        """x, y, z of the three moving traces (disk, its normal, the marker on the angle curve) at time i."""
        u, w = b[i]
        nv = np.round(np.cross(u, w), 3)
        dx, dy, dz = disk_xyz(u, w)
        return ([dx.tolist(), [-nv[0], nv[0]], [float(t[i])]], [dy.tolist(), [-nv[1], nv[1]], [float(angles[i])]],
                [dz.tolist(), [-nv[2], nv[2]]])

    def disk(x, y, z, name, color, opacity):
        return go.Surface(x=x, y=y, z=z, surfacecolor=np.zeros_like(radius), colorscale=[[0, color], [1, color]],
                          showscale=False, opacity=opacity, name=name, showlegend=True, hoverinfo="skip")

    fig = make_subplots(rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "xy"}]], column_widths=[0.62, 0.38],
                        subplot_titles=("the plane row W(t) in R³", "largest principal angle to the target"))
    xs, ys, zs = state(0)
    fig.add_trace(disk(xs[0], ys[0], zs[0], "row space of W(t)", PALETTE[0], 0.6), row=1, col=1)
    fig.add_trace(go.Scatter3d(x=xs[1], y=ys[1], z=zs[1], mode="lines", line=dict(color=PALETTE[0], width=6),
                               name="normal of row W(t)"), row=1, col=1)
    fig.add_trace(go.Scatter(x=xs[2], y=ys[2], mode="markers", marker=dict(color=PALETTE[0], size=12),
                             name="now", showlegend=False), row=1, col=2)
    fig.add_trace(disk(*disk_xyz(v[0], v[1]), "top-2 eigenspace (target)", "#999999", 0.2), row=1, col=1)
    for k, (color, name) in enumerate([(PALETTE[1], "v₁ (top eigenvector)"), (PALETTE[4], "v₂"),
                                       ("#555555", "v₃ (normal of the target)")]):
        fig.add_trace(go.Scatter3d(x=[0, 1.2 * v[k, 0]], y=[0, 1.2 * v[k, 1]], z=[0, 1.2 * v[k, 2]],
                                   mode="lines", name=name,
                                   line=dict(color=color, width=5, dash="dash" if k == 2 else "solid")), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=angles, mode="lines", line=dict(color=PALETTE[0]), name="angle (closed form)"),
                  row=1, col=2)
    steps = []
    for i, ti in enumerate(t):
        sx, sy, sz = state(i)
        # restyle traces 0-2 only (no animation frames: nothing plays on its own, the slider sets the state)
        steps.append(dict(method="restyle", label=f"{ti:.1f}", args=[{"x": sx, "y": sy, "z": sz + [None]}, [0, 1, 2]]))
    # look along a direction inside the target plane: the target is seen nearly edge-on, so the disk's tilt
    # toward it is visible as the disk thins
    eye = 1.9 * (0.8 * v[0] + 0.45 * v[1] + 0.4 * v[2]) / np.linalg.norm([0.8, 0.45, 0.4])
    fig.update_layout(
        sliders=[dict(active=0, currentvalue=dict(prefix="time t: "), pad=dict(t=40), steps=steps)],
        scene=dict(aspectmode="cube", xaxis=dict(range=[-1.3, 1.3]), yaxis=dict(range=[-1.3, 1.3]),
                   zaxis=dict(range=[-1.3, 1.3]), camera=dict(eye=dict(x=eye[0], y=eye[1], z=eye[2]))))
    base_layout(fig, title, "", "", height=600)
    fig.update_layout(margin=dict(l=10, r=10, t=80, b=10), legend=dict(x=0.0, y=1.0))
    fig.update_xaxes(title_text="time t", row=1, col=2)
    fig.update_yaxes(title_text="degrees", type="log", row=1, col=2)
    return fig


def rate_figure(gaps, measured, predicted, title: str) -> go.Figure:
    """Measured convergence rates (markers) against the eigengap, with the predicted line (dashed)."""
    g = as_finite_array("gaps", gaps, ndim=1)
    meas = as_finite_array("measured", measured, ndim=1)
    pred = as_finite_array("predicted", predicted, ndim=1)
    if not (g.shape == meas.shape == pred.shape):
        raise ValueError(f"gaps, measured and predicted must have the same length, got {g.shape}, {meas.shape}, {pred.shape}")
    order = np.argsort(g)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=g[order], y=pred[order], mode="lines", name="predicted 2(λ_d − λ_d+1)",
                             line=dict(color="black", dash=THEORY_DASH)))
    fig.add_trace(go.Scatter(x=g[order], y=meas[order], mode="markers", name="measured (Riemannian descent)",
                             marker=dict(color=PALETTE[1], size=10)))
    base_layout(fig, title, "eigengap λ_d − λ_d+1", "decay rate of tan θ_max")
    return fig
