"""Fooled by noise: changes no person would notice that make a model read another digit.

The fast gradient sign method (FGSM) moves every pixel by ε in the direction that raises the
loss most; its iterated form (PGD) takes `PGD_STEPS` smaller steps, each kept within ε of the
original pixel. Both clip the result to [0, 1], a picture's range, so a pixel already black
cannot get blacker: the change before clipping is exactly ε on every pixel the gradient
touches, after clipping at most ε. Without a target the attack pushes away from the model's
own answer (the true label on the test split); with one it pulls towards that class.

One `Attacker` per loaded model traces its `tf.function`s once, so a move of the ε slider
costs a call into TensorFlow, never a new trace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mnist_app.datasets.dataset import to_model_input
from mnist_app.datasets.digit_arrays import IMAGE_SIZE
from mnist_app.errors import UserError
from mnist_app.learning import tensorflow_runtime
from mnist_app.learning.logits import Logits
from mnist_app.learning.robustness import Curve, checked_sample

tensorflow_runtime.prepare()

import tensorflow as tf  # noqa: E402

METHODS = ("fgsm", "pgd")
METHOD_TITLES = {"fgsm": "Fast gradient sign (one step)", "pgd": "Projected gradient descent (iterated)"}
PGD_STEPS = 10
# Each PGD step moves by this share of ε over the steps, so the walk can reach the ball's edge
# and still turn back from it.
PGD_STEP_SCALE = 2.5
# The bisection's resolution: one grey level of 255, the least change a picture can hold.
EPSILON_TOLERANCE = 1 / 255
MAX_EPSILON = 0.5
CURVE_EPSILONS = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3)
CURVE_BATCH = 250
# PGD's curve reads fewer digits: its ten gradient steps at every ε cost the app's CNN about
# 85 s a thousand digits here, where FGSM's one step costs under 5 s.
PGD_CURVE_DIGITS = 100

_IMAGES = tf.TensorSpec([None, IMAGE_SIZE, IMAGE_SIZE], tf.float32)
_CLASSES = tf.TensorSpec([None], tf.int32)
_EPSILONS = tf.TensorSpec([None], tf.float32)
_DIRECTION = tf.TensorSpec([], tf.float32)


class AttackError(UserError):
    """An attack that cannot be asked: an unknown method, a class the model lacks, a bad ε."""


@dataclass(frozen=True)
class Attack:
    """One digit before and after an attack."""

    method: str
    epsilon: float
    target: int | None
    original: np.ndarray  # (28, 28) in [0, 1]
    image: np.ndarray  # the changed digit, (28, 28) in [0, 1]
    before: int
    before_confidence: float
    after: int
    after_confidence: float
    probabilities: np.ndarray  # the changed digit's ten probabilities

    @property
    def change(self) -> np.ndarray:
        """What the attack added, each pixel within [-ε, ε]."""
        return self.image - self.original

    @property
    def fooled(self) -> bool:
        """Whether the answer changed (without a target) or became the target (with one)."""
        return self.after != self.before if self.target is None else self.after == self.target


@dataclass(frozen=True)
class SmallestEpsilon:
    """The smallest ε found by bisection: `epsilon` fools the model, `epsilon - tolerance` does not."""

    epsilon: float | None  # None: not even MAX_EPSILON fools it
    tolerance: float
    attack: Attack  # at `epsilon`, or at MAX_EPSILON when none fools it


class Attacker:
    """The attacks on one loaded model, traced once (the page caches one per model)."""

    def __init__(self, model):
        self.model = model
        self._logits = Logits(model)
        self._sign_fn = tf.function(self._gradient_sign, input_signature=[_IMAGES, _CLASSES, _DIRECTION])
        self._pgd_fn = tf.function(self._pgd, input_signature=[_IMAGES, _CLASSES, _EPSILONS, _DIRECTION])
        self._probabilities_fn = tf.function(lambda x: self._logits(x)[1], input_signature=[_IMAGES])
        self.num_classes = int(self._probabilities_fn(tf.zeros([1, IMAGE_SIZE, IMAGE_SIZE])).shape[-1])

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """The class probabilities of a batch of [0, 1] images."""
        return self._probabilities_fn(_images(images)).numpy()

    def perturbed(
        self,
        images: np.ndarray,
        classes: np.ndarray,
        epsilons: np.ndarray | float,
        method: str = "fgsm",
        targeted: bool = False,
    ) -> np.ndarray:
        """Each image attacked with its own ε: away from its class, or towards it when `targeted`."""
        _check_method(method)
        images = _images(images)
        classes = np.asarray(classes, np.int32).reshape(len(images))
        epsilons = np.broadcast_to(np.asarray(epsilons, np.float32), (len(images),)).copy()
        if not (np.isfinite(epsilons).all() and (epsilons >= 0).all()):
            raise AttackError("ε must be a number of 0 or more")
        direction = tf.constant(-1.0 if targeted else 1.0)
        if method == "pgd":
            return self._pgd_fn(images, classes, epsilons, direction).numpy()
        sign = self._sign_fn(images, classes, direction).numpy()
        return _fgsm(images, sign, epsilons)

    def attack(
        self, image: np.ndarray, epsilon: float, method: str = "fgsm", target: int | None = None
    ) -> Attack:
        """One digit attacked with `epsilon`: the changed digit and both answers."""
        image = _image(image)
        _check_epsilon(epsilon)
        before = self.probabilities(image[None])[0]
        return self._attack(image, before, epsilon, method, self._check_target(target))

    def smallest_epsilon(
        self,
        image: np.ndarray,
        method: str = "fgsm",
        target: int | None = None,
        tolerance: float = EPSILON_TOLERANCE,
        most: float = MAX_EPSILON,
    ) -> SmallestEpsilon:
        """The smallest ε that fools the model on this digit, by bisection on multiples of `tolerance`.

        The search keeps a multiple of `tolerance` known to fool and one known not to (0 at
        first), halving the steps between until they are neighbours: what it returns fools
        the model and one tolerance less has been tried and does not, even where fooling is
        not monotonic in ε (then a smaller ε may fool it too).
        """
        image = _image(image)
        target = self._check_target(target)
        before = self.probabilities(image[None])[0]
        unchanged = self._attack(image, before, 0.0, method, target)
        if unchanged.fooled:  # It already reads the target: no noise needed.
            return SmallestEpsilon(0.0, tolerance, unchanged)
        low, high = 0, int(np.floor(most / tolerance + 1e-9))
        attack = self._attack(image, before, high * tolerance, method, target)
        if not attack.fooled:
            return SmallestEpsilon(None, tolerance, attack)
        while high - low > 1:
            middle = (low + high) // 2
            trial = self._attack(image, before, middle * tolerance, method, target)
            if trial.fooled:
                high, attack = middle, trial
            else:
                low = middle
        return SmallestEpsilon(high * tolerance, tolerance, attack)

    def _attack(
        self, image: np.ndarray, before: np.ndarray, epsilon: float, method: str, target: int | None
    ) -> Attack:
        pushed = int(before.argmax()) if target is None else target
        changed = self.perturbed(image[None], [pushed], epsilon, method, targeted=target is not None)[0]
        after = self.probabilities(changed[None])[0]
        return Attack(
            method=method,
            epsilon=float(epsilon),
            target=target,
            original=image,
            image=changed,
            before=int(before.argmax()),
            before_confidence=float(before.max()),
            after=int(after.argmax()),
            after_confidence=float(after.max()),
            probabilities=after,
        )

    def _check_target(self, target: int | None) -> int | None:
        if target is None:
            return None
        if (
            isinstance(target, bool)
            or not isinstance(target, int | np.integer)
            or not 0 <= target < self.num_classes
        ):
            raise AttackError(
                f"target class must be a whole number in 0..{self.num_classes - 1}, not {target!r}"
            )
        return int(target)

    def _loss_gradient(self, images: tf.Tensor, classes: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(images)
            logits, _ = self._logits(images)
            loss = tf.nn.sparse_softmax_cross_entropy_with_logits(classes, logits)
        return tape.gradient(loss, images)

    def _gradient_sign(self, images: tf.Tensor, classes: tf.Tensor, direction: tf.Tensor) -> tf.Tensor:
        return direction * tf.sign(self._loss_gradient(images, classes))

    def _pgd(
        self, images: tf.Tensor, classes: tf.Tensor, epsilons: tf.Tensor, direction: tf.Tensor
    ) -> tf.Tensor:
        radius = epsilons[:, None, None]
        step = radius * (PGD_STEP_SCALE / PGD_STEPS)
        x = images
        for _ in tf.range(PGD_STEPS):
            x = x + direction * step * tf.sign(self._loss_gradient(x, classes))
            x = tf.clip_by_value(tf.clip_by_value(x, images - radius, images + radius), 0.0, 1.0)
        return x


def accuracy_curve(
    attacker: Attacker,
    images: np.ndarray,
    labels: np.ndarray,
    method: str = "fgsm",
    epsilons: tuple[float, ...] = CURVE_EPSILONS,
    on_progress: Callable[[float], None] | None = None,
) -> Curve:
    """Accuracy on up to `robustness.MAX_CURVE_DIGITS` test digits (`PGD_CURVE_DIGITS` for PGD),
    each attacked at every ε.

    Batches of `CURVE_BATCH` digits: FGSM takes one gradient a batch for every ε; PGD its
    steps for every ε, the ε side by side in one batch.
    """
    _check_method(method)
    images, labels = checked_sample(images, labels)
    if method == "pgd":
        images, labels = images[:PGD_CURVE_DIGITS], labels[:PGD_CURVE_DIGITS]
    right = np.zeros(len(epsilons))
    for start in range(0, len(images), CURVE_BATCH):
        batch, truth = _images(images[start : start + CURVE_BATCH]), labels[start : start + CURVE_BATCH]
        if method == "fgsm":
            sign = attacker._sign_fn(batch, truth.astype(np.int32), tf.constant(1.0)).numpy()
            changed = [_fgsm(batch, sign, np.full(len(batch), e, np.float32)) for e in epsilons]
        else:
            changed = [attacker.perturbed(batch, truth, e, "pgd") for e in epsilons]
        for i, attacked in enumerate(changed):
            right[i] += int((attacker.probabilities(attacked).argmax(axis=1) == truth).sum())
        if on_progress is not None:
            on_progress(min(1.0, (start + len(batch)) / len(images)))
    return Curve(
        "noise", METHOD_TITLES[method], "ε", tuple(epsilons), tuple(right / len(images)), len(images)
    )


def _fgsm(images: np.ndarray, sign: np.ndarray, epsilons: np.ndarray) -> np.ndarray:
    return np.clip(images + epsilons[:, None, None] * sign, 0.0, 1.0).astype(np.float32)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise AttackError(f"unknown attack {method!r}: use one of {', '.join(METHODS)}")


def _check_epsilon(epsilon: float) -> None:
    if not (isinstance(epsilon, int | float | np.floating) and np.isfinite(epsilon) and 0 <= epsilon <= 1):
        raise AttackError(f"ε must be a number from 0 to 1, not {epsilon!r}")


def _images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise AttackError(f"expected images of shape (n, {IMAGE_SIZE}, {IMAGE_SIZE}), not {images.shape}")
    return to_model_input(images)


def _image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise AttackError(
            f"expected one {IMAGE_SIZE}x{IMAGE_SIZE} image, not an array of shape {image.shape}"
        )
    return to_model_input(image)
