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
import numpy as np


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


# A draw of n normals is made as the first n of a draw of the next power of two (at least MIN_DRAW): with the
# partitionable threefry (JAX's default since 0.5) each number depends only on the key and its flat index, so the
# prefix is the very draw of shape (n,), and a chapter compiles one random program per size class instead of one per
# shape (each costs 0.1-0.2 s to compile on 2 cores, for microseconds of work). Any other generator draws as asked.
MIN_DRAW = 1 << 12


def _prefix_draws(key) -> bool:
    if isinstance(key, jax.core.Tracer) or not jax.config.jax_threefry_partitionable:
        return False
    typed = jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
    impl = str(jax.random.key_impl(key)) if typed else jax.config.jax_default_prng_impl
    return impl == "threefry2x32"


def normal(key: jax.Array, shape: Sequence[int], dtype=None) -> jax.Array:
    r"""Standard normal draws of ``shape`` made in float32 (identical whatever the float64 switch), then cast to
    ``dtype`` (default :func:`working_dtype`). The numbers are those of ``jax.random.normal(key, shape,
    jnp.float32)``, drawn through one program per size class (see :data:`MIN_DRAW`).

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
    size = int(math.prod(shape))
    check_size("shape", size)
    dtype = working_dtype() if dtype is None else check_float_dtype("dtype", dtype)
    if size == 0 or not _prefix_draws(key):   # inside a traced function (or another generator): draw as asked
        return jax.random.normal(key, shape, dtype=jnp.float32).astype(dtype)
    # cut and cast on the host (exact: float32 -> float64 is exact, as is XLA's cast), so no program per shape
    flat = np.asarray(jax.random.normal(key, (max(MIN_DRAW, 1 << (size - 1).bit_length()),), dtype=jnp.float32))
    return jnp.asarray(flat[:size].reshape(shape).astype(dtype))
