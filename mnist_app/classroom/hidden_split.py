"""The hidden test set: what a challenge's models are ranked on and its students never see.

Either a dataset of the data folder the teacher names (kept whole: students may not open it),
or a seeded half of the challenge dataset's own test split: students' pages then get the other
half, the leaderboard scores on this one (`hidden_test`). What a student's page may see of any
dataset is `student_view`'s to say. The half is drawn label by label, so both halves hold each
digit about equally often, and the same seed always gives the same half, in every process.

"Hidden" means hidden from this app's pages: a dataset that merely holds the same digits
elsewhere (MNIST itself, for the sample) is closed while the challenge runs only where this
module knows of it (`HELD_IN`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from mnist_app.classroom.challenges import Challenge
from mnist_app.classroom.rules import read_as, same_dataset
from mnist_app.datasets.catalogue import NAMED_DATASETS, load_dataset
from mnist_app.datasets.dataset import Dataset
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.errors import UserError
from mnist_app.file_names import unescaped
from mnist_app.files import resolve_inside

# The hidden half's own stream of the seed: no other draw of the same seed picks the same digits.
_HIDDEN_STREAM = 27
PUBLIC_NOTICE = "Half of the test digits are kept for the teacher's challenge: you see the other half."
HIDDEN_NOTICE = "The hidden half of the test digits, kept for the teacher's challenge."
# Named datasets whose test digits another's training split holds: the sample's are MNIST
# training digits, so while they are hidden, MNIST (and "auto", which opens it) is closed.
HELD_IN = {"mnist-sample": ("mnist", "auto")}


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


def _running(challenge: Challenge | None) -> bool:
    return challenge is not None and challenge.running


def missing(spec: str) -> str:
    """What the catalogue says of a dataset that is not in the data folder, word for word."""
    spec = spec.strip()
    if os.sep not in spec and "." not in spec:
        return f"unknown dataset {spec!r}: use one of {', '.join(NAMED_DATASETS)}, or a path"
    return f"no such dataset file or folder: {spec}"


def refusal(spec: str, root: str | None, challenge: Challenge | None) -> UserError | None:
    """Why a student may not open `spec` at all (typed in the data folder `root`, or named: None),
    told by its names and files alone, without reading it; None if they may.

    A dataset kept whole for the teacher is refused in the catalogue's words for one that is not
    there (`missing`), by any of its names, a link to it, or a path inside it: that tells a student
    nothing of what the teacher keeps. While the sample's test digits are hidden, MNIST is closed
    (`HELD_IN`), in so many words. For the sidebar's lists, which must not read every dataset;
    `student_view` also compares contents.
    """
    if not _running(challenge):
        return None
    rules = challenge.rules
    typed = str(spec).strip()
    if rules.hides_half:
        if typed in HELD_IN.get(rules.dataset, ()):
            return DatasetError(
                f"{typed} is closed while the challenge on {rules.dataset} runs: its training digits "
                f"hold the test digits the challenge keeps hidden. Open {rules.dataset} instead"
            )
        return None
    if (
        same_dataset(typed, rules.hidden)
        or typed in HELD_IN.get(rules.hidden, ())
        or (root is not None and _inside_hidden(typed, Path(root), rules.hidden))
    ):
        return DatasetError(missing(typed))
    return None


def student_view(
    spec: str, root: str | None, challenge: Challenge | None, digits_id: Callable[[str, str | None], str]
) -> int | None:
    """What a student's page may see of the dataset `spec` opens (typed in the data folder `root`,
    or named: None): all of it (None), or all but the hidden half of its test split (the seed that
    draws that half); raises `refusal`'s error when it may see nothing.

    The one rule every student page's data goes through (`web/resources`). A dataset is the
    challenge's by any of its names (`rules.aliases`), or by its test digits: `digits_id(spec,
    root)`, a hash of a dataset's test split, asked only when the names do not tell, catches a
    copy under another name (and "auto" opening the sample offline).
    """
    refused = refusal(spec, root, challenge)
    if refused is not None:
        raise refused
    if not _running(challenge):
        return None
    rules = challenge.rules
    if rules.hides_half:
        if same_dataset(spec, rules.dataset) or digits_id(spec, root) == digits_id(*read_as(rules.dataset)):
            return rules.hidden_seed
        return None
    if digits_id(spec, root) == digits_id(*read_as(rules.hidden)):
        raise DatasetError(missing(spec))
    return None


def _inside_hidden(typed: str, base: Path, hidden: str) -> bool:
    """Whether the path typed is the hidden dataset's file, or inside its folder, under any name
    (a hard link too)."""
    base = base.resolve()
    kept = _file_id(_inside(base, hidden)) or _file_id(_inside(base, unescaped(hidden) or hidden))
    if kept is None:
        return False
    for name in {typed, unescaped(typed) or typed}:
        path = _inside(base, name)
        while path is not None and path != base and path != path.parent:
            if _file_id(path) == kept:
                return True
            path = path.parent
    return False


def _inside(base: Path, typed: str) -> Path | None:
    try:
        return resolve_inside(base, typed)
    except UserError:
        return None


def _file_id(path: Path | None) -> tuple[int, int] | None:
    try:
        status = os.stat(path) if path is not None else None
    except (OSError, ValueError):
        return None
    return None if status is None else (status.st_dev, status.st_ino)


def read_whole(spec: str) -> Dataset:
    """A dataset a challenge names, whole, hidden digits and all, read as the sidebar would open
    it (`rules.read_as`) but off the pages' caches: for the teacher's side only."""
    name, root = read_as(spec)
    return load_dataset(name, root=Path(root) if root else None)


def shared_digits(hidden: Dataset, opened: Dataset) -> int:
    """How many of the hidden set's test images `opened` holds too, in either split, byte for
    byte: digits a student would see there."""

    def digests(images: np.ndarray) -> list[bytes]:
        return [hashlib.blake2b(image.tobytes(), digest_size=16).digest() for image in np.asarray(images)]

    seen = set(digests(opened.x_train)) | set(digests(opened.x_test))
    return sum(digest in seen for digest in digests(hidden.x_test))


def hidden_test(challenge: Challenge, load: Callable[[str], Dataset]) -> Dataset:
    """The challenge's hidden test set, read with `load(spec)`: for the leaderboard only."""
    rules = challenge.rules
    if rules.hides_half:
        return hidden_part(load(rules.dataset), rules.hidden_seed)
    return load(rules.hidden)
