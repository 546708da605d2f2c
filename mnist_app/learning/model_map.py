"""A map of the test digits as one layer of a model sees them, your digit on it, and how far
apart the classes are from layer to layer.

The Map page and the `map` command ask here. A map is the test digits of the dataset in use
(up to MAX_MAP_DIGITS) read through the model to one layer (`layer_features`), brought down to
two numbers each (`projections`) and kept on disk (`map_cache`) under a key made of the model
file, the digits themselves and the layer and method, so a second visit, or a second visitor,
gets it at once. Finished maps and each layer's two measures are also kept in this process's
memory, so a page rerun reads neither the disk nor the model; and so is what placing a drawn
digit needs (the layer's numbers for every test digit, the fitted PCA, UMAP or t-SNE), a few
of each.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_app.datasets.digit_arrays import IMAGE_SIZE, NUM_CLASSES
from mnist_app.errors import UserError
from mnist_app.learning import map_cache, projections
from mnist_app.learning.layer_features import PIXELS, FeatureReader, MapLayer, map_layers

__all__ = [
    "MAX_MAP_DIGITS",
    "METHODS",
    "METHOD_TITLES",
    "LayerMap",
    "MapLayer",
    "cache_key_id",
    "compute_map",
    "kept_map",
    "kept_separation",
    "map_key",
    "map_layers",
    "model_file_id",
    "place",
    "separation",
]

MAX_MAP_DIGITS = 10_000
MIN_MAP_DIGITS = 20
METHODS = ("pca", "umap", "tsne")
METHOD_TITLES = {"pca": "PCA", "umap": "UMAP", "tsne": "t-SNE"}
NEAREST = 10  # the test digits shown beside a drawn one
# A new layout of entries gets a new name, so an old entry is never misread.
FORMAT = "map-v1"
MEASURES = "measures"
SEPARATION = "separation"  # the method in the key of a job measuring every layer

Progress = Callable[[float, str], None]


@dataclass(frozen=True, eq=False)
class LayerMap:
    """The test digits at one layer, as points, and how far apart their classes are there."""

    layer: str
    method: str
    n: int
    points: np.ndarray  # (n, 2) float32
    labels: np.ndarray  # (n,) the true class
    predicted: np.ndarray  # (n,) the model's answer
    knn_accuracy: float
    silhouette: float


def map_key(
    saved_cache_key: tuple, dataset_name: str, dataset_version: object, layer: str, method: str
) -> str:
    """A name for one map of one model file on one dataset's digits: a job's, or a cache entry's."""
    text = repr((FORMAT, tuple(saved_cache_key), dataset_name, dataset_version, layer, method))
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:40]


def model_file_id(path: Path | str) -> str:
    """A string that changes whenever the model file does: its real path, modification time and size."""
    status = os.stat(path)
    return cache_key_id((os.fsencode(os.path.realpath(path)), status.st_mtime_ns, status.st_size))


def cache_key_id(cache_key: tuple) -> str:
    """A model file's id from what loaded it (`SavedModel.cache_key`: path, modification time, size)."""
    return hashlib.sha256(repr(tuple(cache_key)).encode()).hexdigest()[:32]


def compute_map(
    model, model_id: str, dataset, layer: str, method: str, on_progress: Progress | None = None
) -> LayerMap:
    """The map of the dataset's test digits at `layer` by `method`, from memory or disk when there."""
    report = on_progress or _quiet
    kept = kept_map(model, model_id, dataset, layer, method)
    if kept is not None:
        report(1.0, "Done")
        return kept
    labels = _digits(dataset)[1]
    fingerprint = digits_fingerprint(dataset)
    output = map_layers(model)[-1].name
    features = _features(model, model_id, dataset, [layer, output], _scaled(report, 0.0, 0.3))
    predicted = features[output].argmax(axis=1).astype(np.uint8)
    report(0.3, "Measuring how far apart the classes are")
    knn, silhouette = _measures(model_id, dataset, layer, features[layer])
    report(0.4, f"Drawing the map with {METHOD_TITLES[method]}")
    points, placer = _project(features[layer], method, _scaled(report, 0.4, 1.0))
    _remember(*_placers_for(method), (model_id, fingerprint, layer, method), placer)
    map_cache.write(_key(model_id, dataset, layer, method), {"points": points, "predicted": predicted,
                    "knn": np.float64(knn), "silhouette": np.float64(silhouette)})  # fmt: skip
    found = LayerMap(layer, method, len(labels), points, labels, predicted, knn, silhouette)
    _remember(_maps, MAPS_KEPT, (model_id, fingerprint, layer, method), found)
    report(1.0, "Done")
    return found


def kept_map(model, model_id: str, dataset, layer: str, method: str) -> LayerMap | None:
    """The map if this process or the disk cache has it; None otherwise. Never computes: a page
    asks first, and shows a map drawn before at once."""
    check_method(method)
    _check_layer(model, layer)
    labels = _digits(dataset)[1]
    memory_key = (model_id, digits_fingerprint(dataset), layer, method)
    found = _recall(_maps, memory_key)
    if found is not None:
        return found
    kept = map_cache.read(_key(model_id, dataset, layer, method), lambda found: _as_map(found, len(labels)))
    if kept is None:
        return None
    found = LayerMap(layer, method, len(labels), kept["points"], labels, kept["predicted"],
                     float(kept["knn"]), float(kept["silhouette"]))  # fmt: skip
    _remember(_maps, MAPS_KEPT, memory_key, found)
    return found


def place(
    model, model_id: str, dataset, layer: str, method: str, image01: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A drawn digit's (x, y) on that map, and the indices of its nearest test digits in the layer's own space.

    PCA places it by its formula, UMAP by its reducer's own `transform`, t-SNE by openTSNE's
    own placement (`projections.place_with`), when this process fitted the map. A map read
    from the disk cache has no fitted reducer (it cannot be stored without pickling, and
    fitting again takes minutes), so the digit goes to the middle of its nearest test digits'
    points, which is near where openTSNE places it. A UMAP or t-SNE map not computed yet is
    refused: it is never computed during a stroke.
    """
    check_method(method)
    _check_layer(model, layer)
    image = np.asarray(image01, np.float32)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE) or not np.isfinite(image).all():
        raise UserError(
            f"a digit to place must be 28x28 numbers in 0..1, not an array of shape {image.shape}"
        )
    fingerprint = digits_fingerprint(dataset)
    features = _features(model, model_id, dataset, [layer])[layer]
    digit = _reader(model, model_id, (layer,)).read(image[None])[layer]
    distances = ((features - digit) ** 2).sum(axis=1)
    nearest = np.argsort(distances)[:NEAREST] if len(distances) <= NEAREST else _nearest(distances)
    placer = _recall(_placers_for(method)[0], (model_id, fingerprint, layer, method))
    if placer is None and method == "pca":
        _, placer = projections.pca(features)
        _remember(*_placers_for(method), (model_id, fingerprint, layer, method), placer)
    if placer is not None:
        return projections.place_with(placer, digit)[0], nearest
    kept = kept_map(model, model_id, dataset, layer, method)
    if kept is None:  # never computed here, or gone from a full cache: not redrawn during a stroke
        raise UserError(f"the {METHOD_TITLES[method]} map of this layer is not drawn yet: draw it first")
    return kept.points[nearest].mean(axis=0).astype(np.float32), nearest


def separation(
    model, model_id: str, dataset, on_progress: Progress | None = None
) -> list[tuple[MapLayer, float, float]]:
    """(layer, kNN accuracy, silhouette) for every map layer, pixels to output; kept too."""
    report = on_progress or _quiet
    layers = map_layers(model)
    images, _ = _digits(dataset)
    fingerprint = digits_fingerprint(dataset)
    measured = {layer.name: _kept_measures(model_id, dataset, layer.name) for layer in layers}
    missing = [name for name, found in measured.items() if found is None]
    features = {name: _recall(_layer_numbers, (model_id, fingerprint, name)) for name in missing}
    unread = [name for name in missing if features[name] is None]
    if unread:
        reader = FeatureReader(model, unread)  # all at once, not kept: one pass over the digits
        read = reader.read(images, lambda done, total: report(0.7 * done / total, "Reading the test digits"))
        features |= {name: _checked(read.pop(name), name) for name in unread}
    for position, name in enumerate(missing):
        report(0.7 + 0.3 * position / len(missing), "Measuring how far apart the classes are")
        measured[name] = _measures(model_id, dataset, name, features.pop(name))
    report(1.0, "Done")
    return [(layer, *measured[layer.name]) for layer in layers]


def kept_separation(model, model_id: str, dataset) -> list[tuple[MapLayer, float, float]] | None:
    """`separation` if every layer's measures are in memory or on disk; None otherwise (never computes)."""
    layers = map_layers(model)
    measured = [_kept_measures(model_id, dataset, layer.name) for layer in layers]
    if any(found is None for found in measured):
        return None
    return [(layer, *found) for layer, found in zip(layers, measured, strict=True)]


def check_method(method: str) -> str:
    if method not in METHODS:
        raise UserError(f"no projection method {method!r}: use {', '.join(METHODS)}")
    return method


def _check_layer(model, layer: str) -> None:
    names = [found.name for found in map_layers(model)]
    if layer not in names:
        raise UserError(f"this model has no layer {layer[:80]!r} to map: its layers are {', '.join(names)}")


def _digits(dataset) -> tuple[np.ndarray, np.ndarray]:
    images, labels = dataset.x_test[:MAX_MAP_DIGITS], np.asarray(dataset.y_test[:MAX_MAP_DIGITS], np.uint8)
    if len(labels) < MIN_MAP_DIGITS:
        raise UserError(
            f"a map needs at least {MIN_MAP_DIGITS} test digits, and {dataset.name} has {len(labels)}"
        )
    return images, labels


_fingerprints: dict[int, tuple[weakref.ref, str]] = {}
_lock = threading.Lock()


def digits_fingerprint(dataset) -> str:
    """A hash of the test digits a map shows, remembered per array (datasets are read-only)."""
    images, labels = dataset.x_test, dataset.y_test
    with _lock:
        found = _fingerprints.get(id(images))
    if found is not None and found[0]() is images:
        return found[1]
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(images[:MAX_MAP_DIGITS]).tobytes())
    digest.update(np.ascontiguousarray(labels[:MAX_MAP_DIGITS], np.uint8).tobytes())
    fingerprint = digest.hexdigest()
    try:
        reference = weakref.ref(images)
    except TypeError:  # an array type that cannot be referred to weakly: hashed each time
        return fingerprint
    with _lock:
        _fingerprints[id(images)] = (reference, fingerprint)
        for stale in [key for key, (ref, _) in _fingerprints.items() if ref() is None]:
            del _fingerprints[stale]
    return fingerprint


# Kept in memory: finished maps and measures; what placing a digit needs (the readers, each
# layer's numbers, the fitted maps: PCA's small, UMAP's and t-SNE's large, so fewer of them).
MAPS_KEPT, MEASURES_KEPT = 16, 64
_maps: OrderedDict = OrderedDict()
_measured: OrderedDict = OrderedDict()
_readers: OrderedDict = OrderedDict()
_layer_numbers: OrderedDict = OrderedDict()
_pca_placers: OrderedDict = OrderedDict()
_slow_placers: OrderedDict = OrderedDict()


def _placers_for(method: str) -> tuple[OrderedDict, int]:
    return (_pca_placers, 16) if method == "pca" else (_slow_placers, 2)


def forget_all() -> None:
    """Empty every memory of this module (tests, benchmarks: as after a restart)."""
    with _lock:
        for kept in (_maps, _measured, _readers, _layer_numbers, _pca_placers, _slow_placers):
            kept.clear()


def _remember(kept: OrderedDict, most: int, key: tuple, value) -> None:
    with _lock:
        kept[key] = value
        kept.move_to_end(key)
        while len(kept) > most:
            kept.popitem(last=False)


def _recall(kept: OrderedDict, key: tuple):
    with _lock:
        value = kept.get(key)
        if value is not None:
            kept.move_to_end(key)
        return value


def _reader(model, model_id: str, names: tuple[str, ...]) -> FeatureReader:
    # The model object is part of the key: a reader runs the sub-model of the model it was made from.
    key = (model_id, id(model), names)
    reader = _recall(_readers, key)
    if reader is None:
        reader = FeatureReader(model, list(names))
        _remember(_readers, 8, key, reader)
    return reader


def _features(
    model, model_id: str, dataset, names: list[str], report: Progress = None
) -> dict[str, np.ndarray]:
    """Each named layer's numbers for the test digits: from memory, or read through the model."""
    report = report or _quiet
    fingerprint = digits_fingerprint(dataset)
    found = {name: _recall(_layer_numbers, (model_id, fingerprint, name)) for name in names}
    missing = tuple(name for name, value in found.items() if value is None)
    if missing:
        images, _ = _digits(dataset)
        read = _reader(model, model_id, missing).read(
            images, lambda done, total: report(done / total, "Reading the test digits through the model")
        )
        for name in missing:
            found[name] = _checked(read[name], name)
            found[name].flags.writeable = False
            _remember(_layer_numbers, 6, (model_id, fingerprint, name), found[name])
    return found


def _checked(features: np.ndarray, name: str) -> np.ndarray:
    return projections.check_features(features, "the pixels" if name == PIXELS else f"layer {name!r}")


def _key(model_id: str, dataset, layer: str, method: str) -> str:
    return map_key((model_id,), dataset.name, digits_fingerprint(dataset), layer, method)


def _kept_measures(model_id: str, dataset, layer: str) -> tuple[float, float] | None:
    memory_key = (model_id, digits_fingerprint(dataset), layer)
    found = _recall(_measured, memory_key)
    if found is None:
        kept = map_cache.read(_key(model_id, dataset, layer, MEASURES), _as_measures)
        found = None if kept is None else (float(kept["knn"]), float(kept["silhouette"]))
    if found is not None:
        _remember(_measured, MEASURES_KEPT, memory_key, found)
    return found


def _measures(model_id: str, dataset, layer: str, features: np.ndarray) -> tuple[float, float]:
    """kNN accuracy and silhouette in the layer's space, from the disk cache or measured and kept."""
    kept = _kept_measures(model_id, dataset, layer)
    if kept is not None:
        return kept
    _, labels = _digits(dataset)
    knn = projections.knn_accuracy(features, labels)
    silhouette = projections.silhouette(features, labels)
    map_cache.write(_key(model_id, dataset, layer, MEASURES), {"knn": np.float64(knn),
                    "silhouette": np.float64(silhouette)})  # fmt: skip
    _remember(_measured, MEASURES_KEPT, (model_id, digits_fingerprint(dataset), layer), (knn, silhouette))
    return knn, silhouette


def _project(features: np.ndarray, method: str, report: Progress) -> tuple[np.ndarray, object]:
    if method == "pca":
        return projections.pca(features)
    return (projections.umap_map if method == "umap" else projections.tsne_map)(features, report)


def _as_measures(found: dict) -> bool:
    """kNN accuracy in 0..1, silhouette in -1..1, each a finite float64."""
    scalars = all(_scalar(found.get(name)) for name in ("knn", "silhouette"))
    return scalars and 0.0 <= float(found["knn"]) <= 1.0 and -1.0 <= float(found["silhouette"]) <= 1.0


def _as_map(found: dict, n: int) -> bool:
    points, predicted = found.get("points"), found.get("predicted")
    return (
        _as_measures(found)
        and isinstance(points, np.ndarray)
        and points.dtype == np.float32
        and points.shape == (n, 2)
        and bool(np.isfinite(points).all())
        and isinstance(predicted, np.ndarray)
        and predicted.dtype == np.uint8
        and predicted.shape == (n,)
        and bool((predicted < NUM_CLASSES).all())
    )


def _scalar(value) -> bool:
    finite_float = isinstance(value, np.ndarray) and value.shape == () and value.dtype == np.float64
    return finite_float and bool(np.isfinite(value))


def _nearest(distances: np.ndarray) -> np.ndarray:
    nearest = np.argpartition(distances, NEAREST)[:NEAREST]
    return nearest[np.argsort(distances[nearest])]


def _scaled(report: Progress, start: float, end: float) -> Progress:
    return lambda fraction, words: report(start + (end - start) * fraction, words)


def _quiet(fraction: float, words: str) -> None:
    return None
