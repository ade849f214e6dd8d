r"""Linear algebra that every chapter shares, each idea once: descending eigendecompositions, PSD roots, the
nearest rank-:math:`d` PSD part, Gram factorisations for solves, and subspaces (projectors, one distance,
principal angles).

Everything here is NumPy in float64 (eigendecompositions lose digits in float32); callers may pass JAX arrays.
Subspaces are given by a basis in the **columns** of an ``(m, k)`` array (the span of :math:`F\in\mathbb R^{N\times d}`
is its column space; for a weight matrix :math:`W\in\mathbb R^{d\times m}` pass :math:`W^\top`). Public functions
check their arguments once; the private cores (``_name``) assume checked input.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.linalg

from .validation import as_finite_array, check_positive_float, check_positive_int, check_str, check_symmetric

# Eigenvalues of a float64 Gram matrix carry errors of order N * eps * ||K|| (about 1e-13 relative for N = 1000):
# an eigenvalue below -PSD_RTOL * lambda_max is far beyond round-off and the matrix is not a kernel matrix;
# |eigenvalues| below RANK_RTOL * lambda_max are treated as zero (the null space of a centred kernel).
PSD_RTOL = 1e-8
RANK_RTOL = 1e-10
# Solving with a matrix of condition number above 1e12 loses more than 12 of float64's 16 digits.
MAX_CONDITION = 1e12


# ------------------------------------------------------------------------------------------ eigenvalues
def _descending_eigh(sym: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, v = np.linalg.eigh((sym + sym.T) / 2)
    return w[::-1].copy(), v[:, ::-1].copy()


def descending_eigh(matrix) -> tuple[np.ndarray, np.ndarray]:
    r"""Eigenvalues :math:`\lambda_1\ge\lambda_2\ge\dots` and orthonormal eigenvectors (columns) of a symmetric
    matrix, in float64."""
    return _descending_eigh(check_symmetric("matrix", matrix).astype(np.float64))


def _psd_spectrum(name: str, matrix, psd_rtol: float) -> tuple[np.ndarray, np.ndarray]:
    k = check_symmetric(name, matrix).astype(np.float64)
    w, u = np.linalg.eigh((k + k.T) / 2)
    top = float(w[-1])
    if top <= 0:
        raise ValueError(f"{name} must have a positive eigenvalue (it is zero or negative semi-definite)")
    if w[0] < -psd_rtol * top:
        raise ValueError(f"{name} is not positive semi-definite: smallest eigenvalue {w[0]:.3e} < "
                         f"-{psd_rtol:g} * largest ({top:.3e})")
    return w, u


def psd_sqrt(matrix, psd_rtol: float = PSD_RTOL, name: str = "matrix") -> tuple[np.ndarray, np.ndarray]:
    r""":math:`K^{1/2}` and the pseudo-inverse root :math:`K^{+1/2}` (on the range of :math:`K`) of a PSD matrix.

    Eigenvalues below ``RANK_RTOL`` times the largest count as zero (a centred or rank-deficient kernel): both
    roots vanish on that null space, so :math:`K^{1/2}K^{+1/2} = \Pi`, the projector onto the range of :math:`K`.
    Raises ``ValueError`` if ``matrix`` is not symmetric, or has an eigenvalue below ``-psd_rtol`` times the largest;
    the message names the caller's argument ``name`` (e.g. ``"kernel"``).
    """
    check_str("name", name)
    psd_rtol = check_positive_float("psd_rtol", psd_rtol)
    w, u = _psd_spectrum(name, matrix, psd_rtol)
    keep = w > RANK_RTOL * w[-1]
    root = np.sqrt(np.where(keep, w, 0.0))
    inv_root = np.where(keep, 1.0 / np.where(keep, root, 1.0), 0.0)
    return (u * root) @ u.T, (u * inv_root) @ u.T


def range_projector(matrix, psd_rtol: float = PSD_RTOL, name: str = "matrix") -> np.ndarray:
    r""":math:`\Pi`, the orthogonal projector onto the range of a PSD matrix (eigenvalues above ``RANK_RTOL``
    times the largest); errors as in :func:`psd_sqrt`."""
    check_str("name", name)
    psd_rtol = check_positive_float("psd_rtol", psd_rtol)
    w, u = _psd_spectrum(name, matrix, psd_rtol)
    keep = u[:, w > RANK_RTOL * w[-1]]
    return keep @ keep.T


def top_psd_part(matrix, d: int) -> np.ndarray:
    r"""Nearest PSD matrix of rank at most ``d`` in Frobenius norm (Eckart-Young for symmetric matrices):
    :math:`[C]_d=\sum_{i\le d}\max(c_i,0)u_iu_i^\top`, :math:`c_1\ge c_2\ge\dots` the eigenvalues of ``matrix``.

    Unique iff :func:`top_part_is_unique`; otherwise this returns one of the minimisers (the basis ``eigh`` picks).
    """
    c = check_symmetric("matrix", matrix).astype(np.float64)
    d = check_positive_int("d", d, maximum=c.shape[0])
    w, u = _descending_eigh(c)
    return (u[:, :d] * np.maximum(w[:d], 0.0)) @ u[:, :d].T


def top_part_is_unique(matrix, d: int, rtol: float = 1e-9) -> bool:
    r""":math:`[C]_d` is unique iff :math:`c_d > c_{d+1}` or :math:`c_{d+1}\le 0` (ties decided up to ``rtol``
    times the largest :math:`|c_i|`).

    Args:
        matrix: the symmetric matrix :math:`C` (``(m, m)``).
        d: the rank, ``1..m`` (``d = m`` is always unique).
        rtol: :math:`>0`, the relative tolerance below which two eigenvalues count as tied (or one as zero).

    Returns:
        Whether :func:`top_psd_part` of ``matrix`` and ``d`` is the unique minimiser.
    """
    c = check_symmetric("matrix", matrix).astype(np.float64)
    d = check_positive_int("d", d, maximum=c.shape[0])
    rtol = check_positive_float("rtol", rtol)
    if d == c.shape[0]:
        return True
    w = _descending_eigh(c)[0]
    scale = max(float(np.abs(w).max()), np.finfo(float).tiny)
    return bool(w[d] <= rtol * scale or w[d - 1] - w[d] > rtol * scale)


# ------------------------------------------------------------------------------------------ Gram factor
class GramFactor(NamedTuple):
    r"""Eigendecomposition of :math:`K + \epsilon I` (``jitter`` :math:`\epsilon`), used for every solve."""

    eigenvalues: np.ndarray   # ascending, all > 0
    eigenvectors: np.ndarray
    jitter: float

    @property
    def n(self) -> int:
        """The size :math:`N` of the factored matrix (the number of training points)."""
        return int(self.eigenvalues.shape[0])

    @property
    def condition_number(self) -> float:
        r"""Condition number :math:`\lambda_{\max}/\lambda_{\min}` of :math:`K+\epsilon I`."""
        return float(self.eigenvalues[-1] / self.eigenvalues[0])

    def solve(self, rhs) -> np.ndarray:
        r""":math:`(K+\epsilon I)^{-1}\,\mathrm{rhs}` for ``rhs`` of shape ``(N,)`` or ``(N, k)``."""
        return _eigen_solve(self.eigenvalues, self.eigenvectors, self.n, rhs)

    def inverse(self) -> np.ndarray:
        r""":math:`(K+\epsilon I)^{-1}` (symmetric)."""
        return _eigen_inverse(self.eigenvalues, self.eigenvectors)


def _eigen_solve(values: np.ndarray, vectors: np.ndarray, n: int, rhs) -> np.ndarray:
    r""":math:`U\operatorname{diag}(w)^{-1}U^\top\mathrm{rhs}` for a factor :math:`U\operatorname{diag}(w)U^\top` of an
    ``(n, n)`` matrix (``vectors`` ``(n, r)``, ``values`` ``(r,)`` all positive): the inverse, or on the range the
    pseudo-inverse; ``rhs`` of shape ``(n,)`` or ``(n, k)``."""
    r = as_finite_array("rhs", rhs).astype(np.float64)
    if r.shape[0] != n:
        raise ValueError(f"rhs must have {n} rows (one per training point), got shape {r.shape}")
    coef = vectors.T @ r
    return vectors @ (coef / (values if r.ndim == 1 else values[:, None]))


def _eigen_inverse(values: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    r""":math:`U\operatorname{diag}(w)^{-1}U^\top`, symmetric (see :func:`_eigen_solve`)."""
    return (vectors / values) @ vectors.T


def factor_gram(gram, jitter: float = 0.0, psd_rtol: float = PSD_RTOL,
                max_condition: float = MAX_CONDITION) -> GramFactor:
    r"""Check a Gram matrix and factor :math:`K + \epsilon I` for solves (``jitter`` :math:`=\epsilon \ge 0`).

    Args:
        gram: the symmetric PSD Gram matrix :math:`K` (``(N, N)``).
        jitter: :math:`\epsilon\ge0` added to the diagonal (never added silently).
        psd_rtol: eigenvalues below ``-psd_rtol`` times the largest mean "not positive semi-definite".
        max_condition: largest condition number of :math:`K+\epsilon I` accepted.

    Returns:
        A :class:`GramFactor`. Raises ``ValueError`` for a matrix that is not symmetric PSD, or is too
        ill-conditioned (then pass a larger ``jitter``).
    """
    jitter = check_positive_float("jitter", jitter, allow_zero=True)
    psd_rtol = check_positive_float("psd_rtol", psd_rtol)
    max_condition = check_positive_float("max_condition", max_condition)
    w, u = _psd_spectrum("gram", gram, psd_rtol)
    wj = w + jitter
    if wj[0] <= wj[-1] / max_condition:
        raise ValueError(f"gram + jitter * I is ill-conditioned (smallest eigenvalue {wj[0]:.3e}, largest "
                         f"{wj[-1]:.3e}, condition number above max_condition = {max_condition:g}); "
                         f"pass jitter > 0, e.g. jitter = {1e-10 * wj[-1]:.1e}")
    return GramFactor(wj, u, jitter)


# ------------------------------------------------------------------------------------------ subspaces
def _orthonormal_basis(name: str, basis: np.ndarray) -> np.ndarray:
    # (..., m, k) -> orthonormal columns spanning the same space; refuses a rank-deficient basis, which would
    # silently give a projector of lower rank than the caller's k
    u, s, _ = np.linalg.svd(basis, full_matrices=False)
    top = np.maximum(s[..., :1], np.finfo(float).tiny)
    if np.any(s[..., -1:] <= RANK_RTOL * top):
        raise ValueError(f"{name} must have linearly independent columns (its {basis.shape[-1]} columns span a "
                         f"subspace of lower dimension)")
    return u


def orthonormal_basis(basis) -> np.ndarray:
    """An orthonormal basis (columns, ``(m, k)``, or a stack ``(..., m, k)``) of the column space of ``basis``."""
    return _checked_basis("basis", basis)


def _checked_basis(name: str, basis) -> np.ndarray:
    # checks and orthonormalises, the errors naming the caller's argument
    b = as_finite_array(name, basis).astype(np.float64)
    if b.ndim < 2 or b.shape[-1] > b.shape[-2]:
        raise ValueError(f"{name} must be (m, k) with k <= m, or a stack (..., m, k), got shape {b.shape}")
    return _orthonormal_basis(name, b)


def projector(basis) -> np.ndarray:
    r"""Orthogonal projector :math:`P = Q Q^\top` onto the column space of ``basis`` (``(m, k)`` or a stack
    ``(..., m, k)``, full column rank), ``(..., m, m)``. Basis-independent: this is how subspaces are compared."""
    q = orthonormal_basis(basis)
    return q @ np.swapaxes(q, -1, -2)


def projector_distance(p, q) -> np.ndarray:
    r"""The book's subspace distance, :math:`\lVert P-Q\rVert_F/\sqrt{2k}\in[0,1]` between rank-:math:`k`
    projectors (over the last two axes; 0: the same subspace, 1: orthogonal subspaces).

    With :math:`\theta_i` the principal angles, :math:`\lVert P-Q\rVert_F^2 = 2\sum_i\sin^2\theta_i`, so the
    distance is the root-mean-square sine of the principal angles.
    """
    pa = as_finite_array("p", p).astype(np.float64)
    qa = as_finite_array("q", q).astype(np.float64)
    if pa.shape != qa.shape or pa.ndim < 2 or pa.shape[-1] != pa.shape[-2]:
        raise ValueError(f"p and q must be square projectors of the same shape, got {pa.shape} and {qa.shape}")
    rank = np.trace(pa, axis1=-2, axis2=-1)
    if np.any(rank < 0.5) or np.any(np.abs(np.trace(qa, axis1=-2, axis2=-1) - rank) > 1e-6 * np.maximum(rank, 1)):
        raise ValueError("p and q must be projectors of the same rank >= 1 (their traces differ or vanish)")
    # a projector's trace is its rank, an integer: anything else (a basis, a kernel) would give a meaningless
    # "distance" (cheap: O(m) per matrix; idempotence would cost O(m^3))
    if np.any(np.abs(rank - np.round(rank)) > 1e-4 * np.maximum(rank, 1)):
        raise ValueError(f"p and q must be orthogonal projectors (an integer trace, the rank), got trace "
                         f"{np.ravel(rank)[0]:.6g}: pass projector(basis), not the basis or a kernel")
    return np.linalg.norm(pa - qa, axis=(-2, -1)) / np.sqrt(2 * rank)


def subspace_distance(a, b) -> np.ndarray:
    r""":func:`projector_distance` between the column spaces of two bases of the same shape ``(..., m, k)``."""
    qa, qb = _checked_basis("a", a), _checked_basis("b", b)
    if qa.shape != qb.shape:
        raise ValueError(f"a and b must be bases of the same shape (..., m, k), got {np.shape(a)} and {np.shape(b)}")
    return projector_distance(qa @ np.swapaxes(qa, -1, -2), qb @ np.swapaxes(qb, -1, -2))


def subspace_overlap(a, b) -> float:
    r"""Mean squared cosine of the principal angles between the column spaces of ``a`` and ``b`` (``(N, k)``):
    :math:`\lVert Q_a^\top Q_b\rVert_F^2/k = 1 - \text{distance}^2\in[0,1]` (1: the same subspace)."""
    qa, qb = _checked_basis("a", a), _checked_basis("b", b)
    if qa.ndim != 2 or qa.shape != qb.shape:
        raise ValueError(f"a and b must be bases (m, k) of the same shape, got {qa.shape} and {qb.shape}")
    return float(np.sum((qa.T @ qb) ** 2) / qa.shape[1])


def principal_angles(a, b) -> np.ndarray:
    """Principal angles (descending, radians) between the column spaces of ``a`` (``(m, k)`` or a stack
    ``(T, m, k)``) and ``b`` (``(m, l)``), from ``scipy.linalg.subspace_angles``; ``(min(k, l),)`` or ``(T, ...)``."""
    aa = as_finite_array("a", a).astype(np.float64)
    ba = as_finite_array("b", b, ndim=2).astype(np.float64)
    if aa.ndim not in (2, 3) or aa.shape[-2] != ba.shape[0]:
        raise ValueError(f"a must be ({ba.shape[0]}, k) or (T, {ba.shape[0]}, k), got shape {aa.shape}")
    stack = aa[None] if aa.ndim == 2 else aa
    out = np.stack([scipy.linalg.subspace_angles(at, ba) for at in stack])
    return out[0] if aa.ndim == 2 else out


def relative_frobenius_error(estimate, reference) -> float:
    r""":math:`\lVert \hat K - K\rVert_F / \lVert K\rVert_F` (arrays of any equal shape)."""
    est = as_finite_array("estimate", estimate).astype(np.float64)
    ref = as_finite_array("reference", reference).astype(np.float64)
    if est.shape != ref.shape:
        raise ValueError(f"estimate and reference must have the same shape, got {est.shape} and {ref.shape}")
    denom = np.linalg.norm(ref)
    if denom == 0:
        raise ValueError("reference must be non-zero (its norm is the denominator)")
    return float(np.linalg.norm(est - ref) / denom)
