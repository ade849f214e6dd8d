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
