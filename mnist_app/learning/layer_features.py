"""What each layer of a model makes of many digits: the numbers the maps are drawn from.

A map shows the test digits as one layer sees them. The layers offered are the pixels, each
layer that changes the numbers when the model reads a digit (a Dropout, a Flatten or a Reshape
only passes them on), and the output's probabilities. The digits go through the model in
batches, and a layer wider than `REDUCED_WIDTH` numbers is brought down to that width by a
seeded sparse random projection batch by batch, so what is kept is at most digits x
`REDUCED_WIDTH` floats, never digits x a convolution's 20,000 numbers. Random projections keep
distances nearly as they were (Johnson-Lindenstrauss): the neighbours and the silhouette
measured in the reduced space are those of the layer's own (benchmarks/maps.py measures how
nearly). Keras is imported when a model is read, not with this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.learning.model_checks import IDENTITY_AT_INFERENCE
from mnist_app.learning.model_layers import layer_titles

PIXELS = "pixels"
PIXELS_TITLE = f"The pixels: {IMAGE_SIZE * IMAGE_SIZE} numbers a digit"
# Wider layers are randomly projected to this many numbers: the narrowest width measured that
# keeps the kNN accuracy and the silhouette within 0.01 of the full layer's, at every layer of
# both presets on Fashion-MNIST's test digits (`benchmarks/maps.py --widths`, BENCHMARKS.md).
REDUCED_WIDTH = 256
BATCH_SIZE = 250
PROJECTION_SEED = 0
# Kinds that leave a digit's numbers as they are when the model reads it, or only rearrange them.
_PASSING_KINDS = frozenset({"InputLayer", "Reshape", "Flatten", "Permute", *IDENTITY_AT_INFERENCE})


@dataclass(frozen=True)
class MapLayer:
    """A layer a map can show: `name` is "pixels", a Keras layer's name or the output's; `title` in words."""

    name: str
    title: str


def map_layers(model) -> list[MapLayer]:
    """The pixels, each hidden layer that changes the numbers, and the output (probabilities)."""
    found = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    titles = layer_titles(model)
    layers = [MapLayer(PIXELS, PIXELS_TITLE)]
    for position, layer in enumerate(found):
        last = position == len(found) - 1
        if last or _changes_numbers(layer):
            title = titles.get(layer.name, layer.name)
            layers.append(MapLayer(layer.name, f"{title} (probabilities)" if last else title))
    return layers


def _changes_numbers(layer) -> bool:
    kind = type(layer).__name__
    # Random augmentations pass a digit through unchanged when the model reads it.
    return kind not in _PASSING_KINDS and not (kind.startswith("Random") and kind != "RandomCrop")


class FeatureReader:
    """Reads digits through one model and returns the chosen layers' numbers, reduced where wide.

    Built once per model and kept (the maps keep a few): the sub-model and the projections
    are made once, so a single drawn digit costs one call into Keras.
    """

    def __init__(self, model, names: list[str]):
        from mnist_app.learning import tensorflow_runtime

        tensorflow_runtime.prepare()
        import keras

        self.names = list(dict.fromkeys(names))
        keras_names = [name for name in self.names if name != PIXELS]
        self._model = None
        widths = {PIXELS: IMAGE_SIZE * IMAGE_SIZE}
        if keras_names:
            inputs, outputs = _layer_outputs(model, keras_names)
            self._model = keras.Model(inputs, [outputs[name] for name in keras_names])
            widths |= {name: int(np.prod(outputs[name].shape[1:])) for name in keras_names}
        self._keras_names = keras_names
        self._projections = {name: _projection(widths[name]) for name in self.names}
        self.widths = {name: min(widths[name], REDUCED_WIDTH) for name in self.names}

    def read(
        self, images: np.ndarray, on_batch: Callable[[int, int], None] | None = None
    ) -> dict[str, np.ndarray]:
        """Each chosen layer's numbers for `images` (uint8 or 0..1 floats), as (n, width) float32."""
        parts: dict[str, list[np.ndarray]] = {name: [] for name in self.names}
        for start in range(0, len(images), BATCH_SIZE):
            batch = to_model_input(np.asarray(images[start : start + BATCH_SIZE]))
            outputs = {PIXELS: batch}
            if self._model is not None:
                values = self._model.predict_on_batch(batch)
                values = values if isinstance(values, list | tuple) else [values]
                outputs |= dict(zip(self._keras_names, values, strict=True))
            for name in self.names:
                flat = np.asarray(outputs[name], np.float32).reshape(len(batch), -1)
                projection = self._projections[name]
                if projection is not None:
                    flat = np.asarray(projection.transform(flat), np.float32)
                parts[name].append(flat)
            if on_batch is not None:
                on_batch(min(start + BATCH_SIZE, len(images)), len(images))
        return {
            name: np.concatenate(chunks) if chunks else np.zeros((0, self.widths[name]), np.float32)
            for name, chunks in parts.items()
        }


def _projection(width: int):
    """A seeded sparse random projection to REDUCED_WIDTH numbers, or None for a narrow layer."""
    if width <= REDUCED_WIDTH:
        return None
    from sklearn.random_projection import SparseRandomProjection

    projection = SparseRandomProjection(REDUCED_WIDTH, dense_output=True, random_state=PROJECTION_SEED)
    # Fitting only draws the matrix, from the width and the seed: one row of zeros says the width.
    return projection.fit(np.zeros((1, width), np.float32))


def _layer_outputs(model, names: list[str]) -> tuple[object, dict[str, object]]:
    """The model's input and each named layer's output, in a graph Keras can run.

    A Sequential model is chained afresh from a new input, which also serves one whose input
    was never declared; a functional model's own graph is used as it is.
    """
    import keras

    if isinstance(model, keras.Sequential):
        inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE))
        x, outputs = inputs, {}
        for layer in model.layers:
            x = layer(x)
            outputs[layer.name] = x
    else:
        inputs = model.inputs[0]
        outputs = {layer.name: layer.output for layer in model.layers}
    return inputs, {name: outputs[name] for name in names}
