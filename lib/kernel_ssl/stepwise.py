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
from scipy.special import digamma, expit

from . import data, dynamics, fitting, linalg, losses, models, precision, probes, spectra
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


def expected_log_start(d: int) -> np.ndarray:
    r""":math:`\mathbb E\ln(R_{jj}^2/\alpha^2) = \psi\big(\tfrac{d-j+1}2\big) + \ln 2`, :math:`j = 1..d`: the mean
    log of a :math:`\chi^2` variable with :math:`d-j+1` degrees of freedom (:math:`\psi` the digamma function),
    which is the law of :math:`R_{jj}^2/\alpha^2` for a :math:`d\times d` matrix of i.i.d.
    :math:`\mathcal N(0,\alpha^2)` entries (Bartlett decomposition)."""
    d = check_positive_int("d", d)
    return digamma((d - np.arange(d)) / 2.0) + np.log(2.0)


def expected_step_times(gammas, d: int, alpha: float, lr: float | None = None) -> np.ndarray:
    r"""The step times averaged over random starts :math:`W_0 = \alpha G`, to leading order in :math:`c_j(0)`:

    .. math:: \mathbb E\,t_j = \frac{\ln\frac1{\gamma_j\alpha^2} - \psi\big(\tfrac{d-j+1}2\big) - \ln 2}{8\gamma_j},

    since :math:`t_j\approx\ln\frac1{\gamma_jR_{jj}^2}/(8\gamma_j)` is linear in :math:`\ln R_{jj}^2`
    (:func:`expected_log_start`). With ``lr``, the rate :math:`8\gamma_j` is that of gradient descent
    (:func:`growth_rates`). The biased form :math:`c_j(0)\approx d\alpha^2\gamma_j` replaces the mean of the log by
    the log of the mean, :math:`\ln d > \psi(\tfrac d2)+\ln 2` (Jensen).

    Args:
        gammas: :math:`\gamma_1..\gamma_d`, positive.
        d: the embedding dimension (the number of modes).
        alpha: the initialisation scale.
        lr: the step size of gradient descent (None: gradient flow).

    Returns:
        The expected step times, ``(d,)``.
    """
    g = _positive_vector("gammas", gammas)
    d = check_positive_int("d", d)
    if g.shape[0] != d:
        raise ValueError(f"gammas must have d = {d} entries, got {g.shape[0]}")
    alpha = check_positive_float("alpha", alpha)
    return (np.log(1.0 / (g * alpha ** 2)) - expected_log_start(d)) / growth_rates(g, lr)


def qr_rotation(mode_coordinates) -> np.ndarray:
    r"""The orthogonal factor :math:`Q` of :math:`P = QR` with :math:`R_{jj} > 0` (``(d, d)``): mode :math:`j` grows
    along :math:`q_j`, so the predicted final rotation is :math:`O = Q`."""
    p = as_finite_array("mode_coordinates", mode_coordinates, ndim=2).astype(np.float64)
    if p.shape[0] != p.shape[1]:
        raise ValueError(f"mode_coordinates must be square (d, d), got {p.shape}")
    q, r = np.linalg.qr(p)
    signs = np.sign(np.diag(r))
    if np.any(signs == 0):
        raise ValueError("mode_coordinates must have linearly independent columns")
    return q * signs[None, :]


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


def _pair_loss(w, x, x_prime):
    return losses.barlow_twins_theory(x @ w.T, x_prime @ w.T)


_pair_loss_and_grad = jax.jit(jax.value_and_grad(_pair_loss))


def pair_identity_errors(x, x_prime, w) -> tuple[float, float]:
    r"""Relative round-off of the two identities the linear model rests on, at the weights ``w`` (``(d, m)``): the loss
    of the pairs ``x``, ``x_prime`` (``(n, m)`` each) against :math:`\lVert W\Gamma W^\top - I\rVert_F^2`, and its
    autodiff gradient against :math:`4(W\Gamma W^\top - I)W\Gamma` (one compiled program for both)."""
    xa, xpa = as_finite_array("x", x, ndim=2), as_finite_array("x_prime", x_prime, ndim=2)
    wa = as_finite_array("w", w, ndim=2)
    if xa.shape != xpa.shape or wa.shape[1] != xa.shape[1]:
        raise ValueError(f"x, x_prime (n, m) and w (d, m) must match, got {xa.shape}, {xpa.shape} and {wa.shape}")
    gamma = spectra.pair_cross_correlation(xa, xpa)
    c = wa @ gamma @ wa.T
    value, grad = _pair_loss_and_grad(jnp.asarray(wa), jnp.asarray(xa), jnp.asarray(xpa))
    identity = np.eye(wa.shape[0])
    return (float(abs(float(value) - np.sum((c - identity) ** 2)) / float(value)),
            linalg.relative_frobenius_error(4 * (c - identity) @ wa @ gamma, np.asarray(grad)))


# ------------------------------------------------------------------------------------------ initialisations
def initial_weights(key: jax.Array, d: int, m: int, alpha: float) -> jnp.ndarray:
    r""":math:`W_0` with i.i.d. :math:`\mathcal N(0,\alpha^2)` entries, shape ``(d, m)`` (drawn by
    :func:`kernel_ssl.precision.normal`: the same draw whatever the float64 switch)."""
    d = check_positive_int("d", d)
    m = check_positive_int("m", m)
    alpha = check_positive_float("alpha", alpha)
    return alpha * precision.normal(key, (d, m))


def initial_outputs(key: jax.Array, kernel, d: int, alpha: float) -> np.ndarray:
    r"""Outputs of :math:`f = W\varphi(x)` with :math:`W_{ij}\sim\mathcal N(0,\alpha^2)` on the training views:
    :math:`F_0 = \alpha K^{1/2}G`, :math:`G_{ij}\sim\mathcal N(0,1)` (a Gaussian process draw of covariance
    :math:`\alpha^2K`), shape ``(N, d)``."""
    d = check_positive_int("d", d)
    alpha = check_positive_float("alpha", alpha)
    root, _ = linalg.psd_sqrt(kernel)
    g = np.asarray(precision.normal(key, (root.shape[0], d)), dtype=np.float64)
    return alpha * root @ g


# ------------------------------------------------------------------------------------------ simulations
@dataclass(frozen=True)
class Staircase:
    r"""A simulated run: effective times ``t`` (``(R,)``, starting at 0), the eigenvalues of :math:`C` at each
    recorded time (``(R, d)``, descending), the loss, the final parameters (``W`` or ``F``), and, for a linear run
    given the views' covariance :math:`\Sigma`, the eigenvalues of the embedding covariance :math:`W\Sigma W^\top`
    (``(R, d)``, descending; else None)."""
    t: np.ndarray
    eigenvalues: np.ndarray
    loss: np.ndarray
    final: np.ndarray
    covariance_eigenvalues: np.ndarray | None = None


def _staircases(run: dynamics.Trajectory, finals) -> list[Staircase]:
    eigs, cov = (run.records, None) if not isinstance(run.records, tuple) else run.records
    eigs = np.asarray(eigs)
    return [Staircase(t=run.t, eigenvalues=eigs[b], loss=staircase_loss(eigs[b]), final=np.asarray(finals[b]),
                      covariance_eigenvalues=None if cov is None else np.asarray(cov[b]))
            for b in range(eigs.shape[0])]


def _linear_step(state, lr):
    # W <- W - 4 lr (W Gamma W^T - I) W Gamma; Gamma rides in the state so that a batch may mix spectra
    w, gamma = state
    wg = w @ gamma
    return w - 4.0 * lr * (wg @ w.T - jnp.eye(w.shape[0], dtype=w.dtype)) @ wg, gamma


def _linear_eigenvalues(state):
    w, gamma = state
    return jnp.linalg.eigvalsh(w @ gamma @ w.T)[::-1]


def _linear_step_with_covariance(state, lr):
    # the views' covariance Sigma rides along, unchanged: only the observer reads it
    w, gamma, sigma = state
    return _linear_step((w, gamma), lr) + (sigma,)


def _linear_eigenvalues_with_covariance(state):
    w, gamma, sigma = state
    return _linear_eigenvalues((w, gamma)), jnp.linalg.eigvalsh(w @ sigma @ w.T)[::-1]


def linear_descent(w0, gamma, lr: float, steps: int, record_every: int = 1) -> Staircase:
    r"""Gradient descent :math:`W\leftarrow W - 4\eta(W\Gamma W^\top-I)W\Gamma` from ``w0`` (``(d, m)``), recording the
    eigenvalues of :math:`C = W\Gamma W^\top` every ``record_every`` steps. Exactly the training of :math:`f = Wx` on
    any pairs whose cross-correlation is ``gamma``."""
    return linear_descent_batch(np.asarray(w0)[None], gamma, lr, steps, record_every)[0]


def _batch_of_symmetric(name: str, values, w: np.ndarray) -> np.ndarray:
    # one (m, m) matrix for the whole batch or one per member (B, m, m), symmetric, matching w0s (B, d, m)
    g = as_finite_array(name, values)
    if g.ndim not in (2, 3):
        raise ValueError(f"{name} must be (m, m) or (B, m, m), got shape {g.shape}")
    for b, gb in enumerate(g[None] if g.ndim == 2 else g):
        check_symmetric(name if g.ndim == 2 else f"{name}[{b}]", gb)
    g = np.broadcast_to(g, (w.shape[0],) + g.shape) if g.ndim == 2 else g
    if g.shape[0] != w.shape[0] or g.shape[1] != w.shape[2]:
        raise ValueError(f"w0s (B, d, m) and {name} (B, m, m) must match, got {w.shape} and {g.shape}")
    return g


def linear_descent_batch(w0s, gammas, lr: float, steps: int, record_every: int = 1,
                         covariances=None) -> list[Staircase]:
    r""":func:`linear_descent` for a batch of initialisations ``(B, d, m)`` and one ``gamma`` ``(m, m)`` or a batch
    ``(B, m, m)``, in one compiled program. With ``covariances`` (the views' covariance :math:`\Sigma`, ``(m, m)``
    or ``(B, m, m)``) it also records the eigenvalues of the embedding covariance :math:`W\Sigma W^\top`."""
    w = as_finite_array("w0s", w0s, ndim=3)
    g = _batch_of_symmetric("gammas", gammas, w)
    record_at = dynamics.record_steps(steps, every=record_every)
    if covariances is None:
        run = dynamics.descend(_linear_step, (jnp.asarray(w), jnp.asarray(g)), lr, steps,
                               observe=_linear_eigenvalues, record_at=record_at, batched=True)
    else:
        sigma = _batch_of_symmetric("covariances", covariances, w)
        run = dynamics.descend(_linear_step_with_covariance, (jnp.asarray(w), jnp.asarray(g), jnp.asarray(sigma)),
                               lr, steps, observe=_linear_eigenvalues_with_covariance, record_at=record_at,
                               batched=True)
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
    and the outputs at initialisation and at the end (``(N, d)``, centred over the views if ``centre``);
    ``hidden_change`` is :math:`\\lVert V-V_0\\rVert_F/\\lVert V_0\\rVert_F` at the end."""
    t: np.ndarray
    cross_eigenvalues: np.ndarray
    covariance_eigenvalues: np.ndarray
    loss: np.ndarray
    outputs0: np.ndarray
    outputs: np.ndarray
    hidden_change: float


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


@cache
def _layer_step(loss: Callable, hidden_lr_factor: float) -> Callable:
    # gradient descent with the hidden layer's step scaled by hidden_lr_factor (the read-out's is lr)
    grad = jax.grad(loss)

    def step(params, lr, *args):
        g = grad(params, *args)
        return {name: p - (lr if name == "W" else hidden_lr_factor * lr) * g[name] for name, p in params.items()}
    return step


def train_network(key: jax.Array, x_stacked, width: int, d: int, pair_loss: str | PairLoss, readout_scale: float,
                  lr: float, steps: int, activation: str = "relu", centre: bool = True,
                  hidden_lr_factor: float = 1.0, n_records: int | None = None) -> NetworkRun:
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
        hidden_lr_factor: the hidden layer (``V``, ``b``) takes steps ``hidden_lr_factor * lr`` (0: frozen, the
            random-features model), the read-out ``lr``.
        n_records: record about this many steps, spaced geometrically (None: every step).

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
    hidden_lr_factor = check_positive_float("hidden_lr_factor", hidden_lr_factor, allow_zero=True)
    x = jnp.asarray(xs)
    params0 = models._init_two_layer(key, xs.shape[1], width, d, x.dtype)
    params0 = dict(params0, W=readout_scale * params0["W"])
    loss = _network_loss(pair_loss, activation, centre)
    step = dynamics.gradient_step(loss) if hidden_lr_factor == 1.0 else _layer_step(loss, hidden_lr_factor)
    run = dynamics.descend(step, params0, lr, steps, args=(x,),
                           observe=_network_observer(pair_loss, activation, centre),
                           record_at=dynamics.record_steps(steps, n_log=n_records))
    values, cross, cov = run.records
    final = {name: jnp.asarray(v) for name, v in run.final.items()}
    return NetworkRun(t=run.t, cross_eigenvalues=cross, covariance_eigenvalues=cov, loss=values,
                      outputs0=np.asarray(_outputs(params0, x, activation, centre)),
                      outputs=np.asarray(_outputs(final, x, activation, centre)),
                      hidden_change=float(jnp.linalg.norm(final["V"] - params0["V"]) / jnp.linalg.norm(params0["V"])))


# Widths padded to one shape: a network of width M is the first M units of the widest network drawn from the same
# key (models initialises in blocks, so the first M units do not depend on the total width), its other units
# masked out of the hidden layer. Masked units output 0 and receive zero gradient, so each masked run is the
# width-M run (up to the order of float64 sums), and every width shares one compiled program instead of one each.
def _masked_outputs(params, mask, x):
    h = jax.nn.relu(x @ params["V"].T / jnp.sqrt(x.shape[1])) * mask      # bias_std = 0, as in train_network
    f = h @ params["W"].T / jnp.sqrt(jnp.sum(mask))                        # 1/sqrt(M), M the unmasked units
    return f - f.mean(axis=0)                                                # batch-centred, as centre=True


def _masked_loss(params, mask, x):
    return _BARLOW_TWINS(_masked_outputs(params, mask, x))


_masked_grad = jax.grad(_masked_loss)


def _masked_step(state, lr, x):
    params, mask = state
    g = _masked_grad(params, mask, x)
    return {name: p - lr * g[name] for name, p in params.items()}, mask


def _masked_observe(state, x):
    f = _masked_outputs(*state, x)
    return _BARLOW_TWINS(f), _output_eigenvalues(f), jnp.linalg.eigvalsh(f.T @ f / f.shape[0])[::-1]


# A compile costs about as much as 2-3 runs at width 1024 on 200 views (measured: ~1 s against ~0.4 s per run on
# 2 cores), so a width is padded (masked) up to a wider one of the sweep when that is at most PAD_FACTOR times it:
# doubling widths 64..1024 compile twice instead of five times, 128..512 once.
PAD_FACTOR = 4


def _padded_widths(widths: Sequence[int]) -> dict[int, int]:
    # from the widest down: each width runs at the shape of the nearest group top within PAD_FACTOR
    padded, top = {}, None
    for w in sorted(set(widths), reverse=True):
        top = top if top is not None and w * PAD_FACTOR >= top else w
        padded[w] = top
    return padded


def _train_masked(key: jax.Array, x, width: int, max_width: int, d: int, readout_scale: float, lr: float,
                  steps: int) -> NetworkRun:
    # train_network(key, x, width, d, "barlow_twins", readout_scale, lr, steps) run at the padded shape (checked
    # by tests/test_stepwise.py); arguments are checked by network_sweep
    params0 = models._init_two_layer(key, x.shape[1], max_width, d, x.dtype)
    params0 = dict(params0, W=readout_scale * params0["W"])
    mask = jnp.asarray(np.arange(max_width) < width, dtype=x.dtype)
    run = dynamics.descend(_masked_step, (params0, mask), lr, steps, args=(x,), observe=_masked_observe,
                           record_at=dynamics.record_steps(steps))
    values, cross, cov = run.records
    final = {name: jnp.asarray(v) for name, v in run.final[0].items()}
    hidden = (final["V"] - params0["V"])[:width]
    return NetworkRun(t=run.t, cross_eigenvalues=cross, covariance_eigenvalues=cov, loss=values,
                      outputs0=np.asarray(_masked_outputs(params0, mask, x)),
                      outputs=np.asarray(_masked_outputs(final, mask, x)),
                      hidden_change=float(jnp.linalg.norm(hidden) / jnp.linalg.norm(params0["V"][:width])))


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
    log-spaced times between the first positive record and the last.

    Where the records are denser in :math:`\ln t` than the grid, the loss is interpolated onto the grid and
    differentiated there (which averages out fluctuations between records); where they are sparser (early times of
    a run recorded every step), the rate is differentiated at the records and interpolated, so that no record
    becomes a kink of the interpolated loss, which would show as a spurious peak of the rate."""
    ta, la = _check_series(t, loss, "loss")
    n_points = check_positive_int("n_points", n_points, minimum=8)
    positive = ta > 0
    if positive.sum() < 2:
        raise ValueError("t must hold at least two positive times")
    lt, lp = np.log(ta[positive]), la[positive]
    grid = np.geomspace(ta[positive][0], ta[-1], n_points)
    log_grid = np.log(grid)
    on_grid = -np.gradient(np.interp(grid, ta, la), log_grid)
    at_records = np.interp(log_grid, lt, -np.gradient(lp, lt))
    k = np.clip(np.searchsorted(lt, log_grid), 1, lt.shape[0] - 1)
    sparse = lt[k] - lt[k - 1] > log_grid[1] - log_grid[0]
    return grid, np.where(sparse, at_records, on_grid)


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
    r"""A measured run beside its prediction: recorded times ``t``, eigenvalues of :math:`C` ``(R, d)`` and loss;
    the modes' eigenvalues ``gammas`` and effective starts ``c0`` (``(d,)``); ``lr`` if the predictions iterate the
    exact gradient-descent map (None: gradient flow); the predicted step times; for a linear run that recorded them,
    the eigenvalues of the embedding covariance ``(R, d)`` and the ratios
    :math:`\rho_j = v_j^\top\Sigma v_j/\gamma_j` that predict them (:func:`covariance_ratios`; else None)."""
    t: np.ndarray
    eigenvalues: np.ndarray
    loss: np.ndarray
    gammas: np.ndarray
    c0: np.ndarray
    lr: float | None
    predicted_times: np.ndarray
    covariance_eigenvalues: np.ndarray | None = None
    covariance_ratios: np.ndarray | None = None

    @property
    def measured_times(self) -> np.ndarray:
        """The times at which the eigenvalues cross 1/2 (:func:`crossing_times`)."""
        return crossing_times(self.t, self.eigenvalues)

    @property
    def rel_errors(self) -> np.ndarray:
        """:math:`|t_j^{\\rm pred} - t_j|/t_j` per mode."""
        measured = self.measured_times
        return np.abs(self.predicted_times - measured) / measured


def compare(t, eigenvalues, loss, gammas, c0, lr: float | None = None, covariance_eigenvalues=None,
            covariance_ratios=None) -> Comparison:
    """A :class:`Comparison` of a recorded run with the logistic prediction from ``gammas`` and ``c0`` (and of its
    embedding-covariance eigenvalues, ``(R, d)``, with the prediction from ``covariance_ratios``, ``(d,)``)."""
    if (covariance_eigenvalues is None) != (covariance_ratios is None):
        raise ValueError("covariance_eigenvalues and covariance_ratios go together: give both or neither")
    cov = rho = None
    if covariance_eigenvalues is not None:
        cov = as_finite_array("covariance_eigenvalues", covariance_eigenvalues, ndim=2)
        rho = _positive_vector("covariance_ratios", covariance_ratios)
        if cov.shape != np.shape(eigenvalues) or rho.shape != np.shape(gammas):
            raise ValueError(f"covariance_eigenvalues must have the shape of eigenvalues {np.shape(eigenvalues)} and "
                             f"covariance_ratios that of gammas {np.shape(gammas)}, got {cov.shape} and {rho.shape}")
    return Comparison(t=np.asarray(t), eigenvalues=np.asarray(eigenvalues), loss=np.asarray(loss),
                      gammas=np.asarray(gammas), c0=np.asarray(c0), lr=lr, predicted_times=step_times(gammas, c0, lr),
                      covariance_eigenvalues=cov, covariance_ratios=rho)


def covariance_ratios(gamma, covariance, d: int) -> np.ndarray:
    r"""The embedding covariance predicted from the embedding eigenvalues, mode by mode: with :math:`W = SV_d^\top`
    (the aligned start, and a rotation of it after the steps), :math:`W\Sigma W^\top = S\,V_d^\top\Sigma V_d\,S`, whose
    diagonal is :math:`s_j^2v_j^\top\Sigma v_j = c_j\rho_j` with :math:`\rho_j = v_j^\top\Sigma v_j/\gamma_j` (since
    :math:`c_j = \gamma_js_j^2`); its eigenvalues are these up to the off-diagonal :math:`v_i^\top\Sigma v_j`, which
    vanish when :math:`\Sigma` and :math:`\Gamma` share eigenvectors.

    Args:
        gamma: :math:`\Gamma`, ``(m, m)``.
        covariance: the views' covariance :math:`\Sigma` (:func:`view_covariance`), ``(m, m)``.
        d: the number of modes.

    Returns:
        :math:`\rho_1..\rho_d`, ``(d,)``.
    """
    sigma = check_symmetric("covariance", covariance)
    values, vectors = spectra.top_modes(gamma, check_positive_int("d", d))
    if sigma.shape != (vectors.shape[0],) * 2:
        raise ValueError(f"covariance must be (m, m) = {(vectors.shape[0],) * 2} like gamma, got {sigma.shape}")
    return np.einsum("ij,ik,kj->j", vectors, sigma, vectors) / values


def view_covariance(x, x_prime) -> np.ndarray:
    r""":math:`\Sigma = \frac1N\tilde X_c^\top\tilde X_c`, the covariance of the :math:`N = 2n` stacked views (centred
    over the views, as the embeddings are), ``(m, m)``: the embedding covariance of :math:`f = Wx` is
    :math:`W\Sigma W^\top`."""
    xs = np.asarray(data.stack_views(x, x_prime), dtype=np.float64)
    xc = xs - xs.mean(axis=0)
    return xc.T @ xc / xs.shape[0]


def staircase_panel(cmp: Comparison, n_points: int = 300) -> dict[str, np.ndarray]:
    """About ``n_points`` log-spaced records of a comparison and its predicted curves, as the keyword arguments of
    :func:`kernel_ssl.figures.staircase_figure` (``t, loss, eigenvalues, predicted_loss, predicted_eigenvalues,
    predicted_times``, and ``covariance_eigenvalues, predicted_covariance_eigenvalues`` if the comparison has the
    embedding covariance: :math:`c_j(t)\rho_j` sorted in descending order, as the measured eigenvalues are)."""
    idx = log_spaced_indices(cmp.t, n_points)
    theory = logistic_eigenvalues(cmp.t[idx], cmp.gammas, cmp.c0, lr=cmp.lr)
    panel = dict(t=cmp.t[idx], loss=cmp.loss[idx], eigenvalues=cmp.eigenvalues[idx],
                 predicted_loss=staircase_loss(theory), predicted_eigenvalues=theory,
                 predicted_times=cmp.predicted_times)
    if cmp.covariance_eigenvalues is not None:
        panel.update(covariance_eigenvalues=cmp.covariance_eigenvalues[idx],
                     predicted_covariance_eigenvalues=-np.sort(-theory * cmp.covariance_ratios[None, :], axis=1))
    return panel


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


def synthetic_covariances(key: jax.Array, n_pairs: int, input_dim: int, gaps: Sequence[float],
                          noise_std: float = 0.1) -> dict[float, np.ndarray]:
    r"""The views' covariance :math:`\Sigma` (:func:`view_covariance`) of the pairs of :func:`synthetic_gammas`
    (the same arguments, the same draws), one per gap: about :math:`\Gamma + \sigma^2I` for noise of standard
    deviation :math:`\sigma` = ``noise_std``."""
    return {r: view_covariance(*data.synthetic_pairs(key, n_pairs, r ** np.arange(input_dim), noise_std=noise_std))
            for r in gaps}


@dataclass(frozen=True)
class StaircaseGrid:
    """Linear runs on a grid of initialisation scales and eigengaps: ``runs[(alpha, gap)]`` compared with the
    draw-specific prediction; one step size ``lr`` and number of ``steps`` for all."""
    runs: dict
    lr: float
    steps: int


def staircase_grid(gammas_by_gap: Mapping[float, np.ndarray], alphas: Sequence[float], direction, d: int,
                   lr_scale: float, covariances_by_gap: Mapping[float, np.ndarray] | None = None) -> StaircaseGrid:
    r"""Train :math:`f = Wx` from :math:`W_0 = \alpha G` for every :math:`(\alpha, r)`, in one compiled batch.

    Args:
        gammas_by_gap: :math:`\Gamma` per eigengap :math:`r` (:func:`synthetic_gammas`).
        alphas: the initialisation scales.
        direction: :math:`G`, ``(d, m)``.
        d: the embedding dimension.
        lr_scale: :math:`\eta\gamma_1` for the largest :math:`\gamma_1` of the grid.
        covariances_by_gap: the views' covariance :math:`\Sigma` per eigengap (:func:`synthetic_covariances`), to
            record the embedding covariance too and predict it (:func:`covariance_ratios`); None: not recorded.

    Returns:
        A :class:`StaircaseGrid`; runs last 1.2 times the latest predicted step plus :math:`1/\gamma_d`.
    """
    modes = {r: spectra.top_modes(g, d) for r, g in gammas_by_gap.items()}
    combos = [(a, r) for a in alphas for r in gammas_by_gap]
    c0 = {(a, r): _linear_starts([a], direction, *modes[r])[0] for a, r in combos}
    lr = check_positive_float("lr_scale", lr_scale) / max(v[0] for v, _ in modes.values())
    steps = int(max(1.2 * step_times(modes[r][0], c0[(a, r)])[-1] + 1 / modes[r][0][-1] for a, r in combos) / lr)
    cov = covariances_by_gap
    if cov is not None and set(cov) != set(gammas_by_gap):
        raise ValueError(f"covariances_by_gap must have the gaps of gammas_by_gap {sorted(gammas_by_gap)}, got "
                         f"{sorted(cov)}")
    runs = linear_descent_batch(np.stack([a * np.asarray(direction) for a, _ in combos]),
                                np.stack([gammas_by_gap[r] for _, r in combos]), lr, steps,
                                covariances=None if cov is None else np.stack([cov[r] for _, r in combos]))
    rho = {} if cov is None else {r: covariance_ratios(gammas_by_gap[r], cov[r], d) for r in gammas_by_gap}
    return StaircaseGrid(runs={c: compare(run.t, run.eigenvalues, run.loss, modes[c[1]][0], c0[c],
                                          covariance_eigenvalues=run.covariance_eigenvalues,
                                          covariance_ratios=rho.get(c[1]))
                               for c, run in zip(combos, runs, strict=True)}, lr=lr, steps=steps)


@dataclass(frozen=True)
class DigitsLinear:
    """The linear model on centred digit pairs: the run against its prediction, the eigenvalue ratios
    :math:`\\gamma_{j+1}/\\gamma_j` (``(d,)``), the modes with a clear gap, and :math:`\\gamma_1/\\gamma_2` of the
    same views uncentred; the top ``d`` eigenvectors of :math:`\\Gamma` (``(64, d)``, one 8x8 image each)."""
    comparison: Comparison
    ratios: np.ndarray
    clear: list
    uncentred_top_ratio: float
    vectors: np.ndarray


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
    w0 = check_positive_float("alpha", alpha) * np.asarray(precision.normal(init_key, (d, xd.shape[1])))
    c0 = initial_eigenvalues(linear_mode_coordinates(w0, vectors[:, :d]), values[:d])
    lr = check_positive_float("lr_scale", lr_scale) / values[0]
    run = linear_descent(w0, gamma, lr, int((1.2 * step_times(values[:d], c0)[-1] + 1 / values[d - 1]) / lr))
    return DigitsLinear(comparison=compare(run.t, run.eigenvalues, run.loss, values[:d], c0),
                        ratios=values[1:] / values[:-1], clear=clear_gap_modes(values),
                        uncentred_top_ratio=float(raw[0] / raw[1]), vectors=vectors[:, :d])


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


@dataclass(frozen=True)
class RandomStarts:
    """Step times over ``draws`` random starts :math:`W_0 = \\alpha G_b`: the measured ones ``(B, d)``, their mean and
    the relative standard error of the mean (``(d,)``), the draw-free predictions (digamma form and the biased
    :math:`d\\alpha^2\\gamma_j` form) with their relative errors against the mean, and the largest draw-specific
    relative error of each draw (``(B,)``)."""
    measured: np.ndarray
    mean: np.ndarray
    rel_se: np.ndarray
    expected: np.ndarray
    biased: np.ndarray
    expected_rel_errors: np.ndarray
    biased_rel_errors: np.ndarray
    draw_rel_errors: np.ndarray


def random_starts(key: jax.Array, gamma, d: int, alpha: float, lr_scale: float, draws: int = 20) -> RandomStarts:
    r"""Train :math:`f = Wx` from ``draws`` independent starts :math:`W_0 = \alpha G_b` (one compiled batch) and
    compare the mean step times with :func:`expected_step_times` (gradient flow) and with the biased form.

    Args:
        key: the key of the draws :math:`G_b` (:func:`kernel_ssl.precision.normal`, ``(draws, d, m)``).
        gamma: :math:`\Gamma`, ``(m, m)``.
        d: the embedding dimension.
        alpha: the initialisation scale.
        lr_scale: :math:`\eta\gamma_1`.
        draws: the number of starts, at least 2.

    Returns:
        A :class:`RandomStarts`; runs last 1.2 times the latest draw-specific predicted step plus :math:`1/\gamma_d`.
    """
    check_key("key", key)
    draws = check_positive_int("draws", draws, minimum=2)
    alpha = check_positive_float("alpha", alpha)
    gammas, vectors = spectra.top_modes(gamma, d)
    g = np.asarray(precision.normal(key, (draws, d, np.shape(gamma)[0])), dtype=np.float64)
    c0s = [initial_eigenvalues(linear_mode_coordinates(alpha * gb, vectors), gammas) for gb in g]
    predicted = np.array([step_times(gammas, c) for c in c0s])
    lr = check_positive_float("lr_scale", lr_scale) / gammas[0]
    steps = int((1.2 * predicted.max() + 1 / gammas[-1]) / lr)
    runs = linear_descent_batch(alpha * g, gamma, lr, steps)
    measured = np.array([crossing_times(r.t, r.eigenvalues) for r in runs])
    mean = measured.mean(axis=0)
    expected = expected_step_times(gammas, d, alpha)
    biased = step_times(gammas, expected_initial_eigenvalues(gammas, d, alpha))
    return RandomStarts(measured=measured, mean=mean, rel_se=measured.std(axis=0, ddof=1) / np.sqrt(draws) / mean,
                        expected=expected, biased=biased, expected_rel_errors=(expected - mean) / mean,
                        biased_rel_errors=(biased - mean) / mean,
                        draw_rel_errors=np.max(np.abs(predicted - measured) / measured, axis=1))


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


@dataclass(frozen=True)
class _StaircaseSpec:
    r"""One kernel staircase of :func:`_kernel_staircases`: the kernel :math:`K` (``(N, N)``), :math:`G` (``(N, d)``),
    the initialisation scales, :math:`\eta\lambda_1`, and whether to predict with the gradient-descent map."""
    kernel: np.ndarray
    g_unit: np.ndarray
    alphas: Sequence[float]
    lr_scale: float
    gd_prediction: bool = False


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
    plan = _staircase_plan("", _StaircaseSpec(kernel, g_unit, alphas, lr_scale, gd_prediction),
                           check_positive_int("d", d))
    return _assemble_staircase(plan, kernel_descent_batch(plan.f0s, plan.kernel, plan.lr, plan.steps), d)


@dataclass(frozen=True)
class _StaircasePlan:
    alphas: list
    lam: np.ndarray
    kernel: np.ndarray
    f0s: np.ndarray
    c0s: list
    lr: float
    step_lr: float | None
    steps: int


def _staircase_plan(name: str, sp: _StaircaseSpec, d: int) -> _StaircasePlan:
    # the starts, step size, predictions' step and run length of one staircase (name prefixes the arguments)
    k = check_symmetric(f"{name}kernel", sp.kernel)
    if k.shape[0] % 2 or k.shape[0] < 4:
        raise ValueError(f"{name}kernel must be the kernel of the N = 2n >= 4 stacked views, got shape {k.shape}")
    g = as_finite_array(f"{name}g_unit", sp.g_unit, ndim=2)
    if g.shape != (k.shape[0], d):
        raise ValueError(f"{name}g_unit must be (N, d) = ({k.shape[0]}, {d}), one row per view of the kernel and one "
                         f"column per mode, got {g.shape}")
    if isinstance(sp.alphas, (str, bytes)):
        raise TypeError(f"{name}alphas must be a sequence of initialisation scales, got a string")
    alphas = _positive_vector(f"{name}alphas", sp.alphas)
    lam, u = spectra.kernel_modes(k, d + 1)
    root, _ = linalg.psd_sqrt(k)
    f0s = np.stack([a * root @ g for a in alphas])
    c0s = [initial_eigenvalues(p, lam[:d]) for p in kernel_mode_coordinates(f0s, k, u[:, :d])]
    lr = check_positive_float(f"{name}lr_scale", sp.lr_scale) / lam[0]
    step_lr = lr if check_bool(f"{name}gd_prediction", sp.gd_prediction) else None
    preds = [step_times(lam[:d], c, step_lr) for c in c0s]
    steps = max(1.2 * p[-1] for p in preds) / lr + 1 / (lam[d - 1] * lr)
    if steps > dynamics.MAX_STEPS:
        raise ValueError(f"{name}lr_scale = {sp.lr_scale:g} is too small: the run would take {steps:.3g} steps "
                         f"(at most {dynamics.MAX_STEPS}); raise it towards 0.01")
    steps = int(steps)
    return _StaircasePlan(list(sp.alphas), lam, k, f0s, c0s, lr, step_lr, steps)


def _assemble_staircase(plan: _StaircasePlan, runs: list[Staircase], d: int) -> KernelStaircase:
    return KernelStaircase(alphas=plan.alphas, lam=plan.lam, lr=plan.lr, runs=runs,
                           comparisons=[compare(r.t, r.eigenvalues, r.loss, plan.lam[:d], c, plan.step_lr)
                                        for r, c in zip(runs, plan.c0s, strict=True)])


def _kernel_staircases(specs: Sequence[_StaircaseSpec], d: int) -> list[KernelStaircase]:
    r""":func:`kernel_staircase` for each :class:`_StaircaseSpec` (different kernels of one size :math:`N`), all runs
    in one compiled program: each run carries its kernel and step size, and stops (its state frozen) at its own
    number of steps, so each is the run :func:`kernel_staircase` makes (to round-off: the kernels are batched), and
    staircases that differ only in their data share a program instead of compiling one each. Every run lasts as
    long as the longest, so this pays where compiling costs more than the extra steps (runs of similar lengths).

    Args:
        specs: the staircases.
        d: the embedding dimension.

    Returns:
        One :class:`KernelStaircase` per spec.
    """
    if isinstance(specs, _StaircaseSpec) or not specs or not all(isinstance(sp, _StaircaseSpec) for sp in specs):
        raise TypeError(f"specs must be a non-empty sequence of _StaircaseSpec, got {specs!r:.80}")
    d = check_positive_int("d", d)
    plans = [_staircase_plan(f"specs[{i}].", sp, d) for i, sp in enumerate(specs)]
    if len({p.kernel.shape for p in plans}) > 1:
        raise ValueError(f"specs must have kernels of one shape, got {[p.kernel.shape for p in plans]}")
    members = [(p.kernel, f0, p.lr, p.steps) for p in plans for f0 in p.f0s]
    state0 = tuple(jnp.asarray(np.stack([m[i] for m in members])) for i in (1, 0))
    state0 += (jnp.asarray([m[2] for m in members]), jnp.asarray([m[3] for m in members]))
    run = dynamics.descend(_frozen_kernel_step, state0, 1.0, max(m[3] for m in members),
                           observe=_frozen_eigenvalues, batched=True)
    eigs, finals, out, b = np.asarray(run.records), np.asarray(run.final[0]), [], 0
    for p in plans:
        t = p.lr * np.arange(p.steps + 1).astype(np.float64)
        runs = [Staircase(t=t, eigenvalues=eigs[b + i, :p.steps + 1], loss=staircase_loss(eigs[b + i, :p.steps + 1]),
                          final=finals[b + i]) for i in range(len(p.alphas))]
        b += len(p.alphas)
        out.append(_assemble_staircase(p, runs, d))
    return out


_BARLOW_TWINS_GRAD = jax.grad(_BARLOW_TWINS)


def _frozen_kernel_step(state, _lr):
    # F <- F - eta K grad while steps are left (as dynamics.kernel_gradient_step, whose (lr K) @ grad this keeps),
    # then frozen; the engine's lr is unused (1.0): each run's step size rides in the state with its kernel
    f, k, eta, left = state
    moved = f - eta * k @ _BARLOW_TWINS_GRAD(f)
    return jnp.where(left > 0, moved, f), k, eta, left - 1


def _frozen_eigenvalues(state):
    return _output_eigenvalues(state[0])


@dataclass(frozen=True)
class NetworkSweep:
    """Finite networks against their kernel model (the centred NNGP kernel, from each network's own start) and the
    closed form, over ``widths`` (means over ``repeats`` initialisations), the log-log slope of
    :math:`1-\text{overlap}` with the network's kernel model against the width, fitted with its interval on every
    repeat at the ``fitted_widths`` (those at least the number of views :math:`N`: below it :math:`K_M` has rank
    at most :math:`M < N`), and the widest network's staircase (its comparison and its run)."""
    widths: list
    lam: np.ndarray
    lr: float
    steps: int
    overlaps_model: np.ndarray
    overlaps_closed_form: np.ndarray
    overlap_slope: fitting.SlopeInterval
    fitted_widths: list
    kernel_model_overlap: float
    network: Comparison
    kernel_model: Comparison
    network_run: NetworkRun


def network_sweep(key: jax.Array, x_stacked, widths: Sequence[int], d: int, kernel, readout_scale: float,
                  lr_scale: float, repeats: int = 2) -> NetworkSweep:
    r"""Train two-layer networks (Barlow Twins, batch-centred, read-out :math:`W_0 = s\mathcal N(0,1)`) at every
    width and compare each with the kernel model run from its own initial outputs. Narrower widths run masked at
    the shape of a wider one (:data:`PAD_FACTOR`): the same runs, fewer compiled programs.

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
        A :class:`NetworkSweep`; runs last 1.3 times the expected last step plus :math:`1/\lambda_d`. Raises
        ``ValueError`` unless at least two ``widths`` are at least :math:`N` (the slope needs three points).
    """
    fitted = [w for w in widths if w >= np.shape(x_stacked)[0]]
    if len(fitted) * repeats < 3 or len(fitted) < 2:
        raise ValueError(f"widths must hold at least two widths >= the number of views ({np.shape(x_stacked)[0]}) "
                         f"for the slope fit, got {list(widths)}")
    lam, u = spectra.kernel_modes(kernel, d + 1)
    f_star = spectra.closed_form_outputs(kernel, d)
    lr = check_positive_float("lr_scale", lr_scale) / lam[0]
    c0_expected = expected_initial_eigenvalues(lam[:d], d, readout_scale)
    steps = int((1.3 * step_times(lam[:d], c0_expected, lr=lr)[-1] + 1 / lam[d - 1]) / lr)
    keys = [(w, r) for w in widths for r in range(check_positive_int("repeats", repeats))]
    check_key("key", key)
    x = jnp.asarray(check_stacked_views("x_stacked", x_stacked))
    readout_scale = check_positive_float("readout_scale", readout_scale)
    padded = _padded_widths([check_positive_int("widths", w) for w in widths])
    nets = {(w, r): _train_masked(jax.random.fold_in(jax.random.fold_in(key, w), r), x, w, padded[w], d,
                                  readout_scale, lr, steps) for w, r in keys}
    kernel_runs = kernel_descent_batch(np.stack([nets[k].outputs0 for k in keys]), kernel, lr, steps)
    models_ = dict(zip(keys, kernel_runs, strict=True))

    def overlaps(reference):   # (len(widths), repeats)
        return np.array([[linalg.subspace_overlap(nets[(w, r)].outputs, reference(w, r)) for r in range(repeats)]
                         for w in widths])
    per_repeat = overlaps(lambda w, r: models_[(w, r)].final)
    overlaps_model = per_repeat.mean(axis=1)
    rows = [i for i, w in enumerate(widths) if w in fitted]
    wide, km = nets[(widths[-1], 0)], models_[(widths[-1], 0)]
    c0 = initial_eigenvalues(kernel_mode_coordinates(wide.outputs0, kernel, u[:, :d]), lam[:d])
    return NetworkSweep(
        widths=list(widths), lam=lam, lr=lr, steps=steps, overlaps_model=overlaps_model,
        overlaps_closed_form=overlaps(lambda w, r: f_star).mean(axis=1),
        overlap_slope=fitting.loglog_slope_interval(np.repeat([widths[i] for i in rows], repeats),
                                                    1 - per_repeat[rows].ravel()),
        fitted_widths=fitted,
        kernel_model_overlap=float(np.mean([linalg.subspace_overlap(m.final, f_star) for m in models_.values()])),
        network=compare(wide.t, wide.cross_eigenvalues, wide.loss, lam[:d], c0, lr),
        kernel_model=compare(km.t, km.eigenvalues, km.loss, lam[:d], c0, lr), network_run=wide)


@dataclass(frozen=True)
class ScaleInvariance:
    r"""The check of :math:`\mathcal L(sW, V) = \mathcal L(W, V)`: a run from read-out scale ``scale`` at step
    :math:`s^2\eta` against the :math:`s = 1` run whose hidden layer steps :math:`s^2\eta` (read-out :math:`\eta`):
    the largest difference of their loss curves, the relative difference of the outputs (the small run's divided by
    :math:`s`), the small run's hidden-layer change, and its smallest squared output norm at the start
    :math:`\min_a\lVert f(\tilde x_a)\rVert^2` (against which a loss's regularising :math:`\epsilon` breaks the
    invariance)."""
    loss_difference: float
    output_difference: float
    hidden_change: float
    min_square_norm: float


def scale_invariance(key: jax.Array, x_stacked, width: int, d: int, pair_loss: str | PairLoss, scale: float,
                     lr: float, steps: int) -> ScaleInvariance:
    r"""Test the consequence of a read-out-scale-invariant loss, :math:`\mathcal L(sW,V) = \mathcal L(W,V)`:
    :math:`\nabla_W\mathcal L(sW,V) = \frac1s\nabla_W\mathcal L(W,V)` and :math:`\nabla_V` unchanged, so a step
    :math:`s^2\eta` from :math:`(sW_0, V_0)` keeps :math:`W/s` on the read-out path of step :math:`\eta` while
    :math:`V` takes steps :math:`s^2\eta`. Both runs share one compiled gradient and are stepped in a Python loop
    (a few hundred steps are enough for an identity that holds step by step).

    Args:
        key: the PRNG key of the (shared) initialisation.
        x_stacked: the stacked views, ``(N, m)``.
        width: :math:`M`.
        d: the embedding dimension.
        pair_loss: the loss (a name in :data:`kernel_ssl.losses.SSL_LOSSES` or a function), uncentred.
        scale: :math:`s`, in (0, 1].
        lr: :math:`\eta`, the read-out step of the :math:`s = 1` run.
        steps: the number of steps of both runs, ``1..10000``.

    Returns:
        A :class:`ScaleInvariance` (``loss_difference`` compares the losses after every step).
    """
    check_key("key", key)
    xs = check_stacked_views("x_stacked", x_stacked)
    width = check_positive_int("width", width)
    d = check_positive_int("d", d)
    pair_loss = _check_pair_loss(pair_loss)
    scale = check_positive_float("scale", scale, maximum=1.0)
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps, maximum=10000)
    x = jnp.asarray(xs)
    params0 = models._init_two_layer(key, xs.shape[1], width, d, x.dtype)
    loss = _network_loss(pair_loss, "relu", False)
    value_and_grad = jax.jit(jax.value_and_grad(loss))

    def run(s, lr_readout, lr_hidden):
        params, values = dict(params0, W=s * params0["W"]), []
        for _ in range(steps):
            value, g = value_and_grad(params, x)
            values.append(float(value))
            params = {k: p - (lr_readout if k == "W" else lr_hidden) * g[k] for k, p in params.items()}
        return params, np.array(values + [float(value_and_grad(params, x)[0])])
    small, small_loss = run(scale, scale ** 2 * lr, scale ** 2 * lr)
    unit, unit_loss = run(1.0, lr, scale ** 2 * lr)
    f0 = np.asarray(_outputs(dict(params0, W=scale * params0["W"]), x, "relu", False))
    return ScaleInvariance(
        loss_difference=float(np.max(np.abs(small_loss - unit_loss))),
        output_difference=linalg.relative_frobenius_error(np.asarray(_outputs(small, x, "relu", False)) / scale,
                                                          np.asarray(_outputs(unit, x, "relu", False))),
        hidden_change=float(jnp.linalg.norm(small["V"] - params0["V"]) / jnp.linalg.norm(params0["V"])),
        min_square_norm=float(np.min(np.sum(f0 ** 2, axis=1))))


def late_growth(eigenvalues, mode: int) -> float:
    """The factor by which eigenvalue ``mode`` (0-based) of a recorded run (``(R, d)``) changes over the run's second
    half: above 1 it still grows at the end, below 1 it shrinks."""
    e = as_finite_array("eigenvalues", eigenvalues, ndim=2)
    mode = check_positive_int("mode", mode, minimum=0, maximum=e.shape[1] - 1)
    return float(e[-1, mode] / e[e.shape[0] // 2, mode])


RISE_FRACTION = 0.1  # an embedding eigenvalue has "risen" once it reaches this fraction of the run's final largest


def rise_times(t, eigenvalues, fraction: float = RISE_FRACTION) -> np.ndarray:
    """The first recorded time at which each eigenvalue (column of ``(R, d)``, descending) reaches ``fraction`` of the
    largest eigenvalue at the end of the run; ``inf`` for one that never does (0 for one that starts there)."""
    ta, e = _check_series(t, eigenvalues, "eigenvalues")
    if e.ndim != 2:
        raise ValueError(f"eigenvalues must be (R, d), got shape {e.shape}")
    fraction = check_positive_float("fraction", fraction, maximum=1.0)
    above = e >= fraction * e[-1].max()
    return np.array([ta[np.argmax(above[:, j])] if above[:, j].any() else np.inf for j in range(e.shape[1])])


def describe_run(name: str, run: NetworkRun) -> str:
    """One Markdown sentence of what a recorded run shows, computed from it: the loss at the start and the end, the
    number of resolved steps that :func:`count_steps` finds in the loss (and how often the loss rises, since a spike
    also counts as a step), and when the embedding-covariance eigenvalues rise (:func:`rise_times`)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    steps = count_steps(run.t, run.loss)
    rises = rise_times(run.t, run.covariance_eigenvalues)
    d = rises.shape[0]
    # rises above round-off (a converged loss fluctuates at ~1e-16 of its start)
    rises_of_loss = int(np.sum(np.diff(run.loss) > 1e-9 * abs(run.loss[0])))
    text = (f"**{name}**: the loss goes from {run.loss[0]:.3g} to {run.loss[-1]:.3g} by t = {run.t[-1]:.3g}"
            + (f" (not monotonically: it rises between {rises_of_loss} pair{'' if rises_of_loss == 1 else 's'} of "
               f"consecutive records)" if rises_of_loss else "")
            + f", and `count_steps` finds {steps} resolved step{'' if steps == 1 else 's'} in it; of the {d} "
            f"covariance eigenvalues, ")
    at_start = int(np.sum(rises == run.t[0]))
    later = [f"{tj:.3g}" for tj in rises if np.isfinite(tj) and tj > run.t[0]]
    parts = []
    if at_start:
        parts.append(f"{at_start} start{'s' if at_start == 1 else ''} within a factor {1 / RISE_FRACTION:.0f} of the "
                     f"final largest one")
    if later:
        parts.append(f"{len(later)} reach{'es' if len(later) == 1 else ''} {RISE_FRACTION:g} of the final largest "
                     f"later, at t ≈ {', '.join(later)}")
    never = d - at_start - len(later)
    if never:
        parts.append(f"{never} never reach{'es' if never == 1 else ''} it")
    return text + "; ".join(parts) + "."


@dataclass(frozen=True)
class DepthStaircase:
    """The kernel staircase for the analytic NTK of nets of each depth: resolved steps of the run and of its
    prediction, the largest step-time error, and the eigenvalue ratios :math:`\\lambda_{j+1}/\\lambda_j`."""
    depths: list
    steps: list
    steps_predicted: list
    max_rel_errors: list
    gap_ratios: list
    comparisons: list


def depth_staircase(x_stacked, g_unit, depths: Sequence[int], d: int, alpha: float, lr_scale: float
                    ) -> DepthStaircase:
    r"""The kernel model from :math:`F_0 = \alpha K^{1/2}G` with the centred analytic ReLU NTK of nets of each depth
    (:func:`kernel_ssl.nt.analytic_kernel_deep`), against the prediction from the modes of :math:`K_Z`.

    Args:
        x_stacked: the stacked views, ``(N, m)``.
        g_unit: :math:`G`, ``(N, d)``.
        depths: the numbers of dense layers (2 is the chapter's network).
        d: the embedding dimension.
        alpha: the initialisation scale.
        lr_scale: :math:`\eta\lambda_1`.

    Returns:
        A :class:`DepthStaircase`.
    """
    from . import kernels, nt  # nt imports neural_tangents lazily; kernels for the centring
    xs = check_stacked_views("x_stacked", x_stacked)
    if isinstance(depths, (str, bytes)) or not isinstance(depths, Sequence) or len(depths) == 0:
        raise ValueError(f"depths must be a non-empty sequence of numbers of dense layers (2..8), got {depths!r:.40}")
    depths = [check_positive_int(f"depths[{i}]", v, minimum=2, maximum=8) for i, v in enumerate(depths)]
    alpha, d = check_positive_float("alpha", alpha), check_positive_int("d", d)
    g = as_finite_array("g_unit", g_unit, ndim=2)
    if g.shape != (xs.shape[0], d):
        raise ValueError(f"g_unit must be (N, d) = ({xs.shape[0]}, {d}), one row per stacked view, got {g.shape}")
    lr_scale = check_positive_float("lr_scale", lr_scale)
    specs = [_StaircaseSpec(np.asarray(kernels.centre_kernel(nt.analytic_kernel_deep(xs, xs, depth))), g, [alpha],
                            lr_scale) for depth in depths]
    out = {"steps": [], "steps_predicted": [], "max_rel_errors": [], "gap_ratios": [], "comparisons": []}
    for run in _kernel_staircases(specs, d):   # one compiled program for every depth
        cmp = run.comparisons[0]
        out["steps"].append(count_steps(cmp.t, cmp.loss))
        out["steps_predicted"].append(predicted_step_count(cmp))
        out["max_rel_errors"].append(float(cmp.rel_errors.max()))
        out["gap_ratios"].append(run.lam[1:] / run.lam[:-1])
        out["comparisons"].append(cmp)
    return DepthStaircase(depths=list(depths), **out)


@dataclass(frozen=True)
class ProbeCurve:
    """Linear-probe accuracy on the digit labels against the number of learned modes ``ks`` (the closed form
    truncated at :math:`k` modes, which is what training has learned between the :math:`k`-th and the next step),
    the probe on the trained representation, and the kernel probe on the base kernel."""
    ks: list
    accuracies: np.ndarray
    trained: float
    base_kernel: float


def probe_curve(kernel, trained_outputs, labels, ks: Sequence[int], probe_ridge: float = 1e-6) -> ProbeCurve:
    r"""Linear probes on the stacked views' representations: fit on the views of the first half of the pairs, test on
    those of the second half (both halves were seen, unlabelled, by the self-supervised training).

    Args:
        kernel: the Gram matrix :math:`K` of the stacked views, ``(N, N)``.
        trained_outputs: the trained representation on the views, ``(N, d)``.
        labels: the labels of the ``n`` pairs (each pair's two views share it), ``(n,)``.
        ks: the numbers of modes of the truncated closed forms :math:`K^{1/2}U_k\Lambda_k^{-1/2}`.
        probe_ridge: :math:`\rho_{\rm p}` of every probe.

    Returns:
        A :class:`ProbeCurve`.
    """
    k = check_stacked_views("kernel", kernel)
    n = k.shape[0] // 2
    y = np.tile(as_finite_array("labels", labels, ndim=1), 2)
    if y.shape[0] != k.shape[0]:
        raise ValueError(f"labels must have one entry per pair ({n}), got {y.shape[0] // 2}")
    train = np.r_[np.arange(n // 2), n + np.arange(n // 2)]
    test = np.setdiff1d(np.arange(2 * n), train)
    f = as_finite_array("trained_outputs", trained_outputs, ndim=2)
    full = spectra.closed_form_outputs(k, max(ks))

    def probe(feat):
        return probes.linear_probe_accuracy(feat[train], feat[test], y[train], y[test], probe_ridge)
    return ProbeCurve(ks=list(ks), accuracies=np.array([probe(full[:, :kk]) for kk in ks]), trained=probe(f),
                      base_kernel=probes.kernel_probe_accuracy(k[np.ix_(train, train)], k[np.ix_(test, train)],
                                                               y[train], y[test], probe_ridge))


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
    difference over the four smallest ``alpha`` (predicted: ``1 - ratio``); the distance
    :math:`\\lVert O - Q\\rVert_F` of the learned rotation :math:`O = W_\\infty V_d\\Gamma_d^{1/2}` from the predicted
    :math:`Q` of :func:`qr_rotation` per ``alpha``, and its fitted exponent over the four smallest."""
    alphas: np.ndarray
    ratio: float
    gap: ClosedFormGap
    final_loss: np.ndarray
    slope: float
    rotation_errors: np.ndarray
    rotation_slope: float


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
    q = qr_rotation(linear_mode_coordinates(direction, vectors[:, :d]))   # the same Q for every alpha
    rotations = np.array([np.linalg.norm(r.final @ vectors[:, :d] * np.sqrt(values[:d])[None, :] - q)
                          for r in runs])
    return ClosedFormLimit(alphas=a, ratio=float(values[d] / values[d - 1]), gap=gap,
                           final_loss=np.array([r.loss[-1] for r in runs]),
                           slope=fitting.loglog_slope(a[-4:], gap.kernel_difference[-4:])[0],
                           rotation_errors=rotations, rotation_slope=fitting.loglog_slope(a[-4:], rotations[-4:])[0])


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
