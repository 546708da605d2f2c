"""`train`: train a model and save it, or fine-tune a saved one (`--from-model`)."""

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
from mnist_app.learning.limits import ARCHITECTURE_NAMES, check_training_choices
from mnist_app.learning.model_files import SUFFIX, save_model
from mnist_app.learning.model_store import ModelStore, name_from


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
        result = cluster.train(trained_on, config, print_progress, on_placed=_print_placement)
    else:
        result = train(trained_on, config, on_progress=print_progress)
    print(file=sys.stderr)
    metadata = result.metadata(command="python -m mnist_app " + shlex.join(args.argv))
    if output is None:
        output = ModelStore().save_new(result.model, name_from(config.arch, trained_on.name), metadata).path
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


def _fine_tuning_base(args) -> tuple[Path, str] | None:
    """`--from-model`'s file and architecture, checked before any data is read."""
    if args.from_model is None:
        if args.replay:
            raise UserError("--replay mixes in digits while fine-tuning: give --from-model too")
        return None
    metadata = model_description(args.from_model)
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
    check_text_name(output, "--output")
    if output.is_dir() or not output.name:
        raise UserError(f"--output {output} is a folder; give a file name ending in {SUFFIX}")
    if output.suffix == "":
        output = output.with_name(output.name + SUFFIX)
    if output.suffix != SUFFIX:
        raise UserError(f"--output {output} must be a {SUFFIX} file (Keras 3's format)")
    return output
