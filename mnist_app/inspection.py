"""What each layer does with a digit, and which pixels made the model say what it said.

The Inside page and the `explain` command ask one `Inspector` per loaded model. It builds
one Keras model that returns every shown layer's output and traces one `tf.function` per
question (activations, each attribution method), so a canvas stroke costs a call into
TensorFlow, never a new trace. Every attribution explains the target class's probability
(the softmax output), not a logit: the number the learner sees on the Draw page.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from mnist_app.data import IMAGE_SIZE, to_model_input
from mnist_app.errors import UserError

METHODS = ("integrated-gradients", "grad-cam", "gradient")
METHOD_TITLES = {
    "integrated-gradients": "Integrated gradients",
    "grad-cam": "Grad-CAM",
    "gradient": "Input gradient",
}
METHOD_HELP = {
    "integrated-gradients": "Red pixels raised the class's probability, blue ones lowered it; "
    "together they add up to its rise from a black image.",
    "grad-cam": "Bright regions are where the last convolutional layer found what it took "
    "for this class; coarse, since that layer sees the digit at low resolution.",
    "gradient": "How much the class's probability would change if a pixel got a little "
    "brighter (red) or darker (blue): sensitivity, also where there is no ink.",
}

# Layers that are the identity at inference, or only rearrange numbers: nothing to show.
HIDDEN_KINDS = frozenset(
    {
        "InputLayer",
        "Reshape",
        "Flatten",
        "Permute",
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "GaussianDropout",
        "GaussianNoise",
        "AlphaDropout",
        "ActivityRegularization",
    }
)
CONV_LAYERS = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
IMAGE_SPEC = tf.TensorSpec([IMAGE_SIZE, IMAGE_SIZE], tf.float32)
IMAGES_SPEC = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32)
TARGET_SPEC = tf.TensorSpec([], tf.int32)
ALPHAS_SPEC = tf.TensorSpec([None], tf.float32)

# Integrated gradients by the trapezoidal rule, refined where it is off. Along the path from
# black the probability often jumps within a short stretch (a ReLU network's kinks, a
# saturating softmax), which a uniform grid of 64 steps still misses for one CNN digit in
# four. Each interval's own error is known for free (its trapezoid against the probability's
# change across it), so the worst intervals are split until the attributions add up.
IG_STEPS = 32
IG_SPLIT = 4  # an interval that is off is cut into this many
IG_SPLITS_PER_CALL = 10
IG_MAX_STEPS = 256
# Completeness: the attributions' sum may miss the probability's rise from the black
# baseline by 1% of that rise, or by 0.001 (a tenth of a percentage point) when it is tiny.
IG_RELATIVE_TOLERANCE = 0.01
IG_ABSOLUTE_TOLERANCE = 1e-3


class InspectionError(UserError):
    """A question the model cannot answer: an unknown method, a class it lacks, a bad image."""


@dataclass(frozen=True)
class IntegratedGradients:
    """One image's integrated gradients and what they should add up to."""

    attribution: np.ndarray
    rise: float  # the target's probability for the image less its probability for black
    steps: int  # intervals the path was cut into

    @property
    def gap(self) -> float:
        """How far the attributions' sum misses `rise` (completeness)."""
        return float(self.attribution.sum(dtype=np.float64)) - self.rise


@dataclass(frozen=True)
class LayerView:
    """One layer's output for one image, as the Inside page draws it."""

    name: str
    kind: str
    shape: tuple[int, ...]
    values: np.ndarray


@dataclass(frozen=True)
class UnitWeights:
    """What the first weighted layer looks for: each unit's or filter's weights as an image.

    `images` is (units, 28, 28) for a dense layer on the 784 pixels, (filters, kh, kw) for a
    convolution (its first input channel).
    """

    layer: str
    kind: str
    images: np.ndarray


def _is_shown(layer: keras.layers.Layer) -> bool:
    kind = type(layer).__name__
    # Random augmentations pass images through unchanged at inference, except RandomCrop.
    augmentation = kind.startswith("Random") and kind != "RandomCrop"
    return kind not in HIDDEN_KINDS and not augmentation


def _graph_outputs(model: keras.Model) -> tuple[list, list, list]:
    """The model's input tensors, its shown layers and their symbolic outputs, output last.

    A Sequential model is chained afresh from a new input, which also serves one whose input
    was never declared or was fixed to one batch size by a first call. A functional model's
    operations come in graph order, so with one output the last one makes it.
    """
    if isinstance(model, keras.Sequential):
        inputs = [keras.Input((IMAGE_SIZE, IMAGE_SIZE))]
        x, pairs = inputs[0], []
        for layer in model.layers:
            x = layer(x)
            pairs.append((layer, x))
    else:
        inputs = list(model.inputs)
        pairs = [(operation, operation.output) for operation in model.operations]
    shown = [pair for pair in pairs[:-1] if _is_shown(pair[0])] + [pairs[-1]]
    return inputs, [layer for layer, _ in shown], [output for _, output in shown]


class Inspector:
    """Everything the Inside page asks of one loaded model, built once (the page caches it)."""

    def __init__(self, model: keras.Model):
        self.model = model
        inputs, self._layers, outputs = _graph_outputs(model)
        self._graph = keras.Model(inputs, outputs, name=f"{model.name}_inside")
        self.num_classes = int(outputs[-1].shape[-1])
        conv = [i for i, layer in enumerate(self._layers) if isinstance(layer, CONV_LAYERS)]
        self._last_conv = conv[-1] if conv else None
        self._activations_fn = tf.function(self._activations, input_signature=[IMAGES_SPEC])
        self._path_fn = tf.function(self._path_terms, input_signature=[IMAGE_SPEC, TARGET_SPEC, ALPHAS_SPEC])
        self._gradient_fn = tf.function(self._input_gradient, input_signature=[IMAGE_SPEC, TARGET_SPEC])
        self._grad_cam_fn = tf.function(self._grad_cam, input_signature=[IMAGE_SPEC, TARGET_SPEC])

    @property
    def has_conv(self) -> bool:
        return self._last_conv is not None

    def layers(self, image: np.ndarray) -> list[LayerView]:
        """Every shown layer's output for one image, the output probabilities last."""
        values = self.activations(_check_image(image)[None])
        return [
            LayerView(layer.name, type(layer).__name__, tuple(v.shape[1:]), v[0])
            for layer, v in zip(self._layers, values, strict=True)
        ]

    def activations(self, images: np.ndarray) -> list[np.ndarray]:
        """Per shown layer, its outputs for a batch of images: (n, *shape), float32."""
        images = _check_images(images)
        return [np.asarray(v) for v in self._activations_fn(images)]

    def probabilities(self, image: np.ndarray) -> np.ndarray:
        """The model's class probabilities for one image."""
        return self.activations(_check_image(image)[None])[-1][0]

    def unit_weights(self) -> UnitWeights | None:
        """The first Dense or conv layer's weights as images; None if they do not make images."""
        for layer in self.model.layers:
            if isinstance(layer, keras.layers.Dense):
                kernel = np.asarray(layer.kernel)
                if kernel.shape[0] != IMAGE_SIZE * IMAGE_SIZE:
                    return None
                return UnitWeights(layer.name, "dense", kernel.T.reshape(-1, IMAGE_SIZE, IMAGE_SIZE))
            if isinstance(layer, keras.layers.Conv2D):
                kernel = np.asarray(layer.kernel)
                return UnitWeights(layer.name, "conv", np.transpose(kernel[:, :, 0, :], (2, 0, 1)))
        return None

    def attribution(self, image: np.ndarray, target: int, method: str) -> np.ndarray:
        """How much each pixel counts for `target`'s probability: (28, 28), float32.

        Integrated gradients and the input gradient are signed (positive: the pixel raises
        the probability); Grad-CAM is non-negative.
        """
        if method not in METHODS:
            raise InspectionError(f"unknown attribution method {method!r}: use one of {', '.join(METHODS)}")
        if method == "grad-cam" and not self.has_conv:
            raise InspectionError(
                f"Grad-CAM needs a convolutional layer; {self.model.name} has none: "
                "use integrated gradients or the input gradient"
            )
        if method == "integrated-gradients":
            return self.integrated_gradients(image, target).attribution
        function = self._gradient_fn if method == "gradient" else self._grad_cam_fn
        return function(_check_image(image), self._check_target(target)).numpy()

    def integrated_gradients(self, image: np.ndarray, target: int) -> IntegratedGradients:
        """Integrated gradients from a black image, refined until they add up (see IG_STEPS)."""
        x, target = tf.constant(_check_image(image)), self._check_target(target)
        path = self._walk(x, target, np.linspace(0, 1, IG_STEPS + 1, dtype=np.float32))
        while True:
            gaps = path.gaps()
            tolerance = max(IG_RELATIVE_TOLERANCE * abs(path.rise), IG_ABSOLUTE_TOLERANCE)
            room = min(IG_SPLITS_PER_CALL, (IG_MAX_STEPS - len(gaps)) // (IG_SPLIT - 1))
            if abs(gaps.sum()) <= tolerance or room == 0:
                return IntegratedGradients(path.attribution(), path.rise, len(gaps))
            path = path.merge(self._walk(x, target, _split_worst(path.alphas, gaps, tolerance / 2, room)))

    def _walk(self, x: tf.Tensor, target: tf.Tensor, alphas: np.ndarray) -> _Path:
        terms, probabilities = self._path_fn(x, target, alphas)
        return _Path(alphas, terms.numpy(), probabilities.numpy())

    def _check_target(self, target: int) -> tf.Tensor:
        try:
            index = operator.index(target)
        except TypeError:
            index = None
        if isinstance(target, bool) or index is None or not 0 <= index < self.num_classes:
            raise InspectionError(
                f"target class must be a whole number in 0..{self.num_classes - 1}, not {target!r}"
            )
        return tf.constant(index, tf.int32)

    def _activations(self, images: tf.Tensor) -> list[tf.Tensor]:
        return _as_list(self._graph(images, training=False))

    def _probability(self, images: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        return _as_list(self._graph(images, training=False))[-1][:, target]

    def _path_terms(
        self, image: tf.Tensor, target: tf.Tensor, alphas: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Input times gradient, and the probability, at points `alphas` of the path from black."""
        path = alphas[:, None, None] * image[None]
        with tf.GradientTape() as tape:
            tape.watch(path)
            probability = self._probability(path, target)
        return image[None] * tape.gradient(probability, path), probability

    def _input_gradient(self, image: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        x = image[None]
        with tf.GradientTape() as tape:
            tape.watch(x)
            probability = self._probability(x, target)
        return tape.gradient(probability, x)[0]

    def _grad_cam(self, image: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        """ReLU of the last conv layer's maps weighted by their mean gradient, at 28x28."""
        with tf.GradientTape() as tape:
            outputs = _as_list(self._graph(image[None], training=False))
            maps = outputs[self._last_conv]
            probability = outputs[-1][:, target]
        weights = tf.reduce_mean(tape.gradient(probability, maps), axis=(1, 2), keepdims=True)
        cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1, keepdims=True))
        resized = tf.image.resize(cam, (IMAGE_SIZE, IMAGE_SIZE), method="bilinear")
        return tf.nn.relu(resized[0, :, :, 0])


def _as_list(outputs) -> list:
    return list(outputs) if isinstance(outputs, list | tuple) else [outputs]


@dataclass(frozen=True)
class _Path:
    """Points of the straight path from black to the image, with x * gradient and f at each."""

    alphas: np.ndarray
    terms: np.ndarray
    probabilities: np.ndarray

    @property
    def rise(self) -> float:
        return float(self.probabilities[-1] - self.probabilities[0])

    def gaps(self) -> np.ndarray:
        """Per interval, its trapezoid of x * gradient less the probability's change across it."""
        sums = self.terms.reshape(len(self.alphas), -1).sum(axis=1, dtype=np.float64)
        return np.diff(self.alphas) / 2 * (sums[:-1] + sums[1:]) - np.diff(self.probabilities)

    def attribution(self) -> np.ndarray:
        half_widths = np.diff(self.alphas) / 2
        return np.tensordot(half_widths, self.terms[:-1] + self.terms[1:], axes=1).astype(np.float32)

    def merge(self, other: _Path) -> _Path:
        order = np.argsort(np.concatenate([self.alphas, other.alphas]), kind="stable")
        return _Path(
            np.concatenate([self.alphas, other.alphas])[order],
            np.concatenate([self.terms, other.terms])[order],
            np.concatenate([self.probabilities, other.probabilities])[order],
        )


def _split_worst(alphas: np.ndarray, gaps: np.ndarray, allowed: float, most: int) -> np.ndarray:
    """New points splitting the worst intervals until what is left unsplit is `allowed`."""
    worst = np.argsort(-np.abs(gaps))
    left = np.abs(gaps).sum() - np.cumsum(np.abs(gaps[worst]))
    chosen = worst[: min(most, int(np.searchsorted(-left, -allowed)) + 1)]
    fractions = np.arange(1, IG_SPLIT) / IG_SPLIT
    widths = alphas[chosen + 1] - alphas[chosen]
    return (alphas[chosen, None] + widths[:, None] * fractions).ravel().astype(np.float32)


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise InspectionError(f"expected images of shape (n, {IMAGE_SIZE}, {IMAGE_SIZE}), not {images.shape}")
    return to_model_input(images)


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise InspectionError(
            f"expected one {IMAGE_SIZE}x{IMAGE_SIZE} image, not an array of shape {image.shape}"
        )
    return to_model_input(image)
