"""Data: positive pairs from sklearn's digits (augmented views) and synthetic Gaussian pairs.

Conventions (shared by every chapter): ``n`` positive pairs ``(x_i, x_i')`` in ``R^m`` are held as two
``(n, m)`` arrays; the ``2n`` views are stacked as ``X~ = [x_1..x_n, x_1'..x_n']`` and the pair-swap matrix
``Z = [[0, I_n], [I_n, 0]]`` pairs each view with its partner. Nothing is downloaded: the digits ship
with scikit-learn.
"""
from __future__ import annotations

from functools import lru_cache

import jax
import jax.numpy as jnp
import numpy as np

from .precision import working_dtype
from .validation import (
    as_finite_array,
    check_bool,
    check_choice,
    check_float_dtype,
    check_key,
    check_no_overflow,
    check_positive_float,
    check_positive_int,
    check_same_shape,
    check_size,
)

DIGITS_SIDE = 8
DIGITS_DIM = DIGITS_SIDE * DIGITS_SIDE
NORMALISATIONS = ("sphere", "none")
# At most this many views (n_images * n_views: 2^18 views of 64 float64 pixels are 128 MiB) or synthetic entries
# (n_pairs * m + m^2: 2^26 float64 numbers are 512 MiB) are drawn; more would not fit a chapter's 1.2 GB budget
# once the views are stacked and their kernels computed.
MAX_VIEWS = 2 ** 18
MAX_ENTRIES = 2 ** 26
# An empty frame (a digit shifted wholly out of the 8x8 image, possible from max_shift 4) is re-drawn up to this
# many times; each draw keeps the digit with probability >= 1 / (2 max_shift + 1)^2 (the zero shift), so 64 rounds
# leave an empty frame with probability below (1 - 1/225)^64 per view: the loop then refuses.
MAX_REDRAWS = 64


@lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    # Cached read of the 1797 images shipped with scikit-learn (read-only, so caching is safe).
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float64)  # pixel values 0..16 -> 0..1
    images.setflags(write=False)
    return images, bunch.target.astype(np.int64)


def _shift_zero_fill(image: jnp.ndarray, dy: jnp.ndarray, dx: jnp.ndarray) -> jnp.ndarray:
    """Translate an 8x8 image by (dy, dx) pixels, filling with zeros (no wrap-around)."""
    side = image.shape[0]
    padded = jnp.pad(image, side)
    return jax.lax.dynamic_slice(padded, (side - dy, side - dx), (side, side))


def _normalise(x: jnp.ndarray, normalise: str) -> jnp.ndarray:
    # "sphere": ||x|| = sqrt(m), so that w.x/sqrt(m) ~ N(0, 1) for w ~ N(0, I) at initialisation.
    if normalise == "sphere":
        m = x.shape[-1]
        return x * jnp.sqrt(m) / jnp.linalg.norm(x, axis=-1, keepdims=True)
    return x


def digits_views(key: jax.Array, n_images: int, n_views: int, max_shift: int = 1,
                 noise_std: float = 0.1, normalise: str = "sphere",
                 centre: bool = False) -> tuple[jnp.ndarray, jnp.ndarray]:
    r"""Draw ``n_images`` distinct digits and ``n_views`` augmented views of each.

    A view is the image shifted by a uniform integer offset in ``[-max_shift, max_shift]^2`` (zero fill)
    plus i.i.d. Gaussian pixel noise of standard deviation ``noise_std`` (pixels are in [0, 1]). A shift that would
    move the whole digit out of the frame (possible from ``max_shift`` 4: the view would show no digit, and with
    ``noise_std=0`` the sphere normalisation would divide 0 by 0) is re-drawn; every other draw is kept as drawn.

    Args:
        key: a JAX PRNG key (picks the images, the shifts and the noise).
        n_images: the number :math:`G` of distinct source images, ``1..1797`` (drawn without replacement).
        n_views: the number :math:`n_v\ge1` of augmented views of each image.
        max_shift: the largest shift in pixels along each axis, ``0..7``.
        noise_std: the standard deviation of the pixel noise, :math:`\ge0`.
        normalise: ``"sphere"`` scales every view to norm :math:`\sqrt m = 8` (so :math:`Vx/\sqrt m` has
            unit-variance entries at initialisation); ``"none"`` keeps the pixel scale.
        centre: subtract the mean of all :math:`Gn_v` views before normalising.

    Returns:
        ``(views, labels)``: the views ``(n_images, n_views, 64)`` (flattened 8x8 images, working precision) and
        the digit labels ``(n_images,)`` (integers ``0..9``).
    """
    check_key("key", key)
    n_images = check_positive_int("n_images", n_images, maximum=1797)
    n_views = check_positive_int("n_views", n_views, maximum=MAX_VIEWS)
    check_size("n_images * n_views (views)", n_images * n_views, MAX_VIEWS)
    max_shift, noise_std = _check_augmentation(max_shift, noise_std, normalise, centre)
    return _digits_views(key, n_images, n_views, max_shift, noise_std, normalise, centre)


def _check_augmentation(max_shift, noise_std, normalise, centre) -> tuple[int, float]:
    max_shift = check_positive_int("max_shift", max_shift, minimum=0, maximum=DIGITS_SIDE - 1)
    noise_std = check_positive_float("noise_std", noise_std, allow_zero=True, maximum=1e6)
    check_choice("normalise", normalise, NORMALISATIONS)
    check_bool("centre", centre)
    return max_shift, noise_std


def _draw_shifts(key: jax.Array, ink: np.ndarray, n_views: int, max_shift: int) -> jnp.ndarray:
    # Shifts (n_images, n_views, 2) that keep at least one pixel of the digit in the frame: a shift that moves the
    # whole digit out (possible from max_shift 4) gives an empty view, pure noise, or 0/0 under the sphere
    # normalisation; only those are re-drawn (from fold_in(key, round)), so every other draw is unchanged.
    shifts = jax.random.randint(key, (ink.shape[0], n_views, 2), -max_shift, max_shift + 1)
    # keeps[g, dy, dx]: some ink pixel (r, c) of image g lands inside the frame, 0 <= r + dy, c + dx <= 7
    offsets = range(-max_shift, max_shift + 1)
    keeps = np.array([[ink[:, max(0, -dy):DIGITS_SIDE - max(0, dy), max(0, -dx):DIGITS_SIDE - max(0, dx)]
                       .any(axis=(1, 2)) for dx in offsets] for dy in offsets]).transpose(2, 0, 1)
    rows = np.arange(ink.shape[0])[:, None]
    current = np.asarray(shifts)
    for attempt in range(MAX_REDRAWS + 1):
        empty = ~keeps[rows, current[..., 0] + max_shift, current[..., 1] + max_shift]
        if not empty.any():
            return shifts if attempt == 0 else jnp.asarray(current)
        if attempt == MAX_REDRAWS:  # pragma: no cover - probability below 1e-120
            break
        redraw = np.asarray(jax.random.randint(jax.random.fold_in(key, attempt), current.shape, -max_shift,
                                               max_shift + 1))
        current = np.where(empty[..., None], redraw, current)
    raise ValueError(f"max_shift = {max_shift} keeps shifting digits out of the frame: lower max_shift")


def _digits_views(key, n_images, n_views, max_shift, noise_std, normalise, centre):
    images, labels = _digits()
    k_pick, k_shift, k_noise = jax.random.split(key, 3)
    idx = np.asarray(jax.random.choice(k_pick, images.shape[0], (n_images,), replace=False))
    base = jnp.asarray(images[idx])
    shifts = _draw_shifts(k_shift, images[idx] > 0, n_views, max_shift)
    shift_one = jax.vmap(_shift_zero_fill, in_axes=(None, 0, 0))
    shifted = jax.vmap(shift_one)(base, shifts[..., 0], shifts[..., 1])
    noisy = shifted + noise_std * jax.random.normal(k_noise, shifted.shape, dtype=shifted.dtype)
    views = noisy.reshape(n_images, n_views, DIGITS_DIM)
    if centre:
        views = views - views.reshape(-1, DIGITS_DIM).mean(axis=0)
        if normalise == "sphere" and noise_std == 0 and bool(jnp.any(jnp.all(views == 0, axis=-1))):
            # a view equal to the mean view (every view the same) has no direction to normalise
            raise ValueError("centre=True with noise_std=0 leaves a zero view (all views equal), which "
                             "normalise='sphere' cannot scale: pass noise_std > 0 or normalise='none'")
    return _normalise(views, normalise), jnp.asarray(labels[idx])


def digits_pairs(key: jax.Array, n_pairs: int, max_shift: int = 1, noise_std: float = 0.1,
                 normalise: str = "sphere", centre: bool = False
                 ) -> tuple[jnp.ndarray, jnp.ndarray, jnp.ndarray]:
    r"""Positive pairs from digits: two augmented views of each of ``n_pairs`` images (:func:`digits_views`).

    Args:
        key: a JAX PRNG key.
        n_pairs: the number :math:`n` of pairs (distinct images), ``1..1797``.
        max_shift: the largest shift in pixels along each axis, ``0..7``.
        noise_std: the standard deviation of the pixel noise, :math:`\ge0`.
        normalise: ``"sphere"`` (norm :math:`\sqrt m = 8`) or ``"none"``.
        centre: subtract the mean view (over all :math:`2n` views) before normalising.

    Returns:
        ``(X, X_prime, labels)``: the views :math:`x_i` and :math:`x_i'`, each ``(n, 64)``, and the digit labels
        ``(n,)`` (integers ``0..9``).
    """
    # checked here, so that an error names the caller's argument (n_pairs, not digits_views' n_images)
    check_key("key", key)
    n_pairs = check_positive_int("n_pairs", n_pairs, maximum=1797)
    max_shift, noise_std = _check_augmentation(max_shift, noise_std, normalise, centre)
    views, labels = _digits_views(key, n_pairs, 2, max_shift, noise_std, normalise, centre)
    return views[:, 0], views[:, 1], labels


def synthetic_pairs(key: jax.Array, n_pairs: int, spectrum, noise_std: float = 0.1,
                    rotate: bool = True, normalise: str = "none") -> tuple[jnp.ndarray, jnp.ndarray]:
    r"""Synthetic positive pairs ``x = Q(s + e)``, ``x' = Q(s + e')`` with ``s ~ N(0, diag(spectrum))``.

    Then ``E[x x'^T] = Q diag(spectrum) Q^T``: the cross-correlation of the pairs has (in expectation)
    the chosen spectrum, and the view noise ``e, e' ~ N(0, noise_std^2 I)`` only enters ``E[x x^T]``.

    Args:
        key: a JAX PRNG key.
        n_pairs: the number :math:`n\ge1` of pairs.
        spectrum: the variances of the shared signal :math:`s`, a non-negative 1-D array ``(m,)`` (its length
            is the input dimension :math:`m`).
        noise_std: the standard deviation of the view noise :math:`e, e'`, :math:`\ge0`.
        rotate: draw a Haar-random rotation :math:`Q` (``False``: :math:`Q = I_m`).
        normalise: ``"none"`` (keep the scale) or ``"sphere"`` (every view scaled to norm :math:`\sqrt m`).

    Returns:
        ``(X, X_prime)``: the views :math:`x_i` and :math:`x_i'`, each ``(n, m)``.

    Raises:
        ValueError: if ``spectrum`` has a negative entry.
    """
    check_key("key", key)
    n_pairs = check_positive_int("n_pairs", n_pairs)
    spec = as_finite_array("spectrum", spectrum, ndim=1)
    if np.any(spec < 0):
        raise ValueError("spectrum must be non-negative (it is a variance profile)")
    noise_std = check_positive_float("noise_std", noise_std, allow_zero=True)
    check_bool("rotate", rotate)
    check_choice("normalise", normalise, NORMALISATIONS)
    m = spec.shape[0]
    check_size("n_pairs * len(spectrum)", n_pairs * m + m * m, MAX_ENTRIES)
    dtype = working_dtype()
    # the views' squared norms sum m terms of size spectrum + noise_std^2 (times a Gaussian factor up to ~40)
    check_no_overflow("spectrum", spec, dtype, power=1, count=40 * m)
    check_no_overflow("noise_std", noise_std, dtype, power=2, count=40 * m)
    if normalise == "sphere" and noise_std == 0 and not np.any(spec > 0):
        raise ValueError("normalise='sphere' needs non-zero views: spectrum is all zero and noise_std = 0, so every "
                         "view is 0 (0/0 in the normalisation); pass a positive spectrum entry or noise_std > 0")
    k_s, k_e1, k_e2, k_q = jax.random.split(key, 4)
    s = jax.random.normal(k_s, (n_pairs, m)) * jnp.sqrt(jnp.asarray(spec))
    x = s + noise_std * jax.random.normal(k_e1, (n_pairs, m))
    xp = s + noise_std * jax.random.normal(k_e2, (n_pairs, m))
    if rotate:
        q, r = jnp.linalg.qr(jax.random.normal(k_q, (m, m)))
        q = q * jnp.sign(jnp.diag(r))  # Haar-distributed rotation
        x, xp = x @ q.T, xp @ q.T
    return _normalise(x, normalise), _normalise(xp, normalise)


def stack_views(x: jnp.ndarray, x_prime: jnp.ndarray) -> jnp.ndarray:
    """Stack the two views: ``X~ = [x_1..x_n, x_1'..x_n']`` of shape ``(2n, m)``."""
    as_finite_array("x", x, ndim=2)
    as_finite_array("x_prime", x_prime, ndim=2)
    check_same_shape("x", x, "x_prime", x_prime)
    return jnp.concatenate([jnp.asarray(x), jnp.asarray(x_prime)], axis=0)


def pair_swap_matrix(n_pairs: int, dtype=jnp.float32) -> jnp.ndarray:
    """``Z = [[0, I_n], [I_n, 0]]``: row ``a`` of ``Z`` selects the partner of view ``a`` in ``X~``."""
    # 2^14 pairs: Z is then (2^15)^2 entries, 4 GiB in float32; the book's runs use a few hundred
    n = check_positive_int("n_pairs", n_pairs, maximum=2 ** 14)
    dtype = check_float_dtype("dtype", dtype)
    eye = jnp.eye(n, dtype=dtype)
    zero = jnp.zeros((n, n), dtype=dtype)
    return jnp.block([[zero, eye], [eye, zero]])


def swap_views(a) -> np.ndarray:
    r""":math:`ZA` for ``a`` with ``2n`` rows: exchanges the first ``n`` rows (views ``x_i``) with the last ``n``,
    without forming :math:`Z` (:func:`pair_swap_matrix`)."""
    arr = as_finite_array("a", a)
    if arr.ndim < 1 or arr.shape[0] % 2:
        raise ValueError(f"a must have 2n rows (the stacked views), got shape {arr.shape}")
    n = arr.shape[0] // 2
    return np.concatenate([arr[n:], arr[:n]], axis=0)


def one_hot(labels, n_classes: int) -> np.ndarray:
    """One-hot codes ``(len(labels), n_classes)`` of integer labels in ``0..n_classes-1`` (float64)."""
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.size == 0 or not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"labels must be a non-empty 1-D array of integers, got dtype {lab.dtype} shape {lab.shape}")
    n_classes = check_positive_int("n_classes", n_classes, maximum=2 ** 16)
    check_size("len(labels) * n_classes", lab.size * n_classes)
    if lab.min() < 0 or lab.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {lab.min()}..{lab.max()}")
    return np.eye(n_classes)[lab]
