"""`predict` and `explain`: a saved model reads the digit in each image, and says why."""

from __future__ import annotations

from pathlib import Path

from mnist_app.cli.images import prepared
from mnist_app.cli.models import model_description, model_path, outputs_of
from mnist_app.cli.output import print_json
from mnist_app.cli.paths import check_text_name, check_writable
from mnist_app.datasets.digit_arrays import NUM_CLASSES
from mnist_app.errors import UserError
from mnist_app.files import atomic_write


def predict_command(args) -> int:
    """`predict IMAGE...`: one line per image, its digit and the ten probabilities."""
    from mnist_app.learning.evaluation import predict_probabilities
    from mnist_app.learning.model_files import load_model

    images = prepared(args.images)
    path = model_path(args.model)
    model_description(path)
    model = load_model(path)
    with outputs_of(path):
        for image, digit in _digits(images):
            probabilities = predict_probabilities(model, digit[None])[0]
            print_json(
                {
                    "image": str(image),
                    "digit": int(probabilities.argmax()),
                    "confidence": round(float(probabilities.max()), 6),
                    "probabilities": [round(float(p), 6) for p in probabilities],
                }
            )
    return 0


def explain_command(args) -> int:
    """`explain IMAGE...`: one line per image, its attribution and what each layer made of it.

    What the arguments alone can refuse is refused before TensorFlow starts."""
    if args.layer is not None and args.method != "grad-cam":
        raise UserError(f"--layer is for --method grad-cam, not {args.method!r}")
    if args.target is not None and not 0 <= args.target < NUM_CLASSES:
        raise UserError(f"target class must be a whole number in 0..{NUM_CLASSES - 1}, not {args.target}")
    images = prepared(args.images)
    if args.png is not None:
        for image, _ in images:
            check_text_name(_heat_map_path(args, image), "--png")
        check_writable(args.png, "heat maps")
    path = model_path(args.model)
    model_description(path)
    from mnist_app.learning.evaluation import check_probabilities
    from mnist_app.learning.inspection import Inspector
    from mnist_app.learning.model_files import load_model

    inspector = Inspector(load_model(path))
    for image, digit in _digits(images):
        views = inspector.layers(digit)
        with outputs_of(path):
            check_probabilities(views[-1].values[None])
        predicted = int(views[-1].values.argmax())
        target = predicted if args.target is None else args.target
        attribution = inspector.attribution(digit, target, args.method, args.layer)
        if args.png is not None:
            _write_heat_map(_heat_map_path(args, image), digit, attribution)
        print_json(
            {
                "image": str(image),
                "digit": predicted,
                "method": args.method,
                "target": target,
                **({"layer": args.layer} if args.layer is not None else {}),
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


def _digits(images: list):
    """Each prepared digit; a blank image gets its own line and is skipped."""
    for image, digit in images:
        if digit.image is None:
            print_json({"image": str(image), "digit": None, "reason": digit.reason})
        else:
            yield image, digit.image


def _heat_map_path(args, image: Path) -> Path:
    at = f"-{args.layer}" if args.layer is not None else ""
    return args.png / f"{image.stem}-{args.method}{at}.png"


def _rounded(array) -> list:
    return [[round(float(value), 6) for value in row] for row in array]


def _write_heat_map(path: Path, digit, attribution) -> None:
    """The attribution over the digit, as the Inside page shows it, 8 times enlarged."""
    from PIL import Image

    from mnist_app.datasets.pictures import attribution_scale, enlarge, overlay

    cmap, low, high = attribution_scale(attribution)
    picture = Image.fromarray(enlarge(overlay(digit, attribution, low, high, cmap=cmap), 8))
    atomic_write(path, lambda file: picture.save(file, format="PNG"))
