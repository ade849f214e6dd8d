"""Unit tests of kernel_ssl.linalg against closed forms and scipy: roots, the nearest rank-d PSD part (Eckart-Young),
the Gram factor, projectors, the subspace distance and principal angles. Tolerances are float64 round-off
(1e-12 relative) unless a comment derives another."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from kernel_ssl import linalg

RNG = np.random.default_rng(0)


def _psd(n: int, rank: int | None = None) -> np.ndarray:
    g = RNG.standard_normal((n, rank or n))
    return g @ g.T


def test_descending_eigh_reconstructs_and_orders():
    s = _psd(6) - 3 * np.eye(6)
    w, v = linalg.descending_eigh(s)
    assert np.all(np.diff(w) <= 0)
    np.testing.assert_allclose((v * w) @ v.T, s, atol=1e-12 * np.abs(s).max())


def test_psd_sqrt_roots_and_pseudo_inverse_on_rank_deficient():
    k = _psd(7, rank=4)
    root, inv_root = linalg.psd_sqrt(k)
    np.testing.assert_allclose(root @ root, k, atol=1e-10 * np.abs(k).max())
    np.testing.assert_allclose(root, scipy.linalg.sqrtm(k).real, atol=1e-6 * np.abs(root).max())  # sqrtm is less exact
    # on the range of K the two roots are inverse to each other: K^(1/2) K^(+1/2) = Pi
    np.testing.assert_allclose(root @ inv_root, linalg.range_projector(k), atol=1e-9)
    assert np.isclose(np.trace(linalg.range_projector(k)), 4)


@pytest.mark.parametrize("bad, message", [(-np.eye(3), "positive eigenvalue"),
                                           (np.diag([1.0, -0.5, 0.2]), "not positive semi-definite"),
                                           (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric")])
def test_psd_sqrt_rejects(bad, message):
    with pytest.raises(ValueError, match=message):
        linalg.psd_sqrt(bad)


def test_top_psd_part_is_the_eckart_young_minimiser():
    c = RNG.standard_normal((6, 6))
    c = c + c.T
    d = 3
    best = linalg.top_psd_part(c, d)
    assert np.linalg.matrix_rank(best, tol=1e-9) <= d
    assert np.linalg.eigvalsh(best).min() > -1e-12
    # no random rank-d PSD matrix is closer to c
    for _ in range(200):
        g = RNG.standard_normal((6, d))
        cand = g @ g.T * RNG.uniform(0.1, 3)
        assert np.linalg.norm(c - best) <= np.linalg.norm(c - cand) + 1e-12


def test_top_part_uniqueness():
    assert linalg.top_part_is_unique(np.diag([3.0, 2.0, 1.0]), 2)
    assert not linalg.top_part_is_unique(np.diag([3.0, 2.0, 2.0]), 2)
    assert linalg.top_part_is_unique(np.diag([3.0, -1.0, -1.0]), 2)   # c_(d+1) <= 0: the part is unique


def test_gram_factor_solves_and_refuses_ill_conditioned():
    k = _psd(5) + 0.1 * np.eye(5)
    f = linalg.factor_gram(k)
    rhs = RNG.standard_normal((5, 2))
    np.testing.assert_allclose(k @ f.solve(rhs), rhs, atol=1e-10)
    np.testing.assert_allclose(f.inverse() @ k, np.eye(5), atol=1e-10)
    with pytest.raises(ValueError, match="ill-conditioned"):
        linalg.factor_gram(_psd(5, rank=2))
    assert linalg.factor_gram(_psd(5, rank=2), jitter=1e-3).jitter == 1e-3


def test_projector_distance_equals_rms_sine_of_principal_angles():
    a, b = RNG.standard_normal((8, 3)), RNG.standard_normal((8, 3))
    angles = linalg.principal_angles(a, b)
    np.testing.assert_allclose(angles, scipy.linalg.subspace_angles(a, b), atol=1e-12)
    dist = linalg.subspace_distance(a, b)
    np.testing.assert_allclose(dist, np.sqrt(np.mean(np.sin(angles) ** 2)), atol=1e-12)
    np.testing.assert_allclose(linalg.subspace_overlap(a, b), 1 - dist ** 2, atol=1e-12)
    # invariant to a change of basis; 0 for the same subspace, 1 for orthogonal ones
    mix = RNG.standard_normal((3, 3))
    assert linalg.subspace_distance(a, a @ mix) < 1e-12
    e = np.eye(4)
    assert np.isclose(linalg.subspace_distance(e[:, :2], e[:, 2:]), 1.0)


def test_projector_batches_and_rejects_rank_deficient_basis():
    stack = RNG.standard_normal((4, 6, 2))
    p = linalg.projector(stack)
    assert p.shape == (4, 6, 6)
    np.testing.assert_allclose(p @ p, p, atol=1e-12)
    np.testing.assert_allclose(np.trace(p, axis1=1, axis2=2), 2.0)
    deficient = np.column_stack([stack[0, :, 0], 2 * stack[0, :, 0]])
    with pytest.raises(ValueError, match="linearly independent"):
        linalg.projector(deficient)
    with pytest.raises(ValueError, match="same rank"):
        linalg.projector_distance(linalg.projector(stack[0]), linalg.projector(stack[0, :, :1]))


def test_relative_frobenius_error():
    assert linalg.relative_frobenius_error(np.array([1.0, 1.0]), np.array([1.0, 0.0])) == 1.0
    with pytest.raises(ValueError, match="non-zero"):
        linalg.relative_frobenius_error(np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="same shape"):
        linalg.relative_frobenius_error(np.ones(2), np.ones(3))


def test_psd_errors_name_the_callers_argument():
    with pytest.raises(ValueError, match=r"^kernel "):
        linalg.psd_sqrt(-np.eye(3), name="kernel")
    with pytest.raises(ValueError, match=r"^gram "):
        linalg.range_projector(np.diag([1.0, -0.5]), name="gram")
