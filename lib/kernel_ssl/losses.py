"""Self-supervised (and one supervised) losses on the embeddings of positive pairs.

Every SSL loss takes the embeddings of the two views, ``za`` and ``zb``, each of shape ``(n, d)``
(row ``i`` embeds ``x_i`` and ``x_i'``). They are pure JAX functions, safe under ``jit`` and ``grad``;
only static properties (shapes) are checked, since values are traced there.
"""
from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from .validation import check_choice, check_positive_float


def _check_pair(za: jnp.ndarray, zb: jnp.ndarray) -> None:
    if jnp.ndim(za) != 2 or jnp.ndim(zb) != 2:
        raise ValueError(f"za and zb must be 2-D (n, d) arrays, got shapes {jnp.shape(za)} and {jnp.shape(zb)}")
    if jnp.shape(za) != jnp.shape(zb):
        raise ValueError(f"za and zb must have the same shape, got {jnp.shape(za)} and {jnp.shape(zb)}")
    if jnp.shape(za)[0] < 2:
        raise ValueError(f"za and zb need at least 2 pairs (rows), got {jnp.shape(za)[0]}")


def cross_correlation(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    r"""Symmetrised cross-correlation :math:`C = \frac{1}{2n}\sum_i (z_i z_i'^\top + z_i' z_i^\top)`, shape ``(d, d)``."""
    _check_pair(za, zb)
    n = za.shape[0]
    return (za.T @ zb + zb.T @ za) / (2 * n)


def barlow_twins_theory(za: jnp.ndarray, zb: jnp.ndarray) -> jnp.ndarray:
    r"""Theory form of Barlow Twins: :math:`\mathcal L = \lVert C - I_d\rVert_F^2` (no standardisation, lambda = 1)."""
    c = cross_correlation(za, zb)
    return jnp.sum((c - jnp.eye(c.shape[0], dtype=c.dtype)) ** 2)


def barlow_twins_practical(za: jnp.ndarray, zb: jnp.ndarray, lam: float = 5e-3,
                           eps: float = 1e-5) -> jnp.ndarray:
    r"""Practical Barlow Twins (Zbontar et al. 2021): standardise each embedding dimension over the batch,
    :math:`\mathcal C = \frac1n \hat z_a^\top \hat z_b`, loss :math:`\sum_i (1-\mathcal C_{ii})^2 + \lambda\sum_{i\ne j}\mathcal C_{ij}^2`.

    ``eps`` is added to the variance so that a collapsed dimension gives a finite (large) loss, not NaN.
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

    :math:`s\,\frac1n\sum_i\lVert z_i-z_i'\rVert^2 + v\sum_{z\in\{a,b\}}\frac1d\sum_j \max(0,\gamma-\sqrt{\mathrm{Var}(z_{\cdot j})+\epsilon})
    + c\sum_{z}\frac1d\sum_{j\ne k}\mathrm{Cov}(z)_{jk}^2`,

    with the unbiased (``1/(n-1)``) estimates :math:`\mathrm{Var}(z_{\cdot j}) = \mathrm{Cov}(z)_{jj}`.
    """
    _check_pair(za, zb)
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

    :math:`-\frac1{2n}\sum_a \log\frac{\exp(s(u_a,u_{a^+})/\tau)}{\sum_{b\ne a}\exp(s(u_a,u_b)/\tau)}` where ``s`` is the
    cosine similarity (``similarity="cosine"``) or the plain dot product (``"dot"``).
    """
    _check_pair(za, zb)
    check_positive_float("temperature", temperature)
    check_choice("similarity", similarity, ("cosine", "dot"))
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
    _check_pair(za, zb)
    n = za.shape[0]
    positive = jnp.sum(za * zb) / n
    gram = za @ zb.T
    negative = (jnp.sum(gram ** 2) - jnp.sum(jnp.diag(gram) ** 2)) / (n * (n - 1))
    return -2.0 * positive + negative


def squared_error(pred: jnp.ndarray, target: jnp.ndarray) -> jnp.ndarray:
    r"""Supervised squared loss :math:`\frac1N\sum_a\lVert f(x_a)-y_a\rVert^2` (the reference of NTK theory)."""
    if jnp.shape(pred) != jnp.shape(target):
        raise ValueError(f"pred and target must have the same shape, got {jnp.shape(pred)} and {jnp.shape(target)}")
    return jnp.sum((pred - target) ** 2) / pred.shape[0]


SSL_LOSSES: dict[str, Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]] = {
    "barlow_twins": barlow_twins_theory,
    "barlow_twins_practical": barlow_twins_practical,
    "vicreg": vicreg,
    "info_nce": info_nce,
    "spectral_contrastive": spectral_contrastive,
}


def get_ssl_loss(name: str) -> Callable[[jnp.ndarray, jnp.ndarray], jnp.ndarray]:
    """Look up an SSL loss by name (one of ``SSL_LOSSES``)."""
    check_choice("name", name, SSL_LOSSES)
    return SSL_LOSSES[name]
