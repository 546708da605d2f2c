"""How far to trust a heat map: does removing the ink it points at hurt the answer more than
removing ink at random?

For each test digit of a seeded sample and each attribution method the model allows, the
`INK_SHARE` of the ink pixels with the highest attribution for the model's answer are made
black, and so are as many ink pixels drawn at random (`RANDOM_DRAWS` times). The deletion
score is the share of digits for which the answer's probability falls further with the heat
map's choice than with the random draws on average: 0.5 is what a heat map of noise scores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.errors import UserError

INK_SHARE = 0.1
INK_LEVEL = 0.1  # a pixel brighter than this is ink
RANDOM_DRAWS = 5
SAMPLE_DIGITS = 200


@dataclass(frozen=True)
class DeletionScore:
    """One attribution method's deletion score on `n` digits."""

    method: str
    title: str
    score: float  # the share of digits where the heat map's ink mattered more than random ink
    n: int
    mean_drop: float  # the answer's probability lost on average, removing the heat map's ink
    mean_random_drop: float  # the same, removing random ink


def sample_rows(count: int, size: int = SAMPLE_DIGITS, seed: int = 0) -> np.ndarray:
    """`size` of `count` test digits drawn seeded, in order."""
    return np.sort(np.random.default_rng(seed).choice(count, size=min(size, count), replace=False))


def deleted(
    image: np.ndarray, attribution: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The digit without its most attributed ink, and `RANDOM_DRAWS` copies without random ink."""
    ink = np.flatnonzero(image.ravel() > INK_LEVEL)
    count = max(1, round(INK_SHARE * len(ink)))
    by_attribution = ink[np.argsort(-attribution.ravel()[ink], kind="stable")[:count]]
    top = image.copy().ravel()
    top[by_attribution] = 0.0
    randoms = np.repeat(image.ravel()[None], RANDOM_DRAWS, axis=0)
    for draw in randoms:
        draw[rng.choice(ink, size=count, replace=False)] = 0.0
    return top.reshape(image.shape), randoms.reshape(RANDOM_DRAWS, *image.shape)


def deletion_scores(
    inspector,
    images: np.ndarray,
    methods: tuple[str, ...] | None = None,
    size: int = SAMPLE_DIGITS,
    seed: int = 0,
    on_progress: Callable[[float], None] | None = None,
) -> list[DeletionScore]:
    """Each method's deletion score on a seeded sample of `size` of `images` (the test digits).

    `inspector` is `inspection.Inspector` of the model; Grad-CAM is left out of a model
    without a convolutional layer.
    """
    from mnist_app.learning.inspection import METHOD_TITLES, METHODS

    if methods is None:
        methods = tuple(m for m in METHODS if m != "grad-cam" or inspector.has_conv)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UserError(f"unknown attribution method {unknown[0]!r}: use one of {', '.join(METHODS)}")
    images = to_model_input(np.asarray(images))
    rows = sample_rows(len(images), size, seed)
    digits = [images[row] for row in rows if (images[row] > INK_LEVEL).any()]
    if not digits:
        raise UserError("there are no test digits with ink to measure deletion on")
    probabilities = inspector.activations(np.stack(digits))[-1]
    answers = probabilities.argmax(axis=1)
    before = probabilities[np.arange(len(digits)), answers]
    scores = []
    total, done = len(methods) * len(digits), 0
    for method in methods:
        rng = np.random.default_rng((seed, 1))
        drops, random_drops = [], []
        for digit, answer, probability in zip(digits, answers, before, strict=True):
            attribution = inspector.attribution(digit, int(answer), method)
            top, randoms = deleted(digit, attribution, rng)
            after = inspector.activations(np.concatenate([top[None], randoms]))[-1][:, answer]
            drops.append(probability - after[0])
            random_drops.append(probability - after[1:].mean())
            done += 1
            if on_progress is not None:
                on_progress(done / total)
        drops, random_drops = np.asarray(drops), np.asarray(random_drops)
        scores.append(
            DeletionScore(
                method,
                METHOD_TITLES[method],
                float((drops > random_drops).mean()),
                len(digits),
                float(drops.mean()),
                float(random_drops.mean()),
            )
        )
    return scores
