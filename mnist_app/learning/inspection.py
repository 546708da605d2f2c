"""What each layer does with a digit, and which pixels made the model say what it said.

The Inside page and the `explain` command ask one `Inspector` per loaded model. It builds
one Keras model that returns every shown layer's output and traces one `tf.function` per
question (activations, each attribution method), so a canvas stroke costs a call into
TensorFlow, never a new trace. Every attribution explains the target class's probability
(the softmax output), not a logit: the number the learner sees on the Draw page.
"""

from __future__ import annotations

import operator
import threading
from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.grad_cam import cam_spread, grad_cam
from mnist_app.learning.integrated_gradients import IntegratedGradients, Path, integrate
from mnist_app.learning.model_checks import IDENTITY_AT_INFERENCE

tensorflow_runtime.prepare()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

METHODS = ("integrated-gradients", "grad-cam", "gradient")
METHOD_TITLES = {
    "integrated-gradients": "Integrated gradients",
    "grad-cam": "Grad-CAM",
    "gradient": "Input gradient",
}
# Layers that are the identity at inference, or only rearrange numbers: nothing to show.
HIDDEN_KINDS = frozenset({"InputLayer", "Reshape", "Flatten", "Permute", *IDENTITY_AT_INFERENCE})
CONV_LAYERS = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
IMAGE_SPEC = tf.TensorSpec([IMAGE_SIZE, IMAGE_SIZE], tf.float32)
IMAGES_SPEC = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32)
TARGET_SPEC = tf.TensorSpec([], tf.int32)
ALPHAS_SPEC = tf.TensorSpec([None], tf.float32)


class InspectionError(UserError):
    """A question the model cannot answer: an unknown method, a class it lacks, a bad image."""


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


def graph_outputs(model: keras.Model) -> tuple[object, list, object]:
    """The model's input, every layer with its output (the output last), and what goes into
    its last layer.

    A Sequential model is chained afresh from a new input, which also serves one whose input
    was never declared or was fixed to one batch size by a first call. A functional model's
    operations come in graph order, so with one output the last one makes it.
    """
    if isinstance(model, keras.Sequential):
        inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE))
        x, pairs, last_input = inputs, [], inputs
        for layer in model.layers:
            last_input, x = x, layer(x)
            pairs.append((layer, x))
    else:
        inputs = model.inputs[0]
        pairs = [(operation, operation.output) for operation in model.operations]
        last_input = pairs[-1][0].input
    return inputs, pairs, last_input


def _is_softmax(function) -> bool:
    return getattr(function, "__name__", "") == "softmax"


def output_logits(layer, inputs: tf.Tensor) -> tf.Tensor | None:
    """What a softmax output layer turns into probabilities; None for any other layer."""
    if isinstance(layer, keras.layers.Softmax) or (
        isinstance(layer, keras.layers.Activation) and _is_softmax(layer.activation)
    ):
        return inputs
    if isinstance(layer, keras.layers.Dense) and _is_softmax(layer.activation):
        logits = tf.matmul(inputs, layer.kernel)
        return logits + layer.bias if layer.use_bias else logits
    return None


def _class_probability(logits: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
    """softmax(logits)[:, target], written so that its gradient survives a sure answer.

    Autodiff through softmax takes 1 - p, which float32 rounds to 0 once p passes 0.99999997
    (one CNN test digit in eight), leaving only the other classes' gradients. As
    exp(-softplus(log of the sum of exp(z_j - z_target) over the other classes)) nothing cancels.
    """
    is_target = tf.range(tf.shape(logits)[1]) == target
    relative = tf.where(is_target, -np.inf, logits - logits[:, target : target + 1])
    return tf.exp(-tf.nn.softplus(tf.reduce_logsumexp(relative, axis=1)))


class Inspector:
    """Everything the Inside page asks of one loaded model, built once (the page caches it)."""

    def __init__(self, model: keras.Model):
        self.model = model
        inputs, pairs, last_input = graph_outputs(model)
        shown = [pair for pair in pairs[:-1] if _is_shown(pair[0])] + [pairs[-1]]
        self._layers, outputs = [layer for layer, _ in shown], [output for _, output in shown]
        # The last layer's input rides along, for the logits (see _class_probability).
        self._graph = keras.Model(inputs, [*outputs, last_input], name=f"{model.name}_inside")
        self.num_classes = int(outputs[-1].shape[-1])
        # Grad-CAM can look at any convolutional layer: each traced on first use, then kept.
        self._convs = {x.name: i for i, x in enumerate(self._layers) if isinstance(x, CONV_LAYERS)}
        self._pairs, self._grad_cam_fns, self._lock = pairs, {}, threading.Lock()
        self._activations_fn = tf.function(self._activations, input_signature=[IMAGES_SPEC])
        self._path_fn = tf.function(self._path_terms, input_signature=[IMAGE_SPEC, TARGET_SPEC, ALPHAS_SPEC])
        self._gradient_fn = tf.function(self._input_gradient, input_signature=[IMAGE_SPEC, TARGET_SPEC])

    @property
    def has_conv(self) -> bool:
        return bool(self._convs)

    @property
    def conv_layers(self) -> list[str]:
        """The convolutional layers Grad-CAM can look at, input first; the last is its default."""
        return list(self._convs)

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

    def attribution(self, image: np.ndarray, target: int, method: str, layer: str | None = None):
        """How much each pixel counts for `target`'s probability: (28, 28), float32.

        Integrated gradients and the input gradient are signed (positive: the pixel raises
        the probability); Grad-CAM is non-negative, at `layer` (None: the last convolutional one).
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
        function = self._gradient_fn if method == "gradient" else self._grad_cam_at(layer)
        return function(_check_image(image), self._check_target(target)).numpy()

    def _grad_cam_at(self, layer: str | None):
        """The traced Grad-CAM at a convolutional layer, made on first use."""
        if layer is None and self._convs:
            layer = self.conv_layers[-1]
        if layer not in self._convs:
            raise InspectionError(
                "Grad-CAM needs one of the model's convolutional layers "
                f"({', '.join(self._convs) or 'it has none'}), not {layer!r}"
            )
        with self._lock:
            if layer not in self._grad_cam_fns:
                index = self._convs[layer]
                rows, columns = cam_spread(self._pairs, self._layers[index])
                self._grad_cam_fns[layer] = tf.function(
                    lambda image, target: grad_cam(
                        lambda x: self._outputs_and_probability(x, target), image, index, rows, columns
                    ),
                    input_signature=[IMAGE_SPEC, TARGET_SPEC],
                )
            return self._grad_cam_fns[layer]

    def integrated_gradients(self, image: np.ndarray, target: int) -> IntegratedGradients:
        """Integrated gradients from a black image, refined until they add up (integrated_gradients)."""
        x, target = tf.constant(_check_image(image)), self._check_target(target)

        def walk(alphas: np.ndarray) -> Path:
            terms, probabilities = self._path_fn(x, target, alphas)
            return Path(alphas, terms.numpy(), probabilities.numpy())

        return integrate(walk)

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
        return self._graph(images, training=False)[:-1]

    def _probability(self, outputs: list[tf.Tensor], target: tf.Tensor) -> tf.Tensor:
        """The target's probability from the graph's outputs, from the logits when there are some."""
        logits = output_logits(self._layers[-1], outputs[-1])
        return outputs[-2][:, target] if logits is None else _class_probability(logits, target)

    def _path_terms(
        self, image: tf.Tensor, target: tf.Tensor, alphas: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        """Input times gradient, and the probability, at points `alphas` of the path from black."""
        path = alphas[:, None, None] * image[None]
        with tf.GradientTape() as tape:
            tape.watch(path)
            probability = self._probability(self._graph(path, training=False), target)
        return image[None] * tape.gradient(probability, path), probability

    def _input_gradient(self, image: tf.Tensor, target: tf.Tensor) -> tf.Tensor:
        x = image[None]
        with tf.GradientTape() as tape:
            tape.watch(x)
            probability = self._probability(self._graph(x, training=False), target)
        return tape.gradient(probability, x)[0]

    def _outputs_and_probability(self, images: tf.Tensor, target: tf.Tensor) -> tuple[list, tf.Tensor]:
        outputs = self._graph(images, training=False)
        return outputs, self._probability(outputs, target)


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
