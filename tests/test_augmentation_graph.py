"""Unit tests of kernel_ssl.augmentation_graph: the graph of views, its spectrum in closed form, bad input."""
import numpy as np
import pytest

from kernel_ssl import augmentation_graph as ag


def test_group_labels_image_major():
    assert ag.group_labels(3, 2).tolist() == [0, 0, 1, 1, 2, 2]


def test_adjacency_links_views_of_one_source_only():
    g = ag.group_labels(3, 4)
    a = ag.adjacency_from_groups(g)
    assert a.shape == (12, 12)
    assert np.all(np.diag(a) == 0)
    for i in range(12):
        for j in range(12):
            assert a[i, j] == float(g[i] == g[j] and i != j)
    loops = ag.adjacency_from_groups(g, self_loops=True)
    np.testing.assert_array_equal(loops, a + np.eye(12))


@pytest.mark.parametrize("n_images,n_views", [(5, 2), (4, 3), (3, 6)])
def test_spectrum_in_closed_form(n_images, n_views):
    # A: v-1 on the group indicators (multiplicity G), -1 on the within-group contrasts; L = D - A: 0 and v
    a = ag.adjacency_from_groups(ag.group_labels(n_images, n_views))
    n = n_images * n_views
    wa = np.linalg.eigvalsh(a)
    expected_a = np.sort([n_views - 1.0] * n_images + [-1.0] * (n - n_images))
    np.testing.assert_allclose(wa, expected_a, atol=1e-12)
    wl = np.linalg.eigvalsh(ag.laplacian(a))
    expected_l = np.sort([0.0] * n_images + [float(n_views)] * (n - n_images))
    np.testing.assert_allclose(wl, expected_l, atol=1e-12)
    assert ag.n_components(a) == n_images


def test_laplacian_quadratic_form():
    rng = np.random.default_rng(0)
    w = rng.random((6, 6))
    a = (w + w.T) * (1 - np.eye(6))
    lap = ag.laplacian(a)
    z = rng.standard_normal(6)
    direct = 0.5 * sum(a[i, j] * (z[i] - z[j]) ** 2 for i in range(6) for j in range(6))
    np.testing.assert_allclose(z @ lap @ z, direct, rtol=1e-12)
    np.testing.assert_allclose(lap @ np.ones(6), 0, atol=1e-12)
    np.testing.assert_allclose(ag.degree(a), a.sum(axis=1))


def test_group_projector():
    g = ag.group_labels(3, 4)
    p = ag.group_projector(g)
    np.testing.assert_allclose(p @ p, p, atol=1e-12)
    assert np.isclose(np.trace(p), 3)
    # [A]_G = (v - 1) P_G: the group indicators carry the positive eigenvalue v - 1
    a = ag.adjacency_from_groups(g)
    np.testing.assert_allclose(a @ p, 3 * p, atol=1e-12)


def test_bad_adjacency():
    with pytest.raises(ValueError, match="adjacency must be symmetric"):
        ag.check_adjacency(np.triu(np.ones((3, 3))))
    with pytest.raises(ValueError, match="adjacency must be square"):
        ag.check_adjacency(np.ones((3, 4)))
    with pytest.raises(ValueError, match="adjacency must have non-negative"):
        ag.check_adjacency(-np.ones((3, 3)))
    with pytest.raises(ValueError, match="adjacency must be 4 x 4"):
        ag.check_adjacency(np.ones((3, 3)), n_points=4)
    with pytest.raises(ValueError, match="adjacency must contain only finite"):
        ag.laplacian(np.full((2, 2), np.nan))


def test_bad_groups_and_sizes():
    with pytest.raises(TypeError, match="groups must hold integer"):
        ag.adjacency_from_groups(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="groups must be a 1-D"):
        ag.adjacency_from_groups(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="n_views must be at least 1"):
        ag.group_labels(3, 0)
    with pytest.raises(TypeError, match="self_loops must be True or False"):
        ag.adjacency_from_groups(np.array([0, 0]), self_loops=1)


def test_knn_adjacency_adds_symmetric_edges_between_sources():
    rng = np.random.default_rng(0)
    groups = ag.group_labels(3, 2)
    x = rng.standard_normal((6, 4))
    a = ag.knn_adjacency(x, groups, 1, 0.5)
    np.testing.assert_allclose(a, a.T)
    assert np.all(np.diag(a) == 0)
    same = groups[:, None] == groups[None, :]
    np.testing.assert_allclose(a[same & ~np.eye(6, dtype=bool)], 1.0)   # the cliques are kept
    cross = a[~same]
    assert set(np.unique(cross)) <= {0.0, 0.5} and np.all((a * ~same > 0).sum(axis=1) >= 1)
    # each point's nearest view of another source is among its neighbour edges
    d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
    d2[same] = np.inf
    assert all(a[i, np.argmin(d2[i])] == 0.5 for i in range(6))
    with pytest.raises(ValueError, match="n_neighbours must be at least 1 and at most 4"):
        ag.knn_adjacency(x, groups, 5, 0.5)
    with pytest.raises(ValueError, match="weight"):
        ag.knn_adjacency(x, groups, 1, 0.0)
