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

from .validation import as_finite_array, check_choice, check_positive_float, check_positive_int, check_same_shape

DIGITS_SIDE = 8
DIGITS_DIM = DIGITS_SIDE * DIGITS_SIDE
NORMALISATIONS = ("sphere", "none")


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
    plus i.i.d. Gaussian pixel noise of standard deviation ``noise_std`` (pixels are in [0, 1]).

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
    n_images = check_positive_int("n_images", n_images, maximum=1797)
    n_views = check_positive_int("n_views", n_views)
    max_shift = check_positive_int("max_shift", max_shift, minimum=0, maximum=DIGITS_SIDE - 1)
    noise_std = check_positive_float("noise_std", noise_std, allow_zero=True)
    check_choice("normalise", normalise, NORMALISATIONS)
    images, labels = _digits()
    k_pick, k_shift, k_noise = jax.random.split(key, 3)
    idx = np.asarray(jax.random.choice(k_pick, images.shape[0], (n_images,), replace=False))
    base = jnp.asarray(images[idx])
    shifts = jax.random.randint(k_shift, (n_images, n_views, 2), -max_shift, max_shift + 1)
    shift_one = jax.vmap(_shift_zero_fill, in_axes=(None, 0, 0))
    shifted = jax.vmap(shift_one)(base, shifts[..., 0], shifts[..., 1])
    noisy = shifted + noise_std * jax.random.normal(k_noise, shifted.shape, dtype=shifted.dtype)
    views = noisy.reshape(n_images, n_views, DIGITS_DIM)
    if centre:
        views = views - views.reshape(-1, DIGITS_DIM).mean(axis=0)
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
    views, labels = digits_views(key, n_pairs, 2, max_shift, noise_std, normalise, centre)
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
    n_pairs = check_positive_int("n_pairs", n_pairs)
    spec = as_finite_array("spectrum", spectrum, ndim=1)
    if np.any(spec < 0):
        raise ValueError("spectrum must be non-negative (it is a variance profile)")
    noise_std = check_positive_float("noise_std", noise_std, allow_zero=True)
    check_choice("normalise", normalise, NORMALISATIONS)
    m = spec.shape[0]
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
    check_same_shape("x", x, "x_prime", x_prime)
    as_finite_array("x", x, ndim=2)
    as_finite_array("x_prime", x_prime, ndim=2)
    return jnp.concatenate([jnp.asarray(x), jnp.asarray(x_prime)], axis=0)


def pair_swap_matrix(n_pairs: int, dtype=jnp.float32) -> jnp.ndarray:
    """``Z = [[0, I_n], [I_n, 0]]``: row ``a`` of ``Z`` selects the partner of view ``a`` in ``X~``."""
    n = check_positive_int("n_pairs", n_pairs)
    eye = jnp.eye(n, dtype=dtype)
    zero = jnp.zeros((n, n), dtype=dtype)
    return jnp.block([[zero, eye], [eye, zero]])


def swap_views(a) -> np.ndarray:
    r""":math:`ZA` for ``a`` with ``2n`` rows: exchanges the first ``n`` rows (views ``x_i``) with the last ``n``,
    without forming :math:`Z` (:func:`pair_swap_matrix`)."""
    arr = np.asarray(a)
    if arr.ndim < 1 or arr.shape[0] % 2:
        raise ValueError(f"a must have 2n rows (the stacked views), got shape {arr.shape}")
    n = arr.shape[0] // 2
    return np.concatenate([arr[n:], arr[:n]], axis=0)


def one_hot(labels, n_classes: int) -> np.ndarray:
    """One-hot codes ``(len(labels), n_classes)`` of integer labels in ``0..n_classes-1`` (float64)."""
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.size == 0 or not np.issubdtype(lab.dtype, np.integer):
        raise TypeError(f"labels must be a non-empty 1-D array of integers, got dtype {lab.dtype} shape {lab.shape}")
    n_classes = check_positive_int("n_classes", n_classes)
    if lab.min() < 0 or lab.max() >= n_classes:
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, got {lab.min()}..{lab.max()}")
    return np.eye(n_classes)[lab]
