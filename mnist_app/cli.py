"""The command line: `data`, `train`, `evaluate`, `compare`, `predict`, `explain`, `lab`, `digits`.

Each command prints one JSON object as its last stdout line (`predict`: one per image);
progress goes to stderr; a bad input exits 2 with a one-line message and no traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import warnings
from pathlib import Path

from mnist_app.data import DIGIT_NAMES, load_dataset
from mnist_app.errors import UserError, one_line
from mnist_app.files import open_regular
from mnist_app.store import DEFAULT_MODEL_NAME, SUFFIX, ModelStore, name_from, save_model

USAGE_ERROR = 2
INTERNAL_ERROR = 1


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one line on stderr, never a traceback."""
    parser = _parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv
    # Library warnings (deprecations and the like) say nothing a user of the command can act on.
    warnings.simplefilter("ignore")
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


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with the process's stderr pointed at /dev/null meanwhile.

    Its C++ start-up lines (oneDNN, CUDA, CPU features, a failed `cuInit` on a machine
    without a GPU) are written before any log level applies (`TF_CPP_MIN_LOG_LEVEL` does not
    silence them in TensorFlow 2.21), and would bury a failing command's one line. Listing
    the devices starts the platforms here, inside the quiet window, rather than later.
    """
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (a test's capture): leave it be
        return
    sys.stderr.flush()
    saved, devnull = os.dup(stderr_fd), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stderr_fd)
        import tensorflow

        tensorflow.config.list_physical_devices()
        # Its Python warnings ("... triggered tf.function retracing") say nothing a user can act on.
        tensorflow.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved, stderr_fd)
        os.close(saved)
        os.close(devnull)


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
    print(json.dumps(value), flush=True)


def _data(args) -> int:
    _print_json(load_dataset(args.dataset).summary())
    return 0


def _train(args) -> int:
    output = _output_path(args.output) if args.output else None
    _check_writable(output.parent if output else ModelStore().root)
    base = _fine_tuning_base(args)
    from mnist_app import cluster

    if cluster.configured():  # A cluster that does not answer is said before any data is read.
        cluster.connect()
    dataset = load_dataset(args.dataset)
    if len(dataset.y_train) == 0:
        raise UserError(f"dataset {dataset.name!r} has no training images")
    replay_name = args.replay or ("auto" if base and dataset.name == "my-digits" else None)
    replay = load_dataset(replay_name) if replay_name else None
    _import_tensorflow_quietly()
    from mnist_app.finetune import LEARNING_RATE, before_and_after, mixed
    from mnist_app.training import TrainConfig, train

    learning_rate = (
        args.learning_rate if args.learning_rate is not None else (LEARNING_RATE if base else 1e-3)
    )
    arch = base[1] if base else args.arch
    config = TrainConfig(arch, args.epochs, args.batch_size, learning_rate, base=str(base[0]) if base else "")
    config.validate()
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
        save_model(result.model, output, metadata)
    summary = {"model_path": str(output), **result.metadata()}
    if base and replay is not None:
        from mnist_app.store import load_model

        figures = before_and_after(load_model(base[0]), result.model, dataset, replay)
        summary["before_after"] = figures.rows(dataset.name, replay.name)
    _print_json(summary)
    return 0


def _print_placement(placement) -> None:
    from mnist_app import cluster

    print(f"training on the Ray cluster at {cluster.address()}: {placement}", file=sys.stderr)


def _fine_tuning_base(args) -> tuple[Path, str] | None:
    """`--from-model`'s file and architecture, checked before any data is read."""
    if args.from_model is None:
        if args.replay:
            raise UserError("--replay mixes in digits while fine-tuning: give --from-model too")
        return None
    from mnist_app.store import read_metadata

    if not args.from_model.exists():
        raise UserError(f"no such model file: {args.from_model}")
    metadata = read_metadata(args.from_model)
    arch = metadata.get("arch", "")
    if arch not in ("mlp", "cnn"):
        raise UserError(f"{args.from_model} was not trained by this app (mlp or cnn); fine-tune one that was")
    classes = metadata.get("classes")
    if classes and list(classes) != list(DIGIT_NAMES) and args.dataset == "my-digits":
        raise UserError(f"{args.from_model} reads other classes ({', '.join(classes[:3])}, ...) than digits")
    return args.from_model, arch


def _output_path(output: Path) -> Path:
    """Where `train --output` writes, checked before training: a `.keras` file in a folder."""
    output = output.expanduser()
    if output.is_dir() or not output.name:
        raise UserError(f"--output {output} is a folder; give a file name ending in {SUFFIX}")
    if output.suffix == "":
        output = output.with_name(output.name + SUFFIX)
    if output.suffix != SUFFIX:
        raise UserError(f"--output {output} must be a {SUFFIX} file (Keras 3's format)")
    return output


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
    from mnist_app.evaluation import evaluate
    from mnist_app.store import load_model

    if not args.model.exists():
        raise UserError(f"no such model file: {args.model}")
    dataset = load_dataset(args.dataset, require_train=False)
    _import_tensorflow_quietly()
    model = load_model(args.model)
    _print_json(evaluate(model, dataset.x_test, dataset.y_test).summary())
    return 0


def _compare(args) -> int:
    from mnist_app.comparison import compare, contender
    from mnist_app.evaluation import evaluate
    from mnist_app.store import load_model, read_metadata

    if len(args.models) < 2:
        raise UserError("compare needs at least two models after --models")
    for path in args.models:
        if not path.exists():
            raise UserError(f"no such model file: {path}")
    dataset = load_dataset(args.dataset, require_train=False)
    _import_tensorflow_quietly()
    # Every model is read and checked before any is evaluated: a bad last one fails at once.
    loaded = [(path, load_model(path), read_metadata(path)) for path in args.models]
    for path, _, metadata in loaded:
        trained_on = metadata.get("classes")
        if trained_on and list(trained_on) != list(dataset.class_names):
            raise UserError(
                f"{path} was trained on other classes ({', '.join(trained_on[:3])}, ...) than {dataset.name} has"
            )
    contenders = [
        contender(str(path), model, evaluate(model, dataset.x_test, dataset.y_test), metadata)
        for path, model, metadata in loaded
    ]
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


def _check_images(paths: list[Path]) -> None:
    """Every image is there and small enough, before a model is loaded."""
    from mnist_app.preprocessing import MAX_UPLOAD_BYTES, ImageError

    for image in paths:
        if not image.exists():
            raise ImageError(f"no such image file: {image}")
        open_regular(image, MAX_UPLOAD_BYTES, ImageError).close()


def _default_or(model: Path | None):
    """The model given, or the models folder's default.keras (TensorFlow already imported)."""
    from mnist_app.store import load_model

    return load_model(model or ModelStore().path(DEFAULT_MODEL_NAME))


def _digits(images: list[Path]):
    """Each image's digit prepared as MNIST's; a blank image gets its own line and is skipped."""
    from mnist_app.preprocessing import load_image_file, prepare_digit

    for image in images:
        prepared = prepare_digit(load_image_file(image))
        if prepared.image is None:
            _print_json({"image": str(image), "digit": None, "reason": prepared.reason})
        else:
            yield image, prepared.image


def _predict(args) -> int:
    from mnist_app.evaluation import predict_probabilities

    _check_images(args.images)
    _import_tensorflow_quietly()
    model = _default_or(args.model)
    for image, digit in _digits(args.images):
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
    _check_images(args.images)
    if args.png is not None:
        _check_writable(args.png, "heat maps")
    _import_tensorflow_quietly()
    from mnist_app.inspection import Inspector

    inspector = Inspector(_default_or(args.model))
    for image, digit in _digits(args.images):
        views = inspector.layers(digit)
        predicted = int(views[-1].values.argmax())
        target = predicted if args.target is None else args.target
        attribution = inspector.attribution(digit, target, args.method)
        if args.png is not None:
            _write_heat_map(args.png / f"{image.stem}-{args.method}.png", digit, attribution)
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


def _rounded(array) -> list:
    return [[round(float(value), 6) for value in row] for row in array]


def _write_heat_map(path: Path, digit, attribution) -> None:
    """The attribution over the digit, as the Inside page shows it, 8 times enlarged."""
    from PIL import Image

    from mnist_app.pictures import attribution_scale, enlarge, overlay

    cmap, low, high = attribution_scale(attribution)
    Image.fromarray(enlarge(overlay(digit, attribution, low, high, cmap=cmap), 8)).save(path)


def _lab(args) -> int:
    from mnist_app.lab_export import FORMATS, notebook, script
    from mnist_app.limits import check_epochs_and_batch_size

    target = args.export.expanduser()
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
    _write_atomically(target, text)
    _print_json({"path": str(target), "format": kind, "dataset": dataset.name, "epochs": args.epochs,
                 "batch_size": args.batch_size})  # fmt: skip
    return 0


def _write_atomically(path: Path, write, binary: bool = False) -> None:
    """Write beside, then rename: the file is the old one or the new one, never half of one.

    `write` is the text, or (binary) a function that writes into the open file. On failure
    the temporary file goes too.
    """
    name = ""
    try:
        mode = "wb" if binary else "w"
        with tempfile.NamedTemporaryFile(
            mode, dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as file:
            name = file.name
            if binary:
                write(file)
            else:
                file.write(write)
        os.chmod(name, 0o644)
        os.replace(name, path)
    except OSError as error:
        if name:
            Path(name).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror or error}") from None


def _digits_add(args) -> int:
    from mnist_app.my_digits import DigitStore, check_label
    from mnist_app.preprocessing import ImageError, load_image_file, prepare_digit

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
    from mnist_app.my_digits import DigitStore

    return DigitStore().counts()


def _digits_list(args) -> int:
    _print_json(_digit_counts())
    return 0


def _digits_export(args) -> int:
    import numpy as np

    from mnist_app.my_digits import DigitStore

    output = args.output.expanduser()
    if output.suffix != ".npz" or output.is_dir():
        raise UserError(f"--output {output} must name an .npz file")
    _check_writable(output.parent, "the digits")
    data = DigitStore().read().dataset()
    with tempfile.NamedTemporaryFile(
        dir=output.parent, prefix=f".{output.name}.", suffix=".npz", delete=False
    ) as file:
        np.savez_compressed(
            file, x_train=data.x_train, y_train=data.y_train, x_test=data.x_test, y_test=data.y_test
        )
    os.replace(file.name, output)
    _print_json({"path": str(output), "train": len(data.y_train), "test": len(data.y_test)})
    return 0


def _digits_import(args) -> int:
    import numpy as np

    from mnist_app.data import load_npz
    from mnist_app.my_digits import DigitStore

    if not args.file.exists():
        raise UserError(f"no such file: {args.file}")
    data = load_npz(args.file)
    images = np.concatenate([data.x_train, data.x_test])
    labels = np.concatenate([data.y_train, data.y_test])
    added = DigitStore().add_many(list(images), [int(label) for label in labels])
    _print_json({"added": len(added), **_digit_counts()})
    return 0
