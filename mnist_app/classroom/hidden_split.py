"""The hidden test set: what a challenge's models are ranked on and its students never see.

Either a dataset of the data folder the teacher names (students may not open it), or a seeded
half of the challenge dataset's own test split: students' pages then get the other half
(`for_students`), the leaderboard scores on this one (`hidden_test`). The half is drawn label by
label, so both halves hold each digit about equally often, and the same seed always gives the
same half, in every process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from mnist_app import settings
from mnist_app.classroom.challenges import Challenge
from mnist_app.datasets.dataset import Dataset
from mnist_app.errors import UserError
from mnist_app.file_names import unescaped
from mnist_app.files import resolve_inside

# The hidden half's own stream of the seed: no other draw of the same seed picks the same digits.
_HIDDEN_STREAM = 27
PUBLIC_NOTICE = "Half of the test digits are kept for the teacher's challenge: you see the other half."
HIDDEN_NOTICE = "The hidden half of the test digits, kept for the teacher's challenge."
# "auto" opens MNIST, or the sample when MNIST cannot be had.
_AUTO = {"auto", "mnist", "mnist-sample"}


def halves(n: int, seed: int, labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The public and the hidden indices of `n` test digits, each sorted; together all of them.

    The hidden half is `n // 2` digits drawn with `seed`; with `labels`, label by label (each
    label's digits split as evenly as their count allows).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise UserError(f"a test split has a whole number of digits, not {n!r}")
    order = np.random.default_rng((int(seed), _HIDDEN_STREAM)).permutation(int(n))
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise UserError(f"{n:,} test digits need {n:,} labels, not {labels.shape}")
        # Each label's digits together, in their drawn order: every second one is hidden.
        order = order[np.argsort(labels[order], kind="stable")]
    hidden = np.sort(order[1::2])
    public = np.sort(order[0::2])
    return public, hidden


def _test_part(dataset: Dataset, rows: np.ndarray, notice: str) -> Dataset:
    x_test, y_test = dataset.x_test[rows], dataset.y_test[rows]
    for array in (x_test, y_test):
        array.flags.writeable = False
    notice = f"{dataset.notice} {notice}" if dataset.notice else notice
    return replace(dataset, x_test=x_test, y_test=y_test, notice=notice)


def public_part(dataset: Dataset, seed: int) -> Dataset:
    """The dataset students see under a half-hidden challenge: its test split's public half."""
    public, _ = halves(len(dataset.y_test), seed, dataset.y_test)
    return _test_part(dataset, public, PUBLIC_NOTICE)


def hidden_part(dataset: Dataset, seed: int) -> Dataset:
    """The dataset with only its test split's hidden half: what the leaderboard scores on."""
    _, hidden = halves(len(dataset.y_test), seed, dataset.y_test)
    return _test_part(dataset, hidden, HIDDEN_NOTICE)


def aliases(spec: str) -> set[str]:
    """The ways a page may name the dataset `spec` names: as typed, the data folder's file it
    is (resolved, links followed) and that file's name; MNIST's names for "auto"."""
    spec = str(spec).strip()
    found = {spec}
    if spec in _AUTO:
        return found | (_AUTO if spec == "auto" else {spec})
    root = settings.data_dir()
    for typed in {spec, unescaped(spec) or spec}:
        try:
            path = resolve_inside(root, typed)
        except UserError:
            continue
        found |= {str(path), path.name, path.stem}
    found.add(Path(spec).stem)
    return {name for name in found if name}


def _running(challenge: Challenge | None) -> bool:
    return challenge is not None and challenge.running


def _names(spec: str, dataset: Dataset | None) -> set[str]:
    names = aliases(spec)
    if dataset is not None:
        names.add(dataset.name)
    return names


def for_students(dataset: Dataset, spec: str, challenge: Challenge | None) -> Dataset:
    """What a student's page may show of `dataset` (opened as `spec`): its public half while the
    running challenge hides half of it, else all of it.

    The dataset is matched by every name it goes by (`aliases`, its own name): opening the same
    files by another path, or "auto" for MNIST, gives no way round the hidden half.
    """
    if not _running(challenge) or not challenge.rules.hides_half:
        return dataset
    if _names(spec, dataset) & aliases(challenge.rules.dataset):
        return public_part(dataset, challenge.rules.hidden_seed)
    return dataset


def hidden_specs(challenge: Challenge | None) -> set[str]:
    """The names of a named hidden dataset, which students may not open: none for a hidden half."""
    if not _running(challenge) or challenge.rules.hides_half:
        return set()
    return aliases(challenge.rules.hidden)


def opens_hidden(spec: str, challenge: Challenge | None, dataset: Dataset | None = None) -> bool:
    """Whether opening `spec` (or `dataset`, once loaded) would show a student the hidden test set."""
    return bool(_names(spec, dataset) & hidden_specs(challenge))


def hidden_test(challenge: Challenge, load: Callable[[str], Dataset]) -> Dataset:
    """The challenge's hidden test set, read with `load(spec)`: for the leaderboard only."""
    rules = challenge.rules
    if rules.hides_half:
        return hidden_part(load(rules.dataset), rules.hidden_seed)
    return load(rules.hidden)
