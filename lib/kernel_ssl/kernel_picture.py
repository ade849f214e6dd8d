r"""When the kernel picture describes self-supervised learning: lazy training with an output multiplier, the
frozen-kernel flow beside the network, and the end points of the losses in one kernel form.

The network is the book's two-layer net :math:`f(x;\theta)` in NTK parametrisation (:mod:`kernel_ssl.models`)
multiplied by an *output multiplier* :math:`\tau` (Chizat, Oyallon and Bach's :math:`\alpha`; this book's
:math:`\alpha` is the initialisation scale), trained on :math:`\mathcal L(\tau f)/\tau^2`:

.. math:: \dot\theta = -\tfrac1{\tau^2}\nabla_\theta\mathcal L(\tau f_\theta)
   \quad\Longrightarrow\quad \dot F = -\Theta_\theta\,\nabla_F\mathcal L(F),\qquad F = \tau f_\theta,

with :math:`\Theta_\theta` the NTK of :math:`f`: the function-space flow does not depend on :math:`\tau` while the
kernel is frozen, and the parameters move by :math:`O(1/\tau)` to move :math:`F` by :math:`O(1)`. The multiplier is
not centred (:math:`F_0 = \tau f_{\theta_0}`): Barlow Twins has a critical point at :math:`F = 0`, so a centred
model :math:`\tau(f_\theta - f_{\theta_0})` would never leave it; here :math:`\tau\le1` is also the size of the
initial outputs, and small :math:`\tau` is the small initialisation of the stepwise chapter.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from . import dynamics, fitting, grassmann, kernels, linalg, losses, models, precision, probes, spectra
from .validation import (
    as_finite_array,
    check_cross_block,
    check_int_labels,
    check_key,
    check_positive_float,
    check_positive_int,
    check_stacked_views,
    check_symmetric,
)

# tau above 1 would make the uncentred initial outputs larger than the Barlow Twins solution (C = I), which the
# network must then shrink by O(tau): the parameters move O(1) whatever tau, and the multiplier no longer sets
# laziness. The map stays in (0, 1].
MAX_OUTPUT_SCALE = 1.0
# A cell is "frozen" (lazy) when its relative NTK change is at most this, "rich" when it is at least RICH_CHANGE:
# at 0.1 the linearisation's error (second order in the change) is about 1 % of the motion.
LAZY_CHANGE = 0.1
RICH_CHANGE = 1.0
# A run has converged when its Barlow Twins loss has fallen below this fraction of its initial value.
CONVERGED_LOSS_RATIO = 1e-6

_BT = losses.stacked(losses.barlow_twins_theory)


def _apply(params, x):
    return models._two_layer_apply(params, x, "relu", 0.0)


def _scaled_loss(params, tau, x):
    # L(tau f) / tau^2: the Chizat-Bach objective, whose function-space flow is tau-independent
    return _BT(tau * _apply(params, x)) / tau ** 2


_scaled_grad = jax.grad(_scaled_loss)


def _scaled_step(state, lr, x):
    params, tau = state
    g = _scaled_grad(params, tau, x)
    return jax.tree_util.tree_map(lambda p, q: p - lr * q, params, g), tau


def _scaled_observe(state, x):
    params, tau = state
    return _BT(tau * _apply(params, x))


def _frozen_step(state, lr, theta, theta_test):
    # F <- F - eta Theta_0 grad L(F) on the training views, and the held-out outputs carried along by the same
    # kernel, f(x) <- f(x) - eta Theta_0(x, X) grad L(F): Theta_0 as (N d, N d) and (n_test d, N d) matrices
    f, f_test = state
    g = jax.grad(_BT)(f).reshape(-1)
    return f - lr * (theta @ g).reshape(f.shape), f_test - lr * (theta_test @ g).reshape(f_test.shape)


def _probe(features, features_test, labels, labels_test, probe_ridge: float) -> float:
    # the linear probe with an intercept: a constant column beside the embedding
    def ones(f):
        f = np.asarray(f)
        return np.hstack([f, np.ones((f.shape[0], 1))])
    return probes.linear_probe_accuracy(ones(features), ones(features_test), labels, labels_test, probe_ridge)


def _as_matrix(theta):
    # (n1, n2, d, d) -> (n1 d, n2 d), rows (point, output)
    n1, n2, d, _ = theta.shape
    return jnp.transpose(theta, (0, 2, 1, 3)).reshape(n1 * d, n2 * d)


@dataclass(frozen=True)
class RegimeMap:
    r"""Barlow Twins on a grid of output multipliers (rows, ``output_scales``) and widths (columns, ``widths``),
    every run to the same effective time ``horizon``. Per cell: ``kernel_change``
    :math:`\lVert\Theta_T-\Theta_0\rVert_F/\lVert\Theta_0\rVert_F`; ``flow_gap``
    :math:`\lVert F_T-F^{\rm lin}_T\rVert_F/\lVert F^{\rm lin}_T\rVert_F` against the frozen-kernel flow
    :math:`\dot F=-\Theta_0\nabla\mathcal L` from the same start; ``kpca_distance`` the subspace distance of
    :math:`F_T` to the kernel-PCA end point :math:`K_\infty^{1/2}U_d` (:func:`kernel_ssl.spectra.closed_form_outputs`);
    ``frozen_kpca_distance`` the same for the frozen-kernel flow's :math:`F^{\rm lin}_T`; ``loss_ratio`` the final
    over the initial loss; ``probe_accuracy`` and ``frozen_probe_accuracy`` the test accuracy of the linear probe on
    the network's and on the frozen-kernel flow's embedding; ``kpca_probe_accuracy`` that of the same probe on the
    kernel-PCA embedding."""
    output_scales: np.ndarray
    widths: np.ndarray
    kernel_change: np.ndarray
    flow_gap: np.ndarray
    kpca_distance: np.ndarray
    frozen_kpca_distance: np.ndarray
    loss_ratio: np.ndarray
    probe_accuracy: np.ndarray
    frozen_probe_accuracy: np.ndarray
    kpca_probe_accuracy: float
    horizon: float

    @property
    def converged(self) -> np.ndarray:
        """Cells whose loss fell below :data:`CONVERGED_LOSS_RATIO` of its start (only they support a verdict)."""
        return self.loss_ratio <= CONVERGED_LOSS_RATIO

    @property
    def lazy(self) -> np.ndarray:
        """Converged cells whose kernel change is at most :data:`LAZY_CHANGE`."""
        return self.converged & (self.kernel_change <= LAZY_CHANGE)

    @property
    def rich(self) -> np.ndarray:
        """Converged cells whose kernel change is at least :data:`RICH_CHANGE`."""
        return self.converged & (self.kernel_change >= RICH_CHANGE)

    def width_slope(self, row: int) -> float:
        """Log-log slope of the kernel change against the width at the ``row``-th output multiplier."""
        return fitting.loglog_slope(self.widths, self.kernel_change[row])[0]

    def scale_slope(self, column: int) -> float:
        """Log-log slope of the kernel change against the output multiplier at the ``column``-th width."""
        return fitting.loglog_slope(self.output_scales, self.kernel_change[:, column])[0]


def _check_grid(name: str, values, maximum: float | None) -> np.ndarray:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    arr = as_finite_array(name, values, ndim=1).astype(np.float64)
    if arr.shape[0] < 2 or np.any(arr <= 0) or (maximum is not None and np.any(arr > maximum)):
        bound = f"in (0, {maximum:g}]" if maximum is not None else "positive"
        raise ValueError(f"{name} must hold at least two values {bound}, got {arr.tolist()}")
    if np.unique(arr).shape[0] != arr.shape[0]:
        raise ValueError(f"{name} must not repeat a value, got {arr.tolist()}")
    return arr


def _check_views(key, x_stacked, x_test) -> tuple[np.ndarray, np.ndarray]:
    # the key, the stacked training views and held-out points of the same input dimension
    check_key("key", key)
    xs = check_stacked_views("x_stacked", x_stacked)
    xt = as_finite_array("x_test", x_test, ndim=2)
    if xt.shape[1] != xs.shape[1]:
        raise ValueError(f"x_test must have the input dimension of x_stacked ({xs.shape[1]}), got {xt.shape[1]}")
    return xs, xt


def regime_map(key: jax.Array, x_stacked, x_test, labels, labels_test, widths: Sequence[int],
               output_scales: Sequence[float], d: int, lr: float, steps: int, probe_ridge: float = 1e-6) -> RegimeMap:
    r"""Train the network :math:`F=\tau f_\theta` with Barlow Twins (theory form) on
    :math:`\mathcal L(\tau f)/\tau^2` for every output multiplier :math:`\tau` and width :math:`M`, ``steps`` steps
    of size ``lr``, beside the frozen-kernel flow with the network's own :math:`\Theta_0`; one draw of the network
    per width (the same draw for every :math:`\tau`, so rows differ only in :math:`\tau`).

    Args:
        key: the PRNG key of the initialisations.
        x_stacked: the stacked views :math:`\tilde X`, ``(N, m)``.
        x_test: held-out points for the probe, ``(n_test, m)``.
        labels: the class of each stacked view, ``(N,)``.
        labels_test: the class of each held-out point, ``(n_test,)``.
        widths: at least two widths :math:`M`.
        output_scales: at least two multipliers :math:`\tau\in(0, 1]`.
        d: the embedding dimension (at most the number of positive eigenvalues of :math:`K_Z`).
        lr: the step size :math:`\eta` (function-space: compare with :math:`1/\lVert K_\infty\rVert_2`).
        steps: the number of steps; the horizon is :math:`T=\eta\times` ``steps``.
        probe_ridge: :math:`\rho_{\rm p}\ge0` of the linear probe.

    Returns:
        A :class:`RegimeMap`.
    """
    xs, xt = _check_views(key, x_stacked, x_test)
    y, yt = check_int_labels("labels", labels), check_int_labels("labels_test", labels_test)
    if y.shape[0] != xs.shape[0] or yt.shape[0] != xt.shape[0]:
        raise ValueError(f"labels must have one entry per view ({xs.shape[0]}) and labels_test one per test point "
                         f"({xt.shape[0]}), got {y.shape[0]} and {yt.shape[0]}")
    width_grid = _check_grid("widths", widths, None)
    ws = [check_positive_int("widths", w, maximum=1 << 16) for w in widths]
    scales = _check_grid("output_scales", output_scales, MAX_OUTPUT_SCALE)
    d = check_positive_int("d", d, maximum=xs.shape[0] // 2)
    lr = check_positive_float("lr", lr)
    steps = check_positive_int("steps", steps, maximum=dynamics.MAX_STEPS)
    probe_ridge = check_positive_float("probe_ridge", probe_ridge, allow_zero=True)
    precision.require_float64("kernel_picture.regime_map")
    x, x_new = jnp.asarray(xs), jnp.asarray(xt)
    k_inf = np.asarray(kernels._closed_form_ntk(x, x, "relu", 0.0))
    f_star = spectra.closed_form_outputs(k_inf, d)
    kpca_test = spectra.closed_form_embedding(k_inf, np.asarray(kernels._closed_form_ntk(x_new, x, "relu", 0.0)), d)
    kpca_acc = _probe(f_star, kpca_test, y, yt, probe_ridge)
    shape = (scales.shape[0], width_grid.shape[0])
    change, gap, dist, lin_dist, ratio, acc, lin_acc = (np.empty(shape) for _ in range(7))
    record_at = dynamics.record_steps(steps, every=steps)
    tau = jnp.asarray(scales)
    for j, (k, width) in enumerate(zip(jax.random.split(key, len(ws)), ws, strict=True)):
        p0 = models._init_two_layer(k, xs.shape[1], width, d, x.dtype)
        batch = jax.tree_util.tree_map(lambda a: jnp.broadcast_to(a, (len(scales),) + a.shape), p0)
        run = dynamics.descend(_scaled_step, (batch, tau), lr, steps, args=(x,), observe=_scaled_observe,
                               record_at=record_at, batched=True)
        theta0 = kernels._empirical_ntk_two_layer(p0, x, x, "relu", 0.0)
        start = (tau[:, None, None] * _apply(p0, x)[None], tau[:, None, None] * _apply(p0, x_new)[None])
        args = (_as_matrix(theta0), _as_matrix(kernels._empirical_ntk_two_layer(p0, x_new, x, "relu", 0.0)))
        lin, lin_test = dynamics.descend(_frozen_step, start, lr, steps, args=args, record_at=record_at,
                                         batched=True).final
        for i, s in enumerate(scales):
            p = {name: jnp.asarray(v[i]) for name, v in run.final[0].items()}
            theta = kernels._empirical_ntk_two_layer(p, x, x, "relu", 0.0)
            change[i, j] = float(jnp.linalg.norm(theta - theta0) / jnp.linalg.norm(theta0))
            f = s * np.asarray(_apply(p, x))
            gap[i, j] = np.linalg.norm(f - lin[i]) / np.linalg.norm(lin[i])
            dist[i, j] = float(linalg.subspace_distance(f, f_star))
            lin_dist[i, j] = float(linalg.subspace_distance(lin[i], f_star))
            lin_acc[i, j] = _probe(lin[i], lin_test[i], y, yt, probe_ridge)
            ratio[i, j] = run.records[i, -1] / run.records[i, 0]
            acc[i, j] = _probe(f, s * np.asarray(_apply(p, x_new)), y, yt, probe_ridge)
    return RegimeMap(output_scales=scales, widths=width_grid, kernel_change=change, flow_gap=gap,
                     kpca_distance=dist, frozen_kpca_distance=lin_dist, loss_ratio=ratio, probe_accuracy=acc,
                     frozen_probe_accuracy=lin_acc, kpca_probe_accuracy=float(kpca_acc),
                     horizon=float(lr * steps))


# --------------------------------------------------------------------------- end points in one kernel form
def learned_kernel(kernel, target, cross_left, cross_right) -> np.ndarray:
    r"""The kernel-form end point :math:`k^\star(x,x') = k_X(x)^\top K^{-1}M^\star K^{-1}k_X(x')` between two blocks
    of points, for the learned Gram matrix :math:`M^\star = F^\star F^{\star\top}` on the training points (on them
    :math:`k^\star` equals :math:`M^\star`).

    Args:
        kernel: the base Gram matrix :math:`K` of the training points, ``(N, N)``, positive definite.
        target: :math:`M^\star`, ``(N, N)``, symmetric.
        cross_left: :math:`k_X(x)^\top` of each left point as a row, ``(n_left, N)``.
        cross_right: the same for the right points, ``(n_right, N)``.

    Returns:
        ``(n_left, n_right)``.
    """
    k = check_symmetric("kernel", as_finite_array("kernel", kernel, ndim=2))
    values = np.linalg.eigvalsh(k)
    if values[0] <= 1e-12 * max(values[-1], 0.0) or values[-1] <= 0:
        raise ValueError(f"kernel must be positive definite (the kernel form needs K^-1), got eigenvalues from "
                         f"{values[0]:.3g} to {values[-1]:.3g}")
    factor = linalg.factor_gram(k)
    n = factor.eigenvalues.shape[0]
    m = check_symmetric("target", as_finite_array("target", target, ndim=2))
    if m.shape != (n, n):
        raise ValueError(f"target must be ({n}, {n}) like kernel, got {m.shape}")
    left = linalg._eigen_solve(factor.eigenvalues, factor.eigenvectors, n,
                               check_cross_block("cross_left", cross_left, n).T)
    right = linalg._eigen_solve(factor.eigenvalues, factor.eigenvectors, n,
                                check_cross_block("cross_right", cross_right, n).T)
    return left.T @ m @ right


def barlow_twins_target(kernel, d: int) -> np.ndarray:
    r""":math:`M^\star_{\rm BT} = K^{1/2}U_d\Lambda_d^{-1}U_d^\top K^{1/2}`: the Gram matrix of the minimum-norm
    Barlow Twins end point :math:`F^\star = K^{1/2}U_d\Lambda_d^{-1/2}` (:func:`kernel_ssl.spectra.closed_form_outputs`;
    :math:`(\lambda_j, u_j)` the top eigenpairs of :math:`K_Z`)."""
    f = spectra.closed_form_outputs(kernel, d)
    return f @ f.T


def constrained_target(kernel, omega, d: int) -> np.ndarray:
    r""":math:`M^\star_{\rm c} = K^{1/2}U_\Omega U_\Omega^\top K^{1/2}`, :math:`U_\Omega` the top-``d`` eigenvectors of
    :math:`K^{1/2}\Omega K^{1/2}`: the learned Gram of the orthonormality-constrained squared-distance loss
    :math:`\max\operatorname{tr}(W\Phi^\top\Omega\Phi W^\top)`, :math:`WW^\top = I_d`, written in the kernel."""
    k = as_finite_array("kernel", kernel, ndim=2)
    root = linalg.psd_sqrt(k, name="kernel")[0]
    om = check_symmetric("omega", as_finite_array("omega", omega, ndim=2))
    if om.shape != k.shape:
        raise ValueError(f"omega must have the shape of kernel {k.shape}, got {om.shape}")
    values, vectors = linalg.descending_eigh(root @ om @ root)
    d = check_positive_int("d", d, maximum=k.shape[0] - 1)
    if values[d - 1] - values[d] <= 1e-9 * abs(values[0]):
        raise ValueError(f"K^1/2 Omega K^1/2 has no eigengap at d = {d}: the end point is not unique")
    u = root @ vectors[:, :d]
    return u @ u.T


@dataclass(frozen=True)
class EndpointCheck:
    r"""Each loss's end point from its :math:`M^\star` against the same end point reached by another route, as the
    relative Frobenius error of the learned kernel on held-out points: ``barlow_twins`` (kernel gradient descent
    from a small start, to convergence), ``constrained`` (the feature-space eigenproblem of
    :math:`\Phi^\top\Omega\Phi` for random features :math:`\Phi`, :math:`K=\Phi\Phi^\top`); ``bt_loss`` the final
    Barlow Twins loss of the descent."""
    barlow_twins: float
    constrained: float
    bt_loss: float

    @property
    def max_error(self) -> float:
        """The larger of the two errors."""
        return max(self.barlow_twins, self.constrained)


def endpoint_check(key: jax.Array, x_stacked, x_test, d: int, width: int, alpha: float = 1e-6,
                   steps: int = 3000) -> EndpointCheck:
    r"""Check the common kernel form of two end points by routes that share no formula with their :math:`M^\star`.

    Barlow Twins: :math:`\dot F=-K\nabla\mathcal L_{\rm BT}(F)` with the ReLU NTK :math:`K_\infty`, from
    :math:`F_0=\alpha G` (:math:`G` standard normal), step :math:`0.5/\lVert K\rVert_2`, carrying held-out outputs
    along with the same kernel; the descent's :math:`f(x)^\top f(x')` against :func:`learned_kernel` with
    :func:`barlow_twins_target` (the start's trace decays as about :math:`\alpha^{1-\lambda_{d+1}/\lambda_d}`, the
    eigenvalues of :math:`K_Z`: mode :math:`d+1` keeps growing until mode :math:`d` is learned, plus the descent's
    residual). Constrained: random
    ReLU features of width ``width`` (:func:`kernel_ssl.models.random_features`), the top-``d`` eigenvectors
    :math:`P` of :math:`\Phi^\top\Omega_{\rm c}\Phi` (``(M, M)``: the feature space) and the learned kernel
    :math:`\varphi(x)^\top P\varphi(x')` against :func:`learned_kernel` with :func:`constrained_target`.

    Args:
        key: the PRNG key of the start and of the features.
        x_stacked: the stacked views :math:`\tilde X`, ``(N, m)``.
        x_test: held-out points, ``(n_test, m)``.
        d: the embedding dimension.
        width: the number of random features, at least :math:`N` (so that :math:`K` is invertible).
        alpha: the scale of the Barlow Twins start, in (0, 1e-2].
        steps: the Barlow Twins descent's steps.

    Returns:
        An :class:`EndpointCheck`.
    """
    xs, xt = _check_views(key, x_stacked, x_test)
    d = check_positive_int("d", d, maximum=xs.shape[0] // 2)
    width = check_positive_int("width", width, minimum=xs.shape[0], maximum=1 << 14)
    alpha = check_positive_float("alpha", alpha, maximum=1e-2)
    steps = check_positive_int("steps", steps, maximum=dynamics.MAX_STEPS)
    precision.require_float64("kernel_picture.endpoint_check")
    x, x_new = jnp.asarray(xs), jnp.asarray(xt)
    k_start, k_features = jax.random.split(key)
    # Barlow Twins by descent, held-out outputs carried by the kernel (the representer form of the increments)
    k = np.asarray(kernels._closed_form_ntk(x, x, "relu", 0.0))
    cross = np.asarray(kernels._closed_form_ntk(x_new, x, "relu", 0.0))
    f0 = alpha * precision.normal(k_start, (xs.shape[0] + xt.shape[0], d))
    eye = jnp.eye(d)
    lr = 0.5 / np.linalg.eigvalsh(k)[-1]
    final = dynamics.descend(_frozen_step, (f0[:xs.shape[0]], f0[xs.shape[0]:]), lr, steps,
                             args=(jnp.kron(jnp.asarray(k), eye), jnp.kron(jnp.asarray(cross), eye)),
                             record_at=dynamics.record_steps(steps, every=steps)).final
    descent = final[1] @ final[1].T
    closed = learned_kernel(k, barlow_twins_target(k, d), cross, cross)
    bt_error = linalg.relative_frobenius_error(descent, closed)
    # the constrained loss in feature space against its kernel form
    v = models._random_first_layer(k_features, width, xs.shape[1])
    phi = np.asarray(models._random_features(x, v), dtype=np.float64)
    phi_test = np.asarray(models._random_features(x_new, v), dtype=np.float64)
    omega = grassmann.pair_weights(xs.shape[0] // 2, "contrastive")
    _, vectors = linalg.descending_eigh(phi.T @ omega @ phi)
    p = vectors[:, :d] @ vectors[:, :d].T
    feature_space = phi_test @ p @ phi_test.T
    kernel_form = learned_kernel(phi @ phi.T, constrained_target(phi @ phi.T, omega, d), phi_test @ phi.T,
                                 phi_test @ phi.T)
    return EndpointCheck(barlow_twins=float(bt_error),
                         constrained=float(linalg.relative_frobenius_error(kernel_form, feature_space)),
                         bt_loss=float(_BT(final[0])))
