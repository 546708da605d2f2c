"""`digits add|list|export|import`: the collection of your own digits, shared with the app."""

from __future__ import annotations

from mnist_app.cli.images import check_images
from mnist_app.cli.output import print_json
from mnist_app.cli.paths import check_text_name, check_writable
from mnist_app.errors import UserError
from mnist_app.files import atomic_write


def add_command(args) -> int:
    """`digits add --label N IMAGE...`: every image kept, or none if one shows no digit."""
    from mnist_app.datasets.digit_store import DigitStore, check_label
    from mnist_app.datasets.preparation import ImageError, load_image_file, prepare_digit

    check_label(args.label)
    check_images(args.images)
    prepared = []
    for image in args.images:
        digit = prepare_digit(load_image_file(image))
        if digit.image is None:
            raise ImageError(f"{image}: {digit.reason}")
        prepared.append(digit.image)
    added = DigitStore().add_many(prepared, [args.label] * len(prepared))
    print_json(
        {
            "added": [
                {"image": str(image), "id": i, "split": split}
                for image, (i, split) in zip(args.images, added, strict=True)
            ],
            **_digit_counts(),
        }
    )
    return 0


def list_command(args) -> int:
    """`digits list`: how many of each label in each split."""
    print_json(_digit_counts())
    return 0


def export_command(args) -> int:
    """`digits export --output FILE.npz`: the collection in Keras' layout, written whole."""
    import numpy as np

    from mnist_app.datasets.digit_store import DigitStore

    output = args.output.expanduser()
    check_text_name(output, "--output")
    if output.suffix != ".npz" or output.is_dir():
        raise UserError(f"--output {output} must name an .npz file")
    check_writable(output.parent, "the digits")
    data = DigitStore().read().dataset()
    arrays = {"x_train": data.x_train, "y_train": data.y_train, "x_test": data.x_test, "y_test": data.y_test}
    atomic_write(output, lambda file: np.savez_compressed(file, **arrays))
    print_json({"path": str(output), "train": len(data.y_train), "test": len(data.y_test)})
    return 0


def import_command(args) -> int:
    """`digits import FILE.npz`: every digit of an archive in Keras' layout added."""
    import numpy as np

    from mnist_app.datasets.digit_store import DigitStore
    from mnist_app.datasets.sources import load_npz

    if not args.file.exists():
        raise UserError(f"no such file: {args.file}")
    data = load_npz(args.file)
    images = np.concatenate([data.x_train, data.x_test])
    labels = np.concatenate([data.y_train, data.y_test])
    added = DigitStore().add_many(list(images), [int(label) for label in labels])
    print_json({"added": len(added), **_digit_counts()})
    return 0


def _digit_counts() -> dict:
    from mnist_app.datasets.digit_store import DigitStore

    return DigitStore().counts()
