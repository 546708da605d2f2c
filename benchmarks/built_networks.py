"""Networks built on the Build page: as fast as the presets, faster than plain `model.fit`.

    python benchmarks/built_networks.py [--dataset fashion-mnist] [--epochs 3] [--rounds 3] [--networks ...]

Each run is a fresh process, the runs of one round alternate, and the table gives medians of
the steady epochs (epochs 2 and later) over the rounds, at batch size 32, validating on the
test split every epoch. For the lab's MLP and the app's CNN, the same layers trained as a
Build design (`arch="built"`) against the presets (`arch="mlp"`/`"cnn"`), augmentation as the
preset has it; for the other presets, the app's trainer against plain Keras: the same
network, Adam, `compile` and `fit` with the test split as validation data. The last line is
one JSON object of the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Build's preset, and what it is timed against: a preset architecture, or plain `fit`.
NETWORKS = {
    "The lab's MLP": "mlp",
    "The app's CNN": "cnn",
    "LeNet-5": "fit",
    "A tiny CNN": "fit",
    "Logistic regression": "fit",
}


def run_plain_fit(dataset, layers, epochs: int) -> dict:
    """The network as a learner would train it from Build's code: compile, then fit."""
    import keras

    from mnist_app.datasets.dataset import to_model_input
    from mnist_app.learning.architectures import build_designed

    model = build_designed(layers)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x_train, x_test = to_model_input(dataset.x_train), to_model_input(dataset.x_test)
    y_train, y_test = (
        keras.utils.to_categorical(dataset.y_train, 10),
        keras.utils.to_categorical(dataset.y_test, 10),
    )
    seconds: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.began)

    history = model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=epochs,
        validation_data=(x_test, y_test),
        verbose=0,
        callbacks=[EpochTimer()],
    )
    return {"epoch_seconds": seconds, "accuracy": float(history.history["val_accuracy"][-1])}


def run_app(dataset, config) -> dict:
    """The app's trainer as the server runs a job: in a trainer process where the network wants
    other threads than the server's."""
    from mnist_app.jobs.training_job import local_trainer

    result = local_trainer(config)(dataset, config, lambda progress: None)
    return {"epoch_seconds": result.epoch_seconds, "accuracy": result.test_accuracy}


def child(kind: str, network: str, spec: str, epochs: int) -> None:
    from mnist_app.datasets.catalogue import load_dataset
    from mnist_app.learning import tensorflow_runtime
    from mnist_app.learning.designs import PRESETS

    tensorflow_runtime.prepare()
    from mnist_app.learning.training import TrainConfig

    dataset, layers = load_dataset(spec), PRESETS[network]
    if kind == "fit":
        result = run_plain_fit(dataset, layers, epochs)
    elif kind == "built":
        augment = NETWORKS[network] == "cnn"  # as the CNN preset trains; plain `fit` has none
        result = run_app(dataset, TrainConfig("built", epochs=epochs, layers=layers, augment=augment))
    else:
        result = run_app(dataset, TrainConfig(kind, epochs=epochs))
    print(json.dumps(result))


def measure(kind: str, network: str, spec: str, epochs: int) -> dict:
    command = [sys.executable, __file__, "--child", kind, "--network", network, "--dataset", spec]
    output = subprocess.run([*command, "--epochs", str(epochs)], capture_output=True, text=True, check=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def steady(runs: list[dict]) -> float:
    return statistics.median(s for run in runs for s in (run["epoch_seconds"][1:] or run["epoch_seconds"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--networks", nargs="+", choices=list(NETWORKS), default=list(NETWORKS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--network", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.network, args.dataset, args.epochs)
        return

    runs: dict[tuple[str, str], list[dict]] = {}
    for round_number in range(args.rounds):
        for network in args.networks:
            for kind in ("built", NETWORKS[network]):
                runs.setdefault((network, kind), []).append(measure(kind, network, args.dataset, args.epochs))
            print(f"round {round_number + 1}/{args.rounds}: {network} done", file=sys.stderr)

    print(f"Built networks: {args.dataset}, batch 32, {args.epochs} epochs, median of {args.rounds} rounds")
    print(
        "| network | Build's design, steady epoch (s) | against | its steady epoch (s) | ratio | accuracy (design / other) |"
    )
    print("|---|---|---|---|---|---|")
    ratios = {}
    for network in args.networks:
        other = NETWORKS[network]
        built, against = steady(runs[(network, "built")]), steady(runs[(network, other)])
        ratios[network] = round(against / built, 3)
        accuracy = [
            statistics.median(run["accuracy"] for run in runs[(network, kind)]) for kind in ("built", other)
        ]
        label = "plain model.fit" if other == "fit" else f'the "{other}" preset'
        print(
            f"| {network} | {built:.2f} | {label} | {against:.2f} | {against / built:.2f}x "
            f"| {accuracy[0]:.4f} / {accuracy[1]:.4f} |"
        )
    print(
        json.dumps({"dataset": args.dataset, "epochs": args.epochs, "rounds": args.rounds, "speedup": ratios})
    )


if __name__ == "__main__":
    main()
