r"""One recorded descent engine for every gradient descent of the book, and the steps it runs.

A descent is a *step function* that reads like its update equation, ``step(state, lr, *args) -> state``
(for example :math:`F \leftarrow F - \eta K\nabla_F\mathcal L(F)`), run by :func:`descend` for ``steps`` steps of
size ``lr`` :math:`=\eta`. Time is effective time :math:`t = \eta\times\text{step}`, so runs at different step sizes
line up. The run is recorded at chosen steps (:func:`record_steps`: every ``k`` steps or log-spaced), where
``observe(state, *args)`` returns what to keep (a pytree of arrays); the result is one :class:`Trajectory`.

Compiled programs are cached by the step and observe functions and the shapes of the state and ``args``. A
function that closes over an array would hide that array from the cache (a later call with the same function
object and a changed array would reuse the stale program), so :func:`descend` refuses closures over arrays: data
go through ``args``. The factories below (:func:`gradient_step`, ...) return one cached object per loss.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .validation import as_finite_array, check_bool, check_callable, check_positive_float, check_positive_int

# A run longer than this is refused: at a few microseconds per step on a CPU it would not finish in a chapter's
# budget, and a step count this large usually means a step size that was meant to be larger.
MAX_STEPS = 10_000_000


@dataclass(frozen=True)
class Trajectory:
    """A recorded run: ``steps`` (``(R,)`` step indices, from 0 to the last step), ``t = lr * steps``, the
    ``records`` (what ``observe`` returned at each recorded step: a pytree of arrays with leading axis ``R``, or
    ``(B, R, ...)`` for a batch) and the ``final`` state (NumPy arrays)."""
    steps: np.ndarray
    t: np.ndarray
    records: Any
    final: Any


def record_steps(steps: int, every: int | None = None, n_log: int | None = None) -> np.ndarray:
    """The steps at which a run is recorded: ``0``, then every ``every`` steps (``steps`` must be a multiple of
    it), or about ``n_log`` steps spaced geometrically up to ``steps`` (early dynamics and slow convergence both
    resolved). With neither, every step.

    Args:
        steps: the length of the run, ``1..MAX_STEPS``.
        every: record every ``every`` steps, ``1..steps``, a divisor of ``steps``.
        n_log: the number of geometrically spaced points in ``1..steps`` (at least 1); rounding to integers
            merges duplicates, so fewer steps may come back.

    Returns:
        The recorded steps, an increasing ``int64`` array ``(R,)`` from ``0`` to ``steps`` (for :func:`descend`'s
        ``record_at``).

    Raises:
        ValueError: if both ``every`` and ``n_log`` are given, or ``steps`` is not a multiple of ``every``.
    """
    steps = check_positive_int("steps", steps, maximum=MAX_STEPS)
    if every is not None and n_log is not None:
        raise ValueError("give every or n_log, not both")
    if n_log is not None:
        n_log = check_positive_int("n_log", n_log, maximum=MAX_STEPS)
        grid = np.round(np.geomspace(1, steps, n_log)).astype(np.int64)
        return np.unique(np.concatenate([[0], grid, [steps]]))
    every = 1 if every is None else check_positive_int("every", every, maximum=steps)
    if steps % every:
        raise ValueError(f"steps ({steps}) must be a multiple of every ({every})")
    return np.arange(0, steps + 1, every, dtype=np.int64)


# Compiled programs are keyed by the step/observe objects, so any array such a function reaches other than
# through its arguments is baked into the program when it is first traced: a closure cell, a closure of a function
# it wraps (jax.grad(loss) wraps loss, gradient_step's step closes over that), or a module-level (global) array
# it reads, which a notebook may later rebind (a module's UPPER_CASE constants are allowed). The walk follows
# closures, __wrapped__, functools.partial and the functions it reads as globals, skipping library code (jax,
# numpy, ...), which holds no such arrays.
_FOREIGN = ("jax", "jaxlib", "numpy", "scipy", "optax", "builtins")


def _reachable_arrays(fn: Any, seen: set[int], depth: int = 0) -> list[str]:
    if depth > 6 or id(fn) in seen or not callable(fn):
        return []
    seen.add(id(fn))
    if (getattr(fn, "__module__", None) or "").split(".")[0] in _FOREIGN:
        return []
    found: list[str] = []
    inner = [getattr(fn, "__wrapped__", None), getattr(fn, "func", None)]
    inner += list(getattr(fn, "args", ()) or ()) if isinstance(fn, partial) else []
    code = getattr(fn, "__code__", None)
    names = code.co_freevars if code is not None else ()
    for cell_name, cell in zip(names, getattr(fn, "__closure__", None) or (), strict=False):
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if isinstance(value, (np.ndarray, jax.Array)):
            found.append(f"closes over the array {cell_name!r}")
        else:
            inner.append(value)
    if code is not None:
        globals_ = getattr(fn, "__globals__", {})
        for global_name in code.co_names:
            value = globals_.get(global_name)
            # a notebook re-runs cells and rebinds its globals; a module's UPPER_CASE constant is never rebound
            constant = global_name.isupper() and getattr(fn, "__module__", None) != "__main__"
            if isinstance(value, (np.ndarray, jax.Array)) and not constant:
                found.append(f"reads the global array {global_name!r}")
            elif callable(value) and not isinstance(value, type):
                inner.append(value)
    for value in inner:
        if value is not None:
            found += _reachable_arrays(value, seen, depth + 1)
    return found


def _check_no_array_closure(name: str, fn: Callable) -> None:
    found = _reachable_arrays(fn, set())
    if found:
        raise TypeError(f"{name} must not close over an array (the compiled program would be reused with a "
                        f"stale copy of it): it {found[0]}; pass the array through args")


def _check_recording(steps: int, record_at) -> np.ndarray:
    steps = check_positive_int("steps", steps, maximum=MAX_STEPS)
    if record_at is None:
        return record_steps(steps)
    rec = as_finite_array("record_at", record_at)
    if rec.ndim != 1 or not np.issubdtype(rec.dtype, np.integer) or rec.size < 2:
        raise ValueError("record_at must be a 1-D array of at least 2 integer steps (see record_steps)")
    if rec[0] != 0 or rec[-1] != steps or np.any(np.diff(rec) <= 0):
        raise ValueError(f"record_at must increase strictly from 0 to steps = {steps}, got {rec[0]}..{rec[-1]}")
    return rec.astype(np.int64)


def descend(step: Callable[..., Any], state0: Any, lr: float, steps: int, args: Sequence[Any] = (),
            observe: Callable[..., Any] | None = None, record_at=None, batched: bool = False) -> Trajectory:
    r"""Run ``state <- step(state, lr, *args)`` for ``steps`` steps and record ``observe(state, *args)``.

    Args:
        step: the update, a pure function ``step(state, lr, *args) -> state`` of a pytree state.
        state0: the initial state (arrays; a leading batch axis if ``batched``).
        lr: the step size :math:`\eta>0`; time is :math:`t=\eta\times\text{step}`.
        steps: the number of steps (at most :data:`MAX_STEPS`).
        args: data the step needs (arrays, scalars), shared by every member of a batch.
        observe: what to record, ``observe(state, *args)``; default the state itself.
        record_at: the recorded steps (:func:`record_steps`); default every step.
        batched: run independent members of a batch (leading axis of ``state0``) in one program (``jax.vmap``).

    Returns:
        A :class:`Trajectory`. Raises ``FloatingPointError`` if a record or the final state is not finite
        (the run diverged: lower ``lr``).
    """
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    observe = _identity if observe is None else observe
    if not callable(observe):
        raise TypeError(f"observe must be callable, got {type(observe).__name__}")
    _check_no_array_closure("step", step)
    _check_no_array_closure("observe", observe)
    lr = check_positive_float("lr", lr)
    rec = _check_recording(steps, record_at)
    check_bool("batched", batched)
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise TypeError(f"args must be a sequence (tuple or list) of arrays and numbers, got {type(args).__name__}")
    # values are checked here, once, where they arrive from the caller (never inside the compiled loop): a NaN
    # start would otherwise come back as "the descent diverged"
    _check_leaves("state0", state0)
    _check_leaves("args", tuple(args))
    program = _batched_program if batched else _program
    try:
        first, final, records = program(state0, tuple(args), lr, jnp.asarray(np.diff(rec)), step=step,
                                        observe=observe)
    except TypeError as exc:
        if "carry input and carry output must have equal types" in str(exc):
            raise TypeError("step must return a state with the structure, shapes and dtypes of state0 (mixing "
                            "float32 and float64, e.g. a float32 state0 with float64 args, changes the dtype): "
                            f"{str(exc).splitlines()[2] if len(str(exc).splitlines()) > 2 else exc}") from exc
        # JAX's shape errors (incompatible shapes in the step's arithmetic) name no argument: say which inputs
        shapes = jax.tree_util.tree_map(np.shape, (state0, tuple(args)))
        raise TypeError(f"step(state0, lr, *args) or observe failed on state0 and args of shapes {shapes[0]} and "
                        f"{shapes[1]}: {str(exc).splitlines()[0]}") from exc
    # records: (R - 1, ...) after the first, or (B, R - 1, ...) for a batch (vmap puts the batch axis first)
    axis = 1 if batched else 0
    records = jax.tree_util.tree_map(
        lambda a, b: np.concatenate([np.expand_dims(np.asarray(a), axis), np.asarray(b)], axis=axis), first, records)
    final = jax.tree_util.tree_map(np.asarray, final)
    if not all(np.all(np.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves((records, final))):
        raise FloatingPointError(f"the descent diverged (non-finite values) with lr = {lr:g}: lower lr")
    return Trajectory(steps=rec, t=lr * rec.astype(np.float64), records=records, final=final)


def _check_leaves(name: str, tree: Any) -> None:
    for path, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]:
        as_finite_array(f"{name}{jax.tree_util.keystr(path)}", leaf)


def _identity(state, *args):
    return state


def _run(state0, args, lr, segments, step, observe):
    def segment(state, length):
        # one compiled loop whatever the segment lengths: fori_loop with a traced trip count
        state = jax.lax.fori_loop(0, length, lambda _, s: step(s, lr, *args), state)
        return state, observe(state, *args)

    final, records = jax.lax.scan(segment, state0, segments)
    return observe(state0, *args), final, records


_program = jax.jit(_run, static_argnames=("step", "observe"))


@partial(jax.jit, static_argnames=("step", "observe"))
def _batched_program(state0, args, lr, segments, step, observe):
    return jax.vmap(lambda s: _run(s, args, lr, segments, step, observe))(state0)


# ---------------------------------------------------------------------------------------------- steps
def gradient_step(loss: Callable[..., jnp.ndarray]) -> Callable[..., Any]:
    r"""Gradient descent on parameters, :math:`\theta\leftarrow\theta-\eta\nabla_\theta\mathcal L(\theta, \dots)`,
    for ``loss(params, *args)`` (one cached step object per loss: repeated runs reuse the compiled program)."""
    return _gradient_step(check_callable("loss", loss))


@cache
def _gradient_step(loss):
    grad = jax.grad(loss)

    def step(params, lr, *args):
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grad(params, *args))
    return step


def kernel_gradient_step(loss: Callable[..., jnp.ndarray]) -> Callable[..., Any]:
    r"""Kernel gradient descent in function space, :math:`F\leftarrow F-\eta K\nabla_F\mathcal L(F,\dots)`, for
    ``loss(F, *args)``; the step's first argument after ``lr`` is the Gram matrix :math:`K` (``(N, N)``)."""
    return _kernel_gradient_step(check_callable("loss", loss))


@cache
def _kernel_gradient_step(loss):
    grad = jax.grad(loss)

    def step(f, lr, kernel, *args):
        return f - lr * kernel @ grad(f, *args)
    return step


def loss_observer(loss: Callable[..., jnp.ndarray], skip: int = 0) -> Callable[..., jnp.ndarray]:
    """``observe(state, *args) = loss(state, *args[skip:])``: record the loss (one cached object per loss; ``skip=1``
    for :func:`kernel_gradient_step`, whose first argument is the kernel)."""
    return _loss_observer(check_callable("loss", loss), check_positive_int("skip", skip, minimum=0, maximum=64))


@cache
def _loss_observer(loss, skip):
    def observe(state, *args):
        return loss(state, *args[skip:])
    return observe
