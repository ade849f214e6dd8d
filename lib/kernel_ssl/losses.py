"""Self-supervised (and one supervised) losses on the embeddings of positive pairs.

Every SSL loss takes the embeddings of the two views, ``za`` and ``zb``, each of shape ``(n, d)``
(row ``i`` embeds ``x_i`` and ``x_i'``). They are pure JAX functions, safe under ``jit`` and ``grad``:
under a trace only static properties (shapes, dtypes) are checked; a caller's direct call with concrete arrays
also checks the values (real, finite, and small enough that the loss does not overflow its dtype).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np

from .validation import (
    as_finite_array,
    check_callable,
    check_choice,
    check_no_overflow,
    check_positive_float,
    computing_dtype,
    is_traced,
)


def _check_values(name: str, z, power: int = 2, count: int = 1) -> None:
    # values only where they are concrete (a caller's call, not a trace under jit/grad): real, finite, and small
    # enough that the loss's sums of products (power factors, count terms) stay finite in its dtype
    if is_traced(z):
        if not jnp.issubdtype(z.dtype, jnp.floating):
            raise TypeError(f"{name} must be a real floating array, got dtype {z.dtype}")
        return
    arr = as_finite_array(name, z)
    check_no_overflow(name, arr, computing_dtype(arr), power=power, count=count)


def _check_pair(za: jnp.ndarray, zb: jnp.ndarray, power: int = 2) -> None:
    n_d = max(int(np.prod(np.shape(za))) if not isinstance(za, str) else 1, 1)
    _check_values("za", za, power, 4 * n_d)
    _check_values("zb", zb, power, 4 * n_d)
    if jnp.ndim(za) != 2 or jnp.ndim(zb) != 2:
        raise ValueError(f"za and zb must be 2-D (n, d) arrays, got shapes {jnp.shape(za)} and {jnp.shape(zb)}")
    if jnp.shape(za) != jnp.shape(zb):
        raise ValueError(f"za and zb must have the same shape, got {jnp.shape(za)} and {jnp.shape(zb)}")
    if jnp.shape(za)[0] < 2:
        raise ValueError(f"za and zb need at least 2 pairs (rows), got {jnp.shape(za)[0]}")


def cross_correlation(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    r"""Symmetrised cross-correlation :math:`C = \frac{1}{2n}\sum_i (z_i z_i'^\top + z_i' z_i^\top)`,
    shape ``(d, d)``."""
    _check_pair(za, zb)
    return _cross_correlation(za, zb)


def _cross_correlation(za, zb):
    n = za.shape[0]
    return (za.T @ zb + zb.T @ za) / (2 * n)


def barlow_twins_theory(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    r"""Theory form of Barlow Twins: :math:`\mathcal L = \lVert C - I_d\rVert_F^2` (no standardisation, lambda = 1)."""
    _check_pair(za, zb, power=4)  # C squared: products of four embedding entries
    c = _cross_correlation(za, zb)
    return jnp.sum((c - jnp.eye(c.shape[0], dtype=c.dtype)) ** 2)


def barlow_twins_practical(za: jnp.ndarray, zb: jnp.ndarray, lam: float = 5e-3,
                           eps: float = 1e-5) -> jnp.ndarray:
    r"""Practical Barlow Twins (Zbontar et al. 2021): standardise each embedding dimension over the batch,
    :math:`\mathcal C = \frac1n \hat z_a^\top \hat z_b`, loss
    :math:`\sum_i (1-\mathcal C_{ii})^2 + \lambda\sum_{i\ne j}\mathcal C_{ij}^2`.

    ``eps`` is added to the variance so that a collapsed dimension gives a finite (large) loss, not NaN.

    Args:
        za: the embeddings of the first views, ``(n, d)``, :math:`n\ge2`.
        zb: the embeddings of the second views, ``(n, d)``.
        lam: the off-diagonal weight :math:`\lambda_{\rm BT}\ge0`.
        eps: :math:`>0`, added to each dimension's variance before standardising.

    Returns:
        The loss, a scalar.

    Raises:
        ValueError: if ``za`` and ``zb`` are not 2-D of the same shape with at least 2 rows, or ``lam``/``eps``
            are out of range.
    """
    _check_pair(za, zb)
    check_positive_float("lam", lam, allow_zero=True)
    check_positive_float("eps", eps)

    def standardise(z):
        return (z - z.mean(axis=0)) / jnp.sqrt(z.var(axis=0) + eps)

    n = za.shape[0]
    c = standardise(za).T @ standardise(zb) / n
    on_diag = jnp.sum((1.0 - jnp.diag(c)) ** 2)
    off_diag = jnp.sum(c ** 2) - jnp.sum(jnp.diag(c) ** 2)
    return on_diag + lam * off_diag


def vicreg(za: jnp.ndarray, zb: jnp.ndarray, sim_weight: float = 25.0, var_weight: float = 25.0,
           cov_weight: float = 1.0, gamma: float = 1.0, eps: float = 1e-4) -> jnp.ndarray:
    r"""VICReg (Bardes, Ponce, LeCun 2022): invariance + variance + covariance terms.

    :math:`s\,\frac1n\sum_i\lVert z_i-z_i'\rVert^2
    + v\sum_{z\in\{a,b\}}\frac1d\sum_j \max(0,\gamma-\sqrt{\mathrm{Var}(z_{\cdot j})+\epsilon})
    + c\sum_{z}\frac1d\sum_{j\ne k}\mathrm{Cov}(z)_{jk}^2`,

    with the unbiased (``1/(n-1)``) estimates :math:`\mathrm{Var}(z_{\cdot j}) = \mathrm{Cov}(z)_{jj}`.

    Args:
        za: the embeddings of the first views, ``(n, d)``, :math:`n\ge2`.
        zb: the embeddings of the second views, ``(n, d)``.
        sim_weight: the invariance weight :math:`s\ge0`.
        var_weight: the variance weight :math:`v\ge0`.
        cov_weight: the covariance weight :math:`c\ge0`.
        gamma: the target standard deviation :math:`\gamma\ge0` of every dimension.
        eps: :math:`\epsilon>0`, keeps the square root differentiable at zero variance.

    Returns:
        The loss, a scalar.

    Raises:
        ValueError: if ``za`` and ``zb`` are not 2-D of the same shape with at least 2 rows, or a weight is out
            of range.
    """
    _check_pair(za, zb, power=4)  # Cov(z)^2: products of four embedding entries
    for name, value in (("sim_weight", sim_weight), ("var_weight", var_weight), ("cov_weight", cov_weight),
                        ("gamma", gamma)):
        check_positive_float(name, value, allow_zero=True)
    check_positive_float("eps", eps)
    n, d = za.shape
    invariance = jnp.mean(jnp.sum((za - zb) ** 2, axis=1))

    def variance(z):
        # unbiased variance (ddof=1), as in the paper's reference code: it is the diagonal of Cov(z) below
        return jnp.mean(jax.nn.relu(gamma - jnp.sqrt(z.var(axis=0, ddof=1) + eps)))

    def covariance(z):
        zc = z - z.mean(axis=0)
        cov = zc.T @ zc / (n - 1)
        return (jnp.sum(cov ** 2) - jnp.sum(jnp.diag(cov) ** 2)) / d

    return (sim_weight * invariance + var_weight * (variance(za) + variance(zb))
            + cov_weight * (covariance(za) + covariance(zb)))


def info_nce(za: jnp.ndarray, zb: jnp.ndarray, temperature: float = 0.5,
             similarity: str = "cosine") -> jnp.ndarray:
    r"""SimCLR's InfoNCE / NT-Xent loss over the ``2n`` views (Chen et al. 2020).

    :math:`-\frac1{2n}\sum_a \log\frac{\exp(s(u_a,u_{a^+})/\tau)}{\sum_{b\ne a}\exp(s(u_a,u_b)/\tau)}`
    where ``s`` is the cosine similarity (``similarity="cosine"``) or the plain dot product (``"dot"``).

    Args:
        za: the embeddings of the first views, ``(n, d)``, :math:`n\ge2`; with ``zb`` they are the :math:`2n`
            vectors :math:`u_a`, and the positive :math:`a^+` of view :math:`a` is its partner (:math:`Z`).
        zb: the embeddings of the second views, ``(n, d)``.
        temperature: :math:`\tau>0`.
        similarity: ``"cosine"`` or ``"dot"``.

    Returns:
        The loss, a scalar.

    Raises:
        ValueError: if ``za`` and ``zb`` are not 2-D of the same shape with at least 2 rows, ``temperature``
            is not positive or ``similarity`` is unknown.
    """
    _check_pair(za, zb)
    temperature = check_positive_float("temperature", temperature)
    check_choice("similarity", similarity, ("cosine", "dot"))
    if not (is_traced(za) or is_traced(zb)):
        # the logits s / tau: |s| <= 1 (cosine) or max |u|^2 d (dot) must stay finite in the loss's dtype
        top = 1.0 if similarity == "cosine" else float(max(np.max(np.abs(np.asarray(za, np.float64))),
                                                           np.max(np.abs(np.asarray(zb, np.float64))))) ** 2 * \
            np.shape(za)[1]
        dtype = computing_dtype(np.asarray(za))
        if top / temperature > float(np.finfo(dtype).max) / 16:
            raise ValueError(f"temperature = {temperature:g} makes the logits s/temperature overflow "
                             f"{dtype.name} (|s| up to {top:.3g}): raise temperature")
    u = jnp.concatenate([za, zb], axis=0)
    if similarity == "cosine":
        # eps keeps the normalisation finite for an all-zero embedding (e.g. at zero initialisation).
        u = u / jnp.sqrt(jnp.sum(u ** 2, axis=1, keepdims=True) + 1e-12)
    n2 = u.shape[0]
    logits = u @ u.T / temperature
    logits = jnp.where(jnp.eye(n2, dtype=bool), -jnp.inf, logits)
    n = n2 // 2
    positives = jnp.concatenate([jnp.arange(n, n2), jnp.arange(0, n)])
    log_prob = logits[jnp.arange(n2), positives] - jax.nn.logsumexp(logits, axis=1)
    return -jnp.mean(log_prob)


def spectral_contrastive(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    r"""Spectral contrastive loss (HaoChen et al. 2021), a dot-product contrastive loss:

    :math:`-\frac2n\sum_i z_i^\top z_i' + \frac{1}{n(n-1)}\sum_{i\ne j}(z_i^\top z_j')^2`.
    """
    _check_pair(za, zb, power=4)  # squared Gram entries
    n = za.shape[0]
    positive = jnp.sum(za * zb) / n
    gram = za @ zb.T
    negative = (jnp.sum(gram ** 2) - jnp.sum(jnp.diag(gram) ** 2)) / (n * (n - 1))
    return -2.0 * positive + negative


def squared_error(pred: jnp.ndarray, target: jnp.ndarray) -> jnp.ndarray:
    r"""Supervised squared loss :math:`\frac1N\sum_a\lVert f(x_a)-y_a\rVert^2` (the reference of NTK theory)."""
    _check_values("pred", pred, 2, 4 * max(int(np.prod(np.shape(pred))), 1))
    _check_values("target", target, 2, 4 * max(int(np.prod(np.shape(target))), 1))
    if jnp.shape(pred) != jnp.shape(target):
        raise ValueError(f"pred and target must have the same shape, got {jnp.shape(pred)} and {jnp.shape(target)}")
    if jnp.ndim(pred) < 1:
        raise ValueError(f"pred and target must have one row per point, got shape {jnp.shape(pred)}")
    return jnp.sum((pred - target) ** 2) / pred.shape[0]


def squared_distance_non_contrastive(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    r"""Non-contrastive squared-distance loss :math:`\frac1n\sum_i\lVert z_i-z_i'\rVert^2` (chapter 4)."""
    _check_pair(za, zb)
    return jnp.sum((za - zb) ** 2) / za.shape[0]


def squared_distance_contrastive(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    r"""Contrastive squared-distance loss :math:`\frac1n\sum_i\lVert z_i-z_i'\rVert^2 -
    \frac1{n(n-1)}\sum_{i\ne j}\lVert z_i-z_j'\rVert^2` (positives pulled together, cross-view negatives pushed
    apart)."""
    _check_pair(za, zb)
    n = za.shape[0]
    sq = jnp.sum(za ** 2, axis=1)[:, None] + jnp.sum(zb ** 2, axis=1)[None, :] - 2 * za @ zb.T
    negative = (jnp.sum(sq) - jnp.sum(jnp.diag(sq))) / (n * (n - 1))
    return jnp.sum((za - zb) ** 2) / n - negative


# --------------------------------------------------------------- losses of F given an augmentation graph
def graph_contrastive(f: jnp.ndarray, adjacency: jnp.ndarray) -> jnp.ndarray:
    r"""Spectral-type contrastive loss of the representations :math:`F` (``(N, d)``):
    :math:`\lVert FF^\top - A\rVert_F^2`."""
    _check_graph(f, "adjacency", adjacency, power=4)
    return jnp.sum((f @ f.T - adjacency) ** 2)


def graph_invariance(f: jnp.ndarray, lap: jnp.ndarray) -> jnp.ndarray:
    r"""Invariance term :math:`\operatorname{tr}(F^\top LF) = \tfrac12\sum_{ab}A_{ab}\lVert f_a-f_b\rVert^2`."""
    _check_graph(f, "lap", lap, power=3)
    return jnp.trace(f.T @ lap @ f)


def graph_penalised_non_contrastive(f: jnp.ndarray, lap: jnp.ndarray, penalty: float) -> jnp.ndarray:
    r"""VICReg-like penalised non-contrastive loss
    :math:`\operatorname{tr}(F^\top LF) + \kappa N\lVert\tfrac1NF^\top F-I_d\rVert_F^2`
    (``penalty`` :math:`=\kappa`).

    Args:
        f: the representations :math:`F`, ``(N, d)``.
        lap: the Laplacian :math:`L` of the augmentation graph, ``(N, N)``.
        penalty: :math:`\kappa\ge0`, the weight of the variance penalty (not checked: traced under ``jit``).

    Returns:
        The loss, a scalar.
    """
    _check_graph(f, "lap", lap, power=4)
    if not is_traced(penalty):
        check_positive_float("penalty", penalty, allow_zero=True)
    n, d = f.shape
    cov = f.T @ f / n
    return graph_invariance(f, lap) + penalty * n * jnp.sum((cov - jnp.eye(d, dtype=f.dtype)) ** 2)


def _check_graph(f, name: str, matrix, power: int) -> None:
    # F (N, d) and an (N, N) matrix of the graph; symmetric (an undirected graph) where the values are concrete
    n_entries = max(int(np.prod(np.shape(f))), 1) if not isinstance(f, str) else 1
    _check_values("f", f, power, 4 * n_entries)
    _check_values(name, matrix, power, 4 * n_entries)
    if jnp.ndim(f) != 2:
        raise ValueError(f"f must be a 2-D (N, d) array, got shape {jnp.shape(f)}")
    n = jnp.shape(f)[0]
    if jnp.shape(matrix) != (n, n):
        raise ValueError(f"{name} must be ({n}, {n}), one row and column per row of f, got shape {jnp.shape(matrix)}")
    if not is_traced(matrix):
        m = np.asarray(matrix, dtype=np.float64)
        if np.linalg.norm(m - m.T) > 1e-6 * max(np.linalg.norm(m), np.finfo(float).tiny):
            raise ValueError(f"{name} must be symmetric (the matrix of an undirected augmentation graph)")


SSL_LOSSES: dict[str, Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]] = {
    "barlow_twins": barlow_twins_theory,
    "barlow_twins_practical": barlow_twins_practical,
    "vicreg": vicreg,
    "info_nce": info_nce,
    "spectral_contrastive": spectral_contrastive,
    "squared_distance_contrastive": squared_distance_contrastive,
    "squared_distance_non_contrastive": squared_distance_non_contrastive,
}


def get_ssl_loss(name: str) -> Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]:
    """Look up an SSL loss of the two views' embeddings by its one spelling (a key of ``SSL_LOSSES``)."""
    check_choice("name", name, SSL_LOSSES)
    return SSL_LOSSES[name]


def stacked(pair_loss: Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]) -> Callable[[jnp.ndarray], jnp.ndarray]:
    """A loss of the two views' embeddings as a loss of the stacked outputs ``F = [F_a; F_b]`` (``(2n, d)``)."""
    check_callable("pair_loss", pair_loss)
    return _stacked(pair_loss)


@cache
def _stacked(pair_loss):
    # one object per pair loss: compiled descent programs are cached by it
    def loss(f: jnp.ndarray) -> jnp.ndarray:
        if jnp.ndim(f) != 2 or jnp.shape(f)[0] % 2:
            # a static check (shapes are known under jit): an odd count would pair the wrong rows silently
            raise ValueError(f"f must hold 2n stacked outputs [F_a; F_b] (an even number of rows), got shape "
                             f"{jnp.shape(f)}")
        if not is_traced(f):
            as_finite_array("f", f)  # named as the caller passed it (the pair loss would say za or zb)
        n = f.shape[0] // 2
        return pair_loss(f[:n], f[n:])
    return loss
