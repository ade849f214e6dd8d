"""Unit tests of kernel_ssl.dynamics: parameter-space and function-space gradient descent against their exact
discrete solutions on quadratics, the kernel step against parameter descent of a linear model, recording,
divergence detection, the closure check and bad inputs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import dynamics, losses

# float64: the iterates are compared with the exact solution at float64 round-off (rtol 1e-10 allows for
# the error growth over a few hundred steps of a contraction)
jax.config.update("jax_enable_x64", True)
RTOL = 1e-10

RNG = np.random.default_rng(0)


def _spd(n: int, seed: int, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q @ np.diag(np.linspace(low, high, n)) @ q.T


def _quadratic(p, a, u_star):
    du = p["u"] - u_star
    return 0.5 * du @ a @ du + 0.5 * jnp.sum(p["v"] ** 2)


def _sum_of_squares(p):
    return jnp.sum(p ** 2)


def _squared_error(f, y):
    return losses.squared_error(f, y)


def test_gradient_descent_on_a_quadratic():
    # L(theta) = 1/2 (u - u*)^T A (u - u*) + 1/2 ||v||^2 for theta = {"u", "v"}; one GD step maps
    # u - u* -> (I - lr A)(u - u*) and v -> (1 - lr) v, so after k steps u_k - u* = (I - lr A)^k (u_0 - u*)
    a = _spd(4, 1)
    u_star = RNG.standard_normal(4)
    theta0 = {"u": jnp.asarray(RNG.standard_normal(4)), "v": jnp.asarray(RNG.standard_normal(3))}
    lr, steps, every = 0.3, 60, 20
    run = dynamics.descend(dynamics.gradient_step(_quadratic), theta0, lr, steps, args=(a, u_star),
                           observe=dynamics.loss_observer(_quadratic), record_at=dynamics.record_steps(steps, every))
    step = np.eye(4) - lr * a
    expected_losses = []
    for k in range(0, steps + 1, every):
        du = np.linalg.matrix_power(step, k) @ (np.asarray(theta0["u"]) - u_star)
        v = (1 - lr) ** k * np.asarray(theta0["v"])
        expected_losses.append(0.5 * du @ a @ du + 0.5 * v @ v)
    np.testing.assert_allclose(run.final["u"], u_star + np.linalg.matrix_power(step, steps)
                               @ (np.asarray(theta0["u"]) - u_star), rtol=RTOL)
    np.testing.assert_allclose(run.final["v"], (1 - lr) ** steps * np.asarray(theta0["v"]), rtol=RTOL)
    np.testing.assert_array_equal(run.steps, np.arange(0, steps + 1, every))
    np.testing.assert_allclose(run.t, lr * run.steps, rtol=0)
    assert run.records.shape == (steps // every + 1,)
    np.testing.assert_allclose(run.records, expected_losses, rtol=RTOL)


@pytest.mark.parametrize("every", [1, 5, 30])
def test_kernel_descent_supervised(every):
    # L(F) = ||F - Y||_F^2 / N has gradient 2 (F - Y) / N, so F_k - Y = (I - 2 lr K / N)^k (F_0 - Y)
    n, d = 6, 2
    k = _spd(n, 2)
    y = RNG.standard_normal((n, d))
    f0 = RNG.standard_normal((n, d))
    lr, steps = 0.4, 30
    run = dynamics.descend(dynamics.kernel_gradient_step(_squared_error), jnp.asarray(f0), lr, steps,
                           args=(jnp.asarray(k), jnp.asarray(y)), record_at=dynamics.record_steps(steps, every))
    assert run.records.shape == (steps // every + 1, n, d)
    step = np.eye(n) - 2 * lr * k / n
    for i, s in enumerate(range(0, steps + 1, every)):
        np.testing.assert_allclose(run.records[i], y + np.linalg.matrix_power(step, s) @ (f0 - y), rtol=RTOL)
    np.testing.assert_allclose(run.final, run.records[-1], rtol=0)


def test_kernel_step_barlow_twins():
    # one step of F <- F - lr K grad L for Barlow Twins: grad_F ||F^T Z F / 2n - I||^2 = (2/n) Z F (C - I)
    n_pairs, d = 4, 2
    f0 = RNG.standard_normal((2 * n_pairs, d))
    k = _spd(2 * n_pairs, 3)
    z = np.block([[np.zeros((n_pairs, n_pairs)), np.eye(n_pairs)], [np.eye(n_pairs), np.zeros((n_pairs, n_pairs))]])
    c = f0.T @ z @ f0 / (2 * n_pairs)
    expected = f0 - 0.1 * (2 / n_pairs) * k @ z @ f0 @ (c - np.eye(d))
    step = dynamics.kernel_gradient_step(losses.stacked(losses.barlow_twins_theory))
    run = dynamics.descend(step, jnp.asarray(f0), 0.1, 1, args=(jnp.asarray(k),))
    np.testing.assert_allclose(run.final, expected, rtol=RTOL)


def _linear_model_loss(w, x, y):
    return losses.squared_error(x @ w, y)


def test_kernel_step_is_parameter_descent_of_a_linear_model():
    # f(x) = W^T x is linear in W, its tangent kernel is K = X X^T (constant), so gradient descent on W moves the
    # outputs F = X W exactly by F <- F - lr K grad_F L: the two descents agree at every step
    n, m, d = 7, 4, 2
    x = RNG.standard_normal((n, m))
    y = RNG.standard_normal((n, d))
    w0 = RNG.standard_normal((m, d))
    lr, steps = 0.05, 40
    record = dynamics.record_steps(steps, every=8)
    params = dynamics.descend(dynamics.gradient_step(_linear_model_loss), jnp.asarray(w0), lr, steps,
                              args=(jnp.asarray(x), jnp.asarray(y)), record_at=record)
    outputs = dynamics.descend(dynamics.kernel_gradient_step(_squared_error), jnp.asarray(x @ w0), lr, steps,
                               args=(jnp.asarray(x @ x.T), jnp.asarray(y)), record_at=record)
    np.testing.assert_allclose(outputs.records, np.einsum("nm,rmd->rnd", x, params.records), rtol=1e-10, atol=1e-12)


def test_stacked_loss_splits_the_views():
    f = RNG.standard_normal((10, 3))
    loss = losses.stacked(losses.spectral_contrastive)
    np.testing.assert_allclose(loss(jnp.asarray(f)), losses.spectral_contrastive(f[:5], f[5:]), rtol=RTOL)
    assert losses.stacked(losses.spectral_contrastive) is loss  # one object per loss: compiled programs reused


def test_step_objects_are_cached():
    assert dynamics.gradient_step(_sum_of_squares) is dynamics.gradient_step(_sum_of_squares)
    assert dynamics.kernel_gradient_step(_squared_error) is dynamics.kernel_gradient_step(_squared_error)


def test_divergence_raises():
    # lr = 3 on L = ||theta||^2 multiplies theta by (1 - 2 * 3) = -5 per step: 5^500 overflows float64
    with pytest.raises(FloatingPointError, match=r"diverged"):
        dynamics.descend(dynamics.gradient_step(_sum_of_squares), jnp.ones(3), 3.0, 500,
                         record_at=dynamics.record_steps(500, 100))
    y = jnp.zeros((4, 1))
    with pytest.raises(FloatingPointError, match=r"diverged"):
        dynamics.descend(dynamics.kernel_gradient_step(_squared_error), jnp.ones((4, 1)), 1.0, 500,
                         args=(100.0 * jnp.eye(4), y), record_at=dynamics.record_steps(500, 100))


def test_closures_over_arrays_are_refused():
    # a step or observer that closes over an array would be compiled once with a stale copy of it
    y = jnp.zeros((4, 1))
    with pytest.raises(TypeError, match=r"step must not close over an array"):
        dynamics.descend(_closing_step(y), jnp.ones((4, 1)), 0.1, 10)
    with pytest.raises(TypeError, match=r"observe must not close over an array"):
        dynamics.descend(dynamics.gradient_step(_sum_of_squares), jnp.ones(2), 0.1, 10,
                         observe=lambda state: state + y[0, 0])
    # the same data through args is accepted
    run = dynamics.descend(_data_step, jnp.ones((4, 1)), 0.5, 1, args=(y,))
    np.testing.assert_allclose(run.final, 0.5 * np.ones((4, 1)), rtol=RTOL)


def _data_step(f, lr, y):
    return f - lr * (f - y)


def _closing_step(y):
    def step(f, lr):
        return f - lr * (f - y)
    return step


@pytest.mark.parametrize("lr,steps,every,exc,pattern", [
    (0.0, 10, 1, ValueError, r"lr must be a finite number > 0"),
    (np.nan, 10, 1, ValueError, r"lr must be a finite number > 0"),
    (0.1, 0, 1, ValueError, r"steps must be at least 1"),
    (0.1, 10.0, 1, TypeError, r"steps must be an integer"),
    (0.1, 10, 0, ValueError, r"every must be at least 1 and at most 10"),
    (0.1, 10, 20, ValueError, r"every must be at least 1 and at most 10"),
    (0.1, 10, 3, ValueError, r"steps \(10\) must be a multiple of every \(3\)"),
])
def test_schedule_validation(lr, steps, every, exc, pattern):
    with pytest.raises(exc, match=pattern):
        record = dynamics.record_steps(steps, every) if isinstance(steps, int) and steps > 0 else None
        dynamics.descend(dynamics.gradient_step(_sum_of_squares), jnp.ones(2), lr, steps, record_at=record)


def test_bad_inputs_name_the_argument():
    step = dynamics.gradient_step(_sum_of_squares)
    with pytest.raises(TypeError, match=r"step must be callable"):
        dynamics.descend(None, jnp.ones(2), 0.1, 10)
    with pytest.raises(TypeError, match=r"observe must be callable"):
        dynamics.descend(step, jnp.ones(2), 0.1, 10, observe=3)
    with pytest.raises(ValueError, match=r"record_at must increase strictly from 0 to steps = 10"):
        dynamics.descend(step, jnp.ones(2), 0.1, 10, record_at=np.array([0, 5]))
    with pytest.raises(ValueError, match=r"record_at must be a 1-D array of at least 2 integer steps"):
        dynamics.descend(step, jnp.ones(2), 0.1, 10, record_at=np.array([0.0, 10.0]))
    with pytest.raises(TypeError, match=r"batched must be True or False"):
        dynamics.descend(step, jnp.ones(2), 0.1, 10, batched=1)
    with pytest.raises(ValueError, match=r"give every or n_log, not both"):
        dynamics.record_steps(10, every=2, n_log=3)


def test_log_spaced_recording_and_batches():
    rec = dynamics.record_steps(1000, n_log=12)
    assert rec[0] == 0 and rec[-1] == 1000 and np.all(np.diff(rec) > 0)
    # a batch of independent quadratic descents: theta_k = (1 - 2 lr)^k theta_0 for each member
    theta0 = jnp.asarray(RNG.standard_normal((3, 2)))
    run = dynamics.descend(dynamics.gradient_step(_sum_of_squares), theta0, 0.1, 1000, record_at=rec, batched=True)
    assert run.records.shape == (3, len(rec), 2)
    np.testing.assert_allclose(run.records, (0.8 ** rec)[None, :, None] * np.asarray(theta0)[:, None, :],
                               rtol=1e-10, atol=1e-300)


_target = jnp.ones(3)  # lowercase: a rebindable global, not a constant


def _reads_global_target(p):
    return jnp.sum((p - _target) ** 2)


def test_arrays_reached_other_than_through_args_are_refused():
    """A compiled program is reused for the same step object: an array it reaches through a wrapped loss's closure
    or a global it reads would be baked in, and a later run with a changed array would silently reuse the stale
    one (measured: the descent converged to the old target). Both are refused; args are the way in."""
    def closing(t):
        return lambda p: jnp.sum((p - t) ** 2)

    with pytest.raises(TypeError, match=r"step must not close over an array.*closes over the array 't'"):
        dynamics.descend(dynamics.gradient_step(closing(jnp.ones(3))), jnp.zeros(3), 0.1, 5)
    with pytest.raises(TypeError, match=r"reads the global array '_target'"):
        dynamics.descend(dynamics.gradient_step(_reads_global_target), jnp.zeros(3), 0.1, 5)

    def through_args(p, t):
        return jnp.sum((p - t) ** 2)

    step = dynamics.gradient_step(through_args)
    for target in (1.0, 3.0):  # the same step object, a changed array: the second run follows it
        run = dynamics.descend(step, jnp.zeros(3), 0.1, 200, args=(target * jnp.ones(3),))
        np.testing.assert_allclose(run.final, target, rtol=1e-6)
