"""My digits: a collection several writers share without losing a digit, and a dataset like the others."""

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_app.datasets.catalogue import load_dataset
from mnist_app.datasets.digit_arrays import DatasetError
from mnist_app.datasets.digit_store import DigitStore, splits_by_label


def digit(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def test_digits_come_back_as_a_dataset_split_by_label(data_dir):
    store = DigitStore()
    kept = store.add_many([digit(i) for i in range(40)], [i % 10 for i in range(40)])
    # Four of each label, drawn in turn: the second of each (digits 10 to 19) is its test digit.
    assert [split for _, split in kept] == ["test" if 10 <= i < 20 else "train" for i in range(40)]
    data = load_dataset("my-digits")
    train = [i for i in range(40) if not 10 <= i < 20]
    np.testing.assert_array_equal(data.x_train, np.stack([digit(i) for i in train]))
    np.testing.assert_array_equal(data.y_train, [i % 10 for i in train])
    assert sorted(data.y_test.tolist()) == list(range(10)), "a test digit of every label"
    assert data.name == "my-digits"


def test_two_digits_of_each_label_keep_a_test_digit_of_each_label():
    labels = [label for label in range(10) for _ in range(2)]
    splits = splits_by_label(labels, [digit(i).tobytes() for i in range(20)])
    assert sorted(label for label, split in zip(labels, splits, strict=True) if split == "test") == list(
        range(10)
    )


@given(st.lists(st.integers(0, 9), max_size=300))
def test_one_in_five_of_each_label_is_tested_and_copies_go_together(labels):
    pixels = [bytes([n % 251, n // 251]) for n in range(len(labels))]
    splits = splits_by_label(labels, pixels)
    for label in range(10):
        mine = [split for value, split in zip(labels, splits, strict=True) if value == label]
        assert mine.count("test") == (len(mine) + 3) // 5, "the 2nd, 7th, 12th, ..."
    doubled = splits_by_label(labels + labels, pixels + pixels)
    assert doubled == splits + splits, "a copy of a drawing lands in its first copy's split"


def test_relabelling_keeps_the_rule_for_the_collection_as_it_is_now(data_dir):
    store = DigitStore()
    _, (second, split) = store.add_many([digit(1), digit(2)], [4, 4])
    assert split == "test"
    store.relabel(second, 7)
    digits = store.read()
    assert digits.counts()["test"][4] == 0 and digits.counts()["train"][7] == 1
    store.add(digit(3), 4)
    assert store.read().counts()["test"][4] == 1


def test_floats_in_0_1_are_kept_as_mnist_bytes(data_dir):
    image = np.zeros((28, 28), np.float32)
    image[10:18, 12:16] = 1.0
    DigitStore().add(image, 3)
    kept = DigitStore().read()
    assert kept.images.dtype == np.uint8 and kept.images[0].max() == 255 and kept.labels.tolist() == [3]


@pytest.mark.parametrize(
    ("image", "label", "message"),
    [
        (digit(1), 10, "whole number from 0 to 9"),
        (digit(1), -1, "whole number from 0 to 9"),
        (digit(1), True, "whole number from 0 to 9"),
        (digit(1), 2.0, "whole number from 0 to 9"),
        (np.zeros((27, 28), np.uint8), 1, "28x28 image"),
        (np.full((28, 28), np.nan, np.float32), 1, "pixels are numbers"),
        (np.zeros((28, 28), np.complex64), 1, "pixels are numbers"),
    ],
)
def test_bad_digits_and_labels_are_refused_and_nothing_is_kept(data_dir, image, label, message):
    store = DigitStore()
    store.add(digit(0), 0)
    with pytest.raises(DatasetError, match=message):
        store.add_many([digit(2), image], [1, label])
    assert len(store.read().labels) == 1, "all or nothing"


def test_relabel_and_delete_change_the_dataset_and_its_revision(data_dir):
    store = DigitStore()
    (first, _), (second, _) = store.add_many([digit(1), digit(2)], [1, 2])
    revision = store.revision()
    store.relabel(first, 7)
    store.delete(second)
    assert store.revision() == (revision[0], revision[1] + 2)
    kept = store.read()
    assert kept.ids.tolist() == [first] and kept.labels.tolist() == [7]
    with pytest.raises(DatasetError, match=f"no digit #{second}"):
        store.delete(second)


def test_an_empty_or_damaged_collection_says_so(data_dir):
    with pytest.raises(DatasetError, match="holds no digits yet"):
        load_dataset("my-digits")
    (data_dir / "my-digits.sqlite3").write_bytes(b"not a database, only text" * 100)
    with pytest.raises(DatasetError, match="cannot be used: file is not a database"):
        load_dataset("my-digits")
    with pytest.raises(DatasetError, match="cannot be used"):
        DigitStore().add(digit(1), 1)


def test_a_database_of_another_shape_is_refused(data_dir):
    with sqlite3.connect(data_dir / "my-digits.sqlite3") as connection:
        connection.execute("CREATE TABLE other (x)")
    with pytest.raises(DatasetError, match="another program's database"):
        DigitStore().read()


def test_threads_saving_at_once_lose_nothing(data_dir):
    store = DigitStore()

    def save(worker):
        for i in range(20):
            store.add(digit(worker * 100 + i), i % 10)

    threads = [threading.Thread(target=save, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.read().labels) == 160 and store.revision()[1] == 160


def save_in_a_process(folder, worker, count):
    store = DigitStore(folder)
    for i in range(count):
        store.add(digit(worker * 1000 + i), i % 10)


def test_processes_saving_at_once_lose_nothing(data_dir):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=save_in_a_process, args=(data_dir, w, 25)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    kept = DigitStore().read()
    assert len(kept.labels) == 100 and len(set(kept.ids.tolist())) == 100


WRITER = """
import sys, numpy as np
from mnist_app.datasets.digit_store import DigitStore
store = DigitStore(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    store.add_many([np.full((28, 28), i % 256, np.uint8)] * 50, [i % 10] * 50)
    i += 1
"""


def test_a_writer_killed_mid_save_leaves_the_collection_whole(data_dir):
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir)], stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd())  # fmt: skip
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(10)
    kept = DigitStore().read()
    assert len(kept.labels) > 0 and len(kept.labels) % 50 == 0, "whole transactions only"
    with sqlite3.connect(data_dir / "my-digits.sqlite3") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    DigitStore().add(digit(1), 1)


def test_a_new_file_is_a_new_revision_even_with_as_many_writes(data_dir):
    store = DigitStore()
    store.add(digit(1), 1)
    before = store.revision()
    for leftover in data_dir.glob("my-digits.sqlite3*"):
        leftover.unlink()
    store.add(digit(2), 2)
    assert store.revision()[1] == before[1] == 1 and store.revision() != before
    assert store.read().labels.tolist() == [2]


def test_ids_are_never_reused_after_a_delete(data_dir):
    store = DigitStore()
    (_, _), (second, _) = store.add_many([digit(1), digit(2)], [1, 2])
    store.delete(second)
    (third, _) = store.add(digit(3), 3)
    assert third > second


@pytest.mark.parametrize("row", ["(12, 'train')", "(-1, 'train')", "(3.7, 'train')", "(3, 'foo')"])
def test_rows_written_past_the_schemas_checks_are_a_damaged_collection(data_dir, row):
    DigitStore().add(digit(1), 1)
    with sqlite3.connect(data_dir / "my-digits.sqlite3") as connection:
        connection.execute("PRAGMA ignore_check_constraints = 1")
        label, split = row.strip("()").split(", ")
        connection.execute(
            f"INSERT INTO digits (label, split, pixels, drawn_at) VALUES ({label}, {split}, ?, 'now')",
            (digit(2).tobytes(),),
        )
    with pytest.raises(DatasetError, match="holds a damaged digit"):
        load_dataset("my-digits")


def test_another_programs_database_is_left_alone(data_dir):
    path = data_dir / "my-digits.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE accounts (name TEXT)")
    with pytest.raises(DatasetError, match="another program's database"):
        DigitStore().add(digit(1), 1)
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert tables == {"accounts"}


def test_counts_of_an_empty_or_absent_collection_are_zeros(data_dir):
    zeros = {"train": [0] * 10, "test": [0] * 10, "total": 0}
    assert DigitStore().counts() == zeros
    (only, _) = DigitStore().add(digit(1), 1)
    DigitStore().delete(only)
    assert DigitStore().counts() == zeros


# --- Whose digits ----------------------------------------------------------------------------


def test_a_visitor_sees_relabels_and_deletes_only_their_own_digits(data_dir):
    """The issue's case: B saw A's drawing as "Your digit #31" and could delete it."""
    a, b, everyone = DigitStore(owner="token-a"), DigitStore(owner="token-b"), DigitStore()
    (theirs, _) = a.add(digit(1), 1)
    (mine, _) = b.add(digit(2), 2)
    everyone.add(digit(3), 3)
    assert b.read().ids.tolist() == [mine] and a.read().ids.tolist() == [theirs]
    with pytest.raises(DatasetError, match=f"no digit #{theirs} in my-digits"):
        b.delete(theirs)
    with pytest.raises(DatasetError, match=f"no digit #{theirs} in my-digits"):
        b.relabel(theirs, 7)
    assert a.read().labels.tolist() == [1], "A's digit is untouched"
    assert b.counts()["total"] == 1 and everyone.counts()["total"] == 3
    with sqlite3.connect(data_dir / "my-digits.sqlite3") as connection:
        owners = dict(connection.execute("SELECT id, owner FROM digits"))
    assert sorted(owners.values()) == ["", "token-a", "token-b"], "the command line's digits are nobody's"
    with pytest.raises(DatasetError, match="holds no digits yet"):
        DigitStore(owner="token-c").read()


def test_a_visitor_keeps_at_most_their_share_and_the_others_can_still_save(data_dir, monkeypatch):
    monkeypatch.setenv("MNIST_APP_DIGITS_PER_VISITOR", "3")
    flooder = DigitStore(owner="token-a")
    flooder.add_many([digit(i) for i in range(2)], [0, 1])
    with pytest.raises(
        DatasetError, match="you have saved 2 digits, and one visitor keeps at most 3 on this server"
    ):
        flooder.add_many([digit(10), digit(11)], [0, 1])
    assert len(flooder.read().labels) == 2, "all or nothing"
    flooder.add(digit(12), 2)
    with pytest.raises(DatasetError, match="delete some on the Explore page"):
        flooder.add(digit(13), 3)
    DigitStore(owner="token-b").add(digit(20), 4)
    DigitStore().add_many([digit(30 + i) for i in range(5)], [5] * 5)
    assert DigitStore().counts()["total"] == 9


OLD_SCHEMA = (
    """CREATE TABLE digits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
        split TEXT NOT NULL CHECK (split IN ('train', 'test')),
        pixels BLOB NOT NULL CHECK (length(pixels) = 784),
        drawn_at TEXT NOT NULL
    )""",
    "CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), number INTEGER NOT NULL, generation INTEGER NOT NULL)",
    "INSERT INTO revision VALUES (1, 2, 42)",
)


def owner_column(path):
    with sqlite3.connect(path) as connection:
        return [row[1] for row in connection.execute("PRAGMA table_info(digits)")].count("owner")


def test_a_file_from_before_owners_is_read_as_nobodys_and_migrated_whole_in_one_transaction(
    data_dir, monkeypatch
):
    path = data_dir / "my-digits.sqlite3"
    with sqlite3.connect(path) as connection:
        for statement in OLD_SCHEMA:
            connection.execute(statement)
        for n in (1, 2):
            connection.execute(
                "INSERT INTO digits (label, split, pixels, drawn_at) VALUES (?, ?, ?, 'then')",
                (n, "train", digit(n).tobytes()),
            )
    assert DigitStore().read().labels.tolist() == [1, 2] and owner_column(path) == 0, "read, not changed"
    with pytest.raises(DatasetError, match="holds no digits yet"):
        DigitStore(owner="token-a").read()
    monkeypatch.setattr("mnist_app.datasets.digit_store.MAX_DIGITS", 2)
    with pytest.raises(DatasetError, match="keeps at most 2 digits"):
        DigitStore(owner="token-a").add(digit(3), 3)
    assert owner_column(path) == 0, "a write that fails takes its migration back with it"
    monkeypatch.setattr("mnist_app.datasets.digit_store.MAX_DIGITS", 100)
    (new, _) = DigitStore(owner="token-a").add(digit(3), 3)
    assert owner_column(path) == 1
    assert DigitStore(owner="token-a").read().ids.tolist() == [new]
    kept = DigitStore().read()
    assert kept.labels.tolist() == [1, 2, 3] and kept.drawn_at[:2] == ["then", "then"]
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT owner FROM digits ORDER BY id").fetchall() == [
            ("",),
            ("",),
            ("token-a",),
        ]
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
