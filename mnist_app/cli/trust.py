"""`attack` and `robustness`: how far to trust a saved model. Noise made to fool it on each
image, and on the test split how it fares when digits are moved, turned, scaled, drawn thinner
or thicker, how sure it is when wrong, and whether it tells a digit from something else."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from mnist_app.cli.images import prepared
from mnist_app.cli.models import check_classes, model_description, outputs_of
from mnist_app.cli.output import print_json
from mnist_app.cli.paths import check_text_name, check_writable
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.dataset import DIGIT_NAMES
from mnist_app.datasets.digit_arrays import NUM_CLASSES
from mnist_app.errors import UserError
from mnist_app.files import atomic_write

METHODS = ("fgsm", "pgd")  # as learning.attacks has them, checked before TensorFlow is imported
PNG_ZOOM = 8


def attack_command(args) -> int:
    """`attack IMAGE...`: one line per image, the answer before and after, and the smallest ε."""
    if args.method not in METHODS:
        raise UserError(f"--method {args.method!r} is not one of {', '.join(METHODS)}")
    if args.target is not None and not 0 <= args.target < NUM_CLASSES:
        raise UserError(f"--target must be a whole number in 0..{NUM_CLASSES - 1}, not {args.target}")
    if args.epsilon is not None and not 0 <= args.epsilon <= 1:
        raise UserError(f"--epsilon must be a number from 0 to 1, not {args.epsilon:g}")
    images = prepared(args.images)
    if args.png is not None:
        for image, _ in images:
            for path in _picture_paths(args, image):
                check_text_name(path, "--png")
        check_writable(args.png, "pictures")
    model_description(args.model)
    from mnist_app.learning.attacks import Attacker
    from mnist_app.learning.model_files import load_model

    attacker = Attacker(load_model(args.model))
    for image, digit in images:
        if digit.image is None:
            print_json({"image": str(image), "digit": None, "reason": digit.reason})
            continue
        with outputs_of(args.model):
            smallest = attacker.smallest_epsilon(digit.image, args.method, args.target)
            attack = smallest.attack
            if args.epsilon is not None:
                attack = attacker.attack(digit.image, args.epsilon, args.method, args.target)
        if args.png is not None:
            _write_pictures(_picture_paths(args, image), attack)
        print_json(
            {
                "image": str(image),
                "method": args.method,
                "target": args.target,
                "epsilon": round(attack.epsilon, 6),
                "before": {"digit": attack.before, "confidence": round(attack.before_confidence, 6)},
                "after": {"digit": attack.after, "confidence": round(attack.after_confidence, 6)},
                "fooled": attack.fooled,
                "smallest_epsilon": None if smallest.epsilon is None else round(smallest.epsilon, 6),
                "tolerance": round(smallest.tolerance, 6),
            }
        )
    return 0


def robustness_command(args) -> int:
    """`robustness --models A B ...`: one line per model, its curves, calibration and AUROC."""
    described = [(path, model_description(path)) for path in args.models]
    dataset = load_dataset(args.dataset, require_train=False)
    for path, metadata in described:
        check_classes(path, metadata, dataset)
    if len(dataset.y_test) < 2:
        raise UserError(f"{dataset.name} has too few test digits to measure on")
    from mnist_app.learning.calibration import measured_and_held_apart
    from mnist_app.learning.model_files import load_model
    from mnist_app.learning.trust_figures import measure

    # Every model is read and checked before any is measured: a bad last one fails at once.
    loaded = [(path, load_model(path)) for path, _ in described]
    digits = tuple(dataset.class_names) == DIGIT_NAMES
    (_, measured_labels), _ = measured_and_held_apart(dataset.x_test, dataset.y_test)
    for path, model in loaded:
        with outputs_of(path):
            curves = [measure("fgsm", dataset, model, progress=_progress(path, "noise"))]
            curves += measure("changes", dataset, model, progress=_progress(path, "changes"))
            calibration = measure("calibration", dataset, model)
            rejection = measure("not_a_digit", dataset, model).result if digits else None
        print(file=sys.stderr, flush=True)
        print_json(
            {
                "model": str(path),
                "dataset": dataset.name,
                "curves": {curve.kind: curve.summary() for curve in curves},
                "calibration": {
                    "temperature": round(calibration.temperature, 6),
                    "ece_before": round(calibration.before.error, 6),
                    "ece_after": round(calibration.after.error, 6),
                    "n": len(measured_labels),
                    "fitted_on": calibration.fitted_on,
                },
                "not_a_digit": None if rejection is None else rejection.summary(),
            }
        )
    return 0


def _progress(path: Path, what: str):
    def report(fraction: float) -> None:
        print(f"\r{path.name}: {what} ({fraction:.0%})".ljust(72), end="", file=sys.stderr, flush=True)

    return report


def _picture_paths(args, image: Path) -> tuple[Path, Path]:
    return args.png / f"{image.stem}-{args.method}.png", args.png / f"{image.stem}-{args.method}-change.png"


def _write_pictures(paths: tuple[Path, Path], attack) -> None:
    """The changed digit, and the change itself: mid grey none, white +ε, black -ε (or 1/255)."""
    from PIL import Image

    from mnist_app.datasets.pictures import enlarge

    limit = max(attack.epsilon, 1 / 255)
    change = np.clip(0.5 + attack.change / (2 * limit), 0.0, 1.0)
    for path, picture in zip(paths, (attack.image, change), strict=True):
        grey = Image.fromarray(enlarge(np.round(picture * 255).astype(np.uint8), PNG_ZOOM))
        atomic_write(path, lambda file, grey=grey: grey.save(file, format="PNG"))
