"""Unit tests of kernel_ssl.grassmann: the trace form against the losses' definitions, the closed forms against
SciPy (matrix exponential, ODE integration, subspace angles), the discrete descents against the closed forms,
the width reduction against the network, and bad input.

Tolerances: algebraic identities hold to float64 round-off (1e-10 relative, with condition numbers below 1e4);
solve_ivp at rtol 1e-10 is accurate to ~1e-8 on the projector; explicit Euler steps with a retraction are
first-order accurate, so their error is O(lr) and halves with lr (checked as a ratio in [1.8, 2.2], the
first-order constant plus the O(lr^2) remainder at the step sizes used). Subspace distances are
linalg.projector_distance, ||P - Q||_F / sqrt(2d): the bounds on it are those on ||P - Q||_F divided by sqrt(2d).
"""
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from scipy.integrate import solve_ivp

from kernel_ssl import figures, fitting, kernels, linalg, losses, models, precision
from kernel_ssl import grassmann as gr

precision.enable_float64()  # orthonormality and reductions to 1e-12 need float64


def _pairs(n=6, m=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, m))
    return x, x + 0.3 * rng.standard_normal((n, m))


def _problem(m=6, d=2, seed=0, spectrum=None):
    key = jax.random.PRNGKey(seed)
    mu = np.array(spectrum if spectrum is not None else np.linspace(1.0, -1.0, m))
    s = gr.spectrum_matrix(key, mu)
    w0 = gr.random_orthonormal(jax.random.fold_in(key, 1), d, len(mu))
    return s, w0


def _distance(a, b):
    """The book's subspace distance between the row spaces of two (stacks of) bases."""
    return linalg.projector_distance(gr.row_projector(a), gr.row_projector(b))


# ------------------------------------------------------------------------------------------ trace form
@pytest.mark.parametrize("loss", gr.LOSSES)
def test_trace_form_equals_loss_definition(loss):
    x, xp = _pairs()
    s = gr.ssl_matrix(x, xp, loss)
    w = np.random.default_rng(1).standard_normal((3, x.shape[1]))
    za, zb = x @ w.T, xp @ w.T
    # the definition written out with explicit loops (independent of the vectorised loss)
    n = x.shape[0]
    pos = sum(np.sum((za[i] - zb[i]) ** 2) for i in range(n)) / n
    neg = sum(np.sum((za[i] - zb[j]) ** 2) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    expected = pos if loss == "non_contrastive" else pos - neg
    pair_loss = losses.get_ssl_loss(f"squared_distance_{loss}")
    assert float(pair_loss(jnp.asarray(za), jnp.asarray(zb))) == pytest.approx(expected, rel=1e-12)
    assert float(gr.trace_loss(jnp.asarray(w), jnp.asarray(s))) == pytest.approx(expected, rel=1e-10)
    assert gr.trace_form_error(x, xp, w) <= 1e-10


def test_pair_weights_structure():
    omega_nc = gr.pair_weights(5, "non_contrastive")
    omega_c = gr.pair_weights(5, "contrastive")
    np.testing.assert_allclose(omega_c, omega_c.T)
    # every row of Omega_+ and Omega_- sums to 0 (differences of views): constant shifts of all views cost nothing
    np.testing.assert_allclose(omega_nc.sum(axis=1), 0, atol=1e-15)
    np.testing.assert_allclose(omega_c.sum(axis=1), 0, atol=1e-15)
    assert np.linalg.eigvalsh(omega_nc).max() <= 1e-15  # -Omega_+ is negative semi-definite
    assert np.linalg.matrix_rank(omega_nc) == 5          # Omega_+ has rank n


def test_gradient_is_minus_two_w_s():
    s, _ = _problem()
    w = np.random.default_rng(2).standard_normal((2, 6))
    g = jax.grad(gr.trace_loss)(jnp.asarray(w), jnp.asarray(s))
    np.testing.assert_allclose(np.asarray(g), -2 * w @ s, atol=1e-12)


# --------------------------------------------------------------------------------- unconstrained: collapse
def test_unconstrained_closed_form_is_the_matrix_exponential():
    s, _ = _problem()
    w0 = np.random.default_rng(3).standard_normal((3, 6))
    times = np.array([0.0, 0.3, 1.7])
    got = gr.unconstrained_closed_form(w0, s, times)
    for t, g in zip(times, got, strict=True):
        ref = w0 @ scipy.linalg.expm(2 * s * t)
        np.testing.assert_allclose(g, ref / np.linalg.norm(ref), atol=1e-12)


def test_unconstrained_descent_is_first_order_and_collapses():
    s, _ = _problem()
    w0 = np.random.default_rng(3).standard_normal((3, 6))
    errors = []
    for lr in (2e-3, 1e-3):
        steps = int(round(4.0 / lr))
        run = gr.unconstrained_descent(w0, s, lr, steps, steps // 4)
        np.testing.assert_allclose(run.t, np.linspace(0, 4.0, 5), atol=1e-12)   # t = lr x step
        ref = gr.unconstrained_closed_form(w0, s, run.t)
        errors.append(np.abs(gr.normalised_singular_values(run.records) - gr.normalised_singular_values(ref)).max())
    assert 1.8 <= errors[0] / errors[1] <= 2.2
    # theorem: sigma_2 / sigma_1 <= ||W0||_2 / ||W0 q1|| * exp(-2 (mu_1 - mu_2) t)
    mu, vec = linalg.descending_eigh(s)
    t = np.linspace(0, 10, 21)
    ratio = gr.normalised_singular_values(gr.unconstrained_closed_form(w0, s, t))[:, 1]
    bound = np.linalg.norm(w0, 2) / np.linalg.norm(w0 @ vec[:, 0]) * np.exp(-2 * (mu[0] - mu[1]) * t)
    assert np.all(ratio <= bound * (1 + 1e-10))


def test_collapse_experiment_reaches_its_target():
    s, _ = _problem()
    w0 = np.random.default_rng(3).standard_normal((3, 6))
    run = gr.collapse_experiment(w0, s, 1e-3, target=1e-2, record_time=0.1)
    assert run.bound[-1] <= 1e-2 and run.bound[-1] >= 1e-2 * np.exp(-gr.predicted_rate(s, 1) * 0.1)
    assert run.ratios[-1, 1] <= 1.05 * run.bound[-1]
    np.testing.assert_allclose(run.ratios, run.ratios_theory, atol=1e-2)


# ------------------------------------------------------------------------------------- Oja's closed form
def test_closed_form_matches_the_literal_formula():
    s, w0 = _problem()
    times = np.array([0.0, 0.2, 0.9])
    bases = gr.oja_closed_form(w0, s, times)
    for t, b in zip(times, bases, strict=True):
        a = w0 @ scipy.linalg.expm(2 * s * t)
        literal = np.real(scipy.linalg.inv(scipy.linalg.sqrtm(w0 @ scipy.linalg.expm(4 * s * t) @ w0.T))) @ a
        np.testing.assert_allclose(literal @ literal.T, np.eye(2), atol=1e-10)
        np.testing.assert_allclose(gr.row_projector(b), literal.T @ literal, atol=1e-10)


def test_closed_form_solves_oja_flow():
    s, w0 = _problem()
    d, m = w0.shape

    def rhs(_, v):
        w = v.reshape(d, m)
        return (2 * w @ s @ (np.eye(m) - w.T @ w)).ravel()

    times = np.array([0.0, 0.5, 1.5, 3.0])
    sol = solve_ivp(rhs, (0, times[-1]), w0.ravel(), t_eval=times, rtol=1e-11, atol=1e-12, method="DOP853")
    ws = sol.y.T.reshape(-1, d, m)
    np.testing.assert_allclose(gr.orthonormality_error(ws), 0, atol=1e-8)  # the flow keeps W W^T = I
    literal = gr.oja_closed_form(w0, s, times)
    assert _distance(ws, literal).max() <= 1e-8 / np.sqrt(2 * d)
    # the flow's own basis rotates inside the subspace: W itself differs from the symmetric closed form
    assert np.abs(ws[-1] - literal[-1]).max() > 1e-3


def test_tangents_against_scipy_subspace_angles():
    s, w0 = _problem(m=7, d=3)
    times = np.linspace(0, 3, 7)
    tan = gr.closed_form_tangents(w0, s, times)
    bases, top = gr.oja_closed_form(w0, s, times), gr.top_eigenspace(s, 3)
    angles = linalg.principal_angles(np.swapaxes(bases, 1, 2), top.T)
    ref = np.stack([scipy.linalg.subspace_angles(b.T, top.T) for b in bases])
    np.testing.assert_allclose(angles, ref, atol=1e-12)
    np.testing.assert_allclose(np.arctan(tan), angles, atol=1e-10)


def test_tangent_bound_and_rate():
    s, w0 = _problem(m=6, d=2, spectrum=[2.0, 1.0, 0.7, -0.5, -0.8, -1.0])
    times = np.linspace(0, 20, 201)
    tan = gr.closed_form_tangents(w0, s, times)[:, 0]
    rate = gr.predicted_rate(s, 2)
    assert rate == pytest.approx(0.6, rel=1e-12)
    assert np.all(tan <= tan[0] * np.exp(-rate * times) * (1 + 1e-9))
    late = times >= 10
    assert gr.fit_rate(times[late], tan[late]) == pytest.approx(rate, rel=1e-3)


def test_closed_form_for_more_than_half_the_dimension():
    s, w0 = _problem(m=5, d=3)  # m - d < d: one principal angle is zero
    tan = gr.closed_form_tangents(w0, s, np.array([0.5]))
    assert tan.shape == (1, 3) and tan[0, -1] == 0.0


# ------------------------------------------------------------------------------- discrete Riemannian descent
def test_grassmann_descent_is_first_order_and_stays_orthonormal():
    s, w0 = _problem()
    errors = []
    for lr in (2e-3, 1e-3):
        steps = int(round(3.0 / lr))
        run = gr.grassmann_descent(w0, s, lr, steps, steps // 6)
        assert gr.orthonormality_error(run.records).max() <= 1e-12
        errors.append(_distance(run.records, gr.oja_closed_form(w0, s, run.t)).max())
    assert 1.8 <= errors[0] / errors[1] <= 2.2


def test_grassmann_experiment_matches_the_closed_form():
    s, w0 = _problem()
    run = gr.grassmann_experiment(w0, s, 2e-3, 3.0, record_time=0.5)
    assert run.t[-1] == pytest.approx(3.0) and run.t.shape == (7,)
    assert 1.8 <= run.step_halving_ratio <= 2.2
    assert run.orthonormality_error <= 1e-12
    assert run.max_projector_error == pytest.approx(
        _distance(gr.grassmann_descent(w0, s, 2e-3, 1500, 250).records, gr.oja_closed_form(w0, s, run.t)).max(),
        rel=1e-10)
    np.testing.assert_allclose(run.tan_measured, run.tan_theory, rtol=0.05)
    assert run.rate == pytest.approx(gr.predicted_rate(s, 2))


def test_retractions_span_the_same_subspace():
    s, w0 = _problem()
    a = gr.grassmann_descent(w0, s, 0.01, 200, 50, retraction="qr").records
    b = gr.grassmann_descent(w0, s, 0.01, 200, 50, retraction="polar").records
    assert _distance(a, b).max() <= 1e-12 / np.sqrt(2 * 2)
    np.testing.assert_allclose(gr.row_projector(gr.retract(a[-1] + 0.1, "qr")),
                               gr.row_projector(gr.retract(a[-1] + 0.1, "polar")), atol=1e-12)


def test_riemannian_descent_with_autodiff_equals_oja_steps():
    s, w0 = _problem()
    a = gr.riemannian_descent(gr.trace_loss, w0, 0.01, 100, args=(jnp.asarray(s),), record_every=25)
    b = gr.grassmann_descent(w0, s, 0.01, 100, 25)
    np.testing.assert_allclose(a.t, b.t)
    np.testing.assert_allclose(gr.row_projector(a.records), gr.row_projector(b.records), atol=1e-12)


def test_rate_experiment_measures_twice_the_gap():
    out = gr.rate_experiment(jax.random.PRNGKey(0), [0.3, 0.4], 2e-3, decay=8.0, record_time=0.05)
    np.testing.assert_allclose(out.predicted, 2 * out.gaps, rtol=1e-10)
    assert out.rel_error <= 0.05


# ------------------------------------------------------------------------------- wide two-layer model
def _features(key, x, width):
    return np.asarray(models.random_features(x, models.random_first_layer(key, width, x.shape[1])))


def test_the_random_features_approach_the_relu_nngp():
    # the limit kernel of the chapter's sweeps (checked against neural_tangents in test_kernels)
    x = np.random.default_rng(4).standard_normal((5, 7))
    ref = np.asarray(kernels.closed_form_nngp(x, x, "relu", 0.0))
    phi = _features(jax.random.PRNGKey(0), x, 2 ** 16)
    # Monte Carlo over 2^16 units: relative error about 2 / sqrt(M) ~ 0.008; 0.05 is six standard errors
    assert np.linalg.norm(phi @ phi.T - ref) / np.linalg.norm(ref) <= 0.05


def _wide_problem(n=4, width=40, d=2, seed=0):
    x, xp = _pairs(n, 5, seed)
    xs = np.concatenate([x, xp])
    phi = _features(jax.random.PRNGKey(seed), xs, width)
    y0 = gr.random_orthonormal(jax.random.PRNGKey(seed + 1), d, 2 * n)
    return xs, phi, y0


@pytest.mark.parametrize("loss", gr.LOSSES)
def test_reduction_is_exact_for_the_network(loss):
    xs, phi, y0 = _wide_problem()
    n = xs.shape[0] // 2
    k = phi @ phi.T
    w0 = gr.span_initialisation(phi, y0)
    np.testing.assert_allclose(w0 @ w0.T, np.eye(2), atol=1e-12)
    # S_M = Phi^T Omega Phi in parameter space and S~ = K^1/2 Omega K^1/2 share their nonzero spectrum
    s_m = phi.T @ gr.pair_weights(n, loss) @ phi
    s_red = gr.reduced_matrix(k, n, loss)
    np.testing.assert_allclose(np.sort(np.linalg.eigvalsh(s_m))[[0, -1]], np.sort(np.linalg.eigvalsh(s_red))[[0, -1]],
                               atol=1e-12)
    ws = gr.riemannian_descent(gr.readout_loss(loss), w0, 0.05, 60, args=(jnp.asarray(phi),), record_every=20).records
    ys = gr.grassmann_descent(y0, s_red, 0.05, 60, 20).records
    g_net, g_red = gr.network_gram(phi, ws), gr.reduced_gram(k, ys)
    assert np.abs(g_net - g_red).max() <= 1e-10 * np.abs(g_red).max()
    theta = gr.constrained_tangent_kernel(phi, ws[-1])
    np.testing.assert_allclose(theta, k - g_net[-1], atol=1e-12)
    # the constrained tangent kernel is the Gram of the projected feature map (I - W^T W) phi
    proj = phi @ (np.eye(phi.shape[1]) - ws[-1].T @ ws[-1])
    np.testing.assert_allclose(theta, proj @ proj.T, atol=1e-10)


def test_width_sweeps_shapes_and_limits():
    xs, _, y0 = _wide_problem()
    widths = [16, 256, 4096, 16384]
    out = gr.width_trajectory_gaps(jax.random.PRNGKey(0), xs, widths, y0, "contrastive", repeats=2, n_times=5,
                                   regime=1.0)
    assert out.trajectory_gap.shape == (4, 2) and out.times.shape == (5,) and out.k_inf.shape == (8, 8)
    assert np.all(out.kernel_error > 0) and np.all(out.trajectory_gap > 0)
    assert out.horizon == pytest.approx(10 / (2 * out.eigengap))
    # the Davis-Kahan ratio recomputed from its definition at the widest width of the first draw
    layer = np.asarray(models.random_first_layer(jax.random.split(jax.random.PRNGKey(0), 2)[0], widths[-1],
                                                 xs.shape[1]), dtype=np.float64)
    k_m = np.asarray(models.random_features(xs, layer)) @ np.asarray(models.random_features(xs, layer)).T
    s_m, s_inf = gr.reduced_matrix(k_m, 4, "contrastive"), gr.reduced_matrix(out.k_inf, 4, "contrastive")
    ratio = np.linalg.norm(s_m - s_inf, 2) / np.linalg.norm(s_inf, 2) / out.eigengap
    assert out.perturbation[-1, 0] == pytest.approx(ratio, rel=1e-6)
    np.testing.assert_array_equal(out.asymptotic, out.perturbation.max(axis=1) <= 1.0)
    # the fit uses every draw's gap at the asymptotic widths, and nothing else
    fit = fitting.loglog_slope_interval(np.repeat(out.widths[out.asymptotic], 2),
                                        out.trajectory_gap[out.asymptotic].ravel())
    assert out.gap_slope == fit
    train = gr.constrained_training_sweep(jax.random.PRNGKey(0), xs, [16, 32], y0, "contrastive", 0.1, 20,
                                          out.time_unit, n_records=2)
    assert np.all(train.reduction_error <= 1e-9)
    np.testing.assert_allclose(out.k_inf, np.asarray(kernels.closed_form_nngp(xs, xs)), rtol=1e-12)
    assert np.all(train.kernel_change > 0) and train.change_limit > 0
    with pytest.raises(ValueError, match="add larger widths"):
        gr.width_trajectory_gaps(jax.random.PRNGKey(0), xs, [16, 32], y0, "contrastive", regime=0.01)


# ----------------------------------------------------------------------------- centring and the NTK linearisation
def test_centred_operator_identities_independently():
    x, xp = _pairs(n=7, m=4, seed=5)
    x = x + np.array([1.0, -2.0, 0.5, 0.0])          # view means that differ: the rank-one term is visible
    n = x.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    hb = scipy.linalg.block_diag(h, h)
    z = np.block([[np.zeros((n, n)), np.eye(n)], [np.eye(n), np.zeros((n, n))]])
    np.testing.assert_allclose(gr.pair_weights(n, "contrastive"), hb @ z @ hb / (n - 1), atol=1e-14)
    xc, xpc = x - x.mean(axis=0), xp - xp.mean(axis=0)
    gamma_c = sum(np.outer(a, b) + np.outer(b, a) for a, b in zip(xc, xpc, strict=True)) / (2 * n)
    np.testing.assert_allclose(gr.ssl_matrix(x, xp, "contrastive"), 2 * n / (n - 1) * gamma_c, atol=1e-12)
    mean_all = np.concatenate([x, xp]).mean(axis=0)
    xa, xpa = x - mean_all, xp - mean_all
    gamma_all = sum(np.outer(a, b) + np.outer(b, a) for a, b in zip(xa, xpa, strict=True)) / (2 * n)
    delta = x.mean(axis=0) - xp.mean(axis=0)
    np.testing.assert_allclose(gamma_all, gamma_c - np.outer(delta, delta) / 4, atol=1e-12)
    assert np.linalg.norm(np.outer(delta, delta)) > 1.0            # the two centrings really differ here
    assert gr.centred_operator_identity_error(x, xp) <= 1e-13


def _frozen_problem(seed=0, n=6, d=2):
    x, xp = _pairs(n, 5, seed)
    xs = np.concatenate([x, xp])
    k = np.asarray(kernels.closed_form_nngp(xs, xs), dtype=np.float64)
    return k, gr.random_orthonormal(jax.random.PRNGKey(seed + 3), d, 2 * n)


def test_frozen_kernel_flow_against_the_matrix_exponential():
    k, y0 = _frozen_problem()
    n = k.shape[0] // 2
    out = gr.frozen_kernel_experiment(k, y0, lr=1e-3, final_ratio=1e-8, record_time=0.1)
    root = np.real(scipy.linalg.sqrtm(k))
    omega = gr.pair_weights(n, "contrastive")
    scale = np.linalg.norm(root @ omega @ root, 2)
    f0 = root @ y0.T
    generator = 2 * (k - f0 @ f0.T) @ omega / scale
    for i in (len(out.t) // 3, -1):
        f = scipy.linalg.expm(generator * out.t[i]) @ f0
        sv = np.linalg.svd(f, compute_uv=False)
        # Euler steps: relative error about lr * t * |generator|^2, below 3 % here
        assert out.frozen_ratio[i] == pytest.approx(sv[-1] / sv[0], rel=0.03)
        g = np.linalg.solve(root, f)
        # the proposition: the P0 component of G = K^-1/2 F never moves (to round-off relative to |G|)
        np.testing.assert_allclose(y0 @ g, np.eye(2), atol=1e-10 * np.linalg.norm(g))
    assert out.rate == pytest.approx(out.rate_predicted, rel=0.05)
    # the prediction uses (I - P0) S (I - P0), not S itself
    s = root @ omega @ root / scale
    free = np.eye(2 * n) - y0.T @ y0
    np.testing.assert_allclose(out.nu, np.sort(np.linalg.eigvalsh(free @ s @ free))[::-1][:3], atol=1e-12)
    assert out.frozen_norm_growth[-1] > 1e3 and out.frozen_constraint_error[-1] > 1e3
    assert out.exact_ratios.shape == (len(out.t), 2) and np.all(out.exact_ratios[:, 0] == 1.0)
    np.testing.assert_allclose(out.exact_ratios[-1], out.endpoint_ratios, atol=0.05)


def test_frozen_kernel_flow_stays_at_a_fixed_point():
    # exercise ex-frozen-fixed-point: from an invariant subspace of S the linearisation does not move
    k, _ = _frozen_problem()
    n = k.shape[0] // 2
    root = np.real(scipy.linalg.sqrtm(k))
    omega = gr.pair_weights(n, "contrastive")
    y_top = gr.top_eigenspace(root @ omega @ root, 2)
    f0 = root @ y_top.T
    f = scipy.linalg.expm(2 * (k - f0 @ f0.T) @ omega * 5.0) @ f0
    np.testing.assert_allclose(f, f0, atol=1e-10)


def test_bad_input_frozen_and_probes():
    k, y0 = _frozen_problem()
    with pytest.raises(ValueError, match="final_ratio must be at least 1e-13"):
        gr.frozen_kernel_experiment(k, y0, final_ratio=1e-15)
    with pytest.raises(ValueError, match="y0 must have 12 columns"):
        gr.frozen_kernel_experiment(k, np.eye(2, 10))
    with pytest.raises(ValueError, match="ill-conditioned|singular"):
        gr.frozen_kernel_experiment(np.ones((12, 12)), y0)
    x, xp = _pairs(n=20, m=64, seed=1)
    labels = np.arange(20) % 3
    with pytest.raises(ValueError, match="labels must have one entry per pair"):
        gr.probe_experiment(jax.random.PRNGKey(0), x, xp, labels[:5], x, labels, 8, 2)
    with pytest.raises(ValueError, match="wide_pairs must be"):
        gr.probe_experiment(jax.random.PRNGKey(0), x, xp, labels, x, labels, 30, 2)


def test_oja_endpoint_of_a_degenerate_flow_is_the_projected_start():
    # non-contrastive kernel model: the top eigenvalue 0 has multiplicity n; the flow ends at row(Y0 P_E)
    k, y0 = _frozen_problem()
    n = k.shape[0] // 2
    s_nc = gr.reduced_matrix(k, n, "non_contrastive")
    s_nc = s_nc / np.linalg.norm(s_nc, 2)
    end = gr._oja_endpoint(y0, s_nc)
    run = gr.grassmann_descent(y0, s_nc, 0.01, 20000, 20000).records[-1]
    assert _distance(run, end) <= 1e-6
    s_c = gr.reduced_matrix(k, n, "contrastive")
    assert _distance(gr._oja_endpoint(y0, s_c), gr.top_eigenspace(s_c, 2)) <= 1e-12


def test_probe_experiment_accuracies():
    x, xp = _pairs(n=30, m=64, seed=2)
    labels = np.arange(30) % 3
    xt, _ = _pairs(n=40, m=64, seed=3)
    out = gr.probe_experiment(jax.random.PRNGKey(0), x, xp, labels, xt, np.arange(40) % 3, 10, 3,
                              kernel_specs=(("erf", 0.5),))
    assert out.models == ("linear", "erf, bias 0.5") and out.n_train == (60, 20) and out.n_test == 40
    assert out.accuracy.shape == (2, 3) and np.all((out.accuracy >= 0) & (out.accuracy <= 1))


# ---------------------------------------------------------------------------------------------- bad input
def test_bad_input_raises_with_the_argument_name():
    s, w0 = _problem()
    asym = s + np.triu(np.ones_like(s), 1)
    with pytest.raises(ValueError, match="s must be symmetric"):
        gr.oja_closed_form(w0, asym, [0.0])
    with pytest.raises(ValueError, match="s must be symmetric"):
        gr.grassmann_descent(w0, asym, 0.01, 10)
    with pytest.raises(ValueError, match="s must be square"):
        gr.grassmann_descent(w0, s[:, :5], 0.01, 10)
    with pytest.raises(ValueError, match="w0 must have orthonormal rows"):
        gr.grassmann_descent(2 * w0, s, 0.01, 10)
    with pytest.raises(ValueError, match="w0 must have orthonormal rows"):
        gr.oja_closed_form(w0 + 0.01, s, [0.0])
    with pytest.raises(ValueError, match="w0 must have orthonormal rows"):
        gr.riemannian_descent(gr.trace_loss, w0 * 1.1, 0.01, 10, args=(jnp.asarray(s),))
    with pytest.raises(ValueError, match="w0 must have 6 columns"):
        gr.grassmann_descent(np.eye(2, 5), s, 0.01, 10)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 5"):
        gr.top_eigenspace(s, 6)
    with pytest.raises(ValueError, match="d must be at least 1"):
        gr.predicted_rate(s, 0)
    with pytest.raises(ValueError, match="embedding dimension d"):
        gr.grassmann_descent(np.eye(6), s, 0.01, 10)  # d = m: Gr(m, m) is a single point
    with pytest.raises(TypeError, match="d must be an integer"):
        gr.top_eigenspace(s, 2.0)
    with pytest.raises(ValueError, match="no eigengap"):
        gr.predicted_rate(np.diag([1.0, 0.5, 0.5, 0.0]), 2)
    with pytest.raises(ValueError, match="lr must be a finite number > 0"):
        gr.grassmann_descent(w0, s, 0.0, 10)
    with pytest.raises(ValueError, match="must be a multiple of every"):
        gr.grassmann_descent(w0, s, 0.01, 10, 3)
    with pytest.raises(ValueError, match="retraction must be one of"):
        gr.grassmann_descent(w0, s, 0.01, 10, retraction="cayley")
    with pytest.raises(ValueError, match="loss must be one of"):
        gr.pair_weights(4, "triplet")
    with pytest.raises(ValueError, match="loss must be one of"):
        gr.readout_loss("triplet")
    with pytest.raises(ValueError, match="n_pairs must be at least 2"):
        gr.pair_weights(1, "contrastive")
    with pytest.raises(ValueError, match="times must be non-negative"):
        gr.oja_closed_form(w0, s, [-1.0])
    with pytest.raises(ValueError, match="s must contain only finite values"):
        gr.oja_closed_form(w0, np.full_like(s, np.nan), [0.0])
    with pytest.raises(ValueError, match="no full-rank component in the top-d eigenspace"):
        gr.oja_closed_form(np.eye(6)[4:], np.diag(np.arange(6.0, 0.0, -1.0)), [1.0])
    with pytest.raises(ValueError, match="tangents must be positive"):
        gr.fit_rate([0.0, 1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="x and x_prime must have the same shape"):
        gr.ssl_matrix(np.ones((4, 3)), np.ones((4, 2)), "contrastive")
    with pytest.raises(ValueError, match="w must be \\(d, m\\) and s \\(m, m\\)"):
        gr.trace_loss(jnp.ones((2, 6)), jnp.ones((5, 5)))
    with pytest.raises(ValueError, match="record_time .* must be at least 2 step"):
        gr.grassmann_experiment(w0, s, 0.01, 1.0, record_time=0.01)
    with pytest.raises(ValueError, match="gaps must lie in"):
        gr.rate_experiment(jax.random.PRNGKey(0), [0.5], 0.01)


def test_bad_input_wide_model():
    xs, phi, y0 = _wide_problem()
    with pytest.raises(ValueError, match="at least as many columns"):
        gr.span_initialisation(phi[:, :5], y0)
    with pytest.raises(ValueError, match="y0 must have orthonormal rows"):
        gr.span_initialisation(phi, 2 * y0)
    with pytest.raises(ValueError, match="not positive semi-definite"):
        gr.reduced_matrix(np.diag([1.0, 1.0, 1.0, -1.0]), 2, "contrastive")
    with pytest.raises(ValueError, match="k must be \\(2n, 2n\\)"):
        gr.reduced_matrix(np.eye(6), 2, "contrastive")
    with pytest.raises(ValueError, match=r"widths\[0\] must be at least 8"):
        gr.width_trajectory_gaps(jax.random.PRNGKey(0), xs, [4, 64], y0, "contrastive")
    with pytest.raises(ValueError, match="x_stacked must hold 2n stacked views"):
        gr.width_trajectory_gaps(jax.random.PRNGKey(0), xs[:7], [16, 64], y0, "contrastive")
    with pytest.raises(ValueError, match="y0 must have 8 columns"):
        gr.width_trajectory_gaps(jax.random.PRNGKey(0), xs, [16, 64], np.eye(2, 6), "contrastive")
    with pytest.raises(TypeError, match="key must be a JAX PRNG key"):
        gr.constrained_training_sweep(0, xs, [16, 32], y0, "contrastive", 0.1, 20, 1.0)


def test_batch_descent_equals_single_runs():
    problems = [_problem(seed=i) for i in range(3)]
    ss = np.stack([p[0] for p in problems])
    ws = np.stack([p[1] for p in problems])
    batch = gr.grassmann_descent_batch(ws, ss, 0.01, 100, 50)
    assert batch.records.shape == (3, 3, 2, 6)
    for i in range(3):
        np.testing.assert_allclose(batch.records[i], gr.grassmann_descent(ws[i], ss[i], 0.01, 100, 50).records,
                                   atol=1e-13)
    with pytest.raises(ValueError, match="same number of problems"):
        gr.grassmann_descent_batch(ws, ss[:2], 0.01, 10)
    with pytest.raises(ValueError, match=r"w0s\[0\] must have orthonormal rows"):   # names the caller's argument
        gr.grassmann_descent_batch(2 * ws, ss, 0.01, 10)


def test_descents_need_float64():
    s, w0 = _problem()
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(RuntimeError, match="grassmann.grassmann_descent needs float64"):
            gr.grassmann_descent(w0, s, 0.01, 10)
    finally:
        precision.enable_float64()


def test_figures_and_their_bad_input():
    s3, _ = _problem(m=3, d=2, spectrum=[1.0, 0.4, -0.1])
    _, vec = linalg.descending_eigh(s3)
    w3 = gr.retract(np.stack([vec[:, 0] + 0.5 * vec[:, 2], vec[:, 2] - 0.3 * vec[:, 1]]))
    t = np.linspace(0, 2, 5)
    fig = figures.subspace_figure(t, gr.oja_closed_form(w3, s3, t), vec.T, "test")
    assert len(fig.layout.sliders[0].steps) == 5 and not fig.frames
    assert fig.data[2].y[0] == pytest.approx(np.degrees(linalg.principal_angles(w3.T, vec[:, :2])[0]))
    with pytest.raises(ValueError, match="bases must be"):
        figures.subspace_figure(t, np.zeros((5, 3, 3)), vec.T, "test")
    assert len(figures.rate_figure([0.1, 0.2], [0.2, 0.4], [0.2, 0.4], "r").data) == 2
    with pytest.raises(ValueError, match="same length"):
        figures.rate_figure([0.1, 0.2], [0.2], [0.2, 0.4], "r")
    s, w0 = _problem()
    run = gr.grassmann_experiment(w0, s, 0.01, 2.0, record_time=0.5)
    assert len(figures.subspace.angles_figure(run.t, run.tan_measured, run.tan_theory, run.rate,
                                              run.projector_error).data) == 2 * 2 + 2
    k, y0 = _frozen_problem()
    frozen = gr.frozen_kernel_experiment(k, y0, final_ratio=1e-6, record_time=0.2)
    fig = figures.subspace.frozen_kernel_figure(frozen.t, frozen.frozen_ratio, frozen.exact_ratios,
                                                frozen.rate_predicted, frozen.window, frozen.frozen_norm_growth)
    assert len(fig.data) == 1 + 1 + 1 + 1   # frozen ratio, its prediction, one exact ratio, the norm growth
    with pytest.raises(ValueError, match="one row per time"):
        figures.subspace.frozen_kernel_figure(frozen.t[:-1], frozen.frozen_ratio, frozen.exact_ratios,
                                              frozen.rate_predicted, frozen.window, frozen.frozen_norm_growth)
    collapse = gr.collapse_experiment(np.ones((2, 6)) + np.eye(2, 6), s, 0.01, target=0.1)
    assert len(figures.subspace.collapse_figure(collapse.t, collapse.ratios, collapse.ratios_theory,
                                                collapse.bound).data) == 3
