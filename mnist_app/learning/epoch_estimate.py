"""About how long one epoch of a design takes on this server, before it is trained.

Build shows it on every edit, so it is arithmetic, not a trial run: a design's multiply-adds
per image (`design_plan`) at the speed the trainer's path for it reached in BENCHMARKS.md,
plus a fixed cost per step. Then it is corrected by this server's own record: what the saved
models' epochs really took, against what this estimate would have said for them.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from mnist_app.learning.design_plan import Plan, plan
from mnist_app.learning.designs import PRESETS, DesignError, from_dicts

# A training image costs a forward pass and a backward pass (twice the forward's work); a test
# image only the forward pass.
TRAINING_COST = 3
# The benchmarks' data: full MNIST (or Fashion-MNIST, the same shapes), batches of 32.
FULL_MNIST_TRAIN, FULL_MNIST_TEST, BENCHMARK_BATCH = 60_000, 10_000, 32
# Random turns, shifts and zooms of each training image (BENCHMARKS.md: 0.8 ms a step of 32).
AUGMENT_S_PER_IMAGE = 25e-6
# Saved models whose record corrects the estimate: the newest, as the server is now.
RECENT_MODELS = 10


@dataclass(frozen=True)
class Speed:
    """How fast one of the trainer's paths runs: multiply-adds a second, and a cost per step."""

    multiply_adds_per_s: float
    step_s: float


def _fitted(preset: str, epoch_s: float, step_s: float, augment: bool) -> Speed:
    """The speed that makes a benchmarked preset's epoch take as long as it did."""
    work = plan(PRESETS[preset]).multiply_adds * (TRAINING_COST * FULL_MNIST_TRAIN + FULL_MNIST_TEST)
    fixed = step_s * math.ceil(FULL_MNIST_TRAIN / BENCHMARK_BATCH)
    fixed += AUGMENT_S_PER_IMAGE * FULL_MNIST_TRAIN if augment else 0.0
    return Speed(work / (epoch_s - fixed), step_s)


# Stacks without convolutions: XLA-fused steps; the lab's MLP took 1.98 s an epoch.
DENSE_SPEED = _fitted("The lab's MLP", 1.98, step_s=0.2e-3, augment=False)
# Convolutional stacks: oneDNN in bfloat16; the app's CNN took 11.89 s an epoch with
# augmentation. Without XLA each step costs more (Adam's update alone, about 1.5 ms).
CONV_SPEED = _fitted("The app's CNN", 11.89, step_s=2e-3, augment=True)


@dataclass(frozen=True)
class Estimate:
    """Seconds an epoch, and how many of the server's saved models corrected the figure."""

    seconds: float
    models: int

    @property
    def words(self) -> str:
        """In words, rounded as loosely as an estimate deserves: "about 4 s an epoch on this server"."""
        about = "under 0.1 s" if self.seconds < 0.1 else f"about {duration(self.seconds)}"
        return f"{about} an epoch on this server"


def duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def predicted_seconds(
    design: Plan, train_images: int, test_images: int, batch_size: int, augment: bool
) -> float:
    """An epoch by the benchmarks' speeds: training, then validation on the test split."""
    speed = DENSE_SPEED if design.fused else CONV_SPEED
    work = design.multiply_adds * (TRAINING_COST * train_images + test_images)
    seconds = work / speed.multiply_adds_per_s + math.ceil(train_images / batch_size) * speed.step_s
    return seconds + (AUGMENT_S_PER_IMAGE * train_images if augment else 0.0)


def measured_ratio(description: dict) -> float | None:
    """A saved model's steady epoch against what `predicted_seconds` says for it, or None.

    It needs the description's layer list, training and test images, batch size and epoch
    times; the first epoch (which compiles the steps) is left out, so a model of one epoch
    says nothing.
    """
    try:
        design = plan(from_dicts(description.get("layers")))
    except DesignError:
        return None
    epochs = description.get("epoch_seconds")
    train = description.get("train_size")
    test = description.get("test_images")
    batch = description.get("batch_size")
    augment = description.get("augment")
    if not (design.ok and isinstance(epochs, list) and len(epochs) > 1 and isinstance(augment, bool)):
        return None
    steady = epochs[1:]
    if not all(_whole(n) and n > 0 for n in (train, test, batch)) or not all(
        isinstance(s, int | float) and not isinstance(s, bool) and 0 < s < math.inf for s in steady
    ):
        return None
    return statistics.median(steady) / predicted_seconds(design, train, test, batch, augment)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def estimate(
    design: Plan,
    train_images: int,
    test_images: int,
    batch_size: int,
    augment: bool,
    descriptions: Iterable[dict] = (),
) -> Estimate:
    """The predicted epoch, times the median ratio of measured to predicted over the newest
    saved models that recorded enough (`measured_ratio`); uncorrected if none did."""
    seconds = predicted_seconds(design, train_images, test_images, batch_size, augment)
    described = [d for d in descriptions if isinstance(d, dict) and isinstance(d.get("created"), str)]
    newest = sorted(described, key=lambda d: d["created"], reverse=True)
    known = (ratio for ratio in map(measured_ratio, newest) if ratio is not None)
    ratios = list(itertools.islice(known, RECENT_MODELS))
    if ratios:
        seconds *= statistics.median(ratios)
    return Estimate(seconds, len(ratios))
