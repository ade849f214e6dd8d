r"""Full-batch gradient descent in parameter space and in function space (kernel gradient descent).

Time is effective time :math:`t = \eta \times \text{step}`. In function space, gradient flow with a
constant scalar kernel :math:`K` (the NTK block is :math:`K\otimes I_d`) reads
:math:`\dot F = -K\,\nabla_F\mathcal L(F)` for the outputs :math:`F\in\mathbb R^{N\times d}` on the training inputs;
for Barlow Twins on stacked views this is :math:`\dot F = -\tfrac2n K Z F (C - I)`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .validation import as_finite_array, check_positive_float, check_positive_int


def descent_scan(loss_fn: Callable[[Any], jnp.ndarray], params: Any, lr: float, steps: int,
                 record_every: int) -> tuple[Any, jnp.ndarray]:
    """Traceable core of :func:`gradient_descent` (no checks): usable inside a larger ``jit``."""
    value_and_grad = jax.value_and_grad(loss_fn)

    def step(p, _):
        value, grads = value_and_grad(p)
        return jax.tree_util.tree_map(lambda a, g: a - lr * g, p, grads), value

    def block(p, _):
        p, values = jax.lax.scan(step, p, None, length=record_every)
        return p, values[0]

    final, trace = jax.lax.scan(block, params, None, length=steps // record_every)
    return final, jnp.concatenate([trace, loss_fn(final)[None]])


def check_schedule(lr: float, steps: int, record_every: int, step_name: str = "lr") -> tuple[float, int, int]:
    """Validate a step size and a recording schedule (``steps`` a multiple of ``record_every``).

    ``step_name`` is the step size's name in the caller's signature (``lr``, ``dt``), so the error names it."""
    lr = check_positive_float(step_name, lr)
    steps = check_positive_int("steps", steps)
    record_every = check_positive_int("record_every", record_every, maximum=steps)
    if steps % record_every:
        raise ValueError(f"steps ({steps}) must be a multiple of record_every ({record_every})")
    return lr, steps, record_every


def gradient_descent(loss_fn: Callable[[Any], jnp.ndarray], params: Any, lr: float, steps: int,
                     record_every: int = 1) -> tuple[Any, jnp.ndarray]:
    """Run ``steps`` full-batch steps ``theta <- theta - lr * grad L(theta)`` (``jax.lax.scan``, one compile).

    Returns the final parameters and the loss recorded every ``record_every`` steps (before the step),
    plus the final loss, so the trace has ``steps // record_every + 1`` entries.
    """
    lr, steps, record_every = check_schedule(lr, steps, record_every)
    final, trace = jax.jit(lambda p: descent_scan(loss_fn, p, lr, steps, record_every))(params)
    if not bool(jnp.all(jnp.isfinite(trace))):
        raise FloatingPointError("gradient descent diverged (non-finite loss); lower lr")
    return final, trace


def function_space_descent(loss_fn: Callable[[jnp.ndarray], jnp.ndarray], outputs0: jnp.ndarray,
                           kernel: jnp.ndarray, lr: float, steps: int,
                           record_every: int = 1) -> tuple[jnp.ndarray, jnp.ndarray]:
    r"""Kernel gradient descent :math:`F \leftarrow F - \eta K \nabla_F\mathcal L(F)` with a constant kernel.

    ``outputs0`` is ``(N, d)``, ``kernel`` the ``(N, N)`` scalar Gram matrix on the same inputs. With the NTK,
    this is the training of the infinite-width network (same step size, same discretisation as the net).
    Returns the final outputs and the outputs every ``record_every`` steps, shape ``(T+1, N, d)``.
    """
    f0 = as_finite_array("outputs0", outputs0, ndim=2)
    k = as_finite_array("kernel", kernel, ndim=2)
    if k.shape != (f0.shape[0], f0.shape[0]):
        raise ValueError(f"kernel must have shape ({f0.shape[0]}, {f0.shape[0]}), got {k.shape}")
    lr, steps, record_every = check_schedule(lr, steps, record_every)
    grad = jax.grad(loss_fn)
    kj = jnp.asarray(kernel)

    def step(f, _):
        return f - lr * kj @ grad(f), None

    def block(f, _):
        f, _ = jax.lax.scan(step, f, None, length=record_every)
        return f, f

    start = jnp.asarray(outputs0)
    final, path = jax.jit(lambda f: jax.lax.scan(block, f, None, length=steps // record_every))(start)
    path = jnp.concatenate([start[None], path])
    if not bool(jnp.all(jnp.isfinite(path))):
        raise FloatingPointError("function-space descent diverged (non-finite outputs); lower lr")
    return final, path


def stacked_ssl_loss(pair_loss: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]
                     ) -> Callable[[jnp.ndarray], jnp.ndarray]:
    """Turn a loss of the two views' embeddings into a loss of the stacked outputs ``F = [F_a; F_b]``."""
    def loss(outputs: jnp.ndarray) -> jnp.ndarray:
        n = outputs.shape[0] // 2
        return pair_loss(outputs[:n], outputs[n:])
    return loss
