"""`data`: a dataset's figures."""

from __future__ import annotations

from mnist_app.cli.output import print_json
from mnist_app.datasets.catalogue import load_dataset


def data_command(args) -> int:
    """`data --dataset NAME`: its name, source, split sizes and classes."""
    print_json(load_dataset(args.dataset).summary())
    return 0
