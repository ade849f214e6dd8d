"""Unit tests of kernel_ssl.training: parameter-space and function-space gradient descent against their exact
discrete solutions on quadratics, divergence detection and schedule validation."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import losses, training

# float64: the iterates are compared with the exact solution at float64 round-off (rtol 1e-10 allows for
# the error growth over a few hundred steps of a contraction)
jax.config.update("jax_enable_x64", True)
RTOL = 1e-10

RNG = np.random.default_rng(0)


def _spd(n: int, seed: int, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q @ np.diag(np.linspace(low, high, n)) @ q.T


def test_gradient_descent_on_a_quadratic():
    # L(theta) = 1/2 (u - u*)^T A (u - u*) + 1/2 ||v||^2 for theta = {"u", "v"}; one GD step maps
    # u - u* -> (I - lr A)(u - u*) and v -> (1 - lr) v, so after k steps u_k - u* = (I - lr A)^k (u_0 - u*)
    a = _spd(4, 1)
    u_star = RNG.standard_normal(4)
    theta0 = {"u": jnp.asarray(RNG.standard_normal(4)), "v": jnp.asarray(RNG.standard_normal(3))}

    def loss(p):
        du = p["u"] - u_star
        return 0.5 * du @ a @ du + 0.5 * jnp.sum(p["v"] ** 2)

    lr, steps, every = 0.3, 60, 20
    final, trace = training.gradient_descent(loss, theta0, lr, steps, every)
    step = np.eye(4) - lr * a
    expected_losses = []
    for k in range(0, steps + 1, every):
        du = np.linalg.matrix_power(step, k) @ (np.asarray(theta0["u"]) - u_star)
        v = (1 - lr) ** k * np.asarray(theta0["v"])
        expected_losses.append(0.5 * du @ a @ du + 0.5 * v @ v)
    np.testing.assert_allclose(final["u"], u_star + np.linalg.matrix_power(step, steps)
                               @ (np.asarray(theta0["u"]) - u_star), rtol=RTOL)
    np.testing.assert_allclose(final["v"], (1 - lr) ** steps * np.asarray(theta0["v"]), rtol=RTOL)
    assert trace.shape == (steps // every + 1,)
    np.testing.assert_allclose(trace, expected_losses, rtol=RTOL)


@pytest.mark.parametrize("every", [1, 5, 30])
def test_function_space_descent_supervised(every):
    # L(F) = ||F - Y||_F^2 / N has gradient 2 (F - Y) / N, so F_k - Y = (I - 2 lr K / N)^k (F_0 - Y)
    n, d = 6, 2
    k = _spd(n, 2)
    y = RNG.standard_normal((n, d))
    f0 = RNG.standard_normal((n, d))
    lr, steps = 0.4, 30
    final, path = training.function_space_descent(lambda f: losses.squared_error(f, y), f0, k, lr, steps, every)
    assert path.shape == (steps // every + 1, n, d)
    step = np.eye(n) - 2 * lr * k / n
    for i, s in enumerate(range(0, steps + 1, every)):
        np.testing.assert_allclose(path[i], y + np.linalg.matrix_power(step, s) @ (f0 - y), rtol=RTOL)
    np.testing.assert_allclose(final, path[-1], rtol=0)


def test_function_space_descent_barlow_twins_step():
    # one step of F <- F - lr K grad L for Barlow Twins: grad_F ||F^T Z F / 2n - I||^2 = (2/n) Z F (C - I)
    n_pairs, d = 4, 2
    f0 = RNG.standard_normal((2 * n_pairs, d))
    k = _spd(2 * n_pairs, 3)
    z = np.block([[np.zeros((n_pairs, n_pairs)), np.eye(n_pairs)], [np.eye(n_pairs), np.zeros((n_pairs, n_pairs))]])
    c = f0.T @ z @ f0 / (2 * n_pairs)
    expected = f0 - 0.1 * (2 / n_pairs) * k @ z @ f0 @ (c - np.eye(d))
    loss = training.stacked_ssl_loss(losses.barlow_twins_theory)
    final, _ = training.function_space_descent(loss, f0, k, 0.1, 1)
    np.testing.assert_allclose(final, expected, rtol=RTOL)


def test_stacked_ssl_loss_splits_the_views():
    f = RNG.standard_normal((10, 3))
    loss = training.stacked_ssl_loss(losses.spectral_contrastive)
    np.testing.assert_allclose(loss(jnp.asarray(f)), losses.spectral_contrastive(f[:5], f[5:]), rtol=RTOL)


def test_divergence_raises():
    # lr = 3 on L = ||theta||^2 multiplies theta by (1 - 2 * 3) = -5 per step: 5^500 overflows float64
    with pytest.raises(FloatingPointError, match=r"diverged"):
        training.gradient_descent(lambda p: jnp.sum(p ** 2), jnp.ones(3), 3.0, 500, 100)
    y = np.zeros((4, 1))
    with pytest.raises(FloatingPointError, match=r"diverged"):
        training.function_space_descent(lambda f: losses.squared_error(f, y), np.ones((4, 1)),
                                        100.0 * np.eye(4), 1.0, 500, 100)


@pytest.mark.parametrize("lr,steps,every,exc,pattern", [
    (0.0, 10, 1, ValueError, r"lr must be a finite number > 0"),
    (np.nan, 10, 1, ValueError, r"lr must be a finite number > 0"),
    (0.1, 0, 1, ValueError, r"steps must be at least 1"),
    (0.1, 10.0, 1, TypeError, r"steps must be an integer"),
    (0.1, 10, 0, ValueError, r"record_every must be at least 1 and at most 10"),
    (0.1, 10, 20, ValueError, r"record_every must be at least 1 and at most 10"),
    (0.1, 10, 3, ValueError, r"steps \(10\) must be a multiple of record_every \(3\)"),
])
def test_schedule_validation(lr, steps, every, exc, pattern):
    with pytest.raises(exc, match=pattern):
        training.check_schedule(lr, steps, every)
    with pytest.raises(exc, match=pattern):
        training.gradient_descent(lambda p: jnp.sum(p ** 2), jnp.ones(2), lr, steps, every)


def test_function_space_descent_bad_inputs():
    def loss(f):
        return jnp.sum(f ** 2)

    with pytest.raises(ValueError, match=r"kernel must have shape \(4, 4\), got \(3, 3\)"):
        training.function_space_descent(loss, np.ones((4, 1)), np.eye(3), 0.1, 10)
    with pytest.raises(ValueError, match=r"outputs0 must be a 2-D array"):
        training.function_space_descent(loss, np.ones(4), np.eye(4), 0.1, 10)
    with pytest.raises(ValueError, match=r"kernel must contain only finite values"):
        training.function_space_descent(loss, np.ones((4, 1)), np.full((4, 4), np.nan), 0.1, 10)
    with pytest.raises(ValueError, match=r"steps \(10\) must be a multiple of record_every \(4\)"):
        training.function_space_descent(loss, np.ones((4, 1)), np.eye(4), 0.1, 10, 4)
