"""`lab --export FILE`: the Lab page's notebook (.ipynb) or script (.py) for a dataset."""

from __future__ import annotations

from mnist_app.cli.output import print_json
from mnist_app.cli.paths import check_text_name, check_writable
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.errors import UserError
from mnist_app.files import atomic_write


def lab_command(args) -> int:
    """`lab --export FILE`: the path, its format and the choices it was written with."""
    from mnist_app.lab.export import FORMATS, notebook, script
    from mnist_app.learning.limits import check_epochs_and_batch_size

    target = args.export.expanduser()
    check_text_name(target, "--export")
    kind = FORMATS.get(target.suffix)
    if kind is None or not target.stem:
        raise UserError(f"--export {target} must name a {' or a '.join(FORMATS)} file")
    if target.is_dir():
        raise UserError(f"--export {target} is a folder; give a file name")
    check_epochs_and_batch_size(args.epochs, args.batch_size)
    check_writable(target.parent, "the lab")
    dataset = load_dataset(args.dataset)
    write = notebook if kind == "notebook" else script
    text = write(dataset.name, args.dataset, args.epochs, args.batch_size)
    atomic_write(target, lambda file: file.write(text.encode("utf-8")))
    print_json({"path": str(target), "format": kind, "dataset": dataset.name, "epochs": args.epochs,
                "batch_size": args.batch_size})  # fmt: skip
    return 0
