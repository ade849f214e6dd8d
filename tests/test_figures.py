"""Figure builders of :mod:`kernel_ssl.figures` used by the stepwise chapter: the staircase figure (alone and with two
precomputed sliders) has the traces and controls it promises."""
import jax
import numpy as np
import pytest

from kernel_ssl import figures, stepwise

jax.config.update("jax_enable_x64", True)


def test_staircase_slider_combines_two_sliders():
    t = np.linspace(0.01, 10, 50)
    panels = {}
    for a in ("1e-2", "1e-4"):
        for b in ("0.5", "0.7"):
            e = np.column_stack([np.full(50, float(b)), np.full(50, float(a))])
            panels[(a, b)] = dict(t=t, loss=np.full(50, 1.0), eigenvalues=e, predicted_loss=np.full(50, 1.0),
                                  predicted_eigenvalues=e)
    fig = figures.staircase_slider(panels, "alpha", "gap", "test", active=(1, 0))
    assert len(fig.layout.sliders) == 2
    n_per_group = 2 + 2 * 2
    assert len(fig.data) == 2 * n_per_group
    visible = [bool(tr.visible) for tr in fig.data]
    assert visible == [False] * n_per_group + [True] * n_per_group
    # the second slider's step "0.7" sets the data of every group to its gap-0.7 panel
    ys = fig.layout.sliders[1].steps[1].args[0]["y"]
    assert np.allclose(ys[2], 0.7) and np.allclose(ys[n_per_group + 4], 1e-4)
    with pytest.raises(ValueError, match="every combination"):
        figures.staircase_slider({k: v for k, v in list(panels.items())[:3]}, "a", "b", "t")


def test_live_figure_of_the_closed_form():
    fig = figures.staircase_figure(**stepwise.closed_form_curves(-6, 4, 0.6), title="closed form")
    assert len(fig.data) == 1 + 4                      # the loss and four eigenvalues, all dashed
    assert all(tr.line.dash == figures.THEORY_DASH for tr in fig.data)
    assert len(fig.layout.shapes) == 2 * 4             # one dotted step time per mode in each panel


def test_staircase_figure_measured_solid_theory_dashed():
    gammas, c0 = np.array([1.0, 0.5]), np.full(2, 1e-6)
    t = np.geomspace(0.1, 40, 200)
    c = stepwise.logistic_eigenvalues(t, gammas, c0)
    panel = stepwise.staircase_panel(stepwise.compare(t, c, stepwise.staircase_loss(c), gammas, c0), 50)
    fig = figures.staircase_figure(**panel, title="x", t_min=0.5)
    dashes = [tr.line.dash for tr in fig.data]
    assert dashes.count(figures.THEORY_DASH) == 3 and len(dashes) == 6
    with pytest.raises(ValueError, match="t_min"):
        figures.staircase_figure(**panel, t_min=-1.0)


def test_the_package_exports_every_builder():
    """A chapter writes figures.<builder>: every public function of every figures module is exported."""
    import importlib
    import inspect
    import pkgutil

    missing = []
    for info in pkgutil.iter_modules(figures.__path__):
        module = importlib.import_module(f"kernel_ssl.figures.{info.name}")
        for name, obj in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and obj.__module__ == module.__name__ and name not in figures.__all__:
                missing.append(f"{info.name}.{name}")
    assert not missing, f"not exported by kernel_ssl.figures: {missing}"
    assert all(hasattr(figures, name) for name in figures.__all__)
