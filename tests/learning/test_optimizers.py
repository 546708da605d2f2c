"""OnePassAdam: Keras' Adam to float rounding, and one fused loop per weight matrix under XLA."""

import keras
import numpy as np
import tensorflow as tf

from mnist_app.learning.optimizers import OnePassAdam


def _train(optimizer, gradients, shape):
    weights = keras.Variable(np.linspace(-1, 1, np.prod(shape), dtype=np.float32).reshape(shape))
    for gradient in gradients:
        optimizer.apply([gradient], [weights])
    return weights.numpy(), [v.numpy() for v in optimizer.variables[1:]]


def test_one_pass_adam_follows_keras_adam():
    rng = np.random.default_rng(0)
    shape = (20, 30)
    gradients = [rng.normal(size=shape).astype(np.float32) * scale for scale in (1, 1e-3, 5, 0, 0.1)]
    keras_weights, keras_moments = _train(keras.optimizers.Adam(0.01), gradients, shape)
    ours_weights, ours_moments = _train(OnePassAdam(0.01), gradients, shape)
    for keras_moment, ours in zip(keras_moments, ours_moments, strict=True):
        np.testing.assert_array_equal(ours, keras_moment)
    np.testing.assert_allclose(ours_weights, keras_weights, rtol=1e-6, atol=1e-7)
    assert not np.allclose(ours_weights, np.linspace(-1, 1, 600).reshape(shape))


def test_one_pass_adam_round_trips_through_keras_serialization():
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(OnePassAdam(0.003)))
    assert isinstance(restored, OnePassAdam)
    assert float(restored.learning_rate.numpy()) == np.float32(0.003)


def test_xla_updates_weights_and_both_moments_in_one_loop():
    weights = keras.Variable(np.zeros((784, 784), np.float32))
    optimizer = OnePassAdam(0.001)
    optimizer.build([weights])

    @tf.function(jit_compile=True)
    def step(gradient):
        optimizer.apply([gradient], [weights])
        return weights.value

    hlo = step.experimental_get_compiler_ir(tf.ones((784, 784)))(stage="optimized_hlo")
    three_outputs = "(f32[784,784]{1,0}, f32[784,784]{1,0}, f32[784,784]{1,0}) fusion("
    assert three_outputs in hlo
