"""Unit tests of kernel_ssl.data: digit views (shapes, determinism, zero-fill shifts, normalisation), synthetic
pairs (their cross-correlation converges to the chosen spectrum at the CLT rate), and the pair-swap matrix."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from sklearn.datasets import load_digits

from kernel_ssl import data

# float64 so that the exact comparisons below (shifted images, norms) are limited by float64 round-off only
jax.config.update("jax_enable_x64", True)

KEY = jax.random.PRNGKey(0)
DIGITS = load_digits().images / 16.0


def _np_shift(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Reference translation with zero fill: out[i, j] = image[i - dy, j - dx] where that index exists."""
    out = np.zeros_like(image)
    side = image.shape[0]
    for i in range(side):
        for j in range(side):
            if 0 <= i - dy < side and 0 <= j - dx < side:
                out[i, j] = image[i - dy, j - dx]
    return out


def test_shapes_and_labels():
    views, labels = data.digits_views(KEY, 6, 4)
    assert views.shape == (6, 4, 64) and labels.shape == (6,)
    x, xp, lab = data.digits_pairs(KEY, 6)
    assert x.shape == xp.shape == (6, 64) and lab.shape == (6,)
    assert set(np.asarray(lab).tolist()) <= set(range(10))


def test_deterministic_for_a_key_and_different_across_keys():
    a = data.digits_pairs(KEY, 6)
    b = data.digits_pairs(KEY, 6)
    for u, w in zip(a, b, strict=True):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(w))
    c = data.digits_pairs(jax.random.PRNGKey(1), 6)
    assert not np.allclose(np.asarray(a[0]), np.asarray(c[0]))


def test_sphere_normalisation():
    views, _ = data.digits_views(KEY, 6, 4, normalise="sphere")
    # ||x|| = sqrt(64) = 8 up to float64 round-off
    np.testing.assert_allclose(np.linalg.norm(np.asarray(views), axis=-1), 8.0, rtol=1e-12)
    raw, _ = data.digits_views(KEY, 6, 4, normalise="none")
    norms = np.linalg.norm(np.asarray(raw), axis=-1)
    assert not np.allclose(norms, 8.0)
    # the sphere views are the raw views rescaled (same key, same draws)
    np.testing.assert_allclose(np.asarray(views), np.asarray(raw) * 8.0 / norms[..., None], rtol=1e-12)


def test_no_shift_no_noise_returns_the_images():
    views, labels = data.digits_views(KEY, 6, 2, max_shift=0, noise_std=0.0, normalise="none")
    views = np.asarray(views)
    for i in range(6):
        # the view is one of the data set's images, exactly, with the returned label
        matches = np.flatnonzero(np.all(DIGITS.reshape(-1, 64) == views[i, 0], axis=1))
        assert matches.size >= 1
        assert load_digits().target[matches[0]] == int(labels[i])
        np.testing.assert_array_equal(views[i, 0], views[i, 1])


def test_one_pixel_shifts_are_zero_filled_translations():
    # (the same key picks the same images whatever max_shift is)
    base, _ = data.digits_views(KEY, 6, 2, max_shift=0, noise_std=0.0, normalise="none")
    views, _ = data.digits_views(KEY, 6, 4, max_shift=1, noise_std=0.0, normalise="none")
    base = np.asarray(base)[:, 0].reshape(6, 8, 8)
    views = np.asarray(views).reshape(6, 4, 8, 8)
    seen = set()
    for i in range(6):
        candidates = {(dy, dx): _np_shift(base[i], dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
        for v in views[i]:
            hits = [s for s, c in candidates.items() if np.array_equal(c, v)]
            assert hits, "a view is not a zero-filled one-pixel translation of its image"
            seen.update(hits)
            # no wrap-around: mass that leaves the frame is lost, never re-enters on the other side
            assert v.sum() <= base[i].sum() + 1e-12
    assert len(seen) > 1  # shifts actually happen


def test_shift_helper_moves_mass_without_wrap():
    image = jnp.zeros((8, 8)).at[3, 4].set(1.0)
    np.testing.assert_array_equal(np.asarray(data._shift_zero_fill(image, 0, 0)), np.asarray(image))
    down = np.asarray(data._shift_zero_fill(image, 1, 0))
    assert down[4, 4] == 1.0 and down.sum() == 1.0
    left = np.asarray(data._shift_zero_fill(image, 0, -1))
    assert left[3, 3] == 1.0 and left.sum() == 1.0
    corner = jnp.zeros((8, 8)).at[7, 7].set(1.0)
    # shifting the bottom-right pixel down-right pushes it out; with wrap-around it would reappear at (0, 0)
    assert np.asarray(data._shift_zero_fill(corner, 1, 1)).sum() == 0.0


def test_noise_level():
    base, _ = data.digits_views(KEY, 6, 4, max_shift=0, noise_std=0.0, normalise="none")
    noisy, _ = data.digits_views(KEY, 6, 4, max_shift=0, noise_std=0.3, normalise="none")
    diff = np.asarray(noisy - base).ravel()
    # 1536 Gaussian draws: the sample std has relative standard error 1/sqrt(2 * 1536) = 1.8%; allow 5 of them
    assert abs(diff.std() / 0.3 - 1) < 5 / np.sqrt(2 * diff.size)


def test_centre_option():
    views, _ = data.digits_views(KEY, 6, 4, centre=True, normalise="none")
    np.testing.assert_allclose(np.asarray(views).reshape(-1, 64).mean(axis=0), 0.0, atol=1e-12)
    views, _ = data.digits_views(KEY, 6, 4, centre=True)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(views), axis=-1), 8.0, rtol=1e-12)


@pytest.mark.parametrize("kwargs,exc,pattern", [
    ({"n_images": 1798}, ValueError, r"n_images must be at least 1 and at most 1797"),
    ({"n_images": 0}, ValueError, r"n_images must be at least 1"),
    ({"n_images": 2.0}, TypeError, r"n_images must be an integer"),
    ({"n_views": 0}, ValueError, r"n_views must be at least 1"),
    ({"noise_std": -0.1}, ValueError, r"noise_std must be a finite number >= 0"),
    ({"max_shift": 8}, ValueError, r"max_shift must be at least 0 and at most 7"),
    ({"normalise": "unit"}, ValueError, r"normalise must be one of \('sphere', 'none'\)"),
])
def test_digits_bad_inputs(kwargs, exc, pattern):
    args = {"n_images": 4, "n_views": 2} | kwargs
    with pytest.raises(exc, match=pattern):
        data.digits_views(KEY, **args)


def test_digits_pairs_bad_inputs():
    # the error names digits_pairs' own argument (n_pairs), not that of digits_views which it calls
    with pytest.raises(ValueError, match=r"n_pairs must be at least 1 and at most 1797"):
        data.digits_pairs(KEY, 2000)
    with pytest.raises(ValueError, match=r"noise_std"):
        data.digits_pairs(KEY, 4, noise_std=-1.0)


def _cross_correlation_and_standard_error(x: np.ndarray, xp: np.ndarray) -> tuple[np.ndarray, float]:
    """C_hat = (1/2n) sum_i (x_i x_i'^T + x_i' x_i^T) and the RMS standard error of its Frobenius error,
    sqrt(tr Cov(M_i) / n) with M_i = (x_i x_i'^T + x_i' x_i^T) / 2, estimated from the samples (CLT)."""
    per_sample = (x[:, :, None] * xp[:, None, :] + xp[:, :, None] * x[:, None, :]) / 2
    n = x.shape[0]
    return per_sample.mean(axis=0), float(np.sqrt(per_sample.var(axis=0, ddof=1).sum() / n))


@pytest.mark.parametrize("n", [500, 32000])
def test_synthetic_cross_correlation_converges_to_the_spectrum(n):
    spectrum = np.array([2.0, 1.0, 0.5, 0.25, 0.0])
    key = jax.random.PRNGKey(3)
    x, xp = data.synthetic_pairs(key, n, spectrum, noise_std=0.3, rotate=False)
    x0, xp0 = np.asarray(x), np.asarray(xp)
    c_hat, se = _cross_correlation_and_standard_error(x0, xp0)
    # E||C_hat - C||_F^2 = se^2; Markov's inequality puts P(error > 5 se) below 1/25, and the error is typically
    # about 1 se. The standard error itself shrinks like n^(-1/2), so the larger n checks a tighter bound.
    assert np.linalg.norm(c_hat - np.diag(spectrum)) <= 5 * se
    # a rotated draw with the same key is the same draw in rotated coordinates: x_rot = x Q^T with Q orthogonal
    xr, xpr = data.synthetic_pairs(key, n, spectrum, noise_std=0.3, rotate=True)
    q_t, *_ = np.linalg.lstsq(x0, np.asarray(xr), rcond=None)
    q = q_t.T
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-10)
    np.testing.assert_allclose(np.asarray(xpr), xp0 @ q.T, atol=1e-10)
    c_rot, se_rot = _cross_correlation_and_standard_error(np.asarray(xr), np.asarray(xpr))
    assert np.linalg.norm(c_rot - q @ np.diag(spectrum) @ q.T) <= 5 * se_rot
    # the view noise enters E[x x^T] = Q (diag(spectrum) + noise^2 I) Q^T but not the cross-correlation
    auto = x0.T @ x0 / n
    assert np.linalg.norm(auto - np.diag(spectrum + 0.09)) < np.linalg.norm(auto - np.diag(spectrum))


def test_synthetic_standard_error_shrinks_like_root_n():
    spectrum = np.array([1.0, 0.7, 0.5, 0.25, 0.1])
    _, se_small = _cross_correlation_and_standard_error(*map(np.asarray, data.synthetic_pairs(
        jax.random.PRNGKey(4), 500, spectrum)))
    _, se_large = _cross_correlation_and_standard_error(*map(np.asarray, data.synthetic_pairs(
        jax.random.PRNGKey(4), 32000, spectrum)))
    # sqrt(32000 / 500) = 8; the estimated standard errors themselves fluctuate by a few percent (measured: the
    # ratio is 8 within 5% over 5 seeds), so 8 within 15%
    assert abs(se_small / se_large / 8 - 1) < 0.15


def test_synthetic_sphere_and_determinism():
    x, xp = data.synthetic_pairs(KEY, 50, np.ones(16), normalise="sphere")
    np.testing.assert_allclose(np.linalg.norm(np.asarray(x), axis=1), 4.0, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(np.asarray(xp), axis=1), 4.0, rtol=1e-12)
    x2, _ = data.synthetic_pairs(KEY, 50, np.ones(16), normalise="sphere")
    np.testing.assert_array_equal(np.asarray(x), np.asarray(x2))


@pytest.mark.parametrize("kwargs,exc,pattern", [
    ({"spectrum": [1.0, -0.5]}, ValueError, r"spectrum must be non-negative"),
    ({"spectrum": [1.0, np.nan]}, ValueError, r"spectrum must contain only finite values"),
    ({"spectrum": [[1.0, 0.5]]}, ValueError, r"spectrum must be a 1-D array"),
    ({"spectrum": []}, ValueError, r"spectrum must"),
    ({"n_pairs": 0}, ValueError, r"n_pairs must be at least 1"),
    ({"noise_std": -1.0}, ValueError, r"noise_std must be a finite number >= 0"),
    ({"normalise": "l2"}, ValueError, r"normalise must be one of"),
])
def test_synthetic_bad_inputs(kwargs, exc, pattern):
    args = {"n_pairs": 10, "spectrum": [1.0, 0.5]} | kwargs
    with pytest.raises(exc, match=pattern):
        data.synthetic_pairs(KEY, **args)


def test_pair_swap_matrix():
    n = 5
    z = np.asarray(data.pair_swap_matrix(n, dtype=jnp.float64))
    assert z.shape == (2 * n, 2 * n) and z.dtype == np.float64
    np.testing.assert_array_equal(z, z.T)                       # symmetric
    np.testing.assert_array_equal(z.sum(axis=0), 1)             # a permutation: one 1 per row and column
    np.testing.assert_array_equal(z.sum(axis=1), 1)
    assert set(np.unique(z)) == {0.0, 1.0}
    np.testing.assert_array_equal(z @ z, np.eye(2 * n))         # an involution
    assert np.trace(z) == 0                                     # no view is its own partner
    rng = np.random.default_rng(0)
    x, xp = rng.standard_normal((n, 3)), rng.standard_normal((n, 3))
    stacked = np.asarray(data.stack_views(x, xp))
    np.testing.assert_array_equal(stacked, np.concatenate([x, xp]))
    # Z X~ pairs each view with its partner: [x_1'..x_n', x_1..x_n]
    np.testing.assert_array_equal(z @ stacked, np.concatenate([xp, x]))
    with pytest.raises(ValueError, match=r"n_pairs must be at least 1"):
        data.pair_swap_matrix(0)


def test_stack_views_bad_inputs():
    with pytest.raises(ValueError, match=r"x and x_prime must have the same shape"):
        data.stack_views(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"x must be a 2-D array"):
        data.stack_views(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"x_prime must contain only finite values"):
        data.stack_views(np.zeros((2, 2)), np.full((2, 2), np.nan))
