r"""Full-batch gradient descent in parameter space and in function space (kernel gradient descent).

Time is effective time :math:`t = \eta \times \text{step}`. In function space, gradient flow with a
constant scalar kernel :math:`K` (the NTK block is :math:`K\otimes I_d`) reads
:math:`\dot F = -K\,\nabla_F\mathcal L(F)` for the outputs :math:`F\in\mathbb R^{N\times d}` on the training inputs;
for Barlow Twins on stacked views this is :math:`\dot F = -\tfrac2n K Z F (C - I)`.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
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


def gradient_descent(loss_fn: Callable[..., jnp.ndarray], params: Any, lr: float, steps: int,
                     record_every: int = 1, loss_args: tuple = ()) -> tuple[Any, jnp.ndarray]:
    """Run ``steps`` full-batch steps ``theta <- theta - lr * grad L(theta)`` (``jax.lax.scan``, one compile).

    The loss is ``loss_fn(params, *loss_args)``. JAX caches compiled programs by function identity, so a
    caller that repeats runs (several initialisations, several step sizes) should pass one ``loss_fn``
    object and its data through ``loss_args``: the program is then compiled once per shape.
    Returns the final parameters and the loss recorded every ``record_every`` steps (before the step),
    plus the final loss, so the trace has ``steps // record_every + 1`` entries.
    """
    lr, steps, record_every = check_schedule(lr, steps, record_every)
    final, trace = _descent_program(params, tuple(loss_args), lr, loss_fn=loss_fn, steps=steps,
                                    record_every=record_every)
    if not bool(jnp.all(jnp.isfinite(trace))):
        raise FloatingPointError("gradient descent diverged (non-finite loss); lower lr")
    return final, trace


@partial(jax.jit, static_argnames=("loss_fn", "steps", "record_every"))
def _descent_program(params, loss_args, lr, loss_fn, steps, record_every):
    return descent_scan(lambda p: loss_fn(p, *loss_args), params, lr, steps, record_every)


def function_space_descent(loss_fn: Callable[..., jnp.ndarray], outputs0: jnp.ndarray,
                           kernel: jnp.ndarray, lr: float, steps: int,
                           record_every: int = 1, loss_args: tuple = ()) -> tuple[jnp.ndarray, jnp.ndarray]:
    r"""Kernel gradient descent :math:`F \leftarrow F - \eta K \nabla_F\mathcal L(F)` with a constant kernel.

    ``outputs0`` is ``(N, d)``, ``kernel`` the ``(N, N)`` scalar Gram matrix on the same inputs; the loss is
    ``loss_fn(F, *loss_args)`` (one ``loss_fn`` object across calls reuses the compiled program, as in
    :func:`gradient_descent`). With the NTK, this is the training of the infinite-width network (same step
    size, same discretisation as the net). Returns the final outputs and the outputs every ``record_every``
    steps, shape ``(T+1, N, d)``.
    """
    f0 = as_finite_array("outputs0", outputs0, ndim=2)
    k = as_finite_array("kernel", kernel, ndim=2)
    if k.shape != (f0.shape[0], f0.shape[0]):
        raise ValueError(f"kernel must have shape ({f0.shape[0]}, {f0.shape[0]}), got {k.shape}")
    lr, steps, record_every = check_schedule(lr, steps, record_every)
    start = jnp.asarray(outputs0)
    final, path = _kernel_descent_program(start, jnp.asarray(kernel), tuple(loss_args), lr, loss_fn=loss_fn,
                                          steps=steps, record_every=record_every)
    path = jnp.concatenate([start[None], path])
    if not bool(jnp.all(jnp.isfinite(path))):
        raise FloatingPointError("function-space descent diverged (non-finite outputs); lower lr")
    return final, path


@partial(jax.jit, static_argnames=("loss_fn", "steps", "record_every"))
def _kernel_descent_program(f0, kernel, loss_args, lr, loss_fn, steps, record_every):
    grad = jax.grad(lambda f: loss_fn(f, *loss_args))

    def step(f, _):
        return f - lr * kernel @ grad(f), None

    def block(f, _):
        f, _ = jax.lax.scan(step, f, None, length=record_every)
        return f, f

    return jax.lax.scan(block, f0, None, length=steps // record_every)


def stacked_ssl_loss(pair_loss: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]
                     ) -> Callable[[jnp.ndarray], jnp.ndarray]:
    """Turn a loss of the two views' embeddings into a loss of the stacked outputs ``F = [F_a; F_b]``."""
    def loss(outputs: jnp.ndarray) -> jnp.ndarray:
        n = outputs.shape[0] // 2
        return pair_loss(outputs[:n], outputs[n:])
    return loss
