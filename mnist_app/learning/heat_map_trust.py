"""How far to trust each of a model's heat maps, Grad-CAM at every convolutional layer included:
the deletion test (`deletion_scores`) of each method on a dataset's test digits, kept on disk.

Inside shows these beside the methods' names and starts Grad-CAM at the layer that scores
best. The test takes a while (integrated gradients on a few hundred digits), so it runs once
per model file and dataset, as a background job (`jobs.map_jobs`), and its figures go in the
maps' disk cache (`map_cache`), in a folder of their own: a restart or another visitor reads
them at once. An entry read back is checked; one that fails is measured again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_app.learning import map_cache
from mnist_app.learning.deletion_scores import SAMPLE_DIGITS

FORMAT = 2  # 2: each random draw a contest of its own, on the log-probability
NAMESPACE = "heat-maps"  # the disk cache's folder
SAMPLE_SIZE = SAMPLE_DIGITS  # test digits each method is tested on (tests ask fewer)
NO_LAYER = ""  # the layer of a method that looks at no particular layer
KEPT_IN_MEMORY = 64

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class HeatMapTrust:
    """One method's deletion score on `n` digits: how often its ink mattered more than random ink
    (0 to 1; a heat map of noise scores 0.5 on average, so a score near it is no better than random)."""

    method: str
    layer: str  # a convolutional layer's name for Grad-CAM, NO_LAYER for the others
    score: float
    n: int


def trust_key(model_id: str, dataset_name: str, fingerprint: str) -> str:
    """A name for one model file's scores on one dataset's test digits: its job's and its cache entry's."""
    text = repr(("heat-map-trust", FORMAT, model_id, dataset_name, fingerprint))
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:40]


_remembered: OrderedDict[str, tuple[HeatMapTrust, ...]] = OrderedDict()
_lock = threading.Lock()


def kept(key: str, methods: tuple[str, ...], layers: list[str]) -> tuple[HeatMapTrust, ...] | None:
    """The scores measured before for `key`, if they are whole for these methods and layers; else None.

    Read from memory after the first time, so a page may ask on every stroke.
    """
    with _lock:
        found = _remembered.get(key)
    if found is None:
        found = map_cache.read(key, lambda arrays: _as_scores(arrays) is not None, NAMESPACE)
        found = None if found is None else _as_scores(found)
        if found is not None:
            _remember(key, found)
    expected = {(m, NO_LAYER) for m in methods if m != "grad-cam"} | {("grad-cam", layer) for layer in layers}
    return found if found is not None and {(s.method, s.layer) for s in found} == expected else None


def measure(
    inspector, key: str, images: np.ndarray, on_progress: Progress | None = None
) -> tuple[HeatMapTrust, ...]:
    """Every method's deletion score on `images` (the test digits), Grad-CAM once per
    convolutional layer; kept on disk and in memory under `key`."""
    from mnist_app.learning.deletion_scores import deletion_scores
    from mnist_app.learning.inspection import METHOD_TITLES, METHODS
    from mnist_app.learning.logits import Logits
    from mnist_app.learning.model_layers import layer_titles

    titles = layer_titles(inspector.model)
    logits = Logits(inspector.model)
    plain = tuple(method for method in METHODS if method != "grad-cam")
    questions = [(plain, NO_LAYER)] + [(("grad-cam",), layer) for layer in inspector.conv_layers]
    scores: list[HeatMapTrust] = []
    for done, (methods, layer) in enumerate(questions):
        at = f" at {titles.get(layer, layer)}" if layer else ""
        words = f"{' and '.join(METHOD_TITLES[m] for m in methods)}{at}"

        def progress(fraction: float, done=done, words=words) -> None:
            if on_progress is not None:
                on_progress((done + fraction) / len(questions), words)

        measured = deletion_scores(
            inspector, images, methods, SAMPLE_SIZE, on_progress=progress, layer=layer or None, logits=logits
        )
        scores.extend(HeatMapTrust(result.method, layer, result.score, result.n) for result in measured)
    found = tuple(scores)
    map_cache.write(
        key,
        {
            "methods": np.array([s.method for s in found]),
            "layers": np.array([s.layer for s in found]),
            "scores": np.array([s.score for s in found], np.float64),
            "n": np.array([s.n for s in found], np.int64),
        },
        NAMESPACE,
    )
    _remember(key, found)
    return found


def best_layer(scores: tuple[HeatMapTrust, ...] | None) -> str | None:
    """The convolutional layer whose Grad-CAM scores best (the latest among equals); None if unknown."""
    cams = [s for s in scores or () if s.method == "grad-cam"]
    return max(reversed(cams), key=lambda s: s.score).layer if cams else None


def score_of(
    scores: tuple[HeatMapTrust, ...] | None, method: str, layer: str = NO_LAYER
) -> HeatMapTrust | None:
    return next((s for s in scores or () if s.method == method and s.layer == layer), None)


def _as_scores(arrays: dict[str, np.ndarray]) -> tuple[HeatMapTrust, ...] | None:
    """The entry's scores, if its arrays are what `measure` writes; None otherwise."""
    from mnist_app.learning.inspection import METHODS

    try:
        methods, layers, scores, n = (arrays[name] for name in ("methods", "layers", "scores", "n"))
    except KeyError:
        return None
    shapes = {array.shape for array in (methods, layers, scores, n)}
    if len(shapes) != 1 or methods.ndim != 1 or len(methods) == 0:
        return None
    if (
        methods.dtype.kind != "U"
        or layers.dtype.kind != "U"
        or scores.dtype.kind != "f"
        or n.dtype.kind != "i"
    ):
        return None
    if not (np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all() and (n > 0).all()):
        return None
    if not set(methods.tolist()) <= set(METHODS):
        return None
    return tuple(
        HeatMapTrust(str(m), str(layer), float(s), int(k))
        for m, layer, s, k in zip(methods, layers, scores, n, strict=True)
    )


def _remember(key: str, scores: tuple[HeatMapTrust, ...]) -> None:
    with _lock:
        _remembered[key] = scores
        _remembered.move_to_end(key)
        while len(_remembered) > KEPT_IN_MEMORY:
            _remembered.popitem(last=False)
