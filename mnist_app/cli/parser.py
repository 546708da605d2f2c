"""The arguments of every command, read by argparse; each command names the function that runs it."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from mnist_app.cli import data, digits, evaluating, exporting, lab, mapping, reading, training, trust
from mnist_app.cli.output import USAGE_ERROR
from mnist_app.datasets.catalogue import NAMED_DATASETS
from mnist_app.datasets.subsets import MAX_LABEL_NOISE
from mnist_app.errors import one_line
from mnist_app.learning.exports import FORMATS, TOLERANCE
from mnist_app.learning.finetune import LEARNING_RATE as FINE_TUNING_RATE
from mnist_app.learning.limits import OPTIMIZER_TITLES
from mnist_app.learning.model_store import DEFAULT_MODEL_NAME
from mnist_app.learning.training_choices import TrainConfig

DESCRIPTION = (
    "The command line: `data`, `train`, `evaluate`, `compare`, `predict`, `explain`, `map`, `attack`, "
    "`robustness`, `export`, `lab`, `digits`."
)
# The datasets `--dataset` names, and what its default "auto" reads.
DATASET_CHOICES = (
    f"{', '.join(NAMED_DATASETS)} or a path (default auto: full MNIST if it can be had, else "
    "the sample that comes with the app)"
)


def class_number(text: str) -> int:
    """A class as a whole number in ASCII digits: `int` alone would take a full-width or Arabic-Indic 3."""
    if not text.strip().lstrip("-").isascii() or not text.strip().lstrip("-").isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number: {text[:40]!r}")
    return int(text)


def _choices(titles: dict[str, str]) -> str:
    """The names an option takes, each with its title where that says more: "a, b (B's title) or c"."""
    named = [name if title.lower() == name else f"{name} ({title})" for name, title in titles.items()]
    return f"{', '.join(named[:-1])} or {named[-1]}" if len(named) > 1 else "".join(named)


class _Help(argparse.HelpFormatter):
    """argparse's help, wrapped at spaces only: mnist-sample or --from-model never splits at its hyphen."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text, width, indent):
        return "\n".join(
            textwrap.wrap(
                " ".join(text.split()),
                width,
                initial_indent=indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            )
        )


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other failure, and help wraps at spaces."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, formatter_class=kwargs.pop("formatter_class", _Help), **kwargs)

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

    train = commands.add_parser(
        "train",
        help="train a model and save it",
        description="Train a network on a dataset, or fine-tune a saved model, and save it as a "
        ".keras file; the last line printed is the model's description as JSON.",
    )
    train.add_argument("--dataset", default="auto", help=f"the dataset to train on: {DATASET_CHOICES}")
    train.add_argument(
        "--arch", help="the network: mlp, the lab's network (the default), or cnn, the app's CNN"
    )
    train.add_argument(
        "--layers",
        metavar="SPEC",
        help="a network of your own instead: FILE.json as Build downloads it, or the short form, "
        'e.g. "conv:16:3:relu,pool:2,flatten,dense:64:relu" ("" is logistic regression)',
    )
    train.add_argument(
        "--optimizer",
        default="adam",
        help=f"the rule that updates the weights after each batch: {_choices(OPTIMIZER_TITLES)} "
        "(default %(default)s)",
    )
    train.add_argument(
        "--train-size",
        type=int,
        default=0,
        metavar="N",
        help="how many training images to learn from, drawn at random with --seed (default: all)",
    )
    train.add_argument(
        "--label-noise",
        type=float,
        default=0.0,
        metavar="F",
        help=f"the fraction (0 to {MAX_LABEL_NOISE:g}) of the training labels replaced by a wrong "
        "one, drawn with --seed; the test split stays right (default %(default)g)",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=0,
        metavar="N",
        help="the number that draws the --train-size images and the --label-noise labels: the "
        "same seed draws the same ones (default %(default)s)",
    )
    train.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="turn, shift and zoom the digits at random while training, or not (default: on for "
        "--arch cnn only)",
    )
    train.add_argument(
        "--epochs",
        type=int,
        default=10,
        metavar="N",
        help="how many times to go through the training images (default %(default)s)",
    )
    train.add_argument(
        "--batch-size",
        type=int,
        default=32,
        metavar="N",
        help="how many images each update of the weights learns from (default %(default)s)",
    )
    train.add_argument(
        "--learning-rate",
        type=float,
        metavar="RATE",
        help=f"how big a step each update takes (default {TrainConfig.learning_rate:g}, or "
        f"{FINE_TUNING_RATE:g} with --from-model)",
    )
    train.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="the .keras file to write (default: a new file in the models folder, named for the "
        "network and the dataset)",
    )
    train.add_argument(
        "--from-model",
        type=Path,
        metavar="PATH",
        help="a saved .keras model to fine-tune instead; it keeps its own network, so leave out "
        "--arch and --layers (default: none, a new network)",
    )
    train.add_argument(
        "--replay",
        metavar="NAME",
        help="a dataset whose digits are mixed in while fine-tuning, so the model keeps reading "
        "them (default: auto when fine-tuning on my-digits, else none)",
    )
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
    explain.add_argument(
        "--layer", metavar="NAME", help="with --method grad-cam: the convolutional layer (default: the last)"
    )
    explain.add_argument("--target", type=class_number, help="the class to explain (default: the prediction)")
    explain.add_argument("--png", type=Path, metavar="DIR", help="also write each heat map as a PNG here")
    explain.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    explain.set_defaults(command=reading.explain_command)

    mapping_parser = commands.add_parser(
        "map",
        help="map the test digits as a layer of a model sees them",
        description="Read the test digits of a dataset through a saved model to a layer, bring each "
        "down to two numbers (PCA, UMAP or t-SNE) and say how far apart the classes are there: the "
        "accuracy of a 10-nearest-neighbour vote and the silhouette, in the layer's own space. One "
        "JSON line per layer mapped.",
    )
    mapping_parser.add_argument(
        "--model", type=Path, required=True, metavar="FILE", help="the saved model: a .keras file"
    )
    mapping_parser.add_argument(
        "--layer",
        required=True,
        metavar="NAME",
        help="pixels, a layer's Keras name, or all (one line each, pixels to output); a wrong name "
        "lists the model's",
    )
    mapping_parser.add_argument(
        "--method", default="pca", help="pca (default, at once), umap or tsne (t-SNE; both take longer)"
    )
    mapping_parser.add_argument(
        "--dataset", default="auto", help=f"the dataset whose test digits are mapped: {DATASET_CHOICES}"
    )
    mapping_parser.add_argument(
        "--png", type=Path, metavar="FILE", help="also draw the map (a panel per layer) as this PNG"
    )
    mapping_parser.set_defaults(command=mapping.map_command)

    add_trust_commands(commands)

    export_model = commands.add_parser(
        "export",
        help="write a saved model as a .tflite or an .onnx file, checked on a test split",
        description=f"Write a saved .keras model as a {FORMATS['tflite']} (.tflite) or "
        f"{FORMATS['onnx']} (.onnx) file that other programs run. The file is written only once "
        "it has read a test split as Keras does: every digit the same, each probability within "
        f"{TOLERANCE:g} of Keras'. The last line printed is a JSON summary.",
    )
    export_model.add_argument(
        "--model", type=Path, required=True, metavar="FILE", help="the saved model: a .keras file"
    )
    export_model.add_argument(
        "--format",
        required=True,
        choices=list(FORMATS),
        help=f"the file to make: {_choices(FORMATS)}",
    )
    export_model.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="the file to write, ending in the format's suffix (default: the model's name with "
        "that suffix, in the current folder)",
    )
    export_model.add_argument(
        "--dataset",
        default="auto",
        help=f"the dataset whose test split the file is checked on: {DATASET_CHOICES}",
    )
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


def add_trust_commands(commands) -> None:
    """`attack` and `robustness`: how far to trust a saved model."""
    attack = commands.add_parser(
        "attack",
        help="change each image by noise made to fool a model, and find the least that does",
        description="Change each image by the fast gradient sign method (fgsm) or its iterated form "
        "(pgd), each pixel by at most epsilon, away from the model's answer or towards --target. One "
        "JSON line per image: the answer before and after, and the smallest epsilon that changes it "
        "(found by bisection, to one grey level: 1/255).",
    )
    attack.add_argument(
        "--model", type=Path, required=True, metavar="FILE", help="the saved model: a .keras file"
    )
    attack.add_argument("--method", default="fgsm", help="fgsm (default, one step) or pgd (ten steps)")
    attack.add_argument(
        "--epsilon",
        type=float,
        metavar="E",
        help="how far each pixel may change, 0 to 1 (default: the smallest epsilon that changes the answer)",
    )
    attack.add_argument(
        "--target",
        type=class_number,
        metavar="CLASS",
        help="make the model read this class (default: any other)",
    )
    attack.add_argument(
        "--png",
        type=Path,
        metavar="DIR",
        help="also write each changed image and the change itself (grey: none) as PNGs here",
    )
    attack.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    attack.set_defaults(command=trust.attack_command)

    robustness = commands.add_parser(
        "robustness",
        help="how saved models fare on changed test digits, how sure they are, and what is not a digit",
        description="On up to 1,000 test digits: accuracy against noise made to fool each model, and "
        "when every digit is moved, turned, scaled, drawn thinner or thicker; the calibration error "
        "before and after temperature scaling (fitted on the test split's other half); how well the "
        "model's confidence tells digits from clothes, noise, scribbles and letters (AUROC). One JSON "
        "line per model.",
    )
    robustness.add_argument("--models", type=Path, nargs="+", required=True, metavar="MODEL")
    robustness.add_argument(
        "--dataset", default="auto", help=f"the dataset whose test digits are used: {DATASET_CHOICES}"
    )
    robustness.set_defaults(command=trust.robustness_command)
