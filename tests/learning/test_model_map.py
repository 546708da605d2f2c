"""Maps of the test digits at each layer: their shapes, the disk cache, your digit on the map,
and the classes pulling apart from the pixels to the last hidden layer."""

from dataclasses import replace

import numpy as np
import pytest

from mnist_app.errors import UserError
from mnist_app.learning import map_cache, model_map, projections
from mnist_app.learning.model_map import MapLayer, compute_map, map_key, map_layers, place, separation


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A maps cache of this test's own, and nothing remembered in memory from another test."""
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(tmp_path / "cache"))
    model_map.forget_all()
    return tmp_path / "cache" / "maps"


def refuse(*args, **kwargs):
    raise AssertionError("computed again")


@pytest.fixture(scope="module")
def mlp(trained_mlp):
    return trained_mlp.model


def test_the_layers_are_the_pixels_each_layer_that_changes_the_numbers_and_the_output(mlp):
    from mnist_app.learning.architectures import build_designed
    from mnist_app.learning.designs import parse_text

    layers = map_layers(mlp)
    assert layers[0] == MapLayer("pixels", "The pixels: 784 numbers a digit") and len(layers) == 4
    assert [layer.title for layer in layers][1:] == [
        "Dense 1: 784 units, relu",
        "Dense 2: 100 units, relu",
        "Output: 10 classes, softmax (probabilities)",
    ]
    designed = build_designed(parse_text("conv:4:3:relu,pool:2,dropout:0.2,flatten,dense:8:relu"))
    kinds = [
        type(layer).__name__
        for layer in designed.layers
        if layer.name in {m.name for m in map_layers(designed)}
    ]
    assert kinds == ["Conv2D", "MaxPooling2D", "Dense", "Dense"], "no Reshape, Dropout or Flatten"


def test_a_map_has_a_point_per_test_digit_with_its_class_and_the_models_answer(cache, mlp, sample):
    from mnist_app.learning.evaluation import predict_probabilities

    answers = predict_probabilities(mlp, sample.x_test).argmax(axis=1)
    for layer in map_layers(mlp):
        found = compute_map(mlp, "mlp", sample, layer.name, "pca")
        assert found.points.shape == (1000, 2) and found.points.dtype == np.float32, layer
        assert np.array_equal(found.labels, sample.y_test) and np.array_equal(found.predicted, answers)
        assert 0 <= found.knn_accuracy <= 1 and -1 <= found.silhouette <= 1 and found.n == 1000


def test_a_kept_map_is_not_computed_again(cache, mlp, sample, monkeypatch):
    assert model_map.kept_map(mlp, "mlp", sample, "pixels", "pca") is None, "never computed there"
    first = compute_map(mlp, "mlp", sample, "pixels", "pca")
    model_map.forget_all()  # as after a restart: from the disk
    monkeypatch.setattr(model_map, "FeatureReader", refuse)
    monkeypatch.setattr(projections, "pca", refuse)
    again = compute_map(mlp, "mlp", sample, "pixels", "pca")
    assert np.array_equal(again.points, first.points) and again.knn_accuracy == first.knn_accuracy
    assert np.array_equal(model_map.kept_map(mlp, "mlp", sample, "pixels", "pca").points, first.points)


def test_maps_and_measures_are_remembered_in_memory_without_a_disk_cache(cache, mlp, sample, monkeypatch):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", "off")
    first = compute_map(mlp, "mlp", sample, "pixels", "pca")
    measured = separation(mlp, "mlp", sample)
    monkeypatch.setattr(model_map, "FeatureReader", refuse)
    monkeypatch.setattr(projections, "pca", refuse)
    monkeypatch.setattr(projections, "knn_accuracy", refuse)
    assert compute_map(mlp, "mlp", sample, "pixels", "pca") is first
    assert model_map.kept_separation(mlp, "mlp", sample) == measured == separation(mlp, "mlp", sample)
    assert model_map.kept_map(mlp, "mlp", sample, "pixels", "tsne") is None


def test_separation_reads_only_the_layers_not_already_in_memory(cache, mlp, sample, monkeypatch):
    hidden = map_layers(mlp)[2].name
    compute_map(mlp, "mlp", sample, hidden, "pca")  # the layer's and the output's numbers, remembered
    asked = []
    reader = model_map.FeatureReader
    monkeypatch.setattr(
        model_map, "FeatureReader", lambda model, names: asked.append(names) or reader(model, names)
    )
    assert model_map.kept_separation(mlp, "mlp", sample) is None
    separation(mlp, "mlp", sample)
    assert asked == [[layer.name for layer in map_layers(mlp)[:2]]], "neither the hidden layer nor the output"


def test_a_damaged_or_forged_entry_is_computed_again_and_replaced(cache, mlp, sample):
    first = compute_map(mlp, "mlp", sample, "pixels", "pca")
    key = map_key(("mlp",), sample.name, model_map.digits_fingerprint(sample), "pixels", "pca")
    path = cache / f"{key}.npz"
    good = path.read_bytes()
    forged = {"points": np.zeros((3, 2), np.float32), "predicted": np.zeros(3, np.uint8),
              "knn": np.float64(1.0), "silhouette": np.float64(1.0)}  # fmt: skip
    beyond = {**np.load(path), "predicted": np.full(1000, 10, np.uint8)}  # a class no model has
    for damage in (lambda: path.write_bytes(good[: len(good) // 2]), lambda: map_cache.write(key, forged),
                   lambda: map_cache.write(key, beyond)):  # fmt: skip
        damage()
        model_map.forget_all()
        again = compute_map(mlp, "mlp", sample, "pixels", "pca")
        assert np.array_equal(again.points, first.points) and again.knn_accuracy == first.knn_accuracy
        assert path.read_bytes() == good, "replaced by the map as computed"


def test_the_classes_pull_apart_from_the_pixels_to_the_last_hidden_layer(cache, mlp, sample):
    measured = separation(mlp, "mlp", sample)
    assert [layer for layer, _, _ in measured] == map_layers(mlp)
    (_, pixels_knn, pixels_silhouette), *_, (_, hidden_knn, hidden_silhouette), _ = measured
    assert pixels_knn < hidden_knn and pixels_silhouette < hidden_silhouette
    assert isinstance(measured[0][0], MapLayer)


def test_a_test_digit_is_placed_on_its_own_point_with_itself_nearest(cache, mlp, sample):
    for layer in ("pixels", map_layers(mlp)[2].name):
        found = compute_map(mlp, "mlp", sample, layer, "pca")
        for index in (0, 7):
            point, nearest = place(mlp, "mlp", sample, layer, "pca", sample.x_test[index] / 255.0)
            assert nearest[0] == index and len(nearest) == model_map.NEAREST
            assert np.allclose(point, found.points[index], atol=1e-3)
    model_map.forget_all()  # as after a restart: PCA is fitted again, to the same formula
    point, _ = place(mlp, "mlp", sample, "pixels", "pca", sample.x_test[3] / 255.0)
    assert np.allclose(point, compute_map(mlp, "mlp", sample, "pixels", "pca").points[3], atol=1e-3)


class FakeEmbedding:
    """What `projections.tsne_map` returns, quickly: the points, placed by openTSNE's own method."""

    def __init__(self, points):
        self.points, self.asked = points, []

    def prepare_partial(self, features, initialization):
        self.asked.append((len(features), initialization))
        return np.full((len(features), 2), 7.0)


def test_tsne_places_a_digit_by_its_embedding_or_among_its_neighbours(cache, mlp, sample, monkeypatch):
    fitted = []

    def fake_tsne(features, on_progress):
        on_progress(0.5, "t-SNE: laying out the digits")
        points, _ = projections.pca(features)
        fitted.append(FakeEmbedding(points))
        return points, fitted[-1]

    monkeypatch.setattr(projections, "tsne_map", fake_tsne)
    reported = []
    found = compute_map(mlp, "mlp", sample, "pixels", "tsne", lambda f, words: reported.append(f))
    assert found.points.shape == (1000, 2) and reported[-1] == 1.0 and reported == sorted(reported)
    point, nearest = place(mlp, "mlp", sample, "pixels", "tsne", sample.x_test[5] / 255.0)
    assert np.array_equal(point, [7.0, 7.0]) and nearest[0] == 5
    assert fitted[0].asked == [(1, "median")], "openTSNE's placement without its optimisation"
    model_map.forget_all()  # the map read from disk after a restart: no fitted t-SNE here
    point, nearest = place(mlp, "mlp", sample, "pixels", "tsne", sample.x_test[5] / 255.0)
    assert np.allclose(point, found.points[nearest].mean(axis=0)) and len(fitted) == 1


def test_pca_placers_outlast_the_slow_maps_fitted_after_them(cache, mlp, sample, monkeypatch):
    monkeypatch.setattr(projections, "umap_map", lambda features, report: projections.pca(features))
    compute_map(mlp, "mlp", sample, "pixels", "pca")
    for layer in map_layers(mlp)[1:]:
        compute_map(mlp, "mlp", sample, layer.name, "umap")
    assert len(model_map._slow_placers) == 2 and len(model_map._pca_placers) == 1


def test_bad_requests_are_refused_in_words(cache, mlp, sample):
    with pytest.raises(UserError, match="no layer 'dense_99'.*pixels"):
        compute_map(mlp, "mlp", sample, "dense_99", "pca")
    with pytest.raises(UserError, match="no projection method 'mds'"):
        compute_map(mlp, "mlp", sample, "pixels", "mds")
    with pytest.raises(UserError, match="at least 20 test digits"):
        compute_map(
            mlp, "mlp", replace(sample, x_test=sample.x_test[:5], y_test=sample.y_test[:5]), "pixels", "pca"
        )
    with pytest.raises(UserError, match="28x28"):
        place(mlp, "mlp", sample, "pixels", "pca", np.zeros((27, 28)))


def test_a_map_key_changes_with_each_of_its_parts():
    parts = ((b"m.keras", 1, 2), "mnist-sample", 0, "pixels", "pca")
    keys = {map_key(*parts)}
    for position, other in enumerate(((b"m.keras", 1, 3), "fashion-mnist", 1, "dense", "umap")):
        keys.add(map_key(*parts[:position], other, *parts[position + 1 :]))
    assert len(keys) == 6 and map_key(*parts) == map_key(*parts)


def test_a_slow_map_is_never_drawn_during_a_stroke(cache, mlp, sample):
    with pytest.raises(UserError, match="UMAP map of this layer is not drawn yet"):
        place(mlp, "mlp", sample, "pixels", "umap", sample.x_test[0] / 255.0)
