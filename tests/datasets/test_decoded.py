"""The decoded-dataset cache: decode once, then map; never trust or need what is on disk."""

import multiprocessing
import os
from pathlib import Path

import numpy as np
import pytest

from mnist_app import settings
from mnist_app.datasets import decoded
from mnist_app.datasets.catalogue import load_dataset
from tests.support.datasets import write_split


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(folder))
    return folder


def arrays(seed=0, n_train=12, n_test=5):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_train, dtype=np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_test, dtype=np.uint8),
    )


class Decoder:
    """Stands for a slow decoder and counts how often it was asked."""

    def __init__(self, result):
        self.result, self.calls = result, 0

    def __call__(self):
        self.calls += 1
        return self.result


def source(tmp_path, content=b"source bytes"):
    path = tmp_path / "source.bin"
    path.write_bytes(content)
    return path


def assert_same(got, wanted):
    for a, b in zip(got, wanted, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_second_load_maps_the_first_ones_arrays_without_decoding(tmp_path, cache):
    path, decode = source(tmp_path), Decoder(arrays())
    first = decoded.decoded([path], decode)
    second = decoded.decoded([path], decode)
    assert decode.calls == 1
    assert_same(second, arrays())
    assert all(isinstance(array.base, np.memmap) or isinstance(array, np.memmap) for array in second)
    assert not any(array.flags.writeable for array in first + second)


def test_a_source_whose_name_is_not_utf8_is_decoded_once_then_mapped(tmp_path, cache):
    """Linux names are bytes: 0xff is not UTF-8, and the entry's name is made from the path's bytes."""
    raw = os.path.join(os.fsencode(tmp_path), b"caf\xff.npz")
    with open(raw, "wb") as file:
        file.write(b"source bytes")
    path, decode = Path(os.fsdecode(raw)), Decoder(arrays())
    decoded.decoded([path], decode)
    second = decoded.decoded([path], decode)
    assert decode.calls == 1
    assert_same(second, arrays())


def test_a_changed_source_is_decoded_afresh(tmp_path, cache):
    path = source(tmp_path)
    decoded.decoded([path], Decoder(arrays(1)))
    path.write_bytes(b"other, longer bytes")
    later = Decoder(arrays(2))
    assert_same(decoded.decoded([path], later), arrays(2))
    assert later.calls == 1


@pytest.mark.parametrize(
    "damage",
    ["truncated", "empty", "float pixels", "pickled objects", "an npz", "5x5 pixels", "label 10", "missing",
     "not a folder", "a link to a folder elsewhere"],
)  # fmt: skip
def test_a_damaged_entry_is_decoded_again_and_mended(tmp_path, cache, damage):
    path = source(tmp_path)
    decoded.decoded([path], Decoder(arrays()))
    entry = cache / decoded.entry_name([path])
    target = entry / "x_train.npy"
    if damage == "truncated":
        target.write_bytes(target.read_bytes()[:200])
    elif damage == "empty":
        target.write_bytes(b"")
    elif damage == "an npz":
        with open(target, "wb") as file:
            np.savez(file, x=np.zeros(3))
    elif damage == "5x5 pixels":
        np.save(target, np.zeros((12, 5, 5), np.uint8))
    elif damage == "label 10":
        np.save(entry / "y_train.npy", np.full(12, 10, np.uint8))
    elif damage == "a link to a folder elsewhere":
        elsewhere = tmp_path / "elsewhere"
        entry.rename(elsewhere)
        entry.symlink_to(elsewhere)
    elif damage == "float pixels":
        np.save(target, np.zeros((12, 28, 28), np.float32))
    elif damage == "pickled objects":
        np.save(target, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif damage == "missing":
        target.unlink()
    else:
        for file in entry.iterdir():
            file.unlink()
        entry.rmdir()
        entry.write_text("not a folder")
    again = Decoder(arrays())
    assert_same(decoded.decoded([path], again), arrays())
    assert_same(decoded.decoded([path], again), arrays())
    assert again.calls == 1, "decoded once more, then mapped from the mended entry"


def test_an_unwritable_cache_only_costs_the_decoding(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache cannot be made under a file")
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(blocker / "cache"))
    path, decode = source(tmp_path), Decoder(arrays())
    assert_same(decoded.decoded([path], decode), arrays())
    assert_same(decoded.decoded([path], decode), arrays())
    assert decode.calls == 2


@pytest.mark.parametrize("mode", [0o777, 0o775])
def test_a_cache_folder_others_may_write_to_is_not_used(tmp_path, monkeypatch, mode):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(shared))
    decode = Decoder(arrays())
    decoded.decoded([source(tmp_path)], decode)
    decoded.decoded([source(tmp_path)], decode)
    assert decode.calls == 2 and not list(shared.iterdir())


def test_the_cache_folder_the_app_makes_is_its_own(tmp_path, monkeypatch):
    folder = tmp_path / "made" / "here"
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", str(folder))
    decoded.decoded([source(tmp_path)], Decoder(arrays()))
    assert folder.stat().st_mode & 0o777 == 0o700


def test_a_fifo_in_an_entry_is_not_waited_on(tmp_path, cache):
    path = source(tmp_path)
    decoded.decoded([path], Decoder(arrays()))
    target = cache / decoded.entry_name([path]) / "y_test.npy"
    target.unlink()
    os.mkfifo(target)
    again = Decoder(arrays())
    assert_same(decoded.decoded([path], again), arrays())
    assert again.calls == 1


def test_a_dangling_link_in_the_cache_does_not_stop_pruning(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(decoded, "MAX_ENTRIES", 1)
    cache.mkdir()
    (cache / "dangling").symlink_to(tmp_path / "nowhere")
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        decoded.decoded([source(tmp_path / name)], Decoder(arrays()))
    assert len([entry for entry in cache.iterdir() if entry.name.startswith(decoded.FORMAT)]) == 1


def test_off_means_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_APP_CACHE_DIR", "off")
    assert settings.cache_dir() is None
    decode = Decoder(arrays())
    decoded.decoded([source(tmp_path)], decode)
    decoded.decoded([source(tmp_path)], decode)
    assert decode.calls == 2


def test_only_the_most_recently_used_entries_are_kept(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(decoded, "MAX_ENTRIES", 2)
    paths = []
    for age in (3, 2, 1):
        (tmp_path / str(age)).mkdir()
        paths.append(source(tmp_path / str(age)))
        decoded.decoded([paths[-1]], Decoder(arrays()))
        os.utime(cache / decoded.entry_name([paths[-1]]), (0, os.stat(paths[-1]).st_mtime - age))
    decoded._prune(cache)
    kept = sorted(entry.name for entry in cache.iterdir())
    assert kept == sorted(decoded.entry_name([path]) for path in paths[1:])


def _load_in_a_process(args):
    folder, cache_folder = args
    os.environ["MNIST_APP_CACHE_DIR"] = cache_folder
    dataset = load_dataset(folder)
    return int(dataset.x_train.sum()), int(dataset.y_test.sum())


def test_processes_racing_to_write_one_entry_all_read_the_same_data(tmp_path, cache):
    folder = tmp_path / "idx"
    folder.mkdir()
    x_train, y_train, x_test, y_test = arrays(3, n_train=200, n_test=50)
    write_split(folder, "train", x_train, y_train)
    write_split(folder, "t10k", x_test, y_test)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        sums = pool.map(_load_in_a_process, [(str(folder), str(cache))] * 8)
    assert set(sums) == {(int(x_train.sum()), int(y_test.sum()))}
    assert len(list(cache.iterdir())) == 1, "one entry, no partial copy left behind"


def test_an_idx_folder_is_mapped_from_the_cache_the_second_time(tmp_path, cache):
    x_train, y_train, x_test, y_test = arrays(4)
    write_split(tmp_path, "train", x_train, y_train)
    write_split(tmp_path, "t10k", x_test, y_test)
    first, second = load_dataset(str(tmp_path)), load_dataset(str(tmp_path))
    assert isinstance(second.x_train.base, np.memmap)
    assert_same(
        (second.x_train, second.y_train, second.x_test, second.y_test), (x_train, y_train, x_test, y_test)
    )
    assert second.name == first.name and second.source == first.source
