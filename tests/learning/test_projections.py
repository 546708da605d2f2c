"""Projections to two numbers and the two measures of how far apart the classes are."""

import numpy as np
import pytest

from mnist_app.errors import UserError
from mnist_app.learning import projections


def blobs(n=200, width=16, distance=50.0, seed=0):
    """Two tight blobs of points far apart, labelled by blob: every measure's answer is known."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) // 2) % 2  # each class among both the voters (even) and the asked (odd)
    features = rng.normal(size=(n, width)).astype(np.float32)
    features[:, 0] += labels * distance
    return features, labels


def test_two_far_apart_blobs_are_told_apart_perfectly():
    features, labels = blobs()
    assert projections.knn_accuracy(features, labels) == 1.0
    assert projections.silhouette(features, labels) > 0.8


def test_mixed_classes_measure_near_chance():
    rng = np.random.default_rng(1)
    features, labels = rng.normal(size=(400, 8)), rng.integers(0, 2, 400)
    assert 0.3 < projections.knn_accuracy(features, labels) < 0.7
    assert abs(projections.silhouette(features, labels)) < 0.1


def test_one_class_has_no_silhouette_and_few_voters_still_vote():
    features, labels = blobs(n=6)
    assert projections.silhouette(features, np.zeros(6, int)) == 0.0
    assert projections.knn_accuracy(features, labels) == 1.0


def test_pca_gives_a_point_per_digit_and_places_a_new_one_by_the_same_formula():
    features, labels = blobs(n=100)
    points, placer = projections.pca(features)
    assert points.shape == (100, 2) and points.dtype == np.float32
    assert np.allclose(projections.place_with(placer, features[:3]), points[:3], atol=1e-4)
    # The blobs differ along the first direction, which is turned to point the same way every time.
    assert abs(points[labels == 1, 0].mean() - points[labels == 0, 0].mean()) > 40
    again, _ = projections.pca(features.copy())
    assert np.array_equal(points, again)


def test_pca_of_a_layer_of_one_number_is_a_line():
    points, _ = projections.pca(np.arange(30, dtype=np.float32)[:, None])
    assert points.shape == (30, 2) and np.all(points[:, 1] == 0)


@pytest.fixture(scope="module", params=["tsne", "umap"])
def fitted(request):
    """One real t-SNE and one real UMAP fit of the two blobs, shared by the tests below."""
    features, labels = blobs(n=120)
    reported: list = []
    fit = projections.tsne_map if request.param == "tsne" else projections.umap_map
    points, placer = fit(features, lambda fraction, words: reported.append((fraction, words)))
    return features, labels, points, placer, reported


def test_tsne_and_umap_draw_every_digit_and_report_progress(fitted):
    _, labels, points, _, reported = fitted
    assert points.shape == (120, 2) and points.dtype == np.float32 and np.isfinite(points).all()
    assert projections.knn_accuracy(points, labels) == 1.0
    fractions = [fraction for fraction, _ in reported]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) > 3


def test_tsne_and_umap_place_a_new_digit_among_its_class_leaving_the_map_as_drawn(fitted):
    features, labels, points, placer, _ = fitted
    before = np.array(placer, copy=True) if not hasattr(placer, "embedding_") else placer.embedding_.copy()
    centres = np.array([points[labels == label].mean(axis=0) for label in (0, 1)])
    for index in (0, 2):  # one digit at a time, as a stroke places it
        placed = projections.place_with(placer, features[index : index + 1] + 0.1)
        assert placed.shape == (1, 2) and placed.dtype == np.float32 and np.isfinite(placed).all()
        assert np.argmin(((centres - placed[0]) ** 2).sum(axis=1)) == labels[index]
    after = np.asarray(placer) if not hasattr(placer, "embedding_") else placer.embedding_
    assert np.array_equal(before, after), "placing moves no digit of the map"


def test_damaged_numbers_are_refused():
    with pytest.raises(UserError, match="NaN"):
        projections.check_features(np.array([[np.nan, 1.0]]), "layer 'dense'")


def test_tsne_lays_out_a_layer_of_one_number_and_refuses_one_that_never_changes():
    rng = np.random.default_rng(0)
    points, _ = projections.tsne_map(rng.normal(size=(60, 1)))
    assert points.shape == (60, 2) and np.isfinite(points).all()
    with pytest.raises(UserError, match="same numbers"):
        projections.tsne_map(np.ones((60, 5)))
