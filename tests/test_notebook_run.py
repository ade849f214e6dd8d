"""The runner reads published numbers as the chapters wrote them, so that a NaN or inf cannot pass unseen."""
from __future__ import annotations

import math

import pytest

from notebook_run import non_finite, parse_glued


@pytest.mark.parametrize("text, expected", [("0.25", 0.25), ("3", 3), ("True", True), ("'inf mode'", "inf mode"),
                                            ("[1.0, 2.5]", [1.0, 2.5]), ("'nan'", "nan")])
def test_literals_parse_as_python_values(text, expected):
    assert parse_glued(text) == expected


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "[1.0, nan]", "[-inf, 2.0]"])
def test_non_finite_numbers_are_read_as_floats_and_caught(text):
    value = parse_glued(text)
    entries = value if isinstance(value, list) else [value]
    assert any(isinstance(v, float) and not math.isfinite(v) for v in entries)
    assert non_finite({"x": value}) == {"x": value}


def test_finite_values_and_strings_are_not_flagged():
    assert non_finite({"a": 1.0, "b": [0.5, 2], "c": "nan", "d": True}) == {}
