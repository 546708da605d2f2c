"""`export --model PATH --format tflite|onnx`: a saved model as a file other programs run,
checked in its own runtime on a test split before it is written."""

from __future__ import annotations

from pathlib import Path

from mnist_app.cli.models import model_description
from mnist_app.cli.output import print_json
from mnist_app.cli.paths import check_text_name, check_writable
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.errors import UserError
from mnist_app.files import atomic_write
from mnist_app.learning.exports import FORMATS, check_format, export


def export_target(model: Path, format: str, output: Path | None) -> Path:
    """The file to write: `--output`, which must end in the format's suffix, or the model's
    name with that suffix in the current folder."""
    suffix = f".{format}"
    target = (output or Path(model.stem + suffix)).expanduser()
    check_text_name(target, "--output")
    if target.suffix != suffix or not target.stem or target.is_dir():
        raise UserError(f"--output {target} must be a file name ending in {suffix}")
    return target


def export_command(args) -> int:
    """`export`: the file written, its size, and the test digits it was checked on."""
    format = check_format(args.format)
    target = export_target(args.model, format, args.output)
    model_description(args.model)
    check_writable(target.parent, f"the {FORMATS[format]} file")
    dataset = load_dataset(args.dataset, require_train=False)

    from mnist_app.learning.model_files import load_model

    exported = export(load_model(args.model), format, dataset.x_test)
    atomic_write(target, lambda file: file.write(exported.content))
    print_json(
        {
            "path": str(target),
            "format": format,
            "bytes": len(exported.content),
            "model": str(args.model),
            "dataset": dataset.name,
            "checked_digits": exported.checked,
            "largest_difference": exported.largest_difference,
        }
    )
    return 0
