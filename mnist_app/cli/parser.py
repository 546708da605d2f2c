"""The arguments of every command, read by argparse; each command names the function that runs it."""

from __future__ import annotations

import argparse
from pathlib import Path

from mnist_app.cli import data, digits, evaluating, exporting, lab, reading, training
from mnist_app.cli.output import USAGE_ERROR
from mnist_app.errors import one_line
from mnist_app.learning.exports import FORMATS
from mnist_app.learning.limits import OPTIMIZERS
from mnist_app.learning.model_store import DEFAULT_MODEL_NAME

DESCRIPTION = "The command line: `data`, `train`, `evaluate`, `compare`, `predict`, `explain`, `export`, `lab`, `digits`."


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other failure."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"error: {one_line(message)} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The parser of `python -m mnist_app COMMAND ...`; `args.command(args)` runs what it read."""
    command_line = _Parser(prog="python -m mnist_app", description=DESCRIPTION)
    commands = command_line.add_subparsers(required=True, metavar="COMMAND")

    describe = commands.add_parser("data", help="describe a dataset")
    describe.add_argument(
        "--dataset", default="auto", help="auto, mnist, mnist-sample, fashion-mnist or a path"
    )
    describe.set_defaults(command=data.data_command)

    train = commands.add_parser("train", help="train a model and save it")
    train.add_argument("--dataset", default="auto")
    train.add_argument("--arch", help="mlp (the lab's network, the default) or cnn")
    train.add_argument(
        "--layers",
        metavar="SPEC",
        help="a network of your own: FILE.json (as Build downloads it) or the short form, e.g. "
        '"conv:32:3:relu,pool:2,flatten,dense:128:relu,dropout:0.3"; "" is logistic regression',
    )
    train.add_argument(
        "--optimizer", default="adam", help=f"{', '.join(OPTIMIZERS)} (default adam; sgd with momentum 0.9)"
    )
    train.add_argument(
        "--train-size",
        type=int,
        default=0,
        metavar="N",
        help="train on N images drawn at random (default: all)",
    )
    train.add_argument(
        "--label-noise", type=float, default=0.0, metavar="F", help="replace this fraction (0 to 0.5) of the "
        "training labels by wrong ones; the test split stays right",
    )  # fmt: skip
    train.add_argument("--seed", type=int, default=0, help="the draw of --train-size and --label-noise")
    train.add_argument(
        "--augment", action=argparse.BooleanOptionalAction, help="turn, shift and zoom digits at random "
        "while training (default: on for the cnn only)",
    )  # fmt: skip
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--learning-rate", type=float, help="default 0.001; 0.0003 when fine-tuning")
    train.add_argument("--output", type=Path, help="the .keras file to write (default: under models/)")
    train.add_argument(
        "--from-model", type=Path, metavar="PATH", help="fine-tune this saved model (its architecture)"
    )
    train.add_argument(
        "--replay", metavar="NAME", help="mix in digits of this dataset so the model keeps them (default with "
        "my-digits and --from-model: auto)",
    )  # fmt: skip
    train.set_defaults(command=training.train_command)

    evaluate = commands.add_parser("evaluate", help="evaluate a saved model on a test split")
    evaluate.add_argument("--model", type=Path, required=True)
    evaluate.add_argument("--dataset", default="auto")
    evaluate.set_defaults(command=evaluating.evaluate_command)

    compare = commands.add_parser("compare", help="compare saved models on one test split")
    compare.add_argument("--models", type=Path, nargs="+", required=True, metavar="MODEL")
    compare.add_argument("--dataset", default="auto")
    compare.set_defaults(command=evaluating.compare_command)

    predict = commands.add_parser("predict", help="read the digit in each image")
    predict.add_argument(
        "--model", type=Path, help=f"a .keras file (default: models/{DEFAULT_MODEL_NAME}.keras)"
    )
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    predict.set_defaults(command=reading.predict_command)

    explain = commands.add_parser("explain", help="show what each layer made of each image, and why")
    explain.add_argument(
        "--model", type=Path, help=f"a .keras file (default: models/{DEFAULT_MODEL_NAME}.keras)"
    )
    explain.add_argument(
        "--method",
        default="integrated-gradients",
        help="integrated-gradients (default), grad-cam or gradient",
    )
    explain.add_argument("--target", type=int, help="the class to explain (default: the prediction)")
    explain.add_argument("--png", type=Path, metavar="DIR", help="also write each heat map as a PNG here")
    explain.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    explain.set_defaults(command=reading.explain_command)

    export_model = commands.add_parser(
        "export", help="write a saved model as a .tflite or an .onnx file, checked on a test split"
    )
    export_model.add_argument("--model", type=Path, required=True)
    export_model.add_argument(
        "--format", required=True, choices=list(FORMATS), help="tflite (TensorFlow Lite) or onnx"
    )
    export_model.add_argument(
        "--output", type=Path, metavar="FILE", help="default: the model's name with the format's suffix, here"
    )
    export_model.add_argument("--dataset", default="auto", help="whose test split the file is checked on")
    export_model.set_defaults(command=exporting.export_command)

    export_lab = commands.add_parser("lab", help="export the lab as a notebook (.ipynb) or a script (.py)")
    export_lab.add_argument(
        "--export", type=Path, required=True, metavar="FILE", help="FILE.ipynb or FILE.py"
    )
    export_lab.add_argument("--dataset", default="auto")
    export_lab.add_argument("--epochs", type=int, default=10)
    export_lab.add_argument("--batch-size", type=int, default=32)
    export_lab.set_defaults(command=lab.lab_command)

    collection = commands.add_parser("digits", help="your own digits: add, list, export, import")
    actions = collection.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add", help="prepare images as the Draw page does and keep them with a label")
    add.add_argument("--label", type=int, required=True, help="the digit they show, 0 to 9")
    add.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    add.set_defaults(command=digits.add_command)
    listing = actions.add_parser("list", help="how many of each label in each split")
    listing.set_defaults(command=digits.list_command)
    export = actions.add_parser("export", help="write the collection as an .npz in Keras' layout")
    export.add_argument("--output", type=Path, required=True, metavar="FILE.npz")
    export.set_defaults(command=digits.export_command)
    load = actions.add_parser("import", help="add the digits of an .npz in Keras' layout")
    load.add_argument("file", type=Path, metavar="FILE.npz")
    load.set_defaults(command=digits.import_command)
    return command_line
