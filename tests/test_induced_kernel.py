"""Unit tests of kernel_ssl.induced_kernel: closed forms against generic optimisers (scipy) and libraries
(numpy, scikit-learn), gradient descent against the closed forms, and bad input.

Tolerances: closed forms vs scipy's L-BFGS are limited by the optimiser's stopping rule (gtol 1e-10 on
losses of order 1-100, so values agree to ~1e-8 relative; matrices in the unique case to ~1e-5); algebraic
identities hold to float64 round-off (1e-10 for condition numbers below 1e3).
"""
import jax
import numpy as np
import pytest
from scipy.optimize import minimize

from kernel_ssl import augmentation_graph as ag
from kernel_ssl import induced_kernel as ik

jax.config.update("jax_enable_x64", True)  # gradient descent to 1e-8 needs float64


def _problem(n_images=3, n_views=3, n_eval=5, seed=0):
    """A small RBF problem: views = centre + noise, plus evaluation points."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_images, 4))
    x = np.repeat(centres, n_views, axis=0) + 0.3 * rng.standard_normal((n_images * n_views, 4))
    x_eval = np.repeat(centres, 2, axis=0)[:n_eval] + 0.3 * rng.standard_normal((n_eval, 4))
    gamma = ik.median_gamma(x)
    k = ik.rbf_gram(x, x, gamma)
    cross = ik.rbf_gram(x, x_eval, gamma)
    groups = ag.group_labels(n_images, n_views)
    return k, cross, groups, ag.adjacency_from_groups(groups)


def _lbfgs(objective, shape, seed=0):
    rng = np.random.default_rng(seed)
    res = minimize(lambda v: objective(v.reshape(shape)), 0.5 * rng.standard_normal(np.prod(shape)),
                   method="L-BFGS-B", options=dict(maxiter=20000, gtol=1e-10, ftol=1e-15))
    return res.x.reshape(shape), res.fun


# ------------------------------------------------------------------------------------------ Gram factor
def test_factor_solves_like_numpy():
    k, cross, _, _ = _problem()
    f = ik.factor_gram(k)
    np.testing.assert_allclose(f.solve(cross), np.linalg.solve(k, cross), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(f.inverse() @ k, np.eye(k.shape[0]), atol=1e-8)
    fj = ik.factor_gram(k, jitter=0.5)
    np.testing.assert_allclose(fj.solve(cross), np.linalg.solve(k + 0.5 * np.eye(len(k)), cross), rtol=1e-10)
    assert f.condition_number == pytest.approx(np.linalg.cond(k), rel=1e-6)


def test_factor_rejects_bad_gram():
    k, _, _, _ = _problem()
    with pytest.raises(ValueError, match="gram must be symmetric"):
        ik.factor_gram(k + np.triu(np.ones_like(k), 1))
    with pytest.raises(ValueError, match="gram is not positive semi-definite"):
        ik.factor_gram(k - 2 * np.eye(len(k)))
    with pytest.raises(ValueError, match="gram must be square"):
        ik.factor_gram(np.ones((2, 3)))
    with pytest.raises(ValueError, match="jitter must be a finite number >= 0"):
        ik.factor_gram(k, jitter=-1.0)
    with pytest.raises(ValueError, match="gram must contain only finite"):
        ik.factor_gram(np.full((2, 2), np.inf))


def test_ill_conditioned_gram_needs_stated_jitter():
    x = np.array([[0.0], [1e-9], [1.0]])  # two nearly identical points: K is singular to ~1e-18
    k = ik.rbf_gram(x, x, 1.0)
    with pytest.raises(ValueError, match="ill-conditioned.*pass jitter > 0"):
        ik.factor_gram(k)
    f = ik.factor_gram(k, jitter=1e-8)
    assert f.jitter == 1e-8 and np.all(np.isfinite(f.inverse()))


# ----------------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("d", [1, 2, 4])
def test_top_psd_part_is_the_nearest_low_rank_psd_matrix(d):
    rng = np.random.default_rng(d)
    c = rng.standard_normal((6, 6))
    c = c + c.T
    m = ik.top_psd_part(c, d)
    w = np.linalg.eigvalsh(m)
    assert w.min() > -1e-10 and np.sum(w > 1e-10) <= d
    best = np.sum((m - c) ** 2)
    _, found = _lbfgs(lambda z: np.sum((z.T @ z - c) ** 2), (d, 6))
    assert best <= found * (1 + 1e-8)
    assert found <= best * (1 + 1e-6)
    # Hoffman-Wielandt value: the discarded and clipped eigenvalues
    ev = np.sort(np.linalg.eigvalsh(c))[::-1]
    expected = np.sum(np.minimum(ev[:d], 0) ** 2) + np.sum(ev[d:] ** 2)
    assert best == pytest.approx(expected, rel=1e-10)


def test_contrastive_target_of_group_graph():
    groups = ag.group_labels(3, 4)
    a = ag.adjacency_from_groups(groups)
    p = ag.group_projector(groups)
    for d in (3, 5, 12):  # d >= number of groups: [A]_d = (v - 1) P_G whatever d
        np.testing.assert_allclose(ik.contrastive_target(a, d), 3 * p, atol=1e-12)
        assert ik.top_part_is_unique(a, d)
    assert not ik.top_part_is_unique(a, 2)  # d below the number of groups: degenerate eigenvalue v - 1


@pytest.mark.parametrize("ridge", [0.05, 0.5])
def test_ridge_contrastive_target_minimises_the_ridge_loss(ridge):
    k, _, _, a = _problem()
    f = ik.factor_gram(k)
    kinv = f.inverse()
    d = 2  # below the number of groups: the ridge term makes the optimum unique
    m = ik.contrastive_target(a, d, ridge, f)
    assert ik.top_part_is_unique(a - ridge / 2 * kinv, d)
    z, found = _lbfgs(lambda z: np.sum((z.T @ z - a) ** 2) + ridge * np.trace(z @ kinv @ z.T), (d, len(k)))
    value = np.sum((m - a) ** 2) + ridge * np.trace(kinv @ m)
    assert value == pytest.approx(found, rel=1e-7)
    np.testing.assert_allclose(z.T @ z, m, atol=1e-4 * np.abs(m).max())


def test_contrastive_spectrum_and_features_reproduce_the_target():
    k, cross, _, a = _problem()
    f = ik.factor_gram(k)
    values, vectors = ik.contrastive_spectrum(a, 0.1, f, n_top=4)
    for d in (1, 3, 4):
        m = ik.contrastive_target(a, d, 0.1, f)
        feats = ik.induced_features(f, values, vectors, cross, d)
        np.testing.assert_allclose(feats @ feats.T, ik.induced_kernel(f, m, cross), atol=1e-10)
        train = ik.induced_features(f, values, vectors, k, d)
        np.testing.assert_allclose(train @ train.T, m, atol=1e-8)


def test_noncontrastive_target_is_laplacian_eigenmaps():
    groups = ag.group_labels(3, 4)
    a = ag.adjacency_from_groups(groups)
    n = len(groups)
    p = ag.group_projector(groups)
    # uncentred constraint: the bottom-G eigenspace of L is spanned by the group indicators (constant included)
    np.testing.assert_allclose(ik.noncontrastive_target(a, 3), n * p, atol=1e-10)
    assert ik.noncontrastive_is_unique(a, 3)
    assert not ik.noncontrastive_is_unique(a, 2) and not ik.noncontrastive_is_unique(a, 4)
    # centred: the constant vector is excluded, d = G - 1 is the unique case
    centred = ik.noncontrastive_target(a, 2, centre=True)
    np.testing.assert_allclose(centred, n * p - np.ones((n, n)), atol=1e-10)
    np.testing.assert_allclose(centred @ np.ones(n), 0, atol=1e-10)
    assert ik.noncontrastive_is_unique(a, 2, centre=True)


def test_noncontrastive_target_beats_random_feasible_points():
    k, _, _, a = _problem()
    f = ik.factor_gram(k)
    lap = ag.laplacian(a) + 0.3 * f.inverse()
    n, d = len(k), 4
    m = ik.noncontrastive_target(a, d, 0.3, f)
    z = ik.representation_from_target(m, d)
    np.testing.assert_allclose(z @ z.T / n, np.eye(d), atol=1e-10)  # feasible
    best = np.trace(z @ lap @ z.T)
    assert best == pytest.approx(n * np.sum(np.linalg.eigvalsh(lap)[:d]), rel=1e-10)  # Ky Fan
    rng = np.random.default_rng(1)
    for _ in range(50):
        q, _ = np.linalg.qr(rng.standard_normal((n, d)))
        assert np.trace(np.sqrt(n) * q.T @ lap @ q * np.sqrt(n)) >= best - 1e-9


def test_penalised_noncontrastive_target():
    k, _, _, a = _problem()
    f = ik.factor_gram(k)
    n, d = len(k), 3
    # the group graph's bottom eigenvalues are 0: the penalised optimum equals the constrained one at any mu
    np.testing.assert_allclose(ik.penalised_noncontrastive_target(a, d, 0.7), ik.noncontrastive_target(a, d),
                               atol=1e-10)
    # with a ridge the eigenvalues are positive: the penalised optimum tends to the constrained one as mu grows
    constrained = ik.noncontrastive_target(a, d, 0.2, f)
    errs = [np.linalg.norm(ik.penalised_noncontrastive_target(a, d, mu, 0.2, f) - constrained)
            for mu in (1.0, 10.0, 100.0)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-2 * np.linalg.norm(constrained)
    # and it is the minimiser of the penalised loss (L-BFGS)
    lap = ag.laplacian(a) + 0.2 * f.inverse()
    mu = 2.0

    def objective(z):
        return np.trace(z @ lap @ z.T) + mu * n * np.sum((z @ z.T / n - np.eye(d)) ** 2)

    m = ik.penalised_noncontrastive_target(a, d, mu, 0.2, f)
    _, found = _lbfgs(objective, (d, n))
    z = ik.representation_from_target(m, d)
    assert objective(z) == pytest.approx(found, rel=1e-7)


# ----------------------------------------------------------------------------------- induced kernel
def test_induced_kernel_on_training_points_is_the_target():
    k, cross, _, a = _problem()
    f = ik.factor_gram(k)
    m = ik.contrastive_target(a, 3)
    np.testing.assert_allclose(ik.induced_kernel(f, m, k), m, atol=1e-8)
    kinv = np.linalg.inv(k)
    np.testing.assert_allclose(ik.induced_kernel(f, m, cross), cross.T @ kinv @ m @ kinv @ cross, rtol=1e-8,
                               atol=1e-10)
    z = ik.representation_from_target(m, 3)
    b = ik.coefficients(f, z)
    feats = ik.embed(b, cross)
    np.testing.assert_allclose(feats @ feats.T, ik.induced_kernel(f, m, cross), atol=1e-10)


def test_representation_from_target_checks_rank():
    m = np.diag([3.0, 2.0, 0.0])
    z = ik.representation_from_target(m, 2)
    np.testing.assert_allclose(z.T @ z, m, atol=1e-12)
    with pytest.raises(ValueError, match="rank above d = 1"):
        ik.representation_from_target(m, 1)
    with pytest.raises(ValueError, match="target must be positive semi-definite"):
        ik.representation_from_target(-m, 2)


# ---------------------------------------------------------------------------------- gradient descent
@pytest.mark.parametrize("loss,d,ridge", [("contrastive", 3, 0.0), ("contrastive", 4, 0.0),
                                          ("contrastive", 2, 0.1), ("noncontrastive", 3, 0.0)])
def test_gradient_descent_reaches_the_closed_form(loss, d, ridge):
    k, cross, _, a = _problem()
    f = ik.factor_gram(k)
    if loss == "contrastive":
        target = ik.contrastive_target(a, d, ridge, f)
    else:
        target = ik.noncontrastive_target(a, d)
    run = ik.train_kernel_model(jax.random.PRNGKey(0), k, a, d, loss, steps=30000, ridge=ridge, init_scale=1e-8)
    learned = ik.embed(run.coeffs, cross)
    # converged runs agree to ~1e-10; 1e-6 leaves room for the slowest mode (rate set by K's spectrum)
    assert np.linalg.norm(learned @ learned.T - ik.induced_kernel(f, target, cross)) <= \
        1e-6 * np.linalg.norm(ik.induced_kernel(f, target, cross))
    assert np.all(np.diff(run.losses) <= 1e-9 * run.losses[0])  # monotone descent at a stable step size


def test_record_steps_and_history():
    assert ik.record_steps(1000, 4, log_spaced=False).tolist() == [0, 1, 334, 667, 1000]
    log = ik.record_steps(10000, 5)
    assert log.tolist() == [0, 1, 10, 100, 1000, 10000]
    k, _, _, a = _problem()
    run = ik.train_kernel_model(jax.random.PRNGKey(3), k, a, 2, steps=300, n_records=7)
    assert run.history.shape == (len(run.steps), 2, 9) and run.steps[0] == 0 and run.steps[-1] == 300
    np.testing.assert_allclose(run.times, run.steps * run.times[-1] / 300)
    # the recorded loss is the loss of the recorded coefficients
    for b, value in zip(run.history, run.losses):
        z = b @ k
        assert value == pytest.approx(np.sum((z.T @ z - a) ** 2), rel=1e-12)
    # step 0 is the initialisation: B_0 of size init_scale
    assert np.abs(run.history[0]).max() < 1e-5


def test_identity_metric_reaches_the_same_optimum():
    k, cross, _, a = _problem()
    f = ik.factor_gram(k)
    run = ik.train_kernel_model(jax.random.PRNGKey(1), k, a, 3, steps=5000, metric="identity", factor=f)
    np.testing.assert_allclose(run.outputs.T @ run.outputs, ik.contrastive_target(a, 3), atol=1e-8)


def test_degenerate_case_reaches_the_minimum_loss():
    k, _, groups, a = _problem()
    run = ik.train_kernel_model(jax.random.PRNGKey(2), k, a, 2, steps=20000)
    ev = np.sort(np.linalg.eigvalsh(a))[::-1]
    minimum = np.sum(ev[2:] ** 2)
    assert run.losses[-1] == pytest.approx(minimum, rel=1e-8)
    p = ik.row_space_projector(run.outputs)
    assert np.trace(ag.group_projector(groups) @ p) == pytest.approx(2.0, rel=1e-8)


def test_training_rejects_bad_input():
    k, _, _, a = _problem()
    key = jax.random.PRNGKey(0)
    with pytest.raises(ValueError, match="adjacency must be 9 x 9"):
        ik.train_kernel_model(key, k, a[:4, :4], 2)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 9"):
        ik.train_kernel_model(key, k, a, 10)
    with pytest.raises(ValueError, match="loss must be one of"):
        ik.train_kernel_model(key, k, a, 2, loss="infonce")
    with pytest.raises(ValueError, match="factor .* is required for metric='identity'"):
        ik.train_kernel_model(key, k, a, 2, metric="identity")
    with pytest.raises(ValueError, match="n_records must be at least 1"):
        ik.train_kernel_model(key, k, a, 2, steps=150, n_records=0)
    with pytest.raises(FloatingPointError, match="diverged"):
        ik.train_kernel_model(key, k, a, 2, steps=2000, lr=10.0, init_scale=1.0)


# ------------------------------------------------------------------------------------ bad input (closed forms)
def test_closed_forms_reject_bad_input():
    k, cross, _, a = _problem()
    f = ik.factor_gram(k)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 9"):
        ik.contrastive_target(a, 0)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 9"):
        ik.contrastive_target(a, 10)
    with pytest.raises(TypeError, match="d must be an integer"):
        ik.contrastive_target(a, 2.5)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 8"):
        ik.noncontrastive_target(a, 9, centre=True)
    with pytest.raises(ValueError, match="adjacency must be symmetric"):
        ik.contrastive_target(np.triu(a), 2)
    with pytest.raises(ValueError, match="factor must be for 9 training points"):
        ik.contrastive_target(a, 2, 0.1, ik.factor_gram(k[:4, :4]))
    with pytest.raises(ValueError, match="factor .* is required when ridge > 0"):
        ik.noncontrastive_target(a, 2, ridge=0.1)
    with pytest.raises(ValueError, match="ridge must be a finite number >= 0"):
        ik.contrastive_target(a, 2, ridge=-1.0, factor=f)
    with pytest.raises(ValueError, match="cross_left must have 9 rows"):
        ik.induced_kernel(f, ik.contrastive_target(a, 2), cross[:4])
    with pytest.raises(ValueError, match="target must be 9 x 9"):
        ik.induced_kernel(f, np.eye(3), cross)
    with pytest.raises(TypeError, match="factor must be a GramFactor"):
        ik.induced_kernel(k, ik.contrastive_target(a, 2), cross)
    with pytest.raises(ValueError, match="penalty must be a finite number > 0"):
        ik.penalised_noncontrastive_target(a, 2, 0.0)


# -------------------------------------------------------------------------------------- measurements
def test_block_ratio():
    groups = ag.group_labels(3, 3)
    p = ag.group_projector(groups)
    assert ik.block_ratio(p, groups) == float("inf")  # perfectly block-diagonal
    assert ik.block_ratio(np.ones((9, 9)) + np.eye(9), groups) == pytest.approx(1.0)  # no structure
    k = 0.5 * np.ones((9, 9)) + 0.5 * (groups[:, None] == groups[None, :])
    # normalised: within 1, between 0.5 (diagonal is 1 already)
    assert ik.block_ratio(k, groups) == pytest.approx(2.0)
    # negative similarities count by their magnitude
    assert ik.block_ratio(2 * p - 0.2 * np.ones((9, 9)) + 0.5 * np.eye(9), groups) > 1
    with pytest.raises(ValueError, match="groups must have one label per row"):
        ik.block_ratio(k, groups[:5])
    with pytest.raises(ValueError, match="kernel must have a positive diagonal"):
        ik.block_ratio(np.zeros((9, 9)), groups)


def test_probes_agree_with_each_other_and_with_sklearn():
    from sklearn.kernel_ridge import KernelRidge

    rng = np.random.default_rng(0)
    ftr, fte = rng.standard_normal((40, 5)), rng.standard_normal((20, 5))
    ytr, yte = rng.integers(0, 3, 40), rng.integers(0, 3, 20)
    lin = ik.linear_probe_accuracy(ftr, fte, ytr, yte, 0.1)
    ker = ik.kernel_probe_accuracy(ftr @ ftr.T + 0 * np.eye(40), ftr @ fte.T, ytr, yte, 0.1)
    assert lin == ker
    onehot = np.eye(3)[ytr]
    pred = KernelRidge(alpha=0.1, kernel="precomputed").fit(ftr @ ftr.T, onehot).predict(fte @ ftr.T)
    assert ker == np.mean(np.argmax(pred, axis=1) == yte)
    with pytest.raises(ValueError, match="features and labels must match"):
        ik.linear_probe_accuracy(ftr, fte, ytr[:5], yte, 0.1)


def test_unregularised_probe_is_zero_filled_kernel_regression():
    # derived in the chapter: with d >= groups and no SSL ridge, the probe's scores are proportional to
    # ridgeless kernel regression with the base kernel, labels on the labelled views and 0 on the others
    k, cross, groups, a = _problem(n_images=4, n_views=3, n_eval=6)
    f = ik.factor_gram(k)
    labels = np.array([0, 1, 0, 1])[groups]
    lab = groups < 2
    m = ik.contrastive_target(a, 4)
    k_star = ik.induced_kernel(f, m, k)
    cross_star = ik.induced_kernel(f, m, k, cross)
    alpha = 0.01
    scores = cross_star[lab].T @ np.linalg.solve(k_star[np.ix_(lab, lab)] + alpha * np.eye(lab.sum()),
                                                 np.eye(2)[labels[lab]])
    filled = np.where(lab[:, None], np.eye(2)[labels], 0.0)
    zero_filled = cross.T @ f.solve(filled)
    np.testing.assert_allclose(scores, zero_filled * 2 / (2 + alpha), rtol=1e-8, atol=1e-12)


def test_projectors_and_base_kernels():
    z = np.array([[1.0, 0, 0], [0, 2.0, 0]])
    p = ik.row_space_projector(z)
    np.testing.assert_allclose(p, np.diag([1.0, 1.0, 0.0]), atol=1e-12)
    q = np.diag([1.0, 0.0, 1.0])
    assert ik.projector_distance(p, p) == 0
    assert ik.projector_distance(p, q) == pytest.approx(np.sqrt(2 / 4))
    with pytest.raises(ValueError, match="same rank"):
        ik.projector_distance(p, np.diag([1.0, 0, 0]))
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    assert ik.median_gamma(x) == pytest.approx(1 / 4.0)
    np.testing.assert_allclose(ik.rbf_gram(x, x[:1], 0.5)[:, 0], np.exp(-0.5 * np.array([0.0, 1.0, 4.0])))
    with pytest.raises(ValueError, match="x1 and x2 must have the same input dimension"):
        ik.rbf_gram(x, np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match="x must contain distinct points"):
        ik.median_gamma(np.ones((3, 2)))


def test_figures_build():
    frames = {"d = 1": np.eye(3), "d = 2": -np.eye(3)}
    fig = ik.heatmap_pair_slider(np.eye(3), frames, ["a", "b", "c"], "base", "induced", "t", "d", active=1)
    assert len(fig.data) == 3 and len(fig.layout.sliders[0].steps) == 2
    panel = {"v = 2": {"induced": np.array([0.5, 0.6]), "base": 0.55, "prediction": 0.4,
                       "unregularised": (2, 0.4)}}
    fig = ik.probe_accuracy_slider([1, 2], {"RBF": panel, "NTK": panel}, "t", "views")
    assert len(fig.data) == 8
    with pytest.raises(ValueError, match="frames must hold at least one"):
        ik.heatmap_pair_slider(np.eye(3), {}, ["a"], "b", "i", "t", "d")


def test_induced_gram_and_probe_sweep():
    k, cross, groups, a = _problem(n_images=4, n_views=3, n_eval=6)
    joint = np.block([[k, cross], [cross.T, np.eye(6)]])
    idx = np.arange(12)
    f = ik.factor_gram(k)
    full = ik.induced_gram(joint, idx, a, 4)
    np.testing.assert_allclose(full[12:, 12:], ik.induced_kernel(f, ik.contrastive_target(a, 4), cross), atol=1e-10)
    nc = ik.induced_gram(joint, idx, a, 4, loss="noncontrastive")
    np.testing.assert_allclose(nc[:12, :12], ik.noncontrastive_target(a, 4), atol=1e-8)
    with pytest.raises(ValueError, match="train must hold distinct row indices"):
        ik.induced_gram(joint, np.array([0, 0, 1]), a[:3, :3], 1)
    labels = np.array([0, 1, 0, 1])[groups]
    out = ik.probe_sweep(k, cross, groups, labels, np.array([0, 0, 1, 1, 0, 1]), 2, [1, 2, 4], 0.1, 1e-2)
    assert set(out) == {"base", "induced", "unregularised", "zero_filled"}
    assert out["induced"].shape == (3,)
    assert out["unregularised"] == out["zero_filled"]  # the derived identity (scores proportional)
    with pytest.raises(ValueError, match="n_labelled must be at least 1 and at most 4"):
        ik.probe_sweep(k, cross, groups, labels, np.zeros(6), 5, [1], 0.1, 1e-2)
    with pytest.raises(ValueError, match="kind must be one of"):
        ik.base_gram("linear", cross, cross)
    with pytest.raises(ValueError, match="gamma is required"):
        ik.base_gram("rbf", cross, cross)
