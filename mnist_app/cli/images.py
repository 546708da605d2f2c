"""Images named on the command line: checked, then prepared as the Draw page does, before
TensorFlow is imported."""

from __future__ import annotations

from pathlib import Path

from mnist_app.files import open_regular


def check_images(paths: list[Path]) -> None:
    """Every image is there and small enough, before a model is loaded."""
    from mnist_app.datasets.preparation import MAX_UPLOAD_BYTES, ImageError

    for image in paths:
        if not image.exists():
            raise ImageError(f"no such image file: {image}")
        open_regular(image, MAX_UPLOAD_BYTES, ImageError).close()


def prepared(images: list[Path]) -> list:
    """Each image with its digit prepared as MNIST's, all decoded before TensorFlow is imported."""
    from mnist_app.datasets.preparation import load_image_file, prepare_digit

    check_images(images)
    return [(image, prepare_digit(load_image_file(image))) for image in images]
