"""Two or more models on the same test digits: where each is right, where they part ways.

Pure NumPy over `Evaluation`s: the Compare page and `python -m mnist_app compare` share it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_app.errors import UserError
from mnist_app.learning.evaluation import Evaluation, predict_probabilities

TIMING_REPEATS = 30


@dataclass(frozen=True)
class Contender:
    """One model's figures in a comparison; `None` where its description does not say."""

    name: str
    arch: str
    params: int
    evaluation: Evaluation
    training_seconds: float | None = None
    epochs: int | None = None
    bytes_on_disk: int | None = None
    predict_seconds: float | None = None

    @property
    def mistakes(self) -> int:
        return self.evaluation.n - int(np.trace(self.evaluation.confusion))


@dataclass(frozen=True)
class Comparison:
    """Who gets which test digits right: `correct[i]` is model i's hit on each digit."""

    contenders: list[Contender]
    labels: np.ndarray
    correct: np.ndarray

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def disagreements(self) -> np.ndarray:
        """`[i, j]`: how many test digits model i reads right and model j reads wrong."""
        right = self.correct.astype(np.int64)
        return right @ (1 - right).T

    @property
    def all_wrong(self) -> int:
        return int((~self.correct).all(axis=0).sum())

    def right_only(self, i: int, j: int) -> np.ndarray:
        """Digits model i reads right and model j wrong, those j was surest of first."""
        found = np.flatnonzero(self.correct[i] & ~self.correct[j])
        confidence = self.contenders[j].evaluation.confidence[found]
        return found[np.argsort(-confidence, kind="stable")]

    def wrong_in_all(self) -> np.ndarray:
        """Digits every model reads wrong, those the first model was surest of first."""
        found = np.flatnonzero((~self.correct).all(axis=0))
        confidence = self.contenders[0].evaluation.confidence[found]
        return found[np.argsort(-confidence, kind="stable")]


def _figure(metadata: dict, key: str, kind: type) -> float | int | None:
    """A figure from a model's description, if it is there and of the kind expected."""
    value = metadata.get(key)
    return value if isinstance(value, kind) and not isinstance(value, bool) and value >= 0 else None


def contender(
    name: str,
    model,
    evaluation: Evaluation,
    metadata: dict,
    bytes_on_disk: int | None = None,
    predict_seconds: float | None = None,
) -> Contender:
    """A model's entry: counted from the model itself, and read from its description."""
    arch = metadata.get("arch") or getattr(model, "name", "") or "?"
    return Contender(
        name=name,
        arch=arch,
        params=int(model.count_params()),
        evaluation=evaluation,
        training_seconds=_figure(metadata, "training_seconds", int | float),
        epochs=_figure(metadata, "epochs_completed", int),
        bytes_on_disk=bytes_on_disk,
        predict_seconds=predict_seconds,
    )


def default_choice(described: list[tuple[str, dict]]) -> list[str]:
    """The newest MLP and the newest CNN, else the two newest: (name, description) newest first."""
    newest = {}
    for name, metadata in described:
        newest.setdefault(metadata.get("arch"), name)
    if "mlp" in newest and "cnn" in newest:
        return [newest["mlp"], newest["cnn"]]
    return [name for name, _ in described[:2]]


def compare(contenders: list[Contender], labels: np.ndarray) -> Comparison:
    """Line the models up on one test split; each evaluation must cover all of `labels`."""
    if len(contenders) < 2:
        raise UserError("a comparison needs at least two models")
    labels = np.asarray(labels, dtype=np.int64)
    for contender in contenders:
        if len(contender.evaluation.predictions) != len(labels):
            raise UserError(f"{contender.name} was evaluated on another test split")
    correct = np.stack([c.evaluation.predictions == labels for c in contenders])
    return Comparison(contenders, labels, correct)


def prediction_seconds(model, image: np.ndarray, repeats: int = TIMING_REPEATS) -> float:
    """The median time to read one digit, as the Draw page asks for it (after one warm-up)."""
    predict_probabilities(model, image[None])
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        predict_probabilities(model, image[None])
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def _ratio(a: float, b: float) -> float | None:
    """a / b, or None where it would say nothing (a zero, an overflow)."""
    try:
        ratio = a / b
    except (ZeroDivisionError, OverflowError):
        return None
    return ratio if math.isfinite(ratio) and ratio > 0 else None


def _digits(count: int) -> str:
    return f"{count:,} digit{'' if count == 1 else 's'}"


def summary(
    comparison: Comparison, i: int = 0, j: int = 1, *, name: Callable[[str], str] = lambda n: n
) -> list[str]:
    """Plain sentences about model j against model i, every figure computed from the two.

    Model j makes 3.1x fewer mistakes than model i ...; it has 0.3x the parameters ...; it
    took 4.5x longer to train ... Each model's name is written as `name` makes it (the
    Compare page: in bold, its characters shown as they are); plain text otherwise.
    """
    first, second = comparison.contenders[i], comparison.contenders[j]
    sentences = []
    if first.mistakes == second.mistakes:
        sentences.append(
            f"{name(second.name)} and {name(first.name)} make as many mistakes "
            f"({first.mistakes:,} of {comparison.n:,} test digits)"
        )
    else:
        better, worse = (second, first) if second.mistakes < first.mistakes else (first, second)
        if better.mistakes == 0:
            sentences.append(
                f"{name(better.name)} makes no mistakes on the {comparison.n:,} test digits; "
                f"{name(worse.name)} makes {worse.mistakes:,}"
            )
        else:
            sentences.append(
                f"{name(better.name)} makes {worse.mistakes / better.mistakes:.1f}x fewer mistakes than "
                f"{name(worse.name)} ({better.mistakes:,} against {worse.mistakes:,} of "
                f"{comparison.n:,} test digits)"
            )
    ratio = _ratio(second.params, first.params)
    if ratio is not None:
        size = "about as many parameters as" if round(ratio, 1) == 1 else f"{ratio:.1f}x the parameters of"
        sentences.append(
            f"{name(second.name)} has {size} {name(first.name)} ({second.params:,} against {first.params:,})"
        )
    ratio = _ratio(second.training_seconds or 0, first.training_seconds or 0)
    if ratio is not None:
        if round(ratio, 1) == 1:
            pace = "took about as long"
        else:
            pace = f"took {ratio:.1f}x longer" if ratio > 1 else f"took {1 / ratio:.1f}x less time"
        sentences.append(
            f"{name(second.name)} {pace} to train "
            f"({second.training_seconds:.1f} s against {first.training_seconds:.1f} s)"
        )
    split = comparison.disagreements
    sentences.append(
        f"{name(first.name)} alone reads {_digits(int(split[i, j]))} right, "
        f"{name(second.name)} alone {_digits(int(split[j, i]))}"
    )
    return [sentence + "." for sentence in sentences]


def all_wrong_sentence(comparison: Comparison) -> str:
    every = "both models" if len(comparison.contenders) == 2 else f"all {len(comparison.contenders)} models"
    return f"{_digits(comparison.all_wrong).capitalize()} fool {every}."
