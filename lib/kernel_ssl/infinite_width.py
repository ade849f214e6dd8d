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
from functools import cache, partial

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
# InfoNCE with the plain dot product as similarity (losses.info_nce(similarity="dot")), beside the registry's cosine one
INFO_NCE_DOT = "info_nce_dot"
LOSS_NAMES = (*losses.SSL_LOSSES, INFO_NCE_DOT, SUPERVISED)
# The convergence criterion of the chapter's training runs: the loss at the horizon is below this fraction of its
# initial value (for losses whose minimum is 0, such as the theory form of Barlow Twins)
CONVERGED_LOSS_RATIO = 1e-3
# the widest network any function here builds: 2^18 hidden units (the chapter's widest, 2^16 at its defaults) keep
# V at 2^18 x 64 entries; wider would outgrow a chapter's memory budget
MAX_WIDTH_EXPONENT = 18
MAX_WIDTH = 2 ** MAX_WIDTH_EXPONENT


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
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
        raise TypeError(f"widths must be a sequence of integers, got {type(widths).__name__}")
    if len(widths) < 2:
        raise ValueError(f"widths must hold at least 2 widths, got {list(widths)}")
    return [check_positive_int(f"widths[{i}]", w, maximum=MAX_WIDTH) for i, w in enumerate(widths)]


def _check_record_every(record_every: int | None, steps: int) -> np.ndarray:
    # the record grid of a run of ``steps`` steps, with the caller's argument named (dynamics.record_steps would
    # call it ``every``)
    steps = check_positive_int("steps", steps, maximum=dynamics.MAX_STEPS)
    if record_every is None:
        return dynamics.record_steps(steps, every=steps)
    record_every = check_positive_int("record_every", record_every, maximum=steps)
    if steps % record_every:
        raise ValueError(f"steps ({steps}) must be a multiple of record_every ({record_every})")
    return dynamics.record_steps(steps, every=record_every)


def _check_network(activation: str, bias_std: float) -> float:
    check_choice("activation", activation, models.ACTIVATIONS)
    return check_positive_float("bias_std", bias_std, allow_zero=True)


def _check_loss(loss: str, n_pairs: int, targets: jnp.ndarray | None) -> jnp.ndarray | None:
    """Check the loss name and, for ``"supervised"``, its targets (one row per stacked view); returns them."""
    check_choice("loss", loss, LOSS_NAMES)
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
        loss: a name of :data:`LOSS_NAMES` (the registry's, ``"info_nce_dot"`` or ``"supervised"``).
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
    pair_loss = _info_nce_dot if loss == INFO_NCE_DOT else losses.get_ssl_loss(loss)
    return _ignoring_targets(losses.stacked(pair_loss))


def _info_nce_dot(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    return losses.info_nce(za, zb, similarity="dot")


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
    r"""What one training run measured at each recorded step (``steps``, effective times ``t = lr * steps``).

    Traces, one entry per recorded step: the loss; the relative NTK change
    :math:`\lVert\Theta_t-\Theta_0\rVert_F/\lVert\Theta_0\rVert_F` (full ``(N, N, d, d)`` tensor); the parameter
    displacement :math:`\lVert\theta_t-\theta_0\rVert_2`; the fraction of pre-activations :math:`h_r(x_i)` (over
    units and stacked views) whose sign differs from that at initialisation; the outputs ``(R, N, d)``.
    """
    width: int
    steps: np.ndarray
    t: np.ndarray
    loss_trace: np.ndarray
    ntk_change_trace: np.ndarray
    param_change_trace: np.ndarray
    flip_fraction_trace: np.ndarray
    outputs_trace: np.ndarray

    @property
    def ntk_change(self) -> float:
        """The relative NTK change at the last recorded step."""
        return float(self.ntk_change_trace[-1])

    @property
    def param_change(self) -> float:
        """The parameter displacement at the last recorded step."""
        return float(self.param_change_trace[-1])

    @property
    def outputs0(self) -> np.ndarray:
        """The outputs on the stacked views at initialisation, ``(N, d)``."""
        return self.outputs_trace[0]

    @property
    def outputs(self) -> np.ndarray:
        """The outputs after training, ``(N, d)``."""
        return self.outputs_trace[-1]


def train_two_layer(key: jax.Array, x_stacked: jnp.ndarray, width: int, d: int, loss: str, lr: float, steps: int,
                    activation: str = "relu", bias_std: float = 0.0, targets: jnp.ndarray | None = None,
                    record_every: int = 10) -> TrainingRun:
    r"""Train the two-layer net with full-batch gradient descent
    :math:`\theta\leftarrow\theta-\eta\nabla_\theta\mathcal L` on the stacked views and record the loss, the
    relative change of its empirical NTK, the parameter displacement, the sign flips of the pre-activations and
    the outputs every ``record_every`` steps.

    Args:
        key: the PRNG key of the initialisation (:func:`kernel_ssl.models.init_two_layer`).
        x_stacked: the stacked views :math:`\tilde X`, ``(2n, m)``.
        width: :math:`M`.
        d: the output dimension.
        loss: a name of :data:`LOSS_NAMES`.
        lr: the step size :math:`\eta`.
        steps: the number of steps.
        activation: ``"relu"`` or ``"erf"``.
        bias_std: :math:`\beta`.
        targets: ``(2n, d)``, required for ``"supervised"``.
        record_every: the run is recorded every this many steps (``steps`` a multiple of it).

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
    record_at = _check_record_every(record_every, steps)
    xs = jnp.asarray(x_stacked)
    params0 = models._init_two_layer(key, xs.shape[1], width, d, xs.dtype)
    return _train_two_layer(params0, None, xs, loss, lr, record_at, activation, bias_std, targets)


@partial(jax.jit, static_argnames=("activation", "bias_std"))
def _measure_records(recorded, params0, xs, theta0, activation, bias_std):
    """The kernel change, displacement, sign flips and outputs at each recorded parameter set (leading axis of
    ``recorded``), one record at a time (``lax.map``: the memory of one kernel). One program per width, shared by
    every loss; the kernel's chunks of kernels.UNIT_CHUNK units are unrolled inside it."""
    signs0 = models._preactivations(params0, xs, bias_std) > 0
    norm0 = jnp.sqrt(jnp.sum(theta0 ** 2))

    def measure(params):
        theta = kernels._empirical_ntk_two_layer(params, xs, xs, activation, bias_std)
        moved = sum(jnp.sum((params[k] - params0[k]) ** 2) for k in params0)
        signs = models._preactivations(params, xs, bias_std) > 0
        return {"ntk_change": jnp.sqrt(jnp.sum((theta - theta0) ** 2)) / norm0, "param_change": jnp.sqrt(moved),
                "flip_fraction": jnp.mean(signs != signs0),
                "outputs": models._two_layer_apply(params, xs, activation, bias_std)}
    return jax.lax.map(measure, recorded)


@cache
def _joint_loss(loss_names: tuple[str, ...], activation: str, bias_std: float) -> Callable[..., jnp.ndarray]:
    """``loss(params, xs, targets)`` for a tuple of networks, one per loss of ``loss_names`` (with a tuple of
    targets): the sum of each network's own loss. Its gradient is each loss's gradient for its own network, so one
    compiled program trains every loss of a sweep at a width: compiling one program per (width, loss) dominated
    the chapter's run time (measured)."""
    parts = tuple(_network_loss(name, activation, bias_std) for name in loss_names)

    def loss(params, xs, targets):
        return sum(part(p, xs, t) for part, p, t in zip(parts, params, targets, strict=True))
    return loss


@cache
def _joint_observer(loss_names: tuple[str, ...], activation: str, bias_std: float) -> Callable[..., dict]:
    """What the compiled loop records for :func:`_joint_loss`: each network's loss and parameters. The kernels are
    computed from the recorded parameters after the loop (:func:`_measure_records`, one program per width)."""
    parts = tuple(_network_loss(name, activation, bias_std) for name in loss_names)

    def observe(params, xs, targets):
        return {"loss": jnp.stack([part(p, xs, t) for part, p, t in zip(parts, params, targets, strict=True)]),
                "params": params}
    return observe


def _train_two_layer(params0: models.Params, theta0: jnp.ndarray | None, xs: jnp.ndarray, loss: str, lr: float,
                     record_at: np.ndarray, activation: str, bias_std: float,
                     targets: jnp.ndarray | None) -> TrainingRun:
    """Train from ``params0``, whose empirical NTK is ``theta0`` (computed here when ``None``)."""
    return _train_jointly(params0, theta0, xs, (loss,), lr, record_at, activation, bias_std, (targets,))[0]


def _train_jointly(params0: models.Params, theta0: jnp.ndarray | None, xs: jnp.ndarray, loss_names: tuple[str, ...],
                   lr: float, record_at: np.ndarray, activation: str, bias_std: float,
                   targets: tuple) -> list[TrainingRun]:
    """Train one copy of ``params0`` per loss of ``loss_names`` in one compiled program; one run per loss."""
    if theta0 is None:
        theta0 = kernels._empirical_ntk_two_layer(params0, xs, xs, activation, bias_std)
    start = tuple(params0 for _ in loss_names)
    run = dynamics.descend(dynamics.gradient_step(_joint_loss(loss_names, activation, bias_std)), start, lr,
                           int(record_at[-1]), args=(xs, targets),
                           observe=_joint_observer(loss_names, activation, bias_std), record_at=record_at)
    runs = []
    for k, recorded in enumerate(run.records["params"]):
        measured = _measure_records(recorded, params0, xs, theta0, activation, float(bias_std))
        measured = {name: np.asarray(value) for name, value in measured.items()}
        runs.append(TrainingRun(width=int(params0["V"].shape[0]), steps=run.steps, t=run.t,
                                loss_trace=run.records["loss"][:, k], ntk_change_trace=measured["ntk_change"],
                                param_change_trace=measured["param_change"],
                                flip_fraction_trace=measured["flip_fraction"], outputs_trace=measured["outputs"]))
    return runs


def kernel_model_gap(run: TrainingRun, x_stacked: jnp.ndarray, loss: str, lr: float, activation: str = "relu",
                     bias_std: float = 0.0, targets: jnp.ndarray | None = None,
                     kernel: jnp.ndarray | None = None) -> np.ndarray:
    r"""Gap between the trained network and a kernel model, at each recorded step of the run.

    The kernel model starts from the network's own outputs at initialisation and follows kernel gradient
    descent :math:`F\leftarrow F-\eta\,\Theta:\nabla_F\mathcal L(F)` with a fixed kernel, the same step size and the
    run's recorded steps. Returned:
    :math:`\lVert F_{\rm net}(t)-F_{\rm ker}(t)\rVert_F/\lVert F_{\rm net}(t)-F(0)\rVert_F` (0 at :math:`t=0`,
    where both are :math:`F(0)`).

    Args:
        run: the network's run (:func:`train_two_layer`).
        x_stacked: the stacked views it was trained on, ``(2n, m)``.
        loss: the loss it was trained with.
        lr: its step size.
        activation: its activation.
        bias_std: its bias scale.
        targets: ``(2n, d)``, required for ``"supervised"``.
        kernel: the fixed kernel: ``(2n, 2n)`` (used as :math:`K\otimes I_d`) or ``(2n, 2n, d, d)`` (for example the
            network's own :math:`\Theta_0`); default the closed form :math:`K_\infty`.

    Returns:
        The relative gap at each recorded step, ``(R,)``.
    """
    if not isinstance(run, TrainingRun):
        raise TypeError(f"run must be a TrainingRun (train_two_layer), got {type(run).__name__}")
    outputs = as_finite_array("run.outputs_trace", run.outputs_trace, ndim=3)
    xs = check_stacked_views("x_stacked", x_stacked)
    bias_std = _check_network(activation, bias_std)
    targets = _check_loss(loss, xs.shape[0] // 2, targets)
    lr = check_positive_float("lr", lr)
    n, d = xs.shape[0], outputs.shape[2]
    if np.shape(run.outputs0)[0] != n:
        raise ValueError(f"run must hold outputs on the {n} stacked views, got {np.shape(run.outputs0)}")
    if kernel is None:
        kernel = kernels._closed_form_ntk(jnp.asarray(x_stacked), jnp.asarray(x_stacked), activation, bias_std)
    kernel = as_finite_array("kernel", kernel)
    if kernel.shape == (n, n):
        kernel = kernels._kron_identity(jnp.asarray(kernel), d)
    elif kernel.shape != (n, n, d, d):
        raise ValueError(f"kernel must have shape ({n}, {n}) or ({n}, {n}, {d}, {d}), got {kernel.shape}")
    if not np.any(run.outputs != run.outputs0):
        raise ValueError("training did not move the outputs; the relative gap is undefined")
    return _kernel_model(run, loss, lr, targets, jnp.asarray(kernel))[0]


@cache
def _tensor_kernel_step(loss: str) -> Callable[..., jnp.ndarray]:
    r"""Kernel gradient descent with a full ``(N, N, d, d)`` kernel, :math:`F_{ia}\leftarrow F_{ia}-\eta
    \sum_{jb}\Theta_{ij,ab}\,\partial\mathcal L/\partial F_{jb}` (one object per loss)."""
    grad = jax.grad(_outputs_loss(loss))

    def step(f, lr, kernel, targets):
        return f - lr * jnp.einsum("ijab,jb->ia", kernel, grad(f, targets))
    return step


@cache
def _kernel_observer(loss: str) -> Callable[..., dict[str, jnp.ndarray]]:
    """What a kernel model records: its outputs and its loss (one object per loss)."""
    of_outputs = _outputs_loss(loss)

    def observe(f, kernel, targets):
        return {"outputs": f, "loss": of_outputs(f, targets)}
    return observe


def _kernel_model(run: TrainingRun, loss: str, lr: float, targets: jnp.ndarray | None,
                  kernel: jnp.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The kernel model's relative gap to the network and its loss, at each recorded step of ``run``."""
    records = dynamics.descend(_tensor_kernel_step(loss), jnp.asarray(run.outputs0), lr, int(run.steps[-1]),
                               args=(kernel, targets), observe=_kernel_observer(loss), record_at=run.steps).records
    axes = (1, 2)
    diff = np.linalg.norm(run.outputs_trace - records["outputs"], axis=axes)
    moved = np.linalg.norm(run.outputs_trace - run.outputs0, axis=axes)
    return np.divide(diff, moved, out=np.zeros_like(diff), where=moved > 0), records["loss"]


@dataclass(frozen=True)
class Sweep:
    """Training runs at each of ``widths`` (``repeats`` initialisations each), recorded at the effective times
    ``t``: each measurement is an array ``(len(widths), repeats, len(t))`` (see :class:`TrainingRun`);
    ``kernel_gap`` and ``kernel_loss`` (the gap to, and the loss of, the kernel model with :math:`K_\\infty`) and
    ``kernel_gap_theta0`` (the gap to the kernel model with the network's own :math:`\\Theta_0`) are ``None``
    unless the sweep ran the kernel models."""
    widths: list[int]
    t: np.ndarray
    loss: np.ndarray
    ntk_change: np.ndarray
    param_change: np.ndarray
    flip_fraction: np.ndarray
    kernel_gap: np.ndarray | None = None
    kernel_gap_theta0: np.ndarray | None = None
    kernel_loss: np.ndarray | None = None

    def __getitem__(self, name: str) -> np.ndarray:
        """The measurement ``name`` at the last recorded time (``at(name)``)."""
        return self.at(name)

    def at(self, name: str, t: float | None = None) -> np.ndarray:
        """The measurement ``name`` at the recorded time ``t`` (default the last), ``(len(widths), repeats)``."""
        values = getattr(self, check_choice("name", name, _SWEEP_MEASUREMENTS))
        if values is None:
            raise ValueError(f"this sweep did not measure {name}")
        return values[:, :, self._index(t)]

    def _index(self, t: float | None) -> int:
        if t is None:
            return len(self.t) - 1
        hits = np.flatnonzero(np.isclose(self.t, t, rtol=1e-9, atol=0.0))
        if hits.size != 1:
            raise ValueError(f"t must be one of the recorded times {self.t.tolist()}, got {t}")
        return int(hits[0])

    def slope(self, name: str, t: float | None = None) -> float:
        """Log-log slope against the width of the mean over initialisations of ``name`` at time ``t``."""
        return _mean_slope(self.widths, self.at(name, t))

    def slope_interval(self, name: str, t: float | None = None) -> fitting.SlopeInterval:
        """The log-log slope of ``name`` at time ``t`` fitted to every initialisation at every width, with its
        Student-t interval (:func:`kernel_ssl.fitting.loglog_slope_interval`)."""
        values = self.at(name, t)
        return fitting.loglog_slope_interval(np.repeat(self.widths, values.shape[1]), values.ravel())

    def loss_ratio(self, t: float | None = None) -> np.ndarray:
        """The loss at time ``t`` over the loss at initialisation, ``(len(widths), repeats)``."""
        return self.loss[:, :, self._index(t)] / self.loss[:, :, 0]

    def restricted(self, subset: Sequence[int]) -> Sweep:
        """The same sweep at the widths ``subset`` (some of ``widths``)."""
        missing = [w for w in subset if w not in self.widths]
        if missing:
            raise ValueError(f"subset must be among the swept widths {self.widths}, got {missing}")
        rows = [self.widths.index(w) for w in subset]
        return Sweep(widths=list(subset), t=self.t, **{name: None if getattr(self, name) is None
                                                       else getattr(self, name)[rows]
                                                       for name in _SWEEP_MEASUREMENTS})


_SWEEP_MEASUREMENTS = ("loss", "ntk_change", "param_change", "flip_fraction", "kernel_gap", "kernel_gap_theta0",
                       "kernel_loss")


def width_sweep(key: jax.Array, x: jnp.ndarray, x_prime: jnp.ndarray, widths: Sequence[int], d: int, loss: str,
                lr: float, steps: int, activation: str = "relu", bias_std: float = 0.0,
                targets: jnp.ndarray | None = None, repeats: int = 1, with_kernel_model: bool = False,
                record_every: int | None = None) -> Sweep:
    r"""Train at each width (``repeats`` initialisations each) and record every run (:class:`Sweep`).

    Args:
        key: the PRNG key; width ``M`` draws its networks from ``split(fold_in(key, M), repeats)``.
        x: the first views, ``(n, m)``.
        x_prime: the second views, ``(n, m)``.
        widths: at least two widths :math:`M`.
        d, loss, lr, steps, activation, bias_std, targets: as in :func:`train_two_layer`.
        repeats: initialisations per width.
        with_kernel_model: also run the kernel models with :math:`K_\infty` and with :math:`\Theta_0`
            (:func:`kernel_model_gap`).
        record_every: record every this many steps (a divisor of ``steps``; default only the start and the end).

    Returns:
        A :class:`Sweep`.
    """
    check_key("key", key)
    xs = _stack_pairs("x", x, "x_prime", x_prime)
    widths = _check_widths(widths)
    d = check_positive_int("d", d)
    bias_std = _check_network(activation, bias_std)
    objective = _Objective(loss, _check_loss(loss, xs.shape[0] // 2, targets),
                           check_bool("with_kernel_model", with_kernel_model))
    lr = check_positive_float("lr", lr)
    record_at = _check_record_every(record_every, steps)
    repeats = check_positive_int("repeats", repeats)
    return _width_sweep(key, xs, widths, d, {loss: objective}, lr, record_at, activation, bias_std, repeats)[loss]


@dataclass(frozen=True)
class _Objective:
    """A checked loss of a sweep: its name, its targets (``"supervised"`` only) and whether to run the kernel
    models."""
    loss: str
    targets: jnp.ndarray | None
    with_kernel_model: bool


def _width_sweep(key: jax.Array, xs: jnp.ndarray, widths: list[int], d: int, objectives: Mapping[str, _Objective],
                 lr: float, record_at: np.ndarray, activation: str, bias_std: float,
                 repeats: int) -> dict[str, Sweep]:
    """The sweep of :func:`width_sweep` for several losses (by label) at once: every loss trains the same networks,
    so each network is drawn, and its initial NTK computed, once, and all losses train in one program
    (:func:`_joint_loss`)."""
    shape = (len(widths), repeats, len(record_at))
    out = {label: {name: np.empty(shape) for name in _SWEEP_MEASUREMENTS[:4]
                   + (_SWEEP_MEASUREMENTS[4:] if o.with_kernel_model else ())}
           for label, o in objectives.items()}
    k_inf = (kernels._kron_identity(kernels._closed_form_ntk(xs, xs, activation, bias_std), d)
             if any(o.with_kernel_model for o in objectives.values()) else None)
    for i, width in enumerate(widths):
        for j, k in enumerate(_width_keys(key, width, repeats)):
            params0 = models._init_two_layer(k, xs.shape[1], width, d, xs.dtype)
            theta0 = kernels._empirical_ntk_two_layer(params0, xs, xs, activation, bias_std)
            runs = _train_jointly(params0, theta0, xs, tuple(o.loss for o in objectives.values()), lr, record_at,
                                  activation, bias_std, tuple(o.targets for o in objectives.values()))
            for (label, o), run in zip(objectives.items(), runs, strict=True):
                row = out[label]
                row["loss"][i, j], row["ntk_change"][i, j] = run.loss_trace, run.ntk_change_trace
                row["param_change"][i, j], row["flip_fraction"][i, j] = run.param_change_trace, run.flip_fraction_trace
                if o.with_kernel_model:
                    row["kernel_gap"][i, j], row["kernel_loss"][i, j] = _kernel_model(run, o.loss, lr, o.targets,
                                                                                       k_inf)
                    row["kernel_gap_theta0"][i, j] = _kernel_model(run, o.loss, lr, o.targets, theta0)[0]
    release_memory()
    t = lr * record_at.astype(np.float64)
    return {label: Sweep(widths=list(widths), t=t, **values) for label, values in out.items()}


def mean_slope(widths: Sequence[int], values) -> float:
    """Log-log slope, against the width, of the mean over initialisations of a measurement
    (``values`` of shape ``(len(widths), repeats)``, as :meth:`Sweep.at` returns)."""
    widths = _check_widths(widths)
    v = as_finite_array("values", values, ndim=2)
    if v.shape[0] != len(widths):
        raise ValueError(f"values must have one row per width ({len(widths)}), got shape {v.shape}")
    if np.any(np.mean(v, axis=1) <= 0):
        raise ValueError("values must be positive (their mean over initialisations is fitted on log-log axes)")
    return _mean_slope(widths, v)


def _mean_slope(widths: Sequence[int], values: np.ndarray) -> float:
    return fitting.loglog_slope(widths, np.mean(values, axis=1))[0]


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
    width = check_positive_int("width", width, maximum=MAX_WIDTH)
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


def analytic_ntk_rows(x: jnp.ndarray, biases: Sequence[float], anchor: int = 0) -> dict[tuple[str, float], np.ndarray]:
    r"""One row of the closed-form infinite-width NTK, :math:`K_\infty(x_{\rm anchor}, x_j)` for all ``j``, for each
    activation of :data:`kernel_ssl.models.ACTIVATIONS` and each bias scale :math:`\beta` of ``biases``.

    The same function as ``kernels.closed_form_ntk(x[anchor:anchor + 1], x, activation, beta)[0]`` (the tests hold
    it to that, to 1e-8: XLA fuses the arc-cosine differently), computed in one compiled program per activation
    over every bias at once: the eager calls, one per (activation, bias), took about 1.5 s on 2 cores (measured).

    Args:
        x: the inputs, ``(N, m)``.
        biases: the bias scales :math:`\beta\ge0`.
        anchor: the index :math:`a` of the row.

    Returns:
        The rows ``(N,)`` by ``(activation, beta)``.
    """
    xa = as_finite_array("x", x, ndim=2)
    betas = [check_positive_float(f"biases[{i}]", b, allow_zero=True) for i, b in enumerate(biases)]
    if not betas:
        raise ValueError("biases must hold at least one bias scale")
    anchor = check_positive_int("anchor", anchor, minimum=0, maximum=xa.shape[0] - 1)
    xj = jnp.asarray(x)
    rows = {act: np.asarray(_closed_form_rows(xj[anchor:anchor + 1], xj, act, jnp.asarray(betas)))
            for act in models.ACTIVATIONS}
    return {(act, beta): rows[act][i] for act in models.ACTIVATIONS for i, beta in enumerate(betas)}


@partial(jax.jit, static_argnames=("activation",))
def _closed_form_rows(x_anchor: jnp.ndarray, x: jnp.ndarray, activation: str, betas: jnp.ndarray) -> jnp.ndarray:
    """The rows of :func:`analytic_ntk_rows` for one activation, ``(len(betas), N)`` (the bias is traced)."""
    return jax.vmap(lambda beta: kernels._closed_form_ntk(x_anchor, x, activation, beta)[0])(betas)


# ------------------------------------------------------------------------------------ the chapter's experiments
OTHER_MAX_WIDTH = 2 ** 10

@dataclass(frozen=True)
class ChapterWidths:
    """The widths of the chapter's experiments: ``init`` (experiment 1), ``train`` (experiments 2 and 4), ``other``
    (experiment 3, the synthetic pairs and the bias) and ``erf`` (the erf sweep, whose tested slope needs a
    16-fold range in quick mode too), with ``other_repeats`` initialisations each."""
    init: list[int]
    train: list[int]
    other: list[int]
    other_repeats: int
    erf: list[int]


def chapter_widths(quick: bool, max_init_exponent: int, max_train_exponent: int, repeats: int) -> ChapterWidths:
    r"""Widths :math:`M = 2^6` to :math:`2^{\rm max}` for each experiment.

    ``quick`` caps the exponents at 12 (initialisation) and 10 (training: a cap at 9 saved about 2 s but widened
    the spread over seeds 0, 1, 2 of the sign-change slope from sd 0.019 to 0.088 and of the early kernel-change
    slope from 0.075 to 0.105, measured, too much for the bands that test the heuristics). The comparisons (other
    losses, erf, the synthetic pairs) train every other width up to :data:`OTHER_MAX_WIDTH`; in quick mode only the
    first two of them (:math:`2^6` and :math:`2^8`), with one initialisation: they run five losses to the converged
    horizon, and compiling their programs dominates the quick run time (measured).

    Args:
        quick: the chapter's quick setting.
        max_init_exponent: the largest exponent of experiment 1 (at least 7).
        max_train_exponent: the largest exponent of the training experiments (at least 7).
        repeats: initialisations per width of experiment 3 (outside quick mode).

    Returns:
        A :class:`ChapterWidths`.
    """
    check_bool("quick", quick)
    top_init = check_positive_int("max_init_exponent", max_init_exponent, minimum=7, maximum=MAX_WIDTH_EXPONENT)
    top_train = check_positive_int("max_train_exponent", max_train_exponent, minimum=7, maximum=MAX_WIDTH_EXPONENT)
    repeats = check_positive_int("repeats", repeats)
    if quick:
        top_init, top_train = min(top_init, 12), min(top_train, 10)
    train = [2 ** k for k in range(6, top_train + 1)]
    other = [w for w in train[::2] if w <= OTHER_MAX_WIDTH]
    return ChapterWidths(init=[2 ** k for k in range(6, top_init + 1)], train=train,
                         other=other[:2] if quick else other, other_repeats=1 if quick else repeats, erf=other)


def _check_sweep(widths, d, activation, lr, early_steps, steps, repeats) -> tuple[list[int], int, float, np.ndarray,
                                                                                  int]:
    # the arguments the chapter's two width sweeps (kernel_stays_put, compare_losses) share, in their order
    widths = _check_widths(widths)
    d = check_positive_int("d", d)
    _check_network(activation, 0.0)
    lr = check_positive_float("lr", lr)
    record_at = _check_horizons(early_steps, steps)
    return widths, d, lr, record_at, check_positive_int("repeats", repeats)


def _check_horizons(early_steps: int, steps: int) -> np.ndarray:
    """The recorded steps of a run with an early horizon: every ``early_steps`` up to ``steps`` (a multiple)."""
    early_steps = check_positive_int("early_steps", early_steps)
    steps = check_positive_int("steps", steps, minimum=2 * early_steps)
    if steps % early_steps:
        raise ValueError(f"steps ({steps}) must be a multiple of early_steps ({early_steps})")
    return dynamics.record_steps(steps, every=early_steps)


@dataclass(frozen=True)
class KernelStaysPut:
    """Experiment 2: Barlow Twins (theory form) at every width of ``sweep``, recorded every ``early_time`` up to
    ``converged_time``, with the kernel models' gaps when they were run. The slopes are log-log slopes against
    the width of the mean over initialisations."""
    sweep: Sweep
    early_time: float
    converged_time: float

    @property
    def worst_loss_ratio(self) -> float:
        """The largest, over widths and initialisations, loss at the converged horizon over initial loss."""
        return float(self.sweep.loss_ratio(self.converged_time).max())

    @property
    def converged(self) -> bool:
        """Every run meets the criterion: loss at the horizon at most :data:`CONVERGED_LOSS_RATIO` of its start."""
        return self.worst_loss_ratio <= CONVERGED_LOSS_RATIO

    def slope(self, name: str, early: bool = False) -> float:
        """The slope of ``name`` (a :class:`Sweep` measurement) at the early or the converged horizon."""
        return self.sweep.slope(name, self.early_time if early else self.converged_time)

    @property
    def param_change_slope(self) -> fitting.SlopeInterval:
        """The slope of the parameter displacement at the converged horizon, every initialisation a point."""
        return self.sweep.slope_interval("param_change", self.converged_time)


def kernel_stays_put(key: jax.Array, pairs: tuple, widths: Sequence[int], d: int, lr: float, early_steps: int,
                     steps: int, activation: str = "relu", repeats: int = 1,
                     with_kernel_model: bool = True) -> KernelStaysPut:
    r"""Experiment 2: train with Barlow Twins (theory form) to the same effective time at every width, recording
    every ``early_steps`` (the early horizon :math:`T_{\rm early}=\eta\times` ``early_steps``) up to ``steps``
    (the converged horizon), with the kernel models (:math:`K_\infty` and :math:`\Theta_0`) if asked.

    Args:
        key: the PRNG key of the initialisations (:func:`width_sweep`).
        pairs: the views ``(x, x_prime)``, each ``(n, m)``.
        widths: at least two widths :math:`M`.
        d: the output dimension.
        lr: the step size :math:`\eta`.
        early_steps: the steps to the early horizon (recorded every this many steps).
        steps: the steps to the converged horizon, a multiple of ``early_steps``, at least twice it.
        activation: ``"relu"`` or ``"erf"``.
        repeats: initialisations per width.
        with_kernel_model: also run the two kernel models.

    Returns:
        A :class:`KernelStaysPut`.
    """
    check_key("key", key)
    xs = _check_pairs("pairs", pairs)
    _check_loss("barlow_twins", xs.shape[0] // 2, None)
    widths, d, lr, record_at, repeats = _check_sweep(widths, d, activation, lr, early_steps, steps, repeats)
    bt = {"bt": _Objective("barlow_twins", None, check_bool("with_kernel_model", with_kernel_model))}
    sweep = _width_sweep(key, xs, widths, d, bt, lr, record_at, activation, 0.0, repeats)["bt"]
    return KernelStaysPut(sweep=sweep, early_time=lr * early_steps, converged_time=lr * steps)


@dataclass(frozen=True)
class LossComparison:
    """Experiment 3: a :class:`Sweep` for each of several losses at the same widths (``sweeps``, by the chapter's
    label of each loss), recorded every ``early_time`` up to ``converged_time``."""
    sweeps: dict[str, Sweep]
    early_time: float
    converged_time: float

    def slopes(self, early: bool = False) -> dict[str, float]:
        """The slope of the NTK change of each loss at the early or the converged horizon."""
        t = self.early_time if early else self.converged_time
        return {label: sweep.slope("ntk_change", t) for label, sweep in self.sweeps.items()}

    def ntk_change_ratio(self, label: str, reference: str, early: bool = False) -> np.ndarray:
        """The NTK change of ``label`` over that of ``reference``, width by width (means over initialisations)."""
        t = self.early_time if early else self.converged_time
        mean = {name: self.sweeps[name].at("ntk_change", t).mean(axis=1) for name in (label, reference)}
        return mean[label] / mean[reference]


def compare_losses(key: jax.Array, pairs: tuple, loss_names: Mapping[str, str], widths: Sequence[int], d: int,
                   lr: float, early_steps: int, steps: int, activation: str = "relu",
                   targets: jnp.ndarray | None = None, repeats: int = 1) -> LossComparison:
    r"""Experiment 3: the width sweep of experiment 2 for each loss of ``loss_names`` (label -> name of
    :data:`LOSS_NAMES`), the same networks for every loss; the supervised loss also runs the kernel models.

    Args:
        key: the PRNG key of the initialisations.
        pairs: the views ``(x, x_prime)``, each ``(n, m)``.
        loss_names: the losses, by label.
        widths: at least two widths :math:`M`.
        d: the output dimension.
        lr: the step size :math:`\eta`.
        early_steps: the steps to the early horizon.
        steps: the steps to the converged horizon (a multiple of ``early_steps``).
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
    widths, d, lr, record_at, repeats = _check_sweep(widths, d, activation, lr, early_steps, steps, repeats)
    sweeps = _width_sweep(key, xs, widths, d, objectives, lr, record_at, activation, 0.0, repeats)
    return LossComparison(sweeps=sweeps, early_time=lr * early_steps, converged_time=lr * steps)
