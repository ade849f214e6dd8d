r"""Measurements of the infinite-width limit (chapter *Infinite width*): how far the NTK is from its limit at
initialisation, how much it moves during training, and how far the network is from its kernel model.

Training is full-batch gradient descent on the parameters :math:`\theta = (V, b, W)`, and the kernel model is kernel
gradient descent :math:`F\leftarrow F-\eta K_\infty\nabla_F\mathcal L(F)` with the analytic NTK, both run by
:func:`kernel_ssl.dynamics.descend` with the same step size ``lr`` and number of steps. Losses are named as in
:data:`kernel_ssl.losses.SSL_LOSSES`, plus ``"supervised"`` (squared error against targets).

All functions are deterministic given their PRNG key. Public functions check their arguments once; the private
cores (``_name``) assume checked input.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special

from . import dynamics, fitting, kernels, linalg, losses, models
from .validation import (
    as_finite_array,
    check_bool,
    check_choice,
    check_key,
    check_positive_float,
    check_positive_int,
    check_same_shape,
    check_stacked_views,
)

SUPERVISED = "supervised"


def release_memory() -> None:
    """Return freed heap memory to the operating system (glibc; a no-op elsewhere).

    A sweep over widths allocates and frees arrays of a different size at every width; glibc keeps the
    freed blocks and the process grows by hundreds of MB although little is live. JAX's compiled programs are
    kept: the training sweeps reuse the kernel and initialisation programs of the initialisation sweep
    (dropping them cost about 1.5 s of recompilation at the chapter's defaults and saved 30 MB of peak memory,
    measured).
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# ------------------------------------------------------------------------------------------------- checks
def _check_widths(widths: Sequence[int]) -> list[int]:
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least 2 widths, got {list(widths)}")
    return [check_positive_int(f"widths[{i}]", w) for i, w in enumerate(widths)]


def _check_network(activation: str, bias_std: float) -> float:
    check_choice("activation", activation, models.ACTIVATIONS)
    return check_positive_float("bias_std", bias_std, allow_zero=True)


def _check_loss(loss: str, n_pairs: int, targets: jnp.ndarray | None) -> jnp.ndarray | None:
    """Check the loss name and, for ``"supervised"``, its targets (one row per stacked view); returns them."""
    check_choice("loss", loss, (*losses.SSL_LOSSES, SUPERVISED))
    check_positive_int("n_pairs", n_pairs, minimum=2)
    if loss != SUPERVISED:
        return None
    if targets is None:
        raise ValueError("targets are required for loss='supervised'")
    t = as_finite_array("targets", targets, ndim=2)
    if t.shape[0] != 2 * n_pairs:
        raise ValueError(f"targets must have 2 * n_pairs = {2 * n_pairs} rows (one per stacked view), "
                         f"got shape {t.shape}")
    return jnp.asarray(targets)


def _stack_pairs(name: str, x: jnp.ndarray, name_prime: str, x_prime: jnp.ndarray) -> jnp.ndarray:
    """The stacked views ``[x; x_prime]`` after checking the two views of the pairs."""
    as_finite_array(name, x, ndim=2)
    as_finite_array(name_prime, x_prime, ndim=2)
    check_same_shape(name, x, name_prime, x_prime)
    return jnp.concatenate([jnp.asarray(x), jnp.asarray(x_prime)])


def _check_pairs(name: str, pairs: tuple) -> jnp.ndarray:
    if not isinstance(pairs, (tuple, list)) or len(pairs) != 2:
        raise TypeError(f"{name} must be the two views (x, x_prime) of the pairs")
    return _stack_pairs(f"{name}[0]", pairs[0], f"{name}[1]", pairs[1])


# ------------------------------------------------------------------------------------------------- losses
def make_loss(loss: str, n_pairs: int, targets: jnp.ndarray | None = None) -> Callable[[jnp.ndarray], jnp.ndarray]:
    r"""The loss :math:`\mathcal L(F)` of the stacked outputs :math:`F` (``(2n, d)``, the views :math:`x_i` then
    :math:`x_i'`, :math:`N = 2n`): an SSL loss of the two views, or the squared error
    :math:`\frac1N\lVert F - Y\rVert_F^2` against targets.

    Args:
        loss: a name in :data:`kernel_ssl.losses.SSL_LOSSES`, or ``"supervised"``.
        n_pairs: :math:`n\ge2`.
        targets: :math:`Y`, ``(2n, d)``, required for ``"supervised"``.

    Returns:
        ``loss(F) -> scalar``.
    """
    targets = _check_loss(loss, n_pairs, targets)
    of_outputs = _outputs_loss(loss)
    return lambda f: of_outputs(f, targets)


@cache
def _outputs_loss(loss: str) -> Callable[[jnp.ndarray, jnp.ndarray | None], jnp.ndarray]:
    """``loss(F, targets)``, one object per name: the compiled descent programs are cached by it."""
    if loss == SUPERVISED:
        return losses.squared_error
    return _ignoring_targets(losses.stacked(losses.get_ssl_loss(loss)))


@cache
def _ignoring_targets(stacked_loss: Callable[[jnp.ndarray], jnp.ndarray]) -> Callable[..., jnp.ndarray]:
    def loss(f, targets):
        return stacked_loss(f)
    return loss


@cache
def _network_loss(loss: str, activation: str, bias_std: float) -> Callable[..., jnp.ndarray]:
    """``loss(params, x_stacked, targets)`` of the two-layer net, one object per setting, so that repeated runs
    reuse the compiled program at each width."""
    of_outputs = _outputs_loss(loss)

    def network_loss(params, x_stacked, targets):
        return of_outputs(models._two_layer_apply(params, x_stacked, activation, bias_std), targets)
    return network_loss


# --------------------------------------------------------------------------------------------- measurements
def ntk_init_errors(key: jax.Array, x: jnp.ndarray, widths: Sequence[int], d: int, activation: str = "relu",
                    bias_std: float = 0.0, repeats: int = 1) -> np.ndarray:
    r"""Relative Frobenius error :math:`\lVert\Theta_0-K_\infty\otimes I_d\rVert_F/\lVert K_\infty\otimes I_d\rVert_F`
    at initialisation, for each width (rows) and independent initialisation (columns).

    Args:
        key: the PRNG key; width ``M`` draws its networks from ``split(fold_in(key, M), repeats)``.
        x: the inputs, ``(N, m)``.
        widths: at least two widths :math:`M`.
        d: the output dimension.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta`.
        repeats: initialisations per width.

    Returns:
        The errors, ``(len(widths), repeats)``.
    """
    check_key("key", key)
    as_finite_array("x", x, ndim=2)
    widths = _check_widths(widths)
    d = check_positive_int("d", d)
    bias_std = _check_network(activation, bias_std)
    repeats = check_positive_int("repeats", repeats)
    x = jnp.asarray(x)
    reference = kernels._kron_identity(kernels._closed_form_ntk(x, x, activation, bias_std), d)
    errors = np.empty((len(widths), repeats))
    for i, width in enumerate(widths):
        for j, k in enumerate(_width_keys(key, width, repeats)):
            params = models._init_two_layer(k, x.shape[1], width, d, x.dtype)
            theta = kernels._empirical_ntk_two_layer(params, x, x, activation, bias_std)
            errors[i, j] = linalg.relative_frobenius_error(theta, reference)
    release_memory()
    return errors


def _width_keys(key: jax.Array, width: int, repeats: int) -> jax.Array:
    """The keys of the ``repeats`` networks of width ``M``: ``split(fold_in(key, M), repeats)``."""
    return jax.random.split(jax.random.fold_in(key, width), repeats)


@dataclass(frozen=True)
class TrainingRun:
    """What one training run measured (all at the final effective time ``lr * steps``)."""
    width: int
    ntk_change: float          # ||Theta_T - Theta_0||_F / ||Theta_0||_F
    param_change: float        # ||theta_T - theta_0||_2
    loss_trace: np.ndarray     # the loss at steps 0, record_every, 2 record_every, ..., steps
    outputs0: np.ndarray       # network outputs on the stacked inputs at initialisation, (N, d)
    outputs: np.ndarray        # ... after training


def train_two_layer(key: jax.Array, x_stacked: jnp.ndarray, width: int, d: int, loss: str, lr: float, steps: int,
                    activation: str = "relu", bias_std: float = 0.0, targets: jnp.ndarray | None = None,
                    record_every: int = 10) -> TrainingRun:
    r"""Train the two-layer net with full-batch gradient descent
    :math:`\theta\leftarrow\theta-\eta\nabla_\theta\mathcal L` on the stacked views and measure the relative change
    of its empirical NTK and the parameter displacement.

    Args:
        key: the PRNG key of the initialisation (:func:`kernel_ssl.models.init_two_layer`).
        x_stacked: the stacked views :math:`\tilde X`, ``(2n, m)``.
        width: :math:`M`.
        d: the output dimension.
        loss: a name in :data:`kernel_ssl.losses.SSL_LOSSES`, or ``"supervised"``.
        lr: the step size :math:`\eta`.
        steps: the number of steps.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta`.
        targets: ``(2n, d)``, required for ``"supervised"``.
        record_every: the loss is recorded every this many steps (``steps`` a multiple of it).

    Returns:
        A :class:`TrainingRun`.
    """
    check_key("key", key)
    xs = check_stacked_views("x_stacked", x_stacked)
    width = check_positive_int("width", width)
    d = check_positive_int("d", d)
    bias_std = _check_network(activation, bias_std)
    targets = _check_loss(loss, xs.shape[0] // 2, targets)
    lr = check_positive_float("lr", lr)
    record_at = dynamics.record_steps(steps, every=record_every)  # checks steps and record_every
    xs = jnp.asarray(x_stacked)
    params0 = models._init_two_layer(key, xs.shape[1], width, d, xs.dtype)
    return _train_two_layer(params0, None, xs, loss, lr, record_at, activation, bias_std, targets)


def _train_two_layer(params0: models.Params, theta0: jnp.ndarray | None, xs: jnp.ndarray, loss: str, lr: float,
                     record_at: np.ndarray, activation: str, bias_std: float,
                     targets: jnp.ndarray | None) -> TrainingRun:
    """Train from ``params0``, whose empirical NTK is ``theta0`` (computed here when ``None``: a sweep over losses
    shares it)."""
    network_loss = _network_loss(loss, activation, bias_std)
    run = dynamics.descend(dynamics.gradient_step(network_loss), params0, lr, int(record_at[-1]),
                           args=(xs, targets), observe=dynamics.loss_observer(network_loss), record_at=record_at)
    params = {name: jnp.asarray(value) for name, value in run.final.items()}
    # the chunked NTK program has a fixed shape above 4096 units and is reused across widths
    if theta0 is None:
        theta0 = kernels._empirical_ntk_two_layer(params0, xs, xs, activation, bias_std)
    theta = kernels._empirical_ntk_two_layer(params, xs, xs, activation, bias_std)
    return TrainingRun(
        width=int(params0["V"].shape[0]),
        ntk_change=linalg.relative_frobenius_error(theta, theta0),
        param_change=models._parameter_distance(run.final, params0),
        loss_trace=np.asarray(run.records),
        outputs0=np.asarray(models._two_layer_apply(params0, xs, activation, bias_std)),
        outputs=np.asarray(models._two_layer_apply(params, xs, activation, bias_std)),
    )


def kernel_model_gap(run: TrainingRun, x_stacked: jnp.ndarray, loss: str, lr: float, steps: int,
                     activation: str = "relu", bias_std: float = 0.0, targets: jnp.ndarray | None = None,
                     k_inf: jnp.ndarray | None = None) -> float:
    r"""Gap between the trained network and its infinite-width kernel model.

    The kernel model starts from the network's own outputs at initialisation and follows kernel gradient
    descent :math:`F\leftarrow F-\eta K_\infty\nabla_F\mathcal L(F)` with the analytic NTK, same step size and number
    of steps. Returned: :math:`\lVert F_{\rm net}(T) - F_{\rm ker}(T)\rVert_F / \lVert F_{\rm net}(T) - F(0)\rVert_F`.

    Args:
        run: the network's run (:func:`train_two_layer`).
        x_stacked: the stacked views it was trained on, ``(2n, m)``.
        loss: the loss it was trained with.
        lr: its step size.
        steps: its number of steps.
        activation: its activation.
        bias_std: its bias scale.
        targets: ``(2n, d)``, required for ``"supervised"``.
        k_inf: :math:`K_\infty` on ``x_stacked`` (``(2n, 2n)``; default the closed form).

    Returns:
        The relative gap.
    """
    xs = check_stacked_views("x_stacked", x_stacked)
    bias_std = _check_network(activation, bias_std)
    targets = _check_loss(loss, xs.shape[0] // 2, targets)
    lr = check_positive_float("lr", lr)
    record_at = dynamics.record_steps(steps, every=steps)  # checks steps
    if k_inf is None:
        k_inf = kernels._closed_form_ntk(jnp.asarray(x_stacked), jnp.asarray(x_stacked), activation, bias_std)
    elif as_finite_array("k_inf", k_inf, ndim=2).shape != (xs.shape[0], xs.shape[0]):
        raise ValueError(f"k_inf must have shape ({xs.shape[0]}, {xs.shape[0]}), got {np.shape(k_inf)}")
    if np.shape(run.outputs0) != np.shape(run.outputs) or np.shape(run.outputs0)[0] != xs.shape[0]:
        raise ValueError(f"run must hold outputs on the {xs.shape[0]} stacked views, got {np.shape(run.outputs0)}")
    return _kernel_model_gap(run, loss, lr, record_at, targets, jnp.asarray(k_inf))


def _kernel_model_gap(run: TrainingRun, loss: str, lr: float, record_at: np.ndarray, targets: jnp.ndarray | None,
                      k_inf: jnp.ndarray) -> float:
    f_ker = dynamics.descend(dynamics.kernel_gradient_step(_outputs_loss(loss)), jnp.asarray(run.outputs0), lr,
                             int(record_at[-1]), args=(k_inf, targets), record_at=record_at).final
    moved = np.linalg.norm(run.outputs - run.outputs0)
    if moved == 0:
        raise ValueError("training did not move the outputs; the relative gap is undefined")
    return float(np.linalg.norm(run.outputs - f_ker) / moved)


def width_sweep(key: jax.Array, x: jnp.ndarray, x_prime: jnp.ndarray, widths: Sequence[int], d: int, loss: str,
                lr: float, steps: int, activation: str = "relu", bias_std: float = 0.0,
                targets: jnp.ndarray | None = None, repeats: int = 1,
                with_kernel_model: bool = False) -> dict[str, np.ndarray]:
    r"""Train at each width (``repeats`` initialisations each) and collect the measurements as arrays of
    shape ``(len(widths), repeats)``: ``ntk_change``, ``param_change`` and (optionally) ``kernel_gap``.

    Args:
        key: the PRNG key; width ``M`` draws its networks from ``split(fold_in(key, M), repeats)``.
        x: the first views, ``(n, m)``.
        x_prime: the second views, ``(n, m)``.
        widths: at least two widths :math:`M`.
        d: the output dimension.
        loss: a name in :data:`kernel_ssl.losses.SSL_LOSSES`, or ``"supervised"``.
        lr: the step size :math:`\eta`.
        steps: the number of steps.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta`.
        targets: ``(2n, d)``, required for ``"supervised"``.
        repeats: initialisations per width.
        with_kernel_model: also measure :func:`kernel_model_gap`.

    Returns:
        The measurements by name.
    """
    check_key("key", key)
    xs = _stack_pairs("x", x, "x_prime", x_prime)
    widths = _check_widths(widths)
    d = check_positive_int("d", d)
    bias_std = _check_network(activation, bias_std)
    objective = _Objective(loss, _check_loss(loss, xs.shape[0] // 2, targets),
                           check_bool("with_kernel_model", with_kernel_model))
    lr = check_positive_float("lr", lr)
    record_at = dynamics.record_steps(steps, every=steps)  # checks steps
    repeats = check_positive_int("repeats", repeats)
    return _width_sweep(key, xs, widths, d, {loss: objective}, lr, record_at, activation, bias_std, repeats)[loss]


@dataclass(frozen=True)
class _Objective:
    """A checked loss of a sweep: its name, its targets (``"supervised"`` only) and whether to run the kernel
    model."""
    loss: str
    targets: jnp.ndarray | None
    with_kernel_model: bool


def _width_sweep(key: jax.Array, xs: jnp.ndarray, widths: list[int], d: int, objectives: Mapping[str, _Objective],
                 lr: float, record_at: np.ndarray, activation: str, bias_std: float,
                 repeats: int) -> dict[str, dict[str, np.ndarray]]:
    """The sweep of :func:`width_sweep` for several losses (by label) at once: every loss trains the same networks,
    so each network is drawn, and its initial NTK computed, once."""
    out = {label: {name: np.empty((len(widths), repeats))
                   for name in ("ntk_change", "param_change") + (("kernel_gap",) if o.with_kernel_model else ())}
           for label, o in objectives.items()}
    k_inf = (kernels._closed_form_ntk(xs, xs, activation, bias_std)
             if any(o.with_kernel_model for o in objectives.values()) else None)
    for i, width in enumerate(widths):
        for j, k in enumerate(_width_keys(key, width, repeats)):
            params0 = models._init_two_layer(k, xs.shape[1], width, d, xs.dtype)
            theta0 = kernels._empirical_ntk_two_layer(params0, xs, xs, activation, bias_std)
            for label, o in objectives.items():
                run = _train_two_layer(params0, theta0, xs, o.loss, lr, record_at, activation, bias_std, o.targets)
                out[label]["ntk_change"][i, j] = run.ntk_change
                out[label]["param_change"][i, j] = run.param_change
                if o.with_kernel_model:
                    out[label]["kernel_gap"][i, j] = _kernel_model_gap(run, o.loss, lr, record_at, o.targets, k_inf)
    release_memory()
    return out


def mean_slope(widths: Sequence[int], values) -> float:
    """Log-log slope, against the width, of the mean over initialisations of a measurement
    (``values`` of shape ``(len(widths), repeats)``, as :func:`width_sweep` returns)."""
    v = as_finite_array("values", values, ndim=2)
    if v.shape[0] != len(widths):
        raise ValueError(f"values must have one row per width ({len(widths)}), got shape {v.shape}")
    return _mean_slope(widths, v)


def _mean_slope(widths: Sequence[int], values: np.ndarray) -> float:
    return fitting.loglog_slope(widths, np.mean(values, axis=1))[0]


def at_widths(sweep: Mapping[str, np.ndarray], widths: Sequence[int], subset: Sequence[int]) -> dict[str, np.ndarray]:
    """The rows of a :func:`width_sweep` result that belong to the widths ``subset``.

    Args:
        sweep: the measurements by name, each with one row per width of ``widths``.
        widths: the swept widths.
        subset: some of them.

    Returns:
        The measurements at ``subset``, by name.
    """
    missing = [w for w in subset if w not in widths]
    if missing:
        raise ValueError(f"subset must be among the swept widths {list(widths)}, got {missing}")
    rows = [list(widths).index(w) for w in subset]
    return {name: np.asarray(values)[rows] for name, values in sweep.items()}


def kernel_row(key: jax.Array, x: jnp.ndarray, width: int, d: int = 1, activation: str = "relu",
               bias_std: float = 0.0, anchor: int = 0) -> np.ndarray:
    r"""One row of the empirical NTK, :math:`\Theta_0(x_{\rm anchor}, x_j)_{11}` for all ``j``, at initialisation,
    of the network ``init_two_layer(key, m, width, d)``:

    .. math:: \Theta_0(x_a,x_j)_{11} = \frac1M\sum_r\sigma(h_{ar})\sigma(h_{jr})
       + \Big(\frac{x_a^\top x_j}{m}+\beta^2\Big)\frac1M\sum_r W_{1r}^2\,\sigma'(h_{ar})\sigma'(h_{jr}).

    Costs :math:`O(nM)`. It is evaluated with NumPy on the host, on purpose: a live slider visits widths and
    biases one at a time, and the JAX kernel would compile a program for each new shape or bias (50 to 300 ms
    on 2 cores, measured) where this answers in milliseconds. The tests hold it to
    :func:`kernels.empirical_ntk_two_layer`.

    Args:
        key: the PRNG key of the network.
        x: the inputs, ``(N, m)``.
        width: :math:`M`.
        d: the network's output dimension (the row is that of output 1).
        activation: ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta`.
        anchor: the index :math:`a` of the row.

    Returns:
        The row, ``(N,)``.
    """
    check_key("key", key)
    xa = as_finite_array("x", x, ndim=2).astype(np.float64)
    width = check_positive_int("width", width)
    d = check_positive_int("d", d)
    anchor = check_positive_int("anchor", anchor, minimum=0, maximum=xa.shape[0] - 1)
    beta = _check_network(activation, bias_std)
    params = models._init_two_layer(key, xa.shape[1], width, d, jnp.asarray(x).dtype)
    v, b, w1 = (np.asarray(params[name], dtype=np.float64) for name in ("V", "b", "W"))
    m, big_m = xa.shape[1], v.shape[0]
    h = xa @ v.T / np.sqrt(m) + beta * b
    if activation == "relu":
        s, ds = np.maximum(h, 0.0), (h > 0).astype(np.float64)
    else:
        s, ds = scipy.special.erf(h), 2.0 / np.sqrt(np.pi) * np.exp(-h ** 2)
    inner = xa @ xa[anchor] / m + beta ** 2
    return (s @ s[anchor] + inner * (ds @ (w1[0] ** 2 * ds[anchor]))) / big_m


# ------------------------------------------------------------------------------------ the chapter's experiments
@dataclass(frozen=True)
class ChapterWidths:
    """The widths of the chapter's experiments: ``init`` (experiment 1), ``train`` (experiments 2 and 4), and
    ``other`` with ``other_repeats`` initialisations each (experiment 3 and the synthetic pairs)."""
    init: list[int]
    train: list[int]
    other: list[int]
    other_repeats: int


def chapter_widths(quick: bool, max_init_exponent: int, max_train_exponent: int, repeats: int) -> ChapterWidths:
    r"""Widths :math:`M = 2^6` to :math:`2^{\rm max}` for each experiment.

    ``quick`` caps the exponents at 12 (initialisation) and 10 (training). Experiment 3 (other losses) is a
    comparison, not a tested claim: in quick mode it uses every other width and one initialisation, since
    compiling one program per width and loss dominates the quick run time.

    Args:
        quick: the chapter's quick setting.
        max_init_exponent: the largest exponent of experiment 1 (at least 7).
        max_train_exponent: the largest exponent of the training experiments (at least 7).
        repeats: initialisations per width of experiment 3 (outside quick mode).

    Returns:
        A :class:`ChapterWidths`.
    """
    check_bool("quick", quick)
    top_init = check_positive_int("max_init_exponent", max_init_exponent, minimum=7)
    top_train = check_positive_int("max_train_exponent", max_train_exponent, minimum=7)
    repeats = check_positive_int("repeats", repeats)
    if quick:
        top_init, top_train = min(top_init, 12), min(top_train, 10)
    train = [2 ** k for k in range(6, top_train + 1)]
    return ChapterWidths(init=[2 ** k for k in range(6, top_init + 1)], train=train,
                         other=train[::2] if quick else train, other_repeats=1 if quick else repeats)


@dataclass(frozen=True)
class KernelStaysPut:
    """Experiment 2: Barlow Twins at every width of ``widths`` on the digits (``digits``: the measurements of
    :func:`width_sweep`, with the kernel model's gap) and on synthetic pairs (``synthetic``, at
    ``synthetic_widths``), and the fitted log-log slopes of the NTK change."""
    widths: list[int]
    digits: dict[str, np.ndarray]
    synthetic_widths: list[int]
    synthetic: dict[str, np.ndarray]
    ntk_change_slope: float
    ntk_change_slope_synthetic: float
    param_change_min: float    # over widths, of the mean over initialisations
    param_change_max: float

    @property
    def param_change_spread(self) -> float:
        """Largest over smallest mean parameter displacement across widths."""
        return self.param_change_max / self.param_change_min


def kernel_stays_put(key: jax.Array, pairs: tuple, synthetic_pairs: tuple, widths: ChapterWidths, d: int,
                     lr: float, steps: int, activation: str = "relu", repeats: int = 1) -> KernelStaysPut:
    r"""Experiment 2: train with Barlow Twins (theory form) to the same effective time at every width and measure
    how far the NTK and the parameters move, on the digits (``widths.train``, ``repeats`` initialisations, with the
    kernel model) and on synthetic pairs (``widths.other``, ``widths.other_repeats`` initialisations).

    Args:
        key: the PRNG key of the initialisations (both data sets use the same networks' keys).
        pairs: the digits' views ``(x, x_prime)``, each ``(n, m)``.
        synthetic_pairs: the synthetic views ``(x, x_prime)``, each ``(n', m')``.
        widths: the chapter's widths (:func:`chapter_widths`).
        d: the output dimension.
        lr: the step size :math:`\eta`.
        steps: the number of steps (horizon :math:`T = \eta\times` steps).
        activation: ``"relu"`` or ``"erf"``.
        repeats: initialisations per width on the digits.

    Returns:
        A :class:`KernelStaysPut`.
    """
    check_key("key", key)
    xs, xs_synthetic = _check_pairs("pairs", pairs), _check_pairs("synthetic_pairs", synthetic_pairs)
    _check_loss("barlow_twins", min(xs.shape[0], xs_synthetic.shape[0]) // 2, None)
    if not isinstance(widths, ChapterWidths):
        raise TypeError(f"widths must be a ChapterWidths (see chapter_widths), got {type(widths).__name__}")
    train, other = _check_widths(widths.train), _check_widths(widths.other)
    other_repeats = check_positive_int("widths.other_repeats", widths.other_repeats)
    d = check_positive_int("d", d)
    _check_network(activation, 0.0)
    lr = check_positive_float("lr", lr)
    record_at = dynamics.record_steps(steps, every=steps)  # checks steps
    repeats = check_positive_int("repeats", repeats)
    bt = {"bt": _Objective("barlow_twins", None, True)}
    digits = _width_sweep(key, xs, train, d, bt, lr, record_at, activation, 0.0, repeats)["bt"]
    bt = {"bt": _Objective("barlow_twins", None, False)}
    synthetic = _width_sweep(key, xs_synthetic, other, d, bt, lr, record_at, activation, 0.0, other_repeats)["bt"]
    displacement = digits["param_change"].mean(axis=1)
    return KernelStaysPut(widths=train, digits=digits, synthetic_widths=other, synthetic=synthetic,
                          ntk_change_slope=_mean_slope(train, digits["ntk_change"]),
                          ntk_change_slope_synthetic=_mean_slope(other, synthetic["ntk_change"]),
                          param_change_min=float(displacement.min()), param_change_max=float(displacement.max()))


@dataclass(frozen=True)
class LossComparison:
    """Experiment 3: the measurements of :func:`width_sweep` for several losses at the same ``widths``
    (``sweeps``, by the chapter's label of each loss; the supervised one with the kernel model's gap) and the
    fitted log-log slopes of the NTK change (``ntk_change_slopes``, same labels)."""
    widths: list[int]
    sweeps: dict[str, dict[str, np.ndarray]]
    ntk_change_slopes: dict[str, float]


def compare_losses(key: jax.Array, pairs: tuple, loss_names: Mapping[str, str], widths: Sequence[int], d: int,
                   lr: float, steps: int, activation: str = "relu", targets: jnp.ndarray | None = None,
                   repeats: int = 1) -> LossComparison:
    r"""Experiment 3: the width sweep of experiment 2 for each loss of ``loss_names`` (label -> name in
    :data:`kernel_ssl.losses.SSL_LOSSES` or ``"supervised"``); the supervised loss also measures the kernel model.

    Args:
        key: the PRNG key of the initialisations (the same networks for every loss).
        pairs: the views ``(x, x_prime)``, each ``(n, m)``.
        loss_names: the losses, by label.
        widths: at least two widths :math:`M`.
        d: the output dimension.
        lr: the step size :math:`\eta`.
        steps: the number of steps.
        activation: ``"relu"`` or ``"erf"``.
        targets: ``(2n, d)``, for ``"supervised"``.
        repeats: initialisations per width.

    Returns:
        A :class:`LossComparison`.
    """
    check_key("key", key)
    xs = _check_pairs("pairs", pairs)
    if not isinstance(loss_names, Mapping) or not loss_names:
        raise TypeError("loss_names must be a non-empty mapping from labels to loss names")
    objectives = {label: _Objective(name, _check_loss(name, xs.shape[0] // 2, targets), name == SUPERVISED)
                  for label, name in loss_names.items()}
    widths = _check_widths(widths)
    d = check_positive_int("d", d)
    _check_network(activation, 0.0)
    lr = check_positive_float("lr", lr)
    record_at = dynamics.record_steps(steps, every=steps)  # checks steps
    repeats = check_positive_int("repeats", repeats)
    sweeps = _width_sweep(key, xs, widths, d, objectives, lr, record_at, activation, 0.0, repeats)
    slopes = {label: _mean_slope(widths, sweep["ntk_change"]) for label, sweep in sweeps.items()}
    return LossComparison(widths=widths, sweeps=sweeps, ntk_change_slopes=slopes)
