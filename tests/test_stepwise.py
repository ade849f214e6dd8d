"""Unit tests of kernel_ssl.stepwise and kernel_ssl.spectra: the closed forms of linearised Barlow Twins against
their defining equations, the simulations against exact discrete solutions and against each other (linear model,
kernel model, explicit features, dynamics.kernel_gradient_step, autodiff of losses.barlow_twins_theory), the
measurements on curves whose answer is known, and every bad input raising with the argument's name.

Tolerances: float64 round-off (1e-10 relative, allowing for error growth over a few thousand steps of a
contraction and for eigendecompositions of matrices with condition numbers up to ~1e4) unless a test says
otherwise."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import data, dynamics, linalg, losses, spectra, stepwise

jax.config.update("jax_enable_x64", True)
RTOL = 1e-10


def _pairs(seed: int, n: int = 60, m: int = 8, spectrum=None):
    """Pairs with cross-correlation close to diag(spectrum) in a random basis (a shared signal, independent noise)."""
    rng = np.random.default_rng(seed)
    spectrum = np.linspace(1.0, 0.1, m) if spectrum is None else np.asarray(spectrum)
    s = rng.standard_normal((n, m)) * np.sqrt(spectrum)
    q, _ = np.linalg.qr(rng.standard_normal((m, m)))
    return (s + 0.1 * rng.standard_normal((n, m))) @ q.T, (s + 0.1 * rng.standard_normal((n, m))) @ q.T


def _features_and_kernel(seed: int, n: int = 20, p: int = 12):
    """Explicit features Phi of the 2n stacked views, and K = Phi Phi^T."""
    x, xp = _pairs(seed, n, p)
    phi = np.concatenate([x, xp])
    return phi, phi @ phi.T


# ----------------------------------------------------------------------------------------------- spectra
def test_pair_cross_correlation_matches_definition():
    x, xp = _pairs(0)
    expected = sum(np.outer(a, b) + np.outer(b, a) for a, b in zip(x, xp, strict=True)) / (2 * len(x))
    np.testing.assert_allclose(spectra.pair_cross_correlation(x, xp), expected, rtol=RTOL, atol=1e-14)


def test_linear_closed_form_whitens_the_top_modes():
    x, xp = _pairs(1)
    gamma = spectra.pair_cross_correlation(x, xp)
    values, vectors = spectra.top_modes(gamma, 3)
    w = spectra.closed_form_linear(gamma, 3)
    np.testing.assert_allclose(w @ gamma @ w.T, np.eye(3), atol=1e-12)            # C = I
    np.testing.assert_allclose(w.T @ w, vectors @ np.diag(1 / values) @ vectors.T, rtol=RTOL, atol=1e-12)
    assert np.all(np.diff(values) <= 0)


def test_kernel_spectrum_equals_feature_spectrum():
    # Theorem: the nonzero eigenvalues of K^1/2 Z K^1/2 / 2n are those of Gamma_phi = Phi^T Z Phi / 2n
    phi, k = _features_and_kernel(2)
    n = phi.shape[0] // 2
    gamma_phi = spectra.pair_cross_correlation(phi[:n], phi[n:])
    lam, _ = spectra.kernel_modes(k, 4)
    g, _ = spectra.top_modes(gamma_phi, 4)
    np.testing.assert_allclose(lam, g, rtol=RTOL)


def test_kernel_closed_form_matches_linear_closed_form_on_features():
    phi, k = _features_and_kernel(3)
    n = phi.shape[0] // 2
    w_star = spectra.closed_form_linear(spectra.pair_cross_correlation(phi[:n], phi[n:]), 3)
    f_star = spectra.closed_form_outputs(k, 3)
    # same learned kernel on the views (the rotation U is arbitrary, so compare F F^T)
    np.testing.assert_allclose(f_star @ f_star.T, phi @ w_star.T @ w_star @ phi.T, rtol=1e-9, atol=1e-11)
    # C = I at the closed form, and the embedding of the training views is F*
    np.testing.assert_allclose(f_star.T @ data.swap_views(f_star) / (2 * n), np.eye(3), atol=1e-11)
    np.testing.assert_allclose(spectra.closed_form_embedding(k, k, 3), f_star, rtol=1e-9, atol=1e-11)
    # out of sample: k*(x, x') from kernel rows equals x^T W*^T W* x'
    rng = np.random.default_rng(3)
    new = rng.standard_normal((5, phi.shape[1]))
    np.testing.assert_allclose(spectra.closed_form_kernel(k, new @ phi.T, new @ phi.T, 3),
                               new @ w_star.T @ w_star @ new.T, rtol=1e-9, atol=1e-11)


def test_centred_kernel_closed_form_uses_the_range():
    # a centred kernel is singular: the pseudo-inverse root must still give C = I on the views
    _, k = _features_and_kernel(4, n=15)
    h = np.eye(30) - 1 / 30
    kc = h @ k @ h
    f_star = spectra.closed_form_outputs(kc, 2)
    np.testing.assert_allclose(f_star.T @ data.swap_views(f_star) / 30, np.eye(2), atol=1e-10)
    root, inv_root = linalg.psd_sqrt(kc)
    np.testing.assert_allclose(root @ root, kc, atol=1e-10 * np.abs(kc).max())
    np.testing.assert_allclose(root @ inv_root @ kc, kc, atol=1e-9 * np.abs(kc).max())


def test_contrastive_operator_is_k_root_z_k_root():
    _, k = _features_and_kernel(5, n=6)
    root, _ = linalg.psd_sqrt(k)
    z = np.asarray(data.pair_swap_matrix(6, dtype=np.float64))
    np.testing.assert_allclose(spectra.contrastive_operator(k), root @ z @ root / 12, rtol=RTOL, atol=1e-13)
    lam, u = spectra.kernel_modes(k, 2)
    np.testing.assert_allclose(spectra.contrastive_operator(k) @ u, u * lam, atol=1e-10)


# ----------------------------------------------------------------------------------------------- closed forms
def test_logistic_solves_its_ode_and_step_times_are_half_height():
    gammas, c0 = np.array([1.0, 0.4]), np.array([1e-6, 3e-7])
    t = np.linspace(0, 60, 20001)
    c = stepwise.logistic_eigenvalues(t, gammas, c0)
    np.testing.assert_allclose(c[0], c0, rtol=RTOL)
    # dc/dt = 8 gamma c (1 - c): central differences, error O(dt^2 * c''') ~ 1e-5 here
    dc = np.gradient(c, t, axis=0)[1:-1]
    np.testing.assert_allclose(dc, 8 * gammas * c[1:-1] * (1 - c[1:-1]), atol=2e-4)
    times = stepwise.step_times(gammas, c0)
    np.testing.assert_allclose(stepwise.logistic_eigenvalues(times, gammas, c0).diagonal(), 0.5, rtol=RTOL)
    np.testing.assert_allclose(stepwise.staircase_loss(stepwise.logistic_eigenvalues(np.array([0.0, 60.0]),
                                                                                    gammas, c0)), [2, 0], atol=1e-5)


def test_gradient_descent_rates_and_map():
    gammas = np.array([1.0, 0.5])
    np.testing.assert_allclose(stepwise.growth_rates(gammas, lr=1e-7), 8 * gammas, rtol=1e-6)
    # the map c <- c (1 + 4 lr gamma (1 - c))^2 crosses 1/2 later than the flow by about 2 lr gamma
    c0 = np.array([1e-8, 1e-8])
    flow, gd = stepwise.step_times(gammas, c0), stepwise.step_times(gammas, c0, lr=0.01)
    assert np.all(gd > flow)
    np.testing.assert_allclose(gd / flow - 1, 2 * 0.01 * gammas, rtol=0.2)


def test_initial_eigenvalues_from_qr():
    gammas = np.array([2.0, 1.0, 0.5])
    p = np.diag([1e-3, 2e-3, 3e-3])
    np.testing.assert_allclose(stepwise.initial_eigenvalues(p, gammas), gammas * np.diag(p) ** 2, rtol=RTOL)
    # column j only counts with its part orthogonal to the earlier columns
    p2 = np.array([[1.0, 1.0], [0.0, 1.0]]) * 1e-3
    np.testing.assert_allclose(stepwise.initial_eigenvalues(p2, gammas[:2]), gammas[:2] * 1e-6, rtol=RTOL)


def test_expected_initial_eigenvalue_is_the_mean():
    # gamma ||W0 v||^2 over W0 ~ N(0, alpha^2): mean d alpha^2 gamma; 4000 draws of a chi^2_d / d: relative
    # standard error sqrt(2 / (d * 4000)) = 1.3% for d = 3; 5 standard errors
    d, m, alpha = 3, 6, 1e-3
    w = stepwise.initial_weights(jax.random.PRNGKey(0), 4000 * d, m, alpha).reshape(4000, d, m)
    v = np.eye(m)[:, 0]
    sample = 0.7 * np.mean(np.sum(np.asarray(w @ v) ** 2, axis=1))
    assert sample == pytest.approx(stepwise.expected_initial_eigenvalues([0.7], d, alpha)[0], rel=5 * 0.013)


# ----------------------------------------------------------------------------------------------- simulations
def test_linear_descent_from_aligned_start_is_the_exact_map():
    x, xp = _pairs(6)
    gamma = spectra.pair_cross_correlation(x, xp)
    values, vectors = spectra.top_modes(gamma, 3)
    s0 = np.array([1e-3, 2e-3, 1.5e-3])
    lr, steps = 0.02 / values[0], 3000
    run = stepwise.linear_descent(s0[:, None] * vectors.T, gamma, lr, steps)
    exact = stepwise.logistic_eigenvalues(run.t, values, values * s0 ** 2, lr=lr)
    exact = np.sort(exact, axis=1)[:, ::-1]          # the simulation records the eigenvalues of C in descending order
    np.testing.assert_allclose(run.eigenvalues, exact, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(run.loss, np.sum((1 - exact) ** 2, axis=1), rtol=1e-8, atol=1e-12)


def test_linear_descent_step_is_the_gradient_of_the_library_loss():
    x, xp = _pairs(7)
    gamma = spectra.pair_cross_correlation(x, xp)
    w0 = 0.3 * np.random.default_rng(7).standard_normal((2, x.shape[1]))
    lr = 0.01
    grad = jax.grad(lambda w: losses.barlow_twins_theory(x @ w.T, xp @ w.T))(jnp.asarray(w0))
    run = stepwise.linear_descent(w0, gamma, lr, 1)
    np.testing.assert_allclose(run.final, w0 - lr * np.asarray(grad), rtol=RTOL, atol=1e-14)


def test_kernel_descent_is_linear_descent_on_features_and_function_space_descent():
    phi, k = _features_and_kernel(8)
    n = phi.shape[0] // 2
    gamma_phi = spectra.pair_cross_correlation(phi[:n], phi[n:])
    w0 = 1e-3 * np.random.default_rng(8).standard_normal((2, phi.shape[1]))
    lr, steps = 0.05 / spectra.top_modes(gamma_phi, 1)[0][0], 800
    lin = stepwise.linear_descent(w0, gamma_phi, lr, steps)
    ker = stepwise.kernel_descent(phi @ w0.T, k, lr, steps)
    np.testing.assert_allclose(ker.final, phi @ lin.final.T, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ker.eigenvalues, lin.eigenvalues, rtol=1e-8, atol=1e-12)
    step = dynamics.kernel_gradient_step(losses.stacked(losses.barlow_twins_theory))
    reference = dynamics.descend(step, jnp.asarray(phi @ w0.T), lr, steps, args=(jnp.asarray(k),),
                                 record_at=dynamics.record_steps(steps, every=steps)).final
    np.testing.assert_allclose(ker.final, reference, rtol=1e-8, atol=1e-12)


def test_kernel_mode_coordinates_equal_linear_ones():
    phi, k = _features_and_kernel(9)
    n = phi.shape[0] // 2
    _, v = spectra.top_modes(spectra.pair_cross_correlation(phi[:n], phi[n:]), 3)
    _, u = spectra.kernel_modes(k, 3)
    w0 = np.random.default_rng(9).standard_normal((3, phi.shape[1]))
    lin = stepwise.linear_mode_coordinates(w0, v)
    ker = stepwise.kernel_mode_coordinates(phi @ w0.T, k, u)
    # eigenvectors are defined up to sign: compare column by column up to sign
    signs = np.sign(np.sum(lin * ker, axis=0))
    np.testing.assert_allclose(ker * signs, lin, rtol=1e-8, atol=1e-10)
    batch = stepwise.kernel_mode_coordinates(np.stack([phi @ w0.T, 2 * phi @ w0.T]), k, u)
    np.testing.assert_allclose(batch[1], 2 * ker, rtol=1e-12)


def test_initial_outputs_have_the_kernel_as_covariance():
    # F0 = alpha K^1/2 G: E[F0 F0^T] / d = alpha^2 K; 2000 columns, Monte-Carlo error ~ sqrt(2/2000) = 3% of the
    # diagonal; 5 standard errors in relative Frobenius norm
    _, k = _features_and_kernel(10, n=5)
    f0 = stepwise.initial_outputs(jax.random.PRNGKey(1), k, 2000, 0.1)
    np.testing.assert_allclose(f0 @ f0.T / 2000, 0.01 * k, atol=5 * 0.03 * 0.01 * np.abs(k).max())


def test_train_network_centres_and_records():
    x, xp = _pairs(11, n=10, m=4)
    xs = np.concatenate([x, xp])
    run = stepwise.train_network(jax.random.PRNGKey(0), xs, 32, 2, losses.barlow_twins_theory, 1e-3, 0.5, 20)
    assert run.cross_eigenvalues.shape == (21, 2) and run.covariance_eigenvalues.shape == (21, 2)
    np.testing.assert_allclose(run.outputs.mean(axis=0), 0, atol=1e-12)
    # the recorded loss is the theory loss of the centred outputs (exactly sum (1 - c_j)^2 of the eigenvalues)
    np.testing.assert_allclose(run.loss, np.sum((1 - run.cross_eigenvalues) ** 2, axis=1), rtol=1e-9)
    assert run.loss[-1] < run.loss[0]


# ----------------------------------------------------------------------------------------------- measurements
def test_crossing_plateaus_and_step_count_on_known_curves():
    gammas, c0 = np.array([1.0, 0.5, 0.25]), np.full(3, 1e-10)
    t = np.linspace(0, 40, 40001)
    c = stepwise.logistic_eigenvalues(t, gammas, c0)
    times = stepwise.crossing_times(t, c)
    np.testing.assert_allclose(times, stepwise.step_times(gammas, c0), atol=1e-6)
    levels = stepwise.plateau_levels(t, stepwise.staircase_loss(c), times)
    np.testing.assert_allclose(levels, [3, 2, 1, 0], atol=0.01)
    assert stepwise.count_steps(t, stepwise.staircase_loss(c)) == 3
    # two modes with equal rates step together: one step of height 2, then one more
    merged = stepwise.logistic_eigenvalues(t, np.array([1.0, 0.98, 0.25]), c0)
    assert stepwise.count_steps(t, stepwise.staircase_loss(merged)) == 2


def test_init_scale_slopes_recover_the_prediction():
    gammas = np.array([1.0, 0.3])
    alphas = 10.0 ** -np.arange(2, 9)
    times = np.array([stepwise.step_times(gammas, stepwise.expected_initial_eigenvalues(gammas, 2, a))
                      for a in alphas])
    # exact up to the O(c0) term ln(1 - c0), which is below 1e-4 relative here
    np.testing.assert_allclose(stepwise.init_scale_slopes(alphas, times), 1 / (8 * gammas), rtol=1e-4)


# ----------------------------------------------------------------------------------------------- experiments
def test_comparison_and_panel_of_an_exact_curve():
    gammas, c0 = np.array([1.0, 0.5]), np.full(2, 1e-8)
    t = np.linspace(0, 60, 6001)
    c = stepwise.logistic_eigenvalues(t, gammas, c0)
    cmp = stepwise.compare(t, c, stepwise.staircase_loss(c), gammas, c0)
    np.testing.assert_allclose(cmp.rel_errors, 0, atol=1e-6)
    panel = stepwise.staircase_panel(cmp, 50)
    np.testing.assert_allclose(panel["predicted_eigenvalues"], panel["eigenvalues"], atol=1e-12)
    assert stepwise.predicted_step_count(cmp) == 2
    assert stepwise.clear_gap_modes([1.0, 0.5, 0.45, 0.1]) == [0]


def test_closed_form_limit_approaches_the_closed_form():
    x, xp = _pairs(13, n=200, m=6, spectrum=[1.0, 0.5, 0.2, 0.1, 0.05, 0.02])
    gamma = spectra.pair_cross_correlation(x, xp)
    direction = np.random.default_rng(13).standard_normal((2, 6))
    limit = stepwise.closed_form_limit(gamma, direction, 2, 10.0 ** -np.arange(2, 8), 0.02)
    assert np.all(limit.final_loss < 1e-6)
    assert np.all(np.diff(limit.gap.kernel_difference) < 0) and limit.gap.overlap[-1] > 0.999
    assert limit.slope == pytest.approx(1 - limit.ratio, rel=0.2)


def test_closed_form_curves_start_small_and_end_learned():
    curves = stepwise.closed_form_curves(-6, 4, 0.6)
    assert curves["predicted_eigenvalues"].shape == (200, 4)
    assert curves["predicted_loss"][0] > 3.9 and curves["predicted_loss"][-1] < 0.1
    assert np.all(np.diff(curves["predicted_times"]) > 0)


# ----------------------------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_with_the_argument_name():
    x, xp = _pairs(12)
    gamma = spectra.pair_cross_correlation(x, xp)
    with pytest.raises(ValueError, match="x and x_prime"):
        spectra.pair_cross_correlation(x, xp[:, :-1])
    with pytest.raises(ValueError, match="d must be at most the number of positive eigenvalues"):
        spectra.top_modes(np.diag([1.0, 0.5, -0.2]), 3)
    with pytest.raises(ValueError, match="gamma must be symmetric"):
        spectra.top_modes(gamma + np.triu(np.ones_like(gamma)), 2)
    bad = gamma.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="gamma must contain only finite"):
        spectra.top_modes(bad, 2)
    with pytest.raises(ValueError, match="d must be at most"):
        spectra.closed_form_linear(np.diag([1.0, 0.0]), 2)
    with pytest.raises(ValueError, match="not positive semi-definite"):
        spectra.kernel_modes(np.diag([1.0, -1.0, 1.0, 1.0]), 1)
    with pytest.raises(ValueError, match="stacked views"):
        spectra.contrastive_operator(np.eye(3))
    with pytest.raises(ValueError, match="cross must be"):
        spectra.closed_form_embedding(np.eye(4), np.ones((2, 3)), 1)
    for bad_alpha in (0.0, -1e-3, float("inf")):
        with pytest.raises(ValueError, match="alpha"):
            stepwise.expected_initial_eigenvalues([1.0], 2, bad_alpha)
        with pytest.raises(ValueError, match="alpha"):
            stepwise.initial_weights(jax.random.PRNGKey(0), 2, 3, bad_alpha)
        with pytest.raises(ValueError, match="alpha"):
            stepwise.initial_outputs(jax.random.PRNGKey(0), np.eye(2), 2, bad_alpha)
    with pytest.raises(ValueError, match="c0 must lie in"):
        stepwise.step_times([1.0], [1.5])
    with pytest.raises(ValueError, match="gammas must be positive"):
        stepwise.logistic_eigenvalues([0.0, 1.0], [-1.0], [1e-3])
    with pytest.raises(ValueError, match="mode_coordinates must have linearly independent"):
        stepwise.initial_eigenvalues(np.zeros((2, 2)), [1.0, 0.5])
    with pytest.raises(ValueError, match="gammas"):
        stepwise.linear_descent(np.zeros((2, 3)), np.triu(np.ones((3, 3))), 0.1, 10)
    with pytest.raises(ValueError, match="w0s"):
        stepwise.linear_descent(np.zeros((2, 4)), np.eye(3), 0.1, 10)
    with pytest.raises(ValueError, match="lr"):
        stepwise.linear_descent(np.zeros((2, 3)), np.eye(3), -0.1, 10)
    with pytest.raises(ValueError, match="f0s"):
        stepwise.kernel_descent(np.zeros((3, 2)), np.eye(3), 0.1, 10)
    with pytest.raises(ValueError, match="never reach"):
        stepwise.crossing_times(np.arange(3.0), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="pair_loss"):
        stepwise.train_network(jax.random.PRNGKey(0), np.ones((4, 2)), 8, 2, "barlow", 1e-3, 0.1, 5)
    with pytest.raises(TypeError, match="pair_loss"):
        stepwise.train_network(jax.random.PRNGKey(0), np.ones((4, 2)), 8, 2, 42, 1e-3, 0.1, 5)
    with pytest.raises(ValueError, match="readout_scale"):
        stepwise.train_network(jax.random.PRNGKey(0), np.ones((4, 2)), 8, 2, losses.barlow_twins_theory, 0.0,
                               0.1, 5)
    with pytest.raises(ValueError, match="log10_alpha"):
        stepwise.closed_form_curves(0.0, 3, 0.6)
    with pytest.raises(ValueError, match="ratio"):
        stepwise.closed_form_curves(-6, 3, 1.2)


# ----------------------------------------------------------------------------------------------- random starts
def test_expected_log_start_is_the_mean_log_of_the_qr_diagonal():
    # Bartlett: R_jj^2 of a d x d standard Gaussian matrix is chi^2 with d - j + 1 degrees of freedom
    rng = np.random.default_rng(0)
    d, draws = 4, 20000
    logs = np.log(np.array([np.diag(np.linalg.qr(rng.standard_normal((d, d)), mode="r")) ** 2
                            for _ in range(draws)]))
    se = logs.std(axis=0) / np.sqrt(draws)
    assert np.all(np.abs(logs.mean(axis=0) - stepwise.expected_log_start(d)) <= 4 * se)


def test_expected_step_times_average_the_draw_specific_ones():
    # the leading-order step time ln(1 / (gamma R_jj^2)) / (8 gamma), averaged over Gaussian draws
    rng = np.random.default_rng(1)
    d, alpha, gammas = 3, 1e-6, np.array([1.0, 0.6, 0.36])
    r2 = np.array([np.diag(np.linalg.qr(alpha * rng.standard_normal((d, d)), mode="r")) ** 2 for _ in range(20000)])
    times = np.log(1 / (gammas * r2)) / (8 * gammas)
    se = times.std(axis=0) / np.sqrt(len(times))
    assert np.all(np.abs(times.mean(axis=0) - stepwise.expected_step_times(gammas, d, alpha)) <= 4 * se)
    # the biased form is earlier for every mode (ln d > psi((d - j + 1) / 2) + ln 2)
    biased = stepwise.step_times(gammas, stepwise.expected_initial_eigenvalues(gammas, d, alpha))
    assert np.all(biased < stepwise.expected_step_times(gammas, d, alpha))


def test_qr_rotation_is_orthogonal_with_positive_triangular_factor():
    p = np.random.default_rng(2).standard_normal((4, 4))
    q = stepwise.qr_rotation(p)
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-12)
    r = q.T @ p
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-12)
    assert np.all(np.diag(r) > 0)


def test_final_rotation_approaches_the_qr_prediction():
    x, xp = _pairs(3, n=200, m=6, spectrum=[1.0, 0.5, 0.25, 0.1, 0.05, 0.02])
    gamma = spectra.pair_cross_correlation(x, xp)
    gammas, vectors = spectra.top_modes(gamma, 2)
    g = np.random.default_rng(4).standard_normal((2, 6))
    q = stepwise.qr_rotation(stepwise.linear_mode_coordinates(g, vectors))
    errors = []
    for alpha in (1e-2, 1e-6):
        c0 = stepwise.initial_eigenvalues(stepwise.linear_mode_coordinates(alpha * g, vectors), gammas)
        lr = 0.01 / gammas[0]
        run = stepwise.linear_descent(alpha * g, gamma, lr, int(3 * stepwise.step_times(gammas, c0)[-1] / lr),
                                      record_every=1)
        errors.append(np.linalg.norm(run.final @ vectors * np.sqrt(gammas) - q))
    assert errors[1] < errors[0] / 3 and errors[1] < 0.05, errors


def test_random_starts_measures_the_mean():
    x, xp = _pairs(5, n=200, m=6, spectrum=[1.0, 0.5, 0.25, 0.1, 0.05, 0.02])
    out = stepwise.random_starts(jax.random.PRNGKey(0), spectra.pair_cross_correlation(x, xp), 2, 1e-4, 0.01, 4)
    assert out.measured.shape == (4, 2)
    np.testing.assert_allclose(out.mean, out.measured.mean(axis=0))
    assert np.all(out.rel_se > 0) and np.all(out.draw_rel_errors < 0.1)


# ----------------------------------------------------------------------------------------------- scale invariance
def test_scale_invariance_holds_for_cosine_and_fails_for_barlow_twins():
    xs = np.asarray(data.stack_views(*data.digits_pairs(jax.random.PRNGKey(0), 12)[:2]))
    cosine = stepwise.scale_invariance(jax.random.PRNGKey(1), xs, 16, 2, "info_nce", 0.1, 0.05, 20)
    assert cosine.output_difference < 20 * 1e-12 / cosine.min_square_norm
    assert cosine.hidden_change < 1e-3
    barlow = stepwise.scale_invariance(jax.random.PRNGKey(1), xs, 16, 2, "barlow_twins", 0.1, 0.05, 20)
    assert barlow.output_difference > 1e-2   # not scale invariant: the negative control


# ----------------------------------------------------------------------------------------------- contrastive kernel
def test_contrastive_kernel_gram_and_the_two_eigenproblems():
    phi, k = _features_and_kernel(6)
    np.testing.assert_allclose(spectra.contrastive_kernel(k, k, k), k @ data.swap_views(k) / k.shape[0],
                               rtol=RTOL, atol=1e-12)
    residual, difference = spectra.rkhs_and_kernel_pca(k, 3)
    assert residual < 1e-10 and difference > 1e-6   # different subspaces, far above round-off (measured 3e-4)
    # both problems are blind to the scale of K
    assert spectra.rkhs_and_kernel_pca(7.0 * k, 3)[1] == pytest.approx(difference, rel=1e-6)


# ----------------------------------------------------------------------------------------------- measurements
def test_count_steps_ignores_the_coarse_early_records():
    lr = 0.01
    t = lr * np.arange(4001)
    loss = 1 - 1 / (1 + np.exp(-4 * (t - 20)))          # one smooth step at t = 20, recorded every step
    assert stepwise.count_steps(t, loss) == 1


def test_rise_times_and_description():
    t = np.linspace(0, 10, 101)
    e = np.stack([1e-6 * np.exp(2 * t), 1e-6 * np.exp(0.2 * t)], axis=1)   # final largest: 1e-6 e^20
    rises = stepwise.rise_times(t, e)      # 1e-6 e^(2t) reaches 0.1 of its final value at t = 10 - ln(10) / 2
    assert abs(rises[0] - (10 - np.log(10) / 2)) < 0.11 and np.isinf(rises[1])
    assert stepwise.late_growth(e, 1) == pytest.approx(np.exp(0.2 * 5), rel=1e-9)


def test_new_functions_reject_bad_input():
    with pytest.raises(ValueError, match="gammas"):
        stepwise.expected_step_times([1.0, 0.5], 3, 1e-3)
    with pytest.raises(ValueError, match="mode_coordinates"):
        stepwise.qr_rotation(np.ones((2, 3)))
    with pytest.raises(ValueError, match="fraction"):
        stepwise.rise_times(np.arange(3.0), np.ones((3, 2)), fraction=-1.0)
    with pytest.raises(ValueError, match="scale"):
        stepwise.scale_invariance(jax.random.PRNGKey(0), np.ones((4, 3)), 4, 2, "info_nce", 2.0, 0.1, 2)
    with pytest.raises(ValueError, match="draws"):
        stepwise.random_starts(jax.random.PRNGKey(0), np.eye(3), 2, 1e-3, 0.01, 1)


def test_deep_analytic_kernel_reduces_to_two_layers():
    from kernel_ssl import nt
    x = np.asarray(data.digits_pairs(jax.random.PRNGKey(0), 5)[0])
    np.testing.assert_allclose(nt.analytic_kernel_deep(x, x, 2), nt.analytic_kernel(x, x), rtol=1e-10)
    with pytest.raises(ValueError, match="depth"):
        nt.analytic_kernel_deep(x, x, 9)


def test_masked_width_is_the_narrow_network():
    # network_sweep runs every width at the widest shape with the extra units masked: the same run as
    # train_network at that width (the first M units of the wider initialisation are the width-M initialisation)
    xk, xk_prime, _ = data.digits_pairs(jax.random.PRNGKey(1), 30)
    x = data.stack_views(xk, xk_prime)
    key = jax.random.PRNGKey(3)
    for width in (64, 100):
        narrow = stepwise.train_network(key, x, width, 3, "barlow_twins", 1e-3, 0.05, 40)
        masked = stepwise._train_masked(key, jnp.asarray(x), width, 128, 3, 1e-3, 0.05, 40)
        scale = np.max(np.abs(narrow.outputs))
        assert np.max(np.abs(masked.outputs - narrow.outputs)) <= 1e-12 * scale
        assert np.max(np.abs(masked.outputs0 - narrow.outputs0)) <= 1e-12 * np.max(np.abs(narrow.outputs0))
        np.testing.assert_allclose(masked.loss, narrow.loss, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(masked.cross_eigenvalues, narrow.cross_eigenvalues, rtol=1e-8, atol=1e-18)
        assert abs(masked.hidden_change - narrow.hidden_change) <= 1e-10 * narrow.hidden_change


def test_pair_identity_errors_are_round_off_and_name_bad_input():
    x, xp = _pairs(11)
    w = 0.3 * np.random.default_rng(11).standard_normal((3, x.shape[1]))
    loss_error, grad_error = stepwise.pair_identity_errors(x, xp, w)
    assert 0 <= loss_error <= 1e-13 and 0 <= grad_error <= 1e-13, (loss_error, grad_error)
    with pytest.raises(ValueError, match="w"):
        stepwise.pair_identity_errors(x, xp, w[:, :-1])
    with pytest.raises(ValueError, match="x_prime"):
        stepwise.pair_identity_errors(x, xp[:-1], w)


def test_staircases_in_one_program_are_the_separate_runs():
    # _kernel_staircases batches kernels and step sizes and freezes each run at its own length: each staircase is
    # kernel_staircase's (the batched kernels change the order of float64 sums only)
    phi, k = _features_and_kernel(12)
    k2 = k + 0.5 * np.eye(k.shape[0])
    g = np.random.default_rng(12).standard_normal((k.shape[0], 2))
    specs = [stepwise._StaircaseSpec(k, g, [1e-3, 1e-5], 0.02), stepwise._StaircaseSpec(k2, g, [1e-4], 0.05, True)]
    together = stepwise._kernel_staircases(specs, 2)
    assert together[0].runs[0].t.shape != together[1].runs[0].t.shape   # different lengths, one program
    for spec, joint in zip(specs, together, strict=True):
        alone = stepwise.kernel_staircase(spec.kernel, spec.g_unit, spec.alphas, 2, spec.lr_scale, spec.gd_prediction)
        assert joint.lr == alone.lr
        for a, b in zip(alone.runs, joint.runs, strict=True):
            np.testing.assert_array_equal(a.t, b.t)
            np.testing.assert_allclose(b.eigenvalues, a.eigenvalues, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(b.final, a.final, rtol=1e-10, atol=1e-14 * np.max(np.abs(a.final)))
    with pytest.raises(ValueError, match="shape"):
        stepwise._kernel_staircases([specs[0], stepwise._StaircaseSpec(k[:-2, :-2], g[:-2], [1e-3], 0.02)], 2)


def test_covariance_eigenvalues_are_c_times_rho_when_sigma_shares_the_modes():
    # Sigma = Gamma + sigma^2 I shares Gamma's eigenvectors, so from an aligned start the embedding covariance
    # W Sigma W^T has the eigenvalues c_j rho_j exactly, with rho_j = 1 + sigma^2 / gamma_j
    x, xp = _pairs(13)
    gamma = spectra.pair_cross_correlation(x, xp)
    sigma = gamma + 0.01 * np.eye(gamma.shape[0])
    values, vectors = spectra.top_modes(gamma, 3)
    rho = stepwise.covariance_ratios(gamma, sigma, 3)
    np.testing.assert_allclose(rho, 1 + 0.01 / values, rtol=1e-12)
    s0 = np.array([1e-3, 2e-3, 1.5e-3])
    lr = 0.02 / values[0]
    run = stepwise.linear_descent_batch((s0[:, None] * vectors.T)[None], gamma, lr, 2000, covariances=sigma)[0]
    c = stepwise.logistic_eigenvalues(run.t, values, values * s0 ** 2, lr=lr)
    np.testing.assert_allclose(run.covariance_eigenvalues, -np.sort(-c * rho, axis=1), rtol=1e-8, atol=1e-12)
    # the comparison and its panel carry the prediction; the figures draw it in a third panel
    cmp = stepwise.compare(run.t, run.eigenvalues, run.loss, values, values * s0 ** 2, lr,
                           covariance_eigenvalues=run.covariance_eigenvalues, covariance_ratios=rho)
    panel = stepwise.staircase_panel(cmp, 50)
    np.testing.assert_allclose(panel["covariance_eigenvalues"], panel["predicted_covariance_eigenvalues"],
                               rtol=1e-8, atol=1e-12)
    from kernel_ssl import figures
    fig = figures.staircase_figure(**panel)
    on_third = [tr for tr in fig.data if tr.yaxis == "y3"]
    theory = [tr for tr in on_third if tr.name.endswith("theory")]
    assert len(on_third) == 6 and len(theory) == 3, [tr.name for tr in on_third]
    assert all(tr.line.dash == "dash" for tr in theory) and all(tr.line.dash != "dash" for tr in on_third
                                                                  if tr not in theory)
    slider = figures.staircase_slider({("a", "b"): panel, ("a2", "b"): panel}, "first", "second", "t")
    assert sum(tr.yaxis == "y3" for tr in slider.data) == 2 * 6 and "yaxis3" in slider.layout
    with pytest.raises(ValueError, match="covariance_ratios"):
        stepwise.compare(run.t, run.eigenvalues, run.loss, values, values * s0 ** 2, lr,
                         covariance_eigenvalues=run.covariance_eigenvalues)
    with pytest.raises(ValueError, match="covariances"):
        stepwise.linear_descent_batch((s0[:, None] * vectors.T)[None], gamma, lr, 10, covariances=sigma[:-1, :-1])
    with pytest.raises(ValueError, match="covariance"):
        stepwise.covariance_ratios(gamma, sigma[:-1, :-1], 3)


def test_view_covariance_is_the_covariance_of_the_stacked_views():
    x, xp = _pairs(14)
    xs = np.vstack([x, xp])
    np.testing.assert_allclose(stepwise.view_covariance(x, xp), np.cov(xs.T, bias=True), rtol=1e-12, atol=1e-15)
    sig = stepwise.synthetic_covariances(jax.random.PRNGKey(0), 4000, 6, [0.5])[0.5]
    # a shared signal of variance 0.5^(k-1) plus noise of variance 0.01 (in a random basis): the eigenvalues of
    # Sigma are about 0.5^(k-1) + 0.01, within sampling error (about sqrt(2 / 4000) = 2%; 10% allowed)
    np.testing.assert_allclose(np.linalg.eigvalsh(sig)[::-1], 0.5 ** np.arange(6) + 0.01, rtol=0.1)
