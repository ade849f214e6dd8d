"""Claims of book/infinite_width.ipynb (issues: foundation and first chapter; issue 12, chapter-1 items).

Each band says where it comes from: the mathematics, or the spread of the measurement over seeds (quick mode,
seeds 0, 1, 2, and seed 0 at the defaults; sd = sample standard deviation over the three quick seeds).
"""


def check(g):
    # theorem: the fluctuation at initialisation is O(M^-1/2); the band [-0.65, -0.35] is the sampling noise of a
    # fit over widths 2^6..2^12 with 5 draws each, as the first issue specifies
    assert -0.65 <= g["ntk_init_error_slope"] <= -0.35, g["ntk_init_error_slope"]

    # convergence criterion (stated in the chapter): every run's loss below CONVERGED_LOSS_RATIO of its start;
    # measured worst ratios 7.5e-6, 3.9e-5, 1.7e-5 (quick seeds 0, 1, 2), 7.5e-6 (defaults)
    assert g["converged_all"] is True, g["loss_ratio_worst"]
    assert g["loss_ratio_worst"] <= g["converged_loss_ratio"], g["loss_ratio_worst"]

    # heuristic (ii), early horizon: slope -3/4 (ReLU). Seeds 0, 1, 2 quick: -0.81, -0.92, -0.95 (sd 0.075),
    # defaults -0.79; band = 3 sd around the prediction
    assert abs(g["ntk_change_slope_early"] - g["ntk_change_slope_predicted"]) <= 0.225, g["ntk_change_slope_early"]
    # heuristic (i), the mechanism: sign changes fall like M^-1/2. Seeds 0, 1, 2 quick: -0.517, -0.538, -0.554
    # (sd 0.019), defaults -0.515; band 0.1 = 3 sd + the offset of their mean from -1/2 (0.036)
    assert abs(g["unit_flip_fraction_slope"] - g["unit_flip_fraction_slope_predicted"]) <= 0.1, \
        g["unit_flip_fraction_slope"]
    # heuristic (ii) for erf: slope -1. Seeds 0, 1, 2 quick: -0.96, -1.02, -1.01 (sd 0.03), defaults -1.02;
    # band 0.1 = 3 sd
    assert abs(g["ntk_change_slope_erf_early"] - g["ntk_change_slope_predicted_erf"]) <= 0.1, \
        g["ntk_change_slope_erf_early"]
    # heuristic (iii), converged horizon: the window [-1, -3/4], widened by 0.1 on each side, one sd of the fitted
    # slope over seeds (quick seeds 0, 1, 2: -0.79, -0.85, -0.97, sd 0.09; defaults -0.84)
    low, high = g["ntk_change_slope_window"]
    assert low - 0.1 <= g["ntk_change_slope"] <= high + 0.1, g["ntk_change_slope"]

    # the displacement is of order one whatever the width: log-log slope near 0. Quick seeds 0, 1, 2: 0.093,
    # 0.089, 0.036 (sd 0.032), defaults 0.060; band 0.2 = |mean| 0.073 + 3 sd (0.096), rounded up
    assert abs(g["param_change_slope"]) <= 0.2, g["param_change_slope"]

    # experiment 4: with K_inf the gap's slope is -1/2 (Theta_0 - K_inf). Quick seeds 0, 1, 2: -0.36, -0.47, -0.53
    # (sd 0.09), defaults -0.41; band = 3 sd around the prediction
    assert abs(g["kernel_model_gap_slope"] - g["kernel_model_gap_slope_predicted"]) <= 0.27, \
        g["kernel_model_gap_slope"]
    # with Theta_0 only the kernel's motion is left: steeper (by 0.17 to 0.24 at every seed measured)
    assert g["kernel_model_gap_slope_theta0"] < g["kernel_model_gap_slope"], \
        (g["kernel_model_gap_slope_theta0"], g["kernel_model_gap_slope"])

    # Anil et al.'s dichotomy at the converged horizon: the dot-product InfoNCE moves the kernel more than the
    # cosine one at every width (measured ratios 1.5 to 6.1 over quick seeds 0, 1, 2 and the defaults)
    assert g["ntk_change_ratio_dot_over_cosine_min"] > 1, g["ntk_change_ratio_dot_over_cosine"]

    # the structured kernel is the same function as neural_tangents' (float64 round-off)
    assert g["structured_vs_nt_error"] <= 1e-6, g["structured_vs_nt_error"]
    # closed forms vs neural_tangents.stax (nt's arc-cosine uses a clipped arccos: ~1e-10 differences)
    assert g["closed_form_vs_stax_error"] <= 1e-6, g["closed_form_vs_stax_error"]
    for name in ("ntk_change_slope_supervised", "ntk_change_slope_bt_practical", "ntk_change_slope_spectral",
                 "ntk_change_slope_infonce", "ntk_change_slope_infonce_dot", "kernel_model_gap_slope_supervised",
                 "ntk_change_slope_erf", "unit_flip_fraction_slope_converged"):
        assert isinstance(g[name], float), name  # reported whatever they show
    # the synthetic-pairs and bias sweeps run at the defaults only (quick mode: the time budget); the chapter says so
    for name in ("ntk_change_slope_synthetic", "ntk_change_slope_bias_early"):
        assert (name in g) is g["side_sweeps_run"], name
        assert not g["side_sweeps_run"] or isinstance(g[name], float), name  # reported whatever they show


# Negative controls (tests/test_negative_controls.py): predictions of a wrong theory; each must fail check(). Not
# among them: ReLU's early kernel-change slope predicted -1 instead of -3/4 passes the band at seed 0 (-0.81 is 0.19
# from -1, band 0.225): that band alone cannot tell the two apart; the sign-flip mechanism's does (first control).
NEGATIVE_CONTROLS = {
    # sign flips proportional to 1/M (as if every unit's change were O(1/sqrt M) coherent) instead of M^-1/2
    "flip fraction M^-1": lambda g: {**g, "unit_flip_fraction_slope_predicted": -1.0},
    # the kernel model with K_inf closing its gap like 1/M instead of M^-1/2
    "K_inf gap M^-1": lambda g: {**g, "kernel_model_gap_slope_predicted": -1.0},
    # erf given ReLU's -3/4 (the sign symmetry of a smooth activation ignored)
    "erf at the ReLU rate": lambda g: {**g, "ntk_change_slope_predicted_erf": -0.75},
}
