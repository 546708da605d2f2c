"""What a student may open while a challenge keeps test digits for the teacher, through
`resources.dataset`: the public half, and a dataset kept whole refused in the catalogue's own
words for one that is not there, by its name or its digits."""

import pytest

from mnist_app.classroom import challenges, hidden_split
from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.web import resources
from tests.support.classroom import classroom_folder, start_challenge
from tests.support.datasets import random_images, write_npz


@pytest.fixture(autouse=True)
def classroom(tmp_path, monkeypatch, models_dir, data_dir):
    return classroom_folder(tmp_path, monkeypatch)


def test_students_get_the_public_half(sample):
    challenge = start_challenge(hidden_seed=5)
    public = resources.dataset("mnist-sample")
    assert len(public.y_test) == 500 and len(public.y_train) == len(sample.y_train)
    assert resources.version("mnist-sample") == (0, challenge.rules.hidden_seed)
    challenges.end()
    assert resources.version("mnist-sample") == (0, None)
    assert len(resources.dataset("mnist-sample").y_test) == 1_000


def test_another_dataset_is_left_whole(data_dir):
    write_npz(data_dir / "other.npz")
    start_challenge()
    assert len(resources.dataset("other.npz", str(data_dir)).y_test) == 10


@pytest.mark.parametrize("spec", ["exam.npz", "exam", "folder/exam.npz"])
def test_a_hidden_dataset_is_refused_as_the_catalogue_refuses_a_missing_one(data_dir, spec):
    with pytest.raises(DatasetError) as missing:
        load_dataset(spec, root=data_dir)
    assert hidden_split.missing(spec) == str(missing.value)
    (data_dir / "folder").mkdir()
    write_npz(data_dir / spec) if spec.endswith(".npz") else (data_dir / spec).mkdir()
    start_challenge(hidden=spec)
    with pytest.raises(DatasetError) as refused:
        resources.dataset(spec, str(data_dir))
    assert str(refused.value) == str(missing.value)


def test_a_copy_of_a_dataset_kept_whole_is_refused_by_its_digits(data_dir):
    write_npz(data_dir / "exam.npz")
    (data_dir / "copy.npz").write_bytes((data_dir / "exam.npz").read_bytes())
    write_npz(data_dir / "other.npz", x_test=random_images(10, seed=3))
    start_challenge(hidden="exam.npz")
    assert "copy.npz" in resources.offered_datasets(str(data_dir)), "its name tells nothing"
    with pytest.raises(DatasetError, match="no such dataset file or folder: copy.npz"):
        resources.dataset("copy.npz", str(data_dir))
    assert len(resources.dataset("other.npz", str(data_dir)).y_test) == 10


def test_while_the_samples_test_digits_are_hidden_mnist_is_not_offered_nor_opened():
    start_challenge()
    assert resources.offered_names(["auto", "mnist", "mnist-sample", "fashion-mnist"]) == [
        "mnist-sample",
        "fashion-mnist",
    ]
    with pytest.raises(DatasetError, match="Open mnist-sample instead"):
        resources.dataset("auto")
