"""Input checks shared by every public function: each raises with the argument's name and what was expected."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np


def as_finite_array(name: str, value: Any, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a NumPy array after checking its rank and that every entry is finite.

    Works on NumPy and JAX arrays alike (JAX arrays are converted to NumPy only for the check).

    Args:
        name: the argument's name, used in the error messages.
        value: the array-like to check.
        ndim: the required number of dimensions (default any).

    Returns:
        ``value`` as a NumPy array (``np.asarray``, not copied where that is possible).

    Raises:
        TypeError: if ``value`` is not a numeric array.
        ValueError: if it has the wrong rank, is empty, or holds NaN or inf.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - defensive: exotic objects
        raise TypeError(f"{name} must be array-like, got {type(value).__name__}") from exc
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        # NumPy would drop the imaginary part silently in the float64 casts that follow
        raise TypeError(f"{name} must be a real numeric array, got complex dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def check_finite(name: str, value: Any, ndim: int | None = None) -> None:
    """:func:`as_finite_array` for its checks only (same arguments, same errors), where the caller keeps its own
    array as it is."""
    as_finite_array(name, value, ndim)


def check_positive_int(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """Check ``minimum <= value (<= maximum)`` for an integer and return it as ``int``.

    Args:
        name: the argument's name, used in the error messages.
        value: the value to check: a Python or NumPy integer (not a bool, not a float).
        minimum: the smallest allowed value.
        maximum: the largest allowed value (default no bound).

    Returns:
        ``value`` as ``int``.

    Raises:
        TypeError: if ``value`` is not an integer.
        ValueError: if it is outside ``[minimum, maximum]``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ValueError(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


def check_positive_float(name: str, value: Any, allow_zero: bool = False,
                         maximum: float | None = None) -> float:
    """Check that ``value`` is a finite real number > 0 (or >= 0) and return it as ``float``.

    Args:
        name: the argument's name, used in the error messages.
        value: the value to check: a Python or NumPy int or float (not a bool).
        allow_zero: accept 0.
        maximum: the largest allowed value (default no bound).

    Returns:
        ``value`` as ``float``.

    Raises:
        TypeError: if ``value`` is not a real number.
        ValueError: if it is not finite, not positive (negative when ``allow_zero``) or above ``maximum``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if maximum is not None:
        ok = ok and value <= maximum
    if not ok:
        lower = ">= 0" if allow_zero else "> 0"
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be a finite number {lower}{upper}, got {value}")
    return value


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices``.

    Args:
        name: the argument's name, used in the error messages.
        value: the value to check.
        choices: the allowed values.

    Returns:
        ``value``, unchanged.

    Raises:
        ValueError: if ``value`` is not in ``choices``.
    """
    choices = tuple(choices)
    # compare only strings with strings: an array would compare element-wise (an ambiguous truth value), a
    # float NaN never equals anything
    if all(isinstance(c, str) for c in choices) and not isinstance(value, str):
        raise ValueError(f"{name} must be one of {choices}, got {value!r} ({type(value).__name__})")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_same_shape(name_a: str, a: Any, name_b: str, b: Any) -> None:
    """Check that two arrays have the same shape (e.g. the two views of positive pairs).

    Args:
        name_a: the first argument's name, used in the error message.
        a: the first array-like.
        name_b: the second argument's name.
        b: the second array-like.

    Returns:
        None.

    Raises:
        ValueError: if ``np.shape(a) != np.shape(b)``.
    """
    sa, sb = np.shape(a), np.shape(b)
    if sa != sb:
        raise ValueError(f"{name_a} and {name_b} must have the same shape, got {sa} and {sb}")


def check_same_columns(name_a: str, a: Any, name_b: str, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check two finite 2-D arrays with one point per row and the same number of columns (input dimension).

    Args:
        name_a, a, name_b, b: the two arguments' names and values, as in :func:`check_same_shape`.

    Returns:
        Both as NumPy arrays (:func:`as_finite_array`).

    Raises:
        ValueError: if either is not a finite 2-D array or their column counts differ.
    """
    xa, xb = as_finite_array(name_a, a, ndim=2), as_finite_array(name_b, b, ndim=2)
    if xa.shape[1] != xb.shape[1]:
        raise ValueError(f"{name_a} and {name_b} must have the same input dimension, got {xa.shape[1]} and "
                         f"{xb.shape[1]} columns")
    return xa, xb


def check_symmetric(name: str, value: Any, rtol: float = 1e-8) -> np.ndarray:
    r"""Check a finite square symmetric matrix; asymmetry is measured relative to its norm.

    Args:
        name: the argument's name, used in the error messages.
        value: the matrix to check (2-D array-like).
        rtol: the relative tolerance: the matrix is accepted when :math:`\lVert A-A^\top\rVert_F\le` ``rtol``
            :math:`\lVert A\rVert_F`.

    Returns:
        ``value`` as a NumPy array.

    Raises:
        ValueError: if it is not finite, not square or not symmetric (``TypeError`` if not numeric).
    """
    arr = as_finite_array(name, value, ndim=2)
    if arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be square, got shape {arr.shape}")
    scale = max(np.linalg.norm(arr), np.finfo(float).tiny)
    if np.linalg.norm(arr - arr.T) > rtol * scale:
        raise ValueError(f"{name} must be symmetric (relative asymmetry > {rtol:g})")
    return arr


def check_params(**specs: tuple[Any, str, dict]) -> None:
    """Validate a chapter's parameters cell in one call.

    Each keyword is ``name=(value, kind, options)`` with kind one of ``"int"``, ``"float"``,
    ``"bool"``, ``"choice"``, ``"int_list"``; options are passed to the matching check
    (``minimum``/``maximum`` for ints, ``allow_zero``/``maximum`` for floats, ``choices``). A float may also take
    ``minimum`` (a positive lower bound: a step size or time step so small that the run would never finish).
    """
    for name, (value, kind, options) in specs.items():
        if kind == "int":
            check_positive_int(name, value, **options)
        elif kind == "float":
            options = dict(options)
            minimum = options.pop("minimum", None)
            value = check_positive_float(name, value, **options)
            if minimum is not None and value < minimum:
                upper = "" if options.get("maximum") is None else f" and <= {options['maximum']}"
                raise ValueError(f"{name} must be a finite number >= {minimum:g}{upper} (smaller would not finish "
                                 f"in a chapter's budget), got {value:g}")
        elif kind == "bool":
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False, got {value!r}")
        elif kind == "choice":
            check_choice(name, value, options["choices"])
        elif kind == "int_list":
            if not isinstance(value, (list, tuple)) or len(value) < options.get("min_len", 1):
                raise ValueError(f"{name} must be a list of at least {options.get('min_len', 1)} integers, "
                                 f"got {value!r}")
            for i, v in enumerate(value):
                check_positive_int(f"{name}[{i}]", v, minimum=options.get("minimum", 1),
                                   maximum=options.get("maximum"))
        else:  # pragma: no cover - programming error in a chapter
            raise ValueError(f"unknown parameter kind {kind!r} for {name}")


def check_bool(name: str, value: Any) -> bool:
    """Check a flag: exactly ``True`` or ``False`` (not a string, not 0/1)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_stacked_views(name: str, value: Any) -> np.ndarray:
    """Check the ``2n`` stacked views ``[x_1..x_n, x_1'..x_n']`` (an even number of rows, at least 2 pairs) of a
    finite 2-D array; returns it as NumPy."""
    arr = as_finite_array(name, value, ndim=2)
    if arr.shape[0] % 2 or arr.shape[0] < 4:
        raise ValueError(f"{name} must hold 2n stacked views [x_1..x_n, x_1'..x_n'] with n >= 2 (an even number "
                         f"of rows, at least 4), got {arr.shape[0]} rows")
    return arr


def check_key(name: str, key: Any) -> Any:
    """Check a JAX PRNG key (``jax.random.PRNGKey(seed)`` or ``jax.random.key(seed)``)."""
    import jax

    dtype = getattr(key, "dtype", None)
    typed = dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)
    raw = dtype == np.uint32 and np.shape(key) == (2,)
    if not (typed or raw):
        raise TypeError(f"{name} must be a JAX PRNG key (jax.random.PRNGKey(seed)), got "
                        f"{type(key).__name__} of shape {np.shape(key)}")
    return key


def check_cross_block(name: str, cross: Any, n: int) -> np.ndarray:
    r"""A block of kernel rows for new points, :math:`k_X(x)^\top` one per row: ``(n_new, n)`` in float64, with
    ``n`` the number of training points (the book's one convention for cross-kernel blocks)."""
    n = check_positive_int("n", n)
    c = as_finite_array(name, cross, ndim=2).astype(np.float64)
    if c.shape[1] != n:
        raise ValueError(f"{name} must have {n} columns, one per training point ({name} must be (n_new, {n}): one "
                         f"row k_X(x)^T per new point), got shape {c.shape}")
    return c


# ------------------------------------------------------------------ dtype policy, overflow, traced values
def is_traced(value: Any) -> bool:
    """Whether ``value`` is a JAX tracer (inside ``jit``/``grad``/``vmap``): then only static properties (shape,
    dtype) can be checked, never values."""
    import jax

    return isinstance(value, jax.core.Tracer)


def computing_dtype(value: Any) -> np.dtype:
    """The floating dtype JAX computes ``value`` in: its own float dtype (float64 only when float64 is enabled),
    or the working precision for integers."""
    import jax
    import jax.numpy as jnp

    dtype = np.result_type(value)
    if not np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"value must be a real numeric array, got dtype {dtype}")
    if not np.issubdtype(dtype, np.floating):
        dtype = jnp.float64 if jax.config.jax_enable_x64 else jnp.float32
    return np.dtype(jax.dtypes.canonicalize_dtype(dtype))


def check_no_overflow(name: str, arr: Any, dtype: Any, power: int = 2, count: int = 1) -> None:
    r"""Refuse entries so large that a sum of ``count`` products of ``power`` of them overflows ``dtype``:
    :math:`\max|a|^{p}\,\mathrm{count} \le \mathrm{finfo}(\mathrm{dtype}).\max/16` (16: room for the constant
    factors of the formulas). Checked on the host in float64 (``arr`` is a checked NumPy array).

    Args:
        name: the argument's name, used in the error message.
        arr: the (finite) values.
        dtype: the floating dtype the computation runs in.
        power: how many of the entries are multiplied in one term (2 for a Gram matrix).
        count: how many such terms are summed (the inner dimension).

    Raises:
        ValueError: naming ``name``, the largest entry and the bound, with what to change.
    """
    dtype = check_float_dtype("dtype", dtype)
    power = check_positive_int("power", power)
    count = check_positive_int("count", count)
    values = as_finite_array(name, arr)
    top = float(np.max(np.abs(values.astype(np.float64))))
    bound = float((float(np.finfo(dtype).max) / 16.0 / max(count, 1)) ** (1.0 / power))
    if top > bound:
        hint = " or enable float64 (kernel_ssl.precision.enable_float64())" if dtype.itemsize < 8 else ""
        raise ValueError(f"{name} has entries up to {top:.3g}, beyond what {dtype.name} computes without overflow "
                         f"here (|entries| <= {bound:.3g}): rescale {name}{hint}")


def check_float_dtype(name: str, dtype: Any) -> np.dtype:
    """Check that ``dtype`` names a real floating dtype (float32 or float64) and return it as ``np.dtype``."""
    try:
        out = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{name} must be a floating dtype (e.g. jnp.float32), got {dtype!r}") from exc
    if not np.issubdtype(out, np.floating) or out.itemsize not in (4, 8):
        raise TypeError(f"{name} must be float32 or float64, got {out}")
    return out


def check_callable(name: str, value: Any) -> Any:
    """Check that ``value`` is callable (a function); return it."""
    if not callable(value):
        raise TypeError(f"{name} must be callable (a function), got {type(value).__name__}")
    return value


def check_str(name: str, value: Any) -> str:
    """Check that ``value`` is a string (a title, a label); return it."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    return value


def check_size(name: str, n_entries: int, maximum: int = 2 ** 28) -> None:
    """Refuse an array of more than ``maximum`` entries (default 2^28: 1 GiB in float32), which would not fit a
    chapter's memory budget."""
    n_entries = check_positive_int("n_entries", n_entries, minimum=0)
    if n_entries > maximum:
        raise ValueError(f"{name} asks for an array of {n_entries:.3g} entries, more than the {maximum:.3g} this "
                         f"library allocates: lower {name}")


def check_int_labels(name: str, labels: Any) -> np.ndarray:
    """Check class or group labels: a finite 1-D array of integers; integral floats (0.0, 1.0) are accepted as the
    integers they are, a fractional label is refused (it would be truncated, or be a class of its own).

    Returns:
        The labels as an integer array.
    """
    arr = as_finite_array(name, labels, ndim=1)
    if np.issubdtype(arr.dtype, np.integer):
        return arr
    if np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)):
        return arr.astype(np.int64)
    raise TypeError(f"{name} must hold integer labels (class or group), got dtype {arr.dtype}"
                    + (" with non-integer values" if np.issubdtype(arr.dtype, np.floating) else ""))


def hashable_cache(fn: Callable) -> Callable:
    """``functools.cache`` for hashable arguments; an unhashable one (a list, an array) goes to ``fn`` uncached,
    whose own checks then name the argument (``cache`` alone would fail with "unhashable type")."""
    cached = functools.cache(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            hash((args, tuple(kwargs.items())))
        except TypeError:
            return fn(*args, **kwargs)
        return cached(*args, **kwargs)
    return wrapper
