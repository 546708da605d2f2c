"""Reading digits people draw: the ten digits, drawn by the tests, read by a model trained here."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnist_app.datasets.preparation import canvas_to_grey, prepare_digit
from mnist_app.learning.evaluation import predict_probabilities
from tests.support.digit_strokes import DIGIT_STROKES


def draw(strokes, size=280, width=22, box=(0.0, 0.0, 1.0, 1.0)) -> np.ndarray:
    """Strokes as the canvas returns them (RGBA, white on transparent), inside `box` of the canvas."""
    left, top, right, bottom = box
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [((left + x * (right - left)) * size, (top + y * (bottom - top)) * size) for x, y in stroke]
        pen.line(points, fill=(255, 255, 255, 255), width=width, joint="curve")
    return np.asarray(image)


@pytest.fixture(scope="module")
def cnn(sample):
    from mnist_app.learning.training import TrainConfig, train

    return train(sample, TrainConfig("cnn", epochs=4, batch_size=32)).model


def read(model, grey_images) -> list[int]:
    prepared = [prepare_digit(grey).image for grey in grey_images]
    return list(predict_probabilities(model, np.stack(prepared)).argmax(axis=1))


@pytest.mark.parametrize(
    "box",
    [(0.0, 0.0, 1.0, 1.0), (0.05, 0.05, 0.45, 0.45), (0.55, 0.4, 0.95, 0.95)],
    ids=["whole-canvas", "small-top-left", "small-bottom-right"],
)
def test_model_trained_here_reads_the_ten_drawn_digits(cnn, box):
    width = 22 if box[2] - box[0] == 1.0 else 10
    drawings = [canvas_to_grey(draw(DIGIT_STROKES[d], width=width, box=box)) for d in range(10)]
    read_as = read(cnn, drawings)
    assert sum(int(r == d) for d, r in enumerate(read_as)) >= 8, f"read the digits 0..9 as {read_as}"


def test_mnist_style_preparation_beats_a_naive_resize(cnn):
    """The same small, off-centre drawings, read after MNIST's preparation and after a plain resize."""
    box = (0.05, 0.05, 0.45, 0.45)
    drawings = [canvas_to_grey(draw(DIGIT_STROKES[d], width=10, box=box)) for d in range(10)]
    prepared = read(cnn, drawings)
    naive_inputs = np.stack(
        [
            np.asarray(Image.fromarray(g, mode="F").resize((28, 28), Image.Resampling.BILINEAR))
            for g in drawings
        ]
    )
    naive = list(predict_probabilities(cnn, naive_inputs).argmax(axis=1))
    right = [sum(int(r == d) for d, r in enumerate(reads)) for reads in (prepared, naive)]
    assert right[0] > right[1], f"prepared read {right[0]}/10, naive resize {right[1]}/10"
