"""Unit tests of kernel_ssl.losses against direct NumPy implementations of each loss's definition, its
invariances and known values, shape errors, and finite gradients where the embeddings are tiny or zero."""
import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kernel_ssl import data, losses

# float64: the comparisons with NumPy below are at float64 round-off (rtol 1e-10 allows for the few hundred
# operations each loss performs, each with relative error 1e-16)
jax.config.update("jax_enable_x64", True)
RTOL = 1e-10

RNG = np.random.default_rng(0)
N, D = 7, 3
ZA, ZB = RNG.standard_normal((N, D)), RNG.standard_normal((N, D))


def _random_orthogonal(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def test_cross_correlation_definition():
    expected = sum(np.outer(ZA[i], ZB[i]) + np.outer(ZB[i], ZA[i]) for i in range(N)) / (2 * N)
    np.testing.assert_allclose(losses.cross_correlation(ZA, ZB), expected, rtol=RTOL)


def test_barlow_twins_theory_is_the_stacked_form():
    f = np.concatenate([ZA, ZB])
    z = np.asarray(data.pair_swap_matrix(N, dtype=jnp.float64))
    c = f.T @ z @ f / (2 * N)
    expected = np.sum((c - np.eye(D)) ** 2)
    np.testing.assert_allclose(losses.barlow_twins_theory(ZA, ZB), expected, rtol=RTOL)


def test_barlow_twins_theory_rotation_invariance():
    # C(FU) = U^T C(F) U and ||U^T C U - I||_F = ||C - I||_F for orthogonal U
    u = _random_orthogonal(D, 1)
    np.testing.assert_allclose(losses.barlow_twins_theory(ZA @ u, ZB @ u), losses.barlow_twins_theory(ZA, ZB),
                               rtol=RTOL)
    # ... but not under a non-orthogonal map (the test can tell the difference)
    s = np.diag([1.0, 2.0, 0.5])
    assert not np.isclose(losses.barlow_twins_theory(ZA @ s, ZB @ s), losses.barlow_twins_theory(ZA, ZB))


def test_barlow_twins_theory_zero_at_whitened_aligned_representation():
    q, _ = np.linalg.qr(RNG.standard_normal((N, D)))
    z = np.sqrt(N) * q  # z^T z / n = I_d, and both views are embedded identically
    assert float(losses.barlow_twins_theory(z, z)) < 1e-24
    assert float(losses.barlow_twins_theory(z, -z)) == pytest.approx(4.0 * D)  # C = -I: ||-2I||^2 = 4d


def _np_barlow_twins_practical(za, zb, lam, eps):
    n = za.shape[0]
    za = (za - za.mean(0)) / np.sqrt(za.var(0) + eps)   # batch norm without affine (population variance)
    zb = (zb - zb.mean(0)) / np.sqrt(zb.var(0) + eps)
    c = za.T @ zb / n
    d = c.shape[0]
    return sum((1 - c[i, i]) ** 2 for i in range(d)) + lam * sum(c[i, j] ** 2 for i in range(d)
                                                              for j in range(d) if i != j)


@pytest.mark.parametrize("lam,eps", [(5e-3, 1e-5), (1.0, 1e-3)])
def test_barlow_twins_practical(lam, eps):
    np.testing.assert_allclose(losses.barlow_twins_practical(ZA, ZB, lam, eps),
                               _np_barlow_twins_practical(ZA, ZB, lam, eps), rtol=RTOL)


def _np_vicreg(za, zb, s, v, c, gamma, eps):
    n, d = za.shape
    invariance = np.mean([np.sum((za[i] - zb[i]) ** 2) for i in range(n)])
    total = s * invariance
    for z in (za, zb):
        std = np.sqrt(z.var(axis=0, ddof=1) + eps)
        total += v * np.mean(np.maximum(0.0, gamma - std))
        cov = np.cov(z, rowvar=False)  # unbiased, 1/(n-1)
        total += c * sum(cov[j, k] ** 2 for j in range(d) for k in range(d) if j != k) / d
    return total


@pytest.mark.parametrize("weights", [(25.0, 25.0, 1.0, 1.0, 1e-4), (1.0, 2.0, 3.0, 4.0, 1e-2)])
def test_vicreg(weights):
    # gamma = 4 puts every std below the margin (so the hinge is active); gamma = 1 leaves some above it
    np.testing.assert_allclose(losses.vicreg(ZA, ZB, *weights), _np_vicreg(ZA, ZB, *weights), rtol=RTOL)


def _np_nt_xent(za, zb, tau, similarity):
    u = np.concatenate([za, zb])
    if similarity == "cosine":
        u = u / np.linalg.norm(u, axis=1, keepdims=True)
    n2 = u.shape[0]
    n = n2 // 2
    total = 0.0
    for a in range(n2):
        partner = (a + n) % n2
        numerator = np.exp(u[a] @ u[partner] / tau)
        denominator = sum(np.exp(u[a] @ u[b] / tau) for b in range(n2) if b != a)
        total += -np.log(numerator / denominator)
    return total / n2


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize("tau", [0.5, 0.1])
def test_info_nce(similarity, tau):
    # cosine: the 1e-12 added to squared norms of order 1 changes the loss by O(1e-12 / tau), below RTOL * loss
    np.testing.assert_allclose(losses.info_nce(ZA, ZB, tau, similarity), _np_nt_xent(ZA, ZB, tau, similarity),
                               rtol=RTOL)


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
def test_info_nce_equal_embeddings(similarity):
    # all similarities equal: each term is -log(1 / (2n - 1))
    z = np.tile(np.array([[0.3, -1.2, 0.7]]), (N, 1))
    np.testing.assert_allclose(losses.info_nce(z, z, 0.3, similarity), np.log(2 * N - 1), rtol=RTOL)


def _np_spectral_contrastive(za, zb):
    n = za.shape[0]
    positive = -2.0 / n * sum(za[i] @ zb[i] for i in range(n))
    negative = sum((za[i] @ zb[j]) ** 2 for i, j in itertools.permutations(range(n), 2)) / (n * (n - 1))
    return positive + negative


def test_spectral_contrastive():
    np.testing.assert_allclose(losses.spectral_contrastive(ZA, ZB), _np_spectral_contrastive(ZA, ZB), rtol=RTOL)


def test_squared_error():
    y = RNG.standard_normal((N, D))
    np.testing.assert_allclose(losses.squared_error(ZA, y), np.sum((ZA - y) ** 2) / N, rtol=RTOL)
    assert float(losses.squared_error(y, y)) == 0.0
    with pytest.raises(ValueError, match=r"pred and target must have the same shape"):
        losses.squared_error(ZA, y[:, :2])


def test_get_ssl_loss():
    for name, fn in losses.SSL_LOSSES.items():
        assert losses.get_ssl_loss(name) is fn
    with pytest.raises(ValueError, match=r"name must be one of"):
        losses.get_ssl_loss("byol")


@pytest.mark.parametrize("fn", list(losses.SSL_LOSSES.values()), ids=list(losses.SSL_LOSSES))
def test_shape_errors(fn):
    with pytest.raises(ValueError, match=r"za and zb must be 2-D"):
        fn(ZA[:, 0], ZB[:, 0])
    with pytest.raises(ValueError, match=r"za and zb must have the same shape"):
        fn(ZA, ZB[:-1])
    with pytest.raises(ValueError, match=r"za and zb need at least 2 pairs"):
        fn(ZA[:1], ZB[:1])


@pytest.mark.parametrize("call,pattern", [
    (lambda: losses.barlow_twins_practical(ZA, ZB, lam=-1.0), r"lam must be a finite number >= 0"),
    (lambda: losses.barlow_twins_practical(ZA, ZB, eps=0.0), r"eps must be a finite number > 0"),
    (lambda: losses.info_nce(ZA, ZB, temperature=0.0), r"temperature must be a finite number > 0"),
    (lambda: losses.info_nce(ZA, ZB, similarity="l2"), r"similarity must be one of \('cosine', 'dot'\)"),
    (lambda: losses.vicreg(ZA, ZB, sim_weight=-1.0), r"sim_weight must be a finite number >= 0"),
    (lambda: losses.vicreg(ZA, ZB, gamma=np.nan), r"gamma must be a finite number >= 0"),
    (lambda: losses.vicreg(ZA, ZB, eps=0.0), r"eps must be a finite number > 0"),
])
def test_bad_hyperparameters(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call()


@pytest.mark.parametrize("name", list(losses.SSL_LOSSES))
@pytest.mark.parametrize("scale", [0.0, 1e-10])
def test_gradients_finite_at_tiny_embeddings(name, scale):
    # at zero initialisation every embedding is 0: the eps in the practical Barlow Twins standardisation, in
    # VICReg's std and in InfoNCE's cosine normalisation keep the gradient finite there
    fn = losses.get_ssl_loss(name)
    za, zb = scale * ZA, scale * ZB
    value, grads = jax.value_and_grad(lambda a, b: fn(a, b), argnums=(0, 1))(za, zb)
    assert np.isfinite(float(value))
    for g in grads:
        assert np.all(np.isfinite(np.asarray(g)))


@pytest.mark.parametrize("name", list(losses.SSL_LOSSES))
def test_gradient_matches_finite_differences(name):
    # central differences have error O(h^2 * f''') ~ 1e-10 at h = 1e-5; 1e-6 relative leaves a wide margin
    fn = losses.get_ssl_loss(name)
    grad = np.asarray(jax.grad(fn)(ZA, ZB))
    direction = RNG.standard_normal(ZA.shape)
    h = 1e-5
    numeric = (float(fn(ZA + h * direction, ZB)) - float(fn(ZA - h * direction, ZB))) / (2 * h)
    np.testing.assert_allclose(np.sum(grad * direction), numeric, rtol=1e-6)
