"""Bad input, table-driven: every public function of the shared concept modules refuses what it cannot use with a
clear error that names the caller's argument (issue 15, "Bad input").

``ROWS`` holds one row per (function, bad input): the call, the exception type and a regex that must match the
message (it names the argument, and for values the expected range). For every function there is at least a
non-finite input, a wrong shape and a wrong type where it takes such an argument, plus its domain cases (non-PSD,
rank-deficient, an odd number of stacked rows, a PRNG key of the wrong kind, float32 overflow, float32/float64
mixing, a step count that would never finish, ...). ``test_every_public_function_has_rows`` fails when a public
function of these modules has no row and is not in ``EXEMPT``, and ``test_rows_cover_the_basic_kinds`` when a
function lacks a non-finite, a wrong-type or (for array arguments) a wrong-shape row. ``ROWS`` can be imported to run
the same calls against another version of the library (how the before/after table of issue 15 was made).
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import ipywidgets
import jax
import jax.numpy as jnp
import numpy as np
import plotly.graph_objects as go
import pytest

jax.config.update("jax_enable_x64", True)  # as the other test modules; float32 rows pass float32 arrays explicitly

from kernel_ssl import (  # noqa: E402
    data,
    display,
    dynamics,
    fitting,
    kernels,
    linalg,
    losses,
    models,
    precision,
    publish,
    validation,
    widgets,
)
from kernel_ssl.figures import lines, style  # noqa: E402

MODULES = {"data": data, "kernels": kernels, "losses": losses, "models": models, "linalg": linalg,
           "validation": validation, "dynamics": dynamics, "fitting": fitting, "publish": publish,
           "display": display, "widgets": widgets, "precision": precision, "figures.lines": lines,
           "figures.style": style}

# Public callables with no input to get wrong, each with the reason.
EXEMPT = {
    "display.in_colab": "no argument (reads the environment)",
    "precision.enable_float64": "no argument",
    "precision.float64_enabled": "no argument",
    "precision.working_dtype": "no argument",
    "validation.is_traced": "accepts any object by design (it answers whether it is a JAX tracer)",
    "dynamics.Trajectory": "a frozen result container that descend builds from checked values",
    "fitting.SlopeInterval": "a frozen result container that loglog_slope_interval builds",
    "display.BookHtmlRenderer": "plotly's renderer protocol: plotly itself calls it with a validated figure dict",
}


class Row(NamedTuple):
    function: str          # "module.name"
    case: str              # what is wrong with the input
    call: Callable[[], Any]
    exc: type[Exception]
    pattern: str           # must match the message: names the argument


ROWS: list[Row] = []


def add(function: str, case: str, call: Callable[[], Any], exc: type[Exception], pattern: str) -> None:
    ROWS.append(Row(function, case, call, exc, pattern))


# ----------------------------------------------------------------------------------------------- fixtures
RNG = np.random.default_rng(0)
KEY = jax.random.PRNGKey(0)
X = RNG.standard_normal((4, 3))
X2 = RNG.standard_normal((5, 3))
Z = RNG.standard_normal((4, 2))
ZB = RNG.standard_normal((4, 2))
A = RNG.standard_normal((4, 4))
SPD = A @ A.T + np.eye(4)
NON_SYMMETRIC = SPD + np.triu(np.ones((4, 4)), 1)
INDEFINITE = np.diag([1.0, 1.0, -1.0, 0.5])
NEG_DEFINITE = -SPD
RANK_ONE = np.outer(np.arange(1.0, 5.0), np.arange(1.0, 5.0))
BASIS = RNG.standard_normal((5, 2))
RANK_DEFICIENT = np.column_stack([BASIS[:, 0], 2 * BASIS[:, 0]])
P = linalg.projector(BASIS)
Q = linalg.projector(RNG.standard_normal((5, 2)))
PARAMS = models.init_two_layer(KEY, 3, 8, 2)
PARAMS32 = models.init_two_layer(KEY, 3, 8, 2, dtype=jnp.float32)
ADJ = np.ones((4, 4)) - np.eye(4)
LAP = np.diag(ADJ.sum(1)) - ADJ
XS = np.array([1.0, 2.0, 4.0, 8.0])
YS = np.array([1.0, 0.5, 0.26, 0.12])
BIG32 = 1e20  # overflows float32 once squared (float32's largest number is 3.4e38)
with np.errstate(over="ignore"):
    F32_1E39 = np.full((2, 3), 1e39).astype(np.float32)  # a caller's 1e39 arrives as inf in float32


def nan_like(a):
    out = np.array(a, dtype=np.float64)
    out.flat[0] = np.nan
    return out


def inf_like(a):
    out = np.array(a, dtype=np.float64)
    out.flat[-1] = np.inf
    return out


def without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


def arrays(function: str, arg: str, call: Callable[[Any], Any], good, shape: bool = True) -> None:
    """Rows for an array argument ``arg``: ``call(value)`` calls ``function`` with ``arg`` replaced by ``value``."""
    name = re.escape(arg)
    good = np.asarray(good, dtype=np.float64)
    add(function, f"{arg}: NaN", lambda: call(nan_like(good)), ValueError, rf"{name}.*finite")
    add(function, f"{arg}: inf", lambda: call(inf_like(good)), ValueError, rf"{name}.*finite")
    add(function, f"{arg}: a string", lambda: call("abc"), TypeError, rf"{name}.*numeric")
    add(function, f"{arg}: a list of strings", lambda: call([["a", "b"], ["c", "d"]]), TypeError,
        rf"{name}.*numeric")
    add(function, f"{arg}: complex", lambda: call(good + 1j), TypeError, rf"{name}.*(real|complex)")
    if shape:
        add(function, f"{arg}: wrong shape (an extra axis)", lambda: call(good[None, None]), ValueError, name)


def ints(function: str, arg: str, call: Callable[[Any], Any], minimum: int = 1) -> None:
    name = re.escape(arg)
    add(function, f"{arg}: a float", lambda: call(2.0), TypeError, rf"{name} must be an integer")
    add(function, f"{arg}: NaN", lambda: call(float("nan")), TypeError, rf"{name} must be an integer")
    add(function, f"{arg}: a string", lambda: call("3"), TypeError, rf"{name} must be an integer")
    add(function, f"{arg}: a bool", lambda: call(True), TypeError, rf"{name} must be an integer")
    add(function, f"{arg}: below {minimum}", lambda: call(minimum - 1), ValueError, rf"{name} must be at least")


def floats(function: str, arg: str, call: Callable[[Any], Any], allow_zero: bool = False) -> None:
    name = re.escape(arg)
    add(function, f"{arg}: NaN", lambda: call(float("nan")), ValueError, rf"{name} must be a finite number")
    add(function, f"{arg}: inf", lambda: call(float("inf")), ValueError, rf"{name} must be a finite number")
    add(function, f"{arg}: a string", lambda: call("1"), TypeError, rf"{name} must be a real number")
    add(function, f"{arg}: complex", lambda: call(1j), TypeError, rf"{name} must be a real number")
    add(function, f"{arg}: negative", lambda: call(-1.0), ValueError, rf"{name} must be a finite number")
    if not allow_zero:
        add(function, f"{arg}: zero", lambda: call(0.0), ValueError, rf"{name} must be a finite number > 0")


def flags(function: str, arg: str, call: Callable[[Any], Any]) -> None:
    name = re.escape(arg)
    add(function, f'{arg}: "yes"', lambda: call("yes"), TypeError, rf"{name} must be True or False")
    add(function, f"{arg}: 1", lambda: call(1), TypeError, rf"{name} must be True or False")


def choices(function: str, arg: str, call: Callable[[Any], Any]) -> None:
    name = re.escape(arg)
    add(function, f"{arg}: unknown", lambda: call("nope"), ValueError, rf"{name} must be one of")
    add(function, f"{arg}: NaN", lambda: call(float("nan")), ValueError, rf"{name} must be one of")
    add(function, f"{arg}: an array", lambda: call(np.array(["relu", "erf"])), ValueError, rf"{name} must be one of")


def keys(function: str, call: Callable[[Any], Any], arg: str = "key") -> None:
    name = re.escape(arg)
    add(function, f"{arg}: int64 pair (a seed array, not a key)", lambda: call(np.array([0, 1])), TypeError,
        rf"{name} must be a JAX PRNG key")
    add(function, f"{arg}: an int seed", lambda: call(0), TypeError, rf"{name} must be a JAX PRNG key")
    add(function, f"{arg}: float32 pair", lambda: call(jnp.zeros(2, jnp.float32)), TypeError,
        rf"{name} must be a JAX PRNG key")
    add(function, f"{arg}: a batch of keys", lambda: call(jax.random.split(KEY, 3)), TypeError,
        rf"{name} must be a JAX PRNG key")


# ----------------------------------------------------------------------------------------------------- data
F = "data.digits_views"
keys(F, lambda v: data.digits_views(v, 4, 2))
ints(F, "n_images", lambda v: data.digits_views(KEY, v, 2))
add(F, "n_images > 1797", lambda: data.digits_views(KEY, 1798, 2), ValueError, r"n_images must be .* at most 1797")
ints(F, "n_views", lambda v: data.digits_views(KEY, 4, v))
add(F, "n_views absurd (10^9)", lambda: data.digits_views(KEY, 4, 10 ** 9), ValueError, r"n_views")
ints(F, "max_shift", lambda v: data.digits_views(KEY, 4, 2, max_shift=v), minimum=0)
add(F, "max_shift 8 (whole frame)", lambda: data.digits_views(KEY, 4, 2, max_shift=8), ValueError, r"max_shift")
floats(F, "noise_std", lambda v: data.digits_views(KEY, 4, 2, noise_std=v), allow_zero=True)
choices(F, "normalise", lambda v: data.digits_views(KEY, 4, 2, normalise=v))
flags(F, "centre", lambda v: data.digits_views(KEY, 4, 2, centre=v))

F = "data.digits_pairs"
keys(F, lambda v: data.digits_pairs(v, 4))
ints(F, "n_pairs", lambda v: data.digits_pairs(KEY, v))
add(F, "n_pairs > 1797 (named n_pairs, not n_images)", lambda: data.digits_pairs(KEY, 2000), ValueError,
    r"n_pairs must be")
ints(F, "max_shift", lambda v: data.digits_pairs(KEY, 4, max_shift=v), minimum=0)
floats(F, "noise_std", lambda v: data.digits_pairs(KEY, 4, noise_std=v), allow_zero=True)
choices(F, "normalise", lambda v: data.digits_pairs(KEY, 4, normalise=v))
flags(F, "centre", lambda v: data.digits_pairs(KEY, 4, centre=v))

F = "data.synthetic_pairs"
keys(F, lambda v: data.synthetic_pairs(v, 4, np.ones(3)))
ints(F, "n_pairs", lambda v: data.synthetic_pairs(KEY, v, np.ones(3)))
add(F, "n_pairs absurd (10^9)", lambda: data.synthetic_pairs(KEY, 10 ** 9, np.ones(3)), ValueError, r"n_pairs")
arrays(F, "spectrum", lambda v: data.synthetic_pairs(KEY, 4, v), np.ones(3))
add(F, "spectrum negative", lambda: data.synthetic_pairs(KEY, 4, np.array([1.0, -1.0])), ValueError,
    r"spectrum must be non-negative")
add(F, "spectrum 1e306 (the sphere normalisation overflows float64)",
    lambda: data.synthetic_pairs(KEY, 4, np.full(3, 1e306), normalise="sphere"), ValueError,
    r"spectrum has entries up to")
floats(F, "noise_std", lambda v: data.synthetic_pairs(KEY, 4, np.ones(3), noise_std=v), allow_zero=True)
flags(F, "rotate", lambda v: data.synthetic_pairs(KEY, 4, np.ones(3), rotate=v))
choices(F, "normalise", lambda v: data.synthetic_pairs(KEY, 4, np.ones(3), normalise=v))
add(F, "sphere of all-zero views (0/0)",
    lambda: data.synthetic_pairs(KEY, 4, np.zeros(3), noise_std=0.0, normalise="sphere"), ValueError,
    r"normalise='sphere' needs non-zero views")

F = "data.stack_views"
arrays(F, "x", lambda v: data.stack_views(v, X), X)
arrays(F, "x_prime", lambda v: data.stack_views(X, v), X)
add(F, "x and x_prime of different shapes", lambda: data.stack_views(X, X2), ValueError,
    r"x and x_prime must have the same shape")

F = "data.pair_swap_matrix"
ints(F, "n_pairs", lambda v: data.pair_swap_matrix(v))
add(F, "n_pairs absurd (10^6: 4e12 entries)", lambda: data.pair_swap_matrix(10 ** 6), ValueError, r"n_pairs")
add(F, 'dtype "yes"', lambda: data.pair_swap_matrix(3, dtype="yes"), TypeError, r"dtype must be")
add(F, "dtype int32", lambda: data.pair_swap_matrix(3, dtype=jnp.int32), TypeError, r"dtype must be float")

F = "data.swap_views"
arrays(F, "a", data.swap_views, np.ones((4, 2)), shape=False)
add(F, "a with an odd number of rows", lambda: data.swap_views(np.ones((3, 2))), ValueError, r"a must have 2n rows")
add(F, "a a scalar", lambda: data.swap_views(1.0), ValueError, r"a must have 2n rows")

F = "data.one_hot"
add(F, "labels float (truncated before)", lambda: data.one_hot(np.array([0.0, 1.7]), 3), TypeError, r"labels")
add(F, "labels NaN", lambda: data.one_hot(np.array([0.0, np.nan]), 3), TypeError, r"labels")
add(F, "labels strings", lambda: data.one_hot(["a", "b"], 3), TypeError, r"labels")
add(F, "labels complex", lambda: data.one_hot(np.array([1j]), 3), TypeError, r"labels")
add(F, "labels 2-D", lambda: data.one_hot(np.zeros((2, 2), int), 3), TypeError, r"labels")
add(F, "labels out of range", lambda: data.one_hot(np.array([0, 3]), 3), ValueError, r"labels must lie in 0\.\.2")
ints(F, "n_classes", lambda v: data.one_hot(np.array([0, 0]), v))
add(F, "n_classes absurd (10^9)", lambda: data.one_hot(np.array([0, 1]), 10 ** 9), ValueError, r"n_classes")

# -------------------------------------------------------------------------------------------------- kernels
for F, fn in (("kernels.closed_form_ntk", kernels.closed_form_ntk), ("kernels.closed_form_nngp",
                                                                      kernels.closed_form_nngp)):
    arrays(F, "x1", lambda v, fn=fn: fn(v, X2), X)
    arrays(F, "x2", lambda v, fn=fn: fn(X, v), X2)
    add(F, "x1, x2 of different input dimensions", lambda fn=fn: fn(X, X2[:, :2]), ValueError,
        r"x1 and x2 must have the same input dimension")
    choices(F, "activation", lambda v, fn=fn: fn(X, X2, activation=v))
    floats(F, "bias_std", lambda v, fn=fn: fn(X, X2, bias_std=v), allow_zero=True)
    add(F, "x1 of 1e20 in float32 (x.x' overflows)", lambda fn=fn: fn(np.full((2, 3), BIG32, np.float32),
                                                                      np.ones((2, 3), np.float32)),
        ValueError, r"x1 has entries up to .*float32")
    add(F, "x2 of 1e39 (inf in float32)", lambda fn=fn: fn(np.ones((2, 3), np.float32), F32_1E39),
        ValueError, r"x2 must contain only finite")

F = "kernels.empirical_ntk_two_layer"
arrays(F, "x1", lambda v: kernels.empirical_ntk_two_layer(PARAMS, v, X2), X)
arrays(F, "x2", lambda v: kernels.empirical_ntk_two_layer(PARAMS, X, v), X2)
add(F, "x of the wrong input dimension", lambda: kernels.empirical_ntk_two_layer(PARAMS, X[:, :2], X2[:, :2]),
    ValueError, r"x1 and x2 must have 3 columns")
add(F, "params without W", lambda: kernels.empirical_ntk_two_layer(without(PARAMS, "W"), X, X2), ValueError,
    r"params must hold .*'W'")
add(F, "params without V", lambda: kernels.empirical_ntk_two_layer(without(PARAMS, "V"), X, X2), ValueError,
    r"params must hold .*'V'")
add(F, "params a list", lambda: kernels.empirical_ntk_two_layer([PARAMS["V"]], X, X2), TypeError,
    r"params must be a dict")
add(F, "params with NaN", lambda: kernels.empirical_ntk_two_layer(PARAMS | {"V": nan_like(PARAMS["V"])}, X, X2),
    ValueError, r"params\['V'\] must contain only finite")
add(F, "params complex", lambda: kernels.empirical_ntk_two_layer(PARAMS | {"W": np.asarray(PARAMS["W"]) + 1j},
                                                                  X, X2), TypeError, r"params\['W'\].*real")
add(F, "params of mismatched widths", lambda: kernels.empirical_ntk_two_layer(PARAMS | {"b": np.zeros(3)}, X, X2),
    ValueError, r"params must have V \(M, m\), b \(M,\) and W \(d, M\)")
choices(F, "activation", lambda v: kernels.empirical_ntk_two_layer(PARAMS, X, X2, activation=v))
floats(F, "bias_std", lambda v: kernels.empirical_ntk_two_layer(PARAMS, X, X2, bias_std=v), allow_zero=True)

F = "kernels.kron_identity"
arrays(F, "kernel", lambda v: kernels.kron_identity(v, 2), SPD)
ints(F, "d", lambda v: kernels.kron_identity(SPD, v))
add(F, "d absurd (10^5)", lambda: kernels.kron_identity(SPD, 10 ** 5), ValueError, r"d must be")

F = "kernels.centre_kernel"
arrays(F, "kernel", kernels.centre_kernel, SPD)
add(F, "kernel not square", lambda: kernels.centre_kernel(np.ones((3, 4))), ValueError, r"kernel must be square")
add(F, "kernel of 3e38 in float32 (the mean overflows)", lambda: kernels.centre_kernel(np.full((4, 4), 3e38,
                                                                                             np.float32)),
    ValueError, r"kernel has entries up to .*float32")

F = "kernels.median_gamma"
arrays(F, "x", kernels.median_gamma, X)
add(F, "x one point", lambda: kernels.median_gamma(X[:1]), ValueError, r"x needs at least 2 points")
add(F, "x all equal points", lambda: kernels.median_gamma(np.ones((3, 2))), ValueError, r"x must contain distinct")
add(F, "x of 1e200 (squared distances overflow float64)", lambda: kernels.median_gamma(X * 1e200), ValueError,
    r"x has entries up to")

F = "kernels.rbf_gram"
arrays(F, "x1", lambda v: kernels.rbf_gram(v, X2, 1.0), X)
arrays(F, "x2", lambda v: kernels.rbf_gram(X, v, 1.0), X2)
add(F, "x1, x2 of different input dimensions", lambda: kernels.rbf_gram(X, X2[:, :2], 1.0), ValueError,
    r"x1 and x2 must have the same input dimension")
floats(F, "gamma", lambda v: kernels.rbf_gram(X, X2, v))
add(F, "x1 of 1e200", lambda: kernels.rbf_gram(X * 1e200, X2, 1.0), ValueError, r"x1 has entries up to")

F = "kernels.normalised_kernel"
arrays(F, "kernel", kernels.normalised_kernel, SPD)
add(F, "kernel not square", lambda: kernels.normalised_kernel(np.ones((3, 4))), ValueError, r"kernel must be square")
add(F, "kernel with a zero diagonal entry", lambda: kernels.normalised_kernel(np.diag([1.0, 0.0])), ValueError,
    r"kernel must have a positive diagonal")

# --------------------------------------------------------------------------------------------------- losses
PAIR_LOSSES = ("cross_correlation", "barlow_twins_theory", "barlow_twins_practical", "vicreg", "info_nce",
               "spectral_contrastive", "squared_distance_contrastive", "squared_distance_non_contrastive")
for loss_name in PAIR_LOSSES:
    F, fn = f"losses.{loss_name}", getattr(losses, loss_name)
    arrays(F, "za", lambda v, fn=fn: fn(v, ZB), Z)
    arrays(F, "zb", lambda v, fn=fn: fn(Z, v), ZB)
    add(F, "za, zb of different shapes", lambda fn=fn: fn(Z, ZB[:3]), ValueError, r"za and zb must have the same")
    add(F, "one pair only", lambda fn=fn: fn(Z[:1], ZB[:1]), ValueError, r"za and zb need at least 2 pairs")
    add(F, "za of 1e20 in float32 (the loss overflows)", lambda fn=fn: fn(np.full((4, 2), BIG32, np.float32),
                                                                          ZB.astype(np.float32)),
        ValueError, r"za has entries up to .*float32")
F = "losses.barlow_twins_practical"
floats(F, "lam", lambda v: losses.barlow_twins_practical(Z, ZB, lam=v), allow_zero=True)
floats(F, "eps", lambda v: losses.barlow_twins_practical(Z, ZB, eps=v))
F = "losses.vicreg"
for weight in ("sim_weight", "var_weight", "cov_weight", "gamma"):
    floats(F, weight, lambda v, w=weight: losses.vicreg(Z, ZB, **{w: v}), allow_zero=True)
floats(F, "eps", lambda v: losses.vicreg(Z, ZB, eps=v))
F = "losses.info_nce"
floats(F, "temperature", lambda v: losses.info_nce(Z, ZB, temperature=v))
choices(F, "similarity", lambda v: losses.info_nce(Z, ZB, similarity=v))
add(F, "temperature 1e-320 (logits overflow)", lambda: losses.info_nce(Z, ZB, temperature=1e-320), ValueError,
    r"temperature = .* makes the logits")

F = "losses.squared_error"
arrays(F, "pred", lambda v: losses.squared_error(v, Z), Z, shape=False)
arrays(F, "target", lambda v: losses.squared_error(Z, v), Z, shape=False)
add(F, "pred, target of different shapes", lambda: losses.squared_error(Z, ZB[:3]), ValueError,
    r"pred and target must have the same shape")
add(F, "scalars (no rows)", lambda: losses.squared_error(1.0, 2.0), ValueError, r"pred and target must have one row")

for F, fn, other in (("losses.graph_contrastive", losses.graph_contrastive, "adjacency"),
                     ("losses.graph_invariance", losses.graph_invariance, "lap"),
                     ("losses.graph_penalised_non_contrastive",
                      lambda f, m: losses.graph_penalised_non_contrastive(f, m, 1.0), "lap")):
    good = ADJ if other == "adjacency" else LAP
    arrays(F, "f", lambda v, fn=fn, good=good: fn(v, good), Z)
    arrays(F, other, lambda v, fn=fn: fn(Z, v), good)
    add(F, f"{other} of the wrong size", lambda fn=fn, good=good: fn(Z, good[:3, :3]), ValueError,
        rf"{other} must be \(4, 4\)")
    add(F, f"{other} not symmetric", lambda fn=fn, good=good: fn(Z, good + np.triu(np.ones((4, 4)), 1)), ValueError,
        rf"{other} must be symmetric")
    add(F, "f of 1e20 in float32", lambda fn=fn, good=good: fn(np.full((4, 2), BIG32, np.float32),
                                                                good.astype(np.float32)),
        ValueError, r"f has entries up to .*float32")
floats("losses.graph_penalised_non_contrastive", "penalty",
       lambda v: losses.graph_penalised_non_contrastive(Z, LAP, v), allow_zero=True)

F = "losses.get_ssl_loss"
choices(F, "name", losses.get_ssl_loss)

F = "losses.stacked"
add(F, "pair_loss a string", lambda: losses.stacked("barlow_twins"), TypeError, r"pair_loss must be callable")
add(F, "pair_loss a list (unhashable)", lambda: losses.stacked([losses.vicreg]), TypeError,
    r"pair_loss must be callable")
add(F, "odd number of stacked rows", lambda: losses.stacked(losses.barlow_twins_theory)(np.ones((5, 2))), ValueError,
    r"f must hold 2n stacked outputs")
add(F, "f with NaN (named f)", lambda: losses.stacked(losses.barlow_twins_theory)(nan_like(np.ones((4, 2)))),
    ValueError, r"f must contain only finite")
add(F, "f a string", lambda: losses.stacked(losses.barlow_twins_theory)("abcd"), ValueError, r"f must hold 2n")
add(F, "f complex", lambda: losses.stacked(losses.barlow_twins_theory)(np.ones((4, 2)) + 1j), TypeError,
    r"f must be a real")

# --------------------------------------------------------------------------------------------------- models
for F, fn in (("models.activation_fn", models.activation_fn),
              ("models.activation_derivative", models.activation_derivative)):
    choices(F, "activation", fn)

F = "models.init_two_layer"
keys(F, lambda v: models.init_two_layer(v, 3, 8, 2))
ints(F, "input_dim", lambda v: models.init_two_layer(KEY, v, 8, 2))
ints(F, "width", lambda v: models.init_two_layer(KEY, 3, v, 2))
ints(F, "d", lambda v: models.init_two_layer(KEY, 3, 8, v))
add(F, "width absurd (10^9)", lambda: models.init_two_layer(KEY, 3, 10 ** 9, 2), ValueError, r"width")
add(F, 'dtype "yes"', lambda: models.init_two_layer(KEY, 3, 8, 2, dtype="yes"), TypeError, r"dtype must be")
add(F, "dtype int32 (draws truncated to integers)", lambda: models.init_two_layer(KEY, 3, 8, 2, dtype=jnp.int32),
    TypeError, r"dtype must be float")

for F, fn in (("models.two_layer_apply", models.two_layer_apply), ("models.preactivations", models.preactivations)):
    arrays(F, "x", lambda v, fn=fn: fn(PARAMS, v), X)
    add(F, "x of the wrong input dimension", lambda fn=fn: fn(PARAMS, X2[:, :2]), ValueError, r"x must have shape")
    add(F, "params without W", lambda fn=fn: fn(without(PARAMS, "W"), X), ValueError, r"params must hold .*'W'")
    add(F, "params without V", lambda fn=fn: fn(without(PARAMS, "V"), X), ValueError, r"params must hold .*'V'")
    add(F, "params a tuple", lambda fn=fn: fn(tuple(PARAMS.values()), X), TypeError, r"params must be a dict")
    add(F, "params with inf", lambda fn=fn: fn(PARAMS | {"W": inf_like(PARAMS["W"])}, X), ValueError,
        r"params\['W'\] must contain only finite")
    add(F, "params V 1-D", lambda fn=fn: fn(PARAMS | {"V": np.ones(8)}, X), ValueError, r"params\['V'\] must be a 2-D")
    floats(F, "bias_std", lambda v, fn=fn: fn(PARAMS, X, bias_std=v), allow_zero=True)
    add(F, "x of 1e37 in float32 (Vx overflows)", lambda fn=fn: fn(PARAMS32, np.full((2, 3), 1e37, np.float32)),
        ValueError, r"x has entries up to .*float32")
choices("models.two_layer_apply", "activation", lambda v: models.two_layer_apply(PARAMS, X, activation=v))

F = "models.parameter_distance"
add(F, "params a list", lambda: models.parameter_distance([1.0], PARAMS), TypeError, r"params must be a dict")
add(F, "params0 without W", lambda: models.parameter_distance(PARAMS, without(PARAMS, "W")), ValueError,
    r"params and params0 must hold the same arrays")
add(F, "params with NaN", lambda: models.parameter_distance(PARAMS | {"b": nan_like(PARAMS["b"])}, PARAMS),
    ValueError, r"params\['b'\] must contain only finite")
add(F, "params0 with strings", lambda: models.parameter_distance(PARAMS, PARAMS | {"b": "abc"}), TypeError,
    r"params0\['b'\] must be a numeric")
add(F, "params complex", lambda: models.parameter_distance(PARAMS | {"b": np.asarray(PARAMS["b"]) + 1j}, PARAMS),
    TypeError, r"params\['b'\].*real")
add(F, "shapes differ", lambda: models.parameter_distance(PARAMS | {"b": np.zeros(3)}, PARAMS), ValueError,
    r"params\['b'\] and params0\['b'\] must have the same shape")

F = "models.random_first_layer"
keys(F, lambda v: models.random_first_layer(v, 8, 3))
ints(F, "width", lambda v: models.random_first_layer(KEY, v, 3))
ints(F, "input_dim", lambda v: models.random_first_layer(KEY, 8, v))
add(F, "width absurd (10^9)", lambda: models.random_first_layer(KEY, 10 ** 9, 3), ValueError, r"width")

F = "models.random_features"
arrays(F, "x", lambda v: models.random_features(v, X2), X)
arrays(F, "v", lambda v: models.random_features(X, v), X2)
add(F, "x, v of different input dimensions", lambda: models.random_features(X, X2[:, :2]), ValueError,
    r"x and v must have the same input dimension")
add(F, "x of 1e37 in float32", lambda: models.random_features(np.full((2, 3), 1e37, np.float32),
                                                              X2.astype(np.float32)),
    ValueError, r"x has entries up to .*float32")

# --------------------------------------------------------------------------------------------------- linalg
for F, fn in (("linalg.descending_eigh", linalg.descending_eigh), ("linalg.psd_sqrt", linalg.psd_sqrt),
              ("linalg.range_projector", linalg.range_projector),
              ("linalg.top_psd_part", lambda m: linalg.top_psd_part(m, 2)),
              ("linalg.top_part_is_unique", lambda m: linalg.top_part_is_unique(m, 2))):
    arrays(F, "matrix", fn, SPD)
    add(F, "matrix not symmetric", lambda fn=fn: fn(NON_SYMMETRIC), ValueError, r"matrix must be symmetric")
    add(F, "matrix not square", lambda fn=fn: fn(np.ones((3, 4))), ValueError, r"matrix must be square")
for F, fn in (("linalg.psd_sqrt", linalg.psd_sqrt), ("linalg.range_projector", linalg.range_projector)):
    add(F, "matrix indefinite", lambda fn=fn: fn(INDEFINITE), ValueError, r"matrix is not positive semi-definite")
    add(F, "matrix negative definite", lambda fn=fn: fn(NEG_DEFINITE), ValueError,
        r"matrix must have a positive eigenvalue")
    add(F, "name of the caller's argument used", lambda fn=fn: fn(INDEFINITE, name="kernel"), ValueError,
        r"kernel is not positive semi-definite")
    add(F, "name not a string", lambda fn=fn: fn(SPD, name=3), TypeError, r"name must be a string")
    floats(F, "psd_rtol", lambda v, fn=fn: fn(SPD, psd_rtol=v))
for F, fn in (("linalg.top_psd_part", linalg.top_psd_part), ("linalg.top_part_is_unique", linalg.top_part_is_unique)):
    ints(F, "d", lambda v, fn=fn: fn(SPD, v))
    add(F, "d above the size", lambda fn=fn: fn(SPD, 5), ValueError, r"d must be at least 1 and at most 4")
floats("linalg.top_part_is_unique", "rtol", lambda v: linalg.top_part_is_unique(SPD, 2, rtol=v))

F = "linalg.factor_gram"
arrays(F, "gram", linalg.factor_gram, SPD)
add(F, "gram not symmetric", lambda: linalg.factor_gram(NON_SYMMETRIC), ValueError, r"gram must be symmetric")
add(F, "gram indefinite", lambda: linalg.factor_gram(INDEFINITE), ValueError, r"gram is not positive semi-definite")
add(F, "gram negative definite (was: a negative learning rate)", lambda: linalg.factor_gram(NEG_DEFINITE),
    ValueError, r"gram must have a positive eigenvalue")
add(F, "gram rank-deficient, no jitter", lambda: linalg.factor_gram(RANK_ONE), ValueError,
    r"ill-conditioned.*pass jitter")
floats(F, "jitter", lambda v: linalg.factor_gram(SPD, jitter=v), allow_zero=True)
floats(F, "psd_rtol", lambda v: linalg.factor_gram(SPD, psd_rtol=v))
floats(F, "max_condition", lambda v: linalg.factor_gram(SPD, max_condition=v))

F = "linalg.GramFactor"
FACTOR = linalg.factor_gram(SPD)
arrays(F, "rhs", FACTOR.solve, np.ones(4), shape=False)
add(F, "rhs of the wrong length", lambda: FACTOR.solve(np.ones(3)), ValueError, r"rhs must have 4 rows")

for F, fn, arg in (("linalg.orthonormal_basis", linalg.orthonormal_basis, "basis"),
                   ("linalg.projector", linalg.projector, "basis"),
                   ("linalg.subspace_distance", lambda v: linalg.subspace_distance(v, BASIS), "a"),
                   ("linalg.subspace_overlap", lambda v: linalg.subspace_overlap(v, BASIS), "a")):
    arrays(F, arg, fn, BASIS, shape=False)
    add(F, f"{arg} rank-deficient (was: a lower-rank projector)", lambda fn=fn: fn(RANK_DEFICIENT), ValueError,
        rf"{arg} must have linearly independent columns")
    add(F, f"{arg} with more columns than rows", lambda fn=fn: fn(np.ones((2, 3))), ValueError,
        rf"{arg} must be \(m, k\) with k <= m")
    add(F, f"{arg} 1-D", lambda fn=fn: fn(np.ones(3)), ValueError, rf"{arg} must be \(m, k\)")
for F, fn in (("linalg.subspace_distance", linalg.subspace_distance),
              ("linalg.subspace_overlap", linalg.subspace_overlap)):
    arrays(F, "b", lambda v, fn=fn: fn(BASIS, v), BASIS, shape=False)
    add(F, "b rank-deficient", lambda fn=fn: fn(BASIS, RANK_DEFICIENT), ValueError,
        r"b must have linearly independent columns")
    add(F, "a, b of different shapes", lambda fn=fn: fn(BASIS, BASIS[:, :1]), ValueError, r"a and b must be bases")

F = "linalg.projector_distance"
arrays(F, "p", lambda v: linalg.projector_distance(v, Q), P, shape=False)
arrays(F, "q", lambda v: linalg.projector_distance(P, v), Q, shape=False)
add(F, "p, q of different ranks", lambda: linalg.projector_distance(P, linalg.projector(BASIS[:, :1])), ValueError,
    r"p and q must be projectors of the same rank")
add(F, "p not a projector (a kernel)", lambda: linalg.projector_distance(SPD[:4, :4] / 7.3, SPD / 7.3), ValueError,
    r"p and q must be orthogonal projectors")
add(F, "p, q of different shapes", lambda: linalg.projector_distance(P, np.eye(3)), ValueError,
    r"p and q must be square projectors of the same shape")

F = "linalg.principal_angles"
arrays(F, "a", lambda v: linalg.principal_angles(v, BASIS), BASIS, shape=False)
arrays(F, "b", lambda v: linalg.principal_angles(BASIS, v), BASIS)
add(F, "a of the wrong dimension", lambda: linalg.principal_angles(np.ones((4, 2)), BASIS), ValueError,
    r"a must be \(5, k\)")

F = "linalg.relative_frobenius_error"
arrays(F, "estimate", lambda v: linalg.relative_frobenius_error(v, SPD), SPD, shape=False)
arrays(F, "reference", lambda v: linalg.relative_frobenius_error(SPD, v), SPD, shape=False)
add(F, "shapes differ", lambda: linalg.relative_frobenius_error(SPD, SPD[:3]), ValueError,
    r"estimate and reference must have the same shape")
add(F, "reference zero", lambda: linalg.relative_frobenius_error(SPD, 0 * SPD), ValueError, r"reference must be non")

# ----------------------------------------------------------------------------------------------- validation
for F, fn in (("validation.as_finite_array", lambda v: validation.as_finite_array("w", v, ndim=2)),
              ("validation.check_finite", lambda v: validation.check_finite("w", v, ndim=2)),
              ("validation.check_symmetric", lambda v: validation.check_symmetric("w", v)),
              ("validation.check_stacked_views", lambda v: validation.check_stacked_views("w", v)),
              ("validation.check_cross_block", lambda v: validation.check_cross_block("w", v, 4))):
    arrays(F, "w", fn, SPD)
add("validation.as_finite_array", "empty", lambda: validation.as_finite_array("w", np.zeros((0, 2))), ValueError,
    r"w must not be empty")
add("validation.check_symmetric", "not symmetric", lambda: validation.check_symmetric("w", NON_SYMMETRIC), ValueError,
    r"w must be symmetric")
add("validation.check_stacked_views", "odd rows", lambda: validation.check_stacked_views("w", np.ones((5, 2))),
    ValueError, r"w must hold 2n stacked views")
add("validation.check_cross_block", "wrong columns", lambda: validation.check_cross_block("w", np.ones((2, 3)), 4),
    ValueError, r"w must have 4 columns")
ints("validation.check_cross_block", "n", lambda v: validation.check_cross_block("w", np.ones((2, 3)), v))

F = "validation.check_positive_int"
ints(F, "n", lambda v: validation.check_positive_int("n", v))
add(F, "above maximum (seed 2^70)", lambda: validation.check_positive_int("seed", 2 ** 70, 0, 2 ** 32 - 1),
    ValueError, r"seed must be at least 0 and at most")
F = "validation.check_positive_float"
floats(F, "lr", lambda v: validation.check_positive_float("lr", v))
add(F, "above maximum", lambda: validation.check_positive_float("lr", 10.0, maximum=1.0), ValueError,
    r"lr must be a finite number > 0 and <= 1")
F = "validation.check_choice"
choices(F, "loss", lambda v: validation.check_choice("loss", v, ("a", "b")))
F = "validation.check_same_shape"
add(F, "shapes differ", lambda: validation.check_same_shape("x", X, "y", X2), ValueError,
    r"x and y must have the same shape")
add(F, "a string against an array", lambda: validation.check_same_shape("x", "abc", "y", X), ValueError,
    r"x and y must have the same shape")
F = "validation.check_same_columns"
arrays(F, "x", lambda v: validation.check_same_columns("x", v, "y", X2), X)
add(F, "columns differ", lambda: validation.check_same_columns("x", X, "y", X2[:, :2]), ValueError,
    r"x and y must have the same input dimension")
F = "validation.check_params"
add(F, 'int "8" (n_groups="8")', lambda: validation.check_params(n_groups=("8", "int", {})), TypeError,
    r"n_groups must be an integer")
add(F, "int above maximum (steps=10^12)",
    lambda: validation.check_params(steps=(10 ** 12, "int", {"maximum": 10 ** 6})), ValueError,
    r"steps must be at least 1 and at most")
add(F, "float NaN", lambda: validation.check_params(lr=(float("nan"), "float", {})), ValueError,
    r"lr must be a finite number")
add(F, "float above the range", lambda: validation.check_params(lr=(10.0, "float", {"maximum": 1.0})), ValueError,
    r"lr must be a finite number > 0 and <= 1")
add(F, "float that would never finish (lr=1e-300 with a minimum)",
    lambda: validation.check_params(lr=(1e-300, "float", {"minimum": 1e-6, "maximum": 10.0})), ValueError,
    r"lr must be a finite number >= 1e-06 and <= 10\.0 \(smaller would not finish")
add(F, 'bool "yes"', lambda: validation.check_params(quick=("yes", "bool", {})), TypeError,
    r"quick must be True or False")
add(F, "choice unknown", lambda: validation.check_params(loss=("x", "choice", {"choices": ("a",)})), ValueError,
    r"loss must be one of")
add(F, "int_list with a float", lambda: validation.check_params(widths=([8, 1.5], "int_list", {})), TypeError,
    r"widths\[1\] must be an integer")
add(F, "int_list a string", lambda: validation.check_params(widths=("8", "int_list", {})), ValueError,
    r"widths must be a list")
F = "validation.check_bool"
flags(F, "quick", lambda v: validation.check_bool("quick", v))
add(F, "None", lambda: validation.check_bool("quick", None), TypeError, r"quick must be True or False")
F = "validation.check_key"
keys(F, lambda v: validation.check_key("key", v))
F = "validation.computing_dtype"
add(F, "a string", lambda: validation.computing_dtype(np.array(["a"])), TypeError, r"value must be a real numeric")
add(F, "complex", lambda: validation.computing_dtype(np.ones(2) + 1j), TypeError, r"value must be a real numeric")
F = "validation.check_no_overflow"
add(F, "1e20 in float32", lambda: validation.check_no_overflow("x", np.array([BIG32]), np.float32), ValueError,
    r"x has entries up to 1e\+20, beyond what float32")
arrays(F, "x", lambda v: validation.check_no_overflow("x", v, np.float64), X, shape=False)
add(F, 'dtype "yes"', lambda: validation.check_no_overflow("x", X, "yes"), TypeError, r"dtype must be")
ints(F, "power", lambda v: validation.check_no_overflow("x", X, np.float64, power=v))
F = "validation.check_float_dtype"
add(F, '"yes"', lambda: validation.check_float_dtype("dtype", "yes"), TypeError, r"dtype must be a floating dtype")
add(F, "int32", lambda: validation.check_float_dtype("dtype", np.int32), TypeError, r"dtype must be float32")
add(F, "complex64", lambda: validation.check_float_dtype("dtype", np.complex64), TypeError, r"dtype must be float32")
add(F, "float16", lambda: validation.check_float_dtype("dtype", np.float16), TypeError, r"dtype must be float32")
F = "validation.check_callable"
add(F, "a string", lambda: validation.check_callable("step", "abc"), TypeError, r"step must be callable")
add(F, "NaN", lambda: validation.check_callable("step", float("nan")), TypeError, r"step must be callable")
F = "validation.check_str"
add(F, "an int", lambda: validation.check_str("title", 3), TypeError, r"title must be a string")
add(F, "NaN", lambda: validation.check_str("title", float("nan")), TypeError, r"title must be a string")
F = "validation.check_size"
add(F, "absurd", lambda: validation.check_size("n_pairs", 10 ** 12), ValueError, r"n_pairs asks for an array")
ints(F, "n_entries", lambda v: validation.check_size("n", v), minimum=0)

# ------------------------------------------------------------------------------------------------- dynamics
F = "dynamics.record_steps"
ints(F, "steps", dynamics.record_steps)
add(F, "steps that would never finish (10^12)", lambda: dynamics.record_steps(10 ** 12), ValueError,
    r"steps must be at least 1 and at most")
ints(F, "every", lambda v: dynamics.record_steps(10, every=v))
add(F, "every not a divisor", lambda: dynamics.record_steps(10, every=3), ValueError, r"multiple of every")
add(F, "every and n_log", lambda: dynamics.record_steps(10, every=2, n_log=3), ValueError, r"every or n_log")
ints(F, "n_log", lambda v: dynamics.record_steps(10, n_log=v))
add(F, "n_log absurd (10^12: was a MemoryError)", lambda: dynamics.record_steps(10, n_log=10 ** 12), ValueError,
    r"n_log must be")


def _step(state, lr):
    return state - lr * state


def _step64(state, lr):
    return state - lr * jnp.ones(state.shape, jnp.float64)


def _step_with(state, lr, k):
    return state - lr * k @ state


_CLOSED = jnp.ones(3)


def _closure_step(state, lr):
    return state - lr * _CLOSED


def _make_closure():
    arr = jnp.ones(3)

    def step(state, lr):
        return state - lr * arr
    return step


F = "dynamics.descend"
add(F, "step a string", lambda: dynamics.descend("step", jnp.ones(3), 0.1, 2), TypeError, r"step must be callable")
arrays(F, "state0", lambda v: dynamics.descend(_step, v, 0.1, 2), np.ones(3), shape=False)
floats(F, "lr", lambda v: dynamics.descend(_step, jnp.ones(3), v, 2))
ints(F, "steps", lambda v: dynamics.descend(_step, jnp.ones(3), 0.1, v))
add(F, "steps that would never finish (10^12)", lambda: dynamics.descend(_step, jnp.ones(3), 0.1, 10 ** 12),
    ValueError, r"steps must be at least 1 and at most")
add(F, "args a string", lambda: dynamics.descend(_step_with, jnp.ones(2), 0.1, 2, args="k"), TypeError,
    r"args must be a sequence")
add(F, "args with NaN", lambda: dynamics.descend(_step_with, jnp.ones(2), 0.1, 2, args=(nan_like(np.eye(2)),)),
    ValueError, r"args\[0\] must contain only finite")
add(F, "state0 of a shape the step cannot take (was: JAX's dot_general message)",
    lambda: dynamics.descend(_step_with, jnp.ones(3), 0.1, 2, args=(np.eye(2),)), TypeError,
    r"failed on state0 and args of shapes \(3,\) and \(\(2, 2\),\)")
add(F, "observe not callable", lambda: dynamics.descend(_step, jnp.ones(3), 0.1, 2, observe=3), TypeError,
    r"observe must be callable")
add(F, "record_at floats", lambda: dynamics.descend(_step, jnp.ones(3), 0.1, 2, record_at=[0.0, 2.0]), ValueError,
    r"record_at must be a 1-D array of at least 2 integer")
add(F, "record_at NaN", lambda: dynamics.descend(_step, jnp.ones(3), 0.1, 2, record_at=[0, np.nan]), ValueError,
    r"record_at must contain only finite")
flags(F, "batched", lambda v: dynamics.descend(_step, jnp.ones(3), 0.1, 2, batched=v))
add(F, "float32 state, float64 update (dtype mixing)",
    lambda: dynamics.descend(_step64, jnp.ones(3, jnp.float32), 0.1, 2), TypeError,
    r"step must return a state with the structure, shapes and dtypes of state0")
add(F, "step closing over an array (stale compiled program)", lambda: dynamics.descend(_make_closure(), jnp.ones(3),
                                                                                       0.1, 2),
    TypeError, r"step must not close over an array")

for F, fn in (("dynamics.gradient_step", dynamics.gradient_step),
              ("dynamics.kernel_gradient_step", dynamics.kernel_gradient_step),
              ("dynamics.loss_observer", dynamics.loss_observer)):
    add(F, "loss a string", lambda fn=fn: fn("loss"), TypeError, r"loss must be callable")
    add(F, "loss a list (was: unhashable type)", lambda fn=fn: fn([losses.vicreg]), TypeError,
        r"loss must be callable")
    add(F, "loss NaN", lambda fn=fn: fn(float("nan")), TypeError, r"loss must be callable")
ints("dynamics.loss_observer", "skip", lambda v: dynamics.loss_observer(losses.squared_error, v), minimum=0)

# -------------------------------------------------------------------------------------------------- fitting
for F, fn, log in (("fitting.linear_fit", fitting.linear_fit, False), ("fitting.loglog_slope", fitting.loglog_slope,
                                                                         True),
                   ("fitting.loglog_slope_interval", fitting.loglog_slope_interval, True)):
    arrays(F, "x", lambda v, fn=fn: fn(v, YS), XS)
    arrays(F, "y", lambda v, fn=fn: fn(XS, v), YS)
    add(F, "x, y of different lengths", lambda fn=fn: fn(XS, YS[:3]), ValueError, r"x and y must be 1-D of equal")
    add(F, "x constant", lambda fn=fn: fn(np.ones(4), YS), ValueError, r"x must not be constant")
    if log:
        add(F, "y non-positive", lambda fn=fn: fn(XS, -YS), ValueError, r"x and y must be positive")
F = "fitting.loglog_slope_interval"
for bad in (float("nan"), 1.5, "0.9", True, 0.0):
    add(F, f"confidence {bad!r}", lambda bad=bad: fitting.loglog_slope_interval(XS, YS, bad), ValueError,
        r"confidence must be a number in \(0, 1\)")

# -------------------------------------------------------------------------------------------------- publish
for F, fn in (("publish.published", lambda **kw: publish.published(kw)), ("publish.publish", publish.publish)):
    add(F, "NaN", lambda fn=fn: fn(err=float("nan")), ValueError, r"err is nan: a published number must be finite")
    add(F, "inf (NumPy scalar)", lambda fn=fn: fn(err=np.float64("inf")), ValueError, r"err is inf")
    add(F, "NaN in a list", lambda fn=fn: fn(errs=[1.0, float("nan")]), ValueError, r"errs\[1\] is nan")
    add(F, "complex scalar (was: published as complex)", lambda fn=fn: fn(z=np.complex128(1 + 1j)), TypeError,
        r"z must be a real number")
    add(F, "complex Python number", lambda fn=fn: fn(z=1j), TypeError, r"z must be a number")
    add(F, "list of strings", lambda fn=fn: fn(names=["a", "b"]), TypeError, r"names must be a one-dimensional")
    add(F, "2-D array (wrong shape)", lambda fn=fn: fn(m=np.eye(2)), TypeError, r"m must be a number")
    add(F, "a dict", lambda fn=fn: fn(d={"a": 1}), TypeError, r"d must be a number")
    add(F, "name not snake_case", lambda fn=fn: fn(**{"Bad-Name": 1}), ValueError, r"snake_case")
add("publish.published", "values a list", lambda: publish.published([("a", 1)]), TypeError,
    r"values must map names to values")

# -------------------------------------------------------------------------------------------------- display
F = "display.configure_plotly"
add(F, "renderer unknown", lambda: display.configure_plotly("svg"), ValueError, r"renderer must be 'book' or 'auto'")
add(F, "renderer an int", lambda: display.configure_plotly(3), ValueError, r"renderer must be")
add(F, "renderer NaN", lambda: display.configure_plotly(float("nan")), ValueError, r"renderer must be")
F = "display.markdown_table"
add(F, "headers a string (was: one column per character)", lambda: display.markdown_table("ab", [[1, 2]]), TypeError,
    r"headers must be a list")
add(F, "headers empty", lambda: display.markdown_table([], []), ValueError, r"headers must name at least one")
add(F, "headers numbers", lambda: display.markdown_table([1, 2], [[1, 2]]), TypeError, r"headers\[0\] must be")
add(F, "rows a string", lambda: display.markdown_table(["a"], "x"), TypeError, r"rows must be a list of rows")
add(F, "a row a string", lambda: display.markdown_table(["a"], ["x"]), TypeError, r"rows\[0\] must be a sequence")
add(F, "a row of the wrong length", lambda: display.markdown_table(["a", "b"], [[1]]), ValueError,
    r"rows\[0\] must have 2 cells")
add(F, "a NaN cell (was: 'nan' in the page)", lambda: display.markdown_table(["a"], [[float("nan")]]), ValueError,
    r"rows\[0\]\[0\] is nan")
add(F, "an inf cell", lambda: display.markdown_table(["a"], [[np.float32("inf")]]), ValueError,
    r"rows\[0\]\[0\] is inf")
add(F, "a complex cell", lambda: display.markdown_table(["a"], [[1j]]), TypeError, r"rows\[0\]\[0\] must be a real")
add(F, "fmt unknown", lambda: display.markdown_table(["a"], [[1.0]], fmt="zz"), ValueError, r"fmt must be a format")
add(F, "fmt an int", lambda: display.markdown_table(["a"], [[1.0]], fmt=3), TypeError, r"fmt must be a format")

# -------------------------------------------------------------------------------------------------- widgets


class _NoRepr:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return {}


class _NoneRepr:
    def _repr_mimebundle_(self, include=None, exclude=None):
        return None


F = "widgets.display_output"
add(F, "an object without a display representation", lambda: widgets.display_output(_NoRepr()), ValueError,
    r"the figure must have a display representation")
add(F, "a representation of None", lambda: widgets.display_output(_NoneRepr()), ValueError,
    r"the figure must have a display representation")
F = "widgets.live_figure"
SLIDER = ipywidgets.IntSlider(value=1, min=0, max=3)
add(F, "controls a list", lambda: widgets.live_figure([SLIDER], lambda **kw: go.Figure()), TypeError,
    r"controls must map names to widgets")
add(F, "controls empty", lambda: widgets.live_figure({}, lambda **kw: go.Figure()), ValueError,
    r"controls must hold at least one")
add(F, "controls of numbers", lambda: widgets.live_figure({"n": 3}, lambda **kw: go.Figure()), TypeError,
    r"controls\['n'\] must be an ipywidgets value widget")
add(F, "make_figure not callable", lambda: widgets.live_figure({"n": SLIDER}, "fig"), TypeError,
    r"make_figure must be callable")
add(F, "title a number", lambda: widgets.live_figure({"n": SLIDER}, lambda **kw: go.Figure(), title=3), TypeError,
    r"title must be a string")
add(F, "title NaN", lambda: widgets.live_figure({"n": SLIDER}, lambda **kw: go.Figure(), title=float("nan")),
    TypeError, r"title must be a string")

# ------------------------------------------------------------------------------------------------ precision
F = "precision.require_float64"
add(F, "what not a string", lambda: precision.require_float64(3), TypeError, r"what must be a string")
add(F, "what NaN", lambda: precision.require_float64(float("nan")), TypeError, r"what must be a string")
F = "precision.normal"
keys(F, lambda v: precision.normal(v, (2, 3)))
add(F, "shape a string", lambda: precision.normal(KEY, "23"), TypeError, r"shape must be a tuple of integers")
add(F, "shape an int", lambda: precision.normal(KEY, 3), TypeError, r"shape must be a tuple of integers")
add(F, "shape with a float", lambda: precision.normal(KEY, (2, 1.5)), TypeError, r"shape\[1\] must be an integer")
add(F, "shape with NaN", lambda: precision.normal(KEY, (float("nan"),)), TypeError, r"shape\[0\] must be an integer")
add(F, "shape negative", lambda: precision.normal(KEY, (-1,)), ValueError, r"shape\[0\] must be at least 0")
add(F, "shape absurd (10^12 entries)", lambda: precision.normal(KEY, (10 ** 6, 10 ** 6)), ValueError,
    r"shape asks for an array")
add(F, "dtype int32 (draws truncated)", lambda: precision.normal(KEY, (2,), jnp.int32), TypeError,
    r"dtype must be float")
add(F, 'dtype "yes"', lambda: precision.normal(KEY, (2,), "yes"), TypeError, r"dtype must be a floating")

# ------------------------------------------------------------------------------------------- figures.style
for F, fn in (("figures.style.colour", style.colour), ("figures.style.measured_line", style.measured_line),
              ("figures.style.theory_line", style.theory_line)):
    ints(F, "i", fn, minimum=0)


def _two_traces() -> go.Figure:
    return go.Figure([go.Scatter(x=[1, 2], y=[1, 2]), go.Scatter(x=[1, 2], y=[2, 1])])


F = "figures.style.base_layout"
add(F, "fig not a figure", lambda: style.base_layout({"data": []}, "t", "x", "y"), TypeError, r"fig must be a plotly")
add(F, "title a number", lambda: style.base_layout(go.Figure(), 3, "x", "y"), TypeError, r"title must be a string")
add(F, "yaxis NaN", lambda: style.base_layout(go.Figure(), "t", "x", float("nan")), TypeError,
    r"yaxis must be a string")
ints(F, "height", lambda v: style.base_layout(go.Figure(), "t", "x", "y", height=v), minimum=10)
F = "figures.style.log_axes"
add(F, "fig None", lambda: style.log_axes(None, True), TypeError, r"fig must be a plotly")
flags(F, "log_x", lambda v: style.log_axes(go.Figure(), log_x=v))
flags(F, "log_y", lambda v: style.log_axes(go.Figure(), log_y=v))
F = "figures.style.visibility_slider"
add(F, "fig not a figure", lambda: style.visibility_slider("fig", ["a"], [0], 0, "p"), TypeError, r"fig must be")
add(F, "owner of the wrong length (was: silent)", lambda: style.visibility_slider(_two_traces(), ["a", "b"], [0], 0,
                                                                                   "p"),
    ValueError, r"owner must give one step index .* per trace of fig: 2 entries")
add(F, "owner entry out of range", lambda: style.visibility_slider(_two_traces(), ["a", "b"], [0, 5], 0, "p"),
    ValueError, r"owner\[1\] must be at least 0 and at most 1")
add(F, "owner entry a float", lambda: style.visibility_slider(_two_traces(), ["a", "b"], [0, 1.0], 0, "p"),
    TypeError, r"owner\[1\] must be an integer")
add(F, "labels a string", lambda: style.visibility_slider(_two_traces(), "ab", [0, 1], 0, "p"), TypeError,
    r"labels must be a non-empty list")
add(F, "labels None entries", lambda: style.visibility_slider(_two_traces(), [None, None], [0, 1], 0, "p"), TypeError,
    r"labels\[0\] must be a string")
ints(F, "active", lambda v: style.visibility_slider(_two_traces(), ["a", "b"], [0, 1], v, "p"), minimum=0)
add(F, "active out of range", lambda: style.visibility_slider(_two_traces(), ["a", "b"], [0, 1], 2, "p"), ValueError,
    r"active must be at least 0 and at most 1")
add(F, "prefix a number", lambda: style.visibility_slider(_two_traces(), ["a", "b"], [0, 1], 0, 3), TypeError,
    r"prefix must be a string")
ints(F, "pad_top", lambda v: style.visibility_slider(_two_traces(), ["a", "b"], [0, 1], 0, "p", pad_top=v), minimum=0)

# ------------------------------------------------------------------------------------------- figures.lines
T = np.arange(1.0, 5.0)
F = "figures.lines.measured_and_theory"
add(F, "measured a list", lambda: lines.measured_and_theory([(T, T)]), TypeError, r"measured must map legend names")
add(F, "theory a list", lambda: lines.measured_and_theory({"a": (T, T)}, [(T, T)]), TypeError,
    r"theory must map legend names")
add(F, "legend name not a string", lambda: lines.measured_and_theory({1: (T, T)}), TypeError,
    r"measured must have string legend names")
add(F, "x, y of different lengths", lambda: lines.measured_and_theory({"a": (T, T[:3])}), ValueError,
    r"measured\['a'\] must have x and y of equal length")
arrays(F, "measured['a'] y", lambda v: lines.measured_and_theory({"a": (T, v)}), T)
arrays(F, "theory['a'] x", lambda v: lines.measured_and_theory({"a": (T, T)}, {"a": (v, T)}), T)
add(F, "a series not a pair", lambda: lines.measured_and_theory({"a": T}), TypeError,
    r"measured\['a'\] must be a pair")
add(F, "mode unknown", lambda: lines.measured_and_theory({"a": (T, T)}, mode="dots"), ValueError, r"mode must be one")
add(F, "no series", lambda: lines.measured_and_theory({}), ValueError, r"measured and theory must hold at least")
flags(F, "log_x", lambda v: lines.measured_and_theory({"a": (T, T)}, log_x=v))
add(F, "title a number", lambda: lines.measured_and_theory({"a": (T, T)}, title=3), TypeError, r"title must be a")
ints(F, "height", lambda v: lines.measured_and_theory({"a": (T, T)}, height=v), minimum=10)

F = "figures.lines.curves"
arrays(F, "t", lambda v: lines.curves(v, {"a": T}, "", "", ""), T)
arrays(F, "measured['a']", lambda v: lines.curves(T, {"a": v}, "", "", ""), T)
add(F, "measured of the wrong length", lambda: lines.curves(T, {"a": T[:3]}, "", "", ""), ValueError,
    r"measured\['a'\] must have one value per entry of t")
add(F, "predicted of the wrong length (was: named theory)", lambda: lines.curves(T, {"a": T}, "", "", "",
                                                                                 {"a": T[:3]}),
    ValueError, r"predicted\['a'\] must have one value per entry of t")
add(F, "measured a list", lambda: lines.curves(T, [T], "", "", ""), TypeError, r"measured must map")
flags(F, "log_y", lambda v: lines.curves(T, {"a": T}, "", "", "", log_y=v))

F = "figures.lines.markers_with_theory"
arrays(F, "x", lambda v: lines.markers_with_theory(v, {"a": T}, {}, "", "", ""), T)
add(F, "measured of the wrong length (named against x)",
    lambda: lines.markers_with_theory(T, {"a": T[:3]}, {}, "", "", ""), ValueError,
    r"measured\['a'\] must have one value per entry of x")
add(F, "predicted NaN", lambda: lines.markers_with_theory(T, {"a": T}, {"a": nan_like(T)}, "", "", ""), ValueError,
    r"predicted\['a'\] must contain only finite")
add(F, "xaxis a number", lambda: lines.markers_with_theory(T, {"a": T}, {}, "", 3, ""), TypeError,
    r"xaxis must be a string")

F = "figures.lines.series_with_reference"
arrays(F, "series['a'] y", lambda v: lines.series_with_reference({"a": (T, v)}, "", "", ""), T)
add(F, "x, y of different lengths", lambda: lines.series_with_reference({"a": (T, T[:2])}, "", "", ""), ValueError,
    r"series\['a'\] must have x and y of equal length")
add(F, "series a list", lambda: lines.series_with_reference([(T, T)], "", "", ""), TypeError, r"series must map")
add(F, "reference value NaN (was: a NaN line)", lambda: lines.series_with_reference({"a": (T, T)}, "", "", "",
                                                                                    ("r", float("nan"))),
    ValueError, r"reference must be \(legend name, finite value\)")
add(F, "reference value a string", lambda: lines.series_with_reference({"a": (T, T)}, "", "", "", ("r", "1")),
    ValueError, r"reference must be")
add(F, "reference not a pair", lambda: lines.series_with_reference({"a": (T, T)}, "", "", "", 1.0), TypeError,
    r"reference must be a pair")
add(F, "reference without series", lambda: lines.series_with_reference({}, "", "", "", ("r", 1.0)), ValueError,
    r"series must hold at least one curve")

F = "figures.lines.loglog_measurements"
arrays(F, "x", lambda v: lines.loglog_measurements(v, {"a": T}, "", "", ""), T)
add(F, "x non-positive (a log axis drops it)", lambda: lines.loglog_measurements(T - 2, {"a": T}, "", "", ""),
    ValueError, r"x must be positive")
arrays(F, "series['a']", lambda v: lines.loglog_measurements(T, {"a": v}, "", "", ""), T, shape=False)
add(F, "series not a multiple of len(x)", lambda: lines.loglog_measurements(T, {"a": np.ones(6)}, "", "", ""),
    ValueError, r"series\['a'\] must have len\(x\) = 4 rows")
add(F, "reference_slope NaN", lambda: lines.loglog_measurements(T, {"a": T}, "", "", "", float("nan")), ValueError,
    r"reference_slope must be a finite number")
add(F, "reference_slope a string", lambda: lines.loglog_measurements(T, {"a": T}, "", "", "", "-1"), ValueError,
    r"reference_slope must be")
add(F, "fitted_slopes NaN", lambda: lines.loglog_measurements(T, {"a": T}, "", "", "", fitted_slopes={"a": np.nan}),
    ValueError, r"fitted_slopes\['a'\] must be a finite")
add(F, "reference_label a number", lambda: lines.loglog_measurements(T, {"a": T}, "", "", "", -1.0, 3), TypeError,
    r"reference_label must be a string")

F = "figures.lines.eigenvalue_panels"
EIG = np.abs(RNG.standard_normal((4, 2))) + 0.1
add(F, "runs a list", lambda: lines.eigenvalue_panels([(T, EIG)], "", ""), TypeError, r"runs must map")
add(F, "runs empty", lambda: lines.eigenvalue_panels({}, "", ""), ValueError, r"runs must hold at least one")
add(F, "a run not a pair", lambda: lines.eigenvalue_panels({"a": 3}, "", ""), TypeError, r"runs\['a'\] must be a pair")
arrays(F, "runs['a'] t", lambda v: lines.eigenvalue_panels({"a": (v, EIG)}, "", ""), T)
arrays(F, "runs['a'] eigenvalues", lambda v: lines.eigenvalue_panels({"a": (T, v)}, "", ""), EIG)
add(F, "one row per time", lambda: lines.eigenvalue_panels({"a": (T, EIG[:3])}, "", ""), ValueError,
    r"runs\['a'\] must have one row of eigenvalues per time")
flags(F, "log_y", lambda v: lines.eigenvalue_panels({"a": (T, EIG)}, "", "", log_y=v))
ints(F, "height", lambda v: lines.eigenvalue_panels({"a": (T, EIG)}, "", "", height=v), minimum=10)


# ---------------------------------------------------------------------------------------------------- tests
def public_functions() -> set[str]:
    """Every public callable defined in the modules of ``MODULES`` (``module.name``)."""
    names = set()
    for label, module in MODULES.items():
        for name, obj in inspect.getmembers(module, callable):
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__:
                names.add(f"{label}.{name}")
    return names


def test_every_public_function_has_rows():
    covered = {row.function for row in ROWS}
    missing = public_functions() - covered - set(EXEMPT)
    assert not missing, f"public functions without a bad-input row (add rows, or an EXEMPT entry with a reason): " \
                        f"{sorted(missing)}"
    stale = (covered | set(EXEMPT)) - public_functions()
    assert not stale, f"rows or exemptions for functions that no longer exist: {sorted(stale)}"


# Functions whose arguments carry no numeric values to be NaN (a key, a dtype, a flag, shapes, any displayable
# object), each with the reason: they need no non-finite row.
NO_VALUES = {
    "validation.check_key": "takes a PRNG key",
    "validation.check_float_dtype": "takes a dtype",
    "validation.computing_dtype": "reads a dtype only",
    "validation.check_bool": "takes a flag",
    "validation.check_same_shape": "compares shapes only",
    "figures.style.log_axes": "takes a figure and two flags",
    "widgets.display_output": "takes any displayable object",
}
# Functions that take arrays of any shape (so no shape is wrong), with the reason.
ANY_SHAPE = {"validation.check_no_overflow": "checks magnitudes of an array of any shape"}
NONFINITE = re.compile(r"NaN|\binf\b|1e[23]\d|overflow")
WRONG_TYPE = re.compile(r"string|list|complex|float|bool|\"yes\"|dtype|seed|int64|an int|None|number|tuple|dict|"
                        r"not a|callable|unhashable|an array|scalar|object|representation")
WRONG_SHAPE = re.compile(r"shape|length|rows|columns|dimension|size|1-D|2-D|square|axis|pair|more columns|scalar")


def kinds_by_function() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for row in ROWS:
        kinds = out.setdefault(row.function, set())
        for kind, pattern in (("nonfinite", NONFINITE), ("type", WRONG_TYPE), ("shape", WRONG_SHAPE)):
            if pattern.search(row.case):
                kinds.add(kind)
        if "a list of strings" in row.case:
            kinds.add("array argument")
    return out


def test_rows_cover_the_basic_kinds():
    for function, kinds in kinds_by_function().items():
        assert "type" in kinds, f"{function} has no wrong-type row"
        if function not in NO_VALUES:
            assert "nonfinite" in kinds, f"{function} has no NaN/inf row"
        if "array argument" in kinds and function not in ANY_SHAPE:
            assert "shape" in kinds, f"{function} takes an array but has no wrong-shape row"


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.function}-{r.case}" for r in ROWS])
def test_bad_input_is_refused_naming_the_argument(row: Row):
    with pytest.raises(row.exc, match=row.pattern):
        row.call()


# ----------------------------------------------------------------- computations that valid input made non-finite
def test_digits_views_large_shifts_keep_the_digit():
    # max_shift 5-7 with noise_std 0 used to shift whole digits out of the frame: 0/0 in the sphere normalisation
    # (5, 62 and 215 NaN views of 1200 at seed 0). Such shifts are re-drawn: every view is finite, on the sphere,
    # and shows ink.
    # (seed 0, 200 images x 2 views at max_shift 7: 68 empty frames in the first draw, all re-drawn)
    views, _ = data.digits_views(jax.random.PRNGKey(0), 200, 2, max_shift=7, noise_std=0.0)
    v = np.asarray(views)
    assert np.all(np.isfinite(v))
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), 8.0, rtol=1e-12)


def test_closed_form_kernels_vanish_on_a_zero_input():
    # a zero row: q = 0 and c = 0, the angle is 0/0; the kernel is 0 there (sigma(u) = 0 for ReLU without bias, and
    # every term carries c or sqrt(q q')), as the analytic limit says; it must not be NaN
    x = RNG.standard_normal((3, 4))
    x[1] = 0.0
    for fn in (kernels.closed_form_ntk, kernels.closed_form_nngp):
        k = np.asarray(fn(x, x))
        assert np.all(np.isfinite(k))
        assert np.all(k[1] == 0.0) and np.all(k[:, 1] == 0.0)
