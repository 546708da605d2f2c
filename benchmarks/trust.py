"""How far to trust it: each curve over the test digits, and one digit's attack, for the lab's MLP
and the app's CNN, both trained here for a few epochs.

    python benchmarks/trust.py [--dataset mnist-sample] [--epochs 3] [--train-size 0] [--repeats 20]

Seconds of server time for each curve (FGSM and PGD against ε, the four changes, calibration,
not-a-digit, deletion scores), milliseconds for one digit's attack at a new ε and for its
smallest ε, then the figures themselves: what a 3-pixel shift costs each model, the
calibration error before and after temperature scaling, and the AUROC against each kind of
non-digit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from mnist_app.datasets.catalogue import load_dataset  # noqa: E402
from mnist_app.datasets.dataset import DIGIT_NAMES  # noqa: E402
from mnist_app.learning.attacks import Attacker  # noqa: E402
from mnist_app.learning.calibration import measured_and_held_apart  # noqa: E402
from mnist_app.learning.deletion_scores import deletion_scores  # noqa: E402
from mnist_app.learning.evaluation import evaluate  # noqa: E402
from mnist_app.learning.inspection import Inspector  # noqa: E402
from mnist_app.learning.robustness import MAX_CURVE_DIGITS  # noqa: E402
from mnist_app.learning.training import TrainConfig, train  # noqa: E402
from mnist_app.learning.trust_figures import measure as figure  # noqa: E402
from mnist_app.learning.trust_figures import non_digits  # noqa: E402


def timed(work):
    began = time.perf_counter()
    result = work()
    return result, time.perf_counter() - began


def one_digit(attacker: Attacker, digit, repeats: int) -> dict[str, float]:
    """Median milliseconds: an attack at a new ε (as the slider moves), and the smallest ε."""
    figures = {}
    for method in ("fgsm", "pgd"):
        attacker.attack(digit, 0.05, method)
        figures[f"{method}: a new ε"] = statistics.median(
            timed(lambda e=e, m=method: attacker.attack(digit, e, m))[1] * 1000
            for e in (0.01 + 0.3 * i / repeats for i in range(repeats))
        )
        figures[f"{method}: smallest ε"] = statistics.median(
            timed(lambda m=method: attacker.smallest_epsilon(digit, m))[1] * 1000
            for _ in range(max(1, repeats // 4))
        )
    return figures


def measure(model, dataset, repeats: int, deletion_digits: int) -> tuple[dict, dict]:
    """The Trust page's figures, measured as the page measures them (`trust_figures.measure`)."""
    x, y = dataset.x_test, dataset.y_test
    attacker = Attacker(model)
    seconds, figures = {}, {}
    noise, seconds["FGSM against ε"] = timed(lambda: figure("fgsm", dataset, model, attacker))
    pgd, seconds["PGD against ε"] = timed(lambda: figure("pgd", dataset, model, attacker))
    curves, seconds["shift, turn, scale, thickness"] = timed(lambda: figure("changes", dataset, model))
    (measured, _), _ = measured_and_held_apart(x, y)
    calibration, seconds["calibration"] = timed(lambda: figure("calibration", dataset, model))
    rejection = None
    if tuple(dataset.class_names) == DIGIT_NAMES:  # clothes are no non-digits to a model of clothes
        confidences, seconds["not a digit (with its histograms)"] = timed(
            lambda: figure("not_a_digit", dataset, model)
        )
        rejection = confidences.result
    inspector = Inspector(model)
    deletions, seconds[f"deletion scores ({deletion_digits} digits)"] = timed(
        lambda: deletion_scores(inspector, x, size=deletion_digits)
    )
    by_kind = {curve.kind: curve for curve in curves}
    shift = by_kind["shift"]
    figures["test accuracy"] = evaluate(model, x[:MAX_CURVE_DIGITS], y[:MAX_CURVE_DIGITS]).accuracy
    figures["lost at a 3-pixel shift"] = shift.at(0) - shift.at(3)
    figures["accuracy turned 30°"] = (by_kind["turn"].at(30) + by_kind["turn"].at(-30)) / 2
    figures["accuracy at 0.6 and 1.4 times the size"] = (
        by_kind["scale"].at(0.6) + by_kind["scale"].at(1.4)
    ) / 2
    figures["accuracy thinner / thicker by 2"] = by_kind["thickness"].at(2)
    figures["FGSM accuracy at ε 0.1"] = noise.at(0.1)
    figures[f"PGD accuracy at ε 0.1 ({pgd.n} digits)"] = pgd.at(0.1)
    figures["ECE before"] = calibration.before.error
    figures["ECE after"] = calibration.after.error
    figures["temperature"] = calibration.temperature
    if rejection is not None:
        figures["threshold (95% of held-apart digits kept)"] = rejection.threshold
        for source in rejection.sources:
            figures[f"AUROC: {source.title}"] = source.auroc
    for deletion in deletions:
        figures[f"deletion score: {deletion.title}"] = deletion.score
    return seconds | one_digit(attacker, measured[0], repeats), figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist-sample")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-size", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--deletion-digits", type=int, default=200)
    args = parser.parse_args()
    dataset = load_dataset(args.dataset)
    _, skipped = non_digits()
    timings, figures = {}, {}
    for arch in ("mlp", "cnn"):
        model = train(dataset, TrainConfig(arch, epochs=args.epochs, train_size=args.train_size)).model
        timings[arch], figures[arch] = measure(model, dataset, args.repeats, args.deletion_digits)
    print(
        f"Trust on {dataset.name} ({min(MAX_CURVE_DIGITS, len(dataset.y_test))} test digits), "
        f"models trained {args.epochs} epochs" + (f" on {args.train_size} images" if args.train_size else "")
    )
    print("| server time | MLP | CNN |")
    print("|---|---|---|")
    for name in timings["mlp"]:
        unit = "ms" if "ε" in name and ":" in name else "s"
        print(f"| {name} ({unit}) | {timings['mlp'][name]:.2f} | {timings['cnn'][name]:.2f} |")
    print("| figure | MLP | CNN |")
    print("|---|---|---|")
    for name in dict.fromkeys([*figures["mlp"], *figures["cnn"]]):
        row = [f"{figures[arch][name]:.3f}" if name in figures[arch] else "–" for arch in ("mlp", "cnn")]
        print(f"| {name} | {' | '.join(row)} |")
    if skipped:
        print("skipped: " + "; ".join(f"{name}: {why}" for name, why in skipped.items()))


if __name__ == "__main__":
    main()
