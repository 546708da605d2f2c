"""Tests for mnist_app.learning.keras_internals: the parts of Keras private to it that the model
checks read. These fail when a Keras release renames one: check `keras_internals` before raising
Keras' bound in requirements.txt."""

import logging

import keras
import pytest
from keras import layers

from mnist_app.learning import keras_internals
from mnist_app.learning.architectures import build_mlp


def functional_model() -> keras.Model:
    inputs = keras.Input((28, 28))
    return keras.Model(inputs, layers.Dense(10)(layers.Flatten()(inputs)))


def test_the_private_parts_are_there_on_a_real_sequential_and_a_functional_model():
    from keras.src.backend.common import global_state

    sequential, functional = build_mlp(), functional_model()
    assert isinstance(sequential._functional, keras.Function)
    assert sequential._functional._nodes_by_depth
    assert functional._nodes_by_depth
    assert callable(global_state.get_global_attribute) and callable(global_state.set_global_attribute)
    assert keras_internals.layer_calls_by_depth(sequential) and keras_internals.layer_calls_by_depth(
        functional
    )
    assert keras_internals.global_state() is global_state


def test_a_model_that_is_no_graph_of_layers_has_no_calls():
    assert keras_internals.layer_calls_by_depth(keras.Sequential([layers.Dense(10)])) == {}


def test_a_keras_without_them_fails_every_check_by_name_and_says_so_in_the_log_once(caplog):
    from mnist_app.learning.model_checks import model_cost

    functional = functional_model()
    del functional._nodes_by_depth
    keras_internals._warn_once.cache_clear()
    with caplog.at_level(logging.WARNING, logger=keras_internals.__name__):
        for _ in range(2):
            with pytest.raises(
                keras_internals.KerasChanged, match=f"Keras {keras.version()}.*_nodes_by_depth"
            ):
                model_cost(functional)
    keras_internals._warn_once.cache_clear()
    (record,) = caplog.records
    assert keras.version() in record.getMessage() and "_nodes_by_depth" in record.getMessage()
