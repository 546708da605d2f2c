"""The two architectures: the lab's MLP exactly, and a convnet."""

import keras
import numpy as np
import pytest

from mnist_app.learning.architectures import build_cnn, build_mlp, build_model


def test_mlp_is_the_labs_network():
    """Dense(784, relu) -> Dense(100, relu) -> Dense(10, softmax) over 784 flattened pixels."""
    dense = [layer for layer in build_mlp().layers if layer.__class__.__name__ == "Dense"]
    assert [layer.units for layer in dense] == [784, 100, 10]
    assert [layer.activation.__name__ for layer in dense] == ["relu", "relu", "softmax"]
    assert build_mlp().count_params() == (784 * 784 + 784) + (784 * 100 + 100) + (100 * 10 + 10)


def test_models_compile_like_the_lab():
    for arch in ("mlp", "cnn"):
        model = build_model(arch)
        assert isinstance(model.optimizer, keras.optimizers.Adam)
        assert model.loss == "categorical_crossentropy"


def test_learning_rate_reaches_the_optimizer():
    model = build_model("cnn", learning_rate=0.003)
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.003)


@pytest.mark.parametrize("builder", [build_mlp, build_cnn])
def test_models_map_28x28_images_to_ten_probabilities(builder):
    probabilities = np.asarray(builder()(np.zeros((3, 28, 28), np.float32)))
    assert probabilities.shape == (3, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("transformer")


def test_the_cnn_can_compute_in_bfloat16_and_still_answers_in_float32():
    model = build_model("cnn", bfloat16=True)
    conv = next(layer for layer in model.layers if layer.__class__.__name__ == "Conv2D")
    assert conv.compute_dtype == "bfloat16" and conv.variable_dtype == "float32"
    assert model(np.zeros((2, 28, 28), np.float32)).dtype == "float32"
    assert build_model("mlp", bfloat16=True).layers[-1].compute_dtype == "float32", "the MLP never does"


def test_a_float32_copy_keeps_the_weights_and_the_optimizer_state():
    from mnist_app.learning.architectures import float32_copy

    mixed = build_model("cnn", learning_rate=0.002, bfloat16=True)
    images, labels = np.random.default_rng(0).random((4, 28, 28), np.float32), np.eye(10)[[1, 2, 3, 4]]
    mixed.train_on_batch(images, labels)
    copy = float32_copy(mixed, "cnn", 0.002)
    assert all(layer.compute_dtype == "float32" for layer in copy.layers)
    for theirs, mine in zip(mixed.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(theirs, mine)
    assert int(copy.optimizer.iterations.numpy()) == 1
    assert float(copy.optimizer.learning_rate.numpy()) == pytest.approx(0.002)
    np.testing.assert_allclose(copy.predict_on_batch(images), mixed.predict_on_batch(images), atol=0.05)


def test_the_names_checked_without_keras_are_the_networks_built():
    """The command line checks `--arch` before TensorFlow loads: against the same list of networks."""
    from mnist_app.learning.architectures import ARCHITECTURES
    from mnist_app.learning.limits import ARCHITECTURE_NAMES

    assert list(ARCHITECTURE_NAMES) == list(ARCHITECTURES)


@pytest.mark.parametrize(
    ("text", "xla", "bfloat16"),
    [
        ("flatten,dense:784:relu,dense:100:relu", True, False),
        ("flatten", True, False),
        ("", True, False),
        ("batchnorm,flatten,dense:64:tanh,dropout:0.3,dense:32:gelu", True, False),
        ("gap", True, False),
        ("conv:8:3:relu,pool:2,conv:16:3:relu,pool:2,flatten", False, True),
        ("conv:6:5:relu:1:same,flatten,dense:32", False, True),
        ("pool:2,flatten,dense:64", False, False),
        ("avgpool:4,flatten", False, False),
    ],
)
def test_the_fast_path_is_chosen_from_the_layers_not_a_name(text, xla, bfloat16):
    """Dense stacks run XLA-fused, many steps a call; convolutions and pooling run on oneDNN,
    and only convolutions in bfloat16 (where the CPU has it)."""
    from mnist_app.learning.architectures import architecture_for
    from mnist_app.learning.designs import parse_text

    architecture = architecture_for("built", parse_text(text))
    assert (architecture.xla, architecture.bfloat16) == (xla, bfloat16)
    assert architecture.max_steps_per_call == (256 if xla else 16)
    assert build_model(architecture).jit_compile is xla
    assert architecture.augmentation is None, "only the app's CNN augments unless asked"


def test_a_designed_network_trains_as_the_preset_it_equals():
    from mnist_app.learning.architectures import ARCHITECTURES, architecture_for
    from mnist_app.learning.designs import PRESETS

    for arch, title in (("mlp", "The lab's MLP"), ("cnn", "The app's CNN")):
        preset, built = ARCHITECTURES[arch], architecture_for("built", PRESETS[title])
        assert architecture_for(arch) is preset
        assert (built.xla, built.max_steps_per_call, built.bfloat16) == (
            preset.xla,
            preset.max_steps_per_call,
            preset.bfloat16,
        )
        assert build_model(built).count_params() == build_model(arch).count_params()


def test_a_costly_dense_stack_runs_fewer_steps_a_call_so_stop_still_answers():
    from mnist_app.learning.architectures import architecture_for
    from mnist_app.learning.designs import parse_text

    architecture = architecture_for("built", parse_text("flatten,dense:4096,dense:4096"))
    assert architecture.xla and 16 <= architecture.max_steps_per_call < 64


def test_augmentation_is_the_networks_default_unless_chosen():
    from mnist_app.learning.architectures import CNN_AUGMENTATION, architecture_for
    from mnist_app.learning.designs import PRESETS

    lenet = PRESETS["LeNet-5"]
    assert architecture_for("cnn").augmentation == CNN_AUGMENTATION
    assert architecture_for("cnn", augment=False).augmentation is None
    assert architecture_for("mlp").augmentation is None
    assert architecture_for("mlp", augment=True).augmentation == CNN_AUGMENTATION
    assert architecture_for("built", lenet).augmentation is None
    assert architecture_for("built", lenet, augment=True).augmentation == CNN_AUGMENTATION


@pytest.mark.parametrize(
    ("name", "xla", "kind"),
    [
        ("adam", True, "OnePassAdam"),
        ("adam", False, "Adam"),
        ("sgd", True, "SGD"),
        ("rmsprop", False, "RMSprop"),
    ],
)
def test_each_optimizer_is_built_with_the_learning_rate_asked(name, xla, kind):
    from mnist_app.learning.architectures import new_optimizer

    optimizer = new_optimizer(name, 0.01, xla=xla)
    assert type(optimizer).__name__ == kind
    assert float(optimizer.learning_rate.numpy()) == pytest.approx(0.01)
    if name == "sgd":
        assert optimizer.momentum == 0.9


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop"])
def test_a_designed_network_in_bfloat16_has_a_float32_copy_with_its_optimizer_state(optimizer):
    from mnist_app.learning.architectures import architecture_for, float32_copy
    from mnist_app.learning.designs import PRESETS

    architecture = architecture_for("built", PRESETS["A tiny CNN"])
    mixed = build_model(architecture, 0.002, bfloat16=True, optimizer=optimizer)
    conv = next(layer for layer in mixed.layers if layer.__class__.__name__ == "Conv2D")
    assert conv.compute_dtype == "bfloat16"
    images, labels = np.random.default_rng(0).random((4, 28, 28), np.float32), np.eye(10)[[1, 2, 3, 4]]
    mixed.train_on_batch(images, labels)
    copy = float32_copy(mixed, architecture, 0.002, optimizer)
    assert all(layer.compute_dtype == "float32" for layer in copy.layers)
    assert type(copy.optimizer) is type(mixed.optimizer)
    for theirs, mine in zip(mixed.get_weights(), copy.get_weights(), strict=True):
        np.testing.assert_array_equal(theirs, mine)
    for theirs, mine in zip(mixed.optimizer.variables, copy.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(theirs), np.asarray(mine))


def test_an_augmented_dense_network_trains_without_xla_which_cannot_warp_images(sample):
    from mnist_app.learning.architectures import architecture_for
    from mnist_app.learning.designs import PRESETS
    from mnist_app.learning.training import TrainConfig, train

    layers = PRESETS["The lab's MLP"]
    assert architecture_for("built", layers).xla
    assert not architecture_for("built", layers, augment=True).xla
    assert not architecture_for("mlp", augment=True).xla
    result = train(sample, TrainConfig("built", epochs=1, layers=layers, augment=True, train_size=300))
    assert result.augmented and result.epochs_completed == 1
