"""The command line: `data`, `train`, `evaluate`, `predict`, for headless work and for tests.

Each command prints one JSON object as its last stdout line (`predict`: one per image);
progress goes to stderr; a bad input exits 2 with a one-line message and no traceback.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from mnist_app.data import DatasetError, load_dataset
from mnist_app.preprocessing import ImageError
from mnist_app.store import DEFAULT_MODEL_NAME, ModelError, ModelStore

USAGE_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        return args.command(args)
    except (DatasetError, ModelError, ImageError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mnist_app", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="describe a dataset")
    data.add_argument("--dataset", default="auto", help="auto, mnist, mnist-sample, fashion-mnist or a path")
    data.set_defaults(command=_data)

    train = commands.add_parser("train", help="train a model and save it")
    train.add_argument("--dataset", default="auto")
    train.add_argument("--arch", default="mlp", help="mlp (the lab's network) or cnn")
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--output", type=Path, help="the .keras file to write (default: under models/)")
    train.set_defaults(command=_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a saved model on a test split")
    evaluate.add_argument("--model", type=Path, required=True)
    evaluate.add_argument("--dataset", default="auto")
    evaluate.set_defaults(command=_evaluate)

    predict = commands.add_parser("predict", help="read the digit in each image")
    predict.add_argument(
        "--model", type=Path, help=f"a .keras file (default: models/{DEFAULT_MODEL_NAME}.keras)"
    )
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    predict.set_defaults(command=_predict)
    return parser


def _print_json(value: dict) -> None:
    print(json.dumps(value), flush=True)


def _data(args) -> int:
    _print_json(load_dataset(args.dataset).summary())
    return 0


def _train(args) -> int:
    from mnist_app.store import save_model
    from mnist_app.training import TrainConfig, train

    config = TrainConfig(args.arch, args.epochs, args.batch_size, args.learning_rate)
    config.validate()
    dataset = load_dataset(args.dataset)
    print(f"training {config.arch} on {dataset.name} ({len(dataset.y_train):,} images)", file=sys.stderr)
    result = train(dataset, config, on_progress=_print_progress)
    print(file=sys.stderr)
    store = ModelStore()
    output = args.output or store.path(store.unique_name(config.arch, dataset.name))
    command = "python -m mnist_app " + shlex.join(args.argv)
    save_model(result.model, output, result.metadata(command=command))
    _print_json({"model_path": str(output), **result.metadata()})
    return 0


def _print_progress(progress) -> None:
    width = 30
    filled = int(progress.fraction * width)
    point = next(p for p in reversed(progress.points) if p.split == "train")
    print(
        f"\repoch {progress.epoch}/{progress.epochs} [{'#' * filled}{'.' * (width - filled)}] "
        f"loss {point.loss:.4f} accuracy {point.accuracy:.4f}",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _evaluate(args) -> int:
    from mnist_app.evaluation import evaluate
    from mnist_app.store import load_model

    model = load_model(args.model)
    dataset = load_dataset(args.dataset, require_train=False)
    _print_json(evaluate(model, dataset.x_test, dataset.y_test).summary())
    return 0


def _predict(args) -> int:
    from mnist_app.evaluation import predict_probabilities
    from mnist_app.preprocessing import decode_image, prepare_digit
    from mnist_app.store import load_model

    for image in args.images:
        if not image.is_file():
            raise ImageError(f"no such image file: {image}")
    model = load_model(args.model or ModelStore().path(DEFAULT_MODEL_NAME))
    for image in args.images:
        try:
            prepared = prepare_digit(decode_image(image.read_bytes()))
        except ImageError as error:
            raise ImageError(f"{image}: {error}") from None
        if prepared.image is None:
            _print_json({"image": str(image), "digit": None, "reason": prepared.reason})
            continue
        probabilities = predict_probabilities(model, prepared.image[None])[0]
        _print_json(
            {
                "image": str(image),
                "digit": int(probabilities.argmax()),
                "confidence": round(float(probabilities.max()), 6),
                "probabilities": [round(float(p), 6) for p in probabilities],
            }
        )
    return 0
