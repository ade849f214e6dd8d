r"""Measurements of the infinite-width limit (chapter *Infinite width*): how far the NTK is from its limit at
initialisation, how much it moves during training, and how far the network is from its kernel model.

All functions are deterministic given their PRNG key.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

from . import kernels, losses, models, training
from .validation import (as_finite_array, check_choice, check_positive_float, check_positive_int,
                         check_same_shape)

LOSS_KINDS = ("barlow_twins", "barlow_twins_practical", "spectral_contrastive", "info_nce", "vicreg",
              "supervised")


def release_memory(drop_compiled: bool = False) -> None:
    """Return freed heap memory to the operating system (glibc; a no-op elsewhere), and optionally drop
    JAX's compiled programs.

    A sweep over widths allocates and frees arrays of a different size at every width; glibc keeps the
    freed blocks and the process grows by hundreds of MB although little is live. Dropping compiled programs
    saves more but forces later sweeps to recompile what they share (measured: twice the chapter's run time
    when done after every training sweep), so it is done only where nothing is shared afterwards.
    """
    if drop_compiled:
        jax.clear_caches()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _check_widths(widths: Sequence[int]) -> list[int]:
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least 2 widths, got {list(widths)}")
    return [check_positive_int(f"widths[{i}]", w) for i, w in enumerate(widths)]


def ntk_init_errors(key: jax.Array, x: jnp.ndarray, widths: Sequence[int], output_dim: int,
                    activation: str = "relu", bias_std: float = 0.0, repeats: int = 1) -> np.ndarray:
    r"""Relative Frobenius error :math:`\lVert\Theta_M-\Theta_\infty\otimes I_d\rVert_F/\lVert\Theta_\infty\otimes I_d\rVert_F`
    at initialisation, for each width (rows) and independent initialisation (columns)."""
    as_finite_array("x", x, ndim=2)
    widths = _check_widths(widths)
    d = check_positive_int("output_dim", output_dim)
    repeats = check_positive_int("repeats", repeats)
    reference = kernels.kron_identity(kernels.analytic_ntk(x, x, activation, bias_std), d)
    errors = np.empty((len(widths), repeats))
    for i, width in enumerate(widths):
        for j, k in enumerate(jax.random.split(jax.random.fold_in(key, width), repeats)):
            params = models.init_two_layer(k, x.shape[1], width, d, dtype=x.dtype)
            theta = kernels.empirical_ntk_two_layer(params, x, x, activation, bias_std)
            errors[i, j] = kernels.relative_frobenius_error(theta, reference)
    release_memory(drop_compiled=True)  # the wide-kernel programs are not reused by the training sweeps
    return errors


@dataclass(frozen=True)
class TrainingRun:
    """What one training run measured (all at the final effective time ``lr * steps``)."""
    width: int
    ntk_change: float          # ||Theta_T - Theta_0||_F / ||Theta_0||_F
    param_change: float        # ||theta_T - theta_0||_2
    loss_trace: np.ndarray     # loss every record_every steps
    outputs0: np.ndarray       # network outputs on the stacked inputs at initialisation, (N, d)
    outputs: np.ndarray        # ... after training


def make_loss(kind: str, n_pairs: int, targets: jnp.ndarray | None = None
              ) -> Callable[[jnp.ndarray], jnp.ndarray]:
    """Loss of the stacked outputs ``F`` (shape ``(2n, d)``): an SSL loss of the two views, or the
    supervised squared error against ``targets`` (shape ``(2n, d)``) for ``kind="supervised"``."""
    check_choice("kind", kind, LOSS_KINDS)
    check_positive_int("n_pairs", n_pairs, minimum=2)
    if kind == "supervised":
        if targets is None:
            raise ValueError("targets are required for kind='supervised'")
        t = as_finite_array("targets", targets, ndim=2)
        if t.shape[0] != 2 * n_pairs:
            raise ValueError(f"targets must have 2 * n_pairs = {2 * n_pairs} rows (one per stacked view), "
                             f"got shape {t.shape}")
    of_outputs = _outputs_loss(kind)
    return lambda f: of_outputs(f, targets)


@lru_cache(maxsize=None)
def _outputs_loss(kind: str) -> Callable[[jnp.ndarray, Any], jnp.ndarray]:
    """``loss(F, targets)``, one object per kind: the compiled descent programs are cached by it."""
    if kind == "supervised":
        return losses.squared_error
    ssl = training.stacked_ssl_loss(losses.get_ssl_loss(kind))
    return lambda f, targets: ssl(f)


@lru_cache(maxsize=None)
def _network_loss(kind: str, activation: str, bias_std: float) -> Callable[..., jnp.ndarray]:
    """``loss(params, x_stacked, targets)`` of the two-layer net, one object per setting (see above)."""
    of_outputs = _outputs_loss(kind)

    def loss(params, x_stacked, targets):
        return of_outputs(models._two_layer_apply(params, x_stacked, activation, bias_std), targets)
    return loss


def train_two_layer(key: jax.Array, x_stacked: jnp.ndarray, width: int, output_dim: int, kind: str,
                    lr: float, steps: int, activation: str = "relu", bias_std: float = 0.0,
                    targets: jnp.ndarray | None = None, record_every: int = 10) -> TrainingRun:
    """Train the two-layer net with full-batch gradient descent on the stacked views and measure the
    relative change of its empirical NTK and the parameter displacement."""
    xs = as_finite_array("x_stacked", x_stacked, ndim=2)
    if xs.shape[0] % 2:
        raise ValueError(f"x_stacked must hold 2n stacked views (an even number of rows), got {xs.shape[0]}")
    check_positive_int("width", width)
    check_positive_int("output_dim", output_dim)
    check_choice("activation", activation, models.ACTIVATIONS)
    check_positive_float("bias_std", bias_std, allow_zero=True)
    make_loss(kind, xs.shape[0] // 2, targets)  # validates kind and targets
    lr, steps, record_every = training.check_schedule(lr, steps, record_every)
    targets = None if targets is None else jnp.asarray(targets)
    params0 = models.init_two_layer(key, xs.shape[1], width, output_dim, dtype=jnp.asarray(x_stacked).dtype)
    x_stacked = jnp.asarray(x_stacked)
    # One loss object per (kind, activation, bias): repeated runs at a width reuse the compiled program.
    # The chunked NTK program has a fixed shape above 4096 units and is reused across widths.
    params, trace = training.gradient_descent(_network_loss(kind, activation, float(bias_std)), params0, lr,
                                              steps, record_every, loss_args=(x_stacked, targets))
    theta0 = kernels.empirical_ntk_two_layer(params0, x_stacked, x_stacked, activation, bias_std)
    theta = kernels.empirical_ntk_two_layer(params, x_stacked, x_stacked, activation, bias_std)
    return TrainingRun(
        width=width,
        ntk_change=kernels.relative_frobenius_error(theta, theta0),
        param_change=float(models.parameter_distance(params, params0)),
        loss_trace=np.asarray(trace),
        outputs0=np.asarray(models.two_layer_apply(params0, x_stacked, activation, bias_std)),
        outputs=np.asarray(models.two_layer_apply(params, x_stacked, activation, bias_std)),
    )


def kernel_model_gap(run: TrainingRun, x_stacked: jnp.ndarray, kind: str, lr: float, steps: int,
                     activation: str = "relu", bias_std: float = 0.0,
                     targets: jnp.ndarray | None = None, k_inf: jnp.ndarray | None = None) -> float:
    r"""Gap between the trained network and its infinite-width kernel model.

    The kernel model starts from the network's own outputs at initialisation and follows kernel gradient
    descent with the analytic NTK, same step size and number of steps. Returned:
    :math:`\lVert F_{\rm net}(T) - F_{\rm ker}(T)\rVert_F / \lVert F_{\rm net}(T) - F(0)\rVert_F`.
    """
    check_positive_float("lr", lr)
    check_positive_int("steps", steps)
    if k_inf is None:
        k_inf = kernels.analytic_ntk(x_stacked, x_stacked, activation, bias_std)
    make_loss(kind, x_stacked.shape[0] // 2, targets)  # validates kind and targets
    f_ker, _ = training.function_space_descent(_outputs_loss(kind), jnp.asarray(run.outputs0), k_inf, lr, steps,
                                               record_every=steps,
                                               loss_args=(None if targets is None else jnp.asarray(targets),))
    moved = np.linalg.norm(run.outputs - run.outputs0)
    if moved == 0:
        raise ValueError("training did not move the outputs; the relative gap is undefined")
    return float(np.linalg.norm(run.outputs - np.asarray(f_ker)) / moved)


def width_sweep(key: jax.Array, x: jnp.ndarray, x_prime: jnp.ndarray, widths: Sequence[int],
                output_dim: int, kind: str, lr: float, steps: int, activation: str = "relu",
                bias_std: float = 0.0, targets: jnp.ndarray | None = None, repeats: int = 1,
                with_kernel_model: bool = False) -> dict[str, np.ndarray]:
    """Train at each width (``repeats`` initialisations each) and collect the measurements as arrays of
    shape ``(len(widths), repeats)``: ``ntk_change``, ``param_change`` and (optionally) ``kernel_gap``."""
    check_same_shape("x", x, "x_prime", x_prime)
    widths = _check_widths(widths)
    repeats = check_positive_int("repeats", repeats)
    xs = jnp.concatenate([jnp.asarray(x), jnp.asarray(x_prime)])
    out = {"ntk_change": np.empty((len(widths), repeats)), "param_change": np.empty((len(widths), repeats))}
    if with_kernel_model:
        out["kernel_gap"] = np.empty((len(widths), repeats))
        k_inf = kernels.analytic_ntk(xs, xs, activation, bias_std)
    for i, width in enumerate(widths):
        for j, k in enumerate(jax.random.split(jax.random.fold_in(key, width), repeats)):
            run = train_two_layer(k, xs, width, output_dim, kind, lr, steps, activation, bias_std, targets,
                                  record_every=steps)
            out["ntk_change"][i, j] = run.ntk_change
            out["param_change"][i, j] = run.param_change
            if with_kernel_model:
                out["kernel_gap"][i, j] = kernel_model_gap(run, xs, kind, lr, steps, activation, bias_std, targets,
                                                           k_inf)
    release_memory()
    return out


def kernel_row(key: jax.Array, x: jnp.ndarray, width: int, output_dim: int = 1, activation: str = "relu",
               bias_std: float = 0.0, anchor: int = 0) -> np.ndarray:
    r"""One row of the empirical NTK, :math:`\Theta_M(x_{\rm anchor}, x_j)_{11}` for all ``j``, at initialisation,
    of the network ``init_two_layer(key, m, width, output_dim)``:

    .. math:: \Theta_M(x_a,x_j)_{11} = \frac1M\sum_r\sigma(h_{ar})\sigma(h_{jr})
       + \Big(\frac{x_a^\top x_j}{m}+\beta^2\Big)\frac1M\sum_r A_{1r}^2\,\sigma'(h_{ar})\sigma'(h_{jr}).

    Costs :math:`O(nM)`. It is evaluated with NumPy on the host, on purpose: a live slider visits widths and
    biases one at a time, and the JAX kernel would compile a program for each new shape or bias (50 to 300 ms
    on 2 cores, measured) where this answers in milliseconds. The tests hold it to
    :func:`kernels.empirical_ntk_two_layer`.
    """
    xa = as_finite_array("x", x, ndim=2).astype(np.float64)
    anchor = check_positive_int("anchor", anchor, minimum=0, maximum=xa.shape[0] - 1)
    check_choice("activation", activation, models.ACTIVATIONS)
    beta = check_positive_float("bias_std", bias_std, allow_zero=True)
    params = models.init_two_layer(key, xa.shape[1], width, output_dim, dtype=jnp.asarray(x).dtype)
    w, b, a1 = (np.asarray(params[name], dtype=np.float64) for name in ("W", "b", "A"))
    m, big_m = xa.shape[1], w.shape[0]
    h = xa @ w.T / np.sqrt(m) + beta * b
    if activation == "relu":
        s, ds = np.maximum(h, 0.0), (h > 0).astype(np.float64)
    else:
        s, ds = scipy.special.erf(h), 2.0 / np.sqrt(np.pi) * np.exp(-h ** 2)
    inner = xa @ xa[anchor] / m + beta ** 2
    return (s @ s[anchor] + inner * (ds @ (a1[0] ** 2 * ds[anchor]))) / big_m
