"""The book's precision and randomness policy, in one place.

- **Precision.** A function whose mathematics needs float64 (eigendecompositions of ill-conditioned matrices,
  initialisations far below float32's resolution, orthonormality to 1e-12) says so in its docstring and calls
  :func:`require_float64`, which raises unless float64 is on; a chapter that needs it calls
  :func:`enable_float64` once, before it creates any JAX array. NumPy code in the library always computes in
  float64.
- **Randomness.** Every random draw is made in float32 from an explicit PRNG key (:func:`normal`) and then cast
  to the working precision, so the same key gives the same numbers whether float64 is on or off (up to that
  cast), and a chapter's numbers do not depend on when the switch was set.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp


def float64_enabled() -> bool:
    """Whether JAX computes in float64 (``jax_enable_x64``)."""
    return bool(jax.config.jax_enable_x64)


def enable_float64() -> None:
    """Switch JAX to float64 for the whole process (call it before creating any JAX array)."""
    jax.config.update("jax_enable_x64", True)


def require_float64(what: str) -> None:
    """Raise ``RuntimeError`` naming ``what`` unless float64 is enabled."""
    if not isinstance(what, str):
        raise TypeError(f"what must be a string naming the computation, got {type(what).__name__}")
    if not float64_enabled():
        raise RuntimeError(f"{what} needs float64 (its results are below float32's resolution): call "
                           f"kernel_ssl.precision.enable_float64() before creating any JAX array")


def working_dtype() -> jnp.dtype:
    """float64 when enabled, else float32."""
    return jnp.dtype(jnp.float64 if float64_enabled() else jnp.float32)


def normal(key: jax.Array, shape: Sequence[int], dtype=None) -> jax.Array:
    r"""Standard normal draws of ``shape`` made in float32 (identical whatever the float64 switch), then cast to
    ``dtype`` (default :func:`working_dtype`).

    Args:
        key: a JAX PRNG key.
        shape: the shape of the draw.
        dtype: the dtype of the result (default :func:`working_dtype`).

    Returns:
        An array of ``shape`` with i.i.d. :math:`\mathcal N(0, 1)` entries, in ``dtype``.
    """
    from .validation import check_float_dtype, check_key, check_positive_int, check_size

    check_key("key", key)
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence):
        raise TypeError(f"shape must be a tuple of integers, got {type(shape).__name__}")
    shape = tuple(check_positive_int(f"shape[{i}]", n, minimum=0) for i, n in enumerate(shape))
    check_size("shape", int(math.prod(shape)))
    if dtype is not None:
        dtype = check_float_dtype("dtype", dtype)
    draw = jax.random.normal(key, shape, dtype=jnp.float32)
    return draw.astype(working_dtype() if dtype is None else dtype)
