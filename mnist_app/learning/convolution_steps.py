"""A model's first convolution, one window at a time, with the model's own numbers.

Inside steps through it so a learner sees what a Conv2D computes: the window on its input,
the filter's weights, their products, the sum plus the bias, the activation, and the output
pixel it makes. What reaches the convolution and the feature maps it makes are the model's
own, from a Keras sub-model (so a Reshape, a BatchNormalization or a random augmentation before
it count as they do when the model reads a digit). NumPy computes only what Keras does not
hand out: the one step shown, its window's products and their sum plus the bias, whose
activation the tests check equals Keras' pixel at every position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.learning import tensorflow_runtime

tensorflow_runtime.prepare()

import keras  # noqa: E402


@dataclass(frozen=True)
class Step:
    """One output pixel of one filter: the window it reads and how it is made, channels last."""

    unit: int  # the filter
    row: int
    column: int
    top: int  # the window's first row and column in the padded input
    left: int
    window: np.ndarray  # (kh, kw, channels): the input numbers under the filter
    weights: np.ndarray  # (kh, kw, channels)
    products: np.ndarray  # window * weights
    bias: float
    total: float  # the products' sum plus the bias
    output: float  # the feature map's pixel, as Keras gives it: the activation of `total`


@dataclass(frozen=True)
class Convolution:
    """A Conv2D layer and what it makes of one digit: every number the steps show."""

    layer: str  # its Keras name
    inputs: np.ndarray  # (height, width, channels): what reaches the layer for this digit
    padded: np.ndarray  # the inputs with the zeros "same" padding adds around them
    pad_top: int
    pad_left: int
    kernel: np.ndarray  # (kh, kw, channels, filters)
    bias: np.ndarray  # (filters,), zeros for a layer without a bias
    strides: tuple[int, int]
    padding: str  # "valid" or "same"
    activation: str  # the activation's name, as Keras calls it
    outputs: np.ndarray  # (out_height, out_width, filters): the layer's feature maps, from Keras

    @property
    def filters(self) -> int:
        return int(self.kernel.shape[-1])

    @property
    def output_shape(self) -> tuple[int, int]:
        return int(self.outputs.shape[0]), int(self.outputs.shape[1])

    @property
    def positions(self) -> int:
        rows, columns = self.output_shape
        return rows * columns

    def step(self, unit: int, position: int) -> Step:
        """Filter `unit` at the `position`-th window, in reading order (row by row)."""
        if not 0 <= unit < self.filters:
            raise ValueError(f"filter {unit} is not in 0..{self.filters - 1}")
        if not 0 <= position < self.positions:
            raise ValueError(f"position {position} is not in 0..{self.positions - 1}")
        row, column = divmod(position, self.output_shape[1])
        height, width = self.kernel.shape[:2]
        top, left = row * self.strides[0], column * self.strides[1]
        window = self.padded[top : top + height, left : left + width]
        weights = self.kernel[..., unit]
        products = window * weights
        bias = float(self.bias[unit])
        return Step(
            unit=unit,
            row=row,
            column=column,
            top=top,
            left=left,
            window=window,
            weights=weights,
            products=products,
            bias=bias,
            total=float(products.sum() + self.bias[unit]),
            output=float(self.outputs[row, column, unit]),
        )


class ConvolutionLens:
    """The model's first plain Conv2D and a sub-model that returns what goes in and comes out.

    Built once per model (the page caches it); `steps` then costs one call into Keras.
    """

    def __init__(self, model: keras.Model, layer: keras.layers.Conv2D):
        self.layer = layer
        self._model = _sub_model(model, layer)

    def steps(self, image: np.ndarray) -> Convolution:
        """Every number of the convolution for one 28x28 image (0..1)."""
        image = np.asarray(image, dtype=np.float32).reshape(1, IMAGE_SIZE, IMAGE_SIZE)
        inputs, outputs = (np.asarray(v, dtype=np.float32)[0] for v in self._model(image, training=False))
        return convolution(self.layer, inputs, outputs)


def first_conv(model: keras.Model) -> keras.layers.Conv2D | None:
    """The model's first Conv2D, if it is one these steps can show (square steps of one pixel
    between kernel cells, no groups, channels last); None otherwise."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D) and type(layer).__name__ == "Conv2D":
            plain = (
                tuple(layer.dilation_rate) == (1, 1)
                and layer.groups == 1
                and layer.data_format == "channels_last"
                and layer.padding in ("valid", "same")
            )
            return layer if plain else None
    return None


def convolution_lens(model: keras.Model) -> ConvolutionLens | None:
    """A lens on the model's first convolution; None for a model without one these steps show."""
    layer = first_conv(model)
    return None if layer is None else ConvolutionLens(model, layer)


def _sub_model(model: keras.Model, layer: keras.layers.Conv2D) -> keras.Model:
    """A model from the digit to the layer's input and output. A Sequential model is chained
    afresh from a new input, as the Inspector does, which also serves one never called."""
    if isinstance(model, keras.Sequential):
        digits = keras.Input((IMAGE_SIZE, IMAGE_SIZE))
        x = digits
        for each in model.layers:
            if each is layer:
                return keras.Model(digits, [x, layer(x)])
            x = each(x)
        raise ValueError(f"{layer.name} is not one of the model's layers")
    return keras.Model(model.inputs[0], [layer.input, layer.output])


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """Zeros before and after one axis for "same" padding, as TensorFlow adds them: the output
    has ceil(size / stride) pixels, and an odd extra zero goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def convolution(layer: keras.layers.Conv2D, inputs: np.ndarray, outputs: np.ndarray) -> Convolution:
    """The layer's weights, its `inputs` (height, width, channels) padded as it pads them, and
    the `outputs` Keras made of them."""
    kernel = np.asarray(layer.kernel, dtype=np.float32)
    height, width = kernel.shape[:2]
    bias = (
        np.asarray(layer.bias, dtype=np.float32) if layer.use_bias else np.zeros(kernel.shape[-1], np.float32)
    )
    strides = (int(layer.strides[0]), int(layer.strides[1]))
    inputs = np.asarray(inputs, dtype=np.float32)
    if layer.padding == "same":
        rows = same_padding(inputs.shape[0], height, strides[0])
        columns = same_padding(inputs.shape[1], width, strides[1])
    else:
        rows, columns = (0, 0), (0, 0)
    return Convolution(
        layer=layer.name,
        inputs=inputs,
        padded=np.pad(inputs, (rows, columns, (0, 0))),
        pad_top=rows[0],
        pad_left=columns[0],
        kernel=kernel,
        bias=bias,
        strides=strides,
        padding=layer.padding,
        activation=getattr(layer.activation, "__name__", "its own activation"),
        outputs=np.asarray(outputs, dtype=np.float32),
    )
