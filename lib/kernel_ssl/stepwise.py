r"""The stepwise dynamics of linearised Barlow Twins: closed-form trajectories, simulations, their measurement, and
the chapter's experiments (book/stepwise.ipynb).

Conventions (those of the book, see book/notation.md): loss :math:`\mathcal L = \lVert C - I_d\rVert_F^2`,
symmetrised cross-correlation :math:`C = \frac1{2n}F^\top ZF` of the outputs :math:`F\in\mathbb R^{N\times d}` on
the :math:`N = 2n` stacked views, effective time :math:`t = \eta\times\text{step}` (step size ``lr`` :math:`=\eta`).

- Linear model :math:`f = Wx`: :math:`C = W\Gamma W^\top` and gradient flow
  :math:`\dot W = -4(W\Gamma W^\top - I)W\Gamma`.
- Along the eigenmode :math:`(\gamma_j, v_j)` of :math:`\Gamma` the embedding eigenvalue :math:`c_j` obeys
  :math:`\dot c_j = 8\gamma_jc_j(1-c_j)` (exact from aligned initialisation): a logistic curve with half-height
  (step) time :math:`t_j = \ln\frac{1-c_j(0)}{c_j(0)}\big/(8\gamma_j)`. The constant 8 belongs to these conventions.
- From :math:`W_{ij}\sim\mathcal N(0,\alpha^2)`, :math:`c_j(0)\approx d\alpha^2\gamma_j` on average; for a given draw
  the effective start is :math:`c_j(0) = \gamma_jR_{jj}^2` with :math:`W_0V_d = QR` (the part of mode :math:`j`'s column
  that is orthogonal to the directions the earlier modes took).
- Kernel model :math:`f = W\varphi(x)`: the outputs follow :math:`F\leftarrow F - \eta K\nabla_F\mathcal L`,
  identical to gradient descent on :math:`W`; the modes :math:`(\lambda_j, u_j)` are those of the contrastive
  operator :math:`K_Z = \frac1{2n}K^{1/2}ZK^{1/2}` (:mod:`kernel_ssl.spectra`).

Every simulation is a step function run by :func:`kernel_ssl.dynamics.descend`. The loss equals
:math:`\sum_j(1-c_j)^2` over the eigenvalues :math:`c_j` of :math:`C` (the Frobenius norm is invariant under
rotations), so the simulations record the eigenvalues and the loss is computed from them exactly.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
from scipy.signal import find_peaks
from scipy.special import expit

from . import data, dynamics, fitting, linalg, losses, models, spectra
from .validation import (
    as_finite_array,
    check_bool,
    check_choice,
    check_key,
    check_positive_float,
    check_positive_int,
    check_stacked_views,
    check_symmetric,
)

RATE = 8.0  # dc_j/dt = RATE * gamma_j * c_j (1 - c_j) with L = ||C - I||_F^2 and C normalised by 1/(2n)
CLEAR_GAP = 0.8  # a mode has a clear gap if gamma_(j+1)/gamma_j and gamma_j/gamma_(j-1) are both at most this
PairLoss = Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]


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
    _, inv_root = linalg.psd_sqrt(kernel)
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
    root, _ = linalg.psd_sqrt(kernel)
    g = np.asarray(jax.random.normal(key, (root.shape[0], d)), dtype=np.float64)
    return alpha * root @ g


# ------------------------------------------------------------------------------------------ simulations
@dataclass(frozen=True)
class Staircase:
    """A simulated run: effective times ``t`` (``(R,)``, starting at 0), the eigenvalues of :math:`C` at each
    recorded time (``(R, d)``, descending), the loss, and the final parameters (``W`` or ``F``)."""
    t: np.ndarray
    eigenvalues: np.ndarray
    loss: np.ndarray
    final: np.ndarray


def _staircases(run: dynamics.Trajectory, finals) -> list[Staircase]:
    eigs = np.asarray(run.records)
    return [Staircase(t=run.t, eigenvalues=eigs[b], loss=staircase_loss(eigs[b]), final=np.asarray(finals[b]))
            for b in range(eigs.shape[0])]


def _linear_step(state, lr):
    # W <- W - 4 lr (W Gamma W^T - I) W Gamma; Gamma rides in the state so that a batch may mix spectra
    w, gamma = state
    wg = w @ gamma
    return w - 4.0 * lr * (wg @ w.T - jnp.eye(w.shape[0], dtype=w.dtype)) @ wg, gamma


def _linear_eigenvalues(state):
    w, gamma = state
    return jnp.linalg.eigvalsh(w @ gamma @ w.T)[::-1]


def linear_descent(w0, gamma, lr: float, steps: int, record_every: int = 1) -> Staircase:
    r"""Gradient descent :math:`W\leftarrow W - 4\eta(W\Gamma W^\top-I)W\Gamma` from ``w0`` (``(d, m)``), recording the
    eigenvalues of :math:`C = W\Gamma W^\top` every ``record_every`` steps. Exactly the training of :math:`f = Wx` on
    any pairs whose cross-correlation is ``gamma``."""
    return linear_descent_batch(np.asarray(w0)[None], gamma, lr, steps, record_every)[0]


def linear_descent_batch(w0s, gammas, lr: float, steps: int, record_every: int = 1) -> list[Staircase]:
    """:func:`linear_descent` for a batch of initialisations ``(B, d, m)`` and one ``gamma`` ``(m, m)`` or a batch
    ``(B, m, m)``, in one compiled program."""
    w = as_finite_array("w0s", w0s, ndim=3)
    g = as_finite_array("gammas", gammas)
    if g.ndim not in (2, 3):
        raise ValueError(f"gammas must be (m, m) or (B, m, m), got shape {g.shape}")
    for b, gb in enumerate(g[None] if g.ndim == 2 else g):
        check_symmetric("gammas" if g.ndim == 2 else f"gammas[{b}]", gb)
    g = np.broadcast_to(g, (w.shape[0],) + g.shape) if g.ndim == 2 else g
    if g.shape[0] != w.shape[0] or g.shape[1] != w.shape[2]:
        raise ValueError(f"w0s (B, d, m) and gammas (B, m, m) must match, got {w.shape} and {g.shape}")
    record_at = dynamics.record_steps(steps, every=record_every)
    run = dynamics.descend(_linear_step, (jnp.asarray(w), jnp.asarray(g)), lr, steps,
                           observe=_linear_eigenvalues, record_at=record_at, batched=True)
    return _staircases(run, run.final[0])


_BARLOW_TWINS = losses.stacked(losses.barlow_twins_theory)


def _output_eigenvalues(f, kernel=None):
    # eigenvalues of C = F^T Z F / 2n, descending
    n = f.shape[0] // 2
    return jnp.linalg.eigvalsh(losses.cross_correlation(f[:n], f[n:]))[::-1]


def kernel_descent(f0, kernel, lr: float, steps: int, record_every: int = 1) -> Staircase:
    r"""Kernel gradient descent :math:`F\leftarrow F-\eta K\nabla_F\mathcal L`, :math:`\nabla_F\mathcal L =
    \tfrac2nZF(C-I)`, on the outputs ``f0`` (``(N, d)``) at the stacked views, recording the eigenvalues of
    :math:`C = \frac1{2n}F^\top ZF` every ``record_every`` steps. Identical to gradient descent on :math:`W` for
    :math:`f = W\varphi(x)` with :math:`K = \Phi\Phi^\top`."""
    return kernel_descent_batch(np.asarray(f0)[None], kernel, lr, steps, record_every)[0]


def kernel_descent_batch(f0s, kernel, lr: float, steps: int, record_every: int = 1) -> list[Staircase]:
    """:func:`kernel_descent` for a batch of initial outputs ``(B, N, d)`` (one compiled program)."""
    f = as_finite_array("f0s", f0s, ndim=3)
    k = check_symmetric("kernel", kernel)
    if f.shape[1] % 2 or k.shape[0] != f.shape[1]:
        raise ValueError(f"f0s must be (B, N, d) outputs on the N = 2n stacked views of kernel (N, N), got "
                         f"{f.shape} and {k.shape}")
    record_at = dynamics.record_steps(steps, every=record_every)
    run = dynamics.descend(dynamics.kernel_gradient_step(_BARLOW_TWINS), jnp.asarray(f), lr, steps,
                           args=(jnp.asarray(k),), observe=_output_eigenvalues, record_at=record_at, batched=True)
    return _staircases(run, run.final)


@dataclass(frozen=True)
class NetworkRun:
    """A two-layer network trained on stacked views: effective times ``t`` (``(R,)``), the eigenvalues of the
    cross-correlation :math:`C` and of the embedding covariance at each time (descending, ``(R, d)``), the loss,
    and the outputs at initialisation and at the end (``(N, d)``, centred over the views if ``centre``)."""
    t: np.ndarray
    cross_eigenvalues: np.ndarray
    covariance_eigenvalues: np.ndarray
    loss: np.ndarray
    outputs0: np.ndarray
    outputs: np.ndarray


def _outputs(params, x, activation: str, centre: bool):
    f = models._two_layer_apply(params, x, activation, 0.0)
    return f - f.mean(axis=0) if centre else f


@cache
def _network_loss(pair_loss: PairLoss, activation: str, centre: bool) -> Callable:
    # one object per (loss, activation, centring): the compiled descent is cached by it
    def loss(params, x):
        return losses.stacked(pair_loss)(_outputs(params, x, activation, centre))
    return loss


@cache
def _network_observer(pair_loss: PairLoss, activation: str, centre: bool) -> Callable:
    def observe(params, x):
        f = _outputs(params, x, activation, centre)
        fc = f - f.mean(axis=0)
        return (losses.stacked(pair_loss)(f), _output_eigenvalues(f),
                jnp.linalg.eigvalsh(fc.T @ fc / f.shape[0])[::-1])
    return observe


def _check_pair_loss(pair_loss) -> PairLoss:
    if isinstance(pair_loss, str):
        return losses.get_ssl_loss(check_choice("pair_loss", pair_loss, losses.SSL_LOSSES))
    if not callable(pair_loss):
        raise TypeError(f"pair_loss must be a name in losses.SSL_LOSSES or a function of the two views' "
                        f"embeddings, got {type(pair_loss).__name__}")
    return pair_loss


def train_network(key: jax.Array, x_stacked, width: int, d: int, pair_loss: str | PairLoss, readout_scale: float,
                  lr: float, steps: int, activation: str = "relu", centre: bool = True) -> NetworkRun:
    r"""Full-batch gradient descent :math:`\theta\leftarrow\theta-\eta\nabla_\theta\mathcal L` on the two-layer
    network :math:`f(x) = \frac1{\sqrt M}W\sigma(Vx/\sqrt m)` of :mod:`kernel_ssl.models` with its read-out scaled
    down, :math:`W_0 = s\,\mathcal N(0,1)`, recording every step.

    With ``centre=True`` the embeddings are centred over the :math:`N` views before the loss (batch centring: for a
    model linear in its features this trains with the centred kernel :math:`HKH`).

    Args:
        key: the PRNG key of the initialisation.
        x_stacked: the stacked views :math:`\tilde X`, ``(N, m)``.
        width: :math:`M`.
        d: the embedding dimension.
        pair_loss: a loss of the two views' embeddings: a name in :data:`kernel_ssl.losses.SSL_LOSSES` or a function.
        readout_scale: :math:`s > 0`.
        lr: the step size :math:`\eta`.
        steps: the number of steps.
        activation: ``"relu"`` or ``"erf"``.
        centre: centre the embeddings over the views before the loss.

    Returns:
        A :class:`NetworkRun` (eigenvalues of :math:`C` and of the covariance :math:`\frac1N\tilde F^\top\tilde F` of
        the centred outputs, and the loss, at every step).
    """
    check_key("key", key)
    xs = check_stacked_views("x_stacked", x_stacked)
    width = check_positive_int("width", width)
    d = check_positive_int("d", d)
    pair_loss = _check_pair_loss(pair_loss)
    readout_scale = check_positive_float("readout_scale", readout_scale)
    check_choice("activation", activation, models.ACTIVATIONS)
    centre = check_bool("centre", centre)
    x = jnp.asarray(xs)
    params0 = models._init_two_layer(key, xs.shape[1], width, d, x.dtype)
    params0 = dict(params0, W=readout_scale * params0["W"])
    step = dynamics.gradient_step(_network_loss(pair_loss, activation, centre))
    run = dynamics.descend(step, params0, lr, steps, args=(x,),
                           observe=_network_observer(pair_loss, activation, centre),
                           record_at=dynamics.record_steps(steps))
    values, cross, cov = run.records
    final = {name: jnp.asarray(v) for name, v in run.final.items()}
    return NetworkRun(t=run.t, cross_eigenvalues=cross, covariance_eigenvalues=cov, loss=values,
                      outputs0=np.asarray(_outputs(params0, x, activation, centre)),
                      outputs=np.asarray(_outputs(final, x, activation, centre)))


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


# ------------------------------------------------------------------------------------------ comparisons
@dataclass(frozen=True)
class Comparison:
    """A measured run beside its prediction: recorded times ``t``, eigenvalues of :math:`C` ``(R, d)`` and loss;
    the modes' eigenvalues ``gammas`` and effective starts ``c0`` (``(d,)``); ``lr`` if the predictions iterate the
    exact gradient-descent map (None: gradient flow); the predicted step times."""
    t: np.ndarray
    eigenvalues: np.ndarray
    loss: np.ndarray
    gammas: np.ndarray
    c0: np.ndarray
    lr: float | None
    predicted_times: np.ndarray

    @property
    def measured_times(self) -> np.ndarray:
        """The times at which the eigenvalues cross 1/2 (:func:`crossing_times`)."""
        return crossing_times(self.t, self.eigenvalues)

    @property
    def rel_errors(self) -> np.ndarray:
        """:math:`|t_j^{\\rm pred} - t_j|/t_j` per mode."""
        measured = self.measured_times
        return np.abs(self.predicted_times - measured) / measured


def compare(t, eigenvalues, loss, gammas, c0, lr: float | None = None) -> Comparison:
    """A :class:`Comparison` of a recorded run with the logistic prediction from ``gammas`` and ``c0``."""
    return Comparison(t=np.asarray(t), eigenvalues=np.asarray(eigenvalues), loss=np.asarray(loss),
                      gammas=np.asarray(gammas), c0=np.asarray(c0), lr=lr, predicted_times=step_times(gammas, c0, lr))


def staircase_panel(cmp: Comparison, n_points: int = 300) -> dict[str, np.ndarray]:
    """About ``n_points`` log-spaced records of a comparison and its predicted curves, as the keyword arguments of
    :func:`kernel_ssl.figures.staircase_figure` (``t, loss, eigenvalues, predicted_loss, predicted_eigenvalues,
    predicted_times``)."""
    idx = log_spaced_indices(cmp.t, n_points)
    theory = logistic_eigenvalues(cmp.t[idx], cmp.gammas, cmp.c0, lr=cmp.lr)
    return dict(t=cmp.t[idx], loss=cmp.loss[idx], eigenvalues=cmp.eigenvalues[idx],
                predicted_loss=staircase_loss(theory), predicted_eigenvalues=theory,
                predicted_times=cmp.predicted_times)


def predicted_step_count(cmp: Comparison, n_points: int = 3000) -> int:
    """:func:`count_steps` on the predicted loss curve (from a tenth of the first predicted step time to the end)."""
    t = np.geomspace(cmp.predicted_times[0] / 10, cmp.t[-1], n_points)
    return count_steps(t, staircase_loss(logistic_eigenvalues(t, cmp.gammas, cmp.c0, lr=cmp.lr)))


def clear_gap_modes(values, threshold: float = CLEAR_GAP) -> list[int]:
    r"""The modes :math:`j` (0-based, of ``len(values) - 1``) whose eigengaps to both neighbours are clear:
    :math:`\gamma_{j+1}/\gamma_j` and :math:`\gamma_j/\gamma_{j-1}` at most ``threshold``."""
    v = _positive_vector("values", values)
    ratios = v[1:] / v[:-1]
    return [j for j in range(ratios.shape[0]) if ratios[j] <= threshold and (j == 0 or ratios[j - 1] <= threshold)]


def _linear_starts(alphas, direction, gammas, vectors) -> list[np.ndarray]:
    return [initial_eigenvalues(linear_mode_coordinates(a * direction, vectors), gammas) for a in alphas]


# ------------------------------------------------------------------------------------------ experiments
@dataclass(frozen=True)
class AlignedStart:
    """Largest :math:`|c_j(t) - \\text{logistic}|` from an aligned start: at step ``lr`` against the flow, at
    ``lr / 4`` against the flow, and at ``lr`` against the exact gradient-descent map."""
    max_error: float
    max_error_fine: float
    max_error_gd: float


def aligned_start(gamma, direction, d: int, alpha: float, lr: float) -> AlignedStart:
    r"""Gradient descent from the aligned start :math:`W(0) = S_0V_d^\top` (:math:`s_j(0) = \alpha\lVert G_j\rVert` for
    the rows :math:`G_j` of ``direction``) against the logistic solution.

    Args:
        gamma: :math:`\Gamma`, ``(m, m)``.
        direction: :math:`G`, ``(d, m)``; only the norms of its rows are used.
        d: the number of modes.
        alpha: the initialisation scale.
        lr: the step size.

    Returns:
        An :class:`AlignedStart`.
    """
    gammas, vectors = spectra.top_modes(gamma, d)
    s0 = check_positive_float("alpha", alpha) * np.linalg.norm(as_finite_array("direction", direction, ndim=2), axis=1)
    w0, c0 = s0[:, None] * vectors.T, gammas * s0 ** 2
    t_end = 1.2 * step_times(gammas, c0)[-1] + 1 / gammas[-1]
    lr = check_positive_float("lr", lr)
    coarse = linear_descent(w0, gamma, lr, int(t_end / lr))
    fine = linear_descent(w0, gamma, lr / 4, int(4 * t_end / lr))

    def error(run, step=None):
        return float(np.max(np.abs(run.eigenvalues - logistic_eigenvalues(run.t, gammas, c0, lr=step))))
    return AlignedStart(max_error=error(coarse), max_error_fine=error(fine), max_error_gd=error(coarse, lr))


def synthetic_gammas(key: jax.Array, n_pairs: int, input_dim: int, gaps: Sequence[float],
                     noise_std: float = 0.1) -> dict[float, np.ndarray]:
    r""":math:`\Gamma` of synthetic pairs with the designed spectrum :math:`\gamma_k = r^{k-1}`, one per gap ``r``,
    all from the same key (the same underlying draws)."""
    return {r: spectra.pair_cross_correlation(*data.synthetic_pairs(key, n_pairs, r ** np.arange(input_dim),
                                                                    noise_std=noise_std)) for r in gaps}


@dataclass(frozen=True)
class StaircaseGrid:
    """Linear runs on a grid of initialisation scales and eigengaps: ``runs[(alpha, gap)]`` compared with the
    draw-specific prediction; one step size ``lr`` and number of ``steps`` for all."""
    runs: dict
    lr: float
    steps: int


def staircase_grid(gammas_by_gap: Mapping[float, np.ndarray], alphas: Sequence[float], direction, d: int,
                   lr_scale: float) -> StaircaseGrid:
    r"""Train :math:`f = Wx` from :math:`W_0 = \alpha G` for every :math:`(\alpha, r)`, in one compiled batch.

    Args:
        gammas_by_gap: :math:`\Gamma` per eigengap :math:`r` (:func:`synthetic_gammas`).
        alphas: the initialisation scales.
        direction: :math:`G`, ``(d, m)``.
        d: the embedding dimension.
        lr_scale: :math:`\eta\gamma_1` for the largest :math:`\gamma_1` of the grid.

    Returns:
        A :class:`StaircaseGrid`; runs last 1.2 times the latest predicted step plus :math:`1/\gamma_d`.
    """
    modes = {r: spectra.top_modes(g, d) for r, g in gammas_by_gap.items()}
    combos = [(a, r) for a in alphas for r in gammas_by_gap]
    c0 = {(a, r): _linear_starts([a], direction, *modes[r])[0] for a, r in combos}
    lr = check_positive_float("lr_scale", lr_scale) / max(v[0] for v, _ in modes.values())
    steps = int(max(1.2 * step_times(modes[r][0], c0[(a, r)])[-1] + 1 / modes[r][0][-1] for a, r in combos) / lr)
    runs = linear_descent_batch(np.stack([a * np.asarray(direction) for a, _ in combos]),
                                np.stack([gammas_by_gap[r] for _, r in combos]), lr, steps)
    return StaircaseGrid(runs={c: compare(run.t, run.eigenvalues, run.loss, modes[c[1]][0], c0[c])
                               for c, run in zip(combos, runs, strict=True)}, lr=lr, steps=steps)


@dataclass(frozen=True)
class DigitsLinear:
    """The linear model on centred digit pairs: the run against its prediction, the eigenvalue ratios
    :math:`\\gamma_{j+1}/\\gamma_j` (``(d,)``), the modes with a clear gap, and :math:`\\gamma_1/\\gamma_2` of the
    same views uncentred."""
    comparison: Comparison
    ratios: np.ndarray
    clear: list
    uncentred_top_ratio: float


def digits_linear(data_key: jax.Array, init_key: jax.Array, n_pairs: int, d: int, alpha: float,
                  lr_scale: float) -> DigitsLinear:
    r"""Linear Barlow Twins on centred digit pairs (``normalise="none"``) from :math:`W_0 = \alpha G`.

    Args:
        data_key: the key of the pairs (:func:`kernel_ssl.data.digits_pairs`).
        init_key: the key of :math:`G` (``(d, 64)``).
        n_pairs: the number of pairs.
        d: the embedding dimension.
        alpha: the initialisation scale.
        lr_scale: :math:`\eta\gamma_1`.

    Returns:
        A :class:`DigitsLinear`.
    """
    xd, xd_prime, _ = data.digits_pairs(data_key, n_pairs, normalise="none", centre=True)
    gamma = spectra.pair_cross_correlation(xd, xd_prime)
    values, vectors = spectra.top_modes(gamma, d + 1)
    raw, _ = spectra.top_modes(spectra.pair_cross_correlation(*data.digits_pairs(data_key, n_pairs,
                                                                                 normalise="none")[:2]), 2)
    w0 = check_positive_float("alpha", alpha) * np.asarray(jax.random.normal(init_key, (d, xd.shape[1])))
    c0 = initial_eigenvalues(linear_mode_coordinates(w0, vectors[:, :d]), values[:d])
    lr = check_positive_float("lr_scale", lr_scale) / values[0]
    run = linear_descent(w0, gamma, lr, int((1.2 * step_times(values[:d], c0)[-1] + 1 / values[d - 1]) / lr))
    return DigitsLinear(comparison=compare(run.t, run.eigenvalues, run.loss, values[:d], c0),
                        ratios=values[1:] / values[:-1], clear=clear_gap_modes(values),
                        uncentred_top_ratio=float(raw[0] / raw[1]))


@dataclass(frozen=True)
class InitScaleSweep:
    """Step times against the initialisation scale: ``predicted`` and ``measured`` ``(len(alphas), d)``, fitted
    ``slopes`` against :math:`\\ln(1/\\alpha^2)` and the predicted :math:`1/(8\\gamma_j)`."""
    alphas: np.ndarray
    predicted: np.ndarray
    measured: np.ndarray
    slopes: np.ndarray
    slopes_predicted: np.ndarray

    @property
    def slope_rel_error(self) -> float:
        return float(np.max(np.abs(self.slopes - self.slopes_predicted) / self.slopes_predicted))


def init_scale_sweep(gamma, direction, d: int, alphas: Sequence[float], lr: float) -> InitScaleSweep:
    r"""Train :math:`f = Wx` from :math:`W_0 = \alpha G` for every ``alpha`` (one direction :math:`G`, one batch) and
    fit the measured step times against :math:`\ln(1/\alpha^2)`.

    Args:
        gamma: :math:`\Gamma`, ``(m, m)``.
        direction: :math:`G`, ``(d, m)``.
        d: the embedding dimension.
        alphas: the initialisation scales, decreasing.
        lr: the step size.

    Returns:
        An :class:`InitScaleSweep`.
    """
    gammas, vectors = spectra.top_modes(gamma, d)
    a = _positive_vector("alphas", alphas)
    predicted = np.array([step_times(gammas, c) for c in _linear_starts(a, direction, gammas, vectors)])
    steps = int((1.2 * predicted[-1, -1] + 1 / gammas[-1]) / lr)
    runs = linear_descent_batch(np.stack([ai * np.asarray(direction) for ai in a]), gamma, lr, steps)
    measured = np.array([crossing_times(r.t, r.eigenvalues) for r in runs])
    return InitScaleSweep(alphas=a, predicted=predicted, measured=measured, slopes=init_scale_slopes(a, measured),
                          slopes_predicted=1 / (RATE * gammas))


def linear_kernel_agreement(x, x_prime, d: int) -> tuple[float, float]:
    r"""With the linear kernel :math:`K = \tilde X\tilde X^\top`: the largest relative difference between the top
    eigenvalues of :math:`K_Z` and of :math:`\Gamma`, and the relative difference between the kernel closed form's
    learned kernel on the views and :math:`\tilde XW^{\star\top}W^\star\tilde X^\top`."""
    xs = np.asarray(data.stack_views(x, x_prime), dtype=np.float64)
    gamma, k = spectra.pair_cross_correlation(x, x_prime), xs @ xs.T
    lam, _ = spectra.kernel_modes(k, d)
    g, _ = spectra.top_modes(gamma, d)
    w_star = spectra.closed_form_linear(gamma, d)
    return (float(np.max(np.abs(lam - g) / g)),
            linalg.relative_frobenius_error(spectra.closed_form_kernel(k, k, k, d), xs @ w_star.T @ w_star @ xs.T))


@dataclass(frozen=True)
class KernelStaircase:
    """Kernel-model runs from :math:`F_0 = \\alpha K^{1/2}G` for several ``alphas``: the top ``d + 1`` eigenvalues
    ``lam`` of :math:`K_Z`, the step size, the runs (with their final outputs) and their comparisons."""
    alphas: list
    lam: np.ndarray
    lr: float
    runs: list
    comparisons: list

    def at(self, alpha: float) -> Comparison:
        return self.comparisons[self.alphas.index(alpha)]


def kernel_staircase(kernel, g_unit, alphas: Sequence[float], d: int, lr_scale: float,
                     gd_prediction: bool = False) -> KernelStaircase:
    r"""The kernel model :math:`F\leftarrow F-\eta K\nabla_F\mathcal L` from :math:`F_0 = \alpha K^{1/2}G` (the same
    :math:`G` for every :math:`\alpha`), against the prediction from the modes of :math:`K_Z`.

    Args:
        kernel: :math:`K`, ``(N, N)``.
        g_unit: :math:`G`, ``(N, d)``.
        alphas: the initialisation scales.
        d: the embedding dimension.
        lr_scale: :math:`\eta\lambda_1`.
        gd_prediction: predict with the exact gradient-descent map instead of the flow (for large steps).

    Returns:
        A :class:`KernelStaircase`; runs last 1.2 times the latest predicted step plus :math:`1/\lambda_d`.
    """
    lam, u = spectra.kernel_modes(kernel, d + 1)
    root, _ = linalg.psd_sqrt(kernel)
    f0s = np.stack([a * root @ np.asarray(g_unit) for a in alphas])
    c0s = [initial_eigenvalues(p, lam[:d]) for p in kernel_mode_coordinates(f0s, kernel, u[:, :d])]
    lr = check_positive_float("lr_scale", lr_scale) / lam[0]
    step_lr = lr if check_bool("gd_prediction", gd_prediction) else None
    preds = [step_times(lam[:d], c, step_lr) for c in c0s]
    steps = int(max(1.2 * p[-1] for p in preds) / lr + 1 / (lam[d - 1] * lr))
    runs = kernel_descent_batch(f0s, kernel, lr, steps)
    return KernelStaircase(alphas=list(alphas), lam=lam, lr=lr, runs=runs,
                           comparisons=[compare(r.t, r.eigenvalues, r.loss, lam[:d], c, step_lr)
                                        for r, c in zip(runs, c0s, strict=True)])


@dataclass(frozen=True)
class NetworkSweep:
    """Finite networks against their kernel model (the centred NNGP kernel, from each network's own start) and the
    closed form, over ``widths`` (means over ``repeats`` initialisations), and the widest network's staircase."""
    widths: list
    lam: np.ndarray
    lr: float
    steps: int
    overlaps_model: np.ndarray
    overlaps_closed_form: np.ndarray
    overlap_slope: float
    kernel_model_overlap: float
    network: Comparison
    kernel_model: Comparison


def network_sweep(key: jax.Array, x_stacked, widths: Sequence[int], d: int, kernel, readout_scale: float,
                  lr_scale: float, repeats: int = 2) -> NetworkSweep:
    r"""Train two-layer networks (Barlow Twins, batch-centred, read-out :math:`W_0 = s\mathcal N(0,1)`) at every
    width and compare each with the kernel model run from its own initial outputs.

    Args:
        key: the PRNG key; the network of width :math:`M`, repeat :math:`r` uses ``fold_in(fold_in(key, M), r)``.
        x_stacked: the stacked views, ``(N, m)``.
        widths: the widths :math:`M`, increasing.
        d: the embedding dimension.
        kernel: the kernel of the kernel model (the centred NNGP kernel of the views).
        readout_scale: :math:`s`.
        lr_scale: :math:`\eta\lambda_1` (predictions iterate the exact gradient-descent map at this step).
        repeats: initialisations per width.

    Returns:
        A :class:`NetworkSweep`; runs last 1.3 times the expected last step plus :math:`1/\lambda_d`.
    """
    lam, u = spectra.kernel_modes(kernel, d + 1)
    f_star = spectra.closed_form_outputs(kernel, d)
    lr = check_positive_float("lr_scale", lr_scale) / lam[0]
    c0_expected = expected_initial_eigenvalues(lam[:d], d, readout_scale)
    steps = int((1.3 * step_times(lam[:d], c0_expected, lr=lr)[-1] + 1 / lam[d - 1]) / lr)
    keys = [(w, r) for w in widths for r in range(check_positive_int("repeats", repeats))]
    nets = {(w, r): train_network(jax.random.fold_in(jax.random.fold_in(key, w), r), x_stacked, w, d,
                                  "barlow_twins", readout_scale, lr, steps) for w, r in keys}
    kernel_runs = kernel_descent_batch(np.stack([nets[k].outputs0 for k in keys]), kernel, lr, steps)
    models_ = dict(zip(keys, kernel_runs, strict=True))

    def mean_overlap(reference):
        return np.array([np.mean([linalg.subspace_overlap(nets[(w, r)].outputs, reference(w, r))
                                  for r in range(repeats)]) for w in widths])
    overlaps_model = mean_overlap(lambda w, r: models_[(w, r)].final)
    wide, km = nets[(widths[-1], 0)], models_[(widths[-1], 0)]
    c0 = initial_eigenvalues(kernel_mode_coordinates(wide.outputs0, kernel, u[:, :d]), lam[:d])
    return NetworkSweep(
        widths=list(widths), lam=lam, lr=lr, steps=steps, overlaps_model=overlaps_model,
        overlaps_closed_form=mean_overlap(lambda w, r: f_star),
        overlap_slope=fitting.loglog_slope(widths, 1 - overlaps_model)[0],
        kernel_model_overlap=float(np.mean([linalg.subspace_overlap(m.final, f_star) for m in models_.values()])),
        network=compare(wide.t, wide.cross_eigenvalues, wide.loss, lam[:d], c0, lr),
        kernel_model=compare(km.t, km.eigenvalues, km.loss, lam[:d], c0, lr))


@dataclass(frozen=True)
class ClosedFormGap:
    r"""Distance of trained end points from the closed form, one entry per run: the learned kernel's relative
    difference :math:`\lVert FF^\top - F^\star F^{\star\top}\rVert_F/\lVert F^\star F^{\star\top}\rVert_F`
    and the subspace overlap of the column spaces."""
    kernel_difference: np.ndarray
    overlap: np.ndarray


def closed_form_gap(finals: Sequence[np.ndarray], reference) -> ClosedFormGap:
    """:class:`ClosedFormGap` of each final representation (``(N, d)``; for the linear model :math:`W^\\top`) from
    ``reference`` (the closed form, same shape)."""
    ref = as_finite_array("reference", reference, ndim=2)
    return ClosedFormGap(
        kernel_difference=np.array([linalg.relative_frobenius_error(f @ f.T, ref @ ref.T) for f in finals]),
        overlap=np.array([linalg.subspace_overlap(f, ref) for f in finals]))


@dataclass(frozen=True)
class ClosedFormLimit:
    """Linear runs from :math:`W_0 = \\alpha G` against the closed form :math:`W^\\star`: the ratio
    :math:`\\gamma_{d+1}/\\gamma_d`, the gaps per ``alpha``, the final losses, and the fitted exponent of the kernel
    difference over the four smallest ``alpha`` (predicted: ``1 - ratio``)."""
    alphas: np.ndarray
    ratio: float
    gap: ClosedFormGap
    final_loss: np.ndarray
    slope: float


def closed_form_limit(gamma, direction, d: int, alphas: Sequence[float], lr_scale: float) -> ClosedFormLimit:
    r"""Train :math:`f = Wx` to convergence from :math:`W_0 = \alpha G` for every ``alpha`` (one batch, only the end
    recorded) and measure the distance from :math:`W^\star = \Gamma_d^{-1/2}V_d^\top`.

    Args:
        gamma: :math:`\Gamma`, ``(m, m)``.
        direction: :math:`G`, ``(d, m)``.
        d: the embedding dimension.
        alphas: the initialisation scales, decreasing (at least four).
        lr_scale: :math:`\eta\gamma_1`.

    Returns:
        A :class:`ClosedFormLimit`; runs last 1.5 times the last predicted step at the smallest ``alpha`` plus
        :math:`2/\gamma_d`.
    """
    a = _positive_vector("alphas", alphas)
    values, vectors = spectra.top_modes(gamma, d + 1)
    c0_last = _linear_starts(a[-1:], direction, values[:d], vectors[:, :d])[0]
    lr = check_positive_float("lr_scale", lr_scale) / values[0]
    steps = int((1.5 * step_times(values[:d], c0_last)[-1] + 2 / values[d - 1]) / lr)
    runs = linear_descent_batch(np.stack([ai * np.asarray(direction) for ai in a]), gamma, lr, steps,
                                record_every=steps)
    gap = closed_form_gap([r.final.T for r in runs], spectra.closed_form_linear(gamma, d).T)
    return ClosedFormLimit(alphas=a, ratio=float(values[d] / values[d - 1]), gap=gap,
                           final_loss=np.array([r.loss[-1] for r in runs]),
                           slope=fitting.loglog_slope(a[-4:], gap.kernel_difference[-4:])[0])


# ------------------------------------------------------------------------------------------ live control
def geometric_spectrum(d: int, ratio: float, extra: int = 1) -> np.ndarray:
    r""":math:`\gamma_j = r^{j-1}`, :math:`j = 1..d+\text{extra}`: equal eigengaps :math:`\gamma_{j+1}/\gamma_j = r`."""
    d = check_positive_int("d", d)
    ratio = check_positive_float("ratio", ratio)
    if ratio >= 1:
        raise ValueError(f"ratio must be in (0, 1) (a decreasing spectrum), got {ratio}")
    extra = check_positive_int("extra", extra, minimum=0)
    return ratio ** np.arange(d + extra)


def closed_form_curves(log10_alpha: float, d: int, ratio: float, n_points: int = 200) -> dict[str, np.ndarray]:
    r"""Loss and eigenvalues from the aligned-start closed form for the spectrum :math:`\gamma_j = r^{j-1}` and
    :math:`c_j(0) = d\alpha^2\gamma_j`, as the keyword arguments of :func:`kernel_ssl.figures.staircase_figure`
    (``predicted_t, predicted_loss, predicted_eigenvalues, predicted_times``). No simulation: cheap enough for a
    slider."""
    if isinstance(log10_alpha, bool) or not isinstance(log10_alpha, (int, float, np.integer, np.floating)):
        raise TypeError(f"log10_alpha must be a real number, got {type(log10_alpha).__name__}")
    gammas = geometric_spectrum(d, ratio, extra=0)
    if not np.isfinite(log10_alpha) or d * 10.0 ** (2 * log10_alpha) >= 0.5:
        raise ValueError(f"log10_alpha must be finite with d * alpha^2 < 1/2 (a small initialisation), got "
                         f"{log10_alpha} for d = {d}")
    c0 = expected_initial_eigenvalues(gammas, d, 10.0 ** float(log10_alpha))
    times = step_times(gammas, c0)
    t = np.geomspace(times[0] / 5, times[-1] * 1.5, check_positive_int("n_points", n_points, minimum=2))
    eigs = logistic_eigenvalues(t, gammas, c0)
    return dict(predicted_t=t, predicted_loss=staircase_loss(eigs), predicted_eigenvalues=eigs, predicted_times=times)
