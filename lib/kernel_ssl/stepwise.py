r"""The stepwise dynamics of linearised Barlow Twins: closed-form trajectories, simulations, and their measurement.

Conventions (those of the book): loss :math:`\mathcal L = \lVert C - I_d\rVert_F^2`, symmetrised cross-correlation
:math:`C = \frac1{2n}\sum_i(f(x_i)f(x_i')^\top + f(x_i')f(x_i)^\top)`, effective time :math:`t = \eta\times\text{step}`.

- Linear model :math:`f = Wx`: :math:`C = W\Gamma W^\top` and gradient flow :math:`\dot W = -4(W\Gamma W^\top - I)W\Gamma`.
- Along the eigenmode :math:`(\gamma_j, v_j)` of :math:`\Gamma` the embedding eigenvalue :math:`c_j` obeys
  :math:`\dot c_j = 8\gamma_jc_j(1-c_j)` (exact from aligned initialisation): a logistic curve with half-height
  (step) time :math:`t_j = \ln\frac{1-c_j(0)}{c_j(0)}\big/(8\gamma_j)`. The constant 8 belongs to these conventions.
- From :math:`W_{ij}\sim\mathcal N(0,\alpha^2)`, :math:`c_j(0)\approx d\alpha^2\gamma_j` on average; for a given draw the
  effective start is :math:`c_j(0) = \gamma_jR_{jj}^2` with :math:`W_0V_d = QR` (the part of mode :math:`j`'s column
  that is orthogonal to the directions the earlier modes took).
- Kernel model :math:`f = W\varphi(x)`: the outputs on the stacked views follow :math:`F\leftarrow F - \eta K\nabla_F\mathcal L`,
  :math:`\nabla_F\mathcal L = \frac2n ZF(C-I)`, identical to gradient descent on :math:`W`; the modes are those of
  :math:`\frac1{2n}K^{1/2}ZK^{1/2}` (see :mod:`kernel_ssl.spectra`).

The loss equals :math:`\sum_j(1-c_j)^2` over the eigenvalues :math:`c_j` of :math:`C` (the Frobenius norm is invariant
under rotations), so simulations record the eigenvalues and the loss is computed from them exactly.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy.special import expit
from scipy.signal import find_peaks

from . import fitting, models, spectra
from .figures import PALETTE, THEORY_DASH, base_layout
from .validation import (as_finite_array, check_choice, check_positive_float, check_positive_int,
                         check_symmetric)

RATE = 8.0  # dc_j/dt = RATE * gamma_j * c_j (1 - c_j) with L = ||C - I||_F^2 and C normalised by 1/(2n)


# ------------------------------------------------------------------------------------------ closed forms
def _positive_vector(name: str, values) -> np.ndarray:
    arr = as_finite_array(name, values, ndim=1).astype(np.float64)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be positive (eigenvalues of the learned modes), got {arr}")
    return arr


def _start_values(c0, d: int) -> np.ndarray:
    arr = as_finite_array("c0", c0, ndim=1).astype(np.float64)
    if arr.shape[0] != d:
        raise ValueError(f"c0 must have one entry per mode ({d}), got shape {arr.shape}")
    if np.any(arr <= 0) or np.any(arr >= 1):
        raise ValueError(f"c0 must lie in (0, 1) (initial embedding eigenvalues), got {arr}")
    return arr


def growth_rates(gammas, lr: float | None = None) -> np.ndarray:
    r"""Rate of the linear phase of :math:`c_j`: :math:`8\gamma_j` for gradient flow, or
    :math:`\frac2\eta\ln(1+4\eta\gamma_j) = 8\gamma_j(1 - 2\eta\gamma_j + O(\eta^2\gamma_j^2))` for gradient descent
    with step ``lr`` :math:`=\eta` (one step multiplies the mode's column by :math:`1+4\eta\gamma_j`, so :math:`c_j`
    by its square)."""
    g = _positive_vector("gammas", gammas)
    if lr is None:
        return RATE * g
    lr = check_positive_float("lr", lr)
    return 2.0 * np.log1p(4.0 * lr * g) / lr


def _gd_map(gammas: np.ndarray, c0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    # exact gradient descent from an aligned start: s_j <- s_j + 4 lr gamma_j s_j (1 - gamma_j s_j^2), so
    # c_j = gamma_j s_j^2 <- c_j (1 + 4 lr gamma_j (1 - c_j))^2; rows are steps 0..steps
    out = np.empty((steps + 1, c0.shape[0]))
    c = c0.copy()
    out[0] = c
    for k in range(1, steps + 1):
        c = c * (1.0 + 4.0 * lr * gammas * (1.0 - c)) ** 2
        out[k] = c
    return out


def logistic_eigenvalues(t, gammas, c0, lr: float | None = None) -> np.ndarray:
    r"""Closed-form embedding eigenvalues :math:`c_j(t) = \big(1 + \frac{1-c_j(0)}{c_j(0)}e^{-8\gamma_jt}\big)^{-1}`,
    shape ``(len(t), d)``, for gradient flow from an aligned start.

    With ``lr`` :math:`=\eta`, the exact trajectory of gradient descent from an aligned start instead:
    :math:`c_j\leftarrow c_j\,(1+4\eta\gamma_j(1-c_j))^2` per step, at :math:`t = \eta\times` step (linear
    interpolation between steps); its early phase grows at the rate of :func:`growth_rates`.
    """
    ta = as_finite_array("t", t, ndim=1).astype(np.float64)
    if np.any(ta < 0):
        raise ValueError("t must be non-negative (effective time since initialisation)")
    rates = growth_rates(gammas, lr)
    c = _start_values(c0, rates.shape[0])
    if lr is None:
        return expit(rates[None, :] * ta[:, None] + np.log(c / (1 - c))[None, :])
    g = _positive_vector("gammas", gammas)
    steps = int(np.ceil(ta.max() / lr)) + 1
    path = _gd_map(g, c, lr, steps)
    grid = lr * np.arange(steps + 1)
    return np.stack([np.interp(ta, grid, path[:, j]) for j in range(g.shape[0])], axis=1)


def step_times(gammas, c0, lr: float | None = None) -> np.ndarray:
    r"""Half-height times :math:`t_j = \ln\frac{1-c_j(0)}{c_j(0)}\big/(8\gamma_j)` of the logistic curves, ``(d,)``.

    With ``lr``, the time at which the exact gradient-descent trajectory (see :func:`logistic_eigenvalues`) crosses
    :math:`\tfrac12` (for :math:`c_j(0) < \tfrac12`).
    """
    rates = growth_rates(gammas, lr)
    c = _start_values(c0, rates.shape[0])
    flow = np.log((1 - c) / c) / rates
    if lr is None:
        return flow
    if np.any(c >= 0.5):
        raise ValueError("c0 must be below 1/2 for gradient-descent step times (the step has not happened yet)")
    g = _positive_vector("gammas", gammas)
    steps = int(np.ceil(1.5 * flow.max() / lr)) + 10
    path = _gd_map(g, c, lr, steps)
    t = lr * np.arange(steps + 1)
    return crossing_times(t, path, 0.5)


def expected_initial_eigenvalues(gammas, d: int, alpha: float) -> np.ndarray:
    r""":math:`c_j(0)\approx d\alpha^2\gamma_j` for :math:`W_{ij}\sim\mathcal N(0,\alpha^2)`: the mean of
    :math:`\gamma_j\lVert W_0v_j\rVert^2`, a sum of ``d`` squared Gaussians of variance :math:`\alpha^2`."""
    g = _positive_vector("gammas", gammas)
    d = check_positive_int("d", d)
    alpha = check_positive_float("alpha", alpha)
    return d * alpha ** 2 * g


def initial_eigenvalues(mode_coordinates, gammas) -> np.ndarray:
    r"""Effective starting eigenvalues for a given initialisation, :math:`c_j(0) = \gamma_jR_{jj}^2`.

    ``mode_coordinates`` is the ``(d, d)`` matrix :math:`P = [w_1(0)\dots w_d(0)]` whose column :math:`j` is the
    initial output direction of mode :math:`j` (:math:`W_0v_j` for the linear model, see
    :func:`linear_mode_coordinates` and :func:`kernel_mode_coordinates`), and :math:`P = QR`. While mode :math:`j`
    grows, the earlier modes have taken the directions :math:`q_1..q_{j-1}`, where :math:`I-C\approx0`; only the
    part :math:`R_{jj}` of its column orthogonal to them keeps growing like :math:`e^{4\gamma_jt}`.
    """
    g = _positive_vector("gammas", gammas)
    p = as_finite_array("mode_coordinates", mode_coordinates, ndim=2).astype(np.float64)
    if p.shape != (g.shape[0], g.shape[0]):
        raise ValueError(f"mode_coordinates must have shape ({g.shape[0]}, {g.shape[0]}) (one column per mode), "
                         f"got {p.shape}")
    r = np.linalg.qr(p, mode="r")
    c0 = g * np.diag(r) ** 2
    if np.any(c0 <= 0):
        raise ValueError("mode_coordinates must have linearly independent columns (a mode has no component "
                         "left to grow)")
    return c0


def linear_mode_coordinates(w0, vectors) -> np.ndarray:
    r""":math:`W_0V_d`: column :math:`j` is the initial output direction of mode :math:`j` (``(d, d)``)."""
    w = as_finite_array("w0", w0, ndim=2)
    v = as_finite_array("vectors", vectors, ndim=2)
    if w.shape[1] != v.shape[0] or v.shape[1] != w.shape[0]:
        raise ValueError(f"w0 (d, m) and vectors (m, d) must match, got {w.shape} and {v.shape}")
    return w @ v


def kernel_mode_coordinates(f0, kernel, vectors) -> np.ndarray:
    r""":math:`F_0^\top K^{-1/2}U_d` for the kernel model: with :math:`F_0 = \Phi W_0^\top` and the feature-space
    eigenvectors :math:`v_j = \Phi^\top K^{-1/2}u_j`, it equals :math:`W_0V_d` (``(d, d)``). ``f0`` may be one
    ``(2n, d)`` array or a batch ``(B, 2n, d)`` (one factorisation of ``kernel`` for all)."""
    f = as_finite_array("f0", f0).astype(np.float64)
    u = as_finite_array("vectors", vectors, ndim=2)
    if f.ndim not in (2, 3) or f.shape[-2] != np.shape(kernel)[0] or u.shape != f.shape[-2:]:
        raise ValueError(f"f0 ((B,) 2n, d), kernel (2n, 2n) and vectors (2n, d) must match, got {f.shape}, "
                         f"{np.shape(kernel)} and {u.shape}")
    _, inv_root = spectra.psd_sqrt(kernel)
    return np.swapaxes(f, -1, -2) @ inv_root @ u


def staircase_loss(eigenvalues) -> np.ndarray:
    r""":math:`\mathcal L = \sum_j (1-c_j)^2` over the last axis (exact for :math:`\lVert C-I\rVert_F^2` given the
    eigenvalues of :math:`C`; with every :math:`c_j` a step from 0 to 1, it falls :math:`d, d-1, \dots, 0`)."""
    e = as_finite_array("eigenvalues", eigenvalues)
    return np.sum((1.0 - e) ** 2, axis=-1)


# ------------------------------------------------------------------------------------------ initialisations
def initial_weights(key: jax.Array, d: int, m: int, alpha: float) -> jnp.ndarray:
    r""":math:`W_0` with i.i.d. :math:`\mathcal N(0,\alpha^2)` entries, shape ``(d, m)`` (float64 if enabled)."""
    d = check_positive_int("d", d)
    m = check_positive_int("m", m)
    alpha = check_positive_float("alpha", alpha)
    return alpha * jax.random.normal(key, (d, m))


def initial_outputs(key: jax.Array, kernel, d: int, alpha: float) -> np.ndarray:
    r"""Outputs of :math:`f = W\varphi(x)` with :math:`W_{ij}\sim\mathcal N(0,\alpha^2)` on the training views:
    :math:`F_0 = \alpha K^{1/2}G`, :math:`G_{ij}\sim\mathcal N(0,1)` (a Gaussian process draw of covariance
    :math:`\alpha^2K`), shape ``(N, d)``."""
    d = check_positive_int("d", d)
    alpha = check_positive_float("alpha", alpha)
    root, _ = spectra.psd_sqrt(kernel)
    g = np.asarray(jax.random.normal(key, (root.shape[0], d)), dtype=np.float64)
    return alpha * root @ g


# ------------------------------------------------------------------------------------------ simulations
@dataclass(frozen=True)
class Staircase:
    """A simulated run: effective times ``t`` (``(T+1,)``, starting at 0), the eigenvalues of :math:`C` at each time
    (``(T+1, d)``, descending), the loss, and the final parameters (``W`` or ``F``)."""
    t: np.ndarray
    eigenvalues: np.ndarray
    loss: np.ndarray
    final: np.ndarray


def _check_schedule(lr, steps) -> tuple[float, int]:
    return check_positive_float("lr", lr), check_positive_int("steps", steps)


def _finish(t, eigs, final, what: str) -> Staircase:
    eigs = np.asarray(eigs)
    if not np.all(np.isfinite(eigs)):
        raise FloatingPointError(f"{what} diverged (non-finite eigenvalues of C); lower lr")
    return Staircase(t=t, eigenvalues=eigs, loss=np.sum((1.0 - eigs) ** 2, axis=-1), final=np.asarray(final))


@partial(jax.jit, static_argnames=("steps",))
def _linear_run(w0, gamma, lr, steps):
    eye = jnp.eye(w0.shape[0], dtype=w0.dtype)

    def eig(w):
        return jnp.linalg.eigvalsh(w @ gamma @ w.T)[::-1]

    def step(w, _):
        wg = w @ gamma
        w = w - lr * 4.0 * (wg @ w.T - eye) @ wg   # gradient of ||W Gamma W^T - I||_F^2 is 4 (C - I) W Gamma
        return w, eig(w)

    final, eigs = jax.lax.scan(step, w0, None, length=steps)
    return final, jnp.concatenate([eig(w0)[None], eigs])


def linear_descent(w0, gamma, lr: float, steps: int) -> Staircase:
    r"""Gradient descent :math:`W\leftarrow W - 4\eta(W\Gamma W^\top-I)W\Gamma` from ``w0`` (``(d, m)``), recording the
    eigenvalues of :math:`C = W\Gamma W^\top` after every step. Exactly the training of :math:`f = Wx` on any pairs whose
    cross-correlation is ``gamma``."""
    return linear_descent_batch(jnp.asarray(w0)[None], gamma, lr, steps)[0]


def linear_descent_batch(w0s, gammas, lr: float, steps: int) -> list[Staircase]:
    """:func:`linear_descent` for a batch of initialisations ``(B, d, m)`` and one ``gamma`` ``(m, m)`` or a batch
    ``(B, m, m)``, in one compiled program (``jax.vmap``)."""
    w = as_finite_array("w0s", w0s, ndim=3)
    g = as_finite_array("gammas", gammas)
    if g.ndim == 2:
        check_symmetric("gammas", g)
        g = np.broadcast_to(g, (w.shape[0],) + g.shape)
    elif g.ndim == 3:
        for b in range(g.shape[0]):
            check_symmetric(f"gammas[{b}]", g[b])
    else:
        raise ValueError(f"gammas must be (m, m) or (B, m, m), got shape {g.shape}")
    if g.shape[0] != w.shape[0] or g.shape[1] != w.shape[2]:
        raise ValueError(f"w0s (B, d, m) and gammas (B, m, m) must match, got {w.shape} and {g.shape}")
    lr, steps = _check_schedule(lr, steps)
    finals, eigs = jax.vmap(_linear_run, in_axes=(0, 0, None, None))(jnp.asarray(w0s), jnp.asarray(g), lr, steps)
    t = lr * np.arange(steps + 1)
    return [_finish(t, eigs[b], finals[b], "linear descent") for b in range(w.shape[0])]


@partial(jax.jit, static_argnames=("steps",))
def _kernel_run(f0, kernel, lr, steps):
    n = f0.shape[0] // 2
    eye = jnp.eye(f0.shape[1], dtype=f0.dtype)

    def swap(f):
        return jnp.concatenate([f[n:], f[:n]])

    def eig(f):
        return jnp.linalg.eigvalsh(f.T @ swap(f) / (2 * n))[::-1]

    def step(f, _):
        zf = swap(f)
        c = f.T @ zf / (2 * n)
        f = f - lr * kernel @ (2.0 / n * zf @ (c - eye))   # F <- F - lr K grad_F L, grad_F L = (2/n) Z F (C - I)
        return f, eig(f)

    final, eigs = jax.lax.scan(step, f0, None, length=steps)
    return final, jnp.concatenate([eig(f0)[None], eigs])


def kernel_descent(f0, kernel, lr: float, steps: int) -> Staircase:
    r"""Kernel gradient descent :math:`F\leftarrow F-\eta K\,\tfrac2nZF(C-I)` on the outputs ``f0`` (``(2n, d)``) at the
    stacked views, recording the eigenvalues of :math:`C = \frac1{2n}F^\top ZF` after every step. Identical to gradient
    descent on :math:`W` for :math:`f = W\varphi(x)` with :math:`K = \Phi\Phi^\top`."""
    return kernel_descent_batch(jnp.asarray(f0)[None], kernel, lr, steps)[0]


def kernel_descent_batch(f0s, kernel, lr: float, steps: int) -> list[Staircase]:
    """:func:`kernel_descent` for a batch of initial outputs ``(B, 2n, d)`` (one compiled program)."""
    f = as_finite_array("f0s", f0s, ndim=3)
    k = check_symmetric("kernel", kernel)
    if f.shape[1] % 2 or k.shape[0] != f.shape[1]:
        raise ValueError(f"f0s must be (B, 2n, d) outputs on the 2n stacked views of kernel (2n, 2n), got "
                         f"{f.shape} and {k.shape}")
    lr, steps = _check_schedule(lr, steps)
    finals, eigs = jax.vmap(_kernel_run, in_axes=(0, None, None, None))(jnp.asarray(f0s), jnp.asarray(kernel),
                                                                        lr, steps)
    t = lr * np.arange(steps + 1)
    return [_finish(t, eigs[b], finals[b], "kernel descent") for b in range(f.shape[0])]


@dataclass(frozen=True)
class NetworkRun:
    """A two-layer network trained on stacked views: effective times ``t`` (``(T+1,)``), the eigenvalues of the
    cross-correlation :math:`C` and of the embedding covariance at each time (descending, ``(T+1, d)``), the loss,
    and the outputs at initialisation and at the end (``(2n, d)``, centred over the views if ``centre``)."""
    t: np.ndarray
    cross_eigenvalues: np.ndarray
    covariance_eigenvalues: np.ndarray
    loss: np.ndarray
    outputs0: np.ndarray
    outputs: np.ndarray


def train_network(key: jax.Array, x_stacked, width: int, d: int,
                  pair_loss: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray], readout_scale: float, lr: float,
                  steps: int, activation: str = "relu", centre: bool = True) -> NetworkRun:
    r"""Full-batch gradient descent on the two-layer network of :mod:`kernel_ssl.models` with its read-out scaled
    down, :math:`A_0 = s\,\mathcal N(0,1)` (``readout_scale`` :math:`=s`), on ``pair_loss(za, zb)`` of the two views.

    With ``centre=True`` the embeddings are centred over the ``2n`` views before the loss (batch centring: for a
    model linear in its features this trains with the centred kernel :math:`HKH`). Records the eigenvalues of
    :math:`C` and of the covariance :math:`\frac1{2n}\tilde F^\top\tilde F` of the (centred) outputs at every step.
    """
    xs = as_finite_array("x_stacked", x_stacked, ndim=2)
    if xs.shape[0] % 2:
        raise ValueError(f"x_stacked must hold 2n stacked views (an even number of rows), got {xs.shape[0]}")
    width = check_positive_int("width", width)
    d = check_positive_int("d", d)
    if not callable(pair_loss):
        raise TypeError(f"pair_loss must be a function of the two views' embeddings, got {type(pair_loss).__name__}")
    readout_scale = check_positive_float("readout_scale", readout_scale)
    lr, steps = _check_schedule(lr, steps)
    check_choice("activation", activation, models.ACTIVATIONS)
    if not isinstance(centre, bool):
        raise TypeError(f"centre must be True or False, got {centre!r}")
    x = jnp.asarray(x_stacked)
    n = xs.shape[0] // 2
    params0 = models.init_two_layer(key, xs.shape[1], width, d, dtype=x.dtype)
    params0 = dict(params0, A=readout_scale * params0["A"])

    def outputs(p):
        f = models.two_layer_apply(p, x, activation)
        return f - f.mean(axis=0) if centre else f

    def loss_and_outputs(p):
        f = outputs(p)
        return pair_loss(f[:n], f[n:]), f

    def spectra_of(f):
        zf = jnp.concatenate([f[n:], f[:n]])
        fc = f - f.mean(axis=0)
        return (jnp.linalg.eigvalsh(f.T @ zf / (2 * n))[::-1], jnp.linalg.eigvalsh(fc.T @ fc / (2 * n))[::-1])

    grad = jax.value_and_grad(loss_and_outputs, has_aux=True)

    def step(p, _):
        (value, f), g = grad(p)
        cross, cov = spectra_of(f)
        return jax.tree_util.tree_map(lambda a, b: a - lr * b, p, g), (value, cross, cov)

    @jax.jit
    def run(p):
        final, (values, cross, cov) = jax.lax.scan(step, p, None, length=steps)
        value, f = loss_and_outputs(final)
        c_end, v_end = spectra_of(f)
        return (final, jnp.concatenate([values, value[None]]), jnp.concatenate([cross, c_end[None]]),
                jnp.concatenate([cov, v_end[None]]))

    final, values, cross, cov = run(params0)
    if not bool(jnp.all(jnp.isfinite(values))):
        raise FloatingPointError("network training diverged (non-finite loss); lower lr")
    return NetworkRun(t=lr * np.arange(steps + 1), cross_eigenvalues=np.asarray(cross),
                      covariance_eigenvalues=np.asarray(cov), loss=np.asarray(values),
                      outputs0=np.asarray(outputs(params0)), outputs=np.asarray(outputs(final)))


# ------------------------------------------------------------------------------------------ measurements
def _check_series(t, values, name: str) -> tuple[np.ndarray, np.ndarray]:
    ta = as_finite_array("t", t, ndim=1).astype(np.float64)
    va = as_finite_array(name, values).astype(np.float64)
    if va.shape[0] != ta.shape[0]:
        raise ValueError(f"{name} must have one row per time ({ta.shape[0]}), got shape {va.shape}")
    if np.any(np.diff(ta) <= 0):
        raise ValueError("t must be strictly increasing")
    return ta, va


def crossing_times(t, eigenvalues, level: float = 0.5) -> np.ndarray:
    r"""Measured step times: the first time each column of ``eigenvalues`` (``(T, d)``) reaches ``level``
    (linear interpolation between records). Raises ``ValueError`` naming the modes that never reach it."""
    ta, e = _check_series(t, eigenvalues, "eigenvalues")
    if e.ndim != 2:
        raise ValueError(f"eigenvalues must be (T, d), got shape {e.shape}")
    level = check_positive_float("level", level)
    above = e >= level
    missing = [j for j in range(e.shape[1]) if not above[:, j].any()]
    if missing:
        raise ValueError(f"modes {missing} (0-based) never reach {level}: run longer (last time {ta[-1]:.3g})")
    out = np.empty(e.shape[1])
    for j in range(e.shape[1]):
        k = int(np.argmax(above[:, j]))
        if k == 0:
            out[j] = ta[0]
        else:
            frac = (level - e[k - 1, j]) / (e[k, j] - e[k - 1, j])
            out[j] = ta[k - 1] + frac * (ta[k] - ta[k - 1])
    return out


def plateau_levels(t, loss, times) -> np.ndarray:
    r"""The loss on its plateaus: at the start, at the geometric midpoint :math:`\sqrt{t_jt_{j+1}}` of consecutive step
    times (the midpoint on a log time axis), and at the end; ``d + 1`` values."""
    ta, la = _check_series(t, loss, "loss")
    tj = _positive_vector("times", times)
    if np.any(np.diff(tj) <= 0) or tj[-1] > ta[-1]:
        raise ValueError("times must be increasing and within the recorded times")
    mids = np.sqrt(tj[:-1] * tj[1:])
    return np.concatenate([[la[0]], np.interp(mids, ta, la), [la[-1]]])


def loss_rate(t, loss, n_points: int = 512) -> tuple[np.ndarray, np.ndarray]:
    r"""The loss's rate of fall on a log time axis, :math:`-\mathrm d\mathcal L/\mathrm d\ln t`, on ``n_points``
    log-spaced times between the first positive record and the last."""
    ta, la = _check_series(t, loss, "loss")
    n_points = check_positive_int("n_points", n_points, minimum=8)
    positive = ta > 0
    if positive.sum() < 2:
        raise ValueError("t must hold at least two positive times")
    grid = np.geomspace(ta[positive][0], ta[-1], n_points)
    return grid, -np.gradient(np.interp(grid, ta, la), np.log(grid))


def count_steps(t, loss, resolution: float = 0.5, min_height: float = 0.05) -> int:
    r"""Number of resolved steps in a loss curve: peaks of :math:`-\mathrm d\mathcal L/\mathrm d\ln t` at least
    ``min_height`` times the highest, and *resolved*: between a peak and any higher one the rate falls below
    ``1 - resolution`` of the peak's height (``resolution = 0.5``: to half, the criterion for two separate steps)."""
    resolution = check_positive_float("resolution", resolution, maximum=1.0)
    min_height = check_positive_float("min_height", min_height, maximum=1.0)
    _, rate = loss_rate(t, loss)
    top = float(rate.max())
    if top <= 0:
        return 0
    peaks, props = find_peaks(rate, height=min_height * top, prominence=0.0)
    return int(np.sum(props["prominences"] >= resolution * props["peak_heights"]))


def init_scale_slopes(alphas, times) -> np.ndarray:
    r"""Fitted slopes of the step times (``(len(alphas), d)``) against :math:`\ln(1/\alpha^2)`, one per mode
    (prediction: :math:`1/(8\gamma_j)`)."""
    a = _positive_vector("alphas", alphas)
    tt = as_finite_array("times", times, ndim=2)
    if tt.shape[0] != a.shape[0]:
        raise ValueError(f"times must have one row per alpha ({a.shape[0]}), got shape {tt.shape}")
    x = np.log(1.0 / a ** 2)
    return np.array([fitting.linear_fit(x, tt[:, j])[0] for j in range(tt.shape[1])])


def log_spaced_indices(t, n_points: int = 200) -> np.ndarray:
    """Indices of about ``n_points`` records spread evenly on a log time axis (for light figures)."""
    ta = as_finite_array("t", t, ndim=1)
    n_points = check_positive_int("n_points", n_points, minimum=2)
    positive = np.flatnonzero(ta > 0)
    grid = np.geomspace(ta[positive[0]], ta[-1], n_points)
    return np.unique(np.clip(np.searchsorted(ta, grid), positive[0], ta.shape[0] - 1))


# ------------------------------------------------------------------------------------------ figures
def _two_panel_layout(title: str, eigen_label: str, height: int) -> dict:
    # Built as one dict (no make_subplots / update_* calls): the live control redraws this figure on every change
    # and must stay well under 100 ms; the axes are those of a 2-row subplot with a shared log time axis.
    return dict(title=title, template="plotly_white", height=height, margin=dict(l=60, r=20, t=60, b=50),
                legend=dict(bgcolor="rgba(255,255,255,0.7)"),
                xaxis=dict(type="log", exponentformat="power", anchor="y", title="effective time t = η × step"),
                xaxis2=dict(type="log", exponentformat="power", anchor="y2", matches="x", showticklabels=False),
                yaxis=dict(domain=[0.0, 0.56], anchor="x", title=eigen_label),
                yaxis2=dict(domain=[0.62, 1.0], anchor="x2", title="loss ‖C − I‖²"))


def staircase_figure(t, loss, eigenvalues, predicted_t=None, predicted_loss=None, predicted_eigenvalues=None,
                     predicted_times=None, title: str = "", eigen_label: str = "eigenvalues of C",
                     height: int = 560, t_min: float | None = None) -> go.Figure:
    """Two panels on a shared log time axis: the loss (top) and the embedding eigenvalues (bottom), measured solid,
    predictions dashed, predicted step times as dotted vertical lines. ``t``/``loss``/``eigenvalues`` may be None
    (a figure of the prediction only). ``t_min`` starts the time axis there (the early plateau is long on a log
    axis)."""
    data = []
    if t is not None:
        ta = as_finite_array("t", t, ndim=1)
        data.append(dict(type="scatter", x=ta, y=as_finite_array("loss", loss, ndim=1), mode="lines", name="loss",
                         line=dict(color="black"), xaxis="x2", yaxis="y2"))
        e = as_finite_array("eigenvalues", eigenvalues, ndim=2)
        for j in range(e.shape[1]):
            data.append(dict(type="scatter", x=ta, y=e[:, j], mode="lines", name=f"c{j + 1}", legendgroup=f"m{j}",
                             line=dict(color=PALETTE[j % len(PALETTE)]), xaxis="x", yaxis="y"))
    if predicted_t is not None:
        tp = as_finite_array("predicted_t", predicted_t, ndim=1)
        data.append(dict(type="scatter", x=tp, y=as_finite_array("predicted_loss", predicted_loss, ndim=1),
                         mode="lines", name="theory (dashed)", line=dict(color="black", dash=THEORY_DASH),
                         xaxis="x2", yaxis="y2"))
        ep = as_finite_array("predicted_eigenvalues", predicted_eigenvalues, ndim=2)
        for j in range(ep.shape[1]):
            data.append(dict(type="scatter", x=tp, y=ep[:, j], mode="lines", name=f"c{j + 1} theory",
                             legendgroup=f"m{j}", showlegend=t is None, xaxis="x", yaxis="y",
                             line=dict(color=PALETTE[j % len(PALETTE)], dash=THEORY_DASH)))
    layout = _two_panel_layout(title, eigen_label, height)
    if t_min is not None:
        t_hi = max(float(np.max(a)) for a in (t, predicted_t) if a is not None)
        layout["xaxis"]["range"] = [np.log10(check_positive_float("t_min", t_min)), np.log10(t_hi)]
    if predicted_times is not None:
        times = as_finite_array("predicted_times", predicted_times, ndim=1)
        layout["shapes"] = [dict(type="line", xref=xref, yref=f"{yref} domain", x0=float(tj), x1=float(tj), y0=0,
                                 y1=1, line=dict(color=PALETTE[j % len(PALETTE)], dash="dot", width=1))
                            for j, tj in enumerate(times) for xref, yref in (("x", "y"), ("x2", "y2"))]
    return go.Figure(data=data, layout=layout)


def staircase_slider(panels: Mapping[tuple[str, str], Mapping[str, np.ndarray]], first_label: str,
                     second_label: str, title: str, active: tuple[int, int] = (0, 0),
                     eigen_label: str = "eigenvalues of C", t_min: float | None = None) -> go.Figure:
    """The staircase for a grid of two settings, with one plotly slider per setting (works without a kernel).

    ``panels[(a, b)]`` holds ``t, loss, eigenvalues`` (measured, solid) and ``predicted_loss,
    predicted_eigenvalues`` (on the same ``t``, dashed), with the same number of modes in every panel. There is
    one group of traces per value of the first setting; the first slider chooses which group is *visible*, the
    second replaces the *data* of every group by that of its own value. The two therefore combine: what shows is
    the panel of the first slider's value and the second slider's value. ``t_min`` starts the time axis there.
    """
    keys = list(panels)
    if not keys:
        raise ValueError("panels must hold at least one setting")
    firsts = list(dict.fromkeys(k[0] for k in keys))
    seconds = list(dict.fromkeys(k[1] for k in keys))
    if set(keys) != {(a, b) for a in firsts for b in seconds}:
        raise ValueError("panels must hold every combination of the two settings")
    ia, ib = active

    def series(key):
        # (x, y) of every trace of one panel, in trace order: loss, loss theory, then (c_j, c_j theory) per mode
        p = panels[key]
        t = np.round(as_finite_array(f"panels[{key}]['t']", p["t"], ndim=1), 4)
        e = as_finite_array(f"panels[{key}]['eigenvalues']", p["eigenvalues"], ndim=2)
        ep = as_finite_array(f"panels[{key}]['predicted_eigenvalues']", p["predicted_eigenvalues"], ndim=2)
        ys = [as_finite_array(f"panels[{key}]['loss']", p["loss"], ndim=1),
              as_finite_array(f"panels[{key}]['predicted_loss']", p["predicted_loss"], ndim=1)]
        for j in range(e.shape[1]):
            ys += [e[:, j], ep[:, j]]
        return [(t, np.round(y, 5)) for y in ys]

    n_modes = {np.shape(panels[k]["eigenvalues"])[1] for k in keys}
    if len(n_modes) != 1:
        raise ValueError(f"every panel must have the same number of modes, got {sorted(n_modes)}")
    d = n_modes.pop()
    styles = [dict(name="loss", line=dict(color="black"), xaxis="x2", yaxis="y2"),
              dict(name="theory (dashed)", line=dict(color="black", dash=THEORY_DASH), xaxis="x2", yaxis="y2")]
    for j in range(d):
        color = PALETTE[j % len(PALETTE)]
        styles += [dict(name=f"c{j + 1}", legendgroup=f"m{j}", line=dict(color=color), xaxis="x", yaxis="y"),
                   dict(name=f"c{j + 1} theory", legendgroup=f"m{j}", showlegend=False,
                        line=dict(color=color, dash=THEORY_DASH), xaxis="x", yaxis="y")]
    data, owner = [], []
    for a in firsts:
        for style, (x, y) in zip(styles, series((a, seconds[ib]))):
            data.append(dict(type="scatter", mode="lines", x=x, y=y, visible=a == firsts[ia], **style))
            owner.append(a)
    slider_a = [dict(method="restyle", label=a, args=[{"visible": [o == a for o in owner]}]) for a in firsts]
    slider_b = []
    for b in seconds:
        xy = [xy for a in firsts for xy in series((a, b))]
        slider_b.append(dict(method="restyle", label=b, args=[{"x": [x for x, _ in xy], "y": [y for _, y in xy]}]))
    t_all = np.concatenate([np.asarray(panels[k]["t"], dtype=float) for k in keys])
    t_lo = float(t_all[t_all > 0].min()) if t_min is None else check_positive_float("t_min", t_min)
    t_hi = float(t_all.max())
    layout = _two_panel_layout(title, eigen_label, 660)
    layout["xaxis"].update(range=[np.log10(t_lo), np.log10(t_hi)])
    layout["yaxis"].update(range=[-0.05, 1.15])
    layout["yaxis2"].update(range=[-0.2, d + 0.3])
    layout["margin"] = dict(l=60, r=20, t=60, b=140)
    layout["sliders"] = [
        dict(active=ia, currentvalue=dict(prefix=f"{first_label}: "), pad=dict(t=60), steps=slider_a,
             len=0.46, x=0.0),
        dict(active=ib, currentvalue=dict(prefix=f"{second_label}: "), pad=dict(t=60), steps=slider_b,
             len=0.46, x=0.54)]
    return go.Figure(data=data, layout=layout)


def markers_with_theory(x, measured: Mapping[str, np.ndarray], predicted: Mapping[str, np.ndarray], title: str,
                        xaxis: str, yaxis: str, log_x: bool = False, log_y: bool = False) -> go.Figure:
    """Measurements as markers and, for the same names, predictions as dashed lines, one colour per name."""
    xa = as_finite_array("x", x, ndim=1)
    fig = go.Figure()
    for i, (name, y) in enumerate(measured.items()):
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(x=xa, y=as_finite_array(f"measured[{name!r}]", y, ndim=1), mode="markers",
                                 name=name, marker=dict(color=color, size=8)))
        if name in predicted:
            fig.add_trace(go.Scatter(x=xa, y=as_finite_array(f"predicted[{name!r}]", predicted[name], ndim=1),
                                     mode="lines", name=f"{name} (theory)", line=dict(color=color, dash=THEORY_DASH)))
    base_layout(fig, title, xaxis, yaxis)
    if log_x:
        fig.update_xaxes(type="log", exponentformat="power")
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def eigenvalue_panels(runs: Mapping[str, tuple[np.ndarray, np.ndarray]], title: str, yaxis: str,
                      log_y: bool = True, height: int = 420) -> go.Figure:
    """One panel per run (``runs[name] = (t, eigenvalues (T, d))``): every eigenvalue against log time."""
    if not runs:
        raise ValueError("runs must hold at least one run")
    names = list(runs)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, shared_yaxes=False, horizontal_spacing=0.07)
    for col, name in enumerate(names, start=1):
        t, e = runs[name]
        ta = as_finite_array(f"runs[{name!r}] t", t, ndim=1)
        ea = as_finite_array(f"runs[{name!r}] eigenvalues", e, ndim=2)
        keep = ta > 0
        for j in range(ea.shape[1]):
            fig.add_trace(go.Scatter(x=ta[keep], y=np.maximum(ea[keep, j], 1e-300) if log_y else ea[keep, j],
                                     mode="lines", name=f"eigenvalue {j + 1}", legendgroup=f"m{j}",
                                     showlegend=col == 1, line=dict(color=PALETTE[j % len(PALETTE)])),
                          row=1, col=col)
    base_layout(fig, title, "", "", height=height)
    fig.update_xaxes(type="log", exponentformat="power", title_text="effective time t")
    fig.update_yaxes(title_text=yaxis, row=1, col=1)
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


# ------------------------------------------------------------------------------------------ live control
def geometric_spectrum(d: int, ratio: float, extra: int = 1) -> np.ndarray:
    r""":math:`\gamma_j = r^{j-1}`, :math:`j = 1..d+\text{extra}`: equal eigengaps :math:`\gamma_{j+1}/\gamma_j = r`."""
    d = check_positive_int("d", d)
    ratio = check_positive_float("ratio", ratio)
    if ratio >= 1:
        raise ValueError(f"ratio must be in (0, 1) (a decreasing spectrum), got {ratio}")
    extra = check_positive_int("extra", extra, minimum=0)
    return ratio ** np.arange(d + extra)


def closed_form_staircase(log10_alpha: float, d: int, ratio: float, n_points: int = 200) -> go.Figure:
    r"""The live figure: loss and eigenvalues from the aligned-initialisation closed form for the spectrum
    :math:`\gamma_j = r^{j-1}` and :math:`c_j(0) = d\alpha^2\gamma_j`. No simulation: cheap enough for a slider."""
    if isinstance(log10_alpha, bool) or not isinstance(log10_alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"log10_alpha must be a real number, got {type(log10_alpha).__name__}")
    gammas = geometric_spectrum(d, ratio, extra=0)
    if not np.isfinite(log10_alpha) or d * 10.0 ** (2 * log10_alpha) >= 0.5:
        raise ValueError(f"log10_alpha must be finite with d * alpha^2 < 1/2 (a small initialisation), got "
                         f"{log10_alpha} for d = {d}")
    alpha = 10.0 ** float(log10_alpha)
    c0 = expected_initial_eigenvalues(gammas, d, alpha)
    times = step_times(gammas, c0)
    t = np.geomspace(times[0] / 5, times[-1] * 1.5, n_points)
    eigs = logistic_eigenvalues(t, gammas, c0)
    return staircase_figure(None, None, None, t, staircase_loss(eigs), eigs, times,
                            title=f"Closed form: α = 1e{log10_alpha:g}, d = {d}, γ_(j+1)/γ_j = {ratio:g}",
                            height=480)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence], fmt: str = ".3g") -> str:
    """A Markdown table (for ``IPython.display.Markdown``): numbers formatted with ``fmt``, other cells as text."""
    if not headers:
        raise ValueError("headers must name at least one column")
    for i, row in enumerate(rows):
        if len(row) != len(headers):
            raise ValueError(f"rows[{i}] must have {len(headers)} cells (one per header), got {len(row)}")

    def cell(v):
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return str(int(v))
        if isinstance(v, (float, np.floating)):
            return format(float(v), fmt)
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
