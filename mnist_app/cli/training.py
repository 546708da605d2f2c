"""`train`: train a model and save it, or fine-tune a saved one (`--from-model`); the network
the lab's, the app's CNN or one of your own (`--layers`), on as much data as you choose."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from mnist_app import settings
from mnist_app.cli.models import model_description
from mnist_app.cli.output import print_json, print_progress
from mnist_app.cli.paths import check_text_name, check_writable
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.errors import UserError
from mnist_app.files import read_regular
from mnist_app.learning.designs import MAX_TEXT_LENGTH, DesignError, Layer, parse_json, parse_text
from mnist_app.learning.limits import BUILT
from mnist_app.learning.model_files import SUFFIX, save_model
from mnist_app.learning.model_store import ModelStore, trained_name
from mnist_app.learning.training_choices import TrainConfig


def train_command(args) -> int:
    """`train`: every choice and path checked, then the training, the file and its JSON line."""
    from mnist_app.jobs import cluster
    from mnist_app.learning.finetune import LEARNING_RATE, before_and_after, mixed

    output = _output_path(args.output) if args.output else None
    check_writable(output.parent if output else ModelStore().root)
    base = _fine_tuning_base(args)
    learning_rate = (
        args.learning_rate if args.learning_rate is not None else (LEARNING_RATE if base else 1e-3)
    )
    arch, layers = (base[1], base[2]) if base else _network(args)
    config = TrainConfig(
        arch,
        args.epochs,
        args.batch_size,
        learning_rate,
        base=str(base[0]) if base else "",
        layers=layers,
        optimizer=args.optimizer,
        augment=args.augment,
        train_size=args.train_size,
        label_noise=args.label_noise,
        seed=args.seed,
    )
    config.validate()
    if cluster.configured():  # A cluster that does not answer is said before any data is read.
        cluster.connect()
    dataset = load_dataset(args.dataset)
    if len(dataset.y_train) == 0:
        raise UserError(f"dataset {dataset.name!r} has no training images")
    replay_name = args.replay or ("auto" if base and dataset.name == "my-digits" else None)
    replay = load_dataset(replay_name) if replay_name else None
    trained_on = mixed(dataset, replay) if replay is not None else dataset
    images = config.training_images(len(trained_on.y_train))
    print(
        f"training {config.network_name} on {trained_on.name} ({_data_words(config, images, trained_on)})",
        file=sys.stderr,
    )
    from mnist_app.learning.training import train

    if cluster.configured():
        result = cluster.train(trained_on, config, print_progress, on_placed=_print_placement)
    else:
        result = train(trained_on, config, on_progress=print_progress)
    print(file=sys.stderr)
    metadata = result.metadata(command="python -m mnist_app " + shlex.join(args.argv))
    if output is None:
        name = trained_name(config.network_name, trained_on.name)
        output = ModelStore().save_new(result.model, name, metadata).path
    else:
        save_model(result.model, output, metadata)
    summary = {"model_path": str(output), **result.metadata()}
    if base and replay is not None:
        from mnist_app.learning.model_files import load_model

        figures = before_and_after(load_model(base[0]), result.model, dataset, replay)
        summary["before_after"] = figures.rows(dataset.name, replay.name)
    print_json(summary)
    return 0


def _print_placement(placement) -> None:
    print(f"training on the Ray cluster at {settings.ray_address()}: {placement}", file=sys.stderr)


def _data_words(config: TrainConfig, images: int, dataset) -> str:
    """What the run learns from, in words: "300 of 4,000 images, 15 labels made wrong"."""
    available = len(dataset.y_train)
    words = f"{images:,} images" if images == available else f"{images:,} of {available:,} images"
    wrong = round(config.label_noise * images)
    return words + (f", {wrong:,} label{'s' * (wrong != 1)} made wrong" if wrong else "")


def _network(args) -> tuple[str, tuple[Layer, ...]]:
    """`--arch`, or the network `--layers` designs: read from a file or the short form."""
    if args.layers is None:
        return args.arch or "mlp", ()
    if args.arch is not None:
        raise UserError(f"--layers designs the network itself; leave out --arch {args.arch}")
    if not args.layers.strip().lower().endswith(".json"):
        return BUILT, parse_text(args.layers)
    path = Path(args.layers).expanduser()
    if not path.exists():
        raise DesignError(f"no such layer file: {path}")
    # A design is short: a file far larger than any is refused unread.
    content = read_regular(path, 4 * MAX_TEXT_LENGTH, DesignError)
    try:
        return BUILT, parse_json(content)
    except DesignError as error:
        raise DesignError(f"{path}: {error}") from None


def _fine_tuning_base(args) -> tuple[Path, str, tuple[Layer, ...]] | None:
    """`--from-model`'s file and network, checked before any data is read."""
    from mnist_app.learning.finetune import base_network

    if args.from_model is None:
        if args.replay:
            raise UserError("--replay mixes in digits while fine-tuning: give --from-model too")
        return None
    if args.layers is not None:
        raise UserError("--from-model fine-tunes the saved model's own network; leave out --layers")
    metadata = model_description(args.from_model)
    arch, layers = base_network(metadata, str(args.from_model))
    classes = metadata.get("classes")
    if classes and list(classes) != list(DIGIT_NAMES) and args.dataset == "my-digits":
        raise UserError(f"{args.from_model} reads other classes ({', '.join(classes[:3])}, ...) than digits")
    return args.from_model, arch, layers


def _output_path(output: Path) -> Path:
    """Where `train --output` writes, checked before training: a `.keras` file in a folder."""
    output = output.expanduser()
    check_text_name(output, "--output")
    if output.is_dir() or not output.name:
        raise UserError(f"--output {output} is a folder; give a file name ending in {SUFFIX}")
    if output.suffix == "":
        output = output.with_name(output.name + SUFFIX)
    if output.suffix != SUFFIX:
        raise UserError(f"--output {output} must be a {SUFFIX} file (Keras 3's format)")
    return output
