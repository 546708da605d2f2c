"""The Inside page's core, checked against forward passes by hand and by Keras, against
completeness of integrated gradients, and against the deletion metric on real digits."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from mnist_app.datasets.dataset import to_model_input
from mnist_app.errors import UserError
from mnist_app.learning.evaluation import predict_probabilities
from mnist_app.learning.inspection import (
    METHOD_TITLES,
    METHODS,
    InspectionError,
    Inspector,
)
from mnist_app.learning.integrated_gradients import IG_STEPS
from mnist_app.learning.model_files import load_model, save_model
from tests.support import REPO

# The deletion metric: zero a tenth of the image's pixels (half the ink of a thin digit), the
# most attributed ones or random ink pixels, and see which costs the predicted class more.
DELETED = 78
RANDOM_DRAWS = 5
DIGITS = 200


@pytest.fixture(scope="module")
def inspectors(trained_mlp):
    """The lab's MLP trained on the sample, and the shipped CNN (98.7% on the sample's test split)."""
    return {
        "mlp": Inspector(trained_mlp.model),
        "cnn": Inspector(load_model(REPO / "models" / "default.keras")),
    }


@pytest.fixture(scope="module")
def digits(sample):
    """Test digits of every class, the same ones each run."""
    chosen = np.random.default_rng(0).choice(len(sample.x_test), DIGITS, replace=False)
    return sample.x_test[chosen]


def softmax(logits):
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def deletion_share(inspector, images, method, rank_ink_only, rng):
    """Share of digits whose predicted class loses more probability when its most attributed
    pixels are zeroed than when as many random ink pixels are (the mean of a few draws)."""
    wins = []
    for image, probabilities in zip(images, inspector.activations(images)[-1], strict=True):
        target = int(probabilities.argmax())
        flat = image.ravel()
        ink = np.flatnonzero(flat)
        count = min(DELETED, len(ink) // 2)
        scores = inspector.attribution(image, target, method).ravel()
        if rank_ink_only:
            scores = np.where(flat > 0, scores, -np.inf)
        draws = [np.argsort(-scores, kind="stable")[:count]]
        draws += [rng.choice(ink, count, replace=False) for _ in range(RANDOM_DRAWS)]
        deleted = np.repeat(flat[None], len(draws), axis=0)
        for row, pixels in zip(deleted, draws, strict=True):
            row[pixels] = 0
        left = inspector.activations(deleted.reshape(-1, *image.shape))[-1][:, target]
        wins.append(left[0] < left[1:].mean())
    return float(np.mean(wins))


def test_every_method_has_a_title():
    assert set(METHOD_TITLES) == set(METHODS)
    assert issubclass(InspectionError, UserError)


def test_mlp_layers_match_a_forward_pass_by_hand(inspectors, sample):
    inspector = inspectors["mlp"]
    views = inspector.layers(sample.x_test[0])
    assert [(v.kind, v.shape) for v in views] == [("Dense", (784,)), ("Dense", (100,)), ("Dense", (10,))]

    x = to_model_input(sample.x_test[:16]).reshape(16, -1).astype(np.float64)
    expected = []
    for layer in inspector.model.layers[1:]:
        x = x @ np.asarray(layer.kernel, np.float64) + np.asarray(layer.bias, np.float64)
        x = np.maximum(x, 0) if layer is not inspector.model.layers[-1] else softmax(x)
        expected.append(x)
    got = inspector.activations(sample.x_test[:16])
    for values, reference in zip(got, expected, strict=True):
        assert values.dtype == np.float32
        np.testing.assert_allclose(values, reference, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(views[0].values, got[0][0], rtol=1e-5, atol=1e-6)


def test_cnn_layers_match_keras_intermediate_outputs(inspectors, sample):
    inspector = inspectors["cnn"]
    model = inspector.model
    views = inspector.layers(sample.x_test[0])
    assert [v.kind for v in views] == [
        *("Conv2D", "Conv2D", "MaxPooling2D", "Conv2D", "Conv2D", "MaxPooling2D"),
        *("Dense", "Dense"),
    ]
    assert views[0].shape == (26, 26, 32) and views[-1].shape == (10,)

    batch = sample.x_test[:16]
    for view, values in zip(views, inspector.activations(batch), strict=True):
        keras_own = keras.Model(model.inputs[0], model.get_layer(view.name).output)
        np.testing.assert_allclose(
            values, keras_own.predict_on_batch(to_model_input(batch)), rtol=1e-4, atol=1e-5
        )
        assert values.shape[1:] == view.shape
        np.testing.assert_allclose(view.values, values[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_probabilities_are_the_models_prediction(inspectors, sample, arch):
    inspector = inspectors[arch]
    expected = predict_probabilities(inspector.model, sample.x_test[:5])
    for image, probabilities in zip(sample.x_test[:5], expected, strict=True):
        np.testing.assert_allclose(inspector.probabilities(image), probabilities, atol=1e-6)
        np.testing.assert_allclose(inspector.probabilities(to_model_input(image)), probabilities, atol=1e-6)


def test_unit_weights_are_the_first_layers_weights_as_images(inspectors):
    mlp = inspectors["mlp"].unit_weights()
    kernel = np.asarray(inspectors["mlp"].model.layers[1].kernel)
    assert (mlp.kind, mlp.images.shape) == ("dense", (784, 28, 28))
    np.testing.assert_array_equal(mlp.images[5], kernel[:, 5].reshape(28, 28))

    cnn = inspectors["cnn"].unit_weights()
    kernel = np.asarray(inspectors["cnn"].model.get_layer(cnn.layer).kernel)
    assert (cnn.kind, cnn.images.shape) == ("conv", (32, 3, 3))
    np.testing.assert_array_equal(cnn.images[4], kernel[:, :, 0, 4])


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_integrated_gradients_add_up_to_the_rise_from_black(inspectors, sample, arch):
    inspector = inspectors[arch]
    images = sample.x_test[7::100]  # one of each class
    probabilities = predict_probabilities(inspector.model, images)
    black = predict_probabilities(inspector.model, np.zeros((1, 28, 28), np.uint8))[0]
    steps = []
    for image, p in zip(images, probabilities, strict=True):
        # The predicted class, and the class black itself is taken for (its probability falls).
        for target in {int(p.argmax()), int(black.argmax())}:
            result = inspector.integrated_gradients(image, target)
            rise = p[target] - black[target]
            assert result.rise == pytest.approx(rise, abs=1e-5)
            total = result.attribution.sum(dtype=np.float64)
            assert abs(total - rise) <= max(0.01 * abs(rise), 1e-3)
            if target == p.argmax():
                assert abs(total - rise) <= 0.01 * abs(rise)
            steps.append(result.steps)
        attribution = inspector.attribution(image, int(p.argmax()), "integrated-gradients")
        assert attribution.shape == (28, 28) and attribution.dtype == np.float32
        assert np.all(attribution[image == 0] == 0)
    assert min(steps) >= IG_STEPS and (arch == "mlp" or max(steps) > IG_STEPS)


def test_input_gradient_matches_a_finite_difference(inspectors, sample):
    inspector = inspectors["mlp"]
    for image in to_model_input(sample.x_test[3::200]):
        target = int(inspector.probabilities(image).argmax())
        gradient = inspector.attribution(image, target, "gradient")
        # Along the image itself: d/da f(a * image) at a = 1.
        ends = predict_probabilities(inspector.model, np.stack([0.99 * image, 1.01 * image]))[:, target]
        assert float((gradient * image).sum()) == pytest.approx(
            (ends[1] - ends[0]) / 0.02, rel=0.05, abs=1e-4
        )


def probability_in_float64(layers, x, target):
    """The last (Dense, softmax) layer's probability for `target`, its softmax in float64."""
    for layer in layers[:-1]:
        x = layer(x, training=False)
    logits = tf.cast(x @ layers[-1].kernel + layers[-1].bias, tf.float64)
    return tf.nn.softmax(logits)[:, target]


@pytest.fixture(scope="module")
def sure_digit(inspectors, sample):
    """A test digit the CNN is so sure of that float32 rounds its probability to 1."""
    probabilities = inspectors["cnn"].activations(sample.x_test)[-1]
    index = int(np.flatnonzero(probabilities.max(axis=1) == 1.0)[0])
    return sample.x_test[index], int(probabilities[index].argmax())


def test_input_gradient_of_a_sure_answer_keeps_its_own_class(inspectors, sure_digit):
    """Autodiff through a float32 softmax would drop the class's own gradient here."""
    model = inspectors["cnn"].model
    image, target = sure_digit
    x = tf.constant(to_model_input(image)[None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        probability = probability_in_float64(model.layers, x, target)
    expected = tape.gradient(probability, x)[0].numpy()
    got = inspectors["cnn"].attribution(image, target, "gradient")
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * np.abs(expected).max())


@pytest.mark.parametrize("case", ["sure digit, its class", "first digit, class 4"])
def test_grad_cam_follows_the_recipe_on_the_last_conv_layer(inspectors, sample, sure_digit, case):
    inspector = inspectors["cnn"]
    model = inspector.model
    image, target = sure_digit if case.startswith("sure") else (sample.x_test[0], 4)
    last = max(i for i, layer in enumerate(model.layers) if isinstance(layer, keras.layers.Conv2D))
    maps = keras.Model(model.inputs[0], model.layers[last].output)(
        to_model_input(image[None]), training=False
    )
    with tf.GradientTape() as tape:
        tape.watch(maps)
        probability = probability_in_float64(model.layers[last + 1 :], maps, target)
    weights = tf.reduce_mean(
        tf.cast(tape.gradient(probability, maps), tf.float32), axis=(1, 2), keepdims=True
    )
    cam = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1, keepdims=True))
    # conv 3x3, conv 3x3, pool 2, conv 3x3, conv 3x3, no padding: cell i sees pixels 2i..2i+13,
    # so its centre is pixel 2i + 6.5; between centres the map is interpolated in straight
    # lines, and it fades to nothing one cell (2 pixels) beyond the outer ones.
    spread = np.clip(1 - np.abs(np.arange(28)[:, None] - (6.5 + 2 * np.arange(8))[None]) / 2, 0, None)
    expected = spread @ cam[0, :, :, 0].numpy() @ spread.T
    got = inspector.attribution(image, target, "grad-cam")
    assert expected.max() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3 * expected.max())


def near_ink(image: np.ndarray, reach: int = 2) -> np.ndarray:
    """The pixels within `reach` pixels (straight-line distance) of an inked one."""
    ink = np.pad(image > 0, reach)
    near = np.zeros(image.shape, bool)
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            if dy * dy + dx * dx <= reach * reach:
                near |= ink[
                    reach + dy : reach + dy + image.shape[0], reach + dx : reach + dx + image.shape[1]
                ]
    return near


def test_grad_cam_is_a_non_negative_map_mostly_on_the_ink(inspectors, digits, record_property):
    """Resized to 28x28 as if the last conv layer's 8x8 cells covered the whole image, the map
    was stretched 1.75 times from the middle and about half its mass fell more than 2 pixels
    from the ink; each cell put at its receptive field's centre, most of it lies on the ink."""
    inspector = inspectors["cnn"]
    targets = inspector.activations(digits)[-1].argmax(axis=1)
    on_ink = []
    for image, target in zip(digits, targets, strict=True):
        cam = inspector.attribution(image, int(target), "grad-cam")
        assert cam.shape == (28, 28) and cam.dtype == np.float32
        assert cam.min() >= 0 and cam.max() > 0
        on_ink.append(cam[near_ink(image)].sum() / cam.sum())
    record_property("grad_cam_mass_near_ink", float(np.mean(on_ink)))
    assert np.mean(on_ink) >= 0.7
    assert np.mean(np.array(on_ink) > 0.5) >= 0.8


@pytest.mark.parametrize(
    ("arch", "method", "rank_ink_only", "floor"),
    [
        ("mlp", "integrated-gradients", False, 0.9),
        ("mlp", "gradient", False, 0.7),
        ("cnn", "integrated-gradients", False, 0.9),
        ("cnn", "gradient", False, 0.7),
        # Grad-CAM's 8x8 map, spread over 28x28, ranks black pixels beside the ink as high as
        # the ink: zeroing those deletes nothing, so it is ranked on the ink alone.
        ("cnn", "grad-cam", True, 0.7),
    ],
)
def test_deleting_the_most_attributed_pixels_costs_more_than_random_ink(
    inspectors, digits, record_property, arch, method, rank_ink_only, floor
):
    share = deletion_share(inspectors[arch], digits, method, rank_ink_only, np.random.default_rng(1))
    record_property("deletion_share", share)
    assert share >= floor


def test_grad_cam_on_a_model_without_convolutions_says_what_to_use(inspectors, sample):
    with pytest.raises(InspectionError, match="Grad-CAM needs a convolutional layer; mlp has none: use"):
        inspectors["mlp"].attribution(sample.x_test[0], 0, "grad-cam")
    assert not inspectors["mlp"].has_conv and inspectors["cnn"].has_conv


@pytest.mark.parametrize("target", [-1, 10, 2.5, True, "3", None])
def test_a_class_the_model_lacks_is_refused(inspectors, sample, target):
    for method in METHODS:
        with pytest.raises(InspectionError, match=r"target class must be a whole number in 0\.\.9"):
            inspectors["cnn"].attribution(sample.x_test[0], target, method)


def test_unknown_methods_and_misshapen_images_are_refused(inspectors, sample):
    inspector = inspectors["cnn"]
    with pytest.raises(InspectionError, match="unknown attribution method 'saliency'"):
        inspector.attribution(sample.x_test[0], 0, "saliency")
    with pytest.raises(InspectionError, match="one 28x28 image"):
        inspector.layers(sample.x_test[0][:27])
    with pytest.raises(InspectionError, match="images of shape"):
        inspector.activations(sample.x_test[0])


def fashion_cnn() -> keras.Model:
    """A functional convnet of other sizes, as someone might train on Fashion-MNIST."""
    inputs = keras.Input((28, 28))
    x = keras.layers.Reshape((28, 28, 1))(inputs)
    x = keras.layers.Conv2D(8, 5, padding="same", activation="relu")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(12, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(24, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="fashion_cnn")


def wide_mlp_without_input() -> keras.Model:
    """A Sequential MLP of other sizes that never declared its input (built by a first call)."""
    model = keras.Sequential(
        [
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="wide_mlp",
    )
    model(np.zeros((1, 28, 28), np.float32))
    return model


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (
            fashion_cnn,
            [
                ("Conv2D", (28, 28, 8)),
                ("BatchNormalization", (28, 28, 8)),
                ("MaxPooling2D", (14, 14, 8)),
                ("Conv2D", (12, 12, 12)),
                ("GlobalAveragePooling2D", (12,)),
                ("Dense", (24,)),
                ("Dense", (10,)),
            ],
        ),
        (wide_mlp_without_input, [("Dense", (256,)), ("Dense", (32,)), ("Dense", (10,))]),
    ],
)
def test_models_of_other_shapes_saved_and_loaded_are_inspected(tmp_path, sample, build, expected):
    path = save_model(build(), tmp_path / "other.keras", {"arch": "custom", "dataset": "fashion-mnist"})
    model = load_model(path)
    inspector = Inspector(model)
    views = inspector.layers(sample.x_test[0])
    assert [(v.kind, v.shape) for v in views] == expected
    np.testing.assert_allclose(
        inspector.activations(sample.x_test[:5])[-1],
        predict_probabilities(model, sample.x_test[:5]),
        atol=1e-6,
    )
    methods = METHODS if inspector.has_conv else ("integrated-gradients", "gradient")
    for method in methods:
        assert inspector.attribution(sample.x_test[0], 3, method).shape == (28, 28)
    weights = inspector.unit_weights()
    assert weights.images.shape == ((8, 5, 5) if inspector.has_conv else (256, 28, 28))


def test_each_question_is_traced_once_whatever_the_image(sample):
    inspector = Inspector(load_model(REPO / "models" / "default.keras"))
    functions = {
        "activations": inspector._activations_fn,
        "integrated-gradients": inspector._path_fn,
        "gradient": inspector._gradient_fn,
        "grad-cam": inspector._grad_cam_at(None),
    }
    graph = inspector._graph
    for n, image in enumerate(sample.x_test[5::300], start=1):
        inspector.layers(image)
        inspector.activations(sample.x_test[: n + 1])
        for method in METHODS:
            inspector.attribution(image, n, method)
    assert {name: f.experimental_get_tracing_count() for name, f in functions.items()} == dict.fromkeys(
        functions, 1
    )
    assert inspector._graph is graph
