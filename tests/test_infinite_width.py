"""Unit tests of kernel_ssl.infinite_width: the chapter's measurements against the same quantities computed by
hand from the library's building blocks, output shapes, and bad inputs."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import dynamics, infinite_width, kernels, linalg, losses, models

# float64: measurements are compared with hand computations at float64 round-off
jax.config.update("jax_enable_x64", True)
RTOL = 1e-10

KEY = jax.random.PRNGKey(0)
N_PAIRS, M_IN, D = 4, 5, 2
X = jax.random.normal(jax.random.PRNGKey(1), (N_PAIRS, M_IN))
X_PRIME = X + 0.3 * jax.random.normal(jax.random.PRNGKey(2), (N_PAIRS, M_IN))
XS = jnp.concatenate([X, X_PRIME])
TARGETS = jax.random.normal(jax.random.PRNGKey(3), (2 * N_PAIRS, D))


@pytest.mark.parametrize("anchor", [0, 5])
@pytest.mark.parametrize("activation,bias_std", [("relu", 0.0), ("erf", 0.4)])
def test_kernel_row_is_a_row_of_the_empirical_ntk(anchor, activation, bias_std):
    row = infinite_width.kernel_row(KEY, XS, 48, D, activation, bias_std, anchor)
    params = models.init_two_layer(KEY, M_IN, 48, D, dtype=XS.dtype)
    full = np.asarray(kernels.empirical_ntk_two_layer(params, XS, XS, activation, bias_std))
    assert row.shape == (2 * N_PAIRS,)
    np.testing.assert_allclose(row, full[anchor, :, 0, 0], rtol=RTOL)


def test_kernel_row_across_init_blocks():
    # a width that spans several blocks of drawn units (and ends inside one), against the full JAX kernel
    width = 2 * models.INIT_BLOCK + 3
    row = infinite_width.kernel_row(KEY, XS, width, 1, "erf", 0.4, 2)
    params = models.init_two_layer(KEY, M_IN, width, 1, dtype=XS.dtype)
    full = np.asarray(kernels.empirical_ntk_two_layer(params, XS, XS, "erf", 0.4))
    np.testing.assert_allclose(row, full[2, :, 0, 0], rtol=RTOL)


def test_kernel_row_bad_anchor():
    with pytest.raises(ValueError, match=r"anchor must be at least 0 and at most 7"):
        infinite_width.kernel_row(KEY, XS, 16, anchor=8)
    with pytest.raises(ValueError, match=r"x must be a 2-D array"):
        infinite_width.kernel_row(KEY, XS[0], 16)


def _bt_loss(params):
    # the chapter's Barlow Twins loss of the net, written from the building blocks (XS is a module constant)
    f = models.two_layer_apply(params, XS)
    return losses.barlow_twins_theory(f[:N_PAIRS], f[N_PAIRS:])


def test_train_two_layer_barlow_twins_by_hand():
    width, lr, steps = 64, 0.05, 40
    run = infinite_width.train_two_layer(KEY, XS, width, D, "barlow_twins", lr, steps, record_every=10)
    assert run.width == width
    assert run.loss_trace.shape == (steps // 10 + 1,)
    assert np.all(np.isfinite(run.loss_trace)) and np.isfinite(run.ntk_change) and np.isfinite(run.param_change)
    assert run.loss_trace[-1] < run.loss_trace[0]
    # the same training, by hand from the building blocks
    params0 = models.init_two_layer(KEY, M_IN, width, D, dtype=XS.dtype)

    descent = dynamics.descend(dynamics.gradient_step(_bt_loss), params0, lr, steps,
                               observe=dynamics.loss_observer(_bt_loss), record_at=dynamics.record_steps(steps, 10))
    params = {k: jnp.asarray(v) for k, v in descent.final.items()}
    np.testing.assert_allclose(run.loss_trace, descent.records, rtol=RTOL)
    distance = np.sqrt(sum(np.sum((np.asarray(params[k]) - np.asarray(params0[k])) ** 2) for k in "VbW"))
    assert run.param_change == pytest.approx(distance, rel=RTOL)
    assert run.param_change > 0
    theta0 = np.asarray(kernels.empirical_ntk_two_layer(params0, XS, XS))
    theta = np.asarray(kernels.empirical_ntk_two_layer(params, XS, XS))
    assert run.ntk_change == pytest.approx(np.linalg.norm(theta - theta0) / np.linalg.norm(theta0), rel=RTOL)
    np.testing.assert_allclose(run.outputs0, models.two_layer_apply(params0, XS), rtol=RTOL)
    np.testing.assert_allclose(run.outputs, models.two_layer_apply(params, XS), rtol=RTOL)
    # the sign flips of the pre-activations, by hand, and the traces start where nothing has moved
    signs, signs0 = (np.asarray(models.preactivations(p, XS)) > 0 for p in (params, params0))
    flips = np.mean(signs != signs0)
    assert run.flip_fraction_trace[-1] == pytest.approx(flips, abs=1e-15)
    assert run.ntk_change_trace[0] == 0 and run.param_change_trace[0] == 0 and run.flip_fraction_trace[0] == 0
    np.testing.assert_allclose(run.t, lr * np.arange(0, steps + 1, 10), rtol=1e-15)


def test_train_two_layer_supervised_loss_decreases():
    run = infinite_width.train_two_layer(KEY, XS, 64, D, "supervised", 0.1, 20, targets=TARGETS, record_every=5)
    # 2 lr lambda_max(K) / N = 0.05 here (K the NTK, lambda_max ~ 2), far below the stability limit 2:
    # the kernel model descends monotonically, and so does a net that stays close to it
    assert np.all(np.diff(run.loss_trace) < 0)


def test_kernel_model_gap_by_hand():
    lr, steps = 0.1, 20
    run = infinite_width.train_two_layer(KEY, XS, 64, D, "supervised", lr, steps, targets=TARGETS,
                                         record_every=steps)
    gap = infinite_width.kernel_model_gap(run, XS, "supervised", lr, targets=TARGETS)[-1]
    # kernel model: F_k - Y = (I - 2 lr K / N)^k (F_0 - Y) with the analytic NTK and the net's own F_0
    k_inf = np.asarray(kernels.closed_form_ntk(XS, XS))
    n = 2 * N_PAIRS
    y = np.asarray(TARGETS)
    f_ker = y + np.linalg.matrix_power(np.eye(n) - 2 * lr * k_inf / n, steps) @ (run.outputs0 - y)
    expected = np.linalg.norm(run.outputs - f_ker) / np.linalg.norm(run.outputs - run.outputs0)
    assert gap == pytest.approx(expected, rel=1e-8)  # the kernel model's path is only differenced twice
    assert 0 < gap < 1  # a width-64 net already follows its kernel model more closely than it moves
    # the same model with the kernel written as the full (N, N, d, d) tensor K x I_d
    full = np.asarray(kernels.kron_identity(kernels.closed_form_ntk(XS, XS), D))
    assert infinite_width.kernel_model_gap(run, XS, "supervised", lr, targets=TARGETS, kernel=full)[-1] == \
        pytest.approx(gap, rel=1e-10)


def test_kernel_model_with_the_initial_kernel_is_closer():
    # lr -> small: a network trained with its own Theta_0 as kernel differs from the kernel model only through
    # the kernel's change, so the Theta_0 gap is well below the K_inf gap (which also carries Theta_0 - K_inf)
    run = infinite_width.train_two_layer(KEY, XS, 256, D, "barlow_twins", 0.05, 40, record_every=20)
    params0 = models.init_two_layer(KEY, M_IN, 256, D, dtype=XS.dtype)
    theta0 = kernels.empirical_ntk_two_layer(params0, XS, XS)
    own = infinite_width.kernel_model_gap(run, XS, "barlow_twins", 0.05, kernel=theta0)
    limit = infinite_width.kernel_model_gap(run, XS, "barlow_twins", 0.05)
    assert own.shape == limit.shape == (3,) and own[0] == limit[0] == 0
    assert own[-1] < limit[-1]
    with pytest.raises(ValueError, match=r"kernel must have shape \(8, 8\) or \(8, 8, 2, 2\)"):
        infinite_width.kernel_model_gap(run, XS, "barlow_twins", 0.05, kernel=np.eye(4))


def test_width_sweep_shapes():
    widths = [16, 32]
    out = infinite_width.width_sweep(KEY, X, X_PRIME, widths, D, "barlow_twins", 0.05, 10, repeats=2,
                                     record_every=5)
    assert out.kernel_gap is None and out.kernel_loss is None
    np.testing.assert_allclose(out.t, [0.0, 0.25, 0.5], rtol=1e-15)
    for name in ("loss", "ntk_change", "param_change", "flip_fraction"):
        values = getattr(out, name)
        assert values.shape == (2, 2, 3) and np.all(np.isfinite(values))
        assert out.at(name, 0.25).shape == (2, 2)
        np.testing.assert_array_equal(out[name], values[:, :, -1])
    assert np.all(out.ntk_change[:, :, 1:] > 0) and np.all(out.param_change[:, :, 1:] > 0)
    with pytest.raises(ValueError, match=r"this sweep did not measure kernel_gap"):
        out.at("kernel_gap")
    with pytest.raises(ValueError, match=r"t must be one of the recorded times \[0.0, 0.25, 0.5\], got 0.3"):
        out.at("loss", 0.3)
    out = infinite_width.width_sweep(KEY, X, X_PRIME, widths, D, "supervised", 0.05, 10, targets=TARGETS,
                                     with_kernel_model=True)
    assert out.kernel_gap.shape == out.kernel_gap_theta0.shape == out.kernel_loss.shape == (2, 1, 2)
    # deterministic for a key
    again = infinite_width.width_sweep(KEY, X, X_PRIME, widths, D, "supervised", 0.05, 10, targets=TARGETS,
                                       with_kernel_model=True)
    for name in ("loss", "ntk_change", "param_change", "flip_fraction", "kernel_gap", "kernel_gap_theta0"):
        np.testing.assert_array_equal(getattr(out, name), getattr(again, name))


def test_sweep_is_its_runs():
    # entry (i, j) of a sweep is the run of network split(fold_in(key, width), repeats)[j], with its kernel models
    sweep = infinite_width.width_sweep(KEY, X, X_PRIME, [16, 32], D, "barlow_twins", 0.05, 10, repeats=2,
                                       with_kernel_model=True, record_every=5)
    k = jax.random.split(jax.random.fold_in(KEY, 32), 2)[1]
    run = infinite_width.train_two_layer(k, XS, 32, D, "barlow_twins", 0.05, 10, record_every=5)
    np.testing.assert_allclose(sweep.ntk_change[1, 1], run.ntk_change_trace, rtol=RTOL)
    np.testing.assert_allclose(sweep.flip_fraction[1, 1], run.flip_fraction_trace, rtol=RTOL)
    np.testing.assert_allclose(sweep.kernel_gap[1, 1], infinite_width.kernel_model_gap(run, XS, "barlow_twins", 0.05),
                               rtol=1e-8)
    theta0 = kernels.empirical_ntk_two_layer(models.init_two_layer(k, M_IN, 32, D, dtype=XS.dtype), XS, XS)
    np.testing.assert_allclose(sweep.kernel_gap_theta0[1, 1],
                               infinite_width.kernel_model_gap(run, XS, "barlow_twins", 0.05, kernel=theta0), rtol=1e-8)
    np.testing.assert_allclose(sweep.loss_ratio(), sweep.loss[:, :, -1] / sweep.loss[:, :, 0], rtol=1e-15)


@pytest.mark.parametrize("call,exc,pattern", [
    (lambda: infinite_width.make_loss("byol", 4), ValueError, r"loss must be one of"),
    (lambda: infinite_width.make_loss("supervised", 4), ValueError, r"targets are required for loss='supervised'"),
    (lambda: infinite_width.make_loss("supervised", 4, TARGETS[:5]), ValueError,
     r"targets must have 2 \* n_pairs = 8 rows"),
    (lambda: infinite_width.make_loss("supervised", 4, TARGETS[:, 0]), ValueError, r"targets must be a 2-D array"),
    (lambda: infinite_width.make_loss("barlow_twins", 1), ValueError, r"n_pairs must be at least 2"),
    (lambda: infinite_width.ntk_init_errors(KEY, XS, [16], D), ValueError, r"widths must hold at least 2 widths"),
    (lambda: infinite_width.ntk_init_errors(KEY, XS, [16, 0], D), ValueError, r"widths\[1\] must be at least 1"),
    (lambda: infinite_width.ntk_init_errors(KEY, XS, [16, 32], D, repeats=0), ValueError,
     r"repeats must be at least 1"),
    (lambda: infinite_width.train_two_layer(KEY, XS[:7], 16, D, "barlow_twins", 0.1, 10), ValueError,
     r"x_stacked must hold 2n stacked views"),
    (lambda: infinite_width.train_two_layer(KEY, XS, 16, D, "barlow_twins", -0.1, 10), ValueError,
     r"lr must be a finite number > 0"),
    (lambda: infinite_width.train_two_layer(KEY, XS, 16, D, "barlow_twins", 0.1, 10, "tanh"), ValueError,
     r"activation must be one of"),
    (lambda: infinite_width.width_sweep(KEY, X, X_PRIME[:3], [8, 16], D, "barlow_twins", 0.1, 10), ValueError,
     r"x and x_prime must have the same shape"),
    (lambda: infinite_width.width_sweep(KEY, X, X_PRIME, [8, 16], D, "barlow_twins", 0.1, 0), ValueError,
     r"steps must be at least 1"),
    (lambda: infinite_width.train_two_layer(KEY, XS, 16, D, "barlow_twins", 0.1, 10, record_every=3), ValueError,
     r"steps \(10\) must be a multiple of record_every \(3\)"),
    (lambda: infinite_width.kernel_row(KEY, XS, 0), ValueError, r"width must be at least 1"),
    (lambda: infinite_width.kernel_row(KEY, XS, 16, d=0), ValueError, r"d must be at least 1"),
    (lambda: infinite_width.mean_slope([16, 32], np.ones((3, 2))), ValueError, r"values must have one row per width"),
    (lambda: infinite_width.kernel_stays_put(KEY, (X, X_PRIME), [16, 32], D, 0.05, 4, 10), ValueError,
     r"steps \(10\) must be a multiple of early_steps \(4\)"),
    (lambda: infinite_width.kernel_stays_put(KEY, (X, X_PRIME), [16, 32], D, 0.05, 4, 4), ValueError,
     r"steps must be at least 8"),
    (lambda: infinite_width.make_loss("info_nce_dot", 4), None, None),
])
def test_bad_inputs(call, exc, pattern):
    if exc is None:  # a valid call, listed beside the invalid ones it borders
        call()
        return
    with pytest.raises(exc, match=pattern):
        call()


def test_make_loss_values():
    f = jax.random.normal(KEY, (2 * N_PAIRS, D))
    np.testing.assert_allclose(infinite_width.make_loss("supervised", N_PAIRS, TARGETS)(f),
                               losses.squared_error(f, TARGETS), rtol=RTOL)
    np.testing.assert_allclose(infinite_width.make_loss("info_nce", N_PAIRS)(f),
                               losses.info_nce(f[:N_PAIRS], f[N_PAIRS:]), rtol=RTOL)
    np.testing.assert_allclose(infinite_width.make_loss("info_nce_dot", N_PAIRS)(f),
                               losses.info_nce(f[:N_PAIRS], f[N_PAIRS:], similarity="dot"), rtol=RTOL)


def test_make_loss_accepts_every_registry_name():
    f = jax.random.normal(KEY, (2 * N_PAIRS, D))
    for name, pair_loss in losses.SSL_LOSSES.items():
        np.testing.assert_allclose(infinite_width.make_loss(name, N_PAIRS)(f), pair_loss(f[:N_PAIRS], f[N_PAIRS:]),
                                   rtol=RTOL)


def test_chapter_widths():
    full = infinite_width.chapter_widths(False, 9, 8, 3)
    assert full.init == [64, 128, 256, 512] and full.train == [64, 128, 256] and full.other == [64, 256]
    assert full.other_repeats == 3
    quick = infinite_width.chapter_widths(True, 16, 12, 3)
    assert quick.init[-1] == 2 ** 12 and quick.train[-1] == 2 ** 10
    assert quick.other == [64, 256] and quick.other_repeats == 1 and quick.erf == [64, 256, 1024]
    # the comparisons stop at OTHER_MAX_WIDTH whatever the training widths
    assert max(infinite_width.chapter_widths(False, 16, 14, 1).other) == infinite_width.OTHER_MAX_WIDTH
    with pytest.raises(TypeError, match=r"quick must be True or False"):
        infinite_width.chapter_widths("yes", 9, 8, 1)


def test_mean_slope_and_sweep_views():
    widths = [16, 64, 256]
    values = np.outer(np.array(widths, float) ** -0.5, [1.0, 3.0])
    assert infinite_width.mean_slope(widths, values) == pytest.approx(-0.5, rel=1e-12)
    t = np.array([0.0, 1.0])
    traces = np.stack([np.ones_like(values), values], axis=-1)
    sweep = infinite_width.Sweep(widths=widths, t=t, loss=traces, ntk_change=traces, param_change=traces,
                                 flip_fraction=traces)
    assert sweep.slope("ntk_change") == pytest.approx(-0.5, rel=1e-12)
    interval = sweep.slope_interval("ntk_change", 1.0)
    assert interval.slope == pytest.approx(-0.5, rel=1e-12) and interval.low <= -0.5 <= interval.high
    sub = sweep.restricted([16, 256])
    np.testing.assert_array_equal(sub.ntk_change, traces[[0, 2]])
    assert sub.widths == [16, 256] and sub.kernel_gap is None
    with pytest.raises(ValueError, match=r"subset must be among the swept widths"):
        sweep.restricted([32])
    with pytest.raises(ValueError, match=r"name must be one of"):
        sweep.at("kernel")


def test_experiments_are_their_sweeps():
    exp = infinite_width.kernel_stays_put(KEY, (X, X_PRIME), [16, 32], D, 0.05, 5, 10, repeats=2)
    digits = infinite_width.width_sweep(KEY, X, X_PRIME, [16, 32], D, "barlow_twins", 0.05, 10, repeats=2,
                                        with_kernel_model=True, record_every=5)
    for name in ("ntk_change", "param_change", "flip_fraction", "kernel_gap", "kernel_gap_theta0", "kernel_loss"):
        np.testing.assert_array_equal(getattr(exp.sweep, name), getattr(digits, name))
    assert exp.early_time == pytest.approx(0.25) and exp.converged_time == pytest.approx(0.5)
    assert exp.slope("ntk_change", early=True) == infinite_width.mean_slope([16, 32], digits.ntk_change[:, :, 1])
    assert exp.worst_loss_ratio == pytest.approx(np.max(digits.loss[:, :, -1] / digits.loss[:, :, 0]), rel=1e-14)
    assert exp.converged == (exp.worst_loss_ratio <= infinite_width.CONVERGED_LOSS_RATIO)
    comparison = infinite_width.compare_losses(KEY, (X, X_PRIME), {"sq": "supervised", "nce": "info_nce",
                                                                   "dot": "info_nce_dot"}, [16, 32],
                                               D, 0.05, 5, 10, targets=TARGETS)
    assert comparison.sweeps["sq"].kernel_gap is not None and comparison.sweeps["nce"].kernel_gap is None
    # the losses share their networks (drawn and their initial NTK computed once): each is still its own sweep
    nce = infinite_width.width_sweep(KEY, X, X_PRIME, [16, 32], D, "info_nce", 0.05, 10, record_every=5)
    dot = infinite_width.width_sweep(KEY, X, X_PRIME, [16, 32], D, "info_nce_dot", 0.05, 10, record_every=5)
    np.testing.assert_array_equal(comparison.sweeps["nce"].ntk_change, nce.ntk_change)
    assert comparison.slopes(early=True)["nce"] == nce.slope("ntk_change", 0.25)
    np.testing.assert_allclose(comparison.ntk_change_ratio("dot", "nce"),
                               dot["ntk_change"].mean(axis=1) / nce["ntk_change"].mean(axis=1), rtol=1e-14)
    with pytest.raises(TypeError, match=r"pairs must be the two views"):
        infinite_width.kernel_stays_put(KEY, X, [16, 32], D, 0.05, 5, 10)
    with pytest.raises(ValueError, match=r"targets are required for loss='supervised'"):
        infinite_width.compare_losses(KEY, (X, X_PRIME), {"sq": "supervised"}, [16, 32], D, 0.05, 5, 10)


def test_ntk_init_errors_shape_and_value():
    errors = infinite_width.ntk_init_errors(KEY, XS, [16, 64, 256], D, "erf", 0.2, repeats=3)
    assert errors.shape == (3, 3) and np.all(errors > 0)
    # entry (i, j) is the error of the net drawn from fold_in(key, width) split into `repeats` keys
    k = jax.random.split(jax.random.fold_in(KEY, 64), 3)[2]
    params = models.init_two_layer(k, M_IN, 64, D, dtype=XS.dtype)
    theta = kernels.empirical_ntk_two_layer(params, XS, XS, "erf", 0.2)
    reference = kernels.kron_identity(kernels.closed_form_ntk(XS, XS, "erf", 0.2), D)
    assert errors[1, 2] == pytest.approx(linalg.relative_frobenius_error(theta, reference), rel=RTOL)


def test_analytic_ntk_rows_match_the_closed_form():
    x = jax.random.normal(jax.random.PRNGKey(3), (6, 5))
    rows = infinite_width.analytic_ntk_rows(x, [0.0, 0.5], anchor=2)
    assert set(rows) == {(act, b) for act in models.ACTIVATIONS for b in (0.0, 0.5)}
    for (act, b), row in rows.items():
        np.testing.assert_allclose(row, kernels.closed_form_ntk(x[2:3], x, act, b)[0], rtol=1e-8, atol=1e-12)
    with pytest.raises(ValueError, match=r"biases\[1\]"):
        infinite_width.analytic_ntk_rows(x, [0.0, -1.0])
    with pytest.raises(ValueError, match="anchor"):
        infinite_width.analytic_ntk_rows(x, [0.0], anchor=6)
