"""Unit tests of kernel_ssl.kernels and kernel_ssl.nt: the structured empirical NTK against neural_tangents'
Jacobian contraction, the closed-form infinite-width NTK and NNGP kernels against neural_tangents.stax, the
M^(-1/2) approach to the limit, helpers, and bad inputs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import infinite_width, kernels, linalg, models, nt

# float64: the issue requires agreement with neural_tangents to 1e-6 relative, far below float32 round-off of
# sums over thousands of hidden units
jax.config.update("jax_enable_x64", True)

KEY = jax.random.PRNGKey(0)
M_IN = 5
X1 = jax.random.normal(jax.random.PRNGKey(1), (6, M_IN))
X2 = jax.random.normal(jax.random.PRNGKey(2), (4, M_IN))
# Both kernels are sums of M products computed in float64 in different orders: their relative difference is
# round-off, at most about M * 2.2e-16 ~ 1e-12 for M ~ 4000 (typically sqrt(M) times smaller). 1e-10 leaves a
# margin and is far below the requirement of 1e-6.
ROUND_OFF = 1e-10


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("bias_std", [0.0, 0.5])
def test_structured_ntk_matches_neural_tangents(activation, bias_std):
    params = models.init_two_layer(KEY, M_IN, 96, 3, dtype=jnp.float64)
    ours = kernels.empirical_ntk_two_layer(params, X1, X2, activation, bias_std)
    theirs = nt.nt_empirical_ntk(params, X1, X2, activation, bias_std)
    assert ours.shape == theirs.shape == (6, 4, 3, 3)
    assert linalg.relative_frobenius_error(ours, theirs) <= ROUND_OFF
    # the off-diagonal output blocks are non-zero at finite width (so the comparison covers them)
    assert np.abs(np.asarray(ours)[:, :, 0, 1]).max() > 1e-3


def test_structured_ntk_chunked_width():
    # a width above UNIT_CHUNK and not a multiple of it: a full chunk and a partial one are summed
    width = kernels.UNIT_CHUNK + 37
    params = models.init_two_layer(KEY, M_IN, width, 2, dtype=jnp.float64)
    ours = kernels.empirical_ntk_two_layer(params, X1, X2, "erf", 0.3)
    theirs = nt.nt_empirical_ntk(params, X1, X2, "erf", 0.3)
    assert linalg.relative_frobenius_error(ours, theirs) <= ROUND_OFF


@pytest.mark.parametrize("d", [1, 4])
def test_structured_ntk_one_set_matches_neural_tangents(d):
    # x2 is x1 takes the path that computes the hidden activations once; d = 1 has a single hidden block, d = 4
    # six distinct blocks i <= j mirrored into the lower triangle
    params = models.init_two_layer(KEY, M_IN, 80, d, dtype=jnp.float64)
    ours = kernels.empirical_ntk_two_layer(params, X1, X1, "erf", 0.4)
    theirs = nt.nt_empirical_ntk(params, X1, X1, "erf", 0.4)
    assert ours.shape == theirs.shape == (6, 6, d, d)
    assert linalg.relative_frobenius_error(ours, theirs) <= ROUND_OFF
    # the same inputs as a distinct array take the general path: the same kernel up to round-off
    copy = kernels.empirical_ntk_two_layer(params, X1, jnp.array(X1), "erf", 0.4)
    np.testing.assert_allclose(copy, ours, rtol=1e-12, atol=1e-14)


def test_structured_ntk_is_symmetric_on_one_set():
    params = models.init_two_layer(KEY, M_IN, 64, 2, dtype=jnp.float64)
    theta = np.asarray(kernels.empirical_ntk_two_layer(params, X1, X1))
    # Theta(x_i, x_j)_ab = Theta(x_j, x_i)_ba
    np.testing.assert_allclose(theta, theta.transpose(1, 0, 3, 2), rtol=1e-12)


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("bias_std", [0.0, 0.5])
def test_closed_form_matches_stax(activation, bias_std):
    closed = kernels.closed_form_ntk(X1, X2, activation, bias_std)
    analytic = nt.analytic_kernel(X1, X2, activation, bias_std)
    assert closed.shape == analytic.shape == (6, 4)
    # the same closed forms evaluated by two codes: float64 round-off (measured ~2e-16)
    assert linalg.relative_frobenius_error(closed, analytic) <= ROUND_OFF
    # On the diagonal (parallel inputs) the ReLU angle is computed from 1 - cos (ours) or q q' - c^2
    # (neural_tangents), both known only to about sqrt(2 * 2.2e-16) = 2.1e-8 rad. With dTheta/dtheta = -c/(2 pi)
    # at theta = 0, each code's diagonal entry is off by at most 2.1e-8 / (2 pi) = 3.3e-9 relative, 6.7e-9 for
    # the two: hence 1e-8 (measured: 1e-9 for ReLU, 1e-16 for erf, which has no angle).
    closed = kernels.closed_form_ntk(X1, X1, activation, bias_std)
    analytic = nt.analytic_kernel(X1, X1, activation, bias_std)
    assert linalg.relative_frobenius_error(closed, analytic) <= 1e-8


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("bias_std", [0.0, 0.5])
def test_closed_form_nngp_matches_stax(activation, bias_std):
    closed = kernels.closed_form_nngp(X1, X2, activation, bias_std)
    analytic = nt.analytic_kernel(X1, X2, activation, bias_std, get="nngp")
    assert closed.shape == analytic.shape == (6, 4)
    # the NNGP has no sigma' term: float64 round-off also on the diagonal (measured ~1e-16)
    assert linalg.relative_frobenius_error(closed, analytic) <= ROUND_OFF
    diag = kernels.closed_form_nngp(X1, X1, activation, bias_std)
    assert linalg.relative_frobenius_error(diag, nt.analytic_kernel(X1, X1, activation, bias_std, get="nngp")) \
        <= ROUND_OFF


def test_closed_form_ntk_is_nngp_plus_derivative_term():
    # Theta_inf = E[s s] + c E[s' s']; for ReLU without bias E[s' s'] = (pi - theta) / (2 pi)
    x1, x2 = np.asarray(X1), np.asarray(X2)
    c = x1 @ x2.T / M_IN
    cos = c / np.sqrt(np.outer(np.sum(x1 ** 2, 1), np.sum(x2 ** 2, 1)) / M_IN ** 2)
    expected = np.asarray(kernels.closed_form_nngp(X1, X2)) + c * (np.pi - np.arccos(cos)) / (2 * np.pi)
    np.testing.assert_allclose(kernels.closed_form_ntk(X1, X2), expected, rtol=1e-12)


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
@pytest.mark.parametrize("fn,get", [(kernels.closed_form_ntk, "ntk"), (kernels.closed_form_nngp, "nngp")],
                         ids=["ntk", "nngp"])
def test_zero_input_is_the_limit_not_nan(activation, fn, get):
    # without bias a zero input has h = 0 for every unit: sigma(0) = 0 (both activations) and c = 0, so its row and
    # column of both kernels are 0, as neural_tangents returns
    x = np.asarray(X1).copy()
    x[2] = 0.0
    k = np.asarray(fn(x, x, activation))
    assert np.all(np.isfinite(k))
    np.testing.assert_array_equal(k[2], 0.0)
    np.testing.assert_array_equal(k[:, 2], 0.0)
    np.testing.assert_allclose(k, nt.analytic_kernel(x, x, activation, get=get), rtol=1e-8, atol=1e-12)


def test_closed_form_relu_diagonal():
    # on the diagonal theta = 0: E[s s] = q/2 and E[s' s'] = 1/2, so Theta(x, x) = q/2 + q/2 = q = ||x||^2/m
    k = np.diag(np.asarray(kernels.closed_form_ntk(X1, X1, "relu")))
    np.testing.assert_allclose(k, np.sum(np.asarray(X1) ** 2, axis=1) / M_IN, rtol=1e-12)


def test_kron_identity():
    k = np.asarray(kernels.closed_form_ntk(X1, X2))
    block = np.asarray(kernels.kron_identity(k, 3))
    assert block.shape == (6, 4, 3, 3)
    for a in range(3):
        for b in range(3):
            np.testing.assert_array_equal(block[:, :, a, b], k if a == b else 0.0)
    with pytest.raises(ValueError, match=r"d must be at least 1"):
        kernels.kron_identity(k, 0)
    with pytest.raises(ValueError, match=r"kernel must be a 2-D array"):
        kernels.kron_identity(k[0], 2)


def test_relative_frobenius_error():
    # moved to linalg; the kernel tests above rely on it, so its exact value and its checks are pinned here too
    rng = np.random.default_rng(0)
    ref = rng.standard_normal((3, 4))
    est = ref + 0.1 * rng.standard_normal((3, 4))
    assert linalg.relative_frobenius_error(est, ref) == pytest.approx(
        np.sqrt(np.sum((est - ref) ** 2) / np.sum(ref ** 2)), rel=1e-14)
    assert linalg.relative_frobenius_error(ref, ref) == 0.0
    with pytest.raises(ValueError, match=r"estimate and reference must have the same shape"):
        linalg.relative_frobenius_error(ref, ref.T)
    with pytest.raises(ValueError, match=r"reference must be non-zero"):
        linalg.relative_frobenius_error(ref, np.zeros_like(ref))
    with pytest.raises(ValueError, match=r"estimate must contain only finite values"):
        linalg.relative_frobenius_error(np.full_like(ref, np.nan), ref)


def test_centre_kernel():
    k = np.asarray(kernels.closed_form_ntk(X1, X1, "erf", 0.2))
    c = np.asarray(kernels.centre_kernel(k))
    np.testing.assert_allclose(c.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(c.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(kernels.centre_kernel(c)), c, atol=1e-12)  # idempotent
    h = np.eye(6) - np.ones((6, 6)) / 6
    np.testing.assert_allclose(c, h @ k @ h, atol=1e-12)
    with pytest.raises(ValueError, match=r"kernel must be square, got shape \(6, 4\)"):
        kernels.centre_kernel(np.zeros((6, 4)))


@pytest.mark.parametrize("fn", [kernels.empirical_ntk_two_layer, nt.nt_empirical_ntk],
                         ids=["structured", "neural_tangents"])
def test_empirical_ntk_bad_inputs(fn):
    params = models.init_two_layer(KEY, M_IN, 8, 2, dtype=jnp.float64)
    with pytest.raises(ValueError, match=r"x1 must be a 2-D array"):
        fn(params, X1[0], X2)
    with pytest.raises(ValueError, match=r"x2 must be a 2-D array"):
        fn(params, X1, X2[None])
    with pytest.raises(ValueError, match=r"x1 and x2 must have the same input dimension, got 5 and 4"):
        fn(params, X1, X2[:, :4])
    with pytest.raises(ValueError, match=r"x1 and x2 must have 5 columns"):
        fn(params, X1[:, :4], X2[:, :4])
    with pytest.raises(ValueError, match=r"x1 must contain only finite values"):
        fn(params, X1.at[0, 0].set(jnp.nan), X2)
    with pytest.raises(ValueError, match=r"activation must be one of \('relu', 'erf'\)"):
        fn(params, X1, X2, "tanh")
    with pytest.raises(ValueError, match=r"bias_std must be a finite number >= 0"):
        fn(params, X1, X2, "relu", -0.1)


@pytest.mark.parametrize("fn", [kernels.closed_form_ntk, kernels.closed_form_nngp, nt.analytic_kernel],
                         ids=["closed_form", "closed_form_nngp", "stax"])
def test_infinite_width_kernel_bad_inputs(fn):
    with pytest.raises(ValueError, match=r"x1 must be a 2-D array"):
        fn(X1[0], X2)
    with pytest.raises(ValueError, match=r"x1 and x2 must have the same input dimension"):
        fn(X1, X2[:, :3])
    with pytest.raises(ValueError, match=r"x2 must contain only finite values"):
        fn(X1, X2.at[1, 1].set(jnp.inf))
    with pytest.raises(ValueError, match=r"activation must be one of"):
        fn(X1, X2, "sigmoid")
    with pytest.raises(ValueError, match=r"bias_std must be a finite number >= 0"):
        fn(X1, X2, "relu", -1.0)


def test_analytic_kernel_get():
    nngp = nt.analytic_kernel(X1, X1, "relu", get="nngp")
    # ReLU NNGP on the diagonal: E[relu(u)^2] = q / 2
    np.testing.assert_allclose(np.diag(np.asarray(nngp)), np.sum(np.asarray(X1) ** 2, axis=1) / M_IN / 2,
                               rtol=1e-10)
    with pytest.raises(ValueError, match=r"get must be one of \('ntk', 'nngp'\)"):
        nt.analytic_kernel(X1, X1, get="cov")


# last in this file: ntk_init_errors drops JAX's compiled programs when it ends (see release_memory)
def test_empirical_ntk_approaches_the_limit_like_root_width():
    # Theta_M is the mean of M i.i.d. per-unit kernels whose mean is Theta_inf, so E||Theta_M - Theta_inf||_F^2
    # = tr Cov / M exactly: the mean squared error at M = 256 is 16384 / 256 = 64 times that at M = 16384
    # (the root-mean-square error falls by sqrt(64) = 8). With 64 initialisations per width the relative standard
    # error of each mean squared error is ~6% (measured: coefficient of variation of the squared error ~0.5),
    # ~9% for the ratio (measured over 5 seeds: ratios 55 to 65); the ratio must be 64 within 5 of its standard
    # errors (delta method, estimated from the same draws). A decay like M^(-1/4) would give a ratio of 8.
    x = jax.random.normal(jax.random.PRNGKey(3), (16, M_IN))
    repeats = 64
    errors = infinite_width.ntk_init_errors(jax.random.PRNGKey(4), x, [256, 16384], 1, "relu", repeats=repeats)
    squared = errors ** 2
    mean = squared.mean(axis=1)
    relative_se = squared.std(axis=1, ddof=1) / np.sqrt(repeats) / mean
    ratio_se = np.sqrt(np.sum(relative_se ** 2))
    assert ratio_se < 0.15  # the check below is only meaningful if the noise is this small
    assert abs(np.log(mean[0] / mean[1] / 64.0)) <= 5 * ratio_se, (mean[0] / mean[1], ratio_se)
