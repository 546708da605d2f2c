"""What every browser session shares, loaded once per server: datasets, models, evaluations.

`st.cache_resource` hands out the object itself, not a copy, so the big uint8 arrays exist
once however many people are looking (`st.cache_data` would pickle a copy per caller).

While a challenge runs, a student's page gets what `classroom.hidden_split.student_view` allows:
only the public half of a dataset whose test split the challenge halves, by whatever name it
opens the same digits (another spelling, a copy in the data folder), and nothing of a dataset
kept whole. `version` asks it, and keys every cache below, so starting or ending a challenge
changes what the next page run gets. The teacher's side reads the hidden digits off these
caches (`hidden_split.read_whole`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import streamlit as st

from mnist_app import settings
from mnist_app.classroom import challenges, hidden_split
from mnist_app.datasets.catalogue import datasets_in, load_dataset
from mnist_app.datasets.dataset import Dataset
from mnist_app.errors import UserError
from mnist_app.learning.model_files import ModelError, load_model
from mnist_app.learning.model_store import ModelStore, SavedModel

if TYPE_CHECKING:
    from mnist_app.datasets.digit_store import DigitStore


def digit_store() -> DigitStore:
    """The learner's digits: on a shared server (MNIST_APP_SHARED), this visitor's own only."""
    from mnist_app.datasets.digit_store import DigitStore
    from mnist_app.web.visitors import visitor_token

    return DigitStore(owner=visitor_token() if settings.shared() else None)


def version(spec: str, root: str | None = None) -> tuple:
    """What a page's copy of a dataset depends on, for every cache keyed by it: its contents
    (only `my-digits` changes while the server runs; for it, whose digits too, so every cache
    keyed by it is per visitor on a shared server), and the seed of the test digits a running
    challenge keeps from students, if it keeps half of this dataset's. A dataset a student may
    not open raises the refusal (`hidden_split.student_view`).
    """
    if _is_my_digits(spec):
        store = digit_store()
        return ((store.owner, store.revision()), None)
    return (0, hidden_split.student_view(spec, root, challenges.current(), _test_digits_id))


# Read again now and then: a dataset that could not be opened may be copied in meanwhile.
@st.cache_resource(show_spinner=False, max_entries=8, ttl=60)
def _test_digits_id(spec: str, root: str | None) -> str:
    """A hash of a dataset's test split (the same digits under two names hash alike), or a
    name of its own for one that cannot be opened (which shows no digits: its page says why)."""
    try:
        data = _dataset(spec, root)
    except UserError:
        return f"unreadable: {spec!r} in {root!r}"
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(data.x_test).tobytes())
    digest.update(np.ascontiguousarray(data.y_test).tobytes())
    return digest.hexdigest()


def offered_names(names: list[str]) -> list[str]:
    """The named datasets offered a student: less any a running challenge closes."""
    challenge = challenges.current()
    return [name for name in names if hidden_split.refusal(name, None, challenge) is None]


def offered_datasets(root: str) -> list[str]:
    """What the data folder offers a student: what it holds, less what a challenge keeps hidden
    (by name or file: a copy under another name is listed, and refused when opened)."""
    challenge = challenges.current()
    return [name for name in datasets_found(root) if hidden_split.refusal(name, root, challenge) is None]


def _is_my_digits(spec: str) -> bool:
    """Whether a choice names the learner's digits: typed in the data folder's box too, where
    `load_dataset` would otherwise hand a visitor everyone's."""
    from mnist_app.datasets.digit_store import DATASET_NAME

    return spec.strip() == DATASET_NAME


# One entry per visitor who looks at their digits: each a few hundred kilobytes at most.
@st.cache_resource(show_spinner=False, max_entries=32)
def _my_digits(contents: tuple):
    from mnist_app.datasets.digit_store import DigitStore

    owner, _ = contents
    return DigitStore(owner=owner).read()


def my_digits():
    """The learner's digits with their ids, read once per change to the collection."""
    from mnist_app.datasets.digit_store import DATASET_NAME

    return _my_digits(version(DATASET_NAME)[0])


@st.cache_resource(show_spinner=False, max_entries=32)
def _my_digits_dataset(contents: tuple) -> Dataset:
    return _my_digits(contents).dataset()  # the very read `my_digits()` hands out, ids and all


@st.cache_resource(
    show_spinner="Loading the dataset… (a big one's first load decodes it and keeps a copy on disk for next time)",
    max_entries=4,
)
def _dataset(spec: str, root: str | None) -> Dataset:
    return load_dataset(spec, root=Path(root) if root else None)


@st.cache_resource(show_spinner=False, max_entries=4)
def _public_half(spec: str, root: str | None, seed: int) -> Dataset:
    """The dataset with the public half of its test split (`hidden_split.public_part`)."""
    return hidden_split.public_part(_dataset(spec, root), seed)


def _data(spec: str, root: str | None, version: tuple) -> Dataset:
    """A dataset from its cache, as a student may see it (`version`): the visitors' digits apart,
    so they never push a big one out."""
    contents, halved = version
    if _is_my_digits(spec):
        return _my_digits_dataset(contents)
    return _dataset(spec, root) if halved is None else _public_half(spec, root, halved)


def dataset(spec: str, root: str | None = None) -> Dataset:
    """A named dataset, or a path: inside the folder `root` when a web visitor typed it. As a
    student may see it: half of its test split while a challenge keeps the other half."""
    return _data(spec, root, version(spec, root))


@st.cache_resource(show_spinner=False, ttl=5)
def datasets_found(root: str) -> list[str]:
    """What the data folder offers, listed at most every few seconds, not on every page run."""
    return datasets_in(Path(root))


@st.cache_resource(show_spinner=False)
def _cleaned_store(root: str) -> ModelStore:
    store = ModelStore(Path(root))
    store.clean_up()
    return store


def model_store() -> ModelStore:
    """The models folder, rid once per server start of what a killed save left behind."""
    return _cleaned_store(str(settings.models_dir()))


def dataset_figures(spec: str, root: str | None = None) -> dict:
    """Class counts, mean image per class and pixel histogram: cheap, but not per rerun."""
    return _dataset_figures(spec, root, version(spec, root))


@st.cache_resource(show_spinner=False, max_entries=4)
def _dataset_figures(spec: str, root: str | None, version: object) -> dict:
    from mnist_app.datasets.figures import kept_figures

    return kept_figures(_data(spec, root, version))


@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
def _model_or_refusal(path: str, mtime_ns: int, size: int):
    """The model, or the ModelError that refused it: a bad file is tried once, not on every visit."""
    try:
        return load_model(path)
    except ModelError as error:
        return error


def _model(path: str, mtime_ns: int, size: int):
    loaded = _model_or_refusal(path, mtime_ns, size)
    if isinstance(loaded, ModelError):
        raise loaded
    return loaded


def model(saved: SavedModel):
    """The loaded model, read again only when its file changes (the key holds mtime and size)."""
    return _model(*saved.cache_key)


@st.cache_resource(show_spinner="Evaluating the model on the test split…", max_entries=8)
def _evaluation(path: str, mtime_ns: int, size: int, spec: str, root: str | None, version: object):
    from mnist_app.learning.evaluation import evaluate

    data = _data(spec, root, version)
    return evaluate(_model(path, mtime_ns, size), data.x_test, data.y_test)


def evaluation(saved: SavedModel, spec: str, root: str | None = None):
    return _evaluation(*saved.cache_key, spec, root, version(spec, root))


@st.cache_resource(show_spinner="Preparing to look inside the model…", max_entries=8)
def _inspector(path: str, mtime_ns: int, size: int):
    from mnist_app.learning.inspection import Inspector

    return Inspector(_model(path, mtime_ns, size))


def inspector(saved: SavedModel):
    """The model's Inspector (its every-layer model and compiled attributions), built once."""
    return _inspector(*saved.cache_key)


@st.cache_resource(show_spinner="Timing the model on one digit…", max_entries=16)
def _prediction_seconds(path: str, mtime_ns: int, size: int) -> float:
    from mnist_app.datasets.digit_arrays import IMAGE_SIZE
    from mnist_app.learning.comparison import prediction_seconds

    return prediction_seconds(_model(path, mtime_ns, size), np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8))


def prediction_seconds(saved: SavedModel) -> float:
    """How long the model takes to read one digit (the median of a few tries), timed once."""
    return _prediction_seconds(*saved.cache_key)


def lab_prepared(spec: str, root: str | None = None):
    """Steps 1 to 4 of the lab run once per dataset, for every visitor of the Lab page."""
    return _lab_prepared(spec, root, version(spec, root))


@st.cache_resource(show_spinner="Running the lab's first steps on the data…", max_entries=2)
def _lab_prepared(spec: str, root: str | None, version: object):
    from mnist_app.lab.steps import prepare

    data = _data(spec, root, version)
    return prepare(data.x_train, data.y_train, data.x_test, data.y_test)


def map_pictures(spec: str, root: str | None = None) -> list[str]:
    """The test digits the maps show, each as a PNG data URL for the map's hover: made once per dataset."""
    return _map_pictures(spec, root, version(spec, root))


@st.cache_resource(show_spinner="Preparing the digits' pictures for the map…", max_entries=4)
def _map_pictures(spec: str, root: str | None, version: object) -> list[str]:
    from mnist_app.learning.model_map import MAX_MAP_DIGITS
    from mnist_app.web.map_view import digit_urls

    return digit_urls(_data(spec, root, version).x_test[:MAX_MAP_DIGITS])


@st.cache_resource(show_spinner="Preparing to make noise that fools the model…", max_entries=8)
def _attacker(path: str, mtime_ns: int, size: int):
    from mnist_app.learning.attacks import Attacker

    return Attacker(_model(path, mtime_ns, size))


def attacker(saved: SavedModel):
    """The model's Attacker (its FGSM and PGD traced once), so moving ε costs no new trace."""
    return _attacker(*saved.cache_key)
