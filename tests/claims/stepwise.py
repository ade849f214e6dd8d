"""Claims of book/stepwise.ipynb (the stepwise nature of self-supervised learning).

Where each tolerance comes from:
- Round-off checks (loss from the pairs vs from Gamma, gradient vs autodiff, kernel vs feature spectra and
  closed forms, simulation vs the exact gradient-descent map, the RKHS eigenproblem): float64 round-off, 1e-8.
- Step times, draw-specific (every mode, synthetic and digits): the prediction is the gradient-flow solution and
  gradient descent lags it by 2 lr gamma_j (1 + O(lr gamma_j)) <= gd_delay = 2 lr_scale (derived in the chapter);
  the band is 1.1 gd_delay. Measured 0.0179, 0.0180 at seeds 0, 1 quick and 0.0181 at seed 0 defaults (the
  spread over seeds is below 1e-3). The same lag sets the band of the kernel models (experiment 3, and depths 3
  and 4), measured 0.0183 to 0.0185 at every seed. The fitted slopes against ln(1/alpha^2): measured 0.020, 0.021
  (seeds 0, 1 quick), band 1.5 gd_delay.
- Step times averaged over the draws: per mode, |digamma form - mean| <= 3 standard errors of the mean (computed
  from the draws in the chapter) + the largest draw-specific error (the lag above, which the flow prediction does
  not include). The biased d alpha^2 gamma_j form is the negative control: it must fall outside that band.
- Loss plateaus: between separated steps the loss is d - j up to (1 - c_j)^2 + 2 c_(j+1), exponentially small in
  the step separation (eigengap 0.6 and alpha = 1e-6 give about 1e-2); 0.05. The end of every run is at least
  8 time constants 1/(8 gamma_d) past the last step, so the eigenvalues of C are within e^-8 of 1; 0.02.
- Staircases: the number of resolved steps (stepwise.count_steps) of each kernel run must equal the count on its
  predicted curve (exact).
- Final representation: the leftover of the modes beyond d is O(alpha^(1 - gamma_(d+1)/gamma_d)); the learned
  kernel is off by it to first order and the subspace overlap (a mean of squared sines) to second order, so
  1 - overlap <= (kernel difference)^2 (measured ratio 0.15). The fitted exponents must match
  1 - gamma_(d+1)/gamma_d to 20% (the fit uses the four smallest alphas). The rotation O -> Q as alpha -> 0:
  measured |O - Q|_F at the smallest alpha 8.5e-4 (seed 0 quick, alpha = 1e-11), 1.6e-4 (seed 1 quick), 3.6e-4
  (seed 0 defaults, alpha = 1e-12), fitted exponents 0.31, 0.38, 0.31; band: below 1e-2 (ten times the largest
  measured) and an exponent of at least 0.1 (it vanishes as a power of alpha).
- Finite width: the slope of 1 - overlap against the width, fitted on every initialisation at widths >= the number
  of views, has a 95% interval that must contain the predicted -1 (measured intervals [-2.30, -0.34], [-2.97, 1.25]
  at seeds 0, 1 quick (2 initialisations), [-1.52, 0.35] at seed 0 defaults (3): wide, which the chapter says).
- Scale invariance (experiment 5): the identity is exact without the cosine's eps = 1e-12; eps perturbs each
  normalised output by at most eps / |z|^2 per step, so the outputs may differ by steps * eps / min |z|^2 (the
  published bound), and the loss (at most ln(2n - 1) < 10) by 10 times that. The small run's hidden layer takes
  steps s^2 = 1e-4 times those of an s = 1 run, whose hidden layer moves by less than its norm: below 1e-4.
- Discretisation: the deviation from the flow solution is O(lr); a 4 times smaller step must reduce it at least
  2 times (4 times expected).
"""
import math


def check(g):
    # round-off identities
    for name in ("gamma_check_error", "gradient_check_error", "kernel_linear_spectrum_error",
                 "kernel_linear_closed_form_error", "aligned_max_error_gd", "rkhs_eigenproblem_residual"):
        assert g[name] <= 1e-8, (name, g[name])
    assert g["aligned_max_error_fine"] <= g["aligned_max_error"] / 2, (g["aligned_max_error"],
                                                                       g["aligned_max_error_fine"])
    # Schoelkopf's kernel PCA of the contrastive kernel is a different eigenproblem (K is not proportional to I)
    # (measured 0.63 at seed 0 quick; 1e-3 is far above round-off and far below what was measured)
    assert g["kernel_pca_difference"] >= 1e-3, g["kernel_pca_difference"]
    # step times: draw-specific, every mode
    lag = g["gd_delay"]
    assert g["step_times_max_rel_error"] <= 1.1 * lag, (g["step_times_max_rel_error"], lag)
    assert g["kernel_step_times_max_rel_error"] <= 1.1 * lag, g["kernel_step_times_max_rel_error"]
    assert g["depth_step_times_max_rel_error"] <= 1.1 * lag, g["depth_step_times_max_rel_error"]
    assert g["alpha_slope_rel_error"] <= 1.5 * lag, g["alpha_slope_rel_error"]
    # step times averaged over the draws: the digamma form inside its band, the biased form outside
    band = g["step_times_expected_band"]
    for j, (err, b) in enumerate(zip(g["step_times_expected_rel_errors"], band, strict=True)):
        assert abs(err) <= b, (j, err, b)
    assert g["draws_value"] >= 20, g["draws_value"]
    assert g["step_times_biased_max_rel_error"] > max(band), (g["step_times_biased_max_rel_error"], band)
    # the staircase d, d-1, ..., 0
    d = g["synthetic_dim"]
    plateaus = g["loss_plateaus"]
    assert len(plateaus) == d + 1, plateaus
    for level, value in zip(range(d, -1, -1), plateaus, strict=True):
        assert abs(value - level) <= 0.05, plateaus
    assert g["final_eigs_max_dev"] <= 0.02, g["final_eigs_max_dev"]
    # kernel staircases: as many resolved steps as the prediction has
    assert g["kernel_staircase_steps"] == g["kernel_staircase_steps_predicted"], (
        g["kernel_staircase_steps"], g["kernel_staircase_steps_predicted"])
    assert list(g["depth_staircase_steps"]) == list(g["depth_staircase_steps_predicted"]), (
        g["depth_staircase_steps"], g["depth_staircase_steps_predicted"])
    # the closed form as the small-alpha limit, and the predicted rotation
    assert 1 - g["subspace_overlap"] <= g["kernel_difference_clear_smallest_alpha"] ** 2, (
        g["subspace_overlap"], g["kernel_difference_clear_smallest_alpha"])
    for tag in ("clear", "small"):
        predicted, measured = g[f"final_slope_{tag}_predicted"], g[f"final_slope_{tag}"]
        assert abs(measured - predicted) <= 0.2 * predicted, (tag, measured, predicted)
    assert g["kernel_difference_small_smallest_alpha"] < g["kernel_difference_small_largest_alpha"]
    assert g["rotation_error"] <= 1e-2, g["rotation_error"]
    assert g["rotation_slope"] >= 0.1, g["rotation_slope"]
    # finite width: the fitted slope's interval holds the predicted -1
    low, high = g["network_overlap_slope_low"], g["network_overlap_slope_high"]
    assert low <= g["network_overlap_slope_predicted"] <= high, (low, g["network_overlap_slope"], high)
    assert min(g["network_fitted_widths"]) >= g["network_views"], (g["network_fitted_widths"], g["network_views"])
    # scale-invariant losses: the proposition, checked
    bound = g["scale_invariance_epsilon_bound"]
    assert g["scale_invariance_output_difference"] <= bound, (g["scale_invariance_output_difference"], bound)
    assert g["scale_invariance_loss_difference"] <= 10 * bound, (g["scale_invariance_loss_difference"], bound)
    assert g["small_readout_hidden_change"] <= 1e-4, g["small_readout_hidden_change"]
    # reported, whatever they show (finite-width networks, other losses, probes): each finite and in the range its
    # definition gives, so a broken run cannot pass as a result
    assert 0.0 <= g["network_overlap_max_width"] <= 1.0 + 1e-12, g["network_overlap_max_width"]  # an overlap
    assert math.isfinite(g["network_overlap_slope"]), g["network_overlap_slope"]
    assert g["vicreg_second_growth"] > 0 and math.isfinite(g["vicreg_second_growth"]), g["vicreg_second_growth"]
    # ratio of the second covariance eigenvalue to the first (ordered, PSD)
    assert 0.0 <= g["vicreg_second_to_top"] <= 1.0 + 1e-12, g["vicreg_second_to_top"]
    assert g["kernel_model_kernel_difference"] >= 0 and math.isfinite(g["kernel_model_kernel_difference"])
    # ten digit classes: a probe that learned anything beats chance (0.1); measured 0.32 and 0.56 to 0.66
    for name in ("probe_accuracy_final", "probe_accuracy_base_kernel"):
        assert 0.1 < g[name] <= 1.0, (name, g[name])
    for name in ("other_steps_barlow_twins", "other_steps_practical", "other_steps_vicreg", "other_steps_cosine",
                 "other_steps_dot"):
        assert isinstance(g[name], int) and g[name] >= 0, name



# Negative controls (tests/test_negative_controls.py): numbers as a wrong theory would have them; each must fail
# check(), which shows the bands above can tell the book's predictions from these alternatives.
NEGATIVE_CONTROLS = {
    # the biased random-start form c_j(0) ~ d alpha^2 gamma_j in place of the digamma form, every mode
    "biased random start": lambda g: {
        **g, "step_times_expected_rel_errors": [g["step_times_biased_max_rel_error"]] * len(
            g["step_times_expected_rel_errors"])},
    # an aligned step time of ln(1/alpha^2)/(4 gamma) instead of /(8 gamma): predicted times twice the measured
    "step time 1/(4 gamma)": lambda g: {**g, "step_times_max_rel_error": 0.5},
    # one more step than there are resolved modes
    "staircase with an extra step": lambda g: {
        **g, "kernel_staircase_steps_predicted": g["kernel_staircase_steps_predicted"] + 1},
}
