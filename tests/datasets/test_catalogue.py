"""Tests for mnist_app.datasets.catalogue: datasets by name and by path, paths typed in the
browser kept inside the data folder, and the data folder's listing."""

import os
from pathlib import Path

import pytest

from mnist_app import settings
from mnist_app.datasets.catalogue import MAX_LISTED_DATASETS, NAMED_DATASETS, datasets_in, load_dataset
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.datasets.sources import load_npz
from tests.support import REPO
from tests.support.datasets import digit_labels, fails_fast, random_images, write_npz, write_split


@pytest.mark.parametrize("name", ["mnsit", "MNIST", "fashion_mnist"])
def test_unknown_dataset_name_raises_listing_the_known_names(name):
    with pytest.raises(DatasetError) as error:
        load_dataset(name)
    message = str(error.value)
    assert "unknown dataset" in message
    assert repr(name) in message
    for known in NAMED_DATASETS:
        assert known in message


@pytest.mark.parametrize("relative", ["absent.npz", "absent/folder"])
def test_missing_dataset_path_raises_naming_it(tmp_path, relative):
    spec = str(tmp_path / relative)

    with pytest.raises(DatasetError, match="no such dataset") as error:
        load_dataset(spec)
    assert spec in str(error.value)


def test_existing_file_that_is_neither_folder_nor_npz_raises(tmp_path):
    path = tmp_path / "digits.csv"
    path.write_text("1,2,3\n")

    with pytest.raises(DatasetError, match="neither a folder of IDX files nor a .npz"):
        load_dataset(str(path))


def test_default_dataset_name_honours_environment_variable(monkeypatch):
    monkeypatch.setenv("MNIST_APP_DATASET", " fashion-mnist ")

    assert settings.dataset() == "fashion-mnist"


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_default_dataset_name_is_auto_without_environment_variable(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("MNIST_APP_DATASET", raising=False)
    else:
        monkeypatch.setenv("MNIST_APP_DATASET", value)

    assert settings.dataset() == "auto"


# --- paths ----------------------------------------------------------------------------------


def test_tilde_of_an_unknown_user_raises_naming_the_path():
    message = fails_fast(load_dataset, "~nosuchuser-mnist/x.npz")

    assert "~nosuchuser-mnist/x.npz" in message
    assert "no such dataset" in message


def test_path_with_a_300_character_component_raises(tmp_path):
    spec = str(tmp_path / ("d" * 300) / "x.npz")

    message = fails_fast(load_dataset, spec)

    assert "too long" in message.lower()
    assert "x.npz" in message


@pytest.mark.parametrize("spec", ["a\0b.npz", "folder/\0"])
def test_path_with_a_nul_character_raises(spec):
    assert "NUL" in fails_fast(load_dataset, spec)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_path_in_an_unreadable_folder_raises(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    write_npz(folder / "x.npz")
    folder.chmod(0)
    try:
        message = fails_fast(load_dataset, str(folder / "x.npz"))
    finally:
        folder.chmod(0o700)
    assert "Permission denied" in message


def test_permission_error_on_a_path_becomes_a_dataset_error(tmp_path, monkeypatch):
    """The same as above, simulated: this suite may run as root, which reads everything."""
    locked = tmp_path / "locked"
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path).startswith(str(locked)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)

    message = fails_fast(load_dataset, str(locked / "x.npz"))

    assert "Permission denied" in message
    assert "locked/x.npz" in message


def test_directory_named_like_an_npz_raises(tmp_path):
    (tmp_path / "x.npz").mkdir()

    message = fails_fast(load_dataset, str(tmp_path / "x.npz"))

    assert "x.npz is a folder, not an .npz file" in message
    assert "not a regular file" in fails_fast(load_npz, tmp_path / "x.npz")


def test_fifo_named_like_an_npz_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "x.npz")

    message = fails_fast(load_dataset, str(tmp_path / "x.npz"))

    assert "x.npz is not a regular file" in message


def test_fifo_named_like_an_idx_file_is_refused_without_blocking(tmp_path):
    write_split(tmp_path, "train", random_images(2), digit_labels(2))
    write_split(tmp_path, "t10k", random_images(2), digit_labels(2))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    os.mkfifo(tmp_path / "t10k-labels-idx1-ubyte.gz")

    message = fails_fast(load_dataset, str(tmp_path))

    assert "t10k-labels-idx1-ubyte.gz is not a regular file" in message


def test_empty_spec_raises_instead_of_reading_the_working_folder():
    assert "no dataset given" in fails_fast(load_dataset, "  ")


# --- paths typed in the browser stay inside the data folder ---------------------------------


@pytest.fixture
def data_folder(tmp_path):
    """A data folder holding digits.npz and an IDX folder `idx`; tmp_path/secret.npz lies outside."""
    root = tmp_path / "data"
    root.mkdir()
    write_npz(root / "digits.npz")
    (root / "idx").mkdir()
    write_split(root / "idx", "train", random_images(4), digit_labels(4))
    write_split(root / "idx", "t10k", random_images(2), digit_labels(2))
    write_npz(tmp_path / "secret.npz")
    return root


def test_data_dir_is_the_repository_data_folder_by_default(monkeypatch):
    monkeypatch.delenv("MNIST_APP_DATA_DIR", raising=False)

    assert settings.data_dir() == REPO / "data"


def test_data_dir_honours_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_APP_DATA_DIR", str(tmp_path))

    assert settings.data_dir() == tmp_path


@pytest.mark.parametrize("spec", ["digits.npz", "./digits.npz", "idx", "idx/../digits.npz"])
def test_paths_inside_the_data_folder_load(data_folder, spec):
    dataset = load_dataset(spec, root=data_folder)

    assert dataset.summary()["train"] in (4, 20)


def test_absolute_path_inside_the_data_folder_loads(data_folder):
    assert load_dataset(str(data_folder / "digits.npz"), root=data_folder).summary()["train"] == 20


def test_named_datasets_load_as_before_with_a_data_folder(data_folder, empty_keras_cache):
    write_npz(empty_keras_cache / "mnist.npz")

    assert load_dataset("mnist", root=data_folder).name == "mnist"


def outside_specs(tmp_path: Path) -> list[str]:
    return ["../secret.npz", "idx/../../secret.npz", str(tmp_path / "secret.npz"), "escape.npz"]


@pytest.mark.parametrize("which", range(4), ids=["dot-dot", "dot-dot-nested", "absolute", "symlink"])
def test_paths_leading_outside_the_data_folder_raise_the_same_whether_or_not_the_target_exists(
    data_folder, tmp_path, which
):
    (data_folder / "escape.npz").symlink_to(tmp_path / "secret.npz")
    spec = outside_specs(tmp_path)[which]

    present = fails_fast(load_dataset, spec, root=data_folder)
    (tmp_path / "secret.npz").unlink()
    absent = fails_fast(load_dataset, spec, root=data_folder)

    assert present == absent
    assert "inside the data folder only" in present
    assert repr(spec) in present


def test_symlink_that_stays_inside_the_data_folder_loads(data_folder):
    (data_folder / "alias.npz").symlink_to(data_folder / "digits.npz")

    assert load_dataset("alias.npz", root=data_folder).summary()["train"] == 20


def test_idx_file_linking_outside_the_data_folder_is_refused(data_folder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    write_split(outside, "t10k", random_images(2), digit_labels(2))
    sneaky = data_folder / "sneaky"
    sneaky.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (sneaky / name).symlink_to(outside / name)

    message = fails_fast(load_dataset, "sneaky", root=data_folder, require_train=False)

    assert "inside the data folder only" in message
    assert load_dataset(str(sneaky), require_train=False).summary()["test"] == 2, "the command line may"


def test_tilde_is_not_expanded_inside_the_data_folder(data_folder, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    write_npz(home / "mine.npz")
    monkeypatch.setenv("HOME", str(home))

    assert "no such dataset file or folder: ~/mine.npz" in fails_fast(
        load_dataset, "~/mine.npz", root=data_folder
    )
    assert load_dataset("~/mine.npz").name == "mine", "the command line expands ~"


def test_unknown_name_inside_the_data_folder_lists_the_known_ones(data_folder):
    assert "unknown dataset 'mnsit'" in fails_fast(load_dataset, "mnsit", root=data_folder)


# --- datasets_in ----------------------------------------------------------------------------


def test_datasets_in_lists_npz_files_and_idx_folders_two_levels_deep(data_folder, tmp_path):
    nested = data_folder / "more"
    nested.mkdir()
    write_npz(nested / "extra.npz")
    (nested / "idx2").mkdir()
    write_split(nested / "idx2", "t10k", random_images(2), digit_labels(2))
    (nested / "deeper").mkdir()
    write_npz(nested / "deeper" / "too-deep.npz")
    (data_folder / "notes.txt").write_text("not a dataset")
    write_npz(data_folder / ".hidden.npz")
    (data_folder / "alias.npz").symlink_to("digits.npz")

    assert datasets_in(data_folder) == [
        "alias.npz",
        "digits.npz",
        "idx",
        "more/extra.npz",
        "more/idx2",
    ]


def test_datasets_in_leaves_out_odd_entries_without_raising(data_folder, tmp_path, monkeypatch):
    os.mkfifo(data_folder / "pipe.npz")
    (data_folder / "dangling.npz").symlink_to(tmp_path / "nowhere.npz")
    (data_folder / "escape.npz").symlink_to(tmp_path / "secret.npz")
    (data_folder / "escape-folder").symlink_to(tmp_path)
    (data_folder / "loop.npz").symlink_to("loop.npz")
    locked = data_folder / "locked"
    locked.mkdir()
    write_npz(locked / "hidden-by-permissions.npz")
    real_listdir = os.listdir

    def listdir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_listdir(path)

    monkeypatch.setattr(os, "listdir", listdir)

    assert datasets_in(data_folder) == ["digits.npz", "idx"]


@pytest.mark.parametrize("kind", ["missing", "file", "fifo"])
def test_datasets_in_is_empty_when_the_data_folder_is_not_a_folder(tmp_path, kind):
    root = tmp_path / "data"
    if kind == "file":
        root.write_text("")
    elif kind == "fifo":
        os.mkfifo(root)

    assert datasets_in(root) == []


def test_datasets_in_lists_at_most_50_sorted(tmp_path):
    for number in range(70):
        (tmp_path / f"set-{number:02d}.npz").write_bytes(b"")

    listed = datasets_in(tmp_path)

    assert listed == [f"set-{number:02d}.npz" for number in range(MAX_LISTED_DATASETS)]


def test_every_listed_dataset_opens_inside_the_data_folder(data_folder):
    for spec in datasets_in(data_folder):
        assert load_dataset(spec, root=data_folder).summary()["test"] > 0


def not_utf8(folder: Path, name: bytes) -> bytes:
    """The bytes path of `name` in `folder`: Linux names are bytes, and 0xff is never UTF-8."""
    return os.path.join(os.fsencode(folder), name)


def test_datasets_whose_names_are_not_utf8_are_listed_as_text_and_open_as_listed(data_folder):
    with open(not_utf8(data_folder, b"caf\xff.npz"), "wb") as file:
        write_npz(file)
    os.mkdir(not_utf8(data_folder, b"scans\xff"))
    folder = Path(os.fsdecode(not_utf8(data_folder, b"scans\xff")))
    write_split(folder, "train", random_images(4), digit_labels(4))
    write_split(folder, "t10k", random_images(2), digit_labels(2))

    listed = datasets_in(data_folder)

    assert "caf\\xff.npz" in listed and "scans\\xff" in listed
    opened = load_dataset("caf\\xff.npz", root=data_folder)
    assert (opened.name, opened.source) == ("caf\\xff", "data/caf\\xff.npz")
    assert opened.summary()["train"] == 20
    assert load_dataset("scans\\xff", root=data_folder).summary()["test"] == 2


def test_a_damaged_file_whose_name_is_not_utf8_is_named_in_printable_text(data_folder):
    with open(not_utf8(data_folder, b"torn\xff.npz"), "wb") as file:
        file.write(b"PK\x03\x04 torn")

    typed = fails_fast(load_dataset, "torn\\xff.npz", root=data_folder)
    given = fails_fast(load_dataset, os.fsdecode(not_utf8(data_folder, b"torn\xff.npz")))

    assert "data/torn\\xff.npz is not a readable .npz file" in typed
    assert f"{data_folder}/torn\\xff.npz is not a readable .npz file" in given
    assert typed.isprintable() and given.isprintable()
