""" "That is not a digit": how well a model's confidence tells digits from things that are not.

The score is the model's largest probability. Things that are not digits: Fashion-MNIST's
clothes (where that dataset is installed), uniform noise, random scribbles and capital
letters drawn as pen strokes on a 280x280 canvas (the Draw page's) and prepared as Draw
prepares a drawing. The area under the ROC curve (AUROC) says how well the score ranks
digits above them: 1 always, 0.5 no better than chance. The threshold keeps `KEEP_DIGITS` of
the held-apart digits at or above it; below it the app says the drawing does not look like a
digit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import IMAGE_SIZE, DatasetError
from mnist_app.datasets.preparation import prepare_digit
from mnist_app.errors import UserError

SOURCES = ("fashion", "noise", "scribbles", "letters")
SOURCE_TITLES = {
    "fashion": "Clothes (Fashion-MNIST)",
    "noise": "Random noise",
    "scribbles": "Scribbles",
    "letters": "Letters",
}
KEEP_DIGITS = 0.95
NON_DIGITS = 500  # items of each source
CANVAS = 280
PEN_WIDTH = 18  # the Draw page's brush, in canvas pixels
JITTER = 0.03  # how far each drawn point may stray, in fractions of the canvas
# Letters of straight strokes, in fractions of the canvas; none that reads as a digit (O, I,
# S, Z, B, G, Q).
LETTER_STROKES = {
    "A": [[(0.3, 0.85), (0.5, 0.15), (0.7, 0.85)], [(0.38, 0.6), (0.62, 0.6)]],
    "E": [[(0.68, 0.15), (0.34, 0.15), (0.34, 0.85), (0.68, 0.85)], [(0.34, 0.5), (0.6, 0.5)]],
    "F": [[(0.68, 0.15), (0.36, 0.15), (0.36, 0.85)], [(0.36, 0.5), (0.6, 0.5)]],
    "H": [[(0.32, 0.15), (0.32, 0.85)], [(0.68, 0.15), (0.68, 0.85)], [(0.32, 0.5), (0.68, 0.5)]],
    "K": [[(0.34, 0.15), (0.34, 0.85)], [(0.68, 0.15), (0.34, 0.55)], [(0.45, 0.45), (0.7, 0.85)]],
    "M": [[(0.25, 0.85), (0.3, 0.15), (0.5, 0.6), (0.7, 0.15), (0.75, 0.85)]],
    "N": [[(0.3, 0.85), (0.3, 0.15), (0.7, 0.85), (0.7, 0.15)]],
    "T": [[(0.25, 0.15), (0.75, 0.15)], [(0.5, 0.15), (0.5, 0.85)]],
    "V": [[(0.28, 0.15), (0.5, 0.85), (0.72, 0.15)]],
    "W": [[(0.2, 0.15), (0.33, 0.85), (0.5, 0.35), (0.67, 0.85), (0.8, 0.15)]],
    "X": [[(0.3, 0.15), (0.7, 0.85)], [(0.7, 0.15), (0.3, 0.85)]],
    "Y": [[(0.3, 0.15), (0.5, 0.5), (0.7, 0.15)], [(0.5, 0.5), (0.5, 0.85)]],
}


@dataclass(frozen=True)
class SourceResult:
    """How one kind of non-digit scores against the test digits."""

    source: str
    title: str
    n: int
    auroc: float
    rejected: float  # the share of these items below the threshold
    false_positive_rate: np.ndarray  # the ROC curve: non-digits kept at each threshold
    true_positive_rate: np.ndarray  # digits kept at the same thresholds


@dataclass(frozen=True)
class NotADigit:
    """A model's threshold and how each kind of non-digit fares."""

    threshold: float
    kept: float  # the share of test digits at or above the threshold
    sources: tuple[SourceResult, ...]
    skipped: dict[str, str]  # sources left out, and why

    def summary(self) -> dict:
        return {
            "threshold": round(self.threshold, 6),
            "digits_kept": round(self.kept, 6),
            "auroc": {s.source: round(s.auroc, 6) for s in self.sources},
            "rejected": {s.source: round(s.rejected, 6) for s in self.sources},
            **({"skipped": self.skipped} if self.skipped else {}),
        }


def auroc(digit_scores: np.ndarray, other_scores: np.ndarray) -> float:
    """The chance that a digit scores above a non-digit (ties count half)."""
    from sklearn.metrics import roc_auc_score

    digit_scores, other_scores = np.asarray(digit_scores), np.asarray(other_scores)
    if len(digit_scores) == 0 or len(other_scores) == 0:
        raise UserError("AUROC needs digits and non-digits, at least one of each")
    truth = np.concatenate([np.ones(len(digit_scores)), np.zeros(len(other_scores))])
    return float(roc_auc_score(truth, np.concatenate([digit_scores, other_scores])))


def threshold_keeping(digit_scores: np.ndarray, share: float = KEEP_DIGITS) -> float:
    """The largest threshold with at least `share` of the digits' scores at or above it."""
    scores = np.sort(np.asarray(digit_scores, np.float64))[::-1]
    if len(scores) == 0 or not 0 < share <= 1:
        raise UserError("a threshold needs digits' scores and a share in (0, 1]")
    return float(scores[int(np.ceil(share * len(scores) - 1e-9)) - 1])


def drawn(strokes: list, rng: np.random.Generator | None = None) -> np.ndarray | None:
    """Strokes (fractions of the canvas) drawn with the Draw page's pen and prepared as Draw
    prepares a drawing: a 28x28 image in [0, 1], or None where Draw would find no digit."""
    canvas = Image.new("L", (CANVAS, CANVAS), 0)
    pen = ImageDraw.Draw(canvas)
    for stroke in strokes:
        points = np.asarray(stroke, np.float64)
        if rng is not None:
            points = points + rng.uniform(-JITTER, JITTER, points.shape)
        pen.line([tuple(p) for p in points * CANVAS], fill=255, width=PEN_WIDTH, joint="curve")
    return prepare_digit(np.asarray(canvas, np.float32) / 255.0).image


def letters(count: int, seed: int = 0) -> np.ndarray:
    """`count` capital letters, each drawn with its points moved a little at random."""
    rng = np.random.default_rng((seed, 1))
    names = sorted(LETTER_STROKES)
    return _stacked(drawn(LETTER_STROKES[names[i % len(names)]], rng) for i in range(count))


def scribbles(count: int, seed: int = 0) -> np.ndarray:
    """`count` scribbles: one to three strokes through random points, prepared as Draw does."""
    rng = np.random.default_rng((seed, 2))
    strokes = (
        [rng.uniform(0.1, 0.9, (rng.integers(2, 6), 2)) for _ in range(rng.integers(1, 4))]
        for _ in range(count)
    )
    return _stacked(drawn(s) for s in strokes)


def noise(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng((seed, 3)).uniform(0, 1, (count, IMAGE_SIZE, IMAGE_SIZE)).astype(np.float32)


def non_digits(count: int = NON_DIGITS, seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """`count` items of each source, and the sources left out with why (Fashion-MNIST not installed)."""
    found: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    try:
        from mnist_app.datasets.catalogue import load_dataset

        found["fashion"] = to_model_input(load_dataset("fashion-mnist", require_train=False).x_test[:count])
    except (DatasetError, OSError) as error:
        skipped["fashion"] = f"Fashion-MNIST cannot be read here: {error}"
    found["noise"] = noise(count, seed)
    found["scribbles"] = scribbles(count, seed)
    found["letters"] = letters(count, seed)
    return found, skipped


def not_a_digit(
    model,
    held_apart_images: np.ndarray,
    test_images: np.ndarray,
    others: dict[str, np.ndarray] | None = None,
    skipped: dict[str, str] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> NotADigit:
    """The threshold from the held-apart digits; AUROC and rejections on the test digits and `others`."""
    from sklearn.metrics import roc_curve

    from mnist_app.learning.evaluation import predict_probabilities

    if others is None:
        others, skipped = non_digits()
    threshold = threshold_keeping(predict_probabilities(model, held_apart_images).max(axis=1))
    digits = predict_probabilities(model, test_images).max(axis=1)
    results = []
    for done, (source, items) in enumerate(others.items(), start=1):
        scores = predict_probabilities(model, items).max(axis=1)
        truth = np.concatenate([np.ones(len(digits)), np.zeros(len(scores))])
        fpr, tpr, _ = roc_curve(truth, np.concatenate([digits, scores]))
        results.append(
            SourceResult(
                source,
                SOURCE_TITLES.get(source, source),
                len(scores),
                auroc(digits, scores),
                float((scores < threshold).mean()),
                fpr,
                tpr,
            )
        )
        if on_progress is not None:
            on_progress(done / len(others))
    return NotADigit(threshold, float((digits >= threshold).mean()), tuple(results), dict(skipped or {}))


def _stacked(images) -> np.ndarray:
    """The images Draw would read (a tiny scribble it would not is left out), as one array."""
    kept = [image for image in images if image is not None]
    return np.stack(kept) if kept else np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), np.float32)
