"""Unit tests of kernel_ssl.publish: names, conversion to Python scalars, refusal of non-finite numbers."""
from __future__ import annotations

import numpy as np
import pytest

from kernel_ssl.publish import published


def test_scalars_become_python_numbers():
    out = published({"a": np.float32(0.5), "b": np.int64(3), "c": np.asarray(2.0), "flag": np.bool_(True), "s": "x"})
    assert out == {"a": 0.5, "b": 3, "c": 2.0, "flag": True, "s": "x"}
    assert type(out["a"]) is float and type(out["b"]) is int and type(out["flag"]) is bool


@pytest.mark.parametrize("value", [float("nan"), np.inf, np.float64(-np.inf)])
def test_non_finite_is_refused(value):
    with pytest.raises(ValueError, match="must be finite"):
        published({"slope": value})


@pytest.mark.parametrize("name", ["Slope", "1slope", "slope-1", ""])
def test_names_are_snake_case(name):
    with pytest.raises(ValueError, match="snake_case"):
        published({name: 1.0})


def test_one_dimensional_sequences_become_lists_of_python_numbers():
    out = published({"x": np.asarray([0.5, 2.0]), "n": (1, 2), "empty": []})
    assert out == {"x": [0.5, 2.0], "n": [1, 2], "empty": []}
    assert all(type(v) is float for v in out["x"])


@pytest.mark.parametrize("value", [np.ones((2, 2)), ["a", "b"], [1.0, [2.0]]])
def test_other_arrays_are_refused(value):
    with pytest.raises((TypeError, ValueError), match="sequence|inhomogeneous"):
        published({"x": value})


def test_non_finite_entry_is_refused_by_index():
    with pytest.raises(ValueError, match=r"x\[1\] is nan"):
        published({"x": [1.0, float("nan")]})
