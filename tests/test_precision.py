"""The randomness policy: a draw does not depend on the float64 switch (run in a subprocess for each setting,
since the switch is process-wide)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np

SNIPPET = """
import jax, numpy as np
jax.config.update("jax_enable_x64", {x64})
from kernel_ssl import precision
draw = precision.normal(jax.random.PRNGKey(3), (4, 5))
print(repr(np.asarray(draw, dtype=np.float64).round(7).tolist()), draw.dtype)
"""


def _draw(x64: bool) -> tuple[np.ndarray, str]:
    out = subprocess.run([sys.executable, "-c", SNIPPET.format(x64=x64)], capture_output=True, text=True, check=True)
    values, dtype = out.stdout.strip().rsplit(" ", 1)
    return np.array(eval(values)), dtype


def test_same_key_same_numbers_with_and_without_float64():
    on, dtype_on = _draw(True)
    off, dtype_off = _draw(False)
    assert (dtype_on, dtype_off) == ("float64", "float32")
    np.testing.assert_array_equal(on, off)   # the float32 draw, cast: identical to 7 decimals


def test_draws_are_those_of_jax_random_normal_whatever_the_shape():
    # the prefix of a size-class draw is the draw itself (partitionable threefry); typed and raw keys, sizes across
    # the MIN_DRAW boundary and odd shapes, float32 and the float64 cast, inside and outside jit
    import jax
    import jax.numpy as jnp

    from kernel_ssl import precision
    shapes = [(5, 40), (3, 64), (7, 9, 11), (precision.MIN_DRAW,), (precision.MIN_DRAW + 1,), (1,), (), (0, 3)]
    for key in (jax.random.PRNGKey(7), jax.random.key(11)):
        for shape in shapes:
            expected = np.asarray(jax.random.normal(key, shape, dtype=jnp.float32))
            draw = precision.normal(key, shape, jnp.float32)
            assert draw.shape == shape and draw.dtype == jnp.float32
            np.testing.assert_array_equal(np.asarray(draw), expected)
        traced = jax.jit(lambda k: precision.normal(k, (6, 5), jnp.float32))(key)
        np.testing.assert_array_equal(np.asarray(traced), np.asarray(precision.normal(key, (6, 5), jnp.float32)))


def test_small_draws_of_new_shapes_compile_nothing():
    import jax
    import jax.numpy as jnp

    from kernel_ssl import precision
    compiles = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda name, _duration, **_kw: compiles.append(name) if name.endswith("backend_compile_duration") else None)
    shapes = [(13, 17), (5, 40), (3, 64), (99,)]
    keys = [jax.random.PRNGKey(i) for i in range(len(shapes) + 1)]
    precision.normal(keys[-1], (2, 3), jnp.float32)     # compiles the size class of every shape below MIN_DRAW
    before = len(compiles)
    for key, shape in zip(keys, shapes, strict=False):
        precision.normal(key, shape, jnp.float32)
    assert len(compiles) == before, "a new shape below MIN_DRAW compiled a program"
