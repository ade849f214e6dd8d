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
    augmentation_graph,
    data,
    display,
    dynamics,
    fitting,
    grassmann,
    induced_kernel,
    kernels,
    linalg,
    losses,
    models,
    precision,
    probes,
    publish,
    validation,
    widgets,
)
from kernel_ssl.figures import heatmaps, lines, sliders, style, subspace  # noqa: E402

MODULES = {"data": data, "kernels": kernels, "losses": losses, "models": models, "linalg": linalg,
           "validation": validation, "dynamics": dynamics, "fitting": fitting, "publish": publish,
           "display": display, "widgets": widgets, "precision": precision, "figures.lines": lines,
           "figures.style": style, "grassmann": grassmann, "induced_kernel": induced_kernel,
           "augmentation_graph": augmentation_graph, "probes": probes, "figures.heatmaps": heatmaps,
           "figures.sliders": sliders, "figures.subspace": subspace}

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
    "validation.hashable_cache": "a decorator of the library's own factories: it takes a function, no data",
}


# the result containers of the chapter 3-4 experiments, built by their experiment functions from checked values
for _name in ("Collapse", "ConstrainedTraining", "FrozenKernel", "GrassmannRun", "Probes", "Rates", "WidthGaps"):
    EXEMPT[f"grassmann.{_name}"] = "a frozen result container that its experiment function builds"
for _name in ("BandwidthSweep", "ClassHeatmaps", "DegenerateCase", "DescentToClosedForm", "HeldOutKernels",
              "KernelModelRun", "MinNormLimit", "MinNormTarget", "PenalisedCollapse", "ProbeSelection", "ProbeSweep",
              "RankDeficientCase"):
    EXEMPT[f"induced_kernel.{_name}"] = "a frozen result container that its experiment function builds"
EXEMPT["induced_kernel.RangeFactor"] = "the factor that range_factor builds from a checked Gram matrix"
EXEMPT["induced_kernel.ViewPanel"] = "the container that view_panel builds from checked views"


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
    _array_rows(function, arg, call, good, shape, re.escape(arg))


def _array_rows(function: str, arg: str, call: Callable[[Any], Any], good, shape: bool, name: str) -> None:
    # the array rows of arrays/exact_arrays; ``name`` is the pattern the messages must contain
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
arrays("validation.check_int_labels", "w", lambda v: validation.check_int_labels("w", v), [0.0, 1.0, 2.0])
add("validation.check_int_labels", "fractional labels", lambda: validation.check_int_labels("w", [0.0, 1.5]), TypeError,
    r"w must hold integer labels")
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
              ("figures.style.theory_line", style.theory_line), ("figures.style.symbol", style.symbol),
              ("figures.style.measured_style", style.measured_style),
              ("figures.style.theory_style", style.theory_style)):
    ints(F, "i", fn, minimum=0)
add("figures.style.measured_style", 'mode "dots"', lambda: style.measured_style(0, "dots"), ValueError,
    r"mode must be 'lines', 'markers' or 'lines\+markers'")
add("figures.style.rich_text", "text a number", lambda: style.rich_text(3), TypeError, r"text must be a string")
add("figures.style.builder", "function not callable", lambda: style.builder(3), TypeError,
    r"function must be a callable")
add("figures.style.finish", "fig a dict", lambda: style.finish({"data": []}, "b"), TypeError, r"fig must be a plotly")
add("figures.style.finish", "builder_name None", lambda: style.finish(go.Figure(), None), TypeError,
    r"builder_name must be a string")
add("figures.style.label_texts", "fig a string", lambda: style.label_texts("fig"), TypeError,
    r"fig must be a plotly go.Figure or its dict")


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


# ======================================================== chapter 3-4 modules and the remaining figure modules
# a PSD check's messages (linalg: "must have a positive eigenvalue" / "is not positive semi-definite")
PSD = r"(must have a positive eigenvalue|is not positive semi-definite|must be positive semi-definite)"
G6 = augmentation_graph.group_labels(3, 2)
ADJ6 = augmentation_graph.adjacency_from_groups(G6)
EMPTY6 = np.zeros((6, 6))
A6 = RNG.standard_normal((6, 6))
K6 = A6 @ A6.T + np.eye(6)
FAC6 = linalg.factor_gram(K6)
PTS6 = RNG.standard_normal((6, 3))
LAB6 = np.array([0, 0, 1, 1, 0, 0])
CROSS6 = RNG.standard_normal((3, 6))
LABT = np.array([0, 1, 0])

F = "augmentation_graph.group_labels"
ints(F, "n_groups", lambda v: augmentation_graph.group_labels(v, 2))
ints(F, "n_views", lambda v: augmentation_graph.group_labels(3, v))
add(F, "n_groups * n_views absurd (1e6 x 1e6: a 1e12-entry label vector)",
    lambda: augmentation_graph.group_labels(10 ** 6, 10 ** 6), ValueError, r"n_groups")
for F, fn in (("augmentation_graph.adjacency_from_groups", augmentation_graph.adjacency_from_groups),
              ("augmentation_graph.group_projector", augmentation_graph.group_projector)):
    arrays(F, "groups", fn, G6)
    add(F, "groups: float labels (truncated to int before)", lambda fn=fn: fn(G6 + 0.5), TypeError,
        r"groups must hold integer labels")
add("augmentation_graph.adjacency_from_groups", "groups: 1-D but a bool flag wrong",
    lambda: augmentation_graph.adjacency_from_groups(G6, self_loops="yes"), TypeError, r"self_loops must be True")
flags("augmentation_graph.adjacency_from_groups", "self_loops",
      lambda v: augmentation_graph.adjacency_from_groups(G6, self_loops=v))
for F, fn in (("augmentation_graph.check_adjacency", augmentation_graph.check_adjacency),
              ("augmentation_graph.degree", augmentation_graph.degree),
              ("augmentation_graph.laplacian", augmentation_graph.laplacian),
              ("augmentation_graph.n_components", augmentation_graph.n_components)):
    arrays(F, "adjacency", fn, ADJ6)
    add(F, "adjacency: not square", lambda fn=fn: fn(ADJ6[:4]), ValueError, r"adjacency must be square")
    add(F, "adjacency: not symmetric", lambda fn=fn: fn(np.triu(ADJ6)), ValueError, r"adjacency must be symmetric")
    add(F, "adjacency: a negative weight", lambda fn=fn: fn(ADJ6 - 2 * np.eye(6)), ValueError,
        r"adjacency must have non-negative")
ints("augmentation_graph.check_adjacency", "n_points",
     lambda v: augmentation_graph.check_adjacency(ADJ6, n_points=v))
add("augmentation_graph.check_adjacency", "n_points: the wrong size",
    lambda: augmentation_graph.check_adjacency(ADJ6, n_points=5), ValueError, r"adjacency must be 5 x 5")
F = "augmentation_graph.n_components"
add(F, "tol NaN (returned 0 before)", lambda: augmentation_graph.n_components(ADJ6, tol=float("nan")), ValueError,
    r"tol must be a finite number")
add(F, "tol -1 (returned 0 before)", lambda: augmentation_graph.n_components(ADJ6, tol=-1.0), ValueError,
    r"tol must be a finite number")
add(F, "tol 1 (every eigenvalue counted: above the bound)", lambda: augmentation_graph.n_components(ADJ6, tol=1.0),
    ValueError, r"tol must be a finite number .*<= 0.5")
add(F, "tol a string", lambda: augmentation_graph.n_components(ADJ6, tol="1e-9"), TypeError, r"tol must be a real")
F = "augmentation_graph.knn_adjacency"
arrays(F, "points", lambda v: augmentation_graph.knn_adjacency(v, G6, 1, 0.5), PTS6)
arrays(F, "groups", lambda v: augmentation_graph.knn_adjacency(PTS6, v, 1, 0.5), G6)
add(F, "groups: float labels", lambda: augmentation_graph.knn_adjacency(PTS6, G6 + 0.5, 1, 0.5), TypeError,
    r"groups must hold integer labels")
add(F, "groups: one label per row", lambda: augmentation_graph.knn_adjacency(PTS6, G6[:4], 1, 0.5), ValueError,
    r"groups must hold one label per row of points")
add(F, "groups: a single source", lambda: augmentation_graph.knn_adjacency(PTS6, np.zeros(6, int), 1, 0.5),
    ValueError, r"groups must contain at least two sources")
ints(F, "n_neighbours", lambda v: augmentation_graph.knn_adjacency(PTS6, G6, v, 0.5))
add(F, "n_neighbours above the views of other sources", lambda: augmentation_graph.knn_adjacency(PTS6, G6, 5, 0.5),
    ValueError, r"n_neighbours must be at least 1 and at most 4")
floats(F, "weight", lambda v: augmentation_graph.knn_adjacency(PTS6, G6, 1, v))
add(F, "points: float32 overflow in the squared distances",
    lambda: augmentation_graph.knn_adjacency(np.full((6, 3), 1e160), G6, 1, 0.5), ValueError, r"points has entries")

# ---------------------------------------------------------------------------------------------------- probes
F = "probes.kernel_probe_accuracy"
arrays(F, "gram_train", lambda v: probes.kernel_probe_accuracy(v, CROSS6, LAB6, LABT, 0.1), K6)
arrays(F, "cross_test", lambda v: probes.kernel_probe_accuracy(K6, v, LAB6, LABT, 0.1), CROSS6)
arrays(F, "labels_train", lambda v: probes.kernel_probe_accuracy(K6, CROSS6, v, LABT, 0.1), LAB6)
arrays(F, "labels_test", lambda v: probes.kernel_probe_accuracy(K6, CROSS6, LAB6, v, 0.1), LABT)
add(F, "labels_train: float labels (compared as floats, not classes)",
    lambda: probes.kernel_probe_accuracy(K6, CROSS6, LAB6 + 0.5, LABT, 0.1), TypeError,
    r"labels_train must hold integer labels")
add(F, "labels_test: float labels", lambda: probes.kernel_probe_accuracy(K6, CROSS6, LAB6, LABT + 0.5, 0.1), TypeError,
    r"labels_test must hold integer labels")
add(F, "cross_test: wrong number of columns", lambda: probes.kernel_probe_accuracy(K6, CROSS6[:, :5], LAB6, LABT, 0.1),
    ValueError, r"cross_test must have shape")
floats(F, "probe_ridge",
       lambda v: probes.kernel_probe_accuracy(K6, CROSS6, LAB6, LABT, v), allow_zero=True)
floats(F, "max_condition", lambda v: probes.kernel_probe_accuracy(K6, CROSS6, LAB6, LABT, 0.1, max_condition=v))
add(F, "gram_train: negative definite", lambda: probes.kernel_probe_accuracy(-K6, CROSS6, LAB6, LABT, 0.1),
    ValueError, rf"gram_train {PSD}")
F = "probes.linear_probe_accuracy"
FT = RNG.standard_normal((6, 2))
FE = RNG.standard_normal((3, 2))
arrays(F, "features_train", lambda v: probes.linear_probe_accuracy(v, FE, LAB6, LABT, 0.1), FT)
arrays(F, "features_test", lambda v: probes.linear_probe_accuracy(FT, v, LAB6, LABT, 0.1), FE)
arrays(F, "labels_train", lambda v: probes.linear_probe_accuracy(FT, FE, v, LABT, 0.1), LAB6)
arrays(F, "labels_test", lambda v: probes.linear_probe_accuracy(FT, FE, LAB6, v, 0.1), LABT)
add(F, "labels_train: float labels", lambda: probes.linear_probe_accuracy(FT, FE, LAB6 + 0.5, LABT, 0.1), TypeError,
    r"labels_train must hold integer labels")
add(F, "features_test: wrong number of columns", lambda: probes.linear_probe_accuracy(FT, FE[:, :1], LAB6, LABT, 0.1),
    ValueError, r"features and labels must match")
floats(F, "probe_ridge", lambda v: probes.linear_probe_accuracy(FT, FE, LAB6, LABT, v), allow_zero=True)
add(F, "features_train: overflow in F^T F", lambda: probes.linear_probe_accuracy(FT * 1e160, FE, LAB6, LABT, 0.1),
    ValueError, r"features_train has entries")

# ------------------------------------------------------------------------------------------ figures.heatmaps
F = "figures.heatmaps.kernel_heatmap"
arrays(F, "kernel", lambda v: heatmaps.kernel_heatmap(v, "t"), K6)
add(F, "title a number", lambda: heatmaps.kernel_heatmap(K6, 3), TypeError, r"title must be a string")
add(F, "colorscale unknown", lambda: heatmaps.kernel_heatmap(K6, "t", colorscale="nope"), ValueError, r"colorscale")
add(F, "colorscale a number", lambda: heatmaps.kernel_heatmap(K6, "t", colorscale=3), TypeError,
    r"colorscale must be a string")
F = "figures.heatmaps.heatmap_pair_slider"
TICKS6 = [str(i) for i in range(6)]


def _hps(base=K6, frames=None, tick_text=TICKS6, title="t", active=0):
    frames = {"a": K6} if frames is None else frames
    return heatmaps.heatmap_pair_slider(base, frames, tick_text, "b", "i", title, "s", active=active)


arrays(F, "base", lambda v: _hps(base=v), K6)
arrays(F, "frames['a']", lambda v: _hps(frames={"a": v}), K6)
add(F, "frames a list", lambda: _hps(frames=[K6]), TypeError, r"frames must map")
add(F, "frames empty", lambda: _hps(frames={}), ValueError, r"frames must hold at least one")
add(F, "frames['a'] of another shape than base", lambda: _hps(frames={"a": K6[:4, :4]}), ValueError,
    r"frames\['a'\] must have the shape of base")
add(F, "tick_text: one label per row", lambda: _hps(tick_text=TICKS6[:3]), ValueError, r"tick_text must hold 6")
add(F, "tick_text a string", lambda: _hps(tick_text="abcdef"), TypeError, r"tick_text must be a sequence")
add(F, "title a number", lambda: _hps(title=3.0), TypeError, r"title must be a string")
ints(F, "active", lambda v: _hps(active=v), minimum=0)
add(F, "active beyond the frames", lambda: _hps(active=1), ValueError, r"active must be at least 0 and at most 0")
F = "figures.heatmaps.heatmap_pair"
L4 = np.array([0, 0, 1, 1])
K4 = SPD


def _hp(left=K6, right=K4, ll=LAB6[[0, 1, 2, 3, 4, 5]], rl=L4, title="t"):
    return heatmaps.heatmap_pair(left, right, ll, rl, "l", "r", title)


arrays(F, "left", lambda v: _hp(left=v), K6)
arrays(F, "right", lambda v: _hp(right=v), K4)
add(F, "left not square", lambda: _hp(left=K6[:4]), ValueError, r"left must be square")
add(F, "right_labels: one per row", lambda: _hp(rl=L4[:3]), ValueError, r"right must be square with one right_labels")
add(F, "left_labels: a string", lambda: _hp(ll="abcdef"), ValueError, r"left must be square with one left_labels")
add(F, "left_labels: NaN", lambda: _hp(ll=np.array([0, 1, 2, 3, 4, np.nan])), ValueError, r"left_labels.*finite")
add(F, "title a number", lambda: _hp(title=1), TypeError, r"title must be a string")

# ------------------------------------------------------------------------------------------- figures.sliders
F = "figures.sliders.slider_curves"
XK = np.array([1.0, 2.0, 3.0])


def _sc(x=XK, frames=None, reference=XK, title="t", active=0, frame_name="measured"):
    frames = {"a": XK} if frames is None else frames
    return sliders.slider_curves(x, frames, reference, title, "x", "y", "s", frame_name=frame_name, active=active)


arrays(F, "x", lambda v: _sc(x=v), XK)
arrays(F, "reference", lambda v: _sc(reference=v), XK)
arrays(F, "frames['a']", lambda v: _sc(frames={"a": v}), XK)
add(F, "frames empty", lambda: _sc(frames={}), ValueError, r"frames must hold at least one")
add(F, "frames a list", lambda: _sc(frames=[XK]), TypeError, r"frames must map")
add(F, "reference of another length than x", lambda: _sc(reference=XK[:2]), ValueError,
    r"reference must have len\(x\) = 3")
add(F, "frames['a'] of another length than x", lambda: _sc(frames={"a": XK[:2]}), ValueError,
    r"frames\['a'\] must have len\(x\) = 3")
add(F, "title a number", lambda: _sc(title=2), TypeError, r"title must be a string")
add(F, "frame_name a number", lambda: _sc(frame_name=2), TypeError, r"frame_name must be a string")
ints(F, "active", lambda v: _sc(active=v), minimum=0)
add(F, "active beyond the frames", lambda: _sc(active=3), ValueError, r"active must be at least 0 and at most 0")
F = "figures.sliders.probe_accuracy_slider"
DIMS = [1, 2, 4]
STEP = {"induced": np.array([0.5, 0.6, 0.7]), "base": 0.5, "prediction": 0.6, "unregularised": (4, 0.7)}


def _pas(dims=DIMS, step=None, panels=None, title="t", active=0):
    step = STEP if step is None else step
    panels = {"rbf": {"s1": step}} if panels is None else panels
    return sliders.probe_accuracy_slider(dims, panels, title, "s", active=active)


arrays(F, "dims", lambda v: _pas(dims=v), DIMS)
arrays(F, "panels['rbf']['s1']['induced']", lambda v: _pas(step={**STEP, "induced": v}), STEP["induced"])
add(F, "panels empty", lambda: _pas(panels={}), ValueError, r"panels must hold at least one")
add(F, "panels a list", lambda: _pas(panels=[1]), TypeError, r"panels must map")
add(F, "a step without 'base' (KeyError before)", lambda: _pas(step={k: v for k, v in STEP.items() if k != "base"}),
    ValueError, r"panels\['rbf'\]\['s1'\] must hold")
add(F, "base NaN", lambda: _pas(step={**STEP, "base": float("nan")}), ValueError,
    r"panels\['rbf'\]\['s1'\]\['base'\] must be a finite")
add(F, "prediction a string", lambda: _pas(step={**STEP, "prediction": "0.5"}), TypeError,
    r"panels\['rbf'\]\['s1'\]\['prediction'\] must be a real")
add(F, "unregularised not a pair", lambda: _pas(step={**STEP, "unregularised": 0.7}), TypeError,
    r"panels\['rbf'\]\['s1'\]\['unregularised'\] must be a pair")
add(F, "induced of another length than dims", lambda: _pas(step={**STEP, "induced": np.ones(2)}), ValueError,
    r"induced'\] must have len\(dims\) = 3")
add(F, "a second panel with other steps",
    lambda: _pas(panels={"rbf": {"s1": STEP}, "ntk": {"s2": STEP}}), ValueError,
    r"panels\['ntk'\] must have the steps of")
add(F, "title a number", lambda: _pas(title=1), TypeError, r"title must be a string")
ints(F, "active", lambda v: _pas(active=v), minimum=0)
add(F, "active beyond the steps", lambda: _pas(active=1), ValueError, r"active must be at least 0 and at most 0")

# ------------------------------------------------------------------------------------------ figures.subspace
F = "figures.subspace.subspace_figure"
T3 = np.array([0.0, 1.0])
B3 = np.stack([np.eye(3)[:2], np.eye(3)[[0, 2]]])
arrays(F, "times", lambda v: subspace.subspace_figure(v, B3, np.eye(3), "t"), T3)
arrays(F, "bases", lambda v: subspace.subspace_figure(T3, v, np.eye(3), "t"), B3)
arrays(F, "top", lambda v: subspace.subspace_figure(T3, B3, v, "t"), np.eye(3))
add(F, "bases of another length than times", lambda: subspace.subspace_figure(T3[:1], B3, np.eye(3), "t"), ValueError,
    r"bases must be \(T, 2, 3\)")
add(F, "bases not orthonormal", lambda: subspace.subspace_figure(T3, 2 * B3, np.eye(3), "t"), ValueError,
    r"bases\[0\] must have orthonormal rows")
add(F, "title a number", lambda: subspace.subspace_figure(T3, B3, np.eye(3), 1), TypeError, r"title must be a string")
F = "figures.subspace.rate_figure"
GP = np.array([0.1, 0.2, 0.3])
arrays(F, "gaps", lambda v: subspace.rate_figure(v, GP, GP, "t"), GP)
arrays(F, "measured", lambda v: subspace.rate_figure(GP, v, GP, "t"), GP)
arrays(F, "predicted", lambda v: subspace.rate_figure(GP, GP, v, "t"), GP)
add(F, "measured of another length", lambda: subspace.rate_figure(GP, GP[:2], GP, "t"), ValueError,
    r"gaps, measured and predicted must have the same length")
add(F, "title a number", lambda: subspace.rate_figure(GP, GP, GP, 1), TypeError, r"title must be a string")
F = "figures.subspace.collapse_figure"
TT = np.array([0.0, 0.5, 1.0])
RR = np.array([[1.0, 0.5], [1.0, 0.2], [1.0, 0.1]])
arrays(F, "t", lambda v: subspace.collapse_figure(v, RR, RR, TT + 0.1), TT)
arrays(F, "ratios", lambda v: subspace.collapse_figure(TT, v, RR, TT + 0.1), RR)
arrays(F, "ratios_theory", lambda v: subspace.collapse_figure(TT, RR, v, TT + 0.1), RR)
arrays(F, "bound", lambda v: subspace.collapse_figure(TT, RR, RR, v), TT + 0.1)
add(F, "ratios: one row per time", lambda: subspace.collapse_figure(TT, RR[:2], RR, TT + 0.1), ValueError,
    r"ratios.*one row per time")
add(F, "ratios_theory: another shape than ratios", lambda: subspace.collapse_figure(TT, RR, RR[:, :1], TT + 0.1),
    ValueError, r"ratios_theory must have the shape of ratios")
add(F, "bound: one value per time", lambda: subspace.collapse_figure(TT, RR, RR, TT[:2]), ValueError,
    r"bound must have one value per time")
F = "figures.subspace.angles_figure"
TM = np.array([[1.0, 0.5], [0.5, 0.2], [0.2, 0.1]])
arrays(F, "t", lambda v: subspace.angles_figure(v, TM, TM, 1.0, TT), TT)
arrays(F, "tan_measured", lambda v: subspace.angles_figure(TT, v, TM, 1.0, TT), TM)
arrays(F, "tan_theory", lambda v: subspace.angles_figure(TT, TM, v, 1.0, TT), TM)
arrays(F, "projector_error", lambda v: subspace.angles_figure(TT, TM, TM, 1.0, v), TT)
floats(F, "rate", lambda v: subspace.angles_figure(TT, TM, TM, v, TT))
add(F, "tan_measured: one row per time", lambda: subspace.angles_figure(TT, TM[:2], TM, 1.0, TT), ValueError,
    r"tan_measured.*one row per time")
add(F, "tan_theory: another shape", lambda: subspace.angles_figure(TT, TM, TM[:, :1], 1.0, TT), ValueError,
    r"tan_theory must have the shape of tan_measured")
add(F, "projector_error: one value per time", lambda: subspace.angles_figure(TT, TM, TM, 1.0, TT[:2]), ValueError,
    r"projector_error must have one value per time")
F = "figures.subspace.width_gap_figure"
WD = np.array([10.0, 20.0, 40.0])
GAPS = np.array([[0.3, 0.31], [0.2, 0.21], [0.15, 0.14]])
arrays(F, "widths", lambda v: subspace.width_gap_figure(v, GAPS, GAPS, -0.5, -0.5), WD)
arrays(F, "trajectory_gap", lambda v: subspace.width_gap_figure(WD, v, GAPS, -0.5, -0.5), GAPS)
add(F, "gap_slope NaN", lambda: subspace.width_gap_figure(WD, GAPS, GAPS, float("nan"), -0.5), ValueError,
    r"gap_slope must be a finite")
add(F, "kernel_error_slope a string", lambda: subspace.width_gap_figure(WD, GAPS, GAPS, -0.5, "x"), TypeError,
    r"kernel_error_slope must be a real")
F = "figures.subspace.kernel_change_figure"
CC = np.array([0.3, 0.2, 0.15])
arrays(F, "widths", lambda v: subspace.kernel_change_figure(v, CC, -0.5, GAPS, -0.5, 0.1), WD)
arrays(F, "constrained_change", lambda v: subspace.kernel_change_figure(WD, v, -0.5, GAPS, -0.5, 0.1), CC)
arrays(F, "bt_change", lambda v: subspace.kernel_change_figure(WD, CC, -0.5, v, -0.5, 0.1), GAPS)
floats(F, "change_limit", lambda v: subspace.kernel_change_figure(WD, CC, -0.5, GAPS, -0.5, v), allow_zero=True)
add(F, "constrained_slope inf", lambda: subspace.kernel_change_figure(WD, CC, float("inf"), GAPS, -0.5, 0.1),
    ValueError, r"constrained_slope must be a finite")
add(F, "bt_slope a string", lambda: subspace.kernel_change_figure(WD, CC, -0.5, GAPS, "x", 0.1), TypeError,
    r"bt_slope must be a real")
add(F, "constrained_change of another length than widths",
    lambda: subspace.kernel_change_figure(WD, CC[:2], -0.5, GAPS, -0.5, 0.1), ValueError, r"constrained_change")
F = "figures.subspace.frozen_kernel_figure"
FR = np.array([1.0, 0.5, 0.25])
WIN = np.array([0.0, 1.0])
arrays(F, "t", lambda v: subspace.frozen_kernel_figure(v, FR, RR, 1.0, WIN, FR), TT)
arrays(F, "frozen_ratio", lambda v: subspace.frozen_kernel_figure(TT, v, RR, 1.0, WIN, FR), FR)
arrays(F, "exact_ratios", lambda v: subspace.frozen_kernel_figure(TT, FR, v, 1.0, WIN, FR), RR)
arrays(F, "window", lambda v: subspace.frozen_kernel_figure(TT, FR, RR, 1.0, v, FR), WIN)
arrays(F, "norm_growth", lambda v: subspace.frozen_kernel_figure(TT, FR, RR, 1.0, WIN, v), FR)
floats(F, "rate_predicted", lambda v: subspace.frozen_kernel_figure(TT, FR, RR, v, WIN, FR))
add(F, "window: three values", lambda: subspace.frozen_kernel_figure(TT, FR, RR, 1.0, np.ones(3), FR), ValueError,
    r"window must be a pair \(start, end\)")
add(F, "window: end before start", lambda: subspace.frozen_kernel_figure(TT, FR, RR, 1.0, WIN[::-1], FR), ValueError,
    r"window must be a pair \(start, end\)")
add(F, "window: start after the last time", lambda: subspace.frozen_kernel_figure(TT, FR, RR, 1.0, WIN + 5, FR),
    ValueError, r"window must start within t")
add(F, "frozen_ratio: one value per time", lambda: subspace.frozen_kernel_figure(TT, FR[:2], RR, 1.0, WIN, FR),
    ValueError, r"frozen_ratio, norm_growth and exact_ratios must have one row per time")

# ------------------------------------------------------------------------------------------------ grassmann
S5 = grassmann.spectrum_matrix(KEY, np.array([1.0, 0.8, 0.3, 0.2, 0.1]))
W05 = grassmann.random_orthonormal(KEY, 2, 5)
XA = RNG.standard_normal((4, 3))
XB = XA + 0.1 * RNG.standard_normal((4, 3))
TIMES = np.array([0.0, 0.5, 1.0])
gr = grassmann
F = "grassmann.check_orthonormal_rows"
arrays(F, "w", lambda v: gr.check_orthonormal_rows("w", v), W05)
add(F, "w not orthonormal", lambda: gr.check_orthonormal_rows("w", 2 * W05), ValueError, r"w must have orthonormal")
add(F, "w with d = m", lambda: gr.check_orthonormal_rows("w", np.eye(3)), ValueError, r"w.shape\[0\]")
add(F, "name a number", lambda: gr.check_orthonormal_rows(3, W05), TypeError, r"name must be a string")
floats(F, "tol", lambda v: gr.check_orthonormal_rows("w", W05, tol=v))
for F, fn in (("grassmann.closed_form_tangents", gr.closed_form_tangents), ("grassmann.oja_closed_form",
                                                                            gr.oja_closed_form)):
    arrays(F, "w0", lambda v, fn=fn: fn(v, S5, TIMES), W05)
    arrays(F, "s", lambda v, fn=fn: fn(W05, v, TIMES), S5)
    arrays(F, "times", lambda v, fn=fn: fn(W05, S5, v), TIMES)
    add(F, "times negative", lambda fn=fn: fn(W05, S5, -TIMES), ValueError, r"times must be non-negative")
    add(F, "s not symmetric", lambda fn=fn: fn(W05, S5 + np.triu(np.ones((5, 5)), 1), TIMES), ValueError,
        r"s must be symmetric")
    add(F, "w0 of another width than s", lambda fn=fn: fn(W05[:, :4], S5, TIMES), ValueError, r"w0 must have 5 columns")
    add(F, "w0 not orthonormal", lambda fn=fn: fn(2 * W05, S5, TIMES), ValueError, r"w0 must have orthonormal")
F = "grassmann.unconstrained_closed_form"
arrays(F, "w0", lambda v: gr.unconstrained_closed_form(v, S5, TIMES), W05)
arrays(F, "s", lambda v: gr.unconstrained_closed_form(W05, v, TIMES), S5)
arrays(F, "times", lambda v: gr.unconstrained_closed_form(W05, S5, v), TIMES)
add(F, "times: overflow of exp(2 S t)", lambda: gr.unconstrained_closed_form(W05, S5, np.array([0.0, 1e4])),
    ValueError, r"times")
F = "grassmann.centred_operator_identity_error"
arrays(F, "x", lambda v: gr.centred_operator_identity_error(v, XB), XA)
arrays(F, "x_prime", lambda v: gr.centred_operator_identity_error(XA, v), XB)
add(F, "x_prime: another shape", lambda: gr.centred_operator_identity_error(XA, XB[:3]), ValueError, r"x_prime")
F = "grassmann.trace_form_error"
arrays(F, "x", lambda v: gr.trace_form_error(v, XB, W05[:, :3]), XA)
arrays(F, "w", lambda v: gr.trace_form_error(XA, XB, v), W05[:, :3])
add(F, "w: wrong width", lambda: gr.trace_form_error(XA, XB, W05), ValueError, r"w must have 3 columns")
F = "grassmann.ssl_matrix"
arrays(F, "x", lambda v: gr.ssl_matrix(v, XB, "contrastive"), XA)
arrays(F, "x_prime", lambda v: gr.ssl_matrix(XA, v, "contrastive"), XB)
choices(F, "loss", lambda v: gr.ssl_matrix(XA, XB, v))
F = "grassmann.pair_weights"
ints(F, "n_pairs", lambda v: gr.pair_weights(v, "contrastive"), minimum=2)
choices(F, "loss", lambda v: gr.pair_weights(4, v))
F = "grassmann.reduced_matrix"
K8 = np.eye(8) + 0.1
arrays(F, "k", lambda v: gr.reduced_matrix(v, 4, "contrastive"), K8)
ints(F, "n_pairs", lambda v: gr.reduced_matrix(K8, v, "contrastive"), minimum=2)
choices(F, "loss", lambda v: gr.reduced_matrix(K8, 4, v))
add(F, "k not PSD", lambda: gr.reduced_matrix(-K8, 4, "contrastive"), ValueError, rf"k {PSD}")
F = "grassmann.fit_rate"
TAN = np.array([[1.0], [0.5], [0.25]])
arrays(F, "times", lambda v: gr.fit_rate(v, TAN), TIMES)
arrays(F, "tangents", lambda v: gr.fit_rate(TIMES, v), TAN)
add(F, "tangents zero", lambda: gr.fit_rate(TIMES, 0 * TAN), ValueError, r"tangents must be positive")
for F, fn in (("grassmann.grassmann_descent", gr.grassmann_descent), ("grassmann.unconstrained_descent",
                                                                      gr.unconstrained_descent)):
    arrays(F, "w0", lambda v, fn=fn: fn(v, S5, 0.1, 3), W05)
    arrays(F, "s", lambda v, fn=fn: fn(W05, v, 0.1, 3), S5)
    floats(F, "lr", lambda v, fn=fn: fn(W05, S5, v, 3))
    ints(F, "steps", lambda v, fn=fn: fn(W05, S5, 0.1, v))
    ints(F, "record_every", lambda v, fn=fn: fn(W05, S5, 0.1, 3, record_every=v))
    add(F, "steps absurd (10^12)", lambda fn=fn: fn(W05, S5, 0.1, 10 ** 12), ValueError, r"steps")
choices("grassmann.grassmann_descent", "retraction", lambda v: gr.grassmann_descent(W05, S5, 0.1, 3, retraction=v))
F = "grassmann.grassmann_descent_batch"
W0S, SS = np.stack([W05, W05]), np.stack([S5, S5])
arrays(F, "w0s", lambda v: gr.grassmann_descent_batch(v, SS, 0.1, 3), W0S)
arrays(F, "ss", lambda v: gr.grassmann_descent_batch(W0S, v, 0.1, 3), SS)
add(F, "w0s[1] not orthonormal (named w0s[1], not w0)",
    lambda: gr.grassmann_descent_batch(np.stack([W05, 2 * W05]), SS, 0.1, 3), ValueError, r"w0s\[1\]")
add(F, "ss[0] not symmetric", lambda: gr.grassmann_descent_batch(W0S, SS + np.triu(np.ones((5, 5)), 1), 0.1, 3),
    ValueError, r"ss\[0\]")
floats(F, "lr", lambda v: gr.grassmann_descent_batch(W0S, SS, v, 3))
ints(F, "steps", lambda v: gr.grassmann_descent_batch(W0S, SS, 0.1, v))
choices(F, "retraction", lambda v: gr.grassmann_descent_batch(W0S, SS, 0.1, 3, retraction=v))
F = "grassmann.riemannian_descent"
arrays(F, "w0", lambda v: gr.riemannian_descent(gr.trace_loss, v, 0.1, 3, args=(S5,)), W05)
add(F, "loss not callable", lambda: gr.riemannian_descent("trace", W05, 0.1, 3, args=(S5,)), TypeError,
    r"loss must be callable")
add(F, "loss unhashable and not callable", lambda: gr.riemannian_descent([1], W05, 0.1, 3), TypeError,
    r"loss must be callable")
floats(F, "lr", lambda v: gr.riemannian_descent(gr.trace_loss, W05, v, 3, args=(S5,)))
ints(F, "steps", lambda v: gr.riemannian_descent(gr.trace_loss, W05, 0.1, v, args=(S5,)))
add(F, "args not a sequence", lambda: gr.riemannian_descent(gr.trace_loss, W05, 0.1, 3, args=S5), TypeError, r"args")
choices(F, "retraction", lambda v: gr.riemannian_descent(gr.trace_loss, W05, 0.1, 3, args=(S5,), retraction=v))
F = "grassmann.riemannian_step"
add(F, "loss not callable", lambda: gr.riemannian_step(3), TypeError, r"loss must be callable")
add(F, "loss a list (unhashable)", lambda: gr.riemannian_step([gr.trace_loss]), TypeError, r"loss must be callable")
choices(F, "retraction", lambda v: gr.riemannian_step(gr.trace_loss, v))
add(F, "loss NaN", lambda: gr.riemannian_step(float("nan")), TypeError, r"loss must be callable")
F = "grassmann.oja_step"
choices(F, "retraction", lambda v: gr.oja_step(v))
add(F, "retraction NaN", lambda: gr.oja_step(np.nan), ValueError, r"retraction must be one of")
F = "grassmann.retract"
arrays(F, "w", lambda v: gr.retract(v), 2 * W05)
choices(F, "retraction", lambda v: gr.retract(W05, v))
add(F, "w rank-deficient", lambda: gr.retract(np.ones((2, 5))), ValueError, r"w must have full row rank")
F = "grassmann.row_projector"
arrays(F, "w", lambda v: gr.row_projector(v), W05, shape=False)
add(F, "w rank-deficient (a rank-2 projector before)", lambda: gr.row_projector(np.ones((2, 5))), ValueError,
    r"w must have full row rank")
add(F, "w a 1-D vector", lambda: gr.row_projector(np.ones(5)), ValueError, r"w must be")
F = "grassmann.orthonormality_error"
arrays(F, "ws", lambda v: gr.orthonormality_error(v), W05, shape=False)
add(F, "ws a 1-D vector (wrong shape)", lambda: gr.orthonormality_error(np.ones(5)), ValueError, r"ws must be")
F = "grassmann.normalised_singular_values"
arrays(F, "ws", lambda v: gr.normalised_singular_values(v), W05[None])
add(F, "ws holds a zero matrix", lambda: gr.normalised_singular_values(np.zeros((1, 2, 5))), ValueError,
    r"ws contains a zero matrix")
F = "grassmann.predicted_rate"
arrays(F, "s", lambda v: gr.predicted_rate(v, 2), S5)
ints(F, "d", lambda v: gr.predicted_rate(S5, v))
add(F, "d = m", lambda: gr.predicted_rate(S5, 5), ValueError, r"d must be at least 1 and at most 4")
add(F, "s without an eigengap at d", lambda: gr.predicted_rate(np.eye(5), 2), ValueError, r"s has no eigengap")
F = "grassmann.top_eigenspace"
arrays(F, "s", lambda v: gr.top_eigenspace(v, 2), S5)
ints(F, "d", lambda v: gr.top_eigenspace(S5, v))
add(F, "s without an eigengap at d (top space not unique)", lambda: gr.top_eigenspace(np.eye(5), 2), ValueError,
    r"s has no eigengap")
F = "grassmann.spectrum_matrix"
keys(F, lambda v: gr.spectrum_matrix(v, np.array([1.0, 0.5])))
arrays(F, "eigenvalues", lambda v: gr.spectrum_matrix(KEY, v), np.array([1.0, 0.5]))
add(F, "eigenvalues: one value", lambda: gr.spectrum_matrix(KEY, np.array([1.0])), ValueError,
    r"eigenvalues must hold at least 2")
F = "grassmann.random_orthonormal"
keys(F, lambda v: gr.random_orthonormal(v, 2, 5))
ints(F, "d", lambda v: gr.random_orthonormal(KEY, v, 5))
ints(F, "m", lambda v: gr.random_orthonormal(KEY, 2, v))
add(F, "d > m", lambda: gr.random_orthonormal(KEY, 6, 5), ValueError, r"d must be at least 1 and at most")
F = "grassmann.trace_loss"
arrays(F, "w", lambda v: gr.trace_loss(v, S5), W05)
arrays(F, "s", lambda v: gr.trace_loss(W05, v), S5)
add(F, "w of another width than s", lambda: gr.trace_loss(W05[:, :4], S5), ValueError, r"w must be \(d, m\)")
F = "grassmann.unconstrained_step"
arrays(F, "w", lambda v: gr.unconstrained_step(v, 0.1, S5), W05)
arrays(F, "s", lambda v: gr.unconstrained_step(W05, 0.1, v), S5)
floats(F, "lr", lambda v: gr.unconstrained_step(W05, v, S5))
F = "grassmann.readout_loss"
choices(F, "loss", lambda v: gr.readout_loss(v))
add(F, "loss a list (unhashable)", lambda: gr.readout_loss(["contrastive"]), ValueError, r"loss must be one of")
PHI = RNG.standard_normal((4, 6))
Y0 = gr.random_orthonormal(KEY, 2, 4)
F = "grassmann.span_initialisation"
arrays(F, "features", lambda v: gr.span_initialisation(v, Y0), PHI)
arrays(F, "y0", lambda v: gr.span_initialisation(PHI, v), Y0)
add(F, "features narrower than the views", lambda: gr.span_initialisation(PHI[:, :3], Y0), ValueError,
    r"features must have at least as many columns")
add(F, "y0: wrong number of columns", lambda: gr.span_initialisation(PHI, Y0[:, :3]), ValueError,
    r"y0 must have 4 columns")
W6 = gr.random_orthonormal(KEY, 2, 6)
F = "grassmann.network_gram"
arrays(F, "features", lambda v: gr.network_gram(v, W6), PHI)
arrays(F, "ws", lambda v: gr.network_gram(PHI, v), W6, shape=False)
add(F, "ws: wrong width", lambda: gr.network_gram(PHI, W6[:, :5]), ValueError, r"ws must be \(d, 6\)")
F = "grassmann.reduced_gram"
K4R = SPD
arrays(F, "k", lambda v: gr.reduced_gram(v, Y0), K4R)
arrays(F, "ys", lambda v: gr.reduced_gram(K4R, v), Y0, shape=False)
add(F, "k not PSD", lambda: gr.reduced_gram(-K4R, Y0), ValueError, rf"k {PSD}")
add(F, "ys: wrong width", lambda: gr.reduced_gram(K4R, Y0[:, :3]), ValueError, r"ys must be \(d, 4\)")
F = "grassmann.constrained_tangent_kernel"
arrays(F, "features", lambda v: gr.constrained_tangent_kernel(v, W6), PHI)
arrays(F, "w", lambda v: gr.constrained_tangent_kernel(PHI, v), W6)
F = "grassmann.collapse_experiment"
arrays(F, "w0", lambda v: gr.collapse_experiment(v, S5, 0.01), W05)
arrays(F, "s", lambda v: gr.collapse_experiment(W05, v, 0.01), S5)
floats(F, "lr", lambda v: gr.collapse_experiment(W05, S5, v))
floats(F, "target", lambda v: gr.collapse_experiment(W05, S5, 0.01, target=v))
floats(F, "record_time", lambda v: gr.collapse_experiment(W05, S5, 0.01, record_time=v))
add(F, "lr tiny (10^-12: 10^13 steps)", lambda: gr.collapse_experiment(W05, S5, 1e-12, record_time=1e-12), ValueError,
    r"lr|steps")
F = "grassmann.grassmann_experiment"
arrays(F, "w0", lambda v: gr.grassmann_experiment(v, S5, 0.01, 1.0), W05)
arrays(F, "s", lambda v: gr.grassmann_experiment(W05, v, 0.01, 1.0), S5)
floats(F, "lr", lambda v: gr.grassmann_experiment(W05, S5, v, 1.0))
floats(F, "horizon", lambda v: gr.grassmann_experiment(W05, S5, 0.01, v))
floats(F, "record_time", lambda v: gr.grassmann_experiment(W05, S5, 0.01, 1.0, record_time=v))
add(F, "horizon absurd (10^12 / lr steps)", lambda: gr.grassmann_experiment(W05, S5, 0.01, 1e12), ValueError,
    r"horizon")
F = "grassmann.rate_experiment"
keys(F, lambda v: gr.rate_experiment(v, np.array([0.1, 0.2]), 0.01))
arrays(F, "gaps", lambda v: gr.rate_experiment(KEY, v, 0.01), np.array([0.1, 0.2]))
add(F, "gaps above 0.4", lambda: gr.rate_experiment(KEY, np.array([0.5]), 0.01), ValueError, r"gaps must lie in")
floats(F, "lr", lambda v: gr.rate_experiment(KEY, np.array([0.1, 0.2]), v))
floats(F, "decay", lambda v: gr.rate_experiment(KEY, np.array([0.1, 0.2]), 0.01, decay=v))
floats(F, "record_time", lambda v: gr.rate_experiment(KEY, np.array([0.1, 0.2]), 0.01, record_time=v))
F = "grassmann.frozen_kernel_experiment"
KF = np.diag([3.0, 2.0, 1.0, 0.5]) + 0.0
arrays(F, "k", lambda v: gr.frozen_kernel_experiment(v, Y0), KF)
arrays(F, "y0", lambda v: gr.frozen_kernel_experiment(KF, v), Y0)
choices(F, "loss", lambda v: gr.frozen_kernel_experiment(KF, Y0, loss=v))
floats(F, "lr", lambda v: gr.frozen_kernel_experiment(KF, Y0, lr=v))
floats(F, "final_ratio", lambda v: gr.frozen_kernel_experiment(KF, Y0, final_ratio=v))
floats(F, "settle", lambda v: gr.frozen_kernel_experiment(KF, Y0, settle=v))
floats(F, "record_time", lambda v: gr.frozen_kernel_experiment(KF, Y0, record_time=v))
add(F, "k not PSD", lambda: gr.frozen_kernel_experiment(-KF, Y0), ValueError, rf"k {PSD}")
XS8 = RNG.standard_normal((8, 3))
Y8 = gr.random_orthonormal(KEY, 2, 8)
F = "grassmann.width_trajectory_gaps"
keys(F, lambda v: gr.width_trajectory_gaps(v, XS8, [16, 32], Y8, "contrastive"))
arrays(F, "x_stacked", lambda v: gr.width_trajectory_gaps(KEY, v, [16, 32], Y8, "contrastive"), XS8)
arrays(F, "y0", lambda v: gr.width_trajectory_gaps(KEY, XS8, [16, 32], v, "contrastive"), Y8)
add(F, "x_stacked odd rows", lambda: gr.width_trajectory_gaps(KEY, XS8[:7], [16, 32], Y8, "contrastive"), ValueError,
    r"x_stacked must hold 2n stacked views")
add(F, "widths one width", lambda: gr.width_trajectory_gaps(KEY, XS8, [16], Y8, "contrastive"), ValueError,
    r"widths must hold at least 2")
add(F, "widths a float", lambda: gr.width_trajectory_gaps(KEY, XS8, [16, 32.5], Y8, "contrastive"), TypeError,
    r"widths\[1\] must be an integer")
add(F, "widths a string", lambda: gr.width_trajectory_gaps(KEY, XS8, "16", Y8, "contrastive"), (TypeError, ValueError),
    r"widths")
choices(F, "loss", lambda v: gr.width_trajectory_gaps(KEY, XS8, [16, 32], Y8, v))
ints(F, "repeats", lambda v: gr.width_trajectory_gaps(KEY, XS8, [16, 32], Y8, "contrastive", repeats=v))
ints(F, "n_times", lambda v: gr.width_trajectory_gaps(KEY, XS8, [16, 32], Y8, "contrastive", n_times=v), minimum=2)
floats(F, "relaxation_times",
       lambda v: gr.width_trajectory_gaps(KEY, XS8, [16, 32], Y8, "contrastive", relaxation_times=v))
floats(F, "regime", lambda v: gr.width_trajectory_gaps(KEY, XS8, [16, 32], Y8, "contrastive", regime=v))
F = "grassmann.constrained_training_sweep"
keys(F, lambda v: gr.constrained_training_sweep(v, XS8, [16, 32], Y8, "contrastive", 0.01, 3, 1.0))
arrays(F, "x_stacked", lambda v: gr.constrained_training_sweep(KEY, v, [16, 32], Y8, "contrastive", 0.01, 3, 1.0), XS8)
add(F, "widths a float", lambda: gr.constrained_training_sweep(KEY, XS8, [16.0, 32], Y8, "contrastive", 0.01, 3, 1.0),
    TypeError, r"widths\[0\] must be an integer")
floats(F, "lr", lambda v: gr.constrained_training_sweep(KEY, XS8, [16, 32], Y8, "contrastive", v, 3, 1.0))
ints(F, "steps", lambda v: gr.constrained_training_sweep(KEY, XS8, [16, 32], Y8, "contrastive", 0.01, v, 1.0))
floats(F, "time_unit", lambda v: gr.constrained_training_sweep(KEY, XS8, [16, 32], Y8, "contrastive", 0.01, 3, v))
ints(F, "n_records", lambda v: gr.constrained_training_sweep(KEY, XS8, [16, 32], Y8, "contrastive", 0.01, 3, 1.0,
                                                              n_records=v))
F = "grassmann.probe_experiment"
XT = RNG.standard_normal((3, 3))
LP = np.array([0, 1, 0, 1])


def _gpe(x=XA, xp=XB, labels=LP, x_test=XT, labels_test=LABT, wide_pairs=4, d=2, specs=(("relu", 0.0),)):
    return gr.probe_experiment(KEY, x, xp, labels, x_test, labels_test, wide_pairs, d, kernel_specs=specs)


keys(F, lambda v: gr.probe_experiment(v, XA, XB, LP, XT, LABT, 4, 2))
arrays(F, "x", lambda v: _gpe(x=v), XA)
arrays(F, "x_test", lambda v: _gpe(x_test=v), XT)
arrays(F, "labels", lambda v: _gpe(labels=v), LP)
add(F, "labels float (truncated before)", lambda: _gpe(labels=LP + 0.5), TypeError, r"labels must hold integer")
add(F, "labels_test float", lambda: _gpe(labels_test=LABT + 0.5), TypeError, r"labels_test must hold integer")
ints(F, "wide_pairs", lambda v: _gpe(wide_pairs=v), minimum=2)
ints(F, "d", lambda v: _gpe(d=v))
add(F, "kernel_specs unknown activation", lambda: _gpe(specs=(("tanh", 0.0),)), ValueError,
    r"kernel_specs\[0\]\[0\] must be one of")
add(F, "kernel_specs bias NaN", lambda: _gpe(specs=(("relu", float("nan")),)), ValueError,
    r"kernel_specs\[0\]\[1\] must be a finite")
add(F, "kernel_specs a string", lambda: _gpe(specs="relu"), (TypeError, ValueError), r"kernel_specs")

# -------------------------------------------------------------------------------------------- induced_kernel
ik = induced_kernel
F = "induced_kernel.range_factor"
arrays(F, "gram", ik.range_factor, K6)
add(F, "gram negative definite", lambda: ik.range_factor(-K6), ValueError, rf"gram {PSD}")
add(F, "gram zero", lambda: ik.range_factor(np.zeros((6, 6))), ValueError, rf"gram {PSD}")
F = "induced_kernel.contrastive_target"
arrays(F, "adjacency", lambda v: ik.contrastive_target(v, 2), ADJ6)
ints(F, "d", lambda v: ik.contrastive_target(ADJ6, v))
add(F, "d above N", lambda: ik.contrastive_target(ADJ6, 7), ValueError, r"d must be at least 1 and at most 6")
floats(F, "ridge", lambda v: ik.contrastive_target(ADJ6, 2, ridge=v, factor=FAC6), allow_zero=True)
add(F, "ridge > 0 without factor", lambda: ik.contrastive_target(ADJ6, 2, ridge=0.1), ValueError,
    r"factor .* is required when ridge > 0")
add(F, "factor a matrix (not a factor)", lambda: ik.contrastive_target(ADJ6, 2, ridge=0.1, factor=K6), TypeError,
    r"factor must be a GramFactor")
add(F, "factor of another size", lambda: ik.contrastive_target(ADJ6, 2, ridge=0.1, factor=linalg.factor_gram(SPD)),
    ValueError, r"factor must be for 6 training points")
F = "induced_kernel.contrastive_spectrum"
arrays(F, "adjacency", lambda v: ik.contrastive_spectrum(v), ADJ6)
floats(F, "ridge", lambda v: ik.contrastive_spectrum(ADJ6, ridge=v, factor=FAC6), allow_zero=True)
ints(F, "n_top", lambda v: ik.contrastive_spectrum(ADJ6, n_top=v))
add(F, "n_top above N", lambda: ik.contrastive_spectrum(ADJ6, n_top=7), ValueError, r"n_top must be at least 1 and")
F = "induced_kernel.non_contrastive_target"
arrays(F, "adjacency", lambda v: ik.non_contrastive_target(v, 2), ADJ6)
ints(F, "d", lambda v: ik.non_contrastive_target(ADJ6, v))
floats(F, "ridge", lambda v: ik.non_contrastive_target(ADJ6, 2, ridge=v, factor=FAC6), allow_zero=True)
flags(F, "centre", lambda v: ik.non_contrastive_target(ADJ6, 2, centre=v))
F = "induced_kernel.non_contrastive_is_unique"
arrays(F, "adjacency", lambda v: ik.non_contrastive_is_unique(v, 2), ADJ6)
ints(F, "d", lambda v: ik.non_contrastive_is_unique(ADJ6, v))
floats(F, "rtol", lambda v: ik.non_contrastive_is_unique(ADJ6, 2, rtol=v))
flags(F, "centre", lambda v: ik.non_contrastive_is_unique(ADJ6, 2, centre=v))
F = "induced_kernel.penalised_non_contrastive_target"
arrays(F, "adjacency", lambda v: ik.penalised_non_contrastive_target(v, 2, 1.0), ADJ6)
ints(F, "d", lambda v: ik.penalised_non_contrastive_target(ADJ6, v, 1.0))
floats(F, "penalty", lambda v: ik.penalised_non_contrastive_target(ADJ6, 2, v))
floats(F, "ridge", lambda v: ik.penalised_non_contrastive_target(ADJ6, 2, 1.0, ridge=v, factor=FAC6),
       allow_zero=True)
F = "induced_kernel.representation_from_target"
TGT = ik.contrastive_target(ADJ6, 2)
arrays(F, "target", lambda v: ik.representation_from_target(v, 2), TGT)
ints(F, "d", lambda v: ik.representation_from_target(TGT, v))
floats(F, "rtol", lambda v: ik.representation_from_target(TGT, 2, rtol=v))
add(F, "target negative definite", lambda: ik.representation_from_target(-K6, 2), ValueError,
    rf"target {PSD}")
add(F, "target rank above d", lambda: ik.representation_from_target(K6, 2), ValueError, r"target has rank above d")
F = "induced_kernel.coefficients"
REP = ik.representation_from_target(TGT, 2)
arrays(F, "representation", lambda v: ik.coefficients(FAC6, v), REP)
add(F, "factor a matrix", lambda: ik.coefficients(K6, REP), TypeError, r"factor must be a GramFactor")
add(F, "representation: wrong rows", lambda: ik.coefficients(FAC6, REP[:4]), ValueError, r"representation|rhs")
F = "induced_kernel.embed"
B6 = ik.coefficients(FAC6, REP)
arrays(F, "coeffs", lambda v: ik.embed(v, CROSS6), B6)
arrays(F, "cross", lambda v: ik.embed(B6, v), CROSS6)
add(F, "cross: wrong columns", lambda: ik.embed(B6, CROSS6[:, :5]), ValueError, r"cross must have 6 columns")
F = "induced_kernel.induced_kernel"
arrays(F, "target", lambda v: ik.induced_kernel(FAC6, v, CROSS6), TGT)
arrays(F, "cross_left", lambda v: ik.induced_kernel(FAC6, TGT, v), CROSS6)
arrays(F, "cross_right", lambda v: ik.induced_kernel(FAC6, TGT, CROSS6, v), CROSS6)
add(F, "factor a matrix", lambda: ik.induced_kernel(K6, TGT, CROSS6), TypeError, r"factor must be a GramFactor")
add(F, "target of another size", lambda: ik.induced_kernel(FAC6, SPD, CROSS6), ValueError, r"target must be 6 x 6")
F = "induced_kernel.induced_features"
VALS, VECS = ik.contrastive_spectrum(ADJ6)
arrays(F, "values", lambda v: ik.induced_features(FAC6, v, VECS, CROSS6, 2), VALS)
arrays(F, "vectors", lambda v: ik.induced_features(FAC6, VALS, v, CROSS6, 2), VECS)
arrays(F, "cross", lambda v: ik.induced_features(FAC6, VALS, VECS, v, 2), CROSS6)
ints(F, "d", lambda v: ik.induced_features(FAC6, VALS, VECS, CROSS6, v))
add(F, "factor a matrix", lambda: ik.induced_features(K6, VALS, VECS, CROSS6, 2), TypeError,
    r"factor must be a GramFactor")
for F, fn in (("induced_kernel.kernel_metric_step", ik.kernel_metric_step),
              ("induced_kernel.identity_metric_step", ik.identity_metric_step),
              ("induced_kernel.loss_and_coefficients", ik.loss_and_coefficients)):
    choices(F, "loss", fn)
    add(F, "loss a list (unhashable)", lambda fn=fn: fn(["contrastive"]), ValueError, r"loss must be one of")
F = "induced_kernel.stable_learning_rate"
arrays(F, "gram", lambda v: ik.stable_learning_rate(v, ADJ6), K6)
arrays(F, "adjacency", lambda v: ik.stable_learning_rate(K6, v), ADJ6)
add(F, "adjacency with no edges (inf before)", lambda: ik.stable_learning_rate(K6, EMPTY6), ValueError,
    r"adjacency has no edges")
add(F, "gram negative definite (a negative lr before)", lambda: ik.stable_learning_rate(-K6, ADJ6), ValueError,
    rf"gram {PSD}")
add(F, "gram of another size than adjacency", lambda: ik.stable_learning_rate(SPD, ADJ6), ValueError,
    r"adjacency must be 4 x 4")
choices(F, "loss", lambda v: ik.stable_learning_rate(K6, ADJ6, loss=v))
choices(F, "metric", lambda v: ik.stable_learning_rate(K6, ADJ6, metric=v))
floats(F, "penalty", lambda v: ik.stable_learning_rate(K6, ADJ6, penalty=v))
floats(F, "ridge", lambda v: ik.stable_learning_rate(K6, ADJ6, ridge=v), allow_zero=True)
F = "induced_kernel.train_kernel_model"
keys(F, lambda v: ik.train_kernel_model(v, K6, ADJ6, 2, steps=3))
arrays(F, "gram", lambda v: ik.train_kernel_model(KEY, v, ADJ6, 2, steps=3), K6)
arrays(F, "adjacency", lambda v: ik.train_kernel_model(KEY, K6, v, 2, steps=3), ADJ6)
add(F, "gram negative definite", lambda: ik.train_kernel_model(KEY, -K6, ADJ6, 2, steps=3), ValueError,
    rf"gram {PSD}")
add(F, "adjacency with no edges", lambda: ik.train_kernel_model(KEY, K6, EMPTY6, 2, steps=3), ValueError,
    r"adjacency has no edges")
ints(F, "d", lambda v: ik.train_kernel_model(KEY, K6, ADJ6, v, steps=3))
ints(F, "steps", lambda v: ik.train_kernel_model(KEY, K6, ADJ6, 2, steps=v))
add(F, "steps absurd (10^12)", lambda: ik.train_kernel_model(KEY, K6, ADJ6, 2, steps=10 ** 12), ValueError, r"steps")
floats(F, "lr", lambda v: ik.train_kernel_model(KEY, K6, ADJ6, 2, steps=3, lr=v))
floats(F, "alpha", lambda v: ik.train_kernel_model(KEY, K6, ADJ6, 2, steps=3, alpha=v))
floats(F, "ridge", lambda v: ik.train_kernel_model(KEY, K6, ADJ6, 2, steps=3, ridge=v), allow_zero=True)
floats(F, "penalty", lambda v: ik.train_kernel_model(KEY, K6, ADJ6, 2, steps=3, penalty=v))
choices(F, "loss", lambda v: ik.train_kernel_model(KEY, K6, ADJ6, 2, steps=3, loss=v))
F = "induced_kernel.block_ratio"
arrays(F, "kernel", lambda v: ik.block_ratio(v, G6), K6)
arrays(F, "groups", lambda v: ik.block_ratio(K6, v), G6)
add(F, "groups float labels", lambda: ik.block_ratio(K6, G6 + 0.5), TypeError, r"groups must hold integer")
add(F, "groups one per row", lambda: ik.block_ratio(K6, G6[:4]), ValueError, r"groups must have one label per row")
add(F, "groups a single group", lambda: ik.block_ratio(K6, np.zeros(6, int)), ValueError,
    r"groups must contain at least")
add(F, "kernel not square", lambda: ik.block_ratio(K6[:4], G6), ValueError, r"kernel must be square")
F = "induced_kernel.base_gram"
choices(F, "kind", lambda v: ik.base_gram(v, PTS6, PTS6, gamma=1.0))
arrays(F, "x1", lambda v: ik.base_gram("ntk", v, PTS6), PTS6)
arrays(F, "x2", lambda v: ik.base_gram("rbf", PTS6, v, gamma=1.0), PTS6)
add(F, "x1 and x2 of other dimensions", lambda: ik.base_gram("ntk", PTS6, PTS6[:, :2]), ValueError,
    r"x1 and x2 must have the same input dimension")
add(F, "rbf without gamma", lambda: ik.base_gram("rbf", PTS6, PTS6), ValueError, r"gamma is required")
floats(F, "gamma", lambda v: ik.base_gram("rbf", PTS6, PTS6, gamma=v))
F = "induced_kernel.induced_gram"
K8I = RNG.standard_normal((8, 8))
K8I = K8I @ K8I.T + np.eye(8)
TR = np.arange(6)
arrays(F, "gram", lambda v: ik.induced_gram(v, TR, ADJ6, 2), K8I)
arrays(F, "adjacency", lambda v: ik.induced_gram(K8I, TR, v, 2), ADJ6)
add(F, "train float indices", lambda: ik.induced_gram(K8I, TR + 0.5, ADJ6, 2), TypeError, r"train must hold integer")
add(F, "train a string", lambda: ik.induced_gram(K8I, "abc", ADJ6, 2), TypeError, r"train must")
add(F, "train out of range", lambda: ik.induced_gram(K8I, TR + 5, ADJ6, 2), ValueError, r"train must hold distinct")
add(F, "train 2-D", lambda: ik.induced_gram(K8I, TR[None], ADJ6, 2), ValueError, r"train must be a non-empty 1-D")
ints(F, "d", lambda v: ik.induced_gram(K8I, TR, ADJ6, v))
choices(F, "loss", lambda v: ik.induced_gram(K8I, TR, ADJ6, 2, loss=v))
floats(F, "ridge", lambda v: ik.induced_gram(K8I, TR, ADJ6, 2, ridge=v), allow_zero=True)
floats(F, "jitter", lambda v: ik.induced_gram(K8I, TR, ADJ6, 2, jitter=v), allow_zero=True)
add(F, "gram negative definite (names gram, not jitter)", lambda: ik.induced_gram(-K8I, TR, ADJ6, 2, ridge=0.1),
    ValueError, rf"gram {PSD}")
F = "induced_kernel.descent_to_closed_form"
CR2 = RNG.standard_normal((2, 6))


def _dcf(key=KEY, gram=K6, cross=CR2, adj=ADJ6, target=TGT, d=2, **kw):
    return ik.descent_to_closed_form(key, gram, cross, adj, target, d, steps=kw.pop("steps", 3), **kw)


keys(F, lambda v: _dcf(key=v))
arrays(F, "gram", lambda v: _dcf(gram=v), K6)
arrays(F, "cross", lambda v: _dcf(cross=v), CR2)
arrays(F, "adjacency", lambda v: _dcf(adj=v), ADJ6)
arrays(F, "target", lambda v: _dcf(target=v), TGT)
ints(F, "d", lambda v: _dcf(d=v))
ints(F, "steps", lambda v: _dcf(steps=v))
floats(F, "alpha", lambda v: _dcf(alpha=v))
floats(F, "ridge", lambda v: _dcf(ridge=v), allow_zero=True)
floats(F, "penalty", lambda v: _dcf(penalty=v))
choices(F, "loss", lambda v: _dcf(loss=v))
add(F, "gram negative definite", lambda: _dcf(gram=-K6), ValueError, rf"gram {PSD}")
F = "induced_kernel.view_panel"
VIEWS = RNG.standard_normal((4, 3, 5))
LAB4 = np.array([0, 1, 0, 1])
arrays(F, "views", lambda v: ik.view_panel(v, LAB4, 1), VIEWS)
arrays(F, "labels", lambda v: ik.view_panel(VIEWS, v, 1), LAB4)
ints(F, "n_fresh", lambda v: ik.view_panel(VIEWS, LAB4, v))
add(F, "n_fresh = all views", lambda: ik.view_panel(VIEWS, LAB4, 3), ValueError, r"n_fresh must be at least 1 and")
add(F, "labels float", lambda: ik.view_panel(VIEWS, LAB4 + 0.5, 1), TypeError, r"labels must hold integer")
add(F, "labels one per source", lambda: ik.view_panel(VIEWS, LAB4[:3], 1), ValueError, r"labels must hold one label")
F = "induced_kernel.held_out_kernels"
PANEL = ik.view_panel(VIEWS, LAB4, 1)
add(F, "panel a dict", lambda: ik.held_out_kernels({}, "ntk", 2, 2), TypeError, r"panel must be a ViewPanel")
choices(F, "kind", lambda v: ik.held_out_kernels(PANEL, v, 2, 2))
ints(F, "n_views", lambda v: ik.held_out_kernels(PANEL, "ntk", v, 2), minimum=2)
ints(F, "d", lambda v: ik.held_out_kernels(PANEL, "ntk", 2, v))
floats(F, "ridge", lambda v: ik.held_out_kernels(PANEL, "ntk", 2, 2, ridge=v), allow_zero=True)
F = "induced_kernel.probe_sweep"
LT6 = np.array([0, 0, 1, 1, 0, 0])


def _ps(gram=K6, cross=CROSS6, groups=G6, labels=LT6, labels_test=LABT, n_labelled=2, dims=(1, 2), ridge=0.1,
        probe_ridge=0.1):
    return ik.probe_sweep(gram, cross, groups, labels, labels_test, n_labelled, dims, ridge, probe_ridge)


arrays(F, "gram", lambda v: _ps(gram=v), K6)
arrays(F, "cross_test", lambda v: _ps(cross=v), CROSS6)
arrays(F, "groups", lambda v: _ps(groups=v), G6)
arrays(F, "labels", lambda v: _ps(labels=v), LT6)
arrays(F, "labels_test", lambda v: _ps(labels_test=v), LABT)
add(F, "labels float (truncated before)", lambda: _ps(labels=LT6 + 0.5), TypeError, r"labels must hold integer")
add(F, "groups float", lambda: _ps(groups=G6 + 0.5), ValueError, r"groups must hold one integer group label")
ints(F, "n_labelled", lambda v: _ps(n_labelled=v))
add(F, "dims a float", lambda: _ps(dims=(1, 2.5)), TypeError, r"dims\[1\] must be an integer")
add(F, "dims empty", lambda: _ps(dims=()), ValueError, r"dims must")
floats(F, "ridge", lambda v: _ps(ridge=v), allow_zero=True)
floats(F, "probe_ridge", lambda v: _ps(probe_ridge=v))
add(F, "gram negative definite", lambda: _ps(gram=-K6), ValueError, rf"gram {PSD}")
VIEWS6 = RNG.standard_normal((6, 3, 5))
LABV6 = np.array([0, 1, 0, 1, 0, 1])
for F, fn in (("induced_kernel.probe_experiment", ik.probe_experiment), ("induced_kernel.select_probes",
                                                                        ik.select_probes)):
    extra = {} if fn is ik.probe_experiment else {"n_folds": 2}
    last = 0.1 if fn is ik.probe_experiment else (0.1, 1.0)
    def call(kind="ntk", views=VIEWS6, labels=LABV6, n_ssl=4, n_views=2, n_labelled=2, dims=(1, 2), ridge=0.1,
             last=last, fn=fn, extra=extra):
        return fn(kind, views, labels, n_ssl, n_views, n_labelled, dims, ridge, last, **extra)


    choices(F, "kind", lambda v, call=call: call(kind=v))
    arrays(F, "views", lambda v, call=call: call(views=v), VIEWS6)
    arrays(F, "labels", lambda v, call=call: call(labels=v), LABV6)
    add(F, "labels float", lambda call=call: call(labels=LABV6 + 0.5), TypeError, r"labels must hold integer")
    ints(F, "n_ssl", lambda v, call=call: call(n_ssl=v), minimum=2)
    ints(F, "n_views", lambda v, call=call: call(n_views=v), minimum=2)
    ints(F, "n_labelled", lambda v, call=call: call(n_labelled=v))
    add(F, "dims a float", lambda call=call: call(dims=(1.5,)), TypeError, r"dims\[0\] must be an integer")
    floats(F, "ridge", lambda v, call=call: call(ridge=v), allow_zero=True)
floats("induced_kernel.probe_experiment", "probe_ridge",
       lambda v: ik.probe_experiment("ntk", VIEWS6, LABV6, 4, 2, 2, (1, 2), 0.1, v))
add("induced_kernel.select_probes", "probe_ridges NaN",
    lambda: ik.select_probes("ntk", VIEWS6, LABV6, 4, 2, 2, (1, 2), 0.1, (0.1, float("nan")), n_folds=2), ValueError,
    r"probe_ridges\[1\] must be a finite")
add("induced_kernel.select_probes", "probe_ridges a string",
    lambda: ik.select_probes("ntk", VIEWS6, LABV6, 4, 2, 2, (1, 2), 0.1, "0.1", n_folds=2), (TypeError, ValueError),
    r"probe_ridges")
ints("induced_kernel.select_probes", "n_folds",
     lambda v: ik.select_probes("ntk", VIEWS6, LABV6, 4, 2, 2, (1, 2), 0.1, (0.1, 1.0), n_folds=v), minimum=2)
add("induced_kernel.select_probes", "ridge 0 (says why: not the minimum-norm limit here)",
    lambda: ik.select_probes("ntk", VIEWS6, LABV6, 4, 2, 2, (1, 2), 0.0, (0.1, 1.0), n_folds=2), ValueError,
    r"ridge must be a finite number > 0 here, got 0: .*minimum-norm")
add("induced_kernel.degenerate_experiment", "ridge 0 (says why)",
    lambda: ik.degenerate_experiment(KEY, K6, G6, 1, 2, 3, ridge=0.0), ValueError,
    r"ridge must be a finite number > 0 here, got 0: it is the ridge of the regularised runs")
F = "induced_kernel.class_heatmaps"


def _ch(kind="ntk", views=VIEWS6, labels=LABV6, n_ssl=4, n_views=2, d=2, ridge=0.1, n_train_show=2, n_test_show=2):
    return ik.class_heatmaps(kind, views, labels, n_ssl, n_views, d, ridge, n_train_show, n_test_show)


choices(F, "kind", lambda v: _ch(kind=v))
arrays(F, "views", lambda v: _ch(views=v), VIEWS6)
arrays(F, "labels", lambda v: _ch(labels=v), LABV6)
ints(F, "n_ssl", lambda v: _ch(n_ssl=v), minimum=2)
ints(F, "d", lambda v: _ch(d=v))
floats(F, "ridge", lambda v: _ch(ridge=v), allow_zero=True)
ints(F, "n_train_show", lambda v: _ch(n_train_show=v))
ints(F, "n_test_show", lambda v: _ch(n_test_show=v))
F = "induced_kernel.bandwidth_sweep"
arrays(F, "views", lambda v: ik.bandwidth_sweep(v, 1, 2, 2, (0.5, 1.0)), VIEWS6)
ints(F, "n_fresh", lambda v: ik.bandwidth_sweep(VIEWS6, v, 2, 2, (0.5, 1.0)))
ints(F, "n_views", lambda v: ik.bandwidth_sweep(VIEWS6, 1, v, 2, (0.5, 1.0)), minimum=2)
ints(F, "d", lambda v: ik.bandwidth_sweep(VIEWS6, 1, 2, v, (0.5, 1.0)))
add(F, "factors NaN", lambda: ik.bandwidth_sweep(VIEWS6, 1, 2, 2, (0.5, float("nan"))), ValueError,
    r"factors\[1\] must be a finite")
add(F, "factors a string", lambda: ik.bandwidth_sweep(VIEWS6, 1, 2, 2, "0.5"), (TypeError, ValueError), r"factors")
floats(F, "ridge", lambda v: ik.bandwidth_sweep(VIEWS6, 1, 2, 2, (0.5, 1.0), ridge=v), allow_zero=True)
F = "induced_kernel.degenerate_experiment"
keys(F, lambda v: ik.degenerate_experiment(v, K6, G6, 1, 2, 3))
arrays(F, "gram", lambda v: ik.degenerate_experiment(KEY, v, G6, 1, 2, 3), K6)
arrays(F, "groups", lambda v: ik.degenerate_experiment(KEY, K6, v, 1, 2, 3), G6)
ints(F, "d", lambda v: ik.degenerate_experiment(KEY, K6, G6, v, 2, 3))
ints(F, "n_seeds", lambda v: ik.degenerate_experiment(KEY, K6, G6, 1, v, 3), minimum=2)
ints(F, "steps", lambda v: ik.degenerate_experiment(KEY, K6, G6, 1, 2, v))
floats(F, "alpha", lambda v: ik.degenerate_experiment(KEY, K6, G6, 1, 2, 3, alpha=v))
floats(F, "ridge", lambda v: ik.degenerate_experiment(KEY, K6, G6, 1, 2, 3, ridge=v))
F = "induced_kernel.penalised_collapse"
keys(F, lambda v: ik.penalised_collapse(v, K6, G6, 4, 3, 1e-6, 1.0))
arrays(F, "gram", lambda v: ik.penalised_collapse(KEY, v, G6, 4, 3, 1e-6, 1.0), K6)
arrays(F, "groups", lambda v: ik.penalised_collapse(KEY, K6, v, 4, 3, 1e-6, 1.0), G6)
ints(F, "d", lambda v: ik.penalised_collapse(KEY, K6, G6, v, 3, 1e-6, 1.0), minimum=4)
ints(F, "steps", lambda v: ik.penalised_collapse(KEY, K6, G6, 4, v, 1e-6, 1.0))
floats(F, "alpha", lambda v: ik.penalised_collapse(KEY, K6, G6, 4, 3, v, 1.0))
floats(F, "penalty", lambda v: ik.penalised_collapse(KEY, K6, G6, 4, 3, 1e-6, v))
F = "induced_kernel.rank_deficient_experiment"
keys(F, lambda v: ik.rank_deficient_experiment(v, PTS6, G6, 3, 2, 3, 1e-6))
arrays(F, "points", lambda v: ik.rank_deficient_experiment(KEY, v, G6, 3, 2, 3, 1e-6), PTS6)
arrays(F, "groups", lambda v: ik.rank_deficient_experiment(KEY, PTS6, v, 3, 2, 3, 1e-6), G6)
ints(F, "width", lambda v: ik.rank_deficient_experiment(KEY, PTS6, G6, v, 2, 3, 1e-6))
ints(F, "d", lambda v: ik.rank_deficient_experiment(KEY, PTS6, G6, 3, v, 3, 1e-6))
ints(F, "steps", lambda v: ik.rank_deficient_experiment(KEY, PTS6, G6, 3, 2, v, 1e-6))
floats(F, "alpha", lambda v: ik.rank_deficient_experiment(KEY, PTS6, G6, 3, 2, 3, v))
F = "induced_kernel.min_norm_contrastive_target"
RF6 = ik.range_factor(K6)
arrays(F, "adjacency", lambda v: ik.min_norm_contrastive_target(v, 2, RF6), ADJ6)
ints(F, "d", lambda v: ik.min_norm_contrastive_target(ADJ6, v, RF6))
floats(F, "rtol", lambda v: ik.min_norm_contrastive_target(ADJ6, 2, RF6, rtol=v))
add(F, "factor a matrix", lambda: ik.min_norm_contrastive_target(ADJ6, 2, K6), TypeError, r"factor must be a")
F = "induced_kernel.min_norm_limit"
arrays(F, "adjacency", lambda v: ik.min_norm_limit(v, 2, RF6, (1e-3, 1e-2)), ADJ6)
ints(F, "d", lambda v: ik.min_norm_limit(ADJ6, v, RF6, (1e-3, 1e-2)))
add(F, "factor a matrix", lambda: ik.min_norm_limit(ADJ6, 2, K6, (1e-3, 1e-2)), TypeError, r"factor must be a")
add(F, "ridges NaN", lambda: ik.min_norm_limit(ADJ6, 2, RF6, (1e-3, float("nan"))), ValueError, r"ridges.*finite")
add(F, "ridges decreasing", lambda: ik.min_norm_limit(ADJ6, 2, RF6, (1e-2, 1e-3)), ValueError,
    r"ridges must hold at least two increasing")
add(F, "ridges a string", lambda: ik.min_norm_limit(ADJ6, 2, RF6, "0.1"), (TypeError, ValueError), r"ridges")
add(F, "ridges with 0 (the limit itself, not a ridge)", lambda: ik.min_norm_limit(ADJ6, 2, RF6, (0.0, 1e-2)),
    ValueError, r"ridges.*> 0")
F = "induced_kernel.contrastive_noncontrastive_distance"
arrays(F, "adjacency", lambda v: ik.contrastive_noncontrastive_distance(v, 2), ADJ6)
ints(F, "d", lambda v: ik.contrastive_noncontrastive_distance(ADJ6, v))


# ------------------------------------------------------------------- the chapter modules and their figures
from kernel_ssl import infinite_width as iw  # noqa: E402
from kernel_ssl import nt, spectra, stepwise  # noqa: E402
from kernel_ssl.figures import staircase as staircase_figures  # noqa: E402
from kernel_ssl.figures import width as width_figures  # noqa: E402

# stepwise is not in the table yet: its rows (1072, 203 of them refused unclearly or accepted, at the time of writing)
# wait for validation in that module
MODULES |= {"infinite_width": iw, "spectra": spectra, "nt": nt,
            "figures.staircase": staircase_figures, "figures.width": width_figures}
EXEMPT |= {"nt.import_neural_tangents": "no argument (imports neural_tangents)",
           "infinite_width.release_memory": "no argument (clears JAX's caches)"}
for _name in ("ChapterWidths", "KernelStaysPut", "LossComparison", "Sweep", "TrainingRun"):
    EXEMPT[f"infinite_width.{_name}"] = "a frozen result container that its experiment function builds"


def exact_arrays(function: str, arg: str, call: Callable[[Any], Any], good, shape: bool = True) -> None:
    """:func:`arrays` whose messages must name ``arg`` itself (not ``w0s`` for ``w0``, not ``x`` for ``x_prime``)."""
    _array_rows(function, arg, call, good, shape, rf"(?<![\w']){re.escape(arg)}(?![\w'])")


def seq_floats(function: str, arg: str, call: Callable[[Any], Any], good: list) -> None:
    """Rows for a sequence of positive numbers (initialisation scales, bias scales, gaps)."""
    name = re.escape(arg)
    add(function, f"{arg}: NaN entry", lambda: call(list(good[:-1]) + [float("nan")]), ValueError,
        rf"{name}.*finite")
    add(function, f"{arg}: a string", lambda: call("abc"), (TypeError, ValueError), rf"{name}")
    add(function, f"{arg}: complex entry", lambda: call(list(good[:-1]) + [1j]), TypeError, rf"{name}.*real")
    add(function, f"{arg}: empty", lambda: call([]), ValueError, rf"{name}")
    add(function, f"{arg}: negative entry", lambda: call(list(good[:-1]) + [-1.0]), ValueError, rf"{name}")


def seq_ints(function: str, arg: str, call: Callable[[Any], Any], good: list) -> None:
    """Rows for a sequence of positive integers (widths, depths, numbers of modes)."""
    name = re.escape(arg)
    add(function, f"{arg}: a float entry", lambda: call(list(good[:-1]) + [2.5]), TypeError, rf"{name}.*integer")
    add(function, f"{arg}: NaN entry", lambda: call(list(good[:-1]) + [float("nan")]), TypeError,
        rf"{name}.*integer")
    add(function, f"{arg}: a string", lambda: call("abc"), (TypeError, ValueError), rf"{name}")
    add(function, f"{arg}: empty", lambda: call([]), ValueError, rf"{name}")
    add(function, f"{arg}: zero entry", lambda: call(list(good[:-1]) + [0]), ValueError, rf"{name}.*at least")


def opt_floats(function: str, arg: str, call: Callable[[Any], Any]) -> None:
    """:func:`floats` for an optional step size (None: gradient flow)."""
    floats(function, arg, call)
    add(function, f"{arg}: a bool", lambda: call(True), TypeError, rf"{re.escape(arg)} must be a real number")


# fixtures: a 6-dimensional Gamma with a clear spectrum, a (2, 6) direction, 4 stacked pairs of 3-d points
_Q6, _ = np.linalg.qr(RNG.standard_normal((6, 6)))
GAMMA6 = _Q6 @ np.diag([1.0, 0.5, 0.25, 0.12, 0.06, 0.03]) @ _Q6.T
DIR6 = RNG.standard_normal((2, 6))
GS2 = np.array([1.0, 0.5])
C02 = np.array([1e-4, 2e-4])
XST = data.stack_views(X, RNG.standard_normal((4, 3)))                # (8, 3) stacked views
KST = np.asarray(XST @ XST.T) + np.eye(8)                             # an SPD Gram matrix of the 8 views
G8 = RNG.standard_normal((8, 2))
RUN = stepwise.linear_descent(1e-3 * DIR6, GAMMA6, 0.1, 400, record_every=4)
T_RUN, ER, LR_ = RUN.t, RUN.eigenvalues, RUN.loss                       # a recorded staircase
CMP = stepwise.compare(T_RUN, ER, LR_, GS2, C02)

# --------------------------------------------------------------------------------------------------- spectra
F = "spectra.pair_cross_correlation"
exact_arrays(F, "x", lambda v: spectra.pair_cross_correlation(v, X), X)
exact_arrays(F, "x_prime", lambda v: spectra.pair_cross_correlation(X, v), X)
add(F, "x and x_prime of different shapes", lambda: spectra.pair_cross_correlation(X, X2), ValueError,
    r"x and x_prime must have the same shape")
add(F, "a single pair (one row)", lambda: spectra.pair_cross_correlation(X[:1], X[:1]), ValueError, r"2 pairs")
for F, fn in (("spectra.top_modes", spectra.top_modes), ("spectra.closed_form_linear", spectra.closed_form_linear)):
    exact_arrays(F, "gamma", lambda v, fn=fn: fn(v, 2), GAMMA6)
    add(F, "gamma not symmetric", lambda fn=fn: fn(NON_SYMMETRIC, 2), ValueError, r"gamma must be symmetric")
    add(F, "gamma not square", lambda fn=fn: fn(np.ones((3, 4)), 2), ValueError, r"gamma must be square")
    add(F, "gamma negative definite (no mode is learned)", lambda fn=fn: fn(NEG_DEFINITE, 1), ValueError,
        r"d must be at most the number of positive eigenvalues of gamma \(0\)")
    add(F, "d above the rank of gamma", lambda fn=fn: fn(RANK_ONE, 2), ValueError,
        r"d must be at most the number of positive eigenvalues of gamma \(1\)")
    ints(F, "d", lambda v, fn=fn: fn(GAMMA6, v))
for F, fn in (("spectra.contrastive_operator", spectra.contrastive_operator),
              ("spectra.kernel_modes", lambda k: spectra.kernel_modes(k, 2)),
              ("spectra.closed_form_outputs", lambda k: spectra.closed_form_outputs(k, 2)),
              ("spectra.rkhs_and_kernel_pca", lambda k: spectra.rkhs_and_kernel_pca(k, 2))):
    exact_arrays(F, "kernel", fn, KST)
    add(F, "kernel of an odd number of views", lambda fn=fn: fn(SPD[:3, :3]), ValueError, r"kernel must hold 2n")
    add(F, "kernel not symmetric", lambda fn=fn: fn(KST + np.triu(np.ones((8, 8)), 1)), ValueError,
        r"kernel must be symmetric")
    add(F, "kernel indefinite", lambda fn=fn: fn(np.diag([1.0, -1.0, 1.0, 0.5])), ValueError,
        r"kernel.*(positive semi-definite|PSD|negative eigenvalue)")
for F, fn in (("spectra.kernel_modes", spectra.kernel_modes), ("spectra.closed_form_outputs",
                                                               spectra.closed_form_outputs),
              ("spectra.rkhs_and_kernel_pca", spectra.rkhs_and_kernel_pca)):
    ints(F, "d", lambda v, fn=fn: fn(KST, v))
    add(F, "d above the number of views", lambda fn=fn: fn(KST, 9), ValueError, r"d must be at most")
F = "spectra.closed_form_embedding"
exact_arrays(F, "kernel", lambda v: spectra.closed_form_embedding(v, KST[:3], 2), KST)
exact_arrays(F, "cross", lambda v: spectra.closed_form_embedding(KST, v, 2), KST[:3])
add(F, "cross with the wrong number of columns", lambda: spectra.closed_form_embedding(KST, KST[:3, :5], 2),
    ValueError, r"cross must have 8 columns")
ints(F, "d", lambda v: spectra.closed_form_embedding(KST, KST[:3], v))
F = "spectra.closed_form_kernel"
exact_arrays(F, "kernel", lambda v: spectra.closed_form_kernel(v, KST[:3], KST[:2], 2), KST)
exact_arrays(F, "cross_left", lambda v: spectra.closed_form_kernel(KST, v, KST[:2], 2), KST[:3])
exact_arrays(F, "cross_right", lambda v: spectra.closed_form_kernel(KST, KST[:3], v, 2), KST[:2])
add(F, "cross_right transposed", lambda: spectra.closed_form_kernel(KST, KST[:3], KST[:2].T, 2), ValueError,
    r"cross_right must have 8 columns")
ints(F, "d", lambda v: spectra.closed_form_kernel(KST, KST[:3], KST[:2], v))
F = "spectra.contrastive_kernel"
exact_arrays(F, "kernel", lambda v: spectra.contrastive_kernel(v, KST[:3], KST[:2]), KST)
exact_arrays(F, "cross_left", lambda v: spectra.contrastive_kernel(KST, v, KST[:2]), KST[:3])
exact_arrays(F, "cross_right", lambda v: spectra.contrastive_kernel(KST, KST[:3], v), KST[:2])
add(F, "cross_left transposed", lambda: spectra.contrastive_kernel(KST, KST[:3].T, KST[:2]), ValueError,
    r"cross_left must have 8 columns")

# -------------------------------------------------------------------------------------------------------- nt
F = "nt.stax_two_layer"
ints(F, "width", lambda v: nt.stax_two_layer(v, 2))
add(F, "width absurd (10^9)", lambda: nt.stax_two_layer(10 ** 9, 2), ValueError, r"width must be at least 1 and at")
ints(F, "d", lambda v: nt.stax_two_layer(8, v))
choices(F, "activation", lambda v: nt.stax_two_layer(8, 2, activation=v))
floats(F, "bias_std", lambda v: nt.stax_two_layer(8, 2, bias_std=v), allow_zero=True)
F = "nt.to_stax_params"
add(F, "params a list", lambda: nt.to_stax_params([PARAMS["V"]]), TypeError, r"params must be a dict")
add(F, "params without b", lambda: nt.to_stax_params(without(PARAMS, "b")), ValueError, r"params must hold")
add(F, "params with NaN", lambda: nt.to_stax_params(PARAMS | {"V": nan_like(PARAMS["V"])}), ValueError,
    r"params\['V'\].*finite")
add(F, "params V 1-D (wrong shape)", lambda: nt.to_stax_params(PARAMS | {"V": np.ones(8)}), ValueError,
    r"params\['V'\] must be a 2-D")
floats(F, "bias_std", lambda v: nt.to_stax_params(PARAMS, bias_std=v), allow_zero=True)
F = "nt.nt_empirical_ntk"
exact_arrays(F, "x1", lambda v: nt.nt_empirical_ntk(PARAMS, v, X2), X)
exact_arrays(F, "x2", lambda v: nt.nt_empirical_ntk(PARAMS, X, v), X2)
add(F, "params a list", lambda: nt.nt_empirical_ntk([PARAMS["V"]], X, X2), TypeError, r"params must be a dict")
add(F, "params with inf", lambda: nt.nt_empirical_ntk(PARAMS | {"W": inf_like(PARAMS["W"])}, X, X2), ValueError,
    r"params\['W'\].*finite")
add(F, "x of the wrong input dimension", lambda: nt.nt_empirical_ntk(PARAMS, X[:, :2], X2[:, :2]), ValueError,
    r"x1? must have shape|input dimension")
choices(F, "activation", lambda v: nt.nt_empirical_ntk(PARAMS, X, X2, activation=v))
floats(F, "bias_std", lambda v: nt.nt_empirical_ntk(PARAMS, X, X2, bias_std=v), allow_zero=True)
F = "nt.analytic_kernel"
exact_arrays(F, "x1", lambda v: nt.analytic_kernel(v, X2), X)
exact_arrays(F, "x2", lambda v: nt.analytic_kernel(X, v), X2)
add(F, "x1, x2 of different input dimensions", lambda: nt.analytic_kernel(X, X2[:, :2]), ValueError,
    r"x1 and x2 must have the same input dimension")
choices(F, "activation", lambda v: nt.analytic_kernel(X, X2, activation=v))
floats(F, "bias_std", lambda v: nt.analytic_kernel(X, X2, bias_std=v), allow_zero=True)
choices(F, "get", lambda v: nt.analytic_kernel(X, X2, get=v))
F = "nt.analytic_kernel_deep"
exact_arrays(F, "x1", lambda v: nt.analytic_kernel_deep(v, X2, 3), X)
exact_arrays(F, "x2", lambda v: nt.analytic_kernel_deep(X, v, 3), X2)
ints(F, "depth", lambda v: nt.analytic_kernel_deep(X, X2, v), minimum=2)
add(F, "depth 9 (above 8)", lambda: nt.analytic_kernel_deep(X, X2, 9), ValueError, r"depth must be at least 2 and")
choices(F, "activation", lambda v: nt.analytic_kernel_deep(X, X2, 3, activation=v))
choices(F, "get", lambda v: nt.analytic_kernel_deep(X, X2, 3, get=v))

# ------------------------------------------------------------------------------------------- infinite_width
PAIRS = (X, RNG.standard_normal((4, 3)))
F = "infinite_width.make_loss"
choices(F, "loss", lambda v: iw.make_loss(v, 4))
ints(F, "n_pairs", lambda v: iw.make_loss("barlow_twins", v), minimum=2)
add(F, "targets missing for the supervised loss", lambda: iw.make_loss("supervised", 4), ValueError, r"targets")
exact_arrays(F, "targets", lambda v: iw.make_loss("supervised", 4, v), np.ones((8, 2)))
add(F, "targets with the wrong number of rows", lambda: iw.make_loss("supervised", 4, np.ones((6, 2))), ValueError,
    r"targets must have 2 \* n_pairs = 8 rows")
F = "infinite_width.ntk_init_errors"
keys(F, lambda v: iw.ntk_init_errors(v, X, [8, 16], 2))
exact_arrays(F, "x", lambda v: iw.ntk_init_errors(KEY, v, [8, 16], 2), X)
seq_ints(F, "widths", lambda v: iw.ntk_init_errors(KEY, X, v, 2), [8, 16])
add(F, "widths a single width", lambda: iw.ntk_init_errors(KEY, X, [8], 2), ValueError, r"widths must hold at least 2")
add(F, "widths absurd (2^40)", lambda: iw.ntk_init_errors(KEY, X, [8, 2 ** 40], 2), ValueError, r"widths\[1\]")
ints(F, "d", lambda v: iw.ntk_init_errors(KEY, X, [8, 16], v))
choices(F, "activation", lambda v: iw.ntk_init_errors(KEY, X, [8, 16], 2, activation=v))
floats(F, "bias_std", lambda v: iw.ntk_init_errors(KEY, X, [8, 16], 2, bias_std=v), allow_zero=True)
ints(F, "repeats", lambda v: iw.ntk_init_errors(KEY, X, [8, 16], 2, repeats=v))
F = "infinite_width.train_two_layer"
keys(F, lambda v: iw.train_two_layer(v, XST, 8, 2, "barlow_twins", 0.05, 10))
exact_arrays(F, "x_stacked", lambda v: iw.train_two_layer(KEY, v, 8, 2, "barlow_twins", 0.05, 10), XST)
add(F, "x_stacked of an odd number of rows", lambda: iw.train_two_layer(KEY, XST[:7], 8, 2, "barlow_twins", 0.05, 10),
    ValueError, r"x_stacked must hold 2n")
ints(F, "width", lambda v: iw.train_two_layer(KEY, XST, v, 2, "barlow_twins", 0.05, 10))
ints(F, "d", lambda v: iw.train_two_layer(KEY, XST, 8, v, "barlow_twins", 0.05, 10))
choices(F, "loss", lambda v: iw.train_two_layer(KEY, XST, 8, 2, v, 0.05, 10))
floats(F, "lr", lambda v: iw.train_two_layer(KEY, XST, 8, 2, "barlow_twins", v, 10))
ints(F, "steps", lambda v: iw.train_two_layer(KEY, XST, 8, 2, "barlow_twins", 0.05, v))
add(F, "steps absurd (10^12: would never finish)",
    lambda: iw.train_two_layer(KEY, XST, 8, 2, "barlow_twins", 0.05, 10 ** 12), ValueError, r"steps must be")
choices(F, "activation", lambda v: iw.train_two_layer(KEY, XST, 8, 2, "barlow_twins", 0.05, 10, activation=v))
floats(F, "bias_std", lambda v: iw.train_two_layer(KEY, XST, 8, 2, "barlow_twins", 0.05, 10, bias_std=v),
       allow_zero=True)
ints(F, "record_every", lambda v: iw.train_two_layer(KEY, XST, 8, 2, "barlow_twins", 0.05, 10, record_every=v))
F = "infinite_width.kernel_model_gap"
IWRUN = iw.TrainingRun(width=8, steps=np.array([0, 10]), t=np.array([0.0, 0.5]), loss_trace=np.ones(2),
                       ntk_change_trace=np.zeros(2), param_change_trace=np.zeros(2), flip_fraction_trace=np.zeros(2),
                       outputs_trace=np.stack([G8, 2 * G8]))
add(F, "run not a TrainingRun", lambda: iw.kernel_model_gap("run", XST, "barlow_twins", 0.05), TypeError,
    r"run must be a TrainingRun")
add(F, "run with NaN outputs", lambda: iw.kernel_model_gap(
    iw.TrainingRun(**{**IWRUN.__dict__, "outputs_trace": nan_like(IWRUN.outputs_trace)}), XST, "barlow_twins", 0.05),
    ValueError, r"run.*finite")
exact_arrays(F, "x_stacked", lambda v: iw.kernel_model_gap(IWRUN, v, "barlow_twins", 0.05), XST)
add(F, "run on other views than x_stacked", lambda: iw.kernel_model_gap(IWRUN, XST[:4], "barlow_twins", 0.05),
    ValueError, r"run must hold outputs on the 4 stacked views")
choices(F, "loss", lambda v: iw.kernel_model_gap(IWRUN, XST, v, 0.05))
floats(F, "lr", lambda v: iw.kernel_model_gap(IWRUN, XST, "barlow_twins", v))
choices(F, "activation", lambda v: iw.kernel_model_gap(IWRUN, XST, "barlow_twins", 0.05, activation=v))
floats(F, "bias_std", lambda v: iw.kernel_model_gap(IWRUN, XST, "barlow_twins", 0.05, bias_std=v), allow_zero=True)
exact_arrays(F, "kernel", lambda v: iw.kernel_model_gap(IWRUN, XST, "barlow_twins", 0.05, kernel=v), KST)
add(F, "kernel of the wrong size", lambda: iw.kernel_model_gap(IWRUN, XST, "barlow_twins", 0.05, kernel=SPD),
    ValueError, r"kernel must have shape \(8, 8\)")
F = "infinite_width.width_sweep"
XP = PAIRS[1]


def _ws(key=KEY, x=X, x_prime=XP, widths=(8, 16), d=2, loss="barlow_twins", lr=0.05, steps=10, **kw):
    return iw.width_sweep(key, x, x_prime, list(widths) if isinstance(widths, tuple) else widths, d, loss, lr,
                          steps, **kw)


keys(F, lambda v: _ws(key=v))
exact_arrays(F, "x", lambda v: _ws(x=v), X)
exact_arrays(F, "x_prime", lambda v: _ws(x_prime=v), XP)
add(F, "x and x_prime of different shapes", lambda: _ws(x_prime=X2), ValueError, r"x and x_prime must have the same")
seq_ints(F, "widths", lambda v: _ws(widths=v), [8, 16])
ints(F, "d", lambda v: _ws(d=v))
choices(F, "loss", lambda v: _ws(loss=v))
floats(F, "lr", lambda v: _ws(lr=v))
ints(F, "steps", lambda v: _ws(steps=v))
add(F, "steps absurd (10^12)", lambda: _ws(steps=10 ** 12), ValueError, r"steps must be")
choices(F, "activation", lambda v: _ws(activation=v))
floats(F, "bias_std", lambda v: _ws(bias_std=v), allow_zero=True)
ints(F, "repeats", lambda v: _ws(repeats=v))
flags(F, "with_kernel_model", lambda v: _ws(with_kernel_model=v))
ints(F, "record_every", lambda v: _ws(record_every=v))
F = "infinite_width.mean_slope"
exact_arrays(F, "values", lambda v: iw.mean_slope([8, 16, 32], v), np.ones((3, 2)))
add(F, "values with one row per width missing", lambda: iw.mean_slope([8, 16, 32], np.ones((2, 2))), ValueError,
    r"values must have one row per width \(3\)")
add(F, "values zero (log of 0)", lambda: iw.mean_slope([8, 16, 32], np.zeros((3, 2))), ValueError,
    r"values must be positive")
seq_ints(F, "widths", lambda v: iw.mean_slope(v, np.ones((len(v) if isinstance(v, list) else 3, 2))), [8, 16, 32])
F = "infinite_width.kernel_row"
keys(F, lambda v: iw.kernel_row(v, X, 8))
exact_arrays(F, "x", lambda v: iw.kernel_row(KEY, v, 8), X)
ints(F, "width", lambda v: iw.kernel_row(KEY, X, v))
add(F, "width absurd (2^40)", lambda: iw.kernel_row(KEY, X, 2 ** 40), ValueError, r"width must be")
ints(F, "d", lambda v: iw.kernel_row(KEY, X, 8, d=v))
choices(F, "activation", lambda v: iw.kernel_row(KEY, X, 8, activation=v))
floats(F, "bias_std", lambda v: iw.kernel_row(KEY, X, 8, bias_std=v), allow_zero=True)
ints(F, "anchor", lambda v: iw.kernel_row(KEY, X, 8, anchor=v), minimum=0)
add(F, "anchor past the last row", lambda: iw.kernel_row(KEY, X, 8, anchor=4), ValueError, r"anchor must be at least 0 "
    r"and at most 3")
F = "infinite_width.analytic_ntk_rows"
exact_arrays(F, "x", lambda v: iw.analytic_ntk_rows(v, [0.0, 1.0]), X)
seq_floats(F, "biases", lambda v: iw.analytic_ntk_rows(X, v), [0.0, 1.0])
ints(F, "anchor", lambda v: iw.analytic_ntk_rows(X, [0.0], anchor=v), minimum=0)
add(F, "anchor past the last row", lambda: iw.analytic_ntk_rows(X, [0.0], anchor=9), ValueError, r"anchor")
F = "infinite_width.chapter_widths"
flags(F, "quick", lambda v: iw.chapter_widths(v, 10, 9, 2))
ints(F, "max_init_exponent", lambda v: iw.chapter_widths(True, v, 9, 2), minimum=7)
add(F, "max_init_exponent absurd (40: a width of 2^40)", lambda: iw.chapter_widths(True, 40, 9, 2), ValueError,
    r"max_init_exponent must be at least 7 and at most")
ints(F, "max_train_exponent", lambda v: iw.chapter_widths(True, 10, v, 2), minimum=7)
add(F, "max_train_exponent absurd (40)", lambda: iw.chapter_widths(True, 10, 40, 2), ValueError,
    r"max_train_exponent must be at least 7 and at most")
ints(F, "repeats", lambda v: iw.chapter_widths(True, 10, 9, v))
for F, fn in (("infinite_width.kernel_stays_put", lambda key=KEY, pairs=PAIRS, widths=(8, 16), d=2, lr=0.05,
               early_steps=10, steps=20, **kw: iw.kernel_stays_put(key, pairs, list(widths) if isinstance(
                   widths, tuple) else widths, d, lr, early_steps, steps, **kw)),
              ("infinite_width.compare_losses", lambda key=KEY, pairs=PAIRS, widths=(8, 16), d=2, lr=0.05,
               early_steps=10, steps=20, **kw: iw.compare_losses(key, pairs, kw.pop("loss_names", {
                   "BT": "barlow_twins"}), list(widths) if isinstance(widths, tuple) else widths, d, lr, early_steps,
                   steps, **kw))):
    keys(F, lambda v, fn=fn: fn(key=v))
    add(F, "pairs a single array", lambda fn=fn: fn(pairs=X), TypeError, r"pairs must be the two views")
    add(F, "pairs with NaN", lambda fn=fn: fn(pairs=(nan_like(X), XP)), ValueError, r"pairs.*finite")
    add(F, "pairs of strings", lambda fn=fn: fn(pairs=("a", "b")), TypeError, r"pairs.*numeric")
    add(F, "pairs of different shapes", lambda fn=fn: fn(pairs=(X, X2)), ValueError, r"pairs.*same shape")
    seq_ints(F, "widths", lambda v, fn=fn: fn(widths=v), [8, 16])
    ints(F, "d", lambda v, fn=fn: fn(d=v))
    floats(F, "lr", lambda v, fn=fn: fn(lr=v))
    ints(F, "early_steps", lambda v, fn=fn: fn(early_steps=v))
    add(F, "steps not a multiple of early_steps", lambda fn=fn: fn(steps=25), ValueError, r"multiple of early_steps")
    add(F, "steps absurd (10^12)", lambda fn=fn: fn(steps=10 ** 12), ValueError, r"steps must be")
    add(F, "steps a float", lambda fn=fn: fn(steps=20.0), TypeError, r"steps must be an integer")
    choices(F, "activation", lambda v, fn=fn: fn(activation=v))
    ints(F, "repeats", lambda v, fn=fn: fn(repeats=v))
flags("infinite_width.kernel_stays_put", "with_kernel_model",
      lambda v: iw.kernel_stays_put(KEY, PAIRS, [8, 16], 2, 0.05, 10, 20, with_kernel_model=v))
F = "infinite_width.compare_losses"
add(F, "loss_names empty", lambda: iw.compare_losses(KEY, PAIRS, {}, [8, 16], 2, 0.05, 10, 20), TypeError,
    r"loss_names must be a non-empty mapping")
add(F, "loss_names a list", lambda: iw.compare_losses(KEY, PAIRS, ["barlow_twins"], [8, 16], 2, 0.05, 10, 20),
    TypeError, r"loss_names must be a non-empty mapping")
add(F, "loss_names naming an unknown loss", lambda: iw.compare_losses(KEY, PAIRS, {"x": "nope"}, [8, 16], 2, 0.05,
                                                                      10, 20), ValueError, r"loss must be one of")

# ----------------------------------------------------------------------------------------- figures.width
F = "figures.width.loss_against_time"
TW = np.array([0.1, 1.0, 10.0])
exact_arrays(F, "t", lambda v: width_figures.loss_against_time(v, {8: TW}, {8: TW}, "t"), TW)
add(F, "network_loss[8]: NaN", lambda: width_figures.loss_against_time(TW, {8: nan_like(TW)}, {8: TW}, "t"),
    ValueError, r"network_loss\[8\].*finite")
add(F, "kernel_loss[8]: a string", lambda: width_figures.loss_against_time(TW, {8: TW}, {8: "abc"}, "t"), TypeError,
    r"kernel_loss\[8\].*numeric")
add(F, "network_loss[8] of the wrong length", lambda: width_figures.loss_against_time(TW, {8: TW[:2]}, {8: TW}, "t"),
    ValueError, r"network_loss\[8\] must have one value per time")
add(F, "kernel_loss for other widths", lambda: width_figures.loss_against_time(TW, {8: TW}, {16: TW}, "t"),
    ValueError, r"network_loss and kernel_loss must hold the same")
add(F, "network_loss a list", lambda: width_figures.loss_against_time(TW, [TW], {8: TW}, "t"), TypeError,
    r"network_loss must be a mapping")
add(F, "a zero loss on a log axis", lambda: width_figures.loss_against_time(TW, {8: TW * 0}, {8: TW}, "t"),
    ValueError, r"network_loss\[8\] must be positive on a log axis")
add(F, "title a number", lambda: width_figures.loss_against_time(TW, {8: TW}, {8: TW}, 3), TypeError,
    r"title must be a string")
flags(F, "log_y", lambda v: width_figures.loss_against_time(TW, {8: TW}, {8: TW}, "t", log_y=v))

# ------------------------------------------------------------------------------------- figures.staircase
F = "figures.staircase.staircase_figure"
SF = dict(t=T_RUN, loss=LR_, eigenvalues=ER)
exact_arrays(F, "t", lambda v: staircase_figures.staircase_figure(**SF | {"t": v}), T_RUN)
exact_arrays(F, "loss", lambda v: staircase_figures.staircase_figure(**SF | {"loss": v}), LR_)
exact_arrays(F, "eigenvalues", lambda v: staircase_figures.staircase_figure(**SF | {"eigenvalues": v}), ER)
add(F, "loss of the wrong length", lambda: staircase_figures.staircase_figure(**SF | {"loss": LR_[:-1]}), ValueError,
    r"loss must have one value per time")
add(F, "eigenvalues of the wrong length", lambda: staircase_figures.staircase_figure(**SF | {"eigenvalues": ER[:-1]}),
    ValueError, r"eigenvalues must have one row per time")
add(F, "t without loss", lambda: staircase_figures.staircase_figure(t=T_RUN), ValueError, r"loss")
add(F, "predicted_loss: NaN", lambda: staircase_figures.staircase_figure(
    **SF, predicted_loss=nan_like(LR_), predicted_eigenvalues=ER), ValueError, r"predicted_loss.*finite")
add(F, "predicted_eigenvalues of the wrong length", lambda: staircase_figures.staircase_figure(
    **SF, predicted_loss=LR_, predicted_eigenvalues=ER[:-1]), ValueError, r"predicted_eigenvalues must have one row")
add(F, "predicted_times: inf", lambda: staircase_figures.staircase_figure(**SF, predicted_times=np.array([1, np.inf])),
    ValueError, r"predicted_times.*finite")
add(F, "extra_eigenvalues: a string", lambda: staircase_figures.staircase_figure(**SF, extra_eigenvalues="abc"),
    TypeError, r"extra_eigenvalues.*numeric")
add(F, "title a number", lambda: staircase_figures.staircase_figure(**SF, title=3), TypeError, r"title must be a")
add(F, "eigen_label a number", lambda: staircase_figures.staircase_figure(**SF, eigen_label=3), TypeError,
    r"eigen_label must be a")
ints(F, "height", lambda v: staircase_figures.staircase_figure(**SF, height=v), minimum=100)
floats(F, "t_min", lambda v: staircase_figures.staircase_figure(**SF, t_min=v))
STAIR_PANEL = stepwise.staircase_panel(CMP, 50)
F = "figures.staircase.staircase_slider"


def _ss(panels=None, first="a", second="b", title="t", active=(0, 0), **kw):
    panels = {("1", "x"): STAIR_PANEL, ("2", "x"): STAIR_PANEL} if panels is None else panels
    return staircase_figures.staircase_slider(panels, first, second, title, active=active, **kw)


add(F, "panels empty", lambda: _ss(panels={}), ValueError, r"panels")
add(F, "panels a list", lambda: _ss(panels=[STAIR_PANEL]), TypeError, r"panels must be a mapping")
add(F, "panels keyed by single labels", lambda: _ss(panels={"1": STAIR_PANEL}), ValueError, r"panels.*pairs")
add(F, "a panel with NaN loss", lambda: _ss(panels={("1", "x"): STAIR_PANEL | {"loss": nan_like(STAIR_PANEL["loss"])}}),
    ValueError, r"loss.*finite")
add(F, "a panel with loss of the wrong length (a shape)", lambda: _ss(panels={("1", "x"): STAIR_PANEL | {
    "loss": STAIR_PANEL["loss"][:-1]}}), ValueError, r"loss'\]? must have one value per time")
add(F, "a panel without eigenvalues", lambda: _ss(panels={("1", "x"): without(STAIR_PANEL, "eigenvalues")}), ValueError,
    r"eigenvalues")
add(F, "first_label a number", lambda: _ss(first=3), TypeError, r"first_label must be a string")
add(F, "second_label a number", lambda: _ss(second=3), TypeError, r"second_label must be a string")
add(F, "title a number", lambda: _ss(title=3), TypeError, r"title must be a string")
add(F, "active out of range", lambda: _ss(active=(5, 0)), ValueError, r"active")
add(F, "active a string", lambda: _ss(active="ab"), TypeError, r"active")
add(F, "active NaN", lambda: _ss(active=(float("nan"), 0)), TypeError, r"active")
floats(F, "t_min", lambda v: _ss(t_min=v))
F = "figures.staircase.mode_images"
IMGS = RNG.standard_normal((2, 64))
exact_arrays(F, "images", lambda v: staircase_figures.mode_images(v, ["a", "b"], "t"), IMGS)
add(F, "images not of side 8", lambda: staircase_figures.mode_images(np.ones((2, 10)), ["a", "b"], "t"), ValueError,
    r"images must have side\*\*2 = 64 columns")
add(F, "titles of the wrong length", lambda: staircase_figures.mode_images(IMGS, ["a"], "t"), ValueError,
    r"titles must have one entry per image")
add(F, "titles not strings", lambda: staircase_figures.mode_images(IMGS, [1, 2], "t"), TypeError, r"titles\[0\]")
add(F, "title a number", lambda: staircase_figures.mode_images(IMGS, ["a", "b"], 3), TypeError, r"title must be")
ints(F, "side", lambda v: staircase_figures.mode_images(IMGS, ["a", "b"], "t", side=v))

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
    "figures.style.rich_text": "takes a label string",
    "figures.style.builder": "takes a builder function",
    "figures.style.finish": "takes a figure and a builder name",
    "figures.style.label_texts": "takes a figure",
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


def test_fixtures_are_bound_once():
    """The rows' lambdas read module-level fixtures when they run, so a fixture name bound again further down the
    table silently changes every earlier row that uses it: each name is bound once (``F``, the current function's
    label, is the exception; a binding that extends the old value, ``X = X @ X.T``, is not a new fixture)."""
    import ast
    from pathlib import Path

    rebound: dict[str, int] = {}
    seen: set[str] = set()
    for node in ast.parse(Path(__file__).read_text()).body:
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        read = {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
        for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
            names = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            for name in (n.id for n in names if isinstance(n, ast.Name)):   # not X[k] = ...: that extends X
                if name in seen and name != "F" and name not in read:
                    rebound[name] = node.lineno
                seen.add(name)
    assert not rebound, f"fixtures bound again at these lines (rename the later one): {rebound}"
