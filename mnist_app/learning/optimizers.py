"""Adam, written so that XLA updates each weight matrix in one pass over memory."""

from __future__ import annotations

from mnist_app.learning import tensorflow_runtime

tensorflow_runtime.prepare()

import keras  # noqa: E402
from keras import ops  # noqa: E402


@keras.saving.register_keras_serializable(package="mnist_app")
class OnePassAdam(keras.optimizers.Adam):
    """Keras' Adam, the same moments and the same step, in an order XLA can fuse.

    Keras' `Adam.update_step` updates the first moment, then the second, then reads both
    back for the weights' step. XLA compiles that as three loops over the weights, and for
    the MLP's 784x784 layer, a memory-bound 10 passes over 2.4 MB arrays a batch. Here the
    step computes this batch's moments afresh from the old ones (the same formula, in an
    algebraically equal form that XLA's CSE does not merge with the stored one), so the
    three updates share their inputs and none feeds another: XLA's multi-output fusion
    (turned on by `tensorflow_runtime.prepare`) makes them one loop, 7 passes. The stored moments
    are exactly Keras'; the step differs from Keras' by float rounding only (tested).
    Worth it only under XLA: without it, the extra arithmetic is extra passes.
    """

    def update_step(self, gradient, variable, learning_rate):
        if self.amsgrad:
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        g = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), step)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), step)
        alpha = lr * ops.sqrt(1 - beta_2_power) / (1 - beta_1_power)

        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        m_old, v_old = ops.convert_to_tensor(m), ops.convert_to_tensor(v)
        m_new = self.beta_1 * m_old + (1 - self.beta_1) * g
        v_new = self.beta_2 * v_old + ((1 - self.beta_2) * g) * g
        self.assign_add(m, (g - m_old) * (1 - self.beta_1))
        self.assign_add(v, (ops.square(g) - v_old) * (1 - self.beta_2))
        self.assign_sub(variable, m_new * alpha / (ops.sqrt(v_new) + self.epsilon))
