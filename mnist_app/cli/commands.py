"""The command line: `data`, `train`, `evaluate`, `compare`, `predict`, `explain`, `lab`, `digits`.

Each command prints one JSON object as its last stdout line (`predict`: one per image);
progress goes to stderr; a bad input exits 2 with a one-line message and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

from mnist_app.datasets.catalogue import DIGIT_NAMES, NUM_CLASSES, load_dataset
from mnist_app.errors import UserError, one_line
from mnist_app.files import atomic_write, open_regular
from mnist_app.learning.limits import ARCHITECTURE_NAMES, check_training_choices
from mnist_app.learning.model_store import (
    DEFAULT_MODEL_NAME,
    SUFFIX,
    ModelError,
    ModelStore,
    name_from,
    save_model,
)

USAGE_ERROR = 2
INTERNAL_ERROR = 1


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr, never a traceback."""
    parser = _parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv
    # Library warnings (deprecations, tf.function retracing) say nothing a user of the command can act on.
    warnings.simplefilter("ignore")
    for library in ("tensorflow", "absl"):
        logging.getLogger(library).setLevel(logging.ERROR)
    with _native_stderr_silenced():
        try:
            return args.command(args)
        except UserError as error:
            return _fail(error, USAGE_ERROR)
        except OSError as error:
            where = f" {error.filename}" if error.filename else ""
            return _fail(f"cannot use{where}: {error.strerror or error}", USAGE_ERROR)
        except Exception as error:  # A bug, not the user's doing: still one line, with a distinct status.
            return _fail(f"unexpected failure ({type(error).__name__}: {error})", INTERNAL_ERROR)


def _fail(message: object, status: int) -> int:
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)
    return status


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while a command runs; `sys.stderr` at a copy of it.

    TensorFlow's C++ logging (oneDNN, CUDA, CPU features, a failed `cuInit`, allocators)
    writes to descriptor 2 itself, at import and later, some of it whatever
    `TF_CPP_MIN_LOG_LEVEL` says; it would bury a failing command's one line. The command's
    own lines (progress, the error) go through `sys.stderr`, so they still arrive.
    """
    previous = sys.stderr
    try:
        original = os.dup(2)
    except OSError:  # No descriptor 2 at all: nothing to keep quiet.
        yield
        return
    if previous is not None:
        previous.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if _writes_to_descriptor_2(previous):
        # Never closed: a logger made meanwhile (TensorFlow's, Ray's) may keep writing to it.
        sys.stderr = open(  # noqa: SIM115
            os.dup(original), "w", buffering=1, encoding=previous.encoding, errors=previous.errors
        )
    try:
        yield
    finally:
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(original, 2)
        os.close(original)
        sys.stderr = previous


def _writes_to_descriptor_2(stream) -> bool:
    """Whether `stream` is the process's own stderr, not a replacement such as a test's capture."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, like every other failure."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"error: {one_line(message)} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m mnist_app", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    data = commands.add_parser("data", help="describe a dataset")
    data.add_argument("--dataset", default="auto", help="auto, mnist, mnist-sample, fashion-mnist or a path")
    data.set_defaults(command=_data)

    train = commands.add_parser("train", help="train a model and save it")
    train.add_argument("--dataset", default="auto")
    train.add_argument("--arch", default="mlp", help="mlp (the lab's network) or cnn")
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
    train.set_defaults(command=_train)

    evaluate = commands.add_parser("evaluate", help="evaluate a saved model on a test split")
    evaluate.add_argument("--model", type=Path, required=True)
    evaluate.add_argument("--dataset", default="auto")
    evaluate.set_defaults(command=_evaluate)

    compare = commands.add_parser("compare", help="compare saved models on one test split")
    compare.add_argument("--models", type=Path, nargs="+", required=True, metavar="MODEL")
    compare.add_argument("--dataset", default="auto")
    compare.set_defaults(command=_compare)

    predict = commands.add_parser("predict", help="read the digit in each image")
    predict.add_argument(
        "--model", type=Path, help=f"a .keras file (default: models/{DEFAULT_MODEL_NAME}.keras)"
    )
    predict.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    predict.set_defaults(command=_predict)

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
    explain.set_defaults(command=_explain)

    lab = commands.add_parser("lab", help="export the lab as a notebook (.ipynb) or a script (.py)")
    lab.add_argument("--export", type=Path, required=True, metavar="FILE", help="FILE.ipynb or FILE.py")
    lab.add_argument("--dataset", default="auto")
    lab.add_argument("--epochs", type=int, default=10)
    lab.add_argument("--batch-size", type=int, default=32)
    lab.set_defaults(command=_lab)

    digits = commands.add_parser("digits", help="your own digits: add, list, export, import")
    actions = digits.add_subparsers(required=True, metavar="ACTION")
    add = actions.add_parser("add", help="prepare images as the Draw page does and keep them with a label")
    add.add_argument("--label", type=int, required=True, help="the digit they show, 0 to 9")
    add.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    add.set_defaults(command=_digits_add)
    listing = actions.add_parser("list", help="how many of each label in each split")
    listing.set_defaults(command=_digits_list)
    export = actions.add_parser("export", help="write the collection as an .npz in Keras' layout")
    export.add_argument("--output", type=Path, required=True, metavar="FILE.npz")
    export.set_defaults(command=_digits_export)
    load = actions.add_parser("import", help="add the digits of an .npz in Keras' layout")
    load.add_argument("file", type=Path, metavar="FILE.npz")
    load.set_defaults(command=_digits_import)
    return parser


def _print_json(value: dict) -> None:
    # NaN and Infinity are not JSON: a figure that slipped through every check is a bug, not output.
    print(json.dumps(value, allow_nan=False), flush=True)


def _data(args) -> int:
    _print_json(load_dataset(args.dataset).summary())
    return 0


def _train(args) -> int:
    from mnist_app.jobs import cluster
    from mnist_app.learning.finetune import LEARNING_RATE, before_and_after, mixed

    output = _output_path(args.output) if args.output else None
    _check_writable(output.parent if output else ModelStore().root)
    base = _fine_tuning_base(args)
    learning_rate = (
        args.learning_rate if args.learning_rate is not None else (LEARNING_RATE if base else 1e-3)
    )
    arch = base[1] if base else args.arch
    check_training_choices(arch, args.epochs, args.batch_size, learning_rate)
    if cluster.configured():  # A cluster that does not answer is said before any data is read.
        cluster.connect()
    dataset = load_dataset(args.dataset)
    if len(dataset.y_train) == 0:
        raise UserError(f"dataset {dataset.name!r} has no training images")
    replay_name = args.replay or ("auto" if base and dataset.name == "my-digits" else None)
    replay = load_dataset(replay_name) if replay_name else None
    from mnist_app.learning.training import TrainConfig, train

    config = TrainConfig(arch, args.epochs, args.batch_size, learning_rate, base=str(base[0]) if base else "")
    trained_on = mixed(dataset, replay) if replay is not None else dataset
    print(
        f"training {config.arch} on {trained_on.name} ({len(trained_on.y_train):,} images)", file=sys.stderr
    )
    if cluster.configured():
        result = cluster.train(trained_on, config, _print_progress, on_placed=_print_placement)
    else:
        result = train(trained_on, config, on_progress=_print_progress)
    print(file=sys.stderr)
    metadata = result.metadata(command="python -m mnist_app " + shlex.join(args.argv))
    if output is None:
        output = ModelStore().save_new(result.model, name_from(config.arch, trained_on.name), metadata).path
    else:
        with _writing(output):
            save_model(result.model, output, metadata)
    summary = {"model_path": str(output), **result.metadata()}
    if base and replay is not None:
        from mnist_app.learning.model_store import load_model

        figures = before_and_after(load_model(base[0]), result.model, dataset, replay)
        summary["before_after"] = figures.rows(dataset.name, replay.name)
    _print_json(summary)
    return 0


def _print_placement(placement) -> None:
    from mnist_app.jobs import cluster

    print(f"training on the Ray cluster at {cluster.address()}: {placement}", file=sys.stderr)


def _fine_tuning_base(args) -> tuple[Path, str] | None:
    """`--from-model`'s file and architecture, checked before any data is read."""
    if args.from_model is None:
        if args.replay:
            raise UserError("--replay mixes in digits while fine-tuning: give --from-model too")
        return None
    metadata = _model_description(args.from_model)
    arch = metadata.get("arch", "")
    if arch not in ARCHITECTURE_NAMES:
        raise UserError(f"{args.from_model} was not trained by this app (mlp or cnn); fine-tune one that was")
    classes = metadata.get("classes")
    if classes and list(classes) != list(DIGIT_NAMES) and args.dataset == "my-digits":
        raise UserError(f"{args.from_model} reads other classes ({', '.join(classes[:3])}, ...) than digits")
    return args.from_model, arch


def _output_path(output: Path) -> Path:
    """Where `train --output` writes, checked before training: a `.keras` file in a folder."""
    output = output.expanduser()
    _check_text_name(output, "--output")
    if output.is_dir() or not output.name:
        raise UserError(f"--output {output} is a folder; give a file name ending in {SUFFIX}")
    if output.suffix == "":
        output = output.with_name(output.name + SUFFIX)
    if output.suffix != SUFFIX:
        raise UserError(f"--output {output} must be a {SUFFIX} file (Keras 3's format)")
    return output


def _check_text_name(path: Path, option: str) -> None:
    """Refuse to create a file whose name is not UTF-8: it could not be shown, nor typed back."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise UserError(f"{option} {shown} is not a UTF-8 name; give a name of plain characters") from None


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A failed write (a full disk, a folder gone) as one line that names the file."""
    try:
        yield
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or type(error).__name__}") from None


def _check_writable(folder: Path, what: str = "a model") -> None:
    """Fail before the work, not after, if its result could not be written into `folder`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise UserError(f"cannot write {what} into {folder}: {error.strerror or error}") from None


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
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_store import load_model

    metadata = _model_description(args.model)
    dataset = load_dataset(args.dataset, require_train=False)
    _check_classes(args.model, metadata, dataset)
    model = load_model(args.model)
    with _outputs_of(args.model):
        _print_json(evaluate(model, dataset.x_test, dataset.y_test).summary())
    return 0


def _compare(args) -> int:
    from mnist_app.learning.comparison import compare, contender
    from mnist_app.learning.evaluation import evaluate
    from mnist_app.learning.model_store import load_model

    if len(args.models) < 2:
        raise UserError("compare needs at least two models after --models")
    described = [(path, _model_description(path)) for path in args.models]
    dataset = load_dataset(args.dataset, require_train=False)
    for path, metadata in described:
        _check_classes(path, metadata, dataset)
    # Every model is read and checked before any is evaluated: a bad last one fails at once.
    loaded = [(path, load_model(path), metadata) for path, metadata in described]
    contenders = []
    for path, model, metadata in loaded:
        with _outputs_of(path):
            contenders.append(
                contender(str(path), model, evaluate(model, dataset.x_test, dataset.y_test), metadata)
            )
    comparison = compare(contenders, dataset.y_test)
    _print_json(
        {
            "dataset": dataset.name,
            "n": comparison.n,
            "models": [
                {
                    "path": c.name,
                    "arch": c.arch,
                    "params": c.params,
                    "test_accuracy": round(c.evaluation.accuracy, 6),
                    "training_seconds": c.training_seconds,
                }
                for c in contenders
            ],
            "disagreements": comparison.disagreements.tolist(),
            "all_wrong": comparison.all_wrong,
        }
    )
    return 0


def _model_description(path: Path) -> dict:
    """A model file's description, read and checked before TensorFlow is imported.

    A missing file, a FIFO or a folder in its place, a torn zip or a broken description is
    refused in a fraction of a second; `load_model` checks the same again, and the rest.
    """
    from mnist_app.learning.model_store import read_metadata

    if not path.exists():
        raise UserError(f"no such model file: {path}")
    try:
        return read_metadata(path)
    except ModelError as error:
        raise ModelError(f"cannot load model: {error}") from None


def _check_classes(path: Path, metadata: dict, dataset) -> None:
    """Refuse a model whose description says it reads other classes than the dataset has."""
    trained_on = metadata.get("classes")
    if trained_on and list(trained_on) != list(dataset.class_names):
        raise UserError(
            f"{path} was trained on other classes ({', '.join(trained_on[:3])}, ...) than {dataset.name} has"
        )


@contextlib.contextmanager
def _outputs_of(path: Path) -> Iterator[None]:
    """Name the model file when what it computed is refused (NaN, no softmax)."""
    from mnist_app.learning.evaluation import OutputError

    try:
        yield
    except OutputError as error:
        raise UserError(f"{path}: {error}") from None


def _check_images(paths: list[Path]) -> None:
    """Every image is there and small enough, before a model is loaded."""
    from mnist_app.datasets.preparation import MAX_UPLOAD_BYTES, ImageError

    for image in paths:
        if not image.exists():
            raise ImageError(f"no such image file: {image}")
        open_regular(image, MAX_UPLOAD_BYTES, ImageError).close()


def _model_path(model: Path | None) -> Path:
    """The model given, or the models folder's default.keras."""
    return model or ModelStore().path(DEFAULT_MODEL_NAME)


def _prepared(images: list[Path]) -> list:
    """Each image's digit prepared as MNIST's, all decoded before TensorFlow is imported."""
    from mnist_app.datasets.preparation import load_image_file, prepare_digit

    _check_images(images)
    return [(image, prepare_digit(load_image_file(image))) for image in images]


def _digits(prepared: list):
    """Each prepared digit; a blank image gets its own line and is skipped."""
    for image, digit in prepared:
        if digit.image is None:
            _print_json({"image": str(image), "digit": None, "reason": digit.reason})
        else:
            yield image, digit.image


def _predict(args) -> int:
    from mnist_app.learning.evaluation import predict_probabilities
    from mnist_app.learning.model_store import load_model

    prepared = _prepared(args.images)
    path = _model_path(args.model)
    _model_description(path)
    model = load_model(path)
    with _outputs_of(path):
        for image, digit in _digits(prepared):
            probabilities = predict_probabilities(model, digit[None])[0]
            _print_json(
                {
                    "image": str(image),
                    "digit": int(probabilities.argmax()),
                    "confidence": round(float(probabilities.max()), 6),
                    "probabilities": [round(float(p), 6) for p in probabilities],
                }
            )
    return 0


def _explain(args) -> int:
    from mnist_app.learning.model_store import load_model

    if args.target is not None and not 0 <= args.target < NUM_CLASSES:
        raise UserError(f"target class must be a whole number in 0..{NUM_CLASSES - 1}, not {args.target}")
    prepared = _prepared(args.images)
    if args.png is not None:
        for image, _ in prepared:
            _check_text_name(_heat_map_path(args, image), "--png")
        _check_writable(args.png, "heat maps")
    path = _model_path(args.model)
    _model_description(path)
    from mnist_app.learning.evaluation import check_probabilities
    from mnist_app.learning.inspection import Inspector

    inspector = Inspector(load_model(path))
    for image, digit in _digits(prepared):
        views = inspector.layers(digit)
        with _outputs_of(path):
            check_probabilities(views[-1].values[None])
        predicted = int(views[-1].values.argmax())
        target = predicted if args.target is None else args.target
        attribution = inspector.attribution(digit, target, args.method)
        if args.png is not None:
            _write_heat_map(_heat_map_path(args, image), digit, attribution)
        _print_json(
            {
                "image": str(image),
                "digit": predicted,
                "method": args.method,
                "target": target,
                "input": _rounded(digit),
                "attribution": _rounded(attribution),
                "layers": [
                    {
                        "name": view.name,
                        "shape": list(view.shape),
                        "max_activation": round(float(view.values.max()), 6),
                    }
                    for view in views
                ],
            }
        )
    return 0


def _heat_map_path(args, image: Path) -> Path:
    return args.png / f"{image.stem}-{args.method}.png"


def _rounded(array) -> list:
    return [[round(float(value), 6) for value in row] for row in array]


def _write_heat_map(path: Path, digit, attribution) -> None:
    """The attribution over the digit, as the Inside page shows it, 8 times enlarged."""
    from PIL import Image

    from mnist_app.datasets.pictures import attribution_scale, enlarge, overlay

    cmap, low, high = attribution_scale(attribution)
    picture = Image.fromarray(enlarge(overlay(digit, attribution, low, high, cmap=cmap), 8))
    atomic_write(path, lambda file: picture.save(file, format="PNG"))


def _lab(args) -> int:
    from mnist_app.lab.export import FORMATS, notebook, script
    from mnist_app.learning.limits import check_epochs_and_batch_size

    target = args.export.expanduser()
    _check_text_name(target, "--export")
    kind = FORMATS.get(target.suffix)
    if kind is None or not target.stem:
        raise UserError(f"--export {target} must name a {' or a '.join(FORMATS)} file")
    if target.is_dir():
        raise UserError(f"--export {target} is a folder; give a file name")
    check_epochs_and_batch_size(args.epochs, args.batch_size)
    _check_writable(target.parent, "the lab")
    dataset = load_dataset(args.dataset)
    write = notebook if kind == "notebook" else script
    text = write(dataset.name, args.dataset, args.epochs, args.batch_size)
    atomic_write(target, lambda file: file.write(text.encode("utf-8")))
    _print_json({"path": str(target), "format": kind, "dataset": dataset.name, "epochs": args.epochs,
                 "batch_size": args.batch_size})  # fmt: skip
    return 0


def _digits_add(args) -> int:
    from mnist_app.datasets.digit_store import DigitStore, check_label
    from mnist_app.datasets.preparation import ImageError, load_image_file, prepare_digit

    check_label(args.label)
    _check_images(args.images)
    prepared = []
    for image in args.images:
        digit = prepare_digit(load_image_file(image))
        if digit.image is None:
            raise ImageError(f"{image}: {digit.reason}")
        prepared.append(digit.image)
    added = DigitStore().add_many(prepared, [args.label] * len(prepared))
    _print_json(
        {
            "added": [
                {"image": str(image), "id": i, "split": split}
                for image, (i, split) in zip(args.images, added, strict=True)
            ],
            **_digit_counts(),
        }
    )
    return 0


def _digit_counts() -> dict:
    from mnist_app.datasets.digit_store import DigitStore

    return DigitStore().counts()


def _digits_list(args) -> int:
    _print_json(_digit_counts())
    return 0


def _digits_export(args) -> int:
    import numpy as np

    from mnist_app.datasets.digit_store import DigitStore

    output = args.output.expanduser()
    _check_text_name(output, "--output")
    if output.suffix != ".npz" or output.is_dir():
        raise UserError(f"--output {output} must name an .npz file")
    _check_writable(output.parent, "the digits")
    data = DigitStore().read().dataset()
    arrays = {"x_train": data.x_train, "y_train": data.y_train, "x_test": data.x_test, "y_test": data.y_test}
    atomic_write(output, lambda file: np.savez_compressed(file, **arrays))
    _print_json({"path": str(output), "train": len(data.y_train), "test": len(data.y_test)})
    return 0


def _digits_import(args) -> int:
    import numpy as np

    from mnist_app.datasets.catalogue import load_npz
    from mnist_app.datasets.digit_store import DigitStore

    if not args.file.exists():
        raise UserError(f"no such file: {args.file}")
    data = load_npz(args.file)
    images = np.concatenate([data.x_train, data.x_test])
    labels = np.concatenate([data.y_train, data.y_test])
    added = DigitStore().add_many(list(images), [int(label) for label in labels])
    _print_json({"added": len(added), **_digit_counts()})
    return 0
