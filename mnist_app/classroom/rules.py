"""A challenge's rules: the data everyone trains on, the budgets, the layer kinds allowed.

The rules are checked where training is asked for (`violations`), whatever a page's widgets
offered: a forged request is refused on the server in the same words a learner reads on Build
(`describe`). Rules read back from the classroom folder are checked as strictly as a teacher's
form (`from_dict`): a file that says otherwise is not a challenge.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from mnist_app import settings
from mnist_app.classroom.names import check_text
from mnist_app.datasets.catalogue import NAMED_DATASETS
from mnist_app.datasets.subsets import MAX_LABEL_NOISE
from mnist_app.errors import UserError
from mnist_app.file_names import unescaped
from mnist_app.files import resolve_inside
from mnist_app.learning import designs
from mnist_app.learning.design_plan import MAX_PARAMETERS, plan
from mnist_app.learning.limits import MAX_SEED
from mnist_app.learning.training_choices import EPOCHS_RANGE, Choices, value_text

# `Rules.hidden` for a seeded half of the dataset's own test split.
HALF = "half"
# What "auto" opens when it can (else the sample, whose digits `hidden_split` then tells apart).
AUTO_OPENS = "mnist"
MAX_SPEC = 300
# Far beyond any dataset here; a size a dataset lacks trains on all of it (`Choices.fitted`).
MAX_TRAIN_SIZE = 10_000_000


@dataclass(frozen=True)
class Rules:
    """What every model of a challenge is trained under; checked when made (UserError)."""

    dataset: str
    train_size: int = 0  # 0: every training image
    label_noise: float = 0.0
    max_parameters: int = 100_000
    max_epochs: int = 5
    layer_kinds: tuple[str, ...] = designs.KINDS
    hidden: str = HALF  # HALF, or a dataset of the data folder kept for scoring
    hidden_seed: int = 0

    def __post_init__(self) -> None:
        dataset = check_text(self.dataset, MAX_SPEC, "the challenge's dataset")
        hidden = check_text(self.hidden, MAX_SPEC, "the hidden test set")
        if same_dataset(hidden, dataset):
            raise UserError(
                "the hidden test set cannot be the challenge's own dataset: students open that one"
            )
        _whole(self.train_size, 0, MAX_TRAIN_SIZE, "the number of training images")
        _whole(self.max_parameters, 1, MAX_PARAMETERS, "the parameter budget")
        _whole(self.max_epochs, *EPOCHS_RANGE, "the epoch budget")
        _whole(self.hidden_seed, 0, MAX_SEED, "the hidden split's seed")
        noise = self.label_noise
        if isinstance(noise, bool) or not isinstance(noise, int | float) or not math.isfinite(noise):
            raise UserError("the share of wrong labels must be a number")
        if not 0 <= noise <= MAX_LABEL_NOISE:
            raise UserError(f"the share of wrong labels must lie in 0..{MAX_LABEL_NOISE:g}, not {noise:g}")
        kinds = self.layer_kinds
        if isinstance(kinds, str) or not isinstance(kinds, list | tuple):
            raise UserError("the layer kinds allowed must be a list")
        unknown = [kind for kind in kinds if kind not in designs.KINDS]
        if unknown:
            raise UserError(f"unknown layer kind {str(unknown[0])[:40]!r}: use {', '.join(designs.KINDS)}")
        object.__setattr__(self, "dataset", dataset)
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "label_noise", float(noise))
        # In Build's order, each once, so two equal rules compare equal; Flatten always, as it
        # only lays a grid out in a row (a Dense network on the image needs it).
        allowed = {*kinds, designs.FLATTEN}
        object.__setattr__(self, "layer_kinds", tuple(kind for kind in designs.KINDS if kind in allowed))

    @property
    def hides_half(self) -> bool:
        """Whether the hidden test set is a seeded half of the dataset's own test split."""
        return self.hidden == HALF

    def as_dict(self) -> dict:
        """The rules as JSON: what the classroom folder keeps."""
        return {**asdict(self), "layer_kinds": list(self.layer_kinds)}

    @classmethod
    def from_dict(cls, content: object) -> Rules:
        """Rules read back from JSON; UserError for anything a teacher's form could not have made."""
        if not isinstance(content, dict):
            raise UserError("a challenge's rules must be a JSON object")
        known = {field.name for field in fields(cls)}
        extra = sorted(str(key)[:40] for key in content if key not in known)
        if extra:
            raise UserError(f"a challenge's rules hold an unknown field: {extra[0]!r}")
        if "dataset" not in content:
            raise UserError("a challenge's rules must name the dataset")
        return cls(**content)


def _whole(value: object, low: int, high: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"{what} must be a whole number")
    if not low <= value <= high:
        raise UserError(f"{what} must lie in {low:,}..{high:,}, not {value:,}")


def _titles(kinds) -> str:
    return ", ".join(designs.KIND_TITLES[kind] for kind in kinds)


def parameters(layers) -> int:
    """The parameters a design holds, output layer included, counted without TensorFlow."""
    return plan(tuple(layers)).parameters


def read_as(spec: str) -> tuple[str, str | None]:
    """Where a challenge's dataset is read from, as the sidebar would open it: a named dataset
    (or the operator's MNIST_APP_DATASET) as it is (no folder), any other inside the data folder."""
    named = spec in NAMED_DATASETS or spec == settings.dataset()
    return (spec, None) if named else (spec, str(settings.data_dir()))


def aliases(spec: str) -> set[str]:
    """The ways a page may name the dataset `spec` opens: as typed; for a named dataset its name
    ("auto" is MNIST's too); for any other, the data folder's file it is (resolved, links followed)."""
    spec = str(spec).strip()
    if spec in NAMED_DATASETS:
        return {spec, AUTO_OPENS} if spec == "auto" else {spec}
    found = {spec}
    root = settings.data_dir()
    for typed in {spec, unescaped(spec) or spec}:
        try:
            found.add(str(resolve_inside(root, typed)))
        except UserError:
            continue
    return found


def same_dataset(spec: str, other: str) -> bool:
    """Whether two specs name the same dataset (`aliases`): what the rules check, and where a
    student's page starts (`hidden_split.student_view` also compares the digits)."""
    return bool(aliases(spec) & aliases(other))


def violations(rules: Rules, layers, choices: Choices, dataset_name: str) -> list[str]:
    """Every rule a training request breaks, in a learner's words; [] when it keeps them all.

    `dataset_name` is the dataset's spec as the learner's page opened it ("mnist", "exams/june.npz").
    """
    broken = []
    opened = str(dataset_name).strip()
    if not same_dataset(opened, rules.dataset):
        broken.append(f"this challenge trains on the dataset {rules.dataset}, not {opened[:60]}")
    refused: dict[str, list[int]] = {}
    for position, layer in enumerate(layers, 1):
        if layer.kind not in rules.layer_kinds:
            refused.setdefault(layer.kind, []).append(position)
    for kind, positions in refused.items():
        where = ", ".join(str(position) for position in positions)
        broken.append(
            f"layer {where} is a {designs.KIND_TITLES[kind]}, which this challenge does not allow "
            f"(allowed: {_titles(rules.layer_kinds)})"
        )
    held = parameters(layers)
    if held > rules.max_parameters:
        broken.append(
            f"the network holds {held:,} parameters; this challenge allows at most {rules.max_parameters:,}"
        )
    if choices.epochs > rules.max_epochs:
        broken.append(f"{choices.epochs} epochs is more than this challenge's {rules.max_epochs}")
    if choices.train_size != rules.train_size:
        broken.append(
            f"this challenge trains on {value_text('train_size', rules.train_size)} training images, "
            f"not {value_text('train_size', choices.train_size)}"
        )
    if not math.isclose(choices.label_noise, rules.label_noise, abs_tol=1e-9):
        broken.append(
            f"this challenge makes {value_text('label_noise', rules.label_noise)} of the labels wrong, "
            f"not {value_text('label_noise', choices.label_noise)}"
        )
    return broken


def locked(rules: Rules, choices: Choices) -> Choices:
    """The choices with the rules' data choices, and the epochs within the budget."""
    return replace(
        choices,
        train_size=rules.train_size,
        label_noise=rules.label_noise,
        epochs=max(1, min(int(choices.epochs), rules.max_epochs)),
    )


def describe(rules: Rules) -> list[str]:
    """The rules as sentences for a learner (the hidden test set is never named)."""
    images = (
        "all of its training images"
        if rules.train_size == 0
        else f"{rules.train_size:,} of its training images"
    )
    data = f"Train on the dataset {rules.dataset}, {images}"
    if rules.label_noise:
        data += f", with {value_text('label_noise', rules.label_noise)} of their labels made wrong"
    kinds = (
        "Every layer kind is allowed."
        if set(rules.layer_kinds) == set(designs.KINDS)
        else f"Layers allowed: {_titles(rules.layer_kinds)}."
    )
    scored = (
        "Models are ranked on half of the test digits, kept for the teacher: you never see them."
        if rules.hides_half
        else "Models are ranked on a test set the teacher keeps: you never see it."
    )
    return [
        f"{data}.",
        f"At most {rules.max_parameters:,} parameters.",
        f"At most {rules.max_epochs} epoch{'s' if rules.max_epochs != 1 else ''}.",
        kinds,
        scored,
    ]
