"""How far to trust a heat map: does removing the ink it points at hurt the answer more than
removing ink at random?

For each test digit of a seeded sample and each attribution method the model allows, the
`INK_SHARE` of the ink pixels with the highest attribution for the model's answer are made
black, and so are as many ink pixels drawn at random, `RANDOM_DRAWS` times. Each draw is one
contest: the heat map wins it when the answer's log-probability falls further with its choice
than with the draw's, and a tie counts half. The deletion score is the share of contests won
over all digits and draws, so a heat map of noise, a random draw itself, scores 0.5 exactly on
average. Draws are compared one by one, not with their mean: drops are skewed (a few draws hit
what matters and fall far), so beating the mean is harder than beating a typical draw. The
log-probability tells apart answers that float32 rounds to the same 100%.
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
    score: float  # the share of contests where the heat map's ink mattered more than random ink
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


def contest_score(drops: np.ndarray, random_drops: np.ndarray) -> float:
    """The share of contests the heat map wins: `drops` (n,) against each of `random_drops` (n, draws),
    a tie counting half."""
    drops = np.asarray(drops, np.float64)[:, None]
    random_drops = np.asarray(random_drops, np.float64)
    return float(((drops > random_drops) + 0.5 * (drops == random_drops)).mean())


def deletion_scores(
    inspector,
    images: np.ndarray,
    methods: tuple[str, ...] | None = None,
    size: int = SAMPLE_DIGITS,
    seed: int = 0,
    on_progress: Callable[[float], None] | None = None,
    layer: str | None = None,
    logits=None,
) -> list[DeletionScore]:
    """Each method's deletion score on a seeded sample of `size` of `images` (the test digits).

    `inspector` is `inspection.Inspector` of the model; Grad-CAM looks at `layer` (None: the
    last convolutional one) and is left out of a model without a convolutional layer. `logits`
    (`logits.Logits` of the model) may be shared between calls on one model: one trace for all.
    """
    from mnist_app.learning.inspection import METHOD_TITLES, METHODS

    if methods is None:
        methods = tuple(m for m in METHODS if m != "grad-cam" or inspector.has_conv)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise UserError(f"unknown attribution method {unknown[0]!r}: use one of {', '.join(METHODS)}")
    images = to_model_input(np.asarray(images))
    rows = sample_rows(len(images), size, seed)
    inked = [row for row in rows if (images[row] > INK_LEVEL).any()]
    if not inked:
        raise UserError("there are no test digits with ink to measure deletion on")
    digits = images[inked]
    if logits is None:
        from mnist_app.learning.logits import Logits

        logits = Logits(inspector.model)
    answers_of = _AnswerLogProbabilities(logits)
    answers, before, log_before = answers_of.first(digits)
    scores = []
    total, done = len(methods) * len(digits), 0
    for method in methods:
        rng = np.random.default_rng((seed, 1))
        changed = []
        for digit, answer in zip(digits, answers, strict=True):
            attribution = inspector.attribution(digit, int(answer), method, layer)
            top, randoms = deleted(digit, attribution, rng)
            changed.append(np.concatenate([top[None], randoms]))
            done += 1
            if on_progress is not None:
                on_progress(done / total)
        after, log_after = answers_of.of(np.concatenate(changed), np.repeat(answers, 1 + RANDOM_DRAWS))
        after = after.reshape(len(digits), 1 + RANDOM_DRAWS)
        log_drops = log_before[:, None] - log_after.reshape(len(digits), 1 + RANDOM_DRAWS)
        drops = before[:, None] - after
        scores.append(
            DeletionScore(
                method,
                METHOD_TITLES[method],
                contest_score(log_drops[:, 0], log_drops[:, 1:]),
                len(digits),
                float(drops[:, 0].mean()),
                float(drops[:, 1:].mean()),
            )
        )
    return scores


class _AnswerLogProbabilities:
    """The answer's probability and its log, the log from the logits: exact where float32 rounds
    the probability to 1."""

    def __init__(self, logits):
        self._logits = logits

    def first(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        logits, probabilities = self._logits.of(images)
        answers = probabilities.argmax(axis=1)
        return answers, *self._pick(logits, probabilities, answers)

    def of(self, images: np.ndarray, answers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, probabilities = self._logits.of(images)
        return self._pick(logits, probabilities, answers)

    @staticmethod
    def _pick(logits, probabilities, answers) -> tuple[np.ndarray, np.ndarray]:
        """log p = -softplus(log of the sum of exp(z_j - z_answer) over the other classes): nothing
        rounds to 0 near a sure answer."""
        rows = np.arange(len(answers))
        relative = logits.astype(np.float64) - logits[rows, answers].astype(np.float64)[:, None]
        relative[rows, answers] = -np.inf
        others = np.logaddexp.reduce(relative, axis=1)
        return probabilities[rows, answers].astype(np.float64), -np.logaddexp(0.0, others)
