"""Unit tests of kernel_ssl.induced_kernel (with the chapter's base kernels in kernels and its probes in probes):
closed forms against generic optimisers (scipy) and libraries (numpy, scikit-learn, neural-tangents), gradient
descent against the closed forms, the chapter's experiment functions, and bad input.

Conventions: representations F and coefficients B are (N, d), one training point per row; cross-kernel blocks are
(n_new, N), one new point per row.

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
from kernel_ssl import kernels, linalg, precision, probes

precision.enable_float64()  # gradient descent to 1e-8 needs float64


def _problem(n_groups=3, n_views=3, n_eval=5, seed=0):
    """A small RBF problem: views = centre + noise, plus evaluation points; cross is (n_eval, N)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_groups, 4))
    x = np.repeat(centres, n_views, axis=0) + 0.3 * rng.standard_normal((n_groups * n_views, 4))
    x_eval = np.repeat(centres, 2, axis=0)[:n_eval] + 0.3 * rng.standard_normal((n_eval, 4))
    gamma = kernels.median_gamma(x)
    k = kernels.rbf_gram(x, x, gamma)
    cross = kernels.rbf_gram(x_eval, x, gamma)
    groups = ag.group_labels(n_groups, n_views)
    return k, cross, groups, ag.adjacency_from_groups(groups)


def _lbfgs(objective, shape, seed=0):
    rng = np.random.default_rng(seed)
    res = minimize(lambda v: objective(v.reshape(shape)), 0.5 * rng.standard_normal(np.prod(shape)),
                   method="L-BFGS-B", options=dict(maxiter=20000, gtol=1e-10, ftol=1e-15))
    return res.x.reshape(shape), res.fun


# ----------------------------------------------------------------------------------- closed forms
def test_contrastive_target_of_group_graph():
    groups = ag.group_labels(3, 4)
    a = ag.adjacency_from_groups(groups)
    p = ag.group_projector(groups)
    for d in (3, 5, 12):  # d >= number of groups: [A]_d = (n_v - 1) P_G whatever d
        np.testing.assert_allclose(ik.contrastive_target(a, d), 3 * p, atol=1e-12)
        assert linalg.top_part_is_unique(a, d)
    assert not linalg.top_part_is_unique(a, 2)  # d below the number of groups: degenerate eigenvalue n_v - 1


@pytest.mark.parametrize("ridge", [0.05, 0.5])
def test_ridge_contrastive_target_minimises_the_ridge_loss(ridge):
    k, _, _, a = _problem()
    f = linalg.factor_gram(k)
    kinv = f.inverse()
    d = 2  # below the number of groups: the ridge term makes the optimum unique
    m = ik.contrastive_target(a, d, ridge, f)
    assert linalg.top_part_is_unique(a - ridge / 2 * kinv, d)
    # F is (N, d): ||F F^T - A||^2 + rho tr(F^T K^-1 F)
    fz, found = _lbfgs(lambda z: np.sum((z @ z.T - a) ** 2) + ridge * np.trace(z.T @ kinv @ z), (len(k), d))
    value = np.sum((m - a) ** 2) + ridge * np.trace(kinv @ m)
    assert value == pytest.approx(found, rel=1e-7)
    np.testing.assert_allclose(fz @ fz.T, m, atol=1e-4 * np.abs(m).max())


def test_contrastive_spectrum_and_features_reproduce_the_target():
    k, cross, _, a = _problem()
    f = linalg.factor_gram(k)
    values, vectors = ik.contrastive_spectrum(a, 0.1, f, n_top=4)
    for d in (1, 3, 4):
        m = ik.contrastive_target(a, d, 0.1, f)
        feats = ik.induced_features(f, values, vectors, cross, d)
        assert feats.shape == (cross.shape[0], d)
        np.testing.assert_allclose(feats @ feats.T, ik.induced_kernel(f, m, cross), atol=1e-10)
        train = ik.induced_features(f, values, vectors, k, d)
        np.testing.assert_allclose(train @ train.T, m, atol=1e-8)


def test_non_contrastive_target_is_laplacian_eigenmaps():
    groups = ag.group_labels(3, 4)
    a = ag.adjacency_from_groups(groups)
    n = len(groups)
    p = ag.group_projector(groups)
    # uncentred constraint: the bottom-G eigenspace of L is spanned by the group indicators (constant included)
    np.testing.assert_allclose(ik.non_contrastive_target(a, 3), n * p, atol=1e-10)
    assert ik.non_contrastive_is_unique(a, 3)
    assert not ik.non_contrastive_is_unique(a, 2) and not ik.non_contrastive_is_unique(a, 4)
    # centred: the constant vector is excluded, d = G - 1 is the unique case
    centred = ik.non_contrastive_target(a, 2, centre=True)
    np.testing.assert_allclose(centred, n * p - np.ones((n, n)), atol=1e-10)
    np.testing.assert_allclose(centred @ np.ones(n), 0, atol=1e-10)
    assert ik.non_contrastive_is_unique(a, 2, centre=True)


def test_non_contrastive_target_beats_random_feasible_points():
    k, _, _, a = _problem()
    f = linalg.factor_gram(k)
    lap = ag.laplacian(a) + 0.3 * f.inverse()
    n, d = len(k), 4
    m = ik.non_contrastive_target(a, d, 0.3, f)
    rep = ik.representation_from_target(m, d)
    assert rep.shape == (n, d)
    np.testing.assert_allclose(rep.T @ rep / n, np.eye(d), atol=1e-10)  # feasible: F^T F / N = I_d
    best = np.trace(rep.T @ lap @ rep)
    assert best == pytest.approx(n * np.sum(np.linalg.eigvalsh(lap)[:d]), rel=1e-10)  # Ky Fan
    rng = np.random.default_rng(1)
    for _ in range(50):
        q, _ = np.linalg.qr(rng.standard_normal((n, d)))
        assert n * np.trace(q.T @ lap @ q) >= best - 1e-9


def test_penalised_non_contrastive_target():
    k, _, _, a = _problem()
    f = linalg.factor_gram(k)
    n, d = len(k), 3
    # the group graph's bottom eigenvalues are 0: the penalised optimum equals the constrained one at any kappa
    np.testing.assert_allclose(ik.penalised_non_contrastive_target(a, d, 0.7), ik.non_contrastive_target(a, d),
                               atol=1e-10)
    # with a ridge the eigenvalues are positive: the penalised optimum tends to the constrained one as kappa grows
    constrained = ik.non_contrastive_target(a, d, 0.2, f)
    errs = [np.linalg.norm(ik.penalised_non_contrastive_target(a, d, kappa, 0.2, f) - constrained)
            for kappa in (1.0, 10.0, 100.0)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-2 * np.linalg.norm(constrained)
    # and it is the minimiser of the penalised loss (L-BFGS)
    lap = ag.laplacian(a) + 0.2 * f.inverse()
    kappa = 2.0

    def objective(rep):
        return np.trace(rep.T @ lap @ rep) + kappa * n * np.sum((rep.T @ rep / n - np.eye(d)) ** 2)

    m = ik.penalised_non_contrastive_target(a, d, kappa, 0.2, f)
    _, found = _lbfgs(objective, (n, d))
    assert objective(ik.representation_from_target(m, d)) == pytest.approx(found, rel=1e-7)


# ----------------------------------------------------------------------------------- induced kernel
def test_induced_kernel_on_training_points_is_the_target():
    k, cross, _, a = _problem()
    f = linalg.factor_gram(k)
    m = ik.contrastive_target(a, 3)
    np.testing.assert_allclose(ik.induced_kernel(f, m, k), m, atol=1e-8)
    kinv = np.linalg.inv(k)
    np.testing.assert_allclose(ik.induced_kernel(f, m, cross), cross @ kinv @ m @ kinv @ cross.T, rtol=1e-8,
                               atol=1e-10)
    np.testing.assert_allclose(ik.induced_kernel(f, m, cross, k), cross @ kinv @ m, rtol=1e-8, atol=1e-10)
    rep = ik.representation_from_target(m, 3)
    b = ik.coefficients(f, rep)
    assert b.shape == rep.shape
    np.testing.assert_allclose(k @ b, rep, atol=1e-10)   # F = K B
    feats = ik.embed(b, cross)
    np.testing.assert_allclose(feats @ feats.T, ik.induced_kernel(f, m, cross), atol=1e-10)


def test_representation_from_target_checks_rank():
    m = np.diag([3.0, 2.0, 0.0])
    rep = ik.representation_from_target(m, 2)
    assert rep.shape == (3, 2)
    np.testing.assert_allclose(rep @ rep.T, m, atol=1e-12)
    with pytest.raises(ValueError, match="rank above d = 1"):
        ik.representation_from_target(m, 1)
    with pytest.raises(ValueError, match="target must be positive semi-definite"):
        ik.representation_from_target(-m, 2)


# ---------------------------------------------------------------------------------- gradient descent
@pytest.mark.parametrize("loss,d,ridge", [("contrastive", 3, 0.0), ("contrastive", 4, 0.0),
                                          ("contrastive", 2, 0.1), ("non_contrastive", 3, 0.0)])
def test_gradient_descent_reaches_the_closed_form(loss, d, ridge):
    k, cross, _, a = _problem()
    f = linalg.factor_gram(k)
    if loss == "contrastive":
        target = ik.contrastive_target(a, d, ridge, f)
    else:
        target = ik.non_contrastive_target(a, d)
    run = ik.train_kernel_model(jax.random.PRNGKey(0), k, a, d, loss, steps=30000, ridge=ridge, alpha=1e-8)
    learned = ik.embed(run.coeffs, cross)
    # converged runs agree to ~1e-10; 1e-6 leaves room for the slowest mode (rate set by K's spectrum)
    assert np.linalg.norm(learned @ learned.T - ik.induced_kernel(f, target, cross)) <= \
        1e-6 * np.linalg.norm(ik.induced_kernel(f, target, cross))
    assert np.all(np.diff(run.losses) <= 1e-9 * run.losses[0])  # monotone descent at a stable step size


def test_kernel_metric_step_is_the_representer_update():
    # one step of the kernel model is the B-form of gradient descent on W in feature space: with explicit
    # features Phi (K = Phi Phi^T), W = B^T Phi and W <- W - lr (grad_F^T + 2 rho B^T) Phi
    rng = np.random.default_rng(0)
    phi = rng.standard_normal((6, 10))
    k = phi @ phi.T
    a = ag.adjacency_from_groups(ag.group_labels(2, 3))
    b = rng.standard_normal((6, 2))
    lr, ridge = 0.01, 0.3
    step = ik.kernel_metric_step("contrastive")
    new_b = np.asarray(step(b, lr, k, np.zeros((1, 1)), a, ridge, 1.0))
    f = k @ b
    grad_f = 4 * (f @ f.T - a) @ f          # d/dF ||F F^T - A||^2 (A symmetric)
    w = b.T @ phi
    new_w = w - lr * ((grad_f + 2 * ridge * b).T @ phi)
    np.testing.assert_allclose(new_b.T @ phi, new_w, rtol=1e-12, atol=1e-12)
    assert ik.kernel_metric_step("contrastive") is step   # one cached object: one compiled program per loss


def test_recorded_history_and_losses():
    k, _, _, a = _problem()
    run = ik.train_kernel_model(jax.random.PRNGKey(3), k, a, 2, steps=300, n_log=7)
    assert run.history.shape == (len(run.steps), 9, 2) and run.steps[0] == 0 and run.steps[-1] == 300
    np.testing.assert_allclose(run.t, run.steps * run.t[-1] / 300)
    np.testing.assert_allclose(run.representation, k @ run.coeffs, atol=1e-12)
    # the recorded loss is the loss of the recorded coefficients
    for b, value in zip(run.history, run.losses, strict=True):
        f = k @ b
        assert value == pytest.approx(np.sum((f @ f.T - a) ** 2), rel=1e-12)
    # step 0 is the initialisation: B_0 of size alpha / sqrt(N), drawn in float32 whatever the precision
    b0 = 1e-6 * np.asarray(precision.normal(jax.random.PRNGKey(3), (9, 2))) / 3.0
    np.testing.assert_allclose(run.history[0], b0, rtol=1e-12)


def test_identity_metric_reaches_the_same_optimum():
    k, _, _, a = _problem()
    f = linalg.factor_gram(k)
    run = ik.train_kernel_model(jax.random.PRNGKey(1), k, a, 3, steps=5000, metric="identity", factor=f)
    np.testing.assert_allclose(run.representation @ run.representation.T, ik.contrastive_target(a, 3), atol=1e-8)


def test_degenerate_case_reaches_the_minimum_loss():
    k, _, groups, a = _problem()
    run = ik.train_kernel_model(jax.random.PRNGKey(2), k, a, 2, steps=20000)
    ev = np.sort(np.linalg.eigvalsh(a))[::-1]
    minimum = np.sum(ev[2:] ** 2)
    assert run.losses[-1] == pytest.approx(minimum, rel=1e-8)
    p = linalg.projector(run.representation)   # the learned subspace: the column space of F
    assert np.trace(ag.group_projector(groups) @ p) == pytest.approx(2.0, rel=1e-8)


def test_training_rejects_bad_input():
    k, _, _, a = _problem()
    key = jax.random.PRNGKey(0)
    with pytest.raises(ValueError, match="adjacency must be 9 x 9"):
        ik.train_kernel_model(key, k, a[:4, :4], 2)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 9"):
        ik.train_kernel_model(key, k, a, 10)
    with pytest.raises(ValueError, match="loss must be one of"):
        ik.train_kernel_model(key, k, a, 2, loss="noncontrastive")
    with pytest.raises(ValueError, match="factor .* is required for metric='identity'"):
        ik.train_kernel_model(key, k, a, 2, metric="identity")
    with pytest.raises(ValueError, match="n_log must be at least 1"):
        ik.train_kernel_model(key, k, a, 2, steps=150, n_log=0)
    with pytest.raises(TypeError, match="key must be a JAX PRNG key"):
        ik.train_kernel_model(0, k, a, 2)
    with pytest.raises(FloatingPointError, match="diverged"):
        ik.train_kernel_model(key, k, a, 2, steps=2000, lr=10.0, alpha=1.0)


def test_training_requires_float64(monkeypatch):
    # the switch is process-wide: pretend it is off rather than turning it off for the other tests
    k, _, _, a = _problem()
    monkeypatch.setattr(precision, "float64_enabled", lambda: False)
    with pytest.raises(RuntimeError, match="needs float64"):
        ik.train_kernel_model(jax.random.PRNGKey(0), k, a, 2, steps=10)


# ------------------------------------------------------------------------------------ bad input (closed forms)
def test_closed_forms_reject_bad_input():
    k, cross, _, a = _problem()
    f = linalg.factor_gram(k)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 9"):
        ik.contrastive_target(a, 0)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 9"):
        ik.contrastive_target(a, 10)
    with pytest.raises(TypeError, match="d must be an integer"):
        ik.contrastive_target(a, 2.5)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 8"):
        ik.non_contrastive_target(a, 9, centre=True)
    with pytest.raises(ValueError, match="adjacency must be symmetric"):
        ik.contrastive_target(np.triu(a), 2)
    with pytest.raises(ValueError, match="factor must be for 9 training points"):
        ik.contrastive_target(a, 2, 0.1, linalg.factor_gram(k[:4, :4]))
    with pytest.raises(ValueError, match="factor .* is required when ridge > 0"):
        ik.non_contrastive_target(a, 2, ridge=0.1)
    with pytest.raises(ValueError, match="ridge must be a finite number >= 0"):
        ik.contrastive_target(a, 2, ridge=-1.0, factor=f)
    with pytest.raises(ValueError, match="cross_left must have 9 columns"):
        ik.induced_kernel(f, ik.contrastive_target(a, 2), cross.T)
    with pytest.raises(ValueError, match="target must be 9 x 9"):
        ik.induced_kernel(f, np.eye(3), cross)
    with pytest.raises(TypeError, match="factor must be a GramFactor"):
        ik.induced_kernel(k, ik.contrastive_target(a, 2), cross)
    with pytest.raises(ValueError, match="penalty must be a finite number > 0"):
        ik.penalised_non_contrastive_target(a, 2, 0.0)
    with pytest.raises(TypeError, match="centre must be True or False"):
        ik.non_contrastive_target(a, 2, centre=1)
    with pytest.raises(ValueError, match="cross must have 9 columns"):
        ik.embed(np.ones((9, 2)), cross.T)


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
    ytr, yte = rng.integers(0, 3, 40) + 4, rng.integers(0, 3, 20) + 4   # classes 4..6: not 0-based
    lin = probes.linear_probe_accuracy(ftr, fte, ytr, yte, 0.1)
    ker = probes.kernel_probe_accuracy(ftr @ ftr.T, fte @ ftr.T, ytr, yte, 0.1)
    assert lin == ker
    onehot = np.eye(3)[ytr - 4]
    pred = KernelRidge(alpha=0.1, kernel="precomputed").fit(ftr @ ftr.T, onehot).predict(fte @ ftr.T)
    assert ker == np.mean(np.argmax(pred, axis=1) + 4 == yte)
    assert 0.0 <= ker <= 1.0
    with pytest.raises(ValueError, match="features and labels must match"):
        probes.linear_probe_accuracy(ftr, fte, ytr[:5], yte, 0.1)
    with pytest.raises(ValueError, match=r"cross_test must have shape \(n_test, N\)"):
        probes.kernel_probe_accuracy(ftr @ ftr.T, ftr @ fte.T, ytr, yte, 0.1)
    with pytest.raises(ValueError, match="probe_ridge must be a finite number >= 0"):
        probes.linear_probe_accuracy(ftr, fte, ytr, yte, -1.0)


def test_unregularised_probe_is_zero_filled_kernel_regression():
    # derived in the chapter: with d >= groups and no SSL ridge, the probe's scores are proportional to
    # ridgeless kernel regression with the base kernel, labels on the labelled views and 0 on the others
    k, cross, groups, a = _problem(n_groups=4, n_views=3, n_eval=6)
    f = linalg.factor_gram(k)
    labels = np.array([0, 1, 0, 1])[groups]
    lab = groups < 2
    m = ik.contrastive_target(a, 4)
    k_star = ik.induced_kernel(f, m, k)
    cross_star = ik.induced_kernel(f, m, cross, k)
    probe_ridge = 0.01
    scores = cross_star[:, lab] @ np.linalg.solve(k_star[np.ix_(lab, lab)] + probe_ridge * np.eye(lab.sum()),
                                                  np.eye(2)[labels[lab]])
    filled = np.where(lab[:, None], np.eye(2)[labels], 0.0)
    zero_filled = cross @ f.solve(filled)
    np.testing.assert_allclose(scores, zero_filled * 2 / (2 + probe_ridge), rtol=1e-8, atol=1e-12)


def test_base_kernels():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    assert kernels.median_gamma(x) == pytest.approx(1 / 4.0)
    np.testing.assert_allclose(kernels.rbf_gram(x, x[:1], 0.5)[:, 0], np.exp(-0.5 * np.array([0.0, 1.0, 4.0])))
    np.testing.assert_array_equal(ik.base_gram("rbf", x, x[:2], 0.5), kernels.rbf_gram(x, x[:2], 0.5))
    with pytest.raises(ValueError, match="x1 and x2 must have the same input dimension"):
        kernels.rbf_gram(x, np.ones((2, 3)), 1.0)
    with pytest.raises(ValueError, match="x must contain distinct points"):
        kernels.median_gamma(np.ones((3, 2)))
    k = np.array([[4.0, 2.0], [2.0, 9.0]])
    np.testing.assert_allclose(kernels.normalised_kernel(k), [[1.0, 1 / 3], [1 / 3, 1.0]])
    with pytest.raises(ValueError, match="kernel must be square"):
        kernels.normalised_kernel(np.ones((2, 3)))
    with pytest.raises(ValueError, match="kind must be one of"):
        ik.base_gram("linear", x, x)
    with pytest.raises(ValueError, match="gamma is required"):
        ik.base_gram("rbf", x, x)


def test_ntk_base_kernel_is_the_neural_tangents_limit():
    # the chapter's "ntk" (closed form, no TensorFlow) against neural-tangents' infinite-width NTK of the two-layer
    # ReLU net without bias, on points of the sphere ||x||^2 = m like the digits views: unit diagonal
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 5))
    x *= np.sqrt(5) / np.linalg.norm(x, axis=1, keepdims=True)
    from kernel_ssl import nt
    reference = nt.analytic_kernel(x, x[:4], "relu", 0.0, "ntk")
    gram = ik.base_gram("ntk", x, x[:4])
    assert gram.dtype == np.float64 and gram.shape == (7, 4)
    np.testing.assert_allclose(gram, np.asarray(reference), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.diag(ik.base_gram("ntk", x, x)), 1.0, rtol=1e-12)


# ------------------------------------------------------------------------------------ chapter experiments
def test_induced_gram_and_probe_sweep():
    k, cross, groups, a = _problem(n_groups=4, n_views=3, n_eval=6)
    joint = np.block([[k, cross.T], [cross, np.eye(6)]])
    idx = np.arange(12)
    f = linalg.factor_gram(k)
    full = ik.induced_gram(joint, idx, a, 4)
    np.testing.assert_allclose(full[12:, 12:], ik.induced_kernel(f, ik.contrastive_target(a, 4), cross), atol=1e-10)
    nc = ik.induced_gram(joint, idx, a, 4, loss="non_contrastive")
    np.testing.assert_allclose(nc[:12, :12], ik.non_contrastive_target(a, 4), atol=1e-8)
    ridged = ik.induced_gram(joint, idx, a, 2, ridge=0.1)
    np.testing.assert_allclose(ridged[12:, :12], ik.induced_kernel(f, ik.contrastive_target(a, 2, 0.1, f), cross, k),
                               atol=1e-10)
    with pytest.raises(ValueError, match="train must hold distinct row indices"):
        ik.induced_gram(joint, np.array([0, 0, 1]), a[:3, :3], 1)
    labels = np.array([0, 1, 0, 1])[groups]
    labels_test = np.array([0, 0, 1, 1, 0, 1])
    out = ik.probe_sweep(k, cross, groups, labels, labels_test, 2, [1, 2, 4], 0.1, 1e-2)
    assert out.dims == (1, 2, 4) and out.induced.shape == (3,)
    assert out.unregularised == out.zero_filled  # the derived identity (scores proportional)
    assert out.induced_at(2) == out.induced[1] and out.best_induced == out.induced.max()
    assert out.best_dim in out.dims and out.induced_at(out.best_dim) == out.best_induced
    # the base probe is the kernel probe on the labelled views, ridge relative to the mean diagonal
    lab = groups < 2
    assert out.base == probes.kernel_probe_accuracy(k[np.ix_(lab, lab)], cross[:, lab], labels[lab], labels_test,
                                                    1e-2 * np.mean(np.diag(k)[lab]))
    with pytest.raises(ValueError, match="n_labelled must be at least 1 and at most 4"):
        ik.probe_sweep(k, cross, groups, labels, np.zeros(6), 5, [1], 0.1, 1e-2)
    with pytest.raises(ValueError, match=r"cross_test \(n_test, 12\) must match gram"):
        ik.probe_sweep(k, cross.T, groups, labels, labels_test, 2, [1], 0.1, 1e-2)
    with pytest.raises(ValueError, match="groups must hold one integer group label per training point"):
        ik.probe_sweep(k, cross, groups.astype(float), labels, labels_test, 2, [1], 0.1, 1e-2)
    with pytest.raises(ValueError, match="groups must be labelled 0..G-1"):
        ik.probe_sweep(k, cross, groups + 1, labels, labels_test, 2, [1], 0.1, 1e-2)


def test_probe_experiment_uses_first_views_and_held_out_sources():
    rng = np.random.default_rng(2)
    views = rng.standard_normal((7, 3, 4))
    labels = np.array([0, 1, 2, 0, 1, 2, 0])
    out = ik.probe_experiment("rbf", views, labels, 5, 2, 3, [1, 2], 0.1, 1e-2)
    x = views[:5, :2].reshape(-1, 4)
    gamma = kernels.median_gamma(x)
    groups = ag.group_labels(5, 2)
    direct = ik.probe_sweep(kernels.rbf_gram(x, x, gamma), kernels.rbf_gram(views[5:, 0], x, gamma), groups,
                            labels[groups], labels[5:], 3, [1, 2], 0.1, 1e-2)
    assert (out.dims, out.base, out.unregularised, out.zero_filled) == \
        (direct.dims, direct.base, direct.unregularised, direct.zero_filled)
    np.testing.assert_array_equal(out.induced, direct.induced)
    with pytest.raises(ValueError, match="n_ssl must be at least 2 and at most 6"):
        ik.probe_experiment("rbf", views, labels, 7, 2, 3, [1], 0.1, 1e-2)


def test_held_out_kernels():
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((3, 1, 6))
    views = centres + 0.3 * rng.standard_normal((3, 5, 6))
    panel = ik.view_panel(views, np.array([4, 7, 1]), n_fresh=2)
    assert panel.n_train == 3 and panel.fresh_rows().tolist() == [3, 4, 8, 9, 13, 14]
    assert panel.train_rows(2).tolist() == [0, 1, 5, 6, 10, 11]
    out = ik.held_out_kernels(panel, "rbf", 2, 3)
    assert out.train_between_max <= 1e-10   # on the training views the induced kernel is (n_v - 1) P_G
    np.testing.assert_allclose(np.diag(out.induced), 1.0)
    gram = panel.grams["rbf"]
    train, fresh = panel.train_rows(2), panel.fresh_rows()
    induced = ik.induced_gram(gram, train, ag.adjacency_from_groups(ag.group_labels(3, 2)), 3)
    np.testing.assert_allclose(out.induced, kernels.normalised_kernel(induced[np.ix_(fresh, fresh)]), atol=1e-12)
    assert out.block_ratio_induced == ik.block_ratio(out.induced, panel.fresh_groups)
    with pytest.raises(ValueError, match="n_views must be at least 2 and at most 3"):
        ik.held_out_kernels(panel, "rbf", 4, 3)
    with pytest.raises(TypeError, match="panel must be a ViewPanel"):
        ik.held_out_kernels(gram, "rbf", 2, 3)


def test_descent_to_closed_form_and_degenerate_experiment():
    k, cross, groups, a = _problem()
    target = ik.contrastive_target(a, 3)
    out = ik.descent_to_closed_form(jax.random.PRNGKey(0), k, cross, a, target, 3, steps=20000, alpha=1e-8)
    assert out.error.shape == out.t.shape and out.final_error == out.error[-1] < 1e-6
    assert out.error[0] > 0.99   # from a tiny initialisation the learned kernel starts at ~0
    deg = ik.degenerate_experiment(jax.random.PRNGKey(1), k, groups, 2, 2, 20000)
    ev = np.sort(np.linalg.eigvalsh(a))[::-1]
    assert deg.min_loss == pytest.approx(np.sum(ev[2:] ** 2), rel=1e-12)
    assert deg.loss_gap <= 1e-8 and deg.in_group_space >= 1 - 1e-8
    assert 0 <= deg.distance_kernel <= deg.distance_kernel_max <= 1 and 0 <= deg.distance_identity <= 1
    assert deg.ridge_gap > 0 and deg.distance_ridge < 0.05
    assert set(deg.loss_curves) == {f"{m} metric, seed {s}" for m in ("kernel", "identity") for s in (0, 1)}
    with pytest.raises(ValueError, match="d must be at least 1 and at most 2"):
        ik.degenerate_experiment(jax.random.PRNGKey(1), k, groups, 3, 2, 100)


# ------------------------------------------------------------------ singular K, minimum norm, graphs that differ
def _rank_deficient_problem(n_groups=3, n_views=3, width=5, seed=0):
    """Random features with fewer features (width) than points: K = Phi Phi^T is singular."""
    rng = np.random.default_rng(seed)
    phi = rng.standard_normal((n_groups * n_views, width))
    groups = ag.group_labels(n_groups, n_views)
    return phi @ phi.T, phi, groups, ag.adjacency_from_groups(groups)


def test_range_factor_is_the_pseudo_inverse():
    k, _, _, _ = _rank_deficient_problem()
    f = ik.range_factor(k)
    assert f.rank == 5 and f.n == 9
    np.testing.assert_allclose(f.inverse(), np.linalg.pinv(k, rcond=1e-10, hermitian=True), atol=1e-10)
    np.testing.assert_allclose(f.projector(), k @ np.linalg.pinv(k, hermitian=True), atol=1e-10)
    k_full, _, _, _ = _problem()
    np.testing.assert_allclose(ik.range_factor(k_full).inverse(), np.linalg.inv(k_full), rtol=1e-8, atol=1e-8)
    with pytest.raises(ValueError, match="gram must be positive semi-definite"):
        ik.range_factor(-k_full)


def test_rank_deficient_target_is_the_optimum_over_b():
    # Proposition rank-deficient: min_B ||K B B^T K - A||^2 is [Pi A Pi]_d, found here by L-BFGS over B itself
    k, _, _, a = _rank_deficient_problem()
    f = ik.range_factor(k)
    target = ik.contrastive_target(a, 2, factor=f)
    p = f.projector()
    np.testing.assert_allclose(target, linalg.top_psd_part(p @ a @ p, 2), atol=1e-12)
    b, value = _lbfgs(lambda b: np.sum((k @ b @ b.T @ k - a) ** 2), (9, 2))
    assert value == pytest.approx(np.sum((target - a) ** 2), rel=1e-7)
    assert not np.allclose(target, ik.contrastive_target(a, 2), atol=1e-3)   # the kernel enters through Pi
    # the constrained non-contrastive optimum lives in range(K): d at most rank(K)
    nc = ik.non_contrastive_target(a, 3, factor=f)
    np.testing.assert_allclose(p @ nc @ p, nc, atol=1e-10)
    with pytest.raises(ValueError, match="d must be at least 1 and at most 5"):
        ik.non_contrastive_target(a, 6, factor=f)


def test_gradient_descent_with_a_singular_kernel():
    k, _, _, a = _rank_deficient_problem()
    run = ik.train_kernel_model(jax.random.PRNGKey(0), k, a, 3, steps=40000, alpha=1e-6)
    target = ik.contrastive_target(a, 3, factor=ik.range_factor(k))
    assert linalg.relative_frobenius_error(run.representation @ run.representation.T, target) <= 1e-6


def test_rank_deficient_experiment():
    rng = np.random.default_rng(1)
    x = np.repeat(rng.standard_normal((3, 6)), 3, axis=0) + 0.3 * rng.standard_normal((9, 6))
    out = ik.rank_deficient_experiment(jax.random.PRNGKey(0), x, ag.group_labels(3, 3), 5, 3, 60000, 1e-6)
    assert out.rank <= 5 and out.outside_range <= 1e-10 and out.error <= 1e-3 and out.kernel_effect > 0
    with pytest.raises(ValueError, match="width must be at least 1 and at most 8"):
        ik.rank_deficient_experiment(jax.random.PRNGKey(0), x, ag.group_labels(3, 3), 9, 3, 100, 1e-6)


def test_min_norm_target_is_the_ridge_limit():
    k, _, groups, a = _problem()
    f = ik.range_factor(k)
    limit = ik.min_norm_contrastive_target(a, 2, f)
    assert limit.unique and limit.eigengap > 0
    # it is an unregularised optimum (the lemma's minimum) ...
    ev = np.sort(np.linalg.eigvalsh(a))[::-1]
    assert np.sum((limit.target - a) ** 2) == pytest.approx(np.sum(ev[2:] ** 2), rel=1e-10)
    # ... of least RKHS norm among the optima (n_v - 1) E P E^T, P a random rank-2 projector of the group space
    e = linalg.orthonormal_basis(ag.group_projector(groups)[:, [0, 3, 6]])
    rng = np.random.default_rng(0)
    for _ in range(20):
        q = e @ np.linalg.qr(rng.standard_normal((3, 2)))[0]
        assert np.sum(f.inverse() * (2 * q @ q.T)) >= limit.norm - 1e-10
    # ... and the ridge optimum approaches it linearly in rho
    path = ik.min_norm_limit(a, 2, f, [1e-5, 1e-4, 1e-3])
    assert path.errors[0] < 1e-3 and path.slope == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="ridges must hold at least two increasing values"):
        ik.min_norm_limit(a, 2, f, [1e-3, 1e-4])


def test_min_norm_of_a_unique_optimum_is_the_optimum():
    k, _, _, a = _problem()
    f = ik.range_factor(k)
    out = ik.min_norm_contrastive_target(a, 4, f)   # d >= G: nothing to choose
    np.testing.assert_allclose(out.target, ik.contrastive_target(a, 4), atol=1e-12)
    assert out.unique and out.eigengap == float("inf")


def test_contrastive_and_non_contrastive_differ_only_off_regular_graphs():
    _, _, groups, a = _problem()
    assert ik.contrastive_noncontrastive_distance(a, 3) <= 1e-10      # cliques: regular
    ring = np.roll(np.eye(8), 1, axis=1) + np.roll(np.eye(8), -1, axis=1)   # a cycle, regular: distance 0
    assert ik.contrastive_noncontrastive_distance(ring, 3) <= 1e-8
    rng = np.random.default_rng(0)
    x = np.repeat(rng.standard_normal((3, 4)), 3, axis=0) + 0.3 * rng.standard_normal((9, 4))
    knn = ag.knn_adjacency(x, groups, 2, 0.5)
    assert np.ptp(knn.sum(axis=1)) > 0 and ik.contrastive_noncontrastive_distance(knn, 3) > 1e-3


def test_penalised_collapse_at_d_above_g():
    k, _, groups, _ = _problem()
    out = ik.penalised_collapse(jax.random.PRNGKey(0), k, groups, 5, 20000, 1e-6, 1.0)   # n_v = 3 >= 2 kappa
    assert out.unique and out.extra_final <= 1e-3 * out.extra_initial and out.error <= 1e-6
    with pytest.raises(ValueError, match="d must be at least 4"):
        ik.penalised_collapse(jax.random.PRNGKey(0), k, groups, 3, 100, 1e-6, 1.0)


def _digit_like_views(n_sources=24, n_views=3, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.arange(n_sources) % 3
    centres = rng.standard_normal((3, 8))[labels] + 0.5 * rng.standard_normal((n_sources, 8))
    return centres[:, None, :] + 0.2 * rng.standard_normal((n_sources, n_views, 8)), labels


def test_select_probes_uses_labels_of_the_labelled_sources_only():
    views, labels = _digit_like_views()
    sel = ik.select_probes("rbf", views, labels, 16, 2, 10, (2, 4, 8), 0.1, (1e-2, 1.0), n_folds=5)
    assert sel.dim in (2, 4, 8) and sel.probe_ridge in (1e-2, 1.0)
    assert sel.induced == sel.test_grid[sel.dims.index(sel.dim), sel.probe_ridges.index(sel.probe_ridge)]
    assert all(0 <= v <= 1 for v in (sel.induced, sel.base, sel.kpca)) and sel.margins.shape == (2,)
    j = sel.probe_ridges.index(sel.probe_ridge)   # at the chosen ridge the margin is the chosen probe's
    assert sel.margins[j] == pytest.approx(sel.induced - sel.base_grid[j])
    # the test labels play no part in the selection: scrambling them changes no choice
    scrambled = labels.copy()
    scrambled[16:] = scrambled[16:][::-1]
    again = ik.select_probes("rbf", views, scrambled, 16, 2, 10, (2, 4, 8), 0.1, (1e-2, 1.0), n_folds=5)
    assert (again.dim, again.probe_ridge) == (sel.dim, sel.probe_ridge)
    with pytest.raises(ValueError, match="n_labelled must be at least 5"):
        ik.select_probes("rbf", views, labels, 16, 2, 4, (2,), 0.1, (1.0,), n_folds=5)


def test_bandwidth_sweep_and_class_heatmaps():
    views, labels = _digit_like_views(n_sources=6, n_views=5)
    sweep = ik.bandwidth_sweep(views, 2, 3, 6, [0.1, 1.0, 10.0])
    assert np.all(np.diff(sweep.condition_numbers) < 0)          # K -> I as the width shrinks
    finite = np.isfinite(sweep.condition_bounds)
    assert np.all(sweep.condition_numbers[finite] <= sweep.condition_bounds[finite] * (1 + 1e-12))   # Gershgorin
    views, labels = _digit_like_views()
    out = ik.class_heatmaps("rbf", views, labels, 16, 2, 4, 0.1, 6, 8)
    assert out.train.shape == (12, 12) and out.test.shape == (8, 8)
    assert np.all(np.diff(out.train_labels) >= 0) and np.all(np.diff(out.test_labels) >= 0)
    np.testing.assert_allclose(np.diag(out.test), 1.0)
