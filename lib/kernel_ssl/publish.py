"""Publishing a chapter's numbers with ``myst_nb.glue``, so the text quotes the live value and the tests read it.

One call publishes a whole result: ``publish(step_times_max_rel_error=err, staircase_steps=n)`` or
``publish(**asdict(result))`` instead of a run of ``glue(name, value, display=False)`` lines. A one-dimensional
sequence of numbers (a list, tuple or 1-d array) is published as a list of Python numbers.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _sequence(name: str, value: Any) -> list[Any]:
    # a glued list is read back by the tests with ast.literal_eval, so every entry must be a plain finite number
    array = np.asarray(value)
    if array.ndim != 1 or array.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a one-dimensional sequence of real numbers to be published, got shape "
                        f"{array.shape} and dtype {array.dtype}")
    return [_plain(f"{name}[{i}]", entry) for i, entry in enumerate(array.tolist())]


def _plain(name: str, value: Any) -> Any:
    # NumPy/JAX scalars and 0-d arrays become Python numbers: glue stores their repr, which the tests parse
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (str, int)):
        return value
    if isinstance(value, (float, np.floating, np.integer)) or (hasattr(value, "shape") and np.ndim(value) == 0):
        number = np.asarray(value).item()
        if not isinstance(number, (bool, int, float)):
            raise TypeError(f"{name} must be a real number, a bool, a string or a 1-d sequence of numbers to be "
                            f"published, got {type(number).__name__} {number!r}")
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError(f"{name} is {number}: a published number must be finite (the run that computes it "
                             f"failed or diverged)")
        return number
    if isinstance(value, (list, tuple)) or (hasattr(value, "shape") and np.ndim(value) == 1):
        return _sequence(name, value)
    raise TypeError(f"{name} must be a number, a bool, a string or a 1-d sequence of numbers to be published, got "
                    f"{type(value).__name__}")


def published(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as they will be published (Python scalars), after checking names and finiteness."""
    if not isinstance(values, Mapping):
        raise TypeError(f"values must map names to values (a dict), got {type(values).__name__}")
    out = {}
    for name, value in values.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise ValueError(f"published names must be snake_case identifiers, got {name!r}")
        out[name] = _plain(name, value)
    return out


def publish(**values: Any) -> dict[str, Any]:
    """Glue every keyword as a number the chapter's text and tests can read (``display=False``: nothing is shown
    where the cell runs). Returns the published values."""
    from myst_nb import glue

    out = published(values)
    for name, value in out.items():
        glue(name, value, display=False)
    return out
