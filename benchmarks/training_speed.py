"""Training speed: the app's trainer against the lab's plain Keras code, side by side.

    python benchmarks/training_speed.py [--arch mlp|cnn] [--dataset fashion-mnist] [--epochs 4] [--rounds 3] [--baseline REV]

Both train the same network with batch size 32 on the same data, validating on the test
split every epoch as the lab does; the app's trainer has its live-curve callback attached.
The plain code is the lab's for the MLP and, for the CNN, the same network written as
keras-io's examples write it: Keras' random turn, shift and zoom layers inside, `compile`
and `fit`. Each run is a fresh process, the two alternate, and the table gives medians over
the rounds: a steady epoch (epochs 2 and later), the whole run (data preparation,
compilation, training, final evaluation), the whole process (Python and TensorFlow start-up
too), test accuracy, and how far the app's epoch is from the machine's FLOP bound for this
model (measured matmul rate, in bfloat16 where the app trains in it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.browser import checkout


def plain_cnn(num_classes: int):
    """The app's CNN as keras-io's examples write it, augmentation layers inside."""
    import keras
    from keras import layers

    from mnist_app.learning.architectures import CNN_AUGMENTATION as augmentation

    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.RandomRotation(augmentation.rotation),
            layers.RandomTranslation(augmentation.translation, augmentation.translation),
            layers.RandomZoom(augmentation.zoom),
            layers.Conv2D(32, kernel_size=3, activation="relu"),
            layers.Conv2D(32, kernel_size=3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            layers.Conv2D(64, kernel_size=3, activation="relu"),
            layers.Conv2D(64, kernel_size=3, activation="relu"),
            layers.MaxPooling2D(pool_size=2),
            layers.Flatten(),
            layers.Dropout(0.4),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )


def run_lab(dataset, epochs: int, arch: str) -> dict:
    """The lab's code as the notebook writes it: flatten, scale, one-hot, compile, fit."""
    import keras
    from keras.layers import Dense
    from keras.models import Sequential
    from keras.utils import to_categorical

    started = time.perf_counter()
    num_pixels = dataset.x_train.shape[1] * dataset.x_train.shape[2]
    x_train = dataset.x_train.reshape(dataset.x_train.shape[0], num_pixels).astype("float32") / 255
    x_test = dataset.x_test.reshape(dataset.x_test.shape[0], num_pixels).astype("float32") / 255
    y_train, y_test = to_categorical(dataset.y_train), to_categorical(dataset.y_test)
    num_classes = y_test.shape[1]

    if arch == "cnn":
        x_train, x_test = dataset.x_train.astype("float32") / 255, dataset.x_test.astype("float32") / 255
        model = plain_cnn(num_classes)
    else:
        model = Sequential()
        model.add(keras.Input(shape=(num_pixels,)))
        model.add(Dense(num_pixels, activation="relu"))
        model.add(Dense(100, activation="relu"))
        model.add(Dense(num_classes, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.began)

    seconds: list[float] = []
    model.fit(
        x_train, y_train, validation_data=(x_test, y_test), epochs=epochs, verbose=0, callbacks=[EpochTimer()]
    )
    scores = model.evaluate(x_test, y_test, verbose=0)
    return {"epoch_seconds": seconds, "total": time.perf_counter() - started, "accuracy": float(scores[1])}


def run_app(dataset, epochs: int, arch: str) -> dict:
    """The app's trainer as the server runs a job (in a trainer process where the network wants
    other threads than the server's), with a listener on its live curve as the Train page has."""
    from mnist_app.jobs.training_job import local_trainer
    from mnist_app.learning.architectures import ARCHITECTURES
    from mnist_app.learning.precision import bfloat16_training
    from mnist_app.learning.training import TrainConfig

    points = []
    started = time.perf_counter()
    config = TrainConfig(arch, epochs=epochs, batch_size=32)
    result = local_trainer(config)(dataset, config, points.append)
    return {
        "bfloat16": ARCHITECTURES[arch].bfloat16 and bfloat16_training(),
        "epoch_seconds": result.epoch_seconds,
        "total": time.perf_counter() - started,
        "accuracy": result.test_accuracy,
        "updates": len(points),
    }


def matmul_gflops(dtype: str = "float32") -> float:
    """This machine's matmul rate through TensorFlow, best of five."""
    import tensorflow as tf

    a, b = (tf.cast(tf.random.uniform((2048, 2048)), dtype) for _ in range(2))
    tf.matmul(a, b).numpy()
    best = float("inf")
    for _ in range(5):
        began = time.perf_counter()
        tf.matmul(a, b).numpy()
        best = min(best, time.perf_counter() - began)
    return 2 * 2048**3 / best / 1e9


def multiply_adds(model) -> int:
    """Multiply-adds of one image's forward pass through the model's dense and conv layers."""
    from keras import layers

    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
        elif isinstance(layer, layers.Conv2D):
            height, width, channels = layer.output.shape[1:]
            total += height * width * channels * int(np.prod(layer.kernel.shape[:3]))
    return total


def epoch_gflop(arch: str, n_train: int, n_test: int) -> float:
    """2 FLOP a multiply-add forward, 4 more backward; validation forward only."""
    from mnist_app.learning.architectures import build_model

    macs = multiply_adds(build_model(arch))
    return (6 * macs * n_train + 2 * macs * n_test) / 1e9


def child(kind: str, spec: str, epochs: int, arch: str) -> None:
    from mnist_app.datasets.catalogue import load_dataset
    from mnist_app.learning import tensorflow_runtime

    tensorflow_runtime.prepare()  # The lab's run too: both under the app's TensorFlow and XLA settings.
    dataset = load_dataset(spec)
    if kind == "bound":
        result = {
            "gflops": matmul_gflops(),
            "bfloat16_gflops": matmul_gflops("bfloat16"),
            "epoch_gflop": epoch_gflop(arch, len(dataset.y_train), len(dataset.y_test)),
        }
    else:
        result = run_lab(dataset, epochs, arch) if kind == "lab" else run_app(dataset, epochs, arch)
    print(json.dumps(result))


def measure(kind: str, spec: str, epochs: int, arch: str, tree: Path | None = None) -> dict:
    """One run in a fresh process; `process` is its wall time, Python and TensorFlow start-up included.

    With `tree` (a baseline's checkout), that tree's own copy of this script runs its trainer.
    """
    began = time.perf_counter()
    output = subprocess.run(
        [
            sys.executable,
            str(tree / "benchmarks" / "training_speed.py") if tree else __file__,
            "--child",
            kind,
            "--dataset",
            spec,
            "--epochs",
            str(epochs),
            "--arch",
            arch,
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
    )
    return {**json.loads(output.stdout.strip().splitlines()[-1]), "process": time.perf_counter() - began}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=["mlp", "cnn"], default="mlp")
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="REV", help="also time the app's trainer of this commit")
    parser.add_argument("--child", choices=["lab", "app", "bound"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.dataset, args.epochs, args.arch)
        return

    runs: dict[str, list[dict]] = {"lab": [], "app": [], "baseline": []}
    with contextlib.ExitStack() as stack:
        tree = stack.enter_context(checkout(args.baseline)) if args.baseline else None
        for round_number in range(args.rounds):
            for kind in ("lab", "app", "baseline") if tree else ("lab", "app"):
                runs[kind].append(
                    measure("app" if kind == "baseline" else kind, args.dataset, args.epochs, args.arch,
                            tree if kind == "baseline" else None)
                )  # fmt: skip
                print(f"round {round_number + 1}/{args.rounds}: {kind} done", file=sys.stderr)

    # In a process of its own, so that neither trainer's timings include it.
    machine = measure("bound", args.dataset, args.epochs, args.arch)

    def steady_epochs(kind):
        return [s for run in runs[kind] for s in (run["epoch_seconds"][1:] or run["epoch_seconds"])]

    def median(kind, key):
        return statistics.median(run[key] for run in runs[kind])

    lab_epoch, app_epoch = statistics.median(steady_epochs("lab")), statistics.median(steady_epochs("app"))
    lab_fastest, app_fastest = min(steady_epochs("lab")), min(steady_epochs("app"))
    lab_total, app_total = median("lab", "total"), median("app", "total")
    lab_process, app_process = median("lab", "process"), median("app", "process")
    bfloat16 = runs["app"][0].get("bfloat16", False)
    rate = machine["bfloat16_gflops" if bfloat16 else "gflops"]
    bound = machine["epoch_gflop"] / rate
    network = "lab's MLP" if args.arch == "mlp" else "the app's CNN"
    print(
        f"Training speed: {network}, batch 32, {args.dataset}, {args.epochs} epochs, median of {args.rounds} rounds; "
        f"the app computes in {'bfloat16' if bfloat16 else 'float32'}"
    )
    print("| measure | lab's code | app's trainer | lab / app |")
    print("|---|---|---|---|")
    print(f"| steady epoch (s) | {lab_epoch:.2f} | {app_epoch:.2f} | {lab_epoch / app_epoch:.1f}x |")
    print(
        f"| fastest steady epoch (s) | {lab_fastest:.2f} | {app_fastest:.2f} | {lab_fastest / app_fastest:.1f}x |"
    )
    print(f"| whole run (s) | {lab_total:.1f} | {app_total:.1f} | {lab_total / app_total:.1f}x |")
    print(f"| whole process (s) | {lab_process:.1f} | {app_process:.1f} | {lab_process / app_process:.1f}x |")
    print(f"| test accuracy | {median('lab', 'accuracy'):.4f} | {median('app', 'accuracy'):.4f} | |")
    if runs["baseline"]:
        base_epoch = statistics.median(steady_epochs("baseline"))
        print(
            f"| steady epoch of the app at {args.baseline} (s) | | {base_epoch:.2f} | "
            f"app {app_epoch / base_epoch:.2f}x of it |"
        )
    print(f"| curve updates per epoch | 0 | {median('app', 'updates') / args.epochs:.0f} | |")
    print(
        f"FLOP bound: {bound:.2f} s an epoch at {rate:.0f} GFLOP/s "
        f"({machine['gflops']:.0f} in float32, {machine['bfloat16_gflops']:.0f} in bfloat16); "
        f"lab's code {lab_epoch / bound:.1f}x the bound, app's trainer {app_epoch / bound:.1f}x"
    )


if __name__ == "__main__":
    main()
